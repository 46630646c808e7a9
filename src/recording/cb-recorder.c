#define G_LOG_DOMAIN "CbRecording"

/*
 * The recorder: per published track, a branch of the slot's tee that writes
 * what the publisher sent, depayloaded but never decoded, as streamable
 * Matroska segments:
 *
 *   tee ! queue (leaky) ! [opusparse | h264parse] ! splitmuxsink
 *         (matroskamux streamable=true, filesink buffer-mode=2)
 *
 * The queue is the recorder's own and drops its oldest buffers when the disk
 * is slow, so the tee, the publisher and every subscriber go on as before.
 * Unbuffered writes and streamable Matroska keep every closed segment
 * playable after a crash, and what the segment being written had reached.
 * Segments are cut only at keyframes: the recorder asks the publisher for
 * one at each segment interval through the room's merged requests.
 *
 * All state here is the room's main context's, except the file naming
 * (splitmuxsink's format-location-full, on a streaming thread), which only
 * reads what does not change and counts with an atomic.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "civic-bridge/cb-manifest.h"

#include "cb-recorder.h"

/* how long a closing track may take to finish its last segment */
#define CB_REC_CLOSE_TIMEOUT_MS 5000
/* quiet after a closed segment before a closing track is taken down */
#define CB_REC_CLOSE_QUIET_MS 300
/* the recording queue: beyond either, its oldest buffers are dropped */
#define CB_REC_QUEUE_MAX_TIME    (2 * GST_SECOND)
#define CB_REC_QUEUE_MAX_BUFFERS 2000

typedef struct {
	CbRecorder *recorder;
	char *key; /* "peer/track", and "!" in front when confidential */
	CbSlot *slot;
	CbTrack track;
	gboolean confidential;
	char *folder;
	gint *seq; /* the recorder's counter for @key (atomic) */
	GstElement *tee;
	GstPad *tee_pad;
	GstElement *elements[3]; /* queue, parser or NULL, splitmuxsink */
	CbGate *gate;            /* video: from a keyframe on */
	char *open_file;         /* the segment being written (relative) */
	gint64 open_us;          /* its start, wall clock */
	gboolean closing;
	GSource *timer;
	GSource *key_timer;   /* video: the keyframe that cuts the open segment */
	GstClockTime last_ts; /* the queue's streaming thread only */
} CbRecTrack;

struct _CbRecorder {
	CbRoom *room;
	char *folder;
	char *confidential_folder;
	guint part;
	guint segment_seconds;
	GHashTable *tracks;   /* key -> CbRecTrack: the recording ones */
	GPtrArray *closing;   /* CbRecTrack */
	GHashTable *counters; /* key -> gint* */
	gboolean stopping;
	gboolean failed;
	gboolean freeing;
};

static GstElement *
cb_rec_make(const char *factory)
{
	GstElement *element = gst_element_factory_make(factory, NULL);

	if (element == NULL)
		g_warning("recording: GStreamer element '%s' is missing", factory);
	return element;
}

/* wall-clock µs of a running time of the room's pipeline */
static gint64
cb_rec_wall_time(CbRecorder *recorder, GstClockTime running_time)
{
	GstElement *pipeline = cb_room_get_pipeline(recorder->room);
	g_autoptr(GstClock) clock = gst_element_get_clock(pipeline);
	gint64 now = g_get_real_time();
	GstClockTime now_rt;

	if (clock == NULL || !GST_CLOCK_TIME_IS_VALID(running_time))
		return now;
	now_rt = gst_clock_get_time(clock) - gst_element_get_base_time(pipeline);
	return now - ((gint64)now_rt - (gint64)running_time) / 1000;
}

/* ---- file names: a streaming thread ---- */

static char *
cb_rec_relative(CbRecTrack *track, guint seq)
{
	return g_strdup_printf("%s/%s-p%u-%05u.mkv", track->slot->id, cb_track_name(track->track),
			       track->recorder->part, seq);
}

/* the next segment's name; the file is made here, 0600, so that the sink's
 * own open (which truncates) keeps that mode */
static char *
cb_rec_format_location_cb(GstElement *splitmux, guint fragment_id, GstSample *sample,
			  gpointer user_data)
{
	CbRecTrack *track = user_data;
	guint seq = (guint)g_atomic_int_add(track->seq, 1);
	g_autofree char *relative = cb_rec_relative(track, seq);
	char *path = g_build_filename(track->folder, relative, NULL);
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	/* a folder that went: the sink fails to open it and says so */
	if (fd >= 0)
		close(fd);
	return path;
}

