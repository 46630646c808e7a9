#define G_LOG_DOMAIN "CbQueue"

#include "cb-queue-private.h"

/* addresses tracked for public registrations at most */
#define CB_QUEUE_MAX_TRACKED_ADDRESSES 10000

enum {
	SIGNAL_TICKET_CHANGED,
	SIGNAL_QUEUE_CHANGED,
	N_SIGNALS,
};

static guint cb_queue_signals[N_SIGNALS];

/* what the queue does by itself is audited as the system */
static const CbActor cb_queue_system = {.token_id = 0, .role = CB_ROLE_ADMIN, .via = "system"};

G_DEFINE_TYPE(CbQueue, cb_queue, G_TYPE_OBJECT)

static void
cb_queue_dispose(GObject *object)
{
	CbQueue *self = CB_QUEUE(object);

	if (self->no_show_timers != NULL) {
		GHashTableIter iter;
		gpointer timer;

		g_hash_table_iter_init(&iter, self->no_show_timers);
		while (g_hash_table_iter_next(&iter, NULL, &timer))
			cb_clock_cancel(self->clock, GPOINTER_TO_UINT(timer));
		g_clear_pointer(&self->no_show_timers, g_hash_table_unref);
	}
	g_clear_object(&self->registrations);
	g_clear_object(&self->store);
	g_clear_object(&self->clock);
	G_OBJECT_CLASS(cb_queue_parent_class)->dispose(object);
}

static void
cb_queue_finalize(GObject *object)
{
	CbQueue *self = CB_QUEUE(object);

	g_strfreev(self->refuse_reasons);
	G_OBJECT_CLASS(cb_queue_parent_class)->finalize(object);
}

static void
cb_queue_class_init(CbQueueClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = cb_queue_dispose;
	object_class->finalize = cb_queue_finalize;
	cb_queue_signals[SIGNAL_TICKET_CHANGED] =
		g_signal_new("ticket-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
			     NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_INT64);
	cb_queue_signals[SIGNAL_QUEUE_CHANGED] =
		g_signal_new("queue-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
			     NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
}

static void
cb_queue_init(CbQueue *self)
{
	self->no_show_timers = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
}

CbQueue *
cb_queue_new(CbStore *store, CbClock *clock, const CbConfig *config)
{
	CbQueue *self = g_object_new(CB_TYPE_QUEUE, NULL);

	self->store = g_object_ref(store);
	self->clock = g_object_ref(clock);
	self->registrations = cb_failure_limiter_new(
		clock, config->queue_register_limit, config->queue_register_window_seconds,
		config->queue_register_window_seconds, CB_QUEUE_MAX_TRACKED_ADDRESSES);
	cb_queue_reconfigure(self, config);
	return self;
}

void
cb_queue_reconfigure(CbQueue *self, const CbConfig *config)
{
	g_return_if_fail(CB_IS_QUEUE(self));
	self->large_group_min = config->large_group_min;
	self->max_persons = config->queue_max_persons;
	self->call_timeout_seconds = config->queue_call_timeout_seconds;
	g_strfreev(self->refuse_reasons);
	self->refuse_reasons = g_strsplit(
		config->queue_refuse_reasons != NULL ? config->queue_refuse_reasons : "", ",", -1);
	self->round_robin = config->queue_round_robin;
	self->service_time_samples = MAX(config->queue_service_time_samples, 1);
	self->default_service_minutes = config->queue_default_service_minutes;
	self->limits.max_open_per_session = config->queue_max_open_per_session;
	self->limits.max_open_per_bridge_point = config->queue_max_open_per_bridge_point;
	cb_failure_limiter_configure(self->registrations, config->queue_register_limit,
				     config->queue_register_window_seconds,
				     config->queue_register_window_seconds);
}

void
cb_queue_log(const CbTicket *ticket, const char *what)
{
	char ticket_id[24];
	char session_id[24];

	g_snprintf(ticket_id, sizeof(ticket_id), "%" G_GINT64_FORMAT, ticket->id);
	g_snprintf(session_id, sizeof(session_id), "%" G_GINT64_FORMAT, ticket->session_id);
	g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "CB_TICKET_ID", ticket_id, "CB_SESSION_ID",
			 session_id, "MESSAGE", "ticket %s %s (session %s)", ticket_id, what,
			 ticket->session_id != 0 ? session_id : "next");
}

