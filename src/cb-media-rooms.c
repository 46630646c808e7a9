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

typedef struct _CbMediaRoom CbMediaRoom;

typedef struct {
	CbMediaPeerInfo info;
	CbMediaRoom *room;
	GSource *grace; /* orphaned: leaves when it fires */
	const char *leave_reason;
	/* a WHIP-like wait for the full answer */
	char *answer;
	GPtrArray *candidates[2]; /* per mline: "candidate:..." */
	gboolean gathered;
	GSource *wait_timer;
	GSource *settle_timer; /* a candidate came after "gathering complete" */
	CbMediaAnswerFunc wait_func;
	gpointer wait_data;
	GDestroyNotify wait_destroy;
} CbMediaPeer;

struct _CbMediaRoom {
	CbMediaRooms *rooms;
	gint64 session_id;
	CbRoom *room;
	GHashTable *peers; /* room peer id -> CbMediaPeer (owned) */
	gint64 admitted_ticket;
};

struct _CbMediaRooms {
	GObject parent_instance;
	CbSchedule *schedule;
	CbQueue *queue;
	CbMediaConfig media;
	guint grace_seconds;
	char **client_ice_servers;
	GHashTable *rooms;   /* session id -> CbMediaRoom (owned) */
	GHashTable *handles; /* "owner\nhandle" -> CbMediaPeer (borrowed) */
	guint next_serial;
};

enum {
	SIGNAL_PEER_DESCRIPTION,
	SIGNAL_PEER_CANDIDATE,
	SIGNAL_PEER_EVENT,
	SIGNAL_FLOOR_CHANGED,
	SIGNAL_MUTED,
	N_SIGNALS,
};

static guint cb_media_rooms_signals[N_SIGNALS];

G_DEFINE_TYPE(CbMediaRooms, cb_media_rooms, G_TYPE_OBJECT)

static char *
cb_media_key(const char *owner, const char *handle)
{
	return g_strconcat(owner, "\n", handle, NULL);
}

/* ---- peers ---- */

static void
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
static void
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
static void
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

static void cb_media_peer_try_answer(CbMediaPeer *peer, gboolean timed_out);

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

static guint
cb_media_peer_n_candidates(CbMediaPeer *peer)
{
	guint n = 0;

	for (guint i = 0; i < G_N_ELEMENTS(peer->candidates); i++)
		n += peer->candidates[i]->len;
	return n;
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

static CbMediaRoom *
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
	if (room->admitted_ticket == ticket->id) {
		room->admitted_ticket = 0;
		cb_room_set_confidential(room->room, FALSE);
	}
	/* the citizen's peers go when the ticket leaves admitted */
	g_hash_table_iter_init(&iter, room->peers);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		CbMediaPeer *peer = value;
		if (peer->info.ticket_id == ticket->id) {
			cb_media_peer_remove(room, peer, "ticket");
			g_hash_table_iter_init(&iter, room->peers);
		}
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
	else if (session->state == CB_SESSION_ENDED || session->state == CB_SESSION_CANCELLED)
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
}

/* ---- the object ---- */

static void
cb_media_rooms_dispose(GObject *object)
{
	CbMediaRooms *self = CB_MEDIA_ROOMS(object);

	if (self->rooms != NULL)
		g_hash_table_remove_all(self->rooms);
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
	cb_media_config_clear(&self->media);
	g_strfreev(self->client_ice_servers);
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
}

static void
cb_media_rooms_init(CbMediaRooms *self)
{
	self->rooms = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
					    (GDestroyNotify)cb_media_room_free);
	self->handles = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->next_serial = 1;
}

void
cb_media_rooms_reconfigure(CbMediaRooms *self, const CbConfig *config)
{
	g_auto(GStrv) servers = NULL;
	GPtrArray *list = g_ptr_array_new();

	self->grace_seconds = config->media_reconnect_grace_seconds;
	if (config->media_client_ice_servers != NULL) {
		servers = g_strsplit(config->media_client_ice_servers, ",", -1);
		for (guint i = 0; servers[i] != NULL; i++) {
			g_strstrip(servers[i]);
			if (servers[i][0] != '\0')
				g_ptr_array_add(list, g_strdup(servers[i]));
		}
	}
	g_ptr_array_add(list, NULL);
	g_strfreev(self->client_ice_servers);
	self->client_ice_servers = (char **)g_ptr_array_free(list, FALSE);
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
		if (session->state == CB_SESSION_LIVE)
			cb_media_rooms_open(self, session->id);
	}
	return TRUE;
}

