#define G_LOG_DOMAIN "CbTestRoom"

/*
 * The media room with real webrtcbins back to back in one process, no
 * signalling server: each test peer is a small GStreamer pipeline negotiated
 * with the room through its C API, ICE on 127.0.0.1. Run it inside
 * `unshare -n` (tools/test does) so nothing leaves the machine.
 *
 * Publishers send VP8 with keyframes only on request (keyframe-max-dist is
 * huge), so a subscriber that decodes anything proves the keyframe requests.
 * Publishers differ by picture width, which tells their frames apart.
 */

#include <string.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-room.h"

#include "cb-test-room.h"

/* private to the media module and its tests */
GstElement *cb_room_get_peer_element(CbRoom *room, const char *peer_id);

#define PORT_MIN   31000
#define PORT_MAX   31999
#define WAIT_UNTIL CB_TEST_WAIT_UNTIL

static guint
client_frames_at(CbTestRoomClient *client, guint width)
{
	return cb_test_peer_frames_at(client->peer, width);
}

static guint
client_frames(CbTestRoomClient *client)
{
	return cb_test_peer_frames(client->peer);
}

static guint
client_audio(CbTestRoomClient *client)
{
	return cb_test_peer_audio(client->peer);
}

static void
fixture_set_up(CbTestRoom *fx, gconstpointer data)
{
	g_autoptr(CbConfig) config = cb_test_room_config(PORT_MIN, PORT_MAX);

	config->media_max_candidates = 5;
	/* @data: a keyframe-interval-ms of the test's own */
	if (data != NULL)
		config->media_keyframe_interval_ms = GPOINTER_TO_UINT(data);
	cb_test_room_open(fx, 42, config);
}

static void
fixture_tear_down(CbTestRoom *fx, gconstpointer data)
{
	/* only failures a test forces may warn */
	static const char *const forced[] = {"forced by the test", NULL};

	cb_test_room_close(fx, forced);
}

#define W_HALL    160
#define W_BP1     176
#define W_BP2     192
#define W_CITIZEN 128

/* a hall and a bridge point each publish and each receive the other */
static void
test_both_ways(CbTestRoom *fx, gconstpointer data)
{
	CbTestRoomClient *hall_sees, *bp1_sees, *late;

	cb_test_room_publisher(fx, "hall", CB_PEER_KIND_HALL, W_HALL);
	cb_test_room_publisher(fx, "bp1", CB_PEER_KIND_BRIDGE_POINT, W_BP1);
	hall_sees = cb_test_room_subscriber(fx, "hall-sees-bp1", "bp1", CB_PEER_KIND_HALL);
	bp1_sees = cb_test_room_subscriber(fx, "bp1-sees-hall", "hall", CB_PEER_KIND_BRIDGE_POINT);

	WAIT_UNTIL(client_frames_at(hall_sees, W_BP1) >= 10 &&
		   client_frames_at(bp1_sees, W_HALL) >= 10);
	WAIT_UNTIL(client_audio(hall_sees) >= 10 && client_audio(bp1_sees) >= 10);
	g_assert_cmpuint(client_frames_at(hall_sees, W_HALL), ==, 0);
	g_assert_cmpuint(client_frames_at(bp1_sees, W_BP1), ==, 0);
	WAIT_UNTIL(cb_test_room_connected(fx, "hall") && cb_test_room_connected(fx, "bp1") &&
		   cb_test_room_connected(fx, "hall-sees-bp1") &&
		   cb_test_room_connected(fx, "bp1-sees-hall"));
	g_assert_cmpuint(fx->candidates, >, 0);
	g_assert_false(fx->port_out_of_range);
	g_assert_false(fx->tcp_candidate); /* ICE-TCP is off */

	/* a late joiner: bp1's only spontaneous keyframe has gone by, so it
	 * decodes only if its joining makes bp1 send a new one */
	late = cb_test_room_subscriber(fx, "late-sees-bp1", "bp1", CB_PEER_KIND_HALL);
	WAIT_UNTIL(client_frames_at(late, W_BP1) >= 5);
	g_assert_cmpuint(cb_room_get_keyframe_requests(fx->room, "bp1"), >=, 1);
}

