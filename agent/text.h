/* SPDX-License-Identifier: MIT */
/*
 * text.h — text taken from files (sysfs names, the state file, pci.ids) made
 * safe for a terminal before it is printed, and a table printer whose
 * columns line up by display width.
 */
#ifndef PT_TEXT_H
#define PT_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util.h"

/*
 * Append s made safe for a terminal: printable ASCII and UTF-8 from U+00A0
 * on pass; C0 and C1 controls, DEL and invalid bytes become \xNN. At most
 * max_chars characters and max_bytes bytes (max_bytes >= 4); a longer text
 * ends in "...".
 */
void pt_text_put_safe(struct pt_buf *b, const char *s, size_t max_chars, size_t max_bytes);

/* The same into a fixed buffer (for messages); returns buf. */
const char *pt_text_safe(const char *s, size_t max_chars, char *buf, size_t size);

/* Display width: code points, not bytes. */
size_t pt_text_width(const char *s);

/* Print prefix and s made safe, and a newline. */
void pt_text_print(FILE *out, const char *prefix, const char *s);

#define PT_TABLE_MAX_COLS 10

/* Rows of ncols cells, each made safe when added. */
struct pt_table {
	size_t ncols;
	char **cells;
	size_t n, cap; /* cells */
	bool oom;
};

void pt_table_row(struct pt_table *t, const char *const *row);
void pt_table_widths(const struct pt_table *t, size_t width[static PT_TABLE_MAX_COLS]);
/* Print rows [first, first + count), columns padded to width. */
void pt_table_print_rows(const struct pt_table *t, FILE *out, const char *indent,
			 const size_t *width, size_t first, size_t count);
void pt_table_print(const struct pt_table *t, FILE *out, const char *indent);
void pt_table_free(struct pt_table *t);

#endif
