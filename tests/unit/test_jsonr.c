/* SPDX-License-Identifier: MIT */
/*
 * test_jsonr.c — the strict JSON reader (jsonr.h) that reads the state file,
 * untrusted input: valid documents, and hostile or malformed ones, each
 * with the error it must give and the byte offset it must name; the look-up
 * helpers on wrong types; and pt-status's state-file checker (status.h)
 * built on it, which must name the file and the field.
 *
 * Every input is copied into a heap buffer of exactly its length, without a
 * terminating NUL, so that AddressSanitizer catches a read past the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "jsonr.h"
#include "status.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------------------ */

/* Parse len bytes from an exact-size heap copy. */
static int parse_n(const char *text, size_t len, struct pt_jdoc *doc, struct pt_jerror *err)
{
	char *copy = malloc(len ? len : 1);
	int r;

	assert_non_null(copy);
	memcpy(copy, text, len);
	r = pt_jsonr_parse(copy, len, doc, err);
	free(copy);
	return r;
}

/* Parse a valid document; the caller frees it. */
static const struct pt_jnode *parse_ok(const char *text, struct pt_jdoc *doc)
{
	struct pt_jerror err;
	int r = parse_n(text, strlen(text), doc, &err);

	if (r != 0)
		fail_msg("'%s': expected success, got %d at byte %zu: %s", text, r, err.offset,
			 err.msg);
	assert_non_null(doc->root);
	return doc->root;
}

/* Parse len bytes that must fail with want_r at byte want_off, with a
 * message containing needle. */
static void expect_err_n(const char *text, size_t len, int want_r, size_t want_off,
			 const char *needle)
{
	struct pt_jdoc doc;
	struct pt_jerror err;
	int r = parse_n(text, len, &doc, &err);

	if (r == 0)
		fail_msg("'%.*s': expected an error, parsed fine", (int)(len > 60 ? 60 : len),
			 text);
	if (r != want_r || err.offset != want_off || !strstr(err.msg, needle))
		fail_msg("'%.*s': expected %d at byte %zu (\"%s\"), got %d at byte %zu (\"%s\")",
			 (int)(len > 60 ? 60 : len), text, want_r, want_off, needle, r, err.offset,
			 err.msg);
	/* A failed parse leaves an empty document behind. */
	assert_null(doc.root);
	assert_null(doc.arena);
}

static void expect_err(const char *text, int want_r, size_t want_off, const char *needle)
{
	expect_err_n(text, strlen(text), want_r, want_off, needle);
}

/* A state file as pt-agent writes it (schema 1). */
static const char sample_state[] =
	"{\n"
	"  \"schema\": 1,\n"
	"  \"agent\": \"0.1.0\",\n"
	"  \"boot_id\": \"0f3c1a52-8e0b-4c2e-9a53-2f8e1c9b7d10\",\n"
	"  \"started_ms\": 1200,\n"
	"  \"finished_ms\": 1203,\n"
	"  \"source\": \"cmdline\",\n"
	"  \"spec\": \"10de:1f08@26:00.0\",\n"
	"  \"options\": {\n"
	"    \"group\": \"auto\",\n"
	"    \"onfail\": \"release\",\n"
	"    \"fb\": \"auto\",\n"
	"    \"dryrun\": false\n"
	"  },\n"
	"  \"iommu\": true,\n"
	"  \"modules\": [\n"
	"    {\"name\": \"vfio_pci\", \"result\": \"loaded\", \"error\": null}\n"
	"  ],\n"
	"  \"devices\": [\n"
	"    {\n"
	"      \"addr\": \"0000:26:00.0\",\n"
	"      \"vendor\": \"10de\",\n"
	"      \"device\": \"1f08\",\n"
	"      \"subvendor\": \"1458\",\n"
	"      \"subdevice\": \"3fbb\",\n"
	"      \"class\": \"030000\",\n"
	"      \"iommu_group\": 15,\n"
	"      \"boot_vga\": true,\n"
	"      \"selected_by\": \"10de:1f08@26:00.0\",\n"
	"      \"driver_before\": \"nouveau\",\n"
	"      \"driver_after\": \"vfio-pci\",\n"
	"      \"action\": \"recovered\",\n"
	"      \"error\": null,\n"
	"      \"vfio_node\": \"/dev/vfio/15\"\n"
	"    },\n"
	"    {\n"
	"      \"addr\": \"0000:26:00.1\",\n"
	"      \"vendor\": \"10de\",\n"
	"      \"device\": \"10f9\",\n"
	"      \"subvendor\": \"1458\",\n"
	"      \"subdevice\": \"3fbb\",\n"
	"      \"class\": \"040300\",\n"
	"      \"iommu_group\": 15,\n"
	"      \"boot_vga\": false,\n"
	"      \"selected_by\": \"group of 0000:26:00.0\",\n"
	"      \"driver_before\": null,\n"
	"      \"driver_after\": \"vfio-pci\",\n"
	"      \"action\": \"bound\",\n"
	"      \"error\": null,\n"
	"      \"vfio_node\": \"/dev/vfio/15\"\n"
	"    }\n"
	"  ],\n"
	"  \"groups\": [\n"
	"    {\"group\": 15, \"viable\": true, \"members\": [\"0000:26:00.0\", "
	"\"0000:26:00.1\"], \"blockers\": []}\n"
	"  ],\n"
	"  \"errors\": [],\n"
	"  \"warnings\": [\"caf\\u00e9 \\ud83d\\ude00\"],\n"
	"  \"result\": \"ok\"\n"
	"}";

