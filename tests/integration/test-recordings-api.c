/* recordings read back through the real daemon's HTTP API: listing, detail,
 * segment files, who may see them, legal hold and the retention purge */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "civic-bridge/cb-manifest.h"
#include "civic-bridge/cb-role.h"

#include "cb-test-daemon.h"
#include "cb-test-recording-folder.h"

#define DAY_US (G_GINT64_CONSTANT(86400) * G_USEC_PER_SEC)

typedef struct {
	CbTestDaemon *d;
	char *staff;
	char *operator_token;
	char *citizen;
	gint64 session; /* stopped, with a confidential recording, 400 days old */
	gint64 running; /* in progress, 400 days old */
	gint64 recent;  /* stopped yesterday */
	char *folder;   /* of @session */
	char *secret;   /* of @session's confidential recording */
} Fixture;

static JsonObject *
obj(JsonNode *node)
{
	g_assert_nonnull(node);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(node));
	return json_node_get_object(node);
}

static char *
text_of(JsonNode *node)
{
	g_autoptr(JsonGenerator) generator = json_generator_new();

	json_generator_set_root(generator, node);
	return json_generator_to_data(generator, NULL);
}

static JsonNode *
call(Fixture *f, const char *method, const char *path, const char *token, guint status)
{
	JsonNode *answer = NULL;
	guint got = cb_test_http(f->d, method, path, token, NULL, &answer);

	if (got != status) {
		g_autofree char *text = answer != NULL ? text_of(answer) : g_strdup("(none)");
		g_error("%s %s: %u, wanted %u: %s", method, path, got, status, text);
	}
	return answer;
}

/* the error answer's code, checking its shape */
static const char *
error_code(JsonNode *node)
{
	JsonObject *error = json_object_get_object_member(obj(node), "error");

	g_assert_nonnull(error);
	g_assert_cmpuint(strlen(json_object_get_string_member(error, "message")), >, 0);
	return json_object_get_string_member(error, "code");
}

static gint64
create_session(Fixture *f, const char *title)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GDateTime) later = g_date_time_add_days(now, 2);
	g_autofree char *start = g_date_time_format_iso8601(later);
	g_autofree char *body = g_strdup_printf("{\"title\":\"%s\",\"kind\":\"leadership\","
						"\"starts_at\":\"%s\",\"duration_minutes\":180}",
						title, start);
	g_autoptr(JsonNode) created = NULL;

	g_assert_cmpuint(cb_test_http(f->d, "POST", "/api/v1/sessions", f->staff, body, &created),
			 ==, 201);
	return json_object_get_int_member(obj(created), "id");
}

static char *
write_recording(Fixture *f, gint64 session, gboolean confidential, gint64 end_us, gboolean stopped,
		guint first_frames)
{
	CbTestRecordingSpec spec = {session, confidential, 3, first_frames, end_us, stopped};

	return cb_test_recording_write(f->d->state_dir, &spec);
}

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	gint64 now = g_get_real_time();
	const char *config = data != NULL ? data : "[schedule]\nrrule=\n";

	f->d = cb_test_daemon_new();
	cb_test_daemon_set_config(f->d, config);
	if (!cb_test_daemon_start(f->d, &error))
		g_error("daemon did not start: %s", error->message);
	f->staff = cb_test_daemon_issue_token(f->d, CB_ROLE_STAFF, 0, 0, 0);
	{
		g_autoptr(JsonNode) bp = NULL;
		g_assert_cmpuint(cb_test_http(f->d, "POST", "/api/v1/bridge-points",
					      f->d->admin_token,
					      "{\"code\":\"bp-3\",\"name\":\"Điểm cầu 3\"}", &bp),
				 ==, 201);
		f->operator_token = cb_test_daemon_issue_token(
			f->d, CB_ROLE_OPERATOR, json_object_get_int_member(obj(bp), "id"), 0, 0);
	}
	f->citizen = cb_test_daemon_issue_token(f->d, CB_ROLE_CITIZEN, 0, 1, 0);
	f->session = create_session(f, "Phiên tiếp công dân định kỳ");
	f->running = create_session(f, "Phiên đang ghi");
	f->recent = create_session(f, "Phiên hôm qua");
	/* 150 frames: a first segment of several 64 KiB chunks */
	f->folder = write_recording(f, f->session, FALSE, now - 400 * DAY_US, TRUE, 150);
	f->secret = write_recording(f, f->session, TRUE, now - 400 * DAY_US, TRUE, 0);
	g_free(write_recording(f, f->running, FALSE, now - 400 * DAY_US, FALSE, 0));
	g_free(write_recording(f, f->recent, FALSE, now - DAY_US, TRUE, 0));
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
	cb_test_daemon_free(f->d);
	g_free(f->staff);
	g_free(f->operator_token);
	g_free(f->citizen);
	g_free(f->folder);
	g_free(f->secret);
}

