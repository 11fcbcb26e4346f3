/* SPDX-License-Identifier: MIT */
/*
 * agent.c — pt-agent's boot sequence: inputs → spec → plan → bind → state.
 * See agent.h, and DESIGN.md "The boot sequence of pt-agent".
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "bind.h"
#include "cmdline.h"
#include "config.h"
#include "fb.h"
#include "jsonr.h"
#include "log.h"
#include "modules.h"
#include "pci.h"
#include "plan.h"
#include "rootdev.h"
#include "spec.h"
#include "state.h"
#include "sysfs.h"
#include "variants.h"
#include "watch.h"

#define CMDLINE_MAX (64u * 1024u)
#define CMDLINE_FIRST (4096u + 1u)
#define MAX_MODULES 16
#define WAIT_POLL_MS 10

enum mode { MODE_BOOT, MODE_BIND, MODE_RELEASE };

struct run {
	enum mode mode;
	int lock_fd;
	struct pt_jdoc previous; /* runtime: the state file as it was */
	struct pt_sysfs sys;
	struct pt_options cl, blob, opts;
	enum pt_source source;
	struct pt_diag diag;
	size_t logged; /* diag messages already logged */
	struct pt_spec spec;
	struct pt_pci pci;
	struct pt_plan plan;
	bool planned;
	struct pt_modules *mods;
	struct pt_module_report modules[MAX_MODULES];
	size_t n_modules;
	struct pt_report report;
	uint64_t started_ms;
	bool iommu_checked;
	bool lost_worker; /* the parent writes the state after a hang */
	bool fb_release;  /* the boot framebuffer goes before binding */
	char fb_what[160];
	const char *cmdline_arg, *list;
	bool dry_run_arg;
	bool cli_dry_run; /* --dry-run: print, write nothing */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: pt-agent [OPTIONS]                  boot mode\n"
		"       pt-agent [OPTIONS] bind LIST        hand LIST to vfio now\n"
		"       pt-agent [OPTIONS] release LIST     give LIST back to the host\n"
		"       pt-agent [OPTIONS] root-devices     the root's PCI functions, for "
		"protect=\n"
		"       pt-agent vfio-variants --moddir DIR ...  the vfio-pci variant drivers an\n"
		"                                           initramfs needs (see --help there)\n"
		"\n"
		"Boot mode hands the PCI functions listed in pt.devices= (kernel command line)\n"
		"or in /etc/pt.conf to vfio-pci, early in the initramfs, and records what\n"
		"happened in /run/pt/state.json; it always exits 0. bind and release do the\n"
		"same after boot, update the state file under a lock, and exit 0 on success,\n"
		"1 on failure. LIST uses the pt.devices= grammar.\n"
		"\n"
		"Options:\n"
		"  --sysroot DIR     read and write every path under DIR (a fixture tree)\n"
		"  --cmdline STRING  use STRING instead of /proc/cmdline\n"
		"  --dry-run         print the plan; change nothing, write no state file\n"
		"  --stderr          log to stderr as well as to the kernel log\n"
		"  -h, --help        show this help\n"
		"  -V, --version     show the version\n"
		"\n"
		"Kernel command line keys: pt.devices= pt.off pt.dryrun pt.group=\n"
		"pt.onfail= pt.fb= pt.wait= pt.timeout= pt.log= pt.config= (see pt-agent(8)).\n"
		"Example: pt.devices=10de:1c03@26:00.0,10de:10f1@26:00.1\n");
}

/* Log the diagnostics gathered since the last call. */
static void flush_diag(struct run *run)
{
	/* A command-line dry run prints them with the plan instead. */
	if (run->cli_dry_run)
		return;
	for (; run->logged < run->diag.n; run->logged++) {
		const struct pt_diag_msg *m = &run->diag.msgs[run->logged];

		if (m->prefix)
			pt_log(m->sev == PT_SEV_ERROR ? PT_LOG_ERR : PT_LOG_WARN, "%s: %s",
			       m->prefix, m->text);
		else
			pt_log(m->sev == PT_SEV_ERROR ? PT_LOG_ERR : PT_LOG_WARN, "%s", m->text);
	}
}

static void merge_diag(struct pt_diag *into, const struct pt_diag *from)
{
	for (size_t i = 0; i < from->n; i++)
		pt_diag_copy(into, &from->msgs[i]);
}

static struct pt_module_report *add_module(struct run *run)
{
	if (run->n_modules == MAX_MODULES)
		return NULL;
	return &run->modules[run->n_modules++];
}

static char *read_cmdline(struct run *run)
{
	char path[PATH_MAX], *buf;
	int r;

	/* Kernels take a command line of 2 or 4 KiB (COMMAND_LINE_SIZE): a
	 * room of that from the heap first, the limit only for a longer one
	 * (which a fixture can have). */
	buf = malloc(CMDLINE_FIRST);
	if (!buf)
		return NULL;
	r = pt_sysfs_path(&run->sys, path, sizeof(path), "/proc/cmdline");
	if (r >= 0)
		r = pt_sysfs_read(&run->sys, path, buf, CMDLINE_FIRST);
	if (r == -EFBIG) {
		free(buf);
		buf = malloc(CMDLINE_MAX);
		if (!buf)
			return NULL;
		r = pt_sysfs_read(&run->sys, path, buf, CMDLINE_MAX);
	}
	if (r < 0) {
		pt_diag_error(&run->diag, "cannot read /proc/cmdline: %s", strerror(-r));
		buf[0] = '\0';
	}
	return buf;
}

static void read_inputs(struct run *run, const char *cmdline_arg)
{
	char path[PATH_MAX];
	const char *config;
	char *line = NULL;
	int r;

	if (!cmdline_arg)
		cmdline_arg = line = read_cmdline(run);
	if (cmdline_arg && pt_cmdline_parse(cmdline_arg, &run->cl, &run->diag) < 0)
		pt_diag_error(&run->diag, "out of memory reading the command line");
	free(line);
	pt_log_set_level(run->cl.log_level);

	config = run->cl.config ? run->cl.config : PT_CONFIG_DEFAULT;
	r = pt_sysfs_path(&run->sys, path, sizeof(path), "%s", config);
	if (r >= 0)
		r = pt_config_read(path, config, &run->blob, &run->diag);
	if (r == -ENOENT && run->cl.config)
		pt_diag_error(&run->diag, "pt.config=%s: no such file", config);

	if (pt_options_merge(&run->blob, &run->cl, &run->opts, &run->source) < 0)
		pt_diag_error(&run->diag, "out of memory merging the options");
	pt_log_set_level(run->opts.log_level);
}

