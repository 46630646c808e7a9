/* civic-bridge: the composite export's pieces, shared by its files */
#pragma once

#include "civic-bridge/cb-recording-export.h"

#include "cb-pipeline-template.h"

G_BEGIN_DECLS

/* one composite being put together */
typedef struct {
	CbExportPlan *plan;
	CbPipelineTemplate *template;
	char **codecs; /* per track of the plan: its caps name */
	char **files;  /* per track: the remuxed file */
} CbExportBuild;

/* the index of @track in the plan, -1 for NULL */
gint cb_export_build_track_index(CbExportBuild *build, CbExportTrack *track);

/* whether a tile shows @track */
gboolean cb_export_build_shows(CbExportBuild *build, CbExportTrack *track);

/* the gst-launch description of the whole composite (cb-export-describe.c) */
char *cb_export_describe(CbExportBuild *build, GError **error);

G_END_DECLS
