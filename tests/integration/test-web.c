/*
 * The web pages served by the real daemon (src/cb-http-static.c): every file
 * of the resource with its type and security headers, revalidation, HEAD,
 * and the refusals (unknown files, escapes, other methods).
 */
#include <libsoup/soup.h>
#include <string.h>

#include "cb-test-daemon.h"
#include "cb-web-resources.h"

typedef struct {
	CbTestDaemon *d;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->d = cb_test_daemon_new();
	if (!cb_test_daemon_start(f->d, &error))
		g_error("daemon did not start: %s", error->message);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	cb_test_daemon_free(f->d);
}

/* one request; the answer's body in *@body; redirects are not followed */
static SoupMessage *
request(Fixture *f, const char *method, const char *path, const char *if_none_match, GBytes **body)
{
	g_autoptr(SoupSession) session = soup_session_new_with_options("timeout", 10, NULL);
	g_autofree char *uri = g_strconcat(f->d->url, path, NULL);
	SoupMessage *msg = soup_message_new(method, uri);
	g_autoptr(GError) error = NULL;
	GBytes *answer;

	g_assert_nonnull(msg);
	soup_message_add_flags(msg, SOUP_MESSAGE_NO_REDIRECT);
	if (if_none_match != NULL)
		soup_message_headers_replace(soup_message_get_request_headers(msg), "If-None-Match",
					     if_none_match);
	if (g_str_equal(method, "POST"))
		soup_message_set_request_body_from_bytes(msg, "text/plain",
							 g_bytes_new_static("x", 1));
	answer = soup_session_send_and_read(session, msg, NULL, &error);
	g_assert_no_error(error);
	if (body != NULL)
		*body = answer;
	else
		g_bytes_unref(answer);
	return msg;
}

static const char *
header(SoupMessage *msg, const char *name)
{
	return soup_message_headers_get_one(soup_message_get_response_headers(msg), name);
}

static void
assert_page_headers(SoupMessage *msg)
{
	const char *csp = header(msg, "Content-Security-Policy");

	g_assert_cmpstr(header(msg, "X-Content-Type-Options"), ==, "nosniff");
	g_assert_cmpstr(header(msg, "Cache-Control"), ==, "no-cache");
	g_assert_cmpstr(header(msg, "Referrer-Policy"), ==, "no-referrer");
	g_assert_nonnull(header(msg, "ETag"));
	g_assert_nonnull(csp);
	g_assert_nonnull(strstr(csp, "default-src 'none'"));
	g_assert_nonnull(strstr(csp, "script-src 'self';"));
	g_assert_nonnull(strstr(csp, "connect-src 'self'"));
	g_assert_null(strstr(csp, "unsafe-inline"));
	g_assert_null(strstr(csp, "unsafe-eval"));
}

/* a page runs no inline script (the CSP would block it): every <script> has src */
static void
assert_no_inline_script(const char *name, const char *html)
{
	for (const char *p = strstr(html, "<script"); p != NULL; p = strstr(p + 1, "<script")) {
		const char *end = strchr(p, '>');
		g_autofree char *tag = g_strndup(p, end != NULL ? (gsize)(end - p) : strlen(p));
		if (strstr(tag, " src=") == NULL)
			g_error("%s has an inline script: %s", name, tag);
	}
	g_assert_null(strstr(html, " onclick="));
	g_assert_null(strstr(html, " onload="));
}

static void
collect_files(const char *dir, const char *prefix, GPtrArray *files)
{
	g_auto(GStrv) children = g_resource_enumerate_children(cb_web_get_resource(), dir, 0, NULL);

	if (children == NULL)
		g_error("the resource has no folder %s", dir);
	for (guint i = 0; children[i] != NULL; i++) {
		g_autofree char *path = g_strconcat(dir, children[i], NULL);
		g_autofree char *rel = g_strconcat(prefix, children[i], NULL);
		if (g_str_has_suffix(children[i], "/"))
			collect_files(path, rel, files);
		else
			g_ptr_array_add(files, g_steal_pointer(&rel));
	}
}

