/* SPDX-License-Identifier: MIT */
/*
 * test_cmdline.c — the kernel command line: the tokenizer (which must read
 * a line as the kernel's lib/cmdline.c next_arg() does) and the pick-up of
 * pt.* keys and root= into pt_options.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>

#include "cmdline.h"
#include "config.h"
#include "spec.h"
#include "testutil.h"

/* ---- the tokenizer ------------------------------------------------------------- */

#define MAX_PARAMS 16

struct seen {
	unsigned n;
	char *param[MAX_PARAMS];
	char *value[MAX_PARAMS]; /* NULL for a bare word */
	int stop_at;		 /* return 7 from the call with this index (1-based) */
};

static int collect(const char *param, const char *value, void *userdata)
{
	struct seen *s = userdata;

	assert_true(s->n < MAX_PARAMS);
	s->param[s->n] = strdup(param);
	s->value[s->n] = value ? strdup(value) : NULL;
	s->n++;
	return s->stop_at && (int)s->n == s->stop_at ? 7 : 0;
}

static void seen_free(struct seen *s)
{
	for (unsigned i = 0; i < s->n; i++) {
		free(s->param[i]);
		free(s->value[i]);
	}
	*s = (struct seen){ 0 };
}

/* The expected parameters: pairs of (param, value-or-NULL), ended by a NULL param. */
static bool same_str(const char *a, const char *b)
{
	return a && b ? streq(a, b) : a == b;
}

static void check_walk(const char *line, const char *const *want)
{
	struct seen s = { 0 };
	unsigned n = 0;
	bool ok;
	int r;

	r = pt_cmdline_walk(line, collect, &s);
	while (want[2 * n])
		n++;
	ok = r == 0 && s.n == n;
	for (unsigned i = 0; ok && i < n; i++)
		ok = same_str(s.param[i], want[2 * i]) && same_str(s.value[i], want[2 * i + 1]);
	if (!ok) {
		print_error("'%s' (returned %d) gave:\n", line, r);
		for (unsigned i = 0; i < s.n; i++)
			print_error("  [%u] '%s' = %s%s%s\n", i, s.param[i], s.value[i] ? "'" : "",
				    s.value[i] ? s.value[i] : "NULL", s.value[i] ? "'" : "");
		print_error("expected:\n");
		for (unsigned i = 0; i < n; i++)
			print_error("  [%u] '%s' = %s%s%s\n", i, want[2 * i],
				    want[2 * i + 1] ? "'" : "",
				    want[2 * i + 1] ? want[2 * i + 1] : "NULL",
				    want[2 * i + 1] ? "'" : "");
	}
	seen_free(&s);
	if (!ok)
		fail();
}

#define WALK(line, ...) check_walk((line), (const char *const[]){ __VA_ARGS__, NULL, NULL })
#define WALK_NONE(line) check_walk((line), (const char *const[]){ NULL, NULL })

static void test_walk_quoted_value_keeps_blanks(void **state)
{
	(void)state;
	WALK("pt.devices=\"26:00.0, 26:00.1\"", "pt.devices", "26:00.0, 26:00.1");
	WALK("ro pt.devices=\"26:00.0, 26:00.1\" quiet", "ro", NULL, "pt.devices",
	     "26:00.0, 26:00.1", "quiet", NULL);
}

static void test_walk_whole_parameter_quoted(void **state)
{
	(void)state;
	WALK("\"pt.devices=a b\"", "pt.devices", "a b");
	WALK("x \"pt.devices=a b\" y", "x", NULL, "pt.devices", "a b", "y", NULL);
	WALK("\"pt.off\"", "pt.off", NULL);
}

static void test_walk_quotes_in_the_middle_stay(void **state)
{
	(void)state;
	WALK("pt.devices=26:00.0,\"26:00.1\"", "pt.devices", "26:00.0,\"26:00.1\"");
	WALK("a=b\"c d\"e f", "a", "b\"c d\"e", "f", NULL);
	/* a value that starts quoted but goes on after the closing quote */
	WALK("a=\"b\"c", "a", "b\"c");
}

