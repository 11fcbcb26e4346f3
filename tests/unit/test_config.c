/* SPDX-License-Identifier: MIT */
/*
 * test_config.c — the config blob (pt_config_parse, pt_config_read) and the
 * merge of blob and command line (pt_options_merge).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdline.h"
#include "config.h"
#include "testutil.h"

#define CONF "/etc/pt.conf"
#define BIT(k) (1u << (k))

struct parsed {
	struct pt_options o;
	struct pt_diag d;
	int r;
};

static void parse_len(struct parsed *p, const char *text, size_t len)
{
	pt_diag_init(&p->d);
	p->r = pt_config_parse(text, len, CONF, &p->o, &p->d);
}

static void parse(struct parsed *p, const char *text)
{
	parse_len(p, text, strlen(text));
}

static void parse_ok(struct parsed *p, const char *text)
{
	parse(p, text);
	if (p->r != 0) {
		tu_diag_dump(&p->d);
		fail_msg("config rejected: %d", p->r);
	}
}

static void parsed_free(struct parsed *p)
{
	pt_options_free(&p->o);
	pt_diag_free(&p->d);
}

static void assert_nothing_set(const struct pt_options *o)
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

/* ---- pt_config_parse: accepted blobs ------------------------------------------------ */

static void test_parse_design_example(void **state)
{
	struct parsed p;
	(void)state;

	parse_ok(&p, "# pt.conf \xe2\x80\x94 same keys as the command line, without \"pt.\"\n"
		     "devices = 10de:1c03@26:00.0, 10de:10f1@26:00.1\n"
		     "group   = auto\n"
		     "onfail  = release\n");
	assert_diag_counts(&p.d, 0, 0);
	assert_string_equal(p.o.devices, "10de:1c03@26:00.0, 10de:10f1@26:00.1");
	assert_int_equal(p.o.group, PT_GROUP_AUTO);
	assert_int_equal(p.o.onfail, PT_ONFAIL_RELEASE);
	assert_int_equal(p.o.set, BIT(PT_KEY_DEVICES) | BIT(PT_KEY_GROUP) | BIT(PT_KEY_ONFAIL));
	parsed_free(&p);
}

static void test_parse_every_key(void **state)
{
	struct parsed p;
	(void)state;

	parse_ok(&p, "devices = 26:00.*\noff = 0\ndryrun = yes\ngroup = warn\nonfail = keep\n"
		     "fb = keep\nwait = 2500\ntimeout = 750\nlog = err\nprotect = 00:17.0\n");
	assert_diag_counts(&p.d, 0, 0);
	assert_string_equal(p.o.devices, "26:00.*");
	assert_string_equal(p.o.protect, "00:17.0");
	assert_false(p.o.off);
	assert_true(p.o.dryrun);
	assert_int_equal(p.o.group, PT_GROUP_WARN);
	assert_int_equal(p.o.onfail, PT_ONFAIL_KEEP);
	assert_int_equal(p.o.fb, PT_FB_KEEP);
	assert_int_equal(p.o.wait_ms, 2500);
	assert_int_equal(p.o.timeout_ms, 750);
	assert_int_equal(p.o.log_level, PT_LOG_ERR);
	assert_int_equal(p.o.set,
			 (BIT(_PT_KEY_MAX) - 1) & ~(BIT(PT_KEY_CONFIG) | BIT(PT_KEY_INIT)));
	parsed_free(&p);
}

static void test_parse_comments(void **state)
{
	struct parsed p;
	(void)state;

	parse_ok(&p, "# a full-line comment\n"
		     "   # an indented one\n"
		     "group = strict # a trailing comment\n"
		     "devices = 26:00.0#no blank before it\n"
		     "#onfail = keep\n");
	assert_diag_counts(&p.d, 0, 0);
	assert_int_equal(p.o.group, PT_GROUP_STRICT);
	assert_string_equal(p.o.devices, "26:00.0");
	assert_int_equal(p.o.onfail, PT_ONFAIL_RELEASE);
	parsed_free(&p);
}

static void test_parse_blank_lines(void **state)
{
	struct parsed p;
	(void)state;

	parse_ok(&p, "\n\n   \n\t\n group = warn \n\n");
	assert_diag_counts(&p.d, 0, 0);
	assert_int_equal(p.o.group, PT_GROUP_WARN);
	parsed_free(&p);
}

