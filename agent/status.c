/* SPDX-License-Identifier: MIT */
/*
 * status.c — the state file checked against the live system; see status.h.
 *
 * The state file is untrusted: every value is checked before it is used,
 * addresses go through pt_addr_parse() before they become part of a path,
 * and no path is ever built from its text (a /dev/vfio node is named after
 * the live IOMMU group number, never after the file's "vfio_node").
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "state.h"
#include "status.h"

/* ---- text safe for a terminal ------------------------------------------------------ */

/*
 * Append s made safe for a terminal: printable ASCII and UTF-8 from U+00A0
 * on pass; C0 and C1 controls, DEL and invalid bytes become \xNN, so a
 * hostile string cannot move the cursor or retitle the window. At most
 * max_chars characters and max_bytes bytes (max_bytes >= 4); a longer text
 * ends in "...", never in half an escape or half a character.
 */
static void put_safe(struct pt_buf *b, const char *s, size_t max_chars, size_t max_bytes)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), chars = 0, bytes = 0;

	for (size_t i = 0; i < len;) {
		uint32_t cp = 0;
		size_t k = pt_utf8_decode(p + i, len - i, &cp);
		bool esc = k == 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
		size_t piece = esc ? 4 : k;

		if (chars == max_chars || bytes + piece > max_bytes - 3) {
			pt_buf_puts(b, "...");
			return;
		}
		chars++;
		bytes += piece;
		if (esc) {
			pt_buf_printf(b, "\\x%02x", p[i]);
			i++;
			continue;
		}
		pt_buf_add(b, s + i, k);
		i += k;
	}
}

/* The same into a fixed buffer (for messages). */
static const char *safe(const char *s, size_t max_chars, char *buf, size_t size)
{
	struct pt_buf b;

	pt_buf_init(&b);
	put_safe(&b, s, max_chars, size - 1);
	pt_strlcpy(buf, pt_buf_ok(&b) ? pt_buf_str(&b) : "?", size);
	pt_buf_free(&b);
	return buf;
}

/* Display width: code points, not bytes. */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

/* ---- the state file ---------------------------------------------------------------- */

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
					    safe(a->key, 40, q, sizeof(q)));
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
				    safe(n->s, 40, q, sizeof(q)),
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
	return verr(c, -EINVAL, field, "unknown value \"%s\"", safe(s, 40, q, sizeof(q)));
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
				    safe(s, 40, q, sizeof(q)), digits);
		v = v << 4 | (uint32_t)h;
	}
	if (s[digits] != '\0')
		return verr(c, -EINVAL, field, "\"%s\" is not %u lower-case hex digits",
			    safe(s, 40, q, sizeof(q)), digits);
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
			    safe(n->s, 40, q, sizeof(q)));
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
				    safe(s, 40, q, sizeof(q)));
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

/* ---- names ------------------------------------------------------------------------- */

static const char *lookup(const struct pt_names *nm, enum pt_name_kind k, unsigned a, unsigned b,
			  char *buf, size_t size)
{
	const char *r;

	if (!nm || !nm->lookup)
		return NULL;
	r = nm->lookup(nm->userdata, k, a, b, buf, size);
	return r && *r ? r : NULL;
}

/* "NVIDIA Corporation TU106 [GeForce RTX 2060] [10de:1f08]", as lspci -nn
 * prints it, or "10de:1f08" without a name. */
static void id_text(const struct pt_names *nm, uint16_t vendor, uint16_t device, char *buf,
		    size_t size)
{
	char vb[128], db[256];
	const char *v = lookup(nm, PT_NAME_VENDOR, vendor, 0, vb, sizeof(vb));
	const char *d = v ? lookup(nm, PT_NAME_DEVICE, vendor, device, db, sizeof(db)) : NULL;

	if (v && d)
		snprintf(buf, size, "%s %s [%04x:%04x]", v, d, vendor, device);
	else if (v)
		snprintf(buf, size, "%s device [%04x:%04x]", v, vendor, device);
	else
		snprintf(buf, size, "%04x:%04x", vendor, device);
}

/* "VGA compatible controller [0300]", or "class 0300". */
static void class_text(const struct pt_names *nm, uint32_t class, char *buf, size_t size)
{
	char cb[128];
	const char *c = lookup(nm, PT_NAME_CLASS, (class >> 8) & 0xffffu, 0, cb, sizeof(cb));

	if (c)
		snprintf(buf, size, "%s [%04x]", c, (class >> 8) & 0xffffu);
	else
		snprintf(buf, size, "class %04x", (class >> 8) & 0xffffu);
}

/* ---- /dev/vfio nodes --------------------------------------------------------------- */

/* The name of uid (or gid) from <root>/etc/passwd (or group), as found in
 * a fixture or a dumped system. */
static bool name_from_file(const struct pt_sysfs *sys, const char *file, unsigned id, char *buf,
			   size_t size)
{
	char path[PATH_MAX], line[512];
	bool found = false;
	FILE *f;

	if (pt_sysfs_path(sys, path, sizeof(path), "%s", file) < 0)
		return false;
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *name = line, *p = strchr(line, ':'), *q, *end;
		unsigned long v;

		if (!p)
			continue;
		*p++ = '\0';
		q = strchr(p, ':'); /* past the password field */
		if (!q)
			continue;
		errno = 0;
		v = strtoul(q + 1, &end, 10);
		if (errno || end == q + 1 || *end != ':' || v != id || !*name)
			continue;
		pt_strlcpy(buf, name, size);
		found = true;
	}
	fclose(f);
	return found;
}

static void owner_names(const struct pt_sysfs *sys, uid_t uid, gid_t gid, char *user, size_t usize,
			char *group, size_t gsize)
{
	snprintf(user, usize, "%u", (unsigned)uid);
	snprintf(group, gsize, "%u", (unsigned)gid);
	if (sys->rootlen > 0) {
		/* A sysroot's files belong to its own passwd, not this host's. */
		name_from_file(sys, "/etc/passwd", (unsigned)uid, user, usize);
		name_from_file(sys, "/etc/group", (unsigned)gid, group, gsize);
		return;
	} else {
		char buf[4096];
		struct passwd pw, *pwp = NULL;
		struct group gr, *grp = NULL;

		if (getpwuid_r(uid, &pw, buf, sizeof(buf), &pwp) == 0 && pwp)
			pt_strlcpy(user, pwp->pw_name, usize);
		if (getgrgid_r(gid, &gr, buf, sizeof(buf), &grp) == 0 && grp)
			pt_strlcpy(group, grp->gr_name, gsize);
	}
}

static void node_check(const struct pt_sysfs *sys, const char *rel, struct pt_node *n)
{
	char path[PATH_MAX];
	struct stat st;

	*n = (struct pt_node){ .checked = true };
	pt_strlcpy(n->path, rel, sizeof(n->path));
	if (pt_sysfs_path(sys, path, sizeof(path), "%s", rel) < 0) {
		n->err = -ENAMETOOLONG;
		return;
	}
	if (stat(path, &st) < 0) {
		n->err = -errno;
		return;
	}
	n->present = true;
	n->mode = st.st_mode;
	owner_names(sys, st.st_uid, st.st_gid, n->owner, sizeof(n->owner), n->group,
		    sizeof(n->group));
	n->accessible = access(path, R_OK | W_OK) == 0;
}

static void mode_string(mode_t m, char buf[static 11])
{
	static const char rwx[] = "rwxrwxrwx";

	buf[0] = S_ISCHR(m) ? 'c' : S_ISBLK(m) ? 'b' : S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : '-';
	for (int i = 0; i < 9; i++)
		buf[1 + i] = (m & (1u << (8 - i))) ? rwx[i] : '-';
	buf[10] = '\0';
}

