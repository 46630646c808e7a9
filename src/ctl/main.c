#define G_LOG_DOMAIN "CbCtl"

/* civic-bridgectl: the civic-bridge API from the terminal */

#include "config.h"

#include <locale.h>
#include <sys/stat.h>

#include "cb-ctl.h"

static const CbCtlCommand cb_ctl_commands[] = {
	{"health", cb_ctl_command_health},         {"bridge-point", cb_ctl_command_bridge_point},
	{"token", cb_ctl_command_token},           {"audit", cb_ctl_command_audit},
	{"init-admin", cb_ctl_command_init_admin}, {NULL},
};

static const char cb_ctl_description[] =
	"Commands:\n"
	"  health                         civic-bridged's /healthz and /readyz\n"
	"  bridge-point add --code C --name N [--district D]\n"
	"  bridge-point list\n"
	"  bridge-point show ID\n"
	"  bridge-point update ID [--code C] [--name N] [--district D]\n"
	"  bridge-point remove ID\n"
	"  token create --role R [--bridge-point ID] [--label L] [--expires-in DURATION]\n"
	"  token list [--all]\n"
	"  token revoke ID\n"
	"  audit [--limit N] [--before ID]\n"
	"  init-admin [--label L] [--force]  issue an admin token straight into the store\n"
	"                                 in --state-dir, without a running daemon\n"
	"\n"
	"DURATION is seconds, or a number with s, m, h or d: 3600, 90m, 12h, 30d.\n"
	"Run 'civic-bridgectl COMMAND [SUBCOMMAND] --help' for a command's options.\n"
	"\n"
	"Exit status: 0 on success, 1 when the request or the store failed,\n"
	"2 for a usage error.";

/* reports a failure once, here, and picks the exit status */
static int
cb_ctl_report(const GError *error)
{
	g_printerr("civic-bridgectl: %s\n", error->message);
	if (CB_CTL_IS_USAGE_ERROR(error)) {
		g_printerr("Try 'civic-bridgectl --help'.\n");
		return 2;
	}
	return 1;
}

int
main(int argc, char **argv)
{
	g_autoptr(CbCtl) ctl = cb_ctl_new();
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	GOptionEntry globals[5];
	gboolean version = FALSE;
	const GOptionEntry entries[] = {
		{"version", 0, 0, G_OPTION_ARG_NONE, &version, "Show the version and exit", NULL},
		{NULL},
	};

	setlocale(LC_ALL, "");
	/* init-admin creates the store if need be: nothing in it is for others */
	umask(0077);
	context = g_option_context_new("COMMAND [ARGUMENT…]");
	g_option_context_set_summary(context, "Manage a civic-bridge daemon through its API.");
	g_option_context_set_description(context, cb_ctl_description);
	/* stop at the command: what follows is the command's to parse */
	g_option_context_set_strict_posix(context, TRUE);
	cb_ctl_globals_entries(&ctl->given, globals);
	g_option_context_add_main_entries(context, globals, NULL);
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error))
		return cb_ctl_report(error);
	if (version) {
		g_print("civic-bridgectl %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (!cb_ctl_dispatch(ctl, "command", cb_ctl_commands, argc - 1, argv + 1, &error))
		return cb_ctl_report(error);
	return 0;
}
