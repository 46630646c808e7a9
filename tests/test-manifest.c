/* the manifest of a recording: the chain, a crash in the middle of an entry,
 * and verify finding every kind of damage */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "civic-bridge/cb-manifest.h"

typedef struct {
	char *dir;
	char *manifest;
	CbManifest *open; /* the fixture's writer, still open */
} Fixture;

static void
write_file(Fixture *f, const char *name, const char *text)
{
	g_autofree char *path = g_build_filename(f->dir, name, NULL);
	g_autofree char *parent = g_path_get_dirname(path);
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(g_mkdir_with_parents(parent, 0700), ==, 0);
	g_file_set_contents(path, text, -1, &error);
	g_assert_no_error(error);
}

static const gint64 t0 = 1795000000LL * G_USEC_PER_SEC;

/* a recording of two segments per track for hall video and bp-3 audio */
static void
fixture_set_up(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	CbManifest *manifest = NULL;
	f->dir = g_dir_make_tmp("civic-bridge-manifest-XXXXXX", &error);
	g_assert_no_error(error);
	f->manifest = g_build_filename(f->dir, "manifest.jsonl", NULL);
	manifest = f->open = cb_manifest_open(f->manifest, &error);
	g_assert_no_error(error);
	g_assert_nonnull(manifest);
	g_assert_true(cb_manifest_add_event(manifest, "joined", "hall", NULL, &error));
	for (guint i = 0; i < 2; i++) {
		g_autofree char *video = g_strdup_printf("1/hall/video-%u.mkv", i);
		g_autofree char *audio = g_strdup_printf("1/bp-3/audio-%u.mkv", i);
		g_autofree char *content = g_strdup_printf("segment %u of a track", i);
		CbManifestSegment v = {video,
				       1,
				       "hall",
				       "video",
				       t0 + i * 4 * G_USEC_PER_SEC,
				       t0 + (i + 1) * 4 * G_USEC_PER_SEC};
		CbManifestSegment a = {audio, 1, "bp-3", "audio", v.start_us, v.end_us};

		write_file(f, video, content);
		write_file(f, audio, content);
		g_assert_true(cb_manifest_add_segment(manifest, f->dir, &v, &error));
		g_assert_true(cb_manifest_add_segment(manifest, f->dir, &a, &error));
		g_assert_no_error(error);
	}
	g_assert_true(cb_manifest_add_event(manifest, "admitted", "ticket:17", NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(cb_manifest_get_n_entries(manifest), ==, 6);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
	g_autofree char *command = g_strdup_printf("rm -rf '%s'", f->dir);

	g_clear_pointer(&f->open, cb_manifest_close);
	g_assert_cmpint(system(command), ==, 0);
	g_free(f->dir);
	g_free(f->manifest);
}

static CbManifestReport *
verify(Fixture *f)
{
	g_autoptr(GError) error = NULL;
	CbManifestReport *report = cb_manifest_verify(f->dir, "manifest.jsonl", &error);

	g_assert_no_error(error);
	g_assert_nonnull(report);
	return report;
}

/* TRUE if one of the report's problems contains @needle */
static gboolean
has_problem(CbManifestReport *report, const char *needle)
{
	for (guint i = 0; i < report->problems->len; i++)
		if (strstr(g_ptr_array_index(report->problems, i), needle) != NULL)
			return TRUE;
	return FALSE;
}

static void
test_intact(Fixture *f, gconstpointer data)
{
	g_autoptr(CbManifestReport) report = verify(f);
	g_autofree char *text = NULL;
	struct stat st;

	g_assert_true(report->intact);
	g_assert_cmpuint(report->problems->len, ==, 0);
	g_assert_cmpuint(report->segments, ==, 4);
	g_assert_cmpfloat_with_epsilon(report->seconds, 16.0, 0.001);
	/* readable by the service user only */
	g_assert_cmpint(g_stat(f->manifest, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	/* people appear by id */
	g_assert_true(g_file_get_contents(f->manifest, &text, NULL, NULL));
	g_assert_nonnull(strstr(text, "\"subject\":\"ticket:17\""));
}

static void
test_damaged_segments_named(Fixture *f, gconstpointer data)
{
	g_autofree char *missing = g_build_filename(f->dir, "1/bp-3/audio-1.mkv", NULL);
	g_autofree char *truncated = g_build_filename(f->dir, "1/hall/video-1.mkv", NULL);
	g_autoptr(CbManifestReport) report = NULL;

	/* one byte changed, same size */
	write_file(f, "1/hall/video-0.mkv", "segment 0 of a truck");
	g_assert_cmpint(g_unlink(missing), ==, 0);
	g_assert_cmpint(truncate(truncated, 5), ==, 0);
	write_file(f, "1/bp-3/audio-9.mkv", "not recorded by civic-bridge");
	report = verify(f);
	g_assert_false(report->intact);
	g_assert_true(has_problem(report, "altered: 1/hall/video-0.mkv"));
	g_assert_true(has_problem(report, "missing: 1/bp-3/audio-1.mkv"));
	g_assert_true(has_problem(report, "truncated: 1/hall/video-1.mkv"));
	g_assert_true(has_problem(report, "extra: 1/bp-3/audio-9.mkv"));
	g_assert_cmpuint(report->problems->len, ==, 4);
}

/* replaces the first occurrence of @from in the manifest by @to */
static void
edit_manifest(Fixture *f, const char *from, const char *to)
{
	g_autofree char *text = NULL;
	g_autoptr(GString) edited = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_get_contents(f->manifest, &text, NULL, NULL));
	edited = g_string_new(text);
	g_assert_cmpuint(g_string_replace(edited, from, to, 1), ==, 1);
	g_file_set_contents(f->manifest, edited->str, -1, &error);
	g_assert_no_error(error);
}

static void
test_tampered_manifest(Fixture *f, gconstpointer data)
{
	g_autoptr(CbManifestReport) report = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(CbManifest) reopened = NULL;

	g_clear_pointer(&f->open, cb_manifest_close);
	/* a changed entry fails its own hash */
	edit_manifest(f, "\"subject\":\"ticket:17\"", "\"subject\":\"ticket:18\"");
	report = verify(f);
	g_assert_false(report->intact);
	g_assert_true(has_problem(report, "manifest line 6: its hash does not match"));
	/* and nothing more is written to it */
	reopened = cb_manifest_open(f->manifest, &error);
	g_assert_null(reopened);
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, "does not hold together"));
}

static void
test_removed_entry_breaks_chain(Fixture *f, gconstpointer data)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	g_autofree char *without = NULL;
	g_autoptr(CbManifestReport) report = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_get_contents(f->manifest, &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	/* drop line 3 (a segment): its file is now extra, line 4 unchained */
	g_free(lines[2]);
	lines[2] = g_strdup("");
	without = g_strjoinv("\n", lines);
	g_file_set_contents(f->manifest, without, -1, &error);
	g_assert_no_error(error);
	report = verify(f);
	g_assert_false(report->intact);
	g_assert_true(has_problem(report, "not a manifest entry"));
	g_assert_true(has_problem(report, "link to the previous entry is broken"));
	g_assert_true(has_problem(report, "extra: 1/hall/video-1.mkv"));
}

/* a crash in the middle of writing an entry: the unfinished line was never
 * acknowledged; opening again cuts it and records the interruption */
static void
test_crash_mid_entry(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbManifest) manifest = NULL;
	g_autoptr(CbManifestReport) before = NULL;
	g_autoptr(CbManifestReport) after = NULL;
	int fd;

	g_clear_pointer(&f->open, cb_manifest_close);
	fd = open(f->manifest, O_WRONLY | O_APPEND);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(write(fd, "0123456789abcdef {\"seq\":7,", 26), ==, 26);
	close(fd);
	before = verify(f);
	g_assert_false(before->intact);
	g_assert_true(has_problem(before, "unfinished line of 26 bytes"));

	manifest = cb_manifest_open(f->manifest, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(cb_manifest_get_discarded_bytes(manifest), ==, 26);
	/* entry 7 says where the daemon stopped */
	g_assert_cmpuint(cb_manifest_get_n_entries(manifest), ==, 7);
	g_assert_true(cb_manifest_add_event(manifest, "joined", "hall", NULL, &error));
	after = verify(f);
	g_assert_true(after->intact);
	g_assert_cmpuint(after->notes->len, ==, 1);
	g_assert_nonnull(strstr(g_ptr_array_index(after->notes, 0), "stopped after entry 6"));
}

/* bp-3's audio ended at t0 + 8 s; a segment from t0 + 20 s */
static void
add_late_audio(Fixture *f, CbManifest *manifest)
{
	g_autoptr(GError) error = NULL;
	CbManifestSegment late = {
		"1/bp-3/audio-5.mkv",    1, "bp-3", "audio", t0 + 20 * G_USEC_PER_SEC,
		t0 + 24 * G_USEC_PER_SEC};

	write_file(f, late.file, "late");
	g_assert_true(cb_manifest_add_segment(manifest, f->dir, &late, &error));
	g_assert_no_error(error);
}

static void
test_gap_in_a_track(Fixture *f, gconstpointer data)
{
	g_autoptr(CbManifestReport) report = NULL;

	add_late_audio(f, f->open);
	report = verify(f);
	g_assert_false(report->intact);
	g_assert_true(has_problem(report, "gap: bp-3 audio in part 1 has no segment for 12.0 s"));
}

/* a peer that left and came back, or a restart of the daemon, explains it */
static void
test_gap_explained(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbManifestReport) report = NULL;
	g_autoptr(CbManifest) reopened = NULL;
	g_autoptr(JsonObject) stop = json_object_new();

	g_assert_true(cb_manifest_add_event(f->open, "left", "bp-3", NULL, &error));
	g_assert_true(cb_manifest_add_event(f->open, "joined", "bp-3", NULL, &error));
	add_late_audio(f, f->open);
	report = verify(f);
	g_assert_true(report->intact);

	/* a clean stop: opening again adds no interruption */
	json_object_set_string_member(stop, "type", "stop");
	g_assert_true(cb_manifest_append(f->open, stop, &error));
	g_assert_no_error(error);
	g_clear_pointer(&f->open, cb_manifest_close);
	reopened = cb_manifest_open(f->manifest, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(cb_manifest_get_n_entries(reopened), ==, 10);
}

/* entries from the outside cannot point out of the recording */
static void
test_bad_file_names(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) entry = json_object_new();
	g_autoptr(CbManifestReport) report = NULL;

	json_object_set_string_member(entry, "type", "segment");
	json_object_set_string_member(entry, "file", "../../etc/passwd");
	g_assert_true(cb_manifest_append(f->open, entry, &error));
	report = verify(f);
	g_assert_false(report->intact);
	g_assert_true(has_problem(report, "names a file outside the recording"));
	/* a segment that cannot be read is an error, and nothing is appended */
	{
		CbManifestSegment gone = {"1/hall/never.mkv", 1, "hall", "video", t0, t0};
		guint64 before = cb_manifest_get_n_entries(f->open);
		g_assert_false(cb_manifest_add_segment(f->open, f->dir, &gone, &error));
		g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
		g_assert_cmpuint(cb_manifest_get_n_entries(f->open), ==, before);
	}
}

