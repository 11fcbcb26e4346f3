#!/bin/bash
# run.sh [BUILD_DIR] [TEST...] — pt's initramfs integrations through the
# real generators: images built by dracut (shell-based and systemd-based)
# by initramfs-tools' mkinitramfs, and by Arch's mkinitcpio (the release in
# ../shared/mkinitcpio beside the clone: it is not packaged for Debian) for
# Debian's 6.1 kernel, with pt's dracut module and hooks from this working
# tree, booted in QEMU (TCG, q35, emulated VT-d) into a real root file
# system (a small ext4 disk whose /sbin/init, tests/e2e/realroot.init,
# reports what the initramfs left behind); which vfio-pci variant drivers
# each generator puts in (pt-agent vfio-variants); plus checks of the
# systemd unit and of the mkinitcpio hooks' calls in a stubbed sandbox.
#
# Tests, in this order (all when none is named):
#   lint unit-file install-layout mkinitcpio-build runtime-hooks dracut-hostonly
#   dracut-cmdline dracut-config dracut-garbage-config dracut-missing-config dracut-idle
#   dracut-systemd-cmdline dracut-systemd-config dracut-systemd-garbage-config
#     dracut-systemd-missing-config dracut-systemd-idle
#   initramfs-tools-cmdline initramfs-tools-config initramfs-tools-garbage-config
#     initramfs-tools-missing-config initramfs-tools-idle
#   dracut-protect dracut-systemd-protect initramfs-tools-protect
#   mkinitcpio-cmdline mkinitcpio-config mkinitcpio-garbage-config mkinitcpio-idle
#     mkinitcpio-recover mkinitcpio-systemd-cmdline mkinitcpio-systemd-garbage-config
#   variants-cli variants-dracut variants-initramfs-tools variants-mkinitcpio
#
# mkinitcpio-*: images built by mkinitcpio v41 with the README's HOOKS lines
# (pt for the busybox /init, sd-pt with the systemd hook; -S autodetect:
# for any machine, as Arch's fallback image) and MODULES=(e1000e), booted
# with the GPU slot (VGA 1234:1111 at 05.0, HDA at 05.1, one IOMMU group)
# and the NIC. The agent binds all three before MODULES and before udev's
# coldplug (none of them had a driver: "bound", not "recovered"; with
# systemd, pt-agent.service finished before systemd-udevd, its trigger and
# systemd-modules-load started); *-recover puts a test hook that loads
# bochs before pt: the agent takes the GPU back ("recovered"). Skipped,
# with the reason, when ../shared/mkinitcpio is absent.
#   variants-*        a modules tree with two stand-in variant drivers
#                     (tests/integration/variant-module, built against
#                     Debian's linux-headers for the booted kernel, with a
#                     vfio_pci: alias for a device of this host and one for
#                     1234:11e8, both depending on mlx5_core): each
#                     generator puts one in exactly when a matching device
#                     is on the build host (hostonly) or named by id in
#                     pt.conf, or PT_VFIO_MODULES names it, never
#                     otherwise; the output reports the image sizes
#                     ("all": every variant, what the hooks did before)
#
# Every boot has edu (1234:11e8) at 00:03.0, e1000e (8086:10d3) at 00:07.0
# and the root disk (virtio-blk) at 00:0a.0; every image forces e1000e in
# and loads it early (dracut --force-drivers, initramfs-tools' MODULES list).
#   *-cmdline         pt.devices=1234:11e8,8086:10d3@00:07.0: both end on
#                     vfio-pci, the state file is in the booted system's
#                     /run/pt, the agent ran before e1000e loaded (and, with
#                     systemd, before systemd-udevd and systemd-udev-trigger)
#   *-config          no pt.* key; /etc/pt.conf in the image lists both
#   *-garbage-config  /etc/pt.conf is binary garbage: nothing bound, the boot
#                     reaches the real init, the state file names the file
#   *-missing-config  pt.config=/etc/nope.conf: likewise
#   *-idle            no key, no config: the agent does not run at all
#   *-protect         the image records protect= for the root disk's
#                     controller (PT_PROTECT, as `pt-agent root-devices`
#                     would on the target machine); the device list names
#                     that controller by id: it is refused, the boot
#                     reaches the real root on it, the edu is bound
#
# On a fresh Debian 12 machine it installs what is missing (apt-get, waits
# while another apt holds the lock), builds the static agent (make static)
# when it is missing or older than agent/, fetches the kernel once
# (tests/e2e/kernel.sh) and builds the root disk once; images are rebuilt
# when an input changed. Nothing outside BUILD_DIR is changed: the
# generators see /etc/pt.conf, /lib/modules/KVER and /boot/config-KVER
# through a private mount namespace (ns-run.sh), dracut reads the working
# tree's module through dracutbasedir (a symbolic-link farm of
# /usr/lib/dracut).
#
# Run it as root. Output (stdout): one line per test, "PASS name (Ns)" or "FAIL name:
# reason" followed by the relevant part of the logs, or "SKIP name:
# reason", then exactly "N passed, M failed" (", K skipped" when any
# were). Progress goes to stderr. Exit 1 if a test failed, 2 on a usage or
# setup error. Logs and images: BUILD_DIR/integration/.
#
# Environment:
#   PT_INT_JOBS     boots and image builds at a time (default 2 on >= 2 cores)
#   PT_INT_TIMEOUT  seconds per boot before QEMU is killed (default 300: a bound for a loaded host, not a speed target)
#   PT_INT_AGENT    test this pt-agent binary (make static is skipped)
#   PT_E2E_KPKG     pin a kernel package (see tests/e2e/kernel.sh)
# shellcheck disable=SC2016 # jq programs: their $names are jq's
set -eu -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
E2E_DIR=$REPO/tests/e2e
# shellcheck source-path=SCRIPTDIR source=../e2e/lib.sh
. "$E2E_DIR/lib.sh"
e2e_step() { echo "integration: $*" >&2; }
e2e_die() { echo "integration: error: $*" >&2; exit 2; }

GENS=(dracut dracut-systemd initramfs-tools)
KINDS=(cmdline config garbage-config missing-config idle protect)
# The root disk (virtio-blk) as `pt-agent root-devices` prints it in the VM.
ROOT_DISK=1af4:1001@0000:00:0a.0
ALL=(lint unit-file install-layout mkinitcpio-build runtime-hooks dracut-hostonly)
for g in "${GENS[@]}"; do for k in "${KINDS[@]}"; do ALL+=("$g-$k"); done; done
# Images built by Arch's mkinitcpio (../shared/mkinitcpio beside the clone)
# with the README's HOOKS lines: the busybox hook pt, the systemd hook sd-pt.
MK_TESTS=(mkinitcpio-cmdline mkinitcpio-config mkinitcpio-garbage-config mkinitcpio-idle
    mkinitcpio-recover mkinitcpio-systemd-cmdline mkinitcpio-systemd-garbage-config)
# Which vfio-pci variant drivers each generator puts in (no boot).
VAR_TESTS=(variants-cli variants-dracut variants-initramfs-tools variants-mkinitcpio)
ALL+=("${MK_TESTS[@]}" "${VAR_TESTS[@]}")

JOBS=${PT_INT_JOBS:-$(if [ "$(nproc 2>/dev/null || echo 1)" -ge 2 ]; then echo 2; else echo 1; fi)}
TMO=${PT_INT_TIMEOUT:-300}
# mkinitcpio's images hold every storage and DRM driver (-S autodetect):
# about 45 MB, which the kernel unpacks for half a minute under TCG.
TMO_MK=$TMO
case $JOBS in [1-9]) ;; *) e2e_die "PT_INT_JOBS must be 1-9" ;; esac

