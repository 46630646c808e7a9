#define G_LOG_DOMAIN "CbHttp"

#include "cb-api.h"

#define CB_AUDIT_PAGE_DEFAULT 100
#define CB_AUDIT_PAGE_MAX     1000

void
cb_api_audit_list(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) entries = NULL;
	guint64 limit = 0, before = 0;

	if (cb_http_request_query_uint(request, "limit", CB_AUDIT_PAGE_DEFAULT, CB_AUDIT_PAGE_MAX,
				       &limit, &error) &&
	    cb_http_request_query_uint(request, "before", 0, G_MAXINT64, &before, &error))
		entries = cb_store_audit_list(cb_http_server_get_store(request->server),
					      (gint64)before, (guint)limit, &error);
	cb_api_reply_list(request, entries, (gpointer)cb_api_render_audit_entry, error);
}
