/*
 * cmd_symbolize.c - kcsan-triage symbolize: copy a kernel log to standard
 * output with every func+0xOFF/0xSIZE [module] frame annotated, the way
 * syzbot prints its reports (and scripts/decode_stacktrace.sh does for any
 * oops):
 *
 *     more_used_split drivers/virtio/virtio_ring.c:787 [inline]
 *     virtqueue_get_buf_ctx_split+0x5e/0x200 drivers/virtio/virtio_ring.c:806
 *
 * Each inline level gets a line of its own before the frame, with the
 * frame line's prefix (printk time, indentation, "RIP: 0010:"); the frame
 * line itself is kept byte for byte and gets " file:line" at its end.
 * Every other line is copied as is.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "hashmap.h"
#include "input.h"
#include "normalize.h"
#include "parse.h"
#include "sym.h"

#define SYMB_BATCH 256           /* frame lines resolved in one round trip */
#define SYMB_MAX_WARNINGS 10     /* per-frame warnings before they are only counted */
#define SYMB_SHORTS 256          /* file names shortened, remembered */
#define SYMB_REPEATS 1024        /* frame lines symbolized, remembered with their output */
#define SYMB_REPEAT_MAX 512      /* longest frame line remembered */
#define SYMB_OUT_MAX 65536       /* output kept before it is written */

/* One line of a run of frame lines, waiting for its batch. */
struct pline {
	char *raw;              /* the line without its end of line (in the batch's text, at raw_off) */
	size_t raw_off, len;
	const char *eol;        /* "\n", "\r\n" or "" */
	uint64_t lineno;
	struct frame f;
	bool frame;             /* f holds a frame to resolve */
	bool exact;             /* RIP-like: not a return address */
	size_t prefix;          /* bytes of raw before the frame text; SIZE_MAX: unknown */
	size_t body;            /* bytes of raw up to its trailing blanks */
	bool hit;               /* a repeat: its output is at hit_off in the batch's hits */
	size_t hit_off, hit_len;
	uint64_t hash;          /* of raw and eol (symb_line_hash()), when keyed */
	bool keyed;             /* a line a repeat of which is looked for */
};

/*
 * A frame line symbolized before, with what it became.  The output of a
 * resolved frame line depends only on its text and end of line (the
 * lookup is cached and pure, the line number only goes into warnings,
 * and a resolved frame warns about nothing), so an exact repeat is
 * answered here without parsing it again.
 */
struct symb_repeat {
	uint64_t hash;
	char *buf;              /* the line, then its output */
	size_t len, out_len;    /* of the line (without its end of line); of the output */
	const char *eol;
};

struct symbolize {
	struct ctx *ctx;
	struct symbolizer *sym;
	bool full_paths;
	const char *name;       /* the input's name for positions */
	struct pline *lines;
	size_t nlines, cap;
	struct normalizer nz;
	struct sbuf out;        /* a batch's output, written at once */
	struct sbuf text;       /* the batch's lines, one after another (pline.raw points into it) */
	struct sbuf hits;       /* the batch's repeats' output */
	struct symb_repeat *repeats; /* SYMB_REPEATS of them, by hash */
	struct sym_request *rq; /* the batch's requests and results, kept from batch to batch */
	const struct sym_result **res;
	size_t rq_cap;
	/* file names shortened (sym_loc_short_file()): interned, so keyed by pointer */
	struct symb_short {
		const char *file, *dir, *out;
		size_t len;
	} shorts[SYMB_SHORTS];
	/* what went wrong, for the end */
	size_t mismatches;      /* frames the vmlinux or module does not match */
	size_t problems;        /* frames warned about one by one (up to SYMB_MAX_WARNINGS) */
	char **missing;         /* modules already reported missing or unreadable */
	size_t nmissing, missingcap;
	bool release_checked;
};

/* ---------------------------------------------------------------------- */
/* recognising frames */

