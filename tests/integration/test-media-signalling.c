/*
 * Media signalling against the real daemon: GStreamer test peers (webrtcbin
 * in this process, as in tests/test-room.c) join a live session's room over
 * /api/v1/ws and WHIP, and media flows. Run inside `unshare -n` with
 * loopback up: ICE uses 127.0.0.1 only.
 */
#include <gst/gst.h>
#define GST_USE_UNSTABLE_API
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <nice/agent.h>
#include <string.h>

#include "cb-test-daemon.h"
#include "cb-test-ws.h"

#define WAIT_MS 20000

static gboolean
timed_out_cb(gpointer data)
{
	*(gboolean *)data = TRUE;
	return G_SOURCE_REMOVE;
}

/* iterates the main context until @cond, pumping every signalling client */
#define WAIT_UNTIL(cond)                                                                           \
	do {                                                                                       \
		gboolean timed_out_ = FALSE, met_ = FALSE;                                         \
		guint timer_ = g_timeout_add(WAIT_MS, timed_out_cb, &timed_out_);                  \
		pump_all();                                                                        \
		while (!(met_ = (cond)) && !timed_out_) {                                          \
			g_main_context_iteration(NULL, TRUE);                                      \
			pump_all();                                                                \
		}                                                                                  \
		if (!timed_out_)                                                                   \
			g_source_remove(timer_);                                                   \
		if (!met_)                                                                         \
			g_error("timed out waiting for %s", #cond);                                \
	} while (0)

typedef struct _Sig Sig;

/* a GStreamer test peer */
typedef struct {
	Sig *sig; /* NULL: WHIP */
	char *handle;
	GstElement *pipeline;
	GstElement *webrtc;
	gint frames; /* atomic: decoded video frames */
	gint audio;  /* atomic */
} Peer;

/* a signalling client: a WebSocket and its peers */
struct _Sig {
	WsClient *ws;
	GHashTable *peers; /* handle -> Peer */
	GQueue events;     /* JsonObject *: what was not answer or candidate */
};

static GPtrArray *all_sigs;

static void
peer_free(gpointer data)
{
	Peer *peer = data;

	gst_element_set_state(peer->pipeline, GST_STATE_NULL);
	gst_object_unref(peer->pipeline);
	g_free(peer->handle);
	g_free(peer);
}

static GstPadProbeReturn
peer_frame_cb(GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
	g_atomic_int_inc((gint *)user_data);
	g_main_context_wakeup(NULL);
	return GST_PAD_PROBE_OK;
}

static void
peer_pad_added_cb(GstElement *webrtc, GstPad *pad, gpointer user_data)
{
	Peer *peer = user_data;
	g_autoptr(GstCaps) caps = NULL;
	gboolean video;
	GstElement *bin;
	g_autoptr(GstElement) sink = NULL;
	g_autoptr(GstPad) sink_pad = NULL;
	g_autoptr(GstPad) bin_pad = NULL;

	if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC)
		return;
	caps = gst_pad_get_current_caps(pad);
	video = g_strcmp0(gst_structure_get_string(gst_caps_get_structure(caps, 0), "media"),
			  "video") == 0;
	bin = gst_parse_bin_from_description(video ? "rtpvp8depay ! vp8dec ! fakesink name=out"
						   : "rtpopusdepay ! fakesink name=out",
					     TRUE, NULL);
	sink = gst_bin_get_by_name(GST_BIN(bin), "out");
	sink_pad = gst_element_get_static_pad(sink, "sink");
	gst_pad_add_probe(sink_pad, GST_PAD_PROBE_TYPE_BUFFER, peer_frame_cb,
			  video ? &peer->frames : &peer->audio, NULL);
	gst_bin_add(GST_BIN(peer->pipeline), bin);
	gst_element_sync_state_with_parent(bin);
	bin_pad = gst_element_get_static_pad(bin, "sink");
	g_assert_cmpint(gst_pad_link(pad, bin_pad), ==, GST_PAD_LINK_OK);
}

typedef struct {
	Sig *sig;
	char *handle;
	guint mline;
	char *candidate;
} OutCandidate;

