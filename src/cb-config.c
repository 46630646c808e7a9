#define G_LOG_DOMAIN "CbConfig"

#include "config.h"

#include <gio/gio.h>
#include <stddef.h>
#include <string.h>

#include "civic-bridge/cb-config.h"
#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-turn-credentials.h"

typedef enum {
	CB_KEY_STRING,
	CB_KEY_LISTEN,
	CB_KEY_UINT,
	CB_KEY_UINT64,
	CB_KEY_TIMEZONE,
	CB_KEY_BOOL,      /* true or false */
	CB_KEY_CODES,     /* a comma-separated list of codes: a-z, 0-9 and '-' */
	CB_KEY_ADDRESSES, /* a comma-separated list of IP addresses, maybe empty */
	CB_KEY_ICE_URIS,  /* comma-separated stun: and turn: URIs, maybe empty */
	CB_KEY_TURN_URIS, /* comma-separated turn: URIs, maybe empty */
} CbKeyType;

typedef struct {
	CbConfigKeyInfo info;
	CbKeyType type;
	gsize offset;
	guint64 min;
	guint64 max;
} CbKeySpec;

#define CB_OFF(field) offsetof(CbConfig, field)

/* the one list of keys: defaults, ranges and documentation live here */
static const CbKeySpec cb_config_spec[] = {
	{{"server", "listen", "127.0.0.1:8080",
	  "Address and port the HTTP API listens on. Loopback by default: put a TLS reverse "
	  "proxy in front to serve other machines.",
	  FALSE},
	 CB_KEY_LISTEN,
	 CB_OFF(listen),
	 0,
	 0},
	{{"server", "trusted-proxies", "",
	  "Reverse proxies (IP addresses, comma-separated) whose X-Forwarded-For is believed: "
	  "behind them, rate limits count the client's address, not the proxy's. Empty: none.",
	  TRUE},
	 CB_KEY_ADDRESSES,
	 CB_OFF(trusted_proxies),
	 0,
	 0},
	{{"server", "state-dir", "",
	  "Folder for the database and recordings. Empty: $STATE_DIRECTORY when run by "
	  "systemd, else " CB_DEFAULT_STATE_DIR ".",
	  FALSE},
	 CB_KEY_STRING,
	 CB_OFF(state_dir),
	 0,
	 0},
	{{"server", "timezone", "Asia/Ho_Chi_Minh",
	  "IANA time zone of the office; times are stored in UTC and shown in this zone.", FALSE},
	 CB_KEY_TIMEZONE,
	 CB_OFF(timezone),
	 0,
	 0},
	{{"limits", "max-body-bytes", "1048576",
	  "Largest request body accepted; larger ones get 413 before the body is read.", TRUE},
	 CB_KEY_UINT64,
	 CB_OFF(max_body_bytes),
	 64,
	 G_GUINT64_CONSTANT(1) << 30},
	{{"limits", "max-json-depth", "32",
	  "Deepest nesting of arrays and objects in a JSON body; deeper gets 400 before "
	  "parsing.",
	  TRUE},
	 CB_KEY_UINT,
	 CB_OFF(max_json_depth),
	 2,
	 512},
	{{"limits", "idle-timeout-seconds", "30",
	  "A connection that sends no complete request for this long is closed.", TRUE},
	 CB_KEY_UINT,
	 CB_OFF(idle_timeout_seconds),
	 1,
	 3600},
	{{"limits", "auth-failure-limit", "10",
	  "Failed authentications from one address within the window before it gets 429.", TRUE},
	 CB_KEY_UINT,
	 CB_OFF(auth_failure_limit),
	 1,
	 100000},
	{{"limits", "auth-failure-window-seconds", "60",
	  "Window in which failed authentications are counted.", TRUE},
	 CB_KEY_UINT,
	 CB_OFF(auth_failure_window_seconds),
	 1,
	 86400},
	{{"limits", "auth-lockout-seconds", "300",
	  "How long an address that reached the limit gets 429 (sent as Retry-After).", TRUE},
	 CB_KEY_UINT,
	 CB_OFF(auth_lockout_seconds),
	 1,
	 86400},
	{{"limits", "max-websockets", "20000",
	  "Most WebSocket clients connected at once; more are refused with 503.", TRUE},
	 CB_KEY_UINT,
	 CB_OFF(max_websockets),
	 1,
	 1000000},
	{{"limits", "max-http-connections", "4096",
	  "Most HTTP connections (WebSockets not counted) open at once; a request on one more "
	  "is answered 503 and its connection closed.",
	  TRUE},
	 CB_KEY_UINT,
	 CB_OFF(max_http_connections),
	 1,
	 1000000},
	{{"limits", "ws-max-message-bytes", "65536",
	  "Largest WebSocket message a client may send; larger ones close the connection.", TRUE},
	 CB_KEY_UINT,
	 CB_OFF(ws_max_message_bytes),
	 256,
	 16777216},
	{{"limits", "ws-auth-timeout-seconds", "10",
	  "A WebSocket client that has not authenticated after this long is closed.", TRUE},
	 CB_KEY_UINT,
	 CB_OFF(ws_auth_timeout_seconds),
	 1,
	 600},
	{{"queue", "large-group-min", "5",
	  "Head count from which a ticket is a delegation (large group): it names up to 5 "
	  "representatives and counts as a large group in the reports.",
	  TRUE},
	 CB_KEY_UINT,
	 CB_OFF(large_group_min),
	 2,
	 10000},
	{{"queue", "max-persons", "200", "Largest head count one ticket may have.", TRUE},
	 CB_KEY_UINT,
	 CB_OFF(queue_max_persons),
	 1,
	 100000},
	{{"queue", "call-timeout-seconds", "120",
	  "A called citizen who is not admitted within this long becomes no_show.", TRUE},
	 CB_KEY_UINT,
	 CB_OFF(queue_call_timeout_seconds),
	 5,
	 86400},
	{{"queue", "refuse-reasons", "not-competent,already-resolved,abusive,incomplete",
	  "Reason codes staff may give when refusing a ticket, comma-separated.", TRUE},
	 CB_KEY_CODES,
	 CB_OFF(queue_refuse_reasons),
	 0,
	 0},
	{{"queue", "round-robin", "false",
	  "true: within each priority class, serve the bridge points (and the hall) in turn "
	  "so one district cannot fill a session; false: by arrival only.",
	  TRUE},
	 CB_KEY_BOOL,
	 CB_OFF(queue_round_robin),
	 0,
	 0},
	{{"queue", "service-time-samples", "20",
	  "The estimated wait uses the median service time of this many last finished "
	  "tickets of each category.",
	  TRUE},
	 CB_KEY_UINT,
	 CB_OFF(queue_service_time_samples),
	 1,
	 1000},
	{{"queue", "default-service-minutes", "15",
	  "Service time assumed for a category with no finished ticket yet.", TRUE},
	 CB_KEY_UINT,
	 CB_OFF(queue_default_service_minutes),
	 1,
	 600},
	{{"queue", "max-open-per-session", "500",
	  "Most open (waiting, called, admitted) tickets of one session; more get 409. 0: no "
	  "limit.",
	  TRUE},
	 CB_KEY_UINT,
	 CB_OFF(queue_max_open_per_session),
	 0,
	 1000000},
	{{"queue", "max-open-per-bridge-point", "100",
	  "Most open tickets of one bridge point in one session; more get 409. 0: no limit.", TRUE},
	 CB_KEY_UINT,
	 CB_OFF(queue_max_open_per_bridge_point),
	 0,
	 1000000},
	{{"queue", "register-limit", "5",
	  "Public registrations from one address within the window; more get 429.", TRUE},
	 CB_KEY_UINT,
	 CB_OFF(queue_register_limit),
	 1,
	 100000},
	{{"queue", "register-window-seconds", "600",
	  "Window in which public registrations are counted; an address over the limit gets "
	  "429 for as long.",
	  TRUE},
	 CB_KEY_UINT,
	 CB_OFF(queue_register_window_seconds),
	 1,
	 86400},
	{{"schedule", "rrule", "FREQ=MONTHLY;BYDAY=3TU",
	  "RFC 5545 rule of the default series, made on the first start when the store has no "
	  "series at all. Empty: no default series.",
	  FALSE},
	 CB_KEY_STRING,
	 CB_OFF(schedule_rrule),
	 0,
	 0},
	{{"schedule", "start-time", "08:00", "Local start time (HH:MM) of the default series.",
	  FALSE},
	 CB_KEY_STRING,
	 CB_OFF(schedule_start_time),
	 0,
	 0},
	{{"schedule", "duration-minutes", "210", "Length of the default series' sessions.", FALSE},
	 CB_KEY_UINT,
	 CB_OFF(schedule_duration_minutes),
	 1,
	 1440},
	{{"schedule", "kind", "leadership",
	  "Kind of the default series' sessions: leadership (recorded) or regular.", FALSE},
	 CB_KEY_STRING,
	 CB_OFF(schedule_kind),
	 0,
	 0},
	{{"schedule", "title", "Tiếp công dân định kỳ của Chủ tịch UBND Thành phố",
	  "Title of the default series' sessions.", FALSE},
	 CB_KEY_STRING,
	 CB_OFF(schedule_title),
	 0,
	 0},
	{{"schedule", "presiding", "Chủ tịch UBND Thành phố",
	  "Title of the person presiding the default series' sessions.", FALSE},
	 CB_KEY_STRING,
	 CB_OFF(schedule_presiding),
	 0,
	 0},
	{{"schedule", "open-before-minutes", "30",
	  "How long before a session starts its waiting room and queue open.", TRUE},
	 CB_KEY_UINT,
	 CB_OFF(schedule_open_before_minutes),
	 0,
	 1440},
	{{"schedule", "horizon-days", "60",
	  "Occurrences of a series starting within this many days become sessions.", TRUE},
	 CB_KEY_UINT,
	 CB_OFF(schedule_horizon_days),
	 1,
	 366},
	{{"schedule", "end-grace-minutes", "60",
	  "A live session that staff have not ended this long after its end time ends by "
	  "itself; an open one never started is then cancelled.",
	  TRUE},
	 CB_KEY_UINT,
	 CB_OFF(schedule_end_grace_minutes),
	 0,
	 1440},
	{{"media", "ice-addresses", "",
	  "Local IP addresses ICE gathers candidates on, comma-separated. Empty: every "
	  "interface's addresses.",
	  FALSE},
	 CB_KEY_ADDRESSES,
	 CB_OFF(media_ice_addresses),
	 0,
	 0},
	{{"media", "udp-port-min", "0", "Lowest local UDP port for media; 0 with 0: any port.",
	  FALSE},
	 CB_KEY_UINT,
	 CB_OFF(media_udp_port_min),
	 0,
	 65535},
	{{"media", "udp-port-max", "0", "Highest local UDP port for media.", FALSE},
	 CB_KEY_UINT,
	 CB_OFF(media_udp_port_max),
	 0,
	 65535},
	{{"media", "stun-server", "",
	  "STUN server for server-reflexive candidates, stun://HOST:PORT. Empty: none.", FALSE},
	 CB_KEY_STRING,
	 CB_OFF(media_stun_server),
	 0,
	 0},
	{{"media", "jitterbuffer-latency-ms", "50",
	  "How long the packets after a lost one wait for its retransmission (NACK); packets "
	  "in order never wait.",
	  FALSE},
	 CB_KEY_UINT,
	 CB_OFF(media_jitterbuffer_latency_ms),
	 0,
	 2000},
	{{"media", "max-sdp-bytes", "32768", "Longest SDP a client may send.", FALSE},
	 CB_KEY_UINT,
	 CB_OFF(media_max_sdp_bytes),
	 1024,
	 1048576},
	{{"media", "max-candidates", "50",
	  "Remote ICE candidates one media section of a peer may receive.", FALSE},
	 CB_KEY_UINT,
	 CB_OFF(media_max_candidates),
	 1,
	 10000},
	{{"media", "max-peers", "100", "Peers (publishers and subscribers) in one room at most.",
	  FALSE},
	 CB_KEY_UINT,
	 CB_OFF(media_max_peers),
	 2,
	 10000},
	{{"media", "max-peers-per-connection", "40",
	  "Peers one WebSocket connection (or one WHIP or WHEP owner) holds at most; the hall's "
	  "console needs one per bridge point plus three. Not more than max-peers.",
	  FALSE},
	 CB_KEY_UINT,
	 CB_OFF(media_max_peers_per_connection),
	 1,
	 200},
	{{"media", "keyframe-interval-ms", "500",
	  "Keyframe requests to one publisher are merged to one per this interval.", FALSE},
	 CB_KEY_UINT,
	 CB_OFF(media_keyframe_interval_ms),
	 0,
	 10000},
	{{"media", "stats-interval-seconds", "2",
	  "Each connected peer's connection quality (round trip, loss, jitter, bitrate) is "
	  "sampled this often, pushed to staff and exported in /metrics; 0: never.",
	  FALSE},
	 CB_KEY_UINT,
	 CB_OFF(media_stats_interval_seconds),
	 0,
	 3600},
	{{"media", "reconnect-grace-seconds", "30",
	  "A publisher whose WebSocket closes keeps its slot this long for a reconnect with a "
	  "new offer; 0: it leaves at once.",
	  TRUE},
	 CB_KEY_UINT,
	 CB_OFF(media_reconnect_grace_seconds),
	 0,
	 3600},
	{{"media", "client-ice-servers", "",
	  "STUN and TURN servers handed to clients (WHIP Link headers, WebSocket join), "
	  "comma-separated URIs such as stun:stun.example.org:3478. Empty: none.",
	  TRUE},
	 CB_KEY_ICE_URIS,
	 CB_OFF(media_client_ice_servers),
	 0,
	 0},
	{{"media", "turn-servers", "",
	  "TURN servers that take TURN REST credentials (coturn use-auth-secret), comma-separated "
	  "URIs such as turn:turn.example.org:3478?transport=udp. Clients get each with a "
	  "credential; the daemon's own peers use the first. Empty: none.",
	  TRUE},
	 CB_KEY_TURN_URIS,
	 CB_OFF(media_turn_servers),
	 0,
	 0},
	{{"media", "turn-secret", "",
	  "The secret shared with the TURN servers (coturn static-auth-secret). Never logged; "
	  "keep this file readable by the service only.",
	  TRUE},
	 CB_KEY_STRING,
	 CB_OFF(media_turn_secret),
	 0,
	 0},
	{{"media", "turn-credential-ttl-seconds", "86400",
	  "How long a TURN credential handed out works.", TRUE},
	 CB_KEY_UINT,
	 CB_OFF(media_turn_credential_ttl_seconds),
	 60,
	 604800},
	{{"media", "turn-for-daemon", "false",
	  "true: the daemon's own peers also relay through the first of turn-servers (a daemon "
	  "behind NAT); false: TURN is for clients only. An unreachable TURN server delays every "
	  "answer that waits for ICE gathering (WHIP, WHEP).",
	  TRUE},
	 CB_KEY_BOOL,
	 CB_OFF(media_turn_for_daemon),
	 0,
	 0},
	{{"recording", "retention-days", "365",
	  "Recordings whose last entry is older than this many days are deleted by the daily "
	  "purge (and `civic-bridgectl recording purge`), except those of sessions on legal hold "
	  "and those in progress; 0: keep them for ever.",
	  TRUE},
	 CB_KEY_UINT,
	 CB_OFF(recording_retention_days),
	 0,
	 36500},
	{{"recording", "segment-seconds", "4",
	  "Length of a recorded segment; a crash loses at most the one being written.", FALSE},
	 CB_KEY_UINT,
	 CB_OFF(recording_segment_seconds),
	 1,
	 3600},
	{{"recording", "min-free-mb", "1024",
	  "Free space (MiB) the state directory must keep: below it recording refuses to start "
	  "and a running recording stops, closing its files.",
	  TRUE},
	 CB_KEY_UINT,
	 CB_OFF(recording_min_free_mb),
	 0,
	 G_MAXUINT},
};

