#define G_LOG_DOMAIN "CbCtlTest"

/* civic-bridgectl export|import reception-book and report against a real daemon */

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "civic-bridge/cb-reception-book.h"

#include "cb-test-daemon.h"

/* a civic-bridgectl that has not finished by then is killed and the test fails */
#define CB_CTL_RUN_TIMEOUT_MS 20000
#define BA_DINH               "Điểm cầu phường Ba Đình"
#define HEADER                CB_BOOK_CSV_HEADER "\r\n"

static const char book_csv[] =
	HEADER "2024-01-05,08:30,Nguyễn Văn An,\"12 phố Huế, Hai Bà Trưng\",001080001234,"
	       "Khiếu nại đất đai,complaint,1,UBND quận,accepted,,,,leadership\r\n"
	       "2024-01-05,09:00,,,,Tố cáo,denunciation,5,,forwarded,,," BA_DINH ",leadership\r\n"
	       "2024-02-10,,,,,Kiến nghị,recommendation,12,,guided,,'=1+2,,regular\r\n";

typedef struct {
	int status;
	char *out;
	char *err;
} CbCtlRun;

static void
cb_ctl_run_free(CbCtlRun *run)
{
	g_free(run->out);
	g_free(run->err);
	g_free(run);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbCtlRun, cb_ctl_run_free)

typedef struct {
	gboolean done;
	gboolean timed_out;
	char *out;
	char *err;
} CbCtlWait;

static void
cb_ctl_communicate_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	CbCtlWait *wait = user_data;
	g_autoptr(GError) error = NULL;

	g_subprocess_communicate_utf8_finish(G_SUBPROCESS(source), result, &wait->out, &wait->err,
					     &error);
	g_assert_no_error(error);
	wait->done = TRUE;
}

static gboolean
cb_ctl_timeout_cb(gpointer user_data)
{
	((CbCtlWait *)user_data)->timed_out = TRUE;
	return G_SOURCE_REMOVE;
}

/* runs civic-bridgectl with @args against @d as @token, @input on its stdin */
static CbCtlRun *
cb_ctl_runv(CbTestDaemon *d, const char *token, const char *input, const char *const *args)
{
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
		G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
		G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *line = g_strjoinv(" ", (char **)args);
	CbCtlWait wait = {0};
	GSource *timer = g_timeout_source_new(CB_CTL_RUN_TIMEOUT_MS);
	CbCtlRun *run = g_new0(CbCtlRun, 1);

	g_subprocess_launcher_unsetenv(launcher, "CIVIC_BRIDGE_URL");
	g_subprocess_launcher_unsetenv(launcher, "CIVIC_BRIDGE_TOKEN");
	g_subprocess_launcher_setenv(launcher, "LC_ALL", "C.UTF-8", TRUE);
	g_subprocess_launcher_setenv(launcher, "CIVIC_BRIDGE_URL",
				     d != NULL ? d->url : "http://127.0.0.1:1", TRUE);
	if (token != NULL)
		g_subprocess_launcher_setenv(launcher, "CIVIC_BRIDGE_TOKEN", token, TRUE);
	g_ptr_array_add(argv, (gpointer)cb_test_program("CB_CTL_PATH"));
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	process = g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, &error);
	g_assert_no_error(error);
	g_source_set_callback(timer, cb_ctl_timeout_cb, &wait, NULL);
	g_source_attach(timer, NULL);
	g_subprocess_communicate_utf8_async(process, input != NULL ? input : "", NULL,
					    cb_ctl_communicate_cb, &wait);
	while (!wait.done && !wait.timed_out)
		g_main_context_iteration(NULL, TRUE);
	if (!wait.done) {
		g_subprocess_force_exit(process);
		while (!wait.done)
			g_main_context_iteration(NULL, TRUE);
	}
	g_source_destroy(timer);
	g_source_unref(timer);
	g_subprocess_wait(process, NULL, NULL);
	run->status = g_subprocess_get_if_exited(process)
			      ? g_subprocess_get_exit_status(process)
			      : 128 + g_subprocess_get_term_sig(process);
	run->out = g_steal_pointer(&wait.out);
	run->err = g_steal_pointer(&wait.err);
	g_test_message("civic-bridgectl %s -> %d\nstdout: %s\nstderr: %s", line, run->status,
		       run->out, run->err);
	g_assert_false(wait.timed_out);
	return run;
}

