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
#include "output.h"
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
	struct pt_gassess assess; /* for a person: what to list (group.h) */
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

/* ---- pt-status suggest ---------------------------------------------------------------- */

/* One function the query matched, with its group. */
struct pt_suggestion {
	struct pt_pci_func *fn;
	struct pt_gview *gv; /* NULL: no IOMMU group */
};

struct pt_suggest {
	struct pt_groups g; /* the groups read so far (g.groups by number) */
	char query[128];    /* made safe */
	int err;	    /* -EINVAL: not an address or id; 0 otherwise */
	char err_text[256];
	struct pt_suggestion *found;
	size_t n_found;
	/* A vendor:device that matched with another subsystem (when the
	 * query named one and nothing matched). */
	char near[256];
};

/*
 * The functions that ADDR, ID or ID@ADDR (pt.devices= grammar, one entry)
 * names, and their groups. Returns 0 or -ENOMEM.
 */
int pt_suggest_collect(struct pt_suggest *s, const struct pt_sysfs *sys,
		       const struct pt_names *names, const char *query) _must_check_;
void pt_suggest_free(struct pt_suggest *s);
/* PT_EXIT_OK when every function found can go to a guest, else PT_EXIT_PROBLEM. */
int pt_suggest_exit_code(const struct pt_suggest *s);
void pt_suggest_print(const struct pt_suggest *s, FILE *out);
void pt_suggest_json(const struct pt_suggest *s, struct pt_buf *out);

/* The same words for the groups command, the suggest command and JSON. */
void pt_gview_headline(const struct pt_gview *gv, struct pt_buf *b);
/* The lines to paste, each prefixed: kernel command line, NixOS, pt.conf. */
void pt_gview_paste(const struct pt_gview *gv, const char *indent, struct pt_buf *b);
/* What a person can do about a group that cannot go (SHARED, CHIPSET). */
void pt_gview_advice(const struct pt_gview *gv, const char *indent, struct pt_buf *b);

#endif
