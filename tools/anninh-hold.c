/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* anninh hold: not written yet; its issue replaces this file. */
#include <stdio.h>
#include "anninh-commands.h"

int
anninh_cmd_hold (int argc, char **argv)
{
  fprintf (stderr, "anninh hold: not available in this build yet\n");
  return ANNINH_EXIT_FAILURE;
}
