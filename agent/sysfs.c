/* SPDX-License-Identifier: MIT */
/* sysfs.c — rooted file access for sysfs, procfs and friends; see sysfs.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sysfs.h"
#include "mark.h"

static const struct pt_io_hooks *hooks;

void pt_sysfs_set_hooks(const struct pt_io_hooks *h)
{
	hooks = h;
}

const struct pt_io_hooks *pt_sysfs_hooks(void)
{
	return hooks;
}

int pt_sysfs_hook_before(enum pt_io_op op, const char *path, const char *value)
{
	if (hooks && hooks->before)
		return hooks->before(hooks->userdata, op, path, value);
	return 0;
}

int pt_sysfs_init(struct pt_sysfs *s, const char *root)
{
	size_t len;

	if (!root)
		root = "";
	len = strlen(root);
	while (len > 0 && root[len - 1] == '/')
		len--;
	if (len >= sizeof(s->root))
		return -ENAMETOOLONG;
	if (len > 0 && root[0] != '/')
		return -EINVAL;
	memcpy(s->root, root, len);
	s->root[len] = '\0';
	s->rootlen = len;
	return 0;
}

/* The paths here are made of %s and %d only: a small formatter for those,
 * vsnprintf for anything else. */
static int fast_path(char *buf, size_t size, const char *fmt, va_list ap)
{
	size_t n = 0;

	for (const char *f = fmt; *f; f++) {
		char num[16];
		const char *add;
		size_t len;

		if (*f != '%') {
			if (n + 1 >= size)
				return -1;
			buf[n++] = *f;
			continue;
		}
		f++;
		if (*f == 's') {
			add = va_arg(ap, const char *);
		} else if (*f == 'd') {
			int v = va_arg(ap, int);
			unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
			char *e = num + sizeof(num);

			*--e = '\0';
			do
				*--e = (char)('0' + u % 10);
			while (u /= 10);
			if (v < 0)
				*--e = '-';
			add = e;
		} else {
			return -2;
		}
		len = strlen(add);
		if (n + len >= size)
			return -1;
		memcpy(buf + n, add, len);
		n += len;
	}
	buf[n] = '\0';
	return (int)n;
}

