#define G_LOG_DOMAIN "CbWs"

#include "civic-bridge/cb-auth.h"
#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-http-route.h"
#include "civic-bridge/cb-json.h"
#include "civic-bridge/cb-ws-hub.h"

/* pings keep NAT and proxies from dropping a quiet waiting room */
#define CB_WS_KEEPALIVE_SECONDS 25

typedef struct {
	CbWsHub *hub; /* not referenced: clients die with the hub */
	guint id;
	SoupWebsocketConnection *conn;
	char *address;
	CbWsPeer peer;
	gboolean authenticated;
	GSource *auth_timer;
} CbWsClient;

struct _CbWsHub {
	GObject parent_instance;
	CbStore *store;
	CbClock *clock;
	CbFailureLimiter *auth_failures;
	CbConfig *config;
	GHashTable *clients; /* CbWsClient * (owned) */
	CbWsRenderFunc greet;
	gpointer greet_data;
	GHashTable *handlers; /* message type -> CbWsHandler */
	CbWsClosedFunc closed;
	gpointer closed_data;
	guint next_id;
};

typedef struct {
	CbWsMessageFunc func;
	gpointer user_data;
} CbWsHandler;

G_DEFINE_TYPE(CbWsHub, cb_ws_hub, G_TYPE_OBJECT)

static void
cb_ws_client_free(gpointer data)
{
	CbWsClient *client = data;

	if (client->authenticated && client->hub->closed != NULL)
		client->hub->closed(&client->peer, client->id, client->hub->closed_data);
	if (client->auth_timer != NULL) {
		g_source_destroy(client->auth_timer);
		g_source_unref(client->auth_timer);
	}
	g_signal_handlers_disconnect_by_data(client->conn, client);
	if (soup_websocket_connection_get_state(client->conn) == SOUP_WEBSOCKET_STATE_OPEN)
		soup_websocket_connection_close(client->conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
						NULL);
	g_object_unref(client->conn);
	g_free(client->address);
	g_free(client);
}

static void
cb_ws_hub_dispose(GObject *object)
{
	CbWsHub *self = CB_WS_HUB(object);

	if (self->clients != NULL)
		g_hash_table_remove_all(self->clients);
	g_clear_object(&self->store);
	g_clear_object(&self->clock);
	g_clear_object(&self->auth_failures);
	G_OBJECT_CLASS(cb_ws_hub_parent_class)->dispose(object);
}

static void
cb_ws_hub_finalize(GObject *object)
{
	CbWsHub *self = CB_WS_HUB(object);

	g_hash_table_unref(self->clients);
	g_hash_table_unref(self->handlers);
	cb_config_free(self->config);
	G_OBJECT_CLASS(cb_ws_hub_parent_class)->finalize(object);
}

static void
cb_ws_hub_class_init(CbWsHubClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = cb_ws_hub_dispose;
	object_class->finalize = cb_ws_hub_finalize;
}

