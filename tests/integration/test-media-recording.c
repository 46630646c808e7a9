#define G_LOG_DOMAIN "CbTestMediaRecording"

/*
 * Recording through the real daemon: GStreamer test peers as the hall and
 * two bridge points publish in a leadership session, which records by
 * itself. Every segment must play (gst-discoverer-1.0, a subprocess), its
 * frames must cover the time the manifest says, the manifest must verify,
 * and the timeline must name peers by room id. Then what breaks: kill -9 in
 * the middle, free space under the floor, a folder that disappears, and the
 * staff API's refusals. Run inside `unshare -n` with loopback up.
 */

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gst/gst.h>

#include "civic-bridge/cb-manifest.h"

#include "media-fixture.h"

#define SEGMENT_SECONDS 3
#define CONFIG_REC(extra)                                                                          \
	"[media]\nice-addresses=127.0.0.1\n[recording]\nsegment-seconds=3\n" extra "\n"

/* ---- helpers ---- */

static gboolean
done_cb(gpointer data)
{
	*(gboolean *)data = TRUE;
	return G_SOURCE_REMOVE;
}

/* runs the main loop (and the WebSockets) for @ms */
static void
pump_for(guint ms)
{
	gboolean done = FALSE;

	g_timeout_add(ms, done_cb, &done);
	while (!done) {
		g_main_context_iteration(NULL, TRUE);
		cb_test_run_wait_hook();
	}
}

static char *
folder_of(MediaFixture *f, gint64 session, gboolean confidential)
{
	return cb_recording_folder(f->d->state_dir, session, confidential);
}

/* the manifest's entries (empty when there is none yet) */
static GPtrArray *
read_manifest(const char *folder)
{
	g_autofree char *path = g_build_filename(folder, CB_MANIFEST_NAME, NULL);
	GPtrArray *entries = NULL;

	if (g_file_test(path, G_FILE_TEST_EXISTS))
		entries = cb_manifest_read(path, NULL, NULL);
	return entries != NULL ? entries : g_ptr_array_new();
}

/* entries of @type, and with @member equal to @value when given */
static guint
count_entries(const char *folder, const char *type, const char *member, const char *value)
{
	g_autoptr(GPtrArray) entries = read_manifest(folder);
	guint n = 0;

	for (guint i = 0; i < entries->len; i++) {
		JsonObject *e = g_ptr_array_index(entries, i);
		if (g_strcmp0(json_object_get_string_member_with_default(e, "type", ""), type) ==
			    0 &&
		    (member == NULL ||
		     g_strcmp0(json_object_get_string_member_with_default(e, member, ""), value) ==
			     0))
			n++;
	}
	return n;
}

/* the fewest segments of part @part that any of @peers' two tracks has */
static guint
fewest_segments(const char *folder, gint64 part, const char *const *peers)
{
	g_autoptr(GPtrArray) entries = read_manifest(folder);
	guint fewest = G_MAXUINT;

	for (guint p = 0; peers[p] != NULL; p++) {
		for (guint t = 0; t < 2; t++) {
			const char *track = t == 0 ? "video" : "audio";
			guint n = 0;

			for (guint i = 0; i < entries->len; i++) {
				JsonObject *e = g_ptr_array_index(entries, i);
				if (g_strcmp0(json_object_get_string_member_with_default(e, "type",
											 ""),
					      "segment") == 0 &&
				    json_object_get_int_member(e, "part") == part &&
				    g_strcmp0(json_object_get_string_member(e, "peer"), peers[p]) ==
					    0 &&
				    g_strcmp0(json_object_get_string_member(e, "track"), track) ==
					    0)
					n++;
			}
			fewest = MIN(fewest, n);
		}
	}
	return fewest;
}

static gint64
leadership_session(MediaFixture *f)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GDateTime) start = g_date_time_add_minutes(now, 10);
	g_autofree char *iso = g_date_time_format_iso8601(start);
	g_autofree char *body =
		g_strdup_printf("{\"title\":\"Lãnh đạo tiếp công dân\",\"kind\":\"leadership\","
				"\"starts_at\":\"%s\",\"duration_minutes\":180}",
				iso);
	g_autoptr(JsonNode) session =
		media_call(f, "POST", "/api/v1/sessions", f->staff, body, 201);

	return json_object_get_int_member(json_node_get_object(session), "id");
}

static gboolean
session_recording(MediaFixture *f, gint64 session)
{
	g_autofree char *path = g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT, session);
	g_autoptr(JsonNode) node = media_call(f, "GET", path, f->staff, NULL, 200);

	return json_object_get_boolean_member(json_node_get_object(node), "recording");
}

/* joins as a publisher, checks `joined` tells the recording state */
static CbTestPeer *
publish(CbTestSig *sig, gint64 session, const char *handle, guint width, gboolean recording)
{
	g_autoptr(JsonObject) joined = cb_test_sig_join(sig, session, "publisher", NULL, handle);
	CbTestPeer *peer;

	g_assert_cmpstr(json_object_get_string_member(joined, "type"), ==, "joined");
	g_assert_true(json_object_has_member(joined, "recording"));
	g_assert_cmpint(json_object_get_boolean_member(joined, "recording"), ==, recording);
	peer = cb_test_peer_new_publisher(handle, width, 30);
	cb_test_sig_attach(sig, peer);
	cb_test_sig_send_offer(sig, peer);
	return peer;
}

