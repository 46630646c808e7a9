#define G_LOG_DOMAIN "CbStore"

#include "cb-store-private.h"

#define CB_SESSION_COLUMNS                                                                         \
	"id, series_id, occurrence_start, title, kind, presiding, starts_at, ends_at, opens_at, "  \
	"state, cancel_reason, created_at, updated_at"

/* v4: reception sessions, ad hoc or occurrences of a series */
gboolean
cb_store_migrate_v4_sessions(CbStore *self, GError **error)
{
	return cb_store_exec(self,
			     "CREATE TABLE sessions ("
			     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
			     "  series_id INTEGER,"
			     "  occurrence_start INTEGER,"
			     "  title TEXT NOT NULL,"
			     "  kind TEXT NOT NULL CHECK (kind IN ('regular','leadership')),"
			     "  presiding TEXT,"
			     "  starts_at INTEGER NOT NULL,"
			     "  ends_at INTEGER NOT NULL CHECK (ends_at > starts_at),"
			     "  opens_at INTEGER NOT NULL CHECK (opens_at <= starts_at),"
			     "  state TEXT NOT NULL CHECK (state IN "
			     "    ('scheduled','open','live','ended','cancelled')),"
			     "  cancel_reason TEXT,"
			     "  created_at INTEGER NOT NULL,"
			     "  updated_at INTEGER NOT NULL,"
			     "  UNIQUE (series_id, occurrence_start));"
			     "CREATE INDEX sessions_starts_at ON sessions(starts_at);"
			     "CREATE INDEX sessions_state ON sessions(state);",
			     error);
}

static gpointer
cb_store_session_from_row(sqlite3_stmt *stmt)
{
	CbSession *session = g_new0(CbSession, 1);

	session->id = sqlite3_column_int64(stmt, 0);
	session->series_id = sqlite3_column_int64(stmt, 1);
	session->occurrence_start = sqlite3_column_int64(stmt, 2);
	session->title = cb_store_column_strdup(stmt, 3);
	/* the CHECK constraints keep kind and state to the known names */
	cb_session_kind_from_string((const char *)sqlite3_column_text(stmt, 4), &session->kind);
	session->presiding = cb_store_column_strdup(stmt, 5);
	session->starts_at = sqlite3_column_int64(stmt, 6);
	session->ends_at = sqlite3_column_int64(stmt, 7);
	session->opens_at = sqlite3_column_int64(stmt, 8);
	cb_session_state_from_string((const char *)sqlite3_column_text(stmt, 9), &session->state);
	session->cancel_reason = cb_store_column_strdup(stmt, 10);
	session->created_at = sqlite3_column_int64(stmt, 11);
	session->updated_at = sqlite3_column_int64(stmt, 12);
	return session;
}

static GPtrArray *
cb_store_session_collect(CbStore *self, sqlite3_stmt *stmt, GError **error)
{
	return cb_store_collect(self, stmt, cb_store_session_from_row,
				(GDestroyNotify)cb_session_free, "listing sessions", error);
}

CbSession *
cb_store_session_get(CbStore *self, gint64 id, GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self, "SELECT " CB_SESSION_COLUMNS " FROM sessions WHERE id = ?1", error);

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, id);
	return cb_store_get_one(self, stmt, cb_store_session_from_row, "reading a session", error,
				"no session has id %" G_GINT64_FORMAT, id);
}

GPtrArray *
cb_store_session_list(CbStore *self, gint64 from, gint64 to, GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self,
		"SELECT " CB_SESSION_COLUMNS " FROM sessions WHERE (?1 = 0 OR ends_at > ?1) AND "
		"(?2 = 0 OR starts_at < ?2) ORDER BY starts_at, id",
		error);

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, from);
	sqlite3_bind_int64(stmt, 2, to);
	return cb_store_session_collect(self, stmt, error);
}

GPtrArray *
cb_store_session_list_in_state(CbStore *self, CbSessionState state, GError **error)
{
	g_autoptr(CbStoreStmt) stmt =
		cb_store_prepare(self,
				 "SELECT " CB_SESSION_COLUMNS " FROM sessions WHERE state = ?1 "
				 "ORDER BY starts_at, id",
				 error);

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_text(stmt, 1, cb_session_state_to_string(state), -1, SQLITE_STATIC);
	return cb_store_session_collect(self, stmt, error);
}

CbSession *
cb_store_session_find_occurrence(CbStore *self, gint64 series_id, gint64 occurrence_start,
				 GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(self,
						       "SELECT " CB_SESSION_COLUMNS
						       " FROM sessions WHERE series_id = ?1 AND "
						       "occurrence_start = ?2",
						       error);

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, series_id);
	sqlite3_bind_int64(stmt, 2, occurrence_start);
	return cb_store_get_one(self, stmt, cb_store_session_from_row, "reading a session", error,
				"series %" G_GINT64_FORMAT " has no session for that occurrence",
				series_id);
}

static gboolean
cb_store_session_check_times(const CbSession *spec, GError **error)
{
	if (spec->ends_at <= spec->starts_at || spec->opens_at > spec->starts_at) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "a session must end after it starts and open no later than "
				    "it starts");
		return FALSE;
	}
	return TRUE;
}