static void test_parse_crlf_line_endings(void **state)
{
	struct parsed p;
	(void)state;

	parse_ok(&p, "# written on Windows\r\n"
		     "devices = 26:00.0, 26:00.1\r\n"
		     "\r\n"
		     "group = strict # comment\r\n"
		     "off\r\n"
		     "wait = 100\r\n");
	assert_diag_counts(&p.d, 0, 0);
	assert_string_equal(p.o.devices, "26:00.0, 26:00.1");
	assert_int_equal(p.o.group, PT_GROUP_STRICT);
	assert_true(p.o.off);
	assert_int_equal(p.o.wait_ms, 100);
	parsed_free(&p);
}

static void test_parse_quoted_value(void **state)
{
	struct parsed p;
	(void)state;

	parse_ok(&p, "devices = \"26:00.0, 26:00.1\"\ngroup = \"strict\"\n");
	assert_diag_counts(&p.d, 0, 0);
	assert_string_equal(p.o.devices, "26:00.0, 26:00.1");
	assert_int_equal(p.o.group, PT_GROUP_STRICT);
	parsed_free(&p);
}

static void test_parse_bare_boolean_lines(void **state)
{
	struct parsed p;
	(void)state;

	parse_ok(&p, "off\n  dryrun  \n");
	assert_diag_counts(&p.d, 0, 0);
	assert_true(p.o.off);
	assert_true(p.o.dryrun);
	assert_int_equal(p.o.set, BIT(PT_KEY_OFF) | BIT(PT_KEY_DRYRUN));
	parsed_free(&p);
}

static void test_parse_blanks_around_key_and_value(void **state)
{
	struct parsed p;
	(void)state;

	parse_ok(&p, "\t group\t=\tstrict \t\ndevices=26:00.0\nonfail =keep\nfb= release\n");
	assert_diag_counts(&p.d, 0, 0);
	assert_int_equal(p.o.group, PT_GROUP_STRICT);
	assert_string_equal(p.o.devices, "26:00.0");
	assert_int_equal(p.o.onfail, PT_ONFAIL_KEEP);
	assert_int_equal(p.o.fb, PT_FB_RELEASE);
	parsed_free(&p);
}

static void test_parse_last_line_without_newline(void **state)
{
	struct parsed p;
	(void)state;

	parse_ok(&p, "group = strict\nonfail = keep");
	assert_int_equal(p.o.onfail, PT_ONFAIL_KEEP);
	parsed_free(&p);
}

static void test_parse_empty_blob(void **state)
{
	struct parsed p;
	(void)state;

	parse_len(&p, "", 0);
	assert_int_equal(p.r, 0);
	assert_nothing_set(&p.o);
	assert_int_equal(p.d.n, 0);
	parsed_free(&p);
}

static void test_parse_repeated_keys(void **state)
{
	struct parsed p;
	(void)state;

	parse_ok(&p, "devices = 26:00.0\ngroup = strict\ndevices = 10de:1c03\ngroup = warn\n");
	assert_string_equal(p.o.devices, "26:00.0,10de:1c03");
	assert_int_equal(p.o.group, PT_GROUP_WARN);
	parsed_free(&p);
}

static void test_parse_pt_prefix_accepted_with_warning(void **state)
{
	struct parsed p;
	(void)state;

	parse_ok(&p, "# old habits\npt.devices = 26:00.0\n");
	assert_string_equal(p.o.devices, "26:00.0");
	assert_diag_has(&p.d, PT_SEV_WARNING, CONF " line 2: write 'devices' without 'pt.'");
	assert_diag_counts(&p.d, 0, 1);
	parsed_free(&p);
}

/* ---- pt_config_parse: warnings ------------------------------------------------------ */

static void test_parse_unknown_key_names_line_and_suggests(void **state)
{
	struct parsed p;
	(void)state;

	parse_ok(&p, "devices = 26:00.0\n\ndevcies = 27:00.0\ngrop = strict\n");
	assert_string_equal(p.o.devices, "26:00.0");
	assert_int_equal(p.o.group, PT_GROUP_AUTO);
	assert_diag_has(&p.d, PT_SEV_WARNING,
			"unknown key " CONF " line 3: devcies; did you mean devices?");
	assert_diag_has(&p.d, PT_SEV_WARNING, CONF " line 4: grop; did you mean group?");
	/* a file's keys have no "pt." */
	assert_diag_lacks(&p.d, PT_SEV_WARNING, "pt.devices");
	assert_diag_counts(&p.d, 0, 2);
	parsed_free(&p);
}

