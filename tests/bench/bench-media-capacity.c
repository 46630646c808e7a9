/* civic-bridge benchmark of live sessions: the capacity session, where the
 * hall, B bridge points and an admitted citizen publish and receive as a
 * real session routes them, and the daemon's CPU, losses and forwarding
 * delay are measured over a window */
#define G_LOG_DOMAIN "CbBench"

#include "bench-media-session.h"

/* --- conditions ---------------------------------------------------------------------- */

static gboolean
bm_connected(BmPeer *peer)
{
	if (g_strcmp0(peer->state, "connected") != 0)
		return FALSE;
	if (peer->sink != NULL) {
		guint64 total;
		g_mutex_lock(&peer->sink->lock);
		total = peer->sink->total;
		g_mutex_unlock(&peer->sink->lock);
		return total > 0;
	}
	return TRUE;
}

static guint
bm_count_connected(GPtrArray *peers)
{
	guint n = 0;

	for (guint i = 0; i < peers->len; i++)
		n += bm_connected(g_ptr_array_index(peers, i));
	return n;
}

static gboolean
bm_all_connected(gpointer data)
{
	GPtrArray *peers = data;

	return bm_count_connected(peers) == peers->len;
}

gboolean
bm_all_left(gpointer data)
{
	GPtrArray *peers = data;

	for (guint i = 0; i < peers->len; i++) {
		if (!((BmPeer *)g_ptr_array_index(peers, i))->left)
			return FALSE;
	}
	return TRUE;
}

gboolean
bm_first_frame(BmPeer *peer)
{
	gboolean seen;

	g_mutex_lock(&peer->sink->lock);
	seen = peer->sink->first_frame_us != 0;
	g_mutex_unlock(&peer->sink->lock);
	return seen;
}

gboolean
bm_all_first_frames(gpointer data)
{
	GPtrArray *peers = data;

	for (guint i = 0; i < peers->len; i++) {
		if (!bm_first_frame(g_ptr_array_index(peers, i)))
			return FALSE;
	}
	return TRUE;
}

/* --- the capacity session ------------------------------------------------------------ */

static char *
bm_bp_id(Bm *bm, guint i)
{
	return g_strdup_printf("bp-%" G_GINT64_FORMAT, bm->s->bp[i]);
}

gboolean
bm_connect_clients(Bm *bm)
{
	/* 16 peers per WebSocket at most, well under [media]
	 * max-peers-per-connection (40 by default), so the load spreads over
	 * several connections as the figures were measured: the hall publishes
	 * on the first, its B + 1 subscriptions spread over the others */
	guint n_staff = 1 + (bm->o->bridge_points + 1 + 13) / 14;

	bm->staff = g_ptr_array_new_with_free_func((GDestroyNotify)bm_sig_free);
	bm->ops = g_ptr_array_new_with_free_func((GDestroyNotify)bm_sig_free);
	for (guint i = 0; i < n_staff; i++) {
		BmSig *sig = bm_sig_connect(bm->s, bm->s->staff);
		if (sig == NULL)
			return FALSE;
		g_ptr_array_add(bm->staff, sig);
	}
	for (gint i = 0; i < bm->o->bridge_points; i++) {
		BmSig *sig = bm_sig_connect(bm->s, bm->s->op[i]);
		if (sig == NULL)
			return FALSE;
		g_ptr_array_add(bm->ops, sig);
	}
	bm->citizen = bm_sig_connect(bm->s, bm->s->citizen);
	return bm->citizen != NULL;
}

static BmSource *
bm_add_publisher(Bm *bm, BmSig *sig, const char *handle)
{
	BmSource *source = bm_source_new(FALSE);
	BmPeer *peer = bm_publisher_new(handle, bm->clip, source, 0);

	g_ptr_array_add(bm->sources, source);
	g_ptr_array_add(bm->pubs, peer);
	if (!bm_sig_negotiate(sig, bm->s->session, peer, TRUE, NULL))
		bm->valid = FALSE;
	return source;
}

static void
bm_add_subscriber(Bm *bm, BmSig *sig, const char *handle, const char *slot, BmSource *source)
{
	BmPeer *peer = bm_subscriber_new(handle, source, TRUE, FALSE);

	g_ptr_array_add(bm->subs, peer);
	if (!bm_sig_negotiate(sig, bm->s->session, peer, FALSE, slot))
		bm->valid = FALSE;
}

