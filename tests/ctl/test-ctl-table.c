#define G_LOG_DOMAIN "CbCtlTest"

#include "cb-ctl.h"

static void
test_width(void)
{
	g_assert_cmpuint(cb_ctl_display_width(""), ==, 0);
	g_assert_cmpuint(cb_ctl_display_width("ba-dinh"), ==, 7);
	/* precomposed (NFC) Vietnamese: one column per letter */
	g_assert_cmpuint(cb_ctl_display_width("Điểm cầu"), ==, 8);
	/* the same typed decomposed (NFD): the combining marks take no column */
	g_assert_cmpuint(cb_ctl_display_width("Đie\xcc\x82\xcc\x89m ca\xcc\x80u"), ==, 8);
	/* CJK takes two columns a character */
	g_assert_cmpuint(cb_ctl_display_width("中文区"), ==, 6);
}

static void
test_render(void)
{
	const char *const headers[] = {"ID", "NAME", "DISTRICT", NULL};
	const char *const row1[] = {"1", "Điểm cầu phường Ba Đình", "Ba Đình"};
	const char *const row2[] = {"12", "HK", NULL};
	const char *const row3[] = {"3", "中文", ""};
	g_autoptr(CbCtlTable) table = cb_ctl_table_new(headers);
	g_autofree char *text = NULL;

	cb_ctl_table_add_row(table, row1);
	cb_ctl_table_add_row(table, row2);
	cb_ctl_table_add_row(table, row3);
	text = cb_ctl_table_render(table);
	/* columns two apart, padded in display columns, nothing after the last */
	g_assert_cmpstr(text, ==,
			"ID  NAME                     DISTRICT\n"
			"1   Điểm cầu phường Ba Đình  Ba Đình\n"
			"12  HK                       -\n"
			"3   中文\n");
}

static void
test_render_empty(void)
{
	const char *const headers[] = {"ID", "CODE", NULL};
	g_autoptr(CbCtlTable) table = cb_ctl_table_new(headers);
	g_autofree char *text = cb_ctl_table_render(table);

	g_assert_cmpstr(text, ==, "ID  CODE\n");
}

static void
test_sanitize(void)
{
	const char *const headers[] = {"NAME", NULL};
	const char *const row[] = {"evil\x1b[2J\nname\t\xc2\x9b"};
	g_autoptr(CbCtlTable) table = cb_ctl_table_new(headers);
	g_autofree char *text = NULL;
	g_autofree char *invalid = cb_ctl_sanitize("a\xff"
						   "b");

	/* escape sequences, newlines, tabs and C1 controls cannot reach the terminal */
	cb_ctl_table_add_row(table, row);
	text = cb_ctl_table_render(table);
	g_assert_cmpstr(text, ==, "NAME\nevil?[2J?name??\n");
	g_assert_true(g_utf8_validate(invalid, -1, NULL));
	g_assert_cmpstr(invalid, ==,
			"a\xef\xbf\xbd"
			"b");
}

static void
test_record(void)
{
	const char *const names[] = {"id", "bridge point", "token", NULL};
	const char *const values[] = {"7", NULL, "cbt_x"};
	g_autofree char *text = cb_ctl_render_record(names, values);

	g_assert_cmpstr(text, ==,
			"id:            7\n"
			"bridge point:  -\n"
			"token:         cbt_x\n");
}

static void
test_duration(void)
{
	const struct {
		const char *text;
		gint64 seconds;
	} good[] = {
		{"3600", 3600}, {"45s", 45},      {"90m", 5400},
		{"12h", 43200}, {"30d", 2592000}, {"1", 1},
	};
	const char *const bad[] = {"",   "12x", "-5", "0",   "m",  "1.5h",
				   " 5", "5 ",  "+5", "1ms", "h1", "99999999999999999999d",
				   NULL};

	for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
		g_autoptr(GError) error = NULL;
		gint64 seconds = 0;

		g_assert_true(cb_ctl_parse_duration(good[i].text, &seconds, &error));
		g_assert_no_error(error);
		g_assert_cmpint(seconds, ==, good[i].seconds);
	}
	for (guint i = 0; bad[i] != NULL; i++) {
		g_autoptr(GError) error = NULL;
		gint64 seconds = -1;

		g_test_message("duration '%s'", bad[i]);
		g_assert_false(cb_ctl_parse_duration(bad[i], &seconds, &error));
		g_assert_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
		g_assert_true(CB_CTL_IS_USAGE_ERROR(error));
		g_assert_cmpint(seconds, ==, -1);
	}
}

static void
test_id(void)
{
	const char *const bad[] = {"abc", "0", "-1", "1x", "", "3.0", "99999999999999999999", NULL};
	g_autoptr(GError) error = NULL;
	gint64 id = 0;

	g_assert_true(cb_ctl_parse_id("42", "token id", &id, &error));
	g_assert_no_error(error);
	g_assert_cmpint(id, ==, 42);
	for (guint i = 0; bad[i] != NULL; i++) {
		g_autoptr(GError) local = NULL;

		g_assert_false(cb_ctl_parse_id(bad[i], "token id", &id, &local));
		g_assert_true(CB_CTL_IS_USAGE_ERROR(local));
		g_assert_nonnull(strstr(local->message, "token id"));
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/civic-bridge/ctl/table/width", test_width);
	g_test_add_func("/civic-bridge/ctl/table/render", test_render);
	g_test_add_func("/civic-bridge/ctl/table/render-empty", test_render_empty);
	g_test_add_func("/civic-bridge/ctl/table/sanitize", test_sanitize);
	g_test_add_func("/civic-bridge/ctl/table/record", test_record);
	g_test_add_func("/civic-bridge/ctl/table/duration", test_duration);
	g_test_add_func("/civic-bridge/ctl/table/id", test_id);
	return g_test_run();
}
