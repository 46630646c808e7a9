#define G_LOG_DOMAIN "CbTestMediaLeave"

/*
 * A subscriber whose client leaves before its connection ever comes up,
 * while the publisher it receives is sending, through the real daemon.
 * webrtcbin holds what enters it until DTLS is up, so the room's branch
 * thread for that subscriber waits inside webrtcbin; removing the peer used
 * to wait for that thread forever and froze the daemon's main loop (seen in
 * tests/bench/bench-media's join-and-leave cycles). Run inside `unshare -n`
 * with loopback up.
 */

#include "media-fixture.h"

static gboolean
elapsed_cb(gpointer data)
{
	*(gboolean *)data = TRUE;
	return G_SOURCE_REMOVE;
}

/* lets the hall's media reach the branch that was just made */
static void
let_media_flow(guint ms)
{
	gboolean elapsed = FALSE;

	g_timeout_add(ms, elapsed_cb, &elapsed);
	CB_TEST_WAIT_UNTIL(elapsed);
}

/* a bridge point subscribes to the hall, gets its answer, never connects
 * (its webrtcbin is gone, no candidate was sent) and leaves; three times,
 * then the daemon still answers and the hall's own subscriber still gets
 * frames; then it leaves, connected, and a newcomer still gets the hall */
static void
test_leave_before_connected(MediaFixture *f, gconstpointer data)
{
	g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
	g_autoptr(CbTestSig) op = cb_test_sig_connect(f->d, f->op[0]);
	g_autoptr(JsonObject) pong = NULL;
	g_autoptr(JsonObject) gone = NULL;
	CbTestPeer *watcher, *newcomer;
	guint before;

	cb_test_sig_publish(staff, f->session, "cam", W_HALL);
	watcher = cb_test_sig_subscribe(op, f->session, "hall", "watch");
	CB_TEST_WAIT_UNTIL(cb_test_peer_frames_at(watcher, W_HALL) >= 5);

	for (guint i = 0; i < 3; i++) {
		g_autofree char *handle = g_strdup_printf("ghost-%u", i);
		g_autoptr(JsonObject) joined =
			cb_test_sig_join(op, f->session, "subscriber", "hall", handle);
		g_autoptr(JsonObject) answer = NULL;
		g_autoptr(JsonObject) left = NULL;
		CbTestPeer *client = cb_test_peer_new_subscriber(handle);
		g_autofree char *offer = cb_test_peer_offer(client, FALSE);

		g_assert_cmpstr(json_object_get_string_member(joined, "type"), ==, "joined");
		/* the client is gone before the daemon's answer comes */
		cb_test_peer_free(client);
		cb_test_sig_send_sdp(op, handle, offer);
		answer = cb_test_sig_wait(op, "answer", "peer", handle);
		let_media_flow(500);
		cb_test_sig_send(op, "{\"type\":\"leave\",\"peer\":\"%s\"}", handle);
		left = cb_test_sig_wait(op, "peer-left", "peer", handle);
		g_assert_cmpstr(json_object_get_string_member(left, "reason"), ==, "left");
	}

	/* the main loop runs and the room still forwards */
	cb_test_sig_send(op, "{\"type\":\"ping\"}");
	pong = cb_test_sig_wait(op, "pong", NULL, NULL);
	before = cb_test_peer_frames_at(watcher, W_HALL);
	CB_TEST_WAIT_UNTIL(cb_test_peer_frames_at(watcher, W_HALL) >= before + 5);

	/* a connected subscriber leaves too; the hall still reaches a newcomer */
	cb_test_sig_send(op, "{\"type\":\"leave\",\"peer\":\"watch\"}");
	gone = cb_test_sig_wait(op, "peer-left", "peer", "watch");
	newcomer = cb_test_sig_subscribe(op, f->session, "hall", "newcomer");
	CB_TEST_WAIT_UNTIL(cb_test_peer_frames_at(newcomer, W_HALL) >= 5);
}

int
main(int argc, char **argv)
{
	gst_init(&argc, &argv);
	g_test_init(&argc, &argv, NULL);
	g_test_add("/civic-bridge/media-leave/before-connected", MediaFixture, NULL,
		   media_fixture_setup, test_leave_before_connected, media_fixture_teardown);
	return g_test_run();
}
