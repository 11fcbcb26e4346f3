/* SPDX-License-Identifier: MIT */
/*
 * log.h — the program's log: "<prio>pt-agent: message" lines to /dev/kmsg
 * (under the sysroot), so they land in the kernel log next to the driver
 * messages they explain; stderr when kmsg cannot be opened, and stderr as
 * well when asked (a person at a terminal).
 *
 * Library code does not log above debug level: it returns errors, and the
 * program logs once, with context.
 */
#ifndef PT_LOG_H
#define PT_LOG_H

#include <stdbool.h>

#include "config.h"
#include "util.h"

/* Longest line handed to kmsg; the kernel's limit is about 1 KiB a record. */
#define PT_LOG_LINE_MAX 900

/*
 * Open the log. kmsg_path is the (rooted) path of /dev/kmsg, or NULL for
 * stderr only. ident is the program name put into every line.
 */
void pt_log_open(const char *kmsg_path, const char *ident, enum pt_log_level level,
		 bool also_stderr);
void pt_log_set_level(enum pt_log_level level);
enum pt_log_level pt_log_get_level(void);
void pt_log_close(void);

/* True when the log writes to kmsg (false: stderr fallback). */
bool pt_log_to_kmsg(void);

void pt_log(enum pt_log_level level, const char *fmt, ...) _printf_(2, 3);
void pt_logv(enum pt_log_level level, const char *fmt, va_list ap) _printf_(2, 0);

#define pt_log_err(...) pt_log(PT_LOG_ERR, __VA_ARGS__)
#define pt_log_warn(...) pt_log(PT_LOG_WARN, __VA_ARGS__)
#define pt_log_info(...) pt_log(PT_LOG_INFO, __VA_ARGS__)
#define pt_log_debug(...) pt_log(PT_LOG_DEBUG, __VA_ARGS__)

#endif
