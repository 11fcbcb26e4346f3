#!/bin/bash
# run.sh — the pt-vm binary against fixture trees (tests/status/tree.sh plus
# block devices, USB devices, OVMF files, mountinfo and swaps), every check
# an assertion on its output, exit code or the files it made.
#
# Usage: tests/vm/run.sh [PATH/TO/pt-vm] [PATH/TO/pt-status]
#        (default build/pt-vm build/pt-status)
#        PT_VM_WRAP="valgrind ..." runs every pt-vm under that command
#
# Mocks: the tree's files stand for the kernel's (sysfs, /dev nodes as plain
# files, mountinfo); the real kernel, QEMU and VFIO are exercised by
# tests/e2e/vm.sh. The exclusive open of a vfio group (EBUSY) cannot be
# made with plain files: only tests/e2e/vm.sh shows it.
set -eu -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
vm=${1:-build/pt-vm}
status=${2:-build/pt-status}
case $vm in /*) ;; *) vm=$PWD/$vm ;; esac
case $status in /*) ;; *) status=$PWD/$status ;; esac
WRAP=()
read -ra WRAP <<<"${PT_VM_WRAP:-}"

# shellcheck source-path=SCRIPTDIR source=../status/tree.sh
. "$here/../status/tree.sh"

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1: $2"; }
# expect NAME WANT_RC PATTERN... : the last run's rc and output (grep -E)
expect() {
	local name=$1 want=$2 p
	shift 2
	if [ "$rc" != "$want" ]; then
		bad "$name" "exit $rc, wanted $want; output: $out"
		return
	fi
	for p in "$@"; do
		if ! grep -qE -- "$p" <<<"$out"; then
			bad "$name" "no /$p/ in: $out"
			return
		fi
	done
	ok "$name"
}
# refute NAME PATTERN: the last run's output does not match
refute() {
	if grep -qE -- "$2" <<<"$out"; then bad "$1" "/$2/ in: $out"; else ok "$1"; fi
}
run() {
	rc=0
	out=$(${WRAP[@]+"${WRAP[@]}"} "$vm" --sysroot "$r" "$@" 2>&1) || rc=$?
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 0755 "$tmp"

# The desktop of tests/status: a GPU and its audio function on vfio-pci in
# group 15, a NIC with the host.
r=$tmp/root
DEV_GPU=$(st_dev 0000:26:00.0 10de:1f08 030000 15 bound nouveau vfio-pci 10de:1f08@26:00.0 '' true)
DEV_AUDIO=$(st_dev 0000:26:00.1 10de:10f9 040300 15 bound - vfio-pci 'group of 0000:26:00.0')
tree_new "$r"
tree_func "$r" 0000:00:01.0 8086:1901 060400 1 pcieport
tree_func "$r" 0000:03:00.0 8086:10d3 020000 2 e1000e
tree_func "$r" 0000:26:00.0 10de:1f08 030000 15 vfio-pci 1
tree_func "$r" 0000:26:00.1 10de:10f9 040300 15 vfio-pci
tree_node "$r" 15 0666
st_write "$r" "$DEV_GPU" "$DEV_AUDIO"
mkdir -p "$r/etc/pt/vm" "$r/usr/bin" "$r/usr/share/OVMF" "$r/var/lib"
ln -s /bin/true "$r/usr/bin/qemu-system-x86_64"
mkdir -p "$r/bin" && ln -s /bin/true "$r/bin/true"
head -c 65536 /dev/urandom >"$r/usr/share/OVMF/OVMF_CODE_4M.fd"
head -c 8192 /dev/urandom >"$r/usr/share/OVMF/OVMF_VARS_4M.fd"
chmod -R a+rX "$tmp"
conf() { printf '%s\n' "$@" >"$r/etc/pt/vm/$VMN.conf"; }

# ---- the devices, one code path with pt-status qemu-args ---------------------
VMN=win
conf "accel = tcg" "memory = 4G" "x_vga = yes" "qemu = /bin/true"
run args win
expect "args: q35 always (QEMU's default pc has no pcie.0)" 0 '-machine q35,accel=tcg' '-m 4096M'
want=$("$status" --sysroot "$r" qemu-args --x-vga | sed 's/^-device //')
got=$(printf '%s\n' "$out" | head -1 | grep -oE 'vfio-pci,[^ ]*' || true)
if [ "$want" = "$got" ] && [ -n "$got" ]; then
	ok "args: the vfio-pci arguments are pt-status qemu-args's ($(echo "$got" | wc -l) devices)"
else
	bad "args: vfio-pci arguments differ from pt-status qemu-args" "want [$want] got [$got]"
fi
expect "args: multifunction and x-vga kept" 0 'host=0000:26:00.0,bus=pcie.0,addr=0x10.0x0,multifunction=on,x-vga=on' \
	'host=0000:26:00.1,bus=pcie.0,addr=0x10.0x1'
run check win
expect "check: every check, one line each" 0 '^ok   device 0000:26:00.0: on vfio-pci, IOMMU group 15 whole' \
	'^ok   open /dev/vfio/15: opens read-write' '^ok   memlock: root' '^ok   qemu: /bin/true'

conf "machine = pc" "accel = tcg"
run args win
expect "machine = pc: bus pci.0 (the NixOS default-qemuArgs failure)" 0 'bus=pci\.0,addr=0x10\.0x0' '-machine pc,accel=tcg'

conf "devices = 10de:10f9" "accel = tcg"
run check win
expect "devices = a function without its function 0: refused" 1 'FAIL qemu-args: .*no function 0'

conf "devices = 1234:5678"
run check win
expect "devices = an entry pt did not bind: named" 1 "FAIL devices: '1234:5678' matches no device"

conf "devices = 26:00.0, 26:00.1, !26:00.1" "accel = tcg"
run args win
refute "devices = with an exclusion: 26:00.1 left out" 'host=0000:26:00\.1'

# pt-agent's result "partial" because of another VM's device: this VM starts
ST_RESULT=partial st_write "$r" "$DEV_GPU" "$DEV_AUDIO" \
	"$(st_dev 0000:03:00.0 8086:10d3 020000 2 failed e1000e e1000e 8086:10d3 'unbind timed out')"
conf "devices = 10de:1f08, 10de:10f9" "accel = tcg"
run check win
expect "devices = : another device's failure at boot does not stop this VM" 0 '^ok   qemu-args: 2 vfio-pci devices'
conf "accel = tcg"
run check win
expect "devices = all: the device that failed at boot is named" 1 'FAIL device 0000:03:00.0: not on a vfio driver'
st_write "$r" "$DEV_GPU" "$DEV_AUDIO"

tree_bind "$r" 0000:26:00.0 nouveau
VMN=win conf "accel = tcg"
run start win
expect "start: a device not on vfio is refused, saying why" 1 \
	'FAIL device 0000:26:00.0: not on a vfio driver \(driver: nouveau\)' 'win not started'
tree_bind "$r" 0000:26:00.0 vfio-pci
tree_func "$r" 0000:27:00.0 1b21:2142 0c0330 15 xhci_hcd
run check win
expect "check: a group that is not whole is refused" 1 'FAIL device 0000:26:00.0: .*group 15 is not whole'
tree_remove "$r" 0000:27:00.0

chmod 0600 "$r/dev/vfio/15"
conf "accel = tcg" "user = nobody"
run check win
expect "user = nobody: /dev/vfio/15 opened as nobody, refused" 1 \
	'FAIL open /dev/vfio/15: /dev/vfio/15 cannot be opened: permission denied for nobody \(mode 0600' \
	'SUBSYSTEM=="vfio"'
chmod 0666 "$r/dev/vfio/15"

# ---- memlock -------------------------------------------------------------------
conf "accel = tcg" "user = nobody" "memory = 1G"
rc=0
out=$(prlimit --memlock=8388608:8388608 ${WRAP[@]+"${WRAP[@]}"} "$vm" --sysroot "$r" start win 2>&1) || rc=$?
expect "memlock: 8 MiB for a 1 GiB guest as nobody: refused with what to set" 1 \
	'FAIL memlock: the memory-lock limit is 8 MiB, but VFIO pins all of a 1024 MiB guest' \
	'LimitMEMLOCK=1152M in pt-vm@win.service' "'nobody - memlock 1179648'" 'hardware.pt.vmServices'
# Raising the limit needs CAP_SYS_RESOURCE, which this suite may lack: the
# accepting side and the boundary are tests/unit/test_vm.c's (pt_memlock_fits)
# and tests/e2e/vm.sh's (a raised limit, a real L2 QEMU).

# ---- config errors ---------------------------------------------------------------
conf "memroy = 8G" "usb = 046d:zz39" "disk = dev/sdb"
run check win
expect "config: every bad line named, nothing started" 1 \
	"win.conf line 1: unknown key 'memroy' \(did you mean 'memory'\?\)" \
	"win.conf line 2: usb: '046d:zz39' is not a USB id" \
	"win.conf line 3: disk: 'dev/sdb' is not an absolute path" "VM 'win' not used"
run check ../x
expect "a VM name that is a path: refused" 1 "'../x' is not a VM name"

# ---- OVMF: one VARS per VM, never overwritten ------------------------------------
VMN=a conf "accel = tcg" "firmware = ovmf" "qemu = /bin/true"
VMN=b conf "accel = tcg" "firmware = ovmf" "qemu = /bin/true"
run args a
expect "ovmf: CODE read-only from the distribution's path, VARS this VM's" 0 \
	'if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd' \
	'if=pflash,format=raw,unit=1,file=/var/lib/pt/vm/a/OVMF_VARS.fd'
if [ ! -e "$r/var/lib/pt/vm/a/OVMF_VARS.fd" ]; then
	ok "ovmf: args creates nothing"
else
	bad "ovmf: args creates nothing" "VARS exists"
fi
run start a
expect "ovmf: start a" 0 'created from /usr/share/OVMF/OVMF_VARS_4M.fd'
run start b
expect "ovmf: start b" 0 'created from'
va=$r/var/lib/pt/vm/a/OVMF_VARS.fd vb=$r/var/lib/pt/vm/b/OVMF_VARS.fd
if cmp -s "$va" "$r/usr/share/OVMF/OVMF_VARS_4M.fd" && cmp -s "$vb" "$va" &&
	[ "$(stat -c %i "$va")" != "$(stat -c %i "$vb")" ]; then
	ok "ovmf: two VMs, two VARS files from one template"
else
	bad "ovmf: two VMs, two VARS files" "$(ls -li "$va" "$vb")"
fi
printf 'guest wrote this' | dd of="$va" bs=1 seek=100 conv=notrunc 2>/dev/null
cp "$va" "$tmp/a.saved"
run start a
if [ "$rc" = 0 ] && cmp -s "$va" "$tmp/a.saved" && grep -q 'kept' <<<"$out"; then
	ok "ovmf: a second start keeps the first's VARS byte for byte"
else
	bad "ovmf: second start" "rc $rc, $out"
fi
run reset-vars a
old=$(find "$r/var/lib/pt/vm/a" -name 'OVMF_VARS.fd.old-*')
if [ "$rc" = 0 ] && [ -n "$old" ] && cmp -s "$old" "$tmp/a.saved" &&
	cmp -s "$va" "$r/usr/share/OVMF/OVMF_VARS_4M.fd"; then
	ok "ovmf: reset-vars makes a fresh copy, the old one kept beside it"
else
	bad "ovmf: reset-vars" "rc $rc, old [$old], $out"
fi
ln "$vb" "$r/var/lib/pt/vm/a/shared.fd"
rm "$va"
ln "$vb" "$va"
run start a
expect "ovmf: a VARS file shared with another VM is refused" 1 'shared \(it has other hard links\)'
rm "$va" "$r/var/lib/pt/vm/a/shared.fd"
VMN=c conf "firmware = ovmf" "ovmf_code = /opt/OVMF_CODE.fd"
run check c
expect "ovmf: a named CODE that is missing" 1 'FAIL firmware: ovmf_code = /opt/OVMF_CODE.fd: no such file'

# ---- USB -----------------------------------------------------------------------
usbdev() { # ENTRY VENDOR PRODUCT BUS DEV
	local d=$r/sys/bus/usb/devices/$1
	mkdir -p "$d" "$r/dev/bus/usb/$(printf %03d "$4")"
	echo "$2" >"$d/idVendor"
	echo "$3" >"$d/idProduct"
	echo "$4" >"$d/busnum"
	echo "$5" >"$d/devnum"
	: >"$r/dev/bus/usb/$(printf %03d "$4")/$(printf %03d "$5")"
	chmod 0666 "$r/dev/bus/usb/$(printf %03d "$4")/$(printf %03d "$5")"
}
usbdev 1-1 046d c539 1 3
usbdev 1-2 0416 5020 1 4
usbdev 1-3 0416 a0f8 1 5
usbdev 2-1 1d6b 0003 2 1
mkdir -p "$r/sys/bus/usb/devices/1-1:1.0"
VMN=u conf "accel = tcg" "usb = 046d:c539, 0416" "usb = 1234:0001"
run args u
expect "usb: one usb-host per device present, by vendor or vendor:product" 0 \
	'-device qemu-xhci,id=ptxhci' 'usb-host,bus=ptxhci.0,vendorid=0x046d,productid=0xc539' \
	'usb-host,bus=ptxhci.0,vendorid=0x0416,productid=0x5020' 'vendorid=0x0416,productid=0xa0f8'
refute "usb: a device not listed is left alone" 'vendorid=0x1d6b'
run check u
expect "usb: an absent device is said, not an error" 0 'ok   usb 1234:0001: 0 devices present now' \
	'ok   open /dev/bus/usb/001/003'
rc=0
out=$(${WRAP[@]+"${WRAP[@]}"} "$vm" --sysroot "$r" udev-rules u 2>&1) || rc=$?
expect "udev-rules: the VM's USB devices for its group" 0 \
	'SUBSYSTEM=="usb", ENV\{DEVTYPE\}=="usb_device", ATTR\{idVendor\}=="046d", ATTR\{idProduct\}=="c539", GROUP="root", MODE="0660"' \
	'ATTR\{idVendor\}=="0416", GROUP="root"'

# ---- disks -----------------------------------------------------------------------
blk() { # NAME MAJ:MIN [PARENT]
	local d
	if [ -n "${3:-}" ]; then
		d=$r/sys/devices/virtual/blk/$3/$1
		mkdir -p "$d"
		echo 1 >"$d/partition"
	else
		d=$r/sys/devices/virtual/blk/$1
		mkdir -p "$d/holders"
	fi
	mkdir -p "$d/holders" "$r/sys/class/block" "$r/dev/disk/by-id"
	echo "$2" >"$d/dev"
	echo 2097152 >"$d/size"
	ln -sfn "../../devices/virtual/blk/${3:+$3/}$1" "$r/sys/class/block/$1"
	: >"$r/dev/$1"
}
byid() { ln -sfn "../../$2" "$r/dev/disk/by-id/$1"; }
blk sda 8:0; blk sda1 8:1 sda; blk sda2 8:2 sda
blk sdb 8:16
blk sdc 8:32; blk sdc1 8:33 sdc; blk dm-0 254:0
ln -s ../../dm-0 "$r/sys/devices/virtual/blk/sdc/sdc1/holders/dm-0"
blk sdd 8:48
blk sde 8:64; blk sde1 8:65 sde
byid ata-HOST_SSD sda; byid ata-HOST_SSD-part1 sda1
byid ata-WIN_DISK sdb; byid wwn-0x5000c500a1b2c3d4 sdb
byid ata-LVM_DISK sdc; byid ata-SWAP_DISK sdd; byid ata-DATA_DISK sde
cat >"$r/proc/mountinfo.txt" <<'MI'
22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw
23 22 254:0 / /home rw,relatime shared:2 - ext4 /dev/mapper/vg-home rw
24 22 8:65 / /srv/data rw,relatime shared:3 - xfs /dev/sde1 rw
MI
mkdir -p "$r/proc/self"
mv "$r/proc/mountinfo.txt" "$r/proc/self/mountinfo"
printf 'Filename\tType\tSize\tUsed\tPriority\n/dev/sdd                                partition\t8388604\t0\t-2\n' \
	>"$r/proc/swaps"
chmod -R a+rX "$r"
disk() { VMN=d conf "accel = tcg" "disk = $1"; run check d; }
disk /dev/sdb
expect "disk: a /dev/sdX name is refused, the stable names listed" 1 \
	'/dev/sdb is not a stable name' '/dev/disk/by-id/ata-WIN_DISK, /dev/disk/by-id/wwn-0x5000c500a1b2c3d4'
disk /dev/disk/by-id/ata-HOST_SSD
expect "disk: the root file system's disk is refused" 1 \
	'FAIL disk: /dev/disk/by-id/ata-HOST_SSD \(sda\) is refused: its partition sda2 holds the root file system'
disk /dev/disk/by-id/ata-LVM_DISK
expect "disk: a disk whose partition LVM holds is refused" 1 \
	'its partition sdc1 is held by dm-0, which is mounted on /home'
disk /dev/disk/by-id/ata-SWAP_DISK
expect "disk: a swap disk is refused" 1 'sdd used as swap'
disk /dev/disk/by-id/ata-DATA_DISK
expect "disk: a disk with a mounted partition is refused" 1 'its partition sde1 is mounted on /srv/data'
disk /dev/disk/by-id/ata-HOST_SSD-part1
expect "disk: a partition of the root disk, itself unused, is accepted" 0 'ok   disk: /dev/disk/by-id/ata-HOST_SSD-part1 \(sda1'
disk /dev/disk/by-id/ata-WIN_DISK
expect "disk: an unused disk by its stable name is accepted" 0 \
	'ok   disk: /dev/disk/by-id/ata-WIN_DISK \(sdb, 1024 MiB\), not mounted, not swap, not held' \
	'ok   open /dev/disk/by-id/ata-WIN_DISK'
run args d
expect "disk: passed raw with cache=none" 0 \
	'-drive file=/dev/disk/by-id/ata-WIN_DISK,if=none,id=ptdisk0,format=raw,cache=none -device virtio-blk-pci,drive=ptdisk0'

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
