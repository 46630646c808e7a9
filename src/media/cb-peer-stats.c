#define G_LOG_DOMAIN "CbRoom"

/*
 * Connection quality per peer, from webrtcbin's statistics.
 *
 * Every interval the room asks each connected peer's webrtcbin for
 * "get-stats". The reply comes on webrtcbin's own thread: there it is only
 * parsed into plain totals per RTP stream (a CbStatsReading) and handed to
 * the room's main context, which keeps the previous reading of each peer and
 * turns the two into rates (bitrate, loss) and emits `peer-quality`.
 *
 * What the numbers mean depends on the direction: a publisher sends to the
 * room, so its quality is what the room receives (inbound-rtp: bytes,
 * packets received and lost, the jitter the room measures). A subscriber
 * receives from the room, so its quality is what the room sends
 * (outbound-rtp: bytes) and what its client reports about it in RTCP
 * receiver reports (remote-inbound-rtp: lost, highest sequence, jitter,
 * round-trip time). A publisher's client receives nothing, so it sends no
 * report blocks and the room has no round trip to measure for it.
 *
 * The statistics differ between GStreamer versions (a counter may be an int
 * in one and a guint64 in another) and miss whole entries while a peer has
 * no media yet: every field is optional and read as whatever number it is.
 */

#include "cb-media-private.h"

#include <math.h>

/* streams one peer can have are one per m-line and direction; more is junk */
#define CB_STATS_MAX_STREAMS 16

typedef struct {
	guint ssrc;
	gboolean outbound; /* the room sends it (to a subscriber) */
	guint64 bytes;     /* received, or sent */
	guint64 packets;   /* received, or sent */
	gboolean has_lost;
	gint64 lost; /* inbound: the room's count; outbound: the client's report */
	gboolean has_expected;
	guint64 expected;     /* outbound: the extended highest sequence reported */
	double fraction_lost; /* outbound: of the last report; < 0: none */
	double jitter;        /* seconds; < 0: unknown */
	double rtt;           /* seconds; < 0: unknown */
	gint64 clock_rate;    /* outbound: the RTP clock; 0: unknown */
	gint64 rb_jitter;     /* outbound: reported jitter in RTP clock units; < 0: none */
} CbStreamTotals;

struct _CbStatsReading {
	gint64 time; /* monotonic µs */
	GArray *streams;
};

/* ---- parsing: any thread, any input ---- */

/* any integer field as a signed 64-bit number */
static gboolean
cb_stats_get_int(const GstStructure *s, const char *field, gint64 *out)
{
	const GValue *value = s != NULL ? gst_structure_get_value(s, field) : NULL;

	if (value == NULL)
		return FALSE;
	switch (G_TYPE_FUNDAMENTAL(G_VALUE_TYPE(value))) {
	case G_TYPE_INT:
		*out = g_value_get_int(value);
		return TRUE;
	case G_TYPE_UINT:
		*out = g_value_get_uint(value);
		return TRUE;
	case G_TYPE_INT64:
		*out = g_value_get_int64(value);
		return TRUE;
	case G_TYPE_UINT64:
		*out = (gint64)MIN(g_value_get_uint64(value), (guint64)G_MAXINT64);
		return TRUE;
	default:
		return FALSE;
	}
}

/* a count that cannot be negative */
static gboolean
cb_stats_get_count(const GstStructure *s, const char *field, guint64 *out)
{
	gint64 value = 0;

	if (!cb_stats_get_int(s, field, &value) || value < 0)
		return FALSE;
	*out = (guint64)value;
	return TRUE;
}

/* a finite, non-negative double (seconds, fractions) */
static gboolean
cb_stats_get_measure(const GstStructure *s, const char *field, double *out)
{
	const GValue *value = s != NULL ? gst_structure_get_value(s, field) : NULL;
	double number;

	if (value == NULL)
		return FALSE;
	if (G_VALUE_HOLDS_DOUBLE(value))
		number = g_value_get_double(value);
	else if (G_VALUE_HOLDS_FLOAT(value))
		number = g_value_get_float(value);
	else
		return FALSE;
	/* a clock rate of 0 or -1 makes webrtcbin's jitter infinite or negative */
	if (!isfinite(number) || number < 0)
		return FALSE;
	*out = number;
	return TRUE;
}

