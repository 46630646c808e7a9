#define G_LOG_DOMAIN "CbSchedule"

#include "cb-schedule-private.h"

/* a timer whose store work failed tries again this much later */
#define CB_SCHEDULE_RETRY_US CB_SCHEDULE_MINUTE_US
/* an ad-hoc session may be created at most this far ahead */
#define CB_SCHEDULE_AHEAD_MAX_US (G_GINT64_CONSTANT(2) * 366 * CB_SCHEDULE_DAY_US)

const CbActor cb_schedule_system_actor = {.token_id = 0, .role = CB_ROLE_ADMIN, .via = "system"};

enum {
	SIGNAL_SESSION_CHANGED,
	N_SIGNALS,
};

static guint cb_schedule_signals[N_SIGNALS];

G_DEFINE_TYPE(CbSchedule, cb_schedule, G_TYPE_OBJECT)

typedef struct {
	CbSchedule *schedule; /* not referenced: dispose cancels every timer */
	gint64 session_id;
} CbScheduleTimer;

static void
cb_schedule_cancel_timers(CbSchedule *self)
{
	GHashTableIter iter;
	gpointer value;

	if (self->timers != NULL) {
		g_hash_table_iter_init(&iter, self->timers);
		while (g_hash_table_iter_next(&iter, NULL, &value))
			cb_clock_cancel(self->clock, GPOINTER_TO_UINT(value));
		g_hash_table_remove_all(self->timers);
	}
	if (self->plan_timer != 0 && self->clock != NULL)
		cb_clock_cancel(self->clock, self->plan_timer);
	self->plan_timer = 0;
}

static void
cb_schedule_dispose(GObject *object)
{
	CbSchedule *self = CB_SCHEDULE(object);

	if (self->clock != NULL)
		cb_schedule_cancel_timers(self);
	g_clear_object(&self->store);
	g_clear_object(&self->clock);
	G_OBJECT_CLASS(cb_schedule_parent_class)->dispose(object);
}

static void
cb_schedule_finalize(GObject *object)
{
	CbSchedule *self = CB_SCHEDULE(object);

	g_clear_pointer(&self->timers, g_hash_table_unref);
	g_clear_pointer(&self->tz, g_time_zone_unref);
	g_free(self->zone_name);
	cb_series_free(self->default_series);
	G_OBJECT_CLASS(cb_schedule_parent_class)->finalize(object);
}

static void
cb_schedule_class_init(CbScheduleClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = cb_schedule_dispose;
	object_class->finalize = cb_schedule_finalize;

	/* (CbSchedule *, const CbSession *session borrowed, guint previous_state) */
	cb_schedule_signals[SIGNAL_SESSION_CHANGED] =
		g_signal_new("session-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
			     NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_UINT);
}

static void
cb_schedule_init(CbSchedule *self)
{
	self->timers = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
}

static void
cb_schedule_take_settings(CbSchedule *self, const CbConfig *config)
{
	self->open_before_minutes = config->schedule_open_before_minutes;
	self->horizon_days = MAX(config->schedule_horizon_days, 1);
	self->end_grace_minutes = config->schedule_end_grace_minutes;
}

CbSchedule *
cb_schedule_new(CbStore *store, CbClock *clock, const CbConfig *config, GError **error)
{
	g_autoptr(CbSchedule) self = g_object_new(CB_TYPE_SCHEDULE, NULL);
	const char *zone = config->timezone != NULL ? config->timezone : "Asia/Ho_Chi_Minh";

	g_return_val_if_fail(CB_IS_STORE(store) && CB_IS_CLOCK(clock), NULL);
	self->store = g_object_ref(store);
	self->clock = g_object_ref(clock);
	self->zone_name = g_strdup(zone);
	self->tz = g_time_zone_new_identifier(zone);
	if (self->tz == NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFIG,
			    "[server] timezone: '%s' is not a known time zone", zone);
		return NULL;
	}
	cb_schedule_take_settings(self, config);
	if (config->schedule_rrule != NULL) {
		self->default_series = cb_schedule_series_from_config(config, self->tz,
								      cb_clock_now(clock), error);
		if (self->default_series == NULL)
			return NULL;
	}
	return g_steal_pointer(&self);
}

