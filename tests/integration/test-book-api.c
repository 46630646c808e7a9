/* the reception book over HTTP against the real daemon: import, export, reports */
#include <libsoup/soup.h>
#include <sqlite3.h>
#include <string.h>

#include "civic-bridge/cb-reception-book.h"

#include "cb-test-daemon.h"

#define BA_DINH "Điểm cầu phường Ba Đình"
#define HEADER  CB_BOOK_CSV_HEADER "\r\n"
#define IMPORT  "/api/v1/reception-book/import"
#define EXPORT  "/api/v1/reception-book.csv"
#define SUMMARY "/api/v1/reports/summary"

static const char book_csv[] =
	HEADER "2024-01-05,08:30,Nguyễn Văn An,\"12 phố Huế, Hai Bà Trưng\",001080001234,"
	       "Khiếu nại đất đai,complaint,1,UBND quận,accepted,,,,leadership\r\n"
	       "2024-01-05,09:00,,,,Tố cáo,denunciation,5,,forwarded,,," BA_DINH ",leadership\r\n"
	       "2024-02-10,,,,,Kiến nghị,recommendation,12,,guided,,'=1+2,,regular\r\n";

typedef struct {
	CbTestDaemon *d;
	char *staff;
	char *operator_token;
	char *citizen;
	gint64 ba_dinh;
} BookFixture;

/* what a raw request gave back */
typedef struct {
	guint status;
	char *type;
	char *cache_control;
	char *body;
	JsonNode *json;
} BookAnswer;

static void
book_answer_free(BookAnswer *answer)
{
	g_free(answer->type);
	g_free(answer->cache_control);
	g_free(answer->body);
	g_clear_pointer(&answer->json, json_node_unref);
	g_free(answer);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BookAnswer, book_answer_free)

/* one request with a body of any type; @content_type NULL sends none */
static BookAnswer *
book_request(BookFixture *f, const char *method, const char *path, const char *token,
	     const char *content_type, const char *body, gssize len)
{
	g_autoptr(SoupSession) session = soup_session_new_with_options("timeout", 30, NULL);
	g_autofree char *uri = g_strconcat(f->d->url, path, NULL);
	g_autoptr(SoupMessage) msg = soup_message_new(method, uri);
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	BookAnswer *answer = g_new0(BookAnswer, 1);
	SoupMessageHeaders *headers;

	g_assert_nonnull(msg);
	if (token != NULL) {
		g_autofree char *value = g_strconcat("Bearer ", token, NULL);
		soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization",
					     value);
	}
	if (content_type != NULL) {
		g_autoptr(GBytes) request = g_bytes_new(body, len < 0 ? strlen(body) : (gsize)len);
		soup_message_set_request_body_from_bytes(msg, content_type, request);
	}
	bytes = soup_session_send_and_read(session, msg, NULL, &error);
	g_assert_no_error(error);
	headers = soup_message_get_response_headers(msg);
	answer->status = soup_message_get_status(msg);
	answer->type = g_strdup(soup_message_headers_get_one(headers, "Content-Type"));
	answer->cache_control = g_strdup(soup_message_headers_get_one(headers, "Cache-Control"));
	answer->body = g_strndup(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
	if (g_strcmp0(answer->type, "application/json") == 0 &&
	    json_parser_load_from_data(parser, answer->body, -1, NULL))
		answer->json = json_node_copy(json_parser_get_root(parser));
	return answer;
}

static BookAnswer *
book_import(BookFixture *f, const char *token, const char *csv, gssize len)
{
	return book_request(f, "POST", IMPORT, token, "text/csv", csv, len);
}

static BookAnswer *
book_get(BookFixture *f, const char *path, const char *token)
{
	return book_request(f, "GET", path, token, NULL, NULL, 0);
}

static JsonObject *
obj(BookAnswer *answer)
{
	g_assert_nonnull(answer->json);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(answer->json));
	return json_node_get_object(answer->json);
}

static const char *
error_code(BookAnswer *answer)
{
	JsonObject *error = json_object_get_object_member(obj(answer), "error");

	g_assert_nonnull(error);
	g_assert_nonnull(json_object_get_string_member(error, "message"));
	return json_object_get_string_member(error, "code");
}

