#define G_LOG_DOMAIN "CbTestRecording"

#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/gst.h>

#include "cb-test-recording.h"

const CbTestRecordingFormat cb_test_recording_small = {160, 90, 10, 200000, 1000, 1000, 0, FALSE};
const CbTestRecordingFormat cb_test_recording_camera = {640,  360,  30, 1000000,
							4000, 2000, 4,  FALSE};

gboolean
cb_test_recording_has_h264(void)
{
	g_autoptr(GstElementFactory) factory = NULL;

	gst_init(NULL, NULL);
	factory = gst_element_factory_find("openh264enc");
	return factory != NULL;
}

CbManifest *
cb_test_recording_begin(const char *folder)
{
	g_autofree char *path = g_build_filename(folder, CB_MANIFEST_NAME, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) part = json_object_new();
	CbManifest *manifest;

	g_assert_cmpint(g_mkdir_with_parents(folder, 0700), ==, 0);
	manifest = cb_manifest_open(path, &error);
	g_assert_no_error(error);
	json_object_set_string_member(part, "type", "part");
	json_object_set_int_member(part, "part", 1);
	g_assert_true(cb_manifest_append(manifest, part, &error));
	g_assert_no_error(error);
	return manifest;
}

static char *
cb_test_recording_describe(const char *location, const char *kind, guint seconds, guint pattern,
			   const CbTestRecordingFormat *format)
{
	g_autofree char *source = NULL;

	if (g_str_equal(kind, "video"))
		source = g_strdup_printf(
			"videotestsrc pattern=%u horizontal-speed=%u num-buffers=%u ! "
			"video/x-raw,width=%u,height=%u,framerate=%u/1 ! "
			"%s%u %s%u%s",
			pattern, format->motion, seconds * format->framerate, format->width,
			format->height, format->framerate,
			format->h264 ? "openh264enc gop-size="
				     : "vp8enc deadline=1 cpu-used=4 "
				       "end-usage=cbr keyframe-max-dist=",
			format->framerate * format->keyframe_ms / 1000,
			format->h264 ? "bitrate=" : "target-bitrate=", format->video_bitrate,
			format->h264 ? " ! h264parse" : "");
	else
		source = g_strdup_printf("audiotestsrc wave=sine freq=%u samplesperbuffer=960 "
					 "num-buffers=%u ! audio/x-raw,rate=48000,channels=1 ! "
					 "opusenc bitrate=48000 frame-size=20",
					 220 + 40 * pattern, seconds * 50);
	return g_strdup_printf("splitmuxsink name=split muxer-factory=matroskamux "
			       "muxer-properties=\"properties,streamable=true\" "
			       "max-size-time=%" G_GUINT64_FORMAT " location=\"%s\" %s ! split.%s",
			       (guint64)format->segment_ms * GST_MSECOND, location, source,
			       g_str_equal(kind, "video") ? "video" : "audio_0");
}

/* lists the segment splitmuxsink closed, from its message */
static void
cb_test_recording_list(CbManifest *manifest, const char *folder, const char *peer, const char *kind,
		       gint64 start_us, const GstStructure *s, GstClockTime opened)
{
	const char *location = gst_structure_get_string(s, "location");
	GstClockTime closed = 0;
	g_autofree char *relative = NULL;
	g_autoptr(GError) error = NULL;
	CbManifestSegment segment = {0};

	gst_structure_get_clock_time(s, "running-time", &closed);
	relative = g_strdup(location + strlen(folder) + 1);
	segment.file = relative;
	segment.part = 1;
	segment.peer = peer;
	segment.track = kind;
	segment.start_us = start_us + (gint64)(opened / GST_USECOND);
	segment.end_us = start_us + (gint64)(closed / GST_USECOND);
	g_assert_true(cb_manifest_add_segment(manifest, folder, &segment, &error));
	g_assert_no_error(error);
}