static const CbConfigKeyInfo *cb_config_key_infos;

const CbConfigKeyInfo *
cb_config_keys(gsize *n_keys)
{
	static gsize once = 0;

	if (g_once_init_enter(&once)) {
		CbConfigKeyInfo *infos = g_new0(CbConfigKeyInfo, G_N_ELEMENTS(cb_config_spec));
		for (gsize i = 0; i < G_N_ELEMENTS(cb_config_spec); i++)
			infos[i] = cb_config_spec[i].info;
		cb_config_key_infos = infos;
		g_once_init_leave(&once, 1);
	}
	*n_keys = G_N_ELEMENTS(cb_config_spec);
	return cb_config_key_infos;
}

static const CbKeySpec *
cb_config_find_spec(const char *group, const char *key)
{
	for (gsize i = 0; i < G_N_ELEMENTS(cb_config_spec); i++) {
		if (g_str_equal(cb_config_spec[i].info.group, group) &&
		    g_str_equal(cb_config_spec[i].info.key, key))
			return &cb_config_spec[i];
	}
	return NULL;
}

void
cb_config_free(CbConfig *config)
{
	if (config == NULL)
		return;
	g_free(config->listen);
	g_free(config->trusted_proxies);
	g_free(config->state_dir);
	g_free(config->timezone);
	g_free(config->queue_refuse_reasons);
	g_free(config->schedule_rrule);
	g_free(config->schedule_start_time);
	g_free(config->schedule_kind);
	g_free(config->schedule_title);
	g_free(config->schedule_presiding);
	g_free(config->media_ice_addresses);
	g_free(config->media_stun_server);
	g_free(config->media_client_ice_servers);
	g_free(config->media_turn_servers);
	g_free(config->media_turn_secret);
	g_free(config);
}

