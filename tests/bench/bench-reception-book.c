/* civic-bridge benchmark: the reception book's figures (issue 3)
 *
 * Runs the real civic-bridged, generates a reception book of N rows (100,000
 * by default) the way a city office's historical book looks (Vietnamese text,
 * quoted cells, 30 bridge points and the hall, delegations now and then), and
 * measures over HTTP on 127.0.0.1: the import (wall time, the daemon's CPU time
 * and its peak memory), the same file imported again (every row already
 * there), the summary report over the whole book and a filtered one, and the
 * export of the whole book. The figures are checked against what was generated.
 *
 * Exit status: 0 all targets met (each step under a minute: "seconds, not
 * minutes"), 1 a target missed or a result wrong. */
#define G_LOG_DOMAIN "CbBench"

#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "civic-bridge/cb-csv.h"
#include "civic-bridge/cb-reception-book.h"

#include "bench-common.h"

#define CB_BENCH_TARGET_S      60.0
#define CB_BENCH_BRIDGE_POINTS 30
#define CB_BENCH_REPORT_RUNS   5
#define CB_BENCH_LARGE_MIN     5
/* the bench's own body limit: a whole book goes in one request */
#define CB_BENCH_CONFIG "[limits]\nmax-body-bytes=536870912\n"

typedef struct {
	gint rows;
	gint seed;
} CbBenchOptions;

/* what the generated book must sum up to */
typedef struct {
	gint64 visits;
	gint64 citizens;
	gint64 large_groups;
	gint64 large_group_citizens;
} CbBenchTruth;

/* --- the book ------------------------------------------------------------------ */

static const char *const cb_bench_family[] = {"Nguyễn", "Trần", "Lê",  "Phạm", "Hoàng",
					      "Vũ",     "Đặng", "Bùi", "Đỗ",   "Ngô"};
static const char *const cb_bench_given[] = {"Văn An",     "Thị Bình",  "Minh Châu", "Quốc Dũng",
					     "Thu Hà",     "Đức Huy",   "Thị Lan",   "Văn Nam",
					     "Hồng Nhung", "Thanh Tùng"};
static const char *const cb_bench_streets[] = {
	"phố Huế", "Hàng Bạc", "Kim Mã", "Láng Hạ", "Giải Phóng", "Nguyễn Trãi", "Trần Duy Hưng"};
static const char *const cb_bench_matters[] = {
	"Khiếu nại về bồi thường, hỗ trợ khi thu hồi đất",
	"Tố cáo cán bộ phường có dấu hiệu vi phạm trong cấp phép xây dựng",
	"Kiến nghị sửa chữa đường \"ngõ 42\" bị hư hỏng",
	"Phản ánh tiếng ồn từ công trình thi công ban đêm",
	"Đề nghị cấp giấy chứng nhận quyền sử dụng đất\nđã nộp hồ sơ từ năm 2019",
	"Khiếu nại quyết định xử phạt vi phạm hành chính",
};
static const char *const cb_bench_categories[] = {"complaint", "denunciation", "recommendation",
						  "reflection"};
static const char *const cb_bench_handlings[] = {"accepted", "guided", "forwarded", "refused", ""};

static char *
cb_bench_bridge_point_name(guint i)
{
	return g_strdup_printf("Điểm cầu phường số %u", i + 1);
}

/* persons: mostly one citizen, sometimes a family, now and then a delegation */
static gint64
cb_bench_persons(GRand *rand)
{
	gint roll = g_rand_int_range(rand, 0, 100);

	if (roll < 80)
		return 1;
	if (roll < 96)
		return g_rand_int_range(rand, 2, 5);
	return g_rand_int_range(rand, 5, 40);
}

