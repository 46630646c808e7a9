/* civic-bridge benchmark: the commit time of a queue transition (issue 3)
 *
 * In one process, without HTTP or WebSocket: opens a CbStore and a CbQueue
 * on a SQLite file in a temporary folder (the same file system the daemon's
 * state dir is on in the other benchmarks), opens a session, registers N
 * tickets (10,000 by default), then times K rounds of cb_queue_call,
 * cb_queue_admit and cb_queue_finish on the head of the line with
 * g_get_monotonic_time: each is a compare-and-set committed (WAL,
 * synchronous=FULL, fsync) and audited before it returns. No handler is
 * connected to the queue's signals, so this is the commit and nothing else.
 *
 * It also times what the daemon does after each change for the WebSocket
 * (src/cb-ws-events.c): one listing of the whole line with positions and
 * estimates (cb_queue_list_session) and one render of a citizen's own
 * ticket per connected citizen (cb_api_queue_render, then to text); and what
 * a citizen costs when it connects (cb_queue_get of a waiting ticket).
 *
 * Exit status: 0 when the p99 commit time of call, admit and finish is under
 * 10 ms, 1 otherwise. */
#define G_LOG_DOMAIN "CbBench"

#include <stdio.h>

#include "civic-bridge/cb-json.h"
#include "civic-bridge/cb-queue.h"
#include "src/cb-api.h"

#include "bench-common.h"

#define CB_BENCH_COMMIT_TARGET_MS 10.0
#define CB_BENCH_RENDER_SAMPLE    1000

typedef struct {
	gint tickets;
	gint rounds;
} CbBenchOptions;

typedef struct {
	char *dir;
	char *path;
	CbClock *clock;
	CbConfig *config;
	CbStore *store;
	CbQueue *queue;
	CbActor actor;
	CbTokenRecord staff;
	gint64 session_id;
} CbBench;

/* --- statistics ---------------------------------------------------------------- */

static double
cb_bench_ms_since(gint64 start)
{
	return (g_get_monotonic_time() - start) / 1000.0;
}

/* --- set-up ---------------------------------------------------------------------- */

static void
cb_bench_open(CbBench *b)
{
	g_autoptr(GError) error = NULL;

	b->dir = g_dir_make_tmp("civic-bridge-bench-XXXXXX", &error);
	if (b->dir == NULL)
		g_error("temporary folder: %s", error->message);
	b->path = g_build_filename(b->dir, "civic-bridge.db", NULL);
	b->clock = cb_clock_new_real();
	b->config = cb_config_new_defaults();
	/* 0: no limit; the defaults (500, 100) would refuse most of the line */
	b->config->queue_max_open_per_session = 0;
	b->config->queue_max_open_per_bridge_point = 0;
	b->store = cb_store_open(b->path, b->clock, &error);
	if (b->store == NULL)
		g_error("store: %s", error->message);
	b->queue = cb_queue_new(b->store, b->clock, b->config);
	b->actor = (CbActor){.token_id = 1, .role = CB_ROLE_STAFF, .via = "bench"};
	b->staff = (CbTokenRecord){.id = 1, .role = CB_ROLE_STAFF};
}

static void
cb_bench_close(CbBench *b)
{
	g_clear_object(&b->queue);
	g_clear_object(&b->store);
	cb_test_remove_tree(b->dir);
	g_free(b->dir);
	g_free(b->path);
	cb_config_free(b->config);
	g_object_unref(b->clock);
}

/* a session whose waiting room is open now */
static void
cb_bench_open_session(CbBench *b)
{
	gint64 now = cb_clock_now(b->clock);
	CbSession spec = {.title = "Tiếp công dân",
			  .kind = CB_SESSION_REGULAR,
			  .starts_at = now + 10 * 60 * G_TIME_SPAN_SECOND,
			  .ends_at = now + 4 * 3600 * G_TIME_SPAN_SECOND,
			  .opens_at = now};
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSession) session = cb_store_session_insert(b->store, &b->actor, &spec, &error);
	g_autoptr(CbSession) open = NULL;

	if (session == NULL)
		g_error("session: %s", error->message);
	open = cb_store_session_transition(b->store, &b->actor, session->id, CB_SESSION_SCHEDULED,
					   CB_SESSION_OPEN, NULL, &error);
	if (open == NULL || !cb_queue_session_changed(b->queue, open, &error))
		g_error("opening the session: %s", error->message);
	b->session_id = open->id;
}

/* registers @n tickets; their commit times (ms) go to @times */
static void
cb_bench_register(CbBench *b, gint n, GArray *times)
{
	CbTicketRequest request = {
		.session_id = b->session_id,
		.category = "complaint",
		.summary = "Khiếu nại về bồi thường khi thu hồi đất",
		.has_persons = TRUE,
		.persons = 1,
		.citizen_name = "Nguyễn Văn An",
	};

	for (gint i = 0; i < n; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(CbTicket) ticket = NULL;
		gint64 start = g_get_monotonic_time();
		double ms;

		ticket = cb_queue_register(b->queue, &b->staff, &b->actor, &request, &error);
		ms = cb_bench_ms_since(start);
		if (ticket == NULL)
			g_error("ticket %d: %s", i + 1, error->message);
		g_array_append_val(times, ms);
	}
}

