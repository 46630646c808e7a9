#define G_LOG_DOMAIN "CbWs"

/* media signalling on /api/v1/ws: the messages of README.md "Signalling and WHIP" */

#include "civic-bridge/cb-ws-media.h"

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-json.h"

struct _CbWsMedia {
	GObject parent_instance;
	CbWsHub *hub;
	CbMediaRooms *rooms;
};

G_DEFINE_TYPE(CbWsMedia, cb_ws_media, G_TYPE_OBJECT)

#define CB_WS_OWNER_PREFIX "ws:"

static char *
cb_ws_media_owner(guint client_id)
{
	return g_strdup_printf(CB_WS_OWNER_PREFIX "%u", client_id);
}

/* the client id of a WebSocket owner; 0 for others (WHIP) */
static guint
cb_ws_media_client_of(const char *owner)
{
	guint64 id = 0;

	if (!g_str_has_prefix(owner, CB_WS_OWNER_PREFIX) ||
	    !g_ascii_string_to_unsigned(owner + 3, 10, 1, G_MAXUINT, &id, NULL))
		return 0;
	return (guint)id;
}

static CbTokenRecord
cb_ws_media_caller(const CbWsPeer *peer)
{
	return (CbTokenRecord){.id = peer->token_id,
			       .role = peer->role,
			       .bridge_point_id = peer->bridge_point_id,
			       .ticket_id = peer->ticket_id};
}

static gboolean
cb_ws_media_is_staff(const CbWsPeer *peer)
{
	return peer->role == CB_ROLE_STAFF || peer->role == CB_ROLE_ADMIN;
}

static gboolean
cb_ws_media_require_staff(const CbWsPeer *peer, const char *type, GError **error)
{
	if (cb_ws_media_is_staff(peer))
		return TRUE;
	g_set_error(error, CB_ERROR, CB_ERROR_FORBIDDEN, "'%s' is for staff", type);
	return FALSE;
}

static gboolean
cb_ws_media_session(JsonObject *message, gint64 *session, GError **error)
{
	gboolean present = FALSE;

	if (!cb_json_get_int(message, "session_id", TRUE, &present, session, error))
		return FALSE;
	if (*session <= 0) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "field 'session_id' must be positive");
		return FALSE;
	}
	return TRUE;
}

static void
cb_ws_media_send(CbWsMedia *self, guint client_id, JsonBuilder *builder)
{
	g_autoptr(JsonNode) node = json_builder_get_root(builder);

	cb_ws_hub_send(self->hub, client_id, node);
}

static JsonBuilder *
cb_ws_media_begin(const char *type)
{
	JsonBuilder *builder = json_builder_new_immutable();

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "type");
	json_builder_add_string_value(builder, type);
	return builder;
}

static void
cb_ws_media_add_string(JsonBuilder *builder, const char *name, const char *value)
{
	json_builder_set_member_name(builder, name);
	if (value != NULL)
		json_builder_add_string_value(builder, value);
	else
		json_builder_add_null_value(builder);
}

/* "ice_servers": RTCIceServer objects a browser passes to RTCPeerConnection
 * as they are; TURN ones with a credential naming the room peer @id */
static void
cb_ws_media_add_ice_servers(CbWsMedia *self, JsonBuilder *builder, const char *id)
{
	g_autoptr(GPtrArray) servers =
		cb_ice_servers_for_peer(cb_media_rooms_get_ice_servers(self->rooms), id,
					g_get_real_time() / G_USEC_PER_SEC);

	json_builder_set_member_name(builder, "ice_servers");
	json_builder_begin_array(builder);
	for (guint i = 0; i < servers->len; i++) {
		const CbIceServer *server = g_ptr_array_index(servers, i);

		json_builder_begin_object(builder);
		cb_ws_media_add_string(builder, "urls", server->urls);
		if (server->username != NULL) {
			cb_ws_media_add_string(builder, "username", server->username);
			cb_ws_media_add_string(builder, "credential", server->credential);
		}
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);
}

/* ---- requests ---- */

