/* civic-bridgectl: the command-line client's modules, built into libcivic-bridge */
#pragma once

#include <json-glib/json-glib.h>

#include "civic-bridge/cb-recording-export.h"

G_BEGIN_DECLS

#define CB_CTL_DEFAULT_URL "http://127.0.0.1:8080"

/* every usage error is a G_OPTION_ERROR, like GOption's own: main exits 2 on
 * that domain and 1 on any other */
#define CB_CTL_IS_USAGE_ERROR(e) ((e) != NULL && (e)->domain == G_OPTION_ERROR)

typedef enum {
	CB_CTL_FORMAT_TABLE,
	CB_CTL_FORMAT_JSON,
} CbCtlFormat;

/* the global options as given on the command line, before defaults */
typedef struct {
	char *url;
	char *token;
	char *format;
	char *state_dir;
} CbCtlGlobals;

typedef struct _CbCtlClient CbCtlClient;

/* one run of the program: the resolved global options and the client */
typedef struct {
	CbCtlGlobals given;
	char *url;   /* --url, else $CIVIC_BRIDGE_URL, else the default */
	char *token; /* --token, else $CIVIC_BRIDGE_TOKEN; may be NULL */
	CbCtlFormat format;
	CbCtlClient *client; /* made on first use */
} CbCtl;

CbCtl *cb_ctl_new(void);
void cb_ctl_free(CbCtl *ctl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbCtl, cb_ctl_free)

/* cb-ctl-args.c: option parsing shared by every command */

/* fills @entries (5 long) with --url, --token, --format and --state-dir */
void cb_ctl_globals_entries(CbCtlGlobals *globals, GOptionEntry *entries);

/* parses a command's own options (the global ones are accepted too, and win
 * over those before the command), insists on exactly the arguments named in
 * @arg_names (NULL-terminated, or NULL for none), returned in *@args, and
 * resolves the global options against the environment and defaults */
gboolean cb_ctl_parse(CbCtl *ctl, const char *command, const GOptionEntry *entries,
		      const char *const *arg_names, int argc, char **argv, char ***args,
		      GError **error);

/* cb_ctl_parse for a command taking one argument: the id of @what */
gboolean cb_ctl_parse_with_id(CbCtl *ctl, const char *command, const GOptionEntry *entries,
			      const char *what, int argc, char **argv, gint64 *id, GError **error);

/* a positive object id; a usage error naming @what otherwise */
gboolean cb_ctl_parse_id(const char *text, const char *what, gint64 *id, GError **error);

/* 3600, 3600s, 90m, 12h or 30d, in seconds */
gboolean cb_ctl_parse_duration(const char *text, gint64 *seconds, GError **error);

typedef gboolean (*CbCtlCommandFunc)(CbCtl *ctl, int argc, char **argv, GError **error);

/* a command or subcommand: its name and what runs it */
typedef struct {
	const char *name;
	CbCtlCommandFunc func;
} CbCtlCommand;

/* runs the command of @commands (NULL-terminated) named by argv[0], giving it
 * argv from its own name on; a usage error naming @kind when there is none */
gboolean cb_ctl_dispatch(CbCtl *ctl, const char *kind, const CbCtlCommand *commands, int argc,
			 char **argv, GError **error);

/* cb-ctl-client.c: HTTP requests to civic-bridged */

CbCtlClient *cb_ctl_client_new(const char *url, const char *token, GError **error);
void cb_ctl_client_free(CbCtlClient *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbCtlClient, cb_ctl_client_free)

/* sends one request; FALSE only when no answer came. *@answer gets the JSON
 * answer, or NULL for an empty or non-JSON one */
gboolean cb_ctl_client_send(CbCtlClient *self, const char *method, const char *path, JsonNode *body,
			    guint *status, JsonNode **answer, GError **error);

/* like send, but any status but 2xx is an error carrying the API's message,
 * code and status; returns the answer, or a null node for an empty one */
JsonNode *cb_ctl_client_call(CbCtlClient *self, const char *method, const char *path,
			     JsonNode *body, GError **error);

/* the client for @ctl, made once; needs a token unless @anonymous */
CbCtlClient *cb_ctl_get_client(CbCtl *ctl, gboolean anonymous, GError **error);

/* the API's error answer {"error":{"code","message"}} as a CB_ERROR; any other
 * answer by its @status, naming the daemon at @shown */
void cb_ctl_set_api_error(const char *shown, guint status, JsonNode *answer, GError **error);

/* a request body's string member, left out when @value is NULL */
void cb_ctl_add_string(JsonBuilder *builder, const char *member, const char *value);

/* an object of the string members named in @members (NULL-terminated) whose
 * @values are not NULL */
JsonNode *cb_ctl_strings_body(const char *const *members, const char *const *values);

/* cb-ctl-table.c: human output, pure formatting */

typedef struct _CbCtlTable CbCtlTable;

CbCtlTable *cb_ctl_table_new(const char *const *headers);
void cb_ctl_table_free(CbCtlTable *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbCtlTable, cb_ctl_table_free)

/* @cells has as many entries as there are headers; NULL cells show as "-" */
void cb_ctl_table_add_row(CbCtlTable *self, const char *const *cells);

/* columns padded to the widest cell, two spaces apart, no trailing blanks */
char *cb_ctl_table_render(CbCtlTable *self);