static void test_parse_unknown_far_key(void **state)
{
	struct parsed p;
	(void)state;

	parse_ok(&p, "frobnicate = 1\n");
	assert_diag_has(&p.d, PT_SEV_WARNING, "unknown key " CONF " line 1: frobnicate; ignored");
	assert_diag_lacks(&p.d, PT_SEV_WARNING, "did you mean");
	assert_int_equal(p.o.set, 0);
	parsed_free(&p);
}

/* A bare word is a boolean key, so an unknown one is a warning, not a syntax error. */
static void test_parse_unknown_bare_word(void **state)
{
	struct parsed p;
	(void)state;

	parse_ok(&p, "group = strict\ngarbage\n");
	assert_int_equal(p.o.group, PT_GROUP_STRICT);
	assert_diag_has(&p.d, PT_SEV_WARNING, CONF " line 2: garbage");
	parsed_free(&p);
}

static void test_parse_bad_values_are_warnings_with_line(void **state)
{
	struct parsed p;
	(void)state;

	parse_ok(&p, "devices = 26:00.0\ngroup = bogus\nwait = soon\noff = maybe\ntimeout = 1\n");
	assert_string_equal(p.o.devices, "26:00.0");
	assert_int_equal(p.o.group, PT_GROUP_AUTO);
	assert_int_equal(p.o.wait_ms, 0);
	assert_true(p.o.off);
	assert_int_equal(p.o.timeout_ms, PT_TIMEOUT_MIN_MS);
	assert_diag_has(&p.d, PT_SEV_WARNING, CONF " line 2: group='bogus' is not one of");
	assert_diag_has(&p.d, PT_SEV_WARNING, CONF " line 3: wait='soon' is not a number");
	assert_diag_has(&p.d, PT_SEV_WARNING, CONF " line 4: off='maybe' is not 1/0");
	assert_diag_has(&p.d, PT_SEV_WARNING, CONF " line 5: timeout=1 is outside 10-120000 ms");
	assert_diag_counts(&p.d, 0, 4);
	parsed_free(&p);
}

static void test_parse_key_without_value_is_a_warning(void **state)
{
	struct parsed p;
	(void)state;

	parse_ok(&p, "group\ndevices =\n");
	assert_diag_has(&p.d, PT_SEV_WARNING, CONF " line 1: group has no value");
	assert_int_equal(p.o.group, PT_GROUP_AUTO);
	parsed_free(&p);
}

static void test_parse_cmdline_only_keys_are_ignored(void **state)
{
	struct parsed p;
	(void)state;

	parse_ok(&p, "config = /etc/other.conf\ninit = /sbin/init\ngroup = warn\n");
	assert_null(p.o.config);
	assert_null(p.o.init);
	assert_int_equal(p.o.group, PT_GROUP_WARN);
	assert_int_equal(p.o.set, BIT(PT_KEY_GROUP));
	assert_diag_has(&p.d, PT_SEV_WARNING,
			CONF " line 1: config: this key is only read from the kernel command line");
	assert_diag_has(&p.d, PT_SEV_WARNING,
			CONF " line 2: init: this key is only read from the kernel command line");
	assert_diag_counts(&p.d, 0, 2);
	parsed_free(&p);
}

/* ---- pt_config_parse: rejected blobs ------------------------------------------------ */

static const struct {
	const char *text;
	const char *where; /* the line the error must name */
	const char *msg;
} syntax_errors[] = {
	{ "devices = 26:00.0\ngroup strict\n", CONF " line 2", "expected 'key = value'" },
	{ "group = strict\ndevices 26:00.0, 26:00.1\n", CONF " line 2", "expected 'key = value'" },
	{ "devices = 26:00.0\n%%%\n", CONF " line 2", "expected 'key = value', found '%%%'" },
	{ "devices = 26:00.0\n\nmy key = 1\n", CONF " line 3", "expected 'key = value'" },
	{ "= 26:00.0\n", CONF " line 1", "expected 'key = value'" },
	{ "devices = 26:00.0\n[pt]\n", CONF " line 2", "expected 'key = value'" },
	{ "devices: 26:00.0\n", CONF " line 1", "expected 'key = value'" },
	{ "group = strict\x1b[0m\n", CONF " line 1", "control character \\x1b" },
	{ "devices = 26:00.0\n\x01\n", CONF " line 2", "control character \\x01" },
	{ "group = strict\rdevices = 26:00.0\n", CONF " line 1", "control character \\x0d" },
	{ "devices = 26:00.0\ngroup = \x0cstrict\n", CONF " line 2", "control character \\x0c" },
};

