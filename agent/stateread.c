/* SPDX-License-Identifier: MIT */
/*
 * stateread.c — the state file read back (pt-status, the launcher): every
 * field a later step uses checked against schema 1; see state.h. The
 * writer is state.c.
 *
 * The state file is untrusted: every value is checked before it is used,
 * and addresses go through pt_addr_parse() before they become part of a
 * path.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"
#include "text.h"

struct vctx {
	const char *file;
	char *err;
	size_t errsize;
};

static int verr(struct vctx *c, int r, const char *field, const char *fmt, ...) _printf_(4, 5);
static int verr(struct vctx *c, int r, const char *field, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	n = (size_t)snprintf(c->err, c->errsize, "%s: %s%s", c->file, field, *field ? ": " : "");
	if (n < c->errsize) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errsize - n, fmt, ap);
		va_end(ap);
	}
	return r;
}

static const char *jtype_name(enum pt_jtype t)
{
	switch (t) {
	case PT_J_NULL:
		return "null";
	case PT_J_BOOL:
		return "a boolean";
	case PT_J_NUMBER:
		return "a number";
	case PT_J_STRING:
		return "a string";
	case PT_J_ARRAY:
		return "an array";
	case PT_J_OBJECT:
		return "an object";
	}
	return "?";
}

/* Objects pt-status reads have a handful of keys; more is not a state
 * file (and would make the duplicate check quadratic in hostile input). */
#define OBJ_MAX_KEYS 64

static int check_object(struct vctx *c, const struct pt_jnode *obj, const char *field)
{
	char q[64];

	if (obj->len > OBJ_MAX_KEYS)
		return verr(c, -EINVAL, field, "%zu members; a state file has at most %u here",
			    obj->len, OBJ_MAX_KEYS);
	/* pt_jget() takes the first of two equal keys and jq the last: a
	 * file that says two things must not mean one to pt-status and
	 * another to the launcher. */
	for (const struct pt_jnode *a = obj->child; a; a = a->next)
		for (const struct pt_jnode *b = a->next; b; b = b->next)
			if (streq(a->key, b->key))
				return verr(c, -EINVAL, field, "key \"%s\" appears twice",
					    pt_text_safe(a->key, 40, q, sizeof(q)));
	return 0;
}

enum { NULLABLE = 1u << 0 };

static void field_name(char *buf, size_t size, const char *prefix, const char *key)
{
	snprintf(buf, size, "%s%s%s", prefix, *prefix ? "." : "", key);
}

/* The member key of obj, of the given type (or null when NULLABLE: then
 * *ret is NULL). */
static int need(struct vctx *c, const struct pt_jnode *obj, const char *prefix, const char *key,
		enum pt_jtype type, unsigned flags, const struct pt_jnode **ret)
{
	const struct pt_jnode *n = pt_jget(obj, key);
	char field[96];

	field_name(field, sizeof(field), prefix, key);
	*ret = NULL;
	if (!n)
		return verr(c, -EINVAL, field, "missing");
	if (n->type == PT_J_NULL && (flags & NULLABLE))
		return 0;
	if (n->type != type)
		return verr(c, -EINVAL, field, "expected %s%s, found %s", jtype_name(type),
			    (flags & NULLABLE) ? " or null" : "", jtype_name(n->type));
	*ret = n;
	return 0;
}

/* A string of at most max bytes. `what` checks its characters:
 * 'p' printable ASCII, 'd' a driver name, 't' any text (UTF-8). */
static int need_str(struct vctx *c, const struct pt_jnode *obj, const char *prefix, const char *key,
		    unsigned flags, size_t max, char what, const char **ret)
{
	const struct pt_jnode *n;
	char field[96], q[64];
	int r;

	*ret = NULL;
	r = need(c, obj, prefix, key, PT_J_STRING, flags, &n);
	if (r < 0 || !n)
		return r;
	field_name(field, sizeof(field), prefix, key);
	if (n->len > max)
		return verr(c, -EINVAL, field, "%zu bytes long; at most %zu expected", n->len, max);
	for (size_t i = 0; i < n->len && what != 't'; i++) {
		unsigned char ch = (unsigned char)n->s[i];
		bool ok =
			what == 'd' ? ch > 0x20 && ch < 0x7f && ch != '/' : ch >= 0x20 && ch < 0x7f;

		if (!ok)
			return verr(c, -EINVAL, field, "\"%s\" is not %s",
				    pt_text_safe(n->s, 40, q, sizeof(q)),
				    what == 'd' ? "a driver name" : "printable ASCII");
	}
	if (what == 'd' && n->len == 0)
		return verr(c, -EINVAL, field, "empty driver name");
	*ret = n->s;
	return 0;
}

