/* SPDX-License-Identifier: MIT */
/*
 * test_group.c — the kernel's viability rule (group.h), pure: functions
 * built in memory; the header type read from a config file in a temporary
 * tree; the same rule seen through pt-agent's plan.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "group.h"
#include "plan.h"
#include "spec.h"

static struct pt_kernel k61, k515, kunknown;

static struct pt_pci_func mk(const char *addr, uint16_t v, uint16_t d, uint32_t class, uint8_t hdr,
			     const char *driver)
{
	struct pt_pci_func f;
	char full[32];

	memset(&f, 0, sizeof(f));
	snprintf(full, sizeof(full), "0000:%s", addr);
	assert_int_equal(pt_addr_parse(full, &f.addr), 0);
	pt_addr_format(&f.addr, f.name);
	f.loaded = PT_PCI_IDENTITY | PT_PCI_STATE | PT_PCI_HEADER;
	f.vendor = v;
	f.device = d;
	f.subvendor = v;
	f.subdevice = d;
	f.class = class;
	f.hdr_type = hdr;
	f.iommu_group = 2;
	f.driver = driver;
	f.override = "";
	return f;
}

static int setup(void **state)
{
	(void)state;
	pt_kernel_parse("6.1.0-13-amd64", &k61);
	pt_kernel_parse("5.15.0-91-generic", &k515);
	pt_kernel_parse(NULL, &kunknown);
	return 0;
}

static void kernel_versions(void **state)
{
	struct pt_kernel k;

	(void)state;
	assert_true(k61.known);
	assert_int_equal(k61.major, 6);
	assert_int_equal(k61.minor, 1);
	assert_int_equal(k61.rule, PT_RULE_DMA_OWNER);
	assert_int_equal(k515.rule, PT_RULE_VFIO_VIABLE);
	pt_kernel_parse("5.19.0", &k);
	assert_int_equal(k.rule, PT_RULE_DMA_OWNER);
	pt_kernel_parse("5.18.19-arch1-1", &k);
	assert_int_equal(k.rule, PT_RULE_VFIO_VIABLE);
	pt_kernel_parse("4.19.0-26-amd64", &k);
	assert_int_equal(k.rule, PT_RULE_VFIO_VIABLE);
	pt_kernel_parse("10.0", &k);
	assert_int_equal(k.rule, PT_RULE_DMA_OWNER);
	/* Unknown: the 5.19 rule, which is the stricter for bridges. */
	assert_false(kunknown.known);
	assert_int_equal(kunknown.rule, PT_RULE_DMA_OWNER);
	pt_kernel_parse("linux", &k);
	assert_false(k.known);
	assert_int_equal(k.rule, PT_RULE_DMA_OWNER);
	pt_kernel_parse("6", &k);
	assert_false(k.known);
	assert_string_equal(pt_dma_rule_name(PT_RULE_DMA_OWNER), "dma-owner");
	assert_string_equal(pt_dma_rule_name(PT_RULE_VFIO_VIABLE), "vfio-viable");
}

static void check(const struct pt_kernel *k, const struct pt_pci_func *f, enum pt_when when,
		  enum pt_gm want)
{
	enum pt_gm got = pt_group_member(k, f, when, false);

	if (got != want)
		fail_msg("%s (class %06x, header %u, driver '%s') on %s %s: %s, expected %s",
			 f->name, f->class, f->hdr_type, f->driver, k->release,
			 when == PT_NOW ? "now" : "at boot", pt_gm_name(got), pt_gm_name(want));
}

/* A type-0 host bridge with a driver blocks, on either rule: class 06 is
 * no exception in the kernel. */
static void host_bridge_with_driver_blocks(void **state)
{
	struct pt_pci_func f = mk("00:00.0", 0x8086, 0x191f, 0x060000, 0, "skl_uncore");

	(void)state;
	check(&k61, &f, PT_NOW, PT_GM_HOST_DRIVER);
	check(&k515, &f, PT_NOW, PT_GM_HOST_DRIVER);
	check(&k61, &f, PT_AT_BOOT, PT_GM_HOST_DRIVER);
}

