/* civic-bridge: the manifest of a recording, an append-only hash chain */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * One line per entry, written with one write() and flushed to disk before
 * the call returns, so a crash leaves every acknowledged entry in place:
 *
 *     <sha256 of JSON, hex> <JSON>\n
 *
 * The JSON holds "seq" (1, 2, ...), "prev" (the previous entry's hash; 64
 * zeros for the first) and the entry's own members: "type" ("segment",
 * "event", "part", "stop", "interrupted"), "time" (ISO 8601 UTC), and per
 * type (see cb_manifest_add_segment() and cb_manifest_add_event()). People
 * appear by id (room ids such as "bp-3", ticket ids), never by name.
 */

/* where a session's recordings live: STATE/recordings/SESSION, and the
 * confidential one (a denouncer's tracks) apart in SESSION-confidential */
#define CB_RECORDINGS_DIR "recordings"
#define CB_MANIFEST_NAME  "manifest.jsonl"
char *cb_recording_folder(const char *state_dir, gint64 session_id, gboolean confidential);

#define CB_MANIFEST_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

typedef struct _CbManifest CbManifest;

/**
 * cb_manifest_open:
 * @path: the manifest file; made (mode 0600) if missing
 *
 * Opens a manifest for appending. A line the daemon was writing when it
 * stopped (no newline yet: never acknowledged) is cut off, and the next
 * entry, an "interrupted" one, says how many bytes went. An entry whose
 * hash or chain does not hold refuses the open: a manifest that was
 * tampered with is not written to.
 */
CbManifest *cb_manifest_open(const char *path, GError **error);
void cb_manifest_close(CbManifest *manifest);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbManifest, cb_manifest_close)

/* whether the manifest's last entry is a "stop" and its last line is
 * whole: read from the end of the file only (a daemon starting looks at
 * every recording it holds; the chain is checked where the manifest is
 * opened for writing); FALSE when unreadable or empty */
gboolean cb_manifest_ends_with_stop(const char *path);

/* appends @entry (its "seq", "prev" and "time" are set here) */
gboolean cb_manifest_append(CbManifest *manifest, JsonObject *entry, GError **error);

/* entries so far; the last entry's hash */
guint64 cb_manifest_get_n_entries(CbManifest *manifest);
const char *cb_manifest_get_last_hash(CbManifest *manifest);
/* the bytes an open cut off (0: the manifest ended cleanly) */
gsize cb_manifest_get_discarded_bytes(CbManifest *manifest);

/**
 * CbManifestSegment:
 * @file: path relative to the recording's folder
 * @part: the live period (1, 2, ... : a restart continues in a new part)
 * @peer: the room id of the publisher ("hall", "bp-3", "citizen")
 * @track: "audio" or "video"
 * @start_us, @end_us: wall-clock time (µs since the epoch) it covers
 */
typedef struct {
	const char *file;
	guint part;
	const char *peer;
	const char *track;
	gint64 start_us;
	gint64 end_us;
} CbManifestSegment;

/* hashes the closed segment file and appends its entry */
gboolean cb_manifest_add_segment(CbManifest *manifest, const char *folder,
				 const CbManifestSegment *segment, GError **error);

/* a timeline event: "joined", "left", "floor", "admitted", "finished"...;
 * @subject: a room id or "ticket:<id>"; @detail may be NULL */
gboolean cb_manifest_add_event(CbManifest *manifest, const char *event, const char *subject,
			       const char *detail, GError **error);

/* SHA-256 (hex) and size of a file, read in one pass */
gboolean cb_manifest_hash_file(const char *path, char **sha256, guint64 *size, GError **error);

/* the entries of a manifest, checked line by line (for verify and show):
 * an array of JsonObject; a line that does not parse or whose hash or chain
 * fails is reported in @problems (strings) and not returned */
GPtrArray *cb_manifest_read(const char *path, GPtrArray *problems, GError **error);

/**
 * CbManifestReport:
 * @intact: no problem found
 * @problems: strings, one per problem, naming the file or entry
 * @notes: what is not a problem but belongs in the record (an interruption)
 * @segments: segments listed
 * @seconds: the time the segments cover, per track summed
 */
typedef struct {
	gboolean intact;
	GPtrArray *problems;
	GPtrArray *notes;
	guint segments;
	gdouble seconds;
} CbManifestReport;

void cb_manifest_report_free(CbManifestReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbManifestReport, cb_manifest_report_free)

/**
 * cb_manifest_verify:
 * @folder: the recording's folder, holding @manifest_name and the segments
 *
 * Recomputes every segment's hash and size, checks the chain, and reports
 * segments missing, altered, truncated, files present but not listed
 * (extra), and gaps in a track's time not explained by an interruption or
 * a stop. Errors only when the manifest cannot be read at all.
 */
CbManifestReport *cb_manifest_verify(const char *folder, const char *manifest_name, GError **error);

G_END_DECLS
