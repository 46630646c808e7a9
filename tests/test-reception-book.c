/* the reception book on a real store: import, export, reports, finished tickets */
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-reception-book.h"
#include "civic-bridge/cb-store.h"

#define ZONE      "Asia/Ho_Chi_Minh"
#define BA_DINH   "Điểm cầu phường Ba Đình"
#define HOAN_KIEM "Điểm cầu phường Hoàn Kiếm"
#define HEADER    CB_BOOK_CSV_HEADER "\r\n"
#define LARGE_MIN 5

typedef struct {
	char *dir;
	char *path;
	CbClock *clock;
	CbStore *store;
	CbReceptionBook *book;
	CbActor actor;
	gint64 ba_dinh;
	gint64 hoan_kiem;
} BookFixture;

static void
add_bridge_points(CbStore *store, const CbActor *actor, gint64 *ba_dinh, gint64 *hoan_kiem)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbBridgePoint) a = NULL;
	g_autoptr(CbBridgePoint) b = NULL;

	a = cb_store_bridge_point_insert(store, actor, "ba-dinh", BA_DINH, NULL, &error);
	g_assert_no_error(error);
	b = cb_store_bridge_point_insert(store, actor, "hoan-kiem", HOAN_KIEM, NULL, &error);
	g_assert_no_error(error);
	if (ba_dinh != NULL)
		*ba_dinh = a->id;
	if (hoan_kiem != NULL)
		*hoan_kiem = b->id;
}

static void
fixture_setup(BookFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->dir = g_dir_make_tmp("cb-book-XXXXXX", &error);
	g_assert_no_error(error);
	f->path = g_build_filename(f->dir, "civic-bridge.db", NULL);
	/* 2026-11-17 01:00 UTC, 08:00 in Hanoi */
	f->clock = cb_clock_new_fake(G_GINT64_CONSTANT(1794877200) * G_TIME_SPAN_SECOND);
	f->actor = (CbActor){.token_id = 1, .role = CB_ROLE_ADMIN, .via = "test"};
	f->store = cb_store_open(f->path, f->clock, &error);
	g_assert_no_error(error);
	f->book = cb_reception_book_new(f->store, f->clock, ZONE, &error);
	g_assert_no_error(error);
	add_bridge_points(f->store, &f->actor, &f->ba_dinh, &f->hoan_kiem);
}

static void
remove_tree(const char *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const char *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *child = g_build_filename(path, name, NULL);
		if (g_file_test(child, G_FILE_TEST_IS_DIR))
			remove_tree(child);
		else
			g_unlink(child);
	}
	g_rmdir(path);
}

static void
fixture_teardown(BookFixture *f, gconstpointer data)
{
	g_clear_object(&f->book);
	g_clear_object(&f->store);
	remove_tree(f->dir);
	g_free(f->dir);
	g_free(f->path);
	g_object_unref(f->clock);
}

/* raw SQL on the store's file, as the queue would leave its tickets */
static void
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *message = NULL;

	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK)
		g_error("%s: %s", sql, message);
	sqlite3_close(db);
}

/* µs UTC of a local time in Hanoi */
static gint64
local_us(int year, int month, int day, int hour, int minute)
{
	g_autoptr(GTimeZone) zone = g_time_zone_new_identifier(ZONE);
	g_autoptr(GDateTime) dt = g_date_time_new(zone, year, month, day, hour, minute, 0);

	return g_date_time_to_unix(dt) * G_USEC_PER_SEC;
}

static gint64
add_session(BookFixture *f, const char *kind)
{
	g_autofree char *sql = g_strdup_printf(
		"INSERT INTO sessions (title, kind, starts_at, ends_at, opens_at, state, "
		"created_at, updated_at) VALUES ('%s session', '%s', 10, 20, 5, 'ended', 1, 1)",
		kind, kind);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) sessions = NULL;

	raw_exec(f->path, sql);
	sessions = cb_store_session_list(f->store, 0, 0, &error);
	g_assert_no_error(error);
	return ((CbSession *)g_ptr_array_index(sessions, sessions->len - 1))->id;
}

typedef struct {
	gint64 session_id;
	const char *category;
	const char *summary;
	int persons;
	gint64 bridge_point_id; /* 0: the hall */
	const char *state;
	const char *handling; /* NULL: none */
	const char *notes;
	gint64 finished_at;
} TicketRow;

