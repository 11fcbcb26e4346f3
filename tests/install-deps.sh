#!/bin/bash
# install-deps.sh — install the Debian packages that building and testing pt
# need, skipping the ones already installed. Used by .ci/run and make demo.
#
# Usage: tests/install-deps.sh [build|test|demo]   (default: test)
set -eu -o pipefail

build=(gcc make pkg-config libkmod-dev libblkid-dev libpci-dev libcmocka-dev jq kmod)
static=(musl-tools autoconf automake libtool dpkg-dev xz-utils linux-libc-dev)
vm=(qemu-system-x86 busybox-static cpio ovmf e2fsprogs zstd)
lint=(shellcheck clang-format groff-base nix-bin valgrind clang libclang-rt-14-dev)
# The integration suite's generators and what their images need.
integ=(dracut-core initramfs-tools-core systemd udev e2fsprogs)

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
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root, or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if [ -z "${PT_APT_UPDATED:-}" ]; then
	apt-get update -qq
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