CbSession *
cb_store_session_insert(CbStore *self, const CbActor *actor, const CbSession *spec, GError **error)
{
	g_autoptr(CbStoreTxn) txn = NULL;
	g_autoptr(CbStoreStmt) stmt = NULL;
	g_autofree char *target = NULL;
	gint64 now = cb_store_now(self);
	gint64 id;

	if (!cb_store_session_check_times(spec, error))
		return NULL;
	txn = cb_store_txn_begin(self, error);
	if (txn == NULL)
		return NULL;
	stmt = cb_store_prepare(self,
				"INSERT INTO sessions (series_id, occurrence_start, title, kind, "
				"presiding, starts_at, ends_at, opens_at, state, created_at, "
				"updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'scheduled', "
				"?9, ?9)",
				error);
	if (stmt == NULL)
		return NULL;
	cb_store_bind_id_or_null(stmt, 1, spec->series_id);
	cb_store_bind_id_or_null(stmt, 2, spec->series_id != 0 ? spec->occurrence_start : 0);
	sqlite3_bind_text(stmt, 3, spec->title != NULL ? spec->title : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 4, cb_session_kind_to_string(spec->kind), -1, SQLITE_STATIC);
	cb_store_bind_text_or_null(stmt, 5, spec->presiding);
	sqlite3_bind_int64(stmt, 6, spec->starts_at);
	sqlite3_bind_int64(stmt, 7, spec->ends_at);
	sqlite3_bind_int64(stmt, 8, spec->opens_at);
	sqlite3_bind_int64(stmt, 9, now);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		if (sqlite3_errcode(self->db) == SQLITE_CONSTRAINT)
			g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
				    "series %" G_GINT64_FORMAT
				    " already has a session for that occurrence",
				    spec->series_id);
		else
			cb_store_set_error(self, error, "storing a session");
		return NULL;
	}
	id = sqlite3_last_insert_rowid(self->db);
	target = g_strdup_printf("session:%" G_GINT64_FORMAT, id);
	if (!cb_store_audit_insert(self, actor, "session.create", target,
				   cb_session_kind_to_string(spec->kind), error) ||
	    !cb_store_txn_commit(txn, error))
		return NULL;
	return cb_store_session_get(self, id, error);
}

CbSession *
cb_store_session_transition(CbStore *self, const CbActor *actor, gint64 id, CbSessionState from,
			    CbSessionState to, const char *reason, GError **error)
{
	g_autoptr(CbStoreTxn) txn = cb_store_txn_begin(self, error);
	g_autoptr(CbSession) current = NULL;
	g_autoptr(CbStoreStmt) stmt = NULL;
	g_autofree char *target = g_strdup_printf("session:%" G_GINT64_FORMAT, id);
	g_autofree char *action = g_strdup_printf("session.%s", cb_session_state_to_string(to));

	if (txn == NULL)
		return NULL;
	current = cb_store_session_get(self, id, error);
	if (current == NULL)
		return NULL;
	if (current->state != from) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "session %" G_GINT64_FORMAT " is %s, not %s", id,
			    cb_session_state_to_string(current->state),
			    cb_session_state_to_string(from));
		return NULL;
	}
	stmt = cb_store_prepare(self,
				"UPDATE sessions SET state = ?2, updated_at = ?3, cancel_reason = "
				"CASE WHEN ?2 = 'cancelled' THEN ?4 ELSE cancel_reason END "
				"WHERE id = ?1",
				error);
	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_text(stmt, 2, cb_session_state_to_string(to), -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, cb_store_now(self));
	cb_store_bind_text_or_null(stmt, 4, reason);
	if (!cb_store_step_done(self, stmt, "changing a session's state", error) ||
	    !cb_store_audit_insert(self, actor, action, target, reason, error) ||
	    !cb_store_txn_commit(txn, error))
		return NULL;
	return cb_store_session_get(self, id, error);
}

CbSession *
cb_store_session_update(CbStore *self, const CbActor *actor, gint64 id, const CbSession *changes,
			GError **error)
{
	g_autoptr(CbStoreTxn) txn = NULL;
	g_autoptr(CbSession) current = NULL;
	g_autoptr(CbStoreStmt) stmt = NULL;
	g_autofree char *target = g_strdup_printf("session:%" G_GINT64_FORMAT, id);

	if (!cb_store_session_check_times(changes, error))
		return NULL;
	txn = cb_store_txn_begin(self, error);
	if (txn == NULL)
		return NULL;
	current = cb_store_session_get(self, id, error);
	if (current == NULL)
		return NULL;
	stmt = cb_store_prepare(self,
				"UPDATE sessions SET title = ?2, presiding = ?3, starts_at = ?4, "
				"ends_at = ?5, opens_at = ?6, updated_at = ?7 WHERE id = ?1",
				error);
	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_text(stmt, 2, changes->title != NULL ? changes->title : current->title, -1,
			  SQLITE_TRANSIENT);
	cb_store_bind_text_or_null(stmt, 3, changes->presiding);
	sqlite3_bind_int64(stmt, 4, changes->starts_at);
	sqlite3_bind_int64(stmt, 5, changes->ends_at);
	sqlite3_bind_int64(stmt, 6, changes->opens_at);
	sqlite3_bind_int64(stmt, 7, cb_store_now(self));
	if (!cb_store_step_done(self, stmt, "changing a session", error) ||
	    !cb_store_audit_insert(self, actor, "session.update", target, NULL, error) ||
	    !cb_store_txn_commit(txn, error))
		return NULL;
	return cb_store_session_get(self, id, error);
}
