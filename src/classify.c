/* classify.c - decide a report's verdict from its shape and the knowledge base. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "rules.h"
#include "srctree.h"

#define MAX_LOCS 16
#define MAX_CANDS 32

struct layout_cache {
	const struct rule *rule;
	const struct rule_member *member;
	char *module;
	int found;                 /* 1 DWARF has it, 0/-1 not: use the rule */
	uint64_t offset, size, stride;
};

struct classifier {
	const struct rules *rules;
	struct srctree *src;
	layout_fn layout;
	void *layout_data;
	variable_fn variable;
	void *variable_data;
	struct layout_cache *lc;
	size_t nlc, lccap;
};

/* One source location of the top of the racy access's stack, innermost first. */
struct loc {
	const char *func;          /* may be empty (decode_stacktrace inline levels) */
	char *own_func;            /* func, when the log gave it inside a frame */
	char *file;
	const char *comp_dir;
	int line;
	char *text;                /* the source line (and its statement), when read */
	struct frame *frame;       /* the frame it belongs to */
	bool inlined;
};

struct cand {
	const struct rule *r;
	const struct rule_member *m;
	uint64_t offset, size, stride;
	bool dwarf;                /* layout from DWARF */
	bool member_func;          /* the member's own function patterns matched */
	bool expr;                 /* the source expression matched */
	const struct loc *where;   /* the location that matched (function or expression) */
};

struct classifier *classifier_new(const struct rules *rules, struct srctree *src)
{
	struct classifier *c = xcalloc(1, sizeof(*c));

	c->rules = rules;
	c->src = src;
	return c;
}

void classifier_set_layout(struct classifier *c, layout_fn fn, void *data)
{
	c->layout = fn;
	c->layout_data = data;
}

void classifier_set_variable(struct classifier *c, variable_fn fn, void *data)
{
	c->variable = fn;
	c->variable_data = data;
}

void classifier_free(struct classifier *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nlc; i++)
		free(c->lc[i].module);
	free(c->lc);
	free(c);
}

static void set_str(char **dst, char *v)
{
	free(*dst);
	*dst = v;
}

/* ---------------------------------------------------------------------- */
/* the top of the stack */

/* Split "file.c:123" into a new file string and a line. */
static char *split_loc(const char *s, int *line)
{
	const char *colon = strrchr(s, ':');

	if (!colon)
		return NULL;
	*line = atoi(colon + 1);
	return xstrndup(s, (size_t)(colon - s));
}

/*
 * The locations of the access: the inline levels of the top frame (from the
 * symbolizer, syzbot's "[inline]" frames, or the log's decode_stacktrace /
 * faddr2line annotations), innermost first, then the first real frame.
 */
static size_t top_locations(struct report *r, struct loc *locs)
{
	struct access *a = &r->acc[0];
	size_t n = 0;

	for (size_t i = 0; i < a->nframes && n < MAX_LOCS; i++) {
		struct frame *f = &a->frames[i];

		if (f->unreliable)
			continue;
		if (f->locs) {
			/* the log's inline levels inside this frame come first */
			const char *p = f->locs;

			while (*p && n < MAX_LOCS - 1) {
				const char *nl = strchr(p, '\n'), *tab = strchr(p, '\t');
				char *loc;

				if (!nl)
					nl = p + strlen(p);
				if (!tab || tab > nl)
					break;
				loc = xstrndup(tab + 1, (size_t)(nl - tab - 1));
				memset(&locs[n], 0, sizeof(locs[n]));
				locs[n].own_func = xstrndup(p, (size_t)(tab - p));
				locs[n].func = locs[n].own_func;
				locs[n].file = split_loc(loc, &locs[n].line);
				locs[n].frame = f;
				locs[n].inlined = true;
				free(loc);
				n++;
				p = *nl ? nl + 1 : nl;
			}
		}
		memset(&locs[n], 0, sizeof(locs[n]));
		locs[n].func = f->func;
		locs[n].file = f->file ? xstrdup(f->file) : NULL;
		locs[n].comp_dir = f->comp_dir;
		locs[n].line = f->line;
		locs[n].frame = f;
		locs[n].inlined = f->inlined;
		n++;
		if (!f->inlined)
			break;
	}
	return n;
}

static void free_locations(struct loc *locs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(locs[i].file);
		free(locs[i].text);
		free(locs[i].own_func);
	}
}

/*
 * The source of a location: its line, and the lines before it when they
 * continue the same statement (an expression split over lines).
 */
