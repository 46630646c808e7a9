#define G_LOG_DOMAIN "CbBook"

#include <string.h>

#include "civic-bridge/cb-csv.h"
#include "civic-bridge/cb-error.h"

#include "cb-reception-book-private.h"

struct _CbReceptionBook {
	GObject parent_instance;
	CbStore *store;
	CbClock *clock;
	GTimeZone *zone;
};

G_DEFINE_TYPE(CbReceptionBook, cb_reception_book, G_TYPE_OBJECT)

static void
cb_reception_book_finalize(GObject *object)
{
	CbReceptionBook *self = CB_RECEPTION_BOOK(object);

	g_clear_object(&self->store);
	g_clear_object(&self->clock);
	g_clear_pointer(&self->zone, g_time_zone_unref);
	G_OBJECT_CLASS(cb_reception_book_parent_class)->finalize(object);
}

static void
cb_reception_book_class_init(CbReceptionBookClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = cb_reception_book_finalize;
}

static void
cb_reception_book_init(CbReceptionBook *self)
{
}

CbReceptionBook *
cb_reception_book_new(CbStore *store, CbClock *clock, const char *timezone, GError **error)
{
	g_autoptr(CbReceptionBook) self = NULL;
	GTimeZone *zone = g_time_zone_new_identifier(timezone);

	if (zone == NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFIG, "'%s' is not a known time zone",
			    timezone);
		return NULL;
	}
	self = g_object_new(CB_TYPE_RECEPTION_BOOK, NULL);
	self->store = g_object_ref(store);
	self->clock = g_object_ref(clock);
	self->zone = zone;
	return g_steal_pointer(&self);
}

void
cb_book_row_error_free(CbBookRowError *row_error)
{
	if (row_error == NULL)
		return;
	g_free(row_error->reason);
	g_free(row_error);
}

/* --- days ----------------------------------------------------------------------- */

static gboolean
cb_reception_book_day(const char *name, const char *text, GDate *day, GError **error)
{
	if (!cb_book_parse_day(text, day)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "'%s' must be a day written YYYY-MM-DD, such as 2024-03-19", name);
		return FALSE;
	}
	return TRUE;
}

gboolean
cb_reception_book_day_range(CbReceptionBook *self, const char *from, const char *to,
			    gint64 *from_us, gint64 *to_us, GError **error)
{
	GDate first, last;
	gboolean has_from = from != NULL && from[0] != '\0';
	gboolean has_to = to != NULL && to[0] != '\0';

	g_return_val_if_fail(CB_IS_RECEPTION_BOOK(self), FALSE);
	if ((has_from && !cb_reception_book_day("from", from, &first, error)) ||
	    (has_to && !cb_reception_book_day("to", to, &last, error)))
		return FALSE;
	if (has_from && has_to && g_date_compare(&last, &first) < 0) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "'to' is before 'from'; both days are included");
		return FALSE;
	}
	*from_us = has_from ? cb_book_day_start(&first, self->zone) : 0;
	if (has_to) {
		/* the last day is included: the range ends when the next one starts */
		g_date_add_days(&last, 1);
		*to_us = cb_book_day_start(&last, self->zone);
	} else {
		*to_us = 0;
	}
	return TRUE;
}

/* --- export --------------------------------------------------------------------- */

typedef struct {
	GString *out;
	GTimeZone *zone;
} CbBookExport;

static gboolean
cb_reception_book_export_cb(const CbBookEntry *entry, gpointer user_data, GError **error)
{
	CbBookExport *export = user_data;
	g_auto(GStrv) cells = cb_book_entry_to_cells(entry, export->zone);

	cb_csv_append_record(export->out, (const char *const *)cells, CB_BOOK_CSV_COLUMNS, TRUE);
	return TRUE;
}

