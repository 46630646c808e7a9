#define G_LOG_DOMAIN "CbTestMetrics"

/* a strict reader of the Prometheus text format 0.0.4, to hold /metrics to
 * it (https://prometheus.io/docs/instrumenting/exposition_formats/) */

#include "cb-test-metrics.h"

#include <gio/gio.h>
#include <string.h>

static void
cb_test_sample_free(gpointer data)
{
	CbTestSample *sample = data;

	g_free(sample->name);
	g_hash_table_unref(sample->labels);
	g_free(sample);
}

void
cb_test_metrics_free(CbTestMetrics *metrics)
{
	if (metrics == NULL)
		return;
	g_hash_table_unref(metrics->types);
	g_hash_table_unref(metrics->helps);
	g_ptr_array_unref(metrics->samples);
	g_free(metrics);
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* (metric) or [a-zA-Z_][a-zA-Z0-9_]* (label) */
static gsize
cb_test_name_length(const char *p, gboolean colon)
{
	gsize n = 0;

	while (g_ascii_isalpha(p[n]) || p[n] == '_' || (colon && p[n] == ':') ||
	       (n > 0 && g_ascii_isdigit(p[n])))
		n++;
	return n;
}

/* unescapes up to the closing quote (@quoted) or the end; NULL on a bad escape */
static char *
cb_test_unescape(const char **p, gboolean quoted)
{
	GString *out = g_string_new(NULL);

	while (**p != '\0' && !(quoted && **p == '"')) {
		if (**p == '\\') {
			char next = (*p)[1];
			if (next == '\\' || next == 'n' || (quoted && next == '"'))
				g_string_append_c(out, next == 'n' ? '\n' : next);
			else
				return (g_string_free(out, TRUE), NULL);
			*p += 2;
			continue;
		}
		if (**p == '\n')
			return (g_string_free(out, TRUE), NULL);
		g_string_append_c(out, *(*p)++);
	}
	if (quoted && **p != '"')
		return (g_string_free(out, TRUE), NULL);
	if (quoted)
		(*p)++;
	return g_string_free(out, FALSE);
}

static gboolean
cb_test_parse_value(const char *text, double *value)
{
	char *end = NULL;

	if (g_str_equal(text, "NaN") || g_str_equal(text, "+Inf") || g_str_equal(text, "-Inf")) {
		*value = g_str_equal(text, "NaN") ? 0.0 / 0.0 : (text[0] == '+' ? 1 : -1) / 0.0;
		return TRUE;
	}
	if (text[0] == '\0')
		return FALSE;
	*value = g_ascii_strtod(text, &end);
	return end != NULL && *end == '\0';
}

/* {name="value",...}: fills @labels; FALSE on anything else */
static gboolean
cb_test_parse_labels(const char **p, GHashTable *labels)
{
	(*p)++;
	while (**p != '}') {
		gsize n = cb_test_name_length(*p, FALSE);
		g_autofree char *name = g_strndup(*p, n);
		char *value;

		if (n == 0 || g_str_has_prefix(name, "__") || (*p)[n] != '=' || (*p)[n + 1] != '"')
			return FALSE;
		*p += n + 2;
		value = cb_test_unescape(p, TRUE);
		if (value == NULL || !g_utf8_validate(value, -1, NULL) ||
		    g_hash_table_contains(labels, name)) {
			g_free(value);
			return FALSE;
		}
		g_hash_table_insert(labels, g_steal_pointer(&name), value);
		if (**p == ',')
			(*p)++;
		else if (**p != '}')
			return FALSE;
	}
	(*p)++;
	return TRUE;
}

/* the series' identity: name and labels sorted */
static char *
cb_test_series_key(const CbTestSample *sample)
{
	g_autoptr(GList) names =
		g_list_sort(g_hash_table_get_keys(sample->labels), (GCompareFunc)g_strcmp0);
	GString *key = g_string_new(sample->name);

	for (GList *l = names; l != NULL; l = l->next)
		g_string_append_printf(key, "\n%s=%s", (char *)l->data,
				       (char *)g_hash_table_lookup(sample->labels, l->data));
	return g_string_free(key, FALSE);
}

/* a sample belongs to the family last typed: its name, or a histogram's
 * or summary's _bucket, _sum and _count */
static gboolean
cb_test_in_family(const char *name, const char *family, const char *type)
{
	if (family == NULL)
		return FALSE;
	if (g_str_equal(name, family))
		return TRUE;
	if (!g_str_equal(type, "histogram") && !g_str_equal(type, "summary"))
		return FALSE;
	return g_str_has_prefix(name, family) &&
	       (g_str_equal(name + strlen(family), "_sum") ||
		g_str_equal(name + strlen(family), "_count") ||
		(g_str_equal(type, "histogram") && g_str_equal(name + strlen(family), "_bucket")));
}

typedef struct {
	CbTestMetrics *metrics;
	GHashTable *series; /* keys seen */
	char *family;       /* last TYPE'd */
	char *helped;       /* HELP waiting for its TYPE */
} CbTestReader;

static gboolean
cb_test_read_comment(CbTestReader *r, const char *line, GError **error)
{
	gboolean help = g_str_has_prefix(line, "# HELP ");
	const char *p = line + 7;
	gsize n = cb_test_name_length(p, TRUE);
	g_autofree char *name = g_strndup(p, n);

	if ((!help && !g_str_has_prefix(line, "# TYPE ")) || n == 0 || p[n] != ' ') {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				    "a comment that is neither HELP nor TYPE");
		return FALSE;
	}
	p += n + 1;
	if (g_hash_table_contains(help ? r->metrics->helps : r->metrics->types, name)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s given twice for %s",
			    help ? "HELP" : "TYPE", name);
		return FALSE;
	}
	if (help) {
		char *text = cb_test_unescape(&p, FALSE);
		if (text == NULL || r->helped != NULL) {
			g_free(text);
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				    "a bad HELP, or a HELP without its TYPE, for %s", name);
			return FALSE;
		}
		g_hash_table_insert(r->metrics->helps, g_strdup(name), text);
		r->helped = g_steal_pointer(&name);
		return TRUE;
	}
	if (g_strcmp0(r->helped, name) != 0 ||
	    !g_strv_contains((const char *const[]){"counter", "gauge", "histogram", "summary",
						   "untyped", NULL},
			     p)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "TYPE of %s is not right after its HELP, or is '%s'", name, p);
		return FALSE;
	}
	if (g_str_equal(p, "counter") && !g_str_has_suffix(name, "_total")) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "counter %s does not end in _total", name);
		return FALSE;
	}
	g_hash_table_insert(r->metrics->types, g_strdup(name), g_strdup(p));
	g_free(r->family);
	r->family = g_steal_pointer(&name);
	g_clear_pointer(&r->helped, g_free);
	return TRUE;
}

