#define G_LOG_DOMAIN "CbCtl"

/* recording verify: checks a session's recording against its manifest,
 * straight from the state directory (or from a copy of its folder), so an
 * archived recording can be checked without a daemon */

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-manifest.h"
#include "civic-bridge/cb-recording-export.h"
#include "civic-bridge/cb-state-dir.h"

#include "cb-ctl.h"

static JsonNode *
cb_ctl_report_to_json(const CbManifestReport *report, const char *folder)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "folder");
	json_builder_add_string_value(builder, folder);
	json_builder_set_member_name(builder, "intact");
	json_builder_add_boolean_value(builder, report->intact);
	json_builder_set_member_name(builder, "segments");
	json_builder_add_int_value(builder, report->segments);
	json_builder_set_member_name(builder, "seconds");
	json_builder_add_double_value(builder, report->seconds);
	json_builder_set_member_name(builder, "problems");
	json_builder_begin_array(builder);
	for (guint i = 0; i < report->problems->len; i++)
		json_builder_add_string_value(builder, g_ptr_array_index(report->problems, i));
	json_builder_end_array(builder);
	json_builder_set_member_name(builder, "notes");
	json_builder_begin_array(builder);
	for (guint i = 0; i < report->notes->len; i++)
		json_builder_add_string_value(builder, g_ptr_array_index(report->notes, i));
	json_builder_end_array(builder);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

static gboolean
cb_ctl_print_report(CbCtl *ctl, const CbManifestReport *report, const char *folder, GError **error)
{
	g_autoptr(GString) text = g_string_new(NULL);

	if (ctl->format == CB_CTL_FORMAT_JSON) {
		g_autoptr(JsonNode) node = cb_ctl_report_to_json(report, folder);
		return cb_ctl_print_json(node, error);
	}
	g_string_append_printf(text, "%s: %s\n%u segments, %.1f s of tracks\n", folder,
			       report->intact ? "intact" : "NOT INTACT", report->segments,
			       report->seconds);
	for (guint i = 0; i < report->problems->len; i++)
		g_string_append_printf(text, "problem: %s\n",
				       (const char *)g_ptr_array_index(report->problems, i));
	for (guint i = 0; i < report->notes->len; i++)
		g_string_append_printf(text, "note: %s\n",
				       (const char *)g_ptr_array_index(report->notes, i));
	return cb_ctl_write_stdout(text->str, error);
}

char *
cb_ctl_recording_path(CbCtl *ctl, const char *what, gboolean confidential, GError **error)
{
	g_autofree char *state = NULL;
	gint64 session_id = 0;

	if (g_file_test(what, G_FILE_TEST_IS_DIR) && !g_ascii_isdigit(what[0]))
		return g_strdup(what);
	if (!cb_ctl_parse_id(what, "session", &session_id, error))
		return NULL;
	state = cb_state_dir_resolve(ctl->given.state_dir, NULL);
	return cb_recording_folder(state, session_id, confidential);
}

static gboolean
cb_ctl_recording_verify(CbCtl *ctl, int argc, char **argv, GError **error)
{
	gboolean confidential = FALSE;
	char **args = NULL; /* into argv */
	g_autoptr(CbManifestReport) report = NULL;
	g_autofree char *path = NULL;
	g_autofree char *manifest = NULL;
	const char *const names[] = {"SESSION|DIR", NULL};
	const GOptionEntry entries[] = {
		{"confidential", 0, 0, G_OPTION_ARG_NONE, &confidential,
		 "The session's confidential recording (a denouncer's tracks)", NULL},
		{NULL},
	};

	if (!cb_ctl_parse(ctl, "recording verify", entries, names, argc, argv, &args, error))
		return FALSE;
	path = cb_ctl_recording_path(ctl, args[0], confidential, error);
	if (path == NULL)
		return FALSE;
	manifest = g_build_filename(path, CB_MANIFEST_NAME, NULL);
	if (!g_file_test(manifest, G_FILE_TEST_EXISTS)) {
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_FOUND,
			    "no recording in %s (it has no %s)", path, CB_MANIFEST_NAME);
		return FALSE;
	}
	report = cb_manifest_verify(path, CB_MANIFEST_NAME, error);
	if (report == NULL)
		return FALSE;
	if (!cb_ctl_print_report(ctl, report, path, error))
		return FALSE;
	if (!report->intact) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "the recording in %s is not intact: %u problem%s", path,
			    report->problems->len, report->problems->len == 1 ? "" : "s");
		return FALSE;
	}
	return TRUE;
}

static char *
cb_ctl_plan_time(gint64 us)
{
	g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
	g_autoptr(GDateTime) exact = g_date_time_add(time, us % G_USEC_PER_SEC);

	return g_date_time_format(exact, "%Y-%m-%dT%H:%M:%S.%fZ");
}

static void
cb_ctl_plan_track_json(JsonBuilder *builder, CbExportTrack *track)
{
	g_autofree char *name = g_strdup_printf("%s/%s", track->peer, track->kind);

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "track");
	json_builder_add_string_value(builder, name);
	json_builder_set_member_name(builder, "segments");
	json_builder_add_int_value(builder, track->segments->len);
	json_builder_set_member_name(builder, "confidential");
	json_builder_add_boolean_value(builder, track->confidential);
	json_builder_end_object(builder);
}

