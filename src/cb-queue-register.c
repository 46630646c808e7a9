#define G_LOG_DOMAIN "CbQueue"

#include <string.h>

#include "civic-bridge/cb-auth.h"

#include "cb-queue-private.h"

/* a citizen's token lives as long as a ticket may wait for a monthly session */
#define CB_QUEUE_CITIZEN_TOKEN_DAYS 90

gboolean
cb_queue_check_text(const char *field, const char *value, guint max, gboolean required,
		    GError **error)
{
	g_autofree char *stripped = NULL;

	if (value == NULL || value[0] == '\0') {
		if (required)
			g_set_error(error, CB_ERROR, CB_ERROR_INVALID, "field '%s' is required",
				    field);
		return !required;
	}
	if (!g_utf8_validate(value, -1, NULL)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID, "field '%s' is not valid UTF-8",
			    field);
		return FALSE;
	}
	stripped = g_strstrip(g_strdup(value));
	if (stripped[0] == '\0') {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID, "field '%s' must not be blank",
			    field);
		return FALSE;
	}
	if (g_utf8_strlen(value, -1) > max) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "field '%s' must have at most %u characters", field, max);
		return FALSE;
	}
	return TRUE;
}

/* an ID card (12 digits), an old ID (9) or a passport number: letters and digits */
static gboolean
cb_queue_check_id_number(const char *value, GError **error)
{
	gsize len;

	if (value == NULL || value[0] == '\0')
		return TRUE;
	len = strlen(value);
	for (const char *p = value; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p)) {
			len = 0;
			break;
		}
	}
	if (len == 0 || len > CB_QUEUE_ID_NUMBER_MAX) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "field 'id_number' must be 1 to %d letters and digits",
			    CB_QUEUE_ID_NUMBER_MAX);
		return FALSE;
	}
	return TRUE;
}

static gboolean
cb_queue_check_people(CbQueue *self, const CbTicketRequest *request, CbTicket *spec, GError **error)
{
	guint n_representatives = 0;

	spec->persons = request->has_persons ? request->persons : 1;
	if (spec->persons < 1 || spec->persons > self->max_persons) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "field 'persons' must be from 1 to %u", self->max_persons);
		return FALSE;
	}
	if (request->representatives != NULL)
		n_representatives = g_strv_length((char **)request->representatives);
	if (n_representatives == 0)
		return TRUE;
	if (spec->persons < self->large_group_min) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "field 'representatives' is for a delegation of %u or more persons",
			    self->large_group_min);
		return FALSE;
	}
	if (n_representatives > CB_TICKET_MAX_REPRESENTATIVES) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "field 'representatives' may name at most %d people",
			    CB_TICKET_MAX_REPRESENTATIVES);
		return FALSE;
	}
	for (guint i = 0; i < n_representatives; i++) {
		if (!cb_queue_check_text("representatives", request->representatives[i],
					 CB_QUEUE_NAME_MAX, TRUE, error))
			return FALSE;
	}
	spec->representatives = g_strdupv((char **)request->representatives);
	return TRUE;
}

static gboolean
cb_queue_check_kinds(const CbTicketRequest *request, CbTicket *spec, GError **error)
{
	if (request->category == NULL ||
	    !cb_ticket_category_from_string(request->category, &spec->category)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "field 'category' is required: complaint, denunciation, "
				    "recommendation or reflection");
		return FALSE;
	}
	spec->priority = CB_TICKET_PRIORITY_NONE;
	if (request->priority != NULL &&
	    !cb_ticket_priority_from_string(request->priority, &spec->priority)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "field 'priority' must be none, elderly, disability, pregnancy "
				    "or merit");
		return FALSE;
	}
	if (request->channel != NULL &&
	    !cb_ticket_channel_from_string(request->channel, &spec->channel)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "field 'channel' must be online or walk-in");
		return FALSE;
	}
	return TRUE;
}

static char *
cb_queue_clean(const char *value)
{
	return value != NULL && value[0] != '\0' ? g_strstrip(g_strdup(value)) : NULL;
}

/* every field of @request checked, as a ticket to store; errors name the
 * field and never repeat what was in it */
