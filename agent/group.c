/* SPDX-License-Identifier: MIT */
/* group.c — the kernel's rule for handing an IOMMU group to vfio; see group.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "group.h"

void pt_kernel_parse(const char *release, struct pt_kernel *ret)
{
	unsigned long major, minor;
	const char *p;
	char *end;

	*ret = (struct pt_kernel){ .rule = PT_RULE_DMA_OWNER };
	if (!release || !*release)
		return;
	pt_strlcpy(ret->release, release, sizeof(ret->release));
	if (*release < '0' || *release > '9')
		return;
	major = strtoul(release, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9' || major > 1000)
		return;
	p = end + 1;
	minor = strtoul(p, &end, 10);
	if (minor > 1000)
		return;
	ret->major = (unsigned)major;
	ret->minor = (unsigned)minor;
	ret->known = true;
	ret->rule =
		major > 5 || (major == 5 && minor >= 19) ? PT_RULE_DMA_OWNER : PT_RULE_VFIO_VIABLE;
}

void pt_kernel_read(const struct pt_sysfs *sys, struct pt_kernel *ret)
{
	char path[PATH_MAX], buf[65];

	if (pt_sysfs_path(sys, path, sizeof(path), "/proc/sys/kernel/osrelease") < 0 ||
	    pt_sysfs_read(sys, path, buf, sizeof(buf)) < 0)
		buf[0] = '\0';
	pt_kernel_parse(buf, ret);
}

const char *pt_dma_rule_name(enum pt_dma_rule r)
{
	return r == PT_RULE_DMA_OWNER ? "dma-owner" : "vfio-viable";
}

void pt_kernel_describe(const struct pt_kernel *k, char *buf, size_t size)
{
	if (!k->known)
		snprintf(buf, size,
			 "kernel version unknown: the rule of Linux 5.19 and later is applied (a "
			 "member must be unbound or on vfio-pci, pci-stub or pcieport)");
	else if (k->rule == PT_RULE_DMA_OWNER)
		snprintf(buf, size,
			 "Linux %u.%u (5.19 or later): a member must be unbound or on a driver "
			 "that manages its own DMA (vfio-pci, pci-stub, pcieport)",
			 k->major, k->minor);
	else
		snprintf(buf, size,
			 "Linux %u.%u (before 5.19): a member must be unbound, on vfio-pci or "
			 "pci-stub, or a PCI-to-PCI or CardBus bridge (any driver)",
			 k->major, k->minor);
}

bool pt_driver_is_vfio(const char *driver)
{
	size_t n = strlen(driver);

	/* vfio-pci itself, and the variant drivers (mlx5_vfio_pci,
	 * hisi_acc_vfio_pci, xe-vfio-pci, ...) named after their modules. */
	return streq(driver, "vfio-pci") || (n >= 8 && streq(driver + n - 8, "vfio_pci")) ||
	       (n >= 8 && streq(driver + n - 8, "vfio-pci"));
}

bool pt_driver_manages_dma(const char *driver)
{
	return pt_driver_is_vfio(driver) || streq(driver, "pci-stub") || streq(driver, "pcieport");
}

const char *pt_gm_name(enum pt_gm v)
{
	static const char *const names[] = {
		[PT_GM_TAKEN] = "taken",
		[PT_GM_VFIO] = "vfio",
		[PT_GM_UNBOUND] = "unbound",
		[PT_GM_OWN_DMA] = "own-dma",
		[PT_GM_BRIDGE_HEADER] = "bridge-header",
		[PT_GM_IDLE_BRIDGE] = "idle-bridge",
		[PT_GM_HOST_DRIVER] = "host-driver",
		[PT_GM_DRIVER_EXPECTED] = "driver-expected",
		[PT_GM_UNREADABLE] = "unreadable",
	};

	return names[v];
}

enum pt_gm pt_group_member(const struct pt_kernel *k, const struct pt_pci_func *f,
			   enum pt_when when, bool taken)
{
	bool host_bridge;

	if (!f || f->id_err || f->state_err)
		return PT_GM_UNREADABLE;
	if (when == PT_AT_BOOT && taken)
		return PT_GM_TAKEN;
	if (pt_driver_is_vfio(f->driver))
		return PT_GM_VFIO;
	if (!f->driver[0]) {
		if (when == PT_NOW)
			return PT_GM_UNBOUND;
		host_bridge = (f->class >> 8) == 0x0600 && f->hdr_type == 0;
		return host_bridge || f->hdr_type != 0 ? PT_GM_IDLE_BRIDGE : PT_GM_DRIVER_EXPECTED;
	}
	if (k->rule == PT_RULE_VFIO_VIABLE) {
		if (streq(f->driver, "pci-stub"))
			return PT_GM_OWN_DMA;
		return f->hdr_type != 0 ? PT_GM_BRIDGE_HEADER : PT_GM_HOST_DRIVER;
	}
	return pt_driver_manages_dma(f->driver) ? PT_GM_OWN_DMA : PT_GM_HOST_DRIVER;
}

