/* SPDX-License-Identifier: MIT */
/*
 * bench.c — fixture trees and a timing runner for tests/bench/run.sh.
 *
 *   bench gen ROOT N                 a machine of N PCI functions under ROOT
 *   bench reset ROOT N SET STATE [keep]
 *                                    put the tree back before a run: every
 *                                    driver_override "(null)", the targets of
 *                                    SET (t4 | class) unbound (STATE unbound)
 *                                    or on vfio-pci (STATE bound), empty
 *                                    kmsg, no state file; proc/cmdline lists
 *                                    SET (with pt.onfail=keep if asked)
 *   bench list N SET                 the targets' addresses, one a line
 *   bench spec N SET                 the same as a pt.devices= value
 *   bench time REPS ROOT N SET STATE ONFAIL -- CMD [ARG...] [--- CMD [ARG...]]...
 *                                    reset, run CMD, REPS times, up to four
 *                                    commands in turn (A B A B ...); prints
 *                                    per command "median_us min_us max_us
 *                                    maxrss_kib fails"
 *                                    (wall time from fork to wait4 of
 *                                    CMD, peak RSS of any process of its
 *                                    tree, runs whose exit status was not
 *                                    0). The runner is a subreaper: a
 *                                    process CMD left to exit after it
 *                                    (pt-agent's worker, which reports
 *                                    and goes) is reaped here before the
 *                                    next run, and its peak counts.
 *   bench stages REPS ROOT N SET STATE ONFAIL -- CMD [ARG...]
 *                                    the same runs of a stage build (one
 *                                    that prints "MICROSECONDS NAME" lines
 *                                    on stderr: PT_STAGES); prints "NAME
 *                                    MEDIAN_US" per stage, the median time
 *                                    from the fork to it, "exec" (the fork)
 *                                    first and "exit" (wait4) last, in
 *                                    order of their medians
 *
 * The machine (deterministic in N): 21 platform functions — host bridge,
 * PCIe root ports (pcieport, the only driver bound at this point of a boot),
 * the boot iGPU, two discrete GPUs with their HDMI audio (each slot in one
 * IOMMU group with its root port), chipset functions, an NVMe drive, a
 * two-port NIC — and N-21 SR-IOV virtual functions 8086:154c (X710 VF,
 * class 020000), 256 per bus from bus 10, each in its own IOMMU group.
 *
 *   t4     the two GPUs and their audio functions, pinned:
 *          10de:1c03@0000:01:00.0,10de:10f1@0000:01:00.1,1002:67df@...
 *   class  every virtual function: pt gets the id 8086:154c; the floor and
 *          the shell loop get the id too (they enumerate the bus, as pt must)
 *
 * The tree follows tests/fixture: sys/bus/pci/devices/ADDR links into
 * sys/devices/pci0000:00/ADDR, vendor/device/subsystem_{vendor,device}/class/modalias/
 * driver_override/resource files, driver and iommu_group links,
 * sys/kernel/iommu_groups/N/devices/ADDR, drivers/NAME/{bind,unbind,new_id},
 * sys/module/{vfio_pci,vfio_iommu_type1}/initstate "live" (vfio-pci counts as
 * loaded), proc/{cmdline,iomem,sys/kernel/osrelease,sys/kernel/random/boot_id},
 * dev/kmsg (a plain file), etc/pt.conf (protect= for the root disk's NVMe, as
 * the integrations record it), run/.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N_PLATFORM 21
#define N_MAX 65536
#define VF_VENDOR 0x8086
#define VF_DEVICE 0x154c

struct func {
	char addr[16];
	uint16_t vendor, device, subvendor, subdevice;
	uint32_t class;
	int group;
	const char *driver; /* bound now (NULL: none) */
	bool boot_vga;
	bool t4; /* one of the four GPU targets */
};