static void test_walk_unterminated_quote_runs_to_the_end(void **state)
{
	(void)state;
	WALK("pt.devices=\"26:00.0 pt.off", "pt.devices", "26:00.0 pt.off");
	WALK("a \"b c", "a", NULL, "b c", NULL);
}

static void test_walk_bare_key_has_null_value(void **state)
{
	(void)state;
	WALK("pt.off", "pt.off", NULL);
	WALK("quiet splash", "quiet", NULL, "splash", NULL);
}

static void test_walk_empty_value(void **state)
{
	(void)state;
	WALK("pt.devices=", "pt.devices", "");
	WALK("pt.devices=\"\"", "pt.devices", "");
	WALK("a= b", "a", "", "b", NULL);
}

static void test_walk_only_first_equals_splits(void **state)
{
	(void)state;
	WALK("root=UUID=1234-abcd", "root", "UUID=1234-abcd");
	/* the kernel looks for '=' from the second character on */
	WALK("=x", "=x", NULL);
}

static void test_walk_blank_separators(void **state)
{
	(void)state;
	WALK("a=1  b=2\t\tc=3\nd\r\ne \v\ff", "a", "1", "b", "2", "c", "3", "d", NULL, "e", NULL,
	     "f", NULL);
}

static void test_walk_leading_and_trailing_blanks(void **state)
{
	(void)state;
	WALK("   a=1 b   ", "a", "1", "b", NULL);
	WALK("\n\t a \n", "a", NULL);
	/* /proc/cmdline ends with a newline */
	WALK("ro quiet\n", "ro", NULL, "quiet", NULL);
}

static void test_walk_empty_lines(void **state)
{
	(void)state;
	WALK_NONE("");
	WALK_NONE("     ");
	WALK_NONE("\n");
	WALK_NONE(" \t \n ");
}

static void test_walk_double_dash_ends_parameters(void **state)
{
	(void)state;
	/* firecracker's command line: what follows "--" is init's */
	WALK("console=ttyS0 rdinit=/process_api -- --firecracker-init --addr 0.0.0.0:2024",
	     "console", "ttyS0", "rdinit", "/process_api");
	WALK("pt.off -- pt.devices=26:00.0", "pt.off", NULL);
	WALK_NONE("-- pt.devices=26:00.0");
	WALK_NONE("\"--\" pt.devices=26:00.0");
	/* "--" with a value, or longer, is an ordinary parameter */
	WALK("a --=x b", "a", NULL, "--", "x", "b", NULL);
	WALK("a --- b", "a", NULL, "---", NULL, "b", NULL);
}

static void test_walk_callback_stops_the_walk(void **state)
{
	struct seen s = { .stop_at = 2 };
	(void)state;

	assert_int_equal(pt_cmdline_walk("a b c d", collect, &s), 7);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.param[1], "b");
	seen_free(&s);
}

static void test_walk_does_not_modify_the_line(void **state)
{
	const char line[] = "\"pt.devices=a b\" x=\"y\" --";
	char copy[sizeof(line)];
	struct seen s = { 0 };
	(void)state;

	memcpy(copy, line, sizeof(line));
	assert_int_equal(pt_cmdline_walk(copy, collect, &s), 0);
	assert_memory_equal(copy, line, sizeof(line));
	seen_free(&s);
}

/*
 * The kernel's isspace() (lib/ctype.c) also counts 0xa0 (Latin-1 NBSP) as a
 * blank, so next_arg() splits there; pt's kspace() does not, and reads one
 * parameter where the kernel read two.
 */
static void test_regression_cmdline_byte_a0_is_a_kernel_blank(void **state)
{
	(void)state;
	WALK("pt.devices=26:00.0\xa0pt.off", "pt.devices", "26:00.0", "pt.off", NULL);
}

/* ---- pt_cmdline_parse ------------------------------------------------------------ */

struct parsed {
	struct pt_options o;
	struct pt_diag d;
};

static void parse(struct parsed *p, const char *line)
{
	pt_options_init(&p->o);
	pt_diag_init(&p->d);
	assert_int_equal(pt_cmdline_parse(line, &p->o, &p->d), 0);
}

