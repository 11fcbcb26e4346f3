#!/bin/bash
# kernel.sh BUILD_DIR — fetch and unpack Debian's 6.1 amd64 kernel for the
# end-to-end tests.
#
# Picks the newest linux-image-6.1.0-N-amd64 the apt lists know (preferring
# the -unsigned variant: same vmlinuz bits minus the signature, no
# dependency on a shim), downloads it once into BUILD_DIR/e2e/cache,
# extracts it to BUILD_DIR/e2e/kernel/root and runs depmod on it.
#
# Writes BUILD_DIR/e2e/kernel.env (shell-sourceable, also printed):
#   KPKG=linux-image-6.1.0-N-amd64-unsigned
#   KVER=6.1.0-N-amd64
#   KROOT=/abs/BUILD_DIR/e2e/kernel/root
#   VMLINUZ=$KROOT/boot/vmlinuz-$KVER
#   MODDIR=$KROOT/lib/modules/$KVER
#
# Environment:
#   PT_E2E_KPKG   pin a package name instead of picking the newest
#   PT_E2E_QUIET  non-empty: no progress lines on stderr
# Offline: if apt cannot be asked, the newest .deb already in the cache is
# used.
set -eu -o pipefail

die() { echo "kernel.sh: $*" >&2; exit 1; }
step() { [ -n "${PT_E2E_QUIET:-}" ] || echo "kernel.sh: $*" >&2; }

[ $# -eq 1 ] || die "usage: kernel.sh BUILD_DIR"
mkdir -p "$1"
BUILD_DIR=$(cd "$1" && pwd)
E2E=$BUILD_DIR/e2e
CACHE=$E2E/cache
mkdir -p "$CACHE"

# Newest name among stdin lines of the form linux-image-6.1.0-N-amd64[-unsigned]
# that apt can actually install (has a candidate version).
pick_pkg() {
    local names
    names=$(apt-cache pkgnames linux-image-6.1.0- 2>/dev/null |
        grep -E '^linux-image-6\.1\.0-[0-9]+-amd64(-unsigned)?$') || return 1
    # One apt-cache policy call; keep the names with a candidate version.
    # shellcheck disable=SC2086 # word splitting of the name list is wanted
    apt-cache policy $names 2>/dev/null |
        awk '/^[^ ]/ { name = $1; sub(/:$/, "", name) }
             /^  Candidate: / && $2 != "(none)" { print name }' |
        sort -V -r | head -n 1 | grep .
    # sort -V -r puts N-amd64-unsigned before N-amd64 for equal N.
}

if [ -n "${PT_E2E_KPKG:-}" ]; then
    KPKG=$PT_E2E_KPKG
    step "using pinned package $KPKG"
elif KPKG=$(pick_pkg); then
    step "newest kernel package: $KPKG"
else
    # Offline fallback: newest cached .deb.
    deb=$(find "$CACHE" -maxdepth 1 -name 'linux-image-6.1.0-*-amd64*.deb' -printf '%f\n' |
        sort -V -r | head -n 1)
    [ -n "$deb" ] || die "no linux-image-6.1.0-*-amd64 package known to apt and none cached"
    KPKG=${deb%%_*}
    step "apt knows no kernel package; using cached $deb"
fi

KVER=${KPKG#linux-image-}
KVER=${KVER%-unsigned}
case $KVER in
    6.1.0-*-amd64) ;;
    *) die "unexpected package name $KPKG" ;;
esac

# 1. download (once)
deb=$(find "$CACHE" -maxdepth 1 -name "${KPKG}_*_amd64.deb" -printf '%f\n' | sort -V -r | head -n 1)
if [ -n "$deb" ]; then
    step "cached: $deb"
else
    step "downloading $KPKG (about 70 MB)..."
    tmp=$(mktemp -d "$CACHE/dl.XXXXXX")
    chmod 0777 "$tmp" # lets apt use its _apt sandbox user
    # apt-get download writes to the current directory; as root it warns
    # about the unsandboxed download (harmless).
    if ! (cd "$tmp" && apt-get download -q "$KPKG" >&2); then
        rm -rf "$tmp"
        die "apt-get download $KPKG failed"
    fi
    deb=$(find "$tmp" -maxdepth 1 -name "${KPKG}_*_amd64.deb" -printf '%f\n' | head -n 1)
    [ -n "$deb" ] || { rm -rf "$tmp"; die "apt-get download $KPKG failed"; }
    mv "$tmp/$deb" "$CACHE/$deb"
    rm -rf "$tmp"
    step "downloaded: $deb"
fi

# 2. extract + depmod (once per .deb; the stamp names the .deb)
KDIR=$E2E/kernel
KROOT=$KDIR/root
STAMP=$KDIR/stamp
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$deb" ] &&
    [ -f "$KROOT/boot/vmlinuz-$KVER" ] && [ -f "$KROOT/lib/modules/$KVER/modules.dep.bin" ]; then
    step "already extracted: $KROOT"
else
    step "extracting $deb..."
    rm -rf "$KDIR"
    mkdir -p "$KDIR"
    dpkg -x "$CACHE/$deb" "$KDIR/root.tmp"
    # Debian 12 is merged-/usr but the kernel package still ships /lib/modules.
    [ -d "$KDIR/root.tmp/lib/modules/$KVER" ] || die "no lib/modules/$KVER in $deb"
    step "depmod -b $KROOT $KVER..."
    mv "$KDIR/root.tmp" "$KROOT"
    depmod -b "$KROOT" "$KVER"
    echo "$deb" >"$STAMP"
fi

VMLINUZ=$KROOT/boot/vmlinuz-$KVER
MODDIR=$KROOT/lib/modules/$KVER
[ -f "$VMLINUZ" ] || die "missing $VMLINUZ"

cat >"$E2E/kernel.env.tmp" <<ENV
KPKG=$KPKG
KDEB=$CACHE/$deb
KVER=$KVER
KROOT=$KROOT
VMLINUZ=$VMLINUZ
MODDIR=$MODDIR
ENV
mv "$E2E/kernel.env.tmp" "$E2E/kernel.env"
step "wrote $E2E/kernel.env"
cat "$E2E/kernel.env"
