#define G_LOG_DOMAIN "CbRoom"

/* the [media] group of the daemon's configuration, as a room takes it */

#include "civic-bridge/cb-room.h"

void
cb_media_config_init(CbMediaConfig *media, const CbConfig *config)
{
	g_autoptr(CbConfig) defaults = NULL;
	g_auto(GStrv) addresses = NULL;

	if (config == NULL) {
		defaults = cb_config_new_defaults();
		config = defaults;
	}
	*media = (CbMediaConfig){0};
	if (config->media_ice_addresses != NULL) {
		addresses = g_strsplit(config->media_ice_addresses, ",", -1);
		for (guint i = 0; addresses[i] != NULL; i++)
			g_strstrip(addresses[i]);
		media->ice_addresses = g_steal_pointer(&addresses);
	}
	media->udp_port_min = (guint16)config->media_udp_port_min;
	media->udp_port_max = (guint16)config->media_udp_port_max;
	media->stun_server = g_strdup(config->media_stun_server);
	media->jitterbuffer_latency_ms = config->media_jitterbuffer_latency_ms;
	media->max_sdp_bytes = config->media_max_sdp_bytes;
	media->max_candidates = config->media_max_candidates;
	media->max_peers = config->media_max_peers;
	media->max_peers_per_owner = config->media_max_peers_per_connection;
	media->keyframe_interval_ms = config->media_keyframe_interval_ms;
	media->stats_interval_seconds = config->media_stats_interval_seconds;
	cb_media_config_set_turn(media, config);
}

void
cb_media_config_set_turn(CbMediaConfig *media, const CbConfig *config)
{
	g_auto(GStrv) servers = g_strsplit(
		config->media_turn_servers != NULL ? config->media_turn_servers : "", ",", 2);

	g_clear_pointer(&media->turn_server, g_free);
	g_clear_pointer(&media->turn_secret, g_free);
	if (config->media_turn_for_daemon && servers[0] != NULL &&
	    g_strstrip(servers[0])[0] != '\0' && config->media_turn_secret != NULL) {
		media->turn_server = g_strdup(servers[0]);
		media->turn_secret = g_strdup(config->media_turn_secret);
	}
	media->turn_ttl_seconds = config->media_turn_credential_ttl_seconds;
}

void
cb_media_config_clear(CbMediaConfig *media)
{
	g_clear_pointer(&media->ice_addresses, g_strfreev);
	g_clear_pointer(&media->stun_server, g_free);
	g_clear_pointer(&media->turn_server, g_free);
	g_clear_pointer(&media->turn_secret, g_free);
}
