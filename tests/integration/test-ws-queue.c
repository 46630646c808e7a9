/* live queue updates over /api/v1/ws, against the real daemon: each client
 * is told what concerns it, and no more */
#include "cb-test-daemon.h"
#include "cb-test-ws.h"

typedef struct {
	CbTestDaemon *d;
	char *staff;
	gint64 session;
	gint64 bridge_point;
	char *operator;
} Fixture;

static JsonObject *
obj(JsonNode *node)
{
	g_assert_nonnull(node);
	return json_node_get_object(node);
}

/* a session that opens at once (it starts in 10 minutes) */
static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GDateTime) start = g_date_time_add_minutes(now, 10);
	g_autofree char *iso = g_date_time_format_iso8601(start);
	g_autofree char *body = g_strdup_printf(
		"{\"title\":\"Tiếp công dân\",\"kind\":\"regular\",\"starts_at\":\"%s\","
		"\"duration_minutes\":180}",
		iso);
	g_autoptr(JsonNode) session = NULL;
	g_autoptr(JsonNode) bp = NULL;

	f->d = cb_test_daemon_new();
	if (!cb_test_daemon_start(f->d, &error))
		g_error("daemon did not start: %s", error->message);
	f->staff = cb_test_daemon_issue_token(f->d, CB_ROLE_STAFF, 0, 0, 0);
	session = cb_test_call(f->d, "POST", "/api/v1/sessions", f->staff, body, 201);
	f->session = json_object_get_int_member(obj(session), "id");
	g_assert_cmpstr(json_object_get_string_member(obj(session), "state"), ==, "open");
	bp = cb_test_call(f->d, "POST", "/api/v1/bridge-points", f->d->admin_token,
			  "{\"code\":\"long-bien\",\"name\":\"Phường Long Biên\"}", 201);
	f->bridge_point = json_object_get_int_member(obj(bp), "id");
	f->operator= cb_test_daemon_issue_token(f->d, CB_ROLE_OPERATOR, f->bridge_point, 0, 0);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	cb_test_daemon_free(f->d);
	g_free(f->staff);
	g_free(f->operator);
}

/* registers a citizen; returns the ticket id and sets *@token */
static gint64
register_citizen(Fixture *f, const char *extra, char **token)
{
	g_autofree char *body =
		g_strdup_printf("{\"session_id\":%" G_GINT64_FORMAT ",\"summary\":\"Nội dung\",%s}",
				f->session, extra);
	g_autoptr(JsonNode) ticket =
		cb_test_call(f->d, "POST", "/api/v1/register", NULL, body, 201);

	*token = g_strdup(json_object_get_string_member(obj(ticket), "token"));
	return json_object_get_int_member(obj(ticket), "id");
}

static WsClient *
connect_as(Fixture *f, const char *token)
{
	WsClient *c = ws_connect(f->d, NULL, NULL);
	g_autofree char *auth = g_strdup_printf("{\"type\":\"auth\",\"token\":\"%s\"}", token);
	g_autoptr(JsonObject) hello = NULL;

	g_assert_no_error(c->error);
	ws_send(c, auth);
	hello = ws_next_of_type(c, "hello");
	return c;
}

static JsonObject *
next_ticket(WsClient *c)
{
	g_autoptr(JsonObject) message = ws_next_of_type(c, "ticket");

	return json_object_ref(json_object_get_object_member(message, "ticket"));
}

static void
act(Fixture *f, gint64 ticket, const char *action, const char *body)
{
	g_autofree char *path =
		g_strdup_printf("/api/v1/tickets/%" G_GINT64_FORMAT "/%s", ticket, action);
	g_autoptr(JsonNode) answer = cb_test_call(f->d, "POST", path, f->staff, body, 200);
}