usage() { sed -n '2,/^set -eu/p' "$0" | sed '$d; /^# shellcheck/d; s/^# \{0,1\}//' >&2; exit 2; }
known() { local t; for t in "${ALL[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }

case ${1:-} in -h | --help) usage ;; esac
BUILD=$REPO/build
if [ $# -gt 0 ] && ! known "$1"; then
    BUILD=$1
    shift
fi
TESTS=("$@")
[ $# -gt 0 ] || TESTS=("${ALL[@]}")
for t in "${TESTS[@]}"; do
    known "$t" || { echo "run.sh: unknown test '$t' (known: ${ALL[*]})" >&2; exit 2; }
done
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
INT=$BUILD/integration
IMG=$INT/img
RUN=$INT/run
T0=$(date +%s)
mkdir -p "$INT" "$IMG"
rm -rf "$RUN"
mkdir -p "$RUN"

# The root file system's UUID (root=UUID=... on every command line).
ROOT_UUID=5f0c1b7e-7d51-4a36-9c3e-2b1f6a0e7001
# Extra words on every kernel command line: the real root; no dracut shell
# (an emergency powers off instead of waiting for input); every systemd
# and pt-agent line in the kernel log (no /dev/kmsg rate limit), which is
# how the order of the units is read in the booted system. no_timer_check:
# on a loaded host, TCG can miss the kernel's early IO-APIC timer check,
# which then panics ("timer doesn't work through Interrupt-remapped
# IO-APIC"; seen here at a load of 10).
BASE_CMDLINE="root=UUID=$ROOT_UUID rw rd.shell=0 rd.emergency=poweroff printk.devkmsg=on systemd.log_target=kmsg no_timer_check"

# ---- setup: packages ------------------------------------------------------------
# qemu, busybox, kmod, cpio, jq: as tests/e2e; the generators and what
# they need on the host (dracut-core pulls udev; its systemd modules need
# systemd); e2fsprogs for mkfs.ext4 -d; shellcheck for the lint test;
# make + file for make static; for mkinitcpio, bsdtar (libarchive-tools),
# zstd (its default compression), loadkeys and setfont (kbd) for its keymap
# and consolefont hooks; gcc-12 (Debian's kernel compiler) for the test
# variant driver.
INT_PACKAGES="qemu-system-x86 busybox-static kmod cpio jq make file dracut-core
initramfs-tools-core udev systemd e2fsprogs shellcheck libarchive-tools zstd kbd gcc-12"

# apt-get with a wait while another apt/dpkg holds its lock
int_apt() {
    local i log=$INT/apt.log
    for i in $(seq 1 30); do
        if e2e_root env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=60 "$@" >>"$log" 2>&1; then
            return 0
        fi
        tail -n 3 "$log" | grep -qiE 'lock|another process' || return 1
        [ "$i" -gt 1 ] || e2e_step "apt is locked by another process; waiting..."
        sleep 10
    done
    return 1
}
need_packages() {
    local p missing=()
    for p in $INT_PACKAGES; do e2e_installed "$p" || missing+=("$p"); done
    [ ${#missing[@]} -gt 0 ] || return 0
    e2e_step "installing ${missing[*]} (apt-get)..."
    if ! int_apt update || ! int_apt install -y --no-install-recommends "${missing[@]}"; then
        tail -n 20 "$INT/apt.log" >&2
        e2e_die "apt-get install ${missing[*]} failed (log: $INT/apt.log)"
    fi
}

# ---- setup: the static agent -------------------------------------------------------
need_agent() {
    local log=$INT/make-static.log args=() try
    if [ -n "${PT_INT_AGENT:-}" ]; then
        [ -f "$PT_INT_AGENT" ] || e2e_die "PT_INT_AGENT=$PT_INT_AGENT: no such file"
        AGENT=$(cd "$(dirname "$PT_INT_AGENT")" && pwd)/$(basename "$PT_INT_AGENT")
        return 0
    fi
    AGENT=$BUILD/static/pt-agent
    if [ -x "$AGENT" ] && [ -z "$(find "$REPO/agent" -newer "$AGENT" -print -quit)" ]; then
        return 0
    fi
    [ "$BUILD" = "$REPO/build" ] || args=(BUILD="$BUILD")
    for try in 1 2 3; do
        e2e_step "building the static agent (make static)..."
        if make -C "$REPO" static "${args[@]}" >"$log" 2>&1 && [ -x "$AGENT" ]; then
            return 0
        fi
        # pt-agent links before pt-status: a failure may be someone's
        # pt-status work in progress; try again a little later.
        [ "$try" = 3 ] || { e2e_step "make static failed (try $try of 3); again in 20 s"; sleep 20; }
    done
    tail -n 15 "$log" >&2
    [ -x "$AGENT" ] || e2e_die "make static failed and there is no $AGENT (log: $log)"
    e2e_step "WARNING: make static failed (log: $log); testing the existing $AGENT"
}

# ---- setup: the root file system ----------------------------------------------------
# ext4 with busybox, /sbin/init = tests/e2e/realroot.init, /lib/pt-e2e.sh,
# /etc/os-release (systemd's switch-root wants an OS tree). QEMU opens it
# with snapshot=on: boots never change it and can share it.
ROOTIMG=$INT/root.img
need_rootfs() {
    local st
    if [ -f "$ROOTIMG" ] && [ "$ROOTIMG" -nt "$E2E_DIR/realroot.init" ] &&
        [ "$ROOTIMG" -nt "$E2E_DIR/initlib.sh" ] && [ "$ROOTIMG" -nt /bin/busybox ]; then
        return 0
    fi
    e2e_step "building the root file system (ext4, busybox)..."
    st=$INT/rootfs.d
    rm -rf "$st"
    mkdir -p "$st"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,root,lib}
    chmod 1777 "$st/tmp"
    cp /bin/busybox "$st/bin/busybox"
    local app
    while read -r app; do
        [ -e "$st/$app" ] && continue
        case $app in
            */*/*) ln -s ../../bin/busybox "$st/$app" ;;
            bin/*) ln -s busybox "$st/$app" ;;
            linuxrc) continue ;;
            *) ln -s ../bin/busybox "$st/$app" ;;
        esac
    done < <(/bin/busybox --list-full)
    rm -f "$st/sbin/init"
    install -m 0755 "$E2E_DIR/realroot.init" "$st/sbin/init"
    install -m 0644 "$E2E_DIR/initlib.sh" "$st/lib/pt-e2e.sh"
    printf 'NAME="pt integration test root"\nID=pt-test\n' >"$st/etc/os-release"
    rm -f "$ROOTIMG.tmp"
    if ! mkfs.ext4 -q -F -L ptroot -U "$ROOT_UUID" -d "$st" "$ROOTIMG.tmp" 16M >"$INT/mkfs.log" 2>&1; then
        cat "$INT/mkfs.log" >&2
        e2e_die "mkfs.ext4 -d failed"
    fi
    mv "$ROOTIMG.tmp" "$ROOTIMG"
    rm -rf "$st"
}

# ---- setup: config files --------------------------------------------------------------
write_configs() {
    cat >"$INT/pt.conf" <<'CONF'
# pt.conf for the integration tests
devices = 1234:11e8, 8086:10d3@00:07.0
CONF
    # mkinitcpio's boots have the GPU slot (VGA + HDA at 05) and the NIC
    printf '%s\n' '# pt.conf for the mkinitcpio tests' 'devices = 1234:1111, 8086:10d3@00:07.0' >"$INT/mk-pt.conf"
    # the variant tests: a list that names the stand-in's id
    printf '%s\n' '# pt.conf for the variant tests' "devices = $VAR_NAMED, 8086:10d3@00:07.0, 26:00.0" >"$INT/var-pt.conf"
    # Binary garbage behind a valid line: the whole file must be rejected
    # (the edu must not be bound), and nothing may break the boot.
    {
        printf 'devices = 1234:11e8\n\000\377\376garbage\000\n'
        awk 'BEGIN { srand(42); for (i = 0; i < 3000; i++) printf "%c", int(rand() * 256) }'
        printf '\000\000\n= = =\n'
    } >"$INT/garbage.conf"
}

# ---- setup: mkinitcpio ---------------------------------------------------------------
# The release beside the clone (CI places shared/ there), prepared once:
# placeholders filled, the files its hooks want at fixed places
# (tests/integration/mkinitcpio.sh).
MKCPIO_SRC=$REPO/../shared/mkinitcpio/v41
MKCPIO=$INT/mkinitcpio
MKCPIO_SKIP=''
need_mkinitcpio() {
    local key
    if [ ! -x "$MKCPIO_SRC/mkinitcpio" ]; then
        MKCPIO_SKIP="no mkinitcpio release at ../shared/mkinitcpio/v41 beside the clone ($MKCPIO_SRC): mkinitcpio is not packaged for Debian, and these tests use that copy of it"
        return 0
    fi
    MKCPIO_SRC=$(cd "$MKCPIO_SRC" && pwd)
    key=$( (cd "$MKCPIO_SRC" && find . -type f -print0 | sort -z | xargs -0 sha256sum; cat "$HERE/mkinitcpio.sh" "$REPO/initrd/pt-agent.service") | sha256sum | cut -d' ' -f1)
    [ "$(cat "$MKCPIO/key" 2>/dev/null)" = "$key" ] && return 0
    e2e_step "preparing mkinitcpio from $MKCPIO_SRC..."
    "$HERE/mkinitcpio.sh" prepare "$MKCPIO_SRC" "$MKCPIO" >"$INT/mkinitcpio-prepare.log" 2>&1 ||
        { tail -n 5 "$INT/mkinitcpio-prepare.log" >&2; e2e_die "preparing mkinitcpio failed (log: $INT/mkinitcpio-prepare.log)"; }
    echo "$key" >"$MKCPIO/key"
}
# mk_hooks pt|sd-pt: the HOOKS line the README gives (and the hook documents)
mk_hooks() { sed -n 's/^#   HOOKS=(\(.*\))$/\1/p' "$REPO/initrd/mkinitcpio/install/$1"; }

# ---- setup: a modules tree with vfio-pci variant drivers ------------------------------
# Debian's kernel builds no variant driver. Two stand-ins are compiled
# against Debian's linux-headers for the very kernel the suite boots
# (fetched with apt-get download and unpacked, like the kernel itself):
# pt_vfio_host has a vfio_pci: alias for a PCI device of this build host,
# pt_vfio_named one for 1234:11e8 (QEMU's edu, not on this host); both
# depend on mlx5_core, as mlx5_vfio_pci does. They go into
# kernel/drivers/vfio/pci of VARROOT/lib/modules/KVER, a copy (hard links)
# of the kernel's tree, and depmod indexes it.
VARROOT=$INT/varmods/root
VAR_NAMED=1234:11e8
need_variant_tree() {
    local hd=$INT/varmods/headers cache=$BUILD/e2e/cache kb pk src mod key d host='' m
    # a PCI device of this host, by its modalias (the last one that is
    # not a bridge), for pt_vfio_host's alias
    for d in /sys/bus/pci/devices/*; do
        m=$(cat "$d/modalias" 2>/dev/null) || continue
        case $m in pci:v*d*sv*bc06*) continue ;; esac
        host="${m:9:4}:${m:18:4} ${d##*/}"
    done
    host=$(echo "$host" | tr 'A-F' 'a-f')
    [ -n "$host" ] || { VAR_SKIP="this host shows no PCI device (/sys/bus/pci/devices) for the hostonly case"; return 0; }
    VAR_HOST_ID=${host%% *} VAR_HOST_ADDR=${host#* }
    if grep -qi "v0000${VAR_NAMED%:*}d0000${VAR_NAMED#*:}" /sys/bus/pci/devices/*/modalias 2>/dev/null; then
        e2e_die "this build host has a $VAR_NAMED device: the 'named' case needs an id the host lacks"
    fi
    key=$(cat "$HERE/variant-module/pt_vfio_test.c" "$KROOT/../stamp" 2>/dev/null | sha256sum | cut -d' ' -f1)
    key="$key $KVER $VAR_HOST_ID in-drivers-vfio-pci"
    if [ "$(cat "$INT/varmods/key" 2>/dev/null)" = "$key" ] && [ -d "$VARROOT/lib/modules/$KVER" ]; then
        return 0
    fi
    rm -rf "$INT/varmods"
    mkdir -p "$hd" "$cache"
    # linux-headers-KVER, its -common and linux-kbuild-X.Y, same version
    kb=linux-kbuild-$(echo "$KVER" | cut -d. -f1,2)
    pk="linux-headers-$KVER linux-headers-${KVER%-amd64}-common $kb"
    e2e_step "fetching $pk (apt-get download)..."
    for p in $pk; do
        if ! find "$cache" -maxdepth 1 -name "${p}_*.deb" | grep -q .; then
            # shellcheck disable=SC2086
            (cd "$cache" && chmod 0777 . && apt-get download -q "$p" >>"$INT/varmods.log" 2>&1) || {
                VAR_SKIP="linux-headers for $KVER cannot be had ($p: apt-get download failed; log $INT/varmods.log): the test variant driver cannot be built"
                return 0
            }
        fi
        dpkg-deb -x "$(find "$cache" -maxdepth 1 -name "${p}_*.deb" | sort -V | tail -n 1)" "$hd"
    done
    src=$hd/usr/src/linux-headers-$KVER
    [ -f "$src/Makefile" ] || e2e_die "no $src/Makefile in the unpacked headers"
    # the package's Makefile includes the -common tree by its installed path
    sed -i "s|^include /usr/src/|include $hd/usr/src/|" "$src/Makefile"
    mod=$INT/varmods/build
    mkdir -p "$mod"
    cp "$HERE/variant-module/pt_vfio_test.c" "$mod/pt_vfio_host.c"
    cp "$HERE/variant-module/pt_vfio_test.c" "$mod/pt_vfio_named.c"
    {
        echo 'obj-m := pt_vfio_host.o pt_vfio_named.o'
        echo "CFLAGS_pt_vfio_host.o := -DPT_VENDOR=0x${VAR_HOST_ID%:*} -DPT_DEVICE=0x${VAR_HOST_ID#*:}"
        echo "CFLAGS_pt_vfio_named.o := -DPT_VENDOR=0x${VAR_NAMED%:*} -DPT_DEVICE=0x${VAR_NAMED#*:}"
    } >"$mod/Kbuild"
    e2e_step "building the test variant drivers against linux-headers-$KVER..."
    make -C "$src" M="$mod" modules >>"$INT/varmods.log" 2>&1 ||
        { tail -n 15 "$INT/varmods.log" >&2; e2e_die "building the test variant drivers failed (log: $INT/varmods.log)"; }
    mkdir -p "$VARROOT/lib/modules" "$VARROOT/boot"
    cp -al "$KROOT/lib/modules/$KVER" "$VARROOT/lib/modules/$KVER"
    # depmod's outputs: copies, never the kernel tree's files (hard links)
    for d in "$VARROOT/lib/modules/$KVER"/modules.*; do cp --remove-destination "$d" "$d.tmp" && mv "$d.tmp" "$d"; done
    # where the kernel's own variant drivers are (the hooks used to take
    # that whole directory)
    cp "$mod/pt_vfio_host.ko" "$mod/pt_vfio_named.ko" "$VARROOT/lib/modules/$KVER/kernel/drivers/vfio/pci/"
    cp "$KROOT/boot/config-$KVER" "$VARROOT/boot/"
    depmod -b "$VARROOT" "$KVER" || e2e_die "depmod -b $VARROOT $KVER failed"
    grep -qi "^alias vfio_pci:v0000${VAR_NAMED%:*}d0000${VAR_NAMED#*:}sv.* pt_vfio_named$" \
        "$VARROOT/lib/modules/$KVER/modules.alias" ||
        e2e_die "depmod wrote no vfio_pci: alias for pt_vfio_named (modules.alias)"
    echo "$key" >"$INT/varmods/key"
}
VAR_SKIP='' VAR_HOST_ID='' VAR_HOST_ADDR=''

# ---- images ---------------------------------------------------------------------------------
# dracut reads its modules from dracutbasedir: a farm of symbolic links to
# /usr/lib/dracut whose modules.d/90pt is this tree's dracut/90pt.
FARM=$INT/dracut-base
make_farm() {
    local e m
    rm -rf "$FARM"
    mkdir -p "$FARM/modules.d" "$INT/dracut.conf.d"
    for e in /usr/lib/dracut/*; do
        [ "${e##*/}" = modules.d ] || ln -s "$e" "$FARM/${e##*/}"
    done
    for m in /usr/lib/dracut/modules.d/*; do
        case ${m##*/} in [0-9][0-9]pt) continue ;; esac # an installed pt: ours wins
        ln -s "$m" "$FARM/modules.d/"
    done
    ln -s "$REPO/dracut/90pt" "$FARM/modules.d/90pt"
}

# image_inputs KIND: the files whose content decides the image
image_inputs() {
    case $1 in
        dracut*) echo "$REPO"/dracut/90pt/* "$REPO/initrd/pt-agent.service" ;;
        itools) echo "$REPO/initrd/initramfs-tools/hooks/pt" "$REPO/initrd/initramfs-tools/scripts/init-top/00-pt" ;;
        mkinitcpio*) echo "$REPO"/initrd/mkinitcpio/*/* "$REPO/initrd/pt-agent.service" "$HERE"/mkinitcpio-hooks/*/* \
            "$MKCPIO/key" ;;
    esac
}

# build_image NAME KIND CONF: KIND dracut | dracut-systemd | dracut-hostonly
# | itools; CONF none | good | garbage. Writes IMG/NAME.img (and .log);
# skipped when IMG/NAME.key shows the same inputs.
build_image() {
    local name=$1 kind=$2 conf=$3 out=$IMG/$1.img log=$IMG/$1.log key ns=() t0 protect=
    case $conf in
        none) ns=(-C) ;;
        good) ns=(-c "$INT/pt.conf") ;;
        garbage) ns=(-c "$INT/garbage.conf") ;;
        protect) ns=(-C) protect=$ROOT_DISK ;;
        gpu) ns=(-c "$INT/mk-pt.conf") ;;
    esac
    # The build host's own root is not the VM's: record only what a test
    # asks for (the hooks default to `pt-agent root-devices`).
    export PT_PROTECT=$protect
    local dargs=(--force --quiet --conf /dev/null --confdir "$INT/dracut.conf.d" --kver "$KVER"
        --kmoddir "$KROOT/lib/modules/$KVER" --no-early-microcode --compress gzip
        --filesystems ext4 --add-drivers "virtio_blk virtio_pci" --force-drivers e1000e)
    case $kind in
        dracut) dargs+=(--no-hostonly --modules "base rootfs-block pt") ;;
        dracut-systemd) dargs+=(--no-hostonly --modules "base rootfs-block systemd systemd-initrd dracut-systemd pt") ;;
        dracut-hostonly) dargs+=(--hostonly --no-hostonly-cmdline --modules "base rootfs-block pt") ;;
    esac
    # shellcheck disable=SC2046 # the input list is split on purpose
    key=$({
        echo "$kind $conf ${dargs[*]} protect=$protect"
        dpkg-query -W dracut-core initramfs-tools-core 2>/dev/null || true
        cat "$KROOT/../stamp" 2>/dev/null || true
        cat "$AGENT" $(image_inputs "$kind")
        # the config file the image carries, where it carries one (-c FILE)
        [ "${#ns[@]}" -lt 2 ] || cat "${ns[1]}"
    } | sha256sum | cut -d' ' -f1)
    if [ -f "$out" ] && [ "$(cat "$IMG/$name.key" 2>/dev/null)" = "$key" ]; then
        echo "cached" >"$IMG/$name.built"
        return 0
    fi
    rm -f "$out" "$IMG/$name.key" "$IMG/$name.built"
    t0=$(date +%s%N)
    case $kind in
        dracut*)
            dracutbasedir=$FARM PT_AGENT=$AGENT "$HERE/ns-run.sh" "${ns[@]}" -- \
                dracut "${dargs[@]}" "$out" >"$log" 2>&1 || return 1
            ;;
        itools)
            local cd=$IMG/$name.confdir
            rm -rf "$cd"
            mkdir -p "$cd/hooks" "$cd/scripts/init-top" "$cd/conf.d"
            install -m 0755 "$REPO/initrd/initramfs-tools/hooks/pt" "$cd/hooks/pt"
            install -m 0755 "$REPO/initrd/initramfs-tools/scripts/init-top/00-pt" "$cd/scripts/init-top/00-pt"
            # MODULES=list: only what the hooks add and what "modules" lists:
            # the root disk's drivers and e1000e, loaded early by /init.
            printf '%s\n' MODULES=list BUSYBOX=auto KEYMAP=n COMPRESS=gzip DEVICE= \
                NFSROOT=auto RUNSIZE=10% FSTYPE=ext4 >"$cd/initramfs.conf"
            printf '%s\n' virtio_pci virtio_blk ext4 e1000e >"$cd/modules"
            PT_AGENT=$AGENT "$HERE/ns-run.sh" "${ns[@]}" -k "$KROOT" -v "$KVER" -- \
                mkinitramfs -d "$cd" -o "$out" "$KVER" >"$log" 2>&1 || return 1
            ;;
        mkinitcpio*)
            # The README's HOOKS line; -S autodetect: for any machine (as
            # Arch's fallback image), not for this build host. MODULES
            # loads e1000e after the early hooks. The test hook ptgpu goes
            # before pt: a GPU driver loaded first.
            local mc=$IMG/$name.conf hooks rc=0
            case $kind in
                mkinitcpio) hooks=$(mk_hooks pt) ;;
                mkinitcpio-systemd) hooks=$(mk_hooks sd-pt) ;;
                mkinitcpio-gpu) hooks=$(mk_hooks pt) hooks=${hooks/ pt / ptgpu pt } ;;
            esac
            printf 'MODULES=(e1000e)\nHOOKS=(%s)\nCOMPRESSION=zstd\n' "$hooks" >"$mc"
            PT_AGENT=$AGENT "$HERE/mkinitcpio.sh" run "$MKCPIO" "${ns[@]}" -- -c "$mc" -k "$KVER" -r "$KROOT" \
                -D "$REPO/initrd/mkinitcpio" -D "$HERE/mkinitcpio-hooks" -D "$MKCPIO/lib" -S autodetect \
                -g "$out" >"$log" 2>&1 || rc=$?
            # The systemd hooks report files Debian's systemd 252 lacks and
            # exit 1; the image they leave boots (the tests check that).
            [ "$rc" = 0 ] || [ "$kind" = mkinitcpio-systemd ] || return 1
            grep -q "Creating zstd-compressed initcpio image" "$log" || return 1
            ;;
    esac
    [ -s "$out" ] || return 1
    echo "$key" >"$IMG/$name.key"
    echo "$((($(date +%s%N) - t0) / 1000000)) ms" >"$IMG/$name.built"
}

# Which image each test boots (NAME KIND CONF), "" for none.
image_of() {
    local g k
    case $1 in
        mkinitcpio-*)
            [ -z "$MKCPIO_SKIP" ] || return 0
            case $1 in
                mkinitcpio-cmdline | mkinitcpio-idle) echo "mk-none mkinitcpio none" ;;
                mkinitcpio-config) echo "mk-config mkinitcpio gpu" ;;
                mkinitcpio-garbage-config) echo "mk-garbage mkinitcpio garbage" ;;
                mkinitcpio-recover) echo "mk-gpu mkinitcpio-gpu none" ;;
                mkinitcpio-systemd-cmdline) echo "mksd-none mkinitcpio-systemd none" ;;
                mkinitcpio-systemd-garbage-config) echo "mksd-garbage mkinitcpio-systemd garbage" ;;
            esac
            return 0
            ;;
        *-garbage-config) g=${1%-garbage-config} k=garbage ;;
        *-missing-config) g=${1%-missing-config} k=none ;;
        *-config) g=${1%-config} k=good ;;
        *-cmdline) g=${1%-cmdline} k=none ;;
        *-idle) g=${1%-idle} k=none ;;
        *-protect) g=${1%-protect} k=protect ;;
        dracut-hostonly) echo "dracut-hostonly dracut-hostonly good"; return ;;
        *) return 0 ;;
    esac
    case $g in
        dracut) echo "dracut-$k dracut $k" ;;
        dracut-systemd) echo "dracut-systemd-$k dracut-systemd $k" ;;
        initramfs-tools) echo "itools-$k itools $k" ;;
    esac
}

# ---- setup ---------------------------------------------------------------------------------------
# unshare -m (ns-run.sh), chroot and mknod (runtime-hooks) need root.
[ "$(id -u)" = 0 ] || e2e_die "run as root (the generators run in a private mount namespace)"
need_packages
need_agent
e2e_need_kernel "$BUILD"
ENVF=$BUILD/e2e/kernel.env
KVER=$(sed -n 's/^KVER=//p' "$ENVF")
KROOT=$(sed -n 's/^KROOT=//p' "$ENVF")
need_rootfs
write_configs
make_farm
for t in "${TESTS[@]}"; do
    case $t in mkinitcpio-* | variants-mkinitcpio) need_mkinitcpio; break ;; esac
done
for t in "${TESTS[@]}"; do
    case $t in variants-*) need_variant_tree; break ;; esac
done

declare -A WANT_IMG=()
for t in "${TESTS[@]}"; do
    spec=$(image_of "$t")
    [ -z "$spec" ] || WANT_IMG[${spec%% *}]=$spec
done
if [ ${#WANT_IMG[@]} -gt 0 ]; then
    e2e_step "building ${#WANT_IMG[@]} images ($JOBS at a time)..."
    declare -A BPID=()
    for spec in "${WANT_IMG[@]}"; do
        while [ ${#BPID[@]} -ge "$JOBS" ]; do
            wait -n -p done_pid "${!BPID[@]}" || true
            unset "BPID[$done_pid]"
        done
        # shellcheck disable=SC2086 # NAME KIND CONF
        (build_image $spec || { echo "FAILED" >"$IMG/${spec%% *}.built"; exit 1; }) &
        BPID[$!]=1
    done
    wait || true
    for spec in "${WANT_IMG[@]}"; do
        n=${spec%% *}
        e2e_step "image $n: $(cat "$IMG/$n.built" 2>/dev/null || echo FAILED)"
    done
fi
e2e_step "kernel $KVER, agent $AGENT, ${#TESTS[@]} tests, $JOBS at a time (setup $(($(date +%s) - T0)) s)"

# ---- assertion helpers (inside one test's subshell) -----------------------------------
FAILS=()
fail() { FAILS+=("$*"); }
NOTE='' SKIP=''
section() { "$E2E_DIR/section.sh" "$RES" "$1" 2>/dev/null; }
sj() { if [ -s "$STATE" ]; then jq -r "$@" "$STATE" 2>&1 || true; else echo "(no state)"; fi; }
expect() {
    local got
    got=$(sj "$1")
    [ "$got" = "$2" ] || fail "state $1 is '$got', want '$2'"
}
dev() { sj --arg a "$1" --arg f "$2" '.devices[] | select(.addr == $a) | .[$f]'; }
dev_is() {
    local got
    got=$(dev "$1" "$2")
    [ "$got" = "$3" ] || fail "$1 .$2 is '$got', want '$3'"
}
pci() { section pci-final | awk -v a="$1" -v f="$2=" '$1 == a { for (i = 3; i <= NF; i++) if (index($i, f) == 1) { print substr($i, length(f) + 1); exit } }'; }
drv_is() {
    local got
    got=$(pci "$1" driver)
    [ "$got" = "$2" ] || fail "$1 driver in the booted system is '${got:-(no such device)}', want '$2'"
}
ovr_is() {
    local got
    got=$(pci "$1" override)
    [ "$got" = "$2" ] || fail "$1 driver_override in the booted system is '${got:-(no such device)}', want '$2'"
}
mod_loaded() { section modules | grep -qx "$1" || fail "module $1 is not loaded in the booted system"; }
kmsg_has() { section kmsg | grep -qE -- "$1" || fail "kernel log has no line matching /$1/"; }
# kline ERE: number of the first kernel log line matching ERE (empty if none)
kline() { section kmsg | grep -nE -- "$1" | head -n 1 | cut -d: -f1; }
# ktime ERE: its timestamp in seconds
ktime() { section kmsg | grep -E -- "$1" | head -n 1 | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p'; }
# before A B: the first line matching A comes before the first matching B
before() {
    local a b
    a=$(kline "$1")
    b=$(kline "$2")
    if [ -z "$a" ]; then fail "kernel log has no line matching /$1/"; return; fi
    if [ -z "$b" ]; then fail "kernel log has no line matching /$2/"; return; fi
    [ "$a" -lt "$b" ] || fail "/$1/ (line $a, $(ktime "$1") s) is not before /$2/ (line $b, $(ktime "$2") s)"
}
# bound ADDR: on vfio-pci in the state and in the booted system, with its node
bound() {
    local g
    dev_is "$1" action bound
    dev_is "$1" driver_after vfio-pci
    dev_is "$1" error null
    drv_is "$1" vfio-pci
    g=$(dev "$1" iommu_group)
    dev_is "$1" vfio_node "/dev/vfio/$g"
    section vfio | grep -qx "$g char" || fail "no /dev/vfio/$g in the booted system"
}

# boot NAME [CMDLINE...]: boot image NAME with edu 03.0, e1000e 07.0 and the
# root disk 0a.0; check what every boot needs: QEMU ended in time, the real
# root's init (PID 1, /sbin/init, root on the ext4 disk) reached its end.
# Sets STATE to the state file found in the booted system (maybe empty).
boot() {
    local img=$IMG/$1.img rc=0 p
    if [ ! -s "$img" ] || [ "$(cat "$IMG/$1.built" 2>/dev/null)" = FAILED ]; then
        fail "image $1 was not built: $(tail -n 3 "$IMG/$1.log" 2>/dev/null | tr '\n' ' ')"
        return 1
    fi
    shift
    # mkinitcpio's boots: the GPU slot (VGA, HDA audio beside it) at 05
    # instead of the edu
    local devs=(-d "edu,addr=03.0") tmo=$TMO
    case $NAME in
        mkinitcpio*)
            devs=(-d "VGA,addr=05.0,multifunction=on" -d "ich9-intel-hda,id=hda05,addr=05.1"
                -d "hda-duplex,bus=hda05.0,audiodev=snd0")
            tmo=$TMO_MK
            ;;
    esac
    "$E2E_DIR/boot.sh" -q -e "$ENVF" -r "$img" -l "$LOG" -o "$RES" -t "$tmo" \
        "${devs[@]}" -d "e1000e,addr=07.0,netdev=n0,romfile=" \
        -d "virtio-blk-pci,drive=rootdisk,addr=0a.0" -c "$BASE_CMDLINE $*" -- \
        -netdev user,id=n0,restrict=on \
        -drive "file=$ROOTIMG,if=none,id=rootdisk,format=raw,snapshot=on" 2>>"$RUN/$NAME.boot" || rc=$?
    if [ "$rc" = 124 ]; then fail "QEMU timed out after $tmo s"; return 1; fi
    [ "$rc" = 0 ] || { fail "QEMU exited $rc: $(head -c 300 "${LOG%.log}.qemu")"; return 1; }
    if ! section end >/dev/null; then
        p=$(tr -d '\r' <"$LOG" | grep -m 1 -E 'Kernel panic|BUG:|Oops|emergency|Failed to' || true)
        fail "the real root's init did not reach its end${p:+: $p}"
        return 1
    fi
    section start | grep -qx 'pid=1' || fail "the real init is not PID 1"
    section start | grep -qx 'argv=/sbin/init' || fail "the real init is not /sbin/init: $(section start | grep argv)"
    section start | grep -q '^root=/dev/vda ext4$' || fail "/ is not the ext4 root disk: $(section start | grep '^root=')"
    section state >"$STATE" || true
    return 0
}

# state_ok: a state file was in /run/pt when the real init started, and it
# passes the schema checks
state_ok() {
    local p
    section start | grep -qx 'at-start=state=yes' || fail "no /run/pt/state.json in the booted system"
    if [ ! -s "$STATE" ]; then fail "no state file"; return 1; fi
    if ! jq -e . "$STATE" >/dev/null 2>&1; then fail "state.json is not valid JSON"; return 1; fi
    p=$(jq -r -f "$E2E_DIR/schema.jq" "$STATE" 2>&1) || p="schema.jq: $p"
    [ -z "$p" ] || fail "schema: $(echo "$p" | head -n 3 | paste -sd ';')"
    if [ -f "$REPO/tests/state-schema.jq" ] && ! p=$(jq -e -f "$REPO/tests/state-schema.jq" "$STATE" 2>&1 >/dev/null); then
        fail "tests/state-schema.jq: $p"
    fi
    return 0
}

# gen_of TEST: dracut | dracut-systemd | initramfs-tools
gen_of() { local t=$1 k; for k in "${KINDS[@]}"; do t=${t%-"$k"}; done; echo "$t"; }
img_of() { local s; s=$(image_of "$1"); echo "${s%% *}"; }

# ---- the boot tests ----------------------------------------------------------------------------
# Both devices listed on the command line; e1000e forced in and loaded early.
t_cmdline() {
    local g
    g=$(gen_of "$NAME")
    boot "$(img_of "$NAME")" "pt.devices=1234:11e8,8086:10d3@00:07.0" || return 0
    state_ok || return 0
    expect .source cmdline
    expect .result ok
    expect '.devices | length' 2
    bound 0000:00:03.0
    bound 0000:00:07.0
    ovr_is 0000:00:07.0 vfio-pci
    mod_loaded e1000e
    mod_loaded vfio_iommu_type1
    kmsg_has 'pt-agent: 2 bound'
    # e1000e was forced into the image and loaded early, but after the agent
    before 'pt-agent: 2 bound' 'e1000e: Intel'
    case $g in
        dracut-systemd)
            # PID 1's own log lines (systemd.log_target=kmsg) in kernel log
            # order: the agent finished before udevd started and before the
            # coldplug trigger, and before dracut's hooks that load
            # rd.driver.pre= (--force-drivers) drivers.
            before 'pt-agent: 2 bound' 'systemd\[1\]: Starting systemd-udev-trigger\.service'
            before 'systemd\[1\]: Finished pt-agent\.service' 'systemd\[1\]: Starting systemd-udevd\.service'
            before 'systemd\[1\]: Finished pt-agent\.service' 'systemd\[1\]: Starting systemd-udev-trigger\.service'
            before 'systemd\[1\]: Finished pt-agent\.service' 'systemd\[1\]: Starting dracut-pre-udev\.service'
            NOTE="agent done at $(ktime 'pt-agent: 2 bound') s, udev trigger started at $(ktime 'Starting systemd-udev-trigger') s"
            ;;
        dracut)
            NOTE="agent done at $(ktime 'pt-agent: 2 bound') s, e1000e loaded at $(ktime 'e1000e: Intel') s"
            ;;
        initramfs-tools)
            NOTE="agent done at $(ktime 'pt-agent: 2 bound') s, e1000e (MODULES) at $(ktime 'e1000e: Intel') s"
            ;;
    esac
}

# No pt.* key: /etc/pt.conf in the image lists both devices.
t_config() {
    boot "$(img_of "$NAME")" || return 0
    state_ok || return 0
    expect .source config
    expect .result ok
    expect .spec '1234:11e8, 8086:10d3@00:07.0'
    bound 0000:00:03.0
    bound 0000:00:07.0
    mod_loaded e1000e
    before 'pt-agent: 2 bound' 'e1000e: Intel'
}

# nothing bound; the NIC kept its driver, the edu has none; no override
untouched_all() {
    drv_is 0000:00:03.0 -
    drv_is 0000:00:07.0 e1000e
    ovr_is 0000:00:03.0 "(null)"
    ovr_is 0000:00:07.0 "(null)"
    expect '[.devices[] | select(.action == "bound")] | length' 0
}

# /etc/pt.conf is binary garbage behind a valid devices line.
t_garbage_config() {
    boot "$(img_of "$NAME")" || return 0
    state_ok || return 0
    untouched_all
    sj '.errors[]' | grep -q '/etc/pt.conf' || fail "errors[] does not name /etc/pt.conf: $(sj -c .errors | head -c 300)"
    case $(sj .result) in failed | nothing-to-do) ;; *) fail "result is '$(sj .result)', want failed or nothing-to-do" ;; esac
    kmsg_has 'pt-agent: .*/etc/pt\.conf'
}

