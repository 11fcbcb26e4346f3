#!/bin/bash
# fallback.sh — agent/static-deps.sh takes the newest source version that
# the archive really serves, and says why a newer one was skipped.
#
# A local file:// archive (made here with dpkg-source and dpkg-scansources)
# holds the source package ptdemo in five versions:
#   1.3        listed in the index, its .dsc gone (the 404 case of a pruned
#              security update)
#   1.2        .dsc present, its tarball altered after indexing (the hash
#              check must refuse it)
#   1.1        .dsc present, its tarball missing
#   1.0        complete: the one to fetch
#   1.0~rc1    complete, but older than 1.0 in Debian's ordering
# Then 1.0's tarball is removed too, and the fetch must fail naming the
# package and every version tried.
#
# The archive has no signed Release file, so its deb-src line says
# trusted=yes; apt still checks every file against the index's hashes,
# which is what the 1.2 case proves.
set -eu -o pipefail
cd "$(dirname "$0")/../.."
top=$PWD

fail=0
pass=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
repo=$tmp/archive
mkdir -p "$repo"
# apt reads a file:// archive as the _apt user where it can.
chmod 755 "$tmp" "$repo"

make_version() {
	local v=$1 d=$tmp/work/ptdemo-$1
	mkdir -p "$d/debian/source"
	echo "3.0 (native)" >"$d/debian/source/format"
	cat >"$d/debian/control" <<CTRL
Source: ptdemo
Maintainer: pt tests <pt@invalid>
Section: misc
Priority: optional
Standards-Version: 4.6.2

Package: ptdemo
Architecture: all
Description: test package for pt's source fetch
 Version $v.
CTRL
	cat >"$d/debian/changelog" <<CHLOG
ptdemo ($v) unstable; urgency=medium

  * Test version $v.

 -- pt tests <pt@invalid>  Mon, 30 Nov 2026 00:00:00 +0000
CHLOG
	echo "payload of $v" >"$d/payload"
	(cd "$tmp/work" && dpkg-source -q -b "ptdemo-$v" >/dev/null 2>&1)
	mv "$tmp/work/ptdemo_$v.dsc" "$tmp/work/ptdemo_$v.tar.xz" "$repo/"
}
for v in 1.0~rc1 1.0 1.1 1.2 1.3; do make_version "$v"; done
(cd "$repo" && dpkg-scansources . /dev/null 2>/dev/null >Sources)
grep -c '^Package: ptdemo' "$repo/Sources" | grep -qx 5 ||
	{ echo "FAIL: the test archive's index does not list five versions"; exit 1; }
rm "$repo/ptdemo_1.3.dsc" "$repo/ptdemo_1.3.tar.xz"
echo "altered after indexing" >>"$repo/ptdemo_1.2.tar.xz"
rm "$repo/ptdemo_1.1.tar.xz"
chmod -R a+rX "$repo"

echo "deb-src [trusted=yes] file:$repo ./" >"$tmp/sources.list"
export PT_APT_SOURCES_LIST=$tmp/sources.list

run_fetch() {
	local st=0
	bash "$top/agent/static-deps.sh" --fetch-only "$1" ptdemo >"$2" 2>&1 || st=$?
	return "$st"
}

# --- newer versions unfetchable: the newest complete one is taken -------------
st=0
run_fetch "$tmp/b1" "$tmp/out1" || st=$?
sed 's/^/  | /' "$tmp/out1"
if [ "$st" = 0 ]; then ok "the fetch succeeds"; else bad "the fetch exited $st"; fi
if grep -qx 'ptdemo 1.0' "$tmp/out1"; then
	ok "version 1.0 is taken"
else
	bad "version 1.0 is not the one reported as fetched"
