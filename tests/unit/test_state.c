/* SPDX-License-Identifier: MIT */
/*
 * test_state.c — the state file: rendering (checked by jq against
 * tests/state-schema.jq) and the atomic, symlink-refusing write.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "state.h"

/* Run jq with args on the text; returns jq's exit status. */
static int jq(const char *text, const char *flag, const char *arg)
{
	char path[] = "/tmp/pt-state-test.XXXXXX", cmd[1024];
	const char *schema = getenv("PT_TEST_JQ_SCHEMA");
	int fd = mkstemp(path), r;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	if (streq(flag, "-f"))
		snprintf(cmd, sizeof(cmd), "jq -e -f '%s' '%s' >/dev/null",
			 schema ? schema : "tests/state-schema.jq", path);
	else
		snprintf(cmd, sizeof(cmd), "jq -e '%s' '%s' >/dev/null", arg, path);
	r = system(cmd);
	unlink(path);
	return WEXITSTATUS(r);
}

struct sample {
	struct pt_options opts;
	struct pt_pci_func gpu, usb;
	struct pt_plan plan;
	struct pt_diag diag;
	struct pt_module_report mods[2];
	struct pt_report r;
};

static void sample(struct sample *s, const char *spec)
{
	struct pt_pci_func *members[2];
	struct pt_target *t;

	memset(s, 0, sizeof(*s));
	pt_options_init(&s->opts);
	s->gpu = (struct pt_pci_func){ .name = "0000:26:00.0",
				       .vendor = 0x10de,
				       .device = 0x1c03,
				       .subvendor = 0x1458,
				       .subdevice = 0x3fbb,
				       .class = 0x030000,
				       .iommu_group = 15,
				       .boot_vga = true,
				       .driver = "",
				       .override = "",
				       .loaded = PT_PCI_IDENTITY | PT_PCI_STATE };
	s->usb = (struct pt_pci_func){ .name = "0000:29:00.0",
				       .vendor = 0x1912,
				       .device = 0x0014,
				       .class = 0x0c0330,
				       .iommu_group = 15,
				       .driver = "xhci_hcd",
				       .override = "",
				       .loaded = PT_PCI_IDENTITY | PT_PCI_STATE };
	assert_int_equal(pt_addr_parse(s->gpu.name, &s->gpu.addr), 0);
	assert_int_equal(pt_addr_parse(s->usb.name, &s->usb.addr), 0);
	pt_plan_init(&s->plan, PT_GROUP_WARN);
	pt_diag_init(&s->diag);
	members[0] = &s->gpu;
	members[1] = &s->usb;
	assert_int_equal(pt_plan_add_group(&s->plan, 15, members, 2), 0);
	s->plan.groups[0].viable = false;
	s->plan.groups[0].blockers[0] = (struct pt_blocker){ &s->usb, "host driver" };
	s->plan.groups[0].n_blockers = 1;
	/* One target, bound. */
	s->plan.targets = calloc(1, sizeof(*s->plan.targets));
	s->plan.n_targets = s->plan.cap_targets = 1;
	t = &s->plan.targets[0];
	t->fn = &s->gpu;
	t->take = true;
	t->action = PT_ACT_RECOVERED;
	t->selected_by = "10de:1c03@26:00.0";
	t->driver = "vfio-pci";
	t->driver_before = "nouveau";
	t->driver_after = "vfio-pci";
	t->override_before = "";
	t->error = "";
	pt_strlcpy(t->vfio_node, "/dev/vfio/15", sizeof(t->vfio_node));
	pt_diag_warn(&s->diag, "IOMMU group 15 cannot be handed to a guest as it is");
	s->mods[0] = (struct pt_module_report){
		.name = "vfio_iommu_type1",
		.result = PT_MOD_LOADED,
		.path = "/lib/modules/6.12.117+deb13-amd64/kernel/drivers/"
			"vfio/vfio_iommu_type1.ko.xz"
	};
	s->mods[1] = (struct pt_module_report){ .name = "vfio-pci", .result = PT_MOD_BUILTIN };
	s->r = (struct pt_report){
		.agent_version = "0.1.0",
		.boot_id = "0f3c1a52-8e0b-4c2e-9a53-2f8e1c9b7d10",
		.started_ms = 1830,
		.finished_ms = 1834,
		.source = PT_SOURCE_CMDLINE,
		.spec = spec,
		.opts = &s->opts,
		.iommu = true,
		.modules = s->mods,
		.n_modules = 2,
		.plan = &s->plan,
		.diag = &s->diag,
		.result = "ok",
	};
}

static void drop(struct sample *s)
{
	pt_plan_free(&s->plan);
	pt_diag_free(&s->diag);
}

