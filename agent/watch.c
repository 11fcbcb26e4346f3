/* SPDX-License-Identifier: MIT */
/* watch.c — the supervisor; see watch.h. The marks it reads are mark.c's. */
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
static void undo(const struct pt_sysfs *sys, const struct pt_mark_page *s, unsigned timeout_ms,
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

/* A worker that reported and may not have exited yet (pt_watch_reap). */
static pid_t reported_worker;

void pt_watch_reap(void)
{
	int status;

	if (reported_worker <= 0)
		return;
	while (waitpid(reported_worker, &status, 0) < 0 && errno == EINTR)
		;
	reported_worker = 0;
}

/* The work without a supervisor; its guarded writes' helper goes with it. */
static int unsupervised(int (*work)(void *arg), void *arg)
{
	int r = work(arg);

	pt_sysfs_guard_stop();
	return r;
}

int pt_watch_run(const struct pt_sysfs *sys, unsigned deadline_ms, int (*work)(void *arg),
		 int (*on_hang)(void *arg, const struct pt_watch_hang *hang), void *arg)
{
	struct pt_watch_hang hang = { 0 };
	struct pt_mark_page *s;
	int pipefd[2], status, r;
	bool reaped = false;
	pid_t pid;

	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		return unsupervised(work, arg);
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		munmap(s, sizeof(*s));
		return unsupervised(work, arg);
	}
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		munmap(s, sizeof(*s));
		return unsupervised(work, arg);
	}
	if (pid == 0) {
		unsigned char result;

		close(pipefd[0]);
		pt_mark_attach(s);
		r = work(arg);
		pt_sysfs_guard_stop();
		/* Done: say so, then go. The parent frees what both hold, and
		 * returns on this report, not on this process's exit: the
		 * kernel's teardown of its memory is nobody's wait. */
		result = (unsigned char)(r & 0xff);
		PT_STAGE("reported");
		if (write(pipefd[1], &result, 1) != 1)
			_exit(r & 0xff);
		_exit(r & 0xff);
	}
	close(pipefd[1]);

	for (;;) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		uint64_t since, now;
		unsigned char c;
		ssize_t n;

		r = poll(&pfd, 1, (int)POLL_MS);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0) {
			n = read(pipefd[0], &c, 1);
			if (n == 1) {
				PT_STAGE("supervisor");
				/* The worker's report: its work is done, and only
				 * its exit is left; pt_watch_reap() waits for it
				 * once the caller has done its own ending. */
				close(pipefd[0]);
				if (waitpid(pid, &status, WNOHANG) != pid)
					reported_worker = pid;
				munmap(s, sizeof(*s));
				return c;
			}
			if (n == 0 || (n < 0 && errno != EINTR))
				break; /* gone without a report: its end of the pipe closed */
		}
		/* Gone without a report while a process it forked (a guard
		 * helper stuck in a driver, which cannot die) still holds its
		 * end of the pipe open: its exit says so. */
		if (r == 0 && waitpid(pid, &status, WNOHANG) == pid) {
			reaped = true;
			break;
		}
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
			pt_sysfs_guard_stop();
			munmap(s, sizeof(*s));
			return on_hang(arg, &hang);
		}
	}
	close(pipefd[0]);
	while (!reaped && waitpid(pid, &status, 0) < 0 && errno == EINTR)
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
	/* The undo's helper goes with it (sysfs.c). */
	pt_sysfs_guard_stop();
	munmap(s, sizeof(*s));
	return on_hang(arg, &hang);
}
