/* civic-bridge benchmark of live sessions: the real daemon with a live
 * session, and signalling clients (one WebSocket each, several peers per
 * client, as browsers and bridge-point pages hold them) */
#define G_LOG_DOMAIN "CbBench"

#include <string.h>

#include "bench-media-session.h"
#include "cb-test-metrics.h"

#define BM_JOIN_WAIT_MS 20000

struct _BmSig {
	WsClient *ws;
	GHashTable *peers;    /* handle -> BmPeer *, owned */
	GHashTable *answered; /* handle -> JsonObject *: joined or error */
};

static GPtrArray *bm_sigs;

/* --- the daemon and its session ----------------------------------------------------------- */

static JsonNode *
bm_call(BmSession *s, const char *method, const char *path, const char *token, const char *body,
	guint want)
{
	JsonNode *answer = NULL;
	guint status = cb_test_http(s->d, method, path, token, body, &answer);

	if (status != want) {
		g_printerr("%s %s: HTTP %u, wanted %u\n", method, path, status, want);
		g_clear_pointer(&answer, json_node_unref);
	}
	return answer;
}

gboolean
bm_session_record(BmSession *s, gboolean on)
{
	g_autofree char *path =
		g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT "/recording/%s", s->session,
				on ? "start" : "stop");
	JsonNode *answer = bm_call(s, "POST", path, s->staff, NULL, 200);

	if (answer == NULL)
		return FALSE;
	json_node_unref(answer);
	return TRUE;
}

double
bm_session_lane_overruns(BmSession *s)
{
	g_auto(CbTestReply) reply = cb_test_request(s->d, "GET", "/metrics", s->staff, NULL, NULL);
	g_autoptr(CbTestMetrics) metrics = NULL;
	g_autoptr(GError) error = NULL;
	const CbTestSample *sample;

	if (reply.status != 200 || (metrics = cb_test_metrics_parse(reply.body, &error)) == NULL) {
		g_printerr("GET /metrics: HTTP %u%s%s\n", reply.status, error ? ": " : "",
			   error ? error->message : "");
		return -1;
	}
	sample = cb_test_metrics_find(metrics, "civic_bridge_media_lane_overruns_total", NULL);
	return sample != NULL ? sample->value : -1;
}

static gint64
bm_created_id(JsonNode *node)
{
	gint64 id = node != NULL ? json_object_get_int_member(json_node_get_object(node), "id") : 0;

	g_clear_pointer(&node, json_node_unref);
	return id;
}

static gboolean
bm_session_live(BmSession *s)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GDateTime) start = g_date_time_add_minutes(now, 10);
	g_autofree char *iso = g_date_time_format_iso8601(start);
	g_autofree char *body = g_strdup_printf("{\"title\":\"Tiếp công dân\",\"kind\":\"regular\","
						"\"starts_at\":\"%s\",\"duration_minutes\":180}",
						iso);
	g_autofree char *path = NULL;
	g_autoptr(JsonNode) started = NULL;

	s->session = bm_created_id(bm_call(s, "POST", "/api/v1/sessions", s->staff, body, 201));
	if (s->session == 0)
		return FALSE;
	path = g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT "/start", s->session);
	started = bm_call(s, "POST", path, s->staff, NULL, 200);
	return started != NULL;
}

/* a citizen registers, is called and admitted: they may publish */
static gboolean
bm_session_admit_citizen(BmSession *s)
{
	g_autofree char *body =
		g_strdup_printf("{\"session_id\":%" G_GINT64_FORMAT ",\"summary\":\"Nội dung\","
				"\"category\":\"complaint\",\"citizen_name\":\"A\"}",
				s->session);
	g_autoptr(JsonNode) ticket = bm_call(s, "POST", "/api/v1/register", NULL, body, 201);
	gint64 id;

	if (ticket == NULL)
		return FALSE;
	id = json_object_get_int_member(json_node_get_object(ticket), "id");
	s->citizen = g_strdup(json_object_get_string_member(json_node_get_object(ticket), "token"));
	for (guint i = 0; i < 2; i++) {
		g_autofree char *path = g_strdup_printf("/api/v1/tickets/%" G_GINT64_FORMAT "/%s",
							id, i == 0 ? "call" : "admit");
		g_autoptr(JsonNode) answer = bm_call(s, "POST", path, s->staff, NULL, 200);
		if (answer == NULL)
			return FALSE;
	}
	return TRUE;
}