static void
give_floor(CbTestSig *staff, gint64 session, const char *publisher)
{
	cb_test_sig_send(staff,
			 "{\"type\":\"floor\",\"session_id\":%" G_GINT64_FORMAT ",\"peer\":\"%s\"}",
			 session, publisher);
	json_object_unref(cb_test_sig_wait(staff, "floor-changed", "peer", publisher));
}

static void
subscribe_session(CbTestSig *sig, gint64 session)
{
	cb_test_sig_send(sig, "{\"type\":\"subscribe\",\"session_id\":%" G_GINT64_FORMAT "}",
			 session);
	json_object_unref(cb_test_sig_wait(sig, "subscribed", NULL, NULL));
}

/* ---- what the segments hold ---- */

typedef struct {
	GstClockTime first;
	GstClockTime last;
	guint buffers;
} Span;

static GstPadProbeReturn
span_probe_cb(GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
	Span *span = user_data;
	GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
	GstClockTime pts = GST_BUFFER_PTS(buffer);
	GstClockTime end;

	if (!GST_CLOCK_TIME_IS_VALID(pts))
		return GST_PAD_PROBE_OK;
	end = pts + (GST_BUFFER_DURATION_IS_VALID(buffer) ? GST_BUFFER_DURATION(buffer) : 0);
	if (!GST_CLOCK_TIME_IS_VALID(span->first) || pts < span->first)
		span->first = pts;
	if (!GST_CLOCK_TIME_IS_VALID(span->last) || end > span->last)
		span->last = end;
	span->buffers++;
	return GST_PAD_PROBE_OK;
}

static void
demux_pad_added_cb(GstElement *demux, GstPad *pad, gpointer user_data)
{
	GstElement *sink = user_data;
	g_autoptr(GstPad) sink_pad = gst_element_get_static_pad(sink, "sink");

	gst_pad_link(pad, sink_pad);
}

/* the time the frames of one segment cover, by demuxing it */
static gdouble
segment_seconds(const char *path)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *desc =
		g_strdup_printf("filesrc location=\"%s\" ! matroskademux name=d", path);
	g_autoptr(GstElement) pipeline = gst_parse_launch(desc, &error);
	GstElement *sink = gst_element_factory_make("fakesink", NULL);
	g_autoptr(GstElement) demux = NULL;
	g_autoptr(GstPad) pad = gst_element_get_static_pad(sink, "sink");
	g_autoptr(GstBus) bus = NULL;
	g_autoptr(GstMessage) msg = NULL;
	Span span = {GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE, 0};

	g_assert_no_error(error);
	g_object_set(sink, "sync", FALSE, NULL);
	gst_bin_add(GST_BIN(pipeline), sink);
	demux = gst_bin_get_by_name(GST_BIN(pipeline), "d");
	g_signal_connect(demux, "pad-added", G_CALLBACK(demux_pad_added_cb), sink);
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, span_probe_cb, &span, NULL);
	gst_element_set_state(pipeline, GST_STATE_PLAYING);
	bus = gst_element_get_bus(pipeline);
	msg = gst_bus_timed_pop_filtered(bus, 20 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
	g_assert_nonnull(msg);
	g_assert_cmpint(GST_MESSAGE_TYPE(msg), ==, GST_MESSAGE_EOS);
	gst_element_set_state(pipeline, GST_STATE_NULL);
	g_assert_cmpuint(span.buffers, >, 0);
	return (gdouble)(span.last - span.first) / GST_SECOND;
}

/* gst-discoverer-1.0 plays it: a container with a stream, and no error */
static void
assert_plays(const char *path)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;
	g_autoptr(GSubprocess) p =
		g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
				 &error, "gst-discoverer-1.0", path, NULL);

	g_assert_no_error(error);
	g_assert_true(g_subprocess_communicate_utf8(p, NULL, NULL, &out, NULL, &error));
	g_assert_no_error(error);
	if (strstr(out, "An error was encountered") != NULL || strstr(out, "Properties:") == NULL)
		g_error("%s does not play:\n%s", path, out);
	g_assert_true(strstr(out, "video #") != NULL || strstr(out, "audio #") != NULL);
}

/* every segment of @part plays, and per track the frames cover the time
 * from the first segment's start to the last one's end within a second;
 * returns how many segments */
static guint
check_segments(const char *folder, gint64 part, gdouble min_seconds)
{
	g_autoptr(GPtrArray) entries = read_manifest(folder);
	g_autoptr(GHashTable) sum = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GHashTable) first =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GHashTable) last = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	GHashTableIter iter;
	gpointer key, value;
	guint n = 0;

	for (guint i = 0; i < entries->len; i++) {
		JsonObject *e = g_ptr_array_index(entries, i);
		const char *file = json_object_get_string_member_with_default(e, "file", "");
		g_autofree char *path = g_build_filename(folder, file, NULL);
		char *track;
		gdouble *total;
		struct stat st;

		if (g_strcmp0(json_object_get_string_member(e, "type"), "segment") != 0 ||
		    json_object_get_int_member(e, "part") != part)
			continue;
		assert_plays(path);
		g_assert_cmpint(stat(path, &st), ==, 0);
		g_assert_cmpint(st.st_mode & 0777, ==, 0600);
		track = g_strdup_printf("%s/%s", json_object_get_string_member(e, "peer"),
					json_object_get_string_member(e, "track"));
		total = g_hash_table_lookup(sum, track);
		if (total == NULL) {
			total = g_new0(gdouble, 1);
			g_hash_table_insert(sum, g_strdup(track), total);
			g_hash_table_insert(
				first, g_strdup(track),
				g_memdup2(&(gint64){json_object_get_int_member(e, "start_us")},
					  sizeof(gint64)));
		}
		*total += segment_seconds(path);
		g_hash_table_insert(last, track,
				    g_memdup2(&(gint64){json_object_get_int_member(e, "end_us")},
					      sizeof(gint64)));
		n++;
	}
	g_hash_table_iter_init(&iter, sum);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		gint64 span_us = *(gint64 *)g_hash_table_lookup(last, key) -
				 *(gint64 *)g_hash_table_lookup(first, key);
		gdouble recorded = (gdouble)span_us / G_USEC_PER_SEC;

		g_test_message("%s: frames cover %.2f s of %.2f s recorded", (const char *)key,
			       *(gdouble *)value, recorded);
		g_assert_cmpfloat(recorded, >=, min_seconds);
		g_assert_cmpfloat(fabs(*(gdouble *)value - recorded), <, 1.0);
	}
	return n;
}

