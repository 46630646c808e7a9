#define G_LOG_DOMAIN "CbHttp"

/* the Prometheus text exposition format 0.0.4: HELP and TYPE lines, label
 * values and help text escaped as the format says, numbers in the C locale */

#include "cb-metrics-text.h"

#include <math.h>

void
cb_metrics_text_init(CbMetricsText *m)
{
	m->text = g_string_sized_new(4096);
	m->labels = g_string_new(NULL);
}

void
cb_metrics_text_clear(CbMetricsText *m)
{
	if (m->text != NULL)
		g_string_free(m->text, TRUE);
	if (m->labels != NULL)
		g_string_free(m->labels, TRUE);
	m->text = NULL;
	m->labels = NULL;
}

char *
cb_metrics_text_finish(CbMetricsText *m, gsize *length)
{
	char *text;

	*length = m->text->len;
	text = g_string_free(g_steal_pointer(&m->text), FALSE);
	cb_metrics_text_clear(m);
	return text;
}

/* backslash and newline always; the double quote too inside label values */
static void
cb_metrics_escape(GString *out, const char *text, gboolean quote)
{
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '\\')
			g_string_append(out, "\\\\");
		else if (*p == '\n')
			g_string_append(out, "\\n");
		else if (*p == '"' && quote)
			g_string_append(out, "\\\"");
		else
			g_string_append_c(out, *p);
	}
}

void
cb_metrics_family(CbMetricsText *m, const char *name, const char *type, const char *help)
{
	g_string_append_printf(m->text, "# HELP %s ", name);
	cb_metrics_escape(m->text, help, FALSE);
	g_string_append_printf(m->text, "\n# TYPE %s %s\n", name, type);
}

void
cb_metrics_label(CbMetricsText *m, const char *name, const char *value)
{
	g_string_append_printf(m->labels, "%s%s=\"", m->labels->len > 0 ? "," : "", name);
	/* label values are UTF-8; anything else would make the scrape fail */
	if (value != NULL && g_utf8_validate(value, -1, NULL))
		cb_metrics_escape(m->labels, value, TRUE);
	g_string_append_c(m->labels, '"');
}

void
cb_metrics_label_int(CbMetricsText *m, const char *name, gint64 value)
{
	char text[32];

	g_snprintf(text, sizeof(text), "%" G_GINT64_FORMAT, value);
	cb_metrics_label(m, name, text);
}

void
cb_metrics_sample(CbMetricsText *m, const char *name, double value)
{
	char number[G_ASCII_DTOSTR_BUF_SIZE];

	g_string_append(m->text, name);
	if (m->labels->len > 0)
		g_string_append_printf(m->text, "{%s}", m->labels->str);
	g_string_truncate(m->labels, 0);
	if (isnan(value))
		g_string_append(m->text, " NaN\n");
	else if (isinf(value))
		g_string_append(m->text, value > 0 ? " +Inf\n" : " -Inf\n");
	else if (value > -1e15 && value < 1e15 && value == (double)(gint64)value)
		g_string_append_printf(m->text, " %" G_GINT64_FORMAT "\n", (gint64)value);
	else
		g_string_append_printf(m->text, " %s\n",
				       g_ascii_formatd(number, sizeof(number), "%.15g", value));
}