static void
cb_bench_add_row(GString *csv, GRand *rand, guint i, CbBenchTruth *truth)
{
	/* mid-2021 to early 2025, as the city's published figures */
	GDate day;
	g_autofree char *date = NULL;
	g_autofree char *time = NULL;
	g_autofree char *name = NULL;
	g_autofree char *address = NULL;
	g_autofree char *id_number = NULL;
	g_autofree char *persons_text = NULL;
	g_autofree char *bridge_point = NULL;
	gint64 persons = cb_bench_persons(rand);
	gint bp = g_rand_int_range(rand, -5, CB_BENCH_BRIDGE_POINTS);
	const char *cells[CB_BOOK_CSV_COLUMNS];
	char buf[16];

	g_date_clear(&day, 1);
	g_date_set_dmy(&day, 1, G_DATE_JULY, 2021);
	g_date_add_days(&day, g_rand_int_range(rand, 0, 1340));
	g_date_strftime(buf, sizeof(buf), "%Y-%m-%d", &day);
	date = g_strdup(buf);
	time = g_rand_int_range(rand, 0, 10) == 0
		       ? g_strdup("")
		       : g_strdup_printf("%02d:%02d", g_rand_int_range(rand, 7, 17),
					 g_rand_int_range(rand, 0, 60));
	name = g_strdup_printf("%s %s", cb_bench_family[g_rand_int_range(rand, 0, 10)],
			       cb_bench_given[g_rand_int_range(rand, 0, 10)]);
	address = g_strdup_printf("Số %d, %s, Hà Nội", g_rand_int_range(rand, 1, 300),
				  cb_bench_streets[g_rand_int_range(rand, 0, 7)]);
	id_number = g_strdup_printf("0010%08u", i);
	persons_text = g_strdup_printf("%" G_GINT64_FORMAT, persons);
	bridge_point = bp >= 0 ? cb_bench_bridge_point_name((guint)bp) : g_strdup("");
	cells[0] = date;
	cells[1] = time;
	cells[2] = name;
	cells[3] = address;
	cells[4] = id_number;
	cells[5] = cb_bench_matters[g_rand_int_range(rand, 0, G_N_ELEMENTS(cb_bench_matters))];
	cells[6] = cb_bench_categories[g_rand_int_range(rand, 0, 4)];
	cells[7] = persons_text;
	cells[8] = g_rand_int_range(rand, 0, 5) == 0 ? "UBND quận" : "";
	cells[9] = cb_bench_handlings[g_rand_int_range(rand, 0, 5)];
	cells[10] = g_rand_int_range(rand, 0, 3) == 0 ? "Hẹn trả lời trong 10 ngày" : "";
	cells[11] = "";
	cells[12] = bridge_point;
	cells[13] = g_rand_int_range(rand, 0, 4) == 0 ? "leadership" : "regular";
	cb_csv_append_record(csv, cells, G_N_ELEMENTS(cells), TRUE);
	truth->visits++;
	truth->citizens += persons;
	if (persons >= CB_BENCH_LARGE_MIN) {
		truth->large_groups++;
		truth->large_group_citizens += persons;
	}
}

/* --- HTTP ---------------------------------------------------------------------- */

typedef struct {
	guint status;
	GBytes *body;
	double seconds;
} CbBenchAnswer;

static CbBenchAnswer
cb_bench_request(CbTestDaemon *d, const char *method, const char *path, const char *type,
		 GBytes *body)
{
	g_autoptr(SoupSession) session = soup_session_new_with_options("timeout", 600, NULL);
	g_autofree char *uri = g_strconcat(d->url, path, NULL);
	g_autofree char *authorization = g_strconcat("Bearer ", d->admin_token, NULL);
	g_autoptr(SoupMessage) msg = soup_message_new(method, uri);
	g_autoptr(GError) error = NULL;
	CbBenchAnswer answer = {0};
	gint64 start;

	soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization",
				     authorization);
	if (body != NULL)
		soup_message_set_request_body_from_bytes(msg, type, body);
	start = g_get_monotonic_time();
	answer.body = soup_session_send_and_read(session, msg, NULL, &error);
	answer.seconds = (g_get_monotonic_time() - start) / 1e6;
	if (answer.body == NULL)
		g_error("%s %s: %s", method, path, error->message);
	answer.status = soup_message_get_status(msg);
	return answer;
}

static JsonObject *
cb_bench_json(GBytes *bytes)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;

	if (!json_parser_load_from_data(parser, g_bytes_get_data(bytes, NULL),
					g_bytes_get_size(bytes), &error))
		g_error("not JSON: %s", error->message);
	return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

static void
cb_bench_add_bridge_points(CbTestDaemon *d)
{
	for (guint i = 0; i < CB_BENCH_BRIDGE_POINTS; i++) {
		g_autofree char *name = cb_bench_bridge_point_name(i);
		g_autofree char *body =
			g_strdup_printf("{\"code\":\"p-%u\",\"name\":\"%s\"}", i + 1, name);
		if (cb_test_http(d, "POST", "/api/v1/bridge-points", d->admin_token, body, NULL) !=
		    201)
			g_error("cannot add bridge point %u", i + 1);
	}
}

