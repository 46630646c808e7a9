#define G_LOG_DOMAIN "CbTestWhipWhep"

/*
 * WHIP and WHEP request by request against the real daemon: every status
 * each route answers, the Link ice-server headers with their TURN REST
 * credentials, a WHEP viewer that sees the floor a WHIP encoder feeds, and
 * (when coturn is installed) a real TURN server that takes the credentials
 * the daemon hands out. Run inside `unshare -n` with loopback up.
 */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "media-fixture.h"

#define WAIT_UNTIL CB_TEST_WAIT_UNTIL

#define SECRET "whip-whep-test-secret"
#define TTL    3600
#define BASE_CONFIG                                                                                \
	"[media]\nice-addresses=127.0.0.1\n"                                                       \
	"client-ice-servers=stun:stun.example.org:3478\n"                                          \
	"turn-servers=turn:turn.example.org:3478?transport=udp\n"                                  \
	"turn-secret=" SECRET "\n"                                                                 \
	"turn-credential-ttl-seconds=3600\n"                                                       \
	"max-sdp-bytes=8192\n"

/* the request must get @want; an error body must name @code (NULL: any) */
static CbTestReply
expect(MediaFixture *f, const char *method, const char *path, const char *token, const char *type,
       const char *body, guint want, const char *code)
{
	CbTestReply r = cb_test_request(f->d, method, path, token, type, body);

	if (r.status != want)
		g_error("%s %s: %u (%s), wanted %u", method, path, r.status, r.body, want);
	if (code != NULL) {
		g_autoptr(JsonParser) parser = json_parser_new();
		JsonObject *error;

		g_assert_true(json_parser_load_from_data(parser, r.body, -1, NULL));
		error = json_object_get_object_member(
			json_node_get_object(json_parser_get_root(parser)), "error");
		g_assert_cmpstr(json_object_get_string_member(error, "code"), ==, code);
		g_assert_nonnull(json_object_get_string_member(error, "message"));
	}
	return r;
}

/* @data: the daemon's configuration; NULL: BASE_CONFIG */
static void
fixture_setup(MediaFixture *f, gconstpointer data)
{
	media_fixture_setup_config(f, data != NULL ? data : BASE_CONFIG);
}

static char *
route(const char *prefix, gint64 session, const char *query)
{
	return g_strdup_printf("/%s/%" G_GINT64_FORMAT "%s", prefix, session,
			       query != NULL ? query : "");
}

/* ---- Link headers and their TURN credentials ---- */

/* the value of ` name="…"` in @link, or NULL */
static char *
link_param(const char *link, const char *name)
{
	g_autofree char *needle = g_strdup_printf(" %s=\"", name);
	const char *at = strstr(link, needle);

	if (at == NULL)
		return NULL;
	at += strlen(needle);
	return g_strndup(at, strcspn(at, "\""));
}

/* the Link headers, one string each (a credential holds no ',') */
static GPtrArray *
links(CbTestReply *r)
{
	const char *list = soup_message_headers_get_list(r->headers, "Link");
	g_auto(GStrv) parts = g_strsplit(list != NULL ? list : "", ", <", -1);
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; parts[i] != NULL; i++) {
		if (parts[i][0] != '\0')
			g_ptr_array_add(out, i == 0 ? g_strdup(parts[i])
						    : g_strconcat("<", parts[i], NULL));
	}
	return out;
}

/* base64(HMAC-SHA1(@secret, @username)), computed here apart from the daemon */
static char *
expected_credential(const char *secret, const char *username)
{
	g_autoptr(GHmac) hmac = g_hmac_new(G_CHECKSUM_SHA1, (const guchar *)secret, strlen(secret));
	guint8 digest[20];
	gsize len = sizeof(digest);

	g_hmac_update(hmac, (const guchar *)username, -1);
	g_hmac_get_digest(hmac, digest, &len);
	return g_base64_encode(digest, len);
}

/* a TURN username "<expiry>:<id>" valid from now for about @ttl, and its
 * credential signed with @secret; returns the id */
