/* civic-bridge: the citizens' waiting queue: tickets, their order and their states */
#pragma once

#include <glib-object.h>

#include "civic-bridge/cb-clock.h"
#include "civic-bridge/cb-config.h"
#include "civic-bridge/cb-records.h"
#include "civic-bridge/cb-store.h"
#include "civic-bridge/cb-ticket.h"

G_BEGIN_DECLS

#define CB_TYPE_QUEUE (cb_queue_get_type())
G_DECLARE_FINAL_TYPE(CbQueue, cb_queue, CB, QUEUE, GObject)

/**
 * CbQueue:
 *
 * The waiting queue of every session. Each session has a line of tickets;
 * tickets registered when no session is open or live wait in the line of
 * "the next session" (session id 0) and join the next session that opens.
 *
 * Order within a line: every priority class but `none` first, then arrival
 * (the ticket's arrival_seq, which a staff move changes). With `[queue]
 * round-robin=true` the bridge points (and the hall) take turns within each
 * class: the first ticket of each, by arrival, then the second of each, and
 * so on. Positions are 1-based and count waiting tickets only: a called or
 * admitted ticket has left the line.
 *
 * Transitions (each a compare-and-set committed before it returns):
 * call (waiting -> called), admit (called -> admitted; one admitted ticket
 * per session), finish (admitted -> done), defer (waiting, called ->
 * deferred), refuse (waiting, called, admitted -> refused), cancel (waiting,
 * called, deferred -> cancelled), and by the queue itself: called -> no_show
 * after `[queue] call-timeout-seconds`, deferred -> waiting when the next
 * session opens (keeping its arrival order, so its place), and waiting,
 * called -> deferred when a session ends or is cancelled.
 *
 * Signals, emitted on the main context after each committed change:
 *
 * `ticket-changed` (CbQueue *queue, gint64 ticket_id, gint64 session_id,
 * gpointer user_data): a ticket was created or changed; @session_id is the
 * line it is in now (0: the next session's).
 *
 * `queue-changed` (CbQueue *queue, gint64 session_id, gpointer user_data):
 * positions in that line may have changed. A ticket moving between lines
 * emits it for both.
 */

CbQueue *cb_queue_new(CbStore *store, CbClock *clock, const CbConfig *config);

/* takes the [queue] keys; they all apply at once, the call timeout to calls made from now */
void cb_queue_reconfigure(CbQueue *self, const CbConfig *config);

/**
 * cb_queue_start:
 *
 * Catches up with what happened while the daemon was down: defers the
 * tickets still in the line of a session that ended or was cancelled, lets
 * the open and live sessions take in the tickets waiting for them, and arms
 * the no-show timer of every called ticket (one whose time passed becomes
 * no_show at the next main-loop iteration).
 */
gboolean cb_queue_start(CbQueue *self, GError **error);

/* brings the lines in step with @session's state: an open or live session
 * takes in the tickets waiting for the next session and the deferred ones;
 * an ended or cancelled one defers its waiting and called tickets. Wired to
 * the schedule's session-changed signal. */
gboolean cb_queue_session_changed(CbQueue *self, const CbSession *session, GError **error);

/* a registration as the client sent it; the queue checks every field */
typedef struct {
	gint64 session_id; /* 0: the live or open session, else the next one to open */
	const char *category;
	const char *summary;
	gboolean has_persons;
	gint64 persons;                     /* when absent: 1 */
	const char *const *representatives; /* NULL-terminated; NULL: none */
	gint64 bridge_point_id;             /* 0: the hall; operators: their own */
	const char *priority;               /* NULL: none */
	const char *channel;                /* NULL: online for citizens, walk-in otherwise */
	const char *citizen_name;
	const char *address;
	const char *id_number;
	const char *contact;
	const char *already_handled_by;
} CbTicketRequest;

/**
 * cb_queue_register_public:
 * @address: the client's address, for the per-address rate limit
 * @token: (out): the citizen token for the new ticket, to be shown once
 * @retry_after: (out) (optional): seconds to wait, when rate limited
 *
 * A citizen registering themselves (channel online). Errors:
 * CB_ERROR_RATE_LIMITED, CB_ERROR_INVALID naming the field (never echoing
 * its value), CB_ERROR_CONFLICT for a session that is over or a full queue.
 */
CbTicket *cb_queue_register_public(CbQueue *self, const char *address,
				   const CbTicketRequest *request, char **token, guint *retry_after,
				   GError **error);