/* streaming thread, on the queue's input: once the recording's elements
 * failed, the queue would hand the failure back to the shared tee; what
 * comes is dropped instead (the failure reaches the bus as an error) */
static GstPadProbeReturn
cb_rec_isolate_probe_cb(GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
	GstPad *queue_src = user_data;

	return gst_pad_get_last_flow_return(queue_src) >= GST_FLOW_OK ? GST_PAD_PROBE_OK
								      : GST_PAD_PROBE_DROP;
}

/* streaming thread, on splitmuxsink's input: it fails on a time
 * that goes back (a sender that restarts its stream starts its times
 * again), so times only go forward here */
static GstPadProbeReturn
cb_rec_monotonic_probe_cb(GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
	CbRecTrack *track = user_data;
	GstBuffer *buffer;
	GstClockTime pts, dts, last = track->last_ts;

	/* a gap (a lost packet, its time estimated) can come before the first
	 * buffer with a later time than it: splitmuxsink then starts its
	 * fragment after its first buffer and fails. Gaps are not recorded. */
	if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM)
		return GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_GAP
			       ? GST_PAD_PROBE_DROP
			       : GST_PAD_PROBE_OK;
	buffer = GST_PAD_PROBE_INFO_BUFFER(info);
	pts = GST_BUFFER_PTS(buffer);
	dts = GST_BUFFER_DTS(buffer);

	if (GST_CLOCK_TIME_IS_VALID(last) && ((GST_CLOCK_TIME_IS_VALID(pts) && pts < last) ||
					      (GST_CLOCK_TIME_IS_VALID(dts) && dts < last))) {
		buffer = gst_buffer_make_writable(buffer);
		if (GST_CLOCK_TIME_IS_VALID(pts) && pts < last)
			GST_BUFFER_PTS(buffer) = last;
		if (GST_CLOCK_TIME_IS_VALID(dts) && dts < last)
			GST_BUFFER_DTS(buffer) = last;
		GST_PAD_PROBE_INFO_DATA(info) = buffer;
	}
	if (GST_BUFFER_DTS_IS_VALID(buffer))
		track->last_ts = GST_BUFFER_DTS(buffer);
	else if (GST_BUFFER_PTS_IS_VALID(buffer))
		track->last_ts =
			MAX(GST_BUFFER_PTS(buffer), GST_CLOCK_TIME_IS_VALID(last) ? last : 0);
	return GST_PAD_PROBE_OK;
}

/* ---- tracks ---- */

static void
cb_rec_track_unlink(CbRecTrack *track)
{
	g_autoptr(GstPad) peer = NULL;

	if (track->tee_pad == NULL)
		return;
	peer = gst_pad_get_peer(track->tee_pad);
	if (peer != NULL)
		gst_pad_unlink(track->tee_pad, peer);
	gst_element_release_request_pad(track->tee, track->tee_pad);
	gst_clear_object(&track->tee_pad);
}

static void
cb_rec_track_stop_keys(CbRecTrack *track)
{
	if (track->key_timer != NULL) {
		g_source_destroy(track->key_timer);
		g_clear_pointer(&track->key_timer, g_source_unref);
	}
}

static gboolean
cb_rec_key_timer_cb(gpointer data)
{
	CbRecTrack *track = data;

	cb_room_request_recording_keyframe(track->recorder->room, track->slot);
	return G_SOURCE_CONTINUE;
}

/* a keyframe one segment length after now, and after each one more: set
 * again when a segment opens, so the request follows the segment's own
 * start (the room merges it with the other requests to the publisher) */
static void
cb_rec_track_arm_keys(CbRecTrack *track)
{
	cb_rec_track_stop_keys(track);
	track->key_timer = g_timeout_source_new(track->recorder->segment_seconds * 1000);
	g_source_set_callback(track->key_timer, cb_rec_key_timer_cb, track, NULL);
	g_source_attach(track->key_timer, cb_room_get_context(track->recorder->room));
}

