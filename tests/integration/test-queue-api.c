/* the waiting queue through the real daemon's HTTP API */
#include <signal.h>

#include "civic-bridge/cb-role.h"

#include "cb-test-daemon.h"

/* personal data that must never reach an operator for a denunciation */
#define SECRET_NAME    "Trần Thị Tố Giác"
#define SECRET_ID      "079123456789"
#define SECRET_ADDRESS "15 Ngõ Huế"
#define SECRET_CONTACT "0987654321"
#define SECRET_REP     "Đại Diện Kín"

typedef struct {
	CbTestDaemon *d;
	char *staff;
} QueueApi;

/* @register_limit: public registrations per address (0: many) */
static void
start_daemon(QueueApi *f, guint register_limit)
{
	g_autoptr(GError) error = NULL;
	/* no default series: the tests make the sessions they need */
	g_autofree char *config = g_strdup_printf("[limits]\nauth-failure-limit=1000\n"
						  "[schedule]\nrrule=\n"
						  "[queue]\nregister-limit=%u\n",
						  register_limit != 0 ? register_limit : 1000);

	f->d = cb_test_daemon_new();
	cb_test_daemon_set_config(f->d, config);
	if (!cb_test_daemon_start(f->d, &error))
		g_error("daemon did not start: %s", error->message);
	f->staff = cb_test_daemon_issue_token(f->d, CB_ROLE_STAFF, 0, 0, 0);
}

static void
queue_setup(QueueApi *f, gconstpointer data)
{
	start_daemon(f, GPOINTER_TO_UINT(data));
}

static void
queue_teardown(QueueApi *f, gconstpointer data)
{
	cb_test_daemon_free(f->d);
	g_free(f->staff);
}

static JsonObject *
obj(JsonNode *node)
{
	g_assert_nonnull(node);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(node));
	return json_node_get_object(node);
}

static char *
text_of(JsonNode *node)
{
	g_autoptr(JsonGenerator) generator = json_generator_new();

	json_generator_set_root(generator, node);
	return json_generator_to_data(generator, NULL);
}

static const char *
error_code(JsonNode *node)
{
	JsonObject *error = json_object_get_object_member(obj(node), "error");

	g_assert_nonnull(error);
	g_assert_cmpuint(strlen(json_object_get_string_member(error, "message")), >, 0);
	return json_object_get_string_member(error, "code");
}

static const char *
error_message(JsonNode *node)
{
	return json_object_get_string_member(json_object_get_object_member(obj(node), "error"),
					     "message");
}

/* @method @path as @token; asserts @status and returns the answer */
static JsonNode *
call(QueueApi *f, const char *method, const char *path, const char *token, const char *body,
     guint status)
{
	JsonNode *answer = NULL;
	guint got = cb_test_http(f->d, method, path, token, body, &answer);

	if (got != status) {
		g_autofree char *text = answer != NULL ? text_of(answer) : g_strdup("(none)");
		g_error("%s %s: %u, wanted %u: %s", method, path, got, status, text);
	}
	return answer;
}

static gint64
create_bridge_point(QueueApi *f, const char *code)
{
	g_autofree char *body =
		g_strdup_printf("{\"code\":\"%s\",\"name\":\"Điểm cầu %s\"}", code, code);
	g_autoptr(JsonNode) answer =
		call(f, "POST", "/api/v1/bridge-points", f->d->admin_token, body, 201);

	return json_object_get_int_member(obj(answer), "id");
}

/* a session two days ahead, moved by staff to @state ("scheduled", "open",
 * "live", "ended" or "cancelled") */
static gint64
create_session(QueueApi *f, const char *state)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GDateTime) later = g_date_time_add_days(now, 2);
	g_autofree char *start = g_date_time_format_iso8601(later);
	g_autofree char *body = g_strdup_printf(
		"{\"title\":\"Tiếp công dân\",\"kind\":\"regular\",\"starts_at\":\"%s\","
		"\"duration_minutes\":180}",
		start);
	g_autoptr(JsonNode) created = call(f, "POST", "/api/v1/sessions", f->staff, body, 201);
	gint64 id = json_object_get_int_member(obj(created), "id");
	const char *steps[] = {"open", "start", "end"};
	const char *reached[] = {"open", "live", "ended"};

	if (g_str_equal(state, "cancelled")) {
		g_autofree char *path =
			g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT "/cancel", id);
		g_autoptr(JsonNode) done =
			call(f, "POST", path, f->staff, "{\"reason\":\"bão\"}", 200);
		return id;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(steps) && !g_str_equal(state, "scheduled"); i++) {
		g_autofree char *path =
			g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT "/%s", id, steps[i]);
		g_autoptr(JsonNode) moved = call(f, "POST", path, f->staff, NULL, 200);
		if (g_str_equal(state, reached[i]))
			break;
	}
	return id;
}

