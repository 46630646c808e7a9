#define G_LOG_DOMAIN "CbTestPeer"

/*
 * A GStreamer test peer: what a browser or a hardware encoder is to the
 * daemon, as a webrtcbin in the test process. GStreamer calls back from its
 * own threads; everything the test reads is either atomic or handed to the
 * main context, so the waits below are woken by the events they wait for.
 */

#include <gst/sdp/sdp.h>
#include <nice/agent.h>

#include "cb-test-peer.h"

static void (*wait_hook)(void);

void
cb_test_set_wait_hook(void (*hook)(void))
{
	wait_hook = hook;
}

void
cb_test_run_wait_hook(void)
{
	if (wait_hook != NULL)
		wait_hook();
}

gboolean
cb_test_timed_out_cb(gpointer data)
{
	*(gboolean *)data = TRUE;
	return G_SOURCE_REMOVE;
}

struct _CbTestPeer {
	char *name;
	GstElement *pipeline;
	GstElement *webrtc;
	GMutex lock;
	GHashTable *frames_by_width; /* width -> decoded frames, under lock */
	gint frames;                 /* atomic */
	gint audio;                  /* atomic */
	CbTestPeerCandidateFunc candidate_func;
	gpointer candidate_data;
	gboolean closed; /* main context only */
};

/* the peer is a ref-counted box so a candidate on its way to the main
 * context can outlive cb_test_peer_free() without touching freed memory */
static void
peer_clear(gpointer data)
{
	CbTestPeer *peer = data;

	gst_object_unref(peer->pipeline);
	g_hash_table_unref(peer->frames_by_width);
	g_mutex_clear(&peer->lock);
	g_free(peer->name);
}

static void
peer_unref(CbTestPeer *peer)
{
	g_atomic_rc_box_release_full(peer, peer_clear);
}

void
cb_test_peer_free(CbTestPeer *peer)
{
	if (peer == NULL)
		return;
	peer->closed = TRUE;
	g_signal_handlers_disconnect_by_data(peer->webrtc, peer);
	gst_element_set_state(peer->pipeline, GST_STATE_NULL);
	peer_unref(peer);
}

static GstPadProbeReturn
peer_video_frame_cb(GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
	CbTestPeer *peer = user_data;
	g_autoptr(GstCaps) caps = gst_pad_get_current_caps(pad);
	gint width = 0;
	gpointer key;

	if (caps != NULL)
		gst_structure_get_int(gst_caps_get_structure(caps, 0), "width", &width);
	key = GINT_TO_POINTER(width);
	g_mutex_lock(&peer->lock);
	g_hash_table_insert(
		peer->frames_by_width, key,
		GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(peer->frames_by_width, key)) +
				 1));
	g_mutex_unlock(&peer->lock);
	g_atomic_int_inc(&peer->frames);
	g_main_context_wakeup(NULL);
	return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
peer_audio_cb(GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
	CbTestPeer *peer = user_data;

	g_atomic_int_inc(&peer->audio);
	g_main_context_wakeup(NULL);
	return GST_PAD_PROBE_OK;
}

/* webrtcbin's streaming thread: decode what arrives, count it */
static void
peer_pad_added_cb(GstElement *webrtc, GstPad *pad, gpointer user_data)
{
	CbTestPeer *peer = user_data;
	g_autoptr(GstCaps) caps = NULL;
	gboolean video;
	GstElement *bin;
	g_autoptr(GstElement) sink = NULL;
	g_autoptr(GstPad) sink_pad = NULL;
	g_autoptr(GstPad) bin_pad = NULL;

	if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC)
		return;
	caps = gst_pad_get_current_caps(pad);
	video = g_strcmp0(gst_structure_get_string(gst_caps_get_structure(caps, 0), "media"),
			  "video") == 0;
	bin = gst_parse_bin_from_description(video ? "rtpvp8depay ! vp8dec ! fakesink name=out"
						   : "rtpopusdepay ! fakesink name=out",
					     TRUE, NULL);
	g_assert_nonnull(bin);
	sink = gst_bin_get_by_name(GST_BIN(bin), "out");
	sink_pad = gst_element_get_static_pad(sink, "sink");
	gst_pad_add_probe(sink_pad, GST_PAD_PROBE_TYPE_BUFFER,
			  video ? peer_video_frame_cb : peer_audio_cb, peer, NULL);
	gst_bin_add(GST_BIN(peer->pipeline), bin);
	gst_element_sync_state_with_parent(bin);
	bin_pad = gst_element_get_static_pad(bin, "sink");
	g_assert_cmpint(gst_pad_link(pad, bin_pad), ==, GST_PAD_LINK_OK);
}

typedef struct {
	CbTestPeer *peer; /* a reference */
	guint mline;
	char *candidate;
} Candidate;

