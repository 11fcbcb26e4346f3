#!/bin/bash
# run.sh [BUILD_DIR] [SCENARIO...] — the end-to-end suite: the static
# pt-agent in Debian's real kernels under QEMU (TCG, q35, emulated VT-d),
# one boot per scenario and kernel, assertions with jq on the state file
# and on the sysfs facts the guest reports.
#
# Kernels (PT_E2E_KERNEL, a list; default "6.1 6.12 6.12-zst"; see
# kernel.sh): Debian 12's 6.1 (uncompressed .ko), Debian 13's 6.12 (.ko.xz
# under /usr/lib/modules) and the same 6.12 with its modules recompressed
# as .ko.zst. Every scenario runs on 6.1 and 6.12; on 6.12-zst only those
# of ZST_SCEN (below) unless scenarios are named. Where the kernels differ,
# kfact (below) says what each one does (FACTS.md, section l).
#
# BUILD_DIR defaults to REPO/build; a first argument that is a scenario
# name is taken as a scenario. Without scenarios, all run, in this order:
#   edu gpu-slot twin-nics recover pinned-mismatch bad-spec no-iommu off
#   dryrun root-port config config-override chain-init no-vfio-module
#   root-guard root-unresolved fb-release fb-keep status chipset-group
#
# On a fresh Debian 12 machine it installs what is missing (apt-get),
# builds the static agent (make static) when it is missing or older than
# agent/, and fetches Debian's kernel package once (cached in
# BUILD_DIR/e2e/cache).
#
# Output (stdout): one line per scenario and kernel, "PASS name [kernel]
# (Ns)" or "FAIL name [kernel]: reason" followed by the relevant part of
# the guest's log,
# then "N passed, M failed". Setup progress goes to stderr. Exit 1 if any
# scenario failed, 2 on a usage or setup error.
# Logs: BUILD_DIR/e2e/run/KERNEL/NAME.{log,res,qemu,state.json}.
#
# Environment:
#   PT_E2E_JOBS     boots run in parallel (default 2 on two or more cores,
#                   else 1); results are printed in scenario order
#   PT_E2E_KERNEL   the kernels (default "6.1 6.12 6.12-zst")
#   PT_E2E_TIMEOUT  seconds per boot before QEMU is killed (default 180 on
#                   6.1, 300 on 6.12: bounds for a loaded host, not speed
#                   targets; 6.12's boot and .ko.xz loads are slower)
#   PT_E2E_KPKG     pin a kernel package (see kernel.sh)
#   PT_E2E_AGENT    test this static agent binary instead of
#                   BUILD_DIR/static/pt-agent (make static is then skipped)
# shellcheck disable=SC2016 # jq programs: their $names are jq's
set -eu -o pipefail

E2E_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$E2E_DIR/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$E2E_DIR/lib.sh"

ALL=(edu gpu-slot twin-nics recover pinned-mismatch bad-spec no-iommu off dryrun
    root-port config config-override chain-init no-vfio-module root-guard root-unresolved
    fb-release fb-keep status chipset-group)
# Two boots at a time on two cores or more (each QEMU is one TCG thread).
JOBS=${PT_E2E_JOBS:-$(if [ "$(nproc 2>/dev/null || echo 1)" -ge 2 ]; then echo 2; else echo 1; fi)}
# The zstd boot proves the zstd decoder (the agent loads vfio-pci from
# .ko.zst) and loads native drivers from .ko.zst before and after it.
ZST_SCEN=(edu recover)
KLIST=${PT_E2E_KERNEL:-6.1 6.12 6.12-zst}
read -ra KERNELS <<<"${KLIST//,/ }"
[ ${#KERNELS[@]} -gt 0 ] || { echo "run.sh: PT_E2E_KERNEL is empty" >&2; exit 2; }
for k in "${KERNELS[@]}"; do
    case $k in 6.1 | 6.12 | 6.12-zst) ;; *) echo "run.sh: unknown kernel '$k' (known: 6.1 6.12 6.12-zst)" >&2; exit 2 ;; esac
done
tmo_of() { case $1 in 6.1) echo "${PT_E2E_TIMEOUT:-180}" ;; *) echo "${PT_E2E_TIMEOUT:-300}" ;; esac; }

