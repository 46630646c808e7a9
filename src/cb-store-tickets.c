#define G_LOG_DOMAIN "CbStore"

#include <json-glib/json-glib.h>

#include "cb-store-private.h"

#define CB_TICKET_COLUMNS                                                                          \
	"id, session_id, category, summary, persons, representatives, bridge_point_id, "           \
	"priority, channel, citizen_name, address, id_number, contact, already_handled_by, "       \
	"state, refuse_reason, handling, follow_up, notes, arrival_seq, created_at, called_at, "   \
	"admitted_at, finished_at, updated_at"

/* v6: the citizens' tickets (the reception book reads them too) and the
 * history of every transition of each */
gboolean
cb_store_migrate_v6_tickets(CbStore *self, GError **error)
{
	return cb_store_exec(
		self,
		"CREATE TABLE tickets ("
		"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
		"  session_id INTEGER REFERENCES sessions(id),"
		"  category TEXT NOT NULL CHECK (category IN "
		"    ('complaint','denunciation','recommendation','reflection')),"
		"  summary TEXT NOT NULL,"
		"  persons INTEGER NOT NULL CHECK (persons >= 1),"
		"  representatives TEXT,"
		"  bridge_point_id INTEGER REFERENCES bridge_points(id) ON DELETE SET NULL,"
		"  priority TEXT NOT NULL CHECK (priority IN "
		"    ('none','elderly','disability','pregnancy','merit')),"
		"  channel TEXT NOT NULL CHECK (channel IN ('online','walk-in')),"
		"  citizen_name TEXT, address TEXT, id_number TEXT, contact TEXT,"
		"  already_handled_by TEXT,"
		"  state TEXT NOT NULL CHECK (state IN ('waiting','called','admitted','done',"
		"    'no_show','cancelled','deferred','refused')),"
		"  refuse_reason TEXT,"
		"  handling TEXT CHECK (handling IN ('accepted','guided','forwarded','refused')),"
		"  follow_up TEXT,"
		"  notes TEXT,"
		"  arrival_seq INTEGER NOT NULL,"
		"  created_at INTEGER NOT NULL,"
		"  called_at INTEGER, admitted_at INTEGER,"
		"  finished_at INTEGER,"
		"  updated_at INTEGER NOT NULL"
		");"
		"CREATE INDEX tickets_session_state ON tickets(session_id, state);"
		"CREATE INDEX tickets_finished_at ON tickets(finished_at);"
		/* a new ticket's place is after the greatest arrival_seq */
		"CREATE INDEX tickets_arrival_seq ON tickets(arrival_seq);"
		"CREATE TABLE ticket_transitions ("
		"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
		"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
		"  session_id INTEGER,"
		"  from_state TEXT,"
		"  to_state TEXT NOT NULL,"
		"  reason TEXT,"
		"  actor_token_id INTEGER,"
		"  actor_role TEXT,"
		"  via TEXT NOT NULL,"
		"  at INTEGER NOT NULL"
		");"
		"CREATE INDEX ticket_transitions_ticket ON ticket_transitions(ticket_id);",
		error);
}

/* --- reading ----------------------------------------------------------------- */

static char *
cb_store_ticket_names_to_json(char **names)
{
	g_autoptr(JsonBuilder) builder = NULL;
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(JsonGenerator) generator = NULL;

	if (names == NULL || names[0] == NULL)
		return NULL;
	builder = json_builder_new_immutable();
	json_builder_begin_array(builder);
	for (guint i = 0; names[i] != NULL; i++)
		json_builder_add_string_value(builder, names[i]);
	json_builder_end_array(builder);
	root = json_builder_get_root(builder);
	generator = json_generator_new();
	json_generator_set_root(generator, root);
	return json_generator_to_data(generator, NULL);
}

