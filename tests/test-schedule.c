/* the schedule: rules, occurrences, sessions and their timers on a fake clock */
#include <glib/gstdio.h>
#include <string.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-schedule.h"
#include "civic-bridge/cb-store.h"

#define SEC    G_USEC_PER_SEC
#define MINUTE (G_GINT64_CONSTANT(60) * SEC)
#define HOUR   (60 * MINUTE)
#define DAY    (24 * HOUR)
/* 2026-01-01T00:00:00Z, 07:00 in Hanoi */
#define JAN_1_2026 (G_GINT64_CONSTANT(1767225600) * SEC)

/* the third Tuesdays of 2026 at 08:00 in Hanoi, 01:00 UTC */
static const char *const third_tuesdays_2026[] = {
	"2026-01-20T01:00:00Z", "2026-02-17T01:00:00Z", "2026-03-17T01:00:00Z",
	"2026-04-21T01:00:00Z", "2026-05-19T01:00:00Z", "2026-06-16T01:00:00Z",
	"2026-07-21T01:00:00Z", "2026-08-18T01:00:00Z", "2026-09-15T01:00:00Z",
	"2026-10-20T01:00:00Z", "2026-11-17T01:00:00Z", "2026-12-15T01:00:00Z",
};

typedef struct {
	gint64 session_id;
	CbSessionState previous;
	CbSessionState state;
	gint64 at; /* the clock when it was emitted */
	char *reason;
} Change;

static void
change_free(Change *change)
{
	g_free(change->reason);
	g_free(change);
}

typedef struct {
	char *dir;
	char *path;
	CbClock *clock;
	CbConfig *config;
	CbStore *store;
	CbSchedule *schedule;
	GPtrArray *changes;
	CbActor staff;
} Fixture;

static gint64
utc(const char *text)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(text, NULL);

	g_assert_nonnull(dt);
	return g_date_time_to_unix(dt) * SEC;
}

static void
session_changed_cb(CbSchedule *schedule, gpointer session_ptr, guint previous, gpointer data)
{
	Fixture *f = data;
	const CbSession *session = session_ptr;
	Change *change = g_new0(Change, 1);

	change->session_id = session->id;
	change->previous = (CbSessionState)previous;
	change->state = session->state;
	change->at = cb_clock_now(f->clock);
	change->reason = g_strdup(session->cancel_reason);
	g_ptr_array_add(f->changes, change);
}

/* opens the store and a schedule on it; connected before the start, so the
 * catch-up is seen */
static void
open_schedule(Fixture *f)
{
	g_autoptr(GError) error = NULL;

	f->store = cb_store_open(f->path, f->clock, &error);
	g_assert_no_error(error);
	f->schedule = cb_schedule_new(f->store, f->clock, f->config, &error);
	g_assert_no_error(error);
	g_signal_connect(f->schedule, "session-changed", G_CALLBACK(session_changed_cb), f);
}

static void
start_schedule(Fixture *f)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(cb_schedule_start(f->schedule, &error));
	g_assert_no_error(error);
}

static void
close_schedule(Fixture *f)
{
	g_clear_object(&f->schedule);
	g_clear_object(&f->store);
	/* a disposed schedule leaves no timer behind */
	g_assert_cmpuint(cb_clock_pending(f->clock), ==, 0);
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->dir = g_dir_make_tmp("cb-schedule-XXXXXX", &error);
	g_assert_no_error(error);
	f->path = g_build_filename(f->dir, "civic-bridge.db", NULL);
	f->clock = cb_clock_new_fake(JAN_1_2026);
	f->config = cb_config_new_defaults();
	f->changes = g_ptr_array_new_with_free_func((GDestroyNotify)change_free);
	f->staff = (CbActor){.token_id = 7, .role = CB_ROLE_STAFF, .via = "test"};
	/* most tests bring their own series */
	g_clear_pointer(&f->config->schedule_rrule, g_free);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_autoptr(GDir) dir = NULL;
	const char *name;

	close_schedule(f);
	dir = g_dir_open(f->dir, 0, NULL);
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *child = g_build_filename(f->dir, name, NULL);
		g_unlink(child);
	}
	g_rmdir(f->dir);
	g_free(f->dir);
	g_free(f->path);
	g_ptr_array_unref(f->changes);
	cb_config_free(f->config);
	g_object_unref(f->clock);
}

static CbSeries *
make_spec(const char *rrule)
{
	CbSeries *spec = cb_series_new();

	spec->rrule = g_strdup(rrule);
	spec->starts_on = g_strdup("2026-01-01");
	spec->start_minute = 8 * 60;
	spec->duration_minutes = 210;
	spec->kind = CB_SESSION_LEADERSHIP;
	spec->title = g_strdup("Tiếp công dân định kỳ");
	spec->presiding = g_strdup("Chủ tịch UBND Thành phố");
	return spec;
}

static CbSeries *
create_series(Fixture *f, const char *rrule)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSeries) spec = make_spec(rrule);
	CbSeries *series = cb_schedule_create_series(f->schedule, &f->staff, spec, &error);

	g_assert_no_error(error);
	g_assert_nonnull(series);
	return series;
}

