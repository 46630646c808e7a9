#define G_LOG_DOMAIN "CbTestSig"

/*
 * A signalling client as a page is one: a WebSocket to /api/v1/ws that
 * joins peers, sends their offers and candidates, and hands the daemon's
 * answers and candidates back to them.
 */

#include "cb-test-sig.h"

struct _CbTestSig {
	WsClient *ws;
	GHashTable *peers; /* handle -> CbTestPeer */
	GHashTable *ids;   /* handle -> the room's id, from "joined" */
	GQueue events;     /* JsonObject *: what was not an answer or a candidate */
};

static GPtrArray *all_sigs;

static void
sig_peer_candidate_cb(CbTestPeer *peer, guint mline, const char *candidate, gpointer user_data)
{
	CbTestSig *sig = user_data;
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text = NULL;

	if (sig->ws->conn == NULL ||
	    soup_websocket_connection_get_state(sig->ws->conn) != SOUP_WEBSOCKET_STATE_OPEN)
		return;
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "type");
	json_builder_add_string_value(b, "candidate");
	json_builder_set_member_name(b, "peer");
	json_builder_add_string_value(b, cb_test_peer_get_name(peer));
	json_builder_set_member_name(b, "mline");
	json_builder_add_int_value(b, mline);
	json_builder_set_member_name(b, "candidate");
	json_builder_add_string_value(b, candidate);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	text = json_to_string(root, FALSE);
	ws_send(sig->ws, text);
}

static void
sig_pump(CbTestSig *sig)
{
	while (!g_queue_is_empty(&sig->ws->messages)) {
		g_autofree char *text = g_queue_pop_head(&sig->ws->messages);
		g_autoptr(JsonParser) parser = json_parser_new();
		JsonObject *message;
		const char *type;
		const char *handle;
		CbTestPeer *peer;

		g_assert_true(json_parser_load_from_data(parser, text, -1, NULL));
		message = json_node_get_object(json_parser_get_root(parser));
		type = json_object_get_string_member(message, "type");
		handle = json_object_get_string_member_with_default(message, "peer", NULL);
		peer = handle != NULL ? g_hash_table_lookup(sig->peers, handle) : NULL;
		if (g_str_equal(type, "answer") && peer != NULL)
			cb_test_peer_set_answer(peer,
						json_object_get_string_member(message, "sdp"));
		else if (g_str_equal(type, "candidate") && peer != NULL)
			cb_test_peer_add_candidate(
				peer, (guint)json_object_get_int_member(message, "mline"),
				json_object_get_string_member(message, "candidate"));
		else
			g_queue_push_tail(&sig->events, json_object_ref(message));
	}
}

void
cb_test_sig_pump_all(void)
{
	for (guint i = 0; all_sigs != NULL && i < all_sigs->len; i++)
		sig_pump(g_ptr_array_index(all_sigs, i));
}

CbTestSig *
cb_test_sig_connect(CbTestDaemon *d, const char *token)
{
	CbTestSig *sig = g_new0(CbTestSig, 1);
	g_autoptr(JsonObject) hello = NULL;

	if (all_sigs == NULL)
		all_sigs = g_ptr_array_new();
	cb_test_set_wait_hook(cb_test_sig_pump_all);
	sig->ws = ws_connect(d, token, NULL);
	g_assert_no_error(sig->ws->error);
	sig->peers = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					   (GDestroyNotify)cb_test_peer_free);
	sig->ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	hello = ws_next_of_type(sig->ws, "hello");
	g_ptr_array_add(all_sigs, sig);
	return sig;
}

void
cb_test_sig_free(CbTestSig *sig)
{
	if (sig == NULL)
		return;
	g_ptr_array_remove(all_sigs, sig);
	g_hash_table_unref(sig->peers);
	g_hash_table_unref(sig->ids);
	g_queue_clear_full(&sig->events, (GDestroyNotify)json_object_unref);
	ws_client_free(sig->ws);
	g_free(sig);
}

void
cb_test_sig_cut(CbTestSig *sig)
{
	WsClient *ws = sig->ws;

	g_hash_table_remove_all(sig->peers);
	if (ws->conn != NULL) {
		/* no close frame: the daemon sees the TCP connection end */
		g_signal_handlers_disconnect_by_data(ws->conn, ws);
		g_io_stream_close(soup_websocket_connection_get_io_stream(ws->conn), NULL, NULL);
		g_clear_object(&ws->conn);
	}
	cb_test_sig_free(sig);
}

WsClient *
cb_test_sig_get_ws(CbTestSig *sig)
{
	return sig->ws;
}

void
cb_test_sig_send(CbTestSig *sig, const char *format, ...)
{
	va_list args;
	g_autofree char *text = NULL;

	va_start(args, format);
	text = g_strdup_vprintf(format, args);
	va_end(args);
	ws_send(sig->ws, text);
}

