#define G_LOG_DOMAIN "CbDaemon"

#include "config.h"

#include <glib-unix.h>
#include <signal.h>

#include "civic-bridge/cb-config.h"
#include "civic-bridge/cb-daemon.h"
#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-http-server.h"
#include "civic-bridge/cb-media-rooms.h"
#include "civic-bridge/cb-notify.h"
#include "civic-bridge/cb-queue.h"
#include "civic-bridge/cb-reception-book.h"
#include "civic-bridge/cb-recordings.h"
#include "civic-bridge/cb-schedule.h"
#include "civic-bridge/cb-ws-events.h"
#include "civic-bridge/cb-ws-media.h"
#include "civic-bridge/cb-state-dir.h"
#include "civic-bridge/cb-store.h"

#define CB_STORE_FILE "civic-bridge.db"
/* the first daily purge of recordings runs this long after the start, so a
 * daemon restarted more often than daily still purges, and the start itself
 * does not wait for it */
#define CB_DAEMON_FIRST_PURGE_SECONDS 600
/* how long a stop waits for the recordings to finish their segments and
 * manifests: above the recorder's own bound per track (5 s), well under
 * systemd's TimeoutStopSec (30 s); what is not closed by then is closed at
 * the next start as after a crash */
#define CB_DAEMON_RECORDING_DRAIN_SECONDS 10
#define CB_DAEMON_RECORDING_DRAIN_POLL_MS 50

struct _CbDaemon {
	GObject parent_instance;
	char *config_path;
	gboolean config_required;
	char *state_dir_override;
	char *listen_override;

	CbConfig *config;
	CbClock *clock;
	CbStateDir *state_dir;
	CbStore *store;
	CbReceptionBook *book; /* the reception book and its reports */
	CbSchedule *schedule;
	CbQueue *queue;        /* the citizens' waiting queue */
	CbWsEvents *ws_events; /* pushes their changes to WebSocket clients */
	CbMediaRooms *rooms;   /* a media room per live session */
	CbWsMedia *ws_media;   /* media signalling on the WebSocket */
	/* recordings read back, legal holds and retention */
	CbRecordings *recordings;
	CbHttpServer *http;
	GMainLoop *loop;
	GSource *watchdog;
	guint sigterm_id;
	guint sigint_id;
	guint sighup_id;
	guint drain_id;     /* stopping: waiting for the recordings */
	gint64 drain_until; /* monotonic µs */
};

G_DEFINE_TYPE(CbDaemon, cb_daemon, G_TYPE_OBJECT)

/* the services, each before what it uses; the store last */
static void
cb_daemon_stop_services(CbDaemon *self)
{
	g_clear_object(&self->ws_events);
	/* the WebSocket clients are closed (and their peers released) first */
	if (self->http != NULL)
		cb_ws_hub_close_all(cb_http_server_get_ws_hub(self->http));
	g_clear_object(&self->ws_media);
	g_clear_object(&self->rooms);
	g_clear_object(&self->http);
	g_clear_object(&self->recordings);
	g_clear_object(&self->queue);
	g_clear_object(&self->schedule);
	g_clear_object(&self->book);
	g_clear_object(&self->store);
}

static void
cb_daemon_dispose(GObject *object)
{
	CbDaemon *self = CB_DAEMON(object);

	g_clear_handle_id(&self->sigterm_id, g_source_remove);
	g_clear_handle_id(&self->sigint_id, g_source_remove);
	g_clear_handle_id(&self->sighup_id, g_source_remove);
	g_clear_handle_id(&self->drain_id, g_source_remove);
	if (self->watchdog != NULL) {
		g_source_destroy(self->watchdog);
		g_clear_pointer(&self->watchdog, g_source_unref);
	}
	/* the store closes before the state directory's lock is released */
	cb_daemon_stop_services(self);
	g_clear_pointer(&self->state_dir, cb_state_dir_free);
	g_clear_object(&self->clock);
	G_OBJECT_CLASS(cb_daemon_parent_class)->dispose(object);
}

