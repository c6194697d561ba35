/* sym.h - symbolize: frames and addresses to file, line, column and inline chain. */
#ifndef SYM_H
#define SYM_H

#include "report.h"
#include "sym_result.h"

enum sym_backend {
	SYM_LIBDW,       /* our own index over libdw/libdwfl (default) */
	SYM_ADDR2LINE,   /* one long-lived binutils "addr2line -f -i" per object, over a pipe */
};

struct sym_options {
	const char *vmlinux;
	const char *modules_dir;   /* NULL: <dir of vmlinux>/lib/modules/<release> when it exists */
	enum sym_backend backend;
	bool has_kaslr_offset;     /* the running kernel was loaded kaslr_offset above the vmlinux's addresses */
	uint64_t kaslr_offset;
};

struct symbolizer;
struct layout;

/* Open the vmlinux (and find modules lazily).  NULL, reported through ctx, if it cannot be used. */
struct symbolizer *sym_open(struct ctx *ctx, const struct sym_options *opt);
void sym_close(struct symbolizer *s);

/*
 * Resolve func+0xOFF/0xSIZE [module].  module NULL means vmlinux.  When
 * has_size is false the first symbol of that name is used.  Results are
 * cached by (module, func, off, size) and owned by the symbolizer: one
 * lasts until the next call of sym_resolve*() at least (the cache keeps
 * the results met lately, a bounded number), its strings until sym_close().
 */
const struct sym_result *sym_resolve(struct symbolizer *s, const char *module, const char *func,
				     uint64_t off, uint64_t size, bool has_size);
/* Resolve a raw kernel text address (vmlinux only), looked up as is. */
const struct sym_result *sym_resolve_addr(struct symbolizer *s, uint64_t addr);

/* One frame to resolve in a batch; func NULL means the raw vmlinux address off. */
struct sym_request {
	const char *module, *func;
	uint64_t off, size;
	bool has_size;
	bool exact;      /* not a return address (an oops' "RIP:"): look up func+off itself */
};
/*
 * The request for a frame: func+off/size [module], or a raw stack address
 * (a return address: the byte before it is looked up).  exact as above.
 */
void sym_request_of_frame(const struct frame *f, bool exact, struct sym_request *rq);
/*
 * Resolve n frames at once (the addr2line back end sends them in one
 * round trip per object); out[i] is what sym_resolve() would return, and
 * lasts as long.
 */
void sym_resolve_batch(struct symbolizer *s, const struct sym_request *req, size_t n,
		       const struct sym_result **out);

/* A location's file relative to its compilation directory when under it ("drivers/x.c"). */
const char *sym_loc_short_file(const struct sym_loc *l);
/* "ok", "no-symbol", ... for JSON and tests. */
const char *sym_status_name(enum sym_status st);
/* Does the status say that the object does not match the log (wrong vmlinux or .ko)? */
bool sym_status_mismatch(enum sym_status st);
/* The modules directory in use (given, or found beside the vmlinux), or NULL. */
const char *sym_modules_dir(struct symbolizer *s);
/*
 * The vmlinux's compilation directory (DW_AT_comp_dir of its first unit:
 * the source tree it was built in), or NULL.  Annotated frames name files
 * relative to it.
 */
const char *sym_source_root(struct symbolizer *s);

/* The release string of the vmlinux (from linux_banner / init_uts_ns), or NULL. */
const char *sym_release(struct symbolizer *s);
/* Does the vmlinux carry DWARF? */
bool sym_has_dwarf(struct symbolizer *s);
/*
 * What decides how frames resolve besides the vmlinux itself, as text for
 * a fingerprint: the back end, the KASLR offset, the modules directory and
 * each module file's name, size and modification time.
 */
void sym_fingerprint(struct symbolizer *s, struct sbuf *out);

/*
 * The struct layouts of vmlinux (module NULL) or of the named module, for
 * layout_member() (layout.h); NULL if the object is not there or has no
 * DWARF.
 */
struct layout *sym_layout(struct symbolizer *s, const char *module);

/*
 * Problems met with modules since the last call, one per module ever: a
 * module not found (no modules directory, or no .ko of that name in it) or
 * one that cannot be read.  fn gets each (module name, a sentence) in the
 * order met.  The symbolizer prints nothing; commands say them.
 */
void sym_drain_problems(struct symbolizer *s, void (*fn)(const char *module, const char *problem, void *data),
			void *data);

/* Call fn for every function symbol of vmlinux and of every module found; stops when fn returns false. */
void sym_foreach_function(struct symbolizer *s, bool (*fn)(const char *name, const char *module, void *data),
			  void *data);

/*
 * The kernel variable the address of access acc of r falls in, into out
 * (zeroed first), as KASAN's "The buggy address belongs to the variable"
 * names it: symbol, offset, size, section and object.
 *  - vmlinux static data (.data, .bss, .rodata, .data..ro_after_init, a
 *    per-cpu section at its address in the image): the address less the
 *    KASLR slide, which is the one given (sym_options), else the one every
 *    "[<addr>] func+off" text frame of the report agrees on, else none (the
 *    report shows no slide).  When the frames disagree, or the address is in
 *    the kernel image's mapping but not in the vmlinux, the slide is not
 *    known and nothing is named (basis VARB_SLIDE_UNKNOWN).
 *  - module data and bss: a module's load address is not in a log, so only
 *    when the module's own code says which variable it is: the top frame's
 *    call to a KCSAN entry passes a relocated constant (sym_data.h).  Else,
 *    for an address in the module area under a module's frames, basis
 *    VARB_MODULE_UNKNOWN, unnamed.
 * symbolizer is a struct symbolizer (the classifier's variable_fn).
 */
void sym_variable_of(void *symbolizer, const struct report *r, int acc, struct cls_variable *out);

/*
 * Symbolize every frame of a report in place: frames with an offset get
 * file/line/column (symbolized = true), and the inline levels of their
 * address are inserted before them as frames with inlined = true (innermost
 * first), exactly the order of addr2line -f -i and of syzbot's [inline]
 * frames.  A frame that cannot be resolved keeps what it had and gets a
 * sym_note saying why ("vmlinux does not match: no symbol foo").  Frames that
 * came symbolized in the log (syzbot, decode_stacktrace) are replaced only
 * when the DWARF lookup succeeds.
 */
void sym_annotate_report(struct symbolizer *s, struct report *r);

#endif
