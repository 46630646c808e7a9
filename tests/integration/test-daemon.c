/* civic-bridged as a process: readiness, watchdog, signals, restarts, refusals */
#include <glib/gstdio.h>
#include <signal.h>

#include "cb-test-daemon.h"

static void
start_or_fail(CbTestDaemon *d)
{
	g_autoptr(GError) error = NULL;

	if (!cb_test_daemon_start(d, &error))
		g_error("daemon did not start: %s", error->message);
}

/* runs civic-bridged to completion with @args; returns the exit status */
static int
run_daemon_sync(const char *const *args, char **out, char **err)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	int status = 0;

	g_ptr_array_add(argv, (gpointer)cb_test_program("CB_DAEMON_PATH"));
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err,
		     &status, &error);
	g_assert_no_error(error);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
test_ready_status_and_watchdog(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_daemon_new();
	g_autofree char *first = NULL;
	g_autofree char *second = NULL;
	gint64 start;

	cb_test_daemon_add_env(d, "WATCHDOG_USEC=200000");
	start = g_get_monotonic_time();
	start_or_fail(d);
	/* READY=1 came with the address it listens on */
	g_assert_true(g_str_has_prefix(d->url, "http://127.0.0.1:"));
	g_assert_cmpuint(cb_test_http(d, "GET", "/healthz", NULL, NULL, NULL), ==, 200);
	/* pings every 100 ms: two within a second of readiness */
	first = cb_test_daemon_wait_notify(d, "WATCHDOG=1", 1000);
	second = cb_test_daemon_wait_notify(d, "WATCHDOG=1", 1000);
	g_assert_nonnull(first);
	g_assert_nonnull(second);
	g_assert_cmpint(g_get_monotonic_time() - start, <, 10 * G_TIME_SPAN_SECOND);
}

static void
test_no_watchdog_without_request(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_daemon_new();
	g_autofree char *ping = NULL;

	start_or_fail(d);
	ping = cb_test_daemon_wait_notify(d, "WATCHDOG=1", 500);
	g_assert_null(ping);
}

static void
test_sigterm_and_sigint_exit_zero(void)
{
	int signals[] = {SIGTERM, SIGINT};

	for (gsize i = 0; i < G_N_ELEMENTS(signals); i++) {
		g_autoptr(CbTestDaemon) d = cb_test_daemon_new();
		g_autofree char *stopping = NULL;

		start_or_fail(d);
		/* the exit must come within 2 s, status 0 */
		g_assert_cmpint(cb_test_daemon_signal_and_wait(d, signals[i], 2000), ==, 0);
		stopping = cb_test_daemon_wait_notify(d, "STOPPING=1", 100);
		g_assert_nonnull(stopping);
	}
}

static void
test_sighup_reloads_limits(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_daemon_new();
	g_autoptr(JsonNode) before = NULL;
	g_autoptr(JsonNode) after = NULL;
	g_autofree char *reloading = NULL;
	g_autofree char *ready = NULL;
	const char *deep = "{\"code\":\"x\",\"name\":\"y\",\"district\":[[[[[1]]]]]}";

	start_or_fail(d);
	g_assert_cmpuint(
		cb_test_http(d, "POST", "/api/v1/bridge-points", d->admin_token, deep, &before), ==,
		400);
	g_assert_cmpstr(
		json_object_get_string_member(
			json_object_get_object_member(json_node_get_object(before), "error"),
			"message"),
		==, "field 'district' must be a string");
	cb_test_daemon_set_config(d, "[limits]\nmax-json-depth=4\n[server]\nlisten=127.0.0.1:1\n");
	g_subprocess_send_signal(d->process, SIGHUP);
	reloading = cb_test_daemon_wait_notify(d, "RELOADING=1", 5000);
	ready = cb_test_daemon_wait_notify(d, "Configuration reloaded", 5000);
	g_assert_nonnull(reloading);
	g_assert_nonnull(ready);
	g_assert_nonnull(strstr(ready, "READY=1"));
	/* the new depth limit applies; the listen change waits for a restart */
	g_assert_cmpuint(
		cb_test_http(d, "POST", "/api/v1/bridge-points", d->admin_token, deep, &after), ==,
		400);
	g_assert_nonnull(
		strstr(json_object_get_string_member(
			       json_object_get_object_member(json_node_get_object(after), "error"),
			       "message"),
		       "deeper than 4"));
}

static void
test_sighup_with_broken_config_keeps_running(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_daemon_new();
	g_autofree char *failed = NULL;

	start_or_fail(d);
	cb_test_daemon_set_config(d, "[limits]\nmax-json-depth=bottomless\n");
	g_subprocess_send_signal(d->process, SIGHUP);
	failed = cb_test_daemon_wait_notify(d, "Reload failed", 5000);
	g_assert_nonnull(failed);
	g_assert_cmpuint(cb_test_http(d, "GET", "/healthz", NULL, NULL, NULL), ==, 200);
	g_assert_cmpuint(
		cb_test_http(d, "GET", "/api/v1/bridge-points", d->admin_token, NULL, NULL), ==,
		200);
}

