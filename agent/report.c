/* SPDX-License-Identifier: MIT */
/* report.c — pt-status's report as text; see status.h. */
#include <stdlib.h>

#include "status.h"
#include "text.h"

static void print_header(const struct pt_status *s, FILE *out)
{
	const struct pt_sstate *st = &s->st;
	char line[512], a[80], b[80];

	if (s->state == PT_STATE_MISSING) {
		fprintf(out, "State file: %s: missing\n", PT_STATE_FILE);
		return;
	}
	if (s->state == PT_STATE_INVALID) {
		fprintf(out, "State file: %s: invalid\n", PT_STATE_FILE);
		return;
	}
	if (!st->boot_id)
		snprintf(a, sizeof(a), "(no boot id recorded)");
	else if (!s->boot_id[0])
		snprintf(a, sizeof(a), "(this boot's id is unreadable)");
	else if (s->stale)
		snprintf(a, sizeof(a), "in an earlier boot");
	else
		snprintf(a, sizeof(a), "in this boot");
	snprintf(line, sizeof(line), "State file: %s, written by pt-agent %s %s", PT_STATE_FILE,
		 st->agent, a);
	pt_text_print(out, "", line);
	if (!st->spec)
		snprintf(b, sizeof(b), "no device list");
	else
		snprintf(b, sizeof(b), "devices from %s",
			 streq(st->source, "config") ? "/etc/pt.conf" : "the kernel command line");
	snprintf(line, sizeof(line), "Agent result: %s%s; %s%s%s%s; pt.group=%s", st->result,
		 st->dryrun ? " (dry run)" : "", b, st->spec ? ": \"" : "",
		 st->spec ? pt_text_safe(st->spec, 120, a, sizeof(a)) : "", st->spec ? "\"" : "",
		 st->group_policy);
	pt_text_print(out, "", line);
	if (st->n_errors || st->n_warnings) {
		fprintf(out, "pt-agent reported at boot:\n");
		for (size_t i = 0; i < st->n_errors; i++)
			pt_text_print(out, "  error: ", st->errors[i]);
		for (size_t i = 0; i < st->n_warnings; i++)
			pt_text_print(out, "  warning: ", st->warnings[i]);
	}
}

void pt_status_print(const struct pt_status *s, FILE *out)
{
	static const char *const head[] = { "ADDRESS", "GROUP", "DRIVER", "EXPECTED", "NODE",
					    "MODE",    "OPEN",	"VIABLE", "DEVICE" };
	struct pt_table t = { .ncols = ELEMENTSOF(head) };
	size_t n_bound = 0;

	print_header(s, out);
	if (s->state == PT_STATE_OK) {
		fputc('\n', out);
		if (s->n_views == 0)
			fprintf(out, "The state file lists no devices.\n");
		else
			pt_table_row(&t, head);
	}
	for (size_t i = 0; i < s->n_views; i++) {
		const struct pt_sview *v = &s->views[i];
		char group[16], driver[PT_DRIVER_MAX + 8], mode[128], dev[400];
		const char *row[ELEMENTSOF(head)];
		uint16_t vendor, device;
		uint32_t class;
		bool has_class;

		n_bound += v->wanted && v->bound;
		if (v->fn && v->fn->iommu_group >= 0)
			snprintf(group, sizeof(group), "%d", v->fn->iommu_group);
		else
			snprintf(group, sizeof(group), "-");
		if (!v->fn)
			snprintf(driver, sizeof(driver), "(gone)");
		else if (v->fn->state_err)
			snprintf(driver, sizeof(driver), "?");
		else
			snprintf(driver, sizeof(driver), "%s",
				 v->fn->driver[0] ? v->fn->driver : "(none)");
		if (pt_sview_shows_node(v))
			pt_node_describe(&v->gv->node, mode, sizeof(mode));
		else
			snprintf(mode, sizeof(mode), "-");
		if (pt_sview_id(v, &vendor, &device, &class, &has_class))
			pt_names_id(s->names, vendor, device, dev, sizeof(dev));
		else
			snprintf(dev, sizeof(dev), "?");
		row[0] = v->sd->name;
		row[1] = group;
		row[2] = driver;
		row[3] = v->expected;
		row[4] = pt_sview_shows_node(v) ? v->gv->node.path : "-";
		row[5] = mode;
		row[6] = !pt_sview_shows_node(v) || !v->gv->node.present ? "-"
			 : v->gv->node.accessible			 ? "yes"
									 : "no";
		row[7] = !v->gv ? "-" : v->gv->viable ? "yes" : "no";
		row[8] = dev;
		pt_table_row(&t, row);
	}
	pt_table_print(&t, out, "");
	pt_table_free(&t);

	if (s->n_problems) {
		fprintf(out, "\nProblems:\n");
		for (size_t i = 0; i < s->n_problems; i++)
			pt_text_print(out, "  - ", s->problems[i].text);
		fprintf(out, "\n%zu problem%s.\n", s->n_problems, s->n_problems == 1 ? "" : "s");
	} else {
		fprintf(out, "\nAll well: %zu device%s on vfio, ready for a guest.\n", n_bound,
			n_bound == 1 ? "" : "s");
	}
}
