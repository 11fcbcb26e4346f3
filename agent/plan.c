/* SPDX-License-Identifier: MIT */
/* plan.c — selectors × functions × IOMMU groups → plan; see plan.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

void pt_plan_init(struct pt_plan *plan, enum pt_group_policy policy)
{
	*plan = (struct pt_plan){ .policy = policy };
	pt_kernel_parse(NULL, &plan->kernel);
	pt_diag_init(&plan->diag);
}

void pt_plan_free(struct pt_plan *plan)
{
	for (size_t i = 0; i < plan->n_groups; i++) {
		free(plan->groups[i].members);
		free(plan->groups[i].blockers);
	}
	free(plan->groups);
	free(plan->targets);
	pt_diag_free(&plan->diag);
	*plan = (struct pt_plan){ 0 };
}

const char *pt_action_name(enum pt_action a)
{
	static const char *const names[] = {
		[PT_ACT_PLANNED] = "planned",	    [PT_ACT_BOUND] = "bound",
		[PT_ACT_ALREADY] = "already-bound", [PT_ACT_RECOVERED] = "recovered",
		[PT_ACT_RELEASED] = "released",	    [PT_ACT_KEPT] = "kept",
		[PT_ACT_SKIPPED] = "skipped",	    [PT_ACT_FAILED] = "failed",
		[PT_ACT_PENDING] = "pending",
	};

	return names[a];
}

struct pt_target *pt_plan_find(struct pt_plan *plan, const struct pt_pci_func *fn)
{
	size_t lo = 0, hi = plan->n_targets;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = pt_addr_cmp(&plan->targets[mid].fn->addr, &fn->addr);

		if (c == 0)
			return &plan->targets[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Index of the first group >= group (the array is sorted). */
