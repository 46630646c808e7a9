#define G_LOG_DOMAIN "CbSchedule"

#include "cb-schedule-private.h"

/* the planner runs at least this often, whatever the rules say */
#define CB_SCHEDULE_PLAN_MAX_US CB_SCHEDULE_DAY_US
/* and not again sooner than this after a run */
#define CB_SCHEDULE_PLAN_MIN_US CB_SCHEDULE_MINUTE_US

char *
cb_schedule_local_date(GTimeZone *tz, gint64 now)
{
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(now / G_USEC_PER_SEC);
	g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_timezone(utc, tz) : NULL;

	return local != NULL ? g_date_time_format(local, "%Y-%m-%d") : g_strdup("1970-01-01");
}

CbSeries *
cb_schedule_series_from_config(const CbConfig *config, GTimeZone *tz, gint64 now, GError **error)
{
	g_autoptr(CbSeries) series = cb_series_new();
	g_autoptr(GError) local = NULL;

	if (!cb_series_parse_time_of_day(config->schedule_start_time, &series->start_minute)) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFIG,
			    "[schedule] start-time: '%s' is not a time of day (HH:MM)",
			    config->schedule_start_time != NULL ? config->schedule_start_time : "");
		return NULL;
	}
	if (!cb_session_kind_from_string(config->schedule_kind, &series->kind)) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFIG,
			    "[schedule] kind: '%s' is not leadership or regular",
			    config->schedule_kind != NULL ? config->schedule_kind : "");
		return NULL;
	}
	series->rrule = g_strdup(config->schedule_rrule);
	series->timezone =
		g_strdup(config->timezone != NULL ? config->timezone : "Asia/Ho_Chi_Minh");
	series->starts_on = cb_schedule_local_date(tz, now);
	series->duration_minutes = config->schedule_duration_minutes;
	series->title = g_strdup(config->schedule_title != NULL ? config->schedule_title
								: "Tiếp công dân định kỳ");
	series->presiding = g_strdup(config->schedule_presiding);
	if (!cb_series_check(series, &local)) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFIG, "[schedule]: the default series: %s",
			    local->message);
		return NULL;
	}
	return g_steal_pointer(&series);
}

gboolean
cb_schedule_ensure_default_series(CbSchedule *self, GError **error)
{
	gint64 count = 0;
	g_autoptr(CbSeries) series = NULL;

	if (self->default_series == NULL)
		return TRUE;
	if (!cb_store_series_count(self->store, &count, error))
		return FALSE;
	if (count > 0)
		return TRUE;
	/* the first date is the day the daemon first starts, not the day the
	 * configuration was read */
	g_free(self->default_series->starts_on);
	self->default_series->starts_on =
		cb_schedule_local_date(self->tz, cb_clock_now(self->clock));
	series = cb_store_series_insert(self->store, &cb_schedule_system_actor,
					self->default_series, error);
	if (series == NULL)
		return FALSE;
	g_message("created the default series %" G_GINT64_FORMAT " (%s) from the configuration",
		  series->id, series->rrule);
	return TRUE;
}

/* --- making sessions of occurrences ----------------------------------------- */

static gint64
cb_schedule_duration_us(const CbSeries *series)
{
	return (gint64)series->duration_minutes * CB_SCHEDULE_MINUTE_US;
}

static GHashTable *
cb_schedule_exceptions_by_start(GPtrArray *exceptions)
{
	GHashTable *table = g_hash_table_new(g_int64_hash, g_int64_equal);

	for (guint i = 0; i < exceptions->len; i++) {
		CbSeriesException *exception = g_ptr_array_index(exceptions, i);
		g_hash_table_insert(table, &exception->occurrence_start, exception);
	}
	return table;
}

