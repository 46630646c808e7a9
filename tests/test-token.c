#include "civic-bridge/cb-auth.h"
#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-token.h"

static void
test_generate_shape_and_uniqueness(void)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (int i = 0; i < 1000; i++) {
		g_autoptr(GError) error = NULL;
		char *token = cb_token_generate(&error);
		g_assert_no_error(error);
		g_assert_cmpuint(strlen(token), ==, CB_TOKEN_LENGTH);
		g_assert_true(g_str_has_prefix(token, "cbt_"));
		g_assert_true(cb_token_is_well_formed(token));
		g_assert_false(g_hash_table_contains(seen, token));
		g_hash_table_add(seen, token);
	}
}

/* 1000 tokens of 256 bits: every base64url character shows up, so the
 * encoding uses the whole alphabet and is not stuck on a few values */
static void
test_generate_uses_whole_alphabet(void)
{
	g_autoptr(GHashTable) chars = g_hash_table_new(g_direct_hash, g_direct_equal);

	for (int i = 0; i < 1000; i++) {
		g_autofree char *token = cb_token_generate(NULL);
		for (const char *p = token + 4; *p != '\0'; p++)
			g_hash_table_add(chars, GINT_TO_POINTER(*p));
	}
	g_assert_cmpuint(g_hash_table_size(chars), ==, 64);
}

static void
test_well_formed_rejects(void)
{
	g_autofree char *good = cb_token_generate(NULL);
	g_autofree char *short_one = g_strndup(good, CB_TOKEN_LENGTH - 1);
	g_autofree char *bad_char = g_strdup(good);
	g_autofree char *bad_prefix = g_strdup(good);

	bad_char[10] = '+';
	bad_prefix[0] = 'x';
	g_assert_false(cb_token_is_well_formed(NULL));
	g_assert_false(cb_token_is_well_formed(""));
	g_assert_false(cb_token_is_well_formed(short_one));
	g_assert_false(cb_token_is_well_formed(bad_char));
	g_assert_false(cb_token_is_well_formed(bad_prefix));
}

static void
test_hash_is_sha256_hex(void)
{
	g_autofree char *hash = cb_token_hash("abc");

	/* FIPS 180-2 test vector */
	g_assert_cmpstr(hash, ==,
			"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
test_hash_equal(void)
{
	g_assert_true(cb_token_hash_equal("abcdef", "abcdef"));
	g_assert_false(cb_token_hash_equal("abcdef", "abcdeg"));
	g_assert_false(cb_token_hash_equal("bbcdef", "abcdef"));
	g_assert_false(cb_token_hash_equal("abcdef", "abcde"));
	g_assert_true(cb_token_hash_equal("", ""));
}

/* the compare looks at every byte: the time for a first-byte mismatch and a
 * last-byte mismatch is the same within noise (a ratio, not a timing bound) */
static void
test_hash_equal_time_does_not_depend_on_position(void)
{
	g_autofree char *a = cb_token_hash("one");
	g_autofree char *early = g_strdup(a);
	g_autofree char *late = g_strdup(a);
	gint64 t_early = G_MAXINT64, t_late = G_MAXINT64;
	volatile gboolean sink = FALSE;

	early[0] = early[0] == '0' ? '1' : '0';
	late[63] = late[63] == '0' ? '1' : '0';
	for (int round = 0; round < 7; round++) {
		gint64 t0 = g_get_monotonic_time();
		for (int i = 0; i < 200000; i++)
			sink ^= cb_token_hash_equal(a, early);
		gint64 t1 = g_get_monotonic_time();
		for (int i = 0; i < 200000; i++)
			sink ^= cb_token_hash_equal(a, late);
		gint64 t2 = g_get_monotonic_time();
		t_early = MIN(t_early, t1 - t0);
		t_late = MIN(t_late, t2 - t1);
	}
	/* an early-exit compare makes the late case many times slower */
	g_assert_cmpfloat((double)t_late / (double)MAX(t_early, 1), <, 2.0);
	g_assert_cmpfloat((double)t_early / (double)MAX(t_late, 1), <, 2.0);
}

static void
test_bearer_from_header(void)
{
	g_assert_cmpstr(cb_auth_bearer_from_header("Bearer abc"), ==, "abc");
	g_assert_cmpstr(cb_auth_bearer_from_header("bearer   abc"), ==, "abc");
	g_assert_null(cb_auth_bearer_from_header("Basic abc"));
	g_assert_null(cb_auth_bearer_from_header("Bearer "));
	g_assert_null(cb_auth_bearer_from_header(NULL));
}

typedef struct {
	char *dir;
	CbStore *store;
	CbClock *clock;
} AuthFixture;

static void
auth_setup(AuthFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = NULL;

	f->dir = g_dir_make_tmp("cb-token-XXXXXX", &error);
	path = g_build_filename(f->dir, "civic-bridge.db", NULL);
	f->clock = cb_clock_new_fake(G_GINT64_CONSTANT(1794877200) * G_TIME_SPAN_SECOND);
	f->store = cb_store_open(path, f->clock, &error);
	g_assert_no_error(error);
}

static void
auth_teardown(AuthFixture *f, gconstpointer data)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);

	g_clear_object(&f->store);
	g_clear_object(&f->clock);
	g_assert_cmpint(system(cmd), ==, 0);
	g_free(f->dir);
}