static char *
ticket_path(gint64 id, const char *action)
{
	if (action == NULL)
		return g_strdup_printf("/api/v1/tickets/%" G_GINT64_FORMAT, id);
	return g_strdup_printf("/api/v1/tickets/%" G_GINT64_FORMAT "/%s", id, action);
}

/* staff moves ticket @id with @action; returns the new state */
static char *
act(QueueApi *f, gint64 id, const char *action, const char *body, guint status)
{
	g_autofree char *path = ticket_path(id, action);
	g_autoptr(JsonNode) answer = call(f, "POST", path, f->staff, body, status);

	if (status != 200)
		return g_strdup(error_code(answer));
	return g_strdup(json_object_get_string_member(obj(answer), "state"));
}

static void
assert_act(QueueApi *f, gint64 id, const char *action, const char *body, const char *state)
{
	g_autofree char *got = act(f, id, action, body, 200);

	g_assert_cmpstr(got, ==, state);
}

static gint64
member_int(JsonNode *node, const char *member)
{
	JsonNode *value = json_object_get_member(obj(node), member);

	g_assert_nonnull(value);
	return JSON_NODE_HOLDS_NULL(value) ? -1 : json_node_get_int(value);
}

/* --- a citizen follows their ticket while staff serve the queue -------------- */

/* a called ticket says when it becomes no_show: call-timeout-seconds after
 * its call (the waiting room counts down to it); any other ticket says null */
static void
assert_answer_by(JsonNode *ticket, gint64 timeout_seconds)
{
	JsonObject *o = obj(ticket);
	const char *state = json_object_get_string_member(o, "state");
	g_autoptr(GDateTime) called = NULL;
	g_autoptr(GDateTime) by = NULL;

	if (g_strcmp0(state, "called") != 0) {
		g_assert_true(json_object_has_member(o, "answer_by"));
		g_assert_true(json_object_get_null_member(o, "answer_by"));
		return;
	}
	called = g_date_time_new_from_iso8601(json_object_get_string_member(o, "called_at"), NULL);
	by = g_date_time_new_from_iso8601(json_object_get_string_member(o, "answer_by"), NULL);
	g_assert_nonnull(called);
	g_assert_nonnull(by);
	g_assert_cmpint(g_date_time_difference(by, called), ==, timeout_seconds * G_USEC_PER_SEC);
}

