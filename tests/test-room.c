#define G_LOG_DOMAIN "CbTestRoom"

/*
 * The media room with real webrtcbins back to back in one process, no
 * signalling server: each test peer is a small GStreamer pipeline negotiated
 * with the room through its C API, ICE on 127.0.0.1. Run it inside
 * `unshare -n` (tools/test does) so nothing leaves the machine.
 *
 * Publishers send VP8 with keyframes only on request (keyframe-max-dist is
 * huge), so a subscriber that decodes anything proves the keyframe requests.
 * Publishers differ by picture width, which tells their frames apart.
 */

#include <string.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-room.h"

#include "cb-test-peer.h"

/* private to the media module and its tests */
GstElement *cb_room_get_peer_element(CbRoom *room, const char *peer_id);

#define PORT_MIN   31000
#define PORT_MAX   31999
#define WAIT_UNTIL CB_TEST_WAIT_UNTIL

typedef struct _Fixture Fixture;

/* a test peer and what the room told about it */
typedef struct {
	Fixture *fx;
	CbTestPeer *peer;
	char *room_state;
	guint descriptions;
	char *answer; /* the room's last answer */
	/* gets neither the room's answer nor its candidates, nor gives its
	 * own: its connection never comes up */
	gboolean unreachable;
} Client;

struct _Fixture {
	CbRoom *room;
	GHashTable *clients; /* peer id -> Client */
	GHashTable *removed; /* peer id -> reason */
	gboolean port_out_of_range;
	guint candidates;
};

/* warnings of the room, which a test expects or must not see */
static GPtrArray *room_warnings;
/* how many times the room told that a publisher's video came in */
static gint room_video_tracks_up; /* atomic */

static GLogWriterOutput
log_writer_cb(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
	const char *domain = NULL;
	const char *message = NULL;

	for (gsize i = 0; i < n_fields; i++) {
		if (g_str_equal(fields[i].key, "GLIB_DOMAIN"))
			domain = fields[i].value;
		else if (g_str_equal(fields[i].key, "MESSAGE"))
			message = fields[i].value;
	}
	if ((level & G_LOG_LEVEL_WARNING) && g_strcmp0(domain, "CbRoom") == 0)
		g_ptr_array_add(room_warnings, g_strdup(message));
	if ((level & G_LOG_LEVEL_INFO) && g_strcmp0(domain, "CbRoom") == 0 && message != NULL &&
	    g_str_has_suffix(message, " publishes video"))
		g_atomic_int_inc(&room_video_tracks_up);
	return g_log_writer_default(level, fields, n_fields, user_data);
}

static gboolean
room_warned(const char *part)
{
	for (guint i = 0; i < room_warnings->len; i++) {
		if (strstr(g_ptr_array_index(room_warnings, i), part) != NULL)
			return TRUE;
	}
	return FALSE;
}

/* ---- test peers (tests/cb-test-peer.c), negotiated through the room's C API ---- */

static void
client_free(gpointer data)
{
	Client *client = data;

	cb_test_peer_free(client->peer);
	g_free(client->room_state);
	g_free(client->answer);
	g_free(client);
}

static guint
client_frames_at(Client *client, guint width)
{
	return cb_test_peer_frames_at(client->peer, width);
}

static guint
client_frames(Client *client)
{
	return cb_test_peer_frames(client->peer);
}

static guint
client_audio(Client *client)
{
	return cb_test_peer_audio(client->peer);
}

/* the test peer's candidate, on the main context: to the room, as the
 * signalling will */
static void
client_candidate_cb(CbTestPeer *peer, guint mline, const char *candidate, gpointer user_data)
{
	Client *client = user_data;
	const char *peer_id = cb_test_peer_get_name(peer);
	g_autoptr(GError) error = NULL;

	if (!client->unreachable && client->fx->room != NULL &&
	    cb_room_has_peer(client->fx->room, peer_id)) {
		cb_room_add_remote_candidate(client->fx->room, peer_id, mline, candidate, &error);
		g_assert_no_error(error);
	}
}

static Client *
client_add(Fixture *fx, CbTestPeer *peer)
{
	Client *client = g_new0(Client, 1);

	client->fx = fx;
	client->peer = peer;
	cb_test_peer_set_candidate_func(peer, client_candidate_cb, client);
	g_hash_table_insert(fx->clients, (gpointer)cb_test_peer_get_name(peer), client);
	return client;
}

static Client *
client_new(Fixture *fx, const char *peer_id, const char *description)
{
	return client_add(fx, cb_test_peer_new(peer_id, description));
}

