/*
 * parse.c - the report state machine: logical lines (parse_join.c) of known
 * kinds (parse_line.c) in, reports out; one handler per kind of line.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "mailmeta.h"
#include "parse_internal.h"

/*
 * The lines KCSAN prints (kernel/kcsan/report.c, every version since the
 * 2019 prototype):
 *
 *   ==================================================================
 *   BUG: KCSAN: data-race in A+0x1/0x2 / B+0x3/0x4     (or "assert: race",
 *                               "racing read in F", "data-race in A and B")
 *   <blank>
 *   [race at unknown origin, with ]read (marked) to 0x... of 8 bytes by task 1 on cpu 0:
 *    frames
 *     |
 *     +-> reordered to: F+0x1/0x2
 *   <blank> [verbose: lock list, irq event stamp]
 *   second access and its stack
 *   <blank>
 *   value changed: 0x.. -> 0x..
 *    bits changed: 0x.. with mask 0x..
 *   <blank>
 *   Reported by Kernel Concurrency Sanitizer on:
 *   CPU: 1 PID: 2 Comm: x Not tainted 6.1.0 #1
 *   Hardware name: ...
 *   ==================================================================
 */

#define NOISE_LIMIT 8        /* unrecognised lines in a row that close a report */
#define LOCKS_LIMIT 160      /* lines of verbose lock information */
#define PARK_LIMIT 40        /* lines of prose or code that may interrupt a quoted report */

enum pstate { ST_IDLE, ST_HEAD, ST_STACK, ST_POST, ST_LOCKS, ST_FOOTER, ST_TAIL };

/*
 * A report that noise closed before its trailer: a reply may quote a few
 * of its lines, explain them with prose and code, then quote the rest.
 * It waits here until a line that can only continue it (its next access,
 * a frame, the value line, its trailer) resumes it, or until another
 * report begins or PARK_LIMIT lines have passed.
 */
struct parked {
	struct report *r;
	enum pstate st;
	int depth;
	int max_acc;
	int lines;              /* lines of interjection so far */
	bool footer;
	bool stack_noise;
	bool bug_inline;
};

struct parser {
	char *source;
	parse_emit_fn emit;
	void *data;
	struct pline_ctx lc;       /* the line grammar's match state */
	struct pjoin join;      /* wrapped lines */
	enum pstate st;
	struct report *r;
	int depth;              /* the quoting level of the report */
	int noise;
	int locks;
	int max_acc;
	bool adjacent;          /* the line before was the access line or a frame */
	bool stack_noise;       /* noise interrupted the current stack */
	bool footer;            /* "Reported by" or the CPU line was seen */
	bool reord_wait;        /* "+-> reordered to:" wrapped: its frame is next */
	bool bug_inline;        /* the BUG line named one function, inlined */
	bool bare_last;         /* this line was a frame of a name alone ... */
	bool prev_bare;         /* ... the line before was */
	size_t bare_norm;       /* where that frame's line begins in the norm */
	struct parked park;     /* a report interrupted by an interjection */
	struct sbuf scratch;
	struct mailmeta meta;   /* the mail's and syzbot's metadata so far */
	int64_t now;            /* for a syslog time's year */
};

typedef void (*line_fn)(struct parser *p, const struct pjoin_line *x);

/* ---------------------------------------------------------------------- */
/* building reports */

/* What a report's raw and norm text start with: a usual report's, so that they grow once or never. */
#define REPORT_TEXT_START 2047

/* The length of the run of bytes at s[0..n) that holds no blank (space, tab). */
static size_t norm_word(const char *s, size_t n)
{
	size_t j = 0;

#ifdef __SSE2__
	for (; j + 16 <= n; j += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + j));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')),
								     _mm_cmpeq_epi8(v, _mm_set1_epi8('\t'))));

		if (m)
			return j + (size_t)__builtin_ctz(m);
	}
#endif
	while (j < n && s[j] != ' ' && s[j] != '\t')
		j++;
	return j;
}

