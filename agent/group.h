/* SPDX-License-Identifier: MIT */
/*
 * group.h — can an IOMMU group be handed to a guest? The kernel's answer,
 * by the rule of the running kernel, in one place: pt-agent's plan and
 * pt-status both take it from here, so their words cannot disagree.
 *
 * The kernel's rules (the sources are cited in tests/e2e/FACTS.md):
 *
 *   Linux 5.19 and later (PT_RULE_DMA_OWNER). vfio claims the group with
 *   iommu_group_claim_dma_owner(), which fails while any member is bound
 *   to a driver that uses the kernel's DMA API: really_probe() counts every
 *   driver without .driver_managed_dma in the group's owner_cnt. Drivers
 *   that set it: vfio-pci and the vfio variant drivers, pci-stub, pcieport.
 *   An unbound member does not count. A bridge is no exception: a type-0
 *   host bridge on skl_uncore, an ISA bridge on lpc_ich, a PCI-to-PCI
 *   bridge on shpchp all block.
 *
 *   Before 5.19 (PT_RULE_VFIO_VIABLE). vfio_dev_viable() accepts a member
 *   that is unbound, on a vfio driver, on pci-stub (vfio_driver_allowed[]),
 *   or whose config header type is not 0 (a PCI-to-PCI or CardBus bridge,
 *   pcieport and shpchp included) with any driver.
 *
 * Two questions:
 *
 *   PT_NOW      may vfio open the group as the members are bound now
 *               (pt-status): exactly the kernel's rule.
 *   PT_AT_BOOT  will the group be viable once the boot is over (pt-agent,
 *               and pt-status saying what the next boot would do): a
 *               function pt does not take and that has no driver yet will
 *               usually get one later, so it blocks — except a host bridge
 *               (class 0600), which hardly ever gets one (AMD's "dummy host
 *               bridges" sit in GPU groups with no driver on every boot),
 *               and a type-1/2 bridge, whose driver (pcieport) is built in
 *               and bound long before the initramfs runs.
 *
 * Pure, except pt_kernel_read().
 */
#ifndef PT_GROUP_H
#define PT_GROUP_H

#include <stdbool.h>
#include <stddef.h>

#include "pci.h"
#include "sysfs.h"
#include "util.h"

enum pt_dma_rule {
	PT_RULE_DMA_OWNER,   /* 5.19+: iommu_group_claim_dma_owner, driver_managed_dma */
	PT_RULE_VFIO_VIABLE, /* before 5.19: vfio_dev_viable */
};

struct pt_kernel {
	char release[65]; /* as uname -r; "" when unknown */
	bool known;	  /* the release was read and parsed */
	unsigned major, minor;
	enum pt_dma_rule rule; /* unknown: PT_RULE_DMA_OWNER, the stricter for bridges */
};

/* From a release string ("6.1.0-13-amd64"). NULL, "" or malformed: unknown. */
void pt_kernel_parse(const char *release, struct pt_kernel *ret);

/* The running kernel's, from <sysroot>/proc/sys/kernel/osrelease. */
void pt_kernel_read(const struct pt_sysfs *sys, struct pt_kernel *ret);

/* "dma-owner" or "vfio-viable" (for --json and the state file). */
const char *pt_dma_rule_name(enum pt_dma_rule r);

/* One sentence: which rule, and why ("Linux 6.1: 5.19 or later, ..."). */
void pt_kernel_describe(const struct pt_kernel *k, char *buf, size_t size);

/* Is this driver one vfio can hand to a guest (vfio-pci or a variant)? */
bool pt_driver_is_vfio(const char *driver);

/* Does this driver manage its own DMA (driver_managed_dma), so that vfio
 * may claim its group: vfio-pci, a vfio variant, pci-stub, pcieport? */
bool pt_driver_manages_dma(const char *driver);

enum pt_when {
	PT_NOW,
	PT_AT_BOOT,
};

