/* civic-bridge: the reception book (form 03), its CSV form and its reports */
#pragma once

#include <glib-object.h>

#include "civic-bridge/cb-clock.h"
#include "civic-bridge/cb-reception-book-entry.h"
#include "civic-bridge/cb-store.h"

G_BEGIN_DECLS

/* the columns of the CSV form, in this order, as its first line */
#define CB_BOOK_CSV_HEADER                                                                         \
	"date,time,citizen_name,address,id_number,content,category,persons,already_handled_by,"    \
	"handling,follow_up,notes,bridge_point,session_kind"
#define CB_BOOK_CSV_COLUMNS 14

/* the most people one entry may count */
#define CB_BOOK_PERSONS_MAX 10000
/* the longest text an imported cell may hold, in characters */
#define CB_BOOK_TEXT_MAX 10000

/* "2024-03-19" as a day; FALSE unless exactly YYYY-MM-DD and a real day from 1900 */
gboolean cb_book_parse_day(const char *text, GDate *day);

#define CB_TYPE_RECEPTION_BOOK (cb_reception_book_get_type())
G_DECLARE_FINAL_TYPE(CbReceptionBook, cb_reception_book, CB, RECEPTION_BOOK, GObject)

/**
 * cb_reception_book_new:
 * @timezone: the IANA zone of the office: the book's dates and times are in it
 *
 * The reception book over @store: every ticket that became done or refused,
 * and the rows imported from the books kept before, in one list by time.
 * Returns NULL with CB_ERROR_CONFIG for an unknown zone.
 */
CbReceptionBook *cb_reception_book_new(CbStore *store, CbClock *clock, const char *timezone,
				       GError **error);

/**
 * cb_reception_book_day_range:
 * @from: (nullable): the first day, YYYY-MM-DD in the office's zone; NULL or
 *   empty: no lower bound
 * @to: (nullable): the last day, included; NULL or empty: no upper bound
 *
 * Turns a range of local days into [*@from_us, *@to_us) in µs UTC (0 for an
 * open bound). CB_ERROR_INVALID naming the parameter for a bad date, or when
 * @to is before @from.
 */
gboolean cb_reception_book_day_range(CbReceptionBook *self, const char *from, const char *to,
				     gint64 *from_us, gint64 *to_us, GError **error);

/**
 * cb_reception_book_export_csv:
 *
 * The entries of the days @from to @to (as for cb_reception_book_day_range())
 * as CSV with CB_BOOK_CSV_HEADER: UTF-8, CRLF line ends, dates and times in
 * the office's zone, and any cell a spreadsheet would run as a formula
 * behind a single quote.
 */
GBytes *cb_reception_book_export_csv(CbReceptionBook *self, const char *from, const char *to,
				     GError **error);

/* a row of an import that cannot be taken: its line (the first line of the
 * record) and why, without the row's text */
typedef struct {
	guint line;
	char *reason;
} CbBookRowError;

void cb_book_row_error_free(CbBookRowError *row_error);

typedef struct {
	guint rows;            /* data rows read */
	guint added;           /* rows new to the book */
	guint already_present; /* rows the book had: imported before, or a finished ticket */
} CbBookImportStats;

/**
 * cb_reception_book_import_csv:
 * @data: the CSV text, CB_BOOK_CSV_HEADER first
 * @stats: (out): what the import did
 * @row_errors: (out) (optional): on a bad file, every bad row (CbBookRowError)
 *   by line
 *
 * Imports a book kept before civic-bridge, all or nothing: when any row is
 * bad, nothing is written and the error (CB_ERROR_INVALID) says how many
 * rows are, while *@row_errors says which and why. A row the book has
 * already (the same fields on the same day and time, counted with its
 * identical neighbours) is skipped, so importing a file twice adds nothing
 * the second time, and neither does importing an export of this book.
 */
gboolean cb_reception_book_import_csv(CbReceptionBook *self, const CbActor *actor, const char *data,
				      gsize len, CbBookImportStats *stats, GPtrArray **row_errors,
				      GError **error);

/* what a report covers; NULL or empty strings leave a part open */
typedef struct {
	const char *from; /* YYYY-MM-DD, local */
	const char *to;   /* YYYY-MM-DD, local, included */
	const char *kind; /* leadership or regular */
	/* a bridge point's name; "" for the hall alone; NULL for everything */
	const char *bridge_point;
	guint large_group_min; /* [queue] large-group-min */
} CbBookQuery;

/**
 * cb_reception_book_summarize:
 *
 * The figures of the entries @query selects: visits, citizens, large groups
 * and their citizens, and visits by category (all four, zeros too), by
 * handling (all four and "none" for entries without one) and by bridge point
 * ("" for the hall; only those with visits). CB_ERROR_INVALID for a bad date
 * or kind, or a bridge point name that no bridge point has.
 */
CbBookSummary *cb_reception_book_summarize(CbReceptionBook *self, const CbBookQuery *query,
					   GError **error);

G_END_DECLS
