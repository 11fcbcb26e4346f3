# shellcheck shell=sh
# initlib.sh — helpers for e2e guest init scripts (busybox ash).
# mkinitrd.sh installs this file as /lib/pt-e2e.sh; an init script does
#     . /lib/pt-e2e.sh
#     e2e_setup
#     e2e_begin NAME; ...commands...; e2e_end NAME
#     e2e_poweroff
# Deliberately no `set -e`: an init that dies makes the kernel panic,
# which loses the remaining results.
#
# Output channels:
#   /dev/console (ttyS0)  kernel log + everything the init prints
#   /dev/ttyS1            results channel: only what e2e_* writes there, so
#                         sections are never interleaved with printk lines.
#                         boot.sh captures it to RESULTS (see boot.sh).

E2E_RES=/dev/ttyS1

# Write one line to the results channel and to the console.
e2e_say() {
    printf '%s\n' "$*"
    if [ -c "$E2E_RES" ]; then printf '%s\n' "$*" >"$E2E_RES"; fi
}

# Mount the usual filesystems (each only if not mounted yet), print the kernel uptime
# when the init started as "e2e: init-start UPTIME".
e2e_setup() {
    mkdir -p /proc /sys /dev /run /tmp
    mount -t proc proc /proc 2>/dev/null
    mount -t sysfs sysfs /sys 2>/dev/null
    mount -t devtmpfs devtmpfs /dev 2>/dev/null
    # /run may already be a tmpfs holding /run/pt (chain-init mode: the
    # agent ran as PID 1 before this init and kept /run mounted).
    if ! grep -q '^[^ ]* /run ' /proc/mounts 2>/dev/null; then
        mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run 2>/dev/null
    fi
    # ttyS1 is quiet until configured; raw so the kernel does not echo.
    if [ -c "$E2E_RES" ]; then stty -F "$E2E_RES" raw -echo 115200 2>/dev/null; fi
    E2E_KVER=$(uname -r)
    e2e_say "e2e: init-start $(cut -d' ' -f1 /proc/uptime) kernel $E2E_KVER"
}

# Run "cmd..." and send its output (stdout+stderr) to the results
# channel too, prefixed by nothing. Returns the command's status.
e2e_run() {
    _e2e_out=/tmp/.e2e_run.$$
    "$@" >"$_e2e_out" 2>&1
    _e2e_rc=$?
    while IFS= read -r _e2e_l || [ -n "$_e2e_l" ]; do e2e_say "$_e2e_l"; done <"$_e2e_out"
    rm -f "$_e2e_out"
    return $_e2e_rc
}

e2e_begin() { e2e_say "===PT-BEGIN $1==="; }
e2e_end() { e2e_say "===PT-END $1==="; }

# e2e_kv KEY VALUE... : one "KEY=VALUE" line in the results.
e2e_kv() { _e2e_k=$1; shift; e2e_say "$_e2e_k=$*"; }

# Milliseconds since boot (CLOCK_BOOTTIME-ish, from /proc/uptime).
e2e_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# e2e_modprobe NAME... : insmod NAME with its dependencies (and the
# softdeps kmod would load), in order, from /lib/modules/KVER/e2e.order,
# which mkinitrd.sh writes ("NAME relpath relpath ..." per line).
# Busybox's own modprobe cannot read Debian's modules.dep layout; its
# insmod reads .ko and .ko.xz but not .ko.zst: with kmod in the initramfs
# (mkinitrd.sh -k), kmod's insmod is used.
# Returns non-zero if NAME is unknown or an insmod failed.
e2e_modprobe() {
    _e2e_rc=0
    for _e2e_m in "$@"; do
        _e2e_n=$(printf '%s' "$_e2e_m" | tr - _)
        _e2e_line=$(awk -v n="$_e2e_n" '{ k = $1; gsub(/-/, "_", k) } k == n { print; exit }' \
            "/lib/modules/$E2E_KVER/e2e.order")
        if [ -z "$_e2e_line" ]; then
            echo "e2e_modprobe: $_e2e_m not in the initramfs" >&2
            _e2e_rc=1
            continue
        fi
        # shellcheck disable=SC2086 # split the path list
        for _e2e_p in ${_e2e_line#* }; do
            _e2e_b=${_e2e_p##*/}
            _e2e_b=$(printf '%s' "${_e2e_b%.ko*}" | tr - _)
            [ -d "/sys/module/$_e2e_b" ] && continue
            if [ -x /bin/kmod ]; then
                # kmod's insmod is only reachable through its name
                /sbin/insmod "/lib/modules/$E2E_KVER/$_e2e_p" || _e2e_rc=1
            else
                insmod "/lib/modules/$E2E_KVER/$_e2e_p" || _e2e_rc=1
            fi
        done
    done
    return $_e2e_rc
}

# e2e_pci: one line per PCI function:
#   ADDR VVVV:DDDD class=CCCCCC group=N|- driver=NAME|- override=X|(null)
e2e_pci() {
    for _e2e_d in /sys/bus/pci/devices/*; do
        [ -e "$_e2e_d" ] || continue
        _e2e_g=-
        [ -e "$_e2e_d/iommu_group" ] && _e2e_g=$(basename "$(readlink "$_e2e_d/iommu_group")")
        _e2e_drv=-
        [ -e "$_e2e_d/driver" ] && _e2e_drv=$(basename "$(readlink "$_e2e_d/driver")")
        e2e_say "$(basename "$_e2e_d") $(sed 's/^0x//' "$_e2e_d/vendor"):$(sed 's/^0x//' "$_e2e_d/device")" \
            "class=$(sed 's/^0x//' "$_e2e_d/class") group=$_e2e_g driver=$_e2e_drv" \
            "override=$(cat "$_e2e_d/driver_override" 2>/dev/null)"
    done
}

# e2e_groups: "group N: ADDR ADDR ..." per IOMMU group, or "no iommu_groups".
e2e_groups() {
    if [ ! -d /sys/kernel/iommu_groups ]; then
        e2e_say "no /sys/kernel/iommu_groups"
        return 0
    fi
    _e2e_n=0
    for _e2e_g in /sys/kernel/iommu_groups/*; do
        [ -d "$_e2e_g" ] || continue
        _e2e_n=$((_e2e_n + 1))
        _e2e_m=''
        for _e2e_x in "$_e2e_g"/devices/*; do _e2e_m="$_e2e_m ${_e2e_x##*/}"; done
        e2e_say "group ${_e2e_g##*/}:$_e2e_m"
    done
    [ "$_e2e_n" -gt 0 ] || e2e_say "/sys/kernel/iommu_groups is empty"
}

# Power off now (QEMU exits because boot.sh passes -no-reboot). sync first
# so nothing is lost on the serial ports.
e2e_poweroff() {
    e2e_say "e2e: poweroff $(cut -d' ' -f1 /proc/uptime)"
    sync
    echo o >/proc/sysrq-trigger
    sleep 5
    poweroff -f
}
