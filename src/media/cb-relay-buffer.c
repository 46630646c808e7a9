#define G_LOG_DOMAIN "CbRoom"

/*
 * The relay buffer: what the room's webrtcbins get where rtpbin would put a
 * jitterbuffer (rtpbin's "request-jitterbuffer" signal).
 *
 * rtpjitterbuffer is made for playback: every packet waits in its queue,
 * served by a thread of its own and a timer thread, until it is due. A relay
 * plays nothing, so each received packet crossed one more thread for
 * nothing, and on a busy machine those threads fell behind (run 12 in
 * docs/PERFORMANCE.md). This element passes each packet on in the thread that
 * received it and keeps the three jobs of a jitterbuffer a relay needs:
 *
 * - Timestamps from RTP time: the payloaders after the room's tee make
 *   their RTP timestamps from them, so audio keeps its exact spacing. A
 *   stream's first packet keeps its arrival time; later ones get that plus
 *   the RTP time since, but never later than their own arrival (webrtcbin
 *   holds each outgoing packet until its timestamp) nor before the packet
 *   before. A packet earlier than that says moves the anchor back; one more
 *   than CB_RELAY_REBASE behind it (a client that restarted its clock)
 *   starts again from its arrival.
 * - NACK, when webrtcbin sets do-retransmission: a gap asks the publisher
 *   for each missing packet (a GstRTPRetransmissionRequest upstream, which
 *   the RTP session turns into NACK feedback). The packets after the gap
 *   wait, at most "latency" ms of arrival time, so that a retransmission can
 *   be put back in its place: the depayloader after this element drops a
 *   packet older than the one before it. The wait is measured on arrivals,
 *   with no timer: a stream that stops during a gap keeps its waiting
 *   packets until its next packet, a flush or the end.
 * - The statistics webrtcbin reads from a jitterbuffer ("stats": num-lost,
 *   num-late, num-duplicates, rtx-success-count, and num-pushed).
 *
 * Packets that are not RTP, and packets older than the ones passed on
 * (late, or duplicates), are dropped and counted.
 */

#include "cb-relay-buffer.h"

#include <gst/rtp/gstrtpbuffer.h>

/* this far behind the arrival time, RTP time starts again */
#define CB_RELAY_REBASE (1 * GST_SECOND)
/* a gap wider than this is a restart, not a loss to ask for */
#define CB_RELAY_MAX_GAP 100
/* packets waiting behind a gap, at most */
#define CB_RELAY_MAX_HELD 500
/* an older packet this far back is a restarted stream */
#define CB_RELAY_RESTART            3000
#define CB_RELAY_DEFAULT_LATENCY_MS 50

GST_DEBUG_CATEGORY_STATIC(cb_relay_debug);
#define GST_CAT_DEFAULT cb_relay_debug

struct _CbRelayBuffer {
	GstElement parent_instance;
	GstPad *sinkpad, *srcpad;

	/* properties, set from any thread */
	gint latency_ms;
	gint do_retransmission;

	/* the streaming thread's */
	gboolean have_seq;
	guint16 next_seq;   /* the one to pass on next */
	guint16 highest;    /* the highest seen; gaps past it were asked for */
	GQueue held;        /* buffers waiting behind a gap, by sequence */
	GstClockTime until; /* arrival time the gap is given up at */
	guint clock_rate[128];
	guint base_rate;
	guint64 ext_rtptime; /* for gst_rtp_buffer_ext_timestamp() */
	guint64 base_ext;
	GstClockTime base_pts;
	gboolean have_base;
	GstClockTime last_pts;

	/* under the object lock */
	guint64 pushed, lost, late, duplicates, invalid, rtx_requests, rtx_success;
};

enum {
	PROP_0,
	PROP_LATENCY,
	PROP_DO_RETRANSMISSION,
	PROP_STATS,
};

enum {
	SIGNAL_REQUEST_PT_MAP,
	N_SIGNALS,
};

static guint cb_relay_buffer_signals[N_SIGNALS];

G_DEFINE_TYPE_WITH_CODE(CbRelayBuffer, cb_relay_buffer, GST_TYPE_ELEMENT,
			GST_DEBUG_CATEGORY_INIT(cb_relay_debug, "cbrelaybuffer", 0,
						"civic-bridge relay buffer"))

