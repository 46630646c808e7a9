/* civic-bridge: what the schedule's files share; never included outside them */
#pragma once

#include "civic-bridge/cb-log.h"
#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-schedule.h"

/* reasons and free texts staff give are at most this long */
#define CB_SCHEDULE_REASON_MAX 500
#define CB_SCHEDULE_TEXT_MAX   200
/* the most series, and sessions not yet over, the schedule keeps: each costs
 * work on every planning run or a timer */
#define CB_SCHEDULE_MAX_SERIES  100
#define CB_SCHEDULE_MAX_PENDING 1000
/* the longest range of occurrences one request may list */
#define CB_SCHEDULE_MAX_RANGE_US (G_GINT64_CONSTANT(731) * G_USEC_PER_SEC * 86400)
#define CB_SCHEDULE_MINUTE_US    (G_GINT64_CONSTANT(60) * G_USEC_PER_SEC)
#define CB_SCHEDULE_DAY_US       (G_GINT64_CONSTANT(86400) * G_USEC_PER_SEC)

struct _CbSchedule {
	GObject parent_instance;
	CbStore *store;
	CbClock *clock;
	GTimeZone *tz;
	char *zone_name;

	/* the running settings ([schedule] keys) */
	guint open_before_minutes;
	guint horizon_days;
	guint end_grace_minutes;
	CbSeries *default_series; /* from the config; NULL when `rrule` is empty */

	GHashTable *timers; /* gint64 *session id -> timer id */
	guint plan_timer;
	gboolean started;
};

/* the actor of automatic changes */
extern const CbActor cb_schedule_system_actor;

/* cb-schedule.c */
gint64 cb_schedule_opens_at(CbSchedule *self, gint64 starts_at);
/* takes a session just stored or changed: arms its timer and tells the
 * listeners; @previous is its state before the change */
void cb_schedule_session_changed(CbSchedule *self, const CbSession *session,
				 CbSessionState previous);
gboolean cb_schedule_check_reason(const char *reason, GError **error);
/* makes the transitions the clock says are due for one session now, instead
 * of at the next turn of the loop; a failure is logged and retried later */
void cb_schedule_catch_up_now(CbSchedule *self, gint64 id);

/* cb-schedule-series.c */
/* makes sessions of the occurrences within the horizon and arms the next run */
void cb_schedule_plan(CbSchedule *self);
gboolean cb_schedule_ensure_default_series(CbSchedule *self, GError **error);
/* the series the config describes, checked; CB_ERROR_CONFIG naming the key */
CbSeries *cb_schedule_series_from_config(const CbConfig *config, GTimeZone *tz, gint64 now,
					 GError **error);
/* today's date in @tz as YYYY-MM-DD */
char *cb_schedule_local_date(GTimeZone *tz, gint64 now);