static void test_parse_syntax_error_rejects_whole_blob(void **state)
{
	(void)state;

	for (size_t i = 0; i < ELEMENTSOF(syntax_errors); i++) {
		struct parsed p;

		parse(&p, syntax_errors[i].text);
		if (p.r != -EINVAL || !tu_diag_find(&p.d, PT_SEV_ERROR, syntax_errors[i].where) ||
		    !tu_diag_find(&p.d, PT_SEV_ERROR, syntax_errors[i].msg)) {
			tu_diag_dump(&p.d);
			fail_msg("case %zu: expected -EINVAL and an error naming \"%s\" with "
				 "\"%s\", "
				 "got %d",
				 i, syntax_errors[i].where, syntax_errors[i].msg, p.r);
		}
		assert_diag_has(&p.d, PT_SEV_ERROR, CONF " rejected as a whole");
		assert_nothing_set(&p.o);
		parsed_free(&p);
	}
}

static void test_parse_warnings_before_a_syntax_error_are_kept(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "frobnicate = 1\ngroup = strict\ndevices = 26:00.0\nbad line\n");
	assert_int_equal(p.r, -EINVAL);
	assert_nothing_set(&p.o);
	assert_diag_has(&p.d, PT_SEV_WARNING, "frobnicate");
	assert_diag_has(&p.d, PT_SEV_ERROR, CONF " line 4: expected 'key = value'");
	parsed_free(&p);
}

static void test_parse_nul_byte_rejects_whole_blob(void **state)
{
	static const char text[] = "devices = 26:00.0\ngro\0up = strict\n";
	static const char first[] = "devi\0ces = 26:00.0\n";
	struct parsed p;
	(void)state;

	parse_len(&p, text, sizeof(text) - 1);
	assert_int_equal(p.r, -EINVAL);
	assert_nothing_set(&p.o);
	assert_diag_has(&p.d, PT_SEV_ERROR, CONF " line 2: contains a NUL byte");
	parsed_free(&p);

	parse_len(&p, first, sizeof(first) - 1);
	assert_int_equal(p.r, -EINVAL);
	assert_nothing_set(&p.o);
	assert_diag_has(&p.d, PT_SEV_ERROR, CONF " line 1: contains a NUL byte");
	parsed_free(&p);
}

static void test_parse_line_length_limit(void **state)
{
	size_t n = PT_CONFIG_MAX_LINE + 64;
	char *text = malloc(n);
	struct parsed p;
	(void)state;

	assert_non_null(text);
	/* line 2: a comment exactly at the limit */
	memcpy(text, "group = strict\n#", 16);
	memset(text + 16, 'x', PT_CONFIG_MAX_LINE - 1);
	text[15 + PT_CONFIG_MAX_LINE] = '\n';
	parse_len(&p, text, 16 + PT_CONFIG_MAX_LINE);
	assert_int_equal(p.r, 0);
	assert_int_equal(p.o.group, PT_GROUP_STRICT);
	parsed_free(&p);

	/* one character more */
	text[15 + PT_CONFIG_MAX_LINE] = 'x';
	text[16 + PT_CONFIG_MAX_LINE] = '\n';
	parse_len(&p, text, 17 + PT_CONFIG_MAX_LINE);
	assert_int_equal(p.r, -EINVAL);
	assert_nothing_set(&p.o);
	assert_diag_has(&p.d, PT_SEV_ERROR, CONF " line 2: longer than 4096 characters");
	parsed_free(&p);

	/* the same as the last line, without its newline */
	parse_len(&p, text, 16 + PT_CONFIG_MAX_LINE);
	assert_int_equal(p.r, -EINVAL);
	assert_diag_has(&p.d, PT_SEV_ERROR, CONF " line 2: longer than 4096 characters");
	parsed_free(&p);
	free(text);
}

