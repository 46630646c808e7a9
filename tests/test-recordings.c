/* CbRecordings in-process: reading recordings back, the names a file may
 * have, and the purge, run by hand and by the daily timer */
#include <string.h>

#include <glib/gstdio.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-manifest.h"
#include "civic-bridge/cb-recordings.h"

#include "cb-test-daemon.h"
#include "cb-test-recording-folder.h"

#define DAY_US (G_GINT64_CONSTANT(86400) * G_USEC_PER_SEC)

typedef struct {
	char *dir;
	CbStore *store;
	CbClock *clock;
	CbRecordings *recordings;
	GMainLoop *loop;
	CbPurgeResult *result;
} Fixture;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *db = NULL;

	f->dir = g_dir_make_tmp("civic-bridge-recordings-XXXXXX", &error);
	g_assert_no_error(error);
	db = g_build_filename(f->dir, "civic-bridge.db", NULL);
	f->clock = cb_clock_new_real();
	f->store = cb_store_open(db, f->clock, &error);
	g_assert_no_error(error);
	f->recordings = cb_recordings_new(f->store, f->clock, f->dir, 30);
	f->loop = g_main_loop_new(NULL, FALSE);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
	g_clear_object(&f->recordings);
	g_clear_object(&f->store);
	g_clear_object(&f->clock);
	g_main_loop_unref(f->loop);
	g_clear_pointer(&f->result, cb_purge_result_free);
	cb_test_remove_tree(f->dir);
	g_free(f->dir);
}

static char *
write_recording(Fixture *f, gint64 session, gint64 age_days, gboolean stopped)
{
	CbTestRecordingSpec spec = {session, FALSE, 1, 0, g_get_real_time() - age_days * DAY_US,
				    stopped};

	return cb_test_recording_write(f->dir, &spec);
}

static void
test_file_names(void)
{
	const char *good[] = {"hall/video-p1-00001.mkv", "a.mkv", "bp-3/x/y.webm", "..a/b"};
	const char *bad[] = {"",     "/etc/passwd", "../x", "a/../b", "a/./b",
			     "a//b", "a/",          "..",   ".",      "a\\..\\b"};

	for (gsize i = 0; i < G_N_ELEMENTS(good); i++)
		g_assert_true(cb_recording_file_name_ok(good[i]));
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
		if (cb_recording_file_name_ok(bad[i]))
			g_error("'%s' was taken as a file of a recording", bad[i]);
	g_assert_false(cb_recording_file_name_ok(NULL));
}