static void
cb_ws_hub_init(CbWsHub *self)
{
	self->clients =
		g_hash_table_new_full(g_direct_hash, g_direct_equal, cb_ws_client_free, NULL);
	self->handlers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

CbWsHub *
cb_ws_hub_new(CbStore *store, CbClock *clock, CbFailureLimiter *auth_failures,
	      const CbConfig *config)
{
	CbWsHub *self = g_object_new(CB_TYPE_WS_HUB, NULL);

	self->store = g_object_ref(store);
	self->clock = g_object_ref(clock);
	self->auth_failures = g_object_ref(auth_failures);
	self->config = cb_config_copy(config);
	return self;
}

void
cb_ws_hub_reconfigure(CbWsHub *self, const CbConfig *config)
{
	cb_config_free(self->config);
	self->config = cb_config_copy(config);
}

guint
cb_ws_hub_get_count(CbWsHub *self)
{
	return g_hash_table_size(self->clients);
}

gboolean
cb_ws_hub_is_full(CbWsHub *self)
{
	return g_hash_table_size(self->clients) >= self->config->max_websockets;
}

static void
cb_ws_client_send(CbWsClient *client, JsonNode *node)
{
	g_autofree char *text = cb_json_to_string(node);

	if (soup_websocket_connection_get_state(client->conn) == SOUP_WEBSOCKET_STATE_OPEN)
		soup_websocket_connection_send_text(client->conn, text);
}

/* {"type":"error","error":{"code","message"}}: the API's error shape, on the socket */
static void
cb_ws_client_send_error(CbWsClient *client, const GError *error)
{
	g_autoptr(JsonBuilder) builder = json_builder_new_immutable();
	g_autoptr(JsonNode) node = NULL;

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "type");
	json_builder_add_string_value(builder, "error");
	json_builder_set_member_name(builder, "error");
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "code");
	json_builder_add_string_value(builder, cb_error_name(error));
	json_builder_set_member_name(builder, "message");
	json_builder_add_string_value(builder, error->message);
	json_builder_end_object(builder);
	json_builder_end_object(builder);
	node = json_builder_get_root(builder);
	cb_ws_client_send(client, node);
}

static void
cb_ws_client_send_simple(CbWsClient *client, const char *type)
{
	g_autoptr(JsonBuilder) builder = json_builder_new_immutable();
	g_autoptr(JsonNode) node = NULL;

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "type");
	json_builder_add_string_value(builder, type);
	if (client->authenticated) {
		json_builder_set_member_name(builder, "role");
		json_builder_add_string_value(builder, cb_role_to_string(client->peer.role));
	}
	json_builder_end_object(builder);
	node = json_builder_get_root(builder);
	cb_ws_client_send(client, node);
}

static void
cb_ws_client_greet(CbWsClient *client)
{
	g_autoptr(JsonNode) node = NULL;

	if (client->hub->greet == NULL)
		return;
	node = client->hub->greet(&client->peer, client->hub->greet_data);
	if (node != NULL)
		cb_ws_client_send(client, node);
}

static void
cb_ws_client_close(CbWsClient *client, gushort code, const char *reason)
{
	if (soup_websocket_connection_get_state(client->conn) == SOUP_WEBSOCKET_STATE_OPEN)
		soup_websocket_connection_close(client->conn, code, reason);
}

/* the caller becomes known: from the upgrade's Authorization header or the
 * first message; failures count towards the address's lockout like HTTP's */
static gboolean
cb_ws_client_authenticate(CbWsClient *client, const char *token)
{
	CbWsHub *self = client->hub;
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTokenRecord) record = NULL;
	guint retry_after = 0;

	if (!cb_failure_limiter_check(self->auth_failures, client->address, &retry_after)) {
		cb_ws_client_close(client, CB_WS_CLOSE_RATE_LIMITED,
				   "too many failed authentications from this address");
		return FALSE;
	}
	record = cb_auth_resolve(self->store, self->clock, token, &error);
	if (record == NULL) {
		if (token != NULL && g_error_matches(error, CB_ERROR, CB_ERROR_UNAUTHENTICATED))
			cb_failure_limiter_record(self->auth_failures, client->address);
		cb_ws_client_send_error(client, error);
		cb_ws_client_close(client, CB_WS_CLOSE_UNAUTHENTICATED, "authentication failed");
		return FALSE;
	}
	client->authenticated = TRUE;
	client->peer.role = record->role;
	client->peer.token_id = record->id;
	client->peer.bridge_point_id = record->bridge_point_id;
	client->peer.ticket_id = record->ticket_id;
	if (client->auth_timer != NULL) {
		g_source_destroy(client->auth_timer);
		g_clear_pointer(&client->auth_timer, g_source_unref);
	}
	cb_ws_client_send_simple(client, "hello");
	cb_ws_client_greet(client);
	return TRUE;
}

