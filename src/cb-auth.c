#define G_LOG_DOMAIN "CbAuth"

#include "civic-bridge/cb-auth.h"
#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-token.h"

const char *
cb_auth_bearer_from_header(const char *authorization)
{
	if (authorization == NULL || g_ascii_strncasecmp(authorization, "Bearer ", 7) != 0)
		return NULL;
	authorization += 7;
	while (*authorization == ' ')
		authorization++;
	return *authorization != '\0' ? authorization : NULL;
}

CbTokenRecord *
cb_auth_resolve(CbStore *store, CbClock *clock, const char *token, GError **error)
{
	g_autofree char *hash = NULL;
	g_autoptr(CbTokenRecord) record = NULL;
	g_autoptr(GError) local = NULL;

	if (token == NULL) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_UNAUTHENTICATED,
				    "this route needs an 'Authorization: Bearer TOKEN' header");
		return NULL;
	}
	if (!cb_token_is_well_formed(token)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_UNAUTHENTICATED,
				    "the bearer token is not a civic-bridge token");
		return NULL;
	}
	hash = cb_token_hash(token);
	record = cb_store_token_find_by_hash(store, hash, &local);
	if (record == NULL) {
		if (g_error_matches(local, CB_ERROR, CB_ERROR_NOT_FOUND))
			g_set_error_literal(error, CB_ERROR, CB_ERROR_UNAUTHENTICATED,
					    "the bearer token is not known");
		else
			g_propagate_error(error, g_steal_pointer(&local));
		return NULL;
	}
	/* the index found it; the constant-time compare is what decides */
	if (!cb_token_hash_equal(record->secret_hash, hash)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_UNAUTHENTICATED,
				    "the bearer token is not known");
		return NULL;
	}
	if (record->revoked_at != 0) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_UNAUTHENTICATED,
				    "the bearer token has been revoked");
		return NULL;
	}
	if (record->expires_at != 0 && record->expires_at <= cb_clock_now(clock)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_UNAUTHENTICATED,
				    "the bearer token has expired");
		return NULL;
	}
	return g_steal_pointer(&record);
}

static gboolean
cb_auth_check_binding(CbRole role, gint64 bridge_point_id, gint64 ticket_id, GError **error)
{
	if (role == CB_ROLE_OPERATOR && bridge_point_id == 0) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "an operator token must be bound to a bridge point");
		return FALSE;
	}
	if (role != CB_ROLE_OPERATOR && bridge_point_id != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "only operator tokens are bound to a bridge point, not %s tokens",
			    cb_role_to_string(role));
		return FALSE;
	}
	if (role == CB_ROLE_CITIZEN && ticket_id == 0) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "citizen tokens are issued with a ticket");
		return FALSE;
	}
	if (role != CB_ROLE_CITIZEN && ticket_id != 0) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "only citizen tokens belong to a ticket");
		return FALSE;
	}
	return TRUE;
}

CbTokenRecord *
cb_auth_issue_token(CbStore *store, const CbActor *actor, CbRole role, gint64 bridge_point_id,
		    gint64 ticket_id, const char *label, gint64 expires_at, char **secret,
		    GError **error)
{
	g_autofree char *text = NULL;
	g_autofree char *hash = NULL;
	CbTokenRecord *record;

	if (!cb_auth_check_binding(role, bridge_point_id, ticket_id, error))
		return NULL;
	text = cb_token_generate(error);
	if (text == NULL)
		return NULL;
	hash = cb_token_hash(text);
	record = cb_store_token_insert(store, actor, role, bridge_point_id, ticket_id, label,
				       expires_at, hash, error);
	if (record == NULL)
		return NULL;
	*secret = g_steal_pointer(&text);
	return record;
}
