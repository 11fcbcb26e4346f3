/* SPDX-License-Identifier: MIT */
/* vmhost.c — vfio node open test and memory-lock limit; see vmhost.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "vmhost.h"

int pt_vfio_open_check(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

void pt_vfio_open_describe(int err, const char *shown, char *buf, size_t size)
{
	if (err == -EBUSY)
		snprintf(buf, size,
			 "%s is in use: another program holds the group (a running VM?); vfio "
			 "lets one program open a group at a time, so a guest started now would "
			 "fail with \"Device or resource busy\"",
			 shown);
	else if (err == -EACCES || err == -EPERM)
		snprintf(buf, size, "%s cannot be opened: permission denied", shown);
	else
		snprintf(buf, size, "%s cannot be opened: %s", shown, strerror(-err));
}

uint64_t pt_memlock_need_mib(uint64_t guest_mib)
{
	return guest_mib + PT_MEMLOCK_MARGIN_MIB;
}

void pt_memlock_get(struct pt_memlock *ret)
{
	struct rlimit rl;

	*ret = (struct pt_memlock){ .privileged = geteuid() == 0 };
	if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY) {
		ret->unlimited = true;
		return;
	}
	ret->limit_bytes = (uint64_t)rl.rlim_cur;
}

void pt_memlock_describe(const struct pt_memlock *m, char *buf, size_t size)
{
	if (m->unlimited)
		snprintf(buf, size, "unlimited");
	else if (m->limit_bytes % (1024 * 1024) == 0)
		snprintf(buf, size, "%llu MiB", (unsigned long long)(m->limit_bytes >> 20));
	else
		snprintf(buf, size, "%llu KiB", (unsigned long long)(m->limit_bytes >> 10));
}

bool pt_memlock_fits(const struct pt_memlock *m, uint64_t guest_mib, const char *unit,
		     const char *user, char *advice, size_t size)
{
	uint64_t need = pt_memlock_need_mib(guest_mib);
	char have[32], unitpart[160] = "";

	if (m->privileged || m->unlimited || m->limit_bytes >= need << 20)
		return true;
	pt_memlock_describe(m, have, sizeof(have));
	if (unit)
		snprintf(unitpart, sizeof(unitpart),
			 "LimitMEMLOCK=%lluM in %s (systemctl edit %s), or ",
			 (unsigned long long)need, unit, unit);
	snprintf(advice, size,
		 "the memory-lock limit is %s, but VFIO pins all of a %llu MiB guest's memory "
		 "(+%u MiB margin: %llu MiB); QEMU would fail with \"VFIO_MAP_DMA failed: "
		 "Cannot allocate memory\". Set %s'%s - memlock %llu' in "
		 "/etc/security/limits.conf (KiB; a new login applies it), or on NixOS "
		 "hardware.pt.vmServices.<name>.memory (LimitMEMLOCK follows it)",
		 have, (unsigned long long)guest_mib, PT_MEMLOCK_MARGIN_MIB,
		 (unsigned long long)need, unitpart, user ? user : "USER",
		 (unsigned long long)need * 1024);
	return false;
}

bool pt_size_parse_mib(const char *s, uint64_t *ret_mib)
{
	uint64_t n = 0, mul = 1;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > PT_SIZE_MAX_MIB)
			return false;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (*p == 'M' || *p == 'm' || *p == 'G' || *p == 'g' || *p == 'T' || *p == 't') {
		mul = (*p == 'M' || *p == 'm') ? 1 : (*p == 'G' || *p == 'g') ? 1024 : 1024 * 1024;
		p++;
		if (streq(p, "iB") || streq(p, "B"))
			p += strlen(p);
	}
	if (*p || n == 0 || n > PT_SIZE_MAX_MIB / mul)
		return false;
	*ret_mib = n * mul;
	return true;
}