void pt_node_describe(const struct pt_node *n, char *buf, size_t size)
{
	char m[11];

	if (!n->present) {
		snprintf(buf, size, "missing");
		return;
	}
	mode_string(n->mode, m);
	snprintf(buf, size, "%s %04o %s:%s", m, (unsigned)(n->mode & 07777), n->owner, n->group);
}

/* ---- IOMMU groups, live ------------------------------------------------------------ */

struct glist {
	struct pt_pci *pci;
	struct pt_gview *gv;
	size_t cap;
};

static int glist_one(const char *name, void *userdata)
{
	struct glist *c = userdata;
	struct pt_gmember *m;
	struct pt_addr a;

	if (c->gv->n_members == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct pt_gmember *v = realloc(c->gv->members, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->gv->members = v;
		c->cap = cap;
	}
	m = &c->gv->members[c->gv->n_members++];
	*m = (struct pt_gmember){ 0 };
	safe(name, 40, m->raw, sizeof(m->raw));
	/* The names are the kernel's, but only a canonical address becomes
	 * part of a path; anything else stays a raw, unreadable member. */
	if (pt_addr_parse(name, &a) < 0 || strlen(name) != PT_ADDR_STRLEN - 1)
		return 0;
	if (pt_pci_get(c->pci, &a, &m->fn) < 0) {
		m->fn = NULL;
		return 0;
	}
	(void)pt_pci_load_identity(c->pci, m->fn);
	(void)pt_pci_load_state(c->pci, m->fn);
	return 0;
}

static int member_cmp(const void *x, const void *y)
{
	const struct pt_gmember *a = x, *b = y;

	if (a->fn && b->fn)
		return pt_addr_cmp(&a->fn->addr, &b->fn->addr);
	if (a->fn || b->fn)
		return a->fn ? -1 : 1;
	return strcmp(a->raw, b->raw);
}

/* Can vfio hand the group to a guest with this member as it is? Bridges
 * may stay with the host; an endpoint must be on a vfio driver, pci-stub,
 * or no driver. */
static bool member_blocks(const struct pt_gmember *m)
{
	if (!m->fn || m->fn->id_err || m->fn->state_err)
		return true;
	return !pt_pci_is_bridge(m->fn) && !pt_driver_is_inert(m->fn->driver);
}

static int gview_load(struct pt_pci *pci, const struct pt_sysfs *sys, int group,
		      struct pt_gview **ret)
{
	struct pt_gview *gv = calloc(1, sizeof(*gv));
	struct glist c = { .pci = pci };
	char node[32];
	int r;

	if (!gv)
		return -ENOMEM;
	gv->group = group;
	c.gv = gv;
	r = pt_pci_group_list(pci, group, glist_one, &c);
	if (r == -ENOMEM) {
		free(gv->members);
		free(gv);
		return r;
	}
	gv->list_err = r < 0 ? r : 0;
	if (gv->n_members)
		qsort(gv->members, gv->n_members, sizeof(*gv->members), member_cmp);
	gv->viable = gv->list_err == 0 && gv->n_members > 0;
	for (size_t i = 0; i < gv->n_members; i++) {
		struct pt_gmember *m = &gv->members[i];

		m->bridge = m->fn && !m->fn->id_err && pt_pci_is_bridge(m->fn);
		m->blocks = member_blocks(m);
		if (m->blocks)
			gv->viable = false;
	}
	snprintf(node, sizeof(node), "/dev/vfio/%d", group);
	node_check(sys, node, &gv->node);
	*ret = gv;
	return 0;
}

static void gview_free(struct pt_gview *gv)
{
	if (!gv)
		return;
	free(gv->members);
	free(gv);
}

/* "0000:27:00.0 (xhci_hcd)" */
static void member_text(const struct pt_gmember *m, char *buf, size_t size)
{
	if (!m->fn)
		snprintf(buf, size, "%s (unreadable)", m->raw);
	else if (m->fn->id_err || m->fn->state_err)
		snprintf(buf, size, "%s (unreadable)", m->fn->name);
	else
		snprintf(buf, size, "%s (%s)", m->fn->name,
			 m->fn->driver[0] ? m->fn->driver : "no driver");
}

/* ---- problems ---------------------------------------------------------------------- */

const char *pt_problem_kind_name(enum pt_problem_kind k)
{
	static const char *const names[] = {
		[PT_PROB_STATE_MISSING] = "state-missing",
		[PT_PROB_STATE_INVALID] = "state-invalid",
		[PT_PROB_STATE_STALE] = "state-stale",
		[PT_PROB_AGENT_DISABLED] = "agent-disabled",
		[PT_PROB_AGENT_NOTHING] = "agent-nothing-to-do",
		[PT_PROB_AGENT_DRYRUN] = "agent-dry-run",
		[PT_PROB_AGENT_RESULT] = "agent-result",
		[PT_PROB_NO_IOMMU] = "no-iommu",
		[PT_PROB_GONE] = "device-gone",
		[PT_PROB_UNREADABLE] = "device-unreadable",
		[PT_PROB_IDENTITY] = "device-changed",
		[PT_PROB_NOT_BOUND] = "not-bound",
		[PT_PROB_NO_GROUP] = "no-iommu-group",
		[PT_PROB_GROUP_CHANGED] = "iommu-group-changed",
		[PT_PROB_GROUP_NOT_VIABLE] = "group-not-viable",
		[PT_PROB_NODE_MISSING] = "vfio-node-missing",
		[PT_PROB_NODE_ACCESS] = "vfio-node-access",
		[PT_PROB_CONTAINER_MISSING] = "vfio-container-missing",
		[PT_PROB_CONTAINER_ACCESS] = "vfio-container-access",
	};

	return names[k];
}

static void problem(struct pt_status *s, enum pt_problem_kind kind, const char *addr, int group,
		    const char *fmt, ...) _printf_(5, 6);
static void problem(struct pt_status *s, enum pt_problem_kind kind, const char *addr, int group,
		    const char *fmt, ...)
{
	struct pt_problem *p;
	struct pt_buf b;
	va_list ap;

	if (s->n_problems == s->cap_problems) {
		size_t cap = s->cap_problems ? s->cap_problems * 2 : 8;
		struct pt_problem *v = realloc(s->problems, cap * sizeof(*v));

		if (!v) {
			s->oom = true;
			return;
		}
		s->problems = v;
		s->cap_problems = cap;
	}
	pt_buf_init(&b);
	va_start(ap, fmt);
	pt_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (!pt_buf_ok(&b) || !b.data) {
		pt_buf_free(&b);
		s->oom = true;
		return;
	}
	p = &s->problems[s->n_problems++];
	*p = (struct pt_problem){ .kind = kind, .group = group, .text = b.data };
	pt_strlcpy(p->addr, addr ? addr : "", sizeof(p->addr));
}

/* ---- pt-status --------------------------------------------------------------------- */

static struct pt_gview *status_group(struct pt_status *s, int group)
{
	struct pt_gview *gv, **v;
	size_t at;

	for (at = 0; at < s->n_groups && s->groups[at]->group < group; at++)
		;
	if (at < s->n_groups && s->groups[at]->group == group)
		return s->groups[at];
	v = realloc(s->groups, (s->n_groups + 1) * sizeof(*v));
	if (!v) {
		s->oom = true;
		return NULL;
	}
	s->groups = v;
	if (gview_load(&s->pci, s->sys, group, &gv) < 0) {
		s->oom = true;
		return NULL;
	}
	memmove(s->groups + at + 1, s->groups + at, (s->n_groups - at) * sizeof(*s->groups));
	s->groups[at] = gv;
	s->n_groups++;
	return gv;
}

static bool sdev_matches_id(const struct pt_selector *sel, const struct pt_sdev *d)
{
	if (!(sel->flags & PT_SEL_ID))
		return true;
	if (!d->has_id || ((sel->flags & PT_SEL_SUBSYS) && !d->has_subsys))
		return false;
	return pt_selector_match_id(sel, d->vendor, d->device, d->subvendor, d->subdevice);
}

/* Why a listed device is not meant to be on vfio, or NULL when it is. */
static const char *not_wanted_why(const struct pt_sdev *d, const struct pt_spec *spec)
{
	if (d->has_class && (d->class >> 16) == 0x06)
		return "(bridge)";
	if (d->action == PT_ACT_SKIPPED && d->error && strncmp(d->error, "excluded by ", 12) == 0)
		return "(excluded)";
	for (unsigned i = 0; spec && i < spec->n; i++) {
		const struct pt_selector *sel = &spec->sel[i];

		if (sel->flags & PT_SEL_EXCLUDE) {
			/* As the agent does: an address exclusion protects
			 * whatever sits there. */
			if ((sel->flags & PT_SEL_ADDR) ? pt_selector_match_addr(sel, &d->addr)
						       : sdev_matches_id(sel, d))
				return "(excluded)";
		} else if ((sel->flags & (PT_SEL_ADDR | PT_SEL_ID)) == (PT_SEL_ADDR | PT_SEL_ID) &&
			   streq(sel->text, d->selected_by) && d->has_id &&
			   !sdev_matches_id(sel, d)) {
			/* A pinned entry found another device there. */
			return "(refused)";
		}
	}
	return NULL;
}

static void check_not_bound(struct pt_status *s, const struct pt_sview *v)
{
	const struct pt_sdev *d = v->sd;
	const char *drv = v->fn->driver[0] ? v->fn->driver : NULL;
	char on[PT_DRIVER_MAX + 16], err[200];

	if (drv)
		snprintf(on, sizeof(on), "is on %s", drv);
	else
		snprintf(on, sizeof(on), "has no driver");
	if (s->stale) {
		problem(s, PT_PROB_NOT_BOUND, d->name, -1,
			"%s %s: the agent did not run in this boot's initramfs; is the hook "
			"installed?",
			d->name, on);
		return;
	}
	switch (d->action) {
	case PT_ACT_PLANNED:
		problem(s, PT_PROB_NOT_BOUND, d->name, -1,
			"%s %s: pt-agent ran with pt.dryrun and changed nothing", d->name, on);
		return;
	case PT_ACT_BOUND:
	case PT_ACT_ALREADY:
	case PT_ACT_RECOVERED:
		problem(s, PT_PROB_NOT_BOUND, d->name, -1,
			"%s %s now, but pt-agent left it on %s at boot: something took it "
			"back since (a manual unbind, driverctl, a libvirt managed hostdev); "
			"give it back to vfio-pci or reboot",
			d->name, on, d->driver_after ? d->driver_after : "vfio-pci");
		return;
	default:
		problem(s, PT_PROB_NOT_BOUND, d->name, -1,
			"%s %s: pt-agent did not bind it at boot: %s", d->name, on,
			d->error ? safe(d->error, 160, err, sizeof(err)) : "no reason recorded");
		return;
	}
}

static void check_device(struct pt_status *s, struct pt_sview *v, const struct pt_spec *spec)
{
	const struct pt_sdev *d = v->sd;
	const char *why = not_wanted_why(d, spec);
	struct pt_pci_func *f;
	int r;

	v->wanted = why == NULL;
	if (v->wanted)
		pt_strlcpy(v->expected,
			   d->driver_after && pt_driver_is_vfio(d->driver_after) ? d->driver_after
										 : "vfio-pci",
			   sizeof(v->expected));
	else
		pt_strlcpy(v->expected, why, sizeof(v->expected));

	r = pt_pci_get(&s->pci, &d->addr, &f);
	if (r == -ENODEV) {
		problem(s, PT_PROB_GONE, d->name, -1,
			"%s is gone from the bus: it is in the state file but not under "
			"/sys/bus/pci/devices; if a card was added or removed, addresses may "
			"have shifted: check pt.devices=",
			d->name);
		return;
	}
	if (r < 0) {
		problem(s, PT_PROB_UNREADABLE, d->name, -1, "cannot look up %s: %s", d->name,
			strerror(-r));
		return;
	}
	v->fn = f;
	if (pt_pci_load_identity(&s->pci, f) < 0)
		problem(s, PT_PROB_UNREADABLE, d->name, -1, "cannot read %s of %s: %s",
			f->id_err_attr, d->name, strerror(-f->id_err));
	else if (d->has_id && (f->vendor != d->vendor || f->device != d->device ||
			       (d->has_subsys &&
				(f->subvendor != d->subvendor || f->subdevice != d->subdevice))))
		problem(s, PT_PROB_IDENTITY, d->name, -1,
			"%s is now %04x:%04x (subsystem %04x:%04x), but the state file recorded "
			"%04x:%04x (subsystem %04x:%04x): the device at this address changed "
			"since pt-agent ran",
			d->name, f->vendor, f->device, f->subvendor, f->subdevice, d->vendor,
			d->device, d->subvendor, d->subdevice);
	if (pt_pci_load_state(&s->pci, f) < 0) {
		problem(s, PT_PROB_UNREADABLE, d->name, -1, "cannot read %s of %s: %s",
			f->state_err_attr, d->name, strerror(-f->state_err));
		return;
	}
	v->bound = pt_driver_is_vfio(f->driver);
	if (v->wanted && !v->bound)
		check_not_bound(s, v);
	if (f->iommu_group < 0) {
		if (v->wanted && s->iommu_groups > 0)
			problem(s, PT_PROB_NO_GROUP, d->name, -1,
				"%s has no IOMMU group: the IOMMU does not cover it, so vfio "
				"cannot take it",
				d->name);
		return;
	}
	if (d->iommu_group >= 0 && d->iommu_group != f->iommu_group)
		problem(s, PT_PROB_GROUP_CHANGED, d->name, f->iommu_group,
			"%s is in IOMMU group %d now, but the state file recorded group %d",
			d->name, f->iommu_group, d->iommu_group);
	v->gv = status_group(s, f->iommu_group);
}

static bool listed_and_wanted(const struct pt_status *s, const struct pt_pci_func *fn)
{
	for (size_t i = 0; i < s->n_views; i++)
		if (s->views[i].fn == fn)
			return s->views[i].wanted;
	return false;
}

static void you(char *buf, size_t size)
{
	snprintf(buf, size, "you (uid %u)", (unsigned)getuid());
}

static void check_group(struct pt_status *s, struct pt_gview *gv)
{
	const struct pt_sview *bound = NULL;
	bool wanted = false;
	char who[32], desc[96];
	struct pt_buf b;
	size_t n = 0;

	for (size_t i = 0; i < s->n_views; i++) {
		if (s->views[i].gv != gv || !s->views[i].wanted)
			continue;
		wanted = true;
		if (s->views[i].bound && !bound)
			bound = &s->views[i];
	}
	if (!wanted)
		return;

	if (gv->list_err)
		problem(s, PT_PROB_UNREADABLE, NULL, gv->group, "cannot list IOMMU group %d: %s",
			gv->group, strerror(-gv->list_err));
	/* The blockers the user can act on: devices the state file does not
	 * want on vfio. A listed device that is not bound has its own line. */
	pt_buf_init(&b);
	for (size_t i = 0; i < gv->n_members; i++) {
		const struct pt_gmember *m = &gv->members[i];
		char t[128];

		if (!m->blocks || (m->fn && listed_and_wanted(s, m->fn)))
			continue;
		member_text(m, t, sizeof(t));
		pt_buf_printf(&b, "%s%s", n ? ", " : "", t);
		n++;
	}
	if (n)
		problem(s, PT_PROB_GROUP_NOT_VIABLE, NULL, gv->group,
			"group %d also holds %s: pass %s too or move the card to a slot with its "
			"own group (see pt-status groups)",
			gv->group, pt_buf_str(&b), n > 1 ? "them" : "it");
	if (!pt_buf_ok(&b))
		s->oom = true;
	pt_buf_free(&b);

	if (!bound)
		return;
	if (!gv->node.present) {
		problem(s, PT_PROB_NODE_MISSING, NULL, gv->group,
			"%s is missing, though %s is on %s: vfio did not create the group's node "
			"(is devtmpfs mounted on /dev?)",
			gv->node.path, bound->sd->name, bound->fn->driver);
	} else if (!gv->node.accessible) {
		you(who, sizeof(who));
		pt_node_describe(&gv->node, desc, sizeof(desc));
		problem(s, PT_PROB_NODE_ACCESS, NULL, gv->group,
			"%s is %s: %s cannot open it; add a udev rule such as "
			"SUBSYSTEM==\"vfio\", GROUP=\"kvm\", MODE=\"0660\" and join that group, "
			"or start the VM as the node's owner",
			gv->node.path, desc, who);
	}
}

static void check_state_file(struct pt_status *s)
{
	const struct pt_sstate *st = &s->st;

	s->stale = st->boot_id && s->boot_id[0] && !streq(st->boot_id, s->boot_id);
	if (s->stale)
		problem(s, PT_PROB_STATE_STALE, NULL, -1,
			"%s is from an earlier boot (boot_id %s; this boot is %s): pt-agent did "
			"not run in this boot",
			PT_STATE_FILE, st->boot_id, s->boot_id);
	if (streq(st->result, "disabled"))
		problem(s, PT_PROB_AGENT_DISABLED, NULL, -1,
			"pt-agent was turned off with pt.off: it bound nothing");
	else if (streq(st->result, "nothing-to-do"))
		problem(s, PT_PROB_AGENT_NOTHING, NULL, -1,
			"pt-agent had no device list (pt.devices= on the kernel command line, or "
			"devices = in /etc/pt.conf): it bound nothing");
	else if (st->dryrun)
		problem(s, PT_PROB_AGENT_DRYRUN, NULL, -1,
			"pt-agent ran with pt.dryrun: it planned, but bound nothing; remove "
			"pt.dryrun to bind");
	if (streq(st->result, "failed") || streq(st->result, "partial"))
		problem(s, PT_PROB_AGENT_RESULT, NULL, -1,
			"pt-agent's result at boot was \"%s\", with %zu error%s (listed above)",
			st->result, st->n_errors, st->n_errors == 1 ? "" : "s");
}

static int sview_cmp(const void *x, const void *y)
{
	const struct pt_sview *a = x, *b = y;

	return pt_addr_cmp(&a->sd->addr, &b->sd->addr);
}

int pt_status_collect(struct pt_status *s, const struct pt_sysfs *sys, const struct pt_names *names)
{
	struct pt_spec spec, *specp = NULL;
	struct pt_spec_error serr;
	char path[PATH_MAX];
	bool any_bound = false;
	int r;

	*s = (struct pt_status){ .sys = sys, .names = names };
	pt_pci_init(&s->pci, sys);

	if (pt_sysfs_path(sys, path, sizeof(path), "/proc/sys/kernel/random/boot_id") < 0 ||
	    pt_sysfs_read(sys, path, s->boot_id, sizeof(s->boot_id)) < 0)
		s->boot_id[0] = '\0';
	s->iommu_groups = pt_pci_iommu_group_count(sys);

	r = pt_sstate_read(sys, &s->st, s->state_err, sizeof(s->state_err));
	if (r == -ENOMEM)
		return r;
	if (r == -ENOENT) {
		s->state = PT_STATE_MISSING;
		problem(s, PT_PROB_STATE_MISSING, NULL, -1,
			"no state file %s: pt-agent did not run in this boot's initramfs (is its "
			"hook installed, or rdinit=/pt-agent set?), or /run was not carried into "
			"the real root",
			PT_STATE_FILE);
		return s->oom ? -ENOMEM : 0;
	}
	if (r < 0) {
		s->state = PT_STATE_INVALID;
		problem(s, PT_PROB_STATE_INVALID, NULL, -1, "cannot use the state file: %s",
			s->state_err);
		return s->oom ? -ENOMEM : 0;
	}
	s->state = PT_STATE_OK;
	check_state_file(s);
	if (s->iommu_groups == 0)
		problem(s, PT_PROB_NO_IOMMU, NULL, -1,
			"there are no IOMMU groups under /sys/kernel/iommu_groups: the IOMMU is "
			"off; enable VT-d (Intel) or AMD-Vi (AMD) in the firmware, and boot with "
			"intel_iommu=on on Intel");

	if (s->st.spec && pt_spec_parse(s->st.spec, &spec, &serr) == 0)
		specp = &spec;
	s->views = calloc(s->st.n_devs ? s->st.n_devs : 1, sizeof(*s->views));
	if (!s->views)
		return -ENOMEM;
	s->n_views = s->st.n_devs;
	for (size_t i = 0; i < s->n_views; i++)
		s->views[i].sd = &s->st.devs[i];
	qsort(s->views, s->n_views, sizeof(*s->views), sview_cmp);
	for (size_t i = 0; i < s->n_views; i++) {
		check_device(s, &s->views[i], specp);
		any_bound |= s->views[i].wanted && s->views[i].bound;
	}
	for (size_t i = 0; i < s->n_groups; i++)
		check_group(s, s->groups[i]);

	if (any_bound) {
		char who[32], desc[96];

		node_check(sys, "/dev/vfio/vfio", &s->container);
		if (!s->container.present) {
			problem(s, PT_PROB_CONTAINER_MISSING, NULL, -1,
				"/dev/vfio/vfio is missing: QEMU needs it to use any vfio group "
				"(is the vfio module loaded?)");
		} else if (!s->container.accessible) {
			you(who, sizeof(who));
			pt_node_describe(&s->container, desc, sizeof(desc));
			problem(s, PT_PROB_CONTAINER_ACCESS, NULL, -1,
				"/dev/vfio/vfio is %s: %s cannot open it (it is normally "
				"crw-rw-rw-)",
				desc, who);
		}
	}
	return s->oom ? -ENOMEM : 0;
}

void pt_status_free(struct pt_status *s)
{
	for (size_t i = 0; i < s->n_groups; i++)
		gview_free(s->groups[i]);
	free(s->groups);
	for (size_t i = 0; i < s->n_problems; i++)
		free(s->problems[i].text);
	free(s->problems);
	free(s->views);
	pt_sstate_free(&s->st);
	pt_pci_free(&s->pci);
	*s = (struct pt_status){ 0 };
}

int pt_status_exit_code(const struct pt_status *s)
{
	if (s->state == PT_STATE_MISSING)
		return PT_EXIT_NO_STATE;
	return s->n_problems ? PT_EXIT_PROBLEM : PT_EXIT_OK;
}

bool pt_status_all_bound(const struct pt_status *s)
{
	size_t wanted = 0;

	if (s->state != PT_STATE_OK || s->stale || streq(s->st.result, "failed") ||
	    streq(s->st.result, "disabled") || streq(s->st.result, "nothing-to-do"))
		return false;
	for (size_t i = 0; i < s->n_views; i++) {
		const struct pt_sview *v = &s->views[i];

		if (!v->wanted)
			continue;
		wanted++;
		if (!v->fn || !v->bound || !v->gv || !v->gv->node.present)
			return false;
	}
	return wanted > 0;
}

/* ---- a text table ------------------------------------------------------------------ */

#define TABLE_MAX_COLS 10

struct table {
	size_t ncols;
	char **cells;
	size_t n, cap; /* cells */
	bool oom;
};

static void table_row(struct table *t, const char *const *row)
{
	if (t->n + t->ncols > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16 * t->ncols;
		char **v = realloc(t->cells, cap * sizeof(*v));

		if (!v) {
			t->oom = true;
			return;
		}
		t->cells = v;
		t->cap = cap;
	}
	for (size_t i = 0; i < t->ncols; i++) {
		struct pt_buf b;

		pt_buf_init(&b);
		put_safe(&b, row[i], 200, SIZE_MAX);
		if (!pt_buf_ok(&b) || !b.data) {
			pt_buf_free(&b);
			t->oom = true;
			b.data = NULL;
		}
		t->cells[t->n++] = b.data;
	}
}

static void table_widths(const struct table *t, size_t width[static TABLE_MAX_COLS])
{
	for (size_t i = 0; i < TABLE_MAX_COLS; i++)
		width[i] = 0;
	for (size_t i = 0; i < t->n; i++) {
		size_t w = t->cells[i] ? text_width(t->cells[i]) : 1;

		if (w > width[i % t->ncols])
			width[i % t->ncols] = w;
	}
}

/* Print rows [first, first + count), columns padded to width. */
static void table_print_rows(const struct table *t, FILE *out, const char *indent,
			     const size_t *width, size_t first, size_t count)
{
	for (size_t i = first * t->ncols; i < (first + count) * t->ncols && i < t->n; i++) {
		size_t col = i % t->ncols;
		const char *c = t->cells[i] ? t->cells[i] : "?";

		if (col == 0)
			fputs(indent, out);
		fputs(c, out);
		if (col + 1 == t->ncols) {
			fputc('\n', out);
			continue;
		}
		for (size_t k = text_width(c); k < width[col] + 2; k++)
			fputc(' ', out);
	}
}

static void table_print(const struct table *t, FILE *out, const char *indent)
{
	size_t width[TABLE_MAX_COLS];

	table_widths(t, width);
	table_print_rows(t, out, indent, width, 0, t->ncols ? t->n / t->ncols : 0);
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->cells[i]);
	free(t->cells);
}

