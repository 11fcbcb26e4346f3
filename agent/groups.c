/* SPDX-License-Identifier: MIT */
/* groups.c — IOMMU groups read live, and the `groups` command; see groups.h. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "groups.h"
#include "output.h"
#include "spec.h"
#include "text.h"

struct glist {
	struct pt_pci *pci;
	struct pt_gview *gv;
	size_t cap;
};

static int glist_one(const char *name, void *userdata)
{
	struct glist *c = userdata;
	struct pt_gmember *m;
	struct pt_addr a;

	if (c->gv->n_members == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct pt_gmember *v = realloc(c->gv->members, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->gv->members = v;
		c->cap = cap;
	}
	m = &c->gv->members[c->gv->n_members++];
	*m = (struct pt_gmember){ 0 };
	pt_text_safe(name, 40, m->raw, sizeof(m->raw));
	/* The names are the kernel's, but only a canonical address becomes
	 * part of a path; anything else stays a raw, unreadable member. */
	if (pt_addr_parse(name, &a) < 0 || strlen(name) != PT_ADDR_STRLEN - 1)
		return 0;
	if (pt_pci_get(c->pci, &a, &m->fn) < 0) {
		m->fn = NULL;
		return 0;
	}
	(void)pt_pci_load_identity(c->pci, m->fn);
	(void)pt_pci_load_state(c->pci, m->fn);
	pt_pci_load_header(c->pci, m->fn);
	return 0;
}

static int member_cmp(const void *x, const void *y)
{
	const struct pt_gmember *a = x, *b = y;

	if (a->fn && b->fn)
		return pt_addr_cmp(&a->fn->addr, &b->fn->addr);
	if (a->fn || b->fn)
		return a->fn ? -1 : 1;
	return strcmp(a->raw, b->raw);
}

int pt_gview_load(struct pt_pci *pci, const struct pt_sysfs *sys, const struct pt_kernel *k,
		  int group, struct pt_gview **ret)
{
	struct pt_gview *gv = calloc(1, sizeof(*gv));
	struct glist c = { .pci = pci };
	char node[32];
	int r;

	if (!gv)
		return -ENOMEM;
	gv->group = group;
	c.gv = gv;
	r = pt_pci_group_list(pci, group, glist_one, &c);
	if (r == -ENOMEM) {
		free(gv->members);
		free(gv);
		return r;
	}
	gv->list_err = r < 0 ? r : 0;
	if (gv->n_members)
		qsort(gv->members, gv->n_members, sizeof(*gv->members), member_cmp);
	gv->viable = gv->list_err == 0 && gv->n_members > 0;
	for (size_t i = 0; i < gv->n_members; i++) {
		struct pt_gmember *m = &gv->members[i];

		m->bridge = m->fn && !m->fn->id_err && pt_pci_is_bridge(m->fn);
		m->now = pt_group_member(k, m->fn, PT_NOW, false);
		m->boot = pt_group_member(k, m->fn, PT_AT_BOOT, false);
		m->blocks = pt_gm_blocks(m->now);
		if (m->blocks)
			gv->viable = false;
	}
	{
		const struct pt_pci_func **fns =
			calloc(gv->n_members ? gv->n_members : 1, sizeof(*fns));

		if (!fns) {
			pt_gview_free(gv);
			return -ENOMEM;
		}
		for (size_t i = 0; i < gv->n_members; i++)
			fns[i] = gv->members[i].fn;
		r = pt_group_assess(k, fns, gv->n_members, &gv->assess);
		free(fns);
		if (r < 0) {
			pt_gview_free(gv);
			return r;
		}
		if (gv->list_err)
			gv->assess.verdict = PT_GV_UNREADABLE;
	}
	snprintf(node, sizeof(node), "/dev/vfio/%d", group);
	pt_node_check(sys, node, &gv->node);
	*ret = gv;
	return 0;
}

void pt_gview_free(struct pt_gview *gv)
{
	if (!gv)
		return;
	pt_gassess_free(&gv->assess);
	free(gv->members);
	free(gv);
}

/* "0000:27:00.0 (xhci_hcd)" */
void pt_gmember_text(const struct pt_gmember *m, char *buf, size_t size)
{
	if (!m->fn)
		snprintf(buf, size, "%s (unreadable)", m->raw);
	else if (m->fn->id_err || m->fn->state_err)
		snprintf(buf, size, "%s (unreadable)", m->fn->name);
	else
		snprintf(buf, size, "%s (%s)", m->fn->name,
			 m->fn->driver[0] ? m->fn->driver : "no driver");
}