/* elements of @type (a GType, or G_TYPE_NONE and a factory name) in @bin */
static guint
count_elements(GstElement *bin, GType type, const char *factory_name)
{
	g_autoptr(GstIterator) it = gst_bin_iterate_recurse(GST_BIN(bin));
	GValue item = G_VALUE_INIT;
	guint n = 0;

	while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
		GstElement *element = g_value_get_object(&item);
		GstElementFactory *factory = gst_element_get_factory(element);

		if (type != G_TYPE_NONE)
			n += G_TYPE_CHECK_INSTANCE_TYPE(element, type);
		else
			n += factory != NULL &&
			     g_str_equal(gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(factory)),
					 factory_name);
		g_value_reset(&item);
	}
	g_value_unset(&item);
	return n;
}

/* what a publisher sends goes on in the thread that received it: a relay
 * buffer per stream where rtpbin would put a jitterbuffer (and its two
 * threads) */
static void
test_relay_buffer_in_place(CbTestRoom *fx, gconstpointer data)
{
	CbTestRoomClient *sees;
	GstElement *webrtc;
	GType relay;

	cb_test_room_publisher(fx, "hall", CB_PEER_KIND_HALL, W_HALL);
	sees = cb_test_room_subscriber(fx, "sees", "hall", CB_PEER_KIND_BRIDGE_POINT);
	WAIT_UNTIL(client_frames_at(sees, W_HALL) >= 10 && client_audio(sees) >= 10);

	webrtc = cb_room_get_peer_element(fx->room, "hall");
	g_assert_nonnull(webrtc);
	/* registered with the first one made */
	relay = g_type_from_name("CbRelayBuffer");
	g_assert_cmpuint(relay, !=, G_TYPE_INVALID);
	g_assert_cmpuint(count_elements(webrtc, relay, NULL), ==, 2); /* video, audio */
	g_assert_cmpuint(count_elements(webrtc, G_TYPE_NONE, "rtpjitterbuffer"), ==, 0);
}

/* longer than any wait of a test: a second request to one publisher cannot
 * come within the test */
#define KEYFRAME_INTERVAL_MINUTE 60000

/* a joining subscriber's keyframe is asked for when its connection is up,
 * not when its offer arrives: a keyframe sent before could not reach it, and
 * the request would spend the publisher's interval (here a minute), leaving
 * the subscriber black until the next one */
static void
test_join_keyframe_when_connected(CbTestRoom *fx, gconstpointer data)
{
	CbTestRoomClient *sees;

	cb_test_room_publisher(fx, "hall", CB_PEER_KIND_HALL, W_HALL);
	/* the hall's video is in the room: a request could reach the hall */
	WAIT_UNTIL(cb_test_room_connected(fx, "hall") && cb_test_room_video_tracks_up() == 1);
	sees = cb_test_room_subscriber(fx, "bp1-sees-hall", "hall", CB_PEER_KIND_BRIDGE_POINT);
	g_assert_cmpuint(cb_room_get_keyframe_requests(fx->room, "hall"), ==, 0);

	WAIT_UNTIL(cb_test_room_connected(fx, "bp1-sees-hall"));
	WAIT_UNTIL(client_frames_at(sees, W_HALL) >= 5 && client_audio(sees) >= 5);
	/* the one request of the interval was the one it could use */
	g_assert_cmpuint(cb_room_get_keyframe_requests(fx->room, "hall"), ==, 1);
}

/* the floor moves from one publisher to another without renegotiation, and
 * keyframe requests to one publisher are merged */
/* NACK and RTX offered, as browsers do: it is what makes webrtcbin announce
 * an SSRC group in its answer */
static void
offer_retransmission(CbTestPeer *peer)
{
	GArray *transceivers = NULL;

	g_signal_emit_by_name(cb_test_peer_get_webrtc(peer), "get-transceivers", &transceivers);
	g_assert_nonnull(transceivers);
	for (guint i = 0; i < transceivers->len; i++)
		g_object_set(g_array_index(transceivers, GObject *, i), "do-nack", TRUE, NULL);
	g_array_unref(transceivers);
}

/* webrtcbin announces a subscriber's video as the FID group "0 X", X an SSRC
 * the room never sends: a browser bound to it never shows the video. The
 * answer the client gets announces no SSRC; the streams still arrive. */
