#define G_LOG_DOMAIN "CbRecording"

/* One track as one file, without decoding: every segment is demuxed in turn
 * (appsink) and its frames pushed, re-timed, into one muxer (appsrc). Each
 * segment's first frame lands at its start in the manifest, relative to the
 * origin, so the file keeps the recording's gaps where they were; a segment
 * that overlaps the one before loses the frames that would go back in time
 * (a muxer takes none). splitmuxsink starts every segment on a keyframe, so
 * every segment decodes on its own. */

#include "config.h"

#include <gst/gst.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-recording-export.h"

/* how long one wait for a demuxed frame lasts before the bus is looked at */
#define CB_REMUX_POLL_NS (100 * GST_MSECOND)

typedef struct {
	GstElement *writer; /* appsrc ! mux ! filesink, made on the first frame */
	GstElement *appsrc;
	const char *output;
	GstClockTime last; /* the last timestamp written */
	char *codec;
} CbRemux;

static void
cb_remux_clear(CbRemux *remux)
{
	if (remux->writer != NULL) {
		gst_element_set_state(remux->writer, GST_STATE_NULL);
		gst_clear_object(&remux->writer);
	}
	gst_clear_object(&remux->appsrc);
	g_clear_pointer(&remux->codec, g_free);
}

/* the message of an error on @bus, if one was posted */
static gboolean
cb_remux_bus_failed(GstBus *bus, const char *what, GError **error)
{
	g_autoptr(GstMessage) message = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
	g_autoptr(GError) gst_error = NULL;

	if (message == NULL)
		return FALSE;
	gst_message_parse_error(message, &gst_error, NULL);
	g_set_error(error, CB_ERROR, CB_ERROR_INTERNAL, "cannot %s: %s", what, gst_error->message);
	return TRUE;
}

static const char *
cb_remux_muxer_for(const char *codec)
{
	static const char *const webm[] = {"video/x-vp8", "video/x-vp9", "audio/x-opus",
					   "audio/x-vorbis", NULL};

	return g_strv_contains(webm, codec) ? "webmmux" : "matroskamux";
}

