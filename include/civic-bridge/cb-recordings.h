/* civic-bridge: the recordings in the state directory, read back: listing,
 * one recording's figures and timeline, its files, legal hold and retention */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "civic-bridge/cb-clock.h"
#include "civic-bridge/cb-store.h"

G_BEGIN_DECLS

/* one publisher's track in a recording */
typedef struct {
	char *peer;  /* a room id: "hall", "bp-3", "citizen" */
	char *track; /* "audio", "video" */
	guint segments;
	guint64 bytes;
	gdouble seconds; /* the segments' durations summed */
	gint64 first_us; /* the first segment's start */
	gint64 last_us;  /* the last segment's end */
} CbRecordingTrack;

/**
 * CbRecordingInfo:
 * @parts: live periods (distinct part numbers of segments and "part" entries)
 * @seconds: the time the recording covers: per part, from its first
 *   segment's start to its last segment's end, summed over the parts
 * @first_us, @last_us: the earliest and the latest time the manifest names
 *   (entry times, segment starts and ends); 0 when it names none
 * @in_progress: the last part is still open: the manifest has no entry yet,
 *   or its last entry is neither "stop" (recording stopped) nor
 *   "interrupted" (the daemon stopped and a restart closed the part). A
 *   daemon that crashed leaves its part open until its restart closes it.
 * @manifest_ok: every entry's hash and link to the one before hold
 * @problems: what does not hold, one string each (a tampered manifest)
 * @unfinished_bytes: a last line the daemon was writing when it stopped (not a
 *   problem: it was never acknowledged)
 * @tracks: (detail only) CbRecordingTrack per peer and track
 * @entries: (detail only) every readable entry, JsonObject, in order
 */
typedef struct _CbRecordingInfo {
	gint64 session_id;
	gboolean confidential;
	char *folder;
	guint parts;
	guint segments;
	guint64 bytes;
	gdouble seconds;
	gint64 first_us;
	gint64 last_us;
	gboolean in_progress;
	gboolean manifest_ok;
	GPtrArray *problems;
	gsize unfinished_bytes;
	GPtrArray *tracks;
	GPtrArray *entries;
} CbRecordingInfo;

/* shared read-only: free drops one reference */
CbRecordingInfo *cb_recording_info_ref(CbRecordingInfo *info);
void cb_recording_info_free(CbRecordingInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbRecordingInfo, cb_recording_info_free)

/* reads the recording in @folder from its manifest (file I/O only: safe in
 * a worker thread); @detail adds the tracks and entries. CB_ERROR_NOT_FOUND
 * when the folder has no manifest. */
CbRecordingInfo *cb_recording_info_read(const char *folder, gint64 session_id,
					gboolean confidential, gboolean detail, GError **error);

/* whether @file (relative, from a manifest or a request) stays inside a
 * recording's folder: no "..", ".", empty or absolute part */
gboolean cb_recording_file_name_ok(const char *file);
/* the same, with CB_ERROR_INVALID saying what a file's name must be */
gboolean cb_recording_file_name_check(const char *file, GError **error);

/* the recordings of @state_dir: "SESSION" and "SESSION-confidential"
 * folders, by session id (file I/O only) */
typedef struct {
	gint64 session_id;
	gboolean confidential;
	char *folder;
} CbRecordingFolder;

void cb_recording_folder_free(CbRecordingFolder *folder);
GPtrArray *cb_recording_folders(const char *state_dir);

#define CB_TYPE_RECORDINGS (cb_recordings_get_type())
G_DECLARE_FINAL_TYPE(CbRecordings, cb_recordings, CB, RECORDINGS, GObject)

/* @retention_days 0: recordings are kept for ever */
CbRecordings *cb_recordings_new(CbStore *store, CbClock *clock, const char *state_dir,
				guint retention_days);
void cb_recordings_set_retention_days(CbRecordings *self, guint retention_days);
guint cb_recordings_get_retention_days(CbRecordings *self);
const char *cb_recordings_get_state_dir(CbRecordings *self);

/* the recordings (general, or with @confidential the confidential ones) */
GPtrArray *cb_recordings_list(CbRecordings *self, gboolean confidential, GError **error);
/* one recording in detail; CB_ERROR_NOT_FOUND when the session has none */
CbRecordingInfo *cb_recordings_get(CbRecordings *self, gint64 session_id, gboolean confidential,
				   GError **error);
/* whether the session has a confidential recording */
gboolean cb_recordings_has_confidential(CbRecordings *self, gint64 session_id);

/**
 * cb_recordings_file_path:
 *
 * The path of @file of a recording, only if a segment entry of its manifest
 * that holds lists it: CB_ERROR_INVALID for a name that would leave the
 * folder, CB_ERROR_NOT_FOUND for one the manifest does not list or a file
 * that is gone. *@bytes gets its size as listed.
 */
char *cb_recordings_file_path(CbRecordings *self, gint64 session_id, gboolean confidential,
			      const char *file, guint64 *bytes, GError **error);
/* the same, from a recording already read */
char *cb_recording_info_file_path(CbRecordingInfo *info, const char *file, guint64 *bytes,
				  GError **error);

/*
 * The same reads off the main loop, in a worker thread: a long recording's
 * manifest takes seconds to check, and the main loop carries every live
 * session's signalling. @callback runs on the thread-default main context
 * of the call.
 */
void cb_recordings_list_async(CbRecordings *self, gboolean confidential,
			      GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *cb_recordings_list_finish(CbRecordings *self, GAsyncResult *result, GError **error);
void cb_recordings_get_async(CbRecordings *self, gint64 session_id, gboolean confidential,
			     GAsyncReadyCallback callback, gpointer user_data);
CbRecordingInfo *cb_recordings_get_finish(CbRecordings *self, GAsyncResult *result, GError **error);

/* the legal hold (kept in the store); CB_ERROR_NOT_FOUND when neither the
 * store nor the state directory knows the session */
gboolean cb_recordings_set_hold(CbRecordings *self, const CbActor *actor, gint64 session_id,
				gboolean hold, GError **error);

/* a recording the purge deleted, or left with a @reason ("legal-hold",
 * "in-progress") although older than the retention */
typedef struct {
	gint64 session_id;
	gboolean confidential;
	guint64 bytes;
	gint64 last_us;
	const char *reason; /* static; NULL for a deleted one */
} CbPurgeItem;

typedef struct _CbPurgeResult {
	guint retention_days;
	gint64 cutoff_us;  /* recordings whose last time is before this are old */
	GArray *deleted;   /* CbPurgeItem */
	GArray *skipped;   /* CbPurgeItem */
	GPtrArray *failed; /* strings: a folder that could not be deleted, and why */
} CbPurgeResult;

void cb_purge_result_free(CbPurgeResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbPurgeResult, cb_purge_result_free)

/**
 * cb_recordings_purge_async:
 *
 * Deletes the recordings older than the retention, skipping sessions on
 * legal hold and recordings in progress, in a worker thread; the holds are
 * read from the store here, on the calling thread. The purge is audited
 * when it finishes. One purge runs at a time: a second one asked for
 * meanwhile fails with CB_ERROR_CONFLICT.
 */
void cb_recordings_purge_async(CbRecordings *self, const CbActor *actor,
			       GAsyncReadyCallback callback, gpointer user_data);
CbPurgeResult *cb_recordings_purge_finish(CbRecordings *self, GAsyncResult *result, GError **error);

/* runs the purge every 24 hours (the first one @first_delay_seconds after
 * this call) on the thread-default main context, while @self lives */
void cb_recordings_start_daily_purge(CbRecordings *self, guint first_delay_seconds);

G_END_DECLS
