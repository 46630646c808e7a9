/* civic-bridge: what WHIP (cb-api-whip.c) and WHEP (cb-api-whep.c) share:
 * the offer and its full answer, the resource, trickle, leaving; http only */
#pragma once

#include "civic-bridge/cb-media-rooms.h"

#include "cb-api.h"

G_BEGIN_DECLS

/**
 * cb_webrtc_http_post_begin:
 * @what: "WHIP" or "WHEP", for messages
 * @rooms: (out) (transfer none): the media rooms
 * @session_id: (out): the live session of the path
 * @sdp: (out) (transfer full): the client's offer
 *
 * Checks a POST: media available (503), `application/sdp` (415), the session
 * exists (404) and is live (409), the body within [media] max-sdp-bytes
 * (413) and text (400). Answers the error itself and returns FALSE.
 */
gboolean cb_webrtc_http_post_begin(CbHttpRequest *request, const char *what, CbMediaRooms **rooms,
				   gint64 *session_id, char **sdp);

/**
 * cb_webrtc_http_post_finish:
 * @owner: the owner @peer joined with; its handle is the resource
 * @sdp: the offer
 * @prefix: "/whip" or "/whep", for the Location
 *
 * Gives the offer to the room and answers `201` with `Location`, `ETag`,
 * `Link` ice-server headers and the answer once it holds every candidate
 * (or what it has after a bounded wait). On any failure the peer leaves and
 * the error is answered.
 */
void cb_webrtc_http_post_finish(CbHttpRequest *request, CbMediaRooms *rooms, const char *owner,
				const CbMediaPeerInfo *peer, const char *sdp, const char *prefix);

/* answers @error; 503 with Retry-After */
void cb_webrtc_http_reply_error(CbHttpRequest *request, const GError *error);

/**
 * cb_webrtc_http_resource:
 * @rooms: (out) (transfer none): the media rooms
 *
 * The peer of the path's {resource} held by @owner in the path's session;
 * 404 naming @what otherwise, 503 without media.
 */
const CbMediaPeerInfo *cb_webrtc_http_resource(CbHttpRequest *request, const char *owner,
					       const char *what, CbMediaRooms **rooms,
					       GError **error);

/* PATCH with an RFC 8840 trickle fragment: 204; an ICE restart: 422 */
void cb_webrtc_http_patch(CbHttpRequest *request, CbMediaRooms *rooms, const CbMediaPeerInfo *peer);

/* DELETE: the peer leaves; 200 */
void cb_webrtc_http_delete(CbHttpRequest *request, CbMediaRooms *rooms,
			   const CbMediaPeerInfo *peer);

G_END_DECLS
