#define G_LOG_DOMAIN "CbMedia"

/* who may join a room and as what (the routing rules), and the messages of
 * a joined peer: offer, candidates, leave; the grace period of a publisher
 * whose WebSocket closed */

#include <string.h>

#include "civic-bridge/cb-error.h"

#include "cb-media-rooms-private.h"

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
	/* [media] max-peers-per-connection; the browser console falls back on
	 * the number in this message to say why pictures are missing */
	if (cb_media_rooms_count_owned(self, owner) >= self->media.max_peers_per_owner) {
		g_set_error(error, CB_ERROR, CB_ERROR_TOO_LARGE,
			    "one connection holds at most %u peers",
			    self->media.max_peers_per_owner);
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

CbMediaPeer *
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