static void
test_in_progress_and_crash_tail(Fixture *f, gconstpointer data)
{
	g_autofree char *open_folder = write_recording(f, 4, 1, FALSE);
	g_autofree char *stopped = write_recording(f, 5, 1, TRUE);
	g_autofree char *manifest = g_build_filename(open_folder, CB_MANIFEST_NAME, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(CbRecordingInfo) running = NULL;
	g_autoptr(CbRecordingInfo) done = NULL;
	g_autoptr(CbRecordingInfo) reopened = NULL;
	g_autoptr(CbManifest) again = NULL;
	FILE *fp;

	/* a crash in the middle of writing an entry */
	fp = fopen(manifest, "a");
	g_assert_nonnull(fp);
	fputs("0123456789abcdef", fp);
	fclose(fp);
	running = cb_recordings_get(f->recordings, 4, FALSE, &error);
	g_assert_no_error(error);
	g_assert_true(running->in_progress);
	g_assert_true(running->manifest_ok);
	g_assert_cmpuint(running->unfinished_bytes, ==, 16);
	g_assert_cmpuint(running->segments, ==, 2);
	g_assert_cmpuint(running->parts, ==, 1);
	done = cb_recordings_get(f->recordings, 5, FALSE, &error);
	g_assert_no_error(error);
	g_assert_false(done->in_progress);
	g_assert_cmpuint(done->unfinished_bytes, ==, 0);
	g_assert_cmpfloat(done->seconds, ==, 2.0);

	/* the restart closes the part: no longer in progress */
	again = cb_manifest_open(manifest, &error);
	g_assert_no_error(error);
	reopened = cb_recordings_get(f->recordings, 4, FALSE, &error);
	g_assert_no_error(error);
	g_assert_false(reopened->in_progress);
	g_assert_cmpuint(reopened->unfinished_bytes, ==, 0);
}

/* a recording's detail is read once while its manifest stays as it is:
 * fetching segments one by one does not read the manifest each time */
static void
test_detail_read_once(Fixture *f, gconstpointer data)
{
	g_autofree char *folder = write_recording(f, 8, 1, TRUE);
	g_autofree char *manifest = g_build_filename(folder, CB_MANIFEST_NAME, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(CbRecordingInfo) first = cb_recordings_get(f->recordings, 8, FALSE, &error);
	g_autoptr(CbRecordingInfo) again = NULL;
	g_autoptr(CbRecordingInfo) changed = NULL;
	g_autoptr(CbManifest) writer = NULL;

	g_assert_no_error(error);
	again = cb_recordings_get(f->recordings, 8, FALSE, &error);
	g_assert_true(again == first);
	/* an entry more: read anew, and the entry is in it */
	writer = cb_manifest_open(manifest, &error);
	g_assert_no_error(error);
	g_assert_true(cb_manifest_add_event(writer, "joined", "bp-3", NULL, &error));
	changed = cb_recordings_get(f->recordings, 8, FALSE, &error);
	g_assert_no_error(error);
	g_assert_true(changed != first);
	g_assert_cmpuint(changed->entries->len, ==, first->entries->len + 1);
	/* a recording gone: not found, whatever was read before */
	cb_test_remove_tree(folder);
	g_assert_null(cb_recordings_get(f->recordings, 8, FALSE, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_NOT_FOUND);
}

static void
test_file_path(Fixture *f, gconstpointer data)
{
	g_autofree char *folder = write_recording(f, 6, 1, TRUE);
	g_autofree char *manifest = g_build_filename(folder, CB_MANIFEST_NAME, NULL);
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *path = NULL;
	g_autofree char *gone = NULL;
	guint64 bytes = 0;
	char *entry;

	path = cb_recordings_file_path(f->recordings, 6, FALSE, "hall/video-p1-00001.mkv", &bytes,
				       &error);
	g_assert_no_error(error);
	g_assert_true(g_str_has_prefix(path, folder));
	g_assert_cmpuint(bytes, >, 0);
	g_assert_null(cb_recordings_file_path(f->recordings, 6, FALSE, "../6/manifest.jsonl",
					      &bytes, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID);
	g_clear_error(&error);
	g_assert_null(cb_recordings_file_path(f->recordings, 6, TRUE, "hall/video-p1-00001.mkv",
					      &bytes, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_NOT_FOUND);
	g_clear_error(&error);

	/* an entry changed to list another file no longer holds: not served */
	g_assert_true(g_file_get_contents(manifest, &text, NULL, NULL));
	entry = strstr(text, "bp-3/video-p1-00001.mkv");
	g_assert_nonnull(entry);
	memcpy(entry, "bp-3/video-p1-00009.mkv", strlen("bp-3/video-p1-00009.mkv"));
	g_assert_true(g_file_set_contents(manifest, text, -1, NULL));
	gone = g_build_filename(folder, "bp-3", "video-p1-00009.mkv", NULL);
	g_assert_true(g_file_set_contents(gone, "planted", -1, NULL));
	g_assert_null(cb_recordings_file_path(f->recordings, 6, FALSE, "bp-3/video-p1-00009.mkv",
					      &bytes, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_NOT_FOUND);
}

static void
purged_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Fixture *f = user_data;
	g_autoptr(GError) error = NULL;

	f->result = cb_recordings_purge_finish(CB_RECORDINGS(source), result, &error);
	g_assert_no_error(error);
	g_main_loop_quit(f->loop);
}

static void
refused_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	gboolean *refused = user_data;
	g_autoptr(GError) error = NULL;

	g_assert_null(cb_recordings_purge_finish(CB_RECORDINGS(source), result, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
	*refused = TRUE;
}

static void
test_purge_by_hand(Fixture *f, gconstpointer data)
{
	g_autofree char *old = write_recording(f, 7, 40, TRUE);
	g_autofree char *held = write_recording(f, 8, 40, TRUE);
	g_autofree char *young = write_recording(f, 9, 10, TRUE);
	g_autoptr(GError) error = NULL;
	CbActor actor = {.token_id = 1, .role = CB_ROLE_ADMIN, .via = "api"};
	CbActor system = {.via = "system"};
	gboolean refused = FALSE;

	/* a hold for a session the store does not know, on its recording */
	g_assert_true(cb_recordings_set_hold(f->recordings, &actor, 8, TRUE, &error));
	g_assert_no_error(error);
	g_assert_false(cb_recordings_set_hold(f->recordings, &actor, 99, TRUE, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_NOT_FOUND);

	cb_recordings_purge_async(f->recordings, &system, purged_cb, f);
	/* one at a time */
	cb_recordings_purge_async(f->recordings, &system, refused_cb, &refused);
	g_main_loop_run(f->loop);
	g_assert_true(refused);
	g_assert_nonnull(f->result);
	g_assert_cmpuint(f->result->deleted->len, ==, 1);
	g_assert_cmpint(g_array_index(f->result->deleted, CbPurgeItem, 0).session_id, ==, 7);
	g_assert_cmpuint(f->result->skipped->len, ==, 1);
	g_assert_cmpstr(g_array_index(f->result->skipped, CbPurgeItem, 0).reason, ==, "legal-hold");
	g_assert_false(g_file_test(old, G_FILE_TEST_EXISTS));
	g_assert_true(g_file_test(held, G_FILE_TEST_IS_DIR));
	g_assert_true(g_file_test(young, G_FILE_TEST_IS_DIR));
}

static gboolean
timeout_cb(gpointer user_data)
{
	g_error("the daily purge did not run");
	return G_SOURCE_REMOVE;
}

static gboolean
poll_gone_cb(gpointer user_data)
{
	Fixture *f = user_data;
	g_autofree char *folder = cb_recording_folder(f->dir, 7, FALSE);

	if (g_file_test(folder, G_FILE_TEST_EXISTS))
		return G_SOURCE_CONTINUE;
	g_main_loop_quit(f->loop);
	return G_SOURCE_REMOVE;
}

static void
test_daily_purge(Fixture *f, gconstpointer data)
{
	g_autofree char *old = write_recording(f, 7, 40, TRUE);
	g_autofree char *running = write_recording(f, 8, 40, FALSE);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) audit = NULL;
	guint timeout = g_timeout_add_seconds(30, timeout_cb, NULL);
	guint poll = 0;

	cb_recordings_start_daily_purge(f->recordings, 1);
	poll = g_timeout_add(50, poll_gone_cb, f);
	g_main_loop_run(f->loop);
	g_source_remove(timeout);
	g_assert_true(g_file_test(running, G_FILE_TEST_IS_DIR));
	/* the audit row comes back on the main loop once the thread is done */
	while (TRUE) {
		audit = cb_store_audit_list(f->store, 0, 10, &error);
		g_assert_no_error(error);
		if (audit->len > 0)
			break;
		g_clear_pointer(&audit, g_ptr_array_unref);
		g_main_context_iteration(NULL, TRUE);
	}
	g_assert_cmpstr(((CbAuditEntry *)g_ptr_array_index(audit, 0))->action, ==,
			"recording.purge");
	g_assert_cmpstr(((CbAuditEntry *)g_ptr_array_index(audit, 0))->via, ==, "system");
	g_assert_nonnull(
		strstr(((CbAuditEntry *)g_ptr_array_index(audit, 0))->detail, "8 in-progress"));
	(void)poll;
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/civic-bridge/recordings/file-names", test_file_names);
#define ADD(path, fn)                                                                              \
	g_test_add("/civic-bridge/recordings/" path, Fixture, NULL, fixture_set_up, fn,            \
		   fixture_tear_down)
	ADD("in-progress-and-crash-tail", test_in_progress_and_crash_tail);
	ADD("file-path", test_file_path);
	ADD("detail-read-once", test_detail_read_once);
	ADD("purge-by-hand", test_purge_by_hand);
	ADD("daily-purge", test_daily_purge);
	return g_test_run();
}
