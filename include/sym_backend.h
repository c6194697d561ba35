/*
 * sym_backend.h - what the symbolizer's front (sym.c) asks of a back end:
 * one table of operations per back end, chosen once by sym_open().  The
 * front has found the symbol and the address; the back end turns the
 * address into an inline chain with files and lines.
 */
#ifndef SYM_BACKEND_H
#define SYM_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sym_result.h"

struct elfobj;
struct strpool;

/* One query of a batch: where an address is. */
struct sym_query {
	struct elfobj *obj;
	void *state;              /* the back end's state for obj (from open) */
	uint64_t addr;            /* libdwfl address to look up (already - 1) */
	const char *section;      /* section name of the address (interned) */
	uint64_t section_off;     /* the address in the file: in a .ko, the offset in that section */
	const char *symbol;       /* the ELF symbol's name (its string table's): the outermost level's name */
	struct sym_result *res;   /* to fill (chain, status, note): status SYM_OK on entry */
	void **hint;              /* a slot of the ELF symbol's (NULL at first) the back end may keep what it
				     found for it in, until close; NULL: none */
};

struct sym_backend_ops {
	const char *name;
	/* NULL if the back end can run here, else why not (a sentence). */
	const char *(*unusable)(void);
	/* The back end's state for one object (cheap: the work is done on first use). */
	void *(*open)(struct elfobj *o, struct strpool *pool);
	void (*close)(void *state);
	/* Does the object carry DWARF this back end reads? */
	bool (*has_dwarf)(void *state);
	/* Fill qs[0..n): objects with DWARF; the chain may be left empty (name only). */
	void (*lookup)(struct sym_query *qs, size_t n);
	/* The DW_AT_comp_dir of the object's first unit (interned), or NULL. */
	const char *(*source_root)(void *state);
};

extern const struct sym_backend_ops sym_libdw_backend;       /* sym_dwarf.c */
extern const struct sym_backend_ops sym_addr2line_backend;   /* sym_addr2line.c */

/* What sym_dwarf_crosscheck() went over. */
struct sym_check_counts {
	size_t units, own;      /* units; of them, read by sym_die.c (not declined) */
	size_t functions, nodes;
};
/*
 * For tests: every unit of o indexed twice, by sym_die.c's reader and by
 * libdw's walk (every function's pc ranges, its inlined subroutines, their
 * nesting and ranges); NULL if both agree, else the first difference (a
 * sentence to free).
 */
char *sym_dwarf_crosscheck(struct elfobj *o, struct strpool *pool, struct sym_check_counts *n);

#endif
