/* SPDX-License-Identifier: MIT */
/* modules.c — libkmod, and nothing else here uses it; see modules.h. */
#include <errno.h>
#include <libkmod.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "log.h"
#include "modules.h"
#include "watch.h"

struct pt_modules {
	const struct pt_sysfs *sys;
	struct kmod_ctx *ctx;
	char shown_dir[PATH_MAX];
	bool sysroot;
};

/* kmod logs through us: its errors and warnings as such, its chatter
 * ("context released") at debug level, where it cannot clutter a boot. */
static void kmod_log(void *data _unused_, int priority, const char *file _unused_,
		     int line _unused_, const char *fn _unused_, const char *format, va_list args)
{
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), format, args);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (priority < PT_LOG_ERR)
		priority = PT_LOG_ERR;
	else if (priority > PT_LOG_WARN)
		priority = PT_LOG_DEBUG;
	pt_log((enum pt_log_level)priority, "libkmod: %s", msg);
}

static void read_release(const struct pt_sysfs *sys, char *buf, size_t size)
{
	char path[PATH_MAX];
	struct utsname u;

	if (pt_sysfs_path(sys, path, sizeof(path), "/proc/sys/kernel/osrelease") >= 0 &&
	    pt_sysfs_read(sys, path, buf, size) > 0 && !strchr(buf, '/'))
		return;
	if (uname(&u) == 0)
		pt_strlcpy(buf, u.release, size);
	else
		pt_strlcpy(buf, "unknown", size);
}

static int open_ctx(struct pt_modules *m, const char *dir, const char *const *confv,
		    struct pt_modules **ret);

/* A context for sys, not yet open: what both constructors set first. */
static struct pt_modules *ctx_alloc(const struct pt_sysfs *sys)
{
	struct pt_modules *m = calloc(1, sizeof(*m));

	if (m) {
		m->sys = sys;
		m->sysroot = sys->rootlen > 0;
	}
	return m;
}

int pt_modules_new(const struct pt_sysfs *sys, struct pt_modules **ret)
{
	/* kmod's default configuration directories, under the sysroot. */
	static const char *const confdirs[] = { "/etc/modprobe.d", "/run/modprobe.d",
						"/usr/local/lib/modprobe.d", "/lib/modprobe.d" };
	char release[128], dir[PATH_MAX];
	char conf[ELEMENTSOF(confdirs)][PATH_MAX];
	const char *confv[ELEMENTSOF(confdirs) + 1];
	struct pt_modules *m;

	m = ctx_alloc(sys);
	if (!m)
		return -ENOMEM;
	read_release(sys, release, sizeof(release));
	snprintf(m->shown_dir, sizeof(m->shown_dir), "/lib/modules/%s", release);
	if (pt_sysfs_path(sys, dir, sizeof(dir), "/lib/modules/%s", release) < 0)
		dir[0] = '\0';
	for (size_t i = 0; i < ELEMENTSOF(confdirs); i++) {
		if (pt_sysfs_path(sys, conf[i], sizeof(conf[i]), "%s", confdirs[i]) < 0)
			conf[i][0] = '\0';
		confv[i] = conf[i];
	}
	confv[ELEMENTSOF(confdirs)] = NULL;

	return open_ctx(m, dir, confv, ret);
}

int pt_modules_new_dir(const struct pt_sysfs *sys, const char *moddir, struct pt_modules **ret)
{
	struct pt_modules *m;

	m = ctx_alloc(sys);
	if (!m)
		return -ENOMEM;
	pt_strlcpy(m->shown_dir, moddir, sizeof(m->shown_dir));
	/* kmod's own modprobe.d: those of the host that builds the image */
	return open_ctx(m, moddir, NULL, ret);
}