static CbTicket *
cb_queue_check_request(CbQueue *self, const CbTicketRequest *request, CbTicketChannel channel,
		       GError **error)
{
	g_autoptr(CbTicket) spec = g_new0(CbTicket, 1);

	spec->channel = channel;
	if (!cb_queue_check_kinds(request, spec, error) ||
	    !cb_queue_check_text("summary", request->summary, CB_QUEUE_SUMMARY_MAX, TRUE, error) ||
	    !cb_queue_check_people(self, request, spec, error) ||
	    !cb_queue_check_text("citizen_name", request->citizen_name, CB_QUEUE_NAME_MAX, FALSE,
				 error) ||
	    !cb_queue_check_text("address", request->address, CB_QUEUE_ADDRESS_MAX, FALSE, error) ||
	    !cb_queue_check_id_number(request->id_number, error) ||
	    !cb_queue_check_text("contact", request->contact, CB_QUEUE_CONTACT_MAX, FALSE, error) ||
	    !cb_queue_check_text("already_handled_by", request->already_handled_by,
				 CB_QUEUE_HANDLED_MAX, FALSE, error))
		return NULL;
	if (request->session_id < 0 || request->bridge_point_id < 0) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    request->session_id < 0
					    ? "field 'session_id' must be a positive id"
					    : "field 'bridge_point_id' must be a positive id");
		return NULL;
	}
	spec->summary = g_strstrip(g_strdup(request->summary));
	spec->citizen_name = cb_queue_clean(request->citizen_name);
	spec->address = cb_queue_clean(request->address);
	spec->id_number = cb_queue_clean(request->id_number);
	spec->contact = cb_queue_clean(request->contact);
	spec->already_handled_by = cb_queue_clean(request->already_handled_by);
	spec->session_id = request->session_id;
	spec->bridge_point_id = request->bridge_point_id;
	return g_steal_pointer(&spec);
}

/* no session asked for: the live one, else the open one, else the next to open */
static gboolean
cb_queue_resolve_session(CbQueue *self, CbTicket *spec, GError **error)
{
	CbSessionState running[] = {CB_SESSION_LIVE, CB_SESSION_OPEN};

	if (spec->session_id != 0)
		return TRUE;
	for (gsize i = 0; i < G_N_ELEMENTS(running); i++) {
		g_autoptr(GPtrArray) sessions =
			cb_store_session_list_in_state(self->store, running[i], error);
		if (sessions == NULL)
			return FALSE;
		if (sessions->len > 0) {
			spec->session_id = ((CbSession *)g_ptr_array_index(sessions, 0))->id;
			return TRUE;
		}
	}
	return TRUE;
}

/* a session or bridge point that does not exist is the request's fault */
static CbTicket *
cb_queue_insert(CbQueue *self, const CbActor *actor, CbTicket *spec, GError **error)
{
	g_autoptr(GError) local = NULL;
	CbTicket *ticket;

	if (!cb_queue_resolve_session(self, spec, error))
		return NULL;
	ticket = cb_store_ticket_insert(self->store, actor, spec, &self->limits, &local);
	if (ticket == NULL) {
		if (g_error_matches(local, CB_ERROR, CB_ERROR_NOT_FOUND))
			g_set_error(error, CB_ERROR, CB_ERROR_INVALID, "field '%s': %s",
				    strstr(local->message, "bridge point") != NULL
					    ? "bridge_point_id"
					    : "session_id",
				    local->message);
		else
			g_propagate_error(error, g_steal_pointer(&local));
		return NULL;
	}
	return ticket;
}

