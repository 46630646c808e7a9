/* civic-bridge benchmark of live sessions: test peers
 *
 * A publisher replays the clip (appsrc, payloader, webrtcbin or udpsink); a
 * subscriber counts what arrives without decoding it, except a subscriber
 * timing a join, which decodes video to see its first frame. ICE uses
 * 127.0.0.1 only (run inside `unshare -n`).
 */
#define G_LOG_DOMAIN "CbBench"

#include <gst/sdp/sdp.h>
#include <nice/agent.h>

#include "bench-media.h"

#define BM_VIDEO_CAPS                                                                              \
	"application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000,"             \
	"rtcp-fb-nack-pli=true"
#define BM_AUDIO_CAPS                                                                              \
	"application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000,"           \
	"encoding-params=(string)2"

void
bm_peer_configure_ice(GstElement *webrtc)
{
	g_autoptr(GObject) ice = NULL;
	g_autoptr(GObject) agent = NULL;
	NiceAddress address;

	g_object_get(webrtc, "ice-agent", &ice, NULL);
	g_object_set(ice, "ice-tcp", FALSE, NULL);
	g_object_get(ice, "agent", &agent, NULL);
	g_object_set(agent, "upnp", FALSE, NULL);
	nice_address_init(&address);
	nice_address_set_from_string(&address, "127.0.0.1");
	nice_agent_add_local_address(NICE_AGENT(agent), &address);
}

static BmPeer *
bm_peer_new(const char *handle, const char *description)
{
	BmPeer *peer = g_new0(BmPeer, 1);
	g_autoptr(GError) error = NULL;
	GstElement *top = gst_parse_launch(description, &error);

	if (top == NULL)
		g_error("%s: %s", description, error->message);
	if (!GST_IS_PIPELINE(top)) {
		GstElement *pipeline = gst_pipeline_new(NULL);
		gst_bin_add(GST_BIN(pipeline), top);
		top = pipeline;
	}
	peer->handle = g_strdup(handle);
	peer->pipeline = gst_object_ref_sink(top);
	peer->webrtc = gst_bin_get_by_name(GST_BIN(peer->pipeline), "w");
	if (peer->webrtc != NULL) {
		gst_object_unref(peer->webrtc); /* the pipeline holds it */
		bm_peer_configure_ice(peer->webrtc);
	}
	return peer;
}

BmPeer *
bm_publisher_new(const char *handle, BmClip *clip, BmSource *source, guint udp_port)
{
	g_autofree char *description = NULL;
	BmPeer *peer;

	if (udp_port > 0)
		description = g_strdup_printf(
			"appsrc name=v ! rtpvp8pay name=vpay pt=96 picture-id-mode=15-bit ! "
			"udpsink host=127.0.0.1 port=%u sync=false async=false "
			"appsrc name=a ! rtpopuspay name=apay pt=111 ! "
			"udpsink host=127.0.0.1 port=%u sync=false async=false",
			udp_port, udp_port);
	else
		description = g_strdup(
			"webrtcbin name=w bundle-policy=max-bundle latency=50 "
			"appsrc name=v ! rtpvp8pay name=vpay pt=96 "
			"picture-id-mode=15-bit ! " BM_VIDEO_CAPS " ! w. "
			"appsrc name=a ! rtpopuspay name=apay pt=111 ! " BM_AUDIO_CAPS " ! w.");
	peer = bm_peer_new(handle, description);
	peer->replay = bm_replay_start(clip, peer->pipeline, source);
	if (udp_port > 0)
		gst_element_set_state(peer->pipeline, GST_STATE_PLAYING);
	return peer;
}

/* webrtcbin's thread: a track arrives; count it, and decode video if asked */
static void
bm_subscriber_pad_added_cb(GstElement *webrtc, GstPad *pad, gpointer user_data)
{
	BmPeer *peer = user_data;
	gboolean decode = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(webrtc), "bm-decode"));
	g_autoptr(GstCaps) caps = NULL;
	GstElement *bin;
	g_autoptr(GstElement) first = NULL;
	g_autoptr(GstPad) first_pad = NULL;
	g_autoptr(GstPad) bin_pad = NULL;
	gboolean video;

	if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC)
		return;
	caps = gst_pad_get_current_caps(pad);
	video = caps != NULL &&
		g_strcmp0(gst_structure_get_string(gst_caps_get_structure(caps, 0), "media"),
			  "video") == 0;
	bin = gst_parse_bin_from_description(
		video && decode ? "rtpvp8depay name=first request-keyframe=true "
				  "wait-for-keyframe=true ! vp8dec name=dec ! "
				  "fakesink sync=false async=false"
				: "fakesink name=first sync=false async=false",
		TRUE, NULL);
	first = gst_bin_get_by_name(GST_BIN(bin), "first");
	first_pad = gst_element_get_static_pad(first, "sink");
	gst_pad_add_probe(first_pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
			  bm_receive_probe_cb, peer->sink, NULL);
	if (video && decode) {
		g_autoptr(GstElement) dec = gst_bin_get_by_name(GST_BIN(bin), "dec");
		g_autoptr(GstPad) dec_src = gst_element_get_static_pad(dec, "src");
		gst_pad_add_probe(dec_src, GST_PAD_PROBE_TYPE_BUFFER, bm_first_frame_probe_cb,
				  peer->sink, NULL);
	}
	gst_bin_add(GST_BIN(peer->pipeline), bin);
	gst_element_sync_state_with_parent(bin);
	bin_pad = gst_element_get_static_pad(bin, "sink");
	if (gst_pad_link(pad, bin_pad) != GST_PAD_LINK_OK)
		g_warning("%s: cannot link a received track", peer->handle);
}