static void renders_the_schema(void **state)
{
	struct sample s;
	struct pt_buf b;

	(void)state;
	sample(&s, "10de:1c03@26:00.0");
	pt_buf_init(&b);
	pt_state_render(&s.r, &b);
	assert_true(pt_buf_ok(&b));
	assert_int_equal(jq(b.data, "-f", NULL), 0);
	assert_int_equal(jq(b.data, "-e",
			    ".devices[0] | .action == \"recovered\" and "
			    ".boot_vga and .subvendor == \"1458\" and .iommu_group == 15"),
			 0);
	assert_int_equal(jq(b.data, "-e",
			    ".groups[0].blockers[0] | .addr == \"0000:29:00.0\" "
			    "and .driver == \"xhci_hcd\" and .reason == \"host driver\""),
			 0);
	assert_int_equal(jq(b.data, "-e",
			    ".modules[1] == {\"name\": \"vfio-pci\", \"result\": "
			    "\"builtin\", \"error\": null, \"path\": null}"),
			 0);
	assert_int_equal(jq(b.data, "-e",
			    ".modules[0].path == \"/lib/modules/6.12.117+deb13-amd64/kernel/"
			    "drivers/vfio/vfio_iommu_type1.ko.xz\""),
			 0);
	assert_int_equal(jq(b.data, "-e",
			    ".options == {\"group\": \"auto\", \"onfail\": "
			    "\"release\", \"fb\": \"auto\", \"dryrun\": false}"),
			 0);
	/* The schema check can fail: break a field and it must. */
	assert_int_not_equal(jq(b.data, "-e", ".devices[0].addr == \"26:00.0\""), 0);
	pt_buf_free(&b);
	drop(&s);
}

static void hostile_spec_is_valid_json(void **state)
{
	struct sample s;
	struct pt_buf b;

	(void)state;
	sample(&s, "\"\\\x01\xff\xc3\x28,26:00.0\x7f");
	s.r.plan = NULL;
	s.r.result = "failed";
	pt_diag_error(&s.diag, "column 1: '\xfe' is not a hex digit");
	pt_buf_init(&b);
	pt_state_render(&s.r, &b);
	assert_int_equal(jq(b.data, "-f", NULL), 0);
	assert_int_equal(
		jq(b.data, "-e", ".spec == \"\\\"\\\\\\u0001\\ufffd\\ufffd(,26:00.0\\u007f\""), 0);
	pt_buf_free(&b);
	drop(&s);
}

/* Regression (fuzz_state): a previous state's group entry with a number
 * that is no int64 (2e50) was re-emitted through a cast to int64_t:
 * undefined behaviour. It is re-emitted as the number it is. */
static void carried_over_float_is_kept(void **state)
{
	static const char prev[] = "{\"schema\": 1, \"boot_id\": \"b\", \"devices\": [], "
				   "\"groups\": [{\"group\": 16, \"weight\": 2e50, \"x\": -0.5}]}";
	struct pt_jdoc doc;
	struct pt_jerror err;
	struct sample s;
	struct pt_buf b;

	(void)state;
	assert_int_equal(pt_jsonr_parse(prev, strlen(prev), &doc, &err), 0);
	sample(&s, "26:00.0");
	s.r.previous = doc.root;
	pt_buf_init(&b);
	pt_state_render(&s.r, &b);
	assert_true(pt_buf_ok(&b));
	assert_int_equal(jq(b.data, "-e",
			    ".groups[] | select(.group == 16) | .weight == 2e50 "
			    "and .x == -0.5"),
			 0);
	pt_buf_free(&b);
	pt_jsonr_free(&doc);
	drop(&s);
}

