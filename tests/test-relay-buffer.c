#define G_LOG_DOMAIN "CbTestRelayBuffer"

/*
 * The relay buffer (src/media/cb-relay-buffer.c) on its own, in a
 * GstHarness: RTP packets in, the packets it passes on and the events it
 * sends upstream out. Arrival times are the buffers' own timestamps, so
 * the waits behind a gap are exact.
 */

#include <gst/check/gstharness.h>
#include <gst/rtp/gstrtpbuffer.h>

#include "src/media/cb-relay-buffer.h"

#define SSRC       0x11223344
#define RATE       90000
#define PT         96
#define FRAME_RTP  3000 /* 1/30 s at 90 kHz */
#define FRAME_TIME (GST_SECOND / 30)

typedef struct {
	GstHarness *h;
	GstElement *relay;
} Fixture;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
	f->relay = gst_object_ref_sink(cb_relay_buffer_new());
	f->h = gst_harness_new_with_element(f->relay, "sink", "src");
	g_object_set(f->relay, "latency", 50u, "do-retransmission", GPOINTER_TO_INT(data), NULL);
	gst_harness_set_src_caps_str(f->h, "application/x-rtp,media=video,payload=96,"
					   "clock-rate=90000,encoding-name=VP8");
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
	gst_harness_teardown(f->h);
	gst_object_unref(f->relay);
}

/* an RTP packet of sequence @seq, RTP time @rtptime, that arrived at @arrival */
static GstBuffer *
packet(guint16 seq, guint32 rtptime, GstClockTime arrival)
{
	GstBuffer *buffer = gst_rtp_buffer_new_allocate(20, 0, 0);
	GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

	g_assert_true(gst_rtp_buffer_map(buffer, GST_MAP_WRITE, &rtp));
	gst_rtp_buffer_set_ssrc(&rtp, SSRC);
	gst_rtp_buffer_set_payload_type(&rtp, PT);
	gst_rtp_buffer_set_seq(&rtp, seq);
	gst_rtp_buffer_set_timestamp(&rtp, rtptime);
	gst_rtp_buffer_unmap(&rtp);
	GST_BUFFER_PTS(buffer) = arrival;
	GST_BUFFER_DTS(buffer) = arrival;
	return buffer;
}

static void
push(Fixture *f, guint16 seq, guint32 rtptime, GstClockTime arrival)
{
	g_assert_cmpint(gst_harness_push(f->h, packet(seq, rtptime, arrival)), ==, GST_FLOW_OK);
}

static guint16
pull_seq(Fixture *f, GstClockTime *pts)
{
	GstBuffer *buffer = gst_harness_try_pull(f->h);
	GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
	guint16 seq;

	g_assert_nonnull(buffer);
	g_assert_true(gst_rtp_buffer_map(buffer, GST_MAP_READ, &rtp));
	seq = gst_rtp_buffer_get_seq(&rtp);
	gst_rtp_buffer_unmap(&rtp);
	if (pts != NULL)
		*pts = GST_BUFFER_PTS(buffer);
	gst_buffer_unref(buffer);
	return seq;
}

static guint64
stat(Fixture *f, const char *field)
{
	GstStructure *stats = NULL;
	guint64 value = G_MAXUINT64;

	g_object_get(f->relay, "stats", &stats, NULL);
	g_assert_nonnull(stats);
	g_assert_true(gst_structure_get_uint64(stats, field, &value));
	gst_structure_free(stats);
	return value;
}

/* the sequence numbers of the NACK requests sent upstream so far */
static GArray *
nacks(Fixture *f)
{
	GArray *seqs = g_array_new(FALSE, FALSE, sizeof(guint));
	GstEvent *event;

	while ((event = gst_harness_try_pull_upstream_event(f->h)) != NULL) {
		const GstStructure *s = gst_event_get_structure(event);
		guint seq = 0, ssrc = 0;

		if (GST_EVENT_TYPE(event) == GST_EVENT_CUSTOM_UPSTREAM && s != NULL &&
		    gst_structure_has_name(s, "GstRTPRetransmissionRequest")) {
			g_assert_true(gst_structure_get_uint(s, "seqnum", &seq));
			g_assert_true(gst_structure_get_uint(s, "ssrc", &ssrc));
			g_assert_cmphex(ssrc, ==, SSRC);
			g_array_append_val(seqs, seq);
		}
		gst_event_unref(event);
	}
	return seqs;
}

