/* civic-bridge: how the schedule's records look in the API; http only */
#pragma once

#include "civic-bridge/cb-http-route.h"
#include "civic-bridge/cb-series.h"

G_BEGIN_DECLS

JsonNode *cb_api_render_session(const CbSession *session);
JsonNode *cb_api_render_series(const CbSeries *series);
JsonNode *cb_api_render_occurrence(const CbOccurrence *occurrence);

/* the sessions as an iCalendar (RFC 5545) text, stamped @now */
char *cb_api_render_calendar(GPtrArray *sessions, gint64 now);

/* an instant from RFC 3339 with an offset, or (when @date_ok) a YYYY-MM-DD
 * date in @tz: its start, or the start of the next day when @end_of_day.
 * CB_ERROR_INVALID naming @name otherwise. */
gboolean cb_api_parse_time(const char *name, const char *text, GTimeZone *tz, gboolean date_ok,
			   gboolean end_of_day, gint64 *out, GError **error);

G_END_DECLS
