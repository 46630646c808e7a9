#include <glib/gstdio.h>

#include "civic-bridge/cb-config.h"
#include "civic-bridge/cb-error.h"

typedef struct {
	char *dir;
	char *main_path;
} ConfigFixture;

static void
fixture_setup(ConfigFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->dir = g_dir_make_tmp("cb-config-XXXXXX", &error);
	g_assert_no_error(error);
	f->main_path = g_build_filename(f->dir, "civic-bridge.conf", NULL);
}

static void
remove_dir(const char *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const char *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *child = g_build_filename(path, name, NULL);
		if (g_file_test(child, G_FILE_TEST_IS_DIR))
			remove_dir(child);
		else
			g_unlink(child);
	}
	g_rmdir(path);
}

static void
fixture_teardown(ConfigFixture *f, gconstpointer data)
{
	remove_dir(f->dir);
	g_free(f->dir);
	g_free(f->main_path);
}

static void
write_file(const char *path, const char *text)
{
	g_autoptr(GError) error = NULL;

	g_file_set_contents(path, text, -1, &error);
	g_assert_no_error(error);
}

static void
write_dropin(ConfigFixture *f, const char *name, const char *text)
{
	g_autofree char *confd = g_build_filename(f->dir, "conf.d", NULL);
	g_autofree char *path = g_build_filename(confd, name, NULL);

	g_mkdir_with_parents(confd, 0700);
	write_file(path, text);
}

static void
test_defaults_without_file(ConfigFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) warnings = NULL;
	g_autoptr(CbConfig) config = cb_config_load(f->main_path, FALSE, &warnings, &error);

	g_assert_no_error(error);
	g_assert_cmpstr(config->listen, ==, "127.0.0.1:8080");
	g_assert_null(config->state_dir);
	g_assert_cmpstr(config->timezone, ==, "Asia/Ho_Chi_Minh");
	g_assert_cmpuint(config->max_body_bytes, ==, 1048576);
	g_assert_cmpuint(config->max_json_depth, ==, 32);
	g_assert_cmpuint(config->idle_timeout_seconds, ==, 30);
	g_assert_cmpuint(config->auth_failure_limit, ==, 10);
	/* the hall's console: 30 bridge points, the hall, the floor, the citizen */
	g_assert_cmpuint(config->media_max_peers_per_connection, ==, 40);
	g_assert_cmpuint(warnings->len, ==, 0);
}

static void
test_missing_required_file(ConfigFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbConfig) config = cb_config_load(f->main_path, TRUE, NULL, &error);

	g_assert_null(config);
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFIG);
	g_assert_nonnull(strstr(error->message, f->main_path));
	g_assert_nonnull(strstr(error->message, "no such file"));
}

static void
test_values_and_dropins(ConfigFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbConfig) config = NULL;

	write_file(f->main_path, "[server]\nlisten=[::1]:9000\n\n[limits]\n"
				 "max-json-depth=10\nmax-body-bytes=2048\n");
	/* drop-ins are read in name order, the last one wins */
	write_dropin(f, "20-late.conf", "[limits]\nmax-json-depth=12\n");
	write_dropin(f, "10-early.conf", "[limits]\nmax-json-depth=11\nauth-failure-limit=3\n");
	write_dropin(f, "ignored.txt", "[limits]\nmax-json-depth=99\n");
	config = cb_config_load(f->main_path, TRUE, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(config->listen, ==, "[::1]:9000");
	g_assert_cmpuint(config->max_json_depth, ==, 12);
	g_assert_cmpuint(config->max_body_bytes, ==, 2048);
	g_assert_cmpuint(config->auth_failure_limit, ==, 3);
}

static void
test_unknown_key_warns_with_place(ConfigFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) warnings = NULL;
	g_autoptr(CbConfig) config = NULL;
	g_autofree char *expected = NULL;

	write_file(f->main_path, "# comment\n[limits]\nmax-json-depth=20\nmax-jsn-depth=5\n"
				 "[typo]\nfoo=bar\n");
	config = cb_config_load(f->main_path, TRUE, &warnings, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(config->max_json_depth, ==, 20);
	g_assert_cmpuint(warnings->len, ==, 2);
	expected = g_strdup_printf("%s:4: unknown key 'max-jsn-depth' in [limits]", f->main_path);
	g_assert_true(g_str_has_prefix(g_ptr_array_index(warnings, 0), expected) ||
		      g_str_has_prefix(g_ptr_array_index(warnings, 1), expected));
}

