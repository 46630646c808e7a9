#define G_LOG_DOMAIN "CbHttp"

/* POST /api/v1/sessions/{id}/recording/start|stop: staff record any live session */

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-media-rooms.h"

#include "cb-api.h"

typedef gboolean (*CbApiRecordingFunc)(CbMediaRooms *rooms, gint64 session_id, GError **error);

static void
cb_api_recording(CbHttpRequest *request, CbApiRecordingFunc func)
{
	CbMediaRooms *rooms = cb_http_server_get_services(request->server)->rooms;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonBuilder) builder = NULL;
	gint64 id = 0;

	if (rooms == NULL)
		g_set_error_literal(&error, CB_ERROR, CB_ERROR_UNAVAILABLE,
				    "the media rooms are not running");
	if (error != NULL || !cb_http_request_path_id(request, "id", &id, &error) ||
	    !func(rooms, id, &error)) {
		cb_http_reply_error(request, error);
		return;
	}
	builder = json_builder_new_immutable();
	json_builder_begin_object(builder);
	cb_api_add_id(builder, "session_id", id);
	json_builder_set_member_name(builder, "recording");
	json_builder_add_boolean_value(builder, cb_media_rooms_get_recording(rooms, id));
	json_builder_end_object(builder);
	cb_http_reply_json(request, SOUP_STATUS_OK, json_builder_get_root(builder));
}

void
cb_api_recording_start(CbHttpRequest *request)
{
	cb_api_recording(request, cb_media_rooms_start_recording);
}

void
cb_api_recording_stop(CbHttpRequest *request)
{
	cb_api_recording(request, cb_media_rooms_stop_recording);
}