/* staff or an admin (any bridge point or the hall), or an operator (a walk-in
 * at their own bridge point: CB_ERROR_FORBIDDEN for another one) */
CbTicket *cb_queue_register(CbQueue *self, const CbTokenRecord *caller, const CbActor *actor,
			    const CbTicketRequest *request, GError **error);

/* staff moving a ticket; CB_ERROR_NOT_FOUND, or CB_ERROR_CONFLICT naming the
 * state it is in when the transition does not start there */
CbTicket *cb_queue_call(CbQueue *self, const CbActor *actor, gint64 id, GError **error);
CbTicket *cb_queue_admit(CbQueue *self, const CbActor *actor, gint64 id, GError **error);
CbTicket *cb_queue_defer(CbQueue *self, const CbActor *actor, gint64 id, GError **error);
/* @handling: accepted, guided or forwarded (required) */
CbTicket *cb_queue_finish(CbQueue *self, const CbActor *actor, gint64 id, const char *handling,
			  const char *follow_up, const char *notes, GError **error);
/* @reason: one of [queue] refuse-reasons */
CbTicket *cb_queue_refuse(CbQueue *self, const CbActor *actor, gint64 id, const char *reason,
			  const char *notes, GError **error);
/* by staff, or the citizen holding the ticket: another citizen's is not found */
CbTicket *cb_queue_cancel(CbQueue *self, const CbTokenRecord *caller, const CbActor *actor,
			  gint64 id, GError **error);

/* puts waiting ticket @id before waiting ticket @before_id, or (with
 * @before_id 0) at 1-based @position among the waiting tickets of its line (past
 * the end: last). A move stays within the ticket's priority class; @reason
 * (required) is audited. */
CbTicket *cb_queue_move(CbQueue *self, const CbActor *actor, gint64 id, gint64 before_id,
			guint position, const char *reason, GError **error);

/* a ticket with its place in its line */
typedef struct {
	CbTicket *ticket;
	guint position;        /* 1-based among the waiting; 0: not waiting */
	gint64 estimated_wait; /* µs until its turn; -1: not waiting */
	gboolean has_session;  /* FALSE: waiting for the next session */
	CbSessionState session_state;
	gint64 answer_by; /* a called ticket's no-show deadline (µs since the epoch); 0: none */
} CbQueueEntry;

void cb_queue_entry_free(CbQueueEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbQueueEntry, cb_queue_entry_free)

/* how much of a ticket a caller sees */
typedef enum {
	CB_TICKET_VIEW_FULL,         /* staff and admins */
	CB_TICKET_VIEW_BRIDGE_POINT, /* the operator of its bridge point */
	CB_TICKET_VIEW_OWN,          /* the citizen holding it */
} CbTicketView;

/* FALSE when @caller may not see @ticket at all: it is "not found" to them */
gboolean cb_queue_view_for(const CbTokenRecord *caller, const CbTicket *ticket, CbTicketView *view);

/* whether @view shows the citizen's name, address, ID number, contact and
 * representatives: a denunciation's only to staff, admins and its holder */
gboolean cb_ticket_view_shows_identity(CbTicketView view, const CbTicket *ticket);

/* one ticket as @caller may see it; CB_ERROR_NOT_FOUND when they may not */
CbQueueEntry *cb_queue_get(CbQueue *self, const CbTokenRecord *caller, gint64 id, GError **error);

/* tickets by id (CbQueueEntry); an operator's are always of their own bridge point */
GPtrArray *cb_queue_list(CbQueue *self, const CbTokenRecord *caller, const CbTicketFilter *filter,
			 GError **error);

/* a line in queue order (CbQueueEntry): the admitted ticket, the called
 * ones, then the waiting ones with positions and estimates; *@session
 * (optional) gets the session. @session_id 0: the next session's line;
 * CB_ERROR_NOT_FOUND for a session that does not exist. */
GPtrArray *cb_queue_list_session(CbQueue *self, gint64 session_id, CbSession **session,
				 GError **error);

/* sorts waiting tickets (CbTicket) into queue order */
void cb_queue_sort(GPtrArray *tickets, gboolean round_robin);

/* the median service time (µs) of @category's last finished tickets, or
 * the configured default when there are none */
gint64 cb_queue_service_estimate(CbQueue *self, CbTicketCategory category, GError **error);

G_END_DECLS
