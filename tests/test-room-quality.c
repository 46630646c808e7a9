#define G_LOG_DOMAIN "CbTestRoomQuality"

/*
 * Connection quality per peer (`peer-quality`), with real webrtcbins back to
 * back on 127.0.0.1 (tests/cb-test-peer.c), and the parser of webrtcbin's
 * statistics fed what a peer without media gives and what no webrtcbin
 * would. Run it inside `unshare -n` (tools/test does).
 */

#include <math.h>
#include <string.h>

#include "civic-bridge/cb-room.h"

#include "cb-test-room.h"

/* private to the media module and its tests (src/media/cb-media-private.h) */
typedef struct _CbStatsReading CbStatsReading;
CbStatsReading *cb_stats_reading_parse(const GstStructure *stats, gint64 time_us);
void cb_stats_reading_free(CbStatsReading *reading);
gboolean cb_stats_quality(const CbStatsReading *prev, const CbStatsReading *cur, gboolean publisher,
			  CbPeerQuality *quality);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbStatsReading, cb_stats_reading_free)

#define W_HALL 160

#define PORT_MIN 33000
#define PORT_MAX 33999

typedef struct {
	CbTestRoom base;
	GHashTable *quality; /* peer id -> GArray of CbPeerQuality */
} Fixture;

static void
publish(Fixture *fx, const char *id, CbPeerKind kind)
{
	g_autoptr(GError) error = NULL;
	CbTestRoomClient *client;

	cb_room_add_publisher(fx->base.room, id, kind, &error);
	g_assert_no_error(error);
	client = cb_test_room_add(&fx->base, cb_test_peer_new_publisher(id, W_HALL, 30));
	g_assert_true(cb_test_room_offer(client, &error));
	g_assert_no_error(error);
}

static void
room_quality_cb(CbRoom *room, const char *peer_id, const CbPeerQuality *quality, Fixture *fx)
{
	GArray *samples = g_hash_table_lookup(fx->quality, peer_id);

	g_test_message("%s: %.0f kbit/s, loss %s%.3f, jitter %s%.1f ms, rtt %s%.1f ms", peer_id,
		       quality->bitrate_kbps, quality->has_loss ? "" : "?", quality->loss,
		       quality->has_jitter ? "" : "?", quality->jitter_ms,
		       quality->has_rtt ? "" : "?", quality->rtt_ms);
	if (samples == NULL) {
		samples = g_array_new(FALSE, FALSE, sizeof(CbPeerQuality));
		g_hash_table_insert(fx->quality, g_strdup(peer_id), samples);
	}
	g_array_append_val(samples, *quality);
}

static void
fixture_set_up(Fixture *fx, gconstpointer data)
{
	guint interval = GPOINTER_TO_UINT(data);
	g_autoptr(CbConfig) config = cb_test_room_config(PORT_MIN, PORT_MAX);

	config->media_stats_interval_seconds = interval;
	cb_test_room_open(&fx->base, 7, config);
	fx->quality = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    (GDestroyNotify)g_array_unref);
	g_signal_connect(fx->base.room, "peer-quality", G_CALLBACK(room_quality_cb), fx);
}

static void
fixture_tear_down(Fixture *fx, gconstpointer data)
{
	cb_test_room_close(&fx->base, NULL);
	g_hash_table_unref(fx->quality);
}

static guint
n_samples(Fixture *fx, const char *peer_id)
{
	GArray *samples = g_hash_table_lookup(fx->quality, peer_id);

	return samples != NULL ? samples->len : 0;
}

/* the last sample of @peer_id that satisfies @want, or NULL */
static const CbPeerQuality *
find_sample(Fixture *fx, const char *peer_id, gboolean (*want)(const CbPeerQuality *q))
{
	GArray *samples = g_hash_table_lookup(fx->quality, peer_id);

	for (guint i = samples != NULL ? samples->len : 0; i > 0; i--) {
		const CbPeerQuality *q = &g_array_index(samples, CbPeerQuality, i - 1);
		if (want(q))
			return q;
	}
	return NULL;
}

static gboolean
flowing(const CbPeerQuality *q)
{
	return q->bitrate_kbps > 0 && q->has_loss;
}

static gboolean
flowing_with_rtt(const CbPeerQuality *q)
{
	return flowing(q) && q->has_rtt;
}

