#define G_LOG_DOMAIN "CbCtl"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <libsoup/soup.h>

#include "civic-bridge/cb-csv.h"
#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-reception-book.h"

#include "cb-ctl.h"

#define CB_CTL_BOOK_EXPORT "/api/v1/reception-book.csv"
#define CB_CTL_BOOK_IMPORT "/api/v1/reception-book/import"
/* a whole book goes in one request: allow it more than the usual 30 s */
#define CB_CTL_BOOK_TIMEOUT_S 600

gboolean
cb_ctl_check_day(const char *option, const char *text, GError **error)
{
	GDate day;

	if (text == NULL || cb_book_parse_day(text, &day))
		return TRUE;
	g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "%s must be a day written YYYY-MM-DD, such as 2024-03-19", option);
	return FALSE;
}

/* --- requests whose bodies are not JSON ------------------------------------------ */

typedef struct {
	guint status;
	GBytes *body;
	JsonNode *json; /* the body parsed, when it is JSON */
	char *shown;    /* the daemon's URL for messages, any password hidden */
} CbCtlBookAnswer;

static void
cb_ctl_book_answer_free(CbCtlBookAnswer *answer)
{
	g_clear_pointer(&answer->body, g_bytes_unref);
	g_clear_pointer(&answer->json, json_node_unref);
	g_free(answer->shown);
	g_free(answer);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbCtlBookAnswer, cb_ctl_book_answer_free)

static SoupMessage *
cb_ctl_book_message(CbCtl *ctl, const char *method, const char *path, const char *content_type,
		    GBytes *body)
{
	g_autofree char *base = g_strdup(ctl->url);
	g_autofree char *uri = NULL;
	g_autofree char *authorization = g_strconcat("Bearer ", ctl->token, NULL);
	SoupMessage *msg;
	SoupMessageHeaders *headers;

	while (g_str_has_suffix(base, "/"))
		base[strlen(base) - 1] = '\0';
	uri = g_strconcat(base, path, NULL);
	msg = soup_message_new(method, uri);
	if (msg == NULL)
		return NULL;
	/* a redirect elsewhere must not carry the token along */
	soup_message_add_flags(msg, SOUP_MESSAGE_NO_REDIRECT);
	headers = soup_message_get_request_headers(msg);
	soup_message_headers_replace(headers, "Authorization", authorization);
	explicit_bzero(authorization, strlen(authorization));
	if (body != NULL)
		soup_message_set_request_body_from_bytes(msg, content_type, body);
	return msg;
}

/* one request with a body of @content_type; any status but 2xx is an error,
 * unless @keep_failure, which leaves it to the caller */
static CbCtlBookAnswer *
cb_ctl_book_send(CbCtl *ctl, const char *method, const char *path, const char *content_type,
		 GBytes *body, gboolean keep_failure, GError **error)
{
	g_autoptr(SoupSession) session = NULL;
	g_autoptr(SoupMessage) msg = NULL;
	g_autoptr(CbCtlBookAnswer) answer = g_new0(CbCtlBookAnswer, 1);
	g_autoptr(GUri) uri = NULL;
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	g_autoptr(GError) local = NULL;
	const char *type;

	/* the usual client checks the token and the URL, with the usual messages */
	if (cb_ctl_get_client(ctl, FALSE, error) == NULL)
		return NULL;
	uri = g_uri_parse(ctl->url, SOUP_HTTP_URI_FLAGS, NULL);
	answer->shown = g_uri_to_string_partial(uri, G_URI_HIDE_PASSWORD);
	msg = cb_ctl_book_message(ctl, method, path, content_type, body);
	if (msg == NULL) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "cannot make a request to %s%s", answer->shown, path);
		return NULL;
	}
	session = soup_session_new_with_options("timeout", CB_CTL_BOOK_TIMEOUT_S, "user-agent",
						"civic-bridgectl/" PACKAGE_VERSION, NULL);
	answer->body = soup_session_send_and_read(session, msg, NULL, &local);
	if (answer->body == NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_UNAVAILABLE,
			    "cannot reach civic-bridged at %s: %s", answer->shown, local->message);
		return NULL;
	}
	answer->status = soup_message_get_status(msg);
	type = soup_message_headers_get_content_type(soup_message_get_response_headers(msg), NULL);
	if (g_strcmp0(type, "application/json") == 0 &&
	    json_parser_load_from_data(parser, g_bytes_get_data(answer->body, NULL),
				       g_bytes_get_size(answer->body), NULL))
		answer->json = json_node_ref(json_parser_get_root(parser));
	if (!keep_failure && !SOUP_STATUS_IS_SUCCESSFUL(answer->status)) {
		cb_ctl_set_api_error(answer->shown, answer->status, answer->json, error);
		return NULL;
	}
	return g_steal_pointer(&answer);
}

