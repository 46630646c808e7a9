#define G_LOG_DOMAIN "CbCtl"

/* recording export: one closed, intact recording (straight from the state
 * directory or a copied folder, like verify) as one composite WebM file, or
 * one peer's track as one file. It runs here, in civic-bridgectl, never in
 * the daemon. The output is written under a temporary name beside it and
 * renamed at the end: a failed export leaves no half file behind, and the
 * recording's folder is only ever read. Ctrl-C (or SIGTERM, SIGHUP) stops it
 * the same way, once the recording is checked: the temporary files go. A
 * second one exits at once and leaves them. */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gst/gst.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-recording-export.h"

#include "cb-ctl.h"

typedef struct {
	char *output;
	char *track;
	gboolean with_confidential;
	gboolean confidential;
	gboolean overwrite;
	gboolean dry_run;
	/* progress on stderr: the last stage and percent shown, and when */
	char *stage;
	int percent;
	gint64 shown_at;
} CbCtlExport;

static void
cb_ctl_export_clear(CbCtlExport *export)
{
	g_free(export->output);
	g_free(export->track);
	g_free(export->stage);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbCtlExport, cb_ctl_export_clear)

/* the only thread that takes the stop signals (blocked in every other one,
 * GStreamer's included, from before they start): the first cancels the
 * export, which cleans up on its way out; a second exits at once */
static gpointer
cb_ctl_export_signal_thread(gpointer data)
{
	GCancellable *cancellable = data;
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigwait(&set, &sig) == 0)
		g_cancellable_cancel(cancellable);
	if (sigwait(&set, &sig) == 0)
		_exit(128 + sig);
	return NULL;
}

static void
cb_ctl_export_catch_signals(GCancellable *cancellable)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* progress goes to stderr: a reader that went away (a closed pipe) must
	 * not kill the export before it cleans up; the writes just fail */
	signal(SIGPIPE, SIG_IGN);
	g_thread_unref(g_thread_new("cb-export-signals", cb_ctl_export_signal_thread,
				    g_object_ref(cancellable)));
}

static void
cb_ctl_export_progress_cb(const char *stage, double done, gpointer user_data)
{
	CbCtlExport *export = user_data;
	int percent = (int)(done * 100);
	gint64 now = g_get_monotonic_time();
	gboolean new_stage = g_strcmp0(stage, export->stage) != 0;

	/* a line per stage, then at most one a second */
	if (!new_stage && (percent == export->percent ||
			   (percent < 100 && now - export->shown_at < G_USEC_PER_SEC)))
		return;
	g_free(export->stage);
	export->stage = g_strdup(stage);
	export->percent = percent;
	export->shown_at = now;
	fprintf(stderr, "recording export: %s %d %%\n", stage, percent);
	fflush(stderr);
}

/* the folders to read: the recording, and with --with-confidential the
 * confidential one beside it (left out when there is none) */
static guint
cb_ctl_export_sources(CbCtl *ctl, CbCtlExport *export, const char *what, CbExportSource *sources,
		      char **folders, GError **error)
{
	folders[0] = cb_ctl_recording_path(ctl, what, export->confidential, error);
	if (folders[0] == NULL)
		return 0;
	sources[0] = (CbExportSource){folders[0], export->confidential, FALSE};
	if (!export->with_confidential)
		return 1;
	if (g_file_test(what, G_FILE_TEST_IS_DIR) && !g_ascii_isdigit(what[0]))
		folders[1] = g_strconcat(folders[0], "-confidential", NULL);
	else
		folders[1] = cb_ctl_recording_path(ctl, what, TRUE, error);
	if (folders[1] == NULL)
		return 0;
	sources[1] = (CbExportSource){folders[1], TRUE, TRUE};
	return 2;
}

/* refuses an output that exists (unless --overwrite) and takes a temporary
 * file beside it, which proves the folder writable before any work */
static char *
cb_ctl_export_claim_output(CbCtlExport *export, GError **error)
{
	g_autofree char *dir = g_path_get_dirname(export->output);
	g_autofree char *base = g_path_get_basename(export->output);
	g_autofree char *name = g_strdup_printf(".%s.XXXXXX.part", base);
	char *temp = g_build_filename(dir, name, NULL);
	int fd;

	if (g_file_test(export->output, G_FILE_TEST_IS_DIR)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "%s is a folder: --output names a file", export->output);
		g_free(temp);
		return NULL;
	}
	if (g_file_test(export->output, G_FILE_TEST_EXISTS) && !export->overwrite) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "%s exists: nothing exported (--overwrite replaces it)",
			    export->output);
		g_free(temp);
		return NULL;
	}
	fd = g_mkstemp_full(temp, O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		int saved = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
			    "cannot write in %s: %s", dir, g_strerror(saved));
		g_free(temp);
		return NULL;
	}
	close(fd);
	return temp;
}