static JsonObject *
find_item(JsonNode *list, gint64 session)
{
	JsonArray *items = json_object_get_array_member(obj(list), "items");

	for (guint i = 0; i < json_array_get_length(items); i++) {
		JsonObject *item = json_array_get_object_element(items, i);
		if (json_object_get_int_member(item, "session_id") == session)
			return item;
	}
	return NULL;
}

/* one file through the API: status, and the body and headers on 200 */
static guint
fetch(Fixture *f, const char *path, const char *token, GBytes **body, char **type, goffset *length)
{
	g_autoptr(SoupSession) session = soup_session_new_with_options("timeout", 30, NULL);
	g_autofree char *uri = g_strconcat(f->d->url, path, NULL);
	g_autofree char *value = g_strconcat("Bearer ", token, NULL);
	g_autoptr(SoupMessage) msg = soup_message_new("GET", uri);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) answer = NULL;
	SoupMessageHeaders *headers;

	g_assert_nonnull(msg);
	soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization", value);
	answer = soup_session_send_and_read(session, msg, NULL, &error);
	g_assert_no_error(error);
	headers = soup_message_get_response_headers(msg);
	if (type != NULL)
		*type = g_strdup(soup_message_headers_get_content_type(headers, NULL));
	if (length != NULL)
		*length = soup_message_headers_get_content_length(headers);
	if (body != NULL)
		*body = g_steal_pointer(&answer);
	return soup_message_get_status(msg);
}

static void
test_list_show_fetch(Fixture *f, gconstpointer data)
{
	g_autoptr(JsonNode) list = call(f, "GET", "/api/v1/recordings", f->staff, 200);
	g_autofree char *path = g_strdup_printf(
		"/api/v1/recordings/%" G_GINT64_FORMAT "?segments=true", f->session);
	g_autoptr(JsonNode) detail = call(f, "GET", path, f->staff, 200);
	JsonObject *item = find_item(list, f->session);
	JsonObject *shown = obj(detail);
	JsonArray *segments = json_object_get_array_member(shown, "segment_list");
	JsonArray *tracks = json_object_get_array_member(shown, "tracks");
	JsonArray *timeline = json_object_get_array_member(shown, "timeline");
	gint64 total = 0;

	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(obj(list), "items")),
			 ==, 3);
	g_assert_nonnull(item);
	g_assert_cmpstr(json_object_get_string_member(item, "title"), ==,
			"Phiên tiếp công dân định kỳ");
	g_assert_cmpstr(json_object_get_string_member(item, "kind"), ==, "leadership");
	g_assert_cmpint(json_object_get_int_member(item, "parts"), ==, 1);
	g_assert_cmpint(json_object_get_int_member(item, "segments"), ==, 6);
	g_assert_cmpfloat(json_object_get_double_member(item, "seconds"), ==, 6.0);
	g_assert_false(json_object_get_boolean_member(item, "in_progress"));
	g_assert_false(json_object_get_boolean_member(item, "legal_hold"));
	g_assert_true(json_object_get_boolean_member(item, "has_confidential"));
	g_assert_true(json_object_get_boolean_member(item, "manifest_ok"));
	g_assert_true(json_object_get_boolean_member(find_item(list, f->running), "in_progress"));
	g_assert_false(
		json_object_get_boolean_member(find_item(list, f->running), "has_confidential"));
	g_assert_cmpuint(json_array_get_length(tracks), ==, 2);
	g_assert_cmpuint(json_array_get_length(segments), ==, 6);
	/* part, two joins, the floor, the stop */
	g_assert_cmpuint(json_array_get_length(timeline), ==, 5);
	g_assert_cmpstr(
		json_object_get_string_member(json_array_get_object_element(timeline, 1), "event"),
		==, "joined");
	for (guint i = 0; i < json_array_get_length(segments); i++) {
		JsonObject *segment = json_array_get_object_element(segments, i);
		const char *file = json_object_get_string_member(segment, "file");
		g_autofree char *local = g_build_filename(f->folder, file, NULL);
		g_autofree char *url = g_strdup_printf(
			"/api/v1/recordings/%" G_GINT64_FORMAT "/files/%s", f->session, file);
		g_autofree char *contents = NULL;
		g_autofree char *type = NULL;
		g_autoptr(GBytes) body = NULL;
		gsize size = 0;
		goffset length = 0;

		g_assert_true(g_file_get_contents(local, &contents, &size, NULL));
		g_assert_cmpuint(fetch(f, url, f->staff, &body, &type, &length), ==, 200);
		g_assert_cmpstr(type, ==, "video/x-matroska");
		g_assert_cmpint(length, ==, (goffset)size);
		g_assert_cmpint(json_object_get_int_member(segment, "bytes"), ==, (gint64)size);
		g_assert_cmpmem(g_bytes_get_data(body, NULL), g_bytes_get_size(body), contents,
				size);
		/* a Matroska file starts with the EBML magic */
		g_assert_cmpmem(contents, 4, "\x1a\x45\xdf\xa3", 4);
		total += (gint64)size;
	}
	/* the first segment is several chunks long */
	g_assert_cmpint(
		json_object_get_int_member(json_array_get_object_element(segments, 0), "bytes"), >,
		3 * 64 * 1024);
	g_assert_cmpint(json_object_get_int_member(item, "bytes"), ==, total);
	g_assert_cmpint(json_object_get_int_member(shown, "bytes"), ==, total);
}

