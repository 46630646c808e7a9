#define G_LOG_DOMAIN "CbCtl"

#include "cb-ctl-schedule.h"
#include "cb-ctl.h"

#define CB_CTL_SESSIONS "/api/v1/sessions"

static const CbCtlField cb_ctl_session_columns[] = {
	{"ID", "id"},        {"STATE", "state"}, {"KIND", "kind"}, {"STARTS", "starts_at"},
	{"ENDS", "ends_at"}, {"TITLE", "title"},
};

static const CbCtlField cb_ctl_session_record[] = {
	{"ID", "id"},
	{"TITLE", "title"},
	{"KIND", "kind"},
	{"PRESIDING", "presiding"},
	{"STATE", "state"},
	{"OPENS", "opens_at"},
	{"STARTS", "starts_at"},
	{"ENDS", "ends_at"},
	{"SERIES", "series_id"},
	{"OCCURRENCE", "occurrence_start"},
	{"CANCEL REASON", "cancel_reason"},
	{"CREATED", "created_at"},
	{"UPDATED", "updated_at"},
};

static gboolean
cb_ctl_session_print_call(CbCtl *ctl, const char *method, const char *path, JsonNode *body,
			  GError **error)
{
	return cb_ctl_call_print_object(ctl, method, path, body, cb_ctl_session_record,
					G_N_ELEMENTS(cb_ctl_session_record), error);
}

static gboolean
cb_ctl_session_list(CbCtl *ctl, int argc, char **argv, GError **error)
{
	g_autofree char *from = NULL;
	g_autofree char *to = NULL;
	const GOptionEntry entries[] = {
		{"from", 0, 0, G_OPTION_ARG_STRING, &from,
		 "Sessions ending after this date or time", "DATE"},
		{"to", 0, 0, G_OPTION_ARG_STRING, &to,
		 "Sessions starting by this date (inclusive) or time", "DATE"},
		{NULL},
	};
	g_autoptr(GString) path = g_string_new(CB_CTL_SESSIONS);

	if (!cb_ctl_parse(ctl, "session list", entries, NULL, argc, argv, NULL, error))
		return FALSE;
	cb_ctl_schedule_append_query(path, "from", from);
	cb_ctl_schedule_append_query(path, "to", to);
	return cb_ctl_call_print_list(ctl, path->str, cb_ctl_session_columns,
				      G_N_ELEMENTS(cb_ctl_session_columns), error);
}

static gboolean
cb_ctl_session_show(CbCtl *ctl, int argc, char **argv, GError **error)
{
	g_autofree char *path = NULL;
	gint64 id = 0;

	if (!cb_ctl_parse_with_id(ctl, "session show", NULL, "session id", argc, argv, &id, error))
		return FALSE;
	path = g_strdup_printf(CB_CTL_SESSIONS "/%" G_GINT64_FORMAT, id);
	return cb_ctl_session_print_call(ctl, "GET", path, NULL, error);
}

typedef struct {
	char *title;
	char *kind;
	char *start;
	char *duration;
	char *presiding;
} CbCtlSessionArgs;

static void
cb_ctl_session_args_clear(CbCtlSessionArgs *args)
{
	g_free(args->title);
	g_free(args->kind);
	g_free(args->start);
	g_free(args->duration);
	g_free(args->presiding);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbCtlSessionArgs, cb_ctl_session_args_clear)

static JsonNode *
cb_ctl_session_body(const CbCtlSessionArgs *args, gint64 minutes)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();

	json_builder_begin_object(builder);
	cb_ctl_add_string(builder, "title", args->title);
	cb_ctl_add_string(builder, "kind", args->kind);
	cb_ctl_add_string(builder, "starts_at", args->start);
	cb_ctl_add_string(builder, "presiding", args->presiding);
	if (minutes > 0) {
		json_builder_set_member_name(builder, "duration_minutes");
		json_builder_add_int_value(builder, minutes);
	}
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

