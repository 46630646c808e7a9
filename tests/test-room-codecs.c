#define G_LOG_DOMAIN "CbTestRoomCodecs"

/*
 * Codecs and header extensions in the media room, with real webrtcbins back
 * to back on 127.0.0.1 (run inside `unshare -n`): H.264 passed through
 * without decoding, the codec rules of a session and of the floor, and the
 * audio level (RFC 6464) rewritten to each subscriber's extension id.
 *
 * The H.264 test publisher is a bridge point's hardware encoder as WHIP
 * sends it: H.264 only (openh264enc here; the room never encodes), with
 * keyframes only when asked, so a subscriber that decodes anything proves
 * the keyframe requests. Its microphone carries a fixed audio level, put on
 * every buffer before its payloader writes the extension.
 */

#include <gst/audio/audio.h>
#include <gst/rtp/rtp.h>
#include <string.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-room.h"

#include "cb-test-room.h"

/* private to the media module and its tests */
GstElement *cb_room_get_pipeline(CbRoom *room);

#define PORT_MIN   32000
#define PORT_MAX   32999
#define WAIT_UNTIL CB_TEST_WAIT_UNTIL

#define URI_AUDIO_LEVEL "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
/* the publisher's extension id, and the subscriber's */
#define EXT_PUB 3
#define EXT_SUB 7
/* the level the publisher's microphone reports (-37 dBov), with voice */
#define LEVEL 37

#define W_VP8  176
#define W_H264 192

/* what the RTP header of the audio packets a client got carried (atomics:
 * written by its streaming thread) */
typedef struct {
	gint packets;          /* audio RTP packets received */
	gint with_level;       /* ... carrying the level under EXT_SUB */
	gint with_level_value; /* ... with the publisher's level and voice flag */
	gint with_extension;   /* ... with any header extension */
	gint with_pub_id;      /* ... carrying an element under EXT_PUB */
} AudioSeen;

static AudioSeen *
seen(CbTestRoomClient *client)
{
	return client->data;
}

/* the peer's streaming thread: what the RTP header of each audio packet carries */
static GstPadProbeReturn
client_audio_rtp_cb(GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
	AudioSeen *audio = user_data;
	GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
	gpointer data = NULL;
	guint size = 0;

	if (!gst_rtp_buffer_map(GST_PAD_PROBE_INFO_BUFFER(info), GST_MAP_READ, &rtp))
		return GST_PAD_PROBE_OK;
	g_atomic_int_inc(&audio->packets);
	if (gst_rtp_buffer_get_extension(&rtp))
		g_atomic_int_inc(&audio->with_extension);
	if (gst_rtp_buffer_get_extension_onebyte_header(&rtp, EXT_SUB, 0, &data, &size)) {
		g_atomic_int_inc(&audio->with_level);
		if (size == 1 && ((guint8 *)data)[0] == (0x80 | LEVEL))
			g_atomic_int_inc(&audio->with_level_value);
	}
	if (gst_rtp_buffer_get_extension_onebyte_header(&rtp, EXT_PUB, 0, &data, &size))
		g_atomic_int_inc(&audio->with_pub_id);
	gst_rtp_buffer_unmap(&rtp);
	g_main_context_wakeup(NULL);
	return GST_PAD_PROBE_OK;
}

static void
client_pad_added_cb(GstElement *webrtc, GstPad *pad, gpointer user_data)
{
	g_autoptr(GstCaps) caps = gst_pad_get_current_caps(pad);

	if (GST_PAD_DIRECTION(pad) == GST_PAD_SRC && caps != NULL &&
	    g_strcmp0(gst_structure_get_string(gst_caps_get_structure(caps, 0), "media"),
		      "audio") == 0)
		gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, client_audio_rtp_cb, user_data,
				  NULL);
}

/* a client whose audio packets are looked into */
static CbTestRoomClient *
client_add(CbTestRoom *fx, CbTestPeer *peer)
{
	CbTestRoomClient *client = cb_test_room_add(fx, peer);

	client->data = g_new0(AudioSeen, 1);
	client->data_free = g_free;
	g_signal_connect(cb_test_peer_get_webrtc(peer), "pad-added",
			 G_CALLBACK(client_pad_added_cb), client->data);
	return client;
}

