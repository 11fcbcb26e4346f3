/* SPDX-License-Identifier: MIT */
/*
 * chaininit.h — pt-agent as PID 1 (rdinit=/pt-agent, or installed as /init
 * with the original moved to /init.real): mount what the agent needs, run
 * the boot sequence before anything else has run, and exec the real init.
 *
 * /proc, /sys and /dev are mounted only if they are not there yet, and
 * unmounted again before the exec, so the real init finds the system as
 * the kernel left it. /run is mounted (tmpfs, 0755) if it is not a mount
 * point and left mounted: that is where the state file lives, and dracut
 * and systemd keep a /run they find mounted. (initramfs-tools mounts a new
 * tmpfs over /run, hiding the state: use pt's initramfs-tools hook there.)
 *
 * The real init is, in order: pt.init= from the command line, /init (if
 * that is not pt-agent itself), /init.real, /sbin/init. Command-line
 * arguments the kernel handed to PID 1 are passed on unchanged.
 */
#ifndef PT_CHAININIT_H
#define PT_CHAININIT_H

/* Never returns unless no init could be executed. */
int pt_chain_init(int argc, char **argv);

#endif
