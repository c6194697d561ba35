/*
 * sym_die.c - one compilation unit's DIEs read from .debug_info directly
 * (see sym_die.h).  The unit's abbreviations are decoded once into a table
 * by code; a DIE is then its code, and each attribute is either skipped by
 * its form's size or, for the handful the symbolizer needs, read.
 */
#define _GNU_SOURCE
#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#include "dwarf_rd.h"
#include "kt.h"
#include "sym_die.h"
#include "sym_lines.h"

#define SYM_DIE_MAX_CODE 65536  /* abbreviation codes beyond are declined */
#define SYM_DIE_DEPTH 512       /* nesting skipped over without DW_AT_sibling */

enum sym_die_want {             /* what an attribute is to us */
	WANT_SKIP,
	WANT_LO, WANT_HI, WANT_RANGES, WANT_SIBLING,
	WANT_CALL_FILE, WANT_CALL_LINE, WANT_CALL_COLUMN,
};

struct sym_die_attr {          /* 8 bytes: a unit has thousands */
	uint16_t name, form;
	uint8_t want;
	uint8_t fixed;          /* bytes of a form of fixed size (0: variable, or none) */
	uint16_t implicit;      /* DW_FORM_implicit_const's value: its index in the unit's implicits */
};

struct sym_die_abbrev {        /* 16 bytes: a unit has hundreds, every unit touched keeps its own */
	uint32_t first;         /* in the unit's attrs */
	uint16_t nattrs;
	uint16_t tag;           /* (a tag past 0xffff, none DWARF defines, reads as 0xffff) */
	uint16_t fixed_len;
	uint8_t sib_at, sib_size;   /* where DW_AT_sibling is in the fixed bytes, its size (0: none) */
	bool used;
	bool children;
	bool all_fixed;         /* every form of fixed size (of fixed_len bytes), nothing wanted but the sibling */
};

struct sym_die_cu {
	const unsigned char *info;
	uint64_t info_size;
	uint64_t hdr, end;      /* the unit: header offset, end offset */
	unsigned version, addr_size, off_size;
	struct sym_die_abbrev *abbrevs;     /* by code */
	uint32_t nabbrevs;
	struct sym_die_attr *attrs;
	uint32_t nattrs, attrcap;
	int64_t *implicits;     /* the values of DW_FORM_implicit_const */
	uint32_t nimplicits, implicitcap;
	const Elf_Data *rnglists, *ranges, *str, *line_str;
	bool has_base;          /* the unit DIE's DW_AT_low_pc: the base of its range lists */
	uint64_t base;
	uint64_t first_die;
};

static void rd_skip(struct dwarf_rd *r, uint64_t n)
{
	if ((uint64_t)(r->end - r->p) < n) {
		r->bad = true;
		r->p = r->end;
		return;
	}
	r->p += n;
}

/* ---------------------------------------------------------------------- */
/* abbreviations */

static uint8_t attr_want(unsigned name)
{
	switch (name) {
	case DW_AT_low_pc: return WANT_LO;
	case DW_AT_high_pc: return WANT_HI;
	case DW_AT_ranges: return WANT_RANGES;
	case DW_AT_sibling: return WANT_SIBLING;
	case DW_AT_call_file: return WANT_CALL_FILE;
	case DW_AT_call_line: return WANT_CALL_LINE;
	case DW_AT_call_column: return WANT_CALL_COLUMN;
	default: return WANT_SKIP;
	}
}

