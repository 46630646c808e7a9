#define G_LOG_DOMAIN "CbRoom"

/*
 * One peer: one webrtcbin. Every client offers and the room answers, for
 * publishers (WHIP-like: sendonly audio and video) and subscribers (WHEP-like:
 * recvonly) alike, so the WebSocket, WHIP and WHEP all map onto one path, and
 * a subscriber's payload types are the ones its client chose.
 *
 * webrtcbin calls back from its own threads (promises, candidates, state
 * notifications, pad-added). Those callbacks copy what they got into a
 * CbPeerEvent and post it to the room's main context; the handler finds the
 * peer again by id and serial, so an event of a peer removed meanwhile is
 * dropped. The one exception is pad-added: a new source pad is linked at once
 * to the slot's depayloader made in advance (a GStreamer operation on
 * elements fixed for the peer's life, not room state), since a pad left
 * unlinked would make the peer's receiving thread fail on its first
 * packet (not-linked).
 */

#include "cb-media-private.h"
#include "cb-relay-buffer.h"
#include "civic-bridge/cb-turn-credentials.h"

#include <gst/sdp/sdp.h>
#include <nice/agent.h>
#include <string.h>

#define CB_MAX_CANDIDATE_BYTES 1024

typedef struct {
	GWeakRef room;
	GMainContext *context;
	char *peer_id;
	guint serial;
	/* a publisher's slot depayloaders, fixed for the peer's life */
	GstElement *depay[CB_N_TRACKS];
} CbPeerRef;

static void
cb_peer_ref_clear(CbPeerRef *ref)
{
	g_weak_ref_clear(&ref->room);
	g_main_context_unref(ref->context);
	g_free(ref->peer_id);
	for (guint t = 0; t < CB_N_TRACKS; t++)
		gst_clear_object(&ref->depay[t]);
}

static CbPeerRef *
cb_peer_ref_acquire(CbPeerRef *ref)
{
	return g_atomic_rc_box_acquire(ref);
}

static void
cb_peer_ref_release(gpointer ref)
{
	g_atomic_rc_box_release_full(ref, (GDestroyNotify)cb_peer_ref_clear);
}

typedef enum {
	CB_PEER_EVENT_REMOTE_SET,
	CB_PEER_EVENT_ANSWER,
	CB_PEER_EVENT_CANDIDATE,
	CB_PEER_EVENT_STATE,
	CB_PEER_EVENT_TRACK_UP,
	CB_PEER_EVENT_KEYFRAME,
	CB_PEER_EVENT_FAILED,
	CB_PEER_EVENT_GATHERING,
} CbPeerEventKind;

typedef struct {
	GWeakRef room; /* weak: a room its owner dropped takes no more events */
	char *peer_id;
	guint serial;
	CbPeerEventKind kind;
	guint number; /* mline or track */
	char *text;   /* sdp, candidate, state or error */
} CbPeerEvent;

static void
cb_peer_event_free(gpointer data)
{
	CbPeerEvent *event = data;

	g_weak_ref_clear(&event->room);
	g_free(event->peer_id);
	g_free(event->text);
	g_free(event);
}

static void cb_peer_handle_event(CbRoom *room, CbPeer *peer, CbPeerEvent *event);

static gboolean
cb_peer_event_dispatch_cb(gpointer data)
{
	CbPeerEvent *event = data;
	g_autoptr(CbRoom) room = g_weak_ref_get(&event->room);
	CbPeer *peer =
		room != NULL ? cb_room_lookup_peer(room, event->peer_id, event->serial) : NULL;

	if (peer != NULL)
		cb_peer_handle_event(room, peer, event);
	return G_SOURCE_REMOVE;
}

/* any thread: copies and hands over to the room's main context */
/* how long a peer's connection is up before the room takes it as
 * connected (cb_peer_connection_state_cb) */
#define CB_PEER_SETTLE_MS 100

/* posts after @delay_ms (0: as soon as the main context is free) */
static void
cb_peer_post_after(CbPeerRef *ref, CbPeerEventKind kind, guint number, const char *text,
		   guint delay_ms)
{
	CbRoom *room = g_weak_ref_get(&ref->room);
	CbPeerEvent *event;
	GSource *source;

	if (room == NULL)
		return;
	event = g_new0(CbPeerEvent, 1);
	g_weak_ref_init(&event->room, room);
	g_object_unref(room);
	event->peer_id = g_strdup(ref->peer_id);
	event->serial = ref->serial;
	event->kind = kind;
	event->number = number;
	event->text = g_strdup(text);
	source = delay_ms > 0 ? g_timeout_source_new(delay_ms) : g_idle_source_new();
	g_source_set_priority(source, G_PRIORITY_DEFAULT);
	g_source_set_callback(source, cb_peer_event_dispatch_cb, event, cb_peer_event_free);
	g_source_set_static_name(source, "[civic-bridge] media event");
	g_source_attach(source, ref->context);
	g_source_unref(source);
}