/* every sample is in range, whatever it knows */
static void
assert_plausible(Fixture *fx, const char *peer_id, gboolean publisher, CbPeerKind kind)
{
	GArray *samples = g_hash_table_lookup(fx->quality, peer_id);

	g_assert_nonnull(samples);
	for (guint i = 0; i < samples->len; i++) {
		const CbPeerQuality *q = &g_array_index(samples, CbPeerQuality, i);

		g_assert_cmpint(q->publisher, ==, publisher);
		g_assert_cmpint(q->kind, ==, kind);
		/* one sample per interval (1 s), never two close together */
		g_assert_cmpfloat(q->seconds, >=, 0.5);
		g_assert_true(isfinite(q->bitrate_kbps) && q->bitrate_kbps >= 0);
		/* a 160x96 picture at 15 fps and Opus: far below 10 Mbit/s */
		g_assert_cmpfloat(q->bitrate_kbps, <, 10000);
		if (q->has_loss)
			g_assert_true(q->loss >= 0 && q->loss <= 1);
		if (q->has_jitter)
			g_assert_true(isfinite(q->jitter_ms) && q->jitter_ms >= 0);
		if (q->has_rtt)
			g_assert_true(isfinite(q->rtt_ms) && q->rtt_ms >= 0);
		/* a publisher's client sends no receiver reports: no round trip */
		if (publisher)
			g_assert_false(q->has_rtt);
	}
}

/* ---- the tests ---- */

/* a publisher and its subscriber: what comes in and what goes out */
static void
test_flowing(Fixture *fx, gconstpointer data)
{
	const CbPeerQuality *pub, *sub;

	publish(fx, "hall", CB_PEER_KIND_HALL);
	cb_test_room_subscriber(&fx->base, "s1", "hall", CB_PEER_KIND_BRIDGE_POINT);
	CB_TEST_WAIT_UNTIL(cb_test_room_connected(&fx->base, "hall") &&
			   cb_test_room_connected(&fx->base, "s1"));
	CB_TEST_WAIT_UNTIL(cb_test_peer_frames(cb_test_room_get(&fx->base, "s1")->peer) >= 5);

	/* the client's first receiver report comes within a few seconds */
	CB_TEST_WAIT_UNTIL_MS(find_sample(fx, "hall", flowing) != NULL &&
				      find_sample(fx, "s1", flowing_with_rtt) != NULL,
			      40000);
	pub = find_sample(fx, "hall", flowing);
	sub = find_sample(fx, "s1", flowing_with_rtt);
	g_assert_cmpfloat(pub->bitrate_kbps, >, 1);
	g_assert_cmpfloat(sub->bitrate_kbps, >, 1);
	/* loopback loses next to nothing */
	g_assert_cmpfloat(pub->loss, <, 0.5);
	g_assert_cmpfloat(sub->loss, <, 0.5);
	g_assert_cmpfloat(sub->rtt_ms, <, 5000);
	assert_plausible(fx, "hall", TRUE, CB_PEER_KIND_HALL);
	assert_plausible(fx, "s1", FALSE, CB_PEER_KIND_BRIDGE_POINT);
}

static gboolean
silent(const CbPeerQuality *q)
{
	return q->bitrate_kbps == 0;
}

/* peers with no media: one never offered (not sampled), one connected to a
 * floor nobody has (sampled: nothing sent, no loss known); a peer removed
 * while its reply may be on the way is simply forgotten */
static void
test_no_media(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	const CbPeerQuality *q;
	guint before;

	cb_room_add_publisher(fx->base.room, "bp-9", CB_PEER_KIND_BRIDGE_POINT, &error);
	g_assert_no_error(error);
	cb_test_room_subscriber(&fx->base, "f1", CB_ROOM_SLOT_FLOOR, CB_PEER_KIND_BRIDGE_POINT);
	CB_TEST_WAIT_UNTIL(cb_test_room_connected(&fx->base, "f1"));
	CB_TEST_WAIT_UNTIL(n_samples(fx, "f1") >= 2);
	q = find_sample(fx, "f1", silent);
	g_assert_nonnull(q);
	g_assert_false(q->has_loss);
	assert_plausible(fx, "f1", FALSE, CB_PEER_KIND_BRIDGE_POINT);
	g_assert_cmpuint(n_samples(fx, "bp-9"), ==, 0);

	/* removed between samples: no sample of it after, the others go on */
	cb_test_room_subscriber(&fx->base, "s2", CB_ROOM_SLOT_FLOOR, CB_PEER_KIND_HALL);
	CB_TEST_WAIT_UNTIL(cb_test_room_connected(&fx->base, "s2"));
	cb_room_remove_peer(fx->base.room, "s2", &error);
	g_assert_no_error(error);
	before = n_samples(fx, "s2");
	CB_TEST_WAIT_UNTIL(n_samples(fx, "f1") >= 4);
	g_assert_cmpuint(n_samples(fx, "s2"), ==, before);
}