static void lpc_bridge_on_lpc_ich_blocks(void **state)
{
	struct pt_pci_func f = mk("00:1f.0", 0x8086, 0x2918, 0x060100, 0, "lpc_ich");
	struct pt_pci_func smbus = mk("00:1f.3", 0x8086, 0x2930, 0x0c0500, 0, "i801_smbus");

	(void)state;
	check(&k61, &f, PT_NOW, PT_GM_HOST_DRIVER);
	check(&k515, &f, PT_NOW, PT_GM_HOST_DRIVER);
	check(&k61, &smbus, PT_NOW, PT_GM_HOST_DRIVER);
	check(&k515, &smbus, PT_NOW, PT_GM_HOST_DRIVER);
	/* Without its driver it does not block now; at boot lpc_ich will come. */
	f.driver = "";
	check(&k61, &f, PT_NOW, PT_GM_UNBOUND);
	check(&k61, &f, PT_AT_BOOT, PT_GM_DRIVER_EXPECTED);
}

static void pci_bridge_on_pcieport(void **state)
{
	struct pt_pci_func f = mk("00:01.0", 0x1022, 0x1453, 0x060400, 1, "pcieport");

	(void)state;
	/* 5.19+: pcieport sets driver_managed_dma. Before: any driver on a
	 * type-1 header. */
	check(&k61, &f, PT_NOW, PT_GM_OWN_DMA);
	check(&k515, &f, PT_NOW, PT_GM_BRIDGE_HEADER);
	check(&k61, &f, PT_AT_BOOT, PT_GM_OWN_DMA);
}

static void pci_bridge_on_shpchp(void **state)
{
	struct pt_pci_func f = mk("00:1e.0", 0x8086, 0x244e, 0x060401, 1, "shpchp");

	(void)state;
	/* shpchp does not manage its own DMA: since 5.19 it blocks. */
	check(&k61, &f, PT_NOW, PT_GM_HOST_DRIVER);
	check(&kunknown, &f, PT_NOW, PT_GM_HOST_DRIVER);
	check(&k515, &f, PT_NOW, PT_GM_BRIDGE_HEADER);
	/* The header decides before 5.19, not the class. */
	f.hdr_type = 0;
	check(&k515, &f, PT_NOW, PT_GM_HOST_DRIVER);
	f.hdr_type = 2; /* CardBus */
	check(&k515, &f, PT_NOW, PT_GM_BRIDGE_HEADER);
}

static void pci_bridge_without_driver(void **state)
{
	struct pt_pci_func f = mk("04:00.0", 0x1b21, 0x1080, 0x060401, 1, "");

	(void)state;
	check(&k61, &f, PT_NOW, PT_GM_UNBOUND);
	check(&k515, &f, PT_NOW, PT_GM_UNBOUND);
	check(&k61, &f, PT_AT_BOOT, PT_GM_IDLE_BRIDGE);
}

static void idle_host_bridge_at_boot(void **state)
{
	/* AMD's dummy host bridge shares the GPU's group with no driver. */
	struct pt_pci_func f = mk("00:03.0", 0x1022, 0x1452, 0x060000, 0, "");

	(void)state;
	check(&k61, &f, PT_AT_BOOT, PT_GM_IDLE_BRIDGE);
	check(&k61, &f, PT_NOW, PT_GM_UNBOUND);
}

static void pci_stub_and_vfio(void **state)
{
	struct pt_pci_func stub = mk("05:00.0", 0x8086, 0x1533, 0x020000, 0, "pci-stub");
	struct pt_pci_func variant = mk("06:00.0", 0x15b3, 0x101e, 0x020000, 0, "mlx5_vfio_pci");
	struct pt_pci_func vfio = mk("07:00.0", 0x10de, 0x1c03, 0x030000, 0, "vfio-pci");
	struct pt_pci_func nic = mk("08:00.0", 0x8086, 0x1533, 0x020000, 0, "igb");
	struct pt_pci_func audio = mk("07:00.1", 0x10de, 0x10f1, 0x040300, 0, "");

	(void)state;
	check(&k61, &stub, PT_NOW, PT_GM_OWN_DMA);
	check(&k515, &stub, PT_NOW, PT_GM_OWN_DMA);
	check(&k61, &variant, PT_NOW, PT_GM_VFIO);
	check(&k515, &variant, PT_NOW, PT_GM_VFIO);
	check(&k61, &vfio, PT_NOW, PT_GM_VFIO);
	check(&k61, &nic, PT_NOW, PT_GM_HOST_DRIVER);
	check(&k515, &nic, PT_NOW, PT_GM_HOST_DRIVER);
	/* An endpoint without a driver: fine now, not at boot, unless pt
	 * takes it. */
	check(&k61, &audio, PT_NOW, PT_GM_UNBOUND);
	check(&k515, &audio, PT_NOW, PT_GM_UNBOUND);
	check(&k61, &audio, PT_AT_BOOT, PT_GM_DRIVER_EXPECTED);
	assert_int_equal(pt_group_member(&k61, &audio, PT_AT_BOOT, true), PT_GM_TAKEN);
	assert_int_equal(pt_group_member(&k61, &nic, PT_AT_BOOT, true), PT_GM_TAKEN);
	/* "taken" means nothing now: the kernel looks at the driver. */
	assert_int_equal(pt_group_member(&k61, &nic, PT_NOW, true), PT_GM_HOST_DRIVER);
}