const char *const *
cb_media_rooms_get_client_ice_servers(CbMediaRooms *self)
{
	return (const char *const *)self->client_ice_servers;
}

gboolean
cb_media_rooms_has_room(CbMediaRooms *self, gint64 session_id)
{
	return g_hash_table_contains(self->rooms, &session_id);
}

/* ---- joining: the routing rules ---- */

static gboolean
cb_media_is_staff(CbRole role)
{
	return role == CB_ROLE_STAFF || role == CB_ROLE_ADMIN;
}

/* whether the caller's ticket is admitted in @room's session */
static gboolean
cb_media_rooms_citizen_admitted(CbMediaRooms *self, CbMediaRoom *room, const CbTokenRecord *caller,
				GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(CbQueueEntry) entry =
		cb_queue_get(self->queue, caller, caller->ticket_id, &local);

	if (entry == NULL || entry->ticket->session_id != room->session_id ||
	    entry->ticket->state != CB_TICKET_ADMITTED) {
		g_set_error(error, CB_ERROR, CB_ERROR_FORBIDDEN,
			    "a citizen joins only while their ticket is admitted in this session "
			    "(it is %s)",
			    entry != NULL ? cb_ticket_state_to_string(entry->ticket->state)
					  : "not found");
		return FALSE;
	}
	return TRUE;
}

/* the publisher id and kind the caller publishes as */
static char *
cb_media_publisher_id(const CbTokenRecord *caller, CbPeerKind *kind, GError **error)
{
	if (cb_media_is_staff(caller->role)) {
		*kind = CB_PEER_KIND_HALL;
		return g_strdup(CB_MEDIA_HALL_ID);
	}
	if (caller->role == CB_ROLE_OPERATOR && caller->bridge_point_id > 0) {
		*kind = CB_PEER_KIND_BRIDGE_POINT;
		return g_strdup_printf(CB_MEDIA_BRIDGE_POINT_PREFIX "%" G_GINT64_FORMAT,
				       caller->bridge_point_id);
	}
	if (caller->role == CB_ROLE_CITIZEN) {
		*kind = CB_PEER_KIND_CITIZEN;
		return g_strdup(CB_MEDIA_CITIZEN_ID);
	}
	g_set_error_literal(error, CB_ERROR, CB_ERROR_FORBIDDEN, "this token may not publish");
	return NULL;
}

/* who may receive what: the hall (staff) anything; a bridge point the hall
 * and the floor; the citizen the hall */
static gboolean
cb_media_may_subscribe(const CbTokenRecord *caller, const char *slot, CbPeerKind *kind,
		       GError **error)
{
	if (cb_media_is_staff(caller->role)) {
		*kind = CB_PEER_KIND_VIEWER;
		return TRUE;
	}
	if (caller->role == CB_ROLE_OPERATOR) {
		*kind = CB_PEER_KIND_BRIDGE_POINT;
		if (g_str_equal(slot, CB_MEDIA_HALL_ID) || g_str_equal(slot, "floor"))
			return TRUE;
		g_set_error(error, CB_ERROR, CB_ERROR_FORBIDDEN,
			    "a bridge point receives the hall and the floor, not '%s'", slot);
		return FALSE;
	}
	if (caller->role == CB_ROLE_CITIZEN) {
		*kind = CB_PEER_KIND_CITIZEN;
		if (g_str_equal(slot, CB_MEDIA_HALL_ID))
			return TRUE;
		g_set_error(error, CB_ERROR, CB_ERROR_FORBIDDEN,
			    "a citizen receives the hall, not '%s'", slot);
		return FALSE;
	}
	g_set_error_literal(error, CB_ERROR, CB_ERROR_FORBIDDEN, "this token may not receive");
	return FALSE;
}