static void read_boot_id(struct run *run)
{
	char path[PATH_MAX];

	if (pt_sysfs_path(&run->sys, path, sizeof(path), "/proc/sys/kernel/random/boot_id") < 0 ||
	    pt_sysfs_read(&run->sys, path, run->report.boot_id, sizeof(run->report.boot_id)) < 0)
		run->report.boot_id[0] = '\0';
}

/* Is this including selector matched by some function in funcs? */
static bool satisfied(const struct pt_selector *sel, struct pt_pci_func *const *funcs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct pt_pci_func *f = funcs[i];

		if (!pt_selector_match_addr(sel, &f->addr))
			continue;
		if (sel->flags & PT_SEL_ADDR)
			return true; /* present: a mismatch is reported, not waited for */
		if (!f->id_err &&
		    pt_selector_match_id(sel, f->vendor, f->device, f->subvendor, f->subdevice))
			return true;
	}
	return false;
}

static int add_candidate(struct run *run, struct pt_pci_func *f, struct pt_pci_func ***v, size_t *n,
			 size_t *cap)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct pt_pci_func **p = realloc(*v, c * sizeof(*p));

		if (!p)
			return -ENOMEM;
		*v = p;
		*cap = c;
	}
	(void)pt_pci_load_identity(&run->pci, f);
	(*v)[(*n)++] = f;
	return 0;
}

/*
 * The functions that could match: the whole bus when an entry has no
 * address, else just the listed addresses (every function of a slot for
 * "slot.*"). Returns the number of including entries nothing matched yet.
 */
static int collect(struct run *run, struct pt_pci_func ***ret, size_t *ret_n)
{
	struct pt_pci_func **v = NULL;
	size_t n = 0, cap = 0;
	int r, missing = 0;

	if (pt_spec_needs_scan(&run->spec)) {
		r = pt_pci_scan(&run->pci);
		if (r < 0) {
			pt_diag_error(&run->diag, "cannot list /sys/bus/pci/devices: %s",
				      strerror(-r));
			return r;
		}
		for (size_t i = 0; i < run->pci.n; i++) {
			r = add_candidate(run, run->pci.funcs[i], &v, &n, &cap);
			if (r < 0)
				goto fail;
		}
	} else {
		for (unsigned i = 0; i < run->spec.n; i++) {
			const struct pt_selector *sel = &run->spec.sel[i];
			unsigned lo = sel->addr.func, hi = sel->addr.func;

			if (sel->flags & PT_SEL_EXCLUDE)
				continue;
			if (sel->flags & PT_SEL_ANYFUNC) {
				lo = 0;
				hi = 7;
			}
			for (unsigned fn = lo; fn <= hi; fn++) {
				struct pt_addr a = sel->addr;
				struct pt_pci_func *f;
				bool dup = false;

				a.func = (uint8_t)fn;
				r = pt_pci_get(&run->pci, &a, &f);
				if (r == -ENODEV)
					continue;
				if (r < 0)
					goto fail;
				for (size_t k = 0; k < n && !dup; k++)
					dup = v[k] == f;
				if (!dup) {
					r = add_candidate(run, f, &v, &n, &cap);
					if (r < 0)
						goto fail;
				}
			}
		}
		/* pt_pci keeps its functions sorted; keep the same order. */
		for (size_t i = 1; i < n; i++)
			for (size_t k = i; k > 0 && pt_addr_cmp(&v[k - 1]->addr, &v[k]->addr) > 0;
			     k--) {
				struct pt_pci_func *t = v[k];

				v[k] = v[k - 1];
				v[k - 1] = t;
			}
	}
	for (unsigned i = 0; i < run->spec.n; i++)
		if (!(run->spec.sel[i].flags & PT_SEL_EXCLUDE) &&
		    !satisfied(&run->spec.sel[i], v, n))
			missing++;
	*ret = v;
	*ret_n = n;
	return missing;
fail:
	free(v);
	return r;
}

struct group_ctx {
	struct run *run;
	struct pt_pci_func **members;
	size_t n, cap;
	int err;
};

static int add_group_member(const char *name, void *userdata)
{
	struct group_ctx *c = userdata;
	struct pt_pci_func *f;
	struct pt_addr a;
	int r;

	/* IOMMU groups can hold non-PCI devices on some platforms; pt can
	 * neither bind nor vouch for those. */
	if (pt_addr_parse(name, &a) < 0) {
		c->err = -EXDEV;
		return 0;
	}
	r = pt_pci_get(&c->run->pci, &a, &f);
	if (r < 0)
		return r;
	(void)pt_pci_load_identity(&c->run->pci, f);
	(void)pt_pci_load_state(&c->run->pci, f);
	/* The header type decides for a member without a driver, or under
	 * the pre-5.19 rule (group.c): no read of config for a member on a
	 * driver under the 5.19 rule. */
	if (!f->driver[0] || c->run->plan.kernel.rule == PT_RULE_VFIO_VIABLE)
		pt_pci_load_header(&c->run->pci, f);
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct pt_pci_func **v = realloc(c->members, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->members = v;
		c->cap = cap;
	}
	c->members[c->n++] = f;
	return 0;
}

static int member_cmp(const void *a, const void *b)
{
	const struct pt_pci_func *const *x = a, *const *y = b;

	return pt_addr_cmp(&(*x)->addr, &(*y)->addr);
}

/*
 * The root-disk guard: the PCI functions under root= (and their IOMMU
 * groups) are never taken. When root= cannot be resolved yet, the state
 * file says so rather than guessing.
 */
