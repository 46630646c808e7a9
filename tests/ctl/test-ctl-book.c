#define G_LOG_DOMAIN "CbCtlTest"

/* civic-bridgectl export|import reception-book and report against a real daemon */

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "civic-bridge/cb-reception-book.h"

#include "cb-test-ctl.h"

#define BA_DINH "Điểm cầu phường Ba Đình"
#define HEADER  CB_BOOK_CSV_HEADER "\r\n"

static const char book_csv[] =
	HEADER "2024-01-05,08:30,Nguyễn Văn An,\"12 phố Huế, Hai Bà Trưng\",001080001234,"
	       "Khiếu nại đất đai,complaint,1,UBND quận,accepted,,,,leadership\r\n"
	       "2024-01-05,09:00,,,,Tố cáo,denunciation,5,,forwarded,,," BA_DINH ",leadership\r\n"
	       "2024-02-10,,,,,Kiến nghị,recommendation,12,,guided,,'=1+2,,regular\r\n";

/* runs civic-bridgectl with @args against @d (none: an address where nothing listens) as
 * @token, @input on its stdin; unlike cb_test_ctl_as() the address and token are given in
 * CIVIC_BRIDGE_URL and CIVIC_BRIDGE_TOKEN, and stdin is always a pipe */
static CbTestCtlRun *
cb_ctl_book_runv(CbTestDaemon *d, const char *token, const char *input, const char *const *args)
{
	g_autofree char *url =
		g_strconcat("CIVIC_BRIDGE_URL=", d != NULL ? d->url : "http://127.0.0.1:1", NULL);
	g_autofree char *token_env =
		token != NULL ? g_strconcat("CIVIC_BRIDGE_TOKEN=", token, NULL) : NULL;
	const char *const env[] = {url, token_env, NULL};

	return cb_test_ctl_runv(env, input != NULL ? input : "", args);
}

#define cb_ctl_book_run(d, token, input, ...)                                                      \
	cb_ctl_book_runv((d), (token), (input), (const char *const[]){__VA_ARGS__, NULL})
#define cb_ctl_book_admin(d, ...) cb_ctl_book_run((d), (d)->admin_token, NULL, __VA_ARGS__)

