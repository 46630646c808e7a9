/* the /api/v1 routes against the real daemon: auth, roles, resources, errors */
#include <libsoup/soup.h>

#include "civic-bridge/cb-http-route.h"

#include "cb-test-daemon.h"

typedef struct {
	CbTestDaemon *d;
} ApiFixture;

static void
api_setup(ApiFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->d = cb_test_daemon_new();
	/* a roomy lockout limit: these tests make many failures on purpose */
	cb_test_daemon_set_config(f->d, "[limits]\nauth-failure-limit=1000\n");
	if (!cb_test_daemon_start(f->d, &error))
		g_error("daemon did not start: %s", error->message);
}

static void
api_teardown(ApiFixture *f, gconstpointer data)
{
	cb_test_daemon_free(f->d);
}

static JsonObject *
obj(JsonNode *node)
{
	g_assert_nonnull(node);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(node));
	return json_node_get_object(node);
}

/* the one error shape: {"error":{"code","message"}}; returns the code */
static const char *
error_code(JsonNode *node)
{
	JsonObject *error = json_object_get_object_member(obj(node), "error");

	g_assert_nonnull(error);
	g_assert_nonnull(json_object_get_string_member(error, "message"));
	g_assert_cmpuint(strlen(json_object_get_string_member(error, "message")), >, 0);
	return json_object_get_string_member(error, "code");
}

static char *
route_path(const CbHttpRoute *route)
{
	g_autoptr(GString) path = g_string_new(route->path);

	g_string_replace(path, "{id}", "1", 0);
	return g_string_free(g_steal_pointer(&path), FALSE);
}

static void
test_every_route_needs_a_token(ApiFixture *f, gconstpointer data)
{
	gsize n = 0;
	const CbHttpRoute *routes = cb_http_routes(&n);
	guint checked = 0;

	for (gsize i = 0; i < n; i++) {
		g_autofree char *path = route_path(&routes[i]);
		const char *body = routes[i].json_body ? "{}" : NULL;
		g_autoptr(JsonNode) none = NULL;
		g_autoptr(JsonNode) junk = NULL;

		if (!g_str_has_prefix(routes[i].path, "/api/v1/"))
			continue;
		/* the one public route under /api/v1: a citizen registering */
		if (g_str_equal(routes[i].path, "/api/v1/register"))
			continue;
		g_assert_cmpuint(routes[i].roles, !=, CB_ROLES_NONE);
		g_assert_cmpuint(cb_test_http(f->d, routes[i].method, path, NULL, body, &none), ==,
				 401);
		g_assert_cmpstr(error_code(none), ==, "unauthenticated");
		g_assert_cmpuint(
			cb_test_http(f->d, routes[i].method, path, "cbt_not-a-token", body, &junk),
			==, 401);
		g_assert_cmpstr(error_code(junk), ==, "unauthenticated");
		checked++;
	}
	g_assert_cmpuint(checked, >=, 10);
}

static char *
token_for(ApiFixture *f, CbRole role, gint64 bridge_point_id)
{
	gint64 ticket = role == CB_ROLE_CITIZEN ? 1 : 0;
	gint64 bp = role == CB_ROLE_OPERATOR ? bridge_point_id : 0;

	return cb_test_daemon_issue_token(f->d, role, bp, ticket, 0);
}

static gint64
create_bridge_point(ApiFixture *f, const char *code)
{
	g_autofree char *body =
		g_strdup_printf("{\"code\":\"%s\",\"name\":\"Điểm cầu %s\"}", code, code);
	g_autoptr(JsonNode) answer = NULL;

	g_assert_cmpuint(cb_test_http(f->d, "POST", "/api/v1/bridge-points", f->d->admin_token,
				      body, &answer),
			 ==, 201);
	return json_object_get_int_member(obj(answer), "id");
}

