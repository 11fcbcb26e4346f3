/* SPDX-License-Identifier: MIT */
/*
 * state.h — the state file, /run/pt/state.json: what pt-agent did this
 * boot, for the VM launcher and for pt-status. Schema version 1:
 *
 *   schema, agent, boot_id, started_ms, finished_ms (CLOCK_BOOTTIME),
 *   source ("cmdline" | "config" | "none"), spec (the list as read),
 *   options {group, onfail, fb, dryrun}, iommu (bool),
 *   modules [{name, result, error}],
 *   devices [{addr, vendor, device, subvendor, subdevice, class,
 *             iommu_group, boot_vga, selected_by, driver_before,
 *             driver_after, action, error, vfio_node}],
 *   groups [{group, viable, members, blockers}],
 *   errors [...], warnings [...],
 *   result: ok | partial | failed | disabled | nothing-to-do
 *
 * Written to a temporary file in the same directory, fsync'ed and renamed
 * over the old one: a reader sees the old file or the new one, never half.
 * Mode 0644 in a 0755 directory; never through a symlink.
 */
#ifndef PT_STATE_H
#define PT_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "jsonr.h"
#include "modules.h"
#include "plan.h"
#include "sysfs.h"
#include "pci.h"
#include "util.h"

#define PT_STATE_SCHEMA 1
#define PT_STATE_DIR "/run/pt"
#define PT_STATE_FILE "/run/pt/state.json"

struct pt_report {
	const char *agent_version;
	char boot_id[64];
	uint64_t started_ms, finished_ms;
	enum pt_source source;
	const char *spec; /* NULL: no list */
	const struct pt_options *opts;
	bool iommu;
	const struct pt_module_report *modules;
	size_t n_modules;
	const struct pt_plan *plan; /* NULL: planning did not run */
	const struct pt_diag *diag;
	const char *result;
	/* Runtime bind/release: the state file as it was (this boot's, schema
	 * 1), or NULL. Its source and spec are kept, and its entries for
	 * devices and groups this run did not handle are carried over. */
	const struct pt_jnode *previous;
};

/* Read and check the state file for an update: NULL (and a reason in err)
 * when it is missing, unreadable, not schema 1 or from another boot. */
int pt_state_read(const struct pt_sysfs *sys, const char *boot_id, struct pt_jdoc *ret, char *err,
		  size_t errsize);

/* Render the report as JSON (pure). */
void pt_state_render(const struct pt_report *r, struct pt_buf *out);

/*
 * Write the report atomically to <sysroot>/run/pt/state.json, creating
 * /run/pt (0755) if needed. Refuses a symlinked or foreign-owned or
 * group/world-writable directory, and a state.json that is a symlink or
 * not a regular file. On failure returns -errno with a sentence in err.
 * Rendered straight into the file, holding one chunk of it in memory at a
 * time, however many devices it lists.
 */
int pt_state_write_report(const struct pt_sysfs *sys, const struct pt_report *report, char *err,
			  size_t errsize);

/* ---- reading it back (stateread.c) --------------------------------------------------------------- */

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

#endif
