/* civic-bridge benchmark: the waiting room's figures (issue 3)
 *
 * Runs the real civic-bridged (its config raises the WebSocket and queue
 * limits that N waiting citizens need), opens a session, registers N tickets
 * (10,000 by default) with the staff route, gives each its citizen token
 * straight into the store, and connects N WebSocket clients from this one
 * process (a bounded number in flight), each authenticating with its token
 * and waiting for its first {"type":"ticket"} message. It measures:
 *
 * - the daemon's VmRSS before any client connects and after all N are
 *   connected and idle: memory per connected waiting client;
 * - K rounds of staff calling, admitting and finishing the head of the line:
 *   each POST's time to its answer, and the time from sending it until the
 *   last client concerned has its message (after a call every waiting
 *   citizen moves up one place; after an admit or a finish each still gets
 *   the line's push, with the same place), and updates that never came;
 * - the daemon's CPU time and this process's own over each phase, since the
 *   two share the machine's cores.
 *
 * The clients live in T threads, each with its own main context and
 * SoupSession (10 by default). With libsoup 3.2 every message a WebSocket
 * receives destroys and re-creates its input source, and GLib 2.74 adds and
 * removes a poll record by walking a list of every descriptor in the context:
 * with all N clients in one context, reading one fan-out costs this process
 * O(N^2) and the clients, not the daemon, set the figure (-T 1 shows it).
 * Staff requests go from the main thread, whose context holds no WebSocket,
 * so their answer times are the daemon's.
 *
 * All traffic goes to 127.0.0.1; every wait has a deadline. Exit status: 0
 * when the targets are met (p99 of the last update under 1 s, under 50 KB
 * per client, no update lost), 1 otherwise. */
#define G_LOG_DOMAIN "CbBench"

#include <errno.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "civic-bridge/cb-auth.h"
#include "civic-bridge/cb-store.h"
#include "civic-bridge/cb-ws-hub.h"

#include "bench-waiting-room.h"

#define CB_BENCH_FANOUT_TARGET_MS   1000.0
#define CB_BENCH_MEMORY_TARGET_KB   50.0
#define CB_BENCH_NOFILE_MIN         25000
#define CB_BENCH_CONNECT_DEADLINE_S 1800
/* connecting gives up when no client was greeted for this long */
#define CB_BENCH_CONNECT_STALL_S 60
#define CB_BENCH_HEALTHZ_SAMPLES 20

/* --- CPU and rlimits ------------------------------------------------------------------ */

/* this process's own user + system time (all its threads), in seconds */
static double
cb_bench_self_cpu_seconds(void)
{
	struct rusage usage;

	getrusage(RUSAGE_SELF, &usage);
	return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
	       usage.ru_stime.tv_usec / 1e6;
}

/* one descriptor per client here and one in the daemon (which inherits the
 * limit): raise it, or say how many clients fit */
static gint
cb_bench_raise_nofile(gint clients)
{
	struct rlimit limit;
	rlim_t want = MAX((rlim_t)CB_BENCH_NOFILE_MIN, (rlim_t)clients + 5000);
	gint fit;

	getrlimit(RLIMIT_NOFILE, &limit);
	if (limit.rlim_cur >= want)
		return clients;
	{
		struct rlimit raised = {.rlim_cur = want, .rlim_max = MAX(want, limit.rlim_max)};
		if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
			g_print("RLIMIT_NOFILE raised from %lu to %lu\n",
				(unsigned long)limit.rlim_cur, (unsigned long)want);
			return clients;
		}
	}
	g_printerr("cannot raise RLIMIT_NOFILE to %lu (%s); using the hard limit %lu\n",
		   (unsigned long)want, g_strerror(errno), (unsigned long)limit.rlim_max);
	limit.rlim_cur = limit.rlim_max;
	setrlimit(RLIMIT_NOFILE, &limit);
	fit = (gint)MIN((rlim_t)G_MAXINT, limit.rlim_cur > 1000 ? limit.rlim_cur - 1000 : 0);
	if (fit < clients) {
		g_printerr("scaling N down from %d to %d clients\n", clients, fit);
		return fit;
	}
	return clients;
}

/* --- statistics ------------------------------------------------------------------------- */

static double
cb_bench_ms(gint64 from, gint64 to)
{
	return (to - from) / 1000.0;
}

