/* SPDX-License-Identifier: MIT */
/* jsonr.c — strict JSON reader; see jsonr.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "jsonr.h"

struct block {
	struct block *next;
	size_t used, size;
	max_align_t data[];
};

struct parser {
	const char *s;
	size_t len, pos;
	unsigned depth;
	size_t nodes;
	struct block *arena;
	struct pt_jerror *err;
	int r; /* first error */
};

static void *arena_alloc(struct parser *p, size_t n)
{
	struct block *b = p->arena;
	size_t need = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);

	if (!b || b->size - b->used < need) {
		size_t size = need > 16384 ? need : 16384;

		b = malloc(sizeof(*b) + size);
		if (!b) {
			p->r = -ENOMEM;
			return NULL;
		}
		b->size = size;
		b->used = 0;
		b->next = p->arena;
		p->arena = b;
	}
	b->used += need;
	return (char *)b->data + b->used - need;
}

static int fail(struct parser *p, int r, const char *fmt, ...) _printf_(3, 4);
static int fail(struct parser *p, int r, const char *fmt, ...)
{
	va_list ap;

	if (p->r)
		return p->r;
	p->r = r;
	p->err->offset = p->pos;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
	return r;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return;
		p->pos++;
	}
}

static struct pt_jnode *new_node(struct parser *p, enum pt_jtype type)
{
	struct pt_jnode *n;

	if (++p->nodes > PT_JSONR_MAX_NODES) {
		fail(p, -EFBIG, "more than %u values", PT_JSONR_MAX_NODES);
		return NULL;
	}
	n = arena_alloc(p, sizeof(*n));
	if (!n)
		return NULL;
	*n = (struct pt_jnode){ .type = type };
	return n;
}

static int parse_value(struct parser *p, struct pt_jnode **ret);

static bool literal(struct parser *p, const char *lit)
{
	size_t n = strlen(lit);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, lit, n) != 0)
		return false;
	p->pos += n;
	return true;
}

static int hex4(struct parser *p, uint32_t *ret)
{
	uint32_t v = 0;

	if (p->len - p->pos < 4)
		return fail(p, -EINVAL, "truncated \\u escape");
	for (int i = 0; i < 4; i++) {
		int h = pt_hexval(p->s[p->pos + (size_t)i]);

		if (h < 0)
			return fail(p, -EINVAL, "bad \\u escape");
		v = v << 4 | (uint32_t)h;
	}
	p->pos += 4;
	*ret = v;
	return 0;
}

static size_t put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A string at p->pos (on the opening quote). The decoded text is never
 * longer than the encoded one, so one allocation of that size suffices. */
static int parse_string(struct parser *p, char **ret, size_t *ret_len)
{
	size_t start = ++p->pos, end = start, n = 0;
	char *out;

	while (end < p->len && p->s[end] != '"') {
		if (p->s[end] == '\\')
			end++;
		end++;
	}
	if (end >= p->len) {
		p->pos = start - 1; /* at the opening quote */
		return fail(p, -EINVAL, "unterminated string");
	}
	out = arena_alloc(p, end - start + 1);
	if (!out)
		return p->r;
	while (p->pos < end) {
		unsigned char c = (unsigned char)p->s[p->pos];

		if (c < 0x20)
			return fail(p, -EINVAL, "control character in a string");
		if (c >= 0x80) {
			size_t k = pt_utf8_decode((const unsigned char *)p->s + p->pos,
						  end - p->pos, NULL);

			if (!k)
				return fail(p, -EINVAL, "invalid UTF-8 in a string");
			memcpy(out + n, p->s + p->pos, k);
			n += k;
			p->pos += k;
			continue;
		}
		if (c != '\\') {
			out[n++] = (char)c;
			p->pos++;
			continue;
		}
		p->pos++;
		switch (p->s[p->pos++]) {
		case '"':
			out[n++] = '"';
			break;
		case '\\':
			out[n++] = '\\';
			break;
		case '/':
			out[n++] = '/';
			break;
		case 'b':
			out[n++] = '\b';
			break;
		case 'f':
			out[n++] = '\f';
			break;
		case 'n':
			out[n++] = '\n';
			break;
		case 'r':
			out[n++] = '\r';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case 'u': {
			uint32_t cp, lo;

			if (hex4(p, &cp) < 0)
				return p->r;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return fail(p, -EINVAL, "lone low surrogate");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (!literal(p, "\\u") || hex4(p, &lo) < 0 || lo < 0xdc00 ||
				    lo > 0xdfff)
					return fail(p, -EINVAL, "lone high surrogate");
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (cp == 0)
				return fail(p, -EINVAL, "NUL in a string");
			/* 6 escaped bytes (12 for a pair) never decode to
			 * more than 4: the buffer is large enough. */
			n += put_utf8(out + n, cp);
			break;
		}
		default:
			p->pos--;
			return fail(p, -EINVAL, "bad escape");
		}
	}
	out[n] = '\0';
	p->pos = end + 1;
	*ret = out;
	*ret_len = n;
	return 0;
}

