#!/bin/bash
# kernel.sh BUILD_DIR [KERNEL...] — fetch and prepare Debian's amd64
# kernels for the end-to-end tests, each once.
#
# KERNEL (arguments, else PT_E2E_KERNEL, a space or comma separated list;
# default 6.1):
#   6.1       Debian 12's linux-image-6.1.0-N-amd64: uncompressed .ko
#             under lib/modules; from the machine's own apt sources
#   6.12      Debian 13's linux-image-6.12.N+deb13-amd64: .ko.xz under
#             usr/lib/modules (merged /usr); from a private apt source
#             list for the suite trixie, derived from the machine's own
#             deb entries (agent/apt-sources.sh: same URIs and keyrings),
#             with private lists and cache under BUILD_DIR/e2e/apt-trixie;
#             /etc/apt is never touched
#   6.12-zst  the same kernel with every .ko.xz recompressed as .ko.zst
#             (zstd) and depmod run again: proves the zstd decoder
# The newest package with a candidate version is picked (the -unsigned
# variant preferred: same vmlinuz bits minus the EFI signature, no shim
# dependency), downloaded once into BUILD_DIR/e2e/cache, extracted to
# BUILD_DIR/e2e/kernel-KERNEL/root, and depmod'ed. A merged-/usr package
# gets the symlink root/lib -> usr/lib, so root/lib/modules/KVER works for
# depmod -b and modprobe -d as on the installed system.
#
# Writes BUILD_DIR/e2e/kernel-KERNEL.env (shell-sourceable, also printed):
#   KLABEL=6.12
#   KPKG=linux-image-6.12.N+deb13-amd64-unsigned
#   KDEB=/abs/BUILD_DIR/e2e/cache/....deb
#   KVER=6.12.N+deb13-amd64
#   KROOT=/abs/BUILD_DIR/e2e/kernel-6.12/root
#   VMLINUZ=$KROOT/boot/vmlinuz-$KVER
#   MODDIR=$KROOT/usr/lib/modules/$KVER     (where the files really are)
#   MODEXT=.ko.xz                           (.ko | .ko.xz | .ko.zst)
#   USRMERGE=1                              (modules under usr/lib)
# and, for 6.1, the same as BUILD_DIR/e2e/kernel.env (what the
# integration suite and the benchmarks read).
#
# Environment:
#   PT_E2E_KERNEL  the kernels (see above)
#   PT_E2E_KPKG    pin a package name instead of picking the newest; it
#                  applies to the kernel whose package names it matches
#   PT_E2E_QUIET   non-empty: no progress lines on stderr
# Offline: if apt cannot be asked, the newest .deb already in the cache is
# used.
set -eu -o pipefail

die() { echo "kernel.sh: $*" >&2; exit 1; }
step() { [ -n "${PT_E2E_QUIET:-}" ] || echo "kernel.sh: $*" >&2; }

