#define G_LOG_DOMAIN "CbHttp"

#include "config.h"

#include <string.h>

#include "civic-bridge/cb-auth.h"
#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-failure-limiter.h"
#include "civic-bridge/cb-http-route.h"
#include "civic-bridge/cb-json.h"
#include "civic-bridge/cb-ws-hub.h"

#include "cb-http-idle.h"

/* addresses tracked for authentication failures at most */
#define CB_HTTP_MAX_TRACKED_ADDRESSES 10000

struct _CbHttpServer {
	GObject parent_instance;
	SoupServer *soup;
	CbStore *store;
	CbClock *clock;
	CbConfig *config;
	CbFailureLimiter *auth_failures;
	char *url;
	CbServices services;
	CbWsHub *ws;
	/* plain HTTP connections open now; shared with each connection's socket,
	 * which gives its count back when it goes (see cb_http_server_count) */
	guint *n_connections;
	guint64 answered[6]; /* by status class: [1] 1xx ... [5] 5xx; [0] others */
};

G_DEFINE_TYPE(CbHttpServer, cb_http_server, G_TYPE_OBJECT)

static void
cb_http_server_dispose(GObject *object)
{
	CbHttpServer *self = CB_HTTP_SERVER(object);

	if (self->soup != NULL)
		soup_server_disconnect(self->soup);
	g_clear_object(&self->soup);
	g_clear_object(&self->ws);
	g_clear_object(&self->auth_failures);
	g_clear_object(&self->store);
	g_clear_object(&self->clock);
	G_OBJECT_CLASS(cb_http_server_parent_class)->dispose(object);
}

static void
cb_http_server_finalize(GObject *object)
{
	CbHttpServer *self = CB_HTTP_SERVER(object);

	cb_config_free(self->config);
	g_free(self->url);
	g_atomic_rc_box_release(self->n_connections);
	G_OBJECT_CLASS(cb_http_server_parent_class)->finalize(object);
}

static void
cb_http_server_class_init(CbHttpServerClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = cb_http_server_dispose;
	object_class->finalize = cb_http_server_finalize;
}

static void
cb_http_server_init(CbHttpServer *self)
{
	self->n_connections = g_atomic_rc_box_new0(guint);
}

/* --- how many connections ------------------------------------------------ */

#define CB_HTTP_COUNTED "cb-counted"
#define CB_HTTP_OVER    "cb-over-limit"

/* libsoup 3.1.2 to 3.3.x keep the reference g_socket_accept() gives their
 * listener (fixed in 3.4.0, "soup-listener: Plug a leak"): no accepted
 * GSocket is ever freed, about 350 bytes a connection for the daemon's
 * lifetime, and a socket's count below would never come back. When a
 * connection's first request starts (still inside the accept), its socket
 * has exactly two references on those versions: the connection's and the
 * leaked one, which is dropped here. One reference (a fixed libsoup) is left
 * alone. */
static void
cb_http_server_drop_leaked_socket_ref(GSocket *socket)
{
	static const gboolean leaky_listener =
		SOUP_CHECK_VERSION(3, 1, 2) && !SOUP_CHECK_VERSION(3, 4, 0);

	if (!leaky_listener || soup_get_major_version() != 3 || soup_get_minor_version() >= 4)
		return;
	if (g_atomic_int_get(&G_OBJECT(socket)->ref_count) == 2)
		g_object_unref(socket);
}

static void
cb_http_server_uncount(gpointer data)
{
	guint *n_connections = data;

	(*n_connections)--;
	g_atomic_rc_box_release(n_connections);
}

/* counts @msg's connection once, at its first request (when it is
 * accepted); marks it when it is one over the limit */
