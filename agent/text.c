/* SPDX-License-Identifier: MIT */
/* text.c — text made safe for a terminal, and a table printer; see text.h. */
#include <stdint.h>
#include <stdlib.h>

#include "text.h"

/*
 * Append s made safe for a terminal: printable ASCII and UTF-8 from U+00A0
 * on pass; C0 and C1 controls, DEL and invalid bytes become \xNN, so a
 * hostile string cannot move the cursor or retitle the window. At most
 * max_chars characters and max_bytes bytes (max_bytes >= 4); a longer text
 * ends in "...", never in half an escape or half a character.
 */
void pt_text_put_safe(struct pt_buf *b, const char *s, size_t max_chars, size_t max_bytes)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), chars = 0, bytes = 0;

	for (size_t i = 0; i < len;) {
		uint32_t cp = 0;
		size_t k = pt_utf8_decode(p + i, len - i, &cp);
		bool esc = k == 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
		size_t piece = esc ? 4 : k;

		if (chars == max_chars || bytes + piece > max_bytes - 3) {
			pt_buf_puts(b, "...");
			return;
		}
		chars++;
		bytes += piece;
		if (esc) {
			pt_buf_printf(b, "\\x%02x", p[i]);
			i++;
			continue;
		}
		pt_buf_add(b, s + i, k);
		i += k;
	}
}

/* The same into a fixed buffer (for messages). */
const char *pt_text_safe(const char *s, size_t max_chars, char *buf, size_t size)
{
	struct pt_buf b;

	pt_buf_init(&b);
	pt_text_put_safe(&b, s, max_chars, size - 1);
	pt_strlcpy(buf, pt_buf_ok(&b) ? pt_buf_str(&b) : "?", size);
	pt_buf_free(&b);
	return buf;
}

/* Display width: code points, not bytes. */
size_t pt_text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

void pt_table_row(struct pt_table *t, const char *const *row)
{
	if (t->n + t->ncols > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16 * t->ncols;
		char **v = realloc(t->cells, cap * sizeof(*v));

		if (!v) {
			t->oom = true;
			return;
		}
		t->cells = v;
		t->cap = cap;
	}
	for (size_t i = 0; i < t->ncols; i++) {
		struct pt_buf b;

		pt_buf_init(&b);
		pt_text_put_safe(&b, row[i], 200, SIZE_MAX);
		if (!pt_buf_ok(&b) || !b.data) {
			pt_buf_free(&b);
			t->oom = true;
			b.data = NULL;
		}
		t->cells[t->n++] = b.data;
	}
}

void pt_table_widths(const struct pt_table *t, size_t width[static PT_TABLE_MAX_COLS])
{
	for (size_t i = 0; i < PT_TABLE_MAX_COLS; i++)
		width[i] = 0;
	for (size_t i = 0; i < t->n; i++) {
		size_t w = t->cells[i] ? pt_text_width(t->cells[i]) : 1;

		if (w > width[i % t->ncols])
			width[i % t->ncols] = w;
	}
}

/* Print rows [first, first + count), columns padded to width. */
void pt_table_print_rows(const struct pt_table *t, FILE *out, const char *indent,
			 const size_t *width, size_t first, size_t count)
{
	for (size_t i = first * t->ncols; i < (first + count) * t->ncols && i < t->n; i++) {
		size_t col = i % t->ncols;
		const char *c = t->cells[i] ? t->cells[i] : "?";

		if (col == 0)
			fputs(indent, out);
		fputs(c, out);
		if (col + 1 == t->ncols) {
			fputc('\n', out);
			continue;
		}
		for (size_t k = pt_text_width(c); k < width[col] + 2; k++)
			fputc(' ', out);
	}
}

void pt_table_print(const struct pt_table *t, FILE *out, const char *indent)
{
	size_t width[PT_TABLE_MAX_COLS];

	pt_table_widths(t, width);
	pt_table_print_rows(t, out, indent, width, 0, t->ncols ? t->n / t->ncols : 0);
}

void pt_table_free(struct pt_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->cells[i]);
	free(t->cells);
}

/* Print a line made safe for the terminal. */
void pt_text_print(FILE *out, const char *prefix, const char *s)
{
	struct pt_buf b;

	pt_buf_init(&b);
	pt_text_put_safe(&b, s, 2000, SIZE_MAX);
	fprintf(out, "%s%s\n", prefix, pt_buf_ok(&b) ? pt_buf_str(&b) : "?");
	pt_buf_free(&b);
}
