#include "civic-bridge/cb-clock.h"

#define SECOND G_TIME_SPAN_SECOND

typedef struct {
	CbClock *clock;
	GPtrArray *fired; /* "name@seconds" */
} Log;

typedef struct {
	Log *log;
	const char *name;
} Entry;

static void
record_cb(gpointer user_data)
{
	Entry *entry = user_data;

	g_ptr_array_add(entry->log->fired,
			g_strdup_printf("%s@%" G_GINT64_FORMAT, entry->name,
					cb_clock_now(entry->log->clock) / SECOND));
}

static void
rescheduling_cb(gpointer user_data)
{
	Entry *entry = user_data;
	static Entry again;

	record_cb(user_data);
	again = (Entry){entry->log, "again"};
	cb_clock_schedule(entry->log->clock, cb_clock_now(entry->log->clock) + 5 * SECOND,
			  record_cb, &again, NULL);
}

static void
test_fake_fires_in_order_at_deadlines(void)
{
	Log log = {cb_clock_new_fake(100 * SECOND), g_ptr_array_new_with_free_func(g_free)};
	Entry a = {&log, "a"}, b = {&log, "b"}, c = {&log, "c"}, r = {&log, "r"};
	guint cancelled;

	cb_clock_schedule(log.clock, 130 * SECOND, record_cb, &c, NULL);
	cb_clock_schedule(log.clock, 110 * SECOND, record_cb, &a, NULL);
	cancelled = cb_clock_schedule(log.clock, 115 * SECOND, record_cb, &b, NULL);
	cb_clock_schedule(log.clock, 120 * SECOND, rescheduling_cb, &r, NULL);
	cb_clock_cancel(log.clock, cancelled);
	g_assert_cmpuint(cb_clock_pending(log.clock), ==, 3);
	cb_clock_advance(log.clock, 5 * SECOND);
	g_assert_cmpuint(log.fired->len, ==, 0);
	cb_clock_advance(log.clock, 100 * SECOND);
	/* each callback saw the clock at its own deadline; one scheduled by a
	 * callback within the advance fired too */
	g_assert_cmpuint(log.fired->len, ==, 4);
	g_assert_cmpstr(g_ptr_array_index(log.fired, 0), ==, "a@110");
	g_assert_cmpstr(g_ptr_array_index(log.fired, 1), ==, "r@120");
	g_assert_cmpstr(g_ptr_array_index(log.fired, 2), ==, "again@125");
	g_assert_cmpstr(g_ptr_array_index(log.fired, 3), ==, "c@130");
	g_assert_cmpint(cb_clock_now(log.clock), ==, 205 * SECOND);
	g_assert_cmpuint(cb_clock_pending(log.clock), ==, 0);
	g_ptr_array_unref(log.fired);
	g_object_unref(log.clock);
}

static void
count_cb(gpointer user_data)
{
	(*(int *)user_data)++;
}

static void
test_notify_on_cancel_and_dispose(void)
{
	g_autoptr(CbClock) clock = cb_clock_new_fake(0);
	int freed = 0, fired = 0;
	guint id;

	id = cb_clock_schedule(clock, SECOND, count_cb, &fired, (GDestroyNotify)count_cb);
	g_assert_cmpuint(id, !=, 0);
	cb_clock_cancel(clock, id);
	cb_clock_cancel(clock, id);    /* twice: ignored */
	g_assert_cmpint(fired, ==, 1); /* the notify ran once, on the same counter */
	cb_clock_schedule(clock, SECOND, count_cb, &fired, (GDestroyNotify)count_cb);
	cb_clock_schedule(clock, 2 * SECOND, count_cb, &freed, NULL);
	g_clear_object(&clock);
	g_assert_cmpint(fired, ==, 2);
	g_assert_cmpint(freed, ==, 0);
}

static void
test_real_clock_fires(void)
{
	g_autoptr(CbClock) clock = cb_clock_new_real();
	int fired = 0;
	gint64 start = g_get_monotonic_time();

	cb_clock_schedule(clock, cb_clock_now(clock) + 50 * 1000, count_cb, &fired, NULL);
	cb_clock_schedule(clock, cb_clock_now(clock) - SECOND, count_cb, &fired, NULL);
	while (fired < 2 && g_get_monotonic_time() - start < 5 * SECOND)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpint(fired, ==, 2);
	g_assert_cmpint(g_get_monotonic_time() - start, >=, 45 * 1000);
}

static void
test_format_utc(void)
{
	g_autofree char *text = cb_time_format_utc(G_GINT64_CONSTANT(1794877200) * SECOND);

	g_assert_cmpstr(text, ==, "2026-11-17T01:00:00Z");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/civic-bridge/clock/fake-fires-in-order-at-deadlines",
			test_fake_fires_in_order_at_deadlines);
	g_test_add_func("/civic-bridge/clock/notify-on-cancel-and-dispose",
			test_notify_on_cancel_and_dispose);
	g_test_add_func("/civic-bridge/clock/real-clock-fires", test_real_clock_fires);
	g_test_add_func("/civic-bridge/clock/format-utc", test_format_utc);
	return g_test_run();
}