static gboolean
out_candidate_cb(gpointer data)
{
	OutCandidate *c = data;
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text = NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "type");
	json_builder_add_string_value(b, "candidate");
	json_builder_set_member_name(b, "peer");
	json_builder_add_string_value(b, c->handle);
	json_builder_set_member_name(b, "mline");
	json_builder_add_int_value(b, c->mline);
	json_builder_set_member_name(b, "candidate");
	json_builder_add_string_value(b, c->candidate);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	text = json_to_string(root, FALSE);
	if (c->sig->ws->conn != NULL &&
	    soup_websocket_connection_get_state(c->sig->ws->conn) == SOUP_WEBSOCKET_STATE_OPEN)
		ws_send(c->sig->ws, text);
	g_free(c->handle);
	g_free(c->candidate);
	g_free(c);
	return G_SOURCE_REMOVE;
}

/* webrtcbin's thread: trickle over the WebSocket from the main context */
static void
peer_ice_candidate_cb(GstElement *webrtc, guint mline, const char *candidate, gpointer user_data)
{
	Peer *peer = user_data;
	OutCandidate *c;

	if (peer->sig == NULL)
		return; /* WHIP: the offer is sent after gathering */
	c = g_new0(OutCandidate, 1);
	c->sig = peer->sig;
	c->handle = g_strdup(peer->handle);
	c->mline = mline;
	c->candidate = g_strdup(candidate);
	g_idle_add(out_candidate_cb, c);
}

/* webrtcbin's thread: wakes the main context, whose wait checks the state */
static void
peer_gathering_cb(GObject *webrtc, GParamSpec *pspec, gpointer user_data)
{
	g_main_context_wakeup(NULL);
}

static Peer *
peer_new(Sig *sig, const char *handle, gboolean publisher)
{
	Peer *peer = g_new0(Peer, 1);
	g_autoptr(GError) error = NULL;
	g_autoptr(GObject) ice = NULL;
	g_autoptr(GObject) agent = NULL;
	NiceAddress address;
	const char *description =
		publisher ? "webrtcbin name=w bundle-policy=max-bundle latency=50 "
			    "videotestsrc is-live=true pattern=ball ! "
			    "video/x-raw,width=160,height=96,framerate=15/1 ! "
			    "vp8enc deadline=1 cpu-used=8 keyframe-max-dist=30 ! "
			    "rtpvp8pay pt=96 picture-id-mode=15-bit ! "
			    "application/x-rtp,media=video,encoding-name=VP8,payload=96,"
			    "clock-rate=90000,rtcp-fb-nack-pli=true ! w. "
			    "audiotestsrc is-live=true wave=ticks ! "
			    "audio/x-raw,rate=48000,channels=1 ! opusenc ! rtpopuspay pt=111 ! "
			    "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,"
			    "clock-rate=48000 ! w."
			  : "webrtcbin name=w bundle-policy=max-bundle latency=50";

	peer->sig = sig;
	peer->handle = g_strdup(handle);
	peer->pipeline = gst_parse_launch(description, &error);
	g_assert_no_error(error);
	if (!GST_IS_PIPELINE(peer->pipeline)) {
		GstElement *pipeline = gst_pipeline_new(NULL);
		gst_bin_add(GST_BIN(pipeline), peer->pipeline);
		peer->pipeline = gst_object_ref_sink(pipeline);
	}
	peer->webrtc = gst_bin_get_by_name(GST_BIN(peer->pipeline), "w");
	gst_object_unref(peer->webrtc);
	g_object_get(peer->webrtc, "ice-agent", &ice, NULL);
	g_object_set(ice, "ice-tcp", FALSE, NULL);
	g_object_get(ice, "agent", &agent, NULL);
	g_object_set(agent, "upnp", FALSE, NULL);
	nice_address_init(&address);
	g_assert_true(nice_address_set_from_string(&address, "127.0.0.1"));
	nice_agent_add_local_address(NICE_AGENT(agent), &address);
	g_signal_connect(peer->webrtc, "on-ice-candidate", G_CALLBACK(peer_ice_candidate_cb), peer);
	g_signal_connect(peer->webrtc, "pad-added", G_CALLBACK(peer_pad_added_cb), peer);
	g_signal_connect(peer->webrtc, "notify::ice-gathering-state", G_CALLBACK(peer_gathering_cb),
			 NULL);
	if (!publisher) {
		const char *caps[] = {
			"application/x-rtp,media=video,encoding-name=VP8,payload=101,"
			"clock-rate=90000,rtcp-fb-nack-pli=true",
			"application/x-rtp,media=audio,encoding-name=OPUS,payload=109,"
			"clock-rate=48000,encoding-params=(string)2"};
		for (guint i = 0; i < G_N_ELEMENTS(caps); i++) {
			g_autoptr(GstCaps) c = gst_caps_from_string(caps[i]);
			GstWebRTCRTPTransceiver *trans = NULL;
			g_signal_emit_by_name(peer->webrtc, "add-transceiver",
					      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, c,
					      &trans);
			gst_clear_object(&trans);
		}
	}
	if (sig != NULL)
		g_hash_table_insert(sig->peers, peer->handle, peer);
	return peer;
}

