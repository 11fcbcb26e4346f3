/* SPDX-License-Identifier: MIT */
/* config.c — option values, the config blob, and merging; see config.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

enum kind { K_LIST, K_BOOL, K_ENUM, K_MS, K_PATH };

struct keydef {
	const char *name;
	enum pt_key key;
	enum kind kind;
	const char *const *values; /* K_ENUM: allowed values, index = enum value */
	bool cmdline_only;
};

static const char *const group_values[] = { "auto", "strict", "warn", NULL };
static const char *const onfail_values[] = { "release", "keep", NULL };
static const char *const fb_values[] = { "auto", "release", "keep", NULL };
static const char *const log_values[] = { "err", "warn", "info", "debug", NULL };
static const enum pt_log_level log_levels[] = { PT_LOG_ERR, PT_LOG_WARN, PT_LOG_INFO,
						PT_LOG_DEBUG };

static const struct keydef keys[] = {
	{ "devices", PT_KEY_DEVICES, K_LIST, NULL, false },
	{ "off", PT_KEY_OFF, K_BOOL, NULL, false },
	{ "dryrun", PT_KEY_DRYRUN, K_BOOL, NULL, false },
	{ "group", PT_KEY_GROUP, K_ENUM, group_values, false },
	{ "onfail", PT_KEY_ONFAIL, K_ENUM, onfail_values, false },
	{ "fb", PT_KEY_FB, K_ENUM, fb_values, false },
	{ "wait", PT_KEY_WAIT, K_MS, NULL, false },
	{ "timeout", PT_KEY_TIMEOUT, K_MS, NULL, false },
	{ "protect", PT_KEY_PROTECT, K_LIST, NULL, false },
	{ "log", PT_KEY_LOG, K_ENUM, log_values, false },
	{ "config", PT_KEY_CONFIG, K_PATH, NULL, true },
	{ "init", PT_KEY_INIT, K_PATH, NULL, true },
};

void pt_options_init(struct pt_options *o)
{
	*o = (struct pt_options){
		.group = PT_GROUP_AUTO,
		.onfail = PT_ONFAIL_RELEASE,
		.fb = PT_FB_AUTO,
		.timeout_ms = PT_TIMEOUT_DEFAULT_MS,
		.log_level = PT_LOG_INFO,
	};
}

void pt_options_free(struct pt_options *o)
{
	free(o->devices);
	free(o->config);
	free(o->init);
	free(o->root);
	free(o->protect);
	pt_options_init(o);
}

/* "pt.devices" or "/etc/pt.conf line 3: devices". */
static void origin_name(const struct pt_origin *org, const char *key, char *buf, size_t size)
{
	if (org->cmdline)
		snprintf(buf, size, "pt.%s", key);
	else
		snprintf(buf, size, "%s line %u: %s", org->file ? org->file : "config", org->line,
			 key);
}

const char *pt_options_suggest(const char *key)
{
	const char *best = NULL;
	unsigned best_d = 3; /* only suggest within two edits */

	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		unsigned d = pt_edit_distance(key, keys[i].name);

		if (d < best_d) {
			best_d = d;
			best = keys[i].name;
		}
	}
	return best;
}

static bool parse_bool(const char *v, bool *ret)
{
	static const char *const yes[] = { "1", "yes", "true", "on", "y" };
	static const char *const no[] = { "0", "no", "false", "off", "n" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++)
		if (streq(v, yes[i])) {
			*ret = true;
			return true;
		}
	for (size_t i = 0; i < ELEMENTSOF(no); i++)
		if (streq(v, no[i])) {
			*ret = false;
			return true;
		}
	return false;
}

/* Decimal milliseconds; a huge number saturates (and is clamped by the
 * caller) rather than being refused: asking for more must not get less. */
static bool parse_ms(const char *v, unsigned *ret)
{
	unsigned long long n = 0;

	if (!*v)
		return false;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		if (n < 100000000ull)
			n = n * 10 + (unsigned)(*p - '0');
	}
	*ret = n > 100000000ull ? 100000000u : (unsigned)n;
	return true;
}

static char *join_list(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s;

	if (la == 0)
		return strdup(b);
	if (lb == 0)
		return strdup(a);
	s = malloc(la + lb + 2);
	if (!s)
		return NULL;
	memcpy(s, a, la);
	s[la] = ',';
	memcpy(s + la + 1, b, lb + 1);
	return s;
}

