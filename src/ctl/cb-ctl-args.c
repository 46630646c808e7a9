#define G_LOG_DOMAIN "CbCtl"

#include <string.h>

#include "cb-ctl.h"

CbCtl *
cb_ctl_new(void)
{
	return g_new0(CbCtl, 1);
}

static void
cb_ctl_globals_clear(CbCtlGlobals *globals)
{
	g_clear_pointer(&globals->url, g_free);
	g_clear_pointer(&globals->token, g_free);
	g_clear_pointer(&globals->format, g_free);
	g_clear_pointer(&globals->state_dir, g_free);
}

void
cb_ctl_free(CbCtl *ctl)
{
	if (ctl == NULL)
		return;
	cb_ctl_globals_clear(&ctl->given);
	g_free(ctl->url);
	g_free(ctl->token);
	g_clear_pointer(&ctl->client, cb_ctl_client_free);
	g_free(ctl);
}

void
cb_ctl_globals_entries(CbCtlGlobals *globals, GOptionEntry *entries)
{
	const GOptionEntry model[] = {
		{"url", 0, 0, G_OPTION_ARG_STRING, &globals->url,
		 "civic-bridged's address (default $CIVIC_BRIDGE_URL, else " CB_CTL_DEFAULT_URL ")",
		 "URL"},
		{"token", 0, 0, G_OPTION_ARG_STRING, &globals->token,
		 "Bearer token (default $CIVIC_BRIDGE_TOKEN)", "TOKEN"},
		{"format", 0, 0, G_OPTION_ARG_STRING, &globals->format,
		 "Output: table (default) or json", "FORMAT"},
		{"state-dir", 0, 0, G_OPTION_ARG_FILENAME, &globals->state_dir,
		 "State directory, for the commands that work without a daemon (init-admin, "
		 "recording verify and export)",
		 "DIR"},
		{NULL},
	};

	memcpy(entries, model, sizeof(model));
}

/* a global option given after the command wins over one given before it */
static void
cb_ctl_globals_merge(CbCtlGlobals *into, CbCtlGlobals *later)
{
	char **from[] = {&later->url, &later->token, &later->format, &later->state_dir};
	char **to[] = {&into->url, &into->token, &into->format, &into->state_dir};

	for (gsize i = 0; i < G_N_ELEMENTS(from); i++) {
		if (*from[i] == NULL)
			continue;
		g_free(*to[i]);
		*to[i] = g_steal_pointer(from[i]);
	}
}

static char *
cb_ctl_env(const char *name)
{
	const char *value = g_getenv(name);

	return value != NULL && value[0] != '\0' ? g_strdup(value) : NULL;
}

/* applies the environment and defaults to what was given; checks --format */
static gboolean
cb_ctl_resolve(CbCtl *ctl, GError **error)
{
	const char *format = ctl->given.format != NULL ? ctl->given.format : "table";

	g_free(ctl->url);
	ctl->url =
		ctl->given.url != NULL ? g_strdup(ctl->given.url) : cb_ctl_env("CIVIC_BRIDGE_URL");
	if (ctl->url == NULL)
		ctl->url = g_strdup(CB_CTL_DEFAULT_URL);
	g_free(ctl->token);
	ctl->token = ctl->given.token != NULL && ctl->given.token[0] != '\0'
			     ? g_strdup(ctl->given.token)
			     : cb_ctl_env("CIVIC_BRIDGE_TOKEN");
	if (g_str_equal(format, "table")) {
		ctl->format = CB_CTL_FORMAT_TABLE;
	} else if (g_str_equal(format, "json")) {
		ctl->format = CB_CTL_FORMAT_JSON;
	} else {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--format must be table or json, not '%s'", format);
		return FALSE;
	}
	return TRUE;
}

static gboolean
cb_ctl_check_args(const char *command, const char *const *arg_names, int argc, char **argv,
		  GError **error)
{
	guint wanted = arg_names != NULL ? g_strv_length((char **)arg_names) : 0;

	if ((guint)argc - 1 < wanted) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "%s needs %s", command,
			    arg_names[argc - 1]);
		return FALSE;
	}
	if ((guint)argc - 1 > wanted) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
			    "%s: unexpected argument '%s'", command, argv[wanted + 1]);
		return FALSE;
	}
	return TRUE;
}

