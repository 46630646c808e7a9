#define G_LOG_DOMAIN "CbTestMediaResilience"

/*
 * Peers that go away, through the real daemon: a publisher whose connection
 * is cut comes back within the grace period and feeds the same receivers; a
 * publisher that does not come back leaves when the grace period ends; a
 * peer that crashes or whose connection fails leaves the others flowing.
 * Publishers differ by picture width, as in test-media-routing.c. Run
 * inside `unshare -n` with loopback up.
 */

#include "media-fixture.h"

#define frames_at cb_test_peer_frames_at

static void
more_frames(CbTestPeer *peer, guint width, guint n)
{
	guint before = frames_at(peer, width);

	CB_TEST_WAIT_UNTIL(frames_at(peer, width) >= before + n);
}

/* the same width a reconnected bridge point 0 sends after its return, so
 * the receiver tells the new connection's frames from the old's */
#define W_BP0_AGAIN 184

/* a bridge point's connection is cut; it joins again (new WebSocket, new
 * offer) within the grace period and the hall receives it again */
static void
test_reconnect(MediaFixture *f, gconstpointer data)
{
	g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
	g_autoptr(CbTestSig) op0 = cb_test_sig_connect(f->d, f->op[0]);
	g_autoptr(CbTestSig) op1 = cb_test_sig_connect(f->d, f->op[1]);
	g_autoptr(CbTestSig) again = NULL;
	g_autoptr(JsonObject) event = NULL;
	CbTestPeer *hall_bp0, *hall_bp1, *bp0_hall;

	media_subscribe_events(f, staff);
	cb_test_sig_publish(staff, f->session, "cam", W_HALL);
	cb_test_sig_publish(op0, f->session, "cam", W_BP0);
	cb_test_sig_publish(op1, f->session, "cam", W_BP1);
	hall_bp0 = cb_test_sig_subscribe(staff, f->session, f->bp_id[0], "see-bp0");
	hall_bp1 = cb_test_sig_subscribe(staff, f->session, f->bp_id[1], "see-bp1");
	bp0_hall = cb_test_sig_subscribe(op0, f->session, "hall", "see-hall");
	CB_TEST_WAIT_UNTIL(frames_at(hall_bp0, W_BP0) >= 10 && frames_at(hall_bp1, W_BP1) >= 10 &&
			   frames_at(bp0_hall, W_HALL) >= 10);

	/* cut: the WebSocket closes and the encoder stops; the slot is kept */
	g_clear_pointer(&op0, cb_test_sig_free);
	event = media_wait_peer_event(staff, f->bp_id[0], "state", "dropped");
	more_frames(hall_bp1, W_BP1, 10);

	/* back, on a new connection with a new offer: the same receiver gets
	 * it, and the bridge point receives the hall again */
	again = cb_test_sig_connect(f->d, f->op[0]);
	cb_test_sig_publish(again, f->session, "cam", W_BP0_AGAIN);
	bp0_hall = cb_test_sig_subscribe(again, f->session, "hall", "see-hall");
	g_clear_pointer(&event, json_object_unref);
	event = media_wait_peer_event(staff, f->bp_id[0], "left", "replaced");
	CB_TEST_WAIT_UNTIL(frames_at(hall_bp0, W_BP0_AGAIN) >= 15 &&
			   frames_at(bp0_hall, W_HALL) >= 10);
	cb_test_sig_wait_connected(again, "cam");
	/* the receiver kept its connection, and got nobody else's frames */
	g_assert_null(cb_test_sig_take(staff, "peer-left", "peer", "see-bp0"));
	g_assert_cmpint(cb_test_peer_get_connection_state(hall_bp0), ==,
			GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED);
	g_assert_cmpuint(frames_at(hall_bp0, W_BP1) + frames_at(hall_bp0, W_HALL), ==, 0);
	more_frames(hall_bp1, W_BP1, 10);
}

/* a publisher that does not come back leaves when the grace period ends;
 * a receiver whose connection closes leaves at once; coming back later is
 * a new join that feeds the receivers of its slot */
