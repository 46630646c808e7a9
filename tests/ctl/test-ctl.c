#define G_LOG_DOMAIN "CbCtlTest"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <sys/stat.h>

#include "civic-bridge/cb-auth.h"
#include "civic-bridge/cb-store.h"

#include "cb-test-ctl.h"

#define CB_CTL_TOKEN_PATTERN "^cbt_[A-Za-z0-9_-]{43}$"

/* the column, in characters, where @needle starts on the line that holds it */
static glong
cb_ctl_column_of(const char *text, const char *needle)
{
	const char *at = strstr(text, needle);
	const char *line = at;

	g_assert_nonnull(at);
	while (line > text && line[-1] != '\n')
		line--;
	return g_utf8_strlen(line, at - line);
}

static void
test_health(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_ctl_daemon_new(NULL);
	g_autoptr(CbTestCtlRun) table = cb_test_ctl_run(NULL, "--url", d->url, "health");
	g_autoptr(CbTestCtlRun) json =
		cb_test_ctl_run(NULL, "--url", d->url, "--format", "json", "health");
	g_autoptr(CbTestCtlRun) down = NULL;
	g_autoptr(JsonObject) root = NULL;
	JsonObject *readyz;

	cb_test_ctl_assert_ok(table);
	g_assert_nonnull(g_strrstr(table->out, "healthz  200   alive\n"));
	g_assert_nonnull(g_strrstr(table->out, "readyz   200   ready\n"));
	cb_test_ctl_assert_ok(json);
	root = cb_test_ctl_json(json->out);
	g_assert_cmpstr(json_object_get_string_member(root, "url"), ==, d->url);
	readyz = json_object_get_object_member(root, "readyz");
	g_assert_cmpint(json_object_get_int_member(readyz, "http_status"), ==, 200);
	g_assert_cmpstr(json_object_get_string_member(
				json_object_get_object_member(readyz, "answer"), "status"),
			==, "ready");

	/* once the daemon is gone, the same URL is refused */
	g_assert_cmpint(cb_test_daemon_signal_and_wait(d, SIGTERM, 10000), ==, 0);
	down = cb_test_ctl_run(NULL, "--url", d->url, "health");
	cb_test_ctl_assert_fails(down, 1, d->url);
}

static void
test_bridge_point_table(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_ctl_daemon_new(NULL);
	g_autoptr(CbTestCtlRun) add =
		cb_test_ctl_admin(d, "bridge-point", "add", "--code", "ba-dinh", "--name",
				  "Điểm cầu phường Ba Đình", "--district", "Ba Đình");
	g_autoptr(CbTestCtlRun) add2 =
		cb_test_ctl_admin(d, "bridge-point", "add", "--code", "hk", "--name", "HK");
	g_autoptr(CbTestCtlRun) list = NULL, show = NULL, update = NULL, remove = NULL;
	g_autoptr(JsonNode) json = NULL;
	g_autofree char *path = NULL;
	g_autofree char *name = NULL;
	g_autofree char *id_text = NULL;
	g_autofree char *removed = NULL;
	gint64 id, id2;

	cb_test_ctl_assert_ok(add);
	cb_test_ctl_assert_ok(add2);
	id = cb_test_ctl_record_id(add->out);
	id2 = cb_test_ctl_record_id(add2->out);
	g_assert_cmpint(id, >, 0);
	g_assert_cmpint(id2, >, id);
	name = cb_test_ctl_record_value(add->out, "name");
	g_assert_cmpstr(name, ==, "Điểm cầu phường Ba Đình");

	list = cb_test_ctl_admin(d, "bridge-point", "list");
	cb_test_ctl_assert_ok(list);
	g_assert_true(g_str_has_prefix(list->out, "ID  CODE     NAME"));
	/* columns line up in characters, not bytes, and an empty district shows "-" */
	g_assert_cmpint(cb_ctl_column_of(list->out, "Ba Đình\n"), ==,
			cb_ctl_column_of(list->out, "DISTRICT"));
	g_assert_cmpint(cb_ctl_column_of(list->out, "-\n"), ==,
			cb_ctl_column_of(list->out, "DISTRICT"));

	id_text = g_strdup_printf("%" G_GINT64_FORMAT, id);
	show = cb_test_ctl_admin(d, "bridge-point", "show", id_text);
	cb_test_ctl_assert_ok(show);
	g_assert_cmpint(cb_test_ctl_record_id(show->out), ==, id);
	g_assert_nonnull(strstr(show->out, "code:      ba-dinh\n"));

	update = cb_test_ctl_admin(d, "bridge-point", "update", id_text, "--name", "Ba Đình 2");
	cb_test_ctl_assert_ok(update);
	g_assert_nonnull(strstr(update->out, "name:      Ba Đình 2\n"));
	path = g_strdup_printf("/api/v1/bridge-points/%" G_GINT64_FORMAT, id);
	g_assert_cmpuint(cb_test_http(d, "GET", path, d->admin_token, NULL, &json), ==, 200);
	g_assert_cmpstr(json_object_get_string_member(json_node_get_object(json), "name"), ==,
			"Ba Đình 2");

	remove = cb_test_ctl_admin(d, "bridge-point", "remove", id_text);
	cb_test_ctl_assert_ok(remove);
	removed = g_strdup_printf("removed bridge point %s\n", id_text);
	g_assert_cmpstr(remove->out, ==, removed);
	g_assert_cmpuint(cb_test_http(d, "GET", path, d->admin_token, NULL, NULL), ==, 404);
}

