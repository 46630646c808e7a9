/* civic-bridge: the HTTP front: SoupServer, limits, authentication, routes */
#pragma once

#include <libsoup/soup.h>

#include "civic-bridge/cb-config.h"
#include "civic-bridge/cb-services.h"
#include "civic-bridge/cb-store.h"

G_BEGIN_DECLS

#define CB_TYPE_HTTP_SERVER (cb_http_server_get_type())
G_DECLARE_FINAL_TYPE(CbHttpServer, cb_http_server, CB, HTTP_SERVER, GObject)

CbHttpServer *cb_http_server_new(CbStore *store, CbClock *clock, const CbConfig *config);

/* binds the address of "ADDR:PORT"; port 0 picks a free one */
gboolean cb_http_server_listen(CbHttpServer *self, const char *listen, GError **error);

/* the base URL actually listened on, e.g. "http://127.0.0.1:8080" */
const char *cb_http_server_get_url(CbHttpServer *self);

/* takes the limits that can change while running */
void cb_http_server_reconfigure(CbHttpServer *self, const CbConfig *config);

void cb_http_server_disconnect(CbHttpServer *self);

/* the WebSocket clients, for the events pushed to them */
typedef struct _CbWsHub CbWsHub;
CbWsHub *cb_http_server_get_ws_hub(CbHttpServer *self);

/* the domain objects for the routes; the members are borrowed, and must
 * outlive the server */
void cb_http_server_set_services(CbHttpServer *self, const CbServices *services);
const CbServices *cb_http_server_get_services(CbHttpServer *self);

/* requests answered so far with a status of @status_class (1 for 1xx to 5
 * for 5xx), for /metrics */
guint64 cb_http_server_get_answered(CbHttpServer *self, guint status_class);

CbStore *cb_http_server_get_store(CbHttpServer *self);
CbClock *cb_http_server_get_clock(CbHttpServer *self);
const CbConfig *cb_http_server_get_config(CbHttpServer *self);

G_END_DECLS
