/* SPDX-License-Identifier: MIT */
/* rootdev.c — root= → block device → PCI functions; see rootdev.h. */
#include <blkid/blkid.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "rootdev.h"

#define MAX_DEPTH 8

static int why_(char *why, size_t size, int r, const char *fmt, ...) _printf_(4, 5);
static int why_(char *why, size_t size, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return r;
}

static const struct {
	const char *prefix; /* in root= */
	const char *tag;    /* for libblkid */
	const char *dir;    /* udev's /dev/disk/by-* */
} tags[] = {
	{ "UUID=", "UUID", "by-uuid" },
	{ "PARTUUID=", "PARTUUID", "by-partuuid" },
	{ "LABEL=", "LABEL", "by-label" },
	{ "PARTLABEL=", "PARTLABEL", "by-partlabel" },
};

static void add_pci(struct pt_rootdev *ret, const struct pt_addr *a)
{
	for (size_t i = 0; i < ret->n_pci; i++)
		if (pt_addr_cmp(&ret->pci[i], a) == 0)
			return;
	if (ret->n_pci < PT_ROOTDEV_MAX)
		ret->pci[ret->n_pci++] = *a;
}

/* The PCI functions a block device (its sysfs entry, rooted) hangs off:
 * the last PCI component of its device path, or those of its slaves. */
static void walk(const struct pt_sysfs *sys, const char *name, struct pt_rootdev *ret,
		 unsigned depth)
{
	char path[PATH_MAX], target[PATH_MAX];
	struct pt_addr last, a;
	bool found = false;
	ssize_t n;
	char *save = NULL;

	if (depth > MAX_DEPTH || strchr(name, '/') || streq(name, "..") || streq(name, "."))
		return;
	if (pt_sysfs_path(sys, path, sizeof(path), "/sys/class/block/%s", name) < 0)
		return;
	n = readlink(path, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		for (char *c = strtok_r(target, "/", &save); c; c = strtok_r(NULL, "/", &save))
			if (pt_addr_parse(c, &a) == 0) {
				last = a;
				found = true;
			}
	}
	if (found) {
		add_pci(ret, &last);
		return;
	}
	/* device-mapper, md, loop over a file: follow the slaves. */
	if (pt_sysfs_path(sys, path, sizeof(path), "/sys/class/block/%s/slaves", name) < 0)
		return;
	{
		char names[PT_ROOTDEV_MAX][64];
		size_t k = 0;
		DIR *d = opendir(path);
		struct dirent *de;

		if (!d)
			return;
		while ((de = readdir(d)) && k < PT_ROOTDEV_MAX)
			if (de->d_name[0] != '.')
				pt_strlcpy(names[k++], de->d_name, sizeof(names[0]));
		closedir(d);
		for (size_t i = 0; i < k; i++)
			walk(sys, names[i], ret, depth + 1);
	}
}

/* With a sysroot: a tag through udev's links, a path through its link. */
static int name_rooted(const struct pt_sysfs *sys, const char *root, char *name, size_t size,
		       char *why, size_t whysize)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;

	path[0] = '\0';
	for (size_t i = 0; i < ELEMENTSOF(tags); i++)
		if (strncmp(root, tags[i].prefix, strlen(tags[i].prefix)) == 0 &&
		    pt_sysfs_path(sys, path, sizeof(path), "/dev/disk/%s/%s", tags[i].dir,
				  root + strlen(tags[i].prefix)) < 0)
			return why_(why, whysize, -ENAMETOOLONG, "root=%s: too long", root);
	if (!path[0] && pt_sysfs_path(sys, path, sizeof(path), "%s", root) < 0)
		return why_(why, whysize, -ENAMETOOLONG, "root=%s: too long", root);
	n = readlink(path, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		base = strrchr(target, '/');
		base = base ? base + 1 : target;
	} else if (access(path, F_OK) == 0) {
		base = strrchr(root, '/');
		base = base ? base + 1 : root;
	} else {
		return why_(why, whysize, -ENOENT, "no block device is root=%s yet", root);
	}
	pt_strlcpy(name, base, size);
	return 0;
}

