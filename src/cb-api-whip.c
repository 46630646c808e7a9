#define G_LOG_DOMAIN "CbHttp"

/*
 * WHIP (RFC 9725) at /whip/{session_id}: a bridge point publishes from a
 * hardware encoder or OBS with its operator token, as "bp-<id>". What WHIP
 * and WHEP share is in cb-api-webrtc-http.c; here is who publishes and whose
 * resource it is.
 */

#include "civic-bridge/cb-error.h"

#include "cb-api-webrtc-http.h"

/* one owner per bridge point, so [media] max-peers-per-connection bounds each
 * bridge point's WHIP peers rather than all of them together */
static char *
cb_whip_owner(gint64 bridge_point_id)
{
	return g_strdup_printf("whip:bp-%" G_GINT64_FORMAT, bridge_point_id);
}

void
cb_api_whip_post(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	CbMediaRooms *rooms = NULL;
	g_autofree char *sdp = NULL;
	g_autofree char *resource = NULL;
	g_autofree char *uuid = NULL;
	gint64 bp = request->caller->bridge_point_id;
	g_autofree char *owner = cb_whip_owner(bp);
	gint64 session_id = 0;
	const CbMediaPeerInfo *peer;

	if (!cb_webrtc_http_post_begin(request, "WHIP", &rooms, &session_id, &sdp))
		return;
	/* the resource names its bridge point: another bridge point's is told
	 * apart (403) from an unknown one (404) */
	uuid = g_uuid_string_random();
	resource = g_strdup_printf("%" G_GINT64_FORMAT "-%s", bp, uuid);
	peer = cb_media_rooms_join(rooms, request->caller, owner, resource, session_id, TRUE, NULL,
				   &error);
	if (peer == NULL) {
		cb_webrtc_http_reply_error(request, error);
		return;
	}
	cb_webrtc_http_post_finish(request, rooms, owner, peer, sdp, "/whip");
}

/* the caller's resource: 404 unknown (or of another session), 403 another bridge point's */
static const CbMediaPeerInfo *
cb_whip_resource(CbHttpRequest *request, CbMediaRooms **rooms)
{
	g_autoptr(GError) error = NULL;
	const char *resource = g_hash_table_lookup(request->params, "resource");
	g_autofree char *owner = cb_whip_owner(g_ascii_strtoll(resource, NULL, 10));
	const CbMediaPeerInfo *info =
		cb_webrtc_http_resource(request, owner, "WHIP", rooms, &error);

	if (info != NULL && info->bridge_point_id != request->caller->bridge_point_id) {
		g_set_error_literal(&error, CB_ERROR, CB_ERROR_FORBIDDEN,
				    "this WHIP resource is another bridge point's");
		info = NULL;
	}
	if (info == NULL)
		cb_webrtc_http_reply_error(request, error);
	return info;
}

void
cb_api_whip_patch(CbHttpRequest *request)
{
	CbMediaRooms *rooms = NULL;
	const CbMediaPeerInfo *info = cb_whip_resource(request, &rooms);

	if (info != NULL)
		cb_webrtc_http_patch(request, rooms, info);
}

void
cb_api_whip_delete(CbHttpRequest *request)
{
	CbMediaRooms *rooms = NULL;
	const CbMediaPeerInfo *info = cb_whip_resource(request, &rooms);

	if (info != NULL)
		cb_webrtc_http_delete(request, rooms, info);
}
