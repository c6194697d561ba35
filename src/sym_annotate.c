/*
 * sym_annotate.c - symbolize the frames of a report in place: every frame
 * with an offset gets file, line and column, and the inline levels of its
 * address become frames of their own before it (innermost first), as
 * syzbot prints them.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "kt.h"
#include "sym.h"

static bool wants(const struct frame *f)
{
	return (f->has_off && !f->inlined && f->func) || (f->is_addr && f->addr);
}

void sym_request_of_frame(const struct frame *f, bool exact, struct sym_request *rq)
{
	memset(rq, 0, sizeof(*rq));
	if (f->is_addr) {
		/* a stack entry is a return address: the call is the byte before */
		rq->off = f->addr - 1;
		return;
	}
	rq->module = f->module;
	rq->func = f->func;
	rq->off = f->off;
	rq->size = f->size;
	rq->has_size = true;
	rq->exact = exact;
}

static void set_loc(struct frame *f, const struct sym_loc *l)
{
	const char *file = sym_loc_short_file(l);

	free(f->file);
	f->file = file ? xstrdup(file) : NULL;
	/* the base of a relative file, and the only place its source is read from */
	free(f->comp_dir);
	f->comp_dir = l->comp_dir ? xstrdup(l->comp_dir) : NULL;
	f->line = l->line;
	f->column = l->column;
	f->symbolized = true;
	f->given = false;
	free(f->sym_note);
	f->sym_note = NULL;
}

static void set_note(struct frame *f, const struct sym_result *r)
{
	free(f->sym_note);
	f->sym_note = r->note ? xstrdup(r->note) : NULL;
}

static void annotate_stack(struct symbolizer *s, struct access *a)
{
	struct sym_request *rq;
	const struct sym_result **res;
	struct frame *out = NULL;
	size_t n = a->nframes, nout = 0, cap = 0, nq = 0;
	size_t *qi;

	if (!n)
		return;
	rq = xcalloc(n, sizeof(*rq));
	res = xcalloc(n, sizeof(*res));
	qi = xcalloc(n, sizeof(*qi));
	for (size_t i = 0; i < n; i++) {
		qi[i] = SIZE_MAX;
		if (wants(&a->frames[i])) {
			sym_request_of_frame(&a->frames[i], false, &rq[nq]);
			qi[i] = nq++;
		}
	}
	sym_resolve_batch(s, rq, nq, res);

	for (size_t i = 0; i < n; i++) {
		struct frame *f = &a->frames[i];
		const struct sym_result *r = qi[i] != SIZE_MAX ? res[qi[i]] : NULL;

		if (f->inlined && f->given && !f->has_off) {
			/* a level the log gave: dropped when its frame gets ours */
			size_t k = i + 1;

			while (k < n && a->frames[k].inlined && a->frames[k].given && !a->frames[k].has_off)
				k++;
			if (k < n && qi[k] != SIZE_MAX && res[qi[k]]->status == SYM_OK) {
				frame_release(f);
				continue;
			}
		}
		if (!r || r->status != SYM_OK) {
			if (r)
				set_note(f, r);
			ALLOC_GROW(out, nout, cap);
			out[nout++] = *f;
			continue;
		}
		for (size_t l = 0; l + 1 < r->nchain; l++) {
			struct frame *g;

			ALLOC_GROW(out, nout, cap);
			g = &out[nout++];
			memset(g, 0, sizeof(*g));
			g->func = xstrdup(r->chain[l].func ? r->chain[l].func : "??");
			g->module = f->module ? xstrdup(f->module) : NULL;
			g->inlined = true;
			g->unreliable = f->unreliable;
			set_loc(g, &r->chain[l]);
		}
		set_loc(f, &r->chain[r->nchain - 1]);
		ALLOC_GROW(out, nout, cap);
		out[nout++] = *f;
	}
	free(a->frames);
	a->frames = out;
	a->nframes = nout;
	a->frames_cap = cap;
	free(rq);
	free(res);
	free(qi);
}

void sym_annotate_report(struct symbolizer *s, struct report *r)
{
	for (int i = 0; i < r->nacc && i < REPORT_MAX_ACCESSES; i++) {
		struct access *a = &r->acc[i];

		annotate_stack(s, a);
		if (a->reordered_to && wants(a->reordered_to)) {
			struct sym_request rq;
			const struct sym_result *res;

			sym_request_of_frame(a->reordered_to, false, &rq);
			sym_resolve_batch(s, &rq, 1, &res);
			if (res->status == SYM_OK)
				set_loc(a->reordered_to, &res->chain[res->nchain - 1]);
			else
				set_note(a->reordered_to, res);
		}
	}
}