static void
cb_rec_track_free(CbRecTrack *track)
{
	GstElement *pipeline = cb_room_get_pipeline(track->recorder->room);

	cb_rec_track_stop_keys(track);
	if (track->timer != NULL) {
		g_source_destroy(track->timer);
		g_source_unref(track->timer);
	}
	cb_rec_track_unlink(track);
	/* downstream first: a failed splitmuxsink can hold the queue's thread,
	 * which stopping the queue would wait for */
	for (guint i = G_N_ELEMENTS(track->elements); i-- > 0;) {
		if (track->elements[i] == NULL)
			continue;
		gst_element_set_state(track->elements[i], GST_STATE_NULL);
		if (GST_OBJECT_PARENT(track->elements[i]) != NULL)
			gst_bin_remove(GST_BIN(pipeline), track->elements[i]);
		gst_clear_object(&track->elements[i]);
	}
	if (track->open_file != NULL)
		g_message("recording: %s was not finished", track->open_file);
	cb_gate_unref(track->gate);
	gst_clear_object(&track->tee);
	g_free(track->open_file);
	g_free(track->folder);
	g_free(track->key);
	g_free(track);
}

static void cb_rec_check_stopped(CbRecorder *recorder);

static gboolean
cb_rec_track_closed_cb(gpointer data)
{
	CbRecTrack *track = data;
	CbRecorder *recorder = track->recorder;

	/* also called directly (the room goes): the source must not fire again */
	if (track->timer != NULL)
		g_source_destroy(track->timer);
	g_clear_pointer(&track->timer, g_source_unref);
	g_ptr_array_remove(recorder->closing, track);
	cb_rec_track_free(track);
	cb_rec_check_stopped(recorder);
	return G_SOURCE_REMOVE;
}

static void
cb_rec_track_arm(CbRecTrack *track, guint ms)
{
	if (track->timer != NULL) {
		g_source_destroy(track->timer);
		g_source_unref(track->timer);
	}
	track->timer = g_timeout_source_new(ms);
	g_source_set_callback(track->timer, cb_rec_track_closed_cb, track, NULL);
	g_source_attach(track->timer, cb_room_get_context(track->recorder->room));
}

/* leaves the tee and finishes the segment being written (EOS): the track
 * goes once its last segment is reported, or after a bounded wait */
static void
cb_rec_track_close(CbRecTrack *track, gboolean at_once)
{
	CbRecorder *recorder = track->recorder;
	g_autoptr(GstPad) queue_sink = NULL;

	g_hash_table_steal(recorder->tracks, track->key);
	g_ptr_array_add(recorder->closing, track);
	track->closing = TRUE;
	cb_rec_track_stop_keys(track);
	cb_rec_track_unlink(track);
	if (track->elements[0] != NULL)
		queue_sink = gst_element_get_static_pad(track->elements[0], "sink");
	if (at_once || queue_sink == NULL) {
		cb_rec_track_arm(track, 0);
		return;
	}
	gst_pad_send_event(queue_sink, gst_event_new_eos());
	cb_rec_track_arm(track, track->open_file != NULL ? CB_REC_CLOSE_TIMEOUT_MS
							 : CB_REC_CLOSE_QUIET_MS * 3);
}

