/*
 * parse_join.c - the joiner: a mail client may wrap any long line of a
 * report at a blank.  Physical lines go in, logical lines come out.
 *
 * Two kinds of wrap are undone here:
 *   - a line that is only the start of one (an access, CPU, value line, a
 *     decode_stacktrace frame before its ")", "BUG:" alone) is held back
 *     until the line that completes it, or given up;
 *   - a BUG line that is whole already may still continue ("... in" / "A /"
 *     / "[module] / B" on the next line): the continuation retitles it.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "parse_internal.h"

#define JOIN_LIMIT 3         /* physical lines a held line may span */

void pjoin_init(struct pjoin *j)
{
	memset(j, 0, sizeof(*j));
}

void pjoin_release(struct pjoin *j)
{
	free(j->pend_ts);
	sbuf_release(&j->pend);
	sbuf_release(&j->pend_raw);
	sbuf_release(&j->bug_text);
}

bool pjoin_busy(const struct pjoin *j)
{
	return j->pk != PJOIN_NONE;
}

void pjoin_hold(struct pjoin *j, enum pjoin_pend k, const struct nline *l, const char *s, size_t n)
{
	j->pk = k;
	sbuf_reset(&j->pend);
	sbuf_add(&j->pend, s, n);
	j->pend_lines = 1;
	j->pend_depth = l->depth;
	j->pend_lineno = l->lineno;
	j->pend_offset = l->offset;
	free(j->pend_ts);
	j->pend_ts = l->ts ? xstrndup(l->ts, l->ts_len) : NULL;
	sbuf_reset(&j->pend_raw);
	sbuf_add(&j->pend_raw, l->orig, l->orig_len);
}

void pjoin_bug_open(struct pjoin *j, const char *s, size_t n, bool titled)
{
	j->bug_open = true;
	j->bug_titled = titled;
	sbuf_reset(&j->bug_text);
	sbuf_add(&j->bug_text, s, n);
}

void pjoin_bug_close(struct pjoin *j)
{
	j->bug_open = false;
}

/* ---------------------------------------------------------------------- */
/* held lines */

/* Is the held text a whole line of its kind? */
static bool pend_complete(struct pjoin *j, struct pline_ctx *c)
{
	const char *s = j->pend.buf;
	size_t n = j->pend.len;

	switch (j->pk) {
	case PJOIN_ACCESS: return pline_complete(c, PLINE_ACCESS, s, n);
	case PJOIN_CPU: return pline_complete(c, PLINE_CPU, s, n);
	case PJOIN_VALUE: return pline_complete(c, PLINE_VALUE, s, n);
	case PJOIN_FRAME: {
		struct frame f;
		bool ok = parse_frame_text(s, n, false, &f);

		if (ok)
			frame_release(&f);
		return ok;
	}
	case PJOIN_BUG: {
		char *t = NULL;
		enum bug_type bt;
		int nf;
		bool inl, ok = parse_bug_line(s, n, &t, &bt, &nf, &inl);

		free(t);
		return ok;
	}
	case PJOIN_NONE: break;
	}
	return false;
}

/* Is the held text still the start of a line of its kind? */
static bool pend_partial(struct pjoin *j, struct pline_ctx *c)
{
	const char *s = j->pend.buf;
	size_t n = j->pend.len;

	switch (j->pk) {
	case PJOIN_ACCESS: return pline_prefix(c, PLINE_ACCESS, s, n);
	case PJOIN_CPU: return pline_prefix(c, PLINE_CPU, s, n);
	case PJOIN_VALUE: return pline_prefix(c, PLINE_VALUE, s, n);
	case PJOIN_FRAME: return pframe_frame_cut(s, n);
	case PJOIN_BUG: return pline_bug_cut(s, n);
	case PJOIN_NONE: break;
	}
	return false;
}

/* What a completed line is: frames are recognised by the state machine itself. */
static const enum lkind joined_kind[] = {
	[PJOIN_NONE] = L_OTHER, [PJOIN_ACCESS] = L_ACCESS, [PJOIN_CPU] = L_CPU, [PJOIN_VALUE] = L_VALUE,
	[PJOIN_FRAME] = L_OTHER, [PJOIN_BUG] = L_BUG,
};

/* The held line is finished (complete, or given up at line l): hand it out. */
static struct pjoin_line pend_release(struct pjoin *j, const struct nline *l, bool complete)
{
	enum pjoin_pend k = j->pk;
	struct nline *o = &j->out;

	j->pk = PJOIN_NONE;
	*o = *l;
	o->depth = j->pend_depth;
	o->lineno = j->pend_lineno;
	o->offset = j->pend_offset;
	o->ts = j->pend_ts;
	o->ts_len = j->pend_ts ? strlen(j->pend_ts) : 0;
	o->orig = j->pend_raw.buf;
	o->orig_len = j->pend_raw.len;
	o->alt = NULL;
	/* a CPU line without "#N" is used as it is */
	return (struct pjoin_line){ k == PJOIN_CPU ? L_CPU : complete ? joined_kind[k] : L_DROP, j->pend.buf, j->pend.len, o,
				 false };
}