/* a daemon with the bridge point the book names */
static CbTestDaemon *
cb_ctl_book_daemon(void)
{
	CbTestDaemon *d = cb_test_ctl_daemon_new(NULL);
	g_autofree char *body = g_strdup_printf("{\"code\":\"ba-dinh\",\"name\":\"%s\"}", BA_DINH);

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
	g_autoptr(CbTestCtlRun) first = cb_ctl_book_admin(d, "import", "reception-book", in);
	g_autoptr(CbTestCtlRun) again = cb_ctl_book_admin(d, "import", "reception-book", in);
	g_autoptr(CbTestCtlRun) exported = cb_ctl_book_admin(
		d, "export", "reception-book", "--from", "2024-01-01", "--to", "2024-01-31", out);
	g_autoptr(CbTestCtlRun) to_stdout = cb_ctl_book_admin(d, "export", "reception-book", "-");
	g_autofree char *written = NULL;
	GStatBuf st;

	cb_test_ctl_assert_ok(first);
	g_assert_cmpstr(first->out, ==, "added 3 rows; 0 were already in the book (3 rows read)\n");
	cb_test_ctl_assert_ok(again);
	g_assert_cmpstr(again->out, ==, "added 0 rows; 3 were already in the book (3 rows read)\n");
	cb_test_ctl_assert_ok(exported);
	g_assert_cmpstr(exported->out, ==, done);
	g_assert_true(g_file_get_contents(out, &written, NULL, NULL));
	/* January only; the book holds personal data, so the file is private */
	g_assert_true(g_str_has_prefix(book_csv, written));
	g_assert_null(strstr(written, "2024-02-10"));
	g_assert_cmpint(g_stat(out, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	cb_test_ctl_assert_ok(to_stdout);
	g_assert_cmpstr(to_stdout->out, ==, book_csv);
}

static void
test_import_from_stdin_as_json(void)
{
	g_autoptr(CbTestDaemon) d = cb_ctl_book_daemon();
	g_autoptr(CbTestCtlRun) run = cb_ctl_book_run(d, d->admin_token, book_csv, "--format",
						      "json", "import", "reception-book", "-");
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	JsonObject *stats;

	cb_test_ctl_assert_ok(run);
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
	g_autoptr(CbTestCtlRun) run = cb_ctl_book_admin(d, "import", "reception-book", bad);
	g_autoptr(CbTestCtlRun) none = cb_ctl_book_admin(d, "import", "reception-book", missing);
	g_autoptr(CbTestCtlRun) exported = cb_ctl_book_admin(d, "export", "reception-book", "-");
	g_autofree char *staff = cb_test_daemon_issue_token(d, CB_ROLE_STAFF, 0, 0, 0);
	g_autoptr(CbTestCtlRun) forbidden = NULL;

	cb_test_ctl_assert_fails(run, 1,
				 "civic-bridgectl: 2 rows are invalid; nothing was imported "
				 "(invalid_request, HTTP 400)\n"
				 "  line 3: time must be empty or HH:MM");
	g_assert_nonnull(strstr(run->err, "\n  line 4: category must be complaint"));
	g_assert_null(strstr(run->err, "Nguyễn"));
	cb_test_ctl_assert_fails(none, 1, "no-such.csv");
	/* nothing was written */
	cb_test_ctl_assert_ok(exported);
	g_assert_cmpstr(exported->out, ==, HEADER);

	forbidden = cb_ctl_book_run(d, staff, NULL, "import", "reception-book", bad);
	cb_test_ctl_assert_fails(forbidden, 1, "(forbidden, HTTP 403)");
	g_assert_null(strstr(forbidden->err, staff));
}

static void
test_report_formats(void)
{
	g_autoptr(CbTestDaemon) d = cb_ctl_book_daemon();
	g_autoptr(CbTestCtlRun) imported =
		cb_ctl_book_run(d, d->admin_token, book_csv, "import", "reception-book", "-");
	g_autofree char *staff = cb_test_daemon_issue_token(d, CB_ROLE_STAFF, 0, 0, 0);
	g_autoptr(CbTestCtlRun) table = cb_ctl_book_run(d, staff, NULL, "report", "--from",
							"2024-01-01", "--to", "2024-12-31");
	g_autoptr(CbTestCtlRun) json = cb_ctl_book_run(d, staff, NULL, "report", "--format", "json",
						       "--kind", "leadership");
	g_autoptr(CbTestCtlRun) csv = cb_ctl_book_run(d, staff, NULL, "report", "--bridge-point",
						      BA_DINH, "--format", "csv");
	g_autoptr(CbTestCtlRun) csv_before =
		cb_ctl_book_run(d, staff, NULL, "--format", "csv", "report", "--bridge-point", "");
	g_autoptr(CbTestCtlRun) csv_overridden =
		cb_ctl_book_run(d, staff, NULL, "report", "--format=csv", "--format", "json");

	cb_test_ctl_assert_ok(imported);
	cb_test_ctl_assert_ok(table);
	g_assert_true(g_str_has_prefix(table->out, "visits:                3\n"
						   "citizens:              18\n"
						   "large groups:          2\n"
						   "large group citizens:  17\n"));
	g_assert_nonnull(strstr(table->out, "\n(hall)  "));
	g_assert_nonnull(strstr(table->out, "\nreflection      0\n"));
	cb_test_ctl_assert_ok(json);
	g_assert_nonnull(strstr(json->out, "\"visits\" : 2,"));
	g_assert_nonnull(strstr(json->out, "\"large_group_citizens\" : 5,"));
	cb_test_ctl_assert_ok(csv);
	g_assert_true(g_str_has_prefix(csv->out, "figure,name,value\r\nvisits,,1\r\n"
						 "citizens,,5\r\nlarge_groups,,1\r\n"
						 "large_group_citizens,,5\r\n"));
	g_assert_nonnull(strstr(csv->out, "\r\nby_bridge_point," BA_DINH ",1\r\n"));
	g_assert_nonnull(strstr(csv->out, "\r\nby_handling,none,0\r\n"));
	cb_test_ctl_assert_ok(csv_before);
	g_assert_true(g_str_has_prefix(csv_before->out, "figure,name,value\r\nvisits,,2\r\n"));
	g_assert_nonnull(strstr(csv_before->out, "\r\nby_bridge_point,,2\r\n"));
	/* the last --format given wins */
	cb_test_ctl_assert_ok(csv_overridden);
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
		g_autoptr(CbTestCtlRun) run =
			cb_ctl_book_runv(NULL, CB_TEST_CTL_UNKNOWN_TOKEN, NULL, cases[i].args);
		cb_test_ctl_assert_fails(run, 2, cases[i].needle);
	}
}

static void
test_errors(void)
{
	g_autoptr(CbTestDaemon) d = cb_ctl_book_daemon();
	g_autoptr(CbTestCtlRun) no_token = cb_ctl_book_run(d, NULL, NULL, "report");
	g_autoptr(CbTestCtlRun) unknown =
		cb_ctl_book_admin(d, "report", "--bridge-point", "Nowhere");
	g_autoptr(CbTestCtlRun) unreachable =
		cb_ctl_book_run(NULL, d->admin_token, book_csv, "import", "reception-book", "-");
	g_autofree char *operator_token = cb_test_daemon_issue_token(d, CB_ROLE_OPERATOR, 1, 0, 0);
	g_autoptr(CbTestCtlRun) operator_export =
		cb_ctl_book_run(d, operator_token, NULL, "export", "reception-book", "-");

	cb_test_ctl_assert_fails(no_token, 2, "needs a token");
	cb_test_ctl_assert_fails(unknown, 1, "no bridge point is named 'Nowhere'");
	cb_test_ctl_assert_fails(unreachable, 1,
				 "cannot reach civic-bridged at http://127.0.0.1:1");
	cb_test_ctl_assert_fails(operator_export, 1, "(forbidden, HTTP 403)");
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
