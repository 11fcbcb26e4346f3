#!/bin/bash
# demo.sh [BUILD_DIR] — `make demo`: see pt-agent hand an emulated GPU to
# vfio-pci in a real kernel, in a QEMU VM, in about a minute.
#
# On a fresh Debian 12 machine it installs what is missing (apt-get:
# qemu-system-x86 busybox-static kmod cpio jq make file), builds the static
# agent (make static), fetches Debian's kernel package once (cached in
# BUILD_DIR/e2e/cache): 6.1 by default, Debian 13's 6.12 (.ko.xz modules)
# with PT_E2E_KERNEL=6.12 (`make demo KERNEL=6.12`), or 6.12-zst (the same
# with .ko.zst modules); see kernel.sh. It builds a small initramfs, and
# boots a VM (TCG, no KVM needed) with:
#   00:05.0  VGA (1234:1111)         } one multifunction slot, so one
#   00:05.1  HD audio (8086:293e)    } IOMMU group: a GPU and its audio
#   00:07.0  e1000e NIC (8086:10d3)    an unrelated device
# and "pt.devices=1234:1111@00:05.0" on the kernel command line: only the
# VGA is listed, pinned by id@address; its audio function follows because
# it shares the VGA's IOMMU group. The guest runs pt-agent first thing (as
# an initramfs hook would), then loads the native drivers (bochs, e1000e,
# snd-hda-intel) like the rest of a boot would, and reports back.
#
# It shows the agent's kernel log lines, each device's driver before and
# after, /run/pt/state.json, and what it all means. Exit 0 when the VM
# booted and the agent's result was "ok".
# Logs: BUILD_DIR/e2e/demo/demo.{log,res,qemu}. BUILD_DIR defaults to
# REPO/build.
set -eu -o pipefail

E2E_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$E2E_DIR/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$E2E_DIR/lib.sh"

case ${1:-} in -h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
[ $# -le 1 ] || { echo "usage: demo.sh [BUILD_DIR]" >&2; exit 2; }
BUILD=${1:-$REPO/build}
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
OUT=$BUILD/e2e/demo
SPEC=1234:1111@00:05.0
K=${PT_E2E_KERNEL:-6.1}
case $K in
    6.1) KDESC="Debian 12's 6.1 kernel package (downloaded once, ~70 MB)" TMO=180 ;;
    6.12) KDESC="Debian 13's 6.12 kernel package, .ko.xz modules (downloaded once, ~110 MB)" TMO=400 ;;
    6.12-zst) KDESC="Debian 13's 6.12 kernel, modules recompressed as .ko.zst" TMO=400 ;;
    *) echo "demo.sh: PT_E2E_KERNEL=$K: want one of 6.1, 6.12, 6.12-zst" >&2; exit 2 ;;
esac
KENV=$BUILD/e2e/kernel-$K.env

if [ -t 1 ]; then
    B=$'\e[1m' G=$'\e[32m' Y=$'\e[33m' R=$'\e[31m' N=$'\e[0m'
else
    B='' G='' Y='' R='' N=''
fi
# progress lines from lib.sh, indented under the current step
e2e_step() { echo "      $*"; }
STEPS=5 STEP=0
step() { STEP=$((STEP + 1)); printf '%s[%d/%d]%s %s\n' "$B" "$STEP" "$STEPS" "$N" "$*"; }
hr() { printf '\n%s== %s ==%s\n' "$B" "$*" "$N"; }

echo "${B}pt demo${N}: pt-agent binds an emulated GPU to vfio-pci at boot (QEMU, TCG, emulated Intel VT-d)"
echo
T0=$(date +%s)

step "checking packages: $E2E_PACKAGES"
e2e_need_packages

step "static agent: $BUILD/static/pt-agent"
e2e_need_agent "$BUILD"
echo "      $(du -k "$BUILD/static/pt-agent" | cut -f1) KiB, $(file -b "$BUILD/static/pt-agent" | cut -d, -f1-2)"