static gboolean
gathered(GstElement *webrtc)
{
	GstWebRTCICEGatheringState state = GST_WEBRTC_ICE_GATHERING_STATE_NEW;

	g_object_get(webrtc, "ice-gathering-state", &state, NULL);
	return state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE;
}

static void pump_all(void);

/* the offer; for WHIP (@complete) after gathering, with every candidate */
static char *
peer_offer(Peer *peer, gboolean complete)
{
	GstPromise *promise = gst_promise_new();
	GstWebRTCSessionDescription *offer = NULL;
	GstWebRTCSessionDescription *local = NULL;
	char *text;

	g_assert_cmpint(gst_element_set_state(peer->pipeline, GST_STATE_PLAYING), !=,
			GST_STATE_CHANGE_FAILURE);
	g_signal_emit_by_name(peer->webrtc, "create-offer", NULL, promise);
	g_assert_cmpint(gst_promise_wait(promise), ==, GST_PROMISE_RESULT_REPLIED);
	gst_structure_get(gst_promise_get_reply(promise), "offer",
			  GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, NULL);
	gst_promise_unref(promise);
	g_assert_nonnull(offer);
	g_signal_emit_by_name(peer->webrtc, "set-local-description", offer, NULL);
	if (!complete) {
		text = gst_sdp_message_as_text(offer->sdp);
		gst_webrtc_session_description_free(offer);
		return text;
	}
	gst_webrtc_session_description_free(offer);
	WAIT_UNTIL(gathered(peer->webrtc));
	g_object_get(peer->webrtc, "local-description", &local, NULL);
	text = gst_sdp_message_as_text(local->sdp);
	gst_webrtc_session_description_free(local);
	return text;
}

static void
peer_set_answer(Peer *peer, const char *sdp)
{
	GstSDPMessage *msg = NULL;
	GstWebRTCSessionDescription *answer;

	g_assert_cmpint(gst_sdp_message_new_from_text(sdp, &msg), ==, GST_SDP_OK);
	answer = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, msg);
	g_signal_emit_by_name(peer->webrtc, "set-remote-description", answer, NULL);
	gst_webrtc_session_description_free(answer);
}

/* ---- signalling clients ---- */

static void
sig_pump(Sig *sig)
{
	while (!g_queue_is_empty(&sig->ws->messages)) {
		g_autofree char *text = g_queue_pop_head(&sig->ws->messages);
		g_autoptr(JsonParser) parser = json_parser_new();
		JsonObject *message;
		const char *type;
		Peer *peer;

		g_assert_true(json_parser_load_from_data(parser, text, -1, NULL));
		message = json_node_get_object(json_parser_get_root(parser));
		type = json_object_get_string_member(message, "type");
		peer = json_object_has_member(message, "peer") &&
				       json_object_get_string_member(message, "peer") != NULL
			       ? g_hash_table_lookup(sig->peers,
						     json_object_get_string_member(message, "peer"))
			       : NULL;
		if (g_str_equal(type, "answer") && peer != NULL) {
			peer_set_answer(peer, json_object_get_string_member(message, "sdp"));
		} else if (g_str_equal(type, "candidate") && peer != NULL) {
			g_signal_emit_by_name(peer->webrtc, "add-ice-candidate",
					      (guint)json_object_get_int_member(message, "mline"),
					      json_object_get_string_member(message, "candidate"));
		} else {
			g_queue_push_tail(&sig->events, json_object_ref(message));
		}
	}
}

static void
pump_all(void)
{
	for (guint i = 0; all_sigs != NULL && i < all_sigs->len; i++)
		sig_pump(g_ptr_array_index(all_sigs, i));
}

static void
sig_free(Sig *sig)
{
	g_ptr_array_remove(all_sigs, sig);
	g_hash_table_unref(sig->peers);
	g_queue_clear_full(&sig->events, (GDestroyNotify)json_object_unref);
	ws_client_free(sig->ws);
	g_free(sig);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Sig, sig_free)

