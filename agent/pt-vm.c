/* SPDX-License-Identifier: MIT */
/*
 * pt-vm.c — main of pt-vm: start a VM from pt's state. Reads
 * /etc/pt/vm/NAME.conf (vmconf.h), looks at pt's state file and the live
 * system as pt-status does (status.h), plans the VM (vm.h), checks as the
 * user QEMU will run as that every node opens and that the memory-lock
 * limit holds the guest (vmhost.h), then becomes that user and executes
 * QEMU. See pt-vm(8).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vm.h"
#include "vmhost.h"

#define EXIT_USAGE 64
#define WAIT_POLL_MS 200
#define MAX_GROUPS 256

enum command { CMD_START, CMD_ARGS, CMD_CHECK, CMD_RESET_VARS, CMD_UDEV_RULES };

struct user {
	bool given;
	char name[64];
	uid_t uid;
	gid_t gid;
	gid_t groups[MAX_GROUPS];
	int n_groups;
	bool drop; /* pt-vm is root and QEMU runs as another user */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: pt-vm [OPTIONS] start NAME        check, then run QEMU (exec)\n"
		"       pt-vm [OPTIONS] args NAME         print the QEMU command, do not start\n"
		"       pt-vm [OPTIONS] check NAME        every check, one line each; exit 0/1\n"
		"       pt-vm [OPTIONS] reset-vars NAME   a fresh OVMF VARS, the old one kept\n"
		"       pt-vm [OPTIONS] udev-rules [NAME...]  rules for the VMs' USB devices\n"
		"\n"
		"A VM is /etc/pt/vm/NAME.conf (key = value, see pt-vm(8)); it gets devices\n"
		"pt-agent bound at boot.\n"
		"\n"
		"Options:\n"
		"  --config FILE     the VM file (default /etc/pt/vm/NAME.conf)\n"
		"  --group NAME      udev-rules: the group given the USB devices (default: each\n"
		"                    VM user's primary group)\n"
		"  --sysroot DIR     read every path under DIR (a fixture tree)\n"
		"  -h, --help        show this help\n"
		"  -V, --version     show the version\n"
		"\n"
		"Exit status: 0 ok, 1 a check failed (or QEMU could not be started), 64 usage.\n");
}

static int usage_error(const char *fmt, ...) _printf_(1, 2);
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pt-vm: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'pt-vm --help'.\n");
	return EXIT_USAGE;
}

static void print_diag(const struct pt_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "pt-vm: %s%s\n",
			d->msgs[i].sev == PT_SEV_WARNING ? "warning: " : "", d->msgs[i].text);
	if (d->oom)
		fprintf(stderr, "pt-vm: out of memory\n");
}

static int load_conf(const struct pt_sysfs *sys, const char *name, const char *file,
		     struct pt_vmconf *c)
{
	char path[PATH_MAX], shown[PATH_MAX];
	struct pt_diag d;
	int r;

	if (!pt_vm_name_valid(name)) {
		fprintf(stderr,
			"pt-vm: '%s' is not a VM name (letters, digits, '_', '-', '.'; up to %d)\n",
			name, PT_VM_NAME_MAX);
		return -EINVAL;
	}
	if (file)
		snprintf(shown, sizeof(shown), "%s", file);
	else
		snprintf(shown, sizeof(shown), PT_VM_CONF_DIR "/%s.conf", name);
	if (pt_sysfs_path(sys, path, sizeof(path), "%s", shown) < 0)
		return -ENAMETOOLONG;
	pt_vmconf_init(c, name);
	pt_diag_init(&d);
	r = pt_vmconf_read(path, shown, c, &d);
	if (r == -ENOENT)
		fprintf(stderr, "pt-vm: no VM '%s': %s does not exist\n", name, shown);
	print_diag(&d);
	if (r == -EINVAL)
		fprintf(stderr, "pt-vm: %s has errors: VM '%s' not used\n", shown, name);
	pt_diag_free(&d);
	if (r < 0)
		pt_vmconf_free(c);
	return r;
}

