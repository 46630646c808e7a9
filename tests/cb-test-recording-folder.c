/* civic-bridge tests: recording folders with real Matroska segments */
#include <gst/gst.h>
#include <glib/gstdio.h>

#include "civic-bridge/cb-manifest.h"

#include "cb-test-recording-folder.h"

void
cb_test_recording_write_mkv(const char *path, guint n_frames, guint pattern)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *description = g_strdup_printf(
		"videotestsrc num-buffers=%u pattern=%u ! "
		"video/x-raw,width=320,height=240,framerate=10/1 ! vp8enc deadline=1 ! "
		"matroskamux ! filesink location=\"%s\"",
		n_frames, pattern, path);
	g_autoptr(GstElement) pipeline = NULL;
	g_autoptr(GstBus) bus = NULL;
	g_autoptr(GstMessage) message = NULL;

	if (!gst_is_initialized())
		gst_init(NULL, NULL);
	pipeline = gst_parse_launch(description, &error);
	g_assert_no_error(error);
	bus = gst_element_get_bus(pipeline);
	g_assert_cmpint(gst_element_set_state(pipeline, GST_STATE_PLAYING), !=,
			GST_STATE_CHANGE_FAILURE);
	message = gst_bus_timed_pop_filtered(bus, 60 * GST_SECOND,
					     GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
	g_assert_nonnull(message);
	g_assert_cmpint(GST_MESSAGE_TYPE(message), ==, GST_MESSAGE_EOS);
	gst_element_set_state(pipeline, GST_STATE_NULL);
}

static const char *const cb_test_recording_peers[] = {"hall", "bp-3"};

GPtrArray *
cb_test_recording_files(const CbTestRecordingSpec *spec)
{
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < spec->segments_per_track; i++)
		for (guint p = 0; p < G_N_ELEMENTS(cb_test_recording_peers); p++)
			g_ptr_array_add(files, g_strdup_printf("%s/video-p1-%05u.mkv",
							       cb_test_recording_peers[p], i + 1));
	return files;
}

static char *
cb_test_recording_time(gint64 us)
{
	g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);

	return g_date_time_format(time, "%Y-%m-%dT%H:%M:%S.000000Z");
}

static void
cb_test_recording_append(CbManifest *manifest, JsonObject *entry, gint64 at_us)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *time = cb_test_recording_time(at_us);

	json_object_set_string_member(entry, "time", time);
	g_assert_true(cb_manifest_append(manifest, entry, &error));
	g_assert_no_error(error);
}

static void
cb_test_recording_event(CbManifest *manifest, const char *event, const char *subject, gint64 at_us)
{
	g_autoptr(JsonObject) entry = json_object_new();

	json_object_set_string_member(entry, "type", "event");
	json_object_set_string_member(entry, "event", event);
	json_object_set_string_member(entry, "subject", subject);
	cb_test_recording_append(manifest, entry, at_us);
}

/* a segment entry as cb_manifest_add_segment() writes it, timed at its end */
static void
cb_test_recording_segment(CbManifest *manifest, const char *folder, const char *file,
			  const char *peer, gint64 start_us, gint64 end_us)
{
	g_autofree char *path = g_build_filename(folder, file, NULL);
	g_autofree char *sha256 = NULL;
	g_autofree char *start = cb_test_recording_time(start_us);
	g_autofree char *end = cb_test_recording_time(end_us);
	g_autoptr(JsonObject) entry = json_object_new();
	g_autoptr(GError) error = NULL;
	guint64 size = 0;

	g_assert_true(cb_manifest_hash_file(path, &sha256, &size, &error));
	json_object_set_string_member(entry, "type", "segment");
	json_object_set_string_member(entry, "file", file);
	json_object_set_int_member(entry, "part", 1);
	json_object_set_string_member(entry, "peer", peer);
	json_object_set_string_member(entry, "track", "video");
	json_object_set_string_member(entry, "start", start);
	json_object_set_string_member(entry, "end", end);
	json_object_set_int_member(entry, "start_us", start_us);
	json_object_set_int_member(entry, "end_us", end_us);
	json_object_set_int_member(entry, "bytes", (gint64)size);
	json_object_set_string_member(entry, "sha256", sha256);
	cb_test_recording_append(manifest, entry, end_us);
}

char *
cb_test_recording_write(const char *state_dir, const CbTestRecordingSpec *spec)
{
	char *folder = cb_recording_folder(state_dir, spec->session_id, spec->confidential);
	g_autofree char *manifest_path = g_build_filename(folder, CB_MANIFEST_NAME, NULL);
	g_autoptr(GPtrArray) files = cb_test_recording_files(spec);
	g_autoptr(CbManifest) manifest = NULL;
	g_autoptr(JsonObject) part = json_object_new();
	g_autoptr(GError) error = NULL;
	gint64 seg_us = 2 * G_USEC_PER_SEC;
	gint64 start_us = spec->end_us - (gint64)spec->segments_per_track * seg_us;

	for (guint p = 0; p < G_N_ELEMENTS(cb_test_recording_peers); p++) {
		g_autofree char *dir = g_build_filename(folder, cb_test_recording_peers[p], NULL);
		g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
	}
	manifest = cb_manifest_open(manifest_path, &error);
	g_assert_no_error(error);
	json_object_set_string_member(part, "type", "part");
	json_object_set_int_member(part, "part", 1);
	cb_test_recording_append(manifest, part, start_us);
	cb_test_recording_event(manifest, "joined", "hall", start_us);
	cb_test_recording_event(manifest, "joined", "bp-3", start_us);
	for (guint i = 0; i < files->len; i++) {
		const char *file = g_ptr_array_index(files, i);
		g_autofree char *path = g_build_filename(folder, file, NULL);
		guint n = i / G_N_ELEMENTS(cb_test_recording_peers);
		gint64 from = start_us + (gint64)n * seg_us;

		cb_test_recording_write_mkv(
			path, i == 0 && spec->first_frames > 0 ? spec->first_frames : 10, i % 20);
		cb_test_recording_segment(manifest, folder, file, cb_test_recording_peers[i % 2],
					  from, from + seg_us);
	}
	cb_test_recording_event(manifest, "floor", "bp-3", spec->end_us);
	if (spec->stopped) {
		g_autoptr(JsonObject) stop = json_object_new();
		json_object_set_string_member(stop, "type", "stop");
		cb_test_recording_append(manifest, stop, spec->end_us);
	}
	return folder;
}
