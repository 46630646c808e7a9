/* civic-bridge benchmark: the foundation's figures (issue 2)
 *
 * Runs the real civic-bridged and measures start to READY=1, idle memory, and
 * HTTP throughput and tail latency under wrk on 127.0.0.1, with the daemon's
 * own CPU time per request. A bare libsoup server (this program re-executed
 * with --bare-soup-server) is measured the same way as a baseline, because
 * the machine is shared and absolute numbers drift between runs: once
 * listening as the daemon does (soup_server_listen(), GSocket's default
 * listen backlog of 10) and once on a socket with a backlog of 1024, to show
 * what the backlog alone does to tail latency with 100 clients connecting.
 *
 * Exit status: 0 all targets met, 1 a target missed or a run went wrong,
 * 77 wrk is not installed (meson shows the benchmark as skipped). */
#define G_LOG_DOMAIN "CbBench"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "civic-bridge/cb-store.h"

#include "bench-common.h"

#define CB_BENCH_READY_TARGET_MS 1000.0
#define CB_BENCH_RSS_TARGET_KB   (20 * 1024) /* 20 MiB */
#define CB_BENCH_IDLE_SECONDS    2
#define CB_BENCH_EXIT_SKIP       77
#define CB_BENCH_WIDE_BACKLOG    1024

typedef struct {
	gint runs;        /* starts per startup variant */
	gint duration;    /* wrk -d, seconds */
	gint connections; /* wrk -c */
	gint threads;     /* wrk -t */
	guint seed_startup;
	guint seed_load;
} CbBenchOptions;

typedef struct {
	guint64 rss_kb;
	guint64 hwm_kb;
	guint64 anon_kb;
	guint64 file_kb;
	guint64 threads;
} CbBenchMemory;

typedef struct {
	char *label;
	GArray *ready_ms; /* double, sorted once all runs are done */
	CbBenchMemory idle;
} CbBenchStartup;

typedef struct {
	char *label;
	double seconds; /* wall time of the wrk run */
	double requests_per_s;
	double p50_ms;
	double p99_ms;
	guint64 requests;
	guint64 non_2xx;
	guint64 socket_errors;
	char *socket_errors_line; /* wrk's own words, when it had errors */
	guint64 listen_overflows; /* connections the kernel's accept queue dropped */
	double server_cpu_s;
	double wrk_cpu_s;
} CbBenchLoad;

/* --- /proc ---------------------------------------------------------------- */

static void
cb_bench_proc_memory(GPid pid, CbBenchMemory *memory)
{
	memory->rss_kb = cb_bench_proc_status_kb(pid, "VmRSS");
	memory->hwm_kb = cb_bench_proc_status_kb(pid, "VmHWM");
	memory->anon_kb = cb_bench_proc_status_kb(pid, "RssAnon");
	memory->file_kb = cb_bench_proc_status_kb(pid, "RssFile");
	memory->threads = cb_bench_proc_status_kb(pid, "Threads");
}

/* TcpExt ListenOverflows from /proc/net/netstat: handshakes dropped because an
 * accept queue was full, for the whole network namespace (only our traffic here) */
static guint64
cb_bench_listen_overflows(void)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;

	if (!g_file_get_contents("/proc/net/netstat", &text, NULL, NULL))
		return 0;
	lines = g_strsplit(text, "\n", -1);
	/* a line of names, then a line of values, both starting with "TcpExt:" */
	for (guint i = 0; lines[i] != NULL && lines[i + 1] != NULL; i++) {
		g_auto(GStrv) names = NULL;
		g_auto(GStrv) values = NULL;

		if (!g_str_has_prefix(lines[i], "TcpExt:"))
			continue;
		names = g_strsplit(lines[i], " ", -1);
		values = g_strsplit(lines[i + 1], " ", -1);
		for (guint j = 0; names[j] != NULL && values[j] != NULL; j++) {
			if (g_str_equal(names[j], "ListenOverflows"))
				return g_ascii_strtoull(values[j], NULL, 10);
		}
		return 0;
	}
	return 0;
}