static gboolean
cb_ws_media_join_cb(const CbWsPeer *peer, guint client_id, const char *type, JsonObject *message,
		    gpointer user_data, GError **error)
{
	CbWsMedia *self = user_data;
	static const char *const allowed[] = {"type", "session_id", "as", "slot", "peer", NULL};
	CbTokenRecord caller = cb_ws_media_caller(peer);
	g_autofree char *owner = cb_ws_media_owner(client_id);
	const char *as = NULL, *slot = NULL, *handle = NULL;
	gint64 session = 0;
	const CbMediaPeerInfo *info;
	g_autoptr(JsonBuilder) builder = NULL;

	if (!cb_json_check_members(message, allowed, error) ||
	    !cb_ws_media_session(message, &session, error) ||
	    !cb_json_get_string(message, "as", TRUE, &as, error) ||
	    !cb_json_get_string(message, "slot", FALSE, &slot, error) ||
	    !cb_json_get_string(message, "peer", TRUE, &handle, error))
		return FALSE;
	if (!g_str_equal(as, "publisher") && !g_str_equal(as, "subscriber")) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "field 'as' is 'publisher' or 'subscriber'");
		return FALSE;
	}
	info = cb_media_rooms_join(self->rooms, &caller, owner, handle, session,
				   g_str_equal(as, "publisher"), slot, error);
	if (info == NULL)
		return FALSE;
	builder = cb_ws_media_begin("joined");
	cb_ws_media_add_string(builder, "peer", handle);
	cb_ws_media_add_string(builder, "id", info->id);
	json_builder_set_member_name(builder, "session_id");
	json_builder_add_int_value(builder, session);
	cb_ws_media_add_string(builder, "slot", info->slot);
	json_builder_set_member_name(builder, "recording");
	json_builder_add_boolean_value(builder, cb_media_rooms_get_recording(self->rooms, session));
	/* so a client that opens many peers (the console) knows how many fit */
	json_builder_set_member_name(builder, "max_peers");
	json_builder_add_int_value(builder, cb_media_rooms_get_max_peers_per_owner(self->rooms));
	cb_ws_media_add_ice_servers(self, builder, info->id);
	json_builder_end_object(builder);
	cb_ws_media_send(self, client_id, builder);
	return TRUE;
}

static gboolean
cb_ws_media_offer_cb(const CbWsPeer *peer, guint client_id, const char *type, JsonObject *message,
		     gpointer user_data, GError **error)
{
	CbWsMedia *self = user_data;
	static const char *const allowed[] = {"type", "peer", "sdp", NULL};
	g_autofree char *owner = cb_ws_media_owner(client_id);
	const char *handle = NULL, *sdp = NULL;

	if (!cb_json_check_members(message, allowed, error) ||
	    !cb_json_get_string(message, "peer", TRUE, &handle, error) ||
	    !cb_json_get_string(message, "sdp", TRUE, &sdp, error))
		return FALSE;
	return cb_media_rooms_offer(self->rooms, owner, handle, sdp, error);
}

static gboolean
cb_ws_media_candidate_cb(const CbWsPeer *peer, guint client_id, const char *type,
			 JsonObject *message, gpointer user_data, GError **error)
{
	CbWsMedia *self = user_data;
	static const char *const allowed[] = {"type", "peer", "mline", "candidate", NULL};
	g_autofree char *owner = cb_ws_media_owner(client_id);
	const char *handle = NULL, *candidate = NULL;
	gboolean present = FALSE;
	gint64 mline = 0;

	if (!cb_json_check_members(message, allowed, error) ||
	    !cb_json_get_string(message, "peer", TRUE, &handle, error) ||
	    !cb_json_get_int(message, "mline", TRUE, &present, &mline, error) ||
	    !cb_json_get_string(message, "candidate", TRUE, &candidate, error))
		return FALSE;
	if (mline < 0 || mline > 15) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "field 'mline' is a media section index");
		return FALSE;
	}
	return cb_media_rooms_candidate(self->rooms, owner, handle, (guint)mline, candidate, error);
}

