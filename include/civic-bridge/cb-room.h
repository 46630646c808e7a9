/* civic-bridge: the media room of one live session (no GStreamer types here) */
#pragma once

#include <glib-object.h>

#include "civic-bridge/cb-config.h"

G_BEGIN_DECLS

/**
 * CbMediaConfig:
 * @ice_addresses: (nullable): local addresses libnice gathers candidates on;
 *   NULL or empty: every interface's address
 * @udp_port_min: lowest local UDP port for ICE; 0 with @udp_port_max 0: any
 * @udp_port_max: highest local UDP port for ICE
 * @stun_server: (nullable): "stun://host:port" for server-reflexive candidates
 * @jitterbuffer_latency_ms: how long packets after a lost one wait for its
 *   retransmission (cb-relay-buffer.c; there is no jitterbuffer)
 * @max_sdp_bytes: longest SDP a client may send
 * @max_candidates: remote candidates one media section may receive
 * @max_peers: peers one room holds at most
 * @max_peers_per_owner: peers one owner (a WebSocket connection, a WHIP
 *   bridge point, a WHEP token) holds at most, across rooms
 * @keyframe_interval_ms: keyframe requests to one publisher are merged to one
 *   per this interval
 * @stats_interval_seconds: each connected peer's quality is sampled this
 *   often (`peer-quality`); 0: never
 * @turn_server: (nullable): a TURN URI ("turn:host:port?transport=udp") each
 *   peer relays through, with a TURN REST credential naming the peer
 * @turn_secret: (nullable): the secret those credentials are signed with
 * @turn_ttl_seconds: how long such a credential works
 *
 * What a room needs from the daemon's configuration ([media] group). It owns
 * its strings: initialise with cb_media_config_init(), clear with
 * cb_media_config_clear(); a room copies it.
 */
typedef struct {
	char **ice_addresses;
	guint16 udp_port_min;
	guint16 udp_port_max;
	char *stun_server;
	guint jitterbuffer_latency_ms;
	gsize max_sdp_bytes;
	guint max_candidates;
	guint max_peers;
	guint max_peers_per_owner;
	guint keyframe_interval_ms;
	guint stats_interval_seconds;
	char *turn_server;
	char *turn_secret;
	guint turn_ttl_seconds;
} CbMediaConfig;

/* fills @media from @config, or with the built-in defaults when @config is NULL */
void cb_media_config_init(CbMediaConfig *media, const CbConfig *config);
void cb_media_config_clear(CbMediaConfig *media);
/* takes the TURN server and secret of @config (they may change on reload) */
void cb_media_config_set_turn(CbMediaConfig *media, const CbConfig *config);

/**
 * CbPeerKind:
 * @CB_PEER_KIND_HALL: the city reception hall
 * @CB_PEER_KIND_BRIDGE_POINT: a district bridge point
 * @CB_PEER_KIND_CITIZEN: the admitted citizen
 * @CB_PEER_KIND_VIEWER: a staff viewer (sees what the hall sees)
 *
 * Who is at the other end of a peer. It decides what confidentiality hides:
 * the hall and viewers are the "hall audience" and see everything; bridge
 * points and the citizen are the "public audience".
 */
typedef enum {
	CB_PEER_KIND_HALL,
	CB_PEER_KIND_BRIDGE_POINT,
	CB_PEER_KIND_CITIZEN,
	CB_PEER_KIND_VIEWER,
} CbPeerKind;

/**
 * CbPeerQuality:
 * @publisher: what the numbers are about: for a publisher, what the room
 *   receives from it; for a subscriber, what the room sends it (as its
 *   client reports in RTCP)
 * @kind: who is at the other end
 * @seconds: the time the rates and deltas cover (about the sampling interval)
 * @bitrate_kbps: RTP payload and headers in kbit/s over @seconds, audio and
 *   video together
 * @has_loss: whether @loss is known (no packets flowed, or no report came yet)
 * @loss: lost packets over expected packets, 0 to 1
 * @has_jitter: whether @jitter_ms is known
 * @jitter_ms: interarrival jitter (RFC 3550), the worst of the streams
 * @has_rtt: whether @rtt_ms is known: a subscriber's client reports it with
 *   its RTCP receiver reports; a publisher only sends, so the room has no
 *   round trip to measure for it
 * @rtt_ms: round-trip time, the worst of the streams
 *
 * One sample of a peer's connection quality, from webrtcbin's statistics.
 */
typedef struct {
	gboolean publisher;
	CbPeerKind kind;
	double seconds;
	double bitrate_kbps;
	gboolean has_loss;
	double loss;
	gboolean has_jitter;
	double jitter_ms;
	gboolean has_rtt;
	double rtt_ms;
} CbPeerQuality;

/* the virtual slot whose source staff switch with cb_room_set_floor() */
#define CB_ROOM_SLOT_FLOOR "floor"

#define CB_TYPE_ROOM (cb_room_get_type())
G_DECLARE_FINAL_TYPE(CbRoom, cb_room, CB, ROOM, GObject)

