#define G_LOG_DOMAIN "CbHttp"

/*
 * GET /metrics: the daemon's state for Prometheus (text format 0.0.4).
 *
 * For staff and admins only (a bearer token, as Prometheus sends with its
 * `authorization` setting): peers are named by their room ids, and the
 * sessions and the queue by counts. Nothing here is personal: no citizen,
 * no ticket content, no token. Every family is written on each scrape, so a
 * series never vanishes because its count is 0 (except the per-peer ones,
 * which exist while their peer does).
 */

#include "config.h"

#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-media-rooms.h"
#include "civic-bridge/cb-room.h"
#include "civic-bridge/cb-ws-hub.h"

#include "cb-api.h"
#include "cb-metrics-text.h"

#define CB_METRICS_PREFIX "civic_bridge_"

/* ---- the process, from /proc (Linux) ---- */

typedef struct {
	double start_time; /* Unix seconds */
	double cpu_seconds;
	double resident_bytes;
	double virtual_bytes;
	double open_fds;
	double max_fds;
} CbProcessFigures;

/* seconds since the Unix epoch the machine booted at */
static gboolean
cb_metrics_boot_time(gint64 *boot)
{
	g_autofree char *text = NULL;
	const char *line;

	if (!g_file_get_contents("/proc/stat", &text, NULL, NULL))
		return FALSE;
	line = strstr(text, "\nbtime ");
	if (line == NULL)
		return FALSE;
	*boot = g_ascii_strtoll(line + strlen("\nbtime "), NULL, 10);
	return *boot > 0;
}

static void
cb_metrics_read_stat(CbProcessFigures *p)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) fields = NULL;
	const char *after_name;
	double ticks = (double)sysconf(_SC_CLK_TCK);
	gint64 boot = 0;

	/* the command name (field 2) may hold spaces: count from its ')' */
	if (!g_file_get_contents("/proc/self/stat", &text, NULL, NULL) ||
	    (after_name = strrchr(text, ')')) == NULL)
		return;
	fields = g_strsplit(after_name + 2, " ", -1);
	/* fields[0] is field 3 (state): utime 14, stime 15, starttime 22,
	 * vsize 23, rss 24 */
	if (g_strv_length(fields) < 22 || ticks <= 0)
		return;
	p->cpu_seconds =
		(g_ascii_strtod(fields[11], NULL) + g_ascii_strtod(fields[12], NULL)) / ticks;
	if (cb_metrics_boot_time(&boot))
		p->start_time = (double)boot + g_ascii_strtod(fields[19], NULL) / ticks;
	p->virtual_bytes = g_ascii_strtod(fields[20], NULL);
	p->resident_bytes = g_ascii_strtod(fields[21], NULL) * (double)sysconf(_SC_PAGESIZE);
}

static void
cb_metrics_read_process(CbProcessFigures *p)
{
	g_autoptr(GDir) dir = g_dir_open("/proc/self/fd", 0, NULL);
	struct rlimit limit;

	*p = (CbProcessFigures){0};
	cb_metrics_read_stat(p);
	/* the directory's own descriptor is counted too: take it off */
	while (dir != NULL && g_dir_read_name(dir) != NULL)
		p->open_fds++;
	p->open_fds = MAX(p->open_fds - 1, 0);
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
		p->max_fds = (double)limit.rlim_cur;
}

static void
cb_metrics_process(CbMetricsText *m, CbHttpServer *server)
{
	CbProcessFigures p;
	double now = (double)g_get_real_time() / G_USEC_PER_SEC;

	cb_metrics_read_process(&p);
	cb_metrics_family(m, CB_METRICS_PREFIX "build_info", "gauge",
			  "The civic-bridged version running (always 1).");
	cb_metrics_label(m, "version", PACKAGE_VERSION);
	cb_metrics_sample(m, CB_METRICS_PREFIX "build_info", 1);
	cb_metrics_family(m, "process_start_time_seconds", "gauge",
			  "Start time of the process since the Unix epoch in seconds.");
	cb_metrics_sample(m, "process_start_time_seconds", p.start_time);
	cb_metrics_family(m, CB_METRICS_PREFIX "uptime_seconds", "gauge",
			  "Seconds since the process started.");
	cb_metrics_sample(m, CB_METRICS_PREFIX "uptime_seconds",
			  p.start_time > 0 ? MAX(now - p.start_time, 0) : 0);
	cb_metrics_family(m, "process_cpu_seconds_total", "counter",
			  "User and system CPU time spent in seconds.");
	cb_metrics_sample(m, "process_cpu_seconds_total", p.cpu_seconds);
	cb_metrics_family(m, "process_resident_memory_bytes", "gauge",
			  "Resident memory size in bytes.");
	cb_metrics_sample(m, "process_resident_memory_bytes", p.resident_bytes);
	cb_metrics_family(m, "process_virtual_memory_bytes", "gauge",
			  "Virtual memory size in bytes.");
	cb_metrics_sample(m, "process_virtual_memory_bytes", p.virtual_bytes);
	cb_metrics_family(m, "process_open_fds", "gauge", "Number of open file descriptors.");
	cb_metrics_sample(m, "process_open_fds", p.open_fds);
	cb_metrics_family(m, "process_max_fds", "gauge",
			  "Maximum number of open file descriptors (0: no limit).");
	cb_metrics_sample(m, "process_max_fds", p.max_fds);
}