static void
test_citizen_follows_ticket(QueueApi *f, gconstpointer data)
{
	gint64 session = create_session(f, "live");
	g_autoptr(JsonNode) first = NULL;
	g_autoptr(JsonNode) second = NULL;
	g_autofree char *first_token = NULL;
	g_autofree char *second_token = NULL;
	g_autofree char *second_path = NULL;
	gint64 first_id, second_id;

	first = call(f, "POST", "/api/v1/register", NULL,
		     "{\"category\":\"complaint\",\"summary\":\"Khiếu nại quyết định thu hồi "
		     "đất\",\"citizen_name\":\"Lê Văn Một\"}",
		     201);
	first_id = member_int(first, "id");
	first_token = g_strdup(json_object_get_string_member(obj(first), "token"));
	g_assert_true(g_str_has_prefix(first_token, "cbt_"));
	g_assert_cmpint(member_int(first, "session_id"), ==, session);
	g_assert_cmpstr(json_object_get_string_member(obj(first), "channel"), ==, "online");
	g_assert_cmpint(member_int(first, "position"), ==, 1);
	g_assert_cmpint(member_int(first, "estimated_wait_seconds"), ==, 0);
	second = call(f, "POST", "/api/v1/register", NULL,
		      "{\"category\":\"reflection\",\"summary\":\"Phản ánh ngập úng\","
		      "\"priority\":\"none\",\"persons\":2}",
		      201);
	second_id = member_int(second, "id");
	second_token = g_strdup(json_object_get_string_member(obj(second), "token"));
	g_assert_cmpint(member_int(second, "position"), ==, 2);
	g_assert_cmpint(member_int(second, "estimated_wait_seconds"), ==, 15 * 60);
	second_path = ticket_path(second_id, NULL);

	/* staff call, admit and finish the first; the second follows its place */
	assert_act(f, first_id, "call", NULL, "called");
	{
		g_autoptr(JsonNode) mine = call(f, "GET", second_path, second_token, NULL, 200);
		g_assert_cmpint(member_int(mine, "position"), ==, 1);
		g_assert_cmpint(member_int(mine, "estimated_wait_seconds"), ==, 15 * 60);
		g_assert_cmpstr(json_object_get_string_member(obj(mine), "session_state"), ==,
				"live");
		/* the token is shown once, never again */
		g_assert_false(json_object_has_member(obj(mine), "token"));
	}
	{
		g_autoptr(JsonNode) own =
			call(f, "GET", "/api/v1/me/ticket", first_token, NULL, 200);
		g_assert_cmpstr(json_object_get_string_member(obj(own), "state"), ==, "called");
		g_assert_cmpint(member_int(own, "position"), ==, -1);
		assert_answer_by(own, 120);
	}
	assert_act(f, first_id, "admit", NULL, "admitted");
	assert_act(f, first_id, "finish",
		   "{\"handling\":\"guided\",\"follow_up\":\"hướng dẫn gửi đơn\",\"notes\":\"x\"}",
		   "done");
	{
		g_autoptr(JsonNode) mine =
			call(f, "GET", "/api/v1/me/ticket", second_token, NULL, 200);
		g_assert_cmpint(member_int(mine, "id"), ==, second_id);
		g_assert_cmpint(member_int(mine, "position"), ==, 1);
		g_assert_cmpint(member_int(mine, "estimated_wait_seconds"), ==, 0);
		/* a citizen never gets staff's notes */
		g_assert_false(json_object_has_member(obj(mine), "notes"));
	}
	{
		g_autofree char *first_path = ticket_path(first_id, NULL);
		g_autoptr(JsonNode) done = call(f, "GET", first_path, first_token, NULL, 200);
		g_assert_cmpstr(json_object_get_string_member(obj(done), "handling"), ==, "guided");
	}
	assert_act(f, second_id, "call", NULL, "called");
	{
		g_autoptr(JsonNode) mine = call(f, "GET", second_path, second_token, NULL, 200);
		g_assert_cmpstr(json_object_get_string_member(obj(mine), "state"), ==, "called");
		assert_answer_by(mine, 120);
	}
	/* the citizen cancels their own ticket */
	{
		g_autofree char *cancel = ticket_path(second_id, "cancel");
		g_autoptr(JsonNode) gone = call(f, "POST", cancel, second_token, NULL, 200);
		g_assert_cmpstr(json_object_get_string_member(obj(gone), "state"), ==, "cancelled");
		assert_answer_by(gone, 120);
	}
}

static void
test_citizen_sees_only_own_ticket(QueueApi *f, gconstpointer data)
{
	g_autoptr(JsonNode) mine = NULL;
	g_autoptr(JsonNode) theirs = NULL;
	g_autofree char *token = NULL;
	g_autofree char *other_path = NULL;
	g_autofree char *other_cancel = NULL;
	g_autofree char *missing = ticket_path(99999, NULL);
	gint64 other;

	create_session(f, "open");
	mine = call(f, "POST", "/api/v1/register", NULL,
		    "{\"category\":\"recommendation\",\"summary\":\"Kiến nghị\"}", 201);
	token = g_strdup(json_object_get_string_member(obj(mine), "token"));
	theirs = call(f, "POST", "/api/v1/register", NULL,
		      "{\"category\":\"complaint\",\"summary\":\"Khiếu "
		      "nại\",\"citizen_name\":\"" SECRET_NAME "\"}",
		      201);
	other = member_int(theirs, "id");
	other_path = ticket_path(other, NULL);
	other_cancel = ticket_path(other, "cancel");
	{
		/* another citizen's ticket is as absent as one that does not exist */
		g_autoptr(JsonNode) a = call(f, "GET", other_path, token, NULL, 404);
		g_autoptr(JsonNode) b = call(f, "GET", missing, token, NULL, 404);
		g_autoptr(JsonNode) c = call(f, "POST", other_cancel, token, NULL, 404);
		g_autoptr(JsonNode) d = call(f, "GET", "/api/v1/tickets", token, NULL, 403);
		g_autofree char *text = text_of(a);

		g_assert_cmpstr(error_code(a), ==, "not_found");
		g_assert_null(strstr(text, SECRET_NAME));
		g_assert_true(g_str_has_prefix(error_message(a), "no ticket has id "));
		g_assert_true(g_str_has_prefix(error_message(b), "no ticket has id "));
		g_assert_cmpstr(error_code(c), ==, "not_found");
	}
	{
		g_autoptr(JsonNode) still = call(f, "GET", other_path, f->staff, NULL, 200);
		g_assert_cmpstr(json_object_get_string_member(obj(still), "state"), ==, "waiting");
	}
}