/* CPU of the children this process has reaped so far, in seconds */
static double
cb_bench_children_cpu_seconds(void)
{
	struct rusage usage;

	getrusage(RUSAGE_CHILDREN, &usage);
	return (double)usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
	       (double)usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

/* --- daemons ---------------------------------------------------------------- */

static void
cb_bench_seed(CbTestDaemon *d, guint count)
{
	g_autofree char *db = g_build_filename(d->state_dir, "civic-bridge.db", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(CbStore) store = cb_store_open(db, NULL, &error);
	CbActor actor = {.via = "test"};

	g_assert_no_error(error);
	for (guint i = 0; i < count; i++) {
		g_autofree char *code = g_strdup_printf("bench-%03u", i + 1);
		g_autofree char *name = g_strdup_printf("Điểm cầu số %u", i + 1);
		g_autoptr(CbBridgePoint) bp = cb_store_bridge_point_insert(
			store, &actor, code, name, "Quận Ba Đình", &error);
		g_assert_no_error(error);
	}
}

/* removes the store CbTestDaemon made, so the daemon creates it as on first boot */
static void
cb_bench_remove_store(CbTestDaemon *d)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};

	for (guint i = 0; i < G_N_ELEMENTS(suffixes); i++) {
		g_autofree char *path =
			g_strdup_printf("%s/civic-bridge.db%s", d->state_dir, suffixes[i]);
		g_unlink(path);
	}
}

/* a daemon not yet started: empty state dir when @seed is 0, else @seed bridge points */
static CbTestDaemon *
cb_bench_daemon_new(guint seed)
{
	CbTestDaemon *d = cb_test_daemon_new();

	if (seed == 0)
		cb_bench_remove_store(d);
	else
		cb_bench_seed(d, seed);
	return d;
}

static double
cb_bench_start_timed(CbTestDaemon *d)
{
	g_autoptr(GError) error = NULL;
	gint64 start = g_get_monotonic_time();

	if (!cb_test_daemon_start(d, &error)) {
		g_printerr("bench-foundation: %s\n", error->message);
		return -1;
	}
	return (g_get_monotonic_time() - start) / 1000.0;
}

static gboolean
cb_bench_stop(CbTestDaemon *d)
{
	int status = cb_test_daemon_signal_and_wait(d, SIGTERM, 5000);

	if (status != 0)
		g_printerr("bench-foundation: civic-bridged exited with %d on SIGTERM\n", status);
	return status == 0;
}

/* --- startup and idle memory ------------------------------------------------ */

/* one start; on @measure_memory also the idle RSS after CB_BENCH_IDLE_SECONDS */
static gboolean
cb_bench_startup_once(CbBenchStartup *result, guint seed, gboolean measure_memory)
{
	g_autoptr(CbTestDaemon) d = cb_bench_daemon_new(seed);
	double ms = cb_bench_start_timed(d);

	if (ms < 0)
		return FALSE;
	g_array_append_val(result->ready_ms, ms);
	if (measure_memory) {
		g_usleep(CB_BENCH_IDLE_SECONDS * G_USEC_PER_SEC);
		cb_bench_proc_memory(cb_bench_subprocess_pid(d->process), &result->idle);
	}
	return cb_bench_stop(d);
}

static gboolean
cb_bench_startup(const CbBenchOptions *options, CbBenchStartup *result, guint seed)
{
	g_print("startup: %s, %d runs\n", result->label, options->runs);
	for (gint i = 0; i < options->runs; i++) {
		if (!cb_bench_startup_once(result, seed, i + 1 == options->runs))
			return FALSE;
	}
	g_array_sort(result->ready_ms, cb_bench_compare_double);
	return TRUE;
}

/* one start with a GStreamer registry that does not exist yet: the first boot
 * of a service whose cache directory is empty or not writable */