static int set_string(char **field, const char *value)
{
	char *s = strdup(value);

	if (!s)
		return -ENOMEM;
	free(*field);
	*field = s;
	return 0;
}

static void list_allowed(const char *const *values, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; values[i] && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%s", i ? ", " : "", values[i]);
}

int pt_options_set(struct pt_options *o, const char *key, const char *value,
		   const struct pt_origin *org, struct pt_diag *diag)
{
	const struct keydef *k = NULL;
	char where[320], allowed[64];

	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (streq(keys[i].name, key))
			k = &keys[i];
	origin_name(org, key, where, sizeof(where));
	if (!k) {
		const char *near = pt_options_suggest(key);

		if (near)
			pt_diag_warn(diag, "unknown key %s; did you mean %s%s?", where,
				     org->cmdline ? "pt." : "", near);
		else
			pt_diag_warn(diag, "unknown key %s; ignored", where);
		return 0;
	}
	if (k->cmdline_only && !org->cmdline) {
		pt_diag_warn(diag,
			     "%s: this key is only read from the kernel command line; ignored",
			     where);
		return 0;
	}
	if (!value && k->kind != K_BOOL) {
		pt_diag_warn(diag, "%s has no value; write %s%s=...; ignored", where,
			     org->cmdline ? "pt." : "", key);
		return 0;
	}

	switch (k->kind) {
	case K_LIST: {
		char **field = k->key == PT_KEY_PROTECT ? &o->protect : &o->devices;
		char *joined = join_list(*field ? *field : "", value);

		if (!joined)
			return -ENOMEM;
		free(*field);
		*field = joined;
		break;
	}
	case K_BOOL: {
		bool b = true;

		if (value && !parse_bool(value, &b)) {
			pt_diag_warn(diag, "%s='%s' is not 1/0, yes/no or true/false; taken as set",
				     where, value);
			b = true;
		}
		if (k->key == PT_KEY_OFF)
			o->off = b;
		else
			o->dryrun = b;
		break;
	}
	case K_ENUM: {
		size_t i;

		for (i = 0; k->values[i]; i++)
			if (streq(k->values[i], value))
				break;
		if (!k->values[i]) {
			list_allowed(k->values, allowed, sizeof(allowed));
			pt_diag_warn(diag, "%s='%s' is not one of: %s; using the default", where,
				     value, allowed);
			return 0;
		}
		if (k->key == PT_KEY_GROUP)
			o->group = (enum pt_group_policy)i;
		else if (k->key == PT_KEY_ONFAIL)
			o->onfail = (enum pt_onfail)i;
		else if (k->key == PT_KEY_FB)
			o->fb = (enum pt_fb)i;
		else
			o->log_level = log_levels[i];
		break;
	}
	case K_MS: {
		unsigned ms;
		unsigned lo = k->key == PT_KEY_TIMEOUT ? PT_TIMEOUT_MIN_MS : 0;
		unsigned hi = k->key == PT_KEY_TIMEOUT ? PT_TIMEOUT_MAX_MS : PT_WAIT_MAX_MS;

		if (!parse_ms(value, &ms)) {
			pt_diag_warn(diag,
				     "%s='%s' is not a number of milliseconds; using the default",
				     where, value);
			return 0;
		}
		if (ms < lo || ms > hi) {
			pt_diag_warn(diag, "%s=%s is outside %u-%u ms; using %u", where, value, lo,
				     hi, ms < lo ? lo : hi);
			ms = ms < lo ? lo : hi;
		}
		if (k->key == PT_KEY_WAIT)
			o->wait_ms = ms;
		else
			o->timeout_ms = ms;
		break;
	}
	case K_PATH:
		if (value[0] != '/') {
			pt_diag_warn(diag, "%s='%s' is not an absolute path; ignored", where,
				     value);
			return 0;
		}
		if (set_string(k->key == PT_KEY_CONFIG ? &o->config : &o->init, value) < 0)
			return -ENOMEM;
		break;
	}
	o->set |= 1u << k->key;
	return 0;
}