step "kernel: $KDESC"
e2e_need_kernel "$BUILD" "$K"
KVER=$(sed -n 's/^KVER=//p' "$KENV")
echo "      $(sed -n 's/^KPKG=//p' "$KENV") ($KVER, modules $(sed -n 's/^MODEXT=//p' "$KENV"))"

step "initramfs: busybox, pt-agent, vfio + bochs/e1000e/snd-hda-intel modules"
mkdir -p "$OUT"
extra=()
# HOOK(pt-status): once the static build makes pt-status, the guest runs it
# (scenario.init) and the demo shows its report below.
PT_STATUS=$BUILD/static/pt-status
if [ -x "$PT_STATUS" ]; then
    extra=(-f "$PT_STATUS:/sbin/pt-status")
    # libpci's names, where the host has them (package pci.ids)
    [ ! -f /usr/share/misc/pci.ids ] || extra+=(-f /usr/share/misc/pci.ids:/usr/share/misc/pci.ids)
fi
# busybox's insmod cannot read .ko.zst: kmod's loads the native drivers
[ "$K" != 6.12-zst ] || extra+=(-k)
E2E_KENV=$KENV e2e_initrd "$BUILD" "$OUT/demo.cpio" "${extra[@]}" || e2e_die "building the initramfs failed"
echo "      $(du -k "$OUT/demo.cpio" | cut -f1) KiB"

step "booting the VM with pt.devices=$SPEC (under TCG: about 10 s on 6.1, a minute or more on 6.12)"
LOG=$OUT/demo.log RES=$OUT/demo.res
t0=$(date +%s)
rc=0
# shellcheck disable=SC2054 # commas belong to QEMU's option syntax
"$E2E_DIR/boot.sh" -q -e "$KENV" -r "$OUT/demo.cpio" -l "$LOG" -o "$RES" -t "$TMO" \
    -d VGA,addr=05.0,multifunction=on \
    -d ich9-intel-hda,id=hda,addr=05.1 -d hda-duplex,bus=hda.0,audiodev=snd0 \
    -d e1000e,addr=07.0,netdev=n0,romfile= \
    -c "pt.devices=$SPEC e2e.post=bochs,e1000e,snd-hda-intel,snd-hda-codec-generic" \
    -- -netdev user,id=n0,restrict=on || rc=$?
section() { "$E2E_DIR/section.sh" "$RES" "$1" 2>/dev/null; }
if [ "$rc" != 0 ] || ! section end >/dev/null; then
    echo "${R}the VM did not boot to the end (QEMU exit $rc)${N}; last console lines ($LOG):"
    tr -d '\r' <"$LOG" | tail -n 25 | sed 's/^/    /'
    exit 1
fi
echo "      the VM ran and powered off after $(($(date +%s) - t0)) s"
STATE=$OUT/state.json
section state >"$STATE" || true

hr "Kernel log: pt-agent's lines, and the vfio lines its binds caused"
tr -d '\r' <"$LOG" | grep -E '^\[ *[0-9.]+\] (pt-agent|vfio|VFIO)' | awk '!seen[$0]++ { print "  " $0 }' || true

# ---- lspci-like listing from the sysfs facts the guest reported -------------
name_of() {
    case $1 in
        1234:1111) echo "VGA (QEMU std VGA)" ;;
        8086:293e) echo "HD audio (ICH9)" ;;
        8086:10d3) echo "Ethernet (82574L)" ;;
        8086:29c0) echo "host bridge" ;;
        8086:2918) echo "ISA bridge (ICH9)" ;;
        8086:2922) echo "SATA AHCI (ICH9)" ;;
        8086:2930) echo "SMBus (ICH9)" ;;
        *) echo "?" ;;
    esac
}
field() { # SECTION ADDR FIELD
    section "$1" | awk -v a="$2" -v f="$3=" '$1 == a { for (i = 3; i <= NF; i++)
        if (index($i, f) == 1) { print substr($i, length(f) + 1); exit } }'
}
colour() { # DRIVER
    case $1 in
        vfio-pci) printf '%s%-16s%s' "$G" "$1" "$N" ;;
        -) printf '%-16s' "(none)" ;;
        *) printf '%s%-16s%s' "$Y" "$1" "$N" ;;
    esac
}
trim() { sed 's/ *$//'; }
hr "PCI functions and their drivers (from sysfs in the VM)"
printf '  %-8s %-10s %-20s %-5s %-16s %-16s %s\n' ADDRESS ID DEVICE GROUP \
    "before pt-agent" "after pt-agent" "after native drivers loaded"