/* every write the API acknowledged is there after kill -9 and a restart */
static void
test_kill9_keeps_acknowledged_writes(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_daemon_new();
	g_autoptr(JsonNode) list = NULL;
	guint acknowledged = 0;

	start_or_fail(d);
	for (int i = 0; i < 25; i++) {
		g_autofree char *body =
			g_strdup_printf("{\"code\":\"point-%d\",\"name\":\"Điểm %d\"}", i, i);
		if (cb_test_http(d, "POST", "/api/v1/bridge-points", d->admin_token, body, NULL) ==
		    201)
			acknowledged++;
	}
	g_assert_cmpuint(acknowledged, ==, 25);
	g_assert_cmpint(cb_test_daemon_signal_and_wait(d, SIGKILL, 5000), ==, 128 + SIGKILL);
	start_or_fail(d);
	g_assert_cmpuint(
		cb_test_http(d, "GET", "/api/v1/bridge-points", d->admin_token, NULL, &list), ==,
		200);
	g_assert_cmpuint(json_array_get_length(
				 json_object_get_array_member(json_node_get_object(list), "items")),
			 ==, 25);
}

static void
test_second_instance_refused(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_daemon_new();
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	int status;

	start_or_fail(d);
	status = run_daemon_sync((const char *const[]){"--config", d->config, "--state-dir",
						       d->state_dir, "--listen", "127.0.0.1:0",
						       NULL},
				 &out, &err);
	g_assert_cmpint(status, ==, 1);
	g_assert_nonnull(strstr(err, "in use by another civic-bridged"));
	g_assert_nonnull(strstr(err, d->state_dir));
	/* the first one is unharmed */
	g_assert_cmpuint(cb_test_http(d, "GET", "/readyz", NULL, NULL, NULL), ==, 200);
	g_assert_cmpuint(cb_test_http(d, "GET", "/api/v1/me", d->admin_token, NULL, NULL), ==, 200);
}

static void
test_check_config(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_daemon_new();
	g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;
	g_autofree char *out3 = NULL, *err3 = NULL;
	g_autofree char *place = g_strdup_printf("%s:3: [limits] idle-timeout-seconds", d->config);
	g_autofree char *warn = g_strdup_printf("%s:2: unknown key 'colour'", d->config);
	int status;

	cb_test_daemon_set_config(d, "[limits]\n\nidle-timeout-seconds=0\n");
	status = run_daemon_sync(
		(const char *const[]){"--config", d->config, "--check-config", NULL}, &out, &err);
	g_assert_cmpint(status, ==, 1);
	g_assert_nonnull(strstr(err, place));

	cb_test_daemon_set_config(d, "[server]\ncolour=blue\n");
	status = run_daemon_sync(
		(const char *const[]){"--config", d->config, "--check-config", NULL}, &out2, &err2);
	g_assert_cmpint(status, ==, 0);
	g_assert_nonnull(strstr(err2, warn));
	g_assert_nonnull(strstr(out2, "configuration is valid"));

	/* a key only the schedule can judge is checked too */
	{
		g_autofree char *out4 = NULL, *err4 = NULL;
		cb_test_daemon_set_config(d, "[schedule]\nrrule=FREQ=MONTHLY;BYDAY=9TU\n");
		g_assert_cmpint(run_daemon_sync((const char *const[]){"--config", d->config,
								      "--check-config", NULL},
						&out4, &err4),
				==, 1);
		g_assert_nonnull(strstr(err4, "yields no occurrence"));
	}
	/* the peers one connection holds: 1 to 200, and not more than a room holds */
	{
		g_autofree char *out5 = NULL, *err5 = NULL, *out6 = NULL, *err6 = NULL;
		cb_test_daemon_set_config(d, "[media]\nmax-peers-per-connection=0\n");
		g_assert_cmpint(run_daemon_sync((const char *const[]){"--config", d->config,
								      "--check-config", NULL},
						&out5, &err5),
				==, 1);
		g_assert_nonnull(strstr(err5, ":2: [media] max-peers-per-connection"));
		g_assert_nonnull(strstr(err5, "from 1 to 200"));
		cb_test_daemon_set_config(d,
					  "[media]\nmax-peers=10\nmax-peers-per-connection=11\n");
		g_assert_cmpint(run_daemon_sync((const char *const[]){"--config", d->config,
								      "--check-config", NULL},
						&out6, &err6),
				==, 1);
		g_assert_nonnull(strstr(err6, "[media] max-peers-per-connection (11) is more than "
					      "[media] max-peers (10)"));
	}

	status = run_daemon_sync(
		(const char *const[]){"--config", "/nonexistent/cb.conf", "--check-config", NULL},
		&out3, &err3);
	g_assert_cmpint(status, ==, 1);
	g_assert_nonnull(strstr(err3, "/nonexistent/cb.conf: no such file"));
}