/* Print a line made safe for the terminal. */
static void print_safe(FILE *out, const char *prefix, const char *s)
{
	struct pt_buf b;

	pt_buf_init(&b);
	put_safe(&b, s, 2000, SIZE_MAX);
	fprintf(out, "%s%s\n", prefix, pt_buf_ok(&b) ? pt_buf_str(&b) : "?");
	pt_buf_free(&b);
}

/* ---- pt-status: the report --------------------------------------------------------- */

/* The identity to show: the live one when readable, else the recorded one. */
static bool view_id(const struct pt_sview *v, uint16_t *vendor, uint16_t *device, uint32_t *class,
		    bool *has_class)
{
	if (v->fn && !v->fn->id_err) {
		*vendor = v->fn->vendor;
		*device = v->fn->device;
		*class = v->fn->class;
		*has_class = true;
		return true;
	}
	*vendor = v->sd->vendor;
	*device = v->sd->device;
	*class = v->sd->class;
	*has_class = v->sd->has_class;
	return v->sd->has_id;
}

/* Show the node of a device that is, or should be, on vfio. */
static bool view_shows_node(const struct pt_sview *v)
{
	return v->gv && (v->wanted || v->bound);
}

static void print_header(const struct pt_status *s, FILE *out)
{
	const struct pt_sstate *st = &s->st;
	char line[512], a[80], b[80];

	if (s->state == PT_STATE_MISSING) {
		fprintf(out, "State file: %s: missing\n", PT_STATE_FILE);
		return;
	}
	if (s->state == PT_STATE_INVALID) {
		fprintf(out, "State file: %s: invalid\n", PT_STATE_FILE);
		return;
	}
	if (!st->boot_id)
		snprintf(a, sizeof(a), "(no boot id recorded)");
	else if (!s->boot_id[0])
		snprintf(a, sizeof(a), "(this boot's id is unreadable)");
	else if (s->stale)
		snprintf(a, sizeof(a), "in an earlier boot");
	else
		snprintf(a, sizeof(a), "in this boot");
	snprintf(line, sizeof(line), "State file: %s, written by pt-agent %s %s", PT_STATE_FILE,
		 st->agent, a);
	print_safe(out, "", line);
	if (!st->spec)
		snprintf(b, sizeof(b), "no device list");
	else
		snprintf(b, sizeof(b), "devices from %s",
			 streq(st->source, "config") ? "/etc/pt.conf" : "the kernel command line");
	snprintf(line, sizeof(line), "Agent result: %s%s; %s%s%s%s; pt.group=%s", st->result,
		 st->dryrun ? " (dry run)" : "", b, st->spec ? ": \"" : "",
		 st->spec ? safe(st->spec, 120, a, sizeof(a)) : "", st->spec ? "\"" : "",
		 st->group_policy);
	print_safe(out, "", line);
	if (st->n_errors || st->n_warnings) {
		fprintf(out, "pt-agent reported at boot:\n");
		for (size_t i = 0; i < st->n_errors; i++)
			print_safe(out, "  error: ", st->errors[i]);
		for (size_t i = 0; i < st->n_warnings; i++)
			print_safe(out, "  warning: ", st->warnings[i]);
	}
}