struct gnum_ctx {
	int *v;
	size_t n, cap;
};

static int gnum_one(const char *name, void *userdata)
{
	struct gnum_ctx *c = userdata;
	char *end;
	long g;

	/* Group directories are decimal numbers; skip anything else. */
	if (name[0] < '0' || name[0] > '9' || (name[0] == '0' && name[1]))
		return 0;
	errno = 0;
	g = strtol(name, &end, 10);
	if (errno || *end || g > INT_MAX)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		int *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = (int)g;
	return 0;
}

static int int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int pt_groups_collect(struct pt_groups *g, const struct pt_sysfs *sys, const struct pt_names *names)
{
	struct gnum_ctx c = { 0 };
	char path[PATH_MAX];
	int r;

	*g = (struct pt_groups){ .sys = sys, .names = names };
	pt_pci_init(&g->pci, sys);
	pt_kernel_read(sys, &g->kernel);
	r = pt_sysfs_path(sys, path, sizeof(path), "/sys/kernel/iommu_groups");
	if (r >= 0)
		r = pt_sysfs_list(sys, path, gnum_one, &c);
	if (r == -ENOMEM) {
		free(c.v);
		return r;
	}
	if (r < 0) {
		g->err = r;
		free(c.v);
		return 0;
	}
	if (c.n == 0)
		g->err = -ENOENT;
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), int_cmp);
	g->groups = calloc(c.n ? c.n : 1, sizeof(*g->groups));
	if (!g->groups) {
		free(c.v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < c.n; i++) {
		r = pt_gview_load(&g->pci, sys, &g->kernel, c.v[i], &g->groups[i]);
		if (r < 0) {
			free(c.v);
			return r;
		}
		g->n_groups++;
	}
	free(c.v);
	return 0;
}

void pt_groups_free(struct pt_groups *g)
{
	for (size_t i = 0; i < g->n_groups; i++)
		pt_gview_free(g->groups[i]);
	free(g->groups);
	pt_pci_free(&g->pci);
	*g = (struct pt_groups){ 0 };
}

int pt_groups_exit_code(const struct pt_groups *g)
{
	return g->err ? PT_EXIT_PROBLEM : PT_EXIT_OK;
}

static void print_no_iommu(const struct pt_groups *g, FILE *out)
{
	if (g->err == -ENOENT)
		fprintf(out, "No IOMMU groups under /sys/kernel/iommu_groups: the IOMMU is off.\n"
			     "Enable VT-d (Intel) or AMD-Vi (AMD) in the firmware, and boot with "
			     "intel_iommu=on on Intel.\n");
	else
		fprintf(out, "Cannot list /sys/kernel/iommu_groups: %s\n", strerror(-g->err));
}

/* Append text to b wrapped at 79 columns, each line starting with indent. */
static void wrap(struct pt_buf *b, const char *indent, const char *text)
{
	size_t col = 0, ind = pt_text_width(indent);
	const char *p = text;

	while (*p) {
		const char *w = p;
		size_t len, width;

		while (*w == ' ')
			w++;
		len = strcspn(w, " ");
		if (len == 0)
			break;
		{
			char word[512];

			pt_strlcpy(word, w, len + 1 < sizeof(word) ? len + 1 : sizeof(word));
			width = pt_text_width(word);
		}
		if (col > 0 && col + 1 + width > 79) {
			pt_buf_putc(b, '\n');
			col = 0;
		}
		if (col == 0) {
			pt_buf_puts(b, indent);
			col = ind;
		} else {
			pt_buf_putc(b, ' ');
			col++;
		}
		pt_buf_add(b, w, len);
		col += width;
		p = w + len;
	}
	if (col)
		pt_buf_putc(b, '\n');
}

/* "0000:00:1f.0 (lpc_ich)", "0000:00:1f.0 (no driver yet)" */
static void fn_driver(const struct pt_pci_func *f, struct pt_buf *b)
{
	pt_buf_printf(b, "%s (%s)", f->name, f->driver[0] ? f->driver : "no driver yet");
}

