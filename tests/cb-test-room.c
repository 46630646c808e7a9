#define G_LOG_DOMAIN "CbTestRoom"

#include <string.h>

#include "cb-test-room.h"
#include "cb-test-daemon.h"

/* what the room logged, from cb_test_room_watch_log() on */
static GPtrArray *room_warnings;
static gint room_video_tracks_up; /* atomic: streaming threads log it too */
G_LOCK_DEFINE_STATIC(room_warnings);

static GLogWriterOutput
cb_test_room_log_writer_cb(GLogLevelFlags level, const GLogField *fields, gsize n_fields,
			   gpointer user_data)
{
	const char *domain = NULL;
	const char *message = NULL;

	for (gsize i = 0; i < n_fields; i++) {
		if (g_str_equal(fields[i].key, "GLIB_DOMAIN"))
			domain = fields[i].value;
		else if (g_str_equal(fields[i].key, "MESSAGE"))
			message = fields[i].value;
	}
	if (g_strcmp0(domain, "CbRoom") == 0 && message != NULL) {
		if (level & G_LOG_LEVEL_WARNING) {
			G_LOCK(room_warnings);
			g_ptr_array_add(room_warnings, g_strdup(message));
			G_UNLOCK(room_warnings);
		}
		if ((level & G_LOG_LEVEL_INFO) && g_str_has_suffix(message, " publishes video"))
			g_atomic_int_inc(&room_video_tracks_up);
	}
	return g_log_writer_default(level, fields, n_fields, user_data);
}

/* the upstream criticals the daemon tests let through (cb-test-daemon.c)
 * are let through here too; every other critical stays fatal */
static gboolean
cb_test_room_fatal_cb(const char *domain, GLogLevelFlags level, const char *message,
		      gpointer user_data)
{
	return message == NULL || !cb_test_is_known_upstream_critical(message);
}

/* GLib's criticals: GTest's own handler would print the known one as a TAP
 * "Bail out!" before the fatal handler lets it through */
static void
cb_test_room_glib_critical_cb(const char *domain, GLogLevelFlags level, const char *message,
			      gpointer user_data)
{
	if (message != NULL && cb_test_is_known_upstream_critical(message))
		g_printerr("# known GStreamer 1.22 race, not fatal: %s\n", message);
	else
		g_log_default_handler(domain, level, message, user_data);
}

void
cb_test_room_tolerate_upstream_races(void)
{
	static gsize once;

	if (g_once_init_enter(&once)) {
		g_log_set_handler("GLib",
				  G_LOG_LEVEL_CRITICAL | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
				  cb_test_room_glib_critical_cb, NULL);
		g_test_log_set_fatal_handler(cb_test_room_fatal_cb, NULL);
		g_once_init_leave(&once, 1);
	}
}

void
cb_test_room_watch_log(void)
{
	room_warnings = g_ptr_array_new_with_free_func(g_free);
	g_log_set_writer_func(cb_test_room_log_writer_cb, NULL, NULL);
}

gboolean
cb_test_room_warned(const char *part)
{
	gboolean found = FALSE;

	G_LOCK(room_warnings);
	for (guint i = 0; room_warnings != NULL && i < room_warnings->len && !found; i++)
		found = strstr(g_ptr_array_index(room_warnings, i), part) != NULL;
	G_UNLOCK(room_warnings);
	return found;
}

guint
cb_test_room_video_tracks_up(void)
{
	return (guint)g_atomic_int_get(&room_video_tracks_up);
}

static gboolean
cb_test_room_warning_allowed(const char *message, const char *const *allowed)
{
	for (guint i = 0; allowed != NULL && allowed[i] != NULL; i++) {
		if (strstr(message, allowed[i]) != NULL)
			return TRUE;
	}
	return FALSE;
}

/* ---- clients ---- */

static void
cb_test_room_client_free(gpointer data)
{
	CbTestRoomClient *client = data;

	if (client->data_free != NULL)
		client->data_free(client->data);
	cb_test_peer_free(client->peer);
	g_free(client->room_state);
	g_free(client->answer);
	g_free(client);
}