static CbSession *
session_at(Fixture *f, gint64 series_id, const char *original)
{
	g_autoptr(GError) error = NULL;
	CbSession *session =
		cb_store_session_find_occurrence(f->store, series_id, utc(original), &error);

	g_assert_no_error(error);
	return session;
}

static gboolean
has_session_at(Fixture *f, gint64 series_id, const char *original)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSession) session =
		cb_store_session_find_occurrence(f->store, series_id, utc(original), &error);

	if (session == NULL)
		g_assert_error(error, CB_ERROR, CB_ERROR_NOT_FOUND);
	return session != NULL;
}

/* --- rules ----------------------------------------------------------------- */

static void
test_third_tuesdays_2026(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSeries) spec = make_spec("FREQ=MONTHLY;BYDAY=3TU");
	g_autoptr(GArray) starts = NULL;
	g_autoptr(GPtrArray) occurrences = NULL;
	g_autoptr(CbSeries) series = NULL;

	spec->timezone = g_strdup("Asia/Ho_Chi_Minh");
	starts = cb_series_expand(spec, utc("2026-01-01T00:00:00Z"), utc("2027-01-01T00:00:00Z"),
				  100, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(starts->len, ==, G_N_ELEMENTS(third_tuesdays_2026));
	for (guint i = 0; i < starts->len; i++) {
		g_autofree char *text = cb_time_format_utc(g_array_index(starts, gint64, i));
		g_assert_cmpstr(text, ==, third_tuesdays_2026[i]);
	}
	/* the same through the schedule, which starts mid-way with no COUNT */
	open_schedule(f);
	start_schedule(f);
	series = create_series(f, "FREQ=MONTHLY;BYDAY=3TU");
	g_assert_cmpstr(series->timezone, ==, "Asia/Ho_Chi_Minh");
	occurrences =
		cb_schedule_list_occurrences(f->schedule, series->id, utc("2026-04-01T00:00:00Z"),
					     utc("2026-07-01T00:00:00Z"), &error);
	g_assert_no_error(error);
	g_assert_cmpuint(occurrences->len, ==, 3);
	for (guint i = 0; i < occurrences->len; i++) {
		CbOccurrence *occurrence = g_ptr_array_index(occurrences, i);
		g_autofree char *text = cb_time_format_utc(occurrence->starts_at);
		g_assert_cmpstr(text, ==, third_tuesdays_2026[3 + i]);
		g_assert_cmpint(occurrence->state, ==, CB_OCCURRENCE_SCHEDULED);
		g_assert_cmpint(occurrence->ends_at - occurrence->starts_at, ==, 210 * MINUTE);
		/* beyond the 60-day horizon: no session yet */
		g_assert_cmpint(occurrence->session_id, ==, 0);
	}
	g_assert_true(cb_series_has_occurrence(spec, utc("2026-05-19T01:00:00Z"), NULL));
	g_assert_false(cb_series_has_occurrence(spec, utc("2026-05-19T01:00:01Z"), NULL));
	g_assert_false(cb_series_has_occurrence(spec, utc("2026-05-20T01:00:00Z"), NULL));
}

static void
test_invalid_rules_refused(Fixture *f, gconstpointer data)
{
	const struct {
		const char *rrule;
		const char *zone;
		const char *reason;
	} cases[] = {
		{"FREQ=MONTHLY;BYDAY=9TU", NULL, "yields no occurrence"},
		{"BYDAY=3TU", NULL, "has no FREQ"},
		{"garbage", NULL, "not an RFC 5545 RRULE"},
		{"FREQ=MONTHLY;COUNT=0", NULL, "COUNT=0"},
		{"FREQ=MONTHLY;BYDAY=3TU", "Mars/Olympus_Mons", "not a known time zone"},
		{"FREQ=FORTNIGHTLY", NULL, "not an RFC 5545 RRULE"},
		{"FREQ=HOURLY", NULL, "more often than daily"},
		{"FREQ=DAILY;BYHOUR=9", NULL, "BYHOUR"},
		{"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", NULL, "yields no occurrence"},
		{"FREQ=MONTHLY;UNTIL=20250101T000000Z", NULL, "yields no occurrence"},
		{"FREQ=DAILY;COUNT=99999", NULL, "COUNT over"},
		{"", NULL, "empty"},
	};
	g_autoptr(GPtrArray) series = NULL;
	g_autoptr(GError) error = NULL;

	open_schedule(f);
	start_schedule(f);
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(CbSeries) spec = make_spec(cases[i].rrule);
		g_autoptr(CbSeries) made = NULL;
		g_autoptr(GError) local = NULL;

		spec->timezone = g_strdup(cases[i].zone);
		made = cb_schedule_create_series(f->schedule, &f->staff, spec, &local);
		g_test_message("%s: %s", cases[i].rrule, local != NULL ? local->message : "(none)");
		g_assert_null(made);
		g_assert_error(local, CB_ERROR, CB_ERROR_INVALID);
		g_assert_nonnull(strstr(local->message, cases[i].reason));
	}
	/* and the other fields */
	{
		g_autoptr(CbSeries) spec = make_spec("FREQ=WEEKLY");
		g_autoptr(GError) local = NULL;
		g_free(spec->starts_on);
		spec->starts_on = g_strdup("2026-02-30");
		g_assert_null(cb_schedule_create_series(f->schedule, &f->staff, spec, &local));
		g_assert_error(local, CB_ERROR, CB_ERROR_INVALID);
	}
	{
		g_autoptr(CbSeries) spec = make_spec("FREQ=WEEKLY");
		g_autoptr(GError) local = NULL;
		spec->duration_minutes = 0;
		g_assert_null(cb_schedule_create_series(f->schedule, &f->staff, spec, &local));
		g_assert_error(local, CB_ERROR, CB_ERROR_INVALID);
	}
	{
		g_autoptr(CbSeries) spec = make_spec("FREQ=WEEKLY");
		g_autoptr(GError) local = NULL;
		gint64 missing = 404;
		g_array_append_val(spec->bridge_point_ids, missing);
		g_assert_null(cb_schedule_create_series(f->schedule, &f->staff, spec, &local));
		g_assert_error(local, CB_ERROR, CB_ERROR_INVALID);
		g_assert_nonnull(strstr(local->message, "no bridge point has id 404"));
	}
	/* nothing was stored, and nothing half-way */
	series = cb_schedule_list_series(f->schedule, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(series->len, ==, 0);
	g_assert_cmpuint(f->changes->len, ==, 0);
}