/* s with its runs of blanks made one space (none at the line's start), and a newline. */
static void add_norm(struct report *r, const char *s, size_t n)
{
	struct sbuf *sb = &r->norm;
	bool sp = false;
	char *o;

	if (sb->len > REPORT_MAX_RAW)
		return;
	if (!sb->cap)
		sbuf_grow(sb, REPORT_TEXT_START);
	sbuf_grow(sb, n + 1);   /* the most it can take: every byte, one newline */
	o = sb->buf + sb->len;
	for (size_t i = 0; i < n;) {
		size_t w = norm_word(s + i, n - i);

		if (w) {
			if (sp && o > sb->buf && o[-1] != '\n')
				*o++ = ' ';
			memcpy(o, s + i, w);
			o += w;
			i += w;
		}
		sp = false;
		while (i < n && (s[i] == ' ' || s[i] == '\t')) {
			sp = true;
			i++;
		}
	}
	*o++ = '\n';
	*o = 0;
	sb->len = (size_t)(o - sb->buf);
}

static void add_raw(struct report *r, const char *s, size_t n)
{
	if (r->raw.len + n + 1 > REPORT_MAX_RAW)
		return;
	if (!r->raw.cap)
		sbuf_grow(&r->raw, REPORT_TEXT_START);
	sbuf_add(&r->raw, s, n);
	sbuf_addc(&r->raw, '\n');
}

static void seen(struct parser *p, const struct nline *l)
{
	p->noise = 0;
	p->reord_wait = false;
	if (p->r && l)
		p->r->end_line = l->lineno;
}

static char *ts_dup(const struct nline *l)
{
	return l->ts ? xstrndup(l->ts, l->ts_len) : NULL;
}

static void flush_parked(struct parser *p);

static struct report *begin(struct parser *p, const struct nline *l)
{
	struct report *r;

	flush_parked(p);    /* another report begins: the interrupted one is done */
	r = report_new();

	r->source = xstrdup(p->source);
	r->line = l->lineno;
	r->end_line = l->lineno;
	r->offset = l->offset;
	r->log_time = ts_dup(l);
	{
		char t[EVTIME_LEN];

		if (evtime_from_line(l, p->now, t))
			r->event_time = xstrdup(t);
	}
	mailmeta_attach(&p->meta, r);
	p->r = r;
	p->depth = l->depth;
	p->noise = 0;
	p->locks = 0;
	p->adjacent = false;
	p->stack_noise = false;
	p->footer = false;
	pjoin_bug_close(&p->join);
	p->bug_inline = false;
	p->max_acc = REPORT_MAX_ACCESSES;
	return r;
}

static bool report_has_frames(const struct report *r)
{
	for (int i = 0; i < r->nacc; i++)
		if (r->acc[i].nframes || r->acc[i].elided)
			return true;
	return false;
}

/* Without a BUG line, the accesses say what kind of report it is. */
static void report_infer_type(struct report *r)
{
	r->bug_type = BUG_DATA_RACE;
	for (int i = 0; i < r->nacc; i++)
		if (r->acc[i].type == ACC_ASSERT_NO_WRITES || r->acc[i].type == ACC_ASSERT_NO_ACCESSES)
			r->bug_type = BUG_ASSERT;
}

static void close_report(struct parser *p)
{
	struct report *r = p->r;
	enum pstate st = p->st;

	if (!r)
		return;
	p->r = NULL;
	p->st = ST_IDLE;
	pjoin_bug_close(&p->join);
	/* a BUG line alone (a list of titles) is no report; a report without
	   a BUG line needs a stack to be one */
	if (!(r->nacc > 0 && (r->title || report_has_frames(r) || r->has_value))) {
		report_free(r);
		return;
	}
	if (!p->footer) {
		const struct access *last = &r->acc[r->nacc - 1];

		/* the stack never ended (end of input, another report), or noise cut it */
		if (st == ST_STACK || p->stack_noise || (!last->nframes && !last->elided) ||
		    (r->title && r->nacc < p->max_acc && !r->unknown_origin))
			r->truncated = true;
	}
	if (!r->title)
		report_infer_type(r);
	r->unknown_origin = r->nacc > 0 && r->acc[0].unknown_origin;
	p->emit(r, p->data);
}

