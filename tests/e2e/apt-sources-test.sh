#!/bin/bash
# apt-sources-test.sh — agent/apt-sources.sh on sample sources files:
# derive_deb_src's deb-src lines (what static-deps.sh fetches with) and
# derive_deb_suite's trixie lines (what kernel.sh fetches Debian 13's
# kernel with), each compared with the exact expected text. Host names
# here are .invalid on purpose. Run by `make check-e2e` before the boots.
set -eu -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=agent/apt-sources.sh
. "$HERE/../../agent/apt-sources.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/pt-apt-sources.XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
check() { # NAME EXPECTED-FILE GOT-FILE
    if diff -u "$2" "$3" >"$T/diff"; then
        echo "PASS $1"
    else
        echo "FAIL $1:"
        sed 's/^/  /' "$T/diff"
        fails=$((fails + 1))
    fi
}

cat >"$T/a.list" <<'EOF'
deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://archive.invalid/debian bookworm main contrib
deb http://archive.invalid/debian-security bookworm-security main
deb https://vendor.invalid/apt stable main
deb http://archive.invalid/debian bookworm-updates main non-free-firmware
# deb http://archive.invalid/debian sid main
EOF
cat >"$T/b.sources" <<'EOF'
Types: deb deb-src
URIs: http://archive.invalid/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 abc
 -----END PGP PUBLIC KEY BLOCK-----

Types: deb
URIs: http://snapshot.invalid/archive/debian/20260101T000000Z
Suites: bookworm
Components: main

Types: deb
URIs: http://archive.invalid/debian
Suites: bookworm-backports
Components: main
Enabled: no
EOF
mkdir -p "$T/keys"

cat >"$T/want-src" <<EOF
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://archive.invalid/debian bookworm main contrib
deb-src http://archive.invalid/debian-security bookworm-security main
# skipped, not the Debian archive: https://vendor.invalid/apt stable
deb-src http://archive.invalid/debian bookworm-updates main non-free-firmware
deb-src [signed-by=$T/keys/inline-key-1.asc] http://archive.invalid/debian bookworm main
deb-src [signed-by=$T/keys/inline-key-1.asc] http://archive.invalid/debian bookworm-updates main
deb-src http://snapshot.invalid/archive/debian/20260101T000000Z bookworm main
EOF
derive_deb_src "$T/keys" "$T/a.list" "$T/b.sources" >"$T/got-src"
check "derive_deb_src: deb-src lines for the Debian archive entries" "$T/want-src" "$T/got-src"

# Only each release's main suite becomes trixie (not -updates, -security,
# -backports), with its URI, keyring and components; duplicates once.
cat >"$T/want-trixie" <<EOF
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://archive.invalid/debian trixie main contrib
deb [signed-by=$T/keys/inline-key-1.asc] http://archive.invalid/debian trixie main
deb http://snapshot.invalid/archive/debian/20260101T000000Z trixie main
EOF
derive_deb_suite trixie "$T/keys" "$T/a.list" "$T/b.sources" >"$T/got-trixie"
check "derive_deb_suite trixie: the same archives, suite trixie" "$T/want-trixie" "$T/got-trixie"

# Nothing of the vendor's or the security archive: no deb line at all.
printf 'deb https://vendor.invalid/apt stable main\ndeb http://archive.invalid/debian-security bookworm-security main\n' >"$T/c.list"
derive_deb_suite trixie "$T/keys" "$T/c.list" >"$T/got-none"
: >"$T/want-none"
check "derive_deb_suite: no Debian release suite, no line" "$T/want-none" "$T/got-none"

[ "$fails" = 0 ]
