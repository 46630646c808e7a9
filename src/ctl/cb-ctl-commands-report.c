#define G_LOG_DOMAIN "CbCtl"

#include <string.h>

#include "civic-bridge/cb-csv.h"
#include "civic-bridge/cb-error.h"

#include "cb-ctl.h"

#define CB_CTL_REPORT "/api/v1/reports/summary"

/* the figures, in the order the office publishes them */
static const CbCtlField cb_ctl_report_figures[] = {
	{"visits", "visits"},
	{"citizens", "citizens"},
	{"large groups", "large_groups"},
	{"large group citizens", "large_group_citizens"},
};

/* the splits: the member and the header of its table */
static const CbCtlField cb_ctl_report_splits[] = {
	{"CATEGORY", "by_category"},
	{"BRIDGE POINT", "by_bridge_point"},
	{"HANDLING", "by_handling"},
};

/* --format is global and knows table and json; csv is the report's own. It is
 * taken out of the arguments (and the global options given before the
 * command) before they are parsed; TRUE when it was asked for. */
static gboolean
cb_ctl_report_take_csv(CbCtl *ctl, int *argc, char **argv)
{
	gboolean csv = FALSE;
	int out = 0;

	if (g_strcmp0(ctl->given.format, "csv") == 0) {
		g_clear_pointer(&ctl->given.format, g_free);
		csv = TRUE;
	}
	for (int i = 0; i < *argc; i++) {
		if (g_str_equal(argv[i], "--format=csv")) {
			csv = TRUE;
			continue;
		}
		if (g_str_equal(argv[i], "--format") && i + 1 < *argc &&
		    g_str_equal(argv[i + 1], "csv")) {
			csv = TRUE;
			i++;
			continue;
		}
		/* the last --format given wins, as with any option given twice */
		if (g_str_has_prefix(argv[i], "--format"))
			csv = FALSE;
		argv[out++] = argv[i];
	}
	*argc = out;
	return csv;
}

static char *
cb_ctl_report_path(const char *const *names, const char *const *values, gsize n)
{
	g_autoptr(GString) path = g_string_new(CB_CTL_REPORT);
	gboolean first = TRUE;

	for (gsize i = 0; i < n; i++) {
		if (values[i] == NULL)
			continue;
		g_string_append_printf(path, "%s%s=", first ? "?" : "&", names[i]);
		g_string_append_uri_escaped(path, values[i], NULL, FALSE);
		first = FALSE;
	}
	return g_string_free(g_steal_pointer(&path), FALSE);
}

/* the counts of one split, or NULL when the answer has none */
static JsonObject *
cb_ctl_report_split(JsonObject *report, const char *member)
{
	JsonNode *node = json_object_get_member(report, member);

	return node != NULL && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

static gboolean
cb_ctl_report_table(JsonObject *report, GError **error)
{
	const char *names[G_N_ELEMENTS(cb_ctl_report_figures) + 1] = {NULL};
	char *values[G_N_ELEMENTS(cb_ctl_report_figures) + 1] = {NULL};
	g_autoptr(GString) out = g_string_new(NULL);
	g_autofree char *record = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(cb_ctl_report_figures); i++) {
		names[i] = cb_ctl_report_figures[i].header;
		values[i] = cb_ctl_member_text(report, cb_ctl_report_figures[i].member);
	}
	record = cb_ctl_render_record(names, (const char *const *)values);
	for (gsize i = 0; i < G_N_ELEMENTS(cb_ctl_report_figures); i++)
		g_free(values[i]);
	g_string_append(out, record);
	for (gsize s = 0; s < G_N_ELEMENTS(cb_ctl_report_splits); s++) {
		const char *headers[] = {cb_ctl_report_splits[s].header, "VISITS", NULL};
		g_autoptr(CbCtlTable) table = cb_ctl_table_new(headers);
		JsonObject *split = cb_ctl_report_split(report, cb_ctl_report_splits[s].member);
		g_autoptr(GList) members = split != NULL ? json_object_get_members(split) : NULL;
		g_autofree char *rendered = NULL;

		for (GList *l = members; l != NULL; l = l->next) {
			const char *name = l->data;
			g_autofree char *visits = cb_ctl_member_text(split, name);
			/* the hall has no bridge point, so no name */
			const char *cells[] = {name[0] != '\0' ? name : "(hall)", visits};
			cb_ctl_table_add_row(table, cells);
		}
		rendered = cb_ctl_table_render(table);
		g_string_append_printf(out, "\n%s", rendered);
	}
	return cb_ctl_write_stdout(out->str, error);
}

