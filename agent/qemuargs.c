/* SPDX-License-Identifier: MIT */
/* qemuargs.c — pt-status qemu-args: -device arguments for the bound devices; see qemuargs.h. */
#include <stdlib.h>

#include "json.h"
#include "qemuargs.h"

bool pt_qemu_bus_valid(const char *bus)
{
	size_t n = strlen(bus);

	if (n == 0 || n >= PT_QEMU_BUS_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = bus[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int view_addr_cmp(const void *x, const void *y)
{
	const struct pt_sview *a = *(const struct pt_sview *const *)x;
	const struct pt_sview *b = *(const struct pt_sview *const *)y;

	return pt_addr_cmp(&a->sd->addr, &b->sd->addr);
}

static void qemu_render(const struct pt_qemu_opts *o, char **args, size_t n_args,
			const struct pt_diag *notes, int code, struct pt_buf *out)
{
	struct pt_json j;

	if (!o->json) {
		for (size_t i = 0; i < n_args; i++)
			pt_buf_printf(out, "-device %s%c", args[i],
				      o->one_line && i + 1 < n_args ? ' ' : '\n');
		return;
	}
	pt_json_init(&j, out);
	pt_json_begin_object(&j);
	pt_json_key(&j, "format");
	pt_json_int(&j, PT_STATUS_FORMAT);
	pt_json_key(&j, "command");
	pt_json_string(&j, "qemu-args");
	pt_json_key(&j, "args");
	pt_json_begin_array(&j);
	for (size_t i = 0; i < n_args; i++) {
		pt_json_string(&j, "-device");
		pt_json_string(&j, args[i]);
	}
	pt_json_end_array(&j);
	pt_json_key(&j, "notes");
	pt_json_begin_array(&j);
	for (size_t i = 0; i < notes->n; i++)
		pt_json_string(&j, notes->msgs[i].text);
	pt_json_end_array(&j);
	pt_json_key(&j, "exit_status");
	pt_json_int(&j, code);
	pt_json_end_object(&j);
	pt_buf_putc(out, '\n');
}

int pt_qemu_args(const struct pt_status *s, const struct pt_qemu_opts *o, struct pt_buf *out,
		 struct pt_diag *notes)
{
	const struct pt_sview **bound = NULL;
	char **args = NULL;
	size_t n_bound = 0, n_args = 0, slots = 0;
	bool any_vga = false;
	int code;

	for (size_t i = 0; i < s->n_problems; i++)
		pt_diag_error(notes, "%s", s->problems[i].text);
	code = pt_status_exit_code(s);
	if (s->state != PT_STATE_OK)
		goto render;

	bound = calloc(s->n_views ? s->n_views : 1, sizeof(*bound));
	args = calloc(s->n_views ? s->n_views : 1, sizeof(*args));
	if (!bound || !args) {
		notes->oom = true;
		code = PT_EXIT_PROBLEM;
		goto render;
	}
	for (size_t i = 0; i < s->n_views; i++)
		if (s->views[i].wanted && s->views[i].bound)
			bound[n_bound++] = &s->views[i];
	qsort(bound, n_bound, sizeof(*bound), view_addr_cmp);

	/* One guest slot per host slot; check the slots first. */
	for (size_t i = 0; i < n_bound; i++) {
		const struct pt_addr *a = &bound[i]->sd->addr;
		bool new_slot = i == 0 || !pt_addr_same_slot(&bound[i - 1]->sd->addr, a);

		if (!new_slot)
			continue;
		slots++;
		if (a->func != 0) {
			pt_diag_error(notes,
				      "%.10s has no function 0 on vfio: a guest does not look for "
				      "the other functions of a slot without function 0; pass "
				      "%.10s.0 too",
				      bound[i]->sd->name, bound[i]->sd->name);
			code = PT_EXIT_PROBLEM;
		}
	}
	if (slots && o->first_slot + slots - 1 > 0x1f) {
		pt_diag_error(notes,
			      "%zu host slots do not fit in guest slots 0x%x to 0x1f: use a lower "
			      "--first-slot",
			      slots, o->first_slot);
		code = PT_EXIT_PROBLEM;
		goto render;
	}

	slots = 0;
	for (size_t i = 0; i < n_bound; i++) {
		const struct pt_sview *v = bound[i];
		const struct pt_addr *a = &v->sd->addr;
		bool multi = false, vga;
		struct pt_buf b;

		if (i > 0 && !pt_addr_same_slot(&bound[i - 1]->sd->addr, a))
			slots++;
		for (size_t k = 0; k < n_bound; k++)
			if (k != i && pt_addr_same_slot(&bound[k]->sd->addr, a))
				multi = true;
		vga = o->x_vga && (v->sd->boot_vga || (v->fn && v->fn->boot_vga));
		any_vga |= vga;
		pt_buf_init(&b);
		pt_buf_printf(&b, "vfio-pci,host=%s,bus=%s,addr=0x%x.0x%x%s%s", v->sd->name, o->bus,
			      o->first_slot + (unsigned)slots, a->func,
			      multi && a->func == 0 ? ",multifunction=on" : "",
			      vga ? ",x-vga=on" : "");
		if (!pt_buf_ok(&b)) {
			pt_buf_free(&b);
			notes->oom = true;
			code = PT_EXIT_PROBLEM;
			goto render;
		}
		args[n_args++] = b.data;
	}
	if (o->x_vga && !any_vga)
		pt_diag_warn(notes, "--x-vga: no bound device is the boot GPU (boot_vga); nothing "
				    "got x-vga=on");
	if (n_bound == 0 && code == PT_EXIT_OK) {
		pt_diag_error(notes, "no listed device is on a vfio driver");
		code = PT_EXIT_PROBLEM;
	}
render:
	qemu_render(o, args, n_args, notes, code, out);
	for (size_t i = 0; i < n_args; i++)
		free(args[i]);
	free(args);
	free(bound);
	return code;
}