/* the store wrote the text: anything but an array of strings reads as none */
static char **
cb_store_ticket_names_from_json(const char *text)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	g_autoptr(GPtrArray) names = NULL;
	JsonArray *array;

	if (text == NULL || !json_parser_load_from_data(parser, text, -1, NULL) ||
	    !JSON_NODE_HOLDS_ARRAY(json_parser_get_root(parser)))
		return NULL;
	array = json_node_get_array(json_parser_get_root(parser));
	names = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < json_array_get_length(array); i++) {
		const char *name = json_node_get_string(json_array_get_element(array, i));
		if (name != NULL)
			g_ptr_array_add(names, g_strdup(name));
	}
	g_ptr_array_add(names, NULL);
	return (char **)g_ptr_array_free(g_steal_pointer(&names), FALSE);
}

static gpointer
cb_store_ticket_from_row(sqlite3_stmt *stmt)
{
	CbTicket *t = g_new0(CbTicket, 1);

	/* the CHECK constraints keep the enumerations to the known names */
	t->id = sqlite3_column_int64(stmt, 0);
	t->session_id = sqlite3_column_int64(stmt, 1);
	cb_ticket_category_from_string((const char *)sqlite3_column_text(stmt, 2), &t->category);
	t->summary = cb_store_column_strdup(stmt, 3);
	t->persons = sqlite3_column_int64(stmt, 4);
	t->representatives =
		cb_store_ticket_names_from_json((const char *)sqlite3_column_text(stmt, 5));
	t->bridge_point_id = sqlite3_column_int64(stmt, 6);
	cb_ticket_priority_from_string((const char *)sqlite3_column_text(stmt, 7), &t->priority);
	cb_ticket_channel_from_string((const char *)sqlite3_column_text(stmt, 8), &t->channel);
	t->citizen_name = cb_store_column_strdup(stmt, 9);
	t->address = cb_store_column_strdup(stmt, 10);
	t->id_number = cb_store_column_strdup(stmt, 11);
	t->contact = cb_store_column_strdup(stmt, 12);
	t->already_handled_by = cb_store_column_strdup(stmt, 13);
	cb_ticket_state_from_string((const char *)sqlite3_column_text(stmt, 14), &t->state);
	t->refuse_reason = cb_store_column_strdup(stmt, 15);
	if (!cb_ticket_handling_from_string((const char *)sqlite3_column_text(stmt, 16),
					    &t->handling))
		t->handling = CB_TICKET_HANDLING_NONE;
	t->follow_up = cb_store_column_strdup(stmt, 17);
	t->notes = cb_store_column_strdup(stmt, 18);
	t->arrival_seq = sqlite3_column_int64(stmt, 19);
	t->created_at = sqlite3_column_int64(stmt, 20);
	t->called_at = sqlite3_column_int64(stmt, 21);
	t->admitted_at = sqlite3_column_int64(stmt, 22);
	t->finished_at = sqlite3_column_int64(stmt, 23);
	t->updated_at = sqlite3_column_int64(stmt, 24);
	return t;
}

CbTicket *
cb_store_ticket_get(CbStore *self, gint64 id, GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self, "SELECT " CB_TICKET_COLUMNS " FROM tickets WHERE id = ?1", error);

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, id);
	return cb_store_get_one(self, stmt, cb_store_ticket_from_row, "reading a ticket", error,
				"no ticket has id %" G_GINT64_FORMAT, id);
}

/* binds a state mask as the names of its states, comma-separated between
 * commas, so that instr() finds one: ",waiting,called," */
static void
cb_store_ticket_bind_states(sqlite3_stmt *stmt, int index, guint states)
{
	g_autoptr(GString) names = g_string_new(",");

	for (guint s = 0; s < CB_TICKET_N_STATES; s++) {
		if (states & CB_TICKET_STATE_MASK(s))
			g_string_append_printf(names, "%s,", cb_ticket_state_to_string(s));
	}
	if (states == 0)
		sqlite3_bind_null(stmt, index);
	else
		sqlite3_bind_text(stmt, index, names->str, -1, SQLITE_TRANSIENT);
}