fi
if [ -f "$tmp/b1/src/ptdemo_1.0.dsc" ] && [ -f "$tmp/b1/src/ptdemo_1.0.tar.xz" ] &&
	[ "$(cat "$tmp/b1/stamp/fetch-ptdemo")" = ptdemo_1.0.dsc ]; then
	ok "1.0's .dsc and tarball are in src/ and the stamp names its .dsc"
else
	bad "1.0's files or stamp are missing"
fi
if compgen -G "$tmp/b1/src/ptdemo_1.[123]*" >/dev/null ||
	compgen -G "$tmp/b1/src/ptdemo_1.0~rc1*" >/dev/null; then
	bad "files of another version were left in src/: $(ls "$tmp/b1/src")"
else
	ok "no other version's files in src/"
fi
for v in 1.3 1.2 1.1; do
	if grep -q "ptdemo: version $v cannot be fetched: " "$tmp/out1"; then
		ok "skipping $v is said"
	else
		bad "the output does not say that $v was skipped"
	fi
done
if grep -q 'ptdemo: version 1.2 cannot be fetched: .*Hash Sum mismatch' "$tmp/out1"; then
	ok "1.2, altered after indexing, is refused by the hash check"
else
	bad "1.2's refusal does not name the hash mismatch"
fi
if grep -q 'ptdemo: version 1.1 cannot be fetched: tar: ' "$tmp/out1" &&
	grep -q 'ptdemo: version 1.3 cannot be fetched: dsc: ' "$tmp/out1"; then
	ok "the missing files are named by kind (1.3's dsc, 1.1's tar)"
else
	bad "the missing files' kinds are not named"
fi
if grep -q 'ptdemo: fetched 1.0 (newer version skipped: 1.3 (.*) 1.2 (.*) 1.1 (' "$tmp/out1" &&
	grep -q '^ptdemo 1.0 (newer skipped: 1.3' "$tmp/b1/stamp/fallback-ptdemo"; then
	ok "the version built and the skipped ones are said and recorded"
else
	bad "the fallback is not said or not recorded in stamp/fallback-ptdemo"
fi

# --- a second run fetches nothing ----------------------------------------------
st=0
run_fetch "$tmp/b1" "$tmp/out2" || st=$?
if [ "$st" = 0 ] && ! grep -q 'fetching source indexes' "$tmp/out2" &&
	grep -qx 'ptdemo 1.0' "$tmp/out2"; then
	ok "a second run uses the fetched sources"
else
	bad "a second run fetched again or failed ($st)"
fi

# --- no complete version: a clear error naming the package and versions ------
rm "$repo/ptdemo_1.0.tar.xz" "$repo/ptdemo_1.0~rc1.tar.xz"
st=0
run_fetch "$tmp/b2" "$tmp/out3" || st=$?
sed 's/^/  | /' "$tmp/out3"
if [ "$st" != 0 ]; then ok "with no complete version the fetch fails"; else bad "the fetch succeeded"; fi
if grep -q 'static-deps: error: ptdemo: none of the versions .* (tried: 1.3 1.2 1.1 1.0 1.0~rc1)' "$tmp/out3"; then
	ok "the error names the package and every version tried, newest first"
else
	bad "the error does not name ptdemo and the versions tried"
fi
if [ ! -e "$tmp/b2/stamp/fetch-ptdemo" ] && ! compgen -G "$tmp/b2/src/ptdemo*" >/dev/null; then
	ok "nothing half-fetched is left behind"
else
	bad "a stamp or source files were left after the failure"
fi

# --- a package the indexes do not know ----------------------------------------
st=0
bash "$top/agent/static-deps.sh" --fetch-only "$tmp/b3" nosuchpkg >"$tmp/out4" 2>&1 || st=$?
if [ "$st" != 0 ] && grep -q 'error: nosuchpkg: no source version in the apt indexes' "$tmp/out4"; then
	ok "an unknown package is named"
else
	bad "an unknown package gave: $(cat "$tmp/out4")"
fi

echo "static-deps fallback: $pass passed, $fail failed"
[ "$fail" = 0 ]
