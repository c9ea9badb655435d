/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The subcommands of the `anninh` tool, one file each (anninh-<name>.c). */
#ifndef __ANNINH_COMMANDS_H__
#define __ANNINH_COMMANDS_H__

#include <glib.h>

G_BEGIN_DECLS

/* Exit codes shared by every subcommand; a subcommand may add its own
 * from 10 upwards and documents them in its --help. */
#define ANNINH_EXIT_OK       0
#define ANNINH_EXIT_FAILURE  1     /* the job ran and failed */
#define ANNINH_EXIT_USAGE    2     /* bad command line */

int anninh_cmd_camsim (int argc, char **argv);
int anninh_cmd_verify (int argc, char **argv);
int anninh_cmd_export (int argc, char **argv);
int anninh_cmd_hold   (int argc, char **argv);
int anninh_cmd_audit  (int argc, char **argv);
int anninh_cmd_demo   (int argc, char **argv);

G_END_DECLS

#endif /* __ANNINH_COMMANDS_H__ */