/* Take what the BUG line says; another console line merged into it makes the report cut. */
static void set_bug(struct parser *p, struct pline_bug *b)
{
	free(p->r->title);
	p->r->title = b->title;
	p->r->bug_type = b->bt;
	p->r->bug_corrupt = b->merged;
	if (b->merged)
		p->r->truncated = true;
	p->max_acc = b->nfuncs;
	p->bug_inline = b->inline_only;
}

static void start_with_bug(struct parser *p, const struct nline *l, const char *text, size_t len)
{
	struct report *r;
	struct pline_bug b;

	if (!pline_bug(text, len, &b))
		return;
	r = begin(p, l);
	set_bug(p, &b);
	p->st = ST_HEAD;
	if (!b.merged)
		pjoin_bug_open(&p->join, text, len, b.title != NULL);   /* a mail client may have wrapped it */
	add_raw(r, l->orig, l->orig_len);
	add_norm(r, text, len);
	r->head_len = 0;
}

/* Replace the title after a continuation or a duplicated inline BUG line. */
static bool retitle(struct parser *p, const char *text, size_t len)
{
	struct pline_bug b;

	if (!pline_bug(text, len, &b))
		return false;
	set_bug(p, &b);
	/* the norm starts with the BUG line: rebuild it */
	sbuf_reset(&p->r->norm);
	add_norm(p->r, text, len);
	return true;
}

static bool add_access(struct parser *p, const char *s, size_t n)
{
	struct report *r = p->r;

	if (r->nacc >= REPORT_MAX_ACCESSES || !pline_access(&p->lc, s, n, &r->acc[r->nacc]))
		return false;
	r->nacc++;
	if (r->acc[0].unknown_origin && r->nacc == 1)
		p->max_acc = 1;
	add_norm(r, s, n);
	if (r->nacc == 1)
		r->head_len = r->norm.len;
	p->st = ST_STACK;
	p->adjacent = true;
	p->stack_noise = false;
	return true;
}

static struct access *cur_access(struct parser *p)
{
	return p->r && p->r->nacc ? &p->r->acc[p->r->nacc - 1] : NULL;
}

static void add_frame(struct parser *p, struct frame *f, const char *s, size_t n)
{
	struct access *a = cur_access(p);
	struct frame *dst;

	if (!a) {
		frame_release(f);
		return;
	}
	if (a->nframes >= REPORT_MAX_FRAMES) {
		a->frames_dropped++;
		frame_release(f);
		return;
	}
	dst = access_add_frame(a);
	*dst = *f;
	/* an inline level is a symbolizer's (the kernel prints none): no part of the occurrence */
	if (!(dst->inlined && !dst->has_off))
		add_norm(p->r, s, n);
}

/*
 * faddr2line after a frame: "func at file:line", then "(inlined by) caller at
 * file:line" lines, innermost first.  The line naming the frame's own
 * function is its location; the inlined ones before it are kept in locs.
 */
static void add_syminfo(struct parser *p, const char *s, size_t n)
{
	struct access *a = cur_access(p);
	struct frame *f;
	char fb[256], ib[256], *func, *file;
	int line;

	if (!a || !a->nframes || !pline_syminfo(&p->lc, s, n, &func, &file, &line))
		return;
	f = &a->frames[a->nframes - 1];
	func_base_name(f->func, fb, sizeof(fb));
	func_base_name(func, ib, sizeof(ib));
	if (!strcmp(fb, ib)) {
		if (!f->file) {
			f->file = file;
			f->line = line;
			f->given = true;
			file = NULL;
		}
	} else if (!f->file) {
		struct sbuf sb = SBUF_INIT;

		if (f->locs)
			sbuf_adds(&sb, f->locs);
		sbuf_addf(&sb, "%s\t%s:%d\n", func, file, line);
		free(f->locs);
		f->locs = sbuf_detach(&sb);
	}
	free(func);
	free(file);
}