typedef struct {
	const char *text;
	const char *place; /* ":LINE: [group] key" expected after the path */
	const char *reason;
} BadConfig;

static const BadConfig bad_configs[] = {
	{"[limits]\nmax-json-depth=deep\n", ":2: [limits] max-json-depth", "whole number"},
	{"[limits]\n\nmax-json-depth=1\n", ":3: [limits] max-json-depth", "from 2 to 512"},
	{"[limits]\nmax-body-bytes=-5\n", ":2: [limits] max-body-bytes", "whole number"},
	{"[limits]\nidle-timeout-seconds=99999999999999999999\n",
	 ":2: [limits] idle-timeout-seconds", "whole number"},
	{"[server]\nlisten=localhost:80\n", ":2: [server] listen", "not an IP address"},
	{"[server]\nlisten=127.0.0.1\n", ":2: [server] listen", "ADDR:PORT"},
	{"[server]\nlisten=127.0.0.1:70000\n", ":2: [server] listen", "not a port"},
	{"[server]\n# zone\ntimezone=Mars/Olympus\n", ":3: [server] timezone", "time zone"},
	{"[server]\ntimezone=../../etc/passwd\n", ":2: [server] timezone", "time zone"},
	{"[server]\nlisten=127.0.0.1:80\nthis is not a key\n", ":3:", "not a [group]"},
	{"listen=127.0.0.1:80\n", ":1:", "not a [group]"},
	{"[server\nlisten=127.0.0.1:80\n", ":1:", "not a [group]"},
	{"[media]\nclient-ice-servers=stun:a.example.org,http://a.example.org\n",
	 ":2: [media] client-ice-servers", "not a STUN or TURN URI"},
	{"[media]\nturn-servers=stun:a.example.org:3478\n", ":2: [media] turn-servers",
	 "not a TURN URI"},
	{"[media]\nturn-servers=turn:a.example.org:3478>; rel=x\n", ":2: [media] turn-servers",
	 "not a TURN URI"},
	{"[media]\nturn-credential-ttl-seconds=5\n", ":2: [media] turn-credential-ttl-seconds",
	 "from 60"},
	{"[media]\nturn-servers=turn:a.example.org:3478\n", ": [media] turn-servers",
	 "needs [media] turn-secret"},
	{"[media]\nmax-peers-per-connection=0\n", ":2: [media] max-peers-per-connection",
	 "from 1 to 200"},
	{"[media]\nmax-peers-per-connection=201\n", ":2: [media] max-peers-per-connection",
	 "from 1 to 200"},
	{"[media]\nmax-peers=20\nmax-peers-per-connection=21\n",
	 ": [media] max-peers-per-connection (21)", "more than [media] max-peers (20)"},
	/* the default (40) does not fit a smaller room either: the message says which key */
	{"[media]\nmax-peers=20\n", ": [media] max-peers-per-connection (40)",
	 "more than [media] max-peers (20)"},
};

static void
test_bad_values_name_file_line_key(ConfigFixture *f, gconstpointer data)
{
	for (gsize i = 0; i < G_N_ELEMENTS(bad_configs); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(CbConfig) config = NULL;
		g_autofree char *place = g_strconcat(f->main_path, bad_configs[i].place, NULL);

		write_file(f->main_path, bad_configs[i].text);
		config = cb_config_load(f->main_path, TRUE, NULL, &error);
		g_assert_null(config);
		g_assert_error(error, CB_ERROR, CB_ERROR_CONFIG);
		if (!g_str_has_prefix(error->message, place) ||
		    strstr(error->message, bad_configs[i].reason) == NULL)
			g_error("config %zu: got '%s', wanted '%s' ... '%s'", i, error->message,
				place, bad_configs[i].reason);
	}
}