static void
test_subscriber_answer_announces_no_ssrc(CbTestRoom *fx, gconstpointer data)
{
	CbTestRoomClient *first, *sees;
	gint64 until;

	/* bp1 flowing, as a browser finds the room: its media reaches the new
	 * subscriber's branch before that subscriber's offer comes (that is
	 * when webrtcbin announces SSRCs) */
	cb_test_room_publisher(fx, "bp1", CB_PEER_KIND_BRIDGE_POINT, W_BP1);
	first = cb_test_room_subscriber(fx, "first-sees-bp1", "bp1", CB_PEER_KIND_HALL);
	WAIT_UNTIL(client_frames_at(first, W_BP1) >= 5);
	sees = cb_test_room_add(fx, cb_test_peer_new_subscriber("sees-bp1"));
	offer_retransmission(sees->peer);
	g_assert_true(cb_room_add_subscriber(fx->room, "sees-bp1", "bp1", CB_PEER_KIND_HALL, NULL));
	until = g_get_monotonic_time() + G_USEC_PER_SEC;
	while (g_get_monotonic_time() < until)
		g_main_context_iteration(NULL, FALSE);
	g_assert_true(cb_test_room_offer(sees, NULL));
	WAIT_UNTIL(client_frames_at(sees, W_BP1) >= 10 && client_audio(sees) >= 10);
	g_assert_nonnull(sees->answer);
	g_assert_null(strstr(sees->answer, "a=ssrc"));
	g_assert_nonnull(strstr(sees->answer, "m=video"));
}

static void
test_floor_switch(CbTestRoom *fx, gconstpointer data)
{
	CbTestRoomClient *floor_sub;
	g_autoptr(GError) error = NULL;
	guint before, after;

	cb_test_room_publisher(fx, "bp1", CB_PEER_KIND_BRIDGE_POINT, W_BP1);
	cb_test_room_publisher(fx, "citizen", CB_PEER_KIND_CITIZEN, W_CITIZEN);
	cb_room_set_floor(fx->room, "bp1", &error);
	g_assert_no_error(error);
	floor_sub = cb_test_room_subscriber(fx, "bp2-floor", CB_ROOM_SLOT_FLOOR,
					    CB_PEER_KIND_BRIDGE_POINT);

	WAIT_UNTIL(client_frames_at(floor_sub, W_BP1) >= 10);
	WAIT_UNTIL(cb_test_room_connected(fx, "citizen"));
	cb_room_set_floor(fx->room, "citizen", &error);
	g_assert_no_error(error);
	WAIT_UNTIL(client_frames_at(floor_sub, W_CITIZEN) >= 10);
	cb_room_set_floor(fx->room, "bp1", &error);
	g_assert_no_error(error);
	before = client_frames_at(floor_sub, W_BP1);
	WAIT_UNTIL(client_frames_at(floor_sub, W_BP1) >= before + 10);
	g_assert_cmpstr(cb_room_get_floor(fx->room), ==, "bp1");
	/* one answer for the subscriber, whatever the floor did */
	g_assert_cmpuint(floor_sub->descriptions, ==, 1);

	/* three switches at once: at most one request now, the rest merged into
	 * one that follows */
	before = cb_room_get_keyframe_requests(fx->room, "citizen");
	for (guint i = 0; i < 3; i++) {
		cb_room_set_floor(fx->room, "citizen", &error);
		g_assert_no_error(error);
	}
	after = cb_room_get_keyframe_requests(fx->room, "citizen");
	g_assert_cmpuint(after - before, <=, 1);
	WAIT_UNTIL(cb_room_get_keyframe_requests(fx->room, "citizen") ==
		   before + 1 + (after == before));
	g_assert_cmpuint(cb_room_get_keyframe_requests(fx->room, "citizen"), <=, before + 2);

	/* nobody has the floor: nothing more arrives for the floor slot */
	cb_room_set_floor(fx->room, NULL, &error);
	g_assert_no_error(error);
	g_assert_null(cb_room_get_floor(fx->room));
	cb_room_set_floor(fx->room, "nobody", &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_NOT_FOUND);
}

