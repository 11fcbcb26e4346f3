/* SPDX-License-Identifier: MIT */
/* vm.c — one VM's devices, firmware, USB, disks and command; see vm.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vm.h"
#include "vmdisk.h"

/* OVMF as distributions ship it: CODE and the VARS template that goes with
 * it (the same build: a 4 MiB CODE needs the 4 MiB VARS). */
static const struct {
	const char *code, *vars;
} ovmf_paths[] = {
	/* Debian, Ubuntu (ovmf) */
	{ "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd" },
	{ "/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd" },
	/* Fedora, RHEL (edk2-ovmf) */
	{ "/usr/share/edk2/ovmf/OVMF_CODE.fd", "/usr/share/edk2/ovmf/OVMF_VARS.fd" },
	/* Arch (edk2-ovmf), new and old layout */
	{ "/usr/share/edk2/x64/OVMF_CODE.4m.fd", "/usr/share/edk2/x64/OVMF_VARS.4m.fd" },
	{ "/usr/share/edk2-ovmf/x64/OVMF_CODE.fd", "/usr/share/edk2-ovmf/x64/OVMF_VARS.fd" },
	{ "/usr/share/ovmf/x64/OVMF_CODE.fd", "/usr/share/ovmf/x64/OVMF_VARS.fd" },
	/* NixOS with libvirt (the module passes OVMF.fd's own paths instead) */
	{ "/run/libvirt/nix-ovmf/OVMF_CODE.fd", "/run/libvirt/nix-ovmf/OVMF_VARS.fd" },
};

void pt_vm_add_check(struct pt_vm *v, bool ok, const char *what, const char *fmt, ...)
{
	struct pt_vm_check *c;
	va_list ap;
	char *text = NULL, *w;
	int n;

	if (v->n_checks % 16 == 0) {
		c = realloc(v->checks, (v->n_checks + 16) * sizeof(*c));
		if (!c) {
			v->oom = true;
			return;
		}
		v->checks = c;
	}
	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	w = strdup(what);
	if (n < 0 || !w) {
		free(w);
		if (n >= 0)
			free(text);
		v->oom = true;
		return;
	}
	v->checks[v->n_checks++] = (struct pt_vm_check){ .ok = ok, .what = w, .text = text };
}

bool pt_vm_ok(const struct pt_vm *v)
{
	if (v->oom)
		return false;
	for (size_t i = 0; i < v->n_checks; i++)
		if (!v->checks[i].ok)
			return false;
	return true;
}

static bool sdev_selected(const struct pt_vmconf *c, const struct pt_sview *view)
{
	const struct pt_sdev *d = view->sd;
	bool in = false;

	if (!c->devices)
		return view->wanted;
	for (unsigned i = 0; i < c->spec.n; i++) {
		const struct pt_selector *sel = &c->spec.sel[i];
		bool id = !(sel->flags & PT_SEL_ID) ||
			  (d->has_id && (!(sel->flags & PT_SEL_SUBSYS) || d->has_subsys) &&
			   pt_selector_match_id(sel, d->vendor, d->device, d->subvendor,
						d->subdevice));

		if (!pt_selector_match_addr(sel, &d->addr) || !id)
			continue;
		if (sel->flags & PT_SEL_EXCLUDE)
			return false;
		in = true;
	}
	return in;
}

bool pt_vm_devices_ready(const struct pt_vmconf *c, const struct pt_status *s)
{
	size_t n = 0;

	if (s->state != PT_STATE_OK || s->stale)
		return false;
	for (size_t i = 0; i < s->n_views; i++) {
		const struct pt_sview *view = &s->views[i];

		if (!sdev_selected(c, view))
			continue;
		n++;
		if (!view->fn || !view->bound || !view->gv || !view->gv->node.present)
			return false;
	}
	return n > 0;
}

/* A problem of the status that concerns this VM: about one of its
 * devices or groups, or about the whole state (missing, stale, no IOMMU,
 * the container node). pt-agent's overall result is not: a device of
 * another VM that failed to bind does not stop this one. */