static void
test_citizen_follows_own_place(Fixture *f, gconstpointer data)
{
	g_autofree char *a_token = NULL, *b_token = NULL;
	gint64 a = register_citizen(f, "\"category\":\"complaint\"", &a_token);
	gint64 b = register_citizen(f, "\"category\":\"reflection\"", &b_token);
	g_autoptr(WsClient) ca = connect_as(f, a_token);
	g_autoptr(WsClient) cb = connect_as(f, b_token);
	g_autoptr(JsonObject) a0 = next_ticket(ca);
	g_autoptr(JsonObject) b0 = next_ticket(cb);
	g_autoptr(JsonObject) b1 = NULL;
	g_autoptr(JsonObject) a1 = NULL;
	g_autoptr(JsonObject) a_done = NULL;
	gint64 started = 0;

	/* on connecting, each sees their own place, and only theirs */
	g_assert_cmpint(json_object_get_int_member(a0, "id"), ==, a);
	g_assert_cmpint(json_object_get_int_member(a0, "position"), ==, 1);
	g_assert_cmpint(json_object_get_int_member(b0, "id"), ==, b);
	g_assert_cmpint(json_object_get_int_member(b0, "position"), ==, 2);
	g_assert_cmpint(json_object_get_int_member(b0, "estimated_wait_seconds"), ==, 15 * 60);
	g_assert_cmpstr(json_object_get_string_member(b0, "session_state"), ==, "open");

	/* A is called: B moves up within a second; A sees it is called */
	started = g_get_monotonic_time();
	act(f, a, "call", NULL);
	b1 = next_ticket(cb);
	g_assert_cmpint(json_object_get_int_member(b1, "position"), ==, 1);
	g_assert_cmpint(g_get_monotonic_time() - started, <, G_TIME_SPAN_SECOND);
	do {
		g_clear_pointer(&a1, json_object_unref);
		a1 = next_ticket(ca);
	} while (g_strcmp0(json_object_get_string_member(a1, "state"), "called") != 0);

	act(f, a, "admit", NULL);
	act(f, a, "finish", "{\"handling\":\"accepted\",\"notes\":\"ghi chú\"}");
	do {
		g_clear_pointer(&a_done, json_object_unref);
		a_done = next_ticket(ca);
	} while (g_strcmp0(json_object_get_string_member(a_done, "state"), "done") != 0);
	/* staff's notes are not for the citizen */
	g_assert_false(json_object_has_member(a_done, "notes"));
	/* B never heard about A's ticket */
	while (!g_queue_is_empty(&cb->messages)) {
		g_autoptr(JsonObject) other = ws_next(cb);
		if (json_object_has_member(other, "ticket"))
			g_assert_cmpint(
				json_object_get_int_member(
					json_object_get_object_member(other, "ticket"), "id"),
				==, b);
	}
}