static void guard_root(struct run *run)
{
	struct pt_spec_error serr;
	struct pt_spec protect;
	struct pt_rootdev rd;
	char why[256], reason[160];
	int r;

	/* Recorded protection first: 'protect' (written into the image's
	 * pt.conf by the integrations, from the root that was mounted when
	 * it was built — at boot the disk's driver has not run yet). */
	if (run->opts.protect) {
		if (pt_spec_parse(run->opts.protect, &protect, &serr) < 0) {
			pt_diag_error(
				&run->diag,
				"protect: column %u: %s; without it nothing can be bound safely: "
				"nothing was bound",
				serr.column, serr.msg);
			pt_plan_refuse_taken(&run->plan, -1,
					     "not bound: the protect= list could not be read");
			return;
		}
		for (unsigned i = 0; i < protect.n; i++) {
			const struct pt_selector *sel = &protect.sel[i];
			unsigned lo = sel->addr.func, hi = sel->addr.func;

			if ((sel->flags & PT_SEL_EXCLUDE) || !(sel->flags & PT_SEL_ADDR)) {
				pt_diag_warn(&run->diag,
					     "protect: entry '%s' names no address (protect takes "
					     "bus:slot.func or id@bus:slot.func); ignored",
					     sel->text);
				continue;
			}
			if (sel->flags & PT_SEL_ANYFUNC) {
				lo = 0;
				hi = 7;
			}
			for (unsigned fn = lo; fn <= hi; fn++) {
				struct pt_addr a = sel->addr;
				struct pt_pci_func *f;

				a.func = (uint8_t)fn;
				if (pt_pci_get(&run->pci, &a, &f) < 0)
					continue;
				(void)pt_pci_load_identity(&run->pci, f);
				(void)pt_pci_load_state(&run->pci, f);
				/* A pinned entry from another machine's image does not
				 * fit here: it protects nothing. */
				if ((sel->flags & PT_SEL_ID) &&
				    (f->id_err ||
				     !pt_selector_match_id(sel, f->vendor, f->device, f->subvendor,
							   f->subdevice))) {
					pt_log_debug("protect: %s is not '%s' here", f->name,
						     sel->text);
					continue;
				}
				snprintf(reason, sizeof(reason),
					 "is protected ('%s' in protect=): pt never binds it, nor "
					 "its "
					 "IOMMU group",
					 sel->text);
				pt_plan_protect(&run->plan, &f->addr,
						f->state_err ? -1 : f->iommu_group, reason);
			}
		}
	}

	r = pt_rootdev_resolve(&run->sys, run->opts.root, &rd, why, sizeof(why));
	if (r == -EINVAL) {
		pt_log_debug("root-disk guard: %s", why);
		return;
	}
	if (r < 0) {
		if (run->opts.protect) {
			pt_log_debug("root-disk guard: %s; protect= stands in", why);
			return;
		}
		pt_diag_warn(&run->diag, "root-disk guard: %s; it could not check the device list",
			     why);
		for (size_t i = 0; i < run->plan.n_targets; i++) {
			const struct pt_target *t = &run->plan.targets[i];

			if (t->take && !t->fn->id_err && (t->fn->class >> 16) == 0x01)
				pt_diag_warn(
					&run->diag,
					"%s is a storage controller, and pt cannot tell yet "
					"whether "
					"it holds the root file system: pin it (id@address) and "
					"make sure, or let the initramfs hook record protect= "
					"(pt-agent root-devices)",
					t->fn->name);
		}
		return;
	}
	snprintf(reason, sizeof(reason),
		 "holds the root file system (root=%s on %s): pt never binds it, nor its IOMMU "
		 "group",
		 run->opts.root, rd.device);
	for (size_t i = 0; i < rd.n_pci; i++) {
		struct pt_pci_func *f;
		int group = -1;

		if (pt_pci_get(&run->pci, &rd.pci[i], &f) == 0 &&
		    pt_pci_load_state(&run->pci, f) == 0)
			group = f->iommu_group;
		pt_plan_protect(&run->plan, &rd.pci[i], group, reason);
	}
	pt_log_debug("root-disk guard: root=%s is %s on %zu PCI function(s)", run->opts.root,
		     rd.device, rd.n_pci);
}

/* pt-agent root-devices: the functions under the mounted root, pinned,
 * one per line, for an initramfs hook to record as protect=. */
static int print_root_devices(const char *sysroot)
{
	struct pt_sysfs sys;
	struct pt_rootdev rd;
	struct pt_pci pci;
	char why[256];
	int r;

	if (pt_sysfs_init(&sys, sysroot) < 0)
		return PT_EXIT_USAGE;
	r = pt_rootdev_mounted(&sys, &rd, why, sizeof(why));
	if (r < 0) {
		fprintf(stderr, "pt-agent: %s\n", why);
		return r == -EINVAL ? 0 : 1;
	}
	pt_pci_init(&pci, &sys);
	for (size_t i = 0; i < rd.n_pci; i++) {
		struct pt_pci_func *f;

		if (pt_pci_get(&pci, &rd.pci[i], &f) < 0 || pt_pci_load_identity(&pci, f) < 0) {
			char a[PT_ADDR_STRLEN];

			pt_addr_format(&rd.pci[i], a);
			printf("%s\n", a);
			continue;
		}
		printf("%04x:%04x@%s\n", f->vendor, f->device, f->name);
	}
	pt_pci_free(&pci);
	return 0;
}

/*
 * The boot framebuffer on a GPU about to go to vfio (pt.fb): with keep,
 * that GPU is not bound (binding would take the console away); with auto,
 * an overlapping framebuffer is released before binding; with release,
 * the boot framebuffer goes whenever a display device is a target.
 */
