/* civic-bridge tests: a GStreamer webrtcbin test peer, and bounded waits */
#pragma once

#include <gst/gst.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

G_BEGIN_DECLS

/* ---- waiting: every wait is bounded and woken by the event it waits for ---- */

/* generous: with both cores taken by other work, a software H.264 encoder
 * in a test peer took more than 20 s to get its first frames through */
#define CB_TEST_WAIT_MS 40000

/* a function run before every check of CB_TEST_WAIT_UNTIL (the signalling
 * clients set one that reads their WebSockets); NULL: none */
void cb_test_set_wait_hook(void (*hook)(void));
void cb_test_run_wait_hook(void);
gboolean cb_test_timed_out_cb(gpointer data);

/* iterates the default main context until @cond holds; fails the test after @ms */
#define CB_TEST_WAIT_UNTIL_MS(cond, ms)                                                            \
	G_STMT_START                                                                               \
	{                                                                                          \
		gboolean timed_out_ = FALSE, met_ = FALSE;                                         \
		guint timer_ = g_timeout_add((ms), cb_test_timed_out_cb, &timed_out_);             \
		cb_test_run_wait_hook();                                                           \
		while (!(met_ = (cond)) && !timed_out_) {                                          \
			g_main_context_iteration(NULL, TRUE);                                      \
			cb_test_run_wait_hook();                                                   \
		}                                                                                  \
		if (!timed_out_)                                                                   \
			g_source_remove(timer_);                                                   \
		if (!met_)                                                                         \
			g_error("timed out waiting for %s", #cond);                                \
	}                                                                                          \
	G_STMT_END

#define CB_TEST_WAIT_UNTIL(cond) CB_TEST_WAIT_UNTIL_MS(cond, CB_TEST_WAIT_MS)

/* ---- the test peer ---- */

/* one GStreamer pipeline holding a webrtcbin named "w", ICE on 127.0.0.1
 * only (ICE-TCP and UPnP off); what it receives is decoded (VP8, H.264) and counted:
 * video frames per picture width, audio buffers */
typedef struct _CbTestPeer CbTestPeer;

/* a candidate of the peer, on the main context (never after the peer is freed) */
typedef void (*CbTestPeerCandidateFunc)(CbTestPeer *peer, guint mline, const char *candidate,
					gpointer user_data);

/* @description: a launch description with a webrtcbin named "w"; @name: a
 * label the owner uses (a peer id, a signalling handle) */
CbTestPeer *cb_test_peer_new(const char *name, const char *description);

/* sends VP8 @width x 96 at 15 fps (ball pattern) and Opus ticks; a keyframe
 * every @keyframe_max_dist frames (huge: only when asked by PLI). Distinct
 * widths tell publishers apart at the receivers. */
CbTestPeer *cb_test_peer_new_publisher(const char *name, guint width, guint keyframe_max_dist);

/* receives one video (VP8, payload type 101) and one audio (Opus, 109) track */
CbTestPeer *cb_test_peer_new_subscriber(const char *name);

/* stops the pipeline at once (no leave, no goodbye) and frees the peer */
void cb_test_peer_free(CbTestPeer *peer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbTestPeer, cb_test_peer_free)

const char *cb_test_peer_get_name(CbTestPeer *peer);
GstElement *cb_test_peer_get_pipeline(CbTestPeer *peer);
GstElement *cb_test_peer_get_webrtc(CbTestPeer *peer);

void cb_test_peer_set_candidate_func(CbTestPeer *peer, CbTestPeerCandidateFunc func,
				     gpointer user_data);

/* plays the pipeline, creates the offer and sets it as local description;
 * with @complete waits (bounded) for ICE gathering and returns the local
 * description with every candidate (as WHIP sends it) */
char *cb_test_peer_offer(CbTestPeer *peer, gboolean complete);
void cb_test_peer_set_answer(CbTestPeer *peer, const char *sdp);
void cb_test_peer_add_candidate(CbTestPeer *peer, guint mline, const char *candidate);

GstWebRTCPeerConnectionState cb_test_peer_get_connection_state(CbTestPeer *peer);
gboolean cb_test_peer_gathered(CbTestPeer *peer);

/* decoded video frames: all, of one width, of every width but one */
guint cb_test_peer_frames(CbTestPeer *peer);
guint cb_test_peer_frames_at(CbTestPeer *peer, guint width);
guint cb_test_peer_frames_except(CbTestPeer *peer, guint width);
/* received audio buffers */
guint cb_test_peer_audio(CbTestPeer *peer);

G_END_DECLS
