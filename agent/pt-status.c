/* SPDX-License-Identifier: MIT */
/*
 * pt-status.c — main of pt-status: after boot, as any user, check what
 * pt-agent recorded in /run/pt/state.json against the live system; list
 * the IOMMU groups; print QEMU's -device arguments. See status.h and
 * pt-status(8).
 *
 * libpci lives here only, for names: its sysfs access method, rooted at
 * <sysroot>/sys/bus/pci, and its ID database (pci.ids), with udev's hwdb,
 * the network and the ~/.pciids-cache left out so that a name depends on
 * pci.ids alone. Without a database the ids are shown as numbers.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <pci/pci.h>

#include "state.h"
#include "qemuargs.h"
#include "status.h"
#include "vmhost.h"

#define WAIT_MAX_S 86400
#define WAIT_POLL_MS 100

enum command {
	CMD_STATUS,
	CMD_GROUPS,
	CMD_SUGGEST,
	CMD_QEMU_ARGS,
};

/* ---- names through libpci ----------------------------------------------------------- */

/*
 * libpci's error callback must not return (libpci calls it, for instance,
 * on a syntax error in pci.ids, and would exit). It jumps back to the
 * lookup instead, which then gives up on names for the rest of the run: a
 * broken pci.ids costs the names, never the report.
 */
static jmp_buf pci_jmp;
static bool pci_armed;
static char pci_msg[256];

static void pci_error_cb(char *msg, ...) __attribute__((format(printf, 1, 2), noreturn));
static void pci_error_cb(char *msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	vsnprintf(pci_msg, sizeof(pci_msg), msg, ap);
	va_end(ap);
	if (pci_armed)
		longjmp(pci_jmp, 1);
	fprintf(stderr, "pt-status: libpci: %s\n", pci_msg);
	exit(PT_EXIT_PROBLEM);
}

static void pci_warning_cb(char *msg _unused_, ...) __attribute__((format(printf, 1, 2)));
static void pci_warning_cb(char *msg _unused_, ...)
{
}

struct names_ctx {
	struct pci_access *pacc;
	bool broken;
	char ids[PATH_MAX];
	char sysfs[PATH_MAX];
	const char *root;
	size_t rootlen;
};

static void names_broken(struct names_ctx *c)
{
	size_t n = strlen(pci_msg);
	char *at;

	while (n > 0 && pci_msg[n - 1] == '\n')
		pci_msg[--n] = '\0';
	/* Paths are shown relative to the sysroot, as everywhere else. */
	if (c->rootlen > 0 && (at = strstr(pci_msg, c->root)) != NULL)
		memmove(at, at + c->rootlen, strlen(at + c->rootlen) + 1);
	fprintf(stderr, "pt-status: PCI names unavailable: %s\n", pci_msg);
	c->broken = true;
}

static const char *names_lookup(void *userdata, enum pt_name_kind kind, unsigned a, unsigned b,
				char *buf, size_t size)
{
	struct names_ctx *c = userdata;
	const int flags = PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB;
	int isize = size > INT_MAX ? INT_MAX : (int)size;
	const char *volatile r = NULL;

	if (!c->pacc || c->broken)
		return NULL;
	if (setjmp(pci_jmp)) {
		pci_armed = false;
		names_broken(c);
		return NULL;
	}
	pci_armed = true;
	switch (kind) {
	case PT_NAME_VENDOR:
		r = pci_lookup_name(c->pacc, buf, isize, flags | PCI_LOOKUP_VENDOR, (int)a);
		break;
	case PT_NAME_DEVICE:
		r = pci_lookup_name(c->pacc, buf, isize, flags | PCI_LOOKUP_DEVICE, (int)a, (int)b);
		break;
	case PT_NAME_CLASS:
		r = pci_lookup_name(c->pacc, buf, isize, flags | PCI_LOOKUP_CLASS, (int)a);
		break;
	}
	pci_armed = false;
	/* For a subclass it does not know, libpci names the base class and
	 * appends the number itself ("Bridge [0680]"); the caller adds it. */
	if (r && kind == PT_NAME_CLASS && r == buf) {
		char num[16];
		size_t n = strlen(buf), k;

		k = (size_t)snprintf(num, sizeof(num), " [%04x]", a);
		if (n > k && streq(buf + n - k, num))
			buf[n - k] = '\0';
	}
	return r;
}

