/* civic-bridge: closing HTTP connections that wait too long or that the
 * client has left, on libsoup 3.2 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* a request has started on @msg's connection: if it is not complete within
 * @seconds the connection is shut down */
void cb_http_idle_watch_request(SoupServerMessage *msg, guint seconds);

/* the whole request has arrived: no more deadline on its connection */
void cb_http_idle_disarm(SoupServerMessage *msg);

/* @msg was answered and its connection is kept alive for the next request:
 * the connection is closed when the client leaves or after @seconds idle */
void cb_http_idle_watch_between_requests(SoupServerMessage *msg, guint seconds);

G_END_DECLS