void
cb_queue_emit_changed(CbQueue *self, const CbTicket *ticket, gint64 old_session)
{
	g_signal_emit(self, cb_queue_signals[SIGNAL_TICKET_CHANGED], 0, ticket->id,
		      ticket->session_id);
	if (old_session != ticket->session_id)
		g_signal_emit(self, cb_queue_signals[SIGNAL_QUEUE_CHANGED], 0, old_session);
	g_signal_emit(self, cb_queue_signals[SIGNAL_QUEUE_CHANGED], 0, ticket->session_id);
}

/* --- the no-show timer of a called ticket --------------------------------- */

typedef struct {
	CbQueue *queue; /* not referenced: the queue cancels its timers in dispose */
	gint64 ticket_id;
} CbQueueTimer;

static void cb_queue_after_change(CbQueue *self, const CbTicket *ticket, gint64 old_session,
				  const char *what);

static void
cb_queue_no_show_cb(gpointer user_data)
{
	CbQueueTimer *timer = user_data;
	CbQueue *self = timer->queue;
	CbTicketChange change = {
		.from = CB_TICKET_STATE_MASK(CB_TICKET_CALLED),
		.to = CB_TICKET_NO_SHOW,
		.reason = "call-timeout",
	};
	g_autoptr(CbTicket) ticket = NULL;
	g_autoptr(GError) error = NULL;

	g_hash_table_remove(self->no_show_timers, &timer->ticket_id);
	ticket = cb_store_ticket_transition(self->store, &cb_queue_system, timer->ticket_id,
					    &change, &error);
	if (ticket == NULL) {
		/* admitted, cancelled or deferred just before: nothing to do */
		if (!g_error_matches(error, CB_ERROR, CB_ERROR_CONFLICT))
			g_warning("ticket %" G_GINT64_FORMAT " could not become no_show: %s",
				  timer->ticket_id, error->message);
		return;
	}
	cb_queue_after_change(self, ticket, ticket->session_id, "did not answer the call");
}

static void
cb_queue_disarm(CbQueue *self, gint64 ticket_id)
{
	gpointer timer = NULL;

	if (g_hash_table_lookup_extended(self->no_show_timers, &ticket_id, NULL, &timer)) {
		cb_clock_cancel(self->clock, GPOINTER_TO_UINT(timer));
		g_hash_table_remove(self->no_show_timers, &ticket_id);
	}
}

static void
cb_queue_arm(CbQueue *self, const CbTicket *ticket)
{
	CbQueueTimer *timer = g_new0(CbQueueTimer, 1);
	gint64 deadline = ticket->called_at + (gint64)self->call_timeout_seconds * G_USEC_PER_SEC;
	guint id;

	cb_queue_disarm(self, ticket->id);
	timer->queue = self;
	timer->ticket_id = ticket->id;
	id = cb_clock_schedule(self->clock, deadline, cb_queue_no_show_cb, timer, g_free);
	g_hash_table_insert(self->no_show_timers, g_memdup2(&ticket->id, sizeof(gint64)),
			    GUINT_TO_POINTER(id));
}

/* what follows every committed change: the timer, the signals, a log line */
static void
cb_queue_after_change(CbQueue *self, const CbTicket *ticket, gint64 old_session, const char *what)
{
	if (ticket->state == CB_TICKET_CALLED)
		cb_queue_arm(self, ticket);
	else
		cb_queue_disarm(self, ticket->id);
	cb_queue_log(ticket, what);
	cb_queue_emit_changed(self, ticket, old_session);
}

/* --- transitions ------------------------------------------------------------ */

typedef struct {
	const char *what; /* for the log */
	guint from;
	CbTicketState to;
	gboolean needs_running_session; /* call and admit */
} CbQueueRule;

#define CB_QUEUE_FROM(s) CB_TICKET_STATE_MASK(CB_TICKET_##s)

static const CbQueueRule cb_queue_rule_call = {"called", CB_QUEUE_FROM(WAITING), CB_TICKET_CALLED,
					       TRUE};
static const CbQueueRule cb_queue_rule_admit = {"admitted", CB_QUEUE_FROM(CALLED),
						CB_TICKET_ADMITTED, TRUE};
static const CbQueueRule cb_queue_rule_finish = {"done", CB_QUEUE_FROM(ADMITTED), CB_TICKET_DONE,
						 FALSE};
static const CbQueueRule cb_queue_rule_defer = {
	"deferred", CB_QUEUE_FROM(WAITING) | CB_QUEUE_FROM(CALLED), CB_TICKET_DEFERRED, FALSE};
