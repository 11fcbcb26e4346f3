/* SPDX-License-Identifier: MIT */
/*
 * test_json.c — the JSON writer (json.h): layout, commas, scalars, string
 * escaping and UTF-8 repair. Every document is compared byte for byte where
 * practical, checked to be strict UTF-8 (jq 1.6 silently repairs bad
 * UTF-8, so it cannot be the judge of that), and fed to `jq -e .`.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json.h"
#include "testutil.h"

/* ---- helpers ---------------------------------------------------------------------- */

/* Run `jq ARGS` on doc; its standard output goes into out (NUL-terminated,
 * *ret_len bytes). Returns jq's exit status, or -1. */
static int run_jq(const char *doc, const char *args, char *out, size_t size, size_t *ret_len)
{
	char path[] = "/tmp/pt-test-json.XXXXXX", cmd[512];
	size_t len = 0, n;
	int fd, status;
	FILE *f;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, doc, strlen(doc)), (ssize_t)strlen(doc));
	assert_int_equal(close(fd), 0);
	snprintf(cmd, sizeof(cmd), "jq %s < '%s' 2>&1", args, path);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (len + 1 < size && (n = fread(out + len, 1, size - 1 - len, f)) > 0)
		len += n;
	out[len] = '\0';
	status = pclose(f);
	unlink(path);
	if (ret_len)
		*ret_len = len;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF. Returns the offset of the first bad byte, or -1. */
static long utf8_invalid_at(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; s[i];) {
		unsigned c = s[i], n, cp, min;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return (long)i;
		}
		for (unsigned k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return (long)i;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return (long)i;
		i += n + 1;
	}
	return -1;
}

static void assert_valid_json(const char *doc)
{
	char out[4096];
	long bad = utf8_invalid_at(doc);
	int rc;

	if (bad >= 0)
		fail_msg("not valid UTF-8 at byte %ld:\n%s", bad, doc);
	rc = run_jq(doc, "-e .", out, sizeof(out), NULL);
	if (rc != 0)
		fail_msg("jq -e . exited %d on:\n%s\njq said:\n%s", rc, doc, out);
}

/* What jq decodes `filter` of doc to, as raw bytes (jq -j). */
static void assert_jq_raw(const char *doc, const char *filter, const char *want)
{
	char out[4096], args[256];
	size_t len;
	int rc;

	snprintf(args, sizeof(args), "-j '%s'", filter);
	rc = run_jq(doc, args, out, sizeof(out), &len);
	if (rc != 0)
		fail_msg("jq %s exited %d on:\n%s\njq said:\n%s", args, rc, doc, out);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
}

static void assert_doc(struct pt_buf *b, const char *want)
{
	assert_true(pt_buf_ok(b));
	assert_string_equal(pt_buf_str(b), want);
	assert_valid_json(pt_buf_str(b));
}

/* pt_json_escape of s, as a new string. */
static char *escaped(const char *s)
{
	struct pt_buf b;

	pt_buf_init(&b);
	pt_json_escape(&b, s);
	assert_true(pt_buf_ok(&b));
	return b.data ? b.data : strdup("");
}

#define assert_escape(in, want)                                                          \
	do {                                                                             \
		char *got_ = escaped(in);                                                \
		if (!streq(got_, (want)))                                                \
			fail_msg("escape of %s: expected %s, got %s", #in, #want, got_); \
		free(got_);                                                              \
	} while (0)

/* A one-key document {"s": <s>}, validated; returns it (caller frees). */
static char *doc_with_string(const char *s)
{
	struct pt_buf b;
	struct pt_json j;

	pt_buf_init(&b);
	pt_json_init(&j, &b);
	pt_json_begin_object(&j);
	pt_json_key(&j, "s");
	pt_json_string(&j, s);
	pt_json_end_object(&j);
	assert_valid_json(pt_buf_str(&b));
	return b.data;
}

/* Each case's escape is as expected, and a document holding it is valid. */
struct escape_case {
	const char *in, *out;
};

static void assert_escape_cases(const struct escape_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *got = escaped(cases[i].in), *doc;

		if (!streq(got, cases[i].out))
			fail_msg("case %zu: expected %s, got %s", i, cases[i].out, got);
		free(got);
		doc = doc_with_string(cases[i].in);
		free(doc);
	}
}