[ $# -ge 1 ] || die "usage: kernel.sh BUILD_DIR [6.1|6.12|6.12-zst...]"
mkdir -p "$1"
BUILD_DIR=$(cd "$1" && pwd)
shift
HERE=$(cd "$(dirname "$0")" && pwd)
E2E=$BUILD_DIR/e2e
CACHE=$E2E/cache
mkdir -p "$CACHE"
KERNELS=("$@")
if [ ${#KERNELS[@]} -eq 0 ]; then
    k=${PT_E2E_KERNEL:-6.1}
    read -ra KERNELS <<<"${k//,/ }"
fi
[ ${#KERNELS[@]} -gt 0 ] || die "PT_E2E_KERNEL is empty (want 6.1, 6.12, 6.12-zst or a list)"

# ---- apt: the machine's own sources, or a private list for another suite ----
APT=() # options for apt-get/apt-cache; empty = the system's apt

# private_apt SUITE: APT options for a private sources list of SUITE derived
# from the machine's deb entries; lists and cache under BUILD/e2e/apt-SUITE.
# The indexes are fetched when missing or older than 12 hours; a failed
# fetch leaves the old ones (or none: then only the cache can help).
private_apt() {
    local suite=$1 dir=$E2E/apt-$1 files=()
    # shellcheck source=agent/apt-sources.sh
    . "$HERE/../../agent/apt-sources.sh"
    mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/sources.list.d" "$dir/keys"
    mapfile -t files < <(system_sources)
    [ ${#files[@]} -gt 0 ] || die "no apt sources configured on this machine"
    derive_deb_suite "$suite" "$dir/keys" "${files[@]}" >"$dir/sources.list.tmp"
    grep -q '^deb ' "$dir/sources.list.tmp" ||
        die "no Debian archive entry in ${files[*]} to derive a $suite source from"
    mv "$dir/sources.list.tmp" "$dir/sources.list"
    APT=(-o "Dir::Etc::SourceList=$dir/sources.list"
        -o "Dir::Etc::SourceParts=$dir/sources.list.d"
        -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
        -o "APT::Get::List-Cleanup=0")
    # apt fetches as the unprivileged _apt user: let it write here.
    if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then
        chown _apt "$dir/lists/partial" "$dir/cache/archives/partial"
    fi
    if [ -z "$(find "$dir/lists" -maxdepth 1 -name '*_Packages*' -mmin -720 -print -quit)" ]; then
        step "fetching the $suite package index (private apt state in $dir)..."
        apt-get -q "${APT[@]}" update >"$dir/update.log" 2>&1 ||
            step "apt-get update for $suite failed (see $dir/update.log)"
    fi
}

# pick_pkg REGEX PREFIX: newest package name matching REGEX that apt can
# install (has a candidate). sort -V -r puts N-unsigned before N.
pick_pkg() {
    local names
    names=$(apt-cache "${APT[@]}" pkgnames "$2" 2>/dev/null | grep -E "$1") || return 1
    # shellcheck disable=SC2086 # word splitting of the name list is wanted
    apt-cache "${APT[@]}" policy $names 2>/dev/null |
        awk '/^[^ ]/ { name = $1; sub(/:$/, "", name) }
             /^  Candidate: / && $2 != "(none)" { print name }' |
        sort -V -r | head -n 1 | grep .
}

# fetch LABEL REGEX PREFIX: sets KPKG, KVER, DEB (the cached .deb's name)
fetch() {
    local label=$1 re=$2 prefix=$3 tmp
    if [ -n "${PT_E2E_KPKG:-}" ] && [[ $PT_E2E_KPKG =~ $re ]]; then
        KPKG=$PT_E2E_KPKG
        step "$label: using pinned package $KPKG"
    elif KPKG=$(pick_pkg "$re" "$prefix"); then
        step "$label: newest kernel package: $KPKG"
    else
        DEB=$(find "$CACHE/" -maxdepth 1 -name "${prefix}*.deb" -printf '%f\n' |
            sed 's/_.*//' | grep -E "$re" | sort -V -r | head -n 1)
        [ -n "$DEB" ] || die "$label: no ${prefix}* package known to apt and none cached"
        KPKG=$DEB
        step "$label: apt knows no kernel package; using the cached $KPKG"
    fi
    [[ $KPKG =~ $re ]] || die "$label: unexpected package name $KPKG"
    KVER=${KPKG#linux-image-}
    KVER=${KVER%-unsigned}
    DEB=$(find "$CACHE/" -maxdepth 1 -name "${KPKG}_*_amd64.deb" -printf '%f\n' | sort -V -r | head -n 1)
    if [ -n "$DEB" ]; then
        step "$label: cached: $DEB"
        return 0
    fi
    step "$label: downloading $KPKG (70-110 MB)..."
    tmp=$(mktemp -d "$CACHE/dl.XXXXXX")
    chmod 0777 "$tmp" # lets apt use its _apt sandbox user
    if ! (cd "$tmp" && apt-get download -q "${APT[@]}" "$KPKG" >&2); then
        rm -rf "$tmp"
        die "$label: apt-get download $KPKG failed"
    fi
    DEB=$(find "$tmp" -maxdepth 1 -name "${KPKG}_*_amd64.deb" -printf '%f\n' | head -n 1)
    [ -n "$DEB" ] || { rm -rf "$tmp"; die "$label: apt-get download $KPKG failed"; }
    mv "$tmp/$DEB" "$CACHE/$DEB"
    rm -rf "$tmp"
    step "$label: downloaded: $DEB"
}

# modext MODDIR: the file name ending of vfio-pci's module there
modext() {
    local f
    f=$(find "$1/kernel/drivers/vfio/pci" -name 'vfio-pci.ko*' -printf '%f\n' | head -n 1)
    [ -n "$f" ] || die "no vfio-pci module under $1"
    echo ".${f#vfio-pci.}"
}

# extract LABEL: dpkg -x the .deb to kernel-LABEL/root (once per .deb),
# link lib -> usr/lib for a merged-/usr package, depmod. Sets KROOT.
extract() {
    local label=$1 kdir=$E2E/kernel-$1 md
    KROOT=$kdir/root
    if [ -f "$kdir/stamp" ] && [ "$(cat "$kdir/stamp")" = "$DEB" ] &&
        [ -f "$KROOT/boot/vmlinuz-$KVER" ] && [ -f "$KROOT/lib/modules/$KVER/modules.dep.bin" ]; then
        step "$label: already extracted: $KROOT"
        return 0
    fi
    step "$label: extracting $DEB..."
    rm -rf "$kdir"
    mkdir -p "$kdir"
    dpkg -x "$CACHE/$DEB" "$kdir/root.tmp"
    if [ -d "$kdir/root.tmp/usr/lib/modules/$KVER" ] && [ ! -e "$kdir/root.tmp/lib" ]; then
        ln -s usr/lib "$kdir/root.tmp/lib"
    fi
    md=$kdir/root.tmp/lib/modules/$KVER
    [ -d "$md" ] || die "$label: no lib/modules/$KVER or usr/lib/modules/$KVER in $DEB"
    mv "$kdir/root.tmp" "$KROOT"
    step "$label: depmod -b $KROOT $KVER..."
    depmod -b "$KROOT" "$KVER"
    echo "$DEB" >"$kdir/stamp"
}

# recompress_zst: kernel-6.12-zst/root = kernel-6.12/root (hard links)
# with every .ko.xz as .ko.zst, depmod'ed again. Once per .deb.
recompress_zst() {
    local src=$KROOT kdir=$E2E/kernel-6.12-zst md n
    KROOT=$kdir/root
    if [ -f "$kdir/stamp" ] && [ "$(cat "$kdir/stamp")" = "$DEB" ] &&
        [ -f "$KROOT/lib/modules/$KVER/modules.dep.bin" ]; then
        step "6.12-zst: already recompressed: $KROOT"
        return 0
    fi
    command -v zstd >/dev/null || die "6.12-zst: no zstd (apt-get install zstd)"
    rm -rf "$kdir"
    mkdir -p "$kdir"
    step "6.12-zst: recompressing the .ko.xz modules of $KVER as .ko.zst..."
    cp -al "$src" "$kdir/root.tmp"
    md=$kdir/root.tmp/usr/lib/modules/$KVER
    rm -f "$md"/modules.*.bin "$md"/modules.{alias,dep,symbols,softdep,devname,weakdep}
    # xz -d | zstd into a new file; the hard link to 6.12's .ko.xz goes.
    # shellcheck disable=SC2016 # the inner sh expands them
    find "$md" -name '*.ko.xz' -print0 |
        xargs -0 -r -n 64 -P "$(nproc)" sh -c 'for f; do
            xz -dc "$f" | zstd -q -o "${f%.xz}.zst" && rm -f "$f" || exit 255
        done' sh ||
        die "6.12-zst: recompression failed"
    n=$(find "$md" -name '*.ko.xz' | wc -l)
    [ "$n" = 0 ] || die "6.12-zst: $n .ko.xz left"
    mv "$kdir/root.tmp" "$KROOT"
    step "6.12-zst: depmod -b $KROOT $KVER..."
    depmod -b "$KROOT" "$KVER"
    echo "$DEB" >"$kdir/stamp"
}

prepare() {
    local label=$1 want env moddir usrmerge=0
    case $label in
        6.1)
            APT=()
            fetch 6.1 '^linux-image-6\.1\.0-[0-9]+-amd64(-unsigned)?$' linux-image-6.1.0-
            extract 6.1
            want=.ko
            ;;
        6.12 | 6.12-zst)
            private_apt trixie
            fetch "$label" '^linux-image-6\.12\.[0-9]+\+deb13-amd64(-unsigned)?$' linux-image-6.12.
            extract 6.12
            want=.ko.xz
            if [ "$label" = 6.12-zst ]; then
                recompress_zst
                want=.ko.zst
            fi
            ;;
        *) die "unknown kernel '$label' (want 6.1, 6.12 or 6.12-zst)" ;;
    esac
    moddir=$KROOT/lib/modules/$KVER
    if [ -L "$KROOT/lib" ]; then
        usrmerge=1
        moddir=$KROOT/usr/lib/modules/$KVER
    fi
    [ -f "$KROOT/boot/vmlinuz-$KVER" ] || die "$label: missing $KROOT/boot/vmlinuz-$KVER"
    [ "$(modext "$moddir")" = "$want" ] ||
        die "$label: vfio-pci is $(modext "$moddir") in $KPKG, want $want"
    env=$E2E/kernel-$label.env
    cat >"$env.tmp" <<ENV
KLABEL=$label
KPKG=$KPKG
KDEB=$CACHE/$DEB
KVER=$KVER
KROOT=$KROOT
VMLINUZ=$KROOT/boot/vmlinuz-$KVER
MODDIR=$moddir
MODEXT=$want
USRMERGE=$usrmerge
ENV
    mv "$env.tmp" "$env"
    [ "$label" != 6.1 ] || cp "$env" "$E2E/kernel.env"
    step "wrote $env"
    cat "$env"
}

for k in "${KERNELS[@]}"; do prepare "$k"; done
