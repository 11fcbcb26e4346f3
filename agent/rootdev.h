/* SPDX-License-Identifier: MIT */
/*
 * rootdev.h — which PCI functions hold the root file system, so that no
 * device list can hand the boot disk's controller to a guest.
 *
 * root= (UUID=, PARTUUID=, LABEL=, PARTLABEL=, or a /dev path) is resolved
 * to a block device with libblkid (the only file that uses it), then
 * followed through sysfs: /sys/dev/block/MAJ:MIN is a link into the device
 * tree, whose last PCI component is the storage controller. Stacked
 * devices (device-mapper, md) are followed through their slaves/.
 *
 * With a sysroot, libblkid is not used (it would probe the host's disks):
 * tags are looked up in <sysroot>/dev/disk/by-*, as udev names them, and a
 * device node by its name in <sysroot>/sys/class/block.
 */
#ifndef PT_ROOTDEV_H
#define PT_ROOTDEV_H

#include <stddef.h>

#include "spec.h"
#include "sysfs.h"

#define PT_ROOTDEV_MAX 16

struct pt_rootdev {
	char device[64];		    /* "sda2", "dm-0" */
	struct pt_addr pci[PT_ROOTDEV_MAX]; /* the PCI functions under it */
	size_t n_pci;
};

/*
 * Resolve root. Returns 0 with ret filled (n_pci may be 0: root on a
 * device without a PCI ancestor, e.g. virtio-mmio or a ramdisk), -ENOENT
 * when it cannot be resolved (yet), -EINVAL when there is no root= or it
 * names no local block device (nfs, zfs datasets, tmpfs); `why` says which.
 */
int pt_rootdev_resolve(const struct pt_sysfs *sys, const char *root, struct pt_rootdev *ret,
		       char *why, size_t whysize);

/*
 * The PCI functions under the file system mounted on / now (for the
 * integrations, when an initramfs is built: then the root is mounted and
 * its controller has its driver, unlike at boot). Read from
 * <sysroot>/proc/self/mountinfo; the device from its major:minor, or from
 * the mount source when that is an anonymous device (btrfs). Returns 0,
 * or -EINVAL when / is not on a local block device (nfs, zfs, tmpfs).
 */
int pt_rootdev_mounted(const struct pt_sysfs *sys, struct pt_rootdev *ret, char *why,
		       size_t whysize);

#endif
