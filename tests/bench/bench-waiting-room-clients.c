#define G_LOG_DOMAIN "CbBench"

/* civic-bridge benchmark bench-waiting-room: the N waiting clients in T
 * threads, each thread with its own main context and SoupSession (see
 * bench-waiting-room.c for why); each client checks every message it gets
 * against the transition the room is watching */

#include <string.h>

#include "bench-waiting-room.h"

static const char *const cb_bench_action_states[] = {"called", "admitted", "done"};

/* the few members a round needs, without a JSON parser: the daemon's
 * generator writes `"name":value` with no spaces, and "session_state" has no
 * quote right before "state" */
static const char *
cb_bench_find_member(const char *text, const char *name)
{
	g_autofree char *needle = g_strdup_printf("\"%s\":", name);
	const char *at = strstr(text, needle);

	return at != NULL ? at + strlen(needle) : NULL;
}

static gint64
cb_bench_text_position(const char *text)
{
	const char *value = cb_bench_find_member(text, "position");

	return value != NULL && g_ascii_isdigit(*value) ? g_ascii_strtoll(value, NULL, 10) : -1;
}

static gboolean
cb_bench_text_state_is(const char *text, const char *state)
{
	const char *value = cb_bench_find_member(text, "state");

	return value != NULL && value[0] == '"' && g_str_has_prefix(value + 1, state) &&
	       value[1 + strlen(state)] == '"';
}

/* what client @c must show after the room's transition: the head its new
 * state; before round k's call client i (i > k) is at place i - k + 1, and
 * from the call on at i - k */
static gboolean
cb_bench_expected(const CbBenchRoom *room, const CbBenchClient *c, const char *text)
{
	if (c->index == room->k)
		return cb_bench_text_state_is(text, cb_bench_action_states[room->action]);
	return cb_bench_text_position(text) == (gint64)(c->index - room->k);
}

/* the head's second message about the previous transition, arriving late */
static gboolean
cb_bench_stale(const CbBenchRoom *room, const CbBenchClient *c, const char *text)
{
	return c->index == room->k && room->action != CB_BENCH_CALL &&
	       cb_bench_text_state_is(text, cb_bench_action_states[room->action - 1]);
}

static void
cb_bench_client_check(CbBenchClient *c, const char *text, gint64 now)
{
	CbBenchRoom *room = c->worker->room;

	g_mutex_lock(&room->lock);
	if (!room->watching || c->index < room->k || c->got_generation == room->generation) {
		room->extra++;
	} else if (cb_bench_expected(room, c, text)) {
		c->got_generation = room->generation;
		c->got_at = now;
		if (--room->pending == 0)
			g_cond_broadcast(&room->changed);
	} else if (cb_bench_stale(room, c, text)) {
		room->extra++;
	} else {
		room->wrong++;
	}
	g_mutex_unlock(&room->lock);
}

static void cb_bench_worker_connect_more(CbBenchWorker *w);

/* the greeting: checked with a real parser once per client */
static void
cb_bench_client_greeted(CbBenchClient *c, const char *text, gsize len, gint64 now)
{
	CbBenchRoom *room = c->worker->room;
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *ticket = NULL;

	if (json_parser_load_from_data(parser, text, (gssize)len, NULL))
		ticket = json_object_get_object_member(
			json_node_get_object(json_parser_get_root(parser)), "ticket");
	if (ticket == NULL || json_object_get_int_member(ticket, "id") != c->ticket_id ||
	    json_object_get_int_member(ticket, "position") != (gint64)c->index + 1) {
		g_printerr("client %u: unexpected greeting %.200s\n", c->index, text);
		g_mutex_lock(&room->lock);
		room->wrong++;
		g_mutex_unlock(&room->lock);
	}
	c->greeted_at = now;
	g_atomic_int_inc(&room->greeted);
	c->worker->in_flight--;
	cb_bench_worker_connect_more(c->worker);
}

static void
cb_bench_message_cb(SoupWebsocketConnection *conn, gint type, GBytes *bytes, gpointer user_data)
{
	CbBenchClient *c = user_data;
	gint64 now = g_get_monotonic_time();
	gsize len = 0;
	const char *data = g_bytes_get_data(bytes, &len);
	g_autofree char *text = g_strndup(data, len);

	if (!g_str_has_prefix(text, "{\"type\":\"ticket\""))
		return; /* hello, pong */
	if (c->greeted_at == 0)
		cb_bench_client_greeted(c, text, len, now);
	else
		cb_bench_client_check(c, text, now);
}