static const CbQueueRule cb_queue_rule_refuse = {
	"refused", CB_QUEUE_FROM(WAITING) | CB_QUEUE_FROM(CALLED) | CB_QUEUE_FROM(ADMITTED),
	CB_TICKET_REFUSED, FALSE};
static const CbQueueRule cb_queue_rule_cancel = {
	"cancelled", CB_QUEUE_FROM(WAITING) | CB_QUEUE_FROM(CALLED) | CB_QUEUE_FROM(DEFERRED),
	CB_TICKET_CANCELLED, FALSE};

/* citizens are called and admitted only into a session that is running */
static gboolean
cb_queue_check_running(CbQueue *self, const CbTicket *ticket, GError **error)
{
	g_autoptr(CbSession) session = NULL;

	if (ticket->session_id == 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "ticket %" G_GINT64_FORMAT
			    " waits for the next session; it can be called once that opens",
			    ticket->id);
		return FALSE;
	}
	session = cb_store_session_get(self->store, ticket->session_id, error);
	if (session == NULL)
		return FALSE;
	if (session->state != CB_SESSION_OPEN && session->state != CB_SESSION_LIVE) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "session %" G_GINT64_FORMAT
			    " is %s: citizens are called and admitted while it is open or live",
			    session->id, cb_session_state_to_string(session->state));
		return FALSE;
	}
	return TRUE;
}

static CbTicket *
cb_queue_apply(CbQueue *self, const CbActor *actor, gint64 id, const CbQueueRule *rule,
	       CbTicketChange *change, GError **error)
{
	g_autoptr(CbTicket) current = cb_store_ticket_get(self->store, id, error);
	CbTicket *ticket;

	if (current == NULL)
		return NULL;
	/* a ticket in the wrong state hears about its state, not about its session */
	if (rule->needs_running_session && (rule->from & CB_TICKET_STATE_MASK(current->state)) &&
	    !cb_queue_check_running(self, current, error))
		return NULL;
	if (rule->to == CB_TICKET_DEFERRED && current->session_id == 0 &&
	    (rule->from & CB_TICKET_STATE_MASK(current->state))) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "ticket %" G_GINT64_FORMAT " already waits for the next session", id);
		return NULL;
	}
	change->from = rule->from;
	change->to = rule->to;
	ticket = cb_store_ticket_transition(self->store, actor, id, change, error);
	if (ticket != NULL)
		cb_queue_after_change(self, ticket, current->session_id, rule->what);
	return ticket;
}

CbTicket *
cb_queue_call(CbQueue *self, const CbActor *actor, gint64 id, GError **error)
{
	CbTicketChange change = {0};

	g_return_val_if_fail(CB_IS_QUEUE(self), NULL);
	return cb_queue_apply(self, actor, id, &cb_queue_rule_call, &change, error);
}

CbTicket *
cb_queue_admit(CbQueue *self, const CbActor *actor, gint64 id, GError **error)
{
	CbTicketChange change = {0};

	g_return_val_if_fail(CB_IS_QUEUE(self), NULL);
	return cb_queue_apply(self, actor, id, &cb_queue_rule_admit, &change, error);
}

CbTicket *
cb_queue_defer(CbQueue *self, const CbActor *actor, gint64 id, GError **error)
{
	CbTicketChange change = {0};

	g_return_val_if_fail(CB_IS_QUEUE(self), NULL);
	return cb_queue_apply(self, actor, id, &cb_queue_rule_defer, &change, error);
}

CbTicket *
cb_queue_finish(CbQueue *self, const CbActor *actor, gint64 id, const char *handling,
		const char *follow_up, const char *notes, GError **error)
{
	CbTicketChange change = {.follow_up = follow_up, .notes = notes};

	g_return_val_if_fail(CB_IS_QUEUE(self), NULL);
	if (handling == NULL || !cb_ticket_handling_from_string(handling, &change.handling) ||
	    change.handling == CB_TICKET_HANDLING_REFUSED) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "field 'handling' is required: accepted, guided or forwarded "
				    "(a refusal is POST .../refuse)");
		return NULL;
	}
	if (!cb_queue_check_text("follow_up", follow_up, CB_QUEUE_BOOK_TEXT_MAX, FALSE, error) ||
	    !cb_queue_check_text("notes", notes, CB_QUEUE_BOOK_TEXT_MAX, FALSE, error))
		return NULL;
	change.reason = cb_ticket_handling_to_string(change.handling);
	return cb_queue_apply(self, actor, id, &cb_queue_rule_finish, &change, error);
}

