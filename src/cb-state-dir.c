#define G_LOG_DOMAIN "CbStateDir"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-state-dir.h"

#define CB_STATE_LOCK_FILE "civic-bridged.lock"

struct _CbStateDir {
	char *path;
	int lock_fd;
};

char *
cb_state_dir_resolve(const char *override, const char *configured)
{
	const char *from_systemd = g_getenv("STATE_DIRECTORY");

	if (override != NULL && override[0] != '\0')
		return g_strdup(override);
	if (configured != NULL && configured[0] != '\0')
		return g_strdup(configured);
	/* systemd may list several directories separated by ':'; ours is the first */
	if (from_systemd != NULL && from_systemd[0] != '\0') {
		const char *colon = strchr(from_systemd, ':');
		return colon != NULL ? g_strndup(from_systemd, colon - from_systemd)
				     : g_strdup(from_systemd);
	}
	return g_strdup(CB_DEFAULT_STATE_DIR);
}

void
cb_state_dir_free(CbStateDir *self)
{
	if (self == NULL)
		return;
	if (self->lock_fd >= 0)
		close(self->lock_fd);
	g_free(self->path);
	g_free(self);
}

static gboolean
cb_state_dir_lock(CbStateDir *self, GError **error)
{
	g_autofree char *lock_path = g_build_filename(self->path, CB_STATE_LOCK_FILE, NULL);
	g_autofree char *pid = NULL;

	self->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (self->lock_fd < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_STORE, "%s: cannot open: %s", lock_path,
			    g_strerror(errno));
		return FALSE;
	}
	if (flock(self->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		char holder[32] = "";
		ssize_t n = pread(self->lock_fd, holder, sizeof(holder) - 1, 0);
		if (n > 0)
			holder[n] = '\0';
		g_strstrip(holder);
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "state directory %s is in use by another civic-bridged%s%s%s; "
			    "stop it first or use another --state-dir",
			    self->path, holder[0] != '\0' ? " (pid " : "", holder,
			    holder[0] != '\0' ? ")" : "");
		return FALSE;
	}
	/* the pid is only for the message above; the lock is what counts */
	pid = g_strdup_printf("%d\n", (int)getpid());
	if (ftruncate(self->lock_fd, 0) != 0 || pwrite(self->lock_fd, pid, strlen(pid), 0) < 0)
		g_debug("could not record the pid in %s", lock_path);
	return TRUE;
}

CbStateDir *
cb_state_dir_open(const char *path, gboolean lock, GError **error)
{
	g_autoptr(CbStateDir) self = g_new0(CbStateDir, 1);
	GStatBuf st;

	self->path = g_strdup(path);
	self->lock_fd = -1;
	if (g_mkdir_with_parents(path, 0700) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_STORE,
			    "cannot create the state directory %s: %s", path, g_strerror(errno));
		return NULL;
	}
	if (g_stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		g_set_error(error, CB_ERROR, CB_ERROR_STORE, "%s is not a directory", path);
		return NULL;
	}
	/* recordings and the store hold personal data: the service user only */
	if ((st.st_mode & 0077) != 0 && st.st_uid == getuid() && g_chmod(path, 0700) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_STORE, "cannot make %s private: %s", path,
			    g_strerror(errno));
		return NULL;
	}
	if (lock && !cb_state_dir_lock(self, error))
		return NULL;
	return g_steal_pointer(&self);
}

const char *
cb_state_dir_get_path(CbStateDir *self)
{
	return self->path;
}

char *
cb_state_dir_file(CbStateDir *self, const char *name)
{
	return g_build_filename(self->path, name, NULL);
}