static CbStreamTotals *
cb_stats_stream(CbStatsReading *reading, guint ssrc, gboolean outbound)
{
	CbStreamTotals fresh = {.ssrc = ssrc,
				.outbound = outbound,
				.fraction_lost = -1,
				.jitter = -1,
				.rtt = -1,
				.rb_jitter = -1};

	for (guint i = 0; i < reading->streams->len; i++) {
		CbStreamTotals *t = &g_array_index(reading->streams, CbStreamTotals, i);
		if (t->ssrc == ssrc && t->outbound == outbound)
			return t;
	}
	if (reading->streams->len >= CB_STATS_MAX_STREAMS)
		return NULL;
	g_array_append_val(reading->streams, fresh);
	return &g_array_index(reading->streams, CbStreamTotals, reading->streams->len - 1);
}

static CbStreamTotals *
cb_stats_stream_of(CbStatsReading *reading, const GstStructure *s, gboolean outbound)
{
	gint64 ssrc = 0;

	if (!cb_stats_get_int(s, "ssrc", &ssrc) || ssrc < 0 || ssrc > G_MAXUINT32)
		return NULL;
	return cb_stats_stream(reading, (guint)ssrc, outbound);
}

/* the raw RTP source statistics webrtcbin's entries carry */
static const GstStructure *
cb_stats_raw(const GstStructure *s)
{
	const GValue *raw = gst_structure_get_value(s, "gst-rtpsource-stats");

	return raw != NULL && GST_VALUE_HOLDS_STRUCTURE(raw) ? gst_value_get_structure(raw) : NULL;
}

/* inbound-rtp: what the room receives from a publisher */
static void
cb_stats_read_inbound(CbStatsReading *reading, const GstStructure *s)
{
	CbStreamTotals *t = cb_stats_stream_of(reading, s, FALSE);

	if (t == NULL)
		return;
	cb_stats_get_count(s, "bytes-received", &t->bytes);
	cb_stats_get_count(s, "packets-received", &t->packets);
	t->has_lost = cb_stats_get_int(s, "packets-lost", &t->lost);
	if (!cb_stats_get_measure(s, "jitter", &t->jitter))
		t->jitter = -1;
}

/* outbound-rtp: what the room sends a subscriber */
static void
cb_stats_read_outbound(CbStatsReading *reading, const GstStructure *s)
{
	CbStreamTotals *t = cb_stats_stream_of(reading, s, TRUE);

	if (t == NULL)
		return;
	cb_stats_get_count(s, "bytes-sent", &t->bytes);
	cb_stats_get_count(s, "packets-sent", &t->packets);
	if (!cb_stats_get_int(cb_stats_raw(s), "clock-rate", &t->clock_rate) || t->clock_rate < 0)
		t->clock_rate = 0;
}

/* remote-inbound-rtp: what a subscriber's client reports of what it got */
static void
cb_stats_read_remote_inbound(CbStatsReading *reading, const GstStructure *s)
{
	CbStreamTotals *t = cb_stats_stream_of(reading, s, TRUE);
	const GstStructure *source = cb_stats_raw(s);

	if (t == NULL)
		return;
	if (!cb_stats_get_int(source, "rb-jitter", &t->rb_jitter))
		t->rb_jitter = -1;
	t->has_lost = cb_stats_get_int(s, "packets-lost", &t->lost);
	/* the expected count is what makes a loss ratio between two reports */
	t->has_expected = cb_stats_get_count(source, "rb-exthighestseq", &t->expected);
	if (!cb_stats_get_measure(s, "fraction-lost", &t->fraction_lost) || t->fraction_lost > 1)
		t->fraction_lost = -1;
	if (!cb_stats_get_measure(s, "jitter", &t->jitter))
		t->jitter = -1;
	if (!cb_stats_get_measure(s, "round-trip-time", &t->rtt))
		t->rtt = -1;
}