static const char *
expected_type(const char *name)
{
	if (g_str_has_suffix(name, ".html"))
		return "text/html; charset=utf-8";
	if (g_str_has_suffix(name, ".js"))
		return "text/javascript; charset=utf-8";
	if (g_str_has_suffix(name, ".css"))
		return "text/css; charset=utf-8";
	g_error("%s: a file of an unexpected type in the resource", name);
	return NULL;
}

/* every file built in is served with its type and the page headers */
static void
test_every_file(Fixture *f, gconstpointer data)
{
	g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);

	collect_files("/org/civic-bridge/web/", "", files);
	g_assert_cmpuint(files->len, >=, 8);
	for (guint i = 0; i < files->len; i++) {
		const char *name = g_ptr_array_index(files, i);
		g_autofree char *path = g_strconcat("/web/", name, NULL);
		g_autoptr(GBytes) body = NULL;
		g_autoptr(SoupMessage) msg = request(f, "GET", path, NULL, &body);
		g_autofree char *text =
			g_strndup(g_bytes_get_data(body, NULL), g_bytes_get_size(body));

		g_test_message("%s", path);
		g_assert_cmpuint(soup_message_get_status(msg), ==, 200);
		g_assert_cmpstr(header(msg, "Content-Type"), ==, expected_type(name));
		assert_page_headers(msg);
		g_assert_cmpuint(g_bytes_get_size(body), >, 0);
		if (g_str_has_suffix(name, ".html"))
			assert_no_inline_script(name, text);
	}
}

static void
test_client_and_pages(Fixture *f, gconstpointer data)
{
	g_autoptr(GBytes) js = NULL;
	g_autoptr(GBytes) hall = NULL;
	g_autoptr(GBytes) index = NULL;
	g_autoptr(SoupMessage) a = request(f, "GET", "/web/civic-bridge-client.js", NULL, &js);
	g_autoptr(SoupMessage) b = request(f, "GET", "/web/test/hall.html", NULL, &hall);
	g_autoptr(SoupMessage) c = request(f, "GET", "/web/", NULL, &index);
	g_autoptr(SoupMessage) root = request(f, "GET", "/", NULL, NULL);
	g_autoptr(SoupMessage) head = request(f, "HEAD", "/", NULL, NULL);

	g_assert_cmpuint(soup_message_get_status(a), ==, 200);
	g_assert_nonnull(g_strstr_len(g_bytes_get_data(js, NULL), g_bytes_get_size(js),
				      "export class CivicBridgeClient"));
	g_assert_nonnull(g_strstr_len(g_bytes_get_data(hall, NULL), g_bytes_get_size(hall),
				      "<script type=\"module\" src=\"hall.js\">"));
	/* the folder's index.html */
	g_assert_cmpuint(soup_message_get_status(c), ==, 200);
	g_assert_nonnull(g_strstr_len(g_bytes_get_data(index, NULL), g_bytes_get_size(index),
				      "test/bridge-point.html"));
	/* "/" sends a browser to the pages */
	g_assert_cmpuint(soup_message_get_status(root), ==, 302);
	g_assert_true(g_str_has_suffix(header(root, "Location"), "/web/"));
	g_assert_cmpuint(soup_message_get_status(head), ==, 302);
}

