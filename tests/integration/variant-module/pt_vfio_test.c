// SPDX-License-Identifier: GPL-2.0
/*
 * pt_vfio_test.c — a stand-in vfio-pci variant driver for pt's integration
 * tests (never loaded): its modinfo carries a `vfio_pci:` alias for the
 * PCI id the test compiles in (PT_VENDOR, PT_DEVICE), written by modpost
 * from PCI_DRIVER_OVERRIDE_DEVICE_VFIO exactly as for mlx5_vfio_pci; and,
 * like a real variant driver, it depends on its device's full driver
 * (mlx5_core, through a symbol it exports), which an initramfs then has
 * to carry too. Built per id under two names by tests/integration/run.sh.
 */
#include <linux/module.h>
#include <linux/pci.h>

static const struct pci_device_id pt_vfio_test_ids[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PT_VENDOR, PT_DEVICE) },
	{}
};
MODULE_DEVICE_TABLE(pci, pt_vfio_test_ids);

struct mlx5_core_dev;
struct mlx5_core_dev *mlx5_vf_get_core_dev(struct pci_dev *pdev);

static int __init pt_vfio_test_init(void)
{
	pr_info("pt_vfio_test: %ps\n", mlx5_vf_get_core_dev);
	return 0;
}

static void __exit pt_vfio_test_exit(void)
{
}

module_init(pt_vfio_test_init);
module_exit(pt_vfio_test_exit);
MODULE_DESCRIPTION("pt integration test: a vfio_pci: alias and nothing else");
MODULE_LICENSE("GPL");
