/* SPDX-License-Identifier: MIT */
/* pci.c — lazy model of the PCI functions in sysfs; see pci.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "pci.h"

void pt_pci_init(struct pt_pci *pci, const struct pt_sysfs *sys)
{
	*pci = (struct pt_pci){ .sys = sys };
}

void pt_pci_free(struct pt_pci *pci)
{
	for (size_t i = 0; i < pci->n; i++)
		free(pci->funcs[i]);
	free(pci->funcs);
	pci->funcs = NULL;
	pci->n = pci->cap = 0;
	pci->scanned = false;
}

/* Index of the first function >= addr. */
static size_t lower_bound(const struct pt_pci *pci, const struct pt_addr *addr)
{
	size_t lo = 0, hi = pci->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pt_addr_cmp(&pci->funcs[mid]->addr, addr) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int insert(struct pt_pci *pci, const struct pt_addr *addr, struct pt_pci_func **ret)
{
	size_t at = lower_bound(pci, addr);
	struct pt_pci_func *f;

	if (at < pci->n && pt_addr_cmp(&pci->funcs[at]->addr, addr) == 0) {
		*ret = pci->funcs[at];
		return 0;
	}
	if (pci->n == pci->cap) {
		size_t cap = pci->cap ? pci->cap * 2 : 64;
		struct pt_pci_func **v = realloc(pci->funcs, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		pci->funcs = v;
		pci->cap = cap;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->addr = *addr;
	pt_addr_format(addr, f->name);
	f->iommu_group = -1;
	f->driver = f->override = "";
	memmove(pci->funcs + at + 1, pci->funcs + at, (pci->n - at) * sizeof(*pci->funcs));
	pci->funcs[at] = f;
	pci->n++;
	*ret = f;
	return 0;
}

struct scan_ctx {
	struct pt_pci *pci;
	struct pt_addr *addrs;
	size_t n, cap;
};

static int scan_one(const char *name, void *userdata)
{
	struct scan_ctx *c = userdata;
	struct pt_addr a;

	/* Names the grammar cannot express (five-digit VMD domains) cannot
	 * be selected either; leave them out. */
	if (pt_addr_parse(name, &a) < 0)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct pt_addr *v = realloc(c->addrs, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->addrs = v;
		c->cap = cap;
	}
	c->addrs[c->n++] = a;
	return 0;
}

static int addr_qcmp(const void *a, const void *b)
{
	return pt_addr_cmp(a, b);
}

int pt_pci_scan(struct pt_pci *pci)
{
	struct scan_ctx c = { .pci = pci };
	char path[PATH_MAX];
	int r;

	if (pci->scanned)
		return 0;
	r = pt_sysfs_path(pci->sys, path, sizeof(path), "/sys/bus/pci/devices");
	if (r < 0)
		return r;
	r = pt_sysfs_list(pci->sys, path, scan_one, &c);
	if (r < 0)
		goto out;
	/* Sort once and merge, rather than inserting one by one: the bus of
	 * a host with many virtual functions holds thousands. */
	qsort(c.addrs, c.n, sizeof(*c.addrs), addr_qcmp);
	for (size_t i = 0; i < c.n; i++) {
		struct pt_pci_func *f;

		if (pci->n > 0 && pt_addr_cmp(&pci->funcs[pci->n - 1]->addr, &c.addrs[i]) < 0) {
			/* Fast path: appending in order. */
			if (pci->n == pci->cap) {
				size_t cap = pci->cap ? pci->cap * 2 : 64;
				struct pt_pci_func **v;

				while (cap < c.n)
					cap *= 2;
				v = realloc(pci->funcs, cap * sizeof(*v));
				if (!v) {
					r = -ENOMEM;
					goto out;
				}
				pci->funcs = v;
				pci->cap = cap;
			}
			f = calloc(1, sizeof(*f));
			if (!f) {
				r = -ENOMEM;
				goto out;
			}
			f->addr = c.addrs[i];
			pt_addr_format(&f->addr, f->name);
			f->iommu_group = -1;
			f->driver = f->override = "";
			pci->funcs[pci->n++] = f;
			continue;
		}
		r = insert(pci, &c.addrs[i], &f);
		if (r < 0)
			goto out;
	}
	pci->scanned = true;
	r = 0;
out:
	free(c.addrs);
	return r;
}

/* Take a function looked up in vain back out of the list. */
static void drop(struct pt_pci *pci, struct pt_pci_func *f)
{
	for (size_t i = 0; i < pci->n; i++)
		if (pci->funcs[i] == f) {
			memmove(pci->funcs + i, pci->funcs + i + 1,
				(pci->n - i - 1) * sizeof(*pci->funcs));
			pci->n--;
			free(f);
			return;
		}
}

static int read_modalias(struct pt_pci *pci, const struct pt_pci_func *f, char *buf, size_t size);
static int identity_from(struct pt_pci *pci, struct pt_pci_func *f, int r, const char *modalias);

int pt_pci_get(struct pt_pci *pci, const struct pt_addr *addr, struct pt_pci_func **ret)
{
	size_t at = lower_bound(pci, addr);
	char path[PATH_MAX], buf[128];
	struct pt_pci_func *f;
	int r;

	if (at < pci->n && pt_addr_cmp(&pci->funcs[at]->addr, addr) == 0) {
		*ret = pci->funcs[at];
		return 0;
	}
	if (pci->scanned)
		return -ENODEV;
	r = insert(pci, addr, &f);
	if (r < 0)
		return r;
	/* Every caller wants the identity next: its one read also says
	 * whether the function is there, and only a function without a
	 * modalias is looked for again. */
	f->loaded |= PT_PCI_IDENTITY;
	r = read_modalias(pci, f, buf, sizeof(buf));
	if (r == -ENOENT &&
	    (pt_sysfs_path(pci->sys, path, sizeof(path), "/sys/bus/pci/devices/%s", f->name) < 0 ||
	     !pt_sysfs_exists(pci->sys, path))) {
		drop(pci, f);
		return -ENODEV;
	}
	(void)identity_from(pci, f, r, buf);
	*ret = f;
	return 0;
}

static int hex_exact(const char **p, unsigned digits, uint32_t *ret)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < digits; i++) {
		int h = pt_hexval((*p)[i]);

		if (h < 0)
			return -EBADMSG;
		v = v << 4 | (uint32_t)h;
	}
	*p += digits;
	*ret = v;
	return 0;
}

static int expect(const char **p, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(*p, lit, n) != 0)
		return -EBADMSG;
	*p += n;
	return 0;
}

