#define G_LOG_DOMAIN "CbJson"

#include <math.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-json.h"

gboolean
cb_json_check_depth(const char *data, gsize len, guint max_depth, GError **error)
{
	guint depth = 0;
	gboolean in_string = FALSE;

	for (gsize i = 0; i < len; i++) {
		char c = data[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = FALSE;
			continue;
		}
		if (c == '"') {
			in_string = TRUE;
		} else if (c == '[' || c == '{') {
			if (++depth > max_depth) {
				g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
					    "JSON nests deeper than %u levels", max_depth);
				return FALSE;
			}
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return TRUE;
}

JsonObject *
cb_json_parse_object(const char *data, gsize len, guint max_depth, GError **error)
{
	g_autoptr(JsonParser) parser = NULL;
	g_autoptr(GError) local = NULL;
	JsonNode *root;

	if (len == 0) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "the request needs a JSON object as its body");
		return NULL;
	}
	if (!cb_json_check_depth(data, len, max_depth, error))
		return NULL;
	if (!g_utf8_validate(data, len, NULL)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID, "the body is not UTF-8");
		return NULL;
	}
	parser = json_parser_new_immutable();
	if (!json_parser_load_from_data(parser, data, len, &local)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID, "the body is not valid JSON: %s",
			    local->message);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "the body must be a JSON object");
		return NULL;
	}
	return json_object_ref(json_node_get_object(root));
}

gboolean
cb_json_check_members(JsonObject *object, const char *const *allowed, GError **error)
{
	g_autoptr(GList) members = json_object_get_members(object);

	for (GList *l = members; l != NULL; l = l->next) {
		if (!g_strv_contains(allowed, l->data)) {
			g_autofree char *known = g_strjoinv(", ", (char **)allowed);
			g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
				    "unknown field '%s' (known: %s)", (const char *)l->data, known);
			return FALSE;
		}
	}
	return TRUE;
}

/* an absent member: fine unless @required */
static gboolean
cb_json_absent(const char *member, gboolean required, GError **error)
{
	if (required)
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID, "field '%s' is required", member);
	return !required;
}

gboolean
cb_json_get_string(JsonObject *object, const char *member, gboolean required, const char **out,
		   GError **error)
{
	JsonNode *node = json_object_get_member(object, member);

	*out = NULL;
	if (node == NULL)
		return cb_json_absent(member, required, error);
	if (json_node_get_value_type(node) != G_TYPE_STRING) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID, "field '%s' must be a string",
			    member);
		return FALSE;
	}
	*out = json_node_get_string(node);
	return TRUE;
}

gboolean
cb_json_get_int(JsonObject *object, const char *member, gboolean required, gboolean *present,
		gint64 *out, GError **error)
{
	JsonNode *node = json_object_get_member(object, member);
	GType type;

	*present = FALSE;
	if (node == NULL)
		return cb_json_absent(member, required, error);
	type = json_node_get_value_type(node);
	if (type == G_TYPE_INT64) {
		*out = json_node_get_int(node);
	} else if (type == G_TYPE_DOUBLE) {
		double d = json_node_get_double(node);
		if (d != floor(d) || fabs(d) > 9007199254740992.0) {
			g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
				    "field '%s' must be a whole number", member);
			return FALSE;
		}
		*out = (gint64)d;
	} else {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID, "field '%s' must be a whole number",
			    member);
		return FALSE;
	}
	*present = TRUE;
	return TRUE;
}

char *
cb_json_to_string(JsonNode *node)
{
	g_autoptr(JsonGenerator) gen = json_generator_new();

	json_generator_set_root(gen, node);
	return json_generator_to_data(gen, NULL);
}
