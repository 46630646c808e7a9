#define G_LOG_DOMAIN "CbRoom"

/*
 * A room: one GstPipeline per live session.
 *
 * Topology, chosen so nobody ever renegotiates: every client connection is
 * one-way. A publisher peer sends camera and microphone; a subscriber peer
 * receives one slot, either one publisher or the virtual "floor". Who sees
 * whom changes by switching what feeds a slot inside the pipeline (see
 * cb-forward.c), never by adding or removing m-lines, which GStreamer 1.22
 * cannot do mid-session without a full renegotiation (and has no ICE restart).
 * A browser that both sends and receives opens two peer connections: cheap
 * with bundling, and it is exactly what WHIP and WHEP do.
 *
 * All state is owned by the main context of the thread that made the room.
 */

#include "cb-media-private.h"

#include <string.h>

#include "../recording/cb-recorder.h"

#define CB_MAX_PEER_ID_BYTES 64

struct _CbRoom {
	GObject parent_instance;

	gint64 session_id;
	CbMediaConfig config;
	GMainContext *context;
	GstElement *pipeline;
	GSource *bus_watch;
	GHashTable *peers; /* id -> CbPeer */
	GHashTable *slots; /* publisher id -> CbSlot */
	CbFloor floor;
	char *floor_id;
	gboolean confidential;
	gboolean h264_vetoed; /* a peer offered video without a usable H.264 */
	guint next_serial;
	CbQualitySampler *quality; /* NULL: not sampled */
	CbRecorder *recorder;      /* NULL: not recording */
	GSource *recorder_reap;    /* frees a recorder that has stopped */
	CbLanes *lanes;            /* what sends to subscribers */
};

enum {
	SIGNAL_LOCAL_DESCRIPTION,
	SIGNAL_LOCAL_CANDIDATE,
	SIGNAL_PEER_STATE,
	SIGNAL_PEER_REMOVED,
	SIGNAL_GATHERING_COMPLETE,
	SIGNAL_PEER_QUALITY,
	SIGNAL_RECORDING_SEGMENT,
	SIGNAL_RECORDING_FAILED,
	SIGNAL_RECORDING_STOPPED,
	N_SIGNALS,
};

static guint cb_room_signals[N_SIGNALS];

G_DEFINE_TYPE(CbRoom, cb_room, G_TYPE_OBJECT)

static void
cb_room_dispose(GObject *object)
{
	CbRoom *self = CB_ROOM(object);

	g_clear_pointer(&self->quality, cb_quality_sampler_free);
	if (self->bus_watch != NULL) {
		g_source_destroy(self->bus_watch);
		g_clear_pointer(&self->bus_watch, g_source_unref);
	}
	if (self->pipeline != NULL) {
		GHashTableIter iter;
		gpointer value;

		gst_element_set_state(self->pipeline, GST_STATE_NULL);
		if (self->recorder_reap != NULL) {
			g_source_destroy(self->recorder_reap);
			g_clear_pointer(&self->recorder_reap, g_source_unref);
		}
		g_clear_pointer(&self->recorder, cb_recorder_free);
		g_hash_table_iter_init(&iter, self->peers);
		while (g_hash_table_iter_next(&iter, NULL, &value)) {
			cb_peer_free(value, self->pipeline);
			g_hash_table_iter_remove(&iter);
		}
		g_hash_table_iter_init(&iter, self->slots);
		while (g_hash_table_iter_next(&iter, NULL, &value)) {
			cb_slot_free(value, &self->floor);
			g_hash_table_iter_remove(&iter);
		}
		cb_floor_clear(&self->floor, self->pipeline);
		/* each went with its last subscriber */
		g_clear_pointer(&self->lanes, cb_lanes_free);
		gst_clear_object(&self->pipeline);
	}
	G_OBJECT_CLASS(cb_room_parent_class)->dispose(object);
}

static void
cb_room_finalize(GObject *object)
{
	CbRoom *self = CB_ROOM(object);

	g_hash_table_unref(self->peers);
	g_hash_table_unref(self->slots);
	cb_media_config_clear(&self->config);
	g_free(self->floor_id);
	g_main_context_unref(self->context);
	G_OBJECT_CLASS(cb_room_parent_class)->finalize(object);
}