static void
cb_ws_client_handle(CbWsClient *client, JsonObject *message)
{
	const char *type = NULL, *token = NULL;
	g_autoptr(GError) error = NULL;
	gboolean has_session = FALSE;
	gint64 session = 0;
	CbWsHandler *handler;

	if (!cb_json_get_string(message, "type", TRUE, &type, &error)) {
		cb_ws_client_send_error(client, error);
		return;
	}
	if (!client->authenticated) {
		if (!g_str_equal(type, "auth") ||
		    !cb_json_get_string(message, "token", TRUE, &token, &error)) {
			g_autoptr(GError) first = g_error_new_literal(
				CB_ERROR, CB_ERROR_UNAUTHENTICATED,
				"the first message must be {\"type\":\"auth\",\"token\":...}");
			cb_ws_client_send_error(client, first);
			cb_ws_client_close(client, CB_WS_CLOSE_UNAUTHENTICATED,
					   "not authenticated");
			return;
		}
		cb_ws_client_authenticate(client, token);
		return;
	}
	if (g_str_equal(type, "ping")) {
		cb_ws_client_send_simple(client, "pong");
	} else if (g_str_equal(type, "subscribe")) {
		if (!cb_json_get_int(message, "session_id", TRUE, &has_session, &session, &error) ||
		    session <= 0) {
			if (error == NULL)
				error = g_error_new_literal(CB_ERROR, CB_ERROR_INVALID,
							    "field 'session_id' must be positive");
			cb_ws_client_send_error(client, error);
			return;
		}
		client->peer.session_id = session;
		cb_ws_client_send_simple(client, "subscribed");
		cb_ws_client_greet(client);
	} else if ((handler = g_hash_table_lookup(client->hub->handlers, type)) != NULL) {
		if (!handler->func(&client->peer, client->id, type, message, handler->user_data,
				   &error))
			cb_ws_client_send_error(client, error);
	} else {
		g_set_error(&error, CB_ERROR, CB_ERROR_INVALID,
			    "unknown message type; use ping or subscribe");
		cb_ws_client_send_error(client, error);
	}
}

static void
cb_ws_client_message_cb(SoupWebsocketConnection *conn, gint type, GBytes *bytes, gpointer user_data)
{
	CbWsClient *client = user_data;
	gsize len = 0;
	const char *data = g_bytes_get_data(bytes, &len);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) message = NULL;

	if (type != SOUP_WEBSOCKET_DATA_TEXT) {
		cb_ws_client_close(client, SOUP_WEBSOCKET_CLOSE_UNSUPPORTED_DATA,
				   "messages are JSON text");
		return;
	}
	message = cb_json_parse_object(data, len, client->hub->config->max_json_depth, &error);
	if (message == NULL) {
		cb_ws_client_send_error(client, error);
		if (!client->authenticated)
			cb_ws_client_close(client, CB_WS_CLOSE_UNAUTHENTICATED,
					   "not authenticated");
		return;
	}
	cb_ws_client_handle(client, message);
}

static void
cb_ws_client_closed_cb(SoupWebsocketConnection *conn, gpointer user_data)
{
	CbWsClient *client = user_data;

	g_hash_table_remove(client->hub->clients, client);
}

static gboolean
cb_ws_client_auth_timeout_cb(gpointer user_data)
{
	CbWsClient *client = user_data;

	g_clear_pointer(&client->auth_timer, g_source_unref);
	cb_ws_client_close(client, CB_WS_CLOSE_UNAUTHENTICATED, "no authentication in time");
	return G_SOURCE_REMOVE;
}