# pt.config= names a file that does not exist (and no /etc/pt.conf).
t_missing_config() {
    boot "$(img_of "$NAME")" "pt.config=/etc/nope.conf" || return 0
    state_ok || return 0
    untouched_all
    sj '.errors[]' | grep -qF 'pt.config=/etc/nope.conf: no such file' ||
        fail "errors[] lacks 'pt.config=/etc/nope.conf: no such file': $(sj -c .errors | head -c 300)"
    kmsg_has 'pt-agent: .*nope\.conf'
}

# Neither a pt.* key nor /etc/pt.conf: the agent does not run.
t_idle() {
    boot "$(img_of "$NAME")" || return 0
    section start | grep -qx 'at-start=state=no' || fail "a state file exists although pt was not asked to run"
    [ ! -s "$STATE" ] || fail "a state file exists although pt was not asked to run"
    if section kmsg | grep -q 'pt-agent: '; then fail "pt-agent ran: $(section kmsg | grep -m 1 'pt-agent: ')"; fi
    if [ "$(gen_of "$NAME")" = dracut-systemd ]; then
        kmsg_has 'pt-agent\.service.* skipped because no trigger condition checks were met'
    fi
    drv_is 0000:00:07.0 e1000e
    drv_is 0000:00:03.0 -
    mod_loaded e1000e
}