static int resolve_user(const struct pt_vmconf *c, struct user *u, char *err, size_t size)
{
	char buf[4096];
	struct passwd pw, *pwp = NULL;
	uid_t me = geteuid();

	*u = (struct user){ .given = c->user != NULL };
	if (c->user)
		getpwnam_r(c->user, &pw, buf, sizeof(buf), &pwp);
	else
		getpwuid_r(me, &pw, buf, sizeof(buf), &pwp);
	if (!pwp) {
		if (c->user) {
			snprintf(err, size, "user = %s: no such user", c->user);
			return -ENOENT;
		}
		snprintf(u->name, sizeof(u->name), "%u", (unsigned)me);
		u->uid = me;
		u->gid = getegid();
		return 0;
	}
	pt_strlcpy(u->name, pwp->pw_name, sizeof(u->name));
	u->uid = pwp->pw_uid;
	u->gid = pwp->pw_gid;
	u->n_groups = MAX_GROUPS;
	if (getgrouplist(pwp->pw_name, pwp->pw_gid, u->groups, &u->n_groups) < 0)
		u->n_groups = MAX_GROUPS;
	if (u->uid != me) {
		if (me != 0) {
			snprintf(err, size,
				 "user = %s: pt-vm runs as uid %u; only root can start QEMU as "
				 "another user",
				 c->user, (unsigned)me);
			return -EPERM;
		}
		u->drop = true;
	}
	return 0;
}

static int drop_privileges(const struct user *u)
{
	if (!u->drop)
		return 0;
	if (setgroups((size_t)u->n_groups, u->groups) < 0 || setgid(u->gid) < 0 ||
	    setuid(u->uid) < 0)
		return -errno;
	return 0;
}

/*
 * Open every node (and disk) as the VM's user, in a child that drops to
 * that user: the open QEMU will do, made now. One int per path back
 * through a pipe.
 */