static const char *
cb_media_kind_name(CbPeerKind kind)
{
	switch (kind) {
	case CB_PEER_KIND_HALL:
		return "hall";
	case CB_PEER_KIND_BRIDGE_POINT:
		return "bridge_point";
	case CB_PEER_KIND_CITIZEN:
		return "citizen";
	case CB_PEER_KIND_VIEWER:
	default:
		return "viewer";
	}
}

static guint
cb_media_rooms_count_owned(CbMediaRooms *self, const char *owner)
{
	GHashTableIter iter;
	gpointer value;
	guint n = 0;

	g_hash_table_iter_init(&iter, self->handles);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		n += g_str_equal(((CbMediaPeer *)value)->info.owner, owner);
	return n;
}

/* a publisher id that is taken: by an orphan, a broken connection, or the
 * same owner, it is replaced; by a working peer of someone else, refused */
static gboolean
cb_media_room_take_publisher_id(CbMediaRoom *room, const char *id, const char *owner,
				GError **error)
{
	CbMediaPeer *old = g_hash_table_lookup(room->peers, id);

	if (old == NULL)
		return TRUE;
	if (old->info.orphaned || g_str_equal(old->info.owner, owner) ||
	    g_strcmp0(old->info.state, "failed") == 0 ||
	    g_strcmp0(old->info.state, "closed") == 0) {
		cb_media_peer_remove(room, old, "replaced");
		return TRUE;
	}
	g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
		    "'%s' is connected already; one connection publishes it", id);
	return FALSE;
}

const CbMediaPeerInfo *
cb_media_rooms_join(CbMediaRooms *self, const CbTokenRecord *caller, const char *owner,
		    const char *handle, gint64 session_id, gboolean publisher, const char *slot,
		    GError **error)
{
	CbMediaRoom *room;
	g_autofree char *key = NULL;
	g_autofree char *id = NULL;
	CbPeerKind kind = CB_PEER_KIND_VIEWER;
	CbMediaPeer *peer;

	if (handle == NULL || handle[0] == '\0' || strlen(handle) > CB_MEDIA_MAX_HANDLE_BYTES ||
	    !g_utf8_validate(handle, -1, NULL)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "a peer handle is 1 to %u bytes of UTF-8", CB_MEDIA_MAX_HANDLE_BYTES);
		return NULL;
	}
	room = cb_media_rooms_find(self, session_id, error);
	if (room == NULL)
		return NULL;
	if (caller->role == CB_ROLE_CITIZEN &&
	    !cb_media_rooms_citizen_admitted(self, room, caller, error))
		return NULL;
	key = cb_media_key(owner, handle);
	if (g_hash_table_contains(self->handles, key)) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "peer '%s' exists; leave it first or choose another", handle);
		return NULL;
	}
	if (cb_media_rooms_count_owned(self, owner) >= CB_MEDIA_MAX_PEERS_PER_OWNER) {
		g_set_error(error, CB_ERROR, CB_ERROR_TOO_LARGE,
			    "one connection holds at most %u peers", CB_MEDIA_MAX_PEERS_PER_OWNER);
		return NULL;
	}
	if (publisher) {
		id = cb_media_publisher_id(caller, &kind, error);
		if (id == NULL)
			return NULL;
		if (slot != NULL && !g_str_equal(slot, id)) {
			g_set_error(error, CB_ERROR, CB_ERROR_FORBIDDEN,
				    "this token publishes as '%s', not '%s'", id, slot);
			return NULL;
		}
		if (!cb_media_room_take_publisher_id(room, id, owner, error) ||
		    !cb_room_add_publisher(room->room, id, kind, error))
			return NULL;
	} else {
		if (slot == NULL) {
			g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
					    "a subscriber names the slot it receives");
			return NULL;
		}
		if (!cb_media_may_subscribe(caller, slot, &kind, error))
			return NULL;
		id = g_strdup_printf("s%u", self->next_serial++);
		if (!cb_room_add_subscriber(room->room, id, slot, kind, error))
			return NULL;
	}
	peer = g_new0(CbMediaPeer, 1);
	peer->room = room;
	peer->info.id = g_steal_pointer(&id);
	peer->info.owner = g_strdup(owner);
	peer->info.handle = g_strdup(handle);
	peer->info.session_id = session_id;
	peer->info.publisher = publisher;
	peer->info.slot = g_strdup(publisher ? peer->info.id : slot);
	peer->info.kind = cb_media_kind_name(kind);
	peer->info.bridge_point_id = caller->bridge_point_id;
	peer->info.ticket_id = caller->role == CB_ROLE_CITIZEN ? caller->ticket_id : 0;
	peer->info.state = "new";
	for (guint i = 0; i < G_N_ELEMENTS(peer->candidates); i++)
		peer->candidates[i] = g_ptr_array_new_with_free_func(g_free);
	g_hash_table_insert(room->peers, peer->info.id, peer);
	g_hash_table_insert(self->handles, g_steal_pointer(&key), peer);
	g_signal_emit(self, cb_media_rooms_signals[SIGNAL_PEER_EVENT], 0, session_id, &peer->info,
		      "joined", peer->info.slot);
	return &peer->info;
}