gboolean
cb_schedule_check_config(const CbConfig *config, GError **error)
{
	g_autoptr(GTimeZone) tz = g_time_zone_new_identifier(
		config->timezone != NULL ? config->timezone : "Asia/Ho_Chi_Minh");
	g_autoptr(CbSeries) series = NULL;

	if (tz == NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFIG,
			    "[server] timezone: '%s' is not a known time zone", config->timezone);
		return FALSE;
	}
	if (config->schedule_rrule == NULL)
		return TRUE;
	series = cb_schedule_series_from_config(config, tz, g_get_real_time(), error);
	return series != NULL;
}

GTimeZone *
cb_schedule_get_timezone(CbSchedule *self)
{
	g_return_val_if_fail(CB_IS_SCHEDULE(self), NULL);
	return self->tz;
}

gint64
cb_schedule_opens_at(CbSchedule *self, gint64 starts_at)
{
	return starts_at - (gint64)self->open_before_minutes * CB_SCHEDULE_MINUTE_US;
}

gboolean
cb_schedule_check_reason(const char *reason, GError **error)
{
	g_autofree char *stripped = g_strstrip(g_strdup(reason != NULL ? reason : ""));

	if (stripped[0] == '\0') {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID, "a reason is required");
		return FALSE;
	}
	if (!g_utf8_validate(reason, -1, NULL) ||
	    g_utf8_strlen(reason, -1) > CB_SCHEDULE_REASON_MAX) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "the reason must be text of at most %d characters",
			    CB_SCHEDULE_REASON_MAX);
		return FALSE;
	}
	return TRUE;
}

/* --- timers ---------------------------------------------------------------- */

/* when the session next needs the schedule's attention; 0: never again */
static gint64
cb_schedule_deadline(CbSchedule *self, const CbSession *session)
{
	gint64 grace = (gint64)self->end_grace_minutes * CB_SCHEDULE_MINUTE_US;

	switch (session->state) {
	case CB_SESSION_SCHEDULED:
		return session->opens_at;
	case CB_SESSION_OPEN:
	case CB_SESSION_LIVE:
		return session->ends_at + grace;
	case CB_SESSION_ENDED:
	case CB_SESSION_CANCELLED:
		break;
	}
	return 0;
}

static void
cb_schedule_disarm(CbSchedule *self, gint64 session_id)
{
	gpointer value = NULL;

	if (g_hash_table_lookup_extended(self->timers, &session_id, NULL, &value)) {
		cb_clock_cancel(self->clock, GPOINTER_TO_UINT(value));
		g_hash_table_remove(self->timers, &session_id);
	}
}

static void cb_schedule_session_due_cb(gpointer user_data);

static void
cb_schedule_arm_at(CbSchedule *self, gint64 session_id, gint64 deadline)
{
	CbScheduleTimer *timer;
	guint id;

	cb_schedule_disarm(self, session_id);
	if (deadline == 0 || !self->started)
		return;
	timer = g_new0(CbScheduleTimer, 1);
	timer->schedule = self;
	timer->session_id = session_id;
	id = cb_clock_schedule(self->clock, deadline, cb_schedule_session_due_cb, timer, g_free);
	g_hash_table_insert(self->timers, g_memdup2(&session_id, sizeof(session_id)),
			    GUINT_TO_POINTER(id));
}

void
cb_schedule_session_changed(CbSchedule *self, const CbSession *session, CbSessionState previous)
{
	cb_schedule_arm_at(self, session->id, cb_schedule_deadline(self, session));
	g_signal_emit(self, cb_schedule_signals[SIGNAL_SESSION_CHANGED], 0, session,
		      (guint)previous);
}

/* the compare-and-set every transition goes through, then the signal */
static CbSession *
cb_schedule_transition(CbSchedule *self, const CbActor *actor, gint64 id, CbSessionState from,
		       CbSessionState to, const char *reason, GError **error)
{
	g_autoptr(CbSession) session =
		cb_store_session_transition(self->store, actor, id, from, to, reason, error);

	if (session == NULL)
		return NULL;
	cb_log_session(G_LOG_LEVEL_INFO, id, "session %" G_GINT64_FORMAT " %s -> %s (%s)", id,
		       cb_session_state_to_string(from), cb_session_state_to_string(to),
		       actor->via != NULL ? actor->via : "system");
	cb_schedule_session_changed(self, session, from);
	return g_steal_pointer(&session);
}

