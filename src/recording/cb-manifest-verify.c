#define G_LOG_DOMAIN "CbRecording"

/* Verifying a recording against its manifest: the chain (cb-manifest.c
 * reads it line by line), every listed segment's size and SHA-256, files
 * that are there but not listed, and gaps in a track's time. A gap is not a
 * problem where the timeline explains it: an interruption or a stop ends a
 * part, and a peer that leaves and joins again starts its tracks afresh. */

#include "config.h"

#include <string.h>

#include "civic-bridge/cb-manifest.h"

/* segments of one track closer than this follow each other */
#define CB_MANIFEST_GAP_US (G_USEC_PER_SEC / 2)

char *
cb_recording_folder(const char *state_dir, gint64 session_id, gboolean confidential)
{
	g_autofree char *name = g_strdup_printf("%" G_GINT64_FORMAT "%s", session_id,
						confidential ? "-confidential" : "");

	return g_build_filename(state_dir, CB_RECORDINGS_DIR, name, NULL);
}

void
cb_manifest_report_free(CbManifestReport *report)
{
	if (report == NULL)
		return;
	g_ptr_array_unref(report->problems);
	g_ptr_array_unref(report->notes);
	g_free(report);
}

/* a file name from the manifest that stays inside the recording's folder */
static gboolean
cb_manifest_safe_name(const char *file)
{
	g_auto(GStrv) parts = NULL;

	if (file == NULL || file[0] == '\0' || g_path_is_absolute(file))
		return FALSE;
	parts = g_strsplit(file, "/", -1);
	for (guint i = 0; parts[i] != NULL; i++)
		if (g_str_equal(parts[i], "..") || g_str_equal(parts[i], ".") ||
		    parts[i][0] == '\0')
			return FALSE;
	return TRUE;
}

static void
cb_manifest_check_segment(CbManifestReport *report, const char *folder, JsonObject *entry)
{
	const char *file = json_object_get_string_member_with_default(entry, "file", NULL);
	const char *want = json_object_get_string_member_with_default(entry, "sha256", "");
	guint64 want_size = (guint64)json_object_get_int_member_with_default(entry, "bytes", -1);
	g_autofree char *path = NULL;
	g_autofree char *sha256 = NULL;
	guint64 size = 0;

	report->segments++;
	path = g_build_filename(folder, file, NULL);
	if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
		g_ptr_array_add(report->problems, g_strdup_printf("missing: %s", file));
		return;
	}
	if (!cb_manifest_hash_file(path, &sha256, &size, NULL)) {
		g_ptr_array_add(report->problems, g_strdup_printf("unreadable: %s", file));
		return;
	}
	if (size < want_size)
		g_ptr_array_add(report->problems,
				g_strdup_printf("truncated: %s (%" G_GUINT64_FORMAT
						" of %" G_GUINT64_FORMAT " bytes)",
						file, size, want_size));
	else if (size != want_size || g_strcmp0(sha256, want) != 0)
		g_ptr_array_add(report->problems, g_strdup_printf("altered: %s", file));
}

/* per track ("part peer track") the end of its last segment */
typedef struct {
	CbManifestReport *report;
	GHashTable *track_end; /* key -> gint64* */
} CbManifestTimeline;

static void
cb_manifest_forget_peer(CbManifestTimeline *timeline, const char *peer)
{
	GHashTableIter iter;
	const char *key;
	g_autofree char *needle = g_strdup_printf(" %s ", peer);

	g_hash_table_iter_init(&iter, timeline->track_end);
	while (g_hash_table_iter_next(&iter, (gpointer *)&key, NULL))
		if (strstr(key, needle) != NULL)
			g_hash_table_iter_remove(&iter);
}

static void
cb_manifest_follow_segment(CbManifestTimeline *timeline, JsonObject *entry)
{
	const char *peer = json_object_get_string_member_with_default(entry, "peer", "?");
	const char *track = json_object_get_string_member_with_default(entry, "track", "?");
	gint64 part = json_object_get_int_member_with_default(entry, "part", 0);
	gint64 start = json_object_get_int_member_with_default(entry, "start_us", 0);
	gint64 end = json_object_get_int_member_with_default(entry, "end_us", 0);
	char *key = g_strdup_printf("%" G_GINT64_FORMAT " %s %s", part, peer, track);
	gint64 *last = g_hash_table_lookup(timeline->track_end, key);

	if (end > start)
		timeline->report->seconds += (gdouble)(end - start) / G_USEC_PER_SEC;
	if (last != NULL && start - *last > CB_MANIFEST_GAP_US)
		g_ptr_array_add(
			timeline->report->problems,
			g_strdup_printf(
				"gap: %s %s in part %" G_GINT64_FORMAT
				" has no segment for %.1f s before %s",
				peer, track, part, (gdouble)(start - *last) / G_USEC_PER_SEC,
				json_object_get_string_member_with_default(entry, "start", "?")));
	g_hash_table_replace(timeline->track_end, key, g_memdup2(&end, sizeof(end)));
}