/* ---- valid documents ---------------------------------------------------------------- */

static void test_empty_containers(void **state)
{
	struct pt_jdoc doc;
	const struct pt_jnode *n;
	(void)state;

	n = parse_ok("{}", &doc);
	assert_int_equal(n->type, PT_J_OBJECT);
	assert_int_equal(n->len, 0);
	assert_null(n->child);
	pt_jsonr_free(&doc);

	n = parse_ok("[]", &doc);
	assert_int_equal(n->type, PT_J_ARRAY);
	assert_int_equal(n->len, 0);
	pt_jsonr_free(&doc);

	n = parse_ok(" [ [ ] , { } , \"\" ] ", &doc);
	assert_int_equal(n->len, 3);
	assert_int_equal(n->child->type, PT_J_ARRAY);
	assert_int_equal(n->child->len, 0);
	assert_int_equal(n->child->next->type, PT_J_OBJECT);
	assert_int_equal(n->child->next->next->type, PT_J_STRING);
	assert_string_equal(n->child->next->next->s, "");
	assert_int_equal(n->child->next->next->len, 0);
	pt_jsonr_free(&doc);

	n = parse_ok("{\"a\":{},\"b\":[]}", &doc);
	assert_non_null(pt_jget(n, "a"));
	assert_non_null(pt_jarray(n, "b"));
	pt_jsonr_free(&doc);
}

static void test_nested(void **state)
{
	struct pt_jdoc doc;
	const struct pt_jnode *n, *a, *o;
	bool b = false;
	int64_t i = 0;
	(void)state;

	n = parse_ok("\t{\"a\" : [1, {\"b\": null, \"c\": [true, false]}],\r\n \"d\": {\"e\": "
		     "\"x\"}}\n",
		     &doc);
	assert_int_equal(n->len, 2);
	a = pt_jarray(n, "a");
	assert_non_null(a);
	assert_int_equal(a->len, 2);
	assert_true(a->child->is_int);
	assert_int_equal(a->child->i, 1);
	assert_null(a->child->key);
	o = a->child->next;
	assert_int_equal(o->type, PT_J_OBJECT);
	assert_int_equal(pt_jget(o, "b")->type, PT_J_NULL);
	assert_string_equal(pt_jget(o, "b")->key, "b");
	assert_true(pt_jbool(pt_jarray(o, "c")->child ? o : NULL, "x", &b) == false);
	assert_true(pt_jarray(o, "c")->child->b);
	assert_false(pt_jarray(o, "c")->child->next->b);
	assert_string_equal(pt_jstr(pt_jget(n, "d"), "e"), "x");
	assert_false(pt_jint(n, "a", &i));
	pt_jsonr_free(&doc);

	/* Top-level scalars are JSON too (RFC 8259). */
	n = parse_ok("\"x\"", &doc);
	assert_string_equal(n->s, "x");
	pt_jsonr_free(&doc);
	n = parse_ok(" null ", &doc);
	assert_int_equal(n->type, PT_J_NULL);
	pt_jsonr_free(&doc);
	n = parse_ok("true", &doc);
	assert_true(n->b);
	pt_jsonr_free(&doc);
}

static void test_nesting_to_the_limit(void **state)
{
	char text[2 * PT_JSONR_MAX_DEPTH + 1];
	struct pt_jdoc doc;
	const struct pt_jnode *n;
	unsigned depth = 0;
	(void)state;

	memset(text, '[', PT_JSONR_MAX_DEPTH);
	memset(text + PT_JSONR_MAX_DEPTH, ']', PT_JSONR_MAX_DEPTH);
	text[2 * PT_JSONR_MAX_DEPTH] = '\0';
	for (n = parse_ok(text, &doc); n; n = n->child)
		depth++;
	assert_int_equal(depth, PT_JSONR_MAX_DEPTH);
	pt_jsonr_free(&doc);
}

