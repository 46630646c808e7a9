#define G_LOG_DOMAIN "CbCtl"

#include <string.h>

#include "cb-ctl.h"

#define CB_CTL_TICKETS "/api/v1/tickets"

static const CbCtlField cb_ctl_ticket_record[] = {
	{"ID", "id"},
	{"SESSION", "session_id"},
	{"SESSION STATE", "session_state"},
	{"STATE", "state"},
	{"POSITION", "position"},
	{"WAIT SECONDS", "estimated_wait_seconds"},
	{"CATEGORY", "category"},
	{"SUMMARY", "summary"},
	{"PERSONS", "persons"},
	{"REPRESENTATIVES", "representatives"},
	{"BRIDGE POINT", "bridge_point_id"},
	{"PRIORITY", "priority"},
	{"CHANNEL", "channel"},
	{"NAME", "citizen_name"},
	{"ADDRESS", "address"},
	{"ID NUMBER", "id_number"},
	{"CONTACT", "contact"},
	{"ALREADY HANDLED BY", "already_handled_by"},
	{"HANDLING", "handling"},
	{"REFUSE REASON", "refuse_reason"},
	{"FOLLOW-UP", "follow_up"},
	{"NOTES", "notes"},
	{"CREATED", "created_at"},
	{"CALLED", "called_at"},
	{"ADMITTED", "admitted_at"},
	{"FINISHED", "finished_at"},
};

/* sends @method to @path with @body (taken) and prints the ticket answered */
static gboolean
cb_ctl_ticket_print_call(CbCtl *ctl, const char *method, const char *path, JsonNode *body,
			 GError **error)
{
	g_autoptr(JsonNode) owned = body;

	return cb_ctl_call_print_object(ctl, method, path, owned, cb_ctl_ticket_record,
					G_N_ELEMENTS(cb_ctl_ticket_record), error);
}

/* an optional positive number given as @option; usage error otherwise */
static gboolean
cb_ctl_ticket_number(JsonBuilder *builder, const char *member, const char *option, const char *text,
		     GError **error)
{
	g_autofree char *what = g_strdup_printf("%s value", option);
	gint64 value = 0;

	if (text == NULL)
		return TRUE;
	if (!cb_ctl_parse_id(text, what, &value, error))
		return FALSE;
	json_builder_set_member_name(builder, member);
	json_builder_add_int_value(builder, value);
	return TRUE;
}

/* --- register ------------------------------------------------------------ */

typedef struct {
	char *category;
	char *summary;
	char *persons;
	char **representatives;
	char *bridge_point;
	char *session;
	char *priority;
	char *channel;
	char *name;
	char *address;
	char *id_number;
	char *contact;
	char *handled_by;
} CbCtlRegisterArgs;

static void
cb_ctl_register_args_clear(CbCtlRegisterArgs *args)
{
	g_free(args->category);
	g_free(args->summary);
	g_free(args->persons);
	g_strfreev(args->representatives);
	g_free(args->bridge_point);
	g_free(args->session);
	g_free(args->priority);
	g_free(args->channel);
	g_free(args->name);
	g_free(args->address);
	g_free(args->id_number);
	g_free(args->contact);
	g_free(args->handled_by);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbCtlRegisterArgs, cb_ctl_register_args_clear)

static JsonNode *
cb_ctl_register_body(const CbCtlRegisterArgs *args, GError **error)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();

	json_builder_begin_object(builder);
	cb_ctl_add_string(builder, "category", args->category);
	cb_ctl_add_string(builder, "summary", args->summary);
	if (!cb_ctl_ticket_number(builder, "persons", "--persons", args->persons, error) ||
	    !cb_ctl_ticket_number(builder, "bridge_point_id", "--bridge-point", args->bridge_point,
				  error) ||
	    !cb_ctl_ticket_number(builder, "session_id", "--session", args->session, error))
		return NULL;
	if (args->representatives != NULL) {
		json_builder_set_member_name(builder, "representatives");
		json_builder_begin_array(builder);
		for (guint i = 0; args->representatives[i] != NULL; i++)
			json_builder_add_string_value(builder, args->representatives[i]);
		json_builder_end_array(builder);
	}
	cb_ctl_add_string(builder, "priority", args->priority);
	cb_ctl_add_string(builder, "channel", args->channel);
	cb_ctl_add_string(builder, "citizen_name", args->name);
	cb_ctl_add_string(builder, "address", args->address);
	cb_ctl_add_string(builder, "id_number", args->id_number);
	cb_ctl_add_string(builder, "contact", args->contact);
	cb_ctl_add_string(builder, "already_handled_by", args->handled_by);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

