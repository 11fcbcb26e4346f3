/* SPDX-License-Identifier: MIT */
/* util.c — see util.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

size_t pt_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size == 0)
		return len;
	if (len < size) {
		memcpy(dst, src, len + 1);
	} else {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
	}
	return len;
}

int pt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	return n;
}

int pt_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *pt_hex(char *p, uint32_t v, unsigned digits, bool upper)
{
	const char *hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";

	if (digits > 8)
		digits = 8;
	for (unsigned i = 0; i < digits; i++)
		p[digits - 1 - i] = hex[(v >> (4 * i)) & 0xfu];
	return p + digits;
}

const char *pt_byte_repr(unsigned char c, char buf[static 5])
{
	if (c >= 0x20 && c < 0x7f) {
		buf[0] = (char)c;
		buf[1] = '\0';
	} else {
		snprintf(buf, 5, "\\x%02x", c);
	}
	return buf;
}

size_t pt_utf8_decode(const unsigned char *s, size_t avail, uint32_t *ret_cp)
{
	uint32_t cp;
	size_t n;

	if (avail == 0)
		return 0;
	if (s[0] < 0x80) {
		n = 1;
		cp = s[0];
	} else if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1fu;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0fu;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07u;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (ret_cp)
		*ret_cp = cp;
	return n;
}

unsigned pt_edit_distance(const char *a, const char *b)
{
	unsigned row[256];
	size_t la = strlen(a), lb = strlen(b);

	if (la > 255)
		la = 255;
	if (lb > 255)
		lb = 255;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];

		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

#ifdef PT_STAGES
void pt_stage(const char *name)
{
	struct timespec ts;
	char line[96], digits[24];
	size_t n = 0, k = 0, len = strlen(name);
	uint64_t us;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	do
		digits[k++] = (char)('0' + us % 10);
	while ((us /= 10) > 0);
	while (k > 0)
		line[n++] = digits[--k];
	line[n++] = ' ';
	if (len > sizeof(line) - n - 1)
		len = sizeof(line) - n - 1;
	memcpy(line + n, name, len);
	n += len;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* a lost line is a missing stage in the table */
	}
}
#endif

uint64_t pt_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0 && clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void pt_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void pt_buf_init(struct pt_buf *b)
{
	*b = (struct pt_buf){ 0 };
}

void pt_buf_free(struct pt_buf *b)
{
	free(b->data);
	pt_buf_init(b);
}