BmSession *
bm_session_new(guint n_bp)
{
	BmSession *s = g_new0(BmSession, 1);
	g_autoptr(GError) error = NULL;
	const char *id;

	s->d = cb_test_daemon_new();
	/* peers: 32 publishers and 92 subscribers for 30 bridge points */
	cb_test_daemon_set_config(s->d, "[media]\nice-addresses=127.0.0.1\nmax-peers=1000\n"
					"[schedule]\nrrule=\n");
	if (!cb_test_daemon_start(s->d, &error)) {
		g_printerr("the daemon did not start: %s\n", error->message);
		bm_session_free(s);
		return NULL;
	}
	id = g_subprocess_get_identifier(s->d->process);
	s->pid = id != NULL ? (GPid)atoi(id) : 0;
	s->staff = cb_test_daemon_issue_token(s->d, CB_ROLE_STAFF, 0, 0, 0);
	s->n_bp = n_bp;
	s->bp = g_new0(gint64, n_bp);
	s->op = g_new0(char *, n_bp + 1);
	for (guint i = 0; i < n_bp; i++) {
		g_autofree char *body =
			g_strdup_printf("{\"code\":\"bp-%u\",\"name\":\"Phường %u\"}", i, i);
		s->bp[i] = bm_created_id(
			bm_call(s, "POST", "/api/v1/bridge-points", s->d->admin_token, body, 201));
		if (s->bp[i] == 0) {
			bm_session_free(s);
			return NULL;
		}
		s->op[i] = cb_test_daemon_issue_token(s->d, CB_ROLE_OPERATOR, s->bp[i], 0, 0);
	}
	if (!bm_session_live(s) || !bm_session_admit_citizen(s)) {
		bm_session_free(s);
		return NULL;
	}
	return s;
}

void
bm_session_free(BmSession *s)
{
	if (s == NULL)
		return;
	cb_test_daemon_free(s->d);
	g_free(s->staff);
	g_free(s->bp);
	g_strfreev(s->op);
	g_free(s->citizen);
	g_free(s);
}

/* --- signalling clients ---------------------------------------------------------------- */

static void
bm_sig_route(BmSig *sig, JsonObject *message)
{
	const char *type = json_object_get_string_member_with_default(message, "type", "");
	const char *handle = json_object_get_string_member_with_default(message, "peer", NULL);
	BmPeer *peer = handle != NULL ? g_hash_table_lookup(sig->peers, handle) : NULL;

	if (g_getenv("BM_DEBUG") != NULL)
		g_printerr("ws: %s %s%s\n", type, handle != NULL ? handle : "-",
			   peer == NULL ? " (no such peer)" : "");
	if (peer == NULL)
		return; /* session, ticket and queue news: not measured here */
	if (g_str_equal(type, "answer")) {
		if (peer->count_only)
			peer->answered = TRUE;
		else
			bm_peer_set_answer(peer, json_object_get_string_member(message, "sdp"));
	} else if (g_str_equal(type, "candidate")) {
		if (!peer->count_only)
			g_signal_emit_by_name(peer->webrtc, "add-ice-candidate",
					      (guint)json_object_get_int_member(message, "mline"),
					      json_object_get_string_member(message, "candidate"));
	} else if (g_str_equal(type, "peer-state")) {
		g_free(peer->state);
		peer->state = g_strdup(json_object_get_string_member(message, "state"));
	} else if (g_str_equal(type, "peer-left")) {
		peer->left = TRUE;
	} else if (g_str_equal(type, "joined") || g_str_equal(type, "error")) {
		g_hash_table_replace(sig->answered, g_strdup(handle), json_object_ref(message));
	}
}

