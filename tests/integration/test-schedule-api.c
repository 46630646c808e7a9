/* the schedule's routes against the real daemon: series, occurrences,
 * sessions, the calendar feed, roles and bad input */
#include <libical/ical.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#include "civic-bridge/cb-store.h"

#include "cb-test-daemon.h"

#define MINUTE (G_GINT64_CONSTANT(60) * G_USEC_PER_SEC)

typedef struct {
	CbTestDaemon *d;
	char *staff;
	char *operator;
	char *citizen;
	gint64 bridge_point;
} Fixture;

static JsonObject *
obj(JsonNode *node)
{
	g_assert_nonnull(node);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(node));
	return json_node_get_object(node);
}

static JsonArray *
items(JsonNode *node)
{
	return json_object_get_array_member(obj(node), "items");
}

/* the one error shape; returns the message */
static const char *
error_message(JsonNode *node, const char *code)
{
	JsonObject *error = json_object_get_object_member(obj(node), "error");

	g_assert_nonnull(error);
	g_assert_cmpstr(json_object_get_string_member(error, "code"), ==, code);
	return json_object_get_string_member(error, "message");
}

static void
start_daemon(Fixture *f, const char *config)
{
	g_autoptr(GError) error = NULL;

	cb_test_daemon_set_config(f->d, config);
	if (!cb_test_daemon_start(f->d, &error))
		g_error("daemon did not start: %s", error->message);
}

static gint64
create_bridge_point(Fixture *f, const char *code)
{
	g_autofree char *body =
		g_strdup_printf("{\"code\":\"%s\",\"name\":\"Điểm cầu %s\"}", code, code);
	g_autoptr(JsonNode) answer = NULL;

	g_assert_cmpuint(cb_test_http(f->d, "POST", "/api/v1/bridge-points", f->d->admin_token,
				      body, &answer),
			 ==, 201);
	return json_object_get_int_member(obj(answer), "id");
}

/* no default series: each test makes what it needs */
static void
setup(Fixture *f, gconstpointer data)
{
	const char *config = data != NULL ? data
					  : "[limits]\nauth-failure-limit=1000\n"
					    "[schedule]\nrrule=\n";

	f->d = cb_test_daemon_new();
	start_daemon(f, config);
	f->bridge_point = create_bridge_point(f, "ba-dinh");
	f->staff = cb_test_daemon_issue_token(f->d, CB_ROLE_STAFF, 0, 0, 0);
	f->operator= cb_test_daemon_issue_token(f->d, CB_ROLE_OPERATOR, f->bridge_point, 0, 0);
	f->citizen = cb_test_daemon_issue_token(f->d, CB_ROLE_CITIZEN, 0, 1, 0);
}

static void
teardown(Fixture *f, gconstpointer data)
{
	g_free(f->staff);
	g_free(f->operator);
	g_free(f->citizen);
	cb_test_daemon_free(f->d);
}

static char *
format_time(gint64 time_us)
{
	return cb_time_format_utc(time_us);
}

static gint64
parse_time(const char *text)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(text, NULL);

	g_assert_nonnull(dt);
	return g_date_time_to_unix(dt) * G_USEC_PER_SEC;
}

/* POSTs @body and expects @status; returns the answer */
static JsonNode *
post(Fixture *f, const char *token, const char *path, const char *body, guint status)
{
	JsonNode *answer = NULL;
	guint got = cb_test_http(f->d, "POST", path, token, body, &answer);

	if (got != status)
		g_error("POST %s %s: %u, wanted %u", path, body != NULL ? body : "", got, status);
	return answer;
}

static JsonNode *
get(Fixture *f, const char *token, const char *path, guint status)
{
	JsonNode *answer = NULL;
	guint got = cb_test_http(f->d, "GET", path, token, NULL, &answer);

	if (got != status)
		g_error("GET %s: %u, wanted %u", path, got, status);
	return answer;
}

/* for answers only the status matters of */
static void
post_status(Fixture *f, const char *token, const char *path, const char *body, guint status)
{
	g_autoptr(JsonNode) answer = post(f, token, path, body, status);
}

static void
get_status(Fixture *f, const char *token, const char *path, guint status)
{
	g_autoptr(JsonNode) answer = get(f, token, path, status);
}

/* --- series and occurrences ---------------------------------------------------- */

