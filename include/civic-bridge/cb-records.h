/* civic-bridge: the plain records the store reads and writes */
#pragma once

#include <glib.h>

#include "civic-bridge/cb-role.h"

G_BEGIN_DECLS

/* times are µs since the epoch, UTC; 0 means "not set" */

typedef struct {
	gint64 id;
	char *code;     /* short unique code, e.g. "ba-dinh" */
	char *name;     /* shown to people: "Điểm cầu phường Ba Đình" */
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
	gint64 ticket_id;       /* citizens only; 0 otherwise */
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

typedef enum {
	CB_SESSION_SCHEDULED,
	CB_SESSION_OPEN, /* waiting room and queue open */
	CB_SESSION_LIVE, /* started by staff; the media room exists */
	CB_SESSION_ENDED,
	CB_SESSION_CANCELLED,
} CbSessionState;

typedef enum {
	CB_SESSION_REGULAR,
	CB_SESSION_LEADERSHIP, /* presided by the city's leadership; recorded */
} CbSessionKind;

/* one reception session: an occurrence of a series, or an ad-hoc one */
typedef struct {
	gint64 id;
	gint64 series_id;        /* 0: ad hoc */
	gint64 occurrence_start; /* the series' own start for this occurrence; 0: ad hoc */
	char *title;
	CbSessionKind kind;
	char *presiding; /* the presiding person's title, e.g. "Chủ tịch UBND Thành phố" */
	gint64 starts_at;
	gint64 ends_at;
	gint64 opens_at; /* when the waiting room and queue open */
	CbSessionState state;
	char *cancel_reason;
	gint64 created_at;
	gint64 updated_at;
	gboolean recording; /* not stored: the API fills it from the media rooms */
} CbSession;

void cb_session_free(CbSession *session);
CbSession *cb_session_copy(const CbSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbSession, cb_session_free)

const char *cb_session_state_to_string(CbSessionState state);
gboolean cb_session_state_from_string(const char *text, CbSessionState *state);
const char *cb_session_kind_to_string(CbSessionKind kind);
gboolean cb_session_kind_from_string(const char *text, CbSessionKind *kind);

G_END_DECLS
