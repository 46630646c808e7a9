#define G_LOG_DOMAIN "CbStore"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "cb-store-private.h"

G_DEFINE_TYPE(CbStore, cb_store, G_TYPE_OBJECT)

/* v1: the district bridge points */
static gboolean
cb_store_migrate_v1(CbStore *self, GError **error)
{
	return cb_store_exec(self,
			     "CREATE TABLE bridge_points ("
			     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
			     "  code TEXT NOT NULL UNIQUE,"
			     "  name TEXT NOT NULL,"
			     "  district TEXT,"
			     "  created_at INTEGER NOT NULL,"
			     "  updated_at INTEGER NOT NULL)",
			     error);
}

/* v2: accounts (who holds a credential, in which role) and their tokens */
static gboolean
cb_store_migrate_v2(CbStore *self, GError **error)
{
	return cb_store_exec(
		self,
		"CREATE TABLE accounts ("
		"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
		"  label TEXT NOT NULL,"
		"  role TEXT NOT NULL CHECK (role IN ('admin','staff','operator','citizen')),"
		"  bridge_point_id INTEGER REFERENCES bridge_points(id) ON DELETE SET NULL,"
		"  ticket_id INTEGER,"
		"  created_at INTEGER NOT NULL);"
		"CREATE TABLE tokens ("
		"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
		"  account_id INTEGER NOT NULL REFERENCES accounts(id),"
		"  secret_hash TEXT NOT NULL UNIQUE,"
		"  created_at INTEGER NOT NULL,"
		"  expires_at INTEGER,"
		"  revoked_at INTEGER);",
		error);
}

/* v3: the audit log of every write */
static gboolean
cb_store_migrate_v3(CbStore *self, GError **error)
{
	return cb_store_exec(self,
			     "CREATE TABLE audit_log ("
			     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
			     "  at INTEGER NOT NULL,"
			     "  actor_token_id INTEGER,"
			     "  actor_role TEXT,"
			     "  via TEXT NOT NULL,"
			     "  action TEXT NOT NULL,"
			     "  target TEXT,"
			     "  detail TEXT);"
			     "CREATE INDEX audit_log_at ON audit_log(at);",
			     error);
}

/* every schema version and the function that makes it from the one before;
 * each module that owns tables adds its versions here, in order */
static const CbStoreMigration cb_store_migrations[] = {
	{1, cb_store_migrate_v1},
	{2, cb_store_migrate_v2},
	{3, cb_store_migrate_v3},
	{4, cb_store_migrate_v4_sessions},
	{5, cb_store_migrate_v5_series},
	{6, cb_store_migrate_v6_tickets},
	{7, cb_store_migrate_v7_reception_book},
	{8, cb_store_migrate_v8_recording_holds},
};

guint
cb_store_latest_version(void)
{
	return cb_store_migrations[G_N_ELEMENTS(cb_store_migrations) - 1].version;
}

static void
cb_store_finalize(GObject *object)
{
	CbStore *self = CB_STORE(object);

	/* statements first: the connection closes only when none is left */
	g_clear_pointer(&self->statements, g_hash_table_unref);
	if (self->db != NULL)
		sqlite3_close_v2(self->db);
	g_free(self->path);
	g_clear_object(&self->clock);
	G_OBJECT_CLASS(cb_store_parent_class)->finalize(object);
}

static void
cb_store_class_init(CbStoreClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = cb_store_finalize;
}

static void
cb_store_finalize_statement(gpointer stmt)
{
	sqlite3_finalize(stmt);
}

static void
cb_store_init(CbStore *self)
{
	self->statements =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, cb_store_finalize_statement);
}

void
cb_store_set_error(CbStore *self, GError **error, const char *doing)
{
	g_set_error(error, CB_ERROR, CB_ERROR_STORE, "%s: %s failed: %s", self->path, doing,
		    sqlite3_errmsg(self->db));
}

CbStoreStmt *
cb_store_prepare(CbStore *self, const char *sql, GError **error)
{
	sqlite3_stmt *stmt = g_hash_table_lookup(self->statements, sql);

	if (stmt != NULL)
		return stmt;
	if (sqlite3_prepare_v3(self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) !=
	    SQLITE_OK) {
		cb_store_set_error(self, error, "preparing a statement");
		return NULL;
	}
	g_hash_table_insert(self->statements, g_strdup(sql), stmt);
	return stmt;
}

