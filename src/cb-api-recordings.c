#define G_LOG_DOMAIN "CbHttp"

/* /api/v1/recordings: the recordings read back, for staff and admins only
 * (the route table refuses operators and citizens): listing, one in detail,
 * its segment files, the legal hold, and the retention purge */

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-recordings.h"

#include "cb-api.h"
#include "cb-http-file.h"

static CbRecordings *
cb_api_recordings(CbHttpRequest *request, GError **error)
{
	CbRecordings *recordings = cb_http_server_get_services(request->server)->recordings;

	if (recordings == NULL)
		g_set_error_literal(error, CB_ERROR, CB_ERROR_UNAVAILABLE,
				    "recordings are not served by this daemon");
	return recordings;
}

/* ?confidential=true|false (false when absent) */
static gboolean
cb_api_recordings_confidential(CbHttpRequest *request, gboolean *confidential, GError **error)
{
	const char *text = cb_http_request_query(request, "confidential");

	*confidential = g_strcmp0(text, "true") == 0;
	if (text != NULL && !*confidential && !g_str_equal(text, "false")) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "query parameter 'confidential' must be true or false");
		return FALSE;
	}
	return TRUE;
}

/* the session as the store knows it, or NULL (a recording can outlive it) */
static CbSession *
cb_api_recording_session(CbHttpRequest *request, gint64 session_id)
{
	return cb_store_session_get(cb_http_server_get_store(request->server), session_id, NULL);
}

/* ---- reads off the main loop ----
 *
 * A listing or a recording's detail reads manifests, seconds of work for a
 * long session; it runs in a worker (cb_recordings_*_async) while the
 * message waits, paused. What the answer needs besides is kept here. */

typedef struct {
	SoupServerMessage *msg;
	CbHttpServer *server;
	gboolean confidential;
	gboolean segments;
	gint64 session_id;
	char *file;    /* a segment's route */
	CbActor actor; /* who reads it (a confidential segment is audited) */
} CbRecordingsCall;

static void
cb_recordings_call_finished_cb(SoupServerMessage *msg, gpointer user_data)
{
	g_object_set_data(G_OBJECT(msg), "cb-finished", GINT_TO_POINTER(TRUE));
}

static CbRecordingsCall *
cb_recordings_call_new(CbHttpRequest *request)
{
	CbRecordingsCall *call = g_new0(CbRecordingsCall, 1);

	call->msg = g_object_ref(request->msg);
	call->server = g_object_ref(request->server);
	call->actor = request->actor;
	g_signal_connect(request->msg, "finished", G_CALLBACK(cb_recordings_call_finished_cb),
			 NULL);
	soup_server_message_pause(request->msg);
	return call;
}

static void
cb_recordings_call_free(CbRecordingsCall *call)
{
	g_signal_handlers_disconnect_by_func(call->msg, cb_recordings_call_finished_cb, NULL);
	g_object_unref(call->msg);
	g_object_unref(call->server);
	g_free(call->file);
	g_free(call);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbRecordingsCall, cb_recordings_call_free)

/* the client went away while the worker read */
static gboolean
cb_recordings_call_gone(CbRecordingsCall *call)
{
	return g_object_get_data(G_OBJECT(call->msg), "cb-finished") != NULL;
}

static CbHttpRequest
cb_recordings_call_request(CbRecordingsCall *call)
{
	CbHttpRequest request = {.msg = call->msg, .server = call->server, .actor = call->actor};

	return request;
}

static void
cb_api_recordings_listed_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(CbRecordingsCall) call = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list =
		cb_recordings_list_finish(CB_RECORDINGS(source), result, &error);
	g_autoptr(GHashTable) held = NULL;
	g_autoptr(JsonBuilder) builder = NULL;
	CbHttpRequest request = cb_recordings_call_request(call);

	if (cb_recordings_call_gone(call))
		return;
	if (list != NULL)
		held = cb_store_recording_hold_list(cb_http_server_get_store(call->server), &error);
	if (held == NULL) {
		cb_http_reply_error(&request, error);
		soup_server_message_unpause(call->msg);
		return;
	}
	builder = json_builder_new_immutable();
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "items");
	json_builder_begin_array(builder);
	for (guint i = 0; i < list->len; i++) {
		CbRecordingInfo *info = g_ptr_array_index(list, i);
		g_autoptr(CbSession) session = cb_api_recording_session(&request, info->session_id);
		gint64 *held_at = g_hash_table_lookup(held, &info->session_id);
		gboolean has_confidential =
			call->confidential ||
			cb_recordings_has_confidential(CB_RECORDINGS(source), info->session_id);

		/* the list holds whether a hold is set; its time is in the detail */
		json_builder_add_value(builder, cb_api_render_recording(info, session,
									held_at != NULL ? 1 : 0,
									has_confidential));
	}
	json_builder_end_array(builder);
	json_builder_end_object(builder);
	cb_http_reply_json(&request, SOUP_STATUS_OK, json_builder_get_root(builder));
	soup_server_message_unpause(call->msg);
}