static void
cb_room_class_init(CbRoomClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = cb_room_dispose;
	object_class->finalize = cb_room_finalize;
	cb_room_signals[SIGNAL_LOCAL_DESCRIPTION] = g_signal_new(
		"local-description", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
		NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
	cb_room_signals[SIGNAL_LOCAL_CANDIDATE] = g_signal_new(
		"local-candidate", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
		G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_STRING);
	cb_room_signals[SIGNAL_PEER_STATE] =
		g_signal_new("peer-state", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
			     NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
	cb_room_signals[SIGNAL_PEER_REMOVED] =
		g_signal_new("peer-removed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
			     NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
	cb_room_signals[SIGNAL_GATHERING_COMPLETE] =
		g_signal_new("gathering-complete", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
			     NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
	cb_room_signals[SIGNAL_PEER_QUALITY] =
		g_signal_new("peer-quality", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
			     NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_POINTER);
	cb_room_signals[SIGNAL_RECORDING_SEGMENT] =
		g_signal_new("recording-segment", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
			     NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_BOOLEAN, G_TYPE_POINTER);
	cb_room_signals[SIGNAL_RECORDING_FAILED] =
		g_signal_new("recording-failed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
			     NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
	cb_room_signals[SIGNAL_RECORDING_STOPPED] =
		g_signal_new("recording-stopped", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
			     NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
cb_room_init(CbRoom *self)
{
	self->peers = g_hash_table_new(g_str_hash, g_str_equal);
	self->slots = g_hash_table_new(g_str_hash, g_str_equal);
	self->next_serial = 1;
}

/* ---- for the other media files ---- */

GstElement *
cb_room_get_pipeline(CbRoom *room)
{
	return room->pipeline;
}

const CbMediaConfig *
cb_room_get_config(CbRoom *room)
{
	return &room->config;
}

GMainContext *
cb_room_get_context(CbRoom *room)
{
	return room->context;
}

CbLanes *
cb_room_get_lanes(CbRoom *room)
{
	return room->lanes;
}

void
cb_room_foreach_peer(CbRoom *room, GHFunc func, gpointer user_data)
{
	g_hash_table_foreach(room->peers, func, user_data);
}

void
cb_room_emit_peer_quality(CbRoom *room, CbPeer *peer, const CbPeerQuality *quality)
{
	g_signal_emit(room, cb_room_signals[SIGNAL_PEER_QUALITY], 0, peer->id, quality);
}

CbPeer *
cb_room_lookup_peer(CbRoom *room, const char *peer_id, guint serial)
{
	CbPeer *peer = g_hash_table_lookup(room->peers, peer_id);

	return (peer != NULL && peer->serial == serial) ? peer : NULL;
}

CbSlot *
cb_room_lookup_slot(CbRoom *room, const char *slot_id)
{
	return g_hash_table_lookup(room->slots, slot_id);
}

GstElement *
cb_room_get_source_tee(CbRoom *room, const char *slot_id, CbAudience audience, CbTrack track)
{
	if (g_str_equal(slot_id, CB_ROOM_SLOT_FLOOR))
		return room->floor.tee[audience][track];
	return cb_room_lookup_slot(room, slot_id)->tee[track];
}

CbSlot *
cb_room_get_floor_holder(CbRoom *room)
{
	return room->floor_id != NULL ? cb_room_lookup_slot(room, room->floor_id) : NULL;
}

CbCodec
cb_room_get_floor_codec(CbRoom *room)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, room->peers);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		CbPeer *peer = value;

		if (!peer->publisher && peer->video_codec != CB_CODEC_NONE &&
		    g_str_equal(peer->slot_id, CB_ROOM_SLOT_FLOOR))
			return peer->video_codec;
	}
	return CB_CODEC_NONE;
}

gboolean
cb_room_get_h264_allowed(CbRoom *room)
{
	return !room->h264_vetoed;
}

void
cb_room_veto_h264(CbRoom *room)
{
	room->h264_vetoed = TRUE;
}

static CbSlot *
cb_room_floor_slot(CbRoom *room, CbAudience audience)
{
	CbSlot *slot = room->floor_id != NULL ? cb_room_lookup_slot(room, room->floor_id) : NULL;

	if (slot != NULL && audience == CB_AUDIENCE_PUBLIC && room->confidential &&
	    slot->kind == CB_PEER_KIND_CITIZEN)
		return NULL;
	return slot;
}

/* the slot whose publisher is to send a keyframe for @peer: a subscriber's
 * source, or a publisher's own slot (a loss on its way to the room) */
static CbSlot *
cb_room_subscriber_source(CbRoom *room, CbPeer *peer)
{
	if (peer->publisher)
		return cb_room_lookup_slot(room, peer->id);
	if (g_str_equal(peer->slot_id, CB_ROOM_SLOT_FLOOR))
		return cb_room_floor_slot(room, cb_audience_of(peer->kind));
	return cb_room_lookup_slot(room, peer->slot_id);
}

/* ---- keyframe requests, merged per publisher ---- */

/*
 * At most one request per keyframe-interval-ms per publisher. A joining
 * subscriber asks when its connection comes up, not when its offer
 * arrives: webrtcbin sends nothing before DTLS is up, so a keyframe asked
 * for earlier does not reliably reach the subscriber (its branch lets
 * nothing in before, see cb_room_subscriber_connected) and only spends the
 * interval the subscriber would then wait out. For the same reason a merged
 * request wanted only by subscribers waiting for their first keyframe is
 * not sent if none of them waits any more when the interval allows it.
 */

static void
cb_room_send_keyframe_request(CbRoom *room, CbSlot *slot)
{
	g_autoptr(GstPad) src = NULL;
	GstStructure *s;

	if (slot->depay[CB_TRACK_VIDEO] == NULL)
		return; /* no video codec yet: nothing to ask for */
	src = gst_element_get_static_pad(slot->depay[CB_TRACK_VIDEO], "src");
	/* marked, so the publisher's peer lets it through (cb_peer_upstream_event_cb) */
	s = gst_structure_new("GstForceKeyUnit", "all-headers", G_TYPE_BOOLEAN, FALSE,
			      CB_ROOM_KEY_REQUEST_FIELD, G_TYPE_BOOLEAN, TRUE, NULL);
	slot->last_key_request = g_get_monotonic_time();
	slot->key_requests++;
	g_debug("keyframe request to %s", slot->id);
	/* the depayloader passes it up to webrtcbin, whose RTP session sends PLI */
	gst_pad_send_event(src, gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, s));
}

/* whether a connected subscriber of @slot still waits for its first keyframe */
static gboolean
cb_room_slot_has_waiting_subscriber(CbRoom *room, CbSlot *slot)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, room->peers);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		CbPeer *peer = value;
		CbBranch *video = peer->branch[CB_TRACK_VIDEO];

		if (!peer->publisher && video != NULL && g_str_equal(peer->state, "connected") &&
		    g_atomic_int_get(&video->gate->need_key) &&
		    cb_room_subscriber_source(room, peer) == slot)
			return TRUE;
	}
	return FALSE;
}