CbConfig *
cb_config_copy(const CbConfig *config)
{
	CbConfig *copy = g_memdup2(config, sizeof(*config));
	copy->listen = g_strdup(config->listen);
	copy->trusted_proxies = g_strdup(config->trusted_proxies);
	copy->state_dir = g_strdup(config->state_dir);
	copy->timezone = g_strdup(config->timezone);
	copy->queue_refuse_reasons = g_strdup(config->queue_refuse_reasons);
	copy->schedule_rrule = g_strdup(config->schedule_rrule);
	copy->schedule_start_time = g_strdup(config->schedule_start_time);
	copy->schedule_kind = g_strdup(config->schedule_kind);
	copy->schedule_title = g_strdup(config->schedule_title);
	copy->schedule_presiding = g_strdup(config->schedule_presiding);
	copy->media_ice_addresses = g_strdup(config->media_ice_addresses);
	copy->media_stun_server = g_strdup(config->media_stun_server);
	copy->media_client_ice_servers = g_strdup(config->media_client_ice_servers);
	copy->media_turn_servers = g_strdup(config->media_turn_servers);
	copy->media_turn_secret = g_strdup(config->media_turn_secret);
	return copy;
}

gboolean
cb_config_parse_listen(const char *listen, char **address, guint16 *port, GError **error)
{
	g_autofree char *host = NULL;
	const char *port_str;
	guint64 port_num = 0;
	g_autoptr(GInetAddress) inet = NULL;

	if (listen[0] == '[') {
		const char *end = strchr(listen, ']');
		if (end == NULL || end[1] != ':') {
			g_set_error(error, CB_ERROR, CB_ERROR_CONFIG,
				    "'%s' is not ADDR:PORT ([ADDR]:PORT for IPv6)", listen);
			return FALSE;
		}
		host = g_strndup(listen + 1, end - listen - 1);
		port_str = end + 2;
	} else {
		const char *colon = strrchr(listen, ':');
		if (colon == NULL || strchr(listen, ':') != colon) {
			g_set_error(error, CB_ERROR, CB_ERROR_CONFIG,
				    "'%s' is not ADDR:PORT ([ADDR]:PORT for IPv6)", listen);
			return FALSE;
		}
		host = g_strndup(listen, colon - listen);
		port_str = colon + 1;
	}
	inet = g_inet_address_new_from_string(host);
	if (inet == NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFIG, "'%s' is not an IP address", host);
		return FALSE;
	}
	if (!g_ascii_string_to_unsigned(port_str, 10, 0, 65535, &port_num, NULL)) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFIG, "'%s' is not a port (0 to 65535)",
			    port_str);
		return FALSE;
	}
	if (address != NULL)
		*address = g_steal_pointer(&host);
	if (port != NULL)
		*port = (guint16)port_num;
	return TRUE;
}

