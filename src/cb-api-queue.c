#define G_LOG_DOMAIN "CbHttp"

#include <string.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-json.h"
#include "civic-bridge/cb-queue.h"

#include "cb-api.h"

/* pages of GET /api/v1/tickets */
#define CB_API_TICKETS_DEFAULT_LIMIT 100
#define CB_API_TICKETS_MAX_LIMIT     1000

static const char *const cb_api_ticket_fields[] = {
	"session_id",
	"category",
	"summary",
	"persons",
	"representatives",
	"bridge_point_id",
	"priority",
	"channel",
	"citizen_name",
	"address",
	"id_number",
	"contact",
	"already_handled_by",
	NULL,
};

static CbQueue *
cb_api_queue(CbHttpRequest *request, GError **error)
{
	CbQueue *queue = cb_http_server_get_services(request->server)->queue;

	if (queue == NULL)
		g_set_error_literal(error, CB_ERROR, CB_ERROR_UNAVAILABLE,
				    "the waiting queue is not running");
	return queue;
}

/* --- rendering ------------------------------------------------------------ */

/* the members that say who the citizen is: left out, not nulled, for a
 * caller who may not see them */
static void
cb_api_queue_add_identity(JsonBuilder *builder, const CbTicket *ticket)
{
	cb_api_add_string(builder, "citizen_name", ticket->citizen_name);
	cb_api_add_string(builder, "address", ticket->address);
	cb_api_add_string(builder, "id_number", ticket->id_number);
	cb_api_add_string(builder, "contact", ticket->contact);
	json_builder_set_member_name(builder, "representatives");
	json_builder_begin_array(builder);
	for (guint i = 0; ticket->representatives != NULL && ticket->representatives[i] != NULL;
	     i++)
		json_builder_add_string_value(builder, ticket->representatives[i]);
	json_builder_end_array(builder);
}

/* the members of one ticket, into the object @builder has open */
static void
cb_api_queue_add_ticket(JsonBuilder *builder, const CbQueueEntry *entry, CbTicketView view)
{
	const CbTicket *t = entry->ticket;
	gboolean waiting = entry->position > 0;

	cb_api_add_int(builder, "id", TRUE, t->id);
	cb_api_add_id(builder, "session_id", t->session_id);
	cb_api_add_string(builder, "session_state",
			  entry->has_session ? cb_session_state_to_string(entry->session_state)
					     : NULL);
	cb_api_add_string(builder, "state", cb_ticket_state_to_string(t->state));
	cb_api_add_int(builder, "position", waiting, entry->position);
	cb_api_add_int(builder, "estimated_wait_seconds", waiting,
		       entry->estimated_wait / G_USEC_PER_SEC);
	cb_api_add_string(builder, "category", cb_ticket_category_to_string(t->category));
	cb_api_add_string(builder, "summary", t->summary);
	cb_api_add_int(builder, "persons", TRUE, t->persons);
	cb_api_add_id(builder, "bridge_point_id", t->bridge_point_id);
	cb_api_add_string(builder, "priority", cb_ticket_priority_to_string(t->priority));
	cb_api_add_string(builder, "channel", cb_ticket_channel_to_string(t->channel));
	if (cb_ticket_view_shows_identity(view, t))
		cb_api_queue_add_identity(builder, t);
	cb_api_add_string(builder, "already_handled_by", t->already_handled_by);
	cb_api_add_string(builder, "handling", cb_ticket_handling_to_string(t->handling));
	cb_api_add_string(builder, "refuse_reason", t->refuse_reason);
	cb_api_add_string(builder, "follow_up", t->follow_up);
	/* staff's notes are for the book: not for the citizen, nor for a bridge
	 * point when they are about a denouncer */
	if (view == CB_TICKET_VIEW_FULL ||
	    (view == CB_TICKET_VIEW_BRIDGE_POINT && cb_ticket_view_shows_identity(view, t)))
		cb_api_add_string(builder, "notes", t->notes);
	cb_api_add_time(builder, "created_at", t->created_at);
	cb_api_add_time(builder, "called_at", t->called_at);
	cb_api_add_time(builder, "answer_by", entry->answer_by);
	cb_api_add_time(builder, "admitted_at", t->admitted_at);
	cb_api_add_time(builder, "finished_at", t->finished_at);
	cb_api_add_time(builder, "updated_at", t->updated_at);
}

