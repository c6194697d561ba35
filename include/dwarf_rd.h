/*
 * dwarf_rd.h - the bounds-checked reader of DWARF's little-endian numbers
 * and LEB128s that the line-table and DIE readers share.  A read past the
 * end sets bad and yields 0; no read goes beyond end.
 */
#ifndef DWARF_RD_H
#define DWARF_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct dwarf_rd {
	const unsigned char *p, *end;
	bool bad;
};

/* n bytes, little-endian: the only byte order handled */
static inline uint64_t rd_u(struct dwarf_rd *r, unsigned n)
{
	uint64_t v = 0;

	if ((size_t)(r->end - r->p) < n) {
		r->bad = true;
		r->p = r->end;
		return 0;
	}
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* the common sizes in one load */
	if (n == 4 || n == 8 || n == 2 || n == 1) {
		uint32_t v4;
		uint16_t v2;

		switch (n) {
		case 8: memcpy(&v, r->p, 8); break;
		case 4: memcpy(&v4, r->p, 4); v = v4; break;
		case 2: memcpy(&v2, r->p, 2); v = v2; break;
		default: v = r->p[0]; break;
		}
		r->p += n;
		return v;
	}
#endif
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += n;
	return v;
}

static inline uint64_t rd_uleb(struct dwarf_rd *r)
{
	uint64_t v = 0;
	unsigned shift = 0;

	/* one byte: most of them */
	if (r->p < r->end && !(*r->p & 0x80))
		return *r->p++;

	while (r->p < r->end) {
		unsigned char b = *r->p++;

		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			return v;
	}
	r->bad = true;
	return 0;
}

static inline int64_t rd_sleb(struct dwarf_rd *r)
{
	uint64_t v = 0;
	unsigned shift = 0;

	while (r->p < r->end) {
		unsigned char b = *r->p++;

		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80)) {
			if (shift < 64 && (b & 0x40))
				v |= ~(uint64_t)0 << shift;   /* sign-extend; in unsigned, so no shift overflows */
			return (int64_t)v;
		}
	}
	r->bad = true;
	return 0;
}

#endif
