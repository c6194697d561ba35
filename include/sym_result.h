/*
 * sym_result.h - what symbolizing one frame yields: its status, the
 * symbol chosen and the inline chain.  Shared by the symbolizer's front
 * (sym.h) and its back ends (sym_backend.h).
 */
#ifndef SYM_RESULT_H
#define SYM_RESULT_H

#include <stddef.h>
#include <stdint.h>

/* One level of an inline chain. */
struct sym_loc {
	char *func;       /* DWARF name of the (inlined) function; ELF symbol for the outermost */
	char *file;       /* source file as DWARF names it (often absolute) */
	char *comp_dir;   /* the compilation unit's DW_AT_comp_dir, or NULL */
	int line, column; /* 0 when unknown */
};

enum sym_status {
	SYM_OK,            /* chain is filled */
	SYM_NO_SYMBOL,     /* no function of that name in the object's symbol table */
	SYM_BAD_OFFSET,    /* the offset lies beyond the symbol's size */
	SYM_SIZE_MISMATCH, /* symbols of that name exist, none has the printed size */
	SYM_NO_MODULE,     /* the module's .ko was not found under the modules directory */
	SYM_NO_DEBUGINFO,  /* no DWARF: chain has one level with the function name only */
	SYM_NO_LINE,       /* DWARF has no line for the address */
	SYM_ERROR,         /* the object could not be read */
};

struct sym_result {
	enum sym_status status;
	const char *symbol;      /* the ELF symbol that was chosen ("foo.isra.0") */
	uint64_t addr;           /* the address looked up (return address - 1, or the address itself at offset 0) */
	struct sym_loc *chain;   /* innermost first, as addr2line -f -i prints; the last one is the real function */
	size_t nchain;
	const char *note;        /* a sentence for people when status != SYM_OK */
	const char *section;     /* modules: the section addr is relative to (".text"), as
				    addr2line -j takes it; NULL for vmlinux (addr is absolute) */
};

#endif