static void
test_staff_and_operator_views(Fixture *f, gconstpointer data)
{
	g_autofree char *hall_token = NULL, *bp_token = NULL, *subscribe = NULL;
	g_autofree char *extra = g_strdup_printf(
		"\"category\":\"denunciation\",\"bridge_point_id\":%" G_GINT64_FORMAT
		",\"citizen_name\":\"Người Tố Cáo Bí Mật\",\"id_number\":\"001099000111\"",
		f->bridge_point);
	gint64 hall = register_citizen(f, "\"category\":\"complaint\"", &hall_token);
	gint64 denunciation = register_citizen(f, extra, &bp_token);
	g_autoptr(WsClient) staff = connect_as(f, f->staff);
	g_autoptr(WsClient) op = connect_as(f, f->operator);
	g_autoptr(JsonObject) staff_queue = NULL, op_queue = NULL, op_after = NULL;
	g_autoptr(JsonObject) session_event = NULL;
	g_autofree char *staff_text = NULL, *op_text = NULL;
	JsonArray *items;

	subscribe = g_strdup_printf("{\"type\":\"subscribe\",\"session_id\":%" G_GINT64_FORMAT "}",
				    f->session);
	ws_send(staff, subscribe);
	ws_send(op, subscribe);
	staff_queue = ws_next_of_type(staff, "queue");
	op_queue = ws_next_of_type(op, "queue");

	/* staff see the whole line, the denouncer's identity included */
	items = json_object_get_array_member(json_object_get_object_member(staff_queue, "queue"),
					     "items");
	g_assert_cmpuint(json_array_get_length(items), ==, 2);
	staff_text = json_to_string(json_object_get_member(staff_queue, "queue"), FALSE);
	g_assert_nonnull(strstr(staff_text, "Người Tố Cáo Bí Mật"));

	/* the operator sees their bridge point's ticket without the identity */
	items = json_object_get_array_member(json_object_get_object_member(op_queue, "queue"),
					     "items");
	g_assert_cmpuint(json_array_get_length(items), ==, 1);
	g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(items, 0), "id"),
			==, denunciation);
	op_text = json_to_string(json_object_get_member(op_queue, "queue"), FALSE);
	g_assert_null(strstr(op_text, "Người Tố Cáo Bí Mật"));
	g_assert_null(strstr(op_text, "001099000111"));

	/* a change reaches both; the operator's still without the identity */
	act(f, hall, "call", NULL);
	g_clear_pointer(&staff_queue, json_object_unref);
	staff_queue = ws_next_of_type(staff, "queue");
	op_after = ws_next_of_type(op, "queue");
	g_clear_pointer(&op_text, g_free);
	op_text = json_to_string(json_object_get_member(op_after, "queue"), FALSE);
	g_assert_null(strstr(op_text, "Người Tố Cáo Bí Mật"));

	/* a session change reaches staff */
	{
		g_autofree char *path =
			g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT "/start", f->session);
		g_autoptr(JsonNode) started = cb_test_call(f->d, "POST", path, f->staff, NULL, 200);
	}
	session_event = ws_next_of_type(staff, "session");
	g_assert_cmpstr(json_object_get_string_member(
				json_object_get_object_member(session_event, "session"), "state"),
			==, "live");
}

/* dropping the connection costs no place: coming back shows the same ticket
 * with its place as it is now */
static void
test_drop_and_return_keeps_place(Fixture *f, gconstpointer data)
{
	g_autofree char *a_token = NULL, *b_token = NULL, *c_token = NULL;
	gint64 a = register_citizen(f, "\"category\":\"complaint\"", &a_token);
	gint64 b = register_citizen(f, "\"category\":\"complaint\"", &b_token);
	gint64 c = register_citizen(f, "\"category\":\"complaint\"", &c_token);
	g_autoptr(JsonObject) first = NULL, again = NULL;

	{
		g_autoptr(WsClient) cc = connect_as(f, c_token);
		first = next_ticket(cc);
		g_assert_cmpint(json_object_get_int_member(first, "position"), ==, 3);
	}
	/* while C is away, A is called and B cancels */
	act(f, a, "call", NULL);
	{
		g_autofree char *path =
			g_strdup_printf("/api/v1/tickets/%" G_GINT64_FORMAT "/cancel", b);
		g_autoptr(JsonNode) cancelled =
			cb_test_call(f->d, "POST", path, b_token, NULL, 200);
	}
	{
		g_autoptr(WsClient) cc = connect_as(f, c_token);
		again = next_ticket(cc);
		g_assert_cmpint(json_object_get_int_member(again, "id"), ==, c);
		g_assert_cmpstr(json_object_get_string_member(again, "state"), ==, "waiting");
		g_assert_cmpint(json_object_get_int_member(again, "position"), ==, 1);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn)                                                                              \
	g_test_add("/civic-bridge/ws-queue/" path, Fixture, NULL, fixture_setup, fn,               \
		   fixture_teardown)
	ADD("citizen-follows-own-place", test_citizen_follows_own_place);
	ADD("staff-and-operator-views", test_staff_and_operator_views);
	ADD("drop-and-return-keeps-place", test_drop_and_return_keeps_place);
#undef ADD
	return g_test_run();
}