static int need_int(struct vctx *c, const struct pt_jnode *obj, const char *prefix, const char *key,
		    unsigned flags, int64_t min, int64_t max, bool *ret_null, int64_t *ret)
{
	const struct pt_jnode *n;
	char field[96];
	int r;

	r = need(c, obj, prefix, key, PT_J_NUMBER, flags, &n);
	if (r < 0)
		return r;
	if (ret_null)
		*ret_null = !n;
	if (!n)
		return 0;
	field_name(field, sizeof(field), prefix, key);
	if (!n->is_int || n->i < min || n->i > max)
		return verr(c, -EINVAL, field, "%g is not an integer from %lld to %lld", n->d,
			    (long long)min, (long long)max);
	*ret = n->i;
	return 0;
}

static int need_bool(struct vctx *c, const struct pt_jnode *obj, const char *prefix,
		     const char *key, bool *ret)
{
	const struct pt_jnode *n;
	int r;

	r = need(c, obj, prefix, key, PT_J_BOOL, 0, &n);
	if (r < 0)
		return r;
	*ret = n->b;
	return 0;
}

static int need_enum(struct vctx *c, const struct pt_jnode *obj, const char *prefix,
		     const char *key, const char *const *values, size_t n_values, size_t *ret_i,
		     const char **ret)
{
	const char *s;
	char field[96], q[64];
	int r;

	r = need_str(c, obj, prefix, key, 0, 64, 't', &s);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_values; i++)
		if (streq(s, values[i])) {
			if (ret_i)
				*ret_i = i;
			*ret = values[i];
			return 0;
		}
	field_name(field, sizeof(field), prefix, key);
	return verr(c, -EINVAL, field, "unknown value \"%s\"", pt_text_safe(s, 40, q, sizeof(q)));
}

/* A string of exactly `digits` lower-case hex digits, or null. */
static int need_hex(struct vctx *c, const struct pt_jnode *obj, const char *prefix, const char *key,
		    unsigned digits, bool *ret_has, uint32_t *ret)
{
	const char *s;
	char field[96], q[64];
	uint32_t v = 0;
	int r;

	r = need_str(c, obj, prefix, key, NULLABLE, 16, 't', &s);
	if (r < 0)
		return r;
	*ret_has = s != NULL;
	if (!s)
		return 0;
	field_name(field, sizeof(field), prefix, key);
	for (unsigned i = 0; i < digits; i++) {
		int h = pt_hexval(s[i]);

		if (h < 0 || (s[i] >= 'A' && s[i] <= 'F'))
			return verr(c, -EINVAL, field, "\"%s\" is not %u lower-case hex digits",
				    pt_text_safe(s, 40, q, sizeof(q)), digits);
		v = v << 4 | (uint32_t)h;
	}
	if (s[digits] != '\0')
		return verr(c, -EINVAL, field, "\"%s\" is not %u lower-case hex digits",
			    pt_text_safe(s, 40, q, sizeof(q)), digits);
	*ret = v;
	return 0;
}

static int need_addr(struct vctx *c, const struct pt_jnode *n, const char *field,
		     struct pt_addr *ret)
{
	char q[64];

	if (n->type != PT_J_STRING)
		return verr(c, -EINVAL, field, "expected a string, found %s", jtype_name(n->type));
	if (pt_addr_parse(n->s, ret) < 0 || n->len != PT_ADDR_STRLEN - 1)
		return verr(c, -EINVAL, field, "\"%s\" is not a PCI address (dddd:bb:ss.f)",
			    pt_text_safe(n->s, 40, q, sizeof(q)));
	return 0;
}