static void
assert_unauthenticated(AuthFixture *f, const char *token, const char *needle)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTokenRecord) record = cb_auth_resolve(f->store, f->clock, token, &error);

	g_assert_null(record);
	g_assert_error(error, CB_ERROR, CB_ERROR_UNAUTHENTICATED);
	g_assert_nonnull(strstr(error->message, needle));
	/* no message ever repeats the token */
	if (token != NULL && token[0] != '\0')
		g_assert_null(strstr(error->message, token));
}

static void
test_issue_and_resolve(AuthFixture *f, gconstpointer data)
{
	CbActor actor = {.via = "test"};
	g_autoptr(GError) error = NULL;
	g_autofree char *secret = NULL;
	g_autofree char *expiring = NULL;
	g_autofree char *other = cb_token_generate(NULL);
	g_autoptr(CbTokenRecord) record = NULL;
	g_autoptr(CbTokenRecord) resolved = NULL;
	g_autoptr(CbTokenRecord) expiring_record = NULL;

	record = cb_auth_issue_token(f->store, &actor, CB_ROLE_STAFF, 0, 0, "hall", 0, &secret,
				     &error);
	g_assert_no_error(error);
	/* the store keeps the hash, never the secret */
	g_assert_cmpstr(record->secret_hash, !=, secret);
	resolved = cb_auth_resolve(f->store, f->clock, secret, &error);
	g_assert_no_error(error);
	g_assert_cmpint(resolved->id, ==, record->id);

	assert_unauthenticated(f, NULL, "needs an 'Authorization: Bearer");
	assert_unauthenticated(f, "hunter2", "not a civic-bridge token");
	assert_unauthenticated(f, other, "not known");

	expiring_record = cb_auth_issue_token(f->store, &actor, CB_ROLE_ADMIN, 0, 0, NULL,
					      cb_clock_now(f->clock) + 60 * G_TIME_SPAN_SECOND,
					      &expiring, &error);
	g_assert_no_error(error);
	cb_clock_advance(f->clock, 61 * G_TIME_SPAN_SECOND);
	assert_unauthenticated(f, expiring, "expired");

	g_assert_true(cb_store_token_revoke(f->store, &actor, record->id, &error));
	assert_unauthenticated(f, secret, "revoked");
}

static void
test_issue_checks_binding(AuthFixture *f, gconstpointer data)
{
	CbActor actor = {.via = "test"};
	struct {
		CbRole role;
		gint64 bp;
		gint64 ticket;
		const char *needle;
	} cases[] = {
		{CB_ROLE_OPERATOR, 0, 0, "bound to a bridge point"},
		{CB_ROLE_STAFF, 3, 0, "only operator tokens"},
		{CB_ROLE_CITIZEN, 0, 0, "issued with a ticket"},
		{CB_ROLE_ADMIN, 0, 7, "only citizen tokens"},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *secret = NULL;
		g_autoptr(CbTokenRecord) record =
			cb_auth_issue_token(f->store, &actor, cases[i].role, cases[i].bp,
					    cases[i].ticket, NULL, 0, &secret, &error);
		g_assert_null(record);
		g_assert_null(secret);
		g_assert_error(error, CB_ERROR, CB_ERROR_INVALID);
		g_assert_nonnull(strstr(error->message, cases[i].needle));
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/civic-bridge/token/generate-shape-and-uniqueness",
			test_generate_shape_and_uniqueness);
	g_test_add_func("/civic-bridge/token/generate-uses-whole-alphabet",
			test_generate_uses_whole_alphabet);
	g_test_add_func("/civic-bridge/token/well-formed-rejects", test_well_formed_rejects);
	g_test_add_func("/civic-bridge/token/hash-is-sha256-hex", test_hash_is_sha256_hex);
	g_test_add_func("/civic-bridge/token/hash-equal", test_hash_equal);
	g_test_add_func("/civic-bridge/token/hash-equal-constant-time",
			test_hash_equal_time_does_not_depend_on_position);
	g_test_add_func("/civic-bridge/token/bearer-from-header", test_bearer_from_header);
	g_test_add("/civic-bridge/token/issue-and-resolve", AuthFixture, NULL, auth_setup,
		   test_issue_and_resolve, auth_teardown);
	g_test_add("/civic-bridge/token/issue-checks-binding", AuthFixture, NULL, auth_setup,
		   test_issue_checks_binding, auth_teardown);
	return g_test_run();
}