static void
cb_daemon_finalize(GObject *object)
{
	CbDaemon *self = CB_DAEMON(object);

	g_free(self->config_path);
	g_free(self->state_dir_override);
	g_free(self->listen_override);
	cb_config_free(self->config);
	g_clear_pointer(&self->loop, g_main_loop_unref);
	G_OBJECT_CLASS(cb_daemon_parent_class)->finalize(object);
}

static void
cb_daemon_class_init(CbDaemonClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = cb_daemon_dispose;
	object_class->finalize = cb_daemon_finalize;
}

static void
cb_daemon_init(CbDaemon *self)
{
	self->clock = cb_clock_new_real();
	self->loop = g_main_loop_new(NULL, FALSE);
}

CbDaemon *
cb_daemon_new(const CbDaemonOptions *options)
{
	CbDaemon *self = g_object_new(CB_TYPE_DAEMON, NULL);

	self->config_path = g_strdup(options->config_path);
	self->config_required = options->config_required;
	self->state_dir_override = g_strdup(options->state_dir);
	self->listen_override = g_strdup(options->listen);
	return self;
}

static void
cb_daemon_notify(const char *state)
{
	g_autoptr(GError) error = NULL;

	if (!cb_notify_send(state, &error))
		g_warning("%s", error->message);
}

/* reads the files and applies the command line on top */
static CbConfig *
cb_daemon_load_config(CbDaemon *self, GError **error)
{
	g_autoptr(GPtrArray) warnings = NULL;
	CbConfig *config =
		cb_config_load(self->config_path, self->config_required, &warnings, error);

	if (config == NULL)
		return NULL;
	for (guint i = 0; i < warnings->len; i++)
		g_warning("%s", (const char *)g_ptr_array_index(warnings, i));
	if (self->listen_override != NULL) {
		g_free(config->listen);
		config->listen = g_strdup(self->listen_override);
	}
	return config;
}

static gboolean
cb_daemon_watchdog_cb(gpointer user_data)
{
	cb_daemon_notify("WATCHDOG=1");
	return G_SOURCE_CONTINUE;
}

static void
cb_daemon_quit(CbDaemon *self)
{
	g_clear_handle_id(&self->drain_id, g_source_remove);
	if (self->http != NULL)
		cb_http_server_disconnect(self->http);
	g_main_loop_quit(self->loop);
}

/* the main loop (and so the watchdog pings) runs while the recordings close */
static gboolean
cb_daemon_drain_cb(gpointer user_data)
{
	CbDaemon *self = user_data;
	guint left = cb_media_rooms_count_recordings(self->rooms);

	if (left > 0 && g_get_monotonic_time() < self->drain_until)
		return G_SOURCE_CONTINUE;
	if (left > 0)
		g_warning("%u recording(s) not closed after %d s; the next start closes them", left,
			  CB_DAEMON_RECORDING_DRAIN_SECONDS);
	else
		g_message("every recording closed");
	self->drain_id = 0;
	cb_daemon_quit(self);
	return G_SOURCE_REMOVE;
}

/* SIGTERM, SIGINT: the recordings finish their segments first (bounded); a
 * second signal meanwhile stops at once */
static gboolean
cb_daemon_quit_cb(gpointer user_data)
{
	CbDaemon *self = user_data;
	guint recording;

	if (self->drain_id != 0) {
		g_message("stopping at once");
		cb_daemon_quit(self);
		return G_SOURCE_CONTINUE;
	}
	g_message("stopping");
	cb_daemon_notify("STOPPING=1\nSTATUS=Stopping");
	recording = self->rooms != NULL ? cb_media_rooms_shutdown_recordings(self->rooms) : 0;
	if (recording == 0) {
		cb_daemon_quit(self);
		return G_SOURCE_CONTINUE;
	}
	g_message("closing %u recording(s)", recording);
	self->drain_until =
		g_get_monotonic_time() + CB_DAEMON_RECORDING_DRAIN_SECONDS * G_USEC_PER_SEC;
	self->drain_id = g_timeout_add(CB_DAEMON_RECORDING_DRAIN_POLL_MS, cb_daemon_drain_cb, self);
	return G_SOURCE_CONTINUE;
}

