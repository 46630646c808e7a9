#define G_LOG_DOMAIN "CbRoom"

/*
 * Forwarding without transcoding. Each publisher id has a slot: per track, a
 * depayloader and a tee. Depayloading once per publisher and payloading once
 * per subscriber branch costs a little CPU per packet (no decoding), and buys
 * what a plain RTP fan-out cannot give: each subscriber gets its own payload
 * type, no header extension it did not negotiate, and one continuous SSRC and
 * sequence across floor switches, so nobody renegotiates when the floor moves.
 *
 * The floor is, per audience (hall, public) and track, an input-selector fed
 * by a branch of every slot, followed by a tee. Switching the floor is one
 * property set. Two audiences so that confidentiality is structural: the
 * public selector never selects a citizen while the room is confidential, and
 * a gate on the citizen's public branch drops its buffers before they can
 * reach the selector at all.
 *
 * No branch has a queue of its own (cb-branch-entry.c): the thread that
 * pushes into a tee runs its branches. A subscriber's branch hangs from a
 * lane of its source tee (cb-lane.c), whose leaky queue is the one thread
 * of up to 8 subscribers; the floor's branches run on their publisher's
 * thread into the selectors. Nothing in a branch waits: a subscriber's
 * branch lets nothing in before its connection is up (webrtcbin would hold
 * the pushing thread until DTLS is up), and a slow subscriber's packets are
 * dropped by the network, since libnice's UDP sends never block.
 */

#include "cb-media-private.h"

const char *
cb_track_name(CbTrack track)
{
	return track == CB_TRACK_VIDEO ? "video" : "audio";
}

CbAudience
cb_audience_of(CbPeerKind kind)
{
	return (kind == CB_PEER_KIND_HALL || kind == CB_PEER_KIND_VIEWER) ? CB_AUDIENCE_HALL
									  : CB_AUDIENCE_PUBLIC;
}

CbGate *
cb_gate_new(void)
{
	CbGate *gate = g_new0(CbGate, 1);

	gate->ref = 1;
	gate->open = 1;
	return gate;
}

CbGate *
cb_gate_ref(CbGate *gate)
{
	g_atomic_int_inc(&gate->ref);
	return gate;
}

void
cb_gate_unref(CbGate *gate)
{
	if (gate != NULL && g_atomic_int_dec_and_test(&gate->ref))
		g_free(gate);
}

static gboolean
cb_gate_passes(CbGate *gate, GstBuffer *buffer)
{
	if (!g_atomic_int_get(&gate->open) || g_atomic_int_get(&gate->held))
		return FALSE;
	if (g_atomic_int_get(&gate->need_key)) {
		if (GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT))
			return FALSE;
		g_atomic_int_set(&gate->need_key, 0);
	}
	return TRUE;
}

/* streaming thread: reads the gate's atomics and nothing else */
static GstPadProbeReturn
cb_gate_probe_cb(GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
	CbGate *gate = user_data;

	if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
		GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
		if (gst_buffer_list_length(list) == 0)
			return GST_PAD_PROBE_OK;
		return cb_gate_passes(gate, gst_buffer_list_get(list, 0)) ? GST_PAD_PROBE_OK
									  : GST_PAD_PROBE_DROP;
	}
	return cb_gate_passes(gate, GST_PAD_PROBE_INFO_BUFFER(info)) ? GST_PAD_PROBE_OK
								     : GST_PAD_PROBE_DROP;
}

void
cb_gate_attach(CbGate *gate, GstPad *pad)
{
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
			  cb_gate_probe_cb, cb_gate_ref(gate), (GDestroyNotify)cb_gate_unref);
}

static GstElement *
cb_make(const char *factory, GError **error)
{
	GstElement *element = gst_element_factory_make(factory, NULL);

	if (element == NULL)
		g_set_error(error, CB_ERROR, CB_ERROR_INTERNAL,
			    "GStreamer element '%s' is missing (a plugin package is not installed)",
			    factory);
	return element;
}

