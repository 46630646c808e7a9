/* civic-bridge: the reception book's plain records, as the store reads and writes them */
#pragma once

#include <glib.h>

#include "civic-bridge/cb-records.h"

G_BEGIN_DECLS

/**
 * CbBookEntry:
 *
 * One entry of the reception book (form 03 of Circular 04/2021): a ticket
 * that became done or refused, or a row imported from a book kept before
 * civic-bridge. Name, address and ID number are personal data: never in a
 * log, an audit detail or an error message.
 */
typedef struct {
	gint64 ticket_id; /* 0: an imported row */
	gint64 at; /* µs UTC: when the ticket finished, or the day and time the book gives */
	gboolean has_time; /* FALSE: the book gave the day only, and at is its local midnight */
	char *citizen_name;
	char *address;
	char *id_number;
	char *content;  /* a ticket's summary */
	char *category; /* complaint, denunciation, recommendation, reflection */
	gint64 persons;
	char *already_handled_by;
	char *handling; /* accepted, guided, forwarded, refused; NULL: not recorded */
	char *follow_up;
	char *notes;
	gint64 bridge_point_id; /* 0: the hall */
	char *bridge_point;     /* the bridge point's name; NULL for the hall */
	CbSessionKind session_kind;
	char *row_key; /* imported rows: what makes the row unique in the book */
} CbBookEntry;

void cb_book_entry_free(CbBookEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbBookEntry, cb_book_entry_free)

/* a count of visits under one name */
typedef struct {
	char *name;
	gint64 visits;
} CbBookCount;

void cb_book_count_free(CbBookCount *count);

/* the figures the office publishes for a period */
typedef struct {
	gint64 visits;               /* entries */
	gint64 citizens;             /* their persons */
	gint64 large_groups;         /* entries with persons >= [queue] large-group-min */
	gint64 large_group_citizens; /* their persons */
	GPtrArray *by_category;      /* CbBookCount by name */
	GPtrArray *by_bridge_point;  /* CbBookCount by name; "" is the hall */
	GPtrArray *by_handling;      /* CbBookCount by name; "" is not recorded */
} CbBookSummary;

CbBookSummary *cb_book_summary_new(void);
void cb_book_summary_free(CbBookSummary *summary);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbBookSummary, cb_book_summary_free)

/* adds @visits to the count named @name in @counts, making it if need be */
void cb_book_counts_add(GPtrArray *counts, const char *name, gint64 visits);

/* the visits counted under @name; 0 when there is no such count */
gint64 cb_book_counts_get(GPtrArray *counts, const char *name);

/* which entries a summary counts */
typedef struct {
	gint64 from; /* µs UTC, inclusive; 0: no lower bound */
	gint64 to;   /* µs UTC, exclusive; 0: no upper bound */
	gboolean any_kind;
	CbSessionKind kind;
	const char *bridge_point; /* NULL: any; "": the hall; else a bridge point's name */
	guint large_group_min;
} CbBookFilter;

G_END_DECLS