CbStatsReading *
cb_stats_reading_parse(const GstStructure *stats, gint64 time_us)
{
	CbStatsReading *reading = g_new0(CbStatsReading, 1);
	gint n = stats != NULL ? gst_structure_n_fields(stats) : 0;

	reading->time = time_us;
	reading->streams = g_array_new(FALSE, TRUE, sizeof(CbStreamTotals));
	for (gint i = 0; i < n; i++) {
		const GValue *value =
			gst_structure_get_value(stats, gst_structure_nth_field_name(stats, i));
		const GstStructure *s;
		gint type = 0;

		if (!GST_VALUE_HOLDS_STRUCTURE(value))
			continue;
		s = gst_value_get_structure(value);
		if (s == NULL ||
		    !gst_structure_get_enum(s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type))
			continue;
		if (type == GST_WEBRTC_STATS_INBOUND_RTP)
			cb_stats_read_inbound(reading, s);
		else if (type == GST_WEBRTC_STATS_OUTBOUND_RTP)
			cb_stats_read_outbound(reading, s);
		else if (type == GST_WEBRTC_STATS_REMOTE_INBOUND_RTP)
			cb_stats_read_remote_inbound(reading, s);
	}
	/* GStreamer 1.22 leaves a report's jitter out (it misses the clock rate
	 * of the pad): the raw value over the stream's own clock rate */
	for (guint i = 0; i < reading->streams->len; i++) {
		CbStreamTotals *t = &g_array_index(reading->streams, CbStreamTotals, i);
		if (t->jitter < 0 && t->rb_jitter >= 0 && t->clock_rate > 0)
			t->jitter = (double)t->rb_jitter / (double)t->clock_rate;
	}
	return reading;
}

void
cb_stats_reading_free(CbStatsReading *reading)
{
	if (reading == NULL)
		return;
	g_array_unref(reading->streams);
	g_free(reading);
}

/* ---- two readings make a quality ---- */

static const CbStreamTotals *
cb_stats_find(const CbStatsReading *reading, const CbStreamTotals *like)
{
	for (guint i = 0; i < reading->streams->len; i++) {
		const CbStreamTotals *t = &g_array_index(reading->streams, CbStreamTotals, i);
		if (t->ssrc == like->ssrc && t->outbound == like->outbound)
			return t;
	}
	return NULL;
}

/* a counter's growth; a stream new since @prev counts from 0 */
static guint64
cb_stats_growth(guint64 now, const CbStreamTotals *prev, gsize offset)
{
	guint64 before = prev != NULL ? G_STRUCT_MEMBER(guint64, prev, offset) : 0;

	return now >= before ? now - before : now;
}

typedef struct {
	guint64 bytes;
	guint64 packets;
	gint64 lost;
	guint64 expected;
	double fraction; /* < 0: none */
} CbStatsSums;

static void
cb_stats_add_stream(CbStatsSums *sums, const CbStreamTotals *t, const CbStreamTotals *p,
		    CbPeerQuality *q)
{
	sums->bytes += cb_stats_growth(t->bytes, p, G_STRUCT_OFFSET(CbStreamTotals, bytes));
	if (!t->outbound) {
		sums->packets +=
			cb_stats_growth(t->packets, p, G_STRUCT_OFFSET(CbStreamTotals, packets));
		if (t->has_lost)
			sums->lost += t->lost - (p != NULL && p->has_lost ? p->lost : 0);
	} else if (p != NULL && t->has_expected && p->has_expected && t->has_lost && p->has_lost &&
		   t->expected > p->expected) {
		/* RFC 3550 A.3: lost and expected between two receiver reports */
		sums->expected += t->expected - p->expected;
		sums->lost += t->lost - p->lost;
	} else if (t->fraction_lost >= 0) {
		sums->fraction = MAX(sums->fraction, t->fraction_lost);
	}
	if (t->jitter >= 0) {
		q->jitter_ms = MAX(q->has_jitter ? q->jitter_ms : 0, t->jitter * 1000);
		q->has_jitter = TRUE;
	}
	if (t->rtt >= 0) {
		q->rtt_ms = MAX(q->has_rtt ? q->rtt_ms : 0, t->rtt * 1000);
		q->has_rtt = TRUE;
	}
}

