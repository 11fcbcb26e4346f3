/* SPDX-License-Identifier: MIT */
/*
 * status.h — what pt-status reports: the state file pt-agent left in
 * /run/pt/state.json (read by stateread.c, see state.h) compared with the
 * live system (drivers, IOMMU groups, /dev/vfio nodes).
 *
 *   pt_status_*   the state file × the live system → per-device facts and a
 *                 list of problems, each with a hint (status.c); rendered as
 *                 a table (report.c) or as JSON (statusjson.c). Reads sysfs
 *                 through pci.h; never writes.
 *
 * The other commands: groups.h (IOMMU groups), qemuargs.h (QEMU's -device
 * arguments). All text taken from files is made safe for a terminal before
 * printing (text.h).
 */
#ifndef PT_STATUS_H
#define PT_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "groups.h"
#include "names.h"
#include "node.h"
#include "output.h"
#include "pci.h"
#include "plan.h"
#include "spec.h"
#include "state.h"
#include "sysfs.h"
#include "util.h"

/* ---- problems ---------------------------------------------------------------------- */

enum pt_problem_kind {
	PT_PROB_STATE_MISSING,
	PT_PROB_STATE_INVALID,
	PT_PROB_STATE_STALE,
	PT_PROB_AGENT_DISABLED,
	PT_PROB_AGENT_NOTHING,
	PT_PROB_AGENT_DRYRUN,
	PT_PROB_AGENT_RESULT,
	PT_PROB_NO_IOMMU,
	PT_PROB_GONE,
	PT_PROB_UNREADABLE,
	PT_PROB_IDENTITY,
	PT_PROB_NOT_BOUND,
	PT_PROB_NO_GROUP,
	PT_PROB_GROUP_CHANGED,
	PT_PROB_GROUP_NOT_VIABLE,
	PT_PROB_NODE_MISSING,
	PT_PROB_NODE_ACCESS,
	PT_PROB_CONTAINER_MISSING,
	PT_PROB_CONTAINER_ACCESS,
	PT_PROB_GROUP_IN_USE,
	PT_PROB_MEMLOCK,
};

/* The stable name of a kind, as in --json ("state-missing", ...). */
const char *pt_problem_kind_name(enum pt_problem_kind k);

struct pt_problem {
	enum pt_problem_kind kind;
	char addr[PT_ADDR_STRLEN]; /* "" when not about one device */
	int group;		   /* -1 when not about one group */
	char *text;
};

/* ---- pt-status (the default command) ------------------------------------------------ */

enum pt_state_kind {
	PT_STATE_OK,
	PT_STATE_MISSING,
	PT_STATE_INVALID,
};

/* One device of the state file, with what is true of it now. */
struct pt_sview {
	const struct pt_sdev *sd;
	struct pt_pci_func *fn;	      /* NULL: gone from the bus */
	bool wanted;		      /* should be on a vfio driver (not excluded, no bridge) */
	char expected[PT_DRIVER_MAX]; /* "" when none */
	bool bound;		      /* on a vfio driver now */
	struct pt_gview *gv;	      /* its live IOMMU group, or NULL */
};

struct pt_status {
	const struct pt_sysfs *sys;
	const struct pt_names *names;
	struct pt_pci pci;
	struct pt_kernel kernel; /* whose rule decides viability */

	enum pt_state_kind state;
	char state_err[PT_SSTATE_ERR_MAX];
	struct pt_sstate st;

	char boot_id[64]; /* this boot's; "" when unreadable */
	bool stale;	  /* the state file is from another boot */
	int iommu_groups; /* live count; < 0: unreadable */

	struct pt_sview *views;
	size_t n_views;
	struct pt_gview **groups; /* the groups of the listed devices, by number */
	size_t n_groups;
	struct pt_node container; /* /dev/vfio/vfio */

	struct pt_problem *problems;
	size_t n_problems, cap_problems;
	bool oom;
};

/* Read the state file and the live system. Returns 0 or -ENOMEM; every
 * other failure is a problem in s. Free with pt_status_free(). */
int pt_status_collect(struct pt_status *s, const struct pt_sysfs *sys,
		      const struct pt_names *names) _must_check_;
void pt_status_free(struct pt_status *s);

/*
 * When a listed device is on vfio: is this process's memory-lock limit
 * enough for a guest of guest_mib (0: unknown) started by this user? Adds
 * a memlock problem when it is not (vmhost.h decides), or, without a size,
 * when no guest could fit.
 */
void pt_status_check_memlock(struct pt_status *s, uint64_t guest_mib);

/* PT_EXIT_OK, PT_EXIT_PROBLEM or PT_EXIT_NO_STATE. */
int pt_status_exit_code(const struct pt_status *s);

/*
 * What --wait waits for: a state file from this boot, whose result is
 * neither failed, disabled nor nothing-to-do, with at least one device to
 * bind, and every such device on a vfio driver with its /dev/vfio/N present.
 */
bool pt_status_all_bound(const struct pt_status *s);

/* The identity to show: the live one when readable, else the recorded one.
 * False when neither is known. */
bool pt_sview_id(const struct pt_sview *v, uint16_t *vendor, uint16_t *device, uint32_t *class,
		 bool *has_class);
/* Show the node of a device that is, or should be, on vfio. */
bool pt_sview_shows_node(const struct pt_sview *v);

void pt_status_print(const struct pt_status *s, FILE *out);
void pt_status_json(const struct pt_status *s, struct pt_buf *out);

#endif
