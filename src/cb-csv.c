#define G_LOG_DOMAIN "CbCsv"

#include <string.h>

#include "civic-bridge/cb-csv.h"
#include "civic-bridge/cb-error.h"

struct _CbCsvReader {
	const char *data;
	gsize len;
	gsize pos;
	guint line; /* the line at pos */
};

CbCsvReader *
cb_csv_reader_new(const char *data, gsize len)
{
	CbCsvReader *self = g_new0(CbCsvReader, 1);

	self->data = data;
	self->len = len;
	self->line = 1;
	/* spreadsheets often save UTF-8 with a byte order mark */
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		self->pos = 3;
	return self;
}

void
cb_csv_reader_free(CbCsvReader *self)
{
	g_free(self);
}

typedef enum {
	CB_CSV_FIELD_START,
	CB_CSV_UNQUOTED,
	CB_CSV_QUOTED,
	CB_CSV_AFTER_QUOTE, /* a quote inside a quoted field: doubled, or the closing one */
} CbCsvState;

/* one record being read: its fields so far and the first fault found in it */
typedef struct {
	GPtrArray *fields;
	GString *field;
	char *fault;
	gboolean too_many;
} CbCsvRecord;

static void
cb_csv_record_fault(CbCsvRecord *record, const char *fault)
{
	if (record->fault == NULL)
		record->fault = g_strdup(fault);
}

static void
cb_csv_record_append(CbCsvRecord *record, char c)
{
	if (record->field->len >= CB_CSV_MAX_FIELD_BYTES) {
		g_autofree char *fault =
			g_strdup_printf("field %u is longer than %d bytes", record->fields->len + 1,
					CB_CSV_MAX_FIELD_BYTES);
		cb_csv_record_fault(record, fault);
		return;
	}
	g_string_append_c(record->field, c);
}

static void
cb_csv_record_end_field(CbCsvRecord *record)
{
	if (record->fields->len >= CB_CSV_MAX_FIELDS) {
		if (!record->too_many) {
			g_autofree char *fault =
				g_strdup_printf("has more than %d fields", CB_CSV_MAX_FIELDS);
			cb_csv_record_fault(record, fault);
		}
		record->too_many = TRUE;
		g_string_truncate(record->field, 0);
		return;
	}
	g_ptr_array_add(record->fields, g_string_free(record->field, FALSE));
	record->field = g_string_new(NULL);
}

/* a line ends at LF or CRLF; TRUE and past it when one starts at pos */
static gboolean
cb_csv_reader_eat_line_end(CbCsvReader *self)
{
	if (self->data[self->pos] == '\n') {
		self->pos++;
		self->line++;
		return TRUE;
	}
	if (self->data[self->pos] == '\r' && self->pos + 1 < self->len &&
	    self->data[self->pos + 1] == '\n') {
		self->pos += 2;
		self->line++;
		return TRUE;
	}
	return FALSE;
}

/* a byte outside quotes that is not a separator */
static CbCsvState
cb_csv_reader_plain(CbCsvRecord *record, char c)
{
	if (c == '"')
		cb_csv_record_fault(record, "a field that does not start with a quote holds "
					    "one; quote the whole field and double inner quotes");
	else if (c == '\r')
		cb_csv_record_fault(record, "a carriage return that does not end a line; "
					    "lines end with CRLF or LF");
	cb_csv_record_append(record, c);
	return CB_CSV_UNQUOTED;
}

/* reads bytes up to the end of the record; FALSE when a quote was left open */
static gboolean
cb_csv_reader_scan(CbCsvReader *self, CbCsvRecord *record)
{
	CbCsvState state = CB_CSV_FIELD_START;

	while (self->pos < self->len) {
		char c = self->data[self->pos];

		if (state == CB_CSV_QUOTED) {
			if (c == '"')
				state = CB_CSV_AFTER_QUOTE;
			else
				cb_csv_record_append(record, c);
			if (c == '\n')
				self->line++;
			self->pos++;
			continue;
		}
		if (state == CB_CSV_AFTER_QUOTE && c == '"') {
			cb_csv_record_append(record, '"');
			state = CB_CSV_QUOTED;
			self->pos++;
			continue;
		}
		if (cb_csv_reader_eat_line_end(self)) {
			cb_csv_record_end_field(record);
			return TRUE;
		}
		self->pos++;
		if (c == ',') {
			cb_csv_record_end_field(record);
			state = CB_CSV_FIELD_START;
		} else if (state == CB_CSV_FIELD_START && c == '"') {
			state = CB_CSV_QUOTED;
		} else if (state == CB_CSV_AFTER_QUOTE) {
			cb_csv_record_fault(record, "text follows the closing quote of a field");
			state = cb_csv_reader_plain(record, c);
		} else {
			state = cb_csv_reader_plain(record, c);
		}
	}
	cb_csv_record_end_field(record);
	return state != CB_CSV_QUOTED;
}