static double
cb_bench_startup_cold_registry(void)
{
	g_autoptr(CbTestDaemon) d = cb_bench_daemon_new(0);
	g_autofree char *registry = g_build_filename(d->dir, "gst-registry.bin", NULL);
	g_autofree char *assignment = g_strconcat("GST_REGISTRY=", registry, NULL);
	double ms;

	cb_test_daemon_add_env(d, assignment);
	ms = cb_bench_start_timed(d);
	if (ms < 0 || !cb_bench_stop(d))
		return -1;
	return ms;
}

/* --- wrk ------------------------------------------------------------------- */

/* "850.00us", "1.23ms", "1.02s", "1.00m" in milliseconds; -1 if unreadable */
static double
cb_bench_wrk_time_ms(const char *text)
{
	char *unit = NULL;
	double value = g_ascii_strtod(text, &unit);

	if (unit == text)
		return -1;
	if (g_str_has_prefix(unit, "us"))
		return value / 1000.0;
	if (g_str_has_prefix(unit, "ms"))
		return value;
	if (g_str_has_prefix(unit, "s"))
		return value * 1000.0;
	if (g_str_has_prefix(unit, "m"))
		return value * 60000.0;
	return -1;
}

static void
cb_bench_wrk_parse_line(const char *line, CbBenchLoad *load)
{
	guint connect = 0, rd = 0, wr = 0, timeout = 0;

	if (g_str_has_prefix(line, "Requests/sec:"))
		load->requests_per_s = g_ascii_strtod(line + strlen("Requests/sec:"), NULL);
	else if (g_str_has_prefix(line, "50%"))
		load->p50_ms = cb_bench_wrk_time_ms(g_strchug((char *)line + 3));
	else if (g_str_has_prefix(line, "99%"))
		load->p99_ms = cb_bench_wrk_time_ms(g_strchug((char *)line + 3));
	else if (strstr(line, " requests in ") != NULL)
		load->requests = g_ascii_strtoull(line, NULL, 10);
	else if (g_str_has_prefix(line, "Non-2xx or 3xx responses:"))
		load->non_2xx =
			g_ascii_strtoull(line + strlen("Non-2xx or 3xx responses:"), NULL, 10);
	else if (sscanf(line, "Socket errors: connect %u, read %u, write %u, timeout %u", &connect,
			&rd, &wr, &timeout) == 4) {
		load->socket_errors = connect + rd + wr + timeout;
		g_free(load->socket_errors_line);
		load->socket_errors_line = g_strdup(line);
	}
}

static gboolean
cb_bench_wrk_parse(const char *output, CbBenchLoad *load)
{
	g_auto(GStrv) lines = g_strsplit(output, "\n", -1);

	load->requests_per_s = load->p50_ms = load->p99_ms = -1;
	for (guint i = 0; lines[i] != NULL; i++)
		cb_bench_wrk_parse_line(g_strstrip(lines[i]), load);
	return load->requests_per_s >= 0 && load->p99_ms >= 0 && load->requests > 0;
}

static GPtrArray *
cb_bench_wrk_argv(const CbBenchOptions *options, const char *url, const char *header)
{
	GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);

	g_ptr_array_add(argv, g_strdup("wrk"));
	g_ptr_array_add(argv, g_strdup_printf("-t%d", options->threads));
	g_ptr_array_add(argv, g_strdup_printf("-c%d", options->connections));
	g_ptr_array_add(argv, g_strdup_printf("-d%ds", options->duration));
	g_ptr_array_add(argv, g_strdup("--latency"));
	if (header != NULL) {
		g_ptr_array_add(argv, g_strdup("-H"));
		g_ptr_array_add(argv, g_strdup(header));
	}
	g_ptr_array_add(argv, g_strdup(url));
	g_ptr_array_add(argv, NULL);
	return argv;
}