gboolean
cb_stats_quality(const CbStatsReading *prev, const CbStatsReading *cur, gboolean publisher,
		 CbPeerQuality *q)
{
	CbStatsSums sums = {.fraction = -1};
	double seconds = (double)(cur->time - prev->time) / G_USEC_PER_SEC;

	if (seconds <= 0)
		return FALSE;
	*q = (CbPeerQuality){.publisher = publisher, .seconds = seconds};
	for (guint i = 0; i < cur->streams->len; i++) {
		const CbStreamTotals *t = &g_array_index(cur->streams, CbStreamTotals, i);

		/* a publisher's quality is what comes in, a subscriber's what goes out */
		if (t->outbound != !publisher)
			continue;
		cb_stats_add_stream(&sums, t, cb_stats_find(prev, t), q);
	}
	q->bitrate_kbps = (double)sums.bytes * 8 / 1000 / seconds;
	if (publisher && sums.packets + (guint64)MAX(sums.lost, 0) > 0) {
		q->has_loss = TRUE;
		q->loss = (double)MAX(sums.lost, 0) / (double)(sums.packets + MAX(sums.lost, 0));
	} else if (!publisher && sums.expected > 0) {
		q->has_loss = TRUE;
		/* duplicates make the reported count go down: never below 0 */
		q->loss = CLAMP((double)sums.lost / (double)sums.expected, 0, 1);
	} else if (!publisher && sums.fraction >= 0) {
		q->has_loss = TRUE;
		q->loss = sums.fraction;
	}
	return TRUE;
}

/* ---- the sampler: the room's main context ---- */

struct _CbQualitySampler {
	CbRoom *room; /* main context; NULL once the room let go */
	GMainContext *context;
	guint interval_ms;
	GSource *timer;
	GHashTable *last; /* peer id -> CbPeerSample */
};

typedef struct {
	guint serial;
	CbStatsReading *reading;
} CbPeerSample;

static void
cb_peer_sample_free(gpointer data)
{
	CbPeerSample *sample = data;

	cb_stats_reading_free(sample->reading);
	g_free(sample);
}

static void
cb_quality_sampler_clear(CbQualitySampler *sampler)
{
	g_main_context_unref(sampler->context);
}

static void
cb_quality_sampler_release(gpointer sampler)
{
	g_atomic_rc_box_release_full(sampler, (GDestroyNotify)cb_quality_sampler_clear);
}

/* one reading on its way from webrtcbin's thread to the main context */
typedef struct {
	CbQualitySampler *sampler; /* a reference */
	char *peer_id;
	guint serial;
	CbStatsReading *reading;
} CbStatsRequest;

static void
cb_stats_request_free(gpointer data)
{
	CbStatsRequest *request = data;

	cb_quality_sampler_release(request->sampler);
	cb_stats_reading_free(request->reading);
	g_free(request->peer_id);
	g_free(request);
}

static void
cb_quality_sampler_take(CbQualitySampler *sampler, CbPeer *peer, CbStatsReading *reading)
{
	CbPeerSample *last = g_hash_table_lookup(sampler->last, peer->id);
	CbPeerSample *sample;
	CbPeerQuality quality;
	gboolean have = FALSE;

	if (last != NULL && last->serial == peer->serial) {
		/* a reply held up in webrtcbin would make two samples close
		 * together: at most one per half interval */
		if ((reading->time - last->reading->time) * 2 <
		    (gint64)sampler->interval_ms * 1000) {
			cb_stats_reading_free(reading);
			return;
		}
		have = cb_stats_quality(last->reading, reading, peer->publisher, &quality);
	}
	sample = g_new0(CbPeerSample, 1);
	sample->serial = peer->serial;
	sample->reading = reading;
	g_hash_table_replace(sampler->last, g_strdup(peer->id), sample);
	if (have) {
		quality.kind = peer->kind;
		cb_room_emit_peer_quality(sampler->room, peer, &quality);
	}
}

static gboolean
cb_quality_deliver_cb(gpointer data)
{
	CbStatsRequest *request = data;
	CbQualitySampler *sampler = request->sampler;
	CbPeer *peer;

	if (sampler->room == NULL)
		return G_SOURCE_REMOVE;
	peer = cb_room_lookup_peer(sampler->room, request->peer_id, request->serial);
	if (peer != NULL)
		cb_quality_sampler_take(sampler, peer, g_steal_pointer(&request->reading));
	return G_SOURCE_REMOVE;
}

/* webrtcbin's thread (or the caller's, for a closed webrtcbin) */
static void
cb_quality_reply_cb(GstPromise *promise, gpointer user_data)
{
	CbStatsRequest *request = user_data;
	CbStatsRequest *delivery;
	const GstStructure *reply;
	GSource *source;

	if (gst_promise_wait(promise) != GST_PROMISE_RESULT_REPLIED)
		return;
	reply = gst_promise_get_reply(promise);
	if (reply == NULL || gst_structure_has_field(reply, "error"))
		return;
	delivery = g_new0(CbStatsRequest, 1);
	delivery->sampler = g_atomic_rc_box_acquire(request->sampler);
	delivery->peer_id = g_strdup(request->peer_id);
	delivery->serial = request->serial;
	delivery->reading = cb_stats_reading_parse(reply, g_get_monotonic_time());
	source = g_idle_source_new();
	g_source_set_priority(source, G_PRIORITY_DEFAULT);
	g_source_set_callback(source, cb_quality_deliver_cb, delivery, cb_stats_request_free);
	g_source_set_static_name(source, "[civic-bridge] peer stats");
	g_source_attach(source, request->sampler->context);
	g_source_unref(source);
}