static void
assert_intact(const char *folder)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbManifestReport) report = cb_manifest_verify(folder, CB_MANIFEST_NAME, &error);

	g_assert_no_error(error);
	for (guint i = 0; i < report->problems->len; i++)
		g_test_message("problem: %s", (const char *)g_ptr_array_index(report->problems, i));
	g_assert_true(report->intact);
	g_assert_cmpuint(report->segments, >, 0);
}

/* `civic-bridgectl recording verify` of the session: its exit status */
static int
ctl_verify(MediaFixture *f, gint64 session, gboolean confidential)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *id = g_strdup_printf("%" G_GINT64_FORMAT, session);
	g_autofree char *out = NULL;
	g_autoptr(GSubprocess) p = g_subprocess_new(
		G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE, &error,
		cb_test_program("CB_CTL_PATH"), "--state-dir", f->d->state_dir, "recording",
		"verify", id, confidential ? "--confidential" : NULL, NULL);

	g_assert_no_error(error);
	g_assert_true(g_subprocess_communicate_utf8(p, NULL, NULL, &out, NULL, &error));
	g_assert_no_error(error);
	g_test_message("recording verify %s:\n%s", id, out);
	return g_subprocess_get_exit_status(p);
}

/* ---- the tests ---- */

/* the hall and two bridge points in a leadership session: it records from
 * live to ended with nobody pressing a button */