int pt_sysfs_path(const struct pt_sysfs *s, char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (size <= s->rootlen)
		return -ENAMETOOLONG;
	memcpy(buf, s->root, s->rootlen);
	va_start(ap, fmt);
	n = fast_path(buf + s->rootlen, size - s->rootlen, fmt, ap);
	va_end(ap);
	if (n == -2) {
		va_start(ap, fmt);
		n = vsnprintf(buf + s->rootlen, size - s->rootlen, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -EINVAL;
		if ((size_t)n >= size - s->rootlen)
			return -ENAMETOOLONG;
	} else if (n < 0) {
		return -ENAMETOOLONG;
	}
	return (int)s->rootlen + n;
}

static int read_attr(const char *path, char *buf, size_t size);

int pt_sysfs_read(const struct pt_sysfs *s _unused_, const char *path, char *buf, size_t size)
{
	int r;

	if (size == 0)
		return -EINVAL;
	pt_watch_begin("read", path, 0);
	r = read_attr(path, buf, size);
	pt_watch_end();
	return r;
}

static int read_attr(const char *path, char *buf, size_t size)
{
	ssize_t n;
	size_t len = 0;
	int fd, r;

	r = pt_sysfs_hook_before(PT_IO_READ, path, NULL);
	if (r < 0)
		return r;
	fd = pt_open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	/* sysfs gives an attribute whole in one read() (as procfs and
	 * regular files give a small file): a read that comes back short of
	 * the room asked for is the end, without a second read to see 0.
	 * Only one that fills the room reads on, to notice a value that is
	 * too long. */
	for (;;) {
		char extra;
		size_t room = size - 1 - len;

		if (room == 0)
			n = read(fd, &extra, 1);
		else
			n = read(fd, buf + len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			close(fd);
			return r;
		}
		if (n == 0)
			break;
		if (room == 0) {
			close(fd);
			return -EFBIG;
		}
		len += (size_t)n;
		if ((size_t)n < room)
			break;
	}
	close(fd);
	buf[len] = '\0';
	if (memchr(buf, '\0', len))
		return -EBADMSG;
	while (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	return (int)len;
}

int pt_sysfs_read_head(const struct pt_sysfs *s _unused_, const char *path, void *buf, size_t size)
{
	size_t len = 0;
	int fd, r;

	pt_watch_begin("read", path, 0);
	r = pt_sysfs_hook_before(PT_IO_READ, path, NULL);
	if (r < 0)
		goto out;
	fd = pt_open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	while (len < size) {
		ssize_t n = read(fd, (char *)buf + len, size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			close(fd);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	r = (int)len;
out:
	pt_watch_end();
	return r;
}

static int write_attr(const char *path, const char *value);

int pt_sysfs_write(const struct pt_sysfs *s _unused_, const char *path, const char *value)
{
	int r;

	pt_watch_begin("write", path, 0);
	r = write_attr(path, value);
	pt_watch_end();
	return r;
}

static int write_attr(const char *path, const char *value)
{
	size_t len = strlen(value);
	ssize_t n;
	int fd, r;

	r = pt_sysfs_hook_before(PT_IO_WRITE, path, value);
	if (r < 0)
		return r;
	fd = pt_open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	do
		n = write(fd, value, len);
	while (n < 0 && errno == EINTR);
	r = n < 0 ? -errno : 0;
	if (close(fd) < 0 && r == 0 && errno != EINTR)
		r = -errno;
	if (r < 0)
		return r;
	if ((size_t)n != len)
		return -EIO;
	if (hooks && hooks->after_write)
		hooks->after_write(hooks->userdata, path, value);
	return 0;
}

struct one_write {
	const char *path, *value;
};

static int one_write(void *arg)
{
	const struct one_write *w = arg;

	return write_attr(w->path, w->value);
}

/*
 * Guarded writes go to one helper process, forked at the first and reused
 * for the next: a fork, exit and wait per write cost about 300 us each on
 * a VM, thousands of them when thousands of devices are given back. The
 * helper is a process of its own, as the child per write was: a write that
 * hangs costs a timeout, after which the helper is killed and left behind
 * (a task stuck in a driver cannot die until the driver returns) and the
 * next write starts a new one; a helper that dies answers -EIO. A
 * SOCK_SEQPACKET pair carries one request (path NUL value NUL) and one
 * answer (an int) per write, and a send to a dead helper fails with EPIPE
 * instead of raising SIGPIPE.
 */
static struct {
	pid_t pid;   /* 0: none */
	pid_t owner; /* the process that forked it */
	int fd;
} helper;

#define HELPER_MSG_MAX (PATH_MAX + 256)

static void helper_serve(int fd)
{
	static char msg[HELPER_MSG_MAX + 1];

	/* The helper marks and journals nothing (its writer does), and goes
	 * when its writer goes. */
	pt_watch_forget();
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		ssize_t n = recv(fd, msg, HELPER_MSG_MAX, 0);
		const char *value;
		size_t plen;
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		msg[n] = '\0';
		plen = strlen(msg);
		if (plen + 1 >= (size_t)n)
			r = -EINVAL;
		else {
			value = msg + plen + 1;
			r = write_attr(msg, value);
		}
		if (send(fd, &r, sizeof(r), MSG_NOSIGNAL) != sizeof(r))
			_exit(2);
	}
}

static int helper_start(void)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(sv[0]);
		close(sv[1]);
		return r;
	}
	if (pid == 0) {
		close(sv[0]);
		helper_serve(sv[1]);
	}
	close(sv[1]);
	helper = (typeof(helper)){ .pid = pid, .owner = getpid(), .fd = sv[0] };
	return 0;
}

/* Gone (dead, or killed after a timeout): the next write starts another.
 * One no longer needed goes by itself once its end of the pair closes and
 * is waited for, so that no orphan reaches PID 1 (watch.h says why). */
static void helper_drop(bool killed)
{
	int status;

	if (killed)
		kill(helper.pid, SIGKILL);
	close(helper.fd);
	if (killed)
		(void)waitpid(helper.pid, &status, WNOHANG);
	else
		while (waitpid(helper.pid, &status, 0) < 0 && errno == EINTR)
			;
	helper = (typeof(helper)){ 0 };
}

void pt_sysfs_guard_stop(void)
{
	if (helper.pid > 0 && helper.owner == getpid())
		helper_drop(false);
	helper = (typeof(helper)){ 0 };
}

/* The write's result in *ret; false when no helper could be made (or
 * the request does not fit one message): the caller writes another way. */
static bool helper_write(const char *path, const char *value, unsigned timeout_ms, int *ret)
{
	char msg[HELPER_MSG_MAX];
	size_t plen = strlen(path), vlen = strlen(value);
	uint64_t deadline;
	int result, r;
	ssize_t n;

	if (plen + vlen + 2 > sizeof(msg))
		return false;
	/* A helper inherited from the process this one was forked from is
	 * not this one's to use. */
	if (helper.pid > 0 && helper.owner != getpid())
		helper = (typeof(helper)){ 0 };
	memcpy(msg, path, plen + 1);
	memcpy(msg + plen + 1, value, vlen + 1);
	/* A helper that died since the last write has not seen this one:
	 * a new one takes it. */
	for (int attempt = 0;; attempt++) {
		if (helper.pid == 0 && helper_start() < 0)
			return false;
		do
			n = send(helper.fd, msg, plen + vlen + 2, MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
		if (n == (ssize_t)(plen + vlen + 2))
			break;
		helper_drop(true);
		if (attempt > 0)
			return false;
	}
	deadline = pt_now_ms() + timeout_ms;
	for (;;) {
		struct pollfd pfd = { .fd = helper.fd, .events = POLLIN };
		uint64_t now = pt_now_ms();

		r = now >= deadline ? 0 : poll(&pfd, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			helper_drop(true);
			*ret = -ETIMEDOUT;
			return true;
		}
		break;
	}
	do
		n = recv(helper.fd, &result, sizeof(result), 0);
	while (n < 0 && errno == EINTR);
	if (n != sizeof(result)) {
		/* It died without an answer. */
		helper_drop(false);
		*ret = -EIO;
		return true;
	}
	*ret = result;
	return true;
}

int pt_sysfs_write_guarded(const struct pt_sysfs *s _unused_, const char *path, const char *value,
			   unsigned timeout_ms)
{
	int r;

	/* This write guards itself: the supervisor waits for it longer. */
	pt_watch_begin("write", path, timeout_ms + 1000);
	/* Without a helper, a child for this write alone (which, without a
	 * process to spare, writes here: unguarded beats not at all). */
	if (!helper_write(path, value, timeout_ms, &r))
		r = pt_watch_guard(one_write, &(struct one_write){ path, value }, timeout_ms);
	pt_watch_end();
	return r;
}

int pt_sysfs_link_name(const struct pt_sysfs *s _unused_, const char *path, char *buf, size_t size)
{
	char target[PATH_MAX];
	const char *base;
	ssize_t n;
	int r;

	pt_watch_begin("readlink", path, 0);
	r = pt_sysfs_hook_before(PT_IO_READLINK, path, NULL);
	n = -1;
	if (r >= 0) {
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			r = -errno;
	}
	pt_watch_end();
	if (r < 0 || n < 0)
		return r < 0 ? r : -EIO;
	target[n] = '\0';
	while (n > 1 && target[n - 1] == '/')
		target[--n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (*base == '\0')
		return -EBADMSG;
	if (pt_strlcpy(buf, base, size) >= size)
		return -ENAMETOOLONG;
	return 0;
}

bool pt_sysfs_exists(const struct pt_sysfs *s _unused_, const char *path)
{
	return access(path, F_OK) == 0;
}

/* The kernel's record for getdents64(2). */
struct dirent64_rec {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

int pt_sysfs_list(const struct pt_sysfs *s _unused_, const char *path, pt_sysfs_dir_fn fn,
		  void *userdata)
{
	/* getdents64 into the stack rather than opendir(): no DIR to
	 * allocate (a fresh mapping under musl), no descriptor flag to set
	 * after the open. fn may read other files meanwhile. */
	_Alignas(8) char buf[2048];
	int fd, r;

	pt_watch_begin("list", path, 0);
	r = pt_sysfs_hook_before(PT_IO_LIST, path, NULL);
	fd = r < 0 ? -1 : pt_open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r >= 0 && fd < 0)
		r = -errno;
	pt_watch_end();
	if (r < 0)
		return r;
	r = 0;
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		for (long off = 0; off < n && r >= 0;) {
			const struct dirent64_rec *de = (const void *)(buf + off);

			off += de->d_reclen;
			if (streq(de->d_name, ".") || streq(de->d_name, ".."))
				continue;
			r = fn(de->d_name, userdata);
		}
		if (r < 0)
			break;
	}
	close(fd);
	return r;
}