static gboolean
flag_cb(gpointer data)
{
	*(gboolean *)data = TRUE;
	return G_SOURCE_REMOVE;
}

/* stats-interval-seconds=0: no sampling */
static void
test_off(Fixture *fx, gconstpointer data)
{
	gboolean later = FALSE;

	publish(fx, "hall", CB_PEER_KIND_HALL);
	CB_TEST_WAIT_UNTIL(cb_test_room_connected(&fx->base, "hall"));
	/* three times the shortest interval (1 s) */
	g_timeout_add(3000, flag_cb, &later);
	CB_TEST_WAIT_UNTIL(later);
	g_assert_cmpuint(g_hash_table_size(fx->quality), ==, 0);
}

/* ---- the parser, without a room ---- */

static GstStructure *
stats_entry(GstWebRTCStatsType type, const char *first, ...)
{
	GstStructure *s =
		gst_structure_new("entry", "type", GST_TYPE_WEBRTC_STATS_TYPE, type, NULL);
	va_list args;

	va_start(args, first);
	if (first != NULL)
		gst_structure_set_valist(s, first, args);
	va_end(args);
	return s;
}

static void
stats_add(GstStructure *stats, const char *name, GstStructure *entry)
{
	gst_structure_set(stats, name, GST_TYPE_STRUCTURE, entry, NULL);
	gst_structure_free(entry);
}

/* a publisher's inbound audio and video as webrtcbin 1.22 gives them */
static GstStructure *
publisher_stats(guint64 bytes, guint64 packets, guint64 lost, double jitter)
{
	GstStructure *stats = gst_structure_new_empty("application/x-webrtc-stats");

	stats_add(stats, "rtp-inbound-stream-stats_1",
		  stats_entry(GST_WEBRTC_STATS_INBOUND_RTP, "ssrc", G_TYPE_UINT, 1,
			      "bytes-received", G_TYPE_UINT64, bytes, "packets-received",
			      G_TYPE_UINT64, packets, "packets-lost", G_TYPE_UINT64, lost, "jitter",
			      G_TYPE_DOUBLE, jitter, NULL));
	/* a second stream that sends nothing yet */
	stats_add(stats, "rtp-inbound-stream-stats_2",
		  stats_entry(GST_WEBRTC_STATS_INBOUND_RTP, "ssrc", G_TYPE_UINT, 2, NULL));
	return stats;
}

/* a subscriber's outbound stream and its client's report as webrtcbin 1.22
 * gives them: the report's jitter only raw, in RTP clock units */
static GstStructure *
subscriber_stats(guint64 bytes_sent, gint lost, guint exthighest, double rtt, double fraction)
{
	GstStructure *stats = gst_structure_new_empty("application/x-webrtc-stats");
	GstStructure *remote =
		gst_structure_new("application/x-rtp-source-stats", "rb-exthighestseq", G_TYPE_UINT,
				  exthighest, "rb-jitter", G_TYPE_UINT, 360, NULL);
	GstStructure *local = gst_structure_new("application/x-rtp-source-stats", "clock-rate",
						G_TYPE_INT, 90000, NULL);

	stats_add(stats, "rtp-outbound-stream-stats_5",
		  stats_entry(GST_WEBRTC_STATS_OUTBOUND_RTP, "ssrc", G_TYPE_UINT, 5, "bytes-sent",
			      G_TYPE_UINT64, bytes_sent, "packets-sent", G_TYPE_UINT64,
			      (guint64)exthighest, "gst-rtpsource-stats", GST_TYPE_STRUCTURE, local,
			      NULL));
	stats_add(stats, "rtp-remote-inbound-stream-stats_5",
		  stats_entry(GST_WEBRTC_STATS_REMOTE_INBOUND_RTP, "ssrc", G_TYPE_UINT, 5,
			      "packets-lost", G_TYPE_INT, lost, "round-trip-time", G_TYPE_DOUBLE,
			      rtt, "fraction-lost", G_TYPE_DOUBLE, fraction, "gst-rtpsource-stats",
			      GST_TYPE_STRUCTURE, remote, NULL));
	gst_structure_free(remote);
	gst_structure_free(local);
	return stats;
}

