/*
 * Media signalling against the real daemon: GStreamer test peers (webrtcbin
 * in this process, as in tests/test-room.c) join a live session's room over
 * /api/v1/ws and WHIP, and media flows. Run inside `unshare -n` with
 * loopback up: ICE uses 127.0.0.1 only.
 */
#include <string.h>

#include "cb-test-daemon.h"
#include "cb-test-sig.h"

#define WAIT_UNTIL CB_TEST_WAIT_UNTIL

/* ---- the fixture: a live session, a staff member and two bridge points ---- */

typedef struct {
	CbTestDaemon *d;
	char *staff;
	gint64 session;
	gint64 bp[2];
	char *op[2];
} Fixture;

static JsonNode *
call(Fixture *f, const char *method, const char *path, const char *token, const char *body,
     guint want)
{
	JsonNode *answer = NULL;
	guint status = cb_test_http(f->d, method, path, token, body, &answer);

	if (status != want)
		g_error("%s %s: %u, wanted %u", method, path, status, want);
	return answer;
}

static gint64
new_session(Fixture *f)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GDateTime) start = g_date_time_add_minutes(now, 10);
	g_autofree char *iso = g_date_time_format_iso8601(start);
	g_autofree char *body = g_strdup_printf("{\"title\":\"Tiếp công dân\",\"kind\":\"regular\","
						"\"starts_at\":\"%s\",\"duration_minutes\":180}",
						iso);
	g_autoptr(JsonNode) session = call(f, "POST", "/api/v1/sessions", f->staff, body, 201);

	return json_object_get_int_member(json_node_get_object(session), "id");
}

static void
session_action(Fixture *f, gint64 session, const char *action)
{
	g_autofree char *path =
		g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT "/%s", session, action);
	g_autoptr(JsonNode) answer = call(f, "POST", path, f->staff, NULL, 200);
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->d = cb_test_daemon_new();
	cb_test_daemon_set_config(f->d, "[media]\nice-addresses=127.0.0.1\n"
					"client-ice-servers=stun:stun.example.org:3478\n");
	if (!cb_test_daemon_start(f->d, &error))
		g_error("daemon did not start: %s", error->message);
	f->staff = cb_test_daemon_issue_token(f->d, CB_ROLE_STAFF, 0, 0, 0);
	for (guint i = 0; i < 2; i++) {
		g_autofree char *body =
			g_strdup_printf("{\"code\":\"bp-%u\",\"name\":\"Phường %u\"}", i, i);
		g_autoptr(JsonNode) bp =
			call(f, "POST", "/api/v1/bridge-points", f->d->admin_token, body, 201);
		f->bp[i] = json_object_get_int_member(json_node_get_object(bp), "id");
		f->op[i] = cb_test_daemon_issue_token(f->d, CB_ROLE_OPERATOR, f->bp[i], 0, 0);
	}
	f->session = new_session(f);
	session_action(f, f->session, "start");
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	cb_test_daemon_free(f->d);
	g_free(f->staff);
	g_free(f->op[0]);
	g_free(f->op[1]);
}

static char *
bp_id(Fixture *f, guint i)
{
	return g_strdup_printf("bp-%" G_GINT64_FORMAT, f->bp[i]);
}

/* ---- tests ---- */

/* the hall and a bridge point see each other; the floor reaches another
 * bridge point; a bridge point may not receive another; the session's end
 * closes every peer */
