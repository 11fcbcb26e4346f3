#!/bin/bash
# dracut module "pt": pt-agent hands PCI devices to vfio-pci in the
# initramfs, before any driver for them can load.
#
# What goes into the image (hostonly or not):
#   /usr/sbin/pt-agent   the agent (found as below)
#   vfio, vfio_iommu_type1, vfio-pci, and the vfio-pci variant drivers
#                        this machine can use (see pt_install_variants),
#                        with dependencies: pt-agent loads them itself
#                        with libkmod
#   /etc/pt.conf         the host's config file, when it exists
#   systemd initrd:      pt-agent.service, wanted by sysinit.target,
#                        ordered before systemd-modules-load, systemd-udevd,
#                        systemd-udev-trigger and dracut's cmdline/pre-udev
#                        services (which load rd.driver.pre= drivers)
#   shell initrd:        the cmdline hook pt-agent.sh at priority 00, which
#                        /init runs before 01parse-kernel.sh loads
#                        rd.driver.pre= drivers and before udev starts (a
#                        pre-udev hook would come after rd.driver.pre=,
#                        which --force-drivers uses: a forced GPU driver
#                        would bind first and have to be unbound)
#
# Environment (for building images for another machine, and for tests):
#   PT_AGENT  the pt-agent binary to install (default: pt-agent in PATH,
#             else /usr/sbin, /usr/local/sbin, /sbin, /usr/bin)
#   PT_CONF   the config file to install as /etc/pt.conf (default
#             /etc/pt.conf; an empty or missing file puts none in)
#   PT_VFIO_MODULES  vfio-pci variant drivers to put in whatever the
#             devices (also pt_vfio_modules+=" ... " in dracut.conf.d;
#             "all": every one the kernel has)
#   PT_PROTECT  what to record as protect= in the image's /etc/pt.conf
#             (default: `pt-agent root-devices`, the PCI functions under
#             the root file system mounted now; set it empty to record
#             nothing, e.g. when building for another machine)
#
# Why protect=: at boot the agent runs before the disk's driver, so it
# cannot find the root file system's controller itself. When the image is
# built, the root is mounted: its controller is recorded, pinned
# (id@address), and the agent never binds it or its IOMMU group. On other
# hardware a pinned entry does not match and protects nothing.
#
# dracut sources this file and provides moddir, initdir, hostonly,
# systemdsystemunitdir, SYSTEMCTL and the inst*/dracut_* functions.
# shellcheck disable=SC2154 # variables set by dracut

pt_agent_path() {
    local p
    for p in "${PT_AGENT:-}" "$(command -v pt-agent 2>/dev/null)" \
        /usr/sbin/pt-agent /usr/local/sbin/pt-agent /sbin/pt-agent /usr/bin/pt-agent; do
        if [[ -n $p && -f $p && -x $p ]]; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# Append protect= (the root's controller, found now) to the image's pt.conf.
pt_record_protect() {
    local agent=$1 protect
    if [[ -n ${PT_PROTECT+set} ]]; then
        protect=$PT_PROTECT
    else
        protect=$("$agent" root-devices 2>/dev/null | paste -sd, -) || protect=
    fi
    [[ -n $protect ]] || return 0
    # Never the host's /etc: only ever the image being built.
    [[ -n ${initdir:-} ]] || return 0
    mkdir -p "$initdir/etc"
    printf '# the root file system'"'"'s controller when this image was built (pt-agent root-devices)\nprotect = %s\n' \
        "$protect" >>"$initdir/etc/pt.conf"
}

# called by dracut
check() {
    # Included by default when the agent is there; without it, only an
    # explicit --add pt reaches install(), which then says what is missing.
    pt_agent_path >/dev/null || return 1
    return 0
}

# called by dracut
depends() {
    return 0
}

# called by dracut
installkernel() {
    # hostonly='': dracut would otherwise keep only modules loaded on the
    # build host, and vfio-pci is rarely loaded there before it is needed.
    hostonly='' instmods vfio vfio_iommu_type1 vfio-pci
    pt_install_variants
    return 0
}

# Variant drivers (mlx5_vfio_pci, pds_vfio_pci, ...): pt-agent loads one at
# boot when modules.alias has a vfio_pci: alias for a device. Only those
# this machine can use go in, as `pt-agent vfio-variants` chooses them for
# every generator: one whose alias matches a PCI device of this host
# (hostonly builds), or a device the config's list names by id, or one
# pt_vfio_modules (dracut.conf) or PT_VFIO_MODULES (environment) names
# ("all": every one the kernel has).
pt_install_variants() {
    local agent conf=${PT_CONF:-/etc/pt.conf} out line mod rc=0 args=()
    local always="${pt_vfio_modules:-} ${PT_VFIO_MODULES:-}"

    agent=$(pt_agent_path) || return 0
    args=(--moddir "${srcmods%/}")
    [[ $hostonly ]] && args+=(--host)
    [[ -f $conf && -s $conf ]] && args+=(--config "$conf")
    [[ -n ${always// /} ]] && args+=(--always "$always")
    out=$("$agent" vfio-variants "${args[@]}") || rc=$?
    while IFS= read -r line; do
        case $line in
            '') ;;
            '# '*) dinfo "pt: ${line#\# }" ;;
            *)
                mod=${line%%$'\t'*}
                dinfo "pt: adding vfio-pci variant driver $mod: ${line#*$'\t'}"
                hostonly='' instmods "$mod" || derror "pt: cannot install $mod"
                ;;
        esac
    done <<<"$out"
    ((rc == 0)) || dwarn "pt: pt-agent vfio-variants failed (status $rc): see above"
    return 0
}

# called by dracut
install() {
    local agent conf=${PT_CONF:-/etc/pt.conf}

    if ! agent=$(pt_agent_path); then
        derror "pt: no pt-agent binary found (set PT_AGENT, or install pt-agent in /usr/sbin)"
        return 1
    fi
    inst_binary "$agent" /usr/sbin/pt-agent || {
        derror "pt: cannot install $agent"
        return 1
    }

    if [[ -f $conf && -s $conf ]]; then
        inst_simple "$conf" /etc/pt.conf
    fi
    pt_record_protect "$agent"

    if dracut_module_included "systemd"; then
        local unit
        for unit in "$moddir/pt-agent.service" "$systemdsystemunitdir/pt-agent.service"; do
            [[ -f $unit ]] && break
        done
        if [[ ! -f $unit ]]; then
            derror "pt: pt-agent.service not found in $moddir or $systemdsystemunitdir"
            return 1
        fi
        # (in the source tree, $moddir/pt-agent.service is a symbolic link)
        inst_simple "$(readlink -f "$unit")" "$systemdsystemunitdir/pt-agent.service"
        $SYSTEMCTL -q --root "$initdir" add-wants sysinit.target pt-agent.service
    else
        # /init sources hooks in PID 1: pt-agent.sh never exits.
        inst_hook cmdline 00 "$moddir/pt-agent.sh"
    fi
    return 0
}