static void
test_roles_that_may_not_get_403(ApiFixture *f, gconstpointer data)
{
	gsize n = 0;
	const CbHttpRoute *routes = cb_http_routes(&n);
	gint64 bp = create_bridge_point(f, "ba-vi");
	CbRole roles[] = {CB_ROLE_ADMIN, CB_ROLE_STAFF, CB_ROLE_OPERATOR, CB_ROLE_CITIZEN};
	guint forbidden = 0;

	for (gsize r = 0; r < G_N_ELEMENTS(roles); r++) {
		g_autofree char *token = token_for(f, roles[r], bp);
		for (gsize i = 0; i < n; i++) {
			g_autofree char *path = route_path(&routes[i]);
			g_autoptr(JsonNode) answer = NULL;
			guint status;

			if (routes[i].roles == CB_ROLES_NONE ||
			    cb_role_mask_allows(routes[i].roles, roles[r]))
				continue;
			status = cb_test_http(f->d, routes[i].method, path, token,
					      routes[i].json_body ? "{}" : NULL, &answer);
			if (status != 403)
				g_error("%s %s with a %s token: %u, wanted 403", routes[i].method,
					path, cb_role_to_string(roles[r]), status);
			g_assert_cmpstr(error_code(answer), ==, "forbidden");
			forbidden++;
		}
	}
	/* staff, operator and citizen are each kept out of something */
	g_assert_cmpuint(forbidden, >=, 15);
}

static void
test_public_probes(ApiFixture *f, gconstpointer data)
{
	g_autoptr(JsonNode) health = NULL;
	g_autoptr(JsonNode) ready = NULL;

	g_assert_cmpuint(cb_test_http(f->d, "GET", "/healthz", NULL, NULL, &health), ==, 200);
	g_assert_cmpstr(json_object_get_string_member(obj(health), "status"), ==, "alive");
	g_assert_cmpuint(cb_test_http(f->d, "GET", "/readyz", NULL, NULL, &ready), ==, 200);
	g_assert_cmpstr(json_object_get_string_member(obj(ready), "status"), ==, "ready");
}

static void
test_unknown_route_and_method(ApiFixture *f, gconstpointer data)
{
	g_autoptr(JsonNode) missing = NULL;
	g_autoptr(JsonNode) wrong = NULL;

	g_assert_cmpuint(
		cb_test_http(f->d, "GET", "/api/v1/nothing", f->d->admin_token, NULL, &missing), ==,
		404);
	g_assert_cmpstr(error_code(missing), ==, "not_found");
	g_assert_cmpuint(
		cb_test_http(f->d, "PUT", "/api/v1/bridge-points", f->d->admin_token, "{}", &wrong),
		==, 405);
	g_assert_cmpstr(error_code(wrong), ==, "method_not_allowed");
}

static void
test_bridge_point_lifecycle(ApiFixture *f, gconstpointer data)
{
	g_autofree char *staff = token_for(f, CB_ROLE_STAFF, 0);
	g_autoptr(JsonNode) list = NULL;
	g_autoptr(JsonNode) got = NULL;
	g_autoptr(JsonNode) patched = NULL;
	g_autoptr(JsonNode) gone = NULL;
	g_autofree char *path = NULL;
	gint64 id = create_bridge_point(f, "dong-anh");
	JsonArray *items;

	path = g_strdup_printf("/api/v1/bridge-points/%" G_GINT64_FORMAT, id);
	g_assert_cmpuint(cb_test_http(f->d, "GET", "/api/v1/bridge-points", staff, NULL, &list), ==,
			 200);
	items = json_object_get_array_member(obj(list), "items");
	g_assert_cmpuint(json_array_get_length(items), ==, 1);
	g_assert_cmpstr(
		json_object_get_string_member(json_array_get_object_element(items, 0), "name"), ==,
		"Điểm cầu dong-anh");
	g_assert_cmpuint(cb_test_http(f->d, "PATCH", path, f->d->admin_token,
				      "{\"name\":\"Xã Đông Anh\",\"district\":\"Đông Anh\"}",
				      &patched),
			 ==, 200);
	g_assert_cmpstr(json_object_get_string_member(obj(patched), "name"), ==, "Xã Đông Anh");
	g_assert_cmpstr(json_object_get_string_member(obj(patched), "code"), ==, "dong-anh");
	g_assert_cmpuint(cb_test_http(f->d, "GET", path, staff, NULL, &got), ==, 200);
	g_assert_cmpstr(json_object_get_string_member(obj(got), "district"), ==, "Đông Anh");
	g_assert_cmpuint(cb_test_http(f->d, "DELETE", path, f->d->admin_token, NULL, NULL), ==,
			 204);
	g_assert_cmpuint(cb_test_http(f->d, "GET", path, staff, NULL, &gone), ==, 404);
	g_assert_cmpstr(error_code(gone), ==, "not_found");
}

typedef struct {
	const char *method;
	const char *path;
	const char *body;
	guint status;
	const char *code;
} BadRequest;