static Sig *
sig_connect(CbTestDaemon *d, const char *token)
{
	Sig *sig = g_new0(Sig, 1);
	g_autoptr(JsonObject) hello = NULL;

	sig->ws = ws_connect(d, token, NULL);
	g_assert_no_error(sig->ws->error);
	sig->peers = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, peer_free);
	hello = ws_next_of_type(sig->ws, "hello");
	g_ptr_array_add(all_sigs, sig);
	return sig;
}

/* the first queued event of @type whose @member is @value (NULL: any), taken */
static JsonObject *
sig_take(Sig *sig, const char *type, const char *member, const char *value)
{
	for (GList *l = sig->events.head; l != NULL; l = l->next) {
		JsonObject *message = l->data;
		if (g_strcmp0(json_object_get_string_member(message, "type"), type) != 0)
			continue;
		if (member != NULL &&
		    g_strcmp0(json_object_get_string_member(message, member), value) != 0)
			continue;
		g_queue_delete_link(&sig->events, l);
		return message;
	}
	return NULL;
}

static JsonObject *
sig_wait(Sig *sig, const char *type, const char *member, const char *value)
{
	JsonObject *message = NULL;

	WAIT_UNTIL((message = sig_take(sig, type, member, value)) != NULL);
	return message;
}

/* waits until the room says @handle's connection is up */
static void
sig_wait_connected(Sig *sig, const char *handle)
{
	for (;;) {
		g_autoptr(JsonObject) state = sig_wait(sig, "peer-state", "peer", handle);
		if (g_strcmp0(json_object_get_string_member(state, "state"), "connected") == 0)
			return;
	}
}

static void sig_send(Sig *sig, const char *format, ...) G_GNUC_PRINTF(2, 3);

static void
sig_send(Sig *sig, const char *format, ...)
{
	va_list args;
	g_autofree char *text = NULL;

	va_start(args, format);
	text = g_strdup_vprintf(format, args);
	va_end(args);
	ws_send(sig->ws, text);
}

/* joins; returns the "joined" message, or the "error" one when refused */
static JsonObject *
sig_join(Sig *sig, gint64 session, const char *as, const char *slot, const char *handle)
{
	g_autofree char *slot_json =
		slot != NULL ? g_strdup_printf(",\"slot\":\"%s\"", slot) : g_strdup("");
	JsonObject *reply = NULL;

	sig_send(sig,
		 "{\"type\":\"join\",\"session_id\":%" G_GINT64_FORMAT
		 ",\"as\":\"%s\"%s,\"peer\":\"%s\"}",
		 session, as, slot_json, handle);
	WAIT_UNTIL((reply = sig_take(sig, "joined", "peer", handle)) != NULL ||
		   (reply = sig_take(sig, "error", NULL, NULL)) != NULL);
	return reply;
}

static const char *
error_code(JsonObject *message)
{
	return json_object_get_string_member(json_object_get_object_member(message, "error"),
					     "code");
}

/* joins and negotiates a test peer */
static Peer *
sig_peer(Sig *sig, gint64 session, gboolean publisher, const char *slot, const char *handle)
{
	g_autoptr(JsonObject) joined =
		sig_join(sig, session, publisher ? "publisher" : "subscriber", slot, handle);
	Peer *peer;
	g_autofree char *offer = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text = NULL;

	if (!g_str_equal(json_object_get_string_member(joined, "type"), "joined"))
		g_error("join %s refused: %s", handle,
			json_object_get_string_member(
				json_object_get_object_member(joined, "error"), "message"));
	peer = peer_new(sig, handle, publisher);
	offer = peer_offer(peer, FALSE);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "type");
	json_builder_add_string_value(b, "offer");
	json_builder_set_member_name(b, "peer");
	json_builder_add_string_value(b, handle);
	json_builder_set_member_name(b, "sdp");
	json_builder_add_string_value(b, offer);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	text = json_to_string(root, FALSE);
	ws_send(sig->ws, text);
	return peer;
}

/* ---- the fixture: a live session, a staff member and two bridge points ---- */

typedef struct {
	CbTestDaemon *d;
	char *staff;
	gint64 session;
	gint64 bp[2];
	char *op[2];
} Fixture;

