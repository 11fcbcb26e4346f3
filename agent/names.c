/* SPDX-License-Identifier: MIT */
/* names.c — vendor, device and class names from the caller's lookup; see names.h. */
#include <stdio.h>

#include "names.h"

const char *pt_names_lookup(const struct pt_names *nm, enum pt_name_kind k, unsigned a, unsigned b,
			    char *buf, size_t size)
{
	const char *r;

	if (!nm || !nm->lookup)
		return NULL;
	r = nm->lookup(nm->userdata, k, a, b, buf, size);
	return r && *r ? r : NULL;
}

/* "NVIDIA Corporation TU106 [GeForce RTX 2060] [10de:1f08]", as lspci -nn
 * prints it, or "10de:1f08" without a name. */
void pt_names_id(const struct pt_names *nm, uint16_t vendor, uint16_t device, char *buf,
		 size_t size)
{
	char vb[128], db[256];
	const char *v = pt_names_lookup(nm, PT_NAME_VENDOR, vendor, 0, vb, sizeof(vb));
	const char *d =
		v ? pt_names_lookup(nm, PT_NAME_DEVICE, vendor, device, db, sizeof(db)) : NULL;

	if (v && d)
		snprintf(buf, size, "%s %s [%04x:%04x]", v, d, vendor, device);
	else if (v)
		snprintf(buf, size, "%s device [%04x:%04x]", v, vendor, device);
	else
		snprintf(buf, size, "%04x:%04x", vendor, device);
}

/* "VGA compatible controller [0300]", or "class 0300". */
void pt_names_class(const struct pt_names *nm, uint32_t class, char *buf, size_t size)
{
	char cb[128];
	const char *c =
		pt_names_lookup(nm, PT_NAME_CLASS, (class >> 8) & 0xffffu, 0, cb, sizeof(cb));

	if (c)
		snprintf(buf, size, "%s [%04x]", c, (class >> 8) & 0xffffu);
	else
		snprintf(buf, size, "class %04x", (class >> 8) & 0xffffu);
}
