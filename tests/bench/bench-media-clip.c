/* civic-bridge benchmark of live sessions: the pre-encoded clip, its paced
 * replay, and packet identities (which send a received packet was)
 *
 * The clip is encoded once, before anything is measured, and kept as encoded
 * buffers: every publisher replays it through appsrc, so the generator
 * encodes nothing. The daemon depayloads and payloads again (new SSRC,
 * sequence and picture id) but leaves the VP8 and Opus bytes alone, and
 * payloads with the same MTU: a packet is known by a hash of its payload
 * after the VP8 payload descriptor. Publishers replay the same clip, so a
 * hash is looked up in the table of the publisher the receiver subscribed
 * to, where it names the last send of those bytes (the clip repeats every
 * few seconds; the delays measured are far shorter).
 */
#define G_LOG_DOMAIN "CbBench"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench-media.h"

/* --- the clip -------------------------------------------------------------------------- */

/* runs @description to its end, taking every buffer of appsink "out" */
static gboolean
bm_clip_pull(const char *description, GPtrArray *frames, GstCaps **caps, GError **error)
{
	g_autoptr(GstElement) pipeline = gst_parse_launch(description, error);
	g_autoptr(GstElement) sink = NULL;
	gint64 deadline = g_get_monotonic_time() + 120 * G_TIME_SPAN_SECOND;

	if (pipeline == NULL)
		return FALSE;
	sink = gst_bin_get_by_name(GST_BIN(pipeline), "out");
	gst_element_set_state(pipeline, GST_STATE_PLAYING);
	while (g_get_monotonic_time() < deadline) {
		g_autoptr(GstSample) sample =
			gst_app_sink_try_pull_sample(GST_APP_SINK(sink), GST_SECOND);
		if (sample == NULL) {
			if (gst_app_sink_is_eos(GST_APP_SINK(sink)))
				break;
			continue;
		}
		if (*caps == NULL)
			*caps = gst_caps_ref(gst_sample_get_caps(sample));
		g_ptr_array_add(frames, gst_buffer_ref(gst_sample_get_buffer(sample)));
	}
	gst_element_set_state(pipeline, GST_STATE_NULL);
	if (frames->len == 0 || *caps == NULL) {
		g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED, "no output from: %s",
			    description);
		return FALSE;
	}
	return TRUE;
}

BmClip *
bm_clip_encode(double seconds, GError **error)
{
	BmClip *clip = g_new0(BmClip, 1);
	guint video_frames = (guint)(seconds * 30);
	guint audio_frames = (guint)(seconds * 50);
	/* moving colour bars: about 1 Mbps at this target, a keyframe every 2 s */
	g_autofree char *video = g_strdup_printf(
		"videotestsrc num-buffers=%u pattern=smpte horizontal-speed=4 ! "
		"video/x-raw,width=640,height=360,framerate=30/1 ! "
		"vp8enc target-bitrate=1000000 end-usage=cbr keyframe-max-dist=60 deadline=1 "
		"cpu-used=4 ! appsink name=out sync=false",
		video_frames);
	/* noise, so that no two Opus frames of the clip are alike */
	g_autofree char *audio =
		g_strdup_printf("audiotestsrc num-buffers=%u samplesperbuffer=960 wave=pink-noise "
				"volume=0.3 ! audio/x-raw,rate=48000,channels=2 ! "
				"opusenc bitrate=48000 frame-size=20 ! appsink name=out sync=false",
				audio_frames);

	clip->seconds = seconds;
	clip->keyframes = g_array_new(FALSE, FALSE, sizeof(guint));
	for (guint t = 0; t < BM_N_TRACKS; t++)
		clip->frames[t] = g_ptr_array_new_with_free_func((GDestroyNotify)gst_buffer_unref);
	clip->frame_ns[BM_VIDEO] = GST_SECOND / 30;
	clip->frame_ns[BM_AUDIO] = 20 * GST_MSECOND;
	if (!bm_clip_pull(video, clip->frames[BM_VIDEO], &clip->caps[BM_VIDEO], error) ||
	    !bm_clip_pull(audio, clip->frames[BM_AUDIO], &clip->caps[BM_AUDIO], error))
		return NULL;
	for (guint t = 0; t < BM_N_TRACKS; t++) {
		for (guint i = 0; i < clip->frames[t]->len; i++) {
			GstBuffer *buffer = g_ptr_array_index(clip->frames[t], i);
			clip->bytes[t] += gst_buffer_get_size(buffer);
			if (t == BM_VIDEO &&
			    !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT))
				g_array_append_val(clip->keyframes, i);
		}
	}
	if (clip->keyframes->len == 0 || g_array_index(clip->keyframes, guint, 0) != 0) {
		g_set_error_literal(error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED,
				    "the encoded clip does not start with a keyframe");
		return NULL;
	}
	return clip;
}

