#define G_LOG_DOMAIN "CbTestQueue"

/* the waiting queue on a real SQLite file with a fake clock: the order of
 * the line, the transitions, no-shows and the estimated wait */

#include "queue-fixture.h"

/* --- order ------------------------------------------------------------------- */

static void
test_order_priority(QueueFixture *f, gconstpointer data)
{
	gint64 s = queue_make_session(f, CB_SESSION_OPEN);
	const char *priorities[] = {"none", "elderly",   NULL,        "merit",
				    "none", "pregnancy", "disability"};
	gint64 ids[G_N_ELEMENTS(priorities)];
	g_autofree char *order = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(priorities); i++) {
		TicketSpec spec = {.priority = priorities[i]};
		ids[i] = queue_add_ticket_full(f, s, &spec);
	}
	order = queue_waiting_order(f, s, ids, G_N_ELEMENTS(ids));
	/* every class but none first, by arrival; then none by arrival */
	g_assert_cmpstr(order, ==, "1 3 5 6 0 2 4");
}

static void
test_order_delegation(QueueFixture *f, gconstpointer data)
{
	gint64 s = queue_make_session(f, CB_SESSION_OPEN);
	const char *names[] = {"Trần Văn A", "Lê Thị B", "Phạm C", "Hoàng D", "Vũ E", NULL};
	CbTicketRequest request = {
		.session_id = s,
		.category = "complaint",
		.summary = "Khiếu nại về bồi thường giải phóng mặt bằng",
		.has_persons = TRUE,
		.persons = 40,
		.representatives = names,
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTicket) delegation = NULL;
	g_autoptr(CbTicket) stored = NULL;
	g_autofree char *order = NULL;
	gint64 ids[3];

	ids[0] = queue_add_ticket(f, s);
	delegation = cb_queue_register(f->queue, &f->staff, &f->actor, &request, &error);
	g_assert_no_error(error);
	ids[1] = delegation->id;
	ids[2] = queue_add_ticket(f, s);
	/* a delegation is one ticket, in the line by its arrival like any other */
	order = queue_waiting_order(f, s, ids, 3);
	g_assert_cmpstr(order, ==, "0 1 2");
	stored = queue_get_ticket(f, delegation->id);
	g_assert_cmpint(stored->persons, ==, 40);
	g_assert_cmpuint(g_strv_length(stored->representatives), ==, 5);
	g_assert_cmpstr(stored->representatives[1], ==, "Lê Thị B");
}

static void
test_order_round_robin(QueueFixture *f, gconstpointer data)
{
	gint64 s = queue_make_session(f, CB_SESSION_OPEN);
	gint64 a = queue_make_bridge_point(f, "ba-dinh");
	gint64 b = queue_make_bridge_point(f, "soc-son");
	/* arrivals: a a a b hall a(elderly) b */
	TicketSpec specs[] = {{.bridge_point_id = a}, {.bridge_point_id = a},
			      {.bridge_point_id = a}, {.bridge_point_id = b},
			      {.bridge_point_id = 0}, {.bridge_point_id = a, .priority = "elderly"},
			      {.bridge_point_id = b}};
	gint64 ids[G_N_ELEMENTS(specs)];
	g_autofree char *by_arrival = NULL;
	g_autofree char *in_turn = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(specs); i++)
		ids[i] = queue_add_ticket_full(f, s, &specs[i]);
	by_arrival = queue_waiting_order(f, s, ids, G_N_ELEMENTS(ids));
	g_assert_cmpstr(by_arrival, ==, "5 0 1 2 3 4 6");

	f->config->queue_round_robin = TRUE;
	cb_queue_reconfigure(f->queue, f->config);
	in_turn = queue_waiting_order(f, s, ids, G_N_ELEMENTS(ids));
	/* the priority class still first; then one of each bridge point (and the
	 * hall) per round, each round by arrival */
	g_assert_cmpstr(in_turn, ==, "5 0 3 4 1 6 2");
}