static GstStaticPadTemplate cb_relay_sink_template = GST_STATIC_PAD_TEMPLATE(
	"sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS("application/x-rtp"));
static GstStaticPadTemplate cb_relay_src_template = GST_STATIC_PAD_TEMPLATE(
	"src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS("application/x-rtp"));

GstElement *
cb_relay_buffer_new(void)
{
	return g_object_new(CB_TYPE_RELAY_BUFFER, NULL);
}

#define CB_RELAY_COUNT(self, field, n)                                                             \
	G_STMT_START                                                                               \
	{                                                                                          \
		GST_OBJECT_LOCK(self);                                                             \
		(self)->field += (n);                                                              \
		GST_OBJECT_UNLOCK(self);                                                           \
	}                                                                                          \
	G_STMT_END

/* ---- timestamps ---- */

static guint
cb_relay_caps_rate(const GstCaps *caps)
{
	const GstStructure *s = caps != NULL && gst_caps_get_size(caps) > 0
					? gst_caps_get_structure(caps, 0)
					: NULL;
	gint rate = 0;

	if (s == NULL || !gst_structure_get_int(s, "clock-rate", &rate) || rate <= 0)
		return 0;
	return (guint)rate;
}

/* the clock rate of @pt, asked of rtpbin (request-pt-map) once */
static guint
cb_relay_clock_rate(CbRelayBuffer *self, guint pt)
{
	GstCaps *caps = NULL;

	if (self->clock_rate[pt] != 0)
		return self->clock_rate[pt];
	g_signal_emit(self, cb_relay_buffer_signals[SIGNAL_REQUEST_PT_MAP], 0, pt, &caps);
	self->clock_rate[pt] = cb_relay_caps_rate(caps);
	gst_clear_caps(&caps);
	return self->clock_rate[pt];
}

static GstClockTime
cb_relay_arrival(CbRelayBuffer *self, GstBuffer *buffer)
{
	GstClockTime arrival = GST_BUFFER_DTS_OR_PTS(buffer);
	GstClock *clock;

	if (GST_CLOCK_TIME_IS_VALID(arrival))
		return arrival;
	clock = gst_element_get_clock(GST_ELEMENT(self));
	if (clock == NULL)
		return GST_CLOCK_TIME_NONE;
	arrival = gst_clock_get_time(clock) - gst_element_get_base_time(GST_ELEMENT(self));
	gst_object_unref(clock);
	return arrival;
}

/* the PTS of a packet of RTP time @rtptime at @rate that arrived at
 * @arrival: RTP time since the stream's anchor, never later than the
 * arrival (webrtcbin's clocksync before each subscriber's RTP session
 * holds a packet until its PTS: one stamped ahead of the clock would stop
 * its lane) and never before the last one */
static GstClockTime
cb_relay_pts(CbRelayBuffer *self, guint32 rtptime, guint rate, GstClockTime arrival)
{
	guint64 ext = gst_rtp_buffer_ext_timestamp(&self->ext_rtptime, rtptime);
	GstClockTime pts = GST_CLOCK_TIME_NONE;

	if (rate == 0 || !GST_CLOCK_TIME_IS_VALID(arrival))
		return arrival;
	if (self->have_base && rate == self->base_rate && ext >= self->base_ext)
		pts = self->base_pts +
		      gst_util_uint64_scale_int(ext - self->base_ext, GST_SECOND, (gint)rate);
	if (!GST_CLOCK_TIME_IS_VALID(pts) || pts + CB_RELAY_REBASE < arrival) {
		/* the first packet, another clock rate, RTP time going back, or
		 * a sender whose clock fell far behind: anchor here */
		GST_DEBUG_OBJECT(self,
				 "timestamps anchored at %" GST_TIME_FORMAT
				 " (rate %u, RTP %" G_GUINT64_FORMAT ")",
				 GST_TIME_ARGS(arrival), rate, ext);
		self->have_base = TRUE;
		self->base_rate = rate;
		self->base_ext = ext;
		self->base_pts = arrival;
		pts = arrival;
	} else if (pts > arrival) {
		/* earlier than the anchor said: the anchor was late, move it */
		self->base_pts -= pts - arrival;
		pts = arrival;
	}
	if (GST_CLOCK_TIME_IS_VALID(self->last_pts) && pts < self->last_pts)
		pts = self->last_pts;
	self->last_pts = pts;
	return pts;
}

/* ---- order and retransmission ---- */

static void
cb_relay_ask(CbRelayBuffer *self, guint32 ssrc, guint16 from, guint16 to, GstClockTime arrival)
{
	guint latency = (guint)g_atomic_int_get(&self->latency_ms);

	for (guint16 seq = from; seq != to; seq++) {
		GstStructure *s = gst_structure_new(
			"GstRTPRetransmissionRequest", "seqnum", G_TYPE_UINT, (guint)seq, "ssrc",
			G_TYPE_UINT, ssrc, "running-time", G_TYPE_UINT64, arrival, "delay",
			G_TYPE_UINT, 0u, "deadline", G_TYPE_UINT, latency, "retry", G_TYPE_UINT, 0u,
			NULL);

		gst_pad_push_event(self->sinkpad,
				   gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, s));
		CB_RELAY_COUNT(self, rtx_requests, 1);
	}
}

static GstFlowReturn
cb_relay_push(CbRelayBuffer *self, GstBuffer *buffer)
{
	self->next_seq = (guint16)(GST_BUFFER_OFFSET(buffer) + 1);
	CB_RELAY_COUNT(self, pushed, 1);
	return gst_pad_push(self->srcpad, buffer);
}

/* passes on the held packets that are next in order */
static GstFlowReturn
cb_relay_drain_in_order(CbRelayBuffer *self)
{
	GstFlowReturn ret = GST_FLOW_OK;
	GstBuffer *head;

	while ((head = g_queue_peek_head(&self->held)) != NULL &&
	       (guint16)GST_BUFFER_OFFSET(head) == self->next_seq) {
		GstFlowReturn r = cb_relay_push(self, g_queue_pop_head(&self->held));

		if (r != GST_FLOW_OK && ret == GST_FLOW_OK)
			ret = r;
	}
	return ret;
}

/* gives up the gaps: passes on every held packet, counting what is missing */
static GstFlowReturn
cb_relay_give_up(CbRelayBuffer *self)
{
	GstFlowReturn ret = GST_FLOW_OK;
	GstBuffer *head;

	while ((head = g_queue_pop_head(&self->held)) != NULL) {
		guint16 seq = (guint16)GST_BUFFER_OFFSET(head);
		GstFlowReturn r;

		CB_RELAY_COUNT(self, lost, (guint16)(seq - self->next_seq));
		GST_DEBUG_OBJECT(self, "gave up %u before %u", (guint16)(seq - self->next_seq),
				 seq);
		r = cb_relay_push(self, head);
		if (r != GST_FLOW_OK && ret == GST_FLOW_OK)
			ret = r;
	}
	return ret;
}

/* keeps @buffer behind the gap, in sequence order; FALSE for a duplicate */
static gboolean
cb_relay_hold(CbRelayBuffer *self, GstBuffer *buffer, guint16 seq)
{
	GList *l;

	for (l = self->held.tail; l != NULL; l = l->prev) {
		gint16 d = (gint16)(seq - (guint16)GST_BUFFER_OFFSET(l->data));

		if (d == 0)
			return FALSE;
		if (d > 0)
			break;
	}
	if (l == NULL)
		g_queue_push_head(&self->held, buffer);
	else
		g_queue_insert_after(&self->held, l, buffer);
	return TRUE;
}

static void
cb_relay_reset(CbRelayBuffer *self)
{
	g_queue_clear_full(&self->held, (GDestroyNotify)gst_buffer_unref);
	self->have_seq = FALSE;
	self->have_base = FALSE;
	self->ext_rtptime = GST_CLOCK_TIME_NONE;
	self->last_pts = GST_CLOCK_TIME_NONE;
}

static GstFlowReturn
cb_relay_chain(GstPad *pad, GstObject *parent, GstBuffer *buffer)
{
	CbRelayBuffer *self = CB_RELAY_BUFFER(parent);
	GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
	GstClockTime arrival;
	guint16 seq;
	guint32 ssrc, rtptime;
	guint pt;
	gint16 gap;
	gboolean waiting;

	if (!gst_rtp_buffer_map(buffer, GST_MAP_READ, &rtp)) {
		CB_RELAY_COUNT(self, invalid, 1);
		GST_DEBUG_OBJECT(self, "dropping a packet that is not RTP");
		gst_buffer_unref(buffer);
		return GST_FLOW_OK;
	}
	seq = gst_rtp_buffer_get_seq(&rtp);
	ssrc = gst_rtp_buffer_get_ssrc(&rtp);
	rtptime = gst_rtp_buffer_get_timestamp(&rtp);
	pt = gst_rtp_buffer_get_payload_type(&rtp);
	gst_rtp_buffer_unmap(&rtp);

	arrival = cb_relay_arrival(self, buffer);
	buffer = gst_buffer_make_writable(buffer);
	/* nothing the room relays reorders frames (VP8, Opus, constrained
	 * baseline H.264): decoding time is presentation time */
	GST_BUFFER_PTS(buffer) =
		cb_relay_pts(self, rtptime, cb_relay_clock_rate(self, pt), arrival);
	GST_BUFFER_DTS(buffer) = GST_BUFFER_PTS(buffer);
	/* the sequence rides along for the held queue */
	GST_BUFFER_OFFSET(buffer) = seq;

	if (!self->have_seq) {
		self->have_seq = TRUE;
		self->next_seq = seq;
		self->highest = seq;
	}
	gap = (gint16)(seq - self->next_seq);
	waiting = !g_queue_is_empty(&self->held);

	if (gap < 0) {
		if (gap > -CB_RELAY_RESTART) {
			/* older than what was passed on: the depayloader would drop it */
			CB_RELAY_COUNT(self, late, 1);
			gst_buffer_unref(buffer);
			return GST_FLOW_OK;
		}
		/* a restarted stream */
		g_queue_clear_full(&self->held, (GDestroyNotify)gst_buffer_unref);
		self->highest = seq;
		return cb_relay_push(self, buffer);
	}
	if (gap == 0) {
		GstFlowReturn ret = cb_relay_push(self, buffer);

		if (waiting) {
			CB_RELAY_COUNT(self, rtx_success, 1);
			ret = cb_relay_drain_in_order(self);
		}
		if ((gint16)(seq - self->highest) > 0)
			self->highest = seq;
		return ret;
	}
	/* a gap before this one */
	if (!g_atomic_int_get(&self->do_retransmission) ||
	    g_atomic_int_get(&self->latency_ms) == 0 || gap > CB_RELAY_MAX_GAP) {
		GstFlowReturn ret = cb_relay_give_up(self);

		/* far ahead is a restarted stream, not a loss */
		if (gap <= CB_RELAY_MAX_GAP)
			CB_RELAY_COUNT(self, lost, (guint16)(seq - self->next_seq));
		self->highest = seq;
		if (ret != GST_FLOW_OK) {
			gst_buffer_unref(buffer);
			return ret;
		}
		return cb_relay_push(self, buffer);
	}
	if (!cb_relay_hold(self, buffer, seq)) {
		CB_RELAY_COUNT(self, duplicates, 1);
		gst_buffer_unref(buffer);
		return GST_FLOW_OK;
	}
	GST_LOG_OBJECT(self, "%u waits behind a gap from %u", seq, self->next_seq);
	if (!waiting)
		self->until = GST_CLOCK_TIME_IS_VALID(arrival)
				      ? arrival + (guint64)g_atomic_int_get(&self->latency_ms) *
							  GST_MSECOND
				      : GST_CLOCK_TIME_NONE;
	if ((gint16)(seq - self->highest) > 0) {
		cb_relay_ask(self, ssrc, (guint16)(self->highest + 1), seq, arrival);
		self->highest = seq;
	} else {
		/* one asked for, that fills a hole further on */
		CB_RELAY_COUNT(self, rtx_success, 1);
	}
	if (g_queue_get_length(&self->held) > CB_RELAY_MAX_HELD ||
	    !GST_CLOCK_TIME_IS_VALID(self->until) ||
	    (GST_CLOCK_TIME_IS_VALID(arrival) && arrival >= self->until))
		return cb_relay_give_up(self);
	return GST_FLOW_OK;
}

/* ---- events, properties, the class ---- */

static gboolean
cb_relay_sink_event(GstPad *pad, GstObject *parent, GstEvent *event)
{
	CbRelayBuffer *self = CB_RELAY_BUFFER(parent);

	switch (GST_EVENT_TYPE(event)) {
	case GST_EVENT_FLUSH_STOP:
		cb_relay_reset(self);
		break;
	case GST_EVENT_EOS:
		cb_relay_give_up(self);
		break;
	case GST_EVENT_CAPS: {
		GstCaps *caps;
		const GstStructure *s;
		gint pt = -1;

		gst_event_parse_caps(event, &caps);
		s = gst_caps_get_size(caps) > 0 ? gst_caps_get_structure(caps, 0) : NULL;
		if (s != NULL && gst_structure_get_int(s, "payload", &pt) && pt >= 0 && pt < 128 &&
		    cb_relay_caps_rate(caps) != 0)
			self->clock_rate[pt] = cb_relay_caps_rate(caps);
		break;
	}
	default:
		break;
	}
	return gst_pad_event_default(pad, parent, event);
}

static GstStructure *
cb_relay_stats(CbRelayBuffer *self)
{
	GstStructure *s;

	GST_OBJECT_LOCK(self);
	s = gst_structure_new("application/x-rtp-jitterbuffer-stats", "num-pushed", G_TYPE_UINT64,
			      self->pushed, "num-lost", G_TYPE_UINT64, self->lost, "num-late",
			      G_TYPE_UINT64, self->late, "num-duplicates", G_TYPE_UINT64,
			      self->duplicates, "num-invalid", G_TYPE_UINT64, self->invalid,
			      "rtx-count", G_TYPE_UINT64, self->rtx_requests, "rtx-success-count",
			      G_TYPE_UINT64, self->rtx_success, NULL);
	GST_OBJECT_UNLOCK(self);
	return s;
}

static void
cb_relay_set_property(GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
	CbRelayBuffer *self = CB_RELAY_BUFFER(object);

	switch (prop_id) {
	case PROP_LATENCY:
		g_atomic_int_set(&self->latency_ms, (gint)g_value_get_uint(value));
		break;
	case PROP_DO_RETRANSMISSION:
		g_atomic_int_set(&self->do_retransmission, g_value_get_boolean(value));
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
cb_relay_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	CbRelayBuffer *self = CB_RELAY_BUFFER(object);

	switch (prop_id) {
	case PROP_LATENCY:
		g_value_set_uint(value, (guint)g_atomic_int_get(&self->latency_ms));
		break;
	case PROP_DO_RETRANSMISSION:
		g_value_set_boolean(value, g_atomic_int_get(&self->do_retransmission));
		break;
	case PROP_STATS:
		g_value_take_boxed(value, cb_relay_stats(self));
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static GstStateChangeReturn
cb_relay_change_state(GstElement *element, GstStateChange transition)
{
	GstStateChangeReturn ret =
		GST_ELEMENT_CLASS(cb_relay_buffer_parent_class)->change_state(element, transition);

	/* streaming has stopped: nothing is in the chain function */
	if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
		cb_relay_reset(CB_RELAY_BUFFER(element));
	return ret;
}

static void
cb_relay_finalize(GObject *object)
{
	cb_relay_reset(CB_RELAY_BUFFER(object));
	G_OBJECT_CLASS(cb_relay_buffer_parent_class)->finalize(object);
}

static void
cb_relay_buffer_init(CbRelayBuffer *self)
{
	self->latency_ms = CB_RELAY_DEFAULT_LATENCY_MS;
	self->ext_rtptime = GST_CLOCK_TIME_NONE;
	self->last_pts = GST_CLOCK_TIME_NONE;
	g_queue_init(&self->held);
	self->sinkpad = gst_pad_new_from_static_template(&cb_relay_sink_template, "sink");
	gst_pad_set_chain_function(self->sinkpad, cb_relay_chain);
	gst_pad_set_event_function(self->sinkpad, cb_relay_sink_event);
	GST_PAD_SET_PROXY_CAPS(self->sinkpad);
	GST_PAD_SET_PROXY_ALLOCATION(self->sinkpad);
	gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
	self->srcpad = gst_pad_new_from_static_template(&cb_relay_src_template, "src");
	GST_PAD_SET_PROXY_CAPS(self->srcpad);
	gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
}

static void
cb_relay_buffer_class_init(CbRelayBufferClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GstElementClass *element_class = GST_ELEMENT_CLASS(klass);

	object_class->set_property = cb_relay_set_property;
	object_class->get_property = cb_relay_get_property;
	object_class->finalize = cb_relay_finalize;
	element_class->change_state = cb_relay_change_state;

	/* the names and types rtpbin and webrtcbin set on a jitterbuffer */
	g_object_class_install_property(
		object_class, PROP_LATENCY,
		g_param_spec_uint("latency", "Latency",
				  "How long packets after a lost one wait for its retransmission "
				  "(ms of arrival time)",
				  0, G_MAXUINT, CB_RELAY_DEFAULT_LATENCY_MS,
				  G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
	g_object_class_install_property(
		object_class, PROP_DO_RETRANSMISSION,
		g_param_spec_boolean("do-retransmission", "Do retransmission",
				     "Ask for lost packets (NACK) and wait for them", FALSE,
				     G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
	g_object_class_install_property(
		object_class, PROP_STATS,
		g_param_spec_boxed("stats", "Statistics", "Packets passed on, lost, late, ...",
				   GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
	/* rtpbin answers it with the payload type's caps */
	cb_relay_buffer_signals[SIGNAL_REQUEST_PT_MAP] =
		g_signal_new("request-pt-map", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
			     NULL, NULL, GST_TYPE_CAPS, 1, G_TYPE_UINT);

	gst_element_class_add_static_pad_template(element_class, &cb_relay_sink_template);
	gst_element_class_add_static_pad_template(element_class, &cb_relay_src_template);
	gst_element_class_set_static_metadata(
		element_class, "civic-bridge relay buffer", "Filter/Network/RTP",
		"Passes RTP packets on in arrival order, timestamped from RTP time, and asks for "
		"lost ones",
		"civic-bridge");
}
