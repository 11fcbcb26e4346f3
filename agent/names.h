/* SPDX-License-Identifier: MIT */
/*
 * names.h — vendor, device and class names. The lookup is the caller's
 * (pt-status.c wraps libpci's ID database); nothing here links libpci.
 */
#ifndef PT_NAMES_H
#define PT_NAMES_H

#include <stddef.h>
#include <stdint.h>

enum pt_name_kind {
	PT_NAME_VENDOR, /* a = vendor */
	PT_NAME_DEVICE, /* a = vendor, b = device */
	PT_NAME_CLASS,	/* a = class >> 8 (base class and subclass) */
};

/* Fill buf with the name and return it, or return NULL when unknown. */
struct pt_names {
	const char *(*lookup)(void *userdata, enum pt_name_kind kind, unsigned a, unsigned b,
			      char *buf, size_t size);
	void *userdata;
};

/* The name, or NULL when unknown (nm may be NULL). */
const char *pt_names_lookup(const struct pt_names *nm, enum pt_name_kind k, unsigned a, unsigned b,
			    char *buf, size_t size);

/* "NVIDIA Corporation TU106 [GeForce RTX 2060] [10de:1f08]", as lspci -nn
 * prints it, or "10de:1f08" without a name. */
void pt_names_id(const struct pt_names *nm, uint16_t vendor, uint16_t device, char *buf,
		 size_t size);

/* "VGA compatible controller [0300]", or "class 0300". */
void pt_names_class(const struct pt_names *nm, uint32_t class, char *buf, size_t size);

#endif