static void
test_bad_bridge_point_requests(ApiFixture *f, gconstpointer data)
{
	const BadRequest cases[] = {
		{"POST", "/api/v1/bridge-points", "{\"name\":\"No code\"}", 400, "invalid_request"},
		{"POST", "/api/v1/bridge-points", "{\"code\":\"Ba Dinh\",\"name\":\"x\"}", 400,
		 "invalid_request"},
		{"POST", "/api/v1/bridge-points", "{\"code\":\"x\",\"name\":\"   \"}", 400,
		 "invalid_request"},
		{"POST", "/api/v1/bridge-points", "{\"code\":5,\"name\":\"x\"}", 400,
		 "invalid_request"},
		{"POST", "/api/v1/bridge-points", "{\"code\":\"x\",\"name\":\"x\",\"colour\":1}",
		 400, "invalid_request"},
		{"POST", "/api/v1/bridge-points", "{\"code\":\"x\",", 400, "invalid_request"},
		{"POST", "/api/v1/bridge-points", "[]", 400, "invalid_request"},
		{"POST", "/api/v1/bridge-points", "", 400, "invalid_request"},
		{"POST", "/api/v1/bridge-points", "{\"code\":\"taken\",\"name\":\"again\"}", 409,
		 "conflict"},
		{"PATCH", "/api/v1/bridge-points/999", "{\"name\":\"x\"}", 404, "not_found"},
		{"PATCH", "/api/v1/bridge-points/abc", "{\"name\":\"x\"}", 400, "invalid_request"},
		{"PATCH", "/api/v1/bridge-points/0", "{\"name\":\"x\"}", 400, "invalid_request"},
		{"PATCH", "/api/v1/bridge-points/1", "{}", 400, "invalid_request"},
		{"DELETE", "/api/v1/bridge-points/999", NULL, 404, "not_found"},
		{"GET", "/api/v1/bridge-points/99999999999999999999", NULL, 400, "invalid_request"},
	};
	g_autoptr(JsonNode) before = NULL;
	g_autoptr(JsonNode) after = NULL;
	g_autofree char *before_text = NULL;
	g_autofree char *after_text = NULL;

	create_bridge_point(f, "taken");
	g_assert_cmpuint(cb_test_http(f->d, "GET", "/api/v1/bridge-points", f->d->admin_token, NULL,
				      &before),
			 ==, 200);
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(JsonNode) answer = NULL;
		guint status = cb_test_http(f->d, cases[i].method, cases[i].path, f->d->admin_token,
					    cases[i].body, &answer);
		if (status != cases[i].status)
			g_error("%s %s %s: %u, wanted %u", cases[i].method, cases[i].path,
				cases[i].body, status, cases[i].status);
		g_assert_cmpstr(error_code(answer), ==, cases[i].code);
	}
	/* nothing stored changed */
	g_assert_cmpuint(
		cb_test_http(f->d, "GET", "/api/v1/bridge-points", f->d->admin_token, NULL, &after),
		==, 200);
	before_text = json_to_string(before, FALSE);
	after_text = json_to_string(after, FALSE);
	g_assert_cmpstr(before_text, ==, after_text);
}

static void
test_wrong_content_type(ApiFixture *f, gconstpointer data)
{
	g_autoptr(SoupSession) session = soup_session_new();
	g_autofree char *uri = g_strconcat(f->d->url, "/api/v1/bridge-points", NULL);
	g_autoptr(SoupMessage) msg = soup_message_new("POST", uri);
	g_autofree char *auth = g_strconcat("Bearer ", f->d->admin_token, NULL);
	g_autoptr(GBytes) body = g_bytes_new_static("code=x&name=y", 13);
	g_autoptr(GBytes) answer = NULL;

	soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization", auth);
	soup_message_set_request_body_from_bytes(msg, "application/x-www-form-urlencoded", body);
	answer = soup_session_send_and_read(session, msg, NULL, NULL);
	g_assert_cmpuint(soup_message_get_status(msg), ==, 415);
	g_assert_nonnull(strstr(g_bytes_get_data(answer, NULL), "unsupported_media_type"));
}

