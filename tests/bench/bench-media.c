/* civic-bridge benchmark: live sessions (issue 4)
 *
 * Runs the real civic-bridged in its own process and counts only its CPU.
 * Synthetic peers in this process replay a clip of VP8 (about 1 Mbps) and
 * Opus encoded once at start-up, so the generator encodes nothing.
 *
 * 1. Join time: offer sent to the first decoded video frame at a bridge
 *    point subscribing to the hall (which publishes alone), alone (J times)
 *    and B at once (R rounds).
 * 2. C join-and-leave cycles (1000): join, offer, answer, leave; threads,
 *    descriptors and memory before and after.
 * 3. Capacity (bench-media-capacity.c): one live session with the hall,
 *    B bridge points (30) and an admitted citizen publishing, routed as a
 *    session is, recording off; over D seconds (20) the daemon's CPU, loss,
 *    forwarding delay, CPU per forwarded packet; threads, memory and
 *    descriptors per connected peer.
 * 4. Baselines in the same run (bench-media-relay.c): a bare webrtcbin
 *    pair's join time, and the CPU per forwarded packet of a bare
 *    two-webrtcbin relay and of a plain GStreamer UDP relay, each in its own
 *    process.
 *
 * Run inside a private network namespace (ICE on 127.0.0.1 only):
 *   unshare -n sh -c 'ip link set lo up && meson test -C build --benchmark bench-media -v'
 * Every wait has a deadline. Exit status: 0 when every target is met, 1
 * otherwise or when a phase could not run, 77 when a GStreamer element it
 * needs is missing.
 */
#define G_LOG_DOMAIN "CbBench"

#include <stdio.h>
#include <stdlib.h>

#include "bench-media-session.h"

const char *
bm_verdict(Bm *bm, gboolean met)
{
	if (!met)
		bm->ok = FALSE;
	return met ? "PASS" : "FAIL";
}

static gboolean
bm_peer_first_frame_cond(gpointer peer)
{
	return bm_first_frame(peer);
}

static gboolean
bm_peer_left_cond(gpointer peer)
{
	return ((BmPeer *)peer)->left;
}

static gboolean
bm_peer_joined_cond(gpointer data)
{
	BmPeer *peer = data;
	gboolean refused;

	return bm_sig_joined(peer->owner, peer, &refused);
}

static gboolean
bm_peer_answered_cond(gpointer peer)
{
	return ((BmPeer *)peer)->answered;
}

/* --- join time ----------------------------------------------------------------------- */

static void
bm_join_record(BmPeer *peer, GArray *ms)
{
	if (bm_first_frame(peer)) {
		double t = (peer->sink->first_frame_us - peer->offer_sent_us) / 1000.0;
		g_array_append_val(ms, t);
	}
}

static void
bm_leave_all(GPtrArray *peers)
{
	for (guint i = 0; i < peers->len; i++) {
		BmPeer *peer = g_ptr_array_index(peers, i);
		bm_sig_leave(peer->owner, peer);
	}
	if (!bm_wait(bm_all_left, peers, BM_LEAVE_WAIT_MS))
		g_printerr("not every joiner was told it left\n");
	for (guint i = 0; i < peers->len; i++) {
		BmPeer *peer = g_ptr_array_index(peers, i);
		bm_sig_drop(peer->owner, peer);
	}
	g_ptr_array_set_size(peers, 0);
}

/* a join alone waits this long after the one before: longer than the room's
 * keyframe-interval-ms (500), so the hall's keyframe window is its own. Joins
 * one right after another (no pause) each wait out the window the one before
 * opened: that is timed apart. */
#define BM_JOIN_PAUSE_MS 1000

/* a bridge point subscribes to the hall, alone */
static void
bm_join_one(Bm *bm, guint k, GArray *ms)
{
	BmSig *sig = g_ptr_array_index(bm->ops, k % bm->ops->len);
	g_autofree char *handle = g_strdup_printf("join-%u", k);
	BmPeer *peer = bm_subscriber_new(handle, bm->hall_source, TRUE, TRUE);
	g_autoptr(GPtrArray) peers = g_ptr_array_new();

	g_ptr_array_add(peers, peer);
	if (bm_sig_negotiate(sig, bm->s->session, peer, FALSE, "hall") &&
	    bm_wait(bm_peer_first_frame_cond, peer, BM_FRAME_WAIT_MS))
		bm_join_record(peer, ms);
	else
		g_printerr("  join %u: no decoded frame within %d ms (state %s, %" G_GUINT64_FORMAT
			   " packets received; the hall has sent %u keyframes on request)\n",
			   k, BM_FRAME_WAIT_MS, peer->state != NULL ? peer->state : "none",
			   peer->sink->total, bm_replay_keyframe_requests(bm->hall_replay));
	bm_leave_all(peers);
}

