/* civic-bridge: the private state directory, held by one daemon at a time */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CbStateDir CbStateDir;

/* the directory to use: @override, else the configured one, else
 * $STATE_DIRECTORY (set by systemd), else the built-in default */
char *cb_state_dir_resolve(const char *override, const char *configured);

/**
 * cb_state_dir_open:
 * @lock: whether to take the directory for this process (the daemon does)
 *
 * Creates @path (mode 0700) if needed and, with @lock, takes an exclusive
 * lock on it: a second daemon on the same directory is refused with a message
 * that names the directory and the process holding it.
 */
CbStateDir *cb_state_dir_open(const char *path, gboolean lock, GError **error);

const char *cb_state_dir_get_path(CbStateDir *self);

/* a file inside the directory */
char *cb_state_dir_file(CbStateDir *self, const char *name);

/* releases the lock */
void cb_state_dir_free(CbStateDir *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbStateDir, cb_state_dir_free)

G_END_DECLS
