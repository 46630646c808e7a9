#define G_LOG_DOMAIN "CbClock"

#include "civic-bridge/cb-clock.h"

struct _CbClock {
	GObject parent_instance;
	gboolean fake;
	gint64 fake_now;
};

G_DEFINE_TYPE(CbClock, cb_clock, G_TYPE_OBJECT)

static void
cb_clock_class_init(CbClockClass *klass)
{
}

static void
cb_clock_init(CbClock *self)
{
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

void
cb_clock_advance(CbClock *self, gint64 delta_us)
{
	g_return_if_fail(CB_IS_CLOCK(self));
	g_return_if_fail(self->fake);
	self->fake_now += delta_us;
}

char *
cb_time_format_utc(gint64 time_us)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(time_us / G_USEC_PER_SEC);
	if (dt == NULL)
		return g_strdup("invalid-time");
	return g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
}