static const char *const cb_bench_action_names[] = {"call", "admit", "finish"};

/* --- staff's requests, from the main thread ---------------------------------------------- */

static SoupMessage *
cb_bench_message(CbBenchRoom *room, const char *method, const char *path, const char *body)
{
	g_autofree char *uri = g_strconcat(room->d->url, path, NULL);
	g_autofree char *authorization = g_strconcat("Bearer ", room->staff, NULL);
	SoupMessage *msg = soup_message_new(method, uri);

	soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization",
				     authorization);
	if (body != NULL) {
		g_autoptr(GBytes) bytes = g_bytes_new(body, strlen(body));
		soup_message_set_request_body_from_bytes(msg, "application/json", bytes);
	}
	/* libsoup opens a new connection for every POST unless told it may
	 * reuse one; a staff member's browser keeps one. It also matters to
	 * the daemon: with libsoup 3.2.3 each connection the client closes
	 * while idle stays open in the daemon (see docs/PERFORMANCE.md), and
	 * 10,000 of them plus 10,000 WebSockets would not fit in 20,000
	 * descriptors */
	soup_message_add_flags(msg, SOUP_MESSAGE_IDEMPOTENT);
	return msg;
}

/* one request; returns the status and sets *@json to the answer when wanted */
static guint
cb_bench_request(CbBenchRoom *room, const char *method, const char *path, const char *body,
		 JsonNode **json)
{
	g_autoptr(SoupMessage) msg = cb_bench_message(room, method, path, body);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) answer = soup_session_send_and_read(room->http, msg, NULL, &error);

	if (answer == NULL) {
		g_printerr("%s %s: %s\n", method, path, error->message);
		return 0;
	}
	if (json != NULL) {
		g_autoptr(JsonParser) parser = json_parser_new();
		*json = NULL;
		if (json_parser_load_from_data(parser, g_bytes_get_data(answer, NULL),
					       (gssize)g_bytes_get_size(answer), NULL))
			*json = json_node_copy(json_parser_get_root(parser));
	}
	return soup_message_get_status(msg);
}

/* a request that must succeed with @want; dies otherwise */
static JsonNode *
cb_bench_request_checked(CbBenchRoom *room, const char *method, const char *path, const char *body,
			 guint want)
{
	JsonNode *json = NULL;
	guint status = cb_bench_request(room, method, path, body, &json);

	if (status != want || json == NULL)
		g_error("%s %s: HTTP %u, wanted %u", method, path, status, want);
	return json;
}

/* GET /healthz a few times: the daemon's turn-around, ms (median) */
static double
cb_bench_healthz(CbBenchRoom *room)
{
	g_autoptr(GArray) times = g_array_new(FALSE, FALSE, sizeof(double));

	for (guint i = 0; i < CB_BENCH_HEALTHZ_SAMPLES; i++) {
		gint64 start = g_get_monotonic_time();
		double ms;

		if (cb_bench_request(room, "GET", "/healthz", NULL, NULL) != 200)
			g_error("GET /healthz failed");
		ms = cb_bench_ms(start, g_get_monotonic_time());
		g_array_append_val(times, ms);
	}
	return cb_bench_quantile(times, 0.5);
}

/* --- set-up ----------------------------------------------------------------------------- */

static char *
cb_bench_config(guint clients)
{
	return g_strdup_printf(
		"[limits]\n"
		"max-websockets=%u\n"
		/* a client authenticates at once, but waits its turn behind the others */
		"ws-auth-timeout-seconds=600\n"
		"[queue]\n"
		/* 0: no limit (cb-store-tickets.c checks only limits above 0) */
		"max-open-per-session=0\n"
		"max-open-per-bridge-point=0\n"
		/* no called ticket becomes no_show during a run */
		"call-timeout-seconds=86400\n"
		"[schedule]\n"
		/* no default series: the bench's session is the only one */
		"rrule=\n",
		MAX(clients + 100, 20000));
}