/* what the clock says should happen to @session now, if anything */
static gboolean
cb_schedule_due_transition(CbSchedule *self, const CbSession *session, CbSessionState *to,
			   const char **reason)
{
	gint64 now = cb_clock_now(self->clock);
	gint64 over = session->ends_at + (gint64)self->end_grace_minutes * CB_SCHEDULE_MINUTE_US;

	*reason = NULL;
	switch (session->state) {
	case CB_SESSION_SCHEDULED:
		if (now >= over) {
			*to = CB_SESSION_CANCELLED;
			*reason = "missed: civic-bridged was not running while it was due";
			return TRUE;
		}
		*to = CB_SESSION_OPEN;
		return now >= session->opens_at;
	case CB_SESSION_OPEN:
		*to = CB_SESSION_CANCELLED;
		*reason = "not started: staff did not start it by its end time";
		return now >= over;
	case CB_SESSION_LIVE:
		*to = CB_SESSION_ENDED;
		return now >= over;
	case CB_SESSION_ENDED:
	case CB_SESSION_CANCELLED:
		break;
	}
	return FALSE;
}

/* brings one session up to the clock: at most one transition per call */
static gboolean
cb_schedule_catch_up(CbSchedule *self, gint64 id, gboolean *changed, GError **error)
{
	g_autoptr(CbSession) session = cb_store_session_get(self->store, id, error);
	g_autoptr(CbSession) moved = NULL;
	CbSessionState to = CB_SESSION_SCHEDULED;
	const char *reason = NULL;

	*changed = FALSE;
	if (session == NULL)
		return FALSE;
	if (!cb_schedule_due_transition(self, session, &to, &reason)) {
		gint64 deadline = cb_schedule_deadline(self, session);
		/* nothing due: a deadline that is not ahead would only spin */
		if (deadline != 0)
			deadline = MAX(deadline, cb_clock_now(self->clock) + G_USEC_PER_SEC);
		cb_schedule_arm_at(self, id, deadline);
		return TRUE;
	}
	moved = cb_schedule_transition(self, &cb_schedule_system_actor, id, session->state, to,
				       reason, error);
	*changed = moved != NULL;
	return moved != NULL;
}

/* one step for a timer; a failure is logged and the session retried later */
static void
cb_schedule_step(CbSchedule *self, gint64 id, gboolean *changed)
{
	g_autoptr(GError) error = NULL;

	if (cb_schedule_catch_up(self, id, changed, &error))
		return;
	if (g_error_matches(error, CB_ERROR, CB_ERROR_NOT_FOUND))
		return;
	if (g_error_matches(error, CB_ERROR, CB_ERROR_CONFLICT)) {
		/* someone else moved it first: look again at what it is now */
		g_clear_error(&error);
		if (cb_schedule_catch_up(self, id, changed, &error))
			return;
	}
	*changed = FALSE;
	g_warning("session %" G_GINT64_FORMAT ": automatic change failed, retrying: %s", id,
		  error->message);
	cb_schedule_arm_at(self, id, cb_clock_now(self->clock) + CB_SCHEDULE_RETRY_US);
}

static void
cb_schedule_session_due_cb(gpointer user_data)
{
	CbScheduleTimer *timer = user_data;
	CbSchedule *self = timer->schedule;
	gint64 id = timer->session_id;
	gboolean changed = FALSE;

	/* the timer is spent: forget it before anything arms a new one */
	g_hash_table_remove(self->timers, &id);
	cb_schedule_step(self, id, &changed);
}

void
cb_schedule_catch_up_now(CbSchedule *self, gint64 id)
{
	gboolean changed = TRUE;

	if (!self->started)
		return;
	/* scheduled -> open -> cancelled at most */
	for (guint step = 0; changed && step < 3; step++)
		cb_schedule_step(self, id, &changed);
}

/* every session not yet over: open what is due, close what is long past, and
 * arm the timers of the rest */