void
cb_api_recordings_list(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	CbRecordings *recordings = cb_api_recordings(request, &error);
	gboolean confidential = FALSE;
	CbRecordingsCall *call;

	if (recordings == NULL || !cb_api_recordings_confidential(request, &confidential, &error)) {
		cb_http_reply_error(request, error);
		return;
	}
	call = cb_recordings_call_new(request);
	call->confidential = confidential;
	cb_recordings_list_async(recordings, confidential, cb_api_recordings_listed_cb, call);
}

/* a manifest that does not hold is not shown as if it were the record */
static gboolean
cb_api_recording_check(const CbRecordingInfo *info, GError **error)
{
	if (info->manifest_ok)
		return TRUE;
	g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
		    "the manifest of session %" G_GINT64_FORMAT
		    "'s %srecording does not hold together (%u problem%s; the first: %s); "
		    "civic-bridgectl recording verify names them all",
		    info->session_id, info->confidential ? "confidential " : "",
		    info->problems->len, info->problems->len == 1 ? "" : "s",
		    (const char *)g_ptr_array_index(info->problems, 0));
	return FALSE;
}

static void
cb_api_recordings_got_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(CbRecordingsCall) call = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(CbRecordingInfo) info =
		cb_recordings_get_finish(CB_RECORDINGS(source), result, &error);
	g_autoptr(CbSession) session = NULL;
	CbHttpRequest request = cb_recordings_call_request(call);
	gint64 held_at = 0;

	if (cb_recordings_call_gone(call))
		return;
	if (info == NULL || !cb_api_recording_check(info, &error) ||
	    !cb_store_recording_hold_get(cb_http_server_get_store(call->server), call->session_id,
					 &held_at, &error)) {
		cb_http_reply_error(&request, error);
		soup_server_message_unpause(call->msg);
		return;
	}
	session = cb_api_recording_session(&request, call->session_id);
	cb_http_reply_json(
		&request, SOUP_STATUS_OK,
		cb_api_render_recording_detail(
			info, session, held_at,
			call->confidential || cb_recordings_has_confidential(CB_RECORDINGS(source),
									     call->session_id),
			call->segments));
	soup_server_message_unpause(call->msg);
}

void
cb_api_recordings_get(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	CbRecordings *recordings = cb_api_recordings(request, &error);
	gboolean confidential = FALSE;
	gint64 session_id = 0;
	CbRecordingsCall *call;

	if (recordings == NULL ||
	    !cb_http_request_path_id(request, "session_id", &session_id, &error) ||
	    !cb_api_recordings_confidential(request, &confidential, &error)) {
		cb_http_reply_error(request, error);
		return;
	}
	call = cb_recordings_call_new(request);
	call->session_id = session_id;
	call->confidential = confidential;
	call->segments = g_strcmp0(cb_http_request_query(request, "segments"), "true") == 0;
	cb_recordings_get_async(recordings, session_id, confidential, cb_api_recordings_got_cb,
				call);
}

static const char *
cb_api_recording_content_type(const char *file)
{
	if (g_str_has_suffix(file, ".webm"))
		return "video/webm";
	if (g_str_has_suffix(file, ".mka"))
		return "audio/x-matroska";
	return "video/x-matroska";
}

