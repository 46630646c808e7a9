#define G_LOG_DOMAIN "CbCtl"

#include <errno.h>
#include <stdio.h>

#include <gio/gio.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-json.h"

#include "cb-ctl.h"

gboolean
cb_ctl_write_stdout(const char *text, GError **error)
{
	/* g_print would convert to the locale's charset; JSON must stay UTF-8 */
	if (fputs(text, stdout) == EOF || fflush(stdout) != 0) {
		int saved = errno;
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved),
			    "cannot write to standard output: %s", g_strerror(saved));
		return FALSE;
	}
	return TRUE;
}

gboolean
cb_ctl_print_json(JsonNode *node, GError **error)
{
	g_autoptr(JsonGenerator) generator = json_generator_new();
	g_autofree char *text = NULL;
	g_autofree char *line = NULL;

	json_generator_set_pretty(generator, TRUE);
	json_generator_set_indent(generator, 2);
	json_generator_set_root(generator, node);
	text = json_generator_to_data(generator, NULL);
	line = g_strconcat(text, "\n", NULL);
	return cb_ctl_write_stdout(line, error);
}

char *
cb_ctl_member_text(JsonObject *object, const char *member)
{
	JsonNode *node = json_object_get_member(object, member);

	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return NULL;
	if (!JSON_NODE_HOLDS_VALUE(node))
		return cb_json_to_string(node);
	switch (json_node_get_value_type(node)) {
	case G_TYPE_STRING:
		return g_strdup(json_node_get_string(node));
	case G_TYPE_INT64:
		return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(node));
	case G_TYPE_BOOLEAN:
		return g_strdup(json_node_get_boolean(node) ? "true" : "false");
	default:
		return g_strdup_printf("%g", json_node_get_double(node));
	}
}

static gboolean
cb_ctl_unexpected(GError **error)
{
	g_set_error_literal(error, CB_ERROR, CB_ERROR_INTERNAL,
			    "civic-bridged gave an answer of an unexpected shape");
	return FALSE;
}

/* the cells of one object, in the order of @fields; a cell is NULL for no
 * value, so the array is freed by count, not as a GStrv */
static char **
cb_ctl_cells(JsonObject *object, const CbCtlField *fields, guint n_fields)
{
	char **cells = g_new0(char *, n_fields + 1);

	for (guint i = 0; i < n_fields; i++)
		cells[i] = cb_ctl_member_text(object, fields[i].member);
	return cells;
}

static void
cb_ctl_cells_free(char **cells, guint n_fields)
{
	for (guint i = 0; i < n_fields; i++)
		g_free(cells[i]);
	g_free(cells);
}

gboolean
cb_ctl_print_list(CbCtl *ctl, JsonNode *answer, const CbCtlField *fields, guint n_fields,
		  GError **error)
{
	g_autofree const char **headers = g_new0(const char *, n_fields + 1);
	g_autoptr(CbCtlTable) table = NULL;
	g_autofree char *text = NULL;
	JsonObject *root = JSON_NODE_HOLDS_OBJECT(answer) ? json_node_get_object(answer) : NULL;
	JsonArray *items = NULL;

	if (ctl->format == CB_CTL_FORMAT_JSON)
		return cb_ctl_print_json(answer, error);
	if (root != NULL && json_object_has_member(root, "items") &&
	    JSON_NODE_HOLDS_ARRAY(json_object_get_member(root, "items")))
		items = json_object_get_array_member(root, "items");
	if (items == NULL)
		return cb_ctl_unexpected(error);
	for (guint i = 0; i < n_fields; i++)
		headers[i] = fields[i].header;
	table = cb_ctl_table_new(headers);
	for (guint r = 0; r < json_array_get_length(items); r++) {
		JsonNode *item = json_array_get_element(items, r);
		char **cells;

		if (!JSON_NODE_HOLDS_OBJECT(item))
			return cb_ctl_unexpected(error);
		cells = cb_ctl_cells(json_node_get_object(item), fields, n_fields);
		cb_ctl_table_add_row(table, (const char *const *)cells);
		cb_ctl_cells_free(cells, n_fields);
	}
	text = cb_ctl_table_render(table);
	return cb_ctl_write_stdout(text, error);
}

gboolean
cb_ctl_print_object(CbCtl *ctl, JsonNode *answer, const CbCtlField *fields, guint n_fields,
		    GError **error)
{
	g_auto(GStrv) names = g_new0(char *, n_fields + 1);
	g_autofree char *text = NULL;
	char **cells;

	if (ctl->format == CB_CTL_FORMAT_JSON)
		return cb_ctl_print_json(answer, error);
	if (!JSON_NODE_HOLDS_OBJECT(answer))
		return cb_ctl_unexpected(error);
	for (guint i = 0; i < n_fields; i++)
		names[i] = g_ascii_strdown(fields[i].header, -1);
	cells = cb_ctl_cells(json_node_get_object(answer), fields, n_fields);
	text = cb_ctl_render_record((const char *const *)names, (const char *const *)cells);
	cb_ctl_cells_free(cells, n_fields);
	return cb_ctl_write_stdout(text, error);
}

gboolean
cb_ctl_call_print_object(CbCtl *ctl, const char *method, const char *path, JsonNode *body,
			 const CbCtlField *fields, guint n_fields, GError **error)
{
	CbCtlClient *client = cb_ctl_get_client(ctl, FALSE, error);
	g_autoptr(JsonNode) answer = NULL;

	if (client == NULL)
		return FALSE;
	answer = cb_ctl_client_call(client, method, path, body, error);
	return answer != NULL && cb_ctl_print_object(ctl, answer, fields, n_fields, error);
}

gboolean
cb_ctl_call_print_list(CbCtl *ctl, const char *path, const CbCtlField *fields, guint n_fields,
		       GError **error)
{
	CbCtlClient *client = cb_ctl_get_client(ctl, FALSE, error);
	g_autoptr(JsonNode) answer = NULL;

	if (client == NULL)
		return FALSE;
	answer = cb_ctl_client_call(client, "GET", path, NULL, error);
	return answer != NULL && cb_ctl_print_list(ctl, answer, fields, n_fields, error);
}

gboolean
cb_ctl_call_delete(CbCtl *ctl, const char *path, const char *done, GError **error)
{
	CbCtlClient *client = cb_ctl_get_client(ctl, FALSE, error);
	g_autoptr(JsonNode) answer = NULL;

	if (client == NULL)
		return FALSE;
	answer = cb_ctl_client_call(client, "DELETE", path, NULL, error);
	if (answer == NULL)
		return FALSE;
	if (ctl->format == CB_CTL_FORMAT_JSON)
		return TRUE;
	return cb_ctl_write_stdout(done, error);
}
