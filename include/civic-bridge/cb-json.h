/* civic-bridge: JSON request bodies, guarded before json-glib sees them */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* fails when arrays and objects nest deeper than @max_depth; strings are
 * skipped properly, so brackets inside them do not count */
gboolean cb_json_check_depth(const char *data, gsize len, guint max_depth, GError **error);

/* checks the depth, parses, and insists on a top-level object */
JsonObject *cb_json_parse_object(const char *data, gsize len, guint max_depth, GError **error);

/* members not in @allowed (NULL-terminated) are an error naming the first one */
gboolean cb_json_check_members(JsonObject *object, const char *const *allowed, GError **error);

/* a string member: absent gives *out NULL (an error if @required); any other
 * type is an error naming the member */
gboolean cb_json_get_string(JsonObject *object, const char *member, gboolean required,
			    const char **out, GError **error);

/* an integer member; a fraction, string or other type is an error */
gboolean cb_json_get_int(JsonObject *object, const char *member, gboolean required,
			 gboolean *present, gint64 *out, GError **error);

/* serialises @node compactly */
char *cb_json_to_string(JsonNode *node);

G_END_DECLS
