/* SPDX-License-Identifier: MIT */
/*
 * test_plan.c — the planner, pure: functions built in memory, no sysfs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "plan.h"
#include "spec.h"

struct world {
	struct pt_pci_func f[16];
	struct pt_pci_func *all[16];
	size_t n;
	struct pt_spec spec;
	struct pt_plan plan;
};

static struct pt_pci_func *fn(struct world *w, const char *addr, uint16_t v, uint16_t d,
			      uint32_t class, int group, const char *driver)
{
	struct pt_pci_func *f = &w->f[w->n];

	memset(f, 0, sizeof(*f));
	assert_int_equal(pt_addr_parse(addr, &f->addr), 0);
	pt_addr_format(&f->addr, f->name);
	f->loaded = PT_PCI_IDENTITY | PT_PCI_STATE;
	f->vendor = v;
	f->device = d;
	f->subvendor = 0x1458;
	f->subdevice = 0x3fbb;
	f->class = class;
	f->iommu_group = group;
	f->driver = driver ? driver : "";
	f->override = "";
	w->all[w->n] = f;
	w->n++;
	return f;
}

/* The desktop of the fixture tests: GPU + audio in group 15, NIC in 16,
 * root port in 1. */
static void desktop(struct world *w)
{
	w->n = 0;
	fn(w, "0000:00:01.0", 0x8086, 0x1901, 0x060400, 1, "pcieport");
	fn(w, "0000:26:00.0", 0x10de, 0x1c03, 0x030000, 15, NULL);
	fn(w, "0000:26:00.1", 0x10de, 0x10f1, 0x040300, 15, NULL);
	fn(w, "0000:27:00.0", 0x8086, 0x10d3, 0x020000, 16, "e1000e");
}

static void plan(struct world *w, const char *list, enum pt_group_policy policy)
{
	struct pt_spec_error err;

	assert_int_equal(pt_spec_parse(list, &w->spec, &err), 0);
	pt_plan_init(&w->plan, policy);
	assert_int_equal(pt_plan_select(&w->plan, &w->spec, w->all, w->n), 0);
	/* Add every group that holds a function, as the agent does for the
	 * groups of its targets. */
	for (size_t i = 0; i < w->n; i++) {
		struct pt_pci_func *members[16];
		size_t k = 0;
		int g = w->all[i]->iommu_group;

		if (g < 0 || pt_plan_group(&w->plan, g))
			continue;
		for (size_t j = 0; j < w->n; j++)
			if (w->all[j]->iommu_group == g)
				members[k++] = w->all[j];
		assert_int_equal(pt_plan_add_group(&w->plan, g, members, k), 0);
	}
	assert_int_equal(pt_plan_resolve(&w->plan, &w->spec), 0);
}

static struct pt_target *target(struct world *w, const char *addr)
{
	for (size_t i = 0; i < w->plan.n_targets; i++)
		if (strcmp(w->plan.targets[i].fn->name, addr) == 0)
			return &w->plan.targets[i];
	return NULL;
}

static bool has_msg(const struct pt_diag *d, enum pt_severity sev, const char *needle)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->msgs[i].sev == sev && strstr(d->msgs[i].text, needle))
			return true;
	return false;
}

static void by_id_and_dedup(void **state)
{
	struct world w;

	(void)state;
	desktop(&w);
	plan(&w, "10de:1c03,26:00.0", PT_GROUP_AUTO);
	assert_non_null(target(&w, "0000:26:00.0"));
	assert_string_equal(target(&w, "0000:26:00.0")->selected_by, "10de:1c03");
	assert_true(target(&w, "0000:26:00.0")->take);
	assert_string_equal(target(&w, "0000:26:00.0")->driver, "vfio-pci");
	/* Audio follows by group; three records, sorted by address. */
	assert_int_equal(w.plan.n_targets, 2);
	/* The entry the person wrote, not an address. */
	assert_string_equal(w.plan.targets[1].selected_by, "group of 10de:1c03");
	assert_int_equal(w.plan.diag.n, 0);
	/* One copy of an entry however many targets it selects. */
	assert_ptr_equal(target(&w, "0000:26:00.0")->selected_by, pt_intern("10de:1c03"));
	pt_plan_free(&w.plan);
}