/* ---- layout ------------------------------------------------------------------------- */

static void test_empty_object_and_array(void **state)
{
	struct pt_buf b;
	struct pt_json j;
	(void)state;

	pt_buf_init(&b);
	pt_json_init(&j, &b);
	pt_json_begin_object(&j);
	pt_json_end_object(&j);
	assert_doc(&b, "{}");
	pt_buf_free(&b);

	pt_buf_init(&b);
	pt_json_init(&j, &b);
	pt_json_begin_array(&j);
	pt_json_end_array(&j);
	assert_doc(&b, "[]");
	pt_buf_free(&b);
}

static void test_flat_object(void **state)
{
	struct pt_buf b;
	struct pt_json j;
	(void)state;

	pt_buf_init(&b);
	pt_json_init(&j, &b);
	pt_json_begin_object(&j);
	pt_json_key(&j, "schema");
	pt_json_int(&j, 1);
	pt_json_key(&j, "result");
	pt_json_string(&j, "ok");
	pt_json_key(&j, "iommu");
	pt_json_bool(&j, true);
	pt_json_end_object(&j);
	assert_doc(&b, "{\n  \"schema\": 1,\n  \"result\": \"ok\",\n  \"iommu\": true\n}");
	pt_buf_free(&b);
}

static void test_nested_objects_and_arrays(void **state)
{
	struct pt_buf b;
	struct pt_json j;
	(void)state;

	pt_buf_init(&b);
	pt_json_init(&j, &b);
	pt_json_begin_object(&j);
	pt_json_key(&j, "a");
	pt_json_begin_array(&j);
	pt_json_int(&j, 1);
	pt_json_int(&j, 2);
	pt_json_end_array(&j);
	pt_json_key(&j, "b");
	pt_json_begin_object(&j);
	pt_json_end_object(&j);
	pt_json_key(&j, "c");
	pt_json_begin_array(&j);
	pt_json_end_array(&j);
	pt_json_key(&j, "d");
	pt_json_begin_array(&j);
	pt_json_begin_object(&j);
	pt_json_key(&j, "x");
	pt_json_null(&j);
	pt_json_end_object(&j);
	pt_json_begin_array(&j);
	pt_json_end_array(&j);
	pt_json_begin_object(&j);
	pt_json_end_object(&j);
	pt_json_begin_array(&j);
	pt_json_bool(&j, false);
	pt_json_end_array(&j);
	pt_json_end_array(&j);
	pt_json_end_object(&j);
	assert_doc(&b, "{\n"
		       "  \"a\": [\n"
		       "    1,\n"
		       "    2\n"
		       "  ],\n"
		       "  \"b\": {},\n"
		       "  \"c\": [],\n"
		       "  \"d\": [\n"
		       "    {\n"
		       "      \"x\": null\n"
		       "    },\n"
		       "    [],\n"
		       "    {},\n"
		       "    [\n"
		       "      false\n"
		       "    ]\n"
		       "  ]\n"
		       "}");
	assert_jq_raw(pt_buf_str(&b), ".a | add", "3");
	assert_jq_raw(pt_buf_str(&b), ".d | length", "4");
	pt_buf_free(&b);
}

