#!/bin/bash
# install-deps.sh — install the Debian packages that building and testing pt
# need, skipping the ones already installed. Used by .ci/run and make demo.
#
# Usage: tests/install-deps.sh [build|test|demo]   (default: test)
set -eu -o pipefail

build=(gcc make pkg-config libkmod-dev libblkid-dev libpci-dev libcmocka-dev jq kmod)
static=(musl-tools autoconf automake libtool dpkg-dev xz-utils linux-libc-dev patch)
vm=(qemu-system-x86 busybox-static cpio ovmf e2fsprogs zstd)
lint=(shellcheck clang-format groff-base nix-bin valgrind clang libclang-rt-14-dev)
# The integration suite's generators and what their images need; for
# mkinitcpio (../shared/mkinitcpio) bsdtar, zstd and kbd; gcc-12 builds the
# test vfio-pci variant driver against Debian's linux-headers.
integ=(dracut-core initramfs-tools-core systemd udev e2fsprogs libarchive-tools zstd kbd gcc-12)

case "${1:-test}" in
build) want=("${build[@]}" "${static[@]}") ;;
demo) want=("${build[@]}" "${static[@]}" "${vm[@]}") ;;
test) want=("${build[@]}" "${static[@]}" "${vm[@]}" "${lint[@]}" "${integ[@]}") ;;
*)
	echo "usage: $0 [build|test|demo]" >&2
	exit 64
	;;
esac

missing=()
for p in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing+=("$p")
	fi
done

# apt's package lists: a fresh root (a container, a debootstrap) has none,
# and the suites ask apt for Debian's kernel package by name.
lists_present() {
	local d
	d=$(apt-config shell d Dir::State::Lists/d | sed "s/^d='\(.*\)'$/\1/")
	compgen -G "${d:-/var/lib/apt/lists/}*_Packages*" >/dev/null
}

if [ ${#missing[@]} -eq 0 ] && lists_present; then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	if [ ${#missing[@]} -gt 0 ]; then
		echo "install-deps: missing packages: ${missing[*]}" >&2
		echo "install-deps: run as root, or first: sudo apt-get update && sudo apt-get install --no-install-recommends ${missing[*]}" >&2
	else
		echo "install-deps: apt has no package lists; run first: sudo apt-get update" >&2
	fi
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp "${TMPDIR:-/tmp}/pt-install-deps.XXXXXX")
trap 'rm -f "$log"' EXIT
if [ -z "${PT_APT_UPDATED:-}" ] || ! lists_present; then
	echo "install-deps: apt-get update"
	if ! apt-get update -q >"$log" 2>&1; then
		tail -n 20 "$log" >&2
		echo "install-deps: apt-get update failed; check the machine's apt sources" >&2
		exit 1
	fi
fi
[ ${#missing[@]} -gt 0 ] || exit 0
echo "install-deps: installing ${missing[*]}"
# Wait for another apt or dpkg that holds the lock instead of failing.
if ! apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends \
	"${missing[@]}" >"$log" 2>&1; then
	tail -n 20 "$log" >&2
	echo "install-deps: apt-get install ${missing[*]} failed (above: the end of its output)" >&2
	exit 1
fi
echo "install-deps: installed ${#missing[@]} packages"
