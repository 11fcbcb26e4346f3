/* SPDX-License-Identifier: MIT */
/* state.c — see state.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "state.h"
#include "watch.h"

static void hex4(struct pt_json *j, const char *key, unsigned v)
{
	pt_json_key(j, key);
	pt_json_hex(j, v, 4);
}

static void render_device(struct pt_json *j, const struct pt_target *t)
{
	const struct pt_pci_func *f = t->fn;

	pt_json_begin_object(j);
	pt_json_key(j, "addr");
	pt_json_string(j, f->name);
	if (f->id_err) {
		const char *keys[] = { "vendor", "device", "subvendor", "subdevice", "class" };

		for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
			pt_json_key(j, keys[i]);
			pt_json_null(j);
		}
	} else {
		hex4(j, "vendor", f->vendor);
		hex4(j, "device", f->device);
		hex4(j, "subvendor", f->subvendor);
		hex4(j, "subdevice", f->subdevice);
		pt_json_key(j, "class");
		pt_json_hex(j, f->class, 6);
	}
	pt_json_key(j, "iommu_group");
	if ((f->loaded & PT_PCI_STATE) && f->iommu_group >= 0)
		pt_json_int(j, f->iommu_group);
	else
		pt_json_null(j);
	pt_json_key(j, "boot_vga");
	pt_json_bool(j, f->boot_vga);
	pt_json_key(j, "selected_by");
	pt_json_string(j, t->selected_by);
	pt_json_key(j, "driver_before");
	pt_json_string_or_null(j, t->driver_before);
	pt_json_key(j, "driver_after");
	pt_json_string_or_null(j, t->driver_after);
	pt_json_key(j, "action");
	pt_json_string(j, pt_action_name(t->action));
	pt_json_key(j, "error");
	pt_json_string_or_null(j, t->error);
	pt_json_key(j, "vfio_node");
	pt_json_string_or_null(j, t->vfio_node);
	pt_json_end_object(j);
}

static void render_group(struct pt_json *j, const struct pt_group *g)
{
	pt_json_begin_object(j);
	pt_json_key(j, "group");
	pt_json_int(j, g->group);
	pt_json_key(j, "viable");
	pt_json_bool(j, g->viable);
	pt_json_key(j, "members");
	pt_json_begin_array(j);
	for (size_t i = 0; i < g->n_members; i++)
		pt_json_string(j, g->members[i]->name);
	pt_json_end_array(j);
	pt_json_key(j, "blockers");
	pt_json_begin_array(j);
	for (size_t i = 0; i < g->n_blockers; i++) {
		const struct pt_pci_func *m = g->blockers[i].fn;

		pt_json_begin_object(j);
		pt_json_key(j, "addr");
		pt_json_string(j, m->name);
		if (m->id_err) {
			pt_json_key(j, "vendor");
			pt_json_null(j);
			pt_json_key(j, "device");
			pt_json_null(j);
			pt_json_key(j, "class");
			pt_json_null(j);
		} else {
			hex4(j, "vendor", m->vendor);
			hex4(j, "device", m->device);
			pt_json_key(j, "class");
			pt_json_hex(j, m->class, 6);
		}
		pt_json_key(j, "driver");
		pt_json_string_or_null(j, m->driver);
		pt_json_key(j, "reason");
		pt_json_string(j, g->blockers[i].why);
		pt_json_end_object(j);
	}
	pt_json_end_array(j);
	pt_json_end_object(j);
}

static void render_msgs(struct pt_json *j, const char *key, const struct pt_diag *d,
			enum pt_severity sev)
{
	pt_json_key(j, key);
	pt_json_begin_array(j);
	for (size_t i = 0; d && i < d->n; i++)
		if (d->msgs[i].sev == sev)
			pt_json_string_prefixed(j, d->msgs[i].prefix, d->msgs[i].text);
	pt_json_end_array(j);
}

/* Re-emit a node of the previous state file. It was parsed strictly and
 * every string goes through the escaping writer again. */
