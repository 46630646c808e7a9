#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-json.h"

static void
test_depth_counts_nesting(void)
{
	g_autoptr(GError) error = NULL;
	const char *three = "{\"a\":[{\"b\":1}]}";

	g_assert_true(cb_json_check_depth(three, strlen(three), 3, &error));
	g_assert_false(cb_json_check_depth(three, strlen(three), 2, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID);
	g_assert_nonnull(strstr(error->message, "deeper than 2"));
}

static void
test_depth_ignores_brackets_in_strings(void)
{
	const char *text = "{\"a\":\"[[[[[[{{{{\\\"[[[[\"}";

	g_assert_true(cb_json_check_depth(text, strlen(text), 1, NULL));
}

static void
test_depth_siblings_do_not_add_up(void)
{
	g_autoptr(GString) text = g_string_new("[");

	for (int i = 0; i < 1000; i++)
		g_string_append(text, "[1],");
	g_string_append(text, "[2]]");
	g_assert_true(cb_json_check_depth(text->str, text->len, 2, NULL));
}

/* json-glib overflows the stack on deep nesting: it must never see it */
static void
test_parse_refuses_huge_nesting(void)
{
	gsize n = 100000;
	g_autofree char *text = g_malloc(n);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) object = NULL;

	memset(text, '[', n);
	object = cb_json_parse_object(text, n, 32, &error);
	g_assert_null(object);
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID);
}

static void
test_parse_errors(void)
{
	const char *bad[] = {"", "not json", "[1,2]", "\"text\"", "{\"a\":}", "{\"a\":1"};

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(JsonObject) object =
			cb_json_parse_object(bad[i], strlen(bad[i]), 32, &error);
		g_assert_null(object);
		g_assert_error(error, CB_ERROR, CB_ERROR_INVALID);
	}
	{
		const char invalid_utf8[] = "{\"a\":\"\xff\xfe\"}";
		g_autoptr(GError) error = NULL;
		g_autoptr(JsonObject) object =
			cb_json_parse_object(invalid_utf8, sizeof(invalid_utf8) - 1, 32, &error);
		g_assert_null(object);
		g_assert_nonnull(strstr(error->message, "UTF-8"));
	}
}

static void
test_typed_members(void)
{
	const char *text = "{\"name\":\"Ba Đình\",\"n\":5,\"f\":2.5,\"big\":1e300,\"s\":\"5\","
			   "\"whole\":7.0}";
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) object = cb_json_parse_object(text, strlen(text), 32, &error);
	const char *s = NULL;
	gboolean present = FALSE;
	gint64 n = 0;
	const char *allowed[] = {"name", "n", "f", "big", "s", "whole", NULL};
	const char *fewer[] = {"name", NULL};

	g_assert_no_error(error);
	g_assert_true(cb_json_check_members(object, allowed, &error));
	g_assert_false(cb_json_check_members(object, fewer, &error));
	g_assert_nonnull(strstr(error->message, "unknown field"));
	g_clear_error(&error);

	g_assert_true(cb_json_get_string(object, "name", TRUE, &s, &error));
	g_assert_cmpstr(s, ==, "Ba Đình");
	g_assert_true(cb_json_get_string(object, "absent", FALSE, &s, &error));
	g_assert_null(s);
	g_assert_false(cb_json_get_string(object, "absent", TRUE, &s, &error));
	g_assert_nonnull(strstr(error->message, "'absent' is required"));
	g_clear_error(&error);
	g_assert_false(cb_json_get_string(object, "n", TRUE, &s, &error));
	g_assert_nonnull(strstr(error->message, "'n' must be a string"));
	g_clear_error(&error);

	g_assert_true(cb_json_get_int(object, "n", TRUE, &present, &n, &error));
	g_assert_true(present);
	g_assert_cmpint(n, ==, 5);
	g_assert_true(cb_json_get_int(object, "whole", TRUE, &present, &n, &error));
	g_assert_cmpint(n, ==, 7);
	g_assert_false(cb_json_get_int(object, "f", TRUE, &present, &n, &error));
	g_clear_error(&error);
	g_assert_false(cb_json_get_int(object, "big", TRUE, &present, &n, &error));
	g_clear_error(&error);
	g_assert_false(cb_json_get_int(object, "s", TRUE, &present, &n, &error));
	g_assert_nonnull(strstr(error->message, "'s' must be a whole number"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/civic-bridge/json/depth-counts-nesting", test_depth_counts_nesting);
	g_test_add_func("/civic-bridge/json/depth-ignores-brackets-in-strings",
			test_depth_ignores_brackets_in_strings);
	g_test_add_func("/civic-bridge/json/depth-siblings-do-not-add-up",
			test_depth_siblings_do_not_add_up);
	g_test_add_func("/civic-bridge/json/parse-refuses-huge-nesting",
			test_parse_refuses_huge_nesting);
	g_test_add_func("/civic-bridge/json/parse-errors", test_parse_errors);
	g_test_add_func("/civic-bridge/json/typed-members", test_typed_members);
	return g_test_run();
}