static void parsed_free(struct parsed *p)
{
	pt_options_free(&p->o);
	pt_diag_free(&p->d);
}

#define BIT(k) (1u << (k))

static void assert_defaults(const struct pt_options *o)
{
	assert_null(o->devices);
	assert_false(o->off);
	assert_false(o->dryrun);
	assert_int_equal(o->group, PT_GROUP_AUTO);
	assert_int_equal(o->onfail, PT_ONFAIL_RELEASE);
	assert_int_equal(o->fb, PT_FB_AUTO);
	assert_int_equal(o->wait_ms, 0);
	assert_int_equal(o->timeout_ms, PT_TIMEOUT_DEFAULT_MS);
	assert_int_equal(o->log_level, PT_LOG_INFO);
	assert_null(o->config);
	assert_null(o->init);
	assert_null(o->root);
	assert_int_equal(o->set, 0);
}

static void test_parse_empty_and_blank_lines(void **state)
{
	static const char *const lines[] = { "", "   ", "\n", "ro quiet splash\n" };
	(void)state;

	for (size_t i = 0; i < ELEMENTSOF(lines); i++) {
		struct parsed p;

		parse(&p, lines[i]);
		assert_defaults(&p.o);
		assert_int_equal(p.d.n, 0);
		parsed_free(&p);
	}
}

static void test_parse_every_key(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "BOOT_IMAGE=/vmlinuz pt.devices=26:00.0 pt.off pt.dryrun pt.group=strict "
		  "pt.onfail=keep pt.fb=release pt.wait=1500 pt.log=debug "
		  "pt.config=/etc/other.conf pt.timeout=250 pt.init=/sbin/init "
		  "pt.protect=8086:a102@00:17.0 quiet\n");
	assert_diag_counts(&p.d, 0, 0);
	assert_string_equal(p.o.devices, "26:00.0");
	assert_true(p.o.off);
	assert_true(p.o.dryrun);
	assert_int_equal(p.o.group, PT_GROUP_STRICT);
	assert_int_equal(p.o.onfail, PT_ONFAIL_KEEP);
	assert_int_equal(p.o.fb, PT_FB_RELEASE);
	assert_int_equal(p.o.wait_ms, 1500);
	assert_int_equal(p.o.log_level, PT_LOG_DEBUG);
	assert_string_equal(p.o.config, "/etc/other.conf");
	assert_int_equal(p.o.timeout_ms, 250);
	assert_string_equal(p.o.init, "/sbin/init");
	assert_string_equal(p.o.protect, "8086:a102@00:17.0");
	assert_int_equal(p.o.set, BIT(_PT_KEY_MAX) - 1);
	parsed_free(&p);
}

static void test_parse_every_enum_value(void **state)
{
	static const struct {
		const char *line;
		size_t offset;
		int value;
	} cases[] = {
		{ "pt.group=auto", offsetof(struct pt_options, group), PT_GROUP_AUTO },
		{ "pt.group=strict", offsetof(struct pt_options, group), PT_GROUP_STRICT },
		{ "pt.group=warn", offsetof(struct pt_options, group), PT_GROUP_WARN },
		{ "pt.onfail=release", offsetof(struct pt_options, onfail), PT_ONFAIL_RELEASE },
		{ "pt.onfail=keep", offsetof(struct pt_options, onfail), PT_ONFAIL_KEEP },
		{ "pt.fb=auto", offsetof(struct pt_options, fb), PT_FB_AUTO },
		{ "pt.fb=release", offsetof(struct pt_options, fb), PT_FB_RELEASE },
		{ "pt.fb=keep", offsetof(struct pt_options, fb), PT_FB_KEEP },
		{ "pt.log=err", offsetof(struct pt_options, log_level), PT_LOG_ERR },
		{ "pt.log=warn", offsetof(struct pt_options, log_level), PT_LOG_WARN },
		{ "pt.log=info", offsetof(struct pt_options, log_level), PT_LOG_INFO },
		{ "pt.log=debug", offsetof(struct pt_options, log_level), PT_LOG_DEBUG },
	};
	(void)state;

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct parsed p;
		int v;

		parse(&p, cases[i].line);
		memcpy(&v, (const char *)&p.o + cases[i].offset, sizeof(v));
		if (v != cases[i].value)
			fail_msg("%s: got %d, expected %d", cases[i].line, v, cases[i].value);
		assert_diag_counts(&p.d, 0, 0);
		parsed_free(&p);
	}
}