/* --- confidentiality --------------------------------------------------------- */

static void
assert_no_identity(JsonNode *node, const char *where)
{
	g_autofree char *text = text_of(node);
	const char *secrets[] = {SECRET_NAME, SECRET_ID, SECRET_ADDRESS, SECRET_CONTACT,
				 SECRET_REP};

	for (gsize i = 0; i < G_N_ELEMENTS(secrets); i++) {
		if (strstr(text, secrets[i]) != NULL)
			g_error("%s shows '%s' to an operator: %s", where, secrets[i], text);
	}
}

static void
assert_members_absent(JsonObject *ticket)
{
	const char *members[] = {"citizen_name", "address",         "id_number",
				 "contact",      "representatives", "notes"};

	for (gsize i = 0; i < G_N_ELEMENTS(members); i++)
		g_assert_false(json_object_has_member(ticket, members[i]));
}

static void
test_operator_never_sees_denouncer(QueueApi *f, gconstpointer data)
{
	gint64 session = create_session(f, "live");
	gint64 bp = create_bridge_point(f, "tay-ho");
	g_autofree char *op = cb_test_daemon_issue_token(f->d, CB_ROLE_OPERATOR, bp, 0, 0);
	g_autofree char *staff_body = g_strdup_printf(
		"{\"category\":\"denunciation\",\"summary\":\"Tố cáo cán bộ\",\"persons\":6,"
		"\"bridge_point_id\":%" G_GINT64_FORMAT ",\"citizen_name\":\"" SECRET_NAME "\","
		"\"id_number\":\"" SECRET_ID "\",\"address\":\"" SECRET_ADDRESS "\","
		"\"contact\":\"" SECRET_CONTACT "\",\"representatives\":[\"" SECRET_REP "\"]}",
		bp);
	const char *op_body = "{\"category\":\"denunciation\",\"summary\":\"Tố cáo\","
			      "\"citizen_name\":\"" SECRET_NAME "\",\"id_number\":\"" SECRET_ID
			      "\",\"contact\":\"" SECRET_CONTACT "\"}";
	g_autoptr(JsonNode) by_staff =
		call(f, "POST", "/api/v1/tickets", f->staff, staff_body, 201);
	gint64 id = member_int(by_staff, "id");
	g_autofree char *path = ticket_path(id, NULL);
	g_autofree char *session_list =
		g_strdup_printf("/api/v1/tickets?session=%" G_GINT64_FORMAT, session);
	g_autofree char *queue_path =
		g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT "/queue", session);
	const char *actions[] = {"call", "admit", "finish", "defer", "refuse", "move", "cancel"};

	/* staff see everything */
	g_assert_cmpstr(json_object_get_string_member(obj(by_staff), "citizen_name"), ==,
			SECRET_NAME);
	{
		g_autoptr(JsonNode) own = call(f, "POST", "/api/v1/tickets", op, op_body, 201);
		g_autoptr(JsonNode) one = call(f, "GET", path, op, NULL, 200);
		g_autoptr(JsonNode) list = call(f, "GET", "/api/v1/tickets", op, NULL, 200);
		g_autoptr(JsonNode) in_session = call(f, "GET", session_list, op, NULL, 200);
		g_autoptr(JsonNode) denied = call(f, "GET", queue_path, op, NULL, 403);
		JsonArray *items = json_object_get_array_member(obj(list), "items");

		assert_no_identity(one, "GET /api/v1/tickets/{id}");
		assert_members_absent(obj(one));
		g_assert_cmpstr(json_object_get_string_member(obj(one), "summary"), ==,
				"Tố cáo cán bộ");
		assert_no_identity(list, "GET /api/v1/tickets");
		assert_no_identity(in_session, "GET /api/v1/tickets?session=");
		assert_no_identity(denied, "GET /api/v1/sessions/{id}/queue");
		/* even a walk-in they registered themselves */
		assert_no_identity(own, "POST /api/v1/tickets");
		assert_members_absent(obj(own));
		g_assert_cmpuint(json_array_get_length(items), ==, 2);
		for (guint i = 0; i < json_array_get_length(items); i++)
			assert_members_absent(json_array_get_object_element(items, i));
	}
	for (gsize i = 0; i < G_N_ELEMENTS(actions); i++) {
		g_autofree char *action = ticket_path(id, actions[i]);
		g_autoptr(JsonNode) answer = NULL;
		guint status = cb_test_http(f->d, "POST", action, op, "{}", &answer);

		g_assert_cmpuint(status, ==, 403);
		assert_no_identity(answer, action);
	}
	{
		/* a refused registration does not repeat what was sent */
		g_autoptr(JsonNode) bad = call(f, "POST", "/api/v1/tickets", op,
					       "{\"category\":\"denunciation\",\"summary\":\"x\","
					       "\"id_number\":\"" SECRET_ID "-" SECRET_NAME "\"}",
					       400);
		assert_no_identity(bad, "a refused registration");
	}
	/* through every transition, the operator's view stays without identity */
	assert_act(f, id, "call", NULL, "called");
	assert_act(f, id, "admit", NULL, "admitted");
	assert_act(f, id, "finish", "{\"handling\":\"forwarded\",\"notes\":\"" SECRET_NAME "\"}",
		   "done");
	{
		g_autoptr(JsonNode) done = call(f, "GET", path, op, NULL, 200);
		g_autoptr(JsonNode) listed =
			call(f, "GET", "/api/v1/tickets?state=done", op, NULL, 200);
		assert_no_identity(done, "a finished denunciation");
		assert_no_identity(listed, "the list of finished tickets");
	}
	{
		/* and nothing of it in the audit log */
		g_autoptr(JsonNode) audit =
			call(f, "GET", "/api/v1/audit?limit=1000", f->d->admin_token, NULL, 200);
		g_autofree char *text = text_of(audit);
		g_assert_null(strstr(text, SECRET_NAME));
		g_assert_null(strstr(text, SECRET_ID));
		g_assert_null(strstr(text, SECRET_CONTACT));
	}
}