/* runs a report @runs times: the median time, and the last answer's figures */
static double
cb_bench_report(CbTestDaemon *d, const char *path, JsonObject **figures)
{
	g_autoptr(GArray) times = g_array_new(FALSE, FALSE, sizeof(double));

	for (guint i = 0; i < CB_BENCH_REPORT_RUNS; i++) {
		CbBenchAnswer answer = cb_bench_request(d, "GET", path, NULL, NULL);
		if (answer.status != 200)
			g_error("%s: HTTP %u", path, answer.status);
		g_array_append_val(times, answer.seconds);
		if (i + 1 == CB_BENCH_REPORT_RUNS)
			*figures = cb_bench_json(answer.body);
		g_bytes_unref(answer.body);
	}
	g_array_sort(times, cb_bench_compare_double);
	return g_array_index(times, double, times->len / 2);
}

static gboolean
cb_bench_check(const char *what, gint64 have, gint64 want)
{
	if (have == want)
		return TRUE;
	g_printerr("WRONG: %s is %" G_GINT64_FORMAT ", the generated book has %" G_GINT64_FORMAT
		   "\n",
		   what, have, want);
	return FALSE;
}

/* everything one run measured */
typedef struct {
	CbBenchTruth truth;
	gsize csv_bytes;
	double generate_s;
	CbBenchAnswer import;
	double import_cpu_s;
	guint64 rss_before_kb;
	guint64 hwm_kb;
	guint64 rss_after_kb; /* once everything is done */
	CbBenchAnswer again;
	double report_all_s;
	double report_filtered_s;
	CbBenchAnswer export;
	JsonObject *imported;
	JsonObject *reimported;
	JsonObject *all;
	JsonObject *filtered;
} CbBenchResults;

static void
cb_bench_results_clear(CbBenchResults *r)
{
	g_clear_pointer(&r->import.body, g_bytes_unref);
	g_clear_pointer(&r->again.body, g_bytes_unref);
	g_clear_pointer(&r->export.body, g_bytes_unref);
	g_clear_pointer(&r->imported, json_object_unref);
	g_clear_pointer(&r->reimported, json_object_unref);
	g_clear_pointer(&r->all, json_object_unref);
	g_clear_pointer(&r->filtered, json_object_unref);
}

static GBytes *
cb_bench_generate(const CbBenchOptions *options, CbBenchResults *r)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed((guint32)options->seed);
	GString *csv = g_string_new(CB_BOOK_CSV_HEADER "\r\n");
	gint64 start = g_get_monotonic_time();

	for (gint i = 0; i < options->rows; i++)
		cb_bench_add_row(csv, rand, (guint)i, &r->truth);
	r->generate_s = (g_get_monotonic_time() - start) / 1e6;
	r->csv_bytes = csv->len;
	return g_string_free_to_bytes(csv);
}

static void
cb_bench_measure(CbTestDaemon *d, GPid pid, GBytes *body, CbBenchResults *r)
{
	g_autofree char *escaped = g_uri_escape_string("Điểm cầu phường số 7", NULL, FALSE);
	g_autofree char *filtered_path =
		g_strdup_printf("/api/v1/reports/summary?from=2023-01-01&to=2023-12-31"
				"&kind=leadership&bridge_point=%s",
				escaped);
	double cpu_before;

	r->rss_before_kb = cb_bench_proc_status_kb(pid, "VmRSS");
	cpu_before = cb_bench_proc_cpu_seconds(pid);
	r->import = cb_bench_request(d, "POST", "/api/v1/reception-book/import", "text/csv", body);
	r->import_cpu_s = cb_bench_proc_cpu_seconds(pid) - cpu_before;
	r->hwm_kb = cb_bench_proc_status_kb(pid, "VmHWM");
	if (r->import.status != 200)
		g_error("import: HTTP %u: %.*s", r->import.status, 500,
			(const char *)g_bytes_get_data(r->import.body, NULL));
	r->imported = cb_bench_json(r->import.body);
	r->again = cb_bench_request(d, "POST", "/api/v1/reception-book/import", "text/csv", body);
	r->reimported = cb_bench_json(r->again.body);
	r->report_all_s = cb_bench_report(d, "/api/v1/reports/summary", &r->all);
	r->report_filtered_s = cb_bench_report(d, filtered_path, &r->filtered);
	r->export = cb_bench_request(d, "GET", "/api/v1/reception-book.csv", NULL, NULL);
	r->rss_after_kb = cb_bench_proc_status_kb(pid, "VmRSS");
}