static gboolean
cb_schedule_arm_all(CbSchedule *self, GError **error)
{
	const CbSessionState states[] = {CB_SESSION_LIVE, CB_SESSION_OPEN, CB_SESSION_SCHEDULED};

	for (gsize s = 0; s < G_N_ELEMENTS(states); s++) {
		g_autoptr(GPtrArray) list =
			cb_store_session_list_in_state(self->store, states[s], error);
		if (list == NULL)
			return FALSE;
		for (guint i = 0; i < list->len; i++) {
			gint64 id = ((CbSession *)g_ptr_array_index(list, i))->id;
			gboolean changed = TRUE;
			/* scheduled -> open -> cancelled at most */
			for (guint step = 0; changed && step < 3; step++) {
				if (!cb_schedule_catch_up(self, id, &changed, error))
					return FALSE;
			}
		}
	}
	return TRUE;
}

gboolean
cb_schedule_start(CbSchedule *self, GError **error)
{
	g_return_val_if_fail(CB_IS_SCHEDULE(self), FALSE);
	g_return_val_if_fail(!self->started, FALSE);
	if (!cb_schedule_ensure_default_series(self, error))
		return FALSE;
	self->started = TRUE;
	if (!cb_schedule_arm_all(self, error)) {
		self->started = FALSE;
		cb_schedule_cancel_timers(self);
		return FALSE;
	}
	cb_schedule_plan(self);
	return TRUE;
}

void
cb_schedule_reconfigure(CbSchedule *self, const CbConfig *config)
{
	g_autoptr(GError) error = NULL;

	g_return_if_fail(CB_IS_SCHEDULE(self));
	cb_schedule_take_settings(self, config);
	if (!self->started)
		return;
	/* the grace and horizon may have changed: every deadline again */
	if (!cb_schedule_arm_all(self, &error))
		g_warning("re-arming the session timers failed: %s", error->message);
	cb_schedule_plan(self);
}

/* --- sessions ---------------------------------------------------------------- */

CbSession *
cb_schedule_get_session(CbSchedule *self, gint64 id, GError **error)
{
	g_return_val_if_fail(CB_IS_SCHEDULE(self), NULL);
	return cb_store_session_get(self->store, id, error);
}

CbSession *
cb_schedule_current_or_next_session(CbSchedule *self, GError **error)
{
	const CbSessionState states[] = {CB_SESSION_LIVE, CB_SESSION_OPEN, CB_SESSION_SCHEDULED};

	g_return_val_if_fail(CB_IS_SCHEDULE(self), NULL);
	for (gsize s = 0; s < G_N_ELEMENTS(states); s++) {
		g_autoptr(GPtrArray) list =
			cb_store_session_list_in_state(self->store, states[s], error);
		if (list == NULL)
			return NULL;
		/* by start order: the first is the earliest */
		if (list->len > 0)
			return cb_session_copy(g_ptr_array_index(list, 0));
	}
	g_set_error_literal(error, CB_ERROR, CB_ERROR_NOT_FOUND,
			    "no session is live, open or scheduled");
	return NULL;
}

GPtrArray *
cb_schedule_list_sessions(CbSchedule *self, gint64 from, gint64 to, GError **error)
{
	g_return_val_if_fail(CB_IS_SCHEDULE(self), NULL);
	if (from != 0 && to != 0 && to <= from) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "the range must end after it starts");
		return NULL;
	}
	return cb_store_session_list(self->store, from, to, error);
}

static gboolean
cb_schedule_check_text(const char *field, const char *text, gboolean required, GError **error)
{
	g_autofree char *stripped = g_strstrip(g_strdup(text != NULL ? text : ""));

	if (required && stripped[0] == '\0') {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID, "the %s must not be empty", field);
		return FALSE;
	}
	if (text != NULL &&
	    (!g_utf8_validate(text, -1, NULL) || g_utf8_strlen(text, -1) > CB_SCHEDULE_TEXT_MAX)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "the %s must be text of at most %d characters", field,
			    CB_SCHEDULE_TEXT_MAX);
		return FALSE;
	}
	return TRUE;
}

static gboolean
cb_schedule_check_session_spec(CbSchedule *self, const CbSession *spec, GError **error)
{
	gint64 now = cb_clock_now(self->clock);

	if (!cb_schedule_check_text("title", spec->title, TRUE, error) ||
	    !cb_schedule_check_text("presiding person's title", spec->presiding, FALSE, error))
		return FALSE;
	if (spec->kind != CB_SESSION_REGULAR && spec->kind != CB_SESSION_LEADERSHIP) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "the kind must be leadership or regular");
		return FALSE;
	}
	if (spec->ends_at <= spec->starts_at ||
	    spec->ends_at - spec->starts_at > CB_SCHEDULE_DAY_US) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "a session lasts from 1 minute to 24 hours");
		return FALSE;
	}
	if (spec->ends_at <= now) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "the session would be over already: its end is in the past");
		return FALSE;
	}
	if (spec->starts_at > now + CB_SCHEDULE_AHEAD_MAX_US) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "a session may be planned at most two years ahead");
		return FALSE;
	}
	return TRUE;
}

