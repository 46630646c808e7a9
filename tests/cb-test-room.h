/* civic-bridge tests: a media room in this process with test peers */
#pragma once

#include "civic-bridge/cb-config.h"
#include "civic-bridge/cb-room.h"

#include "cb-test-peer.h"

G_BEGIN_DECLS

/*
 * A CbRoom on 127.0.0.1 with GStreamer test peers (cb-test-peer.h)
 * negotiated through its C API, the way the signalling does: each peer's
 * offer, answer and candidates go straight between the peer and the room on
 * the main context. For the tests of src/media/ that need no daemon.
 */

typedef struct _CbTestRoom CbTestRoom;

/* a test peer and what the room told about it */
typedef struct {
	CbTestRoom *fx;
	CbTestPeer *peer;
	char *room_state;   /* the room's last peer-state; NULL: none yet */
	guint descriptions; /* answers the room gave */
	char *answer;       /* the last one */
	/* gets neither the room's answer nor its candidates, nor gives its
	 * own: its connection never comes up */
	gboolean unreachable;
	gpointer data; /* the test's own, freed with @data_free */
	GDestroyNotify data_free;
} CbTestRoomClient;

struct _CbTestRoom {
	CbRoom *room;
	GHashTable *clients;  /* peer id -> CbTestRoomClient */
	GHashTable *removed;  /* peer id -> reason (peer-removed) */
	GHashTable *answered; /* peer ids the room answered, with a client or not */
	guint port_min, port_max;
	gboolean port_out_of_range; /* a room candidate outside the range */
	gboolean tcp_candidate;     /* a room candidate that is not UDP */
	guint candidates;           /* room candidates handed to the peers */
};

/*
 * The room's warnings are collected from the log (domain CbRoom) from
 * cb_test_room_watch_log() on, which a test's main() calls once. A room
 * closed with a warning whose text has none of the parts @allowed gives
 * (NULL: none) fails the test.
 */
void cb_test_room_watch_log(void);
/* lets the one known upstream critical through (cb_test_room_open() does
 * it; a test with rooms of its own calls it) */
void cb_test_room_tolerate_upstream_races(void);
gboolean cb_test_room_warned(const char *part);
/* how many times the room logged that a publisher's video came in */
guint cb_test_room_video_tracks_up(void);

/* the defaults of a room on 127.0.0.1 with its UDP ports in [min, max]; a
 * test changes what it needs before cb_test_room_open() */
CbConfig *cb_test_room_config(guint port_min, guint port_max);
void cb_test_room_open(CbTestRoom *fx, gint64 session_id, const CbConfig *config);
void cb_test_room_close(CbTestRoom *fx, const char *const *allowed);

/* adds @peer (taken) under its name, its candidates going to the room */
CbTestRoomClient *cb_test_room_add(CbTestRoom *fx, CbTestPeer *peer);
CbTestRoomClient *cb_test_room_get(CbTestRoom *fx, const char *peer_id);
/* frees the client of @peer_id (the room's peer is the test's business) */
void cb_test_room_forget(CbTestRoom *fx, const char *peer_id);
/* the client's offer to the room; FALSE when the room refuses it */
gboolean cb_test_room_offer(CbTestRoomClient *client, GError **error);
gboolean cb_test_room_connected(CbTestRoom *fx, const char *peer_id);

/* a publisher sending VP8 at @width (keyframes only when asked) and Opus */
CbTestRoomClient *cb_test_room_publisher(CbTestRoom *fx, const char *peer_id, CbPeerKind kind,
					 guint width);
/* a subscriber of @slot, receiving video and audio */
CbTestRoomClient *cb_test_room_subscriber(CbTestRoom *fx, const char *peer_id, const char *slot,
					  CbPeerKind kind);

G_END_DECLS