static void test_parse_boolean_spellings(void **state)
{
	static const char *const yes[] = { "pt.off",	  "pt.off=1",  "pt.off=yes",
					   "pt.off=true", "pt.off=on", "pt.off=y" };
	static const char *const no[] = { "pt.off=0", "pt.off=no", "pt.off=false", "pt.off=off",
					  "pt.off=n" };
	(void)state;

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		struct parsed p;

		parse(&p, yes[i]);
		assert_true(p.o.off);
		assert_true(p.o.set & BIT(PT_KEY_OFF));
		assert_diag_counts(&p.d, 0, 0);
		parsed_free(&p);
	}
	for (size_t i = 0; i < ELEMENTSOF(no); i++) {
		struct parsed p;

		parse(&p, no[i]);
		assert_false(p.o.off);
		/* an explicit "off" is still a key the command line set */
		assert_true(p.o.set & BIT(PT_KEY_OFF));
		assert_diag_counts(&p.d, 0, 0);
		parsed_free(&p);
	}
}

static void test_parse_dryrun(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "pt.dryrun=1");
	assert_true(p.o.dryrun);
	assert_false(p.o.off);
	parsed_free(&p);
	parse(&p, "pt.dryrun pt.dryrun=0");
	assert_false(p.o.dryrun);
	parsed_free(&p);
}

static void test_parse_off_garbage_is_cautiously_set(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "pt.off=garbage");
	assert_true(p.o.off);
	assert_diag_has(&p.d, PT_SEV_WARNING, "pt.off='garbage' is not 1/0");
	assert_diag_has(&p.d, PT_SEV_WARNING, "taken as set");
	assert_diag_counts(&p.d, 0, 1);
	parsed_free(&p);

	parse(&p, "pt.off=");
	assert_true(p.o.off);
	assert_diag_counts(&p.d, 0, 1);
	parsed_free(&p);
}

static void test_parse_off_zero_clears(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "pt.off pt.off=0");
	assert_false(p.o.off);
	assert_diag_counts(&p.d, 0, 0);
	parsed_free(&p);
}

static void test_parse_quoted_device_list(void **state)
{
	struct parsed p;
	struct pt_spec spec;
	struct pt_spec_error err;
	(void)state;

	parse(&p, "ro pt.devices=\"26:00.0, 26:00.1\" quiet");
	assert_string_equal(p.o.devices, "26:00.0, 26:00.1");
	assert_int_equal(pt_spec_parse(p.o.devices, &spec, &err), 0);
	assert_int_equal(spec.n, 2);
	assert_int_equal(spec.sel[1].addr.func, 1);
	parsed_free(&p);
}

static void test_parse_repeated_devices_concatenate(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "pt.devices=26:00.0 pt.devices=27:00.0");
	assert_string_equal(p.o.devices, "26:00.0,27:00.0");
	parsed_free(&p);

	parse(&p, "pt.devices=\"26:00.0, 26:00.1\" quiet pt.devices=10de:1c03 pt.devices=!0a:00.0");
	assert_string_equal(p.o.devices, "26:00.0, 26:00.1,10de:1c03,!0a:00.0");
	assert_diag_counts(&p.d, 0, 0);
	parsed_free(&p);

	/* an empty value adds no empty entry */
	parse(&p, "pt.devices= pt.devices=26:00.0 pt.devices=");
	assert_string_equal(p.o.devices, "26:00.0");
	parsed_free(&p);
}

static void test_parse_repeated_key_last_wins(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "pt.group=strict pt.group=warn pt.wait=10 pt.wait=20");
	assert_int_equal(p.o.group, PT_GROUP_WARN);
	assert_int_equal(p.o.wait_ms, 20);
	parsed_free(&p);
}

