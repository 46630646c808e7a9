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
	cb_store_bind_actor(stmt, 2, actor);
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

static gpointer
cb_store_audit_entry_from_row(sqlite3_stmt *stmt)
{
	CbAuditEntry *entry = g_new0(CbAuditEntry, 1);

	entry->id = sqlite3_column_int64(stmt, 0);
	entry->at = sqlite3_column_int64(stmt, 1);
	entry->actor_token_id = sqlite3_column_int64(stmt, 2);
	entry->actor_role = cb_store_column_strdup(stmt, 3);
	entry->via = cb_store_column_strdup(stmt, 4);
	entry->action = cb_store_column_strdup(stmt, 5);
	entry->target = cb_store_column_strdup(stmt, 6);
	entry->detail = cb_store_column_strdup(stmt, 7);
	return entry;
}

GPtrArray *
cb_store_audit_list(CbStore *self, gint64 before_id, guint limit, GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self,
		"SELECT id, at, actor_token_id, actor_role, via, action, target, detail "
		"FROM audit_log WHERE (?1 = 0 OR id < ?1) ORDER BY id DESC LIMIT ?2",
		error);

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, before_id);
	sqlite3_bind_int64(stmt, 2, limit);
	return cb_store_collect(self, stmt, cb_store_audit_entry_from_row,
				(GDestroyNotify)cb_audit_entry_free, "reading the audit log",
				error);
}