static void
test_tokens(ApiFixture *f, gconstpointer data)
{
	gint64 bp = create_bridge_point(f, "thanh-tri");
	g_autofree char *op_body =
		g_strdup_printf("{\"role\":\"operator\",\"bridge_point_id\":%" G_GINT64_FORMAT
				",\"label\":\"Thanh Trì desk\",\"expires_in_seconds\":86400}",
				bp);
	g_autoptr(JsonNode) created = NULL;
	g_autoptr(JsonNode) me = NULL;
	g_autoptr(JsonNode) list = NULL;
	g_autoptr(JsonNode) revoked = NULL;
	g_autofree char *list_text = NULL;
	g_autofree char *revoke_path = NULL;
	const char *secret;

	g_assert_cmpuint(
		cb_test_http(f->d, "POST", "/api/v1/tokens", f->d->admin_token, op_body, &created),
		==, 201);
	secret = json_object_get_string_member(obj(created), "token");
	g_assert_true(g_str_has_prefix(secret, "cbt_"));
	g_assert_cmpstr(json_object_get_string_member(obj(created), "role"), ==, "operator");
	g_assert_cmpint(json_object_get_int_member(obj(created), "bridge_point_id"), ==, bp);
	g_assert_false(json_node_is_null(json_object_get_member(obj(created), "expires_at")));

	g_assert_cmpuint(cb_test_http(f->d, "GET", "/api/v1/me", secret, NULL, &me), ==, 200);
	g_assert_cmpstr(json_object_get_string_member(obj(me), "label"), ==, "Thanh Trì desk");
	g_assert_false(json_object_has_member(obj(me), "token"));
	/* an operator sees bridge points but may not make tokens */
	g_assert_cmpuint(cb_test_http(f->d, "GET", "/api/v1/bridge-points", secret, NULL, NULL), ==,
			 200);
	g_assert_cmpuint(
		cb_test_http(f->d, "POST", "/api/v1/tokens", secret, "{\"role\":\"admin\"}", NULL),
		==, 403);

	/* the secret is never listed, nor its hash */
	g_assert_cmpuint(
		cb_test_http(f->d, "GET", "/api/v1/tokens", f->d->admin_token, NULL, &list), ==,
		200);
	list_text = json_to_string(list, FALSE);
	g_assert_null(strstr(list_text, secret));
	g_assert_null(strstr(list_text, "\"token\""));
	g_assert_null(strstr(list_text, "hash"));

	/* a bridge point with a live operator token cannot be deleted */
	{
		g_autofree char *bp_path =
			g_strdup_printf("/api/v1/bridge-points/%" G_GINT64_FORMAT, bp);
		g_assert_cmpuint(
			cb_test_http(f->d, "DELETE", bp_path, f->d->admin_token, NULL, NULL), ==,
			409);
	}

	revoke_path = g_strdup_printf("/api/v1/tokens/%" G_GINT64_FORMAT,
				      json_object_get_int_member(obj(created), "id"));
	g_assert_cmpuint(cb_test_http(f->d, "DELETE", revoke_path, f->d->admin_token, NULL, NULL),
			 ==, 204);
	g_assert_cmpuint(cb_test_http(f->d, "DELETE", revoke_path, f->d->admin_token, NULL, NULL),
			 ==, 409);
	g_assert_cmpuint(cb_test_http(f->d, "GET", "/api/v1/me", secret, NULL, &revoked), ==, 401);
	g_assert_nonnull(strstr(json_to_string(revoked, FALSE), "revoked"));
}

static void
test_expired_token(ApiFixture *f, gconstpointer data)
{
	g_autofree char *old = cb_test_daemon_issue_token(f->d, CB_ROLE_STAFF, 0, 0,
							  g_get_real_time() - G_TIME_SPAN_SECOND);
	g_autoptr(JsonNode) answer = NULL;

	g_assert_cmpuint(cb_test_http(f->d, "GET", "/api/v1/me", old, NULL, &answer), ==, 401);
	g_assert_cmpstr(error_code(answer), ==, "unauthenticated");
	g_assert_nonnull(strstr(json_to_string(answer, FALSE), "expired"));
	g_assert_null(strstr(json_to_string(answer, FALSE), old));
}

