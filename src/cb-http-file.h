/* civic-bridge: a file as a response body, streamed */
#pragma once

#include "civic-bridge/cb-http-route.h"

G_BEGIN_DECLS

/* answers 200 with the file at @path as the body, @content_type, and a
 * Content-Length of its size; the file is read a chunk at a time, the next
 * only once the last is written, so a large file never sits in memory.
 * FALSE (nothing answered) when the file cannot be opened. */
gboolean cb_http_reply_file(CbHttpRequest *request, const char *path, const char *content_type,
			    GError **error);

G_END_DECLS
