/* civic-bridge benchmarks: what several of them share (starting the daemon,
 * its figures from /proc, quantiles) */
#pragma once

#include "cb-test-daemon.h"

G_BEGIN_DECLS

/* a started daemon with @config (NULL: the defaults); aborts the benchmark
 * when it does not start */
CbTestDaemon *cb_bench_daemon_start(const char *config);

/* the process id of @process (e.g. a CbTestDaemon's) */
GPid cb_bench_subprocess_pid(GSubprocess *process);

/* a "Name:   1234 kB" field of /proc/PID/status (VmRSS, VmHWM, RssAnon,
 * Threads, …); 0 when missing */
guint64 cb_bench_proc_status_kb(GPid pid, const char *name);

/* utime + stime of every thread of @pid, from /proc/PID/stat, in seconds;
 * -1 when unreadable */
double cb_bench_proc_cpu_seconds(GPid pid);

/* open descriptors of @pid */
guint cb_bench_proc_fds(GPid pid);

/* for g_array_sort() of doubles */
gint cb_bench_compare_double(gconstpointer a, gconstpointer b);

/* the @q quantile (0..1) of @values (sorted here), nearest rank; 0 when empty */
double cb_bench_quantile(GArray *values, double q);

/* "PASS" or "FAIL" */
const char *cb_bench_verdict(gboolean pass);

G_END_DECLS