static void test_parse_root(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "BOOT_IMAGE=/vmlinuz root=UUID=0f1e2d3c-aaaa-bbbb-cccc-112233445566 ro");
	assert_string_equal(p.o.root, "UUID=0f1e2d3c-aaaa-bbbb-cccc-112233445566");
	/* root is not a pt key: it marks nothing as set */
	assert_int_equal(p.o.set, 0);
	parsed_free(&p);

	parse(&p, "root=/dev/sda1 root=PARTUUID=abcd-01");
	assert_string_equal(p.o.root, "PARTUUID=abcd-01");
	parsed_free(&p);

	parse(&p, "root");
	assert_null(p.o.root);
	parsed_free(&p);
}

static void test_parse_after_double_dash_is_ignored(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "console=ttyS0 rdinit=/process_api -- --firecracker-init --addr 0.0.0.0:2024");
	assert_defaults(&p.o);
	assert_int_equal(p.d.n, 0);
	parsed_free(&p);

	parse(&p, "pt.dryrun -- pt.devices=26:00.0 pt.off root=/dev/sda");
	assert_true(p.o.dryrun);
	assert_false(p.o.off);
	assert_null(p.o.devices);
	assert_null(p.o.root);
	parsed_free(&p);
}

static void test_parse_ignores_keys_of_others(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "devices=26:00.0 vfio-pci.ids=10de:1c03 ptdevices=1 PT.devices=1 off pt");
	assert_defaults(&p.o);
	assert_int_equal(p.d.n, 0);
	parsed_free(&p);
}

static void test_parse_unknown_key_suggests_nearest(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "pt.device=26:00.0");
	assert_null(p.o.devices);
	assert_diag_has(&p.d, PT_SEV_WARNING, "unknown key pt.device; did you mean pt.devices?");
	assert_diag_counts(&p.d, 0, 1);
	parsed_free(&p);

	parse(&p, "pt.grop=strict");
	assert_int_equal(p.o.group, PT_GROUP_AUTO);
	assert_diag_has(&p.d, PT_SEV_WARNING, "unknown key pt.grop; did you mean pt.group?");
	parsed_free(&p);

	parse(&p, "pt.dry-run");
	assert_false(p.o.dryrun);
	assert_diag_has(&p.d, PT_SEV_WARNING, "did you mean pt.dryrun?");
	parsed_free(&p);

	parse(&p, "pt.timout=100");
	assert_diag_has(&p.d, PT_SEV_WARNING, "did you mean pt.timeout?");
	parsed_free(&p);
}

static void test_parse_unknown_far_key_has_no_suggestion(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "pt.frobnicate=1");
	assert_diag_has(&p.d, PT_SEV_WARNING, "unknown key pt.frobnicate");
	assert_diag_lacks(&p.d, PT_SEV_WARNING, "did you mean");
	assert_diag_counts(&p.d, 0, 1);
	assert_int_equal(p.o.set, 0);
	parsed_free(&p);
}

static void test_parse_bad_enum_keeps_default(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "pt.group=bogus pt.onfail=never pt.fb=off pt.log=verbose");
	assert_int_equal(p.o.group, PT_GROUP_AUTO);
	assert_int_equal(p.o.onfail, PT_ONFAIL_RELEASE);
	assert_int_equal(p.o.fb, PT_FB_AUTO);
	assert_int_equal(p.o.log_level, PT_LOG_INFO);
	assert_diag_has(&p.d, PT_SEV_WARNING,
			"pt.group='bogus' is not one of: auto, strict, warn; using the default");
	assert_diag_has(&p.d, PT_SEV_WARNING, "pt.onfail='never' is not one of: release, keep");
	assert_diag_has(&p.d, PT_SEV_WARNING, "pt.fb='off' is not one of: auto, release, keep");
	assert_diag_has(&p.d, PT_SEV_WARNING, "pt.log='verbose' is not one of: err, warn, info");
	assert_diag_counts(&p.d, 0, 4);
	/* a rejected value does not count as set, so a config blob's value stands */
	assert_int_equal(p.o.set, 0);
	parsed_free(&p);

	/* values are case-sensitive */
	parse(&p, "pt.group=STRICT");
	assert_int_equal(p.o.group, PT_GROUP_AUTO);
	assert_diag_counts(&p.d, 0, 1);
	parsed_free(&p);
}