/* a peer by id and serial, to look up again */
typedef struct {
	char *id;
	guint serial;
} CbPeerRef;

static void
cb_peer_ref_free(gpointer data)
{
	CbPeerRef *ref = data;

	g_free(ref->id);
	g_free(ref);
}

/* a peer not connected has nothing to measure yet */
static void
cb_quality_collect_cb(gpointer key, gpointer value, gpointer user_data)
{
	CbPeer *peer = value;
	CbPeerRef *ref;

	if (g_strcmp0(peer->state, "connected") != 0)
		return;
	ref = g_new0(CbPeerRef, 1);
	ref->id = g_strdup(peer->id);
	ref->serial = peer->serial;
	g_ptr_array_add(user_data, ref);
}

static void
cb_quality_ask(CbQualitySampler *sampler, CbPeer *peer)
{
	CbStatsRequest *request;
	GstPromise *promise;

	request = g_new0(CbStatsRequest, 1);
	request->sampler = g_atomic_rc_box_acquire(sampler);
	request->peer_id = g_strdup(peer->id);
	request->serial = peer->serial;
	promise = gst_promise_new_with_change_func(cb_quality_reply_cb, request,
						   cb_stats_request_free);
	/* webrtcbin holds the promise until it has replied */
	g_signal_emit_by_name(peer->webrtc, "get-stats", NULL, promise);
	gst_promise_unref(promise);
}

static gboolean
cb_quality_tick_cb(gpointer user_data)
{
	CbQualitySampler *sampler = user_data;
	g_autoptr(GPtrArray) connected = g_ptr_array_new_with_free_func(cb_peer_ref_free);
	GHashTableIter iter;
	gpointer key, value;

	/* forget the peers that left */
	g_hash_table_iter_init(&iter, sampler->last);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		CbPeerSample *sample = value;
		if (cb_room_lookup_peer(sampler->room, key, sample->serial) == NULL)
			g_hash_table_iter_remove(&iter);
	}
	/* the peers are asked from a list taken first: a "get-stats" emission
	 * runs into webrtcbin, and nothing it sets off may change the table
	 * while it is being walked */
	cb_room_foreach_peer(sampler->room, cb_quality_collect_cb, connected);
	for (guint i = 0; i < connected->len; i++) {
		CbPeerRef *wanted = g_ptr_array_index(connected, i);
		CbPeer *peer = cb_room_lookup_peer(sampler->room, wanted->id, wanted->serial);

		if (peer != NULL)
			cb_quality_ask(sampler, peer);
	}
	return G_SOURCE_CONTINUE;
}

CbQualitySampler *
cb_quality_sampler_new(CbRoom *room, guint interval_seconds)
{
	CbQualitySampler *sampler;

	if (interval_seconds == 0)
		return NULL;
	sampler = g_atomic_rc_box_new0(CbQualitySampler);
	sampler->room = room; /* the room frees the sampler before it goes */
	sampler->context = g_main_context_ref(cb_room_get_context(room));
	sampler->interval_ms = interval_seconds * 1000;
	sampler->last = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, cb_peer_sample_free);
	sampler->timer = g_timeout_source_new(sampler->interval_ms);
	g_source_set_callback(sampler->timer, cb_quality_tick_cb, sampler, NULL);
	g_source_set_static_name(sampler->timer, "[civic-bridge] quality sampling");
	g_source_attach(sampler->timer, sampler->context);
	return sampler;
}

void
cb_quality_sampler_free(CbQualitySampler *sampler)
{
	if (sampler == NULL)
		return;
	g_source_destroy(sampler->timer);
	g_source_unref(sampler->timer);
	g_hash_table_unref(sampler->last);
	sampler->last = NULL;
	/* replies still in flight hold references and find no room */
	sampler->room = NULL;
	cb_quality_sampler_release(sampler);
}