static gboolean
cb_rec_track_build(CbRecTrack *track, GstElement *pipeline)
{
	guint64 segment = (guint64)track->recorder->segment_seconds * GST_SECOND;
	/* video is cut at the first keyframe past the limit: a little under the
	 * interval, so the keyframe asked for at the interval always cuts */
	guint64 limit = track->track == CB_TRACK_VIDEO ? segment - MIN(segment / 4, GST_SECOND / 2)
						       : segment;
	GstElement *queue = cb_rec_make("queue");
	GstElement *parse = NULL;
	GstElement *splitmux = cb_rec_make("splitmuxsink");
	GstElement *mux = cb_rec_make("matroskamux");
	GstElement *sink = cb_rec_make("filesink");
	g_autoptr(GstPad) queue_sink = NULL;

	if (track->track == CB_TRACK_AUDIO)
		parse = cb_rec_make("opusparse");
	else if (track->slot->video_codec == CB_CODEC_H264)
		parse = cb_rec_make("h264parse");
	if (queue == NULL || splitmux == NULL || mux == NULL || sink == NULL ||
	    (parse == NULL &&
	     (track->track == CB_TRACK_AUDIO || track->slot->video_codec == CB_CODEC_H264))) {
		GstElement *all[] = {queue, parse, splitmux, mux, sink};
		for (guint i = 0; i < G_N_ELEMENTS(all); i++)
			if (all[i] != NULL)
				gst_object_unref(gst_object_ref_sink(all[i]));
		return FALSE;
	}
	g_object_set(queue, "leaky", 2 /* downstream */, "max-size-buffers",
		     CB_REC_QUEUE_MAX_BUFFERS, "max-size-bytes", 0, "max-size-time",
		     (guint64)CB_REC_QUEUE_MAX_TIME, "silent", TRUE, NULL);
	g_object_set(mux, "streamable", TRUE, NULL);
	g_object_set(sink, "buffer-mode", 2 /* unbuffered */, "async", FALSE, NULL);
	g_object_set(splitmux, "muxer", mux, "sink", sink, "max-size-time", limit, "async-handling",
		     TRUE, NULL);
	g_signal_connect(splitmux, "format-location-full", G_CALLBACK(cb_rec_format_location_cb),
			 track);
	track->elements[0] = gst_object_ref(queue);
	track->elements[1] = parse != NULL ? gst_object_ref(parse) : NULL;
	track->elements[2] = gst_object_ref(splitmux);
	gst_bin_add_many(GST_BIN(pipeline), queue, splitmux, NULL);
	if (parse != NULL)
		gst_bin_add(GST_BIN(pipeline), parse);
	/* splitmuxsink's inputs are request pads that linking by element skips */
	if (parse != NULL && !gst_element_link(queue, parse))
		return FALSE;
	{
		g_autoptr(GstPad) src =
			gst_element_get_static_pad(parse != NULL ? parse : queue, "src");
		g_autoptr(GstPad) in = gst_element_request_pad_simple(
			splitmux, track->track == CB_TRACK_VIDEO ? "video" : "audio_%u");

		if (in == NULL || gst_pad_link(src, in) != GST_PAD_LINK_OK)
			return FALSE;
		gst_pad_add_probe(in,
				  GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
				  cb_rec_monotonic_probe_cb, track, NULL);
	}
	queue_sink = gst_element_get_static_pad(queue, "sink");
	gst_pad_add_probe(queue_sink, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
			  cb_rec_isolate_probe_cb, gst_element_get_static_pad(queue, "src"),
			  gst_object_unref);
	cb_gate_attach(track->gate, queue_sink);
	for (guint i = G_N_ELEMENTS(track->elements); i > 0; i--)
		if (track->elements[i - 1] != NULL &&
		    !gst_element_sync_state_with_parent(track->elements[i - 1]))
			return FALSE;
	track->tee_pad = gst_element_request_pad_simple(track->tee, "src_%u");
	return gst_pad_link(track->tee_pad, queue_sink) == GST_PAD_LINK_OK;
}

static gint *
cb_rec_counter(CbRecorder *recorder, const char *key)
{
	gint *seq = g_hash_table_lookup(recorder->counters, key);

	if (seq == NULL) {
		seq = g_new(gint, 1);
		*seq = 1;
		g_hash_table_insert(recorder->counters, g_strdup(key), seq);
	}
	return seq;
}

static void cb_rec_fail(CbRecorder *recorder, const char *message);

static void
cb_rec_track_start(CbRecorder *recorder, CbSlot *slot, CbTrack t)
{
	gboolean confidential =
		slot->kind == CB_PEER_KIND_CITIZEN && cb_room_get_confidential(recorder->room);
	CbRecTrack *track = g_new0(CbRecTrack, 1);
	g_autofree char *peer_folder = NULL;

	track->recorder = recorder;
	track->slot = slot;
	track->track = t;
	track->confidential = confidential;
	track->key = g_strdup_printf("%s/%s", slot->id, cb_track_name(t));
	track->folder = g_strdup(confidential ? recorder->confidential_folder : recorder->folder);
	{
		g_autofree char *counter = g_strconcat(confidential ? "!" : "", track->key, NULL);
		track->seq = cb_rec_counter(recorder, counter);
	}
	track->tee = gst_object_ref(slot->tee[t]);
	track->gate = cb_gate_new();
	track->last_ts = GST_CLOCK_TIME_NONE;
	g_hash_table_insert(recorder->tracks, track->key, track);
	peer_folder = g_build_filename(track->folder, slot->id, NULL);
	if (g_mkdir_with_parents(peer_folder, 0700) != 0) {
		int saved = errno;
		g_autofree char *message =
			g_strdup_printf("cannot record %s: cannot make its folder %s: %s",
					track->key, peer_folder, g_strerror(saved));
		cb_rec_fail(recorder, message);
		return;
	}
	if (!cb_rec_track_build(track, cb_room_get_pipeline(recorder->room))) {
		g_autofree char *message = g_strdup_printf(
			"cannot record %s: a GStreamer element is missing or does not link",
			track->key);
		cb_rec_fail(recorder, message);
		return;
	}
	if (t == CB_TRACK_VIDEO) {
		g_atomic_int_set(&track->gate->need_key, 1);
		cb_room_request_recording_keyframe(recorder->room, slot);
		cb_rec_track_arm_keys(track);
	}
	g_info("recording %s%s", track->key, confidential ? " (confidential)" : "");
}

