#define G_LOG_DOMAIN "CbCtl"

#include <string.h>

#include "cb-ctl.h"

/* the most tickets one listing by state shows */
#define CB_CTL_QUEUE_LIMIT 1000

static const CbCtlField cb_ctl_queue_columns[] = {
	{"POS", "position"},
	{"ID", "id"},
	{"STATE", "state"},
	{"CATEGORY", "category"},
	{"PRIORITY", "priority"},
	{"PERSONS", "persons"},
	{"BRIDGE POINT", "bridge_point_id"},
	{"WAIT S", "estimated_wait_seconds"},
	{"SUMMARY", "summary"},
};

/* "next", or a session id, as the API's query value */
static gboolean
cb_ctl_queue_session(const char *text, char **value, GError **error)
{
	gint64 id = 0;

	if (g_strcmp0(text, "next") == 0) {
		*value = g_strdup("next");
		return TRUE;
	}
	if (!cb_ctl_parse_id(text, "session id (or 'next')", &id, error))
		return FALSE;
	*value = g_strdup_printf("%" G_GINT64_FORMAT, id);
	return TRUE;
}

/* the queue in order (GET /sessions/ID/queue), or by state (GET /tickets) */
static gboolean
cb_ctl_queue_list(CbCtl *ctl, int argc, char **argv, GError **error)
{
	g_autofree char *session = NULL, *state = NULL, *value = NULL, *path = NULL;
	const GOptionEntry entries[] = {
		{"session", 0, 0, G_OPTION_ARG_STRING, &session,
		 "Session id, or 'next' for those waiting for the next session", "ID"},
		{"state", 0, 0, G_OPTION_ARG_STRING, &state,
		 "Only tickets in this state (several comma-separated)", "S"},
		{NULL},
	};

	if (!cb_ctl_parse(ctl, "queue list", entries, NULL, argc, argv, NULL, error))
		return FALSE;
	if (session == NULL) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "queue list needs --session ID");
		return FALSE;
	}
	if (!cb_ctl_queue_session(session, &value, error))
		return FALSE;
	if (state == NULL && !g_str_equal(value, "next")) {
		path = g_strdup_printf("/api/v1/sessions/%s/queue", value);
	} else {
		g_autofree char *escaped =
			g_uri_escape_string(state != NULL ? state : "waiting", ",", FALSE);
		path = g_strdup_printf("/api/v1/tickets?session=%s&state=%s&limit=%d", value,
				       escaped, CB_CTL_QUEUE_LIMIT);
	}
	return cb_ctl_call_print_list(ctl, path, cb_ctl_queue_columns,
				      G_N_ELEMENTS(cb_ctl_queue_columns), error);
}

gboolean
cb_ctl_command_queue(CbCtl *ctl, int argc, char **argv, GError **error)
{
	static const CbCtlCommand actions[] = {
		{"list", cb_ctl_queue_list},
		{NULL},
	};

	return cb_ctl_dispatch(ctl, "queue command", actions, argc - 1, argv + 1, error);
}
