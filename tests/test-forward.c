/* forwarding branches: a subscriber whose elements fail cannot stop the
 * publisher's stream for the others */
#include "src/media/cb-media-private.h"

typedef struct {
	guint good_buffers;
	gboolean source_failed;
	gboolean branch_failed;
} Counts;

static void
handoff_cb(GstElement *sink, GstBuffer *buffer, GstPad *pad, gpointer user_data)
{
	Counts *counts = user_data;

	g_atomic_int_inc(&counts->good_buffers);
}

/* a source, a tee, a branch whose elements fail
 * and a good branch: the source pushes every buffer, the good branch gets
 * every one, and only the failing branch reports an error */
static void
test_failed_branch_isolated(void)
{
	g_autoptr(GError) error = NULL;
	GstElement *pipeline = gst_pipeline_new("forward");
	GstElement *src = gst_element_factory_make("audiotestsrc", "publisher");
	GstElement *tee = gst_element_factory_make("tee", NULL);
	/* funnels: what a branch feeds is a request pad, as webrtcbin's are */
	GstElement *bad_in = gst_element_factory_make("funnel", NULL);
	GstElement *good_in = gst_element_factory_make("funnel", NULL);
	GstElement *refuse = gst_element_factory_make("identity", "failing-subscriber");
	GstElement *bad_sink = gst_element_factory_make("fakesink", NULL);
	GstElement *good_sink = gst_element_factory_make("fakesink", "good-subscriber");
	g_autoptr(GstPad) refuse_sink = NULL;
	g_autoptr(GstPad) good_pad = NULL;
	g_autoptr(GstBus) bus = gst_pipeline_get_bus(GST_PIPELINE(pipeline));
	CbBranch *bad, *good;
	Counts counts = {0};
	gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;

	/* 100 buffers a second, 3 s */
	g_object_set(src, "num-buffers", 300, "samplesperbuffer", 441, "is-live", TRUE, NULL);
	/* its elements fail after a few buffers, as a subscriber's can */
	g_object_set(refuse, "error-after", 5, NULL);
	/* no preroll: the refusing branch never gets a buffer to preroll with */
	g_object_set(good_sink, "signal-handoffs", TRUE, "sync", FALSE, "async", FALSE, NULL);
	g_object_set(bad_sink, "sync", FALSE, "async", FALSE, NULL);
	g_signal_connect(good_sink, "handoff", G_CALLBACK(handoff_cb), &counts);
	gst_bin_add_many(GST_BIN(pipeline), src, tee, bad_in, refuse, bad_sink, good_in, good_sink,
			 NULL);
	g_assert_true(gst_element_link(src, tee));
	g_assert_true(gst_element_link_many(bad_in, refuse, bad_sink, NULL));
	g_assert_true(gst_element_link(good_in, good_sink));
	refuse_sink = gst_element_request_pad_simple(bad_in, "sink_%u");
	good_pad = gst_element_request_pad_simple(good_in, "sink_%u");
	bad = cb_branch_new(pipeline, tee, NULL, bad_in, refuse_sink, &error);
	g_assert_no_error(error);
	good = cb_branch_new(pipeline, tee, NULL, good_in, good_pad, &error);
	g_assert_no_error(error);

	gst_element_set_state(pipeline, GST_STATE_PLAYING);
	while (g_get_monotonic_time() < deadline && g_atomic_int_get(&counts.good_buffers) < 300) {
		g_autoptr(GstMessage) msg = gst_bus_timed_pop(bus, 50 * GST_MSECOND);
		if (msg == NULL || GST_MESSAGE_TYPE(msg) != GST_MESSAGE_ERROR)
			continue;
		if (GST_MESSAGE_SRC(msg) == GST_OBJECT(src))
			counts.source_failed = TRUE;
		else
			counts.branch_failed = TRUE;
	}
	g_assert_false(counts.source_failed);
	g_assert_true(counts.branch_failed);
	g_assert_cmpuint(g_atomic_int_get(&counts.good_buffers), ==, 300);

	gst_element_set_state(pipeline, GST_STATE_NULL);
	cb_branch_free(bad);
	cb_branch_free(good);
	gst_object_unref(pipeline);
}

int
main(int argc, char **argv)
{
	gst_init(&argc, &argv);
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/civic-bridge/forward/failed-branch-isolated",
			test_failed_branch_isolated);
	return g_test_run();
}
