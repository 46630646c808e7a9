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

/* seconds since the epoch, for storage and display */
#define cb_clock_now_seconds(c) (cb_clock_now(c) / G_USEC_PER_SEC)

/* an RFC 3339 UTC rendering ("2026-11-27T08:00:00Z") of µs since the epoch */
char *cb_time_format_utc(gint64 time_us);

G_END_DECLS