static gboolean
cb_ws_media_leave_cb(const CbWsPeer *peer, guint client_id, const char *type, JsonObject *message,
		     gpointer user_data, GError **error)
{
	CbWsMedia *self = user_data;
	static const char *const allowed[] = {"type", "peer", NULL};
	g_autofree char *owner = cb_ws_media_owner(client_id);
	const char *handle = NULL;

	if (!cb_json_check_members(message, allowed, error) ||
	    !cb_json_get_string(message, "peer", TRUE, &handle, error))
		return FALSE;
	return cb_media_rooms_leave(self->rooms, owner, handle, error);
}

static gboolean
cb_ws_media_floor_cb(const CbWsPeer *peer, guint client_id, const char *type, JsonObject *message,
		     gpointer user_data, GError **error)
{
	CbWsMedia *self = user_data;
	static const char *const allowed[] = {"type", "session_id", "peer", NULL};
	JsonNode *member;
	const char *publisher = NULL;
	gint64 session = 0;

	if (!cb_ws_media_require_staff(peer, type, error) ||
	    !cb_json_check_members(message, allowed, error) ||
	    !cb_ws_media_session(message, &session, error))
		return FALSE;
	member = json_object_get_member(message, "peer");
	if (member == NULL || !JSON_NODE_HOLDS_NULL(member)) {
		if (!cb_json_get_string(message, "peer", TRUE, &publisher, error))
			return FALSE;
	}
	return cb_media_rooms_set_floor(self->rooms, session, publisher, error);
}

static gboolean
cb_ws_media_get_bool(JsonObject *message, const char *name, gboolean *out, GError **error)
{
	JsonNode *member = json_object_get_member(message, name);

	if (member == NULL) {
		*out = FALSE;
		return TRUE;
	}
	if (!JSON_NODE_HOLDS_VALUE(member) || json_node_get_value_type(member) != G_TYPE_BOOLEAN) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID, "field '%s' must be a boolean",
			    name);
		return FALSE;
	}
	*out = json_node_get_boolean(member);
	return TRUE;
}

static gboolean
cb_ws_media_mute_cb(const CbWsPeer *peer, guint client_id, const char *type, JsonObject *message,
		    gpointer user_data, GError **error)
{
	CbWsMedia *self = user_data;
	static const char *const allowed[] = {"type", "session_id", "peer", "audio", "video", NULL};
	const char *id = NULL;
	gint64 session = 0;
	gboolean audio = FALSE, video = FALSE;

	if (!cb_ws_media_require_staff(peer, type, error) ||
	    !cb_json_check_members(message, allowed, error) ||
	    !cb_ws_media_session(message, &session, error) ||
	    !cb_json_get_string(message, "peer", TRUE, &id, error) ||
	    !cb_ws_media_get_bool(message, "audio", &audio, error) ||
	    !cb_ws_media_get_bool(message, "video", &video, error))
		return FALSE;
	return cb_media_rooms_mute(self->rooms, session, id, audio, video, error);
}

static gboolean
cb_ws_media_remove_cb(const CbWsPeer *peer, guint client_id, const char *type, JsonObject *message,
		      gpointer user_data, GError **error)
{
	CbWsMedia *self = user_data;
	static const char *const allowed[] = {"type", "session_id", "peer", NULL};
	const char *id = NULL;
	gint64 session = 0;

	if (!cb_ws_media_require_staff(peer, type, error) ||
	    !cb_json_check_members(message, allowed, error) ||
	    !cb_ws_media_session(message, &session, error) ||
	    !cb_json_get_string(message, "peer", TRUE, &id, error))
		return FALSE;
	return cb_media_rooms_remove(self->rooms, session, id, error);
}

static void
cb_ws_media_closed_cb(const CbWsPeer *peer, guint client_id, gpointer user_data)
{
	CbWsMedia *self = user_data;
	g_autofree char *owner = cb_ws_media_owner(client_id);

	if (self->rooms != NULL)
		cb_media_rooms_release_owner(self->rooms, owner);
}

/* ---- what the rooms say ---- */

