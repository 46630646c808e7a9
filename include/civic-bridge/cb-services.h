/* civic-bridge: the domain objects the interfaces call into */
#pragma once

#include "civic-bridge/cb-clock.h"
#include "civic-bridge/cb-store.h"

G_BEGIN_DECLS

typedef struct _CbSchedule CbSchedule;
typedef struct _CbQueue CbQueue;
typedef struct _CbReceptionBook CbReceptionBook;
typedef struct _CbMediaRooms CbMediaRooms;
typedef struct _CbRecordings CbRecordings;

/**
 * CbServices:
 *
 * What the HTTP routes (and later the WebSocket) may call. CbDaemon, the
 * composition root, fills it in; the interfaces hold it but own nothing in it.
 * A member a build or a test does not wire is NULL.
 */
typedef struct {
	CbStore *store;
	CbClock *clock;
	CbSchedule *schedule;  /* sessions and series (cb-schedule.h) */
	CbQueue *queue;        /* tickets (cb-queue.h) */
	CbReceptionBook *book; /* reception book and reports (cb-reception-book.h) */
	CbMediaRooms *rooms;   /* media rooms of live sessions (cb-media-rooms.h) */
	/* recordings read back, legal holds, retention (cb-recordings.h) */
	CbRecordings *recordings;
} CbServices;

G_END_DECLS