static char *
check_turn_credential(const char *username, const char *credential, const char *secret, guint ttl)
{
	g_auto(GStrv) parts = g_strsplit(username, ":", 2);
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	guint64 expiry = 0;
	g_autofree char *expected = expected_credential(secret, username);

	g_assert_cmpuint(g_strv_length(parts), ==, 2);
	g_assert_true(g_ascii_string_to_unsigned(parts[0], 10, 0, G_MAXINT64, &expiry, NULL));
	g_assert_cmpint((gint64)expiry, >, now + ttl - 120);
	g_assert_cmpint((gint64)expiry, <=, now + ttl + 1);
	g_assert_cmpstr(credential, ==, expected);
	return g_strdup(parts[1]);
}

/* the STUN server as it is, then the TURN server with a credential naming
 * the peer by its room id (@id_prefix…), never a person */
static void
check_links(CbTestReply *r, const char *id_prefix)
{
	g_autoptr(GPtrArray) all = links(r);
	const char *turn;
	g_autofree char *username = NULL;
	g_autofree char *credential = NULL;
	g_autofree char *type = NULL;
	g_autofree char *id = NULL;

	g_assert_cmpuint(all->len, ==, 2);
	g_assert_cmpstr(g_ptr_array_index(all, 0), ==,
			"<stun:stun.example.org:3478>; rel=\"ice-server\"");
	turn = g_ptr_array_index(all, 1);
	g_assert_true(g_str_has_prefix(
		turn, "<turn:turn.example.org:3478?transport=udp>; rel=\"ice-server\"; "));
	username = link_param(turn, "username");
	credential = link_param(turn, "credential");
	type = link_param(turn, "credential-type");
	g_assert_nonnull(username);
	g_assert_nonnull(credential);
	g_assert_cmpstr(type, ==, "password");
	id = check_turn_credential(username, credential, SECRET, TTL);
	g_assert_true(g_str_has_prefix(id, id_prefix));
	g_assert_null(strstr(username, "Nguy"));
}

/* ---- offers and fragments ---- */

/* a trickle fragment of @offer's ICE session, or one asking for a restart */
static char *
fragment(const char *offer, gboolean restart)
{
	g_autofree char *ufrag =
		restart ? g_strdup("new0") : media_sdp_attribute(offer, "ice-ufrag");
	g_autofree char *pwd = restart ? g_strdup("newpasswordnewpassword00")
				       : media_sdp_attribute(offer, "ice-pwd");
	g_autofree char *mid = media_sdp_attribute(offer, "mid");

	return g_strdup_printf("a=ice-ufrag:%s\r\na=ice-pwd:%s\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"
			       "a=mid:%s\r\na=candidate:1 1 UDP 2015363327 127.0.0.1 9 typ host\r\n"
			       "a=end-of-candidates\r\n",
			       ufrag, pwd, mid);
}

/* an SDP-typed body over max-sdp-bytes (8192) */
static char *
oversized_sdp(void)
{
	GString *sdp = g_string_new("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");

	while (sdp->len <= 9000)
		g_string_append(sdp, "a=x-padding:0123456789012345678901234567890123456789\r\n");
	return g_string_free(sdp, FALSE);
}

static char *
publisher_offer(void)
{
	g_autoptr(CbTestPeer) peer = cb_test_peer_new_publisher("offer", 160, 30);

	return cb_test_peer_offer(peer, TRUE);
}

static char *
viewer_offer(void)
{
	g_autoptr(CbTestPeer) peer = cb_test_peer_new_subscriber("offer");

	return cb_test_peer_offer(peer, TRUE);
}

/* ---- every status of both ---- */

/* what WHIP and WHEP answer alike before anything joins */
static void
check_refusals(MediaFixture *f, const char *prefix, const char *token, const char *offer)
{
	g_autofree char *path = route(prefix, f->session, NULL);
	g_autofree char *missing = route(prefix, 9999, NULL);
	g_autofree char *other = route(prefix, media_new_session(f), NULL);
	g_autofree char *big = oversized_sdp();
	g_auto(CbTestReply) r = {0};

	r = expect(f, "POST", path, NULL, "application/sdp", offer, 401, "unauthenticated");
	cb_test_reply_clear(&r);
	r = expect(f, "POST", missing, token, "application/sdp", offer, 404, "not_found");
	cb_test_reply_clear(&r);
	/* scheduled, not live */
	r = expect(f, "POST", other, token, "application/sdp", offer, 409, "conflict");
	cb_test_reply_clear(&r);
	r = expect(f, "POST", path, token, "text/plain", offer, 415, "unsupported_media_type");
	cb_test_reply_clear(&r);
	r = expect(f, "POST", path, token, "application/sdp", big, 413, "too_large");
	cb_test_reply_clear(&r);
	r = expect(f, "POST", path, token, "application/sdp", "", 400, "invalid_request");
}

