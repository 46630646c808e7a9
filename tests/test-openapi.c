/* docs/openapi.yaml and the routes the daemon registers must agree */
#include "civic-bridge/cb-http-route.h"
#include "civic-bridge/cb-role.h"

typedef struct {
	char *method; /* upper case */
	char *path;
	gboolean public_route;
	guint roles;
} DocOperation;

static void
doc_operation_free(DocOperation *op)
{
	g_free(op->method);
	g_free(op->path);
	g_free(op);
}

static guint
parse_roles(const char *list)
{
	g_autofree char *inner = g_strndup(list + 1, strlen(list) - 2);
	g_auto(GStrv) names = g_strsplit(inner, ",", -1);
	guint mask = 0;

	for (guint i = 0; names[i] != NULL; i++) {
		CbRole role;
		if (!cb_role_from_string(g_strstrip(names[i]), &role))
			g_error("openapi.yaml names an unknown role '%s'", names[i]);
		mask |= CB_ROLE_MASK(role);
	}
	return mask;
}

/* reads the operations under `paths:`; the file keeps the usual two-space
 * layout, so the indent says what a line is */
static GPtrArray *
read_doc_operations(void)
{
	g_autofree char *path =
		g_build_filename(g_getenv("CB_SOURCE_ROOT"), "docs", "openapi.yaml", NULL);
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) lines = NULL;
	GPtrArray *ops = g_ptr_array_new_with_free_func((GDestroyNotify)doc_operation_free);
	g_autofree char *current_path = NULL;
	DocOperation *op = NULL;
	gboolean in_paths = FALSE;
	const char *methods[] = {"get", "head", "post", "put", "patch", "delete", NULL};

	g_file_get_contents(path, &text, NULL, &error);
	g_assert_no_error(error);
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		const char *line = lines[i];
		if (g_str_equal(line, "paths:")) {
			in_paths = TRUE;
			continue;
		}
		if (!in_paths)
			continue;
		if (line[0] != ' ' && line[0] != '\0')
			break;
		if (g_str_has_prefix(line, "  /") && g_str_has_suffix(line, ":")) {
			g_free(current_path);
			current_path = g_strndup(line + 2, strlen(line) - 3);
			op = NULL;
			continue;
		}
		if (g_str_has_prefix(line, "    ") && line[4] != ' ') {
			g_autofree char *word = g_strndup(line + 4, strcspn(line + 4, ":"));
			op = NULL;
			if (g_strv_contains(methods, word)) {
				op = g_new0(DocOperation, 1);
				op->method = g_ascii_strup(word, -1);
				op->path = g_strdup(current_path);
				g_ptr_array_add(ops, op);
			}
			continue;
		}
		if (op != NULL && g_str_has_prefix(line, "      security: []"))
			op->public_route = TRUE;
		if (op != NULL && g_str_has_prefix(line, "      x-roles: "))
			op->roles = parse_roles(line + strlen("      x-roles: "));
	}
	return ops;
}

/* a route's path as OpenAPI writes it: a {name*} tail (the rest of the
 * path, see cb-http-server.c) is a plain {name} parameter there */
static char *
doc_path(const char *route_path)
{
	GString *path = g_string_new(route_path);

	g_string_replace(path, "*}", "}", 0);
	return g_string_free(path, FALSE);
}

static const DocOperation *
find_doc(GPtrArray *ops, const char *method, const char *route_path)
{
	g_autofree char *path = doc_path(route_path);

	for (guint i = 0; i < ops->len; i++) {
		const DocOperation *op = g_ptr_array_index(ops, i);
		if (g_str_equal(op->method, method) && g_str_equal(op->path, path))
			return op;
	}
	return NULL;
}

static void
test_every_route_is_described(void)
{
	g_autoptr(GPtrArray) ops = read_doc_operations();
	gsize n_routes = 0;
	const CbHttpRoute *routes = cb_http_routes(&n_routes);

	g_assert_cmpuint(n_routes, >, 0);
	for (gsize i = 0; i < n_routes; i++) {
		const DocOperation *op = find_doc(ops, routes[i].method, routes[i].path);
		g_autofree char *want = NULL;
		g_autofree char *have = NULL;

		if (op == NULL)
			g_error("%s %s is served but not in docs/openapi.yaml", routes[i].method,
				routes[i].path);
		if (routes[i].roles == CB_ROLES_NONE) {
			if (!op->public_route)
				g_error("%s %s is public but the docs do not say security: []",
					routes[i].method, routes[i].path);
			continue;
		}
		want = cb_role_mask_describe(routes[i].roles);
		have = cb_role_mask_describe(op->roles);
		if (op->public_route || routes[i].roles != op->roles)
			g_error("%s %s is for %s but the docs say %s", routes[i].method,
				routes[i].path, want, op->public_route ? "public" : have);
	}
}

static void
test_every_description_is_served(void)
{
	g_autoptr(GPtrArray) ops = read_doc_operations();
	gsize n_routes = 0;
	const CbHttpRoute *routes = cb_http_routes(&n_routes);

	g_assert_cmpuint(ops->len, >, 0);
	for (guint i = 0; i < ops->len; i++) {
		const DocOperation *op = g_ptr_array_index(ops, i);
		gboolean served = FALSE;
		for (gsize r = 0; r < n_routes && !served; r++) {
			g_autofree char *path = doc_path(routes[r].path);
			served = g_str_equal(routes[r].method, op->method) &&
				 g_str_equal(path, op->path);
		}
		if (!served)
			g_error("docs/openapi.yaml describes %s %s, which is not served",
				op->method, op->path);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/civic-bridge/openapi/every-route-is-described",
			test_every_route_is_described);
	g_test_add_func("/civic-bridge/openapi/every-description-is-served",
			test_every_description_is_served);
	return g_test_run();
}
