#!/bin/bash
# run.sh [BUILD_DIR] — pt's benchmarks (`make bench`). What is measured and
# why: BENCHMARKS.md at the repository root. Writes BUILD_DIR/bench/:
#   results.md     every table (BENCHMARKS.md's marked tables are replaced
#                  by this run's: see the end)
#   fixture.tsv    one line per fixture configuration and implementation
#   qemu.tsv       one line per QEMU boot
#   size.tsv       sizes
#   profile-*.txt  callgrind: the agent's instructions by function
#   qemu/          the initramfs and every boot's console and results logs
#
# Parts (PT_BENCH_PARTS, default "fixture qemu size"):
#   fixture  pt-agent (the static musl binary that ships) against the floor
#            (floor.c: the least the same guarantees need) and the wiki loop
#            (wiki-loop.sh under busybox sh) on fixture trees of 64, 512 and
#            4096 PCI functions, 4 targets and every virtual function as
#            targets, three variants (see BENCHMARKS.md): wall time per run
#            (median of PT_BENCH_REPS, the three run in turn), instructions
#            (callgrind, all processes), peak RSS.
#   qemu     Debian's kernel(s) of the e2e suite in QEMU (TCG): pt-agent
#            against the guide's vfio-pci.ids= (kmod's modprobe loading
#            vfio_pci, no other userspace) and the wiki loop with kmod's
#            modprobe, PT_BENCH_BOOTS boots each, kernel-log timestamps from
#            kernel start, time inside module initialisation (initcall_debug).
#   size     the stripped static agent, what each library adds (link map),
#            variants, and what each approach adds to an initramfs.
#
# Environment:
#   PT_BENCH_PARTS     see above
#   PT_BENCH_SIZES     machine sizes (default "64 512 4096"; each >= 21)
#   PT_BENCH_REPS      timed runs per configuration (default 21)
#   PT_BENCH_BIG_REPS  timed runs when a run binds thousands (default 5)
#   PT_BENCH_STAGE_REPS runs of the stage builds (default 41): where the
#                      time of the smallest machine's 4-target runs goes
#   PT_BENCH_BOOTS     QEMU boots per approach (default 5)
#   PT_BENCH_TMP       where the fixture trees go (default /dev/shm: tmpfs,
#                      as sysfs and the initramfs are in memory)
#   PT_BENCH_WARN      warning flags for floor.c and bench.c (make bench
#                      passes the Makefile's WARN)
#   PT_BENCH_RT        1 (default): timed runs under SCHED_FIFO (chrt -f 10)
#                      when allowed, so that other load on a shared machine
#                      does not preempt them; 0: normal scheduling
#   PT_BENCH_AGENT     the static agent to measure (default
#                      BUILD_DIR/static/pt-agent; make static builds it);
#                      callgrind runs its .unstripped twin when there is one
#   PT_E2E_KPKG        pin the kernel package (tests/e2e/kernel.sh)
#   PT_E2E_KERNEL      the kernels booted (default: the e2e suite's, "6.1
#                      6.12 6.12-zst"; tests/e2e/kernel.sh prepares them)
#   PT_BENCH_DOC       the file whose marked tables are replaced by this
#                      run's (default BENCHMARKS.md; "none": no file)
set -eu -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
E2E_DIR=$REPO/tests/e2e
# shellcheck source-path=SCRIPTDIR source=../e2e/lib.sh
. "$E2E_DIR/lib.sh"

BUILD=${1:-$REPO/build}
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
OUT=$BUILD/bench
PARTS=${PT_BENCH_PARTS:-fixture qemu size}
SIZES=${PT_BENCH_SIZES:-64 512 4096}
REPS=${PT_BENCH_REPS:-21}
STAGE_REPS=${PT_BENCH_STAGE_REPS:-41}
BIG_REPS=${PT_BENCH_BIG_REPS:-5}
BOOTS=${PT_BENCH_BOOTS:-5}
TMPBASE=${PT_BENCH_TMP:-/dev/shm}
[ -d "$TMPBASE" ] && [ -w "$TMPBASE" ] || TMPBASE=${TMPDIR:-/tmp}
# The Makefile's WARN (make bench passes it; this copy is for direct runs).
WARN=${PT_BENCH_WARN:--Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
-Wmissing-prototypes -Wpointer-arith -Wundef -Wvla -Wcast-align \
-Wno-missing-field-initializers -Wno-format-truncation}
T_START=$(date +%s)