static void
test_leadership_records(MediaFixture *f, gconstpointer data)
{
	gint64 session = leadership_session(f);
	g_autofree char *folder = folder_of(f, session, FALSE);
	g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
	g_autoptr(CbTestSig) op0 = cb_test_sig_connect(f->d, f->op[0]);
	g_autoptr(CbTestSig) op1 = cb_test_sig_connect(f->d, f->op[1]);
	g_autoptr(JsonObject) stopped = NULL;
	g_autofree char *manifest_text = NULL;
	g_autofree char *path = NULL;
	CbTestPeer *hall_sees;
	struct stat st;

	g_assert_false(session_recording(f, session));
	media_session_action(f, session, "start");
	g_assert_true(session_recording(f, session));
	/* the WebSocket's session event says so too */
	for (;;) {
		g_autoptr(JsonObject) event = cb_test_sig_wait(staff, "session", NULL, NULL);
		JsonObject *s = json_object_get_object_member(event, "session");

		if (json_object_get_int_member(s, "id") == session &&
		    g_str_equal(json_object_get_string_member(s, "state"), "live")) {
			g_assert_true(json_object_get_boolean_member(s, "recording"));
			break;
		}
	}
	subscribe_session(staff, session);
	publish(staff, session, "cam", W_HALL, TRUE);
	publish(op0, session, "cam", W_BP0, TRUE);
	publish(op1, session, "cam", W_BP1, TRUE);
	hall_sees = cb_test_sig_subscribe(staff, session, f->bp_id[0], "see-bp0");
	CB_TEST_WAIT_UNTIL(cb_test_peer_frames_at(hall_sees, W_BP0) >= 10);
	give_floor(staff, session, f->bp_id[1]);
	/* about 12 s of media */
	/* about 12 s of media from each (a loaded machine connects slowly) */
	pump_for(12000);
	CB_TEST_WAIT_UNTIL_MS(
		fewest_segments(folder, 1,
				(const char *const[]){"hall", f->bp_id[0], f->bp_id[1], NULL}) >= 3,
		60000);
	g_assert_cmpuint(cb_test_peer_frames_at(hall_sees, W_BP0), >=, 100);
	media_session_action(f, session, "end");
	stopped = cb_test_sig_wait(staff, "recording", NULL, NULL);
	g_assert_false(json_object_get_boolean_member(stopped, "active"));
	if (json_object_has_member(stopped, "message"))
		g_printerr("recording stopped: %s\n",
			   json_object_get_string_member(stopped, "message"));
	g_assert_cmpstr(json_object_get_string_member(stopped, "reason"), ==, "session-ended");
	CB_TEST_WAIT_UNTIL_MS(count_entries(folder, "stop", NULL, NULL) == 1, 20000);

	assert_intact(folder);
	g_assert_cmpint(ctl_verify(f, session, FALSE), ==, 0);
	/* three publishers, two tracks each, at least 10 s each */
	g_assert_cmpuint(check_segments(folder, 1, 8.0), >=, 6 * 3);
	g_assert_cmpuint(count_entries(folder, "part", "reason", "leadership"), ==, 1);
	g_assert_cmpuint(count_entries(folder, "stop", "reason", "session-ended"), ==, 1);
	/* the timeline, by room id */
	g_assert_cmpuint(count_entries(folder, "event", "subject", "hall"), >=, 1);
	g_assert_cmpuint(count_entries(folder, "event", "subject", f->bp_id[0]), >=, 1);
	g_assert_cmpuint(count_entries(folder, "event", "subject", f->bp_id[1]), >=, 2);
	g_assert_cmpuint(count_entries(folder, "event", "event", "floor"), ==, 1);
	g_assert_cmpuint(count_entries(folder, "event", "event", "joined"), >=, 4);
	/* no name of anyone, folders for the service only */
	path = g_build_filename(folder, CB_MANIFEST_NAME, NULL);
	g_assert_true(g_file_get_contents(path, &manifest_text, NULL, NULL));
	g_assert_null(strstr(manifest_text, "Phường"));
	g_assert_null(strstr(manifest_text, "Lãnh đạo"));
	g_assert_cmpint(stat(folder, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0700);
	g_assert_false(session_recording(f, session));
}

/* the staff API on a regular session: start, stop, and each refusal */
static void
test_staff_start_stop(MediaFixture *f, gconstpointer data)
{
	g_autofree char *start = g_strdup_printf(
		"/api/v1/sessions/%" G_GINT64_FORMAT "/recording/start", f->session);
	g_autofree char *stop =
		g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT "/recording/stop", f->session);
	g_autofree char *folder = folder_of(f, f->session, FALSE);
	g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
	g_autoptr(CbTestSig) op0 = cb_test_sig_connect(f->d, f->op[0]);
	g_autoptr(JsonObject) on = NULL;
	g_autoptr(JsonObject) off = NULL;
	g_autoptr(JsonNode) answer = NULL;
	g_autoptr(JsonNode) error = NULL;
	gint64 later = media_new_session(f);
	g_autofree char *later_start =
		g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT "/recording/start", later);

	/* a regular session does not record by itself */
	g_assert_false(session_recording(f, f->session));
	subscribe_session(staff, f->session);
	publish(op0, f->session, "cam", W_BP0, FALSE);
	/* an operator may not; nor may anyone on a session that is not live */
	json_node_unref(media_call(f, "POST", start, f->op[0], NULL, 403));
	error = media_call(f, "POST", later_start, f->staff, NULL, 409);
	g_assert_nonnull(
		strstr(json_node_get_string(json_object_get_member(
			       json_object_get_object_member(json_node_get_object(error), "error"),
			       "message")),
		       "only while live"));
	json_node_unref(media_call(f, "POST", "/api/v1/sessions/99999/recording/start", f->staff,
				   NULL, 404));
	json_node_unref(
		media_call(f, "POST", "/api/v1/sessions/abc/recording/start", f->staff, NULL, 400));
	json_node_unref(media_call(f, "POST", start, NULL, NULL, 401));
	json_node_unref(media_call(f, "POST", stop, f->staff, NULL, 409));

	answer = media_call(f, "POST", start, f->staff, NULL, 200);
	g_assert_true(json_object_get_boolean_member(json_node_get_object(answer), "recording"));
	on = cb_test_sig_wait(op0, "recording", NULL, NULL);
	g_assert_true(json_object_get_boolean_member(on, "active"));
	g_assert_cmpstr(json_object_get_string_member(on, "reason"), ==, "staff");
	json_object_unref(cb_test_sig_wait(staff, "recording", NULL, NULL));
	g_assert_true(session_recording(f, f->session));
	json_node_unref(media_call(f, "POST", start, f->staff, NULL, 409));
	CB_TEST_WAIT_UNTIL_MS(
		fewest_segments(folder, 1, (const char *const[]){f->bp_id[0], NULL}) >= 2, 60000);
	json_node_unref(media_call(f, "POST", stop, f->staff, NULL, 200));
	off = cb_test_sig_wait(op0, "recording", NULL, NULL);
	g_assert_false(json_object_get_boolean_member(off, "active"));
	g_assert_false(session_recording(f, f->session));
	json_node_unref(media_call(f, "POST", stop, f->staff, NULL, 409));
	CB_TEST_WAIT_UNTIL_MS(count_entries(folder, "stop", "reason", "staff") == 1, 20000);
	assert_intact(folder);
	g_assert_cmpuint(check_segments(folder, 1, 3.0), >=, 4);

	/* started again: the same folder, part 2 */
	json_node_unref(media_call(f, "POST", start, f->staff, NULL, 200));
	CB_TEST_WAIT_UNTIL_MS(count_entries(folder, "part", NULL, NULL) == 2, 10000);
	CB_TEST_WAIT_UNTIL_MS(
		fewest_segments(folder, 2, (const char *const[]){f->bp_id[0], NULL}) >= 1, 60000);
	json_node_unref(media_call(f, "POST", stop, f->staff, NULL, 200));
	CB_TEST_WAIT_UNTIL_MS(count_entries(folder, "stop", NULL, NULL) == 2, 20000);
	assert_intact(folder);
	g_assert_cmpuint(check_segments(folder, 2, 1.0), >=, 1);
}

/* kill -9 in the middle: every closed segment is intact, at most the one
 * each track was writing is lost, the manifest says where it broke, and the
 * session's next live period records part 2 of the same recording */
