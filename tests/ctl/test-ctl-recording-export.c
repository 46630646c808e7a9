/* civic-bridgectl recording export, on a recording of real segments
 * (GStreamer encoders into splitmuxsink) listed with the daemon's manifest
 * code: the composite and one track play in gst-discoverer-1.0 for the
 * recording's length, the confidential recording stays out unless asked,
 * and every bad input is refused without touching the recording */
#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gst/video/video.h>

#include "cb-test-ctl.h"
#include "cb-test-recording.h"

/* the recording: 3 s, made once for every test */
#define RECORDING_SECONDS 3
/* an export renders: on two busy cores that takes a while */
#define EXPORT_TIMEOUT_MS 120000
#define run_export(...)                                                                            \
	cb_test_ctl_runv_within(NULL, NULL, (const char *const[]){__VA_ARGS__, NULL},              \
				EXPORT_TIMEOUT_MS)

static char *state;     /* holds recordings/7 and recordings/7-confidential */
static char *folder;    /* recordings/7 */
static char *workspace; /* outputs and damaged copies */

static void
make_recording(void)
{
	g_autofree char *confidential_folder = NULL;
	g_autoptr(GError) error = NULL;
	const CbTestRecordingFormat *small = &cb_test_recording_small;
	CbTestRecordingFormat h264;
	CbManifest *manifest;

	state = g_dir_make_tmp("civic-bridge-ctl-export-XXXXXX", &error);
	g_assert_no_error(error);
	workspace = g_build_filename(state, "out", NULL);
	g_assert_cmpint(g_mkdir(workspace, 0700), ==, 0);
	folder = cb_recording_folder(state, 7, FALSE);
	manifest = cb_test_recording_begin(folder);
	cb_test_recording_add_track(manifest, folder, "hall", "video", 0, 3, 0, small);
	cb_test_recording_add_track(manifest, folder, "hall", "audio", 0, 3, 0, small);
	/* pictures told apart by their brightness: hall bars, bp-1 white, bp-2
	 * snow, bp-3 bars */
	cb_test_recording_add_track(manifest, folder, "bp-1", "video", 0, 3, 3, small);
	cb_test_recording_add_track(manifest, folder, "bp-1", "audio", 0, 3, 1, small);
	cb_test_recording_add_event(manifest, "floor", "bp-1", 500);
	/* bp-2 joins a second late, takes the floor, then hands it back */
	cb_test_recording_add_track(manifest, folder, "bp-2", "video", 1000, 2, 1, small);
	cb_test_recording_add_event(manifest, "floor", "bp-2", 1500);
	cb_test_recording_add_event(manifest, "floor", "bp-1", 2500);
	/* bp-3 leaves for a second: its tile is black in between */
	cb_test_recording_add_track(manifest, folder, "bp-3", "video", 0, 1, 0, small);
	cb_test_recording_add_event(manifest, "left", "bp-3", 1000);
	cb_test_recording_add_event(manifest, "joined", "bp-3", 2000);
	cb_test_recording_add_track(manifest, folder, "bp-3", "video", 2000, 1, 0, small);
	/* bp-4 sends H.264 where an encoder is installed (the recorder keeps
	 * what the browser sent: VP8 or H.264) */
	h264 = *small;
	h264.h264 = cb_test_recording_has_h264();
	cb_test_recording_add_track(manifest, folder, "bp-4", "video", 0, 3, 0, &h264);
	cb_test_recording_stop(manifest);
	cb_manifest_close(manifest);

	confidential_folder = cb_recording_folder(state, 7, TRUE);
	manifest = cb_test_recording_begin(confidential_folder);
	cb_test_recording_add_track(manifest, confidential_folder, "citizen", "video", 0, 2, 11,
				    small);
	cb_test_recording_add_track(manifest, confidential_folder, "citizen", "audio", 0, 2, 2,
				    small);
	cb_test_recording_stop(manifest);
	cb_manifest_close(manifest);
}

