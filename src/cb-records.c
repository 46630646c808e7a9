#define G_LOG_DOMAIN "CbRecords"

#include "civic-bridge/cb-records.h"

void
cb_bridge_point_free(CbBridgePoint *bp)
{
	if (bp == NULL)
		return;
	g_free(bp->code);
	g_free(bp->name);
	g_free(bp->district);
	g_free(bp);
}

void
cb_token_record_free(CbTokenRecord *token)
{
	if (token == NULL)
		return;
	g_free(token->label);
	g_free(token->secret_hash);
	g_free(token);
}

void
cb_audit_entry_free(CbAuditEntry *entry)
{
	if (entry == NULL)
		return;
	g_free(entry->actor_role);
	g_free(entry->via);
	g_free(entry->action);
	g_free(entry->target);
	g_free(entry->detail);
	g_free(entry);
}

void
cb_session_free(CbSession *session)
{
	if (session == NULL)
		return;
	g_free(session->title);
	g_free(session->presiding);
	g_free(session->cancel_reason);
	g_free(session);
}

CbSession *
cb_session_copy(const CbSession *session)
{
	CbSession *copy = g_memdup2(session, sizeof(*session));

	copy->title = g_strdup(session->title);
	copy->presiding = g_strdup(session->presiding);
	copy->cancel_reason = g_strdup(session->cancel_reason);
	return copy;
}

static const char *const cb_session_state_names[] = {
	[CB_SESSION_SCHEDULED] = "scheduled", [CB_SESSION_OPEN] = "open",
	[CB_SESSION_LIVE] = "live",           [CB_SESSION_ENDED] = "ended",
	[CB_SESSION_CANCELLED] = "cancelled",
};

static const char *const cb_session_kind_names[] = {
	[CB_SESSION_REGULAR] = "regular",
	[CB_SESSION_LEADERSHIP] = "leadership",
};

static gboolean
cb_records_lookup(const char *const *names, guint n, const char *text, guint *out)
{
	for (guint i = 0; text != NULL && i < n; i++) {
		if (g_str_equal(names[i], text)) {
			*out = i;
			return TRUE;
		}
	}
	return FALSE;
}

const char *
cb_session_state_to_string(CbSessionState state)
{
	return (guint)state < G_N_ELEMENTS(cb_session_state_names) ? cb_session_state_names[state]
								   : "unknown";
}

gboolean
cb_session_state_from_string(const char *text, CbSessionState *state)
{
	guint i;

	if (!cb_records_lookup(cb_session_state_names, G_N_ELEMENTS(cb_session_state_names), text,
			       &i))
		return FALSE;
	*state = (CbSessionState)i;
	return TRUE;
}

const char *
cb_session_kind_to_string(CbSessionKind kind)
{
	return (guint)kind < G_N_ELEMENTS(cb_session_kind_names) ? cb_session_kind_names[kind]
								 : "unknown";
}

gboolean
cb_session_kind_from_string(const char *text, CbSessionKind *kind)
{
	guint i;

	if (!cb_records_lookup(cb_session_kind_names, G_N_ELEMENTS(cb_session_kind_names), text,
			       &i))
		return FALSE;
	*kind = (CbSessionKind)i;
	return TRUE;
}
