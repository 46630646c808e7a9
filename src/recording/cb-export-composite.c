#define G_LOG_DOMAIN "CbRecording"

/* The composite export: every track remuxed into one file (its segments
 * placed by wall-clock time, cb-export-remux.c), then one pipeline from the
 * template that decodes them all, composes, mixes and encodes, run to the
 * end in its own main loop. Every input's time is its place in the
 * recording: the demuxers' segments are rewritten to start at 0, a video
 * gap is told to the compositor (a GAP event: black, not a frozen frame),
 * and the floor's tiles are switched by controlled alpha at the running time
 * of each floor change, so the output is the same however fast it renders. */

#include "config.h"

#include <gst/controller/controller.h>
#include <gst/gst.h>
#include <glib/gstdio.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-recording-export.h"

#include "cb-export-private.h"

#define CB_EXPORT_PROGRESS_MS 500
/* a jump in a decoded video track longer than this is a gap */
#define CB_EXPORT_GAP_NS (250 * GST_MSECOND)

const char *
cb_export_pipelines_dir(void)
{
	const char *dir = g_getenv("CIVIC_BRIDGE_PIPELINES_DIR");

	return dir != NULL && dir[0] != '\0' ? dir : CB_PIPELINES_DIR;
}

gint
cb_export_build_track_index(CbExportBuild *build, CbExportTrack *track)
{
	guint index;

	if (track == NULL || !g_ptr_array_find(build->plan->tracks, track, &index))
		return -1;
	return (gint)index;
}

gboolean
cb_export_build_shows(CbExportBuild *build, CbExportTrack *track)
{
	for (guint i = 0; i < build->plan->tiles->len; i++)
		if (((CbExportTile *)g_ptr_array_index(build->plan->tiles, i))->video == track)
			return TRUE;
	return FALSE;
}

/* --- the inputs' time ------------------------------------------------------ */

/* a demuxer starts its segment at the file's first frame; the remuxed file's
 * timestamps are already the recording's time, so the segment starts at 0 */
static GstPadProbeReturn
cb_export_segment_probe_cb(GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
	GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
	const GstSegment *given;
	GstSegment segment;

	if (GST_EVENT_TYPE(event) != GST_EVENT_SEGMENT)
		return GST_PAD_PROBE_OK;
	gst_event_parse_segment(event, &given);
	if (given->format != GST_FORMAT_TIME)
		return GST_PAD_PROBE_OK;
	gst_segment_copy_into(given, &segment);
	segment.start = segment.time = segment.position = segment.base = 0;
	GST_PAD_PROBE_INFO_DATA(info) = gst_event_new_segment(&segment);
	gst_event_unref(event);
	return GST_PAD_PROBE_OK;
}

static void
cb_export_demux_pad_added_cb(GstElement *demux, GstPad *pad, gpointer user_data)
{
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, cb_export_segment_probe_cb,
			  NULL, NULL);
}

/* before a frame that comes after a gap, a GAP event for the time between */
static GstPadProbeReturn
cb_export_gap_probe_cb(GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
	GstClockTime *end = user_data;
	GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
	GstClockTime pts = GST_BUFFER_PTS(buffer);

	if (!GST_CLOCK_TIME_IS_VALID(pts))
		return GST_PAD_PROBE_OK;
	if (GST_CLOCK_TIME_IS_VALID(*end) && pts > *end + CB_EXPORT_GAP_NS)
		gst_pad_push_event(pad, gst_event_new_gap(*end, pts - *end));
	*end = pts + (GST_BUFFER_DURATION_IS_VALID(buffer) ? GST_BUFFER_DURATION(buffer)
							   : GST_SECOND / CB_EXPORT_FRAMERATE);
	return GST_PAD_PROBE_OK;
}

/* the floor's tile of @tile->peer: alpha 1 from each change that gives it
 * the floor, 0 from each that takes it away */
