/* civic-bridge benchmark of live sessions: the baselines, measured in the
 * same run as the daemon, so that ratios hold on a shared, noisy machine
 *
 * - a bare two-webrtcbin relay: this program re-executed with
 *   --relay-webrtc N holds N pairs of webrtcbins (in: answers a publisher;
 *   out: offers to a receiver) joined by depayloader and payloader, in one
 *   pipeline, so its CPU is countable; descriptions travel over its stdin and
 *   stdout, one line each, with every candidate (no trickle);
 * - a plain GStreamer UDP relay: --relay-udp IN OUT, udpsrc into udpsink;
 * - a bare webrtcbin pair in this process, for join times.
 *
 * Every wait is bounded; a relay ends when its stdin closes.
 */
#define G_LOG_DOMAIN "CbBench"

#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>

#include "bench-media.h"

#define BM_RELAY_WAIT_MS 30000

/* --- the relay processes --------------------------------------------------------------- */

typedef struct {
	GMainLoop *loop;
	GstElement *pipeline;
	guint pairs;
	GPtrArray *pending; /* BmPending *: descriptions waiting for gathering */
} BmRelay;

typedef struct {
	GstElement *webrtc;
	char *tag; /* "pubanswer 3" */
} BmPending;

static void
bm_relay_say(const char *tag, const char *sdp)
{
	g_autofree char *b64 = g_base64_encode((const guchar *)sdp, strlen(sdp));

	fprintf(stdout, "%s %s\n", tag, b64);
	fflush(stdout);
}

static gboolean
bm_relay_pending_cb(gpointer data)
{
	BmRelay *relay = data;

	for (guint i = 0; i < relay->pending->len;) {
		BmPending *p = g_ptr_array_index(relay->pending, i);
		BmPeer view = {.webrtc = p->webrtc};
		if (!bm_peer_gathered(&view)) {
			i++;
			continue;
		}
		g_autofree char *sdp = bm_peer_local_sdp(&view);
		bm_relay_say(p->tag, sdp);
		g_free(p->tag);
		g_free(p);
		g_ptr_array_remove_index(relay->pending, i);
	}
	return G_SOURCE_CONTINUE;
}

static void
bm_relay_defer(BmRelay *relay, GstElement *webrtc, const char *tag, guint i)
{
	BmPending *p = g_new0(BmPending, 1);

	p->webrtc = webrtc;
	p->tag = g_strdup_printf("%s %u", tag, i);
	g_ptr_array_add(relay->pending, p);
}

static GstElement *
bm_relay_get(BmRelay *relay, const char *prefix, guint i)
{
	g_autofree char *name = g_strdup_printf("%s%u", prefix, i);
	GstElement *e = gst_bin_get_by_name(GST_BIN(relay->pipeline), name);

	if (e != NULL)
		gst_object_unref(e); /* the pipeline holds it */
	return e;
}

/* webrtcbin's thread: the publisher's track goes to this pair's depayloader */
static void
bm_relay_pad_added_cb(GstElement *webrtc, GstPad *pad, gpointer data)
{
	BmRelay *relay = data;
	guint i = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(webrtc), "bm-pair"));
	g_autoptr(GstCaps) caps = gst_pad_get_current_caps(pad);
	gboolean video;
	GstElement *depay;
	g_autoptr(GstPad) sink = NULL;

	if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC || caps == NULL)
		return;
	video = g_strcmp0(gst_structure_get_string(gst_caps_get_structure(caps, 0), "media"),
			  "video") == 0;
	depay = bm_relay_get(relay, video ? "vdepay" : "adepay", i);
	sink = gst_element_get_static_pad(depay, "sink");
	gst_pad_link(pad, sink);
}

static void
bm_relay_line(BmRelay *relay, const char *line)
{
	g_auto(GStrv) words = g_strsplit(line, " ", 3);
	guint i;
	gsize len;
	g_autofree char *sdp = NULL;
	BmPeer view = {0};

	if (g_strv_length(words) != 3)
		return;
	i = (guint)g_ascii_strtoull(words[1], NULL, 10);
	sdp = (char *)g_base64_decode(words[2], &len);
	sdp = g_realloc(sdp, len + 1);
	sdp[len] = '\0';
	view.pipeline = relay->pipeline;
	if (g_str_equal(words[0], "pub")) {
		g_autofree char *answer = NULL;
		view.webrtc = bm_relay_get(relay, "in", i);
		answer = bm_peer_answer(&view, sdp);
		bm_relay_defer(relay, view.webrtc, "pubanswer", i);
	} else if (g_str_equal(words[0], "subanswer")) {
		view.webrtc = bm_relay_get(relay, "out", i);
		bm_peer_set_answer(&view, sdp);
	}
}

