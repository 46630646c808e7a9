/* civic-bridge: the composition root of civic-bridged */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define CB_TYPE_DAEMON (cb_daemon_get_type())
G_DECLARE_FINAL_TYPE(CbDaemon, cb_daemon, CB, DAEMON, GObject)

typedef struct {
	const char *config_path;  /* the main configuration file */
	gboolean config_required; /* named on the command line: must exist */
	const char *state_dir;    /* --state-dir, or NULL */
	const char *listen;       /* --listen, or NULL */
} CbDaemonOptions;

CbDaemon *cb_daemon_new(const CbDaemonOptions *options);

/* loads the configuration, takes the state directory, opens the store and
 * listens; then tells systemd it is ready */
gboolean cb_daemon_start(CbDaemon *self, GError **error);

/* runs the main loop until SIGTERM or SIGINT; returns the exit status */
int cb_daemon_run(CbDaemon *self);

/* rereads the configuration, as on SIGHUP */
void cb_daemon_reload(CbDaemon *self);

G_END_DECLS