static void plan_fb(struct run *run)
{
	struct pt_fb_claim claims[PT_FB_MAX];
	size_t n = 0;
	bool display = false;

	for (size_t i = 0; i < run->plan.n_targets; i++) {
		const struct pt_target *t = &run->plan.targets[i];

		display |= t->take && !t->fn->id_err && (t->fn->class >> 16) == 0x03;
	}
	if (!display)
		return;
	if (pt_fb_find(&run->sys, claims, ELEMENTSOF(claims), &n) < 0)
		n = 0;
	if (run->opts.fb == PT_FB_RELEASE) {
		run->fb_release = true;
		return;
	}
	for (size_t i = 0; i < run->plan.n_targets; i++) {
		const struct pt_target *t = &run->plan.targets[i];

		if (!t->take || t->fn->id_err || (t->fn->class >> 16) != 0x03)
			continue;
		for (size_t k = 0; k < n; k++) {
			char reason[160];
			int bar = pt_fb_overlap(&run->sys, t->fn, &claims[k]);

			if (bar < 0)
				continue;
			if (run->opts.fb == PT_FB_KEEP) {
				snprintf(reason, sizeof(reason),
					 "holds the boot framebuffer (%s at %llx-%llx, in BAR %d), "
					 "and "
					 "pt.fb=keep keeps it: not bound, since vfio-pci would "
					 "take it",
					 claims[k].name, (unsigned long long)claims[k].start,
					 (unsigned long long)claims[k].end, bar);
				pt_plan_protect(&run->plan, &t->fn->addr, -1, reason);
			} else {
				run->fb_release = true;
				snprintf(run->fb_what, sizeof(run->fb_what),
					 "%s at %llx-%llx in %s BAR %d", claims[k].name,
					 (unsigned long long)claims[k].start,
					 (unsigned long long)claims[k].end, t->fn->name, bar);
			}
		}
	}
}

/* Before anything binds: let the boot framebuffer go. */
static void release_fb(struct run *run)
{
	char what[256];
	int r;

	r = pt_fb_release(&run->sys, run->opts.timeout_ms, what, sizeof(what));
	if (r < 0)
		pt_diag_error(&run->diag,
			      "could not release the boot framebuffer (%s): %s; vfio-pci may not "
			      "be able to reserve the GPU's memory for a guest",
			      run->fb_what[0] ? run->fb_what : "pt.fb=release", strerror(-r));
	else if (r > 0)
		pt_diag_warn(&run->diag,
			     "released the boot framebuffer (%s) so that vfio can have the GPU's "
			     "memory: %s; the console on it is gone (pt.fb=%s)",
			     run->fb_what[0] ? run->fb_what : "on a GPU to bind", what,
			     pt_fb_name(run->opts.fb));
}

/* Load the targets' IOMMU groups (their state is loaded: plan_list);
 * then resolve the plan. */
static int plan_groups(struct run *run)
{
	int r;

	pt_kernel_read(&run->sys, &run->plan.kernel);
	for (size_t i = 0; i < run->plan.n_targets; i++) {
		struct pt_target *t = &run->plan.targets[i];
		int g = t->fn->iommu_group;
		struct group_ctx c = { .run = run };

		if (!t->take || g < 0 || t->fn->state_err || pt_plan_group(&run->plan, g))
			continue;
		r = pt_pci_group_list(&run->pci, g, add_group_member, &c);
		if (r >= 0 && c.err == -EXDEV)
			r = -EXDEV;
		if (r < 0) {
			free(c.members);
			pt_diag_error(&run->plan.diag,
				      r == -EXDEV
					      ? "IOMMU group %d holds a device that is not a PCI "
						"function; pt cannot vouch for it%s%s"
					      : "cannot list IOMMU group %d: %s",
				      g, r == -EXDEV ? "" : strerror(-r), "");
			{
				char reason[64];

				snprintf(reason, sizeof(reason),
					 "IOMMU group %d could not be checked", g);
				pt_plan_refuse_taken(&run->plan, g, reason);
			}
			continue;
		}
		qsort(c.members, c.n, sizeof(*c.members), member_cmp);
		r = pt_plan_add_group(&run->plan, g, c.members, c.n);
		free(c.members);
		if (r < 0)
			return r;
	}
	PT_STAGE("groups");
	guard_root(run);
	PT_STAGE("root");
	plan_fb(run);
	PT_STAGE("fb");
	/* A group can be added after a target of it was refused above; that
	 * target then keeps its refusal. Now the policy. */
	return pt_plan_resolve(&run->plan, &run->spec);
}

/*
 * Release: under pt.group=auto, the other functions of the listed ones'
 * slots that are on vfio too — the counterpart of binding them together.
 * (The listed functions' state is loaded: plan_list.)
 */
static int plan_release(struct run *run)
{
	struct pt_pci_func *add[64];
	char by[64][PT_SELECTED_BY_MAX];
	size_t n_add = 0;

	if (run->opts.group != PT_GROUP_AUTO)
		return 0;
	for (size_t i = 0; i < run->plan.n_targets; i++) {
		const struct pt_target *t = &run->plan.targets[i];

		if (!t->take)
			continue;
		for (unsigned fn = 0; fn < 8 && n_add < ELEMENTSOF(add); fn++) {
			struct pt_addr a = t->fn->addr;
			struct pt_pci_func *f;

			a.func = (uint8_t)fn;
			if (pt_pci_get(&run->pci, &a, &f) < 0 || pt_plan_find(&run->plan, f))
				continue;
			(void)pt_pci_load_identity(&run->pci, f);
			(void)pt_pci_load_state(&run->pci, f);
			if (f->id_err || f->state_err || !pt_driver_is_vfio(f->driver) ||
			    pt_plan_excluded_by(&run->spec, f))
				continue;
			snprintf(by[n_add], sizeof(by[n_add]), "slot of %s", t->fn->name);
			add[n_add++] = f;
		}
	}
	for (size_t i = 0; i < n_add; i++)
		if (!pt_plan_take(&run->plan, add[i], by[i]))
			return -ENOMEM;
	return 0;
}

/* Pick the vfio driver for every target: a variant where modules.alias has
 * one for the device, else vfio-pci. */
static void choose_drivers(struct run *run)
{
	for (size_t i = 0; i < run->plan.n_targets; i++) {
		struct pt_target *t = &run->plan.targets[i];
		char alias[128], module[PT_MOD_NAME_MAX];

		if (!t->take || !run->mods)
			continue;
		pt_pci_modalias(t->fn, "vfio_pci:", alias, sizeof(alias));
		if (pt_modules_variant(run->mods, alias, module, sizeof(module)) == 1) {
			char name[PT_DRIVER_MAX];
			const char *driver;

			pt_modules_driver_name(module, name, sizeof(name));
			driver = pt_intern(name);
			if (!driver) {
				pt_log_warn("%s: out of memory; using vfio-pci, not the variant %s",
					    t->fn->name, name);
				continue;
			}
			t->driver = driver;
			pt_log_info("%s: using the vfio variant driver %s", t->fn->name, t->driver);
		}
	}
}