# The root disk's controller is listed (by id, as a careless list would);
# protect= recorded in the image keeps it: refused, and the boot reaches
# the real root on that disk. The edu beside it is bound.
t_protect() {
    boot "$(img_of "$NAME")" "pt.devices=1af4:1001,1234:11e8" || return 0
    state_ok || return 0
    expect .result partial
    dev_is 0000:00:0a.0 action skipped
    dev "0000:00:0a.0" error | grep -qF "is protected ('$ROOT_DISK' in protect=)" ||
        fail "0000:00:0a.0 error is '$(dev 0000:00:0a.0 error)'"
    drv_is 0000:00:0a.0 virtio-pci
    ovr_is 0000:00:0a.0 "(null)"
    bound 0000:00:03.0
}

# ---- mkinitcpio's boots ---------------------------------------------------------------------------
# The GPU slot (VGA 1234:1111 at 05.0, HDA audio at 05.1, one IOMMU group)
# and the NIC at 07.0; MODULES=(e1000e). The images hold every storage and
# DRM driver: udev's coldplug (the udev hook's run hook, or
# systemd-udev-trigger) would load bochs, snd_hda_intel and e1000e.
# mk_bound ADDR: handed to vfio-pci before any driver had it (a coldplug
# or MODULES before the agent would have made it "recovered")
mk_bound() {
    bound "$1"
    dev_is "$1" driver_before null
}
mk_notes() { # the build's ERROR lines (the systemd hook's are known)
    local e
    e=$(grep -c 'ERROR' "$IMG/$1.log" 2>/dev/null || true)
    if grep 'ERROR' "$IMG/$1.log" 2>/dev/null | grep -qiE '\bpt\b|sd-pt|pt-agent|vfio'; then
        fail "the build reports an error of pt's hook: $(grep 'ERROR' "$IMG/$1.log" | grep -iE '\bpt\b|sd-pt|pt-agent|vfio' | head -n 1)"
    fi
    [ "$e" = 0 ] || echo "the build reported $e missing files of Debian's systemd (known: shared/mkinitcpio/README.md)"
}
t_mk_cmdline() {
    local sd=''
    [[ $NAME == mkinitcpio-systemd-* ]] && sd=1
    boot "$(img_of "$NAME")" "pt.devices=1234:1111,8086:10d3@00:07.0" || return 0
    state_ok || return 0
    expect .source cmdline
    expect .result ok
    expect '.devices | length' 3
    mk_bound 0000:00:05.0
    mk_bound 0000:00:05.1
    mk_bound 0000:00:07.0
    dev_is 0000:00:05.1 selected_by "group of 1234:1111"
    mod_loaded e1000e
    kmsg_has 'pt-agent: 3 bound'
    # MODULES=(e1000e) loaded it after the early hooks: after the agent
    before 'pt-agent: 3 bound' 'e1000e: Intel'
    if [ -n "$sd" ]; then
        before 'systemd\[1\]: Finished pt-agent\.service' 'systemd\[1\]: Starting systemd-udevd\.service'
        before 'systemd\[1\]: Finished pt-agent\.service' 'systemd\[1\]: Starting systemd-udev-trigger\.service'
        before 'systemd\[1\]: Finished pt-agent\.service' 'systemd\[1\]: Starting systemd-modules-load\.service'
        NOTE="agent done at $(ktime 'pt-agent: 3 bound') s, udev trigger started at $(ktime 'Starting systemd-udev-trigger') s; $(mk_notes mksd-none)"
    else
        NOTE="agent done at $(ktime 'pt-agent: 3 bound') s, e1000e (MODULES) at $(ktime 'e1000e: Intel') s"
        mk_notes mk-none >/dev/null
    fi
}
# /etc/pt.conf in the image names the GPU and the NIC.
t_mk_config() {
    boot "$(img_of "$NAME")" || return 0
    state_ok || return 0
    expect .source config
    expect .result ok
    expect .spec '1234:1111, 8086:10d3@00:07.0'
    mk_bound 0000:00:05.0
    mk_bound 0000:00:05.1
    mk_bound 0000:00:07.0
    before 'pt-agent: 3 bound' 'e1000e: Intel'
}
# Binary garbage as /etc/pt.conf: nothing bound, the boot goes on and
# the coldplug gives every device its driver.
t_mk_garbage_config() {
    boot "$(img_of "$NAME")" || return 0
    state_ok || return 0
    drv_is 0000:00:07.0 e1000e
    drv_is 0000:00:05.0 bochs-drm
    ovr_is 0000:00:05.0 "(null)"
    ovr_is 0000:00:07.0 "(null)"
    expect '[.devices[] | select(.action == "bound")] | length' 0
    sj '.errors[]' | grep -q '/etc/pt.conf' || fail "errors[] does not name /etc/pt.conf: $(sj -c .errors | head -c 300)"
    kmsg_has 'pt-agent: .*/etc/pt\.conf'
    [[ $NAME != mkinitcpio-systemd-* ]] || NOTE=$(mk_notes mksd-garbage)
}
# No key, no config: the agent does not run; every device gets its driver.
t_mk_idle() {
    boot "$(img_of "$NAME")" || return 0
    section start | grep -qx 'at-start=state=no' || fail "a state file exists although pt was not asked to run"
    if section kmsg | grep -q 'pt-agent: '; then fail "pt-agent ran: $(section kmsg | grep -m 1 'pt-agent: ')"; fi
    drv_is 0000:00:07.0 e1000e
    drv_is 0000:00:05.0 bochs-drm
}
# The test hook ptgpu, before pt in HOOKS, loads bochs as an early hook:
# the agent takes the GPU back from it (recovered); its audio function,
# which nothing had bound yet, is bound.
t_mk_recover() {
    boot "$(img_of "$NAME")" "pt.devices=1234:1111" || return 0
    state_ok || return 0
    expect .result ok
    kmsg_has 'pt: test hook ptgpu loaded bochs before pt'
    before 'pt: test hook ptgpu loaded bochs' 'pt-agent: '
    dev_is 0000:00:05.0 action recovered
    dev_is 0000:00:05.0 driver_after vfio-pci
    dev_is 0000:00:05.0 error null
    drv_is 0000:00:05.0 vfio-pci
    dev_is 0000:00:05.0 driver_before bochs-drm
    mk_bound 0000:00:05.1
    drv_is 0000:00:07.0 e1000e
    kmsg_has 'pt-agent: .*1 recovered'
}

