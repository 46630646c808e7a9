/* TURN REST credentials (coturn use-auth-secret) and the ICE servers clients get */
#include <string.h>

#include "civic-bridge/cb-config.h"
#include "civic-bridge/cb-turn-credentials.h"

/* vectors from `printf %s USERNAME | openssl dgst -sha1 -hmac SECRET -binary | base64` */
static void
test_credential_known_vectors(void)
{
	g_autofree char *username = cb_turn_username(1795000000, "bp-3");
	g_autofree char *credential = cb_turn_credential("civic-bridge-turn-secret", username);
	g_autofree char *other = cb_turn_credential("a", "1700000000:s17");
	g_autofree char *wrong = cb_turn_credential("civic-bridge-turn-secreT", username);

	g_assert_cmpstr(username, ==, "1795000000:bp-3");
	g_assert_cmpstr(credential, ==, "quAkKrXs+3RMmIbrn/VSMzA303w=");
	g_assert_cmpstr(other, ==, "NW5oBZzLLFXlWCkktkDmpOJ5d98=");
	g_assert_cmpstr(wrong, !=, credential);
}

/* webrtcbin splits user info at the first ':' and ends it at '/' or '@' */
static void
test_webrtcbin_uri_escapes(void)
{
	g_autofree char *udp =
		cb_turn_webrtcbin_uri("turn:127.0.0.1:3478?transport=udp", "1795000000:bp-3",
				      "quAkKrXs+3RMmIbrn/VSMzA303w=");
	g_autofree char *tls = cb_turn_webrtcbin_uri("turns://turn.example.org:5349", "1:s1", "a=");
	g_autofree char *stun = cb_turn_webrtcbin_uri("stun:stun.example.org", "u", "p");
	g_autofree char *empty = cb_turn_webrtcbin_uri("turn:", "u", "p");

	g_assert_cmpstr(udp, ==,
			"turn://1795000000%3Abp-3:quAkKrXs%2B3RMmIbrn%2FVSMzA303w%3D@127.0.0.1:3478"
			"?transport=udp");
	g_assert_cmpstr(tls, ==, "turns://1%3As1:a%3D@turn.example.org:5349");
	g_assert_null(stun);
	g_assert_null(empty);
}

static void
test_servers_for_peer(void)
{
	g_autoptr(CbConfig) config = cb_config_new_defaults();
	g_autoptr(CbIceServers) servers = NULL;
	g_autoptr(GPtrArray) list = NULL;
	g_autoptr(GPtrArray) none = NULL;
	const CbIceServer *turn;
	g_autofree char *expected = NULL;

	g_assert_cmpuint(config->media_turn_credential_ttl_seconds, ==, 86400);
	config->media_client_ice_servers = g_strdup(" stun:stun.example.org:3478 ,");
	config->media_turn_servers =
		g_strdup("turn:turn.example.org:3478?transport=udp, turns:turn.example.org:5349");
	config->media_turn_secret = g_strdup("civic-bridge-turn-secret");
	config->media_turn_credential_ttl_seconds = 600;
	servers = cb_ice_servers_new(config);
	list = cb_ice_servers_for_peer(servers, "bp-3", 1794999400);
	g_assert_cmpuint(list->len, ==, 3);
	g_assert_cmpstr(((CbIceServer *)list->pdata[0])->urls, ==, "stun:stun.example.org:3478");
	g_assert_null(((CbIceServer *)list->pdata[0])->username);
	g_assert_null(((CbIceServer *)list->pdata[0])->credential);
	turn = list->pdata[1];
	g_assert_cmpstr(turn->urls, ==, "turn:turn.example.org:3478?transport=udp");
	/* expires after the TTL, names the peer by its room id */
	g_assert_cmpstr(turn->username, ==, "1795000000:bp-3");
	g_assert_cmpstr(turn->credential, ==, "quAkKrXs+3RMmIbrn/VSMzA303w=");
	g_assert_cmpstr(((CbIceServer *)list->pdata[2])->urls, ==, "turns:turn.example.org:5349");
	expected = g_strdup(turn->credential);
	g_assert_cmpstr(((CbIceServer *)list->pdata[2])->credential, ==, expected);

	/* nothing configured: nothing handed out */
	none = cb_ice_servers_for_peer(NULL, "bp-3", 0);
	g_assert_cmpuint(none->len, ==, 0);
}

static void
test_check_uris(void)
{
	static const struct {
		const char *list;
		gboolean turn_only;
		gboolean ok;
	} cases[] = {
		{"", TRUE, TRUE},
		{"turn:a.example.org:3478?transport=udp,turns:a.example.org", TRUE, TRUE},
		{"stun:a.example.org:3478, turn:b.example.org", FALSE, TRUE},
		{"stun:a.example.org:3478", TRUE, FALSE},
		{"http://a.example.org", FALSE, FALSE},
		{"turn:", TRUE, FALSE},
		{"turn:a.example.org>; rel=\"x\"", TRUE, FALSE},
		{"turn:a.example.org b", TRUE, FALSE},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		gboolean ok = cb_ice_servers_check_uris(cases[i].list, cases[i].turn_only, &error);

		if (ok != cases[i].ok)
			g_error("'%s': %s", cases[i].list, ok ? "taken" : error->message);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/civic-bridge/turn-credentials/known-vectors",
			test_credential_known_vectors);
	g_test_add_func("/civic-bridge/turn-credentials/webrtcbin-uri", test_webrtcbin_uri_escapes);
	g_test_add_func("/civic-bridge/turn-credentials/servers-for-peer", test_servers_for_peer);
	g_test_add_func("/civic-bridge/turn-credentials/check-uris", test_check_uris);
	return g_test_run();
}
