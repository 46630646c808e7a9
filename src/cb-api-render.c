#define G_LOG_DOMAIN "CbHttp"

#include "civic-bridge/cb-clock.h"

#include "cb-api.h"

void
cb_api_add_string(JsonBuilder *builder, const char *name, const char *value)
{
	json_builder_set_member_name(builder, name);
	if (value == NULL)
		json_builder_add_null_value(builder);
	else
		json_builder_add_string_value(builder, value);
}

void
cb_api_add_int(JsonBuilder *builder, const char *name, gboolean present, gint64 value)
{
	json_builder_set_member_name(builder, name);
	if (present)
		json_builder_add_int_value(builder, value);
	else
		json_builder_add_null_value(builder);
}

void
cb_api_add_id(JsonBuilder *builder, const char *name, gint64 id)
{
	cb_api_add_int(builder, name, id != 0, id);
}

void
cb_api_add_time(JsonBuilder *builder, const char *name, gint64 time_us)
{
	g_autofree char *text = time_us != 0 ? cb_time_format_utc(time_us) : NULL;

	cb_api_add_string(builder, name, text);
}

JsonNode *
cb_api_render_bridge_point(const CbBridgePoint *bp)
{
	g_autoptr(JsonBuilder) builder = json_builder_new_immutable();

	json_builder_begin_object(builder);
	cb_api_add_id(builder, "id", bp->id);
	cb_api_add_string(builder, "code", bp->code);
	cb_api_add_string(builder, "name", bp->name);
	cb_api_add_string(builder, "district", bp->district);
	cb_api_add_time(builder, "created_at", bp->created_at);
	cb_api_add_time(builder, "updated_at", bp->updated_at);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

JsonNode *
cb_api_render_token(const CbTokenRecord *token, gint64 now, const char *secret)
{
	g_autoptr(JsonBuilder) builder = json_builder_new_immutable();
	const char *state = "live";

	if (token->revoked_at != 0)
		state = "revoked";
	else if (token->expires_at != 0 && token->expires_at <= now)
		state = "expired";
	json_builder_begin_object(builder);
	cb_api_add_id(builder, "id", token->id);
	cb_api_add_string(builder, "label", token->label);
	cb_api_add_string(builder, "role", cb_role_to_string(token->role));
	cb_api_add_id(builder, "bridge_point_id", token->bridge_point_id);
	cb_api_add_string(builder, "state", state);
	cb_api_add_time(builder, "created_at", token->created_at);
	cb_api_add_time(builder, "expires_at", token->expires_at);
	cb_api_add_time(builder, "revoked_at", token->revoked_at);
	/* the secret exists only in the answer to its creation */
	if (secret != NULL)
		cb_api_add_string(builder, "token", secret);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

JsonNode *
cb_api_render_audit_entry(const CbAuditEntry *entry)
{
	g_autoptr(JsonBuilder) builder = json_builder_new_immutable();

	json_builder_begin_object(builder);
	cb_api_add_id(builder, "id", entry->id);
	cb_api_add_time(builder, "at", entry->at);
	cb_api_add_id(builder, "actor_token_id", entry->actor_token_id);
	cb_api_add_string(builder, "actor_role", entry->actor_role);
	cb_api_add_string(builder, "via", entry->via);
	cb_api_add_string(builder, "action", entry->action);
	cb_api_add_string(builder, "target", entry->target);
	cb_api_add_string(builder, "detail", entry->detail);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

JsonNode *
cb_api_render_list(GPtrArray *items, JsonNode *(*render)(gconstpointer item))
{
	g_autoptr(JsonBuilder) builder = json_builder_new_immutable();

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "items");
	json_builder_begin_array(builder);
	for (guint i = 0; i < items->len; i++)
		json_builder_add_value(builder, render(g_ptr_array_index(items, i)));
	json_builder_end_array(builder);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

void
cb_api_reply(CbHttpRequest *request, guint status, gconstpointer record,
	     JsonNode *(*render)(gconstpointer record), const GError *error)
{
	if (record == NULL)
		cb_http_reply_error(request, error);
	else
		cb_http_reply_json(request, status, render(record));
}

void
cb_api_reply_list(CbHttpRequest *request, GPtrArray *items, JsonNode *(*render)(gconstpointer item),
		  const GError *error)
{
	if (items == NULL)
		cb_http_reply_error(request, error);
	else
		cb_http_reply_json(request, SOUP_STATUS_OK, cb_api_render_list(items, render));
}

void
cb_api_set_location(CbHttpRequest *request, const char *collection, gint64 id)
{
	g_autofree char *location = g_strdup_printf("%s/%" G_GINT64_FORMAT, collection, id);

	soup_message_headers_replace(soup_server_message_get_response_headers(request->msg),
				     "Location", location);
}
