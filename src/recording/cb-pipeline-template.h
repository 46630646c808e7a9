/* civic-bridge: pipeline templates (pipelines/README.md describes the format) */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CbPipelineTemplate CbPipelineTemplate;

/* reads @path: "[name]" starts a section, "#" a comment line */
CbPipelineTemplate *cb_pipeline_template_load(const char *path, GError **error);
void cb_pipeline_template_free(CbPipelineTemplate *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbPipelineTemplate, cb_pipeline_template_free)

/* the lines of section @name joined by spaces; an error naming the file when
 * the template has no such section */
const char *cb_pipeline_template_section(CbPipelineTemplate *self, const char *name,
					 GError **error);

/* the lines of section @name as they are (NULL-terminated; empty when none) */
const char *const *cb_pipeline_template_lines(CbPipelineTemplate *self, const char *name);

/* @text with every "{key}" replaced by its value in @values (a NULL-terminated
 * list of key, value, key, value...); an unknown key is an error */
char *cb_pipeline_template_fill(CbPipelineTemplate *self, const char *text,
				const char *const *values, GError **error);

G_END_DECLS
