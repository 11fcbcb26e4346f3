/* SPDX-License-Identifier: MIT */
/*
 * mark.h — what a supervised worker tells its supervisor (watch.h): each
 * operation's start and end, and every change made to a device, in a page
 * the two share; and pt_watch_guard(), a call in a child with a timeout.
 * sysfs.c marks its operations through here; watch.c reads the page. No
 * dependency on sysfs.h, so the two do not call each other in a circle.
 *
 * Without a page attached (the library used directly, the supervisor, the
 * children of guarded calls) the marks are no-ops.
 */
#ifndef PT_MARK_H
#define PT_MARK_H

#include <stdbool.h>
#include <stdint.h>

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

/* The page shared by the worker and its supervisor. */
struct pt_mark_page {
	uint32_t deadline_ms; /* set by the worker once it knows pt.timeout */
	uint32_t depth;
	uint32_t slack_ms;
	uint64_t since_ms;
	char what[320];
	uint32_t n_journal;
	struct pt_journal_entry journal[PT_WATCH_JOURNAL_MAX];
};

/* In the worker: mark into page from now on. */
void pt_mark_attach(struct pt_mark_page *page);

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

/* Run fn(arg) in a child and wait at most timeout_ms for it. Returns fn's
 * result, -ETIMEDOUT (the child is killed and left behind: a task stuck in
 * a driver cannot die until the driver returns), or -EIO when the child
 * died without an answer. The child marks and journals nothing. Without a
 * process to spare, fn runs here: unguarded beats not at all. */
int pt_watch_guard(int (*fn)(void *arg), void *arg, unsigned timeout_ms);

#endif
