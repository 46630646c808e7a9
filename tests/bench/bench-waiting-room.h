/* civic-bridge benchmark bench-waiting-room: the room (the daemon, the staff
 * and the N waiting clients) shared by its two files */
#pragma once

#include <libsoup/soup.h>

#include "bench-common.h"

G_BEGIN_DECLS

typedef struct {
	gint clients;
	gint rounds;
	gint in_flight;
	gint threads;
	gint update_timeout_s;
	gint hold_s;
} CbBenchOptions;

typedef enum {
	CB_BENCH_CALL,
	CB_BENCH_ADMIT,
	CB_BENCH_FINISH,
} CbBenchAction;

typedef struct _CbBenchRoom CbBenchRoom;
typedef struct _CbBenchWorker CbBenchWorker;

typedef struct {
	CbBenchWorker *worker;
	guint index; /* in registration order: the head of round k is client k */
	gint64 ticket_id;
	char *token;
	SoupWebsocketConnection *conn;
	gint64 connect_started;
	gint64 greeted_at; /* first {"type":"ticket"}; 0: not yet */
	gboolean failed;
	/* under the room's lock */
	gboolean closed;
	guint got_generation; /* the transition it has its message for */
	gint64 got_at;
} CbBenchClient;

/* a thread with its own main context and session, serving clients [first, end) */
struct _CbBenchWorker {
	CbBenchRoom *room;
	guint first, end, next;
	guint in_flight, max_in_flight;
	GMainContext *context;
	SoupSession *session;
	GThread *thread;
	gint quit; /* atomic */
};

struct _CbBenchRoom {
	CbTestDaemon *d;
	GPid pid;
	const CbBenchOptions *options;
	CbBenchClient *clients;
	guint n;
	CbBenchWorker *workers;
	guint n_workers;
	SoupSession *http; /* staff's requests, from the main thread */
	char *ws_uri;
	char *staff;
	gint64 session_id;
	gint greeted;  /* atomic */
	gint failures; /* atomic */
	/* the transition being watched, and the counts: under the lock */
	GMutex lock;
	GCond changed;
	gboolean watching;
	guint generation;
	guint k;
	CbBenchAction action;
	gint64 sent_at;
	guint pending; /* concerned clients without their message */
	guint wrong;   /* a wrong place or state */
	guint extra;   /* beyond the one expected: the head hears twice of a call and an admit */
	guint closed;  /* connections closed by the daemon */
};

/* connects the room's N clients from @n_workers threads, at most @in_flight
 * handshakes at a time; each authenticates and waits for its greeting */
void cb_bench_workers_start(CbBenchRoom *room, guint n_workers, guint in_flight);
/* closes the clients and joins the threads */
void cb_bench_workers_stop(CbBenchRoom *room);

G_END_DECLS
