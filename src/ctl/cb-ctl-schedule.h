/* civic-bridgectl: what the schedule and session commands share */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* a DURATION option (90m, 3h) in whole minutes; a usage error naming @option */
gboolean cb_ctl_schedule_minutes(const char *option, const char *text, gint64 *minutes,
				 GError **error);

/* appends "?name=value" or "&name=value", the value escaped; nothing for NULL */
void cb_ctl_schedule_append_query(GString *path, const char *name, const char *value);

G_END_DECLS
