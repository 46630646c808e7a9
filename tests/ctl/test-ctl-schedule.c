#define G_LOG_DOMAIN "CbCtlTest"

/* civic-bridgectl schedule and session against a real civic-bridged */
#include <libsoup/soup.h>
#include <string.h>

#include "civic-bridge/cb-clock.h"

#include "cb-test-ctl.h"

/* an RFC 3339 UTC time @minutes from now */
static char *
cb_ctl_time_from_now(gint64 minutes)
{
	return cb_time_format_utc(g_get_real_time() + minutes * 60 * G_USEC_PER_SEC);
}

static const char *const third_tuesdays_2026[] = {
	"2026-01-20T01:00:00Z", "2026-02-17T01:00:00Z", "2026-03-17T01:00:00Z",
	"2026-04-21T01:00:00Z", "2026-05-19T01:00:00Z", "2026-06-16T01:00:00Z",
	"2026-07-21T01:00:00Z", "2026-08-18T01:00:00Z", "2026-09-15T01:00:00Z",
	"2026-10-20T01:00:00Z", "2026-11-17T01:00:00Z", "2026-12-15T01:00:00Z",
};

static void
test_series(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_ctl_daemon_new(CB_TEST_CTL_CONFIG_NO_SERIES);
	g_autoptr(CbTestCtlRun) bp = cb_test_ctl_admin(d, "--format", "json", "bridge-point", "add",
						       "--code", "ba-dinh", "--name", "Ba Đình");
	g_autoptr(JsonObject) bp_json = NULL;
	g_autofree char *bp_id = NULL;
	g_autoptr(CbTestCtlRun) create = NULL, list = NULL, show = NULL, occurrences = NULL;
	g_autoptr(CbTestCtlRun) bad_rule = NULL, bad_duration = NULL, missing = NULL, bad_id = NULL;
	g_autoptr(JsonObject) listed = NULL;
	g_autofree char *id_text = NULL;
	g_autofree char *kind = NULL;
	JsonArray *items;

	cb_test_ctl_assert_ok(bp);
	bp_json = cb_test_ctl_json(bp->out);
	bp_id = g_strdup_printf("%" G_GINT64_FORMAT, json_object_get_int_member(bp_json, "id"));
	create = cb_test_ctl_admin(
		d, "schedule", "series", "create", "--rrule", "FREQ=MONTHLY;BYDAY=3TU", "--start",
		"08:00", "--duration", "210m", "--kind", "leadership", "--title",
		"Tiếp công dân định kỳ", "--presiding", "Chủ tịch UBND Thành phố", "--first-date",
		"2026-01-01", "--bridge-point", bp_id);
	cb_test_ctl_assert_ok(create);
	id_text = g_strdup_printf("%" G_GINT64_FORMAT, cb_test_ctl_record_id(create->out));
	kind = cb_test_ctl_record_value(create->out, "kind");
	g_assert_cmpstr(kind, ==, "leadership");
	g_assert_nonnull(strstr(create->out, "minutes:"));
	g_assert_nonnull(strstr(create->out, "210\n"));

	list = cb_test_ctl_admin(d, "schedule", "series", "list");
	cb_test_ctl_assert_ok(list);
	g_assert_true(g_str_has_prefix(list->out, "ID  RULE"));
	g_assert_nonnull(strstr(list->out, "FREQ=MONTHLY;BYDAY=3TU  08:00"));

	show = cb_test_ctl_admin(d, "schedule", "series", "show", id_text);
	cb_test_ctl_assert_ok(show);
	g_assert_nonnull(strstr(show->out, "Asia/Ho_Chi_Minh"));
	g_assert_nonnull(strstr(show->out, "2026-01-01"));

	occurrences =
		cb_test_ctl_admin(d, "--format", "json", "schedule", "occurrences", "--series",
				  id_text, "--from", "2026-01-01", "--to", "2026-12-31");
	cb_test_ctl_assert_ok(occurrences);
	listed = cb_test_ctl_json(occurrences->out);
	items = json_object_get_array_member(listed, "items");
	g_assert_cmpuint(json_array_get_length(items), ==, 12);
	for (guint i = 0; i < 12; i++)
		g_assert_cmpstr(json_object_get_string_member(
					json_array_get_object_element(items, i), "starts_at"),
				==, third_tuesdays_2026[i]);

	/* the daemon refuses a rule that yields nothing, with the reason */
	bad_rule = cb_test_ctl_admin(d, "schedule", "series", "create", "--rrule",
				     "FREQ=MONTHLY;BYDAY=9TU", "--start", "08:00", "--duration",
				     "1h", "--kind", "regular", "--title", "x");
	cb_test_ctl_assert_fails(bad_rule, 1, "yields no occurrence");
	/* a bare number is seconds: not whole minutes */
	bad_duration = cb_test_ctl_admin(d, "schedule", "series", "create", "--rrule",
					 "FREQ=WEEKLY", "--start", "08:00", "--duration", "90",
					 "--kind", "regular", "--title", "x");
	cb_test_ctl_assert_fails(bad_duration, 2, "whole minutes");
	missing = cb_test_ctl_admin(d, "schedule", "series", "create", "--start", "08:00");
	cb_test_ctl_assert_fails(missing, 2, "--rrule");
	bad_id = cb_test_ctl_admin(d, "schedule", "occurrences", "--series", "abc");
	cb_test_ctl_assert_fails(bad_id, 2, "series id");
}