CbTicket *
cb_queue_register(CbQueue *self, const CbTokenRecord *caller, const CbActor *actor,
		  const CbTicketRequest *request, GError **error)
{
	CbTicketRequest own = *request;
	g_autoptr(CbTicket) spec = NULL;
	CbTicket *ticket;

	g_return_val_if_fail(CB_IS_QUEUE(self), NULL);
	if (caller->role == CB_ROLE_CITIZEN) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_FORBIDDEN,
				    "citizens register through POST /api/v1/register");
		return NULL;
	}
	if (caller->role == CB_ROLE_OPERATOR) {
		if (request->bridge_point_id != 0 &&
		    request->bridge_point_id != caller->bridge_point_id) {
			g_set_error_literal(error, CB_ERROR, CB_ERROR_FORBIDDEN,
					    "an operator registers walk-in citizens at their own "
					    "bridge point only");
			return NULL;
		}
		if (request->channel != NULL && g_strcmp0(request->channel, "walk-in") != 0) {
			g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
					    "field 'channel': an operator registers walk-in "
					    "citizens only");
			return NULL;
		}
		own.bridge_point_id = caller->bridge_point_id;
	}
	spec = cb_queue_check_request(self, &own, CB_TICKET_CHANNEL_WALK_IN, error);
	if (spec == NULL)
		return NULL;
	ticket = cb_queue_insert(self, actor, spec, error);
	if (ticket == NULL)
		return NULL;
	cb_queue_log(ticket, "registered by staff or operator");
	cb_queue_emit_changed(self, ticket, ticket->session_id);
	return ticket;
}

/* the ticket is stored but its token could not be: the citizen could never
 * reach it, so it must not hold a place */
static void
cb_queue_withdraw(CbQueue *self, const CbTicket *ticket)
{
	static const CbActor system = {.via = "system"};
	CbTicketChange change = {
		.from = CB_TICKET_STATE_MASK(CB_TICKET_WAITING),
		.to = CB_TICKET_CANCELLED,
		.reason = "registration-failed",
	};
	g_autoptr(CbTicket) cancelled = NULL;
	g_autoptr(GError) error = NULL;

	cancelled = cb_store_ticket_transition(self->store, &system, ticket->id, &change, &error);
	if (cancelled == NULL)
		g_warning("ticket %" G_GINT64_FORMAT " has no token and could not be withdrawn: %s",
			  ticket->id, error->message);
}

static gboolean
cb_queue_check_rate(CbQueue *self, const char *address, guint *retry_after, GError **error)
{
	guint wait = 0;

	if (cb_failure_limiter_check(self->registrations, address, &wait))
		return TRUE;
	if (retry_after != NULL)
		*retry_after = wait;
	g_set_error(error, CB_ERROR, CB_ERROR_RATE_LIMITED,
		    "too many registrations from this address; retry in %u s", wait);
	return FALSE;
}

CbTicket *
cb_queue_register_public(CbQueue *self, const char *address, const CbTicketRequest *request,
			 char **token, guint *retry_after, GError **error)
{
	static const CbActor public_actor = {.via = "api"};
	g_autoptr(CbTicket) spec = NULL;
	g_autoptr(CbTicket) ticket = NULL;
	g_autoptr(CbTokenRecord) record = NULL;
	g_autofree char *label = NULL;
	gint64 expires;

	g_return_val_if_fail(CB_IS_QUEUE(self), NULL);
	if (!cb_queue_check_rate(self, address != NULL ? address : "unknown", retry_after, error))
		return NULL;
	if (request->channel != NULL && g_strcmp0(request->channel, "online") != 0) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "field 'channel': a citizen registers online; walk-ins are "
				    "registered at the desk");
		return NULL;
	}
	spec = cb_queue_check_request(self, request, CB_TICKET_CHANNEL_ONLINE, error);
	if (spec == NULL)
		return NULL;
	ticket = cb_queue_insert(self, &public_actor, spec, error);
	if (ticket == NULL)
		return NULL;
	cb_failure_limiter_record(self->registrations, address != NULL ? address : "unknown");
	label = g_strdup_printf("ticket %" G_GINT64_FORMAT, ticket->id);
	expires = cb_clock_now(self->clock) +
		  (gint64)CB_QUEUE_CITIZEN_TOKEN_DAYS * 24 * 3600 * G_USEC_PER_SEC;
	record = cb_auth_issue_token(self->store, &public_actor, CB_ROLE_CITIZEN, 0, ticket->id,
				     label, expires, token, error);
	if (record == NULL) {
		cb_queue_withdraw(self, ticket);
		return NULL;
	}
	cb_queue_log(ticket, "registered online");
	cb_queue_emit_changed(self, ticket, ticket->session_id);
	return g_steal_pointer(&ticket);
}