static bool module_listed(const struct run *run, const char *name)
{
	for (size_t i = 0; i < run->n_modules; i++)
		if (streq(run->modules[i].name, name))
			return true;
	return false;
}

/* Before anything is written: is vfio-pci there at all? If not, fail the
 * targets that need it now, so no device is touched for nothing. */
static void check_vfio_available(struct run *run)
{
	struct pt_module_report *rep;

	rep = add_module(run);
	if (!rep)
		return;
	if (pt_modules_check(run->mods, "vfio-pci", rep) == 0) {
		if (rep->result == PT_MOD_SKIPPED)
			run->n_modules--; /* loaded below; reported then */
		return;
	}
	for (size_t i = 0; i < run->plan.n_targets; i++) {
		struct pt_target *t = &run->plan.targets[i];

		if (!t->take || !streq(t->driver, "vfio-pci"))
			continue;
		t->action = PT_ACT_FAILED;
		pt_target_error(t, "%s; nothing was changed", rep->error);
	}
	pt_diag_error(&run->diag, "%s; nothing was bound", rep->error);
}

static void load_modules(struct run *run)
{
	static const char *const base[] = { "vfio-pci", "vfio_iommu_type1" };
	struct pt_module_report *rep;

	for (size_t i = 0; i < ELEMENTSOF(base); i++) {
		if (module_listed(run, base[i]))
			continue;
		rep = add_module(run);
		if (!rep)
			return;
		if (pt_modules_load(run->mods, base[i], rep) < 0)
			pt_diag_error(&run->diag, "%s", rep->error);
	}
	for (size_t i = 0; i < run->plan.n_targets; i++) {
		struct pt_target *t = &run->plan.targets[i];

		if (!t->take || t->action != PT_ACT_PENDING || streq(t->driver, "vfio-pci") ||
		    module_listed(run, t->driver))
			continue;
		rep = add_module(run);
		if (!rep)
			return;
		if (pt_modules_load(run->mods, t->driver, rep) < 0)
			pt_diag_warn(&run->diag, "%s; using vfio-pci instead", rep->error);
	}
	/* A variant driver that did not load: fall back to vfio-pci. */
	for (size_t i = 0; i < run->plan.n_targets; i++) {
		struct pt_target *t = &run->plan.targets[i];
		char path[PATH_MAX];

		if (!t->take || t->action != PT_ACT_PENDING || streq(t->driver, "vfio-pci") ||
		    pt_bind_driver_present(&run->sys, t->driver))
			continue;
		t->driver = "vfio-pci";
		if (pt_sysfs_path(&run->sys, path, sizeof(path),
				  "/sys/bus/pci/devices/%s/driver_override", t->fn->name) < 0 ||
		    pt_sysfs_write(&run->sys, path, "vfio-pci") < 0) {
			t->action = PT_ACT_FAILED;
			pt_target_error(
				t, "its variant driver did not load, and driver_override could not "
				   "be changed to vfio-pci");
			pt_target_report(&run->diag, PT_SEV_ERROR, t);
		}
	}
}

static const char *compute_result(struct run *run, unsigned *ret_good)
{
	unsigned good = 0;

	for (size_t i = 0; run->planned && i < run->plan.n_targets; i++) {
		enum pt_action a = run->plan.targets[i].action;

		if (run->mode == MODE_RELEASE)
			good += a == PT_ACT_RELEASED || a == PT_ACT_PLANNED;
		else
			good += a == PT_ACT_BOUND || a == PT_ACT_ALREADY || a == PT_ACT_RECOVERED ||
				a == PT_ACT_PLANNED;
	}
	*ret_good = good;
	if (run->diag.n_errors == 0)
		return good ? "ok" : "nothing-to-do";
	return good ? "partial" : "failed";
}

static void summary(struct run *run, const char *result)
{
	unsigned n[PT_ACT_PENDING + 1] = { 0 };
	char from[160] = "";
	size_t off = 0;
	uint64_t ms = pt_now_ms() - run->started_ms;

	for (size_t i = 0; run->planned && i < run->plan.n_targets; i++) {
		const struct pt_target *t = &run->plan.targets[i];

		n[t->action]++;
		if (t->action == PT_ACT_RECOVERED && off < sizeof(from) &&
		    !strstr(from, t->driver_before))
			off += (size_t)snprintf(from + off, sizeof(from) - off, "%s%s",
						off ? ", " : " from ", t->driver_before);
	}
	if (run->mode == MODE_RELEASE && !run->opts.dryrun) {
		pt_log(run->diag.n_errors ? PT_LOG_WARN : PT_LOG_INFO,
		       "%u released, %u failed, %u skipped in %llu ms (%s)", n[PT_ACT_RELEASED],
		       n[PT_ACT_FAILED], n[PT_ACT_SKIPPED], (unsigned long long)ms, result);
		return;
	}
	if (run->opts.dryrun) {
		pt_log_info("dry run: %u would be bound, %u already bound, %u skipped, %zu errors "
			    "in %llu ms (%s)",
			    n[PT_ACT_PLANNED], n[PT_ACT_ALREADY], n[PT_ACT_SKIPPED],
			    run->diag.n_errors, (unsigned long long)ms, result);
		return;
	}
	pt_log(run->diag.n_errors ? PT_LOG_WARN : PT_LOG_INFO,
	       "%u bound, %u recovered%s, %u already bound, %u failed%s in %llu ms (%s)",
	       n[PT_ACT_BOUND], n[PT_ACT_RECOVERED], from, n[PT_ACT_ALREADY],
	       n[PT_ACT_RELEASED] + n[PT_ACT_KEPT] + n[PT_ACT_FAILED],
	       n[PT_ACT_SKIPPED] ? ", some skipped" : "", (unsigned long long)ms, result);
}