static void
cb_schedule_materialise_one(CbSchedule *self, const CbSeries *series, gint64 original,
			    const CbSeriesException *exception, gint64 now, gint64 until)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSession) existing = NULL;
	g_autoptr(CbSession) session = NULL;
	CbSession spec = {0};
	gint64 start = original;

	if (exception != NULL && exception->state == CB_OCCURRENCE_CANCELLED)
		return;
	if (exception != NULL && exception->state == CB_OCCURRENCE_MOVED)
		start = exception->new_start;
	if (start > until || start + cb_schedule_duration_us(series) <= now)
		return;
	existing = cb_store_session_find_occurrence(self->store, series->id, original, &error);
	if (existing != NULL)
		return;
	if (!g_error_matches(error, CB_ERROR, CB_ERROR_NOT_FOUND)) {
		g_warning("series %" G_GINT64_FORMAT ": %s", series->id, error->message);
		return;
	}
	g_clear_error(&error);
	spec.series_id = series->id;
	spec.occurrence_start = original;
	spec.title = series->title;
	spec.kind = series->kind;
	spec.presiding = series->presiding;
	spec.starts_at = start;
	spec.ends_at = start + cb_schedule_duration_us(series);
	spec.opens_at = cb_schedule_opens_at(self, start);
	session = cb_store_session_insert(self->store, &cb_schedule_system_actor, &spec, &error);
	if (session == NULL) {
		/* a conflict: someone made it meanwhile, which is what we wanted */
		if (!g_error_matches(error, CB_ERROR, CB_ERROR_CONFLICT))
			g_warning("series %" G_GINT64_FORMAT ": %s", series->id, error->message);
		return;
	}
	cb_log_session(G_LOG_LEVEL_INFO, session->id,
		       "session %" G_GINT64_FORMAT " scheduled for series %" G_GINT64_FORMAT,
		       session->id, series->id);
	cb_schedule_session_changed(self, session, CB_SESSION_SCHEDULED);
	cb_schedule_catch_up_now(self, session->id);
}

/* makes the sessions of @series due by @until; returns the original start of
 * the first occurrence after @until, or 0 when there is none */
static gint64
cb_schedule_materialise(CbSchedule *self, const CbSeries *series, gint64 now, gint64 until)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) exceptions =
		cb_store_series_exception_list(self->store, series->id, &error);
	g_autoptr(GHashTable) by_start = NULL;
	g_autoptr(GArray) starts = NULL;
	g_autoptr(GArray) after = NULL;

	if (exceptions != NULL)
		starts = cb_series_expand(series, now - cb_schedule_duration_us(series), until + 1,
					  CB_SERIES_MAX_EXPANSION, &error);
	if (starts == NULL) {
		g_warning("series %" G_GINT64_FORMAT ": %s", series->id, error->message);
		return now + CB_SCHEDULE_PLAN_MAX_US;
	}
	by_start = cb_schedule_exceptions_by_start(exceptions);
	for (guint i = 0; i < starts->len; i++) {
		gint64 original = g_array_index(starts, gint64, i);
		cb_schedule_materialise_one(self, series, original,
					    g_hash_table_lookup(by_start, &original), now, until);
	}
	/* a moved occurrence may come from outside the range above */
	for (guint i = 0; i < exceptions->len; i++) {
		CbSeriesException *exception = g_ptr_array_index(exceptions, i);
		if (exception->state == CB_OCCURRENCE_MOVED)
			cb_schedule_materialise_one(self, series, exception->occurrence_start,
						    exception, now, until);
	}
	after = cb_series_expand(series, until + 1, 0, 1, NULL);
	return after != NULL && after->len > 0 ? g_array_index(after, gint64, 0) : 0;
}

static void
cb_schedule_plan_cb(gpointer user_data)
{
	CbSchedule *self = user_data;

	self->plan_timer = 0;
	cb_schedule_plan(self);
}

