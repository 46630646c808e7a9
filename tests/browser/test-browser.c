/*
 * Chromium as the reception hall and as a bridge point against the real
 * daemon: this harness starts civic-bridged (ICE on 127.0.0.1: run inside
 * `unshare -n` with loopback up, as tools/test does), makes a bridge point,
 * an operator's and a staff token and a live session, then runs
 * tests/browser/hall-and-bridge-point.mjs (playwright-core driving Debian's
 * /usr/bin/chromium with a fake camera and microphone) and checks what it
 * reports. A missing node, Chromium or node_modules fails the test with what
 * to do: tools/install-deps installs all three. The staff console gets a test
 * of its own (tests/browser/console.mjs), run the same way.
 */
#include <string.h>

#include "cb-test-daemon.h"

#define NODE_TIMEOUT_S 300

typedef struct {
	char *out;
	GError *error;
	gboolean done;
} Run;

static void
communicated_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Run *run = user_data;

	g_subprocess_communicate_utf8_finish(G_SUBPROCESS(source), result, &run->out, NULL,
					     &run->error);
	run->done = TRUE;
}

static gboolean
timed_out_cb(gpointer user_data)
{
	*(gboolean *)user_data = TRUE;
	return G_SOURCE_REMOVE;
}

static JsonNode *
call(CbTestDaemon *d, const char *method, const char *path, const char *token, const char *body,
     guint want)
{
	JsonNode *answer = NULL;
	guint status = cb_test_http(d, method, path, token, body, &answer);

	if (status != want)
		g_error("%s %s: %u, wanted %u", method, path, status, want);
	return answer;
}

/* an ad-hoc session starting @minutes from now */
static gint64
session_in(CbTestDaemon *d, const char *staff, int minutes)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GDateTime) start = g_date_time_add_minutes(now, minutes);
	g_autofree char *iso = g_date_time_format_iso8601(start);
	g_autofree char *body = g_strdup_printf("{\"title\":\"Tiếp công dân\",\"kind\":\"regular\","
						"\"starts_at\":\"%s\",\"duration_minutes\":180}",
						iso);
	g_autoptr(JsonNode) session = call(d, "POST", "/api/v1/sessions", staff, body, 201);

	return json_object_get_int_member(json_node_get_object(session), "id");
}

static gint64
new_session(CbTestDaemon *d, const char *staff)
{
	return session_in(d, staff, 10);
}

/* node, the script's node_modules and Chromium: a clear failure when one is missing */
static char *
find_tools(const char *browser_dir)
{
	g_autofree char *modules = g_build_filename(browser_dir, "node_modules", "playwright-core",
						    "package.json", NULL);
	const char *chromium =
		g_getenv("CB_CHROMIUM") != NULL ? g_getenv("CB_CHROMIUM") : "/usr/bin/chromium";
	char *node = g_find_program_in_path("node");

	if (node == NULL)
		g_error("node is not installed: run tools/install-deps (Debian packages nodejs, "
			"npm)");
	if (!g_file_test(modules, G_FILE_TEST_EXISTS))
		g_error("%s is missing: run tools/install-deps (it runs 'npm ci' in tests/browser)",
			modules);
	if (!g_file_test(chromium, G_FILE_TEST_IS_EXECUTABLE))
		g_error("%s is missing: run tools/install-deps (Debian package chromium)",
			chromium);
	return node;
}

static int
run_node(const char *node, const char *script, const char *const *env, char **out)
{
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
		G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;
	Run run = {0};
	gboolean timed_out = FALSE;
	guint timer;

	for (guint i = 0; env[i] != NULL; i += 2)
		g_subprocess_launcher_setenv(launcher, env[i], env[i + 1], TRUE);
	process = g_subprocess_launcher_spawn(launcher, &error, node, script, NULL);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8_async(process, NULL, NULL, communicated_cb, &run);
	timer = g_timeout_add_seconds(NODE_TIMEOUT_S, timed_out_cb, &timed_out);
	while (!run.done && !timed_out)
		g_main_context_iteration(NULL, TRUE);
	if (!run.done) {
		g_subprocess_force_exit(process);
		while (!run.done)
			g_main_context_iteration(NULL, TRUE);
		g_error("the browser test did not finish within %d s:\n%s", NODE_TIMEOUT_S,
			run.out != NULL ? run.out : "");
	}
	g_source_remove(timer);
	g_assert_no_error(run.error);
	g_subprocess_wait(process, NULL, NULL);
	*out = run.out;
	return g_subprocess_get_if_exited(process) ? g_subprocess_get_exit_status(process) : -1;
}

