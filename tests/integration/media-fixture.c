#define G_LOG_DOMAIN "CbTestMedia"

/* the live session the media tests share; see media-fixture.h */

#include <string.h>

#include "media-fixture.h"

JsonNode *
media_call(MediaFixture *f, const char *method, const char *path, const char *token,
	   const char *body, guint want)
{
	return cb_test_call(f->d, method, path, token, body, want);
}

gint64
media_new_session(MediaFixture *f)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GDateTime) start = g_date_time_add_minutes(now, 10);
	g_autofree char *iso = g_date_time_format_iso8601(start);
	g_autofree char *body = g_strdup_printf("{\"title\":\"Tiếp công dân\",\"kind\":\"regular\","
						"\"starts_at\":\"%s\",\"duration_minutes\":180}",
						iso);
	g_autoptr(JsonNode) session =
		media_call(f, "POST", "/api/v1/sessions", f->staff, body, 201);

	return json_object_get_int_member(json_node_get_object(session), "id");
}

void
media_session_action(MediaFixture *f, gint64 session, const char *action)
{
	g_autofree char *path =
		g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT "/%s", session, action);

	json_node_unref(media_call(f, "POST", path, f->staff, NULL, 200));
}

void
media_fixture_setup_config(MediaFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->d = cb_test_daemon_new();
	cb_test_daemon_set_config(f->d, data);
	if (!cb_test_daemon_start(f->d, &error))
		g_error("daemon did not start: %s", error->message);
	f->staff = cb_test_daemon_issue_token(f->d, CB_ROLE_STAFF, 0, 0, 0);
	f->staff2 = cb_test_daemon_issue_token(f->d, CB_ROLE_STAFF, 0, 0, 0);
	for (guint i = 0; i < 2; i++) {
		g_autofree char *body =
			g_strdup_printf("{\"code\":\"bp-%u\",\"name\":\"Phường %u\"}", i, i);
		g_autoptr(JsonNode) bp = media_call(f, "POST", "/api/v1/bridge-points",
						    f->d->admin_token, body, 201);

		f->bp[i] = json_object_get_int_member(json_node_get_object(bp), "id");
		f->op[i] = cb_test_daemon_issue_token(f->d, CB_ROLE_OPERATOR, f->bp[i], 0, 0);
		f->bp_id[i] = g_strdup_printf("bp-%" G_GINT64_FORMAT, f->bp[i]);
	}
	f->session = media_new_session(f);
	media_session_action(f, f->session, "start");
}

void
media_fixture_setup(MediaFixture *f, gconstpointer data)
{
	g_autofree char *config = g_strdup_printf("[media]\nice-addresses=127.0.0.1\n%s\n",
						  data != NULL ? (const char *)data : "");

	media_fixture_setup_config(f, config);
}

void
media_fixture_teardown(MediaFixture *f, gconstpointer data)
{
	cb_test_daemon_free(f->d);
	g_free(f->staff);
	g_free(f->staff2);
	for (guint i = 0; i < 2; i++) {
		g_free(f->op[i]);
		g_free(f->bp_id[i]);
	}
}

void
media_ticket_action(MediaFixture *f, gint64 ticket, const char *action, const char *body)
{
	g_autofree char *path =
		g_strdup_printf("/api/v1/tickets/%" G_GINT64_FORMAT "/%s", ticket, action);

	json_node_unref(media_call(f, "POST", path, f->staff, body, 200));
}

gint64
media_register_citizen(MediaFixture *f, const char *category, char **token)
{
	g_autofree char *body =
		g_strdup_printf("{\"session_id\":%" G_GINT64_FORMAT ",\"summary\":\"Nội dung\","
				"\"category\":\"%s\",\"citizen_name\":\"Công dân\"}",
				f->session, category);
	g_autoptr(JsonNode) ticket = media_call(f, "POST", "/api/v1/register", NULL, body, 201);
	JsonObject *t = json_node_get_object(ticket);

	*token = g_strdup(json_object_get_string_member(t, "token"));
	return json_object_get_int_member(t, "id");
}

gint64
media_admit_citizen(MediaFixture *f, const char *category, char **token)
{
	gint64 id = media_register_citizen(f, category, token);

	media_ticket_action(f, id, "call", NULL);
	media_ticket_action(f, id, "admit", NULL);
	return id;
}

void
media_subscribe_events(MediaFixture *f, CbTestSig *staff)
{
	cb_test_sig_send(staff, "{\"type\":\"subscribe\",\"session_id\":%" G_GINT64_FORMAT "}",
			 f->session);
	json_object_unref(cb_test_sig_wait(staff, "subscribed", NULL, NULL));
}

static gboolean
media_event_is(JsonObject *event, const char *kind, const char *detail)
{
	const char *member = g_str_equal(kind, "left") ? "reason" : "state";

	return g_strcmp0(json_object_get_string_member(event, "event"), kind) == 0 &&
	       (detail == NULL ||
		g_strcmp0(json_object_get_string_member_with_default(event, member, NULL),
			  detail) == 0);
}

static JsonObject *
media_take_peer_event(CbTestSig *staff, const char *id, const char *kind, const char *detail)
{
	JsonObject *event;

	/* earlier events of the same peer are passed over */
	while ((event = cb_test_sig_take(staff, "peer", "id", id)) != NULL) {
		if (media_event_is(event, kind, detail))
			return event;
		json_object_unref(event);
	}
	return NULL;
}

JsonObject *
media_wait_peer_event_ms(CbTestSig *staff, const char *id, const char *kind, const char *detail,
			 guint ms)
{
	JsonObject *event = NULL;

	CB_TEST_WAIT_UNTIL_MS((event = media_take_peer_event(staff, id, kind, detail)) != NULL, ms);
	return event;
}

JsonObject *
media_wait_peer_event(CbTestSig *staff, const char *id, const char *kind, const char *detail)
{
	return media_wait_peer_event_ms(staff, id, kind, detail, CB_TEST_WAIT_MS);
}

char *
media_sdp_attribute(const char *sdp, const char *key)
{
	g_autofree char *needle = g_strdup_printf("a=%s:", key);
	const char *at = strstr(sdp, needle);

	g_assert_nonnull(at);
	at += strlen(needle);
	return g_strndup(at, strcspn(at, "\r\n"));
}
