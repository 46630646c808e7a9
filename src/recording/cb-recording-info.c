#define G_LOG_DOMAIN "CbRecording"

/* One recording read back from its manifest: the figures a listing shows
 * and, in detail, its tracks and timeline. Pure file I/O, so a worker
 * thread (the purge) can read recordings too. */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-manifest.h"
#include "civic-bridge/cb-recordings.h"

#define CB_RECORDING_CONFIDENTIAL_SUFFIX "-confidential"

static void
cb_recording_track_free(CbRecordingTrack *track)
{
	g_free(track->peer);
	g_free(track->track);
	g_free(track);
}

static void
cb_recording_info_clear(gpointer data)
{
	CbRecordingInfo *info = data;

	g_free(info->folder);
	g_clear_pointer(&info->problems, g_ptr_array_unref);
	g_clear_pointer(&info->tracks, g_ptr_array_unref);
	g_clear_pointer(&info->entries, g_ptr_array_unref);
}

CbRecordingInfo *
cb_recording_info_ref(CbRecordingInfo *info)
{
	return g_atomic_rc_box_acquire(info);
}

void
cb_recording_info_free(CbRecordingInfo *info)
{
	if (info != NULL)
		g_atomic_rc_box_release_full(info, cb_recording_info_clear);
}

gboolean
cb_recording_file_name_ok(const char *file)
{
	g_auto(GStrv) parts = NULL;

	if (file == NULL || file[0] == '\0' || g_path_is_absolute(file) || strchr(file, '\\'))
		return FALSE;
	parts = g_strsplit(file, "/", -1);
	for (guint i = 0; parts[i] != NULL; i++)
		if (g_str_equal(parts[i], "..") || g_str_equal(parts[i], ".") ||
		    parts[i][0] == '\0')
			return FALSE;
	return TRUE;
}

/* the bytes after the manifest's last newline: a line the daemon was writing
 * when it stopped, which cb_manifest_read() reports as its last problem */
static gsize
cb_recording_unfinished_tail(const char *path)
{
	char buffer[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	off_t end;
	gsize tail = 0;

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return 0;
	}
	for (end = st.st_size; end > 0;) {
		off_t from = MAX(end - (off_t)sizeof(buffer), 0);
		ssize_t n = pread(fd, buffer, (size_t)(end - from), from);
		const char *newline;

		if (n <= 0)
			break;
		newline = NULL;
		for (ssize_t i = n - 1; i >= 0 && newline == NULL; i--)
			if (buffer[i] == '\n')
				newline = buffer + i;
		if (newline != NULL) {
			tail += (gsize)(buffer + n - newline - 1);
			break;
		}
		tail += (gsize)n;
		end = from;
	}
	close(fd);
	return tail;
}

static gint64
cb_recording_parse_time(const char *text)
{
	g_autoptr(GDateTime) time = NULL;

	if (text == NULL)
		return 0;
	time = g_date_time_new_from_iso8601(text, NULL);
	if (time == NULL)
		return 0;
	return g_date_time_to_unix(time) * G_USEC_PER_SEC + g_date_time_get_microsecond(time);
}

static void
cb_recording_see_time(CbRecordingInfo *info, gint64 us)
{
	if (us <= 0)
		return;
	if (info->first_us == 0 || us < info->first_us)
		info->first_us = us;
	if (us > info->last_us)
		info->last_us = us;
}

/* the first start and last end of one part */
typedef struct {
	gint64 start;
	gint64 end;
} CbRecordingSpan;

typedef struct {
	CbRecordingInfo *info;
	GHashTable *parts;  /* part number -> CbRecordingSpan* (NULL: no segment yet) */
	GHashTable *tracks; /* "peer\ttrack" -> CbRecordingTrack* (detail only) */
} CbRecordingWalk;