void
cb_store_stmt_release(CbStoreStmt *stmt)
{
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

gboolean
cb_store_step_done(CbStore *self, sqlite3_stmt *stmt, const char *doing, GError **error)
{
	int rc = sqlite3_step(stmt);

	if (rc != SQLITE_DONE) {
		cb_store_set_error(self, error, doing);
		return FALSE;
	}
	return TRUE;
}

GPtrArray *
cb_store_collect(CbStore *self, sqlite3_stmt *stmt, CbStoreFromRow from_row,
		 GDestroyNotify free_func, const char *doing, GError **error)
{
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(free_func);
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(rows, from_row(stmt));
	if (rc != SQLITE_DONE) {
		cb_store_set_error(self, error, doing);
		return NULL;
	}
	return g_steal_pointer(&rows);
}

gpointer
cb_store_find_one(CbStore *self, sqlite3_stmt *stmt, CbStoreFromRow from_row, const char *doing,
		  gboolean *failed, GError **error)
{
	int rc = sqlite3_step(stmt);

	*failed = FALSE;
	if (rc == SQLITE_ROW)
		return from_row(stmt);
	if (rc != SQLITE_DONE) {
		*failed = TRUE;
		cb_store_set_error(self, error, doing);
	}
	return NULL;
}

gpointer
cb_store_get_one(CbStore *self, sqlite3_stmt *stmt, CbStoreFromRow from_row, const char *doing,
		 GError **error, const char *not_found, ...)
{
	gboolean failed = FALSE;
	gpointer row = cb_store_find_one(self, stmt, from_row, doing, &failed, error);
	va_list args;

	if (row == NULL && !failed) {
		va_start(args, not_found);
		g_propagate_error(
			error, g_error_new_valist(CB_ERROR, CB_ERROR_NOT_FOUND, not_found, args));
		va_end(args);
	}
	return row;
}

gboolean
cb_store_step_int64(CbStore *self, sqlite3_stmt *stmt, const char *doing, gint64 *value,
		    GError **error)
{
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		cb_store_set_error(self, error, doing);
		return FALSE;
	}
	*value = sqlite3_column_int64(stmt, 0);
	return TRUE;
}

gboolean
cb_store_exec(CbStore *self, const char *sql, GError **error)
{
	char *message = NULL;

	if (sqlite3_exec(self->db, sql, NULL, NULL, &message) != SQLITE_OK) {
		g_set_error(error, CB_ERROR, CB_ERROR_STORE, "%s: %s", self->path,
			    message != NULL ? message : sqlite3_errmsg(self->db));
		sqlite3_free(message);
		return FALSE;
	}
	return TRUE;
}

gboolean
cb_store_begin(CbStore *self, GError **error)
{
	return cb_store_exec(self, "BEGIN IMMEDIATE", error);
}

gboolean
cb_store_commit(CbStore *self, GError **error)
{
	if (!cb_store_exec(self, "COMMIT", error)) {
		cb_store_rollback(self);
		return FALSE;
	}
	return TRUE;
}

void
cb_store_rollback(CbStore *self)
{
	if (!sqlite3_get_autocommit(self->db))
		sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
}

CbStoreTxn *
cb_store_txn_begin(CbStore *self, GError **error)
{
	CbStoreTxn *txn;

	if (!cb_store_begin(self, error))
		return NULL;
	txn = g_new0(CbStoreTxn, 1);
	txn->store = self;
	return txn;
}

gboolean
cb_store_txn_commit(CbStoreTxn *txn, GError **error)
{
	txn->finished = TRUE;
	return cb_store_commit(txn->store, error);
}

void
cb_store_txn_free(CbStoreTxn *txn)
{
	if (txn == NULL)
		return;
	if (!txn->finished)
		cb_store_rollback(txn->store);
	g_free(txn);
}

void
cb_store_bind_text_or_null(sqlite3_stmt *stmt, int index, const char *text)
{
	if (text == NULL || text[0] == '\0')
		sqlite3_bind_null(stmt, index);
	else
		sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
}