static void
test_kill9_continues_in_part_2(MediaFixture *f, gconstpointer data)
{
	gint64 session = leadership_session(f);
	g_autofree char *folder = folder_of(f, session, FALSE);
	g_autoptr(GError) error = NULL;
	guint before, unfinished;

	media_session_action(f, session, "start");
	{
		g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
		g_autoptr(CbTestSig) op0 = cb_test_sig_connect(f->d, f->op[0]);
		CbTestPeer *sees;

		publish(staff, session, "cam", W_HALL, TRUE);
		publish(op0, session, "cam", W_BP0, TRUE);
		sees = cb_test_sig_subscribe(staff, session, f->bp_id[0], "see-bp0");
		CB_TEST_WAIT_UNTIL(cb_test_peer_frames_at(sees, W_BP0) >= 10);
		CB_TEST_WAIT_UNTIL_MS(
			fewest_segments(folder, 1,
					(const char *const[]){"hall", f->bp_id[0], NULL}) >= 2,
			60000);
		pump_for(1000);
		before = count_entries(folder, "segment", NULL, NULL);
		g_assert_cmpint(cb_test_daemon_signal_and_wait(f->d, SIGKILL, 5000), ==,
				128 + SIGKILL);
	}
	if (!cb_test_daemon_start(f->d, &error))
		g_error("daemon did not restart: %s", error->message);
	/* closed on start: the interruption, the unfinished segments, a stop */
	g_assert_cmpuint(count_entries(folder, "interrupted", NULL, NULL), ==, 1);
	g_assert_cmpuint(count_entries(folder, "stop", "reason", "interrupted"), ==, 1);
	unfinished = count_entries(folder, "unfinished", NULL, NULL);
	g_assert_cmpuint(unfinished, <=, 4);
	/* every segment acknowledged before is there, intact */
	g_assert_cmpuint(count_entries(folder, "segment", NULL, NULL), >=, before);
	check_segments(folder, 1, 2.0);
	/* still live: recording goes on in part 2 */
	CB_TEST_WAIT_UNTIL(session_recording(f, session));
	g_assert_cmpuint(count_entries(folder, "part", "reason", "leadership"), ==, 2);
	{
		g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
		g_autoptr(CbTestSig) op0 = cb_test_sig_connect(f->d, f->op[0]);

		publish(staff, session, "cam", W_HALL, TRUE);
		publish(op0, session, "cam", W_BP0, TRUE);
		CB_TEST_WAIT_UNTIL_MS(
			fewest_segments(folder, 2,
					(const char *const[]){"hall", f->bp_id[0], NULL}) >= 2,
			60000);
		media_session_action(f, session, "end");
		CB_TEST_WAIT_UNTIL_MS(count_entries(folder, "stop", NULL, NULL) == 2, 20000);
	}
	assert_intact(folder);
	g_assert_cmpuint(check_segments(folder, 2, 2.0), >=, 8);
}

/* per peer/track of @part, the latest end_us of its segments */
static GHashTable *
track_ends(const char *folder, gint64 part)
{
	g_autoptr(GPtrArray) entries = read_manifest(folder);
	GHashTable *ends = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

	for (guint i = 0; i < entries->len; i++) {
		JsonObject *e = g_ptr_array_index(entries, i);
		g_autofree char *track = NULL;
		gint64 end, *known;

		if (g_strcmp0(json_object_get_string_member(e, "type"), "segment") != 0 ||
		    json_object_get_int_member(e, "part") != part)
			continue;
		track = g_strdup_printf("%s/%s", json_object_get_string_member(e, "peer"),
					json_object_get_string_member(e, "track"));
		end = json_object_get_int_member(e, "end_us");
		known = g_hash_table_lookup(ends, track);
		if (known == NULL)
			g_hash_table_insert(ends, g_steal_pointer(&track),
					    g_memdup2(&end, sizeof(gint64)));
		else
			*known = MAX(*known, end);
	}
	return ends;
}

/* SIGTERM while recording: the daemon finishes the open segments, closes
 * the manifest with a `stop` (reason shutdown) and exits 0; nothing is left
 * unfinished, and the segments reach the stop */
