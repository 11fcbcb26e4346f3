/* SPDX-License-Identifier: MIT */
/*
 * util.h — small helpers shared by every part of pt: attributes, string
 * helpers, a growable buffer, a diagnostics list, and the boot clock.
 *
 * Nothing here does I/O except pt_now_ms(), which reads a clock, and
 * pt_open(), which is open(2).
 */
#ifndef PT_UTIL_H
#define PT_UTIL_H

#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define _must_check_ __attribute__((warn_unused_result))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))
#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

static inline bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/*
 * Copy src into dst of the given size, always NUL-terminating. Returns
 * strlen(src); a value >= size means the copy was truncated.
 */
size_t pt_strlcpy(char *dst, const char *src, size_t size);

/* snprintf that returns -ENAMETOOLONG (or -EINVAL) instead of truncating. */
int pt_snprintf(char *buf, size_t size, const char *fmt, ...) _printf_(3, 4) _must_check_;

/* Parse one hex digit; -1 if c is not one. */
int pt_hexval(int c);

/* The low `digits` (at most 8) hex digits of v at p, lowercase or upper,
 * without a NUL: "%0*x" without printf. Returns the end. */
char *pt_hex(char *p, uint32_t v, unsigned digits, bool upper);

/*
 * Render an arbitrary byte for a message: printable ASCII as itself,
 * anything else as \xNN. buf must hold at least 5 bytes.
 */
const char *pt_byte_repr(unsigned char c, char buf[static 5]);

/*
 * The valid UTF-8 sequence at s (at most avail bytes): its length, with its
 * code point in *ret_cp (may be NULL); 0 when it is not valid UTF-8
 * (overlong forms, surrogates and code points past U+10FFFF included).
 * ASCII is a sequence of one. Never reads past a byte that ends it.
 */
size_t pt_utf8_decode(const unsigned char *s, size_t avail, uint32_t *ret_cp);

/* Levenshtein distance of two short strings (capped at 255 characters). */
unsigned pt_edit_distance(const char *a, const char *b);

/* Milliseconds of CLOCK_BOOTTIME (time since boot, suspend included). */
uint64_t pt_now_ms(void);

/* open(2) without a mode, as openat(AT_FDCWD): musl's open() follows
 * every O_CLOEXEC open with an fcntl(F_SETFD), for kernels older than
 * 2.6.23; openat() does not. The boot path opens a file per attribute. */
static inline int pt_open(const char *path, int flags)
{
	return openat(AT_FDCWD, path, flags);
}

/*
 * PT_STAGE(name): built with -DPT_STAGES (tests/bench's stage build, never
 * a shipped one), a line "MICROSECONDS NAME" on stderr from CLOCK_MONOTONIC,
 * so that a benchmark can say where a run's time goes. Nothing otherwise.
 */
#ifdef PT_STAGES
void pt_stage(const char *name);
#define PT_STAGE(name) pt_stage(name)
#else
#define PT_STAGE(name) ((void)0)
#endif

/* Sleep for ms milliseconds, restarting after signals. */
void pt_sleep_ms(unsigned ms);

/* A growable, always NUL-terminated byte buffer. Allocation failure is
 * sticky: the buffer remembers it and pt_buf_ok() says so.
 *
 * With a sink (pt_buf_set_sink), the buffer streams: whenever it holds
 * PT_BUF_SINK_CHUNK bytes or more after an addition, they are handed to
 * the sink and the buffer starts again, so that output of any size costs
 * one chunk of memory. A sink's failure (a negative errno) is sticky too:
 * nothing more is handed on, and pt_buf_ok() is false. pt_buf_flush()
 * hands on the rest. */
#define PT_BUF_SINK_CHUNK 16384
struct pt_buf {
	char *data;
	size_t len;
	size_t cap;
	bool oom;
	int (*sink)(void *ctx, const char *data, size_t len);
	void *sink_ctx;
	int sink_err; /* the sink's first failure (-errno), or 0 */
};

void pt_buf_init(struct pt_buf *b);
void pt_buf_free(struct pt_buf *b);
void pt_buf_add(struct pt_buf *b, const char *s, size_t n);
void pt_buf_puts(struct pt_buf *b, const char *s);
void pt_buf_putc(struct pt_buf *b, char c);
void pt_buf_printf(struct pt_buf *b, const char *fmt, ...) _printf_(2, 3);
void pt_buf_vprintf(struct pt_buf *b, const char *fmt, va_list ap) _printf_(2, 0);
void pt_buf_set_sink(struct pt_buf *b, int (*sink)(void *ctx, const char *data, size_t len),
		     void *ctx);
/* Hand what is held to the sink; returns 0 or the sink's sticky -errno. */
int pt_buf_flush(struct pt_buf *b);
/* A copy of s that lives until the program exits, shared by every caller
 * that asks for the same text (driver names: a handful, seen thousands of
 * times; the sentences of failed targets: as many as there are different
 * ones). "" for "". NULL on ENOMEM. */
const char *pt_intern(const char *s);

static inline bool pt_buf_ok(const struct pt_buf *b)
{
	return !b->oom && !b->sink_err;
}
static inline const char *pt_buf_str(const struct pt_buf *b)
{
	return b->data ? b->data : "";
}

/*
 * Diagnostics: an ordered list of errors and warnings, each one sentence
 * that names its input. Pure code fills it; the program logs it once and
 * copies it into the state file.
 */
enum pt_severity {
	PT_SEV_ERROR,
	PT_SEV_WARNING,
};

/* One message: prefix (when not NULL), ": ", then text — as the readers
 * (log, state file, dry run) must write it.
 * A message added with pt_diag_ref() refers to text it does not own, so
 * that a sentence kept on a target is not copied into the list (thousands
 * of failed targets, thousands of sentences). */
struct pt_diag_msg {
	enum pt_severity sev;
	bool owned;	    /* text is the list's to free */
	const char *prefix; /* NULL, or what the text is about (a PCI function) */
	const char *text;
};

struct pt_diag {
	struct pt_diag_msg *msgs;
	size_t n;
	size_t cap;
	size_t n_errors;
	size_t n_warnings;
	bool oom;
};

void pt_diag_init(struct pt_diag *d);
void pt_diag_free(struct pt_diag *d);
void pt_diag_add(struct pt_diag *d, enum pt_severity sev, const char *fmt, ...) _printf_(3, 4);
void pt_diag_vadd(struct pt_diag *d, enum pt_severity sev, const char *fmt, va_list ap)
	_printf_(3, 0);
/* Add a message without a copy: prefix (may be NULL) and text must outlive
 * the list (static, interned, or a PCI function's name). */
void pt_diag_ref(struct pt_diag *d, enum pt_severity sev, const char *prefix, const char *text);
/* Add m to another list (copied if m owns its text, referred to if not). */
void pt_diag_copy(struct pt_diag *into, const struct pt_diag_msg *m);
#define pt_diag_error(d, ...) pt_diag_add((d), PT_SEV_ERROR, __VA_ARGS__)
#define pt_diag_warn(d, ...) pt_diag_add((d), PT_SEV_WARNING, __VA_ARGS__)

#endif