/* The size of a form that has one, in this unit; 0 otherwise (and for forms of no bytes). */
static unsigned form_fixed_size(const struct sym_die_cu *cu, unsigned form)
{
	switch (form) {
	case DW_FORM_data1: case DW_FORM_ref1: case DW_FORM_flag: case DW_FORM_strx1: case DW_FORM_addrx1:
		return 1;
	case DW_FORM_data2: case DW_FORM_ref2: case DW_FORM_strx2: case DW_FORM_addrx2: return 2;
	case DW_FORM_strx3: case DW_FORM_addrx3: return 3;
	case DW_FORM_data4: case DW_FORM_ref4: case DW_FORM_ref_sup4: case DW_FORM_strx4: case DW_FORM_addrx4:
		return 4;
	case DW_FORM_data8: case DW_FORM_ref8: case DW_FORM_ref_sig8: case DW_FORM_ref_sup8: return 8;
	case DW_FORM_data16: return 16;
	case DW_FORM_addr: return cu->addr_size;
	case DW_FORM_ref_addr: return cu->version == 2 ? cu->addr_size : cu->off_size;
	case DW_FORM_strp: case DW_FORM_line_strp: case DW_FORM_sec_offset: case DW_FORM_strp_sup:
	case DW_FORM_GNU_ref_alt: case DW_FORM_GNU_strp_alt:
		return cu->off_size;
	default: return 0;
	}
}

/* One abbreviation's attribute specifications into cu->attrs; false if unreadable. */
static bool read_attr_specs(struct sym_die_cu *cu, struct dwarf_rd *r, struct sym_die_abbrev *ab)
{
	ab->first = cu->nattrs;
	for (;;) {
		uint64_t name = rd_uleb(r), form = rd_uleb(r);
		struct sym_die_attr *at;

		if (r->bad || form > 0xffff)
			return false;
		if (!name && !form)
			break;
		ALLOC_GROW(cu->attrs, cu->nattrs, cu->attrcap);
		at = &cu->attrs[cu->nattrs++];
		at->form = (uint16_t)form;
		at->name = (uint16_t)(name > 0xffff ? 0xffff : name);
		at->want = attr_want((unsigned)name);
		at->implicit = 0;
		if (form == DW_FORM_implicit_const) {
			if (cu->nimplicits > UINT16_MAX)
				return false;   /* more than this reader keeps: libdw's */
			ALLOC_GROW(cu->implicits, cu->nimplicits, cu->implicitcap);
			at->implicit = (uint16_t)cu->nimplicits;
			cu->implicits[cu->nimplicits++] = rd_sleb(r);
		}
		at->fixed = (uint8_t)form_fixed_size(cu, (unsigned)form);
	}
	if (cu->nattrs - ab->first > UINT16_MAX)
		return false;   /* more than this reader keeps: libdw's */
	ab->nattrs = (uint16_t)(cu->nattrs - ab->first);
	ab->all_fixed = true;
	ab->fixed_len = 0;
	ab->sib_size = 0;
	for (uint32_t i = ab->first, len = 0; i < cu->nattrs; i++) {
		const struct sym_die_attr *at = &cu->attrs[i];
		bool ref = at->form == DW_FORM_ref1 || at->form == DW_FORM_ref2 || at->form == DW_FORM_ref4 ||
			   at->form == DW_FORM_ref8;

		if (at->want == WANT_SIBLING && ref && !ab->sib_size && len < 256) {
			ab->sib_at = (uint8_t)len;
			ab->sib_size = at->fixed;
		} else if (at->want != WANT_SKIP || (!at->fixed && at->form != DW_FORM_flag_present &&
						     at->form != DW_FORM_implicit_const)) {
			ab->all_fixed = false;
		}
		len += at->fixed;
		if (len > UINT16_MAX)
			ab->all_fixed = false;
		ab->fixed_len = (uint16_t)len;
	}
	return !r->bad;
}

