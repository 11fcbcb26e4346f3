/* SPDX-License-Identifier: MIT */
/*
 * mark.c — the marks a supervised worker leaves, and guarded calls; see
 * mark.h. Below sysfs.c, which marks every operation; the supervisor that
 * reads the marks (watch.c) sits above both.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mark.h"

/* Set in the worker only: the parent and the children of guarded writes
 * leave it NULL, so their operations are not marked. */
static struct pt_mark_page *shm;

void pt_watch_begin(const char *what, const char *path, unsigned slack_ms)
{
	if (!shm)
		return;
	if (shm->depth++ > 0)
		return;
	{
		size_t n = strlen(what);

		if (n > sizeof(shm->what) / 2)
			n = sizeof(shm->what) / 2;
		memcpy(shm->what, what, n);
		shm->what[n] = ' ';
		pt_strlcpy(shm->what + n + 1, path, sizeof(shm->what) - n - 1);
	}
	shm->slack_ms = slack_ms;
	__atomic_store_n(&shm->since_ms, pt_now_ms(), __ATOMIC_RELEASE);
}

void pt_watch_set_deadline(unsigned ms)
{
	if (shm)
		__atomic_store_n(&shm->deadline_ms, ms, __ATOMIC_RELEASE);
}

void pt_watch_end(void)
{
	if (!shm || shm->depth == 0)
		return;
	shm->depth--;
}

void pt_watch_journal(enum pt_journal_kind kind, const char *addr, const char *old)
{
	struct pt_journal_entry *e;
	uint32_t n;

	if (!shm)
		return;
	n = shm->n_journal;
	if (n == PT_WATCH_JOURNAL_MAX)
		return;
	e = &shm->journal[n];
	e->kind = kind;
	pt_strlcpy(e->addr, addr, sizeof(e->addr));
	pt_strlcpy(e->old, old ? old : "", sizeof(e->old));
	/* Publish the entry only once it is complete. */
	__atomic_store_n(&shm->n_journal, n + 1, __ATOMIC_RELEASE);
}

void pt_watch_forget(void)
{
	shm = NULL;
}

void pt_mark_attach(struct pt_mark_page *page)
{
	shm = page;
}

int pt_watch_guard(int (*fn)(void *arg), void *arg, unsigned timeout_ms)
{
	int pipefd[2], status, result = -EIO, r;
	uint64_t deadline;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return fn(arg);
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return fn(arg);
	}
	if (pid == 0) {
		close(pipefd[0]);
		shm = NULL;
		r = fn(arg);
		if (write(pipefd[1], &r, sizeof(r)) != sizeof(r))
			_exit(2);
		_exit(0);
	}
	close(pipefd[1]);
	deadline = pt_now_ms() + timeout_ms;
	for (;;) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		uint64_t now = pt_now_ms();

		r = now >= deadline ? 0 : poll(&pfd, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			close(pipefd[0]);
			kill(pid, SIGKILL);
			(void)waitpid(pid, &status, WNOHANG);
			return -ETIMEDOUT;
		}
		if (read(pipefd[0], &result, sizeof(result)) != sizeof(result))
			result = -EIO;
		break;
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return result;
}