static void
test_order_sort_is_pure(void)
{
	CbTicket t[4] = {
		{.id = 1, .arrival_seq = 4, .bridge_point_id = 1},
		{.id = 2, .arrival_seq = 2, .bridge_point_id = 1},
		{.id = 3, .arrival_seq = 3, .bridge_point_id = 2},
		{.id = 4,
		 .arrival_seq = 2,
		 .bridge_point_id = 1,
		 .priority = CB_TICKET_PRIORITY_MERIT},
	};
	g_autoptr(GPtrArray) list = g_ptr_array_new();

	for (gsize i = 0; i < G_N_ELEMENTS(t); i++)
		g_ptr_array_add(list, &t[i]);
	cb_queue_sort(list, FALSE);
	g_assert_cmpint(((CbTicket *)list->pdata[0])->id, ==, 4);
	g_assert_cmpint(((CbTicket *)list->pdata[1])->id, ==, 2);
	g_assert_cmpint(((CbTicket *)list->pdata[2])->id, ==, 3);
	g_assert_cmpint(((CbTicket *)list->pdata[3])->id, ==, 1);
}

/* --- transitions ------------------------------------------------------------ */

static const char *const act_names[] = {"call", "admit", "finish", "defer", "refuse", "cancel"};

/* the allowed transitions, written out here apart from the queue's own rules */
static const struct {
	Act act;
	CbTicketState from;
	CbTicketState to;
} allowed[] = {
	{ACT_CALL, CB_TICKET_WAITING, CB_TICKET_CALLED},
	{ACT_ADMIT, CB_TICKET_CALLED, CB_TICKET_ADMITTED},
	{ACT_FINISH, CB_TICKET_ADMITTED, CB_TICKET_DONE},
	{ACT_DEFER, CB_TICKET_WAITING, CB_TICKET_DEFERRED},
	{ACT_DEFER, CB_TICKET_CALLED, CB_TICKET_DEFERRED},
	{ACT_REFUSE, CB_TICKET_WAITING, CB_TICKET_REFUSED},
	{ACT_REFUSE, CB_TICKET_CALLED, CB_TICKET_REFUSED},
	{ACT_REFUSE, CB_TICKET_ADMITTED, CB_TICKET_REFUSED},
	{ACT_CANCEL, CB_TICKET_WAITING, CB_TICKET_CANCELLED},
	{ACT_CANCEL, CB_TICKET_CALLED, CB_TICKET_CANCELLED},
	{ACT_CANCEL, CB_TICKET_DEFERRED, CB_TICKET_CANCELLED},
};

/* a ticket, in a session of its own, driven to @state */
static gint64
ticket_in_state(QueueFixture *f, CbTicketState state)
{
	gint64 s = queue_make_session(f, CB_SESSION_LIVE);
	gint64 id = queue_add_ticket(f, s);

	switch (state) {
	case CB_TICKET_WAITING:
		break;
	case CB_TICKET_CALLED:
		queue_must(f, ACT_CALL, id);
		break;
	case CB_TICKET_ADMITTED:
		queue_must(f, ACT_CALL, id);
		queue_must(f, ACT_ADMIT, id);
		break;
	case CB_TICKET_DONE:
		queue_must(f, ACT_CALL, id);
		queue_must(f, ACT_ADMIT, id);
		queue_must(f, ACT_FINISH, id);
		break;
	case CB_TICKET_NO_SHOW:
		queue_must(f, ACT_CALL, id);
		cb_clock_advance(f->clock,
				 f->config->queue_call_timeout_seconds * G_TIME_SPAN_SECOND);
		break;
	case CB_TICKET_CANCELLED:
		queue_must(f, ACT_CANCEL, id);
		break;
	case CB_TICKET_DEFERRED:
		queue_must(f, ACT_DEFER, id);
		break;
	case CB_TICKET_REFUSED:
		queue_must(f, ACT_REFUSE, id);
		break;
	}
	g_assert_cmpint(queue_state_of(f, id), ==, state);
	return id;
}

static guint
history_length(QueueFixture *f, gint64 id)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) history = cb_store_ticket_history(f->store, id, &error);

	g_assert_no_error(error);
	return history->len;
}