static void
test_default_series(Fixture *f, gconstpointer data)
{
	g_autoptr(JsonNode) list = get(f, f->staff, "/api/v1/series", 200);
	g_autoptr(JsonNode) sessions = get(f, f->operator, "/api/v1/sessions", 200);
	g_autoptr(JsonNode) audit = get(f, f->d->admin_token, "/api/v1/audit", 200);
	JsonObject *series;
	JsonObject *first;
	gboolean audited = FALSE;

	g_assert_cmpuint(json_array_get_length(items(list)), ==, 1);
	series = json_array_get_object_element(items(list), 0);
	g_assert_cmpstr(json_object_get_string_member(series, "rrule"), ==,
			"FREQ=MONTHLY;BYDAY=3TU");
	g_assert_cmpstr(json_object_get_string_member(series, "start_time"), ==, "08:00");
	g_assert_cmpint(json_object_get_int_member(series, "duration_minutes"), ==, 210);
	g_assert_cmpstr(json_object_get_string_member(series, "kind"), ==, "leadership");
	g_assert_cmpstr(json_object_get_string_member(series, "title"), ==,
			"Tiếp công dân định kỳ của Chủ tịch UBND Thành phố");
	g_assert_cmpstr(json_object_get_string_member(series, "presiding"), ==,
			"Chủ tịch UBND Thành phố");
	/* a third Tuesday is never more than five weeks away: within the horizon */
	g_assert_cmpuint(json_array_get_length(items(sessions)), >=, 1);
	first = json_array_get_object_element(items(sessions), 0);
	g_assert_cmpint(json_object_get_int_member(first, "series_id"), ==,
			json_object_get_int_member(series, "id"));
	g_assert_true(
		g_str_has_suffix(json_object_get_string_member(first, "starts_at"), "T01:00:00Z"));
	for (guint i = 0; i < json_array_get_length(items(audit)); i++) {
		JsonObject *entry = json_array_get_object_element(items(audit), i);
		if (g_str_equal(json_object_get_string_member(entry, "action"), "series.create"))
			audited =
				g_str_equal(json_object_get_string_member(entry, "via"), "system");
	}
	g_assert_true(audited);
}

static const char *const third_tuesdays_2026[] = {
	"2026-01-20T01:00:00Z", "2026-02-17T01:00:00Z", "2026-03-17T01:00:00Z",
	"2026-04-21T01:00:00Z", "2026-05-19T01:00:00Z", "2026-06-16T01:00:00Z",
	"2026-07-21T01:00:00Z", "2026-08-18T01:00:00Z", "2026-09-15T01:00:00Z",
	"2026-10-20T01:00:00Z", "2026-11-17T01:00:00Z", "2026-12-15T01:00:00Z",
};

static gint64
create_series(Fixture *f, const char *fields)
{
	g_autofree char *body = g_strdup_printf(
		"{\"start_time\":\"08:00\",\"duration_minutes\":210,\"kind\":\"leadership\","
		"\"title\":\"Tiếp công dân\",%s}",
		fields);
	g_autoptr(JsonNode) answer = post(f, f->d->admin_token, "/api/v1/series", body, 201);

	return json_object_get_int_member(obj(answer), "id");
}

