/* /api/v1/ws against the real daemon: authentication, limits, keepalive */
#include <libsoup/soup.h>

#include "civic-bridge/cb-ws-hub.h"

#include "cb-test-daemon.h"
#include "cb-test-ws.h"

static CbTestDaemon *
start_with(const char *config)
{
	CbTestDaemon *d = cb_test_daemon_new();
	g_autoptr(GError) error = NULL;

	cb_test_daemon_set_config(d, config);
	if (!cb_test_daemon_start(d, &error))
		g_error("daemon did not start: %s", error->message);
	return d;
}

static const char *
error_code(JsonObject *message)
{
	g_assert_cmpstr(json_object_get_string_member(message, "type"), ==, "error");
	return json_object_get_string_member(json_object_get_object_member(message, "error"),
					     "code");
}

static void
test_auth_by_first_message(void)
{
	g_autoptr(CbTestDaemon) d = start_with("");
	g_autoptr(WsClient) c = ws_connect(d, NULL, NULL);
	g_autofree char *auth =
		g_strdup_printf("{\"type\":\"auth\",\"token\":\"%s\"}", d->admin_token);
	g_autoptr(JsonObject) hello = NULL;
	g_autoptr(JsonObject) pong = NULL;
	g_autoptr(JsonObject) subscribed = NULL;

	g_assert_no_error(c->error);
	ws_send(c, auth);
	hello = ws_next(c);
	g_assert_cmpstr(json_object_get_string_member(hello, "type"), ==, "hello");
	g_assert_cmpstr(json_object_get_string_member(hello, "role"), ==, "admin");
	ws_send(c, "{\"type\":\"ping\"}");
	pong = ws_next(c);
	g_assert_cmpstr(json_object_get_string_member(pong, "type"), ==, "pong");
	ws_send(c, "{\"type\":\"subscribe\",\"session_id\":3}");
	subscribed = ws_next(c);
	g_assert_cmpstr(json_object_get_string_member(subscribed, "type"), ==, "subscribed");
}

static void
test_auth_by_header(void)
{
	g_autoptr(CbTestDaemon) d = start_with("");
	g_autofree char *staff = cb_test_daemon_issue_token(d, CB_ROLE_STAFF, 0, 0, 0);
	g_autoptr(WsClient) c = ws_connect(d, staff, NULL);
	g_autoptr(JsonObject) hello = NULL;

	g_assert_no_error(c->error);
	hello = ws_next(c);
	g_assert_cmpstr(json_object_get_string_member(hello, "role"), ==, "staff");
}

static void
test_bad_token_closes_and_counts(void)
{
	g_autoptr(CbTestDaemon) d = start_with("[limits]\nauth-failure-limit=3\n");
	const char *wrong = "cbt_0000000000000000000000000000000000000000000";

	for (int i = 0; i < 3; i++) {
		g_autoptr(WsClient) c = ws_connect(d, NULL, NULL);
		g_autoptr(JsonObject) error = NULL;
		g_autofree char *auth =
			g_strdup_printf("{\"type\":\"auth\",\"token\":\"%s\"}", wrong);

		ws_send(c, auth);
		error = ws_next(c);
		g_assert_cmpstr(error_code(error), ==, "unauthenticated");
		WAIT_FOR(c->closed);
		g_assert_true(c->closed);
		g_assert_cmpuint(soup_websocket_connection_get_close_code(c->conn), ==,
				 CB_WS_CLOSE_UNAUTHENTICATED);
	}
	/* the address is locked out, over HTTP as well */
	{
		g_autoptr(WsClient) c = ws_connect(d, NULL, NULL);
		g_autofree char *auth =
			g_strdup_printf("{\"type\":\"auth\",\"token\":\"%s\"}", d->admin_token);
		ws_send(c, auth);
		WAIT_FOR(c->closed);
		g_assert_cmpuint(soup_websocket_connection_get_close_code(c->conn), ==,
				 CB_WS_CLOSE_RATE_LIMITED);
	}
	g_assert_cmpuint(cb_test_http(d, "GET", "/api/v1/me", d->admin_token, NULL, NULL), ==, 429);
}

static void
test_first_message_must_authenticate(void)
{
	g_autoptr(CbTestDaemon) d = start_with("");
	g_autoptr(WsClient) c = ws_connect(d, NULL, NULL);
	g_autoptr(JsonObject) error = NULL;

	ws_send(c, "{\"type\":\"ping\"}");
	error = ws_next(c);
	g_assert_cmpstr(error_code(error), ==, "unauthenticated");
	WAIT_FOR(c->closed);
	g_assert_true(c->closed);
}