static void
test_bad_token_requests(ApiFixture *f, gconstpointer data)
{
	const BadRequest cases[] = {
		{"POST", "/api/v1/tokens", "{\"role\":\"operator\"}", 400, "invalid_request"},
		{"POST", "/api/v1/tokens", "{\"role\":\"operator\",\"bridge_point_id\":777}", 400,
		 "invalid_request"},
		{"POST", "/api/v1/tokens", "{\"role\":\"staff\",\"bridge_point_id\":1}", 400,
		 "invalid_request"},
		{"POST", "/api/v1/tokens", "{\"role\":\"citizen\"}", 400, "invalid_request"},
		{"POST", "/api/v1/tokens", "{\"role\":\"root\"}", 400, "invalid_request"},
		{"POST", "/api/v1/tokens", "{}", 400, "invalid_request"},
		{"POST", "/api/v1/tokens", "{\"role\":\"staff\",\"expires_in_seconds\":5}", 400,
		 "invalid_request"},
		{"POST", "/api/v1/tokens", "{\"role\":\"staff\",\"expires_in_seconds\":\"1d\"}",
		 400, "invalid_request"},
		{"DELETE", "/api/v1/tokens/4242", NULL, 404, "not_found"},
		{"GET", "/api/v1/audit?limit=5000", NULL, 400, "invalid_request"},
		{"GET", "/api/v1/audit?before=-1", NULL, 400, "invalid_request"},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(JsonNode) answer = NULL;
		guint status = cb_test_http(f->d, cases[i].method, cases[i].path, f->d->admin_token,
					    cases[i].body, &answer);
		if (status != cases[i].status)
			g_error("%s %s %s: %u, wanted %u", cases[i].method, cases[i].path,
				cases[i].body, status, cases[i].status);
		g_assert_cmpstr(error_code(answer), ==, cases[i].code);
	}
}

static void
test_writes_are_audited(ApiFixture *f, gconstpointer data)
{
	gint64 bp = create_bridge_point(f, "gia-lam");
	g_autoptr(JsonNode) created = NULL;
	g_autoptr(JsonNode) audit = NULL;
	g_autoptr(JsonNode) page = NULL;
	g_autofree char *text = NULL;
	g_autofree char *patch_path =
		g_strdup_printf("/api/v1/bridge-points/%" G_GINT64_FORMAT, bp);
	JsonArray *items;
	JsonObject *newest;

	g_assert_cmpuint(cb_test_http(f->d, "PATCH", patch_path, f->d->admin_token,
				      "{\"name\":\"Gia Lâm\"}", NULL),
			 ==, 200);
	g_assert_cmpuint(cb_test_http(f->d, "POST", "/api/v1/tokens", f->d->admin_token,
				      "{\"role\":\"staff\",\"label\":\"hall\"}", &created),
			 ==, 201);
	g_assert_cmpuint(
		cb_test_http(f->d, "GET", "/api/v1/audit", f->d->admin_token, NULL, &audit), ==,
		200);
	items = json_object_get_array_member(obj(audit), "items");
	newest = json_array_get_object_element(items, 0);
	g_assert_cmpstr(json_object_get_string_member(newest, "action"), ==, "token.create");
	g_assert_cmpstr(json_object_get_string_member(newest, "actor_role"), ==, "admin");
	g_assert_cmpstr(json_object_get_string_member(newest, "via"), ==, "api");
	g_assert_cmpstr(
		json_object_get_string_member(json_array_get_object_element(items, 1), "action"),
		==, "bridge_point.update");
	g_assert_cmpstr(
		json_object_get_string_member(json_array_get_object_element(items, 2), "action"),
		==, "bridge_point.create");
	/* no secret reaches the audit log */
	text = json_to_string(audit, FALSE);
	g_assert_null(strstr(text, json_object_get_string_member(obj(created), "token")));
	g_assert_null(strstr(text, f->d->admin_token));
	g_assert_cmpuint(
		cb_test_http(f->d, "GET", "/api/v1/audit?limit=1", f->d->admin_token, NULL, &page),
		==, 200);
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(obj(page), "items")),
			 ==, 1);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn)                                                                              \
	g_test_add("/civic-bridge/api/" path, ApiFixture, NULL, api_setup, fn, api_teardown)
	ADD("every-route-needs-a-token", test_every_route_needs_a_token);
	ADD("roles-that-may-not-get-403", test_roles_that_may_not_get_403);
	ADD("public-probes", test_public_probes);
	ADD("unknown-route-and-method", test_unknown_route_and_method);
	ADD("bridge-point-lifecycle", test_bridge_point_lifecycle);
	ADD("bad-bridge-point-requests", test_bad_bridge_point_requests);
	ADD("wrong-content-type", test_wrong_content_type);
	ADD("tokens", test_tokens);
	ADD("expired-token", test_expired_token);
	ADD("bad-token-requests", test_bad_token_requests);
	ADD("writes-are-audited", test_writes_are_audited);
#undef ADD
	return g_test_run();
}
