/* SPDX-License-Identifier: MIT */
/* sysfs.c — rooted file access for sysfs, procfs and friends; see sysfs.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sysfs.h"

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

int pt_sysfs_path(const struct pt_sysfs *s, char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (size <= s->rootlen)
		return -ENAMETOOLONG;
	memcpy(buf, s->root, s->rootlen);
	va_start(ap, fmt);
	n = vsnprintf(buf + s->rootlen, size - s->rootlen, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= size - s->rootlen)
		return -ENAMETOOLONG;
	return (int)s->rootlen + n;
}

int pt_sysfs_read(const struct pt_sysfs *s _unused_, const char *path, char *buf, size_t size)
{
	ssize_t n;
	size_t len = 0;
	int fd, r;

	if (size == 0)
		return -EINVAL;
	r = pt_sysfs_hook_before(PT_IO_READ, path, NULL);
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	/* sysfs returns an attribute in one read(); loop only for regular
	 * files of fixture trees and to notice a value that is too long. */
	for (;;) {
		char extra;

		if (len == size - 1)
			n = read(fd, &extra, 1);
		else
			n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			close(fd);
			return r;
		}
		if (n == 0)
			break;
		if (len == size - 1) {
			close(fd);
			return -EFBIG;
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (memchr(buf, '\0', len))
		return -EBADMSG;
	while (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	return (int)len;
}

int pt_sysfs_write(const struct pt_sysfs *s _unused_, const char *path, const char *value)
{
	size_t len = strlen(value);
	ssize_t n;
	int fd, r;

	r = pt_sysfs_hook_before(PT_IO_WRITE, path, value);
	if (r < 0)
		return r;
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
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

int pt_sysfs_write_guarded(const struct pt_sysfs *s, const char *path, const char *value,
			   unsigned timeout_ms)
{
	uint64_t deadline;
	int pipefd[2], status, r, result = 0;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return pt_sysfs_write(s, path, value);
	pid = fork();
	if (pid < 0) {
		/* Without a process to spare, writing unguarded beats not
		 * writing at all. */
		close(pipefd[0]);
		close(pipefd[1]);
		return pt_sysfs_write(s, path, value);
	}
	if (pid == 0) {
		close(pipefd[0]);
		r = pt_sysfs_write(s, path, value);
		if (write(pipefd[1], &r, sizeof(r)) != sizeof(r))
			_exit(2);
		_exit(0);
	}
	close(pipefd[1]);

	deadline = pt_now_ms() + timeout_ms;
	for (;;) {
		uint64_t now = pt_now_ms();
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		ssize_t n;

		if (now >= deadline) {
			r = 0;
		} else {
			r = poll(&pfd, 1, (int)(deadline - now));
			if (r < 0 && errno == EINTR)
				continue;
		}
		if (r <= 0) {
			close(pipefd[0]);
			kill(pid, SIGKILL);
			/* Reap it if it died at once; a task stuck in a driver
			 * cannot die until the driver returns. */
			(void)waitpid(pid, &status, WNOHANG);
			return -ETIMEDOUT;
		}
		n = read(pipefd[0], &result, sizeof(result));
		if (n < 0 && errno == EINTR)
			continue;
		close(pipefd[0]);
		if (n != sizeof(result))
			result = -EIO; /* the child died without an answer */
		break;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return result;
}

int pt_sysfs_link_name(const struct pt_sysfs *s _unused_, const char *path, char *buf, size_t size)
{
	char target[PATH_MAX];
	const char *base;
	ssize_t n;
	int r;

	r = pt_sysfs_hook_before(PT_IO_READLINK, path, NULL);
	if (r < 0)
		return r;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
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

int pt_sysfs_list(const struct pt_sysfs *s _unused_, const char *path, pt_sysfs_dir_fn fn,
		  void *userdata)
{
	struct dirent *de;
	DIR *d;
	int r;

	r = pt_sysfs_hook_before(PT_IO_LIST, path, NULL);
	if (r < 0)
		return r;
	d = opendir(path);
	if (!d)
		return -errno;
	r = 0;
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				r = -errno;
			break;
		}
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		r = fn(de->d_name, userdata);
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}