static void test_parse_size_limit(void **state)
{
	char *text = malloc(PT_CONFIG_MAX_SIZE + 1);
	struct parsed p;
	(void)state;

	assert_non_null(text);
	memset(text, '\n', PT_CONFIG_MAX_SIZE + 1);
	memcpy(text, "group = strict", 14);

	parse_len(&p, text, PT_CONFIG_MAX_SIZE);
	assert_int_equal(p.r, 0);
	assert_int_equal(p.o.group, PT_GROUP_STRICT);
	parsed_free(&p);

	parse_len(&p, text, PT_CONFIG_MAX_SIZE + 1);
	assert_true(p.r < 0);
	assert_nothing_set(&p.o);
	assert_diag_has(&p.d, PT_SEV_ERROR, CONF " is 65537 bytes; the limit is 65536 bytes");
	parsed_free(&p);
	free(text);
}

/* ---- pt_config_read ------------------------------------------------------------------ */

static char tmpdir[64];

static int setup_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pt-test-config.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmpdir(void **state)
{
	char cmd[128];
	(void)state;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void tmp_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmpdir, name);
}

static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static void test_read_file(void **state)
{
	static const char text[] = "devices = 10de:1c03@26:00.0, 10de:10f1@26:00.1\n"
				   "group   = auto\nonfail  = keep\n";
	char path[128];
	struct pt_options o;
	struct pt_diag d;
	(void)state;

	tmp_path(path, sizeof(path), "pt.conf");
	write_file(path, text, sizeof(text) - 1);
	pt_diag_init(&d);
	assert_int_equal(pt_config_read(path, CONF, &o, &d), 0);
	assert_int_equal(d.n, 0);
	assert_string_equal(o.devices, "10de:1c03@26:00.0, 10de:10f1@26:00.1");
	assert_int_equal(o.onfail, PT_ONFAIL_KEEP);
	pt_options_free(&o);
	pt_diag_free(&d);
}

static void test_read_names_the_shown_path(void **state)
{
	char path[128];
	struct pt_options o;
	struct pt_diag d;
	(void)state;

	tmp_path(path, sizeof(path), "shown.conf");
	write_file(path, "devcies = 26:00.0\n", 18);
	pt_diag_init(&d);
	assert_int_equal(pt_config_read(path, CONF, &o, &d), 0);
	assert_diag_has(&d, PT_SEV_WARNING, CONF " line 1: devcies");
	assert_diag_lacks(&d, PT_SEV_WARNING, tmpdir);
	pt_options_free(&o);
	pt_diag_free(&d);
}

static void test_read_missing_file_is_silent_enoent(void **state)
{
	char path[128];
	struct pt_options o;
	struct pt_diag d;
	(void)state;

	tmp_path(path, sizeof(path), "does-not-exist.conf");
	pt_diag_init(&d);
	assert_int_equal(pt_config_read(path, CONF, &o, &d), -ENOENT);
	assert_int_equal(d.n, 0);
	assert_nothing_set(&o);
	pt_options_free(&o);
	pt_diag_free(&d);
}

static void test_read_directory_is_an_error(void **state)
{
	struct pt_options o;
	struct pt_diag d;
	(void)state;

	pt_diag_init(&d);
	assert_true(pt_config_read(tmpdir, CONF, &o, &d) < 0);
	assert_diag_has(&d, PT_SEV_ERROR, CONF " is not a regular file");
	assert_nothing_set(&o);
	pt_options_free(&o);
	pt_diag_free(&d);
}

static void test_read_fifo_is_an_error_without_blocking(void **state)
{
	char path[128];
	struct pt_options o;
	struct pt_diag d;
	(void)state;

	tmp_path(path, sizeof(path), "fifo");
	assert_int_equal(mkfifo(path, 0644), 0);
	pt_diag_init(&d);
	assert_true(pt_config_read(path, CONF, &o, &d) < 0);
	assert_diag_has(&d, PT_SEV_ERROR, "not a regular file");
	pt_options_free(&o);
	pt_diag_free(&d);
}