static void
add_ticket(BookFixture *f, const TicketRow *t)
{
	g_autofree char *bp = t->bridge_point_id != 0
				      ? g_strdup_printf("%" G_GINT64_FORMAT, t->bridge_point_id)
				      : g_strdup("NULL");
	g_autofree char *handling =
		t->handling != NULL ? g_strdup_printf("'%s'", t->handling) : g_strdup("NULL");
	g_autofree char *notes =
		t->notes != NULL ? g_strdup_printf("'%s'", t->notes) : g_strdup("NULL");
	g_autofree char *finished = t->finished_at != 0
					    ? g_strdup_printf("%" G_GINT64_FORMAT, t->finished_at)
					    : g_strdup("NULL");
	g_autofree char *sql = g_strdup_printf(
		"INSERT INTO tickets (session_id, category, summary, persons, bridge_point_id, "
		"priority, channel, citizen_name, address, id_number, contact, "
		"already_handled_by, state, handling, follow_up, notes, arrival_seq, created_at, "
		"finished_at, updated_at) VALUES (%" G_GINT64_FORMAT ", '%s', '%s', %d, %s, "
		"'none', 'online', 'Trần Thị B', '12 Hàng Bạc', '001099000123', '0912345678', "
		"NULL, '%s', %s, NULL, %s, 1, 1, %s, 1)",
		t->session_id, t->category, t->summary, t->persons, bp, t->state, handling, notes,
		finished);

	raw_exec(f->path, sql);
}

static char *
export_text(CbReceptionBook *book, const char *from, const char *to)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = cb_reception_book_export_csv(book, from, to, &error);
	gsize len = 0;
	const char *data;

	g_assert_no_error(error);
	data = g_bytes_get_data(bytes, &len);
	return g_strndup(data, len);
}

static void
import_ok(BookFixture *f, const char *csv, guint rows, guint added)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) errors = NULL;
	CbBookImportStats stats;

	if (!cb_reception_book_import_csv(f->book, &f->actor, csv, strlen(csv), &stats, &errors,
					  &error)) {
		for (guint i = 0; errors != NULL && i < errors->len; i++) {
			const CbBookRowError *e = g_ptr_array_index(errors, i);
			g_test_message("line %u: %s", e->line, e->reason);
		}
		g_error("import failed: %s", error->message);
	}
	g_assert_cmpuint(stats.rows, ==, rows);
	g_assert_cmpuint(stats.added, ==, added);
	g_assert_cmpuint(stats.already_present, ==, rows - added);
}

/* imports a bad file: the rows reported, as "LINE: reason" lines */
static GPtrArray *
import_bad(BookFixture *f, const char *csv, gssize len)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) errors = NULL;
	CbBookImportStats stats;
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);

	g_assert_false(cb_reception_book_import_csv(f->book, &f->actor, csv,
						    len < 0 ? strlen(csv) : (gsize)len, &stats,
						    &errors, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID);
	g_assert_nonnull(errors);
	g_assert_cmpuint(errors->len, >, 0);
	g_assert_nonnull(
		strstr(error->message, errors->len == 1 ? "1 row is invalid" : "rows are invalid"));
	for (guint i = 0; i < errors->len; i++) {
		const CbBookRowError *e = g_ptr_array_index(errors, i);
		g_ptr_array_add(lines, g_strdup_printf("%u: %s", e->line, e->reason));
	}
	return lines;
}

static guint
count_imports_audited(BookFixture *f)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) entries = cb_store_audit_list(f->store, 0, 1000, &error);
	guint n = 0;

	g_assert_no_error(error);
	for (guint i = 0; i < entries->len; i++) {
		const CbAuditEntry *entry = g_ptr_array_index(entries, i);
		if (g_str_equal(entry->action, "reception_book.import"))
			n++;
	}
	return n;
}

/* --- import and export ----------------------------------------------------------- */

/* a small book with what a real one holds: Vietnamese text, quotes, commas,
 * a line break in a cell, cells a spreadsheet would run, no time, no handling */
static const char book_csv[] = HEADER
	"2024-01-05,08:30,Nguyễn Văn An,\"12 phố Huế, Hai Bà Trưng\",001080001234,"
	"Khiếu nại về bồi thường đất,complaint,1,UBND quận,accepted,Chuyển phòng TNMT,,,"
	"leadership\r\n"
	"2024-01-05,09:00,,,,\"Tố cáo \"\"cán bộ\"\" phường\nnhiều lần\",denunciation,5,,"
	"forwarded,,," BA_DINH ",leadership\r\n"
	"2024-02-10,,Lê Thị Cúc,Ba Vì,,Kiến nghị sửa đường,recommendation,12,,guided,,"
	"'=1+2," HOAN_KIEM ",regular\r\n"
	"2024-02-11,10:00,'+84 912 000 111,,,Phản ánh tiếng ồn,reflection,3,,,,'-,,regular\r\n"
	"2024-03-01,14:00,,,,Khiếu nại lần hai,complaint,4,,refused,,," BA_DINH ",regular\r\n";

