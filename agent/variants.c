/* SPDX-License-Identifier: MIT */
/* variants.c — `pt-agent vfio-variants`; see variants.h. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "config.h"
#include "log.h"
#include "modules.h"
#include "output.h"
#include "pci.h"
#include "spec.h"
#include "sysfs.h"
#include "variants.h"

#define MAX_ALIASES 4096
#define MAX_PICKS 256
#define WHY_MAX 512

struct alias {
	char *pattern; /* "vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*" */
	char *module;
};

struct pick {
	char module[PT_MOD_NAME_MAX];
	char why[WHY_MAX];
};

struct vctx {
	const char *moddir;
	struct pt_modules *mods;
	struct alias aliases[MAX_ALIASES];
	size_t n_aliases;
	struct pick picks[MAX_PICKS];
	size_t n_picks;
	struct pt_buf notes;
	bool bad_input;
};

static void norm_name(char *s)
{
	for (; *s; s++)
		if (*s == '-')
			*s = '_';
}

/* The variant aliases from modules.alias (vfio-pci's own left out). */
static int read_aliases(struct vctx *c)
{
	char path[PATH_MAX], line[1024];
	FILE *f;

	if (pt_snprintf(path, sizeof(path), "%s/modules.alias", c->moddir) < 0)
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f) && c->n_aliases < MAX_ALIASES) {
		char pattern[512], module[PT_MOD_NAME_MAX];

		if (sscanf(line, "alias %511s %63s", pattern, module) != 2 ||
		    strncmp(pattern, "vfio_pci:", 9) != 0)
			continue;
		norm_name(module);
		if (streq(module, "vfio_pci"))
			continue;
		c->aliases[c->n_aliases].pattern = strdup(pattern);
		c->aliases[c->n_aliases].module = strdup(module);
		if (!c->aliases[c->n_aliases].pattern || !c->aliases[c->n_aliases].module) {
			fclose(f);
			return -ENOMEM;
		}
		c->n_aliases++;
	}
	fclose(f);
	return 0;
}

static size_t count_variant_modules(const struct vctx *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_aliases; i++) {
		bool seen = false;

		for (size_t k = 0; k < i && !seen; k++)
			seen = streq(c->aliases[k].module, c->aliases[i].module);
		n += !seen;
	}
	return n;
}

static void add_pick(struct vctx *c, const char *module, const char *why)
{
	struct pick *p = NULL;

	for (size_t i = 0; i < c->n_picks; i++)
		if (streq(c->picks[i].module, module))
			p = &c->picks[i];
	if (!p) {
		if (c->n_picks == MAX_PICKS)
			return;
		p = &c->picks[c->n_picks++];
		pt_strlcpy(p->module, module, sizeof(p->module));
		pt_strlcpy(p->why, why, sizeof(p->why));
		return;
	}
	if (strstr(p->why, why))
		return;
	if (strlen(p->why) + 2 + strlen(why) < sizeof(p->why)) {
		strcat(p->why, "; ");
		strcat(p->why, why);
	}
}

/* A chosen module goes in unless it is built into the kernel. */
static void choose(struct vctx *c, const char *module, const char *why)
{
	char path[PATH_MAX];
	int r = pt_modules_where(c->mods, module, path, sizeof(path));

	if (r == 1) {
		pt_buf_printf(&c->notes, "# %s is built into the kernel: nothing to add (%s)\n",
			      module, why);
		return;
	}
	if (r < 0) {
		pt_buf_printf(&c->notes, "# %s (%s) is in modules.alias but not in %s: not added\n",
			      module, why, c->moddir);
		return;
	}
	add_pick(c, module, why);
}

/*
 * One id field of a vfio_pci: alias, as modpost writes it: the tag, then
 * "*" or exactly `digits` hex digits. Returns false when it is not that.
 */