/* "name:  value" lines, the names padded alike */
char *cb_ctl_render_record(const char *const *names, const char *const *values);

/* the columns a terminal gives @text (combining marks 0, wide characters 2) */
gsize cb_ctl_display_width(const char *text);

/* @text with control characters, which could drive the terminal, shown as '?' */
char *cb_ctl_sanitize(const char *text);

/* cb-ctl-output.c: printing API answers */

/* a column of a table or a line of a record: what to call it and which member */
typedef struct {
	const char *header;
	const char *member;
} CbCtlField;

/* writes @text to stdout as it is (UTF-8) and checks that it got there */
gboolean cb_ctl_write_stdout(const char *text, GError **error);

/* pretty JSON and a newline */
gboolean cb_ctl_print_json(JsonNode *node, GError **error);

/* a member as text: strings as they are, numbers in decimal, null and
 * missing members as NULL */
char *cb_ctl_member_text(JsonObject *object, const char *member);

/* {"items":[...]} as a table of @fields, or as JSON */
gboolean cb_ctl_print_list(CbCtl *ctl, JsonNode *answer, const CbCtlField *fields, guint n_fields,
			   GError **error);

/* one object as "name: value" lines of @fields (names in lower case), or as JSON */
gboolean cb_ctl_print_object(CbCtl *ctl, JsonNode *answer, const CbCtlField *fields, guint n_fields,
			     GError **error);

/* sends @method to @path with @body (may be NULL) and prints the one object
 * answered, as cb_ctl_print_object() */
gboolean cb_ctl_call_print_object(CbCtl *ctl, const char *method, const char *path, JsonNode *body,
				  const CbCtlField *fields, guint n_fields, GError **error);

/* GETs @path and prints the list answered, as cb_ctl_print_list() */
gboolean cb_ctl_call_print_list(CbCtl *ctl, const char *path, const CbCtlField *fields,
				guint n_fields, GError **error);

/* DELETEs @path and says @done; the API answers 204 with no body, so in JSON
 * there is nothing to print */
gboolean cb_ctl_call_delete(CbCtl *ctl, const char *path, const char *done, GError **error);

/* the commands: each takes its own name and what follows it */
gboolean cb_ctl_command_health(CbCtl *ctl, int argc, char **argv, GError **error);
gboolean cb_ctl_command_bridge_point(CbCtl *ctl, int argc, char **argv, GError **error);
gboolean cb_ctl_command_token(CbCtl *ctl, int argc, char **argv, GError **error);
gboolean cb_ctl_command_audit(CbCtl *ctl, int argc, char **argv, GError **error);
gboolean cb_ctl_command_init_admin(CbCtl *ctl, int argc, char **argv, GError **error);
/* schedule series|occurrences|move|cancel, and session ... (cb-ctl-commands-schedule.c,
 * cb-ctl-commands-sessions.c) */
gboolean cb_ctl_command_schedule(CbCtl *ctl, int argc, char **argv, GError **error);
gboolean cb_ctl_command_session(CbCtl *ctl, int argc, char **argv, GError **error);
/* export|import reception-book (cb-ctl-commands-book.c) and report
 * (cb-ctl-commands-report.c) */
gboolean cb_ctl_command_export(CbCtl *ctl, int argc, char **argv, GError **error);
gboolean cb_ctl_command_import(CbCtl *ctl, int argc, char **argv, GError **error);
gboolean cb_ctl_command_report(CbCtl *ctl, int argc, char **argv, GError **error);
/* queue list, and ticket register|show|call|admit|finish|defer|refuse|cancel|move
 * (cb-ctl-commands-queue.c, cb-ctl-commands-tickets.c) */
gboolean cb_ctl_command_queue(CbCtl *ctl, int argc, char **argv, GError **error);
gboolean cb_ctl_command_ticket(CbCtl *ctl, int argc, char **argv, GError **error);
/* recording verify|export (cb-ctl-commands-recording.c,
 * cb-ctl-commands-recording-export.c), and list|show|hold|unhold|purge
 * through the API (cb-ctl-commands-recordings.c) */
gboolean cb_ctl_command_recording(CbCtl *ctl, int argc, char **argv, GError **error);
gboolean cb_ctl_recording_export(CbCtl *ctl, int argc, char **argv, GError **error);
gboolean cb_ctl_recording_list(CbCtl *ctl, int argc, char **argv, GError **error);
gboolean cb_ctl_recording_show(CbCtl *ctl, int argc, char **argv, GError **error);
gboolean cb_ctl_recording_hold(CbCtl *ctl, int argc, char **argv, GError **error);
gboolean cb_ctl_recording_unhold(CbCtl *ctl, int argc, char **argv, GError **error);
gboolean cb_ctl_recording_purge(CbCtl *ctl, int argc, char **argv, GError **error);
/* SESSION (an id: its folder in the state directory, the confidential one if
 * @confidential) or a folder's path, as it is */
char *cb_ctl_recording_path(CbCtl *ctl, const char *what, gboolean confidential, GError **error);
/* what an export would read and make (--dry-run): the span, the tracks, the
 * composite's tiles, or the one track @track */
gboolean cb_ctl_export_print_plan(CbCtl *ctl, CbExportPlan *plan, const char *track,
				  GError **error);
/* a usage error naming @option unless @text is NULL or a day YYYY-MM-DD */
gboolean cb_ctl_check_day(const char *option, const char *text, GError **error);

G_END_DECLS