static void
test_hall_and_bridge_point(void)
{
	const char *root = g_getenv("CB_SOURCE_ROOT");
	g_autofree char *browser_dir = g_build_filename(root, "tests", "browser", NULL);
	g_autofree char *script = g_build_filename(browser_dir, "hall-and-bridge-point.mjs", NULL);
	g_autofree char *node = find_tools(browser_dir);
	g_autoptr(CbTestDaemon) d = cb_test_daemon_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) bp = NULL;
	g_autofree char *staff = NULL, *op_token = NULL, *out = NULL;
	g_autofree char *session = NULL, *idle = NULL, *bp_id = NULL, *start = NULL;
	g_auto(GStrv) lines = NULL;
	gint64 live;
	int status;

	/* STUN and TURN servers that do not exist: nothing answers on loopback,
	 * but the pages must hand them, credentials included, to their
	 * RTCPeerConnections */
	cb_test_daemon_set_config(d, "[media]\nice-addresses=127.0.0.1\n"
				     "client-ice-servers=stun:127.0.0.1:3478\n"
				     "turn-servers=turn:127.0.0.1:3478?transport=udp\n"
				     "turn-secret=browser-test-secret\n");
	if (!cb_test_daemon_start(d, &error))
		g_error("daemon did not start: %s", error->message);
	staff = cb_test_daemon_issue_token(d, CB_ROLE_STAFF, 0, 0, 0);
	bp = call(d, "POST", "/api/v1/bridge-points", d->admin_token,
		  "{\"code\":\"soc-son\",\"name\":\"Xã Sóc Sơn\"}", 201);
	bp_id = g_strdup_printf("%" G_GINT64_FORMAT,
				json_object_get_int_member(json_node_get_object(bp), "id"));
	op_token = cb_test_daemon_issue_token(
		d, CB_ROLE_OPERATOR, json_object_get_int_member(json_node_get_object(bp), "id"), 0,
		0);
	live = new_session(d, staff);
	start = g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT "/start", live);
	g_clear_pointer(&bp, json_node_unref);
	bp = call(d, "POST", start, staff, NULL, 200);
	session = g_strdup_printf("%" G_GINT64_FORMAT, live);
	idle = g_strdup_printf("%" G_GINT64_FORMAT, new_session(d, staff));
	{
		const char *env[] = {"CB_URL",
				     d->url,
				     "CB_STAFF_TOKEN",
				     staff,
				     "CB_OPERATOR_TOKEN",
				     op_token,
				     "CB_SESSION_ID",
				     session,
				     "CB_IDLE_SESSION_ID",
				     idle,
				     "CB_BRIDGE_POINT_ID",
				     bp_id,
				     "CB_BROWSER_ARTIFACTS",
				     g_getenv("CB_BROWSER_ARTIFACTS"),
				     NULL};
		status = run_node(node, script, env, &out);
	}
	lines = g_strsplit(out, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++)
		g_test_message("%s", lines[i]);
	if (status != 0)
		g_error("the browser test failed (exit %d); its report is above", status);
	g_assert_null(strstr(out, "not ok"));
	g_assert_nonnull(strstr(out, "decodes frames from the hall"));
	g_assert_nonnull(strstr(out, " 0 failed"));
}

/* the waiting room and the bridge-point page (tests/browser/pages.mjs): a
 * citizen registers, is called, admitted and sees the hall; an operator
 * joins, sees the hall and the floor and registers a walk-in */