static void
test_move_and_cancel(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_ctl_daemon_new(CB_TEST_CTL_CONFIG_NO_SERIES);
	g_autoptr(CbTestCtlRun) create = NULL, occurrences = NULL, move = NULL, cancel = NULL;
	g_autoptr(CbTestCtlRun) again = NULL, no_reason = NULL, table = NULL, not_one = NULL;
	g_autoptr(JsonObject) listed = NULL;
	g_autoptr(GDateTime) first_dt = NULL;
	g_autofree char *id_text = NULL;
	g_autofree char *new_start = NULL;
	g_autofree char *first = NULL, *second = NULL;
	JsonArray *items;

	create = cb_test_ctl_admin(d, "schedule", "series", "create", "--rrule", "FREQ=WEEKLY",
				   "--start", "14:00", "--duration", "2h", "--kind", "regular",
				   "--title", "Tiếp hằng tuần");
	cb_test_ctl_assert_ok(create);
	id_text = g_strdup_printf("%" G_GINT64_FORMAT, cb_test_ctl_record_id(create->out));
	occurrences = cb_test_ctl_admin(d, "--format", "json", "schedule", "occurrences",
					"--series", id_text);
	cb_test_ctl_assert_ok(occurrences);
	listed = cb_test_ctl_json(occurrences->out);
	items = json_object_get_array_member(listed, "items");
	g_assert_cmpuint(json_array_get_length(items), >=, 50);
	first = g_strdup(json_object_get_string_member(json_array_get_object_element(items, 1),
						       "occurrence_start"));
	second = g_strdup(json_object_get_string_member(json_array_get_object_element(items, 2),
							"occurrence_start"));
	first_dt = g_date_time_new_from_iso8601(first, NULL);
	new_start = cb_time_format_utc((g_date_time_to_unix(first_dt) + 3600) * G_USEC_PER_SEC);

	move = cb_test_ctl_admin(d, "schedule", "move", "--series", id_text, "--occurrence", first,
				 "--to", new_start, "--reason", "Chủ tịch đi công tác");
	cb_test_ctl_assert_ok(move);
	g_assert_nonnull(strstr(move->out, "moved"));
	g_assert_nonnull(strstr(move->out, new_start));
	cancel = cb_test_ctl_admin(d, "schedule", "cancel", "--series", id_text, "--occurrence",
				   second, "--reason", "ngày lễ");
	cb_test_ctl_assert_ok(cancel);
	g_assert_nonnull(strstr(cancel->out, "cancelled"));
	again = cb_test_ctl_admin(d, "schedule", "cancel", "--series", id_text, "--occurrence",
				  second, "--reason", "again");
	cb_test_ctl_assert_fails(again, 1, "already cancelled");
	no_reason = cb_test_ctl_admin(d, "schedule", "cancel", "--series", id_text, "--occurrence",
				      second);
	cb_test_ctl_assert_fails(no_reason, 2, "--reason");
	not_one = cb_test_ctl_admin(d, "schedule", "move", "--series", id_text, "--occurrence",
				    new_start, "--to", new_start, "--reason", "x");
	cb_test_ctl_assert_fails(not_one, 1, "no occurrence");

	table = cb_test_ctl_admin(d, "schedule", "occurrences", "--series", id_text);
	cb_test_ctl_assert_ok(table);
	g_assert_true(g_str_has_prefix(table->out, "OCCURRENCE"));
	g_assert_nonnull(strstr(table->out, "ngày lễ"));
	g_assert_nonnull(strstr(table->out, "moved"));
}