static void
test_import_then_export(BookFixture *f, gconstpointer data)
{
	g_autofree char *exported = NULL;

	import_ok(f, book_csv, 5, 5);
	g_assert_cmpuint(count_imports_audited(f), ==, 1);
	exported = export_text(f->book, NULL, NULL);
	/* the same rows, in time order, formulas still behind their quote, every
	 * cell quoted only where it must be */
	g_assert_cmpstr(exported, ==, book_csv);
}

static void
test_reimport_adds_nothing(BookFixture *f, gconstpointer data)
{
	g_autofree char *more = NULL;
	g_autofree char *before = NULL;
	g_autofree char *after = NULL;

	import_ok(f, book_csv, 5, 5);
	before = export_text(f->book, NULL, NULL);
	import_ok(f, book_csv, 5, 0);
	after = export_text(f->book, NULL, NULL);
	g_assert_cmpstr(after, ==, before);
	/* a later book that repeats some rows adds only the new ones */
	more = g_strconcat(book_csv,
			   "2024-03-05,07:45,,,,Một việc mới,complaint,1,,,,,,regular\r\n", NULL);
	import_ok(f, more, 6, 1);
	g_assert_cmpuint(count_imports_audited(f), ==, 3);
}

static void
test_identical_rows_are_two_visits(BookFixture *f, gconstpointer data)
{
	const char *twice = HEADER "2024-04-02,,,,,Xin cấp sổ đỏ,recommendation,1,,,,,,regular\r\n"
				   "2024-04-02,,,,,Xin cấp sổ đỏ,recommendation,1,,,,,,regular\r\n";
	g_autofree char *thrice = g_strconcat(
		twice, "2024-04-02,,,,,Xin cấp sổ đỏ,recommendation,1,,,,,,regular\r\n", NULL);

	import_ok(f, twice, 2, 2);
	import_ok(f, twice, 2, 0);
	/* a third identical row is a third visit */
	import_ok(f, thrice, 3, 1);
}