static int open_ctx(struct pt_modules *m, const char *dir, const char *const *confv,
		    struct pt_modules **ret)
{
	m->ctx = kmod_new(dir, confv);
	if (!m->ctx) {
		free(m);
		return -ENOMEM;
	}
	kmod_set_log_fn(m->ctx, kmod_log, NULL);
	kmod_set_log_priority(m->ctx, (int)pt_log_get_level());
	/* Map the modules directory's indexes once, as modprobe does; without
	 * this every lookup opens and reads them again. */
	if (kmod_load_resources(m->ctx) < 0) {
		/* a missing modules directory: lookups say so later */
	}
	*ret = m;
	return 0;
}

void pt_modules_free(struct pt_modules *m)
{
	if (!m)
		return;
	kmod_unref(m->ctx);
	free(m);
}

const char *pt_modules_dir(const struct pt_modules *m)
{
	return m->shown_dir;
}

const char *pt_mod_result_name(enum pt_mod_result r)
{
	static const char *const names[] = { "loaded", "builtin", "already", "failed", "skipped" };

	return names[r];
}

void pt_modules_driver_name(const char *module, char *buf, size_t size)
{
	if (streq(module, "vfio_pci") || streq(module, "vfio-pci"))
		pt_strlcpy(buf, "vfio-pci", size);
	else
		pt_strlcpy(buf, module, size);
}

static bool is_builtin(struct kmod_module *mod)
{
	/* kmod_module_get_initstate() answers "builtin" from the modules
	 * directory's own index before it looks at /sys/module — which it
	 * reads from the host whatever the sysroot — so only that answer is
	 * used here; whether a module is live is asked of the sysroot. */
	return kmod_module_get_initstate(mod) == KMOD_MODULE_BUILTIN;
}

/* Is the module live in the (rooted) kernel? */
static bool is_live(struct pt_modules *m, const char *modname)
{
	char path[PATH_MAX], buf[32];

	if (pt_sysfs_path(m->sys, path, sizeof(path), "/sys/module/%s/initstate", modname) < 0)
		return false;
	return pt_sysfs_read(m->sys, path, buf, sizeof(buf)) >= 0 && streq(buf, "live");
}

static int lookup(struct pt_modules *m, const char *name, struct kmod_module **ret)
{
	struct kmod_module *mod = NULL;
	int r;

	r = kmod_module_new_from_name_lookup(m->ctx, name, &mod);
	if (r < 0)
		return r;
	if (!mod)
		return -ENOENT;
	*ret = mod;
	return 0;
}

static void not_found(struct pt_modules *m, const char *name, struct pt_module_report *rep)
{
	rep->result = PT_MOD_FAILED;
	rep->path[0] = '\0';
	snprintf(rep->error, sizeof(rep->error), "%s not found in %s: add it to the initramfs",
		 name, m->shown_dir);
}

int pt_modules_check(struct pt_modules *m, const char *name, struct pt_module_report *rep)
{
	struct kmod_module *mod;
	const char *path;
	char full[PATH_MAX], norm[PT_MOD_NAME_MAX];
	int r;

	*rep = (struct pt_module_report){ .result = PT_MOD_SKIPPED };
	pt_strlcpy(rep->name, name, sizeof(rep->name));
	/* Loaded already (from an initramfs whose modules are gone now, say):
	 * whatever the modules directory holds, it is there. */
	pt_strlcpy(norm, name, sizeof(norm));
	for (char *p = norm; *p; p++)
		if (*p == '-')
			*p = '_';
	if (is_live(m, norm)) {
		rep->result = PT_MOD_ALREADY;
		return 0;
	}
	r = lookup(m, name, &mod);
	if (r == -ENOENT) {
		not_found(m, name, rep);
		return r;
	}
	if (r < 0) {
		rep->result = PT_MOD_FAILED;
		snprintf(rep->error, sizeof(rep->error), "looking up %s: %s", name, strerror(-r));
		return r;
	}
	if (is_builtin(mod)) {
		rep->result = PT_MOD_BUILTIN;
	} else if (is_live(m, kmod_module_get_name(mod))) {
		rep->result = PT_MOD_ALREADY;
	} else {
		/* Listed in modules.dep; is the file there? Paths from kmod
		 * are already under the (rooted) modules directory. */
		path = kmod_module_get_path(mod);
		if (!path || pt_strlcpy(full, path, sizeof(full)) >= sizeof(full) ||
		    !pt_sysfs_exists(m->sys, full)) {
			kmod_module_unref(mod);
			not_found(m, name, rep);
			return -ENOENT;
		}
		/* kmod's path is under the sysroot; the report names it as
		 * the running system does. */
		if (m->sys->rootlen && strncmp(path, m->sys->root, m->sys->rootlen) == 0)
			path += m->sys->rootlen;
		pt_strlcpy(rep->path, path, sizeof(rep->path));
	}
	kmod_module_unref(mod);
	return 0;
}