/*
 * Does l continue the held line?  1: it completed it (out[0]); 0: it is
 * held still; -1: it does not continue it.  A line that is something of its
 * own only continues what it completes.
 */
static int pend_feed(struct pjoin *j, struct pline_ctx *c, const struct nline *l, enum lkind k, struct pjoin_line *out)
{
	size_t keep = j->pend.len;
	bool done;

	if (!l->len || k == L_BUG || k == L_SEP || k == L_BLANK || j->pend_lines >= JOIN_LIMIT)
		return -1;
	sbuf_addc(&j->pend, ' ');
	sbuf_add(&j->pend, l->text, l->len);
	done = pend_complete(j, c);
	if (!done && !((k == L_OTHER || k == L_ACCESS_PART || k == L_VALUE_PART || k == L_CPU_PART) &&
		       pend_partial(j, c))) {
		j->pend.len = keep;
		j->pend.buf[keep] = 0;
		return -1;
	}
	sbuf_addc(&j->pend_raw, '\n');
	sbuf_add(&j->pend_raw, l->orig, l->orig_len);
	j->pend_lines++;
	if (!done)
		return 0;
	*out = pend_release(j, l, true);
	return 1;
}

/* ---------------------------------------------------------------------- */
/* the BUG line */

/* Would the BUG line take l as its continuation? */
static bool bug_wants(const struct pjoin *j, const char *s, size_t n)
{
	const char *t = j->bug_text.buf;
	size_t tl = j->bug_text.len;

	return !j->bug_titled || (tl >= 3 && !memcmp(t + tl - 3, " in", 3)) || (tl && t[tl - 1] == '/') ||
	       (tl >= 4 && !memcmp(t + tl - 4, " and", 4)) || s[0] == '[' || s[0] == '/' || mem_startswith(s, n, "and ");
}

/*
 * The line after a BUG line: true when it continued it (out[0], absorbed).
 * A continuation that parses without a title still re-reads the BUG line
 * (out[0], not absorbed) and the line stays a line of its own.
 */
static bool bug_feed(struct pjoin *j, const struct nline *l, enum lkind k, struct pjoin_line *out, int *nout)
{
	char *t = NULL;
	enum bug_type bt;
	int nf;
	bool inl;

	j->bug_open = false;
	if (k != L_OTHER || !l->len || !bug_wants(j, l->text, l->len))
		return false;
	sbuf_addc(&j->bug_text, ' ');
	sbuf_add(&j->bug_text, l->text, l->len);
	if (!parse_bug_line(j->bug_text.buf, j->bug_text.len, &t, &bt, &nf, &inl))
		return false;
	out[(*nout)++] = (struct pjoin_line){ L_BUG_MORE, j->bug_text.buf, j->bug_text.len, l, t != NULL };
	if (!t)
		return false;
	free(t);
	j->bug_open = true;
	j->bug_titled = true;
	return true;
}

/* ---------------------------------------------------------------------- */
/* a frame wrapped before its "(" */

bool pjoin_frame_tail(const char *name, size_t nlen, const char *s, size_t n, struct sbuf *joined, struct frame *f,
		      struct pframe_text *t)
{
	if (!n || s[0] != '(')
		return false;
	sbuf_reset(joined);
	sbuf_add(joined, name, nlen);
	sbuf_addc(joined, ' ');
	sbuf_add(joined, s, n);
	if (!pframe_parse(joined->buf, joined->len, false, f, t))
		return false;
	if (f->file)
		return true;
	frame_release(f);
	return false;
}

/* ---------------------------------------------------------------------- */

int pjoin_feed(struct pjoin *j, struct pline_ctx *c, const struct nline *l, enum lkind k,
	       struct pjoin_line out[PJOIN_MAX_OUT])
{
	int n = 0;

	if (j->pk != PJOIN_NONE) {
		int rc = pend_feed(j, c, l, k, out);

		if (rc >= 0)
			return rc;
		out[n++] = pend_release(j, l, false);
	}
	if (j->bug_open && bug_feed(j, l, k, out, &n))
		return n;
	out[n++] = (struct pjoin_line){ k, l->text, l->len, l, false };
	return n;
}

int pjoin_finish(struct pjoin *j, struct pjoin_line out[PJOIN_MAX_OUT])
{
	static const struct nline end = { .text = "", .orig = "" };

	j->bug_open = false;
	if (j->pk == PJOIN_NONE)
		return 0;
	out[0] = pend_release(j, &end, false);
	return 1;
}