/* every file under recordings/ with its size and content hash */
static char *
snapshot_recordings(void)
{
	g_autofree char *command = g_strdup_printf(
		"cd '%s' && find recordings -type f -exec sha256sum {} + | sort", state);
	g_autofree char *out = NULL;
	int status = 0;

	const char *argv[] = {"sh", "-c", command, NULL};

	g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
				   NULL, &status, NULL));
	g_assert_cmpint(status, ==, 0);
	return g_steal_pointer(&out);
}

static char *
output_path(const char *name)
{
	return g_build_filename(workspace, name, NULL);
}

/* no leftover in the output folder but @keep (may be NULL) */
static void
assert_workspace_holds(const char *keep)
{
	g_autoptr(GDir) dir = g_dir_open(workspace, 0, NULL);
	const char *name;

	while ((name = g_dir_read_name(dir)) != NULL) {
		if (g_str_has_prefix(name, "copy-"))
			continue;
		if (keep == NULL || !g_str_equal(name, keep))
			g_error("unexpected file in the output folder: %s", name);
	}
}

/* the mean luma of a @width x @height area at @x, @y of the composite's
 * frame shown at @at_ms (decoded here, as a player would) */
static double
mean_luma(const char *path, guint at_ms, gint x, gint y, gint width, gint height)
{
	g_autofree char *description =
		g_strdup_printf("filesrc location=\"%s\" ! matroskademux ! vp8dec ! videoconvert ! "
				"video/x-raw,format=I420 ! appsink name=out sync=false",
				path);
	g_autoptr(GstElement) pipeline = gst_parse_launch(description, NULL);
	g_autoptr(GstElement) sink = gst_bin_get_by_name(GST_BIN(pipeline), "out");
	double mean = -1;

	gst_element_set_state(pipeline, GST_STATE_PLAYING);
	for (;;) {
		g_autoptr(GstSample) sample = NULL;
		GstVideoInfo info;
		GstVideoFrame frame;
		GstBuffer *buffer;
		guint64 sum = 0;

		g_signal_emit_by_name(sink, "pull-sample", &sample);
		g_assert_nonnull(sample);
		buffer = gst_sample_get_buffer(sample);
		if (GST_BUFFER_PTS(buffer) + GST_BUFFER_DURATION(buffer) <= at_ms * GST_MSECOND)
			continue;
		g_assert_true(gst_video_info_from_caps(&info, gst_sample_get_caps(sample)));
		g_assert_true(gst_video_frame_map(&frame, &info, buffer, GST_MAP_READ));
		for (gint row = y; row < y + height; row++) {
			const guint8 *line = (const guint8 *)GST_VIDEO_FRAME_PLANE_DATA(&frame, 0) +
					     row * GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0);
			for (gint col = x; col < x + width; col++)
				sum += line[col];
		}
		gst_video_frame_unmap(&frame);
		mean = (double)sum / (width * height);
		break;
	}
	gst_element_set_state(pipeline, GST_STATE_NULL);
	return mean;
}

/* what the composite shows where and when: the floor's area follows the
 * floor events, and a track's gap is black */