static void
test_round_trip_into_empty_store(BookFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *other_path = g_build_filename(f->dir, "other.db", NULL);
	g_autoptr(CbStore) other = NULL;
	g_autoptr(CbReceptionBook) other_book = NULL;
	g_autofree char *first = NULL;
	g_autofree char *second = NULL;
	gint64 leadership = add_session(f, "leadership");
	CbBookImportStats stats;

	/* finished tickets with seconds and the hall, and imported rows */
	add_ticket(f, &(TicketRow){leadership, "complaint", "Đất đai", 7, 0, "done", "accepted",
				   "=cmd| /C calc!A0",
				   local_us(2024, 3, 2, 9, 0) + 37 * G_USEC_PER_SEC});
	add_ticket(f,
		   &(TicketRow){leadership, "denunciation", "Tham nhũng", 1, f->ba_dinh, "refused",
				NULL, NULL, local_us(2024, 3, 2, 9, 0) + 5 * G_USEC_PER_SEC});
	import_ok(f, book_csv, 5, 5);
	first = export_text(f->book, NULL, NULL);

	other = cb_store_open(other_path, f->clock, &error);
	g_assert_no_error(error);
	add_bridge_points(other, &f->actor, NULL, NULL);
	other_book = cb_reception_book_new(other, f->clock, ZONE, &error);
	g_assert_no_error(error);
	g_assert_true(cb_reception_book_import_csv(other_book, &f->actor, first, strlen(first),
						   &stats, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(stats.added, ==, 7);
	second = export_text(other_book, NULL, NULL);
	g_assert_cmpstr(second, ==, first);
	/* the tickets' formula-like notes went out guarded */
	g_assert_nonnull(strstr(first, ",'=cmd| /C calc!A0,"));
}

static void
test_export_into_same_store_adds_nothing(BookFixture *f, gconstpointer data)
{
	gint64 regular = add_session(f, "regular");
	g_autofree char *exported = NULL;

	add_ticket(f, &(TicketRow){regular, "reflection", "Ô nhiễm", 2, f->hoan_kiem, "done", NULL,
				   NULL, local_us(2024, 5, 6, 10, 15)});
	add_ticket(f, &(TicketRow){regular, "reflection", "Ô nhiễm", 2, f->hoan_kiem, "done", NULL,
				   NULL, local_us(2024, 5, 6, 10, 15) + 20 * G_USEC_PER_SEC});
	import_ok(f, book_csv, 5, 5);
	exported = export_text(f->book, NULL, NULL);
	/* the finished tickets are in the book already, and so are the imported rows */
	import_ok(f, exported, 7, 0);
}

static void
test_export_range_and_zone(BookFixture *f, gconstpointer data)
{
	gint64 regular = add_session(f, "regular");
	g_autofree char *april = NULL;
	g_autofree char *march = NULL;
	g_autofree char *all = NULL;

	/* 2026-03-31 17:30 UTC is 2026-04-01 00:30 in Hanoi */
	add_ticket(f, &(TicketRow){regular, "complaint", "Nửa đêm", 1, 0, "done", "guided", NULL,
				   G_GINT64_CONSTANT(1774978200) * G_USEC_PER_SEC});
	april = export_text(f->book, "2026-04-01", "2026-04-01");
	march = export_text(f->book, "2026-03-01", "2026-03-31");
	all = export_text(f->book, NULL, NULL);
	g_assert_cmpstr(april, ==,
			HEADER "2026-04-01,00:30,Trần Thị B,12 Hàng Bạc,001099000123,Nửa đêm,"
			       "complaint,1,,guided,,,,regular\r\n");
	g_assert_cmpstr(march, ==, HEADER);
	g_assert_cmpstr(all, ==, april);
}

static void
test_finished_tickets_only(BookFixture *f, gconstpointer data)
{
	gint64 leadership = add_session(f, "leadership");
	const char *states[] = {"waiting", "called",    "admitted",
				"no_show", "cancelled", "deferred"};
	g_autofree char *exported = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(states); i++)
		add_ticket(f, &(TicketRow){leadership, "complaint", "Chưa xong", 1, 0, states[i],
					   NULL, NULL, 0});
	/* a refused ticket is refused in the book, whatever handling staff left */
	add_ticket(f, &(TicketRow){leadership, "denunciation", "Bị từ chối", 2, f->ba_dinh,
				   "refused", "accepted", NULL, local_us(2024, 6, 4, 8, 5)});
	add_ticket(f, &(TicketRow){leadership, "complaint", "Đã xong", 1, 0, "done", "forwarded",
				   "hẹn lần sau", local_us(2024, 6, 4, 8, 0)});
	exported = export_text(f->book, NULL, NULL);
	g_assert_cmpstr(exported, ==,
			HEADER "2024-06-04,08:00,Trần Thị B,12 Hàng Bạc,001099000123,Đã xong,"
			       "complaint,1,,forwarded,,hẹn lần sau,,leadership\r\n"
			       "2024-06-04,08:05,Trần Thị B,12 Hàng Bạc,001099000123,Bị từ chối,"
			       "denunciation,2,,refused,,," BA_DINH ",leadership\r\n");
}

/* --- bad files ------------------------------------------------------------------- */

static void
assert_nothing_imported(BookFixture *f)
{
	g_autofree char *exported = export_text(f->book, NULL, NULL);

	g_assert_cmpstr(exported, ==, HEADER);
	g_assert_cmpuint(count_imports_audited(f), ==, 0);
}

static void
assert_lines(GPtrArray *lines, const char *const *expected)
{
	for (guint i = 0; i < lines->len; i++)
		g_test_message("%s", (const char *)g_ptr_array_index(lines, i));
	g_assert_cmpuint(lines->len, ==, g_strv_length((char **)expected));
	for (guint i = 0; i < lines->len; i++) {
		const char *line = g_ptr_array_index(lines, i);
		if (!g_str_has_prefix(line, expected[i]))
			g_error("row error %u is '%s'; wanted it to start '%s'", i, line,
				expected[i]);
	}
}

static void
test_every_bad_row_with_its_line(BookFixture *f, gconstpointer data)
{
	/* line 2 is good; every other row is bad in its own way; line 9 spans two
	 * lines, so the rows after it are numbered by where they start */
	const char *csv = HEADER
		"2024-01-05,08:30,,,,Tốt,complaint,1,,,,,,regular\r\n"                   /* 2 */
		"2024-01-05,08:30,,,,Thiếu cột,complaint,1,,,,,regular\r\n"              /* 3 */
		"2024-02-30,08:30,,,,Ngày sai,complaint,1,,,,,,regular\r\n"              /* 4 */
		"05/01/2024,08:30,,,,Ngày sai,complaint,1,,,,,,regular\r\n"              /* 5 */
		"2024-01-05,8h30,,,,Giờ sai,complaint,1,,,,,,regular\r\n"                /* 6 */
		"2024-01-05,24:00,,,,Giờ sai,complaint,1,,,,,,regular\r\n"               /* 7 */
		"2024-01-05,,,,,Số người,complaint,0,,,,,,regular\r\n"                   /* 8 */
		"2024-01-05,,,,,\"Hai\ndòng\",complaint,-3,,,,,,regular\r\n"             /* 9 */
		"2024-01-05,,,,,Số người,complaint,ba,,,,,,regular\r\n"                  /* 11 */
		"2024-01-05,,,,,Số người,complaint,2.5,,,,,,regular\r\n"                 /* 12 */
		"2024-01-05,,,,,Loại,petition,1,,,,,,regular\r\n"                        /* 13 */
		"2024-01-05,,,,,Hướng,complaint,1,,ignored,,,,regular\r\n"               /* 14 */
		"2024-01-05,,,,,Phiên,complaint,1,,,,,,monthly\r\n"                      /* 15 */
		"2024-01-05,,,,,Điểm cầu,complaint,1,,,,,Điểm cầu Mặt Trăng,regular\r\n" /* 16 */
		"2024-01-05,,,,,   ,complaint,1,,,,,,regular\r\n"                        /* 17 */
		"2099-01-05,,,,,Tương lai,complaint,1,,,,,,regular\r\n"                  /* 18 */
		"2024-01-05,,,,,Cột thừa,complaint,1,,,,,,regular,extra\r\n"             /* 19 */
		"2024-01-05,,,,,Lỗi \"ngoặc,complaint,1,,,,,,regular\r\n"                /* 20 */
		"2024-01-05,,,,,\"đóng\"rồi,complaint,1,,,,,,regular\r\n"                /* 21 */
		",,,,,,,,,,,,,\r\n"                                                      /* 22 */
		"2024-01-05,,,,,Nhiều lỗi,vấn đề,0,,sai,,,,không\r\n";                   /* 23 */
	const char *const expected[] = {
		"3: has 13 fields; the header has 14",
		"4: date must be a real day",
		"5: date must be a real day",
		"6: time must be empty or HH:MM",
		"7: time must be empty or HH:MM",
		"8: persons must be a whole number from 1 to 10000",
		"9: persons must be a whole number",
		"11: persons must be a whole number",
		"12: persons must be a whole number",
		"13: category must be complaint, denunciation, recommendation or reflection",
		"14: handling must be empty or accepted, guided, forwarded or refused",
		"15: session_kind must be leadership or regular",
		"16: bridge_point is not the name of any bridge point",
		"17: content must not be empty",
		"18: date is after today",
		"19: has 15 fields; the header has 14",
		"20: a field that does not start with a quote holds one",
		"21: text follows the closing quote",
		"22: date must be a real day",
		"23: category must be",
		NULL,
	};
	g_autoptr(GPtrArray) lines = import_bad(f, csv, -1);
	const char *last;

	assert_lines(lines, expected);
	/* a row with many faults names each */
	last = g_ptr_array_index(lines, lines->len - 1);
	g_assert_nonnull(strstr(last, "handling must be"));
	g_assert_nonnull(strstr(last, "session_kind must be"));
	g_assert_nonnull(strstr(last, "persons must be"));
	assert_nothing_imported(f);
}

static void
test_header_must_be_exact(BookFixture *f, gconstpointer data)
{
	const char *row = "2024-01-05,,,,,Nội dung,complaint,1,,,,,,regular\r\n";
	const char *const headers[] = {
		"date,time,name,address,id_number,content,category,persons,already_handled_by,"
		"handling,follow_up,notes,bridge_point,session_kind\r\n",
		"date,time,citizen_name,address,id_number,content,category,persons\r\n",
		"Date,Time,Citizen_name,Address,Id_number,Content,Category,Persons,"
		"Already_handled_by,Handling,Follow_up,Notes,Bridge_point,Session_kind\r\n",
		"2024-01-05,,,,,Nội dung,complaint,1,,,,,,regular\r\n",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(headers); i++) {
		g_autofree char *csv = g_strconcat(headers[i], row, NULL);
		g_autoptr(GPtrArray) lines = import_bad(f, csv, -1);
		const char *const expected[] = {"1: the first line must be the header exactly",
						NULL};
		assert_lines(lines, expected);
	}
	assert_nothing_imported(f);
}

static void
test_empty_and_header_only(BookFixture *f, gconstpointer data)
{
	g_autoptr(GPtrArray) empty = import_bad(f, "", -1);
	g_autoptr(GPtrArray) bom_only = import_bad(f, "\xEF\xBB\xBF", -1);
	const char *const expected[] = {"1: the file is empty", NULL};
	g_autofree char *with_bom = g_strconcat("\xEF\xBB\xBF", book_csv, NULL);

	assert_lines(empty, expected);
	assert_lines(bom_only, expected);
	assert_nothing_imported(f);
	/* a header alone is a book with no rows; blank lines carry nothing */
	import_ok(f, HEADER, 0, 0);
	import_ok(f, HEADER "\r\n\r\n", 0, 0);
	/* spreadsheets save UTF-8 with a byte order mark */
	import_ok(f, with_bom, 5, 5);
}

static void
test_unterminated_quote_and_bad_utf8(BookFixture *f, gconstpointer data)
{
	const char nul[] = HEADER "2024-01-05,,,,,Nul\0byte,complaint,1,,,,,,regular\r\n";
	const char *open_quote = HEADER "2024-01-05,,,,,Tốt,complaint,1,,,,,,regular\r\n"
					"2024-01-05,,,,,\"Mở mà không đóng,complaint,1,,,,,,"
					"regular\r\n"
					"2024-01-05,,,,,Tốt,complaint,1,,,,,,regular\r\n";
	/* Latin-1, as an old spreadsheet might save "Nguyễn" */
	const char *latin1 = HEADER "2024-01-05,,Nguy\xea"
				    "n,,,N\xf4i dung,complaint,1,,,,,,regular\r\n"
				    "2024-01-05,,,,,Tốt,complaint,1,,,,,,regular\r\n";
	g_autoptr(GPtrArray) a = import_bad(f, open_quote, -1);
	g_autoptr(GPtrArray) b = import_bad(f, latin1, -1);
	g_autoptr(GPtrArray) c = import_bad(f, nul, sizeof(nul) - 1);
	const char *const expected_a[] = {"3: a quoted field is never closed", NULL};
	const char *const expected_b[] = {"2: field 3 is not valid UTF-8 text", NULL};
	const char *const expected_c[] = {"2: holds a NUL byte", NULL};

	assert_lines(a, expected_a);
	assert_lines(b, expected_b);
	assert_lines(c, expected_c);
	assert_nothing_imported(f);
}

static void
test_all_or_nothing(BookFixture *f, gconstpointer data)
{
	g_autoptr(GString) csv = g_string_new(HEADER);
	g_autoptr(GPtrArray) lines = NULL;
	const char *const expected[] = {"1002: category must be", NULL};

	for (guint i = 0; i < 1000; i++)
		g_string_append_printf(
			csv, "2024-01-%02u,08:%02u,,,,Việc %u,complaint,1,,,,,,regular\r\n",
			1 + i % 28, i % 60, i);
	g_string_append(csv, "2024-01-05,,,,,Cuối,unknown,1,,,,,,regular\r\n");
	lines = import_bad(f, csv->str, csv->len);
	assert_lines(lines, expected);
	assert_nothing_imported(f);
}

static void
test_reasons_never_quote_cells(BookFixture *f, gconstpointer data)
{
	/* a row shifted by one column puts the name where the category goes */
	const char *csv = HEADER "2024-01-05,,,Nguyễn Bí Mật,Số 9 ngõ Kín,001234567890,Tố cáo,"
				 "Nguyễn Bí Mật,1,,,,,regular\r\n";
	g_autoptr(GPtrArray) lines = import_bad(f, csv, -1);

	for (guint i = 0; i < lines->len; i++) {
		const char *line = g_ptr_array_index(lines, i);
		g_assert_null(strstr(line, "Nguyễn"));
		g_assert_null(strstr(line, "Kín"));
		g_assert_null(strstr(line, "001234567890"));
	}
}

static void
test_duplicate_bridge_point_name(BookFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbBridgePoint) twin = cb_store_bridge_point_insert(
		f->store, &f->actor, "ba-dinh-2", BA_DINH, NULL, &error);
	const char *csv = HEADER "2024-01-05,,,,,Việc,complaint,1,,,,," BA_DINH ",regular\r\n";
	g_autoptr(GPtrArray) lines = NULL;
	const char *const expected[] = {"2: bridge_point is the name of more than one", NULL};

	g_assert_no_error(error);
	lines = import_bad(f, csv, -1);
	assert_lines(lines, expected);
}