static void test_state_file_shape(void **state)
{
	struct pt_buf b;
	struct pt_json j;
	(void)state;

	pt_buf_init(&b);
	pt_json_init(&j, &b);
	pt_json_begin_object(&j);
	pt_json_key(&j, "schema");
	pt_json_int(&j, 1);
	pt_json_key(&j, "options");
	pt_json_begin_object(&j);
	pt_json_key(&j, "group");
	pt_json_string(&j, "auto");
	pt_json_key(&j, "dryrun");
	pt_json_bool(&j, false);
	pt_json_end_object(&j);
	pt_json_key(&j, "devices");
	pt_json_begin_array(&j);
	for (int i = 0; i < 3; i++) {
		char addr[16];

		snprintf(addr, sizeof(addr), "0000:26:00.%d", i);
		pt_json_begin_object(&j);
		pt_json_key(&j, "addr");
		pt_json_string(&j, addr);
		pt_json_key(&j, "error");
		pt_json_string_or_null(&j, "");
		pt_json_key(&j, "members");
		pt_json_begin_array(&j);
		pt_json_string(&j, addr);
		pt_json_end_array(&j);
		pt_json_end_object(&j);
	}
	pt_json_end_array(&j);
	pt_json_key(&j, "errors");
	pt_json_begin_array(&j);
	pt_json_end_array(&j);
	pt_json_end_object(&j);
	assert_true(pt_buf_ok(&b));
	assert_valid_json(pt_buf_str(&b));
	assert_jq_raw(pt_buf_str(&b), "[.devices[].addr] | join(\",\")",
		      "0000:26:00.0,0000:26:00.1,0000:26:00.2");
	assert_jq_raw(pt_buf_str(&b), "[.devices[].error] | map(. == null) | all", "true");
	assert_jq_raw(pt_buf_str(&b), ".options.group", "auto");
	assert_jq_raw(pt_buf_str(&b), ".errors | length", "0");
	pt_buf_free(&b);
}

static void test_many_elements_get_commas(void **state)
{
	struct pt_buf b;
	struct pt_json j;
	(void)state;

	pt_buf_init(&b);
	pt_json_init(&j, &b);
	pt_json_begin_array(&j);
	for (int i = 0; i < 200; i++)
		pt_json_int(&j, i);
	pt_json_end_array(&j);
	assert_valid_json(pt_buf_str(&b));
	assert_jq_raw(pt_buf_str(&b), "length", "200");
	assert_jq_raw(pt_buf_str(&b), "add", "19900");
	pt_buf_free(&b);
}

/* Nesting to the writer's depth limit: exact layout still holds. */
static void test_nesting_to_the_depth_limit(void **state)
{
	struct pt_buf b, want;
	struct pt_json j;
	const unsigned levels = PT_JSON_MAX_DEPTH - 1;
	(void)state;

	pt_buf_init(&b);
	pt_buf_init(&want);
	pt_json_init(&j, &b);
	for (unsigned i = 0; i < levels; i++)
		pt_json_begin_array(&j);
	pt_json_int(&j, 7);
	for (unsigned i = 0; i < levels; i++)
		pt_json_end_array(&j);
	for (unsigned i = 0; i < levels; i++) {
		if (i)
			pt_buf_printf(&want, "\n%*s", (int)(2 * i), "");
		pt_buf_putc(&want, '[');
	}
	pt_buf_printf(&want, "\n%*s7", (int)(2 * levels), "");
	for (unsigned i = levels; i-- > 0;) {
		pt_buf_printf(&want, "\n%*s]", (int)(2 * i), "");
	}
	assert_doc(&b, pt_buf_str(&want));
	pt_buf_free(&b);
	pt_buf_free(&want);
}

/*
 * Beyond PT_JSON_MAX_DEPTH open_() stops counting depth but close_() still
 * decrements it, so depth reaches 0 while containers are still open; then
 * before_value() writes no comma and the document ends "]115]116]...".
 * The layout may flatten, but the document must stay well-formed (or the
 * writer must flag the buffer as failed).
 */
static void test_regression_json_nesting_beyond_depth_limit_loses_commas(void **state)
{
	struct pt_buf b;
	struct pt_json j;
	const unsigned levels = PT_JSON_MAX_DEPTH + 6;
	(void)state;

	pt_buf_init(&b);
	pt_json_init(&j, &b);
	for (unsigned i = 0; i < levels; i++) {
		pt_json_begin_array(&j);
		pt_json_int(&j, i);
	}
	for (unsigned i = 0; i < levels; i++) {
		pt_json_int(&j, 100 + i);
		pt_json_end_array(&j);
	}
	if (pt_buf_ok(&b)) {
		char out[256];
		int rc = run_jq(pt_buf_str(&b), "-e \'[.. | numbers] | length == 44\'", out,
				sizeof(out), NULL);

		pt_buf_free(&b);
		if (rc != 0)
			fail_msg("malformed document (jq exited %d): %s", rc, out);
	}
	pt_buf_free(&b);
}

