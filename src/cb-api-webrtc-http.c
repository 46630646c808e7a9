#define G_LOG_DOMAIN "CbHttp"

/*
 * The HTTP side of WHIP (RFC 9725) and WHEP, which differ only in who may
 * join as what: a POST with an offer is answered once the room has gathered
 * every candidate (bounded), so a client that does not trickle still
 * connects; the resource then takes trickled candidates (PATCH) and DELETE.
 */

#include <string.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-schedule.h"

#include "cb-api-webrtc-http.h"

/* the longest the POST waits for ICE gathering before answering with what it has */
#define CB_WEBRTC_HTTP_GATHER_TIMEOUT_MS 5000
#define CB_WEBRTC_HTTP_RETRY_AFTER       "10"

static CbMediaRooms *
cb_webrtc_http_rooms(CbHttpRequest *request, GError **error)
{
	CbMediaRooms *rooms = cb_http_server_get_services(request->server)->rooms;

	if (rooms == NULL)
		g_set_error_literal(error, CB_ERROR, CB_ERROR_UNAVAILABLE,
				    "media is not available in this daemon");
	return rooms;
}

static gboolean
cb_webrtc_http_content_type(CbHttpRequest *request, const char *want, GError **error)
{
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(request->msg);
	const char *type = soup_message_headers_get_content_type(headers, NULL);

	if (g_strcmp0(type, want) == 0)
		return TRUE;
	g_set_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA_TYPE,
		    "the body must be sent as Content-Type: %s", want);
	return FALSE;
}

/* the body as text, within [media] max-sdp-bytes */
static char *
cb_webrtc_http_body(CbHttpRequest *request, GError **error)
{
	SoupMessageBody *body = soup_server_message_get_request_body(request->msg);
	const CbConfig *config = cb_http_server_get_config(request->server);

	if ((guint64)body->length > config->media_max_sdp_bytes) {
		g_set_error(error, CB_ERROR, CB_ERROR_TOO_LARGE,
			    "the SDP has %" G_GINT64_FORMAT " bytes; the limit is %u",
			    (gint64)body->length, config->media_max_sdp_bytes);
		return NULL;
	}
	if (body->length == 0 || memchr(body->data, '\0', body->length) != NULL ||
	    !g_utf8_validate(body->data, body->length, NULL)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "the body is not an SDP description");
		return NULL;
	}
	return g_strndup(body->data, body->length);
}

/* 409 for a session that is not live, 404 for one that does not exist */
static gboolean
cb_webrtc_http_live_session(CbHttpRequest *request, const char *what, gint64 *session_id,
			    GError **error)
{
	CbSchedule *schedule = cb_http_server_get_services(request->server)->schedule;
	g_autoptr(CbSession) session = NULL;

	if (!cb_http_request_path_id(request, "session_id", session_id, error))
		return FALSE;
	session = cb_schedule_get_session(schedule, *session_id, error);
	if (session == NULL)
		return FALSE;
	if (session->state != CB_SESSION_LIVE) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "session %" G_GINT64_FORMAT " is %s; %s works only while it is live",
			    *session_id, cb_session_state_to_string(session->state), what);
		return FALSE;
	}
	return TRUE;
}

void
cb_webrtc_http_reply_error(CbHttpRequest *request, const GError *error)
{
	if (g_error_matches(error, CB_ERROR, CB_ERROR_UNAVAILABLE))
		soup_message_headers_replace(soup_server_message_get_response_headers(request->msg),
					     "Retry-After", CB_WEBRTC_HTTP_RETRY_AFTER);
	cb_http_reply_error(request, error);
}

gboolean
cb_webrtc_http_post_begin(CbHttpRequest *request, const char *what, CbMediaRooms **rooms,
			  gint64 *session_id, char **sdp)
{
	g_autoptr(GError) error = NULL;

	*rooms = cb_webrtc_http_rooms(request, &error);
	if (*rooms == NULL || !cb_webrtc_http_content_type(request, "application/sdp", &error) ||
	    !cb_webrtc_http_live_session(request, what, session_id, &error) ||
	    (*sdp = cb_webrtc_http_body(request, &error)) == NULL) {
		cb_webrtc_http_reply_error(request, error);
		return FALSE;
	}
	return TRUE;
}

/* RFC 9725 section 4.6: one Link per STUN or TURN server, TURN ones with a
 * credential of their own for this peer */
