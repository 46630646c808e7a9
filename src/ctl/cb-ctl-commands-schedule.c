#define G_LOG_DOMAIN "CbCtl"

#include <string.h>

#include "cb-ctl-schedule.h"
#include "cb-ctl.h"

#define CB_CTL_SERIES "/api/v1/series"

static const CbCtlField cb_ctl_series_columns[] = {
	{"ID", "id"},
	{"RULE", "rrule"},
	{"START", "start_time"},
	{"MINUTES", "duration_minutes"},
	{"KIND", "kind"},
	{"TITLE", "title"},
};

static const CbCtlField cb_ctl_series_record[] = {
	{"ID", "id"},
	{"RULE", "rrule"},
	{"TIMEZONE", "timezone"},
	{"FIRST DATE", "starts_on"},
	{"START", "start_time"},
	{"MINUTES", "duration_minutes"},
	{"KIND", "kind"},
	{"TITLE", "title"},
	{"PRESIDING", "presiding"},
	{"CREATED", "created_at"},
	{"UPDATED", "updated_at"},
};

static const CbCtlField cb_ctl_occurrence_columns[] = {
	{"OCCURRENCE", "occurrence_start"}, {"STARTS", "starts_at"}, {"STATE", "state"},
	{"SESSION", "session_id"},          {"REASON", "reason"},
};

gboolean
cb_ctl_schedule_minutes(const char *option, const char *text, gint64 *minutes, GError **error)
{
	gint64 seconds = 0;

	if (!cb_ctl_parse_duration(text, &seconds, error))
		return FALSE;
	if (seconds <= 0 || seconds % 60 != 0) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "%s must be whole minutes, such as 90m or 3h (a bare number is "
			    "seconds)",
			    option);
		return FALSE;
	}
	*minutes = seconds / 60;
	return TRUE;
}

void
cb_ctl_schedule_append_query(GString *path, const char *name, const char *value)
{
	g_autofree char *escaped = NULL;

	if (value == NULL)
		return;
	escaped = g_uri_escape_string(value, NULL, FALSE);
	g_string_append_printf(path, "%c%s=%s", strchr(path->str, '?') != NULL ? '&' : '?', name,
			       escaped);
}

/* --- schedule series ---------------------------------------------------------- */

static gboolean
cb_ctl_schedule_series_list(CbCtl *ctl, int argc, char **argv, GError **error)
{
	if (!cb_ctl_parse(ctl, "schedule series list", NULL, NULL, argc, argv, NULL, error))
		return FALSE;
	return cb_ctl_call_print_list(ctl, CB_CTL_SERIES, cb_ctl_series_columns,
				      G_N_ELEMENTS(cb_ctl_series_columns), error);
}

static gboolean
cb_ctl_schedule_series_show(CbCtl *ctl, int argc, char **argv, GError **error)
{
	g_autofree char *path = NULL;
	gint64 id = 0;

	if (!cb_ctl_parse_with_id(ctl, "schedule series show", NULL, "series id", argc, argv, &id,
				  error))
		return FALSE;
	path = g_strdup_printf(CB_CTL_SERIES "/%" G_GINT64_FORMAT, id);
	return cb_ctl_call_print_object(ctl, "GET", path, NULL, cb_ctl_series_record,
					G_N_ELEMENTS(cb_ctl_series_record), error);
}

typedef struct {
	char *rrule;
	char *start;
	char *duration;
	char *kind;
	char *title;
	char *presiding;
	char *timezone;
	char *first_date;
	char **bridge_points;
} CbCtlSeriesArgs;

static void
cb_ctl_series_args_clear(CbCtlSeriesArgs *args)
{
	g_free(args->rrule);
	g_free(args->start);
	g_free(args->duration);
	g_free(args->kind);
	g_free(args->title);
	g_free(args->presiding);
	g_free(args->timezone);
	g_free(args->first_date);
	g_strfreev(args->bridge_points);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbCtlSeriesArgs, cb_ctl_series_args_clear)

static JsonNode *
cb_ctl_series_body(const CbCtlSeriesArgs *args, gint64 minutes, GError **error)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();

	json_builder_begin_object(builder);
	cb_ctl_add_string(builder, "rrule", args->rrule);
	cb_ctl_add_string(builder, "start_time", args->start);
	cb_ctl_add_string(builder, "kind", args->kind);
	cb_ctl_add_string(builder, "title", args->title);
	cb_ctl_add_string(builder, "presiding", args->presiding);
	cb_ctl_add_string(builder, "timezone", args->timezone);
	cb_ctl_add_string(builder, "starts_on", args->first_date);
	json_builder_set_member_name(builder, "duration_minutes");
	json_builder_add_int_value(builder, minutes);
	json_builder_set_member_name(builder, "bridge_point_ids");
	json_builder_begin_array(builder);
	for (guint i = 0; args->bridge_points != NULL && args->bridge_points[i] != NULL; i++) {
		gint64 id = 0;
		if (!cb_ctl_parse_id(args->bridge_points[i], "bridge point id", &id, error))
			return NULL;
		json_builder_add_int_value(builder, id);
	}
	json_builder_end_array(builder);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

