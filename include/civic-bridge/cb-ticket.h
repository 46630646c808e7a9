/* civic-bridge: a citizen's ticket in the waiting queue, as the store keeps it */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * CbTicketState:
 *
 * `waiting -> called -> admitted -> done`, or `no_show` (called and no
 * answer in time), `cancelled` (by the citizen), `deferred` (to the next
 * session, keeping the place), `refused` (with a reason code). A deferred
 * ticket becomes waiting again when the next session opens.
 */
typedef enum {
	CB_TICKET_WAITING,
	CB_TICKET_CALLED,
	CB_TICKET_ADMITTED,
	CB_TICKET_DONE,
	CB_TICKET_NO_SHOW,
	CB_TICKET_CANCELLED,
	CB_TICKET_DEFERRED,
	CB_TICKET_REFUSED,
} CbTicketState;

#define CB_TICKET_N_STATES      8
#define CB_TICKET_STATE_MASK(s) (1u << (s))
/* the states of a ticket that is in a session's line */
#define CB_TICKET_OPEN_STATES                                                                      \
	(CB_TICKET_STATE_MASK(CB_TICKET_WAITING) | CB_TICKET_STATE_MASK(CB_TICKET_CALLED) |        \
	 CB_TICKET_STATE_MASK(CB_TICKET_ADMITTED))

typedef enum {
	CB_TICKET_CATEGORY_COMPLAINT,
	CB_TICKET_CATEGORY_DENUNCIATION, /* the citizen's identity is confidential */
	CB_TICKET_CATEGORY_RECOMMENDATION,
	CB_TICKET_CATEGORY_REFLECTION,
} CbTicketCategory;

#define CB_TICKET_N_CATEGORIES 4

/* every class but none is served before none */
typedef enum {
	CB_TICKET_PRIORITY_NONE,
	CB_TICKET_PRIORITY_ELDERLY,
	CB_TICKET_PRIORITY_DISABILITY,
	CB_TICKET_PRIORITY_PREGNANCY,
	CB_TICKET_PRIORITY_MERIT,
} CbTicketPriority;

typedef enum {
	CB_TICKET_CHANNEL_ONLINE,
	CB_TICKET_CHANNEL_WALK_IN,
} CbTicketChannel;

/* the reception book's handling direction; none until finished or refused */
typedef enum {
	CB_TICKET_HANDLING_NONE,
	CB_TICKET_HANDLING_ACCEPTED,
	CB_TICKET_HANDLING_GUIDED,
	CB_TICKET_HANDLING_FORWARDED,
	CB_TICKET_HANDLING_REFUSED,
} CbTicketHandling;

/* the most representatives a delegation names */
#define CB_TICKET_MAX_REPRESENTATIVES 5

/* times are µs since the epoch, UTC; 0 means "not set"; ids 0 mean NULL */
typedef struct {
	gint64 id;
	gint64 session_id; /* 0: waiting for the next session to open */
	CbTicketCategory category;
	char *summary;
	gint64 persons;
	char **representatives; /* NULL-terminated, or NULL for none (personal data) */
	gint64 bridge_point_id; /* 0: at the hall */
	CbTicketPriority priority;
	CbTicketChannel channel;
	/* personal data: never in logs, audit details or errors */
	char *citizen_name;
	char *address;
	char *id_number;
	char *contact;
	char *already_handled_by;
	CbTicketState state;
	char *refuse_reason; /* a code of [queue] refuse-reasons */
	CbTicketHandling handling;
	char *follow_up;
	char *notes;
	gint64 arrival_seq; /* order within a priority class */
	gint64 created_at;
	gint64 called_at;
	gint64 admitted_at;
	gint64 finished_at; /* done or refused */
	gint64 updated_at;
} CbTicket;

void cb_ticket_free(CbTicket *ticket);
CbTicket *cb_ticket_copy(const CbTicket *ticket);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbTicket, cb_ticket_free)

/* one entry of a ticket's transition history */
typedef struct {
	gint64 id;
	gint64 ticket_id;
	gint64 session_id; /* the session the ticket is in after the change; 0: none */
	gboolean has_from; /* FALSE for the creation */
	CbTicketState from;
	CbTicketState to;
	char *reason;          /* a code, never personal data */
	gint64 actor_token_id; /* 0: the system or a public registration */
	char *actor_role;
	char *via;
	gint64 at;
} CbTicketEvent;

void cb_ticket_event_free(CbTicketEvent *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbTicketEvent, cb_ticket_event_free)

const char *cb_ticket_state_to_string(CbTicketState state);
gboolean cb_ticket_state_from_string(const char *text, CbTicketState *state);
const char *cb_ticket_category_to_string(CbTicketCategory category);
gboolean cb_ticket_category_from_string(const char *text, CbTicketCategory *category);
const char *cb_ticket_priority_to_string(CbTicketPriority priority);
gboolean cb_ticket_priority_from_string(const char *text, CbTicketPriority *priority);
const char *cb_ticket_channel_to_string(CbTicketChannel channel);
gboolean cb_ticket_channel_from_string(const char *text, CbTicketChannel *channel);
/* NULL for CB_TICKET_HANDLING_NONE */
const char *cb_ticket_handling_to_string(CbTicketHandling handling);
gboolean cb_ticket_handling_from_string(const char *text, CbTicketHandling *handling);

/* whether no transition leaves @state */
gboolean cb_ticket_state_is_final(CbTicketState state);

G_END_DECLS