usage() { sed -n '2,/^set -eu/p' "$0" | sed '$d; /^# shellcheck/d; s/^# \{0,1\}//' >&2; exit 2; }
known() { local s; for s in "${ALL[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

case ${1:-} in -h | --help) usage ;; esac
BUILD=$REPO/build
if [ $# -gt 0 ] && ! known "$1"; then
    BUILD=$1
    shift
fi
SCEN=("$@")
[ $# -gt 0 ] || SCEN=("${ALL[@]}")
for s in "${SCEN[@]}"; do
    known "$s" || { echo "run.sh: unknown scenario '$s' (known: ${ALL[*]})" >&2; exit 2; }
done
# The runs: "scenario kernel" pairs, kernel by kernel.
RUNS=()
for k in "${KERNELS[@]}"; do
    for s in "${SCEN[@]}"; do
        if [ "$k" = 6.12-zst ] && [ $# -eq 0 ] && [[ " ${ZST_SCEN[*]} " != *" $s "* ]]; then continue; fi
        RUNS+=("$s $k")
    done
done
case $JOBS in [1-9]) ;; *) echo "run.sh: PT_E2E_JOBS must be 1-9" >&2; exit 2 ;; esac

mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
RUN=$BUILD/e2e/run
T0=$(date +%s)

# ---- setup ------------------------------------------------------------------
e2e_need_packages
if [ -n "${PT_E2E_AGENT:-}" ]; then
    [ -f "$PT_E2E_AGENT" ] || e2e_die "PT_E2E_AGENT=$PT_E2E_AGENT: no such file"
    E2E_AGENT=$(cd "$(dirname "$PT_E2E_AGENT")" && pwd)/$(basename "$PT_E2E_AGENT")
else
    e2e_need_agent "$BUILD"
    E2E_AGENT=$BUILD/static/pt-agent
fi
e2e_need_kernel "$BUILD" "${KERNELS[@]}"
rm -rf "$RUN"
mkdir -p "$RUN"

# Initramfs variants (built once per run and kernel, ~0.5 s each, in
# RUN/KERNEL/; the 6.12-zst ones also hold kmod, whose insmod loads the
# native drivers: busybox's insmod cannot read .ko.zst):
#   std     default modules (vfio, vfio-pci, pci-stub, bochs, e1000e,
#           snd-hda-intel + codec) and the agent; /init = scenario.init
#   conf    std + /etc/pt.conf (the config blob below)
#   novfio  std without vfio-pci.ko (vfio and vfio_iommu_type1 stay)
#   disk    std + virtio_pci, virtio_blk, ext4 (the root-disk guard)
#   status  std + the static pt-status and the host's pci.ids
initrd_of() {
    case $1 in
        config | config-override) echo conf ;;
        no-vfio-module) echo novfio ;;
        root-guard | root-unresolved) echo disk ;;
        status) echo status ;;
        chipset-group) echo chipset ;;
        *) echo std ;;
    esac
}
# The "root disk": ext4 with a known UUID and a file to read back.
DISK_UUID=2d6c9a4e-7f0b-4c1e-9d3a-5b8e1f2a6c70
cat >"$RUN/pt.conf" <<'CONF'
# pt.conf for the e2e suite: same keys as the command line, without "pt."
devices = 1234:11e8
onfail = keep
CONF
# shellcheck source-path=SCRIPTDIR source=chipset.sh
. "$E2E_DIR/chipset.sh"
declare -A BUILT=()
for r in "${RUNS[@]}"; do
    s=${r% *} k=${r#* }
    v=$(initrd_of "$s")
    [ -z "${BUILT[$k/$v]:-}" ] || continue
    BUILT[$k/$v]=1
    mkdir -p "$RUN/$k"
    kopt=()
    [ "$k" != 6.12-zst ] || kopt=(-k)
    export E2E_KENV=$BUILD/e2e/kernel-$k.env
    case $v in
        std) e2e_initrd "$BUILD" "$RUN/$k/std.cpio" "${kopt[@]}" ;;
        conf) e2e_initrd "$BUILD" "$RUN/$k/conf.cpio" "${kopt[@]}" -f "$RUN/pt.conf:/etc/pt.conf" ;;
        novfio) e2e_initrd "$BUILD" "$RUN/$k/novfio.cpio" "${kopt[@]}" \
            -m "vfio vfio_iommu_type1 pci-stub bochs e1000e snd-hda-intel snd-hda-codec-generic" ;;
        disk)
            e2e_initrd "$BUILD" "$RUN/$k/disk.cpio" "${kopt[@]}" -m "+virtio_pci virtio_blk ext4" &&
                { [ -f "$RUN/disk.img" ] || {
                    mkdir -p "$RUN/disk.d" && echo pt-root-disk >"$RUN/disk.d/hello" &&
                        mkfs.ext4 -q -F -U "$DISK_UUID" -L ptroot -d "$RUN/disk.d" "$RUN/disk.img" 8M >&2
                }; }
            ;;
        status)
            [ -x "$BUILD/static/pt-status" ] || e2e_die "no $BUILD/static/pt-status (make static)"
            ids=()
            [ ! -f /usr/share/misc/pci.ids ] || ids=(-f /usr/share/misc/pci.ids:/usr/share/misc/pci.ids)
            e2e_initrd "$BUILD" "$RUN/$k/status.cpio" "${kopt[@]}" -f "$BUILD/static/pt-status:/sbin/pt-status" "${ids[@]}"
            ;;
        chipset) e2e_chipset_initrd "$BUILD" "$RUN/$k/chipset.cpio" ;;
    esac || e2e_die "building the $v initramfs for $k failed"
    if [ "$v" = novfio ] && cpio -t --quiet <"$RUN/$k/novfio.cpio" | grep -q '/vfio-pci\.ko'; then
        e2e_die "the $k novfio initramfs still holds vfio-pci.ko"
    fi
done
unset E2E_KENV
kv_of() { sed -n "s/^$2=//p" "$BUILD/e2e/kernel-$1.env"; }
for k in "${KERNELS[@]}"; do
    e2e_step "kernel $k: $(kv_of "$k" KVER), modules $(kv_of "$k" MODEXT)"
done
e2e_step "agent $E2E_AGENT, ${#RUNS[@]} boots on ${#KERNELS[@]} kernels, $JOBS at a time (setup $(($(date +%s) - T0)) s)"