static void
cb_ws_hub_connected_cb(SoupServer *soup, SoupServerMessage *msg, const char *path,
		       SoupWebsocketConnection *conn, gpointer user_data)
{
	CbWsHub *self = user_data;
	CbWsClient *client = g_new0(CbWsClient, 1);
	char *address = cb_http_client_address(msg, self->config);
	const char *bearer = cb_auth_bearer_from_header(soup_message_headers_get_one(
		soup_server_message_get_request_headers(msg), "Authorization"));

	client->hub = self;
	client->id = ++self->next_id;
	client->conn = g_object_ref(conn);
	client->address = address;
	g_hash_table_add(self->clients, client);
	soup_websocket_connection_set_max_incoming_payload_size(conn,
								self->config->ws_max_message_bytes);
	soup_websocket_connection_set_keepalive_interval(conn, CB_WS_KEEPALIVE_SECONDS);
	g_signal_connect(conn, "message", G_CALLBACK(cb_ws_client_message_cb), client);
	g_signal_connect(conn, "closed", G_CALLBACK(cb_ws_client_closed_cb), client);
	if (g_hash_table_size(self->clients) > self->config->max_websockets) {
		cb_ws_client_close(client, CB_WS_CLOSE_TRY_AGAIN_LATER, "too many connections");
		return;
	}
	if (bearer != NULL) {
		cb_ws_client_authenticate(client, bearer);
		return;
	}
	client->auth_timer = g_timeout_source_new_seconds(self->config->ws_auth_timeout_seconds);
	g_source_set_callback(client->auth_timer, cb_ws_client_auth_timeout_cb, client, NULL);
	g_source_attach(client->auth_timer, g_main_context_get_thread_default());
}

void
cb_ws_hub_attach(CbWsHub *self, SoupServer *soup)
{
	soup_server_remove_websocket_extension(soup, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
	soup_server_add_websocket_handler(soup, CB_WS_PATH, NULL, NULL, cb_ws_hub_connected_cb,
					  self, NULL);
}

void
cb_ws_hub_add_message_handler(CbWsHub *self, const char *type, CbWsMessageFunc func,
			      gpointer user_data)
{
	CbWsHandler *handler = g_new0(CbWsHandler, 1);

	handler->func = func;
	handler->user_data = user_data;
	g_hash_table_replace(self->handlers, g_strdup(type), handler);
}

void
cb_ws_hub_set_closed_handler(CbWsHub *self, CbWsClosedFunc handler, gpointer user_data)
{
	self->closed = handler;
	self->closed_data = user_data;
}

gboolean
cb_ws_hub_send(CbWsHub *self, guint client_id, JsonNode *node)
{
	GHashTableIter iter;
	gpointer key;

	g_hash_table_iter_init(&iter, self->clients);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		CbWsClient *client = key;
		if (client->id == client_id && client->authenticated) {
			cb_ws_client_send(client, node);
			return TRUE;
		}
	}
	return FALSE;
}

void
cb_ws_hub_set_greeter(CbWsHub *self, CbWsRenderFunc greet, gpointer user_data)
{
	self->greet = greet;
	self->greet_data = user_data;
}

gboolean
cb_ws_hub_ticket_connected(CbWsHub *self, gint64 ticket_id)
{
	GHashTableIter iter;
	gpointer key;

	g_hash_table_iter_init(&iter, self->clients);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		CbWsClient *client = key;
		if (client->authenticated && client->peer.role == CB_ROLE_CITIZEN &&
		    client->peer.ticket_id == ticket_id)
			return TRUE;
	}
	return FALSE;
}

void
cb_ws_hub_publish(CbWsHub *self, CbWsRenderFunc render, gpointer user_data)
{
	GHashTableIter iter;
	gpointer key;

	g_hash_table_iter_init(&iter, self->clients);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		CbWsClient *client = key;
		g_autoptr(JsonNode) node = NULL;

		if (!client->authenticated)
			continue;
		node = render(&client->peer, user_data);
		if (node != NULL)
			cb_ws_client_send(client, node);
	}
}

void
cb_ws_hub_close_all(CbWsHub *self)
{
	g_hash_table_remove_all(self->clients);
}