/* What a member is, to its group. The first ones let the group go. */
enum pt_gm {
	PT_GM_TAKEN,	       /* pt binds it (at boot) */
	PT_GM_VFIO,	       /* on a vfio driver */
	PT_GM_UNBOUND,	       /* no driver */
	PT_GM_OWN_DMA,	       /* on pci-stub or pcieport: the driver manages its own DMA */
	PT_GM_BRIDGE_HEADER,   /* before 5.19: a type-1/2 header, whatever its driver */
	PT_GM_IDLE_BRIDGE,     /* at boot: a host bridge or type-1/2 bridge with no driver */
	PT_GM_HOST_DRIVER,     /* blocks: on a driver that uses the kernel's DMA API */
	PT_GM_DRIVER_EXPECTED, /* blocks at boot: no driver yet; one will come */
	PT_GM_UNREADABLE,      /* blocks: its identity or state cannot be read */
};

static inline bool pt_gm_blocks(enum pt_gm v)
{
	return v >= PT_GM_HOST_DRIVER;
}

/* "taken", "vfio", "unbound", "own-dma", "bridge-header", "idle-bridge",
 * "host-driver", "driver-expected", "unreadable" (for --json). */
const char *pt_gm_name(enum pt_gm v);

/*
 * The verdict on one member (identity, state and header loaded; NULL for
 * a member that is not a readable PCI function). taken: pt binds it at
 * this boot (only with PT_AT_BOOT).
 */
enum pt_gm pt_group_member(const struct pt_kernel *k, const struct pt_pci_func *f,
			   enum pt_when when, bool taken);

/*
 * Does bridge m keep a group from a guest because it sits in the slot of a
 * function to take (slot)? Then the slot is not a card but the chipset (an
 * AMD 400-series chipset's USB, SATA and bridges are one device), holding
 * the host's own disks and slots. Not the kernel's rule but pt's, applied
 * at boot (plan.c) and in pt-status alike.
 */
bool pt_group_bridge_in_slot(const struct pt_pci_func *m, const struct pt_addr *slot);

/* ---- a whole group, for a person choosing what to list ------------------------------ */

enum pt_gverdict {
	PT_GV_READY,	  /* its functions are on vfio and nothing else blocks: go as it is */
	PT_GV_LIST,	  /* list its functions (all of one slot) and it can go */
	PT_GV_SHARED,	  /* its functions belong to more than one slot */
	PT_GV_CHIPSET,	  /* a bridge pt never takes blocks it (lpc_ich, skl_uncore, ...),
			   * or shares a slot with its functions (the chipset itself) */
	PT_GV_BRIDGES,	  /* only bridges: nothing to give */
	PT_GV_UNREADABLE, /* a member cannot be read */
	PT_GV_EMPTY,
};

/* "ready", "list", "shared", "chipset", "bridges", "unreadable", "empty" */
const char *pt_gverdict_name(enum pt_gverdict v);

#define PT_GROUP_SLOTS_MAX 8

struct pt_gassess {
	enum pt_gverdict verdict;
	/* The functions pt would have to take: every member but the bridges
	 * (pt never binds a bridge). */
	const struct pt_pci_func **take;
	size_t n_take;
	/* Bridges that block at boot, or share a slot with take[]
	 * (PT_GV_CHIPSET). */
	const struct pt_pci_func **fixed_blockers;
	size_t n_fixed_blockers;
	/* The distinct slots of take[] (bus:slot), at most PT_GROUP_SLOTS_MAX. */
	struct pt_addr slots[PT_GROUP_SLOTS_MAX];
	size_t n_slots;
	bool boot_vga; /* take[] holds the boot GPU */
};

/*
 * Assess a group from its members (NULL: unreadable), by the at-boot rule
 * with every function of take[] listed: the same call pt-agent's plan makes
 * for that list. Returns 0 or -ENOMEM. Free with pt_gassess_free().
 */
int pt_group_assess(const struct pt_kernel *k, const struct pt_pci_func *const *members, size_t n,
		    struct pt_gassess *ret) _must_check_;
void pt_gassess_free(struct pt_gassess *a);

/* The pinned entries for take[]: "10de:1c03@26:00.0,10de:10f1@26:00.1"
 * (the domain only when it is not 0000). Appended to b. */
void pt_gassess_entries(const struct pt_gassess *a, struct pt_buf *b);

#endif
