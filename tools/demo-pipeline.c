/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* anninh demo: the one gst-launch-1.0 line of the demo district, and the
 * check that this build has every element it needs. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/gst.h>

#include "demo.h"

typedef struct
{
  const gchar *element;
  const gchar *plugin;
} DemoElement;

/* Every element the demo line uses, and where it comes from. */
static const DemoElement demo_elements[] = {
  {"ipcamsrc", "ipcam (gst/ipcam)"},
  {"evidencemux", "evidence (ext/evidence)"},
  {"retentionsink", "retention (ext/retention)"},
  {"policeshare", "policeshare (ext/policeshare)"},
  {"healthserver", "health (ext/health)"},
  {"tee", "coreelements (GStreamer core)"},
  {"queue", "coreelements (GStreamer core)"},
};

const gchar *
demo_element_plugin (const gchar * element)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (demo_elements); i++)
    if (!strcmp (demo_elements[i].element, element))
      return demo_elements[i].plugin;
  return "?";
}

/* Returns the names of the needed elements this build lacks (NULL-terminated,
 * empty when all are there). */
gchar **
demo_missing_elements (void)
{
  GPtrArray *missing = g_ptr_array_new ();
  guint i;

  for (i = 0; i < G_N_ELEMENTS (demo_elements); i++) {
    GstElementFactory *f = gst_element_factory_find (demo_elements[i].element);
    if (f)
      gst_object_unref (f);
    else
      g_ptr_array_add (missing, g_strdup (demo_elements[i].element));
  }
  g_ptr_array_add (missing, NULL);
  return (gchar **) g_ptr_array_free (missing, FALSE);
}

/* Communes of the demo district (names from no real place in particular). */
static const gchar *demo_sites[] = {
  "Hòa An", "Tân Lập", "Phú Mỹ", "Bình Minh"
};

const gchar *
demo_camera_site (guint i)
{
  return demo_sites[(i / 2) % G_N_ELEMENTS (demo_sites)];
}

/* cam3 is the camera on a household Wi-Fi link (camsim makes it lossy),
 * cam6 a 4G one, the rest on fibre. */
const gchar *
demo_camera_link (guint i)
{
  if (i == 3 || i == 1)
    return "wifi";
  if (i == 6)
    return "4g";
  return "fiber";
}

static void
add (GPtrArray * argv, const gchar * s)
{
  g_ptr_array_add (argv, g_strdup (s));
}

static void
addf (GPtrArray * argv, const gchar * fmt, ...) G_GNUC_PRINTF (2, 3);

static void
addf (GPtrArray * argv, const gchar * fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  g_ptr_array_add (argv, g_strdup_vprintf (fmt, ap));
  va_end (ap);
}

/* The argument vector for gst-launch-1.0 (without the program name): one
 * argument per token, so that paths and site names with spaces need no
 * quoting here (gst-launch escapes each argument). */
GPtrArray *
demo_pipeline_argv (const DemoConfig * cfg)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  guint i;

  for (i = 0; i < cfg->n_cameras; i++) {
    gchar *key = demo_camera_key (cfg, i);
    gchar *chain = demo_camera_chain (cfg, i);
    gchar lat[G_ASCII_DTOSTR_BUF_SIZE], lon[G_ASCII_DTOSTR_BUF_SIZE];

    addf (argv, "ipcamsrc");
    addf (argv, "name=cam%u", i);
    addf (argv, "location=rtsp://%s:%u/cam%u", cfg->camsim_host,
        cfg->camsim_port, i);
    addf (argv, "camera-id=cam%u", i);
    addf (argv, "site=%s", demo_camera_site (i));
    addf (argv, "link=%s", demo_camera_link (i));
    add (argv, "!");
    add (argv, "evidencemux");
    addf (argv, "name=sign%u", i);
    addf (argv, "private-key=%s", key);
    addf (argv, "certificate-chain=%s", chain);
    addf (argv, "camera-id=cam%u", i);
    /* Where the camera is, signed into the evidence. g_ascii_formatd: a
     * Vietnamese locale would write a decimal comma. */
    g_ascii_formatd (lat, sizeof lat, "%.5f", 21.02850 + 0.0031 * i);
    g_ascii_formatd (lon, sizeof lon, "%.5f", 105.80420 + 0.0027 * i);
    addf (argv, "latitude=%s", lat);
    addf (argv, "longitude=%s", lon);
    addf (argv, "address=camera %u, xã %s", i, demo_camera_site (i));
    add (argv, "!");
    add (argv, "tee");
    addf (argv, "name=t%u", i);
    add (argv, "!");
    add (argv, "queue");
    add (argv, "!");
    add (argv, "retentionsink");
    addf (argv, "name=rec%u", i);
    addf (argv, "location=%s", cfg->store);
    addf (argv, "camera-id=cam%u", i);
    addf (argv, "t%u.", i);
    add (argv, "!");
    add (argv, "queue");
    add (argv, "!");
    add (argv, "policeshare");
    addf (argv, "name=share%u", i);
    addf (argv, "mount=/demo/cam%u", i);
    addf (argv, "service=%u", cfg->rtsp_port);
    addf (argv, "htdigest=%s", cfg->htdigest);
    addf (argv, "realm=%s", DEMO_REALM);
    addf (argv, "audit-log=%s", cfg->audit_log);
    g_free (key);
    g_free (chain);
  }
  add (argv, "healthserver");
  addf (argv, "port=%u", cfg->health_port);
  return argv;
}

static gboolean
shell_safe (const gchar * s)
{
  if (!*s)
    return FALSE;
  for (; *s; s++) {
    if (!g_ascii_isalnum (*s) && !strchr ("_-./:=,@!%+", *s))
      return FALSE;
  }
  return TRUE;
}

/* The line a person can paste into a shell. */
gchar *
demo_argv_to_shell (GPtrArray * argv)
{
  GString *s = g_string_new ("gst-launch-1.0 -e");
  guint i;

  for (i = 0; i < argv->len; i++) {
    const gchar *a = g_ptr_array_index (argv, i);
    gboolean new_branch = (g_str_has_suffix (a, ".") && !strchr (a, '='))
        || (i > 0 && !strcmp (a, "healthserver"))
        || (i > 0 && !strcmp (a, "ipcamsrc"));

    /* A line break (with a shell continuation) before each camera and each
     * tee branch keeps the printed line readable. */
    g_string_append (s, new_branch ? " \\\n  " : " ");
    if (shell_safe (a)) {
      g_string_append (s, a);
    } else {
      gchar *q = g_shell_quote (a);
      g_string_append (s, q);
      g_free (q);
    }
  }
  return g_string_free (s, FALSE);
}