void
cb_test_recording_add_track(CbManifest *manifest, const char *folder, const char *peer,
			    const char *kind, guint start_ms, guint seconds, guint pattern,
			    const CbTestRecordingFormat *format)
{
	g_autofree char *dir = g_build_filename(folder, peer, NULL);
	g_autofree char *name = g_strdup_printf("%s-p1-at%u-%%05d.mkv", kind, start_ms);
	g_autofree char *location = g_build_filename(dir, name, NULL);
	g_autofree char *description =
		cb_test_recording_describe(location, kind, seconds, pattern, format);
	g_autoptr(GError) error = NULL;
	g_autoptr(GstElement) pipeline = NULL;
	g_autoptr(GstBus) bus = NULL;
	gint64 start_us = CB_TEST_RECORDING_BASE_US + (gint64)start_ms * 1000;
	GstClockTime opened = 0;
	gboolean done = FALSE;

	gst_init(NULL, NULL);
	g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
	pipeline = gst_parse_launch(description, &error);
	g_assert_no_error(error);
	bus = gst_element_get_bus(pipeline);
	g_assert_cmpint(gst_element_set_state(pipeline, GST_STATE_PLAYING), !=,
			GST_STATE_CHANGE_FAILURE);
	while (!done) {
		g_autoptr(GstMessage) message = gst_bus_timed_pop_filtered(
			bus, 60 * GST_SECOND,
			GST_MESSAGE_ELEMENT | GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
		const GstStructure *s;

		g_assert_nonnull(message);
		g_assert_cmpint(GST_MESSAGE_TYPE(message), !=, GST_MESSAGE_ERROR);
		done = GST_MESSAGE_TYPE(message) == GST_MESSAGE_EOS;
		s = gst_message_get_structure(message);
		if (done || s == NULL)
			continue;
		if (gst_structure_has_name(s, "splitmuxsink-fragment-opened"))
			gst_structure_get_clock_time(s, "running-time", &opened);
		else if (gst_structure_has_name(s, "splitmuxsink-fragment-closed"))
			cb_test_recording_list(manifest, folder, peer, kind, start_us, s, opened);
	}
	gst_element_set_state(pipeline, GST_STATE_NULL);
}

void
cb_test_recording_add_event(CbManifest *manifest, const char *event, const char *subject,
			    guint at_ms)
{
	g_autoptr(JsonObject) entry = json_object_new();
	g_autoptr(GDateTime) base =
		g_date_time_new_from_unix_utc(CB_TEST_RECORDING_BASE_US / G_USEC_PER_SEC);
	g_autoptr(GDateTime) at = g_date_time_add(base, (GTimeSpan)at_ms * 1000);
	g_autofree char *time = g_date_time_format(at, "%Y-%m-%dT%H:%M:%S.%fZ");
	g_autoptr(GError) error = NULL;

	json_object_set_string_member(entry, "type", "event");
	json_object_set_string_member(entry, "event", event);
	json_object_set_string_member(entry, "subject", subject);
	json_object_set_string_member(entry, "time", time);
	g_assert_true(cb_manifest_append(manifest, entry, &error));
	g_assert_no_error(error);
}

void
cb_test_recording_stop(CbManifest *manifest)
{
	g_autoptr(JsonObject) stop = json_object_new();
	g_autoptr(GError) error = NULL;

	json_object_set_string_member(stop, "type", "stop");
	g_assert_true(cb_manifest_append(manifest, stop, &error));
	g_assert_no_error(error);
}

double
cb_test_recording_discover(const char *path, char **output)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	g_autoptr(GSubprocess) process =
		g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
				 &error, "gst-discoverer-1.0", "-t", "30", path, NULL);
	const char *line;
	guint h = 0, m = 0;
	double s = 0;

	g_assert_no_error(error);
	g_assert_true(g_subprocess_communicate_utf8(process, NULL, NULL, &out, &err, &error));
	g_assert_no_error(error);
	g_test_message("gst-discoverer-1.0 %s:\n%s%s", path, out, err);
	line = strstr(out, "Duration: ");
	if (output != NULL)
		*output = g_strdup(out);
	if (!g_subprocess_get_successful(process) || line == NULL ||
	    sscanf(line, "Duration: %u:%u:%lf", &h, &m, &s) != 3)
		return -1;
	return h * 3600.0 + m * 60.0 + s;
}