/* --- what one change costs the WebSocket side ------------------------------------- */

typedef struct {
	double list_ms;   /* median of 5 listings of the whole line */
	double render_us; /* one citizen's message, rendered and made text */
	double greet_ms;  /* median: cb_queue_get of a waiting ticket */
	guint line_len;
} CbBenchFanout;

/* what src/cb-ws-events.c sends a citizen: {"type":"ticket","ticket":{...}} */
static char *
cb_bench_citizen_message(const CbQueueEntry *entry)
{
	g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
	JsonObject *object = json_object_new();

	json_object_set_string_member(object, "type", "ticket");
	json_object_set_member(object, "ticket",
			       cb_api_queue_render(entry, CB_TICKET_VIEW_OWN, NULL));
	json_node_take_object(node, object);
	return cb_json_to_string(node);
}

static void
cb_bench_fanout(CbBench *b, CbBenchFanout *f)
{
	g_autoptr(GArray) lists = g_array_new(FALSE, FALSE, sizeof(double));
	g_autoptr(GArray) greets = g_array_new(FALSE, FALSE, sizeof(double));
	g_autoptr(GPtrArray) entries = NULL;
	gint64 start;
	guint rendered = 0;

	for (guint i = 0; i < 5; i++) {
		g_autoptr(GError) error = NULL;
		double ms;

		g_clear_pointer(&entries, g_ptr_array_unref);
		start = g_get_monotonic_time();
		entries = cb_queue_list_session(b->queue, b->session_id, NULL, &error);
		ms = cb_bench_ms_since(start);
		if (entries == NULL)
			g_error("listing the line: %s", error->message);
		g_array_append_val(lists, ms);
	}
	f->line_len = entries->len;
	f->list_ms = cb_bench_quantile(lists, 0.5);
	start = g_get_monotonic_time();
	for (guint i = 0; i < entries->len && i < CB_BENCH_RENDER_SAMPLE; i++, rendered++) {
		g_autofree char *text = cb_bench_citizen_message(g_ptr_array_index(entries, i));
	}
	f->render_us = rendered > 0 ? cb_bench_ms_since(start) * 1000.0 / rendered : 0;
	for (guint i = 0; i < 5 && i < entries->len; i++) {
		/* citizens spread along the line */
		const CbQueueEntry *entry = g_ptr_array_index(entries, i * (entries->len / 5));
		CbTokenRecord citizen = {.role = CB_ROLE_CITIZEN, .ticket_id = entry->ticket->id};
		g_autoptr(GError) error = NULL;
		g_autoptr(CbQueueEntry) got = NULL;
		double ms;

		start = g_get_monotonic_time();
		got = cb_queue_get(b->queue, &citizen, entry->ticket->id, &error);
		ms = cb_bench_ms_since(start);
		if (got == NULL)
			g_error("ticket %" G_GINT64_FORMAT ": %s", entry->ticket->id,
				error->message);
		g_array_append_val(greets, ms);
	}
	f->greet_ms = cb_bench_quantile(greets, 0.5);
}

/* --- the rounds ------------------------------------------------------------------------ */

typedef struct {
	GArray *call;
	GArray *admit;
	GArray *finish;
} CbBenchRounds;

static void
cb_bench_time(GArray *times, CbTicket *ticket, gint64 start, GError *error, const char *what)
{
	double ms = cb_bench_ms_since(start);

	if (ticket == NULL)
		g_error("%s: %s", what, error->message);
	cb_ticket_free(ticket);
	g_array_append_val(times, ms);
}

/* call, admit and finish the head of the line, @rounds times; the head of
 * round i is the i-th ticket registered (ids 1..N in arrival order) */
static void
cb_bench_rounds(CbBench *b, GPtrArray *line, gint rounds, CbBenchRounds *r)
{
	for (gint i = 0; i < rounds && (guint)i < line->len; i++) {
		const CbQueueEntry *head = g_ptr_array_index(line, i);
		gint64 id = head->ticket->id;
		GError *error = NULL;
		gint64 start;
		CbTicket *ticket;

		start = g_get_monotonic_time();
		ticket = cb_queue_call(b->queue, &b->actor, id, &error);
		cb_bench_time(r->call, ticket, start, error, "call");
		start = g_get_monotonic_time();
		ticket = cb_queue_admit(b->queue, &b->actor, id, &error);
		cb_bench_time(r->admit, ticket, start, error, "admit");
		start = g_get_monotonic_time();
		ticket = cb_queue_finish(b->queue, &b->actor, id, "accepted", NULL, NULL, &error);
		cb_bench_time(r->finish, ticket, start, error, "finish");
	}
}