static void emit_node(struct pt_json *j, const struct pt_jnode *n)
{
	switch (n->type) {
	case PT_J_NULL:
		pt_json_null(j);
		break;
	case PT_J_BOOL:
		pt_json_bool(j, n->b);
		break;
	case PT_J_NUMBER:
		/* Not every number fits int64_t: casting 1e300 would be
		 * undefined behaviour (found by fuzz_state). */
		if (n->is_int)
			pt_json_int(j, n->i);
		else
			pt_json_double(j, n->d);
		break;
	case PT_J_STRING:
		pt_json_string(j, n->s);
		break;
	case PT_J_ARRAY:
	case PT_J_OBJECT:
		if (n->type == PT_J_ARRAY)
			pt_json_begin_array(j);
		else
			pt_json_begin_object(j);
		for (const struct pt_jnode *c = n->child; c; c = c->next) {
			if (n->type == PT_J_OBJECT)
				pt_json_key(j, c->key);
			emit_node(j, c);
		}
		if (n->type == PT_J_ARRAY)
			pt_json_end_array(j);
		else
			pt_json_end_object(j);
		break;
	}
}

static bool handled_addr(const struct pt_report *r, const char *addr)
{
	for (size_t i = 0; r->plan && i < r->plan->n_targets; i++)
		if (streq(r->plan->targets[i].fn->name, addr))
			return true;
	return false;
}

static bool handled_group(const struct pt_report *r, int64_t g)
{
	for (size_t i = 0; r->plan && i < r->plan->n_groups; i++)
		if (r->plan->groups[i].group == g)
			return true;
	return false;
}

/* The previous file's entries of `key` that this run did not handle. */
static void carry_over(struct pt_json *j, const struct pt_report *r, const char *key)
{
	const struct pt_jnode *arr = pt_jarray(r->previous, key);

	for (const struct pt_jnode *e = arr ? arr->child : NULL; e; e = e->next) {
		const char *addr = pt_jstr(e, "addr");
		int64_t g;

		if (e->type != PT_J_OBJECT)
			continue;
		if (streq(key, "devices") && (!addr || handled_addr(r, addr)))
			continue;
		if (streq(key, "groups") && (!pt_jint(e, "group", &g) || handled_group(r, g)))
			continue;
		emit_node(j, e);
	}
}

void pt_state_render(const struct pt_report *r, struct pt_buf *out)
{
	struct pt_json j;

	pt_json_init(&j, out);
	pt_json_begin_object(&j);
	pt_json_key(&j, "schema");
	pt_json_int(&j, PT_STATE_SCHEMA);
	pt_json_key(&j, "agent");
	pt_json_string(&j, r->agent_version);
	pt_json_key(&j, "boot_id");
	pt_json_string_or_null(&j, r->boot_id);
	pt_json_key(&j, "started_ms");
	pt_json_int(&j, (int64_t)r->started_ms);
	pt_json_key(&j, "finished_ms");
	pt_json_int(&j, (int64_t)r->finished_ms);
	pt_json_key(&j, "source");
	if (r->previous && pt_jstr(r->previous, "source"))
		pt_json_string(&j, pt_jstr(r->previous, "source"));
	else
		pt_json_string(&j, pt_source_name(r->source));
	pt_json_key(&j, "spec");
	if (r->previous && pt_jget(r->previous, "spec"))
		pt_json_string(&j, pt_jstr(r->previous, "spec"));
	else
		pt_json_string(&j, r->spec);

	pt_json_key(&j, "options");
	pt_json_begin_object(&j);
	pt_json_key(&j, "group");
	pt_json_string(&j, pt_group_policy_name(r->opts->group));
	pt_json_key(&j, "onfail");
	pt_json_string(&j, pt_onfail_name(r->opts->onfail));
	pt_json_key(&j, "fb");
	pt_json_string(&j, pt_fb_name(r->opts->fb));
	pt_json_key(&j, "dryrun");
	pt_json_bool(&j, r->opts->dryrun);
	pt_json_end_object(&j);

	pt_json_key(&j, "iommu");
	pt_json_bool(&j, r->iommu);

	pt_json_key(&j, "modules");
	pt_json_begin_array(&j);
	for (size_t i = 0; i < r->n_modules; i++) {
		pt_json_begin_object(&j);
		pt_json_key(&j, "name");
		pt_json_string(&j, r->modules[i].name);
		pt_json_key(&j, "result");
		pt_json_string(&j, pt_mod_result_name(r->modules[i].result));
		pt_json_key(&j, "error");
		pt_json_string_or_null(&j, r->modules[i].error);
		pt_json_key(&j, "path");
		pt_json_string_or_null(&j, r->modules[i].path);
		pt_json_end_object(&j);
	}
	pt_json_end_array(&j);

	pt_json_key(&j, "devices");
	pt_json_begin_array(&j);
	carry_over(&j, r, "devices");
	for (size_t i = 0; r->plan && i < r->plan->n_targets; i++)
		render_device(&j, &r->plan->targets[i]);
	pt_json_end_array(&j);

	pt_json_key(&j, "groups");
	pt_json_begin_array(&j);
	carry_over(&j, r, "groups");
	for (size_t i = 0; r->plan && i < r->plan->n_groups; i++)
		render_group(&j, &r->plan->groups[i]);
	pt_json_end_array(&j);

	render_msgs(&j, "errors", r->diag, PT_SEV_ERROR);
	render_msgs(&j, "warnings", r->diag, PT_SEV_WARNING);
	pt_json_key(&j, "result");
	pt_json_string(&j, r->result);
	pt_json_end_object(&j);
	pt_buf_putc(out, '\n');
}

