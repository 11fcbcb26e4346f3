/* SPDX-License-Identifier: MIT */
/*
 * fb.h — the boot framebuffer (efifb, vesafb, simplefb, simpledrm; "BOOTFB"
 * where the kernel's sysfb registers it) sitting in the BARs of a GPU that
 * is to go to vfio. While it claims the memory, vfio-pci cannot reserve
 * the BAR for the guest (QEMU: "BAR 0: can't reserve"). Since Linux 6.0
 * vfio-pci removes it itself when it binds a VGA device; pt releases it
 * first anyway (older kernels, and so that the state file says what
 * happened), or with pt.fb=keep leaves it — and then does not bind that
 * GPU, since binding would take the console away regardless.
 */
#ifndef PT_FB_H
#define PT_FB_H

#include <stddef.h>
#include <stdint.h>

#include "pci.h"
#include "sysfs.h"

#define PT_FB_MAX 8

struct pt_fb_claim {
	uint64_t start, end; /* inclusive, as /proc/iomem shows them */
	char name[48];
};

/* The boot framebuffer claims in <sysroot>/proc/iomem (all zero addresses
 * when not read as root: then none are reported). */
int pt_fb_find(const struct pt_sysfs *sys, struct pt_fb_claim *ret, size_t max, size_t *ret_n);

/* Parse /proc/iomem text (pure). */
size_t pt_fb_parse_iomem(const char *text, struct pt_fb_claim *ret, size_t max);

/* Does a claim lie in one of f's memory BARs? Returns the BAR number, or
 * -1; -errno when the resource file cannot be read. */
int pt_fb_overlap(const struct pt_sysfs *sys, const struct pt_pci_func *f,
		  const struct pt_fb_claim *c);

/*
 * Release the boot framebuffer: unbind the virtual consoles bound to a
 * frame buffer device (fbcon), then the platform framebuffer devices
 * (efi-framebuffer.N, vesa-framebuffer.N, simple-framebuffer.N) from
 * their drivers. `what` lists what was let go. Returns the number of
 * devices released, or -errno of the first failure.
 */
int pt_fb_release(const struct pt_sysfs *sys, unsigned timeout_ms, char *what, size_t size);

#endif