static void unreadable_blocks(void **state)
{
	struct pt_pci_func f = mk("09:00.0", 0x8086, 0x1533, 0x020000, 0, "");

	(void)state;
	assert_int_equal(pt_group_member(&k61, NULL, PT_NOW, false), PT_GM_UNREADABLE);
	f.state_err = -EIO;
	check(&k61, &f, PT_NOW, PT_GM_UNREADABLE);
	assert_true(pt_gm_blocks(PT_GM_UNREADABLE));
	assert_false(pt_gm_blocks(PT_GM_IDLE_BRIDGE));
}

/* The header type comes from byte 0x0e of config; without config, from
 * the class. */
static void header_from_config(void **state)
{
	char root[] = "/tmp/pt-test-group-XXXXXX", path[512];
	const char *dir = "/sys/bus/pci/devices/0000:00:1e.0";
	struct pt_sysfs sys;
	struct pt_pci pci;
	struct pt_pci_func f = mk("00:1e.0", 0x8086, 0x244e, 0x060401, 0, "");
	unsigned char cfg[256] = { 0x86, 0x80, 0x4e, 0x24 };
	FILE *out;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "mkdir -p %s%s", root, dir);
	assert_int_equal(system(path), 0);
	assert_int_equal(pt_sysfs_init(&sys, root), 0);
	pt_pci_init(&pci, &sys);

	/* No config: 0604 is guessed to be type 1. */
	f.loaded &= ~(unsigned)PT_PCI_HEADER;
	pt_pci_load_header(&pci, &f);
	assert_true(f.hdr_guessed);
	assert_int_equal(f.hdr_type, 1);

	/* A config that says type 0 (bit 7: multi-function) wins over the
	 * class. */
	cfg[0x0e] = 0x80;
	snprintf(path, sizeof(path), "%s%s/config", root, dir);
	out = fopen(path, "w");
	assert_non_null(out);
	assert_int_equal(fwrite(cfg, 1, sizeof(cfg), out), sizeof(cfg));
	fclose(out);
	f.loaded &= ~(unsigned)PT_PCI_HEADER;
	pt_pci_load_header(&pci, &f);
	assert_false(f.hdr_guessed);
	assert_int_equal(f.hdr_type, 0);

	cfg[0x0e] = 0x81;
	out = fopen(path, "w");
	assert_non_null(out);
	assert_int_equal(fwrite(cfg, 1, 64, out), 64);
	fclose(out);
	f.loaded &= ~(unsigned)PT_PCI_HEADER;
	pt_pci_load_header(&pci, &f);
	assert_int_equal(f.hdr_type, 1);

	/* A truncated config (an unprivileged read of a broken device): the
	 * class again. */
	out = fopen(path, "w");
	assert_non_null(out);
	assert_int_equal(fwrite(cfg, 1, 8, out), 8);
	fclose(out);
	f.class = 0x060100;
	f.loaded &= ~(unsigned)PT_PCI_HEADER;
	pt_pci_load_header(&pci, &f);
	assert_true(f.hdr_guessed);
	assert_int_equal(f.hdr_type, 0);

	pt_pci_free(&pci);
	snprintf(path, sizeof(path), "rm -rf %s", root);
	assert_int_equal(system(path), 0);
}

/* ---- the same rule through pt-agent's plan ------------------------------------------ */

struct world {
	struct pt_pci_func f[8];
	struct pt_pci_func *all[8];
	size_t n;
	struct pt_spec spec;
	struct pt_plan plan;
};

static void add(struct world *w, struct pt_pci_func f)
{
	w->f[w->n] = f;
	w->all[w->n] = &w->f[w->n];
	w->n++;
}