bool pt_group_bridge_in_slot(const struct pt_pci_func *m, const struct pt_addr *slot)
{
	return m && !m->id_err && pt_pci_is_bridge(m) && pt_addr_same_slot(slot, &m->addr);
}

const char *pt_gverdict_name(enum pt_gverdict v)
{
	static const char *const names[] = {
		[PT_GV_READY] = "ready",     [PT_GV_LIST] = "list",
		[PT_GV_SHARED] = "shared",   [PT_GV_CHIPSET] = "chipset",
		[PT_GV_BRIDGES] = "bridges", [PT_GV_UNREADABLE] = "unreadable",
		[PT_GV_EMPTY] = "empty",
	};

	return names[v];
}

int pt_group_assess(const struct pt_kernel *k, const struct pt_pci_func *const *members, size_t n,
		    struct pt_gassess *ret)
{
	bool unreadable = false, all_vfio = true;

	*ret = (struct pt_gassess){ .verdict = PT_GV_EMPTY };
	if (n == 0)
		return 0;
	ret->take = calloc(n, sizeof(*ret->take));
	ret->fixed_blockers = calloc(n, sizeof(*ret->fixed_blockers));
	if (!ret->take || !ret->fixed_blockers) {
		pt_gassess_free(ret);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct pt_pci_func *f = members[i];
		bool seen = false;

		if (!f || f->id_err || f->state_err) {
			unreadable = true;
			continue;
		}
		if (pt_pci_is_bridge(f)) {
			/* pt never binds a bridge: it stays as it is. */
			if (pt_gm_blocks(pt_group_member(k, f, PT_AT_BOOT, false)))
				ret->fixed_blockers[ret->n_fixed_blockers++] = f;
			continue;
		}
		ret->take[ret->n_take++] = f;
		all_vfio &= pt_driver_is_vfio(f->driver);
		ret->boot_vga |= f->boot_vga;
		for (size_t s = 0; s < ret->n_slots && !seen; s++)
			seen = pt_addr_same_slot(&ret->slots[s], &f->addr);
		if (!seen && ret->n_slots < PT_GROUP_SLOTS_MAX)
			ret->slots[ret->n_slots++] = f->addr;
	}
	/* A bridge in the same slot as the functions to take: not a card but
	 * the chipset (AMD's 400-series: USB, SATA and the bridge to the
	 * board's slots are one device), which holds the host's own disks
	 * and slots. */
	for (size_t i = 0; i < n; i++) {
		const struct pt_pci_func *f = members[i];
		bool listed = false;

		if (!f || f->id_err || !pt_pci_is_bridge(f))
			continue;
		for (size_t j = 0; j < ret->n_fixed_blockers; j++)
			listed |= ret->fixed_blockers[j] == f;
		for (size_t s = 0; s < ret->n_slots && !listed; s++)
			if (pt_group_bridge_in_slot(f, &ret->slots[s])) {
				ret->fixed_blockers[ret->n_fixed_blockers++] = f;
				listed = true;
			}
	}
	if (unreadable)
		ret->verdict = PT_GV_UNREADABLE;
	else if (ret->n_take == 0)
		ret->verdict = PT_GV_BRIDGES;
	else if (ret->n_fixed_blockers)
		ret->verdict = PT_GV_CHIPSET;
	else if (ret->n_slots > 1)
		ret->verdict = PT_GV_SHARED;
	else if (all_vfio)
		ret->verdict = PT_GV_READY;
	else
		ret->verdict = PT_GV_LIST;
	return 0;
}

void pt_gassess_free(struct pt_gassess *a)
{
	free(a->take);
	free(a->fixed_blockers);
	*a = (struct pt_gassess){ 0 };
}

void pt_gassess_entries(const struct pt_gassess *a, struct pt_buf *b)
{
	for (size_t i = 0; i < a->n_take; i++) {
		const struct pt_pci_func *f = a->take[i];

		pt_buf_printf(b, "%s%04x:%04x@%s", i ? "," : "", f->vendor, f->device,
			      f->addr.domain ? f->name : f->name + 5);
	}
}
