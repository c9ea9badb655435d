/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* anninh verify: not written yet; its issue replaces this file. */
#include <stdio.h>
#include "anninh-commands.h"

int
anninh_cmd_verify (int argc, char **argv)
{
  fprintf (stderr, "anninh verify: not available in this build yet\n");
  return ANNINH_EXIT_FAILURE;
}