step() { echo "bench: $*" >&2; }
die() { echo "bench: error: $*" >&2; exit 1; }
part() { case " $PARTS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# median of the numbers on stdin (one a line)
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# ratio A B with two decimals ("-" when either is missing)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f\n", a / b }'; }
kib() { awk -v b="$1" 'BEGIN { printf "%.1f\n", b / 1024 }'; }

# ---- setup --------------------------------------------------------------------
# The QEMU part boots every kernel the e2e suite boots (tests/e2e/run.sh).
export PT_E2E_KERNEL=${PT_E2E_KERNEL:-6.1 6.12 6.12-zst}
E2E_PACKAGES="$E2E_PACKAGES valgrind musl-tools zstd xz-utils gzip"
e2e_need_packages
if [ -n "${PT_BENCH_AGENT:-}" ]; then
    [ -x "$PT_BENCH_AGENT" ] || die "PT_BENCH_AGENT=$PT_BENCH_AGENT: not an executable"
    AGENT=$(cd "$(dirname "$PT_BENCH_AGENT")" && pwd)/$(basename "$PT_BENCH_AGENT")
else
    e2e_need_agent "$BUILD"
    AGENT=$BUILD/static/pt-agent
fi
AGENT_CG=$AGENT
[ ! -x "$AGENT.unstripped" ] || AGENT_CG=$AGENT.unstripped
BUSYBOX=/bin/busybox
RT=()
if [ "${PT_BENCH_RT:-1}" = 1 ] && chrt -f 10 true 2>/dev/null; then RT=(chrt -f 10); fi
if ldd "$BUSYBOX" >/dev/null 2>&1; then die "$BUSYBOX is dynamic (install busybox-static)"; fi

rm -rf "$OUT"
mkdir -p "$OUT/bin"
# bench.c: the fixture generator and timing runner, static against musl:
# a run's peak RSS (ru_maxrss) includes what the forked runner had before
# the exec, and a small static runner keeps that (and the fork) small.
# floor.c: static against musl with the Makefile's static-build flags, as
# the agent is built.
# shellcheck disable=SC2086 # WARN is a list of flags
musl-gcc -std=gnu11 -D_GNU_SOURCE $WARN -O2 -static -o "$OUT/bin/bench" "$HERE/bench.c"
# shellcheck disable=SC2086
musl-gcc -std=gnu11 -D_GNU_SOURCE $WARN -fno-common -Os -ffunction-sections -fdata-sections \
    -static -Wl,--gc-sections -o "$OUT/bin/floor.unstripped" "$HERE/floor.c"
strip -o "$OUT/bin/floor" "$OUT/bin/floor.unstripped"
# The stage builds: the same code with PT_STAGE() lines on stderr (the
# agent's from make static-stages, of this tree; the floor's here).
# shellcheck disable=SC2086
musl-gcc -std=gnu11 -D_GNU_SOURCE -DPT_STAGES $WARN -fno-common -Os -ffunction-sections \
    -fdata-sections -static -Wl,--gc-sections -o "$OUT/bin/floor-stages" "$HERE/floor.c"
make -C "$REPO" --no-print-directory BUILD="$BUILD" static-stages >&2
STAGED=$BUILD/stages/pt-agent
BENCH=$OUT/bin/bench
FLOOR=$OUT/bin/floor

{
    echo "# pt benchmarks — results"
    echo
    echo "Generated by \`tests/bench/run.sh\` (\`make bench\`) on $(date -u '+%Y-%m-%d %H:%M UTC')."
    echo "Machine: $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | awk 'NR == 1')),"
    echo "Linux $(uname -r); load average at start: $(cut -d' ' -f1-3 /proc/loadavg) — wall times"
    echo "are medians on a machine that may be shared; instruction counts (callgrind) do not"
    echo "depend on load."
    echo "Agent: \`${AGENT#"$REPO/"}\` ($(stat -c %s "$AGENT") bytes), pt $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo '?');"
    echo "busybox: $("$BUSYBOX" 2>&1 | awk 'NR == 1' | cut -d' ' -f1-4); valgrind: $(valgrind --version)."
    echo
} >"$OUT/results.md"

# ---- 1. fixture trees ------------------------------------------------------------
# callgrind over every process of one run: --dump-before=fork writes the
# forking process's counts and zeroes them before each fork, so a child
# starts from zero and the files add up to the run's instructions.
cg_run() { # DIR CMD... → prints the instructions of the run
    local dir=$1
    shift
    rm -rf "$dir"
    mkdir -p "$dir"
    valgrind --tool=callgrind --callgrind-out-file="$dir/cg.%p" --dump-before=fork \
        --compress-strings=no --compress-pos=no -q "$@" >/dev/null 2>&1 || true
    find "$dir" -type f -name 'cg.*' -exec grep -h '^totals:' {} + | awk '{ s += $2 } END { printf "%d\n", s }'
}

# self and inclusive instructions per function over a callgrind directory
cg_profile() { # DIR → "self incl name" lines, by inclusive cost
    find "$1" -type f -name 'cg.*' -exec awk -f "$HERE/cgcost.awk" {} + |
        awk '{ n = $3; for (i = 4; i <= NF; i++) n = n " " $i; s[n] += $1; c[n] += $2 }
             END { for (k in s) printf "%d %d %s\n", s[k], c[k], k }' | sort -k2,2nr -k1,1nr
}

# Which library each function comes from (for the profile): nm over the
# agent's objects and the static libraries it links.
component_map() {
    local o lib libdir
    for o in "$BUILD"/static/*.o; do
        [ -f "$o" ] || continue
        nm --defined-only "$o" 2>/dev/null | awk -v c="pt:$(basename "$o" .o).c" 'NF == 3 && $2 ~ /[TtWw]/ { print $3, c }'
    done
    libdir=$BUILD/deps/sysroot/lib
    for lib in "$libdir"/libkmod.a "$libdir"/libzstd.a "$libdir"/liblzma.a "$libdir"/libblkid.a \
        /usr/lib/x86_64-linux-musl/libc.a; do
        [ -f "$lib" ] || continue
        nm --defined-only "$lib" 2>/dev/null | awk -v c="$(basename "$lib" .a)" 'NF == 3 && $2 ~ /[TtWw]/ { print $3, c }'
    done
}

profile_report() { # DIR TITLE FILE
    local dir=$1 title=$2 file=$3 total
    cg_profile "$dir" >"$file.raw"
    total=$(awk '{ s += $1 } END { print s + 0 }' "$file.raw")
    {
        echo "#### $title"
        echo
        echo "$total instructions in all. By component (self cost):"
        echo
        echo "| component | instructions | share |"
        echo "| --- | ---: | ---: |"
        awk 'NR == FNR { if (!($1 in comp)) comp[$1] = $2; next }
             { c = ($3 in comp) ? comp[$3] : "other (musl asm, no symbol size)"; s[c] += $1 }
             END { for (k in s) print s[k], k }' "$OUT/components.txt" "$file.raw" |
            sort -rn | awk 'NR <= 14' | awk -v t="$total" '{ c = $2; for (i = 3; i <= NF; i++) c = c " " $i; printf "| %s | %d | %.1f%% |\n", c, $1, 100 * $1 / t }'
        echo
        echo "Top functions by inclusive cost (instructions in the function and what it calls):"
        echo
        echo "| function | inclusive | self |"
        echo "| --- | ---: | ---: |"
        grep -v -E ' (0x[0-9a-f]+|_start_c|\(below main\)|libc_start_main_stage2|main|pt_agent_main)$' "$file.raw" |
            awk 'NR <= 25' | awk '{ n = $3; for (i = 4; i <= NF; i++) n = n " " $i; printf "| %s | %d | %d |\n", n, $2, $1 }'
        echo
        echo "Top functions by self cost:"
        echo
        echo "| function | self | share |"
        echo "| --- | ---: | ---: |"
        sort -k1,1nr "$file.raw" | awk 'NR <= 15' | awk -v t="$total" '{ n = $3; for (i = 4; i <= NF; i++) n = n " " $i; printf "| %s | %d | %.1f%% |\n", n, $1, 100 * $1 / t }'
        echo
    } >"$file"
    rm -f "$file.raw"
}

if part fixture; then
    TREES=$(mktemp -d "$TMPBASE/pt-bench.XXXXXX")
    trap 'rm -rf "$TREES"' EXIT
    component_map >"$OUT/components.txt"
    LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
    TSV=$OUT/fixture.tsv
    printf 'n\tset\tvariant\timpl\ttargets\tmedian_us\tmin_us\tmax_us\tmaxrss_kib\tinstructions\tnonzero_exits\tcheck\n' >"$TSV"
    for n in $SIZES; do
        step "fixture: a machine of $n PCI functions (in $TREES)"
        "$BENCH" gen "$TREES/m$n" "$n"
    done
    for n in $SIZES; do
        for set in t4 class; do
            if [ "$set" = t4 ]; then ntargets=4; else ntargets=$((n - 21)); fi
            mapfile -t addrs < <("$BENCH" list "$n" "$set")
            [ "${#addrs[@]}" = "$ntargets" ] || die "bench list $n $set: ${#addrs[@]} targets, want $ntargets"
            read -r -a sels <<<"$("$BENCH" spec "$n" "$set" | tr , ' ')"
            # The wiki loop takes addresses, or the id for the class-wide set.
            if [ "$set" = t4 ]; then shsel=("${addrs[@]}"); else shsel=("${sels[@]}"); fi
            reps=$REPS
            [ "$ntargets" -le 512 ] || reps=$BIG_REPS
            for variant in keep release bound; do
                case $variant in
                    keep) state=unbound onfail=keep floorflags=() ;;
                    release) state=unbound onfail=release floorflags=(-R) ;;
                    bound) state=bound onfail=release floorflags=() ;;
                esac
                R=$TREES/m$n
                # The three timed in turn (pt, floor, shell, pt, ...): a
                # slower stretch of a shared machine falls on all alike.
                step "fixture: n=$n $set $variant: pt, floor and shell in turn ($reps runs each), then callgrind"
                mapfile -t timed < <("${RT[@]}" "$BENCH" time "$reps" "$R" "$n" "$set" "$state" "$onfail" -- \
                    "$AGENT" --sysroot "$R" --- "$FLOOR" -r "$R" "${floorflags[@]}" "${sels[@]}" --- \
                    "$BUSYBOX" sh "$HERE/wiki-loop.sh" -r "$R" "${shsel[@]}")
                [ "${#timed[@]}" = 3 ] || die "bench time: ${#timed[@]} lines, want 3"
                k=0
                for impl in pt floor shell; do
                    case $impl in
                        pt) cgcmd=("$AGENT_CG" --sysroot "$R") ;;
                        floor) cgcmd=("$OUT/bin/floor.unstripped" -r "$R" "${floorflags[@]}" "${sels[@]}") ;;
                        shell) cgcmd=("$BUSYBOX" sh "$HERE/wiki-loop.sh" -r "$R" "${shsel[@]}") ;;
                    esac
                    read -r med mn mx rss nz <<<"${timed[k]}"
                    k=$((k + 1))
                    "$BENCH" reset "$R" "$n" "$set" "$state" "$onfail"
                    cgdir=$OUT/cg-$n-$set-$variant-$impl
                    ir=$(cg_run "$cgdir" "${cgcmd[@]}")
                    # Did the run do what the variant expects?
                    check=ok
                    case $impl in
                        pt)
                            case $variant in
                                keep) want=kept ;;
                                release) want=released ;;
                                bound) want=already-bound ;;
                            esac
                            got=$(jq --arg w "$want" '[.devices[] | select(.action == $w)] | length' \
                                "$R/run/pt/state.json" 2>/dev/null || echo none)
                            [ "$got" = "$ntargets" ] || check="state: $got of $ntargets $want"
                            ;;
                        *)
                            if [ "$variant" = bound ]; then wantnz=0; else wantnz=$reps; fi
                            [ "$nz" = "$wantnz" ] || check="$nz of $reps runs exited non-zero, want $wantnz"
                            ;;
                    esac
                    [ "$check" = ok ] || step "fixture: UNEXPECTED: n=$n $set $variant $impl: $check"
                    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$set" "$variant" "$impl" \
                        "$ntargets" "$med" "$mn" "$mx" "$rss" "$ir" "$nz" "$check" >>"$TSV"
                    # Keep the profiles of the agent on the smallest and the
                    # biggest machine; drop the rest.
                    if [ "$impl" = pt ] && [ "$variant" = keep ]; then
                        first=${SIZES%% *} last=${SIZES##* }
                        if { [ "$n" = "$first" ] && [ "$set" = t4 ]; } || { [ "$n" = "$last" ] && [ "$set" = class ]; } ||
                            { [ "$n" = "$last" ] && [ "$set" = t4 ]; }; then
                            profile_report "$cgdir" "pt-agent, $n functions, $([ "$set" = t4 ] && echo "4 targets" || echo "$ntargets targets (class)"), variant keep" \
                                "$OUT/profile-$n-$set.txt"
                        fi
                    fi
                    rm -rf "$cgdir"
                done
            done
        done
    done
    # Where the time goes: the stage builds on the smallest machine, 4
    # targets, keep and release (bench stages: the median time from the
    # fork to each stage).
    first=${SIZES%% *}
    read -r -a sels <<<"$("$BENCH" spec "$first" t4 | tr , ' ')"
    printf 'variant\timpl\tstage\tmedian_us\n' >"$OUT/stages.tsv"
    for variant in keep release; do
        floorflags=()
        [ "$variant" = release ] && floorflags=(-R)
        R=$TREES/m$first
        step "fixture: where the time goes, $variant ($STAGE_REPS runs of each stage build)"
        "${RT[@]}" "$BENCH" stages "$STAGE_REPS" "$R" "$first" t4 unbound "$variant" -- "$STAGED" --sysroot "$R" |
            awk -v v="$variant" '{ printf "%s\tpt\t%s\t%s\n", v, $1, $2 }' >>"$OUT/stages.tsv"
        "${RT[@]}" "$BENCH" stages "$STAGE_REPS" "$R" "$first" t4 unbound "$variant" -- \
            "$OUT/bin/floor-stages" -r "$R" "${floorflags[@]}" "${sels[@]}" |
            awk -v v="$variant" '{ printf "%s\tfloor\t%s\t%s\n", v, $1, $2 }' >>"$OUT/stages.tsv"
    done
    rm -rf "$TREES"
    trap - EXIT

    # ---- the tables ----
    {
        echo "## 1. Agent work on fixture trees"
        echo
        echo "Static binaries: pt-agent (musl), floor (musl, same flags), busybox sh (Debian's"
        echo "busybox-static) running wiki-loop.sh. Trees on $(df -T "$TMPBASE" | awk 'NR == 2 { print $2 }') ($TMPBASE)."
        echo "Wall = fork to wait4 of one run (exec, work, exit), µs: median (and minimum) of $REPS"
        echo "runs ($BIG_REPS when thousands are bound)$([ ${#RT[@]} -gt 0 ] && echo ", under SCHED_FIFO (chrt -f 10) so that other load on the shared machine does not preempt them"); load average"
        echo "before/after part 1: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg). Ir = instructions of every process"
        echo "of the run (callgrind). RSS = peak resident set of the run's processes (ru_maxrss"
        echo "from wait4, KiB; it includes the small static runner's pages from before the exec)."
        echo "Variants: **keep** (targets unbound; the writes of a successful bind —"
        echo "override, probe, verify — then, with nothing bound, pt.onfail=keep; the"
        echo "success-path comparison), **release** (the same, then pt gives the device"
        echo "back — floor -R does too; the wiki loop never does), **bound** (targets"
        echo "already on vfio-pci: pt and the floor write the override and verify; the"
        echo "wiki loop also probes)."
        echo
        echo "| functions | targets | variant | pt wall | floor wall | shell wall | pt/floor wall | pt/shell wall | pt Ir | floor Ir | shell Ir | pt/floor Ir | pt/shell Ir | pt RSS KiB | check |"
        echo "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
        awk -F'\t' 'NR > 1 { k = $1 SUBSEP $2 SUBSEP $3; if (!(k in seen)) { seen[k] = 1; order[++n] = k; t[k] = $5 }
                        med[k, $4] = $6 " (" $7 ")"; m[k, $4] = $6; ir[k, $4] = $10; rss[k, $4] = $9; if ($12 != "ok") chk[k] = chk[k] $4 ": " $12 "; " }
             function r(a, b) { return (b + 0 > 0) ? sprintf("%.2f", a / b) : "-" }
             END { for (i = 1; i <= n; i++) { k = order[i]; split(k, p, SUBSEP)
                     printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                        p[1], t[k], p[3], med[k, "pt"], med[k, "floor"], med[k, "shell"],
                        r(m[k, "pt"], m[k, "floor"]), r(m[k, "pt"], m[k, "shell"]),
                        ir[k, "pt"], ir[k, "floor"], ir[k, "shell"], r(ir[k, "pt"], ir[k, "floor"]),
                        r(ir[k, "pt"], ir[k, "shell"]), rss[k, "pt"], (k in chk) ? chk[k] : "ok" } }' "$TSV"
        echo
        echo "### Growth"
        echo
        echo "Cost added per PCI function on the machine (4 targets, variant keep, between the"
        echo "smallest and the biggest machine) and per target (class-wide sets, variant keep:"
        echo "(cost − cost at 4 targets on the same machine) / (targets − 4))."
        echo
        echo "| implementation | Ir per added function | µs per added function | Ir per added target | µs per added target |"
        echo "| --- | ---: | ---: | ---: | ---: |"
        awk -F'\t' -v first="${SIZES%% *}" -v last="${SIZES##* }" '
            NR > 1 && $3 == "keep" { ir[$1, $2, $4] = $10; us[$1, $2, $4] = $6; tg[$1, $2] = $5 }
            END { split("pt floor shell", im, " ")
                  for (i = 1; i <= 3; i++) { m = im[i]; dn = last - first
                    dt = tg[last, "class"] - 4
                    printf "| %s | %s | %s | %s | %s |\n", m,
                        f("%.0f", ir[last, "t4", m] - ir[first, "t4", m], dn), f("%.3f", us[last, "t4", m] - us[first, "t4", m], dn),
                        f("%.0f", ir[last, "class", m] - ir[last, "t4", m], dt), f("%.1f", us[last, "class", m] - us[last, "t4", m], dt) } }
            function f(fmt, a, b,   t) { if (b + 0 <= 0) return "-"; t = sprintf(fmt, a / b); if (t ~ /^-0(\.0*)?$/) sub(/^-/, "", t); return t }' "$TSV"
        echo
        echo "### Where the agent's instructions go (callgrind, variant keep)"
        echo
        for f in "$OUT"/profile-*-t4.txt "$OUT"/profile-*-class.txt; do
            [ -f "$f" ] && cat "$f"
        done
    } >>"$OUT/results.md"

    # BENCHMARKS.md's blocks: the fixture table and the targets it decides.
    {
        echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC'), pt $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo '?'); load average before/after"
        echo "the fixture part: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs. Medians of $REPS runs ($BIG_REPS"
        echo "when thousands are bound)$([ ${#RT[@]} -gt 0 ] && echo " under SCHED_FIFO"), µs (minimum in brackets); Ir = instructions of every process"
        echo "of a run (callgrind); RSS = peak resident set."
        echo
        echo "| functions | targets | variant | pt µs | floor µs | shell µs | pt/floor | pt/shell | pt Ir | floor Ir | shell Ir | pt/floor Ir | pt RSS KiB |"
        echo "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        awk -F'\t' 'NR > 1 { k = $1 SUBSEP $2 SUBSEP $3; if (!(k in seen)) { seen[k] = 1; order[++n] = k; t[k] = $5 }
                        med[k, $4] = $6 " (" $7 ")"; m[k, $4] = $6; ir[k, $4] = $10; rss[k, $4] = $9 }
             function r(a, b) { return (b + 0 > 0) ? sprintf("%.2f", a / b) : "-" }
             END { for (i = 1; i <= n; i++) { k = order[i]; split(k, p, SUBSEP)
                     printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                        p[1], t[k], p[3], med[k, "pt"], med[k, "floor"], med[k, "shell"],
                        r(m[k, "pt"], m[k, "floor"]), r(m[k, "pt"], m[k, "shell"]),
                        ir[k, "pt"], ir[k, "floor"], ir[k, "shell"], r(ir[k, "pt"], ir[k, "floor"]), rss[k, "pt"] } }' "$TSV"
    } >"$OUT/doc-fixture.md"
    first=${SIZES%% *} last=${SIZES##* }
    {
        echo "| target | measured (this run) | met? |"
        echo "| --- | --- | --- |"
        awk -F'\t' -v first="$first" -v last="$last" '
            NR > 1 { m[$1, $2, $3, $4] = $6; rss[$1, $2, $3, $4] = $9; tg[$1, $2] = $5 }
            function row(what, a, b, lim,   q) {
                if (m[a] == "" || m[b] == "") { printf "| %s | - | - |\n", what; return }
                q = m[a] / m[b]
                printf "| %s | %.2f× (%d vs %d µs) | %s |\n", what, q, m[a], m[b], q <= lim ? "**yes**" : "**no**" }
            END {
                row("agent work at " first " functions / 4 targets, successful path (keep): ≤ 1.5× the floor",
                    first SUBSEP "t4" SUBSEP "keep" SUBSEP "pt", first SUBSEP "t4" SUBSEP "keep" SUBSEP "floor", 1.5)
                row("the give-back path (release), " first " functions / 4 targets: ≤ 2× the floor",
                    first SUBSEP "t4" SUBSEP "release" SUBSEP "pt", first SUBSEP "t4" SUBSEP "release" SUBSEP "floor", 2)
                row("the same on " last " functions: ≤ 1.5× (keep)",
                    last SUBSEP "t4" SUBSEP "keep" SUBSEP "pt", last SUBSEP "t4" SUBSEP "keep" SUBSEP "floor", 1.5)
                v = first SUBSEP "t4" SUBSEP "keep" SUBSEP "pt"
                printf "| agent work at %s functions, 4 targets < 1 ms | %d µs | %s |\n", first, m[v], m[v] < 1000 ? "**yes**" : "**no**"
                v = last SUBSEP "t4" SUBSEP "keep" SUBSEP "pt"
                printf "| %s functions < 20 ms | %d µs (4 targets) | %s |\n", last, m[v], m[v] < 20000 ? "**yes**" : "**no**"
                worst = 0; s = ""
                split("bound keep release", vs, " ")
                for (i = 1; i <= 3; i++) { r = rss[last, "class", vs[i], "pt"]; s = s (s == "" ? "" : ", ") vs[i] " " r " KiB"; if (r + 0 > worst) worst = r + 0 }
                printf "| peak memory < 2 MiB at %s functions, %d targets, whether binds succeed or fail | %s | %s |\n",
                    last, tg[last, "class"], s, worst < 2048 ? "**yes**" : "**no**" }' "$TSV"
    } >"$OUT/doc-targets.md"
    # The stages: each step's median time (the difference of the medians
    # from the fork to its two ends), what happens in it, pt and floor.
    {
        echo "Stage builds (\`make static-stages\`, floor.c with -DPT_STAGES), $first functions, 4 targets,"
        echo "medians of $STAGE_REPS runs each$([ ${#RT[@]} -gt 0 ] && echo " under SCHED_FIFO"), µs from the runner's fork to each stage; a step is"
        echo "the difference of its two ends' medians. Whole runs of the stage builds: pt keep"
        echo "$(awk -F'\t' '$1 == "keep" && $2 == "pt" && $3 == "exit" { print $4 }' "$OUT/stages.tsv"), floor keep $(awk -F'\t' '$1 == "keep" && $2 == "floor" && $3 == "exit" { print $4 }' "$OUT/stages.tsv"),"
        echo "pt release $(awk -F'\t' '$1 == "release" && $2 == "pt" && $3 == "exit" { print $4 }' "$OUT/stages.tsv"), floor release $(awk -F'\t' '$1 == "release" && $2 == "floor" && $3 == "exit" { print $4 }' "$OUT/stages.tsv") µs."
        echo
        echo "| step | what happens | pt keep | pt release | floor keep | floor release |"
        echo "| --- | --- | ---: | ---: | ---: | ---: |"
        awk -F'\t' '
            BEGIN {
                what["start"] = "exec of the static binary, to main()"
                what["fork"] = "options, kernel log, the shared page; then the worker is forked"
                what["worker"] = "the worker process starts (fork, scheduling)"
                what["inputs"] = "command line, config file, boot id"
                what["listed"] = "the device list parsed, the targets read (identity, state)"
                what["groups"] = "their IOMMU groups: every member read"
                what["root"] = "the root disk guard (root=, protect=)"
                what["fb"] = "the boot framebuffer (/proc/iomem, BARs)"
                what["kmod"] = "the libkmod context (configuration, indexes)"
                what["drivers"] = "variant drivers, modules, driver_override written"
                what["claimed"] = "probe, verify; on failure give back (release)"
                what["written"] = "summary to the kernel log, the state file"
                what["reported"] = "the worker reports"
                what["supervisor"] = "the supervisor wakes on the report"
                what["end"] = "the supervisor frees, reaps the worker, returns"
                what["exit"] = "process exit, to the runner'"'"'s wait4"
            }
            NR > 1 { at[$1, $2, $3] = $4; if ($2 == "pt" && $1 == "keep") order[++n] = $3 }
            function step(v, impl, s, prev) { return (at[v, impl, s] == "" || at[v, impl, prev] == "") ? "" : at[v, impl, s] - at[v, impl, prev] }
            END {
                for (i = 2; i <= n; i++) {
                    s = order[i]; p = order[i - 1]
                    fk = ""; fr = ""
                    if (s == "start") { fk = step("keep", "floor", "start", "exec"); fr = step("release", "floor", "start", "exec") }
                    if (s == "claimed") { fk = step("keep", "floor", "end", "start") " (all its work)"; fr = step("release", "floor", "end", "start") " (all its work)" }
                    if (s == "exit") { fk = step("keep", "floor", "exit", "end"); fr = step("release", "floor", "exit", "end") }
                    printf "| %s → %s | %s | %s | %s | %s | %s |\n", p, s, what[s], step("keep", "pt", s, p), step("release", "pt", s, p), fk, fr
                }
            }' "$OUT/stages.tsv"
    } >"$OUT/doc-stages.md"
    { echo; echo "### Where the time goes (stage builds)"; echo; cat "$OUT/doc-stages.md"; } >>"$OUT/results.md"
fi

# ---- 2. QEMU ----------------------------------------------------------------------
# Devices: edu 03.0, a GPU slot (VGA 05.0 + HDA 05.1), two e1000e (07.0, 08.0).
# Targets: edu, VGA, HDA, the first NIC — all unbound when the program starts
# (their native modules are not loaded), as with a working blacklist. The
# second NIC is no target: vfio-pci.ids= takes it too (same id), pt and the
# wiki loop leave it.
Q_TARGETS=0000:00:03.0,0000:00:05.0,0000:00:05.1,0000:00:07.0
Q_OTHERS=0000:00:08.0
Q_SPEC=1234:11e8@00:03.0,1234:1111@00:05.0,8086:293e@00:05.1,8086:10d3@00:07.0
Q_IDS=1234:11e8,1234:1111,8086:293e,8086:10d3
Q_DEVS=(-d "edu,addr=03.0" -d "VGA,addr=05.0,multifunction=on" -d "ich9-intel-hda,id=hda,addr=05.1"
    -d "hda-duplex,bus=hda.0,audiodev=snd0" -d "e1000e,addr=07.0" -d "e1000e,addr=08.0")
Q_MODES="pt ids shell"

# From one boot's results: "init_ms bound_ms end_ms total_ms modinit_ms
# user_ms pre_ms mods_ms post_ms nmods other ok". init/bound/end are kernel
# timestamps (ms since the kernel started): /init started, every target on
# vfio-pci (the return of vfio-pci's module init, inside which all three
# approaches bind: pt and the wiki loop write driver_override before the
# module loads, ids= is matched when it registers), the program done (the
# end of the initramfs' work).
qemu_parse() { # RES
    local res=$1 kmsg result
    kmsg=$("$E2E_DIR/section.sh" "$res" kmsg 2>/dev/null) || { echo "- - - - - - - - - - - boot-failed"; return; }
    result=$("$E2E_DIR/section.sh" "$res" result 2>/dev/null) || result=
    awk -v result="$result" -v targets="$Q_TARGETS" -v others="$Q_OTHERS" '
        function ts(l) { sub(/^\[ */, "", l); sub(/\].*/, "", l); return l + 0 }
        / Run .* as init process/ { ti = ts($0) }
        /bench: start/ { t0 = ts($0) }
        / calling  .*\[[a-z0-9_]+\] @/ { if (t1 == "") t1 = ts($0) }
        / initcall .*\[[a-z0-9_]+\] returned .* after [0-9]+ usecs/ {
            u = $0; sub(/.* after /, "", u); sub(/ usecs.*/, "", u); mod += u; t2 = ts($0); nmods++
            if ($0 ~ / initcall vfio_pci_init[+ ]/) tb = ts($0) }
        /bench: end/ { t3 = ts($0); rc = $0; sub(/.*rc=/, "", rc) }
        END {
            ok = (t0 != "" && t3 != "" && rc == "0") ? "ok" : "rc=" rc
            n = split(targets, t, ",")
            for (i = 1; i <= n; i++) if (index(result, "driver " t[i] "=vfio-pci") == 0) ok = "not-all-on-vfio"
            other = ""
            n = split(others, o, ",")
            for (i = 1; i <= n; i++) { d = result; if (!sub(".*other " o[i] "=", "", d)) d = "?"; sub(/[\r\n].*/, "", d); other = other (other == "" ? "" : ",") d }
            if (t0 == "" || t3 == "") { print "- - - - - - - - - - - no-markers"; exit }
            if (t1 == "") { t1 = t3; t2 = t3 }
            printf "%s %s %.1f %.1f %.1f %.1f %.1f %.1f %.1f %d %s %s\n",
                ti == "" ? "-" : sprintf("%.1f", ti * 1000), tb == "" ? "-" : sprintf("%.1f", tb * 1000), t3 * 1000,
                (t3 - t0) * 1000, mod / 1000, (t3 - t0) * 1000 - mod / 1000,
                (t1 - t0) * 1000, (t2 - t1) * 1000, (t3 - t2) * 1000, nmods, other, ok }' <<<"$kmsg"
}

