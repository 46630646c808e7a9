#define G_LOG_DOMAIN "CbCtl"

/* civic-bridgectl: the civic-bridge API from the terminal */

#include "config.h"

#include <locale.h>
#include <sys/stat.h>

#include "cb-ctl.h"

static const CbCtlCommand cb_ctl_commands[] = {
	{"health", cb_ctl_command_health},         {"bridge-point", cb_ctl_command_bridge_point},
	{"token", cb_ctl_command_token},           {"audit", cb_ctl_command_audit},
	{"init-admin", cb_ctl_command_init_admin}, {"schedule", cb_ctl_command_schedule},
	{"session", cb_ctl_command_session},       {"export", cb_ctl_command_export},
	{"import", cb_ctl_command_import},         {"report", cb_ctl_command_report},
	{"queue", cb_ctl_command_queue},           {"ticket", cb_ctl_command_ticket},
	{"recording", cb_ctl_command_recording},   {NULL},
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
	"  schedule series list\n"
	"  schedule series show ID\n"
	"  schedule series create --rrule R --start HH:MM --duration D --kind K --title T\n"
	"                         [--presiding P] [--timezone Z] [--first-date DATE]\n"
	"                         [--bridge-point ID]...\n"
	"  schedule occurrences --series ID [--from DATE] [--to DATE]\n"
	"  schedule move --series ID --occurrence START --to TIME --reason R\n"
	"  schedule cancel --series ID --occurrence START --reason R\n"
	"  session list [--from DATE] [--to DATE]\n"
	"  session show ID\n"
	"  session create --title T --kind leadership|regular [--start TIME] [--duration D]\n"
	"                 [--presiding P]\n"
	"  session open|start|end ID\n"
	"  session cancel ID --reason R\n"
	"  export reception-book [--from DAY] [--to DAY] FILE.csv   (FILE - is stdout)\n"
	"  import reception-book FILE.csv   all or nothing; prints every bad row\n"
	"  report [--from DAY] [--to DAY] [--kind leadership|regular]\n"
	"         [--bridge-point NAME] [--format table|json|csv]\n"
	"  queue list --session ID|next [--state S]   the queue in order, or by state\n"
	"  ticket register --category C --summary S [--persons N] [--representative NAME]...\n"
	"                  [--bridge-point ID] [--session ID] [--priority P] [--channel CH]\n"
	"                  [--name N --address A --id-number I --contact C]\n"
	"                  [--already-handled-by WHO]\n"
	"  ticket show ID\n"
	"  ticket call|admit|defer|cancel ID\n"
	"  ticket finish ID --handling accepted|guided|forwarded [--follow-up F] [--notes N]\n"
	"  ticket refuse ID --reason CODE [--notes N]\n"
	"  ticket move ID --before OTHER|--position N --reason R\n"
	"  recording verify SESSION|DIR [--confidential]   check every segment against the\n"
	"                                 manifest, in --state-dir or a copied folder;\n"
	"                                 exits 1 unless the recording is intact\n"
	"  recording list [--confidential]\n"
	"  recording show SESSION [--confidential] [--segments]\n"
	"  recording hold|unhold SESSION  set or lift the legal hold\n"
	"  recording purge                delete recordings past [recording] retention-days\n"
	"  recording export SESSION|DIR --output FILE [--track PEER/TRACK]\n"
	"                   [--with-confidential|--confidential] [--overwrite] [--dry-run]\n"
	"                                 the composite WebM (or one track, remuxed) of a\n"
	"                                 closed, intact recording; progress on stderr\n"
	"\n"
	"DURATION is seconds, or a number with s, m, h or d: 3600, 90m, 12h, 30d.\n"
	"TIME is RFC 3339 with an offset (2026-01-20T08:00:00+07:00); START is an\n"
	"occurrence's original start as listed (2026-01-20T01:00:00Z); DATE is\n"
	"YYYY-MM-DD in the daemon's zone, or a TIME. DAY is YYYY-MM-DD in the daemon's\n"
	"zone, both ends included.\n"
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