GPtrArray *
cb_store_ticket_list(CbStore *self, const CbTicketFilter *filter, GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self,
		"SELECT " CB_TICKET_COLUMNS " FROM tickets WHERE "
		"(?1 = 0 OR (?1 = -1 AND session_id IS NULL) OR session_id = ?1) AND "
		"(?2 IS NULL OR instr(?2, ',' || state || ',') > 0) AND "
		"(?3 IS NULL OR category = ?3) AND "
		"(?4 = 0 OR (?4 = -1 AND bridge_point_id IS NULL) OR bridge_point_id = ?4) AND "
		"id > ?5 ORDER BY id LIMIT ?6",
		error);

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, filter->session_id);
	cb_store_ticket_bind_states(stmt, 2, filter->states);
	if (filter->category >= 0)
		sqlite3_bind_text(stmt, 3, cb_ticket_category_to_string(filter->category), -1,
				  SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, filter->bridge_point_id);
	sqlite3_bind_int64(stmt, 5, filter->after_id);
	sqlite3_bind_int64(stmt, 6, filter->limit > 0 ? (gint64)filter->limit : -1);
	return cb_store_collect(self, stmt, cb_store_ticket_from_row,
				(GDestroyNotify)cb_ticket_free, "listing tickets", error);
}

GArray *
cb_store_ticket_service_times(CbStore *self, CbTicketCategory category, guint limit, GError **error)
{
	g_autoptr(GArray) times = g_array_new(FALSE, FALSE, sizeof(gint64));
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self,
		"SELECT finished_at - admitted_at FROM tickets WHERE category = ?1 AND "
		"state IN ('done','refused') AND admitted_at IS NOT NULL AND "
		"finished_at >= admitted_at ORDER BY finished_at DESC, id DESC LIMIT ?2",
		error);
	int rc;

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_text(stmt, 1, cb_ticket_category_to_string(category), -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, limit);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		gint64 duration = sqlite3_column_int64(stmt, 0);
		g_array_append_val(times, duration);
	}
	if (rc != SQLITE_DONE) {
		cb_store_set_error(self, error, "reading service times");
		return NULL;
	}
	return g_steal_pointer(&times);
}

static gpointer
cb_store_ticket_event_from_row(sqlite3_stmt *stmt)
{
	CbTicketEvent *event = g_new0(CbTicketEvent, 1);

	event->id = sqlite3_column_int64(stmt, 0);
	event->ticket_id = sqlite3_column_int64(stmt, 1);
	event->session_id = sqlite3_column_int64(stmt, 2);
	event->has_from = cb_ticket_state_from_string((const char *)sqlite3_column_text(stmt, 3),
						      &event->from);
	cb_ticket_state_from_string((const char *)sqlite3_column_text(stmt, 4), &event->to);
	event->reason = cb_store_column_strdup(stmt, 5);
	event->actor_token_id = sqlite3_column_int64(stmt, 6);
	event->actor_role = cb_store_column_strdup(stmt, 7);
	event->via = cb_store_column_strdup(stmt, 8);
	event->at = sqlite3_column_int64(stmt, 9);
	return event;
}

GPtrArray *
cb_store_ticket_history(CbStore *self, gint64 ticket_id, GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self,
		"SELECT id, ticket_id, session_id, from_state, to_state, reason, actor_token_id, "
		"actor_role, via, at FROM ticket_transitions WHERE ticket_id = ?1 ORDER BY id",
		error);

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, ticket_id);
	return cb_store_collect(self, stmt, cb_store_ticket_event_from_row,
				(GDestroyNotify)cb_ticket_event_free, "reading a ticket's history",
				error);
}

/* --- writing ----------------------------------------------------------------- */

/* one row of the history and one of the audit log, in the open transaction;
 * @from < 0 for the creation. Neither holds personal data: states, ids and
 * a reason code only. */
