/* SPDX-License-Identifier: MIT */
/*
 * jsonr.h — a small, strict JSON reader for the state file, which pt-status
 * and pt-agent's runtime mode read back. The file is untrusted input: it may
 * be truncated, corrupt, or written by someone hostile, so the reader has
 * hard limits (size, depth, element count), accepts RFC 8259 JSON only
 * (no comments, no trailing commas, valid UTF-8, no lone surrogates, no
 * NUL in strings), and never crashes: it fails with a message and the byte
 * offset of the problem.
 *
 * Pure: text in, a tree out. The tree is one allocation arena freed by
 * pt_jsonr_free().
 */
#ifndef PT_JSONR_H
#define PT_JSONR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define PT_JSONR_MAX_SIZE (1u << 20) /* 1 MiB */
#define PT_JSONR_MAX_DEPTH 32
#define PT_JSONR_MAX_NODES 65536

enum pt_jtype { PT_J_NULL, PT_J_BOOL, PT_J_NUMBER, PT_J_STRING, PT_J_ARRAY, PT_J_OBJECT };

struct pt_jnode {
	enum pt_jtype type;
	bool b;
	bool is_int; /* a number without fraction or exponent that fits int64 */
	int64_t i;
	double d;
	char *s;		/* STRING: NUL-terminated UTF-8 (NUL never appears inside) */
	size_t len;		/* STRING: bytes; ARRAY/OBJECT: number of children */
	char *key;		/* the member name when the parent is an object */
	struct pt_jnode *child; /* first child (ARRAY/OBJECT) */
	struct pt_jnode *next;	/* next sibling */
};

struct pt_jdoc {
	struct pt_jnode *root;
	void *arena;
};

struct pt_jerror {
	size_t offset; /* byte offset of the problem */
	char msg[128];
};

/* Parse len bytes. Returns 0, -EINVAL (syntax, with err filled), -EFBIG
 * (over a limit, err filled) or -ENOMEM. */
int pt_jsonr_parse(const char *text, size_t len, struct pt_jdoc *ret,
		   struct pt_jerror *err) _must_check_;
void pt_jsonr_free(struct pt_jdoc *doc);

/* Lookups that never fail on a wrong type: they return NULL / the default. */
const struct pt_jnode *pt_jget(const struct pt_jnode *obj, const char *key);
const char *pt_jstr(const struct pt_jnode *obj, const char *key); /* NULL if not a string */
bool pt_jint(const struct pt_jnode *obj, const char *key, int64_t *ret);
bool pt_jbool(const struct pt_jnode *obj, const char *key, bool *ret);
const struct pt_jnode *pt_jarray(const struct pt_jnode *obj, const char *key);

#endif
