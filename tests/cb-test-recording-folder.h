/* civic-bridge tests: recording folders made as the recorder makes them, with
 * real Matroska segments (VP8, written by GStreamer in-process) and a
 * manifest written with the daemon's own manifest code */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* what a recording to write looks like */
typedef struct {
	gint64 session_id;
	gboolean confidential;
	guint segments_per_track; /* of the two tracks: hall video, bp-3 video */
	guint first_frames;       /* frames of the first segment (more: a larger file) */
	gint64 end_us;            /* the last segment's end; entries are timed before it */
	gboolean stopped;         /* ends with a "stop" entry; else it is in progress */
} CbTestRecordingSpec;

/* writes the recording into @state_dir (folder and files made 0700/0600);
 * returns the folder */
char *cb_test_recording_write(const char *state_dir, const CbTestRecordingSpec *spec);

/* a Matroska file of @n_frames VP8 frames of @pattern (videotestsrc's) at @path */
void cb_test_recording_write_mkv(const char *path, guint n_frames, guint pattern);

/* the files of the segments cb_test_recording_write() lists, relative, in order */
GPtrArray *cb_test_recording_files(const CbTestRecordingSpec *spec);

G_END_DECLS
