#define G_LOG_DOMAIN "CbMedia"

/*
 * Recording the live sessions: which ones and when, their manifests, the
 * timeline, the free-space floor (README.md "Recording").
 *
 * A recording holds its room until the room has closed every segment, so
 * a session that ends finishes its last segments after its peers are gone.
 * Each manifest is written by its own writer thread (cb-manifest-writer.c):
 * nothing here hashes or syncs on the main loop. The confidential manifest
 * (a denouncer's tracks) opens with the first segment that goes there.
 */

#include <errno.h>
#include <sys/statvfs.h>

#include <glib/gstdio.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-manifest-writer.h"
#include "civic-bridge/cb-schedule.h"

#include "cb-media-rooms-private.h"

/* how often the free space is looked at while recording */
#define CB_RECORDING_DISK_CHECK_SECONDS 2

typedef struct {
	CbMediaRooms *rooms;
	gint64 session_id;
	CbRoom *room; /* held until it closed every segment */
	CbManifestWriter *writer;
	CbManifestWriter *confidential; /* NULL until a confidential segment */
	char *folder;
	char *confidential_folder;
	guint part;
	gboolean active; /* FALSE: closing */
	char *reason;    /* why it started, then why it stopped */
	char *message;   /* what went wrong, if it did */
	GSource *disk_timer;
	GThread *closer;
} CbMediaRecording;

static CbMediaRecording *
cb_media_recording_lookup(CbMediaRooms *self, gint64 session_id)
{
	return self->recordings != NULL ? g_hash_table_lookup(self->recordings, &session_id) : NULL;
}

static void
cb_media_recording_tell(CbMediaRecording *rec, gboolean active, const char *message)
{
	g_signal_emit(rec->rooms, cb_media_rooms_signals[SIGNAL_RECORDING_CHANGED], 0,
		      rec->session_id, active, rec->reason, message);
}

static JsonObject *
cb_media_recording_entry(const char *type, const char *key, const char *value)
{
	JsonObject *entry = json_object_new();

	json_object_set_string_member(entry, "type", type);
	if (key != NULL)
		json_object_set_string_member(entry, key, value);
	return entry;
}

static void
cb_media_recording_add_part(CbMediaRecording *rec, CbManifestWriter *writer)
{
	JsonObject *entry = cb_media_recording_entry("part", "reason", rec->reason);

	json_object_set_int_member(entry, "part", rec->part);
	cb_manifest_writer_add_entry(writer, entry);
}

/* ---- a staff recording outlives a restart ---- */

/* STATE/recordings/.staff-ID while staff want session ID recorded: a file
 * beside the recording folders (the folder itself must hold only what its
 * manifest lists), made on a staff start, removed on a staff stop or when
 * the session leaves live; the rooms hold no store, and the marker lives
 * and goes with the recordings it is about */
static char *
cb_media_recording_marker(CbMediaRooms *self, gint64 session_id)
{
	g_autofree char *name = g_strdup_printf(".staff-%" G_GINT64_FORMAT, session_id);

	return g_build_filename(self->state_dir, CB_RECORDINGS_DIR, name, NULL);
}

static void
cb_media_recording_remember(CbMediaRooms *self, gint64 session_id, gboolean on)
{
	g_autofree char *path = NULL;
	g_autoptr(GError) error = NULL;

	if (self->state_dir == NULL)
		return;
	path = cb_media_recording_marker(self, session_id);
	if (on &&
	    !g_file_set_contents_full(path, "staff\n", -1,
				      G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
				      0600, &error))
		g_warning("session %" G_GINT64_FORMAT
			  ": the staff recording will not resume after a restart: %s",
			  session_id, error->message);
	else if (!on && g_unlink(path) != 0 && errno != ENOENT)
		g_warning("session %" G_GINT64_FORMAT ": cannot remove %s: %s", session_id, path,
			  g_strerror(errno));
}

static gboolean
cb_media_recording_remembered(CbMediaRooms *self, gint64 session_id)
{
	g_autofree char *path = NULL;

	if (self->state_dir == NULL)
		return FALSE;
	path = cb_media_recording_marker(self, session_id);
	return g_file_test(path, G_FILE_TEST_IS_REGULAR);
}

/* ---- free space ---- */