static char *
cb_ctl_export_track_names(CbExportPlan *plan, const char *separator)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < plan->tracks->len; i++) {
		CbExportTrack *track = g_ptr_array_index(plan->tracks, i);
		g_ptr_array_add(names, g_strdup_printf("%s/%s", track->peer, track->kind));
	}
	g_ptr_array_add(names, NULL);
	return g_strjoinv(separator, (char **)names->pdata);
}

/* the track's own span: its first segment's start to its last one's end */
static gint64
cb_ctl_export_track_span(CbExportTrack *track, gint64 *first)
{
	gint64 end = 0;

	*first = ((CbExportSegment *)g_ptr_array_index(track->segments, 0))->start_us;
	for (guint i = 0; i < track->segments->len; i++)
		end = MAX(end, ((CbExportSegment *)g_ptr_array_index(track->segments, i))->end_us);
	return end - *first;
}

/* the last words: what was written, how long, how large */
static gboolean
cb_ctl_export_print_done(CbCtl *ctl, const char *output, gint64 span_us, const char *inputs,
			 GError **error)
{
	GStatBuf st;
	double seconds = (double)span_us / G_USEC_PER_SEC;
	g_autofree char *text = NULL;

	if (g_stat(output, &st) != 0)
		st.st_size = 0;
	if (ctl->format == CB_CTL_FORMAT_JSON) {
		g_autoptr(JsonBuilder) builder = json_builder_new();
		g_auto(GStrv) names = g_strsplit(inputs, " ", -1);
		g_autoptr(JsonNode) node = NULL;

		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "output");
		json_builder_add_string_value(builder, output);
		json_builder_set_member_name(builder, "seconds");
		json_builder_add_double_value(builder, seconds);
		json_builder_set_member_name(builder, "bytes");
		json_builder_add_int_value(builder, (gint64)st.st_size);
		json_builder_set_member_name(builder, "inputs");
		json_builder_begin_array(builder);
		for (guint i = 0; names[i] != NULL; i++)
			json_builder_add_string_value(builder, names[i]);
		json_builder_end_array(builder);
		json_builder_end_object(builder);
		node = json_builder_get_root(builder);
		return cb_ctl_print_json(node, error);
	}
	text = g_strdup_printf("inputs: %s\nwrote %s: %.1f s, %" G_GINT64_FORMAT " bytes\n", inputs,
			       output, seconds, (gint64)st.st_size);
	return cb_ctl_write_stdout(text, error);
}

/* one track, remuxed; or the composite, through a folder of remuxed tracks */
static gboolean
cb_ctl_export_write(CbCtl *ctl, CbCtlExport *export, CbExportPlan *plan, const char *temp,
		    GCancellable *cancellable, GError **error)
{
	CbExportTrack *track = NULL;
	g_autofree char *work = NULL;
	g_autofree char *inputs = NULL;
	g_autofree char *dir = g_path_get_dirname(export->output);
	g_autofree char *template = NULL;
	gint64 first = 0, span = plan->end_us - plan->start_us;
	gboolean ok;

	gst_init(NULL, NULL);
	if (export->track != NULL) {
		track = cb_export_plan_find_track(plan, export->track);
		span = cb_ctl_export_track_span(track, &first);
		inputs = g_strdup(export->track);
		ok = cb_export_remux_track(track, first, temp, NULL, cancellable, error);
	} else {
		work = g_build_filename(dir, ".civic-bridge-export-XXXXXX", NULL);
		if (g_mkdtemp_full(work, 0700) == NULL) {
			int saved = errno;
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
				    "cannot write in %s: %s", dir, g_strerror(saved));
			return FALSE;
		}
		template = g_build_filename(cb_export_pipelines_dir(), "composite.pipeline", NULL);
		inputs = cb_ctl_export_track_names(plan, " ");
		ok = cb_export_composite(plan, template, work, temp, cb_ctl_export_progress_cb,
					 export, cancellable, error);
		g_rmdir(work);
	}
	if (!ok && error != NULL && g_error_matches(*error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_clear_error(error);
		g_set_error(error, CB_ERROR, CB_ERROR_UNAVAILABLE, "interrupted: nothing exported");
	}
	if (ok && g_rename(temp, export->output) != 0) {
		int saved = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
			    "cannot rename %s to %s: %s", temp, export->output, g_strerror(saved));
		ok = FALSE;
	}
	return ok && cb_ctl_export_print_done(ctl, export->output, span, inputs, error);
}