/* 201 with the resource, its tag, the servers and an answer with candidates */
static char *
check_created(MediaFixture *f, const char *prefix, const char *query, const char *token,
	      const char *offer, const char *id_prefix)
{
	g_autofree char *path = route(prefix, f->session, query);
	g_autofree char *resource_prefix = route(prefix, f->session, "/");
	g_auto(CbTestReply) r = expect(f, "POST", path, token, "application/sdp", offer, 201, NULL);
	const char *location = soup_message_headers_get_one(r.headers, "Location");

	g_assert_nonnull(location);
	g_assert_true(g_str_has_prefix(location, resource_prefix));
	g_assert_nonnull(soup_message_headers_get_one(r.headers, "ETag"));
	g_assert_cmpstr(soup_message_headers_get_content_type(r.headers, NULL), ==,
			"application/sdp");
	g_assert_nonnull(strstr(r.body, "a=candidate:"));
	g_assert_nonnull(strstr(r.body, "a=end-of-candidates"));
	check_links(&r, id_prefix);
	return g_strdup(location);
}

/* PATCH 204, 422, 415; DELETE 200, then 404 */
static void
check_resource(MediaFixture *f, const char *location, const char *token, const char *offer)
{
	g_autofree char *frag = fragment(offer, FALSE);
	g_autofree char *restart = fragment(offer, TRUE);
	g_auto(CbTestReply) r = {0};

	r = expect(f, "PATCH", location, token, "application/trickle-ice-sdpfrag", frag, 204, NULL);
	cb_test_reply_clear(&r);
	r = expect(f, "PATCH", location, token, "application/trickle-ice-sdpfrag", restart, 422,
		   "invalid_request");
	cb_test_reply_clear(&r);
	r = expect(f, "PATCH", location, token, "application/sdp", frag, 415,
		   "unsupported_media_type");
	cb_test_reply_clear(&r);
	r = expect(f, "PATCH", location, NULL, "application/trickle-ice-sdpfrag", frag, 401,
		   "unauthenticated");
	cb_test_reply_clear(&r);
	r = expect(f, "DELETE", location, token, NULL, NULL, 200, NULL);
	cb_test_reply_clear(&r);
	r = expect(f, "DELETE", location, token, NULL, NULL, 404, "not_found");
	cb_test_reply_clear(&r);
	r = expect(f, "PATCH", location, token, "application/trickle-ice-sdpfrag", frag, 404,
		   "not_found");
}

static void
test_whip_statuses(MediaFixture *f, gconstpointer data)
{
	g_autofree char *offer = publisher_offer();
	g_autofree char *path = route("whip", f->session, NULL);
	g_autofree char *location = NULL;
	g_autofree char *frag = fragment(offer, FALSE);
	const char *bp0 = f->bp_id[0];
	g_autofree char *citizen = NULL;
	g_auto(CbTestReply) r = {0};

	/* a citizen registered for the session, not called */
	media_register_citizen(f, "complaint", &citizen);
	check_refusals(f, "whip", f->op[0], offer);
	r = expect(f, "POST", path, f->staff, "application/sdp", offer, 403, "forbidden");
	cb_test_reply_clear(&r);
	r = expect(f, "POST", path, citizen, "application/sdp", offer, 403, "forbidden");
	cb_test_reply_clear(&r);

	location = check_created(f, "whip", NULL, f->op[0], offer, bp0);
	/* another bridge point's resource */
	r = expect(f, "PATCH", location, f->op[1], "application/trickle-ice-sdpfrag", frag, 403,
		   "forbidden");
	cb_test_reply_clear(&r);
	r = expect(f, "DELETE", location, f->op[1], NULL, NULL, 403, "forbidden");
	cb_test_reply_clear(&r);
	check_resource(f, location, f->op[0], offer);
}