static bool problem_concerns(const struct pt_vm *v, const struct pt_problem *p)
{
	/* pt-vm opens every node itself, as the VM's user (pt-vm.c): the
	 * status's access and in-use findings are this process's. */
	if (p->kind == PT_PROB_AGENT_RESULT || p->kind == PT_PROB_NODE_ACCESS ||
	    p->kind == PT_PROB_CONTAINER_ACCESS || p->kind == PT_PROB_GROUP_IN_USE)
		return false;
	if (!p->addr[0] && p->group < 0)
		return true;
	for (size_t i = 0; i < v->n_sel; i++) {
		if (p->addr[0] && streq(p->addr, v->sel[i]->sd->name))
			return true;
		if (p->group >= 0 && v->sel[i]->gv && v->sel[i]->gv->group == p->group)
			return true;
	}
	return false;
}

static int add_node(struct pt_vm *v, const char *node)
{
	void *n;

	for (size_t i = 0; i < v->n_nodes; i++)
		if (streq(v->nodes[i], node))
			return 0;
	n = realloc(v->nodes, (v->n_nodes + 1) * sizeof(*v->nodes));
	if (!n)
		return -ENOMEM;
	v->nodes = n;
	pt_strlcpy(v->nodes[v->n_nodes++], node, sizeof(v->nodes[0]));
	return 0;
}