static char root[PATH_MAX];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/pt-state.XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(root, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static const char *path(const char *rel)
{
	static char bufs[4][PATH_MAX + 64];
	static unsigned next;
	char *buf = bufs[next++ % 4];

	snprintf(buf, sizeof(bufs[0]), "%s/%s", root, rel);
	return buf;
}

/* Write the sample report, with the given result, to the state file under
 * root; if rendered is not NULL, it gets the same report rendered in memory
 * (caller frees). */
static int write_state(const char *result, char *err, size_t size, char **rendered)
{
	struct sample s;
	struct pt_sysfs sys;
	int r;

	sample(&s, "10de:1c03@26:00.0");
	s.r.result = result;
	assert_int_equal(pt_sysfs_init(&sys, root), 0);
	r = pt_state_write_report(&sys, &s.r, err, size);
	if (rendered) {
		struct pt_buf b;

		pt_buf_init(&b);
		pt_state_render(&s.r, &b);
		assert_true(pt_buf_ok(&b));
		*rendered = b.data;
	}
	drop(&s);
	return r;
}

static void writes_atomically_with_modes(void **state)
{
	char err[256], buf[8192], *want;
	struct stat st;
	ssize_t n;
	int fd;

	(void)state;
	assert_int_equal(mkdir(path("run"), 0755), 0);
	umask(0077);
	assert_int_equal(write_state("ok", err, sizeof(err), NULL), 0);
	umask(0022);
	assert_int_equal(stat(path("run/pt"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(stat(path("run/pt/state.json"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* The second write replaces the first whole. */
	assert_int_equal(write_state("partial", err, sizeof(err), &want), 0);
	fd = open(path("run/pt/state.json"), O_RDONLY);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, (ssize_t)strlen(want));
	assert_memory_equal(buf, want, strlen(want));
	assert_non_null(strstr(want, "\"result\": \"partial\""));
	free(want);
	/* Nothing is left beside it: the temporary file was renamed. */
	{
		DIR *d = opendir(path("run/pt"));
		struct dirent *e;
		int files = 0;

		assert_non_null(d);
		while ((e = readdir(d)))
			if (!streq(e->d_name, ".") && !streq(e->d_name, "..")) {
				assert_string_equal(e->d_name, "state.json");
				files++;
			}
		closedir(d);
		assert_int_equal(files, 1);
	}
}

static void refuses_symlinks_and_foreign_dirs(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(mkdir(path("run"), 0755), 0);
	assert_int_equal(mkdir(path("elsewhere"), 0755), 0);
	assert_int_equal(symlink(path("elsewhere"), path("run/pt")), 0);
	{
		int r = write_state("ok", err, sizeof(err), NULL);

		/* O_DIRECTORY|O_NOFOLLOW on a symlink: ENOTDIR on Linux. */
		assert_true(r == -ENOTDIR || r == -ELOOP);
	}
	assert_non_null(strstr(err, "/run/pt is a symlink"));
	assert_int_equal(access(path("elsewhere/state.json"), F_OK), -1);

	assert_int_equal(unlink(path("run/pt")), 0);
	assert_int_equal(mkdir(path("run/pt"), 0777), 0);
	assert_int_equal(chmod(path("run/pt"), 0777), 0);
	assert_int_equal(write_state("ok", err, sizeof(err), NULL), -EPERM);
	assert_non_null(strstr(err, "writable by others"));

	assert_int_equal(chmod(path("run/pt"), 0755), 0);
	if (geteuid() == 0) {
		assert_int_equal(chown(path("run/pt"), 65534, 65534), 0);
		assert_int_equal(write_state("ok", err, sizeof(err), NULL), -EPERM);
		assert_non_null(strstr(err, "owned by uid 65534"));
		assert_int_equal(chown(path("run/pt"), 0, 0), 0);
	}

	assert_int_equal(symlink(path("elsewhere/victim"), path("run/pt/state.json")), 0);
	assert_int_equal(write_state("ok", err, sizeof(err), NULL), -EEXIST);
	assert_non_null(strstr(err, "refusing to replace /run/pt/state.json"));
	assert_int_equal(access(path("elsewhere/victim"), F_OK), -1);

	assert_int_equal(unlink(path("run/pt/state.json")), 0);
	assert_int_equal(mkdir(path("run/pt/state.json"), 0755), 0);
	assert_int_equal(write_state("ok", err, sizeof(err), NULL), -EEXIST);
}

static void no_run_directory(void **state)
{
	char err[256];

	(void)state;
	/* /run missing entirely (a broken initramfs): a clear error. */
	assert_int_equal(write_state("ok", err, sizeof(err), NULL), -ENOENT);
	assert_non_null(strstr(err, "cannot create /run/pt"));
}

/* The report streamed into the file is, byte for byte, the report rendered
 * in memory; and a report of many devices is more than one chunk. */
static void streamed_report_matches_rendered(void **state)
{
	struct sample s;
	struct pt_sysfs sys;
	struct pt_buf b;
	char err[256], *got;
	struct stat st;
	size_t n = 400;
	int fd;

	(void)state;
	sample(&s, "10de:1c03");
	s.plan.targets = realloc(s.plan.targets, n * sizeof(*s.plan.targets));
	assert_non_null(s.plan.targets);
	for (size_t i = 1; i < n; i++) {
		s.plan.targets[i] = s.plan.targets[0];
		pt_target_error(&s.plan.targets[i], "target %zu: vfio-pci did not take it", i);
	}
	s.plan.n_targets = s.plan.cap_targets = n;
	pt_buf_init(&b);
	pt_state_render(&s.r, &b);
	assert_true(pt_buf_ok(&b));
	assert_true(b.len > 4 * PT_BUF_SINK_CHUNK);

	assert_int_equal(mkdir(path("run"), 0755), 0);
	assert_int_equal(pt_sysfs_init(&sys, root), 0);
	assert_int_equal(pt_state_write_report(&sys, &s.r, err, sizeof(err)), 0);
	assert_int_equal(stat(path("run/pt/state.json"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal((size_t)st.st_size, b.len);
	got = malloc(b.len);
	assert_non_null(got);
	fd = open(path("run/pt/state.json"), O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, got, b.len), (ssize_t)b.len);
	close(fd);
	assert_memory_equal(got, b.data, b.len);
	free(got);
	pt_buf_free(&b);

	/* The same checks as any write: no /run/pt through a symlink. */
	assert_int_equal(rename(path("run/pt"), path("elsewhere")), 0);
	assert_int_equal(symlink(path("elsewhere"), path("run/pt")), 0);
	assert_true(pt_state_write_report(&sys, &s.r, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "/run/pt is a symlink"));
	drop(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(renders_the_schema),
		cmocka_unit_test(hostile_spec_is_valid_json),
		cmocka_unit_test(carried_over_float_is_kept),
		cmocka_unit_test_setup_teardown(writes_atomically_with_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_symlinks_and_foreign_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(no_run_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(streamed_report_matches_rendered, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