static void pinned(void **state)
{
	struct world w;
	struct pt_target *t;

	(void)state;
	desktop(&w);
	plan(&w, "10de:1c03@26:00.0", PT_GROUP_AUTO);
	assert_true(target(&w, "0000:26:00.0")->take);
	pt_plan_free(&w.plan);

	plan(&w, "10de:1c03@27:00.0", PT_GROUP_AUTO);
	t = target(&w, "0000:27:00.0");
	assert_non_null(t);
	assert_false(t->take);
	assert_int_equal(t->action, PT_ACT_SKIPPED);
	assert_non_null(strstr(t->error, "8086:10d3"));
	assert_true(has_msg(&w.plan.diag, PT_SEV_ERROR,
			    "entry '10de:1c03@27:00.0': 0000:27:00.0 is 8086:10d3"));
	assert_int_equal(pt_plan_count_taken(&w.plan), 0);
	pt_plan_free(&w.plan);

	/* Subsystem ids pin one vendor's card. */
	plan(&w, "10de:1c03:1458:3fbb,10de:10f1:1043:8888", PT_GROUP_STRICT);
	assert_true(target(&w, "0000:26:00.0") != NULL);
	assert_null(target(&w, "0000:26:00.1"));
	assert_true(has_msg(&w.plan.diag, PT_SEV_ERROR,
			    "entry '10de:10f1:1043:8888': no PCI function has this id"));
	pt_plan_free(&w.plan);
}

static void exclusions(void **state)
{
	struct world w;

	(void)state;
	desktop(&w);
	fn(&w, "0000:28:00.0", 0x8086, 0x10d3, 0x020000, 17, "e1000e");
	plan(&w, "8086:10d3,!28:00.0", PT_GROUP_AUTO);
	assert_true(target(&w, "0000:27:00.0")->take);
	assert_false(target(&w, "0000:28:00.0")->take);
	assert_string_equal(target(&w, "0000:28:00.0")->error, "excluded by '!28:00.0'");
	assert_int_equal(w.plan.diag.n_errors, 0);
	pt_plan_free(&w.plan);

	/* By id. */
	plan(&w, "27:00.0,28:00.0,!8086:10d3", PT_GROUP_AUTO);
	assert_int_equal(pt_plan_count_taken(&w.plan), 0);
	pt_plan_free(&w.plan);

	/* A pinned exclusion protects its address even when the id moved. */
	plan(&w, "8086:10d3,!10de:1c03@28:00.0", PT_GROUP_AUTO);
	assert_false(target(&w, "0000:28:00.0")->take);
	assert_true(has_msg(&w.plan.diag, PT_SEV_WARNING, "excluded all the same"));
	pt_plan_free(&w.plan);
}

static void bridges(void **state)
{
	struct world w;

	(void)state;
	desktop(&w);
	plan(&w, "00:01.0", PT_GROUP_AUTO);
	assert_false(target(&w, "0000:00:01.0")->take);
	assert_true(has_msg(&w.plan.diag, PT_SEV_ERROR, "is a PCI bridge (class 060400)"));
	pt_plan_free(&w.plan);

	plan(&w, "8086:1901", PT_GROUP_AUTO);
	assert_false(target(&w, "0000:00:01.0")->take);
	assert_int_equal(w.plan.diag.n_errors, 0);
	assert_true(has_msg(&w.plan.diag, PT_SEV_WARNING, "entry '8086:1901' skips it"));
	pt_plan_free(&w.plan);
}

