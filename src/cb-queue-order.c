#define G_LOG_DOMAIN "CbQueue"

#include "cb-queue-private.h"

void
cb_queue_entry_free(CbQueueEntry *entry)
{
	if (entry == NULL)
		return;
	cb_ticket_free(entry->ticket);
	g_free(entry);
}

/* takes @ticket; a called one carries its no-show deadline, which the
 * waiting room counts down to */
static CbQueueEntry *
cb_queue_entry_new(CbQueue *self, CbTicket *ticket, const CbSession *session)
{
	CbQueueEntry *entry = g_new0(CbQueueEntry, 1);

	entry->ticket = ticket;
	entry->estimated_wait = -1;
	if (ticket->state == CB_TICKET_CALLED && ticket->called_at > 0)
		entry->answer_by =
			ticket->called_at + (gint64)self->call_timeout_seconds * G_USEC_PER_SEC;
	entry->has_session = session != NULL;
	if (session != NULL)
		entry->session_state = session->state;
	return entry;
}

/* --- order ------------------------------------------------------------------ */

/* 0 for the priority classes, 1 for none: they are served first */
static guint
cb_queue_band(const CbTicket *ticket)
{
	return ticket->priority == CB_TICKET_PRIORITY_NONE ? 1 : 0;
}

static int
cb_queue_compare_arrival(gconstpointer a, gconstpointer b)
{
	const CbTicket *x = *(const CbTicket *const *)a;
	const CbTicket *y = *(const CbTicket *const *)b;

	if (cb_queue_band(x) != cb_queue_band(y))
		return cb_queue_band(x) < cb_queue_band(y) ? -1 : 1;
	if (x->arrival_seq != y->arrival_seq)
		return x->arrival_seq < y->arrival_seq ? -1 : 1;
	return x->id < y->id ? -1 : (x->id > y->id);
}

typedef struct {
	CbTicket *ticket;
	guint rank; /* its place in its bridge point's own line, from 0 */
} CbQueueSlot;

static int
cb_queue_compare_slot(gconstpointer a, gconstpointer b)
{
	const CbQueueSlot *x = a;
	const CbQueueSlot *y = b;

	if (cb_queue_band(x->ticket) != cb_queue_band(y->ticket))
		return cb_queue_band(x->ticket) < cb_queue_band(y->ticket) ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return cb_queue_compare_arrival(&x->ticket, &y->ticket);
}

/* round-robin: within a class, the first ticket of every bridge point (the
 * hall counts as one) by arrival, then the second of each, and so on */
static void
cb_queue_interleave(GPtrArray *tickets)
{
	g_autoptr(GHashTable) counts =
		g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	g_autoptr(GArray) slots =
		g_array_sized_new(FALSE, FALSE, sizeof(CbQueueSlot), tickets->len);

	for (guint i = 0; i < tickets->len; i++) {
		CbTicket *ticket = g_ptr_array_index(tickets, i);
		gint64 key = ticket->bridge_point_id * 2 + cb_queue_band(ticket);
		CbQueueSlot slot = {ticket, 0};
		gpointer count = NULL;

		if (g_hash_table_lookup_extended(counts, &key, NULL, &count))
			slot.rank = GPOINTER_TO_UINT(count);
		g_hash_table_replace(counts, g_memdup2(&key, sizeof(key)),
				     GUINT_TO_POINTER(slot.rank + 1));
		g_array_append_val(slots, slot);
	}
	g_array_sort(slots, cb_queue_compare_slot);
	for (guint i = 0; i < slots->len; i++)
		tickets->pdata[i] = g_array_index(slots, CbQueueSlot, i).ticket;
}

void
cb_queue_sort(GPtrArray *tickets, gboolean round_robin)
{
	g_ptr_array_sort(tickets, cb_queue_compare_arrival);
	if (round_robin)
		cb_queue_interleave(tickets);
}