static void
test_ws_media(Fixture *f, gconstpointer data)
{
	g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
	g_autoptr(CbTestSig) op0 = cb_test_sig_connect(f->d, f->op[0]);
	g_autoptr(CbTestSig) op1 = cb_test_sig_connect(f->d, f->op[1]);
	g_autofree char *bp0 = bp_id(f, 0);
	g_autofree char *bp1 = bp_id(f, 1);
	g_autoptr(JsonObject) refused = NULL;
	g_autoptr(JsonObject) joined_event = NULL;
	g_autoptr(JsonObject) floor_event = NULL;
	g_autoptr(JsonObject) left = NULL;
	CbTestPeer *see_bp, *see_hall, *floor;

	cb_test_sig_send(staff, "{\"type\":\"subscribe\",\"session_id\":%" G_GINT64_FORMAT "}",
			 f->session);
	json_object_unref(cb_test_sig_wait(staff, "subscribed", NULL, NULL));
	cb_test_sig_publish(staff, f->session, "hall-cam", 160);
	cb_test_sig_publish(op0, f->session, "cam", 160);
	joined_event = cb_test_sig_wait(staff, "peer", "id", bp0);
	g_assert_cmpstr(json_object_get_string_member(joined_event, "event"), ==, "joined");
	g_assert_cmpstr(json_object_get_string_member(joined_event, "kind"), ==, "bridge_point");

	/* routing: the hall receives the bridge point, the bridge point the hall */
	see_bp = cb_test_sig_subscribe(staff, f->session, bp0, "see-bp");
	see_hall = cb_test_sig_subscribe(op0, f->session, "hall", "see-hall");
	WAIT_UNTIL(cb_test_peer_frames(see_bp) > 5 && cb_test_peer_frames(see_hall) > 5);
	WAIT_UNTIL(cb_test_peer_audio(see_bp) > 0);

	/* a bridge point may not receive another bridge point */
	refused = cb_test_sig_join(op1, f->session, "subscriber", bp0, "peek");
	g_assert_cmpstr(json_object_get_string_member(refused, "type"), ==, "error");
	g_assert_cmpstr(cb_test_error_code(refused), ==, "forbidden");
	/* nor publish as another */
	g_clear_pointer(&refused, json_object_unref);
	refused = cb_test_sig_join(op1, f->session, "publisher", bp0, "fake");
	g_assert_cmpstr(cb_test_error_code(refused), ==, "forbidden");

	/* the floor: staff give it to bridge point 0; bridge point 1 sees it */
	floor = cb_test_sig_subscribe(op1, f->session, "floor", "floor");
	cb_test_sig_wait_connected(op1, "floor");
	g_assert_cmpint(cb_test_peer_frames(floor), ==, 0);
	cb_test_sig_send(op1,
			 "{\"type\":\"floor\",\"session_id\":%" G_GINT64_FORMAT ",\"peer\":\"%s\"}",
			 f->session, bp0);
	g_clear_pointer(&refused, json_object_unref);
	refused = cb_test_sig_wait(op1, "error", NULL, NULL);
	g_assert_cmpstr(cb_test_error_code(refused), ==, "forbidden");
	cb_test_sig_send(staff,
			 "{\"type\":\"floor\",\"session_id\":%" G_GINT64_FORMAT ",\"peer\":\"%s\"}",
			 f->session, bp0);
	floor_event = cb_test_sig_wait(staff, "floor-changed", "peer", bp0);
	WAIT_UNTIL(cb_test_peer_frames(floor) > 5);

	/* the session ends: every peer's owner hears so */
	session_action(f, f->session, "end");
	left = cb_test_sig_wait(op1, "peer-left", "peer", "floor");
	g_assert_cmpstr(json_object_get_string_member(left, "reason"), ==, "session-ended");
	g_clear_pointer(&left, json_object_unref);
	left = cb_test_sig_wait(op0, "peer-left", "peer", "cam");
	g_assert_cmpstr(json_object_get_string_member(left, "reason"), ==, "session-ended");
	(void)bp1;
}

/* a citizen joins only while admitted, and leaves when the ticket moves on */
static void
test_citizen_admission(Fixture *f, gconstpointer data)
{
	g_autofree char *body =
		g_strdup_printf("{\"session_id\":%" G_GINT64_FORMAT ",\"summary\":\"Nội dung\","
				"\"category\":\"denunciation\",\"citizen_name\":\"A\"}",
				f->session);
	g_autoptr(JsonNode) ticket = call(f, "POST", "/api/v1/register", NULL, body, 201);
	JsonObject *t = json_node_get_object(ticket);
	gint64 id = json_object_get_int_member(t, "id");
	g_autoptr(CbTestSig) citizen =
		cb_test_sig_connect(f->d, json_object_get_string_member(t, "token"));
	g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
	g_autoptr(JsonObject) refused = NULL;
	g_autoptr(JsonObject) left = NULL;
	g_autofree char *path = NULL;
	CbTestPeer *see_hall;

	refused = cb_test_sig_join(citizen, f->session, "publisher", NULL, "me");
	g_assert_cmpstr(cb_test_error_code(refused), ==, "forbidden");
	path = g_strdup_printf("/api/v1/tickets/%" G_GINT64_FORMAT "/call", id);
	json_node_unref(call(f, "POST", path, f->staff, NULL, 200));
	g_clear_pointer(&refused, json_object_unref);
	refused = cb_test_sig_join(citizen, f->session, "publisher", NULL, "me");
	g_assert_cmpstr(cb_test_error_code(refused), ==, "forbidden");
	g_free(path);
	path = g_strdup_printf("/api/v1/tickets/%" G_GINT64_FORMAT "/admit", id);
	json_node_unref(call(f, "POST", path, f->staff, NULL, 200));

	/* admitted: the citizen publishes, and sees the hall but no bridge point */
	cb_test_sig_publish(staff, f->session, "hall-cam", 160);
	cb_test_sig_publish(citizen, f->session, "me", 160);
	g_clear_pointer(&refused, json_object_unref);
	refused = cb_test_sig_join(citizen, f->session, "subscriber", "floor", "floor");
	g_assert_cmpstr(cb_test_error_code(refused), ==, "forbidden");
	see_hall = cb_test_sig_subscribe(citizen, f->session, "hall", "see-hall");
	WAIT_UNTIL(cb_test_peer_frames(see_hall) > 5);

	/* done: the citizen's peers go */
	g_free(path);
	path = g_strdup_printf("/api/v1/tickets/%" G_GINT64_FORMAT "/finish", id);
	json_node_unref(call(f, "POST", path, f->staff, "{\"handling\":\"accepted\"}", 200));
	left = cb_test_sig_wait(citizen, "peer-left", "peer", "me");
	g_assert_cmpstr(json_object_get_string_member(left, "reason"), ==, "ticket");
	g_clear_pointer(&left, json_object_unref);
	left = cb_test_sig_wait(citizen, "peer-left", "peer", "see-hall");
	g_assert_cmpstr(json_object_get_string_member(left, "reason"), ==, "ticket");
}