static void
test_arithmetic(void)
{
	g_autoptr(GstStructure) p0 = publisher_stats(1000, 10, 0, 0.002);
	g_autoptr(GstStructure) p1 = publisher_stats(251000, 1000, 10, 0.012);
	g_autoptr(GstStructure) s0 = subscriber_stats(0, 0, 100, 0.01, 0);
	g_autoptr(GstStructure) s1 = subscriber_stats(500000, 20, 1100, 0.03, 0.25);
	g_autoptr(CbStatsReading) a = cb_stats_reading_parse(p0, 1000000);
	g_autoptr(CbStatsReading) b = cb_stats_reading_parse(p1, 3000000);
	g_autoptr(CbStatsReading) c = cb_stats_reading_parse(s0, 1000000);
	g_autoptr(CbStatsReading) d = cb_stats_reading_parse(s1, 5000000);
	CbPeerQuality q;

	/* publisher: 250,000 bytes in 2 s; 10 lost of 1,000 expected */
	g_assert_true(cb_stats_quality(a, b, TRUE, &q));
	g_assert_cmpfloat_with_epsilon(q.seconds, 2, 1e-9);
	g_assert_cmpfloat_with_epsilon(q.bitrate_kbps, 1000, 1e-6);
	g_assert_true(q.has_loss);
	g_assert_cmpfloat_with_epsilon(q.loss, 10.0 / 1000, 1e-9);
	g_assert_true(q.has_jitter);
	g_assert_cmpfloat_with_epsilon(q.jitter_ms, 12, 1e-9);
	g_assert_false(q.has_rtt);
	/* the subscriber direction of a publisher's stats: nothing flows */
	g_assert_true(cb_stats_quality(a, b, FALSE, &q));
	g_assert_cmpfloat(q.bitrate_kbps, ==, 0);
	g_assert_false(q.has_loss || q.has_rtt || q.has_jitter);

	/* subscriber: 500,000 bytes in 4 s; 20 lost of 1,000 between reports */
	g_assert_true(cb_stats_quality(c, d, FALSE, &q));
	g_assert_cmpfloat_with_epsilon(q.bitrate_kbps, 1000, 1e-6);
	g_assert_true(q.has_loss);
	g_assert_cmpfloat_with_epsilon(q.loss, 0.02, 1e-9);
	g_assert_true(q.has_rtt);
	g_assert_cmpfloat_with_epsilon(q.rtt_ms, 30, 1e-9);
	/* 360 / 90,000 s */
	g_assert_cmpfloat_with_epsilon(q.jitter_ms, 4, 1e-9);
	/* no new report since the last one: the report's own fraction */
	g_assert_true(cb_stats_quality(d, d, FALSE, &q) == FALSE);
	{
		g_autoptr(CbStatsReading) e = cb_stats_reading_parse(s1, 7000000);
		g_assert_true(cb_stats_quality(d, e, FALSE, &q));
		g_assert_cmpfloat(q.bitrate_kbps, ==, 0);
		g_assert_cmpfloat_with_epsilon(q.loss, 0.25, 1e-9);
	}
	/* time that does not move forward gives nothing */
	g_assert_false(cb_stats_quality(b, a, TRUE, &q));
}