static bool read_abbrevs(struct sym_die_cu *cu, const Elf_Data *abbrev, uint64_t off)
{
	struct dwarf_rd r;

	if (!abbrev || off >= abbrev->d_size)
		return false;
	r.p = (const unsigned char *)abbrev->d_buf + off;
	r.end = (const unsigned char *)abbrev->d_buf + abbrev->d_size;
	r.bad = false;
	for (uint64_t top = 0;;) {
		uint64_t code = rd_uleb(&r), tag;
		struct sym_die_abbrev *ab;

		if (r.bad || code >= SYM_DIE_MAX_CODE)
			return false;
		if (!code) {
			/* the tables kept as long as the unit is: no room to spare */
			cu->nabbrevs = (uint32_t)top + 1;
			cu->abbrevs = xrealloc(cu->abbrevs, cu->nabbrevs * sizeof(*cu->abbrevs));
			if (!top)
				memset(cu->abbrevs, 0, sizeof(*cu->abbrevs));
			cu->attrs = xrealloc(cu->attrs, (cu->nattrs ? cu->nattrs : 1) * sizeof(*cu->attrs));
			cu->attrcap = cu->nattrs;
			if (cu->nimplicits) {
				cu->implicits = xrealloc(cu->implicits, cu->nimplicits * sizeof(*cu->implicits));
				cu->implicitcap = cu->nimplicits;
			}
			return true;
		}
		if (code > top)
			top = code;
		tag = rd_uleb(&r);
		if (code >= cu->nabbrevs) {
			uint32_t n = cu->nabbrevs ? cu->nabbrevs : 64;

			while (n <= code)
				n *= 2;
			cu->abbrevs = xrealloc(cu->abbrevs, n * sizeof(*cu->abbrevs));
			memset(cu->abbrevs + cu->nabbrevs, 0, (n - cu->nabbrevs) * sizeof(*cu->abbrevs));
			cu->nabbrevs = n;
		}
		ab = &cu->abbrevs[code];
		if (ab->used)
			return false;   /* a code twice: not a table we understand */
		ab->used = true;
		ab->tag = (uint16_t)(tag > 0xffff ? 0xffff : tag);
		ab->children = rd_u(&r, 1) == DW_CHILDREN_yes;
		if (!read_attr_specs(cu, &r, ab))
			return false;
	}
}

/* The unit header at hdr: sizes, version, abbreviations. */
static bool read_header(struct sym_die_cu *cu, const struct sym_dsecs *ds, uint64_t hdr)
{
	struct dwarf_rd r = { cu->info + hdr, cu->info + cu->info_size, false };
	uint64_t len = rd_u(&r, 4), abbrev_off;

	cu->off_size = 4;
	if (len == 0xffffffff) {
		len = rd_u(&r, 8);
		cu->off_size = 8;
	}
	if (r.bad || len > (uint64_t)(r.end - r.p))
		return false;
	cu->end = (uint64_t)(r.p - cu->info) + len;
	cu->version = (unsigned)rd_u(&r, 2);
	if (cu->version < 2 || cu->version > 5)
		return false;
	if (cu->version == 5) {
		unsigned type = (unsigned)rd_u(&r, 1);

		if (type != DW_UT_compile && type != DW_UT_partial)
			return false;
		cu->addr_size = (unsigned)rd_u(&r, 1);
		abbrev_off = rd_u(&r, cu->off_size);
	} else {
		abbrev_off = rd_u(&r, cu->off_size);
		cu->addr_size = (unsigned)rd_u(&r, 1);
	}
	if (r.bad || (cu->addr_size != 4 && cu->addr_size != 8))
		return false;
	cu->first_die = (uint64_t)(r.p - cu->info);
	return read_abbrevs(cu, ds->abbrev, abbrev_off);
}

struct sym_die_cu *sym_die_cu_open(const struct sym_dsecs *ds, uint64_t hdr)
{
	struct sym_die_cu *cu;
	struct sym_die top;

	if (!ds->info || !ds->abbrev || hdr >= ds->info->d_size)
		return NULL;
	cu = xcalloc(1, sizeof(*cu));
	cu->info = ds->info->d_buf;
	cu->info_size = ds->info->d_size;
	cu->hdr = hdr;
	cu->rnglists = ds->rnglists;
	cu->ranges = ds->ranges;
	cu->str = ds->str;
	cu->line_str = ds->line_str;
	if (!read_header(cu, ds, hdr) || !sym_die_read(cu, cu->first_die, &top)) {
		sym_die_cu_free(cu);
		return NULL;
	}
	cu->has_base = top.has_lo;
	cu->base = top.lo;
	return cu;
}

void sym_die_cu_free(struct sym_die_cu *cu)
{
	if (!cu)
		return;
	free(cu->abbrevs);
	free(cu->attrs);
	free(cu->implicits);
	free(cu);
}

/* ---------------------------------------------------------------------- */
/* DIEs */

