/* SPDX-License-Identifier: MIT */
/* log.c — see log.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"

/*
 * The kernel rate-limits writes to /dev/kmsg per open file (printk.devkmsg
 * defaults to "ratelimit": a burst of 10 records per 5 s), and drops the
 * rest silently — write() still reports success. An agent that explains a
 * failing boot must not lose its explanation, so the device is opened
 * afresh after every few records; the total number of lines pt writes is
 * small and bounded by the number of devices it was asked to handle.
 */
#define KMSG_REOPEN_EVERY 8

static struct {
	char kmsg_path[4096];
	char ident[32];
	int fd;
	unsigned written;
	enum pt_log_level level;
	bool has_kmsg;
	bool also_stderr;
} log_state = { .fd = -1, .level = PT_LOG_INFO, .ident = "pt" };

static int kmsg_open(void)
{
	return pt_open(log_state.kmsg_path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
}

void pt_log_open(const char *kmsg_path, const char *ident, enum pt_log_level level,
		 bool also_stderr)
{
	pt_log_close();
	pt_strlcpy(log_state.ident, ident, sizeof(log_state.ident));
	log_state.level = level;
	log_state.also_stderr = also_stderr;
	log_state.has_kmsg = false;
	if (!kmsg_path || pt_strlcpy(log_state.kmsg_path, kmsg_path, sizeof(log_state.kmsg_path)) >=
				  sizeof(log_state.kmsg_path))
		return;
	log_state.fd = kmsg_open();
	log_state.has_kmsg = log_state.fd >= 0;
	log_state.written = 0;
}

void pt_log_set_level(enum pt_log_level level)
{
	log_state.level = level;
}

enum pt_log_level pt_log_get_level(void)
{
	return log_state.level;
}

bool pt_log_to_kmsg(void)
{
	return log_state.has_kmsg;
}

void pt_log_close(void)
{
	if (log_state.fd >= 0)
		close(log_state.fd);
	log_state.fd = -1;
	log_state.has_kmsg = false;
}

static void write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

void pt_logv(enum pt_log_level level, const char *fmt, va_list ap)
{
	char msg[PT_LOG_LINE_MAX], line[PT_LOG_LINE_MAX + 64];
	int n, len;

	if (level > log_state.level)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		memcpy(msg + sizeof(msg) - 4, "...", 4);
	/* One record per line: a newline inside a message would start an
	 * unprefixed record in the kernel log. */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';

	if (log_state.has_kmsg) {
		if (log_state.written >= KMSG_REOPEN_EVERY) {
			int fd = kmsg_open();

			if (fd >= 0) {
				close(log_state.fd);
				log_state.fd = fd;
				log_state.written = 0;
			}
		}
		len = snprintf(line, sizeof(line), "<%d>%s: %s\n", (int)level, log_state.ident,
			       msg);
		/* kmsg takes one record per write(): never split it. */
		if (write(log_state.fd, line, (size_t)len) < 0 && errno != EINTR) {
			/* The device refused: keep the message on stderr. */
			log_state.also_stderr = true;
		}
		log_state.written++;
	}
	if (!log_state.has_kmsg || log_state.also_stderr) {
		len = snprintf(line, sizeof(line), "%s: %s\n", log_state.ident, msg);
		write_all(STDERR_FILENO, line, (size_t)len);
	}
}

void pt_log(enum pt_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pt_logv(level, fmt, ap);
	va_end(ap);
}
