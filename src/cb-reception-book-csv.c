#define G_LOG_DOMAIN "CbBook"

#include <string.h>

#include "civic-bridge/cb-error.h"

#include "cb-reception-book-private.h"

/* the columns, by their place in CB_BOOK_CSV_HEADER */
enum {
	CB_BOOK_COL_DATE,
	CB_BOOK_COL_TIME,
	CB_BOOK_COL_CITIZEN_NAME,
	CB_BOOK_COL_ADDRESS,
	CB_BOOK_COL_ID_NUMBER,
	CB_BOOK_COL_CONTENT,
	CB_BOOK_COL_CATEGORY,
	CB_BOOK_COL_PERSONS,
	CB_BOOK_COL_ALREADY_HANDLED_BY,
	CB_BOOK_COL_HANDLING,
	CB_BOOK_COL_FOLLOW_UP,
	CB_BOOK_COL_NOTES,
	CB_BOOK_COL_BRIDGE_POINT,
	CB_BOOK_COL_SESSION_KIND,
};

G_STATIC_ASSERT(CB_BOOK_COL_SESSION_KIND + 1 == CB_BOOK_CSV_COLUMNS);

static const char *const cb_book_categories[] = {"complaint", "denunciation", "recommendation",
						 "reflection", NULL};
static const char *const cb_book_handlings[] = {"accepted", "guided", "forwarded", "refused", NULL};

/* the earliest year a book may give: older is a typo */
#define CB_BOOK_FIRST_YEAR 1900

static gboolean
cb_book_digits(const char *text, gsize n)
{
	for (gsize i = 0; i < n; i++) {
		if (!g_ascii_isdigit(text[i]))
			return FALSE;
	}
	return TRUE;
}

gboolean
cb_book_parse_day(const char *text, GDate *day)
{
	guint year, month, mday;

	if (text == NULL || strlen(text) != 10 || text[4] != '-' || text[7] != '-' ||
	    !cb_book_digits(text, 4) || !cb_book_digits(text + 5, 2) ||
	    !cb_book_digits(text + 8, 2))
		return FALSE;
	year = (guint)g_ascii_strtoull(text, NULL, 10);
	month = (guint)g_ascii_strtoull(text + 5, NULL, 10);
	mday = (guint)g_ascii_strtoull(text + 8, NULL, 10);
	if (year < CB_BOOK_FIRST_YEAR || !g_date_valid_dmy(mday, month, year))
		return FALSE;
	g_date_clear(day, 1);
	g_date_set_dmy(day, mday, month, year);
	return TRUE;
}

/* "08:30" as minutes after midnight; FALSE unless exactly HH:MM */
static gboolean
cb_book_parse_time(const char *text, guint *minutes)
{
	guint hour, minute;

	if (strlen(text) != 5 || text[2] != ':' || !cb_book_digits(text, 2) ||
	    !cb_book_digits(text + 3, 2))
		return FALSE;
	hour = (guint)g_ascii_strtoull(text, NULL, 10);
	minute = (guint)g_ascii_strtoull(text + 3, NULL, 10);
	if (hour > 23 || minute > 59)
		return FALSE;
	*minutes = hour * 60 + minute;
	return TRUE;
}

static gint64
cb_book_local_time(const GDate *day, guint minutes, GTimeZone *zone)
{
	g_autoptr(GDateTime) local =
		g_date_time_new(zone, g_date_get_year(day), g_date_get_month(day),
				g_date_get_day(day), minutes / 60, minutes % 60, 0);

	return g_date_time_to_unix(local) * G_USEC_PER_SEC;
}

gint64
cb_book_day_start(const GDate *day, GTimeZone *zone)
{
	return cb_book_local_time(day, 0, zone);
}

/* --- entries as cells --------------------------------------------------------- */