/* "RIP: 0010:func+0x1/0x2", "pc : func+0x1/0x2", "lr : ...", "+-> reordered to: ...": where the frame starts. */
static const char *frame_after_label(const char *s, size_t n, bool *exact)
{
	const char *e = s + n;

	*exact = false;
	if (mem_startswith(s, n, "RIP: ") || mem_startswith(s, n, "EIP: ")) {
		const char *c = memchr(s + 5, ':', (size_t)(e - s - 5));

		*exact = true;
		/* "RIP: 0010:func" or "EIP: func" */
		return c && c - s <= 10 ? c + 1 : s + 5;
	}
	if (mem_startswith(s, n, "pc : ")) {
		*exact = true;
		return s + 5;
	}
	if (mem_startswith(s, n, "lr : "))
		return s + 5;
	if (mem_startswith(s, n, "+-> reordered to: "))
		return s + 18;
	return NULL;
}

/* Where text (len n) sits at the end of raw: its offset, or SIZE_MAX. */
static size_t tail_offset(const char *raw, size_t body, const char *text, size_t n)
{
	if (n > body || memcmp(raw + body - n, text, n))
		return SIZE_MAX;
	return body - n;
}

/* Is the line (normalized: nl) a frame to resolve?  Fills pl->f, frame, exact, prefix. */
static void classify_line(struct pline *pl, const struct nline *nl)
{
	const char *ft;
	size_t fn;
	bool exact = false;

	pl->body = pl->len;
	while (pl->body && (pl->raw[pl->body - 1] == ' ' || pl->raw[pl->body - 1] == '\t' ||
			    pl->raw[pl->body - 1] == '\r'))
		pl->body--;
	pl->frame = false;
	ft = nl->text;
	fn = nl->len;
	if (!parse_frame_text(ft, fn, false, &pl->f)) {
		const char *at = frame_after_label(nl->text, nl->len, &exact);

		if (!at)
			return;
		ft = at;
		fn = nl->len - (size_t)(at - nl->text);
		if (!parse_frame_text(ft, fn, false, &pl->f))
			return;
	}
	/* already symbolized (syzbot, decode_stacktrace), or nothing to look up */
	if (pl->f.given || !pl->f.has_off || pl->f.is_addr) {
		frame_release(&pl->f);
		return;
	}
	pl->frame = true;
	pl->exact = exact;
	pl->prefix = tail_offset(pl->raw, pl->body, ft, fn);
}

/* ---------------------------------------------------------------------- */
/* output */

/* n bytes to the batch's output (not NUL-terminated: it goes to fwrite) */
static inline void out_add(struct sbuf *o, const char *p, size_t n)
{
	if (o->cap - o->len > n) {
		memcpy(o->buf + o->len, p, n);
		o->len += n;
	} else {
		sbuf_add(o, p, n);
	}
}

static inline void out_adds(struct sbuf *o, const char *s)
{
	out_add(o, s, strlen(s));
}

/* " file:line" into the batch's output, without printf: it is most of the output */
static void put_loc(struct symbolize *sy, const struct sym_loc *l)
{
	const char *file = l->file;
	char num[16], *p = num + sizeof(num);
	unsigned v = l->line < 0 ? 0U - (unsigned)l->line : (unsigned)l->line;

	if (file) {
		struct symb_short *sh = &sy->shorts[((uintptr_t)file >> 3 ^ (uintptr_t)l->comp_dir >> 5) % SYMB_SHORTS];

		if (sh->file != file || sh->dir != l->comp_dir) {
			sh->file = file;
			sh->dir = l->comp_dir;
			sh->out = sy->full_paths ? file : sym_loc_short_file(l);
			sh->len = strlen(sh->out);
		}
		out_add(&sy->out, " ", 1);
		out_add(&sy->out, sh->out, sh->len);
	} else {
		out_adds(&sy->out, " ??");
	}
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) && p > num + 1);
	if (l->line < 0)
		*--p = '-';
	*--p = ':';
	out_add(&sy->out, p, (size_t)(num + sizeof(num) - p));
}

