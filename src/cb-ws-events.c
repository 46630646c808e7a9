#define G_LOG_DOMAIN "CbWs"

#include "civic-bridge/cb-ws-events.h"

#include "civic-bridge/cb-media-rooms.h"

#include "cb-api-schedule.h"
#include "cb-api.h"

struct _CbWsEvents {
	GObject parent_instance;
	CbWsHub *hub;
	CbQueue *queue;
	CbSchedule *schedule;
	CbStore *store;
	CbMediaRooms *rooms; /* borrowed; NULL: no media */
	/* session id -> CbWsLine as it is now; replaced on every change of that
	 * line, so thousands of clients connecting between two changes cost one
	 * listing, not one each */
	GHashTable *lines;
	/* sessions whose line changed and is still to be pushed: the push runs
	 * from an idle source, after the answer of the request that changed
	 * the line, and once for several changes in a row */
	GHashTable *pending;
	GSource *push;
};

G_DEFINE_TYPE(CbWsEvents, cb_ws_events, G_TYPE_OBJECT)

/* one line of the queue as it is after a change, rendered once per kind of
 * viewer however many clients watch it */
typedef struct {
	gint64 session_id;
	CbSession *session;          /* NULL: the next session's line */
	GPtrArray *entries;          /* CbQueueEntry */
	GHashTable *tickets;         /* ticket id -> CbQueueEntry (borrowed from entries) */
	JsonNode *staff;             /* rendered on first use */
	GHashTable *by_bridge_point; /* bridge point id -> JsonNode */
	JsonNode *session_event;     /* for a session change */
} CbWsLine;

static void
cb_ws_line_free(CbWsLine *line)
{
	if (line->session != NULL)
		cb_session_free(line->session);
	g_ptr_array_unref(line->entries);
	g_hash_table_unref(line->tickets);
	g_clear_pointer(&line->staff, json_node_unref);
	g_hash_table_unref(line->by_bridge_point);
	g_clear_pointer(&line->session_event, json_node_unref);
	g_free(line);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbWsLine, cb_ws_line_free)

static CbWsLine *
cb_ws_line_load(CbWsEvents *self, gint64 session_id)
{
	g_autoptr(GError) error = NULL;
	CbWsLine *line;
	CbSession *session = NULL;
	GPtrArray *entries = cb_queue_list_session(self->queue, session_id, &session, &error);

	if (entries == NULL) {
		g_warning("cannot push the line of session %" G_GINT64_FORMAT ": %s", session_id,
			  error->message);
		return NULL;
	}
	line = g_new0(CbWsLine, 1);
	line->session_id = session_id;
	line->session = session;
	line->entries = entries;
	line->tickets = g_hash_table_new(g_int64_hash, g_int64_equal);
	line->by_bridge_point = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
						      (GDestroyNotify)json_node_unref);
	for (guint i = 0; i < entries->len; i++) {
		CbQueueEntry *entry = g_ptr_array_index(entries, i);
		g_hash_table_insert(line->tickets, &entry->ticket->id, entry);
	}
	return line;
}

/* the current line of @session_id, from the cache or the queue (borrowed) */
static CbWsLine *
cb_ws_events_line(CbWsEvents *self, gint64 session_id, gboolean fresh)
{
	CbWsLine *line = fresh ? NULL : g_hash_table_lookup(self->lines, &session_id);

	if (line != NULL)
		return line;
	line = cb_ws_line_load(self, session_id);
	if (line == NULL) {
		g_hash_table_remove(self->lines, &session_id);
		return NULL;
	}
	g_hash_table_replace(self->lines, &line->session_id, line);
	return line;
}

/* {"type": @type, @type: @payload (taken)} */
static JsonNode *
cb_ws_event(const char *type, JsonNode *payload)
{
	JsonObject *object = json_object_new();
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);

	json_object_set_string_member(object, "type", type);
	json_object_set_member(object, type, payload);
	json_node_take_object(node, object);
	return node;
}

/* the caller record a peer stands for, to ask the queue what it may see */
static CbTokenRecord
cb_ws_peer_caller(const CbWsPeer *peer)
{
	return (CbTokenRecord){.id = peer->token_id,
			       .role = peer->role,
			       .bridge_point_id = peer->bridge_point_id,
			       .ticket_id = peer->ticket_id};
}

