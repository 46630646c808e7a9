#define G_LOG_DOMAIN "CbTestMediaRouting"

/*
 * Who receives whom, through the real daemon: GStreamer test peers as the
 * hall, two bridge points and an admitted citizen join a live session over
 * /api/v1/ws. Every publisher sends its own picture width, so a receiver
 * tells by what it decodes whose frames it got: exactly those the routing
 * rules allow, before and after the floor moves, while a case is
 * confidential, and after staff mute or remove a peer. Run inside
 * `unshare -n` with loopback up.
 */

#include "media-fixture.h"

#define frames_at cb_test_peer_frames_at
#define audio     cb_test_peer_audio

/* waits until @peer has decoded @n more frames of @width */
static void
more_frames(CbTestPeer *peer, guint width, guint n)
{
	guint before = frames_at(peer, width);

	CB_TEST_WAIT_UNTIL(frames_at(peer, width) >= before + n);
}

/* staff move the floor (NULL: nobody) and hear it moved */
static void
give_floor(MediaFixture *f, CbTestSig *staff, const char *publisher)
{
	g_autofree char *peer =
		publisher != NULL ? g_strdup_printf("\"%s\"", publisher) : g_strdup("null");
	g_autoptr(JsonObject) changed = NULL;

	cb_test_sig_send(staff,
			 "{\"type\":\"floor\",\"session_id\":%" G_GINT64_FORMAT ",\"peer\":%s}",
			 f->session, peer);
	changed = cb_test_sig_wait(staff, "floor-changed", "peer", publisher);
}

/* the hall receives each bridge point, a bridge point the hall, and the
 * floor receivers whoever holds the floor, nobody else */
static void
test_hall_and_floor(MediaFixture *f, gconstpointer data)
{
	g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
	g_autoptr(CbTestSig) op0 = cb_test_sig_connect(f->d, f->op[0]);
	g_autoptr(CbTestSig) op1 = cb_test_sig_connect(f->d, f->op[1]);
	CbTestPeer *hall_bp0, *hall_bp1, *bp0_hall, *bp1_floor, *hall_floor;
	guint old, total;

	media_subscribe_events(f, staff);
	cb_test_sig_publish(staff, f->session, "cam", W_HALL);
	cb_test_sig_publish(op0, f->session, "cam", W_BP0);
	cb_test_sig_publish(op1, f->session, "cam", W_BP1);
	hall_bp0 = cb_test_sig_subscribe(staff, f->session, f->bp_id[0], "see-bp0");
	hall_bp1 = cb_test_sig_subscribe(staff, f->session, f->bp_id[1], "see-bp1");
	bp0_hall = cb_test_sig_subscribe(op0, f->session, "hall", "see-hall");
	bp1_floor = cb_test_sig_subscribe(op1, f->session, "floor", "floor");
	hall_floor = cb_test_sig_subscribe(staff, f->session, "floor", "floor");

	CB_TEST_WAIT_UNTIL(frames_at(hall_bp0, W_BP0) >= 10 && frames_at(hall_bp1, W_BP1) >= 10 &&
			   frames_at(bp0_hall, W_HALL) >= 10);
	CB_TEST_WAIT_UNTIL(audio(hall_bp0) > 0 && audio(hall_bp1) > 0 && audio(bp0_hall) > 0);
	/* nobody has the floor yet: its receivers are connected and get nothing */
	cb_test_sig_wait_connected(op1, "floor");
	cb_test_sig_wait_connected(staff, "floor");
	more_frames(hall_bp0, W_BP0, 15);
	g_assert_cmpuint(cb_test_peer_frames(bp1_floor), ==, 0);
	g_assert_cmpuint(cb_test_peer_frames(hall_floor), ==, 0);
	g_assert_cmpuint(audio(bp1_floor), ==, 0);

	/* the floor to bridge point 0: both floor receivers see it */
	give_floor(f, staff, f->bp_id[0]);
	CB_TEST_WAIT_UNTIL(frames_at(bp1_floor, W_BP0) >= 10 && frames_at(hall_floor, W_BP0) >= 10);
	g_assert_cmpuint(audio(bp1_floor), >, 0);

	/* to bridge point 1: the new holder's frames, and no more of the old */
	give_floor(f, staff, f->bp_id[1]);
	CB_TEST_WAIT_UNTIL(frames_at(bp1_floor, W_BP1) >= 10 && frames_at(hall_floor, W_BP1) >= 10);
	old = frames_at(bp1_floor, W_BP0);
	more_frames(bp1_floor, W_BP1, 30);
	g_assert_cmpuint(frames_at(bp1_floor, W_BP0), ==, old);

	/* to nobody: the floor receivers stop (2 s of video is 30 frames; the
	 * 300 ms in flight at most arrive) */
	give_floor(f, staff, NULL);
	total = cb_test_peer_frames(bp1_floor);
	more_frames(hall_bp1, W_BP1, 30);
	g_assert_cmpuint(cb_test_peer_frames(bp1_floor), <=, total + 8);

	/* every receiver decoded exactly the publishers the rules allow */
	g_assert_cmpuint(cb_test_peer_frames_except(hall_bp0, W_BP0), ==, 0);
	g_assert_cmpuint(cb_test_peer_frames_except(hall_bp1, W_BP1), ==, 0);
	g_assert_cmpuint(cb_test_peer_frames_except(bp0_hall, W_HALL), ==, 0);
	for (guint i = 0; i < 2; i++) {
		CbTestPeer *floor = i == 0 ? bp1_floor : hall_floor;
		g_assert_cmpuint(frames_at(floor, W_HALL) + frames_at(floor, W_CITIZEN), ==, 0);
	}
}