/* a test peer's candidate, on the main context: to the room, as the
 * signalling would hand it */
static void
cb_test_room_client_candidate_cb(CbTestPeer *peer, guint mline, const char *candidate,
				 gpointer user_data)
{
	CbTestRoomClient *client = user_data;
	const char *peer_id = cb_test_peer_get_name(peer);
	g_autoptr(GError) error = NULL;

	if (!client->unreachable && client->fx->room != NULL &&
	    cb_room_has_peer(client->fx->room, peer_id)) {
		cb_room_add_remote_candidate(client->fx->room, peer_id, mline, candidate, &error);
		g_assert_no_error(error);
	}
}

CbTestRoomClient *
cb_test_room_add(CbTestRoom *fx, CbTestPeer *peer)
{
	CbTestRoomClient *client = g_new0(CbTestRoomClient, 1);

	client->fx = fx;
	client->peer = peer;
	cb_test_peer_set_candidate_func(peer, cb_test_room_client_candidate_cb, client);
	g_hash_table_replace(fx->clients, (gpointer)cb_test_peer_get_name(peer), client);
	return client;
}

CbTestRoomClient *
cb_test_room_get(CbTestRoom *fx, const char *peer_id)
{
	return g_hash_table_lookup(fx->clients, peer_id);
}

void
cb_test_room_forget(CbTestRoom *fx, const char *peer_id)
{
	g_hash_table_remove(fx->clients, peer_id);
}

gboolean
cb_test_room_offer(CbTestRoomClient *client, GError **error)
{
	g_autofree char *offer = cb_test_peer_offer(client->peer, FALSE);

	return cb_room_set_remote_description(client->fx->room, cb_test_peer_get_name(client->peer),
					      "offer", offer, error);
}

gboolean
cb_test_room_connected(CbTestRoom *fx, const char *peer_id)
{
	CbTestRoomClient *client = cb_test_room_get(fx, peer_id);

	return client != NULL && g_strcmp0(client->room_state, "connected") == 0;
}

CbTestRoomClient *
cb_test_room_publisher(CbTestRoom *fx, const char *peer_id, CbPeerKind kind, guint width)
{
	g_autoptr(GError) error = NULL;
	CbTestRoomClient *client;

	cb_room_add_publisher(fx->room, peer_id, kind, &error);
	g_assert_no_error(error);
	client = cb_test_room_add(fx, cb_test_peer_new_publisher(peer_id, width, 100000));
	cb_test_room_offer(client, &error);
	g_assert_no_error(error);
	return client;
}

CbTestRoomClient *
cb_test_room_subscriber(CbTestRoom *fx, const char *peer_id, const char *slot, CbPeerKind kind)
{
	g_autoptr(GError) error = NULL;
	CbTestRoomClient *client;

	cb_room_add_subscriber(fx->room, peer_id, slot, kind, &error);
	g_assert_no_error(error);
	client = cb_test_room_add(fx, cb_test_peer_new_subscriber(peer_id));
	cb_test_room_offer(client, &error);
	g_assert_no_error(error);
	return client;
}

/* ---- the room's signals, on the main context ---- */

static void
cb_test_room_description_cb(CbRoom *room, const char *peer_id, const char *type, const char *sdp,
			    CbTestRoom *fx)
{
	CbTestRoomClient *client = cb_test_room_get(fx, peer_id);

	g_assert_cmpstr(type, ==, "answer");
	g_hash_table_add(fx->answered, g_strdup(peer_id));
	if (client == NULL)
		return; /* a peer the test forgot */
	client->descriptions++;
	g_free(client->answer);
	client->answer = g_strdup(sdp);
	if (!client->unreachable)
		cb_test_peer_set_answer(client->peer, sdp);
}

