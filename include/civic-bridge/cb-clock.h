/* civic-bridge: the wall clock, injectable so tests need no sleeping */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define CB_TYPE_CLOCK (cb_clock_get_type())
G_DECLARE_FINAL_TYPE(CbClock, cb_clock, CB, CLOCK, GObject)

/* the real clock: g_get_real_time() */
CbClock *cb_clock_new_real(void);

/* a clock that stands still at @start_us (µs since the epoch, UTC) until advanced */
CbClock *cb_clock_new_fake(gint64 start_us);

/* µs since the epoch, UTC */
gint64 cb_clock_now(CbClock *self);

/* moves a fake clock forward; a programming error on the real clock */
void cb_clock_advance(CbClock *self, gint64 delta_us);

typedef void (*CbClockFunc)(gpointer user_data);

/**
 * cb_clock_schedule:
 * @deadline_us: when to call @func, µs since the epoch (UTC); a deadline
 *   already past fires at the next main-loop iteration (on a fake clock: at
 *   the next cb_clock_advance(), even by 0)
 * @notify: (nullable): frees @user_data when the timer is done or cancelled
 *
 * Calls @func once, from the thread-default main context, when the clock
 * reaches @deadline_us. On the real clock the wait is re-checked at least
 * hourly, so a change of the system time is noticed. On a fake clock timers
 * fire inside cb_clock_advance(), in deadline order, each seeing the clock at
 * its own deadline: tests run months of schedule in milliseconds.
 *
 * Returns: an id for cb_clock_cancel(), never 0
 */
guint cb_clock_schedule(CbClock *self, gint64 deadline_us, CbClockFunc func, gpointer user_data,
			GDestroyNotify notify);

/* cancels a timer that has not fired; a fired or unknown id is ignored */
void cb_clock_cancel(CbClock *self, guint id);

/* how many timers wait (for tests) */
guint cb_clock_pending(CbClock *self);

/* seconds since the epoch, for storage and display */
#define cb_clock_now_seconds(c) (cb_clock_now(c) / G_USEC_PER_SEC)

/* an RFC 3339 UTC rendering ("2026-11-27T08:00:00Z") of µs since the epoch */
char *cb_time_format_utc(gint64 time_us);

G_END_DECLS
