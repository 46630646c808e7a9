#define G_LOG_DOMAIN "CbQueue"

#include "civic-bridge/cb-ticket.h"

void
cb_ticket_free(CbTicket *ticket)
{
	if (ticket == NULL)
		return;
	g_free(ticket->summary);
	g_strfreev(ticket->representatives);
	g_free(ticket->citizen_name);
	g_free(ticket->address);
	g_free(ticket->id_number);
	g_free(ticket->contact);
	g_free(ticket->already_handled_by);
	g_free(ticket->refuse_reason);
	g_free(ticket->follow_up);
	g_free(ticket->notes);
	g_free(ticket);
}

CbTicket *
cb_ticket_copy(const CbTicket *ticket)
{
	CbTicket *copy = g_memdup2(ticket, sizeof(*ticket));

	copy->summary = g_strdup(ticket->summary);
	copy->representatives = g_strdupv(ticket->representatives);
	copy->citizen_name = g_strdup(ticket->citizen_name);
	copy->address = g_strdup(ticket->address);
	copy->id_number = g_strdup(ticket->id_number);
	copy->contact = g_strdup(ticket->contact);
	copy->already_handled_by = g_strdup(ticket->already_handled_by);
	copy->refuse_reason = g_strdup(ticket->refuse_reason);
	copy->follow_up = g_strdup(ticket->follow_up);
	copy->notes = g_strdup(ticket->notes);
	return copy;
}

void
cb_ticket_event_free(CbTicketEvent *event)
{
	if (event == NULL)
		return;
	g_free(event->reason);
	g_free(event->actor_role);
	g_free(event->via);
	g_free(event);
}

/* the names are those of the tickets table's CHECK constraints */
static const char *const cb_ticket_state_names[] = {
	[CB_TICKET_WAITING] = "waiting",   [CB_TICKET_CALLED] = "called",
	[CB_TICKET_ADMITTED] = "admitted", [CB_TICKET_DONE] = "done",
	[CB_TICKET_NO_SHOW] = "no_show",   [CB_TICKET_CANCELLED] = "cancelled",
	[CB_TICKET_DEFERRED] = "deferred", [CB_TICKET_REFUSED] = "refused",
};

static const char *const cb_ticket_category_names[] = {
	[CB_TICKET_CATEGORY_COMPLAINT] = "complaint",
	[CB_TICKET_CATEGORY_DENUNCIATION] = "denunciation",
	[CB_TICKET_CATEGORY_RECOMMENDATION] = "recommendation",
	[CB_TICKET_CATEGORY_REFLECTION] = "reflection",
};

static const char *const cb_ticket_priority_names[] = {
	[CB_TICKET_PRIORITY_NONE] = "none",
	[CB_TICKET_PRIORITY_ELDERLY] = "elderly",
	[CB_TICKET_PRIORITY_DISABILITY] = "disability",
	[CB_TICKET_PRIORITY_PREGNANCY] = "pregnancy",
	[CB_TICKET_PRIORITY_MERIT] = "merit",
};

static const char *const cb_ticket_channel_names[] = {
	[CB_TICKET_CHANNEL_ONLINE] = "online",
	[CB_TICKET_CHANNEL_WALK_IN] = "walk-in",
};

static const char *const cb_ticket_handling_names[] = {
	[CB_TICKET_HANDLING_NONE] = NULL,         [CB_TICKET_HANDLING_ACCEPTED] = "accepted",
	[CB_TICKET_HANDLING_GUIDED] = "guided",   [CB_TICKET_HANDLING_FORWARDED] = "forwarded",
	[CB_TICKET_HANDLING_REFUSED] = "refused",
};

static gboolean
cb_ticket_lookup(const char *const *names, guint n, const char *text, guint *out)
{
	for (guint i = 0; text != NULL && i < n; i++) {
		if (names[i] != NULL && g_str_equal(names[i], text)) {
			*out = i;
			return TRUE;
		}
	}
	return FALSE;
}

#define CB_TICKET_NAME(names, value) ((guint)(value) < G_N_ELEMENTS(names) ? names[value] : NULL)

#define CB_TICKET_PARSE(names, text, out, type)                                                    \
	G_STMT_START                                                                               \
	{                                                                                          \
		guint found_ = 0;                                                                  \
		if (!cb_ticket_lookup(names, G_N_ELEMENTS(names), text, &found_))                  \
			return FALSE;                                                              \
		*(out) = (type)found_;                                                             \
		return TRUE;                                                                       \
	}                                                                                          \
	G_STMT_END

const char *
cb_ticket_state_to_string(CbTicketState state)
{
	return CB_TICKET_NAME(cb_ticket_state_names, state);
}

gboolean
cb_ticket_state_from_string(const char *text, CbTicketState *state)
{
	CB_TICKET_PARSE(cb_ticket_state_names, text, state, CbTicketState);
}

const char *
cb_ticket_category_to_string(CbTicketCategory category)
{
	return CB_TICKET_NAME(cb_ticket_category_names, category);
}

gboolean
cb_ticket_category_from_string(const char *text, CbTicketCategory *category)
{
	CB_TICKET_PARSE(cb_ticket_category_names, text, category, CbTicketCategory);
}

const char *
cb_ticket_priority_to_string(CbTicketPriority priority)
{
	return CB_TICKET_NAME(cb_ticket_priority_names, priority);
}

gboolean
cb_ticket_priority_from_string(const char *text, CbTicketPriority *priority)
{
	CB_TICKET_PARSE(cb_ticket_priority_names, text, priority, CbTicketPriority);
}

const char *
cb_ticket_channel_to_string(CbTicketChannel channel)
{
	return CB_TICKET_NAME(cb_ticket_channel_names, channel);
}

gboolean
cb_ticket_channel_from_string(const char *text, CbTicketChannel *channel)
{
	CB_TICKET_PARSE(cb_ticket_channel_names, text, channel, CbTicketChannel);
}

const char *
cb_ticket_handling_to_string(CbTicketHandling handling)
{
	return CB_TICKET_NAME(cb_ticket_handling_names, handling);
}

gboolean
cb_ticket_handling_from_string(const char *text, CbTicketHandling *handling)
{
	CB_TICKET_PARSE(cb_ticket_handling_names, text, handling, CbTicketHandling);
}

gboolean
cb_ticket_state_is_final(CbTicketState state)
{
	return state == CB_TICKET_DONE || state == CB_TICKET_NO_SHOW ||
	       state == CB_TICKET_CANCELLED || state == CB_TICKET_REFUSED;
}
