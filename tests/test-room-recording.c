#define G_LOG_DOMAIN "CbTestRoomRecording"

/*
 * The recorder in a room, with real webrtcbins back to back on 127.0.0.1
 * (run inside `unshare -n`): an H.264 publisher whose encoder makes a
 * keyframe only when asked (a hardware encoder through WHIP) and a VP8 one
 * likewise, so every segment cut proves the recorder's keyframe requests.
 * Every segment plays (gst-discoverer-1.0), holds its codec without
 * transcoding, and lasts about the configured length; a subscriber keeps
 * receiving while the room records and when recording stops.
 */

#include <string.h>
#include <sys/stat.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-manifest.h"
#include "civic-bridge/cb-room.h"

#include "cb-test-daemon.h"
#include "cb-test-peer.h"

/* private to the media module and its tests */
GstElement *cb_room_get_pipeline(CbRoom *room);

#define PORT_MIN  33000
#define PORT_MAX  33999
#define SEGMENT_S 2
#define W_VP8     176
#define W_H264    192

#define H264_CAPS                                                                                  \
	"application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000,"           \
	"packetization-mode=(string)1,profile-level-id=(string)42e01f,rtcp-fb-nack-pli=true"
#define VP8_CAPS                                                                                   \
	"application/x-rtp,media=video,encoding-name=VP8,payload=101,clock-rate=90000,"            \
	"rtcp-fb-nack-pli=true"

typedef struct {
	CbRoom *room;
	GHashTable *peers;   /* peer id -> CbTestPeer */
	GPtrArray *segments; /* "confidential? file start_us end_us" */
	GPtrArray *failures; /* messages */
	guint stopped;
	char *dir;
} Fixture;

static void
peer_candidate_cb(CbTestPeer *peer, guint mline, const char *candidate, gpointer user_data)
{
	Fixture *fx = user_data;
	const char *peer_id = cb_test_peer_get_name(peer);

	if (cb_room_has_peer(fx->room, peer_id))
		cb_room_add_remote_candidate(fx->room, peer_id, mline, candidate, NULL);
}

static CbTestPeer *
peer_join(Fixture *fx, CbTestPeer *peer)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *offer = NULL;

	cb_test_peer_set_candidate_func(peer, peer_candidate_cb, fx);
	g_hash_table_insert(fx->peers, (gpointer)cb_test_peer_get_name(peer), peer);
	offer = cb_test_peer_offer(peer, FALSE);
	g_assert_true(cb_room_set_remote_description(fx->room, cb_test_peer_get_name(peer), "offer",
						     offer, &error));
	g_assert_no_error(error);
	return peer;
}

/* H.264 only, keyframes only when asked */
static CbTestPeer *
h264_publisher(Fixture *fx, const char *peer_id)
{
	g_autofree char *description = g_strdup_printf(
		"webrtcbin name=w bundle-policy=max-bundle latency=50 "
		"videotestsrc is-live=true pattern=ball ! "
		"video/x-raw,width=%u,height=96,framerate=15/1 ! "
		"openh264enc gop-size=100000 ! video/x-h264,profile=constrained-baseline ! "
		"rtph264pay pt=102 config-interval=-1 ! " H264_CAPS " ! w. "
		"audiotestsrc is-live=true wave=ticks ! audio/x-raw,rate=48000,channels=1 ! "
		"opusenc ! rtpopuspay pt=111 ! w.",
		W_H264);

	g_assert_true(cb_room_add_publisher(fx->room, peer_id, CB_PEER_KIND_BRIDGE_POINT, NULL));
	return peer_join(fx, cb_test_peer_new(peer_id, description));
}

static CbTestPeer *
subscriber(Fixture *fx, const char *peer_id, const char *slot)
{
	CbTestPeer *peer = cb_test_peer_new(peer_id, "webrtcbin name=w bundle-policy=max-bundle "
						     "latency=50");
	g_autoptr(GstCaps) caps = gst_caps_from_string(VP8_CAPS);
	GstWebRTCRTPTransceiver *trans = NULL;

	g_assert_true(cb_room_add_subscriber(fx->room, peer_id, slot, CB_PEER_KIND_HALL, NULL));
	g_signal_emit_by_name(cb_test_peer_get_webrtc(peer), "add-transceiver",
			      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &trans);
	gst_object_unref(trans);
	return peer_join(fx, peer);
}

/* ---- the room's signals ---- */

static void
description_cb(CbRoom *room, const char *peer_id, const char *type, const char *sdp, Fixture *fx)
{
	CbTestPeer *peer = g_hash_table_lookup(fx->peers, peer_id);

	if (peer != NULL)
		cb_test_peer_set_answer(peer, sdp);
}