static void
test_bridge_point_json(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_ctl_daemon_new(NULL);
	g_autoptr(CbTestCtlRun) add =
		cb_test_ctl_admin(d, "--format", "json", "bridge-point", "add", "--code", "tay-ho",
				  "--name", "Tây Hồ", "--district", "Tây Hồ");
	g_autoptr(CbTestCtlRun) list = NULL, show = NULL, update = NULL, remove = NULL, gone = NULL;
	g_autoptr(JsonObject) created = NULL, listed = NULL, shown = NULL, updated = NULL;
	g_autofree char *id_text = NULL;
	JsonArray *items;

	cb_test_ctl_assert_ok(add);
	created = cb_test_ctl_json(add->out);
	g_assert_cmpint(json_object_get_int_member(created, "id"), >, 0);
	g_assert_cmpstr(json_object_get_string_member(created, "name"), ==, "Tây Hồ");
	id_text = g_strdup_printf("%" G_GINT64_FORMAT, json_object_get_int_member(created, "id"));

	/* a global option after the command counts too */
	list = cb_test_ctl_admin(d, "bridge-point", "list", "--format", "json");
	cb_test_ctl_assert_ok(list);
	listed = cb_test_ctl_json(list->out);
	items = json_object_get_array_member(listed, "items");
	g_assert_cmpuint(json_array_get_length(items), ==, 1);
	g_assert_cmpstr(
		json_object_get_string_member(json_array_get_object_element(items, 0), "code"), ==,
		"tay-ho");

	show = cb_test_ctl_admin(d, "--format", "json", "bridge-point", "show", id_text);
	cb_test_ctl_assert_ok(show);
	shown = cb_test_ctl_json(show->out);
	g_assert_cmpstr(json_object_get_string_member(shown, "district"), ==, "Tây Hồ");

	/* an empty --district clears it */
	update = cb_test_ctl_admin(d, "--format", "json", "bridge-point", "update", id_text,
				   "--district", "");
	cb_test_ctl_assert_ok(update);
	updated = cb_test_ctl_json(update->out);
	g_assert_true(json_object_get_null_member(updated, "district"));
	g_assert_cmpstr(json_object_get_string_member(updated, "name"), ==, "Tây Hồ");

	remove = cb_test_ctl_admin(d, "--format", "json", "bridge-point", "remove", id_text);
	cb_test_ctl_assert_ok(remove);
	g_assert_cmpstr(remove->out, ==, "");
	gone = cb_test_ctl_admin(d, "bridge-point", "show", id_text);
	cb_test_ctl_assert_fails(gone, 1, "(not_found, HTTP 404)");
}

