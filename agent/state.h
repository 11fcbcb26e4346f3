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

#endif