JsonNode *
cb_api_queue_render(const CbQueueEntry *entry, CbTicketView view, const char *token)
{
	g_autoptr(JsonBuilder) builder = json_builder_new_immutable();

	json_builder_begin_object(builder);
	cb_api_queue_add_ticket(builder, entry, view);
	/* a citizen's token exists only in the answer to the registration */
	if (token != NULL)
		cb_api_add_string(builder, "token", token);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

/* {"items": [...]}, each as @caller may see it; @session_id > 0 adds the
 * session and its state */
JsonNode *
cb_api_queue_render_list(GPtrArray *entries, const CbTokenRecord *caller, gint64 session_id,
			 const char *session_state)
{
	g_autoptr(JsonBuilder) builder = json_builder_new_immutable();

	json_builder_begin_object(builder);
	if (session_id > 0) {
		cb_api_add_int(builder, "session_id", TRUE, session_id);
		cb_api_add_string(builder, "session_state", session_state);
	}
	json_builder_set_member_name(builder, "items");
	json_builder_begin_array(builder);
	for (guint i = 0; i < entries->len; i++) {
		const CbQueueEntry *entry = g_ptr_array_index(entries, i);
		CbTicketView view;

		if (!cb_queue_view_for(caller, entry->ticket, &view))
			continue;
		json_builder_begin_object(builder);
		cb_api_queue_add_ticket(builder, entry, view);
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

/* answers with the ticket as the caller sees it now, with its place */
static void
cb_api_queue_reply_ticket(CbHttpRequest *request, CbQueue *queue, guint status, gint64 id)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbQueueEntry) entry = cb_queue_get(queue, request->caller, id, &error);
	CbTicketView view = CB_TICKET_VIEW_FULL;

	if (entry == NULL) {
		cb_http_reply_error(request, error);
		return;
	}
	cb_queue_view_for(request->caller, entry->ticket, &view);
	cb_http_reply_json(request, status, cb_api_queue_render(entry, view, NULL));
}

/* --- parsing ------------------------------------------------------------------ */

/* an optional string member; JSON null is the same as absent */
static gboolean
cb_api_queue_get_string(JsonObject *body, const char *member, const char **out, GError **error)
{
	JsonNode *node = json_object_get_member(body, member);

	*out = NULL;
	if (node != NULL && JSON_NODE_HOLDS_NULL(node))
		return TRUE;
	return cb_json_get_string(body, member, FALSE, out, error);
}

/* an optional positive id member; JSON null is the same as absent */
static gboolean
cb_api_queue_get_id(JsonObject *body, const char *member, gint64 *out, GError **error)
{
	JsonNode *node = json_object_get_member(body, member);
	gboolean present = FALSE;

	*out = 0;
	if (node != NULL && JSON_NODE_HOLDS_NULL(node))
		return TRUE;
	if (!cb_json_get_int(body, member, FALSE, &present, out, error))
		return FALSE;
	if (present && *out <= 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID, "field '%s' must be a positive id",
			    member);
		return FALSE;
	}
	return TRUE;
}

/* "representatives": an array of strings; borrowed from @body */
static gboolean
cb_api_queue_get_names(JsonObject *body, GPtrArray *names, GError **error)
{
	JsonNode *node = json_object_get_member(body, "representatives");
	JsonArray *array;

	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return TRUE;
	if (!JSON_NODE_HOLDS_ARRAY(node)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "field 'representatives' must be an array of names");
		return FALSE;
	}
	array = json_node_get_array(node);
	/* more than the most allowed is refused by the queue; no need to read on */
	for (guint i = 0; i < json_array_get_length(array) && i <= CB_TICKET_MAX_REPRESENTATIVES;
	     i++) {
		JsonNode *element = json_array_get_element(array, i);
		if (json_node_get_value_type(element) != G_TYPE_STRING) {
			g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
					    "field 'representatives' must be an array of names");
			return FALSE;
		}
		g_ptr_array_add(names, (gpointer)json_node_get_string(element));
	}
	return TRUE;
}