void
cb_recorder_track_up(CbRecorder *recorder, CbSlot *slot, CbTrack t)
{
	g_autofree char *key = g_strdup_printf("%s/%s", slot->id, cb_track_name(t));

	if (recorder->stopping || slot->tee[t] == NULL || slot->depay[t] == NULL ||
	    g_hash_table_contains(recorder->tracks, key))
		return;
	cb_rec_track_start(recorder, slot, t);
}

void
cb_recorder_slot_down(CbRecorder *recorder, CbSlot *slot)
{
	for (guint t = 0; t < CB_N_TRACKS; t++) {
		g_autofree char *key = g_strdup_printf("%s/%s", slot->id, cb_track_name(t));
		CbRecTrack *track = g_hash_table_lookup(recorder->tracks, key);

		if (track != NULL)
			cb_rec_track_close(track, FALSE);
	}
}

void
cb_recorder_confidential_changed(CbRecorder *recorder)
{
	gboolean confidential = cb_room_get_confidential(recorder->room);
	g_autoptr(GPtrArray) moving = g_ptr_array_new();
	GHashTableIter iter;
	gpointer value;

	if (recorder->stopping)
		return;
	g_hash_table_iter_init(&iter, recorder->tracks);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		CbRecTrack *track = value;
		if (track->slot->kind == CB_PEER_KIND_CITIZEN &&
		    track->confidential != confidential)
			g_ptr_array_add(moving, track);
	}
	/* the citizen's segment closes where it was, the next one opens in the
	 * other folder: nothing confidential is left in the open recording */
	for (guint i = 0; i < moving->len; i++) {
		CbRecTrack *track = g_ptr_array_index(moving, i);
		CbSlot *slot = track->slot;
		CbTrack t = track->track;

		cb_rec_track_close(track, FALSE);
		cb_rec_track_start(recorder, slot, t);
	}
}

/* ---- the bus ---- */

static CbRecTrack *
cb_rec_track_of(CbRecorder *recorder, GstObject *object)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, recorder->tracks);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		CbRecTrack *track = value;
		for (guint i = 0; i < G_N_ELEMENTS(track->elements); i++)
			if (track->elements[i] != NULL &&
			    (object == GST_OBJECT(track->elements[i]) ||
			     gst_object_has_as_ancestor(object, GST_OBJECT(track->elements[i]))))
				return track;
	}
	for (guint j = 0; j < recorder->closing->len; j++) {
		CbRecTrack *track = g_ptr_array_index(recorder->closing, j);
		for (guint i = 0; i < G_N_ELEMENTS(track->elements); i++)
			if (track->elements[i] != NULL &&
			    (object == GST_OBJECT(track->elements[i]) ||
			     gst_object_has_as_ancestor(object, GST_OBJECT(track->elements[i]))))
				return track;
	}
	return NULL;
}

static const char *
cb_rec_relative_of(CbRecTrack *track, const char *location)
{
	gsize n = strlen(track->folder);

	if (location != NULL && g_str_has_prefix(location, track->folder) && location[n] == '/')
		return location + n + 1;
	return location;
}

static void
cb_rec_fragment(CbRecTrack *track, const GstStructure *s, gboolean opened)
{
	CbRecorder *recorder = track->recorder;
	const char *location = gst_structure_get_string(s, "location");
	GstClockTime rt = GST_CLOCK_TIME_NONE;
	gint64 at;

	gst_structure_get_clock_time(s, "running-time", &rt);
	at = cb_rec_wall_time(recorder, rt);
	if (opened) {
		g_free(track->open_file);
		track->open_file = g_strdup(cb_rec_relative_of(track, location));
		track->open_us = at;
		if (track->track == CB_TRACK_VIDEO && !track->closing)
			cb_rec_track_arm_keys(track);
	} else if (track->open_file != NULL) {
		CbManifestSegment segment = {
			.file = track->open_file,
			.part = recorder->part,
			.peer = track->slot->id,
			.track = cb_track_name(track->track),
			.start_us = track->open_us,
			.end_us = MAX(at, track->open_us),
		};
		cb_room_emit_recording_segment(recorder->room, track->confidential, &segment);
		g_clear_pointer(&track->open_file, g_free);
	}
	/* a closing track goes once its last segment is reported */
	if (track->closing)
		cb_rec_track_arm(track, track->open_file != NULL ? CB_REC_CLOSE_TIMEOUT_MS
								 : CB_REC_CLOSE_QUIET_MS);
}