/* offers, and hands the offer to the room as the signalling will */
static void
client_negotiate(Client *client)
{
	g_autofree char *offer = cb_test_peer_offer(client->peer, FALSE);
	g_autoptr(GError) error = NULL;

	cb_room_set_remote_description(client->fx->room, cb_test_peer_get_name(client->peer),
				       "offer", offer, &error);
	g_assert_no_error(error);
}

/* keyframes only when asked (PLI) */
static Client *
publisher_new(Fixture *fx, const char *peer_id, CbPeerKind kind, int width)
{
	g_autoptr(GError) error = NULL;
	Client *client;

	cb_room_add_publisher(fx->room, peer_id, kind, &error);
	g_assert_no_error(error);
	client = client_add(fx, cb_test_peer_new_publisher(peer_id, width, 100000));
	client_negotiate(client);
	return client;
}

static Client *
subscriber_new(Fixture *fx, const char *peer_id, const char *slot, CbPeerKind kind)
{
	g_autoptr(GError) error = NULL;
	Client *client;

	cb_room_add_subscriber(fx->room, peer_id, slot, kind, &error);
	g_assert_no_error(error);
	client = client_add(fx, cb_test_peer_new_subscriber(peer_id));
	client_negotiate(client);
	return client;
}

static Client *
client_get(Fixture *fx, const char *peer_id)
{
	return g_hash_table_lookup(fx->clients, peer_id);
}

/* ---- the room's signals, on the main context ---- */

static void
room_local_description_cb(CbRoom *room, const char *peer_id, const char *type, const char *sdp,
			  Fixture *fx)
{
	Client *client = client_get(fx, peer_id);

	g_assert_cmpstr(type, ==, "answer");
	g_assert_nonnull(client);
	client->descriptions++;
	g_free(client->answer);
	client->answer = g_strdup(sdp);
	if (!client->unreachable)
		cb_test_peer_set_answer(client->peer, sdp);
}

static void
room_local_candidate_cb(CbRoom *room, const char *peer_id, guint mline, const char *candidate,
			Fixture *fx)
{
	Client *client = client_get(fx, peer_id);
	g_auto(GStrv) fields = g_strsplit(candidate, " ", 0);
	guint64 port = 0;

	g_assert_nonnull(client);
	g_assert_cmpuint(g_strv_length(fields), >=, 8);
	g_assert_true(g_ascii_string_to_unsigned(fields[5], 10, 1, 65535, &port, NULL));
	if (port < PORT_MIN || port > PORT_MAX)
		fx->port_out_of_range = TRUE;
	g_assert_cmpstr(fields[2], ==, "UDP"); /* ICE-TCP is off */
	fx->candidates++;
	if (!client->unreachable)
		cb_test_peer_add_candidate(client->peer, mline, candidate);
}

static void
room_peer_state_cb(CbRoom *room, const char *peer_id, const char *state, Fixture *fx)
{
	Client *client = client_get(fx, peer_id);

	g_test_message("%s: %s", peer_id, state);
	if (client != NULL) {
		g_free(client->room_state);
		client->room_state = g_strdup(state);
	}
}

static void
room_peer_removed_cb(CbRoom *room, const char *peer_id, const char *reason, Fixture *fx)
{
	g_hash_table_insert(fx->removed, g_strdup(peer_id), g_strdup(reason));
}

static void
fixture_set_up(Fixture *fx, gconstpointer data)
{
	CbMediaConfig config;
	g_autoptr(GError) error = NULL;
	g_autoptr(CbConfig) defaults = cb_config_new_defaults();

	g_free(defaults->media_ice_addresses);
	defaults->media_ice_addresses = g_strdup("127.0.0.1");
	defaults->media_udp_port_min = PORT_MIN;
	defaults->media_udp_port_max = PORT_MAX;
	defaults->media_max_candidates = 5;
	/* @data: a keyframe-interval-ms of the test's own */
	if (data != NULL)
		defaults->media_keyframe_interval_ms = GPOINTER_TO_UINT(data);
	cb_media_config_init(&config, defaults);
	g_ptr_array_set_size(room_warnings, 0);
	g_atomic_int_set(&room_video_tracks_up, 0);
	fx->clients = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, client_free);
	fx->removed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	fx->room = cb_room_new(42, &config, &error);
	cb_media_config_clear(&config);
	g_assert_no_error(error);
	g_signal_connect(fx->room, "local-description", G_CALLBACK(room_local_description_cb), fx);
	g_signal_connect(fx->room, "local-candidate", G_CALLBACK(room_local_candidate_cb), fx);
	g_signal_connect(fx->room, "peer-state", G_CALLBACK(room_peer_state_cb), fx);
	g_signal_connect(fx->room, "peer-removed", G_CALLBACK(room_peer_removed_cb), fx);
}

