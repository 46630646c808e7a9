#define G_LOG_DOMAIN "CbTestRoomLeave"

/*
 * Peers that leave a room are freed: every webrtcbin the room made for a
 * subscriber that joined and left is finalized, and the room's pipeline
 * holds only the elements of the peers still in it. Real webrtcbins back to
 * back in one process (see test-room.c), ICE on 127.0.0.1: run inside
 * `unshare -n`.
 *
 * The cycles are those of tests/bench/bench-media: while the hall
 * publishes, a subscriber joins, offers (the same offer text every time),
 * gets its answer and leaves without connecting; a few others connect and
 * receive before they leave.
 */

#include <string.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-room.h"

#include "cb-test-room.h"

/* private to the media module and its tests */
GstElement *cb_room_get_peer_element(CbRoom *room, const char *peer_id);

#define PORT_MIN   32000
#define PORT_MAX   32999
#define WAIT_UNTIL CB_TEST_WAIT_UNTIL
#define W_HALL     160
#define N_CYCLES   50

typedef struct {
	CbTestRoom base;
	gint alive; /* atomic: webrtcbins watched and not finalized */
	guint watched;
} Fixture;

static void
fixture_set_up(Fixture *fx, gconstpointer data)
{
	g_autoptr(CbConfig) config = cb_test_room_config(PORT_MIN, PORT_MAX);

	cb_test_room_open(&fx->base, 42, config);
}

static void
fixture_tear_down(Fixture *fx, gconstpointer data)
{
	cb_test_room_close(&fx->base, NULL);
}

/* ---- what the room's pipeline holds ---- */

static void
webrtcbin_finalized_cb(gpointer data, GObject *where_the_object_was)
{
	Fixture *fx = data;

	/* on whichever thread dropped the last reference */
	g_atomic_int_add(&fx->alive, -1);
}

/* follows @peer_id's webrtcbin until it is finalized */
static void
watch_peer(Fixture *fx, const char *peer_id)
{
	GstElement *webrtc = cb_room_get_peer_element(fx->base.room, peer_id);

	g_assert_nonnull(webrtc);
	g_atomic_int_add(&fx->alive, 1);
	fx->watched++;
	g_object_weak_ref(G_OBJECT(webrtc), webrtcbin_finalized_cb, fx);
}

/* a peer's webrtcbin goes when the peer leaves, once the main context has
 * run a moment (the room's bus is read there): only threads that still push
 * into it or are being stopped may hold it a little longer. Runs the main
 * context three times, then waits (bounded) for every watched webrtcbin to
 * go without running it again: messages left queued for later iterations
 * would keep a peer's elements alive for as long as the queue is behind. */
static void
wait_finalized(Fixture *fx)
{
	gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

	for (guint i = 0; i < 3; i++)
		g_main_context_iteration(NULL, FALSE);
	while (g_atomic_int_get(&fx->alive) > 0 && g_get_monotonic_time() < deadline)
		g_usleep(10 * 1000);
	g_assert_cmpint(g_atomic_int_get(&fx->alive), ==, 0);
}

static GstBin *
room_pipeline(Fixture *fx)
{
	GstElement *hall = cb_room_get_peer_element(fx->base.room, "hall");

	return GST_BIN(GST_ELEMENT_PARENT(hall));
}

/* the elements in the room's pipeline (not counting inside the webrtcbins) */
static guint
n_children(Fixture *fx)
{
	return GST_BIN_NUMCHILDREN(room_pipeline(fx));
}

static guint
n_webrtcbins(Fixture *fx)
{
	GType type = g_type_from_name("GstWebRTCBin");
	g_autoptr(GstIterator) it = gst_bin_iterate_recurse(room_pipeline(fx));
	g_auto(GValue) item = G_VALUE_INIT;
	guint n = 0;

	g_assert_true(type != 0);
	while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
		if (G_TYPE_CHECK_INSTANCE_TYPE(g_value_get_object(&item), type))
			n++;
		g_value_reset(&item);
	}
	return n;
}

/* ---- peers ---- */

static void
hall_publish(Fixture *fx)
{
	g_autoptr(GError) error = NULL;
	CbTestRoomClient *hall;

	g_assert_true(cb_room_add_publisher(fx->base.room, "hall", CB_PEER_KIND_HALL, &error));
	g_assert_no_error(error);
	hall = cb_test_room_add(&fx->base, cb_test_peer_new_publisher("hall", W_HALL, 30));
	g_assert_true(cb_test_room_offer(hall, &error));
	g_assert_no_error(error);
	WAIT_UNTIL(cb_test_room_connected(&fx->base, "hall"));
}

/* a subscriber of the hall joins, offers @offer, gets its answer and leaves */
static void
cycle(Fixture *fx, const char *peer_id, const char *offer)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(cb_room_add_subscriber(fx->base.room, peer_id, "hall",
					     CB_PEER_KIND_BRIDGE_POINT, &error));
	g_assert_no_error(error);
	watch_peer(fx, peer_id);
	g_assert_true(
		cb_room_set_remote_description(fx->base.room, peer_id, "offer", offer, &error));
	g_assert_no_error(error);
	WAIT_UNTIL(g_hash_table_contains(fx->base.answered, peer_id));
	g_assert_true(cb_room_remove_peer(fx->base.room, peer_id, &error));
	g_assert_no_error(error);
	wait_finalized(fx);
}