static bool buf_reserve(struct pt_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->oom || b->sink_err)
		return false; /* sticky: nothing more is kept */
	if (extra > SIZE_MAX / 2 - b->len) {
		b->oom = true;
		return false;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void pt_buf_set_sink(struct pt_buf *b, int (*sink)(void *ctx, const char *data, size_t len),
		     void *ctx)
{
	b->sink = sink;
	b->sink_ctx = ctx;
	b->sink_err = 0;
}

int pt_buf_flush(struct pt_buf *b)
{
	int r;

	if (!b->sink || b->sink_err)
		return b->sink_err;
	if (b->len) {
		r = b->sink(b->sink_ctx, b->data, b->len);
		if (r < 0)
			b->sink_err = r;
		b->len = 0;
		b->data[0] = '\0';
	}
	return b->sink_err;
}

/* After an addition: stream a full chunk. */
static void buf_spill(struct pt_buf *b)
{
	if (b->sink && b->len >= PT_BUF_SINK_CHUNK)
		(void)pt_buf_flush(b);
}

void pt_buf_add(struct pt_buf *b, const char *s, size_t n)
{
	/* cap > 0 only once allocated, and a failed buffer keeps nothing */
	if (n >= b->cap - b->len || b->oom || b->sink_err) {
		if (!buf_reserve(b, n))
			return;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	buf_spill(b);
}

void pt_buf_puts(struct pt_buf *b, const char *s)
{
	pt_buf_add(b, s, strlen(s));
}

void pt_buf_putc(struct pt_buf *b, char c)
{
	if (b->len + 1 < b->cap && !b->oom && !b->sink_err) {
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
		buf_spill(b);
		return;
	}
	pt_buf_add(b, &c, 1);
}

/* Room for most lines at once: formatted in one pass when they fit. */
#define PRINTF_GUESS 128u

void pt_buf_vprintf(struct pt_buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	size_t room;
	int n;

	if (!buf_reserve(b, PRINTF_GUESS))
		return;
	room = b->cap - b->len;
	va_copy(aq, ap);
	n = vsnprintf(b->data + b->len, room, fmt, aq);
	va_end(aq);
	if (n < 0) {
		b->data[b->len] = '\0';
		b->oom = true;
		return;
	}
	if ((size_t)n >= room) {
		/* Longer than the room: a second pass into enough. */
		b->data[b->len] = '\0';
		if (!buf_reserve(b, (size_t)n))
			return;
		vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	}
	b->len += (size_t)n;
	buf_spill(b);
}

void pt_buf_printf(struct pt_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pt_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

/* The interned strings: driver names (a handful) and the sentences of
 * failed targets (thousands, when thousands of binds fail the same way),
 * so a small hash table of lists. */
struct intern {
	struct intern *next;
	char text[];
};
#define INTERN_BUCKETS 256u
static struct intern *interned[INTERN_BUCKETS];

const char *pt_intern(const char *s)
{
	struct intern **head, *i;
	uint32_t h = 2166136261u; /* FNV-1a */
	size_t n;

	if (!s[0])
		return "";
	for (n = 0; s[n]; n++)
		h = (h ^ (unsigned char)s[n]) * 16777619u;
	head = &interned[h % INTERN_BUCKETS];
	for (i = *head; i; i = i->next)
		if (streq(i->text, s))
			return i->text;
	i = malloc(sizeof(*i) + n + 1);
	if (!i)
		return NULL;
	memcpy(i->text, s, n + 1);
	i->next = *head;
	*head = i;
	return i->text;
}

void pt_diag_init(struct pt_diag *d)
{
	*d = (struct pt_diag){ 0 };
}

void pt_diag_free(struct pt_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->msgs[i].owned)
			free((char *)d->msgs[i].text);
	free(d->msgs);
	pt_diag_init(d);
}

/* Room for one more message; false (and oom set) without memory. */
static bool diag_grow(struct pt_diag *d)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct pt_diag_msg *m = realloc(d->msgs, cap * sizeof(*m));

		if (!m) {
			d->oom = true;
			return false;
		}
		d->msgs = m;
		d->cap = cap;
	}
	return true;
}

static void diag_push(struct pt_diag *d, enum pt_severity sev, const char *prefix, const char *text,
		      bool owned)
{
	d->msgs[d->n++] =
		(struct pt_diag_msg){ .sev = sev, .owned = owned, .prefix = prefix, .text = text };
	if (sev == PT_SEV_ERROR)
		d->n_errors++;
	else
		d->n_warnings++;
}

void pt_diag_vadd(struct pt_diag *d, enum pt_severity sev, const char *fmt, va_list ap)
{
	struct pt_buf b;
	char *text;

	if (!diag_grow(d))
		return;
	pt_buf_init(&b);
	pt_buf_vprintf(&b, fmt, ap);
	if (!pt_buf_ok(&b) || !b.data) {
		pt_buf_free(&b);
		d->oom = true;
		return;
	}
	/* Kept to its length: a boot of thousands of devices can say as many
	 * sentences. */
	text = realloc(b.data, b.len + 1);
	diag_push(d, sev, NULL, text ? text : b.data, true);
}

void pt_diag_ref(struct pt_diag *d, enum pt_severity sev, const char *prefix, const char *text)
{
	if (diag_grow(d))
		diag_push(d, sev, prefix, text, false);
}

void pt_diag_copy(struct pt_diag *into, const struct pt_diag_msg *m)
{
	if (!m->owned)
		pt_diag_ref(into, m->sev, m->prefix, m->text);
	else if (m->prefix)
		pt_diag_add(into, m->sev, "%s: %s", m->prefix, m->text);
	else
		pt_diag_add(into, m->sev, "%s", m->text);
}

void pt_diag_add(struct pt_diag *d, enum pt_severity sev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pt_diag_vadd(d, sev, fmt, ap);
	va_end(ap);
}