static void
cb_webrtc_http_add_links(CbMediaRooms *rooms, SoupMessageHeaders *headers, const char *peer_id)
{
	g_autoptr(GPtrArray) servers = cb_ice_servers_for_peer(
		cb_media_rooms_get_ice_servers(rooms), peer_id, g_get_real_time() / G_USEC_PER_SEC);

	for (guint i = 0; i < servers->len; i++) {
		const CbIceServer *server = g_ptr_array_index(servers, i);
		g_autofree char *link = NULL;

		if (server->username != NULL)
			link = g_strdup_printf("<%s>; rel=\"ice-server\"; username=\"%s\"; "
					       "credential=\"%s\"; credential-type=\"password\"",
					       server->urls, server->username, server->credential);
		else
			link = g_strdup_printf("<%s>; rel=\"ice-server\"", server->urls);
		soup_message_headers_append(headers, "Link", link);
	}
}

/* ---- POST: the answer waits for the room's candidates ---- */

typedef struct {
	SoupServerMessage *msg;
	CbMediaRooms *rooms;
	char *owner;
	char *resource;
	char *peer_id;
	char *location;
} CbWebrtcHttpPending;

static void
cb_webrtc_http_pending_free(gpointer data)
{
	CbWebrtcHttpPending *pending = data;

	g_object_unref(pending->msg);
	g_object_unref(pending->rooms);
	g_free(pending->owner);
	g_free(pending->resource);
	g_free(pending->peer_id);
	g_free(pending->location);
	g_free(pending);
}

static void
cb_webrtc_http_answer_cb(const char *sdp, const GError *error, gpointer user_data)
{
	CbWebrtcHttpPending *pending = user_data;
	SoupServerMessage *msg = pending->msg;
	SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);

	soup_message_headers_replace(headers, "Cache-Control", "no-store");
	if (sdp == NULL) {
		g_autoptr(GError) ignored = NULL;
		g_autofree char *body = cb_http_error_body(cb_error_name(error), error->message);

		cb_media_rooms_leave(pending->rooms, pending->owner, pending->resource, &ignored);
		soup_server_message_set_status(msg, cb_error_http_status(error), NULL);
		soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_COPY, body,
						 strlen(body));
	} else {
		g_autofree char *etag = g_strdup_printf("\"%s\"", pending->resource);

		soup_message_headers_replace(headers, "Location", pending->location);
		soup_message_headers_replace(headers, "ETag", etag);
		cb_webrtc_http_add_links(pending->rooms, headers, pending->peer_id);
		soup_server_message_set_status(msg, SOUP_STATUS_CREATED, NULL);
		soup_server_message_set_response(msg, "application/sdp", SOUP_MEMORY_COPY, sdp,
						 strlen(sdp));
	}
	soup_server_message_unpause(msg);
}

void
cb_webrtc_http_post_finish(CbHttpRequest *request, CbMediaRooms *rooms, const char *owner,
			   const CbMediaPeerInfo *peer, const char *sdp, const char *prefix)
{
	g_autoptr(GError) error = NULL;
	CbWebrtcHttpPending *pending;

	if (!cb_media_rooms_offer(rooms, owner, peer->handle, sdp, &error)) {
		g_autoptr(GError) ignored = NULL;

		cb_media_rooms_leave(rooms, owner, peer->handle, &ignored);
		cb_webrtc_http_reply_error(request, error);
		return;
	}
	pending = g_new0(CbWebrtcHttpPending, 1);
	pending->msg = g_object_ref(request->msg);
	pending->rooms = g_object_ref(rooms);
	pending->owner = g_strdup(owner);
	pending->resource = g_strdup(peer->handle);
	pending->peer_id = g_strdup(peer->id);
	pending->location = g_strdup_printf("%s/%" G_GINT64_FORMAT "/%s", prefix, peer->session_id,
					    peer->handle);
	soup_server_message_pause(request->msg);
	cb_media_rooms_wait_answer(rooms, owner, peer->handle, CB_WEBRTC_HTTP_GATHER_TIMEOUT_MS,
				   cb_webrtc_http_answer_cb, pending, cb_webrtc_http_pending_free);
}

/* ---- the resource ---- */

const CbMediaPeerInfo *
cb_webrtc_http_resource(CbHttpRequest *request, const char *owner, const char *what,
			CbMediaRooms **rooms, GError **error)
{
	const char *resource = g_hash_table_lookup(request->params, "resource");
	gint64 session_id = 0;
	const CbMediaPeerInfo *info;

	*rooms = cb_webrtc_http_rooms(request, error);
	if (*rooms == NULL || !cb_http_request_path_id(request, "session_id", &session_id, error))
		return NULL;
	info = cb_media_rooms_lookup(*rooms, owner, resource);
	if (info == NULL || info->session_id != session_id) {
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_FOUND, "no %s resource %s", what,
			    resource);
		return NULL;
	}
	return info;
}

