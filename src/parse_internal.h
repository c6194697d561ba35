/*
 * parse_internal.h - the parser's parts, each using only the ones below it:
 *
 *   parse.c        the state machine: one handler per kind of logical line
 *   parse_join.c   the joiner: physical lines in, logical lines out
 *                  (every kind of line a mail client may have wrapped)
 *   parse_line.c   the line grammar: what kind a line is, and its fields
 *   parse_frame.c  the frame grammar: one function per form of stack entry,
 *                  and the numbers read from input (range-checked)
 *
 * Nothing here is process-global and mutable: the compiled regexes are
 * built once, then only read; the match data belongs to a struct pline_ctx
 * that each parser owns.
 */
#ifndef PARSE_INTERNAL_H
#define PARSE_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "parse.h"

/* ---------------------------------------------------------------------- */
/* characters (shared by the grammars) */

/* Character classes, one table lookup each (parse_frame.c). */
enum { PFRAME_C_IDSTART = 1, PFRAME_C_IDENT = 2, PFRAME_C_HEX = 4 };
extern const unsigned char pframe_ctype[256];

/* [A-Za-z_$.]: a function name's first character */
static inline bool pframe_is_ident_start(char c)
{
	return pframe_ctype[(unsigned char)c] & PFRAME_C_IDSTART;
}

/* [A-Za-z0-9_$.] */
static inline bool pframe_is_ident(char c)
{
	return pframe_ctype[(unsigned char)c] & PFRAME_C_IDENT;
}

static inline bool pframe_is_hexc(char c)
{
	return pframe_ctype[(unsigned char)c] & PFRAME_C_HEX;
}