static void print_dry_run(struct run *run, const char *result)
{
	printf("pt-agent %s — dry run, nothing changed\n", PT_VERSION);
	printf("Source: %s; devices: %s\n", pt_source_name(run->source),
	       run->opts.devices ? run->opts.devices : "(none)");
	printf("Options: group=%s onfail=%s fb=%s\n", pt_group_policy_name(run->opts.group),
	       pt_onfail_name(run->opts.onfail), pt_fb_name(run->opts.fb));
	if (run->iommu_checked)
		printf("IOMMU: %s\n", run->report.iommu ? "on" : "OFF (no IOMMU groups)");
	if (run->planned) {
		char rule[300];

		pt_kernel_describe(&run->plan.kernel, rule, sizeof(rule));
		printf("Kernel rule: %s\n", rule);
	}
	for (size_t i = 0; i < run->n_modules; i++)
		printf("Module %s: %s%s%s\n", run->modules[i].name,
		       run->modules[i].result == PT_MOD_SKIPPED
			       ? "present (not loaded: dry run)"
			       : pt_mod_result_name(run->modules[i].result),
		       run->modules[i].error[0] ? " — " : "", run->modules[i].error);
	if (run->planned)
		pt_plan_print(&run->plan, stdout);
	for (size_t i = 0; i < run->diag.n; i++)
		printf("%s: %s%s%s\n", run->diag.msgs[i].sev == PT_SEV_ERROR ? "error" : "warning",
		       run->diag.msgs[i].prefix ? run->diag.msgs[i].prefix : "",
		       run->diag.msgs[i].prefix ? ": " : "", run->diag.msgs[i].text);
	printf("Result: %s\n", result);
	fflush(stdout);
}

static int write_pending(void *arg)
{
	struct run *run = arg;
	char err[256];
	int r;

	r = pt_state_write_report(&run->sys, &run->report, err, sizeof(err));
	if (r < 0)
		pt_log_err("%s", err);
	return r;
}

static void finish(struct run *run)
{
	char err[256];
	const char *result;
	unsigned good;

	flush_diag(run);
	if (run->opts.off)
		result = "disabled";
	else
		result = compute_result(run, &good);
	run->report.agent_version = PT_VERSION;
	run->report.source = run->source;
	run->report.spec = run->opts.devices;
	run->report.opts = &run->opts;
	run->report.modules = run->modules;
	run->report.n_modules = run->n_modules;
	run->report.plan = run->planned ? &run->plan : NULL;
	run->report.diag = &run->diag;
	run->report.result = result;
	run->report.started_ms = run->started_ms;

	if (run->cli_dry_run) {
		print_dry_run(run, result);
		return;
	}
	if (!run->opts.off)
		summary(run, result);
	run->report.finished_ms = pt_now_ms();
	if (run->lost_worker) {
		/* Whatever stopped the worker may stop this write too. */
		if (pt_watch_guard(write_pending, run, run->opts.timeout_ms) < 0)
			pt_log_err("cannot write %s either (result was: %s)", PT_STATE_FILE,
				   result);
	} else if (pt_state_write_report(&run->sys, &run->report, err, sizeof(err)) < 0) {
		pt_log_err("%s (result was: %s)", err, result);
	}
}

static bool any_pending(const struct run *run)
{
	for (size_t i = 0; i < run->plan.n_targets; i++)
		if (run->plan.targets[i].take && run->plan.targets[i].action == PT_ACT_PENDING)
			return true;
	return false;
}

/* Nothing was carried out: the drivers after are the drivers before. */
static void mark_after(struct run *run)
{
	for (size_t i = 0; i < run->plan.n_targets; i++) {
		struct pt_target *t = &run->plan.targets[i];

		t->driver_after = t->fn->driver;
	}
}

static void mark_planned(struct run *run)
{
	for (size_t i = 0; i < run->plan.n_targets; i++) {
		struct pt_target *t = &run->plan.targets[i];

		t->driver_before = t->fn->driver;
		t->driver_after = t->fn->driver;
		/* As a real run records it: on the vfio driver already. */
		if (t->take && t->action == PT_ACT_PENDING)
			t->action = run->mode != MODE_RELEASE && (streq(t->fn->driver, t->driver) ||
								  pt_driver_is_vfio(t->fn->driver))
					    ? PT_ACT_ALREADY
					    : PT_ACT_PLANNED;
	}
}

/*
 * Inputs → spec → candidates → selection; then, for binding, the IOMMU
 * group policy, and for a release, the slot's siblings on vfio. Returns
 * false when there is nothing to carry out.
 */