static void
test_session_lifecycle(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_ctl_daemon_new(CB_TEST_CTL_CONFIG_NO_SERIES);
	g_autofree char *soon = cb_ctl_time_from_now(10);
	g_autofree char *later = cb_ctl_time_from_now(180);
	g_autoptr(CbTestCtlRun) create = NULL, create2 = NULL, start = NULL, again = NULL;
	g_autoptr(CbTestCtlRun) end = NULL, cancel = NULL, no_reason = NULL, list = NULL;
	g_autoptr(CbTestCtlRun) show = NULL, bad_kind = NULL, bad_id = NULL, open = NULL;
	g_autofree char *id = NULL, *id2 = NULL, *state = NULL;

	create = cb_test_ctl_admin(d, "session", "create", "--title", "Tiếp đột xuất", "--kind",
				   "regular", "--start", soon, "--duration", "90m", "--presiding",
				   "Phó Chủ tịch");
	cb_test_ctl_assert_ok(create);
	id = g_strdup_printf("%" G_GINT64_FORMAT, cb_test_ctl_record_id(create->out));
	/* within 30 minutes of its start: its waiting room is open */
	state = cb_test_ctl_record_value(create->out, "state");
	g_assert_cmpstr(state, ==, "open");

	start = cb_test_ctl_admin(d, "session", "start", id);
	cb_test_ctl_assert_ok(start);
	g_assert_nonnull(strstr(start->out, "live"));
	again = cb_test_ctl_admin(d, "session", "start", id);
	cb_test_ctl_assert_fails(again, 1, "is live");
	end = cb_test_ctl_admin(d, "session", "end", id);
	cb_test_ctl_assert_ok(end);
	g_assert_nonnull(strstr(end->out, "ended"));

	create2 = cb_test_ctl_admin(d, "session", "create", "--title", "Tiếp chiều", "--kind",
				    "leadership", "--start", later);
	cb_test_ctl_assert_ok(create2);
	id2 = g_strdup_printf("%" G_GINT64_FORMAT, cb_test_ctl_record_id(create2->out));
	g_assert_nonnull(strstr(create2->out, "scheduled"));
	no_reason = cb_test_ctl_admin(d, "session", "cancel", id2);
	cb_test_ctl_assert_fails(no_reason, 2, "--reason");
	cancel = cb_test_ctl_admin(d, "session", "cancel", id2, "--reason", "mưa bão");
	cb_test_ctl_assert_ok(cancel);
	g_assert_nonnull(strstr(cancel->out, "mưa bão"));
	open = cb_test_ctl_admin(d, "session", "open", id2);
	cb_test_ctl_assert_fails(open, 1, "cancelled");

	list = cb_test_ctl_admin(d, "session", "list");
	cb_test_ctl_assert_ok(list);
	g_assert_true(g_str_has_prefix(list->out, "ID  STATE"));
	g_assert_nonnull(strstr(list->out, "ended"));
	g_assert_nonnull(strstr(list->out, "cancelled"));
	show = cb_test_ctl_admin(d, "session", "show", id);
	cb_test_ctl_assert_ok(show);
	g_assert_nonnull(strstr(show->out, "Phó Chủ tịch"));

	bad_kind = cb_test_ctl_admin(d, "session", "create", "--title", "x", "--kind", "party");
	cb_test_ctl_assert_fails(bad_kind, 1, "kind");
	bad_id = cb_test_ctl_admin(d, "session", "open", "0");
	cb_test_ctl_assert_fails(bad_id, 2, "session id");
}

static void
test_staff_and_operator(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_ctl_daemon_new(CB_TEST_CTL_CONFIG_NO_SERIES);
	g_autoptr(CbTestCtlRun) bp =
		cb_test_ctl_admin(d, "bridge-point", "add", "--code", "hk", "--name", "Hoàn Kiếm");
	g_autofree char *staff = cb_test_daemon_issue_token(d, CB_ROLE_STAFF, 0, 0, 0);
	g_autofree char *operator_token = NULL;
	g_autoptr(CbTestCtlRun) create = NULL, list = NULL, refused = NULL, series = NULL;

	cb_test_ctl_assert_ok(bp);
	operator_token = cb_test_daemon_issue_token(d, CB_ROLE_OPERATOR,
						    cb_test_ctl_record_id(bp->out), 0, 0);
	create = cb_test_ctl_run(NULL, "--url", d->url, "--token", staff, "session", "create",
				 "--title", "Tiếp", "--kind", "regular");
	cb_test_ctl_assert_ok(create);
	list = cb_test_ctl_run(NULL, "--url", d->url, "--token", operator_token, "session", "list");
	cb_test_ctl_assert_ok(list);
	g_assert_nonnull(strstr(list->out, "Tiếp"));
	refused = cb_test_ctl_run(NULL, "--url", d->url, "--token", operator_token, "session",
				  "end", "1");
	cb_test_ctl_assert_fails(refused, 1, "admin, staff");
	series = cb_test_ctl_run(NULL, "--url", d->url, "--token", staff, "schedule", "series",
				 "create", "--rrule", "FREQ=WEEKLY", "--start", "08:00",
				 "--duration", "1h", "--kind", "regular", "--title", "x");
	cb_test_ctl_assert_fails(series, 1, "admin");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/civic-bridge/ctl/schedule/series", test_series);
	g_test_add_func("/civic-bridge/ctl/schedule/move-and-cancel", test_move_and_cancel);
	g_test_add_func("/civic-bridge/ctl/session/lifecycle", test_session_lifecycle);
	g_test_add_func("/civic-bridge/ctl/session/roles", test_staff_and_operator);
	return g_test_run();
}
