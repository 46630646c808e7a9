/* the waiting queue on a real SQLite file with a fake clock */
#include <glib/gstdio.h>

#include "civic-bridge/cb-auth.h"
#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-queue.h"

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

static void
fixture_open(QueueFixture *f)
{
	g_autoptr(GError) error = NULL;

	f->store = cb_store_open(f->path, f->clock, &error);
	g_assert_no_error(error);
	f->queue = cb_queue_new(f->store, f->clock, f->config);
}

static void
fixture_setup(QueueFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->dir = g_dir_make_tmp("cb-queue-XXXXXX", &error);
	g_assert_no_error(error);
	f->path = g_build_filename(f->dir, "civic-bridge.db", NULL);
	/* 2026-11-17 01:00 UTC: a third Tuesday, 08:00 in Hanoi */
	f->clock = cb_clock_new_fake(G_GINT64_CONSTANT(1794877200) * G_TIME_SPAN_SECOND);
	f->config = cb_config_new_defaults();
	f->actor = (CbActor){.token_id = 7, .role = CB_ROLE_STAFF, .via = "test"};
	f->staff = (CbTokenRecord){.id = 7, .role = CB_ROLE_STAFF};
	fixture_open(f);
}

static void
fixture_teardown(QueueFixture *f, gconstpointer data)
{
	g_autoptr(GDir) dir = NULL;
	const char *name;

	g_clear_object(&f->queue);
	g_clear_object(&f->store);
	dir = g_dir_open(f->dir, 0, NULL);
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *child = g_build_filename(f->dir, name, NULL);
		g_unlink(child);
	}
	g_rmdir(f->dir);
	g_free(f->dir);
	g_free(f->path);
	cb_config_free(f->config);
	g_object_unref(f->clock);
}

/* a session that has reached @state */
static gint64
make_session(QueueFixture *f, CbSessionState state)
{
	static const CbSessionState path[] = {CB_SESSION_OPEN, CB_SESSION_LIVE, CB_SESSION_ENDED};
	gint64 now = cb_clock_now(f->clock);
	CbSession spec = {.title = "Tiếp công dân",
			  .kind = CB_SESSION_REGULAR,
			  .starts_at = now + HOUR,
			  .ends_at = now + 4 * HOUR,
			  .opens_at = now};
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSession) session = cb_store_session_insert(f->store, &f->actor, &spec, &error);
	CbSessionState at = CB_SESSION_SCHEDULED;

	g_assert_no_error(error);
	if (state == CB_SESSION_CANCELLED) {
		g_autoptr(CbSession) done = cb_store_session_transition(
			f->store, &f->actor, session->id, at, state, "test", &error);
		g_assert_no_error(error);
		return session->id;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(path) && at != state; i++) {
		g_autoptr(CbSession) next = cb_store_session_transition(
			f->store, &f->actor, session->id, at, path[i], NULL, &error);
		g_assert_no_error(error);
		at = path[i];
	}
	return session->id;
}

static void
set_session_state(QueueFixture *f, gint64 id, CbSessionState from, CbSessionState to)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSession) session =
		cb_store_session_transition(f->store, &f->actor, id, from, to, "test", &error);

	g_assert_no_error(error);
	cb_queue_session_changed(f->queue, session, &error);
	g_assert_no_error(error);
}

static gint64
make_bridge_point(QueueFixture *f, const char *code)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbBridgePoint) bp =
		cb_store_bridge_point_insert(f->store, &f->actor, code, code, NULL, &error);

	g_assert_no_error(error);
	return bp->id;
}

typedef struct {
	const char *category;
	const char *priority;
	gint64 bridge_point_id;
	gint64 persons;
} TicketSpec;

static gint64
add_ticket_full(QueueFixture *f, gint64 session_id, const TicketSpec *t)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTicket) ticket = NULL;
	CbTicketRequest request = {
		.session_id = session_id,
		.category = t->category != NULL ? t->category : "complaint",
		.summary = "Đề nghị giải quyết tranh chấp đất đai",
		.has_persons = t->persons > 0,
		.persons = t->persons,
		.bridge_point_id = t->bridge_point_id,
		.priority = t->priority,
		.citizen_name = SECRET_NAME,
		.address = SECRET_ADDRESS,
		.id_number = SECRET_ID,
		.contact = SECRET_CONTACT,
	};

	ticket = cb_queue_register(f->queue, &f->staff, &f->actor, &request, &error);
	g_assert_no_error(error);
	return ticket->id;
}

static gint64
add_ticket(QueueFixture *f, gint64 session_id)
{
	TicketSpec spec = {0};

	return add_ticket_full(f, session_id, &spec);
}

static CbTicket *
get_ticket(QueueFixture *f, gint64 id)
{
	g_autoptr(GError) error = NULL;
	CbTicket *ticket = cb_store_ticket_get(f->store, id, &error);

	g_assert_no_error(error);
	return ticket;
}

static CbTicketState
state_of(QueueFixture *f, gint64 id)
{
	g_autoptr(CbTicket) ticket = get_ticket(f, id);

	return ticket->state;
}

static gint64
session_of(QueueFixture *f, gint64 id)
{
	g_autoptr(CbTicket) ticket = get_ticket(f, id);

	return ticket->session_id;
}