/* Say why a frame stays as it was: per frame, or once per module when it is the module's fault. */
static void frame_warning(struct symbolize *sy, const struct pline *pl, const struct sym_result *r)
{
	char *where;

	/* said once when the vmlinux was opened; code without lines (trampolines,
	   compiler-made constructors) is how the kernel was built, not a problem */
	if (r->status == SYM_NO_DEBUGINFO || r->status == SYM_NO_LINE)
		return;
	if ((r->status == SYM_NO_MODULE || r->status == SYM_ERROR) && pl->f.module) {
		for (size_t i = 0; i < sy->nmissing; i++)
			if (!strcmp(sy->missing[i], pl->f.module))
				return;
		ALLOC_GROW(sy->missing, sy->nmissing, sy->missingcap);
		sy->missing[sy->nmissing++] = xstrdup(pl->f.module);
	} else if (sy->problems++ >= SYMB_MAX_WARNINGS) {
		return;
	}
	where = xplace(sy->name, pl->lineno);
	if (r->status == SYM_ERROR)
		kt_error(sy->ctx, KT_EXIT_SYMBOLS, where, "%s", r->note ? r->note : "cannot be read");
	else
		kt_warn(sy->ctx, where, "%s", r->note ? r->note : sym_status_name(r->status));
	free(where);
}

/* ---------------------------------------------------------------------- */
/* repeats */

static uint64_t symb_line_hash(const char *text, size_t n, const char *eol)
{
	return kt_hash_mem_seed(text, n, strlen(eol));
}

static const struct symb_repeat *repeat_find(const struct symbolize *sy, const char *text, size_t n,
					     const char *eol, uint64_t h)
{
	const struct symb_repeat *rp = &sy->repeats[h % SYMB_REPEATS];

	if (rp->buf && rp->hash == h && rp->len == n && rp->eol == eol && !memcmp(rp->buf, text, n))
		return rp;
	return NULL;
}

/* The resolved line pl, whose output starts at out_start, remembered. */
static void repeat_store(struct symbolize *sy, const struct pline *pl, size_t out_start)
{
	struct symb_repeat *rp = &sy->repeats[pl->hash % SYMB_REPEATS];
	size_t out_len = sy->out.len - out_start;

	if (!pl->keyed)
		return;
	free(rp->buf);
	rp->buf = xmalloc(pl->len + out_len);
	memcpy(rp->buf, pl->raw, pl->len);
	memcpy(rp->buf + pl->len, sy->out.buf + out_start, out_len);
	rp->hash = pl->hash;
	rp->len = pl->len;
	rp->out_len = out_len;
	rp->eol = pl->eol;
}

static void repeats_release(struct symbolize *sy)
{
	for (size_t i = 0; i < SYMB_REPEATS; i++)
		free(sy->repeats[i].buf);
	free(sy->repeats);
	sbuf_release(&sy->hits);
}

static void flush(struct symbolize *sy);

/* A repeat's output: at once when no line waits for its batch, else in the batch, in its place. */
static void repeat_emit(struct symbolize *sy, const struct symb_repeat *rp, uint64_t lineno)
{
	struct pline *pl;

	if (!sy->nlines) {
		out_add(&sy->out, rp->buf + rp->len, rp->out_len);
		if (sy->out.len >= SYMB_OUT_MAX)
			flush(sy);
		return;
	}
	ALLOC_GROW(sy->lines, sy->nlines, sy->cap);
	pl = &sy->lines[sy->nlines++];
	memset(pl, 0, sizeof(*pl));
	pl->raw = sy->text.buf;
	pl->eol = "";
	pl->lineno = lineno;
	pl->hit = true;
	pl->hit_off = sy->hits.len;
	pl->hit_len = rp->out_len;
	sbuf_add(&sy->hits, rp->buf + rp->len, rp->out_len);
	if (sy->nlines >= SYMB_BATCH)
		flush(sy);
}