static void
bm_relay_read_cb(GObject *source, GAsyncResult *result, gpointer data)
{
	BmRelay *relay = data;
	g_autofree char *line = g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source),
								     result, NULL, NULL);

	if (line == NULL) {
		g_main_loop_quit(relay->loop);
		return;
	}
	bm_relay_line(relay, line);
	g_data_input_stream_read_line_async(G_DATA_INPUT_STREAM(source), G_PRIORITY_DEFAULT, NULL,
					    bm_relay_read_cb, relay);
}

static void
bm_relay_read_stdin(BmRelay *relay, GDataInputStream *in)
{
	g_data_input_stream_read_line_async(in, G_PRIORITY_DEFAULT, NULL, bm_relay_read_cb, relay);
	g_main_loop_run(relay->loop);
}

int
bm_relay_webrtc_main(guint pairs)
{
	BmRelay relay = {.pairs = pairs};
	g_autoptr(GString) description = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GInputStream) raw = g_unix_input_stream_new(0, FALSE);
	g_autoptr(GDataInputStream) in = g_data_input_stream_new(raw);

	for (guint i = 0; i < pairs; i++)
		g_string_append_printf(
			description,
			"webrtcbin name=in%u bundle-policy=max-bundle latency=50 "
			"webrtcbin name=out%u bundle-policy=max-bundle latency=50 "
			"rtpvp8depay name=vdepay%u ! rtpvp8pay pt=96 picture-id-mode=15-bit ! "
			"application/x-rtp,media=video,encoding-name=VP8,payload=96,"
			"clock-rate=90000,rtcp-fb-nack-pli=true ! out%u. "
			"rtpopusdepay name=adepay%u ! rtpopuspay pt=111 ! "
			"application/x-rtp,media=audio,encoding-name=OPUS,payload=111,"
			"clock-rate=48000,encoding-params=(string)2 ! out%u. ",
			i, i, i, i, i, i);
	relay.pipeline = gst_parse_launch(description->str, &error);
	if (relay.pipeline == NULL) {
		g_printerr("relay: %s\n", error->message);
		return 1;
	}
	relay.loop = g_main_loop_new(NULL, FALSE);
	relay.pending = g_ptr_array_new();
	gst_element_set_state(relay.pipeline, GST_STATE_PLAYING);
	for (guint i = 0; i < pairs; i++) {
		BmPeer view = {.pipeline = relay.pipeline};
		GstElement *webrtc_in = bm_relay_get(&relay, "in", i);
		g_autofree char *offer = NULL;

		view.webrtc = bm_relay_get(&relay, "out", i);
		bm_peer_configure_ice(webrtc_in);
		bm_peer_configure_ice(view.webrtc);
		g_object_set_data(G_OBJECT(webrtc_in), "bm-pair", GUINT_TO_POINTER(i));
		g_signal_connect(webrtc_in, "pad-added", G_CALLBACK(bm_relay_pad_added_cb), &relay);
		offer = bm_peer_offer(&view);
		bm_relay_defer(&relay, view.webrtc, "suboffer", i);
	}
	g_timeout_add(20, bm_relay_pending_cb, &relay);
	bm_relay_read_stdin(&relay, in);
	gst_element_set_state(relay.pipeline, GST_STATE_NULL);
	gst_object_unref(relay.pipeline);
	return 0;
}

int
bm_relay_udp_main(guint in_port, guint out_port)
{
	BmRelay relay = {0};
	g_autofree char *description =
		g_strdup_printf("udpsrc port=%u buffer-size=4194304 ! "
				"udpsink host=127.0.0.1 port=%u sync=false async=false",
				in_port, out_port);
	g_autoptr(GError) error = NULL;
	g_autoptr(GInputStream) raw = g_unix_input_stream_new(0, FALSE);
	g_autoptr(GDataInputStream) in = g_data_input_stream_new(raw);

	relay.pipeline = gst_parse_launch(description, &error);
	if (relay.pipeline == NULL) {
		g_printerr("relay: %s\n", error->message);
		return 1;
	}
	relay.loop = g_main_loop_new(NULL, FALSE);
	gst_element_set_state(relay.pipeline, GST_STATE_PLAYING);
	fprintf(stdout, "ready 0 -\n");
	fflush(stdout);
	bm_relay_read_stdin(&relay, in);
	gst_element_set_state(relay.pipeline, GST_STATE_NULL);
	gst_object_unref(relay.pipeline);
	return 0;
}