/* --- report -------------------------------------------------------------------------------- */

static gboolean
cb_bench_print_row(const char *what, GArray *times, gboolean target)
{
	double p50 = cb_bench_quantile(times, 0.5);
	double p99 = cb_bench_quantile(times, 0.99);
	double max = cb_bench_quantile(times, 1.0);
	gboolean pass = p99 < CB_BENCH_COMMIT_TARGET_MS;

	if (target)
		g_print("| %s (%u) | %.2f | %.2f | %.2f | < %.0f ms: **%s** |\n", what, times->len,
			p50, p99, max, CB_BENCH_COMMIT_TARGET_MS, pass ? "PASS" : "FAIL");
	else
		g_print("| %s (%u) | %.2f | %.2f | %.2f | |\n", what, times->len, p50, p99, max);
	return pass || !target;
}

static gboolean
cb_bench_run(const CbBenchOptions *options)
{
	CbBench b = {0};
	g_autoptr(GArray) registered = g_array_new(FALSE, FALSE, sizeof(double));
	g_autoptr(GPtrArray) line = NULL;
	g_autoptr(GError) error = NULL;
	CbBenchRounds r = {
		.call = g_array_new(FALSE, FALSE, sizeof(double)),
		.admit = g_array_new(FALSE, FALSE, sizeof(double)),
		.finish = g_array_new(FALSE, FALSE, sizeof(double)),
	};
	CbBenchFanout f = {0};
	gboolean ok = TRUE;
	gint64 start;
	double register_s;

	cb_bench_open(&b);
	cb_bench_open_session(&b);
	start = g_get_monotonic_time();
	cb_bench_register(&b, options->tickets, registered);
	register_s = cb_bench_ms_since(start) / 1000.0;
	cb_bench_fanout(&b, &f);
	line = cb_queue_list_session(b.queue, b.session_id, NULL, &error);
	if (line == NULL)
		g_error("listing the line: %s", error->message);
	cb_bench_rounds(&b, line, options->rounds, &r);

	g_print("\nQueue transitions in process (issue 3): %d tickets waiting, %d rounds, "
		"store %s\n\n",
		options->tickets, options->rounds, b.path);
	g_print("| commit, ms | p50 | p99 | max | target |\n| --- | --- | --- | --- | --- |\n");
	cb_bench_print_row("register (the line growing to N)", registered, FALSE);
	ok &= cb_bench_print_row("call", r.call, TRUE);
	ok &= cb_bench_print_row("admit", r.admit, TRUE);
	ok &= cb_bench_print_row("finish", r.finish, TRUE);
	g_print("\n| what one change costs the WebSocket side | measured |\n| --- | --- |\n");
	g_print("| registering %d tickets, wall | %.1f s |\n", options->tickets, register_s);
	g_print("| listing the whole line (%u entries) with positions and estimates, median of 5 "
		"| %.2f ms |\n",
		f.line_len, f.list_ms);
	g_print("| one citizen's message rendered to text (mean of %u) | %.1f us |\n",
		MIN(f.line_len, CB_BENCH_RENDER_SAMPLE), f.render_us);
	g_print("| so one change pushed to %u citizens: one listing + %u renders | %.0f ms |\n",
		f.line_len, f.line_len, f.list_ms + f.render_us * f.line_len / 1000.0);
	g_print("| one waiting ticket with its place (cb_queue_get: a citizen's greeting), "
		"median of 5 | %.2f ms |\n",
		f.greet_ms);
	g_print("\ncommit p99 under %.0f ms: %s\n", CB_BENCH_COMMIT_TARGET_MS,
		ok ? "PASS" : "FAIL");

	g_array_unref(r.call);
	g_array_unref(r.admit);
	g_array_unref(r.finish);
	g_clear_pointer(&line, g_ptr_array_unref);
	cb_bench_close(&b);
	return ok;
}

int
main(int argc, char **argv)
{
	CbBenchOptions options = {.tickets = 10000, .rounds = 100};
	const GOptionEntry entries[] = {
		{"tickets", 'n', 0, G_OPTION_ARG_INT, &options.tickets, "Tickets waiting (10000)",
		 "N"},
		{"rounds", 'k', 0, G_OPTION_ARG_INT, &options.rounds,
		 "Rounds of call, admit, finish (100)", "K"},
		{NULL},
	};
	g_autoptr(GOptionContext) context = g_option_context_new("- queue commit benchmark");
	g_autoptr(GError) error = NULL;

	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error) || options.tickets < 1 ||
	    options.rounds < 1 || options.rounds > options.tickets) {
		g_printerr("%s\n",
			   error != NULL ? error->message : "need 1 <= --rounds <= --tickets");
		return 1;
	}
	return cb_bench_run(&options) ? 0 : 1;
}
