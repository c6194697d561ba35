/*
 * sym_data.h - the symbolizer's data side: an object's data symbols by
 * address (built on first use, beside elfobj.c's function symbols), and
 * the operand of an instrumentation call read from a module's code and
 * relocations.  sym.c uses them to name the variable behind an address.
 */
#ifndef SYM_DATA_H
#define SYM_DATA_H

#include <stdbool.h>
#include <stdint.h>

struct elfobj;
struct elf_sym;
struct sym_data;

/*
 * The data symbols of o (not in executable sections), by address; o must
 * stay open.  The first lookups scan the symbols, later ones search them
 * sorted by (section, value).
 */
struct sym_data *sym_data_build(struct elfobj *o);
void sym_data_free(struct sym_data *d);
/*
 * The data object of section shndx that holds value (st_value: an address
 * in a vmlinux, an offset in its section in a .ko): the sized object that
 * contains it, an unsized object exactly at it, or NULL.
 */
const struct elf_sym *sym_data_at(struct sym_data *d, uint32_t shndx, uint64_t value);
/* The loaded, non-executable section holding a vmlinux address, or -1. */
long sym_data_section_of(const struct elfobj *o, uint64_t addr);
/* The lowest and the end of the loaded sections' addresses of a vmlinux (a zero-based per-cpu section aside). */
bool sym_data_image_range(const struct elfobj *o, uint64_t *lo, uint64_t *hi);

/*
 * The address an instrumentation call passes, read from a module's code: fn
 * is a function of ET_REL object o, ret_off the return address's offset in
 * it (func+0xOFF), size the access's size (0: not known).  True when the
 * instruction before ret_off is a call of a KCSAN entry (__tsan_readN ... of
 * that size, __tsan_*_range, __kcsan_check_access), and the last instruction
 * before it that sets %rdi, in straight-line code no branch enters, loads a
 * relocated constant ("mov $sym+A,%rdi", "lea sym+A(%rip),%rdi") that names
 * a defined symbol: then *shndx and *value are that section and the offset
 * in it.  False whenever any of it cannot be known.
 */
bool sym_data_call_operand(struct elfobj *o, const struct elf_sym *fn, uint64_t ret_off, uint64_t size,
			   uint32_t *shndx, uint64_t *value);

#endif