/* a confidential case: the hall sees the citizen, bridge points do not */
static void
test_confidential(CbTestRoom *fx, gconstpointer data)
{
	CbTestRoomClient *bp_floor, *hall_floor, *bp_direct;
	g_autoptr(GError) error = NULL;

	cb_test_room_publisher(fx, "citizen", CB_PEER_KIND_CITIZEN, W_CITIZEN);
	cb_room_set_confidential(fx->room, TRUE);
	g_assert_true(cb_room_get_confidential(fx->room));
	cb_room_set_floor(fx->room, "citizen", &error);
	g_assert_no_error(error);
	bp_floor = cb_test_room_subscriber(fx, "bp2-floor", CB_ROOM_SLOT_FLOOR,
					   CB_PEER_KIND_BRIDGE_POINT);
	hall_floor =
		cb_test_room_subscriber(fx, "hall-floor", CB_ROOM_SLOT_FLOOR, CB_PEER_KIND_HALL);
	bp_direct =
		cb_test_room_subscriber(fx, "bp2-citizen", "citizen", CB_PEER_KIND_BRIDGE_POINT);

	WAIT_UNTIL(cb_test_room_connected(fx, "bp2-floor") &&
		   cb_test_room_connected(fx, "bp2-citizen"));
	WAIT_UNTIL(client_frames_at(hall_floor, W_CITIZEN) >= 15 && client_audio(hall_floor) >= 25);
	g_assert_cmpint(client_frames(bp_floor), ==, 0);
	g_assert_cmpint(client_audio(bp_floor), ==, 0);
	g_assert_cmpint(client_frames(bp_direct), ==, 0);
	g_assert_cmpint(client_audio(bp_direct), ==, 0);

	/* the case is over: the same bridge point subscriptions now carry it */
	cb_room_set_confidential(fx->room, FALSE);
	WAIT_UNTIL(client_frames_at(bp_floor, W_CITIZEN) >= 5 &&
		   client_frames_at(bp_direct, W_CITIZEN) >= 5 && client_audio(bp_floor) > 0);
	/* and confidential again stops them */
	cb_room_set_confidential(fx->room, TRUE);
	{
		guint floor_audio = client_audio(bp_floor);
		guint hall_audio = client_audio(hall_floor);
		WAIT_UNTIL(client_audio(hall_floor) >= hall_audio + 100);
		/* packets let through before the gate closed may still be in
		 * flight and in the client's jitterbuffer: 2 s of audio is 100
		 * packets */
		g_assert_cmpuint(client_audio(bp_floor), <=, floor_audio + 25);
	}
}

/* blocks the thread that reads a test peer's socket (its nicesrc): what
 * the room sends it then piles up and is dropped by the kernel, as for a
 * client that stalls; returns the pad, its probe id in @id */
static GstPad *
stall_client(CbTestRoomClient *client, gulong *id)
{
	GstElement *webrtc = cb_test_peer_get_webrtc(client->peer);
	g_autoptr(GstIterator) it = gst_bin_iterate_recurse(GST_BIN(webrtc));
	GValue item = G_VALUE_INIT;
	GstPad *pad = NULL;

	while (pad == NULL && gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
		GstElement *element = g_value_get_object(&item);
		GstElementFactory *factory = gst_element_get_factory(element);

		if (factory != NULL &&
		    g_str_equal(gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(factory)),
				"nicesrc"))
			pad = gst_element_get_static_pad(element, "src");
		g_value_reset(&item);
	}
	g_value_unset(&item);
	g_assert_nonnull(pad);
	*id = gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM, NULL, NULL, NULL);
	return pad;
}

/* the publisher's thread sends to every subscriber itself (a branch has no
 * queue): a subscriber whose connection does not come up (webrtcbin would
 * hold that thread until DTLS is up) and one that stops reading must not
 * hold it, or every other subscriber of that publisher stops */