static void
fixture_tear_down(Fixture *fx, gconstpointer data)
{
	/* only failures a test forces may warn */
	for (guint i = 0; i < room_warnings->len; i++) {
		if (strstr(g_ptr_array_index(room_warnings, i), "forced by the test") == NULL)
			g_error("unexpected warning: %s",
				(char *)g_ptr_array_index(room_warnings, i));
	}
	g_clear_object(&fx->room);
	g_hash_table_unref(fx->clients);
	g_hash_table_unref(fx->removed);
	/* drop what the clients' threads handed over after the room went */
	while (g_main_context_iteration(NULL, FALSE))
		;
}

static gboolean
connected(Fixture *fx, const char *peer_id)
{
	return g_strcmp0(client_get(fx, peer_id)->room_state, "connected") == 0;
}

#define W_HALL    160
#define W_BP1     176
#define W_BP2     192
#define W_CITIZEN 128

/* a hall and a bridge point each publish and each receive the other */
static void
test_both_ways(Fixture *fx, gconstpointer data)
{
	Client *hall_sees, *bp1_sees, *late;

	publisher_new(fx, "hall", CB_PEER_KIND_HALL, W_HALL);
	publisher_new(fx, "bp1", CB_PEER_KIND_BRIDGE_POINT, W_BP1);
	hall_sees = subscriber_new(fx, "hall-sees-bp1", "bp1", CB_PEER_KIND_HALL);
	bp1_sees = subscriber_new(fx, "bp1-sees-hall", "hall", CB_PEER_KIND_BRIDGE_POINT);

	WAIT_UNTIL(client_frames_at(hall_sees, W_BP1) >= 10 &&
		   client_frames_at(bp1_sees, W_HALL) >= 10);
	WAIT_UNTIL(client_audio(hall_sees) >= 10 && client_audio(bp1_sees) >= 10);
	g_assert_cmpuint(client_frames_at(hall_sees, W_HALL), ==, 0);
	g_assert_cmpuint(client_frames_at(bp1_sees, W_BP1), ==, 0);
	WAIT_UNTIL(connected(fx, "hall") && connected(fx, "bp1") &&
		   connected(fx, "hall-sees-bp1") && connected(fx, "bp1-sees-hall"));
	g_assert_cmpuint(fx->candidates, >, 0);
	g_assert_false(fx->port_out_of_range);

	/* a late joiner: bp1's only spontaneous keyframe has gone by, so it
	 * decodes only if its joining makes bp1 send a new one */
	late = subscriber_new(fx, "late-sees-bp1", "bp1", CB_PEER_KIND_HALL);
	WAIT_UNTIL(client_frames_at(late, W_BP1) >= 5);
	g_assert_cmpuint(cb_room_get_keyframe_requests(fx->room, "bp1"), >=, 1);
}

/* longer than any wait of a test: a second request to one publisher cannot
 * come within the test */
#define KEYFRAME_INTERVAL_MINUTE 60000

/* a joining subscriber's keyframe is asked for when its connection is up,
 * not when its offer arrives: a keyframe sent before could not reach it, and
 * the request would spend the publisher's interval (here a minute), leaving
 * the subscriber black until the next one */
static void
test_join_keyframe_when_connected(Fixture *fx, gconstpointer data)
{
	Client *sees;

	publisher_new(fx, "hall", CB_PEER_KIND_HALL, W_HALL);
	/* the hall's video is in the room: a request could reach the hall */
	WAIT_UNTIL(connected(fx, "hall") && g_atomic_int_get(&room_video_tracks_up) == 1);
	sees = subscriber_new(fx, "bp1-sees-hall", "hall", CB_PEER_KIND_BRIDGE_POINT);
	g_assert_cmpuint(cb_room_get_keyframe_requests(fx->room, "hall"), ==, 0);

	WAIT_UNTIL(connected(fx, "bp1-sees-hall"));
	WAIT_UNTIL(client_frames_at(sees, W_HALL) >= 5 && client_audio(sees) >= 5);
	/* the one request of the interval was the one it could use */
	g_assert_cmpuint(cb_room_get_keyframe_requests(fx->room, "hall"), ==, 1);
}

/* the floor moves from one publisher to another without renegotiation, and
 * keyframe requests to one publisher are merged */
