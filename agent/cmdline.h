/* SPDX-License-Identifier: MIT */
/*
 * cmdline.h — split a kernel command line into parameters exactly as the
 * kernel's own parser (lib/cmdline.c, next_arg) does, and pick pt's keys.
 * Pure: no I/O.
 *
 * Quoting follows the kernel: a double quote toggles "inside quotes" where
 * blanks do not split; quotes around a whole value (pt.devices="a, b") or a
 * whole parameter ("pt.devices=a b") are removed, quotes in the middle of a
 * value stay. A bare "--" ends the kernel's parameters: what follows is
 * passed to init, so pt does not read it either.
 */
#ifndef PT_CMDLINE_H
#define PT_CMDLINE_H

#include "config.h"
#include "util.h"

/* Called for every parameter; value is NULL for a bare word. A non-zero
 * return stops the walk and is returned by pt_cmdline_walk(). */
typedef int (*pt_cmdline_fn)(const char *param, const char *value, void *userdata);

/* Walk the parameters of `line` (not modified). Returns 0, the callback's
 * non-zero value, or -ENOMEM. */
int pt_cmdline_walk(const char *line, pt_cmdline_fn fn, void *userdata);

/*
 * Fill opts from the pt.* parameters of `line`, and opts->root from root=.
 * Unknown pt.* keys are warned about with the nearest known key.
 */
int pt_cmdline_parse(const char *line, struct pt_options *opts, struct pt_diag *diag) _must_check_;

#endif
