#define G_LOG_DOMAIN "CbStore"

#include "cb-store-private.h"

#define CB_SERIES_COLUMNS                                                                          \
	"id, rrule, timezone, starts_on, start_minute, duration_minutes, kind, title, presiding, " \
	"created_at, updated_at"

#define CB_EXCEPTION_COLUMNS                                                                       \
	"id, series_id, occurrence_start, state, new_start, reason, created_at, updated_at"

/* v5: series of sessions, the bridge points each invites, and the
 * occurrences moved or cancelled one by one */
gboolean
cb_store_migrate_v5_series(CbStore *self, GError **error)
{
	return cb_store_exec(
		self,
		"CREATE TABLE series ("
		"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
		"  rrule TEXT NOT NULL,"
		"  timezone TEXT NOT NULL,"
		"  starts_on TEXT NOT NULL,"
		"  start_minute INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),"
		"  duration_minutes INTEGER NOT NULL CHECK (duration_minutes > 0),"
		"  kind TEXT NOT NULL CHECK (kind IN ('regular','leadership')),"
		"  title TEXT NOT NULL,"
		"  presiding TEXT,"
		"  created_at INTEGER NOT NULL,"
		"  updated_at INTEGER NOT NULL);"
		"CREATE TABLE series_bridge_points ("
		"  series_id INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,"
		"  bridge_point_id INTEGER NOT NULL REFERENCES bridge_points(id) ON DELETE CASCADE,"
		"  PRIMARY KEY (series_id, bridge_point_id));"
		"CREATE INDEX series_bridge_points_bp ON series_bridge_points(bridge_point_id);"
		"CREATE TABLE series_exceptions ("
		"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
		"  series_id INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,"
		"  occurrence_start INTEGER NOT NULL,"
		"  state TEXT NOT NULL CHECK (state IN ('moved','cancelled')),"
		"  new_start INTEGER,"
		"  reason TEXT NOT NULL,"
		"  created_at INTEGER NOT NULL,"
		"  updated_at INTEGER NOT NULL,"
		"  CHECK ((state = 'moved') = (new_start IS NOT NULL)),"
		"  UNIQUE (series_id, occurrence_start));",
		error);
}

static gboolean
cb_store_series_read_bridge_points(CbStore *self, CbSeries *series, GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self,
		"SELECT bridge_point_id FROM series_bridge_points WHERE series_id = ?1 "
		"ORDER BY bridge_point_id",
		error);
	int rc;

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, series->id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		gint64 id = sqlite3_column_int64(stmt, 0);
		g_array_append_val(series->bridge_point_ids, id);
	}
	if (rc != SQLITE_DONE) {
		cb_store_set_error(self, error, "reading a series' bridge points");
		return FALSE;
	}
	return TRUE;
}

static gpointer
cb_store_series_from_row(sqlite3_stmt *stmt)
{
	CbSeries *series = cb_series_new();

	series->id = sqlite3_column_int64(stmt, 0);
	series->rrule = cb_store_column_strdup(stmt, 1);
	series->timezone = cb_store_column_strdup(stmt, 2);
	series->starts_on = cb_store_column_strdup(stmt, 3);
	series->start_minute = (guint)sqlite3_column_int64(stmt, 4);
	series->duration_minutes = (guint)sqlite3_column_int64(stmt, 5);
	/* the CHECK constraint keeps kind to the known names */
	cb_session_kind_from_string((const char *)sqlite3_column_text(stmt, 6), &series->kind);
	series->title = cb_store_column_strdup(stmt, 7);
	series->presiding = cb_store_column_strdup(stmt, 8);
	series->created_at = sqlite3_column_int64(stmt, 9);
	series->updated_at = sqlite3_column_int64(stmt, 10);
	return series;
}

CbSeries *
cb_store_series_get(CbStore *self, gint64 id, GError **error)
{
	g_autoptr(CbSeries) series = NULL;

	{
		g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
			self, "SELECT " CB_SERIES_COLUMNS " FROM series WHERE id = ?1", error);
		if (stmt == NULL)
			return NULL;
		sqlite3_bind_int64(stmt, 1, id);
		series = cb_store_get_one(self, stmt, cb_store_series_from_row, "reading a series",
					  error, "no series has id %" G_GINT64_FORMAT, id);
		if (series == NULL)
			return NULL;
	}
	if (!cb_store_series_read_bridge_points(self, series, error))
		return NULL;
	return g_steal_pointer(&series);
}

GPtrArray *
cb_store_series_list(CbStore *self, GError **error)
{
	g_autoptr(GPtrArray) list = NULL;

	{
		g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
			self, "SELECT " CB_SERIES_COLUMNS " FROM series ORDER BY id", error);
		if (stmt == NULL)
			return NULL;
		list = cb_store_collect(self, stmt, cb_store_series_from_row,
					(GDestroyNotify)cb_series_free, "listing series", error);
		if (list == NULL)
			return NULL;
	}
	for (guint i = 0; i < list->len; i++) {
		if (!cb_store_series_read_bridge_points(self, g_ptr_array_index(list, i), error))
			return NULL;
	}
	return g_steal_pointer(&list);
}

