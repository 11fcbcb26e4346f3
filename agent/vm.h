/* SPDX-License-Identifier: MIT */
/*
 * vm.h — what pt-vm decides for one VM, apart from running it: which of
 * pt's bound devices go to it (and the -device vfio-pci arguments, made by
 * qemuargs.h's pt_qemu_args, the code behind `pt-status qemu-args`), the
 * OVMF CODE and this VM's own VARS file, the USB devices present, the
 * disks, and the QEMU command line. Every finding is a check: one line,
 * ok or not, naming what it looked at and, when not ok, what to do.
 *
 * Paths are read under the sysroot (fixture trees). Running QEMU, dropping
 * privileges and the open tests as the VM's user live in pt-vm.c.
 */
#ifndef PT_VM_H
#define PT_VM_H

#include <stdbool.h>
#include <sys/types.h>

#include "groups.h"
#include "qemuargs.h"
#include "status.h"
#include "sysfs.h"
#include "vmconf.h"

#define PT_VM_VARS_NAME "OVMF_VARS.fd"

struct pt_vm_check {
	bool ok;
	char *what; /* "device 0000:00:03.0", "disk /dev/disk/by-id/..." */
	char *text;
};

struct pt_vm_usbdev {
	uint16_t vendor, product;
	unsigned bus, devnum;
};

struct pt_vm {
	const struct pt_sysfs *sys;
	const struct pt_vmconf *conf;

	/* the devices: views of conf's selection in the status */
	const struct pt_sview **sel;
	size_t n_sel;
	char **vfio_args; /* "vfio-pci,host=...", from pt_qemu_args */
	size_t n_vfio_args;
	char (*nodes)[32]; /* /dev/vfio/N of the selected devices' groups, and /dev/vfio/vfio */
	size_t n_nodes;

	char ovmf_code[PATH_MAX / 4];
	char ovmf_template[PATH_MAX / 4];
	char vars[PATH_MAX / 4]; /* /var/lib/pt/vm/NAME/OVMF_VARS.fd (not rooted) */
	bool vars_exists;

	struct pt_vm_usbdev usb[64];
	size_t n_usb;

	struct pt_vm_check *checks;
	size_t n_checks;
	bool oom;

	char **argv; /* the QEMU command, NULL-terminated */
	size_t argc;
};

/*
 * Look at everything but the node opens and the memory-lock limit (pt-vm.c
 * adds those, as the VM's user): fills v with checks and, when every check
 * passed, argv. s is a collected status (pt_status_collect). Returns 0 or
 * -ENOMEM.
 */
int pt_vm_plan(struct pt_vm *v, const struct pt_sysfs *sys, const struct pt_vmconf *c,
	       const struct pt_status *s) _must_check_;
void pt_vm_free(struct pt_vm *v);

/* Append a check (text formatted). */
void pt_vm_add_check(struct pt_vm *v, bool ok, const char *what, const char *fmt, ...)
	_printf_(4, 5);
/* Did every check pass? */
bool pt_vm_ok(const struct pt_vm *v);

/*
 * Are the selected devices ready (for `wait =`): a state file of this
 * boot, and each selected device on vfio with its node present?
 */
bool pt_vm_devices_ready(const struct pt_vmconf *c, const struct pt_status *s);

/*
 * This VM's VARS: create it from the template when it does not exist
 * (never overwriting: a link(2) of a finished copy), owned by uid:gid
 * (-1: unchanged). With reset, an existing file is first renamed to
 * OVMF_VARS.fd.old-YYYYmmdd-HHMMSS (kept). msg says what was done.
 * Returns 0 or -errno.
 */
int pt_vm_vars_prepare(struct pt_vm *v, bool reset, uid_t uid, gid_t gid, char *msg,
		       size_t size) _must_check_;

/*
 * udev rules giving `group` read-write access to the VM's USB devices
 * (by idVendor/idProduct), appended to out.
 */
void pt_vm_udev_rules(const struct pt_vmconf *c, const char *group, struct pt_buf *out);

/* The command as one shell-quoted line. */
void pt_vm_command_line(const struct pt_vm *v, struct pt_buf *out);

#endif