static void
client_add_transceiver(CbTestRoomClient *client, GstWebRTCRTPTransceiverDirection direction,
		       const char *caps)
{
	g_autoptr(GstCaps) c = gst_caps_from_string(caps);
	GstWebRTCRTPTransceiver *trans = NULL;

	g_assert_nonnull(c);
	g_signal_emit_by_name(cb_test_peer_get_webrtc(client->peer), "add-transceiver", direction,
			      c, &trans);
	g_assert_nonnull(trans);
	gst_object_unref(trans);
}

/* streaming thread of the publisher: its microphone's level on each buffer */
static GstPadProbeReturn
client_put_level_cb(GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
	GstBuffer *buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));

	gst_buffer_add_audio_level_meta(buffer, LEVEL, TRUE);
	info->data = buffer;
	return GST_PAD_PROBE_OK;
}

/* Opus with the audio level under EXT_PUB, as rtpopuspay puts it in caps */
static void
set_audio_caps(CbTestRoomClient *client)
{
	g_autoptr(GstElement) filter =
		gst_bin_get_by_name(GST_BIN(cb_test_peer_get_pipeline(client->peer)), "acaps");
	g_autoptr(GstCaps) caps = gst_caps_from_string(
		"application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000");
	g_autofree char *field = g_strdup_printf("extmap-%u", EXT_PUB);
	GValue array = G_VALUE_INIT;
	const char *parts[] = {"", URI_AUDIO_LEVEL, "vad=on"};

	gst_value_array_init(&array, 3);
	for (guint i = 0; i < G_N_ELEMENTS(parts); i++) {
		GValue part = G_VALUE_INIT;

		g_value_init(&part, G_TYPE_STRING);
		g_value_set_string(&part, parts[i]);
		gst_value_array_append_and_take_value(&array, &part);
	}
	gst_structure_take_value(gst_caps_get_structure(caps, 0), field, &array);
	g_assert_nonnull(caps);
	g_object_set(filter, "caps", caps, NULL);
}

#define H264_CAPS(pt)                                                                              \
	"application/x-rtp,media=video,encoding-name=H264,payload=" pt ",clock-rate=90000,"        \
	"packetization-mode=(string)1,profile-level-id=(string)42e01f,rtcp-fb-nack-pli=true"

/* H.264 only (a hardware encoder through WHIP), at payload type 102, and
 * Opus with the audio level under EXT_PUB */
static CbTestRoomClient *
h264_publisher_new(CbTestRoom *fx, const char *peer_id, CbPeerKind kind, guint width)
{
	g_autofree char *description = g_strdup_printf(
		"webrtcbin name=w bundle-policy=max-bundle latency=50 "
		"videotestsrc is-live=true pattern=ball ! "
		"video/x-raw,width=%u,height=96,framerate=15/1 ! "
		"openh264enc gop-size=100000 ! video/x-h264,profile=constrained-baseline ! "
		"rtph264pay pt=102 config-interval=-1 ! " H264_CAPS(
			"102") " ! w. "
			       "audiotestsrc is-live=true wave=ticks ! "
			       "audio/x-raw,rate=48000,channels=1 ! "
			       "opusenc ! rtpopuspay name=apay pt=111 ! capsfilter name=acaps ! w.",
		width);
	g_autoptr(GError) error = NULL;
	g_autoptr(GstElement) apay = NULL;
	g_autoptr(GstPad) sink = NULL;
	CbTestRoomClient *client;

	cb_room_add_publisher(fx->room, peer_id, kind, &error);
	g_assert_no_error(error);
	client = client_add(fx, cb_test_peer_new(peer_id, description));
	set_audio_caps(client);
	apay = gst_bin_get_by_name(GST_BIN(cb_test_peer_get_pipeline(client->peer)), "apay");
	sink = gst_element_get_static_pad(apay, "sink");
	gst_pad_add_probe(sink, GST_PAD_PROBE_TYPE_BUFFER, client_put_level_cb, NULL, NULL);
	g_assert_true(cb_test_room_offer(client, &error));
	g_assert_no_error(error);
	return client;
}

