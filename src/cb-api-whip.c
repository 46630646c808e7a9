#define G_LOG_DOMAIN "CbHttp"

/*
 * WHIP (RFC 9725) at /whip/{session_id}: a bridge point publishes from a
 * hardware encoder or OBS with its operator token. The POST is answered
 * once the room has gathered every candidate (bounded), so a client that
 * does not trickle still connects; the resource then takes trickled
 * candidates (PATCH) and DELETE.
 */

#include <string.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-media-rooms.h"
#include "civic-bridge/cb-schedule.h"

#include "cb-api.h"

#define CB_WHIP_OWNER "whip"
/* the longest the POST waits for ICE gathering before answering with what it has */
#define CB_WHIP_GATHER_TIMEOUT_MS 5000
#define CB_WHIP_RETRY_AFTER       "10"

static CbMediaRooms *
cb_whip_rooms(CbHttpRequest *request, GError **error)
{
	CbMediaRooms *rooms = cb_http_server_get_services(request->server)->rooms;

	if (rooms == NULL)
		g_set_error_literal(error, CB_ERROR, CB_ERROR_UNAVAILABLE,
				    "media is not available in this daemon");
	return rooms;
}

static gboolean
cb_whip_content_type(CbHttpRequest *request, const char *want, GError **error)
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
cb_whip_body(CbHttpRequest *request, GError **error)
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
cb_whip_check_session(CbHttpRequest *request, gint64 *session_id, GError **error)
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
			    "session %" G_GINT64_FORMAT " is %s; WHIP publishes only while live",
			    *session_id, cb_session_state_to_string(session->state));
		return FALSE;
	}
	return TRUE;
}

static void
cb_whip_reply_error(CbHttpRequest *request, const GError *error)
{
	if (g_error_matches(error, CB_ERROR, CB_ERROR_UNAVAILABLE))
		soup_message_headers_replace(soup_server_message_get_response_headers(request->msg),
					     "Retry-After", CB_WHIP_RETRY_AFTER);
	cb_http_reply_error(request, error);
}

static void
cb_whip_add_links(CbMediaRooms *rooms, SoupMessageHeaders *headers)
{
	const char *const *servers = cb_media_rooms_get_client_ice_servers(rooms);

	for (guint i = 0; servers != NULL && servers[i] != NULL; i++) {
		g_autofree char *link = g_strdup_printf("<%s>; rel=\"ice-server\"", servers[i]);
		soup_message_headers_append(headers, "Link", link);
	}
}

/* ---- POST: the answer waits for the room's candidates ---- */

typedef struct {
	SoupServerMessage *msg;
	CbMediaRooms *rooms;
	char *location;
	char *resource;
} CbWhipPending;

static void
cb_whip_pending_free(gpointer data)
{
	CbWhipPending *pending = data;

	g_object_unref(pending->msg);
	g_object_unref(pending->rooms);
	g_free(pending->location);
	g_free(pending->resource);
	g_free(pending);
}

static void
cb_whip_answer_cb(const char *sdp, const GError *error, gpointer user_data)
{
	CbWhipPending *pending = user_data;
	SoupServerMessage *msg = pending->msg;
	SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);

	if (sdp == NULL) {
		g_autoptr(GError) ignored = NULL;
		g_autofree char *body = cb_http_error_body(cb_error_name(error), error->message);

		cb_media_rooms_leave(pending->rooms, CB_WHIP_OWNER, pending->resource, &ignored);
		soup_message_headers_replace(headers, "Cache-Control", "no-store");
		soup_server_message_set_status(msg, cb_error_http_status(error), NULL);
		soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_COPY, body,
						 strlen(body));
	} else {
		g_autofree char *etag = g_strdup_printf("\"%s\"", pending->resource);

		soup_message_headers_replace(headers, "Location", pending->location);
		soup_message_headers_replace(headers, "ETag", etag);
		soup_message_headers_replace(headers, "Cache-Control", "no-store");
		cb_whip_add_links(pending->rooms, headers);
		soup_server_message_set_status(msg, SOUP_STATUS_CREATED, NULL);
		soup_server_message_set_response(msg, "application/sdp", SOUP_MEMORY_COPY, sdp,
						 strlen(sdp));
	}
	soup_server_message_unpause(msg);
}

void
cb_api_whip_post(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	CbMediaRooms *rooms = cb_whip_rooms(request, &error);
	g_autofree char *sdp = NULL;
	g_autofree char *resource = NULL;
	gint64 session_id = 0;
	CbWhipPending *pending;

	if (rooms == NULL || !cb_whip_content_type(request, "application/sdp", &error) ||
	    !cb_whip_check_session(request, &session_id, &error) ||
	    (sdp = cb_whip_body(request, &error)) == NULL) {
		cb_whip_reply_error(request, error);
		return;
	}
	resource = g_uuid_string_random();
	if (cb_media_rooms_join(rooms, request->caller, CB_WHIP_OWNER, resource, session_id, TRUE,
				NULL, &error) == NULL) {
		cb_whip_reply_error(request, error);
		return;
	}
	if (!cb_media_rooms_offer(rooms, CB_WHIP_OWNER, resource, sdp, &error)) {
		g_autoptr(GError) ignored = NULL;
		cb_media_rooms_leave(rooms, CB_WHIP_OWNER, resource, &ignored);
		cb_whip_reply_error(request, error);
		return;
	}
	pending = g_new0(CbWhipPending, 1);
	pending->msg = g_object_ref(request->msg);
	pending->rooms = g_object_ref(rooms);
	pending->resource = g_strdup(resource);
	pending->location = g_strdup_printf("/whip/%" G_GINT64_FORMAT "/%s", session_id, resource);
	soup_server_message_pause(request->msg);
	cb_media_rooms_wait_answer(rooms, CB_WHIP_OWNER, resource, CB_WHIP_GATHER_TIMEOUT_MS,
				   cb_whip_answer_cb, pending, cb_whip_pending_free);
}