gboolean
cb_recorder_handle_message(CbRecorder *recorder, GstMessage *message)
{
	CbRecTrack *track;
	const GstStructure *s;

	if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_ELEMENT &&
	    GST_MESSAGE_TYPE(message) != GST_MESSAGE_ERROR)
		return FALSE;
	track = cb_rec_track_of(recorder, GST_MESSAGE_SRC(message));
	if (track == NULL)
		return FALSE;
	if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
		g_autoptr(GError) error = NULL;
		g_autofree char *debug = NULL;
		g_autofree char *text = NULL;

		gst_message_parse_error(message, &error, &debug);
		g_warning("recording %s: %s (%s)", track->key, error->message,
			  debug != NULL ? debug : "");
		text = g_strdup_printf("recording %s failed: %s", track->key, error->message);
		cb_rec_fail(recorder, text);
		return TRUE;
	}
	s = gst_message_get_structure(message);
	if (gst_structure_has_name(s, "splitmuxsink-fragment-opened"))
		cb_rec_fragment(track, s, TRUE);
	else if (gst_structure_has_name(s, "splitmuxsink-fragment-closed"))
		cb_rec_fragment(track, s, FALSE);
	return TRUE;
}

/* ---- the recorder ---- */

static void
cb_rec_check_stopped(CbRecorder *recorder)
{
	if (!recorder->freeing && recorder->stopping && recorder->closing->len == 0 &&
	    g_hash_table_size(recorder->tracks) == 0)
		cb_room_recording_stopped(recorder->room);
}

static void
cb_rec_close_all(CbRecorder *recorder, gboolean at_once)
{
	g_autoptr(GList) tracks = g_hash_table_get_values(recorder->tracks);

	recorder->stopping = TRUE;
	for (GList *l = tracks; l != NULL; l = l->next)
		cb_rec_track_close(l->data, at_once);
}

/* a segment cannot be written: recording stops (what was written stays),
 * the live media goes on */
static void
cb_rec_fail(CbRecorder *recorder, const char *message)
{
	if (recorder->failed)
		return;
	recorder->failed = TRUE;
	cb_room_emit_recording_failed(recorder->room, message);
	/* the failed elements are taken down, the others finish their segment */
	cb_rec_close_all(recorder, FALSE);
	cb_rec_check_stopped(recorder);
}

CbRecorder *
cb_recorder_new(CbRoom *room, const CbRoomRecording *spec)
{
	CbRecorder *recorder = g_new0(CbRecorder, 1);
	g_autoptr(GPtrArray) slots = cb_room_list_slots(room);

	recorder->room = room;
	recorder->folder = g_strdup(spec->folder);
	recorder->confidential_folder = g_strdup(spec->confidential_folder);
	recorder->part = spec->part;
	recorder->segment_seconds = MAX(spec->segment_seconds, 1);
	recorder->tracks = g_hash_table_new(g_str_hash, g_str_equal);
	recorder->closing = g_ptr_array_new();
	recorder->counters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	for (guint i = 0; i < slots->len && !recorder->failed; i++) {
		CbSlot *slot = g_ptr_array_index(slots, i);
		if (!cb_room_slot_has_publisher(room, slot))
			continue;
		for (guint t = 0; t < CB_N_TRACKS && !recorder->failed; t++)
			cb_recorder_track_up(recorder, slot, t);
	}
	return recorder;
}

void
cb_recorder_stop(CbRecorder *recorder)
{
	if (!recorder->stopping)
		cb_rec_close_all(recorder, FALSE);
	cb_rec_check_stopped(recorder);
}

gboolean
cb_recorder_is_stopping(CbRecorder *recorder)
{
	return recorder->stopping;
}

void
cb_recorder_free(CbRecorder *recorder)
{
	if (recorder == NULL)
		return;
	recorder->freeing = TRUE;
	cb_rec_close_all(recorder, TRUE);
	while (recorder->closing->len > 0)
		cb_rec_track_closed_cb(g_ptr_array_index(recorder->closing, 0));
	g_hash_table_unref(recorder->tracks);
	g_ptr_array_unref(recorder->closing);
	g_hash_table_unref(recorder->counters);
	g_free(recorder->folder);
	g_free(recorder->confidential_folder);
	g_free(recorder);
}
