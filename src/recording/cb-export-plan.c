#define G_LOG_DOMAIN "CbRecording"

/* What an export works from: a closed recording that verify finds intact,
 * read into tracks (a peer's audio or video, segment after segment, by
 * wall-clock time) and the floor's timeline. An export never writes into
 * the recording's folder: the record stays as the daemon wrote it. */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-manifest.h"
#include "civic-bridge/cb-recording-export.h"

/* problems named in an error before "and N more" */
#define CB_EXPORT_PROBLEMS_SHOWN 10

static void
cb_export_segment_free(CbExportSegment *segment)
{
	g_free(segment->path);
	g_free(segment);
}

static void
cb_export_track_free(CbExportTrack *track)
{
	g_free(track->peer);
	g_free(track->kind);
	g_ptr_array_unref(track->segments);
	g_free(track);
}

static void
cb_export_floor_free(CbExportFloor *floor)
{
	g_free(floor->peer);
	g_free(floor);
}

void
cb_export_plan_free(CbExportPlan *plan)
{
	if (plan == NULL)
		return;
	g_clear_pointer(&plan->tiles, g_ptr_array_unref);
	g_clear_pointer(&plan->tracks, g_ptr_array_unref);
	g_clear_pointer(&plan->floor, g_ptr_array_unref);
	g_free(plan);
}

gboolean
cb_export_recording_closed(GPtrArray *entries)
{
	gboolean closed = FALSE;

	for (guint i = 0; i < entries->len; i++) {
		const char *type = json_object_get_string_member_with_default(
			g_ptr_array_index(entries, i), "type", "");
		if (g_str_equal(type, "segment") || g_str_equal(type, "part"))
			closed = FALSE;
		else if (g_str_equal(type, "stop") || g_str_equal(type, "interrupted"))
			closed = TRUE;
	}
	return closed;
}

/* the order of peers: hall, bridge points by number, citizen, the rest */
static gint64
cb_export_peer_rank(const char *peer)
{
	if (g_str_equal(peer, "hall"))
		return 0;
	if (g_str_has_prefix(peer, "bp-") && g_ascii_isdigit(peer[3]))
		return 1 + g_ascii_strtoll(peer + 3, NULL, 10);
	if (g_str_equal(peer, "citizen"))
		return G_MAXINT64 - 1;
	return G_MAXINT64;
}

static gint
cb_export_track_compare(gconstpointer a, gconstpointer b)
{
	const CbExportTrack *ta = *(CbExportTrack *const *)a;
	const CbExportTrack *tb = *(CbExportTrack *const *)b;
	gint64 ra = cb_export_peer_rank(ta->peer), rb = cb_export_peer_rank(tb->peer);
	int by_name;

	if (ra != rb)
		return ra < rb ? -1 : 1;
	by_name = strcmp(ta->peer, tb->peer);
	return by_name != 0 ? by_name : strcmp(ta->kind, tb->kind);
}

static gint
cb_export_segment_compare(gconstpointer a, gconstpointer b)
{
	const CbExportSegment *sa = *(CbExportSegment *const *)a;
	const CbExportSegment *sb = *(CbExportSegment *const *)b;

	return sa->start_us < sb->start_us ? -1 : sa->start_us > sb->start_us;
}

static gint
cb_export_floor_compare(gconstpointer a, gconstpointer b)
{
	const CbExportFloor *fa = *(CbExportFloor *const *)a;
	const CbExportFloor *fb = *(CbExportFloor *const *)b;

	return fa->time_us < fb->time_us ? -1 : fa->time_us > fb->time_us;
}

CbExportTrack *
cb_export_plan_find_track(CbExportPlan *plan, const char *name)
{
	for (guint i = 0; i < plan->tracks->len; i++) {
		CbExportTrack *track = g_ptr_array_index(plan->tracks, i);
		g_autofree char *its = g_strdup_printf("%s/%s", track->peer, track->kind);
		if (g_str_equal(its, name))
			return track;
	}
	return NULL;
}

static CbExportTrack *
cb_export_plan_track(CbExportPlan *plan, const char *peer, const char *kind)
{
	g_autofree char *name = g_strdup_printf("%s/%s", peer, kind);
	CbExportTrack *track = cb_export_plan_find_track(plan, name);

	if (track != NULL)
		return track;
	track = g_new0(CbExportTrack, 1);
	track->peer = g_strdup(peer);
	track->kind = g_strdup(kind);
	track->segments = g_ptr_array_new_with_free_func((GDestroyNotify)cb_export_segment_free);
	g_ptr_array_add(plan->tracks, track);
	return track;
}

static void
cb_export_plan_add_segment(CbExportPlan *plan, const char *folder, gboolean confidential,
			   JsonObject *entry)
{
	const char *peer = json_object_get_string_member_with_default(entry, "peer", "unknown");
	const char *kind = json_object_get_string_member_with_default(entry, "track", "unknown");
	CbExportTrack *track = cb_export_plan_track(plan, peer, kind);
	CbExportSegment *segment = g_new0(CbExportSegment, 1);

	segment->path = g_build_filename(
		folder, json_object_get_string_member_with_default(entry, "file", ""), NULL);
	segment->start_us = json_object_get_int_member_with_default(entry, "start_us", 0);
	segment->end_us = json_object_get_int_member_with_default(entry, "end_us", 0);
	track->confidential |= confidential;
	g_ptr_array_add(track->segments, segment);
	if (plan->start_us == 0 || segment->start_us < plan->start_us)
		plan->start_us = segment->start_us;
	plan->end_us = MAX(plan->end_us, segment->end_us);
}