/* ---- HTTP and WebSocket ---- */

static void
cb_metrics_http(CbMetricsText *m, CbHttpServer *server)
{
	cb_metrics_family(m, CB_METRICS_PREFIX "http_requests_total", "counter",
			  "HTTP requests answered, by status class (a request refused on its "
			  "headers with the connection closed is not counted).");
	for (guint c = 1; c <= 5; c++) {
		char name[4] = {(char)('0' + c), 'x', 'x', '\0'};

		cb_metrics_label(m, "class", name);
		cb_metrics_sample(m, CB_METRICS_PREFIX "http_requests_total",
				  (double)cb_http_server_get_answered(server, c));
	}
	cb_metrics_family(m, CB_METRICS_PREFIX "http_connections", "gauge",
			  "Plain HTTP connections open ([limits] max-http-connections; WebSockets "
			  "are counted apart).");
	cb_metrics_sample(m, CB_METRICS_PREFIX "http_connections",
			  cb_http_server_get_n_connections(server));
	cb_metrics_family(m, CB_METRICS_PREFIX "websocket_clients", "gauge",
			  "WebSocket clients connected, authenticated or not.");
	cb_metrics_sample(m, CB_METRICS_PREFIX "websocket_clients",
			  cb_ws_hub_get_count(cb_http_server_get_ws_hub(server)));
}

/* ---- sessions and the queue: counts only ---- */

static gboolean
cb_metrics_store(CbMetricsText *m, CbStore *store, GError **error)
{
	static const CbTicketState open[] = {CB_TICKET_WAITING, CB_TICKET_CALLED,
					     CB_TICKET_ADMITTED};
	gint64 count = 0;

	cb_metrics_family(m, CB_METRICS_PREFIX "sessions", "gauge",
			  "Reception sessions in the store, by state.");
	for (CbSessionState s = CB_SESSION_SCHEDULED; s <= CB_SESSION_CANCELLED; s++) {
		if (!cb_store_session_count_in_state(store, s, &count, error))
			return FALSE;
		cb_metrics_label(m, "state", cb_session_state_to_string(s));
		cb_metrics_sample(m, CB_METRICS_PREFIX "sessions", (double)count);
	}
	cb_metrics_family(m, CB_METRICS_PREFIX "queue_tickets", "gauge",
			  "Tickets in the waiting queues of all sessions, by open state.");
	for (guint i = 0; i < G_N_ELEMENTS(open); i++) {
		if (!cb_store_ticket_count_in_state(store, open[i], &count, error))
			return FALSE;
		cb_metrics_label(m, "state", cb_ticket_state_to_string(open[i]));
		cb_metrics_sample(m, CB_METRICS_PREFIX "queue_tickets", (double)count);
	}
	return TRUE;
}

/* ---- media ---- */

typedef struct {
	gint64 session_id;
	const CbMediaPeerInfo *info; /* borrowed while the scrape runs */
	gboolean has_quality;
	CbPeerQuality quality;
	guint keyframe_requests;
} CbMetricsPeer;

static void
cb_metrics_collect_cb(gint64 session_id, const CbMediaPeerInfo *info, const CbPeerQuality *quality,
		      guint keyframe_requests, gpointer user_data)
{
	GArray *peers = user_data;
	CbMetricsPeer peer = {.session_id = session_id,
			      .info = info,
			      .has_quality = quality != NULL,
			      .keyframe_requests = keyframe_requests};

	if (quality != NULL)
		peer.quality = *quality;
	g_array_append_val(peers, peer);
}

static void
cb_metrics_peer_labels(CbMetricsText *m, const CbMetricsPeer *peer)
{
	cb_metrics_label_int(m, "session_id", peer->session_id);
	cb_metrics_label(m, "peer", peer->info->id);
	cb_metrics_label(m, "kind", peer->info->kind);
}

static void
cb_metrics_peer_counts(CbMetricsText *m, GArray *peers)
{
	static const char *const kinds[] = {"hall", "bridge_point", "citizen", "viewer"};

	cb_metrics_family(m, CB_METRICS_PREFIX "media_peers", "gauge",
			  "Peers in the media rooms, by who is at the other end and by role.");
	for (guint k = 0; k < G_N_ELEMENTS(kinds); k++) {
		for (guint publisher = 0; publisher < 2; publisher++) {
			guint n = 0;

			for (guint i = 0; i < peers->len; i++) {
				const CbMetricsPeer *p = &g_array_index(peers, CbMetricsPeer, i);
				n += g_str_equal(p->info->kind, kinds[k]) &&
				     !p->info->publisher == !publisher;
			}
			cb_metrics_label(m, "kind", kinds[k]);
			cb_metrics_label(m, "role", publisher ? "publisher" : "subscriber");
			cb_metrics_sample(m, CB_METRICS_PREFIX "media_peers", n);
		}
	}
}