static size_t group_lower_bound(const struct pt_plan *plan, int group)
{
	size_t lo = 0, hi = plan->n_groups;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (plan->groups[mid].group < group)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct pt_group *pt_plan_group(struct pt_plan *plan, int group)
{
	size_t at = group_lower_bound(plan, group);

	return at < plan->n_groups && plan->groups[at].group == group ? &plan->groups[at] : NULL;
}

/* Add a record for fn (kept sorted). Returns it, or NULL on ENOMEM. The
 * pointer is valid until the next add. */
static struct pt_target *add_target(struct pt_plan *plan, struct pt_pci_func *fn,
				    const char *selected_by, bool take)
{
	size_t lo = 0, hi = plan->n_targets;
	char by[PT_SELECTED_BY_MAX];
	const char *by_interned;
	struct pt_target *t;

	pt_strlcpy(by, selected_by, sizeof(by));
	by_interned = pt_intern(by);
	if (!by_interned)
		return NULL;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pt_addr_cmp(&plan->targets[mid].fn->addr, &fn->addr) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (plan->n_targets == plan->cap_targets) {
		size_t cap = plan->cap_targets ? plan->cap_targets * 2 : 8;
		struct pt_target *v = realloc(plan->targets, cap * sizeof(*v));

		if (!v)
			return NULL;
		plan->targets = v;
		plan->cap_targets = cap;
	}
	memmove(plan->targets + lo + 1, plan->targets + lo,
		(plan->n_targets - lo) * sizeof(*plan->targets));
	plan->n_targets++;
	t = &plan->targets[lo];
	*t = (struct pt_target){ .fn = fn,
				 .take = take,
				 .action = take ? PT_ACT_PENDING : PT_ACT_SKIPPED,
				 .driver = "vfio-pci",
				 .driver_before = "",
				 .driver_after = "",
				 .override_before = "",
				 .selected_by = by_interned,
				 .error = "" };
	return t;
}

/* Format prefix + fmt into the target's sentence: one pass into a bounded
 * buffer on the stack, then interned (pt_intern): thousands of targets can
 * each have one, and when thousands of binds fail they fail alike, so one
 * copy serves them all. prefix may be the old sentence. */
static void target_verror(struct pt_target *t, const char *prefix, const char *fmt, va_list ap)
{
	char buf[PT_TARGET_ERROR_MAX];
	const char *text;
	size_t n;

	n = pt_strlcpy(buf, prefix, sizeof(buf));
	if (n < sizeof(buf))
		vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	text = pt_intern(buf);
	t->error = text ? text : "out of memory recording what went wrong";
}

void pt_target_report(struct pt_diag *d, enum pt_severity sev, const struct pt_target *t)
{
	pt_diag_ref(d, sev, t->fn->name, t->error);
}

void pt_target_error(struct pt_target *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	target_verror(t, "", fmt, ap);
	va_end(ap);
}

void pt_target_error_append(struct pt_target *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	target_verror(t, t->error, fmt, ap);
	va_end(ap);
}

static void refuse(struct pt_target *t, const char *fmt, ...) _printf_(2, 3);
static void refuse(struct pt_target *t, const char *fmt, ...)
{
	va_list ap;

	t->take = false;
	t->action = PT_ACT_SKIPPED;
	va_start(ap, fmt);
	target_verror(t, "", fmt, ap);
	va_end(ap);
}

/* An exclusion with an address excludes whatever is at that address — a
 * pinned one too, even when something else sits there now: an exclusion
 * exists to protect, so it errs on the side of protecting. */
static bool excl_matches(const struct pt_selector *sel, const struct pt_pci_func *f)
{
	if (sel->flags & PT_SEL_ADDR)
		return pt_selector_match_addr(sel, &f->addr);
	return !f->id_err &&
	       pt_selector_match_id(sel, f->vendor, f->device, f->subvendor, f->subdevice);
}

static const struct pt_selector *excluded_by(const struct pt_spec *spec,
					     const struct pt_pci_func *f)
{
	for (unsigned i = 0; i < spec->n; i++)
		if ((spec->sel[i].flags & PT_SEL_EXCLUDE) && excl_matches(&spec->sel[i], f))
			return &spec->sel[i];
	return NULL;
}

static void describe_fn(const struct pt_pci_func *f, char *buf, size_t size)
{
	snprintf(buf, size, "%04x:%04x (subsystem %04x:%04x, class %06x)", f->vendor, f->device,
		 f->subvendor, f->subdevice, f->class);
}

/* An entry with a subsystem that matched nothing: the functions with its
 * vendor:device, and their subsystems ("0000:01:00.0 is 10de:1d01 with
 * subsystem 1462:8c98"). False when there are none. */
static bool near_id(const struct pt_selector *sel, struct pt_pci_func *const *funcs, size_t n_funcs,
		    char *buf, size_t size)
{
	size_t off = 0, n = 0;

	if (!(sel->flags & PT_SEL_SUBSYS))
		return false;
	buf[0] = '\0';
	for (size_t k = 0; k < n_funcs && off < size; k++) {
		const struct pt_pci_func *f = funcs[k];

		if (f->id_err || f->vendor != sel->vendor || f->device != sel->device)
			continue;
		if (n == 3) {
			snprintf(buf + off, size - off, ", ...");
			break;
		}
		off += (size_t)snprintf(buf + off, size - off,
					"%s%s is %04x:%04x with subsystem %04x:%04x", n ? ", " : "",
					f->name, f->vendor, f->device, f->subvendor, f->subdevice);
		n++;
	}
	return n > 0;
}

int pt_plan_select(struct pt_plan *plan, const struct pt_spec *spec,
		   struct pt_pci_func *const *funcs, size_t n_funcs)
{
	char near[320];
	bool matched[PT_SPEC_MAX_ENTRIES] = { false };
	bool has_id_only = false;

	for (unsigned i = 0; i < spec->n; i++)
		if (!(spec->sel[i].flags & (PT_SEL_EXCLUDE | PT_SEL_ADDR)))
			has_id_only = true;

	for (size_t k = 0; k < n_funcs; k++) {
		struct pt_pci_func *f = funcs[k];
		const struct pt_selector *by = NULL, *mismatch = NULL, *excl, *addr_sel = NULL;
		struct pt_target *t;
		char what[96];

		for (unsigned i = 0; i < spec->n; i++) {
			const struct pt_selector *sel = &spec->sel[i];

			if ((sel->flags & PT_SEL_EXCLUDE) || !pt_selector_match_addr(sel, &f->addr))
				continue;
			if (sel->flags & PT_SEL_ADDR) {
				if (!addr_sel)
					addr_sel = sel;
				if (f->id_err) {
					matched[i] = true;
					continue;
				}
			} else if (f->id_err) {
				continue;
			}
			if (!pt_selector_match_id(sel, f->vendor, f->device, f->subvendor,
						  f->subdevice)) {
				/* Only an entry with both an id and an address can
				 * match an address and not an id: a pinned entry. */
				if (sel->flags & PT_SEL_ADDR) {
					matched[i] = true;
					if (!mismatch)
						mismatch = sel;
					describe_fn(f, what, sizeof(what));
					pt_diag_error(&plan->diag,
						      "entry '%s': %s is %s, not the device this "
						      "entry names; nothing bound for it",
						      sel->text, f->name, what);
				}
				continue;
			}
			matched[i] = true;
			if (!by)
				by = sel;
		}

		/* Exclusions that name an address and an id: say so when the
		 * id no longer fits (the address is excluded all the same). */
		for (unsigned i = 0; i < spec->n; i++) {
			const struct pt_selector *sel = &spec->sel[i];

			if ((sel->flags & (PT_SEL_EXCLUDE | PT_SEL_ADDR | PT_SEL_ID)) ==
				    (PT_SEL_EXCLUDE | PT_SEL_ADDR | PT_SEL_ID) &&
			    !f->id_err && pt_selector_match_addr(sel, &f->addr) &&
			    !pt_selector_match_id(sel, f->vendor, f->device, f->subvendor,
						  f->subdevice)) {
				describe_fn(f, what, sizeof(what));
				pt_diag_warn(&plan->diag,
					     "exclusion '%s': %s is now %s; excluded all the same",
					     sel->text, f->name, what);
			}
		}

		if (f->id_err) {
			if (addr_sel) {
				t = add_target(plan, f, addr_sel->text, false);
				if (!t)
					return -ENOMEM;
				refuse(t, "cannot read %s of %s: %s; not bound", f->id_err_attr,
				       f->name, strerror(-f->id_err));
				pt_diag_ref(&plan->diag, PT_SEV_ERROR, NULL, t->error);
			} else if (has_id_only) {
				pt_diag_warn(&plan->diag,
					     "cannot read %s of %s: %s; it was not considered",
					     f->id_err_attr, f->name, strerror(-f->id_err));
			}
			continue;
		}
		if (!by) {
			if (mismatch) {
				t = add_target(plan, f, mismatch->text, false);
				if (!t)
					return -ENOMEM;
				describe_fn(f, what, sizeof(what));
				refuse(t, "pinned entry '%s' does not match: %s is %s",
				       mismatch->text, f->name, what);
			}
			continue;
		}
		excl = excluded_by(spec, f);
		t = add_target(plan, f, by->text, !excl);
		if (!t)
			return -ENOMEM;
		t->explicit_addr = (by->flags & PT_SEL_ADDR) && !(by->flags & PT_SEL_ANYFUNC);
		if (excl) {
			refuse(t, "excluded by '%s'", excl->text);
			continue;
		}
		if (pt_pci_is_bridge(f)) {
			refuse(t, "%s is a PCI bridge (class %06x): pt never binds bridges",
			       f->name, f->class);
			if (t->explicit_addr)
				pt_diag_ref(&plan->diag, PT_SEV_ERROR, NULL, t->error);
			else
				pt_diag_warn(&plan->diag, "%s; entry '%s' skips it", t->error,
					     by->text);
		}
	}

	for (unsigned i = 0; i < spec->n; i++) {
		const struct pt_selector *sel = &spec->sel[i];
		char a[PT_ADDR_STRLEN];

		if ((sel->flags & PT_SEL_EXCLUDE) || matched[i])
			continue;
		pt_addr_format(&sel->addr, a);
		if (sel->flags & PT_SEL_ANYFUNC)
			pt_diag_error(&plan->diag, "entry '%s': no PCI function in slot %.10s",
				      sel->text, a);
		else if (sel->flags & PT_SEL_ADDR)
			pt_diag_error(&plan->diag, "entry '%s': no PCI function at %s", sel->text,
				      a);
		else if (!near_id(sel, funcs, n_funcs, near, sizeof(near)))
			pt_diag_error(&plan->diag, "entry '%s': no PCI function has this id",
				      sel->text);
		else
			pt_diag_error(&plan->diag,
				      "entry '%s': no PCI function has this id: %s, not subsystem "
				      "%04x:%04x; nothing bound for it",
				      sel->text, near, sel->subvendor, sel->subdevice);
	}
	return plan->diag.oom ? -ENOMEM : 0;
}

int pt_plan_add_group(struct pt_plan *plan, int group, struct pt_pci_func *const *members, size_t n)
{
	struct pt_group *g;
	size_t at;

	if (pt_plan_group(plan, group))
		return -EEXIST;
	if (plan->n_groups == plan->cap_groups) {
		size_t cap = plan->cap_groups ? plan->cap_groups * 2 : 4;
		struct pt_group *v = realloc(plan->groups, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		plan->groups = v;
		plan->cap_groups = cap;
	}
	at = group_lower_bound(plan, group);
	memmove(plan->groups + at + 1, plan->groups + at,
		(plan->n_groups - at) * sizeof(*plan->groups));
	g = &plan->groups[at];
	*g = (struct pt_group){ .group = group, .viable = true };
	plan->n_groups++;
	if (n == 0)
		return 0;
	g->members = malloc(n * sizeof(*g->members));
	g->blockers = malloc(n * sizeof(*g->blockers));
	if (!g->members || !g->blockers)
		return -ENOMEM;
	memcpy(g->members, members, n * sizeof(*members));
	g->n_members = n;
	return 0;
}

static bool group_has_taken(struct pt_plan *plan, const struct pt_group *g)
{
	for (size_t i = 0; i < g->n_members; i++) {
		struct pt_target *t = pt_plan_find(plan, g->members[i]);

		if (t && t->take)
			return true;
	}
	return false;
}

/* pt.group=auto: take the group's endpoints that share a taken target's
 * bus:slot — the GPU's audio, USB-C and serial-bus functions. */
static int expand_group(struct pt_plan *plan, const struct pt_spec *spec, struct pt_group *g)
{
	for (size_t i = 0; i < g->n_members; i++) {
		struct pt_pci_func *m = g->members[i];
		const struct pt_target *sibling_of = NULL;
		char by[PT_SELECTED_BY_MAX];

		if (pt_plan_find(plan, m) || m->id_err || pt_pci_is_bridge(m))
			continue;
		/* The entry the person wrote, not a function this loop added. */
		for (size_t j = 0; j < g->n_members && !sibling_of; j++) {
			struct pt_target *t = pt_plan_find(plan, g->members[j]);

			if (t && t->take && !t->by_group &&
			    pt_addr_same_slot(&t->fn->addr, &m->addr))
				sibling_of = t;
		}
		if (!sibling_of || excluded_by(spec, m) || m->state_err)
			continue;
		snprintf(by, sizeof(by), "group of %s", sibling_of->selected_by);
		if (m->boot_vga)
			pt_diag_warn(&plan->diag,
				     "%s is the boot GPU and shares IOMMU group %d with %s (entry "
				     "'%s'): it goes to vfio with it, and the boot display goes "
				     "with it",
				     m->name, g->group, sibling_of->fn->name,
				     sibling_of->selected_by);
		{
			struct pt_target *t = add_target(plan, m, by, true);

			if (!t)
				return -ENOMEM;
			t->by_group = true;
		}
	}
	return 0;
}

static bool bridge_beside_taken(struct pt_plan *plan, const struct pt_group *g,
				const struct pt_pci_func *m)
{
	for (size_t j = 0; j < g->n_members; j++) {
		struct pt_target *t = pt_plan_find(plan, g->members[j]);

		if (t && t->take && pt_group_bridge_in_slot(m, &t->fn->addr))
			return true;
	}
	return false;
}

static const char *blocker_why(struct pt_plan *plan, const struct pt_spec *spec,
			       const struct pt_pci_func *m)
{
	struct pt_target *t = pt_plan_find(plan, m);

	if (m->id_err || m->state_err)
		return "unreadable";
	if (excluded_by(spec, m))
		return "excluded";
	if (t)
		return "refused";
	if (m->driver[0])
		return "host driver";
	return "not listed";
}

enum blocker_kind {
	BK_ANY,
	BK_EXCLUDED,  /* excluded by a '!' entry */
	BK_SAME_SLOT, /* an endpoint in a taken target's slot: the card's own */
	BK_FOREIGN,   /* another slot's endpoint, or a bridge (the chipset's) */
};

static enum blocker_kind blocker_kind(struct pt_plan *plan, const struct pt_group *g,
				      const struct pt_blocker *b)
{
	const struct pt_pci_func *m = b->fn;

	if (streq(b->why, "excluded"))
		return BK_EXCLUDED;
	if (!m->id_err && pt_pci_is_bridge(m))
		return BK_FOREIGN;
	for (size_t j = 0; j < g->n_members; j++) {
		struct pt_target *t = pt_plan_find(plan, g->members[j]);

		if (t && t->take && pt_addr_same_slot(&t->fn->addr, &m->addr))
			return BK_SAME_SLOT;
	}
	return BK_FOREIGN;
}

/* "0000:27:00.0 (1b21:2142, xhci_hcd), ..." for the blockers of one kind;
 * returns how many. */
static size_t describe_blockers(struct pt_plan *plan, const struct pt_group *g,
				enum blocker_kind kind, char *buf, size_t size)
{
	size_t off = 0, n = 0, total = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < g->n_blockers; i++) {
		const struct pt_pci_func *m = g->blockers[i].fn;

		if (kind != BK_ANY && blocker_kind(plan, g, &g->blockers[i]) != kind)
			continue;
		total++;
		if (n == 3 || off >= size)
			continue;
		off += (size_t)snprintf(buf + off, size - off, "%s%s (%04x:%04x, %s)",
					n ? ", " : "", m->name, m->vendor, m->device,
					m->driver[0] ? m->driver : "no driver yet");
		n++;
	}
	if (total > n && off < size)
		snprintf(buf + off, size - off, " and %zu more", total - n);
	return total;
}

/* The exclusion entry that covers a blocker, for the message. */
static const char *exclusion_text(const struct pt_spec *spec, const struct pt_group *g)
{
	for (size_t i = 0; i < g->n_blockers; i++) {
		const struct pt_selector *sel = excluded_by(spec, g->blockers[i].fn);

		if (sel)
			return sel->text;
	}
	return "";
}

void pt_plan_protect(struct pt_plan *plan, const struct pt_addr *addr, int group,
		     const char *reason)
{
	struct pt_protected *p;

	if (plan->n_protect == PT_PLAN_MAX_PROTECTED)
		return;
	p = &plan->protect[plan->n_protect++];
	p->addr = *addr;
	p->group = group;
	pt_strlcpy(p->reason, reason, sizeof(p->reason));
}

/* The protection that covers f: its own address, or its IOMMU group. */
static const struct pt_protected *protected_by(const struct pt_plan *plan,
					       const struct pt_pci_func *f, bool *ret_same)
{
	for (size_t i = 0; i < plan->n_protect; i++) {
		const struct pt_protected *p = &plan->protect[i];

		*ret_same = pt_addr_cmp(&p->addr, &f->addr) == 0;
		if (*ret_same || (p->group >= 0 && (f->loaded & PT_PCI_STATE) && !f->state_err &&
				  f->iommu_group == p->group))
			return p;
	}
	return NULL;
}

int pt_plan_resolve(struct pt_plan *plan, const struct pt_spec *spec)
{
	char blockers[400], some[400], a[PT_ADDR_STRLEN];
	const struct pt_protected *prot;
	size_t n;
	bool same;
	int r;

	for (size_t i = 0; i < plan->n_targets; i++) {
		struct pt_target *t = &plan->targets[i];
		struct pt_pci_func *f = t->fn;

		if (!t->take)
			continue;
		prot = protected_by(plan, f, &same);
		if (prot) {
			pt_addr_format(&prot->addr, a);
			if (same)
				refuse(t, "%s %s", f->name, prot->reason);
			else
				refuse(t, "%s shares IOMMU group %d with %s, which %s", f->name,
				       prot->group, a, prot->reason);
			pt_diag_ref(&plan->diag, PT_SEV_ERROR, NULL, t->error);
		} else if (f->state_err) {
			refuse(t, "cannot read %s of %s: %s; not bound", f->state_err_attr, f->name,
			       strerror(-f->state_err));
			pt_diag_ref(&plan->diag, PT_SEV_ERROR, NULL, t->error);
		} else if (f->iommu_group < 0) {
			refuse(t,
			       "%s has no IOMMU group: the IOMMU does not cover it, so vfio "
			       "cannot take it",
			       f->name);
			pt_diag_ref(&plan->diag, PT_SEV_ERROR, NULL, t->error);
		}
	}

	if (plan->policy == PT_GROUP_AUTO)
		for (size_t i = 0; i < plan->n_groups; i++) {
			r = expand_group(plan, spec, &plan->groups[i]);
			if (r < 0)
				return r;
		}

	for (size_t i = 0; i < plan->n_groups; i++) {
		struct pt_group *g = &plan->groups[i];

		g->n_blockers = 0;
		for (size_t j = 0; j < g->n_members; j++) {
			struct pt_pci_func *m = g->members[j];
			struct pt_target *t = pt_plan_find(plan, m);
			enum pt_gm gm = pt_group_member(&plan->kernel, m, PT_AT_BOOT, t && t->take);
			bool chipset = !pt_gm_blocks(gm) && bridge_beside_taken(plan, g, m);

			/* A bridge in a taken function's slot: the chipset itself
			 * (its USB, SATA and bridges are one device), as
			 * pt_group_assess() says too. */
			if (!pt_gm_blocks(gm) && !chipset)
				continue;
			g->blockers[g->n_blockers].fn = m;
			g->blockers[g->n_blockers].why =
				chipset ? "chipset" : blocker_why(plan, spec, m);
			g->blockers[g->n_blockers].gm = gm;
			g->n_blockers++;
		}
		g->viable = g->n_blockers == 0;
		if (g->viable || !group_has_taken(plan, g))
			continue;

		describe_blockers(plan, g, BK_ANY, blockers, sizeof(blockers));
		if (plan->policy == PT_GROUP_WARN) {
			pt_diag_warn(&plan->diag,
				     "IOMMU group %d cannot be handed to a guest as it is: it also "
				     "holds %s; bound anyway (pt.group=warn)",
				     g->group, blockers);
			continue;
		}
		if ((n = describe_blockers(plan, g, BK_EXCLUDED, some, sizeof(some))) > 0)
			pt_diag_error(
				&plan->diag,
				"IOMMU group %d also holds %s, which '%s' excludes: the group "
				"cannot go to a guest without %s; drop the exclusion to pass "
				"%s too, or leave the card to the host; nothing in this group "
				"was bound",
				g->group, some, exclusion_text(spec, g), n > 1 ? "them" : "it",
				n > 1 ? "them" : "it");
		else if ((n = describe_blockers(plan, g, BK_FOREIGN, some, sizeof(some))) > 0)
			pt_diag_error(
				&plan->diag,
				"IOMMU group %d also holds %s, not part of this card: the slot "
				"sits behind a bridge without ACS isolation, so the group "
				"cannot go to a guest without the host's own device%s; put "
				"the card in a slot wired to the CPU (pt-status groups shows "
				"each group; pt.group=warn binds anyway); nothing in this "
				"group was bound",
				g->group, some, n > 1 ? "s" : "");
		else if (plan->policy == PT_GROUP_STRICT)
			pt_diag_error(
				&plan->diag,
				"IOMMU group %d also holds the card's own %s: list %s too, or "
				"use pt.group=auto, which takes a card's other functions with "
				"it; nothing in this group was bound",
				g->group, blockers, g->n_blockers > 1 ? "them" : "it");
		else
			pt_diag_error(
				&plan->diag,
				"IOMMU group %d also holds %s: list %s too (pt.group=warn binds "
				"anyway); nothing in this group was bound",
				g->group, blockers, g->n_blockers > 1 ? "them" : "it");
		for (size_t j = 0; j < g->n_members; j++) {
			struct pt_target *t = pt_plan_find(plan, g->members[j]);

			if (t && t->take)
				refuse(t, "IOMMU group %d is not viable: it also holds %s",
				       g->group, blockers);
		}
	}
	return plan->diag.oom ? -ENOMEM : 0;
}

struct pt_target *pt_plan_take(struct pt_plan *plan, struct pt_pci_func *fn,
			       const char *selected_by)
{
	struct pt_target *t = pt_plan_find(plan, fn);

	if (t)
		return t;
	return add_target(plan, fn, selected_by, true);
}

const struct pt_selector *pt_plan_excluded_by(const struct pt_spec *spec,
					      const struct pt_pci_func *f)
{
	return excluded_by(spec, f);
}

void pt_plan_refuse_taken(struct pt_plan *plan, int group, const char *reason)
{
	for (size_t i = 0; i < plan->n_targets; i++) {
		struct pt_target *t = &plan->targets[i];

		if (t->take && (group < 0 || t->fn->iommu_group == group))
			refuse(t, "%s", reason);
	}
}

size_t pt_plan_count_taken(const struct pt_plan *plan)
{
	size_t n = 0;

	for (size_t i = 0; i < plan->n_targets; i++)
		n += plan->targets[i].take;
	return n;
}

void pt_plan_print(const struct pt_plan *plan, FILE *out)
{
	fprintf(out, "Devices:\n");
	if (plan->n_targets == 0)
		fprintf(out, "  (none)\n");
	for (size_t i = 0; i < plan->n_targets; i++) {
		const struct pt_target *t = &plan->targets[i];
		const struct pt_pci_func *f = t->fn;
		char group[16];

		if (f->iommu_group >= 0)
			snprintf(group, sizeof(group), "%d", f->iommu_group);
		else
			snprintf(group, sizeof(group), "-");
		fprintf(out, "  %s  %04x:%04x  class %06x  group %-4s %-14s -> %-10s %s\n", f->name,
			f->vendor, f->device, f->class, group,
			f->driver[0] ? f->driver : "(no driver)", t->take ? t->driver : "(none)",
			t->action == PT_ACT_PENDING || t->action == PT_ACT_PLANNED
				? (pt_driver_is_vfio(f->driver) ? "already bound" : "would bind")
				: pt_action_name(t->action));
		fprintf(out, "        selected by %s\n", t->selected_by);
		if (t->error[0])
			fprintf(out, "        %s\n", t->error);
	}
	if (plan->n_groups)
		fprintf(out, "IOMMU groups:\n");
	for (size_t i = 0; i < plan->n_groups; i++) {
		const struct pt_group *g = &plan->groups[i];

		fprintf(out, "  group %d: %s (", g->group, g->viable ? "viable" : "NOT viable");
		for (size_t j = 0; j < g->n_members; j++)
			fprintf(out, "%s%s", j ? " " : "", g->members[j]->name);
		fprintf(out, ")\n");
		for (size_t j = 0; j < g->n_blockers; j++) {
			const struct pt_pci_func *m = g->blockers[j].fn;

			fprintf(out, "    blocked by %s %04x:%04x class %06x, %s (%s)\n", m->name,
				m->vendor, m->device, m->class,
				m->driver[0] ? m->driver : "no driver yet", g->blockers[j].why);
		}
	}
}