/* ---- scalars ------------------------------------------------------------------------ */

static void test_scalars(void **state)
{
	struct pt_buf b;
	struct pt_json j;
	(void)state;

	pt_buf_init(&b);
	pt_json_init(&j, &b);
	pt_json_begin_array(&j);
	pt_json_int(&j, 0);
	pt_json_int(&j, -1);
	pt_json_int(&j, INT64_MAX);
	pt_json_int(&j, INT64_MIN);
	pt_json_bool(&j, true);
	pt_json_bool(&j, false);
	pt_json_null(&j);
	pt_json_string(&j, NULL);
	pt_json_string_or_null(&j, "");
	pt_json_string_or_null(&j, NULL);
	pt_json_string_or_null(&j, "x");
	pt_json_string(&j, "");
	pt_json_end_array(&j);
	assert_doc(&b,
		   "[\n  0,\n  -1,\n  9223372036854775807,\n  -9223372036854775808,\n"
		   "  true,\n  false,\n  null,\n  null,\n  null,\n  null,\n  \"x\",\n  \"\"\n]");
	assert_jq_raw(pt_buf_str(&b), "map(type) | join(\",\")",
		      "number,number,number,number,boolean,boolean,null,null,null,null,string,"
		      "string");
	pt_buf_free(&b);
}

/* pt_json_hex: what "%0*x" of the value masked to its digits gave. */
static void test_hex(void **state)
{
	struct pt_buf b;
	struct pt_json j;
	(void)state;

	pt_buf_init(&b);
	pt_json_init(&j, &b);
	pt_json_begin_array(&j);
	pt_json_hex(&j, 0x10de, 4);
	pt_json_hex(&j, 0, 4);
	pt_json_hex(&j, 0xabcdef12u, 4); /* masked to the low four */
	pt_json_hex(&j, 0x030000, 6);
	pt_json_hex(&j, 0xffffffffu, 6);
	pt_json_hex(&j, 0x1u, 8);
	pt_json_end_array(&j);
	assert_doc(&b, "[\n  \"10de\",\n  \"0000\",\n  \"ef12\",\n  \"030000\",\n  \"ffffff\",\n"
		       "  \"00000001\"\n]");
	pt_buf_free(&b);
}

/* pt_buf_printf formats in one pass when the line fits the room it
 * reserves, in two when it does not: both give what snprintf gives, at
 * every length around the boundary and after earlier content. */
static void test_printf_lengths(void **state)
{
	char arg[1200], want[1600];
	(void)state;

	for (size_t pre = 0; pre < 300; pre += 37) {
		for (size_t n = 0; n < sizeof(arg) - 1; n += (n < 300 ? 1 : 97)) {
			struct pt_buf b;

			memset(arg, 'a' + (int)(n % 26), n);
			arg[n] = '\0';
			pt_buf_init(&b);
			for (size_t k = 0; k < pre; k++)
				pt_buf_putc(&b, 'p');
			pt_buf_printf(&b, "<%s|%d>", arg, (int)n);
			assert_true(pt_buf_ok(&b));
			memset(want, 'p', pre);
			snprintf(want + pre, sizeof(want) - pre, "<%s|%d>", arg, (int)n);
			assert_string_equal(pt_buf_str(&b), want);
			assert_int_equal(b.len, strlen(want));
			pt_buf_free(&b);
		}
	}
}

static void test_key_is_escaped(void **state)
{
	struct pt_buf b;
	struct pt_json j;
	(void)state;

	pt_buf_init(&b);
	pt_json_init(&j, &b);
	pt_json_begin_object(&j);
	pt_json_key(&j, "a\"b\\c\x01\xff");
	pt_json_int(&j, 1);
	pt_json_end_object(&j);
	assert_doc(&b, "{\n  \"a\\\"b\\\\c\\u0001\\ufffd\": 1\n}");
	assert_jq_raw(pt_buf_str(&b), "keys[0]", "a\"b\\c\x01\xef\xbf\xbd");
	pt_buf_free(&b);
}

