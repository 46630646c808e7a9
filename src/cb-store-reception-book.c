#define G_LOG_DOMAIN "CbStore"

#include "cb-store-private.h"

/* v7: rows imported from the reception books kept before civic-bridge. The
 * book itself is these rows plus the finished tickets (v6), read together;
 * nothing here refers to the tickets table, so this version stands alone. */
gboolean
cb_store_migrate_v7_reception_book(CbStore *self, GError **error)
{
	return cb_store_exec(
		self,
		"CREATE TABLE reception_book_imports ("
		"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
		"  row_key TEXT NOT NULL UNIQUE,"
		"  at INTEGER NOT NULL,"
		"  has_time INTEGER NOT NULL CHECK (has_time IN (0, 1)),"
		"  citizen_name TEXT, address TEXT, id_number TEXT,"
		"  content TEXT NOT NULL,"
		"  category TEXT NOT NULL CHECK (category IN "
		"    ('complaint','denunciation','recommendation','reflection')),"
		"  persons INTEGER NOT NULL CHECK (persons >= 1),"
		"  already_handled_by TEXT,"
		"  handling TEXT CHECK (handling IN ('accepted','guided','forwarded','refused')),"
		"  follow_up TEXT,"
		"  notes TEXT,"
		"  bridge_point_id INTEGER REFERENCES bridge_points(id) ON DELETE SET NULL,"
		"  session_kind TEXT NOT NULL CHECK (session_kind IN ('leadership','regular')),"
		"  imported_at INTEGER NOT NULL);"
		"CREATE INDEX reception_book_imports_at ON reception_book_imports(at);",
		error);
}

/* the book as one relation: finished tickets, then imported rows. A refused
 * ticket's handling is refused whatever staff wrote; a ticket without a
 * session (which a finished one should not be) counts as a regular session. */
#define CB_BOOK_TICKETS_SELECT(columns)                                                            \
	"SELECT " columns " FROM tickets t LEFT JOIN sessions s ON s.id = t.session_id "           \
	"LEFT JOIN bridge_points bp ON bp.id = t.bridge_point_id "                                 \
	"WHERE t.state IN ('done','refused') AND t.finished_at >= ?1 AND t.finished_at < ?2"
#define CB_BOOK_IMPORTS_SELECT(columns)                                                            \
	"SELECT " columns " FROM reception_book_imports r "                                        \
	"LEFT JOIN bridge_points bp ON bp.id = r.bridge_point_id "                                 \
	"WHERE r.at >= ?1 AND r.at < ?2"
#define CB_BOOK_TICKET_HANDLING "CASE WHEN t.state = 'refused' THEN 'refused' ELSE t.handling END"
#define CB_BOOK_TICKET_KIND     "COALESCE(s.kind, 'regular')"

/* 0 leaves a bound open */
static void
cb_store_book_bind_range(sqlite3_stmt *stmt, gint64 from, gint64 to)
{
	sqlite3_bind_int64(stmt, 1, from != 0 ? from : G_MININT64);
	sqlite3_bind_int64(stmt, 2, to != 0 ? to : G_MAXINT64);
}

static CbBookEntry *
cb_store_book_entry_from_row(sqlite3_stmt *stmt)
{
	CbBookEntry *entry = g_new0(CbBookEntry, 1);
	gboolean imported = sqlite3_column_int(stmt, 0) != 0;

	entry->ticket_id = imported ? 0 : sqlite3_column_int64(stmt, 1);
	entry->at = sqlite3_column_int64(stmt, 2);
	entry->has_time = sqlite3_column_int(stmt, 3) != 0;
	entry->citizen_name = cb_store_column_strdup(stmt, 4);
	entry->address = cb_store_column_strdup(stmt, 5);
	entry->id_number = cb_store_column_strdup(stmt, 6);
	entry->content = cb_store_column_strdup(stmt, 7);
	entry->category = cb_store_column_strdup(stmt, 8);
	entry->persons = sqlite3_column_int64(stmt, 9);
	entry->already_handled_by = cb_store_column_strdup(stmt, 10);
	entry->handling = cb_store_column_strdup(stmt, 11);
	entry->follow_up = cb_store_column_strdup(stmt, 12);
	entry->notes = cb_store_column_strdup(stmt, 13);
	entry->bridge_point_id = sqlite3_column_int64(stmt, 14);
	entry->bridge_point = cb_store_column_strdup(stmt, 15);
	/* the CHECK constraints keep the kind to the known names */
	cb_session_kind_from_string((const char *)sqlite3_column_text(stmt, 16),
				    &entry->session_kind);
	entry->row_key = cb_store_column_strdup(stmt, 17);
	return entry;
}