static void test_escapes(void **state)
{
	struct pt_jdoc doc;
	const struct pt_jnode *n;
	(void)state;

	n = parse_ok("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", &doc);
	assert_string_equal(n->s, "\"\\/\b\f\n\r\t");
	assert_int_equal(n->len, 8);
	pt_jsonr_free(&doc);

	/* \u: one, two and three UTF-8 bytes; upper- and lower-case hex. */
	n = parse_ok("\"\\u0041\\u00e9\\u00E9\\u20ac\\u007f\"", &doc);
	assert_string_equal(n->s, "A\xc3\xa9\xc3\xa9\xe2\x82\xac\x7f");
	pt_jsonr_free(&doc);

	/* Surrogate pairs: U+1F600 and U+10FFFF, the last code point. */
	n = parse_ok("\"\\ud83d\\ude00|\\uDBFF\\uDFFF\"", &doc);
	assert_string_equal(n->s, "\xf0\x9f\x98\x80|\xf4\x8f\xbf\xbf");
	assert_int_equal(n->len, 9);
	pt_jsonr_free(&doc);

	/* Raw UTF-8 passes as it is; so does DEL. */
	n = parse_ok("\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \x7f\"", &doc);
	assert_string_equal(n->s, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \x7f");
	pt_jsonr_free(&doc);

	/* Escaped keys are decoded before the look-up. */
	n = parse_ok("{\"k\\u0065y\": 1}", &doc);
	assert_non_null(pt_jget(n, "key"));
	pt_jsonr_free(&doc);
}

static void test_numbers(void **state)
{
	struct pt_jdoc doc;
	const struct pt_jnode *n, *e;
	int64_t i;
	(void)state;

	n = parse_ok("[0, -0, 123, -45, 1.5, -2.25e3, 1E-2, 1e+2, 9223372036854775807, "
		     "-9223372036854775808, 9223372036854775808, 1e308, 1e-400]",
		     &doc);
	e = n->child;
	assert_true(e->is_int);
	assert_int_equal(e->i, 0);
	e = e->next;
	assert_true(e->is_int);
	assert_int_equal(e->i, 0);
	e = e->next;
	assert_true(e->is_int);
	assert_int_equal(e->i, 123);
	e = e->next;
	assert_true(e->is_int);
	assert_int_equal(e->i, -45);
	e = e->next;
	assert_false(e->is_int);
	assert_true(e->d == 1.5);
	e = e->next;
	assert_false(e->is_int);
	assert_true(e->d == -2250.0);
	e = e->next;
	assert_false(e->is_int);
	assert_true(e->d > 0.0099 && e->d < 0.0101);
	e = e->next;
	assert_false(e->is_int); /* an exponent makes it a float, even 1e+2 */
	assert_true(e->d == 100.0);
	e = e->next;
	assert_true(e->is_int);
	assert_true(e->i == INT64_MAX);
	e = e->next;
	assert_true(e->is_int);
	assert_true(e->i == INT64_MIN);
	e = e->next;
	assert_false(e->is_int); /* beyond int64: a double only */
	assert_true(e->d > 9.2e18);
	e = e->next;
	assert_true(e->d == 1e308);
	e = e->next;
	assert_true(e->d == 0.0); /* underflow is not an error */
	pt_jsonr_free(&doc);

	n = parse_ok("{\"a\": 7}", &doc);
	assert_true(pt_jint(n, "a", &i));
	assert_int_equal(i, 7);
	pt_jsonr_free(&doc);
}

static void test_duplicate_keys_refused(void **state)
{
	(void)state;

	/* A name given twice means the first to pt_jget() and the last to
	 * jq: a hostile file could tell them different stories. Refused. */
	expect_err("{\"a\": 1, \"a\": 2}", -EINVAL, 16, "member name \"a\" appears twice");
	expect_err("{\"b\": 1, \"a\": {\"x\": 1, \"x\": 1}, \"c\": 2}", -EINVAL, 30,
		   "member name \"x\" appears twice");
}

static void test_sample_state_file(void **state)
{
	struct pt_jdoc doc;
	const struct pt_jnode *n, *d;
	int64_t v;
	bool b;
	(void)state;

	n = parse_ok(sample_state, &doc);
	assert_true(pt_jint(n, "schema", &v));
	assert_int_equal(v, 1);
	assert_true(pt_jbool(n, "iommu", &b));
	assert_true(b);
	d = pt_jarray(n, "devices");
	assert_int_equal(d->len, 2);
	assert_string_equal(pt_jstr(d->child, "addr"), "0000:26:00.0");
	assert_null(pt_jstr(d->child->next, "driver_before"));
	assert_string_equal(pt_jarray(n, "warnings")->child->s, "caf\xc3\xa9 \xf0\x9f\x98\x80");
	pt_jsonr_free(&doc);
}

/* ---- hostile and malformed ---------------------------------------------------------- */

static void test_truncated(void **state)
{
	(void)state;

	expect_err("", -EINVAL, 0, "unexpected end of input");
	expect_err("   \n", -EINVAL, 4, "unexpected end of input");
	expect_err("{", -EINVAL, 1, "expected a member name");
	expect_err("{\"a\"", -EINVAL, 4, "expected ':'");
	expect_err("{\"a\":", -EINVAL, 5, "unexpected end of input");
	expect_err("[1,2", -EINVAL, 4, "expected ',' or ']'");
	expect_err("\"abc", -EINVAL, 0, "unterminated string");
	expect_err("\"abc\\", -EINVAL, 0, "unterminated string");
	expect_err("\"\\u12", -EINVAL, 0, "unterminated string");
	expect_err("tru", -EINVAL, 0, "unknown literal");
	expect_err("nul", -EINVAL, 0, "unknown literal");
	expect_err("-", -EINVAL, 1, "bad number");
	expect_err("1e", -EINVAL, 2, "bad number");
}

/* Every proper prefix of a real state file is an error, never a success,
 * never a crash, and the offset never lies beyond the input. */
static void test_truncated_at_every_byte(void **state)
{
	size_t len = strlen(sample_state);
	(void)state;

	for (size_t i = 0; i < len; i++) {
		struct pt_jdoc doc;
		struct pt_jerror err;
		int r = parse_n(sample_state, i, &doc, &err);

		if (r != -EINVAL || err.offset > i || !err.msg[0])
			fail_msg("prefix of %zu bytes: got %d at byte %zu (\"%s\")", i, r,
				 err.offset, err.msg);
	}
}

/* Any one byte replaced by a troublesome one: an error or a document,
 * never a crash or a read out of bounds (ASan watches). */
static void test_every_byte_replaced(void **state)
{
	static const char subst[] = { '\0', '"', '\\', '{', '[', ']', ',', '\x80', '\xff', '\n' };
	size_t len = strlen(sample_state);
	char *text = malloc(len);
	(void)state;

	assert_non_null(text);
	for (size_t i = 0; i < len; i++)
		for (size_t k = 0; k < sizeof(subst); k++) {
			struct pt_jdoc doc;
			struct pt_jerror err;
			int r;

			memcpy(text, sample_state, len);
			text[i] = subst[k];
			r = parse_n(text, len, &doc, &err);
			if (r == 0)
				pt_jsonr_free(&doc);
			else
				assert_true(err.offset <= len);
		}
	free(text);
}

static void test_trailing_garbage(void **state)
{
	(void)state;

	expect_err("{} x", -EINVAL, 3, "trailing data");
	expect_err("[1] [2]", -EINVAL, 4, "trailing data");
	expect_err("{}}", -EINVAL, 2, "trailing data");
	expect_err("truex", -EINVAL, 4, "trailing data");
	expect_err("1 2", -EINVAL, 2, "trailing data");
	expect_err_n("{}\0", 3, -EINVAL, 2, "trailing data");
}

static void test_trailing_commas(void **state)
{
	(void)state;

	expect_err("[1,]", -EINVAL, 3, "expected a value");
	expect_err("{\"a\":1,}", -EINVAL, 7, "expected a member name");
	expect_err("[,1]", -EINVAL, 1, "expected a value");
	expect_err("[1,,2]", -EINVAL, 3, "expected a value");
	expect_err("{,}", -EINVAL, 1, "expected a member name");
}

static void test_not_json(void **state)
{
	(void)state;

	/* Comments. */
	expect_err("// c\n{}", -EINVAL, 0, "expected a value");
	expect_err("{/* c */}", -EINVAL, 1, "expected a member name");
	expect_err("[1 # c\n]", -EINVAL, 3, "expected ',' or ']'");
	/* Single quotes. */
	expect_err("['a']", -EINVAL, 1, "expected a value");
	expect_err("{'a': 1}", -EINVAL, 1, "expected a member name");
	/* Bare words, unquoted keys. */
	expect_err("{a: 1}", -EINVAL, 1, "expected a member name");
	expect_err("[True]", -EINVAL, 1, "expected a value");
	expect_err("[nil]", -EINVAL, 1, "unknown literal");
	expect_err("[fals]", -EINVAL, 1, "unknown literal");
	/* Structure. */
	expect_err("{\"a\" 1}", -EINVAL, 5, "expected ':'");
	expect_err("{1: 2}", -EINVAL, 1, "expected a member name");
	expect_err("[1 2]", -EINVAL, 3, "expected ',' or ']'");
	expect_err("[1}", -EINVAL, 2, "expected ',' or ']'");
	expect_err("{\"a\":1]", -EINVAL, 6, "expected ',' or '}'");
	/* A byte order mark is not whitespace. */
	expect_err("\xef\xbb\xbf{}", -EINVAL, 0, "expected a value");
	/* Nor is a vertical tab or a form feed. */
	expect_err("\v{}", -EINVAL, 0, "expected a value");
	expect_err("[\f]", -EINVAL, 1, "expected a value");
}

static void test_bad_numbers(void **state)
{
	char big[420];
	struct pt_jdoc bigdoc;
	(void)state;

	expect_err("NaN", -EINVAL, 0, "expected a value");
	expect_err("[nan]", -EINVAL, 1, "unknown literal");
	expect_err("Infinity", -EINVAL, 0, "expected a value");
	expect_err("-Infinity", -EINVAL, 1, "bad number");
	expect_err("[01]", -EINVAL, 2, "expected ',' or ']'");
	expect_err("-01", -EINVAL, 2, "trailing data");
	expect_err("00", -EINVAL, 1, "trailing data");
	expect_err("1.", -EINVAL, 2, "bad number");
	expect_err(".5", -EINVAL, 0, "expected a value");
	expect_err("+1", -EINVAL, 0, "expected a value");
	expect_err("0x10", -EINVAL, 1, "trailing data");
	expect_err("1e+", -EINVAL, 3, "bad number");
	expect_err("[-]", -EINVAL, 2, "bad number");
	expect_err("1.e5", -EINVAL, 2, "bad number");
	/* Beyond double: not infinity. */
	expect_err("[1e400]", -EINVAL, 6, "out of range");
	expect_err("-1e400", -EINVAL, 6, "out of range");
	/* A number longer than anyone writes. */
	memset(big, '1', 70);
	big[70] = '\0';
	/* Long, but within what the reader takes. */
	(void)parse_ok(big, &bigdoc);
	pt_jsonr_free(&bigdoc);
	memset(big, '1', 400);
	big[400] = '\0';
	expect_err(big, -EINVAL, 400, "number too long");
}

static void test_bad_strings(void **state)
{
	(void)state;

	/* Lone surrogates. */
	expect_err("\"\\ud800\"", -EINVAL, 7, "lone high surrogate");
	expect_err("\"\\udbff x\"", -EINVAL, 7, "lone high surrogate");
	expect_err("\"\\ud800\\u0041\"", -EINVAL, 13, "lone high surrogate");
	expect_err("\"\\ud800\\ud800\"", -EINVAL, 13, "lone high surrogate");
	expect_err("\"\\udc00\"", -EINVAL, 7, "lone low surrogate");
	expect_err("\"\\ude00\\ud83d\"", -EINVAL, 7, "lone low surrogate");
	/* \u0000 and a raw NUL. */
	expect_err("\"a\\u0000b\"", -EINVAL, 8, "NUL in a string");
	expect_err_n("\"a\0b\"", 5, -EINVAL, 2, "control character");
	/* Control characters must be escaped. */
	expect_err("\"a\nb\"", -EINVAL, 2, "control character");
	expect_err("\"\t\"", -EINVAL, 1, "control character");
	expect_err("\"\x1b[2J\"", -EINVAL, 1, "control character");
	expect_err("{\"\x01\": 1}", -EINVAL, 2, "control character");
	/* Escapes. */
	expect_err("\"\\x41\"", -EINVAL, 2, "bad escape");
	expect_err("\"\\'\"", -EINVAL, 2, "bad escape");
	expect_err("\"\\u12g4\"", -EINVAL, 3, "bad \\u escape");
	expect_err("\"\\U0041\"", -EINVAL, 2, "bad escape");
}

static void test_invalid_utf8(void **state)
{
	(void)state;

	expect_err("\"\xff\"", -EINVAL, 1, "invalid UTF-8");
	expect_err("\"ab\x80\"", -EINVAL, 3, "invalid UTF-8");	     /* lone continuation */
	expect_err("\"\xc0\xaf\"", -EINVAL, 1, "invalid UTF-8");     /* overlong '/' */
	expect_err("\"\xc1\xbf\"", -EINVAL, 1, "invalid UTF-8");     /* overlong */
	expect_err("\"\xe0\x80\xaf\"", -EINVAL, 1, "invalid UTF-8"); /* overlong, 3 bytes */
	expect_err("\"\xf0\x80\x80\xaf\"", -EINVAL, 1, "invalid UTF-8");
	expect_err("\"\xed\xa0\x80\"", -EINVAL, 1, "invalid UTF-8");	 /* a surrogate */
	expect_err("\"\xf4\x90\x80\x80\"", -EINVAL, 1, "invalid UTF-8"); /* > U+10FFFF */
	expect_err("\"\xf5\x80\x80\x80\"", -EINVAL, 1, "invalid UTF-8");
	expect_err("\"\xe2\x82\"", -EINVAL, 1, "invalid UTF-8"); /* cut short */
	expect_err("\"\xe2\x82x\"", -EINVAL, 1, "invalid UTF-8");
	expect_err("{\"k\xff\": 1}", -EINVAL, 3, "invalid UTF-8"); /* in a key */
	/* Outside strings, any non-ASCII byte is simply not JSON. */
	expect_err("[\xc3\xa9]", -EINVAL, 1, "expected a value");
}

static void test_depth_limit(void **state)
{
	char text[2 * (PT_JSONR_MAX_DEPTH + 1) + 1];
	char obj[16 * (PT_JSONR_MAX_DEPTH + 1)];
	size_t n = 0;
	(void)state;

	memset(text, '[', PT_JSONR_MAX_DEPTH + 1);
	memset(text + PT_JSONR_MAX_DEPTH + 1, ']', PT_JSONR_MAX_DEPTH + 1);
	text[2 * (PT_JSONR_MAX_DEPTH + 1)] = '\0';
	expect_err(text, -EFBIG, PT_JSONR_MAX_DEPTH, "nested deeper than 32");

	/* Objects count the same; the offset is the 33rd '{'. */
	for (unsigned i = 0; i < PT_JSONR_MAX_DEPTH + 1; i++)
		n += (size_t)snprintf(obj + n, sizeof(obj) - n, "{\"a\":");
	snprintf(obj + n, sizeof(obj) - n, "1");
	expect_err(obj, -EFBIG, 5 * PT_JSONR_MAX_DEPTH, "nested deeper than 32");

	/* Far deeper: no stack exhaustion, the same error. */
	{
		size_t deep = 100000;
		char *t = malloc(deep);

		assert_non_null(t);
		memset(t, '[', deep);
		expect_err_n(t, deep, -EFBIG, PT_JSONR_MAX_DEPTH, "nested deeper");
		free(t);
	}
}

static void test_node_limit(void **state)
{
	/* "[0,0,...,0]": the array is one value, each 0 another. */
	size_t n_ok = PT_JSONR_MAX_NODES - 1, len = 2 * (n_ok + 1) + 1;
	char *t = malloc(len + 2);
	struct pt_jdoc doc;
	struct pt_jerror err;
	(void)state;

	assert_non_null(t);
	t[0] = '[';
	for (size_t i = 0; i < n_ok; i++) {
		t[1 + 2 * i] = '0';
		t[2 + 2 * i] = ',';
	}
	t[2 * n_ok] = ']';
	assert_int_equal(parse_n(t, 2 * n_ok + 1, &doc, &err), 0);
	assert_int_equal(doc.root->len, n_ok);
	pt_jsonr_free(&doc);

	/* One more value: over the limit, at the offset of that value. */
	t[2 * n_ok] = ',';
	t[2 * n_ok + 1] = '0';
	t[2 * n_ok + 2] = ']';
	expect_err_n(t, 2 * n_ok + 3, -EFBIG, 2 * n_ok + 1, "more than 65536 values");
	free(t);
}

static void test_size_limit(void **state)
{
	size_t max = PT_JSONR_MAX_SIZE;
	char *t = malloc(max + 1);
	struct pt_jdoc doc;
	struct pt_jerror err;
	(void)state;

	assert_non_null(t);
	/* Exactly 1 MiB: a string padded with blanks is fine. */
	memset(t, ' ', max + 1);
	memcpy(t, "\"big\"", 5);
	assert_int_equal(parse_n(t, max, &doc, &err), 0);
	assert_string_equal(doc.root->s, "big");
	pt_jsonr_free(&doc);
	/* One byte more: refused before reading any of it. */
	expect_err_n(t, max + 1, -EFBIG, 0, "larger than 1048576 bytes");
	free(t);
}

/* ---- look-ups on the wrong type ----------------------------------------------------- */

static void test_lookups_on_wrong_types(void **state)
{
	struct pt_jdoc doc;
	const struct pt_jnode *n, *arr, *str;
	int64_t i = 42;
	bool b = true;
	(void)state;

	n = parse_ok("{\"s\": \"1\", \"f\": 1.5, \"e\": 1e3, \"big\": 9223372036854775808, "
		     "\"t\": true, \"z\": null, \"a\": [1], \"o\": {\"x\": 1}, \"i\": 0}",
		     &doc);
	arr = pt_jget(n, "a");
	str = pt_jget(n, "s");

	/* pt_jget: only objects have members. */
	assert_null(pt_jget(NULL, "s"));
	assert_null(pt_jget(arr, "s"));
	assert_null(pt_jget(str, "s"));
	assert_null(pt_jget(n, "missing"));
	assert_null(pt_jget(n, ""));

	/* pt_jstr: strings only. */
	assert_string_equal(pt_jstr(n, "s"), "1");
	assert_null(pt_jstr(n, "f"));
	assert_null(pt_jstr(n, "t"));
	assert_null(pt_jstr(n, "z"));
	assert_null(pt_jstr(n, "a"));
	assert_null(pt_jstr(n, "o"));
	assert_null(pt_jstr(n, "missing"));
	assert_null(pt_jstr(NULL, "s"));
	assert_null(pt_jstr(arr, "s"));

	/* pt_jint: integers that fit int64; *ret untouched otherwise. */
	assert_false(pt_jint(n, "s", &i));
	assert_false(pt_jint(n, "f", &i));
	assert_false(pt_jint(n, "e", &i));
	assert_false(pt_jint(n, "big", &i));
	assert_false(pt_jint(n, "t", &i));
	assert_false(pt_jint(n, "z", &i));
	assert_false(pt_jint(n, "a", &i));
	assert_false(pt_jint(n, "missing", &i));
	assert_false(pt_jint(NULL, "i", &i));
	assert_int_equal(i, 42);
	assert_true(pt_jint(n, "i", &i));
	assert_int_equal(i, 0);

	/* pt_jbool: booleans only. */
	assert_false(pt_jbool(n, "s", &b));
	assert_false(pt_jbool(n, "i", &b));
	assert_false(pt_jbool(n, "z", &b));
	assert_false(pt_jbool(n, "o", &b));
	assert_false(pt_jbool(arr, "t", &b));
	assert_true(b);
	assert_true(pt_jbool(n, "t", &b));

	/* pt_jarray: arrays only. */
	assert_non_null(pt_jarray(n, "a"));
	assert_null(pt_jarray(n, "o"));
	assert_null(pt_jarray(n, "s"));
	assert_null(pt_jarray(n, "z"));
	assert_null(pt_jarray(NULL, "a"));
	assert_null(pt_jarray(arr, "a"));
	pt_jsonr_free(&doc);

	/* Freeing twice, or an empty document, is harmless. */
	pt_jsonr_free(&doc);
}

/* ---- the state-file checker of pt-status -------------------------------------------- */

#define FILE_NAME "/run/pt/state.json"

static int sstate(const char *text, size_t len, char *err, size_t size)
{
	struct pt_sstate st;
	char *copy = malloc(len ? len : 1);
	int r;

	assert_non_null(copy);
	memcpy(copy, text, len);
	r = pt_sstate_parse(FILE_NAME, copy, len, &st, err, size);
	free(copy);
	if (r == 0)
		pt_sstate_free(&st);
	return r;
}

/* The sample with one substring replaced must fail naming what. */
static void expect_state_err(const char *from, const char *to, int want_r, const char *needle)
{
	const char *at = strstr(sample_state, from);
	char text[sizeof(sample_state) + 256], err[PT_SSTATE_ERR_MAX];
	size_t pre;
	int r;

	if (!at)
		fail_msg("'%s' is not in the sample", from);
	pre = (size_t)(at - sample_state);
	snprintf(text, sizeof(text), "%.*s%s%s", (int)pre, sample_state, to, at + strlen(from));
	r = sstate(text, strlen(text), err, sizeof(err));
	if (r != want_r || !strstr(err, needle) || strncmp(err, FILE_NAME ": ", 20) != 0)
		fail_msg("'%s' -> '%s': expected %d with \"%s\", got %d: %s", from, to, want_r,
			 needle, r, err);
}

static void test_state_valid(void **state)
{
	struct pt_sstate st;
	char err[PT_SSTATE_ERR_MAX];
	(void)state;

	assert_int_equal(pt_sstate_parse(FILE_NAME, sample_state, strlen(sample_state), &st, err,
					 sizeof(err)),
			 0);
	assert_int_equal(st.n_devs, 2);
	assert_string_equal(st.devs[0].name, "0000:26:00.0");
	assert_int_equal(st.devs[0].iommu_group, 15);
	assert_int_equal(st.devs[0].vfio_node, 15);
	assert_int_equal(st.devs[0].action, PT_ACT_RECOVERED);
	assert_true(st.devs[0].boot_vga);
	assert_int_equal(st.devs[1].vendor, 0x10de);
	assert_int_equal(st.devs[1].class, 0x040300);
	assert_null(st.devs[1].driver_before);
	assert_string_equal(st.result, "ok");
	assert_int_equal(st.n_warnings, 1);
	pt_sstate_free(&st);
}

static void test_state_truncated_names_the_byte(void **state)
{
	size_t len = strlen(sample_state);
	char err[PT_SSTATE_ERR_MAX];
	(void)state;

	for (size_t i = 0; i < len; i++) {
		int r = sstate(sample_state, i, err, sizeof(err));

		if (r != -EINVAL || strncmp(err, FILE_NAME ": line ", 25) != 0 ||
		    !strstr(err, "(byte "))
			fail_msg("prefix of %zu bytes: %d: %s", i, r, err);
	}
	assert_int_equal(sstate("{\n  \"schema\": 1,\n  \"ag", 22, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, FILE_NAME ": line 3, column 3 (byte 19): unterminated string");
}

static void test_state_hostile_fields(void **state)
{
	(void)state;

	/* Addresses that are not addresses never become paths. */
	expect_state_err("\"0000:26:00.0\",\n      \"vendor\"", "\"../../etc\",\n      \"vendor\"",
			 -EINVAL, "devices[0].addr: \"../../etc\" is not a PCI address");
	expect_state_err("\"0000:26:00.1\",\n      \"vendor\"", "\"26:00.1\",\n      \"vendor\"",
			 -EINVAL, "devices[1].addr: \"26:00.1\" is not a PCI address");
	expect_state_err("\"0000:26:00.1\",\n      \"vendor\"",
			 "\"0000:26:00.1/../../x\",\n      \"vendor\"", -EINVAL, "devices[1].addr");
	expect_state_err("\"0000:26:00.1\",\n      \"vendor\"",
			 "\"0000:26:00.0\",\n      \"vendor\"", -EINVAL,
			 "devices[1].addr: 0000:26:00.0 is listed twice");
	expect_state_err("\"0000:26:00.0\", \"0000:26:00.1\"]", "\"0000:26:00.0\", \"x\"]", -EINVAL,
			 "groups[0].members[1]: \"x\" is not a PCI address");
	/* Paths and names. */
	expect_state_err("\"/dev/vfio/15\"\n    },\n    {",
			 "\"/dev/vfio/../../etc/shadow\"\n    },\n    {", -EINVAL,
			 "devices[0].vfio_node: \"/dev/vfio/../../etc/shadow\" is not");
	expect_state_err("\"/dev/vfio/15\"\n    },\n    {", "\"/dev/vfio/16\"\n    },\n    {",
			 -EINVAL,
			 "devices[0].vfio_node: /dev/vfio/16 does not match iommu_group 15");
	expect_state_err("\"nouveau\"", "\"../nouveau\"", -EINVAL,
			 "devices[0].driver_before: \"../nouveau\" is not a driver name");
	expect_state_err("\"nouveau\"", "\"nou\\u001b[2Jveau\"", -EINVAL,
			 "devices[0].driver_before: \"nou\\x1b[2Jveau\" is not a driver name");
	expect_state_err("\"nouveau\"", "\"\"", -EINVAL, "empty driver name");
	/* Types, values, missing keys. */
	expect_state_err("\"iommu_group\": 15,\n      \"boot_vga\": false",
			 "\"iommu_group\": \"15\",\n      \"boot_vga\": false", -EINVAL,
			 "devices[1].iommu_group: expected a number or null, found a string");
	expect_state_err("\"iommu_group\": 15", "\"iommu_group\": -1", -EINVAL,
			 "devices[0].iommu_group: -1 is not an integer from 0 to 2147483647");
	expect_state_err("\"iommu_group\": 15", "\"iommu_group\": 1.5", -EINVAL,
			 "devices[0].iommu_group: 1.5 is not an integer");
	expect_state_err("\"vendor\": \"10de\"", "\"vendor\": \"10DE\"", -EINVAL,
			 "devices[0].vendor: \"10DE\" is not 4 lower-case hex digits");
	expect_state_err("\"class\": \"030000\"", "\"class\": \"0300\"", -EINVAL,
			 "devices[0].class: \"0300\" is not 6 lower-case hex digits");
	expect_state_err("\"action\": \"bound\"", "\"action\": \"pending\"", -EINVAL,
			 "devices[1].action: unknown value \"pending\"");
	expect_state_err("\"boot_vga\": true,", "", -EINVAL, "devices[0].boot_vga: missing");
	expect_state_err("\"result\": \"ok\"", "\"result\": \"great\"", -EINVAL,
			 "result: unknown value \"great\"");
	expect_state_err("\"devices\": [", "\"devices\": {\"x\": [", -EINVAL,
			 "line"); /* now unbalanced: a syntax error */
	expect_state_err("\"errors\": []", "\"errors\": [1]", -EINVAL,
			 "errors[0]: expected a string, found a number");
	expect_state_err("\"iommu\": true", "\"iommu\": \"yes\"", -EINVAL,
			 "iommu: expected a boolean, found a string");
	expect_state_err("\"boot_id\": \"0f3c1a52-8e0b-4c2e-9a53-2f8e1c9b7d10\"",
			 "\"boot_id\": \"../../x\"", -EINVAL, "boot_id: not a boot id");
	expect_state_err("\"finished_ms\": 1203", "\"finished_ms\": 1000", -EINVAL,
			 "finished_ms: earlier than started_ms");
	expect_state_err("\"options\": {", "\"options\": {\"dryrun\": true, ", -EINVAL,
			 "member name \"dryrun\" appears twice");
	expect_state_err("\"schema\": 1,", "\"schema\": 1, \"schema\": 1,", -EINVAL,
			 "member name \"schema\" appears twice");
	/* Another schema: refused before anything else is read. */
	expect_state_err("\"schema\": 1,", "\"schema\": 2,", -EPROTONOSUPPORT,
			 "schema: 2 is not supported: this pt-status reads schema 1");
	expect_state_err("\"schema\": 1,", "", -EINVAL, "schema: missing");
	expect_state_err("\"schema\": 1,", "\"schema\": \"1\",", -EINVAL,
			 "schema: expected a number, found a string");
}

static void test_state_not_an_object(void **state)
{
	char err[PT_SSTATE_ERR_MAX];
	(void)state;

	assert_int_equal(sstate("[1]", 3, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, FILE_NAME ": the top level is an array, not an object");
	assert_int_equal(sstate("null", 4, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, FILE_NAME ": the top level is null, not an object");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* valid */
		cmocka_unit_test(test_empty_containers),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_nesting_to_the_limit),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_duplicate_keys_refused),
		cmocka_unit_test(test_sample_state_file),
		/* hostile */
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_truncated_at_every_byte),
		cmocka_unit_test(test_every_byte_replaced),
		cmocka_unit_test(test_trailing_garbage),
		cmocka_unit_test(test_trailing_commas),
		cmocka_unit_test(test_not_json),
		cmocka_unit_test(test_bad_numbers),
		cmocka_unit_test(test_bad_strings),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_node_limit),
		cmocka_unit_test(test_size_limit),
		/* look-ups */
		cmocka_unit_test(test_lookups_on_wrong_types),
		/* the state file */
		cmocka_unit_test(test_state_valid),
		cmocka_unit_test(test_state_truncated_names_the_byte),
		cmocka_unit_test(test_state_hostile_fields),
		cmocka_unit_test(test_state_not_an_object),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