static void
test_series_and_occurrences(Fixture *f, gconstpointer data)
{
	g_autofree char *fields = g_strdup_printf(
		"\"rrule\":\"FREQ=MONTHLY;BYDAY=3TU\",\"starts_on\":\"2026-01-01\","
		"\"presiding\":\"Chủ tịch\",\"bridge_point_ids\":[%" G_GINT64_FORMAT "]",
		f->bridge_point);
	gint64 id = create_series(f, fields);
	g_autofree char *path = g_strdup_printf("/api/v1/series/%" G_GINT64_FORMAT, id);
	g_autofree char *occurrences = g_strdup_printf("/api/v1/series/%" G_GINT64_FORMAT
						       "/occurrences?from=2026-01-01&to=2026-12-31",
						       id);
	g_autofree char *rfc3339 = g_strdup_printf(
		"/api/v1/series/%" G_GINT64_FORMAT
		"/occurrences?from=2026-03-01T00:00:00%%2B07:00&to=2026-05-01T00:00:00Z",
		id);
	g_autoptr(JsonNode) got = get(f, f->staff, path, 200);
	g_autoptr(JsonNode) list = get(f, f->staff, "/api/v1/series", 200);
	g_autoptr(JsonNode) year = get(f, f->staff, occurrences, 200);
	g_autoptr(JsonNode) spring = get(f, f->d->admin_token, rfc3339, 200);
	JsonArray *bps = json_object_get_array_member(obj(got), "bridge_point_ids");

	g_assert_cmpstr(json_object_get_string_member(obj(got), "timezone"), ==,
			"Asia/Ho_Chi_Minh");
	g_assert_cmpuint(json_array_get_length(bps), ==, 1);
	g_assert_cmpint(json_array_get_int_element(bps, 0), ==, f->bridge_point);
	g_assert_cmpuint(json_array_get_length(items(list)), ==, 1);
	g_assert_cmpuint(json_array_get_length(items(year)), ==, 12);
	for (guint i = 0; i < 12; i++) {
		JsonObject *o = json_array_get_object_element(items(year), i);
		g_assert_cmpstr(json_object_get_string_member(o, "starts_at"), ==,
				third_tuesdays_2026[i]);
		g_assert_cmpstr(json_object_get_string_member(o, "state"), ==, "scheduled");
	}
	/* Mar 17 and Apr 21 */
	g_assert_cmpuint(json_array_get_length(items(spring)), ==, 2);
}

static void
test_series_bad_input(Fixture *f, gconstpointer data)
{
	const struct {
		const char *body;
		const char *reason;
	} bad[] = {
		{"{\"rrule\":\"FREQ=MONTHLY;BYDAY=9TU\",\"start_time\":\"08:00\","
		 "\"duration_minutes\":60,\"kind\":\"regular\",\"title\":\"t\"}",
		 "yields no occurrence"},
		{"{\"rrule\":\"BYDAY=3TU\",\"start_time\":\"08:00\",\"duration_minutes\":60,"
		 "\"kind\":\"regular\",\"title\":\"t\"}",
		 "no FREQ"},
		{"{\"rrule\":\"garbage\",\"start_time\":\"08:00\",\"duration_minutes\":60,"
		 "\"kind\":\"regular\",\"title\":\"t\"}",
		 "not an RFC 5545 RRULE"},
		{"{\"rrule\":\"FREQ=MONTHLY;COUNT=0\",\"start_time\":\"08:00\","
		 "\"duration_minutes\":60,\"kind\":\"regular\",\"title\":\"t\"}",
		 "COUNT=0"},
		{"{\"rrule\":\"FREQ=WEEKLY\",\"start_time\":\"08:00\",\"duration_minutes\":60,"
		 "\"kind\":\"regular\",\"title\":\"t\",\"timezone\":\"Europe/Atlantis\"}",
		 "not a known time zone"},
		{"{\"rrule\":\"FREQ=WEEKLY\",\"start_time\":\"08:00\",\"duration_minutes\":60,"
		 "\"kind\":\"party\",\"title\":\"t\"}",
		 "kind"},
		{"{\"rrule\":\"FREQ=WEEKLY\",\"start_time\":\"25:00\",\"duration_minutes\":60,"
		 "\"kind\":\"regular\",\"title\":\"t\"}",
		 "start_time"},
		{"{\"rrule\":\"FREQ=WEEKLY\",\"start_time\":\"08:00\",\"duration_minutes\":0,"
		 "\"kind\":\"regular\",\"title\":\"t\"}",
		 "duration_minutes"},
		{"{\"rrule\":\"FREQ=WEEKLY\",\"start_time\":\"08:00\",\"duration_minutes\":60,"
		 "\"kind\":\"regular\",\"title\":\" \"}",
		 "title"},
		{"{\"rrule\":\"FREQ=WEEKLY\",\"start_time\":\"08:00\",\"duration_minutes\":60,"
		 "\"kind\":\"regular\",\"title\":\"t\",\"bridge_point_ids\":[999]}",
		 "no bridge point has id 999"},
		{"{\"rrule\":\"FREQ=WEEKLY\",\"start_time\":\"08:00\",\"duration_minutes\":60,"
		 "\"kind\":\"regular\",\"title\":\"t\",\"starts_on\":\"2026-02-30\"}",
		 "not a date"},
		{"{\"rrule\":\"FREQ=WEEKLY\",\"start_time\":\"08:00\",\"duration_minutes\":60,"
		 "\"kind\":\"regular\",\"title\":\"t\",\"colour\":\"red\"}",
		 "colour"},
		{"{\"start_time\":\"08:00\",\"duration_minutes\":60,\"kind\":\"regular\","
		 "\"title\":\"t\"}",
		 "rrule"},
	};
	g_autoptr(JsonNode) list = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(JsonNode) answer =
			post(f, f->d->admin_token, "/api/v1/series", bad[i].body, 400);
		const char *message = error_message(answer, "invalid_request");
		if (strstr(message, bad[i].reason) == NULL)
			g_error("%s: '%s' does not say '%s'", bad[i].body, message, bad[i].reason);
	}
	list = get(f, f->staff, "/api/v1/series", 200);
	g_assert_cmpuint(json_array_get_length(items(list)), ==, 0);
}