void
cb_schedule_plan(CbSchedule *self)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list = NULL;
	gint64 now = cb_clock_now(self->clock);
	gint64 horizon = (gint64)self->horizon_days * CB_SCHEDULE_DAY_US;
	gint64 next = now + CB_SCHEDULE_PLAN_MAX_US;

	if (!self->started)
		return;
	if (self->plan_timer != 0)
		cb_clock_cancel(self->clock, self->plan_timer);
	self->plan_timer = 0;
	list = cb_store_series_list(self->store, &error);
	if (list == NULL)
		g_warning("planning sessions failed, retrying: %s", error->message);
	for (guint i = 0; list != NULL && i < list->len; i++) {
		gint64 after = cb_schedule_materialise(self, g_ptr_array_index(list, i), now,
						       now + horizon);
		/* the next occurrence is made when it comes within the horizon */
		if (after != 0)
			next = MIN(next, after - horizon);
	}
	next = MAX(next, now + CB_SCHEDULE_PLAN_MIN_US);
	self->plan_timer = cb_clock_schedule(self->clock, next, cb_schedule_plan_cb, self, NULL);
}

/* --- series ------------------------------------------------------------------ */

GPtrArray *
cb_schedule_list_series(CbSchedule *self, GError **error)
{
	g_return_val_if_fail(CB_IS_SCHEDULE(self), NULL);
	return cb_store_series_list(self->store, error);
}

CbSeries *
cb_schedule_get_series(CbSchedule *self, gint64 id, GError **error)
{
	g_return_val_if_fail(CB_IS_SCHEDULE(self), NULL);
	return cb_store_series_get(self->store, id, error);
}

CbSeries *
cb_schedule_create_series(CbSchedule *self, const CbActor *actor, const CbSeries *spec,
			  GError **error)
{
	g_autoptr(CbSeries) filled = cb_series_new();
	g_autoptr(CbSeries) series = NULL;
	gint64 count = 0;

	g_return_val_if_fail(CB_IS_SCHEDULE(self), NULL);
	if (!cb_store_series_count(self->store, &count, error))
		return NULL;
	if (count >= CB_SCHEDULE_MAX_SERIES) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "the schedule already has %" G_GINT64_FORMAT
			    " series, the most it keeps",
			    count);
		return NULL;
	}
	g_array_unref(filled->bridge_point_ids);
	*filled = *spec;
	filled->bridge_point_ids = spec->bridge_point_ids;
	/* the zone and the first date default to the office's zone and today */
	filled->timezone = spec->timezone != NULL ? spec->timezone : self->zone_name;
	filled->starts_on = spec->starts_on != NULL
				    ? g_strdup(spec->starts_on)
				    : cb_schedule_local_date(self->tz, cb_clock_now(self->clock));
	if (cb_series_check(filled, error))
		series = cb_store_series_insert(self->store, actor, filled, error);
	/* borrowed members are not filled's to free */
	filled->rrule = NULL;
	filled->timezone = NULL;
	filled->title = NULL;
	filled->presiding = NULL;
	filled->bridge_point_ids = NULL;
	if (series == NULL)
		return NULL;
	g_info("series %" G_GINT64_FORMAT " created", series->id);
	cb_schedule_plan(self);
	return g_steal_pointer(&series);
}

/* --- occurrences ------------------------------------------------------------- */

static CbOccurrence *
cb_schedule_occurrence_new(CbSchedule *self, const CbSeries *series, gint64 original,
			   const CbSeriesException *exception, GError **error)
{
	g_autoptr(CbOccurrence) occurrence = g_new0(CbOccurrence, 1);
	g_autoptr(CbSession) session = NULL;
	g_autoptr(GError) local = NULL;

	occurrence->series_id = series->id;
	occurrence->occurrence_start = original;
	occurrence->starts_at = original;
	occurrence->state = CB_OCCURRENCE_SCHEDULED;
	if (exception != NULL) {
		occurrence->state = exception->state;
		occurrence->reason = g_strdup(exception->reason);
		if (exception->state == CB_OCCURRENCE_MOVED)
			occurrence->starts_at = exception->new_start;
	}
	occurrence->ends_at = occurrence->starts_at + cb_schedule_duration_us(series);
	session = cb_store_session_find_occurrence(self->store, series->id, original, &local);
	if (session == NULL && !g_error_matches(local, CB_ERROR, CB_ERROR_NOT_FOUND)) {
		g_propagate_error(error, g_steal_pointer(&local));
		return NULL;
	}
	if (session != NULL) {
		occurrence->session_id = session->id;
		/* staff may have cancelled the session itself */
		if (session->state == CB_SESSION_CANCELLED &&
		    occurrence->state != CB_OCCURRENCE_CANCELLED) {
			occurrence->state = CB_OCCURRENCE_CANCELLED;
			g_free(occurrence->reason);
			occurrence->reason = g_strdup(session->cancel_reason);
		}
	}
	return g_steal_pointer(&occurrence);
}