static gboolean
bm_all_joined(gpointer data)
{
	GPtrArray *peers = data;

	for (guint i = 0; i < peers->len; i++) {
		BmPeer *peer = g_ptr_array_index(peers, i);
		gboolean refused;
		if (!bm_sig_joined(peer->owner, peer, &refused))
			return FALSE;
	}
	return TRUE;
}

/* every bridge point subscribes to the hall at once */
static void
bm_join_many(Bm *bm, guint round, GArray *ms)
{
	g_autoptr(GPtrArray) peers = g_ptr_array_new();

	for (guint i = 0; i < bm->ops->len; i++) {
		g_autofree char *handle = g_strdup_printf("many-%u-%u", round, i);
		BmPeer *peer = bm_subscriber_new(handle, bm->hall_source, TRUE, TRUE);
		g_ptr_array_add(peers, peer);
		bm_sig_join_send(g_ptr_array_index(bm->ops, i), bm->s->session, peer, FALSE,
				 "hall");
	}
	if (bm_wait(bm_all_joined, peers, BM_LEAVE_WAIT_MS)) {
		for (guint i = 0; i < peers->len; i++) {
			BmPeer *peer = g_ptr_array_index(peers, i);
			bm_sig_offer(peer->owner, peer, NULL);
		}
		guint before = ms->len;
		bm_wait(bm_all_first_frames, peers, 3 * BM_FRAME_WAIT_MS);
		for (guint i = 0; i < peers->len; i++)
			bm_join_record(g_ptr_array_index(peers, i), ms);
		g_print("  round %u: %u of %u decoded a frame; keyframes the hall was asked for so "
			"far: %u\n",
			round + 1, ms->len - before, peers->len,
			bm_replay_keyframe_requests(bm->hall_replay));
	} else {
		g_printerr("  round %u: not every join was answered\n", round + 1);
	}
	bm_leave_all(peers);
}

static void
bm_join_row(Bm *bm, const char *what, GArray *ms, guint tried, double target, GArray *base)
{
	guint got = ms->len;
	double p50 = cb_bench_quantile(ms, 0.50), p95 = cb_bench_quantile(ms, 0.95);
	double b50 = cb_bench_quantile(base, 0.50), b95 = cb_bench_quantile(base, 0.95);

	ROW(bm,
	    "| join, %s: offer to first decoded frame, p50 / p95 / max (%u of %u) | %.0f / "
	    "%.0f / %.0f ms; bare webrtcbin pair %.0f / %.0f ms (p95 ratio %.1f) | p95 under "
	    "%.0f ms: **%s** |\n",
	    what, got, tried, p50, p95, cb_bench_quantile(ms, 1.0), b50, b95,
	    b95 > 0 ? p95 / b95 : 0, target,
	    bm_verdict(bm, got == tried && got > 0 && p95 < target));
}

static void
bm_joins(Bm *bm)
{
	g_autoptr(GArray) one = g_array_new(FALSE, FALSE, sizeof(double));
	g_autoptr(GArray) many = g_array_new(FALSE, FALSE, sizeof(double));
	g_autoptr(GArray) bare_one = g_array_new(FALSE, FALSE, sizeof(double));
	g_autoptr(GArray) bare_many = g_array_new(FALSE, FALSE, sizeof(double));
	g_autoptr(GArray) chained = g_array_new(FALSE, FALSE, sizeof(double));
	g_autofree char *load = bm_load_average();

	g_print("join time: %d alone (%d ms apart), %d one right after another, %d rounds of %u "
		"at once; load average %s\n",
		bm->o->joins, BM_JOIN_PAUSE_MS, bm->o->joins, bm->o->rounds, bm->ops->len, load);
	for (gint k = 0; k < bm->o->joins; k++) {
		bm_idle(BM_JOIN_PAUSE_MS);
		bm_join_one(bm, k, one);
	}
	bm_idle(BM_JOIN_PAUSE_MS);
	for (gint k = 0; k < bm->o->joins; k++)
		bm_join_one(bm, bm->o->joins + k, chained);
	for (gint r = 0; r < bm->o->rounds; r++)
		bm_join_many(bm, r, many);
	g_print("bare webrtcbin pairs: %d alone, %d rounds of %u at once\n", bm->o->joins,
		bm->o->rounds, bm->ops->len);
	for (gint k = 0; k < bm->o->joins; k++)
		bm_bare_join(bm->clip, 1, bare_one);
	for (gint r = 0; r < bm->o->rounds; r++)
		bm_bare_join(bm->clip, bm->ops->len, bare_many);
	ROW(bm,
	    "\nJoin time: a bridge point subscribes to the hall while the hall publishes; the "
	    "baseline is a bare webrtcbin pair in this process (the publisher offers); load "
	    "average %s\n\n",
	    load);
	ROW(bm, "| figure | measured | target |\n| --- | --- | --- |\n");
	bm_join_row(bm, "alone", one, bm->o->joins, BM_JOIN_ONE_TARGET_MS, bare_one);
	ROW(bm,
	    "| join, one right after another (no pause; each within the keyframe window the one "
	    "before opened): p50 / p95 / max (%u of %d) | %.0f / %.0f / %.0f ms | none: the room "
	    "asks one publisher for at most one keyframe per 500 ms |\n",
	    chained->len, bm->o->joins, cb_bench_quantile(chained, 0.50),
	    cb_bench_quantile(chained, 0.95), cb_bench_quantile(chained, 1.0));
	g_autofree char *what = g_strdup_printf("%u at once", bm->ops->len);
	bm_join_row(bm, what, many, bm->o->rounds * bm->ops->len, BM_JOIN_MANY_TARGET_MS,
		    bare_many);
}

