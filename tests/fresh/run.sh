#!/bin/bash
# fresh/run.sh — the README's two commands, run as a newcomer would, in a
# clean Debian 12 root.  (`make check-fresh`; as root; 30 to 60 minutes.)
#
# Builds a minimal Debian root with mmdebstrap (variant minbase, plus make)
# from this machine's own apt sources (the entries agent/static-deps.sh
# derives, turned into deb lines: same archive, suites and keyring; no host
# name is written anywhere), copies a clean clone of HEAD into it (committed
# work only), and inside it — chroot with /proc, /sys, /dev bound, in a
# private mount namespace — runs the two commands exactly as README.md spells
# them: the first code block under "## Try it", then the first under
# "## Run every test".  It passes when both exit 0 and the demo showed the
# agent binding the emulated GPU and make check ended with "make check: all
# tests passed".  Prints the time of every step and the clean root's package
# count; record the result in tests/README.md.
#
# Environment:
#   PT_FRESH_DIR    where the root is built (default /var/tmp/pt-fresh);
#                   removed first, and afterwards unless PT_FRESH_KEEP=1
#   PT_FRESH_SHARED =1: also copy ../shared beside the clone, as CI has it
#                   (default: no, as a newcomer's clone has none)
set -eu -o pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
ROOT=${PT_FRESH_DIR:-/var/tmp/pt-fresh}
LOGDIR=${PT_FRESH_LOGS:-$REPO/build/fresh}