static gboolean
cb_ctl_schedule_series_create(CbCtl *ctl, int argc, char **argv, GError **error)
{
	g_auto(CbCtlSeriesArgs) args = {0};
	g_autoptr(JsonNode) body = NULL;
	gint64 minutes = 0;
	const GOptionEntry entries[] = {
		{"rrule", 0, 0, G_OPTION_ARG_STRING, &args.rrule, "RFC 5545 rule", "RULE"},
		{"start", 0, 0, G_OPTION_ARG_STRING, &args.start, "Local start time", "HH:MM"},
		{"duration", 0, 0, G_OPTION_ARG_STRING, &args.duration,
		 "Length of each session, such as 210m", "DURATION"},
		{"kind", 0, 0, G_OPTION_ARG_STRING, &args.kind, "leadership or regular", "KIND"},
		{"title", 0, 0, G_OPTION_ARG_STRING, &args.title, "Title of the sessions", "TITLE"},
		{"presiding", 0, 0, G_OPTION_ARG_STRING, &args.presiding,
		 "Title of the person presiding", "TITLE"},
		{"timezone", 0, 0, G_OPTION_ARG_STRING, &args.timezone,
		 "IANA zone (default: the daemon's)", "ZONE"},
		{"first-date", 0, 0, G_OPTION_ARG_STRING, &args.first_date,
		 "First date the rule counts from (default: today)", "YYYY-MM-DD"},
		{"bridge-point", 0, 0, G_OPTION_ARG_STRING_ARRAY, &args.bridge_points,
		 "A bridge point invited (repeat for more)", "ID"},
		{NULL},
	};

	if (!cb_ctl_parse(ctl, "schedule series create", entries, NULL, argc, argv, NULL, error))
		return FALSE;
	if (args.rrule == NULL || args.start == NULL || args.duration == NULL ||
	    args.kind == NULL || args.title == NULL) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "schedule series create needs --rrule, --start, --duration, "
				    "--kind and --title");
		return FALSE;
	}
	if (!cb_ctl_schedule_minutes("--duration", args.duration, &minutes, error))
		return FALSE;
	body = cb_ctl_series_body(&args, minutes, error);
	return body != NULL &&
	       cb_ctl_call_print_object(ctl, "POST", CB_CTL_SERIES, body, cb_ctl_series_record,
					G_N_ELEMENTS(cb_ctl_series_record), error);
}

static gboolean
cb_ctl_schedule_series(CbCtl *ctl, int argc, char **argv, GError **error)
{
	static const CbCtlCommand actions[] = {
		{"list", cb_ctl_schedule_series_list},
		{"show", cb_ctl_schedule_series_show},
		{"create", cb_ctl_schedule_series_create},
		{NULL},
	};

	return cb_ctl_dispatch(ctl, "schedule series command", actions, argc - 1, argv + 1, error);
}

/* --- schedule occurrences, move, cancel ------------------------------------------ */

static gboolean
cb_ctl_schedule_occurrences(CbCtl *ctl, int argc, char **argv, GError **error)
{
	g_autofree char *series = NULL;
	g_autofree char *from = NULL;
	g_autofree char *to = NULL;
	const GOptionEntry entries[] = {
		{"series", 0, 0, G_OPTION_ARG_STRING, &series, "The series", "ID"},
		{"from", 0, 0, G_OPTION_ARG_STRING, &from, "From this date or time (default: now)",
		 "DATE"},
		{"to", 0, 0, G_OPTION_ARG_STRING, &to,
		 "Until this date (inclusive) or time (default: a year on; at most two)", "DATE"},
		{NULL},
	};
	g_autoptr(GString) path = NULL;
	gint64 id = 0;

	if (!cb_ctl_parse(ctl, "schedule occurrences", entries, NULL, argc, argv, NULL, error))
		return FALSE;
	if (series == NULL) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "schedule occurrences needs --series ID");
		return FALSE;
	}
	if (!cb_ctl_parse_id(series, "series id", &id, error))
		return FALSE;
	path = g_string_new(NULL);
	g_string_printf(path, CB_CTL_SERIES "/%" G_GINT64_FORMAT "/occurrences", id);
	cb_ctl_schedule_append_query(path, "from", from);
	cb_ctl_schedule_append_query(path, "to", to);
	return cb_ctl_call_print_list(ctl, path->str, cb_ctl_occurrence_columns,
				      G_N_ELEMENTS(cb_ctl_occurrence_columns), error);
}