/* --- export reception-book --------------------------------------------------------- */

static char *
cb_ctl_book_export_path(const char *from, const char *to)
{
	g_autoptr(GString) path = g_string_new(CB_CTL_BOOK_EXPORT);
	const char *names[] = {"from", "to"};
	const char *values[] = {from, to};

	for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
		if (values[i] == NULL)
			continue;
		g_string_append_printf(path,
				       "%s%s=", path->len > strlen(CB_CTL_BOOK_EXPORT) ? "&" : "?",
				       names[i]);
		g_string_append_uri_escaped(path, values[i], NULL, FALSE);
	}
	return g_string_free(g_steal_pointer(&path), FALSE);
}

/* how many entries a CSV export holds: its records but the header */
static guint
cb_ctl_book_count_entries(const char *data, gsize len)
{
	g_autoptr(CbCsvReader) reader = cb_csv_reader_new(data, len);
	guint records = 0;
	CbCsvStatus status;

	do {
		g_autoptr(GPtrArray) fields = NULL;
		g_autoptr(GError) error = NULL;
		guint line = 0;

		status = cb_csv_reader_next(reader, &fields, &line, &error);
		if (status != CB_CSV_END)
			records++;
	} while (status != CB_CSV_END);
	return records > 0 ? records - 1 : 0;
}

static gboolean
cb_ctl_book_write_export(CbCtl *ctl, const char *file, GBytes *csv, GError **error)
{
	gsize len = 0;
	const char *data = g_bytes_get_data(csv, &len);
	g_autofree char *done = NULL;

	if (g_str_equal(file, "-")) {
		if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
			g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED,
					    "cannot write to standard output");
			return FALSE;
		}
		return TRUE;
	}
	/* the book holds personal data: readable by its owner only */
	if (!g_file_set_contents_full(file, data, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
				      error))
		return FALSE;
	if (ctl->format == CB_CTL_FORMAT_JSON) {
		g_autofree char *escaped = g_strescape(file, NULL);
		done = g_strdup_printf("{\n  \"file\": \"%s\",\n  \"entries\": %u\n}\n", escaped,
				       cb_ctl_book_count_entries(data, len));
	} else {
		g_autofree char *shown = cb_ctl_sanitize(file);
		done = g_strdup_printf("exported %u entries to %s\n",
				       cb_ctl_book_count_entries(data, len), shown);
	}
	return cb_ctl_write_stdout(done, error);
}

static gboolean
cb_ctl_export_book(CbCtl *ctl, int argc, char **argv, GError **error)
{
	static const char *const arg_names[] = {"FILE.csv", NULL};
	g_autofree char *from = NULL;
	g_autofree char *to = NULL;
	const GOptionEntry entries[] = {
		{"from", 0, 0, G_OPTION_ARG_STRING, &from, "First day (default: the first entry)",
		 "YYYY-MM-DD"},
		{"to", 0, 0, G_OPTION_ARG_STRING, &to, "Last day, included (default: the last)",
		 "YYYY-MM-DD"},
		{NULL},
	};
	char **args = NULL;
	g_autofree char *path = NULL;
	g_autoptr(CbCtlBookAnswer) answer = NULL;

	if (!cb_ctl_parse(ctl, "export reception-book", entries, arg_names, argc, argv, &args,
			  error) ||
	    !cb_ctl_check_day("--from", from, error) || !cb_ctl_check_day("--to", to, error))
		return FALSE;
	path = cb_ctl_book_export_path(from, to);
	answer = cb_ctl_book_send(ctl, "GET", path, NULL, NULL, FALSE, error);
	return answer != NULL && cb_ctl_book_write_export(ctl, args[0], answer->body, error);
}

gboolean
cb_ctl_command_export(CbCtl *ctl, int argc, char **argv, GError **error)
{
	static const CbCtlCommand actions[] = {
		{"reception-book", cb_ctl_export_book},
		{NULL},
	};

	return cb_ctl_dispatch(ctl, "export command", actions, argc - 1, argv + 1, error);
}

/* --- import reception-book --------------------------------------------------------- */

