#define G_LOG_DOMAIN "CbTestMediaBadInput"

/*
 * Bad and hostile input through the real daemon's signalling: each gets a
 * clear error, and the room and its other peers go on (a hall and a bridge
 * point keep receiving each other throughout, checked at the end). Run
 * inside `unshare -n` with loopback up.
 */

#include <string.h>

#include "media-fixture.h"

#define frames_at cb_test_peer_frames_at

/* [media] max-peers-per-connection of the bad-input daemon: small, so
 * filling a connection is quick; the join flood's batches (8) and "cam" fit */
#define PER_CONNECTION 10
/* its default: the console with 30 bridge points needs 33 */
#define DEFAULT_PER_CONNECTION 40
G_STATIC_ASSERT(DEFAULT_PER_CONNECTION >= 33);

static void
more_frames(CbTestPeer *peer, guint width, guint n)
{
	guint before = frames_at(peer, width);

	CB_TEST_WAIT_UNTIL(frames_at(peer, width) >= before + n);
}

/* the next error @sig gets has @code */
static void
expect_error(CbTestSig *sig, const char *code)
{
	g_autoptr(JsonObject) error = cb_test_sig_wait(sig, "error", NULL, NULL);

	g_assert_cmpstr(cb_test_error_code(error), ==, code);
}

/* the refusal of one peer more than a connection holds names the bound */
static void
expect_too_many(CbTestSig *sig, guint bound)
{
	g_autoptr(JsonObject) error = cb_test_sig_wait(sig, "error", NULL, NULL);
	g_autofree char *says = g_strdup_printf("one connection holds at most %u peers", bound);

	g_assert_cmpstr(cb_test_error_code(error), ==, "too_large");
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(error, "error"),
						      "message"),
			==, says);
}

/* a round trip: every answer to what was sent before has arrived */
static void
sync_with(CbTestSig *sig)
{
	g_autoptr(JsonObject) pong = NULL;

	cb_test_sig_send(sig, "{\"type\":\"ping\"}");
	pong = cb_test_sig_wait(sig, "pong", NULL, NULL);
}

static char *
replace_all(const char *text, const char *from, const char *to)
{
	g_auto(GStrv) parts = g_strsplit(text, from, -1);

	return g_strjoinv(to, parts);
}