static int parse_number(struct parser *p, struct pt_jnode *n)
{
	size_t start = p->pos;
	bool is_int = true;
	char buf[320];
	char *end;

	if (p->pos < p->len && p->s[p->pos] == '-')
		p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '0') {
		p->pos++;
	} else if (p->pos < p->len && p->s[p->pos] >= '1' && p->s[p->pos] <= '9') {
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	} else {
		return fail(p, -EINVAL, "bad number");
	}
	if (p->pos < p->len && p->s[p->pos] == '.') {
		is_int = false;
		p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
			return fail(p, -EINVAL, "bad number");
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		is_int = false;
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
			return fail(p, -EINVAL, "bad number");
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	/* Longer than any number a state file holds: refused, not rounded. */
	if (p->pos - start >= sizeof(buf))
		return fail(p, -EINVAL, "number too long");
	memcpy(buf, p->s + start, p->pos - start);
	buf[p->pos - start] = '\0';
	errno = 0;
	n->d = strtod(buf, &end);
	if (!isfinite(n->d))
		return fail(p, -EINVAL, "number out of range");
	if (is_int) {
		long long v;

		errno = 0;
		v = strtoll(buf, &end, 10);
		if (errno == 0 && *end == '\0') {
			n->is_int = true;
			n->i = v;
		}
	}
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A member name given twice means one thing to this reader (the first)
 * and another to jq (the last): a hostile file could tell pt-status one
 * story and a jq-based launcher another. Refused, in O(n log n).
 */
static int check_duplicates(struct parser *p, const struct pt_jnode *obj)
{
	char **keys;
	size_t k = 0;
	int r = 0;

	if (obj->len < 2)
		return 0;
	keys = malloc(obj->len * sizeof(*keys));
	if (!keys)
		return fail(p, -ENOMEM, "out of memory");
	for (const struct pt_jnode *c = obj->child; c; c = c->next)
		keys[k++] = c->key;
	qsort(keys, k, sizeof(*keys), key_cmp);
	for (size_t i = 1; i < k && !r; i++)
		if (streq(keys[i - 1], keys[i]))
			r = fail(p, -EINVAL, "member name \"%.40s\" appears twice", keys[i]);
	free(keys);
	return r;
}

static int parse_container(struct parser *p, struct pt_jnode *n, char close)
{
	struct pt_jnode **tail = &n->child;

	if (++p->depth > PT_JSONR_MAX_DEPTH)
		return fail(p, -EFBIG, "nested deeper than %u", PT_JSONR_MAX_DEPTH);
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		p->depth--;
		return 0;
	}
	for (;;) {
		struct pt_jnode *child;
		char *key = NULL;
		size_t klen;

		skip_ws(p);
		if (close == '}') {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return fail(p, -EINVAL, "expected a member name");
			if (parse_string(p, &key, &klen) < 0)
				return p->r;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return fail(p, -EINVAL, "expected ':'");
			p->pos++;
		}
		if (parse_value(p, &child) < 0)
			return p->r;
		child->key = key;
		*tail = child;
		tail = &child->next;
		n->len++;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == close) {
			p->pos++;
			p->depth--;
			return close == '}' ? check_duplicates(p, n) : 0;
		}
		return fail(p, -EINVAL, "expected ',' or '%c'", close);
	}
}

