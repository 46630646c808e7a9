#define G_LOG_DOMAIN "CbHttp"

/*
 * The web pages, scripts and styles compiled into the daemon from data/web/
 * (meson's gnome.compile_resources: one binary, nothing to install beside it,
 * no file system path a request could escape through). Every answer carries
 * the headers a page of a reception office needs: its type and nosniff, a
 * Content-Security-Policy allowing only this origin, no referrer (a token
 * lives in the fragment of the pages' URL), and `Cache-Control: no-cache`
 * with an ETag of the content, so a browser revalidates and an upgraded
 * daemon is never shadowed by an old cached script.
 */

#include <string.h>

#include "civic-bridge/cb-error.h"

#include "cb-http-static.h"
#include "cb-web-resources.h"

#define CB_HTTP_STATIC_RESOURCE_ROOT "/org/civic-bridge/web/"

static const struct {
	const char *suffix;
	const char *type;
} cb_http_static_types[] = {
	{".html", "text/html; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".mjs", "text/javascript; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".json", "application/json"},
	{".webmanifest", "application/manifest+json"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".ico", "image/x-icon"},
	{".woff2", "font/woff2"},
	{".txt", "text/plain; charset=utf-8"},
};

const char *
cb_http_static_content_type(const char *name)
{
	for (guint i = 0; i < G_N_ELEMENTS(cb_http_static_types); i++) {
		if (g_str_has_suffix(name, cb_http_static_types[i].suffix))
			return cb_http_static_types[i].type;
	}
	return "application/octet-stream";
}

/* the resource path of a request path, or NULL for one that names no file:
 * empty, "." or ".." segments, a backslash, a hidden file */
static char *
cb_http_static_resource_path(const char *path)
{
	g_auto(GStrv) segments = g_strsplit(path, "/", -1);
	guint n = g_strv_length(segments);

	for (guint i = 0; i < n; i++) {
		/* a trailing "/" names the folder's index.html */
		if (segments[i][0] == '\0' && i == n - 1)
			continue;
		if (segments[i][0] == '\0' || segments[i][0] == '.' ||
		    strchr(segments[i], '\\') != NULL)
			return NULL;
	}
	if (path[0] == '\0' || g_str_has_suffix(path, "/"))
		return g_strconcat(CB_HTTP_STATIC_RESOURCE_ROOT, path, "index.html", NULL);
	return g_strconcat(CB_HTTP_STATIC_RESOURCE_ROOT, path, NULL);
}

static void
cb_http_static_set_headers(SoupMessageHeaders *headers)
{
	soup_message_headers_replace(headers, "Cache-Control", "no-cache");
	soup_message_headers_replace(headers, "X-Content-Type-Options", "nosniff");
	soup_message_headers_replace(headers, "Content-Security-Policy", CB_HTTP_STATIC_CSP);
	soup_message_headers_replace(headers, "Referrer-Policy", "no-referrer");
	soup_message_headers_replace(headers, "Cross-Origin-Opener-Policy", "same-origin");
}

/* whether the client's If-None-Match names @etag (or is "*") */
static gboolean
cb_http_static_not_modified(SoupMessageHeaders *request_headers, const char *etag)
{
	const char *match = soup_message_headers_get_list(request_headers, "If-None-Match");
	g_auto(GStrv) tags = NULL;

	if (match == NULL)
		return FALSE;
	tags = g_strsplit(match, ",", -1);
	for (guint i = 0; tags[i] != NULL; i++) {
		const char *tag = g_strstrip(tags[i]);
		if (g_str_has_prefix(tag, "W/"))
			tag += 2;
		if (g_str_equal(tag, "*") || g_str_equal(tag, etag))
			return TRUE;
	}
	return FALSE;
}

void
cb_http_static_get(CbHttpRequest *request)
{
	const char *path = g_hash_table_lookup(request->params, "path");
	g_autofree char *resource = path != NULL ? cb_http_static_resource_path(path) : NULL;
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *sum = NULL;
	g_autofree char *etag = NULL;
	SoupMessageHeaders *headers = soup_server_message_get_response_headers(request->msg);

	if (resource != NULL)
		bytes = g_resource_lookup_data(cb_web_get_resource(), resource,
					       G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
	if (bytes == NULL) {
		g_set_error(&error, CB_ERROR, CB_ERROR_NOT_FOUND, "no page %s%s",
			    CB_HTTP_STATIC_PREFIX, path != NULL ? path : "");
		cb_http_reply_error(request, error);
		return;
	}
	sum = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, bytes);
	etag = g_strdup_printf("\"%.32s\"", sum);
	cb_http_static_set_headers(headers);
	soup_message_headers_replace(headers, "ETag", etag);
	if (cb_http_static_not_modified(soup_server_message_get_request_headers(request->msg),
					etag)) {
		soup_server_message_set_status(request->msg, SOUP_STATUS_NOT_MODIFIED, NULL);
		return;
	}
	soup_server_message_set_status(request->msg, SOUP_STATUS_OK, NULL);
	/* libsoup sends the headers alone (Content-Length kept) for HEAD */
	soup_server_message_set_response(request->msg, cb_http_static_content_type(resource),
					 SOUP_MEMORY_COPY, g_bytes_get_data(bytes, NULL),
					 g_bytes_get_size(bytes));
}

void
cb_http_static_root(CbHttpRequest *request)
{
	SoupMessageHeaders *headers = soup_server_message_get_response_headers(request->msg);

	soup_message_headers_replace(headers, "Cache-Control", "no-cache");
	soup_server_message_set_redirect(request->msg, SOUP_STATUS_FOUND, CB_HTTP_STATIC_PREFIX);
}