static gboolean
cb_api_queue_parse_request(JsonObject *body, CbTicketRequest *out, GPtrArray *names, GError **error)
{
	if (!cb_json_check_members(body, cb_api_ticket_fields, error) ||
	    !cb_api_queue_get_id(body, "session_id", &out->session_id, error) ||
	    !cb_api_queue_get_string(body, "category", &out->category, error) ||
	    !cb_api_queue_get_string(body, "summary", &out->summary, error) ||
	    !cb_json_get_int(body, "persons", FALSE, &out->has_persons, &out->persons, error) ||
	    !cb_api_queue_get_names(body, names, error) ||
	    !cb_api_queue_get_id(body, "bridge_point_id", &out->bridge_point_id, error) ||
	    !cb_api_queue_get_string(body, "priority", &out->priority, error) ||
	    !cb_api_queue_get_string(body, "channel", &out->channel, error) ||
	    !cb_api_queue_get_string(body, "citizen_name", &out->citizen_name, error) ||
	    !cb_api_queue_get_string(body, "address", &out->address, error) ||
	    !cb_api_queue_get_string(body, "id_number", &out->id_number, error) ||
	    !cb_api_queue_get_string(body, "contact", &out->contact, error) ||
	    !cb_api_queue_get_string(body, "already_handled_by", &out->already_handled_by, error))
		return FALSE;
	if (names->len > 0) {
		g_ptr_array_add(names, NULL);
		out->representatives = (const char *const *)names->pdata;
	}
	return TRUE;
}

/* --- registration ----------------------------------------------------------------- */

void
cb_api_register(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	g_autoptr(CbTicket) ticket = NULL;
	g_autoptr(CbQueueEntry) entry = NULL;
	g_autofree char *token = NULL;
	CbTicketRequest spec = {0};
	CbTokenRecord holder = {.role = CB_ROLE_CITIZEN};
	CbQueue *queue = cb_api_queue(request, &error);
	guint retry_after = 0;
	g_autofree char *address =
		cb_http_client_address(request->msg, cb_http_server_get_config(request->server));

	if (queue != NULL && cb_api_queue_parse_request(request->body, &spec, names, &error))
		ticket = cb_queue_register_public(queue, address, &spec, &token, &retry_after,
						  &error);
	if (ticket == NULL) {
		if (g_error_matches(error, CB_ERROR, CB_ERROR_RATE_LIMITED)) {
			g_autofree char *value = g_strdup_printf("%u", retry_after);
			soup_message_headers_replace(
				soup_server_message_get_response_headers(request->msg),
				"Retry-After", value);
		}
		cb_http_reply_error(request, error);
		return;
	}
	/* its place as the citizen will see it; the ticket is stored either way */
	holder.ticket_id = ticket->id;
	entry = cb_queue_get(queue, &holder, ticket->id, NULL);
	if (entry == NULL) {
		entry = g_new0(CbQueueEntry, 1);
		entry->ticket = g_steal_pointer(&ticket);
		entry->estimated_wait = -1;
	}
	cb_api_set_location(request, "/api/v1/tickets", entry->ticket->id);
	cb_http_reply_json(request, SOUP_STATUS_CREATED,
			   cb_api_queue_render(entry, CB_TICKET_VIEW_OWN, token));
	explicit_bzero(token, strlen(token));
}

void
cb_api_tickets_create(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	g_autoptr(CbTicket) ticket = NULL;
	CbTicketRequest spec = {0};
	CbQueue *queue = cb_api_queue(request, &error);

	if (queue != NULL && cb_api_queue_parse_request(request->body, &spec, names, &error))
		ticket = cb_queue_register(queue, request->caller, &request->actor, &spec, &error);
	if (ticket == NULL) {
		cb_http_reply_error(request, error);
		return;
	}
	cb_api_set_location(request, "/api/v1/tickets", ticket->id);
	cb_api_queue_reply_ticket(request, queue, SOUP_STATUS_CREATED, ticket->id);
}

/* --- reading -------------------------------------------------------------------------- */

/* "session" and "bridge_point": an id, or "next" / "hall" for none */
static gboolean
cb_api_queue_query_id(CbHttpRequest *request, const char *name, const char *none_word, gint64 *out,
		      GError **error)
{
	const char *text = cb_http_request_query(request, name);
	guint64 value = 0;

	*out = 0;
	if (text == NULL)
		return TRUE;
	if (g_str_equal(text, none_word)) {
		*out = CB_TICKET_FILTER_NONE;
		return TRUE;
	}
	if (!g_ascii_string_to_unsigned(text, 10, 1, G_MAXINT64, &value, NULL)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "query parameter '%s' must be an id or '%s'", name, none_word);
		return FALSE;
	}
	*out = (gint64)value;
	return TRUE;
}

