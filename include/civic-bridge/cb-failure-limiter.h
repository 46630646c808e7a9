/* civic-bridge: counts failures per client address and locks out repeaters */
#pragma once

#include "civic-bridge/cb-clock.h"

G_BEGIN_DECLS

#define CB_TYPE_FAILURE_LIMITER (cb_failure_limiter_get_type())
G_DECLARE_FINAL_TYPE(CbFailureLimiter, cb_failure_limiter, CB, FAILURE_LIMITER, GObject)

/* @max_entries bounds the memory an attacker with many addresses can take */
CbFailureLimiter *cb_failure_limiter_new(CbClock *clock, guint limit, guint window_seconds,
					 guint lockout_seconds, guint max_entries);

void cb_failure_limiter_configure(CbFailureLimiter *self, guint limit, guint window_seconds,
				  guint lockout_seconds);

/* FALSE while @key is locked out; *@retry_after is then the seconds left */
gboolean cb_failure_limiter_check(CbFailureLimiter *self, const char *key, guint *retry_after);

/* counts one failure; locks @key out when the limit is reached in the window */
void cb_failure_limiter_record(CbFailureLimiter *self, const char *key);

guint cb_failure_limiter_get_size(CbFailureLimiter *self);

G_END_DECLS
