/* civic-bridge: what changes in the reception domain push to WebSocket clients */
#pragma once

#include "civic-bridge/cb-queue.h"
#include "civic-bridge/cb-schedule.h"
#include "civic-bridge/cb-services.h"
#include "civic-bridge/cb-ws-hub.h"

G_BEGIN_DECLS

#define CB_TYPE_WS_EVENTS (cb_ws_events_get_type())
G_DECLARE_FINAL_TYPE(CbWsEvents, cb_ws_events, CB, WS_EVENTS, GObject)

/**
 * cb_ws_events_new:
 *
 * Follows @queue and @schedule and tells each client what concerns it:
 * - a citizen: `{"type":"ticket","ticket":{...}}`, their own ticket with its
 *   position, estimated wait and session state, on every change of their line;
 * - staff and admins subscribed to a session: `{"type":"queue","queue":{...}}`,
 *   the whole line, identities included;
 * - an operator subscribed to a session: the same, with their bridge point's
 *   tickets only and no denouncer's identity;
 * - everyone but citizens, and the citizens in its line:
 *   `{"type":"session","session":{...}}` when a session changes.
 * A client gets its current state when it authenticates and when it subscribes.
 */
CbWsEvents *cb_ws_events_new(CbWsHub *hub, CbQueue *queue, CbSchedule *schedule, CbStore *store);

/* the media rooms, whose recording state `session` events show (borrowed:
 * the rooms outlive the events) */
void cb_ws_events_set_rooms(CbWsEvents *self, CbMediaRooms *rooms);

G_END_DECLS
