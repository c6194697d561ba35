/*
 * sym_lines.h - one compilation unit's DWARF line table (versions 2 to 5),
 * read from .debug_line directly: rows of (address, line, column, file)
 * and the file names, joined only when asked for.
 */
#ifndef SYM_LINES_H
#define SYM_LINES_H

#include <gelf.h>
#include <stdbool.h>
#include <stdint.h>

struct strpool;
struct sym_ltab;

/* The sections a line table refers to, as libdw sees them (decompressed, relocated). */
struct sym_dsecs {
	Elf_Data *line, *line_str, *str;
	Elf_Data *info, *abbrev;        /* for sym_die.c */
	Elf_Data *rnglists, *ranges;
};

struct sym_row {                /* 12 bytes: the rows of every unit touched are kept */
	uint32_t off;           /* the address less the table's lowest (a table spanning 4 GiB is declined) */
	uint32_t line;
	uint16_t file;          /* (a table of more files, or a column past 15 bits, is declined) */
	uint16_t col : 15;
	uint16_t end : 1;       /* end of a sequence: addresses from here are not covered */
};

/* The line table at offset in .debug_line, or NULL when this reader declines it (then ask libdw). */
struct sym_ltab *sym_ltab_read(const struct sym_dsecs *ds, uint64_t offset);
void sym_ltab_free(struct sym_ltab *t);
/* The row that covers address a, or NULL. */
const struct sym_row *sym_ltab_find(const struct sym_ltab *t, uint64_t a);
/* File idx's name as addr2line prints it (interned into pool), or NULL. */
const char *sym_ltab_file(struct strpool *pool, struct sym_ltab *t, uint64_t idx, const char *comp_dir);

#endif