# ---- which variant drivers go in ------------------------------------------------------------------
# For one generator, five images of the modules tree with the stand-in
# variant drivers (need_variant_tree), with pt's hook as the only thing
# that could add them:
#   plain   not hostonly, no config           neither
#   named   not hostonly, pt.conf names 1234:11e8     pt_vfio_named
#   host    hostonly, no config               pt_vfio_host (a device here)
#   always  not hostonly, PT_VFIO_MODULES=pt_vfio_host  pt_vfio_host
#   all     not hostonly, PT_VFIO_MODULES=all  both: every variant, as the
#           hooks did before they chose ("before" in the sizes)
# and mlx5_core (their dependency) exactly when one of them is in.
var_build() { # GEN CASE → image VIMG/GEN-CASE.img (log .log); 1 on failure
    local gen=$1 c=$2 out=$VIMG/$1-$2.img log=$VIMG/$1-$2.log conf=/nonexistent always='' host=''
    case $c in
        named) conf=$INT/var-pt.conf ;;
        host) host=1 ;;
        always) always=pt_vfio_host ;;
        all) always=all ;;
    esac
    rm -f "$out"
    local env=(PT_AGENT="$AGENT" PT_CONF="$conf" PT_PROTECT='')
    [ -z "$always" ] || env+=(PT_VFIO_MODULES="$always")
    case $gen in
        dracut)
            local ho=(--no-hostonly)
            [ -z "$host" ] || ho=(--hostonly --no-hostonly-cmdline)
            env "${env[@]}" dracutbasedir="$FARM" "$HERE/ns-run.sh" -C -- \
                dracut --force --conf /dev/null --confdir "$INT/dracut.conf.d" --kver "$KVER" \
                --kmoddir "$VARROOT/lib/modules/$KVER" --no-early-microcode --compress gzip \
                "${ho[@]}" --modules "base pt" \
                "$out" >"$log" 2>&1 || return 1
            ;;
        initramfs-tools)
            local cd=$VIMG/$gen-$c.confdir
            rm -rf "$cd"
            mkdir -p "$cd/hooks" "$cd/scripts/init-top" "$cd/conf.d"
            install -m 0755 "$REPO/initrd/initramfs-tools/hooks/pt" "$cd/hooks/pt"
            install -m 0755 "$REPO/initrd/initramfs-tools/scripts/init-top/00-pt" "$cd/scripts/init-top/00-pt"
            local mods=list
            [ -z "$host" ] || mods=dep
            printf '%s\n' "MODULES=$mods" BUSYBOX=auto KEYMAP=n COMPRESS=gzip DEVICE= \
                NFSROOT=auto RUNSIZE=10% FSTYPE=ext4 >"$cd/initramfs.conf"
            : >"$cd/modules"
            env "${env[@]}" "$HERE/ns-run.sh" -C -k "$VARROOT" -v "$KVER" -- \
                mkinitramfs -d "$cd" -o "$out" "$KVER" >"$log" 2>&1 || return 1
            ;;
        mkinitcpio)
            # hostonly: autodetect in HOOKS (pt asks mkinitcpio's hook list)
            printf 'MODULES=()\nHOOKS=(base pt%s)\nCOMPRESSION=gzip\n' "${host:+ autodetect}" >"$VIMG/$gen-$c.conf"
            env "${env[@]}" "$HERE/mkinitcpio.sh" run "$MKCPIO" -C -- -c "$VIMG/$gen-$c.conf" -k "$KVER" \
                -r "$VARROOT" -D "$REPO/initrd/mkinitcpio" -D "$MKCPIO/lib" -g "$out" >"$log" 2>&1 || return 1
            ;;
    esac
    [ -s "$out" ]
}
t_variants() {
    local gen=${NAME#variants-} c list has want m sizes='' kib
    if [ -n "$VAR_SKIP" ]; then SKIP=$VAR_SKIP; return 0; fi
    if [ "$gen" = mkinitcpio ] && [ -n "$MKCPIO_SKIP" ]; then SKIP=$MKCPIO_SKIP; return 0; fi
    VIMG=$INT/variants
    mkdir -p "$VIMG"
    for c in plain named host always all; do
        if ! var_build "$gen" "$c"; then
            fail "$gen $c: the image was not built: $(grep -vi firmware "$VIMG/$gen-$c.log" | tail -n 3 | paste -sd ' ')"
            continue
        fi
        list=$(lsinitrd "$VIMG/$gen-$c.img" 2>/dev/null | awk '{ print $NF }')
        case $c in
            plain) want="" ;;
            named) want="pt_vfio_named" ;;
            host | always) want="pt_vfio_host" ;;
            all) want="pt_vfio_host pt_vfio_named" ;;
        esac
        for m in pt_vfio_host pt_vfio_named; do
            has=no
            echo "$list" | grep -qE "/$m\.ko(\.[a-z]+)?$" && has=yes
            case " $want " in
                *" $m "*)
                    [ "$has" = yes ] || fail "$gen $c: $m is not in the image"
                    grep -qE "adding vfio-pci variant driver $m: ." "$VIMG/$gen-$c.log" ||
                        fail "$gen $c: the build output does not say why $m was added"
                    ;;
                *) [ "$has" = no ] || fail "$gen $c: $m is in the image" ;;
            esac
        done
        has=no
        echo "$list" | grep -qE '/mlx5_core\.ko(\.[a-z]+)?$' && has=yes
        if [ -n "$want" ] && [ "$has" = no ]; then fail "$gen $c: mlx5_core (a dependency) is not in the image"; fi
        if [ -z "$want" ] && [ "$has" = yes ]; then fail "$gen $c: mlx5_core is in the image"; fi
        echo "$list" | grep -qE '/vfio-pci\.ko(\.[a-z]+)?$' || fail "$gen $c: vfio-pci is not in the image"
        kib=$(($(stat -c %s "$VIMG/$gen-$c.img") / 1024))
        sizes="$sizes $c=${kib}KiB"
    done
    # the reasons the output gives
    grep -q "adding vfio-pci variant driver pt_vfio_named: $INT/var-pt.conf names $VAR_NAMED" "$VIMG/$gen-named.log" 2>/dev/null ||
        fail "$gen named: the build output does not name $INT/var-pt.conf and $VAR_NAMED"
    grep -q "adding vfio-pci variant driver pt_vfio_host: $VAR_HOST_ADDR ($VAR_HOST_ID) is on this host" "$VIMG/$gen-host.log" 2>/dev/null ||
        fail "$gen host: the build output does not name $VAR_HOST_ADDR ($VAR_HOST_ID)"
    NOTE="image sizes:$sizes (all = every variant, as before; plain = after, on a machine that needs none)"
}