static CbTestRoomClient *
vp8_publisher_new(CbTestRoom *fx, const char *peer_id, CbPeerKind kind, guint width)
{
	g_autoptr(GError) error = NULL;
	CbTestRoomClient *client;

	cb_room_add_publisher(fx->room, peer_id, kind, &error);
	g_assert_no_error(error);
	client = client_add(fx, cb_test_peer_new_publisher(peer_id, width, 100000));
	g_assert_true(cb_test_room_offer(client, &error));
	g_assert_no_error(error);
	return client;
}

/* a receive-only client with the given transceivers (video caps, audio caps;
 * NULL: none); the room's verdict on its offer goes to @error */
static CbTestRoomClient *
subscriber_try(CbTestRoom *fx, const char *peer_id, const char *slot, const char *video,
	       const char *audio, GError **error)
{
	g_autoptr(GError) local = NULL;
	CbTestRoomClient *client;

	cb_room_add_subscriber(fx->room, peer_id, slot, CB_PEER_KIND_HALL, &local);
	g_assert_no_error(local);
	client = client_add(fx, cb_test_peer_new(peer_id, "webrtcbin name=w "
							  "bundle-policy=max-bundle latency=50"));
	if (video != NULL)
		client_add_transceiver(client, GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY,
				       video);
	if (audio != NULL)
		client_add_transceiver(client, GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY,
				       audio);
	cb_test_room_offer(client, error);
	return client;
}

#define VP8_CAPS                                                                                   \
	"application/x-rtp,media=video,encoding-name=VP8,payload=101,clock-rate=90000,"            \
	"rtcp-fb-nack-pli=true"
#define OPUS_CAPS                                                                                  \
	"application/x-rtp,media=audio,encoding-name=OPUS,payload=109,clock-rate=48000,"           \
	"encoding-params=(string)2"
#define OPUS_LEVEL_CAPS OPUS_CAPS ",extmap-7=(string)" URI_AUDIO_LEVEL

static CbTestRoomClient *
subscriber_new(CbTestRoom *fx, const char *peer_id, const char *slot, const char *video,
	       const char *audio)
{
	g_autoptr(GError) error = NULL;
	CbTestRoomClient *client = subscriber_try(fx, peer_id, slot, video, audio, &error);

	g_assert_no_error(error);
	return client;
}

/* a refused subscriber leaves the room */
static void
subscriber_refused(CbTestRoom *fx, const char *peer_id, const char *slot, const char *video,
		   const char *part)
{
	g_autoptr(GError) error = NULL;

	subscriber_try(fx, peer_id, slot, video, OPUS_CAPS, &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA_TYPE);
	g_test_message("%s: %s", peer_id, error->message);
	g_assert_nonnull(strstr(error->message, part));
	g_assert_true(cb_room_remove_peer(fx->room, peer_id, NULL));
	cb_test_room_forget(fx, peer_id);
}

static void
fixture_set_up(CbTestRoom *fx, gconstpointer data)
{
	g_autoptr(CbConfig) config = cb_test_room_config(PORT_MIN, PORT_MAX);

	cb_test_room_open(fx, 43, config);
}

static void
fixture_tear_down(CbTestRoom *fx, gconstpointer data)
{
	cb_test_room_close(fx, NULL); /* no warning is expected here */
}

/* how many of the room's elements have @klass in their class, and how
 * many are made by @factory */
static guint
room_elements_of_class(CbTestRoom *fx, const char *klass, const char *factory, guint *n_factory)
{
	g_autoptr(GstIterator) it =
		gst_bin_iterate_recurse(GST_BIN(cb_room_get_pipeline(fx->room)));
	GValue item = G_VALUE_INIT;
	guint n = 0;

	*n_factory = 0;
	while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
		GstElement *element = g_value_get_object(&item);
		GstElementFactory *f = gst_element_get_factory(element);
		const char *k =
			f != NULL ? gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_KLASS)
				  : NULL;

		if (k != NULL && strstr(k, klass) != NULL) {
			g_test_message("the room has %s (%s)", GST_OBJECT_NAME(element), k);
			n++;
		}
		if (f != NULL && g_str_equal(GST_OBJECT_NAME(f), factory))
			(*n_factory)++;
		g_value_reset(&item);
	}
	g_value_unset(&item);
	return n;
}

/* H.264 from a hardware encoder reaches an H.264 subscriber at another
 * payload type and is decoded there; the room decodes nothing; the audio
 * level arrives under the subscriber's extension id */
