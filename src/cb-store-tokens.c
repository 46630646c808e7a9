#define G_LOG_DOMAIN "CbStore"

#include "cb-store-private.h"

#define CB_TOKEN_SELECT                                                                            \
	"SELECT t.id, t.account_id, a.label, a.role, a.bridge_point_id, a.ticket_id, "             \
	"t.created_at, t.expires_at, t.revoked_at, t.secret_hash "                                 \
	"FROM tokens t JOIN accounts a ON a.id = t.account_id "

static gpointer
cb_store_token_from_row(sqlite3_stmt *stmt)
{
	CbTokenRecord *token = g_new0(CbTokenRecord, 1);
	CbRole role = CB_ROLE_CITIZEN;

	token->id = sqlite3_column_int64(stmt, 0);
	token->account_id = sqlite3_column_int64(stmt, 1);
	token->label = cb_store_column_strdup(stmt, 2);
	/* the CHECK constraint keeps role one of the four names */
	if (!cb_role_from_string((const char *)sqlite3_column_text(stmt, 3), &role))
		g_warning("token %" G_GINT64_FORMAT " has an unknown role", token->id);
	token->role = role;
	token->bridge_point_id = sqlite3_column_int64(stmt, 4);
	token->ticket_id = sqlite3_column_int64(stmt, 5);
	token->created_at = sqlite3_column_int64(stmt, 6);
	token->expires_at = sqlite3_column_int64(stmt, 7);
	token->revoked_at = sqlite3_column_int64(stmt, 8);
	token->secret_hash = cb_store_column_strdup(stmt, 9);
	return token;
}

CbTokenRecord *
cb_store_token_find_by_hash(CbStore *self, const char *secret_hash, GError **error)
{
	g_autoptr(CbStoreStmt) stmt =
		cb_store_prepare(self, CB_TOKEN_SELECT "WHERE t.secret_hash = ?1", error);

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_text(stmt, 1, secret_hash, -1, SQLITE_TRANSIENT);
	return cb_store_get_one(self, stmt, cb_store_token_from_row, "reading a token", error,
				"no such token");
}

CbTokenRecord *
cb_store_token_get(CbStore *self, gint64 id, GError **error)
{
	g_autoptr(CbStoreStmt) stmt =
		cb_store_prepare(self, CB_TOKEN_SELECT "WHERE t.id = ?1", error);

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, id);
	return cb_store_get_one(self, stmt, cb_store_token_from_row, "reading a token", error,
				"no token has id %" G_GINT64_FORMAT, id);
}

GPtrArray *
cb_store_token_list(CbStore *self, gboolean include_revoked, GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self, CB_TOKEN_SELECT "WHERE ?1 OR t.revoked_at IS NULL ORDER BY t.id", error);

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int(stmt, 1, include_revoked);
	return cb_store_collect(self, stmt, cb_store_token_from_row,
				(GDestroyNotify)cb_token_record_free, "listing tokens", error);
}