/* ---- escaping ------------------------------------------------------------------------ */

static void test_escape_quote_and_backslash(void **state)
{
	char *doc;
	(void)state;

	assert_escape("", "");
	assert_escape("plain text 0123 ~!@#$%^&*()", "plain text 0123 ~!@#$%^&*()");
	assert_escape("\"", "\\\"");
	assert_escape("\\", "\\\\");
	assert_escape("a\"b\\c\"", "a\\\"b\\\\c\\\"");
	assert_escape("C:\\path\\\"x\"", "C:\\\\path\\\\\\\"x\\\"");
	assert_escape("/", "/");
	doc = doc_with_string("a\"b\\c");
	assert_jq_raw(doc, ".s", "a\"b\\c");
	free(doc);
}

static void test_escape_control_characters(void **state)
{
	char *doc;
	char all[32];
	(void)state;

	assert_escape("\n", "\\n");
	assert_escape("\t", "\\t");
	assert_escape("\r", "\\r");
	assert_escape("\x01", "\\u0001");
	assert_escape("\b", "\\u0008");
	assert_escape("\f", "\\u000c");
	assert_escape("\x1b[0m", "\\u001b[0m");
	assert_escape("\x1f", "\\u001f");
	assert_escape("a\x01z", "a\\u0001z");

	/* every control character survives the round trip through jq */
	for (int i = 1; i < 32; i++)
		all[i - 1] = (char)i;
	all[31] = '\0';
	doc = doc_with_string(all);
	assert_jq_raw(doc, ".s", all);
	assert_jq_raw(doc, ".s | length", "31");
	free(doc);
}

static void test_escape_del(void **state)
{
	char *doc;
	(void)state;

	assert_escape("\x7f", "\\u007f");
	assert_escape("a\x7f", "a\\u007f");
	doc = doc_with_string("\x7f");
	assert_jq_raw(doc, ".s | explode | .[0]", "127");
	free(doc);
}

static void test_escape_valid_utf8_passes_through(void **state)
{
	static const char *const valid[] = {
		"\xc2\x80",	    /* U+0080, smallest 2-byte */
		"\xc3\xa9",	    /* é */
		"\xdf\xbf",	    /* U+07FF */
		"\xe0\xa0\x80",	    /* U+0800, smallest 3-byte */
		"\xe2\x82\xac",	    /* € */
		"\xed\x9f\xbf",	    /* U+D7FF, just below the surrogates */
		"\xee\x80\x80",	    /* U+E000, just above them */
		"\xef\xbf\xbd",	    /* U+FFFD itself */
		"\xef\xbf\xbf",	    /* U+FFFF */
		"\xf0\x90\x80\x80", /* U+10000, smallest 4-byte */
		"\xf0\x9f\x98\x80", /* 😀 */
		"\xf4\x8f\xbf\xbf", /* U+10FFFF, the last code point */
		"GPU \xe2\x80\x94 NVIDIA GeForce \xe2\x84\xa2 caf\xc3\xa9",
	};
	(void)state;

	for (size_t i = 0; i < ELEMENTSOF(valid); i++) {
		char *got = escaped(valid[i]), *doc;

		assert_string_equal(got, valid[i]);
		free(got);
		doc = doc_with_string(valid[i]);
		assert_jq_raw(doc, ".s", valid[i]);
		free(doc);
	}
}