CbTicket *
cb_queue_refuse(CbQueue *self, const CbActor *actor, gint64 id, const char *reason,
		const char *notes, GError **error)
{
	CbTicketChange change = {
		.handling = CB_TICKET_HANDLING_REFUSED,
		.notes = notes,
		.reason = reason,
		.refuse_reason = reason,
	};

	g_return_val_if_fail(CB_IS_QUEUE(self), NULL);
	if (reason == NULL || !g_strv_contains((const char *const *)self->refuse_reasons, reason)) {
		g_autofree char *known = g_strjoinv(", ", self->refuse_reasons);
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "field 'reason' is required and must be one of: %s", known);
		return NULL;
	}
	if (!cb_queue_check_text("notes", notes, CB_QUEUE_BOOK_TEXT_MAX, FALSE, error))
		return NULL;
	return cb_queue_apply(self, actor, id, &cb_queue_rule_refuse, &change, error);
}

CbTicket *
cb_queue_cancel(CbQueue *self, const CbTokenRecord *caller, const CbActor *actor, gint64 id,
		GError **error)
{
	CbTicketChange change = {.reason = NULL};

	g_return_val_if_fail(CB_IS_QUEUE(self), NULL);
	/* another citizen's ticket does not exist, as far as this one can tell */
	if (caller != NULL && caller->role == CB_ROLE_CITIZEN && caller->ticket_id != id) {
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_FOUND,
			    "no ticket has id %" G_GINT64_FORMAT, id);
		return NULL;
	}
	if (caller != NULL && caller->role == CB_ROLE_OPERATOR) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_FORBIDDEN,
				    "operators do not cancel tickets");
		return NULL;
	}
	change.reason =
		caller != NULL && caller->role == CB_ROLE_CITIZEN ? "by-citizen" : "by-staff";
	return cb_queue_apply(self, actor, id, &cb_queue_rule_cancel, &change, error);
}

/* --- staff moving a ticket ---------------------------------------------------- */

static gboolean
cb_queue_same_class(const CbTicket *a, const CbTicket *b)
{
	return (a->priority == CB_TICKET_PRIORITY_NONE) == (b->priority == CB_TICKET_PRIORITY_NONE);
}

/* the ticket @ticket goes before to be at 1-based @position of its line, or
 * NULL (no error) for the end. A ticket keeps to its priority class: the
 * places it can take are those of its class, and past the end of the line
 * means last. */
static CbTicket *
cb_queue_ticket_at(CbQueue *self, const CbTicket *ticket, guint position, GError **error)
{
	g_autoptr(GPtrArray) line = NULL;
	g_autoptr(GPtrArray) mine = g_ptr_array_new();
	CbTicketFilter filter = CB_TICKET_FILTER_INIT;
	guint ahead = 0; /* the priority tickets, when the ticket is not one */
	guint first, last;

	filter.session_id = ticket->session_id != 0 ? ticket->session_id : CB_TICKET_FILTER_NONE;
	filter.states = CB_TICKET_STATE_MASK(CB_TICKET_WAITING);
	line = cb_store_ticket_list(self->store, &filter, error);
	if (line == NULL)
		return NULL;
	cb_queue_sort(line, self->round_robin);
	for (guint i = 0; i < line->len; i++) {
		const CbTicket *other = g_ptr_array_index(line, i);
		if (!cb_queue_same_class(other, ticket))
			ahead += ticket->priority == CB_TICKET_PRIORITY_NONE ? 1 : 0;
		else if (other->id != ticket->id)
			g_ptr_array_add(mine, (gpointer)other);
	}
	first = ahead + 1;
	last = first + mine->len;
	/* the others' class comes after the priority tickets: the end is theirs */
	if (position > last && ticket->priority == CB_TICKET_PRIORITY_NONE)
		position = last;
	if (position < first || position > last) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "ticket %" G_GINT64_FORMAT " can take places %u to %u only: a move "
			    "stays within the priority tickets or within the others",
			    ticket->id, first, last);
		return NULL;
	}
	if (position - first >= mine->len)
		return NULL;
	return cb_ticket_copy(g_ptr_array_index(mine, position - first));
}

static gboolean
cb_queue_check_move(CbQueue *self, gint64 id, gint64 before_id, guint position, const char *reason,
		    GError **error)
{
	if ((before_id != 0) == (position != 0)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "give either field 'before' (a ticket id) or field 'position' "
				    "(1 or more)");
		return FALSE;
	}
	if (before_id < 0) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "field 'before' must be a positive ticket id");
		return FALSE;
	}
	if (before_id == id) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "a ticket cannot move before itself");
		return FALSE;
	}
	return cb_queue_check_text("reason", reason, CB_QUEUE_REASON_MAX, TRUE, error);
}

