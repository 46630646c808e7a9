#define G_LOG_DOMAIN "CbMedia"

/*
 * The rooms of the live sessions, and the rules of who joins them.
 *
 * A room lives exactly as long as its session is `live`. Peers are named
 * twice: the room's id (a publisher's is fixed by who publishes: "hall",
 * "bp-<id>", "citizen"; a subscriber's is "s<serial>"), and the owner's
 * handle (the WebSocket client's "peer", the WHIP resource), so two clients
 * choosing the same handle never meet, and a publisher that reconnects comes
 * back to the same slot, feeding the subscribers it fed.
 *
 * Grace period: when a WebSocket closes, its subscribers leave at once and
 * its publishers are "orphaned": they stay (their media flows on if their
 * path still works) for [media] reconnect-grace-seconds. The same publisher
 * joining again (a new connection with a new offer) replaces the orphan;
 * otherwise it leaves with reason "gone". GStreamer 1.22 has no ICE restart,
 * so a reconnect is always a new peer connection.
 */

#include "civic-bridge/cb-media-rooms.h"

#include <string.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-room.h"

#include "cb-media-rooms-private.h"

guint cb_media_rooms_signals[N_SIGNALS];

G_DEFINE_TYPE(CbMediaRooms, cb_media_rooms, G_TYPE_OBJECT)
char *
cb_media_key(const char *owner, const char *handle)
{
	return g_strconcat(owner, "\n", handle, NULL);
}

/* ---- peers ---- */

void
cb_media_peer_stop_wait(CbMediaPeer *peer, const GError *error)
{
	CbMediaAnswerFunc func = peer->wait_func;
	gpointer data = peer->wait_data;
	GDestroyNotify destroy = peer->wait_destroy;

	if (peer->wait_timer != NULL) {
		g_source_destroy(peer->wait_timer);
		g_clear_pointer(&peer->wait_timer, g_source_unref);
	}
	if (peer->settle_timer != NULL) {
		g_source_destroy(peer->settle_timer);
		g_clear_pointer(&peer->settle_timer, g_source_unref);
	}
	peer->wait_func = NULL;
	peer->wait_data = NULL;
	peer->wait_destroy = NULL;
	if (func != NULL && error != NULL)
		func(NULL, error, data);
	if (destroy != NULL)
		destroy(data);
}

static void
cb_media_peer_free(CbMediaPeer *peer)
{
	g_autoptr(GError) gone = g_error_new_literal(CB_ERROR, CB_ERROR_CONFLICT,
						     "the peer left before its answer was ready");

	cb_media_peer_stop_wait(peer, gone);
	if (peer->grace != NULL) {
		g_source_destroy(peer->grace);
		g_source_unref(peer->grace);
	}
	g_free(peer->info.id);
	g_free(peer->info.owner);
	g_free(peer->info.handle);
	g_free(peer->info.slot);
	g_free(peer->info.offer);
	g_free(peer->answer);
	for (guint i = 0; i < G_N_ELEMENTS(peer->candidates); i++)
		g_ptr_array_unref(peer->candidates[i]);
	g_free(peer);
}

/* forgets @peer (the room no longer has it) and tells who listens */
void
cb_media_peer_forget(CbMediaRoom *room, CbMediaPeer *peer, const char *reason)
{
	CbMediaRooms *self = room->rooms;
	g_autofree char *key = cb_media_key(peer->info.owner, peer->info.handle);

	if (g_hash_table_lookup(self->handles, key) == peer)
		g_hash_table_remove(self->handles, key);
	g_hash_table_steal(room->peers, peer->info.id);
	g_signal_emit(self, cb_media_rooms_signals[SIGNAL_PEER_EVENT], 0, room->session_id,
		      &peer->info, "left", reason);
	cb_media_peer_free(peer);
}

/* removes @peer from the room; the room's peer-removed forgets it */
void
cb_media_peer_remove(CbMediaRoom *room, CbMediaPeer *peer, const char *reason)
{
	g_autoptr(GError) error = NULL;

	peer->leave_reason = reason;
	if (!cb_room_remove_peer(room->room, peer->info.id, &error)) {
		/* the room lost it already: forget it here */
		cb_media_peer_forget(room, peer, reason);
	}
}

/* ---- the room's signals ---- */

