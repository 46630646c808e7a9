#define G_LOG_DOMAIN "CbRecording"

/* The manifest's writing thread (see cb-manifest-writer.h). */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-manifest-writer.h"

struct _CbManifestWriter {
	gint ref;
	char *folder;
	CbManifest *manifest; /* the thread's once open */
	GThreadPool *pool;    /* one thread: appends run in order */
	GMainContext *context;
	CbManifestWriterFailedFunc failed_func;
	gpointer failed_data;
	gint failed; /* atomic */
	gboolean closed;
	guint last_part;
	GError *error; /* the first failure; set on the thread, read on the main context */
};

typedef struct {
	JsonObject *entry;         /* a ready entry, or NULL for a segment */
	CbManifestSegment segment; /* its strings owned */
} CbManifestJob;

static CbManifestWriter *
cb_manifest_writer_ref(CbManifestWriter *writer)
{
	g_atomic_int_inc(&writer->ref);
	return writer;
}

static void
cb_manifest_writer_unref(CbManifestWriter *writer)
{
	if (!g_atomic_int_dec_and_test(&writer->ref))
		return;
	g_free(writer->folder);
	g_clear_error(&writer->error);
	g_main_context_unref(writer->context);
	g_free(writer);
}

static void
cb_manifest_job_free(CbManifestJob *job)
{
	if (job->entry != NULL)
		json_object_unref(job->entry);
	g_free((char *)job->segment.file);
	g_free((char *)job->segment.peer);
	g_free((char *)job->segment.track);
	g_free(job);
}

/* main context: tells the owner, unless it closed the writer meanwhile */
static gboolean
cb_manifest_writer_report_cb(gpointer data)
{
	CbManifestWriter *writer = data;

	if (!writer->closed && writer->failed_func != NULL)
		writer->failed_func(writer, writer->error, writer->failed_data);
	return G_SOURCE_REMOVE;
}

/* the writer's thread */
static void
cb_manifest_writer_run(gpointer data, gpointer user_data)
{
	CbManifestJob *job = data;
	CbManifestWriter *writer = user_data;
	g_autoptr(GError) error = NULL;
	gboolean ok;

	if (g_atomic_int_get(&writer->failed)) {
		cb_manifest_job_free(job);
		return;
	}
	if (job->entry != NULL)
		ok = cb_manifest_append(writer->manifest, job->entry, &error);
	else
		ok = cb_manifest_add_segment(writer->manifest, writer->folder, &job->segment,
					     &error);
	cb_manifest_job_free(job);
	if (ok)
		return;
	g_warning("recording %s: %s", writer->folder, error->message);
	writer->error = g_steal_pointer(&error);
	g_atomic_int_set(&writer->failed, 1);
	g_main_context_invoke_full(writer->context, G_PRIORITY_DEFAULT,
				   cb_manifest_writer_report_cb, cb_manifest_writer_ref(writer),
				   (GDestroyNotify)cb_manifest_writer_unref);
}

static void
cb_manifest_writer_push(CbManifestWriter *writer, CbManifestJob *job)
{
	g_return_if_fail(!writer->closed);
	g_thread_pool_push(writer->pool, job, NULL);
}

void
cb_manifest_writer_add_segment(CbManifestWriter *writer, const CbManifestSegment *segment)
{
	CbManifestJob *job = g_new0(CbManifestJob, 1);

	job->segment = *segment;
	job->segment.file = g_strdup(segment->file);
	job->segment.peer = g_strdup(segment->peer);
	job->segment.track = g_strdup(segment->track);
	cb_manifest_writer_push(writer, job);
}

void
cb_manifest_writer_add_entry(CbManifestWriter *writer, JsonObject *entry)
{
	CbManifestJob *job = g_new0(CbManifestJob, 1);

	job->entry = entry;
	cb_manifest_writer_push(writer, job);
}

void
cb_manifest_writer_add_event(CbManifestWriter *writer, const char *event, const char *subject,
			     const char *detail)
{
	JsonObject *entry = json_object_new();

	json_object_set_string_member(entry, "type", "event");
	json_object_set_string_member(entry, "event", event);
	if (subject != NULL)
		json_object_set_string_member(entry, "subject", subject);
	if (detail != NULL)
		json_object_set_string_member(entry, "detail", detail);
	cb_manifest_writer_add_entry(writer, entry);
}

/* files under @folder/@relative that @listed does not name */
static void
cb_manifest_writer_find_unlisted(const char *folder, const char *relative, GHashTable *listed,
				 GPtrArray *found)
{
	g_autofree char *path = g_build_filename(folder, relative, NULL);
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const char *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *child = relative[0] != '\0'
						 ? g_strconcat(relative, "/", name, NULL)
						 : g_strdup(name);
		g_autofree char *full = g_build_filename(folder, child, NULL);

		if (g_file_test(full, G_FILE_TEST_IS_DIR))
			cb_manifest_writer_find_unlisted(folder, child, listed, found);
		else if (g_str_has_suffix(child, ".mkv") && !g_hash_table_contains(listed, child))
			g_ptr_array_add(found, g_steal_pointer(&child));
	}
}

