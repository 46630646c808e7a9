/* the limits a client cannot push past: body size, chunking, nesting,
 * authentication failures, idle and slow connections */
#include <sys/socket.h>

#include <libsoup/soup.h>

#include "cb-test-daemon.h"

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

static GSocketConnection *
connect_raw(CbTestDaemon *d)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GError) error = NULL;
	GSocketConnection *connection;

	connection = g_socket_client_connect_to_uri(client, d->url, 80, NULL, &error);
	g_assert_no_error(error);
	g_socket_set_timeout(g_socket_connection_get_socket(connection), 5);
	return connection;
}

static void
send_text(GSocketConnection *connection, const char *text)
{
	g_autoptr(GError) error = NULL;

	g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(connection)), text,
				  strlen(text), NULL, NULL, &error);
	g_assert_no_error(error);
}

/* reads until the peer closes or 5 s pass; returns what came */
static char *
read_all(GSocketConnection *connection, gboolean *closed)
{
	GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(connection));
	GString *got = g_string_new(NULL);

	*closed = FALSE;
	for (;;) {
		char buffer[1024];
		g_autoptr(GError) error = NULL;
		gssize n = g_input_stream_read(in, buffer, sizeof(buffer), NULL, &error);
		if (n == 0 || g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
		    g_error_matches(error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE)) {
			*closed = TRUE;
			break;
		}
		if (n < 0)
			break; /* timed out */
		g_string_append_len(got, buffer, n);
	}
	return g_string_free(got, FALSE);
}

/* 413 comes back on the headers alone: the client never sends the body */
static void
test_oversized_body_refused_before_sent(void)
{
	g_autoptr(CbTestDaemon) d = start_with("[limits]\nmax-body-bytes=4096\n");
	const char *expects[] = {"", "Expect: 100-continue\r\n"};

	for (gsize i = 0; i < G_N_ELEMENTS(expects); i++) {
		g_autoptr(GSocketConnection) connection = connect_raw(d);
		g_autofree char *request = g_strdup_printf(
			"POST /api/v1/bridge-points HTTP/1.1\r\nHost: test\r\n"
			"Authorization: Bearer %s\r\nContent-Type: application/json\r\n%s"
			"Content-Length: 50000000\r\n\r\n",
			d->admin_token, expects[i]);
		g_autofree char *answer = NULL;
		gboolean closed = FALSE;

		send_text(connection, request);
		answer = read_all(connection, &closed);
		g_assert_true(g_str_has_prefix(answer, "HTTP/1.1 413"));
		g_assert_nonnull(strstr(answer, "\"too_large\""));
		g_assert_nonnull(strstr(answer, "larger than 4096 bytes"));
		g_assert_true(closed);
	}
	/* a body within the limit still goes through */
	g_assert_cmpuint(cb_test_http(d, "POST", "/api/v1/bridge-points", d->admin_token,
				      "{\"code\":\"ok\",\"name\":\"fits\"}", NULL),
			 ==, 201);
}

static void
test_chunked_body_refused(void)
{
	g_autoptr(CbTestDaemon) d = start_with("");
	g_autoptr(GSocketConnection) connection = connect_raw(d);
	g_autofree char *request =
		g_strdup_printf("POST /api/v1/bridge-points HTTP/1.1\r\nHost: test\r\n"
				"Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
				"Transfer-Encoding: chunked\r\n\r\n",
				d->admin_token);
	g_autofree char *answer = NULL;
	gboolean closed = FALSE;

	send_text(connection, request);
	/* no chunk is ever sent: the answer must not wait for one */
	answer = read_all(connection, &closed);
	g_assert_true(g_str_has_prefix(answer, "HTTP/1.1 411"));
	g_assert_nonnull(strstr(answer, "\"length_required\""));
}