static JsonNode *
call(Fixture *f, const char *method, const char *path, const char *token, const char *body,
     guint want)
{
	JsonNode *answer = NULL;
	guint status = cb_test_http(f->d, method, path, token, body, &answer);

	if (status != want)
		g_error("%s %s: %u, wanted %u", method, path, status, want);
	return answer;
}

static gint64
new_session(Fixture *f)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GDateTime) start = g_date_time_add_minutes(now, 10);
	g_autofree char *iso = g_date_time_format_iso8601(start);
	g_autofree char *body = g_strdup_printf("{\"title\":\"Tiếp công dân\",\"kind\":\"regular\","
						"\"starts_at\":\"%s\",\"duration_minutes\":180}",
						iso);
	g_autoptr(JsonNode) session = call(f, "POST", "/api/v1/sessions", f->staff, body, 201);

	return json_object_get_int_member(json_node_get_object(session), "id");
}

static void
session_action(Fixture *f, gint64 session, const char *action)
{
	g_autofree char *path =
		g_strdup_printf("/api/v1/sessions/%" G_GINT64_FORMAT "/%s", session, action);
	g_autoptr(JsonNode) answer = call(f, "POST", path, f->staff, NULL, 200);
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->d = cb_test_daemon_new();
	cb_test_daemon_set_config(f->d, "[media]\nice-addresses=127.0.0.1\n"
					"client-ice-servers=stun:stun.example.org:3478\n");
	if (!cb_test_daemon_start(f->d, &error))
		g_error("daemon did not start: %s", error->message);
	f->staff = cb_test_daemon_issue_token(f->d, CB_ROLE_STAFF, 0, 0, 0);
	for (guint i = 0; i < 2; i++) {
		g_autofree char *body =
			g_strdup_printf("{\"code\":\"bp-%u\",\"name\":\"Phường %u\"}", i, i);
		g_autoptr(JsonNode) bp =
			call(f, "POST", "/api/v1/bridge-points", f->d->admin_token, body, 201);
		f->bp[i] = json_object_get_int_member(json_node_get_object(bp), "id");
		f->op[i] = cb_test_daemon_issue_token(f->d, CB_ROLE_OPERATOR, f->bp[i], 0, 0);
	}
	f->session = new_session(f);
	session_action(f, f->session, "start");
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	cb_test_daemon_free(f->d);
	g_free(f->staff);
	g_free(f->op[0]);
	g_free(f->op[1]);
}

static char *
bp_id(Fixture *f, guint i)
{
	return g_strdup_printf("bp-%" G_GINT64_FORMAT, f->bp[i]);
}

/* ---- tests ---- */

/* the hall and a bridge point see each other; the floor reaches another
 * bridge point; a bridge point may not receive another; the session's end
 * closes every peer */