static void
cb_http_server_count(CbHttpServer *self, SoupServerMessage *msg)
{
	GSocket *socket = soup_server_message_get_socket(msg);

	if (socket == NULL || g_object_get_data(G_OBJECT(socket), CB_HTTP_COUNTED) != NULL)
		return;
	cb_http_server_drop_leaked_socket_ref(socket);
	/* asked now, while connected: libsoup caches it, and would otherwise
	 * warn when it looks it up after the client has gone */
	soup_server_message_get_remote_address(msg);
	(*self->n_connections)++;
	g_object_set_data_full(G_OBJECT(socket), CB_HTTP_COUNTED,
			       g_atomic_rc_box_acquire(self->n_connections),
			       cb_http_server_uncount);
	if (*self->n_connections > self->config->max_http_connections)
		g_object_set_data(G_OBJECT(socket), CB_HTTP_OVER, GINT_TO_POINTER(TRUE));
}

static gboolean
cb_http_server_over_limit(SoupServerMessage *msg)
{
	GSocket *socket = soup_server_message_get_socket(msg);

	return socket != NULL && g_object_get_data(G_OBJECT(socket), CB_HTTP_OVER) != NULL;
}

/* a WebSocket is counted by the hub, not here */
static void
cb_http_server_uncount_upgraded(SoupServerMessage *msg)
{
	GSocket *socket = soup_server_message_get_socket(msg);

	if (socket != NULL)
		g_object_set_data(G_OBJECT(socket), CB_HTTP_COUNTED, NULL);
}

/* --- idle and slow connections ------------------------------------------- */

/* armed when the connection waits for a request (at accept, and after each
 * answer on a kept-alive connection), disarmed once a whole request has
 * arrived: see cb-http-idle.c */

static void
cb_http_server_got_body_cb(SoupServerMessage *msg, gpointer user_data)
{
	cb_http_idle_disarm(msg);
}

static void
cb_http_server_finished_cb(SoupServerMessage *msg, gpointer user_data)
{
	CbHttpServer *self = user_data;
	guint status = soup_server_message_get_status(msg);

	self->answered[status >= 100 && status < 600 ? status / 100 : 0]++;
	/* a WebSocket now owns the connection and keeps itself alive with pings */
	if (status == SOUP_STATUS_SWITCHING_PROTOCOLS) {
		cb_http_server_uncount_upgraded(msg);
		return;
	}
	cb_http_idle_watch_between_requests(msg, self->config->idle_timeout_seconds);
}

static void
cb_http_server_request_started_cb(SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
	CbHttpServer *self = user_data;

	cb_http_server_count(self, msg);
	cb_http_idle_watch_request(msg, self->config->idle_timeout_seconds);
	g_signal_connect(msg, "got-body", G_CALLBACK(cb_http_server_got_body_cb), NULL);
	g_signal_connect_object(msg, "finished", G_CALLBACK(cb_http_server_finished_cb), self, 0);
}

/* --- limits checked on the headers, before the body is read --------------- */

static void
cb_http_refuse_written_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	GIOStream *stream = user_data;

	g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL, NULL);
	g_io_stream_close(stream, NULL, NULL);
	g_object_unref(stream);
}

/* answers with the error shape straight on the connection, then closes it */
static void
cb_http_refuse_on_connection(SoupServerMessage *msg, guint status, const char *reason,
			     const char *extra_headers, const char *code, const char *message)
{
	g_autofree char *body = cb_http_error_body(code, message);
	GBytes *bytes;
	char *response;
	GIOStream *stream;

	response = g_strdup_printf("HTTP/1.1 %u %s\r\nServer: civic-bridge\r\n"
				   "Connection: close\r\nCache-Control: no-store\r\n%s"
				   "Content-Type: application/json\r\nContent-Length: %zu\r\n"
				   "\r\n%s",
				   status, reason, extra_headers, strlen(body), body);
	bytes = g_bytes_new_take(response, strlen(response));
	stream = soup_server_message_steal_connection(msg);
	g_output_stream_write_all_async(g_io_stream_get_output_stream(stream),
					g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes),
					G_PRIORITY_DEFAULT, NULL, cb_http_refuse_written_cb,
					stream);
	/* the bytes live as long as the write: tie them to the stream */
	g_object_set_data_full(G_OBJECT(stream), "cb-refusal", bytes,
			       (GDestroyNotify)g_bytes_unref);
}