void pt_gview_headline(const struct pt_gview *gv, struct pt_buf *b)
{
	const struct pt_gassess *a = &gv->assess;

	if (gv->list_err) {
		pt_buf_printf(b, "cannot list its devices: %s", strerror(-gv->list_err));
		return;
	}
	switch (a->verdict) {
	case PT_GV_EMPTY:
		pt_buf_puts(b, "empty");
		return;
	case PT_GV_UNREADABLE:
		pt_buf_puts(b, "pt cannot read all of its devices, so it cannot vouch for it");
		return;
	case PT_GV_BRIDGES:
		pt_buf_puts(b, "only bridges: nothing to give to a guest");
		return;
	case PT_GV_READY:
		pt_buf_printf(b, "can go to a guest as it is: %s on vfio",
			      a->n_take > 1 ? "its devices are" : "its device is");
		return;
	case PT_GV_LIST:
		pt_buf_printf(b, "can go to a guest once you list %s",
			      a->n_take > 1 ? "its devices (one card's functions)" : "its device");
		return;
	case PT_GV_SHARED:
		pt_buf_printf(
			b, "cannot go to a guest on its own: it holds the devices of %zu slots (",
			a->n_slots);
		for (size_t i = 0; i < a->n_slots; i++) {
			char addr[PT_ADDR_STRLEN];

			pt_addr_format(&a->slots[i], addr);
			pt_buf_printf(b, "%s%.10s", i ? ", " : "", addr);
		}
		pt_buf_puts(b, ")");
		return;
	case PT_GV_CHIPSET:
		pt_buf_puts(b, "cannot go to a guest: it shares the group with ");
		for (size_t i = 0; i < a->n_fixed_blockers; i++) {
			pt_buf_puts(b, i ? ", " : "");
			fn_driver(a->fixed_blockers[i], b);
		}
		pt_buf_puts(b, ", which pt never takes");
		return;
	}
}

/* ISA bridge, SMBus, ...: the class in words, for advice. */
static void class_words(const struct pt_names *nm, const struct pt_pci_func *f, struct pt_buf *b)
{
	char cb[128];
	const char *c =
		pt_names_lookup(nm, PT_NAME_CLASS, (f->class >> 8) & 0xffffu, 0, cb, sizeof(cb));

	if (c)
		pt_buf_printf(b, "%s %s", c, f->name);
	else
		pt_buf_printf(b, "%s (class %04x)", f->name, (f->class >> 8) & 0xffffu);
}

static void advice(const struct pt_gview *gv, const struct pt_names *nm, const char *indent,
		   struct pt_buf *b)
{
	const struct pt_gassess *a = &gv->assess;
	struct pt_buf t;

	pt_buf_init(&t);
	if (a->verdict == PT_GV_SHARED) {
		pt_buf_puts(&t,
			    "These slots sit behind a bridge without ACS isolation, so the kernel "
			    "cannot keep their devices apart: the group goes to a guest whole or "
			    "not at all, and pt does not hand the host's own devices (");
		for (size_t i = 0, n = 0; i < a->n_take && n < 4; i++) {
			if (pt_addr_same_slot(&a->take[i]->addr, &a->slots[0]))
				continue;
			pt_buf_puts(&t, n++ ? ", " : "");
			class_words(nm, a->take[i], &t);
		}
		pt_buf_puts(&t, ") to a guest for you.");
	} else if (a->verdict == PT_GV_CHIPSET) {
		for (size_t i = 0; i < a->n_fixed_blockers; i++) {
			pt_buf_puts(&t, i ? ", " : "");
			class_words(nm, a->fixed_blockers[i], &t);
		}
		pt_buf_printf(&t,
			      " %s part of the chipset: pt never gives a bridge to a guest, and "
			      "the kernel does not let the group go without %s (a guest would "
			      "share the host's own chipset devices).",
			      a->n_fixed_blockers > 1 ? "are" : "is",
			      a->n_fixed_blockers > 1 ? "them" : "it");
	} else {
		pt_buf_free(&t);
		return;
	}
	pt_buf_puts(&t, " What you can do: put the card in a slot wired to the CPU (one whose "
			"group holds only the card), or boot a kernel that carries the ACS "
			"override patch with pcie_acs_override=downstream,multifunction, which "
			"splits such groups at the cost of the isolation they stood for: the "
			"devices can then reach each other's memory behind the IOMMU's back.");
	if (pt_buf_ok(&t))
		wrap(b, indent, pt_buf_str(&t));
	pt_buf_free(&t);
}

void pt_gview_advice(const struct pt_gview *gv, const char *indent, struct pt_buf *b)
{
	advice(gv, NULL, indent, b);
}