/* FALSE with @error when the recordings' file system is under the floor */
static gboolean
cb_media_recording_check_disk(CbMediaRooms *self, const char *path, GError **error)
{
	struct statvfs vfs;
	guint64 free_mb;

	if (statvfs(path, &vfs) != 0) {
		int saved = errno;
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "cannot read the free space of %s: %s", path, g_strerror(saved));
		return FALSE;
	}
	free_mb = (guint64)vfs.f_bavail * vfs.f_frsize / (1024 * 1024);
	if (free_mb >= self->min_free_mb)
		return TRUE;
	g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
		    "not enough free disk space to record: %" G_GUINT64_FORMAT
		    " MiB free, [recording] min-free-mb is %u",
		    free_mb, self->min_free_mb);
	return FALSE;
}

/* ---- stopping ---- */

static void cb_media_recording_stop(CbMediaRecording *rec, const char *reason, const char *message);

static gboolean
cb_media_recording_disk_cb(gpointer data)
{
	CbMediaRecording *rec = data;
	g_autoptr(GError) error = NULL;

	if (!g_file_test(rec->folder, G_FILE_TEST_IS_DIR)) {
		g_autofree char *message = g_strdup_printf(
			"the recording folder %s disappeared; recording stopped", rec->folder);
		g_warning("session %" G_GINT64_FORMAT ": %s", rec->session_id, message);
		g_clear_pointer(&rec->disk_timer, g_source_unref);
		cb_media_recording_stop(rec, "error", message);
		return G_SOURCE_REMOVE;
	}
	if (cb_media_recording_check_disk(rec->rooms, rec->rooms->state_dir, &error))
		return G_SOURCE_CONTINUE;
	g_warning("session %" G_GINT64_FORMAT ": %s; recording stops", rec->session_id,
		  error->message);
	g_clear_pointer(&rec->disk_timer, g_source_unref);
	cb_media_recording_stop(rec, "disk-full", error->message);
	return G_SOURCE_REMOVE;
}

static void
cb_media_recording_free(CbMediaRecording *rec)
{
	if (rec->disk_timer != NULL) {
		g_source_destroy(rec->disk_timer);
		g_source_unref(rec->disk_timer);
	}
	if (rec->closer != NULL)
		g_thread_join(rec->closer);
	g_signal_handlers_disconnect_by_data(rec->room, rec);
	g_object_unref(rec->room);
	cb_manifest_writer_close(rec->writer);
	cb_manifest_writer_close(rec->confidential);
	g_free(rec->folder);
	g_free(rec->confidential_folder);
	g_free(rec->reason);
	g_free(rec->message);
	g_free(rec);
}

typedef struct {
	CbMediaRooms *rooms;
	gint64 session_id;
	GMainContext *context;
	CbManifestWriter *writers[2];
} CbMediaRecordingCloser;

static gboolean
cb_media_recording_closed_cb(gpointer data)
{
	CbMediaRecordingCloser *closer = data;
	CbMediaRecording *rec = cb_media_recording_lookup(closer->rooms, closer->session_id);

	if (rec != NULL && !rec->active) {
		g_info("session %" G_GINT64_FORMAT ": recording closed", closer->session_id);
		g_hash_table_remove(closer->rooms->recordings, &closer->session_id);
	}
	g_object_unref(closer->rooms);
	g_main_context_unref(closer->context);
	g_free(closer);
	return G_SOURCE_REMOVE;
}

/* a thread of its own: the writers finish what is queued (hashes, syncs) */
static gpointer
cb_media_recording_close_thread(gpointer data)
{
	CbMediaRecordingCloser *closer = data;

	for (guint i = 0; i < G_N_ELEMENTS(closer->writers); i++)
		cb_manifest_writer_close(closer->writers[i]);
	g_main_context_invoke(closer->context, cb_media_recording_closed_cb, closer);
	return NULL;
}

/* the room closed every segment: the manifests get their stop and close */
static void
cb_media_recording_room_stopped_cb(CbRoom *room, gpointer user_data)
{
	CbMediaRecording *rec = user_data;
	CbMediaRecordingCloser *closer;

	if (rec->active || rec->closer != NULL)
		return;
	closer = g_new0(CbMediaRecordingCloser, 1);
	closer->rooms = g_object_ref(rec->rooms);
	closer->session_id = rec->session_id;
	closer->context = g_main_context_ref_thread_default();
	closer->writers[0] = g_steal_pointer(&rec->writer);
	closer->writers[1] = g_steal_pointer(&rec->confidential);
	for (guint i = 0; i < G_N_ELEMENTS(closer->writers); i++)
		if (closer->writers[i] != NULL)
			cb_manifest_writer_add_entry(
				closer->writers[i],
				cb_media_recording_entry("stop", "reason", rec->reason));
	rec->closer = g_thread_new("cb-manifest-close", cb_media_recording_close_thread, closer);
}