/* in order: passed on at once, timestamped from RTP time whatever the
 * arrival jitter, across the sequence wrap */
static void
test_in_order(Fixture *f, gconstpointer data)
{
	GstClockTime pts = 0;
	const GstClockTime start = 10 * GST_SECOND;

	for (guint i = 0; i < 6; i++) {
		guint16 seq = (guint16)(65533 + i);
		/* arrivals jitter by up to 7 ms; RTP time is regular */
		GstClockTime arrival = start + gst_util_uint64_scale(i, GST_SECOND, 30) +
				       (i % 2) * 7 * GST_MSECOND;

		push(f, seq, 1000 + i * FRAME_RTP, arrival);
		g_assert_cmpuint(gst_harness_buffers_in_queue(f->h), ==, 1);
		g_assert_cmpuint(pull_seq(f, &pts), ==, seq);
		g_assert_cmpuint(pts, ==, start + gst_util_uint64_scale(i, GST_SECOND, 30));
	}
	g_assert_cmpuint(stat(f, "num-pushed"), ==, 6);
	g_assert_cmpuint(stat(f, "num-lost"), ==, 0);
	g_autoptr(GArray) asked = nacks(f);
	g_assert_cmpuint(asked->len, ==, 0);
}

/* a timestamp is never later than its packet's arrival (webrtcbin holds
 * an outgoing packet until then) nor before the one before: a late first
 * packet moves the anchor back */
static void
test_never_ahead(Fixture *f, gconstpointer data)
{
	const GstClockTime t = 3 * GST_SECOND;
	/* the first arrives 30 ms late, the others on time */
	const GstClockTime arrivals[] = {t + 30 * GST_MSECOND, t + 1 * FRAME_TIME,
					 t + 2 * FRAME_TIME, t + 3 * FRAME_TIME + 20 * GST_MSECOND,
					 t + 4 * FRAME_TIME};
	GstClockTime last = 0;

	for (guint i = 0; i < G_N_ELEMENTS(arrivals); i++) {
		GstClockTime pts = 0;

		push(f, (guint16)(i + 1), i * FRAME_RTP, arrivals[i]);
		g_assert_cmpuint(pull_seq(f, &pts), ==, i + 1);
		g_assert_cmpuint(pts, <=, arrivals[i]);
		g_assert_cmpuint(pts, >=, last);
		last = pts;
	}
	/* once the anchor moved, RTP time rules again: the late fourth keeps
	 * its place, the fifth is on time */
	g_assert_cmpuint(last, ==, t + 4 * FRAME_TIME);
}

/* a gap: the missing packets are asked for once, the ones after wait, and
 * the retransmission puts them back in order */
static void
test_gap_filled(Fixture *f, gconstpointer data)
{
	GstClockTime t = GST_SECOND;
	g_autoptr(GArray) asked = NULL;

	push(f, 100, 0, t);
	g_assert_cmpuint(pull_seq(f, NULL), ==, 100);
	/* 101 and 102 lost on the way */
	push(f, 103, 0, t + 10 * GST_MSECOND);
	push(f, 104, FRAME_RTP, t + 20 * GST_MSECOND);
	g_assert_cmpuint(gst_harness_buffers_in_queue(f->h), ==, 0);
	asked = nacks(f);
	g_assert_cmpuint(asked->len, ==, 2);
	g_assert_cmpuint(g_array_index(asked, guint, 0), ==, 101);
	g_assert_cmpuint(g_array_index(asked, guint, 1), ==, 102);

	push(f, 102, 0, t + 30 * GST_MSECOND); /* still waiting for 101 */
	g_assert_cmpuint(gst_harness_buffers_in_queue(f->h), ==, 0);
	push(f, 101, 0, t + 35 * GST_MSECOND);
	for (guint16 seq = 101; seq <= 104; seq++)
		g_assert_cmpuint(pull_seq(f, NULL), ==, seq);
	g_assert_cmpuint(gst_harness_buffers_in_queue(f->h), ==, 0);
	g_assert_cmpuint(stat(f, "num-lost"), ==, 0);
	g_assert_cmpuint(stat(f, "rtx-count"), ==, 2);
	g_assert_cmpuint(stat(f, "rtx-success-count"), ==, 2);
	/* a second copy of one passed on is dropped */
	push(f, 102, 0, t + 40 * GST_MSECOND);
	g_assert_cmpuint(gst_harness_buffers_in_queue(f->h), ==, 0);
	g_assert_cmpuint(stat(f, "num-late"), ==, 1);
}

