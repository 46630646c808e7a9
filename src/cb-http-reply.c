#define G_LOG_DOMAIN "CbHttp"

#include <string.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-http-route.h"
#include "civic-bridge/cb-json.h"

static void
cb_http_message_set_json(SoupServerMessage *msg, guint status, char *text)
{
	SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);

	soup_message_headers_replace(headers, "Cache-Control", "no-store");
	soup_message_headers_replace(headers, "X-Content-Type-Options", "nosniff");
	soup_server_message_set_status(msg, status, NULL);
	soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_TAKE, text,
					 strlen(text));
}

char *
cb_http_error_body(const char *code, const char *message)
{
	g_autoptr(JsonBuilder) builder = json_builder_new_immutable();
	g_autoptr(JsonNode) root = NULL;

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "error");
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "code");
	json_builder_add_string_value(builder, code);
	json_builder_set_member_name(builder, "message");
	json_builder_add_string_value(builder, message);
	json_builder_end_object(builder);
	json_builder_end_object(builder);
	root = json_builder_get_root(builder);
	return cb_json_to_string(root);
}

void
cb_http_message_reply_error(SoupServerMessage *msg, guint status, const char *code,
			    const char *message)
{
	cb_http_message_set_json(msg, status, cb_http_error_body(code, message));
}

void
cb_http_reply_json(CbHttpRequest *request, guint status, JsonNode *node)
{
	cb_http_message_set_json(request->msg, status, cb_json_to_string(node));
	json_node_unref(node);
}

void
cb_http_reply_error(CbHttpRequest *request, const GError *error)
{
	guint status = cb_error_http_status(error);

	/* faults of our own are logged once here; the client gets no internals */
	if (status >= 500 && status != 503) {
		g_warning("%s %s failed: %s", soup_server_message_get_method(request->msg),
			  g_uri_get_path(soup_server_message_get_uri(request->msg)),
			  error->message);
		cb_http_message_reply_error(request->msg, status, cb_error_name(error),
					    "civic-bridge could not complete this request; the "
					    "fault is logged");
		return;
	}
	cb_http_message_reply_error(request->msg, status, cb_error_name(error), error->message);
}

void
cb_http_reply_empty(CbHttpRequest *request, guint status)
{
	soup_message_headers_replace(soup_server_message_get_response_headers(request->msg),
				     "Cache-Control", "no-store");
	soup_server_message_set_status(request->msg, status, NULL);
}

const char *
cb_http_request_query(CbHttpRequest *request, const char *name)
{
	return request->query != NULL ? g_hash_table_lookup(request->query, name) : NULL;
}

gboolean
cb_http_request_path_id(CbHttpRequest *request, const char *name, gint64 *id, GError **error)
{
	const char *text = g_hash_table_lookup(request->params, name);
	guint64 value = 0;

	if (text == NULL || !g_ascii_string_to_unsigned(text, 10, 1, G_MAXINT64, &value, NULL)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID, "'%s' is not a valid %s",
			    text != NULL ? text : "", name);
		return FALSE;
	}
	*id = (gint64)value;
	return TRUE;
}

gboolean
cb_http_request_query_uint(CbHttpRequest *request, const char *name, guint64 fallback, guint64 max,
			   guint64 *out, GError **error)
{
	const char *text =
		request->query != NULL ? g_hash_table_lookup(request->query, name) : NULL;

	if (text == NULL) {
		*out = fallback;
		return TRUE;
	}
	if (!g_ascii_string_to_unsigned(text, 10, 0, max, out, NULL)) {
		g_set_error(
			error, CB_ERROR, CB_ERROR_INVALID,
			"query parameter '%s' must be a whole number from 0 to %" G_GUINT64_FORMAT,
			name, max);
		return FALSE;
	}
	return TRUE;
}
