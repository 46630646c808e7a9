/* civic-bridge: the schedule of reception sessions: series, occurrences, sessions */
#pragma once

#include <glib-object.h>

#include "civic-bridge/cb-clock.h"
#include "civic-bridge/cb-config.h"
#include "civic-bridge/cb-records.h"
#include "civic-bridge/cb-series.h"
#include "civic-bridge/cb-store.h"

G_BEGIN_DECLS

#define CB_TYPE_SCHEDULE (cb_schedule_get_type())
G_DECLARE_FINAL_TYPE(CbSchedule, cb_schedule, CB, SCHEDULE, GObject)

/**
 * CbSchedule:
 *
 * Owns the life of every reception session: it turns the series' occurrences
 * into sessions when they come within the horizon, and moves sessions through
 * `scheduled -> open -> live -> ended` (or `cancelled`) by timers on the
 * injectable #CbClock or on behalf of staff. Every transition is a
 * compare-and-set in the store, so a timer and a staff member cannot race a
 * session into a wrong state.
 *
 * Automatic transitions (all audited with via "system"):
 * - `scheduled -> open` at `opens_at` (`starts_at` minus `[schedule]
 *   open-before-minutes`); a session whose `opens_at` passed while the daemon
 *   was down opens when cb_schedule_start() runs;
 * - `live -> ended` at `ends_at` plus `[schedule] end-grace-minutes`, when
 *   staff have not ended it by then;
 * - `open -> cancelled` (reason "not started") at the same moment, for a
 *   session that was opened but never started;
 * - `scheduled -> cancelled` (reason "missed") for a session whose whole
 *   time, grace included, passed while the daemon was down.
 *
 * Signals:
 *
 * `session-changed` (CbSchedule *schedule, const CbSession *session,
 * guint previous_state, gpointer user_data): emitted on the main context after
 * each committed change of a session: its creation (previous_state is then
 * the new state), a state transition, or a move of its times (previous_state
 * equals session->state). @session is borrowed: valid only during the
 * emission; copy it with cb_session_copy() to keep it. @previous_state is a
 * #CbSessionState.
 */

/* creates the schedule; @config gives the zone and the [schedule] keys.
 * Nothing runs until cb_schedule_start(). CB_ERROR_CONFIG naming the key for
 * an unknown zone or a default series that is not valid. */
CbSchedule *cb_schedule_new(CbStore *store, CbClock *clock, const CbConfig *config, GError **error);

/* checks the [schedule] keys as cb_schedule_new() would (for --check-config):
 * CB_ERROR_CONFIG naming the key */
gboolean cb_schedule_check_config(const CbConfig *config, GError **error);

/**
 * cb_schedule_start:
 *
 * Creates the default series from the configuration when the store has no
 * series at all, makes sessions of the occurrences within the horizon, opens
 * (or closes) what should have changed while the daemon was down, and arms the
 * timers. Connect to `session-changed` before calling it to see the catch-up.
 */
gboolean cb_schedule_start(CbSchedule *self, GError **error);

/* takes the keys that may change on reload (open-before, horizon, grace) */
void cb_schedule_reconfigure(CbSchedule *self, const CbConfig *config);

/* the zone the schedule lives in */
GTimeZone *cb_schedule_get_timezone(CbSchedule *self);

/* sessions */

/* CB_ERROR_NOT_FOUND when there is no such session */
CbSession *cb_schedule_get_session(CbSchedule *self, gint64 id, GError **error);

/**
 * cb_schedule_current_or_next_session:
 *
 * The session citizens register for when they ask for "the next session": the
 * live one, else the open one, else the next scheduled one (by start). With
 * several in one state, the earliest start wins.
 *
 * Returns: (transfer full): the session, or NULL with CB_ERROR_NOT_FOUND when
 *   nothing is live, open or scheduled
 */
CbSession *cb_schedule_current_or_next_session(CbSchedule *self, GError **error);

/* sessions overlapping [@from, @to), by start; 0 leaves a bound open */
GPtrArray *cb_schedule_list_sessions(CbSchedule *self, gint64 from, gint64 to, GError **error);

/* an ad-hoc session; @spec gives title, kind, presiding, starts_at and
 * ends_at (opens_at is computed; one whose opening time has come is returned
 * open). CB_ERROR_INVALID for bad fields, CB_ERROR_CONFLICT when 1000
 * sessions are not over yet. */
CbSession *cb_schedule_create_session(CbSchedule *self, const CbActor *actor, const CbSession *spec,
				      GError **error);

/* staff moving a session by hand: open (scheduled -> open), start
 * (open -> live), end (live -> ended). CB_ERROR_CONFLICT naming the current
 * state when the session is not in the state the transition starts from;
 * CB_ERROR_NOT_FOUND when there is no such session. */
CbSession *cb_schedule_open_session(CbSchedule *self, const CbActor *actor, gint64 id,
				    GError **error);
CbSession *cb_schedule_start_session(CbSchedule *self, const CbActor *actor, gint64 id,
				     GError **error);
CbSession *cb_schedule_end_session(CbSchedule *self, const CbActor *actor, gint64 id,
				   GError **error);
/* from scheduled or open; @reason required */
CbSession *cb_schedule_cancel_session(CbSchedule *self, const CbActor *actor, gint64 id,
				      const char *reason, GError **error);

/* series */

GPtrArray *cb_schedule_list_series(CbSchedule *self, GError **error);
CbSeries *cb_schedule_get_series(CbSchedule *self, gint64 id, GError **error);
/* checks the rule, zone and fields (CB_ERROR_INVALID with the reason), stores
 * the series and makes sessions of its occurrences within the horizon.
 * CB_ERROR_CONFLICT when there are 100 series already. The zone defaults to
 * the office's and the first date to today when @spec leaves them NULL. */
CbSeries *cb_schedule_create_series(CbSchedule *self, const CbActor *actor, const CbSeries *spec,
				    GError **error);

/* the occurrences of a series whose original or moved start falls in
 * [@from, @to), by effective start: a GPtrArray of CbOccurrence.
 * CB_ERROR_INVALID for a range over two years or reversed. */
GPtrArray *cb_schedule_list_occurrences(CbSchedule *self, gint64 series_id, gint64 from, gint64 to,
					GError **error);

/* moves one occurrence (@occurrence_start: its original start, UTC) to
 * @new_start, and its session with it while that is still scheduled;
 * CB_ERROR_NOT_FOUND when the series has no such occurrence,
 * CB_ERROR_CONFLICT when it is cancelled or its session is past scheduled */
CbOccurrence *cb_schedule_move_occurrence(CbSchedule *self, const CbActor *actor, gint64 series_id,
					  gint64 occurrence_start, gint64 new_start,
					  const char *reason, GError **error);
/* cancels one occurrence, and its session while that is scheduled or open */
CbOccurrence *cb_schedule_cancel_occurrence(CbSchedule *self, const CbActor *actor,
					    gint64 series_id, gint64 occurrence_start,
					    const char *reason, GError **error);

G_END_DECLS
