/* SPDX-License-Identifier: MIT */
/* fb.c — the boot framebuffer; see fb.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "fb.h"

/* Resource names of boot framebuffers in /proc/iomem. */
static const char *const fb_names[] = {
	"BOOTFB",    "efifb",		"vesafb",	    "simplefb", "simple-framebuffer",
	"simpledrm", "efi-framebuffer", "vesa-framebuffer",
};

static bool is_fb_name(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(fb_names); i++)
		if (strcasecmp(name, fb_names[i]) == 0)
			return true;
	return false;
}

size_t pt_fb_parse_iomem(const char *text, struct pt_fb_claim *ret, size_t max)
{
	const char *p = text;
	size_t n = 0;

	while (p && *p && n < max) {
		const char *nl = strchr(p, '\n');
		char line[256], *colon, *name;
		unsigned long long a, b;
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		p = nl ? nl + 1 : NULL;

		colon = strstr(line, " : ");
		if (!colon || sscanf(line, " %llx-%llx", &a, &b) != 2 || b < a)
			continue;
		name = colon + 3;
		name[strcspn(name, "\r")] = '\0';
		/* Unprivileged readers see zeros: nothing to compare. */
		if ((a == 0 && b == 0) || !is_fb_name(name))
			continue;
		ret[n].start = a;
		ret[n].end = b;
		pt_strlcpy(ret[n].name, name, sizeof(ret[n].name));
		n++;
	}
	return n;
}

int pt_fb_find(const struct pt_sysfs *sys, struct pt_fb_claim *ret, size_t max, size_t *ret_n)
{
	char path[PATH_MAX], *buf;
	int r;

	*ret_n = 0;
	r = pt_sysfs_path(sys, path, sizeof(path), "/proc/iomem");
	if (r < 0)
		return r;
	buf = malloc(65536);
	if (!buf)
		return -ENOMEM;
	r = pt_sysfs_read(sys, path, buf, 65536);
	if (r == -EFBIG)
		r = 0; /* the framebuffers come early in the map; what was read is kept */
	if (r >= 0)
		*ret_n = pt_fb_parse_iomem(buf, ret, max);
	free(buf);
	return r < 0 ? r : 0;
}

int pt_fb_overlap(const struct pt_sysfs *sys, const struct pt_pci_func *f,
		  const struct pt_fb_claim *c)
{
	char path[PATH_MAX], buf[2048];
	const char *p = buf;
	int r;

	r = pt_sysfs_path(sys, path, sizeof(path), "/sys/bus/pci/devices/%s/resource", f->name);
	if (r < 0)
		return r;
	r = pt_sysfs_read(sys, path, buf, sizeof(buf));
	if (r < 0)
		return r;
	/* One line per resource, "start end flags"; 0-5 are the BARs. */
	for (int bar = 0; bar < 6 && p && *p; bar++) {
		unsigned long long a, b, flags;

		if (sscanf(p, "%llx %llx %llx", &a, &b, &flags) == 3 && (flags & 0x200) && b > a &&
		    c->start <= b && c->end >= a)
			return bar;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

struct vt_ctx {
	const struct pt_sysfs *sys;
	unsigned timeout_ms;
	char *what;
	size_t size;
	int released, err;
};

static void note(struct vt_ctx *c, const char *s)
{
	size_t len = strlen(c->what);

	snprintf(c->what + len, c->size - len, "%s%s", len ? ", " : "", s);
}

/* A virtual console on a frame buffer (fbcon): "frame buffer device". */
static int vtcon(const char *name, void *userdata)
{
	struct vt_ctx *c = userdata;
	char path[PATH_MAX], buf[128];

	if (strncmp(name, "vtcon", 5) != 0)
		return 0;
	if (pt_sysfs_path(c->sys, path, sizeof(path), "/sys/class/vtconsole/%s/name", name) < 0 ||
	    pt_sysfs_read(c->sys, path, buf, sizeof(buf)) < 0 || !strstr(buf, "frame buffer"))
		return 0;
	if (pt_sysfs_path(c->sys, path, sizeof(path), "/sys/class/vtconsole/%s/bind", name) < 0 ||
	    pt_sysfs_read(c->sys, path, buf, sizeof(buf)) < 0 || !streq(buf, "1"))
		return 0;
	if (pt_sysfs_write_guarded(c->sys, path, "0", c->timeout_ms) < 0) {
		if (!c->err)
			c->err = -EIO;
		return 0;
	}
	note(c, name);
	c->released++;
	return 0;
}

/* A platform framebuffer device bound to its driver. */
static int platform(const char *name, void *userdata)
{
	struct vt_ctx *c = userdata;
	char path[PATH_MAX], driver[64];
	int r;

	if (!strstr(name, "framebuffer"))
		return 0;
	if (pt_sysfs_path(c->sys, path, sizeof(path), "/sys/bus/platform/devices/%s/driver", name) <
		    0 ||
	    pt_sysfs_link_name(c->sys, path, driver, sizeof(driver)) < 0)
		return 0;
	if (pt_sysfs_path(c->sys, path, sizeof(path), "/sys/bus/platform/devices/%s/driver/unbind",
			  name) < 0)
		return 0;
	r = pt_sysfs_write_guarded(c->sys, path, name, c->timeout_ms);
	if (r < 0) {
		if (!c->err)
			c->err = r;
		return 0;
	}
	note(c, name);
	c->released++;
	return 0;
}

int pt_fb_release(const struct pt_sysfs *sys, unsigned timeout_ms, char *what, size_t size)
{
	struct vt_ctx c = { .sys = sys, .timeout_ms = timeout_ms, .what = what, .size = size };
	char path[PATH_MAX];

	what[0] = '\0';
	/* The consoles first: the framebuffer goes more quietly without them. */
	if (pt_sysfs_path(sys, path, sizeof(path), "/sys/class/vtconsole") >= 0 &&
	    pt_sysfs_list(sys, path, vtcon, &c) < 0) {
		/* no virtual consoles: nothing to unbind there */
	}
	if (pt_sysfs_path(sys, path, sizeof(path), "/sys/bus/platform/devices") >= 0 &&
	    pt_sysfs_list(sys, path, platform, &c) < 0) {
		/* no platform bus: no platform framebuffer */
	}
	if (c.err && !c.released)
		return c.err;
	return c.released;
}