/* refuses a request on its headers without reading its body */
static void
cb_http_refuse_early(SoupServerMessage *msg, guint status, const char *reason, CbErrorCode code,
		     const char *message)
{
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);

	if (soup_message_headers_get_expectations(headers) & SOUP_EXPECTATION_CONTINUE) {
		/* libsoup answers at once instead of 100 Continue */
		soup_message_headers_replace(soup_server_message_get_response_headers(msg),
					     "Connection", "close");
		cb_http_message_reply_error(msg, status, cb_error_code_name(code), message);
		return;
	}
	/* libsoup would read the whole body before answering: answer on the raw
	 * connection and close it instead */
	cb_http_refuse_on_connection(msg, status, reason, "", cb_error_code_name(code), message);
}

static void
cb_http_server_early_cb(SoupServer *soup, SoupServerMessage *msg, const char *path,
			GHashTable *query, gpointer user_data)
{
	CbHttpServer *self = user_data;
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	SoupEncoding encoding = soup_message_headers_get_encoding(headers);
	g_autofree char *message = NULL;

	if (g_str_equal(path, CB_WS_PATH) && cb_ws_hub_is_full(self->ws)) {
		soup_message_headers_replace(soup_server_message_get_response_headers(msg),
					     "Retry-After", "30");
		cb_http_message_reply_error(msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
					    cb_error_code_name(CB_ERROR_UNAVAILABLE),
					    "too many live connections; retry later");
		return;
	}
	if (cb_http_server_over_limit(msg)) {
		cb_http_refuse_on_connection(msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
					     "Service Unavailable", "Retry-After: 5\r\n",
					     cb_error_code_name(CB_ERROR_UNAVAILABLE),
					     "too many open connections; retry later");
		return;
	}
	if (encoding == SOUP_ENCODING_CHUNKED) {
		cb_http_refuse_early(msg, SOUP_STATUS_LENGTH_REQUIRED, "Length Required",
				     CB_ERROR_LENGTH_REQUIRED,
				     "chunked request bodies are not accepted; send "
				     "Content-Length");
		return;
	}
	if (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
	    (guint64)soup_message_headers_get_content_length(headers) >
		    self->config->max_body_bytes) {
		message = g_strdup_printf("the request body is larger than %" G_GUINT64_FORMAT
					  " bytes",
					  self->config->max_body_bytes);
		cb_http_refuse_early(msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
				     "Request Entity Too Large", CB_ERROR_TOO_LARGE, message);
	}
}

/* --- routing --------------------------------------------------------------- */

/* a last segment {name*} takes the rest of the path, slashes included
 * (the pages under /web/): matches when the rest unescapes to text */
static gboolean
cb_http_route_match_tail(const char *want, GStrv have, guint from, GHashTable *params)
{
	g_autofree char *rest = g_strjoinv("/", have + from);
	g_autofree char *value = g_uri_unescape_string(rest, NULL);

	if (value == NULL || !g_utf8_validate(value, -1, NULL))
		return FALSE;
	if (params != NULL)
		g_hash_table_insert(params, g_strndup(want + 1, strlen(want) - 3),
				    g_steal_pointer(&value));
	return TRUE;
}

/* one segment: a literal, or a {name} parameter that takes a non-empty one */
static gboolean
cb_http_route_match_segment(const char *want, const char *have, GHashTable *params)
{
	gsize len = strlen(want);

	if (len > 2 && want[0] == '{' && want[len - 1] == '}') {
		if (have[0] == '\0')
			return FALSE;
		if (params != NULL)
			g_hash_table_insert(params, g_strndup(want + 1, len - 2),
					    g_uri_unescape_string(have, NULL));
		return TRUE;
	}
	return g_str_equal(want, have);
}