static void
bm_sig_pump(BmSig *sig)
{
	while (!g_queue_is_empty(&sig->ws->messages)) {
		g_autofree char *text = g_queue_pop_head(&sig->ws->messages);
		g_autoptr(JsonParser) parser = json_parser_new();
		JsonNode *root;

		if (!json_parser_load_from_data(parser, text, -1, NULL))
			continue;
		root = json_parser_get_root(parser);
		if (JSON_NODE_HOLDS_OBJECT(root))
			bm_sig_route(sig, json_node_get_object(root));
	}
}

void
bm_sig_pump_all(void)
{
	for (guint i = 0; bm_sigs != NULL && i < bm_sigs->len; i++)
		bm_sig_pump(g_ptr_array_index(bm_sigs, i));
}

BmSig *
bm_sig_connect(BmSession *s, const char *token)
{
	BmSig *sig = g_new0(BmSig, 1);
	g_autoptr(JsonObject) hello = NULL;

	sig->ws = ws_connect(s->d, token, NULL);
	if (sig->ws->error != NULL || sig->ws->conn == NULL) {
		g_printerr("WebSocket: %s\n",
			   sig->ws->error != NULL ? sig->ws->error->message : "no connection");
		ws_client_free(sig->ws);
		g_free(sig);
		return NULL;
	}
	sig->peers =
		g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)bm_peer_free);
	sig->answered = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      (GDestroyNotify)json_object_unref);
	hello = ws_next_of_type(sig->ws, "hello");
	if (bm_sigs == NULL)
		bm_sigs = g_ptr_array_new();
	g_ptr_array_add(bm_sigs, sig);
	return sig;
}

void
bm_sig_free(BmSig *sig)
{
	if (sig == NULL)
		return;
	g_ptr_array_remove(bm_sigs, sig);
	g_hash_table_unref(sig->peers);
	g_hash_table_unref(sig->answered);
	ws_client_free(sig->ws);
	g_free(sig);
}

void
bm_sig_send(BmSig *sig, const char *format, ...)
{
	va_list args;
	g_autofree char *text = NULL;

	va_start(args, format);
	text = g_strdup_vprintf(format, args);
	va_end(args);
	if (sig->ws->conn != NULL &&
	    soup_websocket_connection_get_state(sig->ws->conn) == SOUP_WEBSOCKET_STATE_OPEN)
		ws_send(sig->ws, text);
}

typedef struct {
	BmSig *sig;
	char *handle;
	guint mline;
	char *candidate;
} BmOutCandidate;

static gboolean
bm_out_candidate_cb(gpointer data)
{
	BmOutCandidate *c = data;
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text = NULL;

	/* still a peer of a live client: the bench may have dropped it meanwhile */
	if (bm_sigs != NULL && g_ptr_array_find(bm_sigs, c->sig, NULL) &&
	    g_hash_table_contains(c->sig->peers, c->handle)) {
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "type");
		json_builder_add_string_value(b, "candidate");
		json_builder_set_member_name(b, "peer");
		json_builder_add_string_value(b, c->handle);
		json_builder_set_member_name(b, "mline");
		json_builder_add_int_value(b, c->mline);
		json_builder_set_member_name(b, "candidate");
		json_builder_add_string_value(b, c->candidate);
		json_builder_end_object(b);
		root = json_builder_get_root(b);
		text = json_to_string(root, FALSE);
		bm_sig_send(c->sig, "%s", text);
	}
	g_free(c->handle);
	g_free(c->candidate);
	g_free(c);
	return G_SOURCE_REMOVE;
}

/* webrtcbin's thread: trickled to the daemon from the main context */
static void
bm_ice_candidate_cb(GstElement *webrtc, guint mline, const char *candidate, gpointer data)
{
	BmPeer *peer = data;
	BmOutCandidate *c = g_new0(BmOutCandidate, 1);

	c->sig = peer->owner;
	c->handle = g_strdup(peer->handle);
	c->mline = mline;
	c->candidate = g_strdup(candidate);
	g_idle_add(bm_out_candidate_cb, c);
}

