/* SPDX-License-Identifier: MIT */
/*
 * spec.h — the grammar of the device list (pt.devices= and "devices =" in
 * pt.conf). Pure: text in, selectors out, no I/O.
 *
 *   list     = entry *( "," entry )         ; blanks allowed around entries
 *   entry    = [ "!" ] selector              ; "!" excludes what it matches
 *   selector = addr / id / id "@" addr
 *   addr     = [ domain ":" ] bus ":" slot "." func
 *   domain   = 4HEXDIG                       ; default 0000
 *   bus      = 2HEXDIG
 *   slot     = 2HEXDIG                       ; 00..1f
 *   func     = HEXDIG / "*"                  ; 0..7, or every function
 *   id       = vendor ":" device [ ":" subvendor ":" subdevice ]
 *
 * Any syntax error rejects the whole list: a list with one bad entry could
 * have lost an exclusion, and binding the rest might hand over a device the
 * user meant to keep.
 */
#ifndef PT_SPEC_H
#define PT_SPEC_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

/* Limits. The x86 kernel command line holds 2048 bytes; a config file may
 * be longer, but a list beyond these is a mistake, not a machine. */
#define PT_SPEC_MAX_LEN 4096
#define PT_SPEC_MAX_ENTRIES 64

/* Longest valid entry: "!vvvv:dddd:ssss:ssss@dddd:bb:ss.f" is 33 bytes. */
#define PT_SEL_TEXT_MAX 40

enum {
	PT_SEL_EXCLUDE = 1u << 0, /* "!" */
	PT_SEL_ADDR = 1u << 1,	  /* an address is given */
	PT_SEL_ID = 1u << 2,	  /* vendor:device given */
	PT_SEL_SUBSYS = 1u << 3,  /* subvendor:subdevice given too */
	PT_SEL_ANYFUNC = 1u << 4, /* func is "*" */
};

/* A PCI function's address. */
struct pt_addr {
	uint16_t domain;
	uint8_t bus;
	uint8_t slot;
	uint8_t func;
};

/* "dddd:bb:ss.f" and its NUL. */
#define PT_ADDR_STRLEN 13

struct pt_selector {
	unsigned flags;
	struct pt_addr addr; /* valid with PT_SEL_ADDR; func ignored with ANYFUNC */
	uint16_t vendor, device, subvendor, subdevice;
	unsigned column;	    /* 1-based column of the entry in the list */
	char text[PT_SEL_TEXT_MAX]; /* the entry as written, blanks trimmed */
};

struct pt_spec {
	unsigned n;
	struct pt_selector sel[PT_SPEC_MAX_ENTRIES];
};

struct pt_spec_error {
	unsigned column; /* 1-based; 0 when no error */
	char msg[200];	 /* "expected ..., found ..." */
};

/*
 * Parse a device list. On success fills ret (n may be 0 for a blank list)
 * and returns 0. On a syntax error returns -EINVAL and fills ret_err with
 * the 1-based column and what was expected; ret is then empty.
 */
int pt_spec_parse(const char *text, struct pt_spec *ret,
		  struct pt_spec_error *ret_err) _must_check_;

/* Does the selector's address part match this address? (true when the
 * selector has no address). */
bool pt_selector_match_addr(const struct pt_selector *sel, const struct pt_addr *a);

/* Does the selector's identity part match? (true when it has no id). */
bool pt_selector_match_id(const struct pt_selector *sel, uint16_t vendor, uint16_t device,
			  uint16_t subvendor, uint16_t subdevice);

/* Does the list hold an including entry that has no address (so every
 * function on the bus must be looked at)? */
bool pt_spec_needs_scan(const struct pt_spec *spec);

/* Format and parse "dddd:bb:ss.f". pt_addr_parse accepts only the full,
 * canonical sysfs form (lower- or upper-case hex). */
void pt_addr_format(const struct pt_addr *a, char buf[static PT_ADDR_STRLEN]);
int pt_addr_parse(const char *s, struct pt_addr *ret) _must_check_;
int pt_addr_cmp(const struct pt_addr *a, const struct pt_addr *b);
static inline bool pt_addr_same_slot(const struct pt_addr *a, const struct pt_addr *b)
{
	return a->domain == b->domain && a->bus == b->bus && a->slot == b->slot;
}

#endif