/* On the real system: libblkid finds the device, stat() its numbers. */
static int name_real(const char *root, char *name, size_t size, char *why, size_t whysize)
{
	char *devname = NULL, syspath[64], target[PATH_MAX];
	const char *base, *value = NULL, *tag = NULL;
	blkid_cache cache = NULL;
	struct stat st;
	ssize_t n;

	for (size_t i = 0; i < ELEMENTSOF(tags); i++)
		if (strncmp(root, tags[i].prefix, strlen(tags[i].prefix)) == 0) {
			tag = tags[i].tag;
			value = root + strlen(tags[i].prefix);
		} else if (strncmp(root, "/dev/disk/", 10) == 0 &&
			   strncmp(root + 10, tags[i].dir, strlen(tags[i].dir)) == 0 &&
			   root[10 + strlen(tags[i].dir)] == '/' && access(root, F_OK) < 0) {
			/* udev's link, before udev has run: the tag it names. */
			tag = tags[i].tag;
			value = root + 11 + strlen(tags[i].dir);
		}
	if (tag) {
		/* A cache file of /dev/null: probe, but leave no cache behind. */
		if (blkid_get_cache(&cache, "/dev/null") < 0)
			cache = NULL;
		devname = blkid_evaluate_tag(tag, value, &cache);
		if (cache)
			blkid_put_cache(cache);
		if (!devname)
			return why_(why, whysize, -ENOENT,
				    "no block device has %s=%s yet (not connected, not probed, "
				    "or not unlocked)",
				    tag, value);
	} else {
		devname = strdup(root);
		if (!devname)
			return -ENOMEM;
	}
	if (stat(devname, &st) < 0 || !S_ISBLK(st.st_mode)) {
		int r = errno ? -errno : -ENOTBLK;

		why_(why, whysize, r == -ENOENT ? -ENOENT : -ENOTBLK,
		     "root=%s: %s is not a block device here (yet)", root, devname);
		free(devname);
		return r == -ENOENT ? -ENOENT : -ENOTBLK;
	}
	free(devname);
	snprintf(syspath, sizeof(syspath), "/sys/dev/block/%u:%u", major(st.st_rdev),
		 minor(st.st_rdev));
	n = readlink(syspath, target, sizeof(target) - 1);
	if (n <= 0)
		return why_(why, whysize, -ENOENT, "root=%s: %s has no sysfs entry", root, syspath);
	target[n] = '\0';
	base = strrchr(target, '/');
	pt_strlcpy(name, base ? base + 1 : target, size);
	return 0;
}

int pt_rootdev_resolve(const struct pt_sysfs *sys, const char *root, struct pt_rootdev *ret,
		       char *why, size_t whysize)
{
	bool known = root && root[0] == '/';
	int r;

	*ret = (struct pt_rootdev){ 0 };
	why[0] = '\0';
	if (!root || !*root)
		return why_(why, whysize, -EINVAL, "no root= on the kernel command line");
	for (size_t i = 0; i < ELEMENTSOF(tags); i++)
		known = known || strncmp(root, tags[i].prefix, strlen(tags[i].prefix)) == 0;
	if (!known)
		return why_(why, whysize, -EINVAL, "root=%s is not a local block device", root);

	if (sys->rootlen > 0)
		r = name_rooted(sys, root, ret->device, sizeof(ret->device), why, whysize);
	else
		r = name_real(root, ret->device, sizeof(ret->device), why, whysize);
	if (r < 0)
		return r;
	walk(sys, ret->device, ret, 0);
	return 0;
}

/* Undo mountinfo's octal escapes (\040 for a blank) in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++, o++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o = *s;
		}
	}
	*o = '\0';
}

int pt_rootdev_mounted(const struct pt_sysfs *sys, struct pt_rootdev *ret, char *why,
		       size_t whysize)
{
	char path[PATH_MAX], line[4096], devnum[32] = "", fstype[64] = "", source[1024] = "";
	char target[PATH_MAX];
	const char *base;
	ssize_t n;
	FILE *f;

	*ret = (struct pt_rootdev){ 0 };
	why[0] = '\0';
	if (pt_sysfs_path(sys, path, sizeof(path), "/proc/self/mountinfo") < 0)
		return why_(why, whysize, -ENAMETOOLONG, "path too long");
	f = fopen(path, "re");
	if (!f)
		return why_(why, whysize, -errno, "cannot read /proc/self/mountinfo: %s",
			    strerror(errno));
	/* The last mount on / is the one in effect. */
	while (fgets(line, sizeof(line), f)) {
		char mp[1024], dn[32], *dash;

		if (sscanf(line, "%*s %*s %31s %*s %1023s", dn, mp) != 2 || !streq(mp, "/"))
			continue;
		dash = strstr(line, " - ");
		if (!dash || sscanf(dash + 3, "%63s %1023s", fstype, source) != 2)
			continue;
		pt_strlcpy(devnum, dn, sizeof(devnum));
	}
	fclose(f);
	if (!devnum[0])
		return why_(why, whysize, -ENOENT, "nothing is mounted on /");
	unescape(source);

	if (pt_sysfs_path(sys, path, sizeof(path), "/sys/dev/block/%s", devnum) >= 0 &&
	    (n = readlink(path, target, sizeof(target) - 1)) > 0) {
		target[n] = '\0';
	} else if (source[0] == '/') {
		/* An anonymous device (btrfs, overlay): the source names it. */
		struct stat st;
		char node[PATH_MAX];

		if (pt_sysfs_path(sys, node, sizeof(node), "%s", source) < 0 ||
		    stat(node, &st) < 0 || !S_ISBLK(st.st_mode) ||
		    pt_sysfs_path(sys, path, sizeof(path), "/sys/dev/block/%u:%u",
				  major(st.st_rdev), minor(st.st_rdev)) < 0 ||
		    (n = readlink(path, target, sizeof(target) - 1)) <= 0)
			return why_(why, whysize, -EINVAL, "/ is %s on %s, not a block device here",
				    fstype, source);
		target[n] = '\0';
	} else {
		return why_(why, whysize, -EINVAL, "/ is %s on %s, not a local block device",
			    fstype, source);
	}
	base = strrchr(target, '/');
	pt_strlcpy(ret->device, base ? base + 1 : target, sizeof(ret->device));
	walk(sys, ret->device, ret, 0);
	return 0;
}