static CbBranch *
cb_branch_make(GstElement *pipeline, GstElement *tee, GstElement *pay, GstElement *sink_owner,
	       GstPad *sink_pad, gboolean held, GError **error)
{
	CbBranch *branch = g_new0(CbBranch, 1);
	GstElement *entry = cb_branch_entry_new();
	g_autoptr(GstPad) entry_sink = NULL;
	g_autoptr(GstPad) last_src = NULL;

	branch->bin = pipeline;
	branch->tee = gst_object_ref(tee);
	branch->entry = gst_object_ref(entry);
	branch->pay = pay != NULL ? gst_object_ref(pay) : NULL;
	branch->sink_owner = gst_object_ref(sink_owner);
	branch->sink_pad = gst_object_ref(sink_pad);
	branch->gate = cb_gate_new();
	/* before the tee is linked: the first buffer may come at once */
	g_atomic_int_set(&branch->gate->held, held);

	gst_bin_add(GST_BIN(pipeline), entry);
	if (pay != NULL) {
		gst_bin_add(GST_BIN(pipeline), pay);
		gst_element_link(entry, pay);
	}
	last_src = gst_element_get_static_pad(pay != NULL ? pay : entry, "src");
	if (gst_pad_link(last_src, sink_pad) != GST_PAD_LINK_OK) {
		g_set_error(error, CB_ERROR, CB_ERROR_INTERNAL, "cannot link a %s branch",
			    pay != NULL ? GST_OBJECT_NAME(pay) : "floor");
		cb_branch_free(branch);
		return NULL;
	}
	entry_sink = gst_element_get_static_pad(entry, "sink");
	cb_gate_attach(branch->gate, entry_sink);
	if (pay != NULL)
		gst_element_sync_state_with_parent(pay);
	gst_element_sync_state_with_parent(entry);
	branch->tee_pad = gst_element_request_pad_simple(tee, "src_%u");
	gst_pad_link(branch->tee_pad, entry_sink);
	return branch;
}

CbBranch *
cb_branch_new(GstElement *pipeline, GstElement *tee, GstElement *pay, GstElement *sink_owner,
	      GstPad *sink_pad, GError **error)
{
	return cb_branch_make(pipeline, tee, pay, sink_owner, sink_pad, FALSE, error);
}

CbBranch *
cb_branch_new_held(GstElement *pipeline, GstElement *tee, GstElement *pay, GstElement *sink_owner,
		   GstPad *sink_pad, GError **error)
{
	return cb_branch_make(pipeline, tee, pay, sink_owner, sink_pad, TRUE, error);
}

/* how long a leaving branch waits for the tee's thread to leave it: it
 * never waits inside a branch, so this bounds a fault, not a normal case */
#define CB_BRANCH_IDLE_TIMEOUT_US (2 * G_USEC_PER_SEC)

typedef struct {
	GMutex lock;
	GCond cond;
	gboolean done;
} CbBranchIdle;

static void
cb_branch_idle_clear(gpointer data)
{
	CbBranchIdle *idle = data;

	g_mutex_clear(&idle->lock);
	g_cond_clear(&idle->cond);
}

static void
cb_branch_idle_release(gpointer data)
{
	g_atomic_rc_box_release_full(data, cb_branch_idle_clear);
}

/* the tee's thread after its push, or the caller's at once if none runs:
 * the branch leaves the tee while nothing flows into it */
static GstPadProbeReturn
cb_branch_idle_cb(GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
	CbBranchIdle *idle = user_data;
	g_autoptr(GstPad) peer = gst_pad_get_peer(pad);

	if (peer != NULL)
		gst_pad_unlink(pad, peer);
	g_mutex_lock(&idle->lock);
	idle->done = TRUE;
	g_cond_signal(&idle->cond);
	g_mutex_unlock(&idle->lock);
	return GST_PAD_PROBE_REMOVE;
}