/* json-glib would overflow its stack: the depth check answers first */
static void
test_deep_nesting_refused_and_daemon_lives(void)
{
	g_autoptr(CbTestDaemon) d = start_with("");
	gsize n = 100000;
	g_autofree char *body = g_malloc(n + 1);
	g_autoptr(JsonNode) answer = NULL;
	JsonObject *error;

	memset(body, '[', n);
	body[n] = '\0';
	g_assert_cmpuint(
		cb_test_http(d, "POST", "/api/v1/bridge-points", d->admin_token, body, &answer), ==,
		400);
	error = json_object_get_object_member(json_node_get_object(answer), "error");
	g_assert_cmpstr(json_object_get_string_member(error, "code"), ==, "invalid_request");
	g_assert_nonnull(strstr(json_object_get_string_member(error, "message"), "deeper"));
	/* the same process still answers */
	g_assert_cmpuint(cb_test_http(d, "GET", "/healthz", NULL, NULL, NULL), ==, 200);
	g_assert_nonnull(g_subprocess_get_identifier(d->process));
}

static void
test_repeated_bad_tokens_get_429(void)
{
	g_autoptr(CbTestDaemon) d =
		start_with("[limits]\nauth-failure-limit=5\nauth-lockout-seconds=120\n");
	g_autoptr(SoupSession) session = soup_session_new();
	g_autofree char *uri = g_strconcat(d->url, "/api/v1/me", NULL);
	const char *wrong = "cbt_0000000000000000000000000000000000000000000";

	/* requests without any token are not guesses and do not count */
	for (int i = 0; i < 10; i++)
		g_assert_cmpuint(cb_test_http(d, "GET", "/api/v1/me", NULL, NULL, NULL), ==, 401);
	for (int i = 0; i < 5; i++)
		g_assert_cmpuint(cb_test_http(d, "GET", "/api/v1/me", wrong, NULL, NULL), ==, 401);
	{
		g_autoptr(SoupMessage) msg = soup_message_new("GET", uri);
		g_autofree char *auth = g_strconcat("Bearer ", wrong, NULL);
		g_autoptr(GBytes) body = NULL;
		const char *retry;
		guint64 seconds = 0;

		soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization",
					     auth);
		body = soup_session_send_and_read(session, msg, NULL, NULL);
		g_assert_cmpuint(soup_message_get_status(msg), ==, 429);
		retry = soup_message_headers_get_one(soup_message_get_response_headers(msg),
						     "Retry-After");
		g_assert_nonnull(retry);
		g_assert_true(g_ascii_string_to_unsigned(retry, 10, 1, 120, &seconds, NULL));
		g_assert_nonnull(strstr(g_bytes_get_data(body, NULL), "rate_limited"));
	}
	/* while locked out, even a good token from this address waits */
	g_assert_cmpuint(cb_test_http(d, "GET", "/api/v1/me", d->admin_token, NULL, NULL), ==, 429);
	/* public probes are not behind authentication */
	g_assert_cmpuint(cb_test_http(d, "GET", "/healthz", NULL, NULL, NULL), ==, 200);
}

static void
test_idle_and_slow_connections_closed(void)
{
	g_autoptr(CbTestDaemon) d = start_with("[limits]\nidle-timeout-seconds=1\n");
	g_autoptr(GSocketConnection) idle = connect_raw(d);
	g_autoptr(GSocketConnection) slow = connect_raw(d);
	g_autoptr(GSocketConnection) kept = NULL;
	g_autofree char *idle_answer = NULL;
	g_autofree char *slow_answer = NULL;
	g_autofree char *kept_answer = NULL;
	gboolean closed = FALSE;
	gint64 start = g_get_monotonic_time();

	/* nothing at all */
	idle_answer = read_all(idle, &closed);
	g_assert_true(closed);
	g_assert_cmpstr(idle_answer, ==, "");
	g_assert_cmpint(g_get_monotonic_time() - start, <, 4 * G_TIME_SPAN_SECOND);

	/* headers that never end */
	send_text(slow, "GET /healthz HTTP/1.1\r\nHost: test\r\n");
	slow_answer = read_all(slow, &closed);
	g_assert_true(closed);
	g_assert_cmpstr(slow_answer, ==, "");

	/* a connection that asks in time is served, then closed when idle */
	kept = connect_raw(d);
	send_text(kept, "GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n");
	kept_answer = read_all(kept, &closed);
	g_assert_true(g_str_has_prefix(kept_answer, "HTTP/1.1 200"));
	g_assert_true(closed);
	g_assert_cmpuint(cb_test_http(d, "GET", "/healthz", NULL, NULL, NULL), ==, 200);
}