static void
cb_ws_media_description_cb(CbMediaRooms *rooms, gint64 session_id, const CbMediaPeerInfo *peer,
			   const char *type, const char *sdp, gpointer user_data)
{
	CbWsMedia *self = user_data;
	guint client = cb_ws_media_client_of(peer->owner);
	g_autoptr(JsonBuilder) builder = NULL;

	if (client == 0)
		return;
	builder = cb_ws_media_begin(type);
	cb_ws_media_add_string(builder, "peer", peer->handle);
	cb_ws_media_add_string(builder, "sdp", sdp);
	json_builder_end_object(builder);
	cb_ws_media_send(self, client, builder);
}

static void
cb_ws_media_candidate_out_cb(CbMediaRooms *rooms, gint64 session_id, const CbMediaPeerInfo *peer,
			     guint mline, const char *candidate, gpointer user_data)
{
	CbWsMedia *self = user_data;
	guint client = cb_ws_media_client_of(peer->owner);
	g_autoptr(JsonBuilder) builder = NULL;

	if (client == 0)
		return;
	builder = cb_ws_media_begin("candidate");
	cb_ws_media_add_string(builder, "peer", peer->handle);
	json_builder_set_member_name(builder, "mline");
	json_builder_add_int_value(builder, mline);
	cb_ws_media_add_string(builder, "candidate", candidate);
	json_builder_end_object(builder);
	cb_ws_media_send(self, client, builder);
}

typedef struct {
	gint64 session_id;
	JsonNode *node;
} CbWsMediaEvent;

/* staff (and admins) subscribed to the session */
static JsonNode *
cb_ws_media_render_staff_cb(const CbWsPeer *peer, gpointer user_data)
{
	CbWsMediaEvent *event = user_data;

	if (!cb_ws_media_is_staff(peer) || peer->session_id != event->session_id)
		return NULL;
	return json_node_ref(event->node);
}

static void
cb_ws_media_tell_staff(CbWsMedia *self, gint64 session_id, JsonBuilder *builder)
{
	CbWsMediaEvent event = {.session_id = session_id};

	event.node = json_builder_get_root(builder);
	cb_ws_hub_publish(self->hub, cb_ws_media_render_staff_cb, &event);
	json_node_unref(event.node);
}

static void
cb_ws_media_peer_event_cb(CbMediaRooms *rooms, gint64 session_id, const CbMediaPeerInfo *peer,
			  const char *event, const char *detail, gpointer user_data)
{
	CbWsMedia *self = user_data;
	guint client = cb_ws_media_client_of(peer->owner);
	g_autoptr(JsonBuilder) staff = cb_ws_media_begin("peer");

	/* the owner hears of its own peer's state and departure */
	if (client != 0 && !peer->orphaned && !g_str_equal(event, "joined")) {
		g_autoptr(JsonBuilder) own =
			cb_ws_media_begin(g_str_equal(event, "left") ? "peer-left" : "peer-state");
		cb_ws_media_add_string(own, "peer", peer->handle);
		cb_ws_media_add_string(own, g_str_equal(event, "left") ? "reason" : "state",
				       detail);
		json_builder_end_object(own);
		cb_ws_media_send(self, client, own);
	}
	json_builder_set_member_name(staff, "session_id");
	json_builder_add_int_value(staff, session_id);
	cb_ws_media_add_string(staff, "event", event);
	cb_ws_media_add_string(staff, "id", peer->id);
	cb_ws_media_add_string(staff, "role", peer->publisher ? "publisher" : "subscriber");
	cb_ws_media_add_string(staff, "kind", peer->kind);
	cb_ws_media_add_string(staff, "slot", peer->slot);
	cb_ws_media_add_string(staff, "via",
			       client != 0                             ? "ws"
			       : g_str_has_prefix(peer->owner, "whep") ? "whep"
								       : "whip");
	if (g_str_equal(event, "left"))
		cb_ws_media_add_string(staff, "reason", detail);
	else
		cb_ws_media_add_string(staff, "state",
				       g_str_equal(event, "joined") ? peer->state : detail);
	json_builder_end_object(staff);
	cb_ws_media_tell_staff(self, session_id, staff);
}

