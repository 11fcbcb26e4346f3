/* SPDX-License-Identifier: MIT */
/*
 * status.c — the state file checked against the live system: per-device
 * facts and problems; see status.h. Printed by report.c, as JSON by
 * statusjson.c.
 *
 * No path is ever built from the state file's text (a /dev/vfio node is
 * named after the live IOMMU group number, never after the file's
 * "vfio_node").
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "status.h"
#include "text.h"
#include "vmhost.h"

const char *pt_problem_kind_name(enum pt_problem_kind k)
{
	static const char *const names[] = {
		[PT_PROB_STATE_MISSING] = "state-missing",
		[PT_PROB_STATE_INVALID] = "state-invalid",
		[PT_PROB_STATE_STALE] = "state-stale",
		[PT_PROB_AGENT_DISABLED] = "agent-disabled",
		[PT_PROB_AGENT_NOTHING] = "agent-nothing-to-do",
		[PT_PROB_AGENT_DRYRUN] = "agent-dry-run",
		[PT_PROB_AGENT_RESULT] = "agent-result",
		[PT_PROB_NO_IOMMU] = "no-iommu",
		[PT_PROB_GONE] = "device-gone",
		[PT_PROB_UNREADABLE] = "device-unreadable",
		[PT_PROB_IDENTITY] = "device-changed",
		[PT_PROB_NOT_BOUND] = "not-bound",
		[PT_PROB_NO_GROUP] = "no-iommu-group",
		[PT_PROB_GROUP_CHANGED] = "iommu-group-changed",
		[PT_PROB_GROUP_NOT_VIABLE] = "group-not-viable",
		[PT_PROB_NODE_MISSING] = "vfio-node-missing",
		[PT_PROB_NODE_ACCESS] = "vfio-node-access",
		[PT_PROB_CONTAINER_MISSING] = "vfio-container-missing",
		[PT_PROB_CONTAINER_ACCESS] = "vfio-container-access",
		[PT_PROB_GROUP_IN_USE] = "vfio-group-in-use",
		[PT_PROB_MEMLOCK] = "memlock",
	};

	return names[k];
}

static void problem(struct pt_status *s, enum pt_problem_kind kind, const char *addr, int group,
		    const char *fmt, ...) _printf_(5, 6);
static void problem(struct pt_status *s, enum pt_problem_kind kind, const char *addr, int group,
		    const char *fmt, ...)
{
	struct pt_problem *p;
	struct pt_buf b;
	va_list ap;

	if (s->n_problems == s->cap_problems) {
		size_t cap = s->cap_problems ? s->cap_problems * 2 : 8;
		struct pt_problem *v = realloc(s->problems, cap * sizeof(*v));

		if (!v) {
			s->oom = true;
			return;
		}
		s->problems = v;
		s->cap_problems = cap;
	}
	pt_buf_init(&b);
	va_start(ap, fmt);
	pt_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (!pt_buf_ok(&b) || !b.data) {
		pt_buf_free(&b);
		s->oom = true;
		return;
	}
	p = &s->problems[s->n_problems++];
	*p = (struct pt_problem){ .kind = kind, .group = group, .text = b.data };
	pt_strlcpy(p->addr, addr ? addr : "", sizeof(p->addr));
}

/* ---- pt-status --------------------------------------------------------------------- */

static struct pt_gview *status_group(struct pt_status *s, int group)
{
	struct pt_gview *gv, **v;
	size_t at;

	for (at = 0; at < s->n_groups && s->groups[at]->group < group; at++)
		;
	if (at < s->n_groups && s->groups[at]->group == group)
		return s->groups[at];
	v = realloc(s->groups, (s->n_groups + 1) * sizeof(*v));
	if (!v) {
		s->oom = true;
		return NULL;
	}
	s->groups = v;
	if (pt_gview_load(&s->pci, s->sys, &s->kernel, group, &gv) < 0) {
		s->oom = true;
		return NULL;
	}
	memmove(s->groups + at + 1, s->groups + at, (s->n_groups - at) * sizeof(*s->groups));
	s->groups[at] = gv;
	s->n_groups++;
	return gv;
}