/* the daemon's figures against what was generated */
static gboolean
cb_bench_check_results(const CbBenchOptions *options, const CbBenchResults *r)
{
	gboolean ok = TRUE;

	ok &= cb_bench_check("rows added", json_object_get_int_member(r->imported, "added"),
			     options->rows);
	ok &= cb_bench_check("visits", json_object_get_int_member(r->all, "visits"),
			     r->truth.visits);
	ok &= cb_bench_check("citizens", json_object_get_int_member(r->all, "citizens"),
			     r->truth.citizens);
	ok &= cb_bench_check("large groups", json_object_get_int_member(r->all, "large_groups"),
			     r->truth.large_groups);
	ok &= cb_bench_check("large group citizens",
			     json_object_get_int_member(r->all, "large_group_citizens"),
			     r->truth.large_group_citizens);
	ok &= cb_bench_check("re-import added", json_object_get_int_member(r->reimported, "added"),
			     0);
	ok &= cb_bench_check("export size", g_bytes_get_size(r->export.body), r->csv_bytes);
	return ok;
}

static void
cb_bench_print(const CbBenchOptions *options, const CbBenchResults *r, gboolean ok)
{
	g_print("\nReception book (issue 3): %d rows, seed %d\n\n", options->rows, options->seed);
	g_print("| figure | measured | target |\n| --- | --- | --- |\n");
	g_print("| CSV generated (in the bench) | %.1f MiB in %.2f s | |\n",
		r->csv_bytes / 1048576.0, r->generate_s);
	g_print("| import over HTTP, wall | %.2f s (%.0f rows/s) | < %.0f s: **%s** |\n",
		r->import.seconds, options->rows / r->import.seconds, CB_BENCH_TARGET_S,
		cb_bench_verdict(r->import.seconds < CB_BENCH_TARGET_S));
	g_print("| import, daemon CPU | %.2f s | |\n", r->import_cpu_s);
	g_print("| daemon VmRSS before, VmHWM after the import, VmRSS at the end | %.1f MiB, "
		"%.1f MiB, %.1f MiB | |\n",
		r->rss_before_kb / 1024.0, r->hwm_kb / 1024.0, r->rss_after_kb / 1024.0);
	g_print("| same file again (every row already there), wall | %.2f s | |\n",
		r->again.seconds);
	g_print("| summary report over the whole book (median of %d) | %.3f s | < %.0f s: **%s** "
		"|\n",
		CB_BENCH_REPORT_RUNS, r->report_all_s, CB_BENCH_TARGET_S,
		cb_bench_verdict(r->report_all_s < CB_BENCH_TARGET_S));
	g_print("| summary report, one year + kind + bridge point (median of %d) | %.3f s "
		"(%" G_GINT64_FORMAT " visits) | |\n",
		CB_BENCH_REPORT_RUNS, r->report_filtered_s,
		json_object_get_int_member(r->filtered, "visits"));
	g_print("| export of the whole book, wall | %.2f s (%.1f MiB) | |\n", r->export.seconds,
		g_bytes_get_size(r->export.body) / 1048576.0);
	g_print("\nfigures: %" G_GINT64_FORMAT " visits by %" G_GINT64_FORMAT
		" citizens, %" G_GINT64_FORMAT " large groups with %" G_GINT64_FORMAT
		" people: %s\n",
		r->truth.visits, r->truth.citizens, r->truth.large_groups,
		r->truth.large_group_citizens, ok ? "as generated" : "WRONG");
}

static gboolean
cb_bench_run(const CbBenchOptions *options)
{
	g_autoptr(CbTestDaemon) d = cb_bench_daemon_start(CB_BENCH_CONFIG);
	g_autoptr(GBytes) body = NULL;
	CbBenchResults r = {0};
	gboolean ok;
	GPid pid;

	pid = cb_bench_subprocess_pid(d->process);
	cb_bench_add_bridge_points(d);
	body = cb_bench_generate(options, &r);
	cb_bench_measure(d, pid, body, &r);
	ok = cb_bench_check_results(options, &r);
	cb_bench_print(options, &r, ok);
	ok = ok && r.import.seconds < CB_BENCH_TARGET_S && r.report_all_s < CB_BENCH_TARGET_S;
	cb_bench_results_clear(&r);
	return ok;
}

int
main(int argc, char **argv)
{
	CbBenchOptions options = {.rows = 100000, .seed = 3};
	const GOptionEntry entries[] = {
		{"rows", 'n', 0, G_OPTION_ARG_INT, &options.rows, "Rows in the book (100000)", "N"},
		{"seed", 's', 0, G_OPTION_ARG_INT, &options.seed, "Seed of the generator (3)", "S"},
		{NULL},
	};
	g_autoptr(GOptionContext) context = g_option_context_new("- reception book benchmark");
	g_autoptr(GError) error = NULL;

	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error) || options.rows < 1) {
		g_printerr("%s\n", error != NULL ? error->message : "--rows must be at least 1");
		return 1;
	}
	return cb_bench_run(&options) ? 0 : 1;
}