typedef struct {
	CbRoom *room;
	char *slot_id;
} CbKeyTimer;

static void
cb_key_timer_free(gpointer data)
{
	CbKeyTimer *timer = data;

	g_free(timer->slot_id);
	g_free(timer);
}

static gboolean cb_room_key_timer_cb(gpointer data);

/* the pending request of @slot, due one interval after its last request */
static void
cb_room_arm_key_timer(CbRoom *room, CbSlot *slot, gboolean required)
{
	gint64 interval = (gint64)room->config.keyframe_interval_ms * G_TIME_SPAN_MILLISECOND;
	gint64 due = slot->last_key_request + interval - g_get_monotonic_time();
	CbKeyTimer *timer = g_new0(CbKeyTimer, 1);

	slot->key_timer_required = required;
	timer->room = room; /* the room destroys the timer before it goes */
	timer->slot_id = g_strdup(slot->id);
	slot->key_timer = g_timeout_source_new(MAX(due, 0) / 1000 + 1);
	g_source_set_callback(slot->key_timer, cb_room_key_timer_cb, timer, cb_key_timer_free);
	g_source_attach(slot->key_timer, room->context);
}

/* a request made while the publisher's stream was still setting up is lost,
 * and a publisher may send keyframes only when asked: while a connected
 * subscriber still waits for its first one, ask again once per interval */
static void
cb_room_send_and_follow(CbRoom *room, CbSlot *slot)
{
	cb_room_send_keyframe_request(room, slot);
	if (cb_room_slot_has_waiting_subscriber(room, slot))
		cb_room_arm_key_timer(room, slot, FALSE);
}

