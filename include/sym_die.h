/*
 * sym_die.h - a reader of one compilation unit's DIEs (DWARF 2 to 5) from
 * .debug_info directly, for the symbolizer's walk over functions and their
 * inlined subroutines: each abbreviation decoded once, attributes skipped
 * by form, and only the few it needs read (tag, pc range, DW_AT_ranges
 * present, sibling, call site).  It declines what it does not know (a
 * form, a unit type, an address by index): then ask libdw.
 */
#ifndef SYM_DIE_H
#define SYM_DIE_H

#include <stdbool.h>
#include <stdint.h>

struct sym_dsecs;
struct sym_die_cu;

/* One DIE as read; offsets are in .debug_info. */
struct sym_die {
	uint64_t off;
	unsigned tag;           /* 0: the null entry ending a list of children */
	bool children;
	bool has_lo, has_hi, hi_is_len, has_ranges;
	bool ranges_off;
	bool has_call_file;
	uint64_t lo, hi;        /* when has_lo, has_hi */
	uint64_t ranges;        /* DW_AT_ranges as a section offset (ranges_off), else not read here */
	uint64_t call_file;     /* when has_call_file */
	uint64_t call_line, call_column;
	uint64_t sibling;       /* 0 when the DIE has no DW_AT_sibling */
	uint64_t end;           /* just past its attributes: its first child, or what follows */
};

/* The unit whose header is at hdr in .debug_info, or NULL if this reader declines it. */
struct sym_die_cu *sym_die_cu_open(const struct sym_dsecs *ds, uint64_t hdr);
void sym_die_cu_free(struct sym_die_cu *cu);
/* The DIE at off (in cu); false if it cannot be read (then ask libdw). */
bool sym_die_read(struct sym_die_cu *cu, uint64_t off, struct sym_die *d);
/*
 * The string attribute name of the DIE at off into *out (NULL when it has
 * none); with integrate, looked up as dwarf_attr_integrate() does (through
 * DW_AT_abstract_origin and DW_AT_specification).  False if declined.
 */
bool sym_die_string(struct sym_die_cu *cu, uint64_t off, unsigned name, bool integrate, const char **out);
/*
 * The attribute name of the DIE at off as a section offset or constant
 * into *v (*has false when the DIE has none).  False if declined.
 */
bool sym_die_offset(struct sym_die_cu *cu, uint64_t off, unsigned name, bool *has, uint64_t *v);
/* The offset of the unit's own DIE. */
uint64_t sym_die_first(const struct sym_die_cu *cu);
/*
 * d's pc ranges as libdw's dwarf_ranges() gives them, in order, each to
 * fn (empty ones too); false if this reader declines (an address by
 * index, no base address): then ask libdw.
 */
bool sym_die_ranges(struct sym_die_cu *cu, const struct sym_die *d, void (*fn)(void *arg, uint64_t lo, uint64_t hi),
		    void *arg);
/*
 * The DIE after d among its siblings (tag 0 at the end of the list);
 * false if it cannot be read.
 */
bool sym_die_next(struct sym_die_cu *cu, const struct sym_die *d, struct sym_die *next);
/* The same when d's children were read through already: children_end is the offset past them (0: not known). */
bool sym_die_next_after(struct sym_die_cu *cu, const struct sym_die *d, uint64_t children_end, struct sym_die *next);

#endif