static gboolean
cb_ctl_session_create(CbCtl *ctl, int argc, char **argv, GError **error)
{
	g_auto(CbCtlSessionArgs) args = {0};
	g_autoptr(JsonNode) body = NULL;
	gint64 minutes = 0;
	const GOptionEntry entries[] = {
		{"title", 0, 0, G_OPTION_ARG_STRING, &args.title, "Title of the session", "TITLE"},
		{"kind", 0, 0, G_OPTION_ARG_STRING, &args.kind, "leadership or regular", "KIND"},
		{"start", 0, 0, G_OPTION_ARG_STRING, &args.start,
		 "Start, RFC 3339 with an offset (default: now)", "TIME"},
		{"duration", 0, 0, G_OPTION_ARG_STRING, &args.duration,
		 "Length, such as 90m or 2h (default: 1h)", "DURATION"},
		{"presiding", 0, 0, G_OPTION_ARG_STRING, &args.presiding,
		 "Title of the person presiding", "TITLE"},
		{NULL},
	};

	if (!cb_ctl_parse(ctl, "session create", entries, NULL, argc, argv, NULL, error))
		return FALSE;
	if (args.title == NULL || args.kind == NULL) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "session create needs --title TITLE and --kind KIND");
		return FALSE;
	}
	if (args.duration != NULL &&
	    !cb_ctl_schedule_minutes("--duration", args.duration, &minutes, error))
		return FALSE;
	body = cb_ctl_session_body(&args, minutes);
	return cb_ctl_session_print_call(ctl, "POST", CB_CTL_SESSIONS, body, error);
}

/* open, start and end: a POST without a body */
static gboolean
cb_ctl_session_move(CbCtl *ctl, const char *action, int argc, char **argv, GError **error)
{
	g_autofree char *command = g_strdup_printf("session %s", action);
	g_autofree char *path = NULL;
	gint64 id = 0;

	if (!cb_ctl_parse_with_id(ctl, command, NULL, "session id", argc, argv, &id, error))
		return FALSE;
	path = g_strdup_printf(CB_CTL_SESSIONS "/%" G_GINT64_FORMAT "/%s", id, action);
	return cb_ctl_session_print_call(ctl, "POST", path, NULL, error);
}

static gboolean
cb_ctl_session_open(CbCtl *ctl, int argc, char **argv, GError **error)
{
	return cb_ctl_session_move(ctl, "open", argc, argv, error);
}

static gboolean
cb_ctl_session_start(CbCtl *ctl, int argc, char **argv, GError **error)
{
	return cb_ctl_session_move(ctl, "start", argc, argv, error);
}

static gboolean
cb_ctl_session_end(CbCtl *ctl, int argc, char **argv, GError **error)
{
	return cb_ctl_session_move(ctl, "end", argc, argv, error);
}

static gboolean
cb_ctl_session_cancel(CbCtl *ctl, int argc, char **argv, GError **error)
{
	g_autofree char *reason = NULL;
	g_autofree char *path = NULL;
	g_autoptr(JsonNode) body = NULL;
	const GOptionEntry entries[] = {
		{"reason", 0, 0, G_OPTION_ARG_STRING, &reason, "Why it is cancelled", "REASON"},
		{NULL},
	};
	static const char *const members[] = {"reason", NULL};
	gint64 id = 0;

	if (!cb_ctl_parse_with_id(ctl, "session cancel", entries, "session id", argc, argv, &id,
				  error))
		return FALSE;
	if (reason == NULL) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "session cancel needs --reason REASON");
		return FALSE;
	}
	body = cb_ctl_strings_body(members, (const char *const[]){reason});
	path = g_strdup_printf(CB_CTL_SESSIONS "/%" G_GINT64_FORMAT "/cancel", id);
	return cb_ctl_session_print_call(ctl, "POST", path, body, error);
}

gboolean
cb_ctl_command_session(CbCtl *ctl, int argc, char **argv, GError **error)
{
	static const CbCtlCommand actions[] = {
		{"list", cb_ctl_session_list},     {"show", cb_ctl_session_show},
		{"create", cb_ctl_session_create}, {"open", cb_ctl_session_open},
		{"start", cb_ctl_session_start},   {"end", cb_ctl_session_end},
		{"cancel", cb_ctl_session_cancel}, {NULL},
	};

	return cb_ctl_dispatch(ctl, "session command", actions, argc - 1, argv + 1, error);
}