static void
test_grace_expires(MediaFixture *f, gconstpointer data)
{
	g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
	g_autoptr(CbTestSig) op0 = cb_test_sig_connect(f->d, f->op[0]);
	g_autoptr(CbTestSig) again = NULL;
	g_autoptr(JsonObject) event = NULL;
	g_autofree char *bp0_receiver = NULL;
	CbTestPeer *hall_bp0, *bp0_hall;
	gint64 dropped_at;

	media_subscribe_events(f, staff);
	cb_test_sig_publish(staff, f->session, "cam", W_HALL);
	cb_test_sig_publish(op0, f->session, "cam", W_BP0);
	hall_bp0 = cb_test_sig_subscribe(staff, f->session, f->bp_id[0], "see-bp0");
	bp0_hall = cb_test_sig_subscribe(op0, f->session, "hall", "see-hall");
	bp0_receiver = g_strdup(cb_test_sig_get_peer_id(op0, "see-hall"));
	CB_TEST_WAIT_UNTIL(frames_at(hall_bp0, W_BP0) >= 10 && frames_at(bp0_hall, W_HALL) >= 10);

	g_clear_pointer(&op0, cb_test_sig_free);
	event = media_wait_peer_event(staff, bp0_receiver, "left", "left");
	g_clear_pointer(&event, json_object_unref);
	event = media_wait_peer_event(staff, f->bp_id[0], "state", "dropped");
	dropped_at = g_get_monotonic_time();
	g_clear_pointer(&event, json_object_unref);
	event = media_wait_peer_event(staff, f->bp_id[0], "left", "gone");
	/* the configured 2 s, not at once */
	g_assert_cmpint(g_get_monotonic_time() - dropped_at, >=, G_TIME_SPAN_SECOND);

	again = cb_test_sig_connect(f->d, f->op[0]);
	cb_test_sig_publish(again, f->session, "cam", W_BP0_AGAIN);
	CB_TEST_WAIT_UNTIL(frames_at(hall_bp0, W_BP0_AGAIN) >= 10);
}

/* a bridge point crashes (no leave, no close frame) and a receiver's ICE
 * fails: staff hear of both, every other peer keeps flowing */
static void
test_failure(MediaFixture *f, gconstpointer data)
{
	g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
	g_autoptr(CbTestSig) op0 = cb_test_sig_connect(f->d, f->op[0]);
	g_autoptr(CbTestSig) op1 = cb_test_sig_connect(f->d, f->op[1]);
	g_autoptr(JsonObject) event = NULL;
	g_autofree char *bp0_receiver = NULL;
	g_autofree char *doomed_id = NULL;
	CbTestPeer *hall_bp0, *hall_bp1, *bp1_hall, *doomed;

	media_subscribe_events(f, staff);
	cb_test_sig_publish(staff, f->session, "cam", W_HALL);
	cb_test_sig_publish(op0, f->session, "cam", W_BP0);
	cb_test_sig_publish(op1, f->session, "cam", W_BP1);
	hall_bp0 = cb_test_sig_subscribe(staff, f->session, f->bp_id[0], "see-bp0");
	hall_bp1 = cb_test_sig_subscribe(staff, f->session, f->bp_id[1], "see-bp1");
	cb_test_sig_subscribe(op0, f->session, "hall", "see-hall");
	bp1_hall = cb_test_sig_subscribe(op1, f->session, "hall", "see-hall");
	bp0_receiver = g_strdup(cb_test_sig_get_peer_id(op0, "see-hall"));
	CB_TEST_WAIT_UNTIL(frames_at(hall_bp0, W_BP0) >= 10 && frames_at(hall_bp1, W_BP1) >= 10 &&
			   frames_at(bp1_hall, W_HALL) >= 10);

	/* bridge point 0 crashes */
	g_clear_pointer(&op0, cb_test_sig_cut);
	event = media_wait_peer_event(staff, bp0_receiver, "left", "left");
	g_clear_pointer(&event, json_object_unref);
	event = media_wait_peer_event(staff, f->bp_id[0], "state", "dropped");
	more_frames(hall_bp1, W_BP1, 30);
	more_frames(bp1_hall, W_HALL, 30);

	/* a receiver that offers and trickles, then dies before ICE connects:
	 * the daemon's checks fail */
	cb_test_sig_join(staff, f->session, "subscriber", f->bp_id[1], "doomed");
	doomed = cb_test_peer_new_subscriber("doomed");
	cb_test_sig_attach(staff, doomed);
	cb_test_sig_send_offer(staff, doomed);
	doomed_id = g_strdup(cb_test_sig_get_peer_id(staff, "doomed"));
	CB_TEST_WAIT_UNTIL(cb_test_peer_gathered(doomed));
	/* let the candidates already handed to the main context go out */
	while (g_main_context_iteration(NULL, FALSE))
		;
	cb_test_sig_drop_peer(staff, "doomed");
	g_clear_pointer(&event, json_object_unref);
	/* libnice gives up on its checks after about 8 s, whatever the load */
	event = media_wait_peer_event_ms(staff, doomed_id, "state", "failed", 45000);
	more_frames(hall_bp1, W_BP1, 15);
	more_frames(bp1_hall, W_HALL, 15);
}

int
main(int argc, char **argv)
{
	gst_init(&argc, &argv);
	g_test_init(&argc, &argv, NULL);
	g_test_add("/civic-bridge/media-resilience/reconnect", MediaFixture, NULL,
		   media_fixture_setup, test_reconnect, media_fixture_teardown);
	g_test_add("/civic-bridge/media-resilience/grace-expires", MediaFixture,
		   "reconnect-grace-seconds=2", media_fixture_setup, test_grace_expires,
		   media_fixture_teardown);
	g_test_add("/civic-bridge/media-resilience/failure", MediaFixture, NULL,
		   media_fixture_setup, test_failure, media_fixture_teardown);
	return g_test_run();
}