/* every route, as @token, answers @status */
static void
assert_every_route(Fixture *f, const char *token, guint status)
{
	g_autofree char *base = g_strdup_printf("/api/v1/recordings/%" G_GINT64_FORMAT, f->session);
	g_autofree char *show = g_strdup(base);
	g_autofree char *secret = g_strconcat(base, "?confidential=true", NULL);
	g_autofree char *file = g_strconcat(base, "/files/hall/video-p1-00001.mkv", NULL);
	g_autofree char *secret_file =
		g_strconcat(base, "/files/hall/video-p1-00001.mkv?confidential=true", NULL);
	g_autofree char *hold = g_strconcat(base, "/hold", NULL);
	const char *const requests[][2] = {
		{"GET", "/api/v1/recordings"},
		{"GET", "/api/v1/recordings?confidential=true"},
		{"GET", show},
		{"GET", secret},
		{"GET", file},
		{"GET", secret_file},
		{"PUT", hold},
		{"DELETE", hold},
		{"POST", "/api/v1/recordings/purge"},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(requests); i++) {
		g_autoptr(JsonNode) answer = NULL;
		guint got =
			cb_test_http(f->d, requests[i][0], requests[i][1], token, NULL, &answer);
		if (got != status)
			g_error("%s %s: %u, wanted %u", requests[i][0], requests[i][1], got,
				status);
		/* the error shape, and nothing of the recording */
		g_assert_cmpstr(error_code(answer), ==,
				status == 401 ? "unauthenticated" : "forbidden");
	}
}

static void
test_operator_and_citizen_refused(Fixture *f, gconstpointer data)
{
	g_autoptr(JsonNode) purge = NULL;

	assert_every_route(f, f->operator_token, 403);
	assert_every_route(f, f->citizen, 403);
	assert_every_route(f, NULL, 401);
	/* staff may do all but the purge, which is the admins' */
	purge = call(f, "POST", "/api/v1/recordings/purge", f->staff, 403);
	g_assert_cmpstr(error_code(purge), ==, "forbidden");
	/* nothing was deleted by any of it */
	g_assert_true(g_file_test(f->folder, G_FILE_TEST_IS_DIR));
}