static void
test_sigterm_finishes_segments(MediaFixture *f, gconstpointer data)
{
	gint64 session = leadership_session(f);
	g_autofree char *folder = folder_of(f, session, FALSE);
	g_autoptr(GPtrArray) entries = NULL;
	g_autoptr(GHashTable) ends = NULL;
	g_autoptr(GError) error = NULL;
	GHashTableIter iter;
	gpointer key, value;
	JsonObject *last;
	gint64 signalled_us, waited_us;

	media_session_action(f, session, "start");
	{
		g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
		g_autoptr(CbTestSig) op0 = cb_test_sig_connect(f->d, f->op[0]);
		CbTestPeer *sees;

		publish(staff, session, "cam", W_HALL, TRUE);
		publish(op0, session, "cam", W_BP0, TRUE);
		sees = cb_test_sig_subscribe(staff, session, f->bp_id[0], "see-bp0");
		CB_TEST_WAIT_UNTIL(cb_test_peer_frames_at(sees, W_BP0) >= 10);
		CB_TEST_WAIT_UNTIL_MS(
			fewest_segments(folder, 1,
					(const char *const[]){"hall", f->bp_id[0], NULL}) >= 1,
			60000);
		/* into the middle of the next segments */
		pump_for(SEGMENT_SECONDS * 1000 / 2);
		signalled_us = g_get_real_time();
		/* the daemon's own bound is 10 s; a loaded machine gets a little more */
		g_assert_cmpint(cb_test_daemon_signal_and_wait(f->d, SIGTERM, 20000), ==, 0);
		waited_us = g_get_real_time() - signalled_us;
		g_test_message("stopped in %.2f s", (gdouble)waited_us / G_USEC_PER_SEC);
	}
	entries = read_manifest(folder);
	g_assert_cmpuint(entries->len, >, 0);
	last = g_ptr_array_index(entries, entries->len - 1);
	g_assert_cmpstr(json_object_get_string_member(last, "type"), ==, "stop");
	g_assert_cmpstr(json_object_get_string_member(last, "reason"), ==, "shutdown");
	g_assert_cmpuint(count_entries(folder, "unfinished", NULL, NULL), ==, 0);
	g_assert_cmpuint(count_entries(folder, "interrupted", NULL, NULL), ==, 0);
	assert_intact(folder);
	g_assert_cmpint(ctl_verify(f, session, FALSE), ==, 0);
	/* every segment plays, the frames cover the manifest's times */
	g_assert_cmpuint(check_segments(folder, 1, 1.0), >=, 4 * 2);
	/* each track's last segment ends within 2 s of the signal */
	ends = track_ends(folder, 1);
	g_assert_cmpuint(g_hash_table_size(ends), ==, 4);
	g_hash_table_iter_init(&iter, ends);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		gint64 short_us = signalled_us - *(gint64 *)value;

		g_test_message("%s ends %.2f s before the signal", (const char *)key,
			       (gdouble)short_us / G_USEC_PER_SEC);
		g_assert_cmpint(short_us, <, 2 * G_USEC_PER_SEC);
	}
	/* the next start finds nothing to close */
	if (!cb_test_daemon_start(f->d, &error))
		g_error("daemon did not restart: %s", error->message);
	g_assert_cmpuint(count_entries(folder, "interrupted", NULL, NULL), ==, 0);
	g_assert_cmpuint(count_entries(folder, "stop", NULL, NULL), ==, 1);
}

/* the staff's recording of a regular session outlives a crash; their stop
 * outlives a restart */
static void
test_staff_recording_resumes(MediaFixture *f, gconstpointer data)
{
	g_autofree char *start = g_strdup_printf(
		"/api/v1/sessions/%" G_GINT64_FORMAT "/recording/start", f->session);
	g_autofree char *stop =
		g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT "/recording/stop", f->session);
	g_autofree char *folder = folder_of(f, f->session, FALSE);
	g_autofree char *marker_name = g_strdup_printf(".staff-%" G_GINT64_FORMAT, f->session);
	g_autofree char *marker =
		g_build_filename(f->d->state_dir, CB_RECORDINGS_DIR, marker_name, NULL);
	g_autoptr(GError) error = NULL;

	{
		g_autoptr(CbTestSig) op0 = cb_test_sig_connect(f->d, f->op[0]);

		publish(op0, f->session, "cam", W_BP0, FALSE);
		json_node_unref(media_call(f, "POST", start, f->staff, NULL, 200));
		g_assert_true(g_file_test(marker, G_FILE_TEST_IS_REGULAR));
		CB_TEST_WAIT_UNTIL_MS(
			fewest_segments(folder, 1, (const char *const[]){f->bp_id[0], NULL}) >= 1,
			60000);
		g_assert_cmpint(cb_test_daemon_signal_and_wait(f->d, SIGKILL, 5000), ==,
				128 + SIGKILL);
	}
	if (!cb_test_daemon_start(f->d, &error))
		g_error("daemon did not restart: %s", error->message);
	/* the session is still live: the staff's recording goes on in part 2 */
	CB_TEST_WAIT_UNTIL(session_recording(f, f->session));
	g_assert_cmpuint(count_entries(folder, "stop", "reason", "interrupted"), ==, 1);
	CB_TEST_WAIT_UNTIL_MS(count_entries(folder, "part", "reason", "staff") == 2, 10000);
	{
		g_autoptr(CbTestSig) op0 = cb_test_sig_connect(f->d, f->op[0]);

		publish(op0, f->session, "cam", W_BP0, TRUE);
		CB_TEST_WAIT_UNTIL_MS(
			fewest_segments(folder, 2, (const char *const[]){f->bp_id[0], NULL}) >= 1,
			60000);
		json_node_unref(media_call(f, "POST", stop, f->staff, NULL, 200));
	}
	g_assert_false(g_file_test(marker, G_FILE_TEST_EXISTS));
	CB_TEST_WAIT_UNTIL_MS(count_entries(folder, "stop", "reason", "staff") == 1, 20000);
	/* the stop is remembered across a restart; markers of no live session,
	 * or that name none, start nothing and harm nothing */
	g_assert_cmpint(cb_test_daemon_signal_and_wait(f->d, SIGTERM, 20000), ==, 0);
	for (guint i = 0; i < 2; i++) {
		g_autofree char *stray =
			g_build_filename(f->d->state_dir, CB_RECORDINGS_DIR,
					 i == 0 ? ".staff-99999" : ".staff-x", NULL);
		g_assert_true(g_file_set_contents(stray, "staff\n", -1, NULL));
	}
	if (!cb_test_daemon_start(f->d, &error))
		g_error("daemon did not restart: %s", error->message);
	pump_for(2000);
	g_assert_false(session_recording(f, f->session));
	json_node_unref(media_call(f, "GET", "/api/v1/recordings", f->staff, NULL, 200));
	g_assert_cmpuint(count_entries(folder, "part", NULL, NULL), ==, 2);
	assert_intact(folder);
	check_segments(folder, 2, 1.0);
}

