/* civic-bridge: the systemd notification protocol, without libsystemd */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* sends @state ("READY=1", "STATUS=...") to $NOTIFY_SOCKET; a no-op without
 * one. FALSE with @error when the socket is set but cannot be written. */
gboolean cb_notify_send(const char *state, GError **error);

/* the watchdog interval asked for by $WATCHDOG_USEC (and $WATCHDOG_PID), or 0 */
guint64 cb_notify_watchdog_usec(void);

G_END_DECLS
