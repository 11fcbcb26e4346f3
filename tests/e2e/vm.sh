#!/bin/bash
# vm.sh [BUILD_DIR] — the last mile: pt-vm starts an L2 QEMU inside the L1
# test VM (Debian's real kernel, q35, TCG, emulated VT-d), which opens
# the devices pt-agent bound through VFIO. One L1 boot (vm.init) runs every
# step; the assertions below say what each proves.
#
# L1 holds: the static pt-agent, pt-status and pt-vm, qemu-system-x86_64
# with its shared libraries (ldd), its TCG and usb-host modules, SeaBIOS,
# Debian's OVMF, the VM files below, and a user "vmuser" in group "vfio".
# L1's devices: edu (00:03.0), a VGA + HDA slot (00:05.0/.1), an xHCI with a
# usb-tablet, and two virtio disks: "pthost" (ext4, mounted in L1) and
# "ptwin" (never mounted).
#
# Mocks: L1 has no udev. vm.init makes the /dev/disk/by-id links from the
# disks' serial numbers and gives /dev/vfio/N and the tablet's USB node to
# group "vfio", as the rules in README.md and `pt-vm udev-rules` would.
#
# L2s start with -S (the guest never runs: nested TCG is slow) and answer
# their monitor on stdin; only the USB one runs (SeaBIOS, nothing to boot)
# for a few seconds, as QEMU's usb-host attaches a device only to a
# running guest. Output: "PASS/FAIL what" lines, "N passed, M
# failed"; logs in BUILD_DIR/e2e/vm/. Exit 1 on a failure, 2 on a setup
# error. PT_E2E_VM_TIMEOUT: seconds for the L1 boot (default 600).
set -eu -o pipefail

E2E_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$E2E_DIR/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$E2E_DIR/lib.sh"

BUILD=${1:-$REPO/build}
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
RUN=$BUILD/e2e/vm
ENVF=$BUILD/e2e/kernel.env
TMO=${PT_E2E_VM_TIMEOUT:-600}
T0=$(date +%s)

e2e_need_packages
e2e_need_agent "$BUILD"
for b in pt-status pt-vm; do
    [ -x "$BUILD/static/$b" ] || e2e_die "no $BUILD/static/$b (make static)"
done
e2e_need_kernel "$BUILD"
rm -rf "$RUN"
mkdir -p "$RUN/tree"
T=$RUN/tree

# ---- the L1 image: QEMU and what it loads ------------------------------------------
copy() { # FILE...: at the same path in the tree, symlinks resolved
    local f
    for f in "$@"; do
        mkdir -p "$T/$(dirname "$f")"
        cp -L "$f" "$T/$f"
    done
}
libs() { ldd "$1" | grep -o '/[^ ]*' | sort -u; }
QEMU=$(command -v qemu-system-x86_64)
QMOD=/usr/lib/x86_64-linux-gnu/qemu
mapfile -t L < <(libs "$QEMU")
copy "$QEMU" "${L[@]}"
for m in accel-tcg-x86_64.so hw-usb-host.so; do
    mapfile -t L < <(libs "$QMOD/$m")
    copy "$QMOD/$m" "${L[@]}"
done
# Debian's QEMU finds SeaBIOS in /usr/share/seabios (its firmware path)
copy /usr/share/seabios/bios-256k.bin /usr/share/qemu/kvmvapic.bin \
    /usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_VARS_4M.fd
mkdir -p "$T/sbin" "$T/etc/pt/vm"
cp "$BUILD/static/pt-status" "$BUILD/static/pt-vm" "$T/sbin/"
printf 'root:x:0:0::/root:/bin/sh\nvmuser:x:1000:1000::/tmp:/bin/sh\n' >"$T/etc/passwd"
printf 'root:x:0:\nvfio:x:1000:vmuser\n' >"$T/etc/group"

# The VM files. Common: TCG, 64 MiB, no defaults, no display, the monitor
# on stdin, -S.
L2X='extra = -nodefaults -display none -monitor stdio -S'
vm() { # NAME LINE...
    local n=$1
    shift
    printf '%s\n' "accel = tcg" "memory = 64M" "wait = 10" "$L2X" "$@" >"$T/etc/pt/vm/$n.conf"
}
vm edu "devices = 1234:11e8"
vm gpu "devices = 1234:1111, 8086:293e" "x_vga = yes"
vm eduuser "devices = 1234:11e8" "user = vmuser" "firmware = ovmf"
vm vara "devices = 1234:11e8" "firmware = ovmf"
vm varb "devices = 1234:11e8" "firmware = ovmf"
vm diskhost "devices = 1234:11e8" "disk = /dev/disk/by-id/virtio-pthost"
vm diskwin "devices = 1234:11e8" "disk = /dev/disk/by-id/virtio-ptwin"
vm usb "devices = 1234:11e8" "usb = 0627:0001"