static void
test_transitions_table(QueueFixture *f, gconstpointer data)
{
	guint allowed_seen = 0, forbidden_seen = 0;

	for (Act a = 0; a < N_ACTS; a++) {
		for (CbTicketState from = 0; from < CB_TICKET_N_STATES; from++) {
			gint64 id = ticket_in_state(f, from);
			guint before = history_length(f, id);
			g_autoptr(GError) error = NULL;
			g_autoptr(CbTicket) ticket = NULL;
			int want = -1;

			for (gsize i = 0; i < G_N_ELEMENTS(allowed); i++) {
				if (allowed[i].act == a && allowed[i].from == from)
					want = allowed[i].to;
			}
			ticket = queue_act(f, a, id, &error);
			g_test_message("%s from %s", act_names[a], cb_ticket_state_to_string(from));
			if (want >= 0) {
				g_assert_no_error(error);
				g_assert_cmpint(ticket->state, ==, want);
				g_assert_cmpint(queue_state_of(f, id), ==, want);
				/* recorded in the history, one entry per transition */
				g_assert_cmpuint(history_length(f, id), ==, before + 1);
				allowed_seen++;
			} else {
				g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
				/* the error names the state the ticket is in */
				g_assert_nonnull(
					strstr(error->message, cb_ticket_state_to_string(from)));
				g_assert_cmpint(queue_state_of(f, id), ==, from);
				g_assert_cmpuint(history_length(f, id), ==, before);
				forbidden_seen++;
			}
		}
	}
	g_assert_cmpuint(allowed_seen, ==, G_N_ELEMENTS(allowed));
	g_assert_cmpuint(forbidden_seen, ==, N_ACTS * CB_TICKET_N_STATES - G_N_ELEMENTS(allowed));
}

static void
test_transitions_record_book_fields(QueueFixture *f, gconstpointer data)
{
	gint64 done = ticket_in_state(f, CB_TICKET_ADMITTED);
	gint64 refused = ticket_in_state(f, CB_TICKET_WAITING);
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTicket) finished = NULL;
	g_autoptr(CbTicket) no = NULL;
	g_autoptr(CbTicket) bad = NULL;

	cb_clock_advance(f->clock, 12 * MINUTE);
	/* handling is required, and refused is not a way to finish */
	bad = cb_queue_finish(f->queue, &f->actor, done, NULL, NULL, NULL, &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID);
	g_assert_nonnull(strstr(error->message, "'handling'"));
	g_clear_error(&error);
	bad = cb_queue_finish(f->queue, &f->actor, done, "refused", NULL, NULL, &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID);
	g_clear_error(&error);
	finished = cb_queue_finish(f->queue, &f->actor, done, "forwarded", "chuyển Sở TN&MT",
				   "hẹn trả lời sau 15 ngày", &error);
	g_assert_no_error(error);
	g_assert_cmpint(finished->handling, ==, CB_TICKET_HANDLING_FORWARDED);
	g_assert_cmpstr(finished->follow_up, ==, "chuyển Sở TN&MT");
	g_assert_cmpstr(finished->notes, ==, "hẹn trả lời sau 15 ngày");
	g_assert_cmpint(finished->finished_at, ==, cb_clock_now(f->clock));
	g_assert_cmpint(finished->finished_at - finished->admitted_at, ==, 12 * MINUTE);

	/* a refusal takes a code from the configured list */
	bad = cb_queue_refuse(f->queue, &f->actor, refused, "bored", NULL, &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID);
	g_assert_nonnull(strstr(error->message, "not-competent"));
	g_clear_error(&error);
	no = cb_queue_refuse(f->queue, &f->actor, refused, "already-resolved", NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(no->handling, ==, CB_TICKET_HANDLING_REFUSED);
	g_assert_cmpstr(no->refuse_reason, ==, "already-resolved");
	g_assert_cmpint(no->finished_at, ==, cb_clock_now(f->clock));
}

static void
test_call_needs_running_session(QueueFixture *f, gconstpointer data)
{
	gint64 scheduled = queue_make_session(f, CB_SESSION_SCHEDULED);
	gint64 id = queue_add_ticket(f, scheduled);
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTicket) ticket = cb_queue_call(f->queue, &f->actor, id, &error);

	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
	g_assert_nonnull(strstr(error->message, "scheduled"));
	g_assert_cmpint(queue_state_of(f, id), ==, CB_TICKET_WAITING);
}

