/* SPDX-License-Identifier: MIT */
/*
 * vmconf.h — one VM of pt-vm: /etc/pt/vm/NAME.conf, in pt.conf's key = value
 * syntax (config.h's pt_kv_parse), parsed into struct pt_vmconf. Pure: text
 * in, settings and diagnostics (naming the file and line) out.
 *
 * Keys: devices, wait, x_vga, machine, accel, firmware, ovmf_code,
 * ovmf_vars_template, usb, disk, disk_bus, user, memory, cpus, qemu, extra.
 * disk, usb and extra may be repeated (their values add up); any other
 * repeated key takes its last value. See pt-vm(8).
 */
#ifndef PT_VMCONF_H
#define PT_VMCONF_H

#include <stdbool.h>
#include <stdint.h>

#include "spec.h"
#include "util.h"

#define PT_VM_NAME_MAX 64
#define PT_VM_CONF_DIR "/etc/pt/vm"
#define PT_VM_STATE_DIR "/var/lib/pt/vm"
#define PT_VM_MAX_USB 16
#define PT_VM_MAX_DISKS 8
#define PT_VM_MAX_EXTRA 256
#define PT_VM_MEMORY_DEFAULT_MIB 1024u
#define PT_VM_CPUS_MAX 1024u
#define PT_VM_WAIT_MAX_S 3600u
#define PT_VM_WAIT_DEFAULT_S 30u

enum pt_vm_firmware { PT_VM_FW_BIOS, PT_VM_FW_OVMF };
enum pt_vm_machine { PT_VM_Q35, PT_VM_PC };
enum pt_vm_disk_bus { PT_VM_DISK_VIRTIO, PT_VM_DISK_SATA };

struct pt_vm_usb {
	uint16_t vendor, product;
	bool any_product; /* "0416": every product of the vendor */
};

struct pt_vmconf {
	char name[PT_VM_NAME_MAX + 1];
	char *devices; /* NULL: every device of this boot's state file */
	struct pt_spec spec;
	unsigned wait_s;
	bool x_vga;
	enum pt_vm_machine machine;
	char *accel; /* "kvm" unless set */
	enum pt_vm_firmware firmware;
	char *ovmf_code;	  /* NULL: search */
	char *ovmf_vars_template; /* NULL: search (beside the CODE found) */
	struct pt_vm_usb usb[PT_VM_MAX_USB];
	unsigned n_usb;
	char *disks[PT_VM_MAX_DISKS];
	unsigned n_disks;
	enum pt_vm_disk_bus disk_bus;
	char *user; /* NULL: whoever runs pt-vm */
	uint64_t memory_mib;
	unsigned cpus;
	char *qemu; /* binary; "qemu-system-x86_64" unless set */
	char *extra[PT_VM_MAX_EXTRA];
	unsigned n_extra;
};

/* Is this a VM name pt-vm accepts (letters, digits, '_', '-', '.'; not
 * starting with '.'; at most PT_VM_NAME_MAX)? It becomes a path part. */
bool pt_vm_name_valid(const char *name);

void pt_vmconf_init(struct pt_vmconf *c, const char *name);
void pt_vmconf_free(struct pt_vmconf *c);

/*
 * Parse a VM file's text. Errors (bad values, unknown keys: a launcher
 * must not guess what a typo meant) go to diag naming `path` and the line;
 * returns 0 when there are none, -EINVAL when there are, -ENOMEM.
 */
int pt_vmconf_parse(const char *text, size_t len, const char *path, struct pt_vmconf *ret,
		    struct pt_diag *diag) _must_check_;

/* Read and parse the file at `path` (rooted); `shown` names it. */
int pt_vmconf_read(const char *path, const char *shown, struct pt_vmconf *ret,
		   struct pt_diag *diag) _must_check_;

#endif