static void set_reordered(struct parser *p, struct frame *f, const char *s, size_t n)
{
	struct access *a = cur_access(p);

	if (a->reordered_to) {
		frame_release(a->reordered_to);
		free(a->reordered_to);
	}
	a->reordered_to = xmalloc(sizeof(*a->reordered_to));
	*a->reordered_to = *f;
	add_norm(p->r, s, n);
}

/* ---------------------------------------------------------------------- */
/* a report interrupted by prose or code */

/* Noise closes the report: one that may still continue waits. */
static void park(struct parser *p)
{
	struct parked *k = &p->park;
	struct report *r = p->r;

	if (!r || (p->footer && p->st != ST_FOOTER) || (!r->nacc && !r->title)) {
		close_report(p);
		return;
	}
	/* (a parked report is flushed when another begins: none waits now) */
	*k = (struct parked){ r, p->st, p->depth, p->max_acc, 0, p->footer, p->stack_noise, p->bug_inline };
	p->r = NULL;
	p->st = ST_IDLE;
	pjoin_bug_close(&p->join);
}

/* The parked report is open again, at the quoting of the line that resumed it. */
static void resume(struct parser *p, int depth)
{
	struct parked *k = &p->park;

	p->r = k->r;
	p->st = k->st;
	p->depth = depth;
	p->max_acc = k->max_acc;
	p->footer = k->footer;
	p->stack_noise = k->stack_noise;
	p->bug_inline = k->bug_inline;
	p->noise = 0;
	p->locks = 0;
	p->adjacent = false;
	k->r = NULL;
}

static void flush_parked(struct parser *p)
{
	if (!p->park.r)
		return;
	resume(p, p->park.depth);
	close_report(p);
}

/*
 * A second access belongs to the report of the first only where the two
 * overlap: KCSAN reports no other pair (kernel/kcsan/report.c,
 * matching_access()).  1: they overlap; 0: an address is missing (it
 * may); -1: they do not.
 */
static int access_overlap(struct parser *p, const struct report *r, const char *s, size_t n)
{
	struct access a = { 0 };
	const struct access *b = r->nacc ? &r->acc[0] : NULL;
	int res;

	if (!b || !b->has_addr || !b->has_size || !pline_access(&p->lc, s, n, &a))
		return 0;
	if (!a.has_addr || !a.has_size || !a.size || !b->size)
		res = 0;
	else if (a.addr >= b->addr)
		res = a.addr - b->addr < b->size ? 1 : -1;
	else
		res = b->addr - a.addr < a.size ? 1 : -1;
	free(a.task);
	return res;
}

static bool access_fits(struct parser *p, const struct report *r, const char *s, size_t n)
{
	return access_overlap(p, r, s, n) >= 0;
}

/* A frame of the kernel's own form (an offset, or a location): no line of prose is one. */
static bool is_strong_frame(const char *s, size_t n)
{
	struct frame f;
	bool strong;

	if (!pframe_parse(s, n, false, &f, NULL))
		return false;
	strong = f.has_off || f.file;
	frame_release(&f);
	return strong;
}

/* Can the line x only continue the parked report? */
static bool resumes(struct parser *p, const struct pjoin_line *x)
{
	const struct parked *k = &p->park;
	const struct report *r = k->r;
	bool open = !k->footer;

	switch (x->kind) {
	case L_ACCESS:
		/* a report without a BUG line: only an access it is known to overlap */
		return open && r->nacc < k->max_acc && access_overlap(p, r, x->s, x->n) >= (r->title ? 0 : 1);
	case L_VALUE:
		return open && r->nacc && !r->has_value;
	case L_REPORTED:
		return open && r->nacc;
	case L_CPU:
		return r->nacc && !r->kernel;
	case L_OTHER:
		return open && r->nacc && x->l->depth == k->depth && (k->st == ST_STACK || k->st == ST_POST) &&
		       is_strong_frame(x->s, x->n);
	default:
		return false;
	}
}