GBytes *
cb_reception_book_export_csv(CbReceptionBook *self, const char *from, const char *to,
			     GError **error)
{
	gint64 from_us = 0, to_us = 0;
	g_autoptr(GString) out = NULL;
	CbBookExport export;

	g_return_val_if_fail(CB_IS_RECEPTION_BOOK(self), NULL);
	if (!cb_reception_book_day_range(self, from, to, &from_us, &to_us, error))
		return NULL;
	out = g_string_new(CB_BOOK_CSV_HEADER "\r\n");
	export = (CbBookExport){.out = out, .zone = self->zone};
	if (!cb_store_book_foreach(self->store, from_us, to_us, FALSE, cb_reception_book_export_cb,
				   &export, error))
		return NULL;
	return g_string_free_to_bytes(g_steal_pointer(&out));
}

/* --- import: reading the rows ------------------------------------------------------ */

static void
cb_reception_book_row_error(GPtrArray *errors, guint line, const char *reason)
{
	CbBookRowError *row_error = g_new0(CbBookRowError, 1);

	row_error->line = line;
	row_error->reason = g_strdup(reason);
	g_ptr_array_add(errors, row_error);
}

/* the first record must be the header, exactly; without it no column means anything */
static gboolean
cb_reception_book_read_header(CbCsvReader *reader, GPtrArray *errors)
{
	g_autoptr(GPtrArray) fields = NULL;
	g_autoptr(GError) local = NULL;
	g_auto(GStrv) names = g_strsplit(CB_BOOK_CSV_HEADER, ",", -1);
	guint line = 1;

	switch (cb_csv_reader_next(reader, &fields, &line, &local)) {
	case CB_CSV_END:
		cb_reception_book_row_error(errors, line,
					    "the file is empty; its first line must be the "
					    "header " CB_BOOK_CSV_HEADER);
		return FALSE;
	case CB_CSV_ERROR:
		cb_reception_book_row_error(errors, line, local->message);
		return FALSE;
	case CB_CSV_RECORD:
		break;
	}
	for (guint i = 0; names[i] != NULL; i++) {
		if (fields->len != CB_BOOK_CSV_COLUMNS ||
		    !g_str_equal(g_ptr_array_index(fields, i), names[i])) {
			cb_reception_book_row_error(errors, line,
						    "the first line must be the header "
						    "exactly: " CB_BOOK_CSV_HEADER);
			return FALSE;
		}
	}
	return TRUE;
}

/* one data record: an entry added to @entries, or a fault to @errors */
static void
cb_reception_book_read_row(GPtrArray *fields, guint line, const CbBookRowContext *context,
			   GPtrArray *entries, GPtrArray *errors)
{
	g_autofree char *reason = NULL;
	CbBookEntry *entry;

	if (fields->len != CB_BOOK_CSV_COLUMNS) {
		reason = g_strdup_printf("has %u fields; the header has %d", fields->len,
					 CB_BOOK_CSV_COLUMNS);
		cb_reception_book_row_error(errors, line, reason);
		return;
	}
	/* take off the quote an export puts before cells that look like formulas */
	for (guint i = 0; i < fields->len; i++) {
		char *cell = g_ptr_array_index(fields, i);
		const char *bare = cb_csv_unguard_cell(cell);
		if (bare != cell)
			memmove(cell, bare, strlen(bare) + 1);
	}
	entry = cb_book_entry_from_cells(fields, context, &reason);
	if (entry == NULL)
		cb_reception_book_row_error(errors, line, reason);
	else
		g_ptr_array_add(entries, entry);
}

static void
cb_reception_book_read_rows(CbReceptionBook *self, const char *data, gsize len,
			    const CbBookRowContext *context, GPtrArray *entries, GPtrArray *errors)
{
	g_autoptr(CbCsvReader) reader = cb_csv_reader_new(data, len);

	if (!cb_reception_book_read_header(reader, errors))
		return;
	for (;;) {
		g_autoptr(GPtrArray) fields = NULL;
		g_autoptr(GError) local = NULL;
		guint line = 0;
		CbCsvStatus status = cb_csv_reader_next(reader, &fields, &line, &local);

		if (status == CB_CSV_END)
			return;
		if (status == CB_CSV_ERROR) {
			cb_reception_book_row_error(errors, line, local->message);
			continue;
		}
		/* an empty line holds nothing to import */
		if (fields->len == 1 && ((const char *)g_ptr_array_index(fields, 0))[0] == '\0')
			continue;
		cb_reception_book_read_row(fields, line, context, entries, errors);
	}
}

