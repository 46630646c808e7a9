#define G_LOG_DOMAIN "CbCtl"

#include <string.h>

#include "civic-bridge/cb-auth.h"
#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-state-dir.h"
#include "civic-bridge/cb-store.h"

#include "cb-ctl.h"

#define CB_CTL_DB_NAME "civic-bridge.db"

/* the store of the state directory, opened without the daemon's lock: a
 * running daemon may hold it, and SQLite copes with the two of us */
static CbStore *
cb_ctl_open_store(CbCtl *ctl, GError **error)
{
	g_autofree char *dir = cb_state_dir_resolve(ctl->given.state_dir, NULL);
	g_autoptr(CbStateDir) state = cb_state_dir_open(dir, FALSE, error);
	g_autofree char *db = NULL;

	if (state == NULL)
		return NULL;
	db = cb_state_dir_file(state, CB_CTL_DB_NAME);
	return cb_store_open(db, NULL, error);
}

/* refuses while an admin can log in, unless @force, which revokes them all */
static gboolean
cb_ctl_clear_admins(CbStore *store, const CbActor *actor, gboolean force, GError **error)
{
	guint live = 0;

	if (!cb_store_token_count_live(store, CB_ROLE_ADMIN, &live, error))
		return FALSE;
	if (live == 0)
		return TRUE;
	if (!force) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "%s already has %u live admin token%s; use the API to make more, or "
			    "init-admin --force to revoke them all and issue a new one",
			    cb_store_get_path(store), live, live == 1 ? "" : "s");
		return FALSE;
	}
	if (!cb_store_token_revoke_role(store, actor, CB_ROLE_ADMIN, error))
		return FALSE;
	g_printerr("civic-bridgectl: revoked %u admin token%s\n", live, live == 1 ? "" : "s");
	return TRUE;
}

/* prints the secret alone; a secret nobody received is revoked, not left live */
static gboolean
cb_ctl_hand_over(CbStore *store, const CbActor *actor, CbTokenRecord *record, char *secret,
		 GError **error)
{
	g_autofree char *line = g_strconcat(secret, "\n", NULL);
	gboolean written = cb_ctl_write_stdout(line, error);

	explicit_bzero(line, strlen(line));
	if (!written) {
		cb_store_token_revoke(store, actor, record->id, NULL);
		g_prefix_error(error, "the new admin token was revoked: ");
		return FALSE;
	}
	g_printerr("civic-bridgectl: admin token %" G_GINT64_FORMAT
		   " issued in %s; it is shown only once\n",
		   record->id, cb_store_get_path(store));
	return TRUE;
}

gboolean
cb_ctl_command_init_admin(CbCtl *ctl, int argc, char **argv, GError **error)
{
	g_autofree char *label = NULL;
	gboolean force = FALSE;
	const GOptionEntry entries[] = {
		{"label", 0, 0, G_OPTION_ARG_STRING, &label,
		 "What the token is for (default init-admin)", "LABEL"},
		{"force", 0, 0, G_OPTION_ARG_NONE, &force,
		 "Revoke every admin token first, if there are any", NULL},
		{NULL},
	};
	const CbActor actor = {.token_id = 0, .role = CB_ROLE_ADMIN, .via = "cli"};
	g_autoptr(CbStore) store = NULL;
	g_autoptr(CbTokenRecord) record = NULL;
	g_autofree char *secret = NULL;
	gboolean ok;

	if (!cb_ctl_parse(ctl, "init-admin", entries, NULL, argc, argv, NULL, error) ||
	    (store = cb_ctl_open_store(ctl, error)) == NULL ||
	    !cb_ctl_clear_admins(store, &actor, force, error))
		return FALSE;
	record = cb_auth_issue_token(store, &actor, CB_ROLE_ADMIN, 0, 0,
				     label != NULL ? label : "init-admin", 0, &secret, error);
	if (record == NULL)
		return FALSE;
	ok = cb_ctl_hand_over(store, &actor, record, secret, error);
	explicit_bzero(secret, strlen(secret));
	return ok;
}
