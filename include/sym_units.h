/*
 * sym_units.h - the compilation units of one object's DWARF: which unit
 * holds an address (.debug_aranges, read here, or the units' own ranges),
 * each unit's DIE, compilation directory and line table (sym_lines.c's
 * reader, libdw's when that declines) and its reader of DIEs (sym_die.c).
 * Units are opened on first use; libdw's DIE of a unit only when libdw
 * must read it (its dwarf_offdie() reads every unit header before).
 * Both back ends stand on it: the libdw one for lines, the addr2line one
 * for compilation directories.
 */
#ifndef SYM_UNITS_H
#define SYM_UNITS_H

#include <elfutils/libdw.h>
#include <stdbool.h>
#include <stdint.h>

struct elfobj;
struct strpool;
struct sym_units;
struct sym_unit;
struct sym_dsecs;
struct sym_die_cu;

/* A row of a line table, as addr2line prints it. */
struct sym_line {
	const char *file;   /* interned; NULL if the table names none */
	int line, column;
};

/*
 * The units of o's DWARF, or NULL if it has none.  free_data frees what a
 * user hung on a unit (sym_unit_data), at close; may be NULL.
 */
struct sym_units *sym_units_open(struct elfobj *o, struct strpool *pool, void (*free_data)(void *));
void sym_units_close(struct sym_units *u);
Dwarf *sym_units_dwarf(const struct sym_units *u);
/* libdwfl's address minus the bias is the DWARF address. */
uint64_t sym_units_bias(const struct sym_units *u);

/* The unit holding a DWARF address, or NULL. */
struct sym_unit *sym_units_at(struct sym_units *u, uint64_t a);
/* The unit whose DIE is at off, or NULL. */
struct sym_unit *sym_units_unit(struct sym_units *u, Dwarf_Off off);
/* The first unit (its comp_dir is the tree the object was built in), or NULL. */
struct sym_unit *sym_units_first(struct sym_units *u);

/* The debug sections as libdw sees them (sym_lines.h), for readers of our own. */
const struct sym_dsecs *sym_units_sections(struct sym_units *u);

/* libdw's DIE of the unit (made on first use: ask only when libdw must), or NULL. */
Dwarf_Die *sym_unit_die(struct sym_unit *cu);
/* The offset of the unit's DIE in .debug_info. */
uint64_t sym_unit_offset(const struct sym_unit *cu);
/* sym_die.c's reader of the unit (sym_die.h), or NULL when it declines the unit: ask libdw. */
struct sym_die_cu *sym_unit_reader(struct sym_unit *cu);
/* DW_AT_comp_dir (interned), or NULL. */
const char *sym_unit_comp_dir(const struct sym_unit *cu);
/* A slot for the user's data about the unit (NULL at first). */
void **sym_unit_data(struct sym_unit *cu);
/* The line table's row covering a: false if none does. */
bool sym_unit_line_at(struct sym_units *u, struct sym_unit *cu, uint64_t a, struct sym_line *l);
/* The line table's file idx (as DW_AT_call_file names it), or NULL. */
const char *sym_unit_file(struct sym_units *u, struct sym_unit *cu, uint64_t idx);

#endif