static void
test_confidential_apart(Fixture *f, gconstpointer data)
{
	g_autoptr(JsonNode) list =
		call(f, "GET", "/api/v1/recordings?confidential=true", f->staff, 200);
	g_autofree char *base = g_strdup_printf("/api/v1/recordings/%" G_GINT64_FORMAT, f->session);
	g_autofree char *show = g_strconcat(base, "?confidential=true", NULL);
	g_autofree char *file = g_strconcat(base, "/files/bp-3/video-p1-00002.mkv", NULL);
	g_autofree char *secret_file = g_strconcat(file, "?confidential=true", NULL);
	g_autofree char *not_running = g_strdup_printf(
		"/api/v1/recordings/%" G_GINT64_FORMAT "?confidential=true", f->running);
	g_autofree char *local = g_build_filename(f->secret, "bp-3/video-p1-00002.mkv", NULL);
	g_autofree char *contents = NULL;
	g_autoptr(JsonNode) detail = call(f, "GET", show, f->d->admin_token, 200);
	g_autoptr(JsonNode) absent = call(f, "GET", not_running, f->staff, 404);
	g_autoptr(JsonNode) audit = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GBytes) general = NULL;
	JsonArray *items = json_object_get_array_member(obj(list), "items");
	gsize size = 0;
	gboolean audited = FALSE;

	g_assert_cmpuint(json_array_get_length(items), ==, 1);
	g_assert_true(json_object_get_boolean_member(find_item(list, f->session), "confidential"));
	g_assert_true(json_object_get_boolean_member(obj(detail), "confidential"));
	g_assert_cmpstr(error_code(absent), ==, "not_found");
	/* the same name is another file in each recording: the flag picks it */
	g_assert_true(g_file_get_contents(local, &contents, &size, NULL));
	g_assert_cmpuint(fetch(f, secret_file, f->staff, &body, NULL, NULL), ==, 200);
	g_assert_cmpmem(g_bytes_get_data(body, NULL), g_bytes_get_size(body), contents, size);
	g_assert_cmpuint(fetch(f, file, f->staff, &general, NULL, NULL), ==, 200);
	g_assert_false(g_bytes_equal(general, body));
	/* a confidential read is on the record */
	audit = call(f, "GET", "/api/v1/audit", f->d->admin_token, 200);
	items = json_object_get_array_member(obj(audit), "items");
	for (guint i = 0; i < json_array_get_length(items); i++)
		audited |= g_strcmp0(json_object_get_string_member(
					     json_array_get_object_element(items, i), "action"),
				     "recording.read") == 0;
	g_assert_true(audited);
}

static void
test_traversal_refused(Fixture *f, gconstpointer data)
{
	g_autofree char *base =
		g_strdup_printf("/api/v1/recordings/%" G_GINT64_FORMAT "/files/", f->session);
	g_autofree char *extra = g_build_filename(f->folder, "hall", "extra.mkv", NULL);
	const struct {
		const char *file;
		guint status; /* 0: 400 or 404 */
	} bad[] = {
		{"..%2F..%2Fcivic-bridge.db", 400},
		{"%2E%2E/%2E%2E/civic-bridge.db", 400},
		{"hall/..%2F..%2F..%2Fcivic-bridge.db", 400},
		{"%2Fetc%2Fpasswd", 400},
		{"hall//video-p1-00001.mkv", 400},
		{"manifest.jsonl", 404},
		{"hall/extra.mkv", 404},
		{"hall/video-p1-00009.mkv", 404},
		{"..", 0}, /* the client resolves it away: no such route */
		{"hall%00.mkv", 400},
	};

	/* a file in the folder that the manifest does not list */
	g_assert_true(g_file_set_contents(extra, "not listed", -1, NULL));
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *path = g_strconcat(base, bad[i].file, NULL);
		g_autoptr(GBytes) body = NULL;
		guint got = fetch(f, path, f->staff, &body, NULL, NULL);
		g_autofree char *text = g_strndup(
			g_bytes_get_size(body) > 0 ? g_bytes_get_data(body, NULL) : "(nothing)",
			MAX(g_bytes_get_size(body), 9));

		/* 0: refused either way, 400 or 404 */
		if (bad[i].status == 0 ? got != 400 && got != 404 : got != bad[i].status)
			g_error("%s: %u, wanted %u: %s", path, got, bad[i].status, text);
		/* libsoup itself refuses a path that decodes to a ".." segment
		 * or a NUL with a bare 400, before any handler runs */
		if (strstr(text, "\"error\"") == NULL &&
		    !(got == 400 && g_bytes_get_size(body) == 0 &&
		      (strstr(bad[i].file, "..") || strstr(bad[i].file, "%00"))))
			g_error("%s: %u without the error shape: %s", path, got, text);
		g_assert_null(strstr(text, "SQLite"));
	}
	/* the daemon is unharmed */
	g_assert_cmpuint(fetch(f, "/healthz", f->staff, NULL, NULL, NULL), ==, 200);
}