int pt_pci_parse_modalias(const char *s, struct pt_pci_func *f)
{
	uint32_t v, d, sv, sd, bc, sc, pi;
	const char *p = s;

	if (expect(&p, "pci:v") < 0 || hex_exact(&p, 8, &v) < 0 || expect(&p, "d") < 0 ||
	    hex_exact(&p, 8, &d) < 0 || expect(&p, "sv") < 0 || hex_exact(&p, 8, &sv) < 0 ||
	    expect(&p, "sd") < 0 || hex_exact(&p, 8, &sd) < 0 || expect(&p, "bc") < 0 ||
	    hex_exact(&p, 2, &bc) < 0 || expect(&p, "sc") < 0 || hex_exact(&p, 2, &sc) < 0 ||
	    expect(&p, "i") < 0 || hex_exact(&p, 2, &pi) < 0 || *p != '\0')
		return -EBADMSG;
	if (v > 0xffff || d > 0xffff || sv > 0xffff || sd > 0xffff)
		return -EBADMSG;
	f->vendor = (uint16_t)v;
	f->device = (uint16_t)d;
	f->subvendor = (uint16_t)sv;
	f->subdevice = (uint16_t)sd;
	f->class = bc << 16 | sc << 8 | pi;
	return 0;
}

void pt_pci_modalias(const struct pt_pci_func *f, const char *prefix, char *buf, size_t size)
{
	/* "%sv%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", without printf. */
	char tmp[128], *p;
	size_t plen = strlen(prefix);

	if (plen > sizeof(tmp) - 64)
		plen = sizeof(tmp) - 64;
	memcpy(tmp, prefix, plen);
	p = tmp + plen;
	*p++ = 'v';
	p = pt_hex(p, f->vendor, 8, true);
	*p++ = 'd';
	p = pt_hex(p, f->device, 8, true);
	*p++ = 's';
	*p++ = 'v';
	p = pt_hex(p, f->subvendor, 8, true);
	*p++ = 's';
	*p++ = 'd';
	p = pt_hex(p, f->subdevice, 8, true);
	*p++ = 'b';
	*p++ = 'c';
	p = pt_hex(p, (f->class >> 16) & 0xffu, 2, true);
	*p++ = 's';
	*p++ = 'c';
	p = pt_hex(p, (f->class >> 8) & 0xffu, 2, true);
	*p++ = 'i';
	p = pt_hex(p, f->class & 0xffu, 2, true);
	*p = '\0';
	pt_strlcpy(buf, tmp, size);
}

