#define G_LOG_DOMAIN "CbCtl"

/* recording list|show|hold|unhold|purge: the recordings through the API
 * (GET /api/v1/recordings...), for staff and admin tokens */

#include "cb-ctl.h"

#define CB_CTL_RECORDINGS "/api/v1/recordings"

static const CbCtlField cb_ctl_recording_columns[] = {
	{"SESSION", "session_id"}, {"STARTS", "starts_at"},
	{"KIND", "kind"},          {"PARTS", "parts"},
	{"SEGMENTS", "segments"},  {"BYTES", "bytes"},
	{"SECONDS", "seconds"},    {"IN PROGRESS", "in_progress"},
	{"HOLD", "legal_hold"},    {"CONFIDENTIAL", "has_confidential"},
	{"TITLE", "title"},
};

static const CbCtlField cb_ctl_recording_record[] = {
	{"SESSION", "session_id"},
	{"TITLE", "title"},
	{"KIND", "kind"},
	{"STARTS", "starts_at"},
	{"SESSION STATE", "session_state"},
	{"CONFIDENTIAL", "confidential"},
	{"PARTS", "parts"},
	{"SEGMENTS", "segments"},
	{"BYTES", "bytes"},
	{"SECONDS", "seconds"},
	{"FIRST", "first_at"},
	{"LAST", "last_at"},
	{"IN PROGRESS", "in_progress"},
	{"LEGAL HOLD", "legal_hold"},
	{"HOLD SINCE", "legal_hold_since"},
	{"HAS CONFIDENTIAL", "has_confidential"},
	{"UNFINISHED BYTES", "unfinished_bytes"},
};

static const CbCtlField cb_ctl_recording_tracks[] = {
	{"PEER", "peer"},       {"TRACK", "track"},    {"SEGMENTS", "segments"}, {"BYTES", "bytes"},
	{"SECONDS", "seconds"}, {"FIRST", "first_at"}, {"LAST", "last_at"},
};

static const CbCtlField cb_ctl_recording_timeline[] = {
	{"SEQ", "seq"},         {"TIME", "time"}, {"TYPE", "type"},     {"EVENT", "event"},
	{"SUBJECT", "subject"}, {"PART", "part"}, {"DETAIL", "detail"},
};

static const CbCtlField cb_ctl_recording_segments[] = {
	{"SEQ", "seq"},     {"FILE", "file"},   {"PART", "part"}, {"PEER", "peer"},
	{"TRACK", "track"}, {"START", "start"}, {"END", "end"},   {"BYTES", "bytes"},
};

static const CbCtlField cb_ctl_recording_hold_record[] = {
	{"SESSION", "session_id"},
	{"LEGAL HOLD", "legal_hold"},
	{"HOLD SINCE", "legal_hold_since"},
};

gboolean
cb_ctl_recording_list(CbCtl *ctl, int argc, char **argv, GError **error)
{
	gboolean confidential = FALSE;
	const GOptionEntry entries[] = {
		{"confidential", 0, 0, G_OPTION_ARG_NONE, &confidential,
		 "The confidential recordings (a denouncer's tracks) instead", NULL},
		{NULL},
	};

	if (!cb_ctl_parse(ctl, "recording list", entries, NULL, argc, argv, NULL, error))
		return FALSE;
	return cb_ctl_call_print_list(
		ctl, confidential ? CB_CTL_RECORDINGS "?confidential=true" : CB_CTL_RECORDINGS,
		cb_ctl_recording_columns, G_N_ELEMENTS(cb_ctl_recording_columns), error);
}

/* "\nTITLE\n" and the array @member of @answer as a table */
static gboolean
cb_ctl_recording_print_part(CbCtl *ctl, JsonObject *answer, const char *title, const char *member,
			    const CbCtlField *fields, guint n_fields, GError **error)
{
	g_autoptr(JsonNode) list = json_node_new(JSON_NODE_OBJECT);
	g_autoptr(JsonObject) wrapper = json_object_new();
	g_autofree char *heading = g_strdup_printf("\n%s\n", title);
	JsonNode *items = json_object_get_member(answer, member);

	if (items == NULL || !JSON_NODE_HOLDS_ARRAY(items))
		return TRUE;
	json_object_set_member(wrapper, "items", json_node_copy(items));
	json_node_set_object(list, wrapper);
	return cb_ctl_write_stdout(heading, error) &&
	       cb_ctl_print_list(ctl, list, fields, n_fields, error);
}