static void
test_stuck_subscribers_isolate(CbTestRoom *fx, gconstpointer data)
{
	CbTestRoomClient *good, *stalled, *connecting;
	g_autoptr(GstPad) stalled_pad = NULL;
	g_autoptr(GError) error = NULL;
	gulong probe = 0;
	guint frames, audio, stalled_frames;

	cb_test_room_publisher(fx, "hall", CB_PEER_KIND_HALL, W_HALL);
	good = cb_test_room_subscriber(fx, "good", "hall", CB_PEER_KIND_BRIDGE_POINT);
	stalled = cb_test_room_subscriber(fx, "stalled", "hall", CB_PEER_KIND_BRIDGE_POINT);
	WAIT_UNTIL(client_frames_at(good, W_HALL) >= 5 && client_frames_at(stalled, W_HALL) >= 5);

	cb_room_add_subscriber(fx->room, "connecting", "hall", CB_PEER_KIND_BRIDGE_POINT, &error);
	g_assert_no_error(error);
	connecting = cb_test_room_add(fx, cb_test_peer_new_subscriber("connecting"));
	connecting->unreachable = TRUE;
	g_assert_true(cb_test_room_offer(connecting, NULL));
	WAIT_UNTIL(connecting->descriptions == 1);
	stalled_pad = stall_client(stalled, &probe);

	/* 3 s of the hall: 45 frames, 150 audio packets */
	frames = client_frames_at(good, W_HALL);
	audio = client_audio(good);
	stalled_frames = client_frames_at(stalled, W_HALL);
	WAIT_UNTIL(client_frames_at(good, W_HALL) >= frames + 45 &&
		   client_audio(good) >= audio + 150);
	g_assert_cmpstr(connecting->room_state, !=, "connected");
	g_assert_cmpuint(client_frames(connecting) + client_audio(connecting), ==, 0);
	/* it did stall: at most what was past its socket when it stopped */
	g_assert_cmpuint(client_frames_at(stalled, W_HALL), <=, stalled_frames + 5);
	gst_pad_remove_probe(stalled_pad, probe);
}

/* holds a room peer's sending thread (its lane's) while @held is set, 10 s
 * at most */
static GstPadProbeReturn
hold_lane_cb(GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
	gint *held = user_data;
	gint64 until = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

	while (g_atomic_int_get(held) && g_get_monotonic_time() < until)
		g_usleep(10 * 1000);
	return GST_PAD_PROBE_OK;
}

/* a lane whose thread cannot send falls behind: past 300 ms it drops its
 * oldest frames and counts it (civic_bridge_media_lane_overruns_total)
 * instead of queueing without end, and its subscriber gets media again
 * once it can send */
static void
test_lane_overrun(CbTestRoom *fx, gconstpointer data)
{
	static gint held = 1;
	CbTestRoomClient *slow;
	GstElement *webrtc;
	g_autoptr(GPtrArray) pads = g_ptr_array_new_with_free_func(gst_object_unref);
	g_autoptr(GArray) probes = g_array_new(FALSE, FALSE, sizeof(gulong));
	guint64 before;
	guint frames;

	cb_test_room_publisher(fx, "hall", CB_PEER_KIND_HALL, W_HALL);
	slow = cb_test_room_subscriber(fx, "slow", "hall", CB_PEER_KIND_BRIDGE_POINT);
	WAIT_UNTIL(client_frames_at(slow, W_HALL) >= 5 && client_audio(slow) >= 10);

	before = cb_room_get_lane_overruns();
	webrtc = cb_room_get_peer_element(fx->room, "slow");
	g_assert_nonnull(webrtc);
	g_atomic_int_set(&held, 1);
	for (guint i = 0; i < 2; i++) {
		g_autofree char *name = g_strdup_printf("sink_%u", i);
		GstPad *pad = gst_element_get_static_pad(webrtc, name);
		gulong id;

		g_assert_nonnull(pad);
		id = gst_pad_add_probe(pad,
				       GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
				       hold_lane_cb, &held, NULL);
		g_ptr_array_add(pads, pad);
		g_array_append_val(probes, id);
	}
	/* the hall keeps sending 15 frames and 50 audio packets a second */
	WAIT_UNTIL(cb_room_get_lane_overruns() > before);

	g_atomic_int_set(&held, 0);
	frames = client_frames_at(slow, W_HALL);
	WAIT_UNTIL(client_frames_at(slow, W_HALL) >= frames + 15);
	for (guint i = 0; i < pads->len; i++)
		gst_pad_remove_probe(g_ptr_array_index(pads, i), g_array_index(probes, gulong, i));
}