static int fail(char *err, size_t errsize, int r, const char *fmt, ...) _printf_(4, 5);
static int fail(char *err, size_t errsize, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsize, fmt, ap);
	va_end(ap);
	return r;
}

static int state_write(const struct pt_sysfs *sys, const struct pt_report *report, char *err,
		       size_t errsize);

int pt_state_write_report(const struct pt_sysfs *sys, const struct pt_report *report, char *err,
			  size_t errsize)
{
	int r;

	pt_watch_begin("write", PT_STATE_FILE, 0);
	r = state_write(sys, report, err, errsize);
	pt_watch_end();
	return r;
}

/* pt_buf sink: write all of data to the descriptor *ctx. */
static int sink_fd(void *ctx, const char *data, size_t len)
{
	int fd = *(const int *)ctx;
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		off += (size_t)n;
	}
	return 0;
}

/* Render straight into the file, a chunk at a time: thousands of devices
 * cost one chunk of memory, not the size of the file. */
static int render_to(int fd, const struct pt_report *report)
{
	struct pt_buf b;
	int r;

	pt_buf_init(&b);
	pt_buf_set_sink(&b, sink_fd, &fd);
	pt_state_render(report, &b);
	r = b.oom ? -ENOMEM : pt_buf_flush(&b);
	pt_buf_free(&b);
	return r;
}

