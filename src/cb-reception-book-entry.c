#define G_LOG_DOMAIN "CbBook"

#include "civic-bridge/cb-reception-book-entry.h"

void
cb_book_entry_free(CbBookEntry *entry)
{
	if (entry == NULL)
		return;
	g_free(entry->citizen_name);
	g_free(entry->address);
	g_free(entry->id_number);
	g_free(entry->content);
	g_free(entry->category);
	g_free(entry->already_handled_by);
	g_free(entry->handling);
	g_free(entry->follow_up);
	g_free(entry->notes);
	g_free(entry->bridge_point);
	g_free(entry->row_key);
	g_free(entry);
}

void
cb_book_count_free(CbBookCount *count)
{
	if (count == NULL)
		return;
	g_free(count->name);
	g_free(count);
}

static GPtrArray *
cb_book_counts_new(void)
{
	return g_ptr_array_new_with_free_func((GDestroyNotify)cb_book_count_free);
}

CbBookSummary *
cb_book_summary_new(void)
{
	CbBookSummary *summary = g_new0(CbBookSummary, 1);

	summary->by_category = cb_book_counts_new();
	summary->by_bridge_point = cb_book_counts_new();
	summary->by_handling = cb_book_counts_new();
	return summary;
}

void
cb_book_summary_free(CbBookSummary *summary)
{
	if (summary == NULL)
		return;
	g_clear_pointer(&summary->by_category, g_ptr_array_unref);
	g_clear_pointer(&summary->by_bridge_point, g_ptr_array_unref);
	g_clear_pointer(&summary->by_handling, g_ptr_array_unref);
	g_free(summary);
}

static gint
cb_book_count_compare(gconstpointer a, gconstpointer b)
{
	const CbBookCount *x = *(const CbBookCount *const *)a;
	const CbBookCount *y = *(const CbBookCount *const *)b;

	return g_strcmp0(x->name, y->name);
}

void
cb_book_counts_add(GPtrArray *counts, const char *name, gint64 visits)
{
	CbBookCount *count;

	for (guint i = 0; i < counts->len; i++) {
		count = g_ptr_array_index(counts, i);
		if (g_str_equal(count->name, name)) {
			count->visits += visits;
			return;
		}
	}
	count = g_new0(CbBookCount, 1);
	count->name = g_strdup(name);
	count->visits = visits;
	g_ptr_array_add(counts, count);
	/* few names (categories, handlings, bridge points): sorting each time is cheap */
	g_ptr_array_sort(counts, cb_book_count_compare);
}

gint64
cb_book_counts_get(GPtrArray *counts, const char *name)
{
	for (guint i = 0; i < counts->len; i++) {
		const CbBookCount *count = g_ptr_array_index(counts, i);
		if (g_str_equal(count->name, name))
			return count->visits;
	}
	return 0;
}
