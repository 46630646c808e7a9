/* civic-bridge: who may do what */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	CB_ROLE_ADMIN,
	CB_ROLE_STAFF,
	CB_ROLE_OPERATOR,
	CB_ROLE_CITIZEN,
} CbRole;

#define CB_ROLE_MASK(role) (1u << (role))
#define CB_ROLES_NONE      0u
#define CB_ROLES_ALL                                                                               \
	(CB_ROLE_MASK(CB_ROLE_ADMIN) | CB_ROLE_MASK(CB_ROLE_STAFF) |                               \
	 CB_ROLE_MASK(CB_ROLE_OPERATOR) | CB_ROLE_MASK(CB_ROLE_CITIZEN))

/* "admin", "staff", "operator", "citizen" */
const char *cb_role_to_string(CbRole role);

/* FALSE for anything but the four role names */
gboolean cb_role_from_string(const char *name, CbRole *role);

gboolean cb_role_mask_allows(guint mask, CbRole role);

/* "admin, staff" for messages and docs */
char *cb_role_mask_describe(guint mask);

G_END_DECLS
