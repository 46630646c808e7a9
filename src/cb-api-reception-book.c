#define G_LOG_DOMAIN "CbHttp"

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-reception-book.h"

#include "cb-api.h"

static CbReceptionBook *
cb_api_book(CbHttpRequest *request, GError **error)
{
	CbReceptionBook *book = cb_http_server_get_services(request->server)->book;

	if (book == NULL)
		g_set_error_literal(error, CB_ERROR, CB_ERROR_UNAVAILABLE,
				    "the reception book is not available in this daemon");
	return book;
}

/* a query parameter not in @allowed (NULL-terminated) is a typo to report,
 * not something to ignore: a misspelt filter would widen a report silently */
static gboolean
cb_api_book_check_query(CbHttpRequest *request, const char *const *allowed, GError **error)
{
	GHashTableIter iter;
	gpointer name;

	if (request->query == NULL)
		return TRUE;
	g_hash_table_iter_init(&iter, request->query);
	while (g_hash_table_iter_next(&iter, &name, NULL)) {
		if (!g_strv_contains(allowed, name)) {
			g_autofree char *list = g_strjoinv(", ", (char **)allowed);
			g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
				    "unknown query parameter '%s'; this route takes %s",
				    (const char *)name, list);
			return FALSE;
		}
	}
	return TRUE;
}

/* --- GET /api/v1/reception-book.csv ---------------------------------------------- */

void
cb_api_reception_book_export(CbHttpRequest *request)
{
	static const char *const allowed[] = {"from", "to", NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) csv = NULL;
	CbReceptionBook *book = cb_api_book(request, &error);
	SoupMessageHeaders *headers = soup_server_message_get_response_headers(request->msg);

	if (book != NULL && cb_api_book_check_query(request, allowed, &error))
		csv = cb_reception_book_export_csv(book, cb_http_request_query(request, "from"),
						   cb_http_request_query(request, "to"), &error);
	/* the book holds personal data: who took a copy, and of which days, is on
	 * the record before the copy leaves */
	if (csv != NULL) {
		g_autofree char *detail =
			g_strdup_printf("from=%s to=%s", cb_http_request_query(request, "from") ?: "-",
					cb_http_request_query(request, "to") ?: "-");
		if (!cb_store_audit_record(cb_http_server_get_store(request->server),
					   &request->actor, "reception_book.export", NULL, detail,
					   &error))
			g_clear_pointer(&csv, g_bytes_unref);
	}
	if (csv == NULL) {
		cb_http_reply_error(request, error);
		return;
	}
	/* it holds personal data: no cache keeps a copy */
	soup_message_headers_replace(headers, "Cache-Control", "no-store");
	soup_message_headers_replace(headers, "X-Content-Type-Options", "nosniff");
	soup_message_headers_replace(headers, "Content-Disposition",
				     "attachment; filename=\"reception-book.csv\"");
	soup_message_headers_set_content_type(headers, "text/csv; charset=utf-8", NULL);
	soup_message_body_append_bytes(soup_server_message_get_response_body(request->msg), csv);
	soup_server_message_set_status(request->msg, SOUP_STATUS_OK, NULL);
}

/* --- POST /api/v1/reception-book/import --------------------------------------------- */

/* the body must say it is CSV, and UTF-8 if it names a charset at all */
static gboolean
cb_api_book_check_csv_type(CbHttpRequest *request, GError **error)
{
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(request->msg);
	g_autoptr(GHashTable) params = NULL;
	const char *type = soup_message_headers_get_content_type(headers, &params);
	const char *charset = params != NULL ? g_hash_table_lookup(params, "charset") : NULL;

	if (type == NULL || g_ascii_strcasecmp(type, "text/csv") != 0) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA_TYPE,
				    "the body must be sent as Content-Type: text/csv");
		return FALSE;
	}
	if (charset != NULL && g_ascii_strcasecmp(charset, "utf-8") != 0) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA_TYPE,
				    "the CSV must be UTF-8 (charset=utf-8)");
		return FALSE;
	}
	return TRUE;
}

/* the error shape with every bad row beside it:
 * {"error":{"code","message"},"rows":[{"line","reason"}...]} */