static gboolean
cb_room_key_timer_cb(gpointer data)
{
	CbKeyTimer *timer = data;
	CbSlot *slot = cb_room_lookup_slot(timer->room, timer->slot_id);

	if (slot == NULL)
		return G_SOURCE_REMOVE;
	g_clear_pointer(&slot->key_timer, g_source_unref);
	if (slot->key_timer_required || cb_room_slot_has_waiting_subscriber(timer->room, slot))
		cb_room_send_and_follow(timer->room, slot);
	else
		g_debug("keyframe request to %s: nobody waits for it any more", slot->id);
	return G_SOURCE_REMOVE;
}

/* @first_key: wanted only by subscribers waiting for their first keyframe */
static void
cb_room_request_keyframe(CbRoom *room, CbSlot *slot, gboolean first_key)
{
	gint64 interval = (gint64)room->config.keyframe_interval_ms * G_TIME_SPAN_MILLISECOND;
	gint64 now = g_get_monotonic_time();

	if (slot == NULL)
		return;
	if (slot->key_timer != NULL) {
		/* merged into the pending one */
		slot->key_timer_required |= !first_key;
		return;
	}
	if (slot->last_key_request == 0 || now - slot->last_key_request >= interval) {
		cb_room_send_and_follow(room, slot);
		return;
	}
	cb_room_arm_key_timer(room, slot, !first_key);
}

void
cb_room_subscriber_wants_keyframe(CbRoom *room, CbPeer *peer)
{
	CbBranch *video = peer->branch[CB_TRACK_VIDEO];
	/* a client that has had no keyframe yet asks for what the room asked for
	 * it when it connected */
	gboolean first_key =
		!peer->publisher && video != NULL && g_atomic_int_get(&video->gate->need_key);

	cb_room_request_keyframe(room, cb_room_subscriber_source(room, peer), first_key);
}

void
cb_room_publisher_track_up(CbRoom *room, CbPeer *peer, CbTrack track)
{
	g_info("session %" G_GINT64_FORMAT ": %s publishes %s", room->session_id, peer->id,
	       cb_track_name(track));
	if (room->recorder != NULL)
		cb_recorder_track_up(room->recorder, peer->slot, track);
}

/* ---- routing: floor and confidentiality ---- */

/* closes what a citizen feeds to the public audience while confidential */
static void
cb_room_update_gates(CbRoom *room)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, room->slots);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		CbSlot *slot = value;
		for (guint t = 0; slot->kind == CB_PEER_KIND_CITIZEN && t < CB_N_TRACKS; t++)
			g_atomic_int_set(&slot->floor_branch[CB_AUDIENCE_PUBLIC][t]->gate->open,
					 !room->confidential);
	}
	g_hash_table_iter_init(&iter, room->peers);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		CbPeer *peer = value;
		CbSlot *slot;

		if (peer->publisher || cb_audience_of(peer->kind) != CB_AUDIENCE_PUBLIC ||
		    g_str_equal(peer->slot_id, CB_ROOM_SLOT_FLOOR))
			continue;
		slot = cb_room_lookup_slot(room, peer->slot_id);
		for (guint t = 0; t < CB_N_TRACKS; t++) {
			if (peer->branch[t] != NULL && slot->kind == CB_PEER_KIND_CITIZEN)
				g_atomic_int_set(&peer->branch[t]->gate->open, !room->confidential);
		}
	}
}

static void
cb_room_apply_floor(CbRoom *room)
{
	for (guint a = 0; a < CB_N_AUDIENCES; a++) {
		CbSlot *slot = cb_room_floor_slot(room, a);
		cb_floor_select(&room->floor, a, slot);
		cb_room_request_keyframe(room, slot, FALSE);
	}
}

gboolean
cb_room_set_floor(CbRoom *room, const char *publisher_id, GError **error)
{
	g_return_val_if_fail(CB_IS_ROOM(room), FALSE);

	if (publisher_id != NULL && cb_room_lookup_slot(room, publisher_id) == NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_FOUND, "no publisher '%s' in this room",
			    publisher_id);
		return FALSE;
	}
	if (publisher_id != NULL &&
	    !cb_codec_check_floor(room, cb_room_lookup_slot(room, publisher_id), error))
		return FALSE;
	g_free(room->floor_id);
	room->floor_id = g_strdup(publisher_id);
	cb_room_apply_floor(room);
	g_info("session %" G_GINT64_FORMAT ": floor to %s", room->session_id,
	       publisher_id != NULL ? publisher_id : "nobody");
	return TRUE;
}

const char *
cb_room_get_floor(CbRoom *room)
{
	return room->floor_id;
}