/* --- sources, sinks, the window --------------------------------------------------------- */

typedef struct {
	guint64 hash;
	gint64 sent_us;
} BmSent;

static gint64 bm_window_from = G_MAXINT64; /* atomic (64-bit reads on x86-64) */
static gint64 bm_window_to = G_MAXINT64;

void
bm_window_start(void)
{
	g_atomic_pointer_set((gpointer *)&bm_window_to, (gpointer)G_MAXINT64);
	g_atomic_pointer_set((gpointer *)&bm_window_from, (gpointer)g_get_monotonic_time());
}

void
bm_window_stop(void)
{
	g_atomic_pointer_set((gpointer *)&bm_window_to, (gpointer)g_get_monotonic_time());
}

void
bm_window_reset(void)
{
	g_atomic_pointer_set((gpointer *)&bm_window_from, (gpointer)G_MAXINT64);
	g_atomic_pointer_set((gpointer *)&bm_window_to, (gpointer)G_MAXINT64);
}

static gboolean
bm_in_window(gint64 t)
{
	return t >= (gint64)g_atomic_pointer_get((gpointer *)&bm_window_from) &&
	       t <= (gint64)g_atomic_pointer_get((gpointer *)&bm_window_to);
}

BmSource *
bm_source_new(gboolean whole_packet)
{
	BmSource *source = g_new0(BmSource, 1);

	g_mutex_init(&source->lock);
	source->sent = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
	source->whole_packet = whole_packet;
	return source;
}

void
bm_source_free(BmSource *source)
{
	if (source == NULL)
		return;
	g_hash_table_unref(source->sent);
	g_mutex_clear(&source->lock);
	g_free(source);
}

BmSink *
bm_sink_new(BmSource *source)
{
	BmSink *sink = g_new0(BmSink, 1);

	sink->source = source;
	sink->delays_us = g_array_new(FALSE, FALSE, sizeof(gint64));
	g_mutex_init(&sink->lock);
	return sink;
}

void
bm_sink_free(BmSink *sink)
{
	if (sink == NULL)
		return;
	g_array_unref(sink->delays_us);
	g_mutex_clear(&sink->lock);
	g_free(sink);
}

/* bytes of the VP8 payload descriptor (RFC 7741 section 4.2) */
static gsize
bm_vp8_descriptor_size(const guint8 *p, gsize n)
{
	gsize i = 1;

	if (n < 2 || !(p[0] & 0x80))
		return MIN(i, n);
	i = 2;
	if (p[1] & 0x80) /* I: picture id of 7 or 15 bits */
		i += (i < n && (p[i] & 0x80)) ? 2 : 1;
	if (p[1] & 0x40) /* L: TL0PICIDX */
		i++;
	if (p[1] & 0x30) /* T or K */
		i++;
	return MIN(i, n);
}