static const struct func platform[N_PLATFORM] = {
	{ "0000:00:00.0", 0x8086, 0x3e30, 0x1458, 0x5000, 0x060000, 0, NULL, false, false },
	{ "0000:00:01.0", 0x8086, 0x1901, 0x0000, 0x0000, 0x060400, 1, "pcieport", false, false },
	{ "0000:00:01.1", 0x8086, 0x1905, 0x0000, 0x0000, 0x060400, 2, "pcieport", false, false },
	{ "0000:00:02.0", 0x8086, 0x3e92, 0x1458, 0xd000, 0x030000, 3, NULL, true, false },
	{ "0000:00:14.0", 0x8086, 0xa36d, 0x1458, 0x5007, 0x0c0330, 4, NULL, false, false },
	{ "0000:00:14.2", 0x8086, 0xa36f, 0x1458, 0x8888, 0x050000, 4, NULL, false, false },
	{ "0000:00:16.0", 0x8086, 0xa360, 0x1458, 0x1c3a, 0x078000, 5, NULL, false, false },
	{ "0000:00:17.0", 0x8086, 0xa352, 0x1458, 0xb005, 0x010601, 6, NULL, false, false },
	{ "0000:00:1b.0", 0x8086, 0xa340, 0x0000, 0x0000, 0x060400, 7, "pcieport", false, false },
	{ "0000:00:1c.0", 0x8086, 0xa338, 0x0000, 0x0000, 0x060400, 8, "pcieport", false, false },
	{ "0000:00:1f.0", 0x8086, 0xa305, 0x1458, 0x5001, 0x060100, 9, NULL, false, false },
	{ "0000:00:1f.3", 0x8086, 0xa348, 0x1458, 0xa0c8, 0x040300, 9, NULL, false, false },
	{ "0000:00:1f.4", 0x8086, 0xa323, 0x1458, 0x5001, 0x0c0500, 9, NULL, false, false },
	{ "0000:00:1f.5", 0x8086, 0xa324, 0x1458, 0x5001, 0x0c8000, 9, NULL, false, false },
	{ "0000:01:00.0", 0x10de, 0x1c03, 0x1458, 0x3fbb, 0x030000, 1, NULL, false, true },
	{ "0000:01:00.1", 0x10de, 0x10f1, 0x1458, 0x3fbb, 0x040300, 1, NULL, false, true },
	{ "0000:02:00.0", 0x1002, 0x67df, 0x1da2, 0xe387, 0x030000, 2, NULL, false, true },
	{ "0000:02:00.1", 0x1002, 0xaaf0, 0x1da2, 0xaaf0, 0x040300, 2, NULL, false, true },
	{ "0000:03:00.0", 0x144d, 0xa808, 0x144d, 0xa801, 0x010802, 10, NULL, false, false },
	{ "0000:04:00.0", 0x8086, 0x1572, 0x8086, 0x0007, 0x020000, 11, NULL, false, false },
	{ "0000:04:00.1", 0x8086, 0x1572, 0x8086, 0x0000, 0x020000, 12, NULL, false, false },
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

static void func_at(unsigned i, struct func *f)
{
	unsigned k;

	if (i < N_PLATFORM) {
		*f = platform[i];
		return;
	}
	k = i - N_PLATFORM;
	*f = (struct func){ .vendor = VF_VENDOR,
			    .device = VF_DEVICE,
			    .subvendor = 0x8086,
			    .subdevice = 0x0000,
			    .class = 0x020000,
			    .group = 13 + (int)k };
	snprintf(f->addr, sizeof(f->addr), "0000:%02x:%02x.%u", 0x10 + k / 256, (k % 256) / 8,
		 k % 8);
}

static bool is_target(const struct func *f, const char *set)
{
	if (strcmp(set, "t4") == 0)
		return f->t4;
	if (strcmp(set, "class") == 0)
		return f->vendor == VF_VENDOR && f->device == VF_DEVICE;
	die("unknown target set '%s' (t4 or class)", set);
}

static unsigned parse_n(const char *s)
{
	char *end;
	unsigned long n = strtoul(s, &end, 10);

	if (*end || n < N_PLATFORM || n > N_MAX)
		die("N must be %d..%d", N_PLATFORM, N_MAX);
	return (unsigned)n;
}

/* ---- files ------------------------------------------------------------------ */

static char root[4096];

static const char *rp(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Rooted path, in one of a few rotating buffers. */
static const char *rp(const char *fmt, ...)
{
	static char bufs[4][8192];
	static unsigned next;
	char *b = bufs[next++ % 4];
	size_t n = strlen(root);
	va_list ap;
	int r;

	memcpy(b, root, n);
	va_start(ap, fmt);
	r = vsnprintf(b + n, sizeof(bufs[0]) - n, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof(bufs[0]) - n)
		die("path too long");
	return b;
}

static void mkdirs(const char *path)
{
	char buf[8192];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		die("path too long");
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			die("mkdir %s: %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		die("mkdir %s: %s", buf, strerror(errno));
}

static void put(const char *path, const char *content)
{
	size_t n = strlen(content);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		die("create %s: %s", path, strerror(errno));
	if (write(fd, content, n) != (ssize_t)n)
		die("write %s: %s", path, strerror(errno));
	close(fd);
}

static void link_to(const char *target, const char *path)
{
	if (symlink(target, path) < 0) {
		if (errno != EEXIST)
			die("symlink %s: %s", path, strerror(errno));
		(void)unlink(path);
		if (symlink(target, path) < 0)
			die("symlink %s: %s", path, strerror(errno));
	}
}

static void set_root(const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n >= sizeof(root) || dir[0] != '/')
		die("ROOT must be an absolute path");
	memcpy(root, dir, n);
	root[n] = '\0';
}

static void driver_dir(const char *name, const char *module)
{
	mkdirs(rp("/sys/bus/pci/drivers/%s", name));
	put(rp("/sys/bus/pci/drivers/%s/bind", name), "");
	put(rp("/sys/bus/pci/drivers/%s/unbind", name), "");
	put(rp("/sys/bus/pci/drivers/%s/new_id", name), "");
	if (module) {
		mkdirs(rp("/sys/module/%s", module));
		put(rp("/sys/module/%s/initstate", module), "live\n");
	}
}

static void bind_link(const struct func *f, const char *driver)
{
	char target[128];

	snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", driver);
	link_to(target, rp("/sys/devices/pci0000:00/%s/driver", f->addr));
}

static void gen(unsigned n)
{
	char v[160];
	int max_group = -1;

	mkdirs(rp("/sys/bus/pci/devices"));
	mkdirs(rp("/sys/devices/pci0000:00"));
	mkdirs(rp("/sys/kernel/iommu_groups"));
	mkdirs(rp("/proc/sys/kernel/random"));
	mkdirs(rp("/dev"));
	mkdirs(rp("/run"));
	mkdirs(rp("/etc"));
	put(rp("/sys/bus/pci/drivers_probe"), "");
	put(rp("/sys/bus/pci/rescan"), "");
	driver_dir("vfio-pci", "vfio_pci");
	driver_dir("pcieport", NULL);
	mkdirs(rp("/sys/module/vfio_iommu_type1"));
	put(rp("/sys/module/vfio_iommu_type1/initstate"), "live\n");
	mkdirs(rp("/sys/module/vfio"));
	put(rp("/sys/module/vfio/initstate"), "live\n");
	put(rp("/proc/sys/kernel/osrelease"), "6.1.0-56-amd64\n");
	put(rp("/proc/sys/kernel/random/boot_id"), "0f3c1a52-8e0b-4c2e-9a53-2f8e1c9b7d10\n");
	put(rp("/dev/kmsg"), "");
	/* The root disk's controller, recorded when the image was built. */
	put(rp("/etc/pt.conf"), "# written by the initramfs hook\n"
				"protect = 144d:a808@0000:03:00.0\n");
	put(rp("/proc/iomem"), "00000000-00000fff : Reserved\n"
			       "00001000-0009ffff : System RAM\n"
			       "000a0000-000bffff : PCI Bus 0000:00\n"
			       "00100000-7fffffff : System RAM\n"
			       "80000000-8fffffff : PCI Bus 0000:00\n"
			       "  80000000-8fffffff : 0000:00:02.0\n"
			       "    80000000-801fffff : BOOTFB\n"
			       "a0000000-bfffffff : PCI Bus 0000:00\n"
			       "  a0000000-afffffff : PCI Bus 0000:01\n"
			       "    a0000000-afffffff : 0000:01:00.0\n"
			       "  b0000000-bfffffff : PCI Bus 0000:02\n"
			       "    b0000000-bfffffff : 0000:02:00.0\n"
			       "fec00000-fec003ff : IOAPIC 0\n"
			       "fed00000-fed003ff : HPET 0\n"
			       "100000000-47fffffff : System RAM\n");

	for (unsigned i = 0; i < n; i++) {
		struct func f;

		func_at(i, &f);
		mkdirs(rp("/sys/devices/pci0000:00/%s", f.addr));
#define ATTR(name, ...)                                                 \
	do {                                                            \
		snprintf(v, sizeof(v), __VA_ARGS__);                    \
		put(rp("/sys/devices/pci0000:00/%s/" name, f.addr), v); \
	} while (0)
		ATTR("vendor", "0x%04x\n", f.vendor);
		ATTR("device", "0x%04x\n", f.device);
		ATTR("subsystem_vendor", "0x%04x\n", f.subvendor);
		ATTR("subsystem_device", "0x%04x\n", f.subdevice);
		ATTR("class", "0x%06x\n", f.class);
		ATTR("modalias", "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n", f.vendor,
		     f.device, f.subvendor, f.subdevice, (f.class >> 16) & 0xff,
		     (f.class >> 8) & 0xff, f.class & 0xff);
		ATTR("driver_override", "(null)\n");
		if ((f.class >> 8) == 0x0300)
			ATTR("boot_vga", "%d\n", f.boot_vga);
		if (strcmp(f.addr, "0000:01:00.0") == 0)
			ATTR("resource",
			     "0x00000000a0000000 0x00000000afffffff 0x000000000014220c\n"
			     "0x0000000000000000 0x0000000000000000 0x0000000000000000\n");
		else if (strcmp(f.addr, "0000:02:00.0") == 0)
			ATTR("resource",
			     "0x00000000b0000000 0x00000000bfffffff 0x000000000014220c\n"
			     "0x0000000000000000 0x0000000000000000 0x0000000000000000\n");
#undef ATTR
		snprintf(v, sizeof(v), "../../../devices/pci0000:00/%s", f.addr);
		link_to(v, rp("/sys/bus/pci/devices/%s", f.addr));
		snprintf(v, sizeof(v), "../../../kernel/iommu_groups/%d", f.group);
		link_to(v, rp("/sys/devices/pci0000:00/%s/iommu_group", f.addr));
		if (f.group > max_group) {
			for (int g = max_group + 1; g <= f.group; g++)
				mkdirs(rp("/sys/kernel/iommu_groups/%d/devices", g));
			max_group = f.group;
		}
		snprintf(v, sizeof(v), "../../../../devices/pci0000:00/%s", f.addr);
		link_to(v, rp("/sys/kernel/iommu_groups/%d/devices/%s", f.group, f.addr));
		if (f.driver)
			bind_link(&f, f.driver);
	}
}

/* The pt.devices= value for a target set. */
static void spec(unsigned n, const char *set, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	if (strcmp(set, "class") == 0) {
		snprintf(buf, size, "%04x:%04x", VF_VENDOR, VF_DEVICE);
		return;
	}
	for (unsigned i = 0; i < n && off < size; i++) {
		struct func f;

		func_at(i, &f);
		if (is_target(&f, set))
			off += (size_t)snprintf(buf + off, size - off, "%s%04x:%04x@%s",
						off ? "," : "", f.vendor, f.device, f.addr);
	}
}

static void reset(unsigned n, const char *set, const char *state, bool keep)
{
	char cmdline[2048], list[1024];
	bool bound = strcmp(state, "bound") == 0;

	if (!bound && strcmp(state, "unbound") != 0)
		die("unknown state '%s' (unbound or bound)", state);
	for (unsigned i = 0; i < n; i++) {
		struct func f;
		const char *link;
		bool t;

		func_at(i, &f);
		t = is_target(&f, set);
		put(rp("/sys/devices/pci0000:00/%s/driver_override", f.addr), "(null)\n");
		link = rp("/sys/devices/pci0000:00/%s/driver", f.addr);
		if (t && bound)
			bind_link(&f, "vfio-pci");
		else if (f.driver)
			bind_link(&f, f.driver);
		else if (unlink(link) < 0 && errno != ENOENT)
			die("unlink %s: %s", link, strerror(errno));
	}
	put(rp("/dev/kmsg"), "");
	put(rp("/sys/bus/pci/drivers_probe"), "");
	put(rp("/sys/bus/pci/drivers/vfio-pci/bind"), "");
	put(rp("/sys/bus/pci/drivers/vfio-pci/unbind"), "");
	(void)unlink(rp("/run/pt/state.json"));
	(void)unlink(rp("/run/pt/lock"));
	(void)rmdir(rp("/run/pt"));
	spec(n, set, list, sizeof(list));
	snprintf(cmdline, sizeof(cmdline),
		 "BOOT_IMAGE=/boot/vmlinuz-6.1.0-56-amd64 root=UUID=2d6c9a4e-7f0b-4c1e-9d3a-"
		 "5b8e1f2a6c70 ro quiet intel_iommu=on pt.devices=%s%s\n",
		 list, keep ? " pt.onfail=keep" : "");
	put(rp("/proc/cmdline"), cmdline);
}

/* ---- timing ----------------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

#define CMDS_MAX 4

/* Fork and exec cmd with stdin and stdout on devnull, stderr on err. */
static pid_t spawn(char **cmd, int devnull, int err)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		dup2(err, STDERR_FILENO);
		execvp(cmd[0], cmd);
		_exit(127);
	}
	return pid;
}