/* GET /api/v1/me with @token: its status, and the answer in *@me */
static guint
cb_ctl_me(CbTestDaemon *d, const char *token, JsonObject **me)
{
	g_autoptr(JsonNode) json = NULL;
	guint status = cb_test_http(d, "GET", "/api/v1/me", token, NULL, &json);

	if (me != NULL)
		*me = json_object_ref(json_node_get_object(json));
	return status;
}

static gint64
cb_ctl_time(JsonObject *object, const char *member)
{
	g_autoptr(GDateTime) time =
		g_date_time_new_from_iso8601(json_object_get_string_member(object, member), NULL);

	g_assert_nonnull(time);
	return g_date_time_to_unix(time);
}

static void
test_token_staff(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_ctl_daemon_new(NULL);
	g_autoptr(CbTestCtlRun) create =
		cb_test_ctl_admin(d, "token", "create", "--role", "staff", "--label", "IT desk",
				  "--expires-in", "90m");
	g_autoptr(CbTestCtlRun) list = NULL, revoke = NULL, live = NULL, all = NULL;
	g_autoptr(JsonObject) me = NULL;
	g_autofree char *secret = NULL;
	g_autofree char *id_text = NULL;
	gint64 lifetime;

	cb_test_ctl_assert_ok(create);
	g_assert_nonnull(strstr(create->out, "shown only once"));
	secret = cb_test_ctl_record_value(create->out, "token");
	g_assert_true(g_regex_match_simple(CB_CTL_TOKEN_PATTERN, secret, 0, 0));
	id_text = cb_test_ctl_record_value(create->out, "id");

	/* the printed secret is a working staff token */
	g_assert_cmpuint(cb_ctl_me(d, secret, &me), ==, 200);
	g_assert_cmpstr(json_object_get_string_member(me, "role"), ==, "staff");
	g_assert_cmpstr(json_object_get_string_member(me, "label"), ==, "IT desk");
	lifetime = cb_ctl_time(me, "expires_at") - cb_ctl_time(me, "created_at");
	g_assert_cmpint(lifetime, >=, 90 * 60 - 1);
	g_assert_cmpint(lifetime, <=, 90 * 60 + 1);

	list = cb_test_ctl_admin(d, "token", "list");
	cb_test_ctl_assert_ok(list);
	g_assert_nonnull(strstr(list->out, "IT desk"));
	g_assert_null(strstr(list->out, secret));

	revoke = cb_test_ctl_admin(d, "token", "revoke", id_text);
	cb_test_ctl_assert_ok(revoke);
	g_assert_nonnull(strstr(revoke->out, id_text));
	g_assert_cmpuint(cb_ctl_me(d, secret, NULL), ==, 401);

	/* a revoked token is listed only with --all */
	live = cb_test_ctl_admin(d, "token", "list");
	cb_test_ctl_assert_ok(live);
	g_assert_null(strstr(live->out, "IT desk"));
	all = cb_test_ctl_admin(d, "token", "list", "--all");
	cb_test_ctl_assert_ok(all);
	g_assert_nonnull(strstr(all->out, "IT desk"));
	g_assert_nonnull(strstr(all->out, "revoked"));
}