static void
fixture_start(BookFixture *f, const char *config)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *body = g_strdup_printf("{\"code\":\"ba-dinh\",\"name\":\"%s\"}", BA_DINH);
	g_autoptr(JsonNode) bp = NULL;

	f->d = cb_test_daemon_new();
	cb_test_daemon_set_config(f->d, config);
	if (!cb_test_daemon_start(f->d, &error))
		g_error("daemon did not start: %s", error->message);
	g_assert_cmpuint(
		cb_test_http(f->d, "POST", "/api/v1/bridge-points", f->d->admin_token, body, &bp),
		==, 201);
	f->ba_dinh = json_object_get_int_member(json_node_get_object(bp), "id");
	f->staff = cb_test_daemon_issue_token(f->d, CB_ROLE_STAFF, 0, 0, 0);
	f->operator_token = cb_test_daemon_issue_token(f->d, CB_ROLE_OPERATOR, f->ba_dinh, 0, 0);
	f->citizen = cb_test_daemon_issue_token(f->d, CB_ROLE_CITIZEN, 0, 1, 0);
}

static void
book_setup(BookFixture *f, gconstpointer data)
{
	fixture_start(f, data != NULL ? data : "[limits]\nauth-failure-limit=1000\n");
}

static void
book_teardown(BookFixture *f, gconstpointer data)
{
	g_free(f->staff);
	g_free(f->operator_token);
	g_free(f->citizen);
	cb_test_daemon_free(f->d);
}

static void
assert_imported(BookAnswer *answer, gint64 rows, gint64 added)
{
	if (answer->status != 200)
		g_error("import: %u %s", answer->status, answer->body);
	g_assert_cmpint(json_object_get_int_member(obj(answer), "rows"), ==, rows);
	g_assert_cmpint(json_object_get_int_member(obj(answer), "added"), ==, added);
	g_assert_cmpint(json_object_get_int_member(obj(answer), "already_present"), ==,
			rows - added);
}

static void
test_import_export_report(BookFixture *f, gconstpointer data)
{
	g_autoptr(BookAnswer) first = book_import(f, f->d->admin_token, book_csv, -1);
	g_autoptr(BookAnswer) again = book_import(f, f->d->admin_token, book_csv, -1);
	g_autoptr(BookAnswer) exported = book_get(f, EXPORT, f->staff);
	g_autoptr(BookAnswer) january =
		book_get(f, EXPORT "?from=2024-01-01&to=2024-01-31", f->d->admin_token);
	g_autoptr(BookAnswer) summary = book_get(f, SUMMARY, f->staff);
	JsonObject *figures;
	g_autoptr(GList) members = NULL;
	const char *keys[] = {"by_bridge_point",      "by_category",  "by_handling", "citizens",
			      "large_group_citizens", "large_groups", "visits"};
	guint i = 0;

	assert_imported(first, 3, 3);
	assert_imported(again, 3, 0);
	g_assert_cmpuint(exported->status, ==, 200);
	g_assert_cmpstr(exported->type, ==, "text/csv; charset=utf-8");
	g_assert_cmpstr(exported->cache_control, ==, "no-store");
	g_assert_cmpstr(exported->body, ==, book_csv);
	g_assert_cmpuint(january->status, ==, 200);
	g_assert_true(g_str_has_prefix(january->body, HEADER "2024-01-05,08:30,"));
	g_assert_null(strstr(january->body, "2024-02-10"));

	g_assert_cmpuint(summary->status, ==, 200);
	figures = obj(summary);
	/* exactly these keys */
	members = json_object_get_members(figures);
	members = g_list_sort(members, (GCompareFunc)g_strcmp0);
	g_assert_cmpuint(g_list_length(members), ==, G_N_ELEMENTS(keys));
	for (GList *l = members; l != NULL; l = l->next)
		g_assert_cmpstr(l->data, ==, keys[i++]);
	g_assert_cmpint(json_object_get_int_member(figures, "visits"), ==, 3);
	g_assert_cmpint(json_object_get_int_member(figures, "citizens"), ==, 18);
	g_assert_cmpint(json_object_get_int_member(figures, "large_groups"), ==, 2);
	g_assert_cmpint(json_object_get_int_member(figures, "large_group_citizens"), ==, 17);
	g_assert_cmpint(
		json_object_get_int_member(json_object_get_object_member(figures, "by_category"),
					   "reflection"),
		==, 0);
	g_assert_cmpint(json_object_get_int_member(
				json_object_get_object_member(figures, "by_bridge_point"), BA_DINH),
			==, 1);
	g_assert_cmpint(json_object_get_int_member(
				json_object_get_object_member(figures, "by_bridge_point"), ""),
			==, 2);
	g_assert_cmpint(json_object_get_int_member(
				json_object_get_object_member(figures, "by_handling"), "guided"),
			==, 1);

	/* each copy of the book taken out is on the record, with its days */
	{
		g_autoptr(JsonNode) audit = NULL;
		g_autofree char *text = NULL;
		g_assert_cmpuint(cb_test_http(f->d, "GET", "/api/v1/audit?limit=10",
					      f->d->admin_token, NULL, &audit),
				 ==, 200);
		text = json_to_string(audit, FALSE);
		g_assert_nonnull(strstr(text, "\"reception_book.export\""));
		g_assert_nonnull(strstr(text, "from=2024-01-01 to=2024-01-31"));
		g_assert_nonnull(strstr(text, "from=- to=-"));
	}
}