/* walks the entries in order: segments, and what explains a gap */
static void
cb_manifest_check_entries(CbManifestReport *report, const char *folder, GPtrArray *entries,
			  GHashTable *listed)
{
	CbManifestTimeline timeline = {
		report, g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free)};

	for (guint i = 0; i < entries->len; i++) {
		JsonObject *entry = g_ptr_array_index(entries, i);
		const char *type = json_object_get_string_member_with_default(entry, "type", "");
		const char *file = json_object_get_string_member_with_default(entry, "file", NULL);

		if (g_str_equal(type, "segment") || g_str_equal(type, "unfinished")) {
			if (!cb_manifest_safe_name(file)) {
				g_ptr_array_add(report->problems,
						g_strdup("an entry names a file outside the "
							 "recording"));
				continue;
			}
			g_hash_table_add(listed, g_strdup(file));
		}
		if (g_str_equal(type, "segment")) {
			cb_manifest_check_segment(report, folder, entry);
			cb_manifest_follow_segment(&timeline, entry);
		} else if (g_str_equal(type, "unfinished")) {
			g_ptr_array_add(report->notes,
					g_strdup_printf("lost in the interruption: %s", file));
		} else if (g_str_equal(type, "interrupted") || g_str_equal(type, "stop")) {
			if (g_str_equal(type, "interrupted"))
				g_ptr_array_add(
					report->notes,
					g_strdup_printf(
						"the daemon stopped after entry %" G_GINT64_FORMAT
						"; recording went on at %s",
						json_object_get_int_member_with_default(
							entry, "after_seq", 0),
						json_object_get_string_member_with_default(
							entry, "time", "?")));
			g_hash_table_remove_all(timeline.track_end);
		} else if (g_str_equal(type, "event")) {
			const char *subject =
				json_object_get_string_member_with_default(entry, "subject", "");
			cb_manifest_forget_peer(&timeline, subject);
		}
	}
	g_hash_table_unref(timeline.track_end);
}

/* files under @folder (relative names) that the manifest does not list */
static void
cb_manifest_find_extra(CbManifestReport *report, const char *folder, const char *relative,
		       GHashTable *listed, const char *manifest_name)
{
	g_autofree char *path = g_build_filename(folder, relative, NULL);
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const char *name;

	if (dir == NULL)
		return;
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *child = relative[0] != '\0'
						 ? g_strconcat(relative, "/", name, NULL)
						 : g_strdup(name);
		g_autofree char *full = g_build_filename(folder, child, NULL);

		if (g_file_test(full, G_FILE_TEST_IS_DIR))
			cb_manifest_find_extra(report, folder, child, listed, manifest_name);
		else if (g_str_has_suffix(child, ".jsonl") || g_str_equal(child, manifest_name))
			continue; /* manifests, this one and the confidential one */
		else if (!g_hash_table_contains(listed, child))
			g_ptr_array_add(report->problems, g_strdup_printf("extra: %s", child));
	}
}

CbManifestReport *
cb_manifest_verify(const char *folder, const char *manifest_name, GError **error)
{
	g_autoptr(CbManifestReport) report = g_new0(CbManifestReport, 1);
	g_autofree char *path = g_build_filename(folder, manifest_name, NULL);
	g_autoptr(GHashTable) listed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GPtrArray) entries = NULL;

	report->problems = g_ptr_array_new_with_free_func(g_free);
	report->notes = g_ptr_array_new_with_free_func(g_free);
	entries = cb_manifest_read(path, report->problems, error);
	if (entries == NULL)
		return NULL;
	cb_manifest_check_entries(report, folder, entries, listed);
	cb_manifest_find_extra(report, folder, "", listed, manifest_name);
	report->intact = report->problems->len == 0;
	return g_steal_pointer(&report);
}