/*
 * Run each command REPS times, the commands in turn (A B C A B C ...), so
 * that a stretch when the machine is slower falls on all of them alike and
 * their ratios hold; print a line per command, in order.
 */
static void time_runs(unsigned reps, unsigned n, const char *set, const char *state, bool keep,
		      char **cmds[], unsigned ncmds)
{
	uint64_t *t[CMDS_MAX];
	long maxrss[CMDS_MAX] = { 0 };
	unsigned fails[CMDS_MAX] = { 0 };
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (devnull < 0)
		die("/dev/null: %s", strerror(errno));
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		die("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	for (unsigned c = 0; c < ncmds; c++) {
		t[c] = calloc(reps, sizeof(*t[c]));
		if (!t[c])
			die("out of memory");
	}
	for (unsigned i = 0; i < reps; i++)
		for (unsigned c = 0; c < ncmds; c++) {
			char **cmd = cmds[c];
			struct rusage ru;
			uint64_t t0;
			int status;
			pid_t pid;

			reset(n, set, state, keep);
			t0 = now_ns();
			pid = spawn(cmd, devnull, devnull);
			while (wait4(pid, &status, 0, &ru) < 0)
				if (errno != EINTR)
					die("wait4: %s", strerror(errno));
			t[c][i] = now_ns() - t0;
			if (ru.ru_maxrss > maxrss[c])
				maxrss[c] = ru.ru_maxrss;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				fails[c]++;
			/* What the run left behind, gone before the next run. */
			for (;;) {
				int st;

				if (wait4(-1, &st, 0, &ru) < 0) {
					if (errno == EINTR)
						continue;
					if (errno != ECHILD)
						die("wait4: %s", strerror(errno));
					break;
				}
				if (ru.ru_maxrss > maxrss[c])
					maxrss[c] = ru.ru_maxrss;
			}
		}
	for (unsigned c = 0; c < ncmds; c++) {
		uint64_t *v = t[c];

		qsort(v, reps, sizeof(*v), cmp_u64);
		printf("%.0f %.0f %.0f %ld %u\n",
		       reps % 2 ? v[reps / 2] / 1e3 : (v[reps / 2 - 1] + v[reps / 2]) / 2e3,
		       v[0] / 1e3, v[reps - 1] / 1e3, maxrss[c], fails[c]);
		free(v);
	}
	close(devnull);
}

