/* SPDX-License-Identifier: MIT */
/* vmdisk.c — the raw-disk check of pt-vm; see vmdisk.h. */
#include <blkid/blkid.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "vmdisk.h"

#define MAX_PARTS 128
#define MAX_MOUNTS 512

static const char *const stable_dirs[] = { "/dev/disk/by-id/",	    "/dev/disk/by-path/",
					   "/dev/disk/by-uuid/",    "/dev/disk/by-partuuid/",
					   "/dev/disk/by-diskseq/", NULL };

struct mnt {
	unsigned maj, min;
	char point[256];
	char source[128];
};

struct disk {
	const struct pt_sysfs *sys;
	char name[64];	 /* kernel name: "sdb", "sdb2" */
	char parent[64]; /* whole disk of a partition; "" for a disk */
	char parts[MAX_PARTS][64];
	size_t n_parts;
	struct mnt *mounts;
	size_t n_mounts;
	char swaps[32][64]; /* kernel names of swap devices */
	size_t n_swaps;
};

static bool stable_name(const char *path)
{
	for (size_t i = 0; stable_dirs[i]; i++)
		if (strncmp(path, stable_dirs[i], strlen(stable_dirs[i])) == 0)
			return true;
	return false;
}

/* The kernel name of what a /dev path (rooted) leads to: the last part of
 * its resolved path ("/dev/mapper/x" → "dm-1"). */
static int kname_of(const struct pt_sysfs *sys, const char *devpath, char *buf, size_t size)
{
	char path[PATH_MAX], real[PATH_MAX];
	const char *base;

	if (pt_sysfs_path(sys, path, sizeof(path), "%s", devpath) < 0)
		return -ENAMETOOLONG;
	if (!realpath(path, real))
		return -errno;
	base = strrchr(real, '/');
	base = base ? base + 1 : real;
	if (pt_strlcpy(buf, base, size) >= size)
		return -ENAMETOOLONG;
	return 0;
}

static bool block_exists(const struct pt_sysfs *sys, const char *name)
{
	char path[PATH_MAX];

	return pt_sysfs_path(sys, path, sizeof(path), "/sys/class/block/%s/dev", name) >= 0 &&
	       pt_sysfs_exists(sys, path);
}

static int dev_numbers(const struct pt_sysfs *sys, const char *name, unsigned *maj, unsigned *min)
{
	char path[PATH_MAX], buf[32];

	if (pt_sysfs_path(sys, path, sizeof(path), "/sys/class/block/%s/dev", name) < 0 ||
	    pt_sysfs_read(sys, path, buf, sizeof(buf)) < 0 || sscanf(buf, "%u:%u", maj, min) != 2)
		return -ENOENT;
	return 0;
}

static int parts_one(const char *entry, void *userdata)
{
	struct disk *d = userdata;
	char path[PATH_MAX];

	if (d->n_parts == MAX_PARTS || strlen(entry) >= sizeof(d->parts[0]))
		return 0;
	if (pt_sysfs_path(d->sys, path, sizeof(path), "/sys/class/block/%s/%s/partition", d->name,
			  entry) < 0 ||
	    !pt_sysfs_exists(d->sys, path))
		return 0;
	pt_strlcpy(d->parts[d->n_parts++], entry, sizeof(d->parts[0]));
	return 0;
}

/* mountinfo: "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw" */
static void load_mounts(struct disk *d)
{
	char path[PATH_MAX], line[1024];
	FILE *f;

	if (pt_sysfs_path(d->sys, path, sizeof(path), "/proc/self/mountinfo") < 0)
		return;
	f = fopen(path, "re");
	if (!f)
		return;
	d->mounts = calloc(MAX_MOUNTS, sizeof(*d->mounts));
	while (d->mounts && d->n_mounts < MAX_MOUNTS && fgets(line, sizeof(line), f)) {
		struct mnt *m = &d->mounts[d->n_mounts];
		char *dash = strstr(line, " - ");
		char fstype[64];

		if (sscanf(line, "%*u %*u %u:%u %*s %255s", &m->maj, &m->min, m->point) != 3)
			continue;
		m->source[0] = '\0';
		if (dash)
			(void)sscanf(dash + 3, "%63s %127s", fstype, m->source);
		d->n_mounts++;
	}
	fclose(f);
}