/* --- reports --------------------------------------------------------------------- */

/* the book of book_csv plus three finished tickets and two that are not */
static void
add_report_data(BookFixture *f)
{
	gint64 leadership = add_session(f, "leadership");
	gint64 regular = add_session(f, "regular");

	import_ok(f, book_csv, 5, 5);
	add_ticket(f, &(TicketRow){leadership, "complaint", "T1", 7, 0, "done", "accepted", NULL,
				   local_us(2024, 3, 2, 9, 0)});
	add_ticket(f, &(TicketRow){regular, "denunciation", "T2", 1, f->ba_dinh, "refused", NULL,
				   NULL, local_us(2024, 3, 2, 10, 0)});
	add_ticket(f, &(TicketRow){regular, "reflection", "T5", 2, f->hoan_kiem, "done", NULL, NULL,
				   local_us(2024, 3, 3, 23, 30)});
	add_ticket(f, &(TicketRow){regular, "complaint", "T3", 9, 0, "waiting", NULL, NULL, 0});
	add_ticket(f, &(TicketRow){regular, "complaint", "T4", 9, 0, "cancelled", NULL, NULL, 0});
}

static CbBookSummary *
summarize(BookFixture *f, const char *from, const char *to, const char *kind,
	  const char *bridge_point, guint large_group_min)
{
	g_autoptr(GError) error = NULL;
	CbBookQuery query = {from, to, kind, bridge_point, large_group_min};
	CbBookSummary *summary = cb_reception_book_summarize(f->book, &query, &error);

	g_assert_no_error(error);
	return summary;
}

