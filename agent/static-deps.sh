#!/bin/bash
# static-deps.sh - build a musl sysroot for the fully static agent.
#
# Usage: agent/static-deps.sh BUILD_DIR
#
# Debian 12 ships no libkmod.a and no libpci.a, and its libblkid.a is built
# for glibc, so the static musl agent links against libraries built here
# from Debian's own source packages (kmod, util-linux, pciutils, xz-utils,
# libzstd) with musl-gcc.  Results, all under BUILD_DIR:
#
#   sysroot/{include,lib,lib/pkgconfig}  headers, static libraries, .pc files
#   sysroot/env.mk                       STATIC_* make variables (see below)
#   uapi/{linux,asm-generic,asm}         kernel UAPI headers for musl-gcc
#   src/  log/  stamp/  apt/             sources, build logs, stamps, the
#                                        private apt state used to fetch
#
# Each source package is fetched in the newest version that the archive
# really serves: the indexes can name a version whose files are gone (a
# pruned security update), so the versions `apt-cache showsrc` lists are
# tried newest first, each verified by apt-get source, and the output says
# which version was built and why a newer one was skipped.
#
# --fetch-only BUILD_DIR PKG... fetches just those source packages (the
# tests use it with PT_APT_SOURCES_LIST, a deb-src list to use instead of
# the derived one) and prints "PKG VERSION" for each.  --print-sources
# KEYDIR prints the derived deb-src lines (inline keys are written to
# KEYDIR); tests/fresh/run.sh builds its clean root from them.
#
# Sources are fetched once; every step leaves a stamp, so a second run does
# nothing.  Remove BUILD_DIR/stamp/build-PKG to rebuild one library (and the
# ones that depend on it), BUILD_DIR/stamp to rebuild all of them, or
# BUILD_DIR/stamp/fetch-PKG to fetch PKG's sources again.
#
# Needs root only to install missing build tools and to fetch sources.
# The system's apt configuration and state are never changed: the deb-src
# entries are derived from the machine's own deb entries and written to a
# private sources list, with private lists and cache directories.

set -euo pipefail