# pt-agent vfio-variants itself, on the stand-ins' modules tree: what each
# input chooses (and only that), the notes, the errors. --host reads a
# fixture sysfs (--sysroot) here, so that the devices are the test's.
vv() { # ARGS... → "rc=N" then stdout, one line each; stderr into $RUN/$NAME.err
    local out rc=0
    out=$("$AGENT" vfio-variants --moddir "$VARROOT/lib/modules/$KVER" "$@" 2>>"$RUN/$NAME.err") || rc=$?
    echo "rc=$rc"
    echo "$out"
}
vv_picks() { vv "$@" | grep -vE '^(#|rc=)' | cut -f1 | paste -sd ' '; }
vv_case() { # WANT ARGS...: the chosen modules, space-separated
    local want=$1 got
    shift
    got=$(vv_picks "$@")
    [ "$got" = "$want" ] || fail "vfio-variants $*: chose '$got', want '$want'"
}
t_variants_cli() {
    if [ -n "$VAR_SKIP" ]; then SKIP=$VAR_SKIP; return 0; fi
    local fx=$RUN/variants-sysroot out hv=${VAR_HOST_ID%:*} hd=${VAR_HOST_ID#*:}
    # by id: vendor and device must match; subsystem ids when given
    vv_case "" --devices ""
    vv_case "pt_vfio_named" --devices "$VAR_NAMED"
    vv_case "pt_vfio_named" --devices "8086:10d3, $VAR_NAMED@00:03.0"
    vv_case "pt_vfio_named" --devices "$VAR_NAMED:1af4:1100"
    vv_case "" --devices "1234:11e9"
    vv_case "" --devices "1235:11e8"
    vv_case "" --devices "!$VAR_NAMED"
    vv_case "pt_vfio_host pt_vfio_named" --devices "$VAR_HOST_ID,$VAR_NAMED"
    vv_case "pt_vfio_named" --config "$INT/var-pt.conf"
    vv_case "" --config "$INT/mk-pt.conf"
    # by name
    vv_case "pt_vfio_host" --always pt_vfio_host
    vv_case "pt_vfio_host pt_vfio_named" --always all
    vv_case "pt_vfio_host pt_vfio_named" --always "pt-vfio-named pt_vfio_host"
    # --host: a fixture sysfs with the host id's device and one without
    rm -rf "$fx"
    mkdir -p "$fx/sys/bus/pci/devices/0000:00:05.0" "$fx/sys/bus/pci/devices/0000:00:06.0"
    printf 'pci:v0000%sd0000%ssv00001AF4sd00001100bc01sc00i00\n' "$(echo "$hv" | tr a-f A-F)" "$(echo "$hd" | tr a-f A-F)" \
        >"$fx/sys/bus/pci/devices/0000:00:05.0/modalias"
    printf 'pci:v00008086d000010D3sv00008086sd00000000bc02sc00i00\n' >"$fx/sys/bus/pci/devices/0000:00:06.0/modalias"
    vv_case "pt_vfio_host" --host --sysroot "$fx"
    out=$(vv --host --sysroot "$fx")
    echo "$out" | grep -qxF "pt_vfio_host	0000:00:05.0 ($VAR_HOST_ID) is on this host" ||
        fail "--host: the reason is not '0000:00:05.0 ($VAR_HOST_ID) is on this host': $(echo "$out" | paste -sd '|')"
    rm -rf "$fx/sys/bus/pci/devices/0000:00:05.0"
    vv_case "" --host --sysroot "$fx"
    # an address without an id: a note, unless hostonly
    out=$(vv --devices "26:00.0")
    echo "$out" | grep -q "^# the device list: '26:00.0' names no id" || fail "no note for an entry without an id: $(echo "$out" | paste -sd '|')"
    # a config that does not parse: a note naming it, nothing chosen, exit 0
    out=$(vv --config "$INT/garbage.conf")
    echo "$out" | head -n 1 | grep -qx 'rc=0' || fail "--config garbage: $(echo "$out" | head -n 1), want rc=0"
    echo "$out" | grep -q "^# $INT/garbage.conf cannot be used" || fail "--config garbage: no note naming it: $(echo "$out" | paste -sd '|')"
    # the summary line
    vv | grep -qx "# 0 of the 2 vfio-pci variant driver(s) in $VARROOT/lib/modules/$KVER chosen" ||
        fail "summary line: $(vv | grep '^# ' | head -n 1)"
    # bad input: exit 1 with the input named; the rest still chosen
    : >"$RUN/$NAME.err"
    out=$(vv --always "nosuchmod,pt_vfio_host")
    echo "$out" | head -n 1 | grep -qx 'rc=1' || fail "--always nosuchmod: $(echo "$out" | head -n 1), want rc=1"
    echo "$out" | grep -q '^pt_vfio_host	' || fail "--always nosuchmod,pt_vfio_host: pt_vfio_host not chosen"
    grep -q -- "--always nosuchmod: no module nosuchmod in" "$RUN/$NAME.err" || fail "--always nosuchmod: stderr does not name it: $(head -c 300 "$RUN/$NAME.err")"
    out=$("$AGENT" vfio-variants --moddir "$RUN/nonexistent" 2>&1) && fail "--moddir of no directory: exit 0"
    echo "$out" | grep -q -- "--moddir $RUN/nonexistent: no such directory" || fail "--moddir of no directory: '$out'"
    out=$("$AGENT" vfio-variants 2>&1) && fail "no --moddir: exit 0"
    "$AGENT" vfio-variants --moddir / 2>/dev/null && fail "a directory without modules.alias: exit 0"
    "$AGENT" vfio-variants --bogus 2>/dev/null
    [ $? = 64 ] || fail "an unknown option does not exit 64"
}

# ---- the tests without a boot --------------------------------------------------------------------
LINT_SH=("$REPO/dracut/90pt/module-setup.sh" "$REPO/dracut/90pt/pt-agent.sh"
    "$REPO/initrd/initramfs-tools/hooks/pt" "$REPO/initrd/initramfs-tools/scripts/init-top/00-pt"
    "$REPO/initrd/mkinitcpio/install/pt" "$REPO/initrd/mkinitcpio/install/sd-pt"
    "$REPO/initrd/mkinitcpio/hooks/pt" "$HERE/run.sh" "$HERE/ns-run.sh" "$HERE/mkinitcpio.sh"
    "$HERE/mkinitcpio-hooks/install/ptgpu" "$HERE/mkinitcpio-hooks/hooks/ptgpu")
t_lint() {
    local out
    out=$(cd "$REPO" && shellcheck -x "${LINT_SH[@]}" 2>&1) || fail "shellcheck: $(echo "$out" | grep -m 3 -E '^In |SC[0-9]+' | paste -sd ' ')"
    out=$(shellcheck -s sh "$E2E_DIR/realroot.init" 2>&1) || fail "shellcheck realroot.init: $(echo "$out" | head -n 3 | paste -sd ' ')"
    # the runtime scripts must be valid for a plain POSIX shell too
    local f
    for f in "$REPO/dracut/90pt/pt-agent.sh" "$REPO/initrd/initramfs-tools/scripts/init-top/00-pt" \
        "$REPO/initrd/mkinitcpio/hooks/pt"; do
        /bin/busybox sh -n "$f" 2>/dev/null || fail "busybox sh -n $f fails"
        dash -n "$f" 2>/dev/null || fail "dash -n $f fails"
    done
    # a sourced hook must never end the shell that sources it
    for f in "$REPO/dracut/90pt/pt-agent.sh" "$REPO/initrd/mkinitcpio/hooks/pt"; do
        if grep -nE '^[^#]*\b(exit|exec|set -e)\b' "$f" >/dev/null; then
            fail "${f#"$REPO"/} (sourced by PID 1) has exit/exec/set -e: $(grep -nE '^[^#]*\b(exit|exec|set -e)\b' "$f" | head -n 1)"
        fi
    done
}

# The unit: parses cleanly, and says what it must.
t_unit_file() {
    local u=$REPO/initrd/pt-agent.service out v
    out=$(systemd-analyze verify --man=no "$u" 2>&1) || true
    [ -z "$out" ] || fail "systemd-analyze verify: $(echo "$out" | head -n 3 | paste -sd ' ')"
    # val KEY: every value of KEY=, one per line, words split
    val() { sed -n "s/^$1=//p" "$u" | tr ' ' '\n' | sed '/^$/d'; }
    [ "$(val DefaultDependencies)" = no ] || fail "DefaultDependencies is not no"
    for v in systemd-modules-load.service systemd-udevd.service systemd-udev-trigger.service \
        dracut-cmdline.service dracut-pre-udev.service sysinit.target; do
        val Before | grep -qx "$v" || fail "not Before=$v"
    done
    if val After | grep -qE 'udev|modules-load|sysinit'; then fail "ordered After= a unit it must precede"; fi
    [ "$(val Type)" = oneshot ] || fail "Type is not oneshot"
    val ExecStart | head -n 1 | grep -qx -- '-/usr/sbin/pt-agent' || fail "ExecStart is not -/usr/sbin/pt-agent"
    val WantedBy | grep -qx sysinit.target || fail "not WantedBy=sysinit.target"
    # Triggering conditions ("|"): any one suffices; an unmarked Condition
    # would be ANDed with them. Only "this is an initrd" may be unmarked.
    for v in 'ConditionKernelCommandLine=|pt.devices' 'ConditionKernelCommandLine=|pt.config' \
        'ConditionKernelCommandLine=|pt.off' 'ConditionPathExists=|/etc/pt.conf'; do
        grep -qxF "$v" "$u" || fail "no $v"
    done
    v=$(grep -E '^(Condition|Assert)[A-Za-z]*=' "$u" | grep -vE '^[A-Za-z]+=\|' | grep -vxF 'ConditionPathExists=/etc/initrd-release' || true)
    [ -z "$v" ] || fail "non-triggering conditions besides the initrd check: $v"
    if grep -qE '^(Requires|Requisite|BindsTo)=' "$u"; then fail "hard dependencies could fail it"; fi
    # dracut's copy is the same file
    [ "$(readlink -f "$REPO/dracut/90pt/pt-agent.service")" = "$(readlink -f "$u")" ] ||
        cmp -s "$REPO/dracut/90pt/pt-agent.service" "$u" || fail "dracut/90pt/pt-agent.service differs from initrd/pt-agent.service"
}

# mkinitcpio build hooks in a bash sandbox with stubbed mkinitcpio functions:
# the exact list of calls build() makes.
mkcpio_build() { # HOOKFILE AGENT CONF [systemd]
    local hook=$1 out
    out=$(mktemp "$RUN/mkcpio.XXXXXX")
    PATH=/usr/bin:/bin PT_AGENT=$2 PT_CONF=$3 PT_PROTECT='' WITH_SD=${4:-} OUT=$out HOOK=$hook \
        _d_kmoduledir=$KROOT/lib/modules/$KVER bash -c '
        set -u
        rec() { printf "%s\n" "$*" >>"$OUT"; }
        add_binary() { rec add_binary "$@"; }
        add_module() { rec add_module "$@"; }
        msg2() { :; }
        in_array() { local n=$1 i; shift; for i in "$@"; do [ "$i" = "$n" ] && return 0; done; return 1; }
        _hooks=(base pt udev)
        add_file() { rec add_file "$@"; }
        add_symlink() { rec add_symlink "$@"; }
        add_runscript() { rec add_runscript "${BASH_SOURCE[1]##*/}"; }
        error() { rec error; }
        warning() { rec warning; }
        map() { local f=$1 a r=0; shift; for a in "$@"; do "$f" "$a" || r=1; done; return $r; }
        if [ -n "$WITH_SD" ]; then add_systemd_unit() { rec add_systemd_unit "$@"; }; fi
        . "$HOOK"
        build
        rec "build=$?"
        declare -F help >/dev/null && [ -n "$(help)" ] && rec help
    ' >/dev/null 2>&1 || echo "sandbox failed" >>"$out"
    cat "$out"
    rm -f "$out"
}
t_mkinitcpio_build() {
    local d=$REPO/initrd/mkinitcpio conf=$INT/pt.conf got want mods other_agent=''
    # Debian's kernel has no vfio-pci variant driver: pt-agent vfio-variants
    # chooses none (variants-mkinitcpio has a tree with some)
    mods=$'add_module vfio?\nadd_module vfio_iommu_type1?\nadd_module vfio-pci?'
    want=$(printf '%s\n' "add_binary $AGENT /usr/bin/pt-agent" "$mods" \
        "add_file $conf /etc/pt.conf 644" "add_runscript pt" "build=0" help)
    got=$(mkcpio_build "$d/install/pt" "$AGENT" "$conf")
    [ "$got" = "$want" ] || fail "install/pt with a config: calls $(echo "$got" | paste -sd '|'), want $(echo "$want" | paste -sd '|')"
    want=$(printf '%s\n' "add_binary $AGENT /usr/bin/pt-agent" "$mods" "add_runscript pt" "build=0" help)
    got=$(mkcpio_build "$d/install/pt" "$AGENT" /nonexistent/pt.conf)
    [ "$got" = "$want" ] || fail "install/pt without a config: calls $(echo "$got" | paste -sd '|')"
    want=$(printf '%s\n' "add_binary $AGENT /usr/bin/pt-agent" "$mods" "add_file $conf /etc/pt.conf 644" \
        "add_systemd_unit pt-agent.service" \
        "add_symlink /usr/lib/systemd/system/sysinit.target.wants/pt-agent.service ../pt-agent.service" \
        "build=0" help)
    got=$(mkcpio_build "$d/install/sd-pt" "$AGENT" "$conf" systemd)
    [ "$got" = "$want" ] || fail "install/sd-pt: calls $(echo "$got" | paste -sd '|'), want $(echo "$want" | paste -sd '|')"
    got=$(mkcpio_build "$d/install/sd-pt" "$AGENT" "$conf")
    [ "$got" = $'error\nbuild=1\nhelp' ] || fail "install/sd-pt without the systemd hook: $(echo "$got" | paste -sd '|')"
    # no agent anywhere: an error, and nothing half-added
    for p in /usr/bin/pt-agent /usr/sbin/pt-agent /usr/local/sbin/pt-agent /usr/local/bin/pt-agent; do
        [ -e "$p" ] && other_agent=1
    done
    if [ -z "$other_agent" ]; then
        got=$(mkcpio_build "$d/install/pt" /nonexistent/pt-agent "$conf")
        [ "$got" = $'error\nbuild=1\nhelp' ] || fail "install/pt without an agent: $(echo "$got" | paste -sd '|')"
    fi
    # the documented HOOKS lines: pt right after base, before udev/modconf/kms
    local line h v
    for h in pt sd-pt; do
        line=$(sed -n 's/^#   HOOKS=(\(.*\))$/\1/p' "$d/install/$h")
        [ -n "$line" ] || { fail "install/$h documents no HOOKS line"; continue; }
        pos() { echo " $line " | tr ' ' '\n' | grep -nx "$1" | head -n 1 | cut -d: -f1; }
        for v in udev modconf kms autodetect microcode; do
            [ -z "$(pos "$v")" ] || [ "$(pos "$h")" -lt "$(pos "$v")" ] || fail "install/$h: $h is not before $v in ($line)"
        done
        [ "$h" != sd-pt ] || [ "$(pos systemd)" -lt "$(pos sd-pt)" ] || fail "install/sd-pt: sd-pt not after systemd"
        grep -qF "HOOKS=($line)" "$REPO/README.md" || fail "README.md lacks the HOOKS line of install/$h"
    done
}

# The three runtime scripts (dracut's sourced cmdline hook, initramfs-tools'
# init-top script, mkinitcpio's sourced early hook) in a busybox chroot with
# a fake /proc/cmdline and a fake pt-agent: they run the agent exactly when
# pt.devices=, pt.config=, pt.off or /etc/pt.conf asks for it (not for
# look-alikes such as pt.offset=), and a failing, crashing or missing agent
# ends neither them nor the shell that sources them.
SB=''
sb_case() { # SCRIPT CMDLINE CONF(yes|no) AGENT(ok|fail|crash|missing) → the record
    local script=$1 a
    rm -rf "$SB/etc/pt.conf" "$SB/tmp/rec" "$SB/dev/kmsg" "$SB/usr/sbin/pt-agent" "$SB/usr/bin/pt-agent"
    printf '%s\n' "$2" >"$SB/proc/cmdline"
    [ "$3" = no ] || echo 'devices = 1234:11e8' >"$SB/etc/pt.conf"
    : >"$SB/dev/kmsg"
    case $4 in
        ok) a='exit 0' ;;
        fail) a='exit 3' ;;
        crash) a='kill -SEGV $$' ;;
        missing) a='' ;;
    esac
    if [ -n "$a" ]; then
        for p in usr/sbin usr/bin; do
            printf '#!/bin/sh\necho "agent $#" >>/tmp/rec\n%s\n' "$a" >"$SB/$p/pt-agent"
            chmod 0755 "$SB/$p/pt-agent"
        done
    fi
    case $script in
        dracut) chroot "$SB" /bin/sh -c '. /hooks/dracut-pt.sh; echo "survived" >>/tmp/rec' ;;
        itools) chroot "$SB" /bin/sh -c '/hooks/itools-00-pt; echo "rc $?" >>/tmp/rec; echo "survived" >>/tmp/rec' ;;
        mkinitcpio) chroot "$SB" /bin/sh -c 'err() { echo "err $*" >>/tmp/rec; }
            msg() { :; }
            . /hooks/mkinitcpio-pt
            for f in run_earlyhook run_hook run_latehook run_cleanuphook; do
                type "$f" >/dev/null 2>&1 && echo "has $f" >>/tmp/rec
            done
            run_earlyhook; echo "rc $?" >>/tmp/rec; echo "survived" >>/tmp/rec' ;;
    esac >/dev/null 2>&1
    sed 's/^<3>//' "$SB/dev/kmsg" >>"$SB/tmp/rec"
    cat "$SB/tmp/rec"
}
t_runtime_hooks() {
    SB=$RUN/sandbox
    rm -rf "$SB"
    mkdir -p "$SB"/{bin,usr/bin,usr/sbin,proc,etc,dev,hooks,tmp}
    cp /bin/busybox "$SB/bin/busybox"
    for a in sh cat echo sed; do ln -s busybox "$SB/bin/$a"; done
    mknod -m 0666 "$SB/dev/null" c 1 3
    install -m 0755 "$REPO/dracut/90pt/pt-agent.sh" "$SB/hooks/dracut-pt.sh"
    install -m 0755 "$REPO/initrd/initramfs-tools/scripts/init-top/00-pt" "$SB/hooks/itools-00-pt"
    install -m 0755 "$REPO/initrd/mkinitcpio/hooks/pt" "$SB/hooks/mkinitcpio-pt"
    local s c cl conf ag runs got want
    # CMDLINE | CONF | AGENT | does the agent run?
    local cases=(
        "root=/dev/sda pt.devices=10de:1c03|no|ok|yes"
        "root=/dev/sda|no|ok|no"
        "root=/dev/sda|yes|ok|yes"
        "quiet pt.config=/etc/other.conf|no|ok|yes"
        "pt.off|no|ok|yes"
        "quiet pt.off=1|no|ok|yes"
        'root=/dev/sda "pt.devices=26:00.0, 26:00.1"|no|ok|yes'
        "pt.offset=1 xpt.devices=1 pt.devicesx pt.dryrun|no|ok|no"
        "pt.devices=1234:11e8|no|fail|yes"
        "pt.devices=1234:11e8|no|crash|yes"
        "pt.devices=1234:11e8|no|missing|yes"
        "root=/dev/sda|yes|missing|yes"
        "root=/dev/sda|no|missing|no"
    )
    for s in dracut itools mkinitcpio; do
        for c in "${cases[@]}"; do
            IFS='|' read -r cl conf ag runs <<<"$c"
            got=$(sb_case "$s" "$cl" "$conf" "$ag")
            want=$(sb_want "$s" "$runs" "$ag")
            [ "$got" = "$want" ] || fail "$s with '$cl' conf=$conf agent=$ag: got $(echo "$got" | paste -sd '|'), want $(echo "$want" | paste -sd '|')"
        done
    done
}
# sb_want SCRIPT RUNS AGENT: what sb_case must record
sb_want() {
    local s=$1 msg=''
    [ "$s" != mkinitcpio ] || echo "has run_earlyhook"
    if [ "$2" = yes ]; then
        case $3 in
            ok) echo "agent 0" ;;
            fail) echo "agent 0"; msg="pt: pt-agent failed with status 3" ;;
            crash) echo "agent 0"; msg="pt: pt-agent failed with status 139" ;;
            missing) msg="pt: /usr/sbin/pt-agent is missing from the initramfs"
                [ "$s" != mkinitcpio ] || msg="pt: pt-agent is missing from the initramfs" ;;
        esac
    fi
    case $s in
        mkinitcpio) [ -z "$msg" ] || echo "err $msg"; echo "rc 0"; echo survived ;;
        itools) echo "rc 0"; echo survived; [ -z "$msg" ] || echo "$msg" ;;
        dracut) echo survived; [ -z "$msg" ] || echo "$msg" ;;
    esac
}

