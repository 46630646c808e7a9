#define G_LOG_DOMAIN "CbRecording"

/* The composite's pipeline description, put together from the template's
 * sections: the output once, then per track its input and per tile its
 * branch, pad and label. Locations are not part of it: the program sets
 * them on the named elements, so no path is ever quoted into a launch line. */

#include "config.h"

#include <string.h>

#include <gst/gst.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-recording-export.h"

#include "cb-export-private.h"

/* the first line of [decoders] for @codec whose elements are all there */
static char *
cb_export_decoder(CbPipelineTemplate *template, const char *codec, GError **error)
{
	const char *const *lines = cb_pipeline_template_lines(template, "decoders");
	g_autofree char *prefix = g_strconcat(codec, ":", NULL);

	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) parts = NULL;
		gboolean present = TRUE;

		if (!g_str_has_prefix(lines[i], prefix))
			continue;
		parts = g_strsplit(lines[i] + strlen(prefix), "!", -1);
		for (guint j = 0; parts[j] != NULL && present; j++) {
			g_auto(GStrv) words = g_strsplit(g_strstrip(parts[j]), " ", 2);
			g_autoptr(GstElementFactory) factory = gst_element_factory_find(words[0]);
			present = factory != NULL;
		}
		if (present)
			return g_strstrip(g_strdup(lines[i] + strlen(prefix)));
	}
	g_set_error(error, CB_ERROR, CB_ERROR_UNAVAILABLE,
		    "no decoder for %s is installed (see [decoders] in composite.pipeline)", codec);
	return NULL;
}

static gboolean
cb_export_append(GString *out, CbPipelineTemplate *template, const char *section,
		 const char *const *values, GError **error)
{
	const char *text = cb_pipeline_template_section(template, section, error);
	g_autofree char *filled = NULL;

	if (text == NULL)
		return FALSE;
	filled = cb_pipeline_template_fill(template, text, values, error);
	if (filled == NULL)
		return FALSE;
	g_string_append_c(out, ' ');
	g_string_append(out, filled);
	return TRUE;
}

/* a tile's pad, its branch and, outside the floor, its label */
static gboolean
cb_export_describe_tile(CbExportBuild *build, CbExportTile *tile, guint pad, GString *pads,
			GString *labels, GString *branches, GError **error)
{
	g_autofree char *n = g_strdup_printf("%d", cb_export_build_track_index(build, tile->video));
	g_autofree char *p = g_strdup_printf("%u", pad);
	g_autofree char *x = g_strdup_printf("%d", tile->x);
	g_autofree char *y = g_strdup_printf("%d", tile->y);
	g_autofree char *w = g_strdup_printf("%d", tile->width);
	g_autofree char *h = g_strdup_printf("%d", tile->height);
	g_autofree char *lx = g_strdup_printf("%d", tile->x + 4);
	g_autofree char *ly = g_strdup_printf("%d", tile->y + 4);
	g_autofree char *size = g_strdup_printf("%d", CLAMP(tile->height / 10, 7, 16));
	const char *const pad_values[] = {"pad",    p,
					  "x",      x,
					  "y",      y,
					  "width",  w,
					  "height", h,
					  "zorder", tile->floor ? "2" : "1",
					  "alpha",  tile->floor ? "0" : "1",
					  NULL};
	const char *const branch_values[] = {"n",     n, "pad",    p, "text", tile->label,
					     "width", w, "height", h, NULL};
	const char *const label_values[] = {"text", tile->label, "x",  lx,  "y",
					    ly,     "size",      size, NULL};

	if (!tile->floor &&
	    !cb_export_append(labels, build->template, "label", label_values, error))
		return FALSE;
	if (tile->video == NULL)
		return TRUE;
	return cb_export_append(pads, build->template, "tile-pad", pad_values, error) &&
	       cb_export_append(branches, build->template,
				tile->floor ? "floor-tile" : "video-tile", branch_values, error);
}

static gboolean
cb_export_describe_track(CbExportBuild *build, guint i, GString *inputs, GError **error)
{
	CbExportTrack *track = g_ptr_array_index(build->plan->tracks, i);
	g_autofree char *n = g_strdup_printf("%u", i);
	gboolean video = g_str_equal(track->kind, "video");
	g_autofree char *decoder = NULL;

	/* a video track no tile shows is left out */
	if (video && !cb_export_build_shows(build, track))
		return TRUE;
	decoder = cb_export_decoder(build->template, build->codecs[i], error);
	if (decoder == NULL)
		return FALSE;
	const char *const values[] = {"n", n, "decoder", decoder, NULL};
	return cb_export_append(inputs, build->template, video ? "video-input" : "audio-input",
				values, error);
}

char *
cb_export_describe(CbExportBuild *build, GError **error)
{
	CbExportPlan *plan = build->plan;
	g_autoptr(GString) pads = g_string_new(NULL);
	g_autoptr(GString) labels = g_string_new(NULL);
	g_autoptr(GString) branches = g_string_new(NULL);
	g_autoptr(GString) out = g_string_new(NULL);
	gint64 span_us = plan->end_us - plan->start_us;
	g_autofree char *width = g_strdup_printf("%d", CB_EXPORT_WIDTH);
	g_autofree char *height = g_strdup_printf("%d", CB_EXPORT_HEIGHT);
	g_autofree char *framerate = g_strdup_printf("%d", CB_EXPORT_FRAMERATE);
	g_autofree char *threads = g_strdup_printf("%u", MAX(g_get_num_processors(), 1));
	g_autofree char *frames = g_strdup_printf(
		"%" G_GINT64_FORMAT,
		(span_us * CB_EXPORT_FRAMERATE + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
	/* 960 samples at 48 kHz: 20 ms */
	g_autofree char *audio_buffers =
		g_strdup_printf("%" G_GINT64_FORMAT, (span_us + 19999) / 20000);
	const char *const values[] = {
		"width",  width,    "height", height,          "framerate",   framerate, "threads",
		threads,  "frames", frames,   "audio_buffers", audio_buffers, "pads",    NULL,
		"labels", NULL,     NULL};
	const char *filled[G_N_ELEMENTS(values)];

	for (guint i = 0; i < plan->tiles->len; i++)
		if (!cb_export_describe_tile(build, g_ptr_array_index(plan->tiles, i), i + 1, pads,
					     labels, branches, error))
			return NULL;
	memcpy(filled, values, sizeof(values));
	filled[13] = pads->str;
	filled[15] = labels->str;
	if (!cb_export_append(out, build->template, "output", filled, error))
		return NULL;
	for (guint i = 0; i < plan->tracks->len; i++)
		if (!cb_export_describe_track(build, i, out, error))
			return NULL;
	g_string_append(out, branches->str);
	return g_string_free(g_steal_pointer(&out), FALSE);
}