/* --- estimated wait ------------------------------------------------------------ */

static int
cb_queue_compare_int64(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a;
	gint64 y = *(const gint64 *)b;

	return x < y ? -1 : (x > y);
}

gint64
cb_queue_service_estimate(CbQueue *self, CbTicketCategory category, GError **error)
{
	g_autoptr(GArray) times = cb_store_ticket_service_times(self->store, category,
								self->service_time_samples, error);
	guint n;

	if (times == NULL)
		return -1;
	n = times->len;
	if (n == 0)
		return (gint64)self->default_service_minutes * 60 * G_USEC_PER_SEC;
	g_array_sort(times, cb_queue_compare_int64);
	if (n % 2 == 1)
		return g_array_index(times, gint64, n / 2);
	return (g_array_index(times, gint64, n / 2 - 1) + g_array_index(times, gint64, n / 2)) / 2;
}

static gboolean
cb_queue_medians(CbQueue *self, gint64 *medians, GError **error)
{
	for (guint c = 0; c < CB_TICKET_N_CATEGORIES; c++) {
		medians[c] = cb_queue_service_estimate(self, c, error);
		if (medians[c] < 0)
			return FALSE;
	}
	return TRUE;
}

/* --- lines ---------------------------------------------------------------------- */

static int
cb_queue_compare_called(gconstpointer a, gconstpointer b)
{
	const CbTicket *x = *(const CbTicket *const *)a;
	const CbTicket *y = *(const CbTicket *const *)b;

	if (x->called_at != y->called_at)
		return x->called_at < y->called_at ? -1 : 1;
	return x->id < y->id ? -1 : (x->id > y->id);
}

/* the admitted ticket (what is left of its service), the called ones, then
 * the waiting ones; each waiting ticket's estimate is what is ahead of it */
static GPtrArray *
cb_queue_order_line(CbQueue *self, GPtrArray *open, const CbSession *session, GError **error)
{
	g_autoptr(GPtrArray) entries =
		g_ptr_array_new_with_free_func((GDestroyNotify)cb_queue_entry_free);
	g_autoptr(GPtrArray) called = g_ptr_array_new();
	g_autoptr(GPtrArray) waiting = g_ptr_array_new();
	gint64 medians[CB_TICKET_N_CATEGORIES];
	gint64 now = cb_clock_now(self->clock);
	gint64 ahead = 0;

	if (!cb_queue_medians(self, medians, error))
		return NULL;
	/* the line owns nothing yet: each ticket passes to its entry */
	for (guint i = 0; i < open->len; i++) {
		CbTicket *ticket = g_ptr_array_index(open, i);
		if (ticket->state == CB_TICKET_ADMITTED) {
			ahead += MAX(0, medians[ticket->category] - (now - ticket->admitted_at));
			g_ptr_array_add(entries,
					cb_queue_entry_new(self, cb_ticket_copy(ticket), session));
		} else if (ticket->state == CB_TICKET_CALLED) {
			g_ptr_array_add(called, ticket);
		} else if (ticket->state == CB_TICKET_WAITING) {
			g_ptr_array_add(waiting, ticket);
		}
	}
	g_ptr_array_sort(called, cb_queue_compare_called);
	for (guint i = 0; i < called->len; i++) {
		CbTicket *ticket = g_ptr_array_index(called, i);
		ahead += medians[ticket->category];
		g_ptr_array_add(entries, cb_queue_entry_new(self, cb_ticket_copy(ticket), session));
	}
	cb_queue_sort(waiting, self->round_robin);
	for (guint i = 0; i < waiting->len; i++) {
		CbTicket *ticket = g_ptr_array_index(waiting, i);
		CbQueueEntry *entry = cb_queue_entry_new(self, cb_ticket_copy(ticket), session);
		entry->position = i + 1;
		entry->estimated_wait = ahead;
		ahead += medians[ticket->category];
		g_ptr_array_add(entries, entry);
	}
	return g_steal_pointer(&entries);
}

