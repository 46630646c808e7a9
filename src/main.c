/* civic-bridged: the civic-bridge daemon */
#define G_LOG_DOMAIN "CivicBridged"

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <nice/agent.h>
#include <sqlite3.h>

#include "civic-bridge/cb-config.h"
#include "civic-bridge/cb-daemon.h"
#include "civic-bridge/cb-schedule.h"

#define CB_DEFAULT_CONFIG CB_SYSCONFDIR "/civic-bridge.conf"

static void
cb_print_version(void)
{
	guint major, minor, micro, nano;

	gst_version(&major, &minor, &micro, &nano);
	g_print("civic-bridged %s\n", PACKAGE_VERSION);
	g_print("  GLib %u.%u.%u, GStreamer %u.%u.%u, libsoup %u.%u.%u, json-glib %s, SQLite %s\n",
		glib_major_version, glib_minor_version, glib_micro_version, major, minor, micro,
		soup_get_major_version(), soup_get_minor_version(), soup_get_micro_version(),
		JSON_VERSION_S, sqlite3_libversion());
}

/* systemd's ConfigurationDirectory= names /etc/civic-bridge whatever prefix
 * the daemon was built with: it wins over the built-in path */
static char *
cb_default_config_path(void)
{
	const char *from_systemd = g_getenv("CONFIGURATION_DIRECTORY");

	if (from_systemd != NULL && from_systemd[0] != '\0') {
		g_autofree char *first = g_strndup(from_systemd, strcspn(from_systemd, ":"));
		return g_build_filename(first, "civic-bridge.conf", NULL);
	}
	return g_strdup(CB_DEFAULT_CONFIG);
}

/* --check-config: 0 when the files are valid, 1 with the place of the first error */
static int
cb_check_config(const char *path, gboolean required)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) warnings = NULL;
	g_autoptr(CbConfig) config = cb_config_load(path, required, &warnings, &error);

	/* what only a module can judge (a schedule rule) is checked by it too */
	if (config == NULL || !cb_schedule_check_config(config, &error)) {
		g_printerr("%s\n", error->message);
		return 1;
	}
	for (guint i = 0; i < warnings->len; i++)
		g_printerr("warning: %s\n", (const char *)g_ptr_array_index(warnings, i));
	g_print("%s: configuration is valid\n", path);
	return 0;
}

int
main(int argc, char **argv)
{
	g_autofree char *config_path = NULL;
	g_autofree char *state_dir = NULL;
	g_autofree char *listen = NULL;
	g_autofree char *default_config = NULL;
	gboolean check_config = FALSE;
	gboolean version = FALSE;
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(CbDaemon) daemon = NULL;
	GOptionEntry entries[] = {
		{"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
		 "Configuration file (default " CB_DEFAULT_CONFIG ")", "FILE"},
		{"state-dir", 's', 0, G_OPTION_ARG_FILENAME, &state_dir,
		 "Directory for the store and recordings", "DIR"},
		{"listen", 'l', 0, G_OPTION_ARG_STRING, &listen,
		 "Address and port to listen on (default 127.0.0.1:8080)", "ADDR:PORT"},
		{"check-config", 0, 0, G_OPTION_ARG_NONE, &check_config,
		 "Check the configuration and exit", NULL},
		{"version", 0, 0, G_OPTION_ARG_NONE, &version, "Show the version and exit", NULL},
		{NULL},
	};
	CbDaemonOptions options = {0};

	setlocale(LC_ALL, "");
	/* the store and recordings hold personal data: nothing we create is for others */
	umask(0077);
	context = g_option_context_new("- the civic-bridge reception bridge daemon");
	g_option_context_add_main_entries(context, entries, NULL);
	/* GStreamer starts with the first media room (cb_room_new()), not here:
	 * its registry and plugins cost an idle daemon memory it may never use;
	 * GST_DEBUG and the other GST_* variables still apply */
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		g_printerr("civic-bridged: %s\n", error->message);
		return 2;
	}
	if (version) {
		cb_print_version();
		return 0;
	}
	options.config_path = config_path;
	if (options.config_path == NULL)
		options.config_path = default_config = cb_default_config_path();
	options.config_required = config_path != NULL;
	if (check_config)
		return cb_check_config(options.config_path, options.config_required);
	options.state_dir = state_dir;
	options.listen = listen;
	daemon = cb_daemon_new(&options);
	if (!cb_daemon_start(daemon, &error)) {
		g_printerr("civic-bridged: %s\n", error->message);
		return 1;
	}
	return cb_daemon_run(daemon);
}
