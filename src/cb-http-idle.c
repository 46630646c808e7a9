#define G_LOG_DOMAIN "CbHttp"

/* libsoup 3.2 has no header or idle timeout, and it never lets go of a
 * kept-alive connection that the client closes between two requests: the
 * message waiting for the next request has no completion callback, so the
 * connection stays in the server's list with its descriptor open (fixed in
 * libsoup 3.3). A daemon in service would run out of descriptors.
 *
 * Each connection's socket carries one watch (object data, so it dies with
 * the socket):
 * - while a request is being read: a deadline that shuts the socket down;
 *   libsoup then ends that message and drops the connection itself;
 * - between requests: a deadline, and a readability watch that sees the
 *   client leave. Either one takes the connection back from libsoup through
 *   the answered message (soup_server_message_steal_connection(), which also
 *   frees libsoup's side of it) and closes it. The readability watch runs at
 *   a higher priority than libsoup's own, so it sees the end of the stream
 *   before libsoup's reader does; on data it steps aside and libsoup reads
 *   the next request. */

#include "config.h"

#include <errno.h>
#include <sys/socket.h>

#include "cb-http-idle.h"

#define CB_HTTP_IDLE_WATCH "cb-idle-watch"

typedef struct {
	GSocket *socket; /* not referenced: the watch dies with it */
	GSource *deadline;
	GSource *readable;           /* between requests only */
	SoupServerMessage *answered; /* between requests only */
	gulong disconnected_id;
} CbHttpIdleWatch;

static void
cb_http_idle_watch_free(gpointer data)
{
	CbHttpIdleWatch *watch = data;

	if (watch->deadline != NULL) {
		g_source_destroy(watch->deadline);
		g_source_unref(watch->deadline);
	}
	if (watch->readable != NULL) {
		g_source_destroy(watch->readable);
		g_source_unref(watch->readable);
	}
	if (watch->answered != NULL) {
		g_clear_signal_handler(&watch->disconnected_id, watch->answered);
		g_object_unref(watch->answered);
	}
	g_free(watch);
}

static CbHttpIdleWatch *
cb_http_idle_watch_new(SoupServerMessage *msg)
{
	GSocket *socket = soup_server_message_get_socket(msg);
	CbHttpIdleWatch *watch;

	if (socket == NULL)
		return NULL;
	watch = g_new0(CbHttpIdleWatch, 1);
	watch->socket = socket;
	/* replacing the socket's data frees the watch it had */
	g_object_set_data_full(G_OBJECT(socket), CB_HTTP_IDLE_WATCH, watch,
			       cb_http_idle_watch_free);
	return watch;
}

static void
cb_http_idle_watch_remove(CbHttpIdleWatch *watch)
{
	g_object_set_data(G_OBJECT(watch->socket), CB_HTTP_IDLE_WATCH, NULL);
}

static GSource *
cb_http_idle_deadline_new(guint seconds, GSourceFunc callback, CbHttpIdleWatch *watch)
{
	GSource *deadline = g_timeout_source_new_seconds(seconds);

	g_source_set_callback(deadline, callback, watch, NULL);
	g_source_attach(deadline, g_main_context_get_thread_default());
	return deadline;
}

/* --- while a request is being read ----------------------------------------- */

static gboolean
cb_http_idle_request_late_cb(gpointer user_data)
{
	CbHttpIdleWatch *watch = user_data;

	g_debug("closing a connection that sent no complete request in time");
	g_socket_shutdown(watch->socket, TRUE, TRUE, NULL);
	cb_http_idle_watch_remove(watch);
	return G_SOURCE_REMOVE;
}

void
cb_http_idle_watch_request(SoupServerMessage *msg, guint seconds)
{
	CbHttpIdleWatch *watch = cb_http_idle_watch_new(msg);

	if (watch != NULL)
		watch->deadline =
			cb_http_idle_deadline_new(seconds, cb_http_idle_request_late_cb, watch);
}

void
cb_http_idle_disarm(SoupServerMessage *msg)
{
	GSocket *socket = soup_server_message_get_socket(msg);

	if (socket != NULL)
		g_object_set_data(G_OBJECT(socket), CB_HTTP_IDLE_WATCH, NULL);
}

/* --- between requests on a kept-alive connection --------------------------- */

static void
cb_http_idle_close(CbHttpIdleWatch *watch, const char *why)
{
	g_autoptr(SoupServerMessage) answered = g_object_ref(watch->answered);
	g_autoptr(GIOStream) stream = NULL;

	g_debug("closing a kept-alive connection: %s", why);
	/* the watch goes first: stealing emits "disconnected" on the message */
	cb_http_idle_watch_remove(watch);
	stream = soup_server_message_steal_connection(answered);
	if (stream != NULL)
		g_io_stream_close(stream, NULL, NULL);
}

static gboolean
cb_http_idle_between_late_cb(gpointer user_data)
{
	cb_http_idle_close(user_data, "idle too long");
	return G_SOURCE_REMOVE;
}

static gboolean
cb_http_idle_readable_cb(GSocket *socket, GIOCondition condition, gpointer user_data)
{
	CbHttpIdleWatch *watch = user_data;
	char byte;
	gssize n;

	n = recv(g_socket_get_fd(socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n > 0) {
		/* the next request: libsoup reads it, and its request-started
		 * replaces this watch with a request deadline */
		g_source_unref(g_steal_pointer(&watch->readable));
		return G_SOURCE_REMOVE;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return G_SOURCE_CONTINUE;
	cb_http_idle_close(watch, n == 0 ? "the client closed it" : "the client reset it");
	return G_SOURCE_REMOVE;
}

static void
cb_http_idle_disconnected_cb(SoupServerMessage *msg, gpointer user_data)
{
	CbHttpIdleWatch *watch = user_data;

	/* libsoup closed it (not kept alive after all, or the server stops) */
	cb_http_idle_watch_remove(watch);
}

void
cb_http_idle_watch_between_requests(SoupServerMessage *msg, guint seconds)
{
	CbHttpIdleWatch *watch = cb_http_idle_watch_new(msg);

	if (watch == NULL)
		return;
	watch->answered = g_object_ref(msg);
	watch->disconnected_id = g_signal_connect(msg, "disconnected",
						  G_CALLBACK(cb_http_idle_disconnected_cb), watch);
	watch->deadline = cb_http_idle_deadline_new(seconds, cb_http_idle_between_late_cb, watch);
	watch->readable =
		g_socket_create_source(watch->socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
	g_source_set_priority(watch->readable, G_PRIORITY_HIGH);
	g_source_set_callback(watch->readable, G_SOURCE_FUNC(cb_http_idle_readable_cb), watch,
			      NULL);
	g_source_attach(watch->readable, g_main_context_get_thread_default());
}