/* "state": one state or several, comma-separated */
static gboolean
cb_api_queue_query_states(CbHttpRequest *request, guint *states, GError **error)
{
	const char *text = cb_http_request_query(request, "state");
	g_auto(GStrv) names = NULL;

	*states = 0;
	if (text == NULL)
		return TRUE;
	names = g_strsplit(text, ",", -1);
	for (guint i = 0; names[i] != NULL; i++) {
		CbTicketState state;
		if (!cb_ticket_state_from_string(names[i], &state)) {
			g_set_error_literal(
				error, CB_ERROR, CB_ERROR_INVALID,
				"query parameter 'state' must be waiting, called, "
				"admitted, done, no_show, cancelled, deferred or refused "
				"(several comma-separated)");
			return FALSE;
		}
		*states |= CB_TICKET_STATE_MASK(state);
	}
	return TRUE;
}

static gboolean
cb_api_queue_parse_filter(CbHttpRequest *request, CbTicketFilter *filter, GError **error)
{
	const char *category = cb_http_request_query(request, "category");
	guint64 after = 0, limit = 0;
	CbTicketCategory c;

	if (!cb_api_queue_query_id(request, "session", "next", &filter->session_id, error) ||
	    !cb_api_queue_query_id(request, "bridge_point", "hall", &filter->bridge_point_id,
				   error) ||
	    !cb_api_queue_query_states(request, &filter->states, error) ||
	    !cb_http_request_query_uint(request, "after", 0, G_MAXINT64, &after, error) ||
	    !cb_http_request_query_uint(request, "limit", CB_API_TICKETS_DEFAULT_LIMIT,
					CB_API_TICKETS_MAX_LIMIT, &limit, error))
		return FALSE;
	if (category != NULL && !cb_ticket_category_from_string(category, &c)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "query parameter 'category' must be complaint, denunciation, "
				    "recommendation or reflection");
		return FALSE;
	}
	filter->category = category != NULL ? (gint)c : -1;
	filter->after_id = (gint64)after;
	filter->limit = limit > 0 ? (guint)limit : CB_API_TICKETS_DEFAULT_LIMIT;
	return TRUE;
}

void
cb_api_tickets_list(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) entries = NULL;
	CbTicketFilter filter = CB_TICKET_FILTER_INIT;
	CbQueue *queue = cb_api_queue(request, &error);

	if (queue != NULL && cb_api_queue_parse_filter(request, &filter, &error))
		entries = cb_queue_list(queue, request->caller, &filter, &error);
	if (entries == NULL) {
		cb_http_reply_error(request, error);
		return;
	}
	cb_http_reply_json(request, SOUP_STATUS_OK,
			   cb_api_queue_render_list(entries, request->caller, 0, NULL));
}

void
cb_api_tickets_get(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	CbQueue *queue = cb_api_queue(request, &error);
	gint64 id = 0;

	if (queue == NULL || !cb_http_request_path_id(request, "id", &id, &error)) {
		cb_http_reply_error(request, error);
		return;
	}
	cb_api_queue_reply_ticket(request, queue, SOUP_STATUS_OK, id);
}

void
cb_api_me_ticket(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	CbQueue *queue = cb_api_queue(request, &error);

	if (queue == NULL) {
		cb_http_reply_error(request, error);
		return;
	}
	cb_api_queue_reply_ticket(request, queue, SOUP_STATUS_OK, request->caller->ticket_id);
}

void
cb_api_session_queue(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) entries = NULL;
	g_autoptr(CbSession) session = NULL;
	CbQueue *queue = cb_api_queue(request, &error);
	gint64 id = 0;

	if (queue != NULL && cb_http_request_path_id(request, "id", &id, &error))
		entries = cb_queue_list_session(queue, id, &session, &error);
	if (entries == NULL) {
		cb_http_reply_error(request, error);
		return;
	}
	cb_http_reply_json(request, SOUP_STATUS_OK,
			   cb_api_queue_render_list(entries, request->caller, id,
						    cb_session_state_to_string(session->state)));
}

/* --- transitions ---------------------------------------------------------------------- */

typedef CbTicket *(*CbApiQueueAction)(CbQueue *queue, const CbActor *actor, gint64 id,
				      GError **error);

static void
cb_api_queue_act(CbHttpRequest *request, CbApiQueueAction action)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTicket) ticket = NULL;
	CbQueue *queue = cb_api_queue(request, &error);
	gint64 id = 0;

	if (queue != NULL && cb_http_request_path_id(request, "id", &id, &error))
		ticket = action(queue, &request->actor, id, &error);
	if (ticket == NULL) {
		cb_http_reply_error(request, error);
		return;
	}
	cb_api_queue_reply_ticket(request, queue, SOUP_STATUS_OK, id);
}