static void
test_report_filters(BookFixture *f, gconstpointer data)
{
	g_autoptr(BookAnswer) imported = book_import(f, f->d->admin_token, book_csv, -1);
	g_autofree char *escaped = g_uri_escape_string(BA_DINH, NULL, FALSE);
	g_autofree char *by_point = g_strconcat(SUMMARY "?bridge_point=", escaped, NULL);
	g_autoptr(BookAnswer) point = book_get(f, by_point, f->staff);
	g_autoptr(BookAnswer) hall = book_get(f, SUMMARY "?bridge_point=", f->staff);
	g_autoptr(BookAnswer) regular = book_get(f, SUMMARY "?kind=regular", f->staff);
	g_autoptr(BookAnswer) jan = book_get(f, SUMMARY "?from=2024-01-05&to=2024-01-05", f->staff);
	const struct {
		const char *path;
		const char *needle;
	} bad[] = {
		{SUMMARY "?kind=monthly", "'kind' must be leadership or regular"},
		{SUMMARY "?from=2024-13-01", "'from' must be a day"},
		{SUMMARY "?from=2024-02-01&to=2024-01-01", "'to' is before 'from'"},
		{SUMMARY "?bridge-point=x", "unknown query parameter 'bridge-point'"},
		{SUMMARY "?bridge_point=Nowhere", "no bridge point is named"},
		{EXPORT "?to=yesterday", "'to' must be a day"},
		{EXPORT "?kind=regular", "unknown query parameter 'kind'"},
	};

	assert_imported(imported, 3, 3);
	g_assert_cmpint(json_object_get_int_member(obj(point), "visits"), ==, 1);
	g_assert_cmpint(json_object_get_int_member(obj(hall), "visits"), ==, 2);
	g_assert_cmpint(json_object_get_int_member(obj(regular), "citizens"), ==, 12);
	g_assert_cmpint(json_object_get_int_member(obj(jan), "visits"), ==, 2);
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(BookAnswer) answer = book_get(f, bad[i].path, f->staff);
		g_assert_cmpuint(answer->status, ==, 400);
		g_assert_cmpstr(error_code(answer), ==, "invalid_request");
		g_assert_nonnull(strstr(
			json_object_get_string_member(
				json_object_get_object_member(obj(answer), "error"), "message"),
			bad[i].needle));
	}
}

static void
test_large_group_min_from_config(BookFixture *f, gconstpointer data)
{
	g_autoptr(BookAnswer) imported = book_import(f, f->d->admin_token, book_csv, -1);
	g_autoptr(BookAnswer) summary = book_get(f, SUMMARY, f->staff);

	/* [queue] large-group-min=10: only the delegation of 12 counts */
	assert_imported(imported, 3, 3);
	g_assert_cmpint(json_object_get_int_member(obj(summary), "large_groups"), ==, 1);
	g_assert_cmpint(json_object_get_int_member(obj(summary), "large_group_citizens"), ==, 12);
}

static void
test_roles(BookFixture *f, gconstpointer data)
{
	const char *tokens[] = {f->operator_token, f->citizen};

	for (gsize i = 0; i < G_N_ELEMENTS(tokens); i++) {
		g_autoptr(BookAnswer) import = book_import(f, tokens[i], book_csv, -1);
		g_autoptr(BookAnswer) export = book_get(f, EXPORT, tokens[i]);
		g_autoptr(BookAnswer) summary = book_get(f, SUMMARY, tokens[i]);

		g_assert_cmpuint(import->status, ==, 403);
		g_assert_cmpstr(error_code(import), ==, "forbidden");
		g_assert_cmpuint(export->status, ==, 403);
		g_assert_cmpstr(error_code(export), ==, "forbidden");
		g_assert_null(strstr(export->body, "2024-01-05"));
		g_assert_cmpuint(summary->status, ==, 403);
	}
	{
		/* staff read the book but do not import into it; nobody without a token */
		g_autoptr(BookAnswer) staff = book_import(f, f->staff, book_csv, -1);
		g_autoptr(BookAnswer) anonymous = book_import(f, NULL, book_csv, -1);
		g_autoptr(BookAnswer) anonymous_export = book_get(f, EXPORT, NULL);

		g_assert_cmpuint(staff->status, ==, 403);
		g_assert_cmpuint(anonymous->status, ==, 401);
		g_assert_cmpuint(anonymous_export->status, ==, 401);
	}
}