static void
cb_csv_reader_check_utf8(CbCsvRecord *record)
{
	for (guint i = 0; i < record->fields->len; i++) {
		const char *field = g_ptr_array_index(record->fields, i);
		g_autofree char *fault = NULL;

		if (g_utf8_validate(field, -1, NULL))
			continue;
		fault = g_strdup_printf("field %u is not valid UTF-8 text", i + 1);
		cb_csv_record_fault(record, fault);
		return;
	}
}

CbCsvStatus
cb_csv_reader_next(CbCsvReader *self, GPtrArray **fields, guint *line, GError **error)
{
	CbCsvRecord record = {0};
	gboolean closed;
	gsize start = self->pos;

	*line = self->line;
	if (self->pos >= self->len)
		return CB_CSV_END;
	record.fields = g_ptr_array_new_with_free_func(g_free);
	record.field = g_string_new(NULL);
	closed = cb_csv_reader_scan(self, &record);
	g_string_free(record.field, TRUE);
	if (!closed)
		cb_csv_record_fault(&record, "a quoted field is never closed: a quote is missing "
					     "or not doubled");
	/* a field is a C string from here on: a NUL byte would cut it short unseen */
	if (record.fault == NULL && memchr(self->data + start, '\0', self->pos - start) != NULL)
		cb_csv_record_fault(&record, "holds a NUL byte, which is not text");
	if (record.fault == NULL)
		cb_csv_reader_check_utf8(&record);
	if (record.fault != NULL) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID, record.fault);
		g_free(record.fault);
		g_ptr_array_unref(record.fields);
		return CB_CSV_ERROR;
	}
	*fields = record.fields;
	return CB_CSV_RECORD;
}

/* --- writing ---------------------------------------------------------------- */

static gboolean
cb_csv_is_formula_start(char c)
{
	return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

gboolean
cb_csv_cell_needs_guard(const char *cell)
{
	if (cell == NULL)
		return FALSE;
	/* quotes in front of a formula start: guarded already, or made to look so;
	 * either way one more quote keeps guard and unguard exact inverses */
	while (*cell == '\'')
		cell++;
	return cb_csv_is_formula_start(*cell);
}

char *
cb_csv_guard_cell(const char *cell)
{
	if (cell == NULL)
		return g_strdup("");
	return cb_csv_cell_needs_guard(cell) ? g_strconcat("'", cell, NULL) : g_strdup(cell);
}

const char *
cb_csv_unguard_cell(const char *cell)
{
	if (cell[0] == '\'' && cb_csv_cell_needs_guard(cell + 1))
		return cell + 1;
	return cell;
}

static void
cb_csv_append_field(GString *out, const char *field)
{
	if (field == NULL || strpbrk(field, ",\"\r\n") == NULL) {
		g_string_append(out, field != NULL ? field : "");
		return;
	}
	g_string_append_c(out, '"');
	for (const char *p = field; *p != '\0'; p++) {
		if (*p == '"')
			g_string_append_c(out, '"');
		g_string_append_c(out, *p);
	}
	g_string_append_c(out, '"');
}

void
cb_csv_append_record(GString *out, const char *const *fields, gsize n_fields,
		     gboolean guard_formulas)
{
	for (gsize i = 0; i < n_fields; i++) {
		if (i > 0)
			g_string_append_c(out, ',');
		if (guard_formulas && cb_csv_cell_needs_guard(fields[i])) {
			g_autofree char *guarded = cb_csv_guard_cell(fields[i]);
			cb_csv_append_field(out, guarded);
		} else {
			cb_csv_append_field(out, fields[i]);
		}
	}
	g_string_append(out, "\r\n");
}