/* While a report is parked: resume it, give it up, or count the line as interjection. */
static void parked_line(struct parser *p, const struct pjoin_line *x)
{
	if (x->kind == L_BUG || x->kind == L_SEP)
		flush_parked(p);
	else if (resumes(p, x))
		resume(p, x->l->depth);
	else if (x->kind == L_ACCESS)
		flush_parked(p);    /* another report's */
	else if (x->kind != L_BLANK && ++p->park.lines > PARK_LIMIT)
		flush_parked(p);
}

static void noise(struct parser *p)
{
	p->noise++;
	p->adjacent = false;
	if (p->st == ST_STACK)
		p->stack_noise = true;
	if (p->st == ST_LOCKS) {
		if (++p->locks > LOCKS_LIMIT)
			close_report(p);
		p->noise = 0;
		return;
	}
	if (p->noise > NOISE_LIMIT)
		park(p);
}

static bool can_add_access(struct parser *p, const char *s, size_t n)
{
	return p->r && p->r->nacc < p->max_acc && p->st != ST_TAIL && p->st != ST_FOOTER &&
	       access_fits(p, p->r, s, n);
}

static void start_headless(struct parser *p, const struct nline *l, const char *s, size_t n)
{
	begin(p, l);
	add_raw(p->r, l->orig, l->orig_len);
	if (!add_access(p, s, n)) {
		report_free(p->r);
		p->r = NULL;
		p->st = ST_IDLE;
	}
}

/* ---------------------------------------------------------------------- */
/* one handler per kind of line, while a report is open */

static void on_blank(struct parser *p, const struct pjoin_line *x)
{
	p->adjacent = false;
	if (p->st == ST_STACK || p->st == ST_LOCKS)
		p->st = ST_POST;
	else if (p->st == ST_TAIL)
		close_report(p);
}

static void on_sep(struct parser *p, const struct pjoin_line *x)
{
	close_report(p);
}

static void on_access(struct parser *p, const struct pjoin_line *x)
{
	if (!can_add_access(p, x->s, x->n)) {
		close_report(p);
		start_headless(p, x->l, x->s, x->n);
		return;
	}
	add_access(p, x->s, x->n);
	seen(p, x->l);
}

/* The start of a wrapped line: the joiner holds it. */
static void on_access_part(struct parser *p, const struct pjoin_line *x)
{
	pjoin_hold(&p->join, PJOIN_ACCESS, x->l, x->s, x->n);
}

static void on_value_part(struct parser *p, const struct pjoin_line *x)
{
	pjoin_hold(&p->join, PJOIN_VALUE, x->l, x->s, x->n);
}

static void on_cpu_part(struct parser *p, const struct pjoin_line *x)
{
	pjoin_hold(&p->join, PJOIN_CPU, x->l, x->s, x->n);
}

static void on_value(struct parser *p, const struct pjoin_line *x)
{
	struct report *r = p->r;
	char *old, *new_;

	if (pline_value(&p->lc, x->s, x->n, &old, &new_)) {
		free(r->value_old);
		free(r->value_new);
		r->value_old = old;
		r->value_new = new_;
		r->has_value = true;
		add_norm(r, x->s, x->n);
	}
	p->st = ST_POST;
	seen(p, x->l);
}

static void on_bits(struct parser *p, const struct pjoin_line *x)
{
	struct report *r = p->r;
	char *changed, *mask;

	if (pline_bits(&p->lc, x->s, x->n, &changed, &mask)) {
		free(r->bits_changed);
		free(r->bits_mask);
		r->bits_changed = changed;
		r->bits_mask = mask;
		add_norm(r, x->s, x->n);
	}
	seen(p, x->l);
}

static void on_reported(struct parser *p, const struct pjoin_line *x)
{
	p->st = ST_FOOTER;
	p->footer = true;
	seen(p, x->l);
}

static void on_cpu(struct parser *p, const struct pjoin_line *x)
{
	pline_cpu(&p->lc, x->s, x->n, p->r);
	add_norm(p->r, x->s, x->n);
	p->footer = true;
	p->st = ST_TAIL;
	seen(p, x->l);
}