/* what a starting daemon reads of each recording: the last line alone */
static void
test_ends_with_stop(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) stop = json_object_new();
	g_autofree char *text = NULL;
	gsize length = 0;
	int fd;

	/* the fixture's manifest ends with a segment: still recording */
	g_assert_false(cb_manifest_ends_with_stop(f->manifest));
	json_object_set_string_member(stop, "type", "stop");
	g_assert_true(cb_manifest_append(f->open, stop, &error));
	g_assert_no_error(error);
	g_assert_true(cb_manifest_ends_with_stop(f->manifest));
	/* a line cut off after it: the daemon stopped while writing */
	fd = open(f->manifest, O_WRONLY | O_APPEND);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(write(fd, "0123", 4), ==, 4);
	close(fd);
	g_assert_false(cb_manifest_ends_with_stop(f->manifest));
	/* a last line that says "stop" but whose hash does not hold */
	g_assert_true(g_file_get_contents(f->manifest, &text, &length, &error));
	text[length - 4] = '\0';
	{
		char *last = NULL;

		for (char *at = strstr(text, "\"stop\""); at != NULL;
		     at = strstr(at + 1, "\"stop\""))
			last = at;
		g_assert_nonnull(last);
		last[1] = 'S';
	}
	g_assert_true(g_file_set_contents(f->manifest, text, -1, &error));
	g_assert_false(cb_manifest_ends_with_stop(f->manifest));
	/* missing and empty files */
	g_assert_false(cb_manifest_ends_with_stop("/nonexistent/manifest.jsonl"));
	g_assert_true(g_file_set_contents(f->manifest, "", 0, &error));
	g_assert_false(cb_manifest_ends_with_stop(f->manifest));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
	ADD("/civic-bridge/manifest/intact", test_intact);
	ADD("/civic-bridge/manifest/damaged-segments-named", test_damaged_segments_named);
	ADD("/civic-bridge/manifest/tampered-manifest", test_tampered_manifest);
	ADD("/civic-bridge/manifest/removed-entry-breaks-chain", test_removed_entry_breaks_chain);
	ADD("/civic-bridge/manifest/crash-mid-entry", test_crash_mid_entry);
	ADD("/civic-bridge/manifest/gap-in-a-track", test_gap_in_a_track);
	ADD("/civic-bridge/manifest/gap-explained", test_gap_explained);
	ADD("/civic-bridge/manifest/bad-file-names", test_bad_file_names);
	ADD("/civic-bridge/manifest/ends-with-stop", test_ends_with_stop);
	return g_test_run();
}