#define STAGES_MAX 32

struct stage {
	char name[24];
	uint64_t *at; /* per run: microseconds after the fork; 0 if missing */
};

static struct stage stages[STAGES_MAX];
static unsigned n_stages;

static struct stage *stage_named(const char *name, unsigned reps)
{
	for (unsigned i = 0; i < n_stages; i++)
		if (strcmp(stages[i].name, name) == 0)
			return &stages[i];
	if (n_stages == STAGES_MAX)
		die("more than %d stages", STAGES_MAX);
	snprintf(stages[n_stages].name, sizeof(stages[n_stages].name), "%s", name);
	stages[n_stages].at = calloc(reps, sizeof(uint64_t));
	if (!stages[n_stages].at)
		die("out of memory");
	return &stages[n_stages++];
}

static uint64_t median_of(const uint64_t *v, unsigned reps)
{
	uint64_t *t = malloc(reps * sizeof(*t));
	unsigned n = 0;
	uint64_t m;

	if (!t)
		die("out of memory");
	for (unsigned i = 0; i < reps; i++)
		if (v[i])
			t[n++] = v[i];
	if (n == 0) {
		free(t);
		return 0;
	}
	qsort(t, n, sizeof(*t), cmp_u64);
	m = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
	free(t);
	return m;
}