static void
cb_ws_media_floor_changed_cb(CbMediaRooms *rooms, gint64 session_id, const char *publisher,
			     gpointer user_data)
{
	CbWsMedia *self = user_data;
	g_autoptr(JsonBuilder) builder = cb_ws_media_begin("floor-changed");

	json_builder_set_member_name(builder, "session_id");
	json_builder_add_int_value(builder, session_id);
	cb_ws_media_add_string(builder, "peer", publisher);
	json_builder_end_object(builder);
	cb_ws_media_tell_staff(self, session_id, builder);
}

static void
cb_ws_media_muted_cb(CbMediaRooms *rooms, gint64 session_id, const char *peer_id, gboolean audio,
		     gboolean video, gpointer user_data)
{
	CbWsMedia *self = user_data;
	g_autoptr(JsonBuilder) builder = cb_ws_media_begin("muted");

	json_builder_set_member_name(builder, "session_id");
	json_builder_add_int_value(builder, session_id);
	cb_ws_media_add_string(builder, "peer", peer_id);
	json_builder_set_member_name(builder, "audio");
	json_builder_add_boolean_value(builder, audio);
	json_builder_set_member_name(builder, "video");
	json_builder_add_boolean_value(builder, video);
	json_builder_end_object(builder);
	cb_ws_media_tell_staff(self, session_id, builder);
}

/* a measure (never negative) rounded to @step, or null when unknown */
static void
cb_ws_media_add_measure(JsonBuilder *builder, const char *name, gboolean known, double value,
			double step)
{
	json_builder_set_member_name(builder, name);
	if (known)
		json_builder_add_double_value(builder, (double)(gint64)(value / step + 0.5) * step);
	else
		json_builder_add_null_value(builder);
}

/* a peer's connection quality, by its room id only (never a name or token) */
static void
cb_ws_media_quality_cb(CbMediaRooms *rooms, gint64 session_id, const CbMediaPeerInfo *peer,
		       const CbPeerQuality *quality, gpointer user_data)
{
	CbWsMedia *self = user_data;
	g_autoptr(JsonBuilder) builder = cb_ws_media_begin("quality");

	json_builder_set_member_name(builder, "session_id");
	json_builder_add_int_value(builder, session_id);
	cb_ws_media_add_string(builder, "id", peer->id);
	cb_ws_media_add_string(builder, "kind", peer->kind);
	cb_ws_media_add_string(builder, "role", peer->publisher ? "publisher" : "subscriber");
	cb_ws_media_add_measure(builder, "rtt_ms", quality->has_rtt, quality->rtt_ms, 0.1);
	cb_ws_media_add_measure(builder, "loss", quality->has_loss, quality->loss, 0.0001);
	cb_ws_media_add_measure(builder, "jitter_ms", quality->has_jitter, quality->jitter_ms, 0.1);
	cb_ws_media_add_measure(builder, "bitrate_kbps", TRUE, quality->bitrate_kbps, 0.1);
	json_builder_end_object(builder);
	cb_ws_media_tell_staff(self, session_id, builder);
}

/* everyone subscribed to the session */
static JsonNode *
cb_ws_media_render_session_cb(const CbWsPeer *peer, gpointer user_data)
{
	CbWsMediaEvent *event = user_data;

	return peer->session_id == event->session_id ? json_node_ref(event->node) : NULL;
}

typedef struct {
	gint64 session_id;
	GHashTable *clients;
} CbWsMediaOwners;

static void
cb_ws_media_owner_cb(gint64 session_id, const CbMediaPeerInfo *peer, const CbPeerQuality *quality,
		     guint keyframe_requests, gpointer user_data)
{
	CbWsMediaOwners *owners = user_data;
	guint client = cb_ws_media_client_of(peer->owner);

	if (session_id == owners->session_id && client != 0)
		g_hash_table_add(owners->clients, GUINT_TO_POINTER(client));
}

/* recording on or off: everyone in the room (the WebSocket owners of its
 * peers) and everyone subscribed to the session is told; a client that is
 * both may hear it twice (it says a state, not a change) */