/* GET /api/v1/me with @token and X-Forwarded-For @forwarded (NULL: none) */
static guint
me_via(CbTestDaemon *d, const char *token, const char *forwarded)
{
	g_autoptr(SoupSession) session = soup_session_new();
	g_autofree char *uri = g_strconcat(d->url, "/api/v1/me", NULL);
	g_autoptr(SoupMessage) msg = soup_message_new("GET", uri);
	g_autofree char *auth = g_strconcat("Bearer ", token, NULL);
	g_autoptr(GBytes) body = NULL;
	SoupMessageHeaders *headers = soup_message_get_request_headers(msg);

	soup_message_headers_replace(headers, "Authorization", auth);
	if (forwarded != NULL)
		soup_message_headers_replace(headers, "X-Forwarded-For", forwarded);
	body = soup_session_send_and_read(session, msg, NULL, NULL);
	return soup_message_get_status(msg);
}

static const char *wrong_token = "cbt_0000000000000000000000000000000000000000000";

/* behind a trusted proxy the lockout follows the client in X-Forwarded-For */
static void
test_forwarded_for_from_trusted_proxy(void)
{
	g_autoptr(CbTestDaemon) d =
		start_with("[server]\ntrusted-proxies=10.9.9.9, 127.0.0.1\n"
			   "[limits]\nauth-failure-limit=3\nauth-lockout-seconds=120\n");

	for (int i = 0; i < 3; i++)
		g_assert_cmpuint(me_via(d, wrong_token, "203.0.113.5"), ==, 401);
	g_assert_cmpuint(me_via(d, d->admin_token, "203.0.113.5"), ==, 429);
	/* a client the proxy names is the rightmost untrusted hop: what a
	 * client writes in front of it is not believed */
	g_assert_cmpuint(me_via(d, d->admin_token, "203.0.113.6, 203.0.113.5"), ==, 429);
	g_assert_cmpuint(me_via(d, d->admin_token, "203.0.113.5, 203.0.113.6"), ==, 200);
	/* trusted hops are skipped */
	g_assert_cmpuint(me_via(d, d->admin_token, "203.0.113.5, 10.9.9.9"), ==, 429);
	/* other clients behind the same proxy, and the proxy itself, go on */
	g_assert_cmpuint(me_via(d, d->admin_token, "2001:db8::7"), ==, 200);
	g_assert_cmpuint(me_via(d, d->admin_token, NULL), ==, 200);
	/* garbage is not an address: the request counts as the proxy's */
	g_assert_cmpuint(me_via(d, d->admin_token, "not-an-address"), ==, 200);
}

/* without trusted proxies X-Forwarded-For is ignored: a client cannot
 * escape its lockout by naming another address */
static void
test_forwarded_for_ignored_by_default(void)
{
	g_autoptr(CbTestDaemon) d =
		start_with("[limits]\nauth-failure-limit=3\nauth-lockout-seconds=120\n");

	for (int i = 0; i < 3; i++) {
		g_autofree char *hop = g_strdup_printf("203.0.113.%d", i);
		g_assert_cmpuint(me_via(d, wrong_token, hop), ==, 401);
	}
	g_assert_cmpuint(me_via(d, d->admin_token, "198.51.100.1"), ==, 429);
	g_assert_cmpuint(me_via(d, d->admin_token, NULL), ==, 429);
}

/* --- descriptors come back ---------------------------------------------- */

static guint
count_daemon_fds(CbTestDaemon *d)
{
	g_autofree char *path =
		g_strdup_printf("/proc/%s/fd", g_subprocess_get_identifier(d->process));
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	guint n = 0;

	g_assert_nonnull(dir);
	while (g_dir_read_name(dir) != NULL)
		n++;
	return n;
}

