/* SPDX-License-Identifier: MIT */
/*
 * sysfs.h — every path pt touches under /sys, /proc, /dev and /run goes
 * through here, rooted at a sysroot ("" on a real system, a fixture tree in
 * tests), so the same binary runs against a dumped or fake tree.
 *
 * Writes follow the kernel's attribute rules: open(O_WRONLY) without
 * O_CREAT (a fake tree cannot grow attributes the kernel lacks), one
 * write() of the whole value, a short write is an error.
 *
 * Functions return >= 0 on success and -errno on failure.
 */
#ifndef PT_SYSFS_H
#define PT_SYSFS_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "util.h"

struct pt_sysfs {
	char root[PATH_MAX / 2]; /* "" or "/abs/path" without a trailing slash */
	size_t rootlen;
};

/* root may be NULL or "" for the real system. */
int pt_sysfs_init(struct pt_sysfs *s, const char *root) _must_check_;

/* Build root + formatted path into buf. -ENAMETOOLONG if it does not fit. */
int pt_sysfs_path(const struct pt_sysfs *s, char *buf, size_t size, const char *fmt, ...)
	_printf_(4, 5) _must_check_;

/*
 * Read a small attribute (rooted path) into buf, NUL-terminated, trailing
 * newline removed. Returns the length. -EFBIG if it does not fit.
 */
int pt_sysfs_read(const struct pt_sysfs *s, const char *path, char *buf, size_t size) _must_check_;

/* Read at most size bytes of a binary attribute (rooted path), such as the
 * start of a PCI function's config space. Returns the count read. */
int pt_sysfs_read_head(const struct pt_sysfs *s, const char *path, void *buf,
		       size_t size) _must_check_;

/* Write value to an attribute (rooted path) with one write(). */
int pt_sysfs_write(const struct pt_sysfs *s, const char *path, const char *value) _must_check_;

/*
 * The same write, done in a child process that is killed after timeout_ms
 * (one helper process, reused from write to write until one hangs or dies):
 * some drivers hang in their remove or probe routine, and a boot agent
 * must not hang with them. -ETIMEDOUT when the child did not finish; the
 * child is then killed and left behind (a task stuck in the kernel cannot
 * be reaped until the kernel lets go of it).
 */
int pt_sysfs_write_guarded(const struct pt_sysfs *s, const char *path, const char *value,
			   unsigned timeout_ms) _must_check_;

/* Stop the helper process the guarded writes of this process use (it
 * also goes when this process exits). */
void pt_sysfs_guard_stop(void);

/* The last path component of a symlink's target (rooted path), e.g. the
 * driver's name from .../driver. -ENOENT when there is no link. */
int pt_sysfs_link_name(const struct pt_sysfs *s, const char *path, char *buf,
		       size_t size) _must_check_;

/* Does the (rooted) path exist? Symlinks are followed. */
bool pt_sysfs_exists(const struct pt_sysfs *s, const char *path);

/*
 * List the entries of a directory (rooted path), "." and ".." left out, in
 * no particular order. fn returns < 0 to stop. Returns 0, fn's error, or
 * the error of opening or reading the directory.
 */
typedef int (*pt_sysfs_dir_fn)(const char *name, void *userdata);
int pt_sysfs_list(const struct pt_sysfs *s, const char *path, pt_sysfs_dir_fn fn,
		  void *userdata) _must_check_;

/*
 * Test hooks. The test suite's model of the kernel installs them: `before`
 * runs before every operation and may fail it (return -errno) or hang;
 * `after_write` applies a successful write's side effects (unbind removes
 * the driver link, ...); `insmod` stands in for loading a module when a
 * sysroot is set. The program never installs hooks.
 */
enum pt_io_op {
	PT_IO_READ,
	PT_IO_WRITE,
	PT_IO_READLINK,
	PT_IO_LIST,
	PT_IO_INSMOD,
	PT_IO_STATE, /* writing the state file */
};

struct pt_io_hooks {
	int (*before)(void *userdata, enum pt_io_op op, const char *path, const char *value);
	void (*after_write)(void *userdata, const char *path, const char *value);
	int (*insmod)(void *userdata, const char *module);
	void *userdata;
};

void pt_sysfs_set_hooks(const struct pt_io_hooks *hooks);
const struct pt_io_hooks *pt_sysfs_hooks(void);

/* Run the `before` hook, if any, for an operation done outside this file. */
int pt_sysfs_hook_before(enum pt_io_op op, const char *path, const char *value);

#endif
