/* civic-bridge: one thread that writes a recording's manifest, in order */
#pragma once

#include "civic-bridge/cb-manifest.h"

G_BEGIN_DECLS

/*
 * Hashing a closed segment reads the whole file and every entry waits for
 * fdatasync(): neither may run on the main loop. A writer owns one manifest
 * and one thread that performs every append (segments, timeline events,
 * parts, the stop) in the order they were queued, so the manifest is never
 * written by two threads and its chain follows the order of events.
 */
typedef struct _CbManifestWriter CbManifestWriter;

/* called on the main context of the thread that opened the writer, once,
 * after the first append that failed (later appends are dropped) */
typedef void (*CbManifestWriterFailedFunc)(CbManifestWriter *writer, const GError *error,
					   gpointer user_data);

/**
 * cb_manifest_writer_open:
 * @folder: the recording's folder; made (0700) if missing
 *
 * Opens the folder's manifest (see cb_manifest_open(): a manifest left by a
 * daemon that stopped in the middle gets its "interrupted" entry), and
 * lists as "unfinished" every file in the folder the manifest does not
 * name: a segment that was being written when the daemon stopped.
 */
CbManifestWriter *cb_manifest_writer_open(const char *folder, CbManifestWriterFailedFunc failed,
					  gpointer user_data, GError **error);
/* waits for what is queued, then closes the manifest */
void cb_manifest_writer_close(CbManifestWriter *writer);

const char *cb_manifest_writer_get_folder(CbManifestWriter *writer);
/* the highest part the manifest named when it was opened (0: none) */
guint cb_manifest_writer_get_last_part(CbManifestWriter *writer);
/* whether an append failed */
gboolean cb_manifest_writer_has_failed(CbManifestWriter *writer);

/* queue an entry; the writer's thread hashes and appends it */
void cb_manifest_writer_add_segment(CbManifestWriter *writer, const CbManifestSegment *segment);
void cb_manifest_writer_add_event(CbManifestWriter *writer, const char *event, const char *subject,
				  const char *detail);
/* any entry ("part", "stop"); takes @entry */
void cb_manifest_writer_add_entry(CbManifestWriter *writer, JsonObject *entry);

/* closes every manifest under STATE/recordings that a daemon left without a
 * "stop": it gets "interrupted", its unfinished files, and a "stop" */
void cb_manifest_writer_close_interrupted(const char *recordings_dir);

G_END_DECLS
