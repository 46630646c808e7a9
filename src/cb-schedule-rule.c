#define G_LOG_DOMAIN "CbSchedule"

#include <libical/ical.h>
#include <string.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-series.h"

/* longest rule text accepted; real rules are a few dozen characters */
#define CB_SERIES_RRULE_MAX 300
/* a COUNT above this is refused: expanding it from its start stays cheap */
#define CB_SERIES_COUNT_MAX 10000
#define CB_SERIES_TEXT_MAX  200
/* a reception session lasts at most a day */
#define CB_SERIES_DURATION_MAX (24 * 60)
/* how much earlier than asked an expansion starts its skip */
#define CB_SERIES_SKIP_MARGIN_US (G_GINT64_CONSTANT(86400) * G_USEC_PER_SEC)

CbSeries *
cb_series_new(void)
{
	CbSeries *series = g_new0(CbSeries, 1);

	series->bridge_point_ids = g_array_new(FALSE, FALSE, sizeof(gint64));
	return series;
}

void
cb_series_free(CbSeries *series)
{
	if (series == NULL)
		return;
	g_free(series->rrule);
	g_free(series->timezone);
	g_free(series->starts_on);
	g_free(series->title);
	g_free(series->presiding);
	if (series->bridge_point_ids != NULL)
		g_array_unref(series->bridge_point_ids);
	g_free(series);
}

void
cb_series_exception_free(CbSeriesException *exception)
{
	if (exception == NULL)
		return;
	g_free(exception->reason);
	g_free(exception);
}

void
cb_occurrence_free(CbOccurrence *occurrence)
{
	if (occurrence == NULL)
		return;
	g_free(occurrence->reason);
	g_free(occurrence);
}

const char *
cb_occurrence_state_to_string(CbOccurrenceState state)
{
	switch (state) {
	case CB_OCCURRENCE_SCHEDULED:
		return "scheduled";
	case CB_OCCURRENCE_MOVED:
		return "moved";
	case CB_OCCURRENCE_CANCELLED:
		return "cancelled";
	}
	return "unknown";
}

gboolean
cb_series_parse_time_of_day(const char *text, guint *minutes)
{
	guint64 hours = 0, mins = 0;
	g_autofree char *h = NULL;

	if (text == NULL || strlen(text) != 5 || text[2] != ':')
		return FALSE;
	h = g_strndup(text, 2);
	if (!g_ascii_isdigit(text[0]) || !g_ascii_isdigit(text[1]) || !g_ascii_isdigit(text[3]) ||
	    !g_ascii_isdigit(text[4]) || !g_ascii_string_to_unsigned(h, 10, 0, 23, &hours, NULL) ||
	    !g_ascii_string_to_unsigned(text + 3, 10, 0, 59, &mins, NULL))
		return FALSE;
	*minutes = (guint)(hours * 60 + mins);
	return TRUE;
}

char *
cb_series_format_time_of_day(guint minutes)
{
	return g_strdup_printf("%02u:%02u", minutes / 60, minutes % 60);
}

/* "YYYY-MM-DD" as a valid date */
static gboolean
cb_series_parse_date(const char *text, int *year, int *month, int *day)
{
	if (text == NULL || strlen(text) != 10 || text[4] != '-' || text[7] != '-')
		return FALSE;
	for (int i = 0; i < 10; i++) {
		if (i != 4 && i != 7 && !g_ascii_isdigit(text[i]))
			return FALSE;
	}
	*year = atoi(text);
	*month = atoi(text + 5);
	*day = atoi(text + 8);
	return *year >= 1970 && *year <= 9999 &&
	       g_date_valid_dmy((GDateDay)*day, (GDateMonth)*month, (GDateYear)*year);
}

/* libical refuses COUNT=0 as malformed; it is well formed, only empty */
static gboolean
cb_series_rule_has_zero_count(const char *rrule)
{
	g_auto(GStrv) parts = g_strsplit(rrule, ";", -1);
	guint64 count = 1;

	for (guint i = 0; parts[i] != NULL; i++) {
		if (g_ascii_strncasecmp(parts[i], "COUNT=", 6) == 0 &&
		    g_ascii_string_to_unsigned(parts[i] + 6, 10, 0, G_MAXUINT64, &count, NULL) &&
		    count == 0)
			return TRUE;
	}
	return FALSE;
}