say() { printf 'fresh: %s\n' "$*"; }
die() {
	printf 'fresh: error: %s\n' "$*" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || die "run as root (it builds a Debian root and chroots into it)"
case $ROOT in /*) ;; *) die "PT_FRESH_DIR must be an absolute path" ;; esac
[ "$ROOT" != / ] || die "PT_FRESH_DIR must not be /"

# The two commands, as README.md spells them.
readme_block() {
	awk -v h="$1" '
	$0 == h { inside = 1; next }
	inside && /^## / { exit }
	inside && /^```/ { if (code) exit; code = 1; next }
	inside && code && NF { print }
	' "$REPO/README.md"
}
DEMO_CMD=$(readme_block "## Try it")
CHECK_CMD=$(readme_block "## Run every test")
one_line() { [ -n "$1" ] && [ "$(printf '%s\n' "$1" | wc -l)" = 1 ]; }
one_line "$DEMO_CMD" ||
	die "README.md: no single command in the first code block under '## Try it'"
one_line "$CHECK_CMD" ||
	die "README.md: no single command in the first code block under '## Run every test'"
say "README's commands: '$DEMO_CMD', then '$CHECK_CMD'"

mkdir -p "$LOGDIR"
LOGDIR=$(cd "$LOGDIR" && pwd)
declare -a TIMES=()
timed() {
	local name=$1 t0 t1 st=0
	shift
	t0=$(date +%s)
	"$@" || st=$?
	t1=$(date +%s)
	TIMES+=("$(printf '%-34s %5d s  (exit %d)' "$name" $((t1 - t0)) "$st")")
	say "$name: $((t1 - t0)) s, exit $st"
	return "$st"
}

# --- the tool that builds the root ---------------------------------------------
if ! command -v mmdebstrap >/dev/null; then
	say "installing mmdebstrap"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		mmdebstrap >"$LOGDIR/apt-host.log" 2>&1 ||
		{ tail -n 20 "$LOGDIR/apt-host.log" >&2; die "apt-get install mmdebstrap failed"; }
fi

# --- apt sources and settings, from this machine -------------------------------
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash "$REPO/agent/static-deps.sh" --print-sources "$work/keys" |
	sed -n 's/^deb-src /deb /p' >"$work/sources.list"
[ -s "$work/sources.list" ] || die "no Debian archive entry in this machine's apt sources"
mapfile -t SOURCES <"$work/sources.list"
# Settings that decide whether the archive can be reached and trusted as
# this machine reaches it (proxies, validity of a snapshot's Release).
apt-config dump |
	grep -E '^Acquire::(Check-Valid-Until|Check-Date|Retries|[A-Za-z]+::Proxy)' \
		>"$work/apt.conf" || true
SUITE=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
[ -n "$SUITE" ] || die "cannot tell this machine's Debian suite from /etc/os-release"

# --- the clean root -------------------------------------------------------------
cleanup_root() {
	if [ -d "$ROOT" ]; then
		# Nothing may still be mounted below it (the namespace is gone,
		# but be sure before removing).
		if findmnt -rno TARGET | grep -q "^$ROOT/"; then
			die "$ROOT has mounts below it; not removing"
		fi
		rm -rf --one-file-system "$ROOT"
	fi
}
cleanup_root
build_root() {
	mmdebstrap --variant=minbase --include=make,debian-archive-keyring \
		--aptopt="$work/apt.conf" "$SUITE" "$ROOT" "${SOURCES[@]}" \
		>"$LOGDIR/mmdebstrap.log" 2>&1 ||
		{ tail -n 30 "$LOGDIR/mmdebstrap.log" >&2; return 1; }
}
say "building a clean $SUITE root in $ROOT (mmdebstrap, minbase + make)"
timed "clean root (mmdebstrap)" build_root || die "mmdebstrap failed (log: $LOGDIR/mmdebstrap.log)"
# Installed packages in the root.
pkgcount() {
	# shellcheck disable=SC2016 # a dpkg-query format, not a shell expansion
	chroot "$ROOT" dpkg-query -W -f='${db:Status-Status}\n' | grep -cx installed
}
PKGCOUNT=$(pkgcount)
say "the clean root has $PKGCOUNT packages installed"
# Name resolution, as on this machine.
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true

say "copying a clean clone of $(git -C "$REPO" rev-parse --short HEAD) (committed work only)"
git clone -q --no-local --no-hardlinks "$REPO" "$ROOT/root/pt"
# The commit tested: the clone's, not whatever the repository moves on to.
COMMIT=$(git -C "$ROOT/root/pt" rev-parse --short HEAD)
if [ "${PT_FRESH_SHARED:-}" = 1 ] && [ -d "$REPO/../shared" ]; then
	cp -a "$REPO/../shared" "$ROOT/root/shared"
	chmod -R a-w "$ROOT/root/shared"
fi

# in_root LOG COMMAND - run COMMAND (a shell line) in the clone inside the
# root, as root, with a clean environment; its output goes to LOG and to
# stdout.
in_root() {
	local log=$1 cmd=$2
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m --propagation private /bin/bash -eu -c '
		root=$1 cmd=$2
		# The root a mount point of its own, as a machine'"'"'s / is: a
		# chroot into a plain directory makes unshare -m inside fail
		# ("cannot change root filesystem propagation").
		mount --bind "$root" "$root"
		mount --rbind /dev "$root/dev"
		mount -t proc proc "$root/proc"
		mount --rbind /sys "$root/sys"
		mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
		mount -t tmpfs -o mode=755 tmpfs "$root/run"
		exec chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			/bin/bash -c "cd /root/pt && $cmd" </dev/null
	' fresh "$ROOT" "$cmd" 2>&1 | tee "$log"
	return "${PIPESTATUS[0]}"
}

say "running '$DEMO_CMD' in the clean root"
timed "$DEMO_CMD" in_root "$LOGDIR/demo.log" "$DEMO_CMD" ||
	die "'$DEMO_CMD' failed in the clean root (log: $LOGDIR/demo.log)"
if ! grep -q 'vfio-pci' "$LOGDIR/demo.log" || ! grep -qE 'pt-agent: [0-9]+ bound' "$LOGDIR/demo.log"; then
	die "'$DEMO_CMD' exited 0 but did not show the agent binding to vfio-pci (log: $LOGDIR/demo.log)"
fi

PKGDEMO=$(pkgcount)
say "'$DEMO_CMD' installed $((PKGDEMO - PKGCOUNT)) packages"

say "running '$CHECK_CMD' in the clean root"
timed "$CHECK_CMD" in_root "$LOGDIR/check.log" "$CHECK_CMD" ||
	die "'$CHECK_CMD' failed in the clean root (log: $LOGDIR/check.log)"
tail -n 1 "$LOGDIR/check.log" | grep -qx 'make check: all tests passed' ||
	die "'$CHECK_CMD' exited 0 but did not end with 'make check: all tests passed'"

PKGAFTER=$(pkgcount)
echo
echo "fresh root result, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $COMMIT:"
echo "  clean $SUITE root: $PKGCOUNT packages (mmdebstrap minbase + make)"
echo "  '$DEMO_CMD' installed $((PKGDEMO - PKGCOUNT)), then '$CHECK_CMD' $((PKGAFTER - PKGDEMO)); $PKGAFTER in all"
printf '  %s\n' "${TIMES[@]}"
echo "fresh: passed"
if [ "${PT_FRESH_KEEP:-}" != 1 ]; then cleanup_root; fi
