/* SPDX-License-Identifier: MIT */
/* cmdline.c — see cmdline.h. */
#include <errno.h>
#include <stdlib.h>

#include "cmdline.h"

/* The kernel's isspace() (lib/ctype.c): ASCII blanks, \t \n \v \f \r, and
 * 0xA0, the Latin-1 no-break space. */
static bool kspace(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (unsigned char)c == 0xa0;
}

/*
 * One step of the kernel's next_arg(): cut the parameter that starts at
 * args, set *param and *val (NULL when there is no '='), return where the
 * next one starts (NULL at the end). Same behaviour for every quoting
 * case, so that pt reads a line the way the kernel did.
 */
static char *next_arg(char *args, char **param, char **val)
{
	size_t i, equals = 0;
	bool in_quote = false, quoted = false;

	if (*args == '"') {
		args++;
		in_quote = quoted = true;
	}
	for (i = 0; args[i]; i++) {
		if (kspace(args[i]) && !in_quote)
			break;
		if (equals == 0 && args[i] == '=')
			equals = i;
		if (args[i] == '"')
			in_quote = !in_quote;
	}
	*param = args;
	if (!equals) {
		*val = NULL;
	} else {
		args[equals] = '\0';
		*val = args + equals + 1;
		if (**val == '"') {
			(*val)++;
			if (args[i - 1] == '"')
				args[i - 1] = '\0';
		}
	}
	if (quoted && i > 0 && args[i - 1] == '"')
		args[i - 1] = '\0';
	if (args[i]) {
		args[i] = '\0';
		args += i + 1;
	} else {
		return NULL;
	}
	while (kspace(*args))
		args++;
	return *args ? args : NULL;
}

int pt_cmdline_walk(const char *line, pt_cmdline_fn fn, void *userdata)
{
	char *copy = strdup(line), *p;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	p = copy;
	while (kspace(*p))
		p++;
	if (!*p)
		p = NULL;
	while (p) {
		char *param, *val;

		p = next_arg(p, &param, &val);
		if (!val && streq(param, "--"))
			break;
		r = fn(param, val, userdata);
		if (r)
			break;
	}
	free(copy);
	return r;
}

struct parse_ctx {
	struct pt_options *opts;
	struct pt_diag *diag;
};

static int pick(const char *param, const char *value, void *userdata)
{
	struct parse_ctx *c = userdata;
	const struct pt_origin org = { .cmdline = true };

	if (streq(param, "root")) {
		char *s;

		if (!value)
			return 0;
		s = strdup(value);
		if (!s)
			return -ENOMEM;
		free(c->opts->root);
		c->opts->root = s;
		return 0;
	}
	if (strncmp(param, "pt.", 3) != 0)
		return 0;
	return pt_options_set(c->opts, param + 3, value, &org, c->diag);
}

int pt_cmdline_parse(const char *line, struct pt_options *opts, struct pt_diag *diag)
{
	struct parse_ctx c = { .opts = opts, .diag = diag };

	return pt_cmdline_walk(line, pick, &c);
}
