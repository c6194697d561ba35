/* cost_match.c - compare two builds: pair symbols, decode what changed, gather the facts. */
#define _GNU_SOURCE
#include <gelf.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "capstone_lazy.h"
#include "cost.h"
#include "rules.h"

struct cost_ent {
	const struct cost_sym *s;
	char *key;
	bool used;
};

struct cost_side {
	const struct cost_obj *o;
	struct cost_ent *e;
	size_t n;
};

typedef void (*cost_key_fn)(const char *name, char *out, size_t n);

static void cost_base_key(const char *name, char *out, size_t n)
{
	func_base_name(name, out, n);
}

static void cost_side_init(struct cost_side *sd, const struct cost_obj *o)
{
	sd->o = o;
	sd->n = 0;
	sd->e = xcalloc(o->nbyaddr ? o->nbyaddr : 1, sizeof(*sd->e));
	for (size_t i = 0; i < o->nbyaddr; i++)
		sd->e[sd->n++].s = &o->allsyms[o->byaddr[i]];
}

static void cost_side_release(struct cost_side *sd)
{
	for (size_t i = 0; i < sd->n; i++)
		free(sd->e[i].key);
	free(sd->e);
}

static int cost_ent_cmp(const void *a, const void *b)
{
	const struct cost_ent *x = *(struct cost_ent *const *)a, *y = *(struct cost_ent *const *)b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	return x->s->value < y->s->value ? -1 : x->s->value > y->s->value;
}

/* The unused entries of a side, keyed by fn and sorted by key. */
static struct cost_ent **cost_sorted(struct cost_side *sd, cost_key_fn fn, size_t *n)
{
	struct cost_ent **v = xcalloc(sd->n ? sd->n : 1, sizeof(*v));
	char buf[1024];

	*n = 0;
	for (size_t i = 0; i < sd->n; i++) {
		if (sd->e[i].used)
			continue;
		fn(sd->e[i].s->name, buf, sizeof(buf));
		free(sd->e[i].key);
		sd->e[i].key = xstrdup(buf);
		v[(*n)++] = &sd->e[i];
	}
	qsort(v, *n, sizeof(*v), cost_ent_cmp);
	return v;
}

/* The relocations of [start, start+size) in a section: first index and count. */
static size_t cost_rel_range(const struct cost_sec *sec, uint64_t start, uint64_t size, size_t *count)
{
	size_t lo = 0, hi = sec->nrel, k;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sec->rel[mid].off < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (k = lo; k < sec->nrel && sec->rel[k].off < start + size; k++)
		;
	*count = k - lo;
	return lo;
}

/* Same size, bytes and relocation targets. */
static bool cost_same_content(const struct cost_obj *oa, const struct cost_sym *a,
			      const struct cost_obj *ob, const struct cost_sym *b)
{
	const unsigned char *pa = cost_sym_bytes(oa, a), *pb = cost_sym_bytes(ob, b);
	const struct cost_sec *sa = &oa->secs[a->shndx], *sb = &ob->secs[b->shndx];
	size_t na, nb, ia, ib;

	if (a->size != b->size || a->kind != b->kind || (!pa) != (!pb) || (pa && memcmp(pa, pb, a->size)))
		return false;
	ia = cost_rel_range(sa, a->value, a->size, &na);
	ib = cost_rel_range(sb, b->value, b->size, &nb);
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		const struct cost_rel *ra = &sa->rel[ia + i], *rb = &sb->rel[ib + i];
		char ta[256], tb[256];

		if (ra->off - a->value != rb->off - b->value || ra->type != rb->type)
			return false;
		cost_rel_target(oa, ra, 0, ta, sizeof(ta));
		cost_rel_target(ob, rb, 0, tb, sizeof(tb));
		if (strcmp(ta, tb))
			return false;
	}
	return true;
}

