/* civic-bridge: the WebSocket /api/v1/ws: authenticated clients and what is pushed to them */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "civic-bridge/cb-config.h"
#include "civic-bridge/cb-failure-limiter.h"
#include "civic-bridge/cb-store.h"

G_BEGIN_DECLS

#define CB_WS_PATH "/api/v1/ws"

/* close codes beyond RFC 6455's own, in the range for applications */
#define CB_WS_CLOSE_UNAUTHENTICATED 4401
#define CB_WS_CLOSE_RATE_LIMITED    4429
/* RFC 6455 registry: try again later */
#define CB_WS_CLOSE_TRY_AGAIN_LATER 1013

#define CB_TYPE_WS_HUB (cb_ws_hub_get_type())
G_DECLARE_FINAL_TYPE(CbWsHub, cb_ws_hub, CB, WS_HUB, GObject)

/* what an event renderer knows of one authenticated client */
typedef struct {
	CbRole role;
	gint64 token_id;
	gint64 bridge_point_id; /* operators */
	gint64 ticket_id;       /* citizens */
	gint64 session_id;      /* the session it subscribed to; 0: none */
} CbWsPeer;

/* the message for @peer, or NULL to send it nothing */
typedef JsonNode *(*CbWsRenderFunc)(const CbWsPeer *peer, gpointer user_data);

CbWsHub *cb_ws_hub_new(CbStore *store, CbClock *clock, CbFailureLimiter *auth_failures,
		       const CbConfig *config);

/* takes /api/v1/ws on @soup, with permessage-deflate off: the size limit is
 * checked on frames, and compressed frames would slip past it */
void cb_ws_hub_attach(CbWsHub *self, SoupServer *soup);

void cb_ws_hub_reconfigure(CbWsHub *self, const CbConfig *config);

/* connected clients, authenticated or not */
guint cb_ws_hub_get_count(CbWsHub *self);
gboolean cb_ws_hub_is_full(CbWsHub *self);

/* what a client is sent when it authenticates and when it subscribes: the
 * current state, so a page never waits for the next change to show it */
void cb_ws_hub_set_greeter(CbWsHub *self, CbWsRenderFunc greet, gpointer user_data);

/* a handler of the message types the hub does not know itself (media
 * signalling: join, offer, candidate, leave). It returns FALSE with @error
 * for a message it refuses; the client then gets the error and stays.
 * @client_id identifies the connection for cb_ws_hub_send() while it lasts. */
typedef gboolean (*CbWsMessageFunc)(const CbWsPeer *peer, guint client_id, const char *type,
				    JsonObject *message, gpointer user_data, GError **error);
void cb_ws_hub_add_message_handler(CbWsHub *self, const char *type, CbWsMessageFunc handler,
				   gpointer user_data);

/* called when an authenticated connection closes (to release its media) */
typedef void (*CbWsClosedFunc)(const CbWsPeer *peer, guint client_id, gpointer user_data);
void cb_ws_hub_set_closed_handler(CbWsHub *self, CbWsClosedFunc handler, gpointer user_data);

/* sends @node to one connection; FALSE when it is gone */
gboolean cb_ws_hub_send(CbWsHub *self, guint client_id, JsonNode *node);

/* whether a client holding @ticket_id's token is connected (for staff) */
gboolean cb_ws_hub_ticket_connected(CbWsHub *self, gint64 ticket_id);

/* renders and sends a message to every authenticated client */
void cb_ws_hub_publish(CbWsHub *self, CbWsRenderFunc render, gpointer user_data);

/* closes every connection (on shutdown) */
void cb_ws_hub_close_all(CbWsHub *self);

G_END_DECLS