static bool alias_field(const char **p, const char *tag, unsigned digits, bool *any, uint32_t *val)
{
	size_t n = strlen(tag);

	if (strncmp(*p, tag, n) != 0)
		return false;
	*p += n;
	if (**p == '*') {
		*any = true;
		(*p)++;
		return true;
	}
	*any = false;
	*val = 0;
	for (unsigned i = 0; i < digits; i++) {
		char ch = (*p)[i];
		unsigned d;

		if (ch >= '0' && ch <= '9')
			d = (unsigned)(ch - '0');
		else if (ch >= 'A' && ch <= 'F')
			d = (unsigned)(ch - 'A' + 10);
		else if (ch >= 'a' && ch <= 'f')
			d = (unsigned)(ch - 'a' + 10);
		else
			return false;
		*val = *val << 4 | d;
	}
	*p += digits;
	return true;
}

/*
 * Can a device this selector names by id match the alias? Vendor and
 * device must match; subsystem ids when the selector gives them. The
 * class is not known from an id: it is taken to match. -1: the alias is
 * not in modpost's form.
 */
static int id_may_match(const char *pattern, const struct pt_selector *s)
{
	const char *p = pattern + strlen("vfio_pci:");
	bool any[4];
	uint32_t v[4];

	if (!alias_field(&p, "v", 8, &any[0], &v[0]) || !alias_field(&p, "d", 8, &any[1], &v[1]) ||
	    !alias_field(&p, "sv", 8, &any[2], &v[2]) || !alias_field(&p, "sd", 8, &any[3], &v[3]))
		return -1;
	if ((!any[0] && v[0] != s->vendor) || (!any[1] && v[1] != s->device))
		return 0;
	if ((s->flags & PT_SEL_SUBSYS) &&
	    ((!any[2] && v[2] != s->subvendor) || (!any[3] && v[3] != s->subdevice)))
		return 0;
	return 1;
}

/* Every function of the build host whose vfio_pci: modalias resolves to
 * a variant driver, as pt-agent resolves it at boot. */
static void from_host(struct vctx *c, const struct pt_sysfs *sys)
{
	struct pt_pci pci;

	pt_pci_init(&pci, sys);
	if (pt_pci_scan(&pci) < 0) {
		pt_buf_printf(&c->notes,
			      "# cannot list this host's PCI devices (/sys/bus/pci/devices): no "
			      "variant driver chosen for them\n");
		pt_pci_free(&pci);
		return;
	}
	for (size_t i = 0; i < pci.n; i++) {
		struct pt_pci_func *f = pci.funcs[i];
		char alias[128], module[PT_MOD_NAME_MAX], why[128];

		if (pt_pci_load_identity(&pci, f) < 0)
			continue;
		pt_pci_modalias(f, "vfio_pci:", alias, sizeof(alias));
		if (pt_modules_variant(c->mods, alias, module, sizeof(module)) != 1)
			continue;
		snprintf(why, sizeof(why), "%s (%04x:%04x) is on this host", f->name, f->vendor,
			 f->device);
		choose(c, module, why);
	}
	pt_pci_free(&pci);
}

/* The entries of a device list that name ids. */
static void from_list(struct vctx *c, const char *list, const char *origin, bool host)
{
	struct pt_spec spec;
	struct pt_spec_error err;

	if (pt_spec_parse(list, &spec, &err) < 0) {
		pt_buf_printf(&c->notes,
			      "# %s: the device list does not parse (column %u: %s): no variant "
			      "driver chosen from it\n",
			      origin, err.column, err.msg);
		return;
	}
	for (unsigned i = 0; i < spec.n; i++) {
		const struct pt_selector *s = &spec.sel[i];
		bool any = false;

		if (s->flags & PT_SEL_EXCLUDE)
			continue;
		if (!(s->flags & PT_SEL_ID)) {
			if (!host)
				pt_buf_printf(
					&c->notes,
					"# %s: '%s' names no id: no variant driver is chosen "
					"for it (name it by id, build hostonly on that machine, "
					"or ask for the driver by name)\n",
					origin, s->text);
			continue;
		}
		for (size_t k = 0; k < c->n_aliases; k++) {
			char why[160];
			int r = id_may_match(c->aliases[k].pattern, s);

			if (r < 0 && !any)
				pt_buf_printf(&c->notes,
					      "# %s: alias '%s' of %s is not in modpost's form\n",
					      c->moddir, c->aliases[k].pattern,
					      c->aliases[k].module);
			if (r <= 0)
				continue;
			snprintf(why, sizeof(why), "%s names %s", origin, s->text);
			choose(c, c->aliases[k].module, why);
			any = true;
		}
	}
}

