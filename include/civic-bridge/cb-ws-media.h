/* civic-bridge: media signalling on the WebSocket /api/v1/ws */
#pragma once

#include "civic-bridge/cb-media-rooms.h"
#include "civic-bridge/cb-ws-hub.h"

G_BEGIN_DECLS

#define CB_TYPE_WS_MEDIA (cb_ws_media_get_type())
G_DECLARE_FINAL_TYPE(CbWsMedia, cb_ws_media, CB, WS_MEDIA, GObject)

/**
 * cb_ws_media_new:
 *
 * Takes the message types join, offer, candidate, leave (every
 * authenticated client) and floor, mute, remove (staff) on @hub, and sends
 * each client its answers, room candidates and peer news; staff subscribed
 * to a session get its peer, floor-changed, muted and quality events. A WebSocket
 * that closes releases its peers (cb_media_rooms_release_owner()). The
 * protocol is in README.md, "Signalling and WHIP".
 */
CbWsMedia *cb_ws_media_new(CbWsHub *hub, CbMediaRooms *rooms);

G_END_DECLS