/* the ids of a session's waiting tickets in queue order */
static char *
waiting_order(QueueFixture *f, gint64 session_id, gint64 *ids, guint n)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) line = cb_queue_list_session(f->queue, session_id, NULL, &error);
	g_autoptr(GString) text = g_string_new(NULL);

	g_assert_no_error(error);
	for (guint i = 0; i < line->len; i++) {
		const CbQueueEntry *entry = g_ptr_array_index(line, i);
		if (entry->ticket->state != CB_TICKET_WAITING)
			continue;
		g_assert_cmpuint(entry->position, ==, text->len == 0 ? 1 : entry->position);
		/* names the tickets by their index in @ids */
		for (guint k = 0; k < n; k++) {
			if (ids[k] == entry->ticket->id)
				g_string_append_printf(text, "%s%u", text->len > 0 ? " " : "", k);
		}
	}
	return g_string_free(g_steal_pointer(&text), FALSE);
}

/* --- order ------------------------------------------------------------------- */

static void
test_order_priority(QueueFixture *f, gconstpointer data)
{
	gint64 s = make_session(f, CB_SESSION_OPEN);
	const char *priorities[] = {"none", "elderly",   NULL,        "merit",
				    "none", "pregnancy", "disability"};
	gint64 ids[G_N_ELEMENTS(priorities)];
	g_autofree char *order = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(priorities); i++) {
		TicketSpec spec = {.priority = priorities[i]};
		ids[i] = add_ticket_full(f, s, &spec);
	}
	order = waiting_order(f, s, ids, G_N_ELEMENTS(ids));
	/* every class but none first, by arrival; then none by arrival */
	g_assert_cmpstr(order, ==, "1 3 5 6 0 2 4");
}

static void
test_order_delegation(QueueFixture *f, gconstpointer data)
{
	gint64 s = make_session(f, CB_SESSION_OPEN);
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

	ids[0] = add_ticket(f, s);
	delegation = cb_queue_register(f->queue, &f->staff, &f->actor, &request, &error);
	g_assert_no_error(error);
	ids[1] = delegation->id;
	ids[2] = add_ticket(f, s);
	/* a delegation is one ticket, in the line by its arrival like any other */
	order = waiting_order(f, s, ids, 3);
	g_assert_cmpstr(order, ==, "0 1 2");
	stored = get_ticket(f, delegation->id);
	g_assert_cmpint(stored->persons, ==, 40);
	g_assert_cmpuint(g_strv_length(stored->representatives), ==, 5);
	g_assert_cmpstr(stored->representatives[1], ==, "Lê Thị B");
}

static void
test_order_round_robin(QueueFixture *f, gconstpointer data)
{
	gint64 s = make_session(f, CB_SESSION_OPEN);
	gint64 a = make_bridge_point(f, "ba-dinh");
	gint64 b = make_bridge_point(f, "soc-son");
	/* arrivals: a a a b hall a(elderly) b */
	TicketSpec specs[] = {{.bridge_point_id = a}, {.bridge_point_id = a},
			      {.bridge_point_id = a}, {.bridge_point_id = b},
			      {.bridge_point_id = 0}, {.bridge_point_id = a, .priority = "elderly"},
			      {.bridge_point_id = b}};
	gint64 ids[G_N_ELEMENTS(specs)];
	g_autofree char *by_arrival = NULL;
	g_autofree char *in_turn = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(specs); i++)
		ids[i] = add_ticket_full(f, s, &specs[i]);
	by_arrival = waiting_order(f, s, ids, G_N_ELEMENTS(ids));
	g_assert_cmpstr(by_arrival, ==, "5 0 1 2 3 4 6");

	f->config->queue_round_robin = TRUE;
	cb_queue_reconfigure(f->queue, f->config);
	in_turn = waiting_order(f, s, ids, G_N_ELEMENTS(ids));
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

typedef enum {
	ACT_CALL,
	ACT_ADMIT,
	ACT_FINISH,
	ACT_DEFER,
	ACT_REFUSE,
	ACT_CANCEL,
	N_ACTS,
} Act;

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

static CbTicket *
act(QueueFixture *f, Act a, gint64 id, GError **error)
{
	switch (a) {
	case ACT_CALL:
		return cb_queue_call(f->queue, &f->actor, id, error);
	case ACT_ADMIT:
		return cb_queue_admit(f->queue, &f->actor, id, error);
	case ACT_FINISH:
		return cb_queue_finish(f->queue, &f->actor, id, "guided", "hướng dẫn gửi đơn", NULL,
				       error);
	case ACT_DEFER:
		return cb_queue_defer(f->queue, &f->actor, id, error);
	case ACT_REFUSE:
		return cb_queue_refuse(f->queue, &f->actor, id, "not-competent", NULL, error);
	case ACT_CANCEL:
		return cb_queue_cancel(f->queue, &f->staff, &f->actor, id, error);
	case N_ACTS:
		break;
	}
	g_assert_not_reached();
	return NULL;
}

static void
must(QueueFixture *f, Act a, gint64 id)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTicket) ticket = act(f, a, id, &error);

	g_assert_no_error(error);
}