/* runs wrk against @url, counting the CPU of @server_pid and of wrk itself */
static gboolean
cb_bench_wrk(const CbBenchOptions *options, GPid server_pid, const char *url, const char *header,
	     CbBenchLoad *load)
{
	g_autoptr(GPtrArray) argv = cb_bench_wrk_argv(options, url, header);
	g_autoptr(GSubprocess) wrk = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *output = NULL;
	double server_cpu = cb_bench_proc_cpu_seconds(server_pid);
	double wrk_cpu = cb_bench_children_cpu_seconds();
	guint64 overflows = cb_bench_listen_overflows();
	gint64 start = g_get_monotonic_time();

	g_print("load: %s\n", load->label);
	wrk = g_subprocess_newv((const char *const *)argv->pdata, G_SUBPROCESS_FLAGS_STDOUT_PIPE,
				&error);
	/* communicate returns once wrk has exited and been reaped */
	if (wrk == NULL || !g_subprocess_communicate_utf8(wrk, NULL, NULL, &output, NULL, &error)) {
		g_printerr("bench-foundation: wrk: %s\n", error->message);
		return FALSE;
	}
	load->seconds = (g_get_monotonic_time() - start) / 1e6;
	load->server_cpu_s = cb_bench_proc_cpu_seconds(server_pid) - server_cpu;
	load->wrk_cpu_s = cb_bench_children_cpu_seconds() - wrk_cpu;
	load->listen_overflows = cb_bench_listen_overflows() - overflows;
	g_print("%s", output);
	if (!g_subprocess_get_successful(wrk) || !cb_bench_wrk_parse(output, load)) {
		g_printerr("bench-foundation: could not read wrk's output:\n%s\n", output);
		return FALSE;
	}
	return TRUE;
}

/* --- the baseline: a bare libsoup server ------------------------------------ */

static void
cb_bench_bare_handler_cb(SoupServer *server, SoupServerMessage *msg, const char *path,
			 GHashTable *query, gpointer user_data)
{
	static const char body[] = "{\"status\":\"alive\"}";

	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_STATIC, body,
					 strlen(body));
}

/* listens on 127.0.0.1:0 through a socket of our own, with @backlog */
static gboolean
cb_bench_bare_listen_backlog(SoupServer *server, int backlog, GError **error)
{
	g_autoptr(GSocket) socket = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
						 G_SOCKET_PROTOCOL_TCP, error);
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new(loopback, 0);

	if (socket == NULL)
		return FALSE;
	g_socket_set_listen_backlog(socket, backlog);
	return g_socket_bind(socket, address, TRUE, error) && g_socket_listen(socket, error) &&
	       soup_server_listen_socket(server, socket, 0, error);
}

/* --bare-soup-server BACKLOG: serves a constant answer, prints its URL, runs
 * until killed; BACKLOG 0 listens the way civic-bridged does */
static int
cb_bench_bare_server_main(int backlog)
{
	g_autoptr(SoupServer) server = soup_server_new("server-header", "bench", NULL);
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	g_autoptr(GError) error = NULL;
	GSList *uris;
	gboolean listening;

	soup_server_add_handler(server, NULL, cb_bench_bare_handler_cb, NULL, NULL);
	listening = backlog > 0 ? cb_bench_bare_listen_backlog(server, backlog, &error)
				: soup_server_listen_local(server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY,
							   &error);
	if (!listening) {
		g_printerr("bench-foundation: bare server: %s\n", error->message);
		return 1;
	}
	uris = soup_server_get_uris(server);
	g_print("http://127.0.0.1:%d\n", g_uri_get_port(uris->data));
	g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
	fflush(stdout);
	g_main_loop_run(loop);
	return 0;
}

