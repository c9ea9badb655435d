/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* anninh demo: the pieces of the demo district, one file each
 * (demo-setup.c: directory, keys, users, ports; demo-pipeline.c: the
 * gst-launch-1.0 line; demo-camsim.c: the simulated cameras). */
#ifndef __ANNINH_DEMO_H__
#define __ANNINH_DEMO_H__

#include <glib.h>

G_BEGIN_DECLS

/* Exit code of `anninh demo` when this build lacks an element the demo
 * needs (documented in --help). */
#define ANNINH_DEMO_EXIT_MISSING 10

#define DEMO_REALM     "anninh-demo"
#define DEMO_USER      "officer"
#define DEMO_PASSWORD  "demo-only-1234"
#define DEMO_GROUP     "demo"

typedef struct
{
  guint n_cameras;
  gchar *dir;                   /* absolute */
  gchar *store;                 /* dir/store */
  gchar *keys;                  /* dir/keys */
  gchar *htdigest;              /* dir/officers.htdigest */
  gchar *audit_log;             /* dir/viewers-audit.jsonl */
  gchar *camsim_host;
  guint camsim_port;
  guint rtsp_port;              /* policeshare */
  guint health_port;            /* healthserver */
} DemoConfig;

/* demo-setup.c */
gboolean demo_make_dirs (DemoConfig * cfg, GError ** error);
gboolean demo_make_keys (DemoConfig * cfg, GError ** error);
gboolean demo_write_htdigest (DemoConfig * cfg, GError ** error);
guint    demo_pick_port (guint wanted, guint fallback_default);
gchar *  demo_camera_key (const DemoConfig * cfg, guint i);
gchar *  demo_camera_chain (const DemoConfig * cfg, guint i);
gchar *  demo_ca_file (const DemoConfig * cfg);

/* demo-pipeline.c */
gchar ** demo_missing_elements (void);
const gchar * demo_element_plugin (const gchar * element);
GPtrArray * demo_pipeline_argv (const DemoConfig * cfg);
gchar *  demo_argv_to_shell (GPtrArray * argv);
const gchar * demo_camera_site (guint i);
const gchar * demo_camera_link (guint i);

/* demo-camsim.c */
typedef struct _DemoCamsim DemoCamsim;
DemoCamsim * demo_camsim_start (const gchar * self_exe, guint n_cameras,
                                const gchar * source, const gchar * log_path,
                                GError ** error);
const gchar * demo_camsim_host (DemoCamsim * cs);
guint    demo_camsim_rtsp_port (DemoCamsim * cs);
GPid     demo_camsim_pid (DemoCamsim * cs);
gchar *  demo_camsim_command (DemoCamsim * cs, const gchar * command,
                              GError ** error);
void     demo_camsim_stop (DemoCamsim * cs);

G_END_DECLS

#endif /* __ANNINH_DEMO_H__ */
