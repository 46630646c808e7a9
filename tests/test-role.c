#include "civic-bridge/cb-role.h"

static void
test_names_round_trip(void)
{
	const char *names[] = {"admin", "staff", "operator", "citizen"};

	for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
		CbRole role;
		g_assert_true(cb_role_from_string(names[i], &role));
		g_assert_cmpstr(cb_role_to_string(role), ==, names[i]);
	}
}

static void
test_unknown_names(void)
{
	CbRole role = CB_ROLE_CITIZEN;

	g_assert_false(cb_role_from_string("Admin", &role));
	g_assert_false(cb_role_from_string("root", &role));
	g_assert_false(cb_role_from_string("", &role));
	g_assert_false(cb_role_from_string(NULL, &role));
	g_assert_cmpint(role, ==, CB_ROLE_CITIZEN);
	g_assert_cmpstr(cb_role_to_string((CbRole)42), ==, "unknown");
}

static void
test_masks(void)
{
	guint admin_staff = CB_ROLE_MASK(CB_ROLE_ADMIN) | CB_ROLE_MASK(CB_ROLE_STAFF);
	g_autofree char *described = cb_role_mask_describe(admin_staff);
	g_autofree char *all = cb_role_mask_describe(CB_ROLES_ALL);

	g_assert_true(cb_role_mask_allows(admin_staff, CB_ROLE_ADMIN));
	g_assert_true(cb_role_mask_allows(admin_staff, CB_ROLE_STAFF));
	g_assert_false(cb_role_mask_allows(admin_staff, CB_ROLE_OPERATOR));
	g_assert_false(cb_role_mask_allows(admin_staff, CB_ROLE_CITIZEN));
	g_assert_false(cb_role_mask_allows(CB_ROLES_NONE, CB_ROLE_ADMIN));
	g_assert_false(cb_role_mask_allows(CB_ROLES_ALL, (CbRole)42));
	g_assert_cmpstr(described, ==, "admin, staff");
	g_assert_cmpstr(all, ==, "admin, staff, operator, citizen");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/civic-bridge/role/names-round-trip", test_names_round_trip);
	g_test_add_func("/civic-bridge/role/unknown-names", test_unknown_names);
	g_test_add_func("/civic-bridge/role/masks", test_masks);
	return g_test_run();
}