usage() {
	echo "usage: $0 BUILD_DIR" >&2
	echo "       $0 --fetch-only BUILD_DIR PKG..." >&2
	echo "       $0 --print-sources KEYDIR" >&2
	exit 2
}
fetch_only=0
print_sources=0
if [ "${1:-}" = --fetch-only ]; then
	fetch_only=1
	shift
	[ $# -ge 2 ] || usage
elif [ "${1:-}" = --print-sources ]; then
	print_sources=1
	shift
	[ $# -eq 1 ] || usage
elif [ $# -ne 1 ]; then
	usage
fi
[ -n "$1" ] || usage

# Settings inherited from a calling make (MAKEFLAGS carries its command-line
# variables, e.g. CFLAGS=...) or from the user's shell would leak into the
# library builds; the flags below are the only ones wanted.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES CC CFLAGS CPPFLAGS LDFLAGS \
	LIBS PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
export LC_ALL=C

mkdir -p "$1"
BUILD=$(cd "$1" && pwd -P)
SRC=$BUILD/src
SYSROOT=$BUILD/sysroot
UAPI=$BUILD/uapi
LOG=$BUILD/log
STAMP=$BUILD/stamp
APTDIR=$BUILD/apt
if [ "$print_sources" = 0 ]; then
	mkdir -p "$SRC" "$SYSROOT/include" "$SYSROOT/lib/pkgconfig" "$UAPI" \
		"$LOG" "$STAMP"
fi

# Source packages, in build order (kmod needs xz-utils' and libzstd's
# libraries).  --fetch-only fetches the packages it is given instead.
PKGS="xz-utils libzstd kmod util-linux pciutils"
if [ "$fetch_only" = 1 ]; then PKGS="${*:2}"; fi
# apt options for the private state; set by fetch_sources.
aptopt=()
# Build tools; linux-libc-dev provides the UAPI headers; patch applies
# kmod-compressed-finit.patch (dpkg-dev pulls it in too, but it is ours).
TOOLS="musl-tools autoconf automake libtool pkg-config dpkg-dev make gcc
xz-utils linux-libc-dev patch"

CC=musl-gcc
# No unwind tables: C needs none, and they are a tenth of the agent's size.
CFLAGS="-Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables -ffile-prefix-map=$BUILD=. -isystem $UAPI"
# This script's own content and its patches: a build made by another
# version of them is made again (needs_build).
RECIPE=$(cat "${BASH_SOURCE[0]}" "$(dirname "${BASH_SOURCE[0]}")"/*.patch | sha256sum | cut -c1-16)
JOBS=$(nproc)
export PKG_CONFIG_LIBDIR=$SYSROOT/lib/pkgconfig

say() { printf 'static-deps: %s\n' "$*"; }
die() {
	printf 'static-deps: error: %s\n' "$*" >&2
	exit 1
}

# run LOGNAME DIR COMMAND... - run COMMAND in DIR with its output appended
# to log/LOGNAME.log; on failure show the end of that log and stop.
run() {
	local log=$LOG/$1.log dir=$2
	shift 2
	printf '+ cd %q &&%s\n' "$dir" "$(printf ' %q' "$@")" >>"$log"
	if ! (cd "$dir" && "$@") >>"$log" 2>&1; then
		printf 'static-deps: error: failed: %s\n' "$*" >&2
		printf 'static-deps: last lines of %s:\n' "$log" >&2
		tail -n 40 "$log" | sed 's/^/  | /' >&2
		exit 1
	fi
}

# One run at a time per build directory.
if [ "$print_sources" = 0 ]; then
	exec 9>"$BUILD/.lock"
	flock 9
fi

# --- build tools ------------------------------------------------------------

ensure_tools() {
	local status missing="" t
	# shellcheck disable=SC2086 # word splitting of the list is intended
	status=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' $TOOLS \
		2>/dev/null || true)
	for t in $TOOLS; do
		printf '%s\n' "$status" | grep -qx "$t installed" ||
			missing="$missing $t"
	done
	[ -n "$missing" ] || return 0
	[ "$(id -u)" = 0 ] || die "missing build tools:$missing (run as root)"
	say "installing build tools:$missing"
	run apt-install / apt-get -q update
	# shellcheck disable=SC2086
	run apt-install / env DEBIAN_FRONTEND=noninteractive \
		apt-get -q install -y --no-install-recommends $missing
}

# --- sources ----------------------------------------------------------------

# derive_deb_src and system_sources: the machine's own apt sources.
# shellcheck source=agent/apt-sources.sh
. "$(dirname "$0")/apt-sources.sh"

# sort_versions_desc - read Debian version strings, print them newest first
# (dpkg's ordering, not sort -V's: 1.0~rc1 < 1.0 < 1.0+deb12u1), once each.
sort_versions_desc() {
	local -a out=()
	local v i j
	while IFS= read -r v; do
		[ -n "$v" ] || continue
		for ((i = 0; i < ${#out[@]}; i++)); do
			[ "${out[i]}" != "$v" ] || continue 2
			dpkg --compare-versions "$v" gt "${out[i]}" && break
		done
		for ((j = ${#out[@]}; j > i; j--)); do out[j]=${out[j - 1]}; done
		out[i]=$v
	done
	[ ${#out[@]} -eq 0 ] || printf '%s\n' "${out[@]}"
}

# source_versions PKG - every version of source package PKG that the
# private indexes list, newest first.
source_versions() {
	apt-cache "${aptopt[@]}" showsrc "$1" 2>>"$LOG/fetch.log" |
		awk -v pkg="$1" '/^Package: / { p = $2 } /^Version: / && p == pkg { print $2 }' |
		sort_versions_desc
}

# fetch_reason LOGFILE - one line saying why apt-get source failed: each
# failed file's kind and the archive's answer ("dsc: 404 Not Found"), else
# apt's own error lines.
fetch_reason() {
	awk '
	/^Err:/ {
		kind = $0; sub(/.*\(/, "", kind); sub(/\).*/, "", kind)
		if ((getline msg) > 0) {
			sub(/^[ \t]+/, "", msg); sub(/ *\[IP:[^]]*\]/, "", msg)
			gsub(/  +/, " ", msg)
		}
		r = r (r == "" ? "" : "; ") kind ": " msg
		next
	}
	/^E: / && !/Failed to fetch some archives|Some files failed/ {
		e = $0; sub(/^E: /, "", e)
		if (!seen[e]++) es = es (es == "" ? "" : "; ") e
	}
	END {
		if (r == "") r = es
		if (r == "") r = "apt-get source failed with no message"
		print r
	}' "$1"
}