static void
test_one_admitted(QueueFixture *f, gconstpointer data)
{
	gint64 s = queue_make_session(f, CB_SESSION_LIVE);
	gint64 a = queue_add_ticket(f, s);
	gint64 b = queue_add_ticket(f, s);
	gint64 other = ticket_in_state(f, CB_TICKET_CALLED); /* another session */
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTicket) second = NULL;

	queue_must(f, ACT_CALL, a);
	queue_must(f, ACT_ADMIT, a);
	queue_must(f, ACT_CALL, b);
	second = cb_queue_admit(f->queue, &f->actor, b, &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
	g_assert_nonnull(strstr(error->message, "one citizen is admitted at a time"));
	g_clear_error(&error);
	g_assert_cmpint(queue_state_of(f, b), ==, CB_TICKET_CALLED);
	/* another session has its own admitted citizen */
	queue_must(f, ACT_ADMIT, other);
	queue_must(f, ACT_FINISH, a);
	queue_must(f, ACT_ADMIT, b);
}

typedef struct {
	char *path;
	CbClock *clock;
	CbConfig *config;
	gint64 ticket;
	GMutex *lock;
	GCond *cond;
	guint *ready;
	gboolean go;
	GError *error;
	gboolean won;
} AdmitThread;

static gpointer
admit_thread(gpointer data)
{
	AdmitThread *t = data;
	g_autoptr(GMainContext) context = g_main_context_new();
	g_autoptr(CbStore) store = NULL;
	g_autoptr(CbQueue) queue = NULL;
	g_autoptr(CbTicket) ticket = NULL;
	CbActor actor = {.token_id = 9, .role = CB_ROLE_STAFF, .via = "test"};

	g_main_context_push_thread_default(context);
	store = cb_store_open(t->path, t->clock, &t->error);
	g_assert_no_error(t->error);
	queue = cb_queue_new(store, t->clock, t->config);
	/* both connections are open before either admits */
	g_mutex_lock(t->lock);
	(*t->ready)++;
	g_cond_broadcast(t->cond);
	while (*t->ready < 2)
		g_cond_wait(t->cond, t->lock);
	g_mutex_unlock(t->lock);
	ticket = cb_queue_admit(queue, &actor, t->ticket, &t->error);
	t->won = ticket != NULL;
	g_clear_object(&queue);
	g_clear_object(&store);
	g_main_context_pop_thread_default(context);
	return NULL;
}

static void
test_concurrent_admit(QueueFixture *f, gconstpointer data)
{
	gint64 id = ticket_in_state(f, CB_TICKET_CALLED);
	GMutex lock;
	GCond cond;
	guint ready = 0;
	AdmitThread t[2];
	GThread *threads[2];

	g_mutex_init(&lock);
	g_cond_init(&cond);
	for (guint i = 0; i < 2; i++) {
		t[i] = (AdmitThread){.path = f->path,
				     .clock = f->clock,
				     .config = f->config,
				     .ticket = id,
				     .lock = &lock,
				     .cond = &cond,
				     .ready = &ready};
		threads[i] = g_thread_new("admit", admit_thread, &t[i]);
	}
	for (guint i = 0; i < 2; i++)
		g_thread_join(threads[i]);
	/* two staff on two connections: exactly one wins, the other hears why */
	g_assert_cmpint(t[0].won + t[1].won, ==, 1);
	for (guint i = 0; i < 2; i++) {
		if (t[i].won) {
			g_assert_no_error(t[i].error);
		} else {
			g_assert_error(t[i].error, CB_ERROR, CB_ERROR_CONFLICT);
			g_assert_nonnull(strstr(t[i].error->message, "admitted"));
		}
		g_clear_error(&t[i].error);
	}
	g_assert_cmpint(queue_state_of(f, id), ==, CB_TICKET_ADMITTED);
	/* called -> admitted once in the history: created, called, admitted */
	g_assert_cmpuint(history_length(f, id), ==, 3);
	g_mutex_clear(&lock);
	g_cond_clear(&cond);
}