/* a ticket, in a session of its own, driven to @state */
static gint64
ticket_in_state(QueueFixture *f, CbTicketState state)
{
	gint64 s = make_session(f, CB_SESSION_LIVE);
	gint64 id = add_ticket(f, s);

	switch (state) {
	case CB_TICKET_WAITING:
		break;
	case CB_TICKET_CALLED:
		must(f, ACT_CALL, id);
		break;
	case CB_TICKET_ADMITTED:
		must(f, ACT_CALL, id);
		must(f, ACT_ADMIT, id);
		break;
	case CB_TICKET_DONE:
		must(f, ACT_CALL, id);
		must(f, ACT_ADMIT, id);
		must(f, ACT_FINISH, id);
		break;
	case CB_TICKET_NO_SHOW:
		must(f, ACT_CALL, id);
		cb_clock_advance(f->clock,
				 f->config->queue_call_timeout_seconds * G_TIME_SPAN_SECOND);
		break;
	case CB_TICKET_CANCELLED:
		must(f, ACT_CANCEL, id);
		break;
	case CB_TICKET_DEFERRED:
		must(f, ACT_DEFER, id);
		break;
	case CB_TICKET_REFUSED:
		must(f, ACT_REFUSE, id);
		break;
	}
	g_assert_cmpint(state_of(f, id), ==, state);
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
			ticket = act(f, a, id, &error);
			g_test_message("%s from %s", act_names[a], cb_ticket_state_to_string(from));
			if (want >= 0) {
				g_assert_no_error(error);
				g_assert_cmpint(ticket->state, ==, want);
				g_assert_cmpint(state_of(f, id), ==, want);
				/* recorded in the history, one entry per transition */
				g_assert_cmpuint(history_length(f, id), ==, before + 1);
				allowed_seen++;
			} else {
				g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
				/* the error names the state the ticket is in */
				g_assert_nonnull(
					strstr(error->message, cb_ticket_state_to_string(from)));
				g_assert_cmpint(state_of(f, id), ==, from);
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
	gint64 scheduled = make_session(f, CB_SESSION_SCHEDULED);
	gint64 id = add_ticket(f, scheduled);
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTicket) ticket = cb_queue_call(f->queue, &f->actor, id, &error);

	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
	g_assert_nonnull(strstr(error->message, "scheduled"));
	g_assert_cmpint(state_of(f, id), ==, CB_TICKET_WAITING);
}

static void
test_one_admitted(QueueFixture *f, gconstpointer data)
{
	gint64 s = make_session(f, CB_SESSION_LIVE);
	gint64 a = add_ticket(f, s);
	gint64 b = add_ticket(f, s);
	gint64 other = ticket_in_state(f, CB_TICKET_CALLED); /* another session */
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTicket) second = NULL;

	must(f, ACT_CALL, a);
	must(f, ACT_ADMIT, a);
	must(f, ACT_CALL, b);
	second = cb_queue_admit(f->queue, &f->actor, b, &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
	g_assert_nonnull(strstr(error->message, "one citizen is admitted at a time"));
	g_clear_error(&error);
	g_assert_cmpint(state_of(f, b), ==, CB_TICKET_CALLED);
	/* another session has its own admitted citizen */
	must(f, ACT_ADMIT, other);
	must(f, ACT_FINISH, a);
	must(f, ACT_ADMIT, b);
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
	g_assert_cmpint(state_of(f, id), ==, CB_TICKET_ADMITTED);
	/* called -> admitted once in the history: created, called, admitted */
	g_assert_cmpuint(history_length(f, id), ==, 3);
	g_mutex_clear(&lock);
	g_cond_clear(&cond);
}

/* --- no-show ------------------------------------------------------------------ */

static void
test_no_show_by_timer(QueueFixture *f, gconstpointer data)
{
	gint64 s = make_session(f, CB_SESSION_LIVE);
	gint64 silent = add_ticket(f, s);
	gint64 answers = add_ticket(f, s);
	gint64 timeout = f->config->queue_call_timeout_seconds * G_TIME_SPAN_SECOND;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) history = NULL;
	const CbTicketEvent *last;

	must(f, ACT_CALL, silent);
	cb_clock_advance(f->clock, timeout - G_TIME_SPAN_SECOND);
	g_assert_cmpint(state_of(f, silent), ==, CB_TICKET_CALLED);
	must(f, ACT_CALL, answers);
	cb_clock_advance(f->clock, G_TIME_SPAN_SECOND);
	g_assert_cmpint(state_of(f, silent), ==, CB_TICKET_NO_SHOW);
	history = cb_store_ticket_history(f->store, silent, &error);
	last = g_ptr_array_index(history, history->len - 1);
	g_assert_cmpstr(last->reason, ==, "call-timeout");
	g_assert_cmpstr(last->via, ==, "system");
	/* an admitted citizen's timer is gone */
	must(f, ACT_ADMIT, answers);
	cb_clock_advance(f->clock, 2 * timeout);
	g_assert_cmpint(state_of(f, answers), ==, CB_TICKET_ADMITTED);
	g_assert_cmpuint(cb_clock_pending(f->clock), ==, 0);
}