static void
test_token_operator(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_ctl_daemon_new(NULL);
	g_autoptr(CbTestCtlRun) unbound =
		cb_test_ctl_admin(d, "token", "create", "--role", "operator");
	g_autoptr(CbTestCtlRun) create = NULL, list = NULL;
	g_autoptr(JsonNode) bp = NULL;
	g_autoptr(JsonObject) created = NULL, me = NULL;
	g_autofree char *bp_text = NULL;
	const char *secret;
	gint64 bp_id;

	cb_test_ctl_assert_fails(unbound, 1, "must be bound to a bridge point");
	g_assert_nonnull(strstr(unbound->err, "(invalid_request, HTTP 400)"));

	g_assert_cmpuint(cb_test_http(d, "POST", "/api/v1/bridge-points", d->admin_token,
				      "{\"code\":\"hk\",\"name\":\"Hoàn Kiếm\"}", &bp),
			 ==, 201);
	bp_id = json_object_get_int_member(json_node_get_object(bp), "id");
	bp_text = g_strdup_printf("%" G_GINT64_FORMAT, bp_id);
	create = cb_test_ctl_admin(d, "--format", "json", "token", "create", "--role", "operator",
				   "--bridge-point", bp_text, "--label", "Hoàn Kiếm desk");
	cb_test_ctl_assert_ok(create);
	created = cb_test_ctl_json(create->out);
	secret = json_object_get_string_member(created, "token");
	g_assert_true(g_regex_match_simple(CB_CTL_TOKEN_PATTERN, secret, 0, 0));
	g_assert_cmpint(json_object_get_int_member(created, "bridge_point_id"), ==, bp_id);
	g_assert_true(json_object_get_null_member(created, "expires_at"));

	g_assert_cmpuint(cb_ctl_me(d, secret, &me), ==, 200);
	g_assert_cmpstr(json_object_get_string_member(me, "role"), ==, "operator");
	g_assert_cmpint(json_object_get_int_member(me, "bridge_point_id"), ==, bp_id);

	list = cb_test_ctl_admin(d, "--format", "json", "token", "list");
	cb_test_ctl_assert_ok(list);
	g_assert_nonnull(strstr(list->out, "Hoàn Kiếm desk"));
	g_assert_null(strstr(list->out, secret));
}

static void
test_env(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_ctl_daemon_new(NULL);
	g_autofree char *url = g_strconcat("CIVIC_BRIDGE_URL=", d->url, NULL);
	g_autofree char *token = g_strconcat("CIVIC_BRIDGE_TOKEN=", d->admin_token, NULL);
	const char *const env[] = {url, token, NULL};
	const char *const wrong_url[] = {"CIVIC_BRIDGE_URL=http://127.0.0.1:1", token, NULL};
	g_autoptr(CbTestCtlRun) add = cb_test_ctl_run(env, "bridge-point", "add", "--code", "env",
						      "--name", "From the environment");
	g_autoptr(CbTestCtlRun) list = cb_test_ctl_run(env, "bridge-point", "list");
	g_autoptr(CbTestCtlRun) overridden =
		cb_test_ctl_run(wrong_url, "--url", d->url, "bridge-point", "list");
	g_autoptr(CbTestCtlRun) no_token =
		cb_test_ctl_run(NULL, "--url", d->url, "bridge-point", "list");

	cb_test_ctl_assert_ok(add);
	cb_test_ctl_assert_ok(list);
	g_assert_nonnull(strstr(list->out, "From the environment"));
	/* --url wins over the environment */
	cb_test_ctl_assert_ok(overridden);
	g_assert_nonnull(strstr(overridden->out, "From the environment"));
	cb_test_ctl_assert_fails(no_token, 2, "CIVIC_BRIDGE_TOKEN");
}

static void
test_audit(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_ctl_daemon_new(NULL);
	g_autoptr(CbTestCtlRun) add = cb_test_ctl_admin(d, "bridge-point", "add", "--code",
							"audited", "--name", "Audited");
	g_autoptr(CbTestCtlRun) table = cb_test_ctl_admin(d, "audit", "--limit", "1");
	g_autoptr(CbTestCtlRun) json = cb_test_ctl_admin(d, "--format", "json", "audit");
	g_autoptr(CbTestCtlRun) older = NULL;
	g_autoptr(JsonObject) root = NULL, page = NULL;
	g_auto(GStrv) lines = NULL;
	g_autofree char *newest_text = NULL;
	JsonArray *items;
	gint64 newest;

	cb_test_ctl_assert_ok(add);
	cb_test_ctl_assert_ok(table);
	lines = g_strsplit(table->out, "\n", -1);
	/* the header, one entry, and the empty string after the last newline */
	g_assert_cmpuint(g_strv_length(lines), ==, 3);
	g_assert_true(g_str_has_prefix(lines[0], "ID  AT"));
	g_assert_nonnull(strstr(lines[1], "bridge_point.create"));

	cb_test_ctl_assert_ok(json);
	root = cb_test_ctl_json(json->out);
	items = json_object_get_array_member(root, "items");
	g_assert_cmpuint(json_array_get_length(items), >=, 2);
	newest = json_object_get_int_member(json_array_get_object_element(items, 0), "id");
	newest_text = g_strdup_printf("%" G_GINT64_FORMAT, newest);
	older = cb_test_ctl_admin(d, "--format", "json", "audit", "--before", newest_text);
	cb_test_ctl_assert_ok(older);
	page = cb_test_ctl_json(older->out);
	items = json_object_get_array_member(page, "items");
	g_assert_cmpuint(json_array_get_length(items), >=, 1);
	for (guint i = 0; i < json_array_get_length(items); i++)
		g_assert_cmpint(
			json_object_get_int_member(json_array_get_object_element(items, i), "id"),
			<, newest);
}