/* a session that opens at once: it starts in 10 minutes */
static void
cb_bench_open_session(CbBenchRoom *room)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GDateTime) start = g_date_time_add_minutes(now, 10);
	g_autofree char *iso = g_date_time_format_iso8601(start);
	g_autofree char *body = g_strdup_printf(
		"{\"title\":\"Tiếp công dân định kỳ\",\"kind\":\"regular\",\"starts_at\":\"%s\","
		"\"duration_minutes\":240}",
		iso);
	g_autoptr(JsonNode) session =
		cb_bench_request_checked(room, "POST", "/api/v1/sessions", body, 201);
	JsonObject *object = json_node_get_object(session);

	room->session_id = json_object_get_int_member(object, "id");
	if (g_strcmp0(json_object_get_string_member(object, "state"), "open") != 0)
		g_error("the session is %s, not open",
			json_object_get_string_member(object, "state"));
}

/* N tickets with the staff route, one after the other; prints how the rate
 * changes as the line grows */
static double
cb_bench_register(CbBenchRoom *room)
{
	g_autofree char *body = g_strdup_printf(
		"{\"session_id\":%" G_GINT64_FORMAT ",\"category\":\"complaint\",\"persons\":1,"
		"\"summary\":\"Khiếu nại về bồi thường khi thu hồi đất\"}",
		room->session_id);
	gint64 start = g_get_monotonic_time(), step = start;
	guint step_size = MAX(room->n / 10, 1);

	for (guint i = 0; i < room->n; i++) {
		g_autoptr(JsonNode) ticket =
			cb_bench_request_checked(room, "POST", "/api/v1/tickets", body, 201);
		JsonObject *object = json_node_get_object(ticket);

		room->clients[i].ticket_id = json_object_get_int_member(object, "id");
		if (json_object_get_int_member(object, "position") != (gint64)i + 1)
			g_error("ticket %u has position %" G_GINT64_FORMAT, i + 1,
				json_object_get_int_member(object, "position"));
		if ((i + 1) % step_size == 0) {
			gint64 now = g_get_monotonic_time();
			g_print("  registered %u: the last %u at %.1f ms each\n", i + 1, step_size,
				cb_bench_ms(step, now) / step_size);
			step = now;
		}
	}
	return cb_bench_ms(start, g_get_monotonic_time()) / 1000.0;
}

/* a citizen token per ticket, straight into the store as
 * cb_test_daemon_issue_token() does, with the store opened once instead of
 * once per token (each open runs a quick_check over the whole file) */