static void
cb_export_control_floor(CbExportPlan *plan, CbExportTile *tile, GstPad *pad)
{
	GstControlSource *source = gst_interpolation_control_source_new();
	GstTimedValueControlSource *timed = GST_TIMED_VALUE_CONTROL_SOURCE(source);

	g_object_set(source, "mode", GST_INTERPOLATION_MODE_NONE, NULL);
	gst_timed_value_control_source_set(timed, 0, 0.0);
	for (guint i = 0; i < plan->floor->len; i++) {
		CbExportFloor *floor = g_ptr_array_index(plan->floor, i);
		gint64 at = MAX(floor->time_us - plan->start_us, 0) * GST_USECOND;
		gboolean holds = g_strcmp0(floor->peer, tile->peer) == 0;

		gst_timed_value_control_source_set(timed, (GstClockTime)at, holds ? 1.0 : 0.0);
	}
	gst_object_add_control_binding(GST_OBJECT(pad), gst_direct_control_binding_new_absolute(
								GST_OBJECT(pad), "alpha", source));
	gst_object_unref(source);
}

/* --- the pipeline ------------------------------------------------------------ */

static GstElement *
cb_export_named(GstElement *pipeline, const char *name, GError **error)
{
	GstElement *element = gst_bin_get_by_name(GST_BIN(pipeline), name);

	if (element == NULL)
		g_set_error(error, CB_ERROR, CB_ERROR_CONFIG,
			    "composite.pipeline has no element named %s", name);
	return element;
}

/* a track's file, its demuxer's segment and, for video, its gaps */
static gboolean
cb_export_wire_track(CbExportBuild *build, GstElement *pipeline, guint i, GError **error)
{
	CbExportTrack *track = g_ptr_array_index(build->plan->tracks, i);
	gboolean video = g_str_equal(track->kind, "video");
	g_autofree char *src_name = g_strdup_printf("%csrc%u", video ? 'v' : 'a', i);
	g_autofree char *demux_name = g_strdup_printf("%cdemux%u", video ? 'v' : 'a', i);
	g_autofree char *tee_name = g_strdup_printf("vtee%u", i);
	g_autoptr(GstElement) src = NULL, demux = NULL, tee = NULL;
	g_autoptr(GstPad) tee_sink = NULL, decoded = NULL;

	if (video && !cb_export_build_shows(build, track))
		return TRUE;
	if ((src = cb_export_named(pipeline, src_name, error)) == NULL ||
	    (demux = cb_export_named(pipeline, demux_name, error)) == NULL)
		return FALSE;
	g_object_set(src, "location", build->files[i], NULL);
	g_signal_connect(demux, "pad-added", G_CALLBACK(cb_export_demux_pad_added_cb), NULL);
	if (!video)
		return TRUE;
	if ((tee = cb_export_named(pipeline, tee_name, error)) == NULL)
		return FALSE;
	tee_sink = gst_element_get_static_pad(tee, "sink");
	decoded = gst_pad_get_peer(tee_sink);
	if (decoded != NULL) {
		GstClockTime *end = g_new(GstClockTime, 1);
		*end = GST_CLOCK_TIME_NONE;
		gst_pad_add_probe(decoded, GST_PAD_PROBE_TYPE_BUFFER, cb_export_gap_probe_cb, end,
				  g_free);
	}
	return TRUE;
}

