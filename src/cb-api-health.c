#define G_LOG_DOMAIN "CbHttp"

#include "civic-bridge/cb-error.h"

#include "cb-api.h"

static JsonNode *
cb_api_status_node(const char *status)
{
	g_autoptr(JsonBuilder) builder = json_builder_new_immutable();

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "status");
	json_builder_add_string_value(builder, status);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

void
cb_api_healthz(CbHttpRequest *request)
{
	cb_http_reply_json(request, SOUP_STATUS_OK, cb_api_status_node("alive"));
}

void
cb_api_readyz(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;

	if (!cb_store_ping(cb_http_server_get_store(request->server), &error)) {
		g_warning("not ready: %s", error->message);
		cb_http_message_reply_error(request->msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
					    cb_error_code_name(CB_ERROR_UNAVAILABLE),
					    "the store is not answering");
		return;
	}
	cb_http_reply_json(request, SOUP_STATUS_OK, cb_api_status_node("ready"));
}

void
cb_api_me(CbHttpRequest *request)
{
	CbClock *clock = cb_http_server_get_clock(request->server);

	cb_http_reply_json(request, SOUP_STATUS_OK,
			   cb_api_render_token(request->caller, cb_clock_now(clock), NULL));
}
