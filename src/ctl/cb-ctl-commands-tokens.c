#define G_LOG_DOMAIN "CbCtl"

#include <string.h>

#include "civic-bridge/cb-role.h"

#include "cb-ctl.h"

#define CB_CTL_TOKENS "/api/v1/tokens"

static const CbCtlField cb_ctl_token_columns[] = {
	{"ID", "id"},
	{"ROLE", "role"},
	{"LABEL", "label"},
	{"BRIDGE POINT", "bridge_point_id"},
	{"STATE", "state"},
	{"CREATED", "created_at"},
	{"EXPIRES", "expires_at"},
};

/* a created token: the list's columns and the secret, once */
static const CbCtlField cb_ctl_token_created[] = {
	{"ID", "id"},
	{"ROLE", "role"},
	{"LABEL", "label"},
	{"BRIDGE POINT", "bridge_point_id"},
	{"STATE", "state"},
	{"CREATED", "created_at"},
	{"EXPIRES", "expires_at"},
	{"TOKEN", "token"},
};

typedef struct {
	char *role;
	char *bridge_point;
	char *label;
	char *expires_in;
} CbCtlTokenArgs;

static void
cb_ctl_token_args_clear(CbCtlTokenArgs *args)
{
	g_free(args->role);
	g_free(args->bridge_point);
	g_free(args->label);
	g_free(args->expires_in);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbCtlTokenArgs, cb_ctl_token_args_clear)

/* checks what can be checked here, so a typo costs no request */
static JsonNode *
cb_ctl_token_body(const CbCtlTokenArgs *args, GError **error)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	CbRole role = CB_ROLE_ADMIN;
	gint64 bridge_point_id = 0, expires_in = 0;

	if (args->role == NULL || !cb_role_from_string(args->role, &role)) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "token create needs --role admin, staff, operator or citizen");
		return NULL;
	}
	if ((args->bridge_point != NULL &&
	     !cb_ctl_parse_id(args->bridge_point, "bridge point id", &bridge_point_id, error)) ||
	    (args->expires_in != NULL &&
	     !cb_ctl_parse_duration(args->expires_in, &expires_in, error)))
		return NULL;
	json_builder_begin_object(builder);
	cb_ctl_add_string(builder, "role", cb_role_to_string(role));
	if (bridge_point_id != 0) {
		json_builder_set_member_name(builder, "bridge_point_id");
		json_builder_add_int_value(builder, bridge_point_id);
	}
	cb_ctl_add_string(builder, "label", args->label);
	if (expires_in != 0) {
		json_builder_set_member_name(builder, "expires_in_seconds");
		json_builder_add_int_value(builder, expires_in);
	}
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

static gboolean
cb_ctl_token_create(CbCtl *ctl, int argc, char **argv, GError **error)
{
	g_auto(CbCtlTokenArgs) args = {0};
	const GOptionEntry entries[] = {
		{"role", 0, 0, G_OPTION_ARG_STRING, &args.role, "admin, staff, operator or citizen",
		 "ROLE"},
		{"bridge-point", 0, 0, G_OPTION_ARG_STRING, &args.bridge_point,
		 "Bridge point an operator works at", "ID"},
		{"label", 0, 0, G_OPTION_ARG_STRING, &args.label, "What the token is for", "LABEL"},
		{"expires-in", 0, 0, G_OPTION_ARG_STRING, &args.expires_in,
		 "Lifetime: 3600, 90m, 12h, 30d (default: no expiry)", "DURATION"},
		{NULL},
	};
	g_autoptr(JsonNode) body = NULL;

	if (!cb_ctl_parse(ctl, "token create", entries, NULL, argc, argv, NULL, error) ||
	    (body = cb_ctl_token_body(&args, error)) == NULL ||
	    !cb_ctl_call_print_object(ctl, "POST", CB_CTL_TOKENS, body, cb_ctl_token_created,
				      G_N_ELEMENTS(cb_ctl_token_created), error))
		return FALSE;
	if (ctl->format == CB_CTL_FORMAT_JSON)
		return TRUE;
	return cb_ctl_write_stdout("\nThe token is shown only once: store it now. civic-bridge "
				   "keeps only its hash and cannot show it again.\n",
				   error);
}

static gboolean
cb_ctl_token_list(CbCtl *ctl, int argc, char **argv, GError **error)
{
	gboolean all = FALSE;
	const GOptionEntry entries[] = {
		{"all", 0, 0, G_OPTION_ARG_NONE, &all, "Include revoked tokens", NULL},
		{NULL},
	};
	if (!cb_ctl_parse(ctl, "token list", entries, NULL, argc, argv, NULL, error))
		return FALSE;
	return cb_ctl_call_print_list(ctl, all ? CB_CTL_TOKENS "?all=true" : CB_CTL_TOKENS,
				      cb_ctl_token_columns, G_N_ELEMENTS(cb_ctl_token_columns),
				      error);
}

static gboolean
cb_ctl_token_revoke(CbCtl *ctl, int argc, char **argv, GError **error)
{
	g_autofree char *path = NULL;
	g_autofree char *done = NULL;
	gint64 id = 0;

	if (!cb_ctl_parse_with_id(ctl, "token revoke", NULL, "token id", argc, argv, &id, error))
		return FALSE;
	path = g_strdup_printf(CB_CTL_TOKENS "/%" G_GINT64_FORMAT, id);
	done = g_strdup_printf("revoked token %" G_GINT64_FORMAT "\n", id);
	return cb_ctl_call_delete(ctl, path, done, error);
}

gboolean
cb_ctl_command_token(CbCtl *ctl, int argc, char **argv, GError **error)
{
	static const CbCtlCommand actions[] = {
		{"create", cb_ctl_token_create},
		{"list", cb_ctl_token_list},
		{"revoke", cb_ctl_token_revoke},
		{NULL},
	};

	return cb_ctl_dispatch(ctl, "token command", actions, argc - 1, argv + 1, error);
}
