/* SPDX-License-Identifier: MIT */
/* vmconf.c — pt-vm's VM files; see vmconf.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "vmconf.h"
#include "vmhost.h"

bool pt_vm_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > PT_VM_NAME_MAX || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

void pt_vmconf_init(struct pt_vmconf *c, const char *name)
{
	*c = (struct pt_vmconf){
		.wait_s = PT_VM_WAIT_DEFAULT_S,
		.memory_mib = PT_VM_MEMORY_DEFAULT_MIB,
		.cpus = 1,
	};
	pt_strlcpy(c->name, name ? name : "", sizeof(c->name));
}

void pt_vmconf_free(struct pt_vmconf *c)
{
	free(c->devices);
	free(c->accel);
	free(c->ovmf_code);
	free(c->ovmf_vars_template);
	for (unsigned i = 0; i < c->n_disks; i++)
		free(c->disks[i]);
	free(c->user);
	free(c->qemu);
	for (unsigned i = 0; i < c->n_extra; i++)
		free(c->extra[i]);
	pt_vmconf_init(c, c->name);
}

static bool parse_uint(const char *v, unsigned max, unsigned *ret)
{
	unsigned long n = 0;

	if (!*v)
		return false;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		n = n * 10 + (unsigned)(*p - '0');
		if (n > max)
			return false;
	}
	*ret = (unsigned)n;
	return true;
}

static bool parse_bool(const char *v, bool *ret)
{
	if (streq(v, "1") || streq(v, "yes") || streq(v, "true") || streq(v, "on")) {
		*ret = true;
		return true;
	}
	if (streq(v, "0") || streq(v, "no") || streq(v, "false") || streq(v, "off")) {
		*ret = false;
		return true;
	}
	return false;
}

static int hex16(const char *s, size_t n, uint16_t *ret)
{
	unsigned v = 0;

	if (n != 4)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int d = pt_hexval((unsigned char)s[i]);

		if (d < 0)
			return -EINVAL;
		v = v * 16 + (unsigned)d;
	}
	*ret = (uint16_t)v;
	return 0;
}

/* "046d:c539, 0416" */
static int parse_usb(struct pt_vmconf *c, const char *v, const char *where, struct pt_diag *diag)
{
	const char *p = v;

	while (*p) {
		const char *e;
		size_t n;
		struct pt_vm_usb u = { 0 };

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		for (e = p; *e && *e != ',' && *e != ' ' && *e != '\t'; e++)
			;
		n = (size_t)(e - p);
		if (n == 4) {
			u.any_product = true;
			if (hex16(p, 4, &u.vendor) < 0)
				goto bad;
		} else if (n == 9 && p[4] == ':') {
			if (hex16(p, 4, &u.vendor) < 0 || hex16(p + 5, 4, &u.product) < 0)
				goto bad;
		} else {
			goto bad;
		}
		if (c->n_usb == PT_VM_MAX_USB) {
			pt_diag_error(diag, "%s: more than %d USB devices", where, PT_VM_MAX_USB);
			return -EINVAL;
		}
		c->usb[c->n_usb++] = u;
		p = e;
		continue;
bad:
		pt_diag_error(diag,
			      "%s: '%.*s' is not a USB id: write vendor:product (046d:c539) or "
			      "vendor (046d) in hex, as lsusb shows them",
			      where, (int)(n > 40 ? 40 : n), p);
		return -EINVAL;
	}
	return 0;
}

/* Blank-separated words; a word in double quotes may hold blanks. */
static int parse_extra(struct pt_vmconf *c, const char *v, const char *where, struct pt_diag *diag)
{
	const char *p = v;

	for (;;) {
		const char *s, *e;
		char *w;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return 0;
		if (*p == '"') {
			s = ++p;
			e = strchr(s, '"');
			if (!e) {
				pt_diag_error(diag, "%s: a '\"' is not closed", where);
				return -EINVAL;
			}
			p = e + 1;
		} else {
			s = p;
			while (*p && *p != ' ' && *p != '\t')
				p++;
			e = p;
		}
		if (c->n_extra == PT_VM_MAX_EXTRA) {
			pt_diag_error(diag, "%s: more than %d words", where, PT_VM_MAX_EXTRA);
			return -EINVAL;
		}
		w = strndup(s, (size_t)(e - s));
		if (!w)
			return -ENOMEM;
		c->extra[c->n_extra++] = w;
	}
}

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static const char *const keys[] = { "devices", "wait",	   "x_vga",	"machine",
				    "accel",   "firmware", "ovmf_code", "ovmf_vars_template",
				    "usb",     "disk",	   "disk_bus",	"user",
				    "memory",  "cpus",	   "qemu",	"extra" };

static int vm_kv(void *userdata, const char *key, const char *value, const struct pt_origin *org,
		 struct pt_diag *diag)
{
	struct pt_vmconf *c = userdata;
	struct pt_spec_error serr;
	char where[PT_VM_NAME_MAX + 160];
	bool known = false;