static void
test_occurrence_range_and_lookup_errors(Fixture *f, gconstpointer data)
{
	gint64 id = create_series(f, "\"rrule\":\"FREQ=DAILY\",\"starts_on\":\"2026-01-01\"");
	const char *bad_ranges[] = {
		"from=2026-01-01&to=2028-06-01",
		"from=2026-06-01&to=2026-01-01",
		"from=yesterday",
		"to=2026-13-01",
		"from=2026-01-01T08:00:00",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(bad_ranges); i++) {
		g_autofree char *path = g_strdup_printf(
			"/api/v1/series/%" G_GINT64_FORMAT "/occurrences?%s", id, bad_ranges[i]);
		g_autoptr(JsonNode) answer = get(f, f->staff, path, 400);
		error_message(answer, "invalid_request");
	}
	{
		g_autofree char *path =
			g_strdup_printf("/api/v1/series/%" G_GINT64_FORMAT
					"/occurrences?from=2026-01-01&to=2027-12-31",
					id);
		g_autoptr(JsonNode) answer = get(f, f->staff, path, 200);
		g_assert_cmpuint(json_array_get_length(items(answer)), ==, 730);
	}
	get_status(f, f->staff, "/api/v1/series/9999", 404);
	get_status(f, f->staff, "/api/v1/series/9999/occurrences", 404);
	get_status(f, f->staff, "/api/v1/series/abc", 400);
}

/* the first occurrence of @id at or after now, from the listing */
static char *
next_occurrence(Fixture *f, gint64 id, guint index)
{
	g_autofree char *path =
		g_strdup_printf("/api/v1/series/%" G_GINT64_FORMAT "/occurrences", id);
	g_autoptr(JsonNode) list = get(f, f->staff, path, 200);

	g_assert_cmpuint(json_array_get_length(items(list)), >, index);
	return g_strdup(json_object_get_string_member(
		json_array_get_object_element(items(list), index), "occurrence_start"));
}

static char *
occurrence_path(gint64 id, const char *start, const char *action)
{
	g_autofree char *escaped = g_uri_escape_string(start, NULL, FALSE);

	return g_strdup_printf("/api/v1/series/%" G_GINT64_FORMAT "/occurrences/%s/%s", id, escaped,
			       action);
}