static JsonNode *
cb_ws_line_render_queue(CbWsLine *line, const CbWsPeer *peer)
{
	CbTokenRecord caller = cb_ws_peer_caller(peer);
	const char *state =
		line->session != NULL ? cb_session_state_to_string(line->session->state) : NULL;
	JsonNode *node;

	if (peer->role == CB_ROLE_ADMIN || peer->role == CB_ROLE_STAFF) {
		if (line->staff == NULL)
			line->staff = cb_ws_event(
				"queue", cb_api_queue_render_list(line->entries, &caller,
								  line->session_id, state));
		return json_node_ref(line->staff);
	}
	node = g_hash_table_lookup(line->by_bridge_point, &peer->bridge_point_id);
	if (node == NULL) {
		node = cb_ws_event("queue", cb_api_queue_render_list(line->entries, &caller,
								     line->session_id, state));
		g_hash_table_insert(line->by_bridge_point,
				    g_memdup2(&peer->bridge_point_id, sizeof(gint64)), node);
	}
	return json_node_ref(node);
}

static JsonNode *
cb_ws_render_line_cb(const CbWsPeer *peer, gpointer user_data)
{
	CbWsLine *line = user_data;
	const CbQueueEntry *entry;

	if (peer->role == CB_ROLE_CITIZEN) {
		entry = g_hash_table_lookup(line->tickets, &peer->ticket_id);
		if (entry == NULL)
			return NULL;
		return cb_ws_event("ticket", cb_api_queue_render(entry, CB_TICKET_VIEW_OWN, NULL));
	}
	if (peer->session_id != line->session_id || line->session_id == 0)
		return NULL;
	return cb_ws_line_render_queue(line, peer);
}

static gboolean
cb_ws_events_push_cb(gpointer user_data)
{
	CbWsEvents *self = user_data;
	g_autoptr(GHashTable) pending = g_steal_pointer(&self->pending);
	GHashTableIter iter;
	gpointer key;

	self->pending = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	g_clear_pointer(&self->push, g_source_unref);
	g_hash_table_iter_init(&iter, pending);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		/* cached only if loaded after the change (by a greeting) */
		CbWsLine *line = cb_ws_events_line(self, *(gint64 *)key, FALSE);
		if (line != NULL)
			cb_ws_hub_publish(self->hub, cb_ws_render_line_cb, line);
	}
	return G_SOURCE_REMOVE;
}

static void
cb_ws_events_queue_changed_cb(CbQueue *queue, gint64 session_id, gpointer user_data)
{
	CbWsEvents *self = user_data;

	/* the cached line is stale now: a client greeted before the push gets
	 * the line as it is */
	g_hash_table_remove(self->lines, &session_id);
	/* nobody to tell (registrations before the waiting room fills): nothing
	 * to list */
	if (cb_ws_hub_get_count(self->hub) == 0)
		return;
	g_hash_table_add(self->pending, g_memdup2(&session_id, sizeof(session_id)));
	if (self->push != NULL)
		return;
	self->push = g_idle_source_new();
	g_source_set_callback(self->push, cb_ws_events_push_cb, self, NULL);
	g_source_attach(self->push, g_main_context_get_thread_default());
}

typedef struct {
	gint64 ticket_id;
	JsonNode *node;
} CbWsTicketEvent;

static JsonNode *
cb_ws_render_ticket_cb(const CbWsPeer *peer, gpointer user_data)
{
	CbWsTicketEvent *event = user_data;

	if (peer->role != CB_ROLE_CITIZEN || peer->ticket_id != event->ticket_id)
		return NULL;
	return json_node_ref(event->node);
}

/* the citizen's own ticket, wherever it went: done, refused, cancelled, deferred */
static JsonNode *
cb_ws_events_own_ticket(CbWsEvents *self, const CbWsPeer *peer)
{
	CbTokenRecord caller = cb_ws_peer_caller(peer);
	g_autoptr(GError) error = NULL;
	g_autoptr(CbQueueEntry) entry = cb_queue_get(self->queue, &caller, peer->ticket_id, &error);

	if (entry == NULL)
		return NULL;
	return cb_ws_event("ticket", cb_api_queue_render(entry, CB_TICKET_VIEW_OWN, NULL));
}

/* the same for a citizen who just connected: a ticket still in its line is
 * read from the cached line, so a waiting room filling up does not list the
 * line once per citizen */
static JsonNode *
cb_ws_events_greet_citizen(CbWsEvents *self, const CbWsPeer *peer)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTicket) ticket = cb_store_ticket_get(self->store, peer->ticket_id, &error);
	const CbQueueEntry *entry = NULL;
	CbWsLine *line;

	if (ticket != NULL && (CB_TICKET_OPEN_STATES & CB_TICKET_STATE_MASK(ticket->state))) {
		line = cb_ws_events_line(self, ticket->session_id, FALSE);
		if (line != NULL)
			entry = g_hash_table_lookup(line->tickets, &peer->ticket_id);
	}
	if (entry == NULL)
		return cb_ws_events_own_ticket(self, peer);
	return cb_ws_event("ticket", cb_api_queue_render(entry, CB_TICKET_VIEW_OWN, NULL));
}