static void names_init(struct names_ctx *c, const struct pt_sysfs *sys)
{
	*c = (struct names_ctx){ .root = sys->root, .rootlen = sys->rootlen };
	c->pacc = pci_alloc();
	if (!c->pacc)
		return;
	c->pacc->error = pci_error_cb;
	c->pacc->warning = pci_warning_cb;
	c->pacc->method = PCI_ACCESS_SYS_BUS_PCI;
	/* No ~/.pciids-cache (it holds names from DNS lookups), no hwdb. */
	c->pacc->id_lookup_mode = 0;
	(void)pci_set_param(c->pacc, "hwdb.disable", "1");
	if (pt_sysfs_path(sys, c->sysfs, sizeof(c->sysfs), "/sys/bus/pci") >= 0)
		(void)pci_set_param(c->pacc, "sysfs.path", c->sysfs);
	if (sys->rootlen > 0 &&
	    pt_sysfs_path(sys, c->ids, sizeof(c->ids), "/usr/share/misc/pci.ids") >= 0)
		pci_set_name_list_path(c->pacc, c->ids, 0);
	if (setjmp(pci_jmp)) {
		pci_armed = false;
		names_broken(c);
		return;
	}
	pci_armed = true;
	pci_init(c->pacc);
	pci_armed = false;
}

static void names_free(struct names_ctx *c)
{
	/* Also after a jump out of libpci: its errors come from pci.ids,
	 * reported after the file is closed and the names freed
	 * (pci_load_name_list()), and from allocation failures. */
	if (c->pacc)
		pci_cleanup(c->pacc);
	c->pacc = NULL;
}

/* ---- command line ------------------------------------------------------------------ */

static void usage(FILE *out)
{
	fprintf(out, "Usage: pt-status [OPTIONS] [status]     the listed devices, now\n"
		     "       pt-status [OPTIONS] groups       every IOMMU group, and what to list\n"
		     "       pt-status [OPTIONS] suggest DEV  what to list to give DEV (26:00.0,\n"
		     "                                        10de:1c03) to a guest\n"
		     "       pt-status [OPTIONS] qemu-args    -device arguments for QEMU\n"
		     "\n"
		     "Check what pt-agent recorded in /run/pt/state.json at boot against the\n"
		     "system as it is now, with a hint for every problem.\n"
		     "\n"
		     "Options:\n"
		     "  --json              machine-readable output (see pt-status(8))\n"
		     "  --wait SECONDS      wait until the state file exists and its devices are\n"
		     "                      bound (status, qemu-args)\n"
		     "  --memory SIZE       the guest's memory (8G): is the memory-lock limit\n"
		     "                      enough for it? (status, qemu-args)\n"
		     "  --sysroot DIR       read every path under DIR (a fixture or a dump)\n"
		     "  -h, --help          show this help\n"
		     "  -V, --version       show the version\n"
		     "Options of qemu-args:\n"
		     "  --bus NAME          guest bus (default pcie.0)\n"
		     "  --first-slot N      first guest slot, 0-31 (default 0x10)\n"
		     "  --x-vga             add x-vga=on to the boot GPU\n"
		     "  --one-line          all arguments on one line\n"
		     "\n"
		     "Exit status: 0 all well, 1 something is wrong, 2 no state file, 64 usage.\n");
}

static int usage_error(const char *fmt, ...) _printf_(1, 2);
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pt-status: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'pt-status --help'.\n");
	return PT_EXIT_USAGE;
}

static bool parse_uint(const char *s, int base, unsigned long max, unsigned long *ret)
{
	char *end;
	unsigned long v;

	if (!s[0] || s[0] == '-' || s[0] == '+' || s[0] == ' ')
		return false;
	errno = 0;
	v = strtoul(s, &end, base);
	if (errno || *end || v > max)
		return false;
	*ret = v;
	return true;
}

struct args {
	enum command cmd;
	const char *sysroot;
	bool json;
	bool wait;
	unsigned wait_s;
	bool qemu_opt;	   /* a qemu-args option was given */
	const char *query; /* suggest's argument */
	struct pt_qemu_opts qemu;
	uint64_t memory_mib; /* --memory: the guest's; 0: not given */
};