static int plan_devices(struct pt_vm *v, const struct pt_status *s)
{
	const struct pt_vmconf *c = v->conf;
	struct pt_status view = *s;
	struct pt_sview *views = NULL;
	struct pt_problem *probs = NULL;
	struct pt_qemu_opts o = { .first_slot = 0x10, .x_vga = c->x_vga };
	struct pt_diag notes;
	struct pt_buf out;
	char *line, *save = NULL;
	int code;

	if (s->state != PT_STATE_OK) {
		pt_vm_add_check(v, false, "state", "%s",
				s->n_problems ? s->problems[0].text : "no usable state file");
		return 0;
	}
	v->sel = calloc(s->n_views ? s->n_views : 1, sizeof(*v->sel));
	views = calloc(s->n_views ? s->n_views : 1, sizeof(*views));
	probs = calloc(s->n_problems ? s->n_problems : 1, sizeof(*probs));
	if (!v->sel || !views || !probs)
		goto oom;
	for (size_t i = 0; i < s->n_views; i++) {
		views[i] = s->views[i];
		if (!sdev_selected(c, &s->views[i])) {
			views[i].wanted = false; /* not this VM's: pt_qemu_args leaves it out */
			continue;
		}
		v->sel[v->n_sel++] = &s->views[i];
	}
	/* devices = entries that match nothing pt recorded: a typo, or a
	 * device pt was not asked to bind. */
	for (unsigned k = 0; c->devices && k < c->spec.n; k++) {
		bool any = false;

		if (c->spec.sel[k].flags & PT_SEL_EXCLUDE)
			continue;
		for (size_t i = 0; i < v->n_sel; i++) {
			struct pt_spec one = { .n = 1, .sel = { c->spec.sel[k] } };
			struct pt_vmconf tmp = { .devices = c->devices, .spec = one };

			any |= sdev_selected(&tmp, v->sel[i]);
		}
		if (!any)
			pt_vm_add_check(v, false, "devices",
					"'%s' matches no device pt-agent recorded in this boot's "
					"state file: list it in pt.devices too (see pt-status)",
					c->spec.sel[k].text);
	}
	if (v->n_sel == 0) {
		pt_vm_add_check(v, false, "devices",
				"no device of pt's state file is for this VM%s: a VM of pt-vm "
				"gets at least one device pt bound",
				c->devices ? " (devices = matches none)" : "");
		goto done;
	}
	view.views = views;
	view.problems = probs;
	view.n_problems = 0;
	for (size_t i = 0; i < s->n_problems; i++)
		if (problem_concerns(v, &s->problems[i]))
			probs[view.n_problems++] = s->problems[i];

	for (size_t i = 0; i < v->n_sel; i++) {
		const struct pt_sview *sv = v->sel[i];
		char what[64], node[32];

		snprintf(what, sizeof(what), "device %s", sv->sd->name);
		if (!sv->fn)
			pt_vm_add_check(v, false, what, "gone from the PCI bus");
		else if (!sv->bound)
			pt_vm_add_check(v, false, what,
					"not on a vfio driver (driver: %s): pt-status says why",
					sv->fn->driver ? sv->fn->driver : "none");
		else if (!sv->gv || !sv->gv->viable)
			pt_vm_add_check(v, false, what,
					"on %s, but its IOMMU group %d is not whole: another "
					"device of the group is still with the host (pt-status "
					"groups)",
					sv->fn->driver, sv->gv ? sv->gv->group : -1);
		else if (!sv->gv->node.present)
			pt_vm_add_check(v, false, what, "on %s, but %s is missing", sv->fn->driver,
					sv->gv->node.path);
		else
			pt_vm_add_check(v, true, what, "on %s, IOMMU group %d whole (%s)",
					sv->fn->driver, sv->gv->group, sv->gv->node.path);
		if (sv->gv) {
			snprintf(node, sizeof(node), "/dev/vfio/%d", sv->gv->group);
			if (add_node(v, node) < 0)
				goto oom;
		}
	}
	if (add_node(v, "/dev/vfio/vfio") < 0)
		goto oom;

	/* The -device arguments: pt-status qemu-args's code, one per line. */
	pt_strlcpy(o.bus, c->machine == PT_VM_PC ? "pci.0" : "pcie.0", sizeof(o.bus));
	pt_diag_init(&notes);
	pt_buf_init(&out);
	code = pt_qemu_args(&view, &o, &out, &notes);
	if (!pt_buf_ok(&out) || notes.oom) {
		pt_buf_free(&out);
		pt_diag_free(&notes);
		goto oom;
	}
	for (size_t i = 0; i < notes.n; i++)
		pt_vm_add_check(v, notes.msgs[i].sev == PT_SEV_WARNING, "qemu-args", "%s",
				notes.msgs[i].text);
	v->vfio_args = calloc(v->n_sel + 1, sizeof(*v->vfio_args));
	if (!v->vfio_args) {
		pt_buf_free(&out);
		pt_diag_free(&notes);
		goto oom;
	}
	for (line = strtok_r(out.data ? out.data : (char *)"", "\n", &save);
	     line && v->n_vfio_args < v->n_sel; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "-device ", 8) != 0)
			continue;
		v->vfio_args[v->n_vfio_args] = strdup(line + 8);
		if (!v->vfio_args[v->n_vfio_args])
			break;
		v->n_vfio_args++;
	}
	if (code == PT_EXIT_OK && v->n_vfio_args)
		pt_vm_add_check(v, true, "qemu-args", "%zu vfio-pci device%s on %s%s",
				v->n_vfio_args, v->n_vfio_args == 1 ? "" : "s", o.bus,
				c->x_vga ? ", x-vga on the boot GPU" : "");
	pt_buf_free(&out);
	pt_diag_free(&notes);
done:
	free(views);
	free(probs);
	return 0;
oom:
	free(views);
	free(probs);
	return -ENOMEM;
}

static bool rooted_file(const struct pt_sysfs *sys, const char *p)
{
	char path[PATH_MAX];
	struct stat st;

	return pt_sysfs_path(sys, path, sizeof(path), "%s", p) >= 0 && stat(path, &st) == 0 &&
	       S_ISREG(st.st_mode);
}