static void on_hw(struct parser *p, const struct pjoin_line *x)
{
	const char *s = x->s;
	size_t n = x->n;

	if (p->st != ST_TAIL && p->st != ST_FOOTER) {
		noise(p);
		return;
	}
	if (mem_startswith(s, n, "Hardware name:") && !p->r->hardware) {
		const char *h = pframe_skip_sp(s + 14, s + n);

		p->r->hardware = xstrndup(h, (size_t)(s + n - h));
	}
	seen(p, x->l);
}

static void on_lockinfo(struct parser *p, const struct pjoin_line *x)
{
	if (p->st != ST_STACK && p->st != ST_POST && p->st != ST_LOCKS) {
		noise(p);
		return;
	}
	p->st = ST_LOCKS;
	p->adjacent = false;
	seen(p, x->l);
}

/* "|" and "<IRQ>"-style markers: part of the report, nothing to keep. */
static void on_marker(struct parser *p, const struct pjoin_line *x)
{
	seen(p, x->l);
}

static void on_elision(struct parser *p, const struct pjoin_line *x)
{
	if (cur_access(p))
		cur_access(p)->elided = true;
	p->adjacent = false;
	seen(p, x->l);
}

static void on_reord(struct parser *p, const struct pjoin_line *x)
{
	const char *s = x->s, *t;
	size_t n = x->n;
	struct pframe_text ft;
	struct frame f;

	seen(p, x->l);
	if (!cur_access(p))
		return;
	t = pframe_skip_sp(s + 17, s + n);
	if (t == s + n)
		p->reord_wait = true;   /* the frame was wrapped onto the next line */
	else if (pframe_parse(t, (size_t)(s + n - t), true, &f, &ft))
		set_reordered(p, &f, s, (size_t)(t - s) + ft.printed);
}

static void on_syminfo(struct parser *p, const struct pjoin_line *x)
{
	if (p->st == ST_STACK || p->st == ST_POST)
		add_syminfo(p, x->s, x->n);
	seen(p, x->l);
}

/*
 * A stack entry (or console text glued in front of one): true if it was
 * taken.  The norm keeps what the kernel printed of it, so that a log and
 * the same log symbolized are one occurrence.
 */
static bool take_frame(struct parser *p, const struct pjoin_line *x)
{
	const struct nline *l = x->l;
	const char *fs = x->s;
	struct pframe_text ft;
	struct frame f;
	bool ok = pframe_parse(fs, x->n, p->st == ST_STACK && p->adjacent, &f, &ft);
	size_t fn;

	if (!ok && l->alt) {
		fs = l->alt;
		ok = pframe_parse(fs, l->alt_len, false, &f, &ft);
	}
	if (!ok)
		return false;
	fn = ft.printed;
	if (p->reord_wait) {
		p->reord_wait = false;
		set_reordered(p, &f, fs, fn);
	} else {
		size_t norm = p->r->norm.len;
		bool bare = !f.has_off && !f.file && !f.module && !f.is_addr;

		if (p->st == ST_POST)
			p->stack_noise = false;
		add_frame(p, &f, fs, fn);
		p->st = ST_STACK;
		p->adjacent = true;
		if (bare && p->r->norm.len > norm) {
			p->bare_last = true;
			p->bare_norm = norm;
		}
	}
	seen(p, l);
	return true;
}

/* "(file.c:12 file.h:3) module" after a frame of a name alone: one frame, wrapped before its "(". */
static bool take_frame_tail(struct parser *p, const struct pjoin_line *x)
{
	struct report *r = p->r;
	struct access *a = cur_access(p);
	struct frame f;
	struct pframe_text ft;

	if (!p->prev_bare || !a || !a->nframes ||
	    !pjoin_frame_tail(r->norm.buf + p->bare_norm, r->norm.len - p->bare_norm - 1, x->s, x->n, &p->scratch,
			      &f, &ft))
		return false;
	frame_release(&a->frames[a->nframes - 1]);
	a->frames[a->nframes - 1] = f;
	r->norm.len = p->bare_norm;
	r->norm.buf[r->norm.len] = 0;
	add_norm(r, p->scratch.buf, ft.printed);
	p->adjacent = true;
	seen(p, x->l);
	return true;
}