static void test_escape_invalid_utf8_becomes_replacement(void **state)
{
#define R "\\ufffd"
	static const struct escape_case cases[] = {
		{ "\xff", R },
		{ "\xfe", R },
		{ "\x80", R }, /* a lone continuation byte */
		{ "a\xbfz", "a" R "z" },
		{ "\xc3", R },	     /* truncated at the end */
		{ "\xc3(", R "(" },  /* truncated by ASCII */
		{ "\xe2\x82", R R }, /* 3-byte sequence cut short */
		{ "\xe2\x82z", R R "z" },
		{ "\xf0\x9f\x98", R R R },
		{ "\xc3\xa9\xff\xc3\xa9", "\xc3\xa9" R "\xc3\xa9" },
		{ "\xf5\x80\x80\x80", R R R R },       /* lead byte beyond U+10FFFF */
		{ "\xf8\x88\x80\x80\x80", R R R R R }, /* old 5-byte form */
		{ "\xfc\x84\x80\x80\x80\x80", R R R R R R },
		{ "26:00.0\xe9", "26:00.0" R }, /* Latin-1 é from a bootloader */
	};
	(void)state;

	assert_escape_cases(cases, ELEMENTSOF(cases));
	{
		char *doc = doc_with_string("a\xffz");

		assert_jq_raw(doc, ".s", "a\xef\xbf\xbdz");
		free(doc);
	}
#undef R
}

static void test_escape_rejects_overlong_encodings(void **state)
{
#define R "\\ufffd"
	static const struct escape_case cases[] = {
		{ "\xc0\xaf", R R },		 /* '/' in 2 bytes */
		{ "\xc0\x80", R R },		 /* NUL in 2 bytes (Java's) */
		{ "\xc1\xbf", R R },		 /* U+007F in 2 bytes */
		{ "\xe0\x80\xaf", R R R },	 /* '/' in 3 bytes */
		{ "\xe0\x9f\xbf", R R R },	 /* U+07FF in 3 bytes */
		{ "\xf0\x80\x80\xaf", R R R R }, /* '/' in 4 bytes */
		{ "\xf0\x8f\xbf\xbf", R R R R }, /* U+FFFF in 4 bytes */
	};
	(void)state;

	assert_escape_cases(cases, ELEMENTSOF(cases));
#undef R
}

static void test_escape_rejects_surrogates_and_beyond_unicode(void **state)
{
#define R "\\ufffd"
	static const struct escape_case cases[] = {
		{ "\xed\xa0\x80", R R R },		     /* U+D800 */
		{ "\xed\xad\xbf", R R R },		     /* U+DB7F */
		{ "\xed\xb0\x80", R R R },		     /* U+DC00 */
		{ "\xed\xbf\xbf", R R R },		     /* U+DFFF */
		{ "\xed\xa0\xbd\xed\xb8\x80", R R R R R R }, /* CESU-8 pair for U+1F600 */
		{ "\xf4\x90\x80\x80", R R R R },	     /* U+110000 */
		{ "\xf7\xbf\xbf\xbf", R R R R },	     /* U+1FFFFF */
	};
	(void)state;

	assert_escape_cases(cases, ELEMENTSOF(cases));
#undef R
}

static void test_escape_appends(void **state)
{
	struct pt_buf b;
	(void)state;

	pt_buf_init(&b);
	pt_buf_puts(&b, "x=");
	pt_json_escape(&b, "\"q\"");
	assert_string_equal(pt_buf_str(&b), "x=\\\"q\\\"");
	pt_buf_free(&b);
}

/* Every byte value in every position yields a valid document. */
static void test_every_byte_value_yields_valid_json(void **state)
{
	struct pt_buf b;
	struct pt_json j;
	(void)state;

	pt_buf_init(&b);
	pt_json_init(&j, &b);
	pt_json_begin_array(&j);
	for (int c = 1; c < 256; c++) {
		char s[4] = { (char)c, 'x', (char)c, '\0' };

		pt_json_string(&j, s);
	}
	pt_json_end_array(&j);
	assert_true(pt_buf_ok(&b));
	assert_valid_json(pt_buf_str(&b));
	assert_jq_raw(pt_buf_str(&b), "length", "255");
	pt_buf_free(&b);
}

/* ---- streaming through a sink ----------------------------------------------------- */

struct capture {
	char *data;
	size_t len, calls, fail_after; /* fail_after: calls that succeed (0: all) */
};

