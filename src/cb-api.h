/* civic-bridge: the /api/v1 handlers and how they render records; http only */
#pragma once

#include "civic-bridge/cb-http-route.h"
#include "civic-bridge/cb-queue.h"

G_BEGIN_DECLS

/* members of the object @builder has open, null where there is no value: a
 * string (NULL), an id (0), a time in RFC 3339 UTC (0), a number (!@present) */
void cb_api_add_string(JsonBuilder *builder, const char *name, const char *value);
void cb_api_add_id(JsonBuilder *builder, const char *name, gint64 id);
void cb_api_add_time(JsonBuilder *builder, const char *name, gint64 time_us);
void cb_api_add_int(JsonBuilder *builder, const char *name, gboolean present, gint64 value);

/* records as the API shows them: times in RFC 3339 UTC, never a secret hash */
JsonNode *cb_api_render_bridge_point(const CbBridgePoint *bp);
JsonNode *cb_api_render_token(const CbTokenRecord *token, gint64 now, const char *secret);
JsonNode *cb_api_render_audit_entry(const CbAuditEntry *entry);
/* {"items": [...]} from @items rendered by @render */
JsonNode *cb_api_render_list(GPtrArray *items, JsonNode *(*render)(gconstpointer item));

/* answers @status with @record as @render shows it, or @error when @record is NULL */
void cb_api_reply(CbHttpRequest *request, guint status, gconstpointer record,
		  JsonNode *(*render)(gconstpointer record), const GError *error);
/* answers 200 with cb_api_render_list(), or @error when @items is NULL */
void cb_api_reply_list(CbHttpRequest *request, GPtrArray *items,
		       JsonNode *(*render)(gconstpointer item), const GError *error);
/* Location: @collection/@id, of a record just created */
void cb_api_set_location(CbHttpRequest *request, const char *collection, gint64 id);

void cb_api_healthz(CbHttpRequest *request);
void cb_api_readyz(CbHttpRequest *request);
void cb_api_me(CbHttpRequest *request);
/* Prometheus text format 0.0.4 (cb-api-metrics.c) */
void cb_api_metrics(CbHttpRequest *request);

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
void cb_api_series_list(CbHttpRequest *request);
void cb_api_series_create(CbHttpRequest *request);
void cb_api_series_get(CbHttpRequest *request);
void cb_api_series_occurrences(CbHttpRequest *request);
void cb_api_occurrence_move(CbHttpRequest *request);
void cb_api_occurrence_cancel(CbHttpRequest *request);
void cb_api_sessions_list(CbHttpRequest *request);
void cb_api_sessions_create(CbHttpRequest *request);
void cb_api_sessions_get(CbHttpRequest *request);
void cb_api_sessions_open(CbHttpRequest *request);
void cb_api_sessions_start(CbHttpRequest *request);
void cb_api_sessions_end(CbHttpRequest *request);
void cb_api_sessions_cancel(CbHttpRequest *request);
void cb_api_calendar_ics(CbHttpRequest *request);
/* recording of a live session (cb-api-recording.c) */
void cb_api_recording_start(CbHttpRequest *request);
void cb_api_recording_stop(CbHttpRequest *request);

/* waiting queue (cb-api-queue.c) */
/* one ticket with its place, as @view shows it; @token only in the answer to a registration */
JsonNode *cb_api_queue_render(const CbQueueEntry *entry, CbTicketView view, const char *token);
/* {"items": [...]}, each as @caller may see it (skipping what they may not);
 * @session_id > 0 adds the session and its state */
JsonNode *cb_api_queue_render_list(GPtrArray *entries, const CbTokenRecord *caller,
				   gint64 session_id, const char *session_state);
void cb_api_register(CbHttpRequest *request);
void cb_api_tickets_create(CbHttpRequest *request);
void cb_api_tickets_list(CbHttpRequest *request);
void cb_api_tickets_get(CbHttpRequest *request);
void cb_api_me_ticket(CbHttpRequest *request);
void cb_api_session_queue(CbHttpRequest *request);
void cb_api_tickets_call(CbHttpRequest *request);
void cb_api_tickets_admit(CbHttpRequest *request);
void cb_api_tickets_finish(CbHttpRequest *request);
void cb_api_tickets_defer(CbHttpRequest *request);
void cb_api_tickets_refuse(CbHttpRequest *request);
void cb_api_tickets_cancel(CbHttpRequest *request);
void cb_api_tickets_move(CbHttpRequest *request);

/* reception book and reports (cb-api-reception-book.c) */
void cb_api_reception_book_export(CbHttpRequest *request);
void cb_api_reception_book_import(CbHttpRequest *request);
void cb_api_reports_summary(CbHttpRequest *request);

/* recordings (cb-api-recordings.c, cb-api-recordings-render.c) */
typedef struct _CbRecordingInfo CbRecordingInfo;
typedef struct _CbPurgeResult CbPurgeResult;
JsonNode *cb_api_render_recording(const CbRecordingInfo *info, const CbSession *session,
				  gint64 held_at, gboolean has_confidential);
/* with the tracks and the timeline; @segments adds the segment entries */
JsonNode *cb_api_render_recording_detail(const CbRecordingInfo *info, const CbSession *session,
					 gint64 held_at, gboolean has_confidential,
					 gboolean segments);
JsonNode *cb_api_render_purge(const CbPurgeResult *result);
void cb_api_recordings_list(CbHttpRequest *request);
void cb_api_recordings_get(CbHttpRequest *request);
void cb_api_recordings_file(CbHttpRequest *request);
void cb_api_recordings_hold_set(CbHttpRequest *request);
void cb_api_recordings_hold_lift(CbHttpRequest *request);
void cb_api_recordings_purge(CbHttpRequest *request);

/* WHIP (cb-api-whip.c): raw SDP bodies */
void cb_api_whip_post(CbHttpRequest *request);
void cb_api_whip_patch(CbHttpRequest *request);
void cb_api_whip_delete(CbHttpRequest *request);

/* WHEP (cb-api-whep.c): raw SDP bodies */
void cb_api_whep_post(CbHttpRequest *request);
void cb_api_whep_patch(CbHttpRequest *request);
void cb_api_whep_delete(CbHttpRequest *request);

G_END_DECLS