static gboolean
cb_bench_baseline(const CbBenchOptions *options, int backlog, CbBenchLoad *load)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *backlog_arg = g_strdup_printf("%d", backlog);
	g_autoptr(GSubprocess) server =
		g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, "/proc/self/exe",
				 "--bare-soup-server", backlog_arg, NULL);
	g_autoptr(GDataInputStream) out = NULL;
	g_autofree char *base = NULL;
	g_autofree char *url = NULL;
	gboolean ok;

	if (server == NULL) {
		g_printerr("bench-foundation: bare server: %s\n", error->message);
		return FALSE;
	}
	out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(server));
	base = g_data_input_stream_read_line(out, NULL, NULL, &error);
	if (base == NULL) {
		g_printerr("bench-foundation: the bare server did not start\n");
		return FALSE;
	}
	url = g_strconcat(base, "/healthz", NULL);
	ok = cb_bench_wrk(options, cb_bench_subprocess_pid(server), url, NULL, load);
	g_subprocess_force_exit(server);
	g_subprocess_wait(server, NULL, NULL);
	return ok;
}

/* --- the daemon under load --------------------------------------------------- */

/* checks once, before the load, that each URL answers 200 with what we expect */
static gboolean
cb_bench_check_daemon(CbTestDaemon *d, const char *token, guint seed)
{
	g_autoptr(JsonNode) json = NULL;
	guint status = cb_test_http(d, "GET", "/healthz", NULL, NULL, NULL);
	JsonArray *items;

	if (status != SOUP_STATUS_OK) {
		g_printerr("bench-foundation: /healthz answered %u\n", status);
		return FALSE;
	}
	status = cb_test_http(d, "GET", "/api/v1/bridge-points", token, NULL, &json);
	items = status == SOUP_STATUS_OK && json != NULL && JSON_NODE_HOLDS_OBJECT(json)
			? json_object_get_array_member(json_node_get_object(json), "items")
			: NULL;
	if (items == NULL || json_array_get_length(items) != seed) {
		g_printerr("bench-foundation: /api/v1/bridge-points answered %u, not %u items\n",
			   status, seed);
		return FALSE;
	}
	return TRUE;
}

static gboolean
cb_bench_load_daemon(const CbBenchOptions *options, CbBenchLoad *healthz, CbBenchLoad *list,
		     CbBenchMemory *after)
{
	g_autoptr(CbTestDaemon) d = cb_bench_daemon_new(options->seed_load);
	g_autofree char *token = NULL;
	g_autofree char *header = NULL;
	g_autofree char *healthz_url = NULL;
	g_autofree char *list_url = NULL;
	GPid pid;

	if (cb_bench_start_timed(d) < 0)
		return FALSE;
	pid = cb_bench_subprocess_pid(d->process);
	token = cb_test_daemon_issue_token(d, CB_ROLE_STAFF, 0, 0, 0);
	if (!cb_bench_check_daemon(d, token, options->seed_load))
		return FALSE;
	header = g_strconcat("Authorization: Bearer ", token, NULL);
	healthz_url = g_strconcat(d->url, "/healthz", NULL);
	list_url = g_strconcat(d->url, "/api/v1/bridge-points", NULL);
	if (!cb_bench_wrk(options, pid, healthz_url, NULL, healthz) ||
	    !cb_bench_wrk(options, pid, list_url, header, list))
		return FALSE;
	cb_bench_proc_memory(pid, after);
	return cb_bench_stop(d);
}

/* --- the summary ------------------------------------------------------------ */

static gboolean
cb_bench_print_startup(const CbBenchStartup *s)
{
	GArray *ms = s->ready_ms;
	double max = g_array_index(ms, double, ms->len - 1);

	g_print("  %-32s %8.1f %8.1f %8.1f   < %.0f ms   %s\n", s->label,
		g_array_index(ms, double, 0), g_array_index(ms, double, ms->len / 2), max,
		CB_BENCH_READY_TARGET_MS, cb_bench_verdict(max < CB_BENCH_READY_TARGET_MS));
	return max < CB_BENCH_READY_TARGET_MS;
}