# The Makefile's install target, run into a DESTDIR: every file lands
# where the generators look, with the right mode, as a regular file with the
# source's content; and the generators' directories can be overridden.
t_install_layout() {
    local d=$RUN/destdir out f src dst mode
    rm -rf "$d"
    out=$(make -s -C "$REPO" install DESTDIR="$d" 2>&1) || {
        fail "make install does not run: $(echo "$out" | tail -n 3 | paste -sd ' ')"
        return 0
    }
    while read -r src dst mode; do
        f=$d$dst
        if [ ! -f "$f" ] || [ -L "$f" ]; then fail "$dst is not installed as a regular file"; continue; fi
        [ "$(stat -c %a "$f")" = "$mode" ] || fail "$dst has mode $(stat -c %a "$f"), want $mode"
        cmp -s "$f" "$REPO/$src" || fail "$dst differs from $src"
    done <<EOF_LAYOUT
initrd/pt-agent.service /usr/lib/systemd/system/pt-agent.service 644
dracut/90pt/module-setup.sh /usr/lib/dracut/modules.d/90pt/module-setup.sh 755
dracut/90pt/pt-agent.sh /usr/lib/dracut/modules.d/90pt/pt-agent.sh 755
initrd/pt-agent.service /usr/lib/dracut/modules.d/90pt/pt-agent.service 644
initrd/initramfs-tools/hooks/pt /usr/share/initramfs-tools/hooks/pt 755
initrd/initramfs-tools/scripts/init-top/00-pt /usr/share/initramfs-tools/scripts/init-top/00-pt 755
initrd/mkinitcpio/install/pt /usr/lib/initcpio/install/pt 644
initrd/mkinitcpio/install/sd-pt /usr/lib/initcpio/install/sd-pt 644
initrd/mkinitcpio/hooks/pt /usr/lib/initcpio/hooks/pt 644
man/pt-agent.8 /usr/local/share/man/man8/pt-agent.8 644
man/pt-status.8 /usr/local/share/man/man8/pt-status.8 644
EOF_LAYOUT
    [ -x "$d/usr/local/sbin/pt-agent" ] || fail "make install did not install /usr/local/sbin/pt-agent"
    [ -x "$d/usr/local/bin/pt-status" ] || fail "make install did not install /usr/local/bin/pt-status"
    # overridable: DRACUTDIR=/x puts the module in /x/90pt
    out=$(make -s -C "$REPO" install DESTDIR="$d.2" DRACUTDIR=/x MKINITCPIO_DIR=/y \
        INITRAMFS_TOOLS_DIR=/z SYSTEMD_UNIT_DIR=/u 2>&1) || true
    for f in /x/90pt/module-setup.sh /y/install/pt /z/hooks/pt /u/pt-agent.service; do
        [ -f "$d.2$f" ] || fail "with the directories overridden, $f is not installed"
    done
    rm -rf "$d.2"
}

