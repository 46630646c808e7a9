#define G_LOG_DOMAIN "CbNotify"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-notify.h"

gboolean
cb_notify_send(const char *state, GError **error)
{
	const char *path = g_getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	gsize path_len;
	socklen_t addr_len;
	int fd;
	ssize_t sent;

	if (path == NULL || path[0] == '\0')
		return TRUE;
	path_len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || path_len >= sizeof(addr.sun_path)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INTERNAL,
			    "NOTIFY_SOCKET is not a usable socket path");
		return FALSE;
	}
	memcpy(addr.sun_path, path, path_len);
	/* a leading '@' names the abstract namespace */
	if (path[0] == '@')
		addr.sun_path[0] = '\0';
	addr_len = offsetof(struct sockaddr_un, sun_path) + path_len;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_INTERNAL, "cannot make a socket: %s",
			    g_strerror(errno));
		return FALSE;
	}
	sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr, addr_len);
	close(fd);
	if (sent < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_INTERNAL,
			    "cannot notify the service "
			    "manager: %s",
			    g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

guint64
cb_notify_watchdog_usec(void)
{
	const char *usec = g_getenv("WATCHDOG_USEC");
	const char *pid = g_getenv("WATCHDOG_PID");
	guint64 value = 0, owner = 0;

	if (usec == NULL || !g_ascii_string_to_unsigned(usec, 10, 1, G_MAXUINT64, &value, NULL))
		return 0;
	/* the watchdog is meant for another process when WATCHDOG_PID names it */
	if (pid != NULL && g_ascii_string_to_unsigned(pid, 10, 1, G_MAXUINT64, &owner, NULL) &&
	    owner != (guint64)getpid())
		return 0;
	return value;
}