static gboolean
cb_branch_idle_wait(CbBranchIdle *idle, gint64 deadline)
{
	g_mutex_lock(&idle->lock);
	while (!idle->done && g_cond_wait_until(&idle->cond, &idle->lock, deadline))
		;
	g_mutex_unlock(&idle->lock);
	return idle->done;
}

/*
 * Main context. The entry is closed first, so a push that comes meanwhile
 * goes no further than it; the branch then leaves the tee from an IDLE probe,
 * between two pushes, so no thread is inside the branch once this returns
 * and its elements can stop without a push in flight meeting them flushing.
 */
void
cb_branch_detach(CbBranch *branch)
{
	CbBranchIdle *idle;
	gulong id;

	if (branch == NULL || branch->tee_pad == NULL)
		return;
	cb_branch_entry_close(branch->entry);
	idle = g_atomic_rc_box_new0(CbBranchIdle);
	g_mutex_init(&idle->lock);
	g_cond_init(&idle->cond);
	id = gst_pad_add_probe(branch->tee_pad, GST_PAD_PROBE_TYPE_IDLE, cb_branch_idle_cb,
			       g_atomic_rc_box_acquire(idle), cb_branch_idle_release);
	if (!cb_branch_idle_wait(idle, g_get_monotonic_time() + CB_BRANCH_IDLE_TIMEOUT_US)) {
		/* a thread held inside the branch: a flush lets it out */
		g_warning("a branch's tee did not go idle within %d ms; flushing the branch",
			  (int)(CB_BRANCH_IDLE_TIMEOUT_US / 1000));
		gst_pad_send_event(branch->sink_pad, gst_event_new_flush_start());
		if (!cb_branch_idle_wait(idle,
					 g_get_monotonic_time() + CB_BRANCH_IDLE_TIMEOUT_US)) {
			g_autoptr(GstPad) peer = gst_pad_get_peer(branch->tee_pad);

			if (id != 0)
				gst_pad_remove_probe(branch->tee_pad, id);
			if (peer != NULL)
				gst_pad_unlink(branch->tee_pad, peer);
		}
	}
	cb_branch_idle_release(idle);
	gst_element_release_request_pad(branch->tee, branch->tee_pad);
	gst_clear_object(&branch->tee_pad);
}

void
cb_branch_free(CbBranch *branch)
{
	if (branch == NULL)
		return;
	cb_branch_detach(branch);
	gst_element_set_state(branch->entry, GST_STATE_NULL);
	if (branch->pay != NULL)
		gst_element_set_state(branch->pay, GST_STATE_NULL);
	if (branch->sink_pad != NULL) {
		GstPadTemplate *templ = GST_PAD_PAD_TEMPLATE(branch->sink_pad);

		if (GST_PAD_PARENT(branch->sink_pad) != NULL && templ != NULL &&
		    GST_PAD_TEMPLATE_PRESENCE(templ) == GST_PAD_REQUEST)
			gst_element_release_request_pad(branch->sink_owner, branch->sink_pad);
		gst_clear_object(&branch->sink_pad);
	}
	if (GST_OBJECT_PARENT(branch->entry) != NULL)
		gst_bin_remove(GST_BIN(branch->bin), branch->entry);
	if (branch->pay != NULL && GST_OBJECT_PARENT(branch->pay) != NULL)
		gst_bin_remove(GST_BIN(branch->bin), branch->pay);
	gst_clear_object(&branch->entry);
	gst_clear_object(&branch->pay);
	if (branch->lanes != NULL)
		cb_lanes_release(branch->lanes, branch->tee);
	gst_clear_object(&branch->tee);
	gst_clear_object(&branch->sink_owner);
	cb_gate_unref(branch->gate);
	g_free(branch);
}

