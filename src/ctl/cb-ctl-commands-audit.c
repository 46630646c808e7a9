#define G_LOG_DOMAIN "CbCtl"

#include "cb-ctl.h"

static const CbCtlField cb_ctl_audit_columns[] = {
	{"ID", "id"},   {"AT", "at"},         {"ROLE", "actor_role"}, {"TOKEN", "actor_token_id"},
	{"VIA", "via"}, {"ACTION", "action"}, {"TARGET", "target"},   {"DETAIL", "detail"},
};

/* "?limit=N&before=M" from the options, checked here */
static gboolean
cb_ctl_audit_query(const char *limit, const char *before, GString *path, GError **error)
{
	const char *names[] = {"limit", "before"};
	const char *values[] = {limit, before};
	const char *what[] = {"limit", "audit entry id"};
	char separator = '?';

	for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
		gint64 number = 0;

		if (values[i] == NULL)
			continue;
		if (!cb_ctl_parse_id(values[i], what[i], &number, error))
			return FALSE;
		g_string_append_printf(path, "%c%s=%" G_GINT64_FORMAT, separator, names[i], number);
		separator = '&';
	}
	return TRUE;
}

gboolean
cb_ctl_command_audit(CbCtl *ctl, int argc, char **argv, GError **error)
{
	g_autofree char *limit = NULL;
	g_autofree char *before = NULL;
	const GOptionEntry entries[] = {
		{"limit", 0, 0, G_OPTION_ARG_STRING, &limit, "At most N entries (default 100)",
		 "N"},
		{"before", 0, 0, G_OPTION_ARG_STRING, &before, "Only entries older than ID", "ID"},
		{NULL},
	};
	g_autoptr(GString) path = g_string_new("/api/v1/audit");

	if (!cb_ctl_parse(ctl, "audit", entries, NULL, argc, argv, NULL, error) ||
	    !cb_ctl_audit_query(limit, before, path, error))
		return FALSE;
	return cb_ctl_call_print_list(ctl, path->str, cb_ctl_audit_columns,
				      G_N_ELEMENTS(cb_ctl_audit_columns), error);
}