static void
test_ws_media(Fixture *f, gconstpointer data)
{
	g_autoptr(Sig) staff = sig_connect(f->d, f->staff);
	g_autoptr(Sig) op0 = sig_connect(f->d, f->op[0]);
	g_autoptr(Sig) op1 = sig_connect(f->d, f->op[1]);
	g_autofree char *bp0 = bp_id(f, 0);
	g_autofree char *bp1 = bp_id(f, 1);
	g_autoptr(JsonObject) refused = NULL;
	g_autoptr(JsonObject) joined_event = NULL;
	g_autoptr(JsonObject) floor_event = NULL;
	g_autoptr(JsonObject) left = NULL;
	Peer *see_bp, *see_hall, *floor;

	sig_send(staff, "{\"type\":\"subscribe\",\"session_id\":%" G_GINT64_FORMAT "}", f->session);
	json_object_unref(sig_wait(staff, "subscribed", NULL, NULL));
	sig_peer(staff, f->session, TRUE, NULL, "hall-cam");
	sig_peer(op0, f->session, TRUE, NULL, "cam");
	joined_event = sig_wait(staff, "peer", "id", bp0);
	g_assert_cmpstr(json_object_get_string_member(joined_event, "event"), ==, "joined");
	g_assert_cmpstr(json_object_get_string_member(joined_event, "kind"), ==, "bridge_point");

	/* routing: the hall receives the bridge point, the bridge point the hall */
	see_bp = sig_peer(staff, f->session, FALSE, bp0, "see-bp");
	see_hall = sig_peer(op0, f->session, FALSE, "hall", "see-hall");
	WAIT_UNTIL(g_atomic_int_get(&see_bp->frames) > 5 &&
		   g_atomic_int_get(&see_hall->frames) > 5);
	WAIT_UNTIL(g_atomic_int_get(&see_bp->audio) > 0);

	/* a bridge point may not receive another bridge point */
	refused = sig_join(op1, f->session, "subscriber", bp0, "peek");
	g_assert_cmpstr(json_object_get_string_member(refused, "type"), ==, "error");
	g_assert_cmpstr(error_code(refused), ==, "forbidden");
	/* nor publish as another */
	g_clear_pointer(&refused, json_object_unref);
	refused = sig_join(op1, f->session, "publisher", bp0, "fake");
	g_assert_cmpstr(error_code(refused), ==, "forbidden");

	/* the floor: staff give it to bridge point 0; bridge point 1 sees it */
	floor = sig_peer(op1, f->session, FALSE, "floor", "floor");
	sig_wait_connected(op1, "floor");
	g_assert_cmpint(g_atomic_int_get(&floor->frames), ==, 0);
	sig_send(op1, "{\"type\":\"floor\",\"session_id\":%" G_GINT64_FORMAT ",\"peer\":\"%s\"}",
		 f->session, bp0);
	g_clear_pointer(&refused, json_object_unref);
	refused = sig_wait(op1, "error", NULL, NULL);
	g_assert_cmpstr(error_code(refused), ==, "forbidden");
	sig_send(staff, "{\"type\":\"floor\",\"session_id\":%" G_GINT64_FORMAT ",\"peer\":\"%s\"}",
		 f->session, bp0);
	floor_event = sig_wait(staff, "floor-changed", "peer", bp0);
	WAIT_UNTIL(g_atomic_int_get(&floor->frames) > 5);

	/* the session ends: every peer's owner hears so */
	session_action(f, f->session, "end");
	left = sig_wait(op1, "peer-left", "peer", "floor");
	g_assert_cmpstr(json_object_get_string_member(left, "reason"), ==, "session-ended");
	g_clear_pointer(&left, json_object_unref);
	left = sig_wait(op0, "peer-left", "peer", "cam");
	g_assert_cmpstr(json_object_get_string_member(left, "reason"), ==, "session-ended");
	(void)bp1;
}

/* a citizen joins only while admitted, and leaves when the ticket moves on */
static void
test_citizen_admission(Fixture *f, gconstpointer data)
{
	g_autofree char *body =
		g_strdup_printf("{\"session_id\":%" G_GINT64_FORMAT ",\"summary\":\"Nội dung\","
				"\"category\":\"denunciation\",\"citizen_name\":\"A\"}",
				f->session);
	g_autoptr(JsonNode) ticket = call(f, "POST", "/api/v1/register", NULL, body, 201);
	JsonObject *t = json_node_get_object(ticket);
	gint64 id = json_object_get_int_member(t, "id");
	g_autoptr(Sig) citizen = sig_connect(f->d, json_object_get_string_member(t, "token"));
	g_autoptr(Sig) staff = sig_connect(f->d, f->staff);
	g_autoptr(JsonObject) refused = NULL;
	g_autoptr(JsonObject) left = NULL;
	g_autofree char *path = NULL;
	Peer *see_hall;

	refused = sig_join(citizen, f->session, "publisher", NULL, "me");
	g_assert_cmpstr(error_code(refused), ==, "forbidden");
	path = g_strdup_printf("/api/v1/tickets/%" G_GINT64_FORMAT "/call", id);
	json_node_unref(call(f, "POST", path, f->staff, NULL, 200));
	g_clear_pointer(&refused, json_object_unref);
	refused = sig_join(citizen, f->session, "publisher", NULL, "me");
	g_assert_cmpstr(error_code(refused), ==, "forbidden");
	g_free(path);
	path = g_strdup_printf("/api/v1/tickets/%" G_GINT64_FORMAT "/admit", id);
	json_node_unref(call(f, "POST", path, f->staff, NULL, 200));

	/* admitted: the citizen publishes, and sees the hall but no bridge point */
	sig_peer(staff, f->session, TRUE, NULL, "hall-cam");
	sig_peer(citizen, f->session, TRUE, NULL, "me");
	g_clear_pointer(&refused, json_object_unref);
	refused = sig_join(citizen, f->session, "subscriber", "floor", "floor");
	g_assert_cmpstr(error_code(refused), ==, "forbidden");
	see_hall = sig_peer(citizen, f->session, FALSE, "hall", "see-hall");
	WAIT_UNTIL(g_atomic_int_get(&see_hall->frames) > 5);

	/* done: the citizen's peers go */
	g_free(path);
	path = g_strdup_printf("/api/v1/tickets/%" G_GINT64_FORMAT "/finish", id);
	json_node_unref(call(f, "POST", path, f->staff, "{\"handling\":\"accepted\"}", 200));
	left = sig_wait(citizen, "peer-left", "peer", "me");
	g_assert_cmpstr(json_object_get_string_member(left, "reason"), ==, "ticket");
	g_clear_pointer(&left, json_object_unref);
	left = sig_wait(citizen, "peer-left", "peer", "see-hall");
	g_assert_cmpstr(json_object_get_string_member(left, "reason"), ==, "ticket");
}