/* Read a "0x10de"-style attribute. The kernel always prints the full
 * width, so anything shorter is a truncated file, not a small number. */
static int read_hex_attr(struct pt_pci *pci, const struct pt_pci_func *f, const char *attr,
			 unsigned digits, uint32_t *ret)
{
	char path[PATH_MAX], buf[32];
	const char *p;
	unsigned n;
	int r;

	r = pt_sysfs_path(pci->sys, path, sizeof(path), "/sys/bus/pci/devices/%s/%s", f->name,
			  attr);
	if (r < 0)
		return r;
	r = pt_sysfs_read(pci->sys, path, buf, sizeof(buf));
	if (r < 0)
		return r;
	if (strncmp(buf, "0x", 2) != 0)
		return -EBADMSG;
	p = buf + 2;
	n = (unsigned)strlen(p);
	if (n != digits)
		return -EBADMSG;
	return hex_exact(&p, n, ret);
}

static int read_modalias(struct pt_pci *pci, const struct pt_pci_func *f, char *buf, size_t size)
{
	char path[PATH_MAX];
	int r;

	r = pt_sysfs_path(pci->sys, path, sizeof(path), "/sys/bus/pci/devices/%s/modalias",
			  f->name);
	return r < 0 ? r : pt_sysfs_read(pci->sys, path, buf, size);
}

/* The identity from modalias as read (r its result), else from the
 * separate attributes. */
static int identity_from(struct pt_pci *pci, struct pt_pci_func *f, int r, const char *modalias)
{
	static const char *const attrs[] = { "vendor", "device", "subsystem_vendor",
					     "subsystem_device", "class" };
	uint32_t v[5];

	if (r >= 0 && pt_pci_parse_modalias(modalias, f) >= 0)
		return 0;

	for (size_t i = 0; i < ELEMENTSOF(attrs); i++) {
		r = read_hex_attr(pci, f, attrs[i], i == 4 ? 6 : 4, &v[i]);
		if (r < 0) {
			f->id_err = r;
			f->id_err_attr = attrs[i];
			return r;
		}
	}
	f->vendor = (uint16_t)v[0];
	f->device = (uint16_t)v[1];
	f->subvendor = (uint16_t)v[2];
	f->subdevice = (uint16_t)v[3];
	f->class = v[4];
	return 0;
}

int pt_pci_load_identity(struct pt_pci *pci, struct pt_pci_func *f)
{
	char buf[128];

	if (f->loaded & PT_PCI_IDENTITY)
		return f->id_err;
	f->loaded |= PT_PCI_IDENTITY;
	return identity_from(pci, f, read_modalias(pci, f, buf, sizeof(buf)), buf);
}

int pt_pci_reload_driver(struct pt_pci *pci, struct pt_pci_func *f)
{
	char path[PATH_MAX], name[PT_DRIVER_MAX];
	const char *driver;
	int r;

	r = pt_sysfs_path(pci->sys, path, sizeof(path), "/sys/bus/pci/devices/%s/driver", f->name);
	if (r < 0)
		return r;
	r = pt_sysfs_link_name(pci->sys, path, name, sizeof(name));
	f->driver = "";
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	driver = pt_intern(name);
	if (!driver)
		return -ENOMEM;
	f->driver = driver;
	return 0;
}

static int state_fail(struct pt_pci_func *f, const char *attr, int r)
{
	f->state_err = r;
	f->state_err_attr = attr;
	return r;
}