static gboolean
bm_wait_connected(Bm *bm, GPtrArray *peers, const char *what)
{
	gint64 t0 = g_get_monotonic_time();
	gboolean all = bm_wait(bm_all_connected, peers, BM_CONNECT_WAIT_MS);

	g_print("%s: %u of %u connected and receiving in %.1f s\n", what, bm_count_connected(peers),
		peers->len, (g_get_monotonic_time() - t0) / 1e6);
	if (!all)
		bm->valid = FALSE;
	return all;
}

gboolean
bm_start_hall(Bm *bm)
{
	g_autoptr(GPtrArray) hall = g_ptr_array_new();

	bm->hall_source = bm_add_publisher(bm, g_ptr_array_index(bm->staff, 0), "hall");
	bm->hall_replay = ((BmPeer *)g_ptr_array_index(bm->pubs, 0))->replay;
	g_ptr_array_add(hall, g_ptr_array_index(bm->pubs, 0));
	return bm_wait_connected(bm, hall, "the hall publishing");
}

static void
bm_build_session(Bm *bm)
{
	g_autofree char *floor_id = bm_bp_id(bm, 0);
	BmSource *floor_source;

	for (gint i = 0; i < bm->o->bridge_points; i++)
		bm_add_publisher(bm, g_ptr_array_index(bm->ops, i), "cam");
	bm_add_publisher(bm, bm->citizen, "cam");
	bm_wait_connected(bm, bm->pubs, "publishers");
	bm_sig_send(g_ptr_array_index(bm->staff, 0),
		    "{\"type\":\"floor\",\"session_id\":%" G_GINT64_FORMAT ",\"peer\":\"%s\"}",
		    bm->s->session, floor_id);
	floor_source = g_ptr_array_index(bm->sources, 1);
	/* the hall: every bridge point and the citizen */
	for (gint i = 0; i <= bm->o->bridge_points; i++) {
		BmSig *staff = g_ptr_array_index(bm->staff, 1 + i % (bm->staff->len - 1));
		g_autofree char *slot =
			i < bm->o->bridge_points ? bm_bp_id(bm, i) : g_strdup("citizen");
		g_autofree char *handle = g_strdup_printf("see-%s", slot);
		bm_add_subscriber(bm, staff, handle, slot, g_ptr_array_index(bm->sources, 1 + i));
	}
	/* each bridge point: the hall and the floor; the citizen: the hall */
	for (gint i = 0; i < bm->o->bridge_points; i++) {
		bm_add_subscriber(bm, g_ptr_array_index(bm->ops, i), "see-hall", "hall",
				  bm->hall_source);
		bm_add_subscriber(bm, g_ptr_array_index(bm->ops, i), "see-floor", "floor",
				  floor_source);
	}
	bm_add_subscriber(bm, bm->citizen, "see-hall", "hall", bm->hall_source);
	bm_wait_connected(bm, bm->subs, "subscribers");
}

typedef struct {
	double cpu_s, wall_s, self_cpu_s;
	guint64 expected[BM_N_TRACKS], received[BM_N_TRACKS], unmatched;
	double p50, p99, max;
	guint64 rcvbuf_errors;
	double lane_overruns; /* the daemon's own drops; < 0: not read */
} BmWindow;

static void
bm_window_collect(Bm *bm, BmWindow *w)
{
	g_autoptr(GArray) delays = g_array_new(FALSE, FALSE, sizeof(double));

	for (guint i = 0; i < bm->subs->len; i++) {
		BmSink *sink = ((BmPeer *)g_ptr_array_index(bm->subs, i))->sink;
		g_mutex_lock(&sink->source->lock);
		for (guint t = 0; t < BM_N_TRACKS; t++)
			w->expected[t] += sink->source->sent_in_window[t];
		g_mutex_unlock(&sink->source->lock);
		g_mutex_lock(&sink->lock);
		for (guint t = 0; t < BM_N_TRACKS; t++)
			w->received[t] += sink->received[t];
		w->unmatched += sink->unmatched;
		for (guint k = 0; k < sink->delays_us->len; k++) {
			double ms = g_array_index(sink->delays_us, gint64, k) / 1000.0;
			g_array_append_val(delays, ms);
		}
		g_mutex_unlock(&sink->lock);
	}
	w->p50 = cb_bench_quantile(delays, 0.50);
	w->p99 = cb_bench_quantile(delays, 0.99);
	w->max = cb_bench_quantile(delays, 1.0);
}

