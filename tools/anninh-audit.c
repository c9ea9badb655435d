/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* anninh audit: check the hash chain of a policeshare viewer audit log. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>
#include <anninh/audit-log.h>
#include "anninh-commands.h"

/* Exit code of `anninh audit verify` when the chain is broken. */
#define ANNINH_EXIT_AUDIT_BROKEN 11

static void
print_help (FILE * out)
{
  fprintf (out,
      "Usage: anninh audit verify FILE\n"
      "\n"
      "Checks that every line of a policeshare audit log (JSON lines) is\n"
      "intact and chained to the line before it by SHA-256, and prints the\n"
      "first line that is not (edited, removed, inserted, moved or cut).\n"
      "\n"
      "Exit status:\n"
      "  0   the chain is intact\n"
      "  1   the file cannot be read\n"
      "  2   bad command line\n"
      "  11  the chain is broken (the first bad line is printed)\n");
}

int
anninh_cmd_audit (int argc, char **argv)
{
  const gchar *path;
  guint64 n_lines = 0, bad_line = 0;
  gchar *reason = NULL;
  int ret;

  if (argc >= 2 && (!strcmp (argv[1], "--help") || !strcmp (argv[1], "-h"))) {
    print_help (stdout);
    return ANNINH_EXIT_OK;
  }
  if (argc != 3 || strcmp (argv[1], "verify") != 0) {
    print_help (stderr);
    return ANNINH_EXIT_USAGE;
  }
  path = argv[2];

  switch (anninh_audit_log_verify (path, &n_lines, &bad_line, &reason)) {
    case ANNINH_AUDIT_OK:
      printf ("%s: OK, %" G_GUINT64_FORMAT " line%s, chain intact\n", path,
          n_lines, n_lines == 1 ? "" : "s");
      ret = ANNINH_EXIT_OK;
      break;
    case ANNINH_AUDIT_BROKEN:
      printf ("%s: BROKEN at line %" G_GUINT64_FORMAT ": %s\n", path,
          bad_line, reason);
      ret = ANNINH_EXIT_AUDIT_BROKEN;
      break;
    case ANNINH_AUDIT_UNREADABLE:
    default:
      fprintf (stderr, "anninh audit: cannot read %s: %s\n", path,
          reason ? reason : "unknown error");
      ret = ANNINH_EXIT_FAILURE;
      break;
  }
  g_free (reason);
  return ret;
}