void pt_gview_paste(const struct pt_gview *gv, const char *indent, struct pt_buf *b)
{
	const struct pt_gassess *a = &gv->assess;

	if (a->verdict != PT_GV_LIST && a->verdict != PT_GV_READY)
		return;
	pt_buf_printf(b, "%skernel command line  pt.devices=", indent);
	pt_gassess_entries(a, b);
	pt_buf_printf(b, "\n%sNixOS                hardware.pt.devices = [", indent);
	for (size_t i = 0; i < a->n_take; i++) {
		const struct pt_pci_func *f = a->take[i];

		pt_buf_printf(b, " \"%04x:%04x@%s\"", f->vendor, f->device,
			      f->addr.domain ? f->name : f->name + 5);
	}
	pt_buf_printf(b, " ];\n%s/etc/pt.conf         devices = ", indent);
	for (size_t i = 0; i < a->n_take; i++) {
		const struct pt_pci_func *f = a->take[i];

		pt_buf_printf(b, "%s%04x:%04x@%s", i ? ", " : "", f->vendor, f->device,
			      f->addr.domain ? f->name : f->name + 5);
	}
	pt_buf_putc(b, '\n');
}

/* The member's word in the table: what it is to its group now. */
static const char *member_word(const struct pt_gview *gv, const struct pt_gmember *m)
{
	bool cannot = gv->assess.verdict == PT_GV_SHARED || gv->assess.verdict == PT_GV_CHIPSET;

	if (!m->fn || m->fn->id_err || m->fn->state_err)
		return "?";
	if (m->bridge)
		return pt_gm_blocks(m->now) || pt_gm_blocks(m->boot) ? "blocks" : "bridge";
	switch (m->now) {
	case PT_GM_VFIO:
		return "vfio";
	case PT_GM_UNBOUND:
		return "idle";
	case PT_GM_OWN_DMA:
		return "pci-stub";
	default:
		return cannot ? "host" : "in use";
	}
}

/* Notes under a group a person can pass: the host loses what it uses. */
static void notes(const struct pt_gview *gv, const char *indent, struct pt_buf *b)
{
	const struct pt_gassess *a = &gv->assess;
	char line[400];

	if (a->verdict != PT_GV_LIST)
		return;
	for (size_t i = 0; i < a->n_take; i++) {
		const struct pt_pci_func *f = a->take[i];

		if (f->boot_vga) {
			snprintf(line, sizeof(line),
				 "%s is the boot GPU: if it drives your only display, the display "
				 "goes with it (pt releases its boot framebuffer, pt.fb=auto).",
				 f->name);
			wrap(b, indent, line);
		}
		if (!f->driver[0] || pt_driver_is_vfio(f->driver) || streq(f->driver, "pci-stub"))
			continue;
		snprintf(line, sizeof(line),
			 "%s is in use by the host (%s): pt takes it at boot, before %s does.",
			 f->name, f->driver, f->driver);
		wrap(b, indent, line);
	}
}

static void group_rows(const struct pt_gview *gv, const struct pt_names *nm, struct pt_table *t)
{
	for (size_t k = 0; k < gv->n_members; k++) {
		const struct pt_gmember *m = &gv->members[k];
		const struct pt_pci_func *f = m->fn;
		char cls[160], id[400], what[600];
		const char *r[4];

		if (f && !f->id_err) {
			pt_names_class(nm, f->class, cls, sizeof(cls));
			pt_names_id(nm, f->vendor, f->device, id, sizeof(id));
			snprintf(what, sizeof(what), "%s: %s", cls, id);
		} else {
			snprintf(what, sizeof(what), "(cannot read its identity)");
		}
		r[0] = f ? f->name : m->raw;
		r[1] = !f || f->state_err ? "?" : f->driver[0] ? f->driver : "(none)";
		r[2] = member_word(gv, m);
		r[3] = what;
		pt_table_row(t, r);
	}
}

static void print_group(const struct pt_gview *gv, const struct pt_names *nm,
			const struct pt_table *t, const size_t *width, size_t row, FILE *out)
{
	struct pt_buf b;

	pt_buf_init(&b);
	pt_buf_printf(&b, "IOMMU group %d: ", gv->group);
	pt_gview_headline(gv, &b);
	pt_text_print(out, "", pt_buf_ok(&b) ? pt_buf_str(&b) : "?");
	pt_buf_free(&b);
	pt_table_print_rows(t, out, "  ", width, row, gv->n_members);
	pt_buf_init(&b);
	notes(gv, "  ", &b);
	if (gv->assess.verdict == PT_GV_LIST || gv->assess.verdict == PT_GV_READY) {
		pt_buf_puts(&b, "  To give it to a guest, list:\n");
		pt_gview_paste(gv, "    ", &b);
	}
	advice(gv, nm, "  ", &b);
	if (b.len)
		fputs(pt_buf_ok(&b) ? pt_buf_str(&b) : "?\n", out);
	pt_buf_free(&b);
}