static gboolean
in_items(JsonNode *answer, const char *member, gint64 session, const char *reason)
{
	JsonArray *items = json_object_get_array_member(obj(answer), member);

	for (guint i = 0; i < json_array_get_length(items); i++) {
		JsonObject *item = json_array_get_object_element(items, i);
		if (json_object_get_int_member(item, "session_id") == session &&
		    g_strcmp0(json_object_get_string_member_with_default(item, "reason", NULL),
			      reason) == 0)
			return TRUE;
	}
	return FALSE;
}

static void
test_hold_and_purge(Fixture *f, gconstpointer data)
{
	g_autofree char *hold =
		g_strdup_printf("/api/v1/recordings/%" G_GINT64_FORMAT "/hold", f->session);
	g_autoptr(JsonNode) held = call(f, "PUT", hold, f->staff, 200);
	g_autoptr(JsonNode) again = call(f, "PUT", hold, f->staff, 200);
	g_autoptr(JsonNode) list = call(f, "GET", "/api/v1/recordings", f->staff, 200);
	g_autoptr(JsonNode) first =
		call(f, "POST", "/api/v1/recordings/purge", f->d->admin_token, 200);
	g_autoptr(JsonNode) lifted = NULL;
	g_autoptr(JsonNode) second = NULL;
	g_autoptr(JsonNode) after = NULL;
	g_autoptr(JsonNode) audit = NULL;
	g_autofree char *audit_text = NULL;

	g_assert_true(json_object_get_boolean_member(obj(held), "legal_hold"));
	g_assert_nonnull(json_object_get_string_member(obj(again), "legal_hold_since"));
	g_assert_true(json_object_get_boolean_member(find_item(list, f->session), "legal_hold"));
	/* old but held, old but in progress: kept and said why; recent: not a candidate */
	g_assert_cmpint(json_object_get_int_member(obj(first), "retention_days"), ==, 365);
	g_assert_true(in_items(first, "skipped", f->session, "legal-hold"));
	g_assert_true(in_items(first, "skipped", f->running, "in-progress"));
	g_assert_false(in_items(first, "skipped", f->recent, NULL));
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(obj(first), "deleted")),
			 ==, 0);
	g_assert_true(g_file_test(f->folder, G_FILE_TEST_IS_DIR));

	lifted = call(f, "DELETE", hold, f->staff, 200);
	g_assert_false(json_object_get_boolean_member(obj(lifted), "legal_hold"));
	second = call(f, "POST", "/api/v1/recordings/purge", f->d->admin_token, 200);
	g_assert_true(in_items(second, "deleted", f->session, NULL));
	g_assert_true(in_items(second, "skipped", f->running, "in-progress"));
	g_assert_cmpint(json_object_get_int_member(obj(second), "failed"), ==, 0);
	/* the general and the confidential recording are gone, the others are not */
	g_assert_false(g_file_test(f->folder, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(f->secret, G_FILE_TEST_EXISTS));
	after = call(f, "GET", "/api/v1/recordings", f->staff, 200);
	g_assert_null(find_item(after, f->session));
	g_assert_nonnull(find_item(after, f->running));
	g_assert_nonnull(find_item(after, f->recent));

	audit = call(f, "GET", "/api/v1/audit", f->d->admin_token, 200);
	audit_text = text_of(audit);
	g_assert_nonnull(strstr(audit_text, "\"recording.hold\""));
	g_assert_nonnull(strstr(audit_text, "\"recording.unhold\""));
	g_assert_nonnull(strstr(audit_text, "\"recording.purge\""));
}

static void
test_keep_for_ever(Fixture *f, gconstpointer data)
{
	g_autoptr(JsonNode) purge =
		call(f, "POST", "/api/v1/recordings/purge", f->d->admin_token, 200);

	g_assert_cmpint(json_object_get_int_member(obj(purge), "retention_days"), ==, 0);
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(obj(purge), "deleted")),
			 ==, 0);
	g_assert_true(g_file_test(f->folder, G_FILE_TEST_IS_DIR));
}