BmPeer *
bm_subscriber_new(const char *handle, BmSource *source, gboolean offers, gboolean decode)
{
	BmPeer *peer = bm_peer_new(handle, "webrtcbin name=w bundle-policy=max-bundle latency=50");
	const char *caps[] = {BM_VIDEO_CAPS, BM_AUDIO_CAPS};

	peer->sink = bm_sink_new(source);
	g_object_set_data(G_OBJECT(peer->webrtc), "bm-decode", GINT_TO_POINTER(decode));
	g_signal_connect(peer->webrtc, "pad-added", G_CALLBACK(bm_subscriber_pad_added_cb), peer);
	for (guint i = 0; offers && i < G_N_ELEMENTS(caps); i++) {
		g_autoptr(GstCaps) c = gst_caps_from_string(caps[i]);
		GstWebRTCRTPTransceiver *trans = NULL;
		g_signal_emit_by_name(peer->webrtc, "add-transceiver",
				      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, c, &trans);
		gst_clear_object(&trans);
	}
	return peer;
}

void
bm_peer_free(BmPeer *peer)
{
	if (peer == NULL)
		return;
	bm_replay_stop(peer->replay);
	if (peer->webrtc != NULL)
		g_signal_handlers_disconnect_by_data(peer->webrtc, peer);
	gst_element_set_state(peer->pipeline, GST_STATE_NULL);
	gst_object_unref(peer->pipeline);
	bm_sink_free(peer->sink);
	g_free(peer->state);
	g_free(peer->handle);
	g_free(peer);
}

static GstWebRTCSessionDescription *
bm_peer_promise(GstPromise *promise, const char *field)
{
	GstWebRTCSessionDescription *desc = NULL;

	if (gst_promise_wait(promise) == GST_PROMISE_RESULT_REPLIED &&
	    gst_promise_get_reply(promise) != NULL)
		gst_structure_get(gst_promise_get_reply(promise), field,
				  GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL);
	gst_promise_unref(promise);
	return desc;
}

char *
bm_peer_offer(BmPeer *peer)
{
	GstPromise *promise = gst_promise_new();
	GstWebRTCSessionDescription *offer;
	char *text;

	if (gst_element_set_state(peer->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
		return NULL;
	g_signal_emit_by_name(peer->webrtc, "create-offer", NULL, promise);
	offer = bm_peer_promise(promise, "offer");
	if (offer == NULL)
		return NULL;
	g_signal_emit_by_name(peer->webrtc, "set-local-description", offer, NULL);
	text = gst_sdp_message_as_text(offer->sdp);
	gst_webrtc_session_description_free(offer);
	return text;
}

static GstWebRTCSessionDescription *
bm_description(GstWebRTCSDPType type, const char *sdp)
{
	GstSDPMessage *msg = NULL;

	if (gst_sdp_message_new_from_text(sdp, &msg) != GST_SDP_OK)
		return NULL;
	return gst_webrtc_session_description_new(type, msg);
}

char *
bm_peer_answer(BmPeer *peer, const char *offer_text)
{
	GstWebRTCSessionDescription *offer = bm_description(GST_WEBRTC_SDP_TYPE_OFFER, offer_text);
	GstWebRTCSessionDescription *answer;
	GstPromise *promise;
	char *text;

	if (offer == NULL)
		return NULL;
	if (gst_element_set_state(peer->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
		return NULL;
	promise = gst_promise_new();
	g_signal_emit_by_name(peer->webrtc, "set-remote-description", offer, promise);
	gst_promise_wait(promise);
	gst_promise_unref(promise);
	gst_webrtc_session_description_free(offer);
	promise = gst_promise_new();
	g_signal_emit_by_name(peer->webrtc, "create-answer", NULL, promise);
	answer = bm_peer_promise(promise, "answer");
	if (answer == NULL)
		return NULL;
	g_signal_emit_by_name(peer->webrtc, "set-local-description", answer, NULL);
	text = gst_sdp_message_as_text(answer->sdp);
	gst_webrtc_session_description_free(answer);
	return text;
}

void
bm_peer_set_answer(BmPeer *peer, const char *sdp)
{
	GstWebRTCSessionDescription *answer = bm_description(GST_WEBRTC_SDP_TYPE_ANSWER, sdp);

	if (answer == NULL)
		return;
	g_signal_emit_by_name(peer->webrtc, "set-remote-description", answer, NULL);
	gst_webrtc_session_description_free(answer);
	peer->answered = TRUE;
}

gboolean
bm_peer_gathered(BmPeer *peer)
{
	GstWebRTCICEGatheringState state = GST_WEBRTC_ICE_GATHERING_STATE_NEW;

	g_object_get(peer->webrtc, "ice-gathering-state", &state, NULL);
	return state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE;
}

char *
bm_peer_local_sdp(BmPeer *peer)
{
	GstWebRTCSessionDescription *local = NULL;
	char *text;

	g_object_get(peer->webrtc, "local-description", &local, NULL);
	if (local == NULL)
		return NULL;
	text = gst_sdp_message_as_text(local->sdp);
	gst_webrtc_session_description_free(local);
	return text;
}
