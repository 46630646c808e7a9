#define G_LOG_DOMAIN "CbTestQueue"

/* the waiting queue: registering (validation, limits, the public route)
 * and the sessions opening and ending */

#include "queue-fixture.h"

/* --- validation and limits --------------------------------------------------- */

static void
test_validation(QueueFixture *f, gconstpointer data)
{
	gint64 s = queue_make_session(f, CB_SESSION_OPEN);
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
	gint64 s = queue_make_session(f, CB_SESSION_OPEN);
	gint64 bp = queue_make_bridge_point(f, "dong-anh");
	gint64 ended = queue_make_session(f, CB_SESSION_ENDED);
	gint64 cancelled = queue_make_session(f, CB_SESSION_CANCELLED);
	TicketSpec at_bp = {.bridge_point_id = bp};
	CbTicketRequest request = {.category = "complaint", .summary = "x"};
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTicket) ticket = NULL;

	f->config->queue_max_open_per_session = 3;
	f->config->queue_max_open_per_bridge_point = 1;
	cb_queue_reconfigure(f->queue, f->config);
	queue_add_ticket_full(f, s, &at_bp);
	request.session_id = s;
	request.bridge_point_id = bp;
	ticket = cb_queue_register(f->queue, &f->staff, &f->actor, &request, &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
	g_assert_nonnull(strstr(error->message, "bridge point"));
	g_clear_error(&error);
	queue_add_ticket(f, s);
	queue_add_ticket(f, s);
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
	gint64 own = queue_make_bridge_point(f, "gia-lam");
	gint64 other = queue_make_bridge_point(f, "me-linh");
	CbTokenRecord op = {.id = 3, .role = CB_ROLE_OPERATOR, .bridge_point_id = own};
	CbActor actor = {.token_id = 3, .role = CB_ROLE_OPERATOR, .via = "test"};
	CbTicketRequest request = {.category = "reflection", .summary = "Phản ánh về đường"};
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTicket) walk_in = NULL;
	g_autoptr(CbTicket) elsewhere = NULL;
	g_autoptr(CbTicket) online = NULL;

	queue_make_session(f, CB_SESSION_OPEN);
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
	gint64 first = queue_make_session(f, CB_SESSION_LIVE);
	gint64 kept = queue_add_ticket(f, first);
	gint64 left = queue_add_ticket(f, first);
	gint64 called = queue_add_ticket(f, first);
	gint64 next = 0, later = 0, second = 0;
	gint64 ids[4];
	g_autofree char *order = NULL;

	queue_must(f, ACT_DEFER, kept);
	queue_must(f, ACT_CALL, called);
	/* the session ends: who still waits or was called keeps a place */
	queue_set_session_state(f, first, CB_SESSION_LIVE, CB_SESSION_ENDED);
	g_assert_cmpint(queue_state_of(f, left), ==, CB_TICKET_DEFERRED);
	g_assert_cmpint(queue_state_of(f, called), ==, CB_TICKET_DEFERRED);
	g_assert_cmpuint(cb_clock_pending(f->clock), ==, 0);
	/* nothing is open: a new ticket waits for the next session */
	next = queue_add_ticket(f, 0);
	g_assert_cmpint(queue_session_of(f, next), ==, 0);
	second = queue_make_session(f, CB_SESSION_SCHEDULED);
	later = queue_add_ticket(f, second);
	queue_set_session_state(f, second, CB_SESSION_SCHEDULED, CB_SESSION_OPEN);
	ids[0] = kept;
	ids[1] = left;
	ids[2] = called;
	ids[3] = next;
	order = queue_waiting_order(f, second, ids, 4);
	/* deferred tickets come back with their arrival order, ahead of newer ones */
	g_assert_cmpstr(order, ==, "0 1 2 3");
	g_assert_cmpint(queue_session_of(f, later), ==, second);
	g_assert_cmpint(queue_session_of(f, next), ==, second);
	g_assert_cmpint(queue_state_of(f, kept), ==, CB_TICKET_WAITING);
}

static void
test_start_catches_up(QueueFixture *f, gconstpointer data)
{
	gint64 waiting_next = queue_add_ticket(f, 0);
	gint64 gone = queue_make_session(f, CB_SESSION_LIVE);
	gint64 stranded = queue_add_ticket(f, gone);
	gint64 open = queue_make_session(f, CB_SESSION_OPEN);
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSession) ended = NULL;

	/* the session ended and another opened while nobody told the queue */
	ended = cb_store_session_transition(f->store, &f->actor, gone, CB_SESSION_LIVE,
					    CB_SESSION_ENDED, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(cb_queue_start(f->queue, &error));
	g_assert_no_error(error);
	g_assert_cmpint(queue_session_of(f, stranded), ==, open);
	g_assert_cmpint(queue_state_of(f, stranded), ==, CB_TICKET_WAITING);
	g_assert_cmpint(queue_session_of(f, waiting_next), ==, open);
}

static void
test_default_session_is_running_one(QueueFixture *f, gconstpointer data)
{
	gint64 scheduled = queue_make_session(f, CB_SESSION_SCHEDULED);
	gint64 open = queue_make_session(f, CB_SESSION_OPEN);
	gint64 live = queue_make_session(f, CB_SESSION_LIVE);
	gint64 id = queue_add_ticket(f, 0);

	(void)scheduled;
	(void)open;
	g_assert_cmpint(queue_session_of(f, id), ==, live);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	QUEUE_TEST_ADD("register/validation", test_validation);
	QUEUE_TEST_ADD("register/limits", test_limits);
	QUEUE_TEST_ADD("register/operator", test_operator_registers_at_own_point);
	QUEUE_TEST_ADD("register/public-rate-limit", test_public_rate_limit);
	QUEUE_TEST_ADD("register/default-session", test_default_session_is_running_one);
	QUEUE_TEST_ADD("sessions/next-and-deferral", test_next_session_and_deferral);
	QUEUE_TEST_ADD("sessions/start-catches-up", test_start_catches_up);
	return g_test_run();
}
