#!/bin/bash
# mkinitcpio.sh — run Arch's mkinitcpio (a release kept beside the project in
# ../shared/mkinitcpio, see its README.md) on Debian, for the integration
# suite, without touching the host.
#
#   mkinitcpio.sh prepare SRC DIR
#       SRC is the release (../shared/mkinitcpio/v41). DIR/lib gets a copy
#       whose @...@ placeholders are filled for Debian 12 (what meson would
#       fill on Arch); DIR/over/usr-lib holds the files mkinitcpio's install
#       hooks want at fixed places Debian does not have: Debian's dynamic
#       busybox (fetched with apt-get download, as Arch's: busybox-static's
#       shell runs its own modprobe and mount, not the image's) as
#       /usr/lib/initcpio/busybox, /usr/lib/libkmod.so.2 (a link to
#       Debian's) and systemd/system/pt-agent.service (as make install puts
#       it); DIR/over/etc-udev holds /etc/udev/hwdb.bin (v41 adds it
#       unconditionally; a later release does not).
#   mkinitcpio.sh run DIR [NS-RUN OPTIONS] -- MKINITCPIO-ARGS...
#       runs DIR/lib/mkinitcpio in ns-run.sh's private mount namespace with
#       those overlays (and ns-run's -c/-C for /etc/pt.conf).
#
# Needs root; `prepare` needs apt (once). Exit status: mkinitcpio's.
set -eu -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
die() { echo "mkinitcpio.sh: $*" >&2; exit 2; }

prepare() {
    local src=$1 dir=$2 v udevd tmp deb applets
    if [ ! -x "$src/mkinitcpio" ] || [ ! -f "$src/functions" ]; then die "$src is not a mkinitcpio release"; fi
    v=$(sed -n 's/^mkinitcpio v\([0-9.]*\) .*/\1/p' "$src/SOURCE" 2>/dev/null | head -n 1)
    [ -n "$v" ] || v=41
    udevd=/usr/lib/systemd/systemd-udevd
    [ -e "$udevd" ] || udevd=/lib/systemd/systemd-udevd
    rm -rf "${dir:?}/lib" "${dir:?}/over"
    mkdir -p "$dir/lib" "$dir/etc/initcpio" "$dir/over/usr-lib/initcpio" \
        "$dir/over/usr-lib/systemd/system" "$dir/over/etc-udev"
    cp -a "$src/." "$dir/lib/"
    # What meson's configure_file fills in on Arch; PATH: Debian keeps
    # blkid and switch_root in /usr/sbin.
    grep -rlZ '@[A-Z_]*@' "$dir/lib" | xargs -0 -r sed -i \
        -e "s|@VERSION@|$v|g" \
        -e "s|@INITCPIO_LIBDIR@|$dir/lib|g" \
        -e "s|@INITCPIO_SYSCONFDIR@|$dir/etc/initcpio|g" \
        -e "s|@SYSCONFDIR@|$dir/etc|g" \
        -e "s|@BINDIR@|/usr/sbin:/usr/bin|g" \
        -e "s|@UDEVD_PATH@|$udevd|g" \
        -e "s|@TMPFILES_PATH@|/usr/bin/systemd-tmpfiles|g" \
        -e "s|@VCONSOLE_CONF@|/etc/vconsole.conf|g" \
        -e "s|@MKINITCPIO_HOOKS@|base udev|g"
    ! grep -rq '@[A-Z_]*@' "$dir/lib/mkinitcpio" "$dir/lib/functions" "$dir/lib/install" "$dir/lib/hooks" ||
        die "placeholders left in $dir/lib: $(grep -rlo '@[A-Z_]*@' "$dir/lib" | head -n 3 | paste -sd ' ')"

    # Debian's dynamic busybox, unpacked (it conflicts with busybox-static,
    # which the rest of the suite uses).
    tmp=$(mktemp -d "$dir/dl.XXXXXX")
    chmod 0777 "$tmp"
    if ! (cd "$tmp" && apt-get download -q busybox >"$tmp/apt.log" 2>&1); then
        deb=$(find "$dir" -maxdepth 1 -name 'busybox_*.deb' | head -n 1)
        [ -n "$deb" ] || { cat "$tmp/apt.log" >&2; rm -rf "$tmp"; die "apt-get download busybox failed"; }
    else
        rm -f "$dir"/busybox_*.deb
        mv "$tmp"/busybox_*.deb "$dir/"
        deb=$(find "$dir" -maxdepth 1 -name 'busybox_*.deb' | head -n 1)
    fi
    dpkg-deb -x "$deb" "$tmp/x"
    install -m 0755 "$tmp/x/bin/busybox" "$dir/over/usr-lib/initcpio/busybox"
    rm -rf "$tmp"
    # The whole list first: busybox writes it a line at a time, and a
    # grep -q that stops at modprobe would leave it a closed pipe
    # (SIGPIPE, which pipefail counts as failure).
    applets=$("$dir/over/usr-lib/initcpio/busybox" --list) || die "the unpacked busybox does not run"
    grep -qx modprobe <<<"$applets" || die "the unpacked busybox has no modprobe applet"

    ln -s "$(readlink -f /usr/lib/x86_64-linux-gnu/libkmod.so.2)" "$dir/over/usr-lib/libkmod.so.2"
    install -m 0644 "$REPO/initrd/pt-agent.service" "$dir/over/usr-lib/systemd/system/pt-agent.service"
    if [ -f /etc/udev/hwdb.bin ]; then
        cp /etc/udev/hwdb.bin "$dir/over/etc-udev/hwdb.bin"
    elif [ -f /usr/lib/udev/hwdb.bin ]; then
        cp /usr/lib/udev/hwdb.bin "$dir/over/etc-udev/hwdb.bin"
    else
        : >"$dir/over/etc-udev/hwdb.bin"
    fi
}

case ${1:-} in
    prepare)
        [ $# = 3 ] || die "usage: mkinitcpio.sh prepare SRC DIR"
        prepare "$2" "$(mkdir -p "$3" && cd "$3" && pwd)"
        ;;
    run)
        [ $# -ge 3 ] || die "usage: mkinitcpio.sh run DIR [NS-RUN OPTIONS] -- ARGS..."
        dir=$(cd "$2" && pwd)
        shift 2
        [ -x "$dir/lib/mkinitcpio" ] || die "$dir is not prepared (mkinitcpio.sh prepare)"
        ns=()
        while [ $# -gt 0 ] && [ "$1" != -- ]; do
            ns+=("$1")
            shift
        done
        [ "${1:-}" = -- ] && shift
        exec "$HERE/ns-run.sh" -o "/usr/lib=$dir/over/usr-lib" -o "/etc/udev=$dir/over/etc-udev" "${ns[@]}" \
            -- "$dir/lib/mkinitcpio" "$@"
        ;;
    *) die "usage: mkinitcpio.sh prepare SRC DIR | run DIR [NS-RUN OPTIONS] -- ARGS..." ;;
esac