static gboolean
peer_candidate_idle_cb(gpointer data)
{
	Candidate *c = data;

	if (!c->peer->closed && c->peer->candidate_func != NULL)
		c->peer->candidate_func(c->peer, c->mline, c->candidate, c->peer->candidate_data);
	peer_unref(c->peer);
	g_free(c->candidate);
	g_free(c);
	return G_SOURCE_REMOVE;
}

/* webrtcbin's thread: hand the candidate to the main context */
static void
peer_ice_candidate_cb(GstElement *webrtc, guint mline, const char *candidate, gpointer user_data)
{
	Candidate *c = g_new0(Candidate, 1);

	c->peer = g_atomic_rc_box_acquire((CbTestPeer *)user_data);
	c->mline = mline;
	c->candidate = g_strdup(candidate);
	g_idle_add(peer_candidate_idle_cb, c);
}

/* webrtcbin's thread: a wait on the main context checks the new state */
static void
peer_state_notify_cb(GObject *webrtc, GParamSpec *pspec, gpointer user_data)
{
	g_main_context_wakeup(NULL);
}

/* libnice gathers nothing on a loopback-only host unless told the address */
static void
peer_use_loopback(GstElement *webrtc)
{
	g_autoptr(GObject) ice = NULL;
	g_autoptr(GObject) agent = NULL;
	NiceAddress address;

	g_object_get(webrtc, "ice-agent", &ice, NULL);
	g_object_set(ice, "ice-tcp", FALSE, NULL);
	g_object_get(ice, "agent", &agent, NULL);
	g_object_set(agent, "upnp", FALSE, NULL);
	nice_address_init(&address);
	g_assert_true(nice_address_set_from_string(&address, "127.0.0.1"));
	nice_agent_add_local_address(NICE_AGENT(agent), &address);
}

CbTestPeer *
cb_test_peer_new(const char *name, const char *description)
{
	CbTestPeer *peer = g_atomic_rc_box_new0(CbTestPeer);
	g_autoptr(GError) error = NULL;

	peer->name = g_strdup(name);
	g_mutex_init(&peer->lock);
	peer->frames_by_width = g_hash_table_new(NULL, NULL);
	peer->pipeline = gst_parse_launch(description, &error);
	g_assert_no_error(error);
	if (!GST_IS_PIPELINE(peer->pipeline)) {
		/* a description of one element gives that element */
		GstElement *pipeline = gst_pipeline_new(NULL);
		gst_bin_add(GST_BIN(pipeline), peer->pipeline);
		peer->pipeline = gst_object_ref_sink(pipeline);
	}
	peer->webrtc = gst_bin_get_by_name(GST_BIN(peer->pipeline), "w");
	g_assert_nonnull(peer->webrtc);
	gst_object_unref(peer->webrtc); /* the pipeline holds it */
	peer_use_loopback(peer->webrtc);
	g_signal_connect(peer->webrtc, "on-ice-candidate", G_CALLBACK(peer_ice_candidate_cb), peer);
	g_signal_connect(peer->webrtc, "pad-added", G_CALLBACK(peer_pad_added_cb), peer);
	g_signal_connect(peer->webrtc, "notify::ice-gathering-state",
			 G_CALLBACK(peer_state_notify_cb), peer);
	g_signal_connect(peer->webrtc, "notify::connection-state", G_CALLBACK(peer_state_notify_cb),
			 peer);
	return peer;
}

CbTestPeer *
cb_test_peer_new_publisher(const char *name, guint width, guint keyframe_max_dist)
{
	g_autofree char *description = g_strdup_printf(
		"webrtcbin name=w bundle-policy=max-bundle latency=50 "
		"videotestsrc is-live=true pattern=ball ! "
		"video/x-raw,width=%u,height=96,framerate=15/1 ! "
		"vp8enc deadline=1 cpu-used=8 keyframe-max-dist=%u ! "
		"rtpvp8pay pt=96 picture-id-mode=15-bit ! "
		"application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000,"
		"rtcp-fb-nack-pli=true ! w. "
		"audiotestsrc is-live=true wave=ticks ! audio/x-raw,rate=48000,channels=1 ! "
		"opusenc ! rtpopuspay pt=111 ! "
		"application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000 ! "
		"w.",
		width, keyframe_max_dist);

	return cb_test_peer_new(name, description);
}

CbTestPeer *
cb_test_peer_new_subscriber(const char *name)
{
	/* payload types unlike the publishers': the room must rewrite them */
	const char *caps[] = {"application/x-rtp,media=video,encoding-name=VP8,payload=101,"
			      "clock-rate=90000,rtcp-fb-nack-pli=true",
			      "application/x-rtp,media=audio,encoding-name=OPUS,payload=109,"
			      "clock-rate=48000,encoding-params=(string)2"};
	CbTestPeer *peer =
		cb_test_peer_new(name, "webrtcbin name=w bundle-policy=max-bundle latency=50");

	for (guint i = 0; i < G_N_ELEMENTS(caps); i++) {
		g_autoptr(GstCaps) c = gst_caps_from_string(caps[i]);
		GstWebRTCRTPTransceiver *trans = NULL;

		g_signal_emit_by_name(peer->webrtc, "add-transceiver",
				      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, c, &trans);
		gst_clear_object(&trans);
	}
	return peer;
}

