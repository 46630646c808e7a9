#define G_LOG_DOMAIN "CbCtl"

#include <string.h>

#include "cb-ctl.h"

#define CB_CTL_BRIDGE_POINTS "/api/v1/bridge-points"

static const CbCtlField cb_ctl_bridge_point_columns[] = {
	{"ID", "id"},
	{"CODE", "code"},
	{"NAME", "name"},
	{"DISTRICT", "district"},
};

static const CbCtlField cb_ctl_bridge_point_record[] = {
	{"ID", "id"},
	{"CODE", "code"},
	{"NAME", "name"},
	{"DISTRICT", "district"},
	{"CREATED", "created_at"},
	{"UPDATED", "updated_at"},
};

/* the fields that add and update send */
typedef struct {
	char *code;
	char *name;
	char *district;
} CbCtlBridgePointArgs;

static void
cb_ctl_bridge_point_args_clear(CbCtlBridgePointArgs *args)
{
	g_free(args->code);
	g_free(args->name);
	g_free(args->district);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbCtlBridgePointArgs, cb_ctl_bridge_point_args_clear)

static void
cb_ctl_bridge_point_entries(CbCtlBridgePointArgs *args, GOptionEntry *entries)
{
	const GOptionEntry model[] = {
		{"code", 0, 0, G_OPTION_ARG_STRING, &args->code, "Short code: a-z, 0-9 and '-'",
		 "CODE"},
		{"name", 0, 0, G_OPTION_ARG_STRING, &args->name, "Name shown to people", "NAME"},
		{"district", 0, 0, G_OPTION_ARG_STRING, &args->district,
		 "District or ward served (\"\" clears it)", "DISTRICT"},
		{NULL},
	};

	memcpy(entries, model, sizeof(model));
}

static JsonNode *
cb_ctl_bridge_point_body(const CbCtlBridgePointArgs *args)
{
	static const char *const members[] = {"code", "name", "district", NULL};

	return cb_ctl_strings_body(members,
				   (const char *const[]){args->code, args->name, args->district});
}

/* sends @method to @path with @body and prints the bridge point it answers with */
static gboolean
cb_ctl_bridge_point_print_call(CbCtl *ctl, const char *method, const char *path, JsonNode *body,
			       GError **error)
{
	return cb_ctl_call_print_object(ctl, method, path, body, cb_ctl_bridge_point_record,
					G_N_ELEMENTS(cb_ctl_bridge_point_record), error);
}

static gboolean
cb_ctl_bridge_point_add(CbCtl *ctl, int argc, char **argv, GError **error)
{
	g_auto(CbCtlBridgePointArgs) args = {0};
	g_autoptr(JsonNode) body = NULL;
	GOptionEntry entries[4];

	cb_ctl_bridge_point_entries(&args, entries);
	if (!cb_ctl_parse(ctl, "bridge-point add", entries, NULL, argc, argv, NULL, error))
		return FALSE;
	if (args.code == NULL || args.name == NULL) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "bridge-point add needs --code CODE and --name NAME");
		return FALSE;
	}
	body = cb_ctl_bridge_point_body(&args);
	return cb_ctl_bridge_point_print_call(ctl, "POST", CB_CTL_BRIDGE_POINTS, body, error);
}

static gboolean
cb_ctl_bridge_point_list(CbCtl *ctl, int argc, char **argv, GError **error)
{
	if (!cb_ctl_parse(ctl, "bridge-point list", NULL, NULL, argc, argv, NULL, error))
		return FALSE;
	return cb_ctl_call_print_list(ctl, CB_CTL_BRIDGE_POINTS, cb_ctl_bridge_point_columns,
				      G_N_ELEMENTS(cb_ctl_bridge_point_columns), error);
}

/* parses the options and the one ID argument of show, update and remove */
static char *
cb_ctl_bridge_point_path(CbCtl *ctl, const char *command, const GOptionEntry *entries, int argc,
			 char **argv, gint64 *id, GError **error)
{
	if (!cb_ctl_parse_with_id(ctl, command, entries, "bridge point id", argc, argv, id, error))
		return NULL;
	return g_strdup_printf(CB_CTL_BRIDGE_POINTS "/%" G_GINT64_FORMAT, *id);
}

static gboolean
cb_ctl_bridge_point_show(CbCtl *ctl, int argc, char **argv, GError **error)
{
	gint64 id = 0;
	g_autofree char *path =
		cb_ctl_bridge_point_path(ctl, "bridge-point show", NULL, argc, argv, &id, error);

	return path != NULL && cb_ctl_bridge_point_print_call(ctl, "GET", path, NULL, error);
}

static gboolean
cb_ctl_bridge_point_update(CbCtl *ctl, int argc, char **argv, GError **error)
{
	g_auto(CbCtlBridgePointArgs) args = {0};
	g_autofree char *path = NULL;
	g_autoptr(JsonNode) body = NULL;
	GOptionEntry entries[4];
	gint64 id = 0;

	cb_ctl_bridge_point_entries(&args, entries);
	path = cb_ctl_bridge_point_path(ctl, "bridge-point update", entries, argc, argv, &id,
					error);
	if (path == NULL)
		return FALSE;
	if (args.code == NULL && args.name == NULL && args.district == NULL) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "bridge-point update needs --code, --name or --district");
		return FALSE;
	}
	body = cb_ctl_bridge_point_body(&args);
	return cb_ctl_bridge_point_print_call(ctl, "PATCH", path, body, error);
}

static gboolean
cb_ctl_bridge_point_remove(CbCtl *ctl, int argc, char **argv, GError **error)
{
	gint64 id = 0;
	g_autofree char *path =
		cb_ctl_bridge_point_path(ctl, "bridge-point remove", NULL, argc, argv, &id, error);
	g_autofree char *done = NULL;

	if (path == NULL)
		return FALSE;
	done = g_strdup_printf("removed bridge point %" G_GINT64_FORMAT "\n", id);
	return cb_ctl_call_delete(ctl, path, done, error);
}

gboolean
cb_ctl_command_bridge_point(CbCtl *ctl, int argc, char **argv, GError **error)
{
	static const CbCtlCommand actions[] = {
		{"add", cb_ctl_bridge_point_add},       {"list", cb_ctl_bridge_point_list},
		{"show", cb_ctl_bridge_point_show},     {"update", cb_ctl_bridge_point_update},
		{"remove", cb_ctl_bridge_point_remove}, {NULL},
	};

	return cb_ctl_dispatch(ctl, "bridge-point command", actions, argc - 1, argv + 1, error);
}
