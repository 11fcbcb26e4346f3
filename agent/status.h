/* SPDX-License-Identifier: MIT */
/*
 * status.h — what pt-status reports: the state file pt-agent left in
 * /run/pt/state.json, read as untrusted input and checked against schema 1,
 * compared with the live system (drivers, IOMMU groups, /dev/vfio nodes).
 *
 *   pt_sstate_*   the state file: read, parse (jsonr.h), validate every field
 *                 a later step uses (addresses through pt_addr_parse, driver
 *                 names, /dev/vfio paths), with errors that name the file
 *                 and the byte offset or the field. Pure, except _read().
 *   pt_status_*   the state file × the live system → per-device facts and a
 *                 list of problems, each with a hint; rendered as a table or
 *                 as JSON. Reads sysfs through pci.h; never writes.
 *   pt_groups_*   every IOMMU group with its functions and viability
 *                 (no state file needed).
 *   pt_qemu_args  -device vfio-pci,... arguments for the bound devices.
 *
 * Names (vendor, device, class) come from a lookup the caller provides
 * (pt-status.c wraps libpci's ID database); this file does not link libpci.
 * All text taken from files is made safe for a terminal before printing.
 */
#ifndef PT_STATUS_H
#define PT_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "jsonr.h"
#include "pci.h"
#include "plan.h"
#include "spec.h"
#include "sysfs.h"
#include "util.h"

/* Version of pt-status's own --json output ("format"). */
#define PT_STATUS_FORMAT 1

/* Exit codes. */
#define PT_EXIT_OK 0
#define PT_EXIT_PROBLEM 1
#define PT_EXIT_NO_STATE 2
#define PT_EXIT_USAGE 64

/* ---- names ------------------------------------------------------------------------ */

enum pt_name_kind {
	PT_NAME_VENDOR, /* a = vendor */
	PT_NAME_DEVICE, /* a = vendor, b = device */
	PT_NAME_CLASS,	/* a = class >> 8 (base class and subclass) */
};

/* Fill buf with the name and return it, or return NULL when unknown. */
struct pt_names {
	const char *(*lookup)(void *userdata, enum pt_name_kind kind, unsigned a, unsigned b,
			      char *buf, size_t size);
	void *userdata;
};

/* ---- the state file --------------------------------------------------------------- */

struct pt_sdev {
	struct pt_addr addr;
	char name[PT_ADDR_STRLEN]; /* canonical "dddd:bb:ss.f" */
	bool has_id;		   /* vendor and device known */
	bool has_subsys;
	bool has_class;
	uint16_t vendor, device, subvendor, subdevice;
	uint32_t class;
	int iommu_group; /* -1: null */
	bool boot_vga;
	const char *selected_by;
	const char *driver_before; /* NULL: none */
	const char *driver_after;  /* NULL: none */
	enum pt_action action;
	const char *error; /* NULL: none */
	int vfio_node;	   /* N of "/dev/vfio/N"; -1: null */
};

/* A checked state file. Strings point into doc. */
struct pt_sstate {
	struct pt_jdoc doc;
	int64_t schema;
	const char *agent;
	const char *boot_id; /* NULL: null */
	const char *source;
	const char *spec; /* NULL: null */
	const char *group_policy;
	bool dryrun;
	bool iommu;
	const char *result;
	struct pt_sdev *devs;
	size_t n_devs;
	const char **errors;
	size_t n_errors;
	const char **warnings;
	size_t n_warnings;
};

/* Longest message about a bad state file. */
#define PT_SSTATE_ERR_MAX 512

/*
 * Parse and check a state file's text. `file` names it in messages
 * ("/run/pt/state.json: line 3, column 7 (byte 40): ..." or
 * "/run/pt/state.json: devices[0].addr: ..."). Returns 0, -EINVAL (bad
 * syntax or content), -EFBIG (over a limit), -EPROTONOSUPPORT (another
 * schema) or -ENOMEM, with err filled on failure.
 */
int pt_sstate_parse(const char *file, const char *text, size_t len, struct pt_sstate *ret,
		    char *err, size_t errsize) _must_check_;

/*
 * Read <sysroot>/run/pt/state.json and parse it. -ENOENT when it does not
 * exist; a symlink, a non-regular file or more than PT_JSONR_MAX_SIZE bytes
 * are refused. err names the file relative to the sysroot.
 */
int pt_sstate_read(const struct pt_sysfs *sys, struct pt_sstate *ret, char *err,
		   size_t errsize) _must_check_;

void pt_sstate_free(struct pt_sstate *s);

/* ---- /dev/vfio nodes --------------------------------------------------------------- */

struct pt_node {
	bool checked;
	char path[32]; /* "/dev/vfio/15", relative to the sysroot */
	bool present;
	int err; /* -errno of stat() when not present */
	mode_t mode;
	char owner[64], group[64]; /* names, or numbers */
	bool accessible;	   /* access(R_OK | W_OK) */
};

/* "crw-rw---- 0660 root:kvm" */
void pt_node_describe(const struct pt_node *n, char *buf, size_t size);

/* ---- IOMMU groups, live ------------------------------------------------------------- */

struct pt_gmember {
	struct pt_pci_func *fn; /* NULL: a name pt cannot read (raw) */
	char raw[64];		/* the directory entry, made printable */
	bool bridge;
	bool blocks; /* keeps the group from being handed to a guest */
};

struct pt_gview {
	int group;
	bool viable;
	struct pt_gmember *members; /* sorted by address; raw names last */
	size_t n_members;
	int list_err; /* -errno when the member list could not be read */
	struct pt_node node;
};

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

/* PT_EXIT_OK, PT_EXIT_PROBLEM or PT_EXIT_NO_STATE. */
int pt_status_exit_code(const struct pt_status *s);

/*
 * What --wait waits for: a state file from this boot, whose result is
 * neither failed, disabled nor nothing-to-do, with at least one device to
 * bind, and every such device on a vfio driver with its /dev/vfio/N present.
 */
bool pt_status_all_bound(const struct pt_status *s);

void pt_status_print(const struct pt_status *s, FILE *out);
void pt_status_json(const struct pt_status *s, struct pt_buf *out);

/* ---- pt-status groups --------------------------------------------------------------- */

struct pt_groups {
	const struct pt_sysfs *sys;
	const struct pt_names *names;
	struct pt_pci pci;
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