/* ---- WHIP ---- */

typedef struct {
	guint status;
	SoupMessageHeaders *headers;
	char *body;
} Reply;

static void
reply_clear(Reply *r)
{
	g_clear_pointer(&r->headers, soup_message_headers_unref);
	g_clear_pointer(&r->body, g_free);
}

static Reply
whip(Fixture *f, const char *method, const char *path, const char *token, const char *type,
     const char *body)
{
	g_autoptr(SoupSession) session = soup_session_new_with_options("timeout", 20, NULL);
	g_autofree char *uri = g_strconcat(f->d->url, path, NULL);
	g_autoptr(SoupMessage) msg = soup_message_new(method, uri);
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GError) error = NULL;
	Reply r = {0};

	if (token != NULL) {
		g_autofree char *value = g_strconcat("Bearer ", token, NULL);
		soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization",
					     value);
	}
	if (body != NULL) {
		g_autoptr(GBytes) bytes = g_bytes_new(body, strlen(body));
		soup_message_set_request_body_from_bytes(msg, type, bytes);
	}
	answer = soup_session_send_and_read(session, msg, NULL, &error);
	g_assert_no_error(error);
	r.status = soup_message_get_status(msg);
	r.headers = soup_message_headers_ref(soup_message_get_response_headers(msg));
	r.body = g_strndup(g_bytes_get_data(answer, NULL), g_bytes_get_size(answer));
	return r;
}

static char *
attribute(const char *sdp, const char *key)
{
	g_autofree char *needle = g_strdup_printf("a=%s:", key);
	const char *at = strstr(sdp, needle);

	g_assert_nonnull(at);
	at += strlen(needle);
	return g_strndup(at, strcspn(at, "\r\n"));
}