/* --- driving a relay from the benchmark -------------------------------------------------- */

typedef struct {
	GSubprocess *process;
	GDataInputStream *out;
	GOutputStream *in;
	GQueue lines;
	GCancellable *cancel;
	gboolean eof; /* the last read returned: nothing refers to the child */
} BmChild;

static void
bm_child_read_cb(GObject *source, GAsyncResult *result, gpointer data)
{
	BmChild *child = data;
	char *line = g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), result, NULL,
							  NULL);

	if (line == NULL) {
		child->eof = TRUE;
		return;
	}
	g_queue_push_tail(&child->lines, line);
	g_data_input_stream_read_line_async(child->out, G_PRIORITY_DEFAULT, child->cancel,
					    bm_child_read_cb, child);
}

static BmChild *
bm_child_spawn(const char *const *argv)
{
	BmChild *child = g_new0(BmChild, 1);
	g_autoptr(GError) error = NULL;

	child->process = g_subprocess_newv(
		argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
	if (child->process == NULL) {
		g_printerr("cannot start %s: %s\n", argv[0], error->message);
		g_free(child);
		return NULL;
	}
	child->out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(child->process));
	child->in = g_subprocess_get_stdin_pipe(child->process);
	child->cancel = g_cancellable_new();
	g_data_input_stream_read_line_async(child->out, G_PRIORITY_DEFAULT, child->cancel,
					    bm_child_read_cb, child);
	return child;
}

static GPid
bm_child_pid(BmChild *child)
{
	const char *id = g_subprocess_get_identifier(child->process);

	return id != NULL ? (GPid)atoi(id) : 0;
}

static void
bm_child_say(BmChild *child, const char *tag, guint i, const char *sdp)
{
	g_autofree char *b64 = g_base64_encode((const guchar *)sdp, strlen(sdp));
	g_autofree char *line = g_strdup_printf("%s %u %s\n", tag, i, b64);

	g_output_stream_write_all(child->in, line, strlen(line), NULL, NULL, NULL);
}

/* stdin closed: the relay ends; killed if it does not within 5 s */
static void
bm_child_free(BmChild *child)
{
	gint64 deadline = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;

	if (child == NULL)
		return;
	g_output_stream_close(child->in, NULL, NULL);
	while (g_get_monotonic_time() < deadline &&
	       g_subprocess_get_identifier(child->process) != NULL) {
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(10000);
	}
	if (g_subprocess_get_identifier(child->process) != NULL)
		g_subprocess_force_exit(child->process);
	g_subprocess_wait(child->process, NULL, NULL);
	/* the pending read ends (EOF, or cancelled) before the child is freed */
	g_cancellable_cancel(child->cancel);
	while (!child->eof)
		g_main_context_iteration(NULL, TRUE);
	g_object_unref(child->cancel);
	g_object_unref(child->out);
	g_object_unref(child->process);
	g_queue_clear_full(&child->lines, g_free);
	g_free(child);
}

static gboolean
bm_child_has_lines(gpointer data)
{
	BmChild *child = ((gpointer *)data)[0];
	guint want = GPOINTER_TO_UINT(((gpointer *)data)[1]);

	return child->lines.length >= want || child->eof;
}

/* the next line starting with @tag: its index and SDP */
static char *
bm_child_take(BmChild *child, const char *tag, guint *index)
{
	for (GList *l = child->lines.head; l != NULL; l = l->next) {
		g_auto(GStrv) words = g_strsplit(l->data, " ", 3);
		gsize len;
		char *sdp;
		if (g_strv_length(words) != 3 || !g_str_equal(words[0], tag))
			continue;
		*index = (guint)g_ascii_strtoull(words[1], NULL, 10);
		sdp = (char *)g_base64_decode(words[2], &len);
		sdp = g_realloc(sdp, len + 1);
		sdp[len] = '\0';
		g_free(l->data);
		g_queue_delete_link(&child->lines, l);
		return sdp;
	}
	return NULL;
}

static gboolean
bm_gathered_cond(gpointer data)
{
	return bm_peer_gathered(data);
}