/* A line into the batch's output: annotated when r resolved it, else as it was. */
static void emit(struct symbolize *sy, struct pline *pl, const struct sym_result *r)
{
	struct sbuf *o = &sy->out;
	size_t start = o->len;

	if (pl->hit) {
		out_add(o, sy->hits.buf + pl->hit_off, pl->hit_len);
		return;
	}
	if (r && r->status == SYM_OK) {
		for (size_t i = 0; i + 1 < r->nchain; i++) {
			if (pl->prefix != SIZE_MAX)
				out_add(o, pl->raw, pl->prefix);
			out_adds(o, r->chain[i].func ? r->chain[i].func : "??");
			put_loc(sy, &r->chain[i]);
			out_adds(o, " [inline]");
			out_adds(o, *pl->eol ? pl->eol : "\n");
		}
		out_add(o, pl->raw, pl->body);
		put_loc(sy, &r->chain[r->nchain - 1]);
		out_add(o, pl->raw + pl->body, pl->len - pl->body);
		out_adds(o, pl->eol);
		repeat_store(sy, pl, start);
		return;
	}
	if (r) {
		if (sym_status_mismatch(r->status))
			sy->mismatches++;
		frame_warning(sy, pl, r);
	}
	out_add(o, pl->raw, pl->len);
	out_adds(o, pl->eol);
}

static void flush(struct symbolize *sy)
{
	struct sym_request *rq;
	const struct sym_result **res;
	size_t nq = 0;

	if (sy->nlines > sy->rq_cap) {
		sy->rq_cap = sy->nlines;
		sy->rq = xrealloc(sy->rq, sy->rq_cap * sizeof(*sy->rq));
		sy->res = xrealloc(sy->res, sy->rq_cap * sizeof(*sy->res));
	}
	rq = sy->rq;
	res = sy->res;
	for (size_t i = 0; i < sy->nlines; i++) {
		struct pline *pl = &sy->lines[i];

		if (pl->frame)
			sym_request_of_frame(&pl->f, pl->exact, &rq[nq++]);
	}
	if (nq)
		sym_resolve_batch(sy->sym, rq, nq, res);
	nq = 0;
	for (size_t i = 0; i < sy->nlines; i++) {
		struct pline *pl = &sy->lines[i];

		emit(sy, pl, pl->frame ? res[nq++] : NULL);
		if (pl->frame)
			frame_release(&pl->f);
	}
	sy->nlines = 0;
	sbuf_reset(&sy->text);
	sbuf_reset(&sy->hits);
	if (sy->out.len)
		fwrite_unlocked(sy->out.buf, 1, sy->out.len, stdout);
	sy->out.len = 0;
}

/* "Linux version 6.1.0 ..." and "CPU: 1 PID: 2 Comm: x Not tainted 6.1.0 #1": the log's kernel. */
static void check_release(struct symbolize *sy, const struct pline *pl, const struct nline *nl)
{
	const char *rel = sym_release(sy->sym);
	char *got;

	if (sy->release_checked || !rel)
		return;
	got = report_line_release(nl->text, nl->len);
	if (!got)
		return;
	sy->release_checked = true;
	if (strcmp(got, rel)) {
		char *where = xplace(sy->name, pl->lineno);

		kt_warn(sy->ctx, where, "the log is from kernel %s, the vmlinux is %s: frames may not match", got, rel);
		free(where);
	}
	free(got);
}

/* ---------------------------------------------------------------------- */

/*
 * A line as read: the text without its end of line, which goes to pl->eol,
 * onto the batch's text (NUL-terminated); the lines before it in the batch
 * are moved with the text when it grows.
 */
static const char *line_end(const struct input_line *l, size_t *n)
{
	*n = l->len;
	if (!l->newline)
		return "";
	if (*n && l->text[*n - 1] == '\r') {
		(*n)--;
		return "\r\n";
	}
	return "\n";
}

static void take_line(struct symbolize *sy, struct pline *pl, const struct input_line *l)
{
	size_t n, off = sy->text.len;
	const char *old = sy->text.buf;

	memset(pl, 0, sizeof(*pl));
	pl->eol = line_end(l, &n);
	sbuf_add(&sy->text, l->text, n);
	sbuf_addc(&sy->text, 0);
	if (sy->text.buf != old)
		for (size_t i = 0; i < sy->nlines; i++)
			sy->lines[i].raw = sy->text.buf + sy->lines[i].raw_off;
	pl->raw_off = off;
	pl->raw = sy->text.buf + off;
	pl->len = n;
	pl->lineno = l->lineno;
}