static void
assert_pictures(const char *path)
{
	/* the floor's area (640,0 640x360), away from its label */
	double floor_before = mean_luma(path, 200, 700, 100, 500, 200);
	double floor_bp1 = mean_luma(path, 1000, 700, 100, 500, 200);
	double floor_bp2 = mean_luma(path, 2000, 700, 100, 500, 200);
	double floor_bp1_again = mean_luma(path, 2800, 700, 100, 500, 200);
	/* bp-3, third in the grid (640,360 320x180), before, in and after its gap */
	double bp3_before = mean_luma(path, 500, 700, 420, 200, 100);
	double bp3_gap = mean_luma(path, 1500, 700, 420, 200, 100);
	double bp3_after = mean_luma(path, 2500, 700, 420, 200, 100);
	/* bp-4 (960,360), H.264 where an encoder is installed */
	double bp4 = mean_luma(path, 1500, 1020, 420, 200, 100);

	g_assert_cmpfloat(floor_before, <, 30);
	g_assert_cmpfloat(floor_bp1, >, 200);
	g_assert_cmpfloat(floor_bp2, >, 60);
	g_assert_cmpfloat(floor_bp2, <, 200);
	g_assert_cmpfloat(floor_bp1_again, >, 200);
	g_assert_cmpfloat(bp3_before, >, 60);
	g_assert_cmpfloat(bp3_gap, <, 30);
	g_assert_cmpfloat(bp3_after, >, 60);
	g_assert_cmpfloat(bp4, >, 60);
}

static void
test_composite(void)
{
	g_autofree char *before = snapshot_recordings();
	g_autofree char *after = NULL;
	g_autofree char *output = output_path("session-7.webm");
	g_autoptr(CbTestCtlRun) run =
		run_export("--state-dir", state, "recording", "export", "7", "--output", output);
	g_autofree char *found = NULL;
	double seconds = cb_test_recording_discover(output, &found);

	g_assert_cmpint(run->status, ==, 0);
	g_assert_nonnull(strstr(run->err, "recording export: rendering 100 %"));
	g_assert_nonnull(strstr(run->out, "wrote "));
	g_assert_nonnull(strstr(run->out, "session-7.webm: 3.0 s, "));
	g_assert_nonnull(strstr(run->out,
				"inputs: hall/audio hall/video bp-1/audio bp-1/video bp-2/video "
				"bp-3/video bp-4/video\n"));
	g_assert_cmpfloat_with_epsilon(seconds, RECORDING_SECONDS, 1.0);
	g_assert_nonnull(strstr(found, "video #"));
	g_assert_nonnull(strstr(found, "VP8"));
	g_assert_nonnull(strstr(found, "audio #"));
	g_assert_nonnull(strstr(found, "Opus"));
	/* one video, whatever the number of tracks */
	g_assert_null(strstr(strstr(found, "video #") + 1, "video #"));
	assert_workspace_holds("session-7.webm");
	assert_pictures(output);
	g_assert_cmpint(g_unlink(output), ==, 0);
	/* the recording is only read */
	after = snapshot_recordings();
	g_assert_cmpstr(before, ==, after);
}

static void
test_one_track(void)
{
	g_autofree char *output = output_path("bp-2.webm");
	g_autoptr(CbTestCtlRun) run =
		run_export("--format", "json", "--state-dir", state, "recording", "export", "7",
			   "--track", "bp-2/video", "--output", output);
	g_autoptr(CbTestCtlRun) again =
		run_export("--state-dir", state, "recording", "export", "7", "--track",
			   "bp-2/video", "--output", output, "--overwrite");
	g_autoptr(JsonObject) done = NULL;
	g_autofree char *found = NULL;
	double seconds;

	cb_test_ctl_assert_ok(run);
	done = cb_test_ctl_json(run->out);
	g_assert_cmpstr(json_object_get_string_member(done, "output"), ==, output);
	g_assert_cmpfloat_with_epsilon(json_object_get_double_member(done, "seconds"), 2.0, 0.3);
	g_assert_cmpint(json_object_get_int_member(done, "bytes"), >, 1000);
	/* --overwrite replaces it */
	cb_test_ctl_assert_ok(again);
	seconds = cb_test_recording_discover(output, &found);
	g_assert_cmpfloat_with_epsilon(seconds, 2.0, 1.0);
	g_assert_nonnull(strstr(found, "VP8"));
	g_assert_null(strstr(found, "audio #"));
	assert_workspace_holds("bp-2.webm");
	g_assert_cmpint(g_unlink(output), ==, 0);
}