/* @session_id 0: the next session's line, with no session; *@session
 * (optional) gets the session */
static GPtrArray *
cb_queue_line(CbQueue *self, gint64 session_id, CbSession **session_out, GError **error)
{
	g_autoptr(CbSession) session = NULL;
	g_autoptr(GPtrArray) open = NULL;
	GPtrArray *line;
	CbTicketFilter filter = CB_TICKET_FILTER_INIT;

	if (session_id != 0) {
		session = cb_store_session_get(self->store, session_id, error);
		if (session == NULL)
			return NULL;
	}
	filter.session_id = session_id != 0 ? session_id : CB_TICKET_FILTER_NONE;
	filter.states = CB_TICKET_OPEN_STATES;
	open = cb_store_ticket_list(self->store, &filter, error);
	if (open == NULL)
		return NULL;
	line = cb_queue_order_line(self, open, session, error);
	if (line != NULL && session_out != NULL)
		*session_out = g_steal_pointer(&session);
	return line;
}

GPtrArray *
cb_queue_list_session(CbQueue *self, gint64 session_id, CbSession **session, GError **error)
{
	g_return_val_if_fail(CB_IS_QUEUE(self), NULL);
	return cb_queue_line(self, session_id, session, error);
}

/* --- who sees what -------------------------------------------------------------- */

gboolean
cb_queue_view_for(const CbTokenRecord *caller, const CbTicket *ticket, CbTicketView *view)
{
	switch (caller->role) {
	case CB_ROLE_ADMIN:
	case CB_ROLE_STAFF:
		*view = CB_TICKET_VIEW_FULL;
		return TRUE;
	case CB_ROLE_OPERATOR:
		*view = CB_TICKET_VIEW_BRIDGE_POINT;
		return caller->bridge_point_id != 0 &&
		       caller->bridge_point_id == ticket->bridge_point_id;
	case CB_ROLE_CITIZEN:
		*view = CB_TICKET_VIEW_OWN;
		return caller->ticket_id == ticket->id;
	}
	return FALSE;
}

gboolean
cb_ticket_view_shows_identity(CbTicketView view, const CbTicket *ticket)
{
	return view != CB_TICKET_VIEW_BRIDGE_POINT ||
	       ticket->category != CB_TICKET_CATEGORY_DENUNCIATION;
}

/* a line and its session (NULL for the next session's) */
typedef struct {
	GPtrArray *entries;
	CbSession *session;
} CbQueueLine;

static void
cb_queue_line_free(CbQueueLine *line)
{
	g_clear_pointer(&line->entries, g_ptr_array_unref);
	cb_session_free(line->session);
	g_free(line);
}

/* lines computed once per request, by session (0: the next session's) */
typedef struct {
	CbQueue *queue;
	GHashTable *lines; /* gint64 *session id -> CbQueueLine */
} CbQueueLines;

static void
cb_queue_lines_clear(CbQueueLines *lines)
{
	g_clear_pointer(&lines->lines, g_hash_table_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbQueueLines, cb_queue_lines_clear)

static void
cb_queue_lines_init(CbQueueLines *lines, CbQueue *queue)
{
	lines->queue = queue;
	lines->lines = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
					     (GDestroyNotify)cb_queue_line_free);
}

/* the session of a line, and with @ordered its entries too: only a waiting
 * ticket needs its line ordered */
static CbQueueLine *
cb_queue_lines_get(CbQueueLines *lines, gint64 session_id, gboolean ordered, GError **error)
{
	CbQueueLine *line = g_hash_table_lookup(lines->lines, &session_id);

	if (line == NULL) {
		g_autoptr(CbSession) session = NULL;
		if (session_id != 0) {
			session = cb_store_session_get(lines->queue->store, session_id, error);
			if (session == NULL)
				return NULL;
		}
		line = g_new0(CbQueueLine, 1);
		line->session = g_steal_pointer(&session);
		g_hash_table_insert(lines->lines, g_memdup2(&session_id, sizeof(gint64)), line);
	}
	if (ordered && line->entries == NULL) {
		line->entries = cb_queue_line(lines->queue, session_id, NULL, error);
		if (line->entries == NULL)
			return NULL;
	}
	return line;
}