static GstElement *
cb_export_pipeline_new(CbExportBuild *build, const char *output, GError **error)
{
	g_autofree char *description = cb_export_describe(build, error);
	g_autoptr(GError) parse_error = NULL;
	g_autoptr(GstElement) pipeline = NULL;
	g_autoptr(GstElement) sink = NULL, video = NULL, audio = NULL;

	if (description == NULL)
		return NULL;
	g_debug("composite: %s", description);
	pipeline =
		gst_parse_launch_full(description, NULL, GST_PARSE_FLAG_FATAL_ERRORS, &parse_error);
	if (pipeline == NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFIG,
			    "composite.pipeline does not make a pipeline: %s",
			    parse_error->message);
		return NULL;
	}
	gst_object_ref_sink(pipeline);
	if ((sink = cb_export_named(pipeline, "sink", error)) == NULL ||
	    (video = cb_export_named(pipeline, "video", error)) == NULL ||
	    (audio = cb_export_named(pipeline, "audio", error)) == NULL)
		return NULL;
	g_object_set(sink, "location", output, NULL);
	for (guint i = 0; i < build->plan->tracks->len; i++)
		if (!cb_export_wire_track(build, pipeline, i, error))
			return NULL;
	for (guint i = 0; i < build->plan->tiles->len; i++) {
		CbExportTile *tile = g_ptr_array_index(build->plan->tiles, i);
		g_autofree char *name = g_strdup_printf("sink_%u", i + 1);
		g_autoptr(GstPad) pad = NULL;

		if (!tile->floor || tile->video == NULL)
			continue;
		pad = gst_element_get_static_pad(video, name);
		if (pad == NULL) {
			g_set_error(error, CB_ERROR, CB_ERROR_CONFIG,
				    "composite.pipeline gives the floor's tile no pad %s", name);
			return NULL;
		}
		cb_export_control_floor(build->plan, tile, pad);
	}
	return g_steal_pointer(&pipeline);
}

/* --- running it ------------------------------------------------------------- */

typedef struct {
	GMainLoop *loop;
	GstElement *video;
	GError *error;
	gint64 duration_ns;
	CbExportProgressFunc progress;
	gpointer user_data;
} CbExportRun;

static gboolean
cb_export_bus_cb(GstBus *bus, GstMessage *message, gpointer user_data)
{
	CbExportRun *run = user_data;

	if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR && run->error == NULL) {
		g_autoptr(GError) gst_error = NULL;
		g_autofree char *debug = NULL;
		gst_message_parse_error(message, &gst_error, &debug);
		g_debug("composite failed in %s: %s", GST_OBJECT_NAME(message->src), debug);
		run->error =
			g_error_new(CB_ERROR, CB_ERROR_INTERNAL, "the composite failed in %s: %s",
				    GST_OBJECT_NAME(message->src), gst_error->message);
		g_main_loop_quit(run->loop);
	} else if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_EOS) {
		g_main_loop_quit(run->loop);
	}
	return G_SOURCE_CONTINUE;
}

static gboolean
cb_export_progress_cb(gpointer user_data)
{
	CbExportRun *run = user_data;
	gint64 position = 0;

	if (run->progress != NULL && run->duration_ns > 0 &&
	    gst_element_query_position(run->video, GST_FORMAT_TIME, &position))
		run->progress("rendering", CLAMP((double)position / (double)run->duration_ns, 0, 1),
			      run->user_data);
	return G_SOURCE_CONTINUE;
}

static gboolean
cb_export_cancelled_cb(GCancellable *cancellable, gpointer user_data)
{
	CbExportRun *run = user_data;

	if (run->error == NULL)
		g_cancellable_set_error_if_cancelled(cancellable, &run->error);
	g_main_loop_quit(run->loop);
	return G_SOURCE_REMOVE;
}