static void
test_no_show_rearmed_at_start(QueueFixture *f, gconstpointer data)
{
	gint64 s = make_session(f, CB_SESSION_LIVE);
	gint64 early = add_ticket(f, s);
	gint64 late = add_ticket(f, s);
	gint64 timeout = f->config->queue_call_timeout_seconds * G_TIME_SPAN_SECOND;
	g_autoptr(GError) error = NULL;

	must(f, ACT_CALL, early);
	cb_clock_advance(f->clock, timeout / 2);
	must(f, ACT_CALL, late);
	/* the daemon goes down; its timers with it */
	g_clear_object(&f->queue);
	g_clear_object(&f->store);
	g_assert_cmpuint(cb_clock_pending(f->clock), ==, 0);
	cb_clock_advance(f->clock, timeout / 2 + G_TIME_SPAN_SECOND);
	fixture_open(f);
	g_assert_true(cb_queue_start(f->queue, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(cb_clock_pending(f->clock), ==, 2);
	/* a deadline that passed while down fires at once; the other on time */
	cb_clock_advance(f->clock, 0);
	g_assert_cmpint(state_of(f, early), ==, CB_TICKET_NO_SHOW);
	g_assert_cmpint(state_of(f, late), ==, CB_TICKET_CALLED);
	cb_clock_advance(f->clock, timeout / 2);
	g_assert_cmpint(state_of(f, late), ==, CB_TICKET_NO_SHOW);
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
	gint64 s = make_session(f, CB_SESSION_LIVE);
	gint64 a = add_ticket(f, s);
	gint64 b = add_ticket(f, s);
	gint64 c = add_ticket(f, s);
	guint position = 0;

	g_assert_cmpint(wait_of(f, a, &position), ==, 0);
	g_assert_cmpuint(position, ==, 1);
	g_assert_cmpint(wait_of(f, b, &position), ==, 15 * MINUTE);
	g_assert_cmpuint(position, ==, 2);
	g_assert_cmpint(wait_of(f, c, &position), ==, 30 * MINUTE);
	g_assert_cmpuint(position, ==, 3);
	/* a called ticket has left the line but still comes first */
	must(f, ACT_CALL, a);
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
	gint64 id = add_ticket_full(f, s, &spec);

	must(f, ACT_CALL, id);
	must(f, ACT_ADMIT, id);
	cb_clock_advance(f->clock, minutes * MINUTE);
	must(f, ACT_FINISH, id);
}

static void
test_estimate_observed(QueueFixture *f, gconstpointer data)
{
	gint64 s = make_session(f, CB_SESSION_LIVE);
	TicketSpec reflection = {.category = "reflection"};
	gint64 first, second, third;

	f->config->queue_service_time_samples = 3;
	cb_queue_reconfigure(f->queue, f->config);
	first = add_ticket(f, s);
	second = add_ticket_full(f, s, &reflection);
	third = add_ticket(f, s);
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
	must(f, ACT_CALL, first);
	must(f, ACT_ADMIT, first);
	cb_clock_advance(f->clock, 10 * MINUTE);
	g_assert_cmpint(wait_of(f, second, NULL), ==, 15 * MINUTE);
	g_assert_cmpint(cb_queue_service_estimate(f->queue, CB_TICKET_CATEGORY_REFLECTION, NULL),
			==, 15 * MINUTE);
}

/* --- validation and limits --------------------------------------------------- */

static void
test_validation(QueueFixture *f, gconstpointer data)
{
	gint64 s = make_session(f, CB_SESSION_OPEN);
	g_autofree char *long_summary = g_strnfill(2001, 'a');
	g_autofree char *max_summary = g_strnfill(2000, 'a');
	const char *six[] = {"A", "B", "C", "D", "E", "F", NULL};
	const char *five[] = {"A", "B", "C", "D", "E", NULL};
	const char *blank[] = {"  ", NULL};
	const struct {
		CbTicketRequest request;
		const char *needle;
	} cases[] = {
		{{.summary = "x"}, "'category'"},
		{{.category = "petition", .summary = "x"}, "'category'"},
		{{.category = "complaint"}, "'summary' is required"},
		{{.category = "complaint", .summary = "   "}, "'summary'"},
		{{.category = "complaint", .summary = long_summary}, "at most 2000"},
		{{.category = "complaint", .summary = "x", .has_persons = TRUE, .persons = 0},
		 "'persons' must be from 1 to 200"},
		{{.category = "complaint", .summary = "x", .has_persons = TRUE, .persons = 201},
		 "'persons'"},
		{{.category = "complaint",
		  .summary = "x",
		  .has_persons = TRUE,
		  .persons = 10,
		  .representatives = six},
		 "at most 5"},
		{{.category = "complaint",
		  .summary = "x",
		  .has_persons = TRUE,
		  .persons = 4,
		  .representatives = five},
		 "delegation of 5 or more"},
		{{.category = "complaint", .summary = "x", .representatives = five},
		 "'representatives'"},
		{{.category = "complaint",
		  .summary = "x",
		  .has_persons = TRUE,
		  .persons = 9,
		  .representatives = blank},
		 "'representatives'"},
		{{.category = "complaint", .summary = "x", .priority = "vip"}, "'priority'"},
		{{.category = "complaint", .summary = "x", .channel = "fax"}, "'channel'"},
		{{.category = "complaint", .summary = "x", .id_number = "0010-99 " SECRET_ID},
		 "'id_number'"},
		{{.category = "complaint", .summary = "x", .citizen_name = long_summary},
		 "'citizen_name'"},
		{{.category = "complaint", .summary = "x", .address = long_summary}, "'address'"},
		{{.category = "complaint", .summary = "x", .contact = long_summary}, "'contact'"},
		{{.category = "complaint", .summary = "x", .bridge_point_id = 999},
		 "'bridge_point_id'"},
		{{.category = "complaint", .summary = "x", .session_id = 999}, "'session_id'"},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(CbTicket) ticket = NULL;
		CbTicketRequest request = cases[i].request;

		if (request.session_id == 0)
			request.session_id = s;
		ticket = cb_queue_register(f->queue, &f->staff, &f->actor, &request, &error);
		g_assert_null(ticket);
		g_assert_error(error, CB_ERROR, CB_ERROR_INVALID);
		if (strstr(error->message, cases[i].needle) == NULL)
			g_error("case %zu: wanted '%s' in '%s'", i, cases[i].needle,
				error->message);
		/* an error never repeats what was sent */
		g_assert_null(strstr(error->message, SECRET_ID));
		g_assert_null(strstr(error->message, "aaaa"));
	}
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) none = NULL;
		g_autoptr(CbTicket) ok = NULL;
		CbTicketFilter all = CB_TICKET_FILTER_INIT;
		CbTicketRequest edge = {.session_id = s,
					.category = "reflection",
					.summary = max_summary,
					.has_persons = TRUE,
					.persons = 200,
					.representatives = five};

		none = cb_store_ticket_list(f->store, &all, &error);
		g_assert_cmpuint(none->len, ==, 0);
		ok = cb_queue_register(f->queue, &f->staff, &f->actor, &edge, &error);
		g_assert_no_error(error);
		g_assert_cmpint(ok->channel, ==, CB_TICKET_CHANNEL_WALK_IN);
	}
}