static void
cb_ws_events_ticket_changed_cb(CbQueue *queue, gint64 ticket_id, gint64 session_id,
			       gpointer user_data)
{
	CbWsEvents *self = user_data;
	CbWsPeer owner = {.role = CB_ROLE_CITIZEN, .ticket_id = ticket_id};
	CbWsTicketEvent event = {.ticket_id = ticket_id};

	if (!cb_ws_hub_ticket_connected(self->hub, ticket_id))
		return;
	event.node = cb_ws_events_own_ticket(self, &owner);
	if (event.node == NULL)
		return;
	cb_ws_hub_publish(self->hub, cb_ws_render_ticket_cb, &event);
	json_node_unref(event.node);
}

static JsonNode *
cb_ws_render_session_cb(const CbWsPeer *peer, gpointer user_data)
{
	CbWsLine *line = user_data;

	if (peer->role == CB_ROLE_CITIZEN &&
	    !g_hash_table_contains(line->tickets, &peer->ticket_id))
		return NULL;
	return json_node_ref(line->session_event);
}

static void
cb_ws_events_session_changed_cb(CbSchedule *schedule, const CbSession *session,
				guint previous_state, gpointer user_data)
{
	CbWsEvents *self = user_data;
	CbWsLine *line = cb_ws_events_line(self, session->id, TRUE);
	/* the rooms follow the same signal first: recording has started or
	 * stopped with the change */
	CbSession shown = *session;

	if (line == NULL)
		return;
	shown.recording =
		self->rooms != NULL && cb_media_rooms_get_recording(self->rooms, session->id);
	line->session_event = cb_ws_event("session", cb_api_render_session(&shown));
	cb_ws_hub_publish(self->hub, cb_ws_render_session_cb, line);
}

/* the current state for a client that just authenticated or subscribed */
static JsonNode *
cb_ws_events_greet_cb(const CbWsPeer *peer, gpointer user_data)
{
	CbWsEvents *self = user_data;
	CbWsLine *line;

	if (peer->role == CB_ROLE_CITIZEN)
		return cb_ws_events_greet_citizen(self, peer);
	if (peer->session_id == 0)
		return NULL;
	line = cb_ws_events_line(self, peer->session_id, FALSE);
	return line != NULL ? cb_ws_line_render_queue(line, peer) : NULL;
}

static void
cb_ws_events_dispose(GObject *object)
{
	CbWsEvents *self = CB_WS_EVENTS(object);

	if (self->hub != NULL)
		cb_ws_hub_set_greeter(self->hub, NULL, NULL);
	g_clear_object(&self->hub);
	g_clear_object(&self->queue);
	g_clear_object(&self->schedule);
	g_clear_object(&self->store);
	g_hash_table_remove_all(self->lines);
	if (self->push != NULL) {
		g_source_destroy(self->push);
		g_clear_pointer(&self->push, g_source_unref);
	}
	G_OBJECT_CLASS(cb_ws_events_parent_class)->dispose(object);
}

static void
cb_ws_events_finalize(GObject *object)
{
	g_hash_table_unref(CB_WS_EVENTS(object)->lines);
	g_hash_table_unref(CB_WS_EVENTS(object)->pending);
	G_OBJECT_CLASS(cb_ws_events_parent_class)->finalize(object);
}

static void
cb_ws_events_class_init(CbWsEventsClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = cb_ws_events_dispose;
	object_class->finalize = cb_ws_events_finalize;
}

static void
cb_ws_events_init(CbWsEvents *self)
{
	self->lines = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL,
					    (GDestroyNotify)cb_ws_line_free);
	self->pending = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
}

CbWsEvents *
cb_ws_events_new(CbWsHub *hub, CbQueue *queue, CbSchedule *schedule, CbStore *store)
{
	CbWsEvents *self = g_object_new(CB_TYPE_WS_EVENTS, NULL);

	self->store = g_object_ref(store);
	self->hub = g_object_ref(hub);
	self->queue = g_object_ref(queue);
	self->schedule = g_object_ref(schedule);
	g_signal_connect_object(queue, "queue-changed", G_CALLBACK(cb_ws_events_queue_changed_cb),
				self, 0);
	g_signal_connect_object(queue, "ticket-changed", G_CALLBACK(cb_ws_events_ticket_changed_cb),
				self, 0);
	g_signal_connect_object(schedule, "session-changed",
				G_CALLBACK(cb_ws_events_session_changed_cb), self, 0);
	cb_ws_hub_set_greeter(hub, cb_ws_events_greet_cb, self);
	return self;
}

void
cb_ws_events_set_rooms(CbWsEvents *self, CbMediaRooms *rooms)
{
	self->rooms = rooms;
}