char **
cb_book_entry_to_cells(const CbBookEntry *entry, GTimeZone *zone)
{
	/* whole seconds, rounded down also before 1970 */
	gint64 seconds = entry->at / G_USEC_PER_SEC - (entry->at % G_USEC_PER_SEC < 0 ? 1 : 0);
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(seconds);
	g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, zone);
	char **cells = g_new0(char *, CB_BOOK_CSV_COLUMNS + 1);

	cells[CB_BOOK_COL_DATE] = g_date_time_format(local, "%Y-%m-%d");
	cells[CB_BOOK_COL_TIME] =
		entry->has_time ? g_date_time_format(local, "%H:%M") : g_strdup("");
	cells[CB_BOOK_COL_CITIZEN_NAME] = g_strdup(entry->citizen_name ? entry->citizen_name : "");
	cells[CB_BOOK_COL_ADDRESS] = g_strdup(entry->address ? entry->address : "");
	cells[CB_BOOK_COL_ID_NUMBER] = g_strdup(entry->id_number ? entry->id_number : "");
	cells[CB_BOOK_COL_CONTENT] = g_strdup(entry->content ? entry->content : "");
	cells[CB_BOOK_COL_CATEGORY] = g_strdup(entry->category ? entry->category : "");
	cells[CB_BOOK_COL_PERSONS] = g_strdup_printf("%" G_GINT64_FORMAT, entry->persons);
	cells[CB_BOOK_COL_ALREADY_HANDLED_BY] =
		g_strdup(entry->already_handled_by ? entry->already_handled_by : "");
	cells[CB_BOOK_COL_HANDLING] = g_strdup(entry->handling ? entry->handling : "");
	cells[CB_BOOK_COL_FOLLOW_UP] = g_strdup(entry->follow_up ? entry->follow_up : "");
	cells[CB_BOOK_COL_NOTES] = g_strdup(entry->notes ? entry->notes : "");
	cells[CB_BOOK_COL_BRIDGE_POINT] = g_strdup(entry->bridge_point ? entry->bridge_point : "");
	cells[CB_BOOK_COL_SESSION_KIND] = g_strdup(cb_session_kind_to_string(entry->session_kind));
	return cells;
}

char *
cb_book_cells_digest(char **cells)
{
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);

	/* each cell with its length, so no two rows run together the same way */
	for (guint i = 0; cells[i] != NULL; i++) {
		g_autofree char *length = g_strdup_printf("%zu:", strlen(cells[i]));
		g_checksum_update(checksum, (const guchar *)length, -1);
		g_checksum_update(checksum, (const guchar *)cells[i], -1);
		g_checksum_update(checksum, (const guchar *)"\n", 1);
	}
	return g_strdup(g_checksum_get_string(checksum));
}

/* --- bridge points by name ----------------------------------------------------- */

CbBookBridgePoints *
cb_book_bridge_points_load(CbStore *store, GError **error)
{
	g_autoptr(GPtrArray) list = cb_store_bridge_point_list(store, error);
	GHashTable *by_name;

	if (list == NULL)
		return NULL;
	by_name = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	for (guint i = 0; i < list->len; i++) {
		const CbBridgePoint *bp = g_ptr_array_index(list, i);
		gint64 *id = g_new(gint64, 1);

		/* names need not be unique; a row must not guess between two */
		*id = g_hash_table_contains(by_name, bp->name) ? -1 : bp->id;
		g_hash_table_insert(by_name, g_strdup(bp->name), id);
	}
	return by_name;
}

/* --- a data row ---------------------------------------------------------------- */

static void
cb_book_fault(GString *reason, const char *fault)
{
	if (reason->len > 0)
		g_string_append(reason, "; ");
	g_string_append(reason, fault);
}

/* NULL for an empty cell; a fault when it is too long */
static char *
cb_book_take_text(GPtrArray *cells, guint column, const char *name, GString *reason)
{
	const char *cell = g_ptr_array_index(cells, column);

	if (g_utf8_strlen(cell, -1) > CB_BOOK_TEXT_MAX) {
		g_autofree char *fault =
			g_strdup_printf("%s is longer than %d characters", name, CB_BOOK_TEXT_MAX);
		cb_book_fault(reason, fault);
		return NULL;
	}
	return cell[0] != '\0' ? g_strdup(cell) : NULL;
}

/* the name from @names equal to the cell, or NULL */
static char *
cb_book_take_word(GPtrArray *cells, guint column, const char *const *names)
{
	const char *cell = g_ptr_array_index(cells, column);

	return g_strv_contains(names, cell) ? g_strdup(cell) : NULL;
}

static void
cb_book_take_when(GPtrArray *cells, const CbBookRowContext *context, CbBookEntry *entry,
		  GString *reason)
{
	const char *date = g_ptr_array_index(cells, CB_BOOK_COL_DATE);
	const char *time = g_ptr_array_index(cells, CB_BOOK_COL_TIME);
	GDate day;
	guint minutes = 0;
	gboolean time_ok = TRUE;

	entry->has_time = time[0] != '\0';
	if (entry->has_time && !cb_book_parse_time(time, &minutes)) {
		cb_book_fault(reason,
			      "time must be empty or HH:MM on a 24-hour clock, such as 14:05");
		time_ok = FALSE;
	}
	if (!cb_book_parse_day(date, &day)) {
		cb_book_fault(reason, "date must be a real day written YYYY-MM-DD, such as "
				      "2024-03-19, from 1900 on");
		return;
	}
	if (g_date_compare(&day, &context->today) > 0) {
		cb_book_fault(reason, "date is after today");
		return;
	}
	if (time_ok)
		entry->at = cb_book_local_time(&day, minutes, context->zone);
}