static gboolean
cb_store_token_insert_rows(CbStore *self, CbRole role, gint64 bridge_point_id, gint64 ticket_id,
			   const char *label, gint64 expires_at, const char *secret_hash,
			   gint64 *token_id, GError **error)
{
	g_autoptr(CbStoreStmt) account = cb_store_prepare(
		self,
		"INSERT INTO accounts (label, role, bridge_point_id, ticket_id, created_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5)",
		error);
	g_autoptr(CbStoreStmt) token = NULL;
	gint64 now = cb_store_now(self);

	if (account == NULL)
		return FALSE;
	sqlite3_bind_text(account, 1, label != NULL ? label : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(account, 2, cb_role_to_string(role), -1, SQLITE_STATIC);
	cb_store_bind_id_or_null(account, 3, bridge_point_id);
	cb_store_bind_id_or_null(account, 4, ticket_id);
	sqlite3_bind_int64(account, 5, now);
	if (!cb_store_step_done(self, account, "creating an account", error))
		return FALSE;
	token = cb_store_prepare(self,
				 "INSERT INTO tokens (account_id, secret_hash, created_at, "
				 "expires_at) VALUES (?1, ?2, ?3, ?4)",
				 error);
	if (token == NULL)
		return FALSE;
	sqlite3_bind_int64(token, 1, sqlite3_last_insert_rowid(self->db));
	sqlite3_bind_text(token, 2, secret_hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(token, 3, now);
	cb_store_bind_id_or_null(token, 4, expires_at);
	if (!cb_store_step_done(self, token, "storing a token", error))
		return FALSE;
	*token_id = sqlite3_last_insert_rowid(self->db);
	return TRUE;
}

CbTokenRecord *
cb_store_token_insert(CbStore *self, const CbActor *actor, CbRole role, gint64 bridge_point_id,
		      gint64 ticket_id, const char *label, gint64 expires_at,
		      const char *secret_hash, GError **error)
{
	g_autoptr(CbStoreTxn) txn = cb_store_txn_begin(self, error);
	g_autoptr(CbBridgePoint) bp = NULL;
	g_autofree char *target = NULL;
	g_autofree char *detail = NULL;
	gint64 id = 0;

	if (txn == NULL)
		return NULL;
	if (bridge_point_id != 0) {
		bp = cb_store_bridge_point_get(self, bridge_point_id, error);
		if (bp == NULL)
			return NULL;
	}
	if (!cb_store_token_insert_rows(self, role, bridge_point_id, ticket_id, label, expires_at,
					secret_hash, &id, error))
		return NULL;
	target = g_strdup_printf("token:%" G_GINT64_FORMAT, id);
	detail = bridge_point_id != 0 ? g_strdup_printf("role=%s bridge_point=%" G_GINT64_FORMAT,
							cb_role_to_string(role), bridge_point_id)
				      : g_strdup_printf("role=%s", cb_role_to_string(role));
	if (!cb_store_audit_insert(self, actor, "token.create", target, detail, error) ||
	    !cb_store_txn_commit(txn, error))
		return NULL;
	return cb_store_token_get(self, id, error);
}

gboolean
cb_store_token_revoke(CbStore *self, const CbActor *actor, gint64 id, GError **error)
{
	g_autoptr(CbStoreTxn) txn = cb_store_txn_begin(self, error);
	g_autoptr(CbTokenRecord) current = NULL;
	g_autoptr(CbStoreStmt) stmt = NULL;
	g_autofree char *target = g_strdup_printf("token:%" G_GINT64_FORMAT, id);

	if (txn == NULL)
		return FALSE;
	current = cb_store_token_get(self, id, error);
	if (current == NULL)
		return FALSE;
	if (current->revoked_at != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "token %" G_GINT64_FORMAT " is already revoked", id);
		return FALSE;
	}
	stmt = cb_store_prepare(self, "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1", error);
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, cb_store_now(self));
	if (!cb_store_step_done(self, stmt, "revoking a token", error) ||
	    !cb_store_audit_insert(self, actor, "token.revoke", target, NULL, error))
		return FALSE;
	return cb_store_txn_commit(txn, error);
}

gboolean
cb_store_token_count_live(CbStore *self, CbRole role, guint *count, GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self,
		"SELECT count(*) FROM tokens t JOIN accounts a ON a.id = t.account_id "
		"WHERE a.role = ?1 AND t.revoked_at IS NULL AND "
		"(t.expires_at IS NULL OR t.expires_at > ?2)",
		error);
	gint64 live = 0;

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, cb_role_to_string(role), -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, cb_store_now(self));
	if (!cb_store_step_int64(self, stmt, "counting tokens", &live, error))
		return FALSE;
	*count = (guint)live;
	return TRUE;
}

gboolean
cb_store_token_revoke_role(CbStore *self, const CbActor *actor, CbRole role, GError **error)
{
	g_autoptr(CbStoreTxn) txn = cb_store_txn_begin(self, error);
	g_autoptr(CbStoreStmt) stmt = NULL;
	g_autofree char *detail = NULL;

	if (txn == NULL)
		return FALSE;
	stmt = cb_store_prepare(self,
				"UPDATE tokens SET revoked_at = ?2 WHERE revoked_at IS NULL AND "
				"account_id IN (SELECT id FROM accounts WHERE role = ?1)",
				error);
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, cb_role_to_string(role), -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, cb_store_now(self));
	if (!cb_store_step_done(self, stmt, "revoking tokens", error))
		return FALSE;
	detail = g_strdup_printf("role=%s count=%d", cb_role_to_string(role),
				 sqlite3_changes(self->db));
	if (!cb_store_audit_insert(self, actor, "token.revoke_role", NULL, detail, error))
		return FALSE;
	return cb_store_txn_commit(txn, error);
}