static void
test_h264_passthrough(CbTestRoom *fx, gconstpointer data)
{
	CbTestRoomClient *sub, *late, *plain;
	guint n_depay = 0, n_parse = 0;

	h264_publisher_new(fx, "bp1", CB_PEER_KIND_BRIDGE_POINT, W_H264);
	sub = subscriber_new(fx, "hall-sees-bp1", "bp1", H264_CAPS("126"), OPUS_LEVEL_CAPS);
	/* no level negotiated: its packets carry no extension */
	plain = subscriber_new(fx, "plain", "bp1", NULL, OPUS_CAPS);

	WAIT_UNTIL(cb_test_peer_frames_at(sub->peer, W_H264) >= 10);
	g_assert_nonnull(strstr(sub->answer, "a=rtpmap:126 H264/90000"));
	g_assert_null(strstr(sub->answer, "VP8"));
	/* the answer names the one extension the room forwards, under the
	 * subscriber's id, and nothing else */
	g_assert_nonnull(strstr(sub->answer, "a=extmap:7 " URI_AUDIO_LEVEL));
	g_assert_null(strstr(sub->answer, "a=extmap:3"));
	g_assert_null(strstr(plain->answer, "a=extmap"));
	g_assert_nonnull(
		strstr(cb_test_room_get(fx, "bp1")->answer, "a=extmap:3 " URI_AUDIO_LEVEL));

	WAIT_UNTIL(g_atomic_int_get(&seen(sub)->with_level_value) >= 50 &&
		   g_atomic_int_get(&seen(plain)->packets) >= 50);
	/* every packet the subscriber got has the level under its own id, never
	 * under the publisher's */
	g_assert_cmpint(g_atomic_int_get(&seen(sub)->with_pub_id), ==, 0);
	g_assert_cmpint(g_atomic_int_get(&seen(sub)->with_level), >=,
			g_atomic_int_get(&seen(sub)->packets) - 5);
	g_assert_cmpint(g_atomic_int_get(&seen(plain)->with_extension), ==, 0);

	/* a late joiner decodes only if its joining makes bp1 send a keyframe */
	late = subscriber_new(fx, "late", "bp1", H264_CAPS("100"), NULL);
	WAIT_UNTIL(cb_test_peer_frames_at(late->peer, W_H264) >= 5);
	g_assert_cmpuint(cb_room_get_keyframe_requests(fx->room, "bp1"), >=, 2);

	/* the room depayloads and parses H.264, never decodes or encodes */
	g_assert_cmpuint(room_elements_of_class(fx, "Codec/Decoder", "rtph264depay", &n_depay), ==,
			 0);
	g_assert_cmpuint(room_elements_of_class(fx, "Codec/Encoder", "h264parse", &n_parse), ==, 0);
	g_assert_cmpuint(n_depay, ==, 1);
	g_assert_cmpuint(n_parse, ==, 1);

	/* a subscriber that cannot decode H.264 is told so, and harms nobody */
	subscriber_refused(fx, "vp8-only", "bp1", VP8_CAPS, "publisher 'bp1' sends H.264");
	{
		guint before = cb_test_peer_frames(sub->peer);
		WAIT_UNTIL(cb_test_peer_frames(sub->peer) >= before + 10);
	}
	g_assert_cmpuint(g_hash_table_size(fx->removed), ==, 1); /* vp8-only, "left" */
}