static void plan_firmware(struct pt_vm *v)
{
	const struct pt_vmconf *c = v->conf;
	char dir[PATH_MAX / 4], *slash;

	if (c->firmware != PT_VM_FW_OVMF)
		return;
	if (c->ovmf_code) {
		if (!rooted_file(v->sys, c->ovmf_code)) {
			pt_vm_add_check(v, false, "firmware", "ovmf_code = %s: no such file",
					c->ovmf_code);
			return;
		}
		pt_strlcpy(v->ovmf_code, c->ovmf_code, sizeof(v->ovmf_code));
	} else {
		for (size_t i = 0; i < ELEMENTSOF(ovmf_paths) && !v->ovmf_code[0]; i++)
			if (rooted_file(v->sys, ovmf_paths[i].code) &&
			    (c->ovmf_vars_template || rooted_file(v->sys, ovmf_paths[i].vars))) {
				pt_strlcpy(v->ovmf_code, ovmf_paths[i].code, sizeof(v->ovmf_code));
				pt_strlcpy(v->ovmf_template, ovmf_paths[i].vars,
					   sizeof(v->ovmf_template));
			}
		if (!v->ovmf_code[0]) {
			pt_vm_add_check(v, false, "firmware",
					"no OVMF found (looked for Debian's, Fedora's, Arch's and "
					"NixOS's): install the ovmf (edk2-ovmf) package, or set "
					"ovmf_code = and ovmf_vars_template =");
			return;
		}
	}
	if (c->ovmf_vars_template) {
		pt_strlcpy(v->ovmf_template, c->ovmf_vars_template, sizeof(v->ovmf_template));
	} else if (!v->ovmf_template[0]) {
		/* ovmf_code = given alone: the VARS template beside it */
		pt_strlcpy(dir, c->ovmf_code, sizeof(dir));
		slash = strrchr(dir, '/');
		*slash = '\0';
		for (size_t i = 0; i < ELEMENTSOF(ovmf_paths); i++) {
			const char *base = strrchr(ovmf_paths[i].vars, '/');

			snprintf(v->ovmf_template, sizeof(v->ovmf_template), "%s%s", dir, base);
			if (rooted_file(v->sys, v->ovmf_template))
				break;
			v->ovmf_template[0] = '\0';
		}
	}
	if (!v->ovmf_template[0] || !rooted_file(v->sys, v->ovmf_template)) {
		pt_vm_add_check(v, false, "firmware",
				"no OVMF VARS template %s%s: set ovmf_vars_template = to the "
				"OVMF_VARS file that comes with %s",
				v->ovmf_template[0] ? "at " : "beside ",
				v->ovmf_template[0] ? v->ovmf_template : v->ovmf_code,
				v->ovmf_code);
		return;
	}
	snprintf(v->vars, sizeof(v->vars), PT_VM_STATE_DIR "/%s/" PT_VM_VARS_NAME, c->name);
	v->vars_exists = rooted_file(v->sys, v->vars);
	pt_vm_add_check(v, true, "firmware", "OVMF CODE %s (read-only), VARS %s (%s)", v->ovmf_code,
			v->vars,
			v->vars_exists ? "this VM's own"
				       : "created from the template at first start");
}

static int usb_one(const char *entry, void *userdata)
{
	struct pt_vm *v = userdata;
	char path[PATH_MAX], buf[16];
	unsigned vendor, product, bus, dev;

	if (strchr(entry, ':') || v->n_usb == ELEMENTSOF(v->usb))
		return 0; /* interfaces ("1-1:1.0") */
#define RD(attr, fmt, var)                                                                         \
	(pt_sysfs_path(v->sys, path, sizeof(path), "/sys/bus/usb/devices/%s/" attr, entry) >= 0 && \
	 pt_sysfs_read(v->sys, path, buf, sizeof(buf)) >= 0 && sscanf(buf, fmt, var) == 1)
	if (!RD("idVendor", "%x", &vendor) || !RD("idProduct", "%x", &product) ||
	    !RD("busnum", "%u", &bus) || !RD("devnum", "%u", &dev))
		return 0;
#undef RD
	for (unsigned i = 0; i < v->conf->n_usb; i++) {
		const struct pt_vm_usb *u = &v->conf->usb[i];

		if (u->vendor == vendor && (u->any_product || u->product == product)) {
			v->usb[v->n_usb++] = (struct pt_vm_usbdev){ (uint16_t)vendor,
								    (uint16_t)product, bus, dev };
			break;
		}
	}
	return 0;
}

static int usb_cmp(const void *x, const void *y)
{
	const struct pt_vm_usbdev *a = x, *b = y;

	if (a->bus != b->bus)
		return a->bus < b->bus ? -1 : 1;
	return a->devnum < b->devnum ? -1 : a->devnum > b->devnum;
}