static void
cb_media_recording_stop(CbMediaRecording *rec, const char *reason, const char *message)
{
	if (!rec->active)
		return;
	rec->active = FALSE;
	g_free(rec->reason);
	rec->reason = g_strdup(reason);
	rec->message = g_strdup(message);
	if (rec->disk_timer != NULL) {
		g_source_destroy(rec->disk_timer);
		g_clear_pointer(&rec->disk_timer, g_source_unref);
	}
	if (message != NULL)
		cb_manifest_writer_add_event(rec->writer, "recording-error", NULL, message);
	g_info("session %" G_GINT64_FORMAT ": recording stops (%s)", rec->session_id, reason);
	cb_media_recording_tell(rec, FALSE, message);
	/* `recording-stopped` follows once every segment is closed */
	if (cb_room_get_recording(rec->room))
		cb_room_stop_recording(rec->room);
	else
		cb_media_recording_room_stopped_cb(rec->room, rec);
}

/* ---- what the room and the writers report ---- */

static void
cb_media_recording_writer_failed(CbManifestWriter *writer, const GError *error, gpointer user_data)
{
	CbMediaRecording *rec = user_data;
	g_autofree char *message =
		g_strdup_printf("the recording's manifest cannot be written: %s", error->message);

	cb_media_recording_stop(rec, "error", message);
}

static void
cb_media_recording_segment_cb(CbRoom *room, gboolean confidential, gpointer data,
			      gpointer user_data)
{
	CbMediaRecording *rec = user_data;
	const CbManifestSegment *segment = data;
	g_autoptr(GError) error = NULL;

	if (confidential && rec->confidential == NULL) {
		rec->confidential = cb_manifest_writer_open(
			rec->confidential_folder, cb_media_recording_writer_failed, rec, &error);
		if (rec->confidential == NULL) {
			cb_media_recording_stop(rec, "error", error->message);
			return;
		}
		cb_media_recording_add_part(rec, rec->confidential);
	}
	if (rec->writer != NULL)
		cb_manifest_writer_add_segment(confidential ? rec->confidential : rec->writer,
					       segment);
}

static void
cb_media_recording_failed_cb(CbRoom *room, const char *message, gpointer user_data)
{
	cb_media_recording_stop(user_data, "error", message);
}

/* ---- starting ---- */

static CbMediaRecording *
cb_media_recording_new(CbMediaRooms *self, CbMediaRoom *room, const char *reason, GError **error)
{
	g_autofree char *recordings = g_build_filename(self->state_dir, CB_RECORDINGS_DIR, NULL);
	CbMediaRecording *rec;
	CbManifestWriter *writer;
	g_autofree char *folder = cb_recording_folder(self->state_dir, room->session_id, FALSE);

	if (g_mkdir_with_parents(recordings, 0700) != 0) {
		int saved = errno;
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT, "cannot make %s: %s", recordings,
			    g_strerror(saved));
		return NULL;
	}
	if (!cb_media_recording_check_disk(self, recordings, error))
		return NULL;
	rec = g_new0(CbMediaRecording, 1);
	writer = cb_manifest_writer_open(folder, cb_media_recording_writer_failed, rec, error);
	if (writer == NULL) {
		g_free(rec);
		return NULL;
	}
	rec->rooms = self;
	rec->session_id = room->session_id;
	rec->room = g_object_ref(room->room);
	rec->writer = writer;
	rec->folder = g_steal_pointer(&folder);
	rec->confidential_folder = cb_recording_folder(self->state_dir, room->session_id, TRUE);
	rec->part = cb_manifest_writer_get_last_part(writer) + 1;
	rec->reason = g_strdup(reason);
	rec->active = TRUE;
	return rec;
}