static bool sdev_matches_id(const struct pt_selector *sel, const struct pt_sdev *d)
{
	if (!(sel->flags & PT_SEL_ID))
		return true;
	if (!d->has_id || ((sel->flags & PT_SEL_SUBSYS) && !d->has_subsys))
		return false;
	return pt_selector_match_id(sel, d->vendor, d->device, d->subvendor, d->subdevice);
}

/* Why a listed device is not meant to be on vfio, or NULL when it is. */
static const char *not_wanted_why(const struct pt_sdev *d, const struct pt_spec *spec)
{
	if (d->has_class && (d->class >> 16) == 0x06)
		return "(bridge)";
	if (d->action == PT_ACT_SKIPPED && d->error && strncmp(d->error, "excluded by ", 12) == 0)
		return "(excluded)";
	for (unsigned i = 0; spec && i < spec->n; i++) {
		const struct pt_selector *sel = &spec->sel[i];

		if (sel->flags & PT_SEL_EXCLUDE) {
			/* As the agent does: an address exclusion protects
			 * whatever sits there. */
			if ((sel->flags & PT_SEL_ADDR) ? pt_selector_match_addr(sel, &d->addr)
						       : sdev_matches_id(sel, d))
				return "(excluded)";
		} else if ((sel->flags & (PT_SEL_ADDR | PT_SEL_ID)) == (PT_SEL_ADDR | PT_SEL_ID) &&
			   streq(sel->text, d->selected_by) && d->has_id &&
			   !sdev_matches_id(sel, d)) {
			/* A pinned entry found another device there. */
			return "(refused)";
		}
	}
	return NULL;
}

static void check_not_bound(struct pt_status *s, const struct pt_sview *v)
{
	const struct pt_sdev *d = v->sd;
	const char *drv = v->fn->driver[0] ? v->fn->driver : NULL;
	char on[PT_DRIVER_MAX + 16], err[200];

	if (drv)
		snprintf(on, sizeof(on), "is on %s", drv);
	else
		snprintf(on, sizeof(on), "has no driver");
	if (s->stale) {
		problem(s, PT_PROB_NOT_BOUND, d->name, -1,
			"%s %s: the agent did not run in this boot's initramfs; is the hook "
			"installed?",
			d->name, on);
		return;
	}
	switch (d->action) {
	case PT_ACT_PLANNED:
		problem(s, PT_PROB_NOT_BOUND, d->name, -1,
			"%s %s: pt-agent ran with pt.dryrun and changed nothing", d->name, on);
		return;
	case PT_ACT_BOUND:
	case PT_ACT_ALREADY:
	case PT_ACT_RECOVERED:
		problem(s, PT_PROB_NOT_BOUND, d->name, -1,
			"%s %s now, but pt-agent left it on %s at boot: something took it "
			"back since (a manual unbind, driverctl, a libvirt managed hostdev); "
			"give it back to vfio-pci or reboot",
			d->name, on, d->driver_after ? d->driver_after : "vfio-pci");
		return;
	default:
		problem(s, PT_PROB_NOT_BOUND, d->name, -1,
			"%s %s: pt-agent did not bind it at boot: %s", d->name, on,
			d->error ? pt_text_safe(d->error, 160, err, sizeof(err))
				 : "no reason recorded");
		return;
	}
}