void
cb_api_tickets_call(CbHttpRequest *request)
{
	cb_api_queue_act(request, cb_queue_call);
}

void
cb_api_tickets_admit(CbHttpRequest *request)
{
	cb_api_queue_act(request, cb_queue_admit);
}

void
cb_api_tickets_defer(CbHttpRequest *request)
{
	cb_api_queue_act(request, cb_queue_defer);
}

void
cb_api_tickets_cancel(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTicket) ticket = NULL;
	CbQueue *queue = cb_api_queue(request, &error);
	gint64 id = 0;

	if (queue != NULL && cb_http_request_path_id(request, "id", &id, &error))
		ticket = cb_queue_cancel(queue, request->caller, &request->actor, id, &error);
	if (ticket == NULL) {
		cb_http_reply_error(request, error);
		return;
	}
	cb_api_queue_reply_ticket(request, queue, SOUP_STATUS_OK, id);
}

static const char *const cb_api_finish_fields[] = {"handling", "follow_up", "notes", NULL};
static const char *const cb_api_refuse_fields[] = {"reason", "notes", NULL};
static const char *const cb_api_move_fields[] = {"before", "position", "reason", NULL};

void
cb_api_tickets_finish(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTicket) ticket = NULL;
	CbQueue *queue = cb_api_queue(request, &error);
	const char *handling = NULL, *follow_up = NULL, *notes = NULL;
	gint64 id = 0;

	if (queue != NULL && cb_http_request_path_id(request, "id", &id, &error) &&
	    cb_json_check_members(request->body, cb_api_finish_fields, &error) &&
	    cb_api_queue_get_string(request->body, "handling", &handling, &error) &&
	    cb_api_queue_get_string(request->body, "follow_up", &follow_up, &error) &&
	    cb_api_queue_get_string(request->body, "notes", &notes, &error))
		ticket = cb_queue_finish(queue, &request->actor, id, handling, follow_up, notes,
					 &error);
	if (ticket == NULL) {
		cb_http_reply_error(request, error);
		return;
	}
	cb_api_queue_reply_ticket(request, queue, SOUP_STATUS_OK, id);
}

void
cb_api_tickets_refuse(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTicket) ticket = NULL;
	CbQueue *queue = cb_api_queue(request, &error);
	const char *reason = NULL, *notes = NULL;
	gint64 id = 0;

	if (queue != NULL && cb_http_request_path_id(request, "id", &id, &error) &&
	    cb_json_check_members(request->body, cb_api_refuse_fields, &error) &&
	    cb_api_queue_get_string(request->body, "reason", &reason, &error) &&
	    cb_api_queue_get_string(request->body, "notes", &notes, &error))
		ticket = cb_queue_refuse(queue, &request->actor, id, reason, notes, &error);
	if (ticket == NULL) {
		cb_http_reply_error(request, error);
		return;
	}
	cb_api_queue_reply_ticket(request, queue, SOUP_STATUS_OK, id);
}

static gboolean
cb_api_queue_parse_move(JsonObject *body, gint64 *before, guint *position, const char **reason,
			GError **error)
{
	gboolean has_position = FALSE;
	gint64 place = 0;

	if (!cb_json_check_members(body, cb_api_move_fields, error) ||
	    !cb_api_queue_get_id(body, "before", before, error) ||
	    !cb_json_get_int(body, "position", FALSE, &has_position, &place, error) ||
	    !cb_api_queue_get_string(body, "reason", reason, error))
		return FALSE;
	if (has_position && (place < 1 || place > G_MAXINT32)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "field 'position' must be 1 or more");
		return FALSE;
	}
	*position = has_position ? (guint)place : 0;
	return TRUE;
}

void
cb_api_tickets_move(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTicket) ticket = NULL;
	CbQueue *queue = cb_api_queue(request, &error);
	const char *reason = NULL;
	gint64 id = 0, before = 0;
	guint position = 0;

	if (queue != NULL && cb_http_request_path_id(request, "id", &id, &error) &&
	    cb_api_queue_parse_move(request->body, &before, &position, &reason, &error))
		ticket =
			cb_queue_move(queue, &request->actor, id, before, position, reason, &error);
	if (ticket == NULL) {
		cb_http_reply_error(request, error);
		return;
	}
	cb_api_queue_reply_ticket(request, queue, SOUP_STATUS_OK, id);
}