gboolean
cb_store_book_foreach(CbStore *self, gint64 from, gint64 to, gboolean tickets_only,
		      CbBookEntryFunc func, gpointer user_data, GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self,
		CB_BOOK_TICKETS_SELECT(
			"0, t.id, t.finished_at, 1, t.citizen_name, t.address, t.id_number, "
			"t.summary, t.category, t.persons, "
			"t.already_handled_by, " CB_BOOK_TICKET_HANDLING
			", t.follow_up, t.notes, t.bridge_point_id, "
			"bp.name, " CB_BOOK_TICKET_KIND
			", NULL") " UNION ALL " CB_BOOK_IMPORTS_SELECT("1, r.id, r.at, r.has_time, "
								       "r.citizen_name, r.address, "
								       "r.id_number, "
								       "r.content, r.category, "
								       "r.persons, "
								       "r.already_handled_by, "
								       "r.handling, "
								       "r.follow_up, r.notes, "
								       "r.bridge_point_id, "
								       "bp.name, r.session_kind, "
								       "r.row_key") " AND ?3 = 0 "
										    "ORDER BY 3, "
										    "1, 2",
		error);
	int rc;

	if (stmt == NULL)
		return FALSE;
	cb_store_book_bind_range(stmt, from, to);
	sqlite3_bind_int(stmt, 3, tickets_only ? 1 : 0);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		g_autoptr(CbBookEntry) entry = cb_store_book_entry_from_row(stmt);

		if (!func(entry, user_data, error))
			return FALSE;
	}
	if (rc != SQLITE_DONE) {
		cb_store_set_error(self, error, "reading the reception book");
		return FALSE;
	}
	return TRUE;
}

static gboolean
cb_store_book_insert_row(CbStore *self, sqlite3_stmt *stmt, const CbBookEntry *entry, gint64 now,
			 guint *added, GError **error)
{
	sqlite3_reset(stmt);
	sqlite3_bind_text(stmt, 1, entry->row_key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, entry->at);
	sqlite3_bind_int(stmt, 3, entry->has_time ? 1 : 0);
	cb_store_bind_text_or_null(stmt, 4, entry->citizen_name);
	cb_store_bind_text_or_null(stmt, 5, entry->address);
	cb_store_bind_text_or_null(stmt, 6, entry->id_number);
	sqlite3_bind_text(stmt, 7, entry->content, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 8, entry->category, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 9, entry->persons);
	cb_store_bind_text_or_null(stmt, 10, entry->already_handled_by);
	cb_store_bind_text_or_null(stmt, 11, entry->handling);
	cb_store_bind_text_or_null(stmt, 12, entry->follow_up);
	cb_store_bind_text_or_null(stmt, 13, entry->notes);
	cb_store_bind_id_or_null(stmt, 14, entry->bridge_point_id);
	sqlite3_bind_text(stmt, 15, cb_session_kind_to_string(entry->session_kind), -1,
			  SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 16, now);
	if (!cb_store_step_done(self, stmt, "storing a reception book row", error))
		return FALSE;
	*added += sqlite3_changes(self->db);
	return TRUE;
}