/* A value of a constant or reference form; false for any other form. */
static bool rd_const(struct sym_die_cu *cu, struct dwarf_rd *r, const struct sym_die_attr *at, uint64_t *v)
{
	switch (at->form) {
	case DW_FORM_data1: case DW_FORM_ref1: case DW_FORM_flag: *v = rd_u(r, 1); return true;
	case DW_FORM_data2: case DW_FORM_ref2: *v = rd_u(r, 2); return true;
	case DW_FORM_data4: case DW_FORM_ref4: *v = rd_u(r, 4); return true;
	case DW_FORM_data8: case DW_FORM_ref8: *v = rd_u(r, 8); return true;
	case DW_FORM_udata: case DW_FORM_ref_udata: *v = rd_uleb(r); return true;
	case DW_FORM_implicit_const: *v = (uint64_t)cu->implicits[at->implicit]; return true;
	case DW_FORM_addr: *v = rd_u(r, cu->addr_size); return true;
	case DW_FORM_ref_addr: *v = rd_u(r, cu->version == 2 ? cu->addr_size : cu->off_size); return true;
	default: return false;
	}
}

/* Skip one attribute of that form; false for a form not known here. */
static bool skip_form(struct sym_die_cu *cu, struct dwarf_rd *r, unsigned form)
{
	switch (form) {
	case DW_FORM_flag_present: case DW_FORM_implicit_const: return true;
	case DW_FORM_data1: case DW_FORM_ref1: case DW_FORM_flag: case DW_FORM_strx1: case DW_FORM_addrx1:
		rd_skip(r, 1); return true;
	case DW_FORM_data2: case DW_FORM_ref2: case DW_FORM_strx2: case DW_FORM_addrx2: rd_skip(r, 2); return true;
	case DW_FORM_strx3: case DW_FORM_addrx3: rd_skip(r, 3); return true;
	case DW_FORM_data4: case DW_FORM_ref4: case DW_FORM_ref_sup4: case DW_FORM_strx4: case DW_FORM_addrx4:
		rd_skip(r, 4); return true;
	case DW_FORM_data8: case DW_FORM_ref8: case DW_FORM_ref_sig8: case DW_FORM_ref_sup8: rd_skip(r, 8); return true;
	case DW_FORM_data16: rd_skip(r, 16); return true;
	case DW_FORM_addr: rd_skip(r, cu->addr_size); return true;
	case DW_FORM_ref_addr: rd_skip(r, cu->version == 2 ? cu->addr_size : cu->off_size); return true;
	case DW_FORM_strp: case DW_FORM_line_strp: case DW_FORM_sec_offset: case DW_FORM_strp_sup:
	case DW_FORM_GNU_ref_alt: case DW_FORM_GNU_strp_alt:
		rd_skip(r, cu->off_size); return true;
	case DW_FORM_udata: case DW_FORM_sdata: case DW_FORM_ref_udata: case DW_FORM_strx: case DW_FORM_addrx:
	case DW_FORM_loclistx: case DW_FORM_rnglistx: case DW_FORM_GNU_addr_index: case DW_FORM_GNU_str_index:
		rd_uleb(r); return true;
	case DW_FORM_string: {
		const unsigned char *z = memchr(r->p, 0, (size_t)(r->end - r->p));

		if (!z)
			return false;
		r->p = z + 1;
		return true;
	}
	case DW_FORM_block1: rd_skip(r, rd_u(r, 1)); return true;
	case DW_FORM_block2: rd_skip(r, rd_u(r, 2)); return true;
	case DW_FORM_block4: rd_skip(r, rd_u(r, 4)); return true;
	case DW_FORM_block: case DW_FORM_exprloc: rd_skip(r, rd_uleb(r)); return true;
	default: return false;   /* DW_FORM_indirect and anything newer */
	}
}