static void
test_one_h264_track(void)
{
	g_autofree char *output = output_path("bp-4.mkv");
	g_autoptr(CbTestCtlRun) run = run_export("--state-dir", state, "recording", "export", "7",
						 "--track", "bp-4/video", "--output", output);
	g_autofree char *found = NULL;

	if (!cb_test_recording_has_h264()) {
		g_test_skip("no openh264enc to make H.264 segments with");
		g_unlink(output);
		return;
	}
	cb_test_ctl_assert_ok(run);
	g_assert_cmpfloat_with_epsilon(cb_test_recording_discover(output, &found), 3.0, 1.0);
	g_assert_nonnull(strstr(found, "Matroska"));
	g_assert_nonnull(strstr(found, "H.264"));
	g_assert_cmpint(g_unlink(output), ==, 0);
}

static void
test_confidential_only_when_asked(void)
{
	g_autoptr(CbTestCtlRun) plain =
		run_export("--state-dir", state, "recording", "export", "7", "--dry-run");
	g_autoptr(CbTestCtlRun) with = run_export("--state-dir", state, "recording", "export", "7",
						  "--dry-run", "--with-confidential");
	g_autoptr(CbTestCtlRun) alone =
		run_export("--format", "json", "--state-dir", state, "recording", "export", "7",
			   "--dry-run", "--confidential");
	g_autoptr(JsonObject) plan = NULL;
	JsonArray *tracks;

	cb_test_ctl_assert_ok(plain);
	g_assert_null(strstr(plain->out, "citizen"));
	g_assert_nonnull(strstr(plain->out, "tile: hall at 0,0 640x360\n"));
	g_assert_nonnull(strstr(plain->out, "tile: floor: bp-1 at 640,0 640x360\n"));
	g_assert_nonnull(strstr(plain->out, "tile: floor: bp-2 at 640,0 640x360\n"));
	g_assert_nonnull(strstr(plain->out, "tile: bp-1 at 0,360 "));
	g_assert_nonnull(strstr(plain->out, "tile: bp-2 at "));
	g_assert_nonnull(strstr(plain->out, "span: 2026-11-18T"));
	cb_test_ctl_assert_ok(with);
	g_assert_nonnull(strstr(with->out, "track: citizen/video, 2 segments, confidential\n"));
	g_assert_nonnull(strstr(with->out, "track: citizen/audio, 2 segments, confidential\n"));
	g_assert_nonnull(strstr(with->out, "tile: citizen at "));
	cb_test_ctl_assert_ok(alone);
	plan = cb_test_ctl_json(alone->out);
	tracks = json_object_get_array_member(plan, "tracks");
	g_assert_cmpuint(json_array_get_length(tracks), ==, 2);
	for (guint i = 0; i < 2; i++)
		g_assert_true(
			g_str_has_prefix(json_object_get_string_member(
						 json_array_get_object_element(tracks, i), "track"),
					 "citizen/"));
	assert_workspace_holds(NULL);
}

static void
test_confidential_alone(void)
{
	g_autofree char *output = output_path("confidential.webm");
	g_autoptr(CbTestCtlRun) run = run_export("--state-dir", state, "recording", "export", "7",
						 "--confidential", "--output", output);

	g_assert_cmpint(run->status, ==, 0);
	g_assert_nonnull(strstr(run->out, "inputs: citizen/audio citizen/video\n"));
	g_assert_cmpfloat_with_epsilon(cb_test_recording_discover(output, NULL), 2.0, 1.0);
	g_assert_cmpint(g_unlink(output), ==, 0);
}