static inline const char *pframe_skip_sp(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* ---------------------------------------------------------------------- */
/* parse_frame.c: frames and numbers */

/* The hex number after a "0x" prefix of s[0..n), as strtoull reads it; false if it does not fit. */
bool pframe_hex_token(const char *s, size_t n, uint64_t *v);
/* Decimal digits s[0..n): false if there are none, a non-digit, or the value exceeds max. */
bool pframe_dec(const char *s, size_t n, uint64_t max, uint64_t *v);
/* A source line number from the digits s[0..n): 0 (unknown) when out of range. */
int pframe_line_number(const char *s, size_t n);
/* How much of a frame's line is the frame. */
struct pframe_text {
	size_t used;            /* the frame's own text (without a comment after it) */
	size_t printed;         /* what the kernel printed of it: without the location a symbolizer
				   (syzbot, decode_stacktrace, kcsan-triage symbolize) added */
};

/* parse_frame_text(), and the lengths of its text (t may be NULL). */
bool pframe_parse(const char *s, size_t len, bool allow_bare, struct frame *f, struct pframe_text *t);
/* The start of a decode_stacktrace frame whose "(...)" continues on the next line. */
bool pframe_frame_cut(const char *s, size_t n);

/* ---------------------------------------------------------------------- */
/* parse_line.c: the line grammar */

enum lkind {
	L_OTHER, L_BLANK, L_BUG, L_BUG_PART, L_SEP, L_ACCESS, L_ACCESS_PART, L_VALUE, L_VALUE_PART, L_BITS,
	L_REPORTED, L_CPU, L_CPU_PART, L_HW, L_LOCKINFO, L_BAR, L_REORD, L_MARKER, L_ELISION,
	L_SYMINFO,
	/* made by the joiner, never by pline_classify() */
	L_DROP,         /* a wrapped line given up: its start was noise */
	L_BUG_MORE,     /* the BUG line continued on the next line */
	L_KINDS
};

/* The lines whose prefix may wait for a continuation (pline_prefix()). */
enum pline_form { PLINE_ACCESS, PLINE_CPU, PLINE_VALUE };

struct pline_grammar;

/* One matcher: the shared grammar and match data of its own. */
struct pline_ctx {
	const struct pline_grammar *g;
	pcre2_match_data *md;
	struct sbuf scratch;
};

void pline_init(struct pline_ctx *c);
void pline_release(struct pline_ctx *c);
/* Free the shared grammar (no pline_ctx may be alive; the next pline_init() builds it again). */
void pline_grammar_free(void);

/*
 * What a normalized line is.  want_syminfo: tell faddr2line's "func at
 * file:line" lines (only needed while a report is open) from L_OTHER.
 */
enum lkind pline_classify(struct pline_ctx *c, const char *s, size_t n, bool want_syminfo);
/* "BUG:" or "BUG: KCSAN" alone: a BUG line wrapped right after them. */
bool pline_bug_cut(const char *s, size_t n);
/* Is s a whole line of its form (access, CPU line with its release, value line)? */
bool pline_complete(struct pline_ctx *c, enum pline_form form, const char *s, size_t n);
/* Is s the start of a line of its form, cut at a blank?  (PCRE2 partial matching) */
bool pline_prefix(struct pline_ctx *c, enum pline_form form, const char *s, size_t n);

/* Fields: each is false when s is not such a line. */
bool pline_access(struct pline_ctx *c, const char *s, size_t n, struct access *a);
/* The CPU line: kernel release, reporting cpu, pid and comm (left alone when absent). */
void pline_cpu(struct pline_ctx *c, const char *s, size_t n, struct report *r);
bool pline_value(struct pline_ctx *c, const char *s, size_t n, char **old, char **new_);
bool pline_bits(struct pline_ctx *c, const char *s, size_t n, char **changed, char **mask);
/* A BUG line (parse_bug_line()'s answer, and whether another console line was merged into it). */
struct pline_bug {
	char *title;            /* the caller frees it; NULL: none (yet) */
	enum bug_type bt;
	int nfuncs;
	bool inline_only;
	bool merged;            /* a printk time inside: no title, the report is cut */
};

bool pline_bug(const char *s, size_t len, struct pline_bug *b);
/* faddr2line: "[(inlined by) ]func at file:line" */
bool pline_syminfo(struct pline_ctx *c, const char *s, size_t n, char **func, char **file, int *line);

/* ---------------------------------------------------------------------- */
/* parse_join.c: the joiner */

enum pjoin_pend { PJOIN_NONE, PJOIN_ACCESS, PJOIN_CPU, PJOIN_VALUE, PJOIN_FRAME, PJOIN_BUG };

/* A logical line: a physical one, or several joined. */
struct pjoin_line {
	enum lkind kind;
	const char *s;          /* the text to parse */
	size_t n;
	const struct nline *l;  /* where it was (lineno, depth, time, orig) */
	bool absorbed;          /* L_BUG_MORE: l is the continuation, part of the report */
};

struct pjoin {
	/* a line held back until its continuation completes it */
	enum pjoin_pend pk;
	struct sbuf pend;
	int pend_lines;
	int pend_depth;
	uint64_t pend_lineno, pend_offset;
	char *pend_ts;
	struct sbuf pend_raw;
	struct nline out;       /* the joined line handed out */
	/* the BUG line of the open report, which may continue on the next line */
	bool bug_open;
	bool bug_titled;
	struct sbuf bug_text;
};

#define PJOIN_MAX_OUT 2

void pjoin_init(struct pjoin *j);
void pjoin_release(struct pjoin *j);
/* Hold the line l (text s) back: its continuation may follow. */
void pjoin_hold(struct pjoin *j, enum pjoin_pend k, const struct nline *l, const char *s, size_t n);
/* A BUG line (titled or not) opened or retitled the report: the next line may continue it. */
void pjoin_bug_open(struct pjoin *j, const char *s, size_t n, bool titled);
/* The report closed or restarted: no line continues its BUG line. */
void pjoin_bug_close(struct pjoin *j);
/* The next physical line (of kind k): the logical lines it completes, in order. */
int pjoin_feed(struct pjoin *j, struct pline_ctx *c, const struct nline *l, enum lkind k,
	       struct pjoin_line out[PJOIN_MAX_OUT]);
/*
 * A decode_stacktrace frame wrapped before its "(": the frame of a name
 * alone (its line's text) and the next line "(file.c:12) module".  The
 * whole frame into f (its text in joined, *t of it); false if s does
 * not continue it.
 */
bool pjoin_frame_tail(const char *name, size_t nlen, const char *s, size_t n, struct sbuf *joined, struct frame *f,
		      struct pframe_text *t);
/* End of input: what is still held. */
int pjoin_finish(struct pjoin *j, struct pjoin_line out[PJOIN_MAX_OUT]);
/* True while a line is held back. */
bool pjoin_busy(const struct pjoin *j);

#endif
