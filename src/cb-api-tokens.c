#define G_LOG_DOMAIN "CbHttp"

#include "civic-bridge/cb-auth.h"
#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-json.h"

#include "cb-api.h"

#define CB_TOKEN_LABEL_MAX      200
#define CB_TOKEN_MAX_LIFETIME_S (10 * 365 * 24 * 3600LL)

static const char *const cb_token_fields[] = {"role", "label", "bridge_point_id",
					      "expires_in_seconds", NULL};

/* {"items": [...]} with each token's state as of @now */
static JsonNode *
cb_api_render_token_list(GPtrArray *list, gint64 now)
{
	JsonArray *items = json_array_sized_new(list->len);
	JsonObject *root = json_object_new();
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);

	for (guint i = 0; i < list->len; i++)
		json_array_add_element(items,
				       cb_api_render_token(g_ptr_array_index(list, i), now, NULL));
	json_object_set_array_member(root, "items", items);
	json_node_take_object(node, root);
	return node;
}

void
cb_api_tokens_list(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list = NULL;
	const char *all = cb_http_request_query(request, "all");
	gint64 now = cb_clock_now(cb_http_server_get_clock(request->server));

	list = cb_store_token_list(cb_http_server_get_store(request->server),
				   g_strcmp0(all, "true") == 0, &error);
	if (list == NULL) {
		cb_http_reply_error(request, error);
		return;
	}
	cb_http_reply_json(request, SOUP_STATUS_OK, cb_api_render_token_list(list, now));
}

typedef struct {
	CbRole role;
	const char *label;
	gint64 bridge_point_id;
	gint64 expires_at;
} CbTokenRequest;

static gboolean
cb_api_token_request_parse(JsonObject *body, gint64 now, CbTokenRequest *out, GError **error)
{
	const char *role = NULL;
	gboolean has_bp = FALSE, has_expiry = FALSE;
	gint64 expires_in = 0;

	if (!cb_json_check_members(body, cb_token_fields, error) ||
	    !cb_json_get_string(body, "role", TRUE, &role, error) ||
	    !cb_json_get_string(body, "label", FALSE, &out->label, error) ||
	    !cb_json_get_int(body, "bridge_point_id", FALSE, &has_bp, &out->bridge_point_id,
			     error) ||
	    !cb_json_get_int(body, "expires_in_seconds", FALSE, &has_expiry, &expires_in, error))
		return FALSE;
	if (!cb_role_from_string(role, &out->role)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "field 'role' must be admin, staff, operator or citizen");
		return FALSE;
	}
	if (out->label != NULL && g_utf8_strlen(out->label, -1) > CB_TOKEN_LABEL_MAX) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "field 'label' must have at most %d characters", CB_TOKEN_LABEL_MAX);
		return FALSE;
	}
	if (has_bp && out->bridge_point_id <= 0) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "field 'bridge_point_id' must be a positive id");
		return FALSE;
	}
	if (has_expiry && (expires_in < 60 || expires_in > CB_TOKEN_MAX_LIFETIME_S)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "field 'expires_in_seconds' must be from 60 to %lld",
			    CB_TOKEN_MAX_LIFETIME_S);
		return FALSE;
	}
	out->expires_at = has_expiry ? now + expires_in * G_USEC_PER_SEC : 0;
	return TRUE;
}

void
cb_api_tokens_create(CbHttpRequest *request)
{
	CbClock *clock = cb_http_server_get_clock(request->server);
	gint64 now = cb_clock_now(clock);
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTokenRecord) record = NULL;
	g_autofree char *secret = NULL;
	CbTokenRequest spec = {0};

	if (cb_api_token_request_parse(request->body, now, &spec, &error))
		record = cb_auth_issue_token(cb_http_server_get_store(request->server),
					     &request->actor, spec.role, spec.bridge_point_id, 0,
					     spec.label, spec.expires_at, &secret, &error);
	if (record == NULL) {
		/* a bridge point that does not exist is the request's fault */
		if (g_error_matches(error, CB_ERROR, CB_ERROR_NOT_FOUND))
			error->code = CB_ERROR_INVALID;
		cb_http_reply_error(request, error);
		return;
	}
	g_info("token %" G_GINT64_FORMAT " created for role %s", record->id,
	       cb_role_to_string(record->role));
	cb_api_set_location(request, "/api/v1/tokens", record->id);
	cb_http_reply_json(request, SOUP_STATUS_CREATED, cb_api_render_token(record, now, secret));
	explicit_bzero(secret, strlen(secret));
}

void
cb_api_tokens_revoke(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	gint64 id = 0;

	if (!cb_http_request_path_id(request, "id", &id, &error) ||
	    !cb_store_token_revoke(cb_http_server_get_store(request->server), &request->actor, id,
				   &error)) {
		cb_http_reply_error(request, error);
		return;
	}
	g_info("token %" G_GINT64_FORMAT " revoked", id);
	cb_http_reply_empty(request, SOUP_STATUS_NO_CONTENT);
}
