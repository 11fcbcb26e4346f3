/* SPDX-License-Identifier: MIT */
/*
 * vfio-viable.c — ask the kernel itself whether an IOMMU group may go to
 * userspace: open /dev/vfio/N and print VFIO_GROUP_GET_STATUS's flags.
 * Since 5.19 VFIO_GROUP_FLAGS_VIABLE is set while no one owns the group's
 * DMA (iommu_group_dma_owner_claimed(): every bound driver without
 * driver_managed_dma holds it). Built static for the e2e guest.
 *
 * usage: vfio-viable /dev/vfio/N   → "viable=0|1 flags=0xF", exit 0; 1 on error
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* From <linux/vfio.h>, which a musl build may not have. */
#define VFIO_TYPE (';')
#define VFIO_BASE 100
#define VFIO_GROUP_GET_STATUS _IO(VFIO_TYPE, VFIO_BASE + 3)
#define VFIO_GROUP_FLAGS_VIABLE (1u << 0)

struct vfio_group_status {
	uint32_t argsz;
	uint32_t flags;
};

int main(int argc, char **argv)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: vfio-viable /dev/vfio/N\n");
		return 1;
	}
	fd = open(argv[1], O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &st) < 0) {
		printf("VFIO_GROUP_GET_STATUS: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	printf("viable=%u flags=0x%x\n", (st.flags & VFIO_GROUP_FLAGS_VIABLE) ? 1u : 0u, st.flags);
	close(fd);
	return 0;
}
