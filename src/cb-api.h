/* civic-bridge: the /api/v1 handlers and how they render records; http only */
#pragma once

#include "civic-bridge/cb-http-route.h"

G_BEGIN_DECLS

/* records as the API shows them: times in RFC 3339 UTC, never a secret hash */
JsonNode *cb_api_render_bridge_point(const CbBridgePoint *bp);
JsonNode *cb_api_render_token(const CbTokenRecord *token, gint64 now, const char *secret);
JsonNode *cb_api_render_audit_entry(const CbAuditEntry *entry);
/* {"items": [...]} from @items rendered by @render */
JsonNode *cb_api_render_list(GPtrArray *items, JsonNode *(*render)(gconstpointer item));

void cb_api_healthz(CbHttpRequest *request);
void cb_api_readyz(CbHttpRequest *request);
void cb_api_me(CbHttpRequest *request);

void cb_api_bridge_points_list(CbHttpRequest *request);
void cb_api_bridge_points_get(CbHttpRequest *request);
void cb_api_bridge_points_create(CbHttpRequest *request);
void cb_api_bridge_points_update(CbHttpRequest *request);
void cb_api_bridge_points_delete(CbHttpRequest *request);

void cb_api_tokens_list(CbHttpRequest *request);
void cb_api_tokens_create(CbHttpRequest *request);
void cb_api_tokens_revoke(CbHttpRequest *request);

void cb_api_audit_list(CbHttpRequest *request);

/* schedule and sessions (cb-api-schedule.c) */

/* waiting queue (cb-api-queue.c) */

/* reception book and reports (cb-api-reception-book.c) */

G_END_DECLS
