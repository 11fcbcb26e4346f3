/* SPDX-License-Identifier: MIT */
/*
 * variants.h — `pt-agent vfio-variants`: which vfio-pci variant drivers
 * (mlx5_vfio_pci, pds_vfio_pci, ...) an initramfs needs. Every initramfs
 * generator's pt hook asks this one piece of code, so they agree.
 *
 * A variant driver is a module with a `vfio_pci:` alias in modules.alias
 * (modpost writes one for each PCI_DRIVER_OVERRIDE_DEVICE_VFIO entry);
 * vfio-pci's own catch-all alias is not a variant. One is chosen when
 *
 *   --host      a PCI function of the build host (its sysfs) has a
 *               `vfio_pci:` modalias that libkmod resolves to it: the very
 *               lookup pt-agent makes at boot (pt_modules_variant);
 *   --config / --devices
 *               an entry of the device list names, by id, a device that
 *               one of its aliases can match (vendor and device, and the
 *               subsystem ids when the entry gives them; the class is not
 *               known from an id and is taken to match);
 *   --always    the user asks for it by name ("all": every variant, what
 *               the hooks put in before they chose).
 *
 * Output (stdout): one chosen module per line, "MODULE<TAB>WHY", sorted,
 * then lines starting with "# " that say what else is worth knowing (a
 * list entry by address only, a built-in variant, a config that could not
 * be read). Exit 0; 1 when an input is bad (no modules directory, an
 * --always module that does not exist: said on stderr, the rest still
 * printed); 64 on a usage error.
 */
#ifndef PT_VARIANTS_H
#define PT_VARIANTS_H

/* argv[0] is "vfio-variants". */
int pt_variants_main(int argc, char **argv);

#endif
