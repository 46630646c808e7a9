/* civic-bridge media tests: a real daemon with a live session, two staff
 * members, two bridge points and their operators */
#pragma once

#include "cb-test-daemon.h"
#include "cb-test-sig.h"

G_BEGIN_DECLS

/* picture widths that tell publishers apart at the receivers */
#define W_HALL    160
#define W_BP0     176
#define W_BP1     192
#define W_CITIZEN 128

typedef struct {
	CbTestDaemon *d;
	char *staff;  /* a staff token */
	char *staff2; /* another staff member's token */
	gint64 session;
	gint64 bp[2];
	char *op[2];    /* the operators' tokens */
	char *bp_id[2]; /* the bridge points' publisher ids, "bp-<id>" */
} MediaFixture;

/* @data: extra lines for the daemon's [media] section, or NULL */
void media_fixture_setup(MediaFixture *f, gconstpointer data);
/* @data: the daemon's whole configuration text */
void media_fixture_setup_config(MediaFixture *f, gconstpointer data);
void media_fixture_teardown(MediaFixture *f, gconstpointer data);

/* one HTTP request; fails the test unless the status is @want */
JsonNode *media_call(MediaFixture *f, const char *method, const char *path, const char *token,
		     const char *body, guint want);

/* a regular session starting in 10 minutes, not started; returns its id */
gint64 media_new_session(MediaFixture *f);

/* POST /api/v1/sessions/{id}/@action as staff */
void media_session_action(MediaFixture *f, gint64 session, const char *action);

/* a citizen registered online for the session in @category (not called);
 * returns the ticket id, *@token the citizen's token */
gint64 media_register_citizen(MediaFixture *f, const char *category, char **token);

/* a citizen registered online for the session in @category, called and
 * admitted; returns the ticket id, *@token the citizen's token */
gint64 media_admit_citizen(MediaFixture *f, const char *category, char **token);

/* POST /api/v1/tickets/{id}/@action as staff */
void media_ticket_action(MediaFixture *f, gint64 ticket, const char *action, const char *body);

/* subscribes @staff to the session's events */
void media_subscribe_events(MediaFixture *f, CbTestSig *staff);

/* the next staff event of @kind ("joined", "state", "left") for room peer
 * @id whose state or reason is @detail (NULL: any); the peer's events
 * before it are passed over */
JsonObject *media_wait_peer_event(CbTestSig *staff, const char *id, const char *kind,
				  const char *detail);
/* the same, waiting at most @ms */
JsonObject *media_wait_peer_event_ms(CbTestSig *staff, const char *id, const char *kind,
				     const char *detail, guint ms);

/* the value of the first "a=@key:" line of @sdp; fails the test when there
 * is none */
char *media_sdp_attribute(const char *sdp, const char *key);

G_END_DECLS