static void unmatched_entries(void **state)
{
	struct world w;

	(void)state;
	desktop(&w);
	plan(&w, "30:00.0,31:00.*,1234:5678,!32:00.0", PT_GROUP_AUTO);
	assert_true(has_msg(&w.plan.diag, PT_SEV_ERROR,
			    "entry '30:00.0': no PCI function at 0000:30:00.0"));
	assert_true(has_msg(&w.plan.diag, PT_SEV_ERROR,
			    "entry '31:00.*': no PCI function in slot 0000:31:00"));
	assert_true(has_msg(&w.plan.diag, PT_SEV_ERROR,
			    "entry '1234:5678': no PCI function has this id"));
	/* An exclusion that matches nothing is not an error. */
	assert_int_equal(w.plan.diag.n_errors, 3);
	pt_plan_free(&w.plan);
}

static void unreadable_functions(void **state)
{
	struct world w;
	struct pt_pci_func *gpu;

	(void)state;
	desktop(&w);
	gpu = &w.f[1];
	gpu->id_err = -EBADMSG;
	gpu->id_err_attr = "vendor";
	plan(&w, "26:00.0", PT_GROUP_AUTO);
	assert_false(target(&w, "0000:26:00.0")->take);
	assert_true(has_msg(&w.plan.diag, PT_SEV_ERROR, "cannot read vendor of 0000:26:00.0"));
	pt_plan_free(&w.plan);

	plan(&w, "10de:1c03", PT_GROUP_AUTO);
	assert_null(target(&w, "0000:26:00.0"));
	assert_true(has_msg(&w.plan.diag, PT_SEV_WARNING, "it was not considered"));
	pt_plan_free(&w.plan);

	gpu->id_err = 0;
	gpu->state_err = -EIO;
	gpu->state_err_attr = "driver_override";
	plan(&w, "26:00.0", PT_GROUP_AUTO);
	assert_false(target(&w, "0000:26:00.0")->take);
	assert_true(
		has_msg(&w.plan.diag, PT_SEV_ERROR, "cannot read driver_override of 0000:26:00.0"));
	pt_plan_free(&w.plan);

	gpu->state_err = 0;
	gpu->iommu_group = -1;
	plan(&w, "26:00.0", PT_GROUP_AUTO);
	assert_false(target(&w, "0000:26:00.0")->take);
	assert_true(has_msg(&w.plan.diag, PT_SEV_ERROR, "has no IOMMU group"));
	pt_plan_free(&w.plan);
}

static void group_policies(void **state)
{
	struct world w;
	struct pt_group *g;

	(void)state;
	desktop(&w);
	/* A USB controller in another slot in the GPU's group. */
	fn(&w, "0000:29:00.0", 0x1912, 0x0014, 0x0c0330, 15, "xhci_hcd");

	plan(&w, "26:00.0", PT_GROUP_AUTO);
	g = pt_plan_group(&w.plan, 15);
	assert_false(g->viable);
	assert_int_equal(g->n_blockers, 1);
	assert_string_equal(g->blockers[0].fn->name, "0000:29:00.0");
	assert_string_equal(g->blockers[0].why, "host driver");
	assert_int_equal(pt_plan_count_taken(&w.plan), 0); /* the audio sibling too */
	/* Another slot's device: not "list it too", but what the group is. */
	assert_true(has_msg(&w.plan.diag, PT_SEV_ERROR,
			    "IOMMU group 15 also holds 0000:29:00.0 "
			    "(1912:0014, xhci_hcd), not part of this card: the slot sits behind a "
			    "bridge without ACS isolation"));
	assert_false(has_msg(&w.plan.diag, PT_SEV_ERROR, "too"));
	pt_plan_free(&w.plan);

	plan(&w, "26:00.0", PT_GROUP_STRICT);
	g = pt_plan_group(&w.plan, 15);
	assert_int_equal(g->n_blockers, 2); /* the audio is not added under strict */
	assert_int_equal(pt_plan_count_taken(&w.plan), 0);
	pt_plan_free(&w.plan);

	plan(&w, "26:00.0", PT_GROUP_WARN);
	assert_true(target(&w, "0000:26:00.0")->take);
	assert_null(target(&w, "0000:26:00.1"));
	assert_false(pt_plan_group(&w.plan, 15)->viable);
	assert_int_equal(w.plan.diag.n_errors, 0);
	assert_true(has_msg(&w.plan.diag, PT_SEV_WARNING, "bound anyway (pt.group=warn)"));
	pt_plan_free(&w.plan);

	/* Listing the USB controller too makes the group whole. */
	plan(&w, "26:00.0,29:00.0", PT_GROUP_AUTO);
	assert_true(pt_plan_group(&w.plan, 15)->viable);
	assert_int_equal(pt_plan_count_taken(&w.plan), 3);
	pt_plan_free(&w.plan);
}