static void plan_usb(struct pt_vm *v)
{
	char path[PATH_MAX];

	if (!v->conf->n_usb)
		return;
	if (pt_sysfs_path(v->sys, path, sizeof(path), "/sys/bus/usb/devices") >= 0 &&
	    pt_sysfs_list(v->sys, path, usb_one, v) < 0) {
		/* what could be listed was */
	}
	qsort(v->usb, v->n_usb, sizeof(*v->usb), usb_cmp);
	for (unsigned i = 0; i < v->conf->n_usb; i++) {
		const struct pt_vm_usb *u = &v->conf->usb[i];
		char what[32];
		size_t n = 0;

		if (u->any_product)
			snprintf(what, sizeof(what), "usb %04x", u->vendor);
		else
			snprintf(what, sizeof(what), "usb %04x:%04x", u->vendor, u->product);
		for (size_t k = 0; k < v->n_usb; k++)
			if (v->usb[k].vendor == u->vendor &&
			    (u->any_product || v->usb[k].product == u->product))
				n++;
		/* Not present is not an error: a receiver can be unplugged. */
		pt_vm_add_check(v, true, what, "%zu device%s present%s", n, n == 1 ? "" : "s",
				n ? "" : " now: left out of this start");
	}
	for (size_t k = 0; k < v->n_usb; k++) {
		char node[32];

		snprintf(node, sizeof(node), "/dev/bus/usb/%03u/%03u", v->usb[k].bus,
			 v->usb[k].devnum);
		if (add_node(v, node) < 0)
			v->oom = true;
	}
}

static void plan_disks(struct pt_vm *v)
{
	for (unsigned i = 0; i < v->conf->n_disks; i++) {
		char msg[1024], what[300];
		int r = pt_vmdisk_check(v->sys, v->conf->disks[i], msg, sizeof(msg));

		snprintf(what, sizeof(what), "disk");
		pt_vm_add_check(v, r == 0, what, "%s", msg);
	}
}