static void
assert_figures(const CbBookSummary *s, gint64 visits, gint64 citizens, gint64 large,
	       gint64 large_citizens)
{
	g_assert_cmpint(s->visits, ==, visits);
	g_assert_cmpint(s->citizens, ==, citizens);
	g_assert_cmpint(s->large_groups, ==, large);
	g_assert_cmpint(s->large_group_citizens, ==, large_citizens);
}

static void
test_report_arithmetic(BookFixture *f, gconstpointer data)
{
	g_autoptr(CbBookSummary) all = NULL;

	add_report_data(f);
	all = summarize(f, NULL, NULL, NULL, NULL, LARGE_MIN);
	/* rows 1+5+12+3+4 people, tickets 7+1+2; large: 5, 12 and 7 */
	assert_figures(all, 8, 35, 3, 24);
	g_assert_cmpuint(all->by_category->len, ==, 4);
	g_assert_cmpint(cb_book_counts_get(all->by_category, "complaint"), ==, 3);
	g_assert_cmpint(cb_book_counts_get(all->by_category, "denunciation"), ==, 2);
	g_assert_cmpint(cb_book_counts_get(all->by_category, "recommendation"), ==, 1);
	g_assert_cmpint(cb_book_counts_get(all->by_category, "reflection"), ==, 2);
	g_assert_cmpuint(all->by_handling->len, ==, 5);
	g_assert_cmpint(cb_book_counts_get(all->by_handling, "accepted"), ==, 2);
	g_assert_cmpint(cb_book_counts_get(all->by_handling, "forwarded"), ==, 1);
	g_assert_cmpint(cb_book_counts_get(all->by_handling, "guided"), ==, 1);
	g_assert_cmpint(cb_book_counts_get(all->by_handling, "refused"), ==, 2);
	g_assert_cmpint(cb_book_counts_get(all->by_handling, "none"), ==, 2);
	g_assert_cmpuint(all->by_bridge_point->len, ==, 3);
	g_assert_cmpint(cb_book_counts_get(all->by_bridge_point, ""), ==, 3);
	g_assert_cmpint(cb_book_counts_get(all->by_bridge_point, BA_DINH), ==, 3);
	g_assert_cmpint(cb_book_counts_get(all->by_bridge_point, HOAN_KIEM), ==, 2);
}

