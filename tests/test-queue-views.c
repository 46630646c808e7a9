#define G_LOG_DOMAIN "CbTestQueue"

/* the waiting queue: moves, who sees what, what is written down, the
 * signals and the configuration keys */

#include "queue-fixture.h"

/* --- moves ------------------------------------------------------------------------ */

static void
test_move(QueueFixture *f, gconstpointer data)
{
	gint64 s = queue_make_session(f, CB_SESSION_OPEN);
	TicketSpec elderly = {.priority = "elderly"};
	gint64 ids[5];
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTicket) moved = NULL;
	g_autoptr(GPtrArray) audit = NULL;
	const CbAuditEntry *entry;
	g_autofree char *o1 = NULL, *o2 = NULL, *o3 = NULL;

	ids[0] = queue_add_ticket_full(f, s, &elderly);
	for (guint i = 1; i < 5; i++)
		ids[i] = queue_add_ticket(f, s);
	moved = cb_queue_move(f->queue, &f->actor, ids[4], ids[1], 0, "đi từ xa", &error);
	g_assert_no_error(error);
	o1 = queue_waiting_order(f, s, ids, 5);
	g_assert_cmpstr(o1, ==, "0 4 1 2 3");
	audit = cb_store_audit_list(f->store, 0, 1, &error);
	entry = g_ptr_array_index(audit, 0);
	g_assert_cmpstr(entry->action, ==, "ticket.move");
	g_assert_nonnull(strstr(entry->detail, "đi từ xa"));
	g_clear_pointer(&moved, cb_ticket_free);
	/* to a position: the 4th place */
	moved = cb_queue_move(f->queue, &f->actor, ids[1], 0, 4, "giấy tờ chưa đủ", &error);
	g_assert_no_error(error);
	o2 = queue_waiting_order(f, s, ids, 5);
	g_assert_cmpstr(o2, ==, "0 4 2 1 3");
	g_clear_pointer(&moved, cb_ticket_free);
	/* past the end: last */
	moved = cb_queue_move(f->queue, &f->actor, ids[4], 0, 99, "xếp lại", &error);
	g_assert_no_error(error);
	o3 = queue_waiting_order(f, s, ids, 5);
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
	queue_must(f, ACT_CALL, ids[3]);
	moved = cb_queue_move(f->queue, &f->actor, ids[3], ids[2], 0, "x", &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
}

/* --- who sees what; what is written down ----------------------------------------------- */

static void
test_views(QueueFixture *f, gconstpointer data)
{
	gint64 s = queue_make_session(f, CB_SESSION_OPEN);
	gint64 bp = queue_make_bridge_point(f, "hoan-kiem");
	TicketSpec denunciation = {.category = "denunciation", .bridge_point_id = bp};
	TicketSpec complaint = {.category = "complaint", .bridge_point_id = bp};
	g_autoptr(CbTicket) d = queue_get_ticket(f, queue_add_ticket_full(f, s, &denunciation));
	g_autoptr(CbTicket) c = queue_get_ticket(f, queue_add_ticket_full(f, s, &complaint));
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
	gint64 s = queue_make_session(f, CB_SESSION_LIVE);
	TicketSpec denunciation = {.category = "denunciation", .persons = 6};
	gint64 a = queue_add_ticket_full(f, s, &denunciation);
	gint64 b = queue_add_ticket(f, s);
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
	queue_must(f, ACT_CALL, a);
	queue_must(f, ACT_ADMIT, a);
	queue_must(f, ACT_FINISH, a);
	moved = cb_queue_move(f->queue, &f->actor, online->id, b, 0, "ưu tiên", &error);
	g_assert_no_error(error);
	queue_must(f, ACT_REFUSE, b);
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
	gint64 s = queue_make_session(f, CB_SESSION_LIVE);
	gint64 id = queue_add_ticket(f, s);
	Heard heard = {g_array_new(FALSE, FALSE, sizeof(gint64)),
		       g_array_new(FALSE, FALSE, sizeof(gint64))};
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTicket) wrong = NULL;

	g_signal_connect(f->queue, "ticket-changed", G_CALLBACK(ticket_changed_cb), &heard);
	g_signal_connect(f->queue, "queue-changed", G_CALLBACK(queue_changed_cb), &heard);
	queue_must(f, ACT_CALL, id);
	g_assert_cmpuint(heard.tickets->len, ==, 1);
	g_assert_cmpint(g_array_index(heard.tickets, gint64, 0), ==, id);
	g_assert_cmpuint(heard.queues->len, ==, 1);
	g_assert_cmpint(g_array_index(heard.queues, gint64, 0), ==, s);
	/* a refused transition changes nothing and says nothing */
	wrong = cb_queue_finish(f->queue, &f->actor, id, "accepted", NULL, NULL, &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
	g_assert_cmpuint(heard.tickets->len, ==, 1);
	/* a new ticket is heard of too */
	queue_add_ticket(f, s);
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
	QUEUE_TEST_ADD("move", test_move);
	QUEUE_TEST_ADD("views", test_views);
	QUEUE_TEST_ADD("audit-has-no-personal-data", test_audit_has_no_personal_data);
	QUEUE_TEST_ADD("signals", test_signals);
	QUEUE_TEST_ADD("config-keys", test_config_keys);
	return g_test_run();
}