static void from_config(struct vctx *c, const char *path, bool host)
{
	struct pt_options o;
	struct pt_diag diag;
	int r;

	pt_diag_init(&diag);
	r = pt_config_read(path, path, &o, &diag);
	if (r == -ENOENT) {
		pt_buf_printf(&c->notes, "# %s does not exist: no device list read from it\n",
			      path);
	} else if (r < 0 || diag.n_errors > 0) {
		pt_buf_printf(&c->notes,
			      "# %s cannot be used (%s): no variant driver chosen from it\n", path,
			      diag.n > 0 ? diag.msgs[0].text : strerror(-r));
	} else if (o.devices) {
		from_list(c, o.devices, path, host);
	}
	pt_options_free(&o);
	pt_diag_free(&diag);
}

static void from_always(struct vctx *c, const char *list)
{
	char *copy = strdup(list), *save = NULL;

	if (!copy)
		return;
	for (char *w = strtok_r(copy, ", \t\n", &save); w; w = strtok_r(NULL, ", \t\n", &save)) {
		char path[PATH_MAX], why[128];
		int r;

		if (streq(w, "all")) {
			for (size_t k = 0; k < c->n_aliases; k++)
				choose(c, c->aliases[k].module, "asked for (all)");
			continue;
		}
		norm_name(w);
		r = pt_modules_where(c->mods, w, path, sizeof(path));
		if (r == 1) {
			pt_buf_printf(&c->notes, "# %s is built into the kernel: nothing to add\n",
				      w);
			continue;
		}
		if (r < 0) {
			fprintf(stderr,
				"pt-agent vfio-variants: --always %s: no module %s in %s (check "
				"the "
				"name: modinfo -k VERSION %s)\n",
				w, w, c->moddir, w);
			c->bad_input = true;
			continue;
		}
		snprintf(why, sizeof(why), "asked for by name");
		add_pick(c, w, why);
	}
	free(copy);
}

static int pick_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pick *)a)->module, ((const struct pick *)b)->module);
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: pt-agent vfio-variants --moddir DIR [--host] [--config FILE]...\n"
		"                              [--devices LIST] [--always MODULES] [--sysroot "
		"DIR]\n"
		"\n"
		"Print the vfio-pci variant drivers of the modules directory DIR that an\n"
		"initramfs needs, one \"MODULE<TAB>WHY\" line each: those whose vfio_pci: alias\n"
		"matches a PCI device of this host (--host: hostonly builds), or a device the\n"
		"list in FILE or LIST names by id, and those in MODULES (names; \"all\": every\n"
		"variant). Lines starting with \"# \" are notes.\n");
}