#define cb_ctl_run(d, token, input, ...)                                                           \
	cb_ctl_runv((d), (token), (input), (const char *const[]){__VA_ARGS__, NULL})
#define cb_ctl_admin(d, ...) cb_ctl_run((d), (d)->admin_token, NULL, __VA_ARGS__)

static void
cb_ctl_assert_ok(CbCtlRun *run)
{
	g_assert_cmpstr(run->err, ==, "");
	g_assert_cmpint(run->status, ==, 0);
}

static void
cb_ctl_assert_fails(CbCtlRun *run, int status, const char *needle)
{
	g_assert_cmpint(run->status, ==, status);
	g_assert_cmpstr(run->out, ==, "");
	g_assert_true(g_str_has_prefix(run->err, "civic-bridgectl: "));
	if (strstr(run->err, needle) == NULL)
		g_error("wanted '%s' in '%s'", needle, run->err);
}

/* a daemon with the bridge point the book names */
static CbTestDaemon *
cb_ctl_book_daemon(void)
{
	CbTestDaemon *d = cb_test_daemon_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *body = g_strdup_printf("{\"code\":\"ba-dinh\",\"name\":\"%s\"}", BA_DINH);

	cb_test_daemon_start(d, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(
		cb_test_http(d, "POST", "/api/v1/bridge-points", d->admin_token, body, NULL), ==,
		201);
	return d;
}

static char *
cb_ctl_write_file(CbTestDaemon *d, const char *name, const char *text)
{
	char *path = g_build_filename(d->dir, name, NULL);
	g_autoptr(GError) error = NULL;

	g_file_set_contents(path, text, -1, &error);
	g_assert_no_error(error);
	return path;
}

static void
test_import_export(void)
{
	g_autoptr(CbTestDaemon) d = cb_ctl_book_daemon();
	g_autofree char *in = cb_ctl_write_file(d, "old-book.csv", book_csv);
	g_autofree char *out = g_build_filename(d->dir, "export.csv", NULL);
	g_autofree char *done = g_strdup_printf("exported 2 entries to %s\n", out);
	g_autoptr(CbCtlRun) first = cb_ctl_admin(d, "import", "reception-book", in);
	g_autoptr(CbCtlRun) again = cb_ctl_admin(d, "import", "reception-book", in);
	g_autoptr(CbCtlRun) exported = cb_ctl_admin(d, "export", "reception-book", "--from",
						    "2024-01-01", "--to", "2024-01-31", out);
	g_autoptr(CbCtlRun) to_stdout = cb_ctl_admin(d, "export", "reception-book", "-");
	g_autofree char *written = NULL;
	GStatBuf st;

	cb_ctl_assert_ok(first);
	g_assert_cmpstr(first->out, ==, "added 3 rows; 0 were already in the book (3 rows read)\n");
	cb_ctl_assert_ok(again);
	g_assert_cmpstr(again->out, ==, "added 0 rows; 3 were already in the book (3 rows read)\n");
	cb_ctl_assert_ok(exported);
	g_assert_cmpstr(exported->out, ==, done);
	g_assert_true(g_file_get_contents(out, &written, NULL, NULL));
	/* January only; the book holds personal data, so the file is private */
	g_assert_true(g_str_has_prefix(book_csv, written));
	g_assert_null(strstr(written, "2024-02-10"));
	g_assert_cmpint(g_stat(out, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	cb_ctl_assert_ok(to_stdout);
	g_assert_cmpstr(to_stdout->out, ==, book_csv);
}

static void
test_import_from_stdin_as_json(void)
{
	g_autoptr(CbTestDaemon) d = cb_ctl_book_daemon();
	g_autoptr(CbCtlRun) run = cb_ctl_run(d, d->admin_token, book_csv, "--format", "json",
					     "import", "reception-book", "-");
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	JsonObject *stats;

	cb_ctl_assert_ok(run);
	json_parser_load_from_data(parser, run->out, -1, &error);
	g_assert_no_error(error);
	stats = json_node_get_object(json_parser_get_root(parser));
	g_assert_cmpint(json_object_get_int_member(stats, "rows"), ==, 3);
	g_assert_cmpint(json_object_get_int_member(stats, "added"), ==, 3);
	g_assert_cmpint(json_object_get_int_member(stats, "already_present"), ==, 0);
}

static void
test_import_errors(void)
{
	g_autoptr(CbTestDaemon) d = cb_ctl_book_daemon();
	g_autofree char *bad = cb_ctl_write_file(
		d, "bad.csv",
		HEADER "2024-01-05,08:30,,,,Tốt,complaint,1,,,,,,regular\r\n"
		       "2024-01-05,8h,,,,Giờ sai,complaint,1,,,,,,regular\r\n"
		       "2024-01-05,,Nguyễn Văn An,,,Loại,petition,1,,,,,,regular\r\n");
	g_autofree char *missing = g_build_filename(d->dir, "no-such.csv", NULL);
	g_autoptr(CbCtlRun) run = cb_ctl_admin(d, "import", "reception-book", bad);
	g_autoptr(CbCtlRun) none = cb_ctl_admin(d, "import", "reception-book", missing);
	g_autoptr(CbCtlRun) exported = cb_ctl_admin(d, "export", "reception-book", "-");
	g_autofree char *staff = cb_test_daemon_issue_token(d, CB_ROLE_STAFF, 0, 0, 0);
	g_autoptr(CbCtlRun) forbidden = NULL;

	cb_ctl_assert_fails(run, 1,
			    "civic-bridgectl: 2 rows are invalid; nothing was imported "
			    "(invalid_request, HTTP 400)\n"
			    "  line 3: time must be empty or HH:MM");
	g_assert_nonnull(strstr(run->err, "\n  line 4: category must be complaint"));
	g_assert_null(strstr(run->err, "Nguyễn"));
	cb_ctl_assert_fails(none, 1, "no-such.csv");
	/* nothing was written */
	cb_ctl_assert_ok(exported);
	g_assert_cmpstr(exported->out, ==, HEADER);

	forbidden = cb_ctl_run(d, staff, NULL, "import", "reception-book", bad);
	cb_ctl_assert_fails(forbidden, 1, "(forbidden, HTTP 403)");
	g_assert_null(strstr(forbidden->err, staff));
}

static void
test_report_formats(void)
{
	g_autoptr(CbTestDaemon) d = cb_ctl_book_daemon();
	g_autoptr(CbCtlRun) imported =
		cb_ctl_run(d, d->admin_token, book_csv, "import", "reception-book", "-");
	g_autofree char *staff = cb_test_daemon_issue_token(d, CB_ROLE_STAFF, 0, 0, 0);
	g_autoptr(CbCtlRun) table =
		cb_ctl_run(d, staff, NULL, "report", "--from", "2024-01-01", "--to", "2024-12-31");
	g_autoptr(CbCtlRun) json =
		cb_ctl_run(d, staff, NULL, "report", "--format", "json", "--kind", "leadership");
	g_autoptr(CbCtlRun) csv =
		cb_ctl_run(d, staff, NULL, "report", "--bridge-point", BA_DINH, "--format", "csv");
	g_autoptr(CbCtlRun) csv_before =
		cb_ctl_run(d, staff, NULL, "--format", "csv", "report", "--bridge-point", "");
	g_autoptr(CbCtlRun) csv_overridden =
		cb_ctl_run(d, staff, NULL, "report", "--format=csv", "--format", "json");

	cb_ctl_assert_ok(imported);
	cb_ctl_assert_ok(table);
	g_assert_true(g_str_has_prefix(table->out, "visits:                3\n"
						   "citizens:              18\n"
						   "large groups:          2\n"
						   "large group citizens:  17\n"));
	g_assert_nonnull(strstr(table->out, "\n(hall)  "));
	g_assert_nonnull(strstr(table->out, "\nreflection      0\n"));
	cb_ctl_assert_ok(json);
	g_assert_nonnull(strstr(json->out, "\"visits\" : 2,"));
	g_assert_nonnull(strstr(json->out, "\"large_group_citizens\" : 5,"));
	cb_ctl_assert_ok(csv);
	g_assert_true(g_str_has_prefix(csv->out, "figure,name,value\r\nvisits,,1\r\n"
						 "citizens,,5\r\nlarge_groups,,1\r\n"
						 "large_group_citizens,,5\r\n"));
	g_assert_nonnull(strstr(csv->out, "\r\nby_bridge_point," BA_DINH ",1\r\n"));
	g_assert_nonnull(strstr(csv->out, "\r\nby_handling,none,0\r\n"));
	cb_ctl_assert_ok(csv_before);
	g_assert_true(g_str_has_prefix(csv_before->out, "figure,name,value\r\nvisits,,2\r\n"));
	g_assert_nonnull(strstr(csv_before->out, "\r\nby_bridge_point,,2\r\n"));
	/* the last --format given wins */
	cb_ctl_assert_ok(csv_overridden);
	g_assert_true(g_str_has_prefix(csv_overridden->out, "{"));
}

static void
test_usage(void)
{
	const struct {
		const char *const args[8];
		const char *needle;
	} cases[] = {
		{{"export"}, "no export command"},
		{{"export", "journal", "x.csv"}, "unknown export command 'journal'"},
		{{"export", "reception-book"}, "needs FILE.csv"},
		{{"export", "reception-book", "--from", "2024-1-5", "x.csv"},
		 "--from must be a day"},
		{{"export", "reception-book", "--to", "2024-02-30", "x.csv"}, "--to must be a day"},
		{{"import", "reception-book"}, "needs FILE.csv"},
		{{"import", "reception-book", "a.csv", "b.csv"}, "unexpected argument 'b.csv'"},
		{{"import"}, "no import command"},
		{{"report", "--kind", "monthly"}, "--kind must be leadership or regular"},
		{{"report", "--from", "yesterday"}, "--from must be a day"},
		{{"report", "extra"}, "unexpected argument 'extra'"},
		{{"report", "--format", "yaml"}, "--format"},
		{{"report", "--bogus"}, "--bogus"},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(CbCtlRun) run =
			cb_ctl_runv(NULL, "cbt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL,
				    cases[i].args);
		cb_ctl_assert_fails(run, 2, cases[i].needle);
	}
}

static void
test_errors(void)
{
	g_autoptr(CbTestDaemon) d = cb_ctl_book_daemon();
	g_autoptr(CbCtlRun) no_token = cb_ctl_run(d, NULL, NULL, "report");
	g_autoptr(CbCtlRun) unknown = cb_ctl_admin(d, "report", "--bridge-point", "Nowhere");
	g_autoptr(CbCtlRun) unreachable =
		cb_ctl_run(NULL, d->admin_token, book_csv, "import", "reception-book", "-");
	g_autofree char *operator_token = cb_test_daemon_issue_token(d, CB_ROLE_OPERATOR, 1, 0, 0);
	g_autoptr(CbCtlRun) operator_export =
		cb_ctl_run(d, operator_token, NULL, "export", "reception-book", "-");

	cb_ctl_assert_fails(no_token, 2, "needs a token");
	cb_ctl_assert_fails(unknown, 1, "no bridge point is named 'Nowhere'");
	cb_ctl_assert_fails(unreachable, 1, "cannot reach civic-bridged at http://127.0.0.1:1");
	cb_ctl_assert_fails(operator_export, 1, "(forbidden, HTTP 403)");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/civic-bridge/ctl-book/import-export", test_import_export);
	g_test_add_func("/civic-bridge/ctl-book/import-from-stdin-as-json",
			test_import_from_stdin_as_json);
	g_test_add_func("/civic-bridge/ctl-book/import-errors", test_import_errors);
	g_test_add_func("/civic-bridge/ctl-book/report-formats", test_report_formats);
	g_test_add_func("/civic-bridge/ctl-book/usage", test_usage);
	g_test_add_func("/civic-bridge/ctl-book/errors", test_errors);
	return g_test_run();
}
