/* civic-bridge: the Prometheus text exposition format 0.0.4, written */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CB_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* the text of one scrape: families one after the other, each announced
 * with HELP and TYPE before its samples */
typedef struct {
	GString *text;
	GString *labels; /* of the sample being built */
} CbMetricsText;

void cb_metrics_text_init(CbMetricsText *m);
/* the text, taken; @m is cleared */
char *cb_metrics_text_finish(CbMetricsText *m, gsize *length);
void cb_metrics_text_clear(CbMetricsText *m);

/* starts a family: @type is "counter" or "gauge"; @help is escaped */
void cb_metrics_family(CbMetricsText *m, const char *name, const char *type, const char *help);

/* a label of the next sample; @value is escaped (backslash, quote, newline) */
void cb_metrics_label(CbMetricsText *m, const char *name, const char *value);
void cb_metrics_label_int(CbMetricsText *m, const char *name, gint64 value);

/* a sample of the family's @name (with a suffix such as "_total" in it)
 * with the labels given since the last one; NaN and infinities as the
 * format spells them */
void cb_metrics_sample(CbMetricsText *m, const char *name, double value);

G_END_DECLS