/* waits up to 5 s for the daemon to hold at most @limit descriptors */
static guint
wait_for_fds_at_most(CbTestDaemon *d, guint limit)
{
	guint n = count_daemon_fds(d);

	for (guint i = 0; i < 100 && n > limit; i++) {
		g_usleep(50 * 1000);
		n = count_daemon_fds(d);
	}
	return n;
}

/* reads exactly one answer to GET /healthz (headers and Content-Length body) */
static void
read_one_answer(GSocketConnection *connection)
{
	GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(connection));
	GString *got = g_string_new(NULL);
	g_autofree char *text = NULL;
	const char *end = NULL;
	const char *length = NULL;

	for (;;) {
		char byte;
		g_autoptr(GError) error = NULL;
		gssize n = g_input_stream_read(in, &byte, 1, NULL, &error);

		g_assert_no_error(error);
		g_assert_cmpint(n, ==, 1);
		g_string_append_c(got, byte);
		end = strstr(got->str, "\r\n\r\n");
		length = strstr(got->str, "Content-Length: ");
		if (end != NULL && length != NULL &&
		    got->len ==
			    (gsize)(end + 4 - got->str) + g_ascii_strtoull(length + 16, NULL, 10))
			break;
	}
	text = g_string_free(got, FALSE);
	g_assert_true(g_str_has_prefix(text, "HTTP/1.1 200"));
	g_assert_null(strstr(text, "Connection: close"));
}

static void
send_requests_and_leave(CbTestDaemon *d, guint requests, gboolean reset)
{
	g_autoptr(GSocketConnection) connection = connect_raw(d);
	GSocket *socket = g_socket_connection_get_socket(connection);

	for (guint i = 0; i < requests; i++) {
		send_text(connection, "GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n");
		read_one_answer(connection);
	}
	if (reset) {
		/* SO_LINGER with no time: the close sends RST instead of FIN */
		struct linger linger = {.l_onoff = 1, .l_linger = 0};
		g_assert_cmpint(setsockopt(g_socket_get_fd(socket), SOL_SOCKET, SO_LINGER, &linger,
					   sizeof(linger)),
				==, 0);
	}
	g_io_stream_close(G_IO_STREAM(connection), NULL, NULL);
}

/* a client that closes a kept-alive connection between two requests gets
 * its descriptor back in the daemon at once, without waiting for the idle
 * timeout (libsoup 3.2 alone keeps it forever) */
static void
test_kept_alive_connections_give_back_descriptors(void)
{
	/* an idle timeout longer than the test: only the client's close counts */
	g_autoptr(CbTestDaemon) d = start_with("[limits]\nidle-timeout-seconds=600\n");
	guint before;

	send_requests_and_leave(d, 1, FALSE);
	before = wait_for_fds_at_most(d, 0);
	for (guint i = 0; i < 40; i++)
		send_requests_and_leave(d, 1 + i % 3, i % 4 == 3);
	g_assert_cmpuint(wait_for_fds_at_most(d, before), <=, before);
	/* and the daemon still answers on the same port */
	g_assert_cmpuint(cb_test_http(d, "GET", "/healthz", NULL, NULL, NULL), ==, 200);
}

/* a kept-alive connection the client leaves open is closed by the idle
 * timeout, and its descriptor comes back too */
static void
test_idle_kept_alive_connection_closed_and_released(void)
{
	g_autoptr(CbTestDaemon) d = start_with("[limits]\nidle-timeout-seconds=1\n");
	g_autoptr(GSocketConnection) connection = NULL;
	g_autofree char *rest = NULL;
	gboolean closed = FALSE;
	guint before;

	send_requests_and_leave(d, 1, FALSE);
	before = wait_for_fds_at_most(d, 0);
	connection = connect_raw(d);
	send_text(connection, "GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n");
	read_one_answer(connection);
	g_assert_cmpuint(count_daemon_fds(d), ==, before + 1);
	rest = read_all(connection, &closed);
	g_assert_true(closed);
	g_assert_cmpstr(rest, ==, "");
	g_assert_cmpuint(wait_for_fds_at_most(d, before), <=, before);
}

/* past [limits] max-http-connections a request gets 503 with Retry-After and
 * its connection is closed; a WebSocket does not count; a freed place serves */