/* An attribute we want: into d.  False if its form is not one we can take as libdw would. */
static bool take_attr(struct sym_die_cu *cu, struct dwarf_rd *r, const struct sym_die_attr *at, struct sym_die *d)
{
	uint64_t v = 0;

	if (at->want == WANT_RANGES) {
		d->has_ranges = true;
		if (at->form == DW_FORM_sec_offset || (cu->version < 4 && (at->form == DW_FORM_data4 ||
									   at->form == DW_FORM_data8))) {
			d->ranges_off = true;
			d->ranges = rd_u(r, at->form == DW_FORM_data8 ? 8 : at->form == DW_FORM_data4 ? 4 : cu->off_size);
			return true;
		}
		return skip_form(cu, r, at->form);
	}
	if (at->want == WANT_LO && at->form != DW_FORM_addr)
		return false;   /* an address by index: libdw's job */
	if (at->want == WANT_HI && at->form != DW_FORM_addr && at->form != DW_FORM_data1 &&
	    at->form != DW_FORM_data2 && at->form != DW_FORM_data4 && at->form != DW_FORM_data8 &&
	    at->form != DW_FORM_udata)
		return false;
	if (!rd_const(cu, r, at, &v))
		return false;
	switch (at->want) {
	case WANT_LO: d->has_lo = true; d->lo = v; break;
	case WANT_HI: d->has_hi = true; d->hi = v; d->hi_is_len = at->form != DW_FORM_addr; break;
	case WANT_SIBLING:
		if (at->form == DW_FORM_ref_addr || at->form == DW_FORM_addr)
			return false;
		d->sibling = cu->hdr + v;
		break;
	case WANT_CALL_FILE: d->has_call_file = true; d->call_file = v; break;
	case WANT_CALL_LINE: d->call_line = v; break;
	case WANT_CALL_COLUMN: d->call_column = v; break;
	default: break;
	}
	return true;
}

bool sym_die_read(struct sym_die_cu *cu, uint64_t off, struct sym_die *d)
{
	struct dwarf_rd r = { cu->info + off, cu->info + cu->end, false };
	uint64_t code;
	const struct sym_die_abbrev *ab;

	/* what is read below, or 0 (lo, hi, ranges and call_file count only with their flags) */
	d->off = off;
	d->tag = 0;
	d->children = d->has_lo = d->has_hi = d->hi_is_len = d->has_ranges = d->ranges_off = d->has_call_file = false;
	d->lo = d->hi = d->ranges = d->call_file = 0;
	d->call_line = d->call_column = d->sibling = d->end = 0;
	if (off >= cu->end)
		return false;
	code = rd_uleb(&r);
	if (r.bad)
		return false;
	if (!code) {
		d->end = (uint64_t)(r.p - cu->info);
		return true;
	}
	if (code >= cu->nabbrevs || !(ab = &cu->abbrevs[code])->used)
		return false;
	d->tag = ab->tag;
	d->children = ab->children;
	if (ab->all_fixed) {
		const unsigned char *at = r.p;

		rd_skip(&r, ab->fixed_len);
		if (r.bad)
			return false;
		if (ab->sib_size) {
			struct dwarf_rd s = { at + ab->sib_at, r.p, false };

			d->sibling = cu->hdr + rd_u(&s, ab->sib_size);
		}
		d->end = (uint64_t)(r.p - cu->info);
		return true;
	}
	for (uint32_t i = 0; i < ab->nattrs; i++) {
		const struct sym_die_attr *at = &cu->attrs[ab->first + i];

		if (at->want == WANT_SKIP && at->fixed)
			rd_skip(&r, at->fixed);
		else if (!(at->want == WANT_SKIP ? skip_form(cu, &r, at->form) : take_attr(cu, &r, at, d)))
			return false;
	}
	if (r.bad)
		return false;
	d->end = (uint64_t)(r.p - cu->info);
	return true;
}