static void harmless_group_members(void **state)
{
	struct world w;

	(void)state;
	desktop(&w);
	/* A bridge, a function on vfio-pci and one on pci-stub do not block. */
	fn(&w, "0000:25:00.0", 0x8086, 0x1905, 0x060400, 15, "pcieport");
	fn(&w, "0000:2b:00.0", 0x1b21, 0x1242, 0x0c0330, 15, "vfio-pci");
	fn(&w, "0000:2c:00.0", 0x1b21, 0x1243, 0x0c0330, 15, "pci-stub");
	plan(&w, "26:00.0", PT_GROUP_STRICT);
	/* Under strict the unlisted audio still blocks. */
	assert_int_equal(pt_plan_group(&w.plan, 15)->n_blockers, 1);
	pt_plan_free(&w.plan);
	plan(&w, "26:00.0", PT_GROUP_AUTO);
	assert_true(pt_plan_group(&w.plan, 15)->viable);
	assert_int_equal(pt_plan_count_taken(&w.plan), 2);
	pt_plan_free(&w.plan);
}

static void excluded_sibling_spoils_group(void **state)
{
	struct world w;

	(void)state;
	desktop(&w);
	plan(&w, "26:00.0,!26:00.1", PT_GROUP_AUTO);
	assert_false(pt_plan_group(&w.plan, 15)->viable);
	assert_string_equal(pt_plan_group(&w.plan, 15)->blockers[0].why, "excluded");
	assert_int_equal(pt_plan_count_taken(&w.plan), 0);
	pt_plan_free(&w.plan);
}

static void vfio_driver_names(void **state)
{
	(void)state;
	assert_true(pt_driver_is_vfio("vfio-pci"));
	assert_true(pt_driver_is_vfio("mlx5_vfio_pci"));
	assert_true(pt_driver_is_vfio("hisi_acc_vfio_pci"));
	assert_false(pt_driver_is_vfio("vfio"));
	assert_false(pt_driver_is_vfio("nvidia"));
	assert_false(pt_driver_is_vfio(""));
	assert_true(pt_driver_manages_dma("pci-stub"));
	assert_true(pt_driver_manages_dma("pcieport"));
	assert_false(pt_driver_manages_dma("snd_hda_intel"));
	assert_string_equal(pt_action_name(PT_ACT_ALREADY), "already-bound");
}

/* A target's error sentence: set, appended to, cleared, bounded; one
 * copy for every target that says the same, and the diagnostics list
 * refers to it rather than copying it. */