static void check_device(struct pt_status *s, struct pt_sview *v, const struct pt_spec *spec)
{
	const struct pt_sdev *d = v->sd;
	const char *why = not_wanted_why(d, spec);
	struct pt_pci_func *f;
	int r;

	v->wanted = why == NULL;
	if (v->wanted)
		pt_strlcpy(v->expected,
			   d->driver_after && pt_driver_is_vfio(d->driver_after) ? d->driver_after
										 : "vfio-pci",
			   sizeof(v->expected));
	else
		pt_strlcpy(v->expected, why, sizeof(v->expected));

	r = pt_pci_get(&s->pci, &d->addr, &f);
	if (r == -ENODEV) {
		problem(s, PT_PROB_GONE, d->name, -1,
			"%s is gone from the bus: it is in the state file but not under "
			"/sys/bus/pci/devices; if a card was added or removed, addresses may "
			"have shifted: check pt.devices=",
			d->name);
		return;
	}
	if (r < 0) {
		problem(s, PT_PROB_UNREADABLE, d->name, -1, "cannot look up %s: %s", d->name,
			strerror(-r));
		return;
	}
	v->fn = f;
	if (pt_pci_load_identity(&s->pci, f) < 0)
		problem(s, PT_PROB_UNREADABLE, d->name, -1, "cannot read %s of %s: %s",
			f->id_err_attr, d->name, strerror(-f->id_err));
	else if (d->has_id && (f->vendor != d->vendor || f->device != d->device ||
			       (d->has_subsys &&
				(f->subvendor != d->subvendor || f->subdevice != d->subdevice))))
		problem(s, PT_PROB_IDENTITY, d->name, -1,
			"%s is now %04x:%04x (subsystem %04x:%04x), but the state file recorded "
			"%04x:%04x (subsystem %04x:%04x): the device at this address changed "
			"since pt-agent ran",
			d->name, f->vendor, f->device, f->subvendor, f->subdevice, d->vendor,
			d->device, d->subvendor, d->subdevice);
	if (pt_pci_load_state(&s->pci, f) < 0) {
		problem(s, PT_PROB_UNREADABLE, d->name, -1, "cannot read %s of %s: %s",
			f->state_err_attr, d->name, strerror(-f->state_err));
		return;
	}
	v->bound = pt_driver_is_vfio(f->driver);
	if (v->wanted && !v->bound)
		check_not_bound(s, v);
	if (f->iommu_group < 0) {
		if (v->wanted && s->iommu_groups > 0)
			problem(s, PT_PROB_NO_GROUP, d->name, -1,
				"%s has no IOMMU group: the IOMMU does not cover it, so vfio "
				"cannot take it",
				d->name);
		return;
	}
	if (d->iommu_group >= 0 && d->iommu_group != f->iommu_group)
		problem(s, PT_PROB_GROUP_CHANGED, d->name, f->iommu_group,
			"%s is in IOMMU group %d now, but the state file recorded group %d",
			d->name, f->iommu_group, d->iommu_group);
	v->gv = status_group(s, f->iommu_group);
}

static bool listed_and_wanted(const struct pt_status *s, const struct pt_pci_func *fn)
{
	for (size_t i = 0; i < s->n_views; i++)
		if (s->views[i].fn == fn)
			return s->views[i].wanted;
	return false;
}

static void you(char *buf, size_t size)
{
	snprintf(buf, size, "you (uid %u)", (unsigned)getuid());
}

/* Is f in the slot of a device the state file wants on vfio? */
static bool same_slot_as_wanted(const struct pt_status *s, const struct pt_gview *gv,
				const struct pt_pci_func *f)
{
	for (size_t i = 0; i < s->n_views; i++)
		if (s->views[i].gv == gv && s->views[i].wanted &&
		    pt_addr_same_slot(&s->views[i].sd->addr, &f->addr))
			return true;
	return false;
}