/* libkmod's dry-run callback has no user data: collect through a static.
 * A load order longer than this is not a vfio driver's. */
#define LOAD_ORDER_MAX 32
static struct {
	char names[LOAD_ORDER_MAX][PT_MOD_NAME_MAX];
	unsigned n;
	bool overflow;
} order;

static void collect(struct kmod_module *mod, bool install _unused_, const char *options _unused_)
{
	const char *name = kmod_module_get_name(mod);

	/* A dependency reached again through a soft dependency is listed
	 * again; a real load would skip it as loaded. */
	for (unsigned i = 0; i < order.n; i++)
		if (streq(order.names[i], name))
			return;
	if (order.n == LOAD_ORDER_MAX) {
		order.overflow = true;
		return;
	}
	pt_strlcpy(order.names[order.n++], name, PT_MOD_NAME_MAX);
}

/* With a sysroot: walk the load order, let the test hook load each. */
static int load_rooted(struct pt_modules *m, struct kmod_module *mod, struct pt_module_report *rep)
{
	const struct pt_io_hooks *h = pt_sysfs_hooks();
	int r;

	if (!h || !h->insmod) {
		rep->result = PT_MOD_SKIPPED;
		snprintf(rep->error, sizeof(rep->error),
			 "not loaded: a sysroot is set, and its kernel is not this one");
		return 0;
	}
	order.n = 0;
	order.overflow = false;
	r = kmod_module_probe_insert_module(
		mod, KMOD_PROBE_DRY_RUN | KMOD_PROBE_IGNORE_LOADED | KMOD_PROBE_IGNORE_COMMAND,
		NULL, NULL, NULL, collect);
	if (r < 0)
		return r;
	if (order.overflow)
		return -E2BIG;
	for (unsigned i = 0; i < order.n; i++) {
		struct kmod_module *dep;
		bool skip;

		if (lookup(m, order.names[i], &dep) < 0)
			return -ENOENT;
		skip = is_builtin(dep) || is_live(m, order.names[i]);
		kmod_module_unref(dep);
		if (skip)
			continue;
		pt_watch_begin("load module", order.names[i], 0);
		r = pt_sysfs_hook_before(PT_IO_INSMOD, order.names[i], NULL);
		if (r >= 0)
			r = h->insmod(h->userdata, order.names[i]);
		pt_watch_end();
		if (r < 0)
			return r;
	}
	return 0;
}