static gint
cb_schedule_compare_occurrences(gconstpointer a, gconstpointer b)
{
	const CbOccurrence *x = *(const CbOccurrence *const *)a;
	const CbOccurrence *y = *(const CbOccurrence *const *)b;

	if (x->starts_at != y->starts_at)
		return x->starts_at < y->starts_at ? -1 : 1;
	return x->occurrence_start < y->occurrence_start ? -1 : 1;
}

static gboolean
cb_schedule_check_range(gint64 from, gint64 to, GError **error)
{
	if (to <= from) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "the range must end after it starts");
		return FALSE;
	}
	if (to - from > CB_SCHEDULE_MAX_RANGE_US) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "the range may span at most two years");
		return FALSE;
	}
	return TRUE;
}

GPtrArray *
cb_schedule_list_occurrences(CbSchedule *self, gint64 series_id, gint64 from, gint64 to,
			     GError **error)
{
	g_autoptr(GPtrArray) list =
		g_ptr_array_new_with_free_func((GDestroyNotify)cb_occurrence_free);
	g_autoptr(CbSeries) series = NULL;
	g_autoptr(GPtrArray) exceptions = NULL;
	g_autoptr(GHashTable) by_start = NULL;
	g_autoptr(GArray) starts = NULL;

	g_return_val_if_fail(CB_IS_SCHEDULE(self), NULL);
	series = cb_store_series_get(self->store, series_id, error);
	if (series == NULL || !cb_schedule_check_range(from, to, error))
		return NULL;
	exceptions = cb_store_series_exception_list(self->store, series_id, error);
	if (exceptions == NULL)
		return NULL;
	starts = cb_series_expand(series, from, to, CB_SERIES_MAX_EXPANSION, error);
	if (starts == NULL)
		return NULL;
	by_start = cb_schedule_exceptions_by_start(exceptions);
	for (guint i = 0; i < exceptions->len; i++) {
		CbSeriesException *exception = g_ptr_array_index(exceptions, i);
		gint64 original = exception->occurrence_start;
		/* moved in from outside the range */
		if (exception->state == CB_OCCURRENCE_MOVED && exception->new_start >= from &&
		    exception->new_start < to && (original < from || original >= to))
			g_array_append_val(starts, original);
	}
	for (guint i = 0; i < starts->len; i++) {
		gint64 original = g_array_index(starts, gint64, i);
		CbOccurrence *occurrence = cb_schedule_occurrence_new(
			self, series, original, g_hash_table_lookup(by_start, &original), error);
		if (occurrence == NULL)
			return NULL;
		g_ptr_array_add(list, occurrence);
	}
	g_ptr_array_sort(list, cb_schedule_compare_occurrences);
	return g_steal_pointer(&list);
}