static void plan(struct world *w, const char *list, const struct pt_kernel *k)
{
	struct pt_spec_error err;

	assert_int_equal(pt_spec_parse(list, &w->spec, &err), 0);
	pt_plan_init(&w->plan, PT_GROUP_AUTO);
	w->plan.kernel = *k;
	assert_int_equal(pt_plan_select(&w->plan, &w->spec, w->all, w->n), 0);
	assert_int_equal(pt_plan_add_group(&w->plan, 2, w->all, w->n), 0);
	assert_int_equal(pt_plan_resolve(&w->plan, &w->spec), 0);
}

static void plan_refuses_lpc_bridge_group(void **state)
{
	struct world w = { 0 };

	(void)state;
	add(&w, mk("00:1f.0", 0x8086, 0x2918, 0x060100, 0, "lpc_ich"));
	add(&w, mk("00:1f.2", 0x8086, 0x2922, 0x010601, 0, "ahci"));
	add(&w, mk("00:1f.3", 0x8086, 0x2930, 0x0c0500, 0, "i801_smbus"));
	/* The slot's endpoints follow (auto); the ISA bridge cannot. */
	plan(&w, "00:1f.3", &k61);
	assert_false(pt_plan_group(&w.plan, 2)->viable);
	assert_int_equal(pt_plan_group(&w.plan, 2)->n_blockers, 1);
	assert_ptr_equal(pt_plan_group(&w.plan, 2)->blockers[0].fn, &w.f[0]);
	assert_int_equal(pt_plan_group(&w.plan, 2)->blockers[0].gm, PT_GM_HOST_DRIVER);
	assert_int_equal(pt_plan_count_taken(&w.plan), 0);
	pt_plan_free(&w.plan);
	/* Driverless at boot: lpc_ich comes later; refused all the same. */
	w.f[0].driver = "";
	plan(&w, "00:1f.3", &k61);
	assert_false(pt_plan_group(&w.plan, 2)->viable);
	assert_int_equal(pt_plan_group(&w.plan, 2)->blockers[0].gm, PT_GM_DRIVER_EXPECTED);
	pt_plan_free(&w.plan);
}

static void plan_takes_gpu_beside_idle_host_bridge(void **state)
{
	struct world w = { 0 };

	(void)state;
	add(&w, mk("00:03.0", 0x1022, 0x1452, 0x060000, 0, ""));
	add(&w, mk("00:03.1", 0x1022, 0x1453, 0x060400, 1, "pcieport"));
	add(&w, mk("0c:00.0", 0x10de, 0x1c03, 0x030000, 0, "nouveau"));
	add(&w, mk("0c:00.1", 0x10de, 0x10f1, 0x040300, 0, ""));
	plan(&w, "10de:1c03", &k61);
	assert_true(pt_plan_group(&w.plan, 2)->viable);
	assert_int_equal(pt_plan_count_taken(&w.plan), 2);
	pt_plan_free(&w.plan);
	plan(&w, "10de:1c03", &k515);
	assert_true(pt_plan_group(&w.plan, 2)->viable);
	pt_plan_free(&w.plan);
}

static void plan_shpchp_bridge_by_kernel(void **state)
{
	struct world w = { 0 };

	(void)state;
	add(&w, mk("00:1e.0", 0x8086, 0x244e, 0x060401, 1, "shpchp"));
	add(&w, mk("05:00.0", 0x10de, 0x1c03, 0x030000, 0, ""));
	plan(&w, "05:00.0", &k515);
	assert_true(pt_plan_group(&w.plan, 2)->viable);
	pt_plan_free(&w.plan);
	plan(&w, "05:00.0", &k61);
	assert_false(pt_plan_group(&w.plan, 2)->viable);
	assert_int_equal(pt_plan_count_taken(&w.plan), 0);
	pt_plan_free(&w.plan);
}

/* A four-function Turing card listed by its audio function: every other
 * function is "group of" the entry written, not of a function the group
 * expansion added itself. */
static void plan_names_the_entry_written(void **state)
{
	struct world w = { 0 };

	(void)state;
	add(&w, mk("01:00.0", 0x10de, 0x1e87, 0x030000, 0, ""));
	add(&w, mk("01:00.1", 0x10de, 0x10f8, 0x040300, 0, ""));
	add(&w, mk("01:00.2", 0x10de, 0x1ad8, 0x0c0330, 0, ""));
	add(&w, mk("01:00.3", 0x10de, 0x1ad9, 0x0c8000, 0, ""));
	plan(&w, "10de:10f8@01:00.1", &k61);
	assert_int_equal(pt_plan_count_taken(&w.plan), 4);
	for (size_t i = 0; i < w.plan.n_targets; i++)
		if (w.plan.targets[i].fn != &w.f[1])
			assert_string_equal(w.plan.targets[i].selected_by,
					    "group of 10de:10f8@01:00.1");
	pt_plan_free(&w.plan);
}

