#define G_LOG_DOMAIN "CbCtlTest"

/* civic-bridgectl queue and ticket against a real civic-bridged */
#include "cb-test-daemon.h"

/* a civic-bridgectl that has not finished by then is killed and the test fails */
#define CB_CTL_RUN_TIMEOUT_MS 20000

typedef struct {
	int status; /* the exit status; 128 + signal when killed */
	char *out;
	char *err;
} CbCtlRun;

static void
cb_ctl_run_free(CbCtlRun *run)
{
	g_free(run->out);
	g_free(run->err);
	g_free(run);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbCtlRun, cb_ctl_run_free)

typedef struct {
	gboolean done;
	gboolean timed_out;
	char *out;
	char *err;
} CbCtlWait;

static void
cb_ctl_communicate_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	CbCtlWait *wait = user_data;
	g_autoptr(GError) error = NULL;

	g_subprocess_communicate_utf8_finish(G_SUBPROCESS(source), result, &wait->out, &wait->err,
					     &error);
	g_assert_no_error(error);
	wait->done = TRUE;
}

static gboolean
cb_ctl_timeout_cb(gpointer user_data)
{
	((CbCtlWait *)user_data)->timed_out = TRUE;
	return G_SOURCE_REMOVE;
}

/* runs civic-bridgectl with @args against @d as @token, within the time limit */
static CbCtlRun *
cb_ctl_runv(CbTestDaemon *d, const char *token, const char *const *args)
{
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
		G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *line = g_strjoinv(" ", (char **)args);
	CbCtlWait wait = {0};
	GSource *timer = g_timeout_source_new(CB_CTL_RUN_TIMEOUT_MS);
	CbCtlRun *run = g_new0(CbCtlRun, 1);

	g_subprocess_launcher_unsetenv(launcher, "CIVIC_BRIDGE_URL");
	g_subprocess_launcher_unsetenv(launcher, "CIVIC_BRIDGE_TOKEN");
	g_subprocess_launcher_setenv(launcher, "LC_ALL", "C.UTF-8", TRUE);
	g_ptr_array_add(argv, (gpointer)cb_test_program("CB_CTL_PATH"));
	g_ptr_array_add(argv, "--url");
	g_ptr_array_add(argv, d->url != NULL ? d->url : "http://127.0.0.1:1");
	if (token != NULL) {
		g_ptr_array_add(argv, "--token");
		g_ptr_array_add(argv, (gpointer)token);
	}
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	process = g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, &error);
	g_assert_no_error(error);
	g_source_set_callback(timer, cb_ctl_timeout_cb, &wait, NULL);
	g_source_attach(timer, NULL);
	g_subprocess_communicate_utf8_async(process, NULL, NULL, cb_ctl_communicate_cb, &wait);
	while (!wait.done && !wait.timed_out)
		g_main_context_iteration(NULL, TRUE);
	if (!wait.done) {
		g_subprocess_force_exit(process);
		while (!wait.done)
			g_main_context_iteration(NULL, TRUE);
	}
	g_source_destroy(timer);
	g_source_unref(timer);
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

#define cb_ctl_as(d, token, ...) cb_ctl_runv((d), (token), (const char *const[]){__VA_ARGS__, NULL})

static void
cb_ctl_assert_ok(CbCtlRun *run)
{
	g_assert_cmpstr(run->err, ==, "");
	g_assert_cmpint(run->status, ==, 0);
}

static void
cb_ctl_assert_fails(CbCtlRun *run, int status, const char *needle)
{
	g_assert_cmpint(run->status, ==, status);
	g_assert_cmpstr(run->out, ==, "");
	g_assert_true(g_str_has_prefix(run->err, "civic-bridgectl: "));
	if (strstr(run->err, needle) == NULL)
		g_error("wanted '%s' in '%s'", needle, run->err);
}

/* the value of a "name:  value" line of a record */
static char *
cb_ctl_record_value(const char *text, const char *name)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autofree char *prefix = g_strconcat(name, ":", NULL);

	for (guint i = 0; lines[i] != NULL; i++) {
		if (g_str_has_prefix(lines[i], prefix))
			return g_strstrip(g_strdup(lines[i] + strlen(prefix)));
	}
	g_error("no '%s' in:\n%s", name, text);
	return NULL;
}

static void
assert_record(const char *text, const char *name, const char *want)
{
	g_autofree char *value = cb_ctl_record_value(text, name);

	g_assert_cmpstr(value, ==, want);
}

static char *
cb_ctl_register(CbTestDaemon *d, const char *token, const char *const *extra)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	g_autoptr(CbCtlRun) run = NULL;

	g_ptr_array_add(args, "ticket");
	g_ptr_array_add(args, "register");
	for (guint i = 0; extra[i] != NULL; i++)
		g_ptr_array_add(args, (gpointer)extra[i]);
	g_ptr_array_add(args, NULL);
	run = cb_ctl_runv(d, token, (const char *const *)args->pdata);
	cb_ctl_assert_ok(run);
	return cb_ctl_record_value(run->out, "id");
}

