/* civic-bridge: what the store's files share; never included outside the store */
#pragma once

#include <sqlite3.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-store.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3_stmt, sqlite3_finalize)

/* a statement from the store's cache: going out of scope resets it for the
 * next use instead of finalizing it */
typedef sqlite3_stmt CbStoreStmt;
void cb_store_stmt_release(CbStoreStmt *stmt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbStoreStmt, cb_store_stmt_release)

struct _CbStore {
	GObject parent_instance;
	sqlite3 *db;
	char *path;
	CbClock *clock;
	guint schema_version;
	GHashTable *statements; /* SQL text -> prepared sqlite3_stmt */
};

/* sets @error from the connection's last error, saying what was being done */
void cb_store_set_error(CbStore *self, GError **error, const char *doing);

/* a prepared statement for @sql, kept for the store's lifetime: the SQL is
 * parsed once, not on every request */
CbStoreStmt *cb_store_prepare(CbStore *self, const char *sql, GError **error);

/* runs one statement to completion (SQLITE_DONE) */
gboolean cb_store_step_done(CbStore *self, sqlite3_stmt *stmt, const char *doing, GError **error);

gboolean cb_store_exec(CbStore *self, const char *sql, GError **error);

/* BEGIN IMMEDIATE, so writers queue on the lock instead of failing mid-way */
gboolean cb_store_begin(CbStore *self, GError **error);
gboolean cb_store_commit(CbStore *self, GError **error);
void cb_store_rollback(CbStore *self);

/* a write transaction that rolls back when it goes out of scope uncommitted;
 * declare it before the statements it covers so it is cleaned up last */
typedef struct {
	CbStore *store;
	gboolean finished;
} CbStoreTxn;

CbStoreTxn *cb_store_txn_begin(CbStore *self, GError **error);
gboolean cb_store_txn_commit(CbStoreTxn *txn, GError **error);
void cb_store_txn_free(CbStoreTxn *txn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbStoreTxn, cb_store_txn_free)

/* makes the record of the row @stmt stands on */
typedef gpointer (*CbStoreFromRow)(sqlite3_stmt *stmt);

/* every row @stmt answers, each made by @from_row, in an array that frees
 * them with @free_func; @doing says what failed */
GPtrArray *cb_store_collect(CbStore *self, sqlite3_stmt *stmt, CbStoreFromRow from_row,
			    GDestroyNotify free_func, const char *doing, GError **error);

/* the first row @stmt answers, made by @from_row; NULL with *@failed FALSE
 * when there is none */
gpointer cb_store_find_one(CbStore *self, sqlite3_stmt *stmt, CbStoreFromRow from_row,
			   const char *doing, gboolean *failed, GError **error);

/* the first row @stmt answers, made by @from_row; CB_ERROR_NOT_FOUND with the
 * message @not_found when there is none */
gpointer cb_store_get_one(CbStore *self, sqlite3_stmt *stmt, CbStoreFromRow from_row,
			  const char *doing, GError **error, const char *not_found, ...)
	G_GNUC_PRINTF(6, 7);

/* the first column of the one row @stmt answers, such as a count */
gboolean cb_store_step_int64(CbStore *self, sqlite3_stmt *stmt, const char *doing, gint64 *value,
			     GError **error);

/* binds NULL for a NULL or empty @text, else the text */
void cb_store_bind_text_or_null(sqlite3_stmt *stmt, int index, const char *text);
/* binds NULL for 0, else the number */
void cb_store_bind_id_or_null(sqlite3_stmt *stmt, int index, gint64 id);
char *cb_store_column_strdup(sqlite3_stmt *stmt, int column);
/* binds who acted at @index and the two after it: the token (NULL for the
 * system), its role (NULL likewise) and the way in ("system" by default) */
void cb_store_bind_actor(sqlite3_stmt *stmt, int index, const CbActor *actor);

typedef struct {
	guint version;
	gboolean (*migrate)(CbStore *self, GError **error);
} CbStoreMigration;

/* the migrations that live beside the tables they make */
gboolean cb_store_migrate_v4_sessions(CbStore *self, GError **error);
gboolean cb_store_migrate_v5_series(CbStore *self, GError **error);
gboolean cb_store_migrate_v6_tickets(CbStore *self, GError **error);
gboolean cb_store_migrate_v7_reception_book(CbStore *self, GError **error);
gboolean cb_store_migrate_v8_recording_holds(CbStore *self, GError **error);

/* writes one audit row in the transaction that is open */
gboolean cb_store_audit_insert(CbStore *self, const CbActor *actor, const char *action,
			       const char *target, const char *detail, GError **error);

gint64 cb_store_now(CbStore *self);