int pt_variants_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "moddir", required_argument, NULL, 'm' },
		{ "host", no_argument, NULL, 'H' },
		{ "config", required_argument, NULL, 'c' },
		{ "devices", required_argument, NULL, 'd' },
		{ "always", required_argument, NULL, 'a' },
		{ "sysroot", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *configs[16], *lists[16], *always[16], *sysroot = NULL;
	size_t n_configs = 0, n_lists = 0, n_always = 0;
	struct pt_sysfs sys;
	struct vctx *c;
	struct stat st;
	bool host = false;
	int opt, r, ret = 0;

	optind = 0;
	opterr = 1;
	c = calloc(1, sizeof(*c));
	if (!c) {
		fprintf(stderr, "pt-agent vfio-variants: out of memory\n");
		return 1;
	}
	while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) >= 0) {
		switch (opt) {
		case 'm':
			c->moddir = optarg;
			break;
		case 'H':
			host = true;
			break;
		case 'c':
		case 'd':
		case 'a':
			if ((opt == 'c' ? n_configs : opt == 'd' ? n_lists : n_always) == 16) {
				fprintf(stderr, "pt-agent vfio-variants: too many --%s options\n",
					opt == 'c'   ? "config"
					: opt == 'd' ? "devices"
						     : "always");
				free(c);
				return PT_EXIT_USAGE;
			}
			if (opt == 'c')
				configs[n_configs++] = optarg;
			else if (opt == 'd')
				lists[n_lists++] = optarg;
			else
				always[n_always++] = optarg;
			break;
		case 's':
			sysroot = optarg;
			break;
		case 'h':
			usage(stdout);
			free(c);
			return 0;
		default:
			usage(stderr);
			free(c);
			return PT_EXIT_USAGE;
		}
	}
	if (optind < argc || !c->moddir) {
		fprintf(stderr, "pt-agent vfio-variants: %s\n",
			optind < argc ? "unexpected argument" : "--moddir DIR is required");
		usage(stderr);
		free(c);
		return PT_EXIT_USAGE;
	}
	if (pt_sysfs_init(&sys, sysroot) < 0) {
		fprintf(stderr,
			"pt-agent vfio-variants: --sysroot %s: not an absolute path that fits\n",
			sysroot);
		free(c);
		return PT_EXIT_USAGE;
	}
	pt_log_open(NULL, "pt-agent", PT_LOG_WARN, true);
	pt_buf_init(&c->notes);
	if (stat(c->moddir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr,
			"pt-agent vfio-variants: --moddir %s: no such directory (the target "
			"kernel's "
			"/lib/modules/VERSION)\n",
			c->moddir);
		ret = 1;
		goto out;
	}
	r = read_aliases(c);
	if (r < 0) {
		fprintf(stderr,
			"pt-agent vfio-variants: cannot read %s/modules.alias: %s (run depmod for "
			"that kernel first)\n",
			c->moddir, strerror(-r));
		ret = 1;
		goto out;
	}
	if (pt_modules_new_dir(&sys, c->moddir, &c->mods) < 0) {
		fprintf(stderr, "pt-agent vfio-variants: out of memory\n");
		ret = 1;
		goto out;
	}
	for (size_t i = 0; i < n_always; i++)
		from_always(c, always[i]);
	if (host)
		from_host(c, &sys);
	for (size_t i = 0; i < n_configs; i++)
		from_config(c, configs[i], host);
	for (size_t i = 0; i < n_lists; i++)
		from_list(c, lists[i], "the device list", host);

	qsort(c->picks, c->n_picks, sizeof(c->picks[0]), pick_cmp);
	for (size_t i = 0; i < c->n_picks; i++)
		printf("%s\t%s\n", c->picks[i].module, c->picks[i].why);
	printf("# %zu of the %zu vfio-pci variant driver(s) in %s chosen%s\n", c->n_picks,
	       count_variant_modules(c), c->moddir, host ? " (hostonly)" : "");
	if (c->notes.len)
		fputs(c->notes.data, stdout);
	ret = c->bad_input ? 1 : 0;
out:
	if (fflush(stdout) != 0)
		ret = 1;
	pt_modules_free(c->mods);
	for (size_t i = 0; i < c->n_aliases; i++) {
		free(c->aliases[i].pattern);
		free(c->aliases[i].module);
	}
	pt_buf_free(&c->notes);
	free(c);
	pt_log_close();
	return ret;
}