static int parse_value(struct parser *p, struct pt_jnode **ret)
{
	struct pt_jnode *n;
	char c;

	skip_ws(p);
	if (p->pos >= p->len)
		return fail(p, -EINVAL, "unexpected end of input");
	c = p->s[p->pos];
	switch (c) {
	case '{':
	case '[':
		n = new_node(p, c == '{' ? PT_J_OBJECT : PT_J_ARRAY);
		if (!n)
			return p->r;
		if (parse_container(p, n, c == '{' ? '}' : ']') < 0)
			return p->r;
		break;
	case '"':
		n = new_node(p, PT_J_STRING);
		if (!n || parse_string(p, &n->s, &n->len) < 0)
			return p->r ? p->r : -ENOMEM;
		break;
	case 't':
	case 'f':
	case 'n':
		n = new_node(p, c == 'n' ? PT_J_NULL : PT_J_BOOL);
		if (!n)
			return p->r;
		if (literal(p, "true"))
			n->b = true;
		else if (!literal(p, "false") && !literal(p, "null"))
			return fail(p, -EINVAL, "unknown literal");
		if ((c == 'n') != (n->type == PT_J_NULL))
			return fail(p, -EINVAL, "unknown literal");
		break;
	default:
		if (c != '-' && (c < '0' || c > '9'))
			return fail(p, -EINVAL, "expected a value");
		n = new_node(p, PT_J_NUMBER);
		if (!n || parse_number(p, n) < 0)
			return p->r ? p->r : -ENOMEM;
		break;
	}
	*ret = n;
	return 0;
}

int pt_jsonr_parse(const char *text, size_t len, struct pt_jdoc *ret, struct pt_jerror *err)
{
	struct parser p = { .s = text, .len = len, .err = err };
	struct pt_jnode *root = NULL;

	*ret = (struct pt_jdoc){ 0 };
	*err = (struct pt_jerror){ 0 };
	if (len > PT_JSONR_MAX_SIZE) {
		fail(&p, -EFBIG, "larger than %u bytes", PT_JSONR_MAX_SIZE);
		return p.r;
	}
	if (parse_value(&p, &root) == 0) {
		skip_ws(&p);
		if (p.pos != p.len)
			fail(&p, -EINVAL, "trailing data after the value");
	}
	if (p.r) {
		ret->arena = p.arena;
		pt_jsonr_free(ret);
		return p.r;
	}
	ret->root = root;
	ret->arena = p.arena;
	return 0;
}

void pt_jsonr_free(struct pt_jdoc *doc)
{
	struct block *b = doc->arena;

	while (b) {
		struct block *next = b->next;

		free(b);
		b = next;
	}
	*doc = (struct pt_jdoc){ 0 };
}

const struct pt_jnode *pt_jget(const struct pt_jnode *obj, const char *key)
{
	if (!obj || obj->type != PT_J_OBJECT)
		return NULL;
	for (const struct pt_jnode *c = obj->child; c; c = c->next)
		if (c->key && streq(c->key, key))
			return c;
	return NULL;
}

const char *pt_jstr(const struct pt_jnode *obj, const char *key)
{
	const struct pt_jnode *n = pt_jget(obj, key);

	return n && n->type == PT_J_STRING ? n->s : NULL;
}

bool pt_jint(const struct pt_jnode *obj, const char *key, int64_t *ret)
{
	const struct pt_jnode *n = pt_jget(obj, key);

	if (!n || n->type != PT_J_NUMBER || !n->is_int)
		return false;
	*ret = n->i;
	return true;
}

bool pt_jbool(const struct pt_jnode *obj, const char *key, bool *ret)
{
	const struct pt_jnode *n = pt_jget(obj, key);

	if (!n || n->type != PT_J_BOOL)
		return false;
	*ret = n->b;
	return true;
}

const struct pt_jnode *pt_jarray(const struct pt_jnode *obj, const char *key)
{
	const struct pt_jnode *n = pt_jget(obj, key);

	return n && n->type == PT_J_ARRAY ? n : NULL;
}