/**
 * cb_room_new:
 * @session_id: the live session the room belongs to (for logs)
 * @config: ICE and limits; copied
 *
 * Makes a room and starts its pipeline. Signals are emitted on the thread-default
 * main context of the caller, which must own the room.
 *
 * Signals (every one on that main context, never on a streaming thread):
 * - `local-description` (peer_id, type, sdp): the room's answer for a peer;
 * - `local-candidate` (peer_id, mline, candidate): a room candidate to trickle;
 * - `peer-state` (peer_id, state): "new", "connecting", "connected", "failed"
 *   or "closed" (a disconnected path that may recover reads "connecting");
 * - `peer-removed` (peer_id, reason): "left" (cb_room_remove_peer()), "error"
 *   (its elements failed), "failed" (its negotiation failed);
 * - `gathering-complete` (peer_id): the room has gathered all its candidates
 *   for the peer, each emitted in `local-candidate` before (WHIP answers
 *   carry every candidate and wait for this);
 * - `peer-quality` (peer_id, const CbPeerQuality *quality): every
 *   @config's stats_interval_seconds for each connected peer, from the
 *   second sample on (the first one is the baseline of the deltas).
 */
CbRoom *cb_room_new(gint64 session_id, const CbMediaConfig *config, GError **error);

/**
 * cb_room_add_publisher:
 * @peer_id: unique within the room; a publisher that comes back under the
 *   same id (a new connection after a drop) feeds the subscribers it fed
 * @kind: who publishes
 *
 * A client that sends camera and microphone (WHIP-like): it sends an offer
 * through cb_room_set_remote_description() and gets the room's answer in
 * `local-description`.
 */
gboolean cb_room_add_publisher(CbRoom *room, const char *peer_id, CbPeerKind kind, GError **error);

/**
 * cb_room_add_subscriber:
 * @slot: the peer id of a publisher added before, or %CB_ROOM_SLOT_FLOOR
 * @kind: who receives; decides the audience (see #CbPeerKind)
 *
 * A client that receives one slot (WHEP-like): it offers receive-only audio
 * and/or video through cb_room_set_remote_description() and gets the answer.
 */
gboolean cb_room_add_subscriber(CbRoom *room, const char *peer_id, const char *slot,
				CbPeerKind kind, GError **error);

/* @sdp_type is "offer" (the only one clients send: the room always answers) */
gboolean cb_room_set_remote_description(CbRoom *room, const char *peer_id, const char *sdp_type,
					const char *sdp, GError **error);

/* a trickled client candidate ("candidate:..." with or without "a="); an
 * empty one (end of candidates) and mDNS `.local` ones are ignored */
gboolean cb_room_add_remote_candidate(CbRoom *room, const char *peer_id, guint mline,
				      const char *candidate, GError **error);

/* removes a peer; `peer-removed` follows with reason "left" */
gboolean cb_room_remove_peer(CbRoom *room, const char *peer_id, GError **error);

/* gives the floor to a publisher (by peer id), or takes it (NULL) */
gboolean cb_room_set_floor(CbRoom *room, const char *publisher_id, GError **error);
const char *cb_room_get_floor(CbRoom *room);

/* while TRUE, no citizen publisher reaches the public audience, through the
 * floor or a direct subscription; the hall audience still gets it */
void cb_room_set_confidential(CbRoom *room, gboolean confidential);
gboolean cb_room_get_confidential(CbRoom *room);

/* stops (TRUE) or resumes forwarding a publisher's audio and video */
gboolean cb_room_mute(CbRoom *room, const char *peer_id, gboolean audio, gboolean video,
		      GError **error);

/* peer ids, and whether one is present */
guint cb_room_get_n_peers(CbRoom *room);
gboolean cb_room_has_peer(CbRoom *room, const char *peer_id);

/**
 * CbRoomRecording:
 * @folder: where the tracks go (STATE/recordings/SESSION)
 * @confidential_folder: where a citizen's tracks go while the room is
 *   confidential (STATE/recordings/SESSION-confidential)
 * @part: the live period; in the file names (`PEER/TRACK-pPART-SEQ.mkv`)
 * @segment_seconds: length of a segment; a keyframe is asked for this often
 *
 * Recording, per published track and without decoding: a leaky queue from
 * the slot's tee (the recording never stalls forwarding), a parser, and
 * streamable Matroska segments written unbuffered (files 0600, folders
 * 0700). Signals (main context):
 * - `recording-segment` (gboolean confidential, const CbManifestSegment *):
 *   a segment was closed (its file relative to the folder);
 * - `recording-failed` (const char *message): a segment cannot be written;
 *   the room stops recording by itself (live media goes on);
 * - `recording-stopped`: every track is closed after a stop or a failure.
 */
typedef struct {
	const char *folder;
	const char *confidential_folder;
	guint part;
	guint segment_seconds;
} CbRoomRecording;

/* CB_ERROR_CONFLICT when it records or is still closing a recording */
gboolean cb_room_start_recording(CbRoom *room, const CbRoomRecording *spec, GError **error);
/* closes every segment; `recording-stopped` follows (at once when idle) */
void cb_room_stop_recording(CbRoom *room);
/* recording, or closing a recording */
gboolean cb_room_get_recording(CbRoom *room);

/* keyframe requests sent to a publisher's client so far (merged ones not counted) */
guint cb_room_get_keyframe_requests(CbRoom *room, const char *publisher_id);

/* times a lane of any room in this process (the thread that sends one
 * publisher's track to up to 8 subscribers) fell 300 ms behind and dropped
 * its oldest frames to catch up: the media the daemon itself dropped */
guint64 cb_room_get_lane_overruns(void);

G_END_DECLS
