/* civic-bridge tests: a real civic-bridged process in a temporary state directory */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "civic-bridge/cb-role.h"

G_BEGIN_DECLS

typedef struct {
	char *dir;       /* temporary folder holding everything below */
	char *state_dir; /* the daemon's --state-dir */
	char *config;    /* the daemon's --config (written by set_config) */
	char *notify_path;
	GSocket *notify;
	GSubprocess *process;
	char *url;         /* "http://127.0.0.1:PORT" once READY */
	char *admin_token; /* a live admin token, made before start */
	GPtrArray *notifications;
	GPtrArray *extra_args;
	GThread *log_reader; /* copies the daemon's stderr to ours, watching it */
	GMutex log_lock;
	GPtrArray *criticals; /* critical messages the daemon logged */
} CbTestDaemon;

/* a temporary state directory with a store holding one admin token */
CbTestDaemon *cb_test_daemon_new(void);
void cb_test_daemon_free(CbTestDaemon *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbTestDaemon, cb_test_daemon_free)

/* writes the text of the daemon's configuration file */
void cb_test_daemon_set_config(CbTestDaemon *d, const char *text);

/* environment for the daemon, e.g. "WATCHDOG_USEC=200000" */
void cb_test_daemon_add_env(CbTestDaemon *d, const char *assignment);

/*
 * starts civic-bridged on 127.0.0.1:0 and waits (at most 10 s) for READY=1.
 *
 * The daemon runs without G_DEBUG=fatal-criticals: its stderr is read
 * instead, and a critical it logs fails the test when the daemon is freed,
 * except the one GStreamer 1.22's RTP session logs now and then under load
 * (see cb-test-daemon.c), which would otherwise abort a daemon that did
 * nothing wrong.
 */
gboolean cb_test_daemon_start(CbTestDaemon *d, GError **error);

/* waits for a notification containing @needle; NULL after @timeout_ms */
char *cb_test_daemon_wait_notify(CbTestDaemon *d, const char *needle, guint timeout_ms);

/* sends @signum and waits for the exit; returns the exit status, or -1 if
 * it did not exit within @timeout_ms (the process is then killed) */
int cb_test_daemon_signal_and_wait(CbTestDaemon *d, int signum, guint timeout_ms);

/* issues a token straight into the store (works while the daemon runs) */
char *cb_test_daemon_issue_token(CbTestDaemon *d, CbRole role, gint64 bridge_point_id,
				 gint64 ticket_id, gint64 expires_at);

/* one HTTP request to the daemon; @token and @body may be NULL. Returns the
 * status; *@json gets the parsed JSON answer when there is one. */
guint cb_test_http(CbTestDaemon *d, const char *method, const char *path, const char *token,
		   const char *body, JsonNode **json);

/* the same, failing the test unless the status is @want; returns the JSON
 * answer (or NULL) */
JsonNode *cb_test_call(CbTestDaemon *d, const char *method, const char *path, const char *token,
		       const char *body, guint want);

/* a reply to cb_test_request(): status, headers and body text */
typedef struct {
	guint status;
	SoupMessageHeaders *headers;
	char *body;
} CbTestReply;

void cb_test_reply_clear(CbTestReply *r);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbTestReply, cb_test_reply_clear)

/* one HTTP request with a body of content type @type (WHIP, WHEP: SDP and
 * SDP fragments); @token, @type and @body may be NULL */
CbTestReply cb_test_request(CbTestDaemon *d, const char *method, const char *path,
			    const char *token, const char *type, const char *body);

/* removes @path and everything below it (temporary folders of tests) */
void cb_test_remove_tree(const char *path);

/* whether @line holds a critical of GStreamer 1.22's that the tests let
 * through (cb-test-daemon.c says which and why) */
gboolean cb_test_is_known_upstream_critical(const char *line);

/* the path of a built program: CB_DAEMON_PATH or CB_CTL_PATH from meson */
const char *cb_test_program(const char *env_name);

G_END_DECLS