/* FNV-1a, 64 bits */
static guint64
bm_hash(const guint8 *p, gsize n, guint64 h)
{
	for (gsize i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* the identity of one RTP packet and its track; FALSE if it is not RTP */
static gboolean
bm_packet_identity(GstBuffer *buffer, gboolean whole_packet, guint64 *hash, BmTrack *track)
{
	GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
	const guint8 *payload;
	gsize size;
	guint pt;

	if (!gst_rtp_buffer_map(buffer, GST_MAP_READ, &rtp))
		return FALSE;
	pt = gst_rtp_buffer_get_payload_type(&rtp);
	payload = gst_rtp_buffer_get_payload(&rtp);
	size = gst_rtp_buffer_get_payload_len(&rtp);
	/* every client here chooses these payload types, so the daemon's match */
	*track = pt == BM_AUDIO_PT ? BM_AUDIO : BM_VIDEO;
	if (whole_packet) {
		GstMapInfo map;
		gst_rtp_buffer_unmap(&rtp);
		if (!gst_buffer_map(buffer, &map, GST_MAP_READ))
			return FALSE;
		*hash = bm_hash(map.data, map.size, 14695981039346656037ULL);
		gst_buffer_unmap(buffer, &map);
		return TRUE;
	}
	if (*track == BM_VIDEO) {
		gsize skip = bm_vp8_descriptor_size(payload, size);
		payload += skip;
		size -= skip;
	}
	*hash = bm_hash(payload, size, 14695981039346656037ULL + *track);
	gst_rtp_buffer_unmap(&rtp);
	return TRUE;
}

static void
bm_source_record(BmSource *source, GstBuffer *buffer)
{
	guint64 hash;
	BmTrack track;
	BmSent *sent;
	gint64 now = g_get_monotonic_time();

	if (!bm_packet_identity(buffer, source->whole_packet, &hash, &track))
		return;
	g_mutex_lock(&source->lock);
	sent = g_hash_table_lookup(source->sent, &hash);
	if (sent == NULL) {
		sent = g_new0(BmSent, 1);
		sent->hash = hash;
		g_hash_table_insert(source->sent, &sent->hash, sent);
	}
	sent->sent_us = now;
	if (bm_in_window(now))
		source->sent_in_window[track]++;
	g_mutex_unlock(&source->lock);
}

static void
bm_sink_record(BmSink *sink, GstBuffer *buffer)
{
	guint64 hash;
	BmTrack track;
	BmSent *sent;
	gint64 now = g_get_monotonic_time();
	gint64 sent_us = 0;

	if (!bm_packet_identity(buffer, sink->source->whole_packet, &hash, &track))
		return;
	g_mutex_lock(&sink->source->lock);
	sent = g_hash_table_lookup(sink->source->sent, &hash);
	if (sent != NULL)
		sent_us = sent->sent_us;
	g_mutex_unlock(&sink->source->lock);
	g_mutex_lock(&sink->lock);
	sink->total++;
	if (sent_us == 0) {
		sink->unmatched++;
	} else if (bm_in_window(sent_us)) {
		gint64 delay = now - sent_us;
		sink->received[track]++;
		g_array_append_val(sink->delays_us, delay);
	}
	g_mutex_unlock(&sink->lock);
}

typedef void (*BmRecordFunc)(gpointer target, GstBuffer *buffer);

static GstPadProbeReturn
bm_probe_each(GstPadProbeInfo *info, BmRecordFunc record, gpointer target)
{
	if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
		record(target, GST_PAD_PROBE_INFO_BUFFER(info));
	} else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
		GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
		for (guint i = 0; i < gst_buffer_list_length(list); i++)
			record(target, gst_buffer_list_get(list, i));
	}
	return GST_PAD_PROBE_OK;
}

GstPadProbeReturn
bm_send_probe_cb(GstPad *pad, GstPadProbeInfo *info, gpointer source)
{
	return bm_probe_each(info, (BmRecordFunc)bm_source_record, source);
}

GstPadProbeReturn
bm_receive_probe_cb(GstPad *pad, GstPadProbeInfo *info, gpointer sink)
{
	return bm_probe_each(info, (BmRecordFunc)bm_sink_record, sink);
}

GstPadProbeReturn
bm_first_frame_probe_cb(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	BmSink *sink = data;

	g_mutex_lock(&sink->lock);
	if (sink->first_frame_us == 0)
		sink->first_frame_us = g_get_monotonic_time();
	g_mutex_unlock(&sink->lock);
	g_main_context_wakeup(NULL);
	return GST_PAD_PROBE_REMOVE;
}

/* --- the replay ----------------------------------------------------------------------- */

struct _BmReplay {
	BmClip *clip;
	GstElement *appsrc[BM_N_TRACKS];
	guint index[BM_N_TRACKS];
	gint64 due_us[BM_N_TRACKS];
	gint keyframe_wanted; /* atomic */
	guint keyframe_requests;
	gulong probe;
	GstPad *probe_pad;
};