static gboolean
cb_export_run(CbExportBuild *build, GstElement *pipeline, CbExportProgressFunc progress,
	      gpointer user_data, GCancellable *cancellable, GError **error)
{
	g_autoptr(GMainContext) context = g_main_context_new();
	g_autoptr(GstBus) bus = gst_element_get_bus(pipeline);
	g_autoptr(GSource) watch = gst_bus_create_watch(bus);
	g_autoptr(GSource) timer = g_timeout_source_new(CB_EXPORT_PROGRESS_MS);
	g_autoptr(GSource) cancelled = g_cancellable_source_new(cancellable);
	CbExportRun run = {
		.loop = g_main_loop_new(context, FALSE),
		.video = gst_bin_get_by_name(GST_BIN(pipeline), "video"),
		.duration_ns = (build->plan->end_us - build->plan->start_us) * GST_USECOND,
		.progress = progress,
		.user_data = user_data,
	};
	gboolean ok;

	g_main_context_push_thread_default(context);
	g_source_set_callback(watch, (GSourceFunc)(GCallback)cb_export_bus_cb, &run, NULL);
	g_source_attach(watch, context);
	g_source_set_callback(timer, cb_export_progress_cb, &run, NULL);
	g_source_attach(timer, context);
	g_source_set_callback(cancelled, (GSourceFunc)(GCallback)cb_export_cancelled_cb, &run,
			      NULL);
	g_source_attach(cancelled, context);
	if (gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE)
		g_main_loop_run(run.loop);
	else
		run.error = g_error_new(CB_ERROR, CB_ERROR_INTERNAL,
					"the composite pipeline does not start");
	gst_element_set_state(pipeline, GST_STATE_NULL);
	g_source_destroy(watch);
	g_source_destroy(timer);
	g_source_destroy(cancelled);
	g_main_context_pop_thread_default(context);
	g_main_loop_unref(run.loop);
	gst_object_unref(run.video);
	ok = run.error == NULL;
	if (!ok)
		g_propagate_error(error, run.error);
	else if (progress != NULL)
		progress("rendering", 1.0, user_data);
	return ok;
}

/* every track into one file in @work_dir, placed from the recording's start */
static gboolean
cb_export_prepare_tracks(CbExportBuild *build, const char *work_dir, CbExportProgressFunc progress,
			 gpointer user_data, GCancellable *cancellable, GError **error)
{
	guint n = build->plan->tracks->len;

	build->codecs = g_new0(char *, n + 1);
	build->files = g_new0(char *, n + 1);
	for (guint i = 0; i < n; i++) {
		CbExportTrack *track = g_ptr_array_index(build->plan->tracks, i);
		g_autofree char *name = g_strdup_printf("track-%u.mkv", i);

		if (progress != NULL)
			progress("preparing tracks", (double)i / n, user_data);
		build->files[i] = g_build_filename(work_dir, name, NULL);
		if (g_str_equal(track->kind, "video") && !cb_export_build_shows(build, track))
			continue;
		if (!cb_export_remux_track(track, build->plan->start_us, build->files[i],
					   &build->codecs[i], cancellable, error))
			return FALSE;
	}
	if (progress != NULL)
		progress("preparing tracks", 1.0, user_data);
	return TRUE;
}

static void
cb_export_build_clear(CbExportBuild *build)
{
	for (guint i = 0; build->files != NULL && build->files[i] != NULL; i++)
		g_unlink(build->files[i]);
	g_strfreev(build->files);
	/* codecs has holes (tracks left out): free by count */
	for (guint i = 0; build->codecs != NULL && i < build->plan->tracks->len; i++)
		g_free(build->codecs[i]);
	g_free(build->codecs);
	g_clear_pointer(&build->template, cb_pipeline_template_free);
}

gboolean
cb_export_composite(CbExportPlan *plan, const char *template_path, const char *work_dir,
		    const char *output, CbExportProgressFunc progress, gpointer user_data,
		    GCancellable *cancellable, GError **error)
{
	CbExportBuild build = {.plan = plan};
	g_autoptr(GstElement) pipeline = NULL;
	gboolean ok = FALSE;

	if (plan->tiles == NULL)
		cb_export_plan_layout(plan, CB_EXPORT_WIDTH, CB_EXPORT_HEIGHT);
	build.template = cb_pipeline_template_load(template_path, error);
	if (build.template != NULL &&
	    cb_export_prepare_tracks(&build, work_dir, progress, user_data, cancellable, error) &&
	    (pipeline = cb_export_pipeline_new(&build, output, error)) != NULL)
		ok = cb_export_run(&build, pipeline, progress, user_data, cancellable, error);
	g_clear_pointer(&pipeline, gst_object_unref);
	cb_export_build_clear(&build);
	return ok;
}