static void
bm_measure_window(Bm *bm, BmWindow *w)
{
	double cpu0, self0;
	gint64 t0;
	guint64 rcvbuf0 = bm_udp_rcvbuf_errors();
	double overruns0 = bm_session_lane_overruns(bm->s);

	cpu0 = cb_bench_proc_cpu_seconds(bm->s->pid);
	self0 = bm_self_cpu_seconds();
	t0 = g_get_monotonic_time();
	bm_window_start();
	bm_idle(bm->o->seconds * 1000);
	bm_window_stop();
	w->cpu_s = cb_bench_proc_cpu_seconds(bm->s->pid) - cpu0;
	w->self_cpu_s = bm_self_cpu_seconds() - self0;
	w->wall_s = (g_get_monotonic_time() - t0) / 1e6;
	bm_idle(1000); /* packets sent in the window arrive */
	w->rcvbuf_errors = bm_udp_rcvbuf_errors() - rcvbuf0;
	w->lane_overruns = overruns0 >= 0 ? bm_session_lane_overruns(bm->s) - overruns0 : -1;
	bm_window_collect(bm, w);
	bm_window_reset();
}

/* the same session recorded (every publisher's video and audio): the
 * daemon's CPU against the window before, per recorded track */
static void
bm_recording_window(Bm *bm, const BmWindow *off)
{
	BmWindow on = {0};
	guint tracks = 2 * bm->pubs->len;
	double core_off = off->cpu_s / off->wall_s, core_on;
	double per_track;
	g_autofree char *load = NULL;

	if (!bm_session_record(bm->s, TRUE)) {
		ROW(bm, "| recording | could not start: not measured | |\n");
		bm->valid = FALSE;
		return;
	}
	bm_idle(2000); /* every track's first segment open */
	g_print("measuring %d s with recording on\n", bm->o->seconds);
	bm_measure_window(bm, &on);
	bm_session_record(bm->s, FALSE);
	load = bm_load_average();
	core_on = on.cpu_s / on.wall_s;
	per_track = 100 * (core_on - core_off) / tracks;
	ROW(bm,
	    "| daemon CPU with recording on (%u tracks: every publisher's video and audio), "
	    "same window length; load average after %s | %.2f s in %.1f s = %.0f %% of one "
	    "core (off: %.0f %%) | |\n",
	    tracks, load, on.cpu_s, on.wall_s, 100 * core_on, 100 * core_off);
	ROW(bm,
	    "| daemon CPU per recorded track (on minus off, over %u tracks) | %.3f %% of one "
	    "core | under 0.5 %%: **%s** |\n",
	    tracks, per_track, bm_verdict(bm, per_track < 0.5));
}

BmReading
bm_read(Bm *bm)
{
	BmReading r = {cb_bench_proc_status_kb(bm->s->pid, "Threads"),
		       cb_bench_proc_status_kb(bm->s->pid, "VmRSS"), cb_bench_proc_fds(bm->s->pid)};

	return r;
}

