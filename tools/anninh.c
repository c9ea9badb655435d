/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* anninh: the command-line companion of the gst-anninh plugins. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>
#include <locale.h>
#include <gst/gst.h>

#include "anninh-commands.h"

typedef struct
{
  const gchar *name;
  int (*run) (int argc, char **argv);
  const gchar *summary;
} AnninhCommand;

static const AnninhCommand commands[] = {
  {"camsim", anninh_cmd_camsim,
      "serve simulated RTSP cameras, with faults on command"},
  {"verify", anninh_cmd_verify,
      "check the ONVIF Media Signing evidence of a file or stream"},
  {"export", anninh_cmd_export,
      "extract a camera's time range from a store as one MP4"},
  {"hold", anninh_cmd_hold, "place, list and release legal holds"},
  {"audit", anninh_cmd_audit, "verify a policeshare audit log"},
  {"demo", anninh_cmd_demo,
      "run the demo district pipeline on simulated cameras"},
};

static void
print_usage (FILE * out)
{
  guint i;

  fprintf (out, "Usage: anninh COMMAND [OPTION...]\n\nCommands:\n");
  for (i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-8s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nRun 'anninh COMMAND --help' for a command's options.\n");
}

int
main (int argc, char **argv)
{
  guint i;

  setlocale (LC_ALL, "");

  if (argc < 2) {
    print_usage (stderr);
    return ANNINH_EXIT_USAGE;
  }
  if (!strcmp (argv[1], "--help") || !strcmp (argv[1], "-h")
      || !strcmp (argv[1], "help")) {
    print_usage (stdout);
    return ANNINH_EXIT_OK;
  }
  if (!strcmp (argv[1], "--version")) {
    printf ("anninh %s\n", VERSION);
    return ANNINH_EXIT_OK;
  }

  for (i = 0; i < G_N_ELEMENTS (commands); i++) {
    if (!strcmp (argv[1], commands[i].name)) {
      gchar *prgname = g_strdup_printf ("anninh %s", commands[i].name);
      int ret;

      g_set_prgname (prgname);
      ret = commands[i].run (argc - 1, argv + 1);
      g_free (prgname);
      return ret;
    }
  }

  fprintf (stderr, "anninh: unknown command '%s'\n\n", argv[1]);
  print_usage (stderr);
  return ANNINH_EXIT_USAGE;
}
