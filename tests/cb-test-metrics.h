/* civic-bridge tests: a strict reader of the Prometheus text format 0.0.4 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	char *name;
	GHashTable *labels; /* name -> value, unescaped */
	double value;
} CbTestSample;

typedef struct {
	GHashTable *types; /* family name -> "counter", "gauge", ... */
	GHashTable *helps; /* family name -> help text, unescaped */
	GPtrArray *samples;
} CbTestMetrics;

/**
 * cb_test_metrics_parse:
 *
 * Reads @text as Prometheus text format 0.0.4 more strictly than the format
 * itself: every line is a HELP, a TYPE or a sample (no blank lines, no other
 * comments); each family gives HELP then TYPE before its samples, once, and
 * its samples follow together; metric and label names are valid, label
 * values and help text use only the format's escapes, a label is not given
 * twice, values are numbers, NaN or ±Inf; counters end in `_total` and are
 * not negative; no series (name and labels) appears twice; the text ends
 * with a newline. Returns NULL with @error naming the line otherwise.
 */
CbTestMetrics *cb_test_metrics_parse(const char *text, GError **error);
void cb_test_metrics_free(CbTestMetrics *metrics);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbTestMetrics, cb_test_metrics_free)

/* the first sample of @name whose labels include every (name, value) pair
 * given after it, NULL-terminated; NULL when none */
const CbTestSample *cb_test_metrics_find(CbTestMetrics *metrics, const char *name,
					 ...) G_GNUC_NULL_TERMINATED;
/* how many samples @name has */
guint cb_test_metrics_count(CbTestMetrics *metrics, const char *name);

/* runs `promtool check metrics` on @text when promtool is in PATH; FALSE
 * when it is not installed, fails the test when it refuses @text */
gboolean cb_test_metrics_promtool(const char *text);

G_END_DECLS