/* nothing comes back: once "latency" of arrivals has passed, the waiting
 * packets go on and the gap is counted lost; a late copy is dropped */
static void
test_gap_given_up(Fixture *f, gconstpointer data)
{
	GstClockTime t = GST_SECOND;

	push(f, 7, 0, t);
	g_assert_cmpuint(pull_seq(f, NULL), ==, 7);
	push(f, 9, 0, t + 10 * GST_MSECOND);
	push(f, 10, 0, t + 49 * GST_MSECOND);
	g_assert_cmpuint(gst_harness_buffers_in_queue(f->h), ==, 0);
	push(f, 11, 0, t + 61 * GST_MSECOND); /* 50 ms after the gap was seen */
	g_assert_cmpuint(pull_seq(f, NULL), ==, 9);
	g_assert_cmpuint(pull_seq(f, NULL), ==, 10);
	g_assert_cmpuint(pull_seq(f, NULL), ==, 11);
	g_assert_cmpuint(stat(f, "num-lost"), ==, 1);
	push(f, 8, 0, t + 70 * GST_MSECOND);
	g_assert_cmpuint(gst_harness_buffers_in_queue(f->h), ==, 0);
	g_assert_cmpuint(stat(f, "num-late"), ==, 1);
	/* and the stream goes on at once */
	push(f, 12, 0, t + 80 * GST_MSECOND);
	g_assert_cmpuint(pull_seq(f, NULL), ==, 12);
}

/* without NACK (do-retransmission off), a gap waits for nothing */
static void
test_gap_without_nack(Fixture *f, gconstpointer data)
{
	g_autoptr(GArray) asked = NULL;

	push(f, 1, 0, GST_SECOND);
	push(f, 5, 0, GST_SECOND + GST_MSECOND);
	g_assert_cmpuint(pull_seq(f, NULL), ==, 1);
	g_assert_cmpuint(pull_seq(f, NULL), ==, 5);
	g_assert_cmpuint(stat(f, "num-lost"), ==, 3);
	asked = nacks(f);
	g_assert_cmpuint(asked->len, ==, 0);
}

/* a sender that restarts its RTP clock or its sequence keeps flowing:
 * timestamps start again from the arrival */
static void
test_restart(Fixture *f, gconstpointer data)
{
	GstClockTime pts = 0;

	push(f, 500, 90000, 5 * GST_SECOND);
	g_assert_cmpuint(pull_seq(f, &pts), ==, 500);
	g_assert_cmpuint(pts, ==, 5 * GST_SECOND);
	/* RTP time jumps an hour ahead */
	push(f, 501, 90000 + 3600u * RATE, 5 * GST_SECOND + FRAME_TIME);
	g_assert_cmpuint(pull_seq(f, &pts), ==, 501);
	g_assert_cmpuint(pts, ==, 5 * GST_SECOND + FRAME_TIME);
	/* and goes on from there */
	push(f, 502, 90000 + 3600u * RATE + FRAME_RTP,
	     5 * GST_SECOND + 2 * FRAME_TIME + 3 * GST_MSECOND);
	g_assert_cmpuint(pull_seq(f, &pts), ==, 502);
	g_assert_cmpuint(pts, ==, 5 * GST_SECOND + 2 * FRAME_TIME);
	/* the sequence starts again far behind */
	push(f, 60000, 0, 6 * GST_SECOND);
	g_assert_cmpuint(pull_seq(f, &pts), ==, 60000);
	g_assert_cmpuint(pts, ==, 6 * GST_SECOND);
	push(f, 60001, FRAME_RTP, 6 * GST_SECOND + FRAME_TIME);
	g_assert_cmpuint(pull_seq(f, NULL), ==, 60001);
	/* a huge jump ahead is a restart too, not a gap to ask for */
	push(f, 20000, 0, 7 * GST_SECOND);
	g_assert_cmpuint(pull_seq(f, NULL), ==, 20000);
	g_assert_cmpuint(stat(f, "num-lost"), ==, 0);
	g_assert_cmpuint(stat(f, "num-late"), ==, 0);
	g_autoptr(GArray) asked = nacks(f);
	g_assert_cmpuint(asked->len, ==, 0);
}