/* one row per figure and per count: figure,name,value */
static gboolean
cb_ctl_report_csv(JsonObject *report, GError **error)
{
	g_autoptr(GString) out = g_string_new("figure,name,value\r\n");

	for (gsize i = 0; i < G_N_ELEMENTS(cb_ctl_report_figures); i++) {
		g_autofree char *value =
			cb_ctl_member_text(report, cb_ctl_report_figures[i].member);
		const char *cells[] = {cb_ctl_report_figures[i].member, "", value};
		cb_csv_append_record(out, cells, G_N_ELEMENTS(cells), TRUE);
	}
	for (gsize s = 0; s < G_N_ELEMENTS(cb_ctl_report_splits); s++) {
		JsonObject *split = cb_ctl_report_split(report, cb_ctl_report_splits[s].member);
		g_autoptr(GList) members = split != NULL ? json_object_get_members(split) : NULL;

		for (GList *l = members; l != NULL; l = l->next) {
			g_autofree char *value = cb_ctl_member_text(split, l->data);
			const char *cells[] = {cb_ctl_report_splits[s].member, l->data, value};
			cb_csv_append_record(out, cells, G_N_ELEMENTS(cells), TRUE);
		}
	}
	return cb_ctl_write_stdout(out->str, error);
}

gboolean
cb_ctl_command_report(CbCtl *ctl, int argc, char **argv, GError **error)
{
	g_autofree char *from = NULL, *to = NULL, *kind = NULL, *bridge_point = NULL;
	const GOptionEntry entries[] = {
		{"from", 0, 0, G_OPTION_ARG_STRING, &from, "First day (default: the first entry)",
		 "YYYY-MM-DD"},
		{"to", 0, 0, G_OPTION_ARG_STRING, &to, "Last day, included (default: the last)",
		 "YYYY-MM-DD"},
		{"kind", 0, 0, G_OPTION_ARG_STRING, &kind, "Sessions of this kind only",
		 "leadership|regular"},
		{"bridge-point", 0, 0, G_OPTION_ARG_STRING, &bridge_point,
		 "One bridge point, by name (\"\" for the hall alone)", "NAME"},
		{NULL},
	};
	const char *names[] = {"from", "to", "kind", "bridge_point"};
	g_autofree char *path = NULL;
	CbCtlClient *client = NULL;
	g_autoptr(JsonNode) answer = NULL;
	gboolean csv = cb_ctl_report_take_csv(ctl, &argc, argv);

	if (!cb_ctl_parse(ctl, "report", entries, NULL, argc, argv, NULL, error) ||
	    !cb_ctl_check_day("--from", from, error) || !cb_ctl_check_day("--to", to, error))
		return FALSE;
	if (kind != NULL && !g_str_equal(kind, "leadership") && !g_str_equal(kind, "regular")) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "--kind must be leadership or regular");
		return FALSE;
	}
	path = cb_ctl_report_path(names, (const char *const[]){from, to, kind, bridge_point},
				  G_N_ELEMENTS(names));
	client = cb_ctl_get_client(ctl, FALSE, error);
	if (client == NULL)
		return FALSE;
	answer = cb_ctl_client_call(client, "GET", path, NULL, error);
	if (answer == NULL)
		return FALSE;
	if (!JSON_NODE_HOLDS_OBJECT(answer)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INTERNAL,
				    "civic-bridged gave an answer of an unexpected shape");
		return FALSE;
	}
	if (csv)
		return cb_ctl_report_csv(json_node_get_object(answer), error);
	if (ctl->format == CB_CTL_FORMAT_JSON)
		return cb_ctl_print_json(answer, error);
	return cb_ctl_report_table(json_node_get_object(answer), error);
}