/* a list like "not-competent,abusive": at least one code, none empty */
static gboolean
cb_config_check_codes(const char *value, GError **error)
{
	g_auto(GStrv) codes = g_strsplit(value, ",", -1);

	if (codes[0] == NULL) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_CONFIG,
				    "give at least one code (a-z, 0-9 and '-'), comma-separated");
		return FALSE;
	}
	for (guint i = 0; codes[i] != NULL; i++) {
		const char *code = codes[i];
		gsize len = strlen(code);
		gboolean ok = len > 0 && len <= 64;

		for (const char *p = code; ok && *p != '\0'; p++)
			ok = g_ascii_islower(*p) || g_ascii_isdigit(*p) || *p == '-';
		if (!ok) {
			g_set_error(
				error, CB_ERROR, CB_ERROR_CONFIG,
				"'%s' is not a comma-separated list of codes (a-z, 0-9 and '-', "
				"no spaces)",
				value);
			return FALSE;
		}
	}
	return TRUE;
}

/* "127.0.0.1, ::1": IP addresses, comma-separated; empty is fine */
static gboolean
cb_config_check_addresses(const char *value, GError **error)
{
	g_auto(GStrv) addresses = g_strsplit(value, ",", -1);

	for (guint i = 0; value[0] != '\0' && addresses[i] != NULL; i++) {
		g_autoptr(GInetAddress) inet =
			g_inet_address_new_from_string(g_strstrip(addresses[i]));
		if (inet == NULL) {
			g_set_error(error, CB_ERROR, CB_ERROR_CONFIG,
				    "'%s' is not an IP address (give IP addresses, "
				    "comma-separated)",
				    addresses[i]);
			return FALSE;
		}
	}
	return TRUE;
}