/* SIGTERM while it works: it stops, says so, and leaves nothing behind */
static void
test_interrupted(void)
{
	g_autofree char *output = output_path("interrupted.webm");
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) process =
		g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
				 &error, cb_test_program("CB_CTL_PATH"), "--state-dir", state,
				 "recording", "export", "7", "--output", output, NULL);
	g_autoptr(GDataInputStream) err = NULL;
	g_autoptr(GString) said = g_string_new(NULL);
	char *line;

	g_assert_no_error(error);
	err = g_data_input_stream_new(g_subprocess_get_stderr_pipe(process));
	/* it has checked the recording and started on the tracks */
	while ((line = g_data_input_stream_read_line(err, NULL, NULL, &error)) != NULL) {
		gboolean started = g_str_has_prefix(line, "recording export: preparing tracks");
		g_string_append_printf(said, "%s\n", line);
		g_free(line);
		if (started)
			break;
	}
	g_assert_no_error(error);
	g_subprocess_send_signal(process, SIGTERM);
	while ((line = g_data_input_stream_read_line(err, NULL, NULL, NULL)) != NULL) {
		g_string_append_printf(said, "%s\n", line);
		g_free(line);
	}
	g_assert_true(g_subprocess_wait(process, NULL, &error));
	g_test_message("stderr: %s", said->str);
	g_assert_true(g_subprocess_get_if_exited(process));
	g_assert_cmpint(g_subprocess_get_exit_status(process), ==, 1);
	g_assert_nonnull(strstr(said->str, "civic-bridgectl: interrupted: nothing exported\n"));
	assert_workspace_holds(NULL);
}

/* whoever read its progress went away (a closed pipe): it still finishes */
static void
test_progress_reader_gone(void)
{
	g_autofree char *output = output_path("reader-gone.webm");
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) process =
		g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
				 &error, cb_test_program("CB_CTL_PATH"), "--state-dir", state,
				 "recording", "export", "7", "--output", output, NULL);
	g_autoptr(GDataInputStream) err = NULL;
	g_autofree char *first = NULL;

	g_assert_no_error(error);
	err = g_data_input_stream_new(g_subprocess_get_stderr_pipe(process));
	first = g_data_input_stream_read_line(err, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(first);
	g_assert_true(g_input_stream_close(G_INPUT_STREAM(err), NULL, &error));
	g_assert_no_error(error);
	g_assert_true(g_subprocess_wait(process, NULL, &error));
	g_assert_true(g_subprocess_get_if_exited(process));
	g_assert_cmpint(g_subprocess_get_exit_status(process), ==, 0);
	g_assert_cmpfloat_with_epsilon(cb_test_recording_discover(output, NULL), 3.0, 1.0);
	assert_workspace_holds("reader-gone.webm");
	g_assert_cmpint(g_unlink(output), ==, 0);
}

/* a copy of the recording's folder, damaged by @shell (run inside it) */
static char *
damaged_copy(const char *name, const char *shell)
{
	g_autofree char *copy = g_build_filename(workspace, name, NULL);
	g_autofree char *command =
		g_strdup_printf("cp -a '%s' '%s' && cd '%s' && %s", folder, copy, copy, shell);

	g_assert_cmpint(system(command), ==, 0);
	return g_steal_pointer(&copy);
}

static void
assert_refused(CbTestCtlRun *run, int status, const char *needle)
{
	cb_test_ctl_assert_fails(run, status, needle);
	assert_workspace_holds(NULL);
}