gboolean
cb_store_series_count(CbStore *self, gint64 *count, GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(self, "SELECT count(*) FROM series", error);

	if (stmt == NULL)
		return FALSE;
	return cb_store_step_int64(self, stmt, "counting series", count, error);
}

static gboolean
cb_store_series_insert_bridge_point(CbStore *self, gint64 series_id, gint64 bridge_point_id,
				    GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self,
		"INSERT OR IGNORE INTO series_bridge_points (series_id, bridge_point_id) "
		"SELECT ?1, id FROM bridge_points WHERE id = ?2",
		error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, series_id);
	sqlite3_bind_int64(stmt, 2, bridge_point_id);
	if (!cb_store_step_done(self, stmt, "inviting a bridge point", error))
		return FALSE;
	/* 0 rows: no such bridge point (a repeated id is ignored before this) */
	if (sqlite3_changes(self->db) == 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "no bridge point has id %" G_GINT64_FORMAT, bridge_point_id);
		return FALSE;
	}
	return TRUE;
}

static gboolean
cb_store_series_insert_row(CbStore *self, const CbSeries *spec, gint64 *id, GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self,
		"INSERT INTO series (rrule, timezone, starts_on, start_minute, duration_minutes, "
		"kind, title, presiding, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
		"?7, ?8, ?9, ?9)",
		error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, spec->rrule, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 2, spec->timezone, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 3, spec->starts_on, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(stmt, 4, spec->start_minute);
	sqlite3_bind_int64(stmt, 5, spec->duration_minutes);
	sqlite3_bind_text(stmt, 6, cb_session_kind_to_string(spec->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 7, spec->title != NULL ? spec->title : "", -1, SQLITE_TRANSIENT);
	cb_store_bind_text_or_null(stmt, 8, spec->presiding);
	sqlite3_bind_int64(stmt, 9, cb_store_now(self));
	if (!cb_store_step_done(self, stmt, "storing a series", error))
		return FALSE;
	*id = sqlite3_last_insert_rowid(self->db);
	return TRUE;
}

CbSeries *
cb_store_series_insert(CbStore *self, const CbActor *actor, const CbSeries *spec, GError **error)
{
	g_autoptr(CbStoreTxn) txn = NULL;
	g_autofree char *target = NULL;
	gint64 id = 0;

	if (spec->rrule == NULL || spec->timezone == NULL || spec->starts_on == NULL ||
	    spec->start_minute >= 24 * 60 || spec->duration_minutes == 0) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "a series needs a rule, a zone, a first date, a start time "
				    "and a duration");
		return NULL;
	}
	txn = cb_store_txn_begin(self, error);
	if (txn == NULL || !cb_store_series_insert_row(self, spec, &id, error))
		return NULL;
	for (guint i = 0; spec->bridge_point_ids != NULL && i < spec->bridge_point_ids->len; i++) {
		if (!cb_store_series_insert_bridge_point(
			    self, id, g_array_index(spec->bridge_point_ids, gint64, i), error))
			return NULL;
	}
	target = g_strdup_printf("series:%" G_GINT64_FORMAT, id);
	/* the rule is no personal data, and says what was scheduled */
	if (!cb_store_audit_insert(self, actor, "series.create", target, spec->rrule, error) ||
	    !cb_store_txn_commit(txn, error))
		return NULL;
	return cb_store_series_get(self, id, error);
}

static gpointer
cb_store_exception_from_row(sqlite3_stmt *stmt)
{
	CbSeriesException *exception = g_new0(CbSeriesException, 1);
	const char *state = (const char *)sqlite3_column_text(stmt, 3);

	exception->id = sqlite3_column_int64(stmt, 0);
	exception->series_id = sqlite3_column_int64(stmt, 1);
	exception->occurrence_start = sqlite3_column_int64(stmt, 2);
	exception->state =
		g_strcmp0(state, "moved") == 0 ? CB_OCCURRENCE_MOVED : CB_OCCURRENCE_CANCELLED;
	exception->new_start = sqlite3_column_int64(stmt, 4);
	exception->reason = cb_store_column_strdup(stmt, 5);
	exception->created_at = sqlite3_column_int64(stmt, 6);
	exception->updated_at = sqlite3_column_int64(stmt, 7);
	return exception;
}

GPtrArray *
cb_store_series_exception_list(CbStore *self, gint64 series_id, GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self,
		"SELECT " CB_EXCEPTION_COLUMNS " FROM series_exceptions WHERE series_id = ?1 "
		"ORDER BY occurrence_start",
		error);

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, series_id);
	return cb_store_collect(self, stmt, cb_store_exception_from_row,
				(GDestroyNotify)cb_series_exception_free,
				"listing a series' exceptions", error);
}