/* one gauge of the quality, for the peers that know it */
typedef enum {
	CB_METRIC_RTT,
	CB_METRIC_LOSS,
	CB_METRIC_JITTER,
	CB_METRIC_BITRATE,
} CbQualityMetric;

static void
cb_metrics_quality(CbMetricsText *m, GArray *peers, CbQualityMetric which, const char *name,
		   const char *help)
{
	cb_metrics_family(m, name, "gauge", help);
	for (guint i = 0; i < peers->len; i++) {
		const CbMetricsPeer *p = &g_array_index(peers, CbMetricsPeer, i);
		const CbPeerQuality *q = &p->quality;
		gboolean known[] = {q->has_rtt, q->has_loss, q->has_jitter, TRUE};
		double value[] = {q->rtt_ms / 1000, q->loss, q->jitter_ms / 1000,
				  q->bitrate_kbps * 1000 / 8};

		if (!p->has_quality || !known[which])
			continue;
		cb_metrics_peer_labels(m, p);
		cb_metrics_sample(m, name, value[which]);
	}
}

static void
cb_metrics_media(CbMetricsText *m, CbMediaRooms *rooms)
{
	g_autoptr(GArray) peers = g_array_new(FALSE, FALSE, sizeof(CbMetricsPeer));

	if (rooms != NULL)
		cb_media_rooms_foreach_peer(rooms, cb_metrics_collect_cb, peers);
	cb_metrics_family(m, CB_METRICS_PREFIX "media_rooms", "gauge",
			  "Media rooms open (one per live session).");
	cb_metrics_sample(m, CB_METRICS_PREFIX "media_rooms",
			  rooms != NULL ? cb_media_rooms_get_n_rooms(rooms) : 0);
	cb_metrics_peer_counts(m, peers);
	cb_metrics_quality(m, peers, CB_METRIC_RTT, CB_METRICS_PREFIX "peer_rtt_seconds",
			   "Round-trip time to a connected peer as its client reports it "
			   "(subscribers; a publisher sends no reports).");
	cb_metrics_quality(m, peers, CB_METRIC_LOSS, CB_METRICS_PREFIX "peer_packet_loss_ratio",
			   "Packets lost over packets expected in the last sampling interval: "
			   "received from a publisher, sent to a subscriber.");
	cb_metrics_quality(m, peers, CB_METRIC_JITTER, CB_METRICS_PREFIX "peer_jitter_seconds",
			   "Interarrival jitter (RFC 3550) of a connected peer's worst stream.");
	cb_metrics_quality(m, peers, CB_METRIC_BITRATE,
			   CB_METRICS_PREFIX "peer_media_bytes_per_second",
			   "RTP bytes per second (the bitrate over 8: the format's base unit "
			   "is the byte) received from a publisher or sent to a subscriber in "
			   "the last sampling interval.");
	cb_metrics_family(m, CB_METRICS_PREFIX "keyframe_requests_total", "counter",
			  "Keyframe requests (PLI) sent to a publisher's client, merged ones not "
			  "counted.");
	for (guint i = 0; i < peers->len; i++) {
		const CbMetricsPeer *p = &g_array_index(peers, CbMetricsPeer, i);

		if (!p->info->publisher)
			continue;
		cb_metrics_peer_labels(m, p);
		cb_metrics_sample(m, CB_METRICS_PREFIX "keyframe_requests_total",
				  p->keyframe_requests);
	}
	cb_metrics_family(m, CB_METRICS_PREFIX "media_lane_overruns_total", "counter",
			  "Times a lane (the thread that sends one publisher's track to up to 8 "
			  "subscribers) fell 300 ms behind and dropped its oldest frames: media "
			  "the daemon itself dropped, its CPU short.");
	cb_metrics_sample(m, CB_METRICS_PREFIX "media_lane_overruns_total",
			  (double)cb_room_get_lane_overruns());
}

void
cb_api_metrics(CbHttpRequest *request)
{
	const CbServices *services = cb_http_server_get_services(request->server);
	SoupMessageHeaders *headers = soup_server_message_get_response_headers(request->msg);
	CbMetricsText m;
	g_autoptr(GError) error = NULL;
	char *text;
	gsize length = 0;

	cb_metrics_text_init(&m);
	cb_metrics_process(&m, request->server);
	cb_metrics_http(&m, request->server);
	if (!cb_metrics_store(&m, services->store, &error)) {
		cb_metrics_text_clear(&m);
		g_warning("metrics: %s", error->message);
		cb_http_reply_error(request, error);
		return;
	}
	cb_metrics_media(&m, services->rooms);
	text = cb_metrics_text_finish(&m, &length);
	soup_message_headers_replace(headers, "Cache-Control", "no-store");
	soup_server_message_set_status(request->msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(request->msg, CB_METRICS_CONTENT_TYPE, SOUP_MEMORY_TAKE,
					 text, length);
}