/* NACK and RTX offered, as browsers do: it is what makes webrtcbin announce
 * an SSRC group in its answer */
static void
offer_retransmission(CbTestPeer *peer)
{
	GArray *transceivers = NULL;

	g_signal_emit_by_name(cb_test_peer_get_webrtc(peer), "get-transceivers", &transceivers);
	g_assert_nonnull(transceivers);
	for (guint i = 0; i < transceivers->len; i++)
		g_object_set(g_array_index(transceivers, GObject *, i), "do-nack", TRUE, NULL);
	g_array_unref(transceivers);
}

/* webrtcbin announces a subscriber's video as the FID group "0 X", X an SSRC
 * the room never sends: a browser bound to it never shows the video. The
 * answer the client gets announces no SSRC; the streams still arrive. */
static void
test_subscriber_answer_announces_no_ssrc(Fixture *fx, gconstpointer data)
{
	Client *first, *sees;
	gint64 until;

	/* bp1 flowing, as a browser finds the room: its media reaches the new
	 * subscriber's branch before that subscriber's offer comes (that is
	 * when webrtcbin announces SSRCs) */
	publisher_new(fx, "bp1", CB_PEER_KIND_BRIDGE_POINT, W_BP1);
	first = subscriber_new(fx, "first-sees-bp1", "bp1", CB_PEER_KIND_HALL);
	WAIT_UNTIL(client_frames_at(first, W_BP1) >= 5);
	sees = client_add(fx, cb_test_peer_new_subscriber("sees-bp1"));
	offer_retransmission(sees->peer);
	g_assert_true(cb_room_add_subscriber(fx->room, "sees-bp1", "bp1", CB_PEER_KIND_HALL, NULL));
	until = g_get_monotonic_time() + G_USEC_PER_SEC;
	while (g_get_monotonic_time() < until)
		g_main_context_iteration(NULL, FALSE);
	client_negotiate(sees);
	WAIT_UNTIL(client_frames_at(sees, W_BP1) >= 10 && client_audio(sees) >= 10);
	g_assert_nonnull(sees->answer);
	g_assert_null(strstr(sees->answer, "a=ssrc"));
	g_assert_nonnull(strstr(sees->answer, "m=video"));
}

static void
test_floor_switch(Fixture *fx, gconstpointer data)
{
	Client *floor_sub;
	g_autoptr(GError) error = NULL;
	guint before, after;

	publisher_new(fx, "bp1", CB_PEER_KIND_BRIDGE_POINT, W_BP1);
	publisher_new(fx, "citizen", CB_PEER_KIND_CITIZEN, W_CITIZEN);
	cb_room_set_floor(fx->room, "bp1", &error);
	g_assert_no_error(error);
	floor_sub = subscriber_new(fx, "bp2-floor", CB_ROOM_SLOT_FLOOR, CB_PEER_KIND_BRIDGE_POINT);

	WAIT_UNTIL(client_frames_at(floor_sub, W_BP1) >= 10);
	WAIT_UNTIL(connected(fx, "citizen"));
	cb_room_set_floor(fx->room, "citizen", &error);
	g_assert_no_error(error);
	WAIT_UNTIL(client_frames_at(floor_sub, W_CITIZEN) >= 10);
	cb_room_set_floor(fx->room, "bp1", &error);
	g_assert_no_error(error);
	before = client_frames_at(floor_sub, W_BP1);
	WAIT_UNTIL(client_frames_at(floor_sub, W_BP1) >= before + 10);
	g_assert_cmpstr(cb_room_get_floor(fx->room), ==, "bp1");
	/* one answer for the subscriber, whatever the floor did */
	g_assert_cmpuint(floor_sub->descriptions, ==, 1);

	/* three switches at once: at most one request now, the rest merged into
	 * one that follows */
	before = cb_room_get_keyframe_requests(fx->room, "citizen");
	for (guint i = 0; i < 3; i++) {
		cb_room_set_floor(fx->room, "citizen", &error);
		g_assert_no_error(error);
	}
	after = cb_room_get_keyframe_requests(fx->room, "citizen");
	g_assert_cmpuint(after - before, <=, 1);
	WAIT_UNTIL(cb_room_get_keyframe_requests(fx->room, "citizen") ==
		   before + 1 + (after == before));
	g_assert_cmpuint(cb_room_get_keyframe_requests(fx->room, "citizen"), <=, before + 2);

	/* nobody has the floor: nothing more arrives for the floor slot */
	cb_room_set_floor(fx->room, NULL, &error);
	g_assert_no_error(error);
	g_assert_null(cb_room_get_floor(fx->room));
	cb_room_set_floor(fx->room, "nobody", &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_NOT_FOUND);
}