/* DWARF 5 .debug_rnglists at off: the entries that need no .debug_addr; false at any other. */
static bool rnglist(struct sym_die_cu *cu, uint64_t off, void (*fn)(void *, uint64_t, uint64_t), void *arg)
{
	struct dwarf_rd r;
	uint64_t base = cu->base, a, b;

	if (!cu->rnglists || off >= cu->rnglists->d_size)
		return false;
	r.p = (const unsigned char *)cu->rnglists->d_buf + off;
	r.end = (const unsigned char *)cu->rnglists->d_buf + cu->rnglists->d_size;
	r.bad = false;
	for (;;) {
		unsigned kind = (unsigned)rd_u(&r, 1);

		if (r.bad)
			return false;
		switch (kind) {
		case DW_RLE_end_of_list: return true;
		case DW_RLE_offset_pair:
			if (!cu->has_base)
				return false;
			a = rd_uleb(&r);
			b = rd_uleb(&r);
			fn(arg, base + a, base + b);
			break;
		case DW_RLE_base_address: base = rd_u(&r, cu->addr_size); break;
		case DW_RLE_start_end:
			a = rd_u(&r, cu->addr_size);
			b = rd_u(&r, cu->addr_size);
			fn(arg, a, b);
			break;
		case DW_RLE_start_length:
			a = rd_u(&r, cu->addr_size);
			b = rd_uleb(&r);
			fn(arg, a, a + b);
			break;
		default: return false;  /* by index into .debug_addr: libdw's */
		}
		if (r.bad)
			return false;
	}
}

/* DWARF 2 to 4 .debug_ranges at off. */
static bool rangelist(struct sym_die_cu *cu, uint64_t off, void (*fn)(void *, uint64_t, uint64_t), void *arg)
{
	struct dwarf_rd r;
	uint64_t base = cu->base, max = cu->addr_size == 8 ? UINT64_MAX : UINT32_MAX;

	if (!cu->ranges || off >= cu->ranges->d_size)
		return false;
	r.p = (const unsigned char *)cu->ranges->d_buf + off;
	r.end = (const unsigned char *)cu->ranges->d_buf + cu->ranges->d_size;
	r.bad = false;
	for (;;) {
		uint64_t a = rd_u(&r, cu->addr_size), b = rd_u(&r, cu->addr_size);

		if (r.bad)
			return false;
		if (!a && !b)
			return true;
		if (a == max) {
			base = b;
			continue;
		}
		if (!cu->has_base)
			return false;
		fn(arg, base + a, base + b);
	}
}

static void ranges_nop(void *arg, uint64_t lo, uint64_t hi)
{
	(void)arg;
	(void)lo;
	(void)hi;
}

bool sym_die_ranges(struct sym_die_cu *cu, const struct sym_die *d, void (*fn)(void *arg, uint64_t lo, uint64_t hi),
		    void *arg)
{
	if (d->has_lo && d->has_hi) {
		fn(arg, d->lo, d->hi_is_len ? d->lo + d->hi : d->hi);
		return true;
	}
	if (!d->has_ranges)
		return true;
	if (!d->ranges_off)
		return false;
	/* read through once before any range is given: a list declined half-way gives none */
	if (cu->version >= 5)
		return rnglist(cu, d->ranges, ranges_nop, NULL) && rnglist(cu, d->ranges, fn, arg);
	return rangelist(cu, d->ranges, ranges_nop, NULL) && rangelist(cu, d->ranges, fn, arg);
}

/* Past the children of d (d has some and no DW_AT_sibling): the offset after their null entry, or 0. */
static uint64_t skip_children(struct sym_die_cu *cu, const struct sym_die *d)
{
	uint64_t off = d->end;
	int depth = 1;
	struct sym_die c;

	while (depth > 0) {
		if (!sym_die_read(cu, off, &c))
			return 0;
		if (!c.tag) {
			depth--;
		} else if (c.children && c.sibling > c.off) {
			off = c.sibling;
			continue;
		} else if (c.children && ++depth > SYM_DIE_DEPTH) {
			return 0;
		}
		off = c.end;
	}
	return off;
}

bool sym_die_next_after(struct sym_die_cu *cu, const struct sym_die *d, uint64_t children_end, struct sym_die *next)
{
	uint64_t off;

	if (!d->tag)
		return false;
	if (!d->children)
		off = d->end;
	else if (d->sibling > d->off)
		off = d->sibling;
	else if (children_end)
		off = children_end;
	else if (!(off = skip_children(cu, d)))
		return false;
	return sym_die_read(cu, off, next);
}

bool sym_die_next(struct sym_die_cu *cu, const struct sym_die *d, struct sym_die *next)
{
	return sym_die_next_after(cu, d, 0, next);
}

/* ---------------------------------------------------------------------- */
/* strings */

