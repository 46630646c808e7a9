#define G_LOG_DOMAIN "CbCtl"

#include <string.h>

#include "cb-ctl.h"

/* what a missing value looks like in a table */
#define CB_CTL_NONE "-"

struct _CbCtlTable {
	GStrv headers;
	GPtrArray *rows; /* of GStrv, sanitised */
};

/* g_utf8_strlen counts characters; a terminal cell also needs combining marks
 * (Vietnamese typed in NFD) at 0 columns and CJK at 2, or columns drift */
gsize
cb_ctl_display_width(const char *text)
{
	gsize width = 0;

	for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_iszerowidth(c))
			continue;
		width += g_unichar_iswide(c) ? 2 : 1;
	}
	return width;
}

char *
cb_ctl_sanitize(const char *text)
{
	g_autofree char *valid = g_utf8_make_valid(text, -1);
	GString *out = g_string_sized_new(strlen(valid));

	/* a name holding escape sequences must not repaint the admin's terminal */
	for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_iscntrl(c))
			g_string_append_c(out, '?');
		else
			g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}

CbCtlTable *
cb_ctl_table_new(const char *const *headers)
{
	CbCtlTable *self = g_new0(CbCtlTable, 1);

	self->headers = g_strdupv((char **)headers);
	self->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	return self;
}

void
cb_ctl_table_free(CbCtlTable *self)
{
	if (self == NULL)
		return;
	g_strfreev(self->headers);
	g_ptr_array_unref(self->rows);
	g_free(self);
}

void
cb_ctl_table_add_row(CbCtlTable *self, const char *const *cells)
{
	guint n = g_strv_length(self->headers);
	char **row = g_new0(char *, n + 1);

	for (guint i = 0; i < n; i++)
		row[i] = cb_ctl_sanitize(cells[i] != NULL ? cells[i] : CB_CTL_NONE);
	g_ptr_array_add(self->rows, row);
}

/* one line: every cell but the last padded to its column's width */
static void
cb_ctl_table_append_line(GString *out, char **cells, const gsize *widths)
{
	for (guint i = 0; cells[i] != NULL; i++) {
		g_string_append(out, cells[i]);
		if (cells[i + 1] == NULL)
			break;
		for (gsize w = cb_ctl_display_width(cells[i]); w < widths[i] + 2; w++)
			g_string_append_c(out, ' ');
	}
	/* an empty last cell would leave the padding before it behind */
	while (out->len > 0 && out->str[out->len - 1] == ' ')
		g_string_truncate(out, out->len - 1);
	g_string_append_c(out, '\n');
}

char *
cb_ctl_table_render(CbCtlTable *self)
{
	guint n = g_strv_length(self->headers);
	g_autofree gsize *widths = g_new0(gsize, n);
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < n; i++)
		widths[i] = cb_ctl_display_width(self->headers[i]);
	for (guint r = 0; r < self->rows->len; r++) {
		char **row = g_ptr_array_index(self->rows, r);
		for (guint i = 0; i < n; i++)
			widths[i] = MAX(widths[i], cb_ctl_display_width(row[i]));
	}
	cb_ctl_table_append_line(out, self->headers, widths);
	for (guint r = 0; r < self->rows->len; r++)
		cb_ctl_table_append_line(out, g_ptr_array_index(self->rows, r), widths);
	return g_string_free(out, FALSE);
}

char *
cb_ctl_render_record(const char *const *names, const char *const *values)
{
	gsize width = 0;
	GString *out = g_string_new(NULL);

	for (guint i = 0; names[i] != NULL; i++)
		width = MAX(width, cb_ctl_display_width(names[i]));
	for (guint i = 0; names[i] != NULL; i++) {
		g_autofree char *value =
			cb_ctl_sanitize(values[i] != NULL ? values[i] : CB_CTL_NONE);

		g_string_append_printf(out, "%s:", names[i]);
		for (gsize w = cb_ctl_display_width(names[i]); w < width + 2; w++)
			g_string_append_c(out, ' ');
		g_string_append_printf(out, "%s\n", value);
	}
	return g_string_free(out, FALSE);
}