static void test_read_path_through_a_file_is_an_error(void **state)
{
	char file[128], path[160];
	struct pt_options o;
	struct pt_diag d;
	(void)state;

	tmp_path(file, sizeof(file), "plain");
	write_file(file, "", 0);
	snprintf(path, sizeof(path), "%s/pt.conf", file);
	pt_diag_init(&d);
	assert_int_equal(pt_config_read(path, CONF, &o, &d), -ENOTDIR);
	assert_diag_has(&d, PT_SEV_ERROR, "cannot open " CONF);
	pt_options_free(&o);
	pt_diag_free(&d);
}

static void test_read_oversized_file(void **state)
{
	char path[128];
	char *big = malloc(PT_CONFIG_MAX_SIZE + 1);
	struct pt_options o;
	struct pt_diag d;
	(void)state;

	assert_non_null(big);
	memset(big, '\n', PT_CONFIG_MAX_SIZE + 1);
	memcpy(big, "group = strict", 14);
	tmp_path(path, sizeof(path), "big.conf");

	write_file(path, big, PT_CONFIG_MAX_SIZE);
	pt_diag_init(&d);
	assert_int_equal(pt_config_read(path, CONF, &o, &d), 0);
	assert_int_equal(o.group, PT_GROUP_STRICT);
	pt_options_free(&o);
	pt_diag_free(&d);

	write_file(path, big, PT_CONFIG_MAX_SIZE + 1);
	pt_diag_init(&d);
	assert_int_equal(pt_config_read(path, CONF, &o, &d), -EFBIG);
	assert_diag_has(&d, PT_SEV_ERROR, CONF " is larger than 65536 bytes");
	assert_nothing_set(&o);
	pt_options_free(&o);
	pt_diag_free(&d);
	free(big);
}

static void test_read_rejected_file_sets_nothing(void **state)
{
	char path[128];
	struct pt_options o;
	struct pt_diag d;
	(void)state;

	tmp_path(path, sizeof(path), "bad.conf");
	write_file(path, "devices = 26:00.0\nnot a line\n", 29);
	pt_diag_init(&d);
	assert_int_equal(pt_config_read(path, CONF, &o, &d), -EINVAL);
	assert_nothing_set(&o);
	assert_diag_has(&d, PT_SEV_ERROR, CONF " line 2");
	pt_options_free(&o);
	pt_diag_free(&d);
}

/* ---- pt_options_merge ---------------------------------------------------------------- */

struct merged {
	struct pt_options blob, cl, o;
	struct pt_diag d;
	enum pt_source source;
};

static void merge(struct merged *m, const char *blob, const char *cmdline)
{
	pt_diag_init(&m->d);
	if (blob) {
		assert_int_equal(pt_config_parse(blob, strlen(blob), CONF, &m->blob, &m->d), 0);
	} else {
		pt_options_init(&m->blob);
	}
	pt_options_init(&m->cl);
	assert_int_equal(pt_cmdline_parse(cmdline, &m->cl, &m->d), 0);
	m->source = (enum pt_source) - 1;
	assert_int_equal(pt_options_merge(&m->blob, &m->cl, &m->o, &m->source), 0);
	/* the result owns its strings */
	pt_options_free(&m->blob);
	pt_options_free(&m->cl);
}

static void merged_free(struct merged *m)
{
	pt_options_free(&m->o);
	pt_diag_free(&m->d);
}

static void test_merge_cmdline_overrides_key_by_key(void **state)
{
	struct merged m;
	(void)state;

	merge(&m, "group = strict\nonfail = release\nfb = keep\nwait = 100\n",
	      "pt.onfail=keep pt.wait=200");
	assert_int_equal(m.o.group, PT_GROUP_STRICT);
	assert_int_equal(m.o.onfail, PT_ONFAIL_KEEP);
	assert_int_equal(m.o.fb, PT_FB_KEEP);
	assert_int_equal(m.o.wait_ms, 200);
	assert_int_equal(m.o.set, BIT(PT_KEY_GROUP) | BIT(PT_KEY_ONFAIL) | BIT(PT_KEY_FB) |
					  BIT(PT_KEY_WAIT));
	merged_free(&m);
}

static void test_merge_cmdline_default_value_still_overrides(void **state)
{
	struct merged m;
	(void)state;

	merge(&m, "group = strict\noff\ndryrun\nlog = debug\n",
	      "pt.group=auto pt.off=0 pt.log=info");
	assert_int_equal(m.o.group, PT_GROUP_AUTO);
	assert_false(m.o.off);
	assert_true(m.o.dryrun);
	assert_int_equal(m.o.log_level, PT_LOG_INFO);
	merged_free(&m);
}