static void
test_operator_sees_own_bridge_point_only(QueueApi *f, gconstpointer data)
{
	gint64 mine = create_bridge_point(f, "long-bien");
	gint64 other = create_bridge_point(f, "hoang-mai");
	g_autofree char *op = cb_test_daemon_issue_token(f->d, CB_ROLE_OPERATOR, mine, 0, 0);
	g_autofree char *elsewhere =
		g_strdup_printf("{\"category\":\"complaint\",\"summary\":\"x\",\"bridge_point_id\":"
				"%" G_GINT64_FORMAT ",\"citizen_name\":\"Ai Đó\"}",
				other);
	g_autoptr(JsonNode) theirs = NULL;
	g_autoptr(JsonNode) own = NULL;
	g_autoptr(JsonNode) list = NULL;
	g_autoptr(JsonNode) foreign = NULL;
	g_autoptr(JsonNode) denied = NULL;
	g_autofree char *path = NULL;

	create_session(f, "open");
	theirs = call(f, "POST", "/api/v1/tickets", f->staff, elsewhere, 201);
	own = call(f, "POST", "/api/v1/tickets", op,
		   "{\"category\":\"complaint\",\"summary\":\"y\",\"citizen_name\":\"Người Đến\"}",
		   201);
	/* a complaint's identity is not confidential to its own bridge point */
	g_assert_cmpstr(json_object_get_string_member(obj(own), "citizen_name"), ==, "Người Đến");
	g_assert_cmpint(member_int(own, "bridge_point_id"), ==, mine);
	g_assert_cmpstr(json_object_get_string_member(obj(own), "channel"), ==, "walk-in");
	path = ticket_path(member_int(theirs, "id"), NULL);
	foreign = call(f, "GET", path, op, NULL, 404);
	list = call(f, "GET", "/api/v1/tickets", op, NULL, 200);
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(obj(list), "items")),
			 ==, 1);
	denied = call(f, "POST", "/api/v1/tickets", op, elsewhere, 403);
}

/* --- crash safety ------------------------------------------------------------ */

