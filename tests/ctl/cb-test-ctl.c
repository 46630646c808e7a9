#define G_LOG_DOMAIN "CbCtlTest"

#include <string.h>

#include "cb-test-ctl.h"

void
cb_test_ctl_run_free(CbTestCtlRun *run)
{
	if (run == NULL)
		return;
	g_free(run->out);
	g_free(run->err);
	g_free(run);
}

typedef struct {
	gboolean done;
	gboolean timed_out;
	char *out;
	char *err;
} CbTestCtlWait;

static void
cb_test_ctl_communicate_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	CbTestCtlWait *wait = user_data;
	g_autoptr(GError) error = NULL;

	g_subprocess_communicate_utf8_finish(G_SUBPROCESS(source), result, &wait->out, &wait->err,
					     &error);
	g_assert_no_error(error);
	wait->done = TRUE;
}

static gboolean
cb_test_ctl_timeout_cb(gpointer user_data)
{
	((CbTestCtlWait *)user_data)->timed_out = TRUE;
	return G_SOURCE_REMOVE;
}

static GSubprocess *
cb_test_ctl_spawn(const char *const *env, gboolean with_stdin, const char *const *args)
{
	GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE;
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	GSubprocess *process;

	if (with_stdin)
		flags |= G_SUBPROCESS_FLAGS_STDIN_PIPE;
	launcher = g_subprocess_launcher_new(flags);
	/* nothing from the developer's shell: only what the test gives */
	g_subprocess_launcher_unsetenv(launcher, "CIVIC_BRIDGE_URL");
	g_subprocess_launcher_unsetenv(launcher, "CIVIC_BRIDGE_TOKEN");
	g_subprocess_launcher_unsetenv(launcher, "STATE_DIRECTORY");
	g_subprocess_launcher_setenv(launcher, "LC_ALL", "C.UTF-8", TRUE);
	for (guint i = 0; env != NULL && env[i] != NULL; i++) {
		g_auto(GStrv) kv = g_strsplit(env[i], "=", 2);
		g_subprocess_launcher_setenv(launcher, kv[0], kv[1], TRUE);
	}
	g_ptr_array_add(argv, (gpointer)cb_test_program("CB_CTL_PATH"));
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	process = g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, &error);
	g_assert_no_error(error);
	return process;
}

/* feeds @input and collects the output of @process, killing it after the time limit */
static void
cb_test_ctl_communicate(GSubprocess *process, const char *input, guint timeout_ms,
			CbTestCtlWait *wait)
{
	GSource *timer = g_timeout_source_new(timeout_ms);

	g_source_set_callback(timer, cb_test_ctl_timeout_cb, wait, NULL);
	g_source_attach(timer, NULL);
	g_subprocess_communicate_utf8_async(process, input, NULL, cb_test_ctl_communicate_cb, wait);
	while (!wait->done && !wait->timed_out)
		g_main_context_iteration(NULL, TRUE);
	if (!wait->done) {
		g_subprocess_force_exit(process);
		while (!wait->done)
			g_main_context_iteration(NULL, TRUE);
	}
	g_source_destroy(timer);
	g_source_unref(timer);
}

CbTestCtlRun *
cb_test_ctl_runv(const char *const *env, const char *input, const char *const *args)
{
	return cb_test_ctl_runv_within(env, input, args, CB_TEST_CTL_RUN_TIMEOUT_MS);
}

CbTestCtlRun *
cb_test_ctl_runv_within(const char *const *env, const char *input, const char *const *args,
			guint timeout_ms)
{
	g_autoptr(GSubprocess) process = cb_test_ctl_spawn(env, input != NULL, args);
	g_autofree char *line = g_strjoinv(" ", (char **)args);
	CbTestCtlWait wait = {0};
	CbTestCtlRun *run = g_new0(CbTestCtlRun, 1);

	cb_test_ctl_communicate(process, input, timeout_ms, &wait);
	g_subprocess_wait(process, NULL, NULL);
	run->status = g_subprocess_get_if_exited(process)
			      ? g_subprocess_get_exit_status(process)
			      : 128 + g_subprocess_get_term_sig(process);
	run->out = g_steal_pointer(&wait.out);
	run->err = g_steal_pointer(&wait.err);
	g_test_message("civic-bridgectl %s -> %d\nstdout: %s\nstderr: %s", line, run->status,
		       run->out, run->err);
	g_assert_false(wait.timed_out);
	return run;
}

CbTestCtlRun *
cb_test_ctl_run_asv(CbTestDaemon *d, const char *token, const char *const *args)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();

	g_ptr_array_add(argv, "--url");
	g_ptr_array_add(argv, d->url);
	if (token != NULL) {
		g_ptr_array_add(argv, "--token");
		g_ptr_array_add(argv, (gpointer)token);
	}
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	return cb_test_ctl_runv(NULL, NULL, (const char *const *)argv->pdata);
}

void
cb_test_ctl_assert_ok(CbTestCtlRun *run)
{
	g_assert_cmpstr(run->err, ==, "");
	g_assert_cmpint(run->status, ==, 0);
}

void
cb_test_ctl_assert_fails(CbTestCtlRun *run, int status, const char *needle)
{
	g_assert_cmpint(run->status, ==, status);
	g_assert_cmpstr(run->out, ==, "");
	g_assert_true(g_str_has_prefix(run->err, "civic-bridgectl: "));
	/* the assertion alone would not say what was wanted */
	if (strstr(run->err, needle) == NULL)
		g_test_message("wanted '%s' in '%s'", needle, run->err);
	g_assert_nonnull(strstr(run->err, needle));
}

CbTestDaemon *
cb_test_ctl_daemon_new(const char *config)
{
	CbTestDaemon *d = cb_test_daemon_new();
	g_autoptr(GError) error = NULL;

	if (config != NULL)
		cb_test_daemon_set_config(d, config);
	cb_test_daemon_start(d, &error);
	g_assert_no_error(error);
	return d;
}

JsonObject *
cb_test_ctl_json(const char *text)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;

	json_parser_load_from_data(parser, text, -1, &error);
	g_assert_no_error(error);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)));
	return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

char *
cb_test_ctl_record_value(const char *text, const char *name)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autofree char *prefix = g_strconcat(name, ":", NULL);

	for (guint i = 0; lines[i] != NULL; i++) {
		if (g_str_has_prefix(lines[i], prefix))
			return g_strstrip(g_strdup(lines[i] + strlen(prefix)));
	}
	g_test_message("no '%s' in:\n%s", name, text);
	g_assert_not_reached();
	return NULL;
}

gint64
cb_test_ctl_record_id(const char *text)
{
	g_autofree char *id = cb_test_ctl_record_value(text, "id");

	return g_ascii_strtoll(id, NULL, 10);
}