void
cb_store_bind_id_or_null(sqlite3_stmt *stmt, int index, gint64 id)
{
	if (id == 0)
		sqlite3_bind_null(stmt, index);
	else
		sqlite3_bind_int64(stmt, index, id);
}

char *
cb_store_column_strdup(sqlite3_stmt *stmt, int column)
{
	const unsigned char *text = sqlite3_column_text(stmt, column);
	return text != NULL ? g_strdup((const char *)text) : NULL;
}

void
cb_store_bind_actor(sqlite3_stmt *stmt, int index, const CbActor *actor)
{
	cb_store_bind_id_or_null(stmt, index, actor->token_id);
	cb_store_bind_text_or_null(stmt, index + 1,
				   actor->token_id != 0 ? cb_role_to_string(actor->role) : NULL);
	sqlite3_bind_text(stmt, index + 2, actor->via != NULL ? actor->via : "system", -1,
			  SQLITE_TRANSIENT);
}

gint64
cb_store_now(CbStore *self)
{
	return cb_clock_now(self->clock);
}

const char *
cb_store_get_path(CbStore *self)
{
	g_return_val_if_fail(CB_IS_STORE(self), NULL);
	return self->path;
}

guint
cb_store_get_schema_version(CbStore *self)
{
	g_return_val_if_fail(CB_IS_STORE(self), 0);
	return self->schema_version;
}

gboolean
cb_store_ping(CbStore *self, GError **error)
{
	g_autoptr(CbStoreStmt) stmt = cb_store_prepare(self, "SELECT 1", error);

	if (stmt == NULL)
		return FALSE;
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		cb_store_set_error(self, error, "answering a ping");
		return FALSE;
	}
	return TRUE;
}

/* creates the file with mode 0600 before SQLite does; SQLite gives its -wal
 * and -shm files the mode of the database file */
static gboolean
cb_store_create_private_file(const char *path, GError **error)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_STORE, "%s: cannot create: %s", path,
			    g_strerror(errno));
		return FALSE;
	}
	close(fd);
	if (g_chmod(path, 0600) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_STORE, "%s: cannot make private: %s", path,
			    g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

static gboolean
cb_store_quick_check(CbStore *self, GError **error)
{
	/* run once at open: not worth a place in the cache */
	g_autoptr(sqlite3_stmt) stmt = NULL;
	int rc;

	if (sqlite3_prepare_v2(self->db, "PRAGMA quick_check", -1, &stmt, NULL) != SQLITE_OK ||
	    (rc = sqlite3_step(stmt)) != SQLITE_ROW) {
		int code = sqlite3_errcode(self->db);
		if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
			g_set_error(error, CB_ERROR, CB_ERROR_STORE,
				    "%s is not a civic-bridge store: not an SQLite database or "
				    "damaged beyond reading (%s); restore it from a backup",
				    self->path, sqlite3_errmsg(self->db));
		else
			cb_store_set_error(self, error, "checking integrity");
		return FALSE;
	}
	if (g_strcmp0((const char *)sqlite3_column_text(stmt, 0), "ok") != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_STORE,
			    "%s is corrupt (quick_check: %s); restore it from a backup", self->path,
			    (const char *)sqlite3_column_text(stmt, 0));
		return FALSE;
	}
	return TRUE;
}

static gboolean
cb_store_count_tables(CbStore *self, const char *name, gint64 *count, GError **error)
{
	g_autoptr(CbStoreStmt) stmt =
		cb_store_prepare(self,
				 "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
				 "name NOT LIKE 'sqlite_%' AND (?1 IS NULL OR name = ?1)",
				 error);

	if (stmt == NULL)
		return FALSE;
	cb_store_bind_text_or_null(stmt, 1, name);
	return cb_store_step_int64(self, stmt, "reading the schema", count, error);
}

/* finds the schema version without writing anything, so a file that is
 * refused is left exactly as it was; an empty file is version 0 */