static void test_parse_bad_wait_uses_default(void **state)
{
	static const char *const bad[] = { "pt.wait=abc", "pt.wait=",	  "pt.wait=-5",
					   "pt.wait=1.5", "pt.wait=10ms", "pt.wait= 10" };
	(void)state;

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		struct parsed p;

		parse(&p, bad[i]);
		assert_int_equal(p.o.wait_ms, 0);
		assert_diag_has(&p.d, PT_SEV_WARNING, "is not a number of milliseconds");
		assert_diag_counts(&p.d, 0, 1);
		assert_false(p.o.set & BIT(PT_KEY_WAIT));
		parsed_free(&p);
	}
}

static void test_parse_wait_and_timeout_are_clamped(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "pt.wait=120000");
	assert_int_equal(p.o.wait_ms, PT_WAIT_MAX_MS);
	assert_diag_counts(&p.d, 0, 0);
	parsed_free(&p);

	parse(&p, "pt.wait=200000");
	assert_int_equal(p.o.wait_ms, PT_WAIT_MAX_MS);
	assert_diag_has(&p.d, PT_SEV_WARNING,
			"pt.wait=200000 is outside 0-120000 ms; using 120000");
	parsed_free(&p);

	parse(&p, "pt.wait=99999999");
	assert_int_equal(p.o.wait_ms, PT_WAIT_MAX_MS);
	assert_diag_has(&p.d, PT_SEV_WARNING, "is outside 0-120000 ms");
	parsed_free(&p);

	parse(&p, "pt.timeout=5");
	assert_int_equal(p.o.timeout_ms, PT_TIMEOUT_MIN_MS);
	assert_diag_has(&p.d, PT_SEV_WARNING, "pt.timeout=5 is outside 10-120000 ms; using 10");
	parsed_free(&p);

	parse(&p, "pt.timeout=0");
	assert_int_equal(p.o.timeout_ms, PT_TIMEOUT_MIN_MS);
	parsed_free(&p);

	parse(&p, "pt.timeout=130000");
	assert_int_equal(p.o.timeout_ms, PT_TIMEOUT_MAX_MS);
	parsed_free(&p);

	parse(&p, "pt.wait=0 pt.timeout=10");
	assert_int_equal(p.o.wait_ms, 0);
	assert_int_equal(p.o.timeout_ms, 10);
	assert_diag_counts(&p.d, 0, 0);
	parsed_free(&p);
}

/*
 * parse_ms() gives up on numbers above 100000000, so pt.wait=999999999 is
 * called "not a number" and waits 0 ms, while pt.wait=99999999 waits the
 * maximum: a larger request yields a shorter wait.
 */
static void test_regression_cmdline_huge_wait_is_clamped_not_dropped(void **state)
{
	struct parsed p;
	bool said_nan, said_clamp;
	unsigned wait1, wait2;
	(void)state;

	parse(&p, "pt.wait=999999999");
	tu_diag_dump(&p.d);
	said_nan = tu_diag_find(&p.d, PT_SEV_WARNING, "is not a number");
	said_clamp = tu_diag_find(&p.d, PT_SEV_WARNING, "is outside 0-120000 ms; using 120000");
	wait1 = p.o.wait_ms;
	parsed_free(&p);

	parse(&p, "pt.wait=99999999999999999999999");
	wait2 = p.o.wait_ms;
	parsed_free(&p);

	assert_false(said_nan);
	assert_true(said_clamp);
	assert_int_equal(wait1, PT_WAIT_MAX_MS);
	assert_int_equal(wait2, PT_WAIT_MAX_MS);
}

static void test_parse_bare_key_needing_a_value(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "pt.devices pt.group pt.wait");
	assert_null(p.o.devices);
	assert_int_equal(p.o.set, 0);
	assert_diag_has(&p.d, PT_SEV_WARNING, "pt.devices has no value");
	assert_diag_has(&p.d, PT_SEV_WARNING, "pt.group has no value");
	assert_diag_counts(&p.d, 0, 3);
	parsed_free(&p);
}