static void print_kernel(const struct pt_kernel *k, FILE *out)
{
	char line[300];

	pt_kernel_describe(k, line, sizeof(line));
	pt_text_print(out, "Kernel rule: ", line);
}

void pt_groups_print(const struct pt_groups *g, FILE *out)
{
	struct pt_table t = { .ncols = 4 };
	size_t width[PT_TABLE_MAX_COLS], row = 0;

	if (g->err) {
		print_no_iommu(g, out);
		return;
	}
	print_kernel(&g->kernel, out);
	/* One table for every group, so that the columns line up across
	 * groups; each group's heading goes before its rows. */
	for (size_t i = 0; i < g->n_groups; i++)
		group_rows(g->groups[i], g->names, &t);
	pt_table_widths(&t, width);
	for (size_t i = 0; i < g->n_groups; i++) {
		fputc('\n', out);
		print_group(g->groups[i], g->names, &t, width, row, out);
		row += g->groups[i]->n_members;
	}
	pt_table_free(&t);
}

/* ---- pt-status suggest -------------------------------------------------------------- */

static struct pt_gview *suggest_group(struct pt_suggest *s, int group, int *err)
{
	struct pt_groups *g = &s->g;
	struct pt_gview *gv, **v;
	size_t at;

	for (at = 0; at < g->n_groups && g->groups[at]->group < group; at++)
		;
	if (at < g->n_groups && g->groups[at]->group == group)
		return g->groups[at];
	v = realloc(g->groups, (g->n_groups + 1) * sizeof(*v));
	if (!v) {
		*err = -ENOMEM;
		return NULL;
	}
	g->groups = v;
	*err = pt_gview_load(&g->pci, g->sys, &g->kernel, group, &gv);
	if (*err < 0)
		return NULL;
	memmove(g->groups + at + 1, g->groups + at, (g->n_groups - at) * sizeof(*g->groups));
	g->groups[at] = gv;
	g->n_groups++;
	return gv;
}

int pt_suggest_collect(struct pt_suggest *s, const struct pt_sysfs *sys,
		       const struct pt_names *names, const char *query)
{
	struct pt_spec spec;
	struct pt_spec_error serr;
	const struct pt_selector *sel;
	int r;

	*s = (struct pt_suggest){ 0 };
	s->g = (struct pt_groups){ .sys = sys, .names = names };
	pt_pci_init(&s->g.pci, sys);
	pt_kernel_read(sys, &s->g.kernel);
	pt_text_safe(query, 60, s->query, sizeof(s->query));
	if (pt_spec_parse(query, &spec, &serr) < 0 || spec.n != 1 ||
	    (spec.sel[0].flags & PT_SEL_EXCLUDE)) {
		s->err = -EINVAL;
		snprintf(s->err_text, sizeof(s->err_text),
			 "'%s' is not one device: give an address (26:00.0), an id (10de:1c03) or "
			 "both (10de:1c03@26:00.0)",
			 s->query);
		return 0;
	}
	sel = &spec.sel[0];
	r = pt_pci_scan(&s->g.pci);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		s->err = r;
		snprintf(s->err_text, sizeof(s->err_text), "cannot list the PCI devices: %s",
			 strerror(-r));
		return 0;
	}
	s->found = calloc(s->g.pci.n ? s->g.pci.n : 1, sizeof(*s->found));
	if (!s->found)
		return -ENOMEM;
	for (size_t i = 0; i < s->g.pci.n; i++) {
		struct pt_pci_func *f = s->g.pci.funcs[i];
		struct pt_suggestion *sg;

		if (!pt_selector_match_addr(sel, &f->addr))
			continue;
		(void)pt_pci_load_identity(&s->g.pci, f);
		if ((sel->flags & PT_SEL_ID) &&
		    (f->id_err || !pt_selector_match_id(sel, f->vendor, f->device, f->subvendor,
							f->subdevice))) {
			if (!f->id_err && !s->near[0] && f->vendor == sel->vendor &&
			    f->device == sel->device)
				snprintf(s->near, sizeof(s->near),
					 "%s is %04x:%04x with subsystem %04x:%04x", f->name,
					 f->vendor, f->device, f->subvendor, f->subdevice);
			else if (!f->id_err && !s->near[0] && (sel->flags & PT_SEL_ADDR))
				snprintf(s->near, sizeof(s->near),
					 "%s is %04x:%04x (subsystem %04x:%04x)", f->name,
					 f->vendor, f->device, f->subvendor, f->subdevice);
			continue;
		}
		(void)pt_pci_load_state(&s->g.pci, f);
		pt_pci_load_header(&s->g.pci, f);
		sg = &s->found[s->n_found++];
		sg->fn = f;
		if (!f->state_err && f->iommu_group >= 0) {
			sg->gv = suggest_group(s, f->iommu_group, &r);
			if (!sg->gv)
				return r;
		}
	}
	return 0;
}

