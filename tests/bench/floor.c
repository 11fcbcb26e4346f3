/* SPDX-License-Identifier: MIT */
/*
 * floor.c — the least a program can do for the guarantees pt-agent gives,
 * for the benchmark's "floor" (tests/bench/run.sh, BENCHMARKS.md).
 *
 *   floor [-r SYSROOT] [-R] SELECTOR...
 *
 * SELECTOR is what pt.devices= would hold, without parsing beyond the
 * three shapes the benchmark uses: DDDD:BB:SS.F (an address), VVVV:DDDD@ADDR
 * (pinned), VVVV:DDDD (an id: the only case that enumerates the bus).
 * For the targets it:
 *
 *   1. reads each target's identity (modalias: one read) — a pinned entry
 *      whose identity differs is not touched;
 *   2. reads its IOMMU group (iommu_group link) and lists the group's
 *      members; a member that is not a target, not a bridge and not on
 *      vfio-pci or pci-stub makes the group not viable: not touched;
 *   3. writes "vfio-pci" to driver_override of every target (first, as pt
 *      does: from then on no loading driver takes them);
 *   4. per target: reads the driver link; if on another driver, unbinds it;
 *      if not on vfio-pci, writes the address to drivers_probe; reads the
 *      driver link again: verified when it names vfio-pci;
 *   5. with -R, a target that did not verify is given back (override
 *      cleared, reprobed, link read), as pt.onfail=release does.
 *
 * No parsing of a command line or config, no plan, no log, no state file,
 * no child processes: a write that hangs in a driver hangs this program.
 * Exit 0 when every target verified, 1 otherwise, 2 on a usage error.
 * Built with -DPT_STAGES (the benchmark's stage build), it prints the time
 * at its start and end on stderr, as pt-agent's PT_STAGE() does.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef PT_STAGES
static void stage(const char *name)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	fprintf(stderr, "%llu %s\n",
		(unsigned long long)ts.tv_sec * 1000000u + (unsigned long long)ts.tv_nsec / 1000u,
		name);
}
#else
#define stage(name) ((void)0)
#endif

#define MAX_TARGETS 8192

struct target {
	char addr[16];
	bool skip;
};

static char root[2048];
static size_t rootlen;
static struct target targets[MAX_TARGETS];
static unsigned n_targets;

/* root + "/sys/bus/pci/devices/" + addr + "/" + attr, into a static buffer. */
static const char *dev_path(const char *addr, const char *attr)
{
	static char buf[4096];
	static const char mid[] = "/sys/bus/pci/devices/";
	size_t a = strlen(addr), b = strlen(attr);

	memcpy(buf, root, rootlen);
	memcpy(buf + rootlen, mid, sizeof(mid) - 1);
	memcpy(buf + rootlen + sizeof(mid) - 1, addr, a);
	buf[rootlen + sizeof(mid) - 1 + a] = '/';
	memcpy(buf + rootlen + sizeof(mid) + a, attr, b + 1);
	return buf;
}

static const char *rooted(const char *path)
{
	static char buf[4096];
	size_t n = strlen(path);

	memcpy(buf, root, rootlen);
	memcpy(buf + rootlen, path, n + 1);
	return buf;
}

static int read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

static int write_str(const char *path, const char *value)
{
	size_t len = strlen(value);
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, value, len);
	if (close(fd) < 0)
		return -1;
	return n == (ssize_t)len ? 0 : -1;
}

/* The last component of a link's target ("" when there is no link). */
static const char *link_name(const char *path, char *buf, size_t size)
{
	ssize_t n = readlink(path, buf, size - 1);
	const char *slash;

	if (n <= 0)
		return "";
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	return slash ? slash + 1 : buf;
}