static void load_swaps(struct disk *d)
{
	char path[PATH_MAX], line[512], dev[256];
	FILE *f;

	if (pt_sysfs_path(d->sys, path, sizeof(path), "/proc/swaps") < 0)
		return;
	f = fopen(path, "re");
	if (!f)
		return;
	while (d->n_swaps < ELEMENTSOF(d->swaps) && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s", dev) != 1 || strncmp(dev, "/dev/", 5) != 0)
			continue; /* the header, or a swap file (its file system is mounted) */
		if (kname_of(d->sys, dev, d->swaps[d->n_swaps], sizeof(d->swaps[0])) == 0)
			d->n_swaps++;
		else
			pt_strlcpy(d->swaps[d->n_swaps++], strrchr(dev, '/') + 1,
				   sizeof(d->swaps[0]));
	}
	fclose(f);
}

/* Where is block device `name` mounted, or used as swap? */
static const char *in_use(struct disk *d, const char *name, char *buf, size_t size)
{
	unsigned maj, min;
	char src[64];

	for (size_t i = 0; i < d->n_swaps; i++)
		if (streq(d->swaps[i], name))
			return "used as swap";
	if (dev_numbers(d->sys, name, &maj, &min) < 0)
		return NULL;
	for (size_t i = 0; i < d->n_mounts; i++) {
		const struct mnt *m = &d->mounts[i];
		bool match = m->maj == maj && m->min == min;

		/* btrfs and others mount an anonymous device (0:NN): the
		 * source names the block device. */
		if (!match && m->maj == 0 && strncmp(m->source, "/dev/", 5) == 0 &&
		    kname_of(d->sys, m->source, src, sizeof(src)) == 0)
			match = streq(src, name);
		if (!match)
			continue;
		if (streq(m->point, "/"))
			snprintf(buf, size, "holds the root file system");
		else
			snprintf(buf, size, "is mounted on %s", m->point);
		return buf;
	}
	return NULL;
}

struct holders {
	const struct pt_sysfs *sys;
	char first[64];
	size_t n;
};

static int holder_one(const char *entry, void *userdata)
{
	struct holders *h = userdata;

	if (h->n++ == 0)
		pt_strlcpy(h->first, entry, sizeof(h->first));
	return 0;
}

/* Is `name` refused? Fills why. `role` says how it relates to the disk
 * asked for ("", "its partition ", "its whole disk "). */
static bool refused(struct disk *d, const char *name, const char *role, char *why, size_t size)
{
	char path[PATH_MAX], use[300];
	struct holders h = { .sys = d->sys };
	const char *u = in_use(d, name, use, sizeof(use));

	if (u) {
		snprintf(why, size, "%s%s %s", role, name, u);
		return true;
	}
	if (pt_sysfs_path(d->sys, path, sizeof(path), "/sys/class/block/%s/holders", name) >= 0 &&
	    pt_sysfs_list(d->sys, path, holder_one, &h) == 0 && h.n > 0) {
		const char *hu = in_use(d, h.first, use, sizeof(use));

		snprintf(why, size,
			 "%s%s is held by %s%s%s (LVM, md or dm-crypt: the host stacks a device "
			 "on it%s)",
			 role, name, h.first, hu ? ", which " : "", hu ? hu : "",
			 hu ? "" : "; deactivate it first");
		return true;
	}
	return false;
}

struct by_id {
	const struct pt_sysfs *sys;
	const char *kname;
	struct pt_buf *out;
	size_t n;
};

static int by_id_one(const char *entry, void *userdata)
{
	struct by_id *c = userdata;
	char target[64], rel[PATH_MAX];

	if (snprintf(rel, sizeof(rel), "/dev/disk/by-id/%s", entry) >= (int)sizeof(rel) ||
	    kname_of(c->sys, rel, target, sizeof(target)) < 0 || !streq(target, c->kname))
		return 0;
	pt_buf_printf(c->out, "%s/dev/disk/by-id/%s", c->n++ ? ", " : "", entry);
	return 0;
}