static void read_sources(struct classifier *c, struct loc *locs, size_t n, bool *used)
{
	for (size_t i = 0; i < n; i++) {
		struct loc *l = &locs[i];
		const char *t;
		char *text;

		if (!c->src || !l->file || l->line <= 0)
			continue;
		/* a frame's own line is kept in the frame; the log's inline levels are not frames */
		if (l->frame && !l->own_func)
			t = srctree_frame_line(c->src, l->frame);
		else
			t = srctree_line(c->src, l->file, l->comp_dir, l->line);
		if (!t)
			continue;
		*used = true;
		text = xstrdup(t);
		for (int k = 1; k <= 2 && l->line - k > 0; k++) {
			const char *prev = srctree_line(c->src, l->file, l->comp_dir, l->line - k);
			size_t pl;

			if (!prev)
				break;
			pl = strlen(prev);
			if (!pl || prev[pl - 1] == ';' || prev[pl - 1] == '{' || prev[pl - 1] == '}' ||
			    prev[0] == '#' || !strncmp(prev, "/*", 2) || !strncmp(prev, "//", 2) || prev[0] == '*')
				break;
			set_str(&text, xasprintf("%s %s", prev, text));
		}
		l->text = text;
	}
}

/* ---------------------------------------------------------------------- */
/* matching */

/* The DWARF layout of a member, looked up once per (rule, member, module). */
static const struct layout_cache *layout_lookup(struct classifier *c, const struct rule *r,
						const struct rule_member *m, const char *module)
{
	struct layout_cache *e;

	for (size_t i = 0; i < c->nlc; i++) {
		e = &c->lc[i];
		if (e->rule == r && e->member == m &&
		    ((!e->module && !module) || (e->module && module && !strcmp(e->module, module))))
			return e;
	}
	ALLOC_GROW(c->lc, c->nlc, c->lccap);
	e = &c->lc[c->nlc++];
	memset(e, 0, sizeof(*e));
	e->rule = r;
	e->member = m;
	e->module = module ? xstrdup(module) : NULL;
	e->found = c->layout(c->layout_data, module, r->name, m->name, &e->offset, &e->size, &e->stride);
	if (e->found != 1 && module) {
		/* the struct may live in vmlinux's DWARF */
		e->found = c->layout(c->layout_data, NULL, r->name, m->name, &e->offset, &e->size, &e->stride);
	}
	return e;
}

/* The member's layout: from DWARF when it has it, else the rule's. */
static void layout_of(struct classifier *c, const struct rule *r, const struct rule_member *m,
		      const char *module, struct cand *out)
{
	const struct layout_cache *e;

	out->offset = m->offset;
	out->size = m->size;
	out->stride = m->stride;
	out->dwarf = false;
	if (!c->layout || !m->dwarf)
		return;
	e = layout_lookup(c, r, m, module);
	if (e->found == 1) {
		out->offset = e->offset;
		out->size = e->size;
		out->stride = e->stride ? e->stride : m->stride;
		out->dwarf = true;
	}
}

static bool fits(const struct rule *r, const struct cand *k, uint64_t addr, uint64_t size)
{
	struct rule_member m = { .offset = k->offset, .size = k->size, .stride = k->stride };

	return rule_member_fits(r, &m, addr, size);
}

/*
 * A location whose function or file matches the rule (or the member's own
 * functions); names[i] is locs[i]'s function looked up in the rules' index.
 */
static const struct loc *func_hit(const struct rule *r, const struct rule_member *m, const struct loc *locs,
				  const struct rules_name *names, size_t n, bool member_only)
{
	for (size_t i = 0; i < n; i++) {
		if (m && m->functions.n) {
			if (locs[i].func && *locs[i].func && rule_function_name_matches(r, m, &names[i]))
				return &locs[i];
			continue;
		}
		if (member_only)
			continue;
		if (locs[i].func && *locs[i].func && rule_function_name_matches(r, NULL, &names[i]))
			return &locs[i];
		if (rule_file_matches(r, locs[i].file))
			return &locs[i];
	}
	return NULL;
}

