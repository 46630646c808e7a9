#define G_LOG_DOMAIN "CbStore"

#include "cb-store-private.h"

#define CB_BRIDGE_POINT_COLUMNS "id, code, name, district, created_at, updated_at"

static gpointer
cb_store_bridge_point_from_row(sqlite3_stmt *stmt)
{
	CbBridgePoint *bp = g_new0(CbBridgePoint, 1);

	bp->id = sqlite3_column_int64(stmt, 0);
	bp->code = cb_store_column_strdup(stmt, 1);
	bp->name = cb_store_column_strdup(stmt, 2);
	bp->district = cb_store_column_strdup(stmt, 3);
	bp->created_at = sqlite3_column_int64(stmt, 4);
	bp->updated_at = sqlite3_column_int64(stmt, 5);
	return bp;
}

GPtrArray *
cb_store_bridge_point_list(CbStore *self, GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self, "SELECT " CB_BRIDGE_POINT_COLUMNS " FROM bridge_points ORDER BY id", error);

	if (stmt == NULL)
		return NULL;
	return cb_store_collect(self, stmt, cb_store_bridge_point_from_row,
				(GDestroyNotify)cb_bridge_point_free, "listing bridge points",
				error);
}

CbBridgePoint *
cb_store_bridge_point_get(CbStore *self, gint64 id, GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self, "SELECT " CB_BRIDGE_POINT_COLUMNS " FROM bridge_points WHERE id = ?1", error);

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, id);
	return cb_store_get_one(self, stmt, cb_store_bridge_point_from_row,
				"reading a bridge point", error,
				"no bridge point has id %" G_GINT64_FORMAT, id);
}

/* turns a UNIQUE violation on the code into a conflict the client can act on */
static void
cb_store_bridge_point_write_error(CbStore *self, const char *code, GError **error)
{
	if (sqlite3_errcode(self->db) == SQLITE_CONSTRAINT)
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "a bridge point with code '%s' already exists", code);
	else
		cb_store_set_error(self, error, "writing a bridge point");
}

CbBridgePoint *
cb_store_bridge_point_insert(CbStore *self, const CbActor *actor, const char *code,
			     const char *name, const char *district, GError **error)
{
	g_autoptr(CbStoreTxn) txn = cb_store_txn_begin(self, error);
	g_autoptr(CbStoreStmt) stmt = NULL;
	g_autofree char *target = NULL;
	gint64 id;

	if (txn == NULL)
		return NULL;
	stmt = cb_store_prepare(self,
				"INSERT INTO bridge_points (code, name, district, created_at, "
				"updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
				error);
	if (stmt == NULL)
		return NULL;
	sqlite3_bind_text(stmt, 1, code, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 2, name, -1, SQLITE_TRANSIENT);
	cb_store_bind_text_or_null(stmt, 3, district);
	sqlite3_bind_int64(stmt, 4, cb_store_now(self));
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		cb_store_bridge_point_write_error(self, code, error);
		return NULL;
	}
	id = sqlite3_last_insert_rowid(self->db);
	target = g_strdup_printf("bridge_point:%" G_GINT64_FORMAT, id);
	if (!cb_store_audit_insert(self, actor, "bridge_point.create", target, code, error) ||
	    !cb_store_txn_commit(txn, error))
		return NULL;
	return cb_store_bridge_point_get(self, id, error);
}

CbBridgePoint *
cb_store_bridge_point_update(CbStore *self, const CbActor *actor, gint64 id, const char *code,
			     const char *name, const char *district, GError **error)
{
	g_autoptr(CbStoreTxn) txn = cb_store_txn_begin(self, error);
	g_autoptr(CbBridgePoint) current = NULL;
	g_autoptr(CbStoreStmt) stmt = NULL;
	g_autofree char *target = g_strdup_printf("bridge_point:%" G_GINT64_FORMAT, id);
	g_autoptr(GString) changed = g_string_new(NULL);

	if (txn == NULL)
		return NULL;
	current = cb_store_bridge_point_get(self, id, error);
	if (current == NULL)
		return NULL;
	/* the audit says which fields changed, not their values */
	if (code != NULL)
		g_string_append(changed, "code ");
	if (name != NULL)
		g_string_append(changed, "name ");
	if (district != NULL)
		g_string_append(changed, "district ");
	g_strchomp(changed->str);
	stmt = cb_store_prepare(self,
				"UPDATE bridge_points SET code = ?2, name = ?3, district = ?4, "
				"updated_at = ?5 WHERE id = ?1",
				error);
	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_text(stmt, 2, code != NULL ? code : current->code, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 3, name != NULL ? name : current->name, -1, SQLITE_TRANSIENT);
	cb_store_bind_text_or_null(stmt, 4, district != NULL ? district : current->district);
	sqlite3_bind_int64(stmt, 5, cb_store_now(self));
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		cb_store_bridge_point_write_error(self, code, error);
		return NULL;
	}
	if (!cb_store_audit_insert(self, actor, "bridge_point.update", target, changed->str,
				   error) ||
	    !cb_store_txn_commit(txn, error))
		return NULL;
	return cb_store_bridge_point_get(self, id, error);
}

static gboolean
cb_store_bridge_point_count_tokens(CbStore *self, gint64 id, gint64 *count, GError **error)
{
	g_autoptr(CbStoreStmt) stmt =
		cb_store_prepare(self,
				 "SELECT count(*) FROM tokens t JOIN accounts a ON "
				 "a.id = t.account_id WHERE a.bridge_point_id = ?1 AND "
				 "t.revoked_at IS NULL",
				 error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, id);
	return cb_store_step_int64(self, stmt, "counting a bridge point's tokens", count, error);
}

gboolean
cb_store_bridge_point_delete(CbStore *self, const CbActor *actor, gint64 id, GError **error)
{
	g_autoptr(CbStoreTxn) txn = cb_store_txn_begin(self, error);
	g_autoptr(CbBridgePoint) current = NULL;
	g_autoptr(CbStoreStmt) stmt = NULL;
	g_autofree char *target = g_strdup_printf("bridge_point:%" G_GINT64_FORMAT, id);
	gint64 tokens = 0;

	if (txn == NULL)
		return FALSE;
	current = cb_store_bridge_point_get(self, id, error);
	if (current == NULL || !cb_store_bridge_point_count_tokens(self, id, &tokens, error))
		return FALSE;
	if (tokens > 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "bridge point %" G_GINT64_FORMAT " still has %" G_GINT64_FORMAT
			    " operator token(s); revoke them first",
			    id, tokens);
		return FALSE;
	}
	stmt = cb_store_prepare(self, "DELETE FROM bridge_points WHERE id = ?1", error);
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, id);
	if (!cb_store_step_done(self, stmt, "deleting a bridge point", error) ||
	    !cb_store_audit_insert(self, actor, "bridge_point.delete", target, current->code,
				   error))
		return FALSE;
	return cb_store_txn_commit(txn, error);
}