static gboolean
bm_all_flowing(gpointer data)
{
	GPtrArray *peers = data;

	for (guint i = 0; i < peers->len; i++) {
		BmSink *sink = ((BmPeer *)g_ptr_array_index(peers, i))->sink;
		guint64 total;
		g_mutex_lock(&sink->lock);
		total = sink->total;
		g_mutex_unlock(&sink->lock);
		if (total < 10)
			return FALSE;
	}
	return TRUE;
}

/* measures the relay's CPU over @seconds of what @receivers get */
static BmRelayResult
bm_relay_measure(GPid pid, GPtrArray *receivers, GPtrArray *sources, guint seconds)
{
	BmRelayResult r = {0};
	g_autoptr(GArray) delays = g_array_new(FALSE, FALSE, sizeof(double));
	double cpu0;
	gint64 t0;

	r.ok = bm_wait(bm_all_flowing, receivers, BM_RELAY_WAIT_MS);
	if (!r.ok)
		return r;
	bm_idle(2000);
	cpu0 = cb_bench_proc_cpu_seconds(pid);
	t0 = g_get_monotonic_time();
	bm_window_start();
	bm_idle(seconds * 1000);
	bm_window_stop();
	r.cpu_s = cb_bench_proc_cpu_seconds(pid) - cpu0;
	r.wall_s = (g_get_monotonic_time() - t0) / 1e6;
	bm_idle(1000); /* what was sent in the window arrives */
	for (guint i = 0; i < sources->len; i++) {
		BmSource *source = g_ptr_array_index(sources, i);
		g_mutex_lock(&source->lock);
		r.sent += source->sent_in_window[BM_VIDEO] + source->sent_in_window[BM_AUDIO];
		g_mutex_unlock(&source->lock);
	}
	for (guint i = 0; i < receivers->len; i++) {
		BmSink *sink = ((BmPeer *)g_ptr_array_index(receivers, i))->sink;
		g_mutex_lock(&sink->lock);
		r.received += sink->received[BM_VIDEO] + sink->received[BM_AUDIO];
		for (guint k = 0; k < sink->delays_us->len; k++) {
			double ms = g_array_index(sink->delays_us, gint64, k) / 1000.0;
			g_array_append_val(delays, ms);
		}
		g_mutex_unlock(&sink->lock);
	}
	bm_window_reset();
	r.delay_p50_ms = cb_bench_quantile(delays, 0.50);
	r.delay_p99_ms = cb_bench_quantile(delays, 0.99);
	return r;
}

/* negotiates publisher i with the relay's "in" and its "out" with receiver i */
static gboolean
bm_relay_negotiate(BmChild *child, GPtrArray *publishers, GPtrArray *receivers)
{
	guint n = publishers->len;
	gpointer want[2] = {child, GUINT_TO_POINTER(n)};

	for (guint i = 0; i < n; i++) {
		BmPeer *pub = g_ptr_array_index(publishers, i);
		g_autofree char *offer = bm_peer_offer(pub);
		g_autofree char *sdp = NULL;
		if (offer == NULL || !bm_wait(bm_gathered_cond, pub, BM_RELAY_WAIT_MS))
			return FALSE;
		sdp = bm_peer_local_sdp(pub);
		bm_child_say(child, "pub", i, sdp);
	}
	if (!bm_wait(bm_child_has_lines, want, BM_RELAY_WAIT_MS))
		return FALSE;
	for (guint k = 0; k < n; k++) {
		guint i = 0;
		g_autofree char *offer = NULL;
		g_autofree char *answer = NULL;
		g_autofree char *sdp = NULL;
		BmPeer *sub;
		if (!bm_wait(bm_child_has_lines, want, BM_RELAY_WAIT_MS))
			return FALSE;
		offer = bm_child_take(child, "suboffer", &i);
		if (offer == NULL || i >= n)
			return FALSE;
		want[1] = GUINT_TO_POINTER(n - k - 1);
		sub = g_ptr_array_index(receivers, i);
		answer = bm_peer_answer(sub, offer);
		if (answer == NULL || !bm_wait(bm_gathered_cond, sub, BM_RELAY_WAIT_MS))
			return FALSE;
		sdp = bm_peer_local_sdp(sub);
		bm_child_say(child, "subanswer", i, sdp);
	}
	want[1] = GUINT_TO_POINTER(n);
	if (!bm_wait(bm_child_has_lines, want, BM_RELAY_WAIT_MS))
		return FALSE;
	for (guint k = 0; k < n; k++) {
		guint i = 0;
		g_autofree char *answer = bm_child_take(child, "pubanswer", &i);
		if (answer == NULL || i >= n)
			return FALSE;
		bm_peer_set_answer(g_ptr_array_index(publishers, i), answer);
	}
	return TRUE;
}