/* ---- a whole group, for a person -------------------------------------------------- */

static enum pt_gverdict assess(const struct pt_kernel *k, struct pt_pci_func *f, size_t n,
			       char *entries, size_t size)
{
	const struct pt_pci_func *m[8];
	struct pt_gassess a;
	struct pt_buf b;
	enum pt_gverdict v;

	for (size_t i = 0; i < n; i++)
		m[i] = &f[i];
	assert_int_equal(pt_group_assess(k, m, n, &a), 0);
	pt_buf_init(&b);
	pt_gassess_entries(&a, &b);
	snprintf(entries, size, "%s", pt_buf_str(&b));
	pt_buf_free(&b);
	v = a.verdict;
	pt_gassess_free(&a);
	return v;
}

static void group_verdicts(void **state)
{
	struct pt_pci_func f[4];
	char e[256];

	(void)state;
	f[0] = mk("00:01.0", 0x8086, 0x1901, 0x060400, 1, "pcieport");
	f[1] = mk("01:00.0", 0x10de, 0x1c03, 0x030000, 0, "nvidia");
	f[2] = mk("01:00.1", 0x10de, 0x10f1, 0x040300, 0, "snd_hda_intel");
	assert_int_equal(assess(&k61, f, 3, e, sizeof(e)), PT_GV_LIST);
	assert_string_equal(e, "10de:1c03@01:00.0,10de:10f1@01:00.1");
	f[1].driver = f[2].driver = "vfio-pci";
	assert_int_equal(assess(&k61, f, 3, e, sizeof(e)), PT_GV_READY);
	/* Another slot's device in the group. */
	f[3] = mk("02:00.0", 0x8086, 0x1533, 0x020000, 0, "igb");
	assert_int_equal(assess(&k61, f, 4, e, sizeof(e)), PT_GV_SHARED);
	/* A bridge that blocks: nothing to list helps. */
	f[3] = mk("00:1f.0", 0x8086, 0x2918, 0x060100, 0, "lpc_ich");
	assert_int_equal(assess(&k61, f, 4, e, sizeof(e)), PT_GV_CHIPSET);
	assert_int_equal(assess(&k61, f, 1, e, sizeof(e)), PT_GV_BRIDGES);
	/* AMD's 400-series chipset: USB, SATA and a bridge in one slot. */
	f[0] = mk("01:00.0", 0x1022, 0x43d0, 0x0c0330, 0, "xhci_hcd");
	f[1] = mk("01:00.1", 0x1022, 0x43c8, 0x010601, 0, "ahci");
	f[2] = mk("01:00.2", 0x1022, 0x43c6, 0x060400, 1, "pcieport");
	assert_int_equal(assess(&k61, f, 3, e, sizeof(e)), PT_GV_CHIPSET);
	assert_int_equal(assess(&k61, f, 2, e, sizeof(e)), PT_GV_LIST);
	assert_int_equal(assess(&k61, f, 0, e, sizeof(e)), PT_GV_EMPTY);
	f[1].id_err = -EIO;
	assert_int_equal(assess(&k61, f, 3, e, sizeof(e)), PT_GV_UNREADABLE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kernel_versions),
		cmocka_unit_test(host_bridge_with_driver_blocks),
		cmocka_unit_test(lpc_bridge_on_lpc_ich_blocks),
		cmocka_unit_test(pci_bridge_on_pcieport),
		cmocka_unit_test(pci_bridge_on_shpchp),
		cmocka_unit_test(pci_bridge_without_driver),
		cmocka_unit_test(idle_host_bridge_at_boot),
		cmocka_unit_test(pci_stub_and_vfio),
		cmocka_unit_test(unreadable_blocks),
		cmocka_unit_test(header_from_config),
		cmocka_unit_test(plan_refuses_lpc_bridge_group),
		cmocka_unit_test(plan_takes_gpu_beside_idle_host_bridge),
		cmocka_unit_test(plan_shpchp_bridge_by_kernel),
		cmocka_unit_test(plan_names_the_entry_written),
		cmocka_unit_test(group_verdicts),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