/* free space under the floor: recording refuses with a clear message, the
 * live media flow as before */
static void
test_disk_floor_refuses(MediaFixture *f, gconstpointer data)
{
	g_autofree char *start = g_strdup_printf(
		"/api/v1/sessions/%" G_GINT64_FORMAT "/recording/start", f->session);
	gint64 session = leadership_session(f);
	g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
	g_autoptr(CbTestSig) op0 = cb_test_sig_connect(f->d, f->op[0]);
	g_autoptr(JsonNode) error = NULL;
	g_autofree char *folder = folder_of(f, session, FALSE);
	const char *message;
	CbTestPeer *sees;

	error = media_call(f, "POST", start, f->staff, NULL, 409);
	message = json_object_get_string_member(
		json_object_get_object_member(json_node_get_object(error), "error"), "message");
	g_assert_nonnull(strstr(message, "not enough free disk space"));
	g_assert_nonnull(strstr(message, "min-free-mb"));
	/* a leadership session goes live unrecorded, and its media flow */
	media_session_action(f, session, "start");
	g_assert_false(session_recording(f, session));
	publish(op0, session, "cam", W_BP0, FALSE);
	sees = cb_test_sig_subscribe(staff, session, f->bp_id[0], "see-bp0");
	CB_TEST_WAIT_UNTIL(cb_test_peer_frames_at(sees, W_BP0) >= 30);
	g_assert_false(g_file_test(folder, G_FILE_TEST_EXISTS));
}

/* the recording folder disappears mid-session: recording stops with an
 * error to everyone in the room, the live media go on */
static void
test_folder_removed(MediaFixture *f, gconstpointer data)
{
	g_autofree char *start = g_strdup_printf(
		"/api/v1/sessions/%" G_GINT64_FORMAT "/recording/start", f->session);
	g_autofree char *folder = folder_of(f, f->session, FALSE);
	g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
	g_autoptr(CbTestSig) op0 = cb_test_sig_connect(f->d, f->op[0]);
	g_autoptr(JsonObject) off = NULL;
	CbTestPeer *sees;
	guint frames;

	subscribe_session(staff, f->session);
	publish(op0, f->session, "cam", W_BP0, FALSE);
	sees = cb_test_sig_subscribe(staff, f->session, f->bp_id[0], "see-bp0");
	CB_TEST_WAIT_UNTIL(cb_test_peer_frames_at(sees, W_BP0) >= 10);
	json_node_unref(media_call(f, "POST", start, f->staff, NULL, 200));
	CB_TEST_WAIT_UNTIL_MS(count_entries(folder, "segment", NULL, NULL) >= 2, 20000);
	cb_test_remove_tree(folder);
	do {
		g_clear_pointer(&off, json_object_unref);
		off = cb_test_sig_wait(staff, "recording", NULL, NULL);
	} while (json_object_get_boolean_member(off, "active"));
	g_assert_cmpstr(json_object_get_string_member(off, "reason"), ==, "error");
	g_assert_nonnull(json_object_get_string_member(off, "message"));
	g_test_message("recording stopped: %s", json_object_get_string_member(off, "message"));
	g_assert_false(session_recording(f, f->session));
	frames = cb_test_peer_frames_at(sees, W_BP0);
	CB_TEST_WAIT_UNTIL(cb_test_peer_frames_at(sees, W_BP0) >= frames + 60);
}

/* folders under @folder holding a segment of @peer */
static guint
count_peer_segments(const char *folder, const char *peer)
{
	return count_entries(folder, "segment", "peer", peer);
}

/* a denunciation: the admitted citizen's tracks go to the confidential
 * recording with its own manifest, never into the open one; the handling of
 * the ticket is in the timeline by ticket id */
static void
test_confidential_apart(MediaFixture *f, gconstpointer data)
{
	g_autofree char *start = g_strdup_printf(
		"/api/v1/sessions/%" G_GINT64_FORMAT "/recording/start", f->session);
	g_autofree char *stop =
		g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT "/recording/stop", f->session);
	g_autofree char *folder = folder_of(f, f->session, FALSE);
	g_autofree char *secret = folder_of(f, f->session, TRUE);
	g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
	g_autoptr(CbTestSig) citizen = NULL;
	g_autofree char *token = NULL;
	g_autofree char *subject = NULL;
	gint64 ticket;
	CbTestPeer *sees;

	json_node_unref(media_call(f, "POST", start, f->staff, NULL, 200));
	publish(staff, f->session, "cam", W_HALL, TRUE);
	ticket = media_admit_citizen(f, "denunciation", &token);
	citizen = cb_test_sig_connect(f->d, token);
	publish(citizen, f->session, "me", W_CITIZEN, TRUE);
	sees = cb_test_sig_subscribe(staff, f->session, "citizen", "see-citizen");
	CB_TEST_WAIT_UNTIL(cb_test_peer_frames_at(sees, W_CITIZEN) >= 10);
	CB_TEST_WAIT_UNTIL_MS(count_peer_segments(secret, "citizen") >= 4, 30000);
	media_ticket_action(f, ticket, "finish", "{\"handling\":\"accepted\"}");
	json_object_unref(cb_test_sig_wait(citizen, "peer-left", "peer", "me"));
	pump_for(SEGMENT_SECONDS * 1000);
	json_node_unref(media_call(f, "POST", stop, f->staff, NULL, 200));
	CB_TEST_WAIT_UNTIL_MS(count_entries(folder, "stop", NULL, NULL) == 1 &&
				      count_entries(secret, "stop", NULL, NULL) == 1,
			      20000);

	assert_intact(folder);
	assert_intact(secret);
	g_assert_cmpint(ctl_verify(f, f->session, TRUE), ==, 0);
	check_segments(secret, 1, 2.0);
	g_assert_cmpuint(count_peer_segments(folder, "citizen"), ==, 0);
	g_assert_cmpuint(count_peer_segments(folder, "hall"), >=, 2);
	g_assert_cmpuint(count_peer_segments(secret, "hall"), ==, 0);
	g_assert_cmpuint(count_entries(secret, "part", NULL, NULL), ==, 1);
	/* the ticket's handling, by id */
	subject = g_strdup_printf("ticket:%" G_GINT64_FORMAT, ticket);
	g_assert_cmpuint(count_entries(folder, "event", "subject", subject), >=, 3);
	g_assert_cmpuint(count_entries(folder, "event", "detail", "called"), ==, 1);
	g_assert_cmpuint(count_entries(folder, "event", "detail", "admitted"), ==, 1);
	g_assert_cmpuint(count_entries(folder, "event", "detail", "done"), ==, 1);
	g_assert_cmpuint(count_entries(folder, "event", "subject", "citizen"), >=, 2);
}

