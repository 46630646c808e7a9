#define G_LOG_DOMAIN "CbStore"

/* the legal hold on a session's recordings: a hold keeps them from the
 * retention purge until it is lifted; setting and lifting it is audited in
 * the same transaction */

#include "cb-store-private.h"

/* v8: sessions whose recordings are on legal hold */
gboolean
cb_store_migrate_v8_recording_holds(CbStore *self, GError **error)
{
	return cb_store_exec(self,
			     "CREATE TABLE recording_holds ("
			     "  session_id INTEGER PRIMARY KEY,"
			     "  held_at INTEGER NOT NULL,"
			     "  held_by_token_id INTEGER)",
			     error);
}

gboolean
cb_store_recording_hold_get(CbStore *self, gint64 session_id, gint64 *held_at, GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self, "SELECT held_at FROM recording_holds WHERE session_id = ?1", error);
	int rc;

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, session_id);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		cb_store_set_error(self, error, "reading a legal hold");
		return FALSE;
	}
	*held_at = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
	return TRUE;
}

static gpointer
cb_store_hold_from_row(sqlite3_stmt *stmt)
{
	gint64 *session_id = g_new(gint64, 1);

	*session_id = sqlite3_column_int64(stmt, 0);
	return session_id;
}

GHashTable *
cb_store_recording_hold_list(CbStore *self, GError **error)
{
	g_autoptr(CbStoreStmt) stmt =
		cb_store_prepare(self, "SELECT session_id FROM recording_holds", error);
	g_autoptr(GPtrArray) rows = NULL;
	GHashTable *held = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);

	if (stmt != NULL)
		rows = cb_store_collect(self, stmt, cb_store_hold_from_row, NULL,
					"listing legal holds", error);
	if (rows == NULL) {
		g_hash_table_unref(held);
		return NULL;
	}
	for (guint i = 0; i < rows->len; i++)
		g_hash_table_add(held, g_ptr_array_index(rows, i));
	return held;
}

gboolean
cb_store_recording_hold_set(CbStore *self, const CbActor *actor, gint64 session_id, gboolean hold,
			    gboolean *changed, GError **error)
{
	g_autoptr(CbStoreTxn) txn = cb_store_txn_begin(self, error);
	g_autoptr(CbStoreStmt) stmt = NULL;
	g_autofree char *target = g_strdup_printf("session:%" G_GINT64_FORMAT, session_id);

	if (txn == NULL)
		return FALSE;
	stmt = cb_store_prepare(
		self,
		hold ? "INSERT OR IGNORE INTO recording_holds (session_id, held_at, "
		       "held_by_token_id) VALUES (?1, ?2, ?3)"
		     : "DELETE FROM recording_holds WHERE session_id = ?1",
		error);
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, session_id);
	if (hold) {
		sqlite3_bind_int64(stmt, 2, cb_store_now(self));
		cb_store_bind_id_or_null(stmt, 3, actor->token_id);
	}
	if (!cb_store_step_done(self, stmt, hold ? "setting a legal hold" : "lifting a legal hold",
				error))
		return FALSE;
	*changed = sqlite3_changes(self->db) > 0;
	/* only a change is on the record: asking again for what is so is not one */
	if (*changed &&
	    !cb_store_audit_insert(self, actor, hold ? "recording.hold" : "recording.unhold",
				   target, NULL, error))
		return FALSE;
	return cb_store_txn_commit(txn, error);
}