static int stage_cmp(const void *a, const void *b)
{
	const struct stage *x = a, *y = b;
	uint64_t mx = x->at[0], my = y->at[0]; /* the medians, put there below */

	return mx < my ? -1 : mx > my;
}

/* Run a stage build REPS times as time_runs() does; the medians per stage. */
static void stage_runs(unsigned reps, unsigned n, const char *set, const char *state, bool keep,
		       char **cmd)
{
	char log[PATH_MAX];
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (devnull < 0)
		die("/dev/null: %s", strerror(errno));
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		die("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	snprintf(log, sizeof(log), "%s/stages.log", root);
	for (unsigned i = 0; i < reps; i++) {
		uint64_t t0, t1;
		char line[256];
		int status, fd;
		pid_t pid;
		FILE *f;

		reset(n, set, state, keep);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0)
			die("%s: %s", log, strerror(errno));
		t0 = now_ns() / 1000u;
		pid = spawn(cmd, devnull, fd);
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				die("waitpid: %s", strerror(errno));
		t1 = now_ns() / 1000u;
		while (waitpid(-1, &status, 0) >= 0 || errno == EINTR)
			;
		close(fd);
		stage_named("exec", reps)->at[i] = 1; /* 0 means missing: 1 us for the fork */
		stage_named("exit", reps)->at[i] = t1 - t0;
		f = fopen(log, "re");
		if (!f)
			die("%s: %s", log, strerror(errno));
		while (fgets(line, sizeof(line), f)) {
			unsigned long long us;
			char name[24];

			if (sscanf(line, "%llu %23s", &us, name) == 2 && us >= t0)
				stage_named(name, reps)->at[i] = us - t0 ? us - t0 : 1;
		}
		fclose(f);
	}
	unlink(log);
	for (unsigned i = 0; i < n_stages; i++)
		stages[i].at[0] = median_of(stages[i].at, reps);
	qsort(stages, n_stages, sizeof(stages[0]), stage_cmp);
	for (unsigned i = 0; i < n_stages; i++)
		printf("%s %llu\n", stages[i].name,
		       strcmp(stages[i].name, "exec") == 0 ? 0ULL
							   : (unsigned long long)stages[i].at[0]);
	close(devnull);
}