/* stores one textual value into the field @spec describes, validating it */
static gboolean
cb_config_set_value(CbConfig *config, const CbKeySpec *spec, const char *value, GError **error)
{
	gpointer field = ((guint8 *)config) + spec->offset;
	guint64 n = 0;
	g_autoptr(GError) local = NULL;

	switch (spec->type) {
	case CB_KEY_LISTEN:
		if (!cb_config_parse_listen(value, NULL, NULL, error))
			return FALSE;
		break;
	case CB_KEY_TIMEZONE: {
		g_autofree char *zone_file = g_build_filename("/usr/share/zoneinfo", value, NULL);
		if (value[0] == '\0' || strstr(value, "..") != NULL || value[0] == '/' ||
		    !g_file_test(zone_file, G_FILE_TEST_IS_REGULAR)) {
			g_set_error(error, CB_ERROR, CB_ERROR_CONFIG,
				    "'%s' is not a known time zone (such as Asia/Ho_Chi_Minh)",
				    value);
			return FALSE;
		}
		break;
	}
	case CB_KEY_UINT:
	case CB_KEY_UINT64:
		if (!g_ascii_string_to_unsigned(value, 10, spec->min, spec->max, &n, &local)) {
			g_set_error(error, CB_ERROR, CB_ERROR_CONFIG,
				    "'%s' is not a whole number from %" G_GUINT64_FORMAT
				    " to %" G_GUINT64_FORMAT,
				    value, spec->min, spec->max);
			return FALSE;
		}
		if (spec->type == CB_KEY_UINT)
			*(guint *)field = (guint)n;
		else
			*(guint64 *)field = n;
		return TRUE;
	case CB_KEY_BOOL:
		if (g_strcmp0(value, "true") != 0 && g_strcmp0(value, "false") != 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_CONFIG, "'%s' is not true or false",
				    value);
			return FALSE;
		}
		*(gboolean *)field = g_str_equal(value, "true");
		return TRUE;
	case CB_KEY_CODES:
		if (!cb_config_check_codes(value, error))
			return FALSE;
		break;
	case CB_KEY_ADDRESSES:
		if (!cb_config_check_addresses(value, error))
			return FALSE;
		break;
	case CB_KEY_ICE_URIS:
	case CB_KEY_TURN_URIS:
		if (!cb_ice_servers_check_uris(value, spec->type == CB_KEY_TURN_URIS, error))
			return FALSE;
		break;
	case CB_KEY_STRING:
		break;
	}
	g_free(*(char **)field);
	*(char **)field = (spec->type != CB_KEY_LISTEN && spec->type != CB_KEY_TIMEZONE &&
			   spec->type != CB_KEY_CODES && value[0] == '\0')
				  ? NULL
				  : g_strdup(value);
	return TRUE;
}

