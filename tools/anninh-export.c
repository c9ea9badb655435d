/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* anninh export: not written yet; its issue replaces this file. */
#include <stdio.h>
#include "anninh-commands.h"

int
anninh_cmd_export (int argc, char **argv)
{
  fprintf (stderr, "anninh export: not available in this build yet\n");
  return ANNINH_EXIT_FAILURE;
}
