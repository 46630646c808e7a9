#define G_LOG_DOMAIN "CbCtl"

#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-json.h"

#include "cb-ctl.h"

/* long enough for a slow store, short enough that a script does not hang */
#define CB_CTL_TIMEOUT_S 30

struct _CbCtlClient {
	SoupSession *session;
	char *base;          /* the URL without a trailing '/' */
	char *shown;         /* the URL for messages: any password hidden */
	char *authorization; /* "Bearer ..." or NULL */
};

void
cb_ctl_client_free(CbCtlClient *self)
{
	if (self == NULL)
		return;
	g_clear_object(&self->session);
	g_free(self->base);
	g_free(self->shown);
	/* the token should not outlive its use in this process's memory */
	if (self->authorization != NULL)
		explicit_bzero(self->authorization, strlen(self->authorization));
	g_free(self->authorization);
	g_free(self);
}

CbCtlClient *
cb_ctl_client_new(const char *url, const char *token, GError **error)
{
	g_autoptr(CbCtlClient) self = g_new0(CbCtlClient, 1);
	g_autoptr(GUri) uri = g_uri_parse(url, SOUP_HTTP_URI_FLAGS, NULL);
	const char *scheme = uri != NULL ? g_uri_get_scheme(uri) : NULL;

	if (uri == NULL || g_uri_get_host(uri) == NULL || g_uri_get_host(uri)[0] == '\0' ||
	    (g_strcmp0(scheme, "http") != 0 && g_strcmp0(scheme, "https") != 0)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "'%s' is not an http:// or https:// URL", url);
		return NULL;
	}
	self->base = g_strdup(url);
	while (g_str_has_suffix(self->base, "/"))
		self->base[strlen(self->base) - 1] = '\0';
	self->shown = g_uri_to_string_partial(uri, G_URI_HIDE_PASSWORD);
	while (g_str_has_suffix(self->shown, "/"))
		self->shown[strlen(self->shown) - 1] = '\0';
	if (token != NULL)
		self->authorization = g_strconcat("Bearer ", token, NULL);
	self->session = soup_session_new_with_options("timeout", CB_CTL_TIMEOUT_S, "user-agent",
						      "civic-bridgectl/" PACKAGE_VERSION, NULL);
	return g_steal_pointer(&self);
}

static JsonNode *
cb_ctl_client_parse(SoupMessage *msg, GBytes *bytes)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	const char *type =
		soup_message_headers_get_content_type(soup_message_get_response_headers(msg), NULL);
	gsize size = 0;
	const char *data = g_bytes_get_data(bytes, &size);

	if (size == 0 || g_strcmp0(type, "application/json") != 0 ||
	    !json_parser_load_from_data(parser, data, (gssize)size, NULL))
		return NULL;
	return json_node_ref(json_parser_get_root(parser));
}

gboolean
cb_ctl_client_send(CbCtlClient *self, const char *method, const char *path, JsonNode *body,
		   guint *status, JsonNode **answer, GError **error)
{
	g_autofree char *uri = g_strconcat(self->base, path, NULL);
	g_autoptr(SoupMessage) msg = soup_message_new(method, uri);
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(GError) local = NULL;
	SoupMessageHeaders *headers;

	if (msg == NULL) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "cannot make a request to %s%s", self->shown, path);
		return FALSE;
	}
	/* a redirect elsewhere must not carry the token along */
	soup_message_add_flags(msg, SOUP_MESSAGE_NO_REDIRECT);
	headers = soup_message_get_request_headers(msg);
	soup_message_headers_replace(headers, "Accept", "application/json");
	if (self->authorization != NULL)
		soup_message_headers_replace(headers, "Authorization", self->authorization);
	if (body != NULL) {
		char *text = cb_json_to_string(body);
		g_autoptr(GBytes) request = g_bytes_new_take(text, strlen(text));
		soup_message_set_request_body_from_bytes(msg, "application/json", request);
	}
	bytes = soup_session_send_and_read(self->session, msg, NULL, &local);
	if (bytes == NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_UNAVAILABLE,
			    "cannot reach civic-bridged at %s: %s", self->shown, local->message);
		return FALSE;
	}
	*status = soup_message_get_status(msg);
	*answer = cb_ctl_client_parse(msg, bytes);
	return TRUE;
}

static CbErrorCode
cb_ctl_error_code_from_name(const char *name)
{
	for (int code = CB_ERROR_INVALID; code <= CB_ERROR_INTERNAL; code++) {
		if (g_strcmp0(cb_error_code_name(code), name) == 0)
			return code;
	}
	return CB_ERROR_INTERNAL;
}

void
cb_ctl_set_api_error(const char *shown, guint status, JsonNode *answer, GError **error)
{
	JsonObject *root = answer != NULL && JSON_NODE_HOLDS_OBJECT(answer)
				   ? json_node_get_object(answer)
				   : NULL;
	JsonObject *detail =
		root != NULL && json_object_has_member(root, "error") &&
				JSON_NODE_HOLDS_OBJECT(json_object_get_member(root, "error"))
			? json_object_get_object_member(root, "error")
			: NULL;
	const char *code =
		detail != NULL ? json_object_get_string_member_with_default(detail, "code", NULL)
			       : NULL;
	const char *message =
		detail != NULL ? json_object_get_string_member_with_default(detail, "message", NULL)
			       : NULL;

	if (code == NULL || message == NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_INTERNAL,
			    "civic-bridged at %s answered HTTP %u %s", shown, status,
			    soup_status_get_phrase(status));
		return;
	}
	g_set_error(error, CB_ERROR, cb_ctl_error_code_from_name(code), "%s (%s, HTTP %u)", message,
		    code, status);
}

JsonNode *
cb_ctl_client_call(CbCtlClient *self, const char *method, const char *path, JsonNode *body,
		   GError **error)
{
	g_autoptr(JsonNode) answer = NULL;
	guint status = 0;

	if (!cb_ctl_client_send(self, method, path, body, &status, &answer, error))
		return NULL;
	if (!SOUP_STATUS_IS_SUCCESSFUL(status)) {
		cb_ctl_set_api_error(self->shown, status, answer, error);
		return NULL;
	}
	return answer != NULL ? g_steal_pointer(&answer) : json_node_new(JSON_NODE_NULL);
}

void
cb_ctl_add_string(JsonBuilder *builder, const char *member, const char *value)
{
	if (value == NULL)
		return;
	json_builder_set_member_name(builder, member);
	json_builder_add_string_value(builder, value);
}

JsonNode *
cb_ctl_strings_body(const char *const *members, const char *const *values)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();

	json_builder_begin_object(builder);
	for (guint i = 0; members[i] != NULL; i++)
		cb_ctl_add_string(builder, members[i], values[i]);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

CbCtlClient *
cb_ctl_get_client(CbCtl *ctl, gboolean anonymous, GError **error)
{
	if (ctl->client != NULL)
		return ctl->client;
	if (!anonymous && ctl->token == NULL) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "this command needs a token: give --token TOKEN or set "
				    "CIVIC_BRIDGE_TOKEN");
		return NULL;
	}
	ctl->client = cb_ctl_client_new(ctl->url, anonymous ? NULL : ctl->token, error);
	return ctl->client;
}