static gboolean
cb_store_ticket_record(CbStore *self, const CbActor *actor, gint64 ticket_id, gint64 session_id,
		       int from, CbTicketState to, const char *action, const char *reason,
		       const char *detail, GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self,
		"INSERT INTO ticket_transitions (ticket_id, session_id, from_state, to_state, "
		"reason, actor_token_id, actor_role, via, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
		"?8, ?9)",
		error);
	g_autofree char *target = g_strdup_printf("ticket:%" G_GINT64_FORMAT, ticket_id);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, ticket_id);
	cb_store_bind_id_or_null(stmt, 2, session_id);
	cb_store_bind_text_or_null(stmt, 3, from >= 0 ? cb_ticket_state_to_string(from) : NULL);
	sqlite3_bind_text(stmt, 4, cb_ticket_state_to_string(to), -1, SQLITE_STATIC);
	cb_store_bind_text_or_null(stmt, 5, reason);
	cb_store_bind_actor(stmt, 6, actor);
	sqlite3_bind_int64(stmt, 9, cb_store_now(self));
	return cb_store_step_done(self, stmt, "recording a ticket's transition", error) &&
	       cb_store_audit_insert(self, actor, action, target, detail, error);
}

/* counts the tickets in a session's line (@session_id 0: the next session's),
 * of one bridge point when @bridge_point_id is not 0 */
static gboolean
cb_store_ticket_count_open(CbStore *self, gint64 session_id, gint64 bridge_point_id, gint64 *count,
			   GError **error)
{
	g_autoptr(CbStoreStmt) stmt =
		cb_store_prepare(self,
				 "SELECT count(*) FROM tickets WHERE session_id IS ?1 AND "
				 "state IN ('waiting','called','admitted') AND "
				 "(?2 IS NULL OR bridge_point_id = ?2)",
				 error);

	if (stmt == NULL)
		return FALSE;
	cb_store_bind_id_or_null(stmt, 1, session_id);
	cb_store_bind_id_or_null(stmt, 2, bridge_point_id);
	return cb_store_step_int64(self, stmt, "counting tickets", count, error);
}

/* the session must take registrations, and the line must have room */
static gboolean
cb_store_ticket_check_room(CbStore *self, const CbTicket *spec, const CbTicketLimits *limits,
			   GError **error)
{
	gint64 count = 0;

	if (spec->session_id != 0) {
		g_autoptr(CbSession) session = cb_store_session_get(self, spec->session_id, error);
		if (session == NULL)
			return FALSE;
		if (session->state == CB_SESSION_ENDED || session->state == CB_SESSION_CANCELLED) {
			g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
				    "session %" G_GINT64_FORMAT
				    " is %s: it takes no more registrations",
				    spec->session_id, cb_session_state_to_string(session->state));
			return FALSE;
		}
	}
	if (spec->bridge_point_id != 0) {
		g_autoptr(CbBridgePoint) bp =
			cb_store_bridge_point_get(self, spec->bridge_point_id, error);
		if (bp == NULL)
			return FALSE;
	}
	if (limits->max_open_per_session > 0) {
		if (!cb_store_ticket_count_open(self, spec->session_id, 0, &count, error))
			return FALSE;
		if (count >= limits->max_open_per_session) {
			g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
				    "the queue is full: it holds the most open tickets a session "
				    "may have (%u)",
				    limits->max_open_per_session);
			return FALSE;
		}
	}
	if (limits->max_open_per_bridge_point > 0 && spec->bridge_point_id != 0) {
		if (!cb_store_ticket_count_open(self, spec->session_id, spec->bridge_point_id,
						&count, error))
			return FALSE;
		if (count >= limits->max_open_per_bridge_point) {
			g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
				    "bridge point %" G_GINT64_FORMAT
				    " has the most open tickets a bridge point may have in one "
				    "session (%u)",
				    spec->bridge_point_id, limits->max_open_per_bridge_point);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
cb_store_ticket_next_arrival(CbStore *self, gint64 *seq, GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self, "SELECT coalesce(max(arrival_seq), 0) + 1 FROM tickets", error);

	if (stmt == NULL)
		return FALSE;
	return cb_store_step_int64(self, stmt, "reading the arrival order", seq, error);
}

