#define G_LOG_DOMAIN "CbTestQueue"

/* the queue tests' fixture and helpers; see queue-fixture.h */

#include "cb-test-daemon.h"
#include "queue-fixture.h"

void
queue_fixture_open(QueueFixture *f)
{
	g_autoptr(GError) error = NULL;

	f->store = cb_store_open(f->path, f->clock, &error);
	g_assert_no_error(error);
	f->queue = cb_queue_new(f->store, f->clock, f->config);
}

void
queue_fixture_setup(QueueFixture *f, gconstpointer data)
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
	queue_fixture_open(f);
}

void
queue_fixture_teardown(QueueFixture *f, gconstpointer data)
{
	g_clear_object(&f->queue);
	g_clear_object(&f->store);
	cb_test_remove_tree(f->dir);
	g_free(f->dir);
	g_free(f->path);
	cb_config_free(f->config);
	g_object_unref(f->clock);
}

/* a session that has reached @state */
gint64
queue_make_session(QueueFixture *f, CbSessionState state)
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

void
queue_set_session_state(QueueFixture *f, gint64 id, CbSessionState from, CbSessionState to)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSession) session =
		cb_store_session_transition(f->store, &f->actor, id, from, to, "test", &error);

	g_assert_no_error(error);
	cb_queue_session_changed(f->queue, session, &error);
	g_assert_no_error(error);
}

gint64
queue_make_bridge_point(QueueFixture *f, const char *code)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbBridgePoint) bp =
		cb_store_bridge_point_insert(f->store, &f->actor, code, code, NULL, &error);

	g_assert_no_error(error);
	return bp->id;
}

gint64
queue_add_ticket_full(QueueFixture *f, gint64 session_id, const TicketSpec *t)
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

gint64
queue_add_ticket(QueueFixture *f, gint64 session_id)
{
	TicketSpec spec = {0};

	return queue_add_ticket_full(f, session_id, &spec);
}

CbTicket *
queue_get_ticket(QueueFixture *f, gint64 id)
{
	g_autoptr(GError) error = NULL;
	CbTicket *ticket = cb_store_ticket_get(f->store, id, &error);

	g_assert_no_error(error);
	return ticket;
}

CbTicketState
queue_state_of(QueueFixture *f, gint64 id)
{
	g_autoptr(CbTicket) ticket = queue_get_ticket(f, id);

	return ticket->state;
}

gint64
queue_session_of(QueueFixture *f, gint64 id)
{
	g_autoptr(CbTicket) ticket = queue_get_ticket(f, id);

	return ticket->session_id;
}

/* the ids of a session's waiting tickets in queue order */
char *
queue_waiting_order(QueueFixture *f, gint64 session_id, gint64 *ids, guint n)
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

CbTicket *
queue_act(QueueFixture *f, Act a, gint64 id, GError **error)
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

void
queue_must(QueueFixture *f, Act a, gint64 id)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTicket) ticket = queue_act(f, a, id, &error);

	g_assert_no_error(error);
}
