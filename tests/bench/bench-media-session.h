/* civic-bridge benchmark of live sessions: the daemon, a live session, and
 * signalling clients on /api/v1/ws */
#pragma once

#include "bench-media.h"
#include "cb-test-daemon.h"
#include "cb-test-ws.h"

G_BEGIN_DECLS

typedef struct {
	CbTestDaemon *d;
	GPid pid;
	char *staff;
	gint64 session;
	guint n_bp;
	gint64 *bp;    /* bridge point ids */
	char **op;     /* an operator token per bridge point */
	char *citizen; /* the admitted citizen's ticket token */
} BmSession;

/* a daemon with a live session, @n_bp bridge points and an admitted citizen;
 * NULL (and a message) when something failed */
BmSession *bm_session_new(guint n_bp);
void bm_session_free(BmSession *s);
/* staff start (TRUE) or stop recording the session; FALSE when refused */
gboolean bm_session_record(BmSession *s, gboolean on);
/* the daemon's civic_bridge_media_lane_overruns_total from /metrics; -1
 * when it cannot be read */
double bm_session_lane_overruns(BmSession *s);

typedef struct _BmSig BmSig;

/* a WebSocket client, authenticated; NULL when refused */
BmSig *bm_sig_connect(BmSession *s, const char *token);
void bm_sig_free(BmSig *sig);
/* routes what every client received: answers, candidates, peer states */
void bm_sig_pump_all(void);
void bm_sig_send(BmSig *sig, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* sends a join for @peer (publisher or subscriber of @slot) */
void bm_sig_join_send(BmSig *sig, gint64 session, BmPeer *peer, gboolean publisher,
		      const char *slot);
/* TRUE once @peer's join was answered: *@refused says how */
gboolean bm_sig_joined(BmSig *sig, BmPeer *peer, gboolean *refused);
/* sends the offer for @peer (made now unless @sdp); @peer belongs to @sig */
gboolean bm_sig_offer(BmSig *sig, BmPeer *peer, const char *sdp);
/* joins, waits for the answer to the join, and offers */
gboolean bm_sig_negotiate(BmSig *sig, gint64 session, BmPeer *peer, gboolean publisher,
			  const char *slot);
void bm_sig_leave(BmSig *sig, BmPeer *peer);
/* frees @peer and forgets it */
void bm_sig_drop(BmSig *sig, BmPeer *peer);

#define BM_CPU_TARGET_CORES    1.0
#define BM_JOIN_ONE_TARGET_MS  500.0
#define BM_JOIN_MANY_TARGET_MS 1500.0
#define BM_PACKET_TARGET_US    40.0
#define BM_GROWTH_TARGET_KB    (5000000 / 1024) /* 5 MB */
#define BM_CONNECT_WAIT_MS     120000
#define BM_FRAME_WAIT_MS       10000
#define BM_LEAVE_WAIT_MS       20000

typedef struct {
	gint bridge_points;
	gint seconds;
	gint cycles;
	gint joins;
	gint rounds;
	gint streams;
	gint baseline_seconds;
	double clip_seconds;
} BmOptions;

typedef struct {
	BmOptions *o;
	BmClip *clip;
	BmSession *s;
	GPtrArray *staff; /* BmSig * */
	GPtrArray *ops;   /* BmSig *, one per bridge point */
	BmSig *citizen;
	BmSource *hall_source;
	BmReplay *hall_replay;
	GPtrArray *sources; /* BmSource *: hall, bridge points, citizen */
	GPtrArray *pubs;    /* BmPeer * (owned by their BmSig) */
	GPtrArray *subs;    /* BmPeer * */
	gboolean ok;        /* every target met */
	gboolean valid;     /* every phase ran */
	GString *summary;
} Bm;

#define ROW(bm, ...) g_string_append_printf((bm)->summary, __VA_ARGS__)

/* "PASS" or "FAIL"; a FAIL marks the run */
const char *bm_verdict(Bm *bm, gboolean met);

typedef struct {
	guint64 threads, rss_kb, fds;
} BmReading;

/* the daemon's Threads, VmRSS and open descriptors */
BmReading bm_read(Bm *bm);

gboolean bm_first_frame(BmPeer *peer);
gboolean bm_all_first_frames(gpointer peers);
gboolean bm_all_left(gpointer peers);

/* staff, operator and citizen WebSockets */
gboolean bm_connect_clients(Bm *bm);
/* the hall publishes (first of bm->pubs) */
gboolean bm_start_hall(Bm *bm);
/* bench-media-capacity.c: sets up the whole session, measures, reports */
void bm_capacity(Bm *bm, double *per_packet_us);

G_END_DECLS