static void
test_tampered_manifest(Fixture *f, gconstpointer data)
{
	g_autofree char *manifest = g_build_filename(f->folder, CB_MANIFEST_NAME, NULL);
	g_autofree char *text = NULL;
	g_autofree char *show = g_strdup_printf("/api/v1/recordings/%" G_GINT64_FORMAT, f->session);
	g_autofree char *file = g_strconcat(show, "/files/hall/video-p1-00001.mkv", NULL);
	g_autoptr(JsonNode) refused = NULL;
	g_autoptr(JsonNode) list = NULL;
	g_autoptr(JsonNode) other = NULL;
	char *peer;
	const char *message;

	/* one entry says another peer than it did */
	g_assert_true(g_file_get_contents(manifest, &text, NULL, NULL));
	peer = strstr(text, "\"bp-3\"");
	g_assert_nonnull(peer);
	peer[3] = '4';
	g_assert_true(g_file_set_contents(manifest, text, -1, NULL));

	refused = call(f, "GET", show, f->staff, 409);
	g_assert_cmpstr(error_code(refused), ==, "conflict");
	message = json_object_get_string_member(
		json_object_get_object_member(obj(refused), "error"), "message");
	g_assert_nonnull(strstr(message, "does not hold together"));
	g_assert_nonnull(strstr(message, "hash does not match"));
	/* listed as damaged; the other recordings are untouched */
	list = call(f, "GET", "/api/v1/recordings", f->staff, 200);
	g_assert_false(json_object_get_boolean_member(find_item(list, f->session), "manifest_ok"));
	g_assert_true(json_object_get_boolean_member(find_item(list, f->recent), "manifest_ok"));
	{
		g_autofree char *recent =
			g_strdup_printf("/api/v1/recordings/%" G_GINT64_FORMAT, f->recent);
		other = call(f, "GET", recent, f->staff, 200);
	}
	/* a segment whose entry still holds is still served */
	g_assert_cmpuint(fetch(f, file, f->staff, NULL, NULL, NULL), ==, 200);
}

/* how many descriptors the daemon holds open on @path */
static guint
daemon_fds_on(Fixture *f, const char *path)
{
	g_autofree char *dir =
		g_strdup_printf("/proc/%s/fd", g_subprocess_get_identifier(f->d->process));
	g_autoptr(GDir) fds = g_dir_open(dir, 0, NULL);
	const char *name;
	guint n = 0;

	g_assert_nonnull(fds);
	while ((name = g_dir_read_name(fds)) != NULL) {
		g_autofree char *link = g_build_filename(dir, name, NULL);
		g_autofree char *target = g_file_read_link(link, NULL);
		n += g_strcmp0(target, path) == 0;
	}
	return n;
}

/* a client that goes away in the middle of a large file harms nothing */
static void
test_client_leaves_mid_file(Fixture *f, gconstpointer data)
{
	g_autofree char *folder = cb_recording_folder(f->d->state_dir, f->recent, FALSE);
	g_autofree char *manifest_path = g_build_filename(folder, CB_MANIFEST_NAME, NULL);
	g_autofree char *big = g_build_filename(folder, "hall", "video-p2-00001.mkv", NULL);
	g_autofree char *path = g_strdup_printf(
		"/api/v1/recordings/%" G_GINT64_FORMAT "/files/hall/video-p2-00001.mkv", f->recent);
	g_autofree char *uri = g_strconcat(f->d->url, path, NULL);
	g_autofree char *bearer = g_strconcat("Bearer ", f->staff, NULL);
	gsize size = 24 * 1024 * 1024;
	g_autofree guint32 *noise = g_new(guint32, size / 4);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) whole = NULL;
	CbManifestSegment segment = {"hall/video-p2-00001.mkv",
				     2,
				     "hall",
				     "video",
				     g_get_real_time(),
				     g_get_real_time() + 2 * G_USEC_PER_SEC};

	/* larger than what the socket buffers hold, so the answer is cut mid-way */
	for (gsize i = 0; i < size / 4; i++)
		noise[i] = g_random_int();
	g_assert_true(g_file_set_contents(big, (const char *)noise, (gssize)size, NULL));
	{
		g_autoptr(CbManifest) manifest = cb_manifest_open(manifest_path, &error);
		g_assert_no_error(error);
		g_assert_true(cb_manifest_add_segment(manifest, folder, &segment, &error));
		g_assert_no_error(error);
	}
	for (guint round = 0; round < 3; round++) {
		g_autoptr(SoupSession) session = soup_session_new_with_options("timeout", 30, NULL);
		g_autoptr(SoupMessage) msg = soup_message_new("GET", uri);
		g_autoptr(GInputStream) stream = NULL;
		char buffer[65536];

		soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization",
					     bearer);
		stream = soup_session_send(session, msg, NULL, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(soup_message_get_status(msg), ==, 200);
		g_assert_true(g_input_stream_read_all(stream, buffer, sizeof(buffer), NULL, NULL,
						      &error));
		g_assert_no_error(error);
		g_input_stream_close(stream, NULL, NULL);
		soup_session_abort(session);
	}
	/* the daemon goes on serving, the whole file too */
	g_assert_cmpuint(fetch(f, "/healthz", f->staff, NULL, NULL, NULL), ==, 200);
	g_assert_cmpuint(fetch(f, path, f->staff, &whole, NULL, NULL), ==, 200);
	g_assert_cmpmem(g_bytes_get_data(whole, NULL), g_bytes_get_size(whole), noise, size);
	/* and closed the file each time (bounded wait: the answers end on their own time) */
	for (guint i = 0; i < 100 && daemon_fds_on(f, big) > 0; i++)
		g_usleep(100 * 1000);
	g_assert_cmpuint(daemon_fds_on(f, big), ==, 0);
}

