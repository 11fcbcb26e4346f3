/* SPDX-License-Identifier: MIT */
/*
 * output.h — what every pt-status command shares: its exit codes and the
 * version of its --json output; pt-agent's and pt-vm's usage error is the
 * same 64.
 */
#ifndef PT_OUTPUT_H
#define PT_OUTPUT_H

/* Version of pt-status's own --json output ("format"). */
#define PT_STATUS_FORMAT 1

/* Exit codes. */
#define PT_EXIT_OK 0
#define PT_EXIT_PROBLEM 1
#define PT_EXIT_NO_STATE 2
#define PT_EXIT_USAGE 64

#endif
