#define G_LOG_DOMAIN "CbCtlTest"

/* civic-bridgectl recording list|show|hold|unhold|purge against a real
 * civic-bridged, on recordings of real Matroska segments */
#include <string.h>

#include "cb-test-ctl.h"
#include "cb-test-recording-folder.h"

#define DAY_US (G_GINT64_CONSTANT(86400) * G_USEC_PER_SEC)

typedef struct {
	CbTestDaemon *d;
	char *staff;
	char *operator_token;
	char *folder;
} Fixture;

static gint64
create_session(CbTestDaemon *d)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GDateTime) later = g_date_time_add_days(now, 1);
	g_autofree char *start = g_date_time_format_iso8601(later);
	g_autofree char *body = g_strdup_printf(
		"{\"title\":\"Tiếp dân định kỳ\",\"kind\":\"leadership\",\"starts_at\":\"%s\"}",
		start);
	g_autoptr(JsonNode) session = NULL;

	g_assert_cmpuint(
		cb_test_http(d, "POST", "/api/v1/sessions", d->admin_token, body, &session), ==,
		201);
	return json_object_get_int_member(json_node_get_object(session), "id");
}

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
	g_autoptr(JsonNode) bp = NULL;
	CbTestRecordingSpec spec = {0, FALSE, 2, 0, g_get_real_time() - 400 * DAY_US, TRUE};

	f->d = cb_test_ctl_daemon_new(CB_TEST_CTL_CONFIG_NO_SERIES);
	f->staff = cb_test_daemon_issue_token(f->d, CB_ROLE_STAFF, 0, 0, 0);
	g_assert_cmpuint(cb_test_http(f->d, "POST", "/api/v1/bridge-points", f->d->admin_token,
				      "{\"code\":\"bp-3\",\"name\":\"Điểm cầu 3\"}", &bp),
			 ==, 201);
	f->operator_token = cb_test_daemon_issue_token(
		f->d, CB_ROLE_OPERATOR, json_object_get_int_member(json_node_get_object(bp), "id"),
		0, 0);
	spec.session_id = create_session(f->d);
	f->folder = cb_test_recording_write(f->d->state_dir, &spec);
	spec.confidential = TRUE;
	g_free(cb_test_recording_write(f->d->state_dir, &spec));
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
	cb_test_daemon_free(f->d);
	g_free(f->staff);
	g_free(f->operator_token);
	g_free(f->folder);
}

static void
test_list_and_show(Fixture *f, gconstpointer data)
{
	g_autoptr(CbTestCtlRun) list = cb_test_ctl_as(f->d, f->staff, "recording", "list");
	g_autoptr(CbTestCtlRun) json =
		cb_test_ctl_as(f->d, f->staff, "--format", "json", "recording", "list");
	g_autoptr(CbTestCtlRun) secret =
		cb_test_ctl_as(f->d, f->staff, "recording", "list", "--confidential");
	g_autoptr(CbTestCtlRun) show =
		cb_test_ctl_as(f->d, f->staff, "recording", "show", "1", "--segments");
	g_autoptr(CbTestCtlRun) show_json =
		cb_test_ctl_as(f->d, f->staff, "--format", "json", "recording", "show", "1");
	g_autofree char *segments = NULL;
	g_autofree char *hold = NULL;
	JsonObject *listed;
	JsonObject *shown;

	cb_test_ctl_assert_ok(list);
	g_assert_nonnull(strstr(list->out, "SESSION"));
	g_assert_nonnull(strstr(list->out, "Tiếp dân định kỳ"));
	g_assert_nonnull(strstr(list->out, "leadership"));
	cb_test_ctl_assert_ok(json);
	listed = json_array_get_object_element(
		json_object_get_array_member(cb_test_ctl_json(json->out), "items"), 0);
	g_assert_cmpint(json_object_get_int_member(listed, "segments"), ==, 4);
	g_assert_true(json_object_get_boolean_member(listed, "has_confidential"));
	cb_test_ctl_assert_ok(secret);
	g_assert_nonnull(strstr(secret->out, "Tiếp dân định kỳ"));

	cb_test_ctl_assert_ok(show);
	segments = cb_test_ctl_record_value(show->out, "segments");
	hold = cb_test_ctl_record_value(show->out, "legal hold");
	g_assert_cmpstr(segments, ==, "4");
	g_assert_cmpstr(hold, ==, "false");
	g_assert_nonnull(strstr(show->out, "\nTRACKS\n"));
	g_assert_nonnull(strstr(show->out, "\nTIMELINE\n"));
	g_assert_nonnull(strstr(show->out, "joined"));
	g_assert_nonnull(strstr(show->out, "bp-3/video-p1-00002.mkv"));
	cb_test_ctl_assert_ok(show_json);
	shown = cb_test_ctl_json(show_json->out);
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(shown, "tracks")), ==,
			 2);
}