/* the path of one occurrence's @action, from --series and --occurrence */
static char *
cb_ctl_occurrence_path(const char *command, const char *series, const char *occurrence,
		       const char *action, GError **error)
{
	g_autofree char *escaped = NULL;
	gint64 id = 0;

	if (series == NULL || occurrence == NULL) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
			    "%s needs --series ID and --occurrence START", command);
		return NULL;
	}
	if (!cb_ctl_parse_id(series, "series id", &id, error))
		return NULL;
	escaped = g_uri_escape_string(occurrence, NULL, FALSE);
	return g_strdup_printf(CB_CTL_SERIES "/%" G_GINT64_FORMAT "/occurrences/%s/%s", id, escaped,
			       action);
}

static gboolean
cb_ctl_schedule_move(CbCtl *ctl, int argc, char **argv, GError **error)
{
	g_autofree char *series = NULL, *occurrence = NULL, *to = NULL, *reason = NULL;
	g_autofree char *path = NULL;
	g_autoptr(JsonNode) body = NULL;
	const GOptionEntry entries[] = {
		{"series", 0, 0, G_OPTION_ARG_STRING, &series, "The series", "ID"},
		{"occurrence", 0, 0, G_OPTION_ARG_STRING, &occurrence,
		 "The occurrence's original start (RFC 3339)", "START"},
		{"to", 0, 0, G_OPTION_ARG_STRING, &to, "The new start (RFC 3339 with an offset)",
		 "TIME"},
		{"reason", 0, 0, G_OPTION_ARG_STRING, &reason, "Why it moves", "REASON"},
		{NULL},
	};
	static const char *const members[] = {"starts_at", "reason", NULL};

	if (!cb_ctl_parse(ctl, "schedule move", entries, NULL, argc, argv, NULL, error))
		return FALSE;
	path = cb_ctl_occurrence_path("schedule move", series, occurrence, "move", error);
	if (path == NULL)
		return FALSE;
	if (to == NULL || reason == NULL) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "schedule move needs --to TIME and --reason REASON");
		return FALSE;
	}
	body = cb_ctl_strings_body(members, (const char *const[]){to, reason});
	return cb_ctl_call_print_object(ctl, "POST", path, body, cb_ctl_occurrence_columns,
					G_N_ELEMENTS(cb_ctl_occurrence_columns), error);
}

static gboolean
cb_ctl_schedule_cancel(CbCtl *ctl, int argc, char **argv, GError **error)
{
	g_autofree char *series = NULL, *occurrence = NULL, *reason = NULL;
	g_autofree char *path = NULL;
	g_autoptr(JsonNode) body = NULL;
	const GOptionEntry entries[] = {
		{"series", 0, 0, G_OPTION_ARG_STRING, &series, "The series", "ID"},
		{"occurrence", 0, 0, G_OPTION_ARG_STRING, &occurrence,
		 "The occurrence's original start (RFC 3339)", "START"},
		{"reason", 0, 0, G_OPTION_ARG_STRING, &reason, "Why it is cancelled", "REASON"},
		{NULL},
	};
	static const char *const members[] = {"reason", NULL};

	if (!cb_ctl_parse(ctl, "schedule cancel", entries, NULL, argc, argv, NULL, error))
		return FALSE;
	path = cb_ctl_occurrence_path("schedule cancel", series, occurrence, "cancel", error);
	if (path == NULL)
		return FALSE;
	if (reason == NULL) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "schedule cancel needs --reason REASON");
		return FALSE;
	}
	body = cb_ctl_strings_body(members, (const char *const[]){reason});
	return cb_ctl_call_print_object(ctl, "POST", path, body, cb_ctl_occurrence_columns,
					G_N_ELEMENTS(cb_ctl_occurrence_columns), error);
}

gboolean
cb_ctl_command_schedule(CbCtl *ctl, int argc, char **argv, GError **error)
{
	static const CbCtlCommand actions[] = {
		{"series", cb_ctl_schedule_series},
		{"occurrences", cb_ctl_schedule_occurrences},
		{"move", cb_ctl_schedule_move},
		{"cancel", cb_ctl_schedule_cancel},
		{NULL},
	};

	return cb_ctl_dispatch(ctl, "schedule command", actions, argc - 1, argv + 1, error);
}