gboolean
cb_floor_init(CbFloor *floor, GstElement *pipeline, GError **error)
{
	for (guint a = 0; a < CB_N_AUDIENCES; a++) {
		floor->switch_gate[a] = cb_gate_new();
		for (guint t = 0; t < CB_N_TRACKS; t++) {
			GstElement *selector = cb_make("input-selector", error);
			GstElement *tee = selector != NULL ? cb_make("tee", error) : NULL;

			if (tee == NULL) {
				if (selector != NULL)
					gst_object_unref(gst_object_ref_sink(selector));
				return FALSE;
			}
			/* an inactive input is dropped, never waited for */
			g_object_set(selector, "sync-streams", FALSE, "cache-buffers", FALSE, NULL);
			g_object_set(tee, "allow-not-linked", TRUE, NULL);
			gst_bin_add_many(GST_BIN(pipeline), selector, tee, NULL);
			gst_element_link(selector, tee);
			floor->none_pad[a][t] = gst_element_request_pad_simple(selector, "sink_%u");
			g_object_set(selector, "active-pad", floor->none_pad[a][t], NULL);
			if (t == CB_TRACK_VIDEO) {
				g_autoptr(GstPad) src = gst_element_get_static_pad(selector, "src");
				cb_gate_attach(floor->switch_gate[a], src);
			}
			floor->selector[a][t] = gst_object_ref(selector);
			floor->tee[a][t] = gst_object_ref(tee);
			gst_element_sync_state_with_parent(tee);
			gst_element_sync_state_with_parent(selector);
		}
	}
	return TRUE;
}

/* the pipeline is already in NULL when this runs */
void
cb_floor_clear(CbFloor *floor, GstElement *pipeline)
{
	for (guint a = 0; a < CB_N_AUDIENCES; a++) {
		for (guint t = 0; t < CB_N_TRACKS; t++) {
			gst_clear_object(&floor->none_pad[a][t]);
			gst_clear_object(&floor->selector[a][t]);
			gst_clear_object(&floor->tee[a][t]);
		}
		g_clear_pointer(&floor->switch_gate[a], cb_gate_unref);
	}
}

void
cb_floor_select(CbFloor *floor, CbAudience audience, CbSlot *slot)
{
	for (guint t = 0; t < CB_N_TRACKS; t++) {
		GstPad *pad = slot != NULL ? slot->floor_branch[audience][t]->sink_pad
					   : floor->none_pad[audience][t];
		if (t == CB_TRACK_VIDEO)
			g_atomic_int_set(&floor->switch_gate[audience]->need_key, 1);
		g_object_set(floor->selector[audience][t], "active-pad", pad, NULL);
	}
}

/* adds a depayloading chain for @codec in front of the slot's tee */
static gboolean
cb_slot_add_depay(CbSlot *slot, GstElement *pipeline, CbTrack track, CbCodec codec, GError **error)
{
	GstElement **chain = slot->depay_chain[track];
	guint n = cb_codec_make_depayloader(codec, chain, error);

	if (n == 0)
		return FALSE;
	/* a lost keyframe would leave every gate that waits for one closed
	 * until the publisher's next spontaneous keyframe (with a browser:
	 * maybe never): on loss the depayloader asks for a new one, which the
	 * publisher's peer hands to the room to merge (cb_peer_pad_added_cb) */
	if (track == CB_TRACK_VIDEO &&
	    g_object_class_find_property(G_OBJECT_GET_CLASS(chain[0]), "request-keyframe") != NULL)
		g_object_set(chain[0], "request-keyframe", TRUE, NULL);
	for (guint i = 0; i < n; i++) {
		gst_bin_add(GST_BIN(pipeline), gst_object_ref(chain[i]));
		if (i > 0)
			gst_element_link(chain[i - 1], chain[i]);
	}
	gst_element_link(chain[n - 1], slot->tee[track]);
	for (guint i = n; i > 0; i--)
		gst_element_sync_state_with_parent(chain[i - 1]);
	slot->depay[track] = chain[0];
	return TRUE;
}