static void
cb_ws_media_recording_cb(CbMediaRooms *rooms, gint64 session_id, gboolean active,
			 const char *reason, const char *message, gpointer user_data)
{
	CbWsMedia *self = user_data;
	g_autoptr(JsonBuilder) builder = cb_ws_media_begin("recording");
	CbWsMediaOwners owners = {session_id, g_hash_table_new(NULL, NULL)};
	CbWsMediaEvent event = {.session_id = session_id};
	GHashTableIter iter;
	gpointer client;

	json_builder_set_member_name(builder, "session_id");
	json_builder_add_int_value(builder, session_id);
	json_builder_set_member_name(builder, "active");
	json_builder_add_boolean_value(builder, active);
	cb_ws_media_add_string(builder, "reason", reason);
	if (message != NULL)
		cb_ws_media_add_string(builder, "message", message);
	json_builder_end_object(builder);
	event.node = json_builder_get_root(builder);
	cb_media_rooms_foreach_peer(rooms, cb_ws_media_owner_cb, &owners);
	g_hash_table_iter_init(&iter, owners.clients);
	while (g_hash_table_iter_next(&iter, &client, NULL))
		cb_ws_hub_send(self->hub, GPOINTER_TO_UINT(client), event.node);
	cb_ws_hub_publish(self->hub, cb_ws_media_render_session_cb, &event);
	json_node_unref(event.node);
	g_hash_table_unref(owners.clients);
}

/* ---- the object ---- */

static void
cb_ws_media_dispose(GObject *object)
{
	CbWsMedia *self = CB_WS_MEDIA(object);

	if (self->hub != NULL)
		cb_ws_hub_set_closed_handler(self->hub, NULL, NULL);
	g_clear_object(&self->rooms);
	g_clear_object(&self->hub);
	G_OBJECT_CLASS(cb_ws_media_parent_class)->dispose(object);
}

static void
cb_ws_media_class_init(CbWsMediaClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = cb_ws_media_dispose;
}

static void
cb_ws_media_init(CbWsMedia *self)
{
}

CbWsMedia *
cb_ws_media_new(CbWsHub *hub, CbMediaRooms *rooms)
{
	CbWsMedia *self = g_object_new(CB_TYPE_WS_MEDIA, NULL);
	static const struct {
		const char *type;
		CbWsMessageFunc func;
	} handlers[] = {
		{"join", cb_ws_media_join_cb},           {"offer", cb_ws_media_offer_cb},
		{"candidate", cb_ws_media_candidate_cb}, {"leave", cb_ws_media_leave_cb},
		{"floor", cb_ws_media_floor_cb},         {"mute", cb_ws_media_mute_cb},
		{"remove", cb_ws_media_remove_cb},
	};

	self->hub = g_object_ref(hub);
	self->rooms = g_object_ref(rooms);
	/* the hub lives in the HTTP server, which the daemon stops after this */
	for (guint i = 0; i < G_N_ELEMENTS(handlers); i++)
		cb_ws_hub_add_message_handler(hub, handlers[i].type, handlers[i].func, self);
	cb_ws_hub_set_closed_handler(hub, cb_ws_media_closed_cb, self);
	g_signal_connect_object(rooms, "peer-description", G_CALLBACK(cb_ws_media_description_cb),
				self, 0);
	g_signal_connect_object(rooms, "peer-candidate", G_CALLBACK(cb_ws_media_candidate_out_cb),
				self, 0);
	g_signal_connect_object(rooms, "peer-event", G_CALLBACK(cb_ws_media_peer_event_cb), self,
				0);
	g_signal_connect_object(rooms, "floor-changed", G_CALLBACK(cb_ws_media_floor_changed_cb),
				self, 0);
	g_signal_connect_object(rooms, "muted", G_CALLBACK(cb_ws_media_muted_cb), self, 0);
	g_signal_connect_object(rooms, "peer-quality", G_CALLBACK(cb_ws_media_quality_cb), self, 0);
	g_signal_connect_object(rooms, "recording-changed", G_CALLBACK(cb_ws_media_recording_cb),
				self, 0);
	return self;
}