section pci-final | while read -r addr id _; do
    printf '  %-8s %-10s %-20s %-5s %s %s %s\n' "${addr#0000:}" "$id" "$(name_of "$id")" \
        "$(field pci-final "$addr" group)" "$(colour "$(field pci-before "$addr" driver)")" \
        "$(colour "$(field pci-agent "$addr" driver)")" "$(colour "$(field pci-final "$addr" driver)")"
done | trim
echo
echo "  /dev/vfio in the VM: $(section vfio | awk '{ printf "%s%s (%s)", sep, $1, $4; sep = ", " }')"

hr "/run/pt/state.json (what a VM launcher or pt-status reads)"
if [ -s "$STATE" ] && jq -e . "$STATE" >/dev/null 2>&1; then
    if [ -t 1 ]; then jq -C . "$STATE"; else jq . "$STATE"; fi | sed 's/^/  /'
else
    echo "  ${R}no valid state file in the VM${N}"
fi

hr "pt-status"
if section pt-status >/dev/null; then
    section pt-status | sed 's/^/  /'
else
    # HOOK(pt-status): shown once BUILD/static/pt-status exists.
    echo "  (pt-status is not built yet; once it is, its report of the same boot appears here)"
fi

# ---- what it means ------------------------------------------------------------------
result=$(jq -r '.result // "none"' "$STATE" 2>/dev/null || echo none)
dev() { jq -r --arg a "$1" --arg f "$2" '.devices[] | select(.addr == $a) | .[$f] // "-"' "$STATE" 2>/dev/null; }
g=$(dev 0000:00:05.0 iommu_group)
vga=$(field pci-final 0000:00:05.0 driver) hda=$(field pci-final 0000:00:05.1 driver)
nic=$(field pci-final 0000:00:07.0 driver)
hr "What you saw"
if [ "$result" = ok ] && [ "$vga/$hda/$nic" = vfio-pci/vfio-pci/e1000e ]; then
    cat <<EOF
  The kernel command line said ${B}pt.devices=$SPEC${N}: "the device 1234:1111,
  but only if it is the one at 00:05.0". pt-agent ran first in the
  initramfs, before any GPU, sound or network driver, and:
  - bound 00:05.0 (the VGA) to vfio-pci (action "$(dev 0000:00:05.0 action)");
  - bound 00:05.1 (its audio function) too, although it was not listed:
    selected by "$(dev 0000:00:05.1 selected_by)". Both are in IOMMU group $g,
    and a VM can only be given a whole group (pt.group=auto adds the other
    functions of the listed device's slot);
  - left 00:07.0 (the NIC) alone. When the native drivers loaded afterwards,
    e1000e took the NIC, while bochs and snd-hda-intel found the GPU's
    functions already claimed (driver_override=vfio-pci).
  vfio-pci came from $(jq -r '.modules[] | select(.name == "vfio-pci") | .path // "(already loaded)"' "$STATE")
  (kernel $KVER), read by the agent's own static libkmod.
  /dev/vfio/$g is what a VM launcher opens, e.g. QEMU with
  "-device vfio-pci,host=0000:00:05.0 -device vfio-pci,host=0000:00:05.1".
  The state file records all of it for the launcher; result: ${B}$result${N}.
EOF
else
    cat <<EOF
  ${R}Not what was expected${N}: result "$result" (want ok); at the end the VGA
  had "$vga", the audio function "$hda" (want vfio-pci for both) and the
  NIC "$nic" (want e1000e). The kernel log lines and the state file above
  say why.
EOF
fi
echo "  Logs: $LOG (console), $RES (results). Total $(($(date +%s) - T0)) s."
[ "$result" = ok ] && [ "$vga/$hda/$nic" = vfio-pci/vfio-pci/e1000e ]