static void
cb_peer_post(CbPeerRef *ref, CbPeerEventKind kind, guint number, const char *text)
{
	cb_peer_post_after(ref, kind, number, text, 0);
}

static const char *
cb_peer_state_name(GstWebRTCPeerConnectionState state)
{
	switch (state) {
	case GST_WEBRTC_PEER_CONNECTION_STATE_NEW:
		return "new";
	case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTING:
	case GST_WEBRTC_PEER_CONNECTION_STATE_DISCONNECTED:
		return "connecting";
	case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED:
		return "connected";
	case GST_WEBRTC_PEER_CONNECTION_STATE_FAILED:
		return "failed";
	case GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED:
	default:
		return "closed";
	}
}

/* webrtcbin thread */
static void
cb_peer_connection_state_cb(GObject *webrtc, GParamSpec *pspec, gpointer user_data)
{
	GstWebRTCPeerConnectionState state = GST_WEBRTC_PEER_CONNECTION_STATE_NEW;

	/* the client's end of DTLS finishes a flight after this one: what the
	 * room sends as soon as it sees a peer connected (a joiner's first
	 * keyframe) could reach the client before it has its SRTP keys, and be
	 * dropped there. The event reads the state again when it runs. */
	g_object_get(webrtc, "connection-state", &state, NULL);
	cb_peer_post_after(user_data, CB_PEER_EVENT_STATE, 0, NULL,
			   state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED ? CB_PEER_SETTLE_MS
									       : 0);
}

/* webrtcbin thread: posted after the candidates it follows, so the room
 * sees every candidate before "gathering complete" */
static void
cb_peer_gathering_state_cb(GObject *webrtc, GParamSpec *pspec, gpointer user_data)
{
	cb_peer_post(user_data, CB_PEER_EVENT_GATHERING, 0, NULL);
}

/* webrtcbin thread */
static void
cb_peer_ice_candidate_cb(GstElement *webrtc, guint mline, const char *candidate, gpointer user_data)
{
	cb_peer_post(user_data, CB_PEER_EVENT_CANDIDATE, mline, candidate);
}

static GstPadProbeReturn cb_peer_upstream_event_cb(GstPad *pad, GstPadProbeInfo *info,
						   gpointer user_data);

/* streaming thread: see the comment at the top */
static void
cb_peer_pad_added_cb(GstElement *webrtc, GstPad *pad, gpointer user_data)
{
	CbPeerRef *ref = user_data;
	g_autoptr(GstCaps) caps = NULL;
	const char *media;
	CbTrack track;
	g_autoptr(GstPad) sink = NULL;

	if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC)
		return;
	caps = gst_pad_get_current_caps(pad);
	if (caps == NULL)
		caps = gst_pad_query_caps(pad, NULL);
	media = gst_structure_get_string(gst_caps_get_structure(caps, 0), "media");
	if (g_strcmp0(media, "video") == 0)
		track = CB_TRACK_VIDEO;
	else if (g_strcmp0(media, "audio") == 0)
		track = CB_TRACK_AUDIO;
	else
		return;
	if (ref->depay[track] == NULL) {
		cb_peer_post(ref, CB_PEER_EVENT_FAILED, 0, "a stream its offer did not announce");
		return;
	}
	sink = gst_element_get_static_pad(ref->depay[track], "sink");
	if (gst_pad_is_linked(sink) || gst_pad_link(pad, sink) != GST_PAD_LINK_OK) {
		cb_peer_post(ref, CB_PEER_EVENT_FAILED, 0, "a second stream of one kind");
		return;
	}
	/* on this peer's own pad, so it goes with the peer, not with the slot */
	if (track == CB_TRACK_VIDEO)
		gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, cb_peer_upstream_event_cb,
				  cb_peer_ref_acquire(ref), cb_peer_ref_release);
	cb_peer_post(ref, CB_PEER_EVENT_TRACK_UP, track, NULL);
}

/* streaming thread: a subscriber's client asked for a keyframe (PLI or
 * FIR), or a publisher's depayloader after a loss; the room's own requests
 * (marked) go on to the publisher */
static GstPadProbeReturn
cb_peer_upstream_event_cb(GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
	GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
	const GstStructure *s;

	if (GST_EVENT_TYPE(event) != GST_EVENT_CUSTOM_UPSTREAM)
		return GST_PAD_PROBE_OK;
	s = gst_event_get_structure(event);
	if (s == NULL || !gst_structure_has_name(s, "GstForceKeyUnit") ||
	    gst_structure_has_field(s, CB_ROOM_KEY_REQUEST_FIELD))
		return GST_PAD_PROBE_OK;
	cb_peer_post(user_data, CB_PEER_EVENT_KEYFRAME, 0, NULL);
	/* the room merges requests and sends them to whoever feeds the branch */
	return GST_PAD_PROBE_DROP;
}

/* RTCP bandwidth of every RTP session, in rtpsession's units (bits per
 * second, though its documentation says bytes) */
#define CB_RTCP_BANDWIDTH 50000.0