void
cb_room_set_confidential(CbRoom *room, gboolean confidential)
{
	g_return_if_fail(CB_IS_ROOM(room));

	room->confidential = !!confidential;
	/* gates first: nothing of the citizen reaches the public selector once
	 * this returns, whatever was in flight */
	cb_room_update_gates(room);
	cb_room_apply_floor(room);
	if (room->recorder != NULL)
		cb_recorder_confidential_changed(room->recorder);
}

gboolean
cb_room_get_confidential(CbRoom *room)
{
	return room->confidential;
}

/* ---- peers ---- */

static void
cb_room_remove(CbRoom *room, CbPeer *peer, const char *reason)
{
	g_autofree char *id = g_strdup(peer->id);

	if (peer->publisher && room->recorder != NULL)
		cb_recorder_slot_down(room->recorder, peer->slot);
	g_hash_table_remove(room->peers, peer->id);
	cb_peer_free(peer, room->pipeline);
	g_info("session %" G_GINT64_FORMAT ": peer %s removed (%s)", room->session_id, id, reason);
	g_signal_emit(room, cb_room_signals[SIGNAL_PEER_REMOVED], 0, id, reason);
}

void
cb_room_peer_failed(CbRoom *room, CbPeer *peer, const char *reason, const char *detail)
{
	g_warning("session %" G_GINT64_FORMAT ": peer %s: %s", room->session_id, peer->id, detail);
	cb_room_remove(room, peer, reason);
}

void
cb_room_emit_local_description(CbRoom *room, CbPeer *peer, const char *type, const char *sdp)
{
	g_signal_emit(room, cb_room_signals[SIGNAL_LOCAL_DESCRIPTION], 0, peer->id, type, sdp);
}

void
cb_room_emit_local_candidate(CbRoom *room, CbPeer *peer, guint mline, const char *candidate)
{
	g_signal_emit(room, cb_room_signals[SIGNAL_LOCAL_CANDIDATE], 0, peer->id, mline, candidate);
}

void
cb_room_emit_gathering_complete(CbRoom *room, CbPeer *peer)
{
	g_signal_emit(room, cb_room_signals[SIGNAL_GATHERING_COMPLETE], 0, peer->id);
}

/* the subscriber's media can reach it now: its branches let media in,
 * video from a keyframe that the room asks for now (cb-peer.c holds them
 * until this) */
static void
cb_room_subscriber_connected(CbRoom *room, CbPeer *peer)
{
	CbBranch *video = peer->branch[CB_TRACK_VIDEO];

	if (video != NULL)
		g_atomic_int_set(&video->gate->need_key, 1);
	for (guint t = 0; t < CB_N_TRACKS; t++) {
		if (peer->branch[t] != NULL)
			g_atomic_int_set(&peer->branch[t]->gate->held, 0);
	}
	if (video != NULL)
		cb_room_subscriber_wants_keyframe(room, peer);
}

void
cb_room_peer_state_changed(CbRoom *room, CbPeer *peer, const char *state)
{
	if (g_strcmp0(peer->state, state) == 0)
		return;
	peer->state = state;
	if (!peer->publisher && g_str_equal(state, "connected"))
		cb_room_subscriber_connected(room, peer);
	g_signal_emit(room, cb_room_signals[SIGNAL_PEER_STATE], 0, peer->id, state);
}

static gboolean
cb_room_check_new_peer(CbRoom *room, const char *peer_id, GError **error)
{
	if (peer_id == NULL || peer_id[0] == '\0' || strlen(peer_id) > CB_MAX_PEER_ID_BYTES ||
	    !g_utf8_validate(peer_id, -1, NULL) || g_str_equal(peer_id, CB_ROOM_SLOT_FLOOR)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "a peer id is 1 to %u bytes of UTF-8 and not '%s'",
			    CB_MAX_PEER_ID_BYTES, CB_ROOM_SLOT_FLOOR);
		return FALSE;
	}
	if (g_hash_table_contains(room->peers, peer_id)) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT, "peer '%s' is in the room already",
			    peer_id);
		return FALSE;
	}
	if (g_hash_table_size(room->peers) >= room->config.max_peers) {
		g_set_error(error, CB_ERROR, CB_ERROR_UNAVAILABLE, "the room is full (%u peers)",
			    room->config.max_peers);
		return FALSE;
	}
	return TRUE;
}