/* --- join-and-leave cycles ----------------------------------------------------------------- */

static gboolean
bm_cycle(Bm *bm, BmSig *sig, BmPeer *peer, const char *offer)
{
	gboolean refused = FALSE;

	bm_sig_join_send(sig, bm->s->session, peer, FALSE, "hall");
	if (!bm_wait(bm_peer_joined_cond, peer, BM_LEAVE_WAIT_MS))
		return FALSE;
	bm_sig_joined(sig, peer, &refused);
	if (refused)
		return FALSE;
	bm_sig_offer(sig, peer, offer);
	if (!bm_wait(bm_peer_answered_cond, peer, BM_LEAVE_WAIT_MS))
		return FALSE;
	bm_sig_leave(sig, peer);
	return bm_wait(bm_peer_left_cond, peer, BM_LEAVE_WAIT_MS);
}

static void
bm_cycles(Bm *bm)
{
	BmSig *sig = g_ptr_array_index(bm->ops, 0);
	BmPeer *peer = bm_subscriber_new("cycle", bm->hall_source, TRUE, FALSE);
	g_autofree char *offer = bm_peer_offer(peer);
	g_autofree char *load = bm_load_average();
	BmReading start, warm = {0}, end;
	guint failed = 0, done = 0;
	gint64 t0;

	peer->count_only = TRUE;
	g_print("%d join-and-leave cycles; load average %s\n", bm->o->cycles, load);
	start = bm_read(bm);
	t0 = g_get_monotonic_time();
	for (gint c = 0; c < bm->o->cycles && failed < 5; c++) {
		if (bm_cycle(bm, sig, peer, offer))
			done++;
		else
			failed++;
		if (c == 9)
			warm = bm_read(bm);
	}
	bm_idle(3000);
	end = bm_read(bm);
	bm_sig_drop(sig, peer);
	if (failed > 0)
		bm->valid = FALSE;
	ROW(bm,
	    "\nJoin-and-leave: %u cycles (join the hall's slot, offer, answer, leave, "
	    "peer-left) one after the other, %u failed, %.1f ms each; the hall publishing; "
	    "load average %s\n\n",
	    done, failed, done > 0 ? (g_get_monotonic_time() - t0) / 1000.0 / (done + failed) : 0,
	    load);
	ROW(bm, "| figure | before / after 10 / after all (+3 s) | target |\n| --- | --- | --- "
		"|\n");
	ROW(bm,
	    "| daemon threads | %" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT
	    " | back to the start: **%s** |\n",
	    start.threads, warm.threads, end.threads, bm_verdict(bm, end.threads <= start.threads));
	ROW(bm,
	    "| daemon open descriptors | %" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT
	    " / %" G_GUINT64_FORMAT " | back to the start: **%s** |\n",
	    start.fds, warm.fds, end.fds, bm_verdict(bm, end.fds <= start.fds));
	ROW(bm,
	    "| daemon VmRSS | %.1f / %.1f / %.1f MiB (growth %+.2f MiB) | growth under 5 MB: "
	    "**%s** |\n",
	    start.rss_kb / 1024.0, warm.rss_kb / 1024.0, end.rss_kb / 1024.0,
	    ((gint64)end.rss_kb - (gint64)start.rss_kb) / 1024.0,
	    bm_verdict(bm, (gint64)end.rss_kb - (gint64)start.rss_kb < BM_GROWTH_TARGET_KB));
}

