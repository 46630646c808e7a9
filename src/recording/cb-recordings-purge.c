#define G_LOG_DOMAIN "CbRecording"

/* The retention purge: recordings whose last time is older than
 * [recording] retention-days are deleted, except those of sessions on legal
 * hold and those still in progress. The holds are read from the store on
 * the main thread; reading the manifests and deleting run in a worker
 * thread (a year of recordings is many files), and the audit entry is
 * written back on the main thread. A folder is first renamed out of the
 * way, so a recording is either whole or gone, never half listed. */

#include "config.h"

#include <errno.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-manifest.h"
#include "civic-bridge/cb-recordings.h"

#include "cb-recordings-private.h"

#define CB_RECORDINGS_DAY_SECONDS (24 * 3600)

typedef struct {
	char *state_dir;
	GHashTable *held; /* session ids, gint64 */
	guint retention_days;
	gint64 cutoff_us;
	CbActor actor;
} CbPurgeJob;

static void
cb_purge_job_free(CbPurgeJob *job)
{
	g_free(job->state_dir);
	g_clear_pointer(&job->held, g_hash_table_unref);
	g_free(job);
}

void
cb_purge_result_free(CbPurgeResult *result)
{
	if (result == NULL)
		return;
	g_array_unref(result->deleted);
	g_array_unref(result->skipped);
	g_ptr_array_unref(result->failed);
	g_free(result);
}

/* removes @path and what is below it, never following a symbolic link */
static gboolean
cb_recordings_remove_tree(const char *path, GError **error)
{
	GStatBuf st;

	if (g_lstat(path, &st) != 0) {
		int saved = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "%s: %s", path,
			    g_strerror(saved));
		return FALSE;
	}
	if (S_ISDIR(st.st_mode)) {
		g_autoptr(GDir) dir = g_dir_open(path, 0, error);
		const char *name;

		if (dir == NULL)
			return FALSE;
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree char *child = g_build_filename(path, name, NULL);
			if (!cb_recordings_remove_tree(child, error))
				return FALSE;
		}
	}
	if (g_remove(path) != 0) {
		int saved = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
			    "cannot delete %s: %s", path, g_strerror(saved));
		return FALSE;
	}
	return TRUE;
}

/* renames @folder out of the listing, then deletes it */
static gboolean
cb_recordings_delete_folder(const CbRecordingFolder *folder, GError **error)
{
	g_autofree char *parent = g_path_get_dirname(folder->folder);
	g_autofree char *base = g_path_get_basename(folder->folder);
	g_autofree char *name = g_strdup_printf(".purging-%s-%08x", base, g_random_int());
	g_autofree char *aside = g_build_filename(parent, name, NULL);

	if (g_rename(folder->folder, aside) != 0) {
		int saved = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
			    "cannot move %s aside: %s", folder->folder, g_strerror(saved));
		return FALSE;
	}
	return cb_recordings_remove_tree(aside, error);
}

static void
cb_recordings_purge_one(CbPurgeJob *job, CbPurgeResult *result, const CbRecordingFolder *folder)
{
	g_autoptr(CbRecordingInfo) info = NULL;
	g_autoptr(GError) error = NULL;
	CbPurgeItem item = {folder->session_id, folder->confidential};

	info = cb_recording_info_read(folder->folder, folder->session_id, folder->confidential,
				      FALSE, NULL);
	/* no manifest, or no time in it: nothing says how old it is */
	if (info == NULL || info->last_us == 0 || info->last_us >= job->cutoff_us)
		return;
	item.bytes = info->bytes;
	item.last_us = info->last_us;
	if (g_hash_table_contains(job->held, &folder->session_id))
		item.reason = "legal-hold";
	else if (info->in_progress)
		item.reason = "in-progress";
	if (item.reason != NULL) {
		g_array_append_val(result->skipped, item);
		return;
	}
	if (!cb_recordings_delete_folder(folder, &error)) {
		g_ptr_array_add(result->failed, g_strdup(error->message));
		return;
	}
	g_array_append_val(result->deleted, item);
}

static void
cb_recordings_purge_thread(GTask *task, gpointer source, gpointer task_data,
			   GCancellable *cancellable)
{
	CbPurgeJob *job = task_data;
	g_autoptr(GPtrArray) folders = cb_recording_folders(job->state_dir);
	CbPurgeResult *result = g_new0(CbPurgeResult, 1);

	result->retention_days = job->retention_days;
	result->cutoff_us = job->cutoff_us;
	result->deleted = g_array_new(FALSE, TRUE, sizeof(CbPurgeItem));
	result->skipped = g_array_new(FALSE, TRUE, sizeof(CbPurgeItem));
	result->failed = g_ptr_array_new_with_free_func(g_free);
	if (job->retention_days > 0)
		for (guint i = 0; i < folders->len; i++)
			cb_recordings_purge_one(job, result, g_ptr_array_index(folders, i));
	g_task_return_pointer(task, result, (GDestroyNotify)cb_purge_result_free);
}

/* "3, 5 (confidential)" */
static char *
cb_recordings_describe_items(GArray *items)
{
	GString *text = g_string_new(NULL);

	for (guint i = 0; i < items->len; i++) {
		const CbPurgeItem *item = &g_array_index(items, CbPurgeItem, i);
		g_string_append_printf(text, "%s%" G_GINT64_FORMAT "%s%s%s", i > 0 ? ", " : "",
				       item->session_id, item->confidential ? " confidential" : "",
				       item->reason != NULL ? " " : "",
				       item->reason != NULL ? item->reason : "");
	}
	return g_string_free(text, FALSE);
}

