/* recording export without media: when a recording counts as closed, the
 * composite's layout, and the pipeline template's format */
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-recording-export.h"
#include "src/recording/cb-pipeline-template.h"

static GPtrArray *
entries_of(const char *const *types)
{
	GPtrArray *entries = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);

	for (guint i = 0; types[i] != NULL; i++) {
		JsonObject *entry = json_object_new();
		json_object_set_string_member(entry, "type", types[i]);
		g_ptr_array_add(entries, entry);
	}
	return entries;
}

static gboolean
closed(const char *const *types)
{
	g_autoptr(GPtrArray) entries = entries_of(types);

	return cb_export_recording_closed(entries);
}

static void
test_closed(void)
{
	g_assert_true(closed((const char *[]){"part", "segment", "event", "stop", NULL}));
	g_assert_true(closed((const char *[]){"part", "segment", "interrupted", NULL}));
	/* after a restart, a new part that is being written */
	g_assert_false(closed((const char *[]){"part", "segment", "interrupted", "part", NULL}));
	g_assert_false(
		closed((const char *[]){"part", "segment", "stop", "part", "segment", NULL}));
	g_assert_false(closed((const char *[]){"part", "segment", "event", NULL}));
	g_assert_false(closed((const char *[]){NULL}));
}

static void
add_track(CbExportPlan *plan, const char *peer, const char *kind)
{
	CbExportTrack *track = g_new0(CbExportTrack, 1);

	track->peer = g_strdup(peer);
	track->kind = g_strdup(kind);
	track->segments = g_ptr_array_new();
	g_ptr_array_add(plan->tracks, track);
}

static void
free_track(CbExportTrack *track)
{
	g_free(track->peer);
	g_free(track->kind);
	g_ptr_array_unref(track->segments);
	g_free(track);
}

static void
free_floor(CbExportFloor *floor)
{
	g_free(floor->peer);
	g_free(floor);
}

static CbExportTile *
tile_of(CbExportPlan *plan, const char *label)
{
	for (guint i = 0; i < plan->tiles->len; i++) {
		CbExportTile *tile = g_ptr_array_index(plan->tiles, i);
		if (g_str_equal(tile->label, label))
			return tile;
	}
	g_error("no tile is labelled %s", label);
}

/* the 32-peer session: the hall and the floor large, 31 tiles of 160x90 */
static void
test_layout(void)
{
	g_autoptr(CbExportPlan) plan = g_new0(CbExportPlan, 1);
	CbExportFloor *floor = g_new0(CbExportFloor, 1);
	CbExportTile *tile;

	plan->tracks = g_ptr_array_new_with_free_func((GDestroyNotify)free_track);
	plan->floor = g_ptr_array_new_with_free_func((GDestroyNotify)free_floor);
	add_track(plan, "hall", "video");
	for (gint i = 1; i <= 30; i++) {
		g_autofree char *peer = g_strdup_printf("bp-%d", i);
		add_track(plan, peer, "video");
	}
	add_track(plan, "citizen", "audio");
	add_track(plan, "bad name\n", "video");
	floor->peer = g_strdup("bp-7");
	g_ptr_array_add(plan->floor, floor);
	cb_export_plan_layout(plan, 1280, 720);

	g_assert_cmpuint(plan->tiles->len, ==, 1 + 1 + 32);
	tile = tile_of(plan, "hall");
	g_assert_cmpint(tile->width, ==, 640);
	g_assert_cmpint(tile->height, ==, 360);
	tile = tile_of(plan, "floor: bp-7");
	g_assert_true(tile->floor);
	g_assert_cmpint(tile->x, ==, 640);
	g_assert_nonnull(tile->video);
	tile = tile_of(plan, "bp-30");
	g_assert_cmpint(tile->width, ==, 160);
	g_assert_cmpint(tile->height, ==, 90);
	g_assert_cmpint(tile->x + tile->width, <=, 1280);
	g_assert_cmpint(tile->y + tile->height, <=, 720);
	/* audio only: a labelled black tile */
	tile = tile_of(plan, "citizen");
	g_assert_null(tile->video);
	/* a label is a room id, nothing else gets through */
	g_assert_cmpstr(tile_of(plan, "bad_name_")->peer, ==, "bad name\n");
}

static CbPipelineTemplate *
template_of(const char *text, GError **error)
{
	g_autofree char *path = NULL;
	int fd = g_file_open_tmp("civic-bridge-template-XXXXXX", &path, NULL);
	CbPipelineTemplate *template;

	g_assert_cmpint(fd, >=, 0);
	close(fd);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	template = cb_pipeline_template_load(path, error);
	g_unlink(path);
	return template;
}

static void
test_template(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbPipelineTemplate) template = template_of(
		"# comment\n[a]\nfakesrc name={n}\n  ! fakesink\n\n[lines]\nx: y\nz: w\n", &error);
	const char *const values[] = {"n", "src1", NULL};
	g_autofree char *filled = NULL;
	g_autofree char *unknown = NULL;
	g_autoptr(CbPipelineTemplate) broken = NULL;

	g_assert_no_error(error);
	g_assert_cmpstr(cb_pipeline_template_section(template, "a", NULL), ==,
			"fakesrc name={n} ! fakesink");
	g_assert_cmpstr(cb_pipeline_template_lines(template, "lines")[1], ==, "z: w");
	g_assert_null(cb_pipeline_template_lines(template, "none")[0]);
	filled = cb_pipeline_template_fill(
		template, cb_pipeline_template_section(template, "a", NULL), values, &error);
	g_assert_cmpstr(filled, ==, "fakesrc name=src1 ! fakesink");
	unknown = cb_pipeline_template_fill(template, "{m}", values, &error);
	g_assert_null(unknown);
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFIG);
	g_assert_nonnull(strstr(error->message, "uses {m}"));
	g_clear_error(&error);
	g_assert_null(cb_pipeline_template_section(template, "b", &error));
	g_assert_nonnull(strstr(error->message, "has no [b] section"));
	g_clear_error(&error);
	broken = template_of("fakesrc\n[a]\n", &error);
	g_assert_null(broken);
	g_assert_nonnull(strstr(error->message, "line 1: text before the first [section]"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/civic-bridge/export-plan/closed", test_closed);
	g_test_add_func("/civic-bridge/export-plan/layout", test_layout);
	g_test_add_func("/civic-bridge/export-plan/template", test_template);
	return g_test_run();
}
