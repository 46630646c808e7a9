/* civic-bridge tests: civic-bridgectl run as a user runs it, and what it printed */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "cb-test-daemon.h"

G_BEGIN_DECLS

/* a civic-bridgectl that has not finished by then is killed and the test fails */
#define CB_TEST_CTL_RUN_TIMEOUT_MS 20000
/* well formed, but no store has it */
#define CB_TEST_CTL_UNKNOWN_TOKEN "cbt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
/* a configuration with no default series: each test makes what it needs */
#define CB_TEST_CTL_CONFIG_NO_SERIES "[schedule]\nrrule=\n"

/* what one run of civic-bridgectl left behind */
typedef struct {
	int status; /* the exit status; 128 + signal when killed */
	char *out;
	char *err;
} CbTestCtlRun;

void cb_test_ctl_run_free(CbTestCtlRun *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbTestCtlRun, cb_test_ctl_run_free)

/* runs civic-bridgectl with @args and "NAME=value" @env added to a clean environment
 * (no CIVIC_BRIDGE_URL, CIVIC_BRIDGE_TOKEN or STATE_DIRECTORY from the developer's shell,
 * LC_ALL=C.UTF-8); @input, when not NULL, is written to its stdin, else stdin is
 * /dev/null. The thread-default main context is iterated meanwhile, so an in-process
 * server answers; a run longer than CB_TEST_CTL_RUN_TIMEOUT_MS is killed and fails the test */
CbTestCtlRun *cb_test_ctl_runv(const char *const *env, const char *input, const char *const *args);

/* cb_test_ctl_runv() with its own time limit, for a run that does real work */
CbTestCtlRun *cb_test_ctl_runv_within(const char *const *env, const char *input,
				      const char *const *args, guint timeout_ms);

/* cb_test_ctl_runv() with "--url" of the started daemon @d and, unless NULL, "--token"
 * @token before @args */
CbTestCtlRun *cb_test_ctl_run_asv(CbTestDaemon *d, const char *token, const char *const *args);

#define cb_test_ctl_run(env, ...)                                                                  \
	cb_test_ctl_runv((env), NULL, (const char *const[]){__VA_ARGS__, NULL})
#define cb_test_ctl_as(d, token, ...)                                                              \
	cb_test_ctl_run_asv((d), (token), (const char *const[]){__VA_ARGS__, NULL})
/* as the test daemon's admin */
#define cb_test_ctl_admin(d, ...) cb_test_ctl_as((d), (d)->admin_token, __VA_ARGS__)

/* a success: exit status 0 and nothing on stderr */
void cb_test_ctl_assert_ok(CbTestCtlRun *run);

/* a failure with @status, @needle in a "civic-bridgectl: " message and nothing on stdout */
void cb_test_ctl_assert_fails(CbTestCtlRun *run, int status, const char *needle);

/* a started civic-bridged; @config, unless NULL, is the text of its configuration file */
CbTestDaemon *cb_test_ctl_daemon_new(const char *config);

/* @text parsed as JSON, which must be an object */
JsonObject *cb_test_ctl_json(const char *text);

/* the value of a "name:  value" line of a record; the test fails if there is none */
char *cb_test_ctl_record_value(const char *text, const char *name);

/* the "id:" of a record */
gint64 cb_test_ctl_record_id(const char *text);

G_END_DECLS