/* @token, checked by the store itself, is a live admin token */
static void
cb_ctl_assert_admin_token(const char *state_dir, const char *token)
{
	g_autofree char *db = g_build_filename(state_dir, "civic-bridge.db", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(CbStore) store = cb_store_open(db, NULL, &error);
	g_autoptr(CbClock) clock = cb_clock_new_real();
	g_autoptr(CbTokenRecord) record = NULL;

	g_assert_no_error(error);
	record = cb_auth_resolve(store, clock, token, &error);
	g_assert_no_error(error);
	g_assert_cmpint(record->role, ==, CB_ROLE_ADMIN);
}

static void
cb_ctl_remove_tree(const char *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const char *name;

	if (dir == NULL) {
		g_unlink(path);
		return;
	}
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *child = g_build_filename(path, name, NULL);
		cb_ctl_remove_tree(child);
	}
	g_rmdir(path);
}

static void
test_init_admin_fresh(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("civic-bridgectl-test-XXXXXX", &error);
	g_autofree char *state = g_build_filename(dir, "state", NULL);
	g_autofree char *db = g_build_filename(state, "civic-bridge.db", NULL);
	g_autoptr(CbTestCtlRun) first = NULL, again = NULL;
	g_autofree char *token = NULL;
	GStatBuf st;

	g_assert_no_error(error);
	first = cb_test_ctl_run(NULL, "--state-dir", state, "init-admin");
	g_assert_cmpint(first->status, ==, 0);
	/* the token alone, on one line */
	g_assert_true(g_str_has_suffix(first->out, "\n"));
	token = g_strndup(first->out, strlen(first->out) - 1);
	g_assert_true(g_regex_match_simple(CB_CTL_TOKEN_PATTERN, token, 0, 0));
	g_assert_null(strstr(first->err, token));
	cb_ctl_assert_admin_token(state, token);
	/* made under umask 0077 */
	g_assert_cmpint(g_stat(state, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0700);
	g_assert_cmpint(g_stat(db, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0077, ==, 0);

	again = cb_test_ctl_run(NULL, "--state-dir", state, "init-admin");
	cb_test_ctl_assert_fails(again, 1, "--force");
	cb_ctl_assert_admin_token(state, token);

	cb_ctl_remove_tree(dir);
}

static void
test_init_admin_force(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_ctl_daemon_new(NULL);
	/* the daemon runs and its store already has an admin token */
	g_autoptr(CbTestCtlRun) refused =
		cb_test_ctl_run(NULL, "--state-dir", d->state_dir, "init-admin");
	g_autoptr(CbTestCtlRun) forced = NULL;
	g_autoptr(JsonObject) me = NULL;
	g_autofree char *token = NULL;

	cb_test_ctl_assert_fails(refused, 1, "live admin token");
	g_assert_cmpuint(cb_ctl_me(d, d->admin_token, NULL), ==, 200);

	forced = cb_test_ctl_run(NULL, "init-admin", "--state-dir", d->state_dir, "--force",
				 "--label", "recovered");
	g_assert_cmpint(forced->status, ==, 0);
	g_assert_true(g_str_has_suffix(forced->out, "\n"));
	token = g_strndup(forced->out, strlen(forced->out) - 1);
	g_assert_true(g_regex_match_simple(CB_CTL_TOKEN_PATTERN, token, 0, 0));

	/* the running daemon takes the new token and refuses the old one */
	g_assert_cmpuint(cb_ctl_me(d, token, &me), ==, 200);
	g_assert_cmpstr(json_object_get_string_member(me, "role"), ==, "admin");
	g_assert_cmpstr(json_object_get_string_member(me, "label"), ==, "recovered");
	g_assert_cmpuint(cb_ctl_me(d, d->admin_token, NULL), ==, 401);
}

static void
test_usage(void)
{
	/* a URL where nothing listens: a usage error must be found before any request */
	const char *const env[] = {"CIVIC_BRIDGE_URL=http://127.0.0.1:1",
				   "CIVIC_BRIDGE_TOKEN=" CB_TEST_CTL_UNKNOWN_TOKEN, NULL};
	const struct {
		const char *const args[8];
		const char *needle;
	} cases[] = {
		{{NULL}, "no command given"},
		{{"frobnicate"}, "unknown command 'frobnicate'"},
		{{"--bogus", "health"}, "--bogus"},
		{{"bridge-point", "list", "--bogus"}, "--bogus"},
		{{"bridge-point"}, "no bridge-point command"},
		{{"bridge-point", "show"}, "needs ID"},
		{{"bridge-point", "show", "abc"}, "'abc' is not a valid bridge point id"},
		{{"bridge-point", "show", "1", "2"}, "unexpected argument '2'"},
		{{"bridge-point", "remove", "-1"}, "-1"},
		{{"bridge-point", "add", "--code", "x"}, "--name"},
		{{"bridge-point", "update", "1"}, "needs --code, --name or --district"},
		{{"token", "revoke", "1x"}, "'1x' is not a valid token id"},
		{{"token", "create", "--role", "staff", "--expires-in", "12x"},
		 "'12x' is not a duration"},
		{{"token", "create", "--role", "mayor"}, "--role"},
		{{"token", "create", "--role", "operator", "--bridge-point", "hk"}, "'hk'"},
		{{"audit", "--limit", "many"}, "'many'"},
		{{"--format", "yaml", "health"}, "--format"},
		{{"--url", "ftp://example.org", "health"}, "not an http:// or https:// URL"},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(CbTestCtlRun) run = cb_test_ctl_runv(env, NULL, cases[i].args);

		cb_test_ctl_assert_fails(run, 2, cases[i].needle);
		g_assert_nonnull(strstr(run->err, "--help"));
	}
}

static void
test_errors(void)
{
	g_autoptr(CbTestDaemon) d = cb_test_ctl_daemon_new(NULL);
	const char *malformed = "hunter2-not-a-token";
	g_autoptr(CbTestCtlRun) unknown =
		cb_test_ctl_run(NULL, "--url", d->url, "--token", CB_TEST_CTL_UNKNOWN_TOKEN,
				"bridge-point", "list");
	g_autoptr(CbTestCtlRun) bad =
		cb_test_ctl_run(NULL, "--url", d->url, "--token", malformed, "token", "list");
	g_autoptr(CbTestCtlRun) missing_bp = cb_test_ctl_admin(d, "bridge-point", "show", "999");
	g_autoptr(CbTestCtlRun) missing_token = cb_test_ctl_admin(d, "token", "revoke", "999");
	g_autoptr(CbTestCtlRun) unreachable = cb_test_ctl_run(
		NULL, "--url", "http://127.0.0.1:1", "--token", d->admin_token, "token", "list");
	g_autoptr(CbTestCtlRun) forbidden = NULL;
	g_autofree char *staff = cb_test_daemon_issue_token(d, CB_ROLE_STAFF, 0, 0, 0);

	cb_test_ctl_assert_fails(unknown, 1, "(unauthenticated, HTTP 401)");
	g_assert_null(strstr(unknown->err, CB_TEST_CTL_UNKNOWN_TOKEN));
	cb_test_ctl_assert_fails(bad, 1, "unauthenticated");
	g_assert_null(strstr(bad->err, malformed));
	cb_test_ctl_assert_fails(missing_bp, 1, "(not_found, HTTP 404)");
	cb_test_ctl_assert_fails(missing_token, 1, "not_found");
	cb_test_ctl_assert_fails(unreachable, 1, "http://127.0.0.1:1");
	g_assert_null(strstr(unreachable->err, d->admin_token));

	forbidden = cb_test_ctl_run(NULL, "--url", d->url, "--token", staff, "token", "list");
	cb_test_ctl_assert_fails(forbidden, 1, "(forbidden, HTTP 403)");
	g_assert_null(strstr(forbidden->err, staff));
}

/* a stand-in for what may sit between the client and the daemon */
static void
cb_ctl_fake_cb(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
	       gpointer user_data)
{
	guint *elsewhere_hits = user_data;
	static const char ready_down[] =
		"{\"error\":{\"code\":\"unavailable\",\"message\":\"the store is not answering\"}}";

	if (g_str_equal(path, "/healthz")) {
		soup_server_message_set_status(msg, 200, NULL);
		soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_STATIC,
						 "{\"status\":\"alive\"}", 18);
	} else if (g_str_equal(path, "/readyz")) {
		soup_server_message_set_status(msg, 503, NULL);
		soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_STATIC,
						 ready_down, strlen(ready_down));
	} else if (g_str_equal(path, "/api/v1/tokens")) {
		soup_server_message_set_redirect(msg, 302, "/elsewhere");
	} else if (g_str_equal(path, "/elsewhere")) {
		(*elsewhere_hits)++;
		soup_server_message_set_status(msg, 200, NULL);
	} else {
		soup_server_message_set_status(msg, 502, NULL);
		soup_server_message_set_response(msg, "text/html", SOUP_MEMORY_STATIC,
						 "<h1>Bad Gateway</h1>", 20);
	}
}