static gboolean
cb_ctl_export_check_track(CbExportPlan *plan, const char *name, GError **error)
{
	g_autofree char *names = NULL;

	if (cb_export_plan_find_track(plan, name) != NULL)
		return TRUE;
	names = cb_ctl_export_track_names(plan, ", ");
	g_set_error(error, CB_ERROR, CB_ERROR_NOT_FOUND,
		    "the recording has no track %s (it has %s): nothing exported", name, names);
	return FALSE;
}

static gboolean
cb_ctl_export_check_options(CbCtlExport *export, GError **error)
{
	if (export->confidential && export->with_confidential) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--confidential exports the confidential recording alone: "
			    "--with-confidential adds it to the composite");
		return FALSE;
	}
	if (export->output == NULL && !export->dry_run) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
			    "recording export needs --output FILE");
		return FALSE;
	}
	if (export->track != NULL && strchr(export->track, '/') == NULL) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--track is PEER/TRACK, as in bp-3/video");
		return FALSE;
	}
	return TRUE;
}

static gboolean
cb_ctl_export_run(CbCtl *ctl, CbCtlExport *export, const char *what, GError **error)
{
	CbExportSource sources[2];
	char *folders[2] = {NULL, NULL};
	g_autoptr(CbExportPlan) plan = NULL;
	g_autofree char *temp = NULL;
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	guint n;
	gboolean ok = FALSE;

	cb_ctl_export_catch_signals(cancellable);
	n = cb_ctl_export_sources(ctl, export, what, sources, folders, error);
	if (n > 0 && (export->dry_run || (temp = cb_ctl_export_claim_output(export, error)))) {
		plan = cb_export_plan_load(sources, n, error);
		if (plan != NULL && (export->track == NULL ||
				     cb_ctl_export_check_track(plan, export->track, error)))
			ok = export->dry_run
				     ? cb_ctl_export_print_plan(ctl, plan, export->track, error)
				     : cb_ctl_export_write(ctl, export, plan, temp, cancellable,
							   error);
	}
	if (temp != NULL && g_file_test(temp, G_FILE_TEST_EXISTS))
		g_unlink(temp);
	g_free(folders[0]);
	g_free(folders[1]);
	return ok;
}

gboolean
cb_ctl_recording_export(CbCtl *ctl, int argc, char **argv, GError **error)
{
	g_auto(CbCtlExport) export = {0};
	char **args = NULL; /* into argv */
	const char *const names[] = {"SESSION|DIR", NULL};
	const GOptionEntry entries[] = {
		{"output", 'o', 0, G_OPTION_ARG_FILENAME, &export.output,
		 "The file to write (WebM for the composite)", "FILE"},
		{"track", 0, 0, G_OPTION_ARG_STRING, &export.track,
		 "One peer's track alone, as recorded (e.g. bp-3/video)", "PEER/TRACK"},
		{"with-confidential", 0, 0, G_OPTION_ARG_NONE, &export.with_confidential,
		 "Include the confidential recording (a denouncer's tracks)", NULL},
		{"confidential", 0, 0, G_OPTION_ARG_NONE, &export.confidential,
		 "Export the confidential recording alone", NULL},
		{"overwrite", 0, 0, G_OPTION_ARG_NONE, &export.overwrite,
		 "Replace the output file if it exists", NULL},
		{"dry-run", 'n', 0, G_OPTION_ARG_NONE, &export.dry_run,
		 "Check the recording and list the tracks and tiles; write nothing", NULL},
		{NULL},
	};

	if (!cb_ctl_parse(ctl, "recording export", entries, names, argc, argv, &args, error) ||
	    !cb_ctl_export_check_options(&export, error))
		return FALSE;
	return cb_ctl_export_run(ctl, &export, args[0], error);
}