/* a denunciation: the citizen's media reaches the hall only; a complaint
 * after it reaches the bridge points again */
static void
test_confidential(MediaFixture *f, gconstpointer data)
{
	g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
	g_autoptr(CbTestSig) op0 = cb_test_sig_connect(f->d, f->op[0]);
	g_autoptr(CbTestSig) op1 = cb_test_sig_connect(f->d, f->op[1]);
	g_autoptr(CbTestSig) citizen = NULL;
	g_autoptr(CbTestSig) next = NULL;
	g_autoptr(JsonObject) refused = NULL;
	g_autoptr(JsonObject) left = NULL;
	g_autofree char *token = NULL;
	g_autofree char *next_token = NULL;
	CbTestPeer *bp0_floor, *bp0_hall, *hall_floor, *hall_citizen;
	gint64 ticket;

	media_subscribe_events(f, staff);
	ticket = media_admit_citizen(f, "denunciation", &token);
	citizen = cb_test_sig_connect(f->d, token);
	cb_test_sig_publish(staff, f->session, "cam", W_HALL);
	cb_test_sig_publish(op1, f->session, "cam", W_BP1);
	cb_test_sig_publish(citizen, f->session, "me", W_CITIZEN);
	give_floor(f, staff, "citizen");
	bp0_floor = cb_test_sig_subscribe(op0, f->session, "floor", "floor");
	bp0_hall = cb_test_sig_subscribe(op0, f->session, "hall", "see-hall");
	hall_floor = cb_test_sig_subscribe(staff, f->session, "floor", "floor");
	hall_citizen = cb_test_sig_subscribe(staff, f->session, "citizen", "see-citizen");

	cb_test_sig_wait_connected(op0, "floor");
	CB_TEST_WAIT_UNTIL(frames_at(hall_floor, W_CITIZEN) >= 15 && audio(hall_floor) >= 25 &&
			   frames_at(hall_citizen, W_CITIZEN) >= 15 &&
			   frames_at(bp0_hall, W_HALL) >= 15);
	g_assert_cmpuint(cb_test_peer_frames(bp0_floor), ==, 0);
	g_assert_cmpuint(audio(bp0_floor), ==, 0);
	/* nor may a bridge point ask for the citizen by name */
	refused = cb_test_sig_join(op0, f->session, "subscriber", "citizen", "peek");
	g_assert_cmpstr(cb_test_error_code(refused), ==, "forbidden");

	/* the same bridge-point receiver carries another holder of the floor */
	give_floor(f, staff, f->bp_id[1]);
	CB_TEST_WAIT_UNTIL(frames_at(bp0_floor, W_BP1) >= 10);
	g_assert_cmpuint(frames_at(bp0_floor, W_CITIZEN), ==, 0);
	give_floor(f, staff, "citizen");
	more_frames(hall_floor, W_CITIZEN, 30);
	g_assert_cmpuint(frames_at(bp0_floor, W_CITIZEN), ==, 0);

	/* the case is done: the citizen's peers leave */
	media_ticket_action(f, ticket, "finish", "{\"handling\":\"accepted\"}");
	left = cb_test_sig_wait(citizen, "peer-left", "peer", "me");
	g_assert_cmpstr(json_object_get_string_member(left, "reason"), ==, "ticket");

	/* a complaint next: bridge points see and hear its citizen */
	media_admit_citizen(f, "complaint", &next_token);
	next = cb_test_sig_connect(f->d, next_token);
	cb_test_sig_publish(next, f->session, "me", W_CITIZEN);
	give_floor(f, staff, "citizen");
	CB_TEST_WAIT_UNTIL(frames_at(bp0_floor, W_CITIZEN) >= 10);
	more_frames(hall_citizen, W_CITIZEN, 10);
	g_assert_cmpuint(frames_at(bp0_floor, W_HALL), ==, 0);
}

static void
mute(MediaFixture *f, CbTestSig *staff, const char *peer, gboolean a, gboolean v)
{
	g_autoptr(JsonObject) muted = NULL;

	cb_test_sig_send(staff,
			 "{\"type\":\"mute\",\"session_id\":%" G_GINT64_FORMAT
			 ",\"peer\":\"%s\",\"audio\":%s,\"video\":%s}",
			 f->session, peer, a ? "true" : "false", v ? "true" : "false");
	muted = cb_test_sig_wait(staff, "muted", "peer", peer);
	g_assert_true(json_object_get_boolean_member(muted, "audio") == a);
	g_assert_true(json_object_get_boolean_member(muted, "video") == v);
}