/* the first value of "a=@key:" in @text, or NULL */
static char *
cb_webrtc_http_attribute(const char *text, const char *key)
{
	g_autofree char *needle = g_strdup_printf("a=%s:", key);
	const char *at = text;

	while ((at = strstr(at, needle)) != NULL) {
		if (at == text || at[-1] == '\n') {
			const char *value = at + strlen(needle);
			return g_strstrip(g_strndup(value, strcspn(value, "\r\n")));
		}
		at += strlen(needle);
	}
	return NULL;
}

/* the index of the media section with a=mid:@mid in @offer, or -1 */
static gint
cb_webrtc_http_mline_of_mid(const char *offer, const char *mid)
{
	g_auto(GStrv) lines = g_strsplit(offer, "\n", -1);
	gint section = -1;

	for (guint i = 0; lines[i] != NULL; i++) {
		g_strchomp(lines[i]);
		if (g_str_has_prefix(lines[i], "m="))
			section++;
		else if (g_str_has_prefix(lines[i], "a=mid:") && g_str_equal(lines[i] + 6, mid))
			return section;
	}
	return -1;
}

/* whether the fragment carries a new ufrag or pwd: an ICE restart, which
 * GStreamer 1.22 cannot do */
static gboolean
cb_webrtc_http_is_restart(const CbMediaPeerInfo *info, const char *fragment)
{
	g_autofree char *ufrag = cb_webrtc_http_attribute(fragment, "ice-ufrag");
	g_autofree char *pwd = cb_webrtc_http_attribute(fragment, "ice-pwd");
	g_autofree char *old_ufrag = cb_webrtc_http_attribute(info->offer, "ice-ufrag");
	g_autofree char *old_pwd = cb_webrtc_http_attribute(info->offer, "ice-pwd");

	return (ufrag != NULL && g_strcmp0(ufrag, old_ufrag) != 0) ||
	       (pwd != NULL && g_strcmp0(pwd, old_pwd) != 0);
}

/* RFC 8840 fragment: candidates per media section */
static gboolean
cb_webrtc_http_apply_fragment(CbMediaRooms *rooms, const CbMediaPeerInfo *info,
			      const char *fragment, GError **error)
{
	g_auto(GStrv) lines = g_strsplit(fragment, "\n", -1);
	gint mline = 0, section = -1;

	for (guint i = 0; lines[i] != NULL; i++) {
		const char *line = g_strchomp(lines[i]);

		if (g_str_has_prefix(line, "m=")) {
			mline = ++section;
		} else if (g_str_has_prefix(line, "a=mid:")) {
			mline = cb_webrtc_http_mline_of_mid(info->offer, line + 6);
			if (mline < 0) {
				g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
					    "the offer has no media section '%s'", line + 6);
				return FALSE;
			}
		} else if (g_str_has_prefix(line, "a=candidate:")) {
			if (!cb_media_rooms_candidate(rooms, info->owner, info->handle,
						      (guint)MAX(mline, 0), line + 2, error))
				return FALSE;
		}
	}
	return TRUE;
}

void
cb_webrtc_http_patch(CbHttpRequest *request, CbMediaRooms *rooms, const CbMediaPeerInfo *peer)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *fragment = NULL;

	if (!cb_webrtc_http_content_type(request, "application/trickle-ice-sdpfrag", &error) ||
	    (fragment = cb_webrtc_http_body(request, &error)) == NULL) {
		cb_webrtc_http_reply_error(request, error);
		return;
	}
	if (peer->offer == NULL) {
		g_set_error_literal(&error, CB_ERROR, CB_ERROR_CONFLICT, "no offer yet");
		cb_webrtc_http_reply_error(request, error);
		return;
	}
	if (cb_webrtc_http_is_restart(peer, fragment)) {
		cb_http_message_reply_error(
			request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY,
			cb_error_code_name(CB_ERROR_INVALID),
			"ICE restart is not supported: POST a new offer instead");
		return;
	}
	if (!cb_webrtc_http_apply_fragment(rooms, peer, fragment, &error)) {
		cb_webrtc_http_reply_error(request, error);
		return;
	}
	cb_http_reply_empty(request, SOUP_STATUS_NO_CONTENT);
}

void
cb_webrtc_http_delete(CbHttpRequest *request, CbMediaRooms *rooms, const CbMediaPeerInfo *peer)
{
	g_autoptr(GError) error = NULL;

	if (!cb_media_rooms_leave(rooms, peer->owner, peer->handle, &error)) {
		cb_webrtc_http_reply_error(request, error);
		return;
	}
	cb_http_reply_empty(request, SOUP_STATUS_OK);
}