int main(int argc, char **argv)
{
	char buf[4096];

	if (argc >= 4 && strcmp(argv[1], "gen") == 0) {
		set_root(argv[2]);
		gen(parse_n(argv[3]));
		return 0;
	}
	if ((argc == 6 || argc == 7) && strcmp(argv[1], "reset") == 0) {
		set_root(argv[2]);
		reset(parse_n(argv[3]), argv[4], argv[5], argc == 7 && !strcmp(argv[6], "keep"));
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "list") == 0) {
		unsigned n = parse_n(argv[2]);

		for (unsigned i = 0; i < n; i++) {
			struct func f;

			func_at(i, &f);
			if (is_target(&f, argv[3]))
				printf("%s\n", f.addr);
		}
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "spec") == 0) {
		spec(parse_n(argv[2]), argv[3], buf, sizeof(buf));
		printf("%s\n", buf);
		return 0;
	}
	if (argc >= 10 && strcmp(argv[1], "time") == 0 && strcmp(argv[8], "--") == 0) {
		unsigned long reps = strtoul(argv[2], NULL, 10);

		if (reps < 1 || reps > 1000)
			die("REPS must be 1..1000");
		char **cmds[CMDS_MAX];
		unsigned ncmds = 0;

		set_root(argv[3]);
		/* CMD [--- CMD ...]: "---" ends one command and starts the next. */
		cmds[ncmds++] = argv + 9;
		for (int a = 9; a < argc; a++)
			if (strcmp(argv[a], "---") == 0) {
				argv[a] = NULL;
				if (ncmds == CMDS_MAX || a + 1 >= argc)
					die("time: at most %d commands, none empty", CMDS_MAX);
				cmds[ncmds++] = argv + a + 1;
			}
		time_runs((unsigned)reps, parse_n(argv[4]), argv[5], argv[6],
			  strcmp(argv[7], "keep") == 0, cmds, ncmds);
		return 0;
	}
	if (argc >= 10 && strcmp(argv[1], "stages") == 0 && strcmp(argv[8], "--") == 0) {
		unsigned long reps = strtoul(argv[2], NULL, 10);

		if (reps < 1 || reps > 1000)
			die("REPS must be 1..1000");
		set_root(argv[3]);
		stage_runs((unsigned)reps, parse_n(argv[4]), argv[5], argv[6],
			   strcmp(argv[7], "keep") == 0, argv + 9);
		return 0;
	}
	fprintf(stderr, "usage: bench gen ROOT N | reset ROOT N SET STATE [keep] | list N SET |\n"
			"       spec N SET | time|stages REPS ROOT N SET STATE ONFAIL -- CMD... "
			"[--- CMD...]\n");
	return 2;
}