mkdir -p "$RUN/host.d"
echo host-data >"$RUN/host.d/hello"
mkfs.ext4 -q -F -L pthost -d "$RUN/host.d" "$RUN/host.img" 8M
truncate -s 16M "$RUN/win.img"

"$E2E_DIR/mkinitrd.sh" -q -e "$ENVF" -i "$E2E_DIR/vm.init" -a "$BUILD/static/pt-agent" \
    -m "+usbcore xhci-pci virtio_pci virtio_blk ext4" -t "$T" -o "$RUN/l1.cpio" ||
    e2e_die "building the L1 initramfs failed"
e2e_step "L1 initramfs $(($(stat -c %s "$RUN/l1.cpio") / 1048576)) MiB (setup $(($(date +%s) - T0)) s)"

# ---- the boot ----------------------------------------------------------------------
T1=$(date +%s)
rc=0
"$E2E_DIR/boot.sh" -q -e "$ENVF" -r "$RUN/l1.cpio" -l "$RUN/l1.log" -o "$RUN/l1.res" \
    -t "$TMO" -m 2048 \
    -d edu,addr=03.0 \
    -d VGA,addr=05.0,multifunction=on -d ich9-intel-hda,id=hda05,addr=05.1 \
    -d hda-duplex,bus=hda05.0,audiodev=snd0 \
    -d qemu-xhci,id=xhci,addr=06.0 -d usb-tablet,bus=xhci.0 \
    -d virtio-blk-pci,drive=host,serial=pthost,addr=07.0 \
    -d virtio-blk-pci,drive=win,serial=ptwin,addr=08.0 \
    -c "pt.devices=1234:11e8,1234:1111" -- \
    -drive "if=none,id=host,format=raw,file=$RUN/host.img" \
    -drive "if=none,id=win,format=raw,file=$RUN/win.img" || rc=$?
BOOT_S=$(($(date +%s) - T1))
[ "$rc" = 0 ] || e2e_die "L1 QEMU exited $rc after $BOOT_S s (console: $RUN/l1.log)"

# ---- assertions ----------------------------------------------------------------------
RES=$RUN/l1.res
pass=0 failn=0
section() { "$E2E_DIR/section.sh" "$RES" "$1" 2>/dev/null || true; }
ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { failn=$((failn + 1)); echo "FAIL $1"; section "$2" | sed 's/^/    /' | tail -n 25; }
# has SECTION WHAT PATTERN... : every pattern (grep -E) in the section
has() {
    local s=$1 what=$2 p
    shift 2
    for p in "$@"; do
        if ! section "$s" | grep -qE -- "$p"; then bad "$what (no /$p/)" "$s"; return; fi
    done
    ok "$what"
}
hasnt() { # SECTION WHAT PATTERN
    if section "$1" | grep -qE -- "$3"; then bad "$2 (/$3/ present)" "$1"; else ok "$2"; fi
}
kv() { section "$1" | sed -n "s/^$2=//p" | head -1; }

if ! grep -q '===PT-BEGIN end===' "$RES"; then
    echo "FAIL L1 did not reach its end"
    tail -n 30 "$RUN/l1.log"
    exit 1
fi
has agent "pt-agent bound edu and the VGA slot at boot in L1" '^rc=0'

# edu: L2's monitor lists the device; vfio-pci opened it (no VFIO error)
has edu "edu: L2 QEMU started by pt-vm from pt's state" '^pt-vm: starting edu as root: .*-device vfio-pci,host=0000:00:03.0,bus=pcie.0,addr=0x10.0x0'
has edu "edu: L2's monitor (info pci) lists 1234:11e8 at the slot pt-vm gave it" \
    'Bus  0, device  16, function 0:' 'PCI device 1234:11e8'
hasnt edu "edu: no VFIO error in L2 (only the expected 'no available reset mechanism')" \
    'vfio.*(failed|error|Error)|VFIO_MAP_DMA'

