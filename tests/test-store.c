#include <glib/gstdio.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-store.h"
#include "civic-bridge/cb-token.h"

typedef struct {
	char *dir;
	char *path;
	CbClock *clock;
	CbActor actor;
} StoreFixture;

static void
fixture_setup(StoreFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->dir = g_dir_make_tmp("cb-store-XXXXXX", &error);
	g_assert_no_error(error);
	f->path = g_build_filename(f->dir, "civic-bridge.db", NULL);
	/* 2026-11-17 01:00 UTC: a third Tuesday, 08:00 in Hanoi */
	f->clock = cb_clock_new_fake(G_GINT64_CONSTANT(1794877200) * G_TIME_SPAN_SECOND);
	f->actor = (CbActor){.token_id = 1, .role = CB_ROLE_ADMIN, .via = "test"};
}

static void
fixture_teardown(StoreFixture *f, gconstpointer data)
{
	g_autoptr(GDir) dir = g_dir_open(f->dir, 0, NULL);
	const char *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *child = g_build_filename(f->dir, name, NULL);
		g_unlink(child);
	}
	g_rmdir(f->dir);
	g_free(f->dir);
	g_free(f->path);
	g_object_unref(f->clock);
}

/* raw SQL on the file, for building old versions and foreign files */
static void
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *message = NULL;

	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK)
		g_error("%s: %s", sql, message);
	sqlite3_close(db);
}

static char *
read_file(const char *path)
{
	g_autofree char *text = NULL;
	gsize len = 0;
	g_autoptr(GError) error = NULL;

	g_file_get_contents(path, &text, &len, &error);
	g_assert_no_error(error);
	return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *)text, len);
}