static int argv_add(struct pt_vm *v, const char *fmt, ...) _printf_(2, 3);
static int argv_add(struct pt_vm *v, const char *fmt, ...)
{
	char **a, *s;
	va_list ap;
	int n;

	a = realloc(v->argv, (v->argc + 2) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	v->argv = a;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	v->argv[v->argc++] = s;
	v->argv[v->argc] = NULL;
	return 0;
}

static int build_argv(struct pt_vm *v)
{
	const struct pt_vmconf *c = v->conf;
	int r = 0;

	r |= argv_add(v, "%s", c->qemu ? c->qemu : "qemu-system-x86_64");
	r |= argv_add(v, "-name");
	r |= argv_add(v, "%s", c->name);
	/* Always the machine: QEMU's default, pc, has no pcie.0 bus. */
	r |= argv_add(v, "-machine");
	r |= argv_add(v, "%s,accel=%s", c->machine == PT_VM_PC ? "pc" : "q35",
		      c->accel ? c->accel : "kvm");
	r |= argv_add(v, "-m");
	r |= argv_add(v, "%lluM", (unsigned long long)c->memory_mib);
	r |= argv_add(v, "-smp");
	r |= argv_add(v, "%u", c->cpus);
	if (c->firmware == PT_VM_FW_OVMF) {
		r |= argv_add(v, "-drive");
		r |= argv_add(v, "if=pflash,format=raw,unit=0,readonly=on,file=%s", v->ovmf_code);
		r |= argv_add(v, "-drive");
		r |= argv_add(v, "if=pflash,format=raw,unit=1,file=%s", v->vars);
	}
	for (size_t i = 0; i < v->n_vfio_args; i++) {
		r |= argv_add(v, "-device");
		r |= argv_add(v, "%s", v->vfio_args[i]);
	}
	if (v->n_usb) {
		r |= argv_add(v, "-device");
		r |= argv_add(v, "qemu-xhci,id=ptxhci");
	}
	for (size_t i = 0; i < v->n_usb; i++) {
		r |= argv_add(v, "-device");
		r |= argv_add(v, "usb-host,bus=ptxhci.0,vendorid=0x%04x,productid=0x%04x",
			      v->usb[i].vendor, v->usb[i].product);
	}
	for (unsigned i = 0; i < c->n_disks; i++) {
		r |= argv_add(v, "-drive");
		r |= argv_add(v, "file=%s,if=none,id=ptdisk%u,format=raw,cache=none", c->disks[i],
			      i);
		r |= argv_add(v, "-device");
		if (c->disk_bus == PT_VM_DISK_SATA)
			r |= argv_add(v, "ide-hd,drive=ptdisk%u,bus=ide.%u", i, i);
		else
			r |= argv_add(v, "virtio-blk-pci,drive=ptdisk%u", i);
	}
	for (unsigned i = 0; i < c->n_extra; i++)
		r |= argv_add(v, "%s", c->extra[i]);
	return r ? -ENOMEM : 0;
}

int pt_vm_plan(struct pt_vm *v, const struct pt_sysfs *sys, const struct pt_vmconf *c,
	       const struct pt_status *s)
{
	*v = (struct pt_vm){ .sys = sys, .conf = c };
	if (plan_devices(v, s) < 0)
		return -ENOMEM;
	plan_firmware(v);
	plan_usb(v);
	plan_disks(v);
	if (c->disk_bus == PT_VM_DISK_SATA && c->machine == PT_VM_PC && c->n_disks)
		pt_vm_add_check(v, false, "disk_bus",
				"sata needs machine = q35 (its AHCI controller)");
	if (v->oom)
		return -ENOMEM;
	return build_argv(v);
}

void pt_vm_free(struct pt_vm *v)
{
	for (size_t i = 0; i < v->n_checks; i++) {
		free(v->checks[i].what);
		free(v->checks[i].text);
	}
	free(v->checks);
	for (size_t i = 0; i < v->n_vfio_args; i++)
		free(v->vfio_args[i]);
	free(v->vfio_args);
	for (size_t i = 0; i < v->argc; i++)
		free(v->argv[i]);
	free(v->argv);
	free(v->sel);
	free(v->nodes);
	*v = (struct pt_vm){ 0 };
}

/* Copy the template to a new file beside dest, then link(2) it into
 * place: link never replaces an existing file, so two starts racing (or
 * a VARS file that appeared meanwhile) cannot lose a guest's variables. */
static int copy_new(const char *from, const char *dest, uid_t uid, gid_t gid)
{
	char tmp[PATH_MAX], buf[65536];
	int in, out, r = 0;
	ssize_t n;

	if (snprintf(tmp, sizeof(tmp), "%s.new-%ld", dest, (long)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	unlink(tmp);
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0) {
		r = -errno;
		close(in);
		return r;
	}
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(out, buf, (size_t)n) != n) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
	}
	if (r == 0 && fsync(out) < 0)
		r = -errno;
	if (r == 0 && (uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(out, uid, gid) < 0)
		r = -errno;
	close(in);
	if (close(out) < 0 && r == 0)
		r = -errno;
	if (r == 0 && link(tmp, dest) < 0)
		r = -errno;
	unlink(tmp);
	return r;
}

static int mkdir_p(char *path, mode_t mode)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int pt_vm_vars_prepare(struct pt_vm *v, bool reset, uid_t uid, gid_t gid, char *msg, size_t size)
{
	char dir[PATH_MAX], dest[PATH_MAX], tmpl[PATH_MAX], old[PATH_MAX], stamp[32];
	struct stat st;
	time_t now = time(NULL);
	struct tm tm;
	int r;

	if (!v->vars[0]) {
		snprintf(msg, size, "this VM has no OVMF VARS (firmware = ovmf not set)");
		return -EINVAL;
	}
	if (pt_sysfs_path(v->sys, dest, sizeof(dest), "%s", v->vars) < 0 ||
	    pt_sysfs_path(v->sys, tmpl, sizeof(tmpl), "%s", v->ovmf_template) < 0 ||
	    pt_sysfs_path(v->sys, dir, sizeof(dir), PT_VM_STATE_DIR "/%s", v->conf->name) < 0)
		return -ENAMETOOLONG;
	r = mkdir_p(dir, 0755);
	if (r < 0) {
		snprintf(msg, size, "cannot create %s: %s", dir, strerror(-r));
		return r;
	}
	if (lstat(dest, &st) == 0) {
		/* One VM, one file: a link or a second name would share it. */
		if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
			snprintf(msg, size,
				 "%s is %s: a VM's VARS must be its own file; move it away (pt-vm "
				 "reset-vars makes a fresh one)",
				 v->vars,
				 S_ISREG(st.st_mode) ? "shared (it has other hard links)"
						     : "not a regular file");
			return -EPERM;
		}
		if (!reset) {
			snprintf(msg, size, "%s: kept (this VM's own)", v->vars);
			return 0;
		}
		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
		for (unsigned n = 0;; n++) {
			if (snprintf(old, sizeof(old), "%s.old-%s%s%.0u", dest, stamp, n ? "." : "",
				     n) >= (int)sizeof(old))
				return -ENAMETOOLONG;
			/* link, not rename: never replace an older copy */
			if (link(dest, old) == 0)
				break;
			if (errno != EEXIST || n > 100) {
				r = -errno;
				snprintf(msg, size, "cannot keep %s as %s: %s", v->vars, old,
					 strerror(-r));
				return r;
			}
		}
		if (unlink(dest) < 0) {
			r = -errno;
			snprintf(msg, size, "cannot replace %s: %s", v->vars, strerror(-r));
			return r;
		}
	} else if (errno != ENOENT) {
		r = -errno;
		snprintf(msg, size, "%s: %s", v->vars, strerror(-r));
		return r;
	} else if (reset) {
		old[0] = '\0';
	}
	r = copy_new(tmpl, dest, uid, gid);
	if (r < 0) {
		snprintf(msg, size, "cannot create %s from %s: %s", v->vars, v->ovmf_template,
			 strerror(-r));
		return r;
	}
	if (reset && old[0])
		snprintf(msg, size, "%s: a fresh copy of %s; the old one is kept as %s", v->vars,
			 v->ovmf_template, old + v->sys->rootlen);
	else
		snprintf(msg, size, "%s: created from %s", v->vars, v->ovmf_template);
	return 0;
}

