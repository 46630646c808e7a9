#define G_LOG_DOMAIN "CbFailureLimiter"

#include "civic-bridge/cb-failure-limiter.h"

typedef struct {
	gint64 window_start;
	gint64 locked_until;
	gint64 last_seen;
	guint count;
} CbFailureEntry;

struct _CbFailureLimiter {
	GObject parent_instance;
	CbClock *clock;
	GHashTable *entries; /* address -> CbFailureEntry */
	guint limit;
	gint64 window_us;
	gint64 lockout_us;
	guint max_entries;
};

G_DEFINE_TYPE(CbFailureLimiter, cb_failure_limiter, G_TYPE_OBJECT)

static void
cb_failure_limiter_finalize(GObject *object)
{
	CbFailureLimiter *self = CB_FAILURE_LIMITER(object);

	g_hash_table_unref(self->entries);
	g_clear_object(&self->clock);
	G_OBJECT_CLASS(cb_failure_limiter_parent_class)->finalize(object);
}

static void
cb_failure_limiter_class_init(CbFailureLimiterClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = cb_failure_limiter_finalize;
}

static void
cb_failure_limiter_init(CbFailureLimiter *self)
{
	self->entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

CbFailureLimiter *
cb_failure_limiter_new(CbClock *clock, guint limit, guint window_seconds, guint lockout_seconds,
		       guint max_entries)
{
	CbFailureLimiter *self = g_object_new(CB_TYPE_FAILURE_LIMITER, NULL);

	self->clock = g_object_ref(clock);
	self->max_entries = MAX(max_entries, 1);
	cb_failure_limiter_configure(self, limit, window_seconds, lockout_seconds);
	return self;
}

void
cb_failure_limiter_configure(CbFailureLimiter *self, guint limit, guint window_seconds,
			     guint lockout_seconds)
{
	g_return_if_fail(CB_IS_FAILURE_LIMITER(self));
	self->limit = MAX(limit, 1);
	self->window_us = (gint64)window_seconds * G_USEC_PER_SEC;
	self->lockout_us = (gint64)lockout_seconds * G_USEC_PER_SEC;
}

static gboolean
cb_failure_entry_is_stale(const CbFailureEntry *entry, gint64 now, gint64 window_us)
{
	return entry->locked_until <= now && now - entry->window_start > window_us;
}

/* keeps the table within its bound: drop stale entries, then the least recent */
static void
cb_failure_limiter_make_room(CbFailureLimiter *self, gint64 now)
{
	GHashTableIter iter;
	gpointer key, value;
	const char *oldest_key = NULL;
	gint64 oldest = G_MAXINT64;

	g_hash_table_iter_init(&iter, self->entries);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		if (cb_failure_entry_is_stale(value, now, self->window_us))
			g_hash_table_iter_remove(&iter);
	}
	if (g_hash_table_size(self->entries) < self->max_entries)
		return;
	g_hash_table_iter_init(&iter, self->entries);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		const CbFailureEntry *entry = value;
		if (entry->last_seen < oldest) {
			oldest = entry->last_seen;
			oldest_key = key;
		}
	}
	if (oldest_key != NULL)
		g_hash_table_remove(self->entries, oldest_key);
}

gboolean
cb_failure_limiter_check(CbFailureLimiter *self, const char *key, guint *retry_after)
{
	CbFailureEntry *entry;
	gint64 now;

	g_return_val_if_fail(CB_IS_FAILURE_LIMITER(self), TRUE);
	entry = g_hash_table_lookup(self->entries, key);
	if (entry == NULL)
		return TRUE;
	now = cb_clock_now(self->clock);
	if (entry->locked_until > now) {
		if (retry_after != NULL)
			*retry_after = (guint)((entry->locked_until - now + G_USEC_PER_SEC - 1) /
					       G_USEC_PER_SEC);
		return FALSE;
	}
	return TRUE;
}

void
cb_failure_limiter_record(CbFailureLimiter *self, const char *key)
{
	CbFailureEntry *entry;
	gint64 now;

	g_return_if_fail(CB_IS_FAILURE_LIMITER(self));
	now = cb_clock_now(self->clock);
	entry = g_hash_table_lookup(self->entries, key);
	if (entry == NULL) {
		if (g_hash_table_size(self->entries) >= self->max_entries)
			cb_failure_limiter_make_room(self, now);
		entry = g_new0(CbFailureEntry, 1);
		entry->window_start = now;
		g_hash_table_insert(self->entries, g_strdup(key), entry);
	} else if (now - entry->window_start > self->window_us && entry->locked_until <= now) {
		entry->window_start = now;
		entry->count = 0;
	}
	entry->last_seen = now;
	entry->count++;
	if (entry->count >= self->limit) {
		entry->locked_until = now + self->lockout_us;
		entry->count = 0;
		entry->window_start = now;
	}
}

guint
cb_failure_limiter_get_size(CbFailureLimiter *self)
{
	return g_hash_table_size(self->entries);
}
