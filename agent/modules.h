/* SPDX-License-Identifier: MIT */
/*
 * modules.h — kernel modules, through libkmod (the only file that uses it):
 * find and load vfio-pci with its dependencies and the modprobe.d
 * configuration, and find a vfio *variant* driver for a device from the
 * `vfio_pci:` aliases in modules.alias.
 *
 * With a sysroot, the modules directory and modprobe.d come from the
 * sysroot, and nothing is ever loaded into the running kernel: the test
 * hook (sysfs.h, PT_IO_INSMOD) stands in for the kernel, and without one
 * the module is reported "skipped".
 */
#ifndef PT_MODULES_H
#define PT_MODULES_H

#include <stddef.h>

#include "sysfs.h"
#include "util.h"

enum pt_mod_result {
	PT_MOD_LOADED,
	PT_MOD_BUILTIN,
	PT_MOD_ALREADY,
	PT_MOD_FAILED,
	PT_MOD_SKIPPED,
};

#define PT_MOD_NAME_MAX 64

struct pt_module_report {
	char name[PT_MOD_NAME_MAX];
	enum pt_mod_result result;
	char error[256];
	/* The file it is loaded from, as the running system names it
	 * ("/lib/modules/KVER/kernel/.../vfio-pci.ko.xz"); "" when it is
	 * built in, loaded already or not found. */
	char path[256];
};

struct pt_modules;

/*
 * Open the modules directory of the running kernel (release from
 * /proc/sys/kernel/osrelease under the sysroot, else uname). Never fails
 * for a missing directory: lookups then report "not found". -ENOMEM only.
 */
int pt_modules_new(const struct pt_sysfs *sys, struct pt_modules **ret) _must_check_;
void pt_modules_free(struct pt_modules *m);

/*
 * Open the modules directory `moddir` (an initramfs generator's target
 * kernel, as a plain path: not under the sysroot), with the host's
 * modprobe.d. For building images; nothing is ever loaded from it.
 */
int pt_modules_new_dir(const struct pt_sysfs *sys, const char *moddir,
		       struct pt_modules **ret) _must_check_;

/*
 * Where module `name` is: 0 and its file's path, 1 when it is built into
 * the kernel, -ENOENT when the modules directory has no such module.
 */
int pt_modules_where(struct pt_modules *m, const char *name, char *path, size_t size);

/* "/lib/modules/6.1.0-21-amd64", as a user would look for it. */
const char *pt_modules_dir(const struct pt_modules *m);

/*
 * Can `name` be had: built in, loaded, or present in the modules
 * directory? Returns 0, or -ENOENT with rep->error saying what to do.
 * rep->result is BUILTIN or ALREADY when that is known already.
 */
int pt_modules_check(struct pt_modules *m, const char *name, struct pt_module_report *rep);

/* Load `name` and its dependencies. Fills rep. Returns 0 or -errno. */
int pt_modules_load(struct pt_modules *m, const char *name, struct pt_module_report *rep);

/*
 * The variant driver module for a device, from its "vfio_pci:..." modalias
 * (vfio-pci's own catch-all alias left out). Returns 1 and the module name,
 * 0 when there is none, or -errno.
 */
int pt_modules_variant(struct pt_modules *m, const char *vfio_modalias, char *ret_module,
		       size_t size);

/*
 * Load the host drivers for a device, from its "pci:..." modalias, as udev
 * would: modprobe.d blacklists apply, vfio modules are left out. Returns
 * the number of modules that are now present (loaded, already or built
 * in), or -errno; names of failures go to rep->error.
 */
int pt_modules_load_host(struct pt_modules *m, const char *modalias, struct pt_module_report *rep);

/* The PCI driver name a vfio module registers: "vfio_pci" → "vfio-pci";
 * variant drivers are named after their modules. */
void pt_modules_driver_name(const char *module, char *buf, size_t size);

const char *pt_mod_result_name(enum pt_mod_result r);

#endif
