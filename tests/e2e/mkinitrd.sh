#!/bin/bash
# mkinitrd.sh — build a small initramfs for the QEMU end-to-end tests.
#
# usage: mkinitrd.sh -e KERNEL_ENV -i INIT -o OUTPUT [options]
#   -e FILE    kernel.env written by kernel.sh (gives KROOT and KVER)
#   -i FILE    init script, installed as /init (busybox sh; may source
#              /lib/pt-e2e.sh, see initlib.sh)
#   -o FILE    output: newc cpio (gzip-compressed with -z)
#   -a FILE    agent binary: installed as /sbin/pt-agent, with the symlink
#              /pt-agent -> sbin/pt-agent (for rdinit=/pt-agent)
#   -m LIST    modules (comma or space separated) to include with their
#              dependency closure and softdeps, as kmod's modprobe resolves
#              them. Default: $DEFAULT_MODULES
#              A leading "+" adds to the default instead of replacing it.
#   -f SRC:DEST  extra file (repeatable), e.g. -f my.conf:/etc/pt.conf
#   -t DIR     extra tree copied over the root (repeatable)
#   -k         include kmod (dynamic, with its glibc libraries) as
#              modprobe/insmod/rmmod/lsmod/modinfo/depmod
#   -z         gzip -1 the archive
#   -q         quiet
#
# Layout inside: /bin/busybox + applet symlinks, /init, /lib/pt-e2e.sh,
# /lib/modules/KVER/kernel/... (subset, the kernel's own files: .ko,
# .ko.xz or .ko.zst) with depmod-generated indexes; for a merged-/usr
# kernel (USRMERGE=1 in the env: Debian 13) /lib is a symlink to usr/lib
# and the modules are under /usr/lib/modules, as on such a system,
# /lib/modules/KVER/e2e.order ("NAME relpath..." in load order, used by
# e2e_modprobe), /proc /sys /dev /run /tmp /etc.
set -eu -o pipefail

DEFAULT_MODULES="vfio vfio_iommu_type1 vfio-pci pci-stub bochs e1000e snd-hda-intel snd-hda-codec-generic"
HERE=$(cd "$(dirname "$0")" && pwd)

die() { echo "mkinitrd.sh: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

ENVF='' INIT='' OUT='' AGENT='' MODS=$DEFAULT_MODULES KMOD='' GZ='' QUIET=''
FILES=() TREES=()
while getopts "e:i:o:a:m:f:t:kzqh" opt; do
    case $opt in
        e) ENVF=$OPTARG ;;
        i) INIT=$OPTARG ;;
        o) OUT=$OPTARG ;;
        a) AGENT=$OPTARG ;;
        m) case $OPTARG in
               +*) MODS="$MODS ${OPTARG#+}" ;;
               *) MODS=$OPTARG ;;
           esac ;;
        f) FILES+=("$OPTARG") ;;
        t) TREES+=("$OPTARG") ;;
        k) KMOD=1 ;;
        z) GZ=1 ;;
        q) QUIET=1 ;;
        *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
if [ -z "$ENVF" ] || [ -z "$INIT" ] || [ -z "$OUT" ]; then usage; fi
step() { [ -n "$QUIET" ] || echo "mkinitrd.sh: $*" >&2; }

[ -f "$ENVF" ] || die "no kernel env $ENVF (run kernel.sh first)"
KROOT=$(sed -n 's/^KROOT=//p' "$ENVF")
KVER=$(sed -n 's/^KVER=//p' "$ENVF")
USRMERGE=$(sed -n 's/^USRMERGE=//p' "$ENVF")
[ -d "$KROOT/lib/modules/$KVER" ] || die "no modules for $KVER under $KROOT"
[ -f "$INIT" ] || die "no init script $INIT"
[ -z "$AGENT" ] || [ -f "$AGENT" ] || die "no agent binary $AGENT"
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || die "no $BUSYBOX (apt-get install busybox-static)"
# Debian's /bin/busybox comes from busybox-static; refuse a dynamic one.
if ldd "$BUSYBOX" >/dev/null 2>&1; then die "$BUSYBOX is dynamic (install busybox-static)"; fi

mkdir -p "$(dirname "$OUT")"
ST=$(mktemp -d "$(dirname "$OUT")/.initrd.XXXXXX")
trap 'rm -rf "$ST"' EXIT
MD=lib/modules/$KVER

step "staging in $ST"
if [ "$USRMERGE" = 1 ]; then
    mkdir -p "$ST/usr/lib"
    ln -s usr/lib "$ST/lib"
