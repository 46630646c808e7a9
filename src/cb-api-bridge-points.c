#define G_LOG_DOMAIN "CbHttp"

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-json.h"

#include "cb-api.h"

#define CB_BRIDGE_POINT_CODE_MAX 64
#define CB_BRIDGE_POINT_TEXT_MAX 200

static const char *const cb_bridge_point_fields[] = {"code", "name", "district", NULL};

static gboolean
cb_api_check_code(const char *code, GError **error)
{
	gsize len = strlen(code);

	if (len == 0 || len > CB_BRIDGE_POINT_CODE_MAX) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "field 'code' must have 1 to %d characters", CB_BRIDGE_POINT_CODE_MAX);
		return FALSE;
	}
	for (const char *p = code; *p != '\0'; p++) {
		if (!g_ascii_islower(*p) && !g_ascii_isdigit(*p) && *p != '-') {
			g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
					    "field 'code' may hold only a-z, 0-9 and '-'");
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
cb_api_check_text(const char *field, const char *text, gboolean may_be_empty, GError **error)
{
	g_autofree char *stripped = g_strstrip(g_strdup(text));

	if (!may_be_empty && stripped[0] == '\0') {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID, "field '%s' must not be empty",
			    field);
		return FALSE;
	}
	if (g_utf8_strlen(text, -1) > CB_BRIDGE_POINT_TEXT_MAX) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "field '%s' must have at most %d characters", field,
			    CB_BRIDGE_POINT_TEXT_MAX);
		return FALSE;
	}
	return TRUE;
}

/* reads and validates the fields; on create, code and name are required */
static gboolean
cb_api_bridge_point_fields(JsonObject *body, gboolean create, const char **code, const char **name,
			   const char **district, GError **error)
{
	if (!cb_json_check_members(body, cb_bridge_point_fields, error) ||
	    !cb_json_get_string(body, "code", create, code, error) ||
	    !cb_json_get_string(body, "name", create, name, error) ||
	    !cb_json_get_string(body, "district", FALSE, district, error))
		return FALSE;
	if (*code != NULL && !cb_api_check_code(*code, error))
		return FALSE;
	if (*name != NULL && !cb_api_check_text("name", *name, FALSE, error))
		return FALSE;
	if (*district != NULL && !cb_api_check_text("district", *district, TRUE, error))
		return FALSE;
	if (!create && *code == NULL && *name == NULL && *district == NULL) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "nothing to change: give code, name or district");
		return FALSE;
	}
	return TRUE;
}

void
cb_api_bridge_points_list(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list =
		cb_store_bridge_point_list(cb_http_server_get_store(request->server), &error);

	cb_api_reply_list(request, list, (gpointer)cb_api_render_bridge_point, error);
}

void
cb_api_bridge_points_get(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbBridgePoint) bp = NULL;
	gint64 id = 0;

	if (cb_http_request_path_id(request, "id", &id, &error))
		bp = cb_store_bridge_point_get(cb_http_server_get_store(request->server), id,
					       &error);
	cb_api_reply(request, SOUP_STATUS_OK, bp, (gpointer)cb_api_render_bridge_point, error);
}

void
cb_api_bridge_points_create(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbBridgePoint) bp = NULL;
	const char *code = NULL, *name = NULL, *district = NULL;

	if (cb_api_bridge_point_fields(request->body, TRUE, &code, &name, &district, &error))
		bp = cb_store_bridge_point_insert(cb_http_server_get_store(request->server),
						  &request->actor, code, name, district, &error);
	if (bp == NULL) {
		cb_http_reply_error(request, error);
		return;
	}
	g_info("bridge point %" G_GINT64_FORMAT " created", bp->id);
	cb_api_set_location(request, "/api/v1/bridge-points", bp->id);
	cb_http_reply_json(request, SOUP_STATUS_CREATED, cb_api_render_bridge_point(bp));
}

void
cb_api_bridge_points_update(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbBridgePoint) bp = NULL;
	const char *code = NULL, *name = NULL, *district = NULL;
	gint64 id = 0;

	if (cb_http_request_path_id(request, "id", &id, &error) &&
	    cb_api_bridge_point_fields(request->body, FALSE, &code, &name, &district, &error))
		bp = cb_store_bridge_point_update(cb_http_server_get_store(request->server),
						  &request->actor, id, code, name, district,
						  &error);
	cb_api_reply(request, SOUP_STATUS_OK, bp, (gpointer)cb_api_render_bridge_point, error);
}

void
cb_api_bridge_points_delete(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	gint64 id = 0;

	if (!cb_http_request_path_id(request, "id", &id, &error) ||
	    !cb_store_bridge_point_delete(cb_http_server_get_store(request->server),
					  &request->actor, id, &error)) {
		cb_http_reply_error(request, error);
		return;
	}
	g_info("bridge point %" G_GINT64_FORMAT " deleted", id);
	cb_http_reply_empty(request, SOUP_STATUS_NO_CONTENT);
}
