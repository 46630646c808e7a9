#include "civic-bridge/cb-ws-hub.h"

#include "cb-test-ws.h"

static void
ws_message_cb(SoupWebsocketConnection *conn, gint type, GBytes *bytes, gpointer user_data)
{
	WsClient *c = user_data;

	g_queue_push_tail(&c->messages,
			  g_strndup(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes)));
}

static void
ws_closed_cb(SoupWebsocketConnection *conn, gpointer user_data)
{
	((WsClient *)user_data)->closed = TRUE;
}

static void
ws_connected_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	WsClient *c = user_data;

	c->conn = soup_session_websocket_connect_finish(SOUP_SESSION(source), result, &c->error);
	if (c->conn != NULL) {
		g_signal_connect(c->conn, "message", G_CALLBACK(ws_message_cb), c);
		g_signal_connect(c->conn, "closed", G_CALLBACK(ws_closed_cb), c);
	}
	c->done = TRUE;
}

WsClient *
ws_connect(CbTestDaemon *d, const char *bearer, const char *extensions)
{
	WsClient *c = g_new0(WsClient, 1);
	g_autofree char *uri = g_strconcat(d->url, CB_WS_PATH, NULL);
	g_autoptr(SoupMessage) msg = NULL;

	c->session = soup_session_new();
	uri[0] = 'w', uri[1] = 's', memmove(uri + 2, uri + 4, strlen(uri + 4) + 1);
	msg = soup_message_new("GET", uri);
	if (bearer != NULL) {
		g_autofree char *value = g_strconcat("Bearer ", bearer, NULL);
		soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization",
					     value);
	}
	if (extensions != NULL)
		soup_message_headers_replace(soup_message_get_request_headers(msg),
					     "Sec-WebSocket-Extensions", extensions);
	soup_session_websocket_connect_async(c->session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
					     ws_connected_cb, c);
	WAIT_FOR(c->done);
	g_assert_true(c->done);
	return c;
}

void
ws_client_free(WsClient *c)
{
	if (c->conn != NULL) {
		g_signal_handlers_disconnect_by_data(c->conn, c);
		if (soup_websocket_connection_get_state(c->conn) == SOUP_WEBSOCKET_STATE_OPEN)
			soup_websocket_connection_close(c->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
		g_object_unref(c->conn);
	}
	g_queue_clear_full(&c->messages, g_free);
	g_clear_error(&c->error);
	g_object_unref(c->session);
	g_free(c);
}

/* the next message, parsed; fails the test after 5 s */
JsonObject *
ws_next(WsClient *c)
{
	g_autofree char *text = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();

	WAIT_FOR(!g_queue_is_empty(&c->messages) || c->closed);
	text = g_queue_pop_head(&c->messages);
	g_assert_nonnull(text);
	g_assert_true(json_parser_load_from_data(parser, text, -1, NULL));
	return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

void
ws_send(WsClient *c, const char *text)
{
	soup_websocket_connection_send_text(c->conn, text);
}

JsonObject *
ws_next_of_type(WsClient *c, const char *type)
{
	for (;;) {
		JsonObject *message = ws_next(c);
		if (g_strcmp0(json_object_get_string_member(message, "type"), type) == 0)
			return message;
		json_object_unref(message);
	}
}