/* ---- WHIP ---- */

typedef struct {
	guint status;
	SoupMessageHeaders *headers;
	char *body;
} Reply;

static void
reply_clear(Reply *r)
{
	g_clear_pointer(&r->headers, soup_message_headers_unref);
	g_clear_pointer(&r->body, g_free);
}

static Reply
whip(Fixture *f, const char *method, const char *path, const char *token, const char *type,
     const char *body)
{
	g_autoptr(SoupSession) session = soup_session_new_with_options("timeout", 20, NULL);
	g_autofree char *uri = g_strconcat(f->d->url, path, NULL);
	g_autoptr(SoupMessage) msg = soup_message_new(method, uri);
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GError) error = NULL;
	Reply r = {0};

	if (token != NULL) {
		g_autofree char *value = g_strconcat("Bearer ", token, NULL);
		soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization",
					     value);
	}
	if (body != NULL) {
		g_autoptr(GBytes) bytes = g_bytes_new(body, strlen(body));
		soup_message_set_request_body_from_bytes(msg, type, bytes);
	}
	answer = soup_session_send_and_read(session, msg, NULL, &error);
	g_assert_no_error(error);
	r.status = soup_message_get_status(msg);
	r.headers = soup_message_headers_ref(soup_message_get_response_headers(msg));
	r.body = g_strndup(g_bytes_get_data(answer, NULL), g_bytes_get_size(answer));
	return r;
}

static char *
attribute(const char *sdp, const char *key)
{
	g_autofree char *needle = g_strdup_printf("a=%s:", key);
	const char *at = strstr(sdp, needle);

	g_assert_nonnull(at);
	at += strlen(needle);
	return g_strndup(at, strcspn(at, "\r\n"));
}