/* the series, when @original is one of its occurrences */
static CbSeries *
cb_schedule_find_occurrence(CbSchedule *self, gint64 series_id, gint64 original, GError **error)
{
	g_autoptr(CbSeries) series = cb_store_series_get(self->store, series_id, error);
	g_autoptr(GError) local = NULL;

	if (series == NULL)
		return NULL;
	if (!cb_series_has_occurrence(series, original, &local)) {
		g_autofree char *when = cb_time_format_utc(original);
		if (local != NULL)
			g_propagate_error(error, g_steal_pointer(&local));
		else
			g_set_error(error, CB_ERROR, CB_ERROR_NOT_FOUND,
				    "series %" G_GINT64_FORMAT " has no occurrence starting at %s",
				    series_id, when);
		return NULL;
	}
	return g_steal_pointer(&series);
}

static CbOccurrence *
cb_schedule_occurrence_after_change(CbSchedule *self, const CbSeries *series, gint64 original,
				    const CbSeriesException *exception, CbSession *session,
				    CbSessionState previous, GError **error)
{
	if (session != NULL) {
		cb_log_session(G_LOG_LEVEL_INFO, session->id,
			       "session %" G_GINT64_FORMAT " follows its occurrence: %s",
			       session->id, cb_session_state_to_string(session->state));
		cb_schedule_session_changed(self, session, previous);
	}
	/* a move may bring it within the horizon, or take it out */
	cb_schedule_plan(self);
	return cb_schedule_occurrence_new(self, series, original, exception, error);
}

static CbSessionState
cb_schedule_occurrence_session_state(CbSchedule *self, gint64 series_id, gint64 original)
{
	g_autoptr(CbSession) session =
		cb_store_session_find_occurrence(self->store, series_id, original, NULL);

	return session != NULL ? session->state : CB_SESSION_SCHEDULED;
}

CbOccurrence *
cb_schedule_move_occurrence(CbSchedule *self, const CbActor *actor, gint64 series_id,
			    gint64 occurrence_start, gint64 new_start, const char *reason,
			    GError **error)
{
	g_autoptr(CbSeries) series = NULL;
	g_autoptr(CbSeriesException) exception = NULL;
	g_autoptr(CbSession) session = NULL;
	gint64 now = cb_clock_now(self->clock);

	g_return_val_if_fail(CB_IS_SCHEDULE(self), NULL);
	series = cb_schedule_find_occurrence(self, series_id, occurrence_start, error);
	if (series == NULL || !cb_schedule_check_reason(reason, error))
		return NULL;
	if (new_start <= now || new_start - now > CB_SCHEDULE_MAX_RANGE_US) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "the new start must be in the future, at most two years ahead");
		return NULL;
	}
	exception = cb_store_occurrence_move(self->store, actor, series_id, occurrence_start,
					     new_start, new_start + cb_schedule_duration_us(series),
					     cb_schedule_opens_at(self, new_start), reason,
					     &session, error);
	if (exception == NULL)
		return NULL;
	return cb_schedule_occurrence_after_change(self, series, occurrence_start, exception,
						   session, CB_SESSION_SCHEDULED, error);
}

CbOccurrence *
cb_schedule_cancel_occurrence(CbSchedule *self, const CbActor *actor, gint64 series_id,
			      gint64 occurrence_start, const char *reason, GError **error)
{
	g_autoptr(CbSeries) series = NULL;
	g_autoptr(CbSeriesException) exception = NULL;
	g_autoptr(CbSession) session = NULL;
	CbSessionState previous;

	g_return_val_if_fail(CB_IS_SCHEDULE(self), NULL);
	series = cb_schedule_find_occurrence(self, series_id, occurrence_start, error);
	if (series == NULL || !cb_schedule_check_reason(reason, error))
		return NULL;
	previous = cb_schedule_occurrence_session_state(self, series_id, occurrence_start);
	exception = cb_store_occurrence_cancel(self->store, actor, series_id, occurrence_start,
					       reason, &session, error);
	if (exception == NULL)
		return NULL;
	/* a session cancelled earlier by staff did not change now */
	if (session != NULL && previous == CB_SESSION_CANCELLED)
		g_clear_pointer(&session, cb_session_free);
	return cb_schedule_occurrence_after_change(self, series, occurrence_start, exception,
						   session, previous, error);
}
