#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-state-dir.h"

static char *
make_tmp(void)
{
	g_autoptr(GError) error = NULL;
	char *dir = g_dir_make_tmp("cb-state-XXXXXX", &error);

	g_assert_no_error(error);
	return dir;
}

static void
test_resolve_order(void)
{
	g_autofree char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL;

	g_setenv("STATE_DIRECTORY", "/run/x:/run/y", TRUE);
	a = cb_state_dir_resolve("/cli", "/conf");
	b = cb_state_dir_resolve(NULL, "/conf");
	c = cb_state_dir_resolve(NULL, NULL);
	g_unsetenv("STATE_DIRECTORY");
	d = cb_state_dir_resolve(NULL, "");
	e = cb_state_dir_resolve("", NULL);
	g_assert_cmpstr(a, ==, "/cli");
	g_assert_cmpstr(b, ==, "/conf");
	g_assert_cmpstr(c, ==, "/run/x");
	g_assert_true(g_str_has_suffix(d, "/lib/civic-bridge"));
	g_assert_cmpstr(d, ==, e);
}

static void
test_creates_private_directory(void)
{
	g_autofree char *tmp = make_tmp();
	g_autofree char *path = g_build_filename(tmp, "a", "b", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(CbStateDir) dir = NULL;
	GStatBuf st;

	g_assert_cmpint(g_chmod(tmp, 0755), ==, 0);
	dir = cb_state_dir_open(path, TRUE, &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0700);
	g_clear_pointer(&dir, cb_state_dir_free);
	/* a directory made too open by hand is tightened */
	g_assert_cmpint(g_chmod(path, 0755), ==, 0);
	dir = cb_state_dir_open(path, FALSE, &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0700);
}

static void
test_second_lock_refused(void)
{
	g_autofree char *tmp = make_tmp();
	g_autoptr(GError) error = NULL;
	g_autoptr(CbStateDir) first = cb_state_dir_open(tmp, TRUE, &error);
	g_autoptr(CbStateDir) second = NULL;
	g_autoptr(CbStateDir) third = NULL;
	g_autofree char *pid = g_strdup_printf("(pid %d)", (int)getpid());

	g_assert_no_error(error);
	second = cb_state_dir_open(tmp, TRUE, &error);
	g_assert_null(second);
	g_assert_error(error, CB_ERROR, CB_ERROR_CONFLICT);
	g_assert_nonnull(strstr(error->message, tmp));
	g_assert_nonnull(strstr(error->message, pid));
	g_clear_error(&error);
	/* released with its holder */
	g_clear_pointer(&first, cb_state_dir_free);
	third = cb_state_dir_open(tmp, TRUE, &error);
	g_assert_no_error(error);
}

static void
test_not_a_directory(void)
{
	g_autofree char *tmp = make_tmp();
	g_autofree char *file = g_build_filename(tmp, "file", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(CbStateDir) dir = NULL;

	g_file_set_contents(file, "x", -1, NULL);
	dir = cb_state_dir_open(file, TRUE, &error);
	g_assert_null(dir);
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, file));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/civic-bridge/state-dir/resolve-order", test_resolve_order);
	g_test_add_func("/civic-bridge/state-dir/creates-private-directory",
			test_creates_private_directory);
	g_test_add_func("/civic-bridge/state-dir/second-lock-refused", test_second_lock_refused);
	g_test_add_func("/civic-bridge/state-dir/not-a-directory", test_not_a_directory);
	return g_test_run();
}
