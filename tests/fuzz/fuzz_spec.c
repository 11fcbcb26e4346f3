/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the device-list grammar (spec.c). Beyond "no crash",
 * it checks the parser's promises: an error has a column inside the input
 * (or just past it) and leaves the list empty; a success re-checks each
 * selector's fields against the grammar's ranges. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pt_spec spec;
	struct pt_spec_error err;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (pt_spec_parse(text, &spec, &err) < 0) {
		if (spec.n != 0 || err.column == 0 || err.column > strlen(text) + 1 || !err.msg[0])
			abort();
	} else {
		for (unsigned i = 0; i < spec.n; i++) {
			const struct pt_selector *s = &spec.sel[i];

			if (!(s->flags & (PT_SEL_ADDR | PT_SEL_ID)))
				abort();
			if ((s->flags & PT_SEL_ADDR) && (s->addr.slot > 0x1f || s->addr.func > 7))
				abort();
			if ((s->flags & PT_SEL_SUBSYS) && !(s->flags & PT_SEL_ID))
				abort();
			if (strlen(s->text) >= PT_SEL_TEXT_MAX)
				abort();
		}
	}
	free(text);
	return 0;
}