static void
cb_test_room_candidate_cb(CbRoom *room, const char *peer_id, guint mline, const char *candidate,
			  CbTestRoom *fx)
{
	CbTestRoomClient *client = cb_test_room_get(fx, peer_id);
	g_auto(GStrv) fields = g_strsplit(candidate, " ", 0);
	guint64 port = 0;

	g_assert_cmpuint(g_strv_length(fields), >=, 8);
	g_assert_true(g_ascii_string_to_unsigned(fields[5], 10, 1, 65535, &port, NULL));
	if (port < fx->port_min || port > fx->port_max)
		fx->port_out_of_range = TRUE;
	if (g_ascii_strcasecmp(fields[2], "UDP") != 0)
		fx->tcp_candidate = TRUE;
	if (client == NULL)
		return;
	fx->candidates++;
	if (!client->unreachable)
		cb_test_peer_add_candidate(client->peer, mline, candidate);
}

static void
cb_test_room_state_cb(CbRoom *room, const char *peer_id, const char *state, CbTestRoom *fx)
{
	CbTestRoomClient *client = cb_test_room_get(fx, peer_id);

	g_test_message("%s: %s", peer_id, state);
	if (client != NULL) {
		g_free(client->room_state);
		client->room_state = g_strdup(state);
	}
}

static void
cb_test_room_removed_cb(CbRoom *room, const char *peer_id, const char *reason, CbTestRoom *fx)
{
	g_hash_table_insert(fx->removed, g_strdup(peer_id), g_strdup(reason));
}

/* ---- the room ---- */

CbConfig *
cb_test_room_config(guint port_min, guint port_max)
{
	CbConfig *config = cb_config_new_defaults();

	g_free(config->media_ice_addresses);
	config->media_ice_addresses = g_strdup("127.0.0.1");
	config->media_udp_port_min = port_min;
	config->media_udp_port_max = port_max;
	return config;
}

void
cb_test_room_open(CbTestRoom *fx, gint64 session_id, const CbConfig *config)
{
	CbMediaConfig media;
	g_autoptr(GError) error = NULL;

	cb_test_room_tolerate_upstream_races();
	cb_media_config_init(&media, config);
	if (room_warnings != NULL) {
		G_LOCK(room_warnings);
		g_ptr_array_set_size(room_warnings, 0);
		G_UNLOCK(room_warnings);
	}
	g_atomic_int_set(&room_video_tracks_up, 0);
	fx->port_min = config->media_udp_port_min;
	fx->port_max = config->media_udp_port_max;
	fx->clients =
		g_hash_table_new_full(g_str_hash, g_str_equal, NULL, cb_test_room_client_free);
	fx->removed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	fx->answered = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	fx->room = cb_room_new(session_id, &media, &error);
	cb_media_config_clear(&media);
	g_assert_no_error(error);
	g_signal_connect(fx->room, "local-description", G_CALLBACK(cb_test_room_description_cb),
			 fx);
	g_signal_connect(fx->room, "local-candidate", G_CALLBACK(cb_test_room_candidate_cb), fx);
	g_signal_connect(fx->room, "peer-state", G_CALLBACK(cb_test_room_state_cb), fx);
	g_signal_connect(fx->room, "peer-removed", G_CALLBACK(cb_test_room_removed_cb), fx);
}

void
cb_test_room_close(CbTestRoom *fx, const char *const *allowed)
{
	G_LOCK(room_warnings);
	for (guint i = 0; room_warnings != NULL && i < room_warnings->len; i++) {
		const char *message = g_ptr_array_index(room_warnings, i);

		if (!cb_test_room_warning_allowed(message, allowed))
			g_error("unexpected warning of the room: %s", message);
	}
	G_UNLOCK(room_warnings);
	g_clear_object(&fx->room);
	g_clear_pointer(&fx->clients, g_hash_table_unref);
	g_clear_pointer(&fx->removed, g_hash_table_unref);
	g_clear_pointer(&fx->answered, g_hash_table_unref);
	/* drop what the peers' threads handed over after the room went */
	while (g_main_context_iteration(NULL, FALSE))
		;
}