static void
test_whip(Fixture *f, gconstpointer data)
{
	g_autoptr(Sig) staff = sig_connect(f->d, f->staff);
	g_autofree char *bp0 = bp_id(f, 0);
	g_autofree char *path = g_strdup_printf("/whip/%" G_GINT64_FORMAT, f->session);
	Peer *encoder = peer_new(NULL, "encoder", TRUE);
	g_autofree char *offer = peer_offer(encoder, TRUE);
	g_autofree char *ufrag = attribute(offer, "ice-ufrag");
	g_autofree char *pwd = attribute(offer, "ice-pwd");
	g_autofree char *mid = attribute(offer, "mid");
	g_autofree char *frag = NULL;
	g_autofree char *restart = NULL;
	g_autoptr(JsonObject) left = NULL;
	Reply r;
	const char *location;
	gint64 other;
	g_autofree char *other_path = NULL;
	g_autofree char *location_copy = NULL;
	Peer *see_bp;

	/* errors before anything joins */
	r = whip(f, "POST", path, NULL, "application/sdp", offer);
	g_assert_cmpuint(r.status, ==, 401);
	reply_clear(&r);
	r = whip(f, "POST", path, f->staff, "application/sdp", offer);
	g_assert_cmpuint(r.status, ==, 403);
	reply_clear(&r);
	r = whip(f, "POST", "/whip/9999", f->op[0], "application/sdp", offer);
	g_assert_cmpuint(r.status, ==, 404);
	reply_clear(&r);
	other = new_session(f);
	other_path = g_strdup_printf("/whip/%" G_GINT64_FORMAT, other);
	r = whip(f, "POST", other_path, f->op[0], "application/sdp", offer);
	g_assert_cmpuint(r.status, ==, 409);
	reply_clear(&r);
	r = whip(f, "POST", path, f->op[0], "text/plain", offer);
	g_assert_cmpuint(r.status, ==, 415);
	reply_clear(&r);

	/* the offer: 201 with the resource, its tag and an answer with candidates */
	r = whip(f, "POST", path, f->op[0], "application/sdp", offer);
	g_assert_cmpuint(r.status, ==, 201);
	location = soup_message_headers_get_one(r.headers, "Location");
	g_assert_nonnull(location);
	g_assert_true(g_str_has_prefix(location, path));
	location_copy = g_strdup(location);
	g_assert_nonnull(soup_message_headers_get_one(r.headers, "ETag"));
	g_assert_cmpstr(soup_message_headers_get_content_type(r.headers, NULL), ==,
			"application/sdp");
	g_assert_nonnull(strstr(soup_message_headers_get_list(r.headers, "Link"),
				"<stun:stun.example.org:3478>; rel=\"ice-server\""));
	g_assert_nonnull(strstr(r.body, "a=candidate:"));
	g_assert_nonnull(strstr(r.body, "a=end-of-candidates"));
	peer_set_answer(encoder, r.body);
	reply_clear(&r);

	/* the hall receives it */
	see_bp = sig_peer(staff, f->session, FALSE, bp0, "see-bp");
	WAIT_UNTIL(g_atomic_int_get(&see_bp->frames) > 5);

	/* trickle: 204; an ICE restart: 422; another bridge point: 403 */
	frag = g_strdup_printf("a=ice-ufrag:%s\r\na=ice-pwd:%s\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"
			       "a=mid:%s\r\na=candidate:1 1 UDP 2015363327 127.0.0.1 9 typ host\r\n"
			       "a=end-of-candidates\r\n",
			       ufrag, pwd, mid);
	r = whip(f, "PATCH", location_copy, f->op[0], "application/trickle-ice-sdpfrag", frag);
	g_assert_cmpuint(r.status, ==, 204);
	reply_clear(&r);
	restart = g_strdup_printf("a=ice-ufrag:new0\r\na=ice-pwd:newpasswordnewpassword00\r\n"
				  "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:%s\r\n",
				  mid);
	r = whip(f, "PATCH", location_copy, f->op[0], "application/trickle-ice-sdpfrag", restart);
	g_assert_cmpuint(r.status, ==, 422);
	reply_clear(&r);
	r = whip(f, "PATCH", location_copy, f->op[1], "application/trickle-ice-sdpfrag", frag);
	g_assert_cmpuint(r.status, ==, 403);
	reply_clear(&r);
	r = whip(f, "PATCH", location_copy, f->op[0], "application/sdp", frag);
	g_assert_cmpuint(r.status, ==, 415);
	reply_clear(&r);
	r = whip(f, "DELETE", location_copy, f->op[1], NULL, NULL);
	g_assert_cmpuint(r.status, ==, 403);
	reply_clear(&r);

	/* DELETE: the publisher leaves; then the resource is gone */
	sig_send(staff, "{\"type\":\"subscribe\",\"session_id\":%" G_GINT64_FORMAT "}", f->session);
	json_object_unref(sig_wait(staff, "subscribed", NULL, NULL));
	r = whip(f, "DELETE", location_copy, f->op[0], NULL, NULL);
	g_assert_cmpuint(r.status, ==, 200);
	reply_clear(&r);
	left = sig_wait(staff, "peer", "id", bp0);
	g_assert_cmpstr(json_object_get_string_member(left, "event"), ==, "left");
	g_assert_cmpstr(json_object_get_string_member(left, "via"), ==, "whip");
	r = whip(f, "DELETE", location_copy, f->op[0], NULL, NULL);
	g_assert_cmpuint(r.status, ==, 404);
	reply_clear(&r);
	peer_free(encoder);
}

int
main(int argc, char **argv)
{
	gst_init(&argc, &argv);
	g_test_init(&argc, &argv, NULL);
	all_sigs = g_ptr_array_new();
	g_test_add("/civic-bridge/media-signalling/ws-media-floor-and-end", Fixture, NULL,
		   fixture_setup, test_ws_media, fixture_teardown);
	g_test_add("/civic-bridge/media-signalling/citizen-admission", Fixture, NULL, fixture_setup,
		   test_citizen_admission, fixture_teardown);
	g_test_add("/civic-bridge/media-signalling/whip", Fixture, NULL, fixture_setup, test_whip,
		   fixture_teardown);
	return g_test_run();
}