/* the rule as libical reads it, refused with the reason when it is not one
 * a reception schedule can use */
static gboolean
cb_series_parse_rule(const char *rrule, struct icalrecurrencetype *rule, GError **error)
{
	if (rrule == NULL || rrule[0] == '\0') {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID, "the rule is empty");
		return FALSE;
	}
	if (strlen(rrule) > CB_SERIES_RRULE_MAX || !g_utf8_validate(rrule, -1, NULL)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "the rule must be text of at most %d characters", CB_SERIES_RRULE_MAX);
		return FALSE;
	}
	if (cb_series_rule_has_zero_count(rrule)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID, "'%s' yields no occurrence: COUNT=0",
			    rrule);
		return FALSE;
	}
	icalerror_clear_errno();
	*rule = icalrecurrencetype_from_string(rrule);
	if (icalerrno != ICAL_NO_ERROR && strstr(rrule, "FREQ=") != NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "'%s' is not an RFC 5545 RRULE: libical cannot read it", rrule);
		icalerror_clear_errno();
		return FALSE;
	}
	icalerror_clear_errno();
	if (rule->freq == ICAL_NO_RECURRENCE) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "'%s' is not an RFC 5545 RRULE: it has no FREQ", rrule);
		return FALSE;
	}
	if (rule->freq == ICAL_SECONDLY_RECURRENCE || rule->freq == ICAL_MINUTELY_RECURRENCE ||
	    rule->freq == ICAL_HOURLY_RECURRENCE) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "'%s' repeats more often than daily; sessions repeat at most daily",
			    rrule);
		return FALSE;
	}
	if (rule->by_hour[0] != ICAL_RECURRENCE_ARRAY_MAX ||
	    rule->by_minute[0] != ICAL_RECURRENCE_ARRAY_MAX ||
	    rule->by_second[0] != ICAL_RECURRENCE_ARRAY_MAX) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "'%s' has BYHOUR, BYMINUTE or BYSECOND; the series' start time says "
			    "when a session starts",
			    rrule);
		return FALSE;
	}
	if (rule->count > CB_SERIES_COUNT_MAX) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID, "'%s' has a COUNT over %d", rrule,
			    CB_SERIES_COUNT_MAX);
		return FALSE;
	}
	return TRUE;
}

static icaltimezone *
cb_series_zone(const char *name, GError **error)
{
	icaltimezone *zone = NULL;

	if (name != NULL && name[0] != '\0' && strlen(name) <= CB_SERIES_TEXT_MAX)
		zone = icaltimezone_get_builtin_timezone(name);
	if (zone == NULL)
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "'%s' is not a known time zone (such as Asia/Ho_Chi_Minh)",
			    name != NULL ? name : "");
	return zone;
}

/* the rule's DTSTART: the series' first date at its start time, in its zone */
static gboolean
cb_series_dtstart(const CbSeries *series, icaltimezone *zone, struct icaltimetype *dtstart,
		  GError **error)
{
	int year = 0, month = 0, day = 0;

	if (!cb_series_parse_date(series->starts_on, &year, &month, &day)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "the first date '%s' is not a date (YYYY-MM-DD)",
			    series->starts_on != NULL ? series->starts_on : "");
		return FALSE;
	}
	if (series->start_minute >= 24 * 60) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "the start time must be from 00:00 to 23:59");
		return FALSE;
	}
	*dtstart = icaltime_null_time();
	dtstart->year = year;
	dtstart->month = month;
	dtstart->day = day;
	dtstart->hour = (int)(series->start_minute / 60);
	dtstart->minute = (int)(series->start_minute % 60);
	*dtstart = icaltime_set_timezone(dtstart, zone);
	return TRUE;
}

/* an iterator over the rule's starts, or NULL with the reason */
static icalrecur_iterator *
cb_series_iterator(const CbSeries *series, icaltimezone **zone, struct icalrecurrencetype *rule,
		   struct icaltimetype *first, GError **error)
{
	struct icaltimetype dtstart;
	icalrecur_iterator *it;