/* the floor carries one codec while it has video subscribers */
static void
test_floor_codec(CbTestRoom *fx, gconstpointer data)
{
	CbTestRoomClient *f1, *f3;
	g_autoptr(GError) error = NULL;
	guint before;

	vp8_publisher_new(fx, "bp1", CB_PEER_KIND_BRIDGE_POINT, W_VP8);
	h264_publisher_new(fx, "hw", CB_PEER_KIND_BRIDGE_POINT, W_H264);
	g_assert_true(cb_room_set_floor(fx->room, "bp1", &error));
	g_assert_no_error(error);
	f1 = subscriber_new(fx, "f1", CB_ROOM_SLOT_FLOOR, VP8_CAPS, OPUS_CAPS);
	WAIT_UNTIL(cb_test_peer_frames_at(f1->peer, W_VP8) >= 10);

	/* f1 could not decode hw: the floor stays */
	g_assert_false(cb_room_set_floor(fx->room, "hw", &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA_TYPE);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "floor's subscribers receive VP8"));
	g_clear_error(&error);
	g_assert_cmpstr(cb_room_get_floor(fx->room), ==, "bp1");
	before = cb_test_peer_frames_at(f1->peer, W_VP8);
	WAIT_UNTIL(cb_test_peer_frames_at(f1->peer, W_VP8) >= before + 10);
	g_assert_cmpuint(cb_test_peer_frames_at(f1->peer, W_H264), ==, 0);
	/* nor can a floor subscriber that takes H.264 only join */
	subscriber_refused(fx, "f2", CB_ROOM_SLOT_FLOOR, H264_CAPS("102"),
			   "the floor's subscribers receive VP8");

	/* with no VP8 subscriber left, the floor may go to hw, and an H.264
	 * subscriber (payload type as the publisher's) follows it */
	g_assert_true(cb_room_remove_peer(fx->room, "f1", NULL));
	g_assert_true(cb_room_set_floor(fx->room, "hw", &error));
	g_assert_no_error(error);
	f3 = subscriber_new(fx, "f3", CB_ROOM_SLOT_FLOOR, H264_CAPS("102"), OPUS_LEVEL_CAPS);
	WAIT_UNTIL(cb_test_peer_frames_at(f3->peer, W_H264) >= 10 &&
		   g_atomic_int_get(&seen(f3)->with_level_value) >= 10);
	g_assert_false(cb_room_set_floor(fx->room, "bp1", &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA_TYPE);
	g_clear_error(&error);
	g_assert_cmpuint(cb_test_peer_frames_at(f3->peer, W_VP8), ==, 0);
}

/* a client offering VP8 and H.264 to publish, as a browser does */
static CbTestRoomClient *
dual_publisher_new(CbTestRoom *fx, const char *peer_id)
{
	g_autoptr(GError) error = NULL;
	CbTestRoomClient *client;
	g_autoptr(GstCaps) caps = gst_caps_from_string(
		"application/"
		"x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000;" H264_CAPS(
			"102"));
	GstWebRTCRTPTransceiver *trans = NULL;

	cb_room_add_publisher(fx->room, peer_id, CB_PEER_KIND_BRIDGE_POINT, &error);
	g_assert_no_error(error);
	client = client_add(fx, cb_test_peer_new(peer_id, "webrtcbin name=w "
							  "bundle-policy=max-bundle"));
	g_signal_emit_by_name(cb_test_peer_get_webrtc(client->peer), "add-transceiver",
			      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, caps, &trans);
	gst_object_unref(trans);
	g_assert_true(cb_test_room_offer(client, &error));
	g_assert_no_error(error);
	WAIT_UNTIL(client->descriptions == 1);
	return client;
}

/* a session uses H.264 for publishers that offer both only while every
 * peer so far offered H.264 */
static void
test_session_rule(CbTestRoom *fx, gconstpointer data)
{
	CbTestRoomClient *d1, *d2;

	d1 = dual_publisher_new(fx, "d1");
	g_assert_nonnull(strstr(d1->answer, "H264/90000"));
	g_assert_null(strstr(d1->answer, "VP8/90000"));
	subscriber_refused(fx, "v1", "d1", VP8_CAPS, "publisher 'd1' sends H.264");
	/* a peer without H.264 joins: browsers publish VP8 from now on */
	subscriber_new(fx, "v2", CB_ROOM_SLOT_FLOOR, VP8_CAPS, NULL);
	d2 = dual_publisher_new(fx, "d2");
	g_assert_nonnull(strstr(d2->answer, "VP8/90000"));
	g_assert_null(strstr(d2->answer, "H264/90000"));
}

static char *
replace(const char *text, const char *from, const char *to)
{
	g_auto(GStrv) parts = g_strsplit(text, from, -1);

	g_assert_cmpuint(g_strv_length(parts), >=, 2);
	return g_strjoinv(to, parts);
}

static void
expect_refused(CbTestRoom *fx, const char *offer, gint code, const char *part)
{
	g_autoptr(GError) error = NULL;

	g_assert_false(cb_room_set_remote_description(fx->room, "p", "offer", offer, &error));
	g_assert_error(error, CB_ERROR, code);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, part));
}

