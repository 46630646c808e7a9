#define G_LOG_DOMAIN "CbRoom"

/*
 * Lanes: the threads that send a publisher's packets to its subscribers.
 *
 * A subscriber branch has no queue of its own (cb-branch-entry.c). It hangs
 * from a lane of its source tee (a slot's or the floor's): a leaky queue,
 * whose one thread runs up to CB_LANE_SIZE subscriber branches one after the
 * other, and a tee. One queue per subscriber branch was one thread hand-off
 * per packet sent; no queue at all left the publisher's one thread to send to
 * every subscriber, and a publisher with 31 subscribers then fell seconds
 * behind whenever the machine was busy (the scheduler shares the CPU out per
 * thread). A lane bounds both: hand-offs per packet sent are one in
 * CB_LANE_SIZE, and a lane that falls behind drops its oldest packets (at
 * most CB_LANE_MAX_TIME waits) instead of delaying them without end. Those
 * drops are counted (cb_room_get_lane_overruns(), on /metrics): they are the
 * only media the daemon itself throws away.
 *
 * Lanes come with their first subscriber and go with their last one, so a
 * room's threads come back to their count when subscribers leave. Main
 * context only.
 */

#include "cb-media-private.h"

/* subscriber branches per lane */
#define CB_LANE_SIZE 8
/* a lane's queue holds at most this much; beyond it the oldest is dropped */
#define CB_LANE_MAX_TIME    (300 * GST_MSECOND)
#define CB_LANE_MAX_BUFFERS 200

/* times any lane of this process was full and dropped its oldest frames:
 * the one place the daemon itself drops media, so staff can see it
 * (/metrics) and a benchmark can tell it from loss elsewhere */
static gsize cb_lanes_overruns;

typedef struct {
	GstElement *source; /* the tee it hangs from */
	GstElement *tee;    /* its subscribers hang from this one */
	CbBranch *in;       /* source tee, entry, queue, @tee */
	guint n_branches;
} CbLane;

struct _CbLanes {
	GstElement *pipeline;
	GPtrArray *lanes; /* of CbLane */
};

CbLanes *
cb_lanes_new(GstElement *pipeline)
{
	CbLanes *lanes = g_new0(CbLanes, 1);

	lanes->pipeline = pipeline;
	lanes->lanes = g_ptr_array_new();
	return lanes;
}

static void
cb_lane_free(CbLane *lane)
{
	cb_branch_free(lane->in);
	gst_element_set_state(lane->tee, GST_STATE_NULL);
	if (GST_OBJECT_PARENT(lane->tee) != NULL)
		gst_bin_remove(GST_BIN(GST_OBJECT_PARENT(lane->tee)), lane->tee);
	gst_object_unref(lane->tee);
	gst_object_unref(lane->source);
	g_free(lane);
}

void
cb_lanes_free(CbLanes *lanes)
{
	if (lanes == NULL)
		return;
	for (guint i = 0; i < lanes->lanes->len; i++)
		cb_lane_free(g_ptr_array_index(lanes->lanes, i));
	g_ptr_array_unref(lanes->lanes);
	g_free(lanes);
}

/* the lane's thread or the publisher's, as the queue is about to leak */
static void
cb_lane_overrun_cb(GstElement *queue, gpointer user_data)
{
	g_atomic_pointer_add(&cb_lanes_overruns, 1);
}

guint64
cb_room_get_lane_overruns(void)
{
	return (guint64)g_atomic_pointer_get(&cb_lanes_overruns);
}

static CbLane *
cb_lane_new(CbLanes *lanes, GstElement *source, GError **error)
{
	static gint serial;
	/* named so that its thread is "laneN:src" in top, perf and gdb */
	g_autofree char *name = g_strdup_printf("lane%d", g_atomic_int_add(&serial, 1));
	GstElement *queue = gst_element_factory_make("queue", name);
	GstElement *tee = gst_element_factory_make("tee", NULL);
	g_autoptr(GstPad) tee_sink = NULL;
	CbLane *lane;

	if (queue == NULL || tee == NULL) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INTERNAL,
				    "GStreamer elements 'queue' and 'tee' are missing");
		if (queue != NULL)
			gst_object_unref(gst_object_ref_sink(queue));
		if (tee != NULL)
			gst_object_unref(gst_object_ref_sink(tee));
		return NULL;
	}
	g_object_set(queue, "leaky", 2 /* downstream: drop the oldest */, "max-size-buffers",
		     CB_LANE_MAX_BUFFERS, "max-size-bytes", 0, "max-size-time",
		     (guint64)CB_LANE_MAX_TIME, NULL);
	g_signal_connect(queue, "overrun", G_CALLBACK(cb_lane_overrun_cb), NULL);
	g_object_set(tee, "allow-not-linked", TRUE, NULL);
	gst_bin_add(GST_BIN(lanes->pipeline), tee);
	gst_element_sync_state_with_parent(tee);
	lane = g_new0(CbLane, 1);
	lane->source = gst_object_ref(source);
	lane->tee = gst_object_ref(tee);
	tee_sink = gst_element_get_static_pad(tee, "sink");
	lane->in = cb_branch_new(lanes->pipeline, source, queue, tee, tee_sink, error);
	if (lane->in == NULL) {
		gst_element_set_state(tee, GST_STATE_NULL);
		gst_bin_remove(GST_BIN(lanes->pipeline), tee);
		gst_object_unref(lane->tee);
		gst_object_unref(lane->source);
		g_free(lane);
		return NULL;
	}
	g_ptr_array_add(lanes->lanes, lane);
	return lane;
}

CbBranch *
cb_lanes_branch_new(CbLanes *lanes, GstElement *source, GstElement *pay, GstElement *sink_owner,
		    GstPad *sink_pad, GError **error)
{
	CbLane *lane = NULL;
	CbBranch *branch;

	for (guint i = 0; lane == NULL && i < lanes->lanes->len; i++) {
		CbLane *l = g_ptr_array_index(lanes->lanes, i);

		if (l->source == source && l->n_branches < CB_LANE_SIZE)
			lane = l;
	}
	if (lane == NULL && (lane = cb_lane_new(lanes, source, error)) == NULL) {
		if (pay != NULL)
			gst_object_unref(gst_object_ref_sink(pay));
		return NULL;
	}
	lane->n_branches++;
	branch = cb_branch_new_held(lanes->pipeline, lane->tee, pay, sink_owner, sink_pad, error);
	if (branch == NULL) {
		cb_lanes_release(lanes, lane->tee);
		return NULL;
	}
	branch->lanes = lanes;
	return branch;
}

void
cb_lanes_release(CbLanes *lanes, GstElement *lane_tee)
{
	for (guint i = 0; i < lanes->lanes->len; i++) {
		CbLane *lane = g_ptr_array_index(lanes->lanes, i);

		if (lane->tee != lane_tee)
			continue;
		if (--lane->n_branches == 0) {
			g_ptr_array_remove_index_fast(lanes->lanes, i);
			cb_lane_free(lane);
		}
		return;
	}
}

guint
cb_lanes_count(CbLanes *lanes)
{
	return lanes->lanes->len;
}