static void
test_move_and_cancel_occurrences(Fixture *f, gconstpointer data)
{
	/* weekly from today: the first ones are within the horizon */
	gint64 id = create_series(f, "\"rrule\":\"FREQ=WEEKLY\"");
	g_autofree char *first = next_occurrence(f, id, 1);
	g_autofree char *second = next_occurrence(f, id, 2);
	g_autofree char *move = occurrence_path(id, first, "move");
	g_autofree char *cancel = occurrence_path(id, second, "cancel");
	g_autofree char *new_start = format_time(parse_time(first) + 26 * 60 * MINUTE);
	g_autofree char *body = g_strdup_printf(
		"{\"starts_at\":\"%s\",\"reason\":\"Chủ tịch đi công tác\"}", new_start);
	g_autoptr(JsonNode) moved = post(f, f->staff, move, body, 200);
	g_autoptr(JsonNode) cancelled =
		post(f, f->d->admin_token, cancel, "{\"reason\":\"ngày lễ\"}", 200);
	g_autoptr(JsonNode) session = NULL;
	g_autoptr(JsonNode) again = NULL;
	g_autofree char *session_path = NULL;

	g_assert_cmpstr(json_object_get_string_member(obj(moved), "state"), ==, "moved");
	g_assert_cmpstr(json_object_get_string_member(obj(moved), "starts_at"), ==, new_start);
	g_assert_cmpstr(json_object_get_string_member(obj(moved), "occurrence_start"), ==, first);
	/* its session moved with it */
	session_path = g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT,
				       json_object_get_int_member(obj(moved), "session_id"));
	session = get(f, f->operator, session_path, 200);
	g_assert_cmpstr(json_object_get_string_member(obj(session), "starts_at"), ==, new_start);
	g_assert_cmpstr(json_object_get_string_member(obj(cancelled), "state"), ==, "cancelled");
	g_assert_cmpstr(json_object_get_string_member(obj(cancelled), "reason"), ==, "ngày lễ");

	/* conflicts */
	again = post(f, f->staff, cancel, "{\"reason\":\"x\"}", 409);
	error_message(again, "conflict");
	g_clear_pointer(&again, json_node_unref);
	{
		g_autofree char *move_cancelled = occurrence_path(id, second, "move");
		again = post(f, f->staff, move_cancelled, body, 409);
		error_message(again, "conflict");
		g_clear_pointer(&again, json_node_unref);
	}
	/* not an occurrence, not a time, no reason, no offset, past */
	{
		g_autofree char *off = format_time(parse_time(first) + MINUTE);
		g_autofree char *not_one = occurrence_path(id, off, "move");
		g_autofree char *no_offset =
			g_strdup_printf("{\"starts_at\":\"2030-01-01T08:00:00\",\"reason\":\"x\"}");
		g_autofree char *third = next_occurrence(f, id, 3);
		g_autofree char *third_move = occurrence_path(id, third, "move");
		post_status(f, f->staff, not_one, body, 404);
		post_status(f, f->staff, "/api/v1/series/1/occurrences/noon/move", body, 400);
		post_status(f, f->staff, third_move, "{\"starts_at\":\"2030-01-01T08:00:00Z\"}",
			    400);
		post_status(f, f->staff, third_move, no_offset, 400);
		post_status(f, f->staff, third_move,
			    "{\"starts_at\":\"2020-01-01T08:00:00Z\","
			    "\"reason\":\"x\"}",
			    400);
		post_status(f, f->operator, third_move, body, 403);
		post_status(f, f->staff,
			    "/api/v1/series/9999/occurrences/"
			    "2030-01-01T01:00:00Z/cancel",
			    "{\"reason\":\"x\"}", 404);
	}
}

/* --- sessions ------------------------------------------------------------------- */

static gint64
create_session(Fixture *f, gint64 starts_in_minutes, const char *title)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *start =
		format_time(g_date_time_to_unix(now) * G_USEC_PER_SEC + starts_in_minutes * MINUTE);
	g_autofree char *body = g_strdup_printf("{\"title\":\"%s\",\"kind\":\"regular\","
						"\"starts_at\":\"%s\",\"duration_minutes\":90}",
						title, start);
	g_autoptr(JsonNode) answer = post(f, f->staff, "/api/v1/sessions", body, 201);

	return json_object_get_int_member(obj(answer), "id");
}

static void
expect_state(Fixture *f, const char *token, gint64 id, const char *action, guint status,
	     const char *state)
{
	g_autofree char *path =
		g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT "%s%s", id,
				action != NULL ? "/" : "", action != NULL ? action : "");
	g_autoptr(JsonNode) answer = NULL;
	guint got = action != NULL ? cb_test_http(f->d, "POST", path, token, NULL, &answer)
				   : cb_test_http(f->d, "GET", path, token, NULL, &answer);

	if (got != status)
		g_error("%s: %u, wanted %u", path, got, status);
	if (status == 200)
		g_assert_cmpstr(json_object_get_string_member(obj(answer), "state"), ==, state);
	else if (status == 409)
		/* the message names the state the session is in */
		g_assert_nonnull(strstr(error_message(answer, "conflict"), state));
}