static void
test_whep_statuses(MediaFixture *f, gconstpointer data)
{
	g_autofree char *offer = viewer_offer();
	g_autofree char *whip_offer = publisher_offer();
	g_autofree char *path = route("whep", f->session, NULL);
	g_autofree char *location = NULL;
	g_autofree char *frag = fragment(offer, FALSE);
	g_autofree char *query = NULL;
	g_autofree char *whip_location = NULL;
	const char *bp0 = f->bp_id[0];
	g_autofree char *citizen = NULL;
	g_auto(CbTestReply) r = {0};

	/* a citizen registered for the session, not called */
	media_register_citizen(f, "complaint", &citizen);
	check_refusals(f, "whep", f->staff, offer);
	r = expect(f, "POST", path, f->op[0], "application/sdp", offer, 403, "forbidden");
	cb_test_reply_clear(&r);
	r = expect(f, "POST", path, citizen, "application/sdp", offer, 403, "forbidden");
	cb_test_reply_clear(&r);
	/* slots: unknown names, and publishers that are not there yet */
	for (guint i = 0; i < 3; i++) {
		static const char *const bad[] = {"?slot=s1", "?slot=bp-x", "?slot=bp-"};
		g_autofree char *bad_path = route("whep", f->session, bad[i]);
		r = expect(f, "POST", bad_path, f->staff, "application/sdp", offer, 400,
			   "invalid_request");
		cb_test_reply_clear(&r);
	}
	for (guint i = 0; i < 2; i++) {
		static const char *const absent[] = {"?slot=hall", "?slot=citizen"};
		g_autofree char *absent_path = route("whep", f->session, absent[i]);
		r = expect(f, "POST", absent_path, f->staff, "application/sdp", offer, 404,
			   "not_found");
		cb_test_reply_clear(&r);
	}

	/* the floor always exists; an admin may watch too */
	location = check_created(f, "whep", NULL, f->staff, offer, "s");
	g_free(check_created(f, "whep", "?slot=floor", f->d->admin_token, offer, "s"));
	/* a bridge point once it publishes */
	whip_location = check_created(f, "whip", NULL, f->op[0], whip_offer, bp0);
	query = g_strdup_printf("?slot=%s", bp0);
	g_free(check_created(f, "whep", query, f->staff, offer, "s"));

	/* another token's viewer is not this one's to touch */
	r = expect(f, "PATCH", location, f->staff2, "application/trickle-ice-sdpfrag", frag, 404,
		   "not_found");
	cb_test_reply_clear(&r);
	r = expect(f, "DELETE", location, f->staff2, NULL, NULL, 404, "not_found");
	cb_test_reply_clear(&r);
	r = expect(f, "DELETE", location, f->op[0], NULL, NULL, 403, "forbidden");
	cb_test_reply_clear(&r);
	check_resource(f, location, f->staff, offer);
}

/* [media] max-peers=2: the third peer gets 503 with Retry-After, and a
 * place that frees up is taken again */
static void
test_room_full(MediaFixture *f, gconstpointer data)
{
	g_autofree char *offer = viewer_offer();
	g_autofree char *whip_offer = publisher_offer();
	g_autofree char *whep = route("whep", f->session, NULL);
	g_autofree char *whip = route("whip", f->session, NULL);
	const char *bp0 = f->bp_id[0];
	g_autofree char *viewer = NULL;
	g_auto(CbTestReply) r = {0};

	g_free(check_created(f, "whip", NULL, f->op[0], whip_offer, bp0));
	viewer = check_created(f, "whep", NULL, f->staff, offer, "s");
	r = expect(f, "POST", whep, f->staff, "application/sdp", offer, 503, "unavailable");
	g_assert_cmpstr(soup_message_headers_get_one(r.headers, "Retry-After"), ==, "10");
	cb_test_reply_clear(&r);
	r = expect(f, "POST", whip, f->op[1], "application/sdp", whip_offer, 503, "unavailable");
	g_assert_cmpstr(soup_message_headers_get_one(r.headers, "Retry-After"), ==, "10");
	cb_test_reply_clear(&r);
	r = expect(f, "DELETE", viewer, f->staff, NULL, NULL, 200, NULL);
	cb_test_reply_clear(&r);
	g_free(check_created(f, "whep", NULL, f->staff, offer, "s"));
}

