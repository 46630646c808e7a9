/* civic-bridge: the store, the only module that speaks SQL */
#pragma once

#include <glib-object.h>

#include "civic-bridge/cb-clock.h"
#include "civic-bridge/cb-records.h"
#include "civic-bridge/cb-reception-book-entry.h"
#include "civic-bridge/cb-ticket.h"
#include "civic-bridge/cb-series.h"

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
CbBridgePoint *cb_store_bridge_point_insert(CbStore *self, const CbActor *actor, const char *code,
					    const char *name, const char *district, GError **error);
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
CbTokenRecord *cb_store_token_find_by_hash(CbStore *self, const char *secret_hash, GError **error);
CbTokenRecord *cb_store_token_get(CbStore *self, gint64 id, GError **error);
GPtrArray *cb_store_token_list(CbStore *self, gboolean include_revoked, GError **error);
gboolean cb_store_token_revoke(CbStore *self, const CbActor *actor, gint64 id, GError **error);
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
				       CbSessionState from, CbSessionState to, const char *reason,
				       GError **error);
/* changes title, presiding and the three times to those of @changes */
CbSession *cb_store_session_update(CbStore *self, const CbActor *actor, gint64 id,
				   const CbSession *changes, GError **error);

/* series of sessions and their per-occurrence exceptions (cb-store-series.c);
 * writes are audited in the same transaction. The rule is checked by
 * cb_series_check() before it gets here. CB_ERROR_INVALID when a bridge
 * point invited does not exist. */
CbSeries *cb_store_series_insert(CbStore *self, const CbActor *actor, const CbSeries *spec,
				 GError **error);
CbSeries *cb_store_series_get(CbStore *self, gint64 id, GError **error);
GPtrArray *cb_store_series_list(CbStore *self, GError **error);
gboolean cb_store_series_count(CbStore *self, gint64 *count, GError **error);
/* the moved and cancelled occurrences of a series, by original start */
GPtrArray *cb_store_series_exception_list(CbStore *self, gint64 series_id, GError **error);
/* records that an occurrence (by its original start) moves to @new_start and,
 * in the same transaction, moves its session if it has one: CB_ERROR_CONFLICT
 * when the occurrence is cancelled or its session is no longer scheduled.
 * *@session (optional) gets the moved session, or stays NULL without one. */
CbSeriesException *cb_store_occurrence_move(CbStore *self, const CbActor *actor, gint64 series_id,
					    gint64 occurrence_start, gint64 new_start,
					    gint64 new_end, gint64 new_opens, const char *reason,
					    CbSession **session, GError **error);
/* records that an occurrence is cancelled and cancels its session (scheduled
 * or open) in the same transaction: CB_ERROR_CONFLICT when it is already
 * cancelled or its session is live or ended */
CbSeriesException *cb_store_occurrence_cancel(CbStore *self, const CbActor *actor, gint64 series_id,
					      gint64 occurrence_start, const char *reason,
					      CbSession **session, GError **error);

/* tickets of the waiting queue (cb-store-tickets.c, records in cb-ticket.h);
 * every write is audited and kept in the ticket's transition history in the
 * same transaction. Neither ever holds personal data. */
typedef struct {
	guint max_open_per_session;      /* 0: no limit */
	guint max_open_per_bridge_point; /* in one session; 0: no limit */
} CbTicketLimits;

/* @spec's id, state, arrival order, times and book fields are ignored: a new
 * ticket is waiting, last of its line. CB_ERROR_NOT_FOUND when its session or
 * bridge point does not exist; CB_ERROR_CONFLICT when its session is ended or
 * cancelled or a limit is reached. */
CbTicket *cb_store_ticket_insert(CbStore *self, const CbActor *actor, const CbTicket *spec,
				 const CbTicketLimits *limits, GError **error);
CbTicket *cb_store_ticket_get(CbStore *self, gint64 id, GError **error);

/* the line of tickets waiting for the next session, or the hall (no bridge point) */
#define CB_TICKET_FILTER_NONE (-1)

typedef struct {
	gint64 session_id;      /* 0: any; CB_TICKET_FILTER_NONE: the next session's */
	guint states;           /* CB_TICKET_STATE_MASK()s; 0: any */
	gint category;          /* a CbTicketCategory; -1: any */
	gint64 bridge_point_id; /* 0: any; CB_TICKET_FILTER_NONE: the hall's */
	gint64 after_id;        /* ids above this only */
	guint limit;            /* 0: no limit */
} CbTicketFilter;