static CbMediaPeer *
cb_media_rooms_find_peer(CbMediaRooms *self, const char *owner, const char *handle, GError **error)
{
	g_autofree char *key = cb_media_key(owner, handle != NULL ? handle : "");
	CbMediaPeer *peer = g_hash_table_lookup(self->handles, key);

	if (peer == NULL)
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_FOUND, "no peer '%s'; join first",
			    handle != NULL ? handle : "");
	return peer;
}

const CbMediaPeerInfo *
cb_media_rooms_lookup(CbMediaRooms *self, const char *owner, const char *handle)
{
	CbMediaPeer *peer = cb_media_rooms_find_peer(self, owner, handle, NULL);

	return peer != NULL ? &peer->info : NULL;
}

gboolean
cb_media_rooms_offer(CbMediaRooms *self, const char *owner, const char *handle, const char *sdp,
		     GError **error)
{
	CbMediaPeer *peer = cb_media_rooms_find_peer(self, owner, handle, error);

	if (peer == NULL)
		return FALSE;
	if (!cb_room_set_remote_description(peer->room->room, peer->info.id, "offer", sdp, error))
		return FALSE;
	g_free(peer->info.offer);
	peer->info.offer = g_strdup(sdp);
	return TRUE;
}

gboolean
cb_media_rooms_candidate(CbMediaRooms *self, const char *owner, const char *handle, guint mline,
			 const char *candidate, GError **error)
{
	CbMediaPeer *peer = cb_media_rooms_find_peer(self, owner, handle, error);

	if (peer == NULL)
		return FALSE;
	return cb_room_add_remote_candidate(peer->room->room, peer->info.id, mline, candidate,
					    error);
}

gboolean
cb_media_rooms_leave(CbMediaRooms *self, const char *owner, const char *handle, GError **error)
{
	CbMediaPeer *peer = cb_media_rooms_find_peer(self, owner, handle, error);

	if (peer == NULL)
		return FALSE;
	cb_media_peer_remove(peer->room, peer, "left");
	return TRUE;
}

static gboolean
cb_media_peer_grace_cb(gpointer user_data)
{
	CbMediaPeer *peer = user_data;

	g_clear_pointer(&peer->grace, g_source_unref);
	cb_media_peer_remove(peer->room, peer, "gone");
	return G_SOURCE_REMOVE;
}

void
cb_media_rooms_release_owner(CbMediaRooms *self, const char *owner)
{
	g_autoptr(GPtrArray) owned = g_ptr_array_new();
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, self->handles);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		if (g_str_equal(((CbMediaPeer *)value)->info.owner, owner))
			g_ptr_array_add(owned, value);
	}
	for (guint i = 0; i < owned->len; i++) {
		CbMediaPeer *peer = g_ptr_array_index(owned, i);
		g_autofree char *key = cb_media_key(peer->info.owner, peer->info.handle);

		if (!peer->info.publisher || self->grace_seconds == 0) {
			cb_media_peer_remove(peer->room, peer, "left");
			continue;
		}
		/* an orphan: no owner can reach it; its slot waits for its return */
		g_hash_table_remove(self->handles, key);
		peer->info.orphaned = TRUE;
		peer->grace = g_timeout_source_new_seconds(self->grace_seconds);
		g_source_set_callback(peer->grace, cb_media_peer_grace_cb, peer, NULL);
		g_source_attach(peer->grace, g_main_context_get_thread_default());
		g_signal_emit(self, cb_media_rooms_signals[SIGNAL_PEER_EVENT], 0,
			      peer->info.session_id, &peer->info, "state", "dropped");
	}
}