static void
test_whip(Fixture *f, gconstpointer data)
{
	g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
	g_autofree char *bp0 = bp_id(f, 0);
	g_autofree char *path = g_strdup_printf("/whip/%" G_GINT64_FORMAT, f->session);
	CbTestPeer *encoder = cb_test_peer_new_publisher("encoder", 160, 30);
	g_autofree char *offer = cb_test_peer_offer(encoder, TRUE);
	g_autofree char *ufrag = attribute(offer, "ice-ufrag");
	g_autofree char *pwd = attribute(offer, "ice-pwd");
	g_autofree char *mid = attribute(offer, "mid");
	g_autofree char *frag = NULL;
	g_autofree char *restart = NULL;
	g_autoptr(JsonObject) left = NULL;
	Reply r;
	const char *location;
	gint64 other;
	g_autofree char *other_path = NULL;
	g_autofree char *location_copy = NULL;
	CbTestPeer *see_bp;

	/* errors before anything joins */
	r = whip(f, "POST", path, NULL, "application/sdp", offer);
	g_assert_cmpuint(r.status, ==, 401);
	reply_clear(&r);
	r = whip(f, "POST", path, f->staff, "application/sdp", offer);
	g_assert_cmpuint(r.status, ==, 403);
	reply_clear(&r);
	r = whip(f, "POST", "/whip/9999", f->op[0], "application/sdp", offer);
	g_assert_cmpuint(r.status, ==, 404);
	reply_clear(&r);
	other = new_session(f);
	other_path = g_strdup_printf("/whip/%" G_GINT64_FORMAT, other);
	r = whip(f, "POST", other_path, f->op[0], "application/sdp", offer);
	g_assert_cmpuint(r.status, ==, 409);
	reply_clear(&r);
	r = whip(f, "POST", path, f->op[0], "text/plain", offer);
	g_assert_cmpuint(r.status, ==, 415);
	reply_clear(&r);

	/* the offer: 201 with the resource, its tag and an answer with candidates */
	r = whip(f, "POST", path, f->op[0], "application/sdp", offer);
	g_assert_cmpuint(r.status, ==, 201);
	location = soup_message_headers_get_one(r.headers, "Location");
	g_assert_nonnull(location);
	g_assert_true(g_str_has_prefix(location, path));
	location_copy = g_strdup(location);
	g_assert_nonnull(soup_message_headers_get_one(r.headers, "ETag"));
	g_assert_cmpstr(soup_message_headers_get_content_type(r.headers, NULL), ==,
			"application/sdp");
	g_assert_nonnull(strstr(soup_message_headers_get_list(r.headers, "Link"),
				"<stun:stun.example.org:3478>; rel=\"ice-server\""));
	g_assert_nonnull(strstr(r.body, "a=candidate:"));
	g_assert_nonnull(strstr(r.body, "a=end-of-candidates"));
	cb_test_peer_set_answer(encoder, r.body);
	reply_clear(&r);

	/* the hall receives it */
	see_bp = cb_test_sig_subscribe(staff, f->session, bp0, "see-bp");
	WAIT_UNTIL(cb_test_peer_frames(see_bp) > 5);

	/* trickle: 204; an ICE restart: 422; another bridge point: 403 */
	frag = g_strdup_printf("a=ice-ufrag:%s\r\na=ice-pwd:%s\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"
			       "a=mid:%s\r\na=candidate:1 1 UDP 2015363327 127.0.0.1 9 typ host\r\n"
			       "a=end-of-candidates\r\n",
			       ufrag, pwd, mid);
	r = whip(f, "PATCH", location_copy, f->op[0], "application/trickle-ice-sdpfrag", frag);
	g_assert_cmpuint(r.status, ==, 204);
	reply_clear(&r);
	restart = g_strdup_printf("a=ice-ufrag:new0\r\na=ice-pwd:newpasswordnewpassword00\r\n"
				  "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:%s\r\n",
				  mid);
	r = whip(f, "PATCH", location_copy, f->op[0], "application/trickle-ice-sdpfrag", restart);
	g_assert_cmpuint(r.status, ==, 422);
	reply_clear(&r);
	r = whip(f, "PATCH", location_copy, f->op[1], "application/trickle-ice-sdpfrag", frag);
	g_assert_cmpuint(r.status, ==, 403);
	reply_clear(&r);
	r = whip(f, "PATCH", location_copy, f->op[0], "application/sdp", frag);
	g_assert_cmpuint(r.status, ==, 415);
	reply_clear(&r);
	r = whip(f, "DELETE", location_copy, f->op[1], NULL, NULL);
	g_assert_cmpuint(r.status, ==, 403);
	reply_clear(&r);

	/* DELETE: the publisher leaves; then the resource is gone */
	cb_test_sig_send(staff, "{\"type\":\"subscribe\",\"session_id\":%" G_GINT64_FORMAT "}",
			 f->session);
	json_object_unref(cb_test_sig_wait(staff, "subscribed", NULL, NULL));
	r = whip(f, "DELETE", location_copy, f->op[0], NULL, NULL);
	g_assert_cmpuint(r.status, ==, 200);
	reply_clear(&r);
	left = cb_test_sig_wait(staff, "peer", "id", bp0);
	g_assert_cmpstr(json_object_get_string_member(left, "event"), ==, "left");
	g_assert_cmpstr(json_object_get_string_member(left, "via"), ==, "whip");
	r = whip(f, "DELETE", location_copy, f->op[0], NULL, NULL);
	g_assert_cmpuint(r.status, ==, 404);
	reply_clear(&r);
	cb_test_peer_free(encoder);
}

int
main(int argc, char **argv)
{
	gst_init(&argc, &argv);
	g_test_init(&argc, &argv, NULL);
	g_test_add("/civic-bridge/media-signalling/ws-media-floor-and-end", Fixture, NULL,
		   fixture_setup, test_ws_media, fixture_teardown);
	g_test_add("/civic-bridge/media-signalling/citizen-admission", Fixture, NULL, fixture_setup,
		   test_citizen_admission, fixture_teardown);
	g_test_add("/civic-bridge/media-signalling/whip", Fixture, NULL, fixture_setup, test_whip,
		   fixture_teardown);
	return g_test_run();
}
