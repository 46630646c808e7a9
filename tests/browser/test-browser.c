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

/* runs tests/browser/@name with @env (name, value, ..., NULL), shows its
 * report, and fails unless every check passed and it said each of @expected
 * (so a script that skipped its main checks cannot pass); @what names it */
static void
run_script(const char *name, const char *const *env, const char *what, const char *const *expected)
{
	const char *root = g_getenv("CB_SOURCE_ROOT");
	g_autofree char *browser_dir = g_build_filename(root, "tests", "browser", NULL);
	g_autofree char *script = g_build_filename(browser_dir, name, NULL);
	g_autofree char *node = find_tools(browser_dir);
	g_autofree char *out = NULL;
	g_auto(GStrv) lines = NULL;
	int status = run_node(node, script, env, &out);

	lines = g_strsplit(out, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++)
		g_test_message("%s", lines[i]);
	if (status != 0)
		g_error("%s failed (exit %d); its report is above", what, status);
	g_assert_null(strstr(out, "not ok"));
	for (guint i = 0; expected != NULL && expected[i] != NULL; i++)
		g_assert_nonnull(strstr(out, expected[i]));
	g_assert_nonnull(strstr(out, " 0 failed"));
}

static void
start_daemon(CbTestDaemon *d, const char *config)
{
	g_autoptr(GError) error = NULL;

	cb_test_daemon_set_config(d, config);
	if (!cb_test_daemon_start(d, &error))
		g_error("daemon did not start: %s", error->message);
}

/* a bridge point and its operator's token (*@op_token); returns its id */
static gint64
add_bridge_point(CbTestDaemon *d, const char *code, const char *name, char **op_token)
{
	g_autofree char *body = g_strdup_printf("{\"code\":\"%s\",\"name\":\"%s\"}", code, name);
	g_autoptr(JsonNode) bp =
		call(d, "POST", "/api/v1/bridge-points", d->admin_token, body, 201);
	gint64 id = json_object_get_int_member(json_node_get_object(bp), "id");

	*op_token = cb_test_daemon_issue_token(d, CB_ROLE_OPERATOR, id, 0, 0);
	return id;
}

/* a session starting in 10 minutes, started now (live) */
static gint64
live_session(CbTestDaemon *d, const char *staff)
{
	gint64 id = new_session(d, staff);
	g_autofree char *path = g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT "/start", id);
	g_autoptr(JsonNode) started = call(d, "POST", path, staff, NULL, 200);

	return id;
}

#define ID(x) g_strdup_printf("%" G_GINT64_FORMAT, (gint64)(x))

/* a daemon with @config, a bridge point and its operator, a live session
 * and one not started: what the test pages and the citizen's and
 * operator's pages need; then @script */
static void
run_with_live_session(const char *config, const char *script, const char *what,
		      const char *const *expected)
{
	g_autoptr(CbTestDaemon) d = cb_test_daemon_new();
	g_autofree char *staff = NULL, *op_token = NULL, *session = NULL, *idle = NULL;
	g_autofree char *bp_id = NULL;

	start_daemon(d, config);
	staff = cb_test_daemon_issue_token(d, CB_ROLE_STAFF, 0, 0, 0);
	bp_id = ID(add_bridge_point(d, "soc-son", "Xã Sóc Sơn", &op_token));
	session = ID(live_session(d, staff));
	idle = ID(new_session(d, staff));
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
		run_script(script, env, what, expected);
	}
}

/* the hall and bridge-point test pages (tests/browser/hall-and-bridge-point.mjs) */
static void
test_hall_and_bridge_point(void)
{
	const char *expected[] = {"decodes frames from the hall", NULL};

	/* STUN and TURN servers that do not exist: nothing answers on loopback,
	 * but the pages must hand them, credentials included, to their
	 * RTCPeerConnections */
	run_with_live_session("[media]\nice-addresses=127.0.0.1\n"
			      "client-ice-servers=stun:127.0.0.1:3478\n"
			      "turn-servers=turn:127.0.0.1:3478?transport=udp\n"
			      "turn-secret=browser-test-secret\n",
			      "hall-and-bridge-point.mjs", "the browser test", expected);
}

/* the waiting room and the bridge-point page (tests/browser/pages.mjs): a
 * citizen registers, is called, admitted and sees the hall; an operator
 * joins, sees the hall and the floor and registers a walk-in */
static void
test_pages(void)
{
	const char *expected[] = {"the citizen decodes the hall's video",
				  "the bridge point joins and decodes the hall", NULL};

	/* the test registers several citizens from one address and tries wrong
	 * tokens on purpose: neither limit is what it is about */
	run_with_live_session("[media]\nice-addresses=127.0.0.1\n"
			      "[queue]\nregister-limit=1000\n"
			      "[limits]\nauth-failure-limit=1000\n"
			      "[schedule]\nrrule=\n",
			      "pages.mjs", "the pages' browser test", expected);
}

/* the staff console (data/web/console/) against the real daemon: a bridge
 * point, its operator's token, a staff token and an expired one, and a
 * session that is open but not started (the console starts it); then
 * tests/browser/console.mjs, which checks what the console shows and does
 * and what the daemon's API says after each action */
static void
test_console(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_daemon_new();
	g_autoptr(JsonNode) opened = NULL;
	g_autofree char *staff = NULL, *expired = NULL, *op_token = NULL, *session = NULL;
	g_autofree char *bp_id = NULL, *path = NULL, *later = NULL;
	const char *expected[] = {"the console decodes the bridge point's video", NULL};
	gint64 id;

	start_daemon(d, "[media]\nice-addresses=127.0.0.1\n"
			"stats-interval-seconds=1\n");
	staff = cb_test_daemon_issue_token(d, CB_ROLE_STAFF, 0, 0, 0);
	expired = cb_test_daemon_issue_token(d, CB_ROLE_STAFF, 0, 0,
					     g_get_real_time() - (gint64)3600 * G_USEC_PER_SEC);
	bp_id = ID(add_bridge_point(d, "dong-anh", "Xã Đông Anh", &op_token));
	/* one that opens by itself (it starts within open-before-minutes), and
	 * one two days on, still scheduled */
	id = new_session(d, staff);
	session = ID(id);
	path = g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT, id);
	opened = call(d, "GET", path, staff, NULL, 200);
	g_assert_cmpstr(json_object_get_string_member(json_node_get_object(opened), "state"), ==,
			"open");
	later = ID(session_in(d, staff, 2 * 24 * 60));
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
		run_script("console.mjs", env, "the console's browser test", expected);
	}
}

/* the console against a daemon that allows one peer per connection: it
 * says plainly that pictures are missing and which key raises the bound
 * (tests/browser/console-limit.mjs) */
static void
test_console_peer_limit(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_daemon_new();
	g_autofree char *staff = NULL, *session = NULL;

	start_daemon(d, "[media]\nice-addresses=127.0.0.1\n"
			"max-peers-per-connection=1\n");
	staff = cb_test_daemon_issue_token(d, CB_ROLE_STAFF, 0, 0, 0);
	session = ID(live_session(d, staff));
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
		run_script("console-limit.mjs", env, "the console's peer-limit test", NULL);
	}
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