static void
test_no_auth_in_time_closes(void)
{
	g_autoptr(CbTestDaemon) d = start_with("[limits]\nws-auth-timeout-seconds=1\n");
	g_autoptr(WsClient) c = ws_connect(d, NULL, NULL);

	WAIT_FOR(c->closed);
	g_assert_true(c->closed);
	g_assert_cmpuint(soup_websocket_connection_get_close_code(c->conn), ==,
			 CB_WS_CLOSE_UNAUTHENTICATED);
}

static void
test_bad_messages(void)
{
	g_autoptr(CbTestDaemon) d = start_with("[limits]\nws-max-message-bytes=1024\n");
	g_autoptr(WsClient) c = ws_connect(d, d->admin_token, NULL);
	g_autoptr(JsonObject) hello = ws_next(c);
	const char *bad[] = {"not json",
			     "[1]",
			     "{\"type\":\"dance\"}",
			     "{\"type\":5}",
			     "{\"type\":\"subscribe\",\"session_id\":\"x\"}",
			     "{\"type\":\"subscribe\",\"session_id\":0}"};
	g_autofree char *deep = g_strnfill(900, '[');
	g_autofree char *big = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(JsonObject) error = NULL;
		ws_send(c, bad[i]);
		error = ws_next(c);
		g_assert_cmpstr(error_code(error), ==, "invalid_request");
	}
	{
		g_autoptr(JsonObject) error = NULL;
		ws_send(c, deep);
		error = ws_next(c);
		g_assert_cmpstr(error_code(error), ==, "invalid_request");
		g_assert_false(c->closed);
	}
	/* a message over the limit closes the connection; the daemon lives on */
	big = g_strdup_printf("{\"type\":\"ping\",\"pad\":\"%0*d\"}", 2000, 0);
	ws_send(c, big);
	WAIT_FOR(c->closed);
	g_assert_true(c->closed);
	/* libsoup sends 1009 and drops the socket at once: the client may see either */
	g_assert_true(soup_websocket_connection_get_close_code(c->conn) ==
			      SOUP_WEBSOCKET_CLOSE_TOO_BIG ||
		      soup_websocket_connection_get_close_code(c->conn) == 0);
	g_assert_cmpuint(cb_test_http(d, "GET", "/healthz", NULL, NULL, NULL), ==, 200);
}

static void
test_no_deflate_and_no_idle_close(void)
{
	g_autoptr(CbTestDaemon) d = start_with("[limits]\nidle-timeout-seconds=1\n");
	g_autoptr(WsClient) c = ws_connect(d, d->admin_token, "permessage-deflate");
	g_autoptr(JsonObject) hello = ws_next(c);
	g_autoptr(JsonObject) pong = NULL;
	gint64 until = g_get_monotonic_time() + 2500 * 1000;

	g_assert_null(soup_websocket_connection_get_extensions(c->conn));
	/* the HTTP idle timeout does not apply to a WebSocket */
	WAIT_FOR(c->closed || g_get_monotonic_time() > until);
	g_assert_false(c->closed);
	ws_send(c, "{\"type\":\"ping\"}");
	pong = ws_next(c);
	g_assert_cmpstr(json_object_get_string_member(pong, "type"), ==, "pong");
}

static void
test_connection_limit(void)
{
	g_autoptr(CbTestDaemon) d = start_with("[limits]\nmax-websockets=2\n");
	g_autoptr(WsClient) a = ws_connect(d, d->admin_token, NULL);
	g_autoptr(WsClient) b = ws_connect(d, d->admin_token, NULL);
	g_autoptr(WsClient) c = ws_connect(d, d->admin_token, NULL);

	g_assert_no_error(a->error);
	g_assert_no_error(b->error);
	g_assert_null(c->conn);
	g_assert_nonnull(c->error);
	/* closing one makes room again */
	soup_websocket_connection_close(a->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
	WAIT_FOR(a->closed);
	{
		g_autoptr(WsClient) again = NULL;
		gint64 deadline = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;
		do {
			g_clear_pointer(&again, ws_client_free);
			again = ws_connect(d, d->admin_token, NULL);
		} while (again->conn == NULL && g_get_monotonic_time() < deadline);
		g_assert_no_error(again->error);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/civic-bridge/ws/auth-by-first-message", test_auth_by_first_message);
	g_test_add_func("/civic-bridge/ws/auth-by-header", test_auth_by_header);
	g_test_add_func("/civic-bridge/ws/bad-token-closes-and-counts",
			test_bad_token_closes_and_counts);
	g_test_add_func("/civic-bridge/ws/first-message-must-authenticate",
			test_first_message_must_authenticate);
	g_test_add_func("/civic-bridge/ws/no-auth-in-time-closes", test_no_auth_in_time_closes);
	g_test_add_func("/civic-bridge/ws/bad-messages", test_bad_messages);
	g_test_add_func("/civic-bridge/ws/no-deflate-and-no-idle-close",
			test_no_deflate_and_no_idle_close);
	g_test_add_func("/civic-bridge/ws/connection-limit", test_connection_limit);
	return g_test_run();
}