#define CB_TICKET_FILTER_INIT                                                                      \
	{                                                                                          \
		0, 0, -1, 0, 0, 0                                                                  \
	}

/* by id */
GPtrArray *cb_store_ticket_list(CbStore *self, const CbTicketFilter *filter, GError **error);

typedef struct {
	guint from; /* the states it may leave: CB_TICKET_STATE_MASK()s */
	CbTicketState to;
	gint64 join_session_id;    /* > 0: the ticket moves into this session */
	const char *reason;        /* a code for the history and the audit; never personal */
	CbTicketHandling handling; /* to done or refused */
	const char *follow_up;     /* to done */
	const char *notes;         /* to done or refused */
	const char *refuse_reason; /* to refused: a code */
} CbTicketChange;

/* a compare-and-set decided inside the write transaction: CB_ERROR_CONFLICT,
 * naming the state the ticket is in, when it is in none of @change->from, or
 * when it would be admitted while another ticket of its session is */
CbTicket *cb_store_ticket_transition(CbStore *self, const CbActor *actor, gint64 id,
				     const CbTicketChange *change, GError **error);

/* puts waiting ticket @id just before waiting ticket @before_id of the same
 * line (@before_id 0: last), renumbering the line's arrival order; @reason is
 * audited. CB_ERROR_CONFLICT when either is not waiting in that line. */
CbTicket *cb_store_ticket_move(CbStore *self, const CbActor *actor, gint64 id, gint64 before_id,
			       const char *reason, GError **error);

/* the service times (admitted to finished, µs) of the @limit tickets of
 * @category finished last, newest first: a GArray of gint64 */
GArray *cb_store_ticket_service_times(CbStore *self, CbTicketCategory category, guint limit,
				      GError **error);

/* a ticket's transitions (CbTicketEvent), oldest first */
GPtrArray *cb_store_ticket_history(CbStore *self, gint64 ticket_id, GError **error);

/* the reception book (cb-store-reception-book.c, records in
 * cb-reception-book-entry.h): the tickets that became done or refused and
 * the rows imported from older books, read as one list */

/* called for each entry; the entry is valid during the call only. FALSE,
 * with @error set, stops the walk. */
typedef gboolean (*CbBookEntryFunc)(const CbBookEntry *entry, gpointer user_data, GError **error);
/* walks the entries with @from <= at < @to (0 leaves a bound open) by time,
 * a ticket before an imported row at the same time; @tickets_only leaves
 * the imported rows out */
gboolean cb_store_book_foreach(CbStore *self, gint64 from, gint64 to, gboolean tickets_only,
			       CbBookEntryFunc func, gpointer user_data, GError **error);
/* adds imported rows (CbBookEntry with a row_key; ticket_id and the bridge
 * point's name unused) in one transaction, audited with counts only. A row
 * whose row_key is in the book already is skipped; *@added counts the others. */
gboolean cb_store_book_import(CbStore *self, const CbActor *actor, GPtrArray *entries, guint *added,
			      GError **error);
/* the figures of the entries @filter selects, summed up by SQL */
CbBookSummary *cb_store_book_summarize(CbStore *self, const CbBookFilter *filter, GError **error);

/* records an action that changes nothing in the store but must be on the
 * record, such as a read of personal data (an export) */
gboolean cb_store_audit_record(CbStore *self, const CbActor *actor, const char *action,
			       const char *target, const char *detail, GError **error);

/* the audit log, newest first; @before_id 0 starts at the newest */
GPtrArray *cb_store_audit_list(CbStore *self, gint64 before_id, guint limit, GError **error);

/* the legal hold on a session's recordings (cb-store-recordings.c) */
/* *@held_at gets when the hold was set, or 0 when there is none */
gboolean cb_store_recording_hold_get(CbStore *self, gint64 session_id, gint64 *held_at,
				     GError **error);
/* the session ids on hold: a set of gint64 */
GHashTable *cb_store_recording_hold_list(CbStore *self, GError **error);
/* sets (@hold) or lifts the hold; *@changed says whether it was otherwise,
 * and only a change is audited */
gboolean cb_store_recording_hold_set(CbStore *self, const CbActor *actor, gint64 session_id,
				     gboolean hold, gboolean *changed, GError **error);

/* counts only, for /metrics (cb-store-counts.c) */
gboolean cb_store_session_count_in_state(CbStore *self, CbSessionState state, gint64 *count,
					 GError **error);
gboolean cb_store_ticket_count_in_state(CbStore *self, CbTicketState state, gint64 *count,
					GError **error);

G_END_DECLS