static int state_write(const struct pt_sysfs *sys, const struct pt_report *report, char *err,
		       size_t errsize)
{
	char dir[PATH_MAX], tmp[64];
	struct stat st;
	bool created = false;
	int dfd, fd, r;

	err[0] = '\0';
	r = pt_sysfs_path(sys, dir, sizeof(dir), PT_STATE_DIR);
	if (r < 0)
		return fail(err, errsize, r, "state directory path too long");
	r = pt_sysfs_hook_before(PT_IO_STATE, dir, NULL);
	if (r < 0)
		return fail(err, errsize, r, "cannot write %s: %s", PT_STATE_FILE, strerror(-r));
	if (mkdir(dir, 0755) == 0)
		created = true;
	else if (errno != EEXIST)
		return fail(err, errsize, -errno, "cannot create %s: %s", PT_STATE_DIR,
			    strerror(errno));
	dfd = pt_open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		r = -errno;
		if (r == -ELOOP || r == -ENOTDIR)
			return fail(err, errsize, r,
				    "refusing to write the state: %s is a symlink or not a "
				    "directory",
				    PT_STATE_DIR);
		return fail(err, errsize, r, "cannot open %s: %s", PT_STATE_DIR, strerror(-r));
	}
	/* 0755 whatever the umask, so that any user's pt-status can read it. */
	if (created && fchmod(dfd, 0755) < 0) {
		r = -errno;
		close(dfd);
		return fail(err, errsize, r, "cannot set the mode of %s: %s", PT_STATE_DIR,
			    strerror(-r));
	}
	if (fstat(dfd, &st) < 0) {
		r = -errno;
		close(dfd);
		return fail(err, errsize, r, "cannot stat %s: %s", PT_STATE_DIR, strerror(-r));
	}
	if (st.st_uid != geteuid() || (st.st_mode & 0022)) {
		close(dfd);
		return fail(err, errsize, -EPERM,
			    "refusing to write the state: %s is owned by uid %u or writable by "
			    "others (mode %04o)",
			    PT_STATE_DIR, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	}
	if (fstatat(dfd, "state.json", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode)) {
		close(dfd);
		return fail(err, errsize, -EEXIST,
			    "refusing to replace %s: it is a symlink or not a regular file",
			    PT_STATE_FILE);
	}

	snprintf(tmp, sizeof(tmp), ".state.json.%ld", (long)getpid());
	(void)unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
		close(dfd);
		return fail(err, errsize, r, "cannot create a file in %s: %s", PT_STATE_DIR,
			    strerror(-r));
	}
	r = 0;
	if (fchmod(fd, 0644) < 0)
		r = -errno;
	if (r == 0)
		r = render_to(fd, report);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0 && errno != EINTR)
		r = -errno;
	if (r == 0 && renameat(dfd, tmp, dfd, "state.json") < 0)
		r = -errno;
	if (r < 0) {
		(void)unlinkat(dfd, tmp, 0);
		close(dfd);
		return fail(err, errsize, r, "cannot write %s: %s", PT_STATE_FILE, strerror(-r));
	}
	/* The rename is durable once the directory is. */
	(void)fsync(dfd);
	close(dfd);
	return 0;
}

int pt_state_read(const struct pt_sysfs *sys, const char *boot_id, struct pt_jdoc *ret, char *err,
		  size_t errsize)
{
	char path[PATH_MAX], *buf;
	struct pt_jerror jerr;
	struct stat st;
	int64_t schema;
	const char *old_boot;
	ssize_t n;
	size_t len = 0;
	int fd, r;

	*ret = (struct pt_jdoc){ 0 };
	err[0] = '\0';
	r = pt_sysfs_path(sys, path, sizeof(path), PT_STATE_FILE);
	if (r < 0)
		return fail(err, errsize, r, "state path too long");
	fd = pt_open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return fail(err, errsize, -errno, "cannot open %s: %s", PT_STATE_FILE,
			    strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > PT_JSONR_MAX_SIZE) {
		close(fd);
		return fail(err, errsize, -EINVAL, "%s is not a regular file of at most %u bytes",
			    PT_STATE_FILE, PT_JSONR_MAX_SIZE);
	}
	if (st.st_uid != geteuid()) {
		close(fd);
		return fail(err, errsize, -EPERM, "%s is owned by uid %u: not pt-agent's; not read",
			    PT_STATE_FILE, (unsigned)st.st_uid);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	r = pt_jsonr_parse(buf, len, ret, &jerr);
	free(buf);
	if (r < 0)
		return fail(err, errsize, r, "%s: byte %zu: %s", PT_STATE_FILE, jerr.offset,
			    jerr.msg);
	old_boot = pt_jstr(ret->root, "boot_id");
	if (!pt_jint(ret->root, "schema", &schema) || schema != PT_STATE_SCHEMA) {
		pt_jsonr_free(ret);
		return fail(err, errsize, -EPROTO, "%s is not schema %d", PT_STATE_FILE,
			    PT_STATE_SCHEMA);
	}
	if (boot_id && boot_id[0] && (!old_boot || !streq(old_boot, boot_id))) {
		pt_jsonr_free(ret);
		return fail(err, errsize, -ESTALE, "%s is from an earlier boot", PT_STATE_FILE);
	}
	return 0;
}