void pt_vm_udev_rules(const struct pt_vmconf *c, const char *group, struct pt_buf *out)
{
	for (unsigned i = 0; i < c->n_usb; i++) {
		const struct pt_vm_usb *u = &c->usb[i];

		if (u->any_product)
			pt_buf_printf(out, "# pt-vm %s: usb = %04x\n", c->name, u->vendor);
		else
			pt_buf_printf(out, "# pt-vm %s: usb = %04x:%04x\n", c->name, u->vendor,
				      u->product);
		if (u->any_product)
			pt_buf_printf(out,
				      "SUBSYSTEM==\"usb\", ENV{DEVTYPE}==\"usb_device\", "
				      "ATTR{idVendor}==\"%04x\", GROUP=\"%s\", MODE=\"0660\"\n",
				      u->vendor, group);
		else
			pt_buf_printf(out,
				      "SUBSYSTEM==\"usb\", ENV{DEVTYPE}==\"usb_device\", "
				      "ATTR{idVendor}==\"%04x\", ATTR{idProduct}==\"%04x\", "
				      "GROUP=\"%s\", MODE=\"0660\"\n",
				      u->vendor, u->product, group);
	}
}

static void shell_quote(struct pt_buf *b, const char *s)
{
	bool plain = *s != '\0';

	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("-_./,=:@+%", *p)))
			plain = false;
	if (plain) {
		pt_buf_puts(b, s);
		return;
	}
	pt_buf_putc(b, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			pt_buf_puts(b, "'\\''");
		else
			pt_buf_putc(b, *p);
	}
	pt_buf_putc(b, '\'');
}

void pt_vm_command_line(const struct pt_vm *v, struct pt_buf *out)
{
	for (size_t i = 0; i < v->argc; i++) {
		if (i)
			pt_buf_putc(out, ' ');
		shell_quote(out, v->argv[i]);
	}
	pt_buf_putc(out, '\n');
}