void
bm_capacity(Bm *bm, double *per_packet_us)
{
	BmReading idle, full;
	BmWindow w = {0};
	guint peers;
	guint64 expected, received, lost;
	g_autofree char *load0 = bm_load_average();
	g_autofree char *load1 = NULL;

	idle = bm_read(bm);
	g_print("capacity: %d bridge points, the hall and a citizen; load average %s\n",
		bm->o->bridge_points, load0);
	bm_build_session(bm);
	bm_idle(3000);
	full = bm_read(bm);
	peers = bm->pubs->len + bm->subs->len;
	g_print("measuring %d s\n", bm->o->seconds);
	bm_measure_window(bm, &w);
	load1 = bm_load_average();
	expected = w.expected[BM_VIDEO] + w.expected[BM_AUDIO];
	received = w.received[BM_VIDEO] + w.received[BM_AUDIO];
	lost = expected > received ? expected - received : 0;
	*per_packet_us = received > 0 ? w.cpu_s * 1e6 / received : 0;

	ROW(bm,
	    "\nCapacity: the hall, %d bridge points and a citizen publishing; %u publishers, "
	    "%u subscriber connections (%u peers); recording off, then on; %d s windows; load "
	    "average "
	    "%s before, %s after\n\n",
	    bm->o->bridge_points, bm->pubs->len, bm->subs->len, peers, bm->o->seconds, load0,
	    load1);
	ROW(bm, "| figure | measured | target |\n| --- | --- | --- |\n");
	ROW(bm,
	    "| daemon CPU over the window | %.2f s in %.1f s = %.0f %% of one core | under "
	    "one core: **%s** |\n",
	    w.cpu_s, w.wall_s, 100 * w.cpu_s / w.wall_s,
	    bm_verdict(bm, w.cpu_s / w.wall_s < BM_CPU_TARGET_CORES));
	ROW(bm,
	    "| packets forwarded to subscribers (video / audio) | %" G_GUINT64_FORMAT
	    " / %" G_GUINT64_FORMAT " (%.0f per s) | |\n",
	    w.received[BM_VIDEO], w.received[BM_AUDIO], received / w.wall_s);
	ROW(bm,
	    "| packets lost, of those sent in the window to a subscriber (video / audio) | "
	    "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " (%.3f %%; %" G_GINT64_FORMAT
	    " / %" G_GINT64_FORMAT ") | none: **%s** |\n",
	    lost, expected, expected > 0 ? 100.0 * lost / expected : 0,
	    (gint64)w.expected[BM_VIDEO] - (gint64)w.received[BM_VIDEO],
	    (gint64)w.expected[BM_AUDIO] - (gint64)w.received[BM_AUDIO],
	    bm_verdict(bm, lost == 0 && expected > 0));
	ROW(bm,
	    "| UDP datagrams the kernel dropped in the window, a receive buffer full (any "
	    "socket of the namespace: the daemon's or this process's) | %" G_GUINT64_FORMAT
	    " | |\n",
	    w.rcvbuf_errors);
	ROW(bm,
	    "| times a lane of the daemon fell 300 ms behind and dropped its oldest frames "
	    "(`civic_bridge_media_lane_overruns_total` over the window) | %.0f | |\n",
	    w.lane_overruns);
	ROW(bm,
	    "| packets received that no publisher sent (any time) | %" G_GUINT64_FORMAT " | |\n",
	    w.unmatched);
	ROW(bm,
	    "| forwarding delay, publisher's payloader to subscriber, p50 / p99 / max | "
	    "%.1f / %.1f / %.1f ms | |\n",
	    w.p50, w.p99, w.max);
	ROW(bm, "| daemon CPU per forwarded packet | %.1f µs | under %.0f µs: **%s** |\n",
	    *per_packet_us, BM_PACKET_TARGET_US,
	    bm_verdict(bm, received > 0 && *per_packet_us < BM_PACKET_TARGET_US));
	ROW(bm,
	    "| this process's CPU over the window (publishers and subscribers) | %.1f s "
	    "(%.0f %% of one core) | |\n",
	    w.self_cpu_s, 100 * w.self_cpu_s / w.wall_s);
	/* the hall publishes before: per peer added to it */
	ROW(bm,
	    "| daemon threads: the hall alone / %u peers connected | %" G_GUINT64_FORMAT
	    " / %" G_GUINT64_FORMAT " (%.1f per added peer) | |\n",
	    peers, idle.threads, full.threads,
	    (double)((gint64)full.threads - (gint64)idle.threads) / (peers - 1));
	ROW(bm,
	    "| daemon VmRSS: the hall alone / %u peers | %.1f / %.1f MiB (%.0f KB per added "
	    "peer) | |\n",
	    peers, idle.rss_kb / 1024.0, full.rss_kb / 1024.0,
	    (double)((gint64)full.rss_kb - (gint64)idle.rss_kb) / (peers - 1));
	ROW(bm,
	    "| daemon open descriptors: the hall alone / %u peers | %" G_GUINT64_FORMAT
	    " / %" G_GUINT64_FORMAT " (%.1f per added peer) | |\n",
	    peers, idle.fds, full.fds, (double)((gint64)full.fds - (gint64)idle.fds) / (peers - 1));
	bm_recording_window(bm, &w);
}