gboolean
cb_room_add_publisher(CbRoom *room, const char *peer_id, CbPeerKind kind, GError **error)
{
	CbSlot *slot;
	CbPeer *peer;

	g_return_val_if_fail(CB_IS_ROOM(room), FALSE);

	if (!cb_room_check_new_peer(room, peer_id, error))
		return FALSE;
	slot = cb_room_lookup_slot(room, peer_id);
	if (slot != NULL && slot->kind != kind) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "publisher '%s' came before as another kind of peer", peer_id);
		return FALSE;
	}
	if (slot == NULL) {
		slot = cb_slot_new(room->pipeline, &room->floor, peer_id, kind, error);
		if (slot == NULL)
			return FALSE;
		g_hash_table_insert(room->slots, slot->id, slot);
		cb_room_update_gates(room);
	}
	peer = cb_peer_new(room, peer_id, room->next_serial++, TRUE, kind, slot, error);
	if (peer == NULL)
		return FALSE;
	g_hash_table_insert(room->peers, peer->id, peer);
	g_info("session %" G_GINT64_FORMAT ": publisher %s added", room->session_id, peer_id);
	return TRUE;
}

gboolean
cb_room_add_subscriber(CbRoom *room, const char *peer_id, const char *slot, CbPeerKind kind,
		       GError **error)
{
	CbPeer *peer;

	g_return_val_if_fail(CB_IS_ROOM(room), FALSE);

	if (!cb_room_check_new_peer(room, peer_id, error))
		return FALSE;
	if (slot == NULL ||
	    (!g_str_equal(slot, CB_ROOM_SLOT_FLOOR) && cb_room_lookup_slot(room, slot) == NULL)) {
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_FOUND,
			    "no publisher '%s' in this room to subscribe to", slot ? slot : "");
		return FALSE;
	}
	peer = cb_peer_new(room, peer_id, room->next_serial++, FALSE, kind, NULL, error);
	if (peer == NULL)
		return FALSE;
	peer->slot_id = g_strdup(slot);
	g_hash_table_insert(room->peers, peer->id, peer);
	g_info("session %" G_GINT64_FORMAT ": subscriber %s of %s added", room->session_id, peer_id,
	       slot);
	return TRUE;
}

static CbPeer *
cb_room_find_peer(CbRoom *room, const char *peer_id, GError **error)
{
	CbPeer *peer = peer_id != NULL ? g_hash_table_lookup(room->peers, peer_id) : NULL;

	if (peer == NULL)
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_FOUND, "no peer '%s' in this room",
			    peer_id != NULL ? peer_id : "");
	return peer;
}

gboolean
cb_room_set_remote_description(CbRoom *room, const char *peer_id, const char *sdp_type,
			       const char *sdp, GError **error)
{
	CbPeer *peer;

	g_return_val_if_fail(CB_IS_ROOM(room), FALSE);

	peer = cb_room_find_peer(room, peer_id, error);
	if (peer == NULL)
		return FALSE;
	if (g_strcmp0(sdp_type, "offer") != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "the room answers: send an offer, not '%s'",
			    sdp_type != NULL ? sdp_type : "");
		return FALSE;
	}
	if (sdp == NULL || !cb_peer_apply_offer(room, peer, sdp, error))
		return FALSE;
	/* a subscriber's keyframe is asked for when it connects */
	if (!peer->publisher)
		cb_room_update_gates(room);
	return TRUE;
}

gboolean
cb_room_add_remote_candidate(CbRoom *room, const char *peer_id, guint mline, const char *candidate,
			     GError **error)
{
	CbPeer *peer;

	g_return_val_if_fail(CB_IS_ROOM(room), FALSE);

	peer = cb_room_find_peer(room, peer_id, error);
	if (peer == NULL)
		return FALSE;
	if (candidate == NULL) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID, "no candidate");
		return FALSE;
	}
	return cb_peer_add_candidate(room, peer, mline, candidate, error);
}

gboolean
cb_room_remove_peer(CbRoom *room, const char *peer_id, GError **error)
{
	CbPeer *peer;

	g_return_val_if_fail(CB_IS_ROOM(room), FALSE);

	peer = cb_room_find_peer(room, peer_id, error);
	if (peer == NULL)
		return FALSE;
	cb_room_remove(room, peer, "left");
	return TRUE;
}

