#define G_LOG_DOMAIN "CbCtlTest"

/* civic-bridgectl queue and ticket against a real civic-bridged */
#include "cb-test-ctl.h"

static void
assert_record(const char *text, const char *name, const char *want)
{
	g_autofree char *value = cb_test_ctl_record_value(text, name);

	g_assert_cmpstr(value, ==, want);
}

static char *
cb_ctl_register(CbTestDaemon *d, const char *token, const char *const *extra)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	g_autoptr(CbTestCtlRun) run = NULL;

	g_ptr_array_add(args, "ticket");
	g_ptr_array_add(args, "register");
	for (guint i = 0; extra[i] != NULL; i++)
		g_ptr_array_add(args, (gpointer)extra[i]);
	g_ptr_array_add(args, NULL);
	run = cb_test_ctl_run_asv(d, token, (const char *const *)args->pdata);
	cb_test_ctl_assert_ok(run);
	return cb_test_ctl_record_value(run->out, "id");
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
	g_autoptr(CbTestDaemon) d = cb_test_ctl_daemon_new(CB_TEST_CTL_CONFIG_NO_SERIES);
	const char *t = NULL;
	g_autofree char *a = NULL, *b = NULL, *c = NULL;
	g_autoptr(CbTestCtlRun) list = NULL;
	g_autoptr(CbTestCtlRun) show = NULL;
	g_autoptr(CbTestCtlRun) json = NULL;
	g_autoptr(CbTestCtlRun) done = NULL;
	g_autoptr(CbTestCtlRun) by_state = NULL;

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
	list = cb_test_ctl_as(d, t, "queue", "list", "--session", "1");
	cb_test_ctl_assert_ok(list);
	/* the header, then the priority ticket first */
	g_assert_true(g_str_has_prefix(list->out, "POS"));
	{
		g_auto(GStrv) lines = g_strsplit(list->out, "\n", -1);
		g_autofree char *first = g_strdup_printf("1    %s ", c);
		g_assert_true(g_str_has_prefix(lines[1], first));
		g_assert_nonnull(strstr(lines[1], "elderly"));
	}
	show = cb_test_ctl_as(d, t, "ticket", "show", a);
	cb_test_ctl_assert_ok(show);
	assert_record(show->out, "position", "2");
	g_assert_nonnull(strstr(show->out, "Lê B"));
	{
		g_autoptr(CbTestCtlRun) moved = cb_test_ctl_as(d, t, "ticket", "move", b,
							       "--before", a, "--reason", "đi xa");
		g_autoptr(CbTestCtlRun) to_first = cb_test_ctl_as(
			d, t, "ticket", "move", a, "--position", "2", "--reason", "trả lại");
		cb_test_ctl_assert_ok(moved);
		assert_record(moved->out, "position", "2");
		cb_test_ctl_assert_ok(to_first);
	}
	{
		g_autoptr(CbTestCtlRun) called = cb_test_ctl_as(d, t, "ticket", "call", a);
		g_autoptr(CbTestCtlRun) admitted = cb_test_ctl_as(d, t, "ticket", "admit", a);
		cb_test_ctl_assert_ok(called);
		assert_record(called->out, "state", "called");
		cb_test_ctl_assert_ok(admitted);
	}
	done = cb_test_ctl_as(d, t, "ticket", "finish", a, "--handling", "forwarded", "--follow-up",
			      "chuyển Sở", "--notes", "ghi chú");
	cb_test_ctl_assert_ok(done);
	assert_record(done->out, "handling", "forwarded");
	assert_record(done->out, "follow-up", "chuyển Sở");
	{
		g_autoptr(CbTestCtlRun) refused =
			cb_test_ctl_as(d, t, "ticket", "refuse", b, "--reason", "not-competent");
		g_autoptr(CbTestCtlRun) deferred = cb_test_ctl_as(d, t, "ticket", "defer", c);
		g_autoptr(CbTestCtlRun) cancelled = cb_test_ctl_as(d, t, "ticket", "cancel", c);
		cb_test_ctl_assert_ok(refused);
		assert_record(refused->out, "refuse reason", "not-competent");
		cb_test_ctl_assert_ok(deferred);
		assert_record(deferred->out, "state", "deferred");
		cb_test_ctl_assert_ok(cancelled);
	}
	by_state =
		cb_test_ctl_as(d, t, "queue", "list", "--session", "1", "--state", "done,refused");
	cb_test_ctl_assert_ok(by_state);
	{
		g_auto(GStrv) rows = g_strsplit(g_strstrip(by_state->out), "\n", -1);
		/* the header, the done one and the refused one */
		g_assert_cmpuint(g_strv_length(rows), ==, 3);
	}
	json = cb_test_ctl_as(d, t, "--format", "json", "ticket", "show", b);
	cb_test_ctl_assert_ok(json);
	g_assert_nonnull(strstr(json->out, "\"state\" : \"refused\""));
}

static void
test_queue_errors(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_ctl_daemon_new(CB_TEST_CTL_CONFIG_NO_SERIES);
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
		g_autoptr(CbTestCtlRun) run = cb_test_ctl_run_asv(d, t, usage[i].args);
		cb_test_ctl_assert_fails(run, 2, usage[i].needle);
	}
	cb_ctl_live_session(d);
	id = cb_ctl_register(
		d, t, (const char *const[]){"--category", "complaint", "--summary", "s", NULL});
	{
		g_autoptr(CbTestCtlRun) early =
			cb_test_ctl_as(d, t, "ticket", "finish", id, "--handling", "accepted");
		g_autoptr(CbTestCtlRun) code =
			cb_test_ctl_as(d, t, "ticket", "refuse", id, "--reason", "grumpy");
		g_autoptr(CbTestCtlRun) missing = cb_test_ctl_as(d, t, "ticket", "show", "999");
		g_autoptr(CbTestCtlRun) bad = cb_test_ctl_as(
			d, t, "ticket", "register", "--category", "gossip", "--summary", "s");
		cb_test_ctl_assert_fails(early, 1, "(conflict, HTTP 409)");
		cb_test_ctl_assert_fails(code, 1, "(invalid_request, HTTP 400)");
		cb_test_ctl_assert_fails(missing, 1, "(not_found, HTTP 404)");
		cb_test_ctl_assert_fails(bad, 1, "'category'");
	}
}

static void
test_operator_view(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_ctl_daemon_new(CB_TEST_CTL_CONFIG_NO_SERIES);
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
		g_autoptr(CbTestCtlRun) show = cb_test_ctl_as(d, op, "ticket", "show", id);
		g_autoptr(CbTestCtlRun) json =
			cb_test_ctl_as(d, op, "--format", "json", "ticket", "show", id);
		g_autoptr(CbTestCtlRun) staff =
			cb_test_ctl_as(d, d->admin_token, "ticket", "show", id);
		cb_test_ctl_assert_ok(show);
		g_assert_null(strstr(show->out, "Người Tố Cáo"));
		g_assert_null(strstr(show->out, "036000000042"));
		g_assert_null(strstr(json->out, "Người Tố Cáo"));
		g_assert_null(strstr(json->out, "citizen_name"));
		/* staff see who it is */
		cb_test_ctl_assert_ok(staff);
		g_assert_nonnull(strstr(staff->out, "Người Tố Cáo"));
	}
	{
		/* the staff routes are closed to an operator */
		g_autoptr(CbTestCtlRun) call = cb_test_ctl_as(d, op, "ticket", "call", id);
		cb_test_ctl_assert_fails(call, 1, "(forbidden, HTTP 403)");
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
