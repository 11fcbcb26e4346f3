/* SPDX-License-Identifier: MIT */
/*
 * config.h — pt's options: the pt.* keys of the kernel command line and the
 * same keys, without "pt.", in the config blob (/etc/pt.conf). Parsing is
 * pure (text in, options and diagnostics out); pt_config_read() reads one
 * file.
 *
 * The command line overrides the blob key by key. Repeated device lists are
 * concatenated; any other repeated key takes its last value, as the kernel
 * does for its own parameters.
 */
#ifndef PT_CONFIG_H
#define PT_CONFIG_H

#include <stdbool.h>

#include "util.h"

enum pt_group_policy { PT_GROUP_AUTO, PT_GROUP_STRICT, PT_GROUP_WARN };
enum pt_onfail { PT_ONFAIL_RELEASE, PT_ONFAIL_KEEP };
enum pt_fb { PT_FB_AUTO, PT_FB_RELEASE, PT_FB_KEEP };
enum pt_log_level { PT_LOG_ERR = 3, PT_LOG_WARN = 4, PT_LOG_INFO = 6, PT_LOG_DEBUG = 7 };
enum pt_source { PT_SOURCE_NONE, PT_SOURCE_CMDLINE, PT_SOURCE_CONFIG };

/* One bit per key, to record which keys a source set. */
enum pt_key {
	PT_KEY_DEVICES,
	PT_KEY_OFF,
	PT_KEY_DRYRUN,
	PT_KEY_GROUP,
	PT_KEY_ONFAIL,
	PT_KEY_FB,
	PT_KEY_WAIT,
	PT_KEY_LOG,
	PT_KEY_CONFIG,
	PT_KEY_INIT,
	PT_KEY_TIMEOUT,
	PT_KEY_PROTECT,
	_PT_KEY_MAX,
};

#define PT_WAIT_MAX_MS 120000u
#define PT_TIMEOUT_MIN_MS 10u
#define PT_TIMEOUT_MAX_MS 120000u
#define PT_TIMEOUT_DEFAULT_MS 5000u
#define PT_CONFIG_DEFAULT "/etc/pt.conf"
#define PT_CONFIG_MAX_SIZE (64u * 1024u)
#define PT_CONFIG_MAX_LINE 4096u

struct pt_options {
	char *devices; /* NULL: no list given */
	bool off;
	bool dryrun;
	enum pt_group_policy group;
	enum pt_onfail onfail;
	enum pt_fb fb;
	unsigned wait_ms;
	unsigned timeout_ms; /* unbind/probe watchdog */
	enum pt_log_level log_level;
	char *config;  /* NULL: the default path */
	char *init;    /* chain-init: the init to exec; NULL: the default */
	char *root;    /* root= of the command line, for the root-disk guard */
	char *protect; /* functions never to bind: list grammar, addresses only */
	unsigned set;  /* bit (1 << enum pt_key) for every key this source set */
};

/* Where a key came from, for messages: "pt.devices" or "pt.conf line 3". */
struct pt_origin {
	bool cmdline;
	const char *file; /* config path, for messages */
	unsigned line;
};

void pt_options_init(struct pt_options *o);
void pt_options_free(struct pt_options *o);

/*
 * Set one key (its name without "pt.") to value (NULL for a bare key).
 * Unknown keys and bad values are reported into diag, naming the origin;
 * a bad value leaves the default (for pt.off and pt.dryrun: sets the flag,
 * the cautious reading of a key the user did write). Returns 0, or -ENOMEM.
 */
int pt_options_set(struct pt_options *o, const char *key, const char *value,
		   const struct pt_origin *origin, struct pt_diag *diag);

/* The known key nearest to an unknown one, or NULL if none is close. */
const char *pt_options_suggest(const char *key);

/*
 * Parse a config blob of `len` bytes (it may hold NUL bytes: those are an
 * error). On any syntax error the whole blob is rejected: ret is left with
 * nothing set, the error names the line, and -EINVAL is returned.
 * Unknown keys and bad values are warnings and do not reject the blob.
 */
int pt_config_parse(const char *text, size_t len, const char *path, struct pt_options *ret,
		    struct pt_diag *diag);

/*
 * Read and parse the config file at `path` (already rooted). A missing
 * file is -ENOENT and no diagnostic (the caller decides whether that is an
 * error); other failures are reported into diag. `shown` is the path to
 * name in messages (without the sysroot).
 */
int pt_config_read(const char *path, const char *shown, struct pt_options *ret,
		   struct pt_diag *diag);

/*
 * The key = value syntax of pt.conf, for any set of keys (pt-vm's VM files
 * use it too): '#' starts a comment, blanks around key and value are
 * dropped, a value in double quotes loses them. fn gets each key with its
 * value (NULL for a bare key) and returns 0 or -ENOMEM; it reports bad
 * keys and values into diag, naming origin->file and origin->line. A
 * syntax error rejects the whole text (-EINVAL, the line named); callers
 * must then drop what fn stored.
 */
typedef int (*pt_kv_fn)(void *userdata, const char *key, const char *value,
			const struct pt_origin *origin, struct pt_diag *diag);
int pt_kv_parse(const char *text, size_t len, const char *path, pt_kv_fn fn, void *userdata,
		struct pt_diag *diag);
/* Read a file (limits and messages as pt_config_read) and pt_kv_parse it. */
int pt_kv_read(const char *path, const char *shown, pt_kv_fn fn, void *userdata,
	       struct pt_diag *diag);

/*
 * Merge: start from the blob, let every key the command line set win.
 * Device lists are not concatenated across sources: the command line's
 * list replaces the blob's. Sets *ret_source to where the list came from.
 */
int pt_options_merge(const struct pt_options *blob, const struct pt_options *cmdline,
		     struct pt_options *ret, enum pt_source *ret_source);

const char *pt_group_policy_name(enum pt_group_policy p);
const char *pt_onfail_name(enum pt_onfail f);
const char *pt_fb_name(enum pt_fb f);
const char *pt_source_name(enum pt_source s);
const char *pt_log_level_name(enum pt_log_level l);

#endif