/* writes a request straight to the socket and does not wait for the answer */
static GSocketConnection *
send_and_forget(QueueApi *f, const char *path)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *request = NULL;
	GSocketConnection *connection;
	const char *hostport = f->d->url + strlen("http://");

	connection = g_socket_client_connect_to_host(client, hostport, 80, NULL, &error);
	g_assert_no_error(error);
	request = g_strdup_printf("POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
				  "Content-Length: 0\r\n\r\n",
				  path, hostport, f->staff);
	g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(connection)), request,
				  strlen(request), NULL, NULL, &error);
	g_assert_no_error(error);
	return connection;
}

static void
test_kill_keeps_acknowledged(QueueApi *f, gconstpointer data)
{
	enum { N = 12 };
	const char *steps[] = {"call", "admit", "finish"};
	const char *states[] = {"called", "admitted", "done"};
	const char *bodies[] = {NULL, NULL, "{\"handling\":\"accepted\"}"};
	gint64 ids[N];
	const char *acknowledged[N];
	g_autoptr(GSocketConnection) in_flight = NULL;
	g_autoptr(GError) error = NULL;
	gint64 last = 0;
	int status;

	create_session(f, "live");
	for (guint i = 0; i < N; i++) {
		g_autoptr(JsonNode) t = call(f, "POST", "/api/v1/register", NULL,
					     "{\"category\":\"complaint\",\"summary\":\"s\"}", 201);
		ids[i] = member_int(t, "id");
		acknowledged[i] = "waiting";
	}
	/* a stream of transitions, each acknowledged before the next */
	for (guint i = 0; i < N - 2; i++) {
		for (gsize s = 0; s < G_N_ELEMENTS(steps); s++) {
			assert_act(f, ids[i], steps[s], bodies[s], states[s]);
			acknowledged[i] = states[s];
		}
	}
	assert_act(f, ids[N - 2], "call", NULL, "called");
	acknowledged[N - 2] = "called";
	/* one more on its way when the daemon dies */
	{
		g_autofree char *path = ticket_path(ids[N - 2], "admit");
		in_flight = send_and_forget(f, path);
		last = ids[N - 2];
	}
	status = cb_test_daemon_signal_and_wait(f->d, SIGKILL, 5000);
	g_assert_cmpint(status, ==, 128 + SIGKILL);
	g_assert_true(cb_test_daemon_start(f->d, &error));
	g_assert_no_error(error);
	for (guint i = 0; i < N; i++) {
		g_autofree char *path = ticket_path(ids[i], NULL);
		g_autoptr(JsonNode) t = call(f, "GET", path, f->staff, NULL, 200);
		const char *state = json_object_get_string_member(obj(t), "state");

		/* the one in flight may have made it, or not; nothing else moved */
		if (ids[i] == last && g_str_equal(state, "admitted"))
			continue;
		g_assert_cmpstr(state, ==, acknowledged[i]);
	}
	{
		/* and the queue works on after the restart */
		g_autofree char *history =
			g_strdup_printf("/api/v1/tickets/%" G_GINT64_FORMAT "/call", ids[N - 1]);
		g_autoptr(JsonNode) answer = NULL;
		guint code = cb_test_http(f->d, "POST", history, f->staff, NULL, &answer);
		g_assert_cmpuint(code, ==, 200);
	}
}

/* --- limits and bad input ------------------------------------------------------- */

static void
test_register_rate_limit(QueueApi *f, gconstpointer data)
{
	const char *body = "{\"category\":\"complaint\",\"summary\":\"s\"}";

	for (guint i = 0; i < 3; i++) {
		g_autoptr(JsonNode) ok = call(f, "POST", "/api/v1/register", NULL, body, 201);
	}
	{
		g_autoptr(JsonNode) limited = call(f, "POST", "/api/v1/register", NULL, body, 429);
		g_assert_cmpstr(error_code(limited), ==, "rate_limited");
	}
	{
		/* staff registering at the desk are not limited by it */
		g_autoptr(JsonNode) desk = call(f, "POST", "/api/v1/tickets", f->staff, body, 201);
	}
}