static void
test_report_filters(BookFixture *f, gconstpointer data)
{
	g_autoptr(CbBookSummary) leadership = NULL;
	g_autoptr(CbBookSummary) ba_dinh = NULL;
	g_autoptr(CbBookSummary) hall = NULL;
	g_autoptr(CbBookSummary) february = NULL;
	g_autoptr(CbBookSummary) one_day = NULL;
	g_autoptr(CbBookSummary) to_march_2 = NULL;
	g_autoptr(CbBookSummary) to_march_3 = NULL;
	g_autoptr(CbBookSummary) both = NULL;
	g_autoptr(CbBookSummary) ten = NULL;
	g_autoptr(CbBookSummary) nothing = NULL;

	add_report_data(f);
	leadership = summarize(f, NULL, NULL, "leadership", NULL, LARGE_MIN);
	assert_figures(leadership, 3, 13, 2, 12);
	ba_dinh = summarize(f, NULL, NULL, NULL, BA_DINH, LARGE_MIN);
	assert_figures(ba_dinh, 3, 10, 1, 5);
	g_assert_cmpuint(ba_dinh->by_bridge_point->len, ==, 1);
	hall = summarize(f, NULL, NULL, NULL, "", LARGE_MIN);
	assert_figures(hall, 3, 11, 1, 7);
	february = summarize(f, "2024-02-01", "2024-02-29", NULL, NULL, LARGE_MIN);
	assert_figures(february, 2, 15, 1, 12);
	one_day = summarize(f, "2024-01-05", "2024-01-05", NULL, NULL, LARGE_MIN);
	assert_figures(one_day, 2, 6, 1, 5);
	/* T5 finished at 23:30 local on March 3, 16:30 UTC: a day of Hanoi's */
	to_march_2 = summarize(f, "2024-03-02", "2024-03-02", NULL, NULL, LARGE_MIN);
	assert_figures(to_march_2, 2, 8, 1, 7);
	to_march_3 = summarize(f, "2024-03-03", "2024-03-03", NULL, NULL, LARGE_MIN);
	assert_figures(to_march_3, 1, 2, 0, 0);
	both = summarize(f, NULL, NULL, "regular", BA_DINH, LARGE_MIN);
	assert_figures(both, 2, 5, 0, 0);
	ten = summarize(f, NULL, NULL, NULL, NULL, 10);
	assert_figures(ten, 8, 35, 1, 12);
	nothing = summarize(f, "2025-01-01", NULL, NULL, NULL, LARGE_MIN);
	assert_figures(nothing, 0, 0, 0, 0);
	g_assert_cmpuint(nothing->by_category->len, ==, 4);
	g_assert_cmpuint(nothing->by_handling->len, ==, 5);
	g_assert_cmpuint(nothing->by_bridge_point->len, ==, 0);
}