int pt_pci_load_state(struct pt_pci *pci, struct pt_pci_func *f)
{
	char path[PATH_MAX], buf[PT_DRIVER_MAX + 8];
	char *end;
	long g;
	int r;

	if (f->loaded & PT_PCI_STATE)
		return f->state_err;
	f->loaded |= PT_PCI_STATE;

	r = pt_pci_reload_driver(pci, f);
	if (r < 0)
		return state_fail(f, "driver", r);

	r = pt_sysfs_path(pci->sys, path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
			  f->name);
	if (r < 0)
		return state_fail(f, "driver_override", r);
	r = pt_sysfs_read(pci->sys, path, buf, sizeof(buf));
	if (r < 0 && r != -ENOENT)
		return state_fail(f, "driver_override", r);
	/* The kernel shows an unset override as "(null)". */
	f->override = "";
	if (r >= 0 && !streq(buf, "(null)")) {
		const char *override = pt_intern(buf);

		if (!override)
			return state_fail(f, "driver_override", -ENOMEM);
		f->override = override;
	}

	r = pt_sysfs_path(pci->sys, path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
			  f->name);
	if (r < 0)
		return state_fail(f, "iommu_group", r);
	r = pt_sysfs_link_name(pci->sys, path, buf, sizeof(buf));
	if (r == -ENOENT) {
		f->iommu_group = -1;
	} else if (r < 0) {
		return state_fail(f, "iommu_group", r);
	} else {
		errno = 0;
		g = strtol(buf, &end, 10);
		if (errno || *end || end == buf || g < 0 || g > 0x7fffffff)
			return state_fail(f, "iommu_group", -EBADMSG);
		f->iommu_group = (int)g;
	}

	/* Only VGA-class functions have boot_vga (the kernel's pci_is_vga():
	 * class 03:00, or 00:01 from before class codes): no lookup for the
	 * others, when their class is known. */
	f->boot_vga = false;
	if ((f->loaded & PT_PCI_IDENTITY) && !f->id_err && (f->class >> 16) != 0x03 &&
	    (f->class >> 8) != 0x0001)
		return 0;
	r = pt_sysfs_path(pci->sys, path, sizeof(path), "/sys/bus/pci/devices/%s/boot_vga",
			  f->name);
	if (r < 0)
		return state_fail(f, "boot_vga", r);
	r = pt_sysfs_read(pci->sys, path, buf, sizeof(buf));
	f->boot_vga = r >= 0 && streq(buf, "1");
	return 0;
}

void pt_pci_load_header(struct pt_pci *pci, struct pt_pci_func *f)
{
	char path[PATH_MAX];
	uint8_t head[64];
	unsigned sub = (f->class >> 8) & 0xffu;
	int r;

	if (f->loaded & PT_PCI_HEADER)
		return;
	f->loaded |= PT_PCI_HEADER;
	r = pt_sysfs_path(pci->sys, path, sizeof(path), "/sys/bus/pci/devices/%s/config", f->name);
	if (r >= 0)
		r = pt_sysfs_read_head(pci->sys, path, head, sizeof(head));
	/* Byte 0x0e: the header layout in bits 0-6, multi-function in bit 7. */
	if (r > 0x0e) {
		f->hdr_type = head[0x0e] & 0x7f;
		f->hdr_guessed = false;
		return;
	}
	f->hdr_guessed = true;
	f->hdr_type = 0;
	if (!f->id_err && (f->class >> 16) == 0x06)
		f->hdr_type = sub == 0x04 || sub == 0x09 ? 1 : sub == 0x07 ? 2 : 0;
}

int pt_pci_group_list(struct pt_pci *pci, int group, pt_sysfs_dir_fn fn, void *userdata)
{
	char path[PATH_MAX];
	int r;

	r = pt_sysfs_path(pci->sys, path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices",
			  group);
	if (r < 0)
		return r;
	return pt_sysfs_list(pci->sys, path, fn, userdata);
}

static int found_one(const char *name _unused_, void *userdata)
{
	*(int *)userdata = 1;
	return -ECANCELED; /* one is enough to know the IOMMU is on */
}

int pt_pci_iommu_on(const struct pt_sysfs *sys)
{
	char path[PATH_MAX];
	int r, n = 0;

	r = pt_sysfs_path(sys, path, sizeof(path), "/sys/kernel/iommu_groups");
	if (r < 0)
		return r;
	r = pt_sysfs_list(sys, path, found_one, &n);
	if (r == -ENOENT)
		return 0;
	if (r == -ECANCELED)
		return n;
	return r < 0 ? r : n;
}

static int count_all(const char *name _unused_, void *userdata)
{
	(*(int *)userdata)++;
	return 0;
}

int pt_pci_iommu_group_count(const struct pt_sysfs *sys)
{
	char path[PATH_MAX];
	int r, n = 0;

	r = pt_sysfs_path(sys, path, sizeof(path), "/sys/kernel/iommu_groups");
	if (r < 0)
		return r;
	r = pt_sysfs_list(sys, path, count_all, &n);
	if (r == -ENOENT)
		return 0;
	return r < 0 ? r : n;
}