int pt_modules_load(struct pt_modules *m, const char *name, struct pt_module_report *rep)
{
	struct kmod_module *mod;
	const char *shown;
	int r;

	r = pt_modules_check(m, name, rep);
	if (r < 0 || rep->result == PT_MOD_BUILTIN || rep->result == PT_MOD_ALREADY)
		return r;
	r = lookup(m, name, &mod);
	if (r < 0) {
		not_found(m, name, rep);
		return r;
	}
	if (m->sysroot) {
		r = load_rooted(m, mod, rep);
	} else {
		/* install commands in modprobe.d are not run: a boot agent
		 * must not start scripts written for another setup (often
		 * the very vfio-pci-override.sh pt replaces). Options and
		 * soft dependencies are honoured. A module's init can hang:
		 * the supervisor is watching. */
		pt_watch_begin("load module", name, 0);
		r = kmod_module_probe_insert_module(mod, KMOD_PROBE_IGNORE_COMMAND, NULL, NULL,
						    NULL, NULL);
		pt_watch_end();
	}
	if (rep->result == PT_MOD_SKIPPED && rep->error[0]) {
		kmod_module_unref(mod);
		return 0;
	}
	if (r < 0) {
		shown = kmod_module_get_path(mod);
		rep->result = PT_MOD_FAILED;
		if (r == -ENOENT)
			not_found(m, name, rep);
		else if (r == -ENOEXEC)
			snprintf(rep->error, sizeof(rep->error),
				 "cannot load %s (%s): not a module for this kernel, or compressed "
				 "in a format pt was built without",
				 name, shown ? shown : "?");
		else
			snprintf(rep->error, sizeof(rep->error),
				 "cannot load %s: %s; the kernel log says more", name,
				 strerror(-r));
		kmod_module_unref(mod);
		return r;
	}
	rep->result = PT_MOD_LOADED;
	kmod_module_unref(mod);
	return 0;
}

int pt_modules_where(struct pt_modules *m, const char *name, char *path, size_t size)
{
	struct kmod_module *mod;
	const char *p;
	int r;

	r = lookup(m, name, &mod);
	if (r < 0)
		return r;
	if (is_builtin(mod)) {
		kmod_module_unref(mod);
		return 1;
	}
	p = kmod_module_get_path(mod);
	r = p && access(p, F_OK) == 0 ? 0 : -ENOENT;
	if (r == 0)
		pt_strlcpy(path, p, size);
	kmod_module_unref(mod);
	return r;
}

int pt_modules_variant(struct pt_modules *m, const char *vfio_modalias, char *ret_module,
		       size_t size)
{
	struct kmod_list *list = NULL, *l;
	int r, found = 0;

	r = kmod_module_new_from_lookup(m->ctx, vfio_modalias, &list);
	if (r < 0)
		return r;
	kmod_list_foreach(l, list)
	{
		struct kmod_module *mod = kmod_module_get_module(l);
		const char *name = kmod_module_get_name(mod);

		if (!found && !streq(name, "vfio_pci")) {
			pt_strlcpy(ret_module, name, size);
			found = 1;
		}
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	return found;
}

int pt_modules_load_host(struct pt_modules *m, const char *modalias, struct pt_module_report *rep)
{
	struct kmod_list *list = NULL, *filtered = NULL, *l;
	int r, present = 0;

	*rep = (struct pt_module_report){ .result = PT_MOD_SKIPPED };
	r = kmod_module_new_from_lookup(m->ctx, modalias, &list);
	if (r < 0)
		return r;
	r = kmod_module_apply_filter(m->ctx, KMOD_FILTER_BLACKLIST, list, &filtered);
	kmod_module_unref_list(list);
	if (r < 0)
		return r;
	kmod_list_foreach(l, filtered)
	{
		struct kmod_module *mod = kmod_module_get_module(l);
		const char *name = kmod_module_get_name(mod);
		struct pt_module_report one;

		if (strstr(name, "vfio") || streq(name, "pci_stub")) {
			kmod_module_unref(mod);
			continue;
		}
		if (!rep->name[0])
			pt_strlcpy(rep->name, name, sizeof(rep->name));
		if (pt_modules_load(m, name, &one) == 0 && one.result != PT_MOD_SKIPPED) {
			present++;
			rep->result = one.result;
		} else if (one.error[0]) {
			rep->result = PT_MOD_FAILED;
			pt_strlcpy(rep->error, one.error, sizeof(rep->error));
		}
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(filtered);
	return present;
}