gboolean
cb_ctl_recording_show(CbCtl *ctl, int argc, char **argv, GError **error)
{
	gboolean confidential = FALSE;
	gboolean segments = FALSE;
	const GOptionEntry entries[] = {
		{"confidential", 0, 0, G_OPTION_ARG_NONE, &confidential,
		 "The session's confidential recording (a denouncer's tracks)", NULL},
		{"segments", 0, 0, G_OPTION_ARG_NONE, &segments, "List every segment too", NULL},
		{NULL},
	};
	g_autofree char *path = NULL;
	g_autoptr(JsonNode) answer = NULL;
	CbCtlClient *client;
	JsonObject *object;
	gint64 id = 0;

	if (!cb_ctl_parse_with_id(ctl, "recording show", entries, "session id", argc, argv, &id,
				  error))
		return FALSE;
	client = cb_ctl_get_client(ctl, FALSE, error);
	if (client == NULL)
		return FALSE;
	path = g_strdup_printf(CB_CTL_RECORDINGS "/%" G_GINT64_FORMAT "?confidential=%s%s", id,
			       confidential ? "true" : "false", segments ? "&segments=true" : "");
	answer = cb_ctl_client_call(client, "GET", path, NULL, error);
	if (answer == NULL)
		return FALSE;
	if (ctl->format == CB_CTL_FORMAT_JSON)
		return cb_ctl_print_json(answer, error);
	if (!cb_ctl_print_object(ctl, answer, cb_ctl_recording_record,
				 G_N_ELEMENTS(cb_ctl_recording_record), error))
		return FALSE;
	object = json_node_get_object(answer);
	return cb_ctl_recording_print_part(ctl, object, "TRACKS", "tracks", cb_ctl_recording_tracks,
					   G_N_ELEMENTS(cb_ctl_recording_tracks), error) &&
	       cb_ctl_recording_print_part(ctl, object, "TIMELINE", "timeline",
					   cb_ctl_recording_timeline,
					   G_N_ELEMENTS(cb_ctl_recording_timeline), error) &&
	       cb_ctl_recording_print_part(ctl, object, "SEGMENTS", "segment_list",
					   cb_ctl_recording_segments,
					   G_N_ELEMENTS(cb_ctl_recording_segments), error);
}

static gboolean
cb_ctl_recording_hold_call(CbCtl *ctl, const char *command, const char *method, int argc,
			   char **argv, GError **error)
{
	g_autofree char *path = NULL;
	gint64 id = 0;

	if (!cb_ctl_parse_with_id(ctl, command, NULL, "session id", argc, argv, &id, error))
		return FALSE;
	path = g_strdup_printf(CB_CTL_RECORDINGS "/%" G_GINT64_FORMAT "/hold", id);
	return cb_ctl_call_print_object(ctl, method, path, NULL, cb_ctl_recording_hold_record,
					G_N_ELEMENTS(cb_ctl_recording_hold_record), error);
}

gboolean
cb_ctl_recording_hold(CbCtl *ctl, int argc, char **argv, GError **error)
{
	return cb_ctl_recording_hold_call(ctl, "recording hold", "PUT", argc, argv, error);
}

gboolean
cb_ctl_recording_unhold(CbCtl *ctl, int argc, char **argv, GError **error)
{
	return cb_ctl_recording_hold_call(ctl, "recording unhold", "DELETE", argc, argv, error);
}

/* "deleted: session 3 (confidential), 1234 bytes, last 2025-...: reason" lines */
static void
cb_ctl_recording_purge_lines(GString *text, JsonObject *answer, const char *member,
			     const char *label)
{
	JsonNode *node = json_object_get_member(answer, member);
	JsonArray *items =
		node != NULL && JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : NULL;

	for (guint i = 0; items != NULL && i < json_array_get_length(items); i++) {
		JsonNode *element = json_array_get_element(items, i);
		JsonObject *item;
		g_autofree char *session = NULL, *bytes = NULL, *last = NULL, *reason = NULL;

		if (!JSON_NODE_HOLDS_OBJECT(element))
			continue;
		item = json_node_get_object(element);
		session = cb_ctl_member_text(item, "session_id");
		bytes = cb_ctl_member_text(item, "bytes");
		last = cb_ctl_member_text(item, "last_at");
		reason = cb_ctl_member_text(item, "reason");
		g_string_append_printf(
			text, "%s: session %s%s, %s bytes, last %s%s%s\n", label, session,
			json_object_get_boolean_member_with_default(item, "confidential", FALSE)
				? " (confidential)"
				: "",
			bytes != NULL ? bytes : "?", last != NULL ? last : "?",
			reason != NULL ? ": " : "", reason != NULL ? reason : "");
	}
}

gboolean
cb_ctl_recording_purge(CbCtl *ctl, int argc, char **argv, GError **error)
{
	g_autoptr(JsonNode) answer = NULL;
	g_autoptr(GString) text = g_string_new(NULL);
	CbCtlClient *client;
	JsonObject *object;
	gint64 days;

	if (!cb_ctl_parse(ctl, "recording purge", NULL, NULL, argc, argv, NULL, error))
		return FALSE;
	client = cb_ctl_get_client(ctl, FALSE, error);
	if (client == NULL)
		return FALSE;
	answer = cb_ctl_client_call(client, "POST", CB_CTL_RECORDINGS "/purge", NULL, error);
	if (answer == NULL)
		return FALSE;
	if (ctl->format == CB_CTL_FORMAT_JSON)
		return cb_ctl_print_json(answer, error);
	if (!JSON_NODE_HOLDS_OBJECT(answer))
		return cb_ctl_write_stdout("civic-bridged gave no purge report\n", error);
	object = json_node_get_object(answer);
	days = json_object_get_int_member_with_default(object, "retention_days", 0);
	if (days == 0)
		g_string_append(text, "retention: 0 days, recordings are kept for ever\n");
	else
		g_string_append_printf(
			text, "retention: %" G_GINT64_FORMAT " days (recordings last before %s)\n",
			days, json_object_get_string_member_with_default(object, "cutoff", "?"));
	cb_ctl_recording_purge_lines(text, object, "deleted", "deleted");
	cb_ctl_recording_purge_lines(text, object, "skipped", "kept");
	g_string_append_printf(
		text, "%u deleted, %u kept although old enough, %" G_GINT64_FORMAT " failed\n",
		json_array_get_length(json_object_get_array_member(object, "deleted")),
		json_array_get_length(json_object_get_array_member(object, "skipped")),
		json_object_get_int_member_with_default(object, "failed", 0));
	return cb_ctl_write_stdout(text->str, error);
}
