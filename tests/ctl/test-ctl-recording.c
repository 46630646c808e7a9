/* civic-bridgectl recording verify, on recordings written with the daemon's
 * own manifest code in a state directory */
#include <string.h>

#include <glib/gstdio.h>

#include "civic-bridge/cb-manifest.h"

#include "cb-test-ctl.h"

typedef struct {
	char *state;
	char *folder;
	char *session_arg; /* "7" */
} Fixture;

static void
write_segment(Fixture *f, CbManifest *manifest, const char *file, gint64 start_s)
{
	g_autofree char *path = g_build_filename(f->folder, file, NULL);
	g_autofree char *parent = g_path_get_dirname(path);
	g_autoptr(GError) error = NULL;
	CbManifestSegment segment = {file,
				     1,
				     "bp-3",
				     "video",
				     (1795000000LL + start_s) * G_USEC_PER_SEC,
				     (1795000000LL + start_s + 4) * G_USEC_PER_SEC};

	g_assert_cmpint(g_mkdir_with_parents(parent, 0700), ==, 0);
	g_file_set_contents(path, file, -1, &error);
	g_assert_no_error(error);
	g_assert_true(cb_manifest_add_segment(manifest, f->folder, &segment, &error));
	g_assert_no_error(error);
}

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbManifest) manifest = NULL;
	g_autofree char *path = NULL;
	g_autoptr(JsonObject) stop = json_object_new();

	f->state = g_dir_make_tmp("civic-bridge-ctl-recording-XXXXXX", &error);
	g_assert_no_error(error);
	f->folder = cb_recording_folder(f->state, 7, FALSE);
	f->session_arg = g_strdup("7");
	g_assert_cmpint(g_mkdir_with_parents(f->folder, 0700), ==, 0);
	path = g_build_filename(f->folder, CB_MANIFEST_NAME, NULL);
	manifest = cb_manifest_open(path, &error);
	g_assert_no_error(error);
	g_assert_true(cb_manifest_add_event(manifest, "joined", "bp-3", NULL, &error));
	write_segment(f, manifest, "1/bp-3/video-0.mkv", 0);
	write_segment(f, manifest, "1/bp-3/video-1.mkv", 4);
	json_object_set_string_member(stop, "type", "stop");
	g_assert_true(cb_manifest_append(manifest, stop, &error));
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
	g_autofree char *command = g_strdup_printf("rm -rf '%s'", f->state);

	g_assert_cmpint(system(command), ==, 0);
	g_free(f->state);
	g_free(f->folder);
	g_free(f->session_arg);
}

static void
test_intact(Fixture *f, gconstpointer data)
{
	g_autoptr(CbTestCtlRun) run =
		cb_test_ctl_run(NULL, "--state-dir", f->state, "recording", "verify", "7");
	g_autoptr(CbTestCtlRun) by_folder =
		cb_test_ctl_run(NULL, "--format", "json", "recording", "verify", f->folder);
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *object;

	cb_test_ctl_assert_ok(run);
	g_assert_nonnull(strstr(run->out, ": intact\n2 segments, 8.0 s of tracks\n"));
	cb_test_ctl_assert_ok(by_folder);
	g_assert_true(json_parser_load_from_data(parser, by_folder->out, -1, NULL));
	object = json_node_get_object(json_parser_get_root(parser));
	g_assert_true(json_object_get_boolean_member(object, "intact"));
	g_assert_cmpint(json_object_get_int_member(object, "segments"), ==, 2);
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(object, "problems")),
			 ==, 0);
}

static void
test_damage_fails_and_is_named(Fixture *f, gconstpointer data)
{
	g_autofree char *altered = g_build_filename(f->folder, "1/bp-3/video-0.mkv", NULL);
	g_autofree char *missing = g_build_filename(f->folder, "1/bp-3/video-1.mkv", NULL);
	g_autofree char *extra = g_build_filename(f->folder, "1/bp-3/video-2.mkv", NULL);
	g_autoptr(CbTestCtlRun) run = NULL;

	g_assert_true(g_file_set_contents(altered, "1/bp-3/video-0.mkX", -1, NULL));
	g_assert_cmpint(g_unlink(missing), ==, 0);
	g_assert_true(g_file_set_contents(extra, "added later", -1, NULL));
	run = cb_test_ctl_run(NULL, "--state-dir", f->state, "recording", "verify", "7");
	g_assert_cmpint(run->status, ==, 1);
	g_assert_nonnull(strstr(run->out, "NOT INTACT"));
	g_assert_nonnull(strstr(run->out, "problem: altered: 1/bp-3/video-0.mkv\n"));
	g_assert_nonnull(strstr(run->out, "problem: missing: 1/bp-3/video-1.mkv\n"));
	g_assert_nonnull(strstr(run->out, "problem: extra: 1/bp-3/video-2.mkv\n"));
	g_assert_nonnull(strstr(run->err, "is not intact: 3 problems"));
}

static void
test_bad_input(Fixture *f, gconstpointer data)
{
	g_autoptr(CbTestCtlRun) none =
		cb_test_ctl_run(NULL, "--state-dir", f->state, "recording", "verify", "8");
	g_autoptr(CbTestCtlRun) confidential = cb_test_ctl_run(
		NULL, "--state-dir", f->state, "recording", "verify", "--confidential", "7");
	g_autoptr(CbTestCtlRun) word = cb_test_ctl_run(NULL, "recording", "verify", "seven");
	g_autoptr(CbTestCtlRun) missing = cb_test_ctl_run(NULL, "recording", "verify");
	g_autoptr(CbTestCtlRun) unknown = cb_test_ctl_run(NULL, "recording", "replay", "7");

	cb_test_ctl_assert_fails(none, 1, "no recording in");
	cb_test_ctl_assert_fails(confidential, 1, "7-confidential (it has no manifest.jsonl)");
	cb_test_ctl_assert_fails(word, 2, "not a valid session");
	cb_test_ctl_assert_fails(missing, 2, "needs SESSION|DIR");
	g_assert_cmpint(unknown->status, ==, 2);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
	ADD("/civic-bridge/ctl-recording/intact", test_intact);
	ADD("/civic-bridge/ctl-recording/damage-fails-and-is-named",
	    test_damage_fails_and_is_named);
	ADD("/civic-bridge/ctl-recording/bad-input", test_bad_input);
	return g_test_run();
}
