/* SPDX-License-Identifier: MIT */
/*
 * vmdisk.h — may this block device be handed raw to a guest? pt-vm's
 * `disk =` check: the launcher never hands the host's disk to a guest.
 *
 * Refused: a name that is not stable (/dev/sdX, /dev/nvme0n1: the names
 * of the same disk under /dev/disk/by-id are listed instead); a device
 * that is, holds (its partitions), or is held by (its whole disk) anything
 * mounted (/proc/self/mountinfo, the root file system named as such) or
 * swap (/proc/swaps); a device or partition that another block device
 * stacks on (sysfs holders/: LVM, md, dm-crypt), whether mounted or not.
 *
 * Everything is read under the sysroot; libblkid (only without a sysroot)
 * adds what the disk holds to the message.
 */
#ifndef PT_VMDISK_H
#define PT_VMDISK_H

#include <stddef.h>

#include "sysfs.h"

/*
 * Check `path` (as written in the VM file). Returns 0 when it may go to a
 * guest (`msg` then describes it: "sdb, 64 GiB, not used by the host"),
 * -EPERM when refused, -ENOENT when it does not exist, -EINVAL when it is
 * not a block device; `msg` says why in one sentence.
 */
int pt_vmdisk_check(const struct pt_sysfs *sys, const char *path, char *msg, size_t size);

#endif