static void check_group(struct pt_status *s, struct pt_gview *gv)
{
	const struct pt_sview *bound = NULL;
	bool wanted = false, foreign = false;
	char who[32], desc[96];
	struct pt_buf b;
	size_t n = 0;

	for (size_t i = 0; i < s->n_views; i++) {
		if (s->views[i].gv != gv || !s->views[i].wanted)
			continue;
		wanted = true;
		if (s->views[i].bound && !bound)
			bound = &s->views[i];
	}
	if (!wanted)
		return;

	if (gv->list_err)
		problem(s, PT_PROB_UNREADABLE, NULL, gv->group, "cannot list IOMMU group %d: %s",
			gv->group, strerror(-gv->list_err));
	/* The blockers the user can act on: devices the state file does not
	 * want on vfio. A listed device that is not bound has its own line. */
	pt_buf_init(&b);
	for (size_t i = 0; i < gv->n_members; i++) {
		const struct pt_gmember *m = &gv->members[i];
		char t[128];

		if (!m->blocks || (m->fn && listed_and_wanted(s, m->fn)))
			continue;
		pt_gmember_text(m, t, sizeof(t));
		pt_buf_printf(&b, "%s%s", n ? ", " : "", t);
		n++;
		if (!m->fn || m->bridge || !same_slot_as_wanted(s, gv, m->fn))
			foreign = true;
	}
	if (n && !foreign)
		problem(s, PT_PROB_GROUP_NOT_VIABLE, NULL, gv->group,
			"group %d also holds the card's own %s: list %s too (pt.group=auto takes "
			"a card's other functions with it at boot)",
			gv->group, pt_buf_str(&b), n > 1 ? "them" : "it");
	else if (n)
		problem(s, PT_PROB_GROUP_NOT_VIABLE, NULL, gv->group,
			"group %d also holds %s, not part of the card: the slot sits behind a "
			"bridge without ACS isolation, so the group cannot go to a guest without "
			"the host's own device%s; see pt-status groups for what you can do",
			gv->group, pt_buf_str(&b), n > 1 ? "s" : "");
	if (!pt_buf_ok(&b))
		s->oom = true;
	pt_buf_free(&b);

	if (!bound)
		return;
	if (!gv->node.present) {
		problem(s, PT_PROB_NODE_MISSING, NULL, gv->group,
			"%s is missing, though %s is on %s: vfio did not create the group's node "
			"(is devtmpfs mounted on /dev?)",
			gv->node.path, bound->sd->name, bound->fn->driver);
	} else if (!gv->node.accessible) {
		you(who, sizeof(who));
		pt_node_describe(&gv->node, desc, sizeof(desc));
		problem(s, PT_PROB_NODE_ACCESS, NULL, gv->group,
			"%s is %s: %s cannot open it; add a udev rule such as "
			"SUBSYSTEM==\"vfio\", GROUP=\"kvm\", MODE=\"0660\" and join that group, "
			"or start the VM as the node's owner",
			gv->node.path, desc, who);
	} else {
		/* vfio lets one process open a group: the open QEMU would make. */
		char path[PATH_MAX], text[512];
		int r = pt_sysfs_path(s->sys, path, sizeof(path), "%s", gv->node.path) < 0
				? 0
				: pt_vfio_open_check(path);

		if (r == -EBUSY) {
			pt_vfio_open_describe(r, gv->node.path, text, sizeof(text));
			problem(s, PT_PROB_GROUP_IN_USE, NULL, gv->group, "%s", text);
		}
	}
}

static void check_state_file(struct pt_status *s)
{
	const struct pt_sstate *st = &s->st;

	s->stale = st->boot_id && s->boot_id[0] && !streq(st->boot_id, s->boot_id);
	if (s->stale)
		problem(s, PT_PROB_STATE_STALE, NULL, -1,
			"%s is from an earlier boot (boot_id %s; this boot is %s): pt-agent did "
			"not run in this boot",
			PT_STATE_FILE, st->boot_id, s->boot_id);
	if (streq(st->result, "disabled"))
		problem(s, PT_PROB_AGENT_DISABLED, NULL, -1,
			"pt-agent was turned off with pt.off: it bound nothing");
	else if (streq(st->result, "nothing-to-do"))
		problem(s, PT_PROB_AGENT_NOTHING, NULL, -1,
			"pt-agent had no device list (pt.devices= on the kernel command line, or "
			"devices = in /etc/pt.conf): it bound nothing");
	else if (st->dryrun)
		problem(s, PT_PROB_AGENT_DRYRUN, NULL, -1,
			"pt-agent ran with pt.dryrun: it planned, but bound nothing; remove "
			"pt.dryrun to bind");
	if (streq(st->result, "failed") || streq(st->result, "partial"))
		problem(s, PT_PROB_AGENT_RESULT, NULL, -1,
			"pt-agent's result at boot was \"%s\", with %zu error%s (listed above)",
			st->result, st->n_errors, st->n_errors == 1 ? "" : "s");
}

