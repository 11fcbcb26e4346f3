#!/bin/sh
# wiki-loop.sh — today's common practice, for the benchmark: the
# driver_override loop of the NixOS wiki (boot.initrd.preDeviceCommands)
# and the Arch wiki (vfio-pci-override.sh), run by busybox sh.
#
#   wiki-loop.sh [-r SYSROOT] [-m MODPROBE] DEVICE...
#
# DEVICE is a PCI address (0000:01:00.0), as in the wikis' DEVS="..." list,
# or VVVV:DDDD, in which case every function with that id is taken (the
# Arch wiki's script walks /sys/bus/pci/devices the same way for boot_vga).
#
# The wikis' loop is:
#     for DEV in $DEVS; do
#         echo "vfio-pci" > /sys/bus/pci/devices/$DEV/driver_override
#     done
#     modprobe -i vfio-pci
# Here each device is also written to drivers_probe (which binds it when
# vfio-pci is loaded already), and at the end each device's driver link is
# checked — the one check pt does that a fair comparison must share; the
# wikis do not check. -m gives the modprobe command (kmod's modprobe -i in
# the QEMU benchmark); without it nothing is loaded (the fixture trees have
# vfio-pci "loaded"). No identity check, no IOMMU groups, no unbinding of a
# native driver, no record. Exit 0 when every device ended on vfio-pci.
# No `set -e`: as in an initramfs hook, a failed write does not stop the loop.

R=
MODPROBE=
while [ $# -gt 0 ]; do
	case $1 in
	-r) R=$2; shift 2 ;;
	-m) MODPROBE=$2; shift 2 ;;
	*) break ;;
	esac
done

DEVS=
for sel in "$@"; do
	case $sel in
	????:????)
		want_v=0x${sel%:*} want_d=0x${sel#*:}
		for d in "$R"/sys/bus/pci/devices/*; do
			read -r v <"$d/vendor"
			read -r dv <"$d/device"
			if [ "$v" = "$want_v" ] && [ "$dv" = "$want_d" ]; then
				DEVS="$DEVS ${d##*/}"
			fi
		done
		;;
	*) DEVS="$DEVS $sel" ;;
	esac
done

for DEV in $DEVS; do
	echo "vfio-pci" >"$R/sys/bus/pci/devices/$DEV/driver_override"
	echo "$DEV" >"$R/sys/bus/pci/drivers_probe"
done

if [ -n "$MODPROBE" ]; then
	# shellcheck disable=SC2086 # the command and its options, split
	$MODPROBE vfio-pci
fi

rc=0
for DEV in $DEVS; do
	# shellcheck disable=SC3013 # busybox ash (and dash) have -ef: same file
	if ! [ "$R/sys/bus/pci/devices/$DEV/driver" -ef "$R/sys/bus/pci/drivers/vfio-pci" ]; then
		echo "wiki-loop: $DEV is not on vfio-pci" >&2
		rc=1
	fi
done
exit $rc
