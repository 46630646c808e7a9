/* civic-bridge media: what the room, peer and forwarding files share */
#pragma once

#include <gst/gst.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>
#include <gst/sdp/sdp.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-room.h"

typedef enum {
	CB_TRACK_VIDEO,
	CB_TRACK_AUDIO,
	CB_N_TRACKS,
} CbTrack;

typedef enum {
	CB_AUDIENCE_HALL,   /* the hall and viewers: see everything */
	CB_AUDIENCE_PUBLIC, /* bridge points and the citizen */
	CB_N_AUDIENCES,
} CbAudience;

/* m-lines an offer may have: one video and one audio */
#define CB_MAX_MLINES 2

/* a field of the room's own keyframe requests (GstForceKeyUnit upstream) */
#define CB_ROOM_KEY_REQUEST_FIELD "cb-room"

typedef enum {
	CB_CODEC_NONE,
	CB_CODEC_VP8,
	CB_CODEC_H264,
	CB_CODEC_OPUS,
	CB_N_CODECS,
} CbCodec;

/* what one media section of an offer can carry (cb-codec.c) */
typedef struct {
	gboolean offered[CB_N_CODECS]; /* usable: H.264 only with a fitting fmtp */
	guint pt[CB_N_CODECS];
	const char *h264_problem; /* why an offered H.264 is unusable; NULL: it is not */
	guint audio_level_id;     /* ssrc-audio-level's extmap id; 0: not offered */
} CbCodecOffer;

/* depayloader, and for H.264 parser and capsfilter */
#define CB_MAX_DEPAY_ELEMENTS 3

/*
 * A gate is what streaming threads read: probes drop buffers while it is
 * closed or held, and drop delta frames until a keyframe while it waits for
 * one. The main context writes it; both sides only use atomics. Reference
 * counted, since a probe holds one.
 */
typedef struct {
	gint ref;
	gint open;     /* atomic */
	gint need_key; /* atomic */
	gint held;     /* atomic: a subscriber's branch until its connection is up */
} CbGate;

CbGate *cb_gate_new(void);
CbGate *cb_gate_ref(CbGate *gate);
void cb_gate_unref(CbGate *gate);
/* installs the dropping probe on @pad (buffers going downstream) */
void cb_gate_attach(CbGate *gate, GstPad *pad);

/* cb-branch-entry.c: a branch's first element; it answers its tee "ok"
 * whatever the branch answered (a failure is posted as its error) */
#define CB_TYPE_BRANCH_ENTRY (cb_branch_entry_get_type())
G_DECLARE_FINAL_TYPE(CbBranchEntry, cb_branch_entry, CB, BRANCH_ENTRY, GstElement)
GstElement *cb_branch_entry_new(void);
/* drops everything from now on (any thread) */
void cb_branch_entry_close(GstElement *entry);

typedef struct _CbLanes CbLanes;

/* a chain from a tee: the entry (no queue: the tee's thread runs the
 * branch), then an optional payloader, then @sink_pad */
typedef struct {
	GstElement *bin; /* the pipeline */
	GstElement *tee;
	GstPad *tee_pad;
	GstElement *entry;
	GstElement *pay; /* NULL: none */
	GstElement *sink_owner;
	GstPad *sink_pad; /* a pad of @sink_owner, released if a request pad */
	CbGate *gate;
	CbLanes *lanes; /* a subscriber's: those @tee is a lane of; else NULL */
} CbBranch;

CbBranch *cb_branch_new(GstElement *pipeline, GstElement *tee, GstElement *pay,
			GstElement *sink_owner, GstPad *sink_pad, GError **error);
/* the same, its gate held from the start (a subscriber's, until its
 * connection is up: nothing may enter before, not even between linking and
 * holding) */
CbBranch *cb_branch_new_held(GstElement *pipeline, GstElement *tee, GstElement *pay,
			     GstElement *sink_owner, GstPad *sink_pad, GError **error);
/* leaves the tee: once it returns no thread is inside the branch or will
 * enter it (idempotent; main context; waits a bounded time) */
void cb_branch_detach(CbBranch *branch);
/* unlinks and destroys, and leaves its lane; call on the main context */
void cb_branch_free(CbBranch *branch);

/* cb-lane.c: the threads that send to subscribers; a subscriber's branch
 * hangs from a lane (leaky queue and tee) of its source tee */
CbLanes *cb_lanes_new(GstElement *pipeline);
void cb_lanes_free(CbLanes *lanes);
/* cb_branch_new_held() on a lane of @source with room for it, made if none
 * has */