/* refuses a new session when too many are not yet over */
static gboolean
cb_schedule_check_pending(CbSchedule *self, GError **error)
{
	const CbSessionState states[] = {CB_SESSION_SCHEDULED, CB_SESSION_OPEN, CB_SESSION_LIVE};
	guint pending = 0;

	for (gsize s = 0; s < G_N_ELEMENTS(states); s++) {
		g_autoptr(GPtrArray) list =
			cb_store_session_list_in_state(self->store, states[s], error);
		if (list == NULL)
			return FALSE;
		pending += list->len;
	}
	if (pending >= CB_SCHEDULE_MAX_PENDING) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "%u sessions are not over yet, the most the schedule keeps", pending);
		return FALSE;
	}
	return TRUE;
}

CbSession *
cb_schedule_create_session(CbSchedule *self, const CbActor *actor, const CbSession *spec,
			   GError **error)
{
	CbSession adhoc;
	g_autoptr(CbSession) session = NULL;

	g_return_val_if_fail(CB_IS_SCHEDULE(self), NULL);
	if (!cb_schedule_check_session_spec(self, spec, error) ||
	    !cb_schedule_check_pending(self, error))
		return NULL;
	adhoc = *spec;
	adhoc.series_id = 0;
	adhoc.occurrence_start = 0;
	adhoc.opens_at = cb_schedule_opens_at(self, spec->starts_at);
	session = cb_store_session_insert(self->store, actor, &adhoc, error);
	if (session == NULL)
		return NULL;
	cb_log_session(G_LOG_LEVEL_INFO, session->id, "session %" G_GINT64_FORMAT " created ad hoc",
		       session->id);
	cb_schedule_session_changed(self, session, CB_SESSION_SCHEDULED);
	/* one that starts soon opens now, not at the next turn of the loop */
	cb_schedule_catch_up_now(self, session->id);
	return cb_store_session_get(self->store, session->id, error);
}

CbSession *
cb_schedule_open_session(CbSchedule *self, const CbActor *actor, gint64 id, GError **error)
{
	g_return_val_if_fail(CB_IS_SCHEDULE(self), NULL);
	return cb_schedule_transition(self, actor, id, CB_SESSION_SCHEDULED, CB_SESSION_OPEN, NULL,
				      error);
}

CbSession *
cb_schedule_start_session(CbSchedule *self, const CbActor *actor, gint64 id, GError **error)
{
	g_return_val_if_fail(CB_IS_SCHEDULE(self), NULL);
	return cb_schedule_transition(self, actor, id, CB_SESSION_OPEN, CB_SESSION_LIVE, NULL,
				      error);
}

CbSession *
cb_schedule_end_session(CbSchedule *self, const CbActor *actor, gint64 id, GError **error)
{
	g_return_val_if_fail(CB_IS_SCHEDULE(self), NULL);
	return cb_schedule_transition(self, actor, id, CB_SESSION_LIVE, CB_SESSION_ENDED, NULL,
				      error);
}

CbSession *
cb_schedule_cancel_session(CbSchedule *self, const CbActor *actor, gint64 id, const char *reason,
			   GError **error)
{
	g_autoptr(CbSession) current = NULL;

	g_return_val_if_fail(CB_IS_SCHEDULE(self), NULL);
	if (!cb_schedule_check_reason(reason, error))
		return NULL;
	current = cb_store_session_get(self->store, id, error);
	if (current == NULL)
		return NULL;
	if (current->state != CB_SESSION_SCHEDULED && current->state != CB_SESSION_OPEN) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "session %" G_GINT64_FORMAT
			    " is %s; only a scheduled or open session can be cancelled",
			    id, cb_session_state_to_string(current->state));
		return NULL;
	}
	/* the compare-and-set catches a change between the read and the write */
	return cb_schedule_transition(self, actor, id, current->state, CB_SESSION_CANCELLED, reason,
				      error);
}