static void
test_bad_input(QueueApi *f, gconstpointer data)
{
	gint64 session = create_session(f, "live");
	gint64 ended = create_session(f, "ended");
	gint64 cancelled = create_session(f, "cancelled");
	g_autofree char *long_summary = g_strnfill(2001, 'x');
	g_autofree char *oversized =
		g_strdup_printf("{\"category\":\"complaint\",\"summary\":\"%s\"}", long_summary);
	g_autofree char *to_ended = g_strdup_printf(
		"{\"category\":\"complaint\",\"summary\":\"s\",\"session_id\":%" G_GINT64_FORMAT
		"}",
		ended);
	g_autofree char *to_cancelled = g_strdup_printf(
		"{\"category\":\"complaint\",\"summary\":\"s\",\"session_id\":%" G_GINT64_FORMAT
		"}",
		cancelled);
	const struct {
		const char *body;
		guint status;
		const char *needle;
	} cases[] = {
		{"{\"summary\":\"s\"}", 400, "'category'"},
		{"{\"category\":\"complaint\"}", 400, "'summary'"},
		{oversized, 400, "'summary'"},
		{"{\"category\":\"gossip\",\"summary\":\"s\"}", 400, "'category'"},
		{"{\"category\":\"complaint\",\"summary\":\"s\",\"priority\":\"vip\"}", 400,
		 "'priority'"},
		{"{\"category\":\"complaint\",\"summary\":\"s\",\"persons\":0}", 400, "'persons'"},
		{"{\"category\":\"complaint\",\"summary\":\"s\",\"persons\":201}", 400,
		 "'persons'"},
		{"{\"category\":\"complaint\",\"summary\":\"s\",\"persons\":\"5\"}", 400,
		 "'persons'"},
		{"{\"category\":\"complaint\",\"summary\":\"s\",\"persons\":9,\"representatives\":"
		 "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"]}",
		 400, "at most 5"},
		{"{\"category\":\"complaint\",\"summary\":\"s\",\"persons\":9,\"representatives\":"
		 "\"a\"}",
		 400, "'representatives'"},
		{"{\"category\":\"complaint\",\"summary\":\"s\",\"persons\":9,\"representatives\":"
		 "[1]}",
		 400, "'representatives'"},
		{"{\"category\":\"complaint\",\"summary\":\"s\",\"bridge_point_id\":4242}", 400,
		 "'bridge_point_id'"},
		{"{\"category\":\"complaint\",\"summary\":\"s\",\"session_id\":4242}", 400,
		 "'session_id'"},
		{"{\"category\":\"complaint\",\"summary\":\"s\",\"colour\":\"red\"}", 400,
		 "'colour'"},
		{"[1,2]", 400, "object"},
		{to_ended, 409, "ended"},
		{to_cancelled, 409, "cancelled"},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(JsonNode) answer = NULL;
		guint status = cb_test_http(f->d, "POST", "/api/v1/register", NULL, cases[i].body,
					    &answer);

		if (status != cases[i].status || answer == NULL ||
		    strstr(error_message(answer), cases[i].needle) == NULL)
			g_error("case %zu: %u, wanted %u with '%s'", i, status, cases[i].status,
				cases[i].needle);
	}
	{
		/* nothing was stored by any of them */
		g_autoptr(JsonNode) all = call(f, "GET", "/api/v1/tickets", f->staff, NULL, 200);
		g_assert_cmpuint(
			json_array_get_length(json_object_get_array_member(obj(all), "items")), ==,
			0);
	}
	{
		g_autoptr(JsonNode) t = call(f, "POST", "/api/v1/tickets", f->staff,
					     "{\"category\":\"complaint\",\"summary\":\"s\"}", 201);
		g_autoptr(JsonNode) u = call(f, "POST", "/api/v1/tickets", f->staff,
					     "{\"category\":\"complaint\",\"summary\":\"s\"}", 201);
		gint64 id = member_int(t, "id"), other = member_int(u, "id");
		g_autofree char *code = NULL;
		g_autofree char *missing = ticket_path(77777, "call");
		g_autoptr(JsonNode) none = NULL;

		g_assert_cmpint(member_int(t, "session_id"), ==, session);
		/* transitions out of order */
		code = act(f, id, "admit", NULL, 409);
		g_assert_cmpstr(code, ==, "conflict");
		g_clear_pointer(&code, g_free);
		code = act(f, id, "finish", "{\"handling\":\"accepted\"}", 409);
		g_assert_cmpstr(code, ==, "conflict");
		g_clear_pointer(&code, g_free);
		assert_act(f, id, "call", NULL, "called");
		code = act(f, id, "call", NULL, 409);
		g_clear_pointer(&code, g_free);
		/* two staff admitting the same ticket: one wins */
		assert_act(f, id, "admit", NULL, "admitted");
		code = act(f, id, "admit", NULL, 409);
		g_assert_cmpstr(code, ==, "conflict");
		g_clear_pointer(&code, g_free);
		/* one admitted at a time */
		assert_act(f, other, "call", NULL, "called");
		code = act(f, other, "admit", NULL, 409);
		g_clear_pointer(&code, g_free);
		code = act(f, id, "finish", "{}", 400);
		g_assert_cmpstr(code, ==, "invalid_request");
		g_clear_pointer(&code, g_free);
		code = act(f, id, "finish", "{\"handling\":\"maybe\"}", 400);
		g_clear_pointer(&code, g_free);
		code = act(f, other, "refuse", "{\"reason\":\"lazy\"}", 400);
		g_clear_pointer(&code, g_free);
		code = act(f, other, "move", "{\"position\":1}", 400);
		g_clear_pointer(&code, g_free);
		code = act(f, other, "move", "{\"position\":0,\"reason\":\"r\"}", 400);
		g_clear_pointer(&code, g_free);
		assert_act(f, other, "refuse", "{\"reason\":\"incomplete\"}", "refused");
		none = call(f, "POST", missing, f->staff, NULL, 404);
	}
	{
		g_autoptr(JsonNode) q1 =
			call(f, "GET", "/api/v1/tickets?state=asleep", f->staff, NULL, 400);
		g_autoptr(JsonNode) q2 =
			call(f, "GET", "/api/v1/tickets?session=soon", f->staff, NULL, 400);
		g_autoptr(JsonNode) q3 =
			call(f, "GET", "/api/v1/sessions/4242/queue", f->staff, NULL, 404);
	}
}