gboolean
cb_room_mute(CbRoom *room, const char *peer_id, gboolean audio, gboolean video, GError **error)
{
	CbPeer *peer;
	CbSlot *slot;
	gboolean was_video_muted;

	g_return_val_if_fail(CB_IS_ROOM(room), FALSE);

	peer = cb_room_find_peer(room, peer_id, error);
	if (peer == NULL)
		return FALSE;
	if (!peer->publisher) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID, "peer '%s' publishes nothing",
			    peer_id);
		return FALSE;
	}
	slot = peer->slot;
	was_video_muted = !g_atomic_int_get(&slot->mute[CB_TRACK_VIDEO]->open);
	g_atomic_int_set(&slot->mute[CB_TRACK_AUDIO]->open, !audio);
	if (was_video_muted && !video)
		g_atomic_int_set(&slot->mute[CB_TRACK_VIDEO]->need_key, 1);
	g_atomic_int_set(&slot->mute[CB_TRACK_VIDEO]->open, !video);
	if (was_video_muted && !video)
		cb_room_request_keyframe(room, slot, FALSE);
	return TRUE;
}

guint
cb_room_get_n_peers(CbRoom *room)
{
	return g_hash_table_size(room->peers);
}

gboolean
cb_room_has_peer(CbRoom *room, const char *peer_id)
{
	return g_hash_table_contains(room->peers, peer_id);
}

guint
cb_room_get_keyframe_requests(CbRoom *room, const char *publisher_id)
{
	CbSlot *slot = cb_room_lookup_slot(room, publisher_id);

	return slot != NULL ? slot->key_requests : 0;
}

GstElement *
cb_room_get_peer_element(CbRoom *room, const char *peer_id)
{
	CbPeer *peer = g_hash_table_lookup(room->peers, peer_id);

	return peer != NULL ? cb_peer_get_element(peer) : NULL;
}

/* ---- the bus: one peer's failure removes that peer ---- */

static CbPeer *
cb_room_peer_of_object(CbRoom *room, GstObject *object)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, room->peers);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		CbPeer *peer = value;

		if (object == GST_OBJECT(peer->webrtc) ||
		    gst_object_has_as_ancestor(object, GST_OBJECT(peer->webrtc)))
			return peer;
		for (guint t = 0; t < CB_N_TRACKS; t++) {
			CbBranch *branch = peer->branch[t];
			if (branch != NULL && (object == GST_OBJECT(branch->entry) ||
					       object == GST_OBJECT(branch->pay)))
				return peer;
			for (guint i = 0; peer->slot != NULL && i < CB_MAX_DEPAY_ELEMENTS; i++) {
				if (object == GST_OBJECT(peer->slot->depay_chain[t][i]))
					return peer;
			}
		}
	}
	return NULL;
}

static void
cb_room_handle_message(CbRoom *room, GstMessage *message)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *debug = NULL;
	CbPeer *peer;

	if (room->recorder != NULL && cb_recorder_handle_message(room->recorder, message))
		return;
	if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_ERROR)
		return;
	gst_message_parse_error(message, &error, &debug);
	peer = cb_room_peer_of_object(room, GST_MESSAGE_SRC(message));
	if (peer == NULL) {
		g_warning("session %" G_GINT64_FORMAT ": %s: %s", room->session_id,
			  GST_MESSAGE_SRC_NAME(message), error->message);
		return;
	}
	g_warning("session %" G_GINT64_FORMAT ": peer %s failed: %s (%s)", room->session_id,
		  peer->id, error->message, debug != NULL ? debug : "");
	cb_room_remove(room, peer, "error");
}

/*
 * A bus watch hands over one message per main-loop iteration, while a peer
 * that joins and leaves posts about 80 (the state changes of its webrtcbin's
 * elements): under steady joins and leaves the queue grew without end, and
 * each queued message held its element, so every webrtcbin whose messages
 * were still queued stayed alive. Each dispatch takes every message queued.
 */
static gboolean
cb_room_bus_cb(GstBus *bus, GstMessage *message, gpointer user_data)
{
	CbRoom *room = user_data;
	GstMessage *next;

	cb_room_handle_message(room, message);
	while ((next = gst_bus_pop(bus)) != NULL) {
		cb_room_handle_message(room, next);
		gst_message_unref(next);
	}
	return G_SOURCE_CONTINUE;
}