static gboolean
cb_test_read_sample(CbTestReader *r, const char *line, GError **error)
{
	CbTestSample *sample = g_new0(CbTestSample, 1);
	const char *p = line;
	gsize n = cb_test_name_length(p, TRUE);
	const char *type =
		r->family != NULL ? g_hash_table_lookup(r->metrics->types, r->family) : NULL;
	g_auto(GStrv) rest = NULL;
	g_autofree char *key = NULL;

	sample->name = g_strndup(p, n);
	sample->labels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_ptr_array_add(r->metrics->samples, sample);
	p += n;
	if (n == 0 || (*p == '{' && !cb_test_parse_labels(&p, sample->labels)) || *p != ' ') {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				    "not a sample: name{labels} value");
		return FALSE;
	}
	rest = g_strsplit(p + 1, " ", -1);
	if (g_strv_length(rest) < 1 || g_strv_length(rest) > 2 ||
	    !cb_test_parse_value(rest[0], &sample->value) ||
	    (rest[1] != NULL &&
	     !g_ascii_string_to_signed(rest[1], 10, G_MININT64, G_MAXINT64, NULL, NULL))) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				    "the value (and timestamp) do not parse");
		return FALSE;
	}
	if (!cb_test_in_family(sample->name, r->family, type)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "sample %s comes without its HELP and TYPE", sample->name);
		return FALSE;
	}
	if (g_str_equal(type, "counter") && !(sample->value >= 0)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "counter %s is %g",
			    sample->name, sample->value);
		return FALSE;
	}
	key = cb_test_series_key(sample);
	if (!g_hash_table_add(r->series, g_steal_pointer(&key))) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "series %s appears twice",
			    sample->name);
		return FALSE;
	}
	return TRUE;
}

CbTestMetrics *
cb_test_metrics_parse(const char *text, GError **error)
{
	g_autoptr(CbTestMetrics) metrics = g_new0(CbTestMetrics, 1);
	g_autoptr(GHashTable) series = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	guint n = g_strv_length(lines);
	CbTestReader r = {.metrics = metrics, .series = series};
	gboolean ok = TRUE;

	metrics->types = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	metrics->helps = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	metrics->samples = g_ptr_array_new_with_free_func(cb_test_sample_free);
	if (n < 2 || lines[n - 1][0] != '\0') {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				    "empty, or not ended by a newline");
		return NULL;
	}
	for (guint i = 0; ok && i + 1 < n; i++) {
		g_autoptr(GError) local = NULL;

		if (lines[i][0] == '#')
			ok = cb_test_read_comment(&r, lines[i], &local);
		else
			ok = cb_test_read_sample(&r, lines[i], &local);
		if (!ok)
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "line %u: %s: %s",
				    i + 1, local->message, lines[i]);
	}
	if (ok && r.helped != NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "HELP of %s without TYPE",
			    r.helped);
		ok = FALSE;
	}
	g_free(r.family);
	g_free(r.helped);
	return ok ? g_steal_pointer(&metrics) : NULL;
}

const CbTestSample *
cb_test_metrics_find(CbTestMetrics *metrics, const char *name, ...)
{
	for (guint i = 0; i < metrics->samples->len; i++) {
		const CbTestSample *sample = g_ptr_array_index(metrics->samples, i);
		gboolean match = g_str_equal(sample->name, name);
		va_list args;
		const char *label;

		va_start(args, name);
		while (match && (label = va_arg(args, const char *)) != NULL) {
			const char *value = va_arg(args, const char *);
			match = g_strcmp0(g_hash_table_lookup(sample->labels, label), value) == 0;
		}
		va_end(args);
		if (match)
			return sample;
	}
	return NULL;
}

guint
cb_test_metrics_count(CbTestMetrics *metrics, const char *name)
{
	guint n = 0;

	for (guint i = 0; i < metrics->samples->len; i++)
		n += g_str_equal(((CbTestSample *)g_ptr_array_index(metrics->samples, i))->name,
				 name);
	return n;
}

gboolean
cb_test_metrics_promtool(const char *text)
{
	g_autofree char *promtool = g_find_program_in_path("promtool");
	g_autoptr(GSubprocess) process = NULL;
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	g_autoptr(GError) error = NULL;

	if (promtool == NULL)
		return FALSE;
	process = g_subprocess_new(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
					   G_SUBPROCESS_FLAGS_STDERR_PIPE,
				   &error, promtool, "check", "metrics", NULL);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(process, text, NULL, &out, &err, &error);
	g_assert_no_error(error);
	if (!g_subprocess_get_if_exited(process) || g_subprocess_get_exit_status(process) != 0)
		g_error("promtool check metrics refused the text:\n%s%s", out, err);
	return TRUE;
}