static GBytes *
cb_ctl_book_read_input(const char *file, GError **error)
{
	g_autoptr(GInputStream) in = NULL;
	g_autoptr(GOutputStream) out = NULL;
	char *data = NULL;
	gsize len = 0;

	if (!g_str_equal(file, "-")) {
		if (!g_file_get_contents(file, &data, &len, error))
			return NULL;
		return g_bytes_new_take(data, len);
	}
	in = g_unix_input_stream_new(0, FALSE);
	out = g_memory_output_stream_new_resizable();
	if (g_output_stream_splice(out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, error) < 0) {
		g_prefix_error(error, "cannot read standard input: ");
		return NULL;
	}
	return g_memory_output_stream_steal_as_bytes(G_MEMORY_OUTPUT_STREAM(out));
}

/* a refused import: the API's message, then each bad row on a line of its own */
static void
cb_ctl_book_import_failed(CbCtlBookAnswer *answer, GError **error)
{
	JsonObject *root = answer->json != NULL && JSON_NODE_HOLDS_OBJECT(answer->json)
				   ? json_node_get_object(answer->json)
				   : NULL;
	JsonNode *rows = root != NULL ? json_object_get_member(root, "rows") : NULL;
	g_autoptr(GError) base = NULL;
	g_autoptr(GString) text = NULL;

	cb_ctl_set_api_error(answer->shown, answer->status, answer->json, &base);
	if (rows == NULL || !JSON_NODE_HOLDS_ARRAY(rows)) {
		g_propagate_error(error, g_steal_pointer(&base));
		return;
	}
	text = g_string_new(base->message);
	for (guint i = 0; i < json_array_get_length(json_node_get_array(rows)); i++) {
		JsonNode *node = json_array_get_element(json_node_get_array(rows), i);
		JsonObject *row = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
		g_autofree char *reason = NULL;

		if (row == NULL)
			continue;
		reason = cb_ctl_sanitize(
			json_object_get_string_member_with_default(row, "reason", "?"));
		g_string_append_printf(text, "\n  line %" G_GINT64_FORMAT ": %s",
				       json_object_get_int_member_with_default(row, "line", 0),
				       reason);
	}
	g_set_error_literal(error, base->domain, base->code, text->str);
}

static gboolean
cb_ctl_book_print_import(CbCtl *ctl, JsonNode *answer, GError **error)
{
	JsonObject *stats = answer != NULL && JSON_NODE_HOLDS_OBJECT(answer)
				    ? json_node_get_object(answer)
				    : NULL;
	g_autofree char *done = NULL;

	if (stats == NULL) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INTERNAL,
				    "civic-bridged gave an answer of an unexpected shape");
		return FALSE;
	}
	if (ctl->format == CB_CTL_FORMAT_JSON)
		return cb_ctl_print_json(answer, error);
	done = g_strdup_printf("added %" G_GINT64_FORMAT " rows; %" G_GINT64_FORMAT
			       " were already in the book (%" G_GINT64_FORMAT " rows read)\n",
			       json_object_get_int_member_with_default(stats, "added", 0),
			       json_object_get_int_member_with_default(stats, "already_present", 0),
			       json_object_get_int_member_with_default(stats, "rows", 0));
	return cb_ctl_write_stdout(done, error);
}

static gboolean
cb_ctl_import_book(CbCtl *ctl, int argc, char **argv, GError **error)
{
	static const char *const arg_names[] = {"FILE.csv", NULL};
	char **args = NULL;
	g_autoptr(GBytes) csv = NULL;
	g_autoptr(CbCtlBookAnswer) answer = NULL;

	if (!cb_ctl_parse(ctl, "import reception-book", NULL, arg_names, argc, argv, &args, error))
		return FALSE;
	csv = cb_ctl_book_read_input(args[0], error);
	if (csv == NULL)
		return FALSE;
	answer = cb_ctl_book_send(ctl, "POST", CB_CTL_BOOK_IMPORT, "text/csv; charset=utf-8", csv,
				  TRUE, error);
	if (answer == NULL)
		return FALSE;
	if (!SOUP_STATUS_IS_SUCCESSFUL(answer->status)) {
		cb_ctl_book_import_failed(answer, error);
		return FALSE;
	}
	return cb_ctl_book_print_import(ctl, answer->json, error);
}

gboolean
cb_ctl_command_import(CbCtl *ctl, int argc, char **argv, GError **error)
{
	static const CbCtlCommand actions[] = {
		{"reception-book", cb_ctl_import_book},
		{NULL},
	};

	return cb_ctl_dispatch(ctl, "import command", actions, argc - 1, argv + 1, error);
}