static unsigned hex(const char *p, unsigned digits)
{
	unsigned v = 0;

	for (unsigned i = 0; i < digits; i++) {
		char c = p[i];

		v = v << 4 | (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return v;
}

/* Vendor and device from a modalias "pci:vXXXXXXXXdXXXXXXXX...", and
 * the base class ("bc" + 2 digits, at a fixed place). */
static bool identity(const char *addr, unsigned *vendor, unsigned *device, unsigned *base)
{
	char buf[128];

	if (read_small(dev_path(addr, "modalias"), buf, sizeof(buf)) < 50 ||
	    strncmp(buf, "pci:v", 5) != 0)
		return false;
	*vendor = hex(buf + 9, 4);
	*device = hex(buf + 18, 4);
	*base = hex(buf + 44, 2);
	return true;
}

static int target_cmp(const void *a, const void *b)
{
	return strcmp(((const struct target *)a)->addr, ((const struct target *)b)->addr);
}

/* The targets are sorted (and unique) once collected: a lookup is a
 * binary search, so that thousands of targets cost n log n, not n^2. */
static bool is_target(const char *addr)
{
	struct target key = { .skip = false };
	size_t n = strlen(addr);

	if (n >= sizeof(key.addr))
		return false;
	memcpy(key.addr, addr, n + 1);
	return bsearch(&key, targets, n_targets, sizeof(*targets), target_cmp) != NULL;
}

static void add_target(const char *addr)
{
	size_t n = strlen(addr);

	if (n_targets < MAX_TARGETS && n < sizeof(targets[0].addr)) {
		memcpy(targets[n_targets].addr, addr, n + 1);
		n_targets++;
	}
}

static void sort_targets(void)
{
	unsigned n = 0;

	qsort(targets, n_targets, sizeof(*targets), target_cmp);
	for (unsigned i = 0; i < n_targets; i++)
		if (n == 0 || strcmp(targets[n - 1].addr, targets[i].addr) != 0)
			targets[n++] = targets[i];
	n_targets = n;
}

/* Every function with this vendor:device (the bus must be listed). */
static void add_by_id(unsigned vendor, unsigned device)
{
	DIR *d = opendir(rooted("/sys/bus/pci/devices"));
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		unsigned v, dv, base;

		if (de->d_name[0] == '.')
			continue;
		if (identity(de->d_name, &v, &dv, &base) && v == vendor && dv == device)
			add_target(de->d_name);
	}
	closedir(d);
}

/* Is the target's IOMMU group viable once the targets are on vfio? */
static bool group_viable(const char *addr)
{
	char buf[256], dir[4096];
	const char *group = link_name(dev_path(addr, "iommu_group"), buf, sizeof(buf));
	struct dirent *de;
	bool ok = true;
	DIR *d;
	int n;

	if (!*group)
		return false; /* no IOMMU group: vfio-pci refuses it */
	n = snprintf(dir, sizeof(dir), "%s/sys/kernel/iommu_groups/%s/devices", root, group);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return false;
	d = opendir(dir);
	if (!d)
		return false;
	while (ok && (de = readdir(d))) {
		unsigned v, dv, base;
		const char *drv;

		if (de->d_name[0] == '.' || is_target(de->d_name))
			continue;
		if (identity(de->d_name, &v, &dv, &base) && base == 0x06)
			continue; /* a bridge */
		drv = link_name(dev_path(de->d_name, "driver"), buf, sizeof(buf));
		ok = strcmp(drv, "vfio-pci") == 0 || strcmp(drv, "pci-stub") == 0;
	}
	closedir(d);
	return ok;
}

static bool on_vfio(const char *addr)
{
	char buf[256];

	return strcmp(link_name(dev_path(addr, "driver"), buf, sizeof(buf)), "vfio-pci") == 0;
}

int main(int argc, char **argv)
{
	bool release = false;
	unsigned failed = 0;
	const char *probe;
	int i = 1;

	stage("start");
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-r") == 0 && i + 1 < argc) {
			rootlen = strlen(argv[++i]);
			if (rootlen >= sizeof(root))
				return 2;
			memcpy(root, argv[i], rootlen + 1);
		} else if (strcmp(argv[i], "-R") == 0) {
			release = true;
		} else {
			fprintf(stderr, "usage: floor [-r SYSROOT] [-R] SELECTOR...\n");
			return 2;
		}
	}
	for (; i < argc; i++) {
		const char *s = argv[i], *at = strchr(s, '@');
		size_t len = strlen(s);

		if (len == 9 && s[4] == ':') { /* VVVV:DDDD */
			add_by_id(hex(s, 4), hex(s + 5, 4));
		} else if (at && at - s == 9) { /* VVVV:DDDD@ADDR: pinned */
			unsigned v, d, base;

			if (identity(at + 1, &v, &d, &base) && v == hex(s, 4) && d == hex(s + 5, 4))
				add_target(at + 1);
			else
				failed++;
		} else {
			add_target(s);
		}
	}

	sort_targets();
	for (unsigned k = 0; k < n_targets; k++) {
		unsigned v, d, base;
		struct target *t = &targets[k];

		/* Address-only entries: the identity is still read (a bridge
		 * is never taken), as pt reads it. */
		t->skip =
			!identity(t->addr, &v, &d, &base) || base == 0x06 || !group_viable(t->addr);
		if (t->skip)
			failed++;
	}
	for (unsigned k = 0; k < n_targets; k++)
		if (!targets[k].skip &&
		    write_str(dev_path(targets[k].addr, "driver_override"), "vfio-pci") < 0) {
			targets[k].skip = true;
			failed++;
		}
	probe = rooted("/sys/bus/pci/drivers_probe");
	for (unsigned k = 0; k < n_targets; k++) {
		struct target *t = &targets[k];
		char buf[256];

		if (t->skip)
			continue;
		if (on_vfio(t->addr))
			continue;
		if (*link_name(dev_path(t->addr, "driver"), buf, sizeof(buf)) &&
		    write_str(dev_path(t->addr, "driver/unbind"), t->addr) < 0) {
			failed++;
			continue;
		}
		(void)write_str(probe, t->addr);
		if (on_vfio(t->addr))
			continue;
		failed++;
		if (release) {
			(void)write_str(dev_path(t->addr, "driver_override"), "\n");
			(void)write_str(probe, t->addr);
			(void)on_vfio(t->addr);
		}
	}
	stage("end");
	return failed ? 1 : 0;
}
