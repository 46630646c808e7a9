/* civic-bridge: the daemon's configuration, a GKeyFile with built-in defaults */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * CbConfig:
 *
 * The daemon's settings. Every key has a built-in default, so a daemon with
 * no configuration file at all runs. Files are read in order: the main file,
 * then `conf.d/ *.conf` beside it in name order, each overriding the last.
 */
typedef struct {
	/* [server] */
	char *listen;          /* ADDR:PORT */
	char *trusted_proxies; /* comma-separated IP addresses; NULL: none */
	char *state_dir;       /* NULL: the built-in default or $STATE_DIRECTORY */
	char *timezone;        /* IANA zone the office lives in */

	/* [limits] */
	guint64 max_body_bytes;
	guint max_json_depth;
	guint idle_timeout_seconds;
	guint auth_failure_limit;
	guint auth_failure_window_seconds;
	guint auth_lockout_seconds;
	guint max_websockets;
	guint max_http_connections;
	guint ws_max_message_bytes;
	guint ws_auth_timeout_seconds;

	/* [queue] */
	guint large_group_min; /* head count from which a ticket is a large group */
	guint queue_max_persons;
	guint queue_call_timeout_seconds;
	char *queue_refuse_reasons; /* comma-separated codes */
	gboolean queue_round_robin;
	guint queue_service_time_samples;
	guint queue_default_service_minutes;
	guint queue_max_open_per_session;      /* 0: no limit */
	guint queue_max_open_per_bridge_point; /* 0: no limit */
	guint queue_register_limit;            /* public registrations per address */
	guint queue_register_window_seconds;

	/* [schedule] */
	char *schedule_rrule;      /* the default series' rule; NULL: no default series */
	char *schedule_start_time; /* HH:MM local */
	guint schedule_duration_minutes;
	char *schedule_kind; /* "leadership" or "regular" */
	char *schedule_title;
	char *schedule_presiding;
	guint schedule_open_before_minutes; /* waiting room and queue open this early */
	guint schedule_horizon_days;        /* occurrences this close become sessions */
	guint schedule_end_grace_minutes;   /* a live session ends itself this long after its end */

	/* [media] */
	char *media_ice_addresses; /* comma-separated IP addresses; NULL: every interface */
	guint media_udp_port_min;  /* 0 and 0: any port */
	guint media_udp_port_max;
	char *media_stun_server; /* stun://host:port; NULL: none */
	guint media_jitterbuffer_latency_ms;
	guint media_max_sdp_bytes;
	guint media_max_candidates;           /* remote candidates per media section */
	guint media_max_peers;                /* per room */
	guint media_max_peers_per_connection; /* per WebSocket, WHIP or WHEP owner */
	guint media_keyframe_interval_ms;
	guint media_stats_interval_seconds;  /* 0: no quality sampling */
	guint media_reconnect_grace_seconds; /* a dropped publisher keeps its slot */
	char *media_client_ice_servers;      /* comma-separated stun:/turn: URIs; NULL: none */
	char *media_turn_servers; /* comma-separated turn: URIs (TURN REST); NULL: none */
	char *media_turn_secret;  /* shared with the TURN servers; never logged */
	guint media_turn_credential_ttl_seconds;
	gboolean media_turn_for_daemon;

	/* [recording] */
	guint recording_retention_days; /* 0: keep for ever */
	guint recording_segment_seconds;
	guint recording_min_free_mb; /* below it recording refuses or stops */
} CbConfig;

CbConfig *cb_config_new_defaults(void);
CbConfig *cb_config_copy(const CbConfig *config);
void cb_config_free(CbConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbConfig, cb_config_free)

/**
 * cb_config_load:
 * @path: the main configuration file
 * @required: whether a missing @path is an error (it is when named on the command line)
 * @warnings: (out) (optional): a place for warnings such as unknown keys, each
 *   naming its file and line
 * @error: where a parse or validation error names its file, line and key
 *
 * Reads @path and then every `*.conf` file in the `conf.d` folder beside it.
 */
CbConfig *cb_config_load(const char *path, gboolean required, GPtrArray **warnings, GError **error);

/* the keys whose change on reload needs a restart, described for a log line */
GPtrArray *cb_config_restart_needed(const CbConfig *running, const CbConfig *loaded);

/* parses "ADDR:PORT" or "[V6ADDR]:PORT" */
gboolean cb_config_parse_listen(const char *listen, char **address, guint16 *port, GError **error);

typedef struct {
	const char *group;
	const char *key;
	const char *default_value;
	const char *description;
	gboolean reloadable;
} CbConfigKeyInfo;

/* every key the daemon knows, for the sample file and its test */
const CbConfigKeyInfo *cb_config_keys(gsize *n_keys);

G_END_DECLS
