/* civic-bridge tests: a signalling client of the real daemon (/api/v1/ws) and its test peers */
#pragma once

#include "cb-test-daemon.h"
#include "cb-test-peer.h"
#include "cb-test-ws.h"

G_BEGIN_DECLS

/* one WebSocket and the test peers it negotiates, by handle: answers and
 * the daemon's candidates go to the peers, every other message is queued
 * as an event for the test to take */
typedef struct _CbTestSig CbTestSig;

/* connects with @token and waits for "hello"; from then on every
 * CB_TEST_WAIT_UNTIL reads the WebSockets of all open clients */
CbTestSig *cb_test_sig_connect(CbTestDaemon *d, const char *token);
/* closes the WebSocket and stops its peers */
void cb_test_sig_free(CbTestSig *sig);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbTestSig, cb_test_sig_free)

/* as a crash would: stops the peers and drops the TCP connection without a
 * close frame, then frees the client */
void cb_test_sig_cut(CbTestSig *sig);

WsClient *cb_test_sig_get_ws(CbTestSig *sig);

void cb_test_sig_send(CbTestSig *sig, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* the first queued event of @type whose string @member is @value (@member
 * NULL: any), taken; NULL if none yet */
JsonObject *cb_test_sig_take(CbTestSig *sig, const char *type, const char *member,
			     const char *value);
/* the same, waiting for it (bounded) */
JsonObject *cb_test_sig_wait(CbTestSig *sig, const char *type, const char *member,
			     const char *value);
/* drops every queued event */
void cb_test_sig_clear_events(CbTestSig *sig);

/* sends join; returns the "joined" message for @handle or an "error" */
JsonObject *cb_test_sig_join(CbTestSig *sig, gint64 session, const char *as, const char *slot,
			     const char *handle);

/* joins as publisher (@width: see cb_test_peer_new_publisher, keyframes
 * every 30 frames) or subscriber of @slot, and sends the offer; a refused
 * join fails the test. The client owns the peer. */
CbTestPeer *cb_test_sig_publish(CbTestSig *sig, gint64 session, const char *handle, guint width);
CbTestPeer *cb_test_sig_subscribe(CbTestSig *sig, gint64 session, const char *slot,
				  const char *handle);

/* hands @peer (named by its handle) to the client, which trickles its
 * candidates and routes answers to it; then sends its offer */
void cb_test_sig_attach(CbTestSig *sig, CbTestPeer *peer);
void cb_test_sig_send_offer(CbTestSig *sig, CbTestPeer *peer);
/* sends an offer message for room peer @handle with @sdp as it is (any
 * text, for bad input and for clients that are already gone) */
void cb_test_sig_send_sdp(CbTestSig *sig, const char *handle, const char *sdp);

CbTestPeer *cb_test_sig_get_peer(CbTestSig *sig, const char *handle);
/* the room's id of @handle ("hall", "bp-3", "s12"), as its last "joined" said */
const char *cb_test_sig_get_peer_id(CbTestSig *sig, const char *handle);
/* stops and frees a peer without telling the daemon */
void cb_test_sig_drop_peer(CbTestSig *sig, const char *handle);

/* waits for peer-state "connected" of @handle */
void cb_test_sig_wait_connected(CbTestSig *sig, const char *handle);

/* reads the WebSockets of all open clients (the wait hook) */
void cb_test_sig_pump_all(void);

/* the "code" of an {"type":"error","error":{…}} message */
const char *cb_test_error_code(JsonObject *message);

G_END_DECLS
