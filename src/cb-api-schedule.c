#define G_LOG_DOMAIN "CbHttp"

#include <stdio.h>
#include <string.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-json.h"
#include "civic-bridge/cb-media-rooms.h"
#include "civic-bridge/cb-schedule.h"

#include "cb-api-schedule.h"
#include "cb-api.h"

/* a listing without `to` covers this long after `from` */
#define CB_API_DEFAULT_SPAN_US   (G_GINT64_CONSTANT(366) * 86400 * G_USEC_PER_SEC)
#define CB_API_MAX_BRIDGE_POINTS 1000

static const char *const cb_api_series_fields[] = {
	"rrule",    "start_time", "duration_minutes", "kind", "title", "presiding",
	"timezone", "starts_on",  "bridge_point_ids", NULL};
static const char *const cb_api_session_fields[] = {
	"title", "kind", "starts_at", "duration_minutes", "presiding", NULL};
static const char *const cb_api_move_fields[] = {"starts_at", "reason", NULL};
static const char *const cb_api_reason_fields[] = {"reason", NULL};

/* the schedule, or 503 when this daemon runs without one */
static CbSchedule *
cb_api_schedule(CbHttpRequest *request, GError **error)
{
	CbSchedule *schedule = cb_http_server_get_services(request->server)->schedule;

	if (schedule == NULL)
		g_set_error_literal(error, CB_ERROR, CB_ERROR_UNAVAILABLE,
				    "the schedule is not running");
	return schedule;
}

/* an instant: RFC 3339 with an offset, or (when @date_ok) YYYY-MM-DD, the
 * start of that day in @tz, or of the next day when @end_of_day */
gboolean
cb_api_parse_time(const char *name, const char *text, GTimeZone *tz, gboolean date_ok,
		  gboolean end_of_day, gint64 *out, GError **error)
{
	g_autofree char *copy = g_strdup(text != NULL ? text : "");
	g_autoptr(GDateTime) dt = NULL;

	/* a query string turns an unescaped '+' of the offset into a space */
	g_strdelimit(copy, " ", '+');
	if (date_ok && strlen(copy) == 10 && copy[4] == '-' && copy[7] == '-') {
		int y = 0, m = 0, d = 0;
		if (sscanf(copy, "%4d-%2d-%2d", &y, &m, &d) == 3 &&
		    g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y))
			dt = g_date_time_new(tz, y, m, d, 0, 0, 0);
		if (dt != NULL && end_of_day) {
			GDateTime *next = g_date_time_add_days(dt, 1);
			g_date_time_unref(dt);
			dt = next;
		}
	} else if (strchr(copy, 'T') != NULL || strchr(copy, 't') != NULL) {
		/* no default zone: a time without an offset is refused */
		dt = g_date_time_new_from_iso8601(copy, NULL);
	}
	if (dt == NULL || g_date_time_get_year(dt) < 1970 || g_date_time_get_year(dt) > 9999) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "'%s' must be an RFC 3339 time with an offset "
			    "(2026-01-20T08:00:00+07:00)%s",
			    name, date_ok ? " or a date (YYYY-MM-DD)" : "");
		return FALSE;
	}
	*out = g_date_time_to_unix(dt) * G_USEC_PER_SEC + g_date_time_get_microsecond(dt);
	return TRUE;
}

/* ?from=&to=; either may be absent (0) unless @need_from */
static gboolean
cb_api_query_range(CbHttpRequest *request, GTimeZone *tz, gint64 *from, gint64 *to, GError **error)
{
	const char *from_text = cb_http_request_query(request, "from");
	const char *to_text = cb_http_request_query(request, "to");

	*from = 0;
	*to = 0;
	if (from_text != NULL &&
	    !cb_api_parse_time("from", from_text, tz, TRUE, FALSE, from, error))
		return FALSE;
	if (to_text != NULL && !cb_api_parse_time("to", to_text, tz, TRUE, TRUE, to, error))
		return FALSE;
	if (*from != 0 && *to != 0 && *to <= *from) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "'to' must come after 'from'");
		return FALSE;
	}
	return TRUE;
}

/* --- series ----------------------------------------------------------------- */

void
cb_api_series_list(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list = NULL;
	CbSchedule *schedule = cb_api_schedule(request, &error);

	if (schedule != NULL)
		list = cb_schedule_list_series(schedule, &error);
	cb_api_reply_list(request, list, (gpointer)cb_api_render_series, error);
}

