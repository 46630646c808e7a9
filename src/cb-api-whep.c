#define G_LOG_DOMAIN "CbHttp"

/*
 * WHEP (draft-ietf-wish-whep) at /whep/{session_id}: staff watch one slot of
 * a live session's room (the floor by default, the hall, a bridge point or
 * the citizen) from any WHEP player, as viewers of the hall audience (a
 * confidential case stays visible to them). What WHIP and WHEP share is in
 * cb-api-webrtc-http.c; here is what a viewer receives and whose resource it
 * is.
 */

#include <string.h>

#include "civic-bridge/cb-error.h"

#include "cb-api-webrtc-http.h"

/* each token holds its own viewers (at most [media] max-peers-per-connection):
 * another token's resource is unknown to it */
static char *
cb_whep_owner(CbHttpRequest *request)
{
	return g_strdup_printf("whep:%" G_GINT64_FORMAT, request->caller->id);
}

/* ?slot=floor (the default), hall, citizen or bp-<id> */
static const char *
cb_whep_slot(CbHttpRequest *request, GError **error)
{
	const char *slot = cb_http_request_query(request, "slot");
	guint64 id = 0;

	if (slot == NULL || g_str_equal(slot, "floor"))
		return "floor";
	if (g_str_equal(slot, CB_MEDIA_HALL_ID) || g_str_equal(slot, CB_MEDIA_CITIZEN_ID))
		return slot;
	if (g_str_has_prefix(slot, CB_MEDIA_BRIDGE_POINT_PREFIX) &&
	    g_ascii_string_to_unsigned(slot + strlen(CB_MEDIA_BRIDGE_POINT_PREFIX), 10, 1,
				       G_MAXINT64, &id, NULL))
		return slot;
	g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
			    "query parameter 'slot' is floor, hall, citizen or bp-<id>");
	return NULL;
}

void
cb_api_whep_post(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	CbMediaRooms *rooms = NULL;
	g_autofree char *sdp = NULL;
	g_autofree char *resource = NULL;
	g_autofree char *owner = cb_whep_owner(request);
	gint64 session_id = 0;
	const char *slot;
	const CbMediaPeerInfo *peer;

	slot = cb_whep_slot(request, &error);
	if (slot == NULL) {
		cb_webrtc_http_reply_error(request, error);
		return;
	}
	if (!cb_webrtc_http_post_begin(request, "WHEP", &rooms, &session_id, &sdp))
		return;
	resource = g_uuid_string_random();
	peer = cb_media_rooms_join(rooms, request->caller, owner, resource, session_id, FALSE, slot,
				   &error);
	if (peer == NULL) {
		cb_webrtc_http_reply_error(request, error);
		return;
	}
	cb_webrtc_http_post_finish(request, rooms, owner, peer, sdp, "/whep");
}

static const CbMediaPeerInfo *
cb_whep_resource(CbHttpRequest *request, CbMediaRooms **rooms)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *owner = cb_whep_owner(request);
	const CbMediaPeerInfo *info =
		cb_webrtc_http_resource(request, owner, "WHEP", rooms, &error);

	if (info == NULL)
		cb_webrtc_http_reply_error(request, error);
	return info;
}

void
cb_api_whep_patch(CbHttpRequest *request)
{
	CbMediaRooms *rooms = NULL;
	const CbMediaPeerInfo *info = cb_whep_resource(request, &rooms);

	if (info != NULL)
		cb_webrtc_http_patch(request, rooms, info);
}

void
cb_api_whep_delete(CbHttpRequest *request)
{
	CbMediaRooms *rooms = NULL;
	const CbMediaPeerInfo *info = cb_whep_resource(request, &rooms);

	if (info != NULL)
		cb_webrtc_http_delete(request, rooms, info);
}