/* matches @path against a pattern with {name} segments, filling @params */
static gboolean
cb_http_route_match(const char *pattern, const char *path, GHashTable *params)
{
	g_auto(GStrv) want = g_strsplit(pattern, "/", -1);
	g_auto(GStrv) have = g_strsplit(path, "/", -1);
	guint n = g_strv_length(want);
	gboolean tail = n > 0 && g_str_has_suffix(want[n - 1], "*}");

	if (tail ? g_strv_length(have) < n : g_strv_length(have) != n)
		return FALSE;
	for (guint i = 0; i < (tail ? n - 1 : n); i++) {
		if (!cb_http_route_match_segment(want[i], have[i], params))
			return FALSE;
	}
	return !tail || cb_http_route_match_tail(want[n - 1], have, n - 1, params);
}

/* finds the route; NULL with @allow listing the methods when only the method is wrong */
static const CbHttpRoute *
cb_http_server_find_route(const char *method, const char *path, GHashTable *params, GString *allow)
{
	gsize n_routes = 0;
	const CbHttpRoute *routes = cb_http_routes(&n_routes);

	for (gsize i = 0; i < n_routes; i++) {
		if (!cb_http_route_match(routes[i].path, path, NULL))
			continue;
		if (g_str_equal(routes[i].method, method)) {
			cb_http_route_match(routes[i].path, path, params);
			return &routes[i];
		}
		if (allow->len > 0)
			g_string_append(allow, ", ");
		g_string_append(allow, routes[i].method);
	}
	return NULL;
}

static gboolean
cb_http_server_authenticate(CbHttpServer *self, CbHttpRequest *request, const CbHttpRoute *route,
			    CbTokenRecord **caller, GError **error)
{
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(request->msg);
	g_autofree char *address = cb_http_client_address(request->msg, self->config);
	const char *bearer =
		cb_auth_bearer_from_header(soup_message_headers_get_one(headers, "Authorization"));
	guint retry_after = 0;
	g_autoptr(GError) local = NULL;

	if (!cb_failure_limiter_check(self->auth_failures, address, &retry_after)) {
		g_autofree char *value = g_strdup_printf("%u", retry_after);
		soup_message_headers_replace(soup_server_message_get_response_headers(request->msg),
					     "Retry-After", value);
		g_set_error(error, CB_ERROR, CB_ERROR_RATE_LIMITED,
			    "too many failed authentications from this address; retry in %u s",
			    retry_after);
		return FALSE;
	}
	*caller = cb_auth_resolve(self->store, self->clock, bearer, &local);
	if (*caller == NULL) {
		if (g_error_matches(local, CB_ERROR, CB_ERROR_UNAUTHENTICATED)) {
			if (bearer != NULL)
				cb_failure_limiter_record(self->auth_failures, address);
			soup_message_headers_replace(
				soup_server_message_get_response_headers(request->msg),
				"WWW-Authenticate",
				bearer != NULL ? "Bearer error=\"invalid_token\"" : "Bearer");
		}
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (!cb_role_mask_allows(route->roles, (*caller)->role)) {
		g_autofree char *allowed = cb_role_mask_describe(route->roles);
		g_set_error(error, CB_ERROR, CB_ERROR_FORBIDDEN,
			    "%s %s is for %s; this token is %s", route->method, route->path,
			    allowed, cb_role_to_string((*caller)->role));
		return FALSE;
	}
	return TRUE;
}

static gboolean
cb_http_server_read_body(CbHttpServer *self, CbHttpRequest *request, GError **error)
{
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(request->msg);
	const char *content_type = soup_message_headers_get_content_type(headers, NULL);
	SoupMessageBody *body = soup_server_message_get_request_body(request->msg);

	if (g_strcmp0(content_type, "application/json") != 0) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA_TYPE,
				    "the body must be sent as Content-Type: application/json");
		return FALSE;
	}
	/* the early handler refused larger declared bodies; this catches any other way in */
	if ((guint64)body->length > self->config->max_body_bytes) {
		g_set_error(error, CB_ERROR, CB_ERROR_TOO_LARGE,
			    "the request body is larger than %" G_GUINT64_FORMAT " bytes",
			    self->config->max_body_bytes);
		return FALSE;
	}
	request->body =
		cb_json_parse_object(body->data, body->length, self->config->max_json_depth, error);
	return request->body != NULL;
}