# gpu: both functions, multifunction, addresses kept; x-vga on the boot VGA
has gpu "gpu slot: -device args as pt-status qemu-args makes them (multifunction, x-vga)" \
    'vfio-pci,host=0000:00:05.0,bus=pcie.0,addr=0x10.0x0,multifunction=on,x-vga=on' \
    'vfio-pci,host=0000:00:05.1,bus=pcie.0,addr=0x10.0x1'
has gpu "gpu slot: L2 sees VGA 1234:1111 at 16.0 and the HDA 8086:293e at 16.1" \
    'Bus  0, device  16, function 0:' 'VGA controller: PCI device 1234:1111' \
    'Bus  0, device  16, function 1:' 'Audio controller: PCI device 8086:293e'

# memlock
has memlock-low "memlock: as vmuser with 8 MiB, pt-vm refuses and says what to set" \
    'FAIL memlock: the memory-lock limit is 8 MiB, but VFIO pins all of a 64 MiB guest' \
    'LimitMEMLOCK=192M in pt-vm@eduuser.service' 'eduuser not started' '^rc=1'
hasnt memlock-low "memlock: refused before QEMU ran (no QEMU error line)" '^qemu-system-x86_64: '
has memlock-raised "memlock: limit raised, L2 starts as vmuser and opens edu" \
    '^pt-vm: starting eduuser as vmuser' 'PCI device 1234:11e8'
has memlock-raised-owner "memlock: vmuser's VARS file is owned by vmuser" ' 1000 +1000 .*OVMF_VARS.fd'

# in use
has in-use "in use: pt-vm check names the group another L2 holds" \
    'FAIL open /dev/vfio/[0-9]+: /dev/vfio/[0-9]+ is in use' '^check-rc=1'
has in-use "in use: pt-status reports it too (exclusive open), not 'All well'" \
    '^  - /dev/vfio/[0-9]+ is in use: another program holds the group' '^status-rc=1'

# VARS
a1=$(kv vars a1) b1=$(kv vars b1) tm=$(kv vars tmpl) aw=$(kv vars a-written)
a2=$(kv vars-after a2) a3=$(kv vars-after a3) old=$(kv vars-after old)
if [ -n "$a1" ] && [ "$a1" = "$tm" ] && [ "$b1" = "$tm" ] && [ "$(kv vars ia)" != "$(kv vars ib)" ]; then
    ok "VARS: two VMs got two files (two inodes) from one template"
else bad "VARS: two files from one template" vars; fi
has vara "VARS: QEMU got the CODE read-only and this VM's VARS" \
    'if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd' \
    'if=pflash,format=raw,unit=1,file=/var/lib/pt/vm/vara/OVMF_VARS.fd'
if [ -n "$a2" ] && [ "$a2" = "$aw" ] && [ "$aw" != "$a1" ]; then
    ok "VARS: a second start keeps the first's (written) file byte for byte"
else bad "VARS: second start keeps the file" vars-after; fi
if [ "$old" = "$aw" ] && [ "$a3" = "$tm" ]; then
    ok "VARS: reset-vars: a fresh copy, the old one kept beside it"
else bad "VARS: reset-vars" vars-after; fi

# disks
has disk-mounted "disk: the ext4 disk mounted in L1 is refused" \
    'FAIL disk: /dev/disk/by-id/virtio-pthost \(vd[a-z]\) is refused: vd[a-z] is mounted on /mnt/host' '^rc=1'
has disk-free "disk: the unmounted disk by its by-id name goes raw with cache=none; L2 opened it" \
    'ok +disk|file=/dev/disk/by-id/virtio-ptwin,if=none,id=ptdisk0,format=raw,cache=none' \
    'ptdisk0.*/dev/disk/by-id/virtio-ptwin'

# USB
has usb "usb: L1's usb-tablet becomes -device usb-host,vendorid=0x0627,productid=0x0001" \
    'usb-host,bus=ptxhci.0,vendorid=0x0627,productid=0x0001'
has usb "usb: L2's monitor (info usb) lists the tablet, opened through usb-host" 'Product QEMU USB Tablet'

for s in edu gpu memlock-raised vara disk-free usb; do
    e2e_step "L2 $s: $(kv "$s" ms) ms"
done
echo "$pass passed, $failn failed (L1 boot with every L2: $BOOT_S s)"
[ "$failn" = 0 ]
