#define G_LOG_DOMAIN "CbHttp"

#include <libical/ical.h>

#include "civic-bridge/cb-clock.h"

#include "cb-api-schedule.h"
#include "cb-api.h"

JsonNode *
cb_api_render_session(const CbSession *session)
{
	g_autoptr(JsonBuilder) builder = json_builder_new_immutable();

	json_builder_begin_object(builder);
	cb_api_add_id(builder, "id", session->id);
	cb_api_add_id(builder, "series_id", session->series_id);
	cb_api_add_time(builder, "occurrence_start", session->occurrence_start);
	cb_api_add_string(builder, "title", session->title);
	cb_api_add_string(builder, "kind", cb_session_kind_to_string(session->kind));
	cb_api_add_string(builder, "presiding", session->presiding);
	cb_api_add_string(builder, "state", cb_session_state_to_string(session->state));
	cb_api_add_time(builder, "opens_at", session->opens_at);
	cb_api_add_time(builder, "starts_at", session->starts_at);
	cb_api_add_time(builder, "ends_at", session->ends_at);
	cb_api_add_string(builder, "cancel_reason", session->cancel_reason);
	json_builder_set_member_name(builder, "recording");
	json_builder_add_boolean_value(builder, session->recording);
	cb_api_add_time(builder, "created_at", session->created_at);
	cb_api_add_time(builder, "updated_at", session->updated_at);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

JsonNode *
cb_api_render_series(const CbSeries *series)
{
	g_autoptr(JsonBuilder) builder = json_builder_new_immutable();
	g_autofree char *start_time = cb_series_format_time_of_day(series->start_minute);

	json_builder_begin_object(builder);
	cb_api_add_id(builder, "id", series->id);
	cb_api_add_string(builder, "rrule", series->rrule);
	cb_api_add_string(builder, "timezone", series->timezone);
	cb_api_add_string(builder, "starts_on", series->starts_on);
	cb_api_add_string(builder, "start_time", start_time);
	cb_api_add_int(builder, "duration_minutes", TRUE, series->duration_minutes);
	cb_api_add_string(builder, "kind", cb_session_kind_to_string(series->kind));
	cb_api_add_string(builder, "title", series->title);
	cb_api_add_string(builder, "presiding", series->presiding);
	json_builder_set_member_name(builder, "bridge_point_ids");
	json_builder_begin_array(builder);
	for (guint i = 0; i < series->bridge_point_ids->len; i++)
		json_builder_add_int_value(builder,
					   g_array_index(series->bridge_point_ids, gint64, i));
	json_builder_end_array(builder);
	cb_api_add_time(builder, "created_at", series->created_at);
	cb_api_add_time(builder, "updated_at", series->updated_at);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

JsonNode *
cb_api_render_occurrence(const CbOccurrence *occurrence)
{
	g_autoptr(JsonBuilder) builder = json_builder_new_immutable();

	json_builder_begin_object(builder);
	cb_api_add_id(builder, "series_id", occurrence->series_id);
	cb_api_add_time(builder, "occurrence_start", occurrence->occurrence_start);
	cb_api_add_time(builder, "starts_at", occurrence->starts_at);
	cb_api_add_time(builder, "ends_at", occurrence->ends_at);
	cb_api_add_string(builder, "state", cb_occurrence_state_to_string(occurrence->state));
	cb_api_add_string(builder, "reason", occurrence->reason);
	cb_api_add_id(builder, "session_id", occurrence->session_id);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

static struct icaltimetype
cb_api_ical_utc(gint64 time_us)
{
	return icaltime_from_timet_with_zone((time_t)(time_us / G_USEC_PER_SEC), 0,
					     icaltimezone_get_utc_timezone());
}

/* one VEVENT; libical escapes the text values (\, ; , and newlines) and folds
 * the lines as RFC 5545 asks */
static icalcomponent *
cb_api_render_vevent(const CbSession *session, gint64 now)
{
	icalcomponent *event = icalcomponent_new_vevent();
	g_autofree char *uid =
		g_strdup_printf("session-%" G_GINT64_FORMAT "@civic-bridge", session->id);

	icalcomponent_add_property(event, icalproperty_new_uid(uid));
	icalcomponent_add_property(event, icalproperty_new_dtstamp(cb_api_ical_utc(now)));
	icalcomponent_add_property(event,
				   icalproperty_new_dtstart(cb_api_ical_utc(session->starts_at)));
	icalcomponent_add_property(event,
				   icalproperty_new_dtend(cb_api_ical_utc(session->ends_at)));
	icalcomponent_add_property(
		event, icalproperty_new_lastmodified(cb_api_ical_utc(session->updated_at)));
	icalcomponent_add_property(event, icalproperty_new_summary(session->title));
	if (session->presiding != NULL)
		icalcomponent_add_property(event, icalproperty_new_description(session->presiding));
	icalcomponent_add_property(
		event, icalproperty_new_categories(cb_session_kind_to_string(session->kind)));
	icalcomponent_add_property(event,
				   icalproperty_new_status(session->state == CB_SESSION_CANCELLED
								   ? ICAL_STATUS_CANCELLED
								   : ICAL_STATUS_CONFIRMED));
	return event;
}

char *
cb_api_render_calendar(GPtrArray *sessions, gint64 now)
{
	icalcomponent *calendar = icalcomponent_new_vcalendar();
	char *ical;
	char *text;

	icalcomponent_add_property(calendar, icalproperty_new_version("2.0"));
	icalcomponent_add_property(calendar,
				   icalproperty_new_prodid("-//civic-bridge//schedule//VI"));
	icalcomponent_add_property(calendar, icalproperty_new_calscale("GREGORIAN"));
	icalcomponent_add_property(calendar, icalproperty_new_method(ICAL_METHOD_PUBLISH));
	for (guint i = 0; i < sessions->len; i++)
		icalcomponent_add_component(
			calendar, cb_api_render_vevent(g_ptr_array_index(sessions, i), now));
	ical = icalcomponent_as_ical_string_r(calendar);
	text = g_strdup(ical);
	icalmemory_free_buffer(ical);
	icalcomponent_free(calendar);
	return text;
}