/* --- baselines -------------------------------------------------------------------------- */

static void
bm_relay_row(Bm *bm, const char *what, BmRelayResult *r, double daemon_us)
{
	double us = r->received > 0 ? r->cpu_s * 1e6 / r->received : 0;
	guint64 lost = r->sent > r->received ? r->sent - r->received : 0;

	if (!r->ok || r->received == 0) {
		ROW(bm, "| %s | did not run | |\n", what);
		bm->valid = FALSE;
		return;
	}
	ROW(bm,
	    "| %s: CPU per forwarded packet (relay CPU %.2f s in %.1f s, %" G_GUINT64_FORMAT
	    " packets, %" G_GUINT64_FORMAT " lost; delay p50 / p99 %.1f / %.1f ms) | %.1f µs; "
	    "the daemon's is %.1f times that | |\n",
	    what, r->cpu_s, r->wall_s, r->received, lost, r->delay_p50_ms, r->delay_p99_ms, us,
	    us > 0 ? daemon_us / us : 0);
}

static void
bm_baselines(Bm *bm, const char *self, double daemon_us)
{
	g_autofree char *load = bm_load_average();
	BmRelayResult webrtc, udp;

	g_print("baseline relays: %d streams for %d s each; load average %s\n", bm->o->streams,
		bm->o->baseline_seconds, load);
	webrtc = bm_relay_webrtc_run(self, bm->clip, bm->o->streams, bm->o->baseline_seconds);
	udp = bm_relay_udp_run(self, bm->clip, bm->o->streams, bm->o->baseline_seconds);
	ROW(bm,
	    "\nBaselines, same run, each relay in its own process, %d publishers replaying "
	    "the same clip (one in, one out each), %d s; load average %s\n\n",
	    bm->o->streams, bm->o->baseline_seconds, load);
	ROW(bm, "| figure | measured | |\n| --- | --- | --- |\n");
	ROW(bm, "| daemon (capacity window above) | %.1f µs per forwarded packet | |\n", daemon_us);
	bm_relay_row(bm, "bare two-webrtcbin relay (webrtcbin, depay, pay, webrtcbin)", &webrtc,
		     daemon_us);
	bm_relay_row(bm, "plain GStreamer UDP relay (udpsrc, udpsink)", &udp, daemon_us);
}

/* --- main ---------------------------------------------------------------------------------- */

static gboolean
bm_have_elements(void)
{
	static const char *const names[] = {
		"appsrc",       "appsink",   "videotestsrc", "vp8enc",      "vp8dec",
		"audiotestsrc", "opusenc",   "rtpvp8pay",    "rtpvp8depay", "rtpopuspay",
		"rtpopusdepay", "webrtcbin", "nicesrc",      "dtlssrtpenc", "srtpenc",
		"udpsrc",       "udpsink",   "fakesink"};
	gboolean all = TRUE;

	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autoptr(GstElementFactory) f = gst_element_factory_find(names[i]);
		if (f == NULL) {
			g_printerr("GStreamer element '%s' is missing (gstreamer1.0-plugins-base, "
				   "-good, -bad, gstreamer1.0-nice)\n",
				   names[i]);
			all = FALSE;
		}
	}
	return all;
}

static gboolean
bm_parse(BmOptions *o, int *argc, char ***argv)
{
	GOptionEntry entries[] = {
		{"bridge-points", 'b', 0, G_OPTION_ARG_INT, &o->bridge_points,
		 "Bridge points in the session (30)", "B"},
		{"seconds", 'd', 0, G_OPTION_ARG_INT, &o->seconds,
		 "Seconds of the capacity window (20)", "D"},
		{"cycles", 'c', 0, G_OPTION_ARG_INT, &o->cycles, "Join-and-leave cycles (1000)",
		 "C"},
		{"joins", 'j', 0, G_OPTION_ARG_INT, &o->joins, "Joins timed alone (10)", "J"},
		{"rounds", 'r', 0, G_OPTION_ARG_INT, &o->rounds, "Rounds of B joins at once (2)",
		 "R"},
		{"streams", 's', 0, G_OPTION_ARG_INT, &o->streams,
		 "Streams through each baseline relay (8)", "S"},
		{"baseline-seconds", 'w', 0, G_OPTION_ARG_INT, &o->baseline_seconds,
		 "Seconds of each baseline relay's window (10)", "W"},
		{"clip-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &o->clip_seconds,
		 "Seconds of the encoded clip (6)", "S"},
		{NULL}};
	g_autoptr(GOptionContext) context = g_option_context_new("- civic-bridge live sessions");
	g_autoptr(GError) error = NULL;

	g_option_context_add_main_entries(context, entries, NULL);
	g_option_context_add_group(context, gst_init_get_option_group());
	if (!g_option_context_parse(context, argc, argv, &error)) {
		g_printerr("%s\n", error->message);
		return FALSE;
	}
	if (o->bridge_points < 1 || o->seconds < 1 || o->cycles < 0 || o->joins < 1 ||
	    o->rounds < 0 || o->streams < 1 || o->baseline_seconds < 1 || o->clip_seconds < 2) {
		g_printerr("every count must be positive (at least 2 s of clip)\n");
		return FALSE;
	}
	return TRUE;
}