/* under systemd the configuration lives in $CONFIGURATION_DIRECTORY */
static void
test_configuration_directory_from_systemd(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_daemon_new();
	g_autofree char *conf = g_build_filename(d->dir, "civic-bridge.conf", NULL);
	g_auto(GStrv) env = g_get_environ();
	g_autofree char *err = NULL;
	const char *argv[] = {cb_test_program("CB_DAEMON_PATH"), "--check-config", NULL};
	g_autoptr(GError) error = NULL;
	int status = 0;

	cb_test_daemon_set_config(d, "[limits]\nmax-json-depth=bottomless\n");
	env = g_environ_setenv(env, "CONFIGURATION_DIRECTORY", d->dir, TRUE);
	g_spawn_sync(NULL, (char **)argv, env, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
		     &status, &error);
	g_assert_no_error(error);
	g_assert_false(g_spawn_check_wait_status(status, NULL));
	g_assert_nonnull(strstr(err, conf));
}

static void
test_broken_config_refuses_start(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_daemon_new();
	g_autofree char *out = NULL, *err = NULL;
	int status;

	cb_test_daemon_set_config(d, "[server]\nlisten=nowhere\n");
	status = run_daemon_sync(
		(const char *const[]){"--config", d->config, "--state-dir", d->state_dir, NULL},
		&out, &err);
	g_assert_cmpint(status, ==, 1);
	g_assert_nonnull(strstr(err, "[server] listen"));
}

static void
test_foreign_store_refused(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_daemon_new();
	g_autofree char *db = g_build_filename(d->state_dir, "civic-bridge.db", NULL);
	g_autofree char *out = NULL, *err = NULL;
	g_autofree char *after = NULL;
	const char *junk = "not a database at all, but something a person saved here\n";
	int status;

	g_unlink(db);
	g_assert_true(g_file_set_contents(db, junk, -1, NULL));
	status = run_daemon_sync((const char *const[]){"--config", d->config, "--state-dir",
						       d->state_dir, "--listen", "127.0.0.1:0",
						       NULL},
				 &out, &err);
	g_assert_cmpint(status, ==, 1);
	g_assert_nonnull(strstr(err, db));
	g_assert_nonnull(strstr(err, "not a civic-bridge store"));
	g_assert_true(g_file_get_contents(db, &after, NULL, NULL));
	g_assert_cmpstr(after, ==, junk);
}

static void
test_version(void)
{
	g_autofree char *out = NULL, *err = NULL;

	g_assert_cmpint(run_daemon_sync((const char *const[]){"--version", NULL}, &out, &err), ==,
			0);
	g_assert_true(g_str_has_prefix(out, "civic-bridged "));
	g_assert_nonnull(strstr(out, "GStreamer 1."));
}

static void
test_bad_option(void)
{
	g_autofree char *out = NULL, *err = NULL;

	g_assert_cmpint(run_daemon_sync((const char *const[]){"--frobnicate", NULL}, &out, &err),
			==, 2);
	g_assert_nonnull(strstr(err, "frobnicate"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/civic-bridge/daemon/ready-status-and-watchdog",
			test_ready_status_and_watchdog);
	g_test_add_func("/civic-bridge/daemon/no-watchdog-without-request",
			test_no_watchdog_without_request);
	g_test_add_func("/civic-bridge/daemon/sigterm-and-sigint-exit-zero",
			test_sigterm_and_sigint_exit_zero);
	g_test_add_func("/civic-bridge/daemon/sighup-reloads-limits", test_sighup_reloads_limits);
	g_test_add_func("/civic-bridge/daemon/sighup-with-broken-config-keeps-running",
			test_sighup_with_broken_config_keeps_running);
	g_test_add_func("/civic-bridge/daemon/kill9-keeps-acknowledged-writes",
			test_kill9_keeps_acknowledged_writes);
	g_test_add_func("/civic-bridge/daemon/second-instance-refused",
			test_second_instance_refused);
	g_test_add_func("/civic-bridge/daemon/check-config", test_check_config);
	g_test_add_func("/civic-bridge/daemon/configuration-directory-from-systemd",
			test_configuration_directory_from_systemd);
	g_test_add_func("/civic-bridge/daemon/broken-config-refuses-start",
			test_broken_config_refuses_start);
	g_test_add_func("/civic-bridge/daemon/foreign-store-refused", test_foreign_store_refused);
	g_test_add_func("/civic-bridge/daemon/version", test_version);
	g_test_add_func("/civic-bridge/daemon/bad-option", test_bad_option);
	return g_test_run();
}