static void
test_session_lifecycle(Fixture *f, gconstpointer data)
{
	gint64 soon = create_session(f, 10, "Tiếp đột xuất");
	gint64 later = create_session(f, 180, "Tiếp chiều");
	g_autofree char *cancel_later =
		g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT "/cancel", later);
	g_autofree char *cancel_soon =
		g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT "/cancel", soon);
	g_autoptr(JsonNode) cancelled = NULL;
	g_autoptr(JsonNode) refused = NULL;

	/* within 30 minutes of its start: open already */
	expect_state(f, f->operator, soon, NULL, 200, "open");
	expect_state(f, f->staff, later, NULL, 200, "scheduled");
	expect_state(f, f->staff, later, "start", 409, "scheduled");
	expect_state(f, f->staff, later, "end", 409, "scheduled");
	expect_state(f, f->staff, soon, "open", 409, "open");
	expect_state(f, f->staff, soon, "end", 409, "open");
	expect_state(f, f->staff, soon, "start", 200, "live");
	expect_state(f, f->staff, soon, "start", 409, "live");
	refused = post(f, f->staff, cancel_soon, "{\"reason\":\"x\"}", 409);
	g_assert_nonnull(strstr(error_message(refused, "conflict"), "live"));
	expect_state(f, f->d->admin_token, soon, "end", 200, "ended");
	expect_state(f, f->staff, soon, "end", 409, "ended");
	expect_state(f, f->staff, soon, "start", 409, "ended");

	post_status(f, f->staff, cancel_later, "{}", 400);
	post_status(f, f->staff, cancel_later, "{\"reason\":\"\"}", 400);
	cancelled = post(f, f->staff, cancel_later, "{\"reason\":\"mưa bão\"}", 200);
	g_assert_cmpstr(json_object_get_string_member(obj(cancelled), "state"), ==, "cancelled");
	g_assert_cmpstr(json_object_get_string_member(obj(cancelled), "cancel_reason"), ==,
			"mưa bão");
	expect_state(f, f->staff, later, "open", 409, "cancelled");

	/* a scheduled one staff open early */
	{
		gint64 third = create_session(f, 240, "Tiếp tối");
		expect_state(f, f->staff, third, "open", 200, "open");
	}
	expect_state(f, f->staff, 99999, "open", 404, NULL);
	expect_state(f, f->staff, 99999, NULL, 404, NULL);
	expect_state(f, f->operator, soon, "open", 403, NULL);
	expect_state(f, f->citizen, soon, NULL, 403, NULL);
}

static void
test_session_bad_input(Fixture *f, gconstpointer data)
{
	const char *bad[] = {
		"{\"kind\":\"regular\"}",
		"{\"title\":\"t\"}",
		"{\"title\":\"t\",\"kind\":\"party\"}",
		"{\"title\":\"t\",\"kind\":\"regular\",\"starts_at\":\"tomorrow\"}",
		"{\"title\":\"t\",\"kind\":\"regular\",\"starts_at\":\"2030-01-01T08:00:00\"}",
		"{\"title\":\"t\",\"kind\":\"regular\",\"starts_at\":\"2020-01-01T08:00:00Z\"}",
		"{\"title\":\"t\",\"kind\":\"regular\",\"duration_minutes\":0}",
		"{\"title\":\"t\",\"kind\":\"regular\",\"duration_minutes\":5000}",
		"{\"title\":\"t\",\"kind\":\"regular\",\"duration_minutes\":\"60\"}",
		"{\"title\":\"t\",\"kind\":\"regular\",\"room\":4}",
		"{\"title\":\"t\",\"kind\":\"regular\",\"starts_at\":\"2099-01-01T08:00:00Z\"}",
	};
	const char *bad_ranges[] = {
		"/api/v1/sessions?from=2026-01-01&to=bad",
		"/api/v1/sessions?from=2026-06-01&to=2026-01-01",
	};
	g_autoptr(JsonNode) list = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(JsonNode) answer = post(f, f->staff, "/api/v1/sessions", bad[i], 400);
		error_message(answer, "invalid_request");
	}
	for (gsize i = 0; i < G_N_ELEMENTS(bad_ranges); i++) {
		g_autoptr(JsonNode) answer = get(f, f->staff, bad_ranges[i], 400);
		error_message(answer, "invalid_request");
	}
	post_status(f, f->operator, "/api/v1/sessions", "{\"title\":\"t\",\"kind\":\"regular\"}",
		    403);
	list = get(f, f->staff, "/api/v1/sessions", 200);
	g_assert_cmpuint(json_array_get_length(items(list)), ==, 0);
}