static int symbolize_file(struct symbolize *sy, const char *path)
{
	struct input *in = input_open(sy->ctx, path);
	struct input_line l;
	int rc;

	if (!in)
		return -1;
	input_set_mode(in, INPUT_RAW);
	sy->name = input_name(in);
	while ((rc = input_next(in, &l, false)) > 0) {
		struct pline *pl;
		struct input_line nin;
		struct nline nl;
		size_t n;
		const char *eol = line_end(&l, &n);
		/* a frame to resolve has a '+' (func+0x1/0x2) */
		bool plus = memchr(l.text, '+', n) != NULL;
		uint64_t h = 0;

		if (plus && n <= SYMB_REPEAT_MAX) {
			const struct symb_repeat *rp;

			h = symb_line_hash(l.text, n, eol);
			rp = repeat_find(sy, l.text, n, eol, h);
			/* it went through check_release() before, which found no release in it */
			if (rp) {
				repeat_emit(sy, rp, l.lineno);
				continue;
			}
		}
		ALLOC_GROW(sy->lines, sy->nlines, sy->cap);
		pl = &sy->lines[sy->nlines];
		take_line(sy, pl, &l);
		pl->hash = h;
		pl->keyed = plus && n <= SYMB_REPEAT_MAX;
		/* normalized once, for both questions */
		if ((!sy->release_checked && sym_release(sy->sym)) || plus) {
			nin = (struct input_line){ pl->raw, pl->len, pl->lineno, 0, false, false };
			normalize_line(&sy->nz, &nin, &nl);
			check_release(sy, pl, &nl);
			classify_line(pl, &nl);
		}
		sy->nlines++;
		/* a run of frames goes in one batch; anything else is written at once */
		if (!pl->frame || sy->nlines >= SYMB_BATCH)
			flush(sy);
	}
	flush(sy);
	input_close(in);
	sy->name = NULL;
	return rc < 0 ? -1 : 0;
}

struct symbolize_opts {
	bool full_paths;
};

static const struct option_spec symbolize_specs[] = {
	OPT_FLAG("full-paths", 0, struct symbolize_opts, full_paths,
		 "file names as the DWARF has them"),
	OPT_INCLUDE(opt_group_symbols),
	OPT_END(),
};
const struct option_table cmd_symbolize_options = OPT_TABLE(struct symbolize_opts, symbolize_specs);

int cmd_symbolize(int argc, char **argv, struct ctx *ctx, const void *opts)
{
	const struct symbolize_opts *so = opts;
	struct symbolize sy = { 0 };
	int rc = KT_EXIT_OK;

	sy.ctx = ctx;
	sy.full_paths = so->full_paths;
	sy.repeats = xcalloc(SYMB_REPEATS, sizeof(*sy.repeats));
	if (cmd_inputs(ctx, &argc, &argv) < 0)
		return KT_EXIT_USAGE;
	sy.sym = ctx->sym;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-") && isatty(0)) {
			kt_error(ctx, KT_EXIT_USAGE, NULL, "standard input is a terminal; pipe a log in or name files");
			continue;
		}
		symbolize_file(&sy, argv[i]);
	}
	if (sy.problems > SYMB_MAX_WARNINGS)
		kt_warn(ctx, NULL, "%zu more frames could not be symbolized", sy.problems - SYMB_MAX_WARNINGS);
	if (sy.mismatches)
		kt_error(ctx, KT_EXIT_SYMBOLS, ctx->vmlinux,
			 "%zu frame%s did not match the vmlinux or its modules (another build?); left as they were",
			 sy.mismatches, sy.mismatches == 1 ? "" : "s");
	normalizer_release(&sy.nz);
	sbuf_release(&sy.out);
	sbuf_release(&sy.text);
	repeats_release(&sy);
	free(sy.rq);
	free(sy.res);
	parse_cleanup();
	for (size_t i = 0; i < sy.nmissing; i++)
		free(sy.missing[i]);
	free(sy.missing);
	free(sy.lines);
	rc = cmd_finish_output(ctx, rc);
	if (ctx->worst_exit > rc)
		rc = ctx->worst_exit;
	return rc;
}