static bool is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Parse one line (a copy the function may modify). */
static int kv_line(char *line, const struct pt_origin *org, pt_kv_fn fn, void *userdata,
		   struct pt_diag *diag)
{
	char *hash = strchr(line, '#'), *eq, *key, *kend, *value = NULL;
	char b[5];

	if (hash)
		*hash = '\0';
	key = trim(line);
	if (*key == '\0')
		return 0;
	for (const char *p = key; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t') {
			pt_diag_error(diag,
				      "%s line %u: control character %s; is this a text file?",
				      org->file, org->line, pt_byte_repr((unsigned char)*p, b));
			return -EINVAL;
		}
	eq = strchr(key, '=');
	if (eq) {
		*eq = '\0';
		value = trim(eq + 1);
		key = trim(key);
	}
	for (kend = key; is_key_char(*kend); kend++)
		;
	if (*key == '\0' || *kend != '\0') {
		pt_diag_error(diag, "%s line %u: expected 'key = value', found '%.60s'", org->file,
			      org->line, line);
		return -EINVAL;
	}
	if (value) {
		size_t vl = strlen(value);

		/* devices = "a, b" is a natural thing to write; take the quotes off. */
		if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
			value[vl - 1] = '\0';
			value++;
		}
	}
	return fn(userdata, key, value, org, diag);
}

static int options_kv(void *userdata, const char *key, const char *value,
		      const struct pt_origin *org, struct pt_diag *diag)
{
	if (strncmp(key, "pt.", 3) == 0) {
		pt_diag_warn(diag, "%s line %u: write '%s' without 'pt.' in a config file",
			     org->file, org->line, key + 3);
		key += 3;
	}
	return pt_options_set(userdata, key, value, org, diag);
}

int pt_config_parse(const char *text, size_t len, const char *path, struct pt_options *ret,
		    struct pt_diag *diag)
{
	int r;

	pt_options_init(ret);
	r = pt_kv_parse(text, len, path, options_kv, ret, diag);
	if (r < 0)
		pt_options_free(ret);
	return r;
}

int pt_kv_parse(const char *text, size_t len, const char *path, pt_kv_fn fn, void *userdata,
		struct pt_diag *diag)
{
	struct pt_origin org = { .cmdline = false, .file = path, .line = 0 };
	struct pt_diag local;
	size_t p = 0;
	char *line;
	int r = 0;