/* the exception of one occurrence; NULL without an error when there is none */
static CbSeriesException *
cb_store_exception_find(CbStore *self, gint64 series_id, gint64 occurrence_start, gboolean *failed,
			GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self,
		"SELECT " CB_EXCEPTION_COLUMNS " FROM series_exceptions WHERE series_id = ?1 AND "
		"occurrence_start = ?2",
		error);

	*failed = stmt == NULL;
	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, series_id);
	sqlite3_bind_int64(stmt, 2, occurrence_start);
	return cb_store_find_one(self, stmt, cb_store_exception_from_row,
				 "reading an occurrence's exception", failed, error);
}

static gboolean
cb_store_exception_upsert(CbStore *self, gint64 series_id, gint64 occurrence_start,
			  CbOccurrenceState state, gint64 new_start, const char *reason,
			  GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self,
		"INSERT INTO series_exceptions (series_id, occurrence_start, state, new_start, "
		"reason, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) "
		"ON CONFLICT (series_id, occurrence_start) DO UPDATE SET state = excluded.state, "
		"new_start = excluded.new_start, reason = excluded.reason, "
		"updated_at = excluded.updated_at",
		error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, series_id);
	sqlite3_bind_int64(stmt, 2, occurrence_start);
	sqlite3_bind_text(stmt, 3, cb_occurrence_state_to_string(state), -1, SQLITE_STATIC);
	cb_store_bind_id_or_null(stmt, 4, state == CB_OCCURRENCE_MOVED ? new_start : 0);
	sqlite3_bind_text(stmt, 5, reason, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(stmt, 6, cb_store_now(self));
	return cb_store_step_done(self, stmt, "storing an occurrence's exception", error);
}

/* the session of an occurrence in the open transaction; NULL without an
 * error when it has none yet */
static CbSession *
cb_store_occurrence_session(CbStore *self, gint64 series_id, gint64 occurrence_start,
			    gboolean *failed, GError **error)
{
	g_autoptr(GError) local = NULL;
	CbSession *session =
		cb_store_session_find_occurrence(self, series_id, occurrence_start, &local);

	*failed = FALSE;
	if (session == NULL && !g_error_matches(local, CB_ERROR, CB_ERROR_NOT_FOUND)) {
		*failed = TRUE;
		g_propagate_error(error, g_steal_pointer(&local));
	}
	return session;
}

static gboolean
cb_store_session_set_times(CbStore *self, const CbActor *actor, const CbSession *session,
			   gint64 starts_at, gint64 ends_at, gint64 opens_at, GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self,
		"UPDATE sessions SET starts_at = ?2, ends_at = ?3, opens_at = ?4, updated_at = ?5 "
		"WHERE id = ?1 AND state = 'scheduled'",
		error);
	g_autofree char *target = g_strdup_printf("session:%" G_GINT64_FORMAT, session->id);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, session->id);
	sqlite3_bind_int64(stmt, 2, starts_at);
	sqlite3_bind_int64(stmt, 3, ends_at);
	sqlite3_bind_int64(stmt, 4, opens_at);
	sqlite3_bind_int64(stmt, 5, cb_store_now(self));
	return cb_store_step_done(self, stmt, "moving a session", error) &&
	       cb_store_audit_insert(self, actor, "session.move", target, NULL, error);
}

static gboolean
cb_store_session_set_cancelled(CbStore *self, const CbActor *actor, const CbSession *session,
			       const char *reason, GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(
		self,
		"UPDATE sessions SET state = 'cancelled', cancel_reason = ?2, updated_at = ?3 "
		"WHERE id = ?1 AND state IN ('scheduled','open')",
		error);
	g_autofree char *target = g_strdup_printf("session:%" G_GINT64_FORMAT, session->id);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, session->id);
	sqlite3_bind_text(stmt, 2, reason, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(stmt, 3, cb_store_now(self));
	return cb_store_step_done(self, stmt, "cancelling a session", error) &&
	       cb_store_audit_insert(self, actor, "session.cancelled", target, reason, error);
}

static gboolean
cb_store_occurrence_audit(CbStore *self, const CbActor *actor, const char *action, gint64 series_id,
			  gint64 occurrence_start, const char *reason, GError **error)
{
	g_autofree char *when = cb_time_format_utc(occurrence_start);
	g_autofree char *target =
		g_strdup_printf("series:%" G_GINT64_FORMAT "@%s", series_id, when);

	return cb_store_audit_insert(self, actor, action, target, reason, error);
}

