/* civic-bridge tests: a WebSocket client of the real daemon */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "cb-test-daemon.h"

G_BEGIN_DECLS

typedef struct {
	SoupSession *session;
	SoupWebsocketConnection *conn;
	GQueue messages; /* char *, text received */
	gboolean closed;
	GError *error;
	gboolean done;
} WsClient;

/* iterates the default context until @cond holds or 5 s pass */
#define WAIT_FOR(cond)                                                                             \
	G_STMT_START                                                                               \
	{                                                                                          \
		gint64 deadline_ = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;                \
		while (!(cond) && g_get_monotonic_time() < deadline_) {                            \
			if (!g_main_context_iteration(NULL, FALSE))                                \
				g_usleep(1000);                                                    \
		}                                                                                  \
	}                                                                                          \
	G_STMT_END

/* connects to /api/v1/ws; @bearer and @extensions go into the upgrade's headers */
WsClient *ws_connect(CbTestDaemon *d, const char *bearer, const char *extensions);
void ws_client_free(WsClient *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WsClient, ws_client_free)

/* the next message, parsed; fails the test after 5 s */
JsonObject *ws_next(WsClient *c);

/* the next message of @type, skipping others; fails the test after 5 s */
JsonObject *ws_next_of_type(WsClient *c, const char *type);

void ws_send(WsClient *c, const char *text);

G_END_DECLS
