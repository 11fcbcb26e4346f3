/* SPDX-License-Identifier: MIT */
/*
 * json.h — a small JSON writer into a pt_buf: indentation, commas and
 * string escaping handled here, so the state file is always well-formed.
 * Strings are emitted as valid UTF-8: bytes that are not (the command line
 * can hold anything) become U+FFFD.
 */
#ifndef PT_JSON_H
#define PT_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

#define PT_JSON_MAX_DEPTH 16

struct pt_json {
	struct pt_buf *out;
	unsigned depth;
	bool first[PT_JSON_MAX_DEPTH];
	bool after_key;
};

void pt_json_init(struct pt_json *j, struct pt_buf *out);
void pt_json_begin_object(struct pt_json *j);
void pt_json_end_object(struct pt_json *j);
void pt_json_begin_array(struct pt_json *j);
void pt_json_end_array(struct pt_json *j);
void pt_json_key(struct pt_json *j, const char *key);
void pt_json_string(struct pt_json *j, const char *s);	       /* NULL → null */
void pt_json_string_or_null(struct pt_json *j, const char *s); /* "" → null */
/* One string: prefix, ": ", text (prefix NULL: text alone). */
void pt_json_string_prefixed(struct pt_json *j, const char *prefix, const char *text);
void pt_json_int(struct pt_json *j, int64_t v);
/* The low `digits` (at most 8) hex digits of v, lowercase, as a string
 * ("%0*x" of v masked to them). */
void pt_json_hex(struct pt_json *j, unsigned v, unsigned digits);
/* A finite double, round-trip exact (%.17g); NaN and infinities, which
 * JSON cannot hold, become null. */
void pt_json_double(struct pt_json *j, double v);
void pt_json_bool(struct pt_json *j, bool v);
void pt_json_null(struct pt_json *j);

/* Escape s as a JSON string body (no quotes) into out. */
void pt_json_escape(struct pt_buf *out, const char *s);

#endif