# ---- where the kernels differ ---------------------------------------------------
# kfact KEY: what the kernel of the current run (K) does; found by running
# each kernel (FACTS.md, section l).
kfact() {
    case $1/$K in
        # /dev/vfio/N's char major with the std initramfs's modules (the
        # major is allocated dynamically; this set of modules gives these)
        vfio-major/6.1) echo 246 ;;
        vfio-major/6.12*) echo 245 ;;
        # q35's own functions: the host bridge alone, LPC/AHCI/SMBus in one
        # group, in the same order on both kernels
        q35-groups/*) echo "0000:00:00.0|0000:00:1f.0 0000:00:1f.2 0000:00:1f.3" ;;
        # the vfio modules loaded with vfio-pci (6.12 builds vfio_virqfd
        # into vfio)
        vfio-modules/6.1) echo "vfio vfio_pci vfio_pci_core vfio_iommu_type1 vfio_virqfd irqbypass" ;;
        vfio-modules/6.12*) echo "vfio vfio_pci vfio_pci_core vfio_iommu_type1 irqbypass" ;;
        # the PCI driver names of the native drivers (bochs's is bochs-drm)
        drivers/*) echo "0000:00:05.0=bochs-drm 0000:00:05.1=snd_hda_intel 0000:00:07.0=e1000e" ;;
        *) echo "run.sh: no fact $1 for kernel $K" >&2; echo "?" ;;
    esac
}

# ---- assertion helpers (used inside one scenario's subshell) -------------------
# NAME LOG RES STATE and FAILS are per scenario; DEVS and QARGS collect the
# QEMU devices.
FAILS=()
fail() { FAILS+=("$*"); }

# section NAME: the lines of one section of the results channel
section() { "$E2E_DIR/section.sh" "$RES" "$1" 2>/dev/null; }

# jq on the state file; prints "(no state)" when there is none
sj() { if [ -s "$STATE" ]; then jq -r "$@" "$STATE" 2>&1 || true; else echo "(no state)"; fi; }

# expect EXPR WANT: jq -r EXPR on the state file prints exactly WANT
expect() {
    local got
    got=$(sj "$1")
    [ "$got" = "$2" ] || fail "state $1 is '$got', want '$2'"
}

# dev ADDR FIELD: a field of the device entry for ADDR ("" if none)
dev() { sj --arg a "$1" --arg f "$2" '.devices[] | select(.addr == $a) | .[$f]'; }
dev_is() {
    local got
    got=$(dev "$1" "$2")
    [ "$got" = "$3" ] || fail "$1 .$2 is '$got', want '$3'"
}
not_listed() {
    local got
    got=$(sj --arg a "$1" '[.devices[] | select(.addr == $a)] | length')
    [ "$got" = 0 ] || fail "$1 is in the state file's devices, want it absent"
}

# pci SECTION ADDR FIELD: driver, override or group from an e2e_pci section
pci() { section "$1" | awk -v a="$2" -v f="$3=" '$1 == a { for (i = 3; i <= NF; i++) if (index($i, f) == 1) { print substr($i, length(f) + 1); exit } }'; }
drv_is() { # SECTION ADDR DRIVER ("-" = none)
    local got
    got=$(pci "$1" "$2" driver)
    [ "$got" = "$3" ] || fail "$2 driver in $1 is '${got:-(no such device)}', want '$3'"
}
ovr_is() { # SECTION ADDR OVERRIDE
    local got
    got=$(pci "$1" "$2" override)
    [ "$got" = "$3" ] || fail "$2 driver_override in $1 is '${got:-(no such device)}', want '$3'"
}

# vfio_node_ok ADDR: vfio_node is /dev/vfio/<its group>, a char device in the guest
vfio_node_ok() {
    local g node
    g=$(dev "$1" iommu_group)
    node=$(dev "$1" vfio_node)
    [ "$node" = "/dev/vfio/$g" ] || fail "$1 vfio_node is '$node', want '/dev/vfio/$g'"
    [ "$(pci pci-final "$1" group)" = "$g" ] || fail "$1 iommu_group $g in the state, $(pci pci-final "$1" group) in sysfs"
    section vfio | grep -q "^$g char " || fail "no /dev/vfio/$g char device in the guest"
}

# bound ADDR [ACTION]: action (default bound), on vfio-pci in the state
# and in sysfs (after the native drivers were loaded), /dev/vfio/N exists
bound() {
    dev_is "$1" action "${2:-bound}"
    dev_is "$1" driver_after vfio-pci
    dev_is "$1" error null
    drv_is pci-final "$1" vfio-pci
    vfio_node_ok "$1"
}

# untouched ADDR DRIVER: not handed to vfio, override never written,
# driver DRIVER at the end ("-" = none)
untouched() {
    local a
    a=$(dev "$1" action)
    case $a in bound | recovered | already-bound) fail "$1 has action '$a', want it not bound" ;; esac
    drv_is pci-final "$1" "$2"
    ovr_is pci-final "$1" "(null)"
    ovr_is pci-agent "$1" "(null)"
}

# groups_are LIST: the IOMMU groups in sysfs, in group number order, their
# members space-separated, groups separated by "|", are exactly LIST
groups_are() {
    local got
    got=$(section groups | sed 's/^group [0-9]*: //' | paste -sd '|')
    [ "$got" = "$1" ] || fail "IOMMU groups are '$got', want '$1'"
}

# vfio_pci_file: the agent loaded vfio-pci, from the kernel's own file:
# .ko on 6.1, .ko.xz on 6.12, .ko.zst on 6.12-zst (its libkmod decoders)
vfio_pci_file() {
    expect '.modules[] | select(.name == "vfio-pci") | .result + " " + .path' \
        "loaded /lib/modules/$KVER/kernel/drivers/vfio/pci/vfio-pci$MODEXT"
}

kmsg_has() { section kmsg | grep -qE -- "$1" || fail "kernel log has no line matching /$1/"; }
mod_loaded() { section modules | grep -qx "$1" || fail "module $1 is not loaded in the guest"; }
mod_absent() { if section modules | grep -qx "$1"; then fail "module $1 is loaded in the guest, want it not loaded"; fi; }

# QEMU devices (boot.sh -d) and extra QEMU arguments
DEVS=()
QARGS=()
d() { DEVS+=(-d "$1"); }
d_edu() { d "edu,addr=$1"; }
d_nic() { # ADDR: e1000e with a restricted user-mode backend, no option ROM
    local id=n${#QARGS[@]}
    d "e1000e,addr=$1,netdev=$id,romfile="
    QARGS+=(-netdev "user,id=$id,restrict=on")
}
d_gpu() { # SLOT: VGA as function 0, ich9-intel-hda as function 1 (+ codec)
    d "VGA,addr=$1.0,multifunction=on"
    d "ich9-intel-hda,id=hda$1,addr=$1.1"
    d "hda-duplex,bus=hda$1.0,audiodev=snd0"
}

# boot INITRD [boot.sh options]: boot once; check what every scenario
# needs (QEMU ended in time, the init reached its end, the agent exited 0,
# a state file that passes the schema checks). Returns 1 when there is
# nothing left worth checking.
boot() {
    local rd=$KRUN/$1.cpio rc=0 p
    shift
    "$E2E_DIR/boot.sh" -q -e "$ENVF" -r "$rd" -l "$LOG" -o "$RES" -t "$TMO" \
        "${DEVS[@]}" "$@" -- "${QARGS[@]}" 2>>"$KRUN/$NAME.boot" || rc=$?
    if [ "$rc" = 124 ]; then fail "QEMU timed out after $TMO s"; return 1; fi
    [ "$rc" = 0 ] || { fail "QEMU exited $rc: $(head -c 300 "${LOG%.log}.qemu")"; return 1; }
    if ! section end >/dev/null; then
        p=$(tr -d '\r' <"$LOG" | grep -m 1 -E 'Kernel panic|BUG:|Oops' || true)
        fail "the guest init did not reach its end${p:+: $p}"
        return 1
    fi
    if section agent >/dev/null; then
        p=$(section agent | sed -n 's/^rc=//p')
        [ "$p" = 0 ] || fail "pt-agent exited '$p', want 0"
    fi
    section state >"$STATE" || true
    if [ ! -s "$STATE" ]; then fail "no /run/pt/state.json in the guest"; return 1; fi
    if ! jq -e . "$STATE" >/dev/null 2>&1; then fail "state.json is not valid JSON"; return 1; fi
    p=$(jq -r -f "$E2E_DIR/schema.jq" "$STATE" 2>&1) || p="schema.jq: $p"
    [ -z "$p" ] || fail "schema: $(echo "$p" | head -n 3 | paste -sd ';' | sed 's/;/; /g')"
    if [ -f "$REPO/tests/state-schema.jq" ] &&
        ! p=$(jq -e -f "$REPO/tests/state-schema.jq" "$STATE" 2>&1 >/dev/null); then
        fail "tests/state-schema.jq: $p"
    fi
    return 0
}

d_disk() { # ADDR: virtio-blk with the ext4 "root disk" (changes are not kept)
    d "virtio-blk-pci,drive=disk0,addr=$1"
    QARGS+=(-drive "file=$RUN/disk.img,if=none,id=disk0,format=raw,snapshot=on")
}

# ---- scenarios -----------------------------------------------------------------
# One function per scenario, sc_<name with _ for ->. Addresses are fixed by
# -nodefaults; IOMMU group numbers are not (read them from the state).

# 1. edu selected by id: bound, /dev/vfio/N, result ok, vfio modules loaded.
sc_edu() {
    d_edu 03.0
    boot std -c "pt.devices=1234:11e8" || return 0
    expect .result ok
    expect .source cmdline
    expect .iommu true
    expect '.devices | length' 1
    bound 0000:00:03.0
    dev_is 0000:00:03.0 selected_by 1234:11e8
    dev_is 0000:00:03.0 driver_before null
    expect '[.groups[] | select(.members == ["0000:00:03.0"]) | .viable] | tostring' '[true]'
    expect '[.modules[] | select(.result == "loaded" or .result == "already") | .name] | sort | join(",")' \
        vfio-pci,vfio_iommu_type1
    mod_loaded vfio_pci
    mod_loaded vfio_iommu_type1
    kmsg_has 'pt-agent: 1 bound'
    vfio_pci_file
    # /dev/vfio: the group node and the container, nothing else (no
    # devices/ directory: neither kernel has IOMMUFD or VFIO_DEVICE_CDEV)
    local g want
    g=$(dev 0000:00:03.0 iommu_group)
    want="$g char $(kfact vfio-major):0 crw-------|vfio char 10:196 crw-rw-rw-"
    [ "$(section vfio | paste -sd '|')" = "$want" ] ||
        fail "/dev/vfio is '$(section vfio | paste -sd '|')', want '$want'"
    local q
    q=$(kfact q35-groups)
    groups_are "${q%%|*}|0000:00:03.0|${q#*|}"
    want=$(kfact vfio-modules)
    [ "$(section modules | paste -sd ' ')" = "$want" ] ||
        fail "loaded modules are '$(section modules | paste -sd ' ')', want '$want'"
}

# 2. GPU-like slot: VGA 05.0 + HDA 05.1 share one IOMMU group; only the VGA
# is listed; auto policy takes the audio function too.
sc_gpu_slot() {
    d_gpu 05
    boot std -c "pt.devices=1234:1111 e2e.post=bochs,snd-hda-intel,snd-hda-codec-generic" || return 0
    expect .result ok
    expect .options.group auto
    bound 0000:00:05.0
    bound 0000:00:05.1
    dev_is 0000:00:05.0 selected_by 1234:1111
    dev_is 0000:00:05.1 selected_by "group of 1234:1111"
    dev_is 0000:00:05.0 boot_vga true
    dev_is 0000:00:05.1 boot_vga false
    local g
    g=$(dev 0000:00:05.0 iommu_group)
    dev_is 0000:00:05.1 iommu_group "$g"
    expect "[.groups[] | select(.group == ($g | tonumber))] | map({viable, members}) | tojson" \
        '[{"viable":true,"members":["0000:00:05.0","0000:00:05.1"]}]'
    [ "$(section groups | grep -c "^group $g: 0000:00:05.0 0000:00:05.1$")" = 1 ] ||
        fail "sysfs does not show 05.0 and 05.1 as the only members of group $g"
    local q
    q=$(kfact q35-groups)
    groups_are "${q%%|*}|0000:00:05.0 0000:00:05.1|${q#*|}"
}

# 3. Two identical e1000e: pin the one at 08.0 by id@addr; 07.0 keeps e1000e.
sc_twin_nics() {
    d_nic 07.0
    d_nic 08.0
    boot std -c "pt.devices=8086:10d3@00:08.0 e2e.post=e1000e" || return 0
    expect .result ok
    expect '.devices | length' 1
    bound 0000:00:08.0
    dev_is 0000:00:08.0 selected_by 8086:10d3@00:08.0
    not_listed 0000:00:07.0
    untouched 0000:00:07.0 e1000e
}

# 4. The blacklist failed: bochs, e1000e and snd-hda-intel bound the
# devices before the agent ran; the agent takes each of them back.
sc_recover() {
    d_gpu 05
    d_nic 07.0
    boot std -c "pt.devices=1234:1111,8086:10d3@00:07.0 e2e.pre=bochs,e1000e,snd-hda-intel,snd-hda-codec-generic" ||
        return 0
    # precondition: the native drivers really had them (their PCI driver
    # names, the same on both kernels)
    local f
    for f in $(kfact drivers); do drv_is pci-before "${f%=*}" "${f#*=}"; done
    expect .result ok
    local a
    for a in 0000:00:05.0 0000:00:05.1 0000:00:07.0; do
        bound "$a" recovered
        dev_is "$a" driver_before "$(pci pci-before "$a" driver)"
    done
    dev_is 0000:00:05.1 selected_by "group of 1234:1111"
    kmsg_has 'pt-agent: .*3 recovered'
    vfio_pci_file
}

# 5. A pinned entry whose identity does not match (an e1000e id at the edu's
# address): nothing bound, the state says what is there.
sc_pinned_mismatch() {
    d_edu 03.0
    d_nic 07.0
    boot std -c "pt.devices=8086:10d3@00:03.0 e2e.post=e1000e" || return 0
    expect .result failed
    untouched 0000:00:03.0 -
    untouched 0000:00:07.0 e1000e
    not_listed 0000:00:07.0
    local a
    a=$(dev 0000:00:03.0 action)
    case $a in skipped | failed) ;; *) fail "0000:00:03.0 action is '$a', want skipped or failed" ;; esac
    dev_is 0000:00:03.0 driver_after null
    sj '.devices[] | select(.addr == "0000:00:03.0") | .error' | grep -q '1234:11e8' ||
        fail "0000:00:03.0 error does not say what is there (1234:11e8): $(dev 0000:00:03.0 error)"
    sj '.errors[]' | grep -q '0000:00:03.0 is 1234:11e8' ||
        fail "errors[] does not name what is at 0000:00:03.0: $(sj -c .errors)"
    expect '[.devices[] | select(.action == "bound")] | length' 0
    kmsg_has 'pt-agent: .*8086:10d3@00:03.0'
}

# 6. A malformed pt.devices: nothing bound, the boot goes on, the error and
# its column in the state file and in the kernel log.
sc_bad_spec() {
    d_edu 03.0
    # column 11 is the "zz" of the second entry
    boot std -c "pt.devices=1234:11e8,zz:00.0" || return 0
    expect .result failed
    expect .spec 1234:11e8,zz:00.0
    expect '.devices | length' 0
    expect '[.errors[] | select(test("column 11"))] | length' 1
    kmsg_has 'pt-agent: .*column 11'
    untouched 0000:00:03.0 -
    mod_absent vfio_pci
}

# 7. No IOMMU (no intel-iommu device; intel_iommu=on stays): iommu false,
# nothing bound, every device keeps (or later gets) its host driver.
sc_no_iommu() {
    d_edu 03.0
    d_gpu 05
    d_nic 07.0
    boot std -n -c "pt.devices=1234:11e8,1234:1111,8086:10d3 e2e.pre=e1000e e2e.post=bochs,snd-hda-intel,snd-hda-codec-generic" ||
        return 0
    section groups | grep -q 'iommu_groups is empty' || fail "the guest has IOMMU groups: $(section groups | head -n 3 | tr '\n' ' ')"
    expect .iommu false
    expect .result failed
    sj '.errors[]' | grep -qi iommu || fail "errors[] does not mention the IOMMU: $(sj -c .errors)"
    expect '[.devices[] | select(.action | IN("bound", "recovered", "already-bound"))] | length' 0
    untouched 0000:00:03.0 -
    untouched 0000:00:05.0 bochs-drm
    untouched 0000:00:05.1 snd_hda_intel
    untouched 0000:00:07.0 e1000e
    drv_is pci-before 0000:00:07.0 e1000e
    ! section vfio | grep -qv '^vfio ' || fail "/dev/vfio has group nodes: $(section vfio | tr '\n' ' ')"
}

# 8a. pt.off: result disabled, nothing touched, no module loaded.
sc_off() {
    d_edu 03.0
    d_nic 07.0
    boot std -c "pt.off pt.devices=1234:11e8,8086:10d3 e2e.pre=e1000e" || return 0
    expect .result disabled
    expect '.devices | length' 0
    untouched 0000:00:03.0 -
    untouched 0000:00:07.0 e1000e
    mod_absent vfio_pci
}

# 8b. pt.dryrun: actions planned, nothing changed.
sc_dryrun() {
    d_edu 03.0
    d_nic 07.0
    boot std -c "pt.dryrun pt.devices=1234:11e8,8086:10d3 e2e.pre=e1000e" || return 0
    expect .result ok
    expect .options.dryrun true
    expect '[.devices[] | .addr + "=" + .action] | join(",")' 0000:00:03.0=planned,0000:00:07.0=planned
    dev_is 0000:00:07.0 driver_before e1000e
    dev_is 0000:00:03.0 driver_before null
    untouched 0000:00:03.0 -
    untouched 0000:00:07.0 e1000e
    drv_is pci-agent 0000:00:07.0 e1000e
    mod_absent vfio_pci
}

# 9. A device behind a pcie-root-port (bus 01); an identical edu on the
# root bus stays alone; the port keeps pcieport.
sc_root_port() {
    d_edu 03.0
    d "pcie-root-port,id=rp1,chassis=1,slot=1,addr=06.0"
    d "edu,bus=rp1,addr=00.0"
    boot std -c "pt.devices=1234:11e8@01:00.0" || return 0
    expect .result ok
    expect '.devices | length' 1
    bound 0000:01:00.0
    untouched 0000:00:03.0 -
    drv_is pci-final 0000:00:06.0 pcieport
}

# 10a. The config blob alone: source config, its keys used.
sc_config() {
    d_edu 03.0
    boot conf || return 0
    expect .source config
    expect .spec 1234:11e8
    expect .options.onfail keep
    expect .result ok
    bound 0000:00:03.0
}

# 10b. The blob lists the edu, the command line the NIC: the command line
# wins for devices; the blob's other keys still apply (key by key).
sc_config_override() {
    d_edu 03.0
    d_nic 07.0
    boot conf -c "pt.devices=8086:10d3@00:07.0 e2e.post=e1000e" || return 0
    expect .source cmdline
    expect .spec 8086:10d3@00:07.0
    expect .options.onfail keep
    expect .result ok
    bound 0000:00:07.0
    not_listed 0000:00:03.0
    untouched 0000:00:03.0 -
}

# 11. Chain-init: the kernel runs rdinit=/pt-agent as PID 1; it binds,
# unmounts /proc /sys /dev (keeps /run) and execs /init with its argv.
sc_chain_init() {
    d_edu 03.0
    boot std -c "rdinit=/pt-agent pt.devices=1234:11e8 e2e.agent=chain -- e2e-arg1 e2e-arg2" || return 0
    section start | grep -qx 'pid=1' || fail "/init is not PID 1: $(section start | grep pid)"
    section start | grep -qx 'argv=/init e2e-arg1 e2e-arg2' ||
        fail "argv not passed on: $(section start | grep argv)"
    section start | grep -qx 'at-start=proc=no sys=no dev-null=no state=yes' ||
        fail "what /init found: $(section start | grep at-start), want proc=no sys=no dev-null=no state=yes"
    grep -q 'Run /pt-agent as init process' "$LOG" || fail "the kernel did not run /pt-agent as init"
    expect .result ok
    bound 0000:00:03.0
    drv_is pci-before 0000:00:03.0 vfio-pci
    kmsg_has 'pt-agent: 1 bound'
}

# 12. vfio-pci.ko missing from the initramfs: a clear error, nothing left
# driverless (the e1000e loaded before keeps its driver; the unbound edu
# stays as it was, no driver_override written).
sc_no_vfio_module() {
    d_edu 03.0
    d_nic 07.0
    boot novfio -c "pt.devices=1234:11e8,8086:10d3@00:07.0 e2e.pre=e1000e" || return 0
    local want="vfio-pci not found in /lib/modules/$KVER: add it to the initramfs"
    expect .result failed
    sj '.errors[]' | grep -qF "$want" || fail "errors[] lacks '$want': $(sj -c .errors)"
    # 6.12's release has a "+" (6.12.N+deb13-amd64): quote it for the regex
    kmsg_has "pt-agent: .*vfio-pci not found in /lib/modules/$(printf '%s' "$KVER" | sed 's/[][\.*^$+?(){}|]/\\&/g')"
    local a
    for a in 0000:00:03.0 0000:00:07.0; do
        dev_is "$a" action failed
        sj --arg a "$a" '.devices[] | select(.addr == $a) | .error' | grep -qF "$want" ||
            fail "$a error lacks '$want': $(dev "$a" error)"
    done
    drv_is pci-before 0000:00:07.0 e1000e
    untouched 0000:00:03.0 -
    untouched 0000:00:07.0 e1000e
    dev_is 0000:00:07.0 driver_before e1000e
    dev_is 0000:00:07.0 driver_after e1000e
    dev_is 0000:00:03.0 driver_before null
    mod_absent vfio_pci
}

# 15. The root-disk guard: the disk's driver is loaded before the agent (so
# the guard can see it), root=UUID= names its ext4 file system, and the list
# selects its controller by id. libblkid resolves the UUID; the controller
# is refused; the disk is still readable afterwards. The edu is bound.
sc_root_guard() {
    d_edu 03.0
    d_disk 0a.0
    boot disk -c "root=UUID=$DISK_UUID pt.devices=1af4:1001,1234:11e8 e2e.pre=virtio_pci,virtio_blk e2e.post=ext4 e2e.mount=/dev/vda" || return 0
    expect .result partial
    dev_is 0000:00:0a.0 action skipped
    dev 0000:00:0a.0 error | grep -qF "holds the root file system (root=UUID=$DISK_UUID on vda)" ||
        fail "0000:00:0a.0 error is '$(dev 0000:00:0a.0 error)'"
    untouched 0000:00:0a.0 virtio-pci
    bound 0000:00:03.0
    section mount | grep -qx 'rc=0' || fail "the disk did not mount: $(section mount | tr '\n' ' ')"
    section mount | grep -qx 'hello=pt-root-disk' || fail "the disk's file did not read back"
}

# 16. At boot the disk's driver has not run: root= cannot be resolved. The
# state file records that instead of guessing (a list without protect=).
sc_root_unresolved() {
    d_edu 03.0
    d_disk 0a.0
    boot disk -c "root=UUID=$DISK_UUID pt.devices=1234:11e8" || return 0
    expect .result ok
    bound 0000:00:03.0
    sj '.warnings[]' | grep -qF "root-disk guard: no block device has UUID=$DISK_UUID yet" ||
        fail "no warning about the unresolved root: $(sj -c .warnings)"
}

# 17. UEFI (OVMF): efifb sits in the VGA's BAR. pt.fb=auto releases it
# before binding: /proc/iomem has no framebuffer claim in the BAR after.
sc_fb_release() {
    d "VGA,addr=05.0"
    boot std -u -c "pt.devices=1234:1111" || return 0
    expect .result ok
    bound 0000:00:05.0
    if section iomem | grep -qiE 'efifb|BOOTFB|vesafb|simple'; then
        fail "a framebuffer still claims memory: $(section iomem | grep -iE 'efifb|BOOTFB|vesafb|simple' | head -n 2 | tr '\n' ' ')"
    fi
    sj '.warnings[]' | grep -q "released the boot framebuffer (efifb at " ||
        fail "no warning about the released framebuffer: $(sj -c .warnings)"
    kmsg_has 'pt-agent: released the boot framebuffer'
}

# 18. The same with pt.fb=keep: the framebuffer stays, so the VGA is not
# bound (vfio-pci would remove the framebuffer), and the state file says so.
sc_fb_keep() {
    d "VGA,addr=05.0"
    boot std -u -c "pt.devices=1234:1111 pt.fb=keep" || return 0
    expect .result failed
    expect .options.fb keep
    dev_is 0000:00:05.0 action skipped
    dev 0000:00:05.0 error | grep -q "holds the boot framebuffer (efifb at .*pt.fb=keep keeps it" ||
        fail "0000:00:05.0 error is '$(dev 0000:00:05.0 error)'"
    section iomem | grep -q ' : efifb$' || fail "efifb no longer claims its memory"
    untouched 0000:00:05.0 -
}

# 19. pt-status in the guest after the agent: exit 0 and the table; its
# qemu-args; then pt-agent release (runtime): the NIC is back on e1000e,
# and pt-status exits 1 saying so. QEMU does not fit in the initramfs, so
# the qemu-args are checked here, field by field (tests/status runs the
# host's qemu-system-x86_64 on them).
sc_status() {
    d_edu 03.0
    d_nic 07.0
    boot status -c "pt.devices=1234:11e8,8086:10d3 e2e.post=e1000e e2e.release=8086:10d3" || return 0
    expect .result ok
    section pt-status | grep -qx 'rc=0' || fail "pt-status after the agent: $(section pt-status | tail -n 3 | tr '\n' ' ')"
    section pt-status | grep -q '0000:00:07.0' || fail "pt-status shows no row for 0000:00:07.0"
    section qemu-args | grep -qx 'rc=0' || fail "pt-status qemu-args failed"
    local args a
    args=$(section qemu-args | grep -v '^rc=')
    for a in 0000:00:03.0 0000:00:07.0; do
        echo "$args" | grep -qE "^-device vfio-pci,host=$a,bus=pcie\.0,addr=0x[0-9a-f]+\.0x0(,multifunction=on)?$" ||
            fail "qemu-args has no well-formed -device for $a: $(echo "$args" | tr '\n' ' ')"
    done
    [ "$(echo "$args" | grep -c '^-device ')" = 2 ] || fail "qemu-args has not exactly two -device lines"
    section release | grep -qx 'rc=0' || fail "pt-agent release: $(section release | tail -n 3 | tr '\n' ' ')"
    drv_is pci-final 0000:00:07.0 vfio-pci
    section pt-status-after | grep -qx 'rc=1' || fail "pt-status after the release: $(section pt-status-after | grep rc=)"
    section pt-status-after | grep -q 'e1000e' || fail "pt-status after the release does not name e1000e"
}

# ---- runner ----------------------------------------------------------------------
# Relevant part of the guest log for a failed scenario, indented.
excerpt() {
    echo "  logs: $LOG, $RES"
    if section end >/dev/null; then
        echo "  --- pt-agent in the kernel log:"
        section kmsg | sed 's/^/    /' | head -n 30
        if [ -s "$STATE" ] && jq -e . "$STATE" >/dev/null 2>&1; then
            echo "  --- state.json (abridged):"
            jq -c '{result, source, spec, iommu, errors, warnings}, (.devices[]? |
                {addr, selected_by, driver_before, driver_after, action, error, vfio_node})' \
                "$STATE" 2>&1 | sed 's/^/    /' | head -n 20
        fi
        echo "  --- sysfs before / after the agent / at the end (q35's own functions left out):"
        local q35='^0000:00:(00\.0|1f\.[0-7]) '
        section pci-before | grep -Ev "$q35" | sed 's/^/    before: /'
        section pci-agent | grep -Ev "$q35" | sed 's/^/    agent:  /'
        section pci-final | grep -Ev "$q35" | sed 's/^/    final:  /'
    else
        echo "  --- console (last 30 lines):"
        tr -d '\r' <"$LOG" | tail -n 30 | sed 's/^/    /'
    fi
}

# run_one "NAME KERNEL": writes RUN/KERNEL/NAME.out (the report) and
# RUN/KERNEL/NAME.result
run_one() (
    # An assertion helper whose jq or grep fails must not end the scenario.
    set +e
    NAME=${1% *} K=${1#* }
    KRUN=$RUN/$K ENVF=$BUILD/e2e/kernel-$K.env
    KVER=$(kv_of "$K" KVER) MODEXT=$(kv_of "$K" MODEXT) TMO=$(tmo_of "$K")
    LOG=$KRUN/$NAME.log RES=$KRUN/$NAME.res STATE=$KRUN/$NAME.state.json
    local t0 secs
    t0=$(date +%s)
    "sc_${NAME//-/_}"
    secs=$(($(date +%s) - t0))
    if [ ${#FAILS[@]} -eq 0 ]; then
        echo "PASS $NAME [$K] (${secs}s)" >"$KRUN/$NAME.out"
        echo PASS >"$KRUN/$NAME.result"
    else
        {
            local reason
            reason=$(printf '%s; ' "${FAILS[@]:0:3}")
            reason=${reason%; }
            [ ${#FAILS[@]} -le 3 ] || reason="$reason; and $((${#FAILS[@]} - 3)) more"
            echo "FAIL $NAME [$K]: $reason"
            excerpt
        } >"$KRUN/$NAME.out" 2>&1
        echo FAIL >"$KRUN/$NAME.result"
    fi
)

PASSED=0 FAILED=0
report() { # "NAME KERNEL"
    local f=$RUN/${1#* }/${1% *}
    cat "$f.out" 2>/dev/null || echo "FAIL ${1% *} [${1#* }]: the scenario did not finish (internal error; logs in $RUN)"
    if [ "$(cat "$f.result" 2>/dev/null)" = PASS ]; then
        PASSED=$((PASSED + 1))
    else
        FAILED=$((FAILED + 1))
    fi
}

if [ "$JOBS" = 1 ]; then
    for s in "${RUNS[@]}"; do
        run_one "$s" || true
        report "$s"
    done
else
    # JOBS boots at a time; reports still come out in scenario order.
    declare -A PID_OF=() FINISHED=()
    next=0
    flush() {
        while [ "$next" -lt ${#RUNS[@]} ] && [ -n "${FINISHED[${RUNS[$next]}]:-}" ]; do
            report "${RUNS[$next]}"
            next=$((next + 1))
        done
    }
    reap() {
        local done_pid
        wait -n -p done_pid "${!PID_OF[@]}" || true
        FINISHED[${PID_OF[$done_pid]}]=1
        unset "PID_OF[$done_pid]"
        flush
    }
    for s in "${RUNS[@]}"; do
        while [ ${#PID_OF[@]} -ge "$JOBS" ]; do reap; done
        run_one "$s" &
        PID_OF[$!]=$s
    done
    while [ ${#PID_OF[@]} -gt 0 ]; do reap; done
fi
e2e_step "suite time $(($(date +%s) - T0)) s; logs in $RUN"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