static void
test_session_list_range(Fixture *f, gconstpointer data)
{
	gint64 a = create_session(f, 60, "A");
	gint64 b = create_session(f, 3 * 24 * 60, "B");
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GDateTime) tomorrow = g_date_time_add_days(now, 1);
	g_autofree char *until = format_time(g_date_time_to_unix(tomorrow) * G_USEC_PER_SEC);
	g_autofree char *escaped = g_uri_escape_string(until, NULL, FALSE);
	g_autofree char *path = g_strdup_printf("/api/v1/sessions?to=%s", escaped);
	g_autoptr(JsonNode) all = get(f, f->operator, "/api/v1/sessions", 200);
	g_autoptr(JsonNode) near = get(f, f->staff, path, 200);

	g_assert_cmpuint(json_array_get_length(items(all)), ==, 2);
	g_assert_cmpint(
		json_object_get_int_member(json_array_get_object_element(items(all), 1), "id"), ==,
		b);
	g_assert_cmpuint(json_array_get_length(items(near)), ==, 1);
	g_assert_cmpint(
		json_object_get_int_member(json_array_get_object_element(items(near), 0), "id"), ==,
		a);
}

/* --- calendar --------------------------------------------------------------------- */

static guint
fetch(Fixture *f, const char *path, const char *token, char **content_type, char **body)
{
	g_autoptr(SoupSession) session = soup_session_new_with_options("timeout", 10, NULL);
	g_autofree char *uri = g_strconcat(f->d->url, path, NULL);
	g_autoptr(SoupMessage) msg = soup_message_new("GET", uri);
	g_autofree char *auth = g_strconcat("Bearer ", token, NULL);
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GError) error = NULL;

	soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization", auth);
	answer = soup_session_send_and_read(session, msg, NULL, &error);
	g_assert_no_error(error);
	*content_type = g_strdup(soup_message_headers_get_one(
		soup_message_get_response_headers(msg), "Content-Type"));
	*body = g_strndup(g_bytes_get_data(answer, NULL), g_bytes_get_size(answer));
	return soup_message_get_status(msg);
}

static void
test_calendar_feed(Fixture *f, gconstpointer data)
{
	/* RFC 5545 wants \ ; , and newlines escaped in text */
	const char *tricky = "Tiếp công dân; phường Ba Đình, số 1\\\\ \\n dòng hai";
	const char *tricky_plain = "Tiếp công dân; phường Ba Đình, số 1\\ \n dòng hai";
	gint64 a = create_session(f, 60, tricky);
	/* longer than a line may be: folded, and never inside a character */
	const char *long_title = "Tiếp công dân định kỳ của Chủ tịch UBND Thành phố Hà Nội với "
				 "các điểm cầu phường Ba Đình, Hoàn Kiếm và Đống Đa";
	gint64 b = create_session(f, 120, long_title);
	g_autofree char *cancel =
		g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT "/cancel", b);
	g_autofree char *type = NULL;
	g_autofree char *text = NULL;
	g_autofree char *uid_a = g_strdup_printf("session-%" G_GINT64_FORMAT "@civic-bridge", a);
	g_autofree char *uid_b = g_strdup_printf("session-%" G_GINT64_FORMAT "@civic-bridge", b);
	g_autofree char *path_a = g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT, a);
	g_autofree char *type2 = NULL;
	g_autofree char *text2 = NULL;
	g_autoptr(JsonNode) session_a = NULL;
	icalcomponent *calendar;
	g_auto(GStrv) lines = NULL;
	guint events = 0;
	gboolean seen_a = FALSE, seen_b = FALSE;

	post_status(f, f->staff, cancel, "{\"reason\":\"hoãn\"}", 200);
	session_a = get(f, f->staff, path_a, 200);
	g_assert_cmpuint(fetch(f, "/api/v1/calendar.ics", f->staff, &type, &text), ==, 200);
	g_assert_true(g_str_has_prefix(type, "text/calendar"));
	g_assert_true(g_str_has_prefix(text, "BEGIN:VCALENDAR\r\n"));
	calendar = icalparser_parse_string(text);
	g_assert_nonnull(calendar);
	g_assert_cmpint(icalcomponent_isa(calendar), ==, ICAL_VCALENDAR_COMPONENT);
	for (icalcomponent *event =
		     icalcomponent_get_first_component(calendar, ICAL_VEVENT_COMPONENT);
	     event != NULL;
	     event = icalcomponent_get_next_component(calendar, ICAL_VEVENT_COMPONENT)) {
		const char *uid = icalcomponent_get_uid(event);
		struct icaltimetype start = icalcomponent_get_dtstart(event);
		events++;
		g_assert_true(icaltime_is_utc(start));
		if (g_strcmp0(uid, uid_a) == 0) {
			seen_a = TRUE;
			g_assert_cmpstr(icalcomponent_get_summary(event), ==, tricky_plain);
			g_assert_cmpint((gint64)icaltime_as_timet(start) * G_USEC_PER_SEC, ==,
					parse_time(json_object_get_string_member(obj(session_a),
										 "starts_at")));
			g_assert_cmpint(icalcomponent_get_status(event), ==, ICAL_STATUS_CONFIRMED);
		} else if (g_strcmp0(uid, uid_b) == 0) {
			seen_b = TRUE;
			g_assert_cmpstr(icalcomponent_get_summary(event), ==, long_title);
			g_assert_cmpint(icalcomponent_get_status(event), ==, ICAL_STATUS_CANCELLED);
		}
	}
	icalcomponent_free(calendar);
	g_assert_cmpuint(events, ==, 2);
	g_assert_true(seen_a && seen_b);
	g_assert_nonnull(strstr(text, "STATUS:CANCELLED"));
	lines = g_strsplit(text, "\r\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_assert_cmpuint(strlen(lines[i]), <=, 75);
		g_assert_true(g_utf8_validate(lines[i], -1, NULL));
		g_assert_null(strchr(lines[i], '\n'));
	}
	g_assert_cmpuint(fetch(f, "/api/v1/calendar.ics", f->operator, & type2, &text2), ==, 403);
}