/* the free-space floor rises over what is free while recording (a reload
 * stands in for a filling disk): recording stops cleanly, its files closed,
 * staff are told, the live media go on */
static void
test_disk_floor_stops(MediaFixture *f, gconstpointer data)
{
	g_autofree char *start = g_strdup_printf(
		"/api/v1/sessions/%" G_GINT64_FORMAT "/recording/start", f->session);
	g_autofree char *folder = folder_of(f, f->session, FALSE);
	g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
	g_autoptr(CbTestSig) op0 = cb_test_sig_connect(f->d, f->op[0]);
	g_autoptr(JsonObject) off = NULL;
	CbTestPeer *sees;
	guint frames;

	subscribe_session(staff, f->session);
	publish(op0, f->session, "cam", W_BP0, FALSE);
	sees = cb_test_sig_subscribe(staff, f->session, f->bp_id[0], "see-bp0");
	json_node_unref(media_call(f, "POST", start, f->staff, NULL, 200));
	CB_TEST_WAIT_UNTIL_MS(count_entries(folder, "segment", NULL, NULL) >= 2, 20000);
	cb_test_daemon_set_config(f->d, CONFIG_REC("min-free-mb=4000000000"));
	g_assert_cmpint(kill(atoi(g_subprocess_get_identifier(f->d->process)), SIGHUP), ==, 0);
	do {
		g_clear_pointer(&off, json_object_unref);
		off = cb_test_sig_wait(staff, "recording", NULL, NULL);
	} while (json_object_get_boolean_member(off, "active"));
	g_assert_cmpstr(json_object_get_string_member(off, "reason"), ==, "disk-full");
	g_assert_nonnull(strstr(json_object_get_string_member(off, "message"), "min-free-mb"));
	CB_TEST_WAIT_UNTIL_MS(count_entries(folder, "stop", "reason", "disk-full") == 1, 20000);
	assert_intact(folder);
	check_segments(folder, 1, 1.0);
	frames = cb_test_peer_frames_at(sees, W_BP0);
	CB_TEST_WAIT_UNTIL(cb_test_peer_frames_at(sees, W_BP0) >= frames + 60);
}

int
main(int argc, char **argv)
{
	gst_init(&argc, &argv);
	g_test_init(&argc, &argv, NULL);
	g_test_add("/civic-bridge/media-recording/leadership-records", MediaFixture, CONFIG_REC(""),
		   media_fixture_setup_config, test_leadership_records, media_fixture_teardown);
	g_test_add("/civic-bridge/media-recording/staff-start-stop", MediaFixture, CONFIG_REC(""),
		   media_fixture_setup_config, test_staff_start_stop, media_fixture_teardown);
	g_test_add("/civic-bridge/media-recording/kill9-continues-in-part-2", MediaFixture,
		   CONFIG_REC(""), media_fixture_setup_config, test_kill9_continues_in_part_2,
		   media_fixture_teardown);
	g_test_add("/civic-bridge/media-recording/disk-floor-refuses", MediaFixture,
		   CONFIG_REC("min-free-mb=4000000000"), media_fixture_setup_config,
		   test_disk_floor_refuses, media_fixture_teardown);
	g_test_add("/civic-bridge/media-recording/folder-removed", MediaFixture, CONFIG_REC(""),
		   media_fixture_setup_config, test_folder_removed, media_fixture_teardown);
	g_test_add("/civic-bridge/media-recording/confidential-apart", MediaFixture, CONFIG_REC(""),
		   media_fixture_setup_config, test_confidential_apart, media_fixture_teardown);
	g_test_add("/civic-bridge/media-recording/disk-floor-stops", MediaFixture, CONFIG_REC(""),
		   media_fixture_setup_config, test_disk_floor_stops, media_fixture_teardown);
	g_test_add("/civic-bridge/media-recording/sigterm-finishes-segments", MediaFixture,
		   CONFIG_REC(""), media_fixture_setup_config, test_sigterm_finishes_segments,
		   media_fixture_teardown);
	g_test_add("/civic-bridge/media-recording/staff-recording-resumes", MediaFixture,
		   CONFIG_REC(""), media_fixture_setup_config, test_staff_recording_resumes,
		   media_fixture_teardown);
	return g_test_run();
}