static void
test_not_json(void)
{
	g_autoptr(SoupServer) server = soup_server_new(NULL, NULL);
	g_autoptr(GError) error = NULL;
	GSList *uris;
	g_autofree char *url = NULL;
	g_autoptr(CbTestCtlRun) health = NULL, gateway = NULL, redirect = NULL;
	guint elsewhere_hits = 0;

	soup_server_add_handler(server, NULL, cb_ctl_fake_cb, &elsewhere_hits, NULL);
	soup_server_listen_local(server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
	g_assert_no_error(error);
	uris = soup_server_get_uris(server);
	url = g_strdup_printf("http://127.0.0.1:%d", g_uri_get_port(uris->data));
	g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);

	/* alive but not ready is a failure, with the table still printed */
	health = cb_test_ctl_run(NULL, "--url", url, "health");
	g_assert_cmpint(health->status, ==, 1);
	g_assert_nonnull(
		strstr(health->out, "readyz   503   unavailable: the store is not answering"));
	g_assert_nonnull(strstr(health->err, "not healthy and ready"));

	gateway = cb_test_ctl_run(NULL, "--url", url, "--token", CB_TEST_CTL_UNKNOWN_TOKEN,
				  "bridge-point", "list");
	cb_test_ctl_assert_fails(gateway, 1, "answered HTTP 502 Bad Gateway");

	/* the token is not carried along a redirect */
	redirect = cb_test_ctl_run(NULL, "--url", url, "--token", CB_TEST_CTL_UNKNOWN_TOKEN,
				   "token", "list");
	cb_test_ctl_assert_fails(redirect, 1, "HTTP 302");
	g_assert_cmpuint(elsewhere_hits, ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/civic-bridge/ctl/health", test_health);
	g_test_add_func("/civic-bridge/ctl/bridge-point/table", test_bridge_point_table);
	g_test_add_func("/civic-bridge/ctl/bridge-point/json", test_bridge_point_json);
	g_test_add_func("/civic-bridge/ctl/token/staff", test_token_staff);
	g_test_add_func("/civic-bridge/ctl/token/operator", test_token_operator);
	g_test_add_func("/civic-bridge/ctl/env", test_env);
	g_test_add_func("/civic-bridge/ctl/audit", test_audit);
	g_test_add_func("/civic-bridge/ctl/init-admin/fresh", test_init_admin_fresh);
	g_test_add_func("/civic-bridge/ctl/init-admin/force", test_init_admin_force);
	g_test_add_func("/civic-bridge/ctl/usage", test_usage);
	g_test_add_func("/civic-bridge/ctl/errors", test_errors);
	g_test_add_func("/civic-bridge/ctl/not-json", test_not_json);
	return g_test_run();
}