/* @ticket (taken) as an entry with its place in its line, if it has one */
static CbQueueEntry *
cb_queue_lines_place(CbQueueLines *lines, CbTicket *ticket, GError **error)
{
	g_autoptr(CbTicket) owned = ticket;
	gboolean waiting = ticket->state == CB_TICKET_WAITING;
	CbQueueLine *line = cb_queue_lines_get(lines, ticket->session_id, waiting, error);
	CbQueueEntry *entry;

	if (line == NULL)
		return NULL;
	entry = cb_queue_entry_new(lines->queue, g_steal_pointer(&owned), line->session);
	for (guint i = 0; waiting && i < line->entries->len; i++) {
		const CbQueueEntry *found = g_ptr_array_index(line->entries, i);
		if (found->ticket->id == entry->ticket->id) {
			entry->position = found->position;
			entry->estimated_wait = found->estimated_wait;
			break;
		}
	}
	return entry;
}

CbQueueEntry *
cb_queue_get(CbQueue *self, const CbTokenRecord *caller, gint64 id, GError **error)
{
	g_auto(CbQueueLines) lines = {0};
	g_autoptr(GError) local = NULL;
	CbTicket *ticket;
	CbTicketView view;

	g_return_val_if_fail(CB_IS_QUEUE(self), NULL);
	ticket = cb_store_ticket_get(self->store, id, &local);
	if (ticket == NULL || !cb_queue_view_for(caller, ticket, &view)) {
		cb_ticket_free(ticket);
		/* the same answer whether it does not exist or is someone else's */
		if (local != NULL && !g_error_matches(local, CB_ERROR, CB_ERROR_NOT_FOUND))
			g_propagate_error(error, g_steal_pointer(&local));
		else
			g_set_error(error, CB_ERROR, CB_ERROR_NOT_FOUND,
				    "no ticket has id %" G_GINT64_FORMAT, id);
		return NULL;
	}
	cb_queue_lines_init(&lines, self);
	return cb_queue_lines_place(&lines, ticket, error);
}

GPtrArray *
cb_queue_list(CbQueue *self, const CbTokenRecord *caller, const CbTicketFilter *filter,
	      GError **error)
{
	g_auto(CbQueueLines) lines = {0};
	g_autoptr(GPtrArray) entries =
		g_ptr_array_new_with_free_func((GDestroyNotify)cb_queue_entry_free);
	g_autoptr(GPtrArray) tickets = NULL;
	CbTicketFilter own = *filter;

	g_return_val_if_fail(CB_IS_QUEUE(self), NULL);
	if (caller->role == CB_ROLE_CITIZEN) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_FORBIDDEN,
				    "a citizen sees their own ticket only");
		return NULL;
	}
	if (caller->role == CB_ROLE_OPERATOR) {
		/* an operator's list is their bridge point's, whatever they ask */
		if (own.bridge_point_id != 0 && own.bridge_point_id != caller->bridge_point_id)
			return g_steal_pointer(&entries);
		own.bridge_point_id = caller->bridge_point_id;
	}
	tickets = cb_store_ticket_list(self->store, &own, error);
	if (tickets == NULL)
		return NULL;
	cb_queue_lines_init(&lines, self);
	for (guint i = 0; i < tickets->len; i++) {
		CbQueueEntry *entry =
			cb_queue_lines_place(&lines, g_steal_pointer(&tickets->pdata[i]), error);
		if (entry == NULL)
			return NULL;
		g_ptr_array_add(entries, entry);
	}
	return g_steal_pointer(&entries);
}
