#define G_LOG_DOMAIN "CbHttp"

/* The address a request comes from, for the rate limits. Behind a reverse
 * proxy every client would share the proxy's address (and one client's bad
 * tokens would lock everyone out), so a proxy listed in [server]
 * trusted-proxies is believed about X-Forwarded-For: the list is read from
 * the right (the hop nearest to us), skipping trusted proxies; the first
 * address that is not one is the client. Anything unparsable falls back to
 * the last trustworthy hop, never to a client-chosen string. */

#include "config.h"

#include <string.h>

#include "civic-bridge/cb-http-route.h"

static gboolean
cb_http_is_trusted(const char *address, const char *trusted_proxies)
{
	g_autoptr(GInetAddress) wanted = g_inet_address_new_from_string(address);
	g_auto(GStrv) proxies = NULL;

	if (wanted == NULL || trusted_proxies == NULL || trusted_proxies[0] == '\0')
		return FALSE;
	proxies = g_strsplit(trusted_proxies, ",", -1);
	for (guint i = 0; proxies[i] != NULL; i++) {
		g_autoptr(GInetAddress) proxy =
			g_inet_address_new_from_string(g_strstrip(proxies[i]));
		if (proxy != NULL && g_inet_address_equal(proxy, wanted))
			return TRUE;
	}
	return FALSE;
}

char *
cb_http_client_address(SoupServerMessage *msg, const CbConfig *config)
{
	const char *peer = soup_server_message_get_remote_host(msg);
	const char *forwarded;
	g_auto(GStrv) hops = NULL;
	char *client;

	if (peer == NULL)
		return g_strdup("unknown");
	client = g_strdup(peer);
	if (!cb_http_is_trusted(peer, config->trusted_proxies))
		return client;
	forwarded = soup_message_headers_get_list(soup_server_message_get_request_headers(msg),
						  "X-Forwarded-For");
	if (forwarded == NULL)
		return client;
	hops = g_strsplit(forwarded, ",", -1);
	for (guint i = g_strv_length(hops); i > 0; i--) {
		const char *hop = g_strstrip(hops[i - 1]);
		g_autoptr(GInetAddress) parsed = g_inet_address_new_from_string(hop);

		if (parsed == NULL)
			break;
		g_free(client);
		client = g_inet_address_to_string(parsed);
		if (!cb_http_is_trusted(client, config->trusted_proxies))
			break;
	}
	return client;
}
