/*
 * elfobj.h - one object file of the kernel (the vmlinux or a module):
 * opened through libdwfl (a compressed one, .xz, .gz, .zst or .bz2,
 * decompressed here first, no larger than its ELF header declares), its
 * sections, its symbols by name and by address, the sizes kallsyms prints,
 * and its DWARF handle.  Objects for another machine than x86-64, and
 * files cut short, are refused with an error that says so.  Strings it
 * hands out live in the pool it was opened with.
 */
#ifndef ELFOBJ_H
#define ELFOBJ_H

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strpool;
struct elfobj;

/* A section, for section-relative addresses and symbol ends. */
struct elf_section {
	const char *name;       /* interned */
	uint64_t addr, size;    /* libdwfl's address (ET_REL: its layout); 0 for sections not loaded */
	uint64_t align;         /* sh_addralign */
	bool exec;
	bool write;             /* SHF_WRITE */
};

/* One relocation entry of an ET_REL object, with the symbol it points at. */
struct elf_rel {
	uint64_t offset;        /* r_offset: in the section it applies to */
	uint32_t type;          /* R_X86_64_32S, ... */
	int64_t addend;
	uint32_t target_shndx;  /* the symbol's section; SHN_UNDEF for an undefined symbol */
	uint64_t target_value;  /* the symbol's st_value (ET_REL: an offset in its section) */
	const char *name;       /* the symbol's name ("" for a section symbol): valid while the object is open */
};

/* One ELF symbol that may name code or data. */
struct elf_sym {
	uint64_t addr;      /* in libdwfl's address space (ET_REL: its layout of the sections) */
	uint64_t value;     /* st_value as in the file (ET_REL: offset in its section) */
	uint64_t esize;     /* st_size */
	const char *name;   /* in the ELF string table: valid while the object is open */
	uint32_t shndx;
	uint8_t type;       /* STT_FUNC, STT_NOTYPE, ... */
	bool exec;          /* in an executable section */
};

/*
 * Open one object; name is the module name ('-' folded to '_') or NULL for
 * the vmlinux.  Never NULL: an object that cannot be used carries an error.
 */
struct elfobj *elfobj_open(struct strpool *pool, const char *name, const char *path);
void elfobj_close(struct elfobj *o);

/* Why the object cannot be used (interned), or NULL. */
const char *elfobj_error(const struct elfobj *o);
const char *elfobj_name(const struct elfobj *o);
const char *elfobj_path(const struct elfobj *o);
/* "vmlinux", or the module's file name, for notes. */
const char *elfobj_label(const struct elfobj *o);
bool elfobj_is_rel(const struct elfobj *o);          /* ET_REL (a .ko) */
bool elfobj_is_compressed(const struct elfobj *o);   /* the file is not a plain ELF (elfobj_image) */
Dwfl_Module *elfobj_module(const struct elfobj *o);
/* The object's DWARF when it has at least one unit (looked at once), else NULL. */
Dwarf *elfobj_dwarf(struct elfobj *o, Dwarf_Addr *bias);
/* Does the object have a .debug_info (or .zdebug_info) section? */
bool elfobj_has_debug_info(const struct elfobj *o);

/* The size in the file of the section of that name (0 for SHT_NOBITS), or -1 if there is none. */
int64_t elfobj_section_size(const struct elfobj *o, const char *name);
size_t elfobj_nsections(const struct elfobj *o);
const struct elf_section *elfobj_section(const struct elfobj *o, size_t idx);
/* The executable section holding a libdwfl address, or NULL. */
const struct elf_section *elfobj_section_at(const struct elfobj *o, uint64_t addr);

uint32_t elfobj_nsyms(const struct elfobj *o);
struct elf_sym *elfobj_sym(struct elfobj *o, uint32_t idx);
/* The index of a symbol of o (elfobj_sym(o, i) is y). */
uint32_t elfobj_sym_index(const struct elfobj *o, const struct elf_sym *y);
/* The symbols of a name, in table order: the first, then each next one (NULL at the end). */
struct elf_sym *elfobj_sym_named(struct elfobj *o, const char *name);
struct elf_sym *elfobj_sym_next_named(struct elfobj *o, struct elf_sym *y);
/*
 * The size kallsyms prints of y into *ksize: the distance to the next
 * symbol of its section (or to the section's end).  Returns whether one
 * follows.
 */
bool elfobj_ksize(struct elfobj *o, const struct elf_sym *y, uint64_t *ksize);
/* The symbol containing a libdwfl address (a function among aliases), or NULL. */
const struct elf_sym *elfobj_symbol_at(struct elfobj *o, uint64_t addr);
/* A symbol's bytes in its section's data (*avail of them), or NULL. */
const char *elfobj_symbol_data(struct elfobj *o, const struct elf_sym *y, size_t *avail);

/*
 * The RELA relocations of an ET_REL object that apply to section shndx at
 * offsets [lo, hi), in offset order, into *out (the caller frees it); their
 * count.  They are read from the file as written (opened again on first
 * use), since libdwfl applies them to its own copy and drops them.
 */
size_t elfobj_relocs(struct elfobj *o, uint32_t shndx, uint64_t lo, uint64_t hi, struct elf_rel **out);

/* The most that may follow the ELF inside a compressed file (a module's signature). */
#define ELFOBJ_IMAGE_TRAILER_MAX (64U << 10)
/*
 * A compressed object (gzip, xz, zstd, bzip2) decompressed into memory: the
 * ELF it holds, *size bytes (the caller frees it).  The decompression stops
 * as soon as the data is not an ELF, or runs past the size that the ELF's
 * header and section table declare (and ELFOBJ_IMAGE_TRAILER_MAX after it),
 * or past $KCSAN_TRIAGE_MAX_DECOMPRESSED.  NULL with why (whylen bytes, no
 * file name in it) saying so, "not compressed" for a file that is not.
 */
char *elfobj_image(const char *path, size_t *size, char *why, size_t whylen);

#endif