static void
cb_bench_client_failed(CbBenchClient *c)
{
	c->failed = TRUE;
	g_atomic_int_inc(&c->worker->room->failures);
	c->worker->in_flight--;
	cb_bench_worker_connect_more(c->worker);
}

static void
cb_bench_closed_cb(SoupWebsocketConnection *conn, gpointer user_data)
{
	CbBenchClient *c = user_data;
	CbBenchRoom *room = c->worker->room;

	g_mutex_lock(&room->lock);
	c->closed = TRUE;
	room->closed++;
	g_mutex_unlock(&room->lock);
	if (c->greeted_at == 0 && !c->failed) {
		g_printerr("client %u: closed before its greeting (%u)\n", c->index,
			   soup_websocket_connection_get_close_code(conn));
		cb_bench_client_failed(c);
	}
}

static void
cb_bench_connected_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	CbBenchClient *c = user_data;
	g_autoptr(GError) error = NULL;
	g_autofree char *auth = NULL;

	c->conn = soup_session_websocket_connect_finish(SOUP_SESSION(source), result, &error);
	if (c->conn == NULL) {
		g_printerr("client %u: %s\n", c->index, error->message);
		cb_bench_client_failed(c);
		return;
	}
	g_signal_connect(c->conn, "message", G_CALLBACK(cb_bench_message_cb), c);
	g_signal_connect(c->conn, "closed", G_CALLBACK(cb_bench_closed_cb), c);
	/* the way a browser authenticates: the first message, not a header */
	auth = g_strdup_printf("{\"type\":\"auth\",\"token\":\"%s\"}", c->token);
	soup_websocket_connection_send_text(c->conn, auth);
}

static void
cb_bench_worker_connect_more(CbBenchWorker *w)
{
	while (w->in_flight < w->max_in_flight && w->next < w->end) {
		CbBenchClient *c = &w->room->clients[w->next++];
		g_autoptr(SoupMessage) msg = soup_message_new("GET", w->room->ws_uri);

		c->connect_started = g_get_monotonic_time();
		w->in_flight++;
		soup_session_websocket_connect_async(w->session, msg, NULL, NULL,
						     G_PRIORITY_DEFAULT, NULL,
						     cb_bench_connected_cb, c);
	}
}

static gpointer
cb_bench_worker_main(gpointer data)
{
	CbBenchWorker *w = data;

	g_main_context_push_thread_default(w->context);
	/* handshakes count against the session's connection limits until the
	 * connection is handed to the WebSocket */
	w->session = soup_session_new_with_options("max-conns", w->max_in_flight * 2 + 10,
						   "max-conns-per-host", w->max_in_flight * 2 + 10,
						   "timeout", 0, "idle-timeout", 0, NULL);
	cb_bench_worker_connect_more(w);
	while (!g_atomic_int_get(&w->quit))
		g_main_context_iteration(w->context, TRUE);
	for (guint i = w->first; i < w->end; i++) {
		CbBenchClient *c = &w->room->clients[i];
		if (c->conn != NULL) {
			g_signal_handlers_disconnect_by_data(c->conn, c);
			g_clear_object(&c->conn);
		}
	}
	g_clear_object(&w->session);
	g_main_context_pop_thread_default(w->context);
	return NULL;
}

void
cb_bench_workers_start(CbBenchRoom *room, guint n_workers, guint in_flight)
{
	room->n_workers = n_workers;
	room->workers = g_new0(CbBenchWorker, n_workers);
	for (guint t = 0; t < n_workers; t++) {
		CbBenchWorker *w = &room->workers[t];

		w->room = room;
		w->first = (guint)((guint64)room->n * t / n_workers);
		w->end = (guint)((guint64)room->n * (t + 1) / n_workers);
		w->next = w->first;
		w->max_in_flight = MAX(in_flight / n_workers, 1);
		for (guint i = w->first; i < w->end; i++)
			room->clients[i].worker = w;
		w->context = g_main_context_new();
		w->thread = g_thread_new("bench-clients", cb_bench_worker_main, w);
	}
}

void
cb_bench_workers_stop(CbBenchRoom *room)
{
	for (guint t = 0; t < room->n_workers; t++) {
		g_atomic_int_set(&room->workers[t].quit, 1);
		g_main_context_wakeup(room->workers[t].context);
	}
	for (guint t = 0; t < room->n_workers; t++) {
		g_thread_join(room->workers[t].thread);
		g_main_context_unref(room->workers[t].context);
	}
	g_clear_pointer(&room->workers, g_free);
	room->n_workers = 0;
}
