/* civic-bridge: STUN and TURN servers for clients and for the daemon's own
 * peers, with TURN REST credentials (coturn's use-auth-secret) */
#pragma once

#include <glib.h>

#include "civic-bridge/cb-config.h"

G_BEGIN_DECLS

/**
 * cb_turn_username:
 * @expires: when the credential stops working, in Unix seconds
 * @id: a non-personal name for who uses it (a room peer id such as "bp-3");
 *   never a person's name
 *
 * Returns: "<expires>:<id>", the username coturn checks the expiry of
 */
char *cb_turn_username(gint64 expires, const char *id);

/**
 * cb_turn_credential:
 * @secret: the secret shared with the TURN server (coturn static-auth-secret)
 * @username: from cb_turn_username()
 *
 * Returns: base64(HMAC-SHA1(@secret, @username)), the password coturn expects
 */
char *cb_turn_credential(const char *secret, const char *username);

/**
 * cb_turn_webrtcbin_uri:
 * @uri: a client TURN URI (RFC 7065): "turn:host:port?transport=udp" or
 *   "turns:host:port"
 *
 * Returns: (nullable): the form webrtcbin's `turn-server` property takes,
 *   "turn://user:pass@host:port", with the username and password
 *   percent-encoded (the username holds a ':'); NULL for a URI that is not
 *   turn: or turns:
 */
char *cb_turn_webrtcbin_uri(const char *uri, const char *username, const char *credential);

/**
 * CbIceServer:
 * @urls: a stun:, stuns:, turn: or turns: URI
 * @username: (nullable): TURN only
 * @credential: (nullable): TURN only
 *
 * One entry as a browser's RTCPeerConnection takes it (RTCIceServer).
 */
typedef struct {
	char *urls;
	char *username;
	char *credential;
} CbIceServer;

void cb_ice_server_free(CbIceServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbIceServer, cb_ice_server_free)

/* the [media] keys that say which servers clients get; immutable once made */
typedef struct _CbIceServers CbIceServers;

CbIceServers *cb_ice_servers_new(const CbConfig *config);
void cb_ice_servers_free(CbIceServers *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbIceServers, cb_ice_servers_free)

/**
 * cb_ice_servers_for_peer:
 * @self: (nullable): no servers when NULL
 * @id: the room peer id the TURN credentials name
 * @now: the time in Unix seconds
 *
 * The client ICE servers ([media] client-ice-servers, as they are) and the
 * TURN servers ([media] turn-servers) with a credential for @id valid until
 * @now + turn-credential-ttl-seconds.
 *
 * Returns: (transfer full) (element-type CbIceServer): the servers
 */
GPtrArray *cb_ice_servers_for_peer(const CbIceServers *self, const char *id, gint64 now);

/* whether @list is comma-separated STUN or TURN URIs (only TURN when
 * @turn_only) without spaces, quotes or angle brackets; empty is fine */
gboolean cb_ice_servers_check_uris(const char *list, gboolean turn_only, GError **error);

G_END_DECLS
