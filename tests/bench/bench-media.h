/* civic-bridge benchmark of live sessions (issue 4): shared parts
 *
 * bench-media-clip.c   the pre-encoded clip, its replay, packet identities
 * bench-media-peer.c   webrtcbin test peers that replay or count
 * bench-media-relay.c  the baselines: bare webrtcbin pair and relays
 * bench-media.c        the daemon's figures and the summary
 */
#pragma once

#include "bench-common.h"

#include <gst/gst.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

G_BEGIN_DECLS

typedef enum {
	BM_VIDEO,
	BM_AUDIO,
	BM_N_TRACKS,
} BmTrack;

#define BM_VIDEO_PT 96
#define BM_AUDIO_PT 111

/* --- the clip: encoded once, replayed by every publisher --- */

typedef struct {
	GPtrArray *frames[BM_N_TRACKS]; /* GstBuffer *, in order */
	GstCaps *caps[BM_N_TRACKS];
	GArray *keyframes; /* guint: indices of video keyframes */
	GstClockTime frame_ns[BM_N_TRACKS];
	guint64 bytes[BM_N_TRACKS];
	double seconds;
} BmClip;

BmClip *bm_clip_encode(double seconds, GError **error);

/* --- packet identities: what a publisher sent, when --- */

/* one forwarded stream's origin: payload hash -> last send time */
typedef struct {
	GMutex lock;
	GHashTable *sent;
	gboolean whole_packet; /* hash the whole RTP packet (plain UDP relay) */
	guint64 sent_in_window[BM_N_TRACKS];
} BmSource;

/* what one receiver got from its source */
typedef struct {
	BmSource *source;
	guint64 received[BM_N_TRACKS]; /* in the window (by send time) */
	guint64 unmatched;             /* packets with no known send */
	guint64 total;                 /* every packet, in the window or not */
	GArray *delays_us;             /* gint64, send to receive, in the window */
	gint64 first_frame_us;         /* first decoded video frame, 0: none */
	GMutex lock;
} BmSink;

BmSource *bm_source_new(gboolean whole_packet);
void bm_source_free(BmSource *source);
BmSink *bm_sink_new(BmSource *source);
void bm_sink_free(BmSink *sink);

/* the measuring window: sends inside it are counted; receives of them too */
void bm_window_start(void);
void bm_window_stop(void);
void bm_window_reset(void);

/* pad probes recording sends (on a payloader's src) and receives */
GstPadProbeReturn bm_send_probe_cb(GstPad *pad, GstPadProbeInfo *info, gpointer source);
GstPadProbeReturn bm_receive_probe_cb(GstPad *pad, GstPadProbeInfo *info, gpointer sink);
GstPadProbeReturn bm_first_frame_probe_cb(GstPad *pad, GstPadProbeInfo *info, gpointer sink);

/* --- the replay: one thread paces every publisher's appsrcs --- */

typedef struct _BmReplay BmReplay;
BmReplay *bm_replay_start(BmClip *clip, GstElement *pipeline, BmSource *source);
void bm_replay_stop(BmReplay *replay);
guint bm_replay_keyframe_requests(BmReplay *replay);

/* --- peers --- */

typedef struct {
	char *handle;
	GstElement *pipeline;
	GstElement *webrtc; /* NULL for a plain UDP publisher */
	BmReplay *replay;   /* publishers */
	BmSink *sink;       /* subscribers */
	gint64 offer_sent_us;
	gboolean count_only; /* a join-and-leave cycle: answers are counted, not set */
	gboolean answered;
	gboolean left;
	char *state; /* the daemon's peer-state */
	gpointer owner;
} BmPeer;

/* a publisher replaying @clip into a webrtcbin, or (@udp_port > 0) to
 * 127.0.0.1:@udp_port; sends are recorded in @source */
BmPeer *bm_publisher_new(const char *handle, BmClip *clip, BmSource *source, guint udp_port);
/* a subscriber: recvonly transceivers when @offers (it offers) or none (it
 * answers); @decode adds a VP8 decoder for the first decoded frame */
BmPeer *bm_subscriber_new(const char *handle, BmSource *source, gboolean offers, gboolean decode);
void bm_peer_free(BmPeer *peer);
/* 127.0.0.1 only, no ICE-TCP, no UPnP */
void bm_peer_configure_ice(GstElement *webrtc);

/* starts the pipeline and makes the offer (set as local description) */
char *bm_peer_offer(BmPeer *peer);
/* sets a remote offer and returns the answer (set as local description) */
char *bm_peer_answer(BmPeer *peer, const char *offer);
void bm_peer_set_answer(BmPeer *peer, const char *sdp);
gboolean bm_peer_gathered(BmPeer *peer);
/* the local description as text, with the candidates gathered so far */
char *bm_peer_local_sdp(BmPeer *peer);

/* --- waiting, bounded: iterates the default context, calling @pump --- */

typedef gboolean (*BmCond)(gpointer data);
void bm_set_pump(void (*pump)(void));
gboolean bm_wait(BmCond cond, gpointer data, guint timeout_ms);
void bm_idle(guint ms);

/* --- readings --- */

double bm_self_cpu_seconds(void);
char *bm_load_average(void);
guint64 bm_udp_rcvbuf_errors(void);

/* --- baselines (bench-media-relay.c) --- */

/* subprocess modes of this program */
int bm_relay_webrtc_main(guint pairs);
int bm_relay_udp_main(guint in_port, guint out_port);

typedef struct {
	double cpu_s;
	double wall_s;
	guint64 sent;
	guint64 received;
	double delay_p50_ms;
	double delay_p99_ms;
	gboolean ok;
} BmRelayResult;

/* runs @streams publishers through a relay process for @seconds */
BmRelayResult bm_relay_webrtc_run(const char *self, BmClip *clip, guint streams, guint seconds);
BmRelayResult bm_relay_udp_run(const char *self, BmClip *clip, guint streams, guint seconds);

/* bare webrtcbin pairs in this process: offer to first decoded frame, in
 * ms, for @at_once pairs connecting together; failures are not added */
guint bm_bare_join(BmClip *clip, guint at_once, GArray *join_ms);

G_END_DECLS