CbConfig *
cb_config_new_defaults(void)
{
	g_autoptr(CbConfig) config = g_new0(CbConfig, 1);

	for (gsize i = 0; i < G_N_ELEMENTS(cb_config_spec); i++) {
		const CbKeySpec *spec = &cb_config_spec[i];
		if (!cb_config_set_value(config, spec, spec->info.default_value, NULL))
			g_critical("built-in default of %s.%s is invalid", spec->info.group,
				   spec->info.key);
	}
	return g_steal_pointer(&config);
}

/* GKeyFile does not say where things are: this finds the line of each
 * group/key (and the first line GKeyFile could not have parsed) so every
 * message can name its place */
typedef struct {
	GHashTable *lines; /* "group\nkey" -> line number */
	guint bad_line;    /* first line that is not a group, key or comment; 0 if none */
} CbConfigLines;

static void
cb_config_lines_scan(CbConfigLines *lines, const char *text)
{
	g_auto(GStrv) split = g_strsplit(text, "\n", -1);
	g_autofree char *group = NULL;

	lines->lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	lines->bad_line = 0;
	for (guint i = 0; split[i] != NULL; i++) {
		g_autofree char *line = g_strstrip(g_strdup(split[i]));
		const char *eq;

		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (line[0] == '[') {
			gsize len = strlen(line);
			if (line[len - 1] != ']') {
				if (lines->bad_line == 0)
					lines->bad_line = i + 1;
				continue;
			}
			g_free(group);
			group = g_strndup(line + 1, len - 2);
			continue;
		}
		eq = strchr(line, '=');
		if (eq == NULL || group == NULL) {
			if (lines->bad_line == 0)
				lines->bad_line = i + 1;
			continue;
		}
		{
			g_autofree char *key = g_strstrip(g_strndup(line, eq - line));
			g_hash_table_insert(lines->lines, g_strdup_printf("%s\n%s", group, key),
					    GUINT_TO_POINTER(i + 1));
		}
	}
}