/* an answer that comes in on the test's main context */
typedef struct {
	SoupMessage *msg;
	GBytes *body;
	gboolean sent; /* the whole request is written */
	gboolean done;
} Pending;

static void
pending_sent_cb(SoupMessage *msg, gpointer user_data)
{
	((Pending *)user_data)->sent = TRUE;
}

static void
pending_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Pending *p = user_data;
	g_autoptr(GError) error = NULL;

	p->body = soup_session_send_and_read_finish(SOUP_SESSION(source), result, &error);
	g_assert_no_error(error);
	p->done = TRUE;
}

static void
pending_start(Fixture *f, SoupSession *session, Pending *p, const char *path)
{
	g_autofree char *uri = g_strconcat(f->d->url, path, NULL);
	g_autofree char *value = g_strconcat("Bearer ", f->staff, NULL);

	p->msg = soup_message_new("GET", uri);
	soup_message_headers_replace(soup_message_get_request_headers(p->msg), "Authorization",
				     value);
	g_signal_connect(p->msg, "wrote-body", G_CALLBACK(pending_sent_cb), p);
	soup_session_send_and_read_async(session, p->msg, G_PRIORITY_DEFAULT, NULL, pending_done_cb,
					 p);
}

/* feeds @text to a reader of the FIFO at @path, then lets every later
 * opening of it end at once (an empty read), until @p is answered */
static void
feed_fifo(const char *path, const char *text, Pending *p)
{
	gint64 until = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
	int fd = -1;

	/* the daemon's reader has it open (a writer alone cannot open it) */
	while (fd < 0 && g_get_monotonic_time() < until) {
		fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			g_usleep(2000);
	}
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(write(fd, text, strlen(text)), ==, (gssize)strlen(text));
	close(fd);
	while (!p->done && g_get_monotonic_time() < until) {
		fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
		g_main_context_iteration(NULL, FALSE);
		g_usleep(2000);
	}
	g_assert_true(p->done);
}

/* a manifest read takes as long as it takes (seconds for a long session):
 * meanwhile the daemon answers everything else. The manifest here is a
 * FIFO, so reading it waits until the test writes; /healthz, answered on
 * the daemon's main loop, must come back before that. */
