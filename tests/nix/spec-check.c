/* SPDX-License-Identifier: MIT */
/*
 * spec-check.c — run agent/spec.c's parser over NUL-terminated device
 * lists on stdin and print one line per list: "ok N" (N entries) or
 * "err COLUMN". tests/nix/run.sh compares this with nixos/lib.nix's
 * parseList on the same texts.
 */
#include <stdio.h>
#include <stdlib.h>

#include "spec.h"

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getdelim(&line, &cap, '\0', stdin)) > 0) {
		struct pt_spec spec;
		struct pt_spec_error err;

		if (pt_spec_parse(line, &spec, &err) == 0)
			printf("ok %u\n", spec.n);
		else
			printf("err %u\n", err.column);
	}
	free(line);
	return 0;
}
