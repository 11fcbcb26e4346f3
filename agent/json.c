/* SPDX-License-Identifier: MIT */
/* json.c — see json.h. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "json.h"

void pt_json_init(struct pt_json *j, struct pt_buf *out)
{
	*j = (struct pt_json){ .out = out };
	j->first[0] = true;
}

static void indent(struct pt_json *j)
{
	/* A new line and two spaces a level, in one addition. */
	static const char nl[] = "\n                                ";
	_Static_assert(sizeof(nl) - 1 >= 1 + 2 * PT_JSON_MAX_DEPTH, "room for every level");

	pt_buf_add(j->out, nl, 1 + 2 * (size_t)j->depth);
}

/* Before a value: a comma and a new line, unless it follows its key. */
static void before_value(struct pt_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth == 0)
		return;
	if (!j->first[j->depth])
		pt_buf_putc(j->out, ',');
	j->first[j->depth] = false;
	indent(j);
}

static void open_(struct pt_json *j, char c)
{
	before_value(j);
	/* Deeper than the writer tracks: fail the buffer rather than emit
	 * a document with its commas lost. */
	if (j->depth + 1 >= PT_JSON_MAX_DEPTH) {
		j->out->oom = true;
		return;
	}
	pt_buf_putc(j->out, c);
	j->depth++;
	j->first[j->depth] = true;
}

static void close_(struct pt_json *j, char c)
{
	bool empty = j->first[j->depth];

	if (j->out->oom)
		return;
	if (j->depth > 0)
		j->depth--;
	if (!empty)
		indent(j);
	pt_buf_putc(j->out, c);
}

void pt_json_begin_object(struct pt_json *j)
{
	open_(j, '{');
}

void pt_json_end_object(struct pt_json *j)
{
	close_(j, '}');
}

void pt_json_begin_array(struct pt_json *j)
{
	open_(j, '[');
}

void pt_json_end_array(struct pt_json *j)
{
	close_(j, ']');
}

/* The bytes a JSON string holds as they are: printable ASCII but the
 * quote and the backslash. */
#define P1(c) ((c) >= 0x20 && (c) < 0x7f && (c) != '"' && (c) != '\\')
#define P4(c) P1(c), P1((c) + 1), P1((c) + 2), P1((c) + 3)
#define P16(c) P4(c), P4((c) + 4), P4((c) + 8), P4((c) + 12)
#define P64(c) P16(c), P16((c) + 16), P16((c) + 32), P16((c) + 48)
static const bool plain[256] = { P64(0), P64(64), P64(128), P64(192) };
#undef P64
#undef P16
#undef P4
#undef P1

void pt_json_escape(struct pt_buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		const unsigned char *q = p;
		size_t n;
		char esc[8];

		/* The common case: a run of printable ASCII, copied at once. */
		while (plain[*q])
			q++;
		if (q > p) {
			pt_buf_add(out, (const char *)p, (size_t)(q - p));
			p = q;
			continue;
		}
		n = pt_utf8_decode(p, strnlen((const char *)p, 4), NULL);

		if (n == 0) {
			pt_buf_puts(out, "\\ufffd");
			p++;
			continue;
		}
		if (n > 1) {
			pt_buf_add(out, (const char *)p, n);
			p += n;
			continue;
		}
		switch (*p) {
		case '"':
			pt_buf_puts(out, "\\\"");
			break;
		case '\\':
			pt_buf_puts(out, "\\\\");
			break;
		case '\n':
			pt_buf_puts(out, "\\n");
			break;
		case '\t':
			pt_buf_puts(out, "\\t");
			break;
		case '\r':
			pt_buf_puts(out, "\\r");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				snprintf(esc, sizeof(esc), "\\u%04x", *p);
				pt_buf_puts(out, esc);
			} else {
				pt_buf_putc(out, (char)*p);
			}
		}
		p++;
	}
}

void pt_json_key(struct pt_json *j, const char *key)
{
	before_value(j);
	pt_buf_putc(j->out, '"');
	pt_json_escape(j->out, key);
	pt_buf_puts(j->out, "\": ");
	j->after_key = true;
}

void pt_json_string(struct pt_json *j, const char *s)
{
	if (!s) {
		pt_json_null(j);
		return;
	}
	before_value(j);
	pt_buf_putc(j->out, '"');
	pt_json_escape(j->out, s);
	pt_buf_putc(j->out, '"');
}

void pt_json_string_prefixed(struct pt_json *j, const char *prefix, const char *text)
{
	if (!prefix) {
		pt_json_string(j, text);
		return;
	}
	before_value(j);
	pt_buf_putc(j->out, '"');
	pt_json_escape(j->out, prefix);
	pt_buf_add(j->out, ": ", 2);
	pt_json_escape(j->out, text);
	pt_buf_putc(j->out, '"');
}

void pt_json_string_or_null(struct pt_json *j, const char *s)
{
	pt_json_string(j, s && *s ? s : NULL);
}

void pt_json_int(struct pt_json *j, int64_t v)
{
	/* Digits from the end: no printf machinery for the state file's
	 * many numbers. */
	char buf[24], *e = buf + sizeof(buf);
	uint64_t u = v < 0 ? 0u - (uint64_t)v : (uint64_t)v;

	do
		*--e = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--e = '-';
	before_value(j);
	pt_buf_add(j->out, e, (size_t)(buf + sizeof(buf) - e));
}

void pt_json_hex(struct pt_json *j, unsigned v, unsigned digits)
{
	char buf[10];

	if (digits > 8)
		digits = 8;
	buf[0] = '"';
	pt_hex(buf + 1, v, digits, false);
	buf[digits + 1] = '"';
	before_value(j);
	pt_buf_add(j->out, buf, digits + 2);
}

void pt_json_double(struct pt_json *j, double v)
{
	char buf[40];

	if (!isfinite(v)) {
		pt_json_null(j);
		return;
	}
	before_value(j);
	snprintf(buf, sizeof(buf), "%.17g", v);
	/* "1e+300" is JSON; "inf" never gets here. */
	pt_buf_puts(j->out, buf);
}

void pt_json_bool(struct pt_json *j, bool v)
{
	before_value(j);
	pt_buf_puts(j->out, v ? "true" : "false");
}

void pt_json_null(struct pt_json *j)
{
	before_value(j);
	pt_buf_puts(j->out, "null");
}