	if (!cb_series_parse_rule(series->rrule, rule, error))
		return NULL;
	*zone = cb_series_zone(series->timezone, error);
	if (*zone == NULL || !cb_series_dtstart(series, *zone, &dtstart, error))
		return NULL;
	*first = dtstart;
	icalerror_clear_errno();
	it = icalrecur_iterator_new(*rule, dtstart);
	icalerror_clear_errno();
	/* libical reads BYDAY=9TU or COUNT=0 without complaint; only here does it
	 * find that no date can match */
	if (it == NULL)
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "'%s' yields no occurrence: no date matches it", series->rrule);
	return it;
}

static gint64
cb_series_to_utc(struct icaltimetype local, icaltimezone *zone)
{
	return (gint64)icaltime_as_timet_with_zone(local, zone) * G_USEC_PER_SEC;
}

gboolean
cb_series_check(const CbSeries *series, GError **error)
{
	struct icalrecurrencetype rule;
	icaltimezone *zone = NULL;
	icalrecur_iterator *it;
	struct icaltimetype first;
	g_autofree char *title = g_strstrip(g_strdup(series->title != NULL ? series->title : ""));

	if (title[0] == '\0') {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "the title must not be empty");
		return FALSE;
	}
	if (g_utf8_strlen(series->title, -1) > CB_SERIES_TEXT_MAX ||
	    (series->presiding != NULL &&
	     g_utf8_strlen(series->presiding, -1) > CB_SERIES_TEXT_MAX)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "the title and the presiding person's title must have at most %d "
			    "characters",
			    CB_SERIES_TEXT_MAX);
		return FALSE;
	}
	if (series->duration_minutes == 0 || series->duration_minutes > CB_SERIES_DURATION_MAX) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "the duration must be from 1 to %d minutes", CB_SERIES_DURATION_MAX);
		return FALSE;
	}
	it = cb_series_iterator(series, &zone, &rule, &first, error);
	if (it == NULL)
		return FALSE;
	first = icalrecur_iterator_next(it);
	icalrecur_iterator_free(it);
	icalerror_clear_errno();
	if (icaltime_is_null_time(first)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "'%s' yields no occurrence on or after %s", series->rrule,
			    series->starts_on);
		return FALSE;
	}
	return TRUE;
}

GArray *
cb_series_expand(const CbSeries *series, gint64 from, gint64 to, guint max, GError **error)
{
	g_autoptr(GArray) starts = g_array_new(FALSE, FALSE, sizeof(gint64));
	struct icalrecurrencetype rule;
	struct icaltimetype dtstart;
	icaltimezone *zone = NULL;
	icalrecur_iterator *it = cb_series_iterator(series, &zone, &rule, &dtstart, error);

	if (it == NULL)
		return NULL;
	/* skip ahead without walking every earlier occurrence; libical cannot
	 * do so for a rule with COUNT, whose length is bounded instead */
	if (rule.count == 0 && from - CB_SERIES_SKIP_MARGIN_US > cb_series_to_utc(dtstart, zone)) {
		/* a day early, in the rule's zone: libical's skip is not to be trusted
		 * to the second, and what comes before @from is dropped below */
		struct icaltimetype start = icaltime_from_timet_with_zone(
			(time_t)((from - CB_SERIES_SKIP_MARGIN_US) / G_USEC_PER_SEC), 0,
			icaltimezone_get_utc_timezone());
		start = icaltime_convert_to_zone(start, zone);
		icalrecur_iterator_set_start(it, start);
	}
	while (starts->len < max) {
		struct icaltimetype next = icalrecur_iterator_next(it);
		gint64 at;

		if (icaltime_is_null_time(next))
			break;
		at = cb_series_to_utc(next, zone);
		if (to != 0 && at >= to)
			break;
		if (at >= from)
			g_array_append_val(starts, at);
	}
	icalrecur_iterator_free(it);
	icalerror_clear_errno();
	return g_steal_pointer(&starts);
}

gboolean
cb_series_has_occurrence(const CbSeries *series, gint64 start, GError **error)
{
	g_autoptr(GArray) starts = cb_series_expand(series, start, start + 1, 1, error);

	return starts != NULL && starts->len == 1;
}
