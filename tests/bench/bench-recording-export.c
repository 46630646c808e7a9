/* civic-bridge benchmark: the composite export's speed (issue 5)
 *
 * Makes, once, a synthetic recording of the 32-peer session of the media
 * benchmark in a temporary state directory: the hall, B bridge points (30)
 * and a citizen, each a VP8 track (640x360, 30 fps, 1 Mbps, a keyframe every
 * 2 s, moving colour bars) and an Opus track, S seconds long (60), in 4 s
 * segments from GStreamer's encoders through splitmuxsink (as the recorder
 * writes them), listed in a manifest with the daemon's own code, with the
 * floor passed from bridge point to bridge point every 10 s.
 *
 * Then times the real civic-bridgectl, as an operator runs it:
 * `recording export SESSION --output FILE` (the composite) and
 * `--track bp-1/video` (one track, remuxed), each N times (-n, 1): wall
 * time, the child's CPU time (getrusage), and the speed as a multiple of
 * real time (the recording's seconds over the wall time). The composite is
 * checked with gst-discoverer-1.0: it must play for the recording's length
 * within a second.
 *
 * No target in the issue: the figure is reported. Exit status 0 when every
 * export succeeded and the composite's duration is right, 1 otherwise. */
#define G_LOG_DOMAIN "CbBench"

#include <stdio.h>
#include <sys/resource.h>

#include <gio/gio.h>

#include "cb-test-daemon.h"
#include "cb-test-recording.h"

#include "bench-common.h"

typedef struct {
	gint bridge_points;
	gint seconds;
	gint runs;
	char *keep; /* a state directory kept between runs */
} CbBenchOptions;

/* the 32-peer session as a recording, closed */
static void
cb_bench_make_recording(const char *folder, const CbBenchOptions *options)
{
	const CbTestRecordingFormat *camera = &cb_test_recording_camera;
	g_autoptr(GPtrArray) peers = g_ptr_array_new_with_free_func(g_free);
	gint64 start = g_get_monotonic_time();
	CbManifest *manifest = cb_test_recording_begin(folder);

	g_ptr_array_add(peers, g_strdup("hall"));
	for (gint i = 1; i <= options->bridge_points; i++)
		g_ptr_array_add(peers, g_strdup_printf("bp-%d", i));
	g_ptr_array_add(peers, g_strdup("citizen"));
	for (guint i = 0; i < peers->len; i++) {
		const char *peer = g_ptr_array_index(peers, i);
		cb_test_recording_add_track(manifest, folder, peer, "video", 0,
					    (guint)options->seconds, 0, camera);
		cb_test_recording_add_track(manifest, folder, peer, "audio", 0,
					    (guint)options->seconds, i % 8, camera);
		printf("  encoded %u of %u peers\n", i + 1, peers->len);
		fflush(stdout);
	}
	for (gint at = 0; at < options->seconds; at += 10) {
		g_autofree char *holder =
			g_strdup_printf("bp-%d", 1 + (at / 10) % MAX(options->bridge_points, 1));
		cb_test_recording_add_event(manifest, "floor", holder, (guint)at * 1000);
	}
	cb_test_recording_stop(manifest);
	cb_manifest_close(manifest);
	printf("  made in %.1f s\n", (g_get_monotonic_time() - start) / 1e6);
}

static double
cb_bench_children_cpu(void)
{
	struct rusage usage;

	getrusage(RUSAGE_CHILDREN, &usage);
	return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
	       usage.ru_stime.tv_usec / 1e6;
}

/* runs civic-bridgectl @args; its wall and CPU seconds, FALSE when it failed */
static gboolean
cb_bench_run_ctl(const char *const *args, double *wall, double *cpu)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) process = NULL;
	double cpu_before = cb_bench_children_cpu();
	gint64 start = g_get_monotonic_time();
	g_autofree char *err = NULL;

	g_ptr_array_add(argv, (gpointer)cb_test_program("CB_CTL_PATH"));
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	process = g_subprocess_newv(
		(const char *const *)argv->pdata,
		G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
	if (process == NULL ||
	    !g_subprocess_communicate_utf8(process, NULL, NULL, NULL, &err, &error)) {
		printf("  cannot run civic-bridgectl: %s\n", error->message);
		return FALSE;
	}
	*wall = (g_get_monotonic_time() - start) / 1e6;
	*cpu = cb_bench_children_cpu() - cpu_before;
	if (!g_subprocess_get_successful(process))
		printf("%s", err);
	return g_subprocess_get_successful(process);
}