static guint
cb_config_lines_find(CbConfigLines *lines, const char *group, const char *key)
{
	g_autofree char *id = g_strdup_printf("%s\n%s", group, key);
	return GPOINTER_TO_UINT(g_hash_table_lookup(lines->lines, id));
}

static gboolean
cb_config_apply_file(CbConfig *config, const char *path, GPtrArray *warnings, GError **error)
{
	g_autofree char *text = NULL;
	gsize len = 0;
	g_autoptr(GKeyFile) keyfile = g_key_file_new();
	g_autoptr(GError) local = NULL;
	g_auto(GStrv) groups = NULL;
	CbConfigLines lines;

	if (!g_file_get_contents(path, &text, &len, &local)) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFIG, "%s: cannot read: %s", path,
			    local->message);
		return FALSE;
	}
	cb_config_lines_scan(&lines, text);
	if (!g_key_file_load_from_data(keyfile, text, len, G_KEY_FILE_NONE, &local)) {
		if (lines.bad_line != 0)
			g_set_error(error, CB_ERROR, CB_ERROR_CONFIG,
				    "%s:%u: not a [group], key=value or # comment line", path,
				    lines.bad_line);
		else
			g_set_error(error, CB_ERROR, CB_ERROR_CONFIG, "%s: %s", path,
				    local->message);
		g_hash_table_unref(lines.lines);
		return FALSE;
	}

	groups = g_key_file_get_groups(keyfile, NULL);
	for (guint g = 0; groups[g] != NULL; g++) {
		g_auto(GStrv) keys = g_key_file_get_keys(keyfile, groups[g], NULL, NULL);
		for (guint k = 0; keys != NULL && keys[k] != NULL; k++) {
			const CbKeySpec *spec = cb_config_find_spec(groups[g], keys[k]);
			guint line = cb_config_lines_find(&lines, groups[g], keys[k]);
			g_autofree char *value = NULL;
			g_autoptr(GError) value_error = NULL;

			if (spec == NULL) {
				if (warnings != NULL)
					g_ptr_array_add(
						warnings,
						g_strdup_printf("%s:%u: unknown key '%s' in "
								"[%s], ignored",
								path, line, keys[k], groups[g]));
				continue;
			}
			value = g_key_file_get_string(keyfile, groups[g], keys[k], &value_error);
			if (value == NULL ||
			    !cb_config_set_value(config, spec, value, &value_error)) {
				g_set_error(error, CB_ERROR, CB_ERROR_CONFIG, "%s:%u: [%s] %s: %s",
					    path, line, groups[g], keys[k], value_error->message);
				g_hash_table_unref(lines.lines);
				return FALSE;
			}
		}
	}
	g_hash_table_unref(lines.lines);
	return TRUE;
}

