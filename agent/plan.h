/* SPDX-License-Identifier: MIT */
/*
 * plan.h — selectors × PCI functions × IOMMU groups → a plan: which
 * functions to hand to which vfio driver, which were refused and why, and
 * whether each IOMMU group can be given to a guest.
 *
 * Pure: the caller loads the functions (pci.h) and hands them in; the plan
 * never reads or writes sysfs. bind.h carries a plan out and records the
 * outcome in the same structure, which state.h then writes.
 *
 * Planning runs in two steps, because what must be read depends on the
 * first step's answer:
 *
 *   pt_plan_select()  selectors × functions (identity loaded)
 *                     → targets, refusals, unmatched entries
 *   (caller loads the targets' state, their IOMMU groups' members and the
 *    members' identity and state, and adds each group)
 *   pt_plan_resolve() group policy, viability, per-target checks
 */
#ifndef PT_PLAN_H
#define PT_PLAN_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "group.h"
#include "pci.h"
#include "spec.h"
#include "util.h"

enum pt_action {
	PT_ACT_PLANNED,	  /* dry run: would be bound */
	PT_ACT_BOUND,	  /* was unbound, now on vfio */
	PT_ACT_ALREADY,	  /* was on vfio already */
	PT_ACT_RECOVERED, /* a host driver had it; now on vfio */
	PT_ACT_RELEASED,  /* failed or rolled back; given back to the host */
	PT_ACT_KEPT,	  /* failed; left unclaimed (pt.onfail=keep) */
	PT_ACT_SKIPPED,	  /* not attempted: refused or excluded */
	PT_ACT_FAILED,	  /* failed, and could not be put back as it was */
	PT_ACT_PENDING,	  /* internal: planned, not carried out yet */
};

#define PT_SELECTED_BY_MAX 64
#define PT_TARGET_ERROR_MAX 320

struct pt_target {
	struct pt_pci_func *fn;
	/* The entry, or "group of ENTRY", at most PT_SELECTED_BY_MAX - 1
	 * bytes; interned (pt_intern): a few entries select thousands. */
	const char *selected_by;
	bool take;	    /* to be bound */
	bool explicit_addr; /* named by its address */
	bool by_group;	    /* added by pt.group=auto, not by an entry */
	/* Driver names are never NULL; interned (pt_intern) or static, so a
	 * record costs a pointer for each however long the name. */
	const char *driver; /* the vfio driver to use */

	/* Outcome, filled by bind.c. */
	enum pt_action action;
	const char *driver_before;
	const char *driver_after;
	const char *override_before;
	bool override_written;
	char vfio_node[32];
	/* Why it was refused or failed; "" when it was not. Never NULL; set
	 * with pt_target_error() and pt_target_error_append() only; interned
	 * (pt_intern), so it outlives the plan. */
	const char *error;
};

struct pt_blocker {
	struct pt_pci_func *fn;
	const char *why; /* static text */
	enum pt_gm gm;	 /* the kernel's rule on it (group.h) */
};

struct pt_group {
	int group;
	bool viable;
	struct pt_pci_func **members;
	size_t n_members;
	struct pt_blocker *blockers;
	size_t n_blockers;
};

/* A function no list may take: it holds the root file system. */
struct pt_protected {
	struct pt_addr addr;
	int group; /* its IOMMU group, or -1 */
	char reason[160];
};

#define PT_PLAN_MAX_PROTECTED 16

struct pt_plan {
	enum pt_group_policy policy;
	struct pt_kernel kernel; /* whose rule decides viability; pt_plan_init: unknown */
	struct pt_protected protect[PT_PLAN_MAX_PROTECTED];
	size_t n_protect;
	struct pt_target *targets; /* sorted by address */
	size_t n_targets, cap_targets;
	struct pt_group *groups; /* sorted by number */
	size_t n_groups, cap_groups;
	struct pt_diag diag; /* planning's errors and warnings */
};

void pt_plan_init(struct pt_plan *plan, enum pt_group_policy policy);
void pt_plan_free(struct pt_plan *plan);

/*
 * Step 1. funcs: every function that could match (the whole bus when the
 * list has an id without an address; otherwise those at the listed
 * addresses), each with its identity loaded. An entry that matches none of
 * them is reported as an error.
 */
int pt_plan_select(struct pt_plan *plan, const struct pt_spec *spec,
		   struct pt_pci_func *const *funcs, size_t n_funcs) _must_check_;

/* Step 2 input: the members of one IOMMU group, identity and state loaded. */
int pt_plan_add_group(struct pt_plan *plan, int group, struct pt_pci_func *const *members,
		      size_t n) _must_check_;

/* Before step 2: never take addr, nor anything in its IOMMU group (group
 * -1: none known); reason says why ("holds the root file system ..."). */
void pt_plan_protect(struct pt_plan *plan, const struct pt_addr *addr, int group,
		     const char *reason);

/* Step 2: checks on each target's state, the group policy, viability. */
int pt_plan_resolve(struct pt_plan *plan, const struct pt_spec *spec) _must_check_;

/* Add fn as a target to take (runtime release of a slot's siblings).
 * Returns the record (valid until the next add) or NULL on ENOMEM. */
struct pt_target *pt_plan_take(struct pt_plan *plan, struct pt_pci_func *fn,
			       const char *selected_by);

/* The exclusion in spec that covers f, or NULL. */
const struct pt_selector *pt_plan_excluded_by(const struct pt_spec *spec,
					      const struct pt_pci_func *f);

/* Refuse every target still to be taken (group >= 0: only those in that
 * IOMMU group): not bound, action skipped, `reason` as its error. */
void pt_plan_refuse_taken(struct pt_plan *plan, int group, const char *reason);

/* Set (or, with "", clear) a target's error sentence; append to it. At
 * most PT_TARGET_ERROR_MAX - 1 bytes are kept. Without memory, the sentence
 * says so instead. */
void pt_target_error(struct pt_target *t, const char *fmt, ...) _printf_(2, 3);
void pt_target_error_append(struct pt_target *t, const char *fmt, ...) _printf_(2, 3);

/* Add "NAME: sentence" (the function's name, the target's error) to d
 * without copying either (pt_diag_ref). */
void pt_target_report(struct pt_diag *d, enum pt_severity sev, const struct pt_target *t);

/* Targets still to be bound. */
size_t pt_plan_count_taken(const struct pt_plan *plan);

struct pt_target *pt_plan_find(struct pt_plan *plan, const struct pt_pci_func *fn);
struct pt_group *pt_plan_group(struct pt_plan *plan, int group);

/* Is this driver one vfio can hand to a guest (vfio-pci or a variant)?
 * (group.h) */

const char *pt_action_name(enum pt_action a);

/* Human-readable plan, for --dry-run. */
void pt_plan_print(const struct pt_plan *plan, FILE *out);

#endif
