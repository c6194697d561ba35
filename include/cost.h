/* cost.h - what a patch does to an object: sizes, instructions, source lines. */
#ifndef COST_H
#define COST_H

#include "kt.h"

struct out;

/* One ELF object (.o, .ko, vmlinux; .ko.xz and .ko.zst decompressed). */
struct cost_rel {
	uint64_t off;          /* in its section */
	int64_t addend;
	uint32_t type;
	uint32_t sym;          /* index into cost_obj.allsyms */
};

struct cost_sec {
	const char *name;
	uint64_t addr, size, flags;
	uint32_t type;
	const unsigned char *data;   /* NULL for NOBITS */
	struct cost_rel *rel;        /* sorted by offset */
	size_t nrel;
};

struct cost_sym {
	const char *name;
	uint64_t value, size;
	uint32_t shndx;
	unsigned char type;    /* STT_* */
	char kind;             /* 't' code, 'r' read-only data, 'd' data, 'b' bss; 0: not sized */
};

enum cost_class { COST_TEXT, COST_DATA, COST_RODATA, COST_BSS, COST_NCLASS };

struct cost_obj {
	char *path;
	int fd;
	void *elf;             /* Elf * */
	void *image;           /* a decompressed .zst, or NULL */
	unsigned machine;      /* e_machine */
	int elfclass;
	bool rel;              /* ET_REL: section-relative addresses, relocations */
	bool has_symtab;       /* .symtab (else .dynsym or nothing) */
	bool has_dwarf;        /* .debug_line */
	const char *compiler;  /* "gcc" or "clang" from .comment, or NULL */
	struct cost_sec *secs;
	size_t nsecs;
	struct cost_sym *allsyms;    /* the whole symbol table */
	size_t nallsyms;
	size_t *byaddr;        /* sized symbols by (section, address), for lookups */
	size_t nbyaddr;
	size_t *near;          /* every named symbol (sized or not), the same order */
	size_t nnear;
	uint64_t class_total[COST_NCLASS];
};

/* Open and read an object: NULL with the error reported (KT_EXIT_SYMBOLS). */
struct cost_obj *cost_obj_open(struct ctx *ctx, const char *path);
void cost_obj_free(struct cost_obj *o);
/* The class of a section by its flags, or -1 when it is not loaded. */
int cost_sec_class(const struct cost_sec *s);
/* The sized symbol that covers addr, else the named symbol before it in its section, or NULL. */
const struct cost_sym *cost_sym_near(const struct cost_obj *o, uint32_t shndx, uint64_t addr);
/* The bytes of a sized symbol, or NULL (bss, out of range). */
const unsigned char *cost_sym_bytes(const struct cost_obj *o, const struct cost_sym *s);
/* The sized symbol that covers addr in section shndx (any section when linked), or NULL. */
const struct cost_sym *cost_sym_at(const struct cost_obj *o, uint32_t shndx, uint64_t addr);
/* "x86-64", "AArch64", ... */
const char *cost_machine_name(unsigned machine);
/* A relocation's target as text ("__tsan_read2", "foo+0x10", ".rodata.str1.1:\"fmt\""), into buf. */
void cost_rel_target(const struct cost_obj *o, const struct cost_rel *r, int64_t pc_adjust, char *buf, size_t n);

/* Names: the keys functions are matched by (pure). */
/* "foo.isra.3" -> "foo.isra", "foo.constprop.0.cold" -> "foo.constprop.cold", "bar.123" -> "bar" */
void cost_match_key(const char *name, char *out, size_t n);
/* "__UNIQUE_ID_file307" -> "__UNIQUE_ID_file": every run of digits dropped. */
void cost_rename_key(const char *name, char *out, size_t n);

/* Instructions. */
struct cost_counts {
	long insns, loads, stores, rmw, calls, branches, fences;
};

struct cost_insn {
	uint64_t addr;         /* in the symbol's section */
	char *text;            /* normalised */
};

struct cost_code {
	struct cost_counts n;
	struct cost_insn *insn;
	size_t ninsn;
	bool decoded;          /* false: no decoder for this machine */
};

struct cost_dis;
/* A decoder for the object's machine, or NULL when there is none. */
struct cost_dis *cost_dis_new(unsigned machine, int elfclass);
void cost_dis_free(struct cost_dis *d);
void cost_decode(struct cost_dis *d, const struct cost_obj *o, const struct cost_sym *s, struct cost_code *out);
void cost_code_release(struct cost_code *c);
/* Normalise the text of an instruction (pure): "mov 0x8(%rax), %rdx" -> "mov 0x8(%rax),%rdx", nops -> "nop". */
void cost_norm_text(const char *mnemonic, const char *ops, char *out, size_t n);

/* A diff of two instruction streams. */
struct cost_dline {
	char op;               /* '-' or '+' */
	size_t idx;            /* into the old or the new stream */
};
/* The edit script from a to b (LCS), in order; the caller frees *out. */
size_t cost_diff(char *const *a, size_t na, char *const *b, size_t nb, struct cost_dline **out);

/* Source lines from DWARF. */
struct cost_lines;
struct cost_lines *cost_lines_open(const struct cost_obj *o);
void cost_lines_close(struct cost_lines *l);
/* "drivers/virtio/virtio_ring.c:812" into buf; false when unknown. */
bool cost_lines_at(struct cost_lines *l, uint32_t shndx, uint64_t addr, char *buf, size_t n);

/* The comparison. */
enum cost_status {
	COST_UNCHANGED, COST_GROWN, COST_SHRUNK, COST_CHANGED, COST_ADDED, COST_REMOVED, COST_RENAMED,
};

struct cost_change {
	char op;
	char *text;
	char *src;             /* file:line, or NULL */
};

/* Facts about one function, worded by the renderer. */
struct cost_fold {
	char *op;              /* "cmp" */
	long n;
};
struct cost_callswap {
	char *from, *to;
};

struct cost_func {
	const struct cost_sym *old, *new;
	enum cost_status status;
	long long delta;
	bool code;             /* a function: instructions analysed */
	bool shown;            /* instructions shown (changed, or --function) */
	struct cost_code oc, nc;
	struct cost_change *chg;
	size_t nchg;
	struct cost_fold *folds;
	size_t nfolds;
	struct cost_callswap *swaps;
	size_t nswaps;
};

struct cost_opts {
	const char **func_re;  /* --function */
	int nfunc_re;
};

struct cost_result {
	const struct cost_obj *old, *new;
	struct cost_func *f;   /* every paired or unpaired symbol, sorted by delta */
	size_t nf;
	long long net, old_total, new_total;
	long n_added, n_removed, n_grown, n_shrunk, n_changed, n_unchanged, n_renamed, n_matched;
	bool unrelated;
	bool no_decoder;
	bool sections_only;    /* a side has no symbols: net and totals from the sections */
	const char *missing[4];      /* what the inputs lack ("symbol table of NEW", ...) */
	int nmissing;
};

/* Compare: 0, or -1 reported (a bad --function). */
int cost_compare(struct ctx *ctx, const struct cost_obj *old, const struct cost_obj *new,
		 const struct cost_opts *opts, struct cost_result *res);
void cost_result_release(struct cost_result *res);
void cost_render(struct out *o, const struct cost_result *res);

#endif