static gboolean
cb_media_recording_start(CbMediaRooms *self, CbMediaRoom *room, const char *reason, GError **error)
{
	CbMediaRecording *rec = cb_media_recording_lookup(self, room->session_id);
	CbRoomRecording spec = {0};
	g_autoptr(GError) local = NULL;

	if (self->state_dir == NULL) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_UNAVAILABLE,
				    "recording is off: the daemon has no state directory");
		return FALSE;
	}
	if (self->shutting_down) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_UNAVAILABLE,
				    "the daemon is stopping: no recording starts");
		return FALSE;
	}
	if (rec != NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    rec->active ? "session %" G_GINT64_FORMAT " is recording already"
					: "the last recording of session %" G_GINT64_FORMAT
					  " is still closing its segments; try again shortly",
			    room->session_id);
		return FALSE;
	}
	rec = cb_media_recording_new(self, room, reason, error);
	if (rec == NULL)
		return FALSE;
	spec.folder = rec->folder;
	spec.confidential_folder = rec->confidential_folder;
	spec.part = rec->part;
	spec.segment_seconds = self->segment_seconds;
	cb_media_recording_add_part(rec, rec->writer);
	g_signal_connect(rec->room, "recording-segment", G_CALLBACK(cb_media_recording_segment_cb),
			 rec);
	g_signal_connect(rec->room, "recording-failed", G_CALLBACK(cb_media_recording_failed_cb),
			 rec);
	g_signal_connect(rec->room, "recording-stopped",
			 G_CALLBACK(cb_media_recording_room_stopped_cb), rec);
	rec->disk_timer = g_timeout_source_new_seconds(CB_RECORDING_DISK_CHECK_SECONDS);
	g_source_set_callback(rec->disk_timer, cb_media_recording_disk_cb, rec, NULL);
	g_source_attach(rec->disk_timer, g_main_context_get_thread_default());
	g_hash_table_insert(self->recordings, g_memdup2(&rec->session_id, sizeof(gint64)), rec);
	g_info("session %" G_GINT64_FORMAT ": recording part %u (%s)", rec->session_id, rec->part,
	       reason);
	cb_media_recording_tell(rec, TRUE, NULL);
	/* the room may fail a track at once (a folder it cannot make): the
	 * handlers above stop the recording then, and the caller hears why */
	if (!cb_room_start_recording(rec->room, &spec, &local)) {
		cb_media_recording_stop(rec, "error", local->message);
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (!rec->active) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT, "recording stopped at once: %s",
			    rec->message != NULL ? rec->message : rec->reason);
		return FALSE;
	}
	return TRUE;
}

gboolean
cb_media_rooms_start_recording(CbMediaRooms *self, gint64 session_id, GError **error)
{
	CbMediaRoom *room = cb_media_rooms_find(self, session_id, error);

	if (room == NULL || !cb_media_recording_start(self, room, "staff", error))
		return FALSE;
	cb_media_recording_remember(self, session_id, TRUE);
	return TRUE;
}

gboolean
cb_media_rooms_stop_recording(CbMediaRooms *self, gint64 session_id, GError **error)
{
	CbMediaRoom *room = cb_media_rooms_find(self, session_id, error);
	CbMediaRecording *rec = cb_media_recording_lookup(self, session_id);

	if (room == NULL)
		return FALSE;
	if (rec == NULL || !rec->active) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "session %" G_GINT64_FORMAT " is not recording", session_id);
		return FALSE;
	}
	cb_media_recording_stop(rec, "staff", NULL);
	cb_media_recording_remember(self, session_id, FALSE);
	return TRUE;
}

gboolean
cb_media_rooms_get_recording(CbMediaRooms *self, gint64 session_id)
{
	CbMediaRecording *rec = cb_media_recording_lookup(self, session_id);

	return rec != NULL && rec->active;
}

guint
cb_media_rooms_shutdown_recordings(CbMediaRooms *self)
{
	g_autoptr(GList) recordings = NULL;

	self->shutting_down = TRUE;
	if (self->recordings == NULL)
		return 0;
	/* stopping may not change the table at once (the closing goes on in
	 * the main loop and the writers' threads) */
	recordings = g_hash_table_get_values(self->recordings);
	for (GList *l = recordings; l != NULL; l = l->next)
		cb_media_recording_stop(l->data, "shutdown", NULL);
	return cb_media_rooms_count_recordings(self);
}