static void
test_pages(void)
{
	const char *root = g_getenv("CB_SOURCE_ROOT");
	g_autofree char *browser_dir = g_build_filename(root, "tests", "browser", NULL);
	g_autofree char *script = g_build_filename(browser_dir, "pages.mjs", NULL);
	g_autofree char *node = find_tools(browser_dir);
	g_autoptr(CbTestDaemon) d = cb_test_daemon_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) bp = NULL;
	g_autoptr(JsonNode) started = NULL;
	g_autofree char *staff = NULL, *op_token = NULL, *out = NULL;
	g_autofree char *session = NULL, *idle = NULL, *bp_id = NULL, *start = NULL;
	g_auto(GStrv) lines = NULL;
	gint64 live;
	int status;

	/* the test registers several citizens from one address and tries wrong
	 * tokens on purpose: neither limit is what it is about */
	cb_test_daemon_set_config(d, "[media]\nice-addresses=127.0.0.1\n"
				     "[queue]\nregister-limit=1000\n"
				     "[limits]\nauth-failure-limit=1000\n"
				     "[schedule]\nrrule=\n");
	if (!cb_test_daemon_start(d, &error))
		g_error("daemon did not start: %s", error->message);
	staff = cb_test_daemon_issue_token(d, CB_ROLE_STAFF, 0, 0, 0);
	bp = call(d, "POST", "/api/v1/bridge-points", d->admin_token,
		  "{\"code\":\"soc-son\",\"name\":\"Xã Sóc Sơn\"}", 201);
	bp_id = g_strdup_printf("%" G_GINT64_FORMAT,
				json_object_get_int_member(json_node_get_object(bp), "id"));
	op_token = cb_test_daemon_issue_token(
		d, CB_ROLE_OPERATOR, json_object_get_int_member(json_node_get_object(bp), "id"), 0,
		0);
	live = new_session(d, staff);
	start = g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT "/start", live);
	started = call(d, "POST", start, staff, NULL, 200);
	session = g_strdup_printf("%" G_GINT64_FORMAT, live);
	idle = g_strdup_printf("%" G_GINT64_FORMAT, new_session(d, staff));
	{
		const char *env[] = {"CB_URL",
				     d->url,
				     "CB_STAFF_TOKEN",
				     staff,
				     "CB_OPERATOR_TOKEN",
				     op_token,
				     "CB_SESSION_ID",
				     session,
				     "CB_IDLE_SESSION_ID",
				     idle,
				     "CB_BRIDGE_POINT_ID",
				     bp_id,
				     "CB_BROWSER_ARTIFACTS",
				     g_getenv("CB_BROWSER_ARTIFACTS"),
				     NULL};
		status = run_node(node, script, env, &out);
	}
	lines = g_strsplit(out, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++)
		g_test_message("%s", lines[i]);
	if (status != 0)
		g_error("the pages' browser test failed (exit %d); its report is above", status);
	g_assert_null(strstr(out, "not ok"));
	g_assert_nonnull(strstr(out, "the citizen decodes the hall's video"));
	g_assert_nonnull(strstr(out, "the bridge point joins and decodes the hall"));
	g_assert_nonnull(strstr(out, " 0 failed"));
}

/* the staff console (data/web/console/) against the real daemon: a bridge
 * point, its operator's token, a staff token and an expired one, and a
 * session that is open but not started (the console starts it); then
 * tests/browser/console.mjs, which checks what the console shows and does
 * and what the daemon's API says after each action */
static void
test_console(void)
{
	const char *root = g_getenv("CB_SOURCE_ROOT");
	g_autofree char *browser_dir = g_build_filename(root, "tests", "browser", NULL);
	g_autofree char *script = g_build_filename(browser_dir, "console.mjs", NULL);
	g_autofree char *node = find_tools(browser_dir);
	g_autoptr(CbTestDaemon) d = cb_test_daemon_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) bp = NULL, opened = NULL;
	g_autofree char *staff = NULL, *expired = NULL, *op_token = NULL, *out = NULL;
	g_autofree char *session = NULL, *bp_id = NULL, *path = NULL, *later = NULL;
	g_auto(GStrv) lines = NULL;
	gint64 id;
	int status;

	cb_test_daemon_set_config(d, "[media]\nice-addresses=127.0.0.1\n"
				     "stats-interval-seconds=1\n");
	if (!cb_test_daemon_start(d, &error))
		g_error("daemon did not start: %s", error->message);
	staff = cb_test_daemon_issue_token(d, CB_ROLE_STAFF, 0, 0, 0);
	expired = cb_test_daemon_issue_token(d, CB_ROLE_STAFF, 0, 0,
					     g_get_real_time() - (gint64)3600 * G_USEC_PER_SEC);
	bp = call(d, "POST", "/api/v1/bridge-points", d->admin_token,
		  "{\"code\":\"dong-anh\",\"name\":\"Xã Đông Anh\"}", 201);
	id = json_object_get_int_member(json_node_get_object(bp), "id");
	bp_id = g_strdup_printf("%" G_GINT64_FORMAT, id);
	op_token = cb_test_daemon_issue_token(d, CB_ROLE_OPERATOR, id, 0, 0);
	/* one that opens by itself (it starts within open-before-minutes), and
	 * one two days on, still scheduled */
	id = new_session(d, staff);
	session = g_strdup_printf("%" G_GINT64_FORMAT, id);
	path = g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT, id);
	opened = call(d, "GET", path, staff, NULL, 200);
	g_assert_cmpstr(json_object_get_string_member(json_node_get_object(opened), "state"), ==,
			"open");
	later = g_strdup_printf("%" G_GINT64_FORMAT, session_in(d, staff, 2 * 24 * 60));
	/* a series with two occurrences three days on: their sessions are moved
	 * and cancelled as occurrences */
	{
		g_autoptr(GDateTime) now = g_date_time_new_now_utc();
		g_autoptr(GDateTime) day = g_date_time_add_days(now, 3);
		g_autofree char *first = g_date_time_format(day, "%F");
		g_autofree char *body = g_strdup_printf(
			"{\"rrule\":\"FREQ=DAILY;COUNT=2\",\"start_time\":\"09:00\","
			"\"duration_minutes\":60,\"kind\":\"regular\",\"title\":\"Tiếp định kỳ\","
			"\"starts_on\":\"%s\"}",
			first);
		g_autoptr(JsonNode) series =
			call(d, "POST", "/api/v1/series", d->admin_token, body, 201);
	}
	{
		const char *env[] = {"CB_URL",
				     d->url,
				     "CB_STAFF_TOKEN",
				     staff,
				     "CB_EXPIRED_TOKEN",
				     expired,
				     "CB_OPERATOR_TOKEN",
				     op_token,
				     "CB_SESSION_ID",
				     session,
				     "CB_LATER_SESSION_ID",
				     later,
				     "CB_BRIDGE_POINT_ID",
				     bp_id,
				     "CB_BROWSER_ARTIFACTS",
				     g_getenv("CB_BROWSER_ARTIFACTS"),
				     NULL};
		status = run_node(node, script, env, &out);
	}
	lines = g_strsplit(out, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++)
		g_test_message("%s", lines[i]);
	if (status != 0)
		g_error("the console's browser test failed (exit %d); its report is above", status);
	g_assert_null(strstr(out, "not ok"));
	g_assert_nonnull(strstr(out, "the console decodes the bridge point's video"));
	g_assert_nonnull(strstr(out, " 0 failed"));
}