/* webrtcbin's thread, as it makes the element: sets a property of an
 * element made for this peer and touches nothing else. webrtcbin leaves
 * each RTP session at rtpsession's default bandwidth of 64 kbit/s, whose 5 %
 * RTCP share spaces feedback about 0.8 s apart: a keyframe request (PLI)
 * then waits up to that long behind the one before. 5 % of what a camera
 * sends (1 Mbit/s) lets a request go out when the room sends it; regular
 * reports keep their own interval of several seconds. */
static void
cb_peer_element_added_cb(GstBin *bin, GstBin *sub_bin, GstElement *element, gpointer user_data)
{
	GstElementFactory *factory = gst_element_get_factory(element);

	if (factory != NULL &&
	    g_str_equal(gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(factory)), "rtpsession"))
		g_object_set(element, "rtcp-fraction", CB_RTCP_BANDWIDTH, NULL);
}

/* the TURN server with a credential of its own for this peer, named by its
 * room id (never a person) */
static void
cb_peer_configure_turn(GstElement *webrtc, const CbMediaConfig *config, const char *peer_id)
{
	g_autofree char *username = NULL;
	g_autofree char *credential = NULL;
	g_autofree char *uri = NULL;

	if (config->turn_server == NULL || config->turn_secret == NULL)
		return;
	username = cb_turn_username(g_get_real_time() / G_USEC_PER_SEC + config->turn_ttl_seconds,
				    peer_id);
	credential = cb_turn_credential(config->turn_secret, username);
	uri = cb_turn_webrtcbin_uri(config->turn_server, username, credential);
	if (uri != NULL)
		g_object_set(webrtc, "turn-server", uri, NULL);
}

static void
cb_peer_configure_ice(GstElement *webrtc, const CbMediaConfig *config, const char *peer_id)
{
	g_autoptr(GObject) ice = NULL;
	g_autoptr(GObject) agent = NULL;

	g_object_get(webrtc, "ice-agent", &ice, NULL);
	g_object_set(ice, "ice-tcp", FALSE, NULL);
	if (config->udp_port_min != 0 || config->udp_port_max != 0)
		g_object_set(ice, "min-rtp-port", (guint)config->udp_port_min, "max-rtp-port",
			     (guint)config->udp_port_max, NULL);
	g_object_get(ice, "agent", &agent, NULL);
	/* a server asks no router for port mappings */
	g_object_set(agent, "upnp", FALSE, NULL);
	for (guint i = 0; config->ice_addresses != NULL && config->ice_addresses[i] != NULL; i++) {
		NiceAddress address;

		nice_address_init(&address);
		/* the config checked every address */
		if (nice_address_set_from_string(&address, config->ice_addresses[i]))
			nice_agent_add_local_address(NICE_AGENT(agent), &address);
	}
	if (config->stun_server != NULL)
		g_object_set(webrtc, "stun-server", config->stun_server, NULL);
	cb_peer_configure_turn(webrtc, config, peer_id);
}

/* rtpbin's thread: a relay buffer where a jitterbuffer would go
 * (cb-relay-buffer.c); webrtcbin then sets its latency and NACK */
static GstElement *
cb_peer_request_jitterbuffer_cb(GstElement *rtpbin, guint session, gpointer user_data)
{
	return cb_relay_buffer_new();
}

/* webrtcbin's RTP bin, made with it */
static GstElement *
cb_peer_find_rtpbin(GstElement *webrtc)
{
	g_autoptr(GstIterator) it = gst_bin_iterate_elements(GST_BIN(webrtc));
	GValue item = G_VALUE_INIT;
	GstElement *rtpbin = NULL;

	while (rtpbin == NULL && gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
		GstElement *element = g_value_get_object(&item);
		GstElementFactory *factory = gst_element_get_factory(element);

		if (factory != NULL &&
		    g_str_equal(gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(factory)), "rtpbin"))
			rtpbin = gst_object_ref(element);
		g_value_reset(&item);
	}
	g_value_unset(&item);
	return rtpbin;
}

/* received packets go on in the thread that received them: no
 * jitterbuffer queue and thread per stream (a relay plays nothing) */
static void
cb_peer_use_relay_buffer(GstElement *webrtc)
{
	g_autoptr(GstElement) rtpbin = cb_peer_find_rtpbin(webrtc);

	if (rtpbin == NULL) {
		g_warning("webrtcbin has no rtpbin: received media goes through its jitterbuffers");
		return;
	}
	g_signal_connect(rtpbin, "request-jitterbuffer",
			 G_CALLBACK(cb_peer_request_jitterbuffer_cb), NULL);
}