/* --- occurrences ------------------------------------------------------------ */

static CbOccurrence *
find_listed(GPtrArray *list, const char *original)
{
	for (guint i = 0; i < list->len; i++) {
		CbOccurrence *occurrence = g_ptr_array_index(list, i);
		if (occurrence->occurrence_start == utc(original))
			return occurrence;
	}
	g_error("no occurrence at %s in the list", original);
}

static gboolean
audit_has(Fixture *f, const char *action, const char *target)
{
	g_autoptr(GPtrArray) entries = cb_store_audit_list(f->store, 0, 1000, NULL);

	for (guint i = 0; entries != NULL && i < entries->len; i++) {
		CbAuditEntry *entry = g_ptr_array_index(entries, i);
		if (g_str_equal(entry->action, action) && g_strcmp0(entry->target, target) == 0)
			return TRUE;
	}
	return FALSE;
}

static void
test_move_and_cancel_occurrences(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSeries) series = NULL;
	g_autoptr(CbSeries) after = NULL;
	g_autoptr(CbOccurrence) moved = NULL;
	g_autoptr(CbOccurrence) cancelled = NULL;
	g_autoptr(CbOccurrence) cancelled_far = NULL;
	g_autoptr(CbOccurrence) pulled = NULL;
	g_autoptr(CbSession) feb = NULL;
	g_autoptr(CbSession) jan = NULL;
	g_autoptr(GPtrArray) list = NULL;
	g_autofree char *target = NULL;
	CbOccurrence *listed;

	open_schedule(f);
	start_schedule(f);
	series = create_series(f, "FREQ=MONTHLY;BYDAY=3TU");
	/* within 60 days of Jan 1: Jan 20 and Feb 17 */
	g_assert_true(has_session_at(f, series->id, "2026-01-20T01:00:00Z"));
	g_assert_true(has_session_at(f, series->id, "2026-02-17T01:00:00Z"));
	g_assert_false(has_session_at(f, series->id, "2026-03-17T01:00:00Z"));

	/* Feb 17 moves to Feb 18, 14:00 local; its session follows */
	moved = cb_schedule_move_occurrence(
		f->schedule, &f->staff, series->id, utc("2026-02-17T01:00:00Z"),
		utc("2026-02-18T07:00:00Z"), "Chủ tịch đi công tác", &error);
	g_assert_no_error(error);
	g_assert_cmpint(moved->state, ==, CB_OCCURRENCE_MOVED);
	g_assert_cmpint(moved->starts_at, ==, utc("2026-02-18T07:00:00Z"));
	g_assert_cmpstr(moved->reason, ==, "Chủ tịch đi công tác");
	feb = session_at(f, series->id, "2026-02-17T01:00:00Z");
	g_assert_cmpint(feb->starts_at, ==, utc("2026-02-18T07:00:00Z"));
	g_assert_cmpint(feb->ends_at, ==, utc("2026-02-18T07:00:00Z") + 210 * MINUTE);
	g_assert_cmpint(feb->opens_at, ==, utc("2026-02-18T07:00:00Z") - 30 * MINUTE);
	g_assert_cmpint(feb->state, ==, CB_SESSION_SCHEDULED);
	g_assert_cmpint(moved->session_id, ==, feb->id);

	/* Jan 20 is cancelled with its session */
	cancelled = cb_schedule_cancel_occurrence(f->schedule, &f->staff, series->id,
						  utc("2026-01-20T01:00:00Z"), "Tết", &error);
	g_assert_no_error(error);
	g_assert_cmpint(cancelled->state, ==, CB_OCCURRENCE_CANCELLED);
	jan = session_at(f, series->id, "2026-01-20T01:00:00Z");
	g_assert_cmpint(jan->state, ==, CB_SESSION_CANCELLED);
	g_assert_cmpstr(jan->cancel_reason, ==, "Tết");

	/* Apr 21, beyond the horizon, is cancelled before it has a session */
	cancelled_far = cb_schedule_cancel_occurrence(
		f->schedule, &f->staff, series->id, utc("2026-04-21T01:00:00Z"), "bầu cử", &error);
	g_assert_no_error(error);
	g_assert_cmpint(cancelled_far->session_id, ==, 0);

	/* May 19 is brought forward into the horizon: it gets its session now */
	pulled = cb_schedule_move_occurrence(f->schedule, &f->staff, series->id,
					     utc("2026-05-19T01:00:00Z"),
					     utc("2026-02-24T01:00:00Z"), "lịch mới", &error);
	g_assert_no_error(error);
	g_assert_cmpint(pulled->session_id, !=, 0);

	/* what may not be done */
	g_assert_null(cb_schedule_move_occurrence(f->schedule, &f->staff, series->id,
						  utc("2026-01-20T01:00:00Z"),
						  utc("2026-01-21T01:00:00Z"), "x", &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
	g_clear_error(&error);
	g_assert_null(cb_schedule_cancel_occurrence(f->schedule, &f->staff, series->id,
						    utc("2026-01-20T01:00:00Z"), "again", &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
	g_clear_error(&error);
	g_assert_null(cb_schedule_move_occurrence(f->schedule, &f->staff, series->id,
						  utc("2026-01-21T01:00:00Z"),
						  utc("2026-01-22T01:00:00Z"), "not one", &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_NOT_FOUND);
	g_clear_error(&error);
	g_assert_null(cb_schedule_move_occurrence(f->schedule, &f->staff, series->id,
						  utc("2026-03-17T01:00:00Z"),
						  utc("2026-03-18T01:00:00Z"), "  ", &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID);
	g_clear_error(&error);
	g_assert_null(cb_schedule_move_occurrence(f->schedule, &f->staff, series->id,
						  utc("2026-03-17T01:00:00Z"),
						  utc("2025-12-01T01:00:00Z"), "past", &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID);
	g_clear_error(&error);
	g_assert_null(cb_schedule_cancel_occurrence(f->schedule, &f->staff, series->id + 1,
						    utc("2026-03-17T01:00:00Z"), "x", &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_NOT_FOUND);
	g_clear_error(&error);

	/* the listing says what happened to each */
	list = cb_schedule_list_occurrences(f->schedule, series->id, utc("2026-01-01T00:00:00Z"),
					    utc("2026-07-01T00:00:00Z"), &error);
	g_assert_no_error(error);
	g_assert_cmpuint(list->len, ==, 6);
	listed = find_listed(list, "2026-02-17T01:00:00Z");
	g_assert_cmpint(listed->state, ==, CB_OCCURRENCE_MOVED);
	listed = find_listed(list, "2026-01-20T01:00:00Z");
	g_assert_cmpint(listed->state, ==, CB_OCCURRENCE_CANCELLED);
	g_assert_cmpstr(listed->reason, ==, "Tết");
	listed = find_listed(list, "2026-03-17T01:00:00Z");
	g_assert_cmpint(listed->state, ==, CB_OCCURRENCE_SCHEDULED);
	/* by effective start: the pulled May occurrence comes before March */
	g_assert_cmpint(((CbOccurrence *)g_ptr_array_index(list, 2))->occurrence_start, ==,
			utc("2026-05-19T01:00:00Z"));

	/* the cancelled April occurrence never gets a session */
	cb_clock_advance(f->clock, 110 * DAY);
	g_assert_false(has_session_at(f, series->id, "2026-04-21T01:00:00Z"));
	g_assert_true(has_session_at(f, series->id, "2026-06-16T01:00:00Z"));

	/* the series itself is untouched; each change is audited */
	after = cb_schedule_get_series(f->schedule, series->id, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(after->rrule, ==, "FREQ=MONTHLY;BYDAY=3TU");
	g_assert_cmpint(after->updated_at, ==, series->updated_at);
	target = g_strdup_printf("series:%" G_GINT64_FORMAT "@2026-02-17T01:00:00Z", series->id);
	g_assert_true(audit_has(f, "occurrence.move", target));
	g_free(target);
	target = g_strdup_printf("series:%" G_GINT64_FORMAT "@2026-01-20T01:00:00Z", series->id);
	g_assert_true(audit_has(f, "occurrence.cancel", target));
}

static void
test_occurrence_range_bounded(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSeries) series = NULL;
	g_autoptr(GPtrArray) two_years = NULL;

	open_schedule(f);
	start_schedule(f);
	series = create_series(f, "FREQ=DAILY");
	two_years = cb_schedule_list_occurrences(f->schedule, series->id, JAN_1_2026,
						 JAN_1_2026 + 730 * DAY, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(two_years->len, ==, 730);
	g_assert_null(cb_schedule_list_occurrences(f->schedule, series->id, JAN_1_2026,
						   JAN_1_2026 + 800 * DAY, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID);
	g_clear_error(&error);
	g_assert_null(cb_schedule_list_occurrences(f->schedule, series->id, JAN_1_2026,
						   JAN_1_2026 - DAY, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID);
}

/* --- sessions and timers ------------------------------------------------------ */

static guint
count_changes(Fixture *f, gint64 session_id, CbSessionState state)
{
	guint n = 0;

	for (guint i = 0; i < f->changes->len; i++) {
		Change *change = g_ptr_array_index(f->changes, i);
		if (change->session_id == session_id && change->state == state &&
		    change->previous != state)
			n++;
	}
	return n;
}

static const Change *
find_change(Fixture *f, gint64 session_id, CbSessionState state)
{
	for (guint i = 0; i < f->changes->len; i++) {
		Change *change = g_ptr_array_index(f->changes, i);
		if (change->session_id == session_id && change->state == state &&
		    change->previous != state)
			return change;
	}
	return NULL;
}

static const Change *
must_change(Fixture *f, gint64 session_id, CbSessionState state)
{
	const Change *change = find_change(f, session_id, state);

	if (change == NULL)
		g_error("session %" G_GINT64_FORMAT " never became %s", session_id,
			cb_session_state_to_string(state));
	return change;
}

/* takes the address of the error: C does not say whether an argument is read
 * before or after the call beside it */
static void
assert_conflict(CbSession *session, GError **error, const char *state)
{
	g_assert_null(session);
	g_assert_error(*error, CB_ERROR, CB_ERROR_CONFLICT);
	g_assert_nonnull(strstr((*error)->message, state));
	g_clear_error(error);
}

static void
test_timers_over_three_months(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSeries) series = NULL;
	g_autoptr(CbSession) jan = NULL;
	g_autoptr(CbSession) feb = NULL;
	g_autoptr(CbSession) mar = NULL;
	g_autoptr(CbSession) started = NULL;
	g_autoptr(CbSession) cancelled = NULL;
	const Change *change;
	gint64 jan_opens = utc("2026-01-20T00:30:00Z");
	g_autofree char *feb_target = NULL;

	open_schedule(f);
	start_schedule(f);
	series = create_series(f, "FREQ=MONTHLY;BYDAY=3TU");
	jan = session_at(f, series->id, "2026-01-20T01:00:00Z");
	g_assert_cmpint(jan->opens_at, ==, jan_opens);

	/* forbidden while scheduled */
	assert_conflict(cb_schedule_start_session(f->schedule, &f->staff, jan->id, &error), &error,
			"scheduled");
	assert_conflict(cb_schedule_end_session(f->schedule, &f->staff, jan->id, &error), &error,
			"scheduled");

	/* a microsecond before 07:30 local nothing has happened */
	cb_clock_advance(f->clock, jan_opens - 1 - cb_clock_now(f->clock));
	g_assert_null(find_change(f, jan->id, CB_SESSION_OPEN));
	cb_clock_advance(f->clock, 1);
	change = must_change(f, jan->id, CB_SESSION_OPEN);
	g_assert_cmpint(change->at, ==, jan_opens);
	g_assert_cmpint(change->previous, ==, CB_SESSION_SCHEDULED);

	/* forbidden while open; staff start it */
	assert_conflict(cb_schedule_open_session(f->schedule, &f->staff, jan->id, &error), &error,
			"open");
	assert_conflict(cb_schedule_end_session(f->schedule, &f->staff, jan->id, &error), &error,
			"open");
	cb_clock_advance(f->clock, 30 * MINUTE);
	started = cb_schedule_start_session(f->schedule, &f->staff, jan->id, &error);
	g_assert_no_error(error);
	g_assert_cmpint(started->state, ==, CB_SESSION_LIVE);
	assert_conflict(cb_schedule_cancel_session(f->schedule, &f->staff, jan->id, "late", &error),
			&error, "live");

	/* three months in one go: the live one ends itself an hour after 11:30 */
	cb_clock_advance(f->clock, 90 * DAY);
	change = must_change(f, jan->id, CB_SESSION_ENDED);
	g_assert_cmpint(change->at, ==, utc("2026-01-20T05:30:00Z"));
	assert_conflict(cb_schedule_end_session(f->schedule, &f->staff, jan->id, &error), &error,
			"ended");
	assert_conflict(cb_schedule_cancel_session(f->schedule, &f->staff, jan->id, "x", &error),
			&error, "ended");

	/* Feb and Mar opened at their own 07:30 and, never started, were
	 * cancelled an hour after their end */
	feb = session_at(f, series->id, "2026-02-17T01:00:00Z");
	mar = session_at(f, series->id, "2026-03-17T01:00:00Z");
	feb_target = g_strdup_printf("session:%" G_GINT64_FORMAT, feb->id);
	g_assert_cmpint(must_change(f, feb->id, CB_SESSION_OPEN)->at, ==,
			utc("2026-02-17T00:30:00Z"));
	g_assert_cmpint(must_change(f, mar->id, CB_SESSION_OPEN)->at, ==,
			utc("2026-03-17T00:30:00Z"));
	change = must_change(f, mar->id, CB_SESSION_CANCELLED);
	g_assert_cmpint(change->at, ==, utc("2026-03-17T05:30:00Z"));
	g_assert_nonnull(strstr(change->reason, "not started"));
	g_assert_cmpint(mar->state, ==, CB_SESSION_CANCELLED);
	/* on Apr 20 the sessions until Jun 19, 60 days ahead, are made */
	g_assert_true(has_session_at(f, series->id, "2026-04-21T01:00:00Z"));
	g_assert_true(has_session_at(f, series->id, "2026-05-19T01:00:00Z"));
	g_assert_true(has_session_at(f, series->id, "2026-06-16T01:00:00Z"));
	g_assert_false(has_session_at(f, series->id, "2026-07-21T01:00:00Z"));

	/* once per transition, never more */
	g_assert_cmpuint(count_changes(f, jan->id, CB_SESSION_OPEN), ==, 1);
	g_assert_cmpuint(count_changes(f, jan->id, CB_SESSION_LIVE), ==, 1);
	g_assert_cmpuint(count_changes(f, jan->id, CB_SESSION_ENDED), ==, 1);
	g_assert_cmpuint(count_changes(f, feb->id, CB_SESSION_OPEN), ==, 1);
	g_assert_cmpuint(count_changes(f, feb->id, CB_SESSION_CANCELLED), ==, 1);
	g_assert_cmpuint(count_changes(f, mar->id, CB_SESSION_CANCELLED), ==, 1);
	/* Jan 20, Feb 17, Mar 17, Apr 21, May 19: each created once */
	for (guint i = 0; i < 5; i++) {
		g_autoptr(CbSession) s = session_at(f, series->id, third_tuesdays_2026[i]);
		guint created = 0;
		for (guint j = 0; j < f->changes->len; j++) {
			Change *c = g_ptr_array_index(f->changes, j);
			created += c->session_id == s->id && c->previous == CB_SESSION_SCHEDULED &&
				   c->state == CB_SESSION_SCHEDULED;
		}
		g_assert_cmpuint(created, ==, 1);
	}
	/* each transition was audited as the system or the staff member */
	g_assert_true(audit_has(f, "session.open", feb_target));

	/* staff may cancel an open session, with a reason */
	cb_clock_advance(f->clock, utc("2026-04-21T00:45:00Z") - cb_clock_now(f->clock));
	{
		g_autoptr(CbSession) apr = session_at(f, series->id, "2026-04-21T01:00:00Z");
		g_assert_cmpint(apr->state, ==, CB_SESSION_OPEN);
		g_assert_null(
			cb_schedule_cancel_session(f->schedule, &f->staff, apr->id, NULL, &error));
		g_assert_error(error, CB_ERROR, CB_ERROR_INVALID);
		g_clear_error(&error);
		cancelled = cb_schedule_cancel_session(f->schedule, &f->staff, apr->id, "mưa bão",
						       &error);
		g_assert_no_error(error);
		g_assert_cmpint(cancelled->state, ==, CB_SESSION_CANCELLED);
		g_assert_cmpstr(cancelled->cancel_reason, ==, "mưa bão");
	}
}

static void
test_catch_up_on_start(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSeries) series = NULL;
	g_autoptr(CbSession) jan = NULL;
	g_autoptr(CbSession) feb = NULL;
	g_autoptr(CbSession) now_open = NULL;
	gint64 series_id, jan_id, feb_id;

	open_schedule(f);
	start_schedule(f);
	series = create_series(f, "FREQ=MONTHLY;BYDAY=3TU");
	series_id = series->id;
	jan = session_at(f, series_id, "2026-01-20T01:00:00Z");
	feb = session_at(f, series_id, "2026-02-17T01:00:00Z");
	jan_id = jan->id;
	feb_id = feb->id;

	/* down from Jan 1 to Jan 20, 08:10 local: the January session's
	 * waiting room should have opened at 07:30 */
	close_schedule(f);
	cb_clock_advance(f->clock, utc("2026-01-20T01:10:00Z") - cb_clock_now(f->clock));
	g_ptr_array_set_size(f->changes, 0);
	open_schedule(f);
	start_schedule(f);
	now_open = cb_schedule_get_session(f->schedule, jan_id, &error);
	g_assert_no_error(error);
	g_assert_cmpint(now_open->state, ==, CB_SESSION_OPEN);
	g_assert_cmpuint(count_changes(f, jan_id, CB_SESSION_OPEN), ==, 1);
	g_assert_cmpint(must_change(f, jan_id, CB_SESSION_OPEN)->at, ==,
			utc("2026-01-20T01:10:00Z"));
	g_assert_cmpuint(count_changes(f, feb_id, CB_SESSION_OPEN), ==, 0);

	/* down again over the whole February session: it is marked missed, not
	 * left scheduled */
	close_schedule(f);
	cb_clock_advance(f->clock, utc("2026-02-18T00:00:00Z") - cb_clock_now(f->clock));
	g_ptr_array_set_size(f->changes, 0);
	open_schedule(f);
	start_schedule(f);
	g_clear_pointer(&feb, cb_session_free);
	feb = cb_schedule_get_session(f->schedule, feb_id, &error);
	g_assert_cmpint(feb->state, ==, CB_SESSION_CANCELLED);
	g_assert_nonnull(strstr(feb->cancel_reason, "missed"));
	/* the open January session was never started: cancelled */
	g_clear_pointer(&jan, cb_session_free);
	jan = cb_schedule_get_session(f->schedule, jan_id, &error);
	g_assert_cmpint(jan->state, ==, CB_SESSION_CANCELLED);
	g_assert_cmpuint(count_changes(f, feb_id, CB_SESSION_CANCELLED), ==, 1);
	g_assert_cmpuint(count_changes(f, jan_id, CB_SESSION_CANCELLED), ==, 1);
}

static void
test_current_or_next(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSeries) series = NULL;
	g_autoptr(CbSession) next = NULL;
	g_autoptr(CbSession) open = NULL;
	g_autoptr(CbSession) live = NULL;
	g_autoptr(CbSession) jan = NULL;
	g_autoptr(CbSession) adhoc = NULL;
	g_autoptr(CbSession) started = NULL;
	CbSession spec = {.title = "Tiếp đột xuất", .kind = CB_SESSION_REGULAR};

	open_schedule(f);
	start_schedule(f);
	g_assert_null(cb_schedule_current_or_next_session(f->schedule, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_NOT_FOUND);
	g_clear_error(&error);

	series = create_series(f, "FREQ=MONTHLY;BYDAY=3TU");
	jan = session_at(f, series->id, "2026-01-20T01:00:00Z");
	next = cb_schedule_current_or_next_session(f->schedule, &error);
	g_assert_no_error(error);
	g_assert_cmpint(next->id, ==, jan->id);

	/* an ad-hoc session starting in 10 minutes opens at once */
	spec.starts_at = cb_clock_now(f->clock) + 10 * MINUTE;
	spec.ends_at = spec.starts_at + HOUR;
	adhoc = cb_schedule_create_session(f->schedule, &f->staff, &spec, &error);
	g_assert_no_error(error);
	g_assert_cmpint(adhoc->state, ==, CB_SESSION_OPEN);
	g_assert_cmpint(adhoc->series_id, ==, 0);
	open = cb_schedule_current_or_next_session(f->schedule, &error);
	g_assert_cmpint(open->id, ==, adhoc->id);

	started = cb_schedule_start_session(f->schedule, &f->staff, adhoc->id, &error);
	g_assert_no_error(error);
	live = cb_schedule_current_or_next_session(f->schedule, &error);
	g_assert_cmpint(live->id, ==, adhoc->id);
	g_assert_cmpint(live->state, ==, CB_SESSION_LIVE);
}

static void
test_adhoc_session_checks(Fixture *f, gconstpointer data)
{
	gint64 now = JAN_1_2026;
	const struct {
		const char *title;
		CbSessionKind kind;
		gint64 starts_at;
		gint64 ends_at;
	} bad[] = {
		{"", CB_SESSION_REGULAR, now + HOUR, now + 2 * HOUR},
		{"x", (CbSessionKind)7, now + HOUR, now + 2 * HOUR},
		{"x", CB_SESSION_REGULAR, now + HOUR, now + HOUR},
		{"x", CB_SESSION_REGULAR, now + HOUR, now + 26 * HOUR},
		{"x", CB_SESSION_REGULAR, now - 3 * HOUR, now - 2 * HOUR},
		{"x", CB_SESSION_REGULAR, now + 800 * DAY, now + 800 * DAY + HOUR},
	};
	g_autoptr(GPtrArray) sessions = NULL;
	g_autoptr(GError) error = NULL;

	open_schedule(f);
	start_schedule(f);
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		CbSession spec = {.title = (char *)bad[i].title,
				  .kind = bad[i].kind,
				  .starts_at = bad[i].starts_at,
				  .ends_at = bad[i].ends_at};
		g_autoptr(GError) local = NULL;
		g_assert_null(cb_schedule_create_session(f->schedule, &f->staff, &spec, &local));
		g_assert_error(local, CB_ERROR, CB_ERROR_INVALID);
	}
	sessions = cb_schedule_list_sessions(f->schedule, 0, 0, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(sessions->len, ==, 0);
	g_assert_null(cb_schedule_get_session(f->schedule, 99, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_NOT_FOUND);
	g_clear_error(&error);
	g_assert_null(cb_schedule_open_session(f->schedule, &f->staff, 99, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_NOT_FOUND);
}

static void
test_default_series_from_config(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) series = NULL;
	g_autoptr(GPtrArray) again = NULL;
	g_autoptr(GPtrArray) audit = NULL;
	g_autoptr(CbSession) next = NULL;
	CbSeries *s;
	gboolean audited = FALSE;

	g_free(f->config->schedule_rrule);
	f->config->schedule_rrule = g_strdup("FREQ=MONTHLY;BYDAY=3TU");
	open_schedule(f);
	start_schedule(f);
	series = cb_schedule_list_series(f->schedule, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(series->len, ==, 1);
	s = g_ptr_array_index(series, 0);
	g_assert_cmpstr(s->rrule, ==, "FREQ=MONTHLY;BYDAY=3TU");
	g_assert_cmpuint(s->start_minute, ==, 8 * 60);
	g_assert_cmpuint(s->duration_minutes, ==, 210);
	g_assert_cmpint(s->kind, ==, CB_SESSION_LEADERSHIP);
	g_assert_cmpstr(s->title, ==, "Tiếp công dân định kỳ của Chủ tịch UBND Thành phố");
	g_assert_cmpstr(s->presiding, ==, "Chủ tịch UBND Thành phố");
	g_assert_cmpstr(s->timezone, ==, "Asia/Ho_Chi_Minh");
	g_assert_cmpstr(s->starts_on, ==, "2026-01-01");
	next = cb_schedule_current_or_next_session(f->schedule, &error);
	g_assert_no_error(error);
	g_assert_cmpint(next->starts_at, ==, utc("2026-01-20T01:00:00Z"));
	g_assert_cmpint(next->ends_at, ==, utc("2026-01-20T04:30:00Z"));
	audit = cb_store_audit_list(f->store, 0, 100, &error);
	for (guint i = 0; i < audit->len; i++) {
		CbAuditEntry *entry = g_ptr_array_index(audit, i);
		if (g_str_equal(entry->action, "series.create")) {
			g_assert_cmpstr(entry->via, ==, "system");
			audited = TRUE;
		}
	}
	g_assert_true(audited);

	/* a restart does not add another */
	close_schedule(f);
	open_schedule(f);
	start_schedule(f);
	again = cb_schedule_list_series(f->schedule, &error);
	g_assert_cmpuint(again->len, ==, 1);
}

static void
test_bad_config_refused(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbStore) store = cb_store_open(f->path, f->clock, &error);
	g_autoptr(CbSchedule) schedule = NULL;

	g_assert_no_error(error);
	g_free(f->config->schedule_rrule);
	f->config->schedule_rrule = g_strdup("FREQ=MONTHLY;BYDAY=9TU");
	schedule = cb_schedule_new(store, f->clock, f->config, &error);
	g_assert_null(schedule);
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFIG);
	g_assert_nonnull(strstr(error->message, "[schedule]"));
	g_clear_error(&error);

	g_free(f->config->schedule_rrule);
	f->config->schedule_rrule = g_strdup("FREQ=MONTHLY;BYDAY=3TU");
	g_free(f->config->schedule_start_time);
	f->config->schedule_start_time = g_strdup("25:00");
	schedule = cb_schedule_new(store, f->clock, f->config, &error);
	g_assert_null(schedule);
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFIG);
	g_assert_nonnull(strstr(error->message, "start-time"));
	g_clear_error(&error);

	g_free(f->config->schedule_start_time);
	f->config->schedule_start_time = g_strdup("08:00");
	g_free(f->config->schedule_kind);
	f->config->schedule_kind = g_strdup("party");
	schedule = cb_schedule_new(store, f->clock, f->config, &error);
	g_assert_null(schedule);
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFIG);
	g_assert_nonnull(strstr(error->message, "kind"));
	g_clear_error(&error);
	g_assert_false(cb_schedule_check_config(f->config, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFIG);
	g_clear_error(&error);
	g_free(f->config->schedule_kind);
	f->config->schedule_kind = g_strdup("regular");
	g_assert_true(cb_schedule_check_config(f->config, &error));
	g_assert_no_error(error);
}

static void
test_series_limit(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSeries) spec = make_spec("FREQ=YEARLY");
	g_autoptr(CbSeries) refused = NULL;
	g_autoptr(GPtrArray) list = NULL;

	open_schedule(f);
	start_schedule(f);
	g_free(spec->starts_on);
	spec->starts_on = g_strdup("2027-06-01");
	for (guint i = 0; i < 100; i++) {
		g_autoptr(CbSeries) made =
			cb_schedule_create_series(f->schedule, &f->staff, spec, &error);
		g_assert_no_error(error);
	}
	refused = cb_schedule_create_series(f->schedule, &f->staff, spec, &error);
	g_assert_null(refused);
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
	g_clear_error(&error);
	list = cb_schedule_list_series(f->schedule, &error);
	g_assert_cmpuint(list->len, ==, 100);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn)                                                                              \
	g_test_add("/civic-bridge/schedule/" path, Fixture, NULL, fixture_setup, fn,               \
		   fixture_teardown)
	ADD("third-tuesdays-2026", test_third_tuesdays_2026);
	ADD("invalid-rules-refused", test_invalid_rules_refused);
	ADD("move-and-cancel-occurrences", test_move_and_cancel_occurrences);
	ADD("occurrence-range-bounded", test_occurrence_range_bounded);
	ADD("timers-over-three-months", test_timers_over_three_months);
	ADD("catch-up-on-start", test_catch_up_on_start);
	ADD("current-or-next", test_current_or_next);
	ADD("adhoc-session-checks", test_adhoc_session_checks);
	ADD("default-series-from-config", test_default_series_from_config);
	ADD("bad-config-refused", test_bad_config_refused);
	ADD("series-limit", test_series_limit);
#undef ADD
	return g_test_run();
}