fi
mkdir -p "$ST"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,root,lib,"$MD"}
chmod 1777 "$ST/tmp"

# busybox + applet symlinks (relative, so they work from any mount point)
cp "$BUSYBOX" "$ST/bin/busybox"
n=0
while read -r app; do
    [ -e "$ST/$app" ] && continue
    case $app in
        */*/*) ln -s ../../bin/busybox "$ST/$app" ;;
        bin/*) ln -s busybox "$ST/$app" ;;
        linuxrc) continue ;;
        *) ln -s ../bin/busybox "$ST/$app" ;;
    esac
    n=$((n + 1))
done < <("$BUSYBOX" --list-full)
step "busybox: $n applet links"

install -m 0755 "$INIT" "$ST/init"
install -m 0644 "$HERE/initlib.sh" "$ST/lib/pt-e2e.sh"

if [ -n "$AGENT" ]; then
    install -m 0755 "$AGENT" "$ST/sbin/pt-agent"
    ln -s sbin/pt-agent "$ST/pt-agent"
    step "agent: $AGENT -> /sbin/pt-agent (+ /pt-agent)"
fi

# modules: closure as kmod resolves it (includes softdeps such as
# "vfio post: vfio_iommu_type1"); "builtin NAME" lines are skipped. The
# files are copied as they are (compressed or not): the guest decompresses.
: >"$ST/$MD/e2e.order"
declare -A SEEN=()
for m in ${MODS//,/ }; do
    deps=$(modprobe -d "$KROOT" -S "$KVER" --show-depends "$m" 2>&1) ||
        die "module $m: $deps"
    rels=()
    while read -r kind path _; do
        [ "$kind" = insmod ] || continue
        rel=${path#"$KROOT/$MD/"}
        # de-duplicate within this module's list, keep first occurrence
        case " ${rels[*]} " in *" $rel "*) continue ;; esac
        rels+=("$rel")
        if [ -z "${SEEN[$rel]:-}" ]; then
            SEEN[$rel]=1
            mkdir -p "$ST/$MD/$(dirname "$rel")"
            cp "$path" "$ST/$MD/$rel"
        fi
    done <<<"$deps"
    echo "$m ${rels[*]}" >>"$ST/$MD/e2e.order"
done
for f in modules.order modules.builtin modules.builtin.modinfo; do
    [ -f "$KROOT/$MD/$f" ] && cp "$KROOT/$MD/$f" "$ST/$MD/$f"
done
depmod -b "$ST" "$KVER"
step "modules: ${#SEEN[@]} files for: $MODS (depmod done)"

if [ -n "$KMOD" ]; then
    install -m 0755 /usr/bin/kmod "$ST/bin/kmod"
    for t in modprobe insmod rmmod lsmod modinfo depmod; do
        rm -f "$ST/sbin/$t" "$ST/bin/$t"
        ln -s ../bin/kmod "$ST/sbin/$t"
    done
    # its shared libraries, at the paths the loader expects
    while read -r lib; do
        mkdir -p "$ST/$(dirname "$lib")"
        cp -L "$lib" "$ST/$lib"
    done < <(ldd /usr/bin/kmod | grep -o '/[^ ]*')
    step "kmod: /bin/kmod with $(ldd /usr/bin/kmod | grep -c '/') libraries"
fi

for spec in "${FILES[@]}"; do
    src=${spec%%:*} dest=${spec#*:}
    if [ "$src" = "$spec" ] || [ -z "$dest" ]; then die "bad -f $spec (want SRC:DEST)"; fi
    [ -f "$src" ] || die "no file $src"
    mkdir -p "$ST/$(dirname "$dest")"
    cp "$src" "$ST/$dest"
    step "file: $src -> $dest"
done
for tree in "${TREES[@]}"; do
    [ -d "$tree" ] || die "no directory $tree"
    cp -a "$tree/." "$ST/"
    step "tree: $tree"
done

# /dev/console for the kernel's initial console (the kernel's built-in
# initramfs has one too; needs root, so failure is fine)
mknod -m 0600 "$ST/dev/console" c 5 1 2>/dev/null || true

tmp=$OUT.tmp
(cd "$ST" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$tmp"
if [ -n "$GZ" ]; then
    gzip -1 -n -c "$tmp" >"$tmp.gz"
    mv "$tmp.gz" "$tmp"
fi
mv "$tmp" "$OUT"
step "wrote $OUT ($(du -k "$OUT" | cut -f1) KiB)"
