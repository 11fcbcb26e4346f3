/* SPDX-License-Identifier: MIT */
/*
 * watch.h — the supervisor: a boot agent must finish even when the kernel
 * does not. Reading driver_override takes the device lock, which a driver
 * stuck in probe holds forever; a module's init can hang; a driver's remove
 * can hang. Unbind and probe already run in a child with a timeout
 * (sysfs.h); the supervisor covers every other operation.
 *
 * pt_watch_run() forks: the child (the worker) does the work, marking each
 * operation's start and end in a page shared with the parent, and
 * journalling every change it makes to a device. The parent sleeps on a
 * pipe the worker holds. When its work is done the worker writes its exit
 * status there and exits; the parent returns on that report, and its
 * caller reaps the worker with pt_watch_reap() after its own ending, so
 * that the worker's exit (the teardown of its memory) overlaps that ending.
 * It must be reaped: an orphan would go to PID 1, at boot often the
 * initramfs' shell script, whose writes its SIGCHLD can interrupt. The
 * pipe closing without a report is a worker that died. If one
 * operation stays open past its deadline, the parent kills the worker,
 * undoes the journal (every write guarded, so even the device the stuck
 * operation was about costs at most a timeout), and reports through
 * `on_hang`.
 *
 * Without pt_watch_run() (the library used directly), the marks are
 * no-ops. The marks and pt_watch_guard() live in mark.h, below sysfs.h,
 * so that sysfs.c marks its operations without depending on this file.
 */
#ifndef PT_WATCH_H
#define PT_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "mark.h"
#include "sysfs.h"
#include "util.h"

struct pt_watch_hang {
	char what[320]; /* "write /sys/bus/pci/devices/0000:26:00.0/driver_override" */
	unsigned waited_ms;
	unsigned undone; /* devices given back */
	unsigned left;	 /* of them, the one the stuck operation was about */
};

/*
 * Run work(arg) in a supervised child. Returns its exit status; or, when
 * an operation hung, calls on_hang(arg, &hang) in the parent after undoing
 * the journal, and returns what on_hang returns. deadline_ms bounds each
 * operation. If the child cannot be made, work runs unsupervised.
 */
int pt_watch_run(const struct pt_sysfs *sys, unsigned deadline_ms, int (*work)(void *arg),
		 int (*on_hang)(void *arg, const struct pt_watch_hang *hang), void *arg);

/* Wait for a worker that reported before it exited (no-op otherwise). */
void pt_watch_reap(void);

#endif