void pt_status_print(const struct pt_status *s, FILE *out)
{
	static const char *const head[] = { "ADDRESS", "GROUP", "DRIVER", "EXPECTED", "NODE",
					    "MODE",    "OPEN",	"VIABLE", "DEVICE" };
	struct table t = { .ncols = ELEMENTSOF(head) };
	size_t n_bound = 0;

	print_header(s, out);
	if (s->state == PT_STATE_OK) {
		fputc('\n', out);
		if (s->n_views == 0)
			fprintf(out, "The state file lists no devices.\n");
		else
			table_row(&t, head);
	}
	for (size_t i = 0; i < s->n_views; i++) {
		const struct pt_sview *v = &s->views[i];
		char group[16], driver[PT_DRIVER_MAX + 8], mode[128], dev[400];
		const char *row[ELEMENTSOF(head)];
		uint16_t vendor, device;
		uint32_t class;
		bool has_class;

		n_bound += v->wanted && v->bound;
		if (v->fn && v->fn->iommu_group >= 0)
			snprintf(group, sizeof(group), "%d", v->fn->iommu_group);
		else
			snprintf(group, sizeof(group), "-");
		if (!v->fn)
			snprintf(driver, sizeof(driver), "(gone)");
		else if (v->fn->state_err)
			snprintf(driver, sizeof(driver), "?");
		else
			snprintf(driver, sizeof(driver), "%s",
				 v->fn->driver[0] ? v->fn->driver : "(none)");
		if (view_shows_node(v))
			pt_node_describe(&v->gv->node, mode, sizeof(mode));
		else
			snprintf(mode, sizeof(mode), "-");
		if (view_id(v, &vendor, &device, &class, &has_class))
			id_text(s->names, vendor, device, dev, sizeof(dev));
		else
			snprintf(dev, sizeof(dev), "?");
		row[0] = v->sd->name;
		row[1] = group;
		row[2] = driver;
		row[3] = v->expected;
		row[4] = view_shows_node(v) ? v->gv->node.path : "-";
		row[5] = mode;
		row[6] = !view_shows_node(v) || !v->gv->node.present ? "-"
			 : v->gv->node.accessible		     ? "yes"
								     : "no";
		row[7] = !v->gv ? "-" : v->gv->viable ? "yes" : "no";
		row[8] = dev;
		table_row(&t, row);
	}
	table_print(&t, out, "");
	table_free(&t);

	if (s->n_problems) {
		fprintf(out, "\nProblems:\n");
		for (size_t i = 0; i < s->n_problems; i++)
			print_safe(out, "  - ", s->problems[i].text);
		fprintf(out, "\n%zu problem%s.\n", s->n_problems, s->n_problems == 1 ? "" : "s");
	} else {
		fprintf(out, "\nAll well: %zu device%s on vfio, ready for a guest.\n", n_bound,
			n_bound == 1 ? "" : "s");
	}
}