/* An array of strings, each at most max bytes; pointers into the doc. */
static int need_strings(struct vctx *c, const struct pt_jnode *obj, const char *key, size_t max,
			const char ***ret, size_t *ret_n)
{
	const struct pt_jnode *a;
	char field[96];
	size_t i = 0;
	int r;

	r = need(c, obj, "", key, PT_J_ARRAY, 0, &a);
	if (r < 0)
		return r;
	*ret = calloc(a->len ? a->len : 1, sizeof(**ret));
	if (!*ret)
		return verr(c, -ENOMEM, "", "out of memory");
	for (const struct pt_jnode *e = a->child; e; e = e->next, i++) {
		snprintf(field, sizeof(field), "%s[%zu]", key, i);
		if (e->type != PT_J_STRING)
			return verr(c, -EINVAL, field, "expected a string, found %s",
				    jtype_name(e->type));
		if (e->len > max)
			return verr(c, -EINVAL, field, "%zu bytes long; at most %zu expected",
				    e->len, max);
		(*ret)[i] = e->s;
	}
	*ret_n = i;
	return 0;
}

static const char *const actions[] = {
	[PT_ACT_PLANNED] = "planned",	    [PT_ACT_BOUND] = "bound",
	[PT_ACT_ALREADY] = "already-bound", [PT_ACT_RECOVERED] = "recovered",
	[PT_ACT_RELEASED] = "released",	    [PT_ACT_KEPT] = "kept",
	[PT_ACT_SKIPPED] = "skipped",	    [PT_ACT_FAILED] = "failed",
};

/* "/dev/vfio/N" with N a group number written the way the agent writes it. */
static int parse_vfio_node(const char *s, int *ret)
{
	const char *p = s + strlen("/dev/vfio/");
	long v = 0;

	if (strncmp(s, "/dev/vfio/", strlen("/dev/vfio/")) != 0 || !*p || (p[0] == '0' && p[1]) ||
	    strlen(p) > 10)
		return -EINVAL;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (*p - '0');
	}
	if (v > INT_MAX)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

static int validate_device(struct vctx *c, const struct pt_jnode *o, size_t idx, struct pt_sdev *d)
{
	const struct pt_jnode *n;
	const char *s;
	char prefix[32], field[64];
	uint32_t v;
	bool has, null;
	int64_t g;
	size_t ai;
	int r;

	snprintf(prefix, sizeof(prefix), "devices[%zu]", idx);
	if (o->type != PT_J_OBJECT)
		return verr(c, -EINVAL, prefix, "expected an object, found %s",
			    jtype_name(o->type));
	r = check_object(c, o, prefix);
	if (r < 0)
		return r;
	r = need(c, o, prefix, "addr", PT_J_STRING, 0, &n);
	if (r < 0)
		return r;
	field_name(field, sizeof(field), prefix, "addr");
	r = need_addr(c, n, field, &d->addr);
	if (r < 0)
		return r;
	pt_addr_format(&d->addr, d->name);

	r = need_hex(c, o, prefix, "vendor", 4, &d->has_id, &v);
	if (r < 0)
		return r;
	d->vendor = (uint16_t)v;
	r = need_hex(c, o, prefix, "device", 4, &has, &v);
	if (r < 0)
		return r;
	d->device = (uint16_t)v;
	d->has_id = d->has_id && has;
	r = need_hex(c, o, prefix, "subvendor", 4, &d->has_subsys, &v);
	if (r < 0)
		return r;
	d->subvendor = (uint16_t)v;
	r = need_hex(c, o, prefix, "subdevice", 4, &has, &v);
	if (r < 0)
		return r;
	d->subdevice = (uint16_t)v;
	d->has_subsys = d->has_subsys && has;
	r = need_hex(c, o, prefix, "class", 6, &d->has_class, &d->class);
	if (r < 0)
		return r;

	r = need_int(c, o, prefix, "iommu_group", NULLABLE, 0, INT_MAX, &null, &g);
	if (r < 0)
		return r;
	d->iommu_group = null ? -1 : (int)g;
	r = need_bool(c, o, prefix, "boot_vga", &d->boot_vga);
	if (r < 0)
		return r;
	r = need_str(c, o, prefix, "selected_by", 0, PT_SELECTED_BY_MAX - 1, 'p', &d->selected_by);
	if (r < 0)
		return r;
	r = need_str(c, o, prefix, "driver_before", NULLABLE, PT_DRIVER_MAX - 1, 'd',
		     &d->driver_before);
	if (r < 0)
		return r;
	r = need_str(c, o, prefix, "driver_after", NULLABLE, PT_DRIVER_MAX - 1, 'd',
		     &d->driver_after);
	if (r < 0)
		return r;
	r = need_enum(c, o, prefix, "action", actions, ELEMENTSOF(actions), &ai, &s);
	if (r < 0)
		return r;
	d->action = (enum pt_action)ai;
	r = need_str(c, o, prefix, "error", NULLABLE, 4096, 't', &d->error);
	if (r < 0)
		return r;
	r = need_str(c, o, prefix, "vfio_node", NULLABLE, 32, 't', &s);
	if (r < 0)
		return r;
	d->vfio_node = -1;
	if (s) {
		char q[64];

		field_name(field, sizeof(field), prefix, "vfio_node");
		if (parse_vfio_node(s, &d->vfio_node) < 0)
			return verr(c, -EINVAL, field, "\"%s\" is not /dev/vfio/N",
				    pt_text_safe(s, 40, q, sizeof(q)));
		if (d->vfio_node != d->iommu_group)
			return verr(c, -EINVAL, field, "%s does not match iommu_group %d", s,
				    d->iommu_group);
	}
	return 0;
}

