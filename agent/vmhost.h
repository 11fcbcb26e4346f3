/* SPDX-License-Identifier: MIT */
/*
 * vmhost.h — what a guest needs of the host beyond pt's binding, checked
 * the same way by pt-vm (before it starts QEMU) and pt-status (before a
 * person does):
 *
 *   pt_vfio_open_check   can this process open a /dev/vfio node now? vfio
 *                        allows one open of a group at a time: EBUSY means
 *                        another program (a running VM) holds it.
 *   pt_memlock_*         VFIO pins all of a guest's memory; without
 *                        CAP_IPC_LOCK that counts against RLIMIT_MEMLOCK,
 *                        and QEMU then fails with "VFIO_MAP_DMA failed:
 *                        Cannot allocate memory".
 */
#ifndef PT_VMHOST_H
#define PT_VMHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/*
 * What VFIO pins besides the guest's RAM (ROMs, firmware, the VGA and
 * option-ROM regions QEMU maps into the IOMMU): the margin added to the
 * guest's memory when comparing with RLIMIT_MEMLOCK. Documented in
 * pt-vm(8) and pt-status(8).
 */
#define PT_MEMLOCK_MARGIN_MIB 128u

/*
 * Open path (rooted already) read-write and close it again. Returns 0,
 * -EBUSY when another process holds the group, -EACCES/-EPERM, -ENOENT,
 * or another -errno.
 */
int pt_vfio_open_check(const char *path) _must_check_;

/* One sentence for a failed pt_vfio_open_check of `shown`. */
void pt_vfio_open_describe(int err, const char *shown, char *buf, size_t size);

/* "1024M", "8G", "1T", "512" (MiB) → MiB, at most PT_SIZE_MAX_MIB; false
 * on anything else. The size of a guest's memory, as pt-vm's memory = and
 * pt-status --memory take it. */
#define PT_SIZE_MAX_MIB (16u * 1024u * 1024u) /* 16 TiB */
bool pt_size_parse_mib(const char *s, uint64_t *ret_mib);

/* MiB a guest of guest_mib needs to lock (memory + margin). */
uint64_t pt_memlock_need_mib(uint64_t guest_mib);

struct pt_memlock {
	bool privileged; /* uid 0: CAP_IPC_LOCK, the limit does not count */
	bool unlimited;
	uint64_t limit_bytes; /* the soft limit */
};

/* This process's RLIMIT_MEMLOCK (and whether it counts). */
void pt_memlock_get(struct pt_memlock *ret);

/*
 * Compare: true when a guest of guest_mib fits (or the limit does not
 * apply). When it does not fit, `advice` gets one sentence that names the
 * limit, what is needed and how to set it; `unit` is the systemd unit to
 * name (NULL: none), `user` the user QEMU runs as (NULL: "the user").
 */
bool pt_memlock_fits(const struct pt_memlock *m, uint64_t guest_mib, const char *unit,
		     const char *user, char *advice, size_t size);

/* "8 MiB", "unlimited". */
void pt_memlock_describe(const struct pt_memlock *m, char *buf, size_t size);

#endif