static gboolean
cb_bench_print_memory(const char *label, const CbBenchMemory *m, gboolean gated)
{
	gboolean pass = m->rss_kb > 0 && m->rss_kb < CB_BENCH_RSS_TARGET_KB;

	g_print("  %-32s %7.1f %7.1f %7.1f %7.1f %4" G_GUINT64_FORMAT "   %s\n", label,
		m->rss_kb / 1024.0, m->hwm_kb / 1024.0, m->anon_kb / 1024.0, m->file_kb / 1024.0,
		m->threads, gated ? cb_bench_verdict(pass) : "(info)");
	return pass || !gated;
}

/* the server's CPU per request and its share of one core during the run; a
 * non-2xx answer means the run measured something else (a 401, a 429): that
 * invalidates it. Socket errors (wrk's 2 s timeouts) are a result, not a fault
 * of the bench, and are shown below the table. */
static gboolean
cb_bench_print_load(const CbBenchLoad *l)
{
	double us_per_request = l->server_cpu_s * 1e6 / (double)l->requests;

	g_print("  %-32s %9.0f %7.2f %7.2f %7" G_GUINT64_FORMAT " %6" G_GUINT64_FORMAT
		" %5" G_GUINT64_FORMAT " %6.0f%% %7.1f %6.0f%%\n",
		l->label, l->requests_per_s, l->p50_ms, l->p99_ms, l->non_2xx, l->socket_errors,
		l->listen_overflows, 100.0 * l->server_cpu_s / l->seconds, us_per_request,
		100.0 * l->wrk_cpu_s / l->seconds);
	return l->non_2xx == 0;
}

static void
cb_bench_print_ratio(const CbBenchLoad *l, const CbBenchLoad *base)
{
	double cpu = l->server_cpu_s / (double)l->requests;
	double base_cpu = base->server_cpu_s / (double)base->requests;

	g_print("  %-32s %.2fx the baseline's req/s, %.2fx its CPU per request\n", l->label,
		l->requests_per_s / base->requests_per_s, cpu / base_cpu);
}

static gboolean
cb_bench_summary(const CbBenchOptions *o, CbBenchStartup *startups, guint n_startups,
		 double cold_ms, CbBenchLoad *loads, guint n_loads, const CbBenchMemory *after)
{
	gboolean ok = TRUE;

	g_print("\n== civic-bridge foundation benchmark (%u CPUs) ==\n\n", g_get_num_processors());
	g_print("start to READY=1, ms (%d runs)  %8s %8s %8s   %-9s\n", o->runs, "min", "median",
		"max", "target");
	for (guint i = 0; i < n_startups; i++)
		ok &= cb_bench_print_startup(&startups[i]);
	g_print("  %-32s %8.1f %8s %8s   (info, 1 run)\n", "empty GStreamer registry cache",
		cold_ms, "", "");
	g_print("\nmemory, MiB (%d s idle)          %7s %7s %7s %7s %4s   < 20 MiB\n",
		CB_BENCH_IDLE_SECONDS, "VmRSS", "VmHWM", "anon", "file", "thr");
	for (guint i = 0; i < n_startups; i++)
		ok &= cb_bench_print_memory(startups[i].label, &startups[i].idle, TRUE);
	cb_bench_print_memory("after the load runs below", after, FALSE);
	g_print("\nwrk -t%d -c%d -d%ds --latency     %9s %7s %7s %7s %6s %5s %7s %7s %7s\n",
		o->threads, o->connections, o->duration, "req/s", "p50 ms", "p99 ms", "non-2xx",
		"errors", "ovfl", "srv CPU", "us/req", "wrk CPU");
	for (guint i = 0; i < n_loads; i++)
		ok &= cb_bench_print_load(&loads[i]);
	for (guint i = 0; i < n_loads; i++) {
		if (loads[i].socket_errors_line != NULL)
			g_print("  %s: %s\n", loads[i].label, loads[i].socket_errors_line);
	}
	g_print("\nagainst the bare libsoup server listening the same way, same run:\n");
	for (guint i = 2; i < n_loads; i++)
		cb_bench_print_ratio(&loads[i], &loads[0]);
	g_print("\n%s\n", ok ? "all targets met" : "a target was missed or a run went wrong");
	return ok;
}

