/*
 * sym_internal.h - what the files of the symbolize module share: objects
 * (vmlinux, .ko), their symbol tables, the two back ends.  Not a public
 * header: users include sym.h.
 */
#ifndef SYM_INTERNAL_H
#define SYM_INTERNAL_H

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <sys/types.h>

#include "sym.h"

/* One ELF symbol that may name code. */
struct sym_sym {
	uint64_t addr;      /* in libdwfl's address space (ET_REL: its layout of the sections) */
	uint64_t value;     /* st_value as in the file (ET_REL: offset in its section) */
	uint64_t esize;     /* st_size */
	uint64_t ksize;     /* kallsyms' size: distance to the next symbol, 0 until computed */
	const char *name;   /* in the ELF string table: valid while the object is open */
	uint32_t shndx;
	uint32_t next;      /* next symbol in the same name-hash bucket, +1; 0 ends */
	uint8_t type;       /* STT_FUNC, STT_NOTYPE, ... */
	bool exec;          /* in an executable section */
};

/* A section of an object, for section-relative addresses and symbol ends. */
struct sym_section {
	const char *name;
	uint64_t addr, size;    /* libdwfl's address (ET_REL: its layout) */
	bool exec;
};

struct sym_dwarf;     /* sym_dwarf.c: the libdw index of one object */
struct sym_a2l;       /* sym_addr2line.c: addr2line processes of one object */

/* One object file: the vmlinux or one module. */
struct sym_obj {
	struct symbolizer *s;
	char *name;             /* module name, '-' folded to '_'; NULL for vmlinux */
	char *path;
	Dwfl *dwfl;
	Dwfl_Module *mod;
	Elf *elf;
	bool is_rel;            /* ET_REL (a .ko) */
	bool compressed;        /* the file is not a plain ELF (xz, gzip ...) */
	char *image;            /* a .ko.zst decompressed by us, read in place by libelf */
	size_t image_size;
	const char *error;      /* interned: why the object cannot be used, or NULL */

	/* symbols (sym.c) */
	struct sym_sym *syms;
	uint32_t nsyms;
	uint32_t *heads;        /* name hash buckets: index + 1, 0 empty */
	uint32_t hash_mask;
	uint32_t *by_addr;      /* indices of the symbols sorted by (section, address) */
	uint32_t nby_addr;
	unsigned linear_scans;  /* ksize computed without by_addr so far */
	struct sym_section *secs;
	size_t nsecs;

	/* DWARF */
	int has_dwarf;          /* -1 not known yet, 0 no, 1 yes */
	struct sym_dwarf *dwarf;
	struct sym_a2l *a2l;
};

/* One query of a batch: where an address is, for the back end. */
struct sym_query {
	struct sym_obj *obj;
	uint64_t addr;            /* libdwfl address to look up (already - 1) */
	const char *section;      /* modules: section name of the address (interned) */
	uint64_t section_off;     /* modules: offset in that section (what addr2line -j takes) */
	const char *symbol;       /* interned ELF symbol name: the outermost level's name */
	struct sym_result *res;   /* the result to fill: status SYM_OK on entry */
};

struct symbolizer {
	struct ctx *ctx;
	enum sym_backend backend;
	struct sym_obj *vmlinux;
	struct sym_obj **mods;
	size_t nmods, modscap;
	char *modules_dir;
	bool modules_dir_given;
	/* module name -> path, found by walking modules_dir once */
	char **mod_names, **mod_paths;
	size_t nmodfiles, modfilescap;
	bool modules_indexed;
	char *release;
	bool release_read;
	/* interned strings */
	char **pool;
	size_t pool_mask, pool_count;
	/* result cache */
	struct sym_entry **cache;
	size_t cache_mask, cache_count;
};

/* sym.c */
const char *sym_intern(struct symbolizer *s, const char *str);
const char *sym_intern_n(struct symbolizer *s, const char *str, size_t n);
const char *sym_internf(struct symbolizer *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The ELF symbol containing a libdwfl address, or NULL. */
const struct sym_sym *sym_obj_symbol_at(struct sym_obj *o, uint64_t addr);
/* "vmlinux", or the module's file name, for notes. */
const char *sym_obj_label(const struct sym_obj *o);
/* Find the section of a libdwfl address; NULL if none. */
const struct sym_section *sym_obj_section_at(struct sym_obj *o, uint64_t addr);

/* A zstd file decompressed into memory (the caller frees it); NULL with *err. */
char *sym_zstd_image(const char *path, size_t *size, const char **err);

/* sym_dwarf.c: the libdw back end */
/* Open the object's DWARF (once): false when it has none. */
bool sym_dwarf_open(struct sym_obj *o);
void sym_dwarf_lookup(struct sym_query *q);
/* The DW_AT_comp_dir of the first unit, or NULL (interned). */
const char *sym_dwarf_first_comp_dir(struct sym_obj *o);
/* The DW_AT_comp_dir of the CU holding a libdwfl address, or NULL (interned). */
const char *sym_dwarf_comp_dir(struct sym_obj *o, uint64_t addr);
void sym_dwarf_close(struct sym_obj *o);
int sym_dwarf_struct_member(struct sym_obj *o, const char *struct_name, const char *path,
			    uint64_t *offset, uint64_t *size, uint64_t *stride);

/* sym_lines.c: one CU's line table, read from .debug_line directly */
struct sym_dsecs {
	Elf_Data *line, *line_str, *str;
};
struct sym_row {
	uint64_t addr;
	uint32_t line, col, file;
	bool end;               /* end of a sequence: addresses from here are not covered */
};
struct sym_ltab {
	struct sym_row *rows;   /* sequences sorted by address, rows in program order */
	size_t nrows;
	unsigned version;
	const char **dirs;      /* in the section data */
	size_t ndirs;
	const char **fnames;
	uint32_t *fdirs;
	size_t nfiles;
	const char **paths;     /* interned full names, made on demand */
};
bool sym_ltab_read(const struct sym_dsecs *ds, uint64_t offset, struct sym_ltab *t);
const struct sym_row *sym_ltab_find(const struct sym_ltab *t, uint64_t a);
const char *sym_ltab_file(struct symbolizer *s, struct sym_ltab *t, uint64_t idx, const char *comp_dir);
void sym_ltab_release(struct sym_ltab *t);

/* sym_addr2line.c: the binutils back end */
bool sym_a2l_has_dwarf(struct sym_obj *o);
void sym_a2l_lookup(struct sym_query *q, size_t n);
void sym_a2l_close(struct sym_obj *o);

#endif
