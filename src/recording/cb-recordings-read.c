#define G_LOG_DOMAIN "CbRecording"

/*
 * Reading recordings off the main loop.
 *
 * A recording's detail checks its manifest's whole hash chain: a
 * three-hour session of 32 peers has about 170,000 segment entries, seconds
 * of work, and the list reads every manifest in the state directory. The
 * main loop meanwhile carries every live session's signalling, so the API
 * has these reads done in GIO's worker threads and answers when they are
 * done (cb-api-recordings.c). The one-slot detail cache in CbRecordings is
 * behind a lock for this.
 */

#include "cb-recordings-private.h"

typedef struct {
	gboolean list;
	gint64 session_id;
	gboolean confidential;
} CbReadJob;

static void
cb_recordings_read_thread(GTask *task, gpointer source, gpointer task_data,
			  GCancellable *cancellable)
{
	CbRecordings *self = source;
	CbReadJob *job = task_data;
	GError *error = NULL;

	if (job->list) {
		GPtrArray *list = cb_recordings_list(self, job->confidential, &error);

		if (list != NULL)
			g_task_return_pointer(task, list, (GDestroyNotify)g_ptr_array_unref);
		else
			g_task_return_error(task, error);
	} else {
		CbRecordingInfo *info =
			cb_recordings_get(self, job->session_id, job->confidential, &error);

		if (info != NULL)
			g_task_return_pointer(task, info, (GDestroyNotify)cb_recording_info_free);
		else
			g_task_return_error(task, error);
	}
}

static void
cb_recordings_read_async(CbRecordings *self, const CbReadJob *job, gpointer tag,
			 GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, NULL, callback, user_data);

	g_task_set_source_tag(task, tag);
	g_task_set_task_data(task, g_memdup2(job, sizeof(*job)), g_free);
	g_task_run_in_thread(task, cb_recordings_read_thread);
}

void
cb_recordings_list_async(CbRecordings *self, gboolean confidential, GAsyncReadyCallback callback,
			 gpointer user_data)
{
	CbReadJob job = {.list = TRUE, .confidential = confidential};

	g_return_if_fail(CB_IS_RECORDINGS(self));
	cb_recordings_read_async(self, &job, cb_recordings_list_async, callback, user_data);
}

GPtrArray *
cb_recordings_list_finish(CbRecordings *self, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, self), NULL);
	g_return_val_if_fail(g_task_get_source_tag(G_TASK(result)) == cb_recordings_list_async,
			     NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}

void
cb_recordings_get_async(CbRecordings *self, gint64 session_id, gboolean confidential,
			GAsyncReadyCallback callback, gpointer user_data)
{
	CbReadJob job = {.session_id = session_id, .confidential = confidential};

	g_return_if_fail(CB_IS_RECORDINGS(self));
	cb_recordings_read_async(self, &job, cb_recordings_get_async, callback, user_data);
}

CbRecordingInfo *
cb_recordings_get_finish(CbRecordings *self, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, self), NULL);
	g_return_val_if_fail(g_task_get_source_tag(G_TASK(result)) == cb_recordings_get_async,
			     NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}