static bool plan_list(struct run *run)
{
	struct pt_spec_error serr;
	struct pt_pci_func **funcs = NULL;
	size_t n_funcs = 0;
	uint64_t deadline;
	bool in_group;
	int r, missing;

	if (pt_spec_parse(run->opts.devices, &run->spec, &serr) < 0) {
		pt_diag_error(&run->diag, "%s: column %u: %s; nothing will be %s",
			      run->mode != MODE_BOOT		? "the device list"
			      : run->source == PT_SOURCE_CONFIG ? "devices in the config file"
								: "pt.devices",
			      serr.column, serr.msg,
			      run->mode == MODE_RELEASE ? "released" : "bound");
		return false;
	}
	if (run->spec.n == 0) {
		pt_diag_warn(&run->diag, "the device list is empty: nothing to do");
		return false;
	}

	deadline = pt_now_ms() + run->opts.wait_ms;
	for (;;) {
		missing = collect(run, &funcs, &n_funcs);
		if (missing <= 0 || pt_now_ms() >= deadline)
			break;
		free(funcs);
		funcs = NULL;
		pt_sleep_ms(WAIT_POLL_MS);
		pt_pci_free(&run->pci);
		pt_pci_init(&run->pci, &run->sys);
	}
	if (missing < 0) {
		free(funcs);
		return false;
	}
	if (missing > 0 && run->opts.wait_ms)
		pt_diag_warn(&run->diag, "waited %u ms (pt.wait) for listed devices to appear",
			     run->opts.wait_ms);

	r = pt_plan_select(&run->plan, &run->spec, funcs, n_funcs);
	free(funcs);
	run->planned = true;
	/* The targets' state first: one of them in an IOMMU group says that
	 * the IOMMU is on, and only without one is every group looked for. */
	in_group = false;
	for (size_t i = 0; i < run->plan.n_targets; i++) {
		struct pt_pci_func *f = run->plan.targets[i].fn;

		(void)pt_pci_load_state(&run->pci, f);
		in_group |= !f->state_err && f->iommu_group >= 0;
	}
	run->report.iommu = in_group || pt_pci_iommu_on(&run->sys) > 0;
	run->iommu_checked = true;
	PT_STAGE("listed");
	if (r >= 0 && run->mode == MODE_RELEASE)
		r = plan_release(run);
	/* Without an IOMMU there are no groups to check: every target would
	 * only repeat the one error below. */
	else if (r >= 0 && run->report.iommu)
		r = plan_groups(run);
	merge_diag(&run->diag, &run->plan.diag);
	if (r < 0) {
		pt_diag_error(&run->diag, "planning failed: %s; nothing was changed", strerror(-r));
		pt_plan_refuse_taken(&run->plan, -1, "planning failed");
	}

	if (!run->report.iommu && run->mode != MODE_RELEASE) {
		pt_diag_error(&run->diag,
			      "no IOMMU groups in /sys/kernel/iommu_groups: the IOMMU is off. "
			      "Enable VT-d (Intel) or AMD-Vi/IOMMU (AMD) in the firmware setup, "
			      "and add intel_iommu=on to the kernel command line on Intel; "
			      "nothing was bound");
		pt_plan_refuse_taken(&run->plan, -1, "no IOMMU");
	}
	flush_diag(run);

	/* Every record says what it had before pt touched anything, whatever
	 * happens to it from here on. */
	for (size_t i = 0; i < run->plan.n_targets; i++) {
		struct pt_target *t = &run->plan.targets[i];

		if ((t->fn->loaded & PT_PCI_STATE) && !t->fn->state_err)
			t->driver_before = t->fn->driver;
	}
	if (pt_plan_count_taken(&run->plan) == 0) {
		mark_planned(run);
		return false;
	}
	if (pt_modules_new(&run->sys, &run->mods) < 0)
		run->mods = NULL;
	PT_STAGE("kmod");
	return true;
}

static struct pt_bind bind_ctx(struct run *run)
{
	return (struct pt_bind){
		.sys = &run->sys,
		.pci = &run->pci,
		.onfail = run->opts.onfail,
		.policy = run->opts.group,
		.timeout_ms = run->opts.timeout_ms,
		.diag = &run->diag,
	};
}

static void run_bind(struct run *run)
{
	struct pt_bind b;

	if (run->mode == MODE_BOOT && run->opts.off) {
		pt_log_info("pt.off is set: nothing done");
		return;
	}
	if (!run->opts.devices) {
		if (run->diag.n_errors)
			pt_log_info("no usable device list (see above): nothing was bound");
		else
			pt_log_info("no pt.devices= on the command line and no devices in %s: "
				    "nothing to do",
				    run->cl.config ? run->cl.config : PT_CONFIG_DEFAULT);
		return;
	}
	if (!plan_list(run))
		return;
	choose_drivers(run);
	if (run->mods)
		check_vfio_available(run);
	if (run->opts.dryrun) {
		mark_planned(run);
		return;
	}
	if (!any_pending(run)) {
		/* vfio-pci is not there: load nothing, change nothing. */
		mark_after(run);
		return;
	}
	b = bind_ctx(run);
	pt_bind_protect(&b, &run->plan);
	if (run->fb_release)
		release_fb(run);
	if (run->mods)
		load_modules(run);
	flush_diag(run);
	PT_STAGE("drivers");
	pt_bind_claim(&b, &run->plan);
	PT_STAGE("claimed");
}

/* Load the host's driver for a device being given back, as udev would. */
static void load_host(void *userdata, const struct pt_pci_func *f)
{
	struct run *run = userdata;
	struct pt_module_report rep, *slot;
	char alias[128];

	if (!run->mods)
		return;
	pt_pci_modalias(f, "pci:", alias, sizeof(alias));
	(void)pt_modules_load_host(run->mods, alias, &rep);
	if (!rep.name[0] || module_listed(run, rep.name))
		return;
	slot = add_module(run);
	if (slot)
		*slot = rep;
}

static void run_release(struct run *run)
{
	struct pt_bind b;

	if (!plan_list(run))
		return;
	if (run->opts.dryrun) {
		mark_planned(run);
		return;
	}
	b = bind_ctx(run);
	pt_bind_give_back(&b, &run->plan, load_host, run);
}

/* Runtime runs take this lock, so two cannot interleave. */
static int take_lock(struct run *run, char *err, size_t errsize)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int fd;

	if (pt_sysfs_path(&run->sys, dir, sizeof(dir), PT_STATE_DIR) < 0 ||
	    pt_sysfs_path(&run->sys, path, sizeof(path), PT_STATE_DIR "/lock") < 0) {
		snprintf(err, errsize, "path too long");
		return -ENAMETOOLONG;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errsize, "cannot create %s: %s", PT_STATE_DIR, strerror(errno));
		return -errno;
	}
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		snprintf(err, errsize, "cannot open %s/lock: %s", PT_STATE_DIR, strerror(errno));
		return -errno;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		snprintf(err, errsize, "cannot lock %s/lock: %s", PT_STATE_DIR, strerror(errno));
		close(fd);
		return -errno;
	}
	run->lock_fd = fd;
	return 0;
}