static void
test_limits(QueueFixture *f, gconstpointer data)
{
	gint64 s = make_session(f, CB_SESSION_OPEN);
	gint64 bp = make_bridge_point(f, "dong-anh");
	gint64 ended = make_session(f, CB_SESSION_ENDED);
	gint64 cancelled = make_session(f, CB_SESSION_CANCELLED);
	TicketSpec at_bp = {.bridge_point_id = bp};
	CbTicketRequest request = {.category = "complaint", .summary = "x"};
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTicket) ticket = NULL;

	f->config->queue_max_open_per_session = 3;
	f->config->queue_max_open_per_bridge_point = 1;
	cb_queue_reconfigure(f->queue, f->config);
	add_ticket_full(f, s, &at_bp);
	request.session_id = s;
	request.bridge_point_id = bp;
	ticket = cb_queue_register(f->queue, &f->staff, &f->actor, &request, &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
	g_assert_nonnull(strstr(error->message, "bridge point"));
	g_clear_error(&error);
	add_ticket(f, s);
	add_ticket(f, s);
	request.bridge_point_id = 0;
	ticket = cb_queue_register(f->queue, &f->staff, &f->actor, &request, &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
	g_assert_nonnull(strstr(error->message, "full"));
	g_clear_error(&error);
	/* sessions that are over take no one */
	request.session_id = ended;
	ticket = cb_queue_register(f->queue, &f->staff, &f->actor, &request, &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
	g_assert_nonnull(strstr(error->message, "ended"));
	g_clear_error(&error);
	request.session_id = cancelled;
	ticket = cb_queue_register(f->queue, &f->staff, &f->actor, &request, &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
	g_assert_nonnull(strstr(error->message, "cancelled"));
}

static void
test_operator_registers_at_own_point(QueueFixture *f, gconstpointer data)
{
	gint64 own = make_bridge_point(f, "gia-lam");
	gint64 other = make_bridge_point(f, "me-linh");
	CbTokenRecord op = {.id = 3, .role = CB_ROLE_OPERATOR, .bridge_point_id = own};
	CbActor actor = {.token_id = 3, .role = CB_ROLE_OPERATOR, .via = "test"};
	CbTicketRequest request = {.category = "reflection", .summary = "Phản ánh về đường"};
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTicket) walk_in = NULL;
	g_autoptr(CbTicket) elsewhere = NULL;
	g_autoptr(CbTicket) online = NULL;

	make_session(f, CB_SESSION_OPEN);
	walk_in = cb_queue_register(f->queue, &op, &actor, &request, &error);
	g_assert_no_error(error);
	g_assert_cmpint(walk_in->bridge_point_id, ==, own);
	g_assert_cmpint(walk_in->channel, ==, CB_TICKET_CHANNEL_WALK_IN);
	request.bridge_point_id = other;
	elsewhere = cb_queue_register(f->queue, &op, &actor, &request, &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_FORBIDDEN);
	g_clear_error(&error);
	request.bridge_point_id = 0;
	request.channel = "online";
	online = cb_queue_register(f->queue, &op, &actor, &request, &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID);
}

/* --- public registration --------------------------------------------------------- */

static void
test_public_rate_limit(QueueFixture *f, gconstpointer data)
{
	CbTicketRequest request = {.category = "recommendation", .summary = "Kiến nghị"};
	g_autoptr(GError) error = NULL;

	f->config->queue_register_limit = 2;
	f->config->queue_register_window_seconds = 600;
	cb_queue_reconfigure(f->queue, f->config);
	for (guint i = 0; i < 2; i++) {
		g_autofree char *token = NULL;
		g_autoptr(CbTicket) ticket = cb_queue_register_public(
			f->queue, "192.0.2.1", &request, &token, NULL, &error);
		g_autoptr(CbTokenRecord) holder = NULL;

		g_assert_no_error(error);
		g_assert_cmpint(ticket->channel, ==, CB_TICKET_CHANNEL_ONLINE);
		/* the next session's line: nothing is open */
		g_assert_cmpint(ticket->session_id, ==, 0);
		/* the token opens this ticket, as a citizen */
		holder = cb_auth_resolve(f->store, f->clock, token, &error);
		g_assert_no_error(error);
		g_assert_cmpint(holder->role, ==, CB_ROLE_CITIZEN);
		g_assert_cmpint(holder->ticket_id, ==, ticket->id);
	}
	{
		g_autofree char *token = NULL;
		guint retry = 0;
		g_autoptr(CbTicket) third = cb_queue_register_public(
			f->queue, "192.0.2.1", &request, &token, &retry, &error);
		g_autoptr(CbTicket) elsewhere = NULL;

		g_assert_error(error, CB_ERROR, CB_ERROR_RATE_LIMITED);
		g_assert_cmpuint(retry, >, 0);
		g_assert_null(token);
		g_clear_error(&error);
		elsewhere = cb_queue_register_public(f->queue, "192.0.2.2", &request, &token, NULL,
						     &error);
		g_assert_no_error(error);
		g_clear_pointer(&token, g_free);
		/* the window passes */
		cb_clock_advance(f->clock, 601 * G_TIME_SPAN_SECOND);
		g_clear_pointer(&third, cb_ticket_free);
		third = cb_queue_register_public(f->queue, "192.0.2.1", &request, &token, NULL,
						 &error);
		g_assert_no_error(error);
	}
	{
		/* a citizen cannot claim to be a walk-in */
		g_autofree char *token = NULL;
		g_autoptr(CbTicket) ticket = NULL;
		request.channel = "walk-in";
		ticket = cb_queue_register_public(f->queue, "192.0.2.3", &request, &token, NULL,
						  &error);
		g_assert_error(error, CB_ERROR, CB_ERROR_INVALID);
	}
}

/* --- sessions opening and ending --------------------------------------------------- */

static void
test_next_session_and_deferral(QueueFixture *f, gconstpointer data)
{
	gint64 first = make_session(f, CB_SESSION_LIVE);
	gint64 kept = add_ticket(f, first);
	gint64 left = add_ticket(f, first);
	gint64 called = add_ticket(f, first);
	gint64 next = 0, later = 0, second = 0;
	gint64 ids[4];
	g_autofree char *order = NULL;

	must(f, ACT_DEFER, kept);
	must(f, ACT_CALL, called);
	/* the session ends: who still waits or was called keeps a place */
	set_session_state(f, first, CB_SESSION_LIVE, CB_SESSION_ENDED);
	g_assert_cmpint(state_of(f, left), ==, CB_TICKET_DEFERRED);
	g_assert_cmpint(state_of(f, called), ==, CB_TICKET_DEFERRED);
	g_assert_cmpuint(cb_clock_pending(f->clock), ==, 0);
	/* nothing is open: a new ticket waits for the next session */
	next = add_ticket(f, 0);
	g_assert_cmpint(session_of(f, next), ==, 0);
	second = make_session(f, CB_SESSION_SCHEDULED);
	later = add_ticket(f, second);
	set_session_state(f, second, CB_SESSION_SCHEDULED, CB_SESSION_OPEN);
	ids[0] = kept;
	ids[1] = left;
	ids[2] = called;
	ids[3] = next;
	order = waiting_order(f, second, ids, 4);
	/* deferred tickets come back with their arrival order, ahead of newer ones */
	g_assert_cmpstr(order, ==, "0 1 2 3");
	g_assert_cmpint(session_of(f, later), ==, second);
	g_assert_cmpint(session_of(f, next), ==, second);
	g_assert_cmpint(state_of(f, kept), ==, CB_TICKET_WAITING);
}

static void
test_start_catches_up(QueueFixture *f, gconstpointer data)
{
	gint64 waiting_next = add_ticket(f, 0);
	gint64 gone = make_session(f, CB_SESSION_LIVE);
	gint64 stranded = add_ticket(f, gone);
	gint64 open = make_session(f, CB_SESSION_OPEN);
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSession) ended = NULL;

	/* the session ended and another opened while nobody told the queue */
	ended = cb_store_session_transition(f->store, &f->actor, gone, CB_SESSION_LIVE,
					    CB_SESSION_ENDED, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(cb_queue_start(f->queue, &error));
	g_assert_no_error(error);
	g_assert_cmpint(session_of(f, stranded), ==, open);
	g_assert_cmpint(state_of(f, stranded), ==, CB_TICKET_WAITING);
	g_assert_cmpint(session_of(f, waiting_next), ==, open);
}

static void
test_default_session_is_running_one(QueueFixture *f, gconstpointer data)
{
	gint64 scheduled = make_session(f, CB_SESSION_SCHEDULED);
	gint64 open = make_session(f, CB_SESSION_OPEN);
	gint64 live = make_session(f, CB_SESSION_LIVE);
	gint64 id = add_ticket(f, 0);

	(void)scheduled;
	(void)open;
	g_assert_cmpint(session_of(f, id), ==, live);
}

/* --- moves ------------------------------------------------------------------------ */

static void
test_move(QueueFixture *f, gconstpointer data)
{
	gint64 s = make_session(f, CB_SESSION_OPEN);
	TicketSpec elderly = {.priority = "elderly"};
	gint64 ids[5];
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTicket) moved = NULL;
	g_autoptr(GPtrArray) audit = NULL;
	const CbAuditEntry *entry;
	g_autofree char *o1 = NULL, *o2 = NULL, *o3 = NULL;

	ids[0] = add_ticket_full(f, s, &elderly);
	for (guint i = 1; i < 5; i++)
		ids[i] = add_ticket(f, s);
	moved = cb_queue_move(f->queue, &f->actor, ids[4], ids[1], 0, "đi từ xa", &error);
	g_assert_no_error(error);
	o1 = waiting_order(f, s, ids, 5);
	g_assert_cmpstr(o1, ==, "0 4 1 2 3");
	audit = cb_store_audit_list(f->store, 0, 1, &error);
	entry = g_ptr_array_index(audit, 0);
	g_assert_cmpstr(entry->action, ==, "ticket.move");
	g_assert_nonnull(strstr(entry->detail, "đi từ xa"));
	g_clear_pointer(&moved, cb_ticket_free);
	/* to a position: the 4th place */
	moved = cb_queue_move(f->queue, &f->actor, ids[1], 0, 4, "giấy tờ chưa đủ", &error);
	g_assert_no_error(error);
	o2 = waiting_order(f, s, ids, 5);
	g_assert_cmpstr(o2, ==, "0 4 2 1 3");
	g_clear_pointer(&moved, cb_ticket_free);
	/* past the end: last */
	moved = cb_queue_move(f->queue, &f->actor, ids[4], 0, 99, "xếp lại", &error);
	g_assert_no_error(error);
	o3 = waiting_order(f, s, ids, 5);
	g_assert_cmpstr(o3, ==, "0 2 1 3 4");
	/* the priority class decides first: no move across it */
	g_clear_pointer(&moved, cb_ticket_free);
	moved = cb_queue_move(f->queue, &f->actor, ids[2], ids[0], 0, "x", &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
	g_clear_error(&error);
	moved = cb_queue_move(f->queue, &f->actor, ids[2], 0, 1, "x", &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
	g_assert_nonnull(strstr(error->message, "places 2 to 5"));
	g_clear_error(&error);
	moved = cb_queue_move(f->queue, &f->actor, ids[0], 0, 2, "x", &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
	g_clear_error(&error);
	moved = cb_queue_move(f->queue, &f->actor, ids[2], ids[3], 0, NULL, &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID);
	g_assert_nonnull(strstr(error->message, "'reason'"));
	g_clear_error(&error);
	moved = cb_queue_move(f->queue, &f->actor, ids[2], ids[3], 2, "x", &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID);
	g_clear_error(&error);
	must(f, ACT_CALL, ids[3]);
	moved = cb_queue_move(f->queue, &f->actor, ids[3], ids[2], 0, "x", &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
}

/* --- who sees what; what is written down ----------------------------------------------- */

static void
test_views(QueueFixture *f, gconstpointer data)
{
	gint64 s = make_session(f, CB_SESSION_OPEN);
	gint64 bp = make_bridge_point(f, "hoan-kiem");
	TicketSpec denunciation = {.category = "denunciation", .bridge_point_id = bp};
	TicketSpec complaint = {.category = "complaint", .bridge_point_id = bp};
	g_autoptr(CbTicket) d = get_ticket(f, add_ticket_full(f, s, &denunciation));
	g_autoptr(CbTicket) c = get_ticket(f, add_ticket_full(f, s, &complaint));
	CbTokenRecord admin = {.role = CB_ROLE_ADMIN};
	CbTokenRecord op = {.role = CB_ROLE_OPERATOR, .bridge_point_id = bp};
	CbTokenRecord other_op = {.role = CB_ROLE_OPERATOR, .bridge_point_id = bp + 1};
	CbTokenRecord holder = {.role = CB_ROLE_CITIZEN, .ticket_id = d->id};
	CbTicketView view;
	g_autoptr(GError) error = NULL;
	g_autoptr(CbQueueEntry) none = NULL;
	g_autoptr(GPtrArray) theirs = NULL;
	CbTicketFilter filter = CB_TICKET_FILTER_INIT;

	g_assert_true(cb_queue_view_for(&admin, d, &view));
	g_assert_true(cb_ticket_view_shows_identity(view, d));
	g_assert_true(cb_queue_view_for(&f->staff, d, &view));
	g_assert_true(cb_ticket_view_shows_identity(view, d));
	g_assert_true(cb_queue_view_for(&op, d, &view));
	g_assert_false(cb_ticket_view_shows_identity(view, d));
	g_assert_true(cb_queue_view_for(&op, c, &view));
	g_assert_true(cb_ticket_view_shows_identity(view, c));
	g_assert_false(cb_queue_view_for(&other_op, c, &view));
	g_assert_true(cb_queue_view_for(&holder, d, &view));
	g_assert_true(cb_ticket_view_shows_identity(view, d));
	g_assert_false(cb_queue_view_for(&holder, c, &view));
	/* someone else's ticket is not found, with the message of a missing one */
	none = cb_queue_get(f->queue, &holder, c->id, &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_NOT_FOUND);
	g_clear_error(&error);
	none = cb_queue_get(f->queue, &other_op, c->id, &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_NOT_FOUND);
	g_clear_error(&error);
	/* an operator's list is their bridge point's, whatever they ask */
	filter.bridge_point_id = CB_TICKET_FILTER_NONE;
	theirs = cb_queue_list(f->queue, &other_op, &filter, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(theirs->len, ==, 0);
}

static void
test_audit_has_no_personal_data(QueueFixture *f, gconstpointer data)
{
	gint64 s = make_session(f, CB_SESSION_LIVE);
	TicketSpec denunciation = {.category = "denunciation", .persons = 6};
	gint64 a = add_ticket_full(f, s, &denunciation);
	gint64 b = add_ticket(f, s);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) audit = NULL;
	g_autofree char *token = NULL;
	CbTicketRequest request = {.category = "denunciation",
				   .summary = "Tố cáo",
				   .citizen_name = SECRET_NAME,
				   .id_number = SECRET_ID,
				   .contact = SECRET_CONTACT,
				   .address = SECRET_ADDRESS};
	g_autoptr(CbTicket) online =
		cb_queue_register_public(f->queue, "198.51.100.7", &request, &token, NULL, &error);
	g_autoptr(CbTicket) moved = NULL;

	g_assert_no_error(error);
	must(f, ACT_CALL, a);
	must(f, ACT_ADMIT, a);
	must(f, ACT_FINISH, a);
	moved = cb_queue_move(f->queue, &f->actor, online->id, b, 0, "ưu tiên", &error);
	g_assert_no_error(error);
	must(f, ACT_REFUSE, b);
	audit = cb_store_audit_list(f->store, 0, 1000, &error);
	g_assert_cmpuint(audit->len, >=, 7);
	for (guint i = 0; i < audit->len; i++) {
		const CbAuditEntry *entry = g_ptr_array_index(audit, i);
		const char *secrets[] = {SECRET_NAME, SECRET_ADDRESS, SECRET_ID, SECRET_CONTACT,
					 token};
		for (gsize k = 0; k < G_N_ELEMENTS(secrets); k++) {
			g_assert_null(entry->detail != NULL ? strstr(entry->detail, secrets[k])
							    : NULL);
			g_assert_null(entry->target != NULL ? strstr(entry->target, secrets[k])
							    : NULL);
		}
	}
}

typedef struct {
	GArray *tickets;
	GArray *queues;
} Heard;

static void
ticket_changed_cb(CbQueue *queue, gint64 ticket, gint64 session, gpointer data)
{
	g_array_append_val(((Heard *)data)->tickets, ticket);
}

static void
queue_changed_cb(CbQueue *queue, gint64 session, gpointer data)
{
	g_array_append_val(((Heard *)data)->queues, session);
}

static void
test_signals(QueueFixture *f, gconstpointer data)
{
	gint64 s = make_session(f, CB_SESSION_LIVE);
	gint64 id = add_ticket(f, s);
	Heard heard = {g_array_new(FALSE, FALSE, sizeof(gint64)),
		       g_array_new(FALSE, FALSE, sizeof(gint64))};
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTicket) wrong = NULL;

	g_signal_connect(f->queue, "ticket-changed", G_CALLBACK(ticket_changed_cb), &heard);
	g_signal_connect(f->queue, "queue-changed", G_CALLBACK(queue_changed_cb), &heard);
	must(f, ACT_CALL, id);
	g_assert_cmpuint(heard.tickets->len, ==, 1);
	g_assert_cmpint(g_array_index(heard.tickets, gint64, 0), ==, id);
	g_assert_cmpuint(heard.queues->len, ==, 1);
	g_assert_cmpint(g_array_index(heard.queues, gint64, 0), ==, s);
	/* a refused transition changes nothing and says nothing */
	wrong = cb_queue_finish(f->queue, &f->actor, id, "accepted", NULL, NULL, &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
	g_assert_cmpuint(heard.tickets->len, ==, 1);
	/* a new ticket is heard of too */
	add_ticket(f, s);
	g_assert_cmpuint(heard.tickets->len, ==, 2);
	g_signal_handlers_disconnect_by_data(f->queue, &heard);
	g_array_unref(heard.tickets);
	g_array_unref(heard.queues);
}

/* the [queue] keys: defaults, and what is refused with its file, line and key */
static void
test_config_keys(QueueFixture *f, gconstpointer data)
{
	g_autofree char *path = g_build_filename(f->dir, "civic-bridge.conf", NULL);
	const struct {
		const char *text;
		const char *needle; /* NULL: accepted */
	} cases[] = {
		{"[queue]\nround-robin=true\nrefuse-reasons=a,b-2\n", NULL},
		{"[queue]\nround-robin=yes\n", ":2: [queue] round-robin"},
		{"[queue]\n\nrefuse-reasons=not competent\n", ":3: [queue] refuse-reasons"},
		{"[queue]\nrefuse-reasons=a,,b\n", "refuse-reasons"},
		{"[queue]\nrefuse-reasons=\n", "refuse-reasons"},
		{"[queue]\ncall-timeout-seconds=0\n", "call-timeout-seconds"},
		{"[queue]\nmax-persons=0\n", "max-persons"},
	};
	g_autoptr(CbConfig) defaults = cb_config_new_defaults();

	g_assert_false(defaults->queue_round_robin);
	g_assert_cmpuint(defaults->queue_call_timeout_seconds, ==, 120);
	g_assert_cmpuint(defaults->large_group_min, ==, 5);
	g_assert_cmpuint(defaults->queue_max_persons, ==, 200);
	g_assert_cmpuint(defaults->queue_default_service_minutes, ==, 15);
	g_assert_cmpstr(defaults->queue_refuse_reasons, ==,
			"not-competent,already-resolved,abusive,incomplete");
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(CbConfig) config = NULL;

		g_file_set_contents(path, cases[i].text, -1, &error);
		g_assert_no_error(error);
		config = cb_config_load(path, TRUE, NULL, &error);
		if (cases[i].needle == NULL) {
			g_assert_no_error(error);
			g_assert_true(config->queue_round_robin);
			g_assert_cmpstr(config->queue_refuse_reasons, ==, "a,b-2");
			continue;
		}
		g_assert_null(config);
		g_assert_error(error, CB_ERROR, CB_ERROR_CONFIG);
		if (strstr(error->message, cases[i].needle) == NULL)
			g_error("case %zu: wanted '%s' in '%s'", i, cases[i].needle,
				error->message);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn)                                                                              \
	g_test_add("/civic-bridge/queue/" path, QueueFixture, NULL, fixture_setup, fn,             \
		   fixture_teardown)
	ADD("order/priority", test_order_priority);
	ADD("order/delegation", test_order_delegation);
	ADD("order/round-robin", test_order_round_robin);
	g_test_add_func("/civic-bridge/queue/order/sort", test_order_sort_is_pure);
	ADD("transitions/table", test_transitions_table);
	ADD("transitions/book-fields", test_transitions_record_book_fields);
	ADD("transitions/call-needs-running-session", test_call_needs_running_session);
	ADD("transitions/one-admitted", test_one_admitted);
	ADD("transitions/concurrent-admit", test_concurrent_admit);
	ADD("no-show/timer", test_no_show_by_timer);
	ADD("no-show/rearmed-at-start", test_no_show_rearmed_at_start);
	ADD("estimate/default", test_estimate_default);
	ADD("estimate/observed", test_estimate_observed);
	ADD("register/validation", test_validation);
	ADD("register/limits", test_limits);
	ADD("register/operator", test_operator_registers_at_own_point);
	ADD("register/public-rate-limit", test_public_rate_limit);
	ADD("register/default-session", test_default_session_is_running_one);
	ADD("sessions/next-and-deferral", test_next_session_and_deferral);
	ADD("sessions/start-catches-up", test_start_catches_up);
	ADD("move", test_move);
	ADD("views", test_views);
	ADD("audit-has-no-personal-data", test_audit_has_no_personal_data);
	ADD("signals", test_signals);
	ADD("config-keys", test_config_keys);
	return g_test_run();
}
