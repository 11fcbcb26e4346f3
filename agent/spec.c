/* SPDX-License-Identifier: MIT */
/*
 * spec.c — parser of the device list; see spec.h for the grammar.
 *
 * The parser first cuts an entry at its end (',' or a blank) and decides
 * what it is by its shape — an entry with '@' is pinned, one with '.' is an
 * address, anything else an id — then reads each field with its exact
 * width, so an error can say which field is wrong and where.
 */
#include <errno.h>
#include <stdio.h>

#include "spec.h"

struct cursor {
	const char *s;
	struct pt_spec_error *err;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool ends_token(char c)
{
	return c == '\0' || c == ',' || is_blank(c);
}

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* "end of list", "',' (end of entry)" or "'x'". */
static const char *describe(const struct cursor *c, size_t pos, char buf[static 32])
{
	char b[5];
	char ch = c->s[pos];

	if (ch == '\0')
		return "end of list";
	if (ch == ',' || is_blank(ch)) {
		snprintf(buf, 32, "end of entry");
		return buf;
	}
	snprintf(buf, 32, "'%s'", pt_byte_repr((unsigned char)ch, b));
	return buf;
}

static int fail(const struct cursor *c, size_t pos, const char *fmt, ...) _printf_(3, 4);
static int fail(const struct cursor *c, size_t pos, const char *fmt, ...)
{
	va_list ap;

	c->err->column = (unsigned)pos + 1;
	va_start(ap, fmt);
	vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * Read a hex field of exactly `width` digits at *pos, followed by the
 * character `sep` ('\0' meaning: the end of the entry).
 */
static int hex_field(const struct cursor *c, size_t *pos, unsigned width, const char *what,
		     char sep, unsigned *ret)
{
	size_t p = *pos, n = 0;
	unsigned v = 0;
	char buf[32];

	while (pt_hexval(c->s[p + n]) >= 0) {
		if (n < 8)
			v = v * 16 + (unsigned)pt_hexval(c->s[p + n]);
		n++;
	}
	if (is_alnum(c->s[p + n]) && c->s[p + n] != sep) {
		char b[5];

		return fail(c, p + n, "'%s' is not a hex digit (in the %s)",
			    pt_byte_repr((unsigned char)c->s[p + n], b), what);
	}
	if (n == 0)
		return fail(c, p, "expected the %s (%u hex digits), found %s", what, width,
			    describe(c, p, buf));
	if (n != width)
		return fail(c, p, "the %s must be %u hex digits, found %zu ('%.*s')", what, width,
			    n, (int)n, c->s + p);
	p += n;
	if (sep == '\0' ? !ends_token(c->s[p]) : c->s[p] != sep) {
		if (sep == '\0')
			return fail(c, p,
				    "expected ',' or the end of the list after the %s, found %s",
				    what, describe(c, p, buf));
		return fail(c, p, "expected '%c' after the %s, found %s", sep, what,
			    describe(c, p, buf));
	}
	*pos = p;
	*ret = v;
	return 0;
}

static size_t count_char(const char *s, size_t from, size_t to, char ch)
{
	size_t n = 0;

	for (size_t i = from; i < to; i++)
		n += s[i] == ch;
	return n;
}

/* addr = [ domain ":" ] bus ":" slot "." func, occupying [p, end). */
static int parse_addr(const struct cursor *c, size_t p, size_t end, struct pt_selector *sel)
{
	size_t colons = count_char(c->s, p, end, ':');
	unsigned domain = 0, bus, slot;
	char buf[32], b[5];
	int r;

	if (colons == 0 || colons > 2)
		return fail(c, p,
			    "an address is bus:slot.func or domain:bus:slot.func (found %zu ':' "
			    "in '%.*s')",
			    colons, (int)(end - p), c->s + p);
	if (colons == 2) {
		r = hex_field(c, &p, 4, "PCI domain", ':', &domain);
		if (r < 0)
			return r;
		p++;
	}
	r = hex_field(c, &p, 2, "bus number", ':', &bus);
	if (r < 0)
		return r;
	p++;
	r = hex_field(c, &p, 2, "slot number", '.', &slot);
	if (r < 0)
		return r;
	if (slot > 0x1f)
		return fail(c, p - 2, "the slot number must be 00-1f, found '%.2s'", c->s + p - 2);
	p++;
	if (c->s[p] == '*') {
		sel->flags |= PT_SEL_ANYFUNC;
		sel->addr.func = 0;
	} else if (c->s[p] >= '0' && c->s[p] <= '7') {
		sel->addr.func = (uint8_t)(c->s[p] - '0');
	} else if (pt_hexval(c->s[p]) >= 0) {
		return fail(c, p, "the function number must be 0-7 or '*', found '%c'", c->s[p]);
	} else {
		return fail(c, p, "expected the function number (0-7 or '*'), found %s",
			    describe(c, p, buf));
	}
	p++;
	if (pt_hexval(c->s[p]) >= 0)
		return fail(c, p - 1, "the function number is a single digit 0-7 or '*'");
	if (!ends_token(c->s[p]))
		return fail(c, p,
			    "expected ',' or the end of the list after the function, found '%s'",
			    pt_byte_repr((unsigned char)c->s[p], b));
	sel->flags |= PT_SEL_ADDR;
	sel->addr.domain = (uint16_t)domain;
	sel->addr.bus = (uint8_t)bus;
	sel->addr.slot = (uint8_t)slot;
	return 0;
}

/* id = vendor ":" device [ ":" subvendor ":" subdevice ], in [p, end). */
static int parse_id(const struct cursor *c, size_t p, size_t end, struct pt_selector *sel)
{
	size_t colons = count_char(c->s, p, end, ':');
	char last = c->s[end] == '@' ? '@' : '\0';
	unsigned v[4] = { 0 };
	static const char *const names[4] = { "vendor id", "device id", "subsystem vendor id",
					      "subsystem device id" };
	unsigned nfields;
	int r;

	if (colons != 1 && colons != 3)
		return fail(c, p,
			    "an id is vendor:device or vendor:device:subvendor:subdevice (found "
			    "%zu ':' in '%.*s')",
			    colons, (int)(end - p), c->s + p);
	nfields = (unsigned)colons + 1;
	for (unsigned i = 0; i < nfields; i++) {
		r = hex_field(c, &p, 4, names[i], i + 1 < nfields ? ':' : last, &v[i]);
		if (r < 0)
			return r;
		if (i + 1 < nfields)
			p++;
	}
	sel->flags |= PT_SEL_ID;
	sel->vendor = (uint16_t)v[0];
	sel->device = (uint16_t)v[1];
	if (nfields == 4) {
		sel->flags |= PT_SEL_SUBSYS;
		sel->subvendor = (uint16_t)v[2];
		sel->subdevice = (uint16_t)v[3];
	}
	return 0;
}

/* Characters a selector is made of; anything else is reported where it is. */
static bool is_selector_char(char c)
{
	return is_alnum(c) || c == ':' || c == '.' || c == '*' || c == '@';
}

static int parse_entry(const struct cursor *c, size_t start, size_t *ret_end,
		       struct pt_selector *sel)
{
	size_t p = start, end, lim, at = 0;
	bool has_at = false;
	char buf[32];
	int r;

	*sel = (struct pt_selector){ .column = (unsigned)start + 1 };
	if (c->s[p] == '!') {
		sel->flags |= PT_SEL_EXCLUDE;
		p++;
		if (c->s[p] == '!')
			return fail(c, p, "'!' may be given only once per entry");
	}
	if (ends_token(c->s[p]))
		return fail(c, p, "expected a device (bus:slot.func or vendor:device) %s, found %s",
			    sel->flags & PT_SEL_EXCLUDE ? "after '!'" : "here",
			    describe(c, p, buf));

	for (end = p; !ends_token(c->s[end]); end++)
		;
	if (end - start >= PT_SEL_TEXT_MAX)
		return fail(c, start, "entry '%.*s' is too long to be a device (%zu characters)",
			    (int)(end - start > 48 ? 48 : end - start), c->s + start, end - start);
	/* Decide the entry's shape from what precedes a stray character, so
	 * that the stray one is what gets reported, at its own column. */
	for (lim = p; lim < end && is_selector_char(c->s[lim]); lim++)
		;
	if (lim == p)
		lim = end;
	for (size_t i = p; i < lim; i++) {
		if (c->s[i] != '@')
			continue;
		if (has_at)
			return fail(c, i, "only one '@' may be given per entry");
		has_at = true;
		at = i;
	}

	if (has_at) {
		if (at == p)
			return fail(c, p, "expected vendor:device before '@'");
		if (memchr(c->s + p, '.', at - p))
			return fail(c, p,
				    "a pinned entry is vendor:device@address: the id comes first");
		r = parse_id(c, p, at, sel);
		if (r < 0)
			return r;
		if (at + 1 == end)
			return fail(c, at + 1, "expected an address after '@', found %s",
				    describe(c, at + 1, buf));
		r = parse_addr(c, at + 1, lim, sel);
	} else if (memchr(c->s + p, '.', lim - p)) {
		r = parse_addr(c, p, lim, sel);
	} else {
		r = parse_id(c, p, lim, sel);
	}
	if (r < 0)
		return r;

	memcpy(sel->text, c->s + start, end - start);
	sel->text[end - start] = '\0';
	*ret_end = end;
	return 0;
}

int pt_spec_parse(const char *text, struct pt_spec *ret, struct pt_spec_error *ret_err)
{
	struct cursor c = { .s = text, .err = ret_err };
	size_t len = strlen(text), p = 0;
	char buf[32];
	int r;

	ret->n = 0;
	*ret_err = (struct pt_spec_error){ 0 };
	if (len > PT_SPEC_MAX_LEN)
		return fail(&c, PT_SPEC_MAX_LEN,
			    "the device list is %zu characters long; the limit is %d", len,
			    PT_SPEC_MAX_LEN);

	while (is_blank(text[p]))
		p++;
	if (text[p] == '\0')
		return 0;

	for (;;) {
		size_t end = 0;

		while (is_blank(text[p]))
			p++;
		if (ret->n == PT_SPEC_MAX_ENTRIES) {
			r = fail(&c, p, "more than %d entries; the limit is %d",
				 PT_SPEC_MAX_ENTRIES, PT_SPEC_MAX_ENTRIES);
			goto fail;
		}
		r = parse_entry(&c, p, &end, &ret->sel[ret->n]);
		if (r < 0)
			goto fail;
		ret->n++;
		p = end;
		while (is_blank(text[p]))
			p++;
		if (text[p] == '\0')
			return 0;
		if (text[p] != ',') {
			r = fail(&c, p, "expected ',' between entries, found %s",
				 describe(&c, p, buf));
			goto fail;
		}
		p++;
		while (is_blank(text[p]))
			p++;
		if (text[p] == '\0') {
			r = fail(&c, p,
				 "expected another entry after the last ',', found end of list");
			goto fail;
		}
	}
fail:
	ret->n = 0;
	return r;
}

bool pt_selector_match_addr(const struct pt_selector *sel, const struct pt_addr *a)
{
	if (!(sel->flags & PT_SEL_ADDR))
		return true;
	return sel->addr.domain == a->domain && sel->addr.bus == a->bus &&
	       sel->addr.slot == a->slot &&
	       ((sel->flags & PT_SEL_ANYFUNC) || sel->addr.func == a->func);
}

bool pt_selector_match_id(const struct pt_selector *sel, uint16_t vendor, uint16_t device,
			  uint16_t subvendor, uint16_t subdevice)
{
	if (!(sel->flags & PT_SEL_ID))
		return true;
	if (sel->vendor != vendor || sel->device != device)
		return false;
	if (!(sel->flags & PT_SEL_SUBSYS))
		return true;
	return sel->subvendor == subvendor && sel->subdevice == subdevice;
}

bool pt_spec_needs_scan(const struct pt_spec *spec)
{
	for (unsigned i = 0; i < spec->n; i++)
		if (!(spec->sel[i].flags & (PT_SEL_EXCLUDE | PT_SEL_ADDR)))
			return true;
	return false;
}

void pt_addr_format(const struct pt_addr *a, char buf[static PT_ADDR_STRLEN])
{
	/* "%04x:%02x:%02x.%x", without printf: every device lookup formats one. */
	char *p = pt_hex(buf, a->domain, 4, false);

	*p++ = ':';
	p = pt_hex(p, a->bus, 2, false);
	*p++ = ':';
	p = pt_hex(p, a->slot, 2, false);
	*p++ = '.';
	p = pt_hex(p, a->func & 7u, 1, false);
	*p = '\0';
}

int pt_addr_parse(const char *s, struct pt_addr *ret)
{
	unsigned v[4] = { 0 };
	static const unsigned width[4] = { 4, 2, 2, 1 };
	static const char sep[4] = { ':', ':', '.', '\0' };
	size_t p = 0;

	for (unsigned f = 0; f < 4; f++) {
		for (unsigned i = 0; i < width[f]; i++, p++) {
			int h = pt_hexval(s[p]);

			if (h < 0)
				return -EINVAL;
			v[f] = v[f] * 16 + (unsigned)h;
		}
		if (s[p] != sep[f])
			return -EINVAL;
		p++;
	}
	if (v[2] > 0x1f || v[3] > 7)
		return -EINVAL;
	ret->domain = (uint16_t)v[0];
	ret->bus = (uint8_t)v[1];
	ret->slot = (uint8_t)v[2];
	ret->func = (uint8_t)v[3];
	return 0;
}

int pt_addr_cmp(const struct pt_addr *a, const struct pt_addr *b)
{
	uint64_t x = (uint64_t)a->domain << 24 | (uint64_t)a->bus << 16 | (uint64_t)a->slot << 8 |
		     a->func;
	uint64_t y = (uint64_t)b->domain << 24 | (uint64_t)b->bus << 16 | (uint64_t)b->slot << 8 |
		     b->func;

	return x < y ? -1 : x > y;
}
