/* the CSV reader and writer: RFC 4180, strictly, and formula guards */
#include <string.h>

#include "civic-bridge/cb-csv.h"
#include "civic-bridge/cb-error.h"

/* what reading a whole text gives: each record as "a|b|c", or "!LINE: reason"
 * for a malformed one, each with its line */
static char *
read_all(const char *data, gssize len)
{
	g_autoptr(CbCsvReader) reader =
		cb_csv_reader_new(data, len < 0 ? strlen(data) : (gsize)len);
	g_autoptr(GString) out = g_string_new(NULL);

	for (;;) {
		g_autoptr(GPtrArray) fields = NULL;
		g_autoptr(GError) error = NULL;
		guint line = 0;
		CbCsvStatus status = cb_csv_reader_next(reader, &fields, &line, &error);

		if (status == CB_CSV_END) {
			g_assert_null(error);
			break;
		}
		if (status == CB_CSV_ERROR) {
			g_assert_error(error, CB_ERROR, CB_ERROR_INVALID);
			g_string_append_printf(out, "!%u: %s\n", line, error->message);
			continue;
		}
		g_assert_no_error(error);
		g_string_append_printf(out, "%u:", line);
		for (guint i = 0; i < fields->len; i++)
			g_string_append_printf(out, "%s%s", i > 0 ? "|" : "",
					       (const char *)g_ptr_array_index(fields, i));
		g_string_append_c(out, '\n');
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static void
test_plain_records(void)
{
	g_autofree char *crlf = read_all("a,b,c\r\n1,2,3\r\n", -1);
	g_autofree char *lf = read_all("a,b,c\n1,2,3\n", -1);
	g_autofree char *no_end = read_all("a,b,c\r\n1,2,3", -1);
	g_autofree char *empty_fields = read_all(",,\r\nx,,\r\n", -1);
	g_autofree char *empty = read_all("", -1);

	g_assert_cmpstr(crlf, ==, "1:a|b|c\n2:1|2|3\n");
	g_assert_cmpstr(lf, ==, "1:a|b|c\n2:1|2|3\n");
	g_assert_cmpstr(no_end, ==, "1:a|b|c\n2:1|2|3\n");
	g_assert_cmpstr(empty_fields, ==, "1:||\n2:x||\n");
	g_assert_cmpstr(empty, ==, "");
}

static void
test_quoted_fields(void)
{
	/* a comma, a doubled quote, CRLF and LF inside quotes; line numbers go on */
	g_autofree char *text = read_all("\"a,b\",\"say \"\"hi\"\"\",\"two\r\nlines\"\r\n"
					 "\"x\ny\nz\",\"\"\r\n"
					 "last,\"\"\"\"\r\n",
					 -1);

	g_assert_cmpstr(text, ==,
			"1:a,b|say \"hi\"|two\r\nlines\n"
			"3:x\ny\nz|\n"
			"6:last|\"\n");
}

static void
test_bom_and_unicode(void)
{
	g_autofree char *bom = read_all("\xEF\xBB\xBF"
					"ngày,tên\r\nThứ Ba,Nguyễn Văn A\r\n",
					-1);
	g_autofree char *only_bom = read_all("\xEF\xBB\xBF", -1);
	/* a BOM anywhere else is just a character of a field */
	g_autofree char *later = read_all("a\r\n\xEF\xBB\xBF"
					  "b\r\n",
					  -1);

	g_assert_cmpstr(bom, ==, "1:ngày|tên\n2:Thứ Ba|Nguyễn Văn A\n");
	g_assert_cmpstr(only_bom, ==, "");
	g_assert_cmpstr(later, ==,
			"1:a\n2:\xEF\xBB\xBF"
			"b\n");
}

static void
test_malformed_records_name_their_line(void)
{
	/* each bad record is reported with its first line, and reading goes on */
	g_autofree char *text = read_all("ok,1\r\n"
					 "bad\"quote,2\r\n"
					 "\"closed\"junk,3\r\n"
					 "lone\rcr,4\r\n"
					 "\"multi\nline\"x,5\r\n"
					 "ok,6\r\n",
					 -1);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	g_assert_cmpuint(g_strv_length(lines), ==, 7);
	g_assert_cmpstr(lines[0], ==, "1:ok|1");
	g_assert_true(g_str_has_prefix(lines[1], "!2: a field that does not start with a quote"));
	g_assert_true(g_str_has_prefix(lines[2], "!3: text follows the closing quote"));
	g_assert_true(g_str_has_prefix(lines[3], "!4: a carriage return that does not end"));
	g_assert_true(g_str_has_prefix(lines[4], "!5: text follows the closing quote"));
	g_assert_cmpstr(lines[5], ==, "7:ok|6");
}

static void
test_unterminated_quote(void)
{
	g_autofree char *text = read_all("a,b\r\nc,\"never closed\r\nd,e\r\nf,g\r\n", -1);

	/* the open quote swallows the rest: one error at the line it opened on */
	g_assert_cmpstr(text, ==,
			"1:a|b\n!2: a quoted field is never closed: a quote is missing or "
			"not doubled\n");
}

static void
test_bad_utf8_and_nul(void)
{
	const char nul[] = "a,b\r\nc\0d,e\r\nf,g\r\n";
	g_autofree char *latin1 = read_all("a,b\r\nNguy\xea"
					   "n,x\r\nc,d\r\n",
					   -1);
	g_autofree char *overlong = read_all("x,\xC0\xAF\r\n", -1);
	g_autofree char *with_nul = read_all(nul, sizeof(nul) - 1);

	g_assert_cmpstr(latin1, ==, "1:a|b\n!2: field 1 is not valid UTF-8 text\n3:c|d\n");
	g_assert_cmpstr(overlong, ==, "!1: field 2 is not valid UTF-8 text\n");
	g_assert_cmpstr(with_nul, ==, "1:a|b\n!2: holds a NUL byte, which is not text\n3:f|g\n");
}

static void
test_limits(void)
{
	g_autoptr(GString) wide = g_string_new(NULL);
	g_autoptr(GString) long_field = g_string_new("a,");
	g_autofree char *wide_text = NULL;
	g_autofree char *long_text = NULL;

	for (guint i = 0; i < CB_CSV_MAX_FIELDS + 10; i++)
		g_string_append_c(wide, ',');
	g_string_append(wide, "\r\nnext,row\r\n");
	wide_text = read_all(wide->str, wide->len);
	g_assert_cmpstr(wide_text, ==, "!1: has more than 1024 fields\n2:next|row\n");

	for (guint i = 0; i < CB_CSV_MAX_FIELD_BYTES + 1; i++)
		g_string_append_c(long_field, 'x');
	g_string_append(long_field, "\r\nnext,row\r\n");
	long_text = read_all(long_field->str, long_field->len);
	g_assert_cmpstr(long_text, ==, "!1: field 2 is longer than 65536 bytes\n2:next|row\n");
}

static void
test_writer_quotes_what_needs_it(void)
{
	const char *fields[] = {"plain", "a,b", "say \"hi\"", "two\r\nlines", "", NULL, "Hà Nội"};
	g_autoptr(GString) out = g_string_new(NULL);
	g_autofree char *back = NULL;

	cb_csv_append_record(out, fields, G_N_ELEMENTS(fields), FALSE);
	g_assert_cmpstr(out->str, ==,
			"plain,\"a,b\",\"say \"\"hi\"\"\",\"two\r\nlines\",,,Hà Nội\r\n");
	back = read_all(out->str, out->len);
	g_assert_cmpstr(back, ==, "1:plain|a,b|say \"hi\"|two\r\nlines|||Hà Nội\n");
}

static void
test_formula_guard(void)
{
	const struct {
		const char *cell;
		const char *guarded;
	} cases[] = {
		{"=SUM(A1:A9)", "'=SUM(A1:A9)"},
		{"+84 912 345 678", "'+84 912 345 678"},
		{"-5", "'-5"},
		{"@cmd", "'@cmd"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"'=x", "''=x"},
		{"''-x", "'''-x"},
		{"'plain", "'plain"},
		{"'", "'"},
		{"a=b", "a=b"},
		{"", ""},
		{"Nguyễn", "Nguyễn"},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *guarded = cb_csv_guard_cell(cases[i].cell);
		g_assert_cmpstr(guarded, ==, cases[i].guarded);
		/* unguarding gives back exactly what was guarded */
		g_assert_cmpstr(cb_csv_unguard_cell(guarded), ==, cases[i].cell);
	}
}

static void
test_writer_guards_formulas(void)
{
	const char *fields[] = {"=HYPERLINK(\"http://x\",\"y\")", "-1", "ok"};
	g_autoptr(GString) guarded = g_string_new(NULL);
	g_autoptr(GString) raw = g_string_new(NULL);

	cb_csv_append_record(guarded, fields, G_N_ELEMENTS(fields), TRUE);
	cb_csv_append_record(raw, fields, G_N_ELEMENTS(fields), FALSE);
	g_assert_cmpstr(guarded->str, ==, "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",'-1,ok\r\n");
	g_assert_cmpstr(raw->str, ==, "\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",-1,ok\r\n");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/civic-bridge/csv/plain-records", test_plain_records);
	g_test_add_func("/civic-bridge/csv/quoted-fields", test_quoted_fields);
	g_test_add_func("/civic-bridge/csv/bom-and-unicode", test_bom_and_unicode);
	g_test_add_func("/civic-bridge/csv/malformed-records-name-their-line",
			test_malformed_records_name_their_line);
	g_test_add_func("/civic-bridge/csv/unterminated-quote", test_unterminated_quote);
	g_test_add_func("/civic-bridge/csv/bad-utf8-and-nul", test_bad_utf8_and_nul);
	g_test_add_func("/civic-bridge/csv/limits", test_limits);
	g_test_add_func("/civic-bridge/csv/writer-quotes-what-needs-it",
			test_writer_quotes_what_needs_it);
	g_test_add_func("/civic-bridge/csv/formula-guard", test_formula_guard);
	g_test_add_func("/civic-bridge/csv/writer-guards-formulas", test_writer_guards_formulas);
	return g_test_run();
}