static gint
cb_config_compare_names(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

/* the conf.d drop-ins beside @path, in name order */
static GPtrArray *
cb_config_list_dropins(const char *path)
{
	g_autofree char *dir_path = g_path_get_dirname(path);
	g_autofree char *confd = g_build_filename(dir_path, "conf.d", NULL);
	g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GDir) dir = g_dir_open(confd, 0, NULL);
	const char *name;

	if (dir == NULL)
		return g_steal_pointer(&files);
	while ((name = g_dir_read_name(dir)) != NULL) {
		if (g_str_has_suffix(name, ".conf") && name[0] != '.')
			g_ptr_array_add(files, g_build_filename(confd, name, NULL));
	}
	g_ptr_array_sort(files, cb_config_compare_names);
	return g_steal_pointer(&files);
}

CbConfig *
cb_config_load(const char *path, gboolean required, GPtrArray **warnings, GError **error)
{
	g_autoptr(CbConfig) config = cb_config_new_defaults();
	g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) dropins = NULL;

	if (g_file_test(path, G_FILE_TEST_EXISTS)) {
		if (!cb_config_apply_file(config, path, found, error))
			return NULL;
	} else if (required) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFIG, "%s: no such file", path);
		return NULL;
	}
	dropins = cb_config_list_dropins(path);
	for (guint i = 0; i < dropins->len; i++) {
		if (!cb_config_apply_file(config, g_ptr_array_index(dropins, i), found, error))
			return NULL;
	}
	if (config->media_turn_servers != NULL && config->media_turn_secret == NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFIG,
			    "%s: [media] turn-servers needs [media] turn-secret, the secret "
			    "the TURN servers check credentials with",
			    path);
		return NULL;
	}
	if (config->media_max_peers_per_connection > config->media_max_peers) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFIG,
			    "%s: [media] max-peers-per-connection (%u) is more than [media] "
			    "max-peers (%u); lower max-peers-per-connection",
			    path, config->media_max_peers_per_connection, config->media_max_peers);
		return NULL;
	}
	if (warnings != NULL)
		*warnings = g_steal_pointer(&found);
	return g_steal_pointer(&config);
}

GPtrArray *
cb_config_restart_needed(const CbConfig *running, const CbConfig *loaded)
{
	GPtrArray *changed = g_ptr_array_new_with_free_func(g_free);

	for (gsize i = 0; i < G_N_ELEMENTS(cb_config_spec); i++) {
		const CbKeySpec *spec = &cb_config_spec[i];
		const guint8 *a = (const guint8 *)running + spec->offset;
		const guint8 *b = (const guint8 *)loaded + spec->offset;
		gboolean differ;

		if (spec->info.reloadable)
			continue;
		if (spec->type == CB_KEY_UINT)
			differ = *(const guint *)a != *(const guint *)b;
		else if (spec->type == CB_KEY_UINT64)
			differ = *(const guint64 *)a != *(const guint64 *)b;
		else if (spec->type == CB_KEY_BOOL)
			differ = *(const gboolean *)a != *(const gboolean *)b;
		else
			differ = g_strcmp0(*(char *const *)a, *(char *const *)b) != 0;
		if (differ)
			g_ptr_array_add(changed, g_strdup_printf("[%s] %s", spec->info.group,
								 spec->info.key));
	}
	return changed;
}
