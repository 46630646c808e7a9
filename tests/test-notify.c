#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gio/gunixsocketaddress.h>
#include <unistd.h>

#include "civic-bridge/cb-notify.h"

static GSocket *
bind_socket(const char *path, gboolean abstract)
{
	g_autoptr(GError) error = NULL;
	GSocket *socket = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM,
				       G_SOCKET_PROTOCOL_DEFAULT, &error);
	g_autoptr(GSocketAddress) address =
		abstract ? g_unix_socket_address_new_with_type(path, -1,
							       G_UNIX_SOCKET_ADDRESS_ABSTRACT)
			 : g_unix_socket_address_new(path);

	g_assert_no_error(error);
	g_socket_bind(socket, address, TRUE, &error);
	g_assert_no_error(error);
	return socket;
}

static char *
receive(GSocket *socket)
{
	char buffer[512];
	gssize n;

	g_socket_set_timeout(socket, 5);
	n = g_socket_receive(socket, buffer, sizeof(buffer) - 1, NULL, NULL);
	g_assert_cmpint(n, >, 0);
	buffer[n] = '\0';
	return g_strdup(buffer);
}

static void
test_sends_to_path(void)
{
	g_autofree char *dir = g_dir_make_tmp("cb-notify-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "notify", NULL);
	g_autoptr(GSocket) socket = bind_socket(path, FALSE);
	g_autoptr(GError) error = NULL;
	g_autofree char *got = NULL;

	g_setenv("NOTIFY_SOCKET", path, TRUE);
	g_assert_true(cb_notify_send("READY=1\nSTATUS=Listening", &error));
	g_assert_no_error(error);
	got = receive(socket);
	g_assert_cmpstr(got, ==, "READY=1\nSTATUS=Listening");
	g_unlink(path);
	g_rmdir(dir);
}

static void
test_sends_to_abstract(void)
{
	g_autofree char *name = g_strdup_printf("cb-notify-test-%d", (int)getpid());
	g_autofree char *env = g_strconcat("@", name, NULL);
	g_autoptr(GSocket) socket = bind_socket(name, TRUE);
	g_autofree char *got = NULL;

	g_setenv("NOTIFY_SOCKET", env, TRUE);
	g_assert_true(cb_notify_send("WATCHDOG=1", NULL));
	got = receive(socket);
	g_assert_cmpstr(got, ==, "WATCHDOG=1");
}

static void
test_without_socket_is_noop(void)
{
	g_unsetenv("NOTIFY_SOCKET");
	g_assert_true(cb_notify_send("READY=1", NULL));
}

static void
test_bad_socket_is_error(void)
{
	g_autoptr(GError) error = NULL;

	g_setenv("NOTIFY_SOCKET", "relative/path", TRUE);
	g_assert_false(cb_notify_send("READY=1", &error));
	g_assert_nonnull(error);
	g_clear_error(&error);
	g_setenv("NOTIFY_SOCKET", "/nonexistent/civic-bridge/notify", TRUE);
	g_assert_false(cb_notify_send("READY=1", &error));
	g_assert_nonnull(error);
	g_unsetenv("NOTIFY_SOCKET");
}

static void
test_watchdog_usec(void)
{
	g_autofree char *me = g_strdup_printf("%d", (int)getpid());

	g_unsetenv("WATCHDOG_PID");
	g_setenv("WATCHDOG_USEC", "30000000", TRUE);
	g_assert_cmpuint(cb_notify_watchdog_usec(), ==, 30000000);
	g_setenv("WATCHDOG_PID", me, TRUE);
	g_assert_cmpuint(cb_notify_watchdog_usec(), ==, 30000000);
	g_setenv("WATCHDOG_PID", "1", TRUE);
	g_assert_cmpuint(cb_notify_watchdog_usec(), ==, 0);
	g_unsetenv("WATCHDOG_PID");
	g_setenv("WATCHDOG_USEC", "soon", TRUE);
	g_assert_cmpuint(cb_notify_watchdog_usec(), ==, 0);
	g_unsetenv("WATCHDOG_USEC");
	g_assert_cmpuint(cb_notify_watchdog_usec(), ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/civic-bridge/notify/sends-to-path", test_sends_to_path);
	g_test_add_func("/civic-bridge/notify/sends-to-abstract", test_sends_to_abstract);
	g_test_add_func("/civic-bridge/notify/without-socket-is-noop", test_without_socket_is_noop);
	g_test_add_func("/civic-bridge/notify/bad-socket-is-error", test_bad_socket_is_error);
	g_test_add_func("/civic-bridge/notify/watchdog-usec", test_watchdog_usec);
	return g_test_run();
}