static void
test_bad_recordings(void)
{
	g_autofree char *before = snapshot_recordings();
	g_autofree char *output = output_path("x.webm");
	/* the manifest without its stop: the recorder is still writing */
	g_autofree char *running = damaged_copy("copy-running", "sed -i '$d' manifest.jsonl");
	g_autofree char *tampered = damaged_copy(
		"copy-tampered", "sed -i '3s/\"bytes\":[0-9]*/\"bytes\":1/' manifest.jsonl");
	g_autofree char *missing = damaged_copy("copy-missing", "rm bp-1/video-p1-at0-00001.mkv");
	g_autofree char *after = NULL;
#define EXPORT(...) cb_test_ctl_run(NULL, "--state-dir", state, "recording", "export", __VA_ARGS__)
	g_autoptr(CbTestCtlRun) none = EXPORT("8", "--output", output);
	g_autoptr(CbTestCtlRun) in_progress = EXPORT(running, "--output", output);
	g_autoptr(CbTestCtlRun) changed = EXPORT(tampered, "--output", output);
	g_autoptr(CbTestCtlRun) lost = EXPORT(missing, "--output", output);

	assert_refused(none, 1, "no recording in ");
	assert_refused(in_progress, 1, "is in progress");
	assert_refused(changed, 1, "is not intact");
	g_assert_nonnull(strstr(changed->err, "manifest line 3: its hash does not match"));
	assert_refused(lost, 1, "missing: bp-1/video-p1-at0-00001.mkv");
	after = snapshot_recordings();
	g_assert_cmpstr(before, ==, after);
}

static void
test_bad_requests(void)
{
	g_autofree char *before = snapshot_recordings();
	g_autofree char *output = output_path("x.webm");
	g_autofree char *after = NULL;
	g_autoptr(CbTestCtlRun) unknown = EXPORT("7", "--track", "bp-9/video", "--output", output);
	g_autoptr(CbTestCtlRun) unwritable =
		EXPORT("7", "--output", "/nonexistent-civic-bridge-dir/x.webm");
	g_autoptr(CbTestCtlRun) no_output = EXPORT("7");
	g_autoptr(CbTestCtlRun) both =
		EXPORT("7", "--confidential", "--with-confidential", "--output", output);
	g_autoptr(CbTestCtlRun) bad_track = EXPORT("7", "--track", "bp-1", "--output", output);
	g_autoptr(CbTestCtlRun) exists = NULL;

	assert_refused(unknown, 1, "has no track bp-9/video (it has hall/audio, hall/video");
	assert_refused(unwritable, 1, "cannot write in /nonexistent-civic-bridge-dir");
	assert_refused(no_output, 2, "needs --output FILE");
	assert_refused(both, 2, "--confidential exports the confidential recording alone");
	assert_refused(bad_track, 2, "--track is PEER/TRACK");
	g_assert_true(g_file_set_contents(output, "mine", -1, NULL));
	exists = EXPORT("7", "--track", "hall/audio", "--output", output);
	cb_test_ctl_assert_fails(exists, 1, "x.webm exists: nothing exported");
	assert_workspace_holds("x.webm");
	g_assert_cmpint(g_unlink(output), ==, 0);
	after = snapshot_recordings();
	g_assert_cmpstr(before, ==, after);
#undef EXPORT
}

int
main(int argc, char **argv)
{
	g_autofree char *command = NULL;
	int status;

	g_test_init(&argc, &argv, NULL);
	gst_init(NULL, NULL);
	make_recording();
	g_test_add_func("/civic-bridge/ctl-recording-export/composite", test_composite);
	g_test_add_func("/civic-bridge/ctl-recording-export/one-track", test_one_track);
	g_test_add_func("/civic-bridge/ctl-recording-export/one-h264-track", test_one_h264_track);
	g_test_add_func("/civic-bridge/ctl-recording-export/confidential-only-when-asked",
			test_confidential_only_when_asked);
	g_test_add_func("/civic-bridge/ctl-recording-export/confidential-alone",
			test_confidential_alone);
	g_test_add_func("/civic-bridge/ctl-recording-export/interrupted", test_interrupted);
	g_test_add_func("/civic-bridge/ctl-recording-export/progress-reader-gone",
			test_progress_reader_gone);
	g_test_add_func("/civic-bridge/ctl-recording-export/bad-recordings", test_bad_recordings);
	g_test_add_func("/civic-bridge/ctl-recording-export/bad-requests", test_bad_requests);
	status = g_test_run();
	command = g_strdup_printf("rm -rf '%s'", state);
	g_assert_cmpint(system(command), ==, 0);
	return status;
}