/* --- main -------------------------------------------------------------------- */

static gboolean
cb_bench_parse_options(int *argc, char ***argv, CbBenchOptions *o)
{
	GOptionEntry entries[] = {
		{"runs", 'n', 0, G_OPTION_ARG_INT, &o->runs, "Starts per startup variant", "N"},
		{"duration", 'd', 0, G_OPTION_ARG_INT, &o->duration, "Seconds per wrk run", "S"},
		{"connections", 'c', 0, G_OPTION_ARG_INT, &o->connections, "wrk connections", "N"},
		{"threads", 't', 0, G_OPTION_ARG_INT, &o->threads, "wrk threads", "N"},
		{NULL},
	};
	g_autoptr(GOptionContext) context = g_option_context_new("- civic-bridge foundation "
								 "benchmark");
	g_autoptr(GError) error = NULL;

	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, argc, argv, &error)) {
		g_printerr("bench-foundation: %s\n", error->message);
		return FALSE;
	}
	if (o->runs <= 0 || o->duration <= 0 || o->connections <= 0 || o->threads <= 0) {
		g_printerr("bench-foundation: --runs, --duration, --connections and --threads "
			   "must be positive\n");
		return FALSE;
	}
	return TRUE;
}

static void
cb_bench_load_init(CbBenchLoad *load, const char *label)
{
	memset(load, 0, sizeof(*load));
	load->label = g_strdup(label);
}

int
main(int argc, char **argv)
{
	CbBenchOptions o = {.runs = 10,
			    .duration = 10,
			    .connections = 100,
			    .threads = 2,
			    .seed_startup = 100,
			    .seed_load = 20};
	g_autofree char *wrk = NULL;
	g_autofree char *list_label = NULL;
	CbBenchStartup startups[2] = {{.label = g_strdup("empty state dir")}};
	CbBenchLoad loads[4];
	CbBenchMemory after = {0};
	double cold_ms;

	if (argc == 3 && g_str_equal(argv[1], "--bare-soup-server"))
		return cb_bench_bare_server_main(atoi(argv[2]));
	if (!cb_bench_parse_options(&argc, &argv, &o))
		return 2;
	wrk = g_find_program_in_path("wrk");
	if (wrk == NULL) {
		g_print("SKIP: wrk is not installed (Debian: apt-get install wrk); "
			"bench-foundation needs it for the load runs\n");
		return CB_BENCH_EXIT_SKIP;
	}
	startups[1].label = g_strdup_printf("store with %u bridge points", o.seed_startup);
	for (guint i = 0; i < G_N_ELEMENTS(startups); i++)
		startups[i].ready_ms = g_array_new(FALSE, FALSE, sizeof(double));
	list_label = g_strdup_printf("GET bridge-points (%u, staff)", o.seed_load);
	cb_bench_load_init(&loads[0], "bare libsoup, backlog 10");
	cb_bench_load_init(&loads[1], "bare libsoup, backlog 1024");
	cb_bench_load_init(&loads[2], "GET /healthz");
	cb_bench_load_init(&loads[3], list_label);

	if (!cb_bench_startup(&o, &startups[0], 0) ||
	    !cb_bench_startup(&o, &startups[1], o.seed_startup))
		return 1;
	cold_ms = cb_bench_startup_cold_registry();
	if (cold_ms < 0 || !cb_bench_baseline(&o, 0, &loads[0]) ||
	    !cb_bench_baseline(&o, CB_BENCH_WIDE_BACKLOG, &loads[1]) ||
	    !cb_bench_load_daemon(&o, &loads[2], &loads[3], &after))
		return 1;
	return cb_bench_summary(&o, startups, G_N_ELEMENTS(startups), cold_ms, loads,
				G_N_ELEMENTS(loads), &after)
		       ? 0
		       : 1;
}
