/* civic-bridge: the recorder of a room's published tracks (media side) */
#pragma once

#include "../media/cb-media-private.h"

G_BEGIN_DECLS

typedef struct _CbRecorder CbRecorder;

/* starts recording every track the room's slots carry now (see
 * cb_room_start_recording()) */
CbRecorder *cb_recorder_new(CbRoom *room, const CbRoomRecording *spec);
/* closes every track (EOS: each last segment is finished and reported);
 * `recording-stopped` follows on the room once all are closed. The room
 * frees the recorder then. */
void cb_recorder_stop(CbRecorder *recorder);
gboolean cb_recorder_is_stopping(CbRecorder *recorder);
/* tears everything down at once (the room goes) */
void cb_recorder_free(CbRecorder *recorder);

/* a slot's track can be recorded now (idempotent) */
void cb_recorder_track_up(CbRecorder *recorder, CbSlot *slot, CbTrack track);
/* a slot's publisher left: its tracks close, a later one starts afresh */
void cb_recorder_slot_down(CbRecorder *recorder, CbSlot *slot);
/* the room's confidentiality changed: a citizen's tracks move folder */
void cb_recorder_confidential_changed(CbRecorder *recorder);
/* a bus message of one of the recorder's elements: TRUE when handled */
gboolean cb_recorder_handle_message(CbRecorder *recorder, GstMessage *message);

/* cb-room.c: what the recorder uses of its room */
GPtrArray *cb_room_list_slots(CbRoom *room); /* CbSlot, borrowed */
gboolean cb_room_slot_has_publisher(CbRoom *room, CbSlot *slot);
/* a keyframe for the recording, through the publisher's merged requests */
void cb_room_request_recording_keyframe(CbRoom *room, CbSlot *slot);
void cb_room_emit_recording_segment(CbRoom *room, gboolean confidential, const void *segment);
void cb_room_emit_recording_failed(CbRoom *room, const char *message);
/* every track is closed: the room frees the recorder (later, not in this call) */
void cb_room_recording_stopped(CbRoom *room);

G_END_DECLS