/* The hint for a bare key tells the user what to write; on the kernel
 * command line that is "pt.group=...", not "group=..." (which pt never
 * reads). */
static void test_regression_cmdline_bare_key_hint_names_pt_prefix(void **state)
{
	struct parsed p;
	bool ok;
	(void)state;

	parse(&p, "pt.group");
	tu_diag_dump(&p.d);
	ok = tu_diag_find(&p.d, PT_SEV_WARNING, "write pt.group=...");
	parsed_free(&p);
	assert_true(ok);
}

static void test_parse_relative_paths_are_refused(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "pt.config=relative pt.init=sbin/init");
	assert_null(p.o.config);
	assert_null(p.o.init);
	assert_diag_has(&p.d, PT_SEV_WARNING, "pt.config='relative' is not an absolute path");
	assert_diag_has(&p.d, PT_SEV_WARNING, "pt.init='sbin/init' is not an absolute path");
	assert_int_equal(p.o.set, 0);
	parsed_free(&p);

	parse(&p, "pt.config=");
	assert_null(p.o.config);
	assert_diag_counts(&p.d, 0, 1);
	parsed_free(&p);
}

static void test_parse_quoted_path(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "\"pt.config=/etc/my pt.conf\"");
	assert_string_equal(p.o.config, "/etc/my pt.conf");
	parsed_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* tokenizer */
		cmocka_unit_test(test_walk_quoted_value_keeps_blanks),
		cmocka_unit_test(test_walk_whole_parameter_quoted),
		cmocka_unit_test(test_walk_quotes_in_the_middle_stay),
		cmocka_unit_test(test_walk_unterminated_quote_runs_to_the_end),
		cmocka_unit_test(test_walk_bare_key_has_null_value),
		cmocka_unit_test(test_walk_empty_value),
		cmocka_unit_test(test_walk_only_first_equals_splits),
		cmocka_unit_test(test_walk_blank_separators),
		cmocka_unit_test(test_walk_leading_and_trailing_blanks),
		cmocka_unit_test(test_walk_empty_lines),
		cmocka_unit_test(test_walk_double_dash_ends_parameters),
		cmocka_unit_test(test_walk_callback_stops_the_walk),
		cmocka_unit_test(test_walk_does_not_modify_the_line),
		cmocka_unit_test(test_regression_cmdline_byte_a0_is_a_kernel_blank),
		/* pt.* keys */
		cmocka_unit_test(test_parse_empty_and_blank_lines),
		cmocka_unit_test(test_parse_every_key),
		cmocka_unit_test(test_parse_every_enum_value),
		cmocka_unit_test(test_parse_boolean_spellings),
		cmocka_unit_test(test_parse_dryrun),
		cmocka_unit_test(test_parse_off_garbage_is_cautiously_set),
		cmocka_unit_test(test_parse_off_zero_clears),
		cmocka_unit_test(test_parse_quoted_device_list),
		cmocka_unit_test(test_parse_repeated_devices_concatenate),
		cmocka_unit_test(test_parse_repeated_key_last_wins),
		cmocka_unit_test(test_parse_root),
		cmocka_unit_test(test_parse_after_double_dash_is_ignored),
		cmocka_unit_test(test_parse_ignores_keys_of_others),
		cmocka_unit_test(test_parse_unknown_key_suggests_nearest),
		cmocka_unit_test(test_parse_unknown_far_key_has_no_suggestion),
		cmocka_unit_test(test_parse_bad_enum_keeps_default),
		cmocka_unit_test(test_parse_bad_wait_uses_default),
		cmocka_unit_test(test_parse_wait_and_timeout_are_clamped),
		cmocka_unit_test(test_regression_cmdline_huge_wait_is_clamped_not_dropped),
		cmocka_unit_test(test_parse_bare_key_needing_a_value),
		cmocka_unit_test(test_regression_cmdline_bare_key_hint_names_pt_prefix),
		cmocka_unit_test(test_parse_relative_paths_are_refused),
		cmocka_unit_test(test_parse_quoted_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
