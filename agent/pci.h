/* SPDX-License-Identifier: MIT */
/*
 * pci.h — the PCI functions under /sys/bus/pci/devices, read through
 * sysfs.h, loaded lazily: a boot with four listed addresses reads four
 * functions, not the whole bus.
 *
 *   identity: vendor, device, subsystem ids, class — from `modalias`, one
 *             read that the kernel formats from the same fields as the
 *             separate attributes; those are read only when modalias is
 *             missing or malformed.
 *   state:    driver link, driver_override, iommu_group link, boot_vga.
 *
 * Bad contents (a truncated vendor file, a missing iommu_group link) are
 * recorded on the function with the attribute they came from; the plan
 * refuses such a function with that message.
 */
#ifndef PT_PCI_H
#define PT_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "spec.h"
#include "sysfs.h"

#define PT_DRIVER_MAX 64

enum {
	PT_PCI_IDENTITY = 1u << 0,
	PT_PCI_STATE = 1u << 1,
	PT_PCI_HEADER = 1u << 2,
};

struct pt_pci_func {
	struct pt_addr addr;
	char name[PT_ADDR_STRLEN]; /* "0000:26:00.0" */
	unsigned loaded;

	int id_err;		 /* -errno when the identity is unknown */
	const char *id_err_attr; /* the attribute that could not be read */
	uint16_t vendor, device, subvendor, subdevice;
	uint32_t class;

	int state_err; /* -errno when the state is unknown */
	const char *state_err_attr;
	int iommu_group; /* -1: no iommu_group link */
	bool boot_vga;
	/* Never NULL; interned (pt_intern) or static. */
	const char *driver;   /* "" when unbound */
	const char *override; /* "" when not set */

	/* Config header type (0 normal, 1 PCI-to-PCI bridge, 2 CardBus
	 * bridge), from byte 0x0e of `config`; when that cannot be read,
	 * guessed from the class and hdr_guessed set. */
	uint8_t hdr_type;
	bool hdr_guessed;
};

struct pt_pci {
	const struct pt_sysfs *sys;
	struct pt_pci_func **funcs; /* sorted by address; pointers are stable */
	size_t n, cap;
	bool scanned; /* the whole bus was listed */
};

void pt_pci_init(struct pt_pci *pci, const struct pt_sysfs *sys);
void pt_pci_free(struct pt_pci *pci);

/* List every function on the bus (names only). */
int pt_pci_scan(struct pt_pci *pci) _must_check_;

/* The function at addr: from the list, or looked up on the bus. -ENODEV
 * when there is none. */
int pt_pci_get(struct pt_pci *pci, const struct pt_addr *addr,
	       struct pt_pci_func **ret) _must_check_;

/* Load (once) identity or state. Failures are recorded on the function
 * (id_err, state_err) and also returned. */
int pt_pci_load_identity(struct pt_pci *pci, struct pt_pci_func *f);
int pt_pci_load_state(struct pt_pci *pci, struct pt_pci_func *f);

/* Load (once) the config header type (the first 64 bytes of config space
 * are readable by anyone). Never fails: an unreadable config falls back to
 * the class (0604 and 0609 type 1, 0607 type 2, else 0). Needs the
 * identity. */
void pt_pci_load_header(struct pt_pci *pci, struct pt_pci_func *f);

/* Re-read the driver link (after unbind/probe) into f->driver. */
int pt_pci_reload_driver(struct pt_pci *pci, struct pt_pci_func *f);

/* Call fn with the name of every device in IOMMU group `group`. */
int pt_pci_group_list(struct pt_pci *pci, int group, pt_sysfs_dir_fn fn,
		      void *userdata) _must_check_;

/* Is there an IOMMU group at all? 1 or 0 (the listing stops at the first;
 * on a host with thousands of functions it need not read them all). */
int pt_pci_iommu_on(const struct pt_sysfs *sys);

/* The number of IOMMU groups (for reports; lists them all). */
int pt_pci_iommu_group_count(const struct pt_sysfs *sys);

/* Parse a PCI modalias ("pci:v...d...sv...sd...bc..sc..i..") into the
 * identity fields of f. -EBADMSG when malformed. Pure. */
int pt_pci_parse_modalias(const char *s, struct pt_pci_func *f) _must_check_;

/* Format f's identity as a modalias with the given prefix ("pci:" or
 * "vfio_pci:"), as the kernel's pci_uevent does. */
void pt_pci_modalias(const struct pt_pci_func *f, const char *prefix, char *buf, size_t size);

static inline bool pt_pci_is_bridge(const struct pt_pci_func *f)
{
	return (f->class >> 16) == 0x06;
}

#endif
