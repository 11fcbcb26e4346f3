/* SPDX-License-Identifier: MIT */
/* watch.c — the supervisor; see watch.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "watch.h"

#define POLL_MS 50u
/* Putting things back is the failure path: it may take its time, and a
 * write cut short there would leave a device without its driver. */
#define UNDO_TIMEOUT(ms) ((ms) > 2000u ? (ms) : 2000u)

struct shared {
	uint32_t deadline_ms; /* set by the worker once it knows pt.timeout */
	uint32_t depth;
	uint32_t slack_ms;
	uint64_t since_ms;
	char what[320];
	uint32_t n_journal;
	struct pt_journal_entry journal[PT_WATCH_JOURNAL_MAX];
};

/* Set in the worker only: the parent and the children of guarded writes
 * leave it NULL, so their operations are not marked. */
static struct shared *shm;

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

/* A best-effort write for the undo: its failure (not bound, already
 * bound) is the expected case as often as not. */
static void guarded(const struct pt_sysfs *sys, unsigned timeout_ms, const char *path,
		    const char *value)
{
	if (pt_sysfs_write_guarded(sys, path, value, timeout_ms) < 0)
		return;
}

/* Give back what the lost worker changed: per device, the old override,
 * then off whatever driver it is on now, a reprobe, and the old host
 * driver explicitly. Every write is guarded; the stuck device is left. */
static void undo(const struct pt_sysfs *sys, const struct shared *s, unsigned timeout_ms,
		 struct pt_watch_hang *hang)
{
	uint32_t n = __atomic_load_n(&s->n_journal, __ATOMIC_ACQUIRE);

	for (uint32_t i = 0; i < n; i++) {
		const struct pt_journal_entry *e = &s->journal[i];
		const char *old_override = NULL, *old_driver = NULL;
		char path[PATH_MAX];
		bool first = true;

		for (uint32_t k = 0; k < i; k++)
			if (streq(s->journal[k].addr, e->addr))
				first = false;
		if (!first)
			continue;
		/* The device the stuck operation was about too: every write
		 * here is guarded, so trying costs at most a timeout. */
		if (strstr(hang->what, e->addr))
			hang->left++;
		for (uint32_t k = i; k < n; k++) {
			if (!streq(s->journal[k].addr, e->addr))
				continue;
			if (s->journal[k].kind == PT_J_OVERRIDE && !old_override)
				old_override = s->journal[k].old;
			if (s->journal[k].kind == PT_J_UNBOUND && !old_driver)
				old_driver = s->journal[k].old;
		}
		if (old_override &&
		    pt_sysfs_path(sys, path, sizeof(path),
				  "/sys/bus/pci/devices/%s/driver_override", e->addr) >= 0)
			guarded(sys, timeout_ms, path, old_override[0] ? old_override : "\n");
		if (pt_sysfs_path(sys, path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind",
				  e->addr) >= 0)
			guarded(sys, timeout_ms, path, e->addr);
		if (pt_sysfs_path(sys, path, sizeof(path), "/sys/bus/pci/drivers_probe") >= 0)
			guarded(sys, timeout_ms, path, e->addr);
		if (old_driver && old_driver[0] &&
		    pt_sysfs_path(sys, path, sizeof(path), "/sys/bus/pci/drivers/%s/bind",
				  old_driver) >= 0)
			guarded(sys, timeout_ms, path, e->addr);
		hang->undone++;
	}
}

int pt_watch_run(const struct pt_sysfs *sys, unsigned deadline_ms, int (*work)(void *arg),
		 int (*on_hang)(void *arg, const struct pt_watch_hang *hang), void *arg)
{
	struct pt_watch_hang hang = { 0 };
	struct shared *s;
	int pipefd[2], status, r;
	pid_t pid;

	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		return work(arg);
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		munmap(s, sizeof(*s));
		return work(arg);
	}
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		munmap(s, sizeof(*s));
		return work(arg);
	}
	if (pid == 0) {
		close(pipefd[0]);
		shm = s;
		r = work(arg);
		/* The parent frees what both hold; the worker just goes. */
		_exit(r & 0xff);
	}
	close(pipefd[1]);

	for (;;) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		uint64_t since, now;
		char c;

		r = poll(&pfd, 1, (int)POLL_MS);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0 && read(pipefd[0], &c, 1) <= 0)
			break; /* the worker is gone: its end of the pipe closed */
		since = __atomic_load_n(&s->since_ms, __ATOMIC_ACQUIRE);
		now = pt_now_ms();
		if (__atomic_load_n(&s->deadline_ms, __ATOMIC_ACQUIRE))
			deadline_ms = __atomic_load_n(&s->deadline_ms, __ATOMIC_ACQUIRE);
		if (s->depth > 0 && since && now > since &&
		    now - since > deadline_ms + s->slack_ms) {
			pt_strlcpy(hang.what, s->what, sizeof(hang.what));
			hang.waited_ms = (unsigned)(now - since);
			kill(pid, SIGKILL);
			(void)waitpid(pid, &status, WNOHANG);
			close(pipefd[0]);
			undo(sys, s, UNDO_TIMEOUT(deadline_ms), &hang);
			munmap(s, sizeof(*s));
			return on_hang(arg, &hang);
		}
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status)) {
		munmap(s, sizeof(*s));
		return WEXITSTATUS(status);
	}
	/* Killed by a signal (a crash): the parent is still here to put
	 * things back and say so. */
	snprintf(hang.what, sizeof(hang.what), "the worker died of signal %d during: %s",
		 WIFSIGNALED(status) ? WTERMSIG(status) : 0, s->depth ? s->what : "(no operation)");
	undo(sys, s, UNDO_TIMEOUT(deadline_ms), &hang);
	munmap(s, sizeof(*s));
	return on_hang(arg, &hang);
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
