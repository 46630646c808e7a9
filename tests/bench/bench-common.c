#define G_LOG_DOMAIN "CbBench"

/* what several civic-bridge benchmarks share; see bench-common.h */

#include <string.h>
#include <unistd.h>

#include "bench-common.h"

CbTestDaemon *
cb_bench_daemon_start(const char *config)
{
	CbTestDaemon *d = cb_test_daemon_new();
	g_autoptr(GError) error = NULL;

	if (config != NULL)
		cb_test_daemon_set_config(d, config);
	if (!cb_test_daemon_start(d, &error))
		g_error("daemon did not start: %s", error->message);
	return d;
}

GPid
cb_bench_subprocess_pid(GSubprocess *process)
{
	return (GPid)g_ascii_strtoll(g_subprocess_get_identifier(process), NULL, 10);
}

guint64
cb_bench_proc_status_kb(GPid pid, const char *name)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)pid);
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	gsize name_len = strlen(name);

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return 0;
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		if (strncmp(lines[i], name, name_len) == 0 && lines[i][name_len] == ':')
			return g_ascii_strtoull(lines[i] + name_len + 1, NULL, 10);
	}
	return 0;
}

double
cb_bench_proc_cpu_seconds(GPid pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
	g_autofree char *text = NULL;
	g_auto(GStrv) fields = NULL;
	const char *after_name;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return -1;
	/* the command name may hold spaces: the fields start after its ')' */
	after_name = strrchr(text, ')');
	if (after_name == NULL)
		return -1;
	/* after ") " comes field 3 (state); utime is field 14, stime 15 */
	fields = g_strsplit(after_name + 2, " ", -1);
	if (g_strv_length(fields) < 13)
		return -1;
	return (double)(g_ascii_strtoull(fields[11], NULL, 10) +
			g_ascii_strtoull(fields[12], NULL, 10)) /
	       (double)sysconf(_SC_CLK_TCK);
}

guint
cb_bench_proc_fds(GPid pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/fd", (int)pid);
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	guint n = 0;

	while (dir != NULL && g_dir_read_name(dir) != NULL)
		n++;
	return n;
}

gint
cb_bench_compare_double(gconstpointer a, gconstpointer b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y ? 1 : 0;
}

double
cb_bench_quantile(GArray *values, double q)
{
	guint rank;

	if (values->len == 0)
		return 0;
	g_array_sort(values, cb_bench_compare_double);
	rank = (guint)(q * values->len + 0.999999);
	rank = CLAMP(rank, 1, values->len);
	return g_array_index(values, double, rank - 1);
}

const char *
cb_bench_verdict(gboolean pass)
{
	return pass ? "PASS" : "FAIL";
}