const char *
cb_test_peer_get_name(CbTestPeer *peer)
{
	return peer->name;
}

GstElement *
cb_test_peer_get_pipeline(CbTestPeer *peer)
{
	return peer->pipeline;
}

GstElement *
cb_test_peer_get_webrtc(CbTestPeer *peer)
{
	return peer->webrtc;
}

void
cb_test_peer_set_candidate_func(CbTestPeer *peer, CbTestPeerCandidateFunc func, gpointer user_data)
{
	peer->candidate_func = func;
	peer->candidate_data = user_data;
}

gboolean
cb_test_peer_gathered(CbTestPeer *peer)
{
	GstWebRTCICEGatheringState state = GST_WEBRTC_ICE_GATHERING_STATE_NEW;

	g_object_get(peer->webrtc, "ice-gathering-state", &state, NULL);
	return state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE;
}

char *
cb_test_peer_offer(CbTestPeer *peer, gboolean complete)
{
	GstPromise *promise = gst_promise_new();
	GstWebRTCSessionDescription *offer = NULL;
	GstWebRTCSessionDescription *local = NULL;
	char *text;

	g_assert_cmpint(gst_element_set_state(peer->pipeline, GST_STATE_PLAYING), !=,
			GST_STATE_CHANGE_FAILURE);
	g_signal_emit_by_name(peer->webrtc, "create-offer", NULL, promise);
	/* webrtcbin always replies; its thread needs nothing from this one */
	g_assert_cmpint(gst_promise_wait(promise), ==, GST_PROMISE_RESULT_REPLIED);
	gst_structure_get(gst_promise_get_reply(promise), "offer",
			  GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, NULL);
	gst_promise_unref(promise);
	g_assert_nonnull(offer);
	g_signal_emit_by_name(peer->webrtc, "set-local-description", offer, NULL);
	if (!complete) {
		text = gst_sdp_message_as_text(offer->sdp);
		gst_webrtc_session_description_free(offer);
		return text;
	}
	gst_webrtc_session_description_free(offer);
	CB_TEST_WAIT_UNTIL(cb_test_peer_gathered(peer));
	g_object_get(peer->webrtc, "local-description", &local, NULL);
	text = gst_sdp_message_as_text(local->sdp);
	gst_webrtc_session_description_free(local);
	return text;
}

void
cb_test_peer_set_answer(CbTestPeer *peer, const char *sdp)
{
	GstSDPMessage *msg = NULL;
	GstWebRTCSessionDescription *answer;

	g_assert_cmpint(gst_sdp_message_new_from_text(sdp, &msg), ==, GST_SDP_OK);
	answer = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, msg);
	g_signal_emit_by_name(peer->webrtc, "set-remote-description", answer, NULL);
	gst_webrtc_session_description_free(answer);
}

void
cb_test_peer_add_candidate(CbTestPeer *peer, guint mline, const char *candidate)
{
	g_signal_emit_by_name(peer->webrtc, "add-ice-candidate", mline, candidate);
}

GstWebRTCPeerConnectionState
cb_test_peer_get_connection_state(CbTestPeer *peer)
{
	GstWebRTCPeerConnectionState state = GST_WEBRTC_PEER_CONNECTION_STATE_NEW;

	g_object_get(peer->webrtc, "connection-state", &state, NULL);
	return state;
}

guint
cb_test_peer_frames(CbTestPeer *peer)
{
	return g_atomic_int_get(&peer->frames);
}

guint
cb_test_peer_frames_at(CbTestPeer *peer, guint width)
{
	guint n;

	g_mutex_lock(&peer->lock);
	n = GPOINTER_TO_UINT(g_hash_table_lookup(peer->frames_by_width, GUINT_TO_POINTER(width)));
	g_mutex_unlock(&peer->lock);
	return n;
}

guint
cb_test_peer_frames_except(CbTestPeer *peer, guint width)
{
	GHashTableIter iter;
	gpointer key, value;
	guint n = 0;

	g_mutex_lock(&peer->lock);
	g_hash_table_iter_init(&iter, peer->frames_by_width);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		if (GPOINTER_TO_UINT(key) != width)
			n += GPOINTER_TO_UINT(value);
	}
	g_mutex_unlock(&peer->lock);
	return n;
}

guint
cb_test_peer_audio(CbTestPeer *peer)
{
	return g_atomic_int_get(&peer->audio);
}
