#define G_LOG_DOMAIN "CbTestMetricsText"

/* the Prometheus text writer of /metrics (src/cb-metrics-text.c), held to
 * the format by the strict reader the daemon's tests use
 * (tests/cb-test-metrics.c), which is itself shown to refuse bad texts */

#include <gio/gio.h>
#include <math.h>
#include <string.h>

#include "src/cb-metrics-text.h"

#include "cb-test-metrics.h"

static char *
write_odd_families(void)
{
	CbMetricsText m;
	gsize length = 0;
	char *text;

	cb_metrics_text_init(&m);
	cb_metrics_family(&m, "cb_odd_total", "counter", "A help with a \\ and a\nnewline.");
	cb_metrics_label(&m, "quote", "a\"b");
	cb_metrics_label(&m, "backslash", "c\\d");
	cb_metrics_label(&m, "newline", "e\nf");
	cb_metrics_label(&m, "utf8", "Phường 3");
	cb_metrics_sample(&m, "cb_odd_total", 3);
	/* not UTF-8: written empty rather than breaking the scrape */
	cb_metrics_label(&m, "quote", "\xff\xfe");
	cb_metrics_sample(&m, "cb_odd_total", 1e20);
	cb_metrics_family(&m, "cb_values", "gauge", "Values the format spells its own way.");
	cb_metrics_label_int(&m, "n", -4);
	cb_metrics_sample(&m, "cb_values", NAN);
	cb_metrics_label_int(&m, "n", 1);
	cb_metrics_sample(&m, "cb_values", INFINITY);
	cb_metrics_label_int(&m, "n", 2);
	cb_metrics_sample(&m, "cb_values", -INFINITY);
	cb_metrics_label_int(&m, "n", 3);
	cb_metrics_sample(&m, "cb_values", 0.000125);
	cb_metrics_sample(&m, "cb_values", -2);
	cb_metrics_family(&m, "cb_empty", "gauge", "A family without samples.");
	text = cb_metrics_text_finish(&m, &length);
	g_assert_cmpuint(length, ==, strlen(text));
	return text;
}

static void
test_escaping(void)
{
	g_autofree char *text = write_odd_families();
	g_autoptr(GError) error = NULL;
	g_autoptr(CbTestMetrics) metrics = cb_test_metrics_parse(text, &error);
	const CbTestSample *s;

	g_test_message("%s", text);
	g_assert_no_error(error);
	g_assert_cmpstr(g_hash_table_lookup(metrics->helps, "cb_odd_total"), ==,
			"A help with a \\ and a\nnewline.");
	s = cb_test_metrics_find(metrics, "cb_odd_total", "quote", "a\"b", "backslash", "c\\d",
				 "newline", "e\nf", "utf8", "Phường 3", NULL);
	g_assert_nonnull(s);
	g_assert_cmpfloat(s->value, ==, 3);
	s = cb_test_metrics_find(metrics, "cb_odd_total", "quote", "", NULL);
	g_assert_nonnull(s);
	g_assert_cmpfloat(s->value, ==, 1e20);
	g_assert_true(isnan(cb_test_metrics_find(metrics, "cb_values", "n", "-4", NULL)->value));
	g_assert_cmpfloat(cb_test_metrics_find(metrics, "cb_values", "n", "1", NULL)->value, ==,
			  INFINITY);
	g_assert_cmpfloat(cb_test_metrics_find(metrics, "cb_values", "n", "2", NULL)->value, ==,
			  -INFINITY);
	g_assert_cmpfloat(cb_test_metrics_find(metrics, "cb_values", "n", "3", NULL)->value, ==,
			  0.000125);
	g_assert_cmpuint(cb_test_metrics_count(metrics, "cb_values"), ==, 5);
	g_assert_cmpstr(g_hash_table_lookup(metrics->types, "cb_empty"), ==, "gauge");
	if (!cb_test_metrics_promtool(text))
		g_test_message("promtool is not installed: its check is left out");
}

/* the reader refuses what the format (or its strict reading) forbids */
static void
test_reader_refuses(void)
{
	static const char *const bad[] = {
		"",
		"# HELP a_total x\n# TYPE a_total counter\na_total 1",
		"a 1\n",
		"# TYPE a gauge\n# HELP a x\na 1\n",
		"# HELP a x\n# TYPE a gauge\n# HELP a y\n# TYPE a gauge\na 1\n",
		"# HELP a x\n# TYPE a gauge\na 1\na 2\n",
		"# HELP a x\n# TYPE a gauge\na{l=\"1\",m=\"2\"} 1\na{m=\"2\",l=\"1\"} 2\n",
		"# HELP a x\n# TYPE a gauge\na{l=\"1\",l=\"2\"} 1\n",
		"# HELP a x\n# TYPE a gauge\na{l=\"\\t\"} 1\n",
		"# HELP a x\n# TYPE a gauge\na{l=\"open} 1\n",
		"# HELP a x\n# TYPE a gauge\na{__l=\"1\"} 1\n",
		"# HELP a x\n# TYPE a gauge\na{1l=\"1\"} 1\n",
		"# HELP a x\n# TYPE a gauge\na one\n",
		"# HELP a x\n# TYPE a gauge\na 1 2 3\n",
		"# HELP a x\n# TYPE a gauge\n\na 1\n",
		"# HELP a x\n# TYPE a gauge\n# a comment\na 1\n",
		"# HELP a x\n# TYPE a gauge\nb 1\n",
		"# HELP a x\n# TYPE a kind\na 1\n",
		"# HELP a x\n# TYPE a counter\na 1\n",
		"# HELP a_total x\n# TYPE a_total counter\na_total -1\n",
		"# HELP a x\n# TYPE a gauge\n# HELP b x\n# TYPE b gauge\na 1\n",
		"# HELP a bad \\q escape\n# TYPE a gauge\na 1\n",
		"# HELP a x\n",
	};

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(CbTestMetrics) metrics = cb_test_metrics_parse(bad[i], &error);

		if (metrics != NULL)
			g_error("the reader took bad text %u:\n%s", i, bad[i]);
		g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
		g_test_message("%u: %s", i, error->message);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/civic-bridge/metrics-text/escaping", test_escaping);
	g_test_add_func("/civic-bridge/metrics-text/reader-refuses", test_reader_refuses);
	return g_test_run();
}