static int open_as_user(const struct pt_sysfs *sys, const struct user *u, char **paths, size_t n,
			int *ret)
{
	int fds[2], status;
	pid_t pid;

	if (pipe(fds) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (pid == 0) {
		int r = drop_privileges(u);

		close(fds[0]);
		for (size_t i = 0; i < n; i++) {
			char path[PATH_MAX];
			int res = r;

			if (res == 0)
				res = pt_sysfs_path(sys, path, sizeof(path), "%s", paths[i]) < 0
					      ? -ENAMETOOLONG
					      : pt_vfio_open_check(path);
			if (write(fds[1], &res, sizeof(res)) != sizeof(res))
				_exit(1);
		}
		_exit(0);
	}
	close(fds[1]);
	for (size_t i = 0; i < n; i++)
		if (read(fds[0], &ret[i], sizeof(ret[i])) != sizeof(ret[i]))
			ret[i] = -EIO;
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

static void node_mode(const struct pt_sysfs *sys, const char *rel, char *buf, size_t size)
{
	char path[PATH_MAX];
	struct stat st;

	buf[0] = '\0';
	if (pt_sysfs_path(sys, path, sizeof(path), "%s", rel) >= 0 && stat(path, &st) == 0)
		snprintf(buf, size, " (mode %04o, uid %u, gid %u)", (unsigned)(st.st_mode & 07777),
			 (unsigned)st.st_uid, (unsigned)st.st_gid);
}

static void check_opens(struct pt_vm *v, const struct user *u)
{
	size_t n = v->n_nodes + v->conf->n_disks;
	char **paths = calloc(n ? n : 1, sizeof(*paths));
	int *res = calloc(n ? n : 1, sizeof(*res));

	if (!paths || !res) {
		v->oom = true;
		goto out;
	}
	for (size_t i = 0; i < v->n_nodes; i++)
		paths[i] = v->nodes[i];
	for (size_t i = 0; i < v->conf->n_disks; i++)
		paths[v->n_nodes + i] = v->conf->disks[i];
	if (open_as_user(v->sys, u, paths, n, res) < 0) {
		pt_vm_add_check(v, false, "open", "cannot test the opens: %s", strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char what[300], desc[600], mode[80];
		bool disk = i >= v->n_nodes;

		snprintf(what, sizeof(what), "open %s", paths[i]);
		if (res[i] == 0) {
			pt_vm_add_check(v, true, what, "opens read-write as %s", u->name);
			continue;
		}
		if (disk && !pt_vm_ok(v))
			continue; /* a refused disk already has its line */
		pt_vfio_open_describe(res[i], paths[i], desc, sizeof(desc));
		node_mode(v->sys, paths[i], mode, sizeof(mode));
		if (res[i] == -EACCES || res[i] == -EPERM)
			pt_vm_add_check(
				v, false, what, "%s for %s%s: %s", desc, u->name, mode,
				strncmp(paths[i], "/dev/vfio/", 10) == 0
					? "give the user the node's group (a udev rule "
					  "SUBSYSTEM==\"vfio\", GROUP=\"vfio\", MODE=\"0660\")"
				: strncmp(paths[i], "/dev/bus/usb/", 13) == 0
					? "install the rules of 'pt-vm udev-rules'"
					: "give the user access to it (a udev rule)");
		else
			pt_vm_add_check(v, false, what, "%s", desc);
	}
out:
	free(paths);
	free(res);
}

static void check_memlock(struct pt_vm *v, const struct user *u)
{
	struct pt_memlock m;
	char advice[1024], unit[PT_VM_NAME_MAX + 32], have[32];

	pt_memlock_get(&m);
	/* Root keeps CAP_IPC_LOCK; a QEMU that becomes another user does not,
	 * but keeps this process's limit. */
	m.privileged = u->uid == 0;
	snprintf(unit, sizeof(unit), "pt-vm@%s.service", v->conf->name);
	if (pt_memlock_fits(&m, v->conf->memory_mib, unit, u->name, advice, sizeof(advice))) {
		pt_memlock_describe(&m, have, sizeof(have));
		pt_vm_add_check(v, true, "memlock", "%s for a %llu MiB guest%s",
				m.privileged ? "root (CAP_IPC_LOCK)" : have,
				(unsigned long long)v->conf->memory_mib,
				m.privileged ? "" : " (+ margin)");
	} else {
		pt_vm_add_check(v, false, "memlock", "%s", advice);
	}
}

static bool find_in_path(const struct pt_sysfs *sys, const char *bin, char *buf, size_t size)
{
	const char *path = getenv("PATH");
	char dir[PATH_MAX];

	if (strchr(bin, '/'))
		return pt_sysfs_path(sys, buf, size, "%s", bin) >= 0 && access(buf, X_OK) == 0;
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		snprintf(dir, sizeof(dir), "%.*s", (int)n, path);
		if (dir[0] == '/' && pt_sysfs_path(sys, buf, size, "%s/%s", dir, bin) >= 0 &&
		    access(buf, X_OK) == 0)
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

static void check_qemu(struct pt_vm *v)
{
	char buf[PATH_MAX];
	const char *bin = v->argv ? v->argv[0] : "qemu-system-x86_64";

	if (find_in_path(v->sys, bin, buf, sizeof(buf)))
		pt_vm_add_check(v, true, "qemu", "%s", buf + v->sys->rootlen);
	else
		pt_vm_add_check(v, false, "qemu",
				"%s not found%s: install QEMU (qemu-system-x86) or set qemu =", bin,
				strchr(bin, '/') ? "" : " in PATH");
}

static void print_checks(const struct pt_vm *v, FILE *out, bool failed_only)
{
	for (size_t i = 0; i < v->n_checks; i++) {
		const struct pt_vm_check *c = &v->checks[i];

		if (failed_only && c->ok)
			continue;
		fprintf(out, "%s %s: %s\n", c->ok ? "ok  " : "FAIL", c->what, c->text);
	}
	if (v->oom)
		fprintf(out, "FAIL pt-vm: out of memory\n");
}

/* Wait until this VM's devices are bound (pt's state from this boot). */
static void wait_devices(const struct pt_sysfs *sys, const struct pt_vmconf *c)
{
	uint64_t deadline = pt_now_ms() + (uint64_t)c->wait_s * 1000;

	for (;;) {
		struct pt_status s;
		bool ready;
		uint64_t now;

		if (pt_status_collect(&s, sys, NULL) < 0) {
			pt_status_free(&s);
			return;
		}
		ready = pt_vm_devices_ready(c, &s);
		pt_status_free(&s);
		now = pt_now_ms();
		if (ready || now >= deadline)
			return;
		pt_sleep_ms(
			(unsigned)(deadline - now < WAIT_POLL_MS ? deadline - now : WAIT_POLL_MS));
	}
}

static int run_vm(const struct pt_sysfs *sys, enum command cmd, const char *name, const char *file)
{
	struct pt_vmconf c;
	struct pt_status s;
	struct pt_vm v;
	struct user u;
	char err[512], msg[1024];
	int code = 1, r;

	if (load_conf(sys, name, file, &c) < 0)
		return 1;
	if (cmd == CMD_START && c.wait_s)
		wait_devices(sys, &c);
	if (pt_status_collect(&s, sys, NULL) < 0 || pt_vm_plan(&v, sys, &c, &s) < 0) {
		fprintf(stderr, "pt-vm: out of memory\n");
		pt_status_free(&s);
		pt_vmconf_free(&c);
		return 1;
	}
	r = resolve_user(&c, &u, err, sizeof(err));
	if (r < 0)
		pt_vm_add_check(&v, false, "user", "%s", err);
	else
		check_opens(&v, &u);
	if (r == 0)
		check_memlock(&v, &u);
	check_qemu(&v);

	switch (cmd) {
	case CMD_CHECK:
		print_checks(&v, stdout, false);
		code = pt_vm_ok(&v) ? 0 : 1;
		break;
	case CMD_ARGS: {
		struct pt_buf b;

		pt_buf_init(&b);
		pt_vm_command_line(&v, &b);
		fputs(pt_buf_str(&b), stdout);
		pt_buf_free(&b);
		print_checks(&v, stderr, true);
		code = pt_vm_ok(&v) ? 0 : 1;
		break;
	}
	case CMD_RESET_VARS:
		if (!v.vars[0]) {
			fprintf(stderr, "pt-vm: %s: firmware = ovmf is not set; no VARS to reset\n",
				name);
			break;
		}
		r = pt_vm_vars_prepare(&v, true, u.drop ? u.uid : (uid_t)-1,
				       u.drop ? u.gid : (gid_t)-1, msg, sizeof(msg));
		fprintf(r < 0 ? stderr : stdout, "pt-vm: %s\n", msg);
		code = r < 0 ? 1 : 0;
		break;
	case CMD_START:
		if (!pt_vm_ok(&v)) {
			print_checks(&v, stderr, true);
			fprintf(stderr,
				"pt-vm: %s not started (pt-vm check %s shows every check)\n", name,
				name);
			break;
		}
		if (v.vars[0]) {
			r = pt_vm_vars_prepare(&v, false, u.drop ? u.uid : (uid_t)-1,
					       u.drop ? u.gid : (gid_t)-1, msg, sizeof(msg));
			fprintf(stderr, "pt-vm: %s\n", msg);
			if (r < 0)
				break;
		}
		{
			struct pt_buf b;

			pt_buf_init(&b);
			pt_vm_command_line(&v, &b);
			fprintf(stderr, "pt-vm: starting %s as %s: %s", name, u.name,
				pt_buf_str(&b));
			pt_buf_free(&b);
		}
		fflush(stderr);
		r = drop_privileges(&u);
		if (r < 0) {
			fprintf(stderr, "pt-vm: cannot become %s: %s\n", u.name, strerror(-r));
			break;
		}
		execvp(v.argv[0], v.argv);
		fprintf(stderr, "pt-vm: cannot run %s: %s\n", v.argv[0], strerror(errno));
		code = 1;
		break;
	default:
		break;
	}
	pt_vm_free(&v);
	pt_status_free(&s);
	pt_vmconf_free(&c);
	return code;
}

static int udev_rules(const struct pt_sysfs *sys, char **names, int n, const char *group)
{
	char dir[PATH_MAX];
	struct pt_buf b;
	int code = 0;
	char **list = names;
	int count = n;
	struct dirent **ents = NULL;

	if (n == 0) {
		if (pt_sysfs_path(sys, dir, sizeof(dir), PT_VM_CONF_DIR) < 0)
			return 1;
		count = scandir(dir, &ents, NULL, alphasort);
		if (count < 0)
			count = 0;
		list = calloc((size_t)count + 1, sizeof(*list));
		if (!list)
			return 1;
		n = 0;
		for (int i = 0; i < count; i++) {
			size_t l = strlen(ents[i]->d_name);

			if (l > 5 && streq(ents[i]->d_name + l - 5, ".conf")) {
				ents[i]->d_name[l - 5] = '\0';
				list[n++] = ents[i]->d_name;
			}
		}
	}
	pt_buf_init(&b);
	pt_buf_puts(&b, "# pt-vm udev-rules: USB devices of pt-vm's VMs, for their users\n");
	for (int i = 0; i < n; i++) {
		struct pt_vmconf c;
		char grp[64] = "";

		if (load_conf(sys, list[i], NULL, &c) < 0) {
			code = 1;
			continue;
		}
		if (group) {
			pt_strlcpy(grp, group, sizeof(grp));
		} else if (c.n_usb) {
			struct group gr, *grp_p = NULL;
			char buf[4096];

			/* the user need not be the one running this */
			gid_t gid = getgid();

			if (c.user) {
				struct passwd pw, *pwp = NULL;

				getpwnam_r(c.user, &pw, buf, sizeof(buf), &pwp);
				if (!pwp) {
					fprintf(stderr, "pt-vm: %s: user = %s: no such user\n",
						list[i], c.user);
					code = 1;
					pt_vmconf_free(&c);
					continue;
				}
				gid = pwp->pw_gid;
			}
			if (getgrgid_r(gid, &gr, buf, sizeof(buf), &grp_p) == 0 && grp_p)
				pt_strlcpy(grp, grp_p->gr_name, sizeof(grp));
			else
				snprintf(grp, sizeof(grp), "%u", (unsigned)gid);
		}
		pt_vm_udev_rules(&c, grp, &b);
		pt_vmconf_free(&c);
	}
	fputs(pt_buf_str(&b), stdout);
	pt_buf_free(&b);
	if (ents) {
		for (int i = 0; i < count; i++)
			free(ents[i]);
		free(ents);
		free(list);
	}
	return code;
}

int main(int argc, char **argv)
{
	enum { OPT_SYSROOT = 256, OPT_CONFIG, OPT_GROUP };
	static const struct option opts[] = { { "sysroot", required_argument, NULL, OPT_SYSROOT },
					      { "config", required_argument, NULL, OPT_CONFIG },
					      { "group", required_argument, NULL, OPT_GROUP },
					      { "help", no_argument, NULL, 'h' },
					      { "version", no_argument, NULL, 'V' },
					      {} };
	const char *sysroot = NULL, *file = NULL, *group = NULL, *cmdname;
	struct pt_sysfs sys;
	enum command cmd;
	int c, code;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hV", opts, NULL)) >= 0) {
		switch (c) {
		case OPT_SYSROOT:
			sysroot = optarg;
			break;
		case OPT_CONFIG:
			file = optarg;
			break;
		case OPT_GROUP:
			group = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("pt-vm %s\n", PT_VERSION);
			return 0;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("no command (start, args, check, reset-vars, udev-rules)");
	cmdname = argv[optind++];
	if (streq(cmdname, "start"))
		cmd = CMD_START;
	else if (streq(cmdname, "args"))
		cmd = CMD_ARGS;
	else if (streq(cmdname, "check"))
		cmd = CMD_CHECK;
	else if (streq(cmdname, "reset-vars"))
		cmd = CMD_RESET_VARS;
	else if (streq(cmdname, "udev-rules"))
		cmd = CMD_UDEV_RULES;
	else
		return usage_error("unknown command '%s' (start, args, check, reset-vars, "
				   "udev-rules)",
				   cmdname);
	if (pt_sysfs_init(&sys, sysroot) < 0)
		return usage_error("--sysroot: '%s' is not an absolute path", sysroot);
	if (file && file[0] != '/')
		return usage_error("--config: '%s' is not an absolute path", file);
	if (cmd == CMD_UDEV_RULES) {
		if (file)
			return usage_error("--config does not apply to udev-rules");
		return udev_rules(&sys, argv + optind, argc - optind, group);
	}
	if (group)
		return usage_error("--group is an option of udev-rules");
	if (optind + 1 != argc)
		return usage_error("%s needs one VM name", cmdname);
	code = run_vm(&sys, cmd, argv[optind], file);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "pt-vm: cannot write the output: %s\n", strerror(errno));
		return 1;
	}
	return code;
}
