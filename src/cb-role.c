#define G_LOG_DOMAIN "CbRole"

#include "civic-bridge/cb-role.h"

static const char *const cb_role_names[] = {
	[CB_ROLE_ADMIN] = "admin",
	[CB_ROLE_STAFF] = "staff",
	[CB_ROLE_OPERATOR] = "operator",
	[CB_ROLE_CITIZEN] = "citizen",
};

const char *
cb_role_to_string(CbRole role)
{
	if ((guint)role >= G_N_ELEMENTS(cb_role_names))
		return "unknown";
	return cb_role_names[role];
}

gboolean
cb_role_from_string(const char *name, CbRole *role)
{
	if (name == NULL)
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(cb_role_names); i++) {
		if (g_str_equal(name, cb_role_names[i])) {
			*role = (CbRole)i;
			return TRUE;
		}
	}
	return FALSE;
}

gboolean
cb_role_mask_allows(guint mask, CbRole role)
{
	if ((guint)role >= G_N_ELEMENTS(cb_role_names))
		return FALSE;
	return (mask & CB_ROLE_MASK(role)) != 0;
}

char *
cb_role_mask_describe(guint mask)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < G_N_ELEMENTS(cb_role_names); i++) {
		if ((mask & CB_ROLE_MASK(i)) == 0)
			continue;
		if (out->len > 0)
			g_string_append(out, ", ");
		g_string_append(out, cb_role_names[i]);
	}
	return g_string_free(out, FALSE);
}