BmRelayResult
bm_relay_webrtc_run(const char *self, BmClip *clip, guint streams, guint seconds)
{
	g_autofree char *pairs = g_strdup_printf("%u", streams);
	const char *argv[] = {self, "--relay-webrtc", pairs, NULL};
	BmChild *child = bm_child_spawn(argv);
	g_autoptr(GPtrArray) publishers =
		g_ptr_array_new_with_free_func((GDestroyNotify)bm_peer_free);
	g_autoptr(GPtrArray) receivers =
		g_ptr_array_new_with_free_func((GDestroyNotify)bm_peer_free);
	g_autoptr(GPtrArray) sources =
		g_ptr_array_new_with_free_func((GDestroyNotify)bm_source_free);
	BmRelayResult r = {0};

	if (child == NULL)
		return r;
	for (guint i = 0; i < streams; i++) {
		g_autofree char *name = g_strdup_printf("relay-pub-%u", i);
		BmSource *source = bm_source_new(FALSE);
		g_ptr_array_add(sources, source);
		g_ptr_array_add(publishers, bm_publisher_new(name, clip, source, 0));
		g_ptr_array_add(receivers, bm_subscriber_new(name, source, FALSE, FALSE));
	}
	if (bm_relay_negotiate(child, publishers, receivers))
		r = bm_relay_measure(bm_child_pid(child), receivers, sources, seconds);
	else
		g_printerr("webrtc relay: negotiation did not complete\n");
	g_ptr_array_set_size(publishers, 0);
	g_ptr_array_set_size(receivers, 0);
	bm_child_free(child);
	return r;
}

static guint
bm_free_udp_port(void)
{
	g_autoptr(GSocket) socket =
		g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, 0, NULL);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
	g_autoptr(GSocketAddress) bound = NULL;

	if (socket == NULL || !g_socket_bind(socket, any, FALSE, NULL))
		return 0;
	bound = g_socket_get_local_address(socket, NULL);
	return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

BmRelayResult
bm_relay_udp_run(const char *self, BmClip *clip, guint streams, guint seconds)
{
	guint in_port = bm_free_udp_port(), out_port = bm_free_udp_port();
	g_autofree char *in = g_strdup_printf("%u", in_port);
	g_autofree char *out = g_strdup_printf("%u", out_port);
	const char *argv[] = {self, "--relay-udp", in, out, NULL};
	BmChild *child = bm_child_spawn(argv);
	gpointer want[2] = {child, GUINT_TO_POINTER(1)};
	BmSource *source = bm_source_new(TRUE);
	g_autoptr(GPtrArray) sources = g_ptr_array_new();
	g_autoptr(GPtrArray) publishers =
		g_ptr_array_new_with_free_func((GDestroyNotify)bm_peer_free);
	g_autoptr(GPtrArray) receivers =
		g_ptr_array_new_with_free_func((GDestroyNotify)bm_peer_free);
	g_autofree char *description =
		g_strdup_printf("udpsrc port=%u buffer-size=4194304 caps=application/x-rtp ! "
				"fakesink name=first sync=false async=false",
				out_port);
	BmPeer *receiver = g_new0(BmPeer, 1);
	g_autoptr(GstElement) first = NULL;
	g_autoptr(GstPad) pad = NULL;
	BmRelayResult r = {0};

	if (child == NULL || in_port == 0 || out_port == 0)
		return r;
	g_ptr_array_add(sources, source);
	receiver->handle = g_strdup("udp-receiver");
	receiver->pipeline = gst_object_ref_sink(gst_parse_launch(description, NULL));
	receiver->sink = bm_sink_new(source);
	first = gst_bin_get_by_name(GST_BIN(receiver->pipeline), "first");
	pad = gst_element_get_static_pad(first, "sink");
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
			  bm_receive_probe_cb, receiver->sink, NULL);
	gst_element_set_state(receiver->pipeline, GST_STATE_PLAYING);
	g_ptr_array_add(receivers, receiver);
	if (bm_wait(bm_child_has_lines, want, BM_RELAY_WAIT_MS)) {
		for (guint i = 0; i < streams; i++) {
			g_autofree char *name = g_strdup_printf("udp-pub-%u", i);
			g_ptr_array_add(publishers, bm_publisher_new(name, clip, source, in_port));
		}
		r = bm_relay_measure(bm_child_pid(child), receivers, sources, seconds);
	}
	g_ptr_array_set_size(publishers, 0);
	g_ptr_array_set_size(receivers, 0);
	bm_child_free(child);
	bm_source_free(source);
	return r;
}

