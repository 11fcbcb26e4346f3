/* SPDX-License-Identifier: MIT */
/*
 * qemuargs.h — pt-status qemu-args: QEMU's -device arguments for the
 * listed devices that are on a vfio driver now.
 */
#ifndef PT_QEMUARGS_H
#define PT_QEMUARGS_H

#include <stdbool.h>

#include "status.h"
#include "util.h"

/* ---- pt-status qemu-args ------------------------------------------------------------ */

#define PT_QEMU_BUS_MAX 64

struct pt_qemu_opts {
	char bus[PT_QEMU_BUS_MAX]; /* default "pcie.0" */
	unsigned first_slot;	   /* default 0x10 */
	bool x_vga;		   /* x-vga=on on the boot GPU */
	bool one_line;
	bool json;
};

/* Is this a bus id QEMU accepts (letters, digits, '.', '_', '-')? */
bool pt_qemu_bus_valid(const char *bus);

/*
 * The -device arguments for the listed devices that are on a vfio driver
 * now: one host slot → one guest slot (first_slot, first_slot + 1, ...),
 * function numbers kept, multifunction=on on function 0 of a slot with
 * several. Written to out as lines ("-device SPEC" per line, or all on one
 * line) or as JSON. Devices left out and other notes go to notes (one
 * sentence each). Returns the exit code.
 */
int pt_qemu_args(const struct pt_status *s, const struct pt_qemu_opts *o, struct pt_buf *out,
		 struct pt_diag *notes);

#endif