void
cb_api_series_get(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSeries) series = NULL;
	CbSchedule *schedule = cb_api_schedule(request, &error);
	gint64 id = 0;

	if (schedule != NULL && cb_http_request_path_id(request, "id", &id, &error))
		series = cb_schedule_get_series(schedule, id, &error);
	cb_api_reply(request, SOUP_STATUS_OK, series, (gpointer)cb_api_render_series, error);
}

static gboolean
cb_api_read_bridge_point_ids(JsonObject *body, GArray *ids, GError **error)
{
	JsonNode *node = json_object_get_member(body, "bridge_point_ids");
	JsonArray *array;

	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return TRUE;
	if (!JSON_NODE_HOLDS_ARRAY(node) ||
	    json_array_get_length(json_node_get_array(node)) > CB_API_MAX_BRIDGE_POINTS) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "field 'bridge_point_ids' must be an array of at most %d ids",
			    CB_API_MAX_BRIDGE_POINTS);
		return FALSE;
	}
	array = json_node_get_array(node);
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonNode *element = json_array_get_element(array, i);
		gint64 id;
		if (json_node_get_value_type(element) != G_TYPE_INT64 ||
		    (id = json_node_get_int(element)) <= 0) {
			g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
					    "field 'bridge_point_ids' must hold positive ids");
			return FALSE;
		}
		g_array_append_val(ids, id);
	}
	return TRUE;
}

/* reads the body of a new series; the strings are borrowed from @body */
static gboolean
cb_api_series_from_body(JsonObject *body, CbSeries *series, GError **error)
{
	const char *start_time = NULL, *kind = NULL;
	const char *rrule = NULL, *title = NULL, *presiding = NULL, *zone = NULL, *first = NULL;
	gboolean present = FALSE;
	gint64 duration = 0;

	if (!cb_json_check_members(body, cb_api_series_fields, error) ||
	    !cb_json_get_string(body, "rrule", TRUE, &rrule, error) ||
	    !cb_json_get_string(body, "start_time", TRUE, &start_time, error) ||
	    !cb_json_get_int(body, "duration_minutes", TRUE, &present, &duration, error) ||
	    !cb_json_get_string(body, "kind", TRUE, &kind, error) ||
	    !cb_json_get_string(body, "title", TRUE, &title, error) ||
	    !cb_json_get_string(body, "presiding", FALSE, &presiding, error) ||
	    !cb_json_get_string(body, "timezone", FALSE, &zone, error) ||
	    !cb_json_get_string(body, "starts_on", FALSE, &first, error) ||
	    !cb_api_read_bridge_point_ids(body, series->bridge_point_ids, error))
		return FALSE;
	if (!cb_series_parse_time_of_day(start_time, &series->start_minute)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "field 'start_time' must be a time of day (HH:MM)");
		return FALSE;
	}
	if (!cb_session_kind_from_string(kind, &series->kind)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "field 'kind' must be leadership or regular");
		return FALSE;
	}
	if (duration <= 0 || duration > 24 * 60) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "field 'duration_minutes' must be from 1 to 1440");
		return FALSE;
	}
	series->duration_minutes = (guint)duration;
	series->rrule = g_strdup(rrule);
	series->title = g_strdup(title);
	series->presiding = g_strdup(presiding);
	series->timezone = g_strdup(zone);
	series->starts_on = g_strdup(first);
	return TRUE;
}

void
cb_api_series_create(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSeries) spec = cb_series_new();
	g_autoptr(CbSeries) series = NULL;
	CbSchedule *schedule = cb_api_schedule(request, &error);

	if (schedule != NULL && cb_api_series_from_body(request->body, spec, &error))
		series = cb_schedule_create_series(schedule, &request->actor, spec, &error);
	if (series == NULL) {
		cb_http_reply_error(request, error);
		return;
	}
	cb_api_set_location(request, "/api/v1/series", series->id);
	cb_http_reply_json(request, SOUP_STATUS_CREATED, cb_api_render_series(series));
}

void
cb_api_series_occurrences(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list = NULL;
	CbSchedule *schedule = cb_api_schedule(request, &error);
	gint64 id = 0, from = 0, to = 0;

	if (schedule != NULL && cb_http_request_path_id(request, "id", &id, &error) &&
	    cb_api_query_range(request, cb_schedule_get_timezone(schedule), &from, &to, &error)) {
		if (from == 0)
			from = cb_clock_now(cb_http_server_get_clock(request->server));
		if (to == 0)
			to = from + CB_API_DEFAULT_SPAN_US;
		list = cb_schedule_list_occurrences(schedule, id, from, to, &error);
	}
	cb_api_reply_list(request, list, (gpointer)cb_api_render_occurrence, error);
}