static void test_merge_bad_cmdline_value_keeps_blob_value(void **state)
{
	struct merged m;
	(void)state;

	merge(&m, "group = strict\nwait = 100\n", "pt.group=bogus pt.wait=abc");
	assert_int_equal(m.o.group, PT_GROUP_STRICT);
	assert_int_equal(m.o.wait_ms, 100);
	assert_diag_counts(&m.d, 0, 2);
	merged_free(&m);
}

static void test_merge_cmdline_devices_replace_blob_devices(void **state)
{
	struct merged m;
	(void)state;

	merge(&m, "devices = 10de:1c03@26:00.0, 10de:10f1@26:00.1\n",
	      "pt.devices=27:00.0 pt.devices=28:00.*");
	assert_string_equal(m.o.devices, "27:00.0,28:00.*");
	assert_int_equal(m.source, PT_SOURCE_CMDLINE);
	assert_string_equal(pt_source_name(m.source), "cmdline");
	merged_free(&m);
}

static void test_merge_devices_only_in_blob(void **state)
{
	struct merged m;
	(void)state;

	merge(&m, "devices = 26:00.0\n", "ro quiet pt.group=warn");
	assert_string_equal(m.o.devices, "26:00.0");
	assert_int_equal(m.source, PT_SOURCE_CONFIG);
	assert_string_equal(pt_source_name(m.source), "config");
	assert_int_equal(m.o.group, PT_GROUP_WARN);
	merged_free(&m);
}

static void test_merge_devices_only_on_cmdline(void **state)
{
	struct merged m;
	(void)state;

	merge(&m, "group = strict\n", "pt.devices=26:00.0");
	assert_string_equal(m.o.devices, "26:00.0");
	assert_int_equal(m.source, PT_SOURCE_CMDLINE);
	assert_int_equal(m.o.group, PT_GROUP_STRICT);
	merged_free(&m);
}

static void test_merge_no_devices_anywhere(void **state)
{
	struct merged m;
	(void)state;

	merge(&m, "group = strict\n", "ro");
	assert_null(m.o.devices);
	assert_int_equal(m.source, PT_SOURCE_NONE);
	assert_string_equal(pt_source_name(m.source), "none");
	merged_free(&m);

	merge(&m, NULL, "");
	assert_null(m.o.devices);
	assert_int_equal(m.source, PT_SOURCE_NONE);
	assert_nothing_set(&m.o);
	merged_free(&m);
}

/* An explicitly empty pt.devices= replaces the blob's list (a way to switch
 * the blob's devices off for one boot). */
static void test_merge_empty_cmdline_list_replaces_blob_list(void **state)
{
	struct merged m;
	(void)state;

	merge(&m, "devices = 26:00.0\n", "pt.devices=");
	assert_string_equal(m.o.devices, "");
	assert_int_equal(m.source, PT_SOURCE_CMDLINE);
	merged_free(&m);
}

static void test_merge_paths_and_root_come_from_cmdline(void **state)
{
	struct merged m;
	(void)state;

	merge(&m, "config = /etc/x.conf\ninit = /x\n",
	      "root=UUID=abcd pt.config=/etc/pt2.conf pt.init=/sbin/init");
	assert_string_equal(m.o.config, "/etc/pt2.conf");
	assert_string_equal(m.o.init, "/sbin/init");
	assert_string_equal(m.o.root, "UUID=abcd");
	merged_free(&m);

	merge(&m, "devices = 26:00.0\n", "ro");
	assert_null(m.o.config);
	assert_null(m.o.init);
	assert_null(m.o.root);
	merged_free(&m);
}

/* ---- names and suggestions -------------------------------------------------------------- */