static GMutex bm_replay_lock;
static GPtrArray *bm_replays; /* BmReplay *, under the lock */
static GThread *bm_replay_thread;

/* the next frame of @t; a keyframe request moves video on to the next keyframe
 * of the clip (as an encoder would answer PLI with its next frame) */
static GstBuffer *
bm_replay_next(BmReplay *r, BmTrack t)
{
	GPtrArray *frames = r->clip->frames[t];
	GstBuffer *buffer;

	if (t == BM_VIDEO && g_atomic_int_compare_and_exchange(&r->keyframe_wanted, 1, 0)) {
		GArray *keys = r->clip->keyframes;
		guint next = g_array_index(keys, guint, 0);
		for (guint k = 0; k < keys->len; k++) {
			if (g_array_index(keys, guint, k) >= r->index[t]) {
				next = g_array_index(keys, guint, k);
				break;
			}
		}
		r->index[t] = next;
		r->keyframe_requests++;
	}
	buffer = gst_buffer_copy(g_ptr_array_index(frames, r->index[t]));
	r->index[t] = (r->index[t] + 1) % frames->len;
	GST_BUFFER_PTS(buffer) = GST_BUFFER_DTS(buffer) = GST_CLOCK_TIME_NONE;
	GST_BUFFER_DURATION(buffer) = r->clip->frame_ns[t];
	return buffer;
}

/* pushes what is due; returns when the next frame of any replay is due */
static gint64
bm_replay_tick(gint64 now)
{
	gint64 next = now + 5000;

	for (guint i = 0; i < bm_replays->len; i++) {
		BmReplay *r = g_ptr_array_index(bm_replays, i);
		for (guint t = 0; t < BM_N_TRACKS; t++) {
			gint64 step = r->clip->frame_ns[t] / 1000;
			/* far behind (the machine is loaded): skip, do not burst */
			if (now - r->due_us[t] > 200000)
				r->due_us[t] = now;
			while (r->due_us[t] <= now) {
				gst_app_src_push_buffer(GST_APP_SRC(r->appsrc[t]),
							bm_replay_next(r, (BmTrack)t));
				r->due_us[t] += step;
			}
			next = MIN(next, r->due_us[t]);
		}
	}
	return next;
}

static gpointer
bm_replay_thread_func(gpointer data)
{
	g_mutex_lock(&bm_replay_lock);
	for (;;) {
		gint64 next = bm_replay_tick(g_get_monotonic_time());
		gint64 wait = next - g_get_monotonic_time();
		if (wait > 0) {
			g_mutex_unlock(&bm_replay_lock);
			g_usleep(wait);
			g_mutex_lock(&bm_replay_lock);
		}
	}
	return NULL;
}

/* streaming thread of the publisher's RTP session: a PLI came in */
static GstPadProbeReturn
bm_replay_event_cb(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	BmReplay *r = data;
	GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);

	if (GST_EVENT_TYPE(event) == GST_EVENT_CUSTOM_UPSTREAM &&
	    gst_event_has_name(event, "GstForceKeyUnit"))
		g_atomic_int_set(&r->keyframe_wanted, 1);
	return GST_PAD_PROBE_OK;
}

BmReplay *
bm_replay_start(BmClip *clip, GstElement *pipeline, BmSource *source)
{
	BmReplay *r = g_new0(BmReplay, 1);
	static const char *const names[] = {"v", "a"};
	static const char *const pays[] = {"vpay", "apay"};
	gint64 now = g_get_monotonic_time();

	r->clip = clip;
	for (guint t = 0; t < BM_N_TRACKS; t++) {
		g_autoptr(GstElement) pay = gst_bin_get_by_name(GST_BIN(pipeline), pays[t]);
		g_autoptr(GstPad) src = gst_element_get_static_pad(pay, "src");
		r->appsrc[t] = gst_bin_get_by_name(GST_BIN(pipeline), names[t]);
		g_object_set(r->appsrc[t], "caps", clip->caps[t], "format", GST_FORMAT_TIME,
			     "is-live", TRUE, "do-timestamp", TRUE, "max-bytes",
			     (guint64)16 * 1024 * 1024, NULL);
		gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
				  bm_send_probe_cb, source, NULL);
		if (t == BM_VIDEO) {
			r->probe_pad = gst_element_get_static_pad(pay, "sink");
			r->probe =
				gst_pad_add_probe(r->probe_pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
						  bm_replay_event_cb, r, NULL);
		}
		/* publishers do not all send at the same instant */
		r->due_us[t] = now + g_random_int_range(0, 33000);
	}
	g_mutex_lock(&bm_replay_lock);
	if (bm_replays == NULL)
		bm_replays = g_ptr_array_new();
	g_ptr_array_add(bm_replays, r);
	if (bm_replay_thread == NULL)
		bm_replay_thread = g_thread_new("bm-replay", bm_replay_thread_func, NULL);
	g_mutex_unlock(&bm_replay_lock);
	return r;
}