static void
cb_http_server_handle_cb(SoupServer *soup, SoupServerMessage *msg, const char *path,
			 GHashTable *query, gpointer user_data)
{
	CbHttpServer *self = user_data;
	const char *method = soup_server_message_get_method(msg);
	g_autoptr(GHashTable) params =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GString) allow = g_string_new(NULL);
	g_autoptr(CbTokenRecord) caller = NULL;
	g_autoptr(GError) error = NULL;
	const CbHttpRoute *route;
	CbHttpRequest request = {
		.msg = msg,
		.server = self,
		.params = params,
		.query = query,
		.actor = {.via = "api"},
	};

	route = cb_http_server_find_route(method, path, params, allow);
	if (route == NULL && allow->len > 0) {
		soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow",
					     allow->str);
		g_set_error(&error, CB_ERROR, CB_ERROR_METHOD_NOT_ALLOWED,
			    "%s is not allowed here; use %s", method, allow->str);
	} else if (route == NULL) {
		g_set_error(&error, CB_ERROR, CB_ERROR_NOT_FOUND, "no route %s", path);
	} else if (route->roles != CB_ROLES_NONE &&
		   !cb_http_server_authenticate(self, &request, route, &caller, &error)) {
		/* error set */
	} else if (route->json_body && !cb_http_server_read_body(self, &request, &error)) {
		/* error set */
	}
	if (error != NULL || route == NULL) {
		cb_http_reply_error(&request, error);
		return;
	}
	if (caller != NULL) {
		request.caller = caller;
		request.actor.token_id = caller->id;
		request.actor.role = caller->role;
	}
	route->handler(&request);
	g_clear_pointer(&request.body, json_object_unref);
}

/* --- public API ------------------------------------------------------------ */

CbHttpServer *
cb_http_server_new(CbStore *store, CbClock *clock, const CbConfig *config)
{
	CbHttpServer *self = g_object_new(CB_TYPE_HTTP_SERVER, NULL);

	self->store = g_object_ref(store);
	self->clock = g_object_ref(clock);
	self->services.store = store;
	self->services.clock = clock;
	self->config = cb_config_copy(config);
	self->auth_failures = cb_failure_limiter_new(
		clock, config->auth_failure_limit, config->auth_failure_window_seconds,
		config->auth_lockout_seconds, CB_HTTP_MAX_TRACKED_ADDRESSES);
	self->soup = soup_server_new("server-header", "civic-bridge", NULL);
	soup_server_add_early_handler(self->soup, NULL, cb_http_server_early_cb, self, NULL);
	self->ws = cb_ws_hub_new(store, clock, self->auth_failures, config);
	cb_ws_hub_attach(self->ws, self->soup);
	/* libsoup runs only the early handler of the most specific path: the
	 * WebSocket's path needs its own registration */
	soup_server_add_early_handler(self->soup, CB_WS_PATH, cb_http_server_early_cb, self, NULL);
	soup_server_add_handler(self->soup, NULL, cb_http_server_handle_cb, self, NULL);
	g_signal_connect_object(self->soup, "request-started",
				G_CALLBACK(cb_http_server_request_started_cb), self, 0);
	return self;
}

/* soup_server_listen() leaves GSocket's backlog of 10: a burst of clients
 * (every bridge point's page reconnecting at once) then loses handshakes
 * that the kernel retries only after a second. The socket is made here with
 * a backlog the kernel may trim to net.core.somaxconn. */
