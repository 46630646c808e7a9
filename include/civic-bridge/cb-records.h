/* civic-bridge: the plain records the store reads and writes */
#pragma once

#include <glib.h>

#include "civic-bridge/cb-role.h"

G_BEGIN_DECLS

/* times are µs since the epoch, UTC; 0 means "not set" */

typedef struct {
	gint64 id;
	char *code;	/* short unique code, e.g. "ba-dinh" */
	char *name;	/* shown to people: "Điểm cầu phường Ba Đình" */
	char *district; /* the district or ward it serves; may be NULL */
	gint64 created_at;
	gint64 updated_at;
} CbBridgePoint;

void cb_bridge_point_free(CbBridgePoint *bp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbBridgePoint, cb_bridge_point_free)

/* a credential: one token of one account; the secret itself is never stored */
typedef struct {
	gint64 id;
	gint64 account_id;
	char *label; /* what the admin called it: "IT desk", "Ba Dinh operator" */
	CbRole role;
	gint64 bridge_point_id; /* operators only; 0 otherwise */
	gint64 ticket_id;	/* citizens only; 0 otherwise */
	gint64 created_at;
	gint64 expires_at; /* 0: never */
	gint64 revoked_at; /* 0: live */
	char *secret_hash; /* hex SHA-256 */
} CbTokenRecord;

void cb_token_record_free(CbTokenRecord *token);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbTokenRecord, cb_token_record_free)

/* who did something, for the audit log */
typedef struct {
	gint64 token_id; /* 0 for the system or a local command */
	CbRole role;
	const char *via; /* "api", "cli", "system" */
} CbActor;

typedef struct {
	gint64 id;
	gint64 at;
	gint64 actor_token_id;
	char *actor_role;
	char *via;
	char *action; /* "bridge_point.create" */
	char *target; /* "bridge_point:4" */
	char *detail; /* never personal data, never a token */
} CbAuditEntry;

void cb_audit_entry_free(CbAuditEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbAuditEntry, cb_audit_entry_free)

G_END_DECLS
