/* SPDX-License-Identifier: MIT */
/*
 * groups.h — IOMMU groups read live for pt-status: every member with its
 * identity, driver and what the kernel's rule (group.h) says of it; the
 * `groups` command over all of them. No state file needed.
 */
#ifndef PT_GROUPS_H
#define PT_GROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "group.h"
#include "names.h"
#include "node.h"
#include "pci.h"
#include "sysfs.h"
#include "util.h"

/* ---- one IOMMU group, live ------------------------------------------------------------- */

struct pt_gmember {
	struct pt_pci_func *fn; /* NULL: a name pt cannot read (raw) */
	char raw[64];		/* the directory entry, made printable */
	bool bridge;
	bool blocks;	 /* keeps the group from being handed to a guest now */
	enum pt_gm now;	 /* the kernel's rule on it as it is bound now */
	enum pt_gm boot; /* ...at the next boot, when pt does not take it */
};

struct pt_gview {
	int group;
	bool viable;		    /* now, by the kernel's rule */
	struct pt_gmember *members; /* sorted by address; raw names last */
	size_t n_members;
	int list_err; /* -errno when the member list could not be read */
	struct pt_node node;
};

/* Read group `group`'s members (identity and state) and its /dev/vfio node.
 * Returns 0 or -ENOMEM; a listing error is recorded in list_err. */
int pt_gview_load(struct pt_pci *pci, const struct pt_sysfs *sys, const struct pt_kernel *k,
		  int group, struct pt_gview **ret) _must_check_;
void pt_gview_free(struct pt_gview *gv);

/* "0000:27:00.0 (xhci_hcd)" */
void pt_gmember_text(const struct pt_gmember *m, char *buf, size_t size);

/* ---- pt-status groups --------------------------------------------------------------- */

struct pt_groups {
	const struct pt_sysfs *sys;
	const struct pt_names *names;
	struct pt_pci pci;
	struct pt_kernel kernel;
	int err;		  /* -errno listing the groups; -ENOENT: no IOMMU */
	struct pt_gview **groups; /* by number */
	size_t n_groups;
};

int pt_groups_collect(struct pt_groups *g, const struct pt_sysfs *sys,
		      const struct pt_names *names) _must_check_;
void pt_groups_free(struct pt_groups *g);
/* PT_EXIT_OK, or PT_EXIT_PROBLEM when there are no IOMMU groups. */
int pt_groups_exit_code(const struct pt_groups *g);
void pt_groups_print(const struct pt_groups *g, FILE *out);
void pt_groups_json(const struct pt_groups *g, struct pt_buf *out);

#endif
