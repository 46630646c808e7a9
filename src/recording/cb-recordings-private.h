/* civic-bridge: what the recordings' files share */
#pragma once

#include "civic-bridge/cb-recordings.h"

G_BEGIN_DECLS

struct _CbRecordings {
	GObject parent_instance;
	CbStore *store;
	CbClock *clock;
	char *state_dir;
	guint retention_days;
	gboolean purging; /* a purge runs in its worker thread */
	GSource *daily;   /* the daily purge */
};

G_END_DECLS