/* ---- pt-status: JSON --------------------------------------------------------------- */

static void json_hex(struct pt_json *j, const char *key, bool has, unsigned digits, uint32_t v)
{
	char buf[16];

	pt_json_key(j, key);
	if (!has) {
		pt_json_null(j);
		return;
	}
	snprintf(buf, sizeof(buf), "%0*x", (int)digits, v);
	pt_json_string(j, buf);
}

static void json_node(struct pt_json *j, const struct pt_node *n)
{
	char mode[11], octal[8];

	if (!n->checked) {
		pt_json_null(j);
		return;
	}
	pt_json_begin_object(j);
	pt_json_key(j, "path");
	pt_json_string(j, n->path);
	pt_json_key(j, "present");
	pt_json_bool(j, n->present);
	mode_string(n->mode, mode);
	snprintf(octal, sizeof(octal), "%04o", (unsigned)(n->mode & 07777));
	pt_json_key(j, "mode");
	pt_json_string(j, n->present ? mode : NULL);
	pt_json_key(j, "mode_octal");
	pt_json_string(j, n->present ? octal : NULL);
	pt_json_key(j, "owner");
	pt_json_string(j, n->present ? n->owner : NULL);
	pt_json_key(j, "owner_group");
	pt_json_string(j, n->present ? n->group : NULL);
	pt_json_key(j, "accessible");
	pt_json_bool(j, n->present && n->accessible);
	pt_json_end_object(j);
}

