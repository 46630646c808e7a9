#include "civic-bridge/cb-failure-limiter.h"

#define SECOND G_TIME_SPAN_SECOND

static void
test_locks_after_limit(void)
{
	g_autoptr(CbClock) clock = cb_clock_new_fake(1000 * SECOND);
	g_autoptr(CbFailureLimiter) limiter = cb_failure_limiter_new(clock, 3, 60, 300, 100);
	guint retry = 0;

	for (int i = 0; i < 2; i++) {
		cb_failure_limiter_record(limiter, "127.0.0.2");
		g_assert_true(cb_failure_limiter_check(limiter, "127.0.0.2", &retry));
	}
	cb_failure_limiter_record(limiter, "127.0.0.2");
	g_assert_false(cb_failure_limiter_check(limiter, "127.0.0.2", &retry));
	g_assert_cmpuint(retry, ==, 300);
	/* another address is not affected */
	g_assert_true(cb_failure_limiter_check(limiter, "127.0.0.3", NULL));
	cb_clock_advance(clock, 100 * SECOND);
	g_assert_false(cb_failure_limiter_check(limiter, "127.0.0.2", &retry));
	g_assert_cmpuint(retry, ==, 200);
	cb_clock_advance(clock, 200 * SECOND);
	g_assert_true(cb_failure_limiter_check(limiter, "127.0.0.2", &retry));
}

static void
test_window_expires(void)
{
	g_autoptr(CbClock) clock = cb_clock_new_fake(1000 * SECOND);
	g_autoptr(CbFailureLimiter) limiter = cb_failure_limiter_new(clock, 3, 60, 300, 100);

	cb_failure_limiter_record(limiter, "a");
	cb_failure_limiter_record(limiter, "a");
	/* failures spread over more than the window never add up to a lockout */
	cb_clock_advance(clock, 61 * SECOND);
	cb_failure_limiter_record(limiter, "a");
	cb_failure_limiter_record(limiter, "a");
	g_assert_true(cb_failure_limiter_check(limiter, "a", NULL));
	cb_failure_limiter_record(limiter, "a");
	g_assert_false(cb_failure_limiter_check(limiter, "a", NULL));
}

static void
test_reconfigure(void)
{
	g_autoptr(CbClock) clock = cb_clock_new_fake(1000 * SECOND);
	g_autoptr(CbFailureLimiter) limiter = cb_failure_limiter_new(clock, 10, 60, 300, 100);

	cb_failure_limiter_configure(limiter, 1, 60, 5);
	cb_failure_limiter_record(limiter, "a");
	g_assert_false(cb_failure_limiter_check(limiter, "a", NULL));
	cb_clock_advance(clock, 5 * SECOND);
	g_assert_true(cb_failure_limiter_check(limiter, "a", NULL));
}

/* many addresses cannot grow the table past its bound */
static void
test_bounded_memory(void)
{
	g_autoptr(CbClock) clock = cb_clock_new_fake(1000 * SECOND);
	g_autoptr(CbFailureLimiter) limiter = cb_failure_limiter_new(clock, 2, 60, 300, 50);

	cb_failure_limiter_record(limiter, "attacker");
	cb_failure_limiter_record(limiter, "attacker");
	for (int i = 0; i < 10000; i++) {
		g_autofree char *key = g_strdup_printf("10.0.%d.%d", i / 256, i % 256);
		cb_clock_advance(clock, 1000);
		cb_failure_limiter_record(limiter, key);
		g_assert_cmpuint(cb_failure_limiter_get_size(limiter), <=, 50);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/civic-bridge/failure-limiter/locks-after-limit", test_locks_after_limit);
	g_test_add_func("/civic-bridge/failure-limiter/window-expires", test_window_expires);
	g_test_add_func("/civic-bridge/failure-limiter/reconfigure", test_reconfigure);
	g_test_add_func("/civic-bridge/failure-limiter/bounded-memory", test_bounded_memory);
	return g_test_run();
}
