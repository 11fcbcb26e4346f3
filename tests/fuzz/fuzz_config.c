/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the config blob (config.c), and merging it with an
 * empty command line. A rejected blob must leave nothing set. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pt_options blob, cl, merged;
	enum pt_source src;
	struct pt_diag diag;
	int r;

	pt_diag_init(&diag);
	r = pt_config_parse((const char *)data, size, "/etc/pt.conf", &blob, &diag);
	if (r < 0 && (blob.set || blob.devices))
		abort();
	if (r < 0 && r != -ENOMEM && diag.n_errors == 0)
		abort();
	pt_options_init(&cl);
	if (pt_options_merge(&blob, &cl, &merged, &src) == 0)
		pt_options_free(&merged);
	pt_options_free(&blob);
	pt_diag_free(&diag);
	return 0;
}