static gboolean
cb_store_read_version(CbStore *self, gboolean *empty, GError **error)
{
	gint64 all_tables = 0;
	gint64 version_tables = 0;
	g_autoptr(CbStoreStmt) stmt = NULL;

	if (!cb_store_count_tables(self, NULL, &all_tables, error) ||
	    !cb_store_count_tables(self, "schema_version", &version_tables, error))
		return FALSE;
	*empty = all_tables == 0;
	if (*empty) {
		self->schema_version = 0;
		return TRUE;
	}
	if (version_tables == 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_STORE,
			    "%s is an SQLite database of another program (it has no "
			    "civic-bridge schema); refusing to touch it",
			    self->path);
		return FALSE;
	}
	stmt = cb_store_prepare(self, "SELECT version FROM schema_version", error);
	if (stmt == NULL)
		return FALSE;
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		g_set_error(error, CB_ERROR, CB_ERROR_STORE,
			    "%s has an empty schema_version table; refusing to guess its version",
			    self->path);
		return FALSE;
	}
	self->schema_version = (guint)sqlite3_column_int64(stmt, 0);
	if (self->schema_version > cb_store_latest_version()) {
		g_set_error(error, CB_ERROR, CB_ERROR_STORE,
			    "%s has schema version %u, newer than this civic-bridge knows (%u); "
			    "run a newer civic-bridge",
			    self->path, self->schema_version, cb_store_latest_version());
		return FALSE;
	}
	return TRUE;
}

/* each step in its own transaction, so a crash leaves a whole version */
static gboolean
cb_store_migrate_to(CbStore *self, guint target, GError **error)
{
	for (gsize i = 0; i < G_N_ELEMENTS(cb_store_migrations); i++) {
		guint next = cb_store_migrations[i].version;
		g_autofree char *bump = NULL;
		g_autoptr(CbStoreTxn) txn = NULL;

		if (next <= self->schema_version || next > target)
			continue;
		bump = g_strdup_printf("UPDATE schema_version SET version = %u", next);
		txn = cb_store_txn_begin(self, error);
		if (txn == NULL)
			return FALSE;
		if (!cb_store_migrations[i].migrate(self, error) ||
		    !cb_store_exec(self, bump, error)) {
			g_prefix_error(error, "migrating to schema version %u: ", next);
			return FALSE;
		}
		if (!cb_store_txn_commit(txn, error))
			return FALSE;
		g_info("store %s migrated to schema version %u", self->path, next);
		self->schema_version = next;
	}
	return TRUE;
}

static CbStore *
cb_store_open_at(const char *path, CbClock *clock, guint target, GError **error)
{
	g_autoptr(CbStore) self = g_object_new(CB_TYPE_STORE, NULL);
	gboolean empty = FALSE;

	self->path = g_strdup(path);
	self->clock = clock != NULL ? g_object_ref(clock) : cb_clock_new_real();
	if (!g_file_test(path, G_FILE_TEST_EXISTS) && !cb_store_create_private_file(path, error))
		return NULL;
	if (sqlite3_open_v2(path, &self->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		g_set_error(error, CB_ERROR, CB_ERROR_STORE, "%s: cannot open: %s", path,
			    self->db != NULL ? sqlite3_errmsg(self->db) : "out of memory");
		return NULL;
	}
	sqlite3_extended_result_codes(self->db, 0);
	sqlite3_busy_timeout(self->db, 5000);
	if (!cb_store_quick_check(self, error) || !cb_store_read_version(self, &empty, error))
		return NULL;
	/* WAL with FULL sync: a change is on disk before it is acknowledged */
	if (!cb_store_exec(self,
			   "PRAGMA journal_mode = WAL;"
			   "PRAGMA synchronous = FULL;"
			   "PRAGMA foreign_keys = ON;",
			   error))
		return NULL;
	if (empty && !cb_store_exec(self,
				    "CREATE TABLE schema_version (version INTEGER NOT NULL);"
				    "INSERT INTO schema_version (version) VALUES (0);",
				    error))
		return NULL;
	if (!cb_store_migrate_to(self, target, error))
		return NULL;
	return g_steal_pointer(&self);
}

CbStore *
cb_store_open(const char *path, CbClock *clock, GError **error)
{
	return cb_store_open_at(path, clock, cb_store_latest_version(), error);
}

gboolean
cb_store_create_at_version(const char *path, guint version, GError **error)
{
	g_autoptr(CbStore) store = NULL;

	g_return_val_if_fail(version <= cb_store_latest_version(), FALSE);
	store = cb_store_open_at(path, NULL, version, error);
	return store != NULL;
}