/* a "floor" event: its subject holds the floor from the entry's time */
static void
cb_export_plan_add_floor(CbExportPlan *plan, JsonObject *entry)
{
	const char *subject = json_object_get_string_member_with_default(entry, "subject", "");
	g_autoptr(GDateTime) time = g_date_time_new_from_iso8601(
		json_object_get_string_member_with_default(entry, "time", ""), NULL);
	CbExportFloor *floor;

	if (time == NULL)
		return;
	floor = g_new0(CbExportFloor, 1);
	floor->time_us =
		g_date_time_to_unix(time) * G_USEC_PER_SEC + g_date_time_get_microsecond(time);
	floor->peer =
		subject[0] != '\0' && !g_str_equal(subject, "none") ? g_strdup(subject) : NULL;
	g_ptr_array_add(plan->floor, floor);
}

static void
cb_export_set_not_intact(const char *folder, GPtrArray *problems, GError **error)
{
	g_autoptr(GString) text = g_string_new(NULL);

	for (guint i = 0; i < problems->len && i < CB_EXPORT_PROBLEMS_SHOWN; i++)
		g_string_append_printf(text, "; %s", (const char *)g_ptr_array_index(problems, i));
	if (problems->len > CB_EXPORT_PROBLEMS_SHOWN)
		g_string_append_printf(text, "; and %u more",
				       problems->len - CB_EXPORT_PROBLEMS_SHOWN);
	g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
		    "the recording in %s is not intact (see 'recording verify'), nothing is "
		    "exported%s",
		    folder, text->str);
}

/* one folder's manifest: closed, intact, then its segments and floor changes */
static gboolean
cb_export_plan_add_folder(CbExportPlan *plan, const char *folder, gboolean confidential,
			  GError **error)
{
	g_autofree char *path = g_build_filename(folder, CB_MANIFEST_NAME, NULL);
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) entries = NULL;
	g_autoptr(CbManifestReport) report = NULL;

	entries = cb_manifest_read(path, problems, error);
	if (entries == NULL)
		return FALSE;
	if (problems->len == 0 && !cb_export_recording_closed(entries)) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "the recording in %s is in progress (its manifest has no stop after "
			    "its last segment): export it once recording has stopped",
			    folder);
		return FALSE;
	}
	report = cb_manifest_verify(folder, CB_MANIFEST_NAME, error);
	if (report == NULL)
		return FALSE;
	if (!report->intact) {
		cb_export_set_not_intact(folder, report->problems, error);
		return FALSE;
	}
	for (guint i = 0; i < entries->len; i++) {
		JsonObject *entry = g_ptr_array_index(entries, i);
		const char *type = json_object_get_string_member_with_default(entry, "type", "");
		const char *event = json_object_get_string_member_with_default(entry, "event", "");

		if (g_str_equal(type, "segment"))
			cb_export_plan_add_segment(plan, folder, confidential, entry);
		else if (g_str_equal(type, "event") && g_str_equal(event, "floor"))
			cb_export_plan_add_floor(plan, entry);
	}
	return TRUE;
}

CbExportPlan *
cb_export_plan_load(const CbExportSource *sources, guint n_sources, GError **error)
{
	g_autoptr(CbExportPlan) plan = g_new0(CbExportPlan, 1);

	plan->tracks = g_ptr_array_new_with_free_func((GDestroyNotify)cb_export_track_free);
	plan->floor = g_ptr_array_new_with_free_func((GDestroyNotify)cb_export_floor_free);
	for (guint i = 0; i < n_sources; i++) {
		const CbExportSource *source = &sources[i];
		g_autofree char *manifest =
			g_build_filename(source->folder, CB_MANIFEST_NAME, NULL);

		if (!g_file_test(manifest, G_FILE_TEST_EXISTS)) {
			if (source->optional)
				continue;
			g_set_error(error, CB_ERROR, CB_ERROR_NOT_FOUND,
				    "no recording in %s (it has no %s)", source->folder,
				    CB_MANIFEST_NAME);
			return NULL;
		}
		if (!cb_export_plan_add_folder(plan, source->folder, source->confidential, error))
			return NULL;
	}
	if (plan->tracks->len == 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_FOUND,
			    "the recording in %s holds no segment: nothing to export",
			    sources[0].folder);
		return NULL;
	}
	g_ptr_array_sort(plan->tracks, cb_export_track_compare);
	for (guint i = 0; i < plan->tracks->len; i++) {
		CbExportTrack *track = g_ptr_array_index(plan->tracks, i);
		g_ptr_array_sort(track->segments, cb_export_segment_compare);
	}
	g_ptr_array_sort(plan->floor, cb_export_floor_compare);
	return g_steal_pointer(&plan);
}