static void
cb_media_room_description_cb(CbRoom *r, const char *peer_id, const char *type, const char *sdp,
			     gpointer user_data)
{
	CbMediaRoom *room = user_data;
	CbMediaPeer *peer = g_hash_table_lookup(room->peers, peer_id);

	if (peer == NULL)
		return;
	g_free(peer->answer);
	peer->answer = g_strdup(sdp);
	g_signal_emit(room->rooms, cb_media_rooms_signals[SIGNAL_PEER_DESCRIPTION], 0,
		      room->session_id, &peer->info, type, sdp);
}

static void cb_media_peer_settle(CbMediaPeer *peer);

static void
cb_media_room_candidate_cb(CbRoom *r, const char *peer_id, guint mline, const char *candidate,
			   gpointer user_data)
{
	CbMediaRoom *room = user_data;
	CbMediaPeer *peer = g_hash_table_lookup(room->peers, peer_id);

	if (peer == NULL)
		return;
	if (mline < G_N_ELEMENTS(peer->candidates))
		g_ptr_array_add(peer->candidates[mline], g_strdup(candidate));
	g_signal_emit(room->rooms, cb_media_rooms_signals[SIGNAL_PEER_CANDIDATE], 0,
		      room->session_id, &peer->info, mline, candidate);
	cb_media_peer_settle(peer);
}

static gboolean
cb_media_peer_settled_cb(gpointer user_data)
{
	CbMediaPeer *peer = user_data;

	g_clear_pointer(&peer->settle_timer, g_source_unref);
	cb_media_peer_try_answer(peer, FALSE);
	return G_SOURCE_REMOVE;
}

/* webrtcbin may report "gathering complete" before the last candidates
 * reach this context: a candidate that comes after it waits for quiet
 * (CB_MEDIA_SETTLE_MS) before the full answer is made */
#define CB_MEDIA_SETTLE_MS 100

static void
cb_media_peer_settle(CbMediaPeer *peer)
{
	if (peer->wait_func == NULL || !peer->gathered)
		return;
	if (peer->settle_timer != NULL) {
		g_source_destroy(peer->settle_timer);
		g_source_unref(peer->settle_timer);
	}
	peer->settle_timer = g_timeout_source_new(CB_MEDIA_SETTLE_MS);
	g_source_set_callback(peer->settle_timer, cb_media_peer_settled_cb, peer, NULL);
	g_source_attach(peer->settle_timer, g_main_context_get_thread_default());
}

static void
cb_media_room_gathered_cb(CbRoom *r, const char *peer_id, gpointer user_data)
{
	CbMediaRoom *room = user_data;
	CbMediaPeer *peer = g_hash_table_lookup(room->peers, peer_id);

	if (peer == NULL)
		return;
	peer->gathered = TRUE;
	cb_media_peer_try_answer(peer, FALSE);
}

static void
cb_media_room_state_cb(CbRoom *r, const char *peer_id, const char *state, gpointer user_data)
{
	CbMediaRoom *room = user_data;
	CbMediaPeer *peer = g_hash_table_lookup(room->peers, peer_id);

	if (peer == NULL)
		return;
	peer->info.state = g_intern_string(state);
	g_signal_emit(room->rooms, cb_media_rooms_signals[SIGNAL_PEER_EVENT], 0, room->session_id,
		      &peer->info, "state", state);
}

static void
cb_media_room_removed_cb(CbRoom *r, const char *peer_id, const char *reason, gpointer user_data)
{
	CbMediaRoom *room = user_data;
	CbMediaPeer *peer = g_hash_table_lookup(room->peers, peer_id);

	if (peer == NULL)
		return;
	cb_media_peer_forget(room, peer, peer->leave_reason != NULL ? peer->leave_reason : reason);
}

/* ---- rooms ---- */

static void
cb_media_room_free(CbMediaRoom *room)
{
	GHashTableIter iter;
	gpointer value;

	g_signal_handlers_disconnect_by_data(room->room, room);
	/* the room goes with its pipeline; tell the owners their peers went */
	g_autoptr(GPtrArray) peers = g_ptr_array_new();

	g_hash_table_iter_init(&iter, room->peers);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		g_ptr_array_add(peers, value);
	for (guint i = 0; i < peers->len; i++)
		cb_media_peer_forget(room, g_ptr_array_index(peers, i), "session-ended");
	g_hash_table_unref(room->peers);
	g_object_unref(room->room);
	g_free(room);
}