static void
remove_peer(MediaFixture *f, CbTestSig *staff, const char *peer)
{
	g_autoptr(JsonObject) left = NULL;

	cb_test_sig_send(
		staff, "{\"type\":\"remove\",\"session_id\":%" G_GINT64_FORMAT ",\"peer\":\"%s\"}",
		f->session, peer);
	left = media_wait_peer_event(staff, peer, "left", "removed");
}

/* staff mute video, then audio, and remove a receiver and a publisher:
 * the receivers see and hear it, the others go on */
static void
test_mute_and_remove(MediaFixture *f, gconstpointer data)
{
	g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
	g_autoptr(CbTestSig) op0 = cb_test_sig_connect(f->d, f->op[0]);
	g_autoptr(CbTestSig) op1 = cb_test_sig_connect(f->d, f->op[1]);
	g_autoptr(JsonObject) left = NULL;
	CbTestPeer *hall_bp0, *hall_bp1, *bp1_floor;
	guint v, a, fl, h1;

	media_subscribe_events(f, staff);
	cb_test_sig_publish(op0, f->session, "cam", W_BP0);
	cb_test_sig_publish(op1, f->session, "cam", W_BP1);
	hall_bp0 = cb_test_sig_subscribe(staff, f->session, f->bp_id[0], "see-bp0");
	hall_bp1 = cb_test_sig_subscribe(staff, f->session, f->bp_id[1], "see-bp1");
	bp1_floor = cb_test_sig_subscribe(op1, f->session, "floor", "floor");
	give_floor(f, staff, f->bp_id[0]);
	CB_TEST_WAIT_UNTIL(frames_at(hall_bp0, W_BP0) >= 10 && frames_at(hall_bp1, W_BP1) >= 10 &&
			   frames_at(bp1_floor, W_BP0) >= 10 && audio(hall_bp0) >= 10);

	/* video muted: no frames of bridge point 0 anywhere, its sound goes on */
	mute(f, staff, f->bp_id[0], FALSE, TRUE);
	v = frames_at(hall_bp0, W_BP0);
	fl = frames_at(bp1_floor, W_BP0);
	a = audio(hall_bp0);
	h1 = frames_at(hall_bp1, W_BP1);
	CB_TEST_WAIT_UNTIL(frames_at(hall_bp1, W_BP1) >= h1 + 30 && audio(hall_bp0) >= a + 75);
	g_assert_cmpuint(frames_at(hall_bp0, W_BP0), <=, v + 8);
	g_assert_cmpuint(frames_at(bp1_floor, W_BP0), <=, fl + 8);

	/* audio muted instead: the picture comes back, the sound stops */
	mute(f, staff, f->bp_id[0], TRUE, FALSE);
	CB_TEST_WAIT_UNTIL(frames_at(hall_bp0, W_BP0) >= v + 20 &&
			   frames_at(bp1_floor, W_BP0) >= fl + 20);
	a = audio(hall_bp0);
	more_frames(hall_bp0, W_BP0, 30);
	g_assert_cmpuint(audio(hall_bp0), <=, a + 25);
	mute(f, staff, f->bp_id[0], FALSE, FALSE);
	a = audio(hall_bp0);
	CB_TEST_WAIT_UNTIL(audio(hall_bp0) >= a + 25);

	/* a receiver removed: its owner is told, it gets nothing more */
	remove_peer(f, staff, cb_test_sig_get_peer_id(op1, "floor"));
	left = cb_test_sig_wait(op1, "peer-left", "peer", "floor");
	g_assert_cmpstr(json_object_get_string_member(left, "reason"), ==, "removed");
	fl = cb_test_peer_frames(bp1_floor);
	more_frames(hall_bp0, W_BP0, 30);
	g_assert_cmpuint(cb_test_peer_frames(bp1_floor), <=, fl + 8);

	/* a publisher removed: its receivers stop, the others go on */
	remove_peer(f, staff, f->bp_id[0]);
	g_clear_pointer(&left, json_object_unref);
	left = cb_test_sig_wait(op0, "peer-left", "peer", "cam");
	g_assert_cmpstr(json_object_get_string_member(left, "reason"), ==, "removed");
	v = cb_test_peer_frames(hall_bp0);
	more_frames(hall_bp1, W_BP1, 30);
	g_assert_cmpuint(cb_test_peer_frames(hall_bp0), <=, v + 8);
	g_assert_cmpuint(cb_test_peer_frames_except(hall_bp1, W_BP1), ==, 0);
}

int
main(int argc, char **argv)
{
	gst_init(&argc, &argv);
	g_test_init(&argc, &argv, NULL);
	g_test_add("/civic-bridge/media-routing/hall-and-floor", MediaFixture, NULL,
		   media_fixture_setup, test_hall_and_floor, media_fixture_teardown);
	g_test_add("/civic-bridge/media-routing/confidential", MediaFixture, NULL,
		   media_fixture_setup, test_confidential, media_fixture_teardown);
	g_test_add("/civic-bridge/media-routing/mute-and-remove", MediaFixture, NULL,
		   media_fixture_setup, test_mute_and_remove, media_fixture_teardown);
	return g_test_run();
}
