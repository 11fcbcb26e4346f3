/* SPDX-License-Identifier: MIT */
/*
 * testutil.h — small helpers shared by the cmocka unit tests: substring
 * assertions with readable failure messages, and look-ups in a pt_diag.
 *
 * Include after <cmocka.h>. Everything here is static inline so a test file
 * that uses only part of it stays free of unused-function warnings.
 */
#ifndef PT_TESTUTIL_H
#define PT_TESTUTIL_H

#include <stdio.h>
#include <string.h>

#include "util.h"

/* Fail the test unless `needle` occurs in `hay` (NULL hay never matches). */
#define assert_str_contains(hay, needle)                                                      \
	do {                                                                                  \
		const char *hay_ = (hay), *needle_ = (needle);                                \
		if (!hay_ || !strstr(hay_, needle_))                                          \
			fail_msg("expected \"%s\" to contain \"%s\"", hay_ ? hay_ : "(null)", \
				 needle_);                                                    \
	} while (0)

#define assert_str_not_contains(hay, needle)                                              \
	do {                                                                              \
		const char *hay_ = (hay), *needle_ = (needle);                            \
		if (hay_ && strstr(hay_, needle_))                                        \
			fail_msg("expected \"%s\" not to contain \"%s\"", hay_, needle_); \
	} while (0)

/* Like assert_string_equal, but NULL-safe on both sides. */
#define assert_str_eq_or_null(a, b)                                                         \
	do {                                                                                \
		const char *a_ = (a), *b_ = (b);                                            \
		if (!a_ || !b_) {                                                           \
			if (a_ != b_)                                                       \
				fail_msg("expected \"%s\", got \"%s\"", b_ ? b_ : "(null)", \
					 a_ ? a_ : "(null)");                               \
		} else {                                                                    \
			assert_string_equal(a_, b_);                                        \
		}                                                                           \
	} while (0)

/* The first message of `sev` in d that contains `needle`, or NULL. */
static inline const char *tu_diag_find(const struct pt_diag *d, enum pt_severity sev,
				       const char *needle)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->msgs[i].sev == sev && strstr(d->msgs[i].text, needle))
			return d->msgs[i].text;
	return NULL;
}

/* Print every message of d (for a failing test's context). */
static inline void tu_diag_dump(const struct pt_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		print_message("  %s: %s\n", d->msgs[i].sev == PT_SEV_ERROR ? "error" : "warning",
			      d->msgs[i].text);
}

#define assert_diag_has(d, sev, needle)                                                  \
	do {                                                                             \
		if (!tu_diag_find((d), (sev), (needle))) {                               \
			tu_diag_dump(d);                                                 \
			fail_msg("no %s containing \"%s\"",                              \
				 (sev) == PT_SEV_ERROR ? "error" : "warning", (needle)); \
		}                                                                        \
	} while (0)

#define assert_diag_lacks(d, sev, needle)                                                \
	do {                                                                             \
		if (tu_diag_find((d), (sev), (needle))) {                                \
			tu_diag_dump(d);                                                 \
			fail_msg("unexpected %s containing \"%s\"",                      \
				 (sev) == PT_SEV_ERROR ? "error" : "warning", (needle)); \
		}                                                                        \
	} while (0)

#define assert_diag_counts(d, errors, warnings)                                                   \
	do {                                                                                      \
		if ((d)->n_errors != (size_t)(errors) || (d)->n_warnings != (size_t)(warnings)) { \
			tu_diag_dump(d);                                                          \
			fail_msg("expected %zu errors and %zu warnings, got %zu and %zu",         \
				 (size_t)(errors), (size_t)(warnings), (d)->n_errors,             \
				 (d)->n_warnings);                                                \
		}                                                                                 \
	} while (0)

#endif
