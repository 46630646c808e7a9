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
	/* the last recording read in detail, while its manifest is unchanged:
	 * a client fetching its segments one by one would otherwise have the
	 * whole manifest read and hashed for each (one slot: a long session's
	 * detail holds every entry) */
	GMutex cache_lock; /* the cache is read and filled from worker threads */
	CbRecordingInfo *cached;
	char *cached_manifest;
	gint64 cached_size;
	gint64 cached_mtime_ns;
	guint64 cached_inode; /* a manifest replaced whole is another file */
};

G_END_DECLS