/* a confidential case: the hall sees the citizen, bridge points do not */
static void
test_confidential(Fixture *fx, gconstpointer data)
{
	Client *bp_floor, *hall_floor, *bp_direct;
	g_autoptr(GError) error = NULL;

	publisher_new(fx, "citizen", CB_PEER_KIND_CITIZEN, W_CITIZEN);
	cb_room_set_confidential(fx->room, TRUE);
	g_assert_true(cb_room_get_confidential(fx->room));
	cb_room_set_floor(fx->room, "citizen", &error);
	g_assert_no_error(error);
	bp_floor = subscriber_new(fx, "bp2-floor", CB_ROOM_SLOT_FLOOR, CB_PEER_KIND_BRIDGE_POINT);
	hall_floor = subscriber_new(fx, "hall-floor", CB_ROOM_SLOT_FLOOR, CB_PEER_KIND_HALL);
	bp_direct = subscriber_new(fx, "bp2-citizen", "citizen", CB_PEER_KIND_BRIDGE_POINT);

	WAIT_UNTIL(connected(fx, "bp2-floor") && connected(fx, "bp2-citizen"));
	WAIT_UNTIL(client_frames_at(hall_floor, W_CITIZEN) >= 15 && client_audio(hall_floor) >= 25);
	g_assert_cmpint(client_frames(bp_floor), ==, 0);
	g_assert_cmpint(client_audio(bp_floor), ==, 0);
	g_assert_cmpint(client_frames(bp_direct), ==, 0);
	g_assert_cmpint(client_audio(bp_direct), ==, 0);

	/* the case is over: the same bridge point subscriptions now carry it */
	cb_room_set_confidential(fx->room, FALSE);
	WAIT_UNTIL(client_frames_at(bp_floor, W_CITIZEN) >= 5 &&
		   client_frames_at(bp_direct, W_CITIZEN) >= 5 && client_audio(bp_floor) > 0);
	/* and confidential again stops them */
	cb_room_set_confidential(fx->room, TRUE);
	{
		guint floor_audio = client_audio(bp_floor);
		guint hall_audio = client_audio(hall_floor);
		WAIT_UNTIL(client_audio(hall_floor) >= hall_audio + 100);
		/* packets let through before the gate closed may still be in
		 * flight and in the client's jitterbuffer: 2 s of audio is 100
		 * packets */
		g_assert_cmpuint(client_audio(bp_floor), <=, floor_audio + 25);
	}
}

/* blocks the thread that reads a test peer's socket (its nicesrc): what
 * the room sends it then piles up and is dropped by the kernel, as for a
 * client that stalls; returns the pad, its probe id in @id */
static GstPad *
stall_client(Client *client, gulong *id)
{
	GstElement *webrtc = cb_test_peer_get_webrtc(client->peer);
	g_autoptr(GstIterator) it = gst_bin_iterate_recurse(GST_BIN(webrtc));
	GValue item = G_VALUE_INIT;
	GstPad *pad = NULL;

	while (pad == NULL && gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
		GstElement *element = g_value_get_object(&item);
		GstElementFactory *factory = gst_element_get_factory(element);

		if (factory != NULL &&
		    g_str_equal(gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(factory)),
				"nicesrc"))
			pad = gst_element_get_static_pad(element, "src");
		g_value_reset(&item);
	}
	g_value_unset(&item);
	g_assert_nonnull(pad);
	*id = gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM, NULL, NULL, NULL);
	return pad;
}

/* the publisher's thread sends to every subscriber itself (a branch has no
 * queue): a subscriber whose connection does not come up (webrtcbin would
 * hold that thread until DTLS is up) and one that stops reading must not
 * hold it, or every other subscriber of that publisher stops */
