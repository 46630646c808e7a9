#define G_LOG_DOMAIN "CbHttp"

/* recordings as the API shows them: figures from the manifest, the
 * session's title, kind and date from the store, the legal hold */

#include "civic-bridge/cb-recordings.h"

#include "cb-api.h"

static void
cb_api_add_bool(JsonBuilder *builder, const char *name, gboolean value)
{
	json_builder_set_member_name(builder, name);
	json_builder_add_boolean_value(builder, value);
}

static void
cb_api_add_double(JsonBuilder *builder, const char *name, gdouble value)
{
	json_builder_set_member_name(builder, name);
	/* tenths of a second: what a segment's timing is good for */
	json_builder_add_double_value(builder, (gdouble)(gint64)(value * 10.0 + 0.5) / 10.0);
}

/* the members every view of a recording has */
static void
cb_api_recording_members(JsonBuilder *builder, const CbRecordingInfo *info,
			 const CbSession *session, gint64 held_at, gboolean has_confidential)
{
	cb_api_add_id(builder, "session_id", info->session_id);
	cb_api_add_string(builder, "title", session != NULL ? session->title : NULL);
	cb_api_add_string(builder, "kind",
			  session != NULL ? cb_session_kind_to_string(session->kind) : NULL);
	cb_api_add_time(builder, "starts_at", session != NULL ? session->starts_at : 0);
	cb_api_add_string(builder, "session_state",
			  session != NULL ? cb_session_state_to_string(session->state) : NULL);
	cb_api_add_bool(builder, "confidential", info->confidential);
	cb_api_add_int(builder, "parts", TRUE, info->parts);
	cb_api_add_int(builder, "segments", TRUE, info->segments);
	cb_api_add_int(builder, "bytes", TRUE, (gint64)info->bytes);
	cb_api_add_double(builder, "seconds", info->seconds);
	cb_api_add_time(builder, "first_at", info->first_us);
	cb_api_add_time(builder, "last_at", info->last_us);
	cb_api_add_bool(builder, "in_progress", info->in_progress);
	cb_api_add_bool(builder, "legal_hold", held_at != 0);
	cb_api_add_time(builder, "legal_hold_since", held_at);
	cb_api_add_bool(builder, "has_confidential", has_confidential);
	cb_api_add_bool(builder, "manifest_ok", info->manifest_ok);
}

JsonNode *
cb_api_render_recording(const CbRecordingInfo *info, const CbSession *session, gint64 held_at,
			gboolean has_confidential)
{
	g_autoptr(JsonBuilder) builder = json_builder_new_immutable();

	json_builder_begin_object(builder);
	cb_api_recording_members(builder, info, session, held_at, has_confidential);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

static void
cb_api_recording_tracks(JsonBuilder *builder, const CbRecordingInfo *info)
{
	json_builder_set_member_name(builder, "tracks");
	json_builder_begin_array(builder);
	for (guint i = 0; i < info->tracks->len; i++) {
		const CbRecordingTrack *track = g_ptr_array_index(info->tracks, i);
		json_builder_begin_object(builder);
		cb_api_add_string(builder, "peer", track->peer);
		cb_api_add_string(builder, "track", track->track);
		cb_api_add_int(builder, "segments", TRUE, track->segments);
		cb_api_add_int(builder, "bytes", TRUE, (gint64)track->bytes);
		cb_api_add_double(builder, "seconds", track->seconds);
		cb_api_add_time(builder, "first_at", track->first_us);
		cb_api_add_time(builder, "last_at", track->last_us);
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);
}

/* the entries of @info, segments (@segments) or the others, as the
 * manifest has them but for the link to the entry before */
static void
cb_api_recording_entries(JsonBuilder *builder, const char *name, const CbRecordingInfo *info,
			 gboolean segments)
{
	json_builder_set_member_name(builder, name);
	json_builder_begin_array(builder);
	for (guint i = 0; i < info->entries->len; i++) {
		JsonObject *entry = g_ptr_array_index(info->entries, i);
		gboolean is_segment =
			g_strcmp0(json_object_get_string_member_with_default(entry, "type", ""),
				  "segment") == 0;
		g_autoptr(GList) members = NULL;

		if (is_segment != segments)
			continue;
		members = json_object_get_members(entry);
		json_builder_begin_object(builder);
		for (GList *l = members; l != NULL; l = l->next) {
			if (g_str_equal(l->data, "prev"))
				continue;
			json_builder_set_member_name(builder, l->data);
			json_builder_add_value(
				builder, json_node_copy(json_object_get_member(entry, l->data)));
		}
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);
}

JsonNode *
cb_api_render_recording_detail(const CbRecordingInfo *info, const CbSession *session,
			       gint64 held_at, gboolean has_confidential, gboolean segments)
{
	g_autoptr(JsonBuilder) builder = json_builder_new_immutable();

	json_builder_begin_object(builder);
	cb_api_recording_members(builder, info, session, held_at, has_confidential);
	cb_api_add_int(builder, "unfinished_bytes", TRUE, (gint64)info->unfinished_bytes);
	cb_api_recording_tracks(builder, info);
	cb_api_recording_entries(builder, "timeline", info, FALSE);
	if (segments)
		cb_api_recording_entries(builder, "segment_list", info, TRUE);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

static void
cb_api_purge_items(JsonBuilder *builder, const char *name, GArray *items)
{
	json_builder_set_member_name(builder, name);
	json_builder_begin_array(builder);
	for (guint i = 0; i < items->len; i++) {
		const CbPurgeItem *item = &g_array_index(items, CbPurgeItem, i);
		json_builder_begin_object(builder);
		cb_api_add_id(builder, "session_id", item->session_id);
		cb_api_add_bool(builder, "confidential", item->confidential);
		cb_api_add_int(builder, "bytes", TRUE, (gint64)item->bytes);
		cb_api_add_time(builder, "last_at", item->last_us);
		if (item->reason != NULL)
			cb_api_add_string(builder, "reason", item->reason);
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);
}

JsonNode *
cb_api_render_purge(const CbPurgeResult *result)
{
	g_autoptr(JsonBuilder) builder = json_builder_new_immutable();

	json_builder_begin_object(builder);
	cb_api_add_int(builder, "retention_days", TRUE, result->retention_days);
	cb_api_add_time(builder, "cutoff", result->retention_days > 0 ? result->cutoff_us : 0);
	cb_api_purge_items(builder, "deleted", result->deleted);
	cb_api_purge_items(builder, "skipped", result->skipped);
	cb_api_add_int(builder, "failed", TRUE, result->failed->len);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}