/* --- no-show ------------------------------------------------------------------ */

static void
test_no_show_by_timer(QueueFixture *f, gconstpointer data)
{
	gint64 s = queue_make_session(f, CB_SESSION_LIVE);
	gint64 silent = queue_add_ticket(f, s);
	gint64 answers = queue_add_ticket(f, s);
	gint64 timeout = f->config->queue_call_timeout_seconds * G_TIME_SPAN_SECOND;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) history = NULL;
	const CbTicketEvent *last;

	queue_must(f, ACT_CALL, silent);
	cb_clock_advance(f->clock, timeout - G_TIME_SPAN_SECOND);
	g_assert_cmpint(queue_state_of(f, silent), ==, CB_TICKET_CALLED);
	queue_must(f, ACT_CALL, answers);
	cb_clock_advance(f->clock, G_TIME_SPAN_SECOND);
	g_assert_cmpint(queue_state_of(f, silent), ==, CB_TICKET_NO_SHOW);
	history = cb_store_ticket_history(f->store, silent, &error);
	last = g_ptr_array_index(history, history->len - 1);
	g_assert_cmpstr(last->reason, ==, "call-timeout");
	g_assert_cmpstr(last->via, ==, "system");
	/* an admitted citizen's timer is gone */
	queue_must(f, ACT_ADMIT, answers);
	cb_clock_advance(f->clock, 2 * timeout);
	g_assert_cmpint(queue_state_of(f, answers), ==, CB_TICKET_ADMITTED);
	g_assert_cmpuint(cb_clock_pending(f->clock), ==, 0);
}

static void
test_no_show_rearmed_at_start(QueueFixture *f, gconstpointer data)
{
	gint64 s = queue_make_session(f, CB_SESSION_LIVE);
	gint64 early = queue_add_ticket(f, s);
	gint64 late = queue_add_ticket(f, s);
	gint64 timeout = f->config->queue_call_timeout_seconds * G_TIME_SPAN_SECOND;
	g_autoptr(GError) error = NULL;

	queue_must(f, ACT_CALL, early);
	cb_clock_advance(f->clock, timeout / 2);
	queue_must(f, ACT_CALL, late);
	/* the daemon goes down; its timers with it */
	g_clear_object(&f->queue);
	g_clear_object(&f->store);
	g_assert_cmpuint(cb_clock_pending(f->clock), ==, 0);
	cb_clock_advance(f->clock, timeout / 2 + G_TIME_SPAN_SECOND);
	queue_fixture_open(f);
	g_assert_true(cb_queue_start(f->queue, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(cb_clock_pending(f->clock), ==, 2);
	/* a deadline that passed while down fires at once; the other on time */
	cb_clock_advance(f->clock, 0);
	g_assert_cmpint(queue_state_of(f, early), ==, CB_TICKET_NO_SHOW);
	g_assert_cmpint(queue_state_of(f, late), ==, CB_TICKET_CALLED);
	cb_clock_advance(f->clock, timeout / 2);
	g_assert_cmpint(queue_state_of(f, late), ==, CB_TICKET_NO_SHOW);
}

/* --- estimated wait ---------------------------------------------------------- */

static gint64
wait_of(QueueFixture *f, gint64 id, guint *position)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbQueueEntry) entry = cb_queue_get(f->queue, &f->staff, id, &error);

	g_assert_no_error(error);
	if (position != NULL)
		*position = entry->position;
	return entry->estimated_wait;
}

static void
test_estimate_default(QueueFixture *f, gconstpointer data)
{
	gint64 s = queue_make_session(f, CB_SESSION_LIVE);
	gint64 a = queue_add_ticket(f, s);
	gint64 b = queue_add_ticket(f, s);
	gint64 c = queue_add_ticket(f, s);
	guint position = 0;

	g_assert_cmpint(wait_of(f, a, &position), ==, 0);
	g_assert_cmpuint(position, ==, 1);
	g_assert_cmpint(wait_of(f, b, &position), ==, 15 * MINUTE);
	g_assert_cmpuint(position, ==, 2);
	g_assert_cmpint(wait_of(f, c, &position), ==, 30 * MINUTE);
	g_assert_cmpuint(position, ==, 3);
	/* a called ticket has left the line but still comes first */
	queue_must(f, ACT_CALL, a);
	g_assert_cmpint(wait_of(f, a, &position), ==, -1);
	g_assert_cmpuint(position, ==, 0);
	g_assert_cmpint(wait_of(f, b, &position), ==, 15 * MINUTE);
	g_assert_cmpuint(position, ==, 1);
}