static void
test_not_csv_is_415(BookFixture *f, gconstpointer data)
{
	const char *types[] = {"application/json", "text/plain", "text/csv; charset=iso-8859-1",
			       "application/vnd.ms-excel"};
	g_autoptr(BookAnswer) none =
		book_request(f, "POST", IMPORT, f->d->admin_token, NULL, NULL, 0);
	g_autoptr(BookAnswer) with_charset = book_request(f, "POST", IMPORT, f->d->admin_token,
							  "text/csv; charset=UTF-8", book_csv, -1);
	g_autoptr(BookAnswer) exported = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(types); i++) {
		g_autoptr(BookAnswer) answer =
			book_request(f, "POST", IMPORT, f->d->admin_token, types[i], book_csv, -1);
		g_assert_cmpuint(answer->status, ==, 415);
		g_assert_cmpstr(error_code(answer), ==, "unsupported_media_type");
	}
	g_assert_cmpuint(none->status, ==, 415);
	/* text/csv with charset=UTF-8 is what it should be */
	assert_imported(with_charset, 3, 3);
	exported = book_get(f, EXPORT, f->staff);
	g_assert_cmpstr(exported->body, ==, book_csv);
}

static void
test_bad_files(BookFixture *f, gconstpointer data)
{
	const char *bad = HEADER "2024-01-05,08:30,,,,Tốt,complaint,1,,,,,,regular\r\n"
				 "2024-01-05,08:30,,,,Sai,complaint,0,,,,,,regular\r\n"
				 "2024-02-30,,,,,Ngày sai,complaint,1,,,,,,regular\r\n"
				 "2024-01-05,,Nguyễn Văn An,,,Loại,petition,1,,,,,,regular\r\n";
	g_autoptr(BookAnswer) rows = book_import(f, f->d->admin_token, bad, -1);
	g_autoptr(BookAnswer) header = book_import(f, f->d->admin_token, "a,b,c\r\n1,2,3\r\n", -1);
	g_autoptr(BookAnswer) empty = book_import(f, f->d->admin_token, "", 0);
	g_autoptr(BookAnswer) latin1 = book_import(f, f->d->admin_token,
						   HEADER "2024-01-05,,Nguy\xea"
							  "n,,,x,complaint,1,,,,,,regular\r\n",
						   -1);
	g_autoptr(BookAnswer) exported = book_get(f, EXPORT, f->staff);
	JsonArray *list;
	const guint lines[] = {3, 4, 5};

	g_assert_cmpuint(rows->status, ==, 400);
	g_assert_cmpstr(error_code(rows), ==, "invalid_request");
	g_assert_cmpstr(json_object_get_string_member(
				json_object_get_object_member(obj(rows), "error"), "message"),
			==, "3 rows are invalid; nothing was imported");
	list = json_object_get_array_member(obj(rows), "rows");
	g_assert_cmpuint(json_array_get_length(list), ==, G_N_ELEMENTS(lines));
	for (guint i = 0; i < G_N_ELEMENTS(lines); i++) {
		JsonObject *row = json_array_get_object_element(list, i);
		g_assert_cmpint(json_object_get_int_member(row, "line"), ==, lines[i]);
		g_assert_cmpuint(strlen(json_object_get_string_member(row, "reason")), >, 0);
	}
	/* no personal data comes back in an error */
	g_assert_null(strstr(rows->body, "Nguyễn"));

	g_assert_cmpuint(header->status, ==, 400);
	g_assert_nonnull(strstr(header->body, "the first line must be the header"));
	g_assert_cmpuint(empty->status, ==, 400);
	g_assert_nonnull(strstr(empty->body, "the file is empty"));
	g_assert_cmpuint(latin1->status, ==, 400);
	g_assert_nonnull(strstr(latin1->body, "not valid UTF-8"));
	/* nothing of it was written */
	g_assert_cmpstr(exported->body, ==, HEADER);
}