/* what no webrtcbin gives must not hurt: every odd field is skipped */
static void
test_bad_stats(void)
{
	g_autoptr(GstStructure) odd = gst_structure_new_empty("application/x-webrtc-stats");
	g_autoptr(CbStatsReading) none = cb_stats_reading_parse(NULL, 1);
	g_autoptr(CbStatsReading) before = NULL;
	g_autoptr(CbStatsReading) after = NULL;
	g_autoptr(GstStructure) no_type = gst_structure_new("x", "ssrc", G_TYPE_UINT, 1, NULL);
	CbPeerQuality q;

	gst_structure_set(odd, "a-string", G_TYPE_STRING, "inbound-rtp", "a-number", G_TYPE_INT, 4,
			  "no-type", GST_TYPE_STRUCTURE, no_type, NULL);
	stats_add(odd, "type-is-a-string",
		  gst_structure_new("y", "type", G_TYPE_STRING, "inbound-rtp", "ssrc", G_TYPE_UINT,
				    1, "bytes-received", G_TYPE_UINT64, (guint64)1 << 40, NULL));
	stats_add(odd, "negative-ssrc",
		  stats_entry(GST_WEBRTC_STATS_INBOUND_RTP, "ssrc", G_TYPE_INT, -4,
			      "bytes-received", G_TYPE_UINT64, (guint64)1 << 40, NULL));
	stats_add(odd, "wrong-types",
		  stats_entry(GST_WEBRTC_STATS_INBOUND_RTP, "ssrc", G_TYPE_UINT, 3,
			      "bytes-received", G_TYPE_STRING, "many", "packets-received",
			      G_TYPE_DOUBLE, 4.5, "packets-lost", G_TYPE_BOOLEAN, TRUE, "jitter",
			      G_TYPE_DOUBLE, INFINITY, NULL));
	stats_add(odd, "negative-measures",
		  stats_entry(GST_WEBRTC_STATS_REMOTE_INBOUND_RTP, "ssrc", G_TYPE_UINT64,
			      (guint64)7, "round-trip-time", G_TYPE_DOUBLE, -1.0, "jitter",
			      G_TYPE_DOUBLE, NAN, "fraction-lost", G_TYPE_DOUBLE, 7.0,
			      "gst-rtpsource-stats", G_TYPE_STRING, "not a structure", NULL));
	stats_add(odd, "huge-ssrc",
		  stats_entry(GST_WEBRTC_STATS_OUTBOUND_RTP, "ssrc", G_TYPE_INT64, (gint64)1 << 40,
			      "bytes-sent", G_TYPE_UINT64, (guint64)1 << 40, NULL));
	before = cb_stats_reading_parse(odd, 1000000);
	after = cb_stats_reading_parse(odd, 2000000);
	for (guint publisher = 0; publisher < 2; publisher++) {
		g_assert_true(cb_stats_quality(before, after, publisher, &q));
		g_assert_cmpfloat(q.bitrate_kbps, ==, 0);
		g_assert_false(q.has_loss || q.has_rtt || q.has_jitter);
		/* an empty reading against the odd one: every stream counts from 0 */
		g_assert_true(cb_stats_quality(none, after, publisher, &q));
		g_assert_true(isfinite(q.bitrate_kbps) && q.bitrate_kbps >= 0);
		g_assert_false(q.has_loss && (q.loss < 0 || q.loss > 1));
		g_assert_false(q.has_rtt || q.has_jitter);
	}
}

static void
stats_reply_cb(GstPromise *promise, gpointer user_data)
{
	GstStructure **out = user_data;

	if (gst_promise_wait(promise) == GST_PROMISE_RESULT_REPLIED)
		*out = gst_structure_copy(gst_promise_get_reply(promise));
	g_main_context_wakeup(NULL);
}

/* a real webrtcbin's statistics before anything is negotiated */
static void
test_unnegotiated(void)
{
	g_autoptr(CbTestPeer) peer = cb_test_peer_new("p", "webrtcbin name=w");
	GstElement *webrtc = cb_test_peer_get_webrtc(peer);
	GstStructure *stats = NULL;
	GstPromise *promise = gst_promise_new_with_change_func(stats_reply_cb, &stats, NULL);
	g_autoptr(CbStatsReading) a = NULL;
	g_autoptr(CbStatsReading) b = NULL;
	CbPeerQuality q;

	gst_element_set_state(cb_test_peer_get_pipeline(peer), GST_STATE_PLAYING);
	g_signal_emit_by_name(webrtc, "get-stats", NULL, promise);
	gst_promise_unref(promise);
	CB_TEST_WAIT_UNTIL(g_atomic_pointer_get(&stats) != NULL);
	a = cb_stats_reading_parse(stats, 1000000);
	b = cb_stats_reading_parse(stats, 3000000);
	g_assert_true(cb_stats_quality(a, b, TRUE, &q));
	g_assert_cmpfloat(q.bitrate_kbps, ==, 0);
	g_assert_false(q.has_loss || q.has_rtt || q.has_jitter);
	gst_structure_free(stats);
}

int
main(int argc, char **argv)
{
	gst_init(&argc, &argv);
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/civic-bridge/room-quality/arithmetic", test_arithmetic);
	g_test_add_func("/civic-bridge/room-quality/bad-stats", test_bad_stats);
	g_test_add_func("/civic-bridge/room-quality/unnegotiated", test_unnegotiated);
	g_test_add("/civic-bridge/room-quality/flowing", Fixture, GUINT_TO_POINTER(1),
		   fixture_set_up, test_flowing, fixture_tear_down);
	g_test_add("/civic-bridge/room-quality/no-media", Fixture, GUINT_TO_POINTER(1),
		   fixture_set_up, test_no_media, fixture_tear_down);
	g_test_add("/civic-bridge/room-quality/off", Fixture, GUINT_TO_POINTER(0), fixture_set_up,
		   test_off, fixture_tear_down);
	return g_test_run();
}