static const struct loc *expr_hit(const struct rule_member *m, const struct loc *locs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (locs[i].text && pattern_match(&m->expr, locs[i].text))
			return &locs[i];
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* facts */

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void set_place(struct cls_place *p, const struct loc *l)
{
	free(p->func);
	free(p->file);
	p->func = dup_or_null(l->func);
	p->file = dup_or_null(l->file);
	p->line = l->line;
}

/* The rule's own facts (the one that fits, or the nearest). */
static void set_rule(struct classification *cls, const struct rule *r)
{
	set_str(&cls->rule, xstrdup(r->name));
	set_str(&cls->origin, dup_or_null(r->origin));
	set_str(&cls->family, dup_or_null(r->family));
	set_str(&cls->reference, dup_or_null(r->reference));
	cls->rule_writer = r->writer;
	cls->align = r->align;
}

/* Which fitting member to name: the source expression, then a member's own functions. */
static int cand_rank(const struct cand *k)
{
	return (k->expr ? 2 : 0) + (k->member_func ? 1 : 0);
}

/* What the top of an unknown-origin access's stack says, and which rule members fit it. */
struct match {
	struct loc locs[MAX_LOCS];
	size_t nl;
	struct cand cands[MAX_CANDS];
	size_t nc;
	bool src_used;
	const char *module;          /* the top frame's module; NULL for vmlinux */
	const struct rule *near;     /* the first rule whose functions matched, fitting or not */
	const struct loc *near_loc;
};

/* Every member of every rule whose functions match the stack and whose layout fits the access. */
static void find_candidates(struct classifier *c, const struct access *a, struct match *mt)
{
	struct rules_name names[MAX_LOCS];   /* the functions of mt->locs, looked up once */
	bool maybe = false;

	for (size_t i = 0; i < mt->nl; i++) {
		rules_name_init(c->rules, &names[i], mt->locs[i].func);
		maybe |= names[i].maybe || mt->locs[i].file;
	}
	if (!maybe)
		return;   /* no rule lists these functions, and there is no file to match */
	for (size_t ri = 0; ri < c->rules->n; ri++) {
		const struct rule *rule = &c->rules->v[ri];
		const struct loc *sh = func_hit(rule, NULL, mt->locs, names, mt->nl, false);

		for (size_t mi = 0; mi < rule->nmembers && mt->nc < MAX_CANDS; mi++) {
			const struct rule_member *m = &rule->members[mi];
			const struct loc *mh = m->functions.n ? func_hit(rule, m, mt->locs, names, mt->nl, true) : NULL;
			const struct loc *eh;
			struct cand k = { .r = rule, .m = m };

			/* a member's own function patterns narrow the struct's */
			if (m->functions.n ? !mh : !sh)
				continue;
			if (!mt->near) {
				mt->near = rule;
				mt->near_loc = mh ? mh : sh;
			}
			layout_of(c, rule, m, mt->module, &k);
			if (!fits(rule, &k, a->addr, a->size))
				continue;
			k.member_func = mh != NULL;
			k.where = mh ? mh : sh;
			if ((eh = expr_hit(m, mt->locs, mt->nl))) {
				k.expr = true;
				k.where = eh;
			}
			mt->cands[mt->nc++] = k;
		}
	}
}

/* The strongest signal wins: expression, then a member's own functions, then layout; ties go to the first. */
static const struct cand *best_candidate(const struct match *mt, int *nbest)
{
	const struct cand *k = NULL;
	int best = -1;

	*nbest = 0;
	for (size_t i = 0; i < mt->nc; i++)
		if (cand_rank(&mt->cands[i]) > best)
			best = cand_rank(&mt->cands[i]);
	for (size_t i = 0; i < mt->nc; i++)
		if (cand_rank(&mt->cands[i]) == best) {
			if (!k)
				k = &mt->cands[i];
			(*nbest)++;
		}
	return k;
}

/* The other members of k's struct that are no candidate, and why they are out. */
static void add_excluded(struct classifier *c, struct classification *cls, const struct match *mt,
			 const struct cand *k, uint64_t size)
{
	size_t cap = 0;

	for (size_t mi = 0; mi < k->r->nmembers; mi++) {
		const struct rule_member *m = &k->r->members[mi];
		struct cand o = { .r = k->r, .m = m };
		bool listed = false;

		if (m == k->m)
			continue;
		for (size_t i = 0; i < mt->nc; i++)
			listed |= mt->cands[i].m == m;
		if (listed)
			continue;
		layout_of(c, k->r, m, mt->module, &o);
		ALLOC_GROW(cls->excluded, cls->nexcluded, cap);
		cls->excluded[cls->nexcluded].member = xstrdup(m->name);
		cls->excluded[cls->nexcluded++].why = o.size != size ? EXCL_SIZE : EXCL_OFFSET;
	}
}

static void device_origin(struct classifier *c, struct report *r, const struct match *mt)
{
	struct classification *cls = &r->cls;
	const struct cand *k;
	size_t cap = 0;
	int nbest;

	k = best_candidate(mt, &nbest);
	cls->verdict = V_DEVICE_ORIGIN;
	cls->basis = BASIS_MEMBER_FITS;
	cls->writer = k->r->writer;
	cls->confidence = (k->expr && nbest == 1) || mt->nc == 1 ? CONF_CERTAIN : CONF_LIKELY;
	set_rule(cls, k->r);
	set_str(&cls->member, xstrdup(k->m->name));
	cls->offset = k->offset;
	cls->member_size = k->size;
	cls->stride = k->stride;
	cls->layout = k->dwarf ? LAYOUT_DWARF : LAYOUT_RULE;
	add_excluded(c, cls, mt, k, r->acc[0].size);
	for (size_t i = 0; i < mt->nc; i++) {
		if (&mt->cands[i] == k)
			continue;
		ALLOC_GROW(cls->also, cls->nalso, cap);
		cls->also[cls->nalso++] = xasprintf("%s.%s", mt->cands[i].r->name, mt->cands[i].m->name);
	}
	set_place(&cls->where, k->where);
	cls->expr_matched = k->expr;
	cls->member_func = k->member_func;
	if (k->expr)
		set_str(&cls->expr, xstrdup(k->where->text));
	if (k->where->inlined && mt->nl > 1)
		set_str(&cls->inlined_in, xstrdup(mt->locs[mt->nl - 1].func ? mt->locs[mt->nl - 1].func : "?"));
}

/* No member fits: unknown origin, with the nearest rule when one matched the functions. */
static void no_fit(struct report *r, const struct match *mt)
{
	struct classification *cls = &r->cls;

	cls->verdict = V_UNKNOWN_ORIGIN;
	if (mt->near) {
		cls->basis = BASIS_NEAR_MISS;
		set_rule(cls, mt->near);
		set_place(&cls->where, mt->near_loc);
	} else {
		cls->basis = BASIS_NO_RULE;
	}
}

static void classify_unknown_origin(struct classifier *c, struct report *r)
{
	const struct access *a = &r->acc[0];
	struct match mt = { .nl = 0 };
	bool symbolized = false;

	mt.nl = top_locations(r, mt.locs);
	read_sources(c, mt.locs, mt.nl, &mt.src_used);
	for (size_t i = 0; i < a->nframes; i++) {
		symbolized |= a->frames[i].symbolized;
		if (!mt.module && a->frames[i].module)
			mt.module = a->frames[i].module;
		if (!a->frames[i].inlined)
			break;
	}
	r->cls.level = 1 + (symbolized ? 1 : 0) + (mt.src_used ? 1 : 0);
	r->cls.source_read = mt.src_used;
	if (mt.nl) {
		set_place(&r->cls.top, &mt.locs[0]);
		r->cls.has_top = true;
	}
	if (c->rules && a->has_addr && a->has_size)
		find_candidates(c, a, &mt);
	if (mt.nc)
		device_origin(c, r, &mt);
	else
		no_fit(r, &mt);
	/* kernel image or module memory: the DMA API maps no such memory for a device, user space maps none */
	if (r->cls.verdict == V_DEVICE_ORIGIN && r->cls.var.basis != VARB_NONE && r->cls.writer != W_HYPERVISOR)
		r->cls.confidence = CONF_LIKELY;
	free_locations(mt.locs, mt.nl);
}

void classify_report(struct classifier *c, struct report *r)
{
	struct classification *cls = &r->cls;

	classification_release(cls);
	cls->stacks = r->nacc;
	cls->level = 1;
	if (r->nacc) {
		cls->acc_type = r->acc[0].type;
		cls->has_addr = r->acc[0].has_addr;
		cls->has_size = r->acc[0].has_size;
		cls->addr = r->acc[0].addr;
		cls->size = r->acc[0].size;
		if (c->variable && cls->has_addr)
			c->variable(c->variable_data, r, 0, &cls->var);
	}
	if (!r->unknown_origin || !r->nacc) {
		/* KCSAN saw both accesses (it says "unknown origin" when it did not) */
		cls->verdict = V_REAL_RACE;
		if (!r->unknown_origin && r->nacc < 2 && !r->truncated)
			cls->basis = BASIS_ONE_STACK;
		else
			cls->basis = r->bug_type == BUG_ASSERT ? BASIS_ASSERT_RACE : BASIS_TWO_STACKS;
		return;
	}
	if (r->bug_type == BUG_ASSERT) {
		/* an assertion the code makes about its own memory: never device memory */
		cls->verdict = V_UNKNOWN_ORIGIN;
		cls->basis = BASIS_ASSERT_UNKNOWN;
		return;
	}
	classify_unknown_origin(c, r);
}
