/* SPDX-License-Identifier: MIT */
/* chaininit.c — see chaininit.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "chaininit.h"
#include "cmdline.h"
#include "config.h"
#include "util.h"

struct mnt {
	const char *target;
	const char *fstype;
	const char *probe; /* a path that exists once it is mounted */
	unsigned long flags;
	const char *data;
	bool keep; /* leave mounted for the real init */
	bool mounted;
};

/* Messages before and after the agent's own log exists: straight to the
 * kernel log if it can be had, else the console. */
static void say(const char *fmt, ...) _printf_(1, 2);
static void say(const char *fmt, ...)
{
	char msg[512], line[600];
	va_list ap;
	int fd, n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0) {
		n = snprintf(line, sizeof(line), "<4>pt-agent: %s\n", msg);
		if (write(fd, line, (size_t)n) < 0) {
			/* fall through to the console */
		}
		close(fd);
		return;
	}
	fd = open("/dev/console", O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return;
	n = snprintf(line, sizeof(line), "pt-agent: %s\n", msg);
	if (write(fd, line, (size_t)n) < 0) {
		/* nowhere left to say it */
	}
	close(fd);
}

static bool is_mountpoint(const char *path)
{
	struct stat a, b;
	char parent[64];

	if (stat(path, &a) < 0)
		return false;
	snprintf(parent, sizeof(parent), "%s/..", path);
	if (stat(parent, &b) < 0)
		return false;
	return a.st_dev != b.st_dev || a.st_ino == b.st_ino;
}

static void mount_all(struct mnt *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (m[i].probe ? access(m[i].probe, F_OK) == 0 : is_mountpoint(m[i].target))
			continue;
		(void)mkdir(m[i].target, 0755);
		if (mount(m[i].fstype, m[i].target, m[i].fstype, m[i].flags, m[i].data) < 0) {
			say("cannot mount %s on %s: %s", m[i].fstype, m[i].target, strerror(errno));
			continue;
		}
		m[i].mounted = true;
	}
}

static void unmount_all(struct mnt *m, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		if (!m[i].mounted || m[i].keep)
			continue;
		/* Lazily: a child stuck in a driver may still hold it. */
		if (umount2(m[i].target, MNT_DETACH) < 0)
			say("cannot unmount %s: %s", m[i].target, strerror(errno));
	}
}

struct pick {
	char init[PATH_MAX];
};

static int pick_init(const char *param, const char *value, void *userdata)
{
	struct pick *p = userdata;

	if (value && streq(param, "pt.init"))
		pt_strlcpy(p->init, value, sizeof(p->init));
	return 0;
}

static bool same_file(const char *a, const struct stat *self)
{
	struct stat st;

	return stat(a, &st) == 0 && st.st_dev == self->st_dev && st.st_ino == self->st_ino;
}

static int find_init(const char *cmdline, struct pick *p)
{
	p->init[0] = '\0';
	return pt_cmdline_walk(cmdline, pick_init, p);
}

static char *slurp_cmdline(void)
{
	static char buf[8192];
	ssize_t n;
	int fd;

	fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

int pt_chain_init(int argc, char **argv)
{
	struct mnt mounts[] = {
		{ "/proc", "proc", "/proc/self", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, false },
		{ "/sys", "sysfs", "/sys/kernel", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, false },
		{ "/dev", "devtmpfs", "/dev/null", MS_NOSUID, "mode=0755", false },
		{ "/run", "tmpfs", NULL, MS_NOSUID | MS_NODEV, "mode=0755", true },
	};
	const char *candidates[5];
	char *agent_argv[] = { argv[0], NULL };
	struct pick pick = { .init = "" };
	struct stat self;
	bool have_self;
	char **init_argv;
	size_t nc = 0;
	const char *cmdline;

	mount_all(mounts, ELEMENTSOF(mounts));

	/* The boot sequence itself; it always returns. Arguments meant for
	 * the real init are not pt-agent's options: do not parse them. */
	(void)pt_agent_main(1, agent_argv);

	cmdline = slurp_cmdline();
	if (cmdline)
		(void)find_init(cmdline, &pick);
	have_self = stat("/proc/self/exe", &self) == 0;
	unmount_all(mounts, ELEMENTSOF(mounts));

	if (pick.init[0])
		candidates[nc++] = pick.init;
	candidates[nc++] = "/init";
	candidates[nc++] = "/init.real";
	candidates[nc++] = "/sbin/init";

	init_argv = calloc((size_t)argc + 1, sizeof(*init_argv));
	if (!init_argv)
		init_argv = argv;
	else
		for (int i = 1; i < argc; i++)
			init_argv[i] = argv[i];

	for (size_t i = 0; i < nc; i++) {
		if (have_self && same_file(candidates[i], &self))
			continue; /* that is us: pt-agent installed as /init */
		if (access(candidates[i], X_OK) < 0)
			continue;
		init_argv[0] = (char *)candidates[i];
		execv(candidates[i], init_argv);
		say("cannot execute %s: %s", candidates[i], strerror(errno));
	}
	say("no init to hand over to (tried pt.init=, /init, /init.real, /sbin/init)");
	return 1;
}