static int capture_sink(void *ctx, const char *data, size_t len)
{
	struct capture *c = ctx;

	if (c->fail_after && c->calls >= c->fail_after)
		return -ENOSPC;
	c->calls++;
	c->data = realloc(c->data, c->len + len + 1);
	assert_non_null(c->data);
	memcpy(c->data + c->len, data, len);
	c->len += len;
	c->data[c->len] = '\0';
	return 0;
}

static void test_sink_streams_in_bounded_memory(void **state)
{
	struct capture c = { 0 };
	struct pt_buf b;
	struct pt_json j;
	size_t max_cap = 0;
	(void)state;

	/* A document 40 times the chunk: handed on in pieces, never held. */
	pt_buf_init(&b);
	pt_buf_set_sink(&b, capture_sink, &c);
	pt_json_init(&j, &b);
	pt_json_begin_array(&j);
	for (int i = 0; i < 20000; i++) {
		pt_json_string(&j, "0000:10:00.0 did not take it");
		if (b.cap > max_cap)
			max_cap = b.cap;
	}
	pt_json_end_array(&j);
	assert_int_equal(pt_buf_flush(&b), 0);
	assert_true(pt_buf_ok(&b));
	assert_int_equal(b.len, 0);
	assert_true(c.calls > 20);
	assert_true(max_cap <= 2 * PT_BUF_SINK_CHUNK);
	assert_true(c.len > 40 * PT_BUF_SINK_CHUNK);
	/* jq parses it whole (and so checks it). */
	assert_jq_raw(c.data, "length", "20000");
	pt_buf_free(&b);
	free(c.data);
}

static void test_sink_failure_is_sticky(void **state)
{
	struct capture c = { .fail_after = 1 };
	struct pt_buf b;
	size_t cap;
	char line[100];
	(void)state;

	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	pt_buf_init(&b);
	pt_buf_set_sink(&b, capture_sink, &c);
	while (c.calls == 0)
		pt_buf_puts(&b, line);
	assert_true(pt_buf_ok(&b));
	/* The second chunk fails (a full disk): sticky, and nothing more is
	 * kept, so a failed write cannot grow the buffer without bound. */
	for (int i = 0; i < 2000; i++)
		pt_buf_puts(&b, line);
	assert_false(pt_buf_ok(&b));
	cap = b.cap;
	for (int i = 0; i < 2000; i++)
		pt_buf_printf(&b, "%s", line);
	assert_int_equal(b.cap, cap);
	assert_true(b.len <= PT_BUF_SINK_CHUNK + sizeof(line));
	assert_int_equal(pt_buf_flush(&b), -ENOSPC);
	assert_int_equal(c.calls, 1);
	pt_buf_free(&b);
	free(c.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* layout */
		cmocka_unit_test(test_empty_object_and_array),
		cmocka_unit_test(test_flat_object),
		cmocka_unit_test(test_nested_objects_and_arrays),
		cmocka_unit_test(test_state_file_shape),
		cmocka_unit_test(test_many_elements_get_commas),
		cmocka_unit_test(test_nesting_to_the_depth_limit),
		cmocka_unit_test(test_regression_json_nesting_beyond_depth_limit_loses_commas),
		/* scalars */
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_key_is_escaped),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_printf_lengths),
		/* strings */
		cmocka_unit_test(test_escape_quote_and_backslash),
		cmocka_unit_test(test_escape_control_characters),
		cmocka_unit_test(test_escape_del),
		cmocka_unit_test(test_escape_valid_utf8_passes_through),
		cmocka_unit_test(test_escape_invalid_utf8_becomes_replacement),
		cmocka_unit_test(test_escape_rejects_overlong_encodings),
		cmocka_unit_test(test_escape_rejects_surrogates_and_beyond_unicode),
		cmocka_unit_test(test_escape_appends),
		cmocka_unit_test(test_every_byte_value_yields_valid_json),
		/* streaming */
		cmocka_unit_test(test_sink_streams_in_bounded_memory),
		cmocka_unit_test(test_sink_failure_is_sticky),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
