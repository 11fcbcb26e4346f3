/* SPDX-License-Identifier: MIT */
/* groups.c — IOMMU groups read live, and the `groups` command; see groups.h. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "groups.h"
#include "status.h"
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
	snprintf(node, sizeof(node), "/dev/vfio/%d", group);
	pt_node_check(sys, node, &gv->node);
	*ret = gv;
	return 0;
}

void pt_gview_free(struct pt_gview *gv)
{
	if (!gv)
		return;
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

static void print_group_heading(const struct pt_gview *gv, FILE *out)
{
	struct pt_buf b;
	size_t nb = 0;

	if (gv->list_err) {
		fprintf(out, "IOMMU group %d: cannot list its devices: %s\n", gv->group,
			strerror(-gv->list_err));
		return;
	}
	if (gv->n_members == 0) {
		fprintf(out, "IOMMU group %d: empty\n", gv->group);
		return;
	}
	if (gv->viable) {
		fprintf(out, "IOMMU group %d: viable, can be given to a guest as it is\n",
			gv->group);
		return;
	}
	pt_buf_init(&b);
	for (size_t k = 0; k < gv->n_members; k++) {
		char m[128];

		if (!gv->members[k].blocks)
			continue;
		pt_gmember_text(&gv->members[k], m, sizeof(m));
		pt_buf_printf(&b, "%s%s", nb++ ? ", " : "", m);
	}
	pt_buf_printf(&b, " block%s it", nb > 1 ? "" : "s");
	fprintf(out, "IOMMU group %d: not viable: ", gv->group);
	pt_text_print(out, "", pt_buf_ok(&b) ? pt_buf_str(&b) : "?");
	pt_buf_free(&b);
}

void pt_groups_print(const struct pt_groups *g, FILE *out)
{
	struct pt_table t = { .ncols = 4 };
	size_t width[PT_TABLE_MAX_COLS], row = 0;

	if (g->err) {
		print_no_iommu(g, out);
		return;
	}
	/* One table for every group, so that the columns line up across
	 * groups; each group's heading goes before its rows. */
	for (size_t i = 0; i < g->n_groups; i++) {
		const struct pt_gview *gv = g->groups[i];

		for (size_t k = 0; k < gv->n_members; k++) {
			const struct pt_gmember *m = &gv->members[k];
			const struct pt_pci_func *f = m->fn;
			char cls[160], id[400], what[600];
			const char *r[4];

			if (f && !f->id_err) {
				pt_names_class(g->names, f->class, cls, sizeof(cls));
				pt_names_id(g->names, f->vendor, f->device, id, sizeof(id));
				snprintf(what, sizeof(what), "%s: %s", cls, id);
			} else {
				snprintf(what, sizeof(what), "(cannot read its identity)");
			}
			r[0] = f ? f->name : m->raw;
			r[1] = !f || f->state_err ? "?" : f->driver[0] ? f->driver : "(none)";
			r[2] = m->blocks ? "blocks" : m->bridge ? "bridge" : "ok";
			r[3] = what;
			pt_table_row(&t, r);
		}
	}
	pt_table_widths(&t, width);
	for (size_t i = 0; i < g->n_groups; i++) {
		print_group_heading(g->groups[i], out);
		pt_table_print_rows(&t, out, "  ", width, row, g->groups[i]->n_members);
		row += g->groups[i]->n_members;
	}
	pt_table_free(&t);
}