static int parse_args(int argc, char **argv, struct args *a)
{
	enum {
		OPT_SYSROOT = 256,
		OPT_JSON,
		OPT_WAIT,
		OPT_BUS,
		OPT_FIRST_SLOT,
		OPT_X_VGA,
		OPT_ONE_LINE,
		OPT_MEMORY
	};
	static const struct option opts[] = { { "sysroot", required_argument, NULL, OPT_SYSROOT },
					      { "json", no_argument, NULL, OPT_JSON },
					      { "wait", required_argument, NULL, OPT_WAIT },
					      { "bus", required_argument, NULL, OPT_BUS },
					      { "first-slot", required_argument, NULL,
						OPT_FIRST_SLOT },
					      { "x-vga", no_argument, NULL, OPT_X_VGA },
					      { "one-line", no_argument, NULL, OPT_ONE_LINE },
					      { "memory", required_argument, NULL, OPT_MEMORY },
					      { "help", no_argument, NULL, 'h' },
					      { "version", no_argument, NULL, 'V' },
					      {} };
	unsigned long v;
	int c;

	*a = (struct args){ .cmd = CMD_STATUS, .qemu = { .bus = "pcie.0", .first_slot = 0x10 } };
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hV", opts, NULL)) >= 0) {
		switch (c) {
		case OPT_SYSROOT:
			a->sysroot = optarg;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_WAIT:
			if (!parse_uint(optarg, 10, WAIT_MAX_S, &v))
				return usage_error("--wait: '%s' is not a number of seconds (0 to "
						   "%d)",
						   optarg, WAIT_MAX_S);
			a->wait = true;
			a->wait_s = (unsigned)v;
			break;
		case OPT_BUS:
			if (!pt_qemu_bus_valid(optarg))
				return usage_error("--bus: '%s' is not a QEMU bus id (letters, "
						   "digits, '.', '_', '-')",
						   optarg);
			pt_strlcpy(a->qemu.bus, optarg, sizeof(a->qemu.bus));
			a->qemu_opt = true;
			break;
		case OPT_FIRST_SLOT:
			if (!parse_uint(optarg, 0, 0x1f, &v))
				return usage_error("--first-slot: '%s' is not a slot from 0 to 31 "
						   "(0x1f)",
						   optarg);
			a->qemu.first_slot = (unsigned)v;
			a->qemu_opt = true;
			break;
		case OPT_X_VGA:
			a->qemu.x_vga = true;
			a->qemu_opt = true;
			break;
		case OPT_ONE_LINE:
			a->qemu.one_line = true;
			a->qemu_opt = true;
			break;
		case OPT_MEMORY:
			if (!pt_size_parse_mib(optarg, &a->memory_mib))
				return usage_error("--memory: '%s' is not a size such as 8G or "
						   "4096M (MiB when no unit)",
						   optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("pt-status %s\n", PT_VERSION);
			return 0;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		const char *cmd = argv[optind++];

		if (streq(cmd, "status"))
			a->cmd = CMD_STATUS;
		else if (streq(cmd, "groups"))
			a->cmd = CMD_GROUPS;
		else if (streq(cmd, "qemu-args"))
			a->cmd = CMD_QEMU_ARGS;
		else if (streq(cmd, "suggest"))
			a->cmd = CMD_SUGGEST;
		else
			return usage_error(
				"unknown command '%s' (status, groups, suggest, qemu-args)", cmd);
	}
	if (a->cmd == CMD_SUGGEST) {
		if (optind >= argc)
			return usage_error("suggest needs a device: an address (26:00.0), an id "
					   "(10de:1c03) or both (10de:1c03@26:00.0)");
		a->query = argv[optind++];
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (a->qemu_opt && a->cmd != CMD_QEMU_ARGS)
		return usage_error("--bus, --first-slot, --x-vga and --one-line are options "
				   "of qemu-args");
	if (a->qemu.one_line && a->json)
		return usage_error("--one-line and --json exclude each other");
	if (a->wait && (a->cmd == CMD_GROUPS || a->cmd == CMD_SUGGEST))
		return usage_error("--wait does not apply to %s",
				   a->cmd == CMD_GROUPS ? "groups" : "suggest");
	if (a->memory_mib && (a->cmd == CMD_GROUPS || a->cmd == CMD_SUGGEST))
		return usage_error("--memory does not apply to %s",
				   a->cmd == CMD_GROUPS ? "groups" : "suggest");
	a->qemu.json = a->json;
	return -1; /* go on */
}

/* ---- commands ---------------------------------------------------------------------- */

/* Wait for pt_status_all_bound(). Returns the exit code --wait gives. */
static int wait_bound(const struct pt_sysfs *sys, unsigned seconds)
{
	uint64_t deadline = pt_now_ms() + (uint64_t)seconds * 1000;

	for (;;) {
		struct pt_status s;
		bool all, present;
		uint64_t now;

		if (pt_status_collect(&s, sys, NULL) < 0) {
			pt_status_free(&s);
			fprintf(stderr, "pt-status: out of memory\n");
			return PT_EXIT_PROBLEM;
		}
		all = pt_status_all_bound(&s);
		present = s.state != PT_STATE_MISSING;
		pt_status_free(&s);
		if (all)
			return PT_EXIT_OK;
		now = pt_now_ms();
		if (now >= deadline)
			return present ? PT_EXIT_PROBLEM : PT_EXIT_NO_STATE;
		pt_sleep_ms(
			(unsigned)(deadline - now < WAIT_POLL_MS ? deadline - now : WAIT_POLL_MS));
	}
}

static int put_json(struct pt_buf *b)
{
	if (!pt_buf_ok(b)) {
		fprintf(stderr, "pt-status: out of memory\n");
		return -ENOMEM;
	}
	fputs(pt_buf_str(b), stdout);
	return 0;
}

static int run_groups(const struct pt_sysfs *sys, const struct pt_names *names, bool json)
{
	struct pt_groups g;
	struct pt_buf b;
	int code;

	if (pt_groups_collect(&g, sys, names) < 0) {
		pt_groups_free(&g);
		fprintf(stderr, "pt-status: out of memory\n");
		return PT_EXIT_PROBLEM;
	}
	code = pt_groups_exit_code(&g);
	if (json) {
		pt_buf_init(&b);
		pt_groups_json(&g, &b);
		if (put_json(&b) < 0)
			code = PT_EXIT_PROBLEM;
		pt_buf_free(&b);
	} else {
		pt_groups_print(&g, stdout);
	}
	pt_groups_free(&g);
	return code;
}

static int run_suggest(const struct pt_sysfs *sys, const struct pt_names *names, const char *query,
		       bool json)
{
	struct pt_suggest sg;
	struct pt_buf b;
	int code;

	if (pt_suggest_collect(&sg, sys, names, query) < 0) {
		pt_suggest_free(&sg);
		fprintf(stderr, "pt-status: out of memory\n");
		return PT_EXIT_PROBLEM;
	}
	code = pt_suggest_exit_code(&sg);
	if (json) {
		pt_buf_init(&b);
		pt_suggest_json(&sg, &b);
		if (put_json(&b) < 0)
			code = PT_EXIT_PROBLEM;
		pt_buf_free(&b);
	} else {
		pt_suggest_print(&sg, stdout);
	}
	pt_suggest_free(&sg);
	return code;
}

static int run_status(const struct pt_sysfs *sys, const struct pt_names *names,
		      const struct args *a)
{
	struct pt_status s;
	struct pt_diag notes;
	struct pt_buf b;
	int code;

	if (pt_status_collect(&s, sys, names) < 0 ||
	    (pt_status_check_memlock(&s, a->memory_mib), s.oom)) {
		pt_status_free(&s);
		fprintf(stderr, "pt-status: out of memory\n");
		return PT_EXIT_PROBLEM;
	}
	pt_buf_init(&b);
	if (a->cmd == CMD_QEMU_ARGS) {
		pt_diag_init(&notes);
		code = pt_qemu_args(&s, &a->qemu, &b, &notes);
		if (put_json(&b) < 0 || notes.oom)
			code = PT_EXIT_PROBLEM;
		for (size_t i = 0; !a->json && i < notes.n; i++)
			fprintf(stderr, "pt-status: %s%s\n",
				notes.msgs[i].sev == PT_SEV_WARNING ? "warning: " : "",
				notes.msgs[i].text);
		pt_diag_free(&notes);
	} else {
		code = pt_status_exit_code(&s);
		if (a->json) {
			pt_status_json(&s, &b);
			if (put_json(&b) < 0)
				code = PT_EXIT_PROBLEM;
		} else {
			pt_status_print(&s, stdout);
		}
	}
	pt_buf_free(&b);
	pt_status_free(&s);
	return code;
}

int main(int argc, char **argv)
{
	struct names_ctx nctx;
	struct pt_names names = { .lookup = names_lookup, .userdata = &nctx };
	struct pt_sysfs sys;
	struct args a;
	int code, wait_code = -1, r;

	code = parse_args(argc, argv, &a);
	if (code >= 0)
		return code;
	r = pt_sysfs_init(&sys, a.sysroot);
	if (r < 0)
		return usage_error("--sysroot: '%s' %s", a.sysroot,
				   r == -EINVAL ? "is not an absolute path" : "is too long");

	if (a.wait)
		wait_code = wait_bound(&sys, a.wait_s);
	names_init(&nctx, &sys);
	if (a.cmd == CMD_GROUPS)
		code = run_groups(&sys, &names, a.json);
	else if (a.cmd == CMD_SUGGEST)
		code = run_suggest(&sys, &names, a.query, a.json);
	else
		code = run_status(&sys, &names, &a);
	names_free(&nctx);
	/* With --wait, the exit status says only whether the devices got
	 * bound in time; the report above says everything else. */
	if (wait_code >= 0)
		code = wait_code;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "pt-status: cannot write the output: %s\n", strerror(errno));
		return PT_EXIT_PROBLEM;
	}
	return code;
}