static gboolean
cb_ctl_ticket_register(CbCtl *ctl, int argc, char **argv, GError **error)
{
	g_auto(CbCtlRegisterArgs) args = {0};
	const GOptionEntry entries[] = {
		{"category", 0, 0, G_OPTION_ARG_STRING, &args.category,
		 "complaint, denunciation, recommendation or reflection", "C"},
		{"summary", 0, 0, G_OPTION_ARG_STRING, &args.summary, "What it is about", "S"},
		{"persons", 0, 0, G_OPTION_ARG_STRING, &args.persons, "Head count (default 1)",
		 "N"},
		{"representative", 0, 0, G_OPTION_ARG_STRING_ARRAY, &args.representatives,
		 "A delegation's representative (up to 5)", "NAME"},
		{"bridge-point", 0, 0, G_OPTION_ARG_STRING, &args.bridge_point,
		 "Bridge point id (default: the hall; operators: their own)", "ID"},
		{"session", 0, 0, G_OPTION_ARG_STRING, &args.session,
		 "Session id (default: the running one, else the next)", "ID"},
		{"priority", 0, 0, G_OPTION_ARG_STRING, &args.priority,
		 "none, elderly, disability, pregnancy or merit", "P"},
		{"channel", 0, 0, G_OPTION_ARG_STRING, &args.channel, "walk-in (default) or online",
		 "CH"},
		{"name", 0, 0, G_OPTION_ARG_STRING, &args.name, "Citizen's name", "N"},
		{"address", 0, 0, G_OPTION_ARG_STRING, &args.address, "Citizen's address", "A"},
		{"id-number", 0, 0, G_OPTION_ARG_STRING, &args.id_number, "ID card number", "I"},
		{"contact", 0, 0, G_OPTION_ARG_STRING, &args.contact, "Phone or e-mail", "C"},
		{"already-handled-by", 0, 0, G_OPTION_ARG_STRING, &args.handled_by,
		 "Authority already handling the matter", "WHO"},
		{NULL},
	};
	JsonNode *body;

	if (!cb_ctl_parse(ctl, "ticket register", entries, NULL, argc, argv, NULL, error))
		return FALSE;
	if (args.category == NULL || args.summary == NULL) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "ticket register needs --category C and --summary S");
		return FALSE;
	}
	body = cb_ctl_register_body(&args, error);
	return body != NULL && cb_ctl_ticket_print_call(ctl, "POST", CB_CTL_TICKETS, body, error);
}

/* --- one ticket -------------------------------------------------------------- */

/* parses the options and the one ID argument; the ticket's path, with @action */
static char *
cb_ctl_ticket_path(CbCtl *ctl, const char *command, const GOptionEntry *entries, const char *action,
		   int argc, char **argv, GError **error)
{
	gint64 id = 0;

	if (!cb_ctl_parse_with_id(ctl, command, entries, "ticket id", argc, argv, &id, error))
		return NULL;
	if (action == NULL)
		return g_strdup_printf(CB_CTL_TICKETS "/%" G_GINT64_FORMAT, id);
	return g_strdup_printf(CB_CTL_TICKETS "/%" G_GINT64_FORMAT "/%s", id, action);
}

static gboolean
cb_ctl_ticket_show(CbCtl *ctl, int argc, char **argv, GError **error)
{
	g_autofree char *path =
		cb_ctl_ticket_path(ctl, "ticket show", NULL, NULL, argc, argv, error);

	return path != NULL && cb_ctl_ticket_print_call(ctl, "GET", path, NULL, error);
}

/* call, admit, defer and cancel: no options, no body */
static gboolean
cb_ctl_ticket_simple(CbCtl *ctl, const char *action, int argc, char **argv, GError **error)
{
	g_autofree char *command = g_strdup_printf("ticket %s", action);
	g_autofree char *path = cb_ctl_ticket_path(ctl, command, NULL, action, argc, argv, error);

	return path != NULL && cb_ctl_ticket_print_call(ctl, "POST", path, NULL, error);
}

static gboolean
cb_ctl_ticket_call(CbCtl *ctl, int argc, char **argv, GError **error)
{
	return cb_ctl_ticket_simple(ctl, "call", argc, argv, error);
}

static gboolean
cb_ctl_ticket_admit(CbCtl *ctl, int argc, char **argv, GError **error)
{
	return cb_ctl_ticket_simple(ctl, "admit", argc, argv, error);
}

static gboolean
cb_ctl_ticket_defer(CbCtl *ctl, int argc, char **argv, GError **error)
{
	return cb_ctl_ticket_simple(ctl, "defer", argc, argv, error);
}