/* --- bare webrtcbin pairs ----------------------------------------------------------------- */

/* webrtcbin's thread: trickle straight to the other side, as GStreamer's own
 * webrtcbin tests do */
static void
bm_bare_candidate_cb(GstElement *webrtc, guint mline, const char *candidate, gpointer other)
{
	g_signal_emit_by_name(other, "add-ice-candidate", mline, candidate);
}

static gboolean
bm_all_decoded(gpointer data)
{
	GPtrArray *subs = data;

	for (guint i = 0; i < subs->len; i++) {
		BmSink *sink = ((BmPeer *)g_ptr_array_index(subs, i))->sink;
		gboolean done;
		g_mutex_lock(&sink->lock);
		done = sink->first_frame_us != 0;
		g_mutex_unlock(&sink->lock);
		if (!done)
			return FALSE;
	}
	return TRUE;
}

guint
bm_bare_join(BmClip *clip, guint at_once, GArray *join_ms)
{
	g_autoptr(GPtrArray) pubs = g_ptr_array_new_with_free_func((GDestroyNotify)bm_peer_free);
	g_autoptr(GPtrArray) subs = g_ptr_array_new_with_free_func((GDestroyNotify)bm_peer_free);
	g_autoptr(GPtrArray) sources =
		g_ptr_array_new_with_free_func((GDestroyNotify)bm_source_free);
	guint done = 0;

	for (guint i = 0; i < at_once; i++) {
		g_autofree char *name = g_strdup_printf("bare-%u", i);
		BmSource *source = bm_source_new(FALSE);
		BmPeer *pub = bm_publisher_new(name, clip, source, 0);
		BmPeer *sub = bm_subscriber_new(name, source, FALSE, TRUE);
		g_ptr_array_add(sources, source);
		g_ptr_array_add(pubs, pub);
		g_ptr_array_add(subs, sub);
		g_signal_connect(pub->webrtc, "on-ice-candidate", G_CALLBACK(bm_bare_candidate_cb),
				 sub->webrtc);
		g_signal_connect(sub->webrtc, "on-ice-candidate", G_CALLBACK(bm_bare_candidate_cb),
				 pub->webrtc);
	}
	for (guint i = 0; i < at_once; i++) {
		BmPeer *pub = g_ptr_array_index(pubs, i);
		BmPeer *sub = g_ptr_array_index(subs, i);
		g_autofree char *offer = bm_peer_offer(pub);
		g_autofree char *answer = NULL;
		sub->offer_sent_us = g_get_monotonic_time();
		answer = offer != NULL ? bm_peer_answer(sub, offer) : NULL;
		if (answer != NULL)
			bm_peer_set_answer(pub, answer);
	}
	bm_wait(bm_all_decoded, subs, 20000);
	for (guint i = 0; i < at_once; i++) {
		BmPeer *sub = g_ptr_array_index(subs, i);
		BmPeer *pub = g_ptr_array_index(pubs, i);
		g_signal_handlers_disconnect_by_func(pub->webrtc, bm_bare_candidate_cb,
						     sub->webrtc);
		g_signal_handlers_disconnect_by_func(sub->webrtc, bm_bare_candidate_cb,
						     pub->webrtc);
		if (sub->sink->first_frame_us != 0) {
			double ms = (sub->sink->first_frame_us - sub->offer_sent_us) / 1000.0;
			g_array_append_val(join_ms, ms);
			done++;
		}
	}
	/* stopped before any is freed: a candidate callback may still be running */
	for (guint i = 0; i < at_once; i++) {
		gst_element_set_state(((BmPeer *)g_ptr_array_index(subs, i))->pipeline,
				      GST_STATE_NULL);
		gst_element_set_state(((BmPeer *)g_ptr_array_index(pubs, i))->pipeline,
				      GST_STATE_NULL);
	}
	g_ptr_array_set_size(subs, 0);
	g_ptr_array_set_size(pubs, 0);
	return done;
}