static int sview_cmp(const void *x, const void *y)
{
	const struct pt_sview *a = x, *b = y;

	return pt_addr_cmp(&a->sd->addr, &b->sd->addr);
}

int pt_status_collect(struct pt_status *s, const struct pt_sysfs *sys, const struct pt_names *names)
{
	struct pt_spec spec, *specp = NULL;
	struct pt_spec_error serr;
	char path[PATH_MAX];
	bool any_bound = false;
	int r;

	*s = (struct pt_status){ .sys = sys, .names = names };
	pt_pci_init(&s->pci, sys);
	pt_kernel_read(sys, &s->kernel);

	if (pt_sysfs_path(sys, path, sizeof(path), "/proc/sys/kernel/random/boot_id") < 0 ||
	    pt_sysfs_read(sys, path, s->boot_id, sizeof(s->boot_id)) < 0)
		s->boot_id[0] = '\0';
	s->iommu_groups = pt_pci_iommu_group_count(sys);

	r = pt_sstate_read(sys, &s->st, s->state_err, sizeof(s->state_err));
	if (r == -ENOMEM)
		return r;
	if (r == -ENOENT) {
		s->state = PT_STATE_MISSING;
		problem(s, PT_PROB_STATE_MISSING, NULL, -1,
			"no state file %s: pt-agent did not run in this boot's initramfs (is its "
			"hook installed, or rdinit=/pt-agent set?), or /run was not carried into "
			"the real root",
			PT_STATE_FILE);
		return s->oom ? -ENOMEM : 0;
	}
	if (r < 0) {
		s->state = PT_STATE_INVALID;
		problem(s, PT_PROB_STATE_INVALID, NULL, -1, "cannot use the state file: %s",
			s->state_err);
		return s->oom ? -ENOMEM : 0;
	}
	s->state = PT_STATE_OK;
	check_state_file(s);
	if (s->iommu_groups == 0)
		problem(s, PT_PROB_NO_IOMMU, NULL, -1,
			"there are no IOMMU groups under /sys/kernel/iommu_groups: the IOMMU is "
			"off; enable VT-d (Intel) or AMD-Vi (AMD) in the firmware, and boot with "
			"intel_iommu=on on Intel");

	if (s->st.spec && pt_spec_parse(s->st.spec, &spec, &serr) == 0)
		specp = &spec;
	s->views = calloc(s->st.n_devs ? s->st.n_devs : 1, sizeof(*s->views));
	if (!s->views)
		return -ENOMEM;
	s->n_views = s->st.n_devs;
	for (size_t i = 0; i < s->n_views; i++)
		s->views[i].sd = &s->st.devs[i];
	qsort(s->views, s->n_views, sizeof(*s->views), sview_cmp);
	for (size_t i = 0; i < s->n_views; i++) {
		check_device(s, &s->views[i], specp);
		any_bound |= s->views[i].wanted && s->views[i].bound;
	}
	for (size_t i = 0; i < s->n_groups; i++)
		check_group(s, s->groups[i]);

	if (any_bound) {
		char who[32], desc[96];

		pt_node_check(sys, "/dev/vfio/vfio", &s->container);
		if (!s->container.present) {
			problem(s, PT_PROB_CONTAINER_MISSING, NULL, -1,
				"/dev/vfio/vfio is missing: QEMU needs it to use any vfio group "
				"(is the vfio module loaded?)");
		} else if (!s->container.accessible) {
			you(who, sizeof(who));
			pt_node_describe(&s->container, desc, sizeof(desc));
			problem(s, PT_PROB_CONTAINER_ACCESS, NULL, -1,
				"/dev/vfio/vfio is %s: %s cannot open it (it is normally "
				"crw-rw-rw-)",
				desc, who);
		}
	}
	return s->oom ? -ENOMEM : 0;
}