/* [media] max-peers-per-connection, small so the test stays quick */
#define PER_OWNER 3

/* each bridge point and each staff token holds its own peers: more
 * bridge points than one owner's PER_OWNER publish over WHIP; one token's
 * viewer after PER_OWNER is refused (413), another token's not */
static void
test_peers_per_owner(MediaFixture *f, gconstpointer data)
{
	g_autofree char *whip_offer = publisher_offer();
	g_autofree char *offer = viewer_offer();
	g_autofree char *whep = route("whep", f->session, NULL);
	g_auto(CbTestReply) r = {0};

	for (guint i = 0; i < PER_OWNER + 1; i++) {
		g_autofree char *body =
			g_strdup_printf("{\"code\":\"many-%u\",\"name\":\"Xã %u\"}", i, i);
		g_autoptr(JsonNode) bp = media_call(f, "POST", "/api/v1/bridge-points",
						    f->d->admin_token, body, 201);
		gint64 id = json_object_get_int_member(json_node_get_object(bp), "id");
		g_autofree char *op = cb_test_daemon_issue_token(f->d, CB_ROLE_OPERATOR, id, 0, 0);
		g_autofree char *expected_id = g_strdup_printf("bp-%" G_GINT64_FORMAT, id);

		g_free(check_created(f, "whip", NULL, op, whip_offer, expected_id));
	}
	for (guint i = 0; i < PER_OWNER; i++)
		g_free(check_created(f, "whep", NULL, f->staff, offer, "s"));
	r = expect(f, "POST", whep, f->staff, "application/sdp", offer, 413, "too_large");
	g_assert_nonnull(strstr(r.body, "at most " G_STRINGIFY(PER_OWNER) " peers"));
	cb_test_reply_clear(&r);
	g_free(check_created(f, "whep", NULL, f->staff2, offer, "s"));
}

/* ---- media: a WHEP viewer sees the floor a WHIP encoder feeds ---- */

static CbTestPeer *
http_peer(MediaFixture *f, CbTestPeer *peer, const char *path, const char *token, char **location)
{
	g_autofree char *offer = cb_test_peer_offer(peer, TRUE);
	g_auto(CbTestReply) r = expect(f, "POST", path, token, "application/sdp", offer, 201, NULL);

	cb_test_peer_set_answer(peer, r.body);
	*location = g_strdup(soup_message_headers_get_one(r.headers, "Location"));
	return peer;
}

static void
test_whep_sees_floor(MediaFixture *f, gconstpointer data)
{
	g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
	const char *bp0 = f->bp_id[0];
	g_autofree char *whip = route("whip", f->session, NULL);
	g_autofree char *whep = route("whep", f->session, NULL);
	g_autofree char *query = g_strdup_printf("?slot=%s", bp0);
	g_autofree char *whep_bp = route("whep", f->session, query);
	g_autofree char *encoder_at = NULL, *viewer_at = NULL, *direct_at = NULL;
	g_autoptr(CbTestPeer) encoder = cb_test_peer_new_publisher("encoder", 160, 30);
	g_autoptr(CbTestPeer) viewer = cb_test_peer_new_subscriber("viewer");
	g_autoptr(CbTestPeer) direct = cb_test_peer_new_subscriber("direct");
	g_autoptr(JsonObject) floor = NULL;
	g_autoptr(JsonObject) joined = NULL;
	g_autoptr(JsonObject) left = NULL;
	g_auto(CbTestReply) r = {0};

	cb_test_sig_send(staff, "{\"type\":\"subscribe\",\"session_id\":%" G_GINT64_FORMAT "}",
			 f->session);
	json_object_unref(cb_test_sig_wait(staff, "subscribed", NULL, NULL));
	http_peer(f, encoder, whip, f->op[0], &encoder_at);
	cb_test_sig_send(staff,
			 "{\"type\":\"floor\",\"session_id\":%" G_GINT64_FORMAT ",\"peer\":\"%s\"}",
			 f->session, bp0);
	floor = cb_test_sig_wait(staff, "floor-changed", "peer", bp0);

	/* the floor (the default slot) and the bridge point itself */
	http_peer(f, viewer, whep, f->staff, &viewer_at);
	joined = cb_test_sig_wait(staff, "peer", "kind", "viewer");
	g_assert_cmpstr(json_object_get_string_member(joined, "via"), ==, "whep");
	g_assert_cmpstr(json_object_get_string_member(joined, "slot"), ==, "floor");
	http_peer(f, direct, whep_bp, f->staff, &direct_at);
	WAIT_UNTIL(cb_test_peer_frames_at(viewer, 160) > 5 && cb_test_peer_audio(viewer) > 0);
	WAIT_UNTIL(cb_test_peer_frames_at(direct, 160) > 5);

	/* DELETE: the viewer leaves the room */
	cb_test_sig_clear_events(staff);
	r = expect(f, "DELETE", viewer_at, f->staff, NULL, NULL, 200, NULL);
	left = cb_test_sig_wait(staff, "peer", "event", "left");
	g_assert_cmpstr(json_object_get_string_member(left, "via"), ==, "whep");
	g_assert_cmpstr(json_object_get_string_member(left, "slot"), ==, "floor");
	g_assert_cmpstr(json_object_get_string_member(left, "reason"), ==, "left");
	g_assert_cmpuint(cb_test_peer_frames_at(direct, 160), >, 5);
}