static void
test_reads_off_main_loop(Fixture *f, gconstpointer data)
{
	g_autofree char *manifest = NULL;
	g_autofree char *copy = g_build_filename(f->folder, CB_MANIFEST_NAME, NULL);
	g_autofree char *folder = NULL;
	g_autofree char *path = NULL;
	g_autofree char *detail = NULL;
	g_autoptr(SoupSession) session = soup_session_new_with_options("timeout", 60, NULL);
	gint64 slow = create_session(f, "Phiên dài");
	const char *const routes[] = {"detail", "list"};

	g_assert_true(g_file_get_contents(copy, &manifest, NULL, NULL));
	folder = cb_recording_folder(f->d->state_dir, slow, FALSE);
	g_assert_cmpint(g_mkdir_with_parents(folder, 0700), ==, 0);
	path = g_build_filename(folder, CB_MANIFEST_NAME, NULL);
	g_assert_cmpint(mkfifo(path, 0600), ==, 0);
	detail = g_strdup_printf("/api/v1/recordings/%" G_GINT64_FORMAT, slow);

	for (guint i = 0; i < G_N_ELEMENTS(routes); i++) {
		Pending p = {0};
		g_autoptr(JsonNode) health = NULL;
		g_autoptr(JsonParser) parser = json_parser_new();

		pending_start(f, session, &p, i == 0 ? detail : "/api/v1/recordings");
		/* the request is in the daemon before /healthz */
		while (!p.sent && !p.done)
			g_main_context_iteration(NULL, TRUE);
		g_usleep(100 * 1000);
		g_assert_false(p.done);
		g_assert_cmpuint(cb_test_http(f->d, "GET", "/healthz", NULL, NULL, &health), ==,
				 200);
		g_assert_false(p.done);

		feed_fifo(path, manifest, &p);
		g_test_message("%s: HTTP %u", routes[i], soup_message_get_status(p.msg));
		g_assert_cmpuint(soup_message_get_status(p.msg), ==, 200);
		g_assert_true(json_parser_load_from_data(parser, g_bytes_get_data(p.body, NULL),
							 (gssize)g_bytes_get_size(p.body), NULL));
		if (i == 1)
			g_assert_nonnull(find_item(json_parser_get_root(parser), slow));
		else
			g_assert_cmpint(json_object_get_int_member(
						obj(json_parser_get_root(parser)), "session_id"),
					==, slow);
		g_clear_object(&p.msg);
		g_clear_pointer(&p.body, g_bytes_unref);
	}
}

static void
test_bad_input(Fixture *f, gconstpointer data)
{
	const struct {
		const char *method;
		const char *path;
		guint status;
		const char *code;
	} bad[] = {
		{"GET", "/api/v1/recordings/999", 404, "not_found"},
		{"GET", "/api/v1/recordings/999?confidential=true", 404, "not_found"},
		{"GET", "/api/v1/recordings/999/files/hall/video-p1-00001.mkv", 404, "not_found"},
		{"PUT", "/api/v1/recordings/999/hold", 404, "not_found"},
		{"DELETE", "/api/v1/recordings/999/hold", 404, "not_found"},
		{"GET", "/api/v1/recordings/seven", 400, "invalid_request"},
		{"GET", "/api/v1/recordings/0", 400, "invalid_request"},
		{"PUT", "/api/v1/recordings/-1/hold", 400, "invalid_request"},
		{"GET", "/api/v1/recordings?confidential=maybe", 400, "invalid_request"},
		{"GET", "/api/v1/recordings/1?confidential=1", 400, "invalid_request"},
		{"GET", "/api/v1/recordings/purge", 400, "invalid_request"},
		{"DELETE", "/api/v1/recordings/purge", 405, "method_not_allowed"},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(JsonNode) answer = NULL;
		guint got = cb_test_http(f->d, bad[i].method, bad[i].path, f->staff, NULL, &answer);

		if (got != bad[i].status)
			g_error("%s %s: %u, wanted %u", bad[i].method, bad[i].path, got,
				bad[i].status);
		g_assert_cmpstr(error_code(answer), ==, bad[i].code);
	}
	/* a folder without a manifest is no recording */
	{
		g_autofree char *empty =
			g_build_filename(f->d->state_dir, "recordings", "77", NULL);
		g_autoptr(JsonNode) list = NULL;
		g_assert_cmpint(g_mkdir_with_parents(empty, 0700), ==, 0);
		list = call(f, "GET", "/api/v1/recordings", f->staff, 200);
		g_assert_null(find_item(list, 77));
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, config, fn)                                                                      \
	g_test_add("/civic-bridge/recordings-api/" path, Fixture, config, fixture_set_up, fn,      \
		   fixture_tear_down)
	ADD("list-show-fetch", NULL, test_list_show_fetch);
	ADD("operator-and-citizen-refused", NULL, test_operator_and_citizen_refused);
	ADD("confidential-apart", NULL, test_confidential_apart);
	ADD("traversal-refused", NULL, test_traversal_refused);
	ADD("hold-and-purge", NULL, test_hold_and_purge);
	ADD("keep-for-ever", "[schedule]\nrrule=\n[recording]\nretention-days=0\n",
	    test_keep_for_ever);
	ADD("tampered-manifest", NULL, test_tampered_manifest);
	ADD("client-leaves-mid-file", NULL, test_client_leaves_mid_file);
	ADD("reads-off-main-loop", NULL, test_reads_off_main_loop);
	ADD("bad-input", NULL, test_bad_input);
	return g_test_run();
}