CbTicket *
cb_queue_move(CbQueue *self, const CbActor *actor, gint64 id, gint64 before_id, guint position,
	      const char *reason, GError **error)
{
	g_autoptr(CbTicket) ticket = NULL;
	g_autoptr(CbTicket) before = NULL;
	g_autoptr(GError) local = NULL;
	CbTicket *moved;

	g_return_val_if_fail(CB_IS_QUEUE(self), NULL);
	if (!cb_queue_check_move(self, id, before_id, position, reason, error))
		return NULL;
	ticket = cb_store_ticket_get(self->store, id, error);
	if (ticket == NULL)
		return NULL;
	if (before_id != 0) {
		before = cb_store_ticket_get(self->store, before_id, &local);
		if (before == NULL) {
			/* the other ticket is part of the request, not the resource */
			g_set_error(error, CB_ERROR,
				    g_error_matches(local, CB_ERROR, CB_ERROR_NOT_FOUND)
					    ? CB_ERROR_INVALID
					    : local->code,
				    "field 'before': %s", local->message);
			return NULL;
		}
	} else if (ticket->state == CB_TICKET_WAITING) {
		before = cb_queue_ticket_at(self, ticket, position, &local);
		if (before == NULL && local != NULL) {
			g_propagate_error(error, g_steal_pointer(&local));
			return NULL;
		}
	}
	if (before != NULL && !cb_queue_same_class(ticket, before)) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "ticket %" G_GINT64_FORMAT " has priority class %s and ticket "
			    "%" G_GINT64_FORMAT " %s: a move stays within the priority "
			    "tickets or within the others",
			    id, cb_ticket_priority_to_string(ticket->priority), before->id,
			    cb_ticket_priority_to_string(before->priority));
		return NULL;
	}
	moved = cb_store_ticket_move(self->store, actor, id, before != NULL ? before->id : 0,
				     reason, error);
	if (moved != NULL)
		cb_queue_after_change(self, moved, ticket->session_id, "moved by staff");
	return moved;
}

/* --- sessions opening and closing ----------------------------------------------- */

/* applies @change to each ticket of @list; a ticket changed meanwhile is skipped */
static gboolean
cb_queue_apply_all(CbQueue *self, GPtrArray *list, const CbTicketChange *change,
		   gint64 skip_session, const char *what, GError **error)
{
	for (guint i = 0; i < list->len; i++) {
		const CbTicket *old = g_ptr_array_index(list, i);
		g_autoptr(CbTicket) ticket = NULL;
		g_autoptr(GError) local = NULL;

		if (skip_session != 0 && old->session_id == skip_session)
			continue;
		ticket = cb_store_ticket_transition(self->store, &cb_queue_system, old->id, change,
						    &local);
		if (ticket == NULL && g_error_matches(local, CB_ERROR, CB_ERROR_CONFLICT))
			continue;
		if (ticket == NULL) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		cb_queue_after_change(self, ticket, old->session_id, what);
	}
	return TRUE;
}

/* an open or live session takes in the next session's line and the deferred */
static gboolean
cb_queue_take_in(CbQueue *self, gint64 session_id, GError **error)
{
	CbTicketChange change = {
		.from = CB_TICKET_STATE_MASK(CB_TICKET_WAITING) |
			CB_TICKET_STATE_MASK(CB_TICKET_DEFERRED),
		.to = CB_TICKET_WAITING,
		.join_session_id = session_id,
		.reason = "joined-session",
	};
	CbTicketFilter next = CB_TICKET_FILTER_INIT;
	CbTicketFilter deferred = CB_TICKET_FILTER_INIT;
	g_autoptr(GPtrArray) waiting = NULL;
	g_autoptr(GPtrArray) postponed = NULL;

	next.session_id = CB_TICKET_FILTER_NONE;
	next.states = CB_TICKET_STATE_MASK(CB_TICKET_WAITING);
	deferred.states = CB_TICKET_STATE_MASK(CB_TICKET_DEFERRED);
	waiting = cb_store_ticket_list(self->store, &next, error);
	if (waiting == NULL)
		return FALSE;
	postponed = cb_store_ticket_list(self->store, &deferred, error);
	if (postponed == NULL)
		return FALSE;
	/* a ticket deferred from this very session waits for the one after it */
	return cb_queue_apply_all(self, postponed, &change, session_id, "joined its session",
				  error) &&
	       cb_queue_apply_all(self, waiting, &change, 0, "joined its session", error);
}