static void
test_fresh_store_is_private_and_current(StoreFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbStore) store = cb_store_open(f->path, f->clock, &error);
	GStatBuf st;

	g_assert_no_error(error);
	g_assert_cmpuint(cb_store_get_schema_version(store), ==, cb_store_latest_version());
	g_assert_cmpint(g_stat(f->path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	g_assert_true(cb_store_ping(store, &error));
}

static void
test_wal_files_are_private(StoreFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbStore) store = cb_store_open(f->path, f->clock, &error);
	g_autoptr(CbBridgePoint) bp = NULL;
	g_autofree char *wal = g_strconcat(f->path, "-wal", NULL);
	GStatBuf st;

	bp = cb_store_bridge_point_insert(store, &f->actor, "ba-dinh", "Ba Đình", NULL, &error);
	g_assert_no_error(error);
	/* WAL mode leaves the write in the -wal file, which must be as private */
	g_assert_cmpint(g_stat(wal, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
}

static void
test_migrate_from_each_version(StoreFixture *f, gconstpointer data)
{
	for (guint from = 0; from < cb_store_latest_version(); from++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(CbStore) store = NULL;
		g_autoptr(GPtrArray) list = NULL;
		g_autoptr(CbBridgePoint) added = NULL;

		g_unlink(f->path);
		g_assert_true(cb_store_create_at_version(f->path, from, &error));
		g_assert_no_error(error);
		/* data written by the older version must survive the migration */
		if (from >= 1)
			raw_exec(f->path, "INSERT INTO bridge_points (code, name, created_at, "
					  "updated_at) VALUES ('old', 'Old point', 1, 1)");
		if (from >= 2)
			raw_exec(f->path,
				 "INSERT INTO accounts (label, role, created_at) VALUES "
				 "('old admin', 'admin', 1);"
				 "INSERT INTO tokens (account_id, secret_hash, created_at) VALUES "
				 "(1, 'abc', 1)");
		store = cb_store_open(f->path, f->clock, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(cb_store_get_schema_version(store), ==, cb_store_latest_version());
		list = cb_store_bridge_point_list(store, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(list->len, ==, from >= 1 ? 1 : 0);
		if (from >= 2) {
			g_autoptr(CbTokenRecord) token =
				cb_store_token_find_by_hash(store, "abc", &error);
			g_assert_no_error(error);
			g_assert_cmpint(token->role, ==, CB_ROLE_ADMIN);
		}
		/* and the migrated store takes new writes, audited */
		added = cb_store_bridge_point_insert(store, &f->actor, "new", "New", NULL, &error);
		g_assert_no_error(error);
	}
}

static void
assert_refused(StoreFixture *f, const char *needle)
{
	g_autofree char *before = read_file(f->path);
	g_autofree char *after = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(CbStore) store = cb_store_open(f->path, f->clock, &error);

	g_assert_null(store);
	g_assert_error(error, CB_ERROR, CB_ERROR_STORE);
	g_assert_nonnull(strstr(error->message, f->path));
	if (strstr(error->message, needle) == NULL)
		g_error("wanted '%s' in '%s'", needle, error->message);
	/* a refused file is left exactly as it was */
	after = read_file(f->path);
	g_assert_cmpstr(before, ==, after);
}

static void
test_refuses_non_sqlite_file(StoreFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	g_file_set_contents(f->path, "these are the minutes of a meeting, not a database\n", -1,
			    &error);
	g_assert_no_error(error);
	assert_refused(f, "not an SQLite database");
}

static void
test_refuses_foreign_sqlite(StoreFixture *f, gconstpointer data)
{
	raw_exec(f->path, "PRAGMA journal_mode=DELETE; CREATE TABLE songs (title TEXT);");
	assert_refused(f, "another program");
}

static void
test_refuses_newer_version(StoreFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(cb_store_create_at_version(f->path, cb_store_latest_version(), &error));
	raw_exec(f->path, "UPDATE schema_version SET version = 99; PRAGMA wal_checkpoint;");
	raw_exec(f->path, "PRAGMA journal_mode=DELETE");
	assert_refused(f, "newer than this civic-bridge");
}

static void
test_refuses_corrupt_store(StoreFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbStore) store = NULL;
	g_autofree char *contents = NULL;
	gsize len = 0;

	store = cb_store_open(f->path, f->clock, &error);
	g_assert_no_error(error);
	for (int i = 0; i < 200; i++) {
		g_autofree char *code = g_strdup_printf("point-%d", i);
		g_autoptr(CbBridgePoint) bp = cb_store_bridge_point_insert(
			store, &f->actor, code, "A bridge point with a longish name", NULL, &error);
		g_assert_no_error(error);
	}
	g_clear_object(&store);
	raw_exec(f->path, "PRAGMA journal_mode=DELETE");
	/* scribble over the middle of the file's b-tree pages */
	g_file_get_contents(f->path, &contents, &len, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(len, >, 4 * 4096);
	memset(contents + 2 * 4096 + 8, 0x5a, 3000);
	g_file_set_contents(f->path, contents, len, &error);
	g_assert_no_error(error);
	store = cb_store_open(f->path, f->clock, &error);
	g_assert_null(store);
	g_assert_error(error, CB_ERROR, CB_ERROR_STORE);
	g_assert_nonnull(strstr(error->message, f->path));
	g_assert_true(strstr(error->message, "corrupt") != NULL ||
		      strstr(error->message, "damaged") != NULL);
}

static void
test_bridge_points_crud_and_audit(StoreFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbStore) store = cb_store_open(f->path, f->clock, &error);
	g_autoptr(CbBridgePoint) bp = NULL;
	g_autoptr(CbBridgePoint) dup = NULL;
	g_autoptr(CbBridgePoint) updated = NULL;
	g_autoptr(CbBridgePoint) missing = NULL;
	g_autoptr(GPtrArray) audit = NULL;
	CbAuditEntry *entry;

	bp = cb_store_bridge_point_insert(store, &f->actor, "hoan-kiem", "Phường Hoàn Kiếm",
					  "Hoàn Kiếm", &error);
	g_assert_no_error(error);
	g_assert_cmpint(bp->id, >, 0);
	g_assert_cmpstr(bp->name, ==, "Phường Hoàn Kiếm");
	g_assert_cmpint(bp->created_at, ==, cb_clock_now(f->clock));

	dup = cb_store_bridge_point_insert(store, &f->actor, "hoan-kiem", "Other", NULL, &error);
	g_assert_null(dup);
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
	g_clear_error(&error);

	cb_clock_advance(f->clock, 60 * G_TIME_SPAN_SECOND);
	updated = cb_store_bridge_point_update(store, &f->actor, bp->id, NULL, "Hoàn Kiếm", "",
					       &error);
	g_assert_no_error(error);
	g_assert_cmpstr(updated->code, ==, "hoan-kiem");
	g_assert_cmpstr(updated->name, ==, "Hoàn Kiếm");
	g_assert_null(updated->district);
	g_assert_cmpint(updated->updated_at, ==, bp->updated_at + 60 * G_TIME_SPAN_SECOND);

	missing = cb_store_bridge_point_update(store, &f->actor, 999, NULL, "x", NULL, &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_NOT_FOUND);
	g_clear_error(&error);

	g_assert_true(cb_store_bridge_point_delete(store, &f->actor, bp->id, &error));
	g_assert_false(cb_store_bridge_point_delete(store, &f->actor, bp->id, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_NOT_FOUND);
	g_clear_error(&error);

	audit = cb_store_audit_list(store, 0, 10, &error);
	g_assert_no_error(error);
	/* failed writes leave no audit row: create, update, delete only */
	g_assert_cmpuint(audit->len, ==, 3);
	entry = g_ptr_array_index(audit, 0);
	g_assert_cmpstr(entry->action, ==, "bridge_point.delete");
	g_assert_cmpint(entry->actor_token_id, ==, 1);
	g_assert_cmpstr(entry->actor_role, ==, "admin");
	entry = g_ptr_array_index(audit, 1);
	g_assert_cmpstr(entry->action, ==, "bridge_point.update");
	g_assert_cmpstr(entry->detail, ==, "name district");
}

static void
test_tokens_lifecycle(StoreFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbStore) store = cb_store_open(f->path, f->clock, &error);
	g_autoptr(CbBridgePoint) bp = NULL;
	g_autoptr(CbTokenRecord) op = NULL;
	g_autoptr(CbTokenRecord) found = NULL;
	g_autoptr(CbTokenRecord) none = NULL;
	g_autoptr(CbTokenRecord) bad_bp = NULL;
	g_autoptr(CbTokenRecord) staff = NULL;
	g_autoptr(GPtrArray) live = NULL;
	g_autoptr(GPtrArray) all = NULL;
	g_autoptr(GPtrArray) audit = NULL;
	gint64 now = cb_clock_now(f->clock);
	guint count = 0;

	bp = cb_store_bridge_point_insert(store, &f->actor, "tay-ho", "Tây Hồ", NULL, &error);
	g_assert_no_error(error);
	op = cb_store_token_insert(store, &f->actor, CB_ROLE_OPERATOR, bp->id, 0, "Tây Hồ desk", 0,
				   "hash-op", &error);
	g_assert_no_error(error);
	g_assert_cmpint(op->bridge_point_id, ==, bp->id);
	found = cb_store_token_find_by_hash(store, "hash-op", &error);
	g_assert_no_error(error);
	g_assert_cmpint(found->id, ==, op->id);
	g_assert_cmpint(found->role, ==, CB_ROLE_OPERATOR);
	none = cb_store_token_find_by_hash(store, "hash-unknown", &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_NOT_FOUND);
	g_clear_error(&error);
	bad_bp = cb_store_token_insert(store, &f->actor, CB_ROLE_OPERATOR, 4242, 0, NULL, 0,
				       "hash-x", &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_NOT_FOUND);
	g_clear_error(&error);

	/* a bridge point with a live operator token cannot be deleted */
	g_assert_false(cb_store_bridge_point_delete(store, &f->actor, bp->id, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
	g_clear_error(&error);

	staff = cb_store_token_insert(store, &f->actor, CB_ROLE_STAFF, 0, 0, "hall",
				      now + 3600 * G_TIME_SPAN_SECOND, "hash-staff", &error);
	g_assert_no_error(error);
	g_assert_true(cb_store_token_count_live(store, CB_ROLE_STAFF, &count, &error));
	g_assert_cmpuint(count, ==, 1);
	cb_clock_advance(f->clock, 3601 * G_TIME_SPAN_SECOND);
	g_assert_true(cb_store_token_count_live(store, CB_ROLE_STAFF, &count, &error));
	g_assert_cmpuint(count, ==, 0);

	g_assert_true(cb_store_token_revoke(store, &f->actor, op->id, &error));
	g_assert_false(cb_store_token_revoke(store, &f->actor, op->id, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
	g_clear_error(&error);
	live = cb_store_token_list(store, FALSE, &error);
	all = cb_store_token_list(store, TRUE, &error);
	g_assert_cmpuint(live->len, ==, 1);
	g_assert_cmpuint(all->len, ==, 2);
	g_assert_true(cb_store_bridge_point_delete(store, &f->actor, bp->id, &error));
	g_assert_no_error(error);

	/* the audit log never holds a secret hash */
	audit = cb_store_audit_list(store, 0, 100, &error);
	for (guint i = 0; i < audit->len; i++) {
		CbAuditEntry *entry = g_ptr_array_index(audit, i);
		g_assert_null(strstr(entry->detail != NULL ? entry->detail : "", "hash-"));
	}
}

static void
test_revoke_role(StoreFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbStore) store = cb_store_open(f->path, f->clock, &error);
	guint count = 0;

	for (int i = 0; i < 3; i++) {
		g_autofree char *hash = g_strdup_printf("admin-%d", i);
		g_autoptr(CbTokenRecord) t = cb_store_token_insert(store, &f->actor, CB_ROLE_ADMIN,
								   0, 0, NULL, 0, hash, &error);
		g_assert_no_error(error);
	}
	{
		g_autoptr(CbTokenRecord) t = cb_store_token_insert(store, &f->actor, CB_ROLE_STAFF,
								   0, 0, NULL, 0, "staff", &error);
		g_assert_no_error(error);
	}
	g_assert_true(cb_store_token_revoke_role(store, &f->actor, CB_ROLE_ADMIN, &error));
	g_assert_true(cb_store_token_count_live(store, CB_ROLE_ADMIN, &count, &error));
	g_assert_cmpuint(count, ==, 0);
	g_assert_true(cb_store_token_count_live(store, CB_ROLE_STAFF, &count, &error));
	g_assert_cmpuint(count, ==, 1);
}

static void
test_audit_paging(StoreFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbStore) store = cb_store_open(f->path, f->clock, &error);
	g_autoptr(GPtrArray) first = NULL;
	g_autoptr(GPtrArray) second = NULL;

	for (int i = 0; i < 5; i++) {
		g_autofree char *code = g_strdup_printf("p%d", i);
		g_autoptr(CbBridgePoint) bp =
			cb_store_bridge_point_insert(store, &f->actor, code, code, NULL, &error);
		g_assert_no_error(error);
	}
	first = cb_store_audit_list(store, 0, 3, &error);
	g_assert_cmpuint(first->len, ==, 3);
	second = cb_store_audit_list(store, ((CbAuditEntry *)g_ptr_array_index(first, 2))->id, 3,
				     &error);
	g_assert_cmpuint(second->len, ==, 2);
	g_assert_cmpstr(((CbAuditEntry *)g_ptr_array_index(second, 1))->detail, ==, "p0");
}

static void
test_reopen_keeps_writes(StoreFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbStore) store = cb_store_open(f->path, f->clock, &error);
	g_autoptr(CbBridgePoint) bp = NULL;
	g_autoptr(GPtrArray) list = NULL;

	bp = cb_store_bridge_point_insert(store, &f->actor, "soc-son", "Sóc Sơn", NULL, &error);
	g_assert_no_error(error);
	g_clear_object(&store);
	store = cb_store_open(f->path, f->clock, &error);
	g_assert_no_error(error);
	list = cb_store_bridge_point_list(store, &error);
	g_assert_cmpuint(list->len, ==, 1);
	g_assert_cmpstr(((CbBridgePoint *)g_ptr_array_index(list, 0))->name, ==, "Sóc Sơn");
}

static void
test_sessions(StoreFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbStore) store = cb_store_open(f->path, f->clock, &error);
	gint64 t = cb_clock_now(f->clock);
	CbSession spec = {.series_id = 1,
			  .occurrence_start = t,
			  .title = "Tiếp công dân định kỳ",
			  .kind = CB_SESSION_LEADERSHIP,
			  .presiding = "Chủ tịch UBND Thành phố",
			  .starts_at = t,
			  .ends_at = t + 3 * 3600 * G_TIME_SPAN_SECOND,
			  .opens_at = t - 1800 * G_TIME_SPAN_SECOND};
	CbSession adhoc = {.title = "ad hoc",
			   .kind = CB_SESSION_REGULAR,
			   .starts_at = t + 86400 * G_TIME_SPAN_SECOND,
			   .ends_at = t + 86400 * G_TIME_SPAN_SECOND + 3600 * G_TIME_SPAN_SECOND,
			   .opens_at = t + 86400 * G_TIME_SPAN_SECOND};
	CbSession bad = adhoc;
	g_autoptr(CbSession) s1 = NULL, dup = NULL, s2 = NULL, opened = NULL, stale = NULL;
	g_autoptr(CbSession) found = NULL, moved = NULL, none = NULL;
	g_autoptr(GPtrArray) day = NULL, all = NULL, open = NULL;

	s1 = cb_store_session_insert(store, &f->actor, &spec, &error);
	g_assert_no_error(error);
	g_assert_cmpint(s1->state, ==, CB_SESSION_SCHEDULED);
	g_assert_cmpint(s1->kind, ==, CB_SESSION_LEADERSHIP);
	g_assert_cmpstr(s1->presiding, ==, "Chủ tịch UBND Thành phố");
	/* one session per occurrence of a series */
	dup = cb_store_session_insert(store, &f->actor, &spec, &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
	g_clear_error(&error);
	s2 = cb_store_session_insert(store, &f->actor, &adhoc, &error);
	g_assert_no_error(error);
	g_assert_cmpint(s2->series_id, ==, 0);
	bad.ends_at = bad.starts_at;
	g_assert_null(cb_store_session_insert(store, &f->actor, &bad, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID);
	g_clear_error(&error);

	found = cb_store_session_find_occurrence(store, 1, t, &error);
	g_assert_no_error(error);
	g_assert_cmpint(found->id, ==, s1->id);
	none = cb_store_session_find_occurrence(store, 1, t + 1, &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_NOT_FOUND);
	g_clear_error(&error);

	/* a transition is a compare-and-set on the state */
	opened = cb_store_session_transition(store, &f->actor, s1->id, CB_SESSION_SCHEDULED,
					     CB_SESSION_OPEN, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(opened->state, ==, CB_SESSION_OPEN);
	stale = cb_store_session_transition(store, &f->actor, s1->id, CB_SESSION_SCHEDULED,
					    CB_SESSION_OPEN, NULL, &error);
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
	g_assert_nonnull(strstr(error->message, "is open, not scheduled"));
	g_clear_error(&error);

	day = cb_store_session_list(store, t, t + 3600 * G_TIME_SPAN_SECOND, &error);
	g_assert_cmpuint(day->len, ==, 1);
	all = cb_store_session_list(store, 0, 0, &error);
	g_assert_cmpuint(all->len, ==, 2);
	open = cb_store_session_list_in_state(store, CB_SESSION_OPEN, &error);
	g_assert_cmpuint(open->len, ==, 1);

	adhoc.starts_at += 3600 * G_TIME_SPAN_SECOND;
	adhoc.ends_at += 3600 * G_TIME_SPAN_SECOND;
	adhoc.title = NULL;
	moved = cb_store_session_update(store, &f->actor, s2->id, &adhoc, &error);
	g_assert_no_error(error);
	g_assert_cmpint(moved->starts_at, ==, s2->starts_at + 3600 * G_TIME_SPAN_SECOND);
	g_assert_cmpstr(moved->title, ==, "ad hoc");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn)                                                                              \
	g_test_add("/civic-bridge/store/" path, StoreFixture, NULL, fixture_setup, fn,             \
		   fixture_teardown)
	ADD("fresh-store-is-private-and-current", test_fresh_store_is_private_and_current);
	ADD("wal-files-are-private", test_wal_files_are_private);
	ADD("migrate-from-each-version", test_migrate_from_each_version);
	ADD("refuses-non-sqlite-file", test_refuses_non_sqlite_file);
	ADD("refuses-foreign-sqlite", test_refuses_foreign_sqlite);
	ADD("refuses-newer-version", test_refuses_newer_version);
	ADD("refuses-corrupt-store", test_refuses_corrupt_store);
	ADD("bridge-points-crud-and-audit", test_bridge_points_crud_and_audit);
	ADD("tokens-lifecycle", test_tokens_lifecycle);
	ADD("revoke-role", test_revoke_role);
	ADD("audit-paging", test_audit_paging);
	ADD("reopen-keeps-writes", test_reopen_keeps_writes);
	ADD("sessions", test_sessions);
#undef ADD
	return g_test_run();
}