CbPeer *
cb_peer_new(CbRoom *room, const char *peer_id, guint serial, gboolean publisher, CbPeerKind kind,
	    CbSlot *slot, GError **error)
{
	const CbMediaConfig *config = cb_room_get_config(room);
	GstElement *webrtc = gst_element_factory_make("webrtcbin", NULL);
	CbPeerRef *ref;
	CbPeer *peer;

	if (webrtc == NULL) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INTERNAL,
				    "GStreamer element 'webrtcbin' is missing (install "
				    "gstreamer1.0-plugins-bad and gstreamer1.0-nice)");
		return NULL;
	}
	g_object_set(webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency",
		     config->jitterbuffer_latency_ms, NULL);
	cb_peer_configure_ice(webrtc, config, peer_id);
	cb_peer_use_relay_buffer(webrtc);

	ref = g_atomic_rc_box_new0(CbPeerRef);
	g_weak_ref_init(&ref->room, room);
	ref->context = g_main_context_ref(cb_room_get_context(room));
	ref->peer_id = g_strdup(peer_id);
	ref->serial = serial;
	/* handlers are destroyed in dispose, before the data goes */
	g_object_set_data_full(G_OBJECT(webrtc), "cb-peer-ref", ref, cb_peer_ref_release);
	g_signal_connect(webrtc, "notify::connection-state",
			 G_CALLBACK(cb_peer_connection_state_cb), ref);
	g_signal_connect(webrtc, "on-ice-candidate", G_CALLBACK(cb_peer_ice_candidate_cb), ref);
	g_signal_connect(webrtc, "notify::ice-gathering-state",
			 G_CALLBACK(cb_peer_gathering_state_cb), ref);
	if (publisher)
		g_signal_connect(webrtc, "pad-added", G_CALLBACK(cb_peer_pad_added_cb), ref);
	g_signal_connect(webrtc, "deep-element-added", G_CALLBACK(cb_peer_element_added_cb), NULL);

	peer = g_new0(CbPeer, 1);
	peer->id = g_strdup(peer_id);
	peer->serial = serial;
	peer->publisher = publisher;
	peer->kind = kind;
	peer->slot = publisher ? slot : NULL;
	peer->webrtc = gst_object_ref(webrtc);
	peer->state = "new";
	gst_bin_add(GST_BIN(cb_room_get_pipeline(room)), webrtc);
	gst_element_sync_state_with_parent(webrtc);
	return peer;
}

/* waiting for webrtcbin's queued operations (see cb_peer_drain_operations) */
#define CB_PEER_DRAIN_TIMEOUT_US (2 * G_USEC_PER_SEC)

typedef struct {
	GMutex lock;
	GCond cond;
	gboolean done;
} CbPeerDrain;

static void
cb_peer_drain_clear(gpointer data)
{
	CbPeerDrain *drain = data;

	g_mutex_clear(&drain->lock);
	g_cond_clear(&drain->cond);
}

static void
cb_peer_drain_release(gpointer data)
{
	g_atomic_rc_box_release_full(data, cb_peer_drain_clear);
}

/* webrtcbin's thread: the reply, after every operation queued before it */
static void
cb_peer_drained_cb(GstPromise *promise, gpointer user_data)
{
	CbPeerDrain *drain = user_data;

	g_mutex_lock(&drain->lock);
	drain->done = TRUE;
	g_cond_signal(&drain->cond);
	g_mutex_unlock(&drain->lock);
}

/*
 * Waits until webrtcbin has run every operation queued before this call
 * (its operations run one by one on its own thread: a "get-stats" queued
 * now is answered after them). A peer that leaves a few milliseconds after
 * its answer would otherwise be stopped while webrtcbin is still setting
 * up its ICE transports, and now and then a nicesrc of it outlived the
 * webrtcbin with its ICE agent, its sockets and its main context
 * (docs/PERFORMANCE.md, "Join-and-leave after the bus fix").
 */
static void
cb_peer_drain_operations(CbPeer *peer)
{
	CbPeerDrain *drain;
	GstPromise *promise;
	gint64 deadline = g_get_monotonic_time() + CB_PEER_DRAIN_TIMEOUT_US;

	/* a webrtcbin never started has no thread to answer */
	if (GST_STATE(peer->webrtc) == GST_STATE_NULL)
		return;
	drain = g_atomic_rc_box_new0(CbPeerDrain);
	g_mutex_init(&drain->lock);
	g_cond_init(&drain->cond);
	promise = gst_promise_new_with_change_func(
		cb_peer_drained_cb, g_atomic_rc_box_acquire(drain), cb_peer_drain_release);
	g_signal_emit_by_name(peer->webrtc, "get-stats", NULL, promise);
	/* bounded: a webrtcbin whose thread is stuck must not stop the room */
	g_mutex_lock(&drain->lock);
	while (!drain->done && g_cond_wait_until(&drain->cond, &drain->lock, deadline))
		;
	if (!drain->done)
		g_warning("peer %s: its webrtcbin did not answer within %d ms; stopping it anyway",
			  peer->id, (int)(CB_PEER_DRAIN_TIMEOUT_US / 1000));
	g_mutex_unlock(&drain->lock);
	gst_promise_unref(promise);
	cb_peer_drain_release(drain);
}