/* the series id and the occurrence's original start from the path */
static gboolean
cb_api_occurrence_path(CbHttpRequest *request, GTimeZone *tz, gint64 *series_id, gint64 *start,
		       GError **error)
{
	return cb_http_request_path_id(request, "id", series_id, error) &&
	       cb_api_parse_time("start", g_hash_table_lookup(request->params, "start"), tz, FALSE,
				 FALSE, start, error);
}

void
cb_api_occurrence_move(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbOccurrence) occurrence = NULL;
	CbSchedule *schedule = cb_api_schedule(request, &error);
	const char *starts_at = NULL, *reason = NULL;
	gint64 id = 0, start = 0, new_start = 0;

	if (schedule != NULL &&
	    cb_api_occurrence_path(request, cb_schedule_get_timezone(schedule), &id, &start,
				   &error) &&
	    cb_json_check_members(request->body, cb_api_move_fields, &error) &&
	    cb_json_get_string(request->body, "starts_at", TRUE, &starts_at, &error) &&
	    cb_json_get_string(request->body, "reason", TRUE, &reason, &error) &&
	    cb_api_parse_time("starts_at", starts_at, cb_schedule_get_timezone(schedule), FALSE,
			      FALSE, &new_start, &error))
		occurrence = cb_schedule_move_occurrence(schedule, &request->actor, id, start,
							 new_start, reason, &error);
	cb_api_reply(request, SOUP_STATUS_OK, occurrence, (gpointer)cb_api_render_occurrence,
		     error);
}

void
cb_api_occurrence_cancel(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbOccurrence) occurrence = NULL;
	CbSchedule *schedule = cb_api_schedule(request, &error);
	const char *reason = NULL;
	gint64 id = 0, start = 0;

	if (schedule != NULL &&
	    cb_api_occurrence_path(request, cb_schedule_get_timezone(schedule), &id, &start,
				   &error) &&
	    cb_json_check_members(request->body, cb_api_reason_fields, &error) &&
	    cb_json_get_string(request->body, "reason", TRUE, &reason, &error))
		occurrence = cb_schedule_cancel_occurrence(schedule, &request->actor, id, start,
							   reason, &error);
	cb_api_reply(request, SOUP_STATUS_OK, occurrence, (gpointer)cb_api_render_occurrence,
		     error);
}

/* --- sessions ----------------------------------------------------------------- */

/* whether the session records now (the media rooms know) */
static void
cb_api_note_recording(CbHttpRequest *request, CbSession *session)
{
	CbMediaRooms *rooms = cb_http_server_get_services(request->server)->rooms;

	if (session != NULL)
		session->recording =
			rooms != NULL && cb_media_rooms_get_recording(rooms, session->id);
}

void
cb_api_sessions_list(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list = NULL;
	CbSchedule *schedule = cb_api_schedule(request, &error);
	gint64 from = 0, to = 0;

	if (schedule != NULL &&
	    cb_api_query_range(request, cb_schedule_get_timezone(schedule), &from, &to, &error))
		list = cb_schedule_list_sessions(schedule, from, to, &error);
	for (guint i = 0; list != NULL && i < list->len; i++)
		cb_api_note_recording(request, g_ptr_array_index(list, i));
	cb_api_reply_list(request, list, (gpointer)cb_api_render_session, error);
}

void
cb_api_sessions_get(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSession) session = NULL;
	CbSchedule *schedule = cb_api_schedule(request, &error);
	gint64 id = 0;

	if (schedule != NULL && cb_http_request_path_id(request, "id", &id, &error))
		session = cb_schedule_get_session(schedule, id, &error);
	cb_api_note_recording(request, session);
	cb_api_reply(request, SOUP_STATUS_OK, session, (gpointer)cb_api_render_session, error);
}

