/* civic-bridge: what the reception book's files share; never included elsewhere */
#pragma once

#include "civic-bridge/cb-reception-book.h"

G_BEGIN_DECLS

/* the local midnight that starts @day, in µs UTC */
gint64 cb_book_day_start(const GDate *day, GTimeZone *zone);

/* the cells of @entry as the CSV shows them (NULL-terminated, not guarded):
 * date and time in @zone, an empty time when the book gave none */
char **cb_book_entry_to_cells(const CbBookEntry *entry, GTimeZone *zone);

/* what makes a row itself: SHA-256 (hex) of its cells, each with its length */
char *cb_book_cells_digest(char **cells);

/* a bridge point's id by name; -1 for a name that more than one bridge point has */
typedef GHashTable CbBookBridgePoints;

/* the bridge points by name, for the rows that name one */
CbBookBridgePoints *cb_book_bridge_points_load(CbStore *store, GError **error);

/* what checking a data row needs besides its cells */
typedef struct {
	GTimeZone *zone;
	GDate today; /* in the office's zone: a later date is a typo */
	CbBookBridgePoints *bridge_points;
} CbBookRowContext;

/* a data row of CB_BOOK_CSV_COLUMNS cells (their guards already taken
 * off) as an entry, or NULL with *@reason saying every fault of the row,
 * never quoting a cell */
CbBookEntry *cb_book_entry_from_cells(GPtrArray *cells, const CbBookRowContext *context,
				      char **reason);

G_END_DECLS