CbRoom *
cb_room_new(gint64 session_id, const CbMediaConfig *config, GError **error)
{
	g_autoptr(CbRoom) room = NULL;
	g_autoptr(GError) local = NULL;
	g_autoptr(GstBus) bus = NULL;

	if (config->udp_port_min > config->udp_port_max) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFIG, "the UDP port range %u-%u is empty",
			    config->udp_port_min, config->udp_port_max);
		return NULL;
	}
	if (!gst_init_check(NULL, NULL, &local)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INTERNAL, "GStreamer: %s", local->message);
		return NULL;
	}
	room = g_object_new(CB_TYPE_ROOM, NULL);
	room->session_id = session_id;
	room->config = *config;
	room->config.ice_addresses = g_strdupv(config->ice_addresses);
	room->config.stun_server = g_strdup(config->stun_server);
	room->config.turn_server = g_strdup(config->turn_server);
	room->config.turn_secret = g_strdup(config->turn_secret);
	room->context = g_main_context_ref_thread_default();
	room->pipeline = gst_pipeline_new(NULL);
	gst_object_ref_sink(room->pipeline);
	room->lanes = cb_lanes_new(room->pipeline);
	if (!cb_floor_init(&room->floor, room->pipeline, error))
		return NULL;
	bus = gst_pipeline_get_bus(GST_PIPELINE(room->pipeline));
	room->bus_watch = gst_bus_create_watch(bus);
	g_source_set_callback(room->bus_watch, G_SOURCE_FUNC(cb_room_bus_cb), room, NULL);
	g_source_attach(room->bus_watch, room->context);
	if (gst_element_set_state(room->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INTERNAL,
				    "the room's pipeline does not start");
		return NULL;
	}
	room->quality = cb_quality_sampler_new(room, config->stats_interval_seconds);
	g_info("session %" G_GINT64_FORMAT ": media room open", session_id);
	return g_steal_pointer(&room);
}

/* ---- recording (src/recording/cb-recorder.c) ---- */

GPtrArray *
cb_room_list_slots(CbRoom *room)
{
	GPtrArray *slots = g_ptr_array_new();
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, room->slots);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		g_ptr_array_add(slots, value);
	return slots;
}

gboolean
cb_room_slot_has_publisher(CbRoom *room, CbSlot *slot)
{
	CbPeer *peer = g_hash_table_lookup(room->peers, slot->id);

	return peer != NULL && peer->publisher;
}

void
cb_room_request_recording_keyframe(CbRoom *room, CbSlot *slot)
{
	cb_room_request_keyframe(room, slot, FALSE);
}

void
cb_room_emit_recording_segment(CbRoom *room, gboolean confidential, const void *segment)
{
	g_signal_emit(room, cb_room_signals[SIGNAL_RECORDING_SEGMENT], 0, confidential, segment);
}

void
cb_room_emit_recording_failed(CbRoom *room, const char *message)
{
	g_signal_emit(room, cb_room_signals[SIGNAL_RECORDING_FAILED], 0, message);
}

static gboolean
cb_room_reap_recorder_cb(gpointer data)
{
	CbRoom *room = data;

	g_clear_pointer(&room->recorder_reap, g_source_unref);
	g_clear_pointer(&room->recorder, cb_recorder_free);
	g_signal_emit(room, cb_room_signals[SIGNAL_RECORDING_STOPPED], 0);
	return G_SOURCE_REMOVE;
}

void
cb_room_recording_stopped(CbRoom *room)
{
	if (room->recorder_reap != NULL)
		return;
	room->recorder_reap = g_idle_source_new();
	g_source_set_callback(room->recorder_reap, cb_room_reap_recorder_cb, room, NULL);
	g_source_attach(room->recorder_reap, room->context);
}

gboolean
cb_room_start_recording(CbRoom *room, const CbRoomRecording *spec, GError **error)
{
	g_return_val_if_fail(CB_IS_ROOM(room), FALSE);

	if (room->recorder != NULL) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_CONFLICT,
				    cb_recorder_is_stopping(room->recorder)
					    ? "the last recording is still closing its segments"
					    : "the room is recording already");
		return FALSE;
	}
	room->recorder = cb_recorder_new(room, spec);
	g_info("session %" G_GINT64_FORMAT ": recording part %u", room->session_id, spec->part);
	return TRUE;
}

void
cb_room_stop_recording(CbRoom *room)
{
	g_return_if_fail(CB_IS_ROOM(room));

	if (room->recorder != NULL)
		cb_recorder_stop(room->recorder);
}

gboolean
cb_room_get_recording(CbRoom *room)
{
	return room->recorder != NULL;
}