/* The worker: everything from planning to the state file. */
static int work(void *arg)
{
	struct run *run = arg;
	char err[256];
	enum mode mode = run->mode;

	PT_STAGE("worker");
	read_inputs(run, run->cmdline_arg);
	pt_watch_set_deadline(run->opts.timeout_ms);
	if (run->dry_run_arg)
		run->opts.dryrun = true;
	if (mode != MODE_BOOT) {
		/* The list comes from the argument; the policies (group,
		 * onfail, timeout) from the command line and config file. */
		free(run->opts.devices);
		run->opts.devices = strdup(run->list);
		run->opts.off = false;
		run->opts.wait_ms = 0;
		run->source = PT_SOURCE_NONE;
		if (!run->opts.devices)
			return 1;
	}
	run->plan.policy = run->opts.group;
	read_boot_id(run);
	if (mode != MODE_BOOT && !run->opts.dryrun) {
		int r = pt_state_read(&run->sys, run->report.boot_id, &run->previous, err,
				      sizeof(err));

		if (r < 0 && r != -ENOENT)
			pt_diag_warn(&run->diag, "%s; writing a new one", err);
		run->report.previous = run->previous.root;
	}
	flush_diag(run);
	PT_STAGE("inputs");

	if (run->mode == MODE_RELEASE)
		run_release(run);
	else
		run_bind(run);
	finish(run);
	PT_STAGE("written");
	if (run->mode != MODE_BOOT && !streq(run->report.result, "ok") &&
	    !streq(run->report.result, "nothing-to-do"))
		return 1;
	return 0;
}

/* In the parent, when the worker hung or died: say so, in the kernel log
 * and in the state file. The journal was undone already. */
static int lost(void *arg, const struct pt_watch_hang *h)
{
	struct run *run = arg;

	if (h->waited_ms)
		pt_diag_error(&run->diag,
			      "pt-agent stopped: %s did not return in %u ms (a driver is stuck in "
			      "the kernel); the %u device(s) it had changed were given back%s",
			      h->what, h->waited_ms, h->undone,
			      h->left ? " (as far as the stuck one lets itself be)" : "");
	else
		pt_diag_error(&run->diag,
			      "pt-agent stopped: %s; %u device(s) it had changed were given back",
			      h->what, h->undone);
	run->lost_worker = true;
	finish(run);
	return run->mode == MODE_BOOT ? 0 : 1;
}

static void usage_error(const char *fmt, ...) _printf_(1, 2);
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pt-agent: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	usage(stderr);
}

int pt_agent_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "sysroot", required_argument, NULL, 's' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "stderr", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *sysroot = NULL, *cmdline = NULL, *list = NULL;
	enum mode mode = MODE_BOOT;
	bool also_stderr = false, dry_run = false;
	char kmsg[PATH_MAX], err[256];
	struct run *run;
	int c, ret = 0;

	PT_STAGE("start");
	/* A build-time command for the initramfs hooks, with its own options. */
	if (argc > 1 && streq(argv[1], "vfio-variants"))
		return pt_variants_main(argc - 1, argv + 1);
	optind = 0; /* callable more than once (the tests do) */
	opterr = 1;
	while ((c = getopt_long(argc, argv, "hV", longopts, NULL)) >= 0) {
		switch (c) {
		case 's':
			sysroot = optarg;
			break;
		case 'c':
			cmdline = optarg;
			break;
		case 'n':
			dry_run = true;
			break;
		case 'e':
			also_stderr = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("pt-agent %s\n", PT_VERSION);
			return 0;
		default:
			usage(stderr);
			return PT_EXIT_USAGE;
		}
	}
	if (optind < argc && streq(argv[optind], "root-devices")) {
		if (argc - optind != 1) {
			usage_error("root-devices takes no arguments");
			return PT_EXIT_USAGE;
		}
		return print_root_devices(sysroot);
	}
	if (optind < argc) {
		if (streq(argv[optind], "bind"))
			mode = MODE_BIND;
		else if (streq(argv[optind], "release"))
			mode = MODE_RELEASE;
		else {
			usage_error("unknown command '%s'", argv[optind]);
			return PT_EXIT_USAGE;
		}
		if (argc - optind != 2) {
			usage_error("%s takes one device list, e.g. 10de:1c03@26:00.0,26:00.1",
				    argv[optind]);
			return PT_EXIT_USAGE;
		}
		list = argv[optind + 1];
	}

	run = calloc(1, sizeof(*run));
	if (!run) {
		fprintf(stderr, "pt-agent: out of memory\n");
		return mode == MODE_BOOT ? 0 : 1;
	}
	run->mode = mode;
	run->lock_fd = -1;
	run->started_ms = pt_now_ms();
	run->cli_dry_run = dry_run && mode == MODE_BOOT;
	if (pt_sysfs_init(&run->sys, sysroot) < 0) {
		fprintf(stderr, "pt-agent: --sysroot %s: not an absolute path that fits\n",
			sysroot);
		free(run);
		return PT_EXIT_USAGE;
	}
	pt_diag_init(&run->diag);
	pt_options_init(&run->cl);
	pt_options_init(&run->blob);
	pt_options_init(&run->opts);
	pt_pci_init(&run->pci, &run->sys);
	pt_plan_init(&run->plan, PT_GROUP_AUTO);

	/* A dry run from a terminal does not belong in the kernel log; a
	 * runtime bind or release does, and its user wants to see it too. */
	if (run->cli_dry_run || pt_sysfs_path(&run->sys, kmsg, sizeof(kmsg), "/dev/kmsg") < 0)
		pt_log_open(NULL, "pt-agent", PT_LOG_INFO, true);
	else
		pt_log_open(kmsg, "pt-agent", PT_LOG_INFO,
			    also_stderr || mode != MODE_BOOT || isatty(STDERR_FILENO));

	if (mode != MODE_BOOT && take_lock(run, err, sizeof(err)) < 0) {
		pt_log_err("%s; nothing done", err);
		ret = 1;
		goto out;
	}

	run->cmdline_arg = cmdline;
	run->dry_run_arg = dry_run;
	run->list = list;
	/* The work runs in a supervised child: see watch.h. */
	PT_STAGE("fork");
	ret = pt_watch_run(&run->sys, PT_TIMEOUT_DEFAULT_MS, work, lost, run);
out:
	if (run->lock_fd >= 0)
		close(run->lock_fd);
	pt_jsonr_free(&run->previous);
	pt_modules_free(run->mods);
	pt_plan_free(&run->plan);
	pt_pci_free(&run->pci);
	pt_options_free(&run->cl);
	pt_options_free(&run->blob);
	pt_options_free(&run->opts);
	pt_diag_free(&run->diag);
	free(run);
	pt_log_close();
	pt_watch_reap();
	PT_STAGE("end");
	return ret;
}