/* what is not RTP is dropped and counted; a flush forgets what waits */
static void
test_bad_input(Fixture *f, gconstpointer data)
{
	static const guint8 junk[] = {0x00, 0x01, 0x02};
	static const guint8 not_v2[12] = {0x40};
	GstSegment segment;

	g_assert_cmpint(gst_harness_push(f->h, gst_buffer_new_memdup(junk, sizeof(junk))), ==,
			GST_FLOW_OK);
	g_assert_cmpint(gst_harness_push(f->h, gst_buffer_new_memdup(not_v2, sizeof(not_v2))), ==,
			GST_FLOW_OK);
	g_assert_cmpint(gst_harness_push(f->h, gst_buffer_new()), ==, GST_FLOW_OK);
	g_assert_cmpuint(gst_harness_buffers_in_queue(f->h), ==, 0);
	g_assert_cmpuint(stat(f, "num-invalid"), ==, 3);

	push(f, 40, 0, GST_SECOND);
	g_assert_cmpuint(pull_seq(f, NULL), ==, 40);
	push(f, 42, 0, GST_SECOND + GST_MSECOND); /* waits for 41 */
	g_assert_cmpuint(gst_harness_buffers_in_queue(f->h), ==, 0);
	g_assert_true(gst_harness_push_event(f->h, gst_event_new_flush_start()));
	g_assert_true(gst_harness_push_event(f->h, gst_event_new_flush_stop(TRUE)));
	gst_segment_init(&segment, GST_FORMAT_TIME);
	g_assert_true(gst_harness_push_event(f->h, gst_event_new_segment(&segment)));
	/* after the flush, a packet from anywhere starts the stream again */
	push(f, 300, 0, 2 * GST_SECOND);
	g_assert_cmpuint(pull_seq(f, NULL), ==, 300);
	g_assert_cmpuint(gst_harness_buffers_in_queue(f->h), ==, 0);
}

/* what waits behind a gap goes on at the end of the stream */
static void
test_eos_passes_waiting(Fixture *f, gconstpointer data)
{
	push(f, 1, 0, GST_SECOND);
	push(f, 3, 0, GST_SECOND + GST_MSECOND);
	g_assert_cmpuint(pull_seq(f, NULL), ==, 1);
	g_assert_cmpuint(gst_harness_buffers_in_queue(f->h), ==, 0);
	g_assert_true(gst_harness_push_event(f->h, gst_event_new_eos()));
	g_assert_cmpuint(pull_seq(f, NULL), ==, 3);
	g_assert_cmpuint(stat(f, "num-lost"), ==, 1);
}

#define NACK    GINT_TO_POINTER(TRUE)
#define NO_NACK GINT_TO_POINTER(FALSE)

int
main(int argc, char **argv)
{
	gst_init(&argc, &argv);
	g_test_init(&argc, &argv, NULL);

	g_test_add("/civic-bridge/relay-buffer/in-order", Fixture, NACK, fixture_set_up,
		   test_in_order, fixture_tear_down);
	g_test_add("/civic-bridge/relay-buffer/never-ahead", Fixture, NACK, fixture_set_up,
		   test_never_ahead, fixture_tear_down);
	g_test_add("/civic-bridge/relay-buffer/gap-filled", Fixture, NACK, fixture_set_up,
		   test_gap_filled, fixture_tear_down);
	g_test_add("/civic-bridge/relay-buffer/gap-given-up", Fixture, NACK, fixture_set_up,
		   test_gap_given_up, fixture_tear_down);
	g_test_add("/civic-bridge/relay-buffer/gap-without-nack", Fixture, NO_NACK, fixture_set_up,
		   test_gap_without_nack, fixture_tear_down);
	g_test_add("/civic-bridge/relay-buffer/restart", Fixture, NACK, fixture_set_up,
		   test_restart, fixture_tear_down);
	g_test_add("/civic-bridge/relay-buffer/bad-input", Fixture, NACK, fixture_set_up,
		   test_bad_input, fixture_tear_down);
	g_test_add("/civic-bridge/relay-buffer/eos-passes-waiting", Fixture, NACK, fixture_set_up,
		   test_eos_passes_waiting, fixture_tear_down);
	return g_test_run();
}
