#!/bin/bash
# coverage.sh CORPUS_ROOT [BUILD_DIR] — line and branch coverage of each
# parser, reached by its fuzzer's corpus (CORPUS_ROOT/corpus-NAME, plus the
# committed seeds), with LLVM's source-based coverage (clang, llvm-profdata,
# llvm-cov: Debian's clang and llvm packages). Prints one table per
# harness, for tests/fuzz/README.md.
set -eu -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
corpora=${1:?usage: coverage.sh CORPUS_ROOT [BUILD_DIR]}
build=${2:-$repo/build}
out=$build/fuzz/coverage
mkdir -p "$out"

core=(util spec cmdline config log sysfs watch pci plan bind modules rootdev fb json jsonr state
	agent chaininit)
srcs=()
for c in "${core[@]}"; do srcs+=("$repo/agent/$c.c"); done

declare -A files=(
	[spec]="agent/spec.c"
	[cmdline]="agent/cmdline.c agent/config.c"
	[config]="agent/config.c"
	[state]="agent/jsonr.c agent/json.c agent/state.c"
)

for h in spec cmdline config state; do
	bin=$out/cov_$h
	# shellcheck disable=SC2046 # pkg-config's words
	clang -std=gnu11 -D_GNU_SOURCE -DPT_VERSION='"cov"' -O0 -g \
		-fsanitize=fuzzer -fprofile-instr-generate -fcoverage-mapping \
		-I"$repo/agent" $(pkg-config --cflags libkmod blkid) -o "$bin" \
		"$here/fuzz_$h.c" "${srcs[@]}" $(pkg-config --libs libkmod blkid)
	dirs=("$here/corpus/$h")
	[ ! -d "$corpora/corpus-$h" ] || dirs+=("$corpora/corpus-$h")
	LLVM_PROFILE_FILE=$out/$h.profraw "$bin" -runs=0 "${dirs[@]}" >/dev/null 2>&1
	llvm-profdata merge -sparse "$out/$h.profraw" -o "$out/$h.profdata"
	echo "== fuzz_$h ($(find "${dirs[@]}" -type f | wc -l) inputs)"
	# shellcheck disable=SC2086 # the file list is split on purpose
	(cd "$repo" && llvm-cov report "$bin" -instr-profile="$out/$h.profdata" ${files[$h]}) |
		sed 's|'"$repo"'/||'
done
