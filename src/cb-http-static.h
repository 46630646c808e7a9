/* civic-bridge: the web pages and scripts built into the daemon (GResource
 * data/web/), served under /web/ */
#pragma once

#include "civic-bridge/cb-http-route.h"

G_BEGIN_DECLS

/* where the pages live, and where "/" sends a browser */
#define CB_HTTP_STATIC_PREFIX "/web/"

/* the Content-Security-Policy of every page: only this origin's scripts,
 * styles and connections (the WebSocket included); media from cameras and
 * peer connections need no source */
#define CB_HTTP_STATIC_CSP                                                                         \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "          \
	"media-src 'self' blob: mediastream:; connect-src 'self'; form-action 'self'; "            \
	"base-uri 'none'; frame-ancestors 'none'"

/* GET and HEAD /web/{path*}: a file of the resource; a path ending in "/"
 * (or empty) is its index.html */
void cb_http_static_get(CbHttpRequest *request);

/* GET and HEAD /: a redirect to CB_HTTP_STATIC_PREFIX */
void cb_http_static_root(CbHttpRequest *request);

/* the Content-Type of a file name by its extension */
const char *cb_http_static_content_type(const char *name);

G_END_DECLS
