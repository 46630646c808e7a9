#define G_LOG_DOMAIN "CbRecording"

/* The recordings as the API reads them: listing, one in detail, the files a
 * manifest lists, and the legal hold. Files only leave through a name that
 * a manifest entry whose hash and chain hold lists, so neither a request
 * nor an altered manifest can reach outside a recording's folder. */

#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-manifest.h"
#include "civic-bridge/cb-recordings.h"

#include "cb-recordings-private.h"

G_DEFINE_TYPE(CbRecordings, cb_recordings, G_TYPE_OBJECT)

static void
cb_recordings_dispose(GObject *object)
{
	CbRecordings *self = CB_RECORDINGS(object);

	if (self->daily != NULL) {
		g_source_destroy(self->daily);
		g_clear_pointer(&self->daily, g_source_unref);
	}
	g_clear_object(&self->store);
	g_clear_object(&self->clock);
	G_OBJECT_CLASS(cb_recordings_parent_class)->dispose(object);
}

static void
cb_recordings_finalize(GObject *object)
{
	CbRecordings *self = CB_RECORDINGS(object);

	g_free(self->state_dir);
	g_clear_pointer(&self->cached, cb_recording_info_free);
	g_free(self->cached_manifest);
	g_mutex_clear(&self->cache_lock);
	G_OBJECT_CLASS(cb_recordings_parent_class)->finalize(object);
}

static void
cb_recordings_class_init(CbRecordingsClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = cb_recordings_dispose;
	object_class->finalize = cb_recordings_finalize;
}

static void
cb_recordings_init(CbRecordings *self)
{
	g_mutex_init(&self->cache_lock);
}

CbRecordings *
cb_recordings_new(CbStore *store, CbClock *clock, const char *state_dir, guint retention_days)
{
	CbRecordings *self = g_object_new(CB_TYPE_RECORDINGS, NULL);

	self->store = g_object_ref(store);
	self->clock = g_object_ref(clock);
	self->state_dir = g_strdup(state_dir);
	self->retention_days = retention_days;
	return self;
}

void
cb_recordings_set_retention_days(CbRecordings *self, guint retention_days)
{
	self->retention_days = retention_days;
}

guint
cb_recordings_get_retention_days(CbRecordings *self)
{
	return self->retention_days;
}

const char *
cb_recordings_get_state_dir(CbRecordings *self)
{
	return self->state_dir;
}

GPtrArray *
cb_recordings_list(CbRecordings *self, gboolean confidential, GError **error)
{
	g_autoptr(GPtrArray) folders = cb_recording_folders(self->state_dir);
	g_autoptr(GPtrArray) list =
		g_ptr_array_new_with_free_func((GDestroyNotify)cb_recording_info_free);

	for (guint i = 0; i < folders->len; i++) {
		CbRecordingFolder *folder = g_ptr_array_index(folders, i);
		g_autoptr(GError) local = NULL;
		CbRecordingInfo *info;

		if (folder->confidential != confidential)
			continue;
		info = cb_recording_info_read(folder->folder, folder->session_id, confidential,
					      FALSE, &local);
		/* a folder without a manifest (yet) is no recording */
		if (info == NULL && g_error_matches(local, CB_ERROR, CB_ERROR_NOT_FOUND))
			continue;
		if (info == NULL) {
			g_propagate_error(error, g_steal_pointer(&local));
			return NULL;
		}
		g_ptr_array_add(list, info);
	}
	return g_steal_pointer(&list);
}

CbRecordingInfo *
cb_recordings_get(CbRecordings *self, gint64 session_id, gboolean confidential, GError **error)
{
	g_autofree char *folder = cb_recording_folder(self->state_dir, session_id, confidential);
	g_autofree char *manifest = g_build_filename(folder, CB_MANIFEST_NAME, NULL);
	CbRecordingInfo *info;
	struct stat st;
	gint64 mtime_ns;

	if (stat(manifest, &st) != 0)
		return cb_recording_info_read(folder, session_id, confidential, TRUE, error);
	mtime_ns = (gint64)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	g_mutex_lock(&self->cache_lock);
	if (self->cached != NULL && g_strcmp0(self->cached_manifest, manifest) == 0 &&
	    self->cached_size == (gint64)st.st_size && self->cached_mtime_ns == mtime_ns &&
	    self->cached_inode == (guint64)st.st_ino) {
		info = cb_recording_info_ref(self->cached);
		g_mutex_unlock(&self->cache_lock);
		return info;
	}
	g_mutex_unlock(&self->cache_lock);
	/* read without the lock: another thread may read the same meanwhile */
	info = cb_recording_info_read(folder, session_id, confidential, TRUE, error);
	if (info != NULL) {
		g_mutex_lock(&self->cache_lock);
		g_clear_pointer(&self->cached, cb_recording_info_free);
		self->cached = cb_recording_info_ref(info);
		g_free(self->cached_manifest);
		self->cached_manifest = g_steal_pointer(&manifest);
		self->cached_size = st.st_size;
		self->cached_mtime_ns = mtime_ns;
		self->cached_inode = st.st_ino;
		g_mutex_unlock(&self->cache_lock);
	}
	return info;
}

