/* civic-bridge: what the parts of the media rooms share (cb-media-rooms.c:
 * the rooms and the object; cb-media-join.c: who joins and the peers'
 * messages; cb-media-answer.c: the full answer WHIP waits for) */
#pragma once

#include "civic-bridge/cb-media-rooms.h"
#include "civic-bridge/cb-room.h"
#include "civic-bridge/cb-turn-credentials.h"

G_BEGIN_DECLS

typedef struct _CbMediaRoom CbMediaRoom;

typedef struct {
	CbMediaPeerInfo info;
	CbMediaRoom *room;
	GSource *grace; /* orphaned: leaves when it fires */
	const char *leave_reason;
	/* a WHIP-like wait for the full answer */
	char *answer;
	GPtrArray *candidates[2]; /* per mline: "candidate:..." */
	gboolean gathered;
	GSource *wait_timer;
	GSource *settle_timer; /* a candidate came after "gathering complete" */
	CbMediaAnswerFunc wait_func;
	gpointer wait_data;
	GDestroyNotify wait_destroy;
	/* the last connection quality (cb-media-rooms-quality.c) */
	gboolean has_quality;
	CbPeerQuality quality;
} CbMediaPeer;

struct _CbMediaRoom {
	CbMediaRooms *rooms;
	gint64 session_id;
	CbRoom *room;
	GHashTable *peers; /* room peer id -> CbMediaPeer (owned) */
	gint64 admitted_ticket;
};

struct _CbMediaRooms {
	GObject parent_instance;
	CbSchedule *schedule;
	CbQueue *queue;
	CbMediaConfig media;
	guint grace_seconds;
	CbIceServers *ice_servers;
	GHashTable *rooms;   /* session id -> CbMediaRoom (owned) */
	GHashTable *handles; /* "owner\nhandle" -> CbMediaPeer (borrowed) */
	guint next_serial;
	/* recording (cb-media-recording.c) */
	char *state_dir; /* NULL: recording is off */
	guint segment_seconds;
	guint min_free_mb;
	GHashTable *recordings; /* session id -> CbMediaRecording (owned) */
	gboolean shutting_down; /* the daemon stops: no recording starts */
};

enum {
	SIGNAL_PEER_DESCRIPTION,
	SIGNAL_PEER_CANDIDATE,
	SIGNAL_PEER_EVENT,
	SIGNAL_FLOOR_CHANGED,
	SIGNAL_MUTED,
	SIGNAL_PEER_QUALITY,
	SIGNAL_RECORDING_CHANGED,
	N_SIGNALS,
};

extern guint cb_media_rooms_signals[N_SIGNALS];

char *cb_media_key(const char *owner, const char *handle);
void cb_media_peer_stop_wait(CbMediaPeer *peer, const GError *error);
void cb_media_peer_forget(CbMediaRoom *room, CbMediaPeer *peer, const char *reason);
void cb_media_peer_remove(CbMediaRoom *room, CbMediaPeer *peer, const char *reason);
CbMediaRoom *cb_media_rooms_find(CbMediaRooms *self, gint64 session_id, GError **error);
CbMediaPeer *cb_media_rooms_find_peer(CbMediaRooms *self, const char *owner, const char *handle,
				      GError **error);
void cb_media_peer_try_answer(CbMediaPeer *peer, gboolean timed_out);
/* cb-media-rooms-quality.c: the room's `peer-quality`, kept and relayed */
void cb_media_room_quality_cb(CbRoom *r, const char *peer_id, const CbPeerQuality *quality,
			      gpointer user_data);

/* cb-media-recording.c */
void cb_media_recording_setup(CbMediaRooms *self);
/* the session went live (a leadership session starts recording) or ended */
void cb_media_recording_session_changed(CbMediaRooms *self, const CbSession *session);
/* a ticket's handling goes to the timeline of its session's recording */
void cb_media_recording_ticket(CbMediaRooms *self, const CbTicket *ticket);
/* the daemon stops: recordings are left for the next start to close */
void cb_media_recording_dispose(CbMediaRooms *self);

G_END_DECLS