static CbTestDaemon *
cb_ctl_daemon(void)
{
	CbTestDaemon *d = cb_test_daemon_new();
	g_autoptr(GError) error = NULL;

	cb_test_daemon_set_config(d, "[schedule]\nrrule=\n");
	cb_test_daemon_start(d, &error);
	g_assert_no_error(error);
	return d;
}

/* a live session made through the API */
static void
cb_ctl_live_session(CbTestDaemon *d)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GDateTime) later = g_date_time_add_days(now, 1);
	g_autofree char *start = g_date_time_format_iso8601(later);
	g_autofree char *body = g_strdup_printf(
		"{\"title\":\"Tiếp dân\",\"kind\":\"regular\",\"starts_at\":\"%s\"}", start);
	const char *steps[] = {"open", "start"};
	g_autoptr(JsonNode) session = NULL;
	gint64 id;

	g_assert_cmpuint(
		cb_test_http(d, "POST", "/api/v1/sessions", d->admin_token, body, &session), ==,
		201);
	id = json_object_get_int_member(json_node_get_object(session), "id");
	for (gsize i = 0; i < G_N_ELEMENTS(steps); i++) {
		g_autofree char *path =
			g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT "/%s", id, steps[i]);
		g_assert_cmpuint(cb_test_http(d, "POST", path, d->admin_token, NULL, NULL), ==,
				 200);
	}
}

static void
test_queue_flow(void)
{
	g_autoptr(CbTestDaemon) d = cb_ctl_daemon();
	const char *t = NULL;
	g_autofree char *a = NULL, *b = NULL, *c = NULL;
	g_autoptr(CbCtlRun) list = NULL;
	g_autoptr(CbCtlRun) show = NULL;
	g_autoptr(CbCtlRun) json = NULL;
	g_autoptr(CbCtlRun) done = NULL;
	g_autoptr(CbCtlRun) by_state = NULL;

	cb_ctl_live_session(d);
	t = d->admin_token;
	a = cb_ctl_register(d, t,
			    (const char *const[]){"--category", "complaint", "--summary",
						  "Khiếu nại đất đai", "--persons", "6",
						  "--representative", "Nguyễn A",
						  "--representative", "Lê B", "--name", "Nguyễn A",
						  "--id-number", "001090000001", NULL});
	b = cb_ctl_register(
		d, t,
		(const char *const[]){"--category", "reflection", "--summary", "Phản ánh", NULL});
	c = cb_ctl_register(d, t,
			    (const char *const[]){"--category", "recommendation", "--summary",
						  "Kiến nghị", "--priority", "elderly", NULL});
	list = cb_ctl_as(d, t, "queue", "list", "--session", "1");
	cb_ctl_assert_ok(list);
	/* the header, then the priority ticket first */
	g_assert_true(g_str_has_prefix(list->out, "POS"));
	{
		g_auto(GStrv) lines = g_strsplit(list->out, "\n", -1);
		g_autofree char *first = g_strdup_printf("1    %s ", c);
		g_assert_true(g_str_has_prefix(lines[1], first));
		g_assert_nonnull(strstr(lines[1], "elderly"));
	}
	show = cb_ctl_as(d, t, "ticket", "show", a);
	cb_ctl_assert_ok(show);
	assert_record(show->out, "position", "2");
	g_assert_nonnull(strstr(show->out, "Lê B"));
	{
		g_autoptr(CbCtlRun) moved =
			cb_ctl_as(d, t, "ticket", "move", b, "--before", a, "--reason", "đi xa");
		g_autoptr(CbCtlRun) to_first = cb_ctl_as(d, t, "ticket", "move", a, "--position",
							 "2", "--reason", "trả lại");
		cb_ctl_assert_ok(moved);
		assert_record(moved->out, "position", "2");
		cb_ctl_assert_ok(to_first);
	}
	{
		g_autoptr(CbCtlRun) called = cb_ctl_as(d, t, "ticket", "call", a);
		g_autoptr(CbCtlRun) admitted = cb_ctl_as(d, t, "ticket", "admit", a);
		cb_ctl_assert_ok(called);
		assert_record(called->out, "state", "called");
		cb_ctl_assert_ok(admitted);
	}
	done = cb_ctl_as(d, t, "ticket", "finish", a, "--handling", "forwarded", "--follow-up",
			 "chuyển Sở", "--notes", "ghi chú");
	cb_ctl_assert_ok(done);
	assert_record(done->out, "handling", "forwarded");
	assert_record(done->out, "follow-up", "chuyển Sở");
	{
		g_autoptr(CbCtlRun) refused =
			cb_ctl_as(d, t, "ticket", "refuse", b, "--reason", "not-competent");
		g_autoptr(CbCtlRun) deferred = cb_ctl_as(d, t, "ticket", "defer", c);
		g_autoptr(CbCtlRun) cancelled = cb_ctl_as(d, t, "ticket", "cancel", c);
		cb_ctl_assert_ok(refused);
		assert_record(refused->out, "refuse reason", "not-competent");
		cb_ctl_assert_ok(deferred);
		assert_record(deferred->out, "state", "deferred");
		cb_ctl_assert_ok(cancelled);
	}
	by_state = cb_ctl_as(d, t, "queue", "list", "--session", "1", "--state", "done,refused");
	cb_ctl_assert_ok(by_state);
	{
		g_auto(GStrv) rows = g_strsplit(g_strstrip(by_state->out), "\n", -1);
		/* the header, the done one and the refused one */
		g_assert_cmpuint(g_strv_length(rows), ==, 3);
	}
	json = cb_ctl_as(d, t, "--format", "json", "ticket", "show", b);
	cb_ctl_assert_ok(json);
	g_assert_nonnull(strstr(json->out, "\"state\" : \"refused\""));
}