/* ---- the WebSocket's join hands out the same servers ---- */

static void
test_ws_ice_servers(MediaFixture *f, gconstpointer data)
{
	g_autoptr(CbTestSig) op = cb_test_sig_connect(f->d, f->op[1]);
	g_autoptr(JsonObject) joined = cb_test_sig_join(op, f->session, "publisher", NULL, "cam");
	const char *bp1 = f->bp_id[1];
	JsonArray *servers;
	JsonObject *stun, *turn;
	g_autofree char *id = NULL;

	g_assert_cmpstr(json_object_get_string_member(joined, "type"), ==, "joined");
	servers = json_object_get_array_member(joined, "ice_servers");
	g_assert_cmpuint(json_array_get_length(servers), ==, 2);
	stun = json_array_get_object_element(servers, 0);
	g_assert_cmpstr(json_object_get_string_member(stun, "urls"), ==,
			"stun:stun.example.org:3478");
	g_assert_cmpuint(json_object_get_size(stun), ==, 1);
	turn = json_array_get_object_element(servers, 1);
	g_assert_cmpstr(json_object_get_string_member(turn, "urls"), ==,
			"turn:turn.example.org:3478?transport=udp");
	id = check_turn_credential(json_object_get_string_member(turn, "username"),
				   json_object_get_string_member(turn, "credential"), SECRET, TTL);
	g_assert_cmpstr(id, ==, bp1);
}

/* ---- SIGHUP: new secret, new lifetime ---- */

static void
test_turn_reload(MediaFixture *f, gconstpointer data)
{
	g_autofree char *offer = viewer_offer();
	g_autofree char *path = route("whep", f->session, NULL);
	g_autofree char *ready = NULL;
	g_autoptr(GPtrArray) all = NULL;
	g_autofree char *username = NULL, *credential = NULL, *id = NULL;
	g_auto(CbTestReply) r = {0};

	cb_test_daemon_set_config(f->d, "[media]\nice-addresses=127.0.0.1\n"
					"turn-servers=turns:turn.example.org:5349\n"
					"turn-secret=rotated-secret\n"
					"turn-credential-ttl-seconds=600\n");
	g_subprocess_send_signal(f->d->process, SIGHUP);
	ready = cb_test_daemon_wait_notify(f->d, "Configuration reloaded", 20000);
	g_assert_nonnull(ready);
	r = expect(f, "POST", path, f->staff, "application/sdp", offer, 201, NULL);
	all = links(&r);
	g_assert_cmpuint(all->len, ==, 1);
	g_assert_true(g_str_has_prefix(g_ptr_array_index(all, 0),
				       "<turns:turn.example.org:5349>; rel=\"ice-server\"; "));
	username = link_param(g_ptr_array_index(all, 0), "username");
	credential = link_param(g_ptr_array_index(all, 0), "credential");
	id = check_turn_credential(username, credential, "rotated-secret", 600);
	g_assert_true(g_str_has_prefix(id, "s"));
}

/* ---- a real TURN server (coturn) takes the credentials ---- */