CbMediaRoom *
cb_media_rooms_find(CbMediaRooms *self, gint64 session_id, GError **error)
{
	CbMediaRoom *room = g_hash_table_lookup(self->rooms, &session_id);
	g_autoptr(CbSession) session = NULL;

	if (room != NULL)
		return room;
	session = cb_schedule_get_session(self->schedule, session_id, error);
	if (session == NULL)
		return NULL;
	g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
		    "session %" G_GINT64_FORMAT " is %s; it has media only while live", session_id,
		    cb_session_state_to_string(session->state));
	return NULL;
}

/* confidentiality and the admitted citizen, from the admitted ticket */
static void
cb_media_room_follow_ticket(CbMediaRoom *room, const CbTicket *ticket)
{
	GHashTableIter iter;
	gpointer value;
	gboolean admitted =
		ticket->state == CB_TICKET_ADMITTED && ticket->session_id == room->session_id;

	if (admitted) {
		room->admitted_ticket = ticket->id;
		cb_room_set_confidential(room->room,
					 ticket->category == CB_TICKET_CATEGORY_DENUNCIATION);
		return;
	}
	/* the citizen's peers go when the ticket leaves admitted, before the
	 * case stops being confidential: nothing of a denouncer is forwarded or
	 * recorded outside the confidential recording */
	g_hash_table_iter_init(&iter, room->peers);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		CbMediaPeer *peer = value;
		if (peer->info.ticket_id == ticket->id) {
			cb_media_peer_remove(room, peer, "ticket");
			g_hash_table_iter_init(&iter, room->peers);
		}
	}
	if (room->admitted_ticket == ticket->id) {
		room->admitted_ticket = 0;
		cb_room_set_confidential(room->room, FALSE);
	}
}

static void
cb_media_room_load_admitted(CbMediaRooms *self, CbMediaRoom *room)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) entries =
		cb_queue_list_session(self->queue, room->session_id, NULL, &error);

	if (entries == NULL) {
		g_warning("session %" G_GINT64_FORMAT ": cannot read its line: %s",
			  room->session_id, error->message);
		return;
	}
	for (guint i = 0; i < entries->len; i++) {
		CbQueueEntry *entry = g_ptr_array_index(entries, i);
		if (entry->ticket->state == CB_TICKET_ADMITTED)
			cb_media_room_follow_ticket(room, entry->ticket);
	}
}

static void
cb_media_rooms_open(CbMediaRooms *self, gint64 session_id)
{
	g_autoptr(GError) error = NULL;
	CbRoom *r;
	CbMediaRoom *room;

	if (g_hash_table_contains(self->rooms, &session_id))
		return;
	r = cb_room_new(session_id, &self->media, &error);
	if (r == NULL) {
		g_warning("session %" G_GINT64_FORMAT ": no media room: %s", session_id,
			  error->message);
		return;
	}
	room = g_new0(CbMediaRoom, 1);
	room->rooms = self;
	room->session_id = session_id;
	room->room = r;
	room->peers = g_hash_table_new(g_str_hash, g_str_equal);
	g_signal_connect(r, "local-description", G_CALLBACK(cb_media_room_description_cb), room);
	g_signal_connect(r, "local-candidate", G_CALLBACK(cb_media_room_candidate_cb), room);
	g_signal_connect(r, "gathering-complete", G_CALLBACK(cb_media_room_gathered_cb), room);
	g_signal_connect(r, "peer-state", G_CALLBACK(cb_media_room_state_cb), room);
	g_signal_connect(r, "peer-removed", G_CALLBACK(cb_media_room_removed_cb), room);
	g_signal_connect(r, "peer-quality", G_CALLBACK(cb_media_room_quality_cb), room);
	g_hash_table_insert(self->rooms, g_memdup2(&session_id, sizeof(gint64)), room);
	cb_media_room_load_admitted(self, room);
	g_info("session %" G_GINT64_FORMAT ": media room open", session_id);
}

static void
cb_media_rooms_close(CbMediaRooms *self, gint64 session_id)
{
	if (g_hash_table_remove(self->rooms, &session_id))
		g_info("session %" G_GINT64_FORMAT ": media room closed", session_id);
}