static void
test_connection_limit(void)
{
	g_autoptr(CbTestDaemon) d = start_with("[limits]\nmax-http-connections=2\n");
	g_autoptr(GSocketConnection) first = connect_raw(d);
	g_autoptr(GSocketConnection) second = connect_raw(d);
	g_autoptr(GSocketConnection) third = NULL;
	g_autofree char *refused = NULL;
	gboolean closed = FALSE;

	/* both held open, kept alive after an answer */
	send_text(first, "GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n");
	read_one_answer(first);
	send_text(second, "GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n");
	read_one_answer(second);

	third = connect_raw(d);
	send_text(third, "GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n");
	refused = read_all(third, &closed);
	g_assert_true(closed);
	g_assert_true(g_str_has_prefix(refused, "HTTP/1.1 503"));
	g_assert_nonnull(strstr(refused, "Retry-After: 5\r\n"));
	g_assert_nonnull(strstr(refused, "\"unavailable\""));

	/* the two held connections are still served */
	send_text(first, "GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n");
	read_one_answer(first);

	/* one leaves: its place serves a new client */
	g_io_stream_close(G_IO_STREAM(second), NULL, NULL);
	for (guint i = 0; i < 100; i++) {
		if (cb_test_http(d, "GET", "/healthz", NULL, NULL, NULL) == 200)
			return;
		g_usleep(50 * 1000);
	}
	g_assert_not_reached();
}

/* a burst of clients is not cut down to GSocket's default backlog of 10 */
static void
test_listen_backlog_takes_a_burst(void)
{
	g_autoptr(CbTestDaemon) d = start_with("");
	const char *port = strrchr(d->url, ':') + 1;
	g_autofree char *filter = g_strdup_printf("sport = :%s", port);
	g_autofree char *out = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) fields = NULL;
	const char *argv[] = {"ss", "-Hltn", filter, NULL};
	guint64 backlog = 0;
	int status = 0;

	g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
		     NULL, NULL, &out, NULL, &status, &error);
	g_assert_no_error(error);
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	/* State Recv-Q Send-Q Local Peer: for a listener Send-Q is the backlog */
	fields = g_strsplit_set(g_strstrip(out), " \t", -1);
	{
		guint n = 0;
		for (guint i = 0; fields[i] != NULL; i++) {
			if (fields[i][0] == '\0')
				continue;
			if (++n == 3)
				g_assert_true(g_ascii_string_to_unsigned(
					fields[i], 10, 0, G_MAXUINT32, &backlog, NULL));
		}
	}
	g_assert_cmpuint(backlog, >=, 128);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/civic-bridge/limits/oversized-body-refused-before-sent",
			test_oversized_body_refused_before_sent);
	g_test_add_func("/civic-bridge/limits/chunked-body-refused", test_chunked_body_refused);
	g_test_add_func("/civic-bridge/limits/deep-nesting-refused-and-daemon-lives",
			test_deep_nesting_refused_and_daemon_lives);
	g_test_add_func("/civic-bridge/limits/repeated-bad-tokens-get-429",
			test_repeated_bad_tokens_get_429);
	g_test_add_func("/civic-bridge/limits/forwarded-for-from-trusted-proxy",
			test_forwarded_for_from_trusted_proxy);
	g_test_add_func("/civic-bridge/limits/forwarded-for-ignored-by-default",
			test_forwarded_for_ignored_by_default);
	g_test_add_func("/civic-bridge/limits/idle-and-slow-connections-closed",
			test_idle_and_slow_connections_closed);
	g_test_add_func("/civic-bridge/limits/kept-alive-connections-give-back-descriptors",
			test_kept_alive_connections_give_back_descriptors);
	g_test_add_func("/civic-bridge/limits/idle-kept-alive-connection-closed-and-released",
			test_idle_kept_alive_connection_closed_and_released);
	g_test_add_func("/civic-bridge/limits/connection-limit", test_connection_limit);
	g_test_add_func("/civic-bridge/limits/listen-backlog-takes-a-burst",
			test_listen_backlog_takes_a_burst);
	return g_test_run();
}
