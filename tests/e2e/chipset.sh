# shellcheck shell=bash
# chipset.sh — the e2e scenario chipset-group, sourced by run.sh: q35's
# 00:1f.x functions (ISA bridge on lpc_ich, AHCI, SMBus on i801_smbus) in
# one IOMMU group. pt-agent, asked for the SMBus function, refuses: the ISA
# bridge's driver keeps the group, and pt never takes a bridge; pt-status
# suggest says the same. Then the kernel itself is asked (vfio-viable, the
# VFIO_GROUP_GET_STATUS ioctl) with lpc_ich bound and after unbinding it:
# the rule pt applies must be the kernel's. Facts: tests/e2e/FACTS.md.
# shellcheck disable=SC2016 # jq programs

# e2e_chipset_initrd BUILD OUT: for the kernel of $E2E_KENV (default
# BUILD/e2e/kernel.env, 6.1), std + lpc_ich, i2c_i801, pt-status, pci.ids,
# the vfio-viable helper (static, musl), and chipset.init as /init.
e2e_chipset_initrd() {
    local build=$1 out=$2 ids=()
    [ -x "$build/static/pt-status" ] || e2e_die "no $build/static/pt-status (make static)"
    musl-gcc -static -Os -Wall -Werror -o "$build/e2e/vfio-viable" "$E2E_DIR/vfio-viable.c" ||
        return 1
    [ ! -f /usr/share/misc/pci.ids ] || ids=(-f /usr/share/misc/pci.ids:/usr/share/misc/pci.ids)
    "$E2E_DIR/mkinitrd.sh" -q -e "${E2E_KENV:-$build/e2e/kernel.env}" -i "$E2E_DIR/chipset.init" \
        -a "${E2E_AGENT:-$build/static/pt-agent}" -o "$out" -m "+lpc_ich i2c_i801" \
        -f "$build/static/pt-status:/sbin/pt-status" \
        -f "$build/e2e/vfio-viable:/sbin/vfio-viable" "${ids[@]}"
}

sc_chipset_group() {
    local g
    boot chipset -c "pt.devices=8086:2930@00:1f.3" || return 0
    # precondition: the chipset's drivers are bound, one group holds 1f.x
    drv_is pci-before 0000:00:1f.0 lpc_ich
    drv_is pci-before 0000:00:1f.3 i801_smbus
    g=$(pci pci-before 0000:00:1f.3 group)
    [ "$(pci pci-before 0000:00:1f.0 group)" = "$g" ] ||
        fail "1f.0 and 1f.3 are not in one group: $(section groups | tr '\n' ' ')"
    # the ISA bridge's config header is type 0 (bit 7 is multi-function; a
    # PCI-to-PCI bridge's would be 1)
    section header | grep -qxE '0000:00:1f.0=(00|80)' ||
        fail "1f.0 header type is not 0: $(section header | tr '\n' ' ')"
    # pt-agent refused, and said why: the chipset's ISA bridge on lpc_ich
    expect .result failed
    dev_is 0000:00:1f.3 action skipped
    drv_is pci-agent 0000:00:1f.3 i801_smbus
    ovr_is pci-agent 0000:00:1f.3 "(null)"
    expect "[.groups[] | select(.group == $g)] | map(.viable) | tojson" '[false]'
    sj '.groups[].blockers[]' | grep -q '0000:00:1f.0' ||
        fail "the group's blockers do not name 0000:00:1f.0: $(sj -c .groups)"
    sj '.errors[]' | grep -q '0000:00:1f.0 (8086:2918, lpc_ich)' ||
        fail "errors[] does not name the ISA bridge on lpc_ich: $(sj -c .errors)"
    if sj '.errors[]' | grep -q 'too'; then fail "errors[] says to list the chipset too: $(sj -c .errors)"; fi
    # pt-status suggest: cannot, the same reason, exit 1
    section suggest | grep -q 'cannot go to a guest: it shares the group with 0000:00:1f.0 (lpc_ich)' ||
        fail "suggest does not refuse for the ISA bridge: $(section suggest | head -n 3 | tr '\n' ' ')"
    section suggest | grep -qx 'rc=1' || fail "suggest did not exit 1"
    # the kernel agrees: not viable while lpc_ich holds 1f.0, viable without
    section kernel | grep -qx 'smbus-driver=vfio-pci' ||
        fail "1f.3 could not be put on vfio-pci by hand: $(section kernel | tr '\n' ' ')"
    section kernel | grep -q '^with-lpc_ich=viable=0' ||
        fail "the kernel said the group is viable with lpc_ich bound: $(section kernel | tr '\n' ' ')"
    section kernel | grep -q '^without-lpc_ich=viable=1' ||
        fail "the kernel said the group is not viable without lpc_ich: $(section kernel | tr '\n' ' ')"
}
