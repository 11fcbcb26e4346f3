/* SPDX-License-Identifier: MIT */
/* node.c — /dev/vfio nodes: present, mode, owner, openable; see node.h. */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "node.h"

/* The name of uid (or gid) from <root>/etc/passwd (or group), as found in
 * a fixture or a dumped system. */
static bool name_from_file(const struct pt_sysfs *sys, const char *file, unsigned id, char *buf,
			   size_t size)
{
	char path[PATH_MAX], line[512];
	bool found = false;
	FILE *f;

	if (pt_sysfs_path(sys, path, sizeof(path), "%s", file) < 0)
		return false;
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *name = line, *p = strchr(line, ':'), *q, *end;
		unsigned long v;

		if (!p)
			continue;
		*p++ = '\0';
		q = strchr(p, ':'); /* past the password field */
		if (!q)
			continue;
		errno = 0;
		v = strtoul(q + 1, &end, 10);
		if (errno || end == q + 1 || *end != ':' || v != id || !*name)
			continue;
		pt_strlcpy(buf, name, size);
		found = true;
	}
	fclose(f);
	return found;
}

static void owner_names(const struct pt_sysfs *sys, uid_t uid, gid_t gid, char *user, size_t usize,
			char *group, size_t gsize)
{
	snprintf(user, usize, "%u", (unsigned)uid);
	snprintf(group, gsize, "%u", (unsigned)gid);
	if (sys->rootlen > 0) {
		/* A sysroot's files belong to its own passwd, not this host's. */
		name_from_file(sys, "/etc/passwd", (unsigned)uid, user, usize);
		name_from_file(sys, "/etc/group", (unsigned)gid, group, gsize);
		return;
	} else {
		char buf[4096];
		struct passwd pw, *pwp = NULL;
		struct group gr, *grp = NULL;

		if (getpwuid_r(uid, &pw, buf, sizeof(buf), &pwp) == 0 && pwp)
			pt_strlcpy(user, pwp->pw_name, usize);
		if (getgrgid_r(gid, &gr, buf, sizeof(buf), &grp) == 0 && grp)
			pt_strlcpy(group, grp->gr_name, gsize);
	}
}

void pt_node_check(const struct pt_sysfs *sys, const char *rel, struct pt_node *n)
{
	char path[PATH_MAX];
	struct stat st;

	*n = (struct pt_node){ .checked = true };
	pt_strlcpy(n->path, rel, sizeof(n->path));
	if (pt_sysfs_path(sys, path, sizeof(path), "%s", rel) < 0) {
		n->err = -ENAMETOOLONG;
		return;
	}
	if (stat(path, &st) < 0) {
		n->err = -errno;
		return;
	}
	n->present = true;
	n->mode = st.st_mode;
	owner_names(sys, st.st_uid, st.st_gid, n->owner, sizeof(n->owner), n->group,
		    sizeof(n->group));
	n->accessible = access(path, R_OK | W_OK) == 0;
}

void pt_node_mode_string(mode_t m, char buf[static 11])
{
	static const char rwx[] = "rwxrwxrwx";

	buf[0] = S_ISCHR(m) ? 'c' : S_ISBLK(m) ? 'b' : S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : '-';
	for (int i = 0; i < 9; i++)
		buf[1 + i] = (m & (1u << (8 - i))) ? rwx[i] : '-';
	buf[10] = '\0';
}

void pt_node_describe(const struct pt_node *n, char *buf, size_t size)
{
	char m[11];

	if (!n->present) {
		snprintf(buf, size, "missing");
		return;
	}
	pt_node_mode_string(n->mode, m);
	snprintf(buf, size, "%s %04o %s:%s", m, (unsigned)(n->mode & 07777), n->owner, n->group);
}