/* a peer that leaves, or whose elements fail, leaves the others flowing */
static void
test_remove_and_failure(CbTestRoom *fx, gconstpointer data)
{
	CbTestRoomClient *s1, *s3;
	g_autoptr(GError) error = NULL;
	GstElement *element;
	guint before;

	cb_test_room_publisher(fx, "hall", CB_PEER_KIND_HALL, W_HALL);
	cb_test_room_publisher(fx, "bp1", CB_PEER_KIND_BRIDGE_POINT, W_BP1);
	s1 = cb_test_room_subscriber(fx, "s1", "bp1", CB_PEER_KIND_HALL);
	cb_test_room_subscriber(fx, "s2", "hall", CB_PEER_KIND_BRIDGE_POINT);
	s3 = cb_test_room_subscriber(fx, "s3", "hall", CB_PEER_KIND_BRIDGE_POINT);
	WAIT_UNTIL(client_frames_at(s1, W_BP1) >= 5 && client_frames_at(s3, W_HALL) >= 5 &&
		   client_frames_at(cb_test_room_get(fx, "s2"), W_HALL) >= 5);

	cb_room_remove_peer(fx->room, "s2", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(g_hash_table_lookup(fx->removed, "s2"), ==, "left");
	g_assert_false(cb_room_has_peer(fx->room, "s2"));
	before = client_frames_at(s3, W_HALL);
	WAIT_UNTIL(client_frames_at(s3, W_HALL) >= before + 10);

	/* s3's webrtcbin fails as an element does: an error on the bus */
	element = cb_room_get_peer_element(fx->room, "s3");
	g_assert_nonnull(element);
	GST_ELEMENT_ERROR(element, STREAM, FAILED, ("forced by the test"), (NULL));
	WAIT_UNTIL(g_hash_table_contains(fx->removed, "s3"));
	g_assert_cmpstr(g_hash_table_lookup(fx->removed, "s3"), ==, "error");
	g_assert_true(cb_test_room_warned("peer s3 failed: forced by the test"));
	g_assert_false(cb_room_has_peer(fx->room, "s3"));

	/* a publisher failing too: its subscriber stops, the others go on */
	element = cb_room_get_peer_element(fx->room, "hall");
	GST_ELEMENT_ERROR(element, STREAM, FAILED, ("forced by the test"), (NULL));
	WAIT_UNTIL(g_hash_table_contains(fx->removed, "hall"));
	before = client_frames_at(s1, W_BP1);
	WAIT_UNTIL(client_frames_at(s1, W_BP1) >= before + 15);
	g_assert_cmpuint(cb_room_get_n_peers(fx->room), ==, 2); /* bp1 and s1 */

	/* the hall comes back under its id and feeds a new subscriber */
	cb_test_room_forget(fx, "hall");
	cb_test_room_publisher(fx, "hall", CB_PEER_KIND_HALL, W_HALL);
	s3 = cb_test_room_subscriber(fx, "s4", "hall", CB_PEER_KIND_BRIDGE_POINT);
	WAIT_UNTIL(client_frames_at(s3, W_HALL) >= 5);

	/* muting a publisher stops its frames; unmuting brings them back */
	cb_room_mute(fx->room, "bp1", TRUE, TRUE, &error);
	g_assert_no_error(error);
	before = client_audio(s1);
	{
		guint hall_frames = client_frames_at(s3, W_HALL);
		guint bp1_frames = client_frames_at(s1, W_BP1);
		WAIT_UNTIL(client_frames_at(s3, W_HALL) >= hall_frames + 30);
		/* 2 s of video is 30 frames; at most what was in flight arrives */
		g_assert_cmpuint(client_frames_at(s1, W_BP1), <=, bp1_frames + 8);
	}
	cb_room_mute(fx->room, "bp1", FALSE, FALSE, &error);
	g_assert_no_error(error);
	before = client_frames_at(s1, W_BP1);
	WAIT_UNTIL(client_frames_at(s1, W_BP1) >= before + 10);
	cb_room_mute(fx->room, "s1", TRUE, TRUE, &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID);
}

static void
expect_error(gboolean ok, GError **error, gint code)
{
	g_assert_false(ok);
	g_assert_error(*error, CB_ERROR, code);
	g_clear_error(error);
}

/* bad input gets a clear error and harms neither the room nor its peers */
static void
test_bad_input(CbTestRoom *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *offer = NULL;
	g_autofree char *h264 = NULL;
	g_autofree char *huge = NULL;
	g_autoptr(GString) padded = NULL;
	CbTestRoomClient *client;
	CbTestRoomClient *sub;
	char *p;

	cb_room_add_publisher(fx->room, "p", CB_PEER_KIND_BRIDGE_POINT, &error);
	g_assert_no_error(error);
	/* a real offer to spoil, from a test peer that never connects */
	client = cb_test_room_add(
		fx, cb_test_peer_new(
			    "p", "webrtcbin name=w videotestsrc is-live=true ! vp8enc deadline=1 ! "
				 "rtpvp8pay ! application/x-rtp,media=video,encoding-name=VP8,"
				 "payload=96,clock-rate=90000 ! w."));
	offer = cb_test_peer_offer(client->peer, FALSE);

	expect_error(cb_room_set_remote_description(fx->room, "p", "offer", "hello", &error),
		     &error, CB_ERROR_INVALID);
	expect_error(cb_room_set_remote_description(fx->room, "p", "offer", "v=0\r\n", &error),
		     &error, CB_ERROR_INVALID);
	expect_error(cb_room_set_remote_description(fx->room, "p", "answer", offer, &error), &error,
		     CB_ERROR_INVALID);
	expect_error(cb_room_set_remote_description(fx->room, "nobody", "offer", offer, &error),
		     &error, CB_ERROR_NOT_FOUND);
	h264 = g_strdup(offer);
	while ((p = strstr(h264, "VP8/90000")) != NULL)
		memcpy(p, "XYZ/90000", 9);
	expect_error(cb_room_set_remote_description(fx->room, "p", "offer", h264, &error), &error,
		     CB_ERROR_UNSUPPORTED_MEDIA_TYPE);
	padded = g_string_new(offer);
	while (padded->len <= 32768)
		g_string_append(padded, "a=x-padding:0123456789012345678901234567890123456789\r\n");
	huge = g_string_free(g_steal_pointer(&padded), FALSE);
	expect_error(cb_room_set_remote_description(fx->room, "p", "offer", huge, &error), &error,
		     CB_ERROR_TOO_LARGE);
	/* a publisher offering to receive only */
	sub = cb_test_room_add(fx, cb_test_peer_new("sub", "webrtcbin name=w"));
	{
		g_autoptr(GstCaps) caps = gst_caps_from_string(
			"application/x-rtp,media=video,encoding-name=VP8,payload=96,"
			"clock-rate=90000");
		g_autofree char *recvonly = NULL;
		GstWebRTCRTPTransceiver *trans = NULL;

		g_signal_emit_by_name(cb_test_peer_get_webrtc(sub->peer), "add-transceiver",
				      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &trans);
		gst_clear_object(&trans);
		recvonly = cb_test_peer_offer(sub->peer, FALSE);
		expect_error(
			cb_room_set_remote_description(fx->room, "p", "offer", recvonly, &error),
			&error, CB_ERROR_INVALID);
	}

	/* candidates, to a peer with no test peer behind it */
	cb_room_add_publisher(fx->room, "q", CB_PEER_KIND_BRIDGE_POINT, &error);
	g_assert_no_error(error);
	expect_error(cb_room_add_remote_candidate(fx->room, "nobody", 0,
						  "candidate:1 1 UDP 1 127.0.0.1 5000 typ host",
						  &error),
		     &error, CB_ERROR_NOT_FOUND);
	expect_error(cb_room_add_remote_candidate(fx->room, "q", 0, "hello", &error), &error,
		     CB_ERROR_INVALID);
	expect_error(cb_room_add_remote_candidate(fx->room, "q", 7,
						  "candidate:1 1 UDP 1 127.0.0.1 5000 typ host",
						  &error),
		     &error, CB_ERROR_INVALID);
	g_assert_true(cb_room_add_remote_candidate(fx->room, "q", 0, "", &error));
	g_assert_no_error(error);
	/* mDNS names are dropped, not refused */
	g_assert_true(cb_room_add_remote_candidate(
		fx->room, "q", 0,
		"a=candidate:1 1 udp 2122260223 0d4f7e1c-3f3c-4b0e-9c2b-1a2b3c4d5e6f.local 54321 "
		"typ host generation 0",
		&error));
	g_assert_no_error(error);
	for (guint i = 1; i < 5; i++) {
		g_autofree char *c = g_strdup_printf(
			"candidate:%u 1 UDP 2122260223 127.0.0.1 %u typ host", i, 40000 + i);
		g_assert_true(cb_room_add_remote_candidate(fx->room, "q", 0, c, &error));
		g_assert_no_error(error);
	}
	expect_error(cb_room_add_remote_candidate(fx->room, "q", 0,
						  "candidate:9 1 UDP 2122260223 127.0.0.1 40009 "
						  "typ host",
						  &error),
		     &error, CB_ERROR_TOO_LARGE);

	/* unknown ids and duplicates */
	expect_error(cb_room_add_subscriber(fx->room, "s", "nobody", CB_PEER_KIND_HALL, &error),
		     &error, CB_ERROR_NOT_FOUND);
	expect_error(cb_room_add_publisher(fx->room, "p", CB_PEER_KIND_HALL, &error), &error,
		     CB_ERROR_CONFLICT);
	expect_error(cb_room_add_publisher(fx->room, "floor", CB_PEER_KIND_HALL, &error), &error,
		     CB_ERROR_INVALID);
	expect_error(cb_room_add_publisher(fx->room, "", CB_PEER_KIND_HALL, &error), &error,
		     CB_ERROR_INVALID);
	expect_error(cb_room_remove_peer(fx->room, "nobody", &error), &error, CB_ERROR_NOT_FOUND);
	expect_error(cb_room_mute(fx->room, "nobody", TRUE, TRUE, &error), &error,
		     CB_ERROR_NOT_FOUND);
	g_assert_cmpuint(cb_room_get_n_peers(fx->room), ==, 2);
	g_assert_cmpuint(g_hash_table_size(fx->removed), ==, 0);

	/* the same peer still negotiates its good offer */
	g_assert_true(cb_room_set_remote_description(fx->room, "p", "offer", offer, &error));
	g_assert_no_error(error);
	expect_error(cb_room_set_remote_description(fx->room, "p", "offer", offer, &error), &error,
		     CB_ERROR_CONFLICT);
	WAIT_UNTIL(client->descriptions == 1);
}

/* the one upstream critical the media tests let through stays the only one */
static void
test_known_race_not_fatal(void)
{
	if (g_test_subprocess()) {
		cb_test_room_tolerate_upstream_races();
		g_log("GLib", G_LOG_LEVEL_CRITICAL, "%s",
		      "g_hash_table_foreach: assertion 'version == hash_table->version' failed");
		g_print("went on\n");
		g_log("GLib", G_LOG_LEVEL_CRITICAL, "%s", "another assertion failed");
		g_print("not reached\n");
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_failed();
	g_test_trap_assert_stdout("*went on*");
	g_test_trap_assert_stdout_unmatched("*not reached*");
}

int
main(int argc, char **argv)
{
	gst_init(&argc, &argv);
	g_test_init(&argc, &argv, NULL);
	/* warnings are checked by the tests (an expected one is a forced failure) */
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	cb_test_room_watch_log();

	g_test_add_func("/civic-bridge/room/known-race-not-fatal", test_known_race_not_fatal);
	g_test_add("/civic-bridge/room/media-both-ways", CbTestRoom, NULL, fixture_set_up,
		   test_both_ways, fixture_tear_down);
	g_test_add("/civic-bridge/room/relay-buffer-in-place", CbTestRoom, NULL, fixture_set_up,
		   test_relay_buffer_in_place, fixture_tear_down);
	g_test_add("/civic-bridge/room/join-keyframe-when-connected", CbTestRoom,
		   GUINT_TO_POINTER(KEYFRAME_INTERVAL_MINUTE), fixture_set_up,
		   test_join_keyframe_when_connected, fixture_tear_down);
	g_test_add("/civic-bridge/room/subscriber-answer-announces-no-ssrc", CbTestRoom, NULL,
		   fixture_set_up, test_subscriber_answer_announces_no_ssrc, fixture_tear_down);
	g_test_add("/civic-bridge/room/floor-switch", CbTestRoom, NULL, fixture_set_up,
		   test_floor_switch, fixture_tear_down);
	g_test_add("/civic-bridge/room/confidential", CbTestRoom, NULL, fixture_set_up,
		   test_confidential, fixture_tear_down);
	g_test_add("/civic-bridge/room/stuck-subscribers-isolate", CbTestRoom, NULL, fixture_set_up,
		   test_stuck_subscribers_isolate, fixture_tear_down);
	g_test_add("/civic-bridge/room/lane-overrun", CbTestRoom, NULL, fixture_set_up,
		   test_lane_overrun, fixture_tear_down);
	g_test_add("/civic-bridge/room/remove-and-failure", CbTestRoom, NULL, fixture_set_up,
		   test_remove_and_failure, fixture_tear_down);
	g_test_add("/civic-bridge/room/bad-input", CbTestRoom, NULL, fixture_set_up, test_bad_input,
		   fixture_tear_down);
	return g_test_run();
}