typedef struct {
	GSubprocess *process;
	GDataInputStream *out;
	GString *log;
	gboolean eof;
	guint16 port;
	char *dir;
} Turn;

static void
turn_read_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Turn *turn = user_data;
	g_autofree char *line = g_data_input_stream_read_line_finish(turn->out, result, NULL, NULL);

	if (line == NULL) {
		turn->eof = TRUE;
		return;
	}
	g_string_append_printf(turn->log, "%s\n", line);
	g_data_input_stream_read_line_async(turn->out, G_PRIORITY_DEFAULT, NULL, turn_read_cb,
					    turn);
}

static guint16
free_udp_port(void)
{
	g_autoptr(GSocket) socket =
		g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, 0, NULL);
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new(loopback, 0);
	g_autoptr(GSocketAddress) bound = NULL;

	g_assert_true(g_socket_bind(socket, any, FALSE, NULL));
	bound = g_socket_get_local_address(socket, NULL);
	return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

/* turnserver on 127.0.0.1 checking TURN REST credentials against @secret */
static Turn *
turn_start(const char *secret)
{
	Turn *turn = g_new0(Turn, 1);
	g_autoptr(GError) error = NULL;
	g_autofree char *port = NULL, *auth = NULL, *pid = NULL, *db = NULL;

	turn->dir = g_dir_make_tmp("cb-turn-XXXXXX", &error);
	g_assert_no_error(error);
	turn->port = free_udp_port();
	port = g_strdup_printf("--listening-port=%u", turn->port);
	auth = g_strdup_printf("--static-auth-secret=%s", secret);
	pid = g_strdup_printf("--pidfile=%s/turnserver.pid", turn->dir);
	db = g_strdup_printf("--userdb=%s/turndb", turn->dir);
	turn->process = g_subprocess_new(
		G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE, &error,
		"turnserver", "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", port,
		"--use-auth-secret", auth, "--realm=civic-bridge.test", "--no-tls", "--no-dtls",
		"--no-cli", "--allow-loopback-peers", "--simple-log", "--log-file=stdout", pid, db,
		NULL);
	g_assert_no_error(error);
	turn->log = g_string_new(NULL);
	turn->out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(turn->process));
	g_data_input_stream_read_line_async(turn->out, G_PRIORITY_DEFAULT, NULL, turn_read_cb,
					    turn);
	/* its listeners are up once it has made its servers */
	WAIT_UNTIL(strstr(turn->log->str, "Total General servers") != NULL || turn->eof);
	g_assert_false(turn->eof);
	return turn;
}

static void
turn_stop(Turn *turn)
{

	g_subprocess_send_signal(turn->process, SIGTERM);
	WAIT_UNTIL(turn->eof);
	g_subprocess_wait(turn->process, NULL, NULL);
	g_object_unref(turn->out);
	g_object_unref(turn->process);
	g_string_free(turn->log, TRUE);
	for (guint i = 0; i < 2; i++) {
		static const char *const files[] = {"turnserver.pid", "turndb"};
		g_autofree char *path = g_build_filename(turn->dir, files[i], NULL);
		g_unlink(path);
	}
	g_rmdir(turn->dir);
	g_free(turn->dir);
	g_free(turn);
}

static void
turn_client_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_subprocess_wait_finish(G_SUBPROCESS(source), result, NULL);
	*(gboolean *)user_data = TRUE;
}

/* turnutils_uclient allocates a relay and sends through it; its exit status */
static gint
turn_client(Turn *turn, const char *username, const char *credential)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *port = g_strdup_printf("%u", turn->port);
	g_autoptr(GSubprocess) client = g_subprocess_new(
		G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
		"turnutils_uclient", "-u", username, "-w", credential, "-p", port, "-n", "1", "-m",
		"1", "-y", "-c", "127.0.0.1", NULL);
	gboolean done = FALSE;

	g_assert_no_error(error);
	g_subprocess_wait_async(client, NULL, turn_client_done_cb, &done);
	CB_TEST_WAIT_UNTIL_MS(done, 60000);
	return g_subprocess_get_if_exited(client) ? g_subprocess_get_exit_status(client) : -1;
}

/* coturn's relay is ready once a client allocates through it: the daemon's
 * own allocation then comes within its gathering wait */
