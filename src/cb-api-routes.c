#define G_LOG_DOMAIN "CbHttp"

#include "cb-api.h"

#define ADMIN	 CB_ROLE_MASK(CB_ROLE_ADMIN)
#define STAFF	 CB_ROLE_MASK(CB_ROLE_STAFF)
#define OPERATOR CB_ROLE_MASK(CB_ROLE_OPERATOR)

/* the one table of routes: docs/openapi.yaml is checked against it */
static const CbHttpRoute cb_http_route_table[] = {
	{"GET", "/healthz", CB_ROLES_NONE, FALSE, cb_api_healthz},
	{"GET", "/readyz", CB_ROLES_NONE, FALSE, cb_api_readyz},
	{"GET", "/api/v1/me", CB_ROLES_ALL, FALSE, cb_api_me},
	{"GET", "/api/v1/bridge-points", ADMIN | STAFF | OPERATOR, FALSE,
	 cb_api_bridge_points_list},
	{"POST", "/api/v1/bridge-points", ADMIN, TRUE, cb_api_bridge_points_create},
	{"GET", "/api/v1/bridge-points/{id}", ADMIN | STAFF | OPERATOR, FALSE,
	 cb_api_bridge_points_get},
	{"PATCH", "/api/v1/bridge-points/{id}", ADMIN, TRUE, cb_api_bridge_points_update},
	{"DELETE", "/api/v1/bridge-points/{id}", ADMIN, FALSE, cb_api_bridge_points_delete},
	{"GET", "/api/v1/tokens", ADMIN, FALSE, cb_api_tokens_list},
	{"POST", "/api/v1/tokens", ADMIN, TRUE, cb_api_tokens_create},
	{"DELETE", "/api/v1/tokens/{id}", ADMIN, FALSE, cb_api_tokens_revoke},
	{"GET", "/api/v1/audit", ADMIN, FALSE, cb_api_audit_list},
	/* schedule and sessions (cb-api-schedule.c) */
	/* waiting queue (cb-api-queue.c) */
	/* reception book and reports (cb-api-reception-book.c) */
};

const CbHttpRoute *
cb_http_routes(gsize *n_routes)
{
	*n_routes = G_N_ELEMENTS(cb_http_route_table);
	return cb_http_route_table;
}