/* malformed and hostile offers, then a good one, which it returns */
static char *
bad_offers(MediaFixture *f, CbTestSig *op0)
{
	g_autoptr(CbTestPeer) spoil = cb_test_peer_new_publisher("cam", W_BP0, 30);
	char *offer = cb_test_peer_offer(spoil, FALSE);
	g_autofree char *video = replace_all(offer, "VP8/90000", "XYZ/90000");
	g_autofree char *codecs = replace_all(video, "OPUS/48000", "ABC/48000");
	g_autoptr(GString) huge = g_string_new(offer);
	g_autoptr(JsonObject) joined = cb_test_sig_join(op0, f->session, "publisher", NULL, "cam");

	g_assert_cmpstr(json_object_get_string_member(joined, "type"), ==, "joined");
	cb_test_sig_send_sdp(op0, "cam", "hello");
	expect_error(op0, "invalid_request");
	cb_test_sig_send_sdp(op0, "cam", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
	expect_error(op0, "invalid_request");
	cb_test_sig_send_sdp(op0, "cam", codecs);
	expect_error(op0, "unsupported_media_type");
	while (huge->len <= 40000)
		g_string_append(huge, "a=x-padding:0123456789012345678901234567890123456789\r\n");
	cb_test_sig_send_sdp(op0, "cam", huge->str);
	expect_error(op0, "too_large");
	/* out of order: an answer from a client, an offer for nobody */
	cb_test_sig_send_sdp(op0, "nobody", offer);
	expect_error(op0, "not_found");
	cb_test_sig_send(op0, "{\"type\":\"answer\",\"peer\":\"cam\",\"sdp\":\"v=0\"}");
	expect_error(op0, "invalid_request");
	/* the good offer still works, once */
	cb_test_sig_send_sdp(op0, "cam", offer);
	json_object_unref(cb_test_sig_wait(op0, "answer", "peer", "cam"));
	cb_test_sig_send_sdp(op0, "cam", offer);
	expect_error(op0, "conflict");
	return offer;
}

/* candidates for nobody, for no media section, mDNS names, and thousands */
static void
bad_candidates(CbTestSig *op0)
{
	guint errors = 0;
	JsonObject *error;

	cb_test_sig_send(op0, "{\"type\":\"candidate\",\"peer\":\"nobody\",\"mline\":0,"
			      "\"candidate\":\"candidate:1 1 UDP 1 127.0.0.1 5000 typ host\"}");
	expect_error(op0, "not_found");
	cb_test_sig_send(op0, "{\"type\":\"candidate\",\"peer\":\"cam\",\"mline\":99,"
			      "\"candidate\":\"candidate:1 1 UDP 1 127.0.0.1 5000 typ host\"}");
	expect_error(op0, "invalid_request");
	cb_test_sig_send(op0, "{\"type\":\"candidate\",\"peer\":\"cam\",\"mline\":0,"
			      "\"candidate\":\"hello\"}");
	expect_error(op0, "invalid_request");
	/* an mDNS name is dropped quietly, as a browser's would be */
	cb_test_sig_send(op0, "{\"type\":\"candidate\",\"peer\":\"cam\",\"mline\":0,"
			      "\"candidate\":\"candidate:1 1 udp 2122260223 "
			      "0d4f7e1c-3f3c-4b0e-9c2b-1a2b3c4d5e6f.local 54321 typ host\"}");
	sync_with(op0);
	g_assert_null(cb_test_sig_take(op0, "error", NULL, NULL));
	/* 2000 candidates: the first max-candidates (50) are taken, the rest
	 * refused one by one */
	for (guint i = 0; i < 2000; i++)
		cb_test_sig_send(op0,
				 "{\"type\":\"candidate\",\"peer\":\"cam\",\"mline\":0,"
				 "\"candidate\":\"candidate:%u 1 UDP 2122260223 127.0.0.1 %u "
				 "typ host\"}",
				 i + 10, 20000 + i);
	sync_with(op0);
	while ((error = cb_test_sig_take(op0, "error", NULL, NULL)) != NULL) {
		g_assert_cmpstr(cb_test_error_code(error), ==, "too_large");
		json_object_unref(error);
		errors++;
	}
	g_assert_cmpuint(errors, >=, 2000 - 50);
	g_assert_cmpuint(errors, <, 2000);
}

/* joins nobody may make */
static void
bad_joins(MediaFixture *f, CbTestSig *op0, CbTestSig *op1)
{
	g_autofree char *staff2 = cb_test_daemon_issue_token(f->d, CB_ROLE_STAFF, 0, 0, 0);
	g_autoptr(CbTestSig) second = cb_test_sig_connect(f->d, staff2);
	g_autofree char *body =
		g_strdup_printf("{\"session_id\":%" G_GINT64_FORMAT ",\"summary\":\"Nội dung\","
				"\"category\":\"complaint\",\"citizen_name\":\"Công dân\"}",
				f->session);
	g_autoptr(JsonNode) ticket = media_call(f, "POST", "/api/v1/register", NULL, body, 201);
	JsonObject *t = json_node_get_object(ticket);
	gint64 id = json_object_get_int_member(t, "id");
	g_autoptr(CbTestSig) citizen =
		cb_test_sig_connect(f->d, json_object_get_string_member(t, "token"));
	const struct {
		CbTestSig *sig;
		const char *as, *slot, *code;
	} refused[] = {
		{second, "publisher", NULL, "conflict"},      /* a second hall */
		{op1, "publisher", f->bp_id[0], "forbidden"}, /* as another bridge point */
		{op1, "publisher", "hall", "forbidden"},
		{op1, "subscriber", f->bp_id[0], "forbidden"},
		{citizen, "publisher", NULL, "forbidden"}, /* not admitted */
		{op1, "subscriber", NULL, "invalid_request"},
		{op1, "viewer", "hall", "invalid_request"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(refused); i++) {
		g_autoptr(JsonObject) reply = cb_test_sig_join(refused[i].sig, f->session,
							       refused[i].as, refused[i].slot, "x");
		g_assert_cmpstr(cb_test_error_code(reply), ==, refused[i].code);
	}
	/* the ticket admitted and done: its citizen may not join any more */
	media_ticket_action(f, id, "call", NULL);
	media_ticket_action(f, id, "admit", NULL);
	media_ticket_action(f, id, "finish", "{\"handling\":\"accepted\"}");
	{
		g_autoptr(JsonObject) reply =
			cb_test_sig_join(citizen, f->session, "publisher", NULL, "me");
		g_assert_cmpstr(cb_test_error_code(reply), ==, "forbidden");
	}
}

/* staff commands with a wrong target, and from an operator */
static void
bad_commands(MediaFixture *f, CbTestSig *staff, CbTestSig *op1)
{
	cb_test_sig_send(staff,
			 "{\"type\":\"mute\",\"session_id\":%" G_GINT64_FORMAT
			 ",\"peer\":\"%s\",\"audio\":true}",
			 f->session, cb_test_sig_get_peer_id(staff, "see-bp1"));
	expect_error(staff, "invalid_request"); /* a receiver */
	cb_test_sig_send(staff,
			 "{\"type\":\"mute\",\"session_id\":%" G_GINT64_FORMAT
			 ",\"peer\":\"hall\",\"audio\":\"yes\"}",
			 f->session);
	expect_error(staff, "invalid_request");
	cb_test_sig_send(staff,
			 "{\"type\":\"remove\",\"session_id\":%" G_GINT64_FORMAT
			 ",\"peer\":\"nobody\"}",
			 f->session);
	expect_error(staff, "not_found");
	cb_test_sig_send(staff,
			 "{\"type\":\"floor\",\"session_id\":%" G_GINT64_FORMAT
			 ",\"peer\":\"nobody\"}",
			 f->session);
	expect_error(staff, "not_found");
	cb_test_sig_send(staff, "{\"type\":\"floor\",\"session_id\":999999,\"peer\":null}");
	expect_error(staff, "not_found");
	cb_test_sig_send(op1,
			 "{\"type\":\"mute\",\"session_id\":%" G_GINT64_FORMAT
			 ",\"peer\":\"hall\",\"video\":true}",
			 f->session);
	expect_error(op1, "forbidden");
	cb_test_sig_send(
		op1, "{\"type\":\"remove\",\"session_id\":%" G_GINT64_FORMAT ",\"peer\":\"hall\"}",
		f->session);
	expect_error(op1, "forbidden");
}

/* 200 joins and leaves in batches of 8, then one join too many */
static void
join_flood(MediaFixture *f, CbTestSig *op0)
{
	for (guint batch = 0; batch < 25; batch++) {
		for (guint i = 0; i < 8; i++)
			cb_test_sig_send(
				op0,
				"{\"type\":\"join\",\"session_id\":%" G_GINT64_FORMAT
				",\"as\":\"subscriber\",\"slot\":\"hall\",\"peer\":\"f%u\"}",
				f->session, i);
		for (guint i = 0; i < 8; i++) {
			g_autofree char *handle = g_strdup_printf("f%u", i);
			json_object_unref(cb_test_sig_wait(op0, "joined", "peer", handle));
			cb_test_sig_send(op0, "{\"type\":\"leave\",\"peer\":\"%s\"}", handle);
		}
		for (guint i = 0; i < 8; i++) {
			g_autofree char *handle = g_strdup_printf("f%u", i);
			json_object_unref(cb_test_sig_wait(op0, "peer-left", "peer", handle));
		}
	}
	g_assert_null(cb_test_sig_take(op0, "error", NULL, NULL));
	/* one connection holds PER_CONNECTION peers ("cam" is one) */
	for (guint i = 0; i < PER_CONNECTION; i++)
		cb_test_sig_send(op0,
				 "{\"type\":\"join\",\"session_id\":%" G_GINT64_FORMAT
				 ",\"as\":\"subscriber\",\"slot\":\"hall\",\"peer\":\"g%u\"}",
				 f->session, i);
	expect_too_many(op0, PER_CONNECTION);
	for (guint i = 0; i < PER_CONNECTION - 1; i++) {
		g_autofree char *handle = g_strdup_printf("g%u", i);
		json_object_unref(cb_test_sig_wait(op0, "joined", "peer", handle));
		cb_test_sig_send(op0, "{\"type\":\"leave\",\"peer\":\"%s\"}", handle);
		json_object_unref(cb_test_sig_wait(op0, "peer-left", "peer", handle));
	}
	cb_test_sig_send(op0, "{\"type\":\"leave\",\"peer\":\"g%u\"}", PER_CONNECTION - 1);
	expect_error(op0, "not_found");
}

/* a publisher that joins, offers and leaves 20 times over, then for real:
 * the hall's receiver of its slot gets the last one */
static void
publisher_flood(MediaFixture *f, CbTestSig *op0, const char *offer, CbTestPeer *hall_bp0)
{
	cb_test_sig_send(op0, "{\"type\":\"leave\",\"peer\":\"cam\"}");
	json_object_unref(cb_test_sig_wait(op0, "peer-left", "peer", "cam"));
	for (guint i = 0; i < 20; i++) {
		g_autoptr(JsonObject) joined =
			cb_test_sig_join(op0, f->session, "publisher", NULL, "p");

		g_assert_cmpstr(json_object_get_string_member(joined, "type"), ==, "joined");
		cb_test_sig_send_sdp(op0, "p", offer);
		json_object_unref(cb_test_sig_wait(op0, "answer", "peer", "p"));
		cb_test_sig_send(op0, "{\"type\":\"leave\",\"peer\":\"p\"}");
		json_object_unref(cb_test_sig_wait(op0, "peer-left", "peer", "p"));
	}
	g_assert_null(cb_test_sig_take(op0, "error", NULL, NULL));
	cb_test_sig_publish(op0, f->session, "cam", W_BP0);
	CB_TEST_WAIT_UNTIL(frames_at(hall_bp0, W_BP0) >= 10);
}

static void
test_bad_input(MediaFixture *f, gconstpointer data)
{
	g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
	g_autoptr(CbTestSig) op0 = cb_test_sig_connect(f->d, f->op[0]);
	g_autoptr(CbTestSig) op1 = cb_test_sig_connect(f->d, f->op[1]);
	CbTestPeer *hall_bp1, *bp1_hall, *hall_bp0, *late;
	g_autofree char *offer = NULL;

	/* the peers that must come through unharmed */
	media_subscribe_events(f, staff);
	cb_test_sig_publish(staff, f->session, "cam", W_HALL);
	cb_test_sig_publish(op1, f->session, "cam", W_BP1);
	hall_bp1 = cb_test_sig_subscribe(staff, f->session, f->bp_id[1], "see-bp1");
	bp1_hall = cb_test_sig_subscribe(op1, f->session, "hall", "see-hall");
	CB_TEST_WAIT_UNTIL(frames_at(hall_bp1, W_BP1) >= 10 && frames_at(bp1_hall, W_HALL) >= 10);

	offer = bad_offers(f, op0);
	hall_bp0 = cb_test_sig_subscribe(staff, f->session, f->bp_id[0], "see-bp0");
	bad_candidates(op0);
	bad_joins(f, op0, op1);
	bad_commands(f, staff, op1);
	join_flood(f, op0);
	publisher_flood(f, op0, offer, hall_bp0);
	/* nothing else was harmed: the receivers go on, none was told to leave,
	 * and a new one still joins and receives */
	more_frames(hall_bp1, W_BP1, 15);
	more_frames(bp1_hall, W_HALL, 15);
	g_assert_null(cb_test_sig_take(op1, "peer-left", NULL, NULL));
	g_assert_null(cb_test_sig_take(staff, "peer-left", NULL, NULL));
	late = cb_test_sig_subscribe(op0, f->session, "hall", "late");
	CB_TEST_WAIT_UNTIL(frames_at(late, W_HALL) >= 10);
	g_assert_cmpuint(cb_test_peer_frames_except(hall_bp1, W_BP1), ==, 0);
	g_assert_cmpuint(cb_test_peer_frames_except(bp1_hall, W_HALL), ==, 0);
}

/* the default [media] max-peers-per-connection fits the hall's console
 * with 30 bridge points (the hall, the floor, the citizen: 33 peers) and
 * refuses the 41st; joins without offers, so it is quick */
static void
test_console_fits_by_default(MediaFixture *f, gconstpointer data)
{
	g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
	g_autoptr(CbTestSig) other = cb_test_sig_connect(f->d, f->staff2);
	g_autoptr(JsonObject) hall = cb_test_sig_join(staff, f->session, "publisher", NULL, "cam");

	g_assert_cmpstr(json_object_get_string_member(hall, "type"), ==, "joined");
	g_assert_cmpint(json_object_get_int_member(hall, "max_peers"), ==, DEFAULT_PER_CONNECTION);
	for (guint i = 1; i < DEFAULT_PER_CONNECTION; i++) {
		g_autofree char *handle = g_strdup_printf("see-%u", i);
		g_autoptr(JsonObject) joined =
			cb_test_sig_join(staff, f->session, "subscriber", "hall", handle);

		g_assert_cmpstr(json_object_get_string_member(joined, "type"), ==, "joined");
	}
	cb_test_sig_send(staff,
			 "{\"type\":\"join\",\"session_id\":%" G_GINT64_FORMAT
			 ",\"as\":\"subscriber\",\"slot\":\"hall\",\"peer\":\"one-more\"}",
			 f->session);
	expect_too_many(staff, DEFAULT_PER_CONNECTION);
	/* the bound is per connection: another one still joins */
	{
		g_autoptr(JsonObject) joined =
			cb_test_sig_join(other, f->session, "subscriber", "hall", "see-hall");
		g_assert_cmpstr(json_object_get_string_member(joined, "type"), ==, "joined");
	}
}

int
main(int argc, char **argv)
{
	gst_init(&argc, &argv);
	g_test_init(&argc, &argv, NULL);
	g_test_add("/civic-bridge/media-bad-input/signalling", MediaFixture,
		   "max-peers-per-connection=" G_STRINGIFY(PER_CONNECTION), media_fixture_setup,
		   test_bad_input, media_fixture_teardown);
	g_test_add("/civic-bridge/media-bad-input/console-fits-by-default", MediaFixture, NULL,
		   media_fixture_setup, test_console_fits_by_default, media_fixture_teardown);
	return g_test_run();
}
