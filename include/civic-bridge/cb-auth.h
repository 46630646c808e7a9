/* civic-bridge: turning a bearer token into a caller */
#pragma once

#include "civic-bridge/cb-store.h"

G_BEGIN_DECLS

/**
 * cb_auth_resolve:
 * @token: the bearer token text as the client sent it
 *
 * Finds the live token record for @token: well formed, known, not revoked,
 * not expired. The secret is hashed before the lookup and the stored hash is
 * compared in constant time. Errors are %CB_ERROR_UNAUTHENTICATED with a
 * message fit for the client (and free of the token), or %CB_ERROR_STORE.
 */
CbTokenRecord *cb_auth_resolve(CbStore *store, CbClock *clock, const char *token, GError **error);

/* the text after "Bearer " in an Authorization header, or NULL */
const char *cb_auth_bearer_from_header(const char *authorization);

/**
 * cb_auth_issue_token:
 * @bridge_point_id: the bridge point an operator is bound to; 0 for other roles
 * @ticket_id: the ticket a citizen holds; 0 for other roles
 * @expires_at: µs since the epoch, or 0 for a token that does not expire
 * @secret: (out): the token text, to be shown once and never stored
 *
 * Checks that the binding fits the role (an operator needs a bridge point, a
 * citizen a ticket, the others neither), creates a fresh secret and stores its
 * hash, audited as @actor.
 */
CbTokenRecord *cb_auth_issue_token(CbStore *store, const CbActor *actor, CbRole role,
				   gint64 bridge_point_id, gint64 ticket_id, const char *label,
				   gint64 expires_at, char **secret, GError **error);

G_END_DECLS
