#define G_LOG_DOMAIN "CbStore"

/* counts for /metrics: how many sessions and tickets are in a state, and
 * nothing else about them (no names, no content) */

#include "cb-store-private.h"

gboolean
cb_store_session_count_in_state(CbStore *self, CbSessionState state, gint64 *count, GError **error)
{
	g_autoptr(CbStoreStmt) stmt =
		cb_store_prepare(self, "SELECT count(*) FROM sessions WHERE state = ?1", error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, cb_session_state_to_string(state), -1, SQLITE_STATIC);
	return cb_store_step_int64(self, stmt, "counting sessions", count, error);
}

gboolean
cb_store_ticket_count_in_state(CbStore *self, CbTicketState state, gint64 *count, GError **error)
{
	g_autoptr(CbStoreStmt) stmt =
		cb_store_prepare(self, "SELECT count(*) FROM tickets WHERE state = ?1", error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, cb_ticket_state_to_string(state), -1, SQLITE_STATIC);
	return cb_store_step_int64(self, stmt, "counting tickets", count, error);
}