# A hostonly image (dracut --hostonly) has the same contents as the others:
# the module must not let hostonly mode drop vfio-pci (rarely loaded on the
# build host) or the config.
t_dracut_hostonly() {
    local img=$IMG/dracut-hostonly.img list f
    if [ ! -s "$img" ]; then fail "the hostonly image was not built: $(tail -n 3 "$IMG/dracut-hostonly.log" 2>/dev/null | tr '\n' ' ')"; return 0; fi
    list=$(lsinitrd "$img" 2>/dev/null | awk '{ print $NF }')
    for f in usr/sbin/pt-agent etc/pt.conf usr/lib/dracut/hooks/cmdline/00-pt-agent.sh \
        "lib/modules/$KVER/kernel/drivers/vfio/vfio.ko" "lib/modules/$KVER/kernel/drivers/vfio/vfio_iommu_type1.ko" \
        "lib/modules/$KVER/kernel/drivers/vfio/pci/vfio-pci.ko" "lib/modules/$KVER/kernel/drivers/vfio/pci/vfio-pci-core.ko"; do
        echo "$list" | grep -qE "^(usr/)?$f$" || fail "hostonly image lacks $f"
    done
    cmp -s <(lsinitrd -f etc/pt.conf "$img" 2>/dev/null) "$INT/pt.conf" || fail "hostonly image's /etc/pt.conf differs from the host's"
    cmp -s <(lsinitrd -f usr/sbin/pt-agent "$img" 2>/dev/null) "$AGENT" || fail "hostonly image's pt-agent differs from $AGENT"
    if grep -q 'Switching to non-hostonly mode' "$IMG/dracut-hostonly.log" 2>/dev/null; then
        NOTE="no /proc/modules on this host: dracut-install chose modules as in non-hostonly mode"
    fi
}

# ---- runner ---------------------------------------------------------------------------------------
excerpt() {
    echo "  logs: $RUN/$NAME.{log,res,boot}"
    if [ -s "$RES" ] && section end >/dev/null; then
        echo "  --- kernel log (pt-agent, drivers, systemd units):"
        section kmsg | grep -vE 'Command line|Dynamic Preempt' | sed 's/^/    /' | head -n 25
        if [ -s "$STATE" ] && jq -e . "$STATE" >/dev/null 2>&1; then
            echo "  --- state.json (abridged):"
            jq -c '{result, source, spec, errors, warnings}, (.devices[]? | {addr, driver_before, driver_after, action, error})' \
                "$STATE" 2>&1 | sed 's/^/    /' | head -n 12
        fi
        echo "  --- PCI functions in the booted system:"
        section pci-final | grep -E '^0000:00:0(3|7)' | sed 's/^/    /'
    elif [ -s "$LOG" ]; then
        echo "  --- console (last 25 lines):"
        tr -d '\r' <"$LOG" | tail -n 25 | sed 's/^/    /'
    fi
}

run_one() (
    set +e
    NAME=$1
    LOG=$RUN/$NAME.log RES=$RUN/$NAME.res STATE=$RUN/$NAME.state.json
    local t0 ms fn
    t0=$(date +%s%N)
    case $NAME in
        mkinitcpio-build) fn=t_mkinitcpio_build ;;
        mkinitcpio-systemd-*) fn=t_mk_${NAME#mkinitcpio-systemd-} fn=${fn//-/_} ;;
        mkinitcpio-*) fn=t_mk_${NAME#mkinitcpio-} fn=${fn//-/_} ;;
        variants-cli) fn=t_variants_cli ;;
        variants-*) fn=t_variants ;;
        *-garbage-config) fn=t_garbage_config ;;
        *-missing-config) fn=t_missing_config ;;
        *-config) fn=t_config ;;
        *-cmdline) fn=t_cmdline ;;
        *-idle) fn=t_idle ;;
        *-protect) fn=t_protect ;;
        *) fn=t_${NAME//-/_} ;;
    esac
    case $NAME in mkinitcpio-build) ;; mkinitcpio-*) [ -z "$MKCPIO_SKIP" ] || SKIP=$MKCPIO_SKIP ;; esac
    if ! declare -F "$fn" >/dev/null; then
        fail "internal: no test function $fn"
    elif [ -z "$SKIP" ]; then
        "$fn"
    fi
    ms=$((($(date +%s%N) - t0) / 1000000))
    secs=$(printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)))
    if [ -n "$SKIP" ]; then
        echo "SKIP $NAME: $SKIP" >"$RUN/$NAME.out"
        echo SKIP >"$RUN/$NAME.result"
    elif [ ${#FAILS[@]} -eq 0 ]; then
        echo "PASS $NAME (${secs}s)${NOTE:+ — $NOTE}" >"$RUN/$NAME.out"
        echo PASS >"$RUN/$NAME.result"
    else
        {
            local reason
            reason=$(printf '%s; ' "${FAILS[@]:0:3}")
            reason=${reason%; }
            [ ${#FAILS[@]} -le 3 ] || reason="$reason; and $((${#FAILS[@]} - 3)) more"
            echo "FAIL $NAME: $reason"
            excerpt
        } >"$RUN/$NAME.out" 2>&1
        echo FAIL >"$RUN/$NAME.result"
    fi
)

PASSED=0 FAILED=0 SKIPPED=0
report() {
    cat "$RUN/$1.out" 2>/dev/null || echo "FAIL $1: the test did not finish (internal error; logs in $RUN)"
    if [ "$(cat "$RUN/$1.result" 2>/dev/null)" = SKIP ]; then
        SKIPPED=$((SKIPPED + 1))
    elif [ "$(cat "$RUN/$1.result" 2>/dev/null)" = PASS ]; then
        PASSED=$((PASSED + 1))
    else
        FAILED=$((FAILED + 1))
    fi
}

declare -A PID_OF=() FINISHED=()
next=0
flush() {
    while [ "$next" -lt ${#TESTS[@]} ] && [ -n "${FINISHED[${TESTS[$next]}]:-}" ]; do
        report "${TESTS[$next]}"
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
for t in "${TESTS[@]}"; do
    while [ ${#PID_OF[@]} -ge "$JOBS" ]; do reap; done
    run_one "$t" &
    PID_OF[$!]=$t
done
while [ ${#PID_OF[@]} -gt 0 ]; do reap; done
e2e_step "suite time $(($(date +%s) - T0)) s; logs in $RUN, images in $IMG"
if [ "$SKIPPED" -gt 0 ]; then
    echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
else
    echo "$PASSED passed, $FAILED failed"
fi
[ "$FAILED" = 0 ]