static gboolean
cb_remux_start_writer(CbRemux *remux, GstCaps *caps, GError **error)
{
	GstElement *mux, *sink;
	const char *codec = gst_structure_get_name(gst_caps_get_structure(caps, 0));

	remux->codec = g_strdup(codec);
	remux->writer = gst_object_ref_sink(gst_pipeline_new("remux-writer"));
	remux->appsrc = gst_element_factory_make("appsrc", NULL);
	mux = gst_element_factory_make(cb_remux_muxer_for(codec), NULL);
	sink = gst_element_factory_make("filesink", NULL);
	if (remux->appsrc == NULL || mux == NULL || sink == NULL) {
		g_clear_pointer(&mux, gst_object_unref);
		g_clear_pointer(&sink, gst_object_unref);
		g_set_error(error, CB_ERROR, CB_ERROR_UNAVAILABLE,
			    "GStreamer's appsrc, %s or filesink is missing (install "
			    "gstreamer1.0-plugins-base and -good)",
			    cb_remux_muxer_for(codec));
		return FALSE;
	}
	gst_object_ref(remux->appsrc);
	g_object_set(remux->appsrc, "format", GST_FORMAT_TIME, "caps", caps, "block", TRUE,
		     "max-bytes", (guint64)4 << 20, NULL);
	g_object_set(sink, "location", remux->output, NULL);
	gst_bin_add_many(GST_BIN(remux->writer), remux->appsrc, mux, sink, NULL);
	/* the muxer's pad of the track's kind: a plain link would take video_0 */
	if (!gst_element_link_pads(remux->appsrc, "src", mux,
				   g_str_has_prefix(codec, "audio/") ? "audio_%u" : "video_%u") ||
	    !gst_element_link(mux, sink) ||
	    gst_element_set_state(remux->writer, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
		g_autoptr(GstBus) bus = gst_element_get_bus(remux->writer);
		if (!cb_remux_bus_failed(bus, "write the track", error))
			g_set_error(error, CB_ERROR, CB_ERROR_INTERNAL, "cannot write %s with %s",
				    remux->output, cb_remux_muxer_for(codec));
		return FALSE;
	}
	return TRUE;
}

/* pushes one demuxed frame, moved by @offset (ns) */
static gboolean
cb_remux_push(CbRemux *remux, GstSample *sample, gint64 offset, GError **error)
{
	GstBuffer *buffer = gst_buffer_copy(gst_sample_get_buffer(sample));
	GstClockTime pts = GST_BUFFER_PTS(buffer), dts = GST_BUFFER_DTS(buffer);
	GstClockTime at;
	GstFlowReturn flow;

	if (GST_CLOCK_TIME_IS_VALID(pts))
		GST_BUFFER_PTS(buffer) = (GstClockTime)MAX((gint64)pts + offset, 0);
	if (GST_CLOCK_TIME_IS_VALID(dts))
		GST_BUFFER_DTS(buffer) = (GstClockTime)MAX((gint64)dts + offset, 0);
	at = GST_BUFFER_DTS_OR_PTS(buffer);
	if (GST_CLOCK_TIME_IS_VALID(remux->last) && GST_CLOCK_TIME_IS_VALID(at) &&
	    at < remux->last) {
		gst_buffer_unref(buffer);
		return TRUE;
	}
	remux->last = at;
	g_signal_emit_by_name(remux->appsrc, "push-buffer", buffer, &flow);
	gst_buffer_unref(buffer);
	if (flow != GST_FLOW_OK) {
		g_autoptr(GstBus) bus = gst_element_get_bus(remux->writer);
		if (!cb_remux_bus_failed(bus, "write the track", error))
			g_set_error(error, CB_ERROR, CB_ERROR_INTERNAL, "cannot write %s: %s",
				    remux->output, gst_flow_get_name(flow));
		return FALSE;
	}
	return TRUE;
}

static void
cb_remux_pad_added_cb(GstElement *demux, GstPad *pad, gpointer user_data)
{
	g_autoptr(GstPad) sink = gst_element_get_static_pad(GST_ELEMENT(user_data), "sink");

	if (!gst_pad_is_linked(sink))
		gst_pad_link(pad, sink);
}

/* filesrc ! matroskademux ! appsink for @path */
static GstElement *
cb_remux_reader_new(const char *path, GstElement **appsink)
{
	GstElement *reader = gst_pipeline_new("remux-reader");
	GstElement *src = gst_element_factory_make("filesrc", NULL);
	GstElement *demux = gst_element_factory_make("matroskademux", NULL);

	*appsink = gst_element_factory_make("appsink", NULL);
	g_object_set(src, "location", path, NULL);
	g_object_set(*appsink, "sync", FALSE, "max-buffers", 64, NULL);
	gst_bin_add_many(GST_BIN(reader), src, demux, *appsink, NULL);
	gst_element_link(src, demux);
	g_signal_connect(demux, "pad-added", G_CALLBACK(cb_remux_pad_added_cb), *appsink);
	return gst_object_ref_sink(reader);
}

/* copies the frames of one segment; @offset_us its place from the origin */
static gboolean
cb_remux_segment(CbRemux *remux, const CbExportSegment *segment, gint64 offset_us,
		 GCancellable *cancellable, GError **error)
{
	GstElement *appsink = NULL;
	g_autoptr(GstElement) reader = cb_remux_reader_new(segment->path, &appsink);
	g_autoptr(GstBus) bus = gst_element_get_bus(reader);
	g_autofree char *what = g_strdup_printf("read %s", segment->path);
	gboolean ok = TRUE, first = TRUE;
	gint64 offset = 0;

	gst_element_set_state(reader, GST_STATE_PLAYING);
	while (ok) {
		g_autoptr(GstSample) sample = NULL;
		gboolean eos = FALSE;

		if (g_cancellable_set_error_if_cancelled(cancellable, error)) {
			ok = FALSE;
			break;
		}
		g_signal_emit_by_name(appsink, "try-pull-sample", CB_REMUX_POLL_NS, &sample);
		if (sample == NULL) {
			g_object_get(appsink, "eos", &eos, NULL);
			if (eos || cb_remux_bus_failed(bus, what, error))
				ok = eos;
			if (eos)
				break;
			continue;
		}
		if (first) {
			GstBuffer *buffer = gst_sample_get_buffer(sample);
			GstClockTime at = GST_BUFFER_DTS_OR_PTS(buffer);
			offset = offset_us * 1000 - (gint64)(GST_CLOCK_TIME_IS_VALID(at) ? at : 0);
			first = FALSE;
			if (remux->writer == NULL &&
			    !cb_remux_start_writer(remux, gst_sample_get_caps(sample), error))
				ok = FALSE;
			else
				g_object_set(remux->appsrc, "caps", gst_sample_get_caps(sample),
					     NULL);
		}
		if (ok)
			ok = cb_remux_push(remux, sample, offset, error);
	}
	gst_element_set_state(reader, GST_STATE_NULL);
	return ok;
}

/* end of stream, and the muxer's last word on disk */
static gboolean
cb_remux_finish(CbRemux *remux, GError **error)
{
	g_autoptr(GstBus) bus = gst_element_get_bus(remux->writer);
	g_autoptr(GstMessage) message = NULL;
	GstFlowReturn flow;

	g_signal_emit_by_name(remux->appsrc, "end-of-stream", &flow);
	message = gst_bus_timed_pop_filtered(bus, GST_CLOCK_TIME_NONE,
					     GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
	if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
		g_autoptr(GError) gst_error = NULL;
		gst_message_parse_error(message, &gst_error, NULL);
		g_set_error(error, CB_ERROR, CB_ERROR_INTERNAL, "cannot write %s: %s",
			    remux->output, gst_error->message);
		return FALSE;
	}
	return TRUE;
}

gboolean
cb_export_remux_track(const CbExportTrack *track, gint64 origin_us, const char *output,
		      char **codec, GCancellable *cancellable, GError **error)
{
	CbRemux remux = {.output = output, .last = GST_CLOCK_TIME_NONE};
	gboolean ok = TRUE;

	for (guint i = 0; ok && i < track->segments->len; i++) {
		const CbExportSegment *segment = g_ptr_array_index(track->segments, i);
		ok = cb_remux_segment(&remux, segment, segment->start_us - origin_us, cancellable,
				      error);
	}
	if (ok && remux.writer == NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "the segments of %s/%s hold no frame", track->peer, track->kind);
		ok = FALSE;
	}
	if (ok)
		ok = cb_remux_finish(&remux, error);
	if (ok && codec != NULL)
		*codec = g_strdup(remux.codec);
	cb_remux_clear(&remux);
	return ok;
}
