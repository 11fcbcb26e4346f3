#!/bin/sh
# pt-agent.sh — dracut cmdline hook (priority 00) of the shell-based
# initramfs: runs pt-agent before 01parse-kernel.sh loads rd.driver.pre=
# drivers and before udev starts. /proc, /sys, /dev and /run are mounted.
#
# /init sources this file in PID 1: no exit, no set -e, nothing left
# behind but the pt_* names it unsets. pt-agent exits 0 in boot mode; a
# crash or a missing binary must not stop the boot either.
#
# It runs when /etc/pt.conf exists or the command line carries pt.devices=,
# pt.config= or pt.off (the conditions of pt-agent.service).

pt_want=
if [ -e /etc/pt.conf ]; then
    pt_want=1
else
    read -r pt_cmdline </proc/cmdline || :
    case " $pt_cmdline " in
        *" pt.devices="* | *' "pt.devices='* | *" pt.config="* | *' "pt.config='* | \
            *" pt.off "* | *" pt.off="*) pt_want=1 ;;
    esac
fi
if [ -n "$pt_want" ]; then
    if [ -x /usr/sbin/pt-agent ]; then
        /usr/sbin/pt-agent </dev/null || echo "<3>pt: pt-agent failed with status $?" >/dev/kmsg
    else
        echo "<3>pt: /usr/sbin/pt-agent is missing from the initramfs" >/dev/kmsg
    fi
fi
unset pt_want pt_cmdline