CbBranch *cb_lanes_branch_new(CbLanes *lanes, GstElement *source, GstElement *pay,
			      GstElement *sink_owner, GstPad *sink_pad, GError **error);
/* a branch on @lane_tee is gone; the lane goes with its last one */
void cb_lanes_release(CbLanes *lanes, GstElement *lane_tee);
guint cb_lanes_count(CbLanes *lanes);

/* what one publisher id feeds; it outlives its publisher so a publisher that
 * comes back under the same id feeds the same subscribers */
typedef struct {
	char *id;
	CbPeerKind kind;
	/* the first element of each track's depayloading chain (NULL for video
	 * until the slot's codec is fixed) and the ones after it */
	GstElement *depay[CB_N_TRACKS];
	GstElement *depay_chain[CB_N_TRACKS][CB_MAX_DEPAY_ELEMENTS];
	/* fixed by the first offer that involves the slot (its publisher's, a
	 * direct subscriber's, or the floor's when it holds the floor) */
	CbCodec video_codec;
	GstElement *tee[CB_N_TRACKS];
	CbGate *mute[CB_N_TRACKS];                           /* on the tee's input */
	CbBranch *floor_branch[CB_N_AUDIENCES][CB_N_TRACKS]; /* into the floor selectors */
	gint64 last_key_request;                             /* monotonic µs; 0: never */
	GSource *key_timer;                                  /* a merged request pending */
	/* the pending request is wanted by more than subscribers waiting for
	 * their first keyframe, so it goes out even if they have had one */
	gboolean key_timer_required;
	guint key_requests;
} CbSlot;

/* the floor: per audience and track, a selector of every slot's branch, and a
 * tee its subscribers hang from */
typedef struct {
	GstElement *selector[CB_N_AUDIENCES][CB_N_TRACKS];
	GstPad *none_pad[CB_N_AUDIENCES][CB_N_TRACKS]; /* active when nobody may be seen */
	GstElement *tee[CB_N_AUDIENCES][CB_N_TRACKS];
	CbGate *switch_gate[CB_N_AUDIENCES]; /* video: waits for a keyframe after a switch */
} CbFloor;

typedef struct {
	char *id;
	guint serial; /* tells apart peers that reuse an id */
	gboolean publisher;
	CbPeerKind kind;
	char *slot_id; /* subscriber: a publisher id or "floor" */
	GstElement *webrtc;
	CbBranch *branch[CB_N_TRACKS]; /* subscriber */
	CbCodec video_codec;           /* what its video carries; NONE: no video */
	CbSlot *slot;                  /* publisher: the slot it feeds */
	gboolean have_offer;
	guint n_mlines;
	guint candidates[CB_MAX_MLINES];
	const char *state;
	gboolean gathered; /* gathering-complete emitted */
} CbPeer;

/* cb-room.c: for peer and forwarding files */
GstElement *cb_room_get_pipeline(CbRoom *room);
const CbMediaConfig *cb_room_get_config(CbRoom *room);
CbPeer *cb_room_lookup_peer(CbRoom *room, const char *peer_id, guint serial);
CbSlot *cb_room_lookup_slot(CbRoom *room, const char *slot_id);
void cb_room_emit_local_description(CbRoom *room, CbPeer *peer, const char *type, const char *sdp);
void cb_room_emit_local_candidate(CbRoom *room, CbPeer *peer, guint mline, const char *candidate);
void cb_room_emit_gathering_complete(CbRoom *room, CbPeer *peer);
void cb_room_peer_state_changed(CbRoom *room, CbPeer *peer, const char *state);
void cb_room_peer_failed(CbRoom *room, CbPeer *peer, const char *reason, const char *detail);
void cb_room_publisher_track_up(CbRoom *room, CbPeer *peer, CbTrack track);
/* a keyframe request for whatever the subscriber's video branch carries */
void cb_room_subscriber_wants_keyframe(CbRoom *room, CbPeer *peer);
/* the tee a subscriber of @slot_id in @audience hangs from */
GstElement *cb_room_get_source_tee(CbRoom *room, const char *slot_id, CbAudience audience,
				   CbTrack track);
GMainContext *cb_room_get_context(CbRoom *room);
CbLanes *cb_room_get_lanes(CbRoom *room);
/* calls @func (peer id, CbPeer) for every peer; @func must not add or remove peers */
void cb_room_foreach_peer(CbRoom *room, GHFunc func, gpointer user_data);
void cb_room_emit_peer_quality(CbRoom *room, CbPeer *peer, const CbPeerQuality *quality);