void
cb_peer_free(CbPeer *peer, GstElement *pipeline)
{
	if (peer == NULL)
		return;
	/* subscriber branches leave their lanes first, between two pushes
	 * (cb_branch_detach): once they are off, no lane's thread is in them,
	 * and stopping this peer's webrtcbin answers nobody FLUSHING */
	for (guint t = 0; t < CB_N_TRACKS; t++)
		cb_branch_detach(peer->branch[t]);
	for (guint t = 0; t < CB_N_TRACKS; t++)
		g_clear_pointer(&peer->branch[t], cb_branch_free);
	for (guint t = 0; peer->slot != NULL && t < CB_N_TRACKS; t++) {
		g_autoptr(GstPad) sink =
			peer->slot->depay[t] != NULL
				? gst_element_get_static_pad(peer->slot->depay[t], "sink")
				: NULL;
		g_autoptr(GstPad) src = sink != NULL ? gst_pad_get_peer(sink) : NULL;

		if (src != NULL && GST_PAD_PARENT(src) == peer->webrtc)
			gst_pad_unlink(src, sink);
	}
	cb_peer_drain_operations(peer);
	gst_element_set_state(peer->webrtc, GST_STATE_NULL);
	if (GST_OBJECT_PARENT(peer->webrtc) != NULL)
		gst_bin_remove(GST_BIN(pipeline), peer->webrtc);
	gst_object_unref(peer->webrtc);
	g_free(peer->slot_id);
	g_free(peer->id);
	g_free(peer);
}

GstElement *
cb_peer_get_element(CbPeer *peer)
{
	return peer->webrtc;
}

/* ---- offers ---- */

typedef struct {
	CbTrack track;
	CbCodecOffer offer;
	CbCodec codec;      /* the one the room uses */
	GstSDPMedia *media; /* borrowed from the message */
} CbOfferSection;

static gboolean
cb_peer_has_attribute(const GstSDPMessage *msg, const GstSDPMedia *media, const char *key)
{
	return gst_sdp_media_get_attribute_val(media, key) != NULL ||
	       gst_sdp_message_get_attribute_val(msg, key) != NULL;
}

/* the direction the client gives a section: can it send, can it receive */
static void
cb_peer_direction(const GstSDPMedia *media, gboolean *sends, gboolean *receives)
{
	*sends = gst_sdp_media_get_attribute_val(media, "recvonly") == NULL &&
		 gst_sdp_media_get_attribute_val(media, "inactive") == NULL;
	*receives = gst_sdp_media_get_attribute_val(media, "sendonly") == NULL &&
		    gst_sdp_media_get_attribute_val(media, "inactive") == NULL;
}

static gboolean
cb_peer_check_section(const GstSDPMessage *msg, guint index, gboolean publisher,
		      CbOfferSection *section, GError **error)
{
	const GstSDPMedia *media = gst_sdp_message_get_media(msg, index);
	const char *kind = gst_sdp_media_get_media(media);
	gboolean sends, receives;

	if (g_strcmp0(kind, "video") == 0)
		section->track = CB_TRACK_VIDEO;
	else if (g_strcmp0(kind, "audio") == 0)
		section->track = CB_TRACK_AUDIO;
	else {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "media section %u is '%s'; only audio and video are forwarded", index,
			    kind != NULL ? kind : "");
		return FALSE;
	}
	if (!cb_codec_parse_section(msg, media, index, section->track, &section->offer, error))
		return FALSE;
	section->codec = section->track == CB_TRACK_AUDIO ? CB_CODEC_OPUS : CB_CODEC_NONE;
	cb_peer_direction(media, &sends, &receives);
	if (publisher ? !sends : !receives) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "media section %u does not %s: a %s client must offer %s", index,
			    publisher ? "send" : "receive",
			    publisher ? "publishing" : "subscribing",
			    publisher ? "sendonly or sendrecv" : "recvonly or sendrecv");
		return FALSE;
	}
	if (!cb_peer_has_attribute(msg, media, "ice-ufrag") ||
	    !cb_peer_has_attribute(msg, media, "ice-pwd") ||
	    !cb_peer_has_attribute(msg, media, "fingerprint")) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "media section %u lacks ice-ufrag, ice-pwd or fingerprint", index);
		return FALSE;
	}
	section->media = (GstSDPMedia *)media;
	return TRUE;
}

static GstSDPMessage *
cb_peer_parse_offer(const CbMediaConfig *config, gboolean publisher, const char *sdp,
		    CbOfferSection sections[CB_MAX_MLINES], guint *n_sections, GError **error)
{
	gsize len = strlen(sdp);
	g_autoptr(GstSDPMessage) msg = NULL;
	gboolean seen[CB_N_TRACKS] = {FALSE, FALSE};
	guint n;

	if (len > config->max_sdp_bytes) {
		g_set_error(error, CB_ERROR, CB_ERROR_TOO_LARGE,
			    "the SDP has %" G_GSIZE_FORMAT " bytes; the limit is %" G_GSIZE_FORMAT,
			    len, config->max_sdp_bytes);
		return NULL;
	}
	if (!g_str_has_prefix(sdp, "v=0") ||
	    gst_sdp_message_new_from_text(sdp, &msg) != GST_SDP_OK ||
	    gst_sdp_message_get_origin(msg)->sess_id == NULL) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "not an SDP description (RFC 8866)");
		return NULL;
	}
	n = gst_sdp_message_medias_len(msg);
	if (n == 0 || n > CB_MAX_MLINES) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "the offer has %u media sections; give one audio and/or one video", n);
		return NULL;
	}
	for (guint i = 0; i < n; i++) {
		if (!cb_peer_check_section(msg, i, publisher, &sections[i], error))
			return NULL;
		if (seen[sections[i].track]) {
			g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
				    "the offer has two %s sections; give one",
				    cb_track_name(sections[i].track));
			return NULL;
		}
		seen[sections[i].track] = TRUE;
	}
	*n_sections = n;
	return g_steal_pointer(&msg);
}