gboolean
cb_ctl_parse(CbCtl *ctl, const char *command, const GOptionEntry *entries,
	     const char *const *arg_names, int argc, char **argv, char ***args, GError **error)
{
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GString) usage = g_string_new(command);
	CbCtlGlobals later = {0};
	GOptionEntry global_entries[5];
	gboolean parsed;

	for (guint i = 0; arg_names != NULL && arg_names[i] != NULL; i++)
		g_string_append_printf(usage, " %s", arg_names[i]);
	context = g_option_context_new(usage->str);
	if (entries != NULL)
		g_option_context_add_main_entries(context, entries, NULL);
	cb_ctl_globals_entries(&later, global_entries);
	g_option_context_add_main_entries(context, global_entries, NULL);
	parsed = g_option_context_parse(context, &argc, &argv, error);
	cb_ctl_globals_merge(&ctl->given, &later);
	cb_ctl_globals_clear(&later);
	if (!parsed || !cb_ctl_check_args(command, arg_names, argc, argv, error) ||
	    !cb_ctl_resolve(ctl, error))
		return FALSE;
	if (args != NULL)
		*args = argv + 1;
	return TRUE;
}

gboolean
cb_ctl_parse_id(const char *text, const char *what, gint64 *id, GError **error)
{
	guint64 value = 0;

	if (!g_ascii_string_to_unsigned(text, 10, 1, G_MAXINT64, &value, NULL)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "'%s' is not a valid %s: use a positive whole number", text, what);
		return FALSE;
	}
	*id = (gint64)value;
	return TRUE;
}

gboolean
cb_ctl_parse_with_id(CbCtl *ctl, const char *command, const GOptionEntry *entries, const char *what,
		     int argc, char **argv, gint64 *id, GError **error)
{
	static const char *const id_arg[] = {"ID", NULL};
	char **args = NULL;

	return cb_ctl_parse(ctl, command, entries, id_arg, argc, argv, &args, error) &&
	       cb_ctl_parse_id(args[0], what, id, error);
}

gboolean
cb_ctl_parse_duration(const char *text, gint64 *seconds, GError **error)
{
	static const struct {
		char suffix;
		gint64 seconds;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
	gsize len = strlen(text);
	gint64 unit = 1;
	guint64 value = 0;
	g_autofree char *number = NULL;

	for (gsize i = 0; len > 1 && i < G_N_ELEMENTS(units); i++) {
		if (text[len - 1] == units[i].suffix) {
			unit = units[i].seconds;
			len--;
			break;
		}
	}
	number = g_strndup(text, len);
	/* the bound keeps value * unit inside gint64 */
	if (!g_ascii_string_to_unsigned(number, 10, 1, G_MAXINT64 / unit, &value, NULL)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "'%s' is not a duration: use seconds, or a number with s, m, h or d "
			    "(3600, 90m, 12h, 30d)",
			    text);
		return FALSE;
	}
	*seconds = (gint64)value * unit;
	return TRUE;
}

gboolean
cb_ctl_dispatch(CbCtl *ctl, const char *kind, const CbCtlCommand *commands, int argc, char **argv,
		GError **error)
{
	const char *name = argc > 0 ? argv[0] : NULL;
	g_autoptr(GString) known = g_string_new(NULL);

	for (guint i = 0; commands[i].name != NULL; i++) {
		if (g_strcmp0(name, commands[i].name) == 0)
			return commands[i].func(ctl, argc, argv, error);
		g_string_append_printf(known, "%s%s", i > 0 ? ", " : "", commands[i].name);
	}
	if (name == NULL)
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
			    "no %s given; use one of: %s", kind, known->str);
	else
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
			    "unknown %s '%s'; use one of: %s", kind, name, known->str);
	return FALSE;
}
