#define G_LOG_DOMAIN "CbRoom"

/*
 * The first element of every forwarding branch. A branch has no queue of
 * its own: the thread that pushes into its tee (a lane's, cb-lane.c, or a
 * publisher's into the floor selectors) runs it to its socket. Nothing in a
 * branch waits: nothing enters a subscriber's branch before its connection
 * is up (the gate it is held by), and libnice's sends do not block.
 *
 * What a tee gets back from a branch is what the tee gives the publisher: a
 * branch whose elements fail (not negotiated, an error) or flush (its peer
 * is leaving) would stop the tee and with it the stream for everyone
 * behind it. This element answers the tee "ok" whatever its branch answered:
 * a failure is posted once as this element's error, which removes that
 * subscriber alone, and the branch takes nothing more; a flush is the peer
 * leaving, and is dropped quietly.
 */

#include "cb-media-private.h"

struct _CbBranchEntry {
	GstElement parent_instance;

	GstPad *sink;
	GstPad *src;
	gint closed; /* atomic: failed, or leaving; everything is dropped */
};

G_DEFINE_TYPE(CbBranchEntry, cb_branch_entry, GST_TYPE_ELEMENT)

static GstStaticPadTemplate cb_branch_entry_sink_template =
	GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate cb_branch_entry_src_template =
	GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

/* streaming thread: what the tee is told, whatever the branch said */
static GstFlowReturn
cb_branch_entry_absorb(CbBranchEntry *self, GstFlowReturn ret)
{
	if (ret >= GST_FLOW_OK || ret == GST_FLOW_NOT_LINKED || ret == GST_FLOW_FLUSHING ||
	    ret == GST_FLOW_EOS)
		return GST_FLOW_OK;
	if (g_atomic_int_compare_and_exchange(&self->closed, 0, 1)) {
		g_autoptr(GError) error =
			g_error_new(GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
				    "a subscriber's branch stopped: %s", gst_flow_get_name(ret));

		gst_element_post_message(GST_ELEMENT(self),
					 gst_message_new_error(GST_OBJECT(self), error, NULL));
	}
	return GST_FLOW_OK;
}

static GstFlowReturn
cb_branch_entry_chain(GstPad *pad, GstObject *parent, GstBuffer *buffer)
{
	CbBranchEntry *self = (CbBranchEntry *)parent;

	if (g_atomic_int_get(&self->closed)) {
		gst_buffer_unref(buffer);
		return GST_FLOW_OK;
	}
	return cb_branch_entry_absorb(self, gst_pad_push(self->src, buffer));
}

static GstFlowReturn
cb_branch_entry_chain_list(GstPad *pad, GstObject *parent, GstBufferList *list)
{
	CbBranchEntry *self = (CbBranchEntry *)parent;

	if (g_atomic_int_get(&self->closed)) {
		gst_buffer_list_unref(list);
		return GST_FLOW_OK;
	}
	return cb_branch_entry_absorb(self, gst_pad_push_list(self->src, list));
}

/* a serialized event's answer matters as little to the tee as a buffer's */
static gboolean
cb_branch_entry_sink_event(GstPad *pad, GstObject *parent, GstEvent *event)
{
	gboolean serialized = GST_EVENT_IS_SERIALIZED(event);
	gboolean ok = gst_pad_event_default(pad, parent, event);

	return ok || serialized;
}

static void
cb_branch_entry_init(CbBranchEntry *self)
{
	self->sink = gst_pad_new_from_static_template(&cb_branch_entry_sink_template, "sink");
	gst_pad_set_chain_function(self->sink, cb_branch_entry_chain);
	gst_pad_set_chain_list_function(self->sink, cb_branch_entry_chain_list);
	gst_pad_set_event_function(self->sink, cb_branch_entry_sink_event);
	GST_PAD_SET_PROXY_CAPS(self->sink);
	GST_PAD_SET_PROXY_ALLOCATION(self->sink);
	gst_element_add_pad(GST_ELEMENT(self), self->sink);

	self->src = gst_pad_new_from_static_template(&cb_branch_entry_src_template, "src");
	GST_PAD_SET_PROXY_CAPS(self->src);
	gst_element_add_pad(GST_ELEMENT(self), self->src);
}

static void
cb_branch_entry_class_init(CbBranchEntryClass *klass)
{
	GstElementClass *element_class = GST_ELEMENT_CLASS(klass);

	gst_element_class_add_static_pad_template(element_class, &cb_branch_entry_sink_template);
	gst_element_class_add_static_pad_template(element_class, &cb_branch_entry_src_template);
	gst_element_class_set_static_metadata(element_class, "civic-bridge branch entry", "Generic",
					      "Isolates a forwarding branch from its tee",
					      "civic-bridge");
}

GstElement *
cb_branch_entry_new(void)
{
	return g_object_new(CB_TYPE_BRANCH_ENTRY, NULL);
}

void
cb_branch_entry_close(GstElement *entry)
{
	g_atomic_int_set(&((CbBranchEntry *)entry)->closed, 1);
}