static void target_error_sentences(void **state)
{
	struct world w;
	struct pt_target *t;
	char long_text[PT_TARGET_ERROR_MAX + 100];

	(void)state;
	desktop(&w);
	plan(&w, "26:00.0,26:00.1", PT_GROUP_WARN);
	t = target(&w, "0000:26:00.0");
	assert_string_equal(t->error, "");

	pt_target_error(t, "vfio-pci did not take it (driver now: %s)", "none");
	assert_string_equal(t->error, "vfio-pci did not take it (driver now: none)");
	pt_target_error_append(t, "; given back to %s", "nouveau");
	assert_string_equal(t->error,
			    "vfio-pci did not take it (driver now: none); given back to nouveau");
	{
		struct pt_target *u = target(&w, "0000:26:00.1");
		struct pt_diag d;

		pt_target_error(u, "vfio-pci did not take it (driver now: %s); given back to %s",
				"none", "nouveau");
		assert_ptr_equal(u->error, t->error);
		pt_diag_init(&d);
		pt_target_report(&d, PT_SEV_ERROR, u);
		assert_int_equal(d.n, 1);
		assert_int_equal(d.n_errors, 1);
		assert_ptr_equal(d.msgs[0].text, u->error);
		assert_ptr_equal(d.msgs[0].prefix, u->fn->name);
		assert_false(d.msgs[0].owned);
		pt_diag_free(&d);
	}
	pt_target_error(t, "%s", "");
	assert_string_equal(t->error, "");
	pt_target_error_append(t, "%s", "appended to nothing");
	assert_string_equal(t->error, "appended to nothing");

	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	pt_target_error(t, "%s", long_text);
	assert_int_equal(strlen(t->error), PT_TARGET_ERROR_MAX - 1);
	pt_target_error_append(t, "%s", "; more");
	assert_int_equal(strlen(t->error), PT_TARGET_ERROR_MAX - 1);
	pt_plan_free(&w.plan);
}

/* Driver names are shared: one copy a name however many functions. */
static void interned_names(void **state)
{
	char a[] = "snd_hda_intel", b[] = "snd_hda_intel";
	const char *x = pt_intern(a), *y;

	(void)state;
	assert_non_null(x);
	assert_ptr_not_equal(x, a);
	y = pt_intern(b);
	assert_ptr_equal(x, y);
	a[0] = 'S';
	assert_string_equal(x, "snd_hda_intel");
	assert_string_equal(pt_intern(""), "");
	assert_ptr_not_equal(pt_intern("e1000e"), x);
}

/* The modalias as the kernel's pci_uevent formats it (pci: for udev and
 * modprobe, vfio_pci: for the variant drivers' aliases), and pt_hex()
 * under it. */
static void modalias_and_hex(void **state)
{
	struct world w = { 0 };
	struct pt_pci_func *f = fn(&w, "0000:26:00.0", 0x10de, 0x1c03, 0x030000, 15, NULL);
	char buf[128], small[12], hex[9];

	(void)state;
	pt_pci_modalias(f, "pci:", buf, sizeof(buf));
	assert_string_equal(buf, "pci:v000010DEd00001C03sv00001458sd00003FBBbc03sc00i00");
	f->class = 0x0c0330;
	pt_pci_modalias(f, "vfio_pci:", buf, sizeof(buf));
	assert_string_equal(buf, "vfio_pci:v000010DEd00001C03sv00001458sd00003FBBbc0Csc03i30");
	pt_pci_modalias(f, "pci:", small, sizeof(small));
	assert_string_equal(small, "pci:v000010");
	assert_ptr_equal(pt_hex(hex, 0xabcdef12u, 8, false), hex + 8);
	hex[8] = '\0';
	assert_string_equal(hex, "abcdef12");
	pt_hex(hex, 0x1fu, 3, true)[0] = '\0';
	assert_string_equal(hex, "01F");
	pt_hex(hex, 0x123456789u & 0xffffffffu, 12, false)[0] = '\0';
	assert_string_equal(hex, "23456789");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(modalias_and_hex),
		cmocka_unit_test(by_id_and_dedup),
		cmocka_unit_test(pinned),
		cmocka_unit_test(exclusions),
		cmocka_unit_test(bridges),
		cmocka_unit_test(unmatched_entries),
		cmocka_unit_test(unreadable_functions),
		cmocka_unit_test(group_policies),
		cmocka_unit_test(harmless_group_members),
		cmocka_unit_test(excluded_sibling_spoils_group),
		cmocka_unit_test(vfio_driver_names),
		cmocka_unit_test(target_error_sentences),
		cmocka_unit_test(interned_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