static CbSeriesException *
cb_store_occurrence_finish(CbStore *self, CbStoreTxn *txn, gint64 series_id,
			   gint64 occurrence_start, gboolean had_session, CbSession **session,
			   GError **error)
{
	gboolean failed = FALSE;
	g_autoptr(CbSeriesException) exception = NULL;

	if (!cb_store_txn_commit(txn, error))
		return NULL;
	exception = cb_store_exception_find(self, series_id, occurrence_start, &failed, error);
	if (exception == NULL) {
		if (!failed)
			g_set_error_literal(error, CB_ERROR, CB_ERROR_INTERNAL,
					    "the occurrence's exception vanished after commit");
		return NULL;
	}
	if (had_session && session != NULL) {
		*session = cb_store_occurrence_session(self, series_id, occurrence_start, &failed,
						       error);
		if (failed)
			return NULL;
	}
	return g_steal_pointer(&exception);
}

/* in the open transaction: the occurrence's session, or NULL when it has
 * none yet; CB_ERROR_CONFLICT saying @if_cancelled when the occurrence is
 * cancelled already */
static gboolean
cb_store_occurrence_read(CbStore *self, gint64 series_id, gint64 occurrence_start,
			 const char *if_cancelled, CbSession **session, GError **error)
{
	g_autoptr(CbSeriesException) existing = NULL;
	gboolean failed = FALSE;

	existing = cb_store_exception_find(self, series_id, occurrence_start, &failed, error);
	if (failed)
		return FALSE;
	if (existing != NULL && existing->state == CB_OCCURRENCE_CANCELLED) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_CONFLICT, if_cancelled);
		return FALSE;
	}
	*session = cb_store_occurrence_session(self, series_id, occurrence_start, &failed, error);
	return !failed;
}

CbSeriesException *
cb_store_occurrence_move(CbStore *self, const CbActor *actor, gint64 series_id,
			 gint64 occurrence_start, gint64 new_start, gint64 new_end,
			 gint64 new_opens, const char *reason, CbSession **session, GError **error)
{
	g_autoptr(CbStoreTxn) txn = NULL;
	g_autoptr(CbSession) current = NULL;

	if (new_end <= new_start || new_opens > new_start || reason == NULL || reason[0] == '\0') {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "a move needs a reason and times that end after they start");
		return NULL;
	}
	txn = cb_store_txn_begin(self, error);
	if (txn == NULL ||
	    !cb_store_occurrence_read(self, series_id, occurrence_start,
				      "the occurrence is cancelled; it cannot be moved", &current,
				      error))
		return NULL;
	if (current != NULL && current->state != CB_SESSION_SCHEDULED) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "the occurrence's session %" G_GINT64_FORMAT
			    " is %s; only a scheduled one can be moved",
			    current->id, cb_session_state_to_string(current->state));
		return NULL;
	}
	if (!cb_store_exception_upsert(self, series_id, occurrence_start, CB_OCCURRENCE_MOVED,
				       new_start, reason, error) ||
	    !cb_store_occurrence_audit(self, actor, "occurrence.move", series_id, occurrence_start,
				       reason, error))
		return NULL;
	if (current != NULL &&
	    !cb_store_session_set_times(self, actor, current, new_start, new_end, new_opens, error))
		return NULL;
	return cb_store_occurrence_finish(self, txn, series_id, occurrence_start, current != NULL,
					  session, error);
}

CbSeriesException *
cb_store_occurrence_cancel(CbStore *self, const CbActor *actor, gint64 series_id,
			   gint64 occurrence_start, const char *reason, CbSession **session,
			   GError **error)
{
	g_autoptr(CbStoreTxn) txn = NULL;
	g_autoptr(CbSession) current = NULL;

	if (reason == NULL || reason[0] == '\0') {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "a cancellation needs a reason");
		return NULL;
	}
	txn = cb_store_txn_begin(self, error);
	if (txn == NULL ||
	    !cb_store_occurrence_read(self, series_id, occurrence_start,
				      "the occurrence is already cancelled", &current, error))
		return NULL;
	if (current != NULL &&
	    (current->state == CB_SESSION_LIVE || current->state == CB_SESSION_ENDED)) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "the occurrence's session %" G_GINT64_FORMAT
			    " is %s; it can no longer be cancelled",
			    current->id, cb_session_state_to_string(current->state));
		return NULL;
	}
	if (!cb_store_exception_upsert(self, series_id, occurrence_start, CB_OCCURRENCE_CANCELLED,
				       0, reason, error) ||
	    !cb_store_occurrence_audit(self, actor, "occurrence.cancel", series_id,
				       occurrence_start, reason, error))
		return NULL;
	if (current != NULL && current->state != CB_SESSION_CANCELLED &&
	    !cb_store_session_set_cancelled(self, actor, current, reason, error))
		return NULL;
	return cb_store_occurrence_finish(self, txn, series_id, occurrence_start, current != NULL,
					  session, error);
}