static const char *sec_str(const Elf_Data *d, uint64_t off)
{
	if (!d || off >= d->d_size || !memchr((const char *)d->d_buf + off, 0, d->d_size - off))
		return NULL;
	return (const char *)d->d_buf + off;
}

/*
 * Position r at the value of attribute name of the DIE at off (*at: its
 * specification): 1, 0 when the DIE has none, -1 when it cannot be read.
 */
static int seek_attr(struct sym_die_cu *cu, uint64_t off, unsigned name, struct dwarf_rd *r,
		     const struct sym_die_attr **at)
{
	uint64_t code;
	const struct sym_die_abbrev *ab;

	*r = (struct dwarf_rd){ cu->info + off, cu->info + cu->end, false };
	code = off < cu->end ? rd_uleb(r) : 0;
	if (!code || r->bad || code >= cu->nabbrevs || !(ab = &cu->abbrevs[code])->used)
		return -1;
	for (uint32_t i = 0; i < ab->nattrs; i++) {
		*at = &cu->attrs[ab->first + i];
		if ((*at)->name == name)
			return 1;
		if (!skip_form(cu, r, (*at)->form) || r->bad)
			return -1;
	}
	return 0;
}

/*
 * Attribute name of the DIE at off: a string into *str, a reference
 * (within the unit) into *ref (0: none).  False if declined.
 */
static bool find_attr(struct sym_die_cu *cu, uint64_t off, unsigned name, const char **str, uint64_t *ref)
{
	struct dwarf_rd r;
	const struct sym_die_attr *at;
	int found = seek_attr(cu, off, name, &r, &at);

	if (found <= 0)
		return found == 0;
	switch (at->form) {
	case DW_FORM_string: *str = (const char *)r.p; return memchr(r.p, 0, (size_t)(r.end - r.p)) != NULL;
	case DW_FORM_strp: *str = sec_str(cu->str, rd_u(&r, cu->off_size)); return *str && !r.bad;
	case DW_FORM_line_strp: *str = sec_str(cu->line_str, rd_u(&r, cu->off_size)); return *str && !r.bad;
	case DW_FORM_ref1: case DW_FORM_ref2: case DW_FORM_ref4: case DW_FORM_ref8: case DW_FORM_ref_udata: {
		uint64_t v = 0;

		rd_const(cu, &r, at, &v);
		*ref = cu->hdr + v;
		return !r.bad && *ref > cu->hdr && *ref < cu->end;
	}
	default: return false;  /* by index, or in another unit or file: libdw's */
	}
}

bool sym_die_string(struct sym_die_cu *cu, uint64_t off, unsigned name, bool integrate, const char **out)
{
	*out = NULL;
	/* as dwarf_attr_integrate(): the DIE, then its abstract origin or specification, 16 deep */
	for (int i = 0; i < (integrate ? 16 : 1); i++) {
		uint64_t origin = 0, spec = 0, none = 0;
		const char *junk = NULL;

		if (!find_attr(cu, off, name, out, &none) || none)
			return false;
		if (*out || !integrate)
			return true;
		if (!find_attr(cu, off, DW_AT_abstract_origin, &junk, &origin) || junk)
			return false;
		if (!origin && (!find_attr(cu, off, DW_AT_specification, &junk, &spec) || junk))
			return false;
		if (!(off = origin ? origin : spec))
			return true;
	}
	return true;
}

bool sym_die_offset(struct sym_die_cu *cu, uint64_t off, unsigned name, bool *has, uint64_t *v)
{
	struct dwarf_rd r;
	const struct sym_die_attr *at;
	int found = seek_attr(cu, off, name, &r, &at);

	*has = false;
	if (found <= 0)
		return found == 0;
	if (at->form == DW_FORM_sec_offset)
		*v = rd_u(&r, cu->off_size);
	else if (!rd_const(cu, &r, at, v) || at->form == DW_FORM_addr || at->form == DW_FORM_ref_addr)
		return false;
	*has = true;
	return !r.bad;
}

uint64_t sym_die_first(const struct sym_die_cu *cu)
{
	return cu->first_die;
}