static void
candidate_cb(CbRoom *room, const char *peer_id, guint mline, const char *candidate, Fixture *fx)
{
	CbTestPeer *peer = g_hash_table_lookup(fx->peers, peer_id);

	if (peer != NULL)
		cb_test_peer_add_candidate(peer, mline, candidate);
}

static void
segment_cb(CbRoom *room, gboolean confidential, gpointer data, Fixture *fx)
{
	const CbManifestSegment *segment = data;

	g_assert_cmpuint(segment->part, ==, 3);
	g_assert_cmpint(segment->end_us, >=, segment->start_us);
	g_ptr_array_add(fx->segments,
			g_strdup_printf("%d %s %" G_GINT64_FORMAT, confidential, segment->file,
					segment->end_us - segment->start_us));
}

static void
failed_cb(CbRoom *room, const char *message, Fixture *fx)
{
	g_ptr_array_add(fx->failures, g_strdup(message));
}

static void
stopped_cb(CbRoom *room, Fixture *fx)
{
	fx->stopped++;
}

static void
fixture_set_up(Fixture *fx, gconstpointer data)
{
	CbMediaConfig config;
	g_autoptr(GError) error = NULL;
	g_autoptr(CbConfig) defaults = cb_config_new_defaults();

	g_free(defaults->media_ice_addresses);
	defaults->media_ice_addresses = g_strdup("127.0.0.1");
	defaults->media_udp_port_min = PORT_MIN;
	defaults->media_udp_port_max = PORT_MAX;
	cb_media_config_init(&config, defaults);
	fx->peers = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					  (GDestroyNotify)cb_test_peer_free);
	fx->segments = g_ptr_array_new_with_free_func(g_free);
	fx->failures = g_ptr_array_new_with_free_func(g_free);
	fx->dir = g_dir_make_tmp("cb-room-recording-XXXXXX", &error);
	g_assert_no_error(error);
	fx->room = cb_room_new(44, &config, &error);
	cb_media_config_clear(&config);
	g_assert_no_error(error);
	g_signal_connect(fx->room, "local-description", G_CALLBACK(description_cb), fx);
	g_signal_connect(fx->room, "local-candidate", G_CALLBACK(candidate_cb), fx);
	g_signal_connect(fx->room, "recording-segment", G_CALLBACK(segment_cb), fx);
	g_signal_connect(fx->room, "recording-failed", G_CALLBACK(failed_cb), fx);
	g_signal_connect(fx->room, "recording-stopped", G_CALLBACK(stopped_cb), fx);
}

static void
fixture_tear_down(Fixture *fx, gconstpointer data)
{
	g_clear_object(&fx->room);
	g_hash_table_unref(fx->peers);
	g_ptr_array_unref(fx->segments);
	g_ptr_array_unref(fx->failures);
	cb_test_remove_tree(fx->dir);
	g_free(fx->dir);
	while (g_main_context_iteration(NULL, FALSE))
		;
}

static gboolean
done_cb(gpointer data)
{
	*(gboolean *)data = TRUE;
	return G_SOURCE_REMOVE;
}

static void
pump_for(guint ms)
{
	gboolean done = FALSE;

	g_timeout_add(ms, done_cb, &done);
	while (!done)
		g_main_context_iteration(NULL, TRUE);
}

/* gst-discoverer-1.0's report of a file; fails unless it plays */
static char *
discover(const char *path)
{
	g_autoptr(GError) error = NULL;
	char *out = NULL;
	g_autoptr(GSubprocess) p =
		g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
				 &error, "gst-discoverer-1.0", path, NULL);

	g_assert_no_error(error);
	g_assert_true(g_subprocess_communicate_utf8(p, NULL, NULL, &out, NULL, &error));
	g_assert_no_error(error);
	if (strstr(out, "An error was encountered") != NULL || strstr(out, "Properties:") == NULL)
		g_error("%s does not play:\n%s", path, out);
	return out;
}

/* segments of @prefix ("bp1/video") seen so far */
static guint
count_segments(Fixture *fx, const char *prefix)
{
	guint n = 0;

	for (guint i = 0; i < fx->segments->len; i++) {
		g_auto(GStrv) f = g_strsplit(g_ptr_array_index(fx->segments, i), " ", 3);
		if (g_str_has_prefix(f[1], prefix))
			n++;
	}
	return n;
}

/* ---- the tests ---- */