/* Any other line: a frame, an access line with console text glued in front, or noise. */
static void on_other(struct parser *p, const struct pjoin_line *x)
{
	const struct nline *l = x->l;

	if (p->st == ST_STACK || p->st == ST_POST) {
		if (take_frame(p, x) || take_frame_tail(p, x))
			return;
		if (pframe_frame_cut(x->s, x->n)) {
			/* "func (file.c:12 file.h:3" wrapped before its ")" */
			pjoin_hold(&p->join, PJOIN_FRAME, l, x->s, x->n);
			return;
		}
	}
	if (p->st == ST_HEAD && l->alt && pline_classify(&p->lc, l->alt, l->alt_len, true) == L_ACCESS) {
		add_access(p, l->alt, l->alt_len);
		seen(p, l);
		return;
	}
	if (p->st == ST_TAIL) {
		close_report(p);   /* the line may begin something else */
		return;
	}
	noise(p);
}

static const line_fn open_handlers[L_KINDS] = {
	[L_OTHER] = on_other, [L_BLANK] = on_blank, [L_SEP] = on_sep, [L_ACCESS] = on_access,
	[L_ACCESS_PART] = on_access_part, [L_VALUE] = on_value, [L_VALUE_PART] = on_value_part,
	[L_BITS] = on_bits, [L_REPORTED] = on_reported, [L_CPU] = on_cpu, [L_CPU_PART] = on_cpu_part,
	[L_HW] = on_hw, [L_LOCKINFO] = on_lockinfo, [L_BAR] = on_marker, [L_MARKER] = on_marker,
	[L_ELISION] = on_elision, [L_REORD] = on_reord, [L_SYMINFO] = on_syminfo,
};

/* ---------------------------------------------------------------------- */
/* the lines handled whatever the state */

/* No report is open: only a BUG line or an access line begins one. */
static void on_idle(struct parser *p, const struct pjoin_line *x)
{
	const struct nline *l = x->l;

	if (x->kind == L_OTHER && l->alt && mem_startswith(l->alt, l->alt_len, "BUG: KCSAN: "))
		start_with_bug(p, l, l->alt, l->alt_len);   /* console text glued in front */
	else if (x->kind == L_BUG)
		start_with_bug(p, l, x->s, x->n);
	else if (x->kind == L_ACCESS)
		start_headless(p, l, x->s, x->n);
	else if (x->kind == L_ACCESS_PART)
		pjoin_hold(&p->join, PJOIN_ACCESS, l, x->s, x->n);
	else if (p->park.r && x->kind == L_CPU_PART)
		pjoin_hold(&p->join, PJOIN_CPU, l, x->s, x->n);   /* the trailer of the parked report */
	else if (p->park.r && x->kind == L_VALUE_PART)
		pjoin_hold(&p->join, PJOIN_VALUE, l, x->s, x->n);
}

/* A BUG line while a report is open: the next report, or the same title again. */
static void on_bug(struct parser *p, const struct pjoin_line *x)
{
	struct pline_bug b;

	/* a symbolizer may print one BUG line per inline level of the top frame */
	if (p->st == ST_HEAD && p->r->nacc == 0 && p->bug_inline && pline_bug(x->s, x->n, &b)) {
		free(b.title);
		if (b.nfuncs == 1) {
			retitle(p, x->s, x->n);
			add_raw(p->r, x->l->orig, x->l->orig_len);
			pjoin_bug_open(&p->join, x->s, x->n, p->r->title != NULL);
			seen(p, x->l);
			return;
		}
	}
	close_report(p);
	start_with_bug(p, x->l, x->s, x->n);
}

/* The BUG line continued: its whole text so far. */
static void on_bug_more(struct parser *p, const struct pjoin_line *x)
{
	retitle(p, x->s, x->n);
	if (x->absorbed) {
		add_raw(p->r, x->l->orig, x->l->orig_len);
		seen(p, x->l);
	}
}