static void
test_session_queue(QueueApi *f, gconstpointer data)
{
	gint64 session = create_session(f, "open");
	g_autofree char *path =
		g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT "/queue", session);
	g_autoptr(JsonNode) a = call(f, "POST", "/api/v1/tickets", f->staff,
				     "{\"category\":\"complaint\",\"summary\":\"a\"}", 201);
	g_autoptr(JsonNode) b = call(f, "POST", "/api/v1/tickets", f->staff,
				     "{\"category\":\"complaint\",\"summary\":\"b\"}", 201);
	g_autoptr(JsonNode) c = call(f, "POST", "/api/v1/tickets", f->staff,
				     "{\"category\":\"complaint\",\"summary\":\"c\","
				     "\"priority\":\"disability\"}",
				     201);
	g_autoptr(JsonNode) queue = NULL;
	g_autoptr(JsonNode) moved = NULL;
	g_autofree char *move = ticket_path(member_int(b, "id"), "move");
	g_autofree char *body =
		g_strdup_printf("{\"before\":%" G_GINT64_FORMAT ",\"reason\":\"người già yếu\"}",
				member_int(a, "id"));
	JsonArray *items;

	queue = call(f, "GET", path, f->staff, NULL, 200);
	g_assert_cmpstr(json_object_get_string_member(obj(queue), "session_state"), ==, "open");
	items = json_object_get_array_member(obj(queue), "items");
	g_assert_cmpuint(json_array_get_length(items), ==, 3);
	/* the priority class first */
	g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(items, 0), "id"),
			==, member_int(c, "id"));
	moved = call(f, "POST", move, f->staff, body, 200);
	g_assert_cmpint(member_int(moved, "position"), ==, 2);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn, config)                                                                      \
	g_test_add("/civic-bridge/queue-api/" path, QueueApi, config, queue_setup, fn,             \
		   queue_teardown)
	ADD("citizen-follows-ticket", test_citizen_follows_ticket, NULL);
	ADD("citizen-sees-only-own-ticket", test_citizen_sees_only_own_ticket, NULL);
	ADD("operator-never-sees-denouncer", test_operator_never_sees_denouncer, NULL);
	ADD("operator-sees-own-bridge-point-only", test_operator_sees_own_bridge_point_only, NULL);
	ADD("kill-keeps-acknowledged", test_kill_keeps_acknowledged, NULL);
	ADD("register-rate-limit", test_register_rate_limit, GUINT_TO_POINTER(3));
	ADD("bad-input", test_bad_input, NULL);
	ADD("session-queue", test_session_queue, NULL);
	return g_test_run();
}