static void
test_segments_cut_at_requested_keyframes(Fixture *fx, gconstpointer data)
{
	CbRoomRecording spec = {.part = 3, .segment_seconds = SEGMENT_S};
	g_autofree char *folder = g_build_filename(fx->dir, "7", NULL);
	g_autofree char *secret = g_build_filename(fx->dir, "7-confidential", NULL);
	g_autoptr(GError) error = NULL;
	CbTestPeer *sees_vp8;
	guint frames;
	struct stat st;

	spec.folder = folder;
	spec.confidential_folder = secret;
	h264_publisher(fx, "bp1");
	g_assert_true(cb_room_add_publisher(fx->room, "bp2", CB_PEER_KIND_BRIDGE_POINT, NULL));
	peer_join(fx, cb_test_peer_new_publisher("bp2", W_VP8, 100000));
	sees_vp8 = subscriber(fx, "hall-sees-bp2", "bp2");
	CB_TEST_WAIT_UNTIL(cb_test_peer_frames_at(sees_vp8, W_VP8) >= 5);

	g_assert_true(cb_room_start_recording(fx->room, &spec, &error));
	g_assert_no_error(error);
	g_assert_true(cb_room_get_recording(fx->room));
	g_assert_false(cb_room_start_recording(fx->room, &spec, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
	g_clear_error(&error);
	/* about 4 segments per track; the publishers make no keyframe unasked */
	CB_TEST_WAIT_UNTIL_MS(count_segments(fx, "bp1/video") >= 3 &&
				      count_segments(fx, "bp2/video") >= 3,
			      30000);
	frames = cb_test_peer_frames_at(sees_vp8, W_VP8);
	cb_room_stop_recording(fx->room);
	CB_TEST_WAIT_UNTIL_MS(fx->stopped == 1, 15000);
	g_assert_false(cb_room_get_recording(fx->room));
	g_assert_cmpuint(fx->failures->len, ==, 0);
	/* forwarding went on all along and goes on */
	CB_TEST_WAIT_UNTIL(cb_test_peer_frames_at(sees_vp8, W_VP8) >= frames + 15);

	for (guint i = 0; i < fx->segments->len; i++) {
		g_auto(GStrv) f = g_strsplit(g_ptr_array_index(fx->segments, i), " ", 3);
		g_autofree char *path = g_build_filename(folder, f[1], NULL);
		g_autofree char *report = discover(path);
		gint64 us = g_ascii_strtoll(f[2], NULL, 10);

		g_test_message("%s: %.2f s", f[1], (double)us / G_USEC_PER_SEC);
		g_assert_cmpstr(f[0], ==, "0");
		g_assert_true(g_str_has_suffix(f[1], ".mkv"));
		g_assert_nonnull(strstr(f[1], "-p3-"));
		if (g_str_has_prefix(f[1], "bp1/video"))
			g_assert_nonnull(strstr(report, "H.264"));
		else if (g_str_has_prefix(f[1], "bp2/video"))
			g_assert_nonnull(strstr(report, "VP8"));
		else
			g_assert_nonnull(strstr(report, "Opus"));
		/* cut at a keyframe asked for at the interval: without the requests
		 * the publishers make none, and one segment would hold it all (a
		 * loaded machine may take a while to deliver one) */
		g_assert_cmpint(us, <=, (2 * SEGMENT_S + 1) * G_USEC_PER_SEC);
		g_assert_cmpint(stat(path, &st), ==, 0);
		g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	}
	g_assert_cmpint(stat(folder, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0700);
	g_assert_false(g_file_test(secret, G_FILE_TEST_EXISTS));
	/* recording again is possible once stopped */
	pump_for(200);
	g_assert_true(cb_room_start_recording(fx->room, &spec, &error));
	g_assert_no_error(error);
}

/* a folder that cannot be made: recording fails with a message, the
 * forwarding goes on */
static void
test_unwritable_folder_fails(Fixture *fx, gconstpointer data)
{
	g_autofree char *file = g_build_filename(fx->dir, "not-a-folder", NULL);
	g_autofree char *folder = g_build_filename(file, "7", NULL);
	CbRoomRecording spec = {.folder = folder,
				.confidential_folder = folder,
				.part = 3,
				.segment_seconds = SEGMENT_S};
	CbTestPeer *sees_vp8;
	guint frames;

	g_assert_true(g_file_set_contents(file, "", 0, NULL));
	g_assert_true(cb_room_add_publisher(fx->room, "bp2", CB_PEER_KIND_BRIDGE_POINT, NULL));
	peer_join(fx, cb_test_peer_new_publisher("bp2", W_VP8, 30));
	sees_vp8 = subscriber(fx, "hall-sees-bp2", "bp2");
	CB_TEST_WAIT_UNTIL(cb_test_peer_frames_at(sees_vp8, W_VP8) >= 5);
	g_assert_true(cb_room_start_recording(fx->room, &spec, NULL));
	CB_TEST_WAIT_UNTIL(fx->failures->len >= 1 && fx->stopped == 1);
	g_test_message("%s", (char *)g_ptr_array_index(fx->failures, 0));
	g_assert_nonnull(strstr(g_ptr_array_index(fx->failures, 0), "bp2/"));
	g_assert_cmpuint(fx->segments->len, ==, 0);
	frames = cb_test_peer_frames_at(sees_vp8, W_VP8);
	CB_TEST_WAIT_UNTIL(cb_test_peer_frames_at(sees_vp8, W_VP8) >= frames + 15);
}

/* the first element made by @factory in the room's pipeline */
static GstElement *
room_element(Fixture *fx, const char *factory)
{
	g_autoptr(GstIterator) it =
		gst_bin_iterate_recurse(GST_BIN(cb_room_get_pipeline(fx->room)));
	GValue item = G_VALUE_INIT;
	GstElement *found = NULL;

	while (found == NULL && gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
		GstElement *element = g_value_get_object(&item);
		GstElementFactory *f = gst_element_get_factory(element);

		if (f != NULL && g_str_equal(GST_OBJECT_NAME(f), factory))
			found = gst_object_ref(element);
		g_value_reset(&item);
	}
	g_value_unset(&item);
	return found;
}

/* a segment that cannot be written (its file sink fails) stops the whole
 * recording with a message; what was recorded stays; forwarding goes on */
static void
test_write_error_stops(Fixture *fx, gconstpointer data)
{
	g_autofree char *folder = g_build_filename(fx->dir, "7", NULL);
	CbRoomRecording spec = {.folder = folder,
				.confidential_folder = folder,
				.part = 3,
				.segment_seconds = SEGMENT_S};
	g_autoptr(GstElement) sink = NULL;
	g_autoptr(GError) error = NULL;
	CbTestPeer *sees_vp8;
	guint frames;

	g_assert_true(cb_room_add_publisher(fx->room, "bp2", CB_PEER_KIND_BRIDGE_POINT, NULL));
	peer_join(fx, cb_test_peer_new_publisher("bp2", W_VP8, 30));
	sees_vp8 = subscriber(fx, "hall-sees-bp2", "bp2");
	CB_TEST_WAIT_UNTIL(cb_test_peer_frames_at(sees_vp8, W_VP8) >= 5);
	g_assert_true(cb_room_start_recording(fx->room, &spec, NULL));
	CB_TEST_WAIT_UNTIL_MS(count_segments(fx, "bp2/video") >= 1, 20000);
	sink = room_element(fx, "filesink");
	g_assert_nonnull(sink);
	error = g_error_new_literal(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NO_SPACE_LEFT,
				    "No space left on the resource.");
	gst_element_post_message(sink, gst_message_new_error(GST_OBJECT(sink), error, NULL));
	CB_TEST_WAIT_UNTIL(fx->failures->len == 1 && fx->stopped == 1);
	g_test_message("%s", (char *)g_ptr_array_index(fx->failures, 0));
	g_assert_nonnull(strstr(g_ptr_array_index(fx->failures, 0), "No space left"));
	g_assert_false(cb_room_get_recording(fx->room));
	frames = cb_test_peer_frames_at(sees_vp8, W_VP8);
	CB_TEST_WAIT_UNTIL(cb_test_peer_frames_at(sees_vp8, W_VP8) >= frames + 15);
	/* the segments closed before are there and play */
	for (guint i = 0; i < fx->segments->len; i++) {
		g_auto(GStrv) f = g_strsplit(g_ptr_array_index(fx->segments, i), " ", 3);
		g_autofree char *path = g_build_filename(folder, f[1], NULL);
		g_free(discover(path));
	}
}

int
main(int argc, char **argv)
{
	gst_init(&argc, &argv);
	g_test_init(&argc, &argv, NULL);
	/* the room warns of a recording that fails: expected here */
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	g_test_add("/civic-bridge/room-recording/segments-cut-at-requested-keyframes", Fixture,
		   NULL, fixture_set_up, test_segments_cut_at_requested_keyframes,
		   fixture_tear_down);
	g_test_add("/civic-bridge/room-recording/unwritable-folder-fails", Fixture, NULL,
		   fixture_set_up, test_unwritable_folder_fails, fixture_tear_down);
	g_test_add("/civic-bridge/room-recording/write-error-stops", Fixture, NULL, fixture_set_up,
		   test_write_error_stops, fixture_tear_down);
	return g_test_run();
}