static void test_option_value_names(void **state)
{
	(void)state;
	assert_string_equal(pt_group_policy_name(PT_GROUP_AUTO), "auto");
	assert_string_equal(pt_group_policy_name(PT_GROUP_STRICT), "strict");
	assert_string_equal(pt_group_policy_name(PT_GROUP_WARN), "warn");
	assert_string_equal(pt_onfail_name(PT_ONFAIL_RELEASE), "release");
	assert_string_equal(pt_onfail_name(PT_ONFAIL_KEEP), "keep");
	assert_string_equal(pt_fb_name(PT_FB_AUTO), "auto");
	assert_string_equal(pt_fb_name(PT_FB_RELEASE), "release");
	assert_string_equal(pt_fb_name(PT_FB_KEEP), "keep");
	assert_string_equal(pt_log_level_name(PT_LOG_ERR), "err");
	assert_string_equal(pt_log_level_name(PT_LOG_WARN), "warn");
	assert_string_equal(pt_log_level_name(PT_LOG_INFO), "info");
	assert_string_equal(pt_log_level_name(PT_LOG_DEBUG), "debug");
}

static void test_options_suggest(void **state)
{
	(void)state;
	assert_string_equal(pt_options_suggest("device"), "devices");
	assert_string_equal(pt_options_suggest("devics"), "devices");
	assert_string_equal(pt_options_suggest("grop"), "group");
	assert_string_equal(pt_options_suggest("onfial"), "onfail");
	assert_string_equal(pt_options_suggest("dry_run"), "dryrun");
	assert_string_equal(pt_options_suggest("timout"), "timeout");
	assert_null(pt_options_suggest("frobnicate"));
	assert_null(pt_options_suggest("iommu_group_policy"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* accepted blobs */
		cmocka_unit_test(test_parse_design_example),
		cmocka_unit_test(test_parse_every_key),
		cmocka_unit_test(test_parse_comments),
		cmocka_unit_test(test_parse_blank_lines),
		cmocka_unit_test(test_parse_crlf_line_endings),
		cmocka_unit_test(test_parse_quoted_value),
		cmocka_unit_test(test_parse_bare_boolean_lines),
		cmocka_unit_test(test_parse_blanks_around_key_and_value),
		cmocka_unit_test(test_parse_last_line_without_newline),
		cmocka_unit_test(test_parse_empty_blob),
		cmocka_unit_test(test_parse_repeated_keys),
		cmocka_unit_test(test_parse_pt_prefix_accepted_with_warning),
		/* warnings */
		cmocka_unit_test(test_parse_unknown_key_names_line_and_suggests),
		cmocka_unit_test(test_parse_unknown_far_key),
		cmocka_unit_test(test_parse_unknown_bare_word),
		cmocka_unit_test(test_parse_bad_values_are_warnings_with_line),
		cmocka_unit_test(test_parse_key_without_value_is_a_warning),
		cmocka_unit_test(test_parse_cmdline_only_keys_are_ignored),
		/* rejected blobs */
		cmocka_unit_test(test_parse_syntax_error_rejects_whole_blob),
		cmocka_unit_test(test_parse_warnings_before_a_syntax_error_are_kept),
		cmocka_unit_test(test_parse_nul_byte_rejects_whole_blob),
		cmocka_unit_test(test_parse_line_length_limit),
		cmocka_unit_test(test_parse_size_limit),
		/* reading a file */
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_read_names_the_shown_path),
		cmocka_unit_test(test_read_missing_file_is_silent_enoent),
		cmocka_unit_test(test_read_directory_is_an_error),
		cmocka_unit_test(test_read_fifo_is_an_error_without_blocking),
		cmocka_unit_test(test_read_path_through_a_file_is_an_error),
		cmocka_unit_test(test_read_oversized_file),
		cmocka_unit_test(test_read_rejected_file_sets_nothing),
		/* merging */
		cmocka_unit_test(test_merge_cmdline_overrides_key_by_key),
		cmocka_unit_test(test_merge_cmdline_default_value_still_overrides),
		cmocka_unit_test(test_merge_bad_cmdline_value_keeps_blob_value),
		cmocka_unit_test(test_merge_cmdline_devices_replace_blob_devices),
		cmocka_unit_test(test_merge_devices_only_in_blob),
		cmocka_unit_test(test_merge_devices_only_on_cmdline),
		cmocka_unit_test(test_merge_no_devices_anywhere),
		cmocka_unit_test(test_merge_empty_cmdline_list_replaces_blob_list),
		cmocka_unit_test(test_merge_paths_and_root_come_from_cmdline),
		/* names */
		cmocka_unit_test(test_option_value_names),
		cmocka_unit_test(test_options_suggest),
	};

	return cmocka_run_group_tests(tests, setup_tmpdir, teardown_tmpdir);
}
