/* civic-bridge: what the room's webrtcbins get in place of a jitterbuffer */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define CB_TYPE_RELAY_BUFFER (cb_relay_buffer_get_type())
G_DECLARE_FINAL_TYPE(CbRelayBuffer, cb_relay_buffer, CB, RELAY_BUFFER, GstElement)

/* a new relay buffer (floating), for rtpbin's "request-jitterbuffer" */
GstElement *cb_relay_buffer_new(void);

G_END_DECLS