void
bm_replay_stop(BmReplay *r)
{
	if (r == NULL)
		return;
	g_mutex_lock(&bm_replay_lock);
	g_ptr_array_remove(bm_replays, r);
	g_mutex_unlock(&bm_replay_lock);
	gst_pad_remove_probe(r->probe_pad, r->probe);
	gst_object_unref(r->probe_pad);
	for (guint t = 0; t < BM_N_TRACKS; t++)
		gst_object_unref(r->appsrc[t]);
	g_free(r);
}

guint
bm_replay_keyframe_requests(BmReplay *r)
{
	guint n;

	g_mutex_lock(&bm_replay_lock);
	n = r->keyframe_requests;
	g_mutex_unlock(&bm_replay_lock);
	return n;
}

/* --- waiting --------------------------------------------------------------------------- */

static void (*bm_pump)(void);

void
bm_set_pump(void (*pump)(void))
{
	bm_pump = pump;
}

static gboolean
bm_timed_out_cb(gpointer data)
{
	*(gboolean *)data = TRUE;
	return G_SOURCE_REMOVE;
}

static gboolean
bm_tick_cb(gpointer data)
{
	return G_SOURCE_CONTINUE;
}

gboolean
bm_wait(BmCond cond, gpointer data, guint timeout_ms)
{
	gboolean timed_out = FALSE;
	guint timer = g_timeout_add(timeout_ms, bm_timed_out_cb, &timed_out);
	/* webrtcbin's threads wake the context only sometimes: look often */
	guint tick = g_timeout_add(20, bm_tick_cb, NULL);
	gboolean met;

	if (bm_pump != NULL)
		bm_pump();
	while (!(met = cond(data)) && !timed_out) {
		g_main_context_iteration(NULL, TRUE);
		if (bm_pump != NULL)
			bm_pump();
	}
	if (!timed_out)
		g_source_remove(timer);
	g_source_remove(tick);
	return met;
}

static gboolean
bm_never(gpointer data)
{
	return FALSE;
}

void
bm_idle(guint ms)
{
	bm_wait(bm_never, NULL, ms);
}

/* --- readings -------------------------------------------------------------------------- */

double
bm_self_cpu_seconds(void)
{
	struct rusage usage;

	getrusage(RUSAGE_SELF, &usage);
	return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
	       usage.ru_stime.tv_usec / 1e6;
}

/* the kernel's UDP receive-buffer drops in this network namespace */
guint64
bm_udp_rcvbuf_errors(void)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	gint column = -1;

	if (!g_file_get_contents("/proc/net/snmp", &text, NULL, NULL))
		return 0;
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) fields = NULL;
		if (!g_str_has_prefix(lines[i], "Udp: "))
			continue;
		fields = g_strsplit(lines[i], " ", -1);
		if (column < 0) {
			for (guint k = 0; fields[k] != NULL; k++) {
				if (g_str_equal(fields[k], "RcvbufErrors"))
					column = (gint)k;
			}
		} else if (column < (gint)g_strv_length(fields)) {
			return g_ascii_strtoull(fields[column], NULL, 10);
		}
	}
	return 0;
}

char *
bm_load_average(void)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) fields = NULL;

	if (!g_file_get_contents("/proc/loadavg", &text, NULL, NULL))
		return g_strdup("?");
	fields = g_strsplit(text, " ", 4);
	if (g_strv_length(fields) < 3)
		return g_strdup("?");
	return g_strdup_printf("%s %s %s", fields[0], fields[1], fields[2]);
}