static void
test_report_bad_queries(BookFixture *f, gconstpointer data)
{
	const CbBookQuery queries[] = {
		{"2024-1-5", NULL, NULL, NULL, LARGE_MIN},
		{NULL, "2024-02-30", NULL, NULL, LARGE_MIN},
		{"2024-03-02", "2024-03-01", NULL, NULL, LARGE_MIN},
		{NULL, NULL, "monthly", NULL, LARGE_MIN},
		{NULL, NULL, NULL, "Điểm cầu Sao Hỏa", LARGE_MIN},
	};
	const char *needles[] = {"'from' must be a day", "'to' must be a day",
				 "'to' is before 'from'", "'kind' must be leadership or regular",
				 "no bridge point is named"};

	for (gsize i = 0; i < G_N_ELEMENTS(queries); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(CbBookSummary) summary =
			cb_reception_book_summarize(f->book, &queries[i], &error);

		g_assert_null(summary);
		g_assert_error(error, CB_ERROR, CB_ERROR_INVALID);
		g_assert_nonnull(strstr(error->message, needles[i]));
	}
}

static void
test_unknown_zone(BookFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbReceptionBook) book =
		cb_reception_book_new(f->store, f->clock, "Asia/Atlantis", &error);

	g_assert_null(book);
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFIG);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn)                                                                              \
	g_test_add("/civic-bridge/reception-book/" path, BookFixture, NULL, fixture_setup, fn,     \
		   fixture_teardown)
	ADD("import-then-export", test_import_then_export);
	ADD("reimport-adds-nothing", test_reimport_adds_nothing);
	ADD("identical-rows-are-two-visits", test_identical_rows_are_two_visits);
	ADD("round-trip-into-empty-store", test_round_trip_into_empty_store);
	ADD("export-into-same-store-adds-nothing", test_export_into_same_store_adds_nothing);
	ADD("export-range-and-zone", test_export_range_and_zone);
	ADD("finished-tickets-only", test_finished_tickets_only);
	ADD("every-bad-row-with-its-line", test_every_bad_row_with_its_line);
	ADD("header-must-be-exact", test_header_must_be_exact);
	ADD("empty-and-header-only", test_empty_and_header_only);
	ADD("unterminated-quote-and-bad-utf8", test_unterminated_quote_and_bad_utf8);
	ADD("all-or-nothing", test_all_or_nothing);
	ADD("reasons-never-quote-cells", test_reasons_never_quote_cells);
	ADD("duplicate-bridge-point-name", test_duplicate_bridge_point_name);
	ADD("report-arithmetic", test_report_arithmetic);
	ADD("report-filters", test_report_filters);
	ADD("report-bad-queries", test_report_bad_queries);
	ADD("unknown-zone", test_unknown_zone);
#undef ADD
	return g_test_run();
}