static void
cb_ctl_plan_tile_json(JsonBuilder *builder, CbExportTile *tile)
{
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "label");
	json_builder_add_string_value(builder, tile->label);
	json_builder_set_member_name(builder, "peer");
	json_builder_add_string_value(builder, tile->peer);
	json_builder_set_member_name(builder, "floor");
	json_builder_add_boolean_value(builder, tile->floor);
	json_builder_set_member_name(builder, "video");
	json_builder_add_boolean_value(builder, tile->video != NULL);
	json_builder_set_member_name(builder, "x");
	json_builder_add_int_value(builder, tile->x);
	json_builder_set_member_name(builder, "y");
	json_builder_add_int_value(builder, tile->y);
	json_builder_set_member_name(builder, "width");
	json_builder_add_int_value(builder, tile->width);
	json_builder_set_member_name(builder, "height");
	json_builder_add_int_value(builder, tile->height);
	json_builder_end_object(builder);
}

static JsonNode *
cb_ctl_plan_to_json(CbExportPlan *plan, CbExportTrack *only)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autofree char *start = cb_ctl_plan_time(plan->start_us);
	g_autofree char *end = cb_ctl_plan_time(plan->end_us);

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "start");
	json_builder_add_string_value(builder, start);
	json_builder_set_member_name(builder, "end");
	json_builder_add_string_value(builder, end);
	json_builder_set_member_name(builder, "seconds");
	json_builder_add_double_value(builder,
				      (double)(plan->end_us - plan->start_us) / G_USEC_PER_SEC);
	json_builder_set_member_name(builder, "tracks");
	json_builder_begin_array(builder);
	for (guint i = 0; i < plan->tracks->len; i++)
		if (only == NULL || only == g_ptr_array_index(plan->tracks, i))
			cb_ctl_plan_track_json(builder, g_ptr_array_index(plan->tracks, i));
	json_builder_end_array(builder);
	json_builder_set_member_name(builder, "tiles");
	json_builder_begin_array(builder);
	for (guint i = 0; only == NULL && i < plan->tiles->len; i++)
		cb_ctl_plan_tile_json(builder, g_ptr_array_index(plan->tiles, i));
	json_builder_end_array(builder);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

/* the plan as text: the span, then "track" and "tile" lines */
static char *
cb_ctl_plan_to_text(CbExportPlan *plan, CbExportTrack *only)
{
	GString *text = g_string_new(NULL);
	g_autofree char *start = cb_ctl_plan_time(plan->start_us);
	g_autofree char *end = cb_ctl_plan_time(plan->end_us);

	g_string_append_printf(text, "span: %s to %s (%.1f s)\n", start, end,
			       (double)(plan->end_us - plan->start_us) / G_USEC_PER_SEC);
	for (guint i = 0; i < plan->tracks->len; i++) {
		CbExportTrack *track = g_ptr_array_index(plan->tracks, i);
		if (only == NULL || only == track)
			g_string_append_printf(text, "track: %s/%s, %u segments%s\n", track->peer,
					       track->kind, track->segments->len,
					       track->confidential ? ", confidential" : "");
	}
	for (guint i = 0; only == NULL && i < plan->tiles->len; i++) {
		CbExportTile *tile = g_ptr_array_index(plan->tiles, i);
		g_string_append_printf(text, "tile: %s at %d,%d %dx%d%s\n", tile->label, tile->x,
				       tile->y, tile->width, tile->height,
				       tile->video == NULL ? " (no video: black)" : "");
	}
	return g_string_free(text, FALSE);
}

gboolean
cb_ctl_export_print_plan(CbCtl *ctl, CbExportPlan *plan, const char *track, GError **error)
{
	CbExportTrack *only = track != NULL ? cb_export_plan_find_track(plan, track) : NULL;
	g_autofree char *text = NULL;

	cb_export_plan_layout(plan, CB_EXPORT_WIDTH, CB_EXPORT_HEIGHT);
	if (ctl->format == CB_CTL_FORMAT_JSON) {
		g_autoptr(JsonNode) node = cb_ctl_plan_to_json(plan, only);
		return cb_ctl_print_json(node, error);
	}
	text = cb_ctl_plan_to_text(plan, only);
	return cb_ctl_write_stdout(text, error);
}

gboolean
cb_ctl_command_recording(CbCtl *ctl, int argc, char **argv, GError **error)
{
	static const CbCtlCommand commands[] = {
		{"list", cb_ctl_recording_list},
		{"show", cb_ctl_recording_show},
		{"verify", cb_ctl_recording_verify},
		{"hold", cb_ctl_recording_hold},
		{"unhold", cb_ctl_recording_unhold},
		{"purge", cb_ctl_recording_purge},
		{"export", cb_ctl_recording_export},
		{NULL},
	};

	return cb_ctl_dispatch(ctl, "recording command", commands, argc - 1, argv + 1, error);
}
