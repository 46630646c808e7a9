#define G_LOG_DOMAIN "CbHttp"

#include "cb-api.h"
#include "cb-http-static.h"

#define ADMIN    CB_ROLE_MASK(CB_ROLE_ADMIN)
#define STAFF    CB_ROLE_MASK(CB_ROLE_STAFF)
#define OPERATOR CB_ROLE_MASK(CB_ROLE_OPERATOR)

/* the one table of routes: docs/openapi.yaml is checked against it */
static const CbHttpRoute cb_http_route_table[] = {
	{"GET", "/healthz", CB_ROLES_NONE, FALSE, cb_api_healthz},
	{"GET", "/readyz", CB_ROLES_NONE, FALSE, cb_api_readyz},
	/* Prometheus text format, for a scraper holding a staff token (cb-api-metrics.c) */
	{"GET", "/metrics", ADMIN | STAFF, FALSE, cb_api_metrics},
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
	{"GET", "/api/v1/series", ADMIN | STAFF, FALSE, cb_api_series_list},
	{"POST", "/api/v1/series", ADMIN, TRUE, cb_api_series_create},
	{"GET", "/api/v1/series/{id}", ADMIN | STAFF, FALSE, cb_api_series_get},
	{"GET", "/api/v1/series/{id}/occurrences", ADMIN | STAFF, FALSE, cb_api_series_occurrences},
	{"POST", "/api/v1/series/{id}/occurrences/{start}/move", ADMIN | STAFF, TRUE,
	 cb_api_occurrence_move},
	{"POST", "/api/v1/series/{id}/occurrences/{start}/cancel", ADMIN | STAFF, TRUE,
	 cb_api_occurrence_cancel},
	{"GET", "/api/v1/sessions", ADMIN | STAFF | OPERATOR, FALSE, cb_api_sessions_list},
	{"POST", "/api/v1/sessions", ADMIN | STAFF, TRUE, cb_api_sessions_create},
	{"GET", "/api/v1/sessions/{id}", ADMIN | STAFF | OPERATOR, FALSE, cb_api_sessions_get},
	{"POST", "/api/v1/sessions/{id}/open", ADMIN | STAFF, FALSE, cb_api_sessions_open},
	{"POST", "/api/v1/sessions/{id}/start", ADMIN | STAFF, FALSE, cb_api_sessions_start},
	{"POST", "/api/v1/sessions/{id}/end", ADMIN | STAFF, FALSE, cb_api_sessions_end},
	{"POST", "/api/v1/sessions/{id}/cancel", ADMIN | STAFF, TRUE, cb_api_sessions_cancel},
	{"POST", "/api/v1/sessions/{id}/recording/start", ADMIN | STAFF, FALSE,
	 cb_api_recording_start},
	{"POST", "/api/v1/sessions/{id}/recording/stop", ADMIN | STAFF, FALSE,
	 cb_api_recording_stop},
	{"GET", "/api/v1/calendar.ics", ADMIN | STAFF, FALSE, cb_api_calendar_ics},
	/* waiting queue (cb-api-queue.c) */
	{"POST", "/api/v1/register", CB_ROLES_NONE, TRUE, cb_api_register},
	{"POST", "/api/v1/tickets", ADMIN | STAFF | OPERATOR, TRUE, cb_api_tickets_create},
	{"GET", "/api/v1/tickets", ADMIN | STAFF | OPERATOR, FALSE, cb_api_tickets_list},
	{"GET", "/api/v1/tickets/{id}", CB_ROLES_ALL, FALSE, cb_api_tickets_get},
	{"GET", "/api/v1/me/ticket", CB_ROLE_MASK(CB_ROLE_CITIZEN), FALSE, cb_api_me_ticket},
	{"GET", "/api/v1/sessions/{id}/queue", ADMIN | STAFF, FALSE, cb_api_session_queue},
	{"POST", "/api/v1/tickets/{id}/call", ADMIN | STAFF, FALSE, cb_api_tickets_call},
	{"POST", "/api/v1/tickets/{id}/admit", ADMIN | STAFF, FALSE, cb_api_tickets_admit},
	{"POST", "/api/v1/tickets/{id}/finish", ADMIN | STAFF, TRUE, cb_api_tickets_finish},
	{"POST", "/api/v1/tickets/{id}/defer", ADMIN | STAFF, FALSE, cb_api_tickets_defer},
	{"POST", "/api/v1/tickets/{id}/refuse", ADMIN | STAFF, TRUE, cb_api_tickets_refuse},
	{"POST", "/api/v1/tickets/{id}/cancel", ADMIN | STAFF | CB_ROLE_MASK(CB_ROLE_CITIZEN),
	 FALSE, cb_api_tickets_cancel},
	{"POST", "/api/v1/tickets/{id}/move", ADMIN | STAFF, TRUE, cb_api_tickets_move},
	/* reception book and reports (cb-api-reception-book.c) */
	{"GET", "/api/v1/reception-book.csv", ADMIN | STAFF, FALSE, cb_api_reception_book_export},
	/* a CSV body, which the route reads itself */
	{"POST", "/api/v1/reception-book/import", ADMIN, FALSE, cb_api_reception_book_import},
	{"GET", "/api/v1/reports/summary", ADMIN | STAFF, FALSE, cb_api_reports_summary},
	/* recordings read back (cb-api-recordings.c): staff and admins only */
	{"GET", "/api/v1/recordings", ADMIN | STAFF, FALSE, cb_api_recordings_list},
	{"POST", "/api/v1/recordings/purge", ADMIN, FALSE, cb_api_recordings_purge},
	{"GET", "/api/v1/recordings/{session_id}", ADMIN | STAFF, FALSE, cb_api_recordings_get},
	{"GET", "/api/v1/recordings/{session_id}/files/{file*}", ADMIN | STAFF, FALSE,
	 cb_api_recordings_file},
	{"PUT", "/api/v1/recordings/{session_id}/hold", ADMIN | STAFF, FALSE,
	 cb_api_recordings_hold_set},
	{"DELETE", "/api/v1/recordings/{session_id}/hold", ADMIN | STAFF, FALSE,
	 cb_api_recordings_hold_lift},
	/* WHIP (cb-api-whip.c, cb-api-webrtc-http.c): SDP bodies, which the routes read themselves
	 */
	{"POST", "/whip/{session_id}", OPERATOR, FALSE, cb_api_whip_post},
	{"PATCH", "/whip/{session_id}/{resource}", OPERATOR, FALSE, cb_api_whip_patch},
	{"DELETE", "/whip/{session_id}/{resource}", OPERATOR, FALSE, cb_api_whip_delete},
	/* WHEP (cb-api-whep.c): staff viewers */
	{"POST", "/whep/{session_id}", ADMIN | STAFF, FALSE, cb_api_whep_post},
	{"PATCH", "/whep/{session_id}/{resource}", ADMIN | STAFF, FALSE, cb_api_whep_patch},
	{"DELETE", "/whep/{session_id}/{resource}", ADMIN | STAFF, FALSE, cb_api_whep_delete},
	/* the web pages (cb-http-static.c) */
	{"GET", "/", CB_ROLES_NONE, FALSE, cb_http_static_root},
	{"HEAD", "/", CB_ROLES_NONE, FALSE, cb_http_static_root},
	{"GET", "/web/{path*}", CB_ROLES_NONE, FALSE, cb_http_static_get},
	{"HEAD", "/web/{path*}", CB_ROLES_NONE, FALSE, cb_http_static_get},
};

const CbHttpRoute *
cb_http_routes(gsize *n_routes)
{
	*n_routes = G_N_ELEMENTS(cb_http_route_table);
	return cb_http_route_table;
}