static void
test_huge_file_is_413(BookFixture *f, gconstpointer data)
{
	g_autoptr(GString) huge = g_string_new(HEADER);
	g_autoptr(BookAnswer) answer = NULL;
	g_autoptr(BookAnswer) exported = NULL;
	g_autoptr(BookAnswer) small = NULL;

	/* [limits] max-body-bytes=4096 for this daemon */
	while (huge->len <= 4096)
		g_string_append(huge, "2024-01-05,,,,,Một dòng dài,complaint,1,,,,,,regular\r\n");
	answer = book_import(f, f->d->admin_token, huge->str, huge->len);
	g_assert_cmpuint(answer->status, ==, 413);
	g_assert_cmpstr(error_code(answer), ==, "too_large");
	exported = book_get(f, EXPORT, f->staff);
	g_assert_cmpstr(exported->body, ==, HEADER);
	/* the daemon is unharmed */
	small = book_import(f, f->d->admin_token, book_csv, -1);
	assert_imported(small, 3, 3);
}

/* a ticket the queue finished, written straight into the running daemon's store */
static void
add_finished_ticket(BookFixture *f)
{
	g_autofree char *path = g_build_filename(f->d->state_dir, "civic-bridge.db", NULL);
	g_autofree char *sql = g_strdup_printf(
		"INSERT INTO sessions (title, kind, starts_at, ends_at, opens_at, state, "
		"created_at, updated_at) VALUES ('Tiếp dân', 'leadership', 10, 20, 5, 'ended', 1, "
		"1);"
		"INSERT INTO tickets (session_id, category, summary, persons, bridge_point_id, "
		"priority, channel, citizen_name, state, handling, arrival_seq, created_at, "
		"finished_at, updated_at) VALUES (last_insert_rowid(), 'complaint', 'Đất đai', 6, "
		"%" G_GINT64_FORMAT ", 'none', 'walk-in', 'Phạm Văn D', 'done', 'accepted', 1, 1, "
		/* 2024-03-02 02:00 UTC: 09:00 in Hanoi */
		"1709344800000000, 1)",
		f->ba_dinh);
	sqlite3 *db = NULL;
	char *message = NULL;

	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK)
		g_error("%s", message);
	sqlite3_close(db);
}

static void
test_finished_tickets_in_book(BookFixture *f, gconstpointer data)
{
	g_autoptr(BookAnswer) imported = book_import(f, f->d->admin_token, book_csv, -1);
	g_autoptr(BookAnswer) exported = NULL;
	g_autoptr(BookAnswer) summary = NULL;
	g_autoptr(BookAnswer) reimport = NULL;

	assert_imported(imported, 3, 3);
	add_finished_ticket(f);
	exported = book_get(f, EXPORT, f->staff);
	g_assert_true(g_str_has_suffix(exported->body,
				       "2024-03-02,09:00,Phạm Văn D,,,Đất đai,"
				       "complaint,6,,accepted,,," BA_DINH ",leadership\r\n"));
	summary = book_get(f, SUMMARY "?kind=leadership", f->staff);
	g_assert_cmpint(json_object_get_int_member(obj(summary), "visits"), ==, 3);
	g_assert_cmpint(json_object_get_int_member(obj(summary), "large_groups"), ==, 2);
	g_assert_cmpint(json_object_get_int_member(obj(summary), "large_group_citizens"), ==, 11);
	/* its export brought back adds nothing: the ticket is in the book already */
	reimport = book_import(f, f->d->admin_token, exported->body, -1);
	assert_imported(reimport, 4, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, config, fn)                                                                      \
	g_test_add("/civic-bridge/book-api/" path, BookFixture, config, book_setup, fn,            \
		   book_teardown)
	ADD("import-export-report", NULL, test_import_export_report);
	ADD("report-filters", NULL, test_report_filters);
	ADD("large-group-min-from-config", "[queue]\nlarge-group-min=10\n",
	    test_large_group_min_from_config);
	ADD("roles", NULL, test_roles);
	ADD("not-csv-is-415", NULL, test_not_csv_is_415);
	ADD("bad-files", NULL, test_bad_files);
	ADD("huge-file-is-413", "[limits]\nmax-body-bytes=4096\n", test_huge_file_is_413);
	ADD("finished-tickets-in-book", NULL, test_finished_tickets_in_book);
#undef ADD
	return g_test_run();
}
