/* civic-bridge: what the queue's files share; never included outside them */
#pragma once

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-failure-limiter.h"
#include "civic-bridge/cb-queue.h"

/* limits of the text fields, in characters */
#define CB_QUEUE_SUMMARY_MAX   2000
#define CB_QUEUE_NAME_MAX      200
#define CB_QUEUE_ADDRESS_MAX   500
#define CB_QUEUE_CONTACT_MAX   200
#define CB_QUEUE_HANDLED_MAX   500
#define CB_QUEUE_ID_NUMBER_MAX 20
#define CB_QUEUE_BOOK_TEXT_MAX 2000 /* follow-up and notes */
#define CB_QUEUE_REASON_MAX    200  /* a move's reason */

struct _CbQueue {
	GObject parent_instance;
	CbStore *store;
	CbClock *clock;
	CbFailureLimiter *registrations; /* public registrations per address */
	GHashTable *no_show_timers;      /* gint64 *ticket id -> clock timer id */

	/* [queue] */
	guint large_group_min;
	guint max_persons;
	guint call_timeout_seconds;
	char **refuse_reasons;
	gboolean round_robin;
	guint service_time_samples;
	guint default_service_minutes;
	CbTicketLimits limits;
};

/* emits ticket-changed and queue-changed for @ticket after a commit; the
 * line it left too when @old_session differs from its own */
void cb_queue_emit_changed(CbQueue *self, const CbTicket *ticket, gint64 old_session);

/* one info line with CB_TICKET_ID and CB_SESSION_ID fields; never personal data */
void cb_queue_log(const CbTicket *ticket, const char *what);

/* the text field @value (NULL or empty: absent) is at most @max characters;
 * the error names @field and never shows the value */
gboolean cb_queue_check_text(const char *field, const char *value, guint max, gboolean required,
			     GError **error);