static void
cb_store_ticket_bind_spec(sqlite3_stmt *stmt, const CbTicket *spec, gint64 seq, gint64 now)
{
	g_autofree char *representatives = cb_store_ticket_names_to_json(spec->representatives);

	cb_store_bind_id_or_null(stmt, 1, spec->session_id);
	sqlite3_bind_text(stmt, 2, cb_ticket_category_to_string(spec->category), -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, spec->summary != NULL ? spec->summary : "", -1,
			  SQLITE_TRANSIENT);
	sqlite3_bind_int64(stmt, 4, spec->persons);
	cb_store_bind_text_or_null(stmt, 5, representatives);
	cb_store_bind_id_or_null(stmt, 6, spec->bridge_point_id);
	sqlite3_bind_text(stmt, 7, cb_ticket_priority_to_string(spec->priority), -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 8, cb_ticket_channel_to_string(spec->channel), -1, SQLITE_STATIC);
	cb_store_bind_text_or_null(stmt, 9, spec->citizen_name);
	cb_store_bind_text_or_null(stmt, 10, spec->address);
	cb_store_bind_text_or_null(stmt, 11, spec->id_number);
	cb_store_bind_text_or_null(stmt, 12, spec->contact);
	cb_store_bind_text_or_null(stmt, 13, spec->already_handled_by);
	sqlite3_bind_int64(stmt, 14, seq);
	sqlite3_bind_int64(stmt, 15, now);
}

CbTicket *
cb_store_ticket_insert(CbStore *self, const CbActor *actor, const CbTicket *spec,
		       const CbTicketLimits *limits, GError **error)
{
	g_autoptr(CbStoreTxn) txn = cb_store_txn_begin(self, error);
	g_autoptr(CbStoreStmt) stmt = NULL;
	g_autofree char *detail = NULL;
	gint64 seq = 0;
	gint64 id;

	if (txn == NULL || !cb_store_ticket_check_room(self, spec, limits, error) ||
	    !cb_store_ticket_next_arrival(self, &seq, error))
		return NULL;
	stmt = cb_store_prepare(
		self,
		"INSERT INTO tickets (session_id, category, summary, persons, representatives, "
		"bridge_point_id, priority, channel, citizen_name, address, id_number, contact, "
		"already_handled_by, state, arrival_seq, created_at, updated_at) VALUES (?1, ?2, "
		"?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'waiting', ?14, ?15, ?15)",
		error);
	if (stmt == NULL)
		return NULL;
	cb_store_ticket_bind_spec(stmt, spec, seq, cb_store_now(self));
	if (!cb_store_step_done(self, stmt, "storing a ticket", error))
		return NULL;
	id = sqlite3_last_insert_rowid(self->db);
	/* what kind of ticket, never whose */
	detail = g_strdup_printf("%s, %s, %s, persons %" G_GINT64_FORMAT,
				 cb_ticket_category_to_string(spec->category),
				 cb_ticket_channel_to_string(spec->channel),
				 cb_ticket_priority_to_string(spec->priority), spec->persons);
	if (!cb_store_ticket_record(self, actor, id, spec->session_id, -1, CB_TICKET_WAITING,
				    "ticket.create", NULL, detail, error) ||
	    !cb_store_txn_commit(txn, error))
		return NULL;
	return cb_store_ticket_get(self, id, error);
}

static gboolean
cb_store_ticket_check_admission(CbStore *self, const CbTicket *ticket, GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self,
		"SELECT id FROM tickets WHERE session_id = ?1 AND state = 'admitted' AND id != ?2 "
		"LIMIT 1",
		error);
	int rc;

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, ticket->session_id);
	sqlite3_bind_int64(stmt, 2, ticket->id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "ticket %" G_GINT64_FORMAT " is admitted in session %" G_GINT64_FORMAT
			    "; finish it first: one citizen is admitted at a time",
			    (gint64)sqlite3_column_int64(stmt, 0), ticket->session_id);
		return FALSE;
	}
	if (rc != SQLITE_DONE) {
		cb_store_set_error(self, error, "checking the admitted ticket");
		return FALSE;
	}
	return TRUE;
}