# The kernels: the e2e suite's (tests/e2e/kernel.sh through e2e_need_kernel).
# kernel.sh writes BUILD/e2e/kernel.env; a kernel.sh that prepares several
# kernels (PT_E2E_KERNEL) writes one BUILD/e2e/kernel-LABEL.env each: every
# one written by this run is booted.
qemu_kernels() {
    local stamp=$OUT/qemu/kernels.stamp f found=''
    : >"$stamp"
    sleep 1 # mtime granularity: what kernel.sh writes from now on is newer
    e2e_need_kernel "$BUILD"
    for f in "$BUILD"/e2e/kernel-*.env; do
        if [ -f "$f" ] && [ "$f" -nt "$stamp" ]; then
            echo "$f"
            found=1
        fi
    done
    [ -n "$found" ] || echo "$BUILD/e2e/kernel.env"
}

if part qemu; then
    QD=$OUT/qemu
    mkdir -p "$QD"
    mapfile -t KENVS < <(qemu_kernels)
    { [ ${#KENVS[@]} -gt 0 ] && [ -f "${KENVS[0]}" ]; } || die "no kernel for the QEMU part (see $BUILD/e2e/kernel.out)"
    QTSV=$OUT/qemu.tsv
    printf 'kernel\tboot\tmode\tinit_ms\tbound_ms\tend_ms\ttotal_ms\tmodinit_ms\tuser_ms\tpre_ms\tmods_ms\tpost_ms\tinitcalls\tother\tcheck\n' >"$QTSV"
    for ENVF in "${KENVS[@]}"; do
        kver=$(sed -n 's/^KVER=//p' "$ENVF")
        # The e2e suite's label (6.1, 6.12, 6.12-zst): two labels can
        # share a kernel version (the same kernel, other compression).
        kid=$(sed -n 's/^KLABEL=//p' "$ENVF")
        kid=${kid:-$kver}
        step "qemu: $kid: initramfs (busybox, kmod's modprobe, vfio modules, pt-agent, wiki-loop.sh)"
        "$E2E_DIR/mkinitrd.sh" -q -e "$ENVF" -i "$HERE/bench.init" -a "$AGENT" \
            -m "vfio vfio_iommu_type1 vfio-pci" -k -f "$HERE/wiki-loop.sh:/bin/wiki-loop.sh" -o "$QD/bench-$kid.cpio"
        # One boot at a time (a TCG guest's clock runs with the host's, so
        # boots side by side would slow each other), the approaches
        # alternating (rotated each round); a boot that fails (TCG under load
        # can miss the timer check; no_timer_check below avoids most of
        # that) is retried twice.
        for i in $(seq 1 "$BOOTS"); do
            case $((i % 3)) in
                1) modes="pt ids shell" ;;
                2) modes="ids shell pt" ;;
                0) modes="shell pt ids" ;;
            esac
            for mode in $modes; do
                step "qemu: $kid: boot $i of $BOOTS: $mode"
                case $mode in
                    pt) extra="pt.devices=$Q_SPEC" ;;
                    ids) extra="vfio-pci.ids=$Q_IDS" ;;
                    shell) extra="" ;;
                esac
                base=$QD/$kid-$mode-$i
                for try in 1 2 3; do
                    "$E2E_DIR/boot.sh" -q -e "$ENVF" -r "$QD/bench-$kid.cpio" -l "$base.log" -t 180 "${Q_DEVS[@]}" \
                        -c "quiet no_timer_check initcall_debug log_buf_len=4M bench.mode=$mode bench.targets=$Q_TARGETS bench.others=$Q_OTHERS $extra" \
                        >"$base.boot" 2>&1 || true
                    read -r ti tb te tot mi us pre mods post nm other ok < <(qemu_parse "$base.res")
                    case $ok in boot-failed | no-markers) step "qemu: $kid: boot $i $mode: $ok (try $try)" ;; *) break ;; esac
                done
                [ "$ok" = ok ] || step "qemu: UNEXPECTED: $kid: boot $i $mode: $ok (see $base.res)"
                printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kid" "$i" "$mode" "$ti" "$tb" "$te" \
                    "$tot" "$mi" "$us" "$pre" "$mods" "$post" "$nm" "$other" "$ok" >>"$QTSV"
            done
        done
    done
    # "median (min–max)" of column COL (or A-B: column A minus column B)
    # over the ok boots of KVER and MODE
    qstat() { # KVER MODE COL
        awk -F'\t' -v k="$1" -v m="$2" -v c="$3" 'BEGIN { n = split(c, cc, "-") }
            NR > 1 && $1 == k && $3 == m && $15 == "ok" && $cc[1] != "-" && (n == 1 || $cc[2] != "-") { print n == 1 ? $cc[1] : $cc[1] - $cc[2] }' "$QTSV" |
            sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit }
                med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                printf "%.1f (%.1f–%.1f)\n", med, v[1], v[NR] }'
    }
    qmed() { qstat "$@" | cut -d' ' -f1; }
    {
        echo "## 2. In a real kernel (QEMU, TCG)"
        echo
        echo "Debian's kernel under QEMU TCG (q35, emulated VT-d, 1 vCPU; one boot at a time, the"
        echo "approaches rotating), the same initramfs for all three; kernel command line"
        echo "\`quiet no_timer_check initcall_debug log_buf_len=4M\` and the approach's own words."
        echo "Load average after the boots: $(cut -d' ' -f1-3 /proc/loadavg) (a TCG guest's clock runs with the"
        echo "host's: load slows it). Targets $Q_TARGETS (edu, VGA + HDA of one slot, e1000e),"
        echo "unbound at the start; $Q_OTHERS is a second e1000e that is not a target."
        echo
        echo "- **pt**: \`/sbin/pt-agent\` with \`pt.devices=$Q_SPEC\` (libkmod loads vfio-pci,"
        echo "  vfio_iommu_type1 and their dependencies)."
        echo "- **ids** (the guide's own method): \`vfio-pci.ids=$Q_IDS\`, and the image"
        echo "  loads \`vfio_pci vfio vfio_iommu_type1\` with kmod's modprobe, one call each, as NixOS's"
        echo "  stage 1 loads \`boot.initrd.kernelModules\`; the kernel binds, no other userspace."
        echo "- **shell**: busybox sh \`wiki-loop.sh -m \"/sbin/modprobe -i\"\` — kmod's modprobe (dynamic,"
        echo "  glibc) loads vfio-pci with its dependencies and the vfio_iommu_type1 softdep."
        echo
        echo "Times in ms from kernel-log timestamps. From kernel start: **/init** = \`Run /init\`;"
        echo "**on vfio-pci** = vfio-pci's module init returned (initcall_debug) — all three bind"
        echo "inside it: pt and the wiki loop write driver_override before the module loads, ids= is"
        echo "matched as it registers; every target is checked on vfio-pci afterwards; **end** = the"
        echo "program done (\`bench: end\`: where an initramfs would go on to mount the root). From the"
        echo "init's \`bench: start\` marker: program = start → end; module init = Σ initcall_debug"
        echo "durations of the modules' init functions; userspace = program − module init."
        echo
        for ENVF in "${KENVS[@]}"; do
            kver=$(sed -n 's/^KVER=//p' "$ENVF")
            klabel=$(sed -n 's/^KLABEL=//p' "$ENVF")
            kid=${klabel:-$kver}
            echo "### $kver${klabel:+ (e2e: $klabel)} — median (min–max) of the boots"
            echo
            echo "| approach | boots ok | /init | **on vfio-pci** | **end** | /init → on vfio-pci | /init → end | program | module init | userspace | $Q_OTHERS |"
            echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
            for mode in $Q_MODES; do
                nok=$(awk -F'\t' -v k="$kid" -v m="$mode" 'NR > 1 && $1 == k && $3 == m && $15 == "ok"' "$QTSV" | wc -l)
                nall=$(awk -F'\t' -v k="$kid" -v m="$mode" 'NR > 1 && $1 == k && $3 == m' "$QTSV" | wc -l)
                oth=$(awk -F'\t' -v k="$kid" -v m="$mode" 'NR > 1 && $1 == k && $3 == m { print $14 }' "$QTSV" | sort -u | tr '\n' ' ')
                echo "| $mode | $nok of $nall | $(qstat "$kid" "$mode" 4) | **$(qstat "$kid" "$mode" 5)** | **$(qstat "$kid" "$mode" 6)** | $(qstat "$kid" "$mode" 5-4) | $(qstat "$kid" "$mode" 6-4) | $(qstat "$kid" "$mode" 7) | $(qstat "$kid" "$mode" 8) | $(qstat "$kid" "$mode" 9) | ${oth% } |"
            done
            echo
            dif() { awk -v a="$(qmed "$kid" pt "$1")" -v b="$(qmed "$kid" ids "$1")" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%+.1f", a - b }'; }
            echo "pt − ids, medians (ms): from kernel start, on vfio-pci $(dif 5), end $(dif 6); from /init, on"
            echo "vfio-pci $(dif 5-4), end $(dif 6-4); program $(dif 7), userspace $(dif 9)."
            echo
            echo "<details><summary>every boot ($kid)</summary>"
            echo
            echo "| boot | approach | /init | on vfio-pci | end | program | module init | userspace | before modules | modules | after | initcalls | $Q_OTHERS | check |"
            echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"
            awk -F'\t' -v k="$kid" 'NR > 1 && $1 == k { printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15 }' "$QTSV"
            echo
            echo "</details>"
            echo
        done
    } >>"$OUT/results.md"
    # BENCHMARKS.md's block: the median tables of every kernel.
    {
        echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC'), $BOOTS boots per approach and kernel; load average after"
        echo "the boots: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs."
        echo
        sed -n '/^### .* — median (min–max) of the boots$/,/^<details>/p' "$OUT/results.md" | grep -v '^<details>'
    } >"$OUT/doc-qemu.md"
fi

# ---- 3. size ------------------------------------------------------------------------
if part size; then
    step "size: the agent, its libraries, and the initramfs"
    SD=$OUT/size
    mkdir -p "$SD"
    STSV=$OUT/size.tsv
    printf 'what\tbytes\n' >"$STSV"
    row() { printf '%s\t%s\n' "$1" "$2" >>"$STSV"; }
    asize=$(stat -c %s "$AGENT")
    row "pt-agent stripped" "$asize"
    ENVMK=$BUILD/deps/sysroot/env.mk
    [ -f "$ENVMK" ] || ENVMK=$REPO/build/deps/sysroot/env.mk
    linked=''
    if [ -f "$ENVMK" ] && [ -f "$BUILD/static/pt-agent.o" ]; then
        scc=$(sed -n 's/^STATIC_CC = //p' "$ENVMK")
        read -r -a slibs <<<"$(sed -n 's/^STATIC_LIBS = //p' "$ENVMK")"
        read -r -a scflags <<<"$(sed -n 's/^STATIC_CFLAGS = //p' "$ENVMK")"
        # pt-agent's objects as the Makefile links them (not pt-status's
        # or pt-vm's, whose main() would clash).
        read -r -a objs <<<"$(make -C "$REPO" --no-print-directory -s BUILD="$BUILD" print-agent-objects)"
        # The Makefile's link, with a map.
        if "$scc" -static -Os -Wl,--gc-sections -Wl,-Map="$SD/pt-agent.map" -o "$SD/pt-agent.unstripped" \
            "${objs[@]}" "${slibs[@]}" 2>"$SD/link.log"; then
            strip -o "$SD/pt-agent" "$SD/pt-agent.unstripped" 2>/dev/null
            linked=1
            row "pt-agent relinked here (same objects and libraries)" "$(stat -c %s "$SD/pt-agent")"
            awk -f "$HERE/mapsize.awk" "$SD/pt-agent.map" | sort -k2,2 -k3,3 >"$SD/by-origin.txt"
            # Without .eh_frame (unwind tables no C code here uses).
            strip --remove-section=.eh_frame --remove-section=.eh_frame_hdr -o "$SD/pt-agent.noeh" \
                "$SD/pt-agent.unstripped" 2>/dev/null
            row "variant: without .eh_frame (strip -R .eh_frame)" "$(stat -c %s "$SD/pt-agent.noeh")"
            # Without libblkid: its three calls stubbed (failing).
            nolibs=()
            for l in "${slibs[@]}"; do [ "$l" = -lblkid ] || nolibs+=("$l"); done
            # shellcheck disable=SC2086 # WARN is a list of flags
            if "$scc" -std=gnu11 -D_GNU_SOURCE $WARN -Os "${scflags[@]}" -c -o "$SD/blkid-stub.o" "$HERE/blkid-stub.c" 2>>"$SD/link.log" &&
                "$scc" -static -Os -Wl,--gc-sections -o "$SD/pt-agent.noblkid.unstripped" "${objs[@]}" \
                    "$SD/blkid-stub.o" "${nolibs[@]}" 2>>"$SD/link.log"; then
                strip -o "$SD/pt-agent.noblkid" "$SD/pt-agent.noblkid.unstripped" 2>/dev/null
                row "variant: without libblkid" "$(stat -c %s "$SD/pt-agent.noblkid")"
                strip --remove-section=.eh_frame --remove-section=.eh_frame_hdr -o "$SD/pt-agent.noblkid.noeh" \
                    "$SD/pt-agent.noblkid.unstripped" 2>/dev/null
                row "variant: without libblkid and .eh_frame" "$(stat -c %s "$SD/pt-agent.noblkid.noeh")"
            else
                row "variant: without libblkid (link failed, see size/link.log)" "-"
            fi
        fi
    fi
    row "floor stripped (for scale)" "$(stat -c %s "$FLOOR")"
    gzip -9 -n -c "$AGENT" >"$SD/a.gz"
    xz -9e --check=crc32 -c "$AGENT" >"$SD/a.xz"
    zstd -19 -q -c "$AGENT" >"$SD/a.zst"
    row "pt-agent gzip -9" "$(stat -c %s "$SD/a.gz")"
    row "pt-agent xz -9e" "$(stat -c %s "$SD/a.xz")"
    row "pt-agent zstd -19" "$(stat -c %s "$SD/a.zst")"

    # What each approach puts into an initramfs: a newc cpio of its files,
    # compressed with zstd -19 (Debian's initramfs-tools default is zstd).
    cpio_size() { # DIR → "raw zstd" bytes of a newc cpio of DIR
        (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$SD/t.cpio"
        zstd -19 -q -c "$SD/t.cpio" >"$SD/t.cpio.zst"
        echo "$(stat -c %s "$SD/t.cpio") $(stat -c %s "$SD/t.cpio.zst")"
    }
    rm -rf "$SD/pt.d" "$SD/sh.d" "$SD/shonly.d"
    mkdir -p "$SD/pt.d/sbin" "$SD/pt.d/etc" "$SD/sh.d/bin" "$SD/sh.d/sbin" "$SD/shonly.d/bin"
    cp "$AGENT" "$SD/pt.d/sbin/pt-agent"
    printf 'devices = %s\n' "$Q_SPEC" >"$SD/pt.d/etc/pt.conf"
    cp "$BUSYBOX" "$SD/sh.d/bin/busybox"
    ln -s busybox "$SD/sh.d/bin/sh"
    cp "$HERE/wiki-loop.sh" "$SD/sh.d/bin/wiki-loop.sh"
    cp "$HERE/wiki-loop.sh" "$SD/shonly.d/bin/wiki-loop.sh"
    cp /usr/bin/kmod "$SD/sh.d/sbin/kmod"
    ln -s kmod "$SD/sh.d/sbin/modprobe"
    while read -r lib; do
        mkdir -p "$SD/sh.d/$(dirname "$lib")"
        cp -L "$lib" "$SD/sh.d/$lib"
    done < <(ldd /usr/bin/kmod | grep -o '/[^ ]*')
    read -r ptraw ptz < <(cpio_size "$SD/pt.d")
    read -r shraw shz < <(cpio_size "$SD/sh.d")
    read -r _ soz < <(cpio_size "$SD/shonly.d")
    row "initramfs: pt (pt-agent + pt.conf), cpio" "$ptraw"
    row "initramfs: pt (pt-agent + pt.conf), cpio zstd -19" "$ptz"
    row "initramfs: shell approach (busybox + kmod + its libraries + script), cpio" "$shraw"
    row "initramfs: shell approach (busybox + kmod + its libraries + script), cpio zstd -19" "$shz"
    row "initramfs: the script alone (busybox and kmod already there), cpio zstd -19" "$soz"
    kmodlibs=$(ldd /usr/bin/kmod | grep -o '/[^ ]*' | while read -r l; do stat -L -c %s "$l"; done | awk '{ s += $1 } END { print s + 0 }')
    {
        echo "## 3. Size"
        echo
        echo "| what | bytes | KiB |"
        echo "| --- | ---: | ---: |"
        awk -F'\t' 'NR > 1 { if ($2 == "-") printf "| %s | - | - |\n", $1; else printf "| %s | %d | %.1f |\n", $1, $2, $2 / 1024 }' "$STSV"
        echo "| busybox (static, Debian) | $(stat -c %s "$BUSYBOX") | $(kib "$(stat -c %s "$BUSYBOX")") |"
        echo "| kmod (/usr/bin/kmod) + its shared libraries | $(($(stat -c %s /usr/bin/kmod) + kmodlibs)) | $(kib $(($(stat -c %s /usr/bin/kmod) + kmodlibs))) |"
        echo
        echo "kmod's libraries: $(ldd /usr/bin/kmod | grep -o '/[^ ]*' | xargs -n 1 basename | tr '\n' ' ')"
        echo
        if [ -n "$linked" ]; then
            echo "What each part of the static agent occupies (GNU ld map of the Makefile's link;"
            echo "code = text + rodata + data, unwind = .eh_frame, which strip keeps; bss takes no"
            echo "file space):"
            echo
            echo "| origin | code | unwind (.eh_frame) | code + unwind | share of the file | bss |"
            echo "| --- | ---: | ---: | ---: | ---: | ---: |"
            awk -v total="$asize" '{ b[$2, $3] = $1; o[$2] = 1 }
                END { for (k in o) printf "%d %s %d %d %d\n", b[k, "code"] + b[k, "unwind"], k, b[k, "code"], b[k, "unwind"], b[k, "bss"] }' \
                "$SD/by-origin.txt" | sort -rn |
                awk -v total="$asize" '{ printf "| %s | %d | %d | %d | %.1f%% | %d |\n", $2, $3, $4, $1, 100 * $1 / total, $5 }'
            echo
        fi
    } >>"$OUT/results.md"
fi

if part size; then
    {
        echo "| | bytes | KiB |"
        echo "| --- | ---: | ---: |"
        awk -F'\t' 'NR > 1 && $2 != "-" { printf "| %s | %d | %.1f |\n", $1, $2, $2 / 1024 }' "$STSV"
    } >"$OUT/doc-size.md"
fi

# ---- BENCHMARKS.md -------------------------------------------------------------------
# The tables between "<!-- bench:NAME -->" and "<!-- /bench:NAME -->" are
# this run's (the prose around them is written by hand, from them).
# PT_BENCH_DOC=none leaves the file alone.
DOC=${PT_BENCH_DOC:-$REPO/BENCHMARKS.md}
splice_doc() { # NAME FILE
    local name=$1 file=$2
    [ -f "$file" ] && [ -f "$DOC" ] || return 0
    grep -qxF "<!-- bench:$name -->" "$DOC" || return 0
    awk -v b="<!-- bench:$name -->" -v e="<!-- /bench:$name -->" -v file="$file" '
        $0 == b { print; while ((getline l < file) > 0) print l; skip = 1; next }
        $0 == e { skip = 0 }
        !skip { print }' "$DOC" >"$DOC.tmp" && mv "$DOC.tmp" "$DOC"
    step "BENCHMARKS.md: $name table from this run"
}
if [ "$DOC" != none ]; then
    part fixture && splice_doc fixture "$OUT/doc-fixture.md" && splice_doc targets "$OUT/doc-targets.md" &&
        splice_doc stages "$OUT/doc-stages.md"
    part qemu && splice_doc qemu "$OUT/doc-qemu.md"
    part size && splice_doc size "$OUT/doc-size.md"
fi

step "done in $(($(date +%s) - T_START)) s: $OUT/results.md"