static void
cb_book_take_persons(GPtrArray *cells, CbBookEntry *entry, GString *reason)
{
	const char *cell = g_ptr_array_index(cells, CB_BOOK_COL_PERSONS);
	guint64 persons = 0;

	/* digits only: no sign, no blanks, no fraction */
	if (cell[0] == '\0' || !cb_book_digits(cell, strlen(cell)) ||
	    !g_ascii_string_to_unsigned(cell, 10, 1, CB_BOOK_PERSONS_MAX, &persons, NULL)) {
		g_autofree char *fault = g_strdup_printf(
			"persons must be a whole number from 1 to %d", CB_BOOK_PERSONS_MAX);
		cb_book_fault(reason, fault);
		return;
	}
	entry->persons = (gint64)persons;
}

static void
cb_book_take_bridge_point(GPtrArray *cells, const CbBookRowContext *context, CbBookEntry *entry,
			  GString *reason)
{
	const char *cell = g_ptr_array_index(cells, CB_BOOK_COL_BRIDGE_POINT);
	const gint64 *id;

	if (cell[0] == '\0')
		return;
	id = g_hash_table_lookup(context->bridge_points, cell);
	if (id == NULL) {
		cb_book_fault(reason, "bridge_point is not the name of any bridge point; give "
				      "the name exactly as civic-bridge has it, or leave it empty "
				      "for the hall");
		return;
	}
	if (*id < 0) {
		cb_book_fault(reason, "bridge_point is the name of more than one bridge point; "
				      "rename one so the name is unique");
		return;
	}
	entry->bridge_point_id = *id;
	entry->bridge_point = g_strdup(cell);
}

static void
cb_book_take_words(GPtrArray *cells, CbBookEntry *entry, GString *reason)
{
	const char *handling = g_ptr_array_index(cells, CB_BOOK_COL_HANDLING);
	const char *kind = g_ptr_array_index(cells, CB_BOOK_COL_SESSION_KIND);

	entry->category = cb_book_take_word(cells, CB_BOOK_COL_CATEGORY, cb_book_categories);
	if (entry->category == NULL)
		cb_book_fault(reason, "category must be complaint, denunciation, recommendation "
				      "or reflection");
	entry->handling = cb_book_take_word(cells, CB_BOOK_COL_HANDLING, cb_book_handlings);
	if (entry->handling == NULL && handling[0] != '\0')
		cb_book_fault(reason, "handling must be empty or accepted, guided, forwarded or "
				      "refused");
	if (!cb_session_kind_from_string(kind, &entry->session_kind))
		cb_book_fault(reason, "session_kind must be leadership or regular");
}

static void
cb_book_take_texts(GPtrArray *cells, CbBookEntry *entry, GString *reason)
{
	entry->citizen_name =
		cb_book_take_text(cells, CB_BOOK_COL_CITIZEN_NAME, "citizen_name", reason);
	entry->address = cb_book_take_text(cells, CB_BOOK_COL_ADDRESS, "address", reason);
	entry->id_number = cb_book_take_text(cells, CB_BOOK_COL_ID_NUMBER, "id_number", reason);
	entry->content = cb_book_take_text(cells, CB_BOOK_COL_CONTENT, "content", reason);
	entry->already_handled_by = cb_book_take_text(cells, CB_BOOK_COL_ALREADY_HANDLED_BY,
						      "already_handled_by", reason);
	entry->follow_up = cb_book_take_text(cells, CB_BOOK_COL_FOLLOW_UP, "follow_up", reason);
	entry->notes = cb_book_take_text(cells, CB_BOOK_COL_NOTES, "notes", reason);
	if (g_utf8_strlen(g_ptr_array_index(cells, CB_BOOK_COL_CONTENT), -1) <= CB_BOOK_TEXT_MAX) {
		g_autofree char *stripped =
			g_strstrip(g_strdup(g_ptr_array_index(cells, CB_BOOK_COL_CONTENT)));
		if (stripped[0] == '\0')
			cb_book_fault(reason, "content must not be empty");
	}
}

CbBookEntry *
cb_book_entry_from_cells(GPtrArray *cells, const CbBookRowContext *context, char **reason)
{
	g_autoptr(CbBookEntry) entry = g_new0(CbBookEntry, 1);
	g_autoptr(GString) faults = g_string_new(NULL);

	g_return_val_if_fail(cells->len == CB_BOOK_CSV_COLUMNS, NULL);
	cb_book_take_when(cells, context, entry, faults);
	cb_book_take_texts(cells, entry, faults);
	cb_book_take_words(cells, entry, faults);
	cb_book_take_persons(cells, entry, faults);
	cb_book_take_bridge_point(cells, context, entry, faults);
	if (faults->len > 0) {
		*reason = g_string_free(g_steal_pointer(&faults), FALSE);
		return NULL;
	}
	return g_steal_pointer(&entry);
}