static void json_names(struct pt_json *j, const struct pt_names *nm, bool has_id, uint16_t vendor,
		       uint16_t device)
{
	char vb[128], db[256];
	const char *v = has_id ? lookup(nm, PT_NAME_VENDOR, vendor, 0, vb, sizeof(vb)) : NULL;
	const char *d = v ? lookup(nm, PT_NAME_DEVICE, vendor, device, db, sizeof(db)) : NULL;

	pt_json_key(j, "vendor_name");
	pt_json_string(j, v);
	pt_json_key(j, "device_name");
	pt_json_string(j, d);
}

static void json_gview(struct pt_json *j, const struct pt_gview *gv, const struct pt_names *nm)
{
	pt_json_begin_object(j);
	pt_json_key(j, "group");
	pt_json_int(j, gv->group);
	pt_json_key(j, "viable");
	pt_json_bool(j, gv->viable);
	pt_json_key(j, "blockers");
	pt_json_begin_array(j);
	for (size_t i = 0; i < gv->n_members; i++)
		if (gv->members[i].blocks)
			pt_json_string(j, gv->members[i].fn ? gv->members[i].fn->name
							    : gv->members[i].raw);
	pt_json_end_array(j);
	pt_json_key(j, "functions");
	pt_json_begin_array(j);
	for (size_t i = 0; i < gv->n_members; i++) {
		const struct pt_gmember *m = &gv->members[i];
		const struct pt_pci_func *f = m->fn;
		bool id = f && !f->id_err;
		char cb[128];

		pt_json_begin_object(j);
		pt_json_key(j, "addr");
		pt_json_string(j, f ? f->name : m->raw);
		json_hex(j, "vendor", id, 4, id ? f->vendor : 0);
		json_hex(j, "device", id, 4, id ? f->device : 0);
		json_hex(j, "class", id, 6, id ? f->class : 0);
		json_names(j, nm, id, id ? f->vendor : 0, id ? f->device : 0);
		pt_json_key(j, "class_name");
		pt_json_string(j, id ? lookup(nm, PT_NAME_CLASS, (f->class >> 8) & 0xffffu, 0, cb,
					      sizeof(cb))
				     : NULL);
		pt_json_key(j, "driver");
		pt_json_string_or_null(j, f && !f->state_err ? f->driver : NULL);
		pt_json_key(j, "bridge");
		pt_json_bool(j, m->bridge);
		pt_json_key(j, "blocks");
		pt_json_bool(j, m->blocks);
		pt_json_end_object(j);
	}
	pt_json_end_array(j);
	pt_json_key(j, "vfio_node");
	json_node(j, &gv->node);
	pt_json_end_object(j);
}

static void json_strings(struct pt_json *j, const char *key, const char *const *v, size_t n)
{
	pt_json_key(j, key);
	pt_json_begin_array(j);
	for (size_t i = 0; i < n; i++)
		pt_json_string(j, v[i]);
	pt_json_end_array(j);
}

static void json_view(struct pt_json *j, const struct pt_status *s, const struct pt_sview *v)
{
	const struct pt_sdev *d = v->sd;
	const struct pt_pci_func *f = v->fn;
	bool live = f && !f->id_err, has_class;
	uint16_t vendor, device;
	uint32_t class;
	bool has_id = view_id(v, &vendor, &device, &class, &has_class);

	pt_json_begin_object(j);
	pt_json_key(j, "addr");
	pt_json_string(j, d->name);
	json_hex(j, "vendor", has_id, 4, vendor);
	json_hex(j, "device", has_id, 4, device);
	json_hex(j, "subvendor", live || d->has_subsys, 4, live ? f->subvendor : d->subvendor);
	json_hex(j, "subdevice", live || d->has_subsys, 4, live ? f->subdevice : d->subdevice);
	json_hex(j, "class", has_class, 6, class);
	json_names(j, s->names, has_id, vendor, device);
	pt_json_key(j, "present");
	pt_json_bool(j, f != NULL);
	pt_json_key(j, "action");
	pt_json_string(j, actions[d->action]);
	pt_json_key(j, "selected_by");
	pt_json_string(j, d->selected_by);
	pt_json_key(j, "agent_error");
	pt_json_string(j, d->error);
	pt_json_key(j, "wanted");
	pt_json_bool(j, v->wanted);
	pt_json_key(j, "expected_driver");
	pt_json_string(j, v->wanted ? v->expected : NULL);
	pt_json_key(j, "driver");
	pt_json_string_or_null(j, f && !f->state_err ? f->driver : NULL);
	pt_json_key(j, "bound");
	pt_json_bool(j, v->bound);
	pt_json_key(j, "iommu_group");
	if (f && !f->state_err && f->iommu_group >= 0)
		pt_json_int(j, f->iommu_group);
	else
		pt_json_null(j);
	pt_json_key(j, "recorded_iommu_group");
	if (d->iommu_group >= 0)
		pt_json_int(j, d->iommu_group);
	else
		pt_json_null(j);
	pt_json_key(j, "vfio_node");
	if (view_shows_node(v))
		json_node(j, &v->gv->node);
	else
		pt_json_null(j);
	pt_json_key(j, "group_viable");
	if (v->gv)
		pt_json_bool(j, v->gv->viable);
	else
		pt_json_null(j);
	pt_json_end_object(j);
}

