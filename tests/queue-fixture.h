/* civic-bridge queue tests: the waiting queue on a real SQLite file with a
 * fake clock, and the helpers its test programs share */
#pragma once

#include "civic-bridge/cb-auth.h"
#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-queue.h"

G_BEGIN_DECLS

#define MINUTE (60 * G_TIME_SPAN_SECOND)
#define HOUR   (60 * MINUTE)

/* personal data the tests look for where it must never be */
#define SECRET_NAME    "Nguyễn Văn Kín"
#define SECRET_ADDRESS "12 Phố Hàng Bạc"
#define SECRET_ID      "001099012345"
#define SECRET_CONTACT "0912345678"

typedef struct {
	char *dir;
	char *path;
	CbClock *clock;
	CbConfig *config;
	CbStore *store;
	CbQueue *queue;
	CbActor actor;
	CbTokenRecord staff;
} QueueFixture;

/* a temporary store at 2026-11-17 08:00 in Hanoi (a fake clock) and a
 * queue on it, acting as staff */
void queue_fixture_setup(QueueFixture *f, gconstpointer data);
void queue_fixture_teardown(QueueFixture *f, gconstpointer data);
/* (re)opens the store and the queue on f->path */
void queue_fixture_open(QueueFixture *f);

/* a session that has reached @state */
gint64 queue_make_session(QueueFixture *f, CbSessionState state);
/* moves session @id from @from to @to and tells the queue */
void queue_set_session_state(QueueFixture *f, gint64 id, CbSessionState from, CbSessionState to);
gint64 queue_make_bridge_point(QueueFixture *f, const char *code);

typedef struct {
	const char *category;
	const char *priority;
	gint64 bridge_point_id;
	gint64 persons;
} TicketSpec;

/* a ticket registered by staff with the SECRET_ personal data; NULL or 0
 * members of @t take the defaults */
gint64 queue_add_ticket_full(QueueFixture *f, gint64 session_id, const TicketSpec *t);
gint64 queue_add_ticket(QueueFixture *f, gint64 session_id);
CbTicket *queue_get_ticket(QueueFixture *f, gint64 id);
CbTicketState queue_state_of(QueueFixture *f, gint64 id);
gint64 queue_session_of(QueueFixture *f, gint64 id);
/* the ids of a session's waiting tickets in queue order, named by their
 * index in @ids ("2 0 1") */
char *queue_waiting_order(QueueFixture *f, gint64 session_id, gint64 *ids, guint n);

/* what staff do to a ticket */
typedef enum {
	ACT_CALL,
	ACT_ADMIT,
	ACT_FINISH,
	ACT_DEFER,
	ACT_REFUSE,
	ACT_CANCEL,
	N_ACTS,
} Act;

/* does @a to ticket @id; returns the ticket or NULL with @error set */
CbTicket *queue_act(QueueFixture *f, Act a, gint64 id, GError **error);
/* the same, failing the test unless it succeeds */
void queue_must(QueueFixture *f, Act a, gint64 id);

/* adds the test @fn at /civic-bridge/queue/@path, with the fixture */
#define QUEUE_TEST_ADD(path, fn)                                                                   \
	g_test_add("/civic-bridge/queue/" path, QueueFixture, NULL, queue_fixture_setup, fn,       \
		   queue_fixture_teardown)

G_END_DECLS