static gboolean
cb_daemon_hup_cb(gpointer user_data)
{
	cb_daemon_reload(user_data);
	return G_SOURCE_CONTINUE;
}

void
cb_daemon_reload(CbDaemon *self)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbConfig) loaded = NULL;
	g_autoptr(GPtrArray) restart = NULL;

	g_message("reloading the configuration");
	cb_daemon_notify("RELOADING=1\nSTATUS=Reloading the configuration");
	loaded = cb_daemon_load_config(self, &error);
	if (loaded == NULL) {
		g_warning("reload failed, keeping the running configuration: %s", error->message);
		cb_daemon_notify("READY=1\nSTATUS=Reload failed; running configuration kept");
		return;
	}
	restart = cb_config_restart_needed(self->config, loaded);
	for (guint i = 0; i < restart->len; i++)
		g_warning("%s changed: it takes effect only after a restart",
			  (const char *)g_ptr_array_index(restart, i));
	cb_http_server_reconfigure(self->http, loaded);
	cb_schedule_reconfigure(self->schedule, loaded);
	cb_queue_reconfigure(self->queue, loaded);
	cb_media_rooms_reconfigure(self->rooms, loaded);
	cb_recordings_set_retention_days(self->recordings, loaded->recording_retention_days);
	/* keep what needs a restart as it runs, so later reloads compare with it */
	for (guint i = 0; i < restart->len; i++)
		g_debug("kept running value of %s", (const char *)g_ptr_array_index(restart, i));
	g_free(loaded->listen);
	loaded->listen = g_strdup(self->config->listen);
	g_free(loaded->state_dir);
	loaded->state_dir = g_strdup(self->config->state_dir);
	g_free(loaded->timezone);
	loaded->timezone = g_strdup(self->config->timezone);
	cb_config_free(self->config);
	self->config = g_steal_pointer(&loaded);
	g_message("configuration reloaded");
	cb_daemon_notify("READY=1\nSTATUS=Configuration reloaded");
}

static gboolean
cb_daemon_open_store(CbDaemon *self, GError **error)
{
	g_autofree char *dir =
		cb_state_dir_resolve(self->state_dir_override, self->config->state_dir);
	g_autofree char *db_path = NULL;

	self->state_dir = cb_state_dir_open(dir, TRUE, error);
	if (self->state_dir == NULL)
		return FALSE;
	db_path = cb_state_dir_file(self->state_dir, CB_STORE_FILE);
	self->store = cb_store_open(db_path, self->clock, error);
	return self->store != NULL;
}

static void
cb_daemon_start_watchdog(CbDaemon *self)
{
	guint64 usec = cb_notify_watchdog_usec();

	if (usec == 0)
		return;
	/* ping at half the interval, from the main loop: a stuck loop stops the pings */
	self->watchdog = g_timeout_source_new(MAX(usec / 2000, 1));
	g_source_set_callback(self->watchdog, cb_daemon_watchdog_cb, self, NULL);
	g_source_attach(self->watchdog, NULL);
}

/* the reception book and its reports, for the routes */
static gboolean
cb_daemon_start_book(CbDaemon *self, GError **error)
{
	CbServices services = *cb_http_server_get_services(self->http);

	self->book = cb_reception_book_new(self->store, self->clock, self->config->timezone, error);
	if (self->book == NULL)
		return FALSE;
	services.book = self->book;
	cb_http_server_set_services(self->http, &services);
	return TRUE;
}

static void
cb_daemon_session_changed_cb(CbSchedule *schedule, const CbSession *session, guint previous_state,
			     gpointer user_data)
{
	g_autoptr(GError) error = NULL;

	if (!cb_queue_session_changed(CB_QUEUE(user_data), session, &error))
		g_warning("the queue of session %" G_GINT64_FORMAT " could not follow it: %s",
			  session->id, error->message);
}

/* the waiting queue, following the schedule's sessions; it catches up with
 * what happened while the daemon was down */