/* ---- the full answer (WHIP) ---- */

/* the answer with the gathered candidates at the end of their media sections */
static char *
cb_media_peer_full_answer(CbMediaPeer *peer)
{
	g_auto(GStrv) lines = g_strsplit(peer->answer, "\n", -1);
	GString *out = g_string_new(NULL);
	gint section = -1;

	for (guint i = 0;; i++) {
		const char *line = lines[i] != NULL ? g_strchomp(lines[i]) : NULL;

		if (line != NULL && line[0] == '\0')
			continue;
		if (line == NULL || g_str_has_prefix(line, "m=")) {
			/* closes the section before */
			if (section >= 0 && (guint)section < G_N_ELEMENTS(peer->candidates)) {
				GPtrArray *cands = peer->candidates[section];
				for (guint c = 0; c < cands->len; c++) {
					const char *cand = g_ptr_array_index(cands, c);
					g_string_append_printf(
						out, "%s%s\r\n",
						g_str_has_prefix(cand, "a=") ? "" : "a=", cand);
				}
				if (peer->gathered)
					g_string_append(out, "a=end-of-candidates\r\n");
			}
			if (line == NULL)
				break;
			section++;
		}
		if (g_str_has_prefix(line, "a=candidate:") ||
		    g_str_equal(line, "a=end-of-candidates"))
			continue; /* written once, above */
		g_string_append_printf(out, "%s\r\n", line);
	}
	return g_string_free(out, FALSE);
}

static void
cb_media_peer_try_answer(CbMediaPeer *peer, gboolean timed_out)
{
	g_autofree char *sdp = NULL;
	CbMediaAnswerFunc func = peer->wait_func;

	if (func == NULL || peer->answer == NULL || (!peer->gathered && !timed_out) ||
	    peer->settle_timer != NULL)
		return;
	/* complete with no candidate yet: they are on their way (see above) */
	if (!timed_out && cb_media_peer_n_candidates(peer) == 0)
		return;
	sdp = cb_media_peer_full_answer(peer);
	func(sdp, NULL, peer->wait_data);
	cb_media_peer_stop_wait(peer, NULL);
}

static gboolean
cb_media_peer_wait_timeout_cb(gpointer user_data)
{
	CbMediaPeer *peer = user_data;

	g_clear_pointer(&peer->wait_timer, g_source_unref);
	if (peer->answer == NULL) {
		g_autoptr(GError) error = g_error_new_literal(CB_ERROR, CB_ERROR_UNAVAILABLE,
							      "the room made no answer in time");
		cb_media_peer_stop_wait(peer, error);
		return G_SOURCE_REMOVE;
	}
	g_warning("session %" G_GINT64_FORMAT ": peer %s: ICE gathering not complete in time; "
		  "answering with the candidates gathered so far",
		  peer->info.session_id, peer->info.id);
	cb_media_peer_try_answer(peer, TRUE);
	return G_SOURCE_REMOVE;
}

void
cb_media_rooms_wait_answer(CbMediaRooms *self, const char *owner, const char *handle,
			   guint timeout_ms, CbMediaAnswerFunc func, gpointer user_data,
			   GDestroyNotify destroy)
{
	g_autoptr(GError) error = NULL;
	CbMediaPeer *peer = cb_media_rooms_find_peer(self, owner, handle, &error);

	if (peer == NULL || peer->wait_func != NULL) {
		if (error == NULL)
			error = g_error_new_literal(CB_ERROR, CB_ERROR_CONFLICT,
						    "an answer is awaited already");
		func(NULL, error, user_data);
		if (destroy != NULL)
			destroy(user_data);
		return;
	}
	peer->wait_func = func;
	peer->wait_data = user_data;
	peer->wait_destroy = destroy;
	peer->wait_timer = g_timeout_source_new(timeout_ms);
	g_source_set_callback(peer->wait_timer, cb_media_peer_wait_timeout_cb, peer, NULL);
	g_source_attach(peer->wait_timer, g_main_context_get_thread_default());
	cb_media_peer_try_answer(peer, FALSE);
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
