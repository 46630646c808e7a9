#define G_LOG_DOMAIN "CbRecording"

/* Pipeline templates: gst-launch descriptions kept in files an operator can
 * read and adjust, in sections the program fills with its values ("{key}")
 * and puts together. Only this file knows the format. */

#include "config.h"

#include <string.h>

#include "civic-bridge/cb-error.h"

#include "cb-pipeline-template.h"

/* a template is a few kilobytes; anything larger is not one */
#define CB_PIPELINE_TEMPLATE_MAX_BYTES (256 * 1024)

struct _CbPipelineTemplate {
	char *path;
	GHashTable *sections; /* name -> GPtrArray of lines (NULL-terminated) */
	GHashTable *joined;   /* name -> the lines joined */
};

void
cb_pipeline_template_free(CbPipelineTemplate *self)
{
	if (self == NULL)
		return;
	g_free(self->path);
	g_hash_table_unref(self->sections);
	g_hash_table_unref(self->joined);
	g_free(self);
}

static GPtrArray *
cb_pipeline_template_add_section(CbPipelineTemplate *self, const char *name)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);

	g_ptr_array_add(lines, NULL);
	g_hash_table_replace(self->sections, g_strdup(name), lines);
	return lines;
}

static gboolean
cb_pipeline_template_parse(CbPipelineTemplate *self, const char *text, GError **error)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GPtrArray *section = NULL;

	for (guint i = 0; lines[i] != NULL; i++) {
		char *line = g_strstrip(lines[i]);
		gsize length = strlen(line);

		if (length == 0 || line[0] == '#')
			continue;
		if (line[0] == '[' && line[length - 1] == ']') {
			line[length - 1] = '\0';
			section = cb_pipeline_template_add_section(self, line + 1);
			continue;
		}
		if (section == NULL) {
			g_set_error(error, CB_ERROR, CB_ERROR_CONFIG,
				    "%s line %u: text before the first [section]", self->path,
				    i + 1);
			return FALSE;
		}
		/* keep the NULL at the end */
		g_ptr_array_insert(section, (gint)section->len - 1, g_strdup(line));
	}
	return TRUE;
}

CbPipelineTemplate *
cb_pipeline_template_load(const char *path, GError **error)
{
	g_autoptr(CbPipelineTemplate) self = g_new0(CbPipelineTemplate, 1);
	g_autofree char *text = NULL;
	gsize length = 0;
	g_autoptr(GError) local = NULL;

	self->path = g_strdup(path);
	self->sections = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					       (GDestroyNotify)g_ptr_array_unref);
	self->joined = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (!g_file_get_contents(path, &text, &length, &local)) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFIG,
			    "cannot read the pipeline template: %s (CIVIC_BRIDGE_PIPELINES_DIR "
			    "names its folder)",
			    local->message);
		return NULL;
	}
	if (length > CB_PIPELINE_TEMPLATE_MAX_BYTES ||
	    !g_utf8_validate(text, (gssize)length, NULL)) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFIG,
			    "%s is not a pipeline template (too large or not UTF-8)", path);
		return NULL;
	}
	if (!cb_pipeline_template_parse(self, text, error))
		return NULL;
	return g_steal_pointer(&self);
}

const char *const *
cb_pipeline_template_lines(CbPipelineTemplate *self, const char *name)
{
	static const char *const none[] = {NULL};
	GPtrArray *lines = g_hash_table_lookup(self->sections, name);

	return lines != NULL ? (const char *const *)lines->pdata : none;
}

const char *
cb_pipeline_template_section(CbPipelineTemplate *self, const char *name, GError **error)
{
	char *joined = g_hash_table_lookup(self->joined, name);

	if (joined != NULL)
		return joined;
	if (!g_hash_table_contains(self->sections, name)) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFIG, "%s has no [%s] section", self->path,
			    name);
		return NULL;
	}
	joined = g_strjoinv(" ", (char **)cb_pipeline_template_lines(self, name));
	g_hash_table_replace(self->joined, g_strdup(name), joined);
	return joined;
}

static const char *
cb_pipeline_template_value(const char *const *values, const char *key)
{
	for (guint i = 0; values[i] != NULL && values[i + 1] != NULL; i += 2)
		if (g_str_equal(values[i], key))
			return values[i + 1];
	return NULL;
}

char *
cb_pipeline_template_fill(CbPipelineTemplate *self, const char *text, const char *const *values,
			  GError **error)
{
	g_autoptr(GString) out = g_string_new(NULL);
	const char *p = text;

	while (*p != '\0') {
		const char *open = strchr(p, '{');
		const char *close = open != NULL ? strchr(open, '}') : NULL;
		g_autofree char *key = NULL;
		const char *value;

		if (open == NULL || close == NULL) {
			g_string_append(out, p);
			break;
		}
		g_string_append_len(out, p, open - p);
		key = g_strndup(open + 1, (gsize)(close - open - 1));
		value = cb_pipeline_template_value(values, key);
		if (value == NULL) {
			g_set_error(error, CB_ERROR, CB_ERROR_CONFIG,
				    "%s uses {%s}, which the program does not fill", self->path,
				    key);
			return NULL;
		}
		g_string_append(out, value);
		p = close + 1;
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}