gboolean
cb_recordings_has_confidential(CbRecordings *self, gint64 session_id)
{
	g_autofree char *folder = cb_recording_folder(self->state_dir, session_id, TRUE);
	g_autofree char *manifest = g_build_filename(folder, CB_MANIFEST_NAME, NULL);

	return g_file_test(manifest, G_FILE_TEST_IS_REGULAR);
}

/* the segment entry that lists @file, among those that hold */
static JsonObject *
cb_recordings_find_segment(CbRecordingInfo *info, const char *file)
{
	for (guint i = 0; i < info->entries->len; i++) {
		JsonObject *entry = g_ptr_array_index(info->entries, i);
		if (g_strcmp0(json_object_get_string_member_with_default(entry, "type", ""),
			      "segment") == 0 &&
		    g_strcmp0(json_object_get_string_member_with_default(entry, "file", NULL),
			      file) == 0)
			return entry;
	}
	return NULL;
}

gboolean
cb_recording_file_name_check(const char *file, GError **error)
{
	if (cb_recording_file_name_ok(file))
		return TRUE;
	g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
			    "a recording's file is named by its path in the manifest, "
			    "relative to the recording, without '..' or '.' parts");
	return FALSE;
}

char *
cb_recording_info_file_path(CbRecordingInfo *info, const char *file, guint64 *bytes, GError **error)
{
	g_autofree char *path = NULL;
	JsonObject *entry;

	if (!cb_recording_file_name_check(file, error))
		return NULL;
	entry = cb_recordings_find_segment(info, file);
	if (entry == NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_FOUND,
			    "the manifest of session %" G_GINT64_FORMAT
			    "'s %srecording lists no such segment",
			    info->session_id, info->confidential ? "confidential " : "");
		return NULL;
	}
	path = g_build_filename(info->folder, file, NULL);
	if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_FOUND,
			    "the segment is listed but its file is missing; check the "
			    "recording with civic-bridgectl recording verify %" G_GINT64_FORMAT,
			    info->session_id);
		return NULL;
	}
	*bytes = (guint64)MAX(json_object_get_int_member_with_default(entry, "bytes", 0), 0);
	return g_steal_pointer(&path);
}

char *
cb_recordings_file_path(CbRecordings *self, gint64 session_id, gboolean confidential,
			const char *file, guint64 *bytes, GError **error)
{
	g_autoptr(CbRecordingInfo) info = NULL;

	/* a bad name is refused before any manifest is read */
	if (!cb_recording_file_name_check(file, error))
		return NULL;
	info = cb_recordings_get(self, session_id, confidential, error);
	return info != NULL ? cb_recording_info_file_path(info, file, bytes, error) : NULL;
}

gboolean
cb_recordings_set_hold(CbRecordings *self, const CbActor *actor, gint64 session_id, gboolean hold,
		       GError **error)
{
	g_autoptr(CbSession) session = NULL;
	g_autoptr(GError) local = NULL;
	g_autofree char *folder = cb_recording_folder(self->state_dir, session_id, FALSE);
	g_autofree char *confidential = cb_recording_folder(self->state_dir, session_id, TRUE);
	gboolean changed = FALSE;

	/* a hold may come before the recording (a session the store knows),
	 * or for a recording whose session the store does not know */
	session = cb_store_session_get(self->store, session_id, &local);
	if (session == NULL && !g_error_matches(local, CB_ERROR, CB_ERROR_NOT_FOUND)) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (session == NULL && !g_file_test(folder, G_FILE_TEST_IS_DIR) &&
	    !g_file_test(confidential, G_FILE_TEST_IS_DIR)) {
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_FOUND,
			    "no session has id %" G_GINT64_FORMAT, session_id);
		return FALSE;
	}
	if (!cb_store_recording_hold_set(self->store, actor, session_id, hold, &changed, error))
		return FALSE;
	if (changed)
		g_info("legal hold on the recordings of session %" G_GINT64_FORMAT " %s",
		       session_id, hold ? "set" : "lifted");
	return TRUE;
}