static JsonNode *
cb_api_render_import_error(const GError *error, GPtrArray *rows)
{
	g_autoptr(JsonBuilder) builder = json_builder_new_immutable();

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "error");
	json_builder_begin_object(builder);
	cb_api_add_string(builder, "code", cb_error_name(error));
	cb_api_add_string(builder, "message", error->message);
	json_builder_end_object(builder);
	json_builder_set_member_name(builder, "rows");
	json_builder_begin_array(builder);
	for (guint i = 0; i < rows->len; i++) {
		const CbBookRowError *row = g_ptr_array_index(rows, i);
		json_builder_begin_object(builder);
		cb_api_add_int(builder, "line", TRUE, row->line);
		cb_api_add_string(builder, "reason", row->reason);
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

static JsonNode *
cb_api_render_import_stats(const CbBookImportStats *stats)
{
	g_autoptr(JsonBuilder) builder = json_builder_new_immutable();

	json_builder_begin_object(builder);
	cb_api_add_int(builder, "rows", TRUE, stats->rows);
	cb_api_add_int(builder, "added", TRUE, stats->added);
	cb_api_add_int(builder, "already_present", TRUE, stats->already_present);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

/* the body is the route's own to read (json_body FALSE in the route table);
 * the early handler has refused a declared length over max-body-bytes */
static GBytes *
cb_api_book_read_body(CbHttpRequest *request, GError **error)
{
	SoupMessageBody *body = soup_server_message_get_request_body(request->msg);
	guint64 max = cb_http_server_get_config(request->server)->max_body_bytes;

	if (!cb_api_book_check_csv_type(request, error))
		return NULL;
	if ((guint64)body->length > max) {
		g_set_error(error, CB_ERROR, CB_ERROR_TOO_LARGE,
			    "the request body is larger than %" G_GUINT64_FORMAT
			    " bytes ([limits] max-body-bytes)",
			    max);
		return NULL;
	}
	return soup_message_body_flatten(body);
}

void
cb_api_reception_book_import(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) csv = NULL;
	g_autoptr(GPtrArray) rows = NULL;
	CbBookImportStats stats = {0};
	CbReceptionBook *book = cb_api_book(request, &error);
	gsize len = 0;
	const char *data;

	if (book != NULL)
		csv = cb_api_book_read_body(request, &error);
	if (csv == NULL) {
		cb_http_reply_error(request, error);
		return;
	}
	data = g_bytes_get_data(csv, &len);
	if (!cb_reception_book_import_csv(book, &request->actor, data != NULL ? data : "", len,
					  &stats, &rows, &error)) {
		if (rows != NULL)
			cb_http_reply_json(request, cb_error_http_status(error),
					   cb_api_render_import_error(error, rows));
		else
			cb_http_reply_error(request, error);
		return;
	}
	cb_http_reply_json(request, SOUP_STATUS_OK, cb_api_render_import_stats(&stats));
}

/* --- GET /api/v1/reports/summary ------------------------------------------------------ */

static void
cb_api_add_counts(JsonBuilder *builder, const char *name, GPtrArray *counts)
{
	json_builder_set_member_name(builder, name);
	json_builder_begin_object(builder);
	for (guint i = 0; i < counts->len; i++) {
		const CbBookCount *count = g_ptr_array_index(counts, i);
		cb_api_add_int(builder, count->name, TRUE, count->visits);
	}
	json_builder_end_object(builder);
}

static JsonNode *
cb_api_render_summary(const CbBookSummary *summary)
{
	g_autoptr(JsonBuilder) builder = json_builder_new_immutable();

	json_builder_begin_object(builder);
	cb_api_add_int(builder, "visits", TRUE, summary->visits);
	cb_api_add_int(builder, "citizens", TRUE, summary->citizens);
	cb_api_add_int(builder, "large_groups", TRUE, summary->large_groups);
	cb_api_add_int(builder, "large_group_citizens", TRUE, summary->large_group_citizens);
	cb_api_add_counts(builder, "by_category", summary->by_category);
	cb_api_add_counts(builder, "by_bridge_point", summary->by_bridge_point);
	cb_api_add_counts(builder, "by_handling", summary->by_handling);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

void
cb_api_reports_summary(CbHttpRequest *request)
{
	static const char *const allowed[] = {"from", "to", "kind", "bridge_point", NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(CbBookSummary) summary = NULL;
	CbReceptionBook *book = cb_api_book(request, &error);
	CbBookQuery query = {
		.from = cb_http_request_query(request, "from"),
		.to = cb_http_request_query(request, "to"),
		.kind = cb_http_request_query(request, "kind"),
		.bridge_point = cb_http_request_query(request, "bridge_point"),
		/* the running configuration: a reload changes it */
		.large_group_min = cb_http_server_get_config(request->server)->large_group_min,
	};

	if (book != NULL && cb_api_book_check_query(request, allowed, &error))
		summary = cb_reception_book_summarize(book, &query, &error);
	cb_api_reply(request, SOUP_STATUS_OK, summary, (gpointer)cb_api_render_summary, error);
}