#define CB_HTTP_LISTEN_BACKLOG 1024

static gboolean
cb_http_server_listen_address(CbHttpServer *self, GSocketAddress *address, GError **error)
{
	g_autoptr(GSocket) socket =
		g_socket_new(g_socket_address_get_family(address), G_SOCKET_TYPE_STREAM,
			     G_SOCKET_PROTOCOL_TCP, error);

	if (socket == NULL)
		return FALSE;
	g_socket_set_listen_backlog(socket, CB_HTTP_LISTEN_BACKLOG);
	if (!g_socket_bind(socket, address, TRUE, error) || !g_socket_listen(socket, error))
		return FALSE;
	return soup_server_listen_socket(self->soup, socket, 0, error);
}

gboolean
cb_http_server_listen(CbHttpServer *self, const char *listen, GError **error)
{
	g_autofree char *host = NULL;
	guint16 port = 0;
	g_autoptr(GInetAddress) inet = NULL;
	g_autoptr(GSocketAddress) address = NULL;
	g_autoptr(GError) local = NULL;
	GSList *uris;

	if (!cb_config_parse_listen(listen, &host, &port, error))
		return FALSE;
	inet = g_inet_address_new_from_string(host);
	address = g_inet_socket_address_new(inet, port);
	if (!cb_http_server_listen_address(self, address, &local)) {
		g_set_error(error, CB_ERROR, CB_ERROR_UNAVAILABLE, "cannot listen on %s: %s",
			    listen, local->message);
		return FALSE;
	}
	uris = soup_server_get_uris(self->soup);
	if (uris != NULL) {
		GUri *uri = uris->data;
		g_free(self->url);
		self->url = g_strdup_printf(g_inet_address_get_family(inet) == G_SOCKET_FAMILY_IPV6
						    ? "http://[%s]:%d"
						    : "http://%s:%d",
					    host, g_uri_get_port(uri));
	}
	g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
	return TRUE;
}

const char *
cb_http_server_get_url(CbHttpServer *self)
{
	return self->url;
}

void
cb_http_server_reconfigure(CbHttpServer *self, const CbConfig *config)
{
	g_autoptr(CbConfig) old = self->config;

	self->config = cb_config_copy(config);
	/* what needs a restart keeps its running value */
	g_free(self->config->listen);
	self->config->listen = g_strdup(old->listen);
	cb_ws_hub_reconfigure(self->ws, self->config);
	cb_failure_limiter_configure(self->auth_failures, config->auth_failure_limit,
				     config->auth_failure_window_seconds,
				     config->auth_lockout_seconds);
}

void
cb_http_server_disconnect(CbHttpServer *self)
{
	cb_ws_hub_close_all(self->ws);
	soup_server_disconnect(self->soup);
}

CbWsHub *
cb_http_server_get_ws_hub(CbHttpServer *self)
{
	return self->ws;
}

void
cb_http_server_set_services(CbHttpServer *self, const CbServices *services)
{
	self->services = *services;
	/* store and clock stay the ones the server holds references to */
	self->services.store = self->store;
	self->services.clock = self->clock;
}

const CbServices *
cb_http_server_get_services(CbHttpServer *self)
{
	return &self->services;
}

guint64
cb_http_server_get_answered(CbHttpServer *self, guint status_class)
{
	return status_class < G_N_ELEMENTS(self->answered) ? self->answered[status_class] : 0;
}

CbStore *
cb_http_server_get_store(CbHttpServer *self)
{
	return self->store;
}

CbClock *
cb_http_server_get_clock(CbHttpServer *self)
{
	return self->clock;
}

const CbConfig *
cb_http_server_get_config(CbHttpServer *self)
{
	return self->config;
}

guint
cb_http_server_get_n_connections(CbHttpServer *self)
{
	return *self->n_connections;
}
