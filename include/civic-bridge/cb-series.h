/* civic-bridge: series of reception sessions and their occurrences (records and rules) */
#pragma once

#include <glib.h>

#include "civic-bridge/cb-records.h"

G_BEGIN_DECLS

/* times are µs since the epoch, UTC, as everywhere in the store */

/* a repeating reception session: an RFC 5545 RRULE in a zone, with a local
 * start time and a duration */
typedef struct {
	gint64 id;
	char *rrule;        /* "FREQ=MONTHLY;BYDAY=3TU" */
	char *timezone;     /* IANA zone the rule is evaluated in */
	char *starts_on;    /* YYYY-MM-DD local: the date of the rule's DTSTART */
	guint start_minute; /* local start time, minutes after midnight */
	guint duration_minutes;
	CbSessionKind kind;
	char *title;
	char *presiding;          /* the presiding person's title; may be NULL */
	GArray *bridge_point_ids; /* gint64: the bridge points invited; never NULL */
	gint64 created_at;
	gint64 updated_at;
} CbSeries;

CbSeries *cb_series_new(void);
void cb_series_free(CbSeries *series);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbSeries, cb_series_free)

typedef enum {
	CB_OCCURRENCE_SCHEDULED, /* as the rule says */
	CB_OCCURRENCE_MOVED,     /* to another start, with a reason */
	CB_OCCURRENCE_CANCELLED, /* with a reason */
} CbOccurrenceState;

const char *cb_occurrence_state_to_string(CbOccurrenceState state);

/* a stored per-occurrence exception: moved or cancelled */
typedef struct {
	gint64 id;
	gint64 series_id;
	gint64 occurrence_start; /* the original start the rule gives */
	CbOccurrenceState state; /* MOVED or CANCELLED */
	gint64 new_start;        /* MOVED only; 0 otherwise */
	char *reason;
	gint64 created_at;
	gint64 updated_at;
} CbSeriesException;

void cb_series_exception_free(CbSeriesException *exception);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbSeriesException, cb_series_exception_free)

/* one occurrence of a series as the API lists it */
typedef struct {
	gint64 series_id;
	gint64 occurrence_start; /* the original start: its name in the API */
	gint64 starts_at;        /* the effective start (moved or not) */
	gint64 ends_at;
	CbOccurrenceState state;
	char *reason;      /* moved or cancelled only */
	gint64 session_id; /* 0 while it has no session */
} CbOccurrence;

void cb_occurrence_free(CbOccurrence *occurrence);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbOccurrence, cb_occurrence_free)

/* rules: libical behind these functions only */

/* the most occurrences one expansion returns */
#define CB_SERIES_MAX_EXPANSION 1000

/**
 * cb_series_check:
 *
 * Checks what a series must be before it is stored: the rule parses, repeats
 * at most daily, has no BYHOUR/BYMINUTE/BYSECOND (the start time says when),
 * and yields at least one occurrence (libical parses `BYDAY=9TU` or `COUNT=0`
 * without error, only the iterator returns nothing); the zone is known; the
 * start date, time, duration and title make sense. CB_ERROR_INVALID with the
 * reason.
 */
gboolean cb_series_check(const CbSeries *series, GError **error);

/* the original starts (gint64) of @series' occurrences in [@from, @to), at
 * most @max of them */
GArray *cb_series_expand(const CbSeries *series, gint64 from, gint64 to, guint max, GError **error);

/* whether @start is one of the starts the rule gives */
gboolean cb_series_has_occurrence(const CbSeries *series, gint64 start, GError **error);

/* "HH:MM" <-> minutes after midnight */
gboolean cb_series_parse_time_of_day(const char *text, guint *minutes);
char *cb_series_format_time_of_day(guint minutes);

G_END_DECLS
