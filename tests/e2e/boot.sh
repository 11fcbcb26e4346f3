#!/bin/bash
# boot.sh — boot Debian's kernel with an e2e initramfs in QEMU (TCG).
#
# usage: boot.sh -e KERNEL_ENV -r INITRD -l LOG [options] [-- QEMU_ARGS...]
#   -e FILE    kernel.env written by kernel.sh (gives VMLINUZ)
#   -r FILE    initramfs from mkinitrd.sh
#   -l FILE    console log: ttyS0, kernel messages + init output
#   -o FILE    results log: ttyS1, only what the init's e2e_say writes
#              (default: LOG with ".log" replaced by ".res")
#   -d DEV     extra "-device DEV" (repeatable), after intel-iommu
#   -n         no emulated IOMMU (omit -device intel-iommu)
#   -N         omit intel_iommu=on from the kernel command line
#   -c ARGS    more kernel command-line arguments (appended)
#   -t SECS    timeout for the whole boot (default 240)
#   -m MB      guest memory (default 1024)
#   -u         UEFI: boot through OVMF (/usr/share/qemu/OVMF.fd, package
#              ovmf) instead of SeaBIOS; gives an efifb boot framebuffer
#   -q         quiet (no progress line)
#
# QEMU's own stderr goes to LOG with ".log" replaced by ".qemu" and is
# printed when QEMU fails. A silent audio backend "snd0" is always
# defined: give HDA codecs audiodev=snd0 (e.g. -d hda-duplex,bus=hda.0,
# audiodev=snd0) or QEMU tries the host's ALSA.
#
# The guest is q35 with -nodefaults (no default VGA/NIC, so device
# addresses are exactly what -d gives), one vCPU, TCG only, -no-reboot,
# kernel command line "console=ttyS0 panic=-1 no_timer_check intel_iommu=on
# ARGS".
# The init ends the run with "echo o > /proc/sysrq-trigger" (e2e_poweroff).
# Exit status: QEMU's (0 after a clean poweroff or a panic with
# -no-reboot), 124 when the timeout fired.
set -eu -o pipefail

die() { echo "boot.sh: $*" >&2; exit 2; }
usage() { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

ENVF='' INITRD='' LOG='' RES='' IOMMU=1 IOMMU_ON=1 EXTRA='' TMO=240 MEM=1024 QUIET=''
DEVS=()
FW=()
while getopts "e:r:l:o:d:nNc:t:m:uqh" opt; do
    case $opt in
        e) ENVF=$OPTARG ;;
        r) INITRD=$OPTARG ;;
        l) LOG=$OPTARG ;;
        o) RES=$OPTARG ;;
        d) DEVS+=(-device "$OPTARG") ;;
        n) IOMMU='' ;;
        N) IOMMU_ON='' ;;
        c) EXTRA="$EXTRA $OPTARG" ;;
        t) TMO=$OPTARG ;;
        m) MEM=$OPTARG ;;
        u) FW=(-bios /usr/share/qemu/OVMF.fd) ;;
        q) QUIET=1 ;;
        *) usage ;;
    esac
done
shift $((OPTIND - 1))
if [ -z "$ENVF" ] || [ -z "$INITRD" ] || [ -z "$LOG" ]; then usage; fi
[ -n "$RES" ] || RES=${LOG%.log}.res
[ "$RES" != "$LOG" ] || RES=$LOG.res
QLOG=${LOG%.log}.qemu
[ "$QLOG" != "$LOG" ] || QLOG=$LOG.qemu
[ -f "$ENVF" ] || die "no kernel env $ENVF (run kernel.sh first)"
VMLINUZ=$(sed -n 's/^VMLINUZ=//p' "$ENVF")
[ -f "$VMLINUZ" ] || die "no kernel $VMLINUZ"
[ -f "$INITRD" ] || die "no initramfs $INITRD"

# no_timer_check: under TCG on a loaded host the kernel's early check of
# the IO-APIC timer can fail ("timer doesn't work through
# Interrupt-remapped IO-APIC") and panic; the check tests the emulator's
# speed, not anything pt does. Seen on 6.1 and on 6.12 (FACTS.md l).
APPEND="console=ttyS0 panic=-1 no_timer_check"
[ -z "$IOMMU_ON" ] || APPEND="$APPEND intel_iommu=on"
APPEND="$APPEND$EXTRA"
IOMMU_DEV=()
[ -z "$IOMMU" ] || IOMMU_DEV=(-device intel-iommu)

mkdir -p "$(dirname "$LOG")" "$(dirname "$RES")"
: >"$LOG"
: >"$RES"
start=$(date +%s%N)
rc=0
timeout -k 5 "$TMO" qemu-system-x86_64 \
    -accel tcg -machine q35 -cpu max -smp 1 -m "$MEM" \
    -nodefaults -no-user-config -display none -no-reboot \
    -serial "file:$LOG" -serial "file:$RES" -audiodev none,id=snd0 \
    "${FW[@]}" "${IOMMU_DEV[@]}" "${DEVS[@]}" \
    -kernel "$VMLINUZ" -initrd "$INITRD" -append "$APPEND" \
    "$@" </dev/null 2>"$QLOG" || rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
if [ "$rc" != 0 ] && [ -s "$QLOG" ]; then sed 's/^/boot.sh: qemu: /' "$QLOG" >&2; fi
if [ "$rc" = 124 ]; then
    echo "boot.sh: TIMEOUT after ${TMO}s; see $LOG" >&2
elif [ -z "$QUIET" ]; then
    echo "boot.sh: qemu exited $rc after ${ms} ms; console $LOG, results $RES" >&2
fi
exit "$rc"