/* ---- the resource ---- */

/* the caller's resource: 404 unknown (or of another session), 403 another bridge point's */
static const CbMediaPeerInfo *
cb_whip_resource(CbHttpRequest *request, CbMediaRooms *rooms, GError **error)
{
	const char *resource = g_hash_table_lookup(request->params, "resource");
	gint64 session_id = 0;
	const CbMediaPeerInfo *info;

	if (!cb_http_request_path_id(request, "session_id", &session_id, error))
		return NULL;
	info = cb_media_rooms_lookup(rooms, CB_WHIP_OWNER, resource);
	if (info == NULL || info->session_id != session_id) {
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_FOUND, "no WHIP resource %s", resource);
		return NULL;
	}
	if (info->bridge_point_id != request->caller->bridge_point_id) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_FORBIDDEN,
				    "this WHIP resource is another bridge point's");
		return NULL;
	}
	return info;
}

/* the first value of "a=@key:" in @text, or NULL */
static char *
cb_whip_attribute(const char *text, const char *key)
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
cb_whip_mline_of_mid(const char *offer, const char *mid)
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

/* RFC 8840 fragment: candidates per media section; a new ufrag or pwd asks
 * for an ICE restart, which GStreamer 1.22 cannot do */
static gboolean
cb_whip_apply_fragment(CbMediaRooms *rooms, const CbMediaPeerInfo *info, const char *fragment,
		       GError **error)
{
	g_autofree char *ufrag = cb_whip_attribute(fragment, "ice-ufrag");
	g_autofree char *pwd = cb_whip_attribute(fragment, "ice-pwd");
	g_autofree char *old_ufrag = cb_whip_attribute(info->offer, "ice-ufrag");
	g_autofree char *old_pwd = cb_whip_attribute(info->offer, "ice-pwd");
	g_auto(GStrv) lines = g_strsplit(fragment, "\n", -1);
	gint mline = 0, section = -1;

	if ((ufrag != NULL && g_strcmp0(ufrag, old_ufrag) != 0) ||
	    (pwd != NULL && g_strcmp0(pwd, old_pwd) != 0)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID,
				    "ICE restart is not supported: POST a new offer instead");
		return FALSE;
	}
	for (guint i = 0; lines[i] != NULL; i++) {
		const char *line = g_strchomp(lines[i]);

		if (g_str_has_prefix(line, "m=")) {
			mline = ++section;
		} else if (g_str_has_prefix(line, "a=mid:")) {
			mline = cb_whip_mline_of_mid(info->offer, line + 6);
			if (mline < 0) {
				g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
					    "the offer has no media section '%s'", line + 6);
				return FALSE;
			}
		} else if (g_str_has_prefix(line, "a=candidate:")) {
			if (!cb_media_rooms_candidate(rooms, CB_WHIP_OWNER, info->handle,
						      (guint)MAX(mline, 0), line + 2, error))
				return FALSE;
		}
	}
	return TRUE;
}

void
cb_api_whip_patch(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	CbMediaRooms *rooms = cb_whip_rooms(request, &error);
	const CbMediaPeerInfo *info = NULL;
	g_autofree char *fragment = NULL;

	if (rooms == NULL || (info = cb_whip_resource(request, rooms, &error)) == NULL ||
	    !cb_whip_content_type(request, "application/trickle-ice-sdpfrag", &error) ||
	    (fragment = cb_whip_body(request, &error)) == NULL) {
		cb_whip_reply_error(request, error);
		return;
	}
	if (info->offer == NULL) {
		g_set_error_literal(&error, CB_ERROR, CB_ERROR_CONFLICT, "no offer yet");
		cb_whip_reply_error(request, error);
		return;
	}
	if (!cb_whip_apply_fragment(rooms, info, fragment, &error)) {
		if (error->code == CB_ERROR_INVALID &&
		    g_str_has_prefix(error->message, "ICE restart")) {
			cb_http_message_reply_error(request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY,
						    cb_error_name(error), error->message);
			return;
		}
		cb_whip_reply_error(request, error);
		return;
	}
	cb_http_reply_empty(request, SOUP_STATUS_NO_CONTENT);
}

void
cb_api_whip_delete(CbHttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	CbMediaRooms *rooms = cb_whip_rooms(request, &error);
	const CbMediaPeerInfo *info = NULL;

	if (rooms == NULL || (info = cb_whip_resource(request, rooms, &error)) == NULL ||
	    !cb_media_rooms_leave(rooms, CB_WHIP_OWNER, info->handle, &error)) {
		cb_whip_reply_error(request, error);
		return;
	}
	cb_http_reply_empty(request, SOUP_STATUS_OK);
}