static void
bm_print_clip(BmClip *clip)
{
	g_print("clip: %.0f s; VP8 640x360 at 30 fps, %u frames, %u keyframes, %.0f kbit/s; "
		"Opus %u frames of 20 ms, %.0f kbit/s\n",
		clip->seconds, clip->frames[BM_VIDEO]->len, clip->keyframes->len,
		clip->bytes[BM_VIDEO] * 8 / clip->seconds / 1000, clip->frames[BM_AUDIO]->len,
		clip->bytes[BM_AUDIO] * 8 / clip->seconds / 1000);
}

static int
bm_run(Bm *bm, const char *self)
{
	double daemon_us = 0;
	g_autoptr(GError) error = NULL;

	bm->clip = bm_clip_encode(bm->o->clip_seconds, &error);
	if (bm->clip == NULL) {
		g_printerr("encoding the clip: %s\n", error->message);
		return 1;
	}
	bm_print_clip(bm->clip);
	bm->s = bm_session_new(bm->o->bridge_points);
	if (bm->s == NULL)
		return 1;
	g_print("daemon pid %d on %s, session %" G_GINT64_FORMAT " live\n", (int)bm->s->pid,
		bm->s->d->url, bm->s->session);
	bm_set_pump(bm_sig_pump_all);
	if (!bm_connect_clients(bm)) {
		g_printerr("the WebSocket clients could not connect\n");
		return 1;
	}
	/* joins and cycles first, in a room where only the hall publishes: after
	 * the capacity window a loaded machine has left its mark (see
	 * docs/PERFORMANCE.md) */
	if (!bm_start_hall(bm)) {
		g_printerr("the hall could not publish\n");
		return 1;
	}
	bm_joins(bm);
	bm_cycles(bm);
	bm_capacity(bm, &daemon_us);
	g_ptr_array_set_size(bm->staff, 0);
	g_ptr_array_set_size(bm->ops, 0);
	g_clear_pointer(&bm->citizen, bm_sig_free);
	g_clear_pointer(&bm->s, bm_session_free);
	bm_baselines(bm, self, daemon_us);
	/* as bytes: g_print() would turn "µs" into "?s" outside a UTF-8 locale */
	fflush(stdout);
	fputs(bm->summary->str, stdout);
	if (!bm->valid)
		g_print("\nsome phase did not complete (see above): the run is not valid\n");
	g_print("\nresult: %s\n", bm->ok && bm->valid ? "PASS" : "FAIL");
	return bm->ok && bm->valid ? 0 : 1;
}

int
main(int argc, char **argv)
{
	BmOptions o = {.bridge_points = 30,
		       .seconds = 20,
		       .cycles = 1000,
		       .joins = 10,
		       .rounds = 2,
		       .streams = 8,
		       .baseline_seconds = 10,
		       .clip_seconds = 6};
	Bm bm = {.o = &o, .ok = TRUE, .valid = TRUE};
	g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);

	/* the baselines' relays: this program re-executed */
	if (argc == 3 && g_str_equal(argv[1], "--relay-webrtc")) {
		gst_init(NULL, NULL);
		return bm_relay_webrtc_main((guint)atoi(argv[2]));
	}
	if (argc == 4 && g_str_equal(argv[1], "--relay-udp")) {
		gst_init(NULL, NULL);
		return bm_relay_udp_main((guint)atoi(argv[2]), (guint)atoi(argv[3]));
	}
	if (!bm_parse(&o, &argc, &argv))
		return 2;
	gst_init(&argc, &argv);
	if (!bm_have_elements())
		return 77;
	bm.summary = g_string_new(NULL);
	bm.sources = g_ptr_array_new_with_free_func((GDestroyNotify)bm_source_free);
	bm.pubs = g_ptr_array_new();
	bm.subs = g_ptr_array_new();
	return bm_run(&bm, self);
}
