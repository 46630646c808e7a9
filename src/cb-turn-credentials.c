#define G_LOG_DOMAIN "CbTurn"

/*
 * TURN REST credentials (draft-uberti-behave-turn-rest, coturn's
 * use-auth-secret): the daemon and the TURN server share a secret; a
 * credential is an expiry and a name, signed with it, so the TURN server
 * checks it without asking anyone and it stops working by itself.
 */

#include <string.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-turn-credentials.h"

struct _CbIceServers {
	char **client; /* [media] client-ice-servers, as they are */
	char **turn;   /* [media] turn-servers: each gets a credential */
	char *secret;
	guint ttl_seconds;
};

char *
cb_turn_username(gint64 expires, const char *id)
{
	return g_strdup_printf("%" G_GINT64_FORMAT ":%s", expires, id);
}

char *
cb_turn_credential(const char *secret, const char *username)
{
	g_autoptr(GHmac) hmac = g_hmac_new(G_CHECKSUM_SHA1, (const guchar *)secret, strlen(secret));
	guint8 digest[20];
	gsize len = sizeof(digest);

	g_hmac_update(hmac, (const guchar *)username, (gssize)strlen(username));
	g_hmac_get_digest(hmac, digest, &len);
	return g_base64_encode(digest, len);
}

char *
cb_turn_webrtcbin_uri(const char *uri, const char *username, const char *credential)
{
	const char *rest;
	const char *scheme;
	g_autofree char *user = NULL;
	g_autofree char *pass = NULL;

	if (g_str_has_prefix(uri, "turn:"))
		scheme = "turn";
	else if (g_str_has_prefix(uri, "turns:"))
		scheme = "turns";
	else
		return NULL;
	rest = uri + strlen(scheme) + 1;
	if (g_str_has_prefix(rest, "//"))
		rest += 2;
	if (rest[0] == '\0')
		return NULL;
	/* no reserved character may stay: webrtcbin splits the user info at
	 * the first ':', and a '/' or '@' of base64 would end it early */
	user = g_uri_escape_string(username, NULL, FALSE);
	pass = g_uri_escape_string(credential, NULL, FALSE);
	return g_strdup_printf("%s://%s:%s@%s", scheme, user, pass, rest);
}

void
cb_ice_server_free(CbIceServer *server)
{
	if (server == NULL)
		return;
	g_free(server->urls);
	g_free(server->username);
	g_free(server->credential);
	g_free(server);
}

/* the non-empty items of a comma-separated list */
static char **
cb_ice_servers_split(const char *list)
{
	g_auto(GStrv) items = g_strsplit(list != NULL ? list : "", ",", -1);
	GPtrArray *out = g_ptr_array_new();

	for (guint i = 0; items[i] != NULL; i++) {
		g_strstrip(items[i]);
		if (items[i][0] != '\0')
			g_ptr_array_add(out, g_strdup(items[i]));
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

gboolean
cb_ice_servers_check_uris(const char *list, gboolean turn_only, GError **error)
{
	g_auto(GStrv) uris = cb_ice_servers_split(list);

	for (guint i = 0; uris[i] != NULL; i++) {
		const char *uri = uris[i];
		gboolean turn = g_str_has_prefix(uri, "turn:") || g_str_has_prefix(uri, "turns:");
		gboolean stun = g_str_has_prefix(uri, "stun:") || g_str_has_prefix(uri, "stuns:");

		/* the URIs go into Link headers and JSON as they are */
		if ((!turn && (turn_only || !stun)) || strpbrk(uri, " \t\"<>\\;") != NULL ||
		    strchr(uri, ':')[1] == '\0' || !g_utf8_validate(uri, -1, NULL)) {
			g_set_error(error, CB_ERROR, CB_ERROR_CONFIG,
				    "'%s' is not a %s URI (such as %s), comma-separated", uri,
				    turn_only ? "TURN" : "STUN or TURN",
				    turn_only ? "turn:turn.example.org:3478?transport=udp"
					      : "stun:stun.example.org:3478");
			return FALSE;
		}
	}
	return TRUE;
}

CbIceServers *
cb_ice_servers_new(const CbConfig *config)
{
	CbIceServers *self = g_new0(CbIceServers, 1);

	self->client = cb_ice_servers_split(config->media_client_ice_servers);
	self->turn = cb_ice_servers_split(config->media_turn_servers);
	self->secret = g_strdup(config->media_turn_secret);
	self->ttl_seconds = config->media_turn_credential_ttl_seconds;
	return self;
}

void
cb_ice_servers_free(CbIceServers *self)
{
	if (self == NULL)
		return;
	g_strfreev(self->client);
	g_strfreev(self->turn);
	/* the secret does not linger in freed memory */
	if (self->secret != NULL)
		memset(self->secret, 0, strlen(self->secret));
	g_free(self->secret);
	g_free(self);
}

GPtrArray *
cb_ice_servers_for_peer(const CbIceServers *self, const char *id, gint64 now)
{
	GPtrArray *servers = g_ptr_array_new_with_free_func((GDestroyNotify)cb_ice_server_free);
	g_autofree char *username = NULL;
	g_autofree char *credential = NULL;

	if (self == NULL)
		return servers;
	for (guint i = 0; self->client[i] != NULL; i++) {
		CbIceServer *server = g_new0(CbIceServer, 1);
		server->urls = g_strdup(self->client[i]);
		g_ptr_array_add(servers, server);
	}
	if (self->turn[0] == NULL || self->secret == NULL)
		return servers;
	username = cb_turn_username(now + self->ttl_seconds, id);
	credential = cb_turn_credential(self->secret, username);
	for (guint i = 0; self->turn[i] != NULL; i++) {
		CbIceServer *server = g_new0(CbIceServer, 1);
		server->urls = g_strdup(self->turn[i]);
		server->username = g_strdup(username);
		server->credential = g_strdup(credential);
		g_ptr_array_add(servers, server);
	}
	return servers;
}