static void
cb_media_rooms_session_changed_cb(CbSchedule *schedule, const CbSession *session,
				  guint previous_state, gpointer user_data)
{
	CbMediaRooms *self = user_data;

	if (session->state == CB_SESSION_LIVE)
		cb_media_rooms_open(self, session->id);
	/* a leadership session records from live on; any recording stops first */
	cb_media_recording_session_changed(self, session);
	if (session->state == CB_SESSION_ENDED || session->state == CB_SESSION_CANCELLED)
		cb_media_rooms_close(self, session->id);
}

static void
cb_media_rooms_ticket_changed_cb(CbQueue *queue, gint64 ticket_id, gint64 session_id,
				 gpointer user_data)
{
	CbMediaRooms *self = user_data;
	CbTokenRecord system = {.role = CB_ROLE_STAFF};
	g_autoptr(GError) error = NULL;
	g_autoptr(CbQueueEntry) entry = NULL;
	GHashTableIter iter;
	gpointer value;

	if (g_hash_table_size(self->rooms) == 0)
		return;
	entry = cb_queue_get(self->queue, &system, ticket_id, &error);
	if (entry == NULL)
		return;
	/* the ticket may have left the line of a live session: every room looks */
	g_hash_table_iter_init(&iter, self->rooms);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		cb_media_room_follow_ticket(value, entry->ticket);
	cb_media_recording_ticket(self, entry->ticket);
}

/* ---- the object ---- */

static void
cb_media_rooms_dispose(GObject *object)
{
	CbMediaRooms *self = CB_MEDIA_ROOMS(object);

	if (self->rooms != NULL)
		g_hash_table_remove_all(self->rooms);
	cb_media_recording_dispose(self);
	g_clear_object(&self->schedule);
	g_clear_object(&self->queue);
	G_OBJECT_CLASS(cb_media_rooms_parent_class)->dispose(object);
}

static void
cb_media_rooms_finalize(GObject *object)
{
	CbMediaRooms *self = CB_MEDIA_ROOMS(object);

	g_hash_table_unref(self->rooms);
	g_hash_table_unref(self->handles);
	g_clear_pointer(&self->recordings, g_hash_table_unref);
	cb_media_config_clear(&self->media);
	cb_ice_servers_free(self->ice_servers);
	G_OBJECT_CLASS(cb_media_rooms_parent_class)->finalize(object);
}

static void
cb_media_rooms_class_init(CbMediaRoomsClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GType type = G_TYPE_FROM_CLASS(klass);

	object_class->dispose = cb_media_rooms_dispose;
	object_class->finalize = cb_media_rooms_finalize;
	cb_media_rooms_signals[SIGNAL_PEER_DESCRIPTION] = g_signal_new(
		"peer-description", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 4,
		G_TYPE_INT64, G_TYPE_POINTER, G_TYPE_STRING, G_TYPE_STRING);
	cb_media_rooms_signals[SIGNAL_PEER_CANDIDATE] = g_signal_new(
		"peer-candidate", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 4,
		G_TYPE_INT64, G_TYPE_POINTER, G_TYPE_UINT, G_TYPE_STRING);
	cb_media_rooms_signals[SIGNAL_PEER_EVENT] = g_signal_new(
		"peer-event", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 4,
		G_TYPE_INT64, G_TYPE_POINTER, G_TYPE_STRING, G_TYPE_STRING);
	cb_media_rooms_signals[SIGNAL_FLOOR_CHANGED] =
		g_signal_new("floor-changed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
			     G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_STRING);
	cb_media_rooms_signals[SIGNAL_MUTED] =
		g_signal_new("muted", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 4,
			     G_TYPE_INT64, G_TYPE_STRING, G_TYPE_BOOLEAN, G_TYPE_BOOLEAN);
	cb_media_rooms_signals[SIGNAL_PEER_QUALITY] =
		g_signal_new("peer-quality", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
			     G_TYPE_NONE, 3, G_TYPE_INT64, G_TYPE_POINTER, G_TYPE_POINTER);
	cb_media_rooms_signals[SIGNAL_RECORDING_CHANGED] = g_signal_new(
		"recording-changed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 4,
		G_TYPE_INT64, G_TYPE_BOOLEAN, G_TYPE_STRING, G_TYPE_STRING);
}

static void
cb_media_rooms_init(CbMediaRooms *self)
{
	self->rooms = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
					    (GDestroyNotify)cb_media_room_free);
	self->handles = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->next_serial = 1;
	cb_media_recording_setup(self);
}

