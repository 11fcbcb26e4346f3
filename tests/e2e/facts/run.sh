#!/bin/bash
# run.sh BUILD_DIR [SCENARIO...] — rerun the experiments behind FACTS.md.
# Scenarios: topo efi vesa noiommu noiommu-off order early hdafast kmsg
#            kmod-busybox kmod chain   (default: all)
# Logs: BUILD_DIR/e2e/facts/[KERNEL/]SCENARIO.{log,res,qemu}; the results
# channel of each boot is printed to stdout. PT_E2E_KERNEL=6.12 runs them
# on Debian 13's kernel (default 6.1).
set -eu -o pipefail
[ $# -ge 1 ] || { echo "usage: run.sh BUILD_DIR [SCENARIO...]" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
E2E=$HERE/..
mkdir -p "$1"
B=$(cd "$1" && pwd)/e2e
shift
OUT=$B/facts
mkdir -p "$OUT"

# PT_E2E_KERNEL: the kernel (6.1, 6.12 or 6.12-zst; see kernel.sh)
K=${PT_E2E_KERNEL:-6.1}
"$E2E/kernel.sh" "$(dirname "$B")" "$K" >/dev/null
ENV=$B/kernel-$K.env
[ "$K" = 6.1 ] || OUT=$OUT/$K
mkdir -p "$OUT"
"$E2E/mkinitrd.sh" -q -e "$ENV" -i "$HERE/facts.init" -o "$OUT/facts.cpio"
"$E2E/mkinitrd.sh" -q -k -e "$ENV" -i "$HERE/facts.init" -o "$OUT/facts-kmod.cpio"

# stand-in for the agent in chain-init mode (rdinit=/pt-agent): it runs
# as PID 1 before /init, with nothing mounted, and execs /init.
cat >"$OUT/fake-agent" <<'AGENT'
#!/bin/sh
# nothing is mounted yet: /dev holds only what the cpio holds
devs=$(ls -A /dev | tr '\n' ' ')
kmsg=absent; [ -c /dev/kmsg ] && kmsg=present
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev
echo "<6>fake-agent: pid $$, /dev before mount: [$devs] /dev/kmsg $kmsg; conf: $(cat /etc/pt.conf)" >/dev/kmsg
umount /dev
umount /proc
exec /init
AGENT
echo "devices = 1234:11e8" >"$OUT/pt.conf"
cat >"$OUT/chain.init" <<'INIT'
#!/bin/sh
. /lib/pt-e2e.sh
e2e_setup
e2e_begin chain
e2e_run sh -c 'dmesg | grep -E "fake-agent|Run /"'
e2e_run ls -l /pt-agent /sbin/pt-agent /etc/pt.conf
e2e_end chain
e2e_poweroff
INIT
"$E2E/mkinitrd.sh" -q -e "$ENV" -i "$OUT/chain.init" -a "$OUT/fake-agent" \
    -f "$OUT/pt.conf:/etc/pt.conf" -m vfio-pci -o "$OUT/chain.cpio"

# shellcheck disable=SC2054 # commas belong to QEMU's option syntax
DEVS=(-d edu,addr=03.0 -d VGA,addr=05.0,multifunction=on
    -d ich9-intel-hda,id=hda,addr=05.1 -d hda-duplex,bus=hda.0,audiodev=snd0
    -d pcie-root-port,id=rp1,chassis=1,slot=1,addr=06.0 -d edu,bus=rp1
    -d e1000e,addr=07.0,netdev=n0 -d e1000e,addr=08.0,netdev=n1)
# shellcheck disable=SC2054
NET=(-- -netdev user,id=n0,restrict=on -netdev user,id=n1,restrict=on)
ALL="topo efi vesa noiommu noiommu-off order early hdafast kmsg kmod-busybox kmod chain"

boot() { # NAME INITRD BOOT.SH-ARGS...
    local name=$1 rd=$2
    shift 2
    echo "##### $name"
    local t0 rc=0
    t0=$(date +%s%N)
    "$E2E/boot.sh" -q -e "$ENV" -r "$rd" -l "$OUT/$name.log" "$@" || rc=$?
    tr -d '\r' <"$OUT/$name.res"
    echo "##### $name: qemu rc=$rc, wall $((($(date +%s%N) - t0) / 1000000)) ms"
}

[ $# -gt 0 ] || read -ra SCEN <<<"$ALL"
[ $# -eq 0 ] || SCEN=("$@")
for s in "${SCEN[@]}"; do
    case $s in
        topo) boot topo "$OUT/facts.cpio" -c "e2e.scenario=topo e2e.bind=0000:00:03.0,0000:01:00.0,0000:00:05.0,0000:00:07.0,0000:00:05.1" \
            "${DEVS[@]}" -d e1000e,netdev=n2 "${NET[@]}" -netdev user,id=n2,restrict=on ;;
        efi) boot efi "$OUT/facts.cpio" -u -c "e2e.scenario=topo e2e.native=0 e2e.bind=0000:00:05.0" "${DEVS[@]}" "${NET[@]}" ;;
        vesa) boot vesa "$OUT/facts.cpio" -c "vga=0x317 e2e.scenario=topo e2e.native=0 e2e.bind=0000:00:05.0" -d VGA,addr=05.0 ;;
        noiommu) boot noiommu "$OUT/facts.cpio" -n -c "e2e.scenario=noiommu e2e.bind=0000:00:03.0,0000:00:07.0" "${DEVS[@]}" "${NET[@]}" ;;
        noiommu-off) boot noiommu-off "$OUT/facts.cpio" -n -N -c "e2e.scenario=noiommu e2e.bind=0000:00:03.0" "${DEVS[@]}" "${NET[@]}" ;;
        order | early | hdafast) boot "$s" "$OUT/facts.cpio" -c "e2e.scenario=$s" "${DEVS[@]}" "${NET[@]}" ;;
        kmsg) boot kmsg "$OUT/facts.cpio" -c "e2e.scenario=kmsg" ;;
        kmod-busybox) boot kmod-busybox "$OUT/facts-kmod.cpio" -c "e2e.scenario=kmod e2e.mp=busybox" -d VGA ;;
        kmod) boot kmod "$OUT/facts-kmod.cpio" -c "e2e.scenario=kmod e2e.mp=kmod" -d VGA ;;
        chain) boot chain "$OUT/chain.cpio" -c "rdinit=/pt-agent" ;;
        *) echo "unknown scenario $s" >&2; exit 2 ;;
    esac
done