void
bm_sig_join_send(BmSig *sig, gint64 session, BmPeer *peer, gboolean publisher, const char *slot)
{
	g_autofree char *slot_json =
		slot != NULL ? g_strdup_printf(",\"slot\":\"%s\"", slot) : g_strdup("");

	peer->owner = sig;
	peer->left = FALSE;
	peer->answered = FALSE;
	g_clear_pointer(&peer->state, g_free);
	g_hash_table_remove(sig->answered, peer->handle);
	if (!g_hash_table_contains(sig->peers, peer->handle))
		g_hash_table_insert(sig->peers, peer->handle, peer);
	bm_sig_send(sig,
		    "{\"type\":\"join\",\"session_id\":%" G_GINT64_FORMAT
		    ",\"as\":\"%s\"%s,\"peer\":\"%s\"}",
		    session, publisher ? "publisher" : "subscriber", slot_json, peer->handle);
}

gboolean
bm_sig_joined(BmSig *sig, BmPeer *peer, gboolean *refused)
{
	JsonObject *answer = g_hash_table_lookup(sig->answered, peer->handle);

	if (answer == NULL)
		return FALSE;
	*refused = !g_str_equal(json_object_get_string_member(answer, "type"), "joined");
	if (*refused) {
		JsonObject *error = json_object_get_object_member(answer, "error");
		g_printerr("join %s refused: %s\n", peer->handle,
			   error != NULL ? json_object_get_string_member(error, "message") : "?");
	}
	return TRUE;
}

gboolean
bm_sig_offer(BmSig *sig, BmPeer *peer, const char *sdp)
{
	g_autofree char *made = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text = NULL;

	if (sdp == NULL) {
		if (g_signal_handler_find(peer->webrtc, G_SIGNAL_MATCH_FUNC | G_SIGNAL_MATCH_DATA,
					  0, 0, NULL, bm_ice_candidate_cb, peer) == 0)
			g_signal_connect(peer->webrtc, "on-ice-candidate",
					 G_CALLBACK(bm_ice_candidate_cb), peer);
		sdp = made = bm_peer_offer(peer);
		if (sdp == NULL)
			return FALSE;
	}
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "type");
	json_builder_add_string_value(b, "offer");
	json_builder_set_member_name(b, "peer");
	json_builder_add_string_value(b, peer->handle);
	json_builder_set_member_name(b, "sdp");
	json_builder_add_string_value(b, sdp);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	text = json_to_string(root, FALSE);
	bm_sig_send(sig, "%s", text);
	peer->offer_sent_us = g_get_monotonic_time();
	return TRUE;
}

typedef struct {
	BmSig *sig;
	BmPeer *peer;
	gboolean refused;
} BmJoinWait;

static gboolean
bm_join_answered(gpointer data)
{
	BmJoinWait *w = data;

	return bm_sig_joined(w->sig, w->peer, &w->refused);
}

gboolean
bm_sig_negotiate(BmSig *sig, gint64 session, BmPeer *peer, gboolean publisher, const char *slot)
{
	BmJoinWait w = {sig, peer, FALSE};

	bm_sig_join_send(sig, session, peer, publisher, slot);
	if (!bm_wait(bm_join_answered, &w, BM_JOIN_WAIT_MS)) {
		g_printerr("join %s: no answer within %d ms\n", peer->handle, BM_JOIN_WAIT_MS);
		return FALSE;
	}
	return !w.refused && bm_sig_offer(sig, peer, NULL);
}

void
bm_sig_leave(BmSig *sig, BmPeer *peer)
{
	bm_sig_send(sig, "{\"type\":\"leave\",\"peer\":\"%s\"}", peer->handle);
}

void
bm_sig_drop(BmSig *sig, BmPeer *peer)
{
	g_hash_table_remove(sig->answered, peer->handle);
	g_hash_table_remove(sig->peers, peer->handle);
}