/* a session that is over hands its line on to the next session */
static gboolean
cb_queue_defer_line(CbQueue *self, const CbSession *session, GError **error)
{
	CbTicketChange change = {
		.from = CB_TICKET_STATE_MASK(CB_TICKET_WAITING) |
			CB_TICKET_STATE_MASK(CB_TICKET_CALLED),
		.to = CB_TICKET_DEFERRED,
		.reason = session->state == CB_SESSION_CANCELLED ? "session-cancelled"
								 : "session-ended",
	};
	CbTicketFilter filter = CB_TICKET_FILTER_INIT;
	g_autoptr(GPtrArray) line = NULL;

	filter.session_id = session->id;
	filter.states = change.from;
	line = cb_store_ticket_list(self->store, &filter, error);
	return line != NULL &&
	       cb_queue_apply_all(self, line, &change, 0, "deferred: its session is over", error);
}

gboolean
cb_queue_session_changed(CbQueue *self, const CbSession *session, GError **error)
{
	g_return_val_if_fail(CB_IS_QUEUE(self), FALSE);
	switch (session->state) {
	case CB_SESSION_OPEN:
	case CB_SESSION_LIVE:
		return cb_queue_take_in(self, session->id, error);
	case CB_SESSION_ENDED:
	case CB_SESSION_CANCELLED:
		return cb_queue_defer_line(self, session, error);
	case CB_SESSION_SCHEDULED:
		break;
	}
	return TRUE;
}

/* the lines of sessions that ended while the daemon was down */
static gboolean
cb_queue_defer_stale_lines(CbQueue *self, GError **error)
{
	CbTicketFilter filter = CB_TICKET_FILTER_INIT;
	g_autoptr(GPtrArray) open = NULL;
	g_autoptr(GHashTable) seen =
		g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);

	filter.states =
		CB_TICKET_STATE_MASK(CB_TICKET_WAITING) | CB_TICKET_STATE_MASK(CB_TICKET_CALLED);
	open = cb_store_ticket_list(self->store, &filter, error);
	if (open == NULL)
		return FALSE;
	for (guint i = 0; i < open->len; i++) {
		const CbTicket *ticket = g_ptr_array_index(open, i);
		g_autoptr(CbSession) session = NULL;

		if (ticket->session_id == 0 || g_hash_table_contains(seen, &ticket->session_id))
			continue;
		g_hash_table_add(seen, g_memdup2(&ticket->session_id, sizeof(gint64)));
		session = cb_store_session_get(self->store, ticket->session_id, error);
		if (session == NULL)
			return FALSE;
		if ((session->state == CB_SESSION_ENDED ||
		     session->state == CB_SESSION_CANCELLED) &&
		    !cb_queue_defer_line(self, session, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
cb_queue_take_in_running(CbQueue *self, GError **error)
{
	CbSessionState states[] = {CB_SESSION_LIVE, CB_SESSION_OPEN};

	for (gsize s = 0; s < G_N_ELEMENTS(states); s++) {
		g_autoptr(GPtrArray) sessions =
			cb_store_session_list_in_state(self->store, states[s], error);
		if (sessions == NULL)
			return FALSE;
		for (guint i = 0; i < sessions->len; i++) {
			const CbSession *session = g_ptr_array_index(sessions, i);
			if (!cb_queue_take_in(self, session->id, error))
				return FALSE;
		}
	}
	return TRUE;
}

static gboolean
cb_queue_rearm_called(CbQueue *self, GError **error)
{
	CbTicketFilter filter = CB_TICKET_FILTER_INIT;
	g_autoptr(GPtrArray) called = NULL;

	filter.states = CB_TICKET_STATE_MASK(CB_TICKET_CALLED);
	called = cb_store_ticket_list(self->store, &filter, error);
	if (called == NULL)
		return FALSE;
	for (guint i = 0; i < called->len; i++)
		cb_queue_arm(self, g_ptr_array_index(called, i));
	if (called->len > 0)
		g_info("%u called ticket(s) wait for an answer", called->len);
	return TRUE;
}

gboolean
cb_queue_start(CbQueue *self, GError **error)
{
	g_return_val_if_fail(CB_IS_QUEUE(self), FALSE);
	return cb_queue_defer_stale_lines(self, error) && cb_queue_take_in_running(self, error) &&
	       cb_queue_rearm_called(self, error);
}
