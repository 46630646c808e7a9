#define G_LOG_DOMAIN "CbStore"

#include "cb-store-private.h"

gboolean
cb_store_audit_insert(CbStore *self, const CbActor *actor, const char *action, const char *target,
		      const char *detail, GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self,
		"INSERT INTO audit_log (at, actor_token_id, actor_role, via, action, target, "
		"detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
		error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, cb_store_now(self));
	cb_store_bind_id_or_null(stmt, 2, actor->token_id);
	cb_store_bind_text_or_null(stmt, 3,
				   actor->token_id != 0 ? cb_role_to_string(actor->role) : NULL);
	sqlite3_bind_text(stmt, 4, actor->via != NULL ? actor->via : "system", -1,
			  SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 5, action, -1, SQLITE_TRANSIENT);
	cb_store_bind_text_or_null(stmt, 6, target);
	cb_store_bind_text_or_null(stmt, 7, detail);
	return cb_store_step_done(self, stmt, "writing the audit log", error);
}

gboolean
cb_store_audit_record(CbStore *self, const CbActor *actor, const char *action, const char *target,
		      const char *detail, GError **error)
{
	g_autoptr(CbStoreTxn) txn = cb_store_txn_begin(self, error);

	if (txn == NULL || !cb_store_audit_insert(self, actor, action, target, detail, error))
		return FALSE;
	return cb_store_txn_commit(txn, error);
}

GPtrArray *
cb_store_audit_list(CbStore *self, gint64 before_id, guint limit, GError **error)
{
	g_autoptr(GPtrArray) entries =
		g_ptr_array_new_with_free_func((GDestroyNotify)cb_audit_entry_free);
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self,
		"SELECT id, at, actor_token_id, actor_role, via, action, target, detail "
		"FROM audit_log WHERE (?1 = 0 OR id < ?1) ORDER BY id DESC LIMIT ?2",
		error);
	int rc;

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, before_id);
	sqlite3_bind_int64(stmt, 2, limit);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		CbAuditEntry *entry = g_new0(CbAuditEntry, 1);
		entry->id = sqlite3_column_int64(stmt, 0);
		entry->at = sqlite3_column_int64(stmt, 1);
		entry->actor_token_id = sqlite3_column_int64(stmt, 2);
		entry->actor_role = cb_store_column_strdup(stmt, 3);
		entry->via = cb_store_column_strdup(stmt, 4);
		entry->action = cb_store_column_strdup(stmt, 5);
		entry->target = cb_store_column_strdup(stmt, 6);
		entry->detail = cb_store_column_strdup(stmt, 7);
		g_ptr_array_add(entries, entry);
	}
	if (rc != SQLITE_DONE) {
		cb_store_set_error(self, error, "reading the audit log");
		return NULL;
	}
	return g_steal_pointer(&entries);
}