/* --- catch-up --------------------------------------------------------------------- */

static void
test_session_due_while_down_opens_at_start(Fixture *f, gconstpointer data)
{
	gint64 due = create_session(f, 240, "Tiếp sáng");
	gint64 missed = create_session(f, 300, "Tiếp trưa");
	g_autofree char *db = g_build_filename(f->d->state_dir, "civic-bridge.db", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(CbStore) store = NULL;
	g_autoptr(CbSession) down = NULL;
	gint64 now = g_get_real_time();
	CbActor actor = {.via = "test"};
	CbSession changes = {0};

	expect_state(f, f->staff, due, NULL, 200, "scheduled");
	g_assert_cmpint(cb_test_daemon_signal_and_wait(f->d, SIGTERM, 5000), ==, 0);
	/* while it is down, time passes: the first should have opened ten
	 * minutes ago; the second came and went */
	store = cb_store_open(db, NULL, &error);
	g_assert_no_error(error);
	changes.opens_at = now - 10 * MINUTE;
	changes.starts_at = now + 20 * MINUTE;
	changes.ends_at = now + 110 * MINUTE;
	down = cb_store_session_update(store, &actor, due, &changes, &error);
	g_assert_no_error(error);
	g_clear_pointer(&down, cb_session_free);
	changes.opens_at = now - 600 * MINUTE;
	changes.starts_at = now - 570 * MINUTE;
	changes.ends_at = now - 480 * MINUTE;
	down = cb_store_session_update(store, &actor, missed, &changes, &error);
	g_assert_no_error(error);
	g_clear_object(&store);

	start_daemon(f, "[limits]\nauth-failure-limit=1000\n[schedule]\nrrule=\n");
	/* open as soon as the daemon says it is ready, without waiting */
	expect_state(f, f->staff, due, NULL, 200, "open");
	expect_state(f, f->staff, missed, NULL, 200, "cancelled");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, config, fn)                                                                      \
	g_test_add("/civic-bridge/schedule-api/" path, Fixture, config, setup, fn, teardown)
	ADD("default-series", "[limits]\nauth-failure-limit=1000\n", test_default_series);
	ADD("series-and-occurrences", NULL, test_series_and_occurrences);
	ADD("series-bad-input", NULL, test_series_bad_input);
	ADD("occurrence-range-and-lookup-errors", NULL, test_occurrence_range_and_lookup_errors);
	ADD("move-and-cancel-occurrences", NULL, test_move_and_cancel_occurrences);
	ADD("session-lifecycle", NULL, test_session_lifecycle);
	ADD("session-bad-input", NULL, test_session_bad_input);
	ADD("session-list-range", NULL, test_session_list_range);
	ADD("calendar-feed", NULL, test_calendar_feed);
	ADD("session-due-while-down-opens-at-start", NULL,
	    test_session_due_while_down_opens_at_start);
#undef ADD
	return g_test_run();
}