/* the ETag of the content lets a browser revalidate; HEAD sends headers only */
static void
test_revalidation_and_head(Fixture *f, gconstpointer data)
{
	const char *path = "/web/civic-bridge-client.js";
	g_autoptr(GBytes) full = NULL;
	g_autoptr(GBytes) none = NULL;
	g_autoptr(GBytes) again = NULL;
	g_autoptr(SoupMessage) get = request(f, "GET", path, NULL, &full);
	g_autofree char *etag = g_strdup(header(get, "ETag"));
	g_autofree char *weak = g_strconcat("\"other\", W/", etag, NULL);
	g_autoptr(SoupMessage) same = request(f, "GET", path, etag, &none);
	g_autoptr(SoupMessage) same_weak = request(f, "GET", path, weak, NULL);
	g_autoptr(SoupMessage) other = request(f, "GET", path, "\"0123\"", &again);
	g_autoptr(GBytes) head_body = NULL;
	g_autoptr(SoupMessage) head = request(f, "HEAD", path, NULL, &head_body);
	g_autofree char *length = g_strdup_printf("%" G_GSIZE_FORMAT, g_bytes_get_size(full));

	g_assert_cmpuint(soup_message_get_status(same), ==, 304);
	g_assert_cmpuint(g_bytes_get_size(none), ==, 0);
	g_assert_cmpstr(header(same, "ETag"), ==, etag);
	g_assert_cmpuint(soup_message_get_status(same_weak), ==, 304);
	g_assert_cmpuint(soup_message_get_status(other), ==, 200);
	g_assert_true(g_bytes_equal(full, again));
	g_assert_cmpuint(soup_message_get_status(head), ==, 200);
	g_assert_cmpuint(g_bytes_get_size(head_body), ==, 0);
	g_assert_cmpstr(header(head, "Content-Length"), ==, length);
	g_assert_cmpstr(header(head, "Content-Type"), ==, "text/javascript; charset=utf-8");
	assert_page_headers(head);
}

/* unknown files, escapes and hidden names: 404 in the API's error shape;
 * other methods: 405 with Allow; the daemon serves on */
static void
test_refusals(Fixture *f, gconstpointer data)
{
	const char *missing[] = {"/web/nope.html",
				 "/web/test/nope.js",
				 "/web/.hidden",
				 "/web/%2e%2e/%2e%2e/etc/passwd",
				 "/web//index.html",
				 "/web/test\\hall.html",
				 "/web",
				 "/favicon.ico",
				 "/web/civic-bridge-web.gresource.xml"};
	const char *malformed[] = {"/web/test%2F..%2F..%2Fmeson.build", "/web/a%00b"};
	const char *methods[] = {"POST", "PUT", "DELETE", "PATCH"};

	for (guint i = 0; i < G_N_ELEMENTS(missing); i++) {
		g_autoptr(GBytes) body = NULL;
		g_autoptr(SoupMessage) msg = request(f, "GET", missing[i], NULL, &body);

		g_test_message("%s", missing[i]);
		g_assert_cmpuint(soup_message_get_status(msg), ==, 404);
		g_assert_cmpstr(header(msg, "Content-Type"), ==, "application/json");
		g_assert_nonnull(g_strstr_len(g_bytes_get_data(body, NULL), g_bytes_get_size(body),
					      "\"code\":\"not_found\""));
	}
	/* an encoded slash or NUL: libsoup itself refuses them (400) */
	for (guint i = 0; i < G_N_ELEMENTS(malformed); i++) {
		g_autoptr(SoupMessage) msg = request(f, "GET", malformed[i], NULL, NULL);
		g_assert_cmpuint(soup_message_get_status(msg), >=, 400);
		g_assert_cmpuint(soup_message_get_status(msg), <, 500);
	}
	for (guint i = 0; i < G_N_ELEMENTS(methods); i++) {
		g_autoptr(SoupMessage) msg =
			request(f, methods[i], "/web/test/hall.html", NULL, NULL);
		g_assert_cmpuint(soup_message_get_status(msg), ==, 405);
		g_assert_cmpstr(header(msg, "Allow"), ==, "GET, HEAD");
	}
	g_assert_cmpuint(cb_test_http(f->d, "GET", "/healthz", NULL, NULL, NULL), ==, 200);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/civic-bridge/web/every-file", Fixture, NULL, fixture_setup, test_every_file,
		   fixture_teardown);
	g_test_add("/civic-bridge/web/client-and-pages", Fixture, NULL, fixture_setup,
		   test_client_and_pages, fixture_teardown);
	g_test_add("/civic-bridge/web/revalidation-and-head", Fixture, NULL, fixture_setup,
		   test_revalidation_and_head, fixture_teardown);
	g_test_add("/civic-bridge/web/refusals", Fixture, NULL, fixture_setup, test_refusals,
		   fixture_teardown);
	return g_test_run();
}
