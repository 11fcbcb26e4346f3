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
 * pipe the worker holds; if the worker exits, that is the end. If one
 * operation stays open past its deadline, the parent kills the worker,
 * undoes the journal (every write guarded, so even the device the stuck
 * operation was about costs at most a timeout), and reports through
 * `on_hang`.
 *
 * Without pt_watch_run() (the library used directly), the marks are
 * no-ops.
 */
#ifndef PT_WATCH_H
#define PT_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "sysfs.h"
#include "util.h"

#define PT_WATCH_JOURNAL_MAX 256

enum pt_journal_kind {
	PT_J_OVERRIDE, /* driver_override written; old = previous value */
	PT_J_UNBOUND,  /* unbound from a host driver; old = that driver */
};

struct pt_journal_entry {
	enum pt_journal_kind kind;
	char addr[16];
	char old[64];
};

/* Mark an operation's start (with what it is about) and its end. `slack_ms`
 * extends the deadline, for operations that guard themselves. */
void pt_watch_begin(const char *what, const char *path, unsigned slack_ms);
void pt_watch_end(void);

/* The worker tells the supervisor the deadline it read (pt.timeout). */
void pt_watch_set_deadline(unsigned ms);

/* In a child of a guarded write: mark and journal nothing from now on. */
void pt_watch_forget(void);

/* Record a change made to a device, to be undone if the worker is lost. */
void pt_watch_journal(enum pt_journal_kind kind, const char *addr, const char *old);

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

/* Run fn(arg) in a child and wait at most timeout_ms for it. Returns fn's
 * result, -ETIMEDOUT (the child is killed and left behind: a task stuck in
 * a driver cannot die until the driver returns), or -EIO when the child
 * died without an answer. The child marks and journals nothing. Without a
 * process to spare, fn runs here: unguarded beats not at all. */
int pt_watch_guard(int (*fn)(void *arg), void *arg, unsigned timeout_ms);

#endif
