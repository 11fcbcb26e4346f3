#!/bin/bash
# ns-run.sh — run a command in a private mount namespace that shows it the
# files an initramfs generator reads from the host, without touching the
# host: the generators only look in fixed places (/etc/pt.conf,
# /lib/modules/KVER, /boot/config-KVER).
#
# usage: ns-run.sh [-c CONF | -C] [-k KROOT -v KVER] [-o DIR=OVER]... [-s SCRATCH]
#                  -- CMD [ARG...]
#   -c CONF   /etc/pt.conf shows CONF's content
#   -C        /etc/pt.conf does not exist (hides the host's, if any)
#             (neither: /etc/pt.conf is whatever the host has)
#   -k KROOT  an extracted kernel package: KROOT/lib/modules/KVER appears as
#   -v KVER   /lib/modules/KVER, KROOT/boot/config-KVER as /boot/config-KVER
#   -o DIR=OVER  DIR shows the files of OVER over its own (a read-only
#             overlay; in order, after -c/-C and before -k)
#   -s DIR    scratch directory for overlay layers (default: a mktemp dir,
#             removed afterwards)
# A directory that must receive a mount but does not exist (such as
# /lib/modules in a container) is made in an overlay over its nearest
# existing parent, whose upper layer lives in the scratch directory.
# Needs root (unshare -m). Exit status: CMD's.
set -eu -o pipefail

die() { echo "ns-run.sh: $*" >&2; exit 2; }

CONF='' NOCONF='' KROOT='' KVER='' SCRATCH='' OVERS=()
while getopts "c:Ck:v:o:s:" opt; do
    case $opt in
        c) CONF=$OPTARG ;;
        C) NOCONF=1 ;;
        k) KROOT=$OPTARG ;;
        v) KVER=$OPTARG ;;
        o) OVERS+=("$OPTARG") ;;
        s) SCRATCH=$OPTARG ;;
        *) die "bad option" ;;
    esac
done
shift $((OPTIND - 1))
[ "${1:-}" = -- ] && shift
[ $# -gt 0 ] || die "no command"
if [ -n "$KROOT" ] && [ -z "$KVER" ]; then die "-k needs -v"; fi

if [ -z "${PT_NS_INSIDE:-}" ]; then
    own=''
    if [ -z "$SCRATCH" ]; then
        SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/pt-ns.XXXXXX")
        own=1
    fi
    mkdir -p "$SCRATCH"
    rc=0
    oargs=()
    for o in "${OVERS[@]}"; do oargs+=(-o "$o"); done
    PT_NS_INSIDE=1 unshare -m --propagation private "$0" \
        ${CONF:+-c "$CONF"} ${NOCONF:+-C} ${KROOT:+-k "$KROOT"} ${KVER:+-v "$KVER"} "${oargs[@]}" \
        -s "$SCRATCH" -- "$@" || rc=$?
    [ -z "$own" ] || rm -rf "$SCRATCH"
    exit "$rc"
fi

# ---- inside the namespace -------------------------------------------------
n=0
# mountpoint DIR: make DIR exist (in an overlay if need be) and print nothing
mountpoint_dir() {
    local dir=$1 parent
    [ -d "$dir" ] && return 0
    parent=$dir
    while [ ! -d "$parent" ]; do parent=$(dirname "$parent"); done
    parent=$(readlink -f "$parent")
    n=$((n + 1))
    mkdir -p "$SCRATCH/ov$n/upper" "$SCRATCH/ov$n/work"
    mount -t overlay "pt-ns-ov$n" \
        -o "lowerdir=$parent,upperdir=$SCRATCH/ov$n/upper,workdir=$SCRATCH/ov$n/work" "$parent"
    mkdir -p "$dir"
}

if [ -n "$CONF" ]; then
    [ -f "$CONF" ] || die "no file $CONF"
    if [ -e /etc/pt.conf ]; then
        mount --bind "$CONF" /etc/pt.conf
    else
        n=$((n + 1))
        mkdir -p "$SCRATCH/ov$n/upper" "$SCRATCH/ov$n/work"
        cp "$CONF" "$SCRATCH/ov$n/upper/pt.conf"
        mount -t overlay "pt-ns-ov$n" \
            -o "lowerdir=/etc,upperdir=$SCRATCH/ov$n/upper,workdir=$SCRATCH/ov$n/work" /etc
    fi
elif [ -n "$NOCONF" ] && [ -e /etc/pt.conf ]; then
    # A character device is not a regular file: the hooks put nothing in.
    mount --bind /dev/null /etc/pt.conf
fi

# after /etc/pt.conf (an overlay on /etc would hide one on /etc/udev),
# before /lib/modules (one on /usr/lib would hide that)
for o in "${OVERS[@]}"; do
    d=${o%%=*}
    u=${o#*=}
    if [ ! -d "$d" ] || [ ! -d "$u" ]; then die "-o $o: both must be directories"; fi
    d=$(readlink -f "$d")
    mount -t overlay "pt-ns-over" -o "lowerdir=$u:$d" "$d"
done

if [ -n "$KROOT" ]; then
    [ -d "$KROOT/lib/modules/$KVER" ] || die "no $KROOT/lib/modules/$KVER"
    [ -f "$KROOT/boot/config-$KVER" ] || die "no $KROOT/boot/config-$KVER"
    mountpoint_dir "/lib/modules/$KVER"
    mount --bind "$KROOT/lib/modules/$KVER" "/lib/modules/$KVER"
    mountpoint_dir /boot
    mount -t tmpfs -o mode=0755 pt-ns-boot /boot
    cp "$KROOT/boot/config-$KVER" "/boot/config-$KVER"
fi

exec "$@"