/* for the codec rules in cb-codec.c */
CbSlot *cb_room_get_floor_holder(CbRoom *room);
/* the codec the floor's video subscribers receive; NONE: it has none */
CbCodec cb_room_get_floor_codec(CbRoom *room);
gboolean cb_room_get_h264_allowed(CbRoom *room);
void cb_room_veto_h264(CbRoom *room);

/* cb-codec.c */
const char *cb_codec_name(CbCodec codec);
gboolean cb_codec_parse_section(const GstSDPMessage *msg, const GstSDPMedia *media, guint index,
				CbTrack track, CbCodecOffer *offer, GError **error);
/* @required if not NONE (@why says why, for the error), else @preferred
 * if offered, else VP8, else H.264 */
CbCodec cb_codec_choose(const CbCodecOffer *offer, CbCodec required, CbCodec preferred,
			const char *why, GError **error);
GstCaps *cb_codec_section_caps(const GstSDPMedia *media, CbCodec codec, guint pt,
			       guint audio_level_id);
GstElement *cb_codec_make_payloader(CbCodec codec, guint pt, guint audio_level_id, GError **error);
guint cb_codec_make_depayloader(CbCodec codec, GstElement *out[CB_MAX_DEPAY_ELEMENTS],
				GError **error);
void cb_codec_set_extensions(GstElement *rtp, guint audio_level_id);
/* drops what reaches @pay before caps of @codec (stale caps of the floor) */
void cb_codec_guard_payloader(GstElement *pay, CbCodec codec);
/* the room's rules: which video codec a peer's offer gets (NONE and @error
 * if it cannot take the one it must), and whether a publisher may have the
 * floor; they fix a slot's codec where it was not fixed yet */
void cb_codec_note_offer(CbRoom *room, const CbCodecOffer *offer);
CbCodec cb_codec_choose_for_publisher(CbRoom *room, CbPeer *peer, const CbCodecOffer *offer,
				      GError **error);
CbCodec cb_codec_choose_for_subscriber(CbRoom *room, CbPeer *peer, const CbCodecOffer *offer,
				       GError **error);
gboolean cb_codec_check_floor(CbRoom *room, CbSlot *slot, GError **error);

/* cb-peer.c */
CbPeer *cb_peer_new(CbRoom *room, const char *peer_id, guint serial, gboolean publisher,
		    CbPeerKind kind, CbSlot *slot, GError **error);
void cb_peer_free(CbPeer *peer, GstElement *pipeline);
gboolean cb_peer_apply_offer(CbRoom *room, CbPeer *peer, const char *sdp, GError **error);
gboolean cb_peer_add_candidate(CbRoom *room, CbPeer *peer, guint mline, const char *candidate,
			       GError **error);
/* the peer's element whose failure is this peer's failure, for tests */
GstElement *cb_peer_get_element(CbPeer *peer);

/* cb-forward.c */
CbSlot *cb_slot_new(GstElement *pipeline, CbFloor *floor, const char *id, CbPeerKind kind,
		    GError **error);
void cb_slot_free(CbSlot *slot, CbFloor *floor);
/* fixes the slot's video codec and makes its depayloading chain; once only */
gboolean cb_slot_set_video_codec(CbSlot *slot, GstElement *pipeline, CbCodec codec, GError **error);
gboolean cb_floor_init(CbFloor *floor, GstElement *pipeline, GError **error);
void cb_floor_clear(CbFloor *floor, GstElement *pipeline);
/* points the floor of @audience at @slot (NULL: nobody) */
void cb_floor_select(CbFloor *floor, CbAudience audience, CbSlot *slot);
CbAudience cb_audience_of(CbPeerKind kind);
const char *cb_track_name(CbTrack track);

/* cb-peer-stats.c: each connected peer's quality, every interval */
typedef struct _CbQualitySampler CbQualitySampler;
/* NULL when @interval_seconds is 0: no sampling */
CbQualitySampler *cb_quality_sampler_new(CbRoom *room, guint interval_seconds);
/* stops sampling; replies still in flight are dropped */
void cb_quality_sampler_free(CbQualitySampler *sampler);
/* one reading of a webrtcbin's "get-stats" reply, parsed on any thread;
 * missing or odd fields are skipped. Also for tests. */
typedef struct _CbStatsReading CbStatsReading;
CbStatsReading *cb_stats_reading_parse(const GstStructure *stats, gint64 time_us);
void cb_stats_reading_free(CbStatsReading *reading);
/* the quality between two readings of one peer; FALSE when @cur is not later */
gboolean cb_stats_quality(const CbStatsReading *prev, const CbStatsReading *cur, gboolean publisher,
			  CbPeerQuality *quality);

/* private to tests: the element of a peer, to make it fail */
GstElement *cb_room_get_peer_element(CbRoom *room, const char *peer_id);