/* the columns a transition to @change->to sets; the times of the states it
 * reaches, and none of the later ones when a ticket goes back to waiting */
static gboolean
cb_store_ticket_apply(CbStore *self, const CbTicket *current, const CbTicketChange *change,
		      GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self,
		"UPDATE tickets SET state = ?2, session_id = ?3, updated_at = ?4, "
		"called_at = CASE ?2 WHEN 'called' THEN ?4 WHEN 'waiting' THEN NULL "
		"  ELSE called_at END, "
		"admitted_at = CASE ?2 WHEN 'admitted' THEN ?4 WHEN 'waiting' THEN NULL "
		"  ELSE admitted_at END, "
		"finished_at = CASE WHEN ?2 IN ('done','refused') THEN ?4 ELSE finished_at END, "
		"handling = CASE WHEN ?2 IN ('done','refused') THEN ?5 ELSE handling END, "
		"follow_up = CASE WHEN ?2 = 'done' THEN ?6 ELSE follow_up END, "
		"notes = CASE WHEN ?2 IN ('done','refused') THEN ?7 ELSE notes END, "
		"refuse_reason = CASE WHEN ?2 = 'refused' THEN ?8 ELSE refuse_reason END "
		"WHERE id = ?1 AND state = ?9",
		error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, current->id);
	sqlite3_bind_text(stmt, 2, cb_ticket_state_to_string(change->to), -1, SQLITE_STATIC);
	cb_store_bind_id_or_null(stmt, 3,
				 change->join_session_id > 0 ? change->join_session_id
							     : current->session_id);
	sqlite3_bind_int64(stmt, 4, cb_store_now(self));
	cb_store_bind_text_or_null(stmt, 5, cb_ticket_handling_to_string(change->handling));
	cb_store_bind_text_or_null(stmt, 6, change->follow_up);
	cb_store_bind_text_or_null(stmt, 7, change->notes);
	cb_store_bind_text_or_null(stmt, 8, change->refuse_reason);
	sqlite3_bind_text(stmt, 9, cb_ticket_state_to_string(current->state), -1, SQLITE_STATIC);
	if (!cb_store_step_done(self, stmt, "changing a ticket's state", error))
		return FALSE;
	if (sqlite3_changes(self->db) != 1) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "ticket %" G_GINT64_FORMAT " changed meanwhile", current->id);
		return FALSE;
	}
	return TRUE;
}

CbTicket *
cb_store_ticket_transition(CbStore *self, const CbActor *actor, gint64 id,
			   const CbTicketChange *change, GError **error)
{
	g_autoptr(CbStoreTxn) txn = cb_store_txn_begin(self, error);
	g_autoptr(CbTicket) current = NULL;
	g_autofree char *action = NULL;
	g_autofree char *detail = NULL;
	gint64 session_id;

	if (txn == NULL)
		return NULL;
	current = cb_store_ticket_get(self, id, error);
	if (current == NULL)
		return NULL;
	/* the compare of compare-and-set: decided inside the write transaction */
	if ((change->from & CB_TICKET_STATE_MASK(current->state)) == 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "ticket %" G_GINT64_FORMAT " is %s: it cannot become %s", id,
			    cb_ticket_state_to_string(current->state),
			    cb_ticket_state_to_string(change->to));
		return NULL;
	}
	if (change->to == CB_TICKET_ADMITTED &&
	    !cb_store_ticket_check_admission(self, current, error))
		return NULL;
	if (!cb_store_ticket_apply(self, current, change, error))
		return NULL;
	session_id = change->join_session_id > 0 ? change->join_session_id : current->session_id;
	action = g_strdup_printf("ticket.%s", cb_ticket_state_to_string(change->to));
	detail = g_strdup_printf("%s -> %s%s%s", cb_ticket_state_to_string(current->state),
				 cb_ticket_state_to_string(change->to),
				 change->reason != NULL ? "; reason " : "",
				 change->reason != NULL ? change->reason : "");
	if (!cb_store_ticket_record(self, actor, id, session_id, current->state, change->to, action,
				    change->reason, detail, error) ||
	    !cb_store_txn_commit(txn, error))
		return NULL;
	return cb_store_ticket_get(self, id, error);
}

