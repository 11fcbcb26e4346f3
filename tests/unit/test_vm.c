/* SPDX-License-Identifier: MIT */
/*
 * test_vm.c — pt-vm's VM files (pt_vmconf_parse), sizes and names, the
 * memory-lock comparison (pt_memlock_fits) and the udev rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>

#include "vm.h"
#include "vmconf.h"
#include "vmhost.h"

#define F "/etc/pt/vm/win.conf"

static int parse(struct pt_vmconf *c, struct pt_diag *d, const char *text)
{
	pt_vmconf_init(c, "win");
	pt_diag_init(d);
	return pt_vmconf_parse(text, strlen(text), F, c, d);
}

static bool has_msg(const struct pt_diag *d, const char *needle)
{
	for (size_t i = 0; i < d->n; i++)
		if (strstr(d->msgs[i].text, needle))
			return true;
	return false;
}

static void test_full(void **state)
{
	struct pt_vmconf c;
	struct pt_diag d;

	(void)state;
	assert_int_equal(parse(&c, &d,
			       "# the guide's Windows VM\n"
			       "devices = 10de:1c03, 10de:10f1\n"
			       "memory = 8G\n"
			       "cpus = 4\n"
			       "firmware = ovmf\n"
			       "x_vga = no\n"
			       "usb = 046d:c539, 0416\n"
			       "usb = 1234:abcd\n"
			       "disk = /dev/disk/by-id/ata-X\n"
			       "disk_bus = sata\n"
			       "user = alice\n"
			       "wait = 5\n"
			       "accel = tcg\n"
			       "machine = pc\n"
			       "qemu = /opt/qemu\n"
			       "extra = -vga none \"-name\" \"a b\"\n"
			       "extra = -S\n"),
			 0);
	assert_int_equal(d.n, 0);
	assert_string_equal(c.devices, "10de:1c03, 10de:10f1");
	assert_int_equal(c.spec.n, 2);
	assert_int_equal(c.memory_mib, 8192);
	assert_int_equal(c.cpus, 4);
	assert_int_equal(c.firmware, PT_VM_FW_OVMF);
	assert_false(c.x_vga);
	assert_int_equal(c.n_usb, 3);
	assert_int_equal(c.usb[0].vendor, 0x046d);
	assert_int_equal(c.usb[0].product, 0xc539);
	assert_false(c.usb[0].any_product);
	assert_int_equal(c.usb[1].vendor, 0x0416);
	assert_true(c.usb[1].any_product);
	assert_int_equal(c.usb[2].product, 0xabcd);
	assert_int_equal(c.n_disks, 1);
	assert_int_equal(c.disk_bus, PT_VM_DISK_SATA);
	assert_string_equal(c.user, "alice");
	assert_int_equal(c.wait_s, 5);
	assert_string_equal(c.accel, "tcg");
	assert_int_equal(c.machine, PT_VM_PC);
	assert_string_equal(c.qemu, "/opt/qemu");
	assert_int_equal(c.n_extra, 5);
	assert_string_equal(c.extra[0], "-vga");
	assert_string_equal(c.extra[1], "none");
	assert_string_equal(c.extra[2], "-name");
	assert_string_equal(c.extra[3], "a b");
	assert_string_equal(c.extra[4], "-S");
	pt_vmconf_free(&c);
	pt_diag_free(&d);
}

static void test_defaults(void **state)
{
	struct pt_vmconf c;
	struct pt_diag d;

	(void)state;
	assert_int_equal(parse(&c, &d, ""), 0);
	assert_null(c.devices);
	assert_int_equal(c.memory_mib, PT_VM_MEMORY_DEFAULT_MIB);
	assert_int_equal(c.cpus, 1);
	assert_int_equal(c.machine, PT_VM_Q35);
	assert_int_equal(c.firmware, PT_VM_FW_BIOS);
	assert_int_equal(c.wait_s, PT_VM_WAIT_DEFAULT_S);
	pt_vmconf_free(&c);
	pt_diag_free(&d);
}

static void test_errors_name_the_line(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "memroy = 8G", F " line 1: unknown key 'memroy' (did you mean 'memory'?)" },
		{ "\nmemory = 8X", F " line 2: memory: '8X' is not a size" },
		{ "memory = 0", "memory: '0' is not a size" },
		{ "cpus = 0", "cpus: '0' is not a number of CPUs" },
		{ "usb = 46d:c539", "usb: '46d:c539' is not a USB id" },
		{ "usb = 046d:c539:1", "usb: '046d:c539:1' is not a USB id" },
		{ "disk = sdb", "disk: 'sdb' is not an absolute path" },
		{ "devices = zz:00.0", "devices: column 1:" },
		{ "firmware = efi2", "firmware: 'efi2' is not ovmf or bios" },
		{ "machine = virt", "machine: 'virt' is not q35 or pc" },
		{ "extra = \"-S", "extra: a '\"' is not closed" },
		{ "user =", "user: needs a value" },
		{ "this is not a line", F " line 1: expected 'key = value'" },
		{ "usb = 0001, 0002, 0003, 0004, 0005, 0006, 0007, 0008, 0009, 000a, 000b, 000c, "
		  "000d, 000e, 000f, 0010, 0011",
		  "usb: more than 16 USB devices" },
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct pt_vmconf c;
		struct pt_diag d;

		assert_int_equal(parse(&c, &d, cases[i].text), -EINVAL);
		if (!has_msg(&d, cases[i].msg)) {
			for (size_t k = 0; k < d.n; k++)
				print_error("  got: %s\n", d.msgs[k].text);
			fail_msg("case %zu: no message with \"%s\"", i, cases[i].msg);
		}
		pt_vmconf_free(&c);
		pt_diag_free(&d);
	}
}

static void test_sizes_and_names(void **state)
{
	uint64_t m;

	(void)state;
	assert_true(pt_size_parse_mib("512", &m));
	assert_int_equal(m, 512);
	assert_true(pt_size_parse_mib("4096M", &m));
	assert_int_equal(m, 4096);
	assert_true(pt_size_parse_mib("8G", &m));
	assert_int_equal(m, 8192);
	assert_true(pt_size_parse_mib("8GiB", &m));
	assert_int_equal(m, 8192);
	assert_true(pt_size_parse_mib("1T", &m));
	assert_int_equal(m, 1024 * 1024);
	assert_false(pt_size_parse_mib("", &m));
	assert_false(pt_size_parse_mib("G", &m));
	assert_false(pt_size_parse_mib("8 G", &m));
	assert_false(pt_size_parse_mib("99999999999999999999G", &m));
	assert_false(pt_size_parse_mib("17T", &m));

	assert_true(pt_vm_name_valid("win10"));
	assert_true(pt_vm_name_valid("my-vm_2.x"));
	assert_false(pt_vm_name_valid(""));
	assert_false(pt_vm_name_valid(".hidden"));
	assert_false(pt_vm_name_valid("../etc"));
	assert_false(pt_vm_name_valid("a/b"));
	assert_false(pt_vm_name_valid("a b"));
}

static void test_memlock(void **state)
{
	struct pt_memlock m = { .limit_bytes = 8u << 20 };
	char adv[1024];

	(void)state;
	/* the default 8 MiB against a 1 GiB guest */
	assert_false(pt_memlock_fits(&m, 1024, "pt-vm@win.service", "alice", adv, sizeof(adv)));
	assert_non_null(strstr(adv, "the memory-lock limit is 8 MiB"));
	assert_non_null(strstr(adv, "LimitMEMLOCK=1152M in pt-vm@win.service"));
	assert_non_null(strstr(adv, "'alice - memlock 1179648'"));
	assert_non_null(strstr(adv, "VFIO_MAP_DMA failed"));
	/* the boundary: memory + margin exactly */
	m.limit_bytes = (uint64_t)(1024 + PT_MEMLOCK_MARGIN_MIB) << 20;
	assert_true(pt_memlock_fits(&m, 1024, NULL, NULL, adv, sizeof(adv)));
	m.limit_bytes -= 1;
	assert_false(pt_memlock_fits(&m, 1024, NULL, NULL, adv, sizeof(adv)));
	assert_null(strstr(adv, "systemctl edit"));
	/* unlimited, or root (CAP_IPC_LOCK): the limit does not count */
	m.unlimited = true;
	assert_true(pt_memlock_fits(&m, 1u << 20, NULL, NULL, adv, sizeof(adv)));
	m = (struct pt_memlock){ .privileged = true, .limit_bytes = 8u << 20 };
	assert_true(pt_memlock_fits(&m, 1u << 20, NULL, NULL, adv, sizeof(adv)));
}

static void test_udev_rules(void **state)
{
	struct pt_vmconf c;
	struct pt_diag d;
	struct pt_buf b;

	(void)state;
	assert_int_equal(parse(&c, &d, "usb = 046d:c539, 0416"), 0);
	pt_buf_init(&b);
	pt_vm_udev_rules(&c, "kvm", &b);
	assert_string_equal(pt_buf_str(&b),
			    "# pt-vm win: usb = 046d:c539\n"
			    "SUBSYSTEM==\"usb\", ENV{DEVTYPE}==\"usb_device\", "
			    "ATTR{idVendor}==\"046d\", ATTR{idProduct}==\"c539\", GROUP=\"kvm\", "
			    "MODE=\"0660\"\n"
			    "# pt-vm win: usb = 0416\n"
			    "SUBSYSTEM==\"usb\", ENV{DEVTYPE}==\"usb_device\", "
			    "ATTR{idVendor}==\"0416\", GROUP=\"kvm\", MODE=\"0660\"\n");
	pt_buf_free(&b);
	pt_vmconf_free(&c);
	pt_diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_errors_name_the_line),
		cmocka_unit_test(test_sizes_and_names),
		cmocka_unit_test(test_memlock),
		cmocka_unit_test(test_udev_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
