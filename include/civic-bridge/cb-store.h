/* civic-bridge: the store, the only module that speaks SQL */
#pragma once

#include <glib-object.h>

#include "civic-bridge/cb-clock.h"
#include "civic-bridge/cb-records.h"

G_BEGIN_DECLS

#define CB_TYPE_STORE (cb_store_get_type())
G_DECLARE_FINAL_TYPE(CbStore, cb_store, CB, STORE, GObject)

/* the schema version this build writes */
guint cb_store_latest_version(void);

/**
 * cb_store_open:
 * @path: the database file; created (mode 0600) if missing
 * @clock: the clock that stamps rows
 *
 * Opens the store, checks it with `PRAGMA quick_check`, and migrates it to the
 * latest schema. A file that is not SQLite, a SQLite file of something else,
 * a corrupt file or one from a newer civic-bridge is refused with a message
 * that names it.
 */
CbStore *cb_store_open(const char *path, CbClock *clock, GError **error);

/* creates a store at an older schema version, to test migrations */
gboolean cb_store_create_at_version(const char *path, guint version, GError **error);

const char *cb_store_get_path(CbStore *self);
guint cb_store_get_schema_version(CbStore *self);

/* whether the store answers a query now (for /readyz) */
gboolean cb_store_ping(CbStore *self, GError **error);

/* bridge points; writes are audited in the same transaction */
GPtrArray *cb_store_bridge_point_list(CbStore *self, GError **error);
CbBridgePoint *cb_store_bridge_point_get(CbStore *self, gint64 id, GError **error);
CbBridgePoint *cb_store_bridge_point_insert(CbStore *self, const CbActor *actor,
					    const char *code, const char *name,
					    const char *district, GError **error);
/* NULL fields are left as they are; an empty @district clears it */
CbBridgePoint *cb_store_bridge_point_update(CbStore *self, const CbActor *actor, gint64 id,
					    const char *code, const char *name,
					    const char *district, GError **error);
gboolean cb_store_bridge_point_delete(CbStore *self, const CbActor *actor, gint64 id,
				      GError **error);

/* tokens: each creates its own account; the secret's hash only is stored */
CbTokenRecord *cb_store_token_insert(CbStore *self, const CbActor *actor, CbRole role,
				     gint64 bridge_point_id, gint64 ticket_id, const char *label,
				     gint64 expires_at, const char *secret_hash, GError **error);
/* CB_ERROR_NOT_FOUND when no token has this hash */
CbTokenRecord *cb_store_token_find_by_hash(CbStore *self, const char *secret_hash,
					   GError **error);
CbTokenRecord *cb_store_token_get(CbStore *self, gint64 id, GError **error);
GPtrArray *cb_store_token_list(CbStore *self, gboolean include_revoked, GError **error);
gboolean cb_store_token_revoke(CbStore *self, const CbActor *actor, gint64 id,
			       GError **error);
/* counts live (not revoked, not expired) tokens of @role */
gboolean cb_store_token_count_live(CbStore *self, CbRole role, guint *count, GError **error);
/* revokes every live admin token (for `init-admin --force`) */
gboolean cb_store_token_revoke_role(CbStore *self, const CbActor *actor, CbRole role,
				    GError **error);

/* sessions; writes are audited in the same transaction. @spec's id, state
 * times and stamps are ignored on insert: a new session is scheduled.
 * CB_ERROR_CONFLICT when the series already has a session for that occurrence. */
CbSession *cb_store_session_insert(CbStore *self, const CbActor *actor, const CbSession *spec,
				   GError **error);
CbSession *cb_store_session_get(CbStore *self, gint64 id, GError **error);
/* sessions overlapping [@from, @to) by start order; 0 leaves a bound open */
GPtrArray *cb_store_session_list(CbStore *self, gint64 from, gint64 to, GError **error);
/* sessions in @state, by start order */
GPtrArray *cb_store_session_list_in_state(CbStore *self, CbSessionState state, GError **error);
/* CB_ERROR_NOT_FOUND when the series has no session for that occurrence yet */
CbSession *cb_store_session_find_occurrence(CbStore *self, gint64 series_id,
					    gint64 occurrence_start, GError **error);
/* moves a session from @from to @to, atomically: CB_ERROR_CONFLICT, naming
 * the state it is in, when it is no longer in @from. @reason is kept for a
 * cancellation and written to the audit log. */
CbSession *cb_store_session_transition(CbStore *self, const CbActor *actor, gint64 id,
				       CbSessionState from, CbSessionState to,
				       const char *reason, GError **error);
/* changes title, presiding and the three times to those of @changes */
CbSession *cb_store_session_update(CbStore *self, const CbActor *actor, gint64 id,
				   const CbSession *changes, GError **error);

/* the audit log, newest first; @before_id 0 starts at the newest */
GPtrArray *cb_store_audit_list(CbStore *self, gint64 before_id, guint limit, GError **error);

G_END_DECLS