/* the caps of one section as the room will use it: the codec it chose, the
 * client's payload type, its feedback, and only the header extensions the
 * room forwards */
static GstCaps *
cb_peer_section_caps(const CbOfferSection *section)
{
	return cb_codec_section_caps(section->media, section->codec,
				     section->offer.pt[section->codec],
				     section->offer.audio_level_id);
}

static gboolean
cb_peer_add_subscriber_track(CbRoom *room, CbPeer *peer, const CbOfferSection *section,
			     GstCaps *caps, GError **error)
{
	CbTrack t = section->track;
	GstElement *tee =
		cb_room_get_source_tee(room, peer->slot_id, cb_audience_of(peer->kind), t);
	GstPadTemplate *templ = gst_element_get_pad_template(peer->webrtc, "sink_%u");
	GstPad *pad = gst_element_request_pad(peer->webrtc, templ, NULL, caps);
	g_autoptr(GstWebRTCRTPTransceiver) trans = NULL;
	GstElement *pay;
	g_autoptr(GstPad) entry_src = NULL;

	if (pad == NULL) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INTERNAL,
				    "webrtcbin gave no sink pad");
		return FALSE;
	}
	g_object_get(pad, "transceiver", &trans, NULL);
	/* the codec preferences are what the answer names, header extensions
	 * included */
	g_object_set(trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, "do-nack",
		     TRUE, "codec-preferences", caps, NULL);
	pay = cb_codec_make_payloader(section->codec, section->offer.pt[section->codec],
				      section->offer.audio_level_id, error);
	if (pay == NULL) {
		gst_element_release_request_pad(peer->webrtc, pad);
		gst_object_unref(pad);
		return FALSE;
	}
	if (g_str_equal(peer->slot_id, CB_ROOM_SLOT_FLOOR))
		cb_codec_guard_payloader(pay, section->codec);
	peer->branch[t] =
		cb_lanes_branch_new(cb_room_get_lanes(room), tee, pay, peer->webrtc, pad, error);
	gst_object_unref(pad);
	if (peer->branch[t] == NULL)
		return FALSE;
	/* before DTLS is up webrtcbin holds the thread that pushes into it (its
	 * lane's, which sends to other subscribers too: cb-lane.c) and sends what
	 * it held late: nothing enters the branch until the room sees the peer
	 * connected (cb_room_subscriber_connected), which is after DTLS; the
	 * branch is held from its start, and stays so */
	g_atomic_int_set(&peer->branch[t]->gate->held, 1);
	if (t == CB_TRACK_VIDEO) {
		CbPeerRef *ref = g_object_get_data(G_OBJECT(peer->webrtc), "cb-peer-ref");

		/* a joiner decodes nothing before a keyframe: drop what comes before */
		g_atomic_int_set(&peer->branch[t]->gate->need_key, 1);
		entry_src = gst_element_get_static_pad(peer->branch[t]->entry, "src");
		gst_pad_add_probe(entry_src, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
				  cb_peer_upstream_event_cb, cb_peer_ref_acquire(ref),
				  cb_peer_ref_release);
	}
	return TRUE;
}

static void
cb_peer_remote_set_cb(GstPromise *promise, gpointer user_data)
{
	const GstStructure *reply = gst_promise_get_reply(promise);
	GError *error = NULL;

	if (reply != NULL && gst_structure_has_field(reply, "error")) {
		gst_structure_get(reply, "error", G_TYPE_ERROR, &error, NULL);
		cb_peer_post(user_data, CB_PEER_EVENT_FAILED, 0,
			     error != NULL ? error->message : "the offer was refused");
		g_clear_error(&error);
	} else {
		cb_peer_post(user_data, CB_PEER_EVENT_REMOTE_SET, 0, NULL);
	}
	gst_promise_unref(promise);
}

static void
cb_peer_answer_cb(GstPromise *promise, gpointer user_data)
{
	const GstStructure *reply = gst_promise_get_reply(promise);
	GstWebRTCSessionDescription *answer = NULL;

	if (reply != NULL)
		gst_structure_get(reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer,
				  NULL);
	if (answer == NULL) {
		GError *error = NULL;
		if (reply != NULL)
			gst_structure_get(reply, "error", G_TYPE_ERROR, &error, NULL);
		cb_peer_post(user_data, CB_PEER_EVENT_FAILED, 0,
			     error != NULL ? error->message : "no answer could be made");
		g_clear_error(&error);
	} else {
		g_autofree char *text = gst_sdp_message_as_text(answer->sdp);
		cb_peer_post(user_data, CB_PEER_EVENT_ANSWER, 0, text);
		gst_webrtc_session_description_free(answer);
	}
	gst_promise_unref(promise);
}