/* the console against a daemon that allows one peer per connection: it
 * says plainly that pictures are missing and which key raises the bound
 * (tests/browser/console-limit.mjs) */
static void
test_console_peer_limit(void)
{
	const char *root = g_getenv("CB_SOURCE_ROOT");
	g_autofree char *browser_dir = g_build_filename(root, "tests", "browser", NULL);
	g_autofree char *script = g_build_filename(browser_dir, "console-limit.mjs", NULL);
	g_autofree char *node = find_tools(browser_dir);
	g_autoptr(CbTestDaemon) d = cb_test_daemon_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) started = NULL;
	g_autofree char *staff = NULL, *session = NULL, *path = NULL, *out = NULL;
	g_auto(GStrv) lines = NULL;
	gint64 id;
	int status;

	cb_test_daemon_set_config(d, "[media]\nice-addresses=127.0.0.1\n"
				     "max-peers-per-connection=1\n");
	if (!cb_test_daemon_start(d, &error))
		g_error("daemon did not start: %s", error->message);
	staff = cb_test_daemon_issue_token(d, CB_ROLE_STAFF, 0, 0, 0);
	id = new_session(d, staff);
	session = g_strdup_printf("%" G_GINT64_FORMAT, id);
	path = g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT "/start", id);
	started = call(d, "POST", path, staff, NULL, 200);
	{
		const char *env[] = {"CB_URL",
				     d->url,
				     "CB_STAFF_TOKEN",
				     staff,
				     "CB_SESSION_ID",
				     session,
				     "CB_BROWSER_ARTIFACTS",
				     g_getenv("CB_BROWSER_ARTIFACTS"),
				     NULL};
		status = run_node(node, script, env, &out);
	}
	lines = g_strsplit(out, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++)
		g_test_message("%s", lines[i]);
	if (status != 0)
		g_error("the console's peer-limit test failed (exit %d); its report is above",
			status);
	g_assert_nonnull(strstr(out, " 0 failed"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	if (g_getenv("CB_BROWSER_ARTIFACTS") == NULL)
		g_error("CB_BROWSER_ARTIFACTS is not set; run the tests with meson test");
	g_test_add_func("/civic-bridge/browser/hall-and-bridge-point", test_hall_and_bridge_point);
	g_test_add_func("/civic-bridge/browser/pages", test_pages);
	g_test_add_func("/civic-bridge/browser/console", test_console);
	g_test_add_func("/civic-bridge/browser/console-peer-limit", test_console_peer_limit);
	return g_test_run();
}
