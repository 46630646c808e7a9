/* civic-bridge: what a route handler sees, and how it answers */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "civic-bridge/cb-http-server.h"
#include "civic-bridge/cb-records.h"

G_BEGIN_DECLS

typedef struct {
	SoupServerMessage *msg;
	CbHttpServer *server;
	const CbTokenRecord *caller; /* NULL on public routes */
	CbActor actor;
	GHashTable *params; /* path parameters: "id" -> "4" */
	GHashTable *query;  /* may be NULL */
	JsonObject *body;   /* routes with a JSON body only */
} CbHttpRequest;

typedef void (*CbHttpHandler)(CbHttpRequest *request);

typedef struct {
	const char *method;
	const char *path; /* "/api/v1/bridge-points/{id}" */
	guint roles;      /* CB_ROLES_NONE: public */
	gboolean json_body;
	CbHttpHandler handler;
} CbHttpRoute;

/* every route the daemon serves, for the dispatcher and the OpenAPI test */
const CbHttpRoute *cb_http_routes(gsize *n_routes);

/* answers with @node (taken) as the JSON body */
void cb_http_reply_json(CbHttpRequest *request, guint status, JsonNode *node);
/* answers {"error":{"code","message"}} with the status mapped from @error */
void cb_http_reply_error(CbHttpRequest *request, const GError *error);
void cb_http_reply_empty(CbHttpRequest *request, guint status);

/* {"error":{"code","message"}} as text */
char *cb_http_error_body(const char *code, const char *message);

/* the client's address for the rate limits: the peer's, or what a trusted
 * reverse proxy says in X-Forwarded-For ([server] trusted-proxies) */
char *cb_http_client_address(SoupServerMessage *msg, const CbConfig *config);

/* the error shape on a bare message, for answers given before routing */
void cb_http_message_reply_error(SoupServerMessage *msg, guint status, const char *code,
				 const char *message);

/* a query parameter's value, or NULL when absent */
const char *cb_http_request_query(CbHttpRequest *request, const char *name);

/* a positive integer path parameter; 400 naming it otherwise */
gboolean cb_http_request_path_id(CbHttpRequest *request, const char *name, gint64 *id,
				 GError **error);

/* an optional non-negative integer query parameter in [0, @max] */
gboolean cb_http_request_query_uint(CbHttpRequest *request, const char *name, guint64 fallback,
				    guint64 max, guint64 *out, GError **error);

G_END_DECLS