void pt_status_json(const struct pt_status *s, struct pt_buf *out)
{
	static const char *const states[] = { "ok", "missing", "invalid" };
	const struct pt_sstate *st = &s->st;
	bool ok = s->state == PT_STATE_OK;
	struct pt_json j;

	pt_json_init(&j, out);
	pt_json_begin_object(&j);
	pt_json_key(&j, "format");
	pt_json_int(&j, PT_STATUS_FORMAT);
	pt_json_key(&j, "command");
	pt_json_string(&j, "status");
	pt_json_key(&j, "state_file");
	pt_json_string(&j, PT_STATE_FILE);
	pt_json_key(&j, "state");
	pt_json_string(&j, states[s->state]);
	pt_json_key(&j, "state_error");
	pt_json_string(&j, s->state == PT_STATE_INVALID ? s->state_err : NULL);
	pt_json_key(&j, "this_boot");
	if (ok && st->boot_id && s->boot_id[0])
		pt_json_bool(&j, !s->stale);
	else
		pt_json_null(&j);
	pt_json_key(&j, "boot_id");
	pt_json_string(&j, ok ? st->boot_id : NULL);
	pt_json_key(&j, "current_boot_id");
	pt_json_string_or_null(&j, s->boot_id);
	pt_json_key(&j, "agent");
	pt_json_string(&j, ok ? st->agent : NULL);
	pt_json_key(&j, "result");
	pt_json_string(&j, ok ? st->result : NULL);
	pt_json_key(&j, "source");
	pt_json_string(&j, ok ? st->source : NULL);
	pt_json_key(&j, "spec");
	pt_json_string(&j, ok ? st->spec : NULL);
	pt_json_key(&j, "group_policy");
	pt_json_string(&j, ok ? st->group_policy : NULL);
	pt_json_key(&j, "dryrun");
	if (ok)
		pt_json_bool(&j, st->dryrun);
	else
		pt_json_null(&j);
	json_strings(&j, "agent_errors", st->errors, st->n_errors);
	json_strings(&j, "agent_warnings", st->warnings, st->n_warnings);
	pt_json_key(&j, "iommu_groups");
	if (s->iommu_groups >= 0)
		pt_json_int(&j, s->iommu_groups);
	else
		pt_json_null(&j);

	pt_json_key(&j, "devices");
	pt_json_begin_array(&j);
	for (size_t i = 0; i < s->n_views; i++)
		json_view(&j, s, &s->views[i]);
	pt_json_end_array(&j);
	pt_json_key(&j, "groups");
	pt_json_begin_array(&j);
	for (size_t i = 0; i < s->n_groups; i++)
		json_gview(&j, s->groups[i], s->names);
	pt_json_end_array(&j);
	pt_json_key(&j, "vfio_container");
	json_node(&j, &s->container);

	pt_json_key(&j, "problems");
	pt_json_begin_array(&j);
	for (size_t i = 0; i < s->n_problems; i++) {
		const struct pt_problem *p = &s->problems[i];

		pt_json_begin_object(&j);
		pt_json_key(&j, "kind");
		pt_json_string(&j, pt_problem_kind_name(p->kind));
		pt_json_key(&j, "addr");
		pt_json_string_or_null(&j, p->addr);
		pt_json_key(&j, "group");
		if (p->group >= 0)
			pt_json_int(&j, p->group);
		else
			pt_json_null(&j);
		pt_json_key(&j, "message");
		pt_json_string(&j, p->text);
		pt_json_end_object(&j);
	}
	pt_json_end_array(&j);
	pt_json_key(&j, "all_bound");
	pt_json_bool(&j, pt_status_all_bound(s));
	pt_json_key(&j, "exit_status");
	pt_json_int(&j, pt_status_exit_code(s));
	pt_json_end_object(&j);
	pt_buf_putc(out, '\n');
}

/* ---- pt-status groups -------------------------------------------------------------- */

struct gnum_ctx {
	int *v;
	size_t n, cap;
};

static int gnum_one(const char *name, void *userdata)
{
	struct gnum_ctx *c = userdata;
	char *end;
	long g;

	/* Group directories are decimal numbers; skip anything else. */
	if (name[0] < '0' || name[0] > '9' || (name[0] == '0' && name[1]))
		return 0;
	errno = 0;
	g = strtol(name, &end, 10);
	if (errno || *end || g > INT_MAX)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		int *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = (int)g;
	return 0;
}

static int int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int pt_groups_collect(struct pt_groups *g, const struct pt_sysfs *sys, const struct pt_names *names)
{
	struct gnum_ctx c = { 0 };
	char path[PATH_MAX];
	int r;

	*g = (struct pt_groups){ .sys = sys, .names = names };
	pt_pci_init(&g->pci, sys);
	r = pt_sysfs_path(sys, path, sizeof(path), "/sys/kernel/iommu_groups");
	if (r >= 0)
		r = pt_sysfs_list(sys, path, gnum_one, &c);
	if (r == -ENOMEM) {
		free(c.v);
		return r;
	}
	if (r < 0) {
		g->err = r;
		free(c.v);
		return 0;
	}
	if (c.n == 0)
		g->err = -ENOENT;
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), int_cmp);
	g->groups = calloc(c.n ? c.n : 1, sizeof(*g->groups));
	if (!g->groups) {
		free(c.v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < c.n; i++) {
		r = gview_load(&g->pci, sys, c.v[i], &g->groups[i]);
		if (r < 0) {
			free(c.v);
			return r;
		}
		g->n_groups++;
	}
	free(c.v);
	return 0;
}

void pt_groups_free(struct pt_groups *g)
{
	for (size_t i = 0; i < g->n_groups; i++)
		gview_free(g->groups[i]);
	free(g->groups);
	pt_pci_free(&g->pci);
	*g = (struct pt_groups){ 0 };
}

int pt_groups_exit_code(const struct pt_groups *g)
{
	return g->err ? PT_EXIT_PROBLEM : PT_EXIT_OK;
}

static void print_no_iommu(const struct pt_groups *g, FILE *out)
{
	if (g->err == -ENOENT)
		fprintf(out, "No IOMMU groups under /sys/kernel/iommu_groups: the IOMMU is off.\n"
			     "Enable VT-d (Intel) or AMD-Vi (AMD) in the firmware, and boot with "
			     "intel_iommu=on on Intel.\n");
	else
		fprintf(out, "Cannot list /sys/kernel/iommu_groups: %s\n", strerror(-g->err));
}

static void print_group_heading(const struct pt_gview *gv, FILE *out)
{
	struct pt_buf b;
	size_t nb = 0;

	if (gv->list_err) {
		fprintf(out, "IOMMU group %d: cannot list its devices: %s\n", gv->group,
			strerror(-gv->list_err));
		return;
	}
	if (gv->n_members == 0) {
		fprintf(out, "IOMMU group %d: empty\n", gv->group);
		return;
	}
	if (gv->viable) {
		fprintf(out, "IOMMU group %d: viable, can be given to a guest as it is\n",
			gv->group);
		return;
	}
	pt_buf_init(&b);
	for (size_t k = 0; k < gv->n_members; k++) {
		char m[128];

		if (!gv->members[k].blocks)
			continue;
		member_text(&gv->members[k], m, sizeof(m));
		pt_buf_printf(&b, "%s%s", nb++ ? ", " : "", m);
	}
	pt_buf_printf(&b, " block%s it", nb > 1 ? "" : "s");
	fprintf(out, "IOMMU group %d: not viable: ", gv->group);
	print_safe(out, "", pt_buf_ok(&b) ? pt_buf_str(&b) : "?");
	pt_buf_free(&b);
}

