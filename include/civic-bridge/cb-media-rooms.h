/* civic-bridge: the media rooms of the live sessions, and who may join them */
#pragma once

#include <glib-object.h>

#include "civic-bridge/cb-config.h"
#include "civic-bridge/cb-queue.h"
#include "civic-bridge/cb-records.h"
#include "civic-bridge/cb-room.h"
#include "civic-bridge/cb-schedule.h"
#include "civic-bridge/cb-turn-credentials.h"

G_BEGIN_DECLS

/* the publisher ids a room knows: fixed by who publishes, so a client that
 * reconnects comes back to its slot and its subscribers */
#define CB_MEDIA_HALL_ID    "hall"
#define CB_MEDIA_CITIZEN_ID "citizen"
/* a bridge point publishes as "bp-<id>" */
#define CB_MEDIA_BRIDGE_POINT_PREFIX "bp-"

/* longest client-chosen peer handle */
#define CB_MEDIA_MAX_HANDLE_BYTES 64

#define CB_TYPE_MEDIA_ROOMS (cb_media_rooms_get_type())
G_DECLARE_FINAL_TYPE(CbMediaRooms, cb_media_rooms, CB, MEDIA_ROOMS, GObject)

/**
 * CbMediaPeerInfo:
 * @id: the peer's id in the room ("hall", "bp-3", "citizen", "s17")
 * @owner: who holds it: "ws:<client id>", "whip:bp-<id>" or "whep:<token id>"
 * @handle: the owner's name for it (the WebSocket "peer", the WHIP or WHEP resource)
 * @session_id: its session
 * @publisher: publisher or subscriber
 * @slot: a subscriber's slot (a publisher id or "floor"); a publisher's id
 * @kind: "hall", "bridge_point", "citizen" or "viewer"
 * @bridge_point_id: an operator's bridge point
 * @ticket_id: a citizen's ticket
 * @offer: (nullable): the client's offer once sent
 * @state: the connection state last reported
 * @orphaned: its WebSocket closed; it keeps its slot for the grace period
 */
typedef struct {
	char *id;
	char *owner;
	char *handle;
	gint64 session_id;
	gboolean publisher;
	char *slot;
	const char *kind;
	gint64 bridge_point_id;
	gint64 ticket_id;
	char *offer;
	const char *state;
	gboolean orphaned;
} CbMediaPeerInfo;

/**
 * cb_media_rooms_new:
 *
 * Follows @schedule: a room exists while its session is `live` (made on the
 * transition, and by cb_media_rooms_start() for sessions live already), and
 * goes with every peer when the session ends or is cancelled. Follows @queue:
 * the room is confidential while the admitted ticket is a denunciation, and
 * the admitted citizen's peers go when their ticket leaves `admitted`.
 *
 * Signals (main context):
 * - `peer-description` (gint64 session_id, const CbMediaPeerInfo *peer,
 *   const char *type, const char *sdp): the room's answer;
 * - `peer-candidate` (gint64 session_id, const CbMediaPeerInfo *peer, guint
 *   mline, const char *candidate): a room candidate to trickle;
 * - `peer-event` (gint64 session_id, const CbMediaPeerInfo *peer, const char
 *   *event, const char *detail): "joined", "state" (detail: the state, or
 *   "dropped" when its WebSocket closed) or "left" (detail: the reason:
 *   "left", "removed", "replaced", "gone", "error", "failed", "ticket",
 *   "session-ended");
 * - `floor-changed` (gint64 session_id, const char *publisher_or_null);
 * - `muted` (gint64 session_id, const char *peer_id, gboolean audio,
 *   gboolean video);
 * - `peer-quality` (gint64 session_id, const CbMediaPeerInfo *peer,
 *   const CbPeerQuality *quality): a connected peer's connection quality,
 *   at most once per [media] stats-interval-seconds;
 * - `recording-changed` (gint64 session_id, gboolean active, const char
 *   *reason, const char *message_or_null): recording started ("leadership",
 *   "staff") or stopped ("staff", "session-ended", "disk-full", "error");
 *   @message says what went wrong.
 */
CbMediaRooms *cb_media_rooms_new(CbSchedule *schedule, CbQueue *queue, const CbConfig *config);

/* makes the rooms of the sessions that are live already */
gboolean cb_media_rooms_start(CbMediaRooms *self, GError **error);

/* takes the reloadable [media] keys (the grace period, the client ICE
 * servers, the TURN servers and their secret) */
void cb_media_rooms_reconfigure(CbMediaRooms *self, const CbConfig *config);

/* STUN and TURN servers for clients ([media] client-ice-servers and
 * turn-servers): cb_ice_servers_for_peer() gives a peer's, with credentials */
const CbIceServers *cb_media_rooms_get_ice_servers(CbMediaRooms *self);

/* peers one owner (a WebSocket connection, a WHIP bridge point, a WHEP
 * token) may hold at once: [media] max-peers-per-connection */
guint cb_media_rooms_get_max_peers_per_owner(CbMediaRooms *self);

gboolean cb_media_rooms_has_room(CbMediaRooms *self, gint64 session_id);