void pt_suggest_free(struct pt_suggest *s)
{
	free(s->found);
	pt_groups_free(&s->g);
	*s = (struct pt_suggest){ 0 };
}

static bool suggestion_ok(const struct pt_suggestion *sg)
{
	return sg->gv && !pt_pci_is_bridge(sg->fn) &&
	       (sg->gv->assess.verdict == PT_GV_LIST || sg->gv->assess.verdict == PT_GV_READY);
}

int pt_suggest_exit_code(const struct pt_suggest *s)
{
	if (s->err || s->n_found == 0)
		return PT_EXIT_PROBLEM;
	for (size_t i = 0; i < s->n_found; i++)
		if (!suggestion_ok(&s->found[i]))
			return PT_EXIT_PROBLEM;
	return PT_EXIT_OK;
}

/* Why one function cannot go, or NULL. */
static const char *suggestion_why(const struct pt_suggestion *sg, const struct pt_kernel *k,
				  char *buf, size_t size)
{
	const struct pt_pci_func *f = sg->fn;

	(void)k;
	if (f->state_err)
		snprintf(buf, size, "cannot read %s of %s: %s", f->state_err_attr, f->name,
			 strerror(-f->state_err));
	else if (f->id_err)
		snprintf(buf, size, "cannot read %s of %s: %s", f->id_err_attr, f->name,
			 strerror(-f->id_err));
	else if (pt_pci_is_bridge(f))
		snprintf(buf, size,
			 "%s is a bridge (class %06x): pt never gives a bridge to a guest", f->name,
			 f->class);
	else if (!sg->gv)
		snprintf(buf, size,
			 "%s has no IOMMU group: the IOMMU is off or does not cover it, so vfio "
			 "cannot take it",
			 f->name);
	else
		return NULL;
	return buf;
}

void pt_suggest_print(const struct pt_suggest *s, FILE *out)
{
	if (s->err) {
		pt_text_print(out, "", s->err_text);
		return;
	}
	if (s->n_found == 0) {
		char line[512];

		if (s->near[0])
			snprintf(line, sizeof(line), "No PCI function matches '%s': %s.", s->query,
				 s->near);
		else
			snprintf(line, sizeof(line),
				 "No PCI function matches '%s' (see lspci -nn, or pt-status "
				 "groups).",
				 s->query);
		pt_text_print(out, "", line);
		return;
	}
	print_kernel(&s->g.kernel, out);
	for (size_t i = 0; i < s->n_found; i++) {
		const struct pt_suggestion *sg = &s->found[i];
		struct pt_table t = { .ncols = 4 };
		size_t width[PT_TABLE_MAX_COLS];
		char cls[160], id[400], line[700], why[300];

		pt_names_class(s->g.names, sg->fn->class, cls, sizeof(cls));
		pt_names_id(s->g.names, sg->fn->vendor, sg->fn->device, id, sizeof(id));
		snprintf(line, sizeof(line), "%s  %s: %s", sg->fn->name, cls, id);
		fputc('\n', out);
		pt_text_print(out, "", line);
		if (suggestion_why(sg, &s->g.kernel, why, sizeof(why))) {
			pt_text_print(out, "  cannot go to a guest: ", why);
			continue;
		}
		group_rows(sg->gv, s->g.names, &t);
		pt_table_widths(&t, width);
		print_group(sg->gv, s->g.names, &t, width, 0, out);
		pt_table_free(&t);
	}
}
