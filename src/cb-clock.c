#define G_LOG_DOMAIN "CbClock"

#include "civic-bridge/cb-clock.h"

/* the real clock re-checks a long wait at least this often */
#define CB_CLOCK_MAX_WAIT_MS (3600 * 1000)

typedef struct {
	guint id;
	gint64 deadline;
	CbClockFunc func;
	gpointer user_data;
	GDestroyNotify notify;
	GSource *source; /* real clock only */
	CbClock *clock;  /* not referenced: timers die with their clock */
} CbClockTimer;

struct _CbClock {
	GObject parent_instance;
	gboolean fake;
	gint64 fake_now;
	guint next_id;
	GHashTable *timers; /* id -> CbClockTimer */
};

G_DEFINE_TYPE(CbClock, cb_clock, G_TYPE_OBJECT)

static void
cb_clock_timer_free(gpointer data)
{
	CbClockTimer *timer = data;

	if (timer->source != NULL) {
		g_source_destroy(timer->source);
		g_source_unref(timer->source);
	}
	if (timer->notify != NULL)
		timer->notify(timer->user_data);
	g_free(timer);
}

static void
cb_clock_dispose(GObject *object)
{
	CbClock *self = CB_CLOCK(object);

	g_hash_table_remove_all(self->timers);
	G_OBJECT_CLASS(cb_clock_parent_class)->dispose(object);
}

static void
cb_clock_finalize(GObject *object)
{
	CbClock *self = CB_CLOCK(object);

	g_hash_table_unref(self->timers);
	G_OBJECT_CLASS(cb_clock_parent_class)->finalize(object);
}

static void
cb_clock_class_init(CbClockClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = cb_clock_dispose;
	object_class->finalize = cb_clock_finalize;
}

static void
cb_clock_init(CbClock *self)
{
	self->timers =
		g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, cb_clock_timer_free);
}

CbClock *
cb_clock_new_real(void)
{
	return g_object_new(CB_TYPE_CLOCK, NULL);
}

CbClock *
cb_clock_new_fake(gint64 start_us)
{
	CbClock *self = g_object_new(CB_TYPE_CLOCK, NULL);
	self->fake = TRUE;
	self->fake_now = start_us;
	return self;
}

gint64
cb_clock_now(CbClock *self)
{
	g_return_val_if_fail(CB_IS_CLOCK(self), g_get_real_time());
	return self->fake ? self->fake_now : g_get_real_time();
}

/* takes the timer out of the table without freeing it, then runs it */
static void
cb_clock_fire(CbClock *self, guint id)
{
	CbClockTimer *timer = NULL;

	if (!g_hash_table_steal_extended(self->timers, GUINT_TO_POINTER(id), NULL,
					 (gpointer *)&timer))
		return;
	if (timer->source != NULL) {
		g_source_destroy(timer->source);
		g_clear_pointer(&timer->source, g_source_unref);
	}
	timer->func(timer->user_data);
	cb_clock_timer_free(timer);
}

static void cb_clock_arm_real(CbClockTimer *timer);

static gboolean
cb_clock_real_timeout_cb(gpointer user_data)
{
	CbClockTimer *timer = user_data;

	if (cb_clock_now(timer->clock) < timer->deadline) {
		/* woke early: the wait was capped, or the system time moved back */
		g_clear_pointer(&timer->source, g_source_unref);
		cb_clock_arm_real(timer);
		return G_SOURCE_REMOVE;
	}
	cb_clock_fire(timer->clock, timer->id);
	return G_SOURCE_REMOVE;
}

static void
cb_clock_arm_real(CbClockTimer *timer)
{
	gint64 wait_us = MAX(timer->deadline - g_get_real_time(), 0);
	guint wait_ms = (guint)MIN((wait_us + 999) / 1000, CB_CLOCK_MAX_WAIT_MS);

	timer->source = g_timeout_source_new(wait_ms);
	g_source_set_callback(timer->source, cb_clock_real_timeout_cb, timer, NULL);
	g_source_attach(timer->source, g_main_context_get_thread_default());
}

guint
cb_clock_schedule(CbClock *self, gint64 deadline_us, CbClockFunc func, gpointer user_data,
		  GDestroyNotify notify)
{
	CbClockTimer *timer;

	g_return_val_if_fail(CB_IS_CLOCK(self), 0);
	timer = g_new0(CbClockTimer, 1);
	timer->id = ++self->next_id;
	if (timer->id == 0)
		timer->id = ++self->next_id;
	timer->deadline = deadline_us;
	timer->func = func;
	timer->user_data = user_data;
	timer->notify = notify;
	timer->clock = self;
	g_hash_table_insert(self->timers, GUINT_TO_POINTER(timer->id), timer);
	if (!self->fake)
		cb_clock_arm_real(timer);
	return timer->id;
}

void
cb_clock_cancel(CbClock *self, guint id)
{
	g_return_if_fail(CB_IS_CLOCK(self));
	g_hash_table_remove(self->timers, GUINT_TO_POINTER(id));
}

guint
cb_clock_pending(CbClock *self)
{
	return g_hash_table_size(self->timers);
}

/* the earliest timer due at or before @until, or 0 */
static guint
cb_clock_next_due(CbClock *self, gint64 until)
{
	GHashTableIter iter;
	gpointer value;
	CbClockTimer *best = NULL;

	g_hash_table_iter_init(&iter, self->timers);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		CbClockTimer *timer = value;
		if (timer->deadline > until)
			continue;
		if (best == NULL || timer->deadline < best->deadline ||
		    (timer->deadline == best->deadline && timer->id < best->id))
			best = timer;
	}
	return best != NULL ? best->id : 0;
}

void
cb_clock_advance(CbClock *self, gint64 delta_us)
{
	gint64 target;
	guint id;

	g_return_if_fail(CB_IS_CLOCK(self));
	g_return_if_fail(self->fake);
	g_return_if_fail(delta_us >= 0);
	target = self->fake_now + delta_us;
	/* a callback may schedule more timers; those due before the target fire too */
	while ((id = cb_clock_next_due(self, target)) != 0) {
		CbClockTimer *timer = g_hash_table_lookup(self->timers, GUINT_TO_POINTER(id));
		self->fake_now = MAX(self->fake_now, timer->deadline);
		cb_clock_fire(self, id);
	}
	self->fake_now = target;
}

char *
cb_time_format_utc(gint64 time_us)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(time_us / G_USEC_PER_SEC);
	if (dt == NULL)
		return g_strdup("invalid-time");
	return g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
}
