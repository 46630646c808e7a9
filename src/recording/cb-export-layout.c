#define G_LOG_DOMAIN "CbRecording"

/* The composite's layout: the top half holds the hall (left) and whoever
 * has the floor (right), both large; the bottom half a grid of everyone
 * else, bridge points by number, then the citizen. Labels are room ids:
 * the manifest names people by id only, so no label can carry a name. */

#include "config.h"

#include <string.h>

#include "civic-bridge/cb-recording-export.h"

static void
cb_export_tile_free(CbExportTile *tile)
{
	g_free(tile->peer);
	g_free(tile->label);
	g_free(tile);
}

/* a room id as shown: letters, digits, '-' and '_' only (the pipeline
 * description quotes it, and a label is no place for anything else) */
static char *
cb_export_label(const char *prefix, const char *peer)
{
	g_autofree char *id = g_strdup(peer);

	for (char *c = id; *c != '\0'; c++)
		if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_')
			*c = '_';
	return g_strconcat(prefix, id, NULL);
}

static CbExportTile *
cb_export_tile_new(const char *peer, const char *prefix, gint x, gint y, gint width, gint height)
{
	CbExportTile *tile = g_new0(CbExportTile, 1);

	tile->peer = g_strdup(peer);
	tile->label = cb_export_label(prefix, peer);
	tile->x = x;
	tile->y = y;
	tile->width = width & ~1;
	tile->height = height & ~1;
	return tile;
}

/* the peers with any track, in the tracks' order */
static GPtrArray *
cb_export_peers(CbExportPlan *plan)
{
	GPtrArray *peers = g_ptr_array_new();

	for (guint i = 0; i < plan->tracks->len; i++) {
		CbExportTrack *track = g_ptr_array_index(plan->tracks, i);
		if (!g_ptr_array_find_with_equal_func(peers, track->peer, g_str_equal, NULL))
			g_ptr_array_add(peers, track->peer);
	}
	return peers;
}

static CbExportTrack *
cb_export_video_of(CbExportPlan *plan, const char *peer)
{
	g_autofree char *name = g_strdup_printf("%s/video", peer);

	return cb_export_plan_find_track(plan, name);
}

/* the fewest columns of 16:9 tiles whose rows fit in @height */
static guint
cb_export_grid_columns(guint n, gint width, gint height)
{
	for (guint columns = 1; columns < n; columns++) {
		guint rows = (n + columns - 1) / columns;
		if ((gint)rows * (width / (gint)columns) * 9 / 16 <= height)
			return columns;
	}
	return MAX(n, 1);
}

static void
cb_export_layout_grid(CbExportPlan *plan, GPtrArray *others, gint width, gint height, gint top)
{
	guint columns = cb_export_grid_columns(others->len, width, height);
	guint rows = (others->len + columns - 1) / columns;
	gint tile_width = width / (gint)columns;
	gint tile_height = MIN(tile_width * 9 / 16, height / (gint)MAX(rows, 1));

	for (guint i = 0; i < others->len; i++) {
		const char *peer = g_ptr_array_index(others, i);
		CbExportTile *tile = cb_export_tile_new(peer, "", (gint)(i % columns) * tile_width,
							top + (gint)(i / columns) * tile_height,
							tile_width, tile_height);
		tile->video = cb_export_video_of(plan, peer);
		g_ptr_array_add(plan->tiles, tile);
	}
}

void
cb_export_plan_layout(CbExportPlan *plan, gint width, gint height)
{
	g_autoptr(GPtrArray) peers = cb_export_peers(plan);
	g_autoptr(GPtrArray) others = g_ptr_array_new();
	g_autoptr(GPtrArray) holders = g_ptr_array_new();

	g_clear_pointer(&plan->tiles, g_ptr_array_unref);
	plan->tiles = g_ptr_array_new_with_free_func((GDestroyNotify)cb_export_tile_free);
	for (guint i = 0; i < peers->len; i++) {
		const char *peer = g_ptr_array_index(peers, i);
		if (g_str_equal(peer, "hall")) {
			CbExportTile *hall =
				cb_export_tile_new(peer, "", 0, 0, width / 2, height / 2);
			hall->video = cb_export_video_of(plan, peer);
			g_ptr_array_add(plan->tiles, hall);
		} else {
			g_ptr_array_add(others, (gpointer)peer);
		}
	}
	/* the floor's area: one tile per peer that held it and has video in
	 * the export, each shown only while it holds the floor */
	for (guint i = 0; i < plan->floor->len; i++) {
		CbExportFloor *floor = g_ptr_array_index(plan->floor, i);
		CbExportTile *tile;

		if (floor->peer == NULL || cb_export_video_of(plan, floor->peer) == NULL ||
		    g_ptr_array_find_with_equal_func(holders, floor->peer, g_str_equal, NULL))
			continue;
		g_ptr_array_add(holders, floor->peer);
		tile = cb_export_tile_new(floor->peer, "floor: ", width / 2, 0, width / 2,
					  height / 2);
		tile->floor = TRUE;
		tile->video = cb_export_video_of(plan, floor->peer);
		g_ptr_array_add(plan->tiles, tile);
	}
	cb_export_layout_grid(plan, others, width, height / 2, height / 2);
}