/**
 * cb_media_rooms_join:
 * @caller: whose token; decides what they may publish and receive
 * @owner: "ws:<id>", "whip:bp-<id>" or "whep:<token id>"
 * @handle: the owner's name for the peer; unique per owner
 * @publisher: TRUE to publish (as the hall, the caller's bridge point, or
 *   the admitted citizen), FALSE to receive @slot
 * @slot: (nullable): what a subscriber receives; for a publisher, NULL or
 *   its own id
 *
 * Errors: CB_ERROR_NOT_FOUND (no such session, or no such slot),
 * CB_ERROR_CONFLICT (the session is not live; a peer of that handle or that
 * publisher id is connected), CB_ERROR_FORBIDDEN (the routing rules or the
 * ticket say no), CB_ERROR_UNAVAILABLE (the room is full), CB_ERROR_INVALID.
 *
 * Returns: (transfer none): the new peer
 */
const CbMediaPeerInfo *cb_media_rooms_join(CbMediaRooms *self, const CbTokenRecord *caller,
					   const char *owner, const char *handle, gint64 session_id,
					   gboolean publisher, const char *slot, GError **error);

/* the peer @owner calls @handle, or NULL */
const CbMediaPeerInfo *cb_media_rooms_lookup(CbMediaRooms *self, const char *owner,
					     const char *handle);

/* the client's offer; the answer comes in `peer-description` */
gboolean cb_media_rooms_offer(CbMediaRooms *self, const char *owner, const char *handle,
			      const char *sdp, GError **error);

gboolean cb_media_rooms_candidate(CbMediaRooms *self, const char *owner, const char *handle,
				  guint mline, const char *candidate, GError **error);

/* the owner's peer leaves ("left") */
gboolean cb_media_rooms_leave(CbMediaRooms *self, const char *owner, const char *handle,
			      GError **error);

/* an owner is gone (its WebSocket closed): its subscribers leave at once; its
 * publishers keep their slots for [media] reconnect-grace-seconds and are
 * replaced by the same publisher joining again, or leave ("gone") */
void cb_media_rooms_release_owner(CbMediaRooms *self, const char *owner);

/**
 * CbMediaAnswerFunc:
 * @sdp: (nullable): the answer with every server candidate, or NULL with @error
 */
typedef void (*CbMediaAnswerFunc)(const char *sdp, const GError *error, gpointer user_data);

/* calls @func once the peer's answer has all the room's candidates (ICE
 * gathering complete), or what it has after @timeout_ms, or with an error
 * when the peer goes first. @destroy frees @user_data once @func ran or the
 * rooms go. */
void cb_media_rooms_wait_answer(CbMediaRooms *self, const char *owner, const char *handle,
				guint timeout_ms, CbMediaAnswerFunc func, gpointer user_data,
				GDestroyNotify destroy);

/* staff: the floor to a publisher id, or to nobody (NULL) */
gboolean cb_media_rooms_set_floor(CbMediaRooms *self, gint64 session_id, const char *publisher,
				  GError **error);
/* staff: stops (TRUE) or resumes a publisher's audio and video */
gboolean cb_media_rooms_mute(CbMediaRooms *self, gint64 session_id, const char *peer_id,
			     gboolean audio, gboolean video, GError **error);
/* staff: removes any peer ("removed") */
gboolean cb_media_rooms_remove(CbMediaRooms *self, gint64 session_id, const char *peer_id,
			       GError **error);

/**
 * CbMediaPeerFunc:
 * @quality: (nullable): the last quality sampled while it is connected
 * @keyframe_requests: for a publisher, keyframe requests sent to its client
 *   so far (the count of its slot, which outlives a reconnect); 0 otherwise
 */
typedef void (*CbMediaPeerFunc)(gint64 session_id, const CbMediaPeerInfo *peer,
				const CbPeerQuality *quality, guint keyframe_requests,
				gpointer user_data);

/* every peer of every room, for status and metrics; @func must not change the rooms */
void cb_media_rooms_foreach_peer(CbMediaRooms *self, CbMediaPeerFunc func, gpointer user_data);
guint cb_media_rooms_get_n_rooms(CbMediaRooms *self);

/* where recordings go (STATE/recordings): without it nothing is recorded.
 * Closes the manifests of recordings a daemon left in the middle. */
void cb_media_rooms_set_state_dir(CbMediaRooms *self, const char *state_dir);

/**
 * cb_media_rooms_start_recording:
 *
 * Staff start recording a live session (a leadership session records by
 * itself from live to ended). It continues the session's recording in a new
 * part. Errors: CB_ERROR_NOT_FOUND (no such session), CB_ERROR_CONFLICT (not
 * live, recording already, the last recording still closing, or free space
 * under [recording] min-free-mb), CB_ERROR_UNAVAILABLE (no state directory).
 */
gboolean cb_media_rooms_start_recording(CbMediaRooms *self, gint64 session_id, GError **error);
/* CB_ERROR_CONFLICT when it does not record */
gboolean cb_media_rooms_stop_recording(CbMediaRooms *self, gint64 session_id, GError **error);
gboolean cb_media_rooms_get_recording(CbMediaRooms *self, gint64 session_id);
/* the daemon stops (SIGTERM): every recording stops with reason "shutdown",
 * finishing its open segments, and none starts any more; a staff recording
 * stays remembered and resumes at the next start. Returns how many
 * recordings are still closing (see cb_media_rooms_count_recordings()). */
guint cb_media_rooms_shutdown_recordings(CbMediaRooms *self);
/* recordings running or still closing their segments and manifests */
guint cb_media_rooms_count_recordings(CbMediaRooms *self);

/* for tests and status: peers in a session's room (0 without a room) */
guint cb_media_rooms_get_n_peers(CbMediaRooms *self, gint64 session_id);
gboolean cb_media_rooms_get_confidential(CbMediaRooms *self, gint64 session_id);

G_END_DECLS