static void
turn_wait_ready(Turn *turn)
{
	g_autofree char *username = g_strdup_printf("%" G_GINT64_FORMAT ":probe",
						    g_get_real_time() / G_USEC_PER_SEC + 600);
	g_autofree char *credential = expected_credential(SECRET, username);
	gint status = -1;

	for (guint i = 0; i < 20 && status != 0; i++) {
		status = turn_client(turn, username, credential);
		if (status != 0)
			g_usleep(250 * 1000);
	}
	g_assert_cmpint(status, ==, 0);
}

static void
test_coturn_takes_credentials(void)
{
	MediaFixture fixture = {0}, *f = &fixture;
	Turn *turn;
	g_autofree char *config = NULL;
	g_autofree char *offer = viewer_offer();
	g_autofree char *path = NULL;
	g_autoptr(GPtrArray) all = NULL;
	g_autofree char *username = NULL, *credential = NULL, *id = NULL, *wrong = NULL;
	g_auto(CbTestReply) r = {0};

	if (g_find_program_in_path("turnserver") == NULL ||
	    g_find_program_in_path("turnutils_uclient") == NULL) {
		g_test_skip("coturn is not installed (tools/install-deps installs it)");
		return;
	}
	turn = turn_start(SECRET);
	turn_wait_ready(turn);
	config = g_strdup_printf("[media]\nice-addresses=127.0.0.1\n"
				 "turn-servers=turn:127.0.0.1:%u?transport=udp\n"
				 "turn-secret=" SECRET "\nturn-for-daemon=true\n",
				 turn->port);
	fixture_setup(f, config);
	path = route("whep", f->session, NULL);

	/* the daemon's own peer relays through it with a credential of its own */
	r = expect(f, "POST", path, f->staff, "application/sdp", offer, 201, NULL);
	g_assert_nonnull(strstr(r.body, " typ relay"));

	/* what a client is handed works; the same with a wrong credential does not */
	all = links(&r);
	g_assert_cmpuint(all->len, ==, 1);
	username = link_param(g_ptr_array_index(all, 0), "username");
	credential = link_param(g_ptr_array_index(all, 0), "credential");
	id = check_turn_credential(username, credential, SECRET, 86400);
	g_assert_cmpint(turn_client(turn, username, credential), ==, 0);
	wrong = expected_credential("not-" SECRET, username);
	g_assert_cmpint(turn_client(turn, username, wrong), !=, 0);

	media_fixture_teardown(f, NULL);
	turn_stop(turn);
}

int
main(int argc, char **argv)
{
	gst_init(&argc, &argv);
	g_test_init(&argc, &argv, NULL);
	g_test_add("/civic-bridge/whip-whep/whip-statuses", MediaFixture, NULL, fixture_setup,
		   test_whip_statuses, media_fixture_teardown);
	g_test_add("/civic-bridge/whip-whep/whep-statuses", MediaFixture, NULL, fixture_setup,
		   test_whep_statuses, media_fixture_teardown);
	g_test_add("/civic-bridge/whip-whep/room-full", MediaFixture,
		   BASE_CONFIG "max-peers=2\nmax-peers-per-connection=2\n", fixture_setup,
		   test_room_full, media_fixture_teardown);
	g_test_add("/civic-bridge/whip-whep/peers-per-owner", MediaFixture,
		   BASE_CONFIG "max-peers-per-connection=" G_STRINGIFY(PER_OWNER) "\n",
		   fixture_setup, test_peers_per_owner, media_fixture_teardown);
	g_test_add("/civic-bridge/whip-whep/whep-sees-floor", MediaFixture, NULL, fixture_setup,
		   test_whep_sees_floor, media_fixture_teardown);
	g_test_add("/civic-bridge/whip-whep/ws-ice-servers", MediaFixture, NULL, fixture_setup,
		   test_ws_ice_servers, media_fixture_teardown);
	g_test_add("/civic-bridge/whip-whep/turn-reload", MediaFixture, NULL, fixture_setup,
		   test_turn_reload, media_fixture_teardown);
	g_test_add_func("/civic-bridge/whip-whep/coturn-takes-credentials",
			test_coturn_takes_credentials);
	return g_test_run();
}