static int validate_group(struct vctx *c, const struct pt_jnode *o, size_t idx)
{
	const struct pt_jnode *a;
	char prefix[32], field[64];
	struct pt_addr addr;
	int64_t v;
	bool b;
	size_t i;
	int r;

	snprintf(prefix, sizeof(prefix), "groups[%zu]", idx);
	if (o->type != PT_J_OBJECT)
		return verr(c, -EINVAL, prefix, "expected an object, found %s",
			    jtype_name(o->type));
	r = check_object(c, o, prefix);
	if (r >= 0)
		r = need_int(c, o, prefix, "group", 0, 0, INT_MAX, NULL, &v);
	if (r >= 0)
		r = need_bool(c, o, prefix, "viable", &b);
	if (r >= 0)
		r = need(c, o, prefix, "members", PT_J_ARRAY, 0, &a);
	if (r < 0)
		return r;
	i = 0;
	for (const struct pt_jnode *m = a->child; m; m = m->next, i++) {
		snprintf(field, sizeof(field), "%s.members[%zu]", prefix, i);
		r = need_addr(c, m, field, &addr);
		if (r < 0)
			return r;
	}
	r = need(c, o, prefix, "blockers", PT_J_ARRAY, 0, &a);
	if (r < 0)
		return r;
	i = 0;
	for (const struct pt_jnode *m = a->child; m; m = m->next, i++) {
		const struct pt_jnode *n;
		const char *s;

		snprintf(field, sizeof(field), "%s.blockers[%zu]", prefix, i);
		if (m->type != PT_J_OBJECT)
			return verr(c, -EINVAL, field, "expected an object, found %s",
				    jtype_name(m->type));
		r = check_object(c, m, field);
		if (r >= 0)
			r = need(c, m, field, "addr", PT_J_STRING, 0, &n);
		if (r < 0)
			return r;
		snprintf(field, sizeof(field), "%s.blockers[%zu].addr", prefix, i);
		r = need_addr(c, n, field, &addr);
		if (r < 0)
			return r;
		snprintf(field, sizeof(field), "%s.blockers[%zu]", prefix, i);
		if (pt_jget(m, "driver")) {
			r = need_str(c, m, field, "driver", NULLABLE, PT_DRIVER_MAX - 1, 'd', &s);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int validate_module(struct vctx *c, const struct pt_jnode *o, size_t idx)
{
	static const char *const results[] = { "loaded", "builtin", "already", "failed",
					       "skipped" };
	char prefix[32];
	const char *s;
	int r;

	snprintf(prefix, sizeof(prefix), "modules[%zu]", idx);
	if (o->type != PT_J_OBJECT)
		return verr(c, -EINVAL, prefix, "expected an object, found %s",
			    jtype_name(o->type));
	r = check_object(c, o, prefix);
	if (r >= 0)
		r = need_str(c, o, prefix, "name", 0, 256, 't', &s);
	if (r >= 0)
		r = need_enum(c, o, prefix, "result", results, ELEMENTSOF(results), NULL, &s);
	if (r >= 0)
		r = need_str(c, o, prefix, "error", NULLABLE, 4096, 't', &s);
	return r;
}

/* 1-based line and column (in bytes) of a byte offset. */
static void line_col(const char *text, size_t len, size_t off, unsigned *ret_line,
		     unsigned *ret_col)
{
	unsigned line = 1, col = 1;

	for (size_t i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	*ret_line = line;
	*ret_col = col;
}

static int validate_state(struct vctx *c, struct pt_sstate *st)
{
	static const char *const sources[] = { "cmdline", "config", "none" };
	static const char *const results[] = { "ok", "partial", "failed", "disabled",
					       "nothing-to-do" };
	static const char *const policies[] = { "auto", "strict", "warn" };
	static const char *const onfails[] = { "release", "keep" };
	static const char *const fbs[] = { "auto", "release", "keep" };
	const struct pt_jnode *root = st->doc.root, *n, *opts;
	const char *s;
	int64_t started, finished;
	size_t i;
	int r;

	if (root->type != PT_J_OBJECT)
		return verr(c, -EINVAL, "", "the top level is %s, not an object",
			    jtype_name(root->type));
	r = check_object(c, root, "");
	if (r < 0)
		return r;
	/* The schema number first: a later schema may change any other key. */
	r = need(c, root, "", "schema", PT_J_NUMBER, 0, &n);
	if (r < 0)
		return r;
	if (!n->is_int)
		return verr(c, -EINVAL, "schema", "%g is not an integer", n->d);
	st->schema = n->i;
	if (n->i != PT_STATE_SCHEMA)
		return verr(c, -EPROTONOSUPPORT, "schema",
			    "%lld is not supported: this pt-status reads schema %d",
			    (long long)n->i, PT_STATE_SCHEMA);

	r = need_str(c, root, "", "agent", 0, 63, 'p', &st->agent);
	if (r < 0)
		return r;
	r = need_str(c, root, "", "boot_id", NULLABLE, 63, 'p', &st->boot_id);
	if (r < 0)
		return r;
	for (s = st->boot_id; s && *s; s++)
		if (pt_hexval(*s) < 0 && *s != '-')
			return verr(c, -EINVAL, "boot_id", "not a boot id (hex digits and '-')");
	r = need_int(c, root, "", "started_ms", 0, 0, INT64_MAX, NULL, &started);
	if (r >= 0)
		r = need_int(c, root, "", "finished_ms", 0, 0, INT64_MAX, NULL, &finished);
	if (r < 0)
		return r;
	if (finished < started)
		return verr(c, -EINVAL, "finished_ms", "earlier than started_ms");
	r = need_enum(c, root, "", "source", sources, ELEMENTSOF(sources), NULL, &st->source);
	if (r < 0)
		return r;
	r = need_str(c, root, "", "spec", NULLABLE, 65536, 't', &st->spec);
	if (r < 0)
		return r;

	r = need(c, root, "", "options", PT_J_OBJECT, 0, &opts);
	if (r >= 0)
		r = check_object(c, opts, "options");
	if (r >= 0)
		r = need_enum(c, opts, "options", "group", policies, ELEMENTSOF(policies), NULL,
			      &st->group_policy);
	if (r >= 0)
		r = need_enum(c, opts, "options", "onfail", onfails, ELEMENTSOF(onfails), NULL, &s);
	if (r >= 0)
		r = need_enum(c, opts, "options", "fb", fbs, ELEMENTSOF(fbs), NULL, &s);
	if (r >= 0)
		r = need_bool(c, opts, "options", "dryrun", &st->dryrun);
	if (r >= 0)
		r = need_bool(c, root, "", "iommu", &st->iommu);
	if (r < 0)
		return r;

	r = need(c, root, "", "modules", PT_J_ARRAY, 0, &n);
	if (r < 0)
		return r;
	i = 0;
	for (const struct pt_jnode *m = n->child; m; m = m->next, i++) {
		r = validate_module(c, m, i);
		if (r < 0)
			return r;
	}

	r = need(c, root, "", "devices", PT_J_ARRAY, 0, &n);
	if (r < 0)
		return r;
	st->devs = calloc(n->len ? n->len : 1, sizeof(*st->devs));
	if (!st->devs)
		return verr(c, -ENOMEM, "", "out of memory");
	for (const struct pt_jnode *d = n->child; d; d = d->next) {
		struct pt_sdev *sd = &st->devs[st->n_devs];

		r = validate_device(c, d, st->n_devs, sd);
		if (r < 0)
			return r;
		for (size_t k = 0; k < st->n_devs; k++)
			if (pt_addr_cmp(&st->devs[k].addr, &sd->addr) == 0) {
				char field[32];

				snprintf(field, sizeof(field), "devices[%zu].addr", st->n_devs);
				return verr(c, -EINVAL, field, "%s is listed twice (devices[%zu])",
					    sd->name, k);
			}
		st->n_devs++;
	}

	r = need(c, root, "", "groups", PT_J_ARRAY, 0, &n);
	if (r < 0)
		return r;
	i = 0;
	for (const struct pt_jnode *g = n->child; g; g = g->next, i++) {
		r = validate_group(c, g, i);
		if (r < 0)
			return r;
	}

	r = need_strings(c, root, "errors", 4096, &st->errors, &st->n_errors);
	if (r >= 0)
		r = need_strings(c, root, "warnings", 4096, &st->warnings, &st->n_warnings);
	if (r >= 0)
		r = need_enum(c, root, "", "result", results, ELEMENTSOF(results), NULL,
			      &st->result);
	return r;
}

int pt_sstate_parse(const char *file, const char *text, size_t len, struct pt_sstate *ret,
		    char *err, size_t errsize)
{
	struct vctx c = { .file = file, .err = err, .errsize = errsize };
	struct pt_jerror je;
	unsigned line, col;
	int r;

	*ret = (struct pt_sstate){ 0 };
	err[0] = '\0';
	r = pt_jsonr_parse(text, len, &ret->doc, &je);
	if (r == -ENOMEM)
		return verr(&c, r, "", "out of memory");
	if (r < 0) {
		line_col(text, len, je.offset, &line, &col);
		return verr(&c, r, "", "line %u, column %u (byte %zu): %s", line, col, je.offset,
			    je.msg);
	}
	r = validate_state(&c, ret);
	if (r < 0)
		pt_sstate_free(ret);
	return r;
}

void pt_sstate_free(struct pt_sstate *s)
{
	pt_jsonr_free(&s->doc);
	free(s->devs);
	free(s->errors);
	free(s->warnings);
	*s = (struct pt_sstate){ 0 };
}

int pt_sstate_read(const struct pt_sysfs *sys, struct pt_sstate *ret, char *err, size_t errsize)
{
	struct vctx c = { .file = PT_STATE_FILE, .err = err, .errsize = errsize };
	char path[PATH_MAX];
	size_t len = 0;
	struct stat st;
	char *buf;
	int fd, r;

	*ret = (struct pt_sstate){ 0 };
	err[0] = '\0';
	r = pt_sysfs_path(sys, path, sizeof(path), PT_STATE_FILE);
	if (r < 0)
		return verr(&c, r, "", "path too long");
	/* Never through a symlink (the agent never writes one), and never
	 * block on a FIFO someone put there. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT || r == -ENOTDIR)
			return verr(&c, -ENOENT, "", "no such file");
		if (r == -ELOOP)
			return verr(&c, -EINVAL, "",
				    "is a symlink; pt-agent never writes one, so it is not read");
		return verr(&c, r, "", "cannot open: %s", strerror(-r));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return verr(&c, -EINVAL, "", "not a regular file");
	}
	/* pt-agent runs as root: a state file someone else owns is not its. */
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		close(fd);
		return verr(&c, -EPERM, "",
			    "is owned by uid %u, not root: pt-agent did not write it, so it is not "
			    "read",
			    (unsigned)st.st_uid);
	}
	buf = malloc(PT_JSONR_MAX_SIZE + 1);
	if (!buf) {
		close(fd);
		return verr(&c, -ENOMEM, "", "out of memory");
	}
	while (len <= PT_JSONR_MAX_SIZE) {
		ssize_t n = read(fd, buf + len, PT_JSONR_MAX_SIZE + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			close(fd);
			free(buf);
			return verr(&c, r, "", "cannot read: %s", strerror(-r));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > PT_JSONR_MAX_SIZE) {
		free(buf);
		return verr(&c, -EFBIG, "", "larger than %u bytes: not a state file",
			    PT_JSONR_MAX_SIZE);
	}
	r = pt_sstate_parse(PT_STATE_FILE, buf, len, ret, err, errsize);
	free(buf);
	return r;
}