void
cb_media_rooms_reconfigure(CbMediaRooms *self, const CbConfig *config)
{
	self->grace_seconds = config->media_reconnect_grace_seconds;
	self->segment_seconds = config->recording_segment_seconds;
	self->min_free_mb = config->recording_min_free_mb;
	cb_ice_servers_free(self->ice_servers);
	self->ice_servers = cb_ice_servers_new(config);
	/* the daemon's own peers take it in rooms opened from now on */
	cb_media_config_set_turn(&self->media, config);
}

CbMediaRooms *
cb_media_rooms_new(CbSchedule *schedule, CbQueue *queue, const CbConfig *config)
{
	CbMediaRooms *self = g_object_new(CB_TYPE_MEDIA_ROOMS, NULL);

	self->schedule = g_object_ref(schedule);
	self->queue = g_object_ref(queue);
	cb_media_config_init(&self->media, config);
	cb_media_rooms_reconfigure(self, config);
	g_signal_connect_object(schedule, "session-changed",
				G_CALLBACK(cb_media_rooms_session_changed_cb), self, 0);
	g_signal_connect_object(queue, "ticket-changed",
				G_CALLBACK(cb_media_rooms_ticket_changed_cb), self, 0);
	return self;
}

gboolean
cb_media_rooms_start(CbMediaRooms *self, GError **error)
{
	g_autoptr(GPtrArray) sessions = cb_schedule_list_sessions(self->schedule, 0, 0, error);

	if (sessions == NULL)
		return FALSE;
	for (guint i = 0; i < sessions->len; i++) {
		CbSession *session = g_ptr_array_index(sessions, i);
		if (session->state == CB_SESSION_LIVE) {
			cb_media_rooms_open(self, session->id);
			cb_media_recording_session_changed(self, session);
		}
	}
	return TRUE;
}

const CbIceServers *
cb_media_rooms_get_ice_servers(CbMediaRooms *self)
{
	return self->ice_servers;
}

guint
cb_media_rooms_get_max_peers_per_owner(CbMediaRooms *self)
{
	return self->media.max_peers_per_owner;
}

gboolean
cb_media_rooms_has_room(CbMediaRooms *self, gint64 session_id)
{
	return g_hash_table_contains(self->rooms, &session_id);
}

/* ---- staff ---- */

gboolean
cb_media_rooms_set_floor(CbMediaRooms *self, gint64 session_id, const char *publisher,
			 GError **error)
{
	CbMediaRoom *room = cb_media_rooms_find(self, session_id, error);

	if (room == NULL || !cb_room_set_floor(room->room, publisher, error))
		return FALSE;
	g_signal_emit(self, cb_media_rooms_signals[SIGNAL_FLOOR_CHANGED], 0, session_id, publisher);
	return TRUE;
}

gboolean
cb_media_rooms_mute(CbMediaRooms *self, gint64 session_id, const char *peer_id, gboolean audio,
		    gboolean video, GError **error)
{
	CbMediaRoom *room = cb_media_rooms_find(self, session_id, error);

	if (room == NULL || !cb_room_mute(room->room, peer_id, audio, video, error))
		return FALSE;
	g_signal_emit(self, cb_media_rooms_signals[SIGNAL_MUTED], 0, session_id, peer_id, audio,
		      video);
	return TRUE;
}

gboolean
cb_media_rooms_remove(CbMediaRooms *self, gint64 session_id, const char *peer_id, GError **error)
{
	CbMediaRoom *room = cb_media_rooms_find(self, session_id, error);
	CbMediaPeer *peer;

	if (room == NULL)
		return FALSE;
	peer = peer_id != NULL ? g_hash_table_lookup(room->peers, peer_id) : NULL;
	if (peer == NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_FOUND, "no peer '%s' in this room",
			    peer_id != NULL ? peer_id : "");
		return FALSE;
	}
	cb_media_peer_remove(room, peer, "removed");
	return TRUE;
}

guint
cb_media_rooms_get_n_peers(CbMediaRooms *self, gint64 session_id)
{
	CbMediaRoom *room = g_hash_table_lookup(self->rooms, &session_id);

	return room != NULL ? g_hash_table_size(room->peers) : 0;
}

gboolean
cb_media_rooms_get_confidential(CbMediaRooms *self, gint64 session_id)
{
	CbMediaRoom *room = g_hash_table_lookup(self->rooms, &session_id);

	return room != NULL && cb_room_get_confidential(room->room);
}