/* --- import: what is new ------------------------------------------------------------ */

/* each entry's key: the digest of its cells, and how many identical rows
 * came before it plus one, so two identical visits are two rows while the
 * same file twice is still the same rows */
typedef struct {
	GTimeZone *zone;
	GHashTable *seen; /* digest -> count */
	GHashTable *keys; /* key set, for the finished tickets */
} CbBookKeys;

static char *
cb_reception_book_key(CbBookKeys *keys, const CbBookEntry *entry)
{
	g_auto(GStrv) cells = cb_book_entry_to_cells(entry, keys->zone);
	char *digest = cb_book_cells_digest(cells);
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(keys->seen, digest)) + 1;
	char *key = g_strdup_printf("%s.%u", digest, n);

	g_hash_table_replace(keys->seen, digest, GUINT_TO_POINTER(n));
	return key;
}

static gboolean
cb_reception_book_ticket_key_cb(const CbBookEntry *entry, gpointer user_data, GError **error)
{
	CbBookKeys *keys = user_data;

	g_hash_table_add(keys->keys, cb_reception_book_key(keys, entry));
	return TRUE;
}

/* keys the rows, then drops those that are a finished ticket of this book
 * (an export imported back); *@tickets counts them */
static gboolean
cb_reception_book_key_rows(CbReceptionBook *self, GPtrArray *entries, guint *tickets,
			   GError **error)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GHashTable) ticket_seen =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GHashTable) ticket_keys =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	CbBookKeys keys = {.zone = self->zone, .seen = seen};
	CbBookKeys ticket = {.zone = self->zone, .seen = ticket_seen, .keys = ticket_keys};
	gint64 first = G_MAXINT64, last = G_MININT64;

	*tickets = 0;
	if (entries->len == 0)
		return TRUE;
	for (guint i = 0; i < entries->len; i++) {
		CbBookEntry *entry = g_ptr_array_index(entries, i);
		entry->row_key = cb_reception_book_key(&keys, entry);
		first = MIN(first, entry->at);
		last = MAX(last, entry->at);
	}
	/* a ticket shows its minute only: take in the whole minutes around */
	if (!cb_store_book_foreach(self->store, first - 60 * G_USEC_PER_SEC,
				   last + 60 * G_USEC_PER_SEC, TRUE,
				   cb_reception_book_ticket_key_cb, &ticket, error))
		return FALSE;
	for (guint i = entries->len; i > 0; i--) {
		CbBookEntry *entry = g_ptr_array_index(entries, i - 1);
		if (g_hash_table_contains(ticket_keys, entry->row_key)) {
			g_ptr_array_remove_index(entries, i - 1);
			(*tickets)++;
		}
	}
	return TRUE;
}

static void
cb_reception_book_today(CbReceptionBook *self, GDate *today)
{
	gint64 now = cb_clock_now(self->clock);
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(now / G_USEC_PER_SEC);
	g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, self->zone);

	g_date_clear(today, 1);
	g_date_set_dmy(today, g_date_time_get_day_of_month(local), g_date_time_get_month(local),
		       g_date_time_get_year(local));
}

