/* SPDX-License-Identifier: MIT */
/*
 * node.h — a /dev/vfio node as the user who runs pt-status sees it:
 * present, its mode and owner (names from the sysroot's passwd and group
 * when there is a sysroot), and whether this user may open it.
 */
#ifndef PT_NODE_H
#define PT_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sysfs.h"

struct pt_node {
	bool checked;
	char path[32]; /* "/dev/vfio/15", relative to the sysroot */
	bool present;
	int err; /* -errno of stat() when not present */
	mode_t mode;
	char owner[64], group[64]; /* names, or numbers */
	bool accessible;	   /* access(R_OK | W_OK) */
};

/* Look at <sysroot><rel>. */
void pt_node_check(const struct pt_sysfs *sys, const char *rel, struct pt_node *n);

/* "crw-rw----" */
void pt_node_mode_string(mode_t m, char buf[static 11]);

/* "crw-rw---- 0660 root:kvm" */
void pt_node_describe(const struct pt_node *n, char *buf, size_t size);

#endif