/* makes room at @seq in a line by moving every waiting ticket from there on
 * one place back; tickets of other lines keep their numbers */
static gboolean
cb_store_ticket_shift(CbStore *self, gint64 session_id, gint64 seq, gint64 except_id,
		      GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self,
		"UPDATE tickets SET arrival_seq = arrival_seq + 1 WHERE session_id IS ?1 AND "
		"state = 'waiting' AND arrival_seq >= ?2 AND id != ?3",
		error);

	if (stmt == NULL)
		return FALSE;
	cb_store_bind_id_or_null(stmt, 1, session_id);
	sqlite3_bind_int64(stmt, 2, seq);
	sqlite3_bind_int64(stmt, 3, except_id);
	return cb_store_step_done(self, stmt, "reordering a queue", error);
}

static gboolean
cb_store_ticket_set_seq(CbStore *self, gint64 id, gint64 seq, GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self, "UPDATE tickets SET arrival_seq = ?2, updated_at = ?3 WHERE id = ?1", error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, seq);
	sqlite3_bind_int64(stmt, 3, cb_store_now(self));
	return cb_store_step_done(self, stmt, "moving a ticket", error);
}

/* the place @id takes: @before's, or after every other ticket */
static gboolean
cb_store_ticket_move_target(CbStore *self, const CbTicket *ticket, gint64 before_id, gint64 *seq,
			    GError **error)
{
	g_autoptr(CbTicket) before = NULL;

	if (before_id == 0)
		return cb_store_ticket_next_arrival(self, seq, error);
	before = cb_store_ticket_get(self, before_id, error);
	if (before == NULL)
		return FALSE;
	if (before->state != CB_TICKET_WAITING || before->session_id != ticket->session_id) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "ticket %" G_GINT64_FORMAT
			    " is not waiting in the same queue as ticket "
			    "%" G_GINT64_FORMAT,
			    before_id, ticket->id);
		return FALSE;
	}
	*seq = before->arrival_seq;
	return cb_store_ticket_shift(self, ticket->session_id, *seq, ticket->id, error);
}

CbTicket *
cb_store_ticket_move(CbStore *self, const CbActor *actor, gint64 id, gint64 before_id,
		     const char *reason, GError **error)
{
	g_autoptr(CbStoreTxn) txn = cb_store_txn_begin(self, error);
	g_autoptr(CbTicket) ticket = NULL;
	g_autofree char *target = g_strdup_printf("ticket:%" G_GINT64_FORMAT, id);
	g_autofree char *detail = NULL;
	gint64 seq = 0;

	if (txn == NULL)
		return NULL;
	ticket = cb_store_ticket_get(self, id, error);
	if (ticket == NULL)
		return NULL;
	if (ticket->state != CB_TICKET_WAITING) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "ticket %" G_GINT64_FORMAT " is %s: only waiting tickets move", id,
			    cb_ticket_state_to_string(ticket->state));
		return NULL;
	}
	if (before_id == id) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "a ticket cannot move before itself");
		return NULL;
	}
	if (!cb_store_ticket_move_target(self, ticket, before_id, &seq, error) ||
	    !cb_store_ticket_set_seq(self, id, seq, error))
		return NULL;
	if (before_id != 0)
		detail = g_strdup_printf("before ticket:%" G_GINT64_FORMAT "; reason: %s",
					 before_id, reason);
	else
		detail = g_strdup_printf("to the end; reason: %s", reason);
	if (!cb_store_audit_insert(self, actor, "ticket.move", target, detail, error) ||
	    !cb_store_txn_commit(txn, error))
		return NULL;
	return cb_store_ticket_get(self, id, error);
}
