#define G_LOG_DOMAIN "CbTestMediaSignalling"

/*
 * Media signalling against the real daemon: GStreamer test peers (webrtcbin
 * in this process, as in tests/test-room.c) join a live session's room over
 * /api/v1/ws and WHIP, and media flows. Run inside `unshare -n` with
 * loopback up: ICE uses 127.0.0.1 only.
 */
#include <string.h>

#include "media-fixture.h"

#define WAIT_UNTIL CB_TEST_WAIT_UNTIL

/* the daemon also hands clients a STUN server */
#define ICE_SERVERS "client-ice-servers=stun:stun.example.org:3478"

/* ---- tests ---- */

/* the hall and a bridge point see each other; the floor reaches another
 * bridge point; a bridge point may not receive another; the session's end
 * closes every peer */
static void
test_ws_media(MediaFixture *f, gconstpointer data)
{
	g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
	g_autoptr(CbTestSig) op0 = cb_test_sig_connect(f->d, f->op[0]);
	g_autoptr(CbTestSig) op1 = cb_test_sig_connect(f->d, f->op[1]);
	const char *bp0 = f->bp_id[0];
	const char *bp1 = f->bp_id[1];
	g_autoptr(JsonObject) refused = NULL;
	g_autoptr(JsonObject) joined_event = NULL;
	g_autoptr(JsonObject) floor_event = NULL;
	g_autoptr(JsonObject) left = NULL;
	CbTestPeer *see_bp, *see_hall, *floor;

	media_subscribe_events(f, staff);
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
	media_session_action(f, f->session, "end");
	left = cb_test_sig_wait(op1, "peer-left", "peer", "floor");
	g_assert_cmpstr(json_object_get_string_member(left, "reason"), ==, "session-ended");
	g_clear_pointer(&left, json_object_unref);
	left = cb_test_sig_wait(op0, "peer-left", "peer", "cam");
	g_assert_cmpstr(json_object_get_string_member(left, "reason"), ==, "session-ended");
	(void)bp1;
}

/* a citizen joins only while admitted, and leaves when the ticket moves on */
static void
test_citizen_admission(MediaFixture *f, gconstpointer data)
{
	g_autofree char *token = NULL;
	gint64 id = media_register_citizen(f, "denunciation", &token);
	g_autoptr(CbTestSig) citizen = cb_test_sig_connect(f->d, token);
	g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
	g_autoptr(JsonObject) refused = NULL;
	g_autoptr(JsonObject) left = NULL;
	CbTestPeer *see_hall;

	refused = cb_test_sig_join(citizen, f->session, "publisher", NULL, "me");
	g_assert_cmpstr(cb_test_error_code(refused), ==, "forbidden");
	media_ticket_action(f, id, "call", NULL);
	g_clear_pointer(&refused, json_object_unref);
	refused = cb_test_sig_join(citizen, f->session, "publisher", NULL, "me");
	g_assert_cmpstr(cb_test_error_code(refused), ==, "forbidden");
	media_ticket_action(f, id, "admit", NULL);

	/* admitted: the citizen publishes, and sees the hall but no bridge point */
	cb_test_sig_publish(staff, f->session, "hall-cam", 160);
	cb_test_sig_publish(citizen, f->session, "me", 160);
	g_clear_pointer(&refused, json_object_unref);
	refused = cb_test_sig_join(citizen, f->session, "subscriber", "floor", "floor");
	g_assert_cmpstr(cb_test_error_code(refused), ==, "forbidden");
	see_hall = cb_test_sig_subscribe(citizen, f->session, "hall", "see-hall");
	WAIT_UNTIL(cb_test_peer_frames(see_hall) > 5);

	/* done: the citizen's peers go */
	media_ticket_action(f, id, "finish", "{\"handling\":\"accepted\"}");
	left = cb_test_sig_wait(citizen, "peer-left", "peer", "me");
	g_assert_cmpstr(json_object_get_string_member(left, "reason"), ==, "ticket");
	g_clear_pointer(&left, json_object_unref);
	left = cb_test_sig_wait(citizen, "peer-left", "peer", "see-hall");
	g_assert_cmpstr(json_object_get_string_member(left, "reason"), ==, "ticket");
}

/* ---- WHIP ---- */