/* picks the video codec, and points a publisher's tracks at its slot's
 * depayloaders with the header extension ids its client offered */
static gboolean
cb_peer_choose_codecs(CbRoom *room, CbPeer *peer, CbOfferSection *sections, guint n, GError **error)
{
	CbPeerRef *ref = g_object_get_data(G_OBJECT(peer->webrtc), "cb-peer-ref");

	for (guint i = 0; i < n; i++) {
		if (sections[i].track != CB_TRACK_VIDEO)
			continue;
		cb_codec_note_offer(room, &sections[i].offer);
		sections[i].codec =
			peer->publisher ? cb_codec_choose_for_publisher(room, peer,
									&sections[i].offer, error)
					: cb_codec_choose_for_subscriber(room, peer,
									 &sections[i].offer, error);
		if (sections[i].codec == CB_CODEC_NONE)
			return FALSE;
		peer->video_codec = sections[i].codec;
	}
	for (guint i = 0; peer->publisher && i < n; i++) {
		CbTrack t = sections[i].track;

		/* the slot outlives its publisher: a publisher that comes back sets
		 * its own ids; pad-added, which reads ref->depay, comes after this */
		if (t == CB_TRACK_AUDIO)
			cb_codec_set_extensions(peer->slot->depay[t],
						sections[i].offer.audio_level_id);
		if (ref->depay[t] == NULL)
			ref->depay[t] = gst_object_ref(peer->slot->depay[t]);
	}
	return TRUE;
}

gboolean
cb_peer_apply_offer(CbRoom *room, CbPeer *peer, const char *sdp, GError **error)
{
	CbOfferSection sections[CB_MAX_MLINES];
	guint n = 0;
	g_autoptr(GstSDPMessage) msg = NULL;
	CbPeerRef *ref = g_object_get_data(G_OBJECT(peer->webrtc), "cb-peer-ref");
	GstWebRTCSessionDescription *desc;
	GstPromise *promise;

	if (peer->have_offer) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_CONFLICT,
				    "this peer has negotiated already; a client that reconnects "
				    "comes back as a new peer with a new offer");
		return FALSE;
	}
	msg = cb_peer_parse_offer(cb_room_get_config(room), peer->publisher, sdp, sections, &n,
				  error);
	if (msg == NULL || !cb_peer_choose_codecs(room, peer, sections, n, error))
		return FALSE;
	/* webrtcbin gives the m-lines of an offer to unassociated transceivers in
	 * the order they were made: make them in the offer's order */
	for (guint i = 0; i < n; i++) {
		g_autoptr(GstCaps) caps = cb_peer_section_caps(&sections[i]);

		if (peer->publisher) {
			g_autoptr(GstWebRTCRTPTransceiver) trans = NULL;
			g_signal_emit_by_name(peer->webrtc, "add-transceiver",
					      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps,
					      &trans);
			g_object_set(trans, "do-nack", TRUE, NULL);
		} else if (!cb_peer_add_subscriber_track(room, peer, &sections[i], caps, error)) {
			return FALSE;
		}
	}
	peer->have_offer = TRUE;
	peer->n_mlines = n;
	desc = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, g_steal_pointer(&msg));
	promise = gst_promise_new_with_change_func(cb_peer_remote_set_cb, cb_peer_ref_acquire(ref),
						   cb_peer_ref_release);
	/* the change func unrefs the promise once it has its reply */
	g_signal_emit_by_name(peer->webrtc, "set-remote-description", desc,
			      gst_promise_ref(promise));
	gst_promise_unref(promise);
	gst_webrtc_session_description_free(desc);
	return TRUE;
}

gboolean
cb_peer_add_candidate(CbRoom *room, CbPeer *peer, guint mline, const char *candidate,
		      GError **error)
{
	const CbMediaConfig *config = cb_room_get_config(room);
	g_auto(GStrv) fields = NULL;
	guint limit = peer->have_offer ? peer->n_mlines : CB_MAX_MLINES;

	if (g_str_has_prefix(candidate, "a="))
		candidate += 2;
	if (candidate[0] == '\0')
		return TRUE; /* end of candidates */
	if (mline >= limit) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID, "there is no media section %u",
			    mline);
		return FALSE;
	}
	if (strlen(candidate) > CB_MAX_CANDIDATE_BYTES) {
		g_set_error(error, CB_ERROR, CB_ERROR_TOO_LARGE,
			    "a candidate is longer than %u bytes", CB_MAX_CANDIDATE_BYTES);
		return FALSE;
	}
	if (peer->candidates[mline] >= config->max_candidates) {
		g_set_error(error, CB_ERROR, CB_ERROR_TOO_LARGE,
			    "media section %u has had %u candidates, the limit", mline,
			    config->max_candidates);
		return FALSE;
	}
	fields = g_strsplit(candidate, " ", 0);
	if (g_strv_length(fields) < 8 || !g_str_has_prefix(fields[0], "candidate:") ||
	    g_strcmp0(fields[6], "typ") != 0) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "not an ICE candidate (RFC 8839 'candidate:...')");
		return FALSE;
	}
	peer->candidates[mline]++;
	/* mDNS names cannot be resolved here; ICE-TCP is off */
	if (g_str_has_suffix(fields[4], ".local") || g_ascii_strcasecmp(fields[2], "udp") != 0) {
		g_debug("peer %s: candidate %s ignored", peer->id, fields[4]);
		return TRUE;
	}
	g_signal_emit_by_name(peer->webrtc, "add-ice-candidate", mline, candidate);
	return TRUE;
}