/* the highest part named, and an "unfinished" entry per segment file the
 * manifest does not list (the one being written when the daemon stopped) */
static gboolean
cb_manifest_writer_recover(CbManifestWriter *writer, const char *path, GError **error)
{
	g_autoptr(GPtrArray) entries = cb_manifest_read(path, NULL, error);
	g_autoptr(GHashTable) listed = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GPtrArray) unlisted = g_ptr_array_new_with_free_func(g_free);

	if (entries == NULL)
		return FALSE;
	for (guint i = 0; i < entries->len; i++) {
		JsonObject *entry = g_ptr_array_index(entries, i);
		const char *file = json_object_get_string_member_with_default(entry, "file", NULL);
		gint64 part = json_object_get_int_member_with_default(entry, "part", 0);

		if (file != NULL)
			g_hash_table_add(listed, (gpointer)file);
		if (part > 0 && part < G_MAXUINT && (guint)part > writer->last_part)
			writer->last_part = (guint)part;
	}
	cb_manifest_writer_find_unlisted(writer->folder, "", listed, unlisted);
	for (guint i = 0; i < unlisted->len; i++) {
		g_autoptr(JsonObject) entry = json_object_new();

		json_object_set_string_member(entry, "type", "unfinished");
		json_object_set_string_member(entry, "file", g_ptr_array_index(unlisted, i));
		if (!cb_manifest_append(writer->manifest, entry, error))
			return FALSE;
	}
	return TRUE;
}

CbManifestWriter *
cb_manifest_writer_open(const char *folder, CbManifestWriterFailedFunc failed, gpointer user_data,
			GError **error)
{
	CbManifestWriter *writer;
	g_autofree char *path = g_build_filename(folder, CB_MANIFEST_NAME, NULL);

	if (g_mkdir_with_parents(folder, 0700) != 0) {
		int saved = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
			    "cannot make the recording folder %s: %s", folder, g_strerror(saved));
		return NULL;
	}
	writer = g_new0(CbManifestWriter, 1);
	writer->ref = 1;
	writer->folder = g_strdup(folder);
	writer->context = g_main_context_ref_thread_default();
	writer->failed_func = failed;
	writer->failed_data = user_data;
	writer->manifest = cb_manifest_open(path, error);
	if (writer->manifest == NULL || !cb_manifest_writer_recover(writer, path, error)) {
		g_clear_pointer(&writer->manifest, cb_manifest_close);
		cb_manifest_writer_unref(writer);
		return NULL;
	}
	writer->pool = g_thread_pool_new(cb_manifest_writer_run, writer, 1, FALSE, NULL);
	return writer;
}

void
cb_manifest_writer_close(CbManifestWriter *writer)
{
	if (writer == NULL)
		return;
	/* every queued entry is written before the manifest closes */
	g_thread_pool_free(writer->pool, FALSE, TRUE);
	writer->closed = TRUE;
	g_clear_pointer(&writer->manifest, cb_manifest_close);
	cb_manifest_writer_unref(writer);
}

const char *
cb_manifest_writer_get_folder(CbManifestWriter *writer)
{
	return writer->folder;
}

guint
cb_manifest_writer_get_last_part(CbManifestWriter *writer)
{
	return writer->last_part;
}

gboolean
cb_manifest_writer_has_failed(CbManifestWriter *writer)
{
	return g_atomic_int_get(&writer->failed);
}

void
cb_manifest_writer_close_interrupted(const char *recordings_dir)
{
	g_autoptr(GDir) dir = g_dir_open(recordings_dir, 0, NULL);
	const char *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *folder = g_build_filename(recordings_dir, name, NULL);
		g_autofree char *path = g_build_filename(folder, CB_MANIFEST_NAME, NULL);
		g_autoptr(GError) error = NULL;
		CbManifestWriter *writer;
		JsonObject *stop;
		GStatBuf st;

		/* no entry yet (nothing to close), or closed */
		if (g_stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0 ||
		    cb_manifest_ends_with_stop(path))
			continue;
		writer = cb_manifest_writer_open(folder, NULL, NULL, &error);
		if (writer == NULL) {
			g_warning("recording %s was interrupted and cannot be closed: %s", name,
				  error->message);
			continue;
		}
		stop = json_object_new();
		json_object_set_string_member(stop, "type", "stop");
		json_object_set_string_member(stop, "reason", "interrupted");
		cb_manifest_writer_add_entry(writer, stop);
		cb_manifest_writer_close(writer);
		g_message("recording %s: closed after the daemon stopped in the middle of it",
			  name);
	}
}
