/* civic-bridge tests: recordings made of real segments (GStreamer encoders
 * into splitmuxsink, as the recorder writes them) and a manifest written
 * with the daemon's own code */
#pragma once

#include "civic-bridge/cb-manifest.h"

G_BEGIN_DECLS

/* what the synthetic peers send */
typedef struct {
	guint width;
	guint height;
	guint framerate;
	guint video_bitrate; /* bits per second */
	guint segment_ms;    /* splitmuxsink's max-size-time */
	guint keyframe_ms;   /* the encoder's keyframe interval */
	guint motion;        /* videotestsrc's horizontal-speed */
	gboolean h264;       /* H.264 (openh264enc) instead of VP8 */
} CbTestRecordingFormat;

/* 160x90 at 10 fps, 1 s segments: small and quick on a busy machine */
extern const CbTestRecordingFormat cb_test_recording_small;
/* what a bridge point sends: 640x360 at 30 fps, 1 Mbps, a keyframe every 2 s,
 * moving pictures, in 4 s segments */
extern const CbTestRecordingFormat cb_test_recording_camera;

/* whether the H.264 encoder the helper uses is installed */
gboolean cb_test_recording_has_h264(void);

/* a wall-clock origin for synthetic recordings (µs since the epoch) */
#define CB_TEST_RECORDING_BASE_US (G_GINT64_CONSTANT(1795000000) * G_USEC_PER_SEC)

/* @folder made, its manifest opened and a "part" 1 entry written */
CbManifest *cb_test_recording_begin(const char *folder);

/* encodes @seconds of @peer's @kind ("audio": Opus, "video": VP8 with
 * videotestsrc @pattern) into segments under @folder/@peer/ and lists each
 * in @manifest, the first starting @start_ms after CB_TEST_RECORDING_BASE_US.
 * Fails the test on any error. */
void cb_test_recording_add_track(CbManifest *manifest, const char *folder, const char *peer,
				 const char *kind, guint start_ms, guint seconds, guint pattern,
				 const CbTestRecordingFormat *format);

/* a timeline event at @at_ms after the base ("floor", "joined", "left") */
void cb_test_recording_add_event(CbManifest *manifest, const char *event, const char *subject,
				 guint at_ms);

/* the "stop" entry: the recording is closed */
void cb_test_recording_stop(CbManifest *manifest);

/* the duration gst-discoverer-1.0 reports for @path, in seconds (-1 when it
 * cannot read the file) */
double cb_test_recording_discover(const char *path, char **output);

G_END_DECLS