static void
cb_peer_create_answer(CbPeer *peer)
{
	CbPeerRef *ref = g_object_get_data(G_OBJECT(peer->webrtc), "cb-peer-ref");
	GstPromise *promise = gst_promise_new_with_change_func(
		cb_peer_answer_cb, cb_peer_ref_acquire(ref), cb_peer_ref_release);

	g_signal_emit_by_name(peer->webrtc, "create-answer", NULL, gst_promise_ref(promise));
	gst_promise_unref(promise);
}

/* webrtcbin 1.22 announces a subscriber's video as "a=ssrc-group:FID 0 X"
 * with a=ssrc lines for X only: a primary SSRC of 0 and a retransmission
 * SSRC that the forwarding payloader never sends. A browser binds its
 * receiver to what is announced and then decodes the real stream without
 * ever showing it. The client gets the answer without SSRC lines: every
 * stream of a one-way subscriber is then told apart by payload type (one
 * video and one audio section), which browsers and WHEP players handle. */
static char *
cb_peer_answer_for_client(CbPeer *peer, const char *sdp)
{
	g_auto(GStrv) lines = NULL;
	GString *out;

	if (peer->publisher)
		return g_strdup(sdp);
	lines = g_strsplit(sdp, "\n", -1);
	out = g_string_sized_new(strlen(sdp));
	for (guint i = 0; lines[i] != NULL; i++) {
		if (g_str_has_prefix(lines[i], "a=ssrc:") ||
		    g_str_has_prefix(lines[i], "a=ssrc-group:"))
			continue;
		g_string_append(out, lines[i]);
		if (lines[i + 1] != NULL)
			g_string_append_c(out, '\n');
	}
	return g_string_free(out, FALSE);
}

static void
cb_peer_handle_event(CbRoom *room, CbPeer *peer, CbPeerEvent *event)
{
	switch (event->kind) {
	case CB_PEER_EVENT_REMOTE_SET:
		cb_peer_create_answer(peer);
		break;
	case CB_PEER_EVENT_ANSWER: {
		g_autofree char *answer = NULL;
		GstSDPMessage *msg = NULL;
		GstWebRTCSessionDescription *desc;

		if (gst_sdp_message_new_from_text(event->text, &msg) != GST_SDP_OK) {
			cb_room_peer_failed(room, peer, "failed", "webrtcbin made a bad answer");
			break;
		}
		desc = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, msg);
		g_signal_emit_by_name(peer->webrtc, "set-local-description", desc, NULL);
		gst_webrtc_session_description_free(desc);
		answer = cb_peer_answer_for_client(peer, event->text);
		cb_room_emit_local_description(room, peer, "answer", answer);
		break;
	}
	case CB_PEER_EVENT_CANDIDATE:
		cb_room_emit_local_candidate(room, peer, event->number, event->text);
		break;
	case CB_PEER_EVENT_STATE: {
		/* notifications come from several threads: read the state now, so
		 * the last one handled says the last state */
		GstWebRTCPeerConnectionState state = GST_WEBRTC_PEER_CONNECTION_STATE_NEW;

		g_object_get(peer->webrtc, "connection-state", &state, NULL);
		cb_room_peer_state_changed(room, peer, cb_peer_state_name(state));
		break;
	}
	case CB_PEER_EVENT_TRACK_UP:
		cb_room_publisher_track_up(room, peer, event->number);
		break;
	case CB_PEER_EVENT_KEYFRAME:
		cb_room_subscriber_wants_keyframe(room, peer);
		break;
	case CB_PEER_EVENT_FAILED:
		cb_room_peer_failed(room, peer, "failed", event->text);
		break;
	case CB_PEER_EVENT_GATHERING: {
		GstWebRTCICEGatheringState state = GST_WEBRTC_ICE_GATHERING_STATE_NEW;

		g_object_get(peer->webrtc, "ice-gathering-state", &state, NULL);
		if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE && !peer->gathered) {
			peer->gathered = TRUE;
			cb_room_emit_gathering_complete(room, peer);
		}
		break;
	}
	}
}
