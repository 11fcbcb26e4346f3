/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the kernel command line tokenizer and the pt.* keys
 * (cmdline.c, config.c), and the device list of whatever it yields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pt_options opts;
	struct pt_diag diag;
	char *line = malloc(size + 1);

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	pt_options_init(&opts);
	pt_diag_init(&diag);
	if (pt_cmdline_parse(line, &opts, &diag) == 0 && opts.devices) {
		struct pt_spec spec;
		struct pt_spec_error err;

		(void)pt_spec_parse(opts.devices, &spec, &err);
	}
	if (opts.wait_ms > PT_WAIT_MAX_MS || opts.timeout_ms < PT_TIMEOUT_MIN_MS ||
	    opts.timeout_ms > PT_TIMEOUT_MAX_MS)
		abort();
	pt_options_free(&opts);
	pt_diag_free(&diag);
	free(line);
	return 0;
}