static void
test_hold_purge(Fixture *f, gconstpointer data)
{
	g_autoptr(CbTestCtlRun) hold = cb_test_ctl_as(f->d, f->staff, "recording", "hold", "1");
	g_autoptr(CbTestCtlRun) kept = cb_test_ctl_admin(f->d, "recording", "purge");
	g_autoptr(CbTestCtlRun) unhold = NULL;
	g_autoptr(CbTestCtlRun) purged = NULL;
	g_autoptr(CbTestCtlRun) empty = NULL;
	g_autoptr(CbTestCtlRun) verify = NULL;
	g_autofree char *held = NULL;

	cb_test_ctl_assert_ok(hold);
	held = cb_test_ctl_record_value(hold->out, "legal hold");
	g_assert_cmpstr(held, ==, "true");
	cb_test_ctl_assert_ok(kept);
	g_assert_nonnull(strstr(kept->out, "retention: 365 days"));
	g_assert_nonnull(strstr(kept->out, "kept: session 1,"));
	g_assert_nonnull(strstr(kept->out, ": legal-hold\n"));
	g_assert_nonnull(strstr(kept->out, "0 deleted, 2 kept"));
	/* verify, which reads the state directory itself, still finds it whole */
	verify = cb_test_ctl_run(NULL, "--state-dir", f->d->state_dir, "recording", "verify", "1");
	cb_test_ctl_assert_ok(verify);
	g_assert_nonnull(strstr(verify->out, ": intact\n"));

	unhold = cb_test_ctl_as(f->d, f->staff, "recording", "unhold", "1");
	cb_test_ctl_assert_ok(unhold);
	purged = cb_test_ctl_admin(f->d, "recording", "purge");
	cb_test_ctl_assert_ok(purged);
	g_assert_nonnull(strstr(purged->out, "deleted: session 1,"));
	g_assert_nonnull(strstr(purged->out, "deleted: session 1 (confidential),"));
	g_assert_false(g_file_test(f->folder, G_FILE_TEST_EXISTS));
	empty = cb_test_ctl_as(f->d, f->staff, "--format", "json", "recording", "list");
	cb_test_ctl_assert_ok(empty);
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(
				 cb_test_ctl_json(empty->out), "items")),
			 ==, 0);
}

static void
test_refused_and_bad_input(Fixture *f, gconstpointer data)
{
	g_autoptr(CbTestCtlRun) list = cb_test_ctl_as(f->d, f->operator_token, "recording", "list");
	g_autoptr(CbTestCtlRun) show =
		cb_test_ctl_as(f->d, f->operator_token, "recording", "show", "1");
	g_autoptr(CbTestCtlRun) staff_purge = cb_test_ctl_as(f->d, f->staff, "recording", "purge");
	g_autoptr(CbTestCtlRun) unknown = cb_test_ctl_as(f->d, f->staff, "recording", "show", "9");
	g_autoptr(CbTestCtlRun) word = cb_test_ctl_as(f->d, f->staff, "recording", "hold", "seven");
	g_autoptr(CbTestCtlRun) missing = cb_test_ctl_as(f->d, f->staff, "recording", "unhold");

	cb_test_ctl_assert_fails(list, 1, "this token is operator");
	cb_test_ctl_assert_fails(show, 1, "this token is operator");
	cb_test_ctl_assert_fails(staff_purge, 1, "this token is staff");
	cb_test_ctl_assert_fails(unknown, 1, "session 9 has no recording");
	cb_test_ctl_assert_fails(word, 2, "not a valid session id");
	g_assert_cmpint(missing->status, ==, 2);
	g_assert_true(g_file_test(f->folder, G_FILE_TEST_IS_DIR));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn)                                                                              \
	g_test_add("/civic-bridge/ctl-recordings/" path, Fixture, NULL, fixture_set_up, fn,        \
		   fixture_tear_down)
	ADD("list-and-show", test_list_and_show);
	ADD("hold-purge", test_hold_purge);
	ADD("refused-and-bad-input", test_refused_and_bad_input);
	return g_test_run();
}
