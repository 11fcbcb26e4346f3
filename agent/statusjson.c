/* SPDX-License-Identifier: MIT */
/* statusjson.c — pt-status --json: the report and the groups; see status.h, groups.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "status.h"

static void json_hex(struct pt_json *j, const char *key, bool has, unsigned digits, uint32_t v)
{
	char buf[16];

	pt_json_key(j, key);
	if (!has) {
		pt_json_null(j);
		return;
	}
	snprintf(buf, sizeof(buf), "%0*x", (int)digits, v);
	pt_json_string(j, buf);
}

static void json_node(struct pt_json *j, const struct pt_node *n)
{
	char mode[11], octal[8];

	if (!n->checked) {
		pt_json_null(j);
		return;
	}
	pt_json_begin_object(j);
	pt_json_key(j, "path");
	pt_json_string(j, n->path);
	pt_json_key(j, "present");
	pt_json_bool(j, n->present);
	pt_node_mode_string(n->mode, mode);
	snprintf(octal, sizeof(octal), "%04o", (unsigned)(n->mode & 07777));
	pt_json_key(j, "mode");
	pt_json_string(j, n->present ? mode : NULL);
	pt_json_key(j, "mode_octal");
	pt_json_string(j, n->present ? octal : NULL);
	pt_json_key(j, "owner");
	pt_json_string(j, n->present ? n->owner : NULL);
	pt_json_key(j, "owner_group");
	pt_json_string(j, n->present ? n->group : NULL);
	pt_json_key(j, "accessible");
	pt_json_bool(j, n->present && n->accessible);
	pt_json_end_object(j);
}

static void json_names(struct pt_json *j, const struct pt_names *nm, bool has_id, uint16_t vendor,
		       uint16_t device)
{
	char vb[128], db[256];
	const char *v =
		has_id ? pt_names_lookup(nm, PT_NAME_VENDOR, vendor, 0, vb, sizeof(vb)) : NULL;
	const char *d =
		v ? pt_names_lookup(nm, PT_NAME_DEVICE, vendor, device, db, sizeof(db)) : NULL;

	pt_json_key(j, "vendor_name");
	pt_json_string(j, v);
	pt_json_key(j, "device_name");
	pt_json_string(j, d);
}

static void json_kernel(struct pt_json *j, const struct pt_kernel *k)
{
	char text[300];

	pt_json_key(j, "kernel");
	pt_json_begin_object(j);
	pt_json_key(j, "release");
	pt_json_string(j, k->release[0] ? k->release : NULL);
	pt_json_key(j, "known");
	pt_json_bool(j, k->known);
	pt_json_key(j, "rule");
	pt_json_string(j, pt_dma_rule_name(k->rule));
	pt_kernel_describe(k, text, sizeof(text));
	pt_json_key(j, "rule_text");
	pt_json_string(j, text);
	pt_json_end_object(j);
}

/* The opening every pt-status --json document shares: the format, the
 * command and the kernel rule it applied. */
static void json_head(struct pt_json *j, struct pt_buf *out, const char *command,
		      const struct pt_kernel *k)
{
	pt_json_init(j, out);
	pt_json_begin_object(j);
	pt_json_key(j, "format");
	pt_json_int(j, PT_STATUS_FORMAT);
	pt_json_key(j, "command");
	pt_json_string(j, command);
	json_kernel(j, k);
}

