#define G_LOG_DOMAIN "CbCtl"

#include "civic-bridge/cb-error.h"

#include "cb-ctl.h"

/* what an answer says: {"status"} when well, "code: message" when not */
static char *
cb_ctl_health_state(JsonNode *answer)
{
	JsonObject *root = answer != NULL && JSON_NODE_HOLDS_OBJECT(answer)
				   ? json_node_get_object(answer)
				   : NULL;
	JsonObject *detail = NULL;

	if (root == NULL)
		return NULL;
	if (json_object_has_member(root, "status"))
		return cb_ctl_member_text(root, "status");
	if (json_object_has_member(root, "error") &&
	    JSON_NODE_HOLDS_OBJECT(json_object_get_member(root, "error")))
		detail = json_object_get_object_member(root, "error");
	if (detail == NULL)
		return NULL;
	return g_strdup_printf("%s: %s",
			       json_object_get_string_member_with_default(detail, "code", "?"),
			       json_object_get_string_member_with_default(detail, "message", "?"));
}

/* {"healthz":{"http_status":200,"answer":{...}},"readyz":{...}} */
static void
cb_ctl_health_add_json(JsonBuilder *builder, const char *check, guint status, JsonNode *answer)
{
	json_builder_set_member_name(builder, check);
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "http_status");
	json_builder_add_int_value(builder, status);
	json_builder_set_member_name(builder, "answer");
	if (answer != NULL)
		json_builder_add_value(builder, json_node_copy(answer));
	else
		json_builder_add_null_value(builder);
	json_builder_end_object(builder);
}

static gboolean
cb_ctl_health_print(CbCtl *ctl, const char *const *checks, const guint *status, JsonNode **answers,
		    GError **error)
{
	static const char *const headers[] = {"CHECK", "HTTP", "STATE", NULL};
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(CbCtlTable) table = cb_ctl_table_new(headers);
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text = NULL;

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "url");
	json_builder_add_string_value(builder, ctl->url);
	for (guint i = 0; checks[i] != NULL; i++) {
		g_autofree char *code = g_strdup_printf("%u", status[i]);
		g_autofree char *state = cb_ctl_health_state(answers[i]);
		const char *cells[] = {checks[i], code, state};

		cb_ctl_health_add_json(builder, checks[i], status[i], answers[i]);
		cb_ctl_table_add_row(table, cells);
	}
	json_builder_end_object(builder);
	if (ctl->format == CB_CTL_FORMAT_JSON) {
		root = json_builder_get_root(builder);
		return cb_ctl_print_json(root, error);
	}
	text = cb_ctl_table_render(table);
	return cb_ctl_write_stdout(text, error);
}

gboolean
cb_ctl_command_health(CbCtl *ctl, int argc, char **argv, GError **error)
{
	static const char *const checks[] = {"healthz", "readyz", NULL};
	guint status[G_N_ELEMENTS(checks)] = {0};
	JsonNode *answers[G_N_ELEMENTS(checks)] = {NULL};
	CbCtlClient *client = NULL;
	gboolean ok;

	/* the probes need no token, and a wrong one should not spoil them */
	if (!cb_ctl_parse(ctl, "health", NULL, NULL, argc, argv, NULL, error) ||
	    (client = cb_ctl_get_client(ctl, TRUE, error)) == NULL)
		return FALSE;
	ok = cb_ctl_client_send(client, "GET", "/healthz", NULL, &status[0], &answers[0], error) &&
	     cb_ctl_client_send(client, "GET", "/readyz", NULL, &status[1], &answers[1], error) &&
	     cb_ctl_health_print(ctl, checks, status, answers, error);
	for (guint i = 0; i < G_N_ELEMENTS(answers); i++)
		g_clear_pointer(&answers[i], json_node_unref);
	if (!ok)
		return FALSE;
	if (status[0] != 200 || status[1] != 200) {
		g_set_error(error, CB_ERROR, CB_ERROR_UNAVAILABLE,
			    "civic-bridged at %s is not healthy and ready", ctl->url);
		return FALSE;
	}
	return TRUE;
}
