# shellcheck shell=bash
# lib.sh — host-side helpers shared by run.sh and demo.sh (sourced, bash).
#
#   e2e_need_packages      install what is missing of $E2E_PACKAGES (apt)
#   e2e_need_agent BUILD   build BUILD/static/pt-agent (make static) if it is
#                          missing or older than a file under agent/
#   e2e_need_kernel BUILD [KERNEL...]
#                          kernel.sh BUILD KERNEL...: Debian's kernels, cached
#   e2e_initrd BUILD OUT [mkinitrd.sh options]
#                          initramfs with scenario.init as /init and the
#                          agent $E2E_AGENT (default BUILD/static/pt-agent)
#
# Progress goes to stderr through e2e_step (override it to restyle).
# Needs: E2E_DIR (this directory) and REPO (the repository root) set, or
# derives them from this file's location.

E2E_DIR=${E2E_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
REPO=${REPO:-$(cd "$E2E_DIR/../.." && pwd)}

# Debian packages the suite needs: QEMU (TCG) with SeaBIOS, a static
# busybox for the guest, kmod (modprobe --show-depends, depmod), cpio, jq
# for the assertions, make + file for `make static`, xz-utils + zstd for
# the 6.12-zst kernel (kernel.sh recompresses 6.12's modules).
E2E_PACKAGES="qemu-system-x86 busybox-static kmod cpio jq make file ovmf e2fsprogs xz-utils zstd"

e2e_step() { echo "e2e: $*" >&2; }
e2e_die() { echo "e2e: error: $*" >&2; exit 1; }

# Run a command as root: directly, or through sudo when available.
e2e_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        e2e_die "need root to run: $* (no sudo)"
    fi
}

e2e_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

e2e_need_packages() {
    local p missing=() log
    for p in $E2E_PACKAGES; do
        e2e_installed "$p" || missing+=("$p")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    log=$(mktemp "${TMPDIR:-/tmp}/pt-e2e-apt.XXXXXX")
    e2e_step "installing ${missing[*]} (apt-get)..."
    if ! e2e_root apt-get update -q >"$log" 2>&1 ||
        ! e2e_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
        tail -n 20 "$log" >&2
        e2e_die "apt-get install ${missing[*]} failed (log: $log)"
    fi
    rm -f "$log"
}

# The static agent the guests run. `make static` is incremental; it is
# only called when the binary is missing or a file under agent/ changed.
e2e_need_agent() {
    local build=$1 agent log args=()
    agent=$build/static/pt-agent
    if [ -x "$agent" ] && [ -z "$(find "$REPO/agent" -newer "$agent" -print -quit)" ]; then
        return 0
    fi
    # The Makefile's default BUILD is "build"; pass another one through.
    [ "$build" = "$(cd "$REPO" && pwd)/build" ] || args=(BUILD="$build")
    mkdir -p "$build/e2e"
    log=$build/e2e/make-static.log
    if [ -x "$agent" ]; then
        e2e_step "agent/ changed: rebuilding the static agent (make static)..."
    else
        e2e_step "building the static agent (make static; the first time it builds its libraries, ~1 min)..."
    fi
    if ! make -C "$REPO" static "${args[@]}" >"$log" 2>&1; then
        tail -n 25 "$log" >&2
        e2e_die "make -C $REPO static failed (log: $log)"
    fi
    [ -x "$agent" ] || e2e_die "make static did not produce $agent"
}

# Debian's kernels (default 6.1; see kernel.sh): kernel.sh prints its
# steps; only the ones that do work (download, extract, depmod) are shown,
# all go to BUILD/e2e/kernel.out.
e2e_need_kernel() {
    local build=$1 log line k
    shift
    mkdir -p "$build/e2e"
    log=$build/e2e/kernel.out
    : >"$log"
    # No kernel named: 6.1 (kernel.env, which the integration suite and
    # the benchmarks read) and whatever else PT_E2E_KERNEL lists (the
    # benchmarks time each kernel-LABEL.env kernel.sh writes).
    local ks=${PT_E2E_KERNEL:-}
    ks=" ${ks//,/ } "
    [[ $ks == *" 6.1 "* ]] || ks="6.1$ks"
    # shellcheck disable=SC2086 # the list is split on purpose
    [ $# -gt 0 ] || set -- $ks
    if ! "$E2E_DIR/kernel.sh" "$build" "$@" 2>&1 >/dev/null | while IFS= read -r line; do
        printf '%s\n' "$line" >>"$log"
        case $line in
            *already*) ;;
            *download* | *extract* | *depmod* | *"apt knows no"* | *pinned* | *fetching* | *recompress*)
                echo "e2e: kernel: ${line#kernel.sh: }" >&2 ;;
        esac
    done; then
        tail -n 20 "$log" >&2
        e2e_die "tests/e2e/kernel.sh $build $* failed (log: $log)"
    fi
    for k in "$@"; do
        [ -f "$build/e2e/kernel-$k.env" ] || e2e_die "kernel.sh wrote no $build/e2e/kernel-$k.env"
    done
}

# e2e_initrd BUILD OUT [mkinitrd.sh options]: for the kernel of $E2E_KENV
# (default BUILD/e2e/kernel.env, the 6.1 one)
e2e_initrd() {
    local build=$1 out=$2
    shift 2
    "$E2E_DIR/mkinitrd.sh" -q -e "${E2E_KENV:-$build/e2e/kernel.env}" -i "$E2E_DIR/scenario.init" \
        -a "${E2E_AGENT:-$build/static/pt-agent}" -o "$out" "$@"
}