/* N runs of one export; the median wall time's speed */
static gboolean
cb_bench_time_export(const char *what, const char *state, const char *output, const char *track,
		     double seconds, gint runs)
{
	g_autoptr(GArray) walls = g_array_new(FALSE, FALSE, sizeof(double));
	g_autoptr(GArray) cpus = g_array_new(FALSE, FALSE, sizeof(double));

	for (gint i = 0; i < runs; i++) {
		const char *const composite[] = {"--state-dir", state,  "recording",
						 "export",      "7",    "--overwrite",
						 "--output",    output, NULL};
		const char *const one[] = {"--state-dir", state,     "recording", "export",
					   "7",           "--track", track,       "--overwrite",
					   "--output",    output,    NULL};
		double wall = 0, cpu = 0;
		g_autofree char *load = NULL;

		/* a shared machine: what else ran shows in the load */
		if (g_file_get_contents("/proc/loadavg", &load, NULL, NULL))
			printf("  load average before run %d: %s", i + 1, load);
		if (!cb_bench_run_ctl(track != NULL ? one : composite, &wall, &cpu)) {
			printf("  %s: the export failed\n", what);
			return FALSE;
		}
		g_array_append_val(walls, wall);
		g_array_append_val(cpus, cpu);
		printf("  %s run %d: %.1f s wall, %.1f s CPU (%.2f cores): %.2fx real time\n", what,
		       i + 1, wall, cpu, cpu / wall, seconds / wall);
	}
	printf("%s: median %.1f s wall for %.0f s of recording: %.2fx real time "
	       "(%.2fx per core-second of CPU)\n",
	       what, cb_bench_quantile(walls, 0.5), seconds,
	       seconds / cb_bench_quantile(walls, 0.5), seconds / cb_bench_quantile(cpus, 0.5));
	return TRUE;
}

int
main(int argc, char **argv)
{
	CbBenchOptions options = {30, 60, 1, NULL};
	const GOptionEntry entries[] = {
		{"bridge-points", 'b', 0, G_OPTION_ARG_INT, &options.bridge_points,
		 "Bridge points (30)", "B"},
		{"seconds", 's', 0, G_OPTION_ARG_INT, &options.seconds, "Recording length (60)",
		 "S"},
		{"runs", 'n', 0, G_OPTION_ARG_INT, &options.runs, "Runs of each export (1)", "N"},
		{"keep", 'k', 0, G_OPTION_ARG_FILENAME, &options.keep,
		 "Make the recording in DIR and keep it; reuse the one there", "DIR"},
		{NULL},
	};
	g_autoptr(GOptionContext) context = g_option_context_new("- time recording export");
	g_autoptr(GError) error = NULL;
	g_autofree char *state = NULL, *folder = NULL, *output = NULL, *track = NULL;
	g_autofree char *command = NULL, *manifest = NULL;
	double duration;
	gboolean ok;

	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error) || options.seconds < 4 ||
	    options.runs < 1 || options.bridge_points < 1) {
		fprintf(stderr, "%s\n", error != NULL ? error->message : "bad option value");
		return 2;
	}
	if (options.keep != NULL) {
		state = g_strdup(options.keep);
		g_assert_cmpint(g_mkdir_with_parents(state, 0700), ==, 0);
	} else {
		state = g_dir_make_tmp("civic-bridge-bench-export-XXXXXX", &error);
		g_assert_no_error(error);
	}
	folder = cb_recording_folder(state, 7, FALSE);
	output = g_build_filename(state, "composite.webm", NULL);
	track = g_build_filename(state, "bp-1.webm", NULL);
	printf("recording: hall, %d bridge points and the citizen, %d s, VP8 640x360 30 fps "
	       "1 Mbps + Opus, %u processors\n",
	       options.bridge_points, options.seconds, g_get_num_processors());
	manifest = g_build_filename(folder, CB_MANIFEST_NAME, NULL);
	if (g_file_test(manifest, G_FILE_TEST_EXISTS))
		printf("  reusing the recording in %s\n", folder);
	else
		cb_bench_make_recording(folder, &options);
	ok = cb_bench_time_export("composite", state, output, NULL, options.seconds,
				  options.runs) &&
	     cb_bench_time_export("one track (bp-1/video)", state, track, "bp-1/video",
				  options.seconds, options.runs);
	duration = ok ? cb_test_recording_discover(output, NULL) : -1;
	printf("composite: gst-discoverer-1.0 reads %.2f s (recording %d s): %s\n", duration,
	       options.seconds,
	       cb_bench_verdict(ok && duration > options.seconds - 1.0 &&
				duration < options.seconds + 1.0));
	command = options.keep != NULL ? g_strdup_printf("rm -f '%s' '%s'", output, track)
				       : g_strdup_printf("rm -rf '%s'", state);
	if (system(command) != 0)
		printf("could not remove what it made in %s\n", state);
	return ok && duration > options.seconds - 1.0 && duration < options.seconds + 1.0 ? 0 : 1;
}