void pt_status_free(struct pt_status *s)
{
	for (size_t i = 0; i < s->n_groups; i++)
		pt_gview_free(s->groups[i]);
	free(s->groups);
	for (size_t i = 0; i < s->n_problems; i++)
		free(s->problems[i].text);
	free(s->problems);
	free(s->views);
	pt_sstate_free(&s->st);
	pt_pci_free(&s->pci);
	*s = (struct pt_status){ 0 };
}

void pt_status_check_memlock(struct pt_status *s, uint64_t guest_mib)
{
	struct pt_memlock m;
	char who[32], have[32], advice[1024];
	bool any = false;

	for (size_t i = 0; i < s->n_views; i++)
		any |= s->views[i].wanted && s->views[i].bound;
	if (s->state != PT_STATE_OK || !any)
		return;
	pt_memlock_get(&m);
	you(who, sizeof(who));
	if (guest_mib) {
		if (!pt_memlock_fits(&m, guest_mib, NULL, NULL, advice, sizeof(advice)))
			problem(s, PT_PROB_MEMLOCK, NULL, -1, "%s", advice);
		return;
	}
	/* No size given: pt-status cannot know the guest's. Say so when no
	 * guest at all would fit. */
	if (m.privileged || m.unlimited || m.limit_bytes > (uint64_t)PT_MEMLOCK_MARGIN_MIB << 20)
		return;
	pt_memlock_describe(&m, have, sizeof(have));
	problem(s, PT_PROB_MEMLOCK, NULL, -1,
		"the memory-lock limit of %s is %s: VFIO pins all of a guest's memory, so a "
		"guest started as this user fails with \"VFIO_MAP_DMA failed: Cannot allocate "
		"memory\" whatever its size (pt-status cannot know it: give --memory SIZE to "
		"check one and be told what to set)",
		who, have);
}

int pt_status_exit_code(const struct pt_status *s)
{
	if (s->state == PT_STATE_MISSING)
		return PT_EXIT_NO_STATE;
	return s->n_problems ? PT_EXIT_PROBLEM : PT_EXIT_OK;
}

bool pt_status_all_bound(const struct pt_status *s)
{
	size_t wanted = 0;

	if (s->state != PT_STATE_OK || s->stale || streq(s->st.result, "failed") ||
	    streq(s->st.result, "disabled") || streq(s->st.result, "nothing-to-do"))
		return false;
	for (size_t i = 0; i < s->n_views; i++) {
		const struct pt_sview *v = &s->views[i];

		if (!v->wanted)
			continue;
		wanted++;
		if (!v->fn || !v->bound || !v->gv || !v->gv->node.present)
			return false;
	}
	return wanted > 0;
}

/* The identity to show: the live one when readable, else the recorded one. */
bool pt_sview_id(const struct pt_sview *v, uint16_t *vendor, uint16_t *device, uint32_t *class,
		 bool *has_class)
{
	if (v->fn && !v->fn->id_err) {
		*vendor = v->fn->vendor;
		*device = v->fn->device;
		*class = v->fn->class;
		*has_class = true;
		return true;
	}
	*vendor = v->sd->vendor;
	*device = v->sd->device;
	*class = v->sd->class;
	*has_class = v->sd->has_class;
	return v->sd->has_id;
}

/* Show the node of a device that is, or should be, on vfio. */
bool pt_sview_shows_node(const struct pt_sview *v)
{
	return v->gv && (v->wanted || v->bound);
}