void pt_groups_print(const struct pt_groups *g, FILE *out)
{
	struct table t = { .ncols = 4 };
	size_t width[TABLE_MAX_COLS], row = 0;

	if (g->err) {
		print_no_iommu(g, out);
		return;
	}
	/* One table for every group, so that the columns line up across
	 * groups; each group's heading goes before its rows. */
	for (size_t i = 0; i < g->n_groups; i++) {
		const struct pt_gview *gv = g->groups[i];

		for (size_t k = 0; k < gv->n_members; k++) {
			const struct pt_gmember *m = &gv->members[k];
			const struct pt_pci_func *f = m->fn;
			char cls[160], id[400], what[600];
			const char *r[4];

			if (f && !f->id_err) {
				class_text(g->names, f->class, cls, sizeof(cls));
				id_text(g->names, f->vendor, f->device, id, sizeof(id));
				snprintf(what, sizeof(what), "%s: %s", cls, id);
			} else {
				snprintf(what, sizeof(what), "(cannot read its identity)");
			}
			r[0] = f ? f->name : m->raw;
			r[1] = !f || f->state_err ? "?" : f->driver[0] ? f->driver : "(none)";
			r[2] = m->blocks ? "blocks" : m->bridge ? "bridge" : "ok";
			r[3] = what;
			table_row(&t, r);
		}
	}
	table_widths(&t, width);
	for (size_t i = 0; i < g->n_groups; i++) {
		print_group_heading(g->groups[i], out);
		table_print_rows(&t, out, "  ", width, row, g->groups[i]->n_members);
		row += g->groups[i]->n_members;
	}
	table_free(&t);
}

void pt_groups_json(const struct pt_groups *g, struct pt_buf *out)
{
	struct pt_json j;

	pt_json_init(&j, out);
	pt_json_begin_object(&j);
	pt_json_key(&j, "format");
	pt_json_int(&j, PT_STATUS_FORMAT);
	pt_json_key(&j, "command");
	pt_json_string(&j, "groups");
	pt_json_key(&j, "iommu");
	pt_json_bool(&j, g->err == 0);
	pt_json_key(&j, "error");
	pt_json_string(&j, g->err == 0	       ? NULL
			   : g->err == -ENOENT ? "no IOMMU groups: the IOMMU is off"
					       : strerror(-g->err));
	pt_json_key(&j, "groups");
	pt_json_begin_array(&j);
	for (size_t i = 0; i < g->n_groups; i++)
		json_gview(&j, g->groups[i], g->names);
	pt_json_end_array(&j);
	pt_json_key(&j, "exit_status");
	pt_json_int(&j, pt_groups_exit_code(g));
	pt_json_end_object(&j);
	pt_buf_putc(out, '\n');
}

/* ---- pt-status qemu-args ----------------------------------------------------------- */

bool pt_qemu_bus_valid(const char *bus)
{
	size_t n = strlen(bus);

	if (n == 0 || n >= PT_QEMU_BUS_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = bus[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int view_addr_cmp(const void *x, const void *y)
{
	const struct pt_sview *a = *(const struct pt_sview *const *)x;
	const struct pt_sview *b = *(const struct pt_sview *const *)y;

	return pt_addr_cmp(&a->sd->addr, &b->sd->addr);
}

static void qemu_render(const struct pt_qemu_opts *o, char **args, size_t n_args,
			const struct pt_diag *notes, int code, struct pt_buf *out)
{
	struct pt_json j;

	if (!o->json) {
		for (size_t i = 0; i < n_args; i++)
			pt_buf_printf(out, "-device %s%c", args[i],
				      o->one_line && i + 1 < n_args ? ' ' : '\n');
		return;
	}
	pt_json_init(&j, out);
	pt_json_begin_object(&j);
	pt_json_key(&j, "format");
	pt_json_int(&j, PT_STATUS_FORMAT);
	pt_json_key(&j, "command");
	pt_json_string(&j, "qemu-args");
	pt_json_key(&j, "args");
	pt_json_begin_array(&j);
	for (size_t i = 0; i < n_args; i++) {
		pt_json_string(&j, "-device");
		pt_json_string(&j, args[i]);
	}
	pt_json_end_array(&j);
	pt_json_key(&j, "notes");
	pt_json_begin_array(&j);
	for (size_t i = 0; i < notes->n; i++)
		pt_json_string(&j, notes->msgs[i].text);
	pt_json_end_array(&j);
	pt_json_key(&j, "exit_status");
	pt_json_int(&j, code);
	pt_json_end_object(&j);
	pt_buf_putc(out, '\n');
}

int pt_qemu_args(const struct pt_status *s, const struct pt_qemu_opts *o, struct pt_buf *out,
		 struct pt_diag *notes)
{
	const struct pt_sview **bound = NULL;
	char **args = NULL;
	size_t n_bound = 0, n_args = 0, slots = 0;
	bool any_vga = false;
	int code;

	for (size_t i = 0; i < s->n_problems; i++)
		pt_diag_error(notes, "%s", s->problems[i].text);
	code = pt_status_exit_code(s);
	if (s->state != PT_STATE_OK)
		goto render;

	bound = calloc(s->n_views ? s->n_views : 1, sizeof(*bound));
	args = calloc(s->n_views ? s->n_views : 1, sizeof(*args));
	if (!bound || !args) {
		notes->oom = true;
		code = PT_EXIT_PROBLEM;
		goto render;
	}
	for (size_t i = 0; i < s->n_views; i++)
		if (s->views[i].wanted && s->views[i].bound)
			bound[n_bound++] = &s->views[i];
	qsort(bound, n_bound, sizeof(*bound), view_addr_cmp);

	/* One guest slot per host slot; check the slots first. */
	for (size_t i = 0; i < n_bound; i++) {
		const struct pt_addr *a = &bound[i]->sd->addr;
		bool new_slot = i == 0 || !pt_addr_same_slot(&bound[i - 1]->sd->addr, a);

		if (!new_slot)
			continue;
		slots++;
		if (a->func != 0) {
			pt_diag_error(notes,
				      "%.10s has no function 0 on vfio: a guest does not look for "
				      "the other functions of a slot without function 0; pass "
				      "%.10s.0 too",
				      bound[i]->sd->name, bound[i]->sd->name);
			code = PT_EXIT_PROBLEM;
		}
	}
	if (slots && o->first_slot + slots - 1 > 0x1f) {
		pt_diag_error(notes,
			      "%zu host slots do not fit in guest slots 0x%x to 0x1f: use a lower "
			      "--first-slot",
			      slots, o->first_slot);
		code = PT_EXIT_PROBLEM;
		goto render;
	}

	slots = 0;
	for (size_t i = 0; i < n_bound; i++) {
		const struct pt_sview *v = bound[i];
		const struct pt_addr *a = &v->sd->addr;
		bool multi = false, vga;
		struct pt_buf b;

		if (i > 0 && !pt_addr_same_slot(&bound[i - 1]->sd->addr, a))
			slots++;
		for (size_t k = 0; k < n_bound; k++)
			if (k != i && pt_addr_same_slot(&bound[k]->sd->addr, a))
				multi = true;
		vga = o->x_vga && (v->sd->boot_vga || (v->fn && v->fn->boot_vga));
		any_vga |= vga;
		pt_buf_init(&b);
		pt_buf_printf(&b, "vfio-pci,host=%s,bus=%s,addr=0x%x.0x%x%s%s", v->sd->name, o->bus,
			      o->first_slot + (unsigned)slots, a->func,
			      multi && a->func == 0 ? ",multifunction=on" : "",
			      vga ? ",x-vga=on" : "");
		if (!pt_buf_ok(&b)) {
			pt_buf_free(&b);
			notes->oom = true;
			code = PT_EXIT_PROBLEM;
			goto render;
		}
		args[n_args++] = b.data;
	}
	if (o->x_vga && !any_vga)
		pt_diag_warn(notes, "--x-vga: no bound device is the boot GPU (boot_vga); nothing "
				    "got x-vga=on");
	if (n_bound == 0 && code == PT_EXIT_OK) {
		pt_diag_error(notes, "no listed device is on a vfio driver");
		code = PT_EXIT_PROBLEM;
	}
render:
	qemu_render(o, args, n_args, notes, code, out);
	for (size_t i = 0; i < n_args; i++)
		free(args[i]);
	free(args);
	free(bound);
	return code;
}