	if (len > PT_CONFIG_MAX_SIZE) {
		pt_diag_error(diag, "%s is %zu bytes; the limit is %u bytes; file ignored", path,
			      len, PT_CONFIG_MAX_SIZE);
		return -EFBIG;
	}
	line = malloc(PT_CONFIG_MAX_LINE + 1);
	if (!line)
		return -ENOMEM;
	/* Collect this file's messages apart, so a rejected file's warnings
	 * can be kept while its settings are dropped. */
	pt_diag_init(&local);
	/* A byte-order mark, as some Windows editors write: not text to parse. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		p = 3;
	while (p < len) {
		const char *nl = memchr(text + p, '\n', len - p);
		size_t ll = (nl ? (size_t)(nl - text) : len) - p;

		org.line++;
		if (memchr(text + p, '\0', ll)) {
			pt_diag_error(&local,
				      "%s line %u: contains a NUL byte; is this a text file?", path,
				      org.line);
			r = -EINVAL;
			break;
		}
		if (ll > PT_CONFIG_MAX_LINE) {
			pt_diag_error(&local, "%s line %u: longer than %u characters", path,
				      org.line, PT_CONFIG_MAX_LINE);
			r = -EINVAL;
			break;
		}
		memcpy(line, text + p, ll);
		line[ll] = '\0';
		r = kv_line(line, &org, fn, userdata, &local);
		if (r < 0)
			break;
		p += ll + (nl ? 1 : 0);
	}
	free(line);
	for (size_t i = 0; i < local.n; i++)
		pt_diag_add(diag, local.msgs[i].sev, "%s", local.msgs[i].text);
	if (local.oom)
		r = -ENOMEM;
	pt_diag_free(&local);
	if (r == -EINVAL)
		pt_diag_error(diag, "%s rejected as a whole: nothing in it is used", path);
	return r;
}

int pt_config_read(const char *path, const char *shown, struct pt_options *ret,
		   struct pt_diag *diag)
{
	int r;

	pt_options_init(ret);
	r = pt_kv_read(path, shown, options_kv, ret, diag);
	if (r < 0)
		pt_options_free(ret);
	return r;
}

int pt_kv_read(const char *path, const char *shown, pt_kv_fn fn, void *userdata,
	       struct pt_diag *diag)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t len = 0, cap;
	int fd, r;

	fd = pt_open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		if (r != -ENOENT)
			pt_diag_error(diag, "cannot open %s: %s", shown, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		pt_diag_error(diag, "%s is not a regular file; ignored", shown);
		close(fd);
		return -EINVAL;
	}
	/* Room for the file as fstat() sizes it and one byte more, so that
	 * its end is seen; room up to one byte past the limit only when it
	 * grew meanwhile, so that an oversized file is noticed. (The limit's
	 * room at once would be a fresh mapping for every small file.) */
	cap = (size_t)st.st_size < PT_CONFIG_MAX_SIZE ? (size_t)st.st_size + 1
						      : PT_CONFIG_MAX_SIZE + 1;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (len <= PT_CONFIG_MAX_SIZE) {
		if (len == cap) {
			char *more = realloc(buf, PT_CONFIG_MAX_SIZE + 1);

			if (!more) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = more;
			cap = PT_CONFIG_MAX_SIZE + 1;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			pt_diag_error(diag, "cannot read %s: %s", shown, strerror(-r));
			free(buf);
			close(fd);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > PT_CONFIG_MAX_SIZE) {
		pt_diag_error(diag, "%s is larger than %u bytes; file ignored", shown,
			      PT_CONFIG_MAX_SIZE);
		free(buf);
		return -EFBIG;
	}
	r = pt_kv_parse(buf, len, shown, fn, userdata, diag);
	free(buf);
	return r;
}

static int copy_string(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

int pt_options_merge(const struct pt_options *blob, const struct pt_options *cl,
		     struct pt_options *ret, enum pt_source *ret_source)
{
	const struct pt_options *src;

#define PICK(k) ((cl->set & (1u << (k))) ? cl : blob)
	pt_options_init(ret);
	src = PICK(PT_KEY_DEVICES);
	if (copy_string(&ret->devices, src->devices) < 0)
		goto oom;
	*ret_source = !(src->set & (1u << PT_KEY_DEVICES)) ? PT_SOURCE_NONE
		      : src == cl			   ? PT_SOURCE_CMDLINE
							   : PT_SOURCE_CONFIG;
	ret->off = PICK(PT_KEY_OFF)->off;
	ret->dryrun = PICK(PT_KEY_DRYRUN)->dryrun;
	ret->group = PICK(PT_KEY_GROUP)->group;
	ret->onfail = PICK(PT_KEY_ONFAIL)->onfail;
	ret->fb = PICK(PT_KEY_FB)->fb;
	ret->wait_ms = PICK(PT_KEY_WAIT)->wait_ms;
	ret->timeout_ms = PICK(PT_KEY_TIMEOUT)->timeout_ms;
	ret->log_level = PICK(PT_KEY_LOG)->log_level;
	ret->set = blob->set | cl->set;
#undef PICK
	if (copy_string(&ret->config, cl->config) < 0 || copy_string(&ret->init, cl->init) < 0 ||
	    copy_string(&ret->root, cl->root) < 0)
		goto oom;
	/* Protection adds up: the command line cannot take away what the
	 * config file (written when the image was built) protects. */
	if (blob->protect || cl->protect) {
		ret->protect = join_list(blob->protect ? blob->protect : "",
					 cl->protect ? cl->protect : "");
		if (!ret->protect)
			goto oom;
	}
	return 0;
oom:
	pt_options_free(ret);
	return -ENOMEM;
}

const char *pt_group_policy_name(enum pt_group_policy p)
{
	return group_values[p];
}

const char *pt_onfail_name(enum pt_onfail f)
{
	return onfail_values[f];
}

const char *pt_fb_name(enum pt_fb f)
{
	return fb_values[f];
}

const char *pt_source_name(enum pt_source s)
{
	static const char *const names[] = { "none", "cmdline", "config" };

	return names[s];
}

const char *pt_log_level_name(enum pt_log_level l)
{
	for (size_t i = 0; i < ELEMENTSOF(log_levels); i++)
		if (log_levels[i] == l)
			return log_values[i];
	return "info";
}