static void
test_bad_dropin_is_named(ConfigFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbConfig) config = NULL;

	write_file(f->main_path, "[limits]\nmax-json-depth=20\n");
	write_dropin(f, "50-bad.conf", "[limits]\nauth-lockout-seconds=forever\n");
	config = cb_config_load(f->main_path, TRUE, NULL, &error);
	g_assert_null(config);
	g_assert_nonnull(strstr(error->message, "50-bad.conf:2: [limits] auth-lockout-seconds"));
}

static void
test_parse_listen(void)
{
	g_autofree char *host = NULL;
	guint16 port = 0;
	g_autoptr(GError) error = NULL;

	g_assert_true(cb_config_parse_listen("127.0.0.1:8080", &host, &port, NULL));
	g_assert_cmpstr(host, ==, "127.0.0.1");
	g_assert_cmpuint(port, ==, 8080);
	g_clear_pointer(&host, g_free);
	g_assert_true(cb_config_parse_listen("[::1]:0", &host, &port, NULL));
	g_assert_cmpstr(host, ==, "::1");
	g_assert_cmpuint(port, ==, 0);
	g_assert_false(cb_config_parse_listen("::1:80", NULL, NULL, &error));
	g_clear_error(&error);
	g_assert_false(cb_config_parse_listen("[::1]80", NULL, NULL, &error));
	g_clear_error(&error);
	g_assert_false(cb_config_parse_listen("1.2.3.4:", NULL, NULL, &error));
	g_clear_error(&error);
	g_assert_false(cb_config_parse_listen("", NULL, NULL, &error));
}

static void
test_restart_needed(void)
{
	g_autoptr(CbConfig) running = cb_config_new_defaults();
	g_autoptr(CbConfig) loaded = cb_config_copy(running);
	g_autoptr(GPtrArray) changed = NULL;
	g_autoptr(GPtrArray) none = NULL;

	loaded->max_json_depth = 5; /* reloadable */
	none = cb_config_restart_needed(running, loaded);
	g_assert_cmpuint(none->len, ==, 0);
	g_free(loaded->listen);
	loaded->listen = g_strdup("127.0.0.1:9999");
	changed = cb_config_restart_needed(running, loaded);
	g_assert_cmpuint(changed->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(changed, 0), ==, "[server] listen");
}

/* the sample file documents every key with its default, and is itself valid */
static void
test_sample_documents_every_key(void)
{
	g_autofree char *path = g_build_filename(g_getenv("CB_SOURCE_ROOT"), "data",
						 "civic-bridge.conf.sample", NULL);
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) warnings = NULL;
	g_autoptr(CbConfig) config = NULL;
	gsize n_keys = 0;
	const CbConfigKeyInfo *keys = cb_config_keys(&n_keys);

	g_file_get_contents(path, &text, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(n_keys, >, 5);
	for (gsize i = 0; i < n_keys; i++) {
		g_autofree char *line =
			g_strdup_printf("\n#%s=%s\n", keys[i].key, keys[i].default_value);
		g_autofree char *group = g_strdup_printf("[%s]", keys[i].group);
		if (strstr(text, line) == NULL)
			g_error("the sample lacks '%s' with its default", keys[i].key);
		g_assert_nonnull(strstr(text, group));
	}
	config = cb_config_load(path, TRUE, &warnings, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(warnings->len, ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn)                                                                              \
	g_test_add("/civic-bridge/config/" path, ConfigFixture, NULL, fixture_setup, fn,           \
		   fixture_teardown)
	ADD("defaults-without-file", test_defaults_without_file);
	ADD("missing-required-file", test_missing_required_file);
	ADD("values-and-dropins", test_values_and_dropins);
	ADD("unknown-key-warns-with-place", test_unknown_key_warns_with_place);
	ADD("bad-values-name-file-line-key", test_bad_values_name_file_line_key);
	ADD("bad-dropin-is-named", test_bad_dropin_is_named);
#undef ADD
	g_test_add_func("/civic-bridge/config/parse-listen", test_parse_listen);
	g_test_add_func("/civic-bridge/config/restart-needed", test_restart_needed);
	g_test_add_func("/civic-bridge/config/sample-documents-every-key",
			test_sample_documents_every_key);
	return g_test_run();
}