static void
cb_recordings_purge_record(CbRecordings *self, const CbActor *actor, const CbPurgeResult *result)
{
	g_autofree char *deleted = cb_recordings_describe_items(result->deleted);
	g_autofree char *skipped = cb_recordings_describe_items(result->skipped);
	g_autofree char *detail = NULL;
	g_autoptr(GError) error = NULL;
	gboolean nothing =
		result->deleted->len == 0 && result->skipped->len == 0 && result->failed->len == 0;

	for (guint i = 0; i < result->failed->len; i++)
		g_warning("purging recordings: %s",
			  (const char *)g_ptr_array_index(result->failed, i));
	if (result->deleted->len > 0)
		g_message("purge deleted %u recording%s older than %u days (sessions %s)",
			  result->deleted->len, result->deleted->len == 1 ? "" : "s",
			  result->retention_days, deleted);
	/* a daily run that found nothing to do is not worth an audit row */
	if (nothing && actor->token_id == 0)
		return;
	detail = g_strdup_printf("retention %u days; deleted sessions: %s; skipped: %s; failed: %u",
				 result->retention_days, deleted[0] ? deleted : "none",
				 skipped[0] ? skipped : "none", result->failed->len);
	if (!cb_store_audit_record(self->store, actor, "recording.purge", "recordings", detail,
				   &error))
		g_warning("the purge could not be audited: %s", error->message);
}

static void
cb_recordings_purge_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) outer = user_data;
	CbRecordings *self = g_task_get_source_object(outer);
	CbPurgeJob *job = g_task_get_task_data(G_TASK(res));
	g_autoptr(GError) error = NULL;
	CbPurgeResult *result = g_task_propagate_pointer(G_TASK(res), &error);

	self->purging = FALSE;
	if (result == NULL) {
		g_task_return_error(outer, g_steal_pointer(&error));
		return;
	}
	cb_recordings_purge_record(self, &job->actor, result);
	g_task_return_pointer(outer, result, (GDestroyNotify)cb_purge_result_free);
}

void
cb_recordings_purge_async(CbRecordings *self, const CbActor *actor, GAsyncReadyCallback callback,
			  gpointer user_data)
{
	g_autoptr(GTask) outer = g_task_new(self, NULL, callback, user_data);
	g_autoptr(GTask) inner = NULL;
	g_autoptr(GError) error = NULL;
	CbPurgeJob *job;
	gint64 now = cb_clock_now(self->clock);

	if (self->purging) {
		g_task_return_new_error(outer, CB_ERROR, CB_ERROR_CONFLICT,
					"a purge of recordings is running; try again when it "
					"has finished");
		return;
	}
	job = g_new0(CbPurgeJob, 1);
	job->held = cb_store_recording_hold_list(self->store, &error);
	if (job->held == NULL) {
		cb_purge_job_free(job);
		g_task_return_error(outer, g_steal_pointer(&error));
		return;
	}
	job->state_dir = g_strdup(self->state_dir);
	job->retention_days = self->retention_days;
	job->cutoff_us =
		now - (gint64)self->retention_days * CB_RECORDINGS_DAY_SECONDS * G_USEC_PER_SEC;
	job->actor = *actor;
	self->purging = TRUE;
	inner = g_task_new(self, NULL, cb_recordings_purge_done_cb, g_steal_pointer(&outer));
	g_task_set_task_data(inner, job, (GDestroyNotify)cb_purge_job_free);
	g_task_run_in_thread(inner, cb_recordings_purge_thread);
}

CbPurgeResult *
cb_recordings_purge_finish(CbRecordings *self, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, self), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}

/* --- once a day ---------------------------------------------------------------- */

static void
cb_recordings_daily_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbPurgeResult) result =
		cb_recordings_purge_finish(CB_RECORDINGS(source), res, &error);

	if (result == NULL)
		g_warning("the daily purge of recordings failed: %s", error->message);
}

static void cb_recordings_schedule_purge(CbRecordings *self, guint seconds);

static gboolean
cb_recordings_daily_cb(gpointer user_data)
{
	CbRecordings *self = user_data;
	CbActor system = {.via = "system"};

	cb_recordings_schedule_purge(self, CB_RECORDINGS_DAY_SECONDS);
	if (self->retention_days > 0)
		cb_recordings_purge_async(self, &system, cb_recordings_daily_done_cb, NULL);
	return G_SOURCE_REMOVE;
}

static void
cb_recordings_schedule_purge(CbRecordings *self, guint seconds)
{
	if (self->daily != NULL) {
		g_source_destroy(self->daily);
		g_source_unref(self->daily);
	}
	self->daily = g_timeout_source_new_seconds(seconds);
	g_source_set_callback(self->daily, cb_recordings_daily_cb, self, NULL);
	g_source_attach(self->daily, g_main_context_get_thread_default());
}

void
cb_recordings_start_daily_purge(CbRecordings *self, guint first_delay_seconds)
{
	cb_recordings_schedule_purge(self, first_delay_seconds);
}