static gboolean
cb_daemon_start_queue(CbDaemon *self, GError **error)
{
	CbServices services = *cb_http_server_get_services(self->http);

	self->queue = cb_queue_new(self->store, self->clock, self->config);
	g_signal_connect_object(self->schedule, "session-changed",
				G_CALLBACK(cb_daemon_session_changed_cb), self->queue, 0);
	services.queue = self->queue;
	cb_http_server_set_services(self->http, &services);
	return cb_queue_start(self->queue, error);
}

/* the media rooms follow the sessions and the admitted ticket; the
 * WebSocket carries their signalling and WHIP reaches them over HTTP */
static void
cb_daemon_start_media(CbDaemon *self)
{
	CbServices services = *cb_http_server_get_services(self->http);

	self->rooms = cb_media_rooms_new(self->schedule, self->queue, self->config);
	cb_media_rooms_set_state_dir(self->rooms, cb_state_dir_get_path(self->state_dir));
	self->ws_media = cb_ws_media_new(cb_http_server_get_ws_hub(self->http), self->rooms);
	services.rooms = self->rooms;
	cb_http_server_set_services(self->http, &services);
}

/* the recordings for the routes, and their retention once a day */
static void
cb_daemon_start_recordings(CbDaemon *self)
{
	CbServices services = *cb_http_server_get_services(self->http);

	self->recordings =
		cb_recordings_new(self->store, self->clock, cb_state_dir_get_path(self->state_dir),
				  self->config->recording_retention_days);
	cb_recordings_start_daily_purge(self->recordings, CB_DAEMON_FIRST_PURGE_SECONDS);
	services.recordings = self->recordings;
	cb_http_server_set_services(self->http, &services);
}

gboolean
cb_daemon_start(CbDaemon *self, GError **error)
{
	g_autofree char *status = NULL;

	self->config = cb_daemon_load_config(self, error);
	if (self->config == NULL || !cb_daemon_open_store(self, error))
		return FALSE;
	self->http = cb_http_server_new(self->store, self->clock, self->config);
	if (!cb_daemon_start_book(self, error))
		return FALSE;
	/* the schedule of sessions; its timers start at the end, once every
	 * module has connected to session-changed */
	self->schedule = cb_schedule_new(self->store, self->clock, self->config, error);
	if (self->schedule == NULL)
		return FALSE;
	{
		CbServices services = *cb_http_server_get_services(self->http);
		services.schedule = self->schedule;
		cb_http_server_set_services(self->http, &services);
	}
	if (!cb_daemon_start_queue(self, error))
		return FALSE;
	/* the rooms follow session changes before the session events go out,
	 * so that those say whether the session records */
	cb_daemon_start_media(self);
	self->ws_events = cb_ws_events_new(cb_http_server_get_ws_hub(self->http), self->queue,
					   self->schedule, self->store);
	cb_ws_events_set_rooms(self->ws_events, self->rooms);
	cb_daemon_start_recordings(self);
	if (!cb_http_server_listen(self->http, self->config->listen, error))
		return FALSE;
	self->sigterm_id = g_unix_signal_add(SIGTERM, cb_daemon_quit_cb, self);
	self->sigint_id = g_unix_signal_add(SIGINT, cb_daemon_quit_cb, self);
	self->sighup_id = g_unix_signal_add(SIGHUP, cb_daemon_hup_cb, self);
	cb_daemon_start_watchdog(self);
	/* opens what should have opened while the daemon was down */
	if (!cb_schedule_start(self->schedule, error) || !cb_media_rooms_start(self->rooms, error))
		return FALSE;
	g_message("civic-bridged %s listening on %s, state in %s", PACKAGE_VERSION,
		  cb_http_server_get_url(self->http), cb_state_dir_get_path(self->state_dir));
	status = g_strdup_printf("READY=1\nSTATUS=Listening on %s",
				 cb_http_server_get_url(self->http));
	cb_daemon_notify(status);
	return TRUE;
}

int
cb_daemon_run(CbDaemon *self)
{
	g_main_loop_run(self->loop);
	cb_daemon_stop_services(self);
	g_message("stopped");
	return 0;
}