static void
test_queue_errors(void)
{
	g_autoptr(CbTestDaemon) d = cb_ctl_daemon();
	const char *t = d->admin_token;
	g_autofree char *id = NULL;
	const struct {
		const char *const args[8];
		const char *needle;
	} usage[] = {
		{{"ticket"}, "no ticket command"},
		{{"ticket", "register", "--summary", "s"}, "--category"},
		{{"ticket", "register", "--category", "complaint", "--summary", "s", "--persons",
		  "many"},
		 "'many'"},
		{{"ticket", "show", "abc"}, "'abc' is not a valid ticket id"},
		{{"ticket", "finish", "1"}, "--handling"},
		{{"ticket", "refuse", "1"}, "--reason"},
		{{"ticket", "move", "1", "--reason", "r"}, "--before ID or --position N"},
		{{"queue", "list"}, "--session"},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(usage); i++) {
		g_autoptr(CbCtlRun) run = cb_ctl_runv(d, t, usage[i].args);
		cb_ctl_assert_fails(run, 2, usage[i].needle);
	}
	cb_ctl_live_session(d);
	id = cb_ctl_register(
		d, t, (const char *const[]){"--category", "complaint", "--summary", "s", NULL});
	{
		g_autoptr(CbCtlRun) early =
			cb_ctl_as(d, t, "ticket", "finish", id, "--handling", "accepted");
		g_autoptr(CbCtlRun) code =
			cb_ctl_as(d, t, "ticket", "refuse", id, "--reason", "grumpy");
		g_autoptr(CbCtlRun) missing = cb_ctl_as(d, t, "ticket", "show", "999");
		g_autoptr(CbCtlRun) bad = cb_ctl_as(d, t, "ticket", "register", "--category",
						    "gossip", "--summary", "s");
		cb_ctl_assert_fails(early, 1, "(conflict, HTTP 409)");
		cb_ctl_assert_fails(code, 1, "(invalid_request, HTTP 400)");
		cb_ctl_assert_fails(missing, 1, "(not_found, HTTP 404)");
		cb_ctl_assert_fails(bad, 1, "'category'");
	}
}

static void
test_operator_view(void)
{
	g_autoptr(CbTestDaemon) d = cb_ctl_daemon();
	g_autoptr(JsonNode) bp = NULL;
	g_autofree char *op = NULL;
	g_autofree char *id = NULL;
	g_autofree char *staff_id = NULL;
	gint64 bp_id;

	g_assert_cmpuint(cb_test_http(d, "POST", "/api/v1/bridge-points", d->admin_token,
				      "{\"code\":\"thanh-tri\",\"name\":\"Thanh Trì\"}", &bp),
			 ==, 201);
	bp_id = json_object_get_int_member(json_node_get_object(bp), "id");
	op = cb_test_daemon_issue_token(d, CB_ROLE_OPERATOR, bp_id, 0, 0);
	cb_ctl_live_session(d);
	/* an operator registers a walk-in denouncer, and never sees who it was */
	id = cb_ctl_register(d, op,
			     (const char *const[]){"--category", "denunciation", "--summary",
						   "Tố cáo", "--name", "Người Tố Cáo",
						   "--id-number", "036000000042", NULL});
	{
		g_autoptr(CbCtlRun) show = cb_ctl_as(d, op, "ticket", "show", id);
		g_autoptr(CbCtlRun) json =
			cb_ctl_as(d, op, "--format", "json", "ticket", "show", id);
		g_autoptr(CbCtlRun) staff = cb_ctl_as(d, d->admin_token, "ticket", "show", id);
		cb_ctl_assert_ok(show);
		g_assert_null(strstr(show->out, "Người Tố Cáo"));
		g_assert_null(strstr(show->out, "036000000042"));
		g_assert_null(strstr(json->out, "Người Tố Cáo"));
		g_assert_null(strstr(json->out, "citizen_name"));
		/* staff see who it is */
		cb_ctl_assert_ok(staff);
		g_assert_nonnull(strstr(staff->out, "Người Tố Cáo"));
	}
	{
		/* the staff routes are closed to an operator */
		g_autoptr(CbCtlRun) call = cb_ctl_as(d, op, "ticket", "call", id);
		cb_ctl_assert_fails(call, 1, "(forbidden, HTTP 403)");
	}
	(void)staff_id;
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/civic-bridge/ctl/queue/flow", test_queue_flow);
	g_test_add_func("/civic-bridge/ctl/queue/errors", test_queue_errors);
	g_test_add_func("/civic-bridge/ctl/queue/operator-view", test_operator_view);
	return g_test_run();
}