static void describe(const struct pt_sysfs *sys, const struct disk *d, const char *devpath,
		     char *buf, size_t size)
{
	char path[PATH_MAX], sz[32] = "";
	unsigned long long sectors = 0;
	const char *type = NULL, *label = NULL;
	blkid_probe pr = NULL;

	if (pt_sysfs_path(sys, path, sizeof(path), "/sys/class/block/%s/size", d->name) >= 0 &&
	    pt_sysfs_read(sys, path, sz, sizeof(sz)) >= 0)
		sectors = strtoull(sz, NULL, 10);
	/* libblkid probes the device itself: never inside a fixture tree. */
	if (sys->rootlen == 0) {
		pr = blkid_new_probe_from_filename(devpath);
		if (pr) {
			blkid_probe_enable_partitions(pr, 1);
			if (blkid_do_safeprobe(pr) == 0) {
				if (blkid_probe_lookup_value(pr, "TYPE", &type, NULL) < 0 &&
				    blkid_probe_lookup_value(pr, "PTTYPE", &type, NULL) < 0)
					type = NULL;
				if (blkid_probe_lookup_value(pr, "LABEL", &label, NULL) < 0)
					label = NULL;
			}
		}
	}
	snprintf(buf, size, "%s (%s, %llu MiB%s%s%s%s%s%s), not mounted, not swap, not held",
		 devpath, d->name, sectors / 2048, type ? ", holds " : "", type ? type : "",
		 label ? " '" : "", label ? label : "", label ? "'" : "",
		 d->n_parts ? ", with its partitions" : "");
	if (pr)
		blkid_free_probe(pr);
}

int pt_vmdisk_check(const struct pt_sysfs *sys, const char *devpath, char *msg, size_t size)
{
	struct disk d = { .sys = sys };
	char path[PATH_MAX], why[512];
	struct stat st;
	int r;

	if (pt_sysfs_path(sys, path, sizeof(path), "%s", devpath) < 0) {
		snprintf(msg, size, "%s: the path is too long", devpath);
		return -EINVAL;
	}
	if (stat(path, &st) < 0) {
		r = -errno;
		snprintf(msg, size, "%s: %s", devpath, strerror(-r));
		return r;
	}
	if (kname_of(sys, devpath, d.name, sizeof(d.name)) < 0 || !block_exists(sys, d.name) ||
	    (sys->rootlen == 0 && !S_ISBLK(st.st_mode))) {
		snprintf(msg, size, "%s is not a block device", devpath);
		return -EINVAL;
	}
	if (!stable_name(devpath)) {
		struct pt_buf b;
		struct by_id c = { .sys = sys, .kname = d.name, .out = NULL };

		pt_buf_init(&b);
		c.out = &b;
		if (pt_sysfs_path(sys, path, sizeof(path), "/dev/disk/by-id") >= 0 &&
		    pt_sysfs_list(sys, path, by_id_one, &c) < 0) {
			/* what could be listed was */
		}
		snprintf(msg, size,
			 "%s is not a stable name: it can name another disk after a reboot (or the "
			 "host's own); write %s%s",
			 devpath, c.n ? "one of " : "a /dev/disk/by-id/ name",
			 c.n ? pt_buf_str(&b) : " (udev makes them)");
		pt_buf_free(&b);
		return -EPERM;
	}

	/* A partition's whole disk is the parent directory of its sysfs node. */
	if (pt_sysfs_path(sys, path, sizeof(path), "/sys/class/block/%s/partition", d.name) >= 0 &&
	    pt_sysfs_exists(sys, path)) {
		char link[PATH_MAX], real[PATH_MAX];
		char *slash;

		if (pt_sysfs_path(sys, link, sizeof(link), "/sys/class/block/%s", d.name) >= 0 &&
		    realpath(link, real) && (slash = strrchr(real, '/'))) {
			*slash = '\0';
			slash = strrchr(real, '/');
			if (slash)
				pt_strlcpy(d.parent, slash + 1, sizeof(d.parent));
		}
	} else if (pt_sysfs_path(sys, path, sizeof(path), "/sys/class/block/%s", d.name) >= 0 &&
		   pt_sysfs_list(sys, path, parts_one, &d) < 0) {
		/* what could be listed was */
	}
	load_mounts(&d);
	load_swaps(&d);

	r = -EPERM;
	if (refused(&d, d.name, "", why, sizeof(why)))
		goto refuse;
	for (size_t i = 0; i < d.n_parts; i++)
		if (refused(&d, d.parts[i], "its partition ", why, sizeof(why)))
			goto refuse;
	if (d.parent[0] && refused(&d, d.parent, "its whole disk ", why, sizeof(why)))
		goto refuse;
	describe(sys, &d, devpath, msg, size);
	free(d.mounts);
	return 0;
refuse:
	snprintf(msg, size,
		 "%s (%s) is refused: %s; the host uses it, and a guest writing to it "
		 "would destroy the host's data",
		 devpath, d.name, why);
	free(d.mounts);
	return r;
}