/* reads an ad-hoc session; starts_at defaults to now, the duration to an hour */
static gboolean
cb_api_session_from_body(CbHttpRequest *request, GTimeZone *tz, CbSession *spec, GError **error)
{
	JsonObject *body = request->body;
	const char *title = NULL, *kind = NULL, *starts_at = NULL, *presiding = NULL;
	gboolean has_duration = FALSE;
	gint64 duration = 60;

	if (!cb_json_check_members(body, cb_api_session_fields, error) ||
	    !cb_json_get_string(body, "title", TRUE, &title, error) ||
	    !cb_json_get_string(body, "kind", TRUE, &kind, error) ||
	    !cb_json_get_string(body, "starts_at", FALSE, &starts_at, error) ||
	    !cb_json_get_int(body, "duration_minutes", FALSE, &has_duration, &duration, error) ||
	    !cb_json_get_string(body, "presiding", FALSE, &presiding, error))
		return FALSE;
	if (!cb_session_kind_from_string(kind, &spec->kind)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "field 'kind' must be leadership or regular");
		return FALSE;
	}
	if (duration <= 0 || duration > 24 * 60) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "field 'duration_minutes' must be from 1 to 1440");
		return FALSE;
	}
	spec->starts_at = cb_clock_now(cb_http_server_get_clock(request->server));
	if (starts_at != NULL &&
	    !cb_api_parse_time("starts_at", starts_at, tz, FALSE, FALSE, &spec->starts_at, error))
		return FALSE;
	spec->ends_at = spec->starts_at + duration * 60 * G_USEC_PER_SEC;
	spec->title = (char *)title;
	spec->presiding = (char *)presiding;
	return TRUE;
}

void
cb_api_sessions_create(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSession) session = NULL;
	CbSchedule *schedule = cb_api_schedule(request, &error);
	CbSession spec = {0};

	if (schedule != NULL &&
	    cb_api_session_from_body(request, cb_schedule_get_timezone(schedule), &spec, &error))
		session = cb_schedule_create_session(schedule, &request->actor, &spec, &error);
	if (session == NULL) {
		cb_http_reply_error(request, error);
		return;
	}
	cb_api_set_location(request, "/api/v1/sessions", session->id);
	cb_http_reply_json(request, SOUP_STATUS_CREATED, cb_api_render_session(session));
}

typedef CbSession *(*CbApiSessionMove)(CbSchedule *schedule, const CbActor *actor, gint64 id,
				       GError **error);

static void
cb_api_sessions_move(CbHttpRequest *request, CbApiSessionMove move)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSession) session = NULL;
	CbSchedule *schedule = cb_api_schedule(request, &error);
	gint64 id = 0;

	if (schedule != NULL && cb_http_request_path_id(request, "id", &id, &error))
		session = move(schedule, &request->actor, id, &error);
	cb_api_note_recording(request, session);
	cb_api_reply(request, SOUP_STATUS_OK, session, (gpointer)cb_api_render_session, error);
}

void
cb_api_sessions_open(CbHttpRequest *request)
{
	cb_api_sessions_move(request, cb_schedule_open_session);
}

void
cb_api_sessions_start(CbHttpRequest *request)
{
	cb_api_sessions_move(request, cb_schedule_start_session);
}

void
cb_api_sessions_end(CbHttpRequest *request)
{
	cb_api_sessions_move(request, cb_schedule_end_session);
}

void
cb_api_sessions_cancel(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSession) session = NULL;
	CbSchedule *schedule = cb_api_schedule(request, &error);
	const char *reason = NULL;
	gint64 id = 0;

	if (schedule != NULL && cb_http_request_path_id(request, "id", &id, &error) &&
	    cb_json_check_members(request->body, cb_api_reason_fields, &error) &&
	    cb_json_get_string(request->body, "reason", TRUE, &reason, &error))
		session = cb_schedule_cancel_session(schedule, &request->actor, id, reason, &error);
	cb_api_reply(request, SOUP_STATUS_OK, session, (gpointer)cb_api_render_session, error);
}

/* --- calendar ----------------------------------------------------------------- */

/* the feed holds the past year's sessions and everything ahead */
#define CB_API_CALENDAR_PAST_US (G_GINT64_CONSTANT(366) * 86400 * G_USEC_PER_SEC)

void
cb_api_calendar_ics(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list = NULL;
	CbSchedule *schedule = cb_api_schedule(request, &error);
	gint64 now = cb_clock_now(cb_http_server_get_clock(request->server));
	SoupMessageHeaders *headers;
	char *text;

	if (schedule != NULL)
		list = cb_schedule_list_sessions(schedule, now - CB_API_CALENDAR_PAST_US, 0,
						 &error);
	if (list == NULL) {
		cb_http_reply_error(request, error);
		return;
	}
	text = cb_api_render_calendar(list, now);
	headers = soup_server_message_get_response_headers(request->msg);
	soup_message_headers_replace(headers, "Cache-Control", "no-store");
	soup_message_headers_replace(headers, "Content-Disposition",
				     "inline; filename=\"civic-bridge.ics\"");
	soup_server_message_set_status(request->msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(request->msg, "text/calendar; charset=utf-8",
					 SOUP_MEMORY_TAKE, text, strlen(text));
}