/* A text from a pt_buf filler, as a JSON string (null when empty). */
static void json_text(struct pt_json *j, const char *key, const struct pt_gview *gv,
		      void (*fill)(const struct pt_gview *, const char *, struct pt_buf *))
{
	struct pt_buf b;

	pt_buf_init(&b);
	fill(gv, "", &b);
	while (b.len && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	pt_json_key(j, key);
	pt_json_string(j, b.len && pt_buf_ok(&b) ? pt_buf_str(&b) : NULL);
	pt_buf_free(&b);
}

static void json_assess(struct pt_json *j, const struct pt_gview *gv)
{
	const struct pt_gassess *a = &gv->assess;
	bool can = a->verdict == PT_GV_LIST || a->verdict == PT_GV_READY;
	struct pt_buf b;

	pt_json_key(j, "verdict");
	pt_json_string(j, pt_gverdict_name(a->verdict));
	pt_buf_init(&b);
	pt_gview_headline(gv, &b);
	pt_json_key(j, "verdict_text");
	pt_json_string(j, pt_buf_ok(&b) ? pt_buf_str(&b) : NULL);
	pt_buf_free(&b);
	pt_json_key(j, "can_go_to_guest");
	pt_json_bool(j, can);
	pt_json_key(j, "take");
	pt_json_begin_array(j);
	for (size_t i = 0; can && i < a->n_take; i++)
		pt_json_string(j, a->take[i]->name);
	pt_json_end_array(j);
	pt_buf_init(&b);
	if (can)
		pt_gassess_entries(a, &b);
	pt_json_key(j, "entries");
	pt_json_string(j, can && pt_buf_ok(&b) ? pt_buf_str(&b) : NULL);
	pt_buf_free(&b);
	json_text(j, "paste", gv, pt_gview_paste);
	pt_json_key(j, "slots");
	pt_json_begin_array(j);
	for (size_t i = 0; i < a->n_slots; i++) {
		char addr[PT_ADDR_STRLEN];

		pt_addr_format(&a->slots[i], addr);
		addr[10] = '\0';
		pt_json_string(j, addr);
	}
	pt_json_end_array(j);
	pt_json_key(j, "chipset_blockers");
	pt_json_begin_array(j);
	for (size_t i = 0; i < a->n_fixed_blockers; i++)
		pt_json_string(j, a->fixed_blockers[i]->name);
	pt_json_end_array(j);
	pt_json_key(j, "takes_boot_gpu");
	pt_json_bool(j, a->boot_vga);
	json_text(j, "advice", gv, pt_gview_advice);
}

static void json_gview(struct pt_json *j, const struct pt_gview *gv, const struct pt_names *nm)
{
	pt_json_begin_object(j);
	pt_json_key(j, "group");
	pt_json_int(j, gv->group);
	pt_json_key(j, "viable");
	pt_json_bool(j, gv->viable);
	json_assess(j, gv);
	pt_json_key(j, "blockers");
	pt_json_begin_array(j);
	for (size_t i = 0; i < gv->n_members; i++)
		if (gv->members[i].blocks)
			pt_json_string(j, gv->members[i].fn ? gv->members[i].fn->name
							    : gv->members[i].raw);
	pt_json_end_array(j);
	pt_json_key(j, "functions");
	pt_json_begin_array(j);
	for (size_t i = 0; i < gv->n_members; i++) {
		const struct pt_gmember *m = &gv->members[i];
		const struct pt_pci_func *f = m->fn;
		bool id = f && !f->id_err;
		char cb[128];

		pt_json_begin_object(j);
		pt_json_key(j, "addr");
		pt_json_string(j, f ? f->name : m->raw);
		json_hex(j, "vendor", id, 4, id ? f->vendor : 0);
		json_hex(j, "device", id, 4, id ? f->device : 0);
		json_hex(j, "class", id, 6, id ? f->class : 0);
		json_names(j, nm, id, id ? f->vendor : 0, id ? f->device : 0);
		pt_json_key(j, "class_name");
		pt_json_string(j, id ? pt_names_lookup(nm, PT_NAME_CLASS, (f->class >> 8) & 0xffffu,
						       0, cb, sizeof(cb))
				     : NULL);
		pt_json_key(j, "driver");
		pt_json_string_or_null(j, f && !f->state_err ? f->driver : NULL);
		pt_json_key(j, "bridge");
		pt_json_bool(j, m->bridge);
		pt_json_key(j, "blocks");
		pt_json_bool(j, m->blocks);
		pt_json_key(j, "now");
		pt_json_string(j, pt_gm_name(m->now));
		pt_json_key(j, "at_boot");
		pt_json_string(j, pt_gm_name(m->boot));
		pt_json_key(j, "header_type");
		if (f && !f->id_err)
			pt_json_int(j, f->hdr_type);
		else
			pt_json_null(j);
		pt_json_key(j, "header_from");
		pt_json_string(j, f && !f->id_err ? (f->hdr_guessed ? "class" : "config") : NULL);
		pt_json_end_object(j);
	}
	pt_json_end_array(j);
	pt_json_key(j, "vfio_node");
	json_node(j, &gv->node);
	pt_json_end_object(j);
}

static void json_strings(struct pt_json *j, const char *key, const char *const *v, size_t n)
{
	pt_json_key(j, key);
	pt_json_begin_array(j);
	for (size_t i = 0; i < n; i++)
		pt_json_string(j, v[i]);
	pt_json_end_array(j);
}

static void json_view(struct pt_json *j, const struct pt_status *s, const struct pt_sview *v)
{
	const struct pt_sdev *d = v->sd;
	const struct pt_pci_func *f = v->fn;
	bool live = f && !f->id_err, has_class;
	uint16_t vendor, device;
	uint32_t class;
	bool has_id = pt_sview_id(v, &vendor, &device, &class, &has_class);

	pt_json_begin_object(j);
	pt_json_key(j, "addr");
	pt_json_string(j, d->name);
	json_hex(j, "vendor", has_id, 4, vendor);
	json_hex(j, "device", has_id, 4, device);
	json_hex(j, "subvendor", live || d->has_subsys, 4, live ? f->subvendor : d->subvendor);
	json_hex(j, "subdevice", live || d->has_subsys, 4, live ? f->subdevice : d->subdevice);
	json_hex(j, "class", has_class, 6, class);
	json_names(j, s->names, has_id, vendor, device);
	pt_json_key(j, "present");
	pt_json_bool(j, f != NULL);
	pt_json_key(j, "action");
	pt_json_string(j, pt_action_name(d->action));
	pt_json_key(j, "selected_by");
	pt_json_string(j, d->selected_by);
	pt_json_key(j, "agent_error");
	pt_json_string(j, d->error);
	pt_json_key(j, "wanted");
	pt_json_bool(j, v->wanted);
	pt_json_key(j, "expected_driver");
	pt_json_string(j, v->wanted ? v->expected : NULL);
	pt_json_key(j, "driver");
	pt_json_string_or_null(j, f && !f->state_err ? f->driver : NULL);
	pt_json_key(j, "bound");
	pt_json_bool(j, v->bound);
	pt_json_key(j, "iommu_group");
	if (f && !f->state_err && f->iommu_group >= 0)
		pt_json_int(j, f->iommu_group);
	else
		pt_json_null(j);
	pt_json_key(j, "recorded_iommu_group");
	if (d->iommu_group >= 0)
		pt_json_int(j, d->iommu_group);
	else
		pt_json_null(j);
	pt_json_key(j, "vfio_node");
	if (pt_sview_shows_node(v))
		json_node(j, &v->gv->node);
	else
		pt_json_null(j);
	pt_json_key(j, "group_viable");
	if (v->gv)
		pt_json_bool(j, v->gv->viable);
	else
		pt_json_null(j);
	pt_json_end_object(j);
}

void pt_status_json(const struct pt_status *s, struct pt_buf *out)
{
	static const char *const states[] = { "ok", "missing", "invalid" };
	const struct pt_sstate *st = &s->st;
	bool ok = s->state == PT_STATE_OK;
	struct pt_json j;

	json_head(&j, out, "status", &s->kernel);
	pt_json_key(&j, "state_file");
	pt_json_string(&j, PT_STATE_FILE);
	pt_json_key(&j, "state");
	pt_json_string(&j, states[s->state]);
	pt_json_key(&j, "state_error");
	pt_json_string(&j, s->state == PT_STATE_INVALID ? s->state_err : NULL);
	pt_json_key(&j, "this_boot");
	if (ok && st->boot_id && s->boot_id[0])
		pt_json_bool(&j, !s->stale);
	else
		pt_json_null(&j);
	pt_json_key(&j, "boot_id");
	pt_json_string(&j, ok ? st->boot_id : NULL);
	pt_json_key(&j, "current_boot_id");
	pt_json_string_or_null(&j, s->boot_id);
	pt_json_key(&j, "agent");
	pt_json_string(&j, ok ? st->agent : NULL);
	pt_json_key(&j, "result");
	pt_json_string(&j, ok ? st->result : NULL);
	pt_json_key(&j, "source");
	pt_json_string(&j, ok ? st->source : NULL);
	pt_json_key(&j, "spec");
	pt_json_string(&j, ok ? st->spec : NULL);
	pt_json_key(&j, "group_policy");
	pt_json_string(&j, ok ? st->group_policy : NULL);
	pt_json_key(&j, "dryrun");
	if (ok)
		pt_json_bool(&j, st->dryrun);
	else
		pt_json_null(&j);
	json_strings(&j, "agent_errors", st->errors, st->n_errors);
	json_strings(&j, "agent_warnings", st->warnings, st->n_warnings);
	pt_json_key(&j, "iommu_groups");
	if (s->iommu_groups >= 0)
		pt_json_int(&j, s->iommu_groups);
	else
		pt_json_null(&j);

	pt_json_key(&j, "devices");
	pt_json_begin_array(&j);
	for (size_t i = 0; i < s->n_views; i++)
		json_view(&j, s, &s->views[i]);
	pt_json_end_array(&j);
	pt_json_key(&j, "groups");
	pt_json_begin_array(&j);
	for (size_t i = 0; i < s->n_groups; i++)
		json_gview(&j, s->groups[i], s->names);
	pt_json_end_array(&j);
	pt_json_key(&j, "vfio_container");
	json_node(&j, &s->container);

	pt_json_key(&j, "problems");
	pt_json_begin_array(&j);
	for (size_t i = 0; i < s->n_problems; i++) {
		const struct pt_problem *p = &s->problems[i];

		pt_json_begin_object(&j);
		pt_json_key(&j, "kind");
		pt_json_string(&j, pt_problem_kind_name(p->kind));
		pt_json_key(&j, "addr");
		pt_json_string_or_null(&j, p->addr);
		pt_json_key(&j, "group");
		if (p->group >= 0)
			pt_json_int(&j, p->group);
		else
			pt_json_null(&j);
		pt_json_key(&j, "message");
		pt_json_string(&j, p->text);
		pt_json_end_object(&j);
	}
	pt_json_end_array(&j);
	pt_json_key(&j, "all_bound");
	pt_json_bool(&j, pt_status_all_bound(s));
	pt_json_key(&j, "exit_status");
	pt_json_int(&j, pt_status_exit_code(s));
	pt_json_end_object(&j);
	pt_buf_putc(out, '\n');
}

void pt_groups_json(const struct pt_groups *g, struct pt_buf *out)
{
	struct pt_json j;

	json_head(&j, out, "groups", &g->kernel);
	pt_json_key(&j, "iommu");
	pt_json_bool(&j, g->err == 0);
	pt_json_key(&j, "error");
	pt_json_string(&j, g->err == 0	       ? NULL
			   : g->err == -ENOENT ? "no IOMMU groups: the IOMMU is off"
					       : strerror(-g->err));
	pt_json_key(&j, "groups");
	pt_json_begin_array(&j);
	for (size_t i = 0; i < g->n_groups; i++)
		json_gview(&j, g->groups[i], g->names);
	pt_json_end_array(&j);
	pt_json_key(&j, "exit_status");
	pt_json_int(&j, pt_groups_exit_code(g));
	pt_json_end_object(&j);
	pt_buf_putc(out, '\n');
}

void pt_suggest_json(const struct pt_suggest *s, struct pt_buf *out)
{
	struct pt_json j;

	json_head(&j, out, "suggest", &s->g.kernel);
	pt_json_key(&j, "query");
	pt_json_string(&j, s->query);
	pt_json_key(&j, "error");
	pt_json_string(&j, s->err ? s->err_text : NULL);
	pt_json_key(&j, "near_match");
	pt_json_string(&j, s->near[0] ? s->near : NULL);
	pt_json_key(&j, "devices");
	pt_json_begin_array(&j);
	for (size_t i = 0; i < s->n_found; i++) {
		const struct pt_suggestion *sg = &s->found[i];

		pt_json_begin_object(&j);
		pt_json_key(&j, "addr");
		pt_json_string(&j, sg->fn->name);
		pt_json_key(&j, "iommu_group");
		if (sg->gv)
			pt_json_int(&j, sg->gv->group);
		else
			pt_json_null(&j);
		pt_json_key(&j, "bridge");
		pt_json_bool(&j, !sg->fn->id_err && pt_pci_is_bridge(sg->fn));
		pt_json_key(&j, "group_detail");
		if (sg->gv)
			json_gview(&j, sg->gv, s->g.names);
		else
			pt_json_null(&j);
		pt_json_end_object(&j);
	}
	pt_json_end_array(&j);
	pt_json_key(&j, "exit_status");
	pt_json_int(&j, pt_suggest_exit_code(s));
	pt_json_end_object(&j);
	pt_buf_putc(out, '\n');
}