static void
test_whip(MediaFixture *f, gconstpointer data)
{
	g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
	const char *bp0 = f->bp_id[0];
	g_autofree char *path = g_strdup_printf("/whip/%" G_GINT64_FORMAT, f->session);
	CbTestPeer *encoder = cb_test_peer_new_publisher("encoder", 160, 30);
	g_autofree char *offer = cb_test_peer_offer(encoder, TRUE);
	g_autofree char *ufrag = media_sdp_attribute(offer, "ice-ufrag");
	g_autofree char *pwd = media_sdp_attribute(offer, "ice-pwd");
	g_autofree char *mid = media_sdp_attribute(offer, "mid");
	g_autofree char *frag = NULL;
	g_autofree char *restart = NULL;
	g_autoptr(JsonObject) left = NULL;
	CbTestReply r;
	const char *location;
	gint64 other;
	g_autofree char *other_path = NULL;
	g_autofree char *location_copy = NULL;
	CbTestPeer *see_bp;

	/* errors before anything joins */
	r = cb_test_request(f->d, "POST", path, NULL, "application/sdp", offer);
	g_assert_cmpuint(r.status, ==, 401);
	cb_test_reply_clear(&r);
	r = cb_test_request(f->d, "POST", path, f->staff, "application/sdp", offer);
	g_assert_cmpuint(r.status, ==, 403);
	cb_test_reply_clear(&r);
	r = cb_test_request(f->d, "POST", "/whip/9999", f->op[0], "application/sdp", offer);
	g_assert_cmpuint(r.status, ==, 404);
	cb_test_reply_clear(&r);
	other = media_new_session(f);
	other_path = g_strdup_printf("/whip/%" G_GINT64_FORMAT, other);
	r = cb_test_request(f->d, "POST", other_path, f->op[0], "application/sdp", offer);
	g_assert_cmpuint(r.status, ==, 409);
	cb_test_reply_clear(&r);
	r = cb_test_request(f->d, "POST", path, f->op[0], "text/plain", offer);
	g_assert_cmpuint(r.status, ==, 415);
	cb_test_reply_clear(&r);

	/* the offer: 201 with the resource, its tag and an answer with candidates */
	r = cb_test_request(f->d, "POST", path, f->op[0], "application/sdp", offer);
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
	cb_test_reply_clear(&r);

	/* the hall receives it */
	see_bp = cb_test_sig_subscribe(staff, f->session, bp0, "see-bp");
	WAIT_UNTIL(cb_test_peer_frames(see_bp) > 5);

	/* trickle: 204; an ICE restart: 422; another bridge point: 403 */
	frag = g_strdup_printf("a=ice-ufrag:%s\r\na=ice-pwd:%s\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"
			       "a=mid:%s\r\na=candidate:1 1 UDP 2015363327 127.0.0.1 9 typ host\r\n"
			       "a=end-of-candidates\r\n",
			       ufrag, pwd, mid);
	r = cb_test_request(f->d, "PATCH", location_copy, f->op[0],
			    "application/trickle-ice-sdpfrag", frag);
	g_assert_cmpuint(r.status, ==, 204);
	cb_test_reply_clear(&r);
	restart = g_strdup_printf("a=ice-ufrag:new0\r\na=ice-pwd:newpasswordnewpassword00\r\n"
				  "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:%s\r\n",
				  mid);
	r = cb_test_request(f->d, "PATCH", location_copy, f->op[0],
			    "application/trickle-ice-sdpfrag", restart);
	g_assert_cmpuint(r.status, ==, 422);
	cb_test_reply_clear(&r);
	r = cb_test_request(f->d, "PATCH", location_copy, f->op[1],
			    "application/trickle-ice-sdpfrag", frag);
	g_assert_cmpuint(r.status, ==, 403);
	cb_test_reply_clear(&r);
	r = cb_test_request(f->d, "PATCH", location_copy, f->op[0], "application/sdp", frag);
	g_assert_cmpuint(r.status, ==, 415);
	cb_test_reply_clear(&r);
	r = cb_test_request(f->d, "DELETE", location_copy, f->op[1], NULL, NULL);
	g_assert_cmpuint(r.status, ==, 403);
	cb_test_reply_clear(&r);

	/* DELETE: the publisher leaves; then the resource is gone */
	media_subscribe_events(f, staff);
	r = cb_test_request(f->d, "DELETE", location_copy, f->op[0], NULL, NULL);
	g_assert_cmpuint(r.status, ==, 200);
	cb_test_reply_clear(&r);
	left = cb_test_sig_wait(staff, "peer", "id", bp0);
	g_assert_cmpstr(json_object_get_string_member(left, "event"), ==, "left");
	g_assert_cmpstr(json_object_get_string_member(left, "via"), ==, "whip");
	r = cb_test_request(f->d, "DELETE", location_copy, f->op[0], NULL, NULL);
	g_assert_cmpuint(r.status, ==, 404);
	cb_test_reply_clear(&r);
	cb_test_peer_free(encoder);
}

int
main(int argc, char **argv)
{
	gst_init(&argc, &argv);
	g_test_init(&argc, &argv, NULL);
	g_test_add("/civic-bridge/media-signalling/ws-media-floor-and-end", MediaFixture,
		   ICE_SERVERS, media_fixture_setup, test_ws_media, media_fixture_teardown);
	g_test_add("/civic-bridge/media-signalling/citizen-admission", MediaFixture, ICE_SERVERS,
		   media_fixture_setup, test_citizen_admission, media_fixture_teardown);
	g_test_add("/civic-bridge/media-signalling/whip", MediaFixture, ICE_SERVERS,
		   media_fixture_setup, test_whip, media_fixture_teardown);
	return g_test_run();
}