/* Two addresses that name the same place: the same symbol and offset (or the function itself). */
static bool cost_same_place(const struct cost_obj *oa, const struct cost_sym *fa, uint64_t ta,
			    const struct cost_obj *ob, const struct cost_sym *fb, uint64_t tb)
{
	const struct cost_sym *sa, *sb;

	if (ta >= fa->value && ta < fa->value + fa->size)
		return tb - fb->value == ta - fa->value;
	sa = cost_sym_near(oa, 0, ta);
	sb = cost_sym_near(ob, 0, tb);
	return sa && sb && ta - sa->value == tb - sb->value && !strcmp(sa->name, sb->name);
}

static int64_t cost_le32(const unsigned char *p)
{
	return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

/*
 * Linked code that only moved, told without decoding: the bytes are equal
 * but for 4-byte fields that, read as a PC-relative target (ending the
 * instruction, or followed by an immediate) or a sign-extended absolute
 * address, name the same place on
 * both sides.  False sends the pair to the decoder, which decides.
 */
static bool cost_same_moved(const struct cost_obj *oa, const struct cost_sym *a,
			    const struct cost_obj *ob, const struct cost_sym *b)
{
	const unsigned char *x = cost_sym_bytes(oa, a), *y = cost_sym_bytes(ob, b);
	size_t n = (size_t)a->size, done = 0;

	if (!x || !y || oa->rel || a->size != b->size)
		return false;
	for (size_t i = 0; i < n;) {
		bool ok = false;

		if (x[i] == y[i]) {
			i++;
			continue;
		}
		for (size_t f = i >= done + 3 ? i - 3 : done; f <= i && f + 4 <= n && !ok; f++) {
			int64_t va = cost_le32(x + f), vb = cost_le32(y + f);

			/* the field ends the instruction, or an immediate of 1, 2 or 4 bytes follows it */
			for (int k = 0; k < 4 && !ok; k++) {
				uint64_t end = (uint64_t)f + 4 + (uint64_t)(k == 3 ? 4 : k);

				ok = cost_same_place(oa, a, a->value + end + (uint64_t)va, ob, b, b->value + end + (uint64_t)vb);
			}
			ok = ok || cost_same_place(oa, a, (uint64_t)va, ob, b, (uint64_t)vb);
			if (ok)
				i = done = f + 4;
		}
		if (!ok)
			return false;
	}
	return true;
}

static struct cost_func *cost_add(struct cost_result *res, size_t *cap, const struct cost_sym *o,
				  const struct cost_sym *n, enum cost_status st)
{
	struct cost_func *f;

	ALLOC_GROW(res->f, res->nf, *cap);
	f = &res->f[res->nf++];
	memset(f, 0, sizeof(*f));
	f->old = o;
	f->new = n;
	f->status = st;
	f->delta = (long long)(n ? n->size : 0) - (long long)(o ? o->size : 0);
	f->code = (o ? o->kind : n->kind) == 't';
	return f;
}

/* Pair the unused entries of both sides with equal keys: in order, or (renames) by content. */
static size_t cost_pair(struct cost_result *res, size_t *cap, struct cost_side *a, struct cost_side *b,
			cost_key_fn fn, bool rename)
{
	size_t na, nb, i = 0, j = 0, pairs = 0;
	struct cost_ent **va = cost_sorted(a, fn, &na), **vb = cost_sorted(b, fn, &nb);

	while (i < na && j < nb) {
		int c = strcmp(va[i]->key, vb[j]->key);
		size_t ei = i, ej = j;

		if (c) {
			c < 0 ? i++ : j++;
			continue;
		}
		while (ei < na && !strcmp(va[ei]->key, va[i]->key))
			ei++;
		while (ej < nb && !strcmp(vb[ej]->key, vb[j]->key))
			ej++;
		for (size_t x = i, y = j; x < ei; x++) {
			if (rename) {
				for (y = j; y < ej && (vb[y]->used || !cost_same_content(a->o, va[x]->s, b->o, vb[y]->s)); y++)
					;
			}
			if (y >= ej)
				break;
			va[x]->used = vb[y]->used = true;
			cost_add(res, cap, va[x]->s, vb[y]->s, rename ? COST_RENAMED : COST_UNCHANGED);
			pairs++;
			if (!rename)
				y++;
		}
		i = ei, j = ej;
	}
	free(va);
	free(vb);
	return pairs;
}

static bool cost_streams_equal(const struct cost_code *a, const struct cost_code *b)
{
	if (a->ninsn != b->ninsn)
		return false;
	for (size_t i = 0; i < a->ninsn; i++)
		if (strcmp(a->insn[i].text, b->insn[i].text))
			return false;
	return true;
}

struct cost_run {
	struct ctx *ctx;
	const struct cost_obj *oo, *no;
	struct cost_dis *dis;
	pcre2_code **re;          /* --function, PCRE2 as in the rules files */
	pcre2_match_data *md;
	pcre2_match_context *mc;
	int nre;
	struct cost_lines *lo, *ln;
	bool lines_tried;
};

static bool cost_name_matches(const struct cost_run *r, int i, const char *name)
{
	return pcre2_match(r->re[i], (PCRE2_SPTR)name, PCRE2_ZERO_TERMINATED, 0, 0, r->md, r->mc) >= 0;
}

static bool cost_selected(const struct cost_run *r, const struct cost_func *f)
{
	for (int i = 0; i < r->nre; i++)
		if ((f->old && cost_name_matches(r, i, f->old->name)) || (f->new && cost_name_matches(r, i, f->new->name)))
			return true;
	return false;
}

/* Status of a pair, decoding code of equal size whose bytes differ. */
static void cost_classify(struct cost_run *r, struct cost_func *f)
{
	if (f->status == COST_RENAMED || !f->old || !f->new) {
		f->status = f->status == COST_RENAMED ? COST_RENAMED : f->old ? COST_REMOVED : COST_ADDED;
		return;
	}
	if (f->delta) {
		f->status = f->delta > 0 ? COST_GROWN : COST_SHRUNK;
		return;
	}
	if (cost_same_content(r->oo, f->old, r->no, f->new)) {
		f->status = COST_UNCHANGED;
		return;
	}
	if (!f->code) {
		f->status = r->oo->rel ? COST_CHANGED : COST_UNCHANGED;
		return;
	}
	if (!cost_selected(r, f) && cost_same_moved(r->oo, f->old, r->no, f->new)) {
		f->status = COST_UNCHANGED;
		return;
	}
	cost_decode(r->dis, r->oo, f->old, &f->oc);
	cost_decode(r->dis, r->no, f->new, &f->nc);
	f->status = !f->oc.decoded || cost_streams_equal(&f->oc, &f->nc) ? COST_UNCHANGED : COST_CHANGED;
}

/* The mnemonic and the operands of a normalised instruction, split at depth-0 commas. */
static int cost_operands(const char *text, char *mn, size_t mnn, char ops[][128], int maxops)
{
	const char *sp = strchr(text, ' '), *p;
	int n = 0, depth = 0;
	size_t k = 0;

	snprintf(mn, mnn, "%.*s", sp ? (int)(sp - text) : (int)strlen(text), text);
	if (!sp)
		return 0;
	for (p = sp + 1; n < maxops; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		if (!*p || (*p == ',' && depth == 0) || *p == ' ') {
			ops[n++][k] = 0;
			k = 0;
			if (!*p || *p == ' ')
				break;
			continue;
		}
		if (k + 1 < 128)
			ops[n][k++] = *p;
	}
	return n;
}

/* "cmpw" -> "cmp": the operation a load was folded into, or NULL. */
static char *cost_fold_op(const char *mn)
{
	static const char *const ops[] = { "cmp", "test", "add", "sub", "and", "or", "xor", "adc", "sbb", "imul", NULL };

	for (int i = 0; ops[i]; i++) {
		size_t l = strlen(ops[i]);

		if (!strncmp(mn, ops[i], l) && (!mn[l] || (strchr("bwlq", mn[l]) && !mn[l + 1])))
			return xstrdup(ops[i]);
	}
	return NULL;
}

static void cost_add_fold(struct cost_func *f, char *op)
{
	for (size_t i = 0; i < f->nfolds; i++)
		if (!strcmp(f->folds[i].op, op)) {
			f->folds[i].n++;
			free(op);
			return;
		}
	f->folds = xrealloc(f->folds, (f->nfolds + 1) * sizeof(*f->folds));
	f->folds[f->nfolds++] = (struct cost_fold){ op, 1 };
}

/* An added line that is "op" without a memory operand, or a "mov" that loads. */
static bool cost_added(const struct cost_func *f, const char *op, bool load)
{
	char mn[64], ops[3][128];

	for (size_t j = 0; j < f->nchg; j++) {
		int n = f->chg[j].op == '+' ? cost_operands(f->chg[j].text, mn, sizeof(mn), ops, 3) : 0;
		char *base = n && !load ? cost_fold_op(mn) : NULL;
		bool hit = false;

		if (load)
			hit = n >= 2 && !strncmp(mn, "mov", 3) && strchr(ops[0], '(');
		else if (base && !strcmp(base, op))
			hit = !strchr(f->chg[j].text, '(');
		free(base);
		if (hit)
			return true;
	}
	return false;
}

/*
 * A removed "op mem,reg" where the new code loads with a "mov" and does "op"
 * on registers: the load is no longer folded into the operation.
 */
static void cost_find_folds(struct cost_func *f)
{
	char mn[64], ops[3][128];

	for (size_t i = 0; i < f->nchg; i++) {
		int n = f->chg[i].op == '-' ? cost_operands(f->chg[i].text, mn, sizeof(mn), ops, 3) : 0;
		char *op = n ? cost_fold_op(mn) : NULL;

		if (op && strchr(f->chg[i].text, '(') && cost_added(f, op, false) && cost_added(f, op, true))
			cost_add_fold(f, op);
		else
			free(op);
	}
}

/* Removed and added calls, paired in order: "calls Y instead of X". */
static void cost_find_swaps(struct cost_func *f)
{
	size_t i = 0, j = 0;
	char mn[64], ops[3][128], mn2[64], ops2[3][128];

	for (;;) {
		while (i < f->nchg && !(f->chg[i].op == '-' && cost_operands(f->chg[i].text, mn, sizeof(mn), ops, 3) == 1 &&
					!strncmp(mn, "call", 4)))
			i++;
		while (j < f->nchg && !(f->chg[j].op == '+' && cost_operands(f->chg[j].text, mn2, sizeof(mn2), ops2, 3) == 1 &&
					!strncmp(mn2, "call", 4)))
			j++;
		if (i >= f->nchg || j >= f->nchg)
			break;
		if (strcmp(ops[0], ops2[0])) {
			bool seen = false;

			for (size_t k = 0; k < f->nswaps && !seen; k++)
				seen = !strcmp(f->swaps[k].from, ops[0]) && !strcmp(f->swaps[k].to, ops2[0]);
			if (!seen) {
				f->swaps = xrealloc(f->swaps, (f->nswaps + 1) * sizeof(*f->swaps));
				f->swaps[f->nswaps++] = (struct cost_callswap){ xstrdup(ops[0]), xstrdup(ops2[0]) };
			}
		}
		i++, j++;
	}
}

static void cost_build_changes(struct cost_run *r, struct cost_func *f)
{
	char **ta = xcalloc(f->oc.ninsn + 1, sizeof(char *)), **tb = xcalloc(f->nc.ninsn + 1, sizeof(char *));
	struct cost_dline *d;
	size_t nd;
	char src[512];

	for (size_t i = 0; i < f->oc.ninsn; i++)
		ta[i] = f->oc.insn[i].text;
	for (size_t i = 0; i < f->nc.ninsn; i++)
		tb[i] = f->nc.insn[i].text;
	nd = cost_diff(ta, f->oc.ninsn, tb, f->nc.ninsn, &d);
	if (!r->lines_tried) {
		r->lo = cost_lines_open(r->oo);
		r->ln = cost_lines_open(r->no);
		r->lines_tried = true;
	}
	f->chg = xcalloc(nd + 1, sizeof(*f->chg));
	for (size_t k = 0; k < nd; k++) {
		bool old = d[k].op == '-';
		const struct cost_insn *in = old ? &f->oc.insn[d[k].idx] : &f->nc.insn[d[k].idx];
		const struct cost_sym *s = old ? f->old : f->new;

		f->chg[k].op = d[k].op;
		f->chg[k].text = xstrdup(in->text);
		if (cost_lines_at(old ? r->lo : r->ln, s->shndx, in->addr, src, sizeof(src)))
			f->chg[k].src = xstrdup(src);
	}
	f->nchg = nd;
	free(d);
	free(ta);
	free(tb);
}

/* Decode what is shown, diff it, gather the facts; release the rest. */
static void cost_examine(struct cost_run *r, struct cost_func *f)
{
	bool changed = f->status == COST_GROWN || f->status == COST_SHRUNK || f->status == COST_CHANGED;

	f->shown = f->code && (changed || cost_selected(r, f)) && r->dis;
	if (!f->shown) {
		cost_code_release(&f->oc);
		cost_code_release(&f->nc);
		return;
	}
	if (f->old && !f->oc.decoded)
		cost_decode(r->dis, r->oo, f->old, &f->oc);
	if (f->new && !f->nc.decoded)
		cost_decode(r->dis, r->no, f->new, &f->nc);
	if (f->old && f->new && f->status != COST_UNCHANGED && f->status != COST_RENAMED) {
		cost_build_changes(r, f);
		cost_find_folds(f);
		cost_find_swaps(f);
	}
}

/* Pair the symbols: by name, by base name, renames by content; the rest added or removed. */
static void cost_pair_all(struct cost_result *res, const struct cost_obj *old, const struct cost_obj *new)
{
	struct cost_side a, b;
	size_t cap = 0, pairs;

	cost_side_init(&a, old);
	cost_side_init(&b, new);
	pairs = cost_pair(res, &cap, &a, &b, cost_match_key, false);
	pairs += cost_pair(res, &cap, &a, &b, cost_base_key, false);
	res->n_matched = (long)pairs;
	cost_pair(res, &cap, &a, &b, cost_rename_key, true);
	for (size_t i = 0; i < a.n; i++)
		if (!a.e[i].used)
			cost_add(res, &cap, a.e[i].s, NULL, COST_REMOVED);
	for (size_t i = 0; i < b.n; i++)
		if (!b.e[i].used)
			cost_add(res, &cap, NULL, b.e[i].s, COST_ADDED);
	res->unrelated = a.n && b.n && pairs * 10 < (a.n < b.n ? a.n : b.n);
	cost_side_release(&a);
	cost_side_release(&b);
}

static int cost_compile(struct ctx *ctx, struct cost_run *r, const struct cost_opts *opts)
{
	r->re = xcalloc((size_t)opts->nfunc_re + 1, sizeof(*r->re));
	for (int i = 0; i < opts->nfunc_re; i++) {
		int err;
		PCRE2_SIZE off;

		r->re[i] = pcre2_compile((PCRE2_SPTR)opts->func_re[i], PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
		if (!r->re[i]) {
			PCRE2_UCHAR msg[256];

			pcre2_get_error_message(err, msg, sizeof(msg));
			kt_error(ctx, KT_EXIT_USAGE, NULL, "--function '%s': %s at offset %zu", opts->func_re[i],
				 (char *)msg, (size_t)off);
			return -1;
		}
		pcre2_jit_compile(r->re[i], PCRE2_JIT_COMPLETE);
		r->nre++;
	}
	if (!r->nre)
		return 0;
	r->md = pcre2_match_data_create(1, NULL);
	r->mc = pcre2_match_context_create(NULL);
	if (!r->md || !r->mc)
		kt_die("out of memory (PCRE2 match data)");
	/* the rules files' limits: a catastrophic pattern is no match, not a hang */
	pcre2_set_match_limit(r->mc, RULES_MATCH_LIMIT);
	pcre2_set_depth_limit(r->mc, RULES_DEPTH_LIMIT);
	pcre2_set_heap_limit(r->mc, RULES_HEAP_LIMIT_KIB);
	return 0;
}

static int cost_func_cmp(const void *a, const void *b)
{
	const struct cost_func *x = a, *y = b;
	const char *nx = x->new ? x->new->name : x->old->name, *ny = y->new ? y->new->name : y->old->name;

	if (x->delta != y->delta)
		return x->delta > y->delta ? -1 : 1;
	return strcmp(nx, ny);
}

static void cost_count_status(struct cost_result *res)
{
	for (size_t i = 0; i < res->nf; i++) {
		const struct cost_func *f = &res->f[i];

		res->old_total += f->old ? (long long)f->old->size : 0;
		res->new_total += f->new ? (long long)f->new->size : 0;
		switch (f->status) {
		case COST_UNCHANGED: res->n_unchanged++; break;
		case COST_GROWN: res->n_grown++; break;
		case COST_SHRUNK: res->n_shrunk++; break;
		case COST_CHANGED: res->n_changed++; break;
		case COST_ADDED: res->n_added++; break;
		case COST_REMOVED: res->n_removed++; break;
		case COST_RENAMED: res->n_renamed++; break;
		}
	}
	res->net = res->new_total - res->old_total;
}

static void cost_note_missing(struct cost_result *res, const struct cost_obj *old, const struct cost_obj *new)
{
	if (!old->nbyaddr)
		res->missing[res->nmissing++] = "OLD has no symbol table (stripped): no per-function sizes";
	if (!new->nbyaddr)
		res->missing[res->nmissing++] = "NEW has no symbol table (stripped): no per-function sizes";
	if (!old->has_dwarf || !new->has_dwarf)
		res->missing[res->nmissing++] = "no DWARF line table in OLD or NEW: no source lines";
}

int cost_compare(struct ctx *ctx, const struct cost_obj *old, const struct cost_obj *new,
		 const struct cost_opts *opts, struct cost_result *res)
{
	struct cost_run r = { .ctx = ctx, .oo = old, .no = new };
	int rc = 0;

	memset(res, 0, sizeof(*res));
	res->old = old;
	res->new = new;
	if (cost_compile(ctx, &r, opts) < 0) {
		rc = -1;
		goto out;
	}
	r.dis = cost_dis_new(old->machine, old->elfclass);
	if (!r.dis && (old->machine == EM_X86_64 || old->machine == EM_386) && capstone_lazy_error())
		kt_warn(ctx, NULL, "the disassembler (capstone) cannot be loaded: %s; only sizes are compared",
			capstone_lazy_error());
	res->no_decoder = !r.dis;
	res->sections_only = !old->nbyaddr || !new->nbyaddr;
	if (!res->sections_only)
		cost_pair_all(res, old, new);
	for (size_t i = 0; i < res->nf; i++)
		cost_classify(&r, &res->f[i]);
	if (res->nf)
		qsort(res->f, res->nf, sizeof(*res->f), cost_func_cmp);
	for (size_t i = 0; i < res->nf; i++)
		cost_examine(&r, &res->f[i]);
	cost_count_status(res);
	if (res->sections_only) {
		/* sizes from what is left: the sections */
		for (int c = 0; c < COST_NCLASS; c++) {
			res->old_total += (long long)old->class_total[c];
			res->new_total += (long long)new->class_total[c];
		}
		res->net = res->new_total - res->old_total;
	}
	cost_note_missing(res, old, new);
out:
	for (int i = 0; i < r.nre; i++)
		pcre2_code_free(r.re[i]);
	free(r.re);
	pcre2_match_data_free(r.md);
	pcre2_match_context_free(r.mc);
	cost_dis_free(r.dis);
	cost_lines_close(r.lo);
	cost_lines_close(r.ln);
	return rc;
}

void cost_result_release(struct cost_result *res)
{
	for (size_t i = 0; i < res->nf; i++) {
		struct cost_func *f = &res->f[i];

		cost_code_release(&f->oc);
		cost_code_release(&f->nc);
		for (size_t k = 0; k < f->nchg; k++) {
			free(f->chg[k].text);
			free(f->chg[k].src);
		}
		free(f->chg);
		for (size_t k = 0; k < f->nfolds; k++)
			free(f->folds[k].op);
		free(f->folds);
		for (size_t k = 0; k < f->nswaps; k++) {
			free(f->swaps[k].from);
			free(f->swaps[k].to);
		}
		free(f->swaps);
	}
	free(res->f);
	memset(res, 0, sizeof(*res));
}