static void
cb_api_recordings_file_found_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(CbRecordingsCall) call = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(CbRecordingInfo) info =
		cb_recordings_get_finish(CB_RECORDINGS(source), result, &error);
	g_autofree char *path = NULL;
	CbHttpRequest request = cb_recordings_call_request(call);
	guint64 bytes = 0;

	if (cb_recordings_call_gone(call))
		return;
	if (info != NULL)
		path = cb_recording_info_file_path(info, call->file, &bytes, &error);
	/* a confidential segment carries a denouncer's face and voice: every
	 * read of one is on the record */
	if (path != NULL && call->confidential) {
		g_autofree char *target =
			g_strdup_printf("session:%" G_GINT64_FORMAT, call->session_id);
		g_autofree char *detail = g_strdup_printf("confidential %s", call->file);

		if (!cb_store_audit_record(cb_http_server_get_store(call->server), &call->actor,
					   "recording.read", target, detail, &error))
			g_clear_pointer(&path, g_free);
	}
	/* the file's stream unpauses the message as it reads */
	if (path != NULL &&
	    cb_http_reply_file(&request, path, cb_api_recording_content_type(call->file), &error)) {
		g_debug("sending a segment of session %" G_GINT64_FORMAT " (%" G_GUINT64_FORMAT
			" bytes listed)",
			call->session_id, bytes);
		return;
	}
	cb_http_reply_error(&request, error);
	soup_server_message_unpause(call->msg);
}

void
cb_api_recordings_file(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	CbRecordings *recordings = cb_api_recordings(request, &error);
	const char *file = g_hash_table_lookup(request->params, "file");
	gboolean confidential = FALSE;
	gint64 session_id = 0;
	CbRecordingsCall *call;

	/* a name that would leave the folder is refused before any reading */
	if (recordings == NULL ||
	    !cb_http_request_path_id(request, "session_id", &session_id, &error) ||
	    !cb_api_recordings_confidential(request, &confidential, &error) ||
	    !cb_recording_file_name_check(file, &error)) {
		cb_http_reply_error(request, error);
		return;
	}
	call = cb_recordings_call_new(request);
	call->session_id = session_id;
	call->confidential = confidential;
	call->file = g_strdup(file);
	cb_recordings_get_async(recordings, session_id, confidential,
				cb_api_recordings_file_found_cb, call);
}

static void
cb_api_recordings_hold(CbHttpRequest *request, gboolean hold)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonBuilder) builder = json_builder_new_immutable();
	CbRecordings *recordings = cb_api_recordings(request, &error);
	CbStore *store = cb_http_server_get_store(request->server);
	gint64 session_id = 0;
	gint64 held_at = 0;

	if (recordings == NULL ||
	    !cb_http_request_path_id(request, "session_id", &session_id, &error) ||
	    !cb_recordings_set_hold(recordings, &request->actor, session_id, hold, &error) ||
	    !cb_store_recording_hold_get(store, session_id, &held_at, &error)) {
		cb_http_reply_error(request, error);
		return;
	}
	json_builder_begin_object(builder);
	cb_api_add_id(builder, "session_id", session_id);
	json_builder_set_member_name(builder, "legal_hold");
	json_builder_add_boolean_value(builder, held_at != 0);
	cb_api_add_time(builder, "legal_hold_since", held_at);
	json_builder_end_object(builder);
	cb_http_reply_json(request, SOUP_STATUS_OK, json_builder_get_root(builder));
}

void
cb_api_recordings_hold_set(CbHttpRequest *request)
{
	cb_api_recordings_hold(request, TRUE);
}

void
cb_api_recordings_hold_lift(CbHttpRequest *request)
{
	cb_api_recordings_hold(request, FALSE);
}

static void
cb_api_recordings_finished_cb(SoupServerMessage *msg, gpointer user_data)
{
	g_object_set_data(G_OBJECT(msg), "cb-finished", GINT_TO_POINTER(TRUE));
}

/* the purge runs off the main loop: the message waits, paused */
static void
cb_api_recordings_purged_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(SoupServerMessage) msg = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(CbPurgeResult) purge =
		cb_recordings_purge_finish(CB_RECORDINGS(source), result, &error);
	CbHttpRequest request = {.msg = msg};

	/* the client went away meanwhile: the purge is done and audited all the same */
	if (g_object_get_data(G_OBJECT(msg), "cb-finished") != NULL)
		return;
	if (purge == NULL)
		cb_http_reply_error(&request, error);
	else
		cb_http_reply_json(&request, SOUP_STATUS_OK, cb_api_render_purge(purge));
	soup_server_message_unpause(msg);
}

void
cb_api_recordings_purge(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	CbRecordings *recordings = cb_api_recordings(request, &error);

	if (recordings == NULL) {
		cb_http_reply_error(request, error);
		return;
	}
	g_signal_connect(request->msg, "finished", G_CALLBACK(cb_api_recordings_finished_cb), NULL);
	soup_server_message_pause(request->msg);
	cb_recordings_purge_async(recordings, &request->actor, cb_api_recordings_purged_cb,
				  g_object_ref(request->msg));
}