static void
test_stuck_subscribers_isolate(Fixture *fx, gconstpointer data)
{
	Client *good, *stalled, *connecting;
	g_autoptr(GstPad) stalled_pad = NULL;
	g_autoptr(GError) error = NULL;
	gulong probe = 0;
	guint frames, audio, stalled_frames;

	publisher_new(fx, "hall", CB_PEER_KIND_HALL, W_HALL);
	good = subscriber_new(fx, "good", "hall", CB_PEER_KIND_BRIDGE_POINT);
	stalled = subscriber_new(fx, "stalled", "hall", CB_PEER_KIND_BRIDGE_POINT);
	WAIT_UNTIL(client_frames_at(good, W_HALL) >= 5 && client_frames_at(stalled, W_HALL) >= 5);

	cb_room_add_subscriber(fx->room, "connecting", "hall", CB_PEER_KIND_BRIDGE_POINT, &error);
	g_assert_no_error(error);
	connecting = client_add(fx, cb_test_peer_new_subscriber("connecting"));
	connecting->unreachable = TRUE;
	client_negotiate(connecting);
	WAIT_UNTIL(connecting->descriptions == 1);
	stalled_pad = stall_client(stalled, &probe);

	/* 3 s of the hall: 45 frames, 150 audio packets */
	frames = client_frames_at(good, W_HALL);
	audio = client_audio(good);
	stalled_frames = client_frames_at(stalled, W_HALL);
	WAIT_UNTIL(client_frames_at(good, W_HALL) >= frames + 45 &&
		   client_audio(good) >= audio + 150);
	g_assert_cmpstr(connecting->room_state, !=, "connected");
	g_assert_cmpuint(client_frames(connecting) + client_audio(connecting), ==, 0);
	/* it did stall: at most what was past its socket when it stopped */
	g_assert_cmpuint(client_frames_at(stalled, W_HALL), <=, stalled_frames + 5);
	gst_pad_remove_probe(stalled_pad, probe);
}