# fetch_one PKG - download the newest version of PKG's source that the
# archive really serves, verified by apt-get source (the .dsc and every file
# against the hashes of the signed index; no --allow-unauthenticated), into
# SRC; write its .dsc name to the fetch stamp.  An index can name a version
# the archive no longer serves (a pruned security update): that version is
# skipped with its reason said, and the next older one tried.
fetch_one() {
	local p=$1 dl=$APTDIR/download/$1 v dsc out tried="" skipped=""
	local -a versions files
	mapfile -t versions < <(source_versions "$p")
	[ ${#versions[@]} -gt 0 ] ||
		die "$p: no source version in the apt indexes (see $LOG/fetch.log; is there a deb-src entry for it?)"
	for v in "${versions[@]}"; do
		rm -rf "$dl"
		mkdir -p "$dl"
		[ "$(id -u)" != 0 ] || ! id _apt >/dev/null 2>&1 || chown _apt "$dl"
		out=$LOG/fetch-$p-$v.log
		printf '+ apt-get source --download-only %s=%s\n' "$p" "$v" >>"$LOG/fetch.log"
		if (cd "$dl" && apt-get "${aptopt[@]}" source --download-only "$p=$v") \
			>"$out" 2>&1; then
			cat "$out" >>"$LOG/fetch.log"
			rm -f "$out"
			dsc=$(cd "$dl" && echo "$p"_*.dsc)
			[ -f "$dl/$dsc" ] || die "$p $v: no single .dsc after download: $dsc"
			files=("$dl"/*)
			chown "$(id -u):$(id -g)" "${files[@]}"
			mv -f "${files[@]}" "$SRC/"
			rm -rf "$dl"
			printf '%s\n' "$dsc" >"$STAMP/fetch-$p"
			if [ -n "$skipped" ]; then
				say "$p: fetched $v (newer version skipped:$skipped)"
				printf '%s\n' "$p $v (newer skipped:$skipped)" >"$STAMP/fallback-$p"
			else
				say "$p: fetched $v, the newest the indexes list"
				rm -f "$STAMP/fallback-$p"
			fi
			return 0
		fi
		cat "$out" >>"$LOG/fetch.log"
		local why
		why=$(fetch_reason "$out")
		rm -f "$out"
		say "$p: version $v cannot be fetched: $why"
		skipped="$skipped $v ($why)"
		tried="$tried $v"
	done
	rm -rf "$dl"
	die "$p: none of the versions the indexes list could be fetched and verified (tried:$tried); see $LOG/fetch.log. Check the machine's apt sources, or fetch a version by hand into $SRC and write its .dsc name to $STAMP/fetch-$p"
}

fetch_sources() {
	local need="" p status=0
	for p in $PKGS; do
		[ -e "$STAMP/fetch-$p" ] || need="$need $p"
	done
	[ -n "$need" ] || return 0

	# Private apt state: sources, lists and cache live under BUILD/apt;
	# apt.conf.d settings (proxies, snapshots) still apply.
	rm -rf "$APTDIR"
	mkdir -p "$APTDIR/sources.list.d" "$APTDIR/lists/partial" \
		"$APTDIR/cache/archives/partial" "$APTDIR/keys" "$APTDIR/download"
	if [ -n "${PT_APT_SOURCES_LIST:-}" ]; then
		# A given deb-src list (the tests' local archives) instead of
		# the one derived from the machine's sources.
		cp "$PT_APT_SOURCES_LIST" "$APTDIR/sources.list"
	else
		local -a files_list
		mapfile -t files_list < <(system_sources)
		[ ${#files_list[@]} -gt 0 ] || die "no apt sources configured"
		derive_deb_src "$APTDIR/keys" "${files_list[@]}" >"$APTDIR/sources.list"
		grep -q '^deb-src ' "$APTDIR/sources.list" ||
			die "no Debian archive entry in ${files_list[*]}"
	fi
	aptopt=(-q
		-o "Dir::Etc::SourceList=$APTDIR/sources.list"
		-o "Dir::Etc::SourceParts=$APTDIR/sources.list.d"
		-o "Dir::State::Lists=$APTDIR/lists"
		-o "Dir::Cache=$APTDIR/cache"
		-o "APT::Get::List-Cleanup=0")
	# apt downloads as the unprivileged _apt user: let it write here.
	if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then
		chown _apt "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" \
			"$APTDIR/download"
	fi

	say "fetching source indexes"
	apt-get "${aptopt[@]}" update >>"$LOG/fetch.log" 2>&1 || status=$?
	if [ "$status" != 0 ]; then
		# A mirror that failed may not be needed; the fetches decide.
		say "warning: apt-get update exited $status (see $LOG/fetch.log)"
	fi
	for p in $need; do
		fetch_one "$p"
	done
	# The source indexes (20 MB) are only needed to fetch.
	rm -rf "$APTDIR/lists" "$APTDIR/cache" "$APTDIR/download"
}

# --- builds -------------------------------------------------------------------

dsc_of() { cat "$STAMP/fetch-$1"; }
version_of() { sed -n 's/^Version: *//p' "$SRC/$(dsc_of "$1")"; }

# Unpack PKG afresh (so no stale configuration survives a rebuild) into
# src/PKG-UPSTREAMVERSION, the directory name dpkg-source itself would pick;
# print that directory.
unpack() {
	local p=$1 v dir
	v=$(version_of "$p")
	v=${v#*:}
	dir=$SRC/$p-${v%-*}
	rm -rf "$dir"
	run "$p" "$SRC" dpkg-source -x "$(dsc_of "$p")" "$dir"
	printf '%s\n' "$dir"
}

# needs_build PKG [DEP...] - true unless PKG's build stamp is newer than its
# fetch stamp and the build stamps of the libraries it links.
needs_build() {
	local s=$STAMP/build-$1 d
	[ -e "$s" ] || return 0
	# Built with other flags or by another version of this script (the
	# stamp records both; xz's lazy CRC tables were once missed by a tree
	# built before the script learnt them): build again.
	[ "$(cat "$s")" = "$(version_of "$1") $CFLAGS recipe=$RECIPE" ] || return 0
	[ "$STAMP/fetch-$1" -nt "$s" ] && return 0
	shift
	for d in "$@"; do
		[ "$STAMP/build-$d" -nt "$s" ] && return 0
	done
	return 1
}

begin() {
	say "building $1 $(version_of "$1") ..."
	: >"$LOG/$1.log"
}

done_build() { printf '%s %s recipe=%s\n' "$(version_of "$1")" "$CFLAGS" "$RECIPE" >"$STAMP/build-$1"; }

build_xz() {
	local d
	begin xz-utils
	d=$(unpack xz-utils)
	# Decoder only, single-threaded, no tools.  Without EGREP="grep -E"
	# configure prints a harmless error (GNU grep warns that egrep is
	# obsolescent).
	run xz-utils "$d" ./configure CC="$CC" CFLAGS="$CFLAGS" EGREP="grep -E" \
		--prefix="$SYSROOT" --enable-static --disable-shared \
		--disable-encoders --enable-small --disable-threads \
		--disable-xz --disable-xzdec --disable-lzmadec --disable-lzmainfo \
		--disable-lzma-links --disable-scripts --disable-doc --disable-nls
	# --enable-small computes the CRC tables at run time, and where the
	# compiler has __attribute__((__constructor__)) it does so in a
	# constructor: at every start of pt-agent, xz module or not (34 k
	# instructions, BENCHMARKS.md). Without it they are computed on the
	# first CRC, that is the first .ko.xz read (single-threaded here:
	# --disable-threads makes that a plain flag). The size stays small.
	sed -i '/#define HAVE_FUNC_ATTRIBUTE_CONSTRUCTOR/d' "$d/config.h"
	! grep -q HAVE_FUNC_ATTRIBUTE_CONSTRUCTOR "$d/config.h" ||
		die "xz-utils: cannot drop HAVE_FUNC_ATTRIBUTE_CONSTRUCTOR from config.h"
	run xz-utils "$d" make -j"$JOBS" -C src/liblzma
	run xz-utils "$d" make -C src/liblzma install
	rm -f "$SYSROOT"/lib/liblzma.la
	done_build xz-utils
}

build_zstd() {
	local d
	begin libzstd
	d=$(unpack libzstd)
	# Decompression only.  Extra flags go through MOREFLAGS: CFLAGS= on
	# the make line would drop the Makefile's own.
	local -a v=(CC="$CC" MOREFLAGS="$CFLAGS" PREFIX="$SYSROOT"
		ZSTD_LIB_MINIFY=1 ZSTD_LIB_COMPRESSION=0)
	run libzstd "$d" make -j"$JOBS" -C lib "${v[@]}" libzstd.a
	run libzstd "$d" make -C lib "${v[@]}" install-static install-includes \
		install-pc
	done_build libzstd
}

build_kmod() {
	local d
	begin kmod
	d=$(unpack kmod)
	# The source package has no configure script and no gtk-doc.make;
	# configure.ac refuses --enable-static, which is just what is needed.
	: >"$d/libkmod/docs/gtk-doc.make"
	sed -i 's/AC_MSG_ERROR(\[--enable-static is not supported by kmod\])/:/' \
		"$d/configure.ac"
	! grep -q 'enable-static is not supported' "$d/configure.ac" ||
		die "kmod: could not remove the --enable-static check"
	# The kernel decompresses a compressed module itself where it can
	# (agent/kmod-compressed-finit.patch, as kmod 31 and later do): pt's
	# liblzma is the small, slower build, and Debian 13's kernel takes
	# .ko.xz whole (BENCHMARKS.md §2).
	run kmod "$d" patch -p1 -i "$(cd "$(dirname "$0")" && pwd)/kmod-compressed-finit.patch"
	run kmod "$d" autoreconf -fi
	# --sysconfdir=/etc: libkmod reads $sysconfdir/modprobe.d at run time.
	# kmod's Makefile does not add the lzma/zstd include paths itself.
	run kmod "$d" ./configure CC="$CC" CFLAGS="$CFLAGS" \
		CPPFLAGS="-I$SYSROOT/include" \
		--prefix="$SYSROOT" --sysconfdir=/etc \
		--enable-static --disable-shared --disable-tools \
		--disable-manpages --disable-test-modules --disable-python \
		--with-xz --with-zstd --without-zlib --without-openssl
	if ! grep -q '^#define ENABLE_XZ 1' "$d/config.h" ||
		! grep -q '^#define ENABLE_ZSTD 1' "$d/config.h"; then
		die "kmod: configure did not enable xz and zstd (see $LOG/kmod.log)"
	fi
	run kmod "$d" make -j"$JOBS" libkmod/libkmod.la libkmod/libkmod.pc
	run kmod "$d" install -m 644 libkmod/.libs/libkmod.a "$SYSROOT/lib/"
	run kmod "$d" install -m 644 libkmod/libkmod.h "$SYSROOT/include/"
	run kmod "$d" install -m 644 libkmod/libkmod.pc "$SYSROOT/lib/pkgconfig/"
	done_build kmod
}

build_blkid() {
	local d w
	begin util-linux
	d=$(unpack util-linux)
	local -a without=()
	for w in udev systemd python readline ncursesw tinfo libz cryptsetup \
		selinux audit smack btrfs cap-ng libmagic econf; do
		without+=(--without-"$w")
	done
	# Run-time paths (blkid.conf, the blkid cache) stay the system's.
	run util-linux "$d" ./configure CC="$CC" CFLAGS="$CFLAGS" \
		--prefix="$SYSROOT" --sysconfdir=/etc --localstatedir=/var \
		--runstatedir=/run \
		--disable-all-programs --enable-libblkid \
		--enable-static --disable-shared --disable-nls "${without[@]}"
	run util-linux "$d" make -j"$JOBS" libblkid.la libblkid/blkid.pc
	run util-linux "$d" install -d "$SYSROOT/include/blkid"
	run util-linux "$d" install -m 644 .libs/libblkid.a "$SYSROOT/lib/"
	run util-linux "$d" install -m 644 libblkid/src/blkid.h \
		"$SYSROOT/include/blkid/"
	run util-linux "$d" install -m 644 libblkid/blkid.pc \
		"$SYSROOT/lib/pkgconfig/"
	done_build util-linux
}

build_pci() {
	local d
	begin pciutils
	d=$(unpack pciutils)
	local -a v=(CC="$CC" OPT="$CFLAGS" PREFIX="$SYSROOT" ZLIB=no DNS=no
		SHARED=no LIBKMOD=no HWDB=no IDSDIR=/usr/share/misc)
	run pciutils "$d" make -j"$JOBS" "${v[@]}" lib/libpci.a
	run pciutils "$d" make "${v[@]}" install-lib
	done_build pciutils
}

# --- env.mk -------------------------------------------------------------------

# kmod needs zstd and lzma after it; blkid and pci need nothing else.
LIBS_ORDER="-lkmod -lzstd -llzma -lblkid -lpci"

write_env_mk() {
	local tmp=$SYSROOT/env.mk.tmp t=$BUILD/linkcheck
	cat >"$tmp" <<EOF
# Generated by agent/static-deps.sh; do not edit.
STATIC_SYSROOT = $SYSROOT
STATIC_UAPI = $UAPI
STATIC_CC = $CC
STATIC_PKG_CONFIG_LIBDIR = $SYSROOT/lib/pkgconfig
STATIC_CFLAGS = -isystem $SYSROOT/include -isystem $UAPI
STATIC_LIBS = -L$SYSROOT/lib $LIBS_ORDER
EOF
	# Check that the variables link a program using all three libraries.
	mkdir -p "$t"
	: >"$LOG/linkcheck.log"
	cat >"$t/t.c" <<'EOF'
#include <stddef.h>
#include <libkmod.h>
#include <blkid/blkid.h>
#include <pci/pci.h>
int main(void)
{
	struct kmod_ctx *k = kmod_new(NULL, NULL);
	struct pci_access *p = pci_alloc();
	blkid_probe b = blkid_new_probe();
	return !k + !p + !b;
}
EOF
	# shellcheck disable=SC2086 # word splitting of the flags is intended
	run linkcheck "$t" "$CC" -static -Os -isystem "$SYSROOT/include" \
		-isystem "$UAPI" -o t t.c -L"$SYSROOT/lib" $LIBS_ORDER
	mv -f "$tmp" "$SYSROOT/env.mk"
	rm -rf "$t"
}

summary() {
	local p f
	say "sysroot $SYSROOT"
	for p in $PKGS; do
		printf '  %-11s %s\n' "$p" "$(cat "$STAMP/build-$p")"
		if [ -e "$STAMP/fallback-$p" ]; then
			printf '  %-11s built from an older version: %s\n' "" \
				"$(cat "$STAMP/fallback-$p")"
		fi
	done
	for f in "$SYSROOT"/lib/*.a; do
		printf '  lib/%-14s %8s bytes\n' "${f##*/}" "$(stat -c %s "$f")"
	done
	printf '  include/    %s\n' "$(cd "$SYSROOT/include" && echo *)"
	printf '  pkgconfig/  %s\n' "$(cd "$SYSROOT/lib/pkgconfig" && echo *)"
	printf '  env.mk:\n'
	sed -n 's/^STATIC_/    STATIC_/p' "$SYSROOT/env.mk"
}

# --- main -------------------------------------------------------------------

if [ "$print_sources" = 1 ]; then
	mapfile -t files_list < <(system_sources)
	[ ${#files_list[@]} -gt 0 ] || die "no apt sources configured"
	derive_deb_src "$BUILD" "${files_list[@]}"
	exit 0
fi
if [ "$fetch_only" = 1 ]; then
	fetch_sources
	for p in $PKGS; do
		printf '%s %s\n' "$p" "$(version_of "$p")"
	done
	exit 0
fi

ensure_tools

# musl-gcc does not search the kernel's UAPI headers.
multiarch=$(gcc -print-multiarch)
for l in linux:linux asm-generic:asm-generic asm:"$multiarch"/asm; do
	target=/usr/include/${l#*:}
	[ -d "$target" ] || die "$target missing (linux-libc-dev)"
	[ "$(readlink "$UAPI/${l%%:*}" 2>/dev/null)" = "$target" ] ||
		ln -sfn "$target" "$UAPI/${l%%:*}"
done

fetch_sources

if needs_build xz-utils; then build_xz; fi
if needs_build libzstd; then build_zstd; fi
if needs_build kmod xz-utils libzstd; then build_kmod; fi
if needs_build util-linux; then build_blkid; fi
if needs_build pciutils; then build_pci; fi
env_mk_stale=0
[ -e "$SYSROOT/env.mk" ] || env_mk_stale=1
for p in $PKGS; do
	[ "$STAMP/build-$p" -nt "$SYSROOT/env.mk" ] && env_mk_stale=1
done
if [ "$env_mk_stale" = 1 ]; then write_env_mk; fi

summary