/* a subscriber that connects and receives the hall before it leaves */
static void
cycle_connected(Fixture *fx, const char *peer_id)
{
	g_autoptr(GError) error = NULL;
	CbTestRoomClient *client;

	g_assert_true(cb_room_add_subscriber(fx->base.room, peer_id, "hall",
					     CB_PEER_KIND_BRIDGE_POINT, &error));
	g_assert_no_error(error);
	watch_peer(fx, peer_id);
	client = cb_test_room_add(&fx->base, cb_test_peer_new_subscriber(peer_id));
	g_assert_true(cb_test_room_offer(client, &error));
	g_assert_no_error(error);
	WAIT_UNTIL(cb_test_peer_frames_at(client->peer, W_HALL) >= 3);
	g_assert_true(cb_room_remove_peer(fx->base.room, peer_id, &error));
	g_assert_no_error(error);
	wait_finalized(fx);
	cb_test_room_forget(&fx->base, peer_id);
}

/* N subscribers join and leave, a few of them connected: every webrtcbin
 * made for them goes, and so does every element of their branches */
static void
test_leave_frees_peers(Fixture *fx, gconstpointer data)
{
	g_autoptr(CbTestPeer) template = cb_test_peer_new_subscriber("template");
	g_autofree char *offer = cb_test_peer_offer(template, FALSE);
	guint children;

	hall_publish(fx);
	children = n_children(fx);
	g_assert_cmpuint(n_webrtcbins(fx), ==, 1);
	for (guint i = 0; i < N_CYCLES; i++) {
		g_autofree char *peer_id = g_strdup_printf("s%u", i);

		if (i % 10 == 5)
			cycle_connected(fx, peer_id);
		else
			cycle(fx, peer_id, offer);
	}
	g_assert_cmpuint(fx->watched, ==, N_CYCLES);
	g_assert_cmpuint(cb_room_get_n_peers(fx->base.room), ==, 1);
	g_assert_cmpuint(n_children(fx), ==, children);
	g_assert_cmpuint(n_webrtcbins(fx), ==, 1);
}

/* the descriptors this process has open */
static guint
n_descriptors(void)
{
	g_autoptr(GDir) dir = g_dir_open("/proc/self/fd", 0, NULL);
	guint n = 0;

	g_assert_nonnull(dir);
	while (g_dir_read_name(dir) != NULL)
		n++;
	return n;
}

#define N_FAST_CYCLES 1000

/* descriptors that may come and go on their own (a log, a timer) */
#define FD_SLACK 8

/*
 * Subscribers join, offer, get their answer and leave back to back, as fast
 * as the room serves them (3 to 8 ms each): every ICE agent of theirs goes
 * with its sockets and main context, so the descriptors come back to where
 * they were. Leaving while webrtcbin was still setting up the answer's ICE
 * transports left a nicesrc now and then, with its agent: 30 -> 58 to 122
 * descriptors over these cycles before the fix (docs/PERFORMANCE.md).
 */
static void
test_fast_cycles_free_descriptors(Fixture *fx, gconstpointer data)
{
	g_autoptr(CbTestPeer) template = cb_test_peer_new_subscriber("template");
	g_autofree char *offer = cb_test_peer_offer(template, FALSE);
	gint64 deadline;
	guint before;

	hall_publish(fx);
	cycle(fx, "warm", offer);
	before = n_descriptors();
	for (guint i = 0; i < N_FAST_CYCLES; i++) {
		g_autofree char *peer_id = g_strdup_printf("f%u", i);
		g_autoptr(GError) error = NULL;

		g_assert_true(cb_room_add_subscriber(fx->base.room, peer_id, "hall",
						     CB_PEER_KIND_BRIDGE_POINT, &error));
		g_assert_no_error(error);
		g_assert_true(cb_room_set_remote_description(fx->base.room, peer_id, "offer", offer,
							     &error));
		g_assert_no_error(error);
		WAIT_UNTIL(g_hash_table_contains(fx->base.answered, peer_id));
		g_assert_true(cb_room_remove_peer(fx->base.room, peer_id, &error));
		g_assert_no_error(error);
		g_main_context_iteration(NULL, FALSE);
	}
	/* what is still stopping gets a few seconds */
	deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (n_descriptors() > before + FD_SLACK && g_get_monotonic_time() < deadline) {
		g_main_context_iteration(NULL, FALSE);
		g_usleep(10 * 1000);
	}
	g_test_message("descriptors: %u before, %u after %u cycles", before, n_descriptors(),
		       N_FAST_CYCLES);
	g_assert_cmpuint(n_descriptors(), <=, before + FD_SLACK);
}

int
main(int argc, char **argv)
{
	gst_init(&argc, &argv);
	g_test_init(&argc, &argv, NULL);
	/* GStreamer's own warnings are not the room's faults (test-room.c checks those) */
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

	g_test_add("/civic-bridge/room-leave/frees-peers", Fixture, NULL, fixture_set_up,
		   test_leave_frees_peers, fixture_tear_down);
	g_test_add("/civic-bridge/room-leave/fast-cycles-free-descriptors", Fixture, NULL,
		   fixture_set_up, test_fast_cycles_free_descriptors, fixture_tear_down);
	return g_test_run();
}