static void
cb_recording_add_to_track(CbRecordingWalk *walk, const char *peer, const char *name, guint64 bytes,
			  gint64 start, gint64 end)
{
	g_autofree char *key = g_strdup_printf("%s\t%s", peer, name);
	CbRecordingTrack *track = g_hash_table_lookup(walk->tracks, key);

	if (track == NULL) {
		track = g_new0(CbRecordingTrack, 1);
		track->peer = g_strdup(peer);
		track->track = g_strdup(name);
		track->first_us = start;
		g_hash_table_insert(walk->tracks, g_steal_pointer(&key), track);
		g_ptr_array_add(walk->info->tracks, track);
	}
	track->segments++;
	track->bytes += bytes;
	if (end > start)
		track->seconds += (gdouble)(end - start) / G_USEC_PER_SEC;
	track->first_us = MIN(track->first_us, start);
	track->last_us = MAX(track->last_us, end);
}

static void
cb_recording_walk_segment(CbRecordingWalk *walk, JsonObject *entry)
{
	CbRecordingInfo *info = walk->info;
	gint64 part = json_object_get_int_member_with_default(entry, "part", 0);
	gint64 start = json_object_get_int_member_with_default(entry, "start_us", 0);
	gint64 end = json_object_get_int_member_with_default(entry, "end_us", 0);
	gint64 bytes = json_object_get_int_member_with_default(entry, "bytes", 0);
	CbRecordingSpan *span = g_hash_table_lookup(walk->parts, &part);

	info->segments++;
	info->bytes += (guint64)MAX(bytes, 0);
	cb_recording_see_time(info, start);
	cb_recording_see_time(info, end);
	if (span == NULL) {
		span = g_new0(CbRecordingSpan, 1);
		span->start = start;
		span->end = end;
		g_hash_table_insert(walk->parts, g_memdup2(&part, sizeof(part)), span);
	}
	span->start = MIN(span->start, start);
	span->end = MAX(span->end, end);
	if (info->tracks != NULL)
		cb_recording_add_to_track(
			walk, json_object_get_string_member_with_default(entry, "peer", "?"),
			json_object_get_string_member_with_default(entry, "track", "?"),
			(guint64)MAX(bytes, 0), start, end);
}

static void
cb_recording_walk(CbRecordingInfo *info, GPtrArray *entries)
{
	CbRecordingWalk walk = {
		.info = info,
		.parts = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free),
		.tracks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
	};
	const char *last_type = NULL;
	GHashTableIter iter;
	CbRecordingSpan *span;

	for (guint i = 0; i < entries->len; i++) {
		JsonObject *entry = g_ptr_array_index(entries, i);
		const char *type = json_object_get_string_member_with_default(entry, "type", "");

		cb_recording_see_time(
			info, cb_recording_parse_time(json_object_get_string_member_with_default(
				      entry, "time", NULL)));
		if (g_str_equal(type, "segment")) {
			cb_recording_walk_segment(&walk, entry);
		} else if (g_str_equal(type, "part")) {
			gint64 part = json_object_get_int_member_with_default(entry, "part", 0);
			if (!g_hash_table_contains(walk.parts, &part))
				g_hash_table_insert(walk.parts, g_memdup2(&part, sizeof(part)),
						    NULL);
		}
		last_type = type;
	}
	info->parts = g_hash_table_size(walk.parts);
	g_hash_table_iter_init(&iter, walk.parts);
	while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&span))
		if (span != NULL && span->end > span->start)
			info->seconds += (gdouble)(span->end - span->start) / G_USEC_PER_SEC;
	info->in_progress = last_type == NULL || (!g_str_equal(last_type, "stop") &&
						  !g_str_equal(last_type, "interrupted"));
	g_hash_table_unref(walk.parts);
	g_hash_table_unref(walk.tracks);
}