JsonObject *
cb_test_sig_take(CbTestSig *sig, const char *type, const char *member, const char *value)
{
	sig_pump(sig);
	for (GList *l = sig->events.head; l != NULL; l = l->next) {
		JsonObject *message = l->data;

		if (g_strcmp0(json_object_get_string_member(message, "type"), type) != 0)
			continue;
		if (member != NULL &&
		    g_strcmp0(json_object_get_string_member_with_default(message, member, NULL),
			      value) != 0)
			continue;
		g_queue_delete_link(&sig->events, l);
		return message;
	}
	return NULL;
}

JsonObject *
cb_test_sig_wait(CbTestSig *sig, const char *type, const char *member, const char *value)
{
	JsonObject *message = NULL;

	CB_TEST_WAIT_UNTIL((message = cb_test_sig_take(sig, type, member, value)) != NULL);
	return message;
}

void
cb_test_sig_clear_events(CbTestSig *sig)
{
	sig_pump(sig);
	g_queue_clear_full(&sig->events, (GDestroyNotify)json_object_unref);
}

JsonObject *
cb_test_sig_join(CbTestSig *sig, gint64 session, const char *as, const char *slot,
		 const char *handle)
{
	g_autofree char *slot_json =
		slot != NULL ? g_strdup_printf(",\"slot\":\"%s\"", slot) : g_strdup("");
	JsonObject *reply = NULL;

	cb_test_sig_send(sig,
			 "{\"type\":\"join\",\"session_id\":%" G_GINT64_FORMAT
			 ",\"as\":\"%s\"%s,\"peer\":\"%s\"}",
			 session, as, slot_json, handle);
	CB_TEST_WAIT_UNTIL((reply = cb_test_sig_take(sig, "joined", "peer", handle)) != NULL ||
			   (reply = cb_test_sig_take(sig, "error", NULL, NULL)) != NULL);
	if (g_str_equal(json_object_get_string_member(reply, "type"), "joined"))
		g_hash_table_replace(sig->ids, g_strdup(handle),
				     g_strdup(json_object_get_string_member(reply, "id")));
	return reply;
}

void
cb_test_sig_attach(CbTestSig *sig, CbTestPeer *peer)
{
	g_hash_table_replace(sig->peers, (gpointer)cb_test_peer_get_name(peer), peer);
	cb_test_peer_set_candidate_func(peer, sig_peer_candidate_cb, sig);
}

void
cb_test_sig_send_sdp(CbTestSig *sig, const char *handle, const char *sdp)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text = NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "type");
	json_builder_add_string_value(b, "offer");
	json_builder_set_member_name(b, "peer");
	json_builder_add_string_value(b, handle);
	json_builder_set_member_name(b, "sdp");
	json_builder_add_string_value(b, sdp);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	text = json_to_string(root, FALSE);
	ws_send(sig->ws, text);
}

void
cb_test_sig_send_offer(CbTestSig *sig, CbTestPeer *peer)
{
	g_autofree char *offer = cb_test_peer_offer(peer, FALSE);

	cb_test_sig_send_sdp(sig, cb_test_peer_get_name(peer), offer);
}

static void
sig_join_or_fail(CbTestSig *sig, gint64 session, const char *as, const char *slot,
		 const char *handle)
{
	g_autoptr(JsonObject) joined = cb_test_sig_join(sig, session, as, slot, handle);

	if (!g_str_equal(json_object_get_string_member(joined, "type"), "joined"))
		g_error("join %s refused: %s", handle,
			json_object_get_string_member(
				json_object_get_object_member(joined, "error"), "message"));
}

CbTestPeer *
cb_test_sig_publish(CbTestSig *sig, gint64 session, const char *handle, guint width)
{
	CbTestPeer *peer;

	sig_join_or_fail(sig, session, "publisher", NULL, handle);
	peer = cb_test_peer_new_publisher(handle, width, 30);
	cb_test_sig_attach(sig, peer);
	cb_test_sig_send_offer(sig, peer);
	return peer;
}

CbTestPeer *
cb_test_sig_subscribe(CbTestSig *sig, gint64 session, const char *slot, const char *handle)
{
	CbTestPeer *peer;

	sig_join_or_fail(sig, session, "subscriber", slot, handle);
	peer = cb_test_peer_new_subscriber(handle);
	cb_test_sig_attach(sig, peer);
	cb_test_sig_send_offer(sig, peer);
	return peer;
}

CbTestPeer *
cb_test_sig_get_peer(CbTestSig *sig, const char *handle)
{
	return g_hash_table_lookup(sig->peers, handle);
}

const char *
cb_test_sig_get_peer_id(CbTestSig *sig, const char *handle)
{
	return g_hash_table_lookup(sig->ids, handle);
}

void
cb_test_sig_drop_peer(CbTestSig *sig, const char *handle)
{
	g_hash_table_remove(sig->peers, handle);
}

void
cb_test_sig_wait_connected(CbTestSig *sig, const char *handle)
{
	for (;;) {
		g_autoptr(JsonObject) state = cb_test_sig_wait(sig, "peer-state", "peer", handle);

		if (g_strcmp0(json_object_get_string_member(state, "state"), "connected") == 0)
			return;
	}
}

const char *
cb_test_error_code(JsonObject *message)
{
	return json_object_get_string_member(json_object_get_object_member(message, "error"),
					     "code");
}