/* serves one ticket of @category for @minutes in session @s */
static void
serve(QueueFixture *f, gint64 s, const char *category, gint64 minutes)
{
	TicketSpec spec = {.category = category, .priority = "merit"};
	gint64 id = queue_add_ticket_full(f, s, &spec);

	queue_must(f, ACT_CALL, id);
	queue_must(f, ACT_ADMIT, id);
	cb_clock_advance(f->clock, minutes * MINUTE);
	queue_must(f, ACT_FINISH, id);
}

static void
test_estimate_observed(QueueFixture *f, gconstpointer data)
{
	gint64 s = queue_make_session(f, CB_SESSION_LIVE);
	TicketSpec reflection = {.category = "reflection"};
	gint64 first, second, third;

	f->config->queue_service_time_samples = 3;
	cb_queue_reconfigure(f->queue, f->config);
	first = queue_add_ticket(f, s);
	second = queue_add_ticket_full(f, s, &reflection);
	third = queue_add_ticket(f, s);
	serve(f, s, "complaint", 10);
	serve(f, s, "complaint", 30);
	serve(f, s, "complaint", 20);
	/* complaints: median of 10, 30, 20; reflections: no data, the default */
	g_assert_cmpint(wait_of(f, first, NULL), ==, 0);
	g_assert_cmpint(wait_of(f, second, NULL), ==, 20 * MINUTE);
	g_assert_cmpint(wait_of(f, third, NULL), ==, 20 * MINUTE + 15 * MINUTE);
	/* a rolling window of the last three: 30, 20, 40 */
	serve(f, s, "complaint", 40);
	g_assert_cmpint(wait_of(f, second, NULL), ==, 30 * MINUTE);
	/* an even count takes the mean of the middle two */
	f->config->queue_service_time_samples = 4;
	cb_queue_reconfigure(f->queue, f->config);
	g_assert_cmpint(wait_of(f, second, NULL), ==, 25 * MINUTE);
	/* the admitted ticket ahead counts for what is left of its median */
	queue_must(f, ACT_CALL, first);
	queue_must(f, ACT_ADMIT, first);
	cb_clock_advance(f->clock, 10 * MINUTE);
	g_assert_cmpint(wait_of(f, second, NULL), ==, 15 * MINUTE);
	g_assert_cmpint(cb_queue_service_estimate(f->queue, CB_TICKET_CATEGORY_REFLECTION, NULL),
			==, 15 * MINUTE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	QUEUE_TEST_ADD("order/priority", test_order_priority);
	QUEUE_TEST_ADD("order/delegation", test_order_delegation);
	QUEUE_TEST_ADD("order/round-robin", test_order_round_robin);
	g_test_add_func("/civic-bridge/queue/order/sort", test_order_sort_is_pure);
	QUEUE_TEST_ADD("transitions/table", test_transitions_table);
	QUEUE_TEST_ADD("transitions/book-fields", test_transitions_record_book_fields);
	QUEUE_TEST_ADD("transitions/call-needs-running-session", test_call_needs_running_session);
	QUEUE_TEST_ADD("transitions/one-admitted", test_one_admitted);
	QUEUE_TEST_ADD("transitions/concurrent-admit", test_concurrent_admit);
	QUEUE_TEST_ADD("no-show/timer", test_no_show_by_timer);
	QUEUE_TEST_ADD("no-show/rearmed-at-start", test_no_show_rearmed_at_start);
	QUEUE_TEST_ADD("estimate/default", test_estimate_default);
	QUEUE_TEST_ADD("estimate/observed", test_estimate_observed);
	return g_test_run();
}
