/* civic-bridge: comma-separated values (RFC 4180), read strictly and written safely */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* a record with more fields than this is refused: a line of commas must not
 * turn a small file into a huge array */
#define CB_CSV_MAX_FIELDS 1024
/* a field longer than this, in bytes, is refused */
#define CB_CSV_MAX_FIELD_BYTES (64 * 1024)

typedef enum {
	CB_CSV_RECORD, /* a record was read */
	CB_CSV_END,    /* no more records */
	CB_CSV_ERROR,  /* the record was malformed; reading may go on with the next one */
} CbCsvStatus;

typedef struct _CbCsvReader CbCsvReader;

/**
 * cb_csv_reader_new:
 * @data: the text; not copied, so it must outlive the reader
 * @len: its length in bytes
 *
 * A reader of RFC 4180 records: fields separated by commas, records ended by
 * CRLF (a bare LF is taken too), fields holding a comma, quote or line break
 * enclosed in double quotes with inner quotes doubled. A UTF-8 byte order mark
 * at the very start is skipped. Every field must be valid UTF-8 without NUL.
 */
CbCsvReader *cb_csv_reader_new(const char *data, gsize len);
void cb_csv_reader_free(CbCsvReader *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbCsvReader, cb_csv_reader_free)

/**
 * cb_csv_reader_next:
 * @fields: (out): on CB_CSV_RECORD, the fields (NUL-terminated UTF-8 strings)
 * @line: (out): the line the record starts on, counting from 1, whatever the
 *   status; line breaks inside quoted fields count
 * @error: on CB_CSV_ERROR, why the record is malformed (without its text)
 *
 * Reads the next record. A malformed record is read to its end all the same,
 * so the next call starts at the following record and a caller can report
 * every bad record of a file, not just the first. An unclosed quote runs to
 * the end of the text: nothing follows it.
 */
CbCsvStatus cb_csv_reader_next(CbCsvReader *self, GPtrArray **fields, guint *line, GError **error);

/**
 * cb_csv_append_record:
 * @out: where the record goes
 * @fields: (array length=n_fields): the fields; NULL is written as empty
 * @guard_formulas: whether to defuse cells a spreadsheet would run as a formula
 *
 * Appends one record ended by CRLF. A field holding a comma, a quote, CR or LF
 * is quoted. With @guard_formulas, each field goes through
 * cb_csv_guard_cell() first (OWASP CSV injection).
 */
void cb_csv_append_record(GString *out, const char *const *fields, gsize n_fields,
			  gboolean guard_formulas);

/* whether a spreadsheet would take @cell for a formula: it starts with =, +,
 * -, @, tab or CR; or it is such a cell behind single quotes, so that guarding
 * and unguarding give back exactly what was guarded */
gboolean cb_csv_cell_needs_guard(const char *cell);

/* @cell with a single quote in front when it needs a guard; else a copy */
char *cb_csv_guard_cell(const char *cell);

/* the reverse of cb_csv_guard_cell(): @cell past the quote a guard added, or
 * @cell itself; unguard(guard(x)) is x for every x */
const char *cb_csv_unguard_cell(const char *cell);

G_END_DECLS