gboolean
cb_slot_set_video_codec(CbSlot *slot, GstElement *pipeline, CbCodec codec, GError **error)
{
	g_return_val_if_fail(slot->video_codec == CB_CODEC_NONE, FALSE);

	if (!cb_slot_add_depay(slot, pipeline, CB_TRACK_VIDEO, codec, error))
		return FALSE;
	slot->video_codec = codec;
	return TRUE;
}

CbSlot *
cb_slot_new(GstElement *pipeline, CbFloor *floor, const char *id, CbPeerKind kind, GError **error)
{
	CbSlot *slot = g_new0(CbSlot, 1);

	slot->id = g_strdup(id);
	slot->kind = kind;
	for (guint t = 0; t < CB_N_TRACKS; t++) {
		GstElement *tee = cb_make("tee", error);
		g_autoptr(GstPad) tee_sink = NULL;

		if (tee == NULL) {
			cb_slot_free(slot, floor);
			return NULL;
		}
		g_object_set(tee, "allow-not-linked", TRUE, NULL);
		gst_bin_add(GST_BIN(pipeline), tee);
		slot->tee[t] = gst_object_ref(tee);
		slot->mute[t] = cb_gate_new();
		tee_sink = gst_element_get_static_pad(tee, "sink");
		cb_gate_attach(slot->mute[t], tee_sink);
		gst_element_sync_state_with_parent(tee);
		/* audio is always Opus; video waits for the codec an offer fixes */
		if (t == CB_TRACK_AUDIO &&
		    !cb_slot_add_depay(slot, pipeline, t, CB_CODEC_OPUS, error)) {
			cb_slot_free(slot, floor);
			return NULL;
		}
		for (guint a = 0; a < CB_N_AUDIENCES; a++) {
			GstElement *selector = floor->selector[a][t];
			g_autoptr(GstPad) pad = gst_element_request_pad_simple(selector, "sink_%u");

			slot->floor_branch[a][t] =
				cb_branch_new(pipeline, tee, NULL, selector, pad, error);
			if (slot->floor_branch[a][t] == NULL) {
				gst_element_release_request_pad(selector, pad);
				cb_slot_free(slot, floor);
				return NULL;
			}
		}
	}
	return slot;
}

void
cb_slot_free(CbSlot *slot, CbFloor *floor)
{
	if (slot == NULL)
		return;
	if (slot->key_timer != NULL) {
		g_source_destroy(slot->key_timer);
		g_source_unref(slot->key_timer);
	}
	for (guint t = 0; t < CB_N_TRACKS; t++) {
		for (guint a = 0; a < CB_N_AUDIENCES; a++)
			g_clear_pointer(&slot->floor_branch[a][t], cb_branch_free);
		for (guint i = 0; i < CB_MAX_DEPAY_ELEMENTS; i++) {
			GstElement *element = slot->depay_chain[t][i];

			if (element == NULL)
				continue;
			gst_element_set_state(element, GST_STATE_NULL);
			if (GST_OBJECT_PARENT(element) != NULL)
				gst_bin_remove(GST_BIN(GST_OBJECT_PARENT(element)), element);
			gst_clear_object(&slot->depay_chain[t][i]);
		}
		slot->depay[t] = NULL;
		if (slot->tee[t] != NULL) {
			gst_element_set_state(slot->tee[t], GST_STATE_NULL);
			if (GST_OBJECT_PARENT(slot->tee[t]) != NULL)
				gst_bin_remove(GST_BIN(GST_OBJECT_PARENT(slot->tee[t])),
					       slot->tee[t]);
		}
		gst_clear_object(&slot->tee[t]);
		g_clear_pointer(&slot->mute[t], cb_gate_unref);
	}
	g_free(slot->id);
	g_free(slot);
}
