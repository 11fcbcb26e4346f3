/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the state-file reader (jsonr.c), as pt-status and the
 * runtime mode use it, and the agent's re-emission of a previous state
 * (state.c), whose output must parse again. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonr.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pt_jdoc doc, again;
	struct pt_jerror err;
	struct pt_options opts;
	struct pt_diag diag;
	struct pt_buf out;

	if (pt_jsonr_parse((const char *)data, size, &doc, &err) < 0) {
		if (!err.msg[0] || err.offset > size)
			abort();
		return 0;
	}
	/* Lookups of every kind on whatever came in. */
	(void)pt_jstr(doc.root, "boot_id");
	(void)pt_jarray(doc.root, "devices");

	pt_options_init(&opts);
	pt_diag_init(&diag);
	struct pt_report r = {
		.agent_version = "fuzz",
		.opts = &opts,
		.diag = &diag,
		.result = "ok",
		.previous = doc.root,
	};
	pt_buf_init(&out);
	pt_state_render(&r, &out);
	/* What the agent writes must read back — unless it is over the
	 * reader's limits, which a carried-over hostile file can push it. */
	if (pt_buf_ok(&out)) {
		int rr = pt_jsonr_parse(out.data, out.len, &again, &err);

		if (rr == -EINVAL)
			abort();
		if (rr == 0)
			pt_jsonr_free(&again);
	}
	pt_buf_free(&out);
	pt_jsonr_free(&doc);
	return 0;
}
