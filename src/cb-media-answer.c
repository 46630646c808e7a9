#define G_LOG_DOMAIN "CbMedia"

/* WHIP answers once, with every server candidate in it: the answer waits for
 * ICE gathering to complete (or for a deadline) */

#include <string.h>

#include "civic-bridge/cb-error.h"

#include "cb-media-rooms-private.h"

static guint
cb_media_peer_n_candidates(CbMediaPeer *peer)
{
	guint n = 0;

	for (guint i = 0; i < G_N_ELEMENTS(peer->candidates); i++)
		n += peer->candidates[i]->len;
	return n;
}

/* ---- the full answer (WHIP) ---- */

/* the answer with the gathered candidates at the end of their media sections */
static char *
cb_media_peer_full_answer(CbMediaPeer *peer)
{
	g_auto(GStrv) lines = g_strsplit(peer->answer, "\n", -1);
	GString *out = g_string_new(NULL);
	gint section = -1;

	for (guint i = 0;; i++) {
		const char *line = lines[i] != NULL ? g_strchomp(lines[i]) : NULL;

		if (line != NULL && line[0] == '\0')
			continue;
		if (line == NULL || g_str_has_prefix(line, "m=")) {
			/* closes the section before */
			if (section >= 0 && (guint)section < G_N_ELEMENTS(peer->candidates)) {
				GPtrArray *cands = peer->candidates[section];
				for (guint c = 0; c < cands->len; c++) {
					const char *cand = g_ptr_array_index(cands, c);
					g_string_append_printf(
						out, "%s%s\r\n",
						g_str_has_prefix(cand, "a=") ? "" : "a=", cand);
				}
				if (peer->gathered)
					g_string_append(out, "a=end-of-candidates\r\n");
			}
			if (line == NULL)
				break;
			section++;
		}
		if (g_str_has_prefix(line, "a=candidate:") ||
		    g_str_equal(line, "a=end-of-candidates"))
			continue; /* written once, above */
		g_string_append_printf(out, "%s\r\n", line);
	}
	return g_string_free(out, FALSE);
}

void
cb_media_peer_try_answer(CbMediaPeer *peer, gboolean timed_out)
{
	g_autofree char *sdp = NULL;
	CbMediaAnswerFunc func = peer->wait_func;

	if (func == NULL || peer->answer == NULL || (!peer->gathered && !timed_out) ||
	    peer->settle_timer != NULL)
		return;
	/* complete with no candidate yet: they are on their way (see above) */
	if (!timed_out && cb_media_peer_n_candidates(peer) == 0)
		return;
	sdp = cb_media_peer_full_answer(peer);
	func(sdp, NULL, peer->wait_data);
	cb_media_peer_stop_wait(peer, NULL);
}

static gboolean
cb_media_peer_wait_timeout_cb(gpointer user_data)
{
	CbMediaPeer *peer = user_data;

	g_clear_pointer(&peer->wait_timer, g_source_unref);
	if (peer->answer == NULL) {
		g_autoptr(GError) error = g_error_new_literal(CB_ERROR, CB_ERROR_UNAVAILABLE,
							      "the room made no answer in time");
		cb_media_peer_stop_wait(peer, error);
		return G_SOURCE_REMOVE;
	}
	g_warning("session %" G_GINT64_FORMAT ": peer %s: ICE gathering not complete in time; "
		  "answering with the candidates gathered so far",
		  peer->info.session_id, peer->info.id);
	cb_media_peer_try_answer(peer, TRUE);
	return G_SOURCE_REMOVE;
}

void
cb_media_rooms_wait_answer(CbMediaRooms *self, const char *owner, const char *handle,
			   guint timeout_ms, CbMediaAnswerFunc func, gpointer user_data,
			   GDestroyNotify destroy)
{
	g_autoptr(GError) error = NULL;
	CbMediaPeer *peer = cb_media_rooms_find_peer(self, owner, handle, &error);

	if (peer == NULL || peer->wait_func != NULL) {
		if (error == NULL)
			error = g_error_new_literal(CB_ERROR, CB_ERROR_CONFLICT,
						    "an answer is awaited already");
		func(NULL, error, user_data);
		if (destroy != NULL)
			destroy(user_data);
		return;
	}
	peer->wait_func = func;
	peer->wait_data = user_data;
	peer->wait_destroy = destroy;
	peer->wait_timer = g_timeout_source_new(timeout_ms);
	g_source_set_callback(peer->wait_timer, cb_media_peer_wait_timeout_cb, peer, NULL);
	g_source_attach(peer->wait_timer, g_main_context_get_thread_default());
	cb_media_peer_try_answer(peer, FALSE);
}
