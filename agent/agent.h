/* SPDX-License-Identifier: MIT */
/*
 * agent.h — pt-agent's program logic, callable from main() and from the
 * test suite (which installs the kernel-model hooks of sysfs.h first).
 *
 * Boot mode (no command word): read the command line and the config blob,
 * plan, bind, write /run/pt/state.json, log a summary. It returns 0 for
 * every outcome: a boot agent must never stop the boot. Only a usage
 * error returns 64.
 */
#ifndef PT_AGENT_H
#define PT_AGENT_H

#ifndef PT_VERSION
#define PT_VERSION "0.1.0"
#endif

#include "output.h" /* PT_EXIT_USAGE, shared with pt-status and pt-vm */

int pt_agent_main(int argc, char **argv);

#endif