static double
cb_bench_issue_tokens(CbBenchRoom *room)
{
	g_autofree char *db = g_build_filename(room->d->state_dir, "civic-bridge.db", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(CbStore) store = cb_store_open(db, NULL, &error);
	CbActor actor = {.via = "test"};
	gint64 start = g_get_monotonic_time();

	if (store == NULL)
		g_error("store: %s", error->message);
	for (guint i = 0; i < room->n; i++) {
		CbBenchClient *c = &room->clients[i];
		g_autoptr(CbTokenRecord) record =
			cb_auth_issue_token(store, &actor, CB_ROLE_CITIZEN, 0, c->ticket_id,
					    "bench", 0, &c->token, &error);
		if (record == NULL)
			g_error("token for ticket %" G_GINT64_FORMAT ": %s", c->ticket_id,
				error->message);
	}
	return cb_bench_ms(start, g_get_monotonic_time()) / 1000.0;
}

/* --- results ----------------------------------------------------------------------------- */

typedef struct {
	GArray *post_ms;  /* sent to answered */
	GArray *last_ms;  /* sent to the last concerned client's message */
	GArray *first_ms; /* sent to the first one's */
	double cpu_s;     /* the daemon's, from sending to the last message */
	guint lost;       /* concerned clients with nothing within the timeout */
	guint concerned;  /* summed over the rounds */
} CbBenchTransition;

typedef struct {
	double register_s;
	double tokens_s;
	double register_cpu_s;
	guint64 rss_before_kb, anon_before_kb;
	guint64 rss_after_kb, anon_after_kb, hwm_after_kb;
	guint64 self_rss_kb;
	double connect_s;
	double connect_cpu_s;
	double connect_self_cpu_s;
	GArray *greet_ms; /* connect started to first ticket message, per client */
	double healthz_before_ms, healthz_after_ms;
	guint fds_before, fds_after, fds_end;
	double idle_cpu, idle_self_cpu; /* share of a core while all are connected and idle */
	CbBenchTransition call, admit, finish;
	double rounds_s;
	double rounds_cpu_s;
	double rounds_self_cpu_s;
	guint rounds_done;
} CbBenchResults;

static void
cb_bench_transition_init(CbBenchTransition *t)
{
	t->post_ms = g_array_new(FALSE, FALSE, sizeof(double));
	t->last_ms = g_array_new(FALSE, FALSE, sizeof(double));
	t->first_ms = g_array_new(FALSE, FALSE, sizeof(double));
}

static void
cb_bench_transition_clear(CbBenchTransition *t)
{
	g_array_unref(t->post_ms);
	g_array_unref(t->last_ms);
	g_array_unref(t->first_ms);
}

/* --- the phases -------------------------------------------------------------------------- */

static gboolean
cb_bench_connect_all(CbBenchRoom *room, CbBenchResults *r)
{
	gint64 start = g_get_monotonic_time();
	gint64 deadline = start + CB_BENCH_CONNECT_DEADLINE_S * G_TIME_SPAN_SECOND;
	gint64 report = start + 10 * G_TIME_SPAN_SECOND;
	gint64 progress = start;
	double cpu = cb_bench_proc_cpu_seconds(room->pid);
	double self = cb_bench_self_cpu_seconds();
	guint threads = (guint)CLAMP(room->options->threads, 1, (gint)room->n);
	guint seen = 0, greeted = 0;

	cb_bench_workers_start(room, threads, (guint)room->options->in_flight);
	while (g_get_monotonic_time() < deadline) {
		gint64 now;

		g_usleep(20 * 1000);
		now = g_get_monotonic_time();
		greeted = (guint)g_atomic_int_get(&room->greeted);
		if (greeted + (guint)g_atomic_int_get(&room->failures) >= room->n)
			break;
		if (greeted != seen) {
			seen = greeted;
			progress = now;
		} else if (now - progress > CB_BENCH_CONNECT_STALL_S * G_TIME_SPAN_SECOND) {
			g_printerr(
				"no client greeted for %d s; the daemon has %u descriptors open\n",
				CB_BENCH_CONNECT_STALL_S, cb_bench_proc_fds(room->pid));
			break;
		}
		if (now >= report) {
			g_print("  connected %u of %u after %.0f s\n", greeted, room->n,
				cb_bench_ms(start, now) / 1000.0);
			report += 10 * G_TIME_SPAN_SECOND;
		}
	}
	r->connect_s = cb_bench_ms(start, g_get_monotonic_time()) / 1000.0;
	r->connect_cpu_s = cb_bench_proc_cpu_seconds(room->pid) - cpu;
	r->connect_self_cpu_s = cb_bench_self_cpu_seconds() - self;
	g_mutex_lock(&room->lock);
	for (guint i = 0; i < room->n; i++) {
		const CbBenchClient *c = &room->clients[i];
		if (c->greeted_at != 0) {
			double ms = cb_bench_ms(c->connect_started, c->greeted_at);
			g_array_append_val(r->greet_ms, ms);
		}
	}
	g_mutex_unlock(&room->lock);
	return (guint)g_atomic_int_get(&room->greeted) == room->n;
}

/* starts watching @action on the head of round @k: every client from k on
 * that is connected must hear of it */
static void
cb_bench_watch(CbBenchRoom *room, guint k, CbBenchAction action)
{
	g_mutex_lock(&room->lock);
	room->k = k;
	room->action = action;
	room->generation++;
	room->pending = 0;
	for (guint i = k; i < room->n; i++) {
		if (room->clients[i].greeted_at != 0 && !room->clients[i].closed)
			room->pending++;
	}
	room->sent_at = g_get_monotonic_time();
	room->watching = TRUE;
	g_mutex_unlock(&room->lock);
}

/* waits until every concerned client has its message or the timeout passes;
 * then stops watching and takes the figures */
static void
cb_bench_collect(CbBenchRoom *room, CbBenchTransition *t, gint64 deadline)
{
	gint64 first = 0, last = 0;
	guint concerned = 0;
	double ms;

	g_mutex_lock(&room->lock);
	while (room->pending > 0 && g_cond_wait_until(&room->changed, &room->lock, deadline))
		;
	for (guint i = room->k; i < room->n; i++) {
		const CbBenchClient *c = &room->clients[i];
		if (c->greeted_at == 0)
			continue;
		concerned++;
		if (c->got_generation != room->generation)
			continue;
		first = first == 0 ? c->got_at : MIN(first, c->got_at);
		last = MAX(last, c->got_at);
	}
	t->concerned += concerned;
	t->lost += room->pending;
	if (room->pending == 0) {
		ms = cb_bench_ms(room->sent_at, last);
		g_array_append_val(t->last_ms, ms);
		ms = cb_bench_ms(room->sent_at, first);
		g_array_append_val(t->first_ms, ms);
	}
	room->watching = FALSE;
	g_mutex_unlock(&room->lock);
}

/* one staff action on the head of round @k, watched until every concerned
 * client has its message or the timeout passes */
static gboolean
cb_bench_transition(CbBenchRoom *room, guint k, CbBenchAction action, CbBenchTransition *t)
{
	g_autofree char *path =
		g_strdup_printf("/api/v1/tickets/%" G_GINT64_FORMAT "/%s",
				room->clients[k].ticket_id, cb_bench_action_names[action]);
	gint64 timeout = (gint64)room->options->update_timeout_s * G_TIME_SPAN_SECOND;
	double cpu = cb_bench_proc_cpu_seconds(room->pid);
	guint status;
	double ms;

	cb_bench_watch(room, k, action);
	status = cb_bench_request(room, "POST", path,
				  action == CB_BENCH_FINISH ? "{\"handling\":\"accepted\"}" : NULL,
				  NULL);
	ms = cb_bench_ms(room->sent_at, g_get_monotonic_time());
	g_array_append_val(t->post_ms, ms);
	cb_bench_collect(room, t, room->sent_at + timeout);
	t->cpu_s += cb_bench_proc_cpu_seconds(room->pid) - cpu;
	if (status != 200) {
		g_printerr("POST %s: HTTP %u\n", path, status);
		return FALSE;
	}
	return TRUE;
}

static void
cb_bench_rounds(CbBenchRoom *room, CbBenchResults *r)
{
	gint64 start = g_get_monotonic_time();
	double cpu = cb_bench_proc_cpu_seconds(room->pid);
	double self = cb_bench_self_cpu_seconds();
	guint rounds = MIN((guint)room->options->rounds, room->n);

	for (guint k = 0; k < rounds; k++) {
		if (!cb_bench_transition(room, k, CB_BENCH_CALL, &r->call) ||
		    !cb_bench_transition(room, k, CB_BENCH_ADMIT, &r->admit) ||
		    !cb_bench_transition(room, k, CB_BENCH_FINISH, &r->finish))
			break;
		r->rounds_done++;
	}
	r->rounds_s = cb_bench_ms(start, g_get_monotonic_time()) / 1000.0;
	r->rounds_cpu_s = cb_bench_proc_cpu_seconds(room->pid) - cpu;
	r->rounds_self_cpu_s = cb_bench_self_cpu_seconds() - self;
}

/* all connected, nothing happening: what the keepalive pings cost both sides */
static void
cb_bench_idle(CbBenchRoom *room, CbBenchResults *r, double seconds)
{
	double cpu = cb_bench_proc_cpu_seconds(room->pid);
	double self = cb_bench_self_cpu_seconds();

	g_usleep((gulong)(seconds * G_USEC_PER_SEC));
	r->idle_cpu = (cb_bench_proc_cpu_seconds(room->pid) - cpu) / seconds;
	r->idle_self_cpu = (cb_bench_self_cpu_seconds() - self) / seconds;
}

/* --- report ------------------------------------------------------------------------------- */

static gboolean
cb_bench_print_transition(const char *what, CbBenchTransition *t, guint rounds)
{
	double p99 = cb_bench_quantile(t->last_ms, 0.99);
	gboolean pass = rounds > 0 && t->last_ms->len == rounds && p99 < CB_BENCH_FANOUT_TARGET_MS;

	g_print("| %s: sent to the last client's message, p50 / p99 / max (%u rounds) | "
		"%.0f / %.0f / %.0f ms | p99 < %.0f ms: **%s** |\n",
		what, t->last_ms->len, cb_bench_quantile(t->last_ms, 0.5), p99,
		cb_bench_quantile(t->last_ms, 1.0), CB_BENCH_FANOUT_TARGET_MS,
		cb_bench_verdict(pass));
	g_print("| %s: sent to the first client's message, p50 / max | %.0f / %.0f ms | |\n", what,
		cb_bench_quantile(t->first_ms, 0.5), cb_bench_quantile(t->first_ms, 1.0));
	g_print("| %s: POST answered (commit and pushes handed to the kernel), p50 / p99 / max | "
		"%.1f / %.1f / %.1f ms | |\n",
		what, cb_bench_quantile(t->post_ms, 0.5), cb_bench_quantile(t->post_ms, 0.99),
		cb_bench_quantile(t->post_ms, 1.0));
	if (rounds > 0)
		g_print("| %s: daemon CPU per transition, mean | %.0f ms | |\n", what,
			t->cpu_s * 1000 / rounds);
	return pass;
}

static gboolean
cb_bench_print(CbBenchRoom *room, CbBenchResults *r)
{
	guint greeted = (guint)g_atomic_int_get(&room->greeted);
	double per_client_kb =
		greeted > 0 ? ((double)r->rss_after_kb - (double)r->rss_before_kb) / greeted : 0;
	double anon_kb =
		greeted > 0 ? ((double)r->anon_after_kb - (double)r->anon_before_kb) / greeted : 0;
	guint lost = r->call.lost + r->admit.lost + r->finish.lost;
	gboolean memory_ok = greeted == room->n && per_client_kb < CB_BENCH_MEMORY_TARGET_KB;
	gboolean ok = memory_ok && lost == 0 && r->rounds_done == (guint)room->options->rounds;
	guint transitions = r->rounds_done * 3;

	g_print("\nWaiting room (issue 3): N = %u clients in %u threads, K = %u rounds, %d in "
		"flight while connecting\n\n",
		room->n, (guint)CLAMP(room->options->threads, 1, (gint)room->n), r->rounds_done,
		room->options->in_flight);
	g_print("| figure | measured | target |\n| --- | --- | --- |\n");
	g_print("| %u tickets registered by staff over HTTP, one after the other | %.1f s "
		"(daemon CPU %.1f s) | |\n",
		room->n, r->register_s, r->register_cpu_s);
	g_print("| %u citizen tokens issued into the store | %.1f s | |\n", room->n, r->tokens_s);
	g_print("| clients connected and greeted / failed | %u / %d | all |\n", greeted,
		g_atomic_int_get(&room->failures));
	g_print("| connecting all, wall (daemon CPU; this process's CPU) | %.1f s (%.1f s; %.1f s) "
		"| |\n",
		r->connect_s, r->connect_cpu_s, r->connect_self_cpu_s);
	g_print("| one client: connect to its first ticket message, p50 / p99 / max | %.0f / %.0f "
		"/ "
		"%.0f ms | |\n",
		cb_bench_quantile(r->greet_ms, 0.5), cb_bench_quantile(r->greet_ms, 0.99),
		cb_bench_quantile(r->greet_ms, 1.0));
	g_print("| daemon VmRSS before / after (RssAnon before / after) | %.1f / %.1f MiB "
		"(%.1f / %.1f MiB) | |\n",
		r->rss_before_kb / 1024.0, r->rss_after_kb / 1024.0, r->anon_before_kb / 1024.0,
		r->anon_after_kb / 1024.0);
	g_print("| daemon memory per connected waiting client (VmRSS delta / N; RssAnon) | %.1f KB "
		"(%.1f KB) | < %.0f KB: **%s** |\n",
		per_client_kb, anon_kb, CB_BENCH_MEMORY_TARGET_KB, cb_bench_verdict(memory_ok));
	g_print("| daemon VmHWM once all are connected; this process's VmRSS | %.1f MiB; %.1f MiB "
		"| |\n",
		r->hwm_after_kb / 1024.0, r->self_rss_kb / 1024.0);
	g_print("| daemon open descriptors: before the clients / all connected / after the rounds "
		"| %u / %u / %u | |\n",
		r->fds_before, r->fds_after, r->fds_end);
	g_print("| all connected and idle (keepalive only): daemon CPU, this process's CPU | "
		"%.0f %%, %.0f %% of a core | |\n",
		100 * r->idle_cpu, 100 * r->idle_self_cpu);
	g_print("| GET /healthz, median of %d: no client / %u clients idle | %.2f / %.2f ms | |\n",
		CB_BENCH_HEALTHZ_SAMPLES, greeted, r->healthz_before_ms, r->healthz_after_ms);
	ok &= cb_bench_print_transition("call (every waiting client moves up one place)", &r->call,
					r->rounds_done);
	ok &= cb_bench_print_transition("admit (the line's push, places unchanged)", &r->admit,
					r->rounds_done);
	ok &= cb_bench_print_transition("finish (the line's push, new estimates)", &r->finish,
					r->rounds_done);
	g_print("| updates lost (no message within %d s), of %u expected | %u | 0: **%s** |\n",
		room->options->update_timeout_s,
		r->call.concerned + r->admit.concerned + r->finish.concerned, lost,
		cb_bench_verdict(lost == 0));
	g_print("| messages with a wrong place or state / extra (the head hears twice of a call "
		"and an admit) / connections closed | %u / %u / %u | |\n",
		room->wrong, room->extra, room->closed);
	if (transitions > 0)
		g_print("| rounds: wall %.1f s; daemon CPU %.1f s (%.0f %% of a core); this "
			"process "
			"%.1f s (%.0f %%) | | |\n",
			r->rounds_s, r->rounds_cpu_s, 100 * r->rounds_cpu_s / r->rounds_s,
			r->rounds_self_cpu_s, 100 * r->rounds_self_cpu_s / r->rounds_s);
	ok &= room->wrong == 0;
	g_print("\nresult: %s\n", ok ? "PASS" : "FAIL");
	return ok;
}

/* --- main ------------------------------------------------------------------------------------ */

static void
cb_bench_room_clear(CbBenchRoom *room)
{
	if (room->workers != NULL)
		cb_bench_workers_stop(room);
	for (guint i = 0; room->clients != NULL && i < room->n; i++) {
		CbBenchClient *c = &room->clients[i];
		if (c->token != NULL)
			explicit_bzero(c->token, strlen(c->token));
		g_free(c->token);
	}
	g_free(room->clients);
	g_clear_object(&room->http);
	g_free(room->ws_uri);
	g_free(room->staff);
	g_mutex_clear(&room->lock);
	g_cond_clear(&room->changed);
}

/* everything before the first client connects */
static void
cb_bench_prepare(CbBenchRoom *room, CbBenchResults *r)
{
	double cpu;

	g_print("daemon pid %d on %s; registering %u tickets\n", (int)room->pid, room->d->url,
		room->n);
	cb_bench_open_session(room);
	cpu = cb_bench_proc_cpu_seconds(room->pid);
	r->register_s = cb_bench_register(room);
	r->register_cpu_s = cb_bench_proc_cpu_seconds(room->pid) - cpu;
	r->tokens_s = cb_bench_issue_tokens(room);
	g_usleep(2 * G_USEC_PER_SEC);
	r->healthz_before_ms = cb_bench_healthz(room);
	r->rss_before_kb = cb_bench_proc_status_kb(room->pid, "VmRSS");
	r->anon_before_kb = cb_bench_proc_status_kb(room->pid, "RssAnon");
	r->fds_before = cb_bench_proc_fds(room->pid);
}

/* the clients connect, idle, and follow K rounds */
static void
cb_bench_measure(CbBenchRoom *room, CbBenchResults *r)
{
	const CbBenchOptions *options = room->options;

	g_print("connecting %u clients, %d at a time, in %d threads\n", room->n, options->in_flight,
		options->threads);
	if (!cb_bench_connect_all(room, r)) {
		g_printerr("only %d of %u clients connected\n", g_atomic_int_get(&room->greeted),
			   room->n);
		return;
	}
	cb_bench_idle(room, r, 5.0);
	r->rss_after_kb = cb_bench_proc_status_kb(room->pid, "VmRSS");
	r->anon_after_kb = cb_bench_proc_status_kb(room->pid, "RssAnon");
	r->hwm_after_kb = cb_bench_proc_status_kb(room->pid, "VmHWM");
	r->self_rss_kb = cb_bench_proc_status_kb(getpid(), "VmRSS");
	r->fds_after = cb_bench_proc_fds(room->pid);
	r->healthz_after_ms = cb_bench_healthz(room);
	g_print("%d rounds of call, admit, finish\n", options->rounds);
	cb_bench_rounds(room, r);
	r->fds_end = cb_bench_proc_fds(room->pid);
	if (options->hold_s > 0) {
		g_print("holding the %u clients for %d s (daemon pid %d)\n", room->n,
			options->hold_s, (int)room->pid);
		g_usleep((gulong)options->hold_s * G_USEC_PER_SEC);
	}
}

static gboolean
cb_bench_run(const CbBenchOptions *options, guint n)
{
	g_autofree char *config = cb_bench_config(n);
	g_autoptr(CbTestDaemon) d = NULL;
	CbBenchRoom room = {.options = options, .n = n};
	CbBenchResults r = {.greet_ms = g_array_new(FALSE, FALSE, sizeof(double))};
	gboolean ok;

	g_mutex_init(&room.lock);
	g_cond_init(&room.changed);
	cb_bench_transition_init(&r.call);
	cb_bench_transition_init(&r.admit);
	cb_bench_transition_init(&r.finish);
	d = cb_bench_daemon_start(config);
	room.d = d;
	room.pid = cb_bench_subprocess_pid(d->process);
	room.clients = g_new0(CbBenchClient, n);
	for (guint i = 0; i < n; i++)
		room.clients[i].index = i;
	room.http = soup_session_new_with_options("timeout", 60, NULL);
	room.ws_uri = g_strconcat("ws", d->url + strlen("http"), CB_WS_PATH, NULL);
	room.staff = cb_test_daemon_issue_token(d, CB_ROLE_STAFF, 0, 0, 0);

	cb_bench_prepare(&room, &r);
	cb_bench_measure(&room, &r);
	ok = cb_bench_print(&room, &r);

	/* the daemon goes first: closing N sockets to it is then instant */
	g_clear_pointer(&d, cb_test_daemon_free);
	cb_bench_room_clear(&room);
	cb_bench_transition_clear(&r.call);
	cb_bench_transition_clear(&r.admit);
	cb_bench_transition_clear(&r.finish);
	g_array_unref(r.greet_ms);
	return ok;
}

int
main(int argc, char **argv)
{
	CbBenchOptions options = {.clients = 10000,
				  .rounds = 20,
				  .in_flight = 200,
				  .threads = 10,
				  .update_timeout_s = 10};
	const GOptionEntry entries[] = {
		{"clients", 'n', 0, G_OPTION_ARG_INT, &options.clients,
		 "Waiting citizens, each with a WebSocket (10000)", "N"},
		{"rounds", 'k', 0, G_OPTION_ARG_INT, &options.rounds,
		 "Rounds of call, admit, finish (20)", "K"},
		{"in-flight", 'f', 0, G_OPTION_ARG_INT, &options.in_flight,
		 "Clients connecting at once, over all threads (200)", "F"},
		{"threads", 'T', 0, G_OPTION_ARG_INT, &options.threads,
		 "Threads the clients are spread over, each with its own main context (10)", "T"},
		{"update-timeout", 't', 0, G_OPTION_ARG_INT, &options.update_timeout_s,
		 "Seconds after which a missing update counts as lost (10)", "S"},
		{"hold", 'H', 0, G_OPTION_ARG_INT, &options.hold_s,
		 "Keep the clients connected and idle this long at the end, to look at the "
		 "daemon from outside (0)",
		 "S"},
		{NULL},
	};
	g_autoptr(GOptionContext) context = g_option_context_new("- waiting room benchmark");
	g_autoptr(GError) error = NULL;
	gint n;

	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error) || options.clients < 2 ||
	    options.rounds < 1 || options.rounds >= options.clients || options.in_flight < 1 ||
	    options.threads < 1 || options.update_timeout_s < 1 || options.hold_s < 0) {
		g_printerr("%s\n", error != NULL ? error->message
						 : "need 1 <= --rounds < --clients; --in-flight, "
						   "--threads and --update-timeout at least 1");
		return 1;
	}
	n = cb_bench_raise_nofile(options.clients);
	if (n <= options.rounds) {
		g_printerr("too few descriptors for %d rounds\n", options.rounds);
		return 1;
	}
	g_print("N = %d clients\n", n);
	return cb_bench_run(&options, (guint)n) ? 0 : 1;
}