gboolean
cb_store_book_import(CbStore *self, const CbActor *actor, GPtrArray *entries, guint *added,
		     GError **error)
{
	g_autoptr(CbStoreTxn) txn = NULL;
	g_autoptr(CbStoreStmt) stmt = NULL;
	g_autofree char *detail = NULL;
	gint64 now = cb_store_now(self);
	guint count = 0;

	txn = cb_store_txn_begin(self, error);
	if (txn == NULL)
		return FALSE;
	/* only a row already in the book is skipped: any other constraint fails
	 * the whole import, which the transaction then undoes */
	stmt = cb_store_prepare(
		self,
		"INSERT INTO reception_book_imports (row_key, at, has_time, citizen_name, "
		"address, id_number, content, category, persons, already_handled_by, handling, "
		"follow_up, notes, bridge_point_id, session_kind, imported_at) VALUES (?1, ?2, "
		"?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) "
		"ON CONFLICT (row_key) DO NOTHING",
		error);
	if (stmt == NULL)
		return FALSE;
	for (guint i = 0; i < entries->len; i++) {
		if (!cb_store_book_insert_row(self, stmt, g_ptr_array_index(entries, i), now,
					      &count, error))
			return FALSE;
	}
	detail = g_strdup_printf("rows %u, added %u, already present %u", entries->len, count,
				 entries->len - count);
	if (!cb_store_audit_insert(self, actor, "reception_book.import", "reception_book", detail,
				   error) ||
	    !cb_store_txn_commit(txn, error))
		return FALSE;
	*added = count;
	return TRUE;
}

CbBookSummary *
cb_store_book_summarize(CbStore *self, const CbBookFilter *filter, GError **error)
{
	/* one pass grouped by the three ways the report splits the visits; the
	 * groups are few, and C adds them up into the totals and the splits */
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self,
		"WITH book (persons, category, handling, bridge_point, kind) AS "
		"(" CB_BOOK_TICKETS_SELECT(
			"t.persons, t.category, " CB_BOOK_TICKET_HANDLING ", "
			"bp.name, " CB_BOOK_TICKET_KIND) " UNION ALL " CB_BOOK_IMPORTS_SELECT("r."
											      "pers"
											      "ons,"
											      " r."
											      "cate"
											      "gory"
											      ", "
											      "r."
											      "hand"
											      "ling"
											      ", "
											      "bp."
											      "name"
											      ", "
											      "r."
											      "sess"
											      "ion_"
											      "kin"
											      "d") ") SELECT category, COALESCE(handling, ''), COALESCE(bridge_point, ''), "
												   "count(*), sum(persons), sum(persons >= ?5), "
												   "sum(CASE WHEN persons >= ?5 THEN persons ELSE 0 END) FROM book "
												   "WHERE (?3 IS NULL OR kind = ?3) AND (?4 IS NULL OR COALESCE(bridge_point, '') = ?4) "
												   "GROUP BY 1, 2, 3",
		error);
	g_autoptr(CbBookSummary) summary = cb_book_summary_new();
	int rc;

	if (stmt == NULL)
		return NULL;
	cb_store_book_bind_range(stmt, filter->from, filter->to);
	if (!filter->any_kind)
		sqlite3_bind_text(stmt, 3, cb_session_kind_to_string(filter->kind), -1,
				  SQLITE_STATIC);
	if (filter->bridge_point != NULL)
		sqlite3_bind_text(stmt, 4, filter->bridge_point, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(stmt, 5, filter->large_group_min);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		gint64 visits = sqlite3_column_int64(stmt, 3);

		summary->visits += visits;
		summary->citizens += sqlite3_column_int64(stmt, 4);
		summary->large_groups += sqlite3_column_int64(stmt, 5);
		summary->large_group_citizens += sqlite3_column_int64(stmt, 6);
		cb_book_counts_add(summary->by_category, (const char *)sqlite3_column_text(stmt, 0),
				   visits);
		cb_book_counts_add(summary->by_handling, (const char *)sqlite3_column_text(stmt, 1),
				   visits);
		cb_book_counts_add(summary->by_bridge_point,
				   (const char *)sqlite3_column_text(stmt, 2), visits);
	}
	if (rc != SQLITE_DONE) {
		cb_store_set_error(self, error, "summing up the reception book");
		return NULL;
	}
	return g_steal_pointer(&summary);
}