gboolean
cb_reception_book_import_csv(CbReceptionBook *self, const CbActor *actor, const char *data,
			     gsize len, CbBookImportStats *stats, GPtrArray **row_errors,
			     GError **error)
{
	g_autoptr(GPtrArray) entries =
		g_ptr_array_new_with_free_func((GDestroyNotify)cb_book_entry_free);
	g_autoptr(GPtrArray) errors =
		g_ptr_array_new_with_free_func((GDestroyNotify)cb_book_row_error_free);
	g_autoptr(GHashTable) bridge_points = NULL;
	CbBookRowContext context = {.zone = self->zone};
	guint tickets = 0, added = 0;

	g_return_val_if_fail(CB_IS_RECEPTION_BOOK(self), FALSE);
	memset(stats, 0, sizeof(*stats));
	bridge_points = cb_book_bridge_points_load(self->store, error);
	if (bridge_points == NULL)
		return FALSE;
	context.bridge_points = bridge_points;
	cb_reception_book_today(self, &context.today);
	cb_reception_book_read_rows(self, data, len, &context, entries, errors);
	if (errors->len > 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    errors->len == 1 ? "%u row is invalid; nothing was imported"
					     : "%u rows are invalid; nothing was imported",
			    errors->len);
		if (row_errors != NULL)
			*row_errors = g_steal_pointer(&errors);
		return FALSE;
	}
	stats->rows = entries->len;
	if (!cb_reception_book_key_rows(self, entries, &tickets, error) ||
	    !cb_store_book_import(self->store, actor, entries, &added, error))
		return FALSE;
	stats->added = added;
	stats->already_present = stats->rows - added;
	g_info("reception book import: %u rows, %u added, %u already present (%u as tickets)",
	       stats->rows, stats->added, stats->already_present, tickets);
	return TRUE;
}

/* --- reports ------------------------------------------------------------------------ */

static gboolean
cb_reception_book_check_bridge_point(CbReceptionBook *self, const char *name, GError **error)
{
	g_autoptr(GHashTable) bridge_points = NULL;

	if (name == NULL || name[0] == '\0')
		return TRUE;
	bridge_points = cb_book_bridge_points_load(self->store, error);
	if (bridge_points == NULL)
		return FALSE;
	if (!g_hash_table_contains(bridge_points, name)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
			    "no bridge point is named '%s'; give the name exactly, or leave "
			    "'bridge_point' empty for the hall",
			    name);
		return FALSE;
	}
	return TRUE;
}

/* every category and handling is shown, zero or not; entries without a
 * handling are counted as "none" */
static void
cb_reception_book_fill_counts(CbBookSummary *summary)
{
	static const char *const categories[] = {"complaint", "denunciation", "recommendation",
						 "reflection"};
	static const char *const handlings[] = {"accepted", "guided", "forwarded", "refused",
						"none"};
	GPtrArray *by_handling = g_ptr_array_new_with_free_func((GDestroyNotify)cb_book_count_free);

	for (gsize i = 0; i < G_N_ELEMENTS(categories); i++)
		cb_book_counts_add(summary->by_category, categories[i], 0);
	for (guint i = 0; i < summary->by_handling->len; i++) {
		const CbBookCount *count = g_ptr_array_index(summary->by_handling, i);
		cb_book_counts_add(by_handling, count->name[0] != '\0' ? count->name : "none",
				   count->visits);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(handlings); i++)
		cb_book_counts_add(by_handling, handlings[i], 0);
	g_ptr_array_unref(summary->by_handling);
	summary->by_handling = by_handling;
}

CbBookSummary *
cb_reception_book_summarize(CbReceptionBook *self, const CbBookQuery *query, GError **error)
{
	CbBookFilter filter = {
		.any_kind = TRUE,
		.bridge_point = query->bridge_point,
		.large_group_min = query->large_group_min,
	};
	CbBookSummary *summary;

	g_return_val_if_fail(CB_IS_RECEPTION_BOOK(self), NULL);
	g_return_val_if_fail(query->large_group_min > 0, NULL);
	if (!cb_reception_book_day_range(self, query->from, query->to, &filter.from, &filter.to,
					 error))
		return NULL;
	if (query->kind != NULL && query->kind[0] != '\0') {
		if (!cb_session_kind_from_string(query->kind, &filter.kind)) {
			g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
					    "'kind' must be leadership or regular");
			return NULL;
		}
		filter.any_kind = FALSE;
	}
	if (!cb_reception_book_check_bridge_point(self, query->bridge_point, error))
		return NULL;
	summary = cb_store_book_summarize(self->store, &filter, error);
	if (summary != NULL)
		cb_reception_book_fill_counts(summary);
	return summary;
}
