/* civic-bridge: exporting a closed recording: one track as one file, or the composite */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* a segment of a track, as the manifest lists it (the file checked by verify) */
typedef struct {
	char *path; /* the file, folder included */
	gint64 start_us;
	gint64 end_us;
} CbExportSegment;

/* one published track of one peer over the whole recording */
typedef struct {
	char *peer;            /* the room id: "hall", "bp-3", "citizen" */
	char *kind;            /* "audio" or "video" */
	gboolean confidential; /* holds segments of the confidential recording */
	GPtrArray *segments;   /* CbExportSegment, by start */
} CbExportTrack;

/* from @time_us on, @peer holds the floor (NULL: nobody) */
typedef struct {
	gint64 time_us;
	char *peer;
} CbExportFloor;

/* a peer's place in the composite: the hall and the floor large, the others in a grid */
typedef struct {
	char *peer;
	char *label;    /* never a person's name: the room id */
	gboolean floor; /* the floor's area, shown while @peer holds it */
	gint x, y, width, height;
	CbExportTrack *video; /* may be NULL: the tile stays black */
} CbExportTile;

#define CB_EXPORT_WIDTH     1280
#define CB_EXPORT_HEIGHT    720
#define CB_EXPORT_FRAMERATE 30

/**
 * CbExportPlan:
 * @tracks: CbExportTrack, hall first, then bridge points by number, the
 *   citizen, anything else by name; audio before video
 * @floor: CbExportFloor, by time
 * @tiles: CbExportTile of the composite: the hall, one per floor holder
 *   with video (same area, shown in turn), then the grid
 * @start_us, @end_us: the recording's span, from the first segment's start
 *   to the last one's end
 */
typedef struct {
	GPtrArray *tracks;
	GPtrArray *floor;
	GPtrArray *tiles;
	gint64 start_us;
	gint64 end_us;
} CbExportPlan;

void cb_export_plan_free(CbExportPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbExportPlan, cb_export_plan_free)

/* a recording folder to export from */
typedef struct {
	const char *folder;
	gboolean confidential; /* the session's confidential recording */
	gboolean optional;     /* left out, not an error, when it holds no recording */
} CbExportSource;

/**
 * cb_export_plan_load:
 * @sources: @n_sources recording folders
 *
 * Reads each folder's manifest and refuses, with an error saying why, a
 * folder without a recording, a recording still in progress (see
 * cb_export_recording_closed()), one that cb_manifest_verify() does not find
 * intact (the problems are named) and one with no segment.
 */
CbExportPlan *cb_export_plan_load(const CbExportSource *sources, guint n_sources, GError **error);

/* TRUE when a "stop" or "interrupted" entry follows the last "segment" and
 * "part" entry of @entries (JsonObject): the recorder has closed it, or the
 * daemon marked where it stopped. Anything else may still be written to. */
gboolean cb_export_recording_closed(GPtrArray *entries);

/* the track "PEER/KIND" (as in "bp-3/video"), or NULL */
CbExportTrack *cb_export_plan_find_track(CbExportPlan *plan, const char *name);

/* lays the tiles out on a @width x @height frame (cb-export-layout.c) */
void cb_export_plan_layout(CbExportPlan *plan, gint width, gint height);

/**
 * cb_export_remux_track:
 * @origin_us: the wall-clock time that becomes 0 in @output
 * @codec: (out) (optional): the caps name of the track ("video/x-vp8", ...)
 *
 * Writes the segments of @track into one Matroska file (WebM for VP8, VP9,
 * Opus and Vorbis) without decoding: each segment's first frame is placed at
 * its start in the manifest, so a gap stays a gap.
 */
gboolean cb_export_remux_track(const CbExportTrack *track, gint64 origin_us, const char *output,
			       char **codec, GCancellable *cancellable, GError **error);

/* how far @stage ("preparing tracks", "rendering") of the composite is, 0 to 1 */
typedef void (*CbExportProgressFunc)(const char *stage, double done, gpointer user_data);

/**
 * cb_export_composite:
 * @template_path: the pipeline template (pipelines/composite.pipeline)
 * @work_dir: an empty folder for the tracks remuxed on the way; left empty
 *
 * Renders @plan into one WebM file at @output through the template's
 * pipeline, calling @progress now and then. Runs its own main loop in the
 * thread-default context: never call it from the daemon's. Cancelling
 * @cancellable (from any thread) stops it within half a second with
 * G_IO_ERROR_CANCELLED, its remuxed tracks removed.
 */
gboolean cb_export_composite(CbExportPlan *plan, const char *template_path, const char *work_dir,
			     const char *output, CbExportProgressFunc progress, gpointer user_data,
			     GCancellable *cancellable, GError **error);

/* the pipeline templates' folder: $CIVIC_BRIDGE_PIPELINES_DIR, else the installed one */
const char *cb_export_pipelines_dir(void);

G_END_DECLS