/* a peer that leaves, or whose elements fail, leaves the others flowing */
static void
test_remove_and_failure(Fixture *fx, gconstpointer data)
{
	Client *s1, *s3;
	g_autoptr(GError) error = NULL;
	GstElement *element;
	guint before;

	publisher_new(fx, "hall", CB_PEER_KIND_HALL, W_HALL);
	publisher_new(fx, "bp1", CB_PEER_KIND_BRIDGE_POINT, W_BP1);
	s1 = subscriber_new(fx, "s1", "bp1", CB_PEER_KIND_HALL);
	subscriber_new(fx, "s2", "hall", CB_PEER_KIND_BRIDGE_POINT);
	s3 = subscriber_new(fx, "s3", "hall", CB_PEER_KIND_BRIDGE_POINT);
	WAIT_UNTIL(client_frames_at(s1, W_BP1) >= 5 && client_frames_at(s3, W_HALL) >= 5 &&
		   client_frames_at(client_get(fx, "s2"), W_HALL) >= 5);

	cb_room_remove_peer(fx->room, "s2", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(g_hash_table_lookup(fx->removed, "s2"), ==, "left");
	g_assert_false(cb_room_has_peer(fx->room, "s2"));
	before = client_frames_at(s3, W_HALL);
	WAIT_UNTIL(client_frames_at(s3, W_HALL) >= before + 10);

	/* s3's webrtcbin fails as an element does: an error on the bus */
	element = cb_room_get_peer_element(fx->room, "s3");
	g_assert_nonnull(element);
	GST_ELEMENT_ERROR(element, STREAM, FAILED, ("forced by the test"), (NULL));
	WAIT_UNTIL(g_hash_table_contains(fx->removed, "s3"));
	g_assert_cmpstr(g_hash_table_lookup(fx->removed, "s3"), ==, "error");
	g_assert_true(room_warned("peer s3 failed: forced by the test"));
	g_assert_false(cb_room_has_peer(fx->room, "s3"));

	/* a publisher failing too: its subscriber stops, the others go on */
	element = cb_room_get_peer_element(fx->room, "hall");
	GST_ELEMENT_ERROR(element, STREAM, FAILED, ("forced by the test"), (NULL));
	WAIT_UNTIL(g_hash_table_contains(fx->removed, "hall"));
	before = client_frames_at(s1, W_BP1);
	WAIT_UNTIL(client_frames_at(s1, W_BP1) >= before + 15);
	g_assert_cmpuint(cb_room_get_n_peers(fx->room), ==, 2); /* bp1 and s1 */

	/* the hall comes back under its id and feeds a new subscriber */
	g_hash_table_remove(fx->clients, "hall");
	publisher_new(fx, "hall", CB_PEER_KIND_HALL, W_HALL);
	s3 = subscriber_new(fx, "s4", "hall", CB_PEER_KIND_BRIDGE_POINT);
	WAIT_UNTIL(client_frames_at(s3, W_HALL) >= 5);

	/* muting a publisher stops its frames; unmuting brings them back */
	cb_room_mute(fx->room, "bp1", TRUE, TRUE, &error);
	g_assert_no_error(error);
	before = client_audio(s1);
	{
		guint hall_frames = client_frames_at(s3, W_HALL);
		guint bp1_frames = client_frames_at(s1, W_BP1);
		WAIT_UNTIL(client_frames_at(s3, W_HALL) >= hall_frames + 30);
		/* 2 s of video is 30 frames; at most what was in flight arrives */
		g_assert_cmpuint(client_frames_at(s1, W_BP1), <=, bp1_frames + 8);
	}
	cb_room_mute(fx->room, "bp1", FALSE, FALSE, &error);
	g_assert_no_error(error);
	before = client_frames_at(s1, W_BP1);
	WAIT_UNTIL(client_frames_at(s1, W_BP1) >= before + 10);
	cb_room_mute(fx->room, "s1", TRUE, TRUE, &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID);
}

static void
expect_error(gboolean ok, GError **error, gint code)
{
	g_assert_false(ok);
	g_assert_error(*error, CB_ERROR, code);
	g_clear_error(error);
}

/* bad input gets a clear error and harms neither the room nor its peers */
static void
test_bad_input(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *offer = NULL;
	g_autofree char *h264 = NULL;
	g_autofree char *huge = NULL;
	g_autoptr(GString) padded = NULL;
	Client *client;
	Client *sub;
	char *p;

	cb_room_add_publisher(fx->room, "p", CB_PEER_KIND_BRIDGE_POINT, &error);
	g_assert_no_error(error);
	/* a real offer to spoil, from a test peer that never connects */
	client = client_new(fx, "p",
			    "webrtcbin name=w videotestsrc is-live=true ! vp8enc deadline=1 ! "
			    "rtpvp8pay ! application/x-rtp,media=video,encoding-name=VP8,"
			    "payload=96,clock-rate=90000 ! w.");
	offer = cb_test_peer_offer(client->peer, FALSE);

	expect_error(cb_room_set_remote_description(fx->room, "p", "offer", "hello", &error),
		     &error, CB_ERROR_INVALID);
	expect_error(cb_room_set_remote_description(fx->room, "p", "offer", "v=0\r\n", &error),
		     &error, CB_ERROR_INVALID);
	expect_error(cb_room_set_remote_description(fx->room, "p", "answer", offer, &error), &error,
		     CB_ERROR_INVALID);
	expect_error(cb_room_set_remote_description(fx->room, "nobody", "offer", offer, &error),
		     &error, CB_ERROR_NOT_FOUND);
	h264 = g_strdup(offer);
	while ((p = strstr(h264, "VP8/90000")) != NULL)
		memcpy(p, "XYZ/90000", 9);
	expect_error(cb_room_set_remote_description(fx->room, "p", "offer", h264, &error), &error,
		     CB_ERROR_UNSUPPORTED_MEDIA_TYPE);
	padded = g_string_new(offer);
	while (padded->len <= 32768)
		g_string_append(padded, "a=x-padding:0123456789012345678901234567890123456789\r\n");
	huge = g_string_free(g_steal_pointer(&padded), FALSE);
	expect_error(cb_room_set_remote_description(fx->room, "p", "offer", huge, &error), &error,
		     CB_ERROR_TOO_LARGE);
	/* a publisher offering to receive only */
	sub = client_new(fx, "sub", "webrtcbin name=w");
	{
		g_autoptr(GstCaps) caps = gst_caps_from_string(
			"application/x-rtp,media=video,encoding-name=VP8,payload=96,"
			"clock-rate=90000");
		g_autofree char *recvonly = NULL;
		GstWebRTCRTPTransceiver *trans = NULL;

		g_signal_emit_by_name(cb_test_peer_get_webrtc(sub->peer), "add-transceiver",
				      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &trans);
		gst_clear_object(&trans);
		recvonly = cb_test_peer_offer(sub->peer, FALSE);
		expect_error(
			cb_room_set_remote_description(fx->room, "p", "offer", recvonly, &error),
			&error, CB_ERROR_INVALID);
	}

	/* candidates, to a peer with no test peer behind it */
	cb_room_add_publisher(fx->room, "q", CB_PEER_KIND_BRIDGE_POINT, &error);
	g_assert_no_error(error);
	expect_error(cb_room_add_remote_candidate(fx->room, "nobody", 0,
						  "candidate:1 1 UDP 1 127.0.0.1 5000 typ host",
						  &error),
		     &error, CB_ERROR_NOT_FOUND);
	expect_error(cb_room_add_remote_candidate(fx->room, "q", 0, "hello", &error), &error,
		     CB_ERROR_INVALID);
	expect_error(cb_room_add_remote_candidate(fx->room, "q", 7,
						  "candidate:1 1 UDP 1 127.0.0.1 5000 typ host",
						  &error),
		     &error, CB_ERROR_INVALID);
	g_assert_true(cb_room_add_remote_candidate(fx->room, "q", 0, "", &error));
	g_assert_no_error(error);
	/* mDNS names are dropped, not refused */
	g_assert_true(cb_room_add_remote_candidate(
		fx->room, "q", 0,
		"a=candidate:1 1 udp 2122260223 0d4f7e1c-3f3c-4b0e-9c2b-1a2b3c4d5e6f.local 54321 "
		"typ host generation 0",
		&error));
	g_assert_no_error(error);
	for (guint i = 1; i < 5; i++) {
		g_autofree char *c = g_strdup_printf(
			"candidate:%u 1 UDP 2122260223 127.0.0.1 %u typ host", i, 40000 + i);
		g_assert_true(cb_room_add_remote_candidate(fx->room, "q", 0, c, &error));
		g_assert_no_error(error);
	}
	expect_error(cb_room_add_remote_candidate(fx->room, "q", 0,
						  "candidate:9 1 UDP 2122260223 127.0.0.1 40009 "
						  "typ host",
						  &error),
		     &error, CB_ERROR_TOO_LARGE);

	/* unknown ids and duplicates */
	expect_error(cb_room_add_subscriber(fx->room, "s", "nobody", CB_PEER_KIND_HALL, &error),
		     &error, CB_ERROR_NOT_FOUND);
	expect_error(cb_room_add_publisher(fx->room, "p", CB_PEER_KIND_HALL, &error), &error,
		     CB_ERROR_CONFLICT);
	expect_error(cb_room_add_publisher(fx->room, "floor", CB_PEER_KIND_HALL, &error), &error,
		     CB_ERROR_INVALID);
	expect_error(cb_room_add_publisher(fx->room, "", CB_PEER_KIND_HALL, &error), &error,
		     CB_ERROR_INVALID);
	expect_error(cb_room_remove_peer(fx->room, "nobody", &error), &error, CB_ERROR_NOT_FOUND);
	expect_error(cb_room_mute(fx->room, "nobody", TRUE, TRUE, &error), &error,
		     CB_ERROR_NOT_FOUND);
	g_assert_cmpuint(cb_room_get_n_peers(fx->room), ==, 2);
	g_assert_cmpuint(g_hash_table_size(fx->removed), ==, 0);

	/* the same peer still negotiates its good offer */
	g_assert_true(cb_room_set_remote_description(fx->room, "p", "offer", offer, &error));
	g_assert_no_error(error);
	expect_error(cb_room_set_remote_description(fx->room, "p", "offer", offer, &error), &error,
		     CB_ERROR_CONFLICT);
	WAIT_UNTIL(client->descriptions == 1);
}

int
main(int argc, char **argv)
{
	gst_init(&argc, &argv);
	g_test_init(&argc, &argv, NULL);
	/* warnings are checked by the tests (an expected one is a forced failure) */
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	room_warnings = g_ptr_array_new_with_free_func(g_free);
	g_log_set_writer_func(log_writer_cb, NULL, NULL);

	g_test_add("/civic-bridge/room/media-both-ways", Fixture, NULL, fixture_set_up,
		   test_both_ways, fixture_tear_down);
	g_test_add("/civic-bridge/room/join-keyframe-when-connected", Fixture,
		   GUINT_TO_POINTER(KEYFRAME_INTERVAL_MINUTE), fixture_set_up,
		   test_join_keyframe_when_connected, fixture_tear_down);
	g_test_add("/civic-bridge/room/subscriber-answer-announces-no-ssrc", Fixture, NULL,
		   fixture_set_up, test_subscriber_answer_announces_no_ssrc, fixture_tear_down);
	g_test_add("/civic-bridge/room/floor-switch", Fixture, NULL, fixture_set_up,
		   test_floor_switch, fixture_tear_down);
	g_test_add("/civic-bridge/room/confidential", Fixture, NULL, fixture_set_up,
		   test_confidential, fixture_tear_down);
	g_test_add("/civic-bridge/room/stuck-subscribers-isolate", Fixture, NULL, fixture_set_up,
		   test_stuck_subscribers_isolate, fixture_tear_down);
	g_test_add("/civic-bridge/room/remove-and-failure", Fixture, NULL, fixture_set_up,
		   test_remove_and_failure, fixture_tear_down);
	g_test_add("/civic-bridge/room/bad-input", Fixture, NULL, fixture_set_up, test_bad_input,
		   fixture_tear_down);
	return g_test_run();
}