	snprintf(where, sizeof(where), "%s line %u: %s", org->file, org->line, key);
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		known |= streq(key, keys[i]);
	if (!known) {
		const char *best = NULL;
		unsigned best_d = 3;

		for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
			unsigned d = pt_edit_distance(key, keys[i]);

			if (d < best_d)
				best_d = d, best = keys[i];
		}
		pt_diag_error(diag, "%s line %u: unknown key '%s'%s%s%s", org->file, org->line, key,
			      best ? " (did you mean '" : "", best ? best : "",
			      best ? "'?)" : "; see pt-vm(8)");
		return 0;
	}
	if (!value || !*value) {
		pt_diag_error(diag, "%s: needs a value ('%s = ...')", where, key);
		return 0;
	}
	if (streq(key, "devices")) {
		if (pt_spec_parse(value, &c->spec, &serr) < 0) {
			pt_diag_error(diag, "%s: column %u: %s", where, serr.column, serr.msg);
			return 0;
		}
		return set_str(&c->devices, value);
	}
	if (streq(key, "wait")) {
		if (!parse_uint(value, PT_VM_WAIT_MAX_S, &c->wait_s))
			pt_diag_error(diag, "%s: '%s' is not a number of seconds (0 to %u)", where,
				      value, PT_VM_WAIT_MAX_S);
		return 0;
	}
	if (streq(key, "x_vga")) {
		if (!parse_bool(value, &c->x_vga))
			pt_diag_error(diag, "%s: '%s' is not yes or no", where, value);
		return 0;
	}
	if (streq(key, "machine")) {
		if (streq(value, "q35"))
			c->machine = PT_VM_Q35;
		else if (streq(value, "pc"))
			c->machine = PT_VM_PC;
		else
			pt_diag_error(diag, "%s: '%s' is not q35 or pc", where, value);
		return 0;
	}
	if (streq(key, "accel")) {
		if (!streq(value, "kvm") && !streq(value, "tcg")) {
			pt_diag_error(diag, "%s: '%s' is not kvm or tcg", where, value);
			return 0;
		}
		return set_str(&c->accel, value);
	}
	if (streq(key, "firmware")) {
		if (streq(value, "ovmf") || streq(value, "uefi"))
			c->firmware = PT_VM_FW_OVMF;
		else if (streq(value, "bios") || streq(value, "seabios"))
			c->firmware = PT_VM_FW_BIOS;
		else
			pt_diag_error(diag, "%s: '%s' is not ovmf or bios", where, value);
		return 0;
	}
	if (streq(key, "ovmf_code") || streq(key, "ovmf_vars_template")) {
		if (value[0] != '/') {
			pt_diag_error(diag, "%s: '%s' is not an absolute path", where, value);
			return 0;
		}
		return set_str(streq(key, "ovmf_code") ? &c->ovmf_code : &c->ovmf_vars_template,
			       value);
	}
	if (streq(key, "usb")) {
		int r = parse_usb(c, value, where, diag);

		return r == -ENOMEM ? r : 0;
	}
	if (streq(key, "disk")) {
		if (value[0] != '/') {
			pt_diag_error(diag, "%s: '%s' is not an absolute path", where, value);
			return 0;
		}
		if (c->n_disks == PT_VM_MAX_DISKS) {
			pt_diag_error(diag, "%s: more than %d disks", where, PT_VM_MAX_DISKS);
			return 0;
		}
		c->disks[c->n_disks] = strdup(value);
		if (!c->disks[c->n_disks])
			return -ENOMEM;
		c->n_disks++;
		return 0;
	}
	if (streq(key, "disk_bus")) {
		if (streq(value, "virtio"))
			c->disk_bus = PT_VM_DISK_VIRTIO;
		else if (streq(value, "sata"))
			c->disk_bus = PT_VM_DISK_SATA;
		else
			pt_diag_error(diag, "%s: '%s' is not virtio or sata", where, value);
		return 0;
	}
	if (streq(key, "user"))
		return set_str(&c->user, value);
	if (streq(key, "memory")) {
		if (!pt_size_parse_mib(value, &c->memory_mib))
			pt_diag_error(diag,
				      "%s: '%s' is not a size such as 8G or 4096M (MiB when no "
				      "unit)",
				      where, value);
		return 0;
	}
	if (streq(key, "cpus")) {
		if (!parse_uint(value, PT_VM_CPUS_MAX, &c->cpus) || c->cpus == 0)
			pt_diag_error(diag, "%s: '%s' is not a number of CPUs (1 to %u)", where,
				      value, PT_VM_CPUS_MAX);
		return 0;
	}
	if (streq(key, "qemu"))
		return set_str(&c->qemu, value);
	/* extra */
	{
		int r = parse_extra(c, value, where, diag);

		return r == -ENOMEM ? r : 0;
	}
}

int pt_vmconf_parse(const char *text, size_t len, const char *path, struct pt_vmconf *ret,
		    struct pt_diag *diag)
{
	size_t errors = diag->n_errors;
	int r;

	r = pt_kv_parse(text, len, path, vm_kv, ret, diag);
	if (r == -ENOMEM || diag->oom)
		return -ENOMEM;
	if (r < 0 || diag->n_errors > errors)
		return -EINVAL;
	return 0;
}

int pt_vmconf_read(const char *path, const char *shown, struct pt_vmconf *ret, struct pt_diag *diag)
{
	size_t errors = diag->n_errors;
	int r;

	r = pt_kv_read(path, shown, vm_kv, ret, diag);
	if (r == -ENOMEM || diag->oom)
		return -ENOMEM;
	if (r < 0)
		return r;
	return diag->n_errors > errors ? -EINVAL : 0;
}
