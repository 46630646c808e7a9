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