CbRecordingInfo *
cb_recording_info_read(const char *folder, gint64 session_id, gboolean confidential,
		       gboolean detail, GError **error)
{
	g_autofree char *path = g_build_filename(folder, CB_MANIFEST_NAME, NULL);
	g_autoptr(CbRecordingInfo) info = g_atomic_rc_box_new0(CbRecordingInfo);
	g_autoptr(GPtrArray) entries = NULL;
	g_autoptr(GError) local = NULL;

	info->session_id = session_id;
	info->confidential = confidential;
	info->folder = g_strdup(folder);
	info->problems = g_ptr_array_new_with_free_func(g_free);
	if (detail)
		info->tracks =
			g_ptr_array_new_with_free_func((GDestroyNotify)cb_recording_track_free);
	entries = cb_manifest_read(path, info->problems, &local);
	if (entries == NULL) {
		if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			g_set_error(error, CB_ERROR, CB_ERROR_NOT_FOUND,
				    "session %" G_GINT64_FORMAT " has no %srecording", session_id,
				    confidential ? "confidential " : "");
		else
			g_set_error(error, CB_ERROR, CB_ERROR_INTERNAL, "%s", local->message);
		return NULL;
	}
	info->unfinished_bytes = cb_recording_unfinished_tail(path);
	if (info->unfinished_bytes > 0 && info->problems->len > 0)
		g_ptr_array_remove_index(info->problems, info->problems->len - 1);
	info->manifest_ok = info->problems->len == 0;
	cb_recording_walk(info, entries);
	if (detail)
		info->entries = g_steal_pointer(&entries);
	return g_steal_pointer(&info);
}

/* --- the folders ------------------------------------------------------------- */

void
cb_recording_folder_free(CbRecordingFolder *folder)
{
	if (folder == NULL)
		return;
	g_free(folder->folder);
	g_free(folder);
}

/* "7" or "7-confidential"; anything else (a purge's leftovers) is not a recording */
static gboolean
cb_recording_parse_folder_name(const char *name, gint64 *session_id, gboolean *confidential)
{
	g_autofree char *digits = NULL;
	guint64 value = 0;

	*confidential = g_str_has_suffix(name, CB_RECORDING_CONFIDENTIAL_SUFFIX);
	digits = *confidential
			 ? g_strndup(name, strlen(name) - strlen(CB_RECORDING_CONFIDENTIAL_SUFFIX))
			 : g_strdup(name);
	if (digits[0] == '0' ||
	    !g_ascii_string_to_unsigned(digits, 10, 1, G_MAXINT64, &value, NULL))
		return FALSE;
	*session_id = (gint64)value;
	return TRUE;
}

static gint
cb_recording_folder_compare(gconstpointer a, gconstpointer b)
{
	const CbRecordingFolder *x = *(CbRecordingFolder *const *)a;
	const CbRecordingFolder *y = *(CbRecordingFolder *const *)b;

	if (x->session_id != y->session_id)
		return x->session_id < y->session_id ? -1 : 1;
	return x->confidential - y->confidential;
}

GPtrArray *
cb_recording_folders(const char *state_dir)
{
	g_autofree char *root = g_build_filename(state_dir, CB_RECORDINGS_DIR, NULL);
	g_autoptr(GDir) dir = g_dir_open(root, 0, NULL);
	GPtrArray *folders =
		g_ptr_array_new_with_free_func((GDestroyNotify)cb_recording_folder_free);
	const char *name;

	if (dir == NULL)
		return folders;
	while ((name = g_dir_read_name(dir)) != NULL) {
		CbRecordingFolder *folder;
		gint64 session_id = 0;
		gboolean confidential = FALSE;
		g_autofree char *path = g_build_filename(root, name, NULL);

		if (!cb_recording_parse_folder_name(name, &session_id, &confidential) ||
		    !g_file_test(path, G_FILE_TEST_IS_DIR))
			continue;
		folder = g_new0(CbRecordingFolder, 1);
		folder->session_id = session_id;
		folder->confidential = confidential;
		folder->folder = g_steal_pointer(&path);
		g_ptr_array_add(folders, folder);
	}
	g_ptr_array_sort(folders, cb_recording_folder_compare);
	return folders;
}