static gboolean
cb_ctl_ticket_cancel(CbCtl *ctl, int argc, char **argv, GError **error)
{
	return cb_ctl_ticket_simple(ctl, "cancel", argc, argv, error);
}

static gboolean
cb_ctl_ticket_finish(CbCtl *ctl, int argc, char **argv, GError **error)
{
	g_autofree char *handling = NULL, *follow_up = NULL, *notes = NULL;
	const GOptionEntry entries[] = {
		{"handling", 0, 0, G_OPTION_ARG_STRING, &handling, "accepted, guided or forwarded",
		 "H"},
		{"follow-up", 0, 0, G_OPTION_ARG_STRING, &follow_up,
		 "Follow-up, for the reception book", "F"},
		{"notes", 0, 0, G_OPTION_ARG_STRING, &notes, "Notes, for the reception book", "N"},
		{NULL},
	};
	const char *const members[] = {"handling", "follow_up", "notes", NULL};
	g_autofree char *path =
		cb_ctl_ticket_path(ctl, "ticket finish", entries, "finish", argc, argv, error);

	if (path == NULL)
		return FALSE;
	if (handling == NULL) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "ticket finish needs --handling accepted|guided|forwarded");
		return FALSE;
	}
	return cb_ctl_ticket_print_call(
		ctl, "POST", path,
		cb_ctl_strings_body(members, (const char *const[]){handling, follow_up, notes}),
		error);
}

static gboolean
cb_ctl_ticket_refuse(CbCtl *ctl, int argc, char **argv, GError **error)
{
	g_autofree char *reason = NULL, *notes = NULL;
	const GOptionEntry entries[] = {
		{"reason", 0, 0, G_OPTION_ARG_STRING, &reason,
		 "A reason code of the daemon's [queue] refuse-reasons", "CODE"},
		{"notes", 0, 0, G_OPTION_ARG_STRING, &notes, "Notes, for the reception book", "N"},
		{NULL},
	};
	const char *const members[] = {"reason", "notes", NULL};
	g_autofree char *path =
		cb_ctl_ticket_path(ctl, "ticket refuse", entries, "refuse", argc, argv, error);

	if (path == NULL)
		return FALSE;
	if (reason == NULL) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "ticket refuse needs --reason CODE");
		return FALSE;
	}
	return cb_ctl_ticket_print_call(
		ctl, "POST", path,
		cb_ctl_strings_body(members, (const char *const[]){reason, notes}), error);
}

static gboolean
cb_ctl_ticket_move(CbCtl *ctl, int argc, char **argv, GError **error)
{
	g_autofree char *before = NULL, *position = NULL, *reason = NULL;
	const GOptionEntry entries[] = {
		{"before", 0, 0, G_OPTION_ARG_STRING, &before, "Put it before this ticket", "ID"},
		{"position", 0, 0, G_OPTION_ARG_STRING, &position,
		 "Put it at this place (1 is first), instead of --before", "N"},
		{"reason", 0, 0, G_OPTION_ARG_STRING, &reason, "Why (audited)", "R"},
		{NULL},
	};
	g_autofree char *path =
		cb_ctl_ticket_path(ctl, "ticket move", entries, "move", argc, argv, error);
	g_autoptr(JsonBuilder) builder = json_builder_new();

	if (path == NULL)
		return FALSE;
	if ((before == NULL) == (position == NULL) || reason == NULL) {
		g_set_error_literal(
			error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
			"ticket move needs --before ID or --position N, and --reason R");
		return FALSE;
	}
	json_builder_begin_object(builder);
	if (!cb_ctl_ticket_number(builder, "before", "--before", before, error) ||
	    !cb_ctl_ticket_number(builder, "position", "--position", position, error))
		return FALSE;
	cb_ctl_add_string(builder, "reason", reason);
	json_builder_end_object(builder);
	return cb_ctl_ticket_print_call(ctl, "POST", path, json_builder_get_root(builder), error);
}

gboolean
cb_ctl_command_ticket(CbCtl *ctl, int argc, char **argv, GError **error)
{
	static const CbCtlCommand actions[] = {
		{"register", cb_ctl_ticket_register}, {"show", cb_ctl_ticket_show},
		{"call", cb_ctl_ticket_call},         {"admit", cb_ctl_ticket_admit},
		{"finish", cb_ctl_ticket_finish},     {"defer", cb_ctl_ticket_defer},
		{"refuse", cb_ctl_ticket_refuse},     {"cancel", cb_ctl_ticket_cancel},
		{"move", cb_ctl_ticket_move},         {NULL},
	};

	return cb_ctl_dispatch(ctl, "ticket command", actions, argc - 1, argv + 1, error);
}