/* unusable H.264 and extension ids out of range: clear errors, nothing harmed */
static void
test_bad_offers(CbTestRoom *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *offer = NULL;
	g_autofree char *fmtp = NULL;
	CbTestRoomClient *client;
	char *bad;

	cb_room_add_publisher(fx->room, "p", CB_PEER_KIND_BRIDGE_POINT, &error);
	g_assert_no_error(error);
	client = client_add(
		fx,
		cb_test_peer_new(
			"p",
			"webrtcbin name=w bundle-policy=max-bundle "
			"videotestsrc is-live=true ! openh264enc ! "
			"video/x-h264,profile=constrained-baseline ! "
			"rtph264pay pt=102 ! " H264_CAPS(
				"102") " ! w. "
				       "audiotestsrc is-live=true ! opusenc ! rtpopuspay pt=111 ! "
				       "application/x-rtp,media=audio,encoding-name=OPUS,"
				       "payload=111,clock-rate=48000,extmap-3=("
				       "string)" URI_AUDIO_LEVEL " ! w."));
	offer = cb_test_peer_offer(client->peer, FALSE);
	g_assert_nonnull(strstr(offer, "packetization-mode=1"));
	{
		const char *line = strstr(offer, "a=fmtp:102 ");
		g_assert_nonnull(line);
		fmtp = g_strndup(line, strcspn(line, "\r\n"));
	}

	bad = replace(offer, "packetization-mode=1", "packetization-mode=0");
	expect_refused(fx, bad, CB_ERROR_UNSUPPORTED_MEDIA_TYPE, "packetization-mode");
	g_free(bad);
	bad = replace(offer, fmtp, "a=fmtp:102 packetization-mode");
	expect_refused(fx, bad, CB_ERROR_UNSUPPORTED_MEDIA_TYPE, "malformed fmtp");
	g_free(bad);
	bad = replace(offer, "42e01f", "640032"); /* high profile */
	expect_refused(fx, bad, CB_ERROR_UNSUPPORTED_MEDIA_TYPE, "constrained baseline");
	g_free(bad);
	bad = replace(offer, "a=extmap:3 ", "a=extmap:15 ");
	expect_refused(fx, bad, CB_ERROR_INVALID, "id 15, out of range");
	g_free(bad);
	bad = replace(offer, "a=extmap:3 ", "a=extmap:0 ");
	expect_refused(fx, bad, CB_ERROR_INVALID, "id 0, out of range");
	g_free(bad);
	bad = replace(offer, "a=extmap:3 ", "a=extmap:x ");
	expect_refused(fx, bad, CB_ERROR_INVALID, "malformed extmap");
	g_free(bad);
	g_assert_cmpuint(cb_room_get_n_peers(fx->room), ==, 1);
	g_assert_cmpuint(g_hash_table_size(fx->removed), ==, 0);

	/* the same peer still negotiates its good offer */
	g_assert_true(cb_room_set_remote_description(fx->room, "p", "offer", offer, &error));
	g_assert_no_error(error);
	WAIT_UNTIL(client->descriptions == 1);
	g_assert_nonnull(strstr(client->answer, "H264/90000"));
	g_assert_nonnull(strstr(client->answer, "a=extmap:3 " URI_AUDIO_LEVEL));
}

int
main(int argc, char **argv)
{
	gst_init(&argc, &argv);
	g_test_init(&argc, &argv, NULL);
	/* GStreamer's own warnings are not the room's: the room's are checked */
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	cb_test_room_watch_log();

	g_test_add("/civic-bridge/room-codecs/h264-passthrough", CbTestRoom, NULL, fixture_set_up,
		   test_h264_passthrough, fixture_tear_down);
	g_test_add("/civic-bridge/room-codecs/floor-codec", CbTestRoom, NULL, fixture_set_up,
		   test_floor_codec, fixture_tear_down);
	g_test_add("/civic-bridge/room-codecs/session-rule", CbTestRoom, NULL, fixture_set_up,
		   test_session_rule, fixture_tear_down);
	g_test_add("/civic-bridge/room-codecs/bad-offers", CbTestRoom, NULL, fixture_set_up,
		   test_bad_offers, fixture_tear_down);
	return g_test_run();
}