/* A line of another quoting level: true when it still goes to its handler. */
static bool other_depth(struct parser *p, const struct pjoin_line *x)
{
	/* the reply around a quoted report, or a different message: it never
	   becomes part of the report, but a blank line ends a stack whatever
	   its quoting */
	if (x->kind == L_ACCESS && !can_add_access(p, x->s, x->n)) {
		close_report(p);
		start_headless(p, x->l, x->s, x->n);
		return false;
	}
	if (x->kind != L_BLANK) {
		noise(p);
		return false;
	}
	return true;
}

static void dispatch(struct parser *p, const struct pjoin_line *x)
{
	struct report *r;
	size_t mark;
	bool held;

	p->prev_bare = p->bare_last;
	p->bare_last = false;
	switch (x->kind) {
	case L_BUG_PART:
		pjoin_hold(&p->join, PJOIN_BUG, x->l, x->s, x->n);
		return;
	case L_DROP:            /* a wrapped line that was none: its lines, once */
		if (p->r) {
			add_raw(p->r, x->l->orig, x->l->orig_len);
			noise(p);
		}
		return;
	case L_BUG_MORE:
		on_bug_more(p, x);
		return;
	default:
		break;
	}
	if (p->st == ST_IDLE && p->park.r)
		parked_line(p, x);
	if (p->st == ST_IDLE) {
		on_idle(p, x);
		return;
	}
	if (x->kind == L_BUG) {
		on_bug(p, x);
		return;
	}
	r = p->r;
	mark = r->raw.len;
	held = pjoin_busy(&p->join);
	add_raw(r, x->l->orig, x->l->orig_len);
	if (x->l->depth == p->depth || other_depth(p, x))
		open_handlers[x->kind](p, x);
	/* a line held back comes again with its continuation: its text goes into raw then */
	if (!held && pjoin_busy(&p->join) && p->r == r && r->raw.len > mark) {
		r->raw.len = mark;
		r->raw.buf[mark] = 0;
	}
}

/* ---------------------------------------------------------------------- */

void parser_feed(struct parser *p, const struct nline *l)
{
	struct pjoin_line out[PJOIN_MAX_OUT];
	/* faddr2line's lines matter only inside a report */
	enum lkind k;
	int n;

	/* a metadata line begins no report: with none open it needs no more */
	if (mailmeta_maybe(&p->meta, l) && mailmeta_feed(&p->meta, l) && parser_idle(p))
		return;
	k = pline_classify(&p->lc, l->text, l->len, p->st != ST_IDLE);
	n = pjoin_feed(&p->join, &p->lc, l, k, out);

	for (int i = 0; i < n; i++)
		dispatch(p, &out[i]);
}

bool parser_idle(const struct parser *p)
{
	return !p->r && !p->park.r && !pjoin_busy(&p->join);
}

struct mailmeta *parser_meta(struct parser *p)
{
	return &p->meta;
}

void parser_set_now(struct parser *p, int64_t now)
{
	p->now = now;
}

void parser_finish(struct parser *p)
{
	struct pjoin_line out[PJOIN_MAX_OUT];
	int n = pjoin_finish(&p->join, out);

	for (int i = 0; i < n; i++)
		dispatch(p, &out[i]);
	close_report(p);
	flush_parked(p);
}

struct parser *parser_new(const char *source, parse_emit_fn emit, void *data)
{
	struct parser *p = xcalloc(1, sizeof(*p));

	pline_init(&p->lc);
	pjoin_init(&p->join);
	p->source = xstrdup(source);
	p->emit = emit;
	p->data = data;
	return p;
}

void parser_free(struct parser *p)
{
	if (!p)
		return;
	report_free(p->r);
	report_free(p->park.r);
	pline_release(&p->lc);
	pjoin_release(&p->join);
	sbuf_release(&p->scratch);
	mailmeta_release(&p->meta);
	free(p->source);
	free(p);
}

void parse_cleanup(void)
{
	pline_grammar_free();
}
