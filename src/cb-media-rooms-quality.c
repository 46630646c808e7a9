#define G_LOG_DOMAIN "CbMedia"

/*
 * Connection quality of the rooms' peers: each room samples its connected
 * peers (src/media/cb-peer-stats.c); here the last sample of each peer is
 * kept for /metrics and relayed, with who the peer is, to the WebSocket's
 * staff (`peer-quality`). The room emits at most one sample per peer per
 * [media] stats-interval-seconds, so neither needs a limit of its own.
 */

#include "civic-bridge/cb-media-rooms.h"

#include "cb-media-rooms-private.h"

void
cb_media_room_quality_cb(CbRoom *r, const char *peer_id, const CbPeerQuality *quality,
			 gpointer user_data)
{
	CbMediaRoom *room = user_data;
	CbMediaPeer *peer = g_hash_table_lookup(room->peers, peer_id);

	if (peer == NULL)
		return;
	peer->quality = *quality;
	peer->has_quality = TRUE;
	g_signal_emit(room->rooms, cb_media_rooms_signals[SIGNAL_PEER_QUALITY], 0, room->session_id,
		      &peer->info, quality);
}

void
cb_media_rooms_foreach_peer(CbMediaRooms *self, CbMediaPeerFunc func, gpointer user_data)
{
	GHashTableIter rooms, peers;
	gpointer value;

	g_hash_table_iter_init(&rooms, self->rooms);
	while (g_hash_table_iter_next(&rooms, NULL, &value)) {
		CbMediaRoom *room = value;
		gpointer item;

		g_hash_table_iter_init(&peers, room->peers);
		while (g_hash_table_iter_next(&peers, NULL, &item)) {
			CbMediaPeer *peer = item;
			/* a sample taken before a peer lost its path says nothing now */
			gboolean current =
				peer->has_quality && g_strcmp0(peer->info.state, "connected") == 0;

			func(room->session_id, &peer->info, current ? &peer->quality : NULL,
			     peer->info.publisher
				     ? cb_room_get_keyframe_requests(room->room, peer->info.id)
				     : 0,
			     user_data);
		}
	}
}

guint
cb_media_rooms_get_n_rooms(CbMediaRooms *self)
{
	return g_hash_table_size(self->rooms);
}