guint
cb_media_rooms_count_recordings(CbMediaRooms *self)
{
	return self->recordings != NULL ? g_hash_table_size(self->recordings) : 0;
}

/* ---- the session and its timeline ---- */

void
cb_media_recording_session_changed(CbMediaRooms *self, const CbSession *session)
{
	CbMediaRecording *rec = cb_media_recording_lookup(self, session->id);
	CbMediaRoom *room;
	g_autoptr(GError) error = NULL;

	const char *reason = session->kind == CB_SESSION_LEADERSHIP ? "leadership" : NULL;

	/* a staff recording the daemon was running when it stopped resumes */
	if (session->state == CB_SESSION_LIVE && reason == NULL && rec == NULL &&
	    cb_media_recording_remembered(self, session->id))
		reason = "staff";
	if (session->state == CB_SESSION_LIVE && reason != NULL && rec == NULL &&
	    (room = g_hash_table_lookup(self->rooms, &session->id)) != NULL &&
	    !cb_media_recording_start(self, room, reason, &error))
		g_warning("session %" G_GINT64_FORMAT ": not recorded: %s", session->id,
			  error->message);
	if (session->state != CB_SESSION_LIVE) {
		if (rec != NULL)
			cb_media_recording_stop(rec, "session-ended", NULL);
		cb_media_recording_remember(self, session->id, FALSE);
	}
}

static void
cb_media_recording_note(CbMediaRooms *self, gint64 session_id, const char *event,
			const char *subject, const char *detail)
{
	CbMediaRecording *rec = cb_media_recording_lookup(self, session_id);

	if (rec != NULL && rec->active)
		cb_manifest_writer_add_event(rec->writer, event, subject, detail);
}

void
cb_media_recording_ticket(CbMediaRooms *self, const CbTicket *ticket)
{
	g_autofree char *subject = g_strdup_printf("ticket:%" G_GINT64_FORMAT, ticket->id);

	cb_media_recording_note(self, ticket->session_id, "ticket", subject,
				cb_ticket_state_to_string(ticket->state));
}

static void
cb_media_recording_peer_cb(CbMediaRooms *self, gint64 session_id, const CbMediaPeerInfo *peer,
			   const char *event, const char *detail, gpointer user_data)
{
	if (g_str_equal(event, "joined"))
		cb_media_recording_note(self, session_id, "joined", peer->id, peer->kind);
	else if (g_str_equal(event, "left"))
		cb_media_recording_note(self, session_id, "left", peer->id, detail);
}

static void
cb_media_recording_floor_cb(CbMediaRooms *self, gint64 session_id, const char *publisher,
			    gpointer user_data)
{
	cb_media_recording_note(self, session_id, "floor", publisher,
				publisher == NULL ? "nobody" : NULL);
}

static void
cb_media_recording_muted_cb(CbMediaRooms *self, gint64 session_id, const char *peer_id,
			    gboolean audio, gboolean video, gpointer user_data)
{
	g_autofree char *detail =
		g_strdup_printf("audio=%s video=%s", audio ? "off" : "on", video ? "off" : "on");

	cb_media_recording_note(self, session_id, "muted", peer_id, detail);
}

void
cb_media_recording_setup(CbMediaRooms *self)
{
	self->recordings = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
						 (GDestroyNotify)cb_media_recording_free);
	g_signal_connect(self, "peer-event", G_CALLBACK(cb_media_recording_peer_cb), NULL);
	g_signal_connect(self, "floor-changed", G_CALLBACK(cb_media_recording_floor_cb), NULL);
	g_signal_connect(self, "muted", G_CALLBACK(cb_media_recording_muted_cb), NULL);
}

void
cb_media_rooms_set_state_dir(CbMediaRooms *self, const char *state_dir)
{
	g_autofree char *recordings = g_build_filename(state_dir, CB_RECORDINGS_DIR, NULL);

	g_free(self->state_dir);
	self->state_dir = g_strdup(state_dir);
	cb_manifest_writer_close_interrupted(recordings);
}

void
cb_media_recording_dispose(CbMediaRooms *self)
{
	/* what cb_media_rooms_shutdown_recordings() could not close in time
	 * stays without a stop: the next start marks where the daemon stopped
	 * and lists the segments it was writing */
	if (self->recordings != NULL)
		g_hash_table_remove_all(self->recordings);
	g_clear_pointer(&self->state_dir, g_free);
}
