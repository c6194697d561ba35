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
		t = srctree_line(c->src, l->file, l->comp_dir, l->line);
		if (!t)
			continue;
		*used = true;
		if (l->frame && !l->frame->src && !l->own_func)
			l->frame->src = xstrdup(t);
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

/* A location whose function or file matches the rule (or the member's own functions). */
static const struct loc *func_hit(const struct rule *r, const struct rule_member *m, const struct loc *locs,
				  size_t n, bool member_only)
{
	for (size_t i = 0; i < n; i++) {
		if (m && m->functions.n) {
			if (locs[i].func && *locs[i].func && rule_function_matches(r, m, locs[i].func))
				return &locs[i];
			continue;
		}
		if (member_only)
			continue;
		if (locs[i].func && *locs[i].func && rule_function_matches(r, NULL, locs[i].func))
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
/* sentences */

static const char *size_word(uint64_t size)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "%llu-byte", (unsigned long long)size);
	return buf;
}

static void describe_loc(struct sbuf *sb, const struct loc *l)
{
	if (l->func && *l->func)
		sbuf_addf(sb, "%s()", l->func);
	else
		sbuf_adds(sb, "the top frame");
	if (l->file && l->line > 0) {
		const char *f = l->file, *top = NULL;

		/* show a path from the kernel tree, not a build machine's */
		if (f[0] == '/') {
			static const char *const dirs[] = { "/drivers/", "/kernel/", "/mm/", "/fs/", "/net/", "/arch/",
							    "/lib/", "/block/", "/include/", "/io_uring/", "/sound/", NULL };
			for (int i = 0; dirs[i] && !top; i++)
				top = strstr(f, dirs[i]);
			if (top)
				f = top + 1;
		}
		sbuf_addf(sb, " at %s:%d", f, l->line);
	}
}

static char *field_name(const struct cand *k)
{
	return xasprintf("struct %s.%s", k->r->name, k->m->name);
}

static void make_marking(struct report *r, const struct loc *l, const char *field, enum writer w)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_adds(&sb, "READ_ONCE() or data_race()");
	if (l && l->file && l->line > 0) {
		sbuf_adds(&sb, " in ");
		describe_loc(&sb, l);
	}
	sbuf_addf(&sb, " documents that the %s writes %s; it fixes no race (no CPU writes it)",
		  writer_name(w), field);
	set_str(&r->cls.marking, sbuf_detach(&sb));
}

/* ---------------------------------------------------------------------- */

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
	for (size_t ri = 0; ri < c->rules->n; ri++) {
		const struct rule *rule = &c->rules->v[ri];
		const struct loc *sh = func_hit(rule, NULL, mt->locs, mt->nl, false);

		for (size_t mi = 0; mi < rule->nmembers && mt->nc < MAX_CANDS; mi++) {
			const struct rule_member *m = &rule->members[mi];
			const struct loc *mh = m->functions.n ? func_hit(rule, m, mt->locs, mt->nl, true) : NULL;
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
static void add_excluded(struct classifier *c, struct sbuf *ev, const struct match *mt, const struct cand *k,
			 uint64_t size)
{
	bool first = true;

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
		sbuf_addf(ev, "%s%s (%s)", first ? "; excluded: " : ", ", m->name,
			  o.size != size ? "another size" : "another offset");
		first = false;
	}
}

static void device_origin(struct classifier *c, struct report *r, const struct match *mt)
{
	struct classification *cls = &r->cls;
	const struct access *a = &r->acc[0];
	const struct loc *locs = mt->locs;
	const struct cand *k;
	struct sbuf ev = SBUF_INIT, rs = SBUF_INIT;
	uint64_t align_mod;
	int nbest;

	k = best_candidate(mt, &nbest);
	cls->verdict = V_DEVICE_ORIGIN;
	cls->writer = k->r->writer;
	cls->confidence = (k->expr && nbest == 1) || mt->nc == 1 ? CONF_CERTAIN : CONF_LIKELY;
	set_str(&cls->field, field_name(k));
	set_str(&cls->rule, xasprintf("%s (%s)", k->r->name, k->r->origin));
	align_mod = a->addr % k->r->align;

	sbuf_addf(&ev, "a %s %s at 0x%llx, which is %llu mod %llu: ", size_word(a->size),
		  access_type_name(a->type), (unsigned long long)a->addr, (unsigned long long)align_mod,
		  (unsigned long long)k->r->align);
	sbuf_addf(&ev, "%s is %llu byte%s at offset %llu", k->m->name, (unsigned long long)k->size,
		  k->size == 1 ? "" : "s", (unsigned long long)k->offset);
	if (k->stride)
		sbuf_addf(&ev, " + n*%llu", (unsigned long long)k->stride);
	sbuf_addf(&ev, " of struct %s, which is %llu-aligned (layout from %s)", k->r->name,
		  (unsigned long long)k->r->align, k->dwarf ? "the vmlinux DWARF" : "the rule");
	add_excluded(c, &ev, mt, k, a->size);
	if (mt->nc > 1) {
		bool first = true;

		sbuf_adds(&ev, "; ");
		sbuf_adds(&ev, cls->confidence == CONF_CERTAIN ? "also fitting, but not read there: " :
				 "also fitting: ");
		for (size_t i = 0; i < mt->nc; i++) {
			if (&mt->cands[i] == k)
				continue;
			sbuf_addf(&ev, "%s%s.%s", first ? "" : ", ", mt->cands[i].r->name, mt->cands[i].m->name);
			first = false;
		}
	}
	sbuf_adds(&ev, "; ");
	if (k->expr) {
		sbuf_adds(&ev, "the source reads it: ");
		describe_loc(&ev, k->where);
		sbuf_addf(&ev, " is \"%s\"", k->where->text);
	} else {
		sbuf_adds(&ev, k->member_func ? "read in " : "in ");
		describe_loc(&ev, k->where);
		if (k->where->inlined && mt->nl > 1)
			sbuf_addf(&ev, ", inlined in %s()", locs[mt->nl - 1].func ? locs[mt->nl - 1].func : "?");
		if (!mt->src_used)
			sbuf_adds(&ev, " (no source tree to check the expression)");
	}
	sbuf_addf(&ev, "; the %s writes struct %s: %s", writer_name(k->r->writer), k->r->name, k->r->reference);
	set_str(&cls->evidence, sbuf_detach(&ev));
	make_marking(r, k->where, cls->field, cls->writer);

	sbuf_addf(&rs, "%s %s at %llu mod %llu in ", size_word(a->size), access_type_name(a->type),
		  (unsigned long long)align_mod, (unsigned long long)k->r->align);
	describe_loc(&rs, k->expr ? k->where : &locs[0]);
	sbuf_addf(&rs, "%s: %s, written by the %s", k->expr ? " (source checked)" : "", cls->field,
		  writer_name(cls->writer));
	set_str(&cls->reason, sbuf_detach(&rs));
}

/* No member fits: unknown origin, with the nearest rule when one matched the functions. */
static void no_fit(struct report *r, const struct match *mt)
{
	struct classification *cls = &r->cls;
	const struct access *a = &r->acc[0];
	const struct rule *near = mt->near;
	struct sbuf ev = SBUF_INIT;

	cls->verdict = V_UNKNOWN_ORIGIN;
	sbuf_addf(&ev, "the value changed but KCSAN saw no other access: the writer is not instrumented");
	if (near) {
		struct sbuf nm = SBUF_INIT;

		sbuf_adds(&nm, "in ");
		describe_loc(&nm, mt->near_loc);
		sbuf_addf(&nm, ", code that reads the %s-written struct %s (%s), but ", writer_name(near->writer),
			  near->name, near->family ? near->family : "knowledge base");
		if (a->has_addr && a->has_size)
			sbuf_addf(&nm, "a %s %s at %llu mod %llu matches none of its members", size_word(a->size),
				  access_type_name(a->type), (unsigned long long)(a->addr % near->align),
				  (unsigned long long)near->align);
		else
			sbuf_adds(&nm, "the report gives no address and size to match");
		set_str(&cls->near_miss, sbuf_detach(&nm));
		sbuf_addf(&ev, "; nearest rule: %s", cls->near_miss);
		set_str(&cls->reason, xasprintf("no device-written field fits: %s", cls->near_miss));
	} else {
		sbuf_adds(&ev, "; no rule of the knowledge base covers ");
		if (mt->nl)
			describe_loc(&ev, &mt->locs[0]);
		else
			sbuf_adds(&ev, "this stack");
		set_str(&cls->reason, xasprintf("unknown writer, no rule covers %s()",
						mt->nl && mt->locs[0].func ? mt->locs[0].func : "the top frame"));
	}
	sbuf_adds(&ev, ": needs a human (code built without KCSAN, assembly, a device, firmware or user space)");
	set_str(&cls->evidence, sbuf_detach(&ev));
	set_str(&cls->marking, xstrdup("find the writer first; then fix or mark as "
				       "tools/memory-model/Documentation/access-marking.txt describes"));
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
	if (c->rules && a->has_addr && a->has_size)
		find_candidates(c, a, &mt);
	if (mt.nc)
		device_origin(c, r, &mt);
	else
		no_fit(r, &mt);
	free_locations(mt.locs, mt.nl);
}

void classify_report(struct classifier *c, struct report *r)
{
	struct classification *cls = &r->cls;

	memset(cls, 0, sizeof(*cls));
	if (!r->unknown_origin || !r->nacc) {
		/* two stacks: KCSAN saw both accesses */
		cls->verdict = V_REAL_RACE;
		cls->level = 1;
		if (r->bug_type == BUG_ASSERT) {
			set_str(&cls->evidence, xstrdup("an ASSERT_EXCLUSIVE_*() assertion was violated by another "
							"kernel access: a real race, whatever memory it is on"));
			set_str(&cls->reason, xstrdup("assertion violated by another kernel access"));
		} else {
			set_str(&cls->evidence, xstrdup("KCSAN saw both accesses, from two kernel contexts (two "
							"stacks): a real race, whatever memory it is on"));
			set_str(&cls->reason, xstrdup("two stacks: both accesses are kernel code"));
		}
		set_str(&cls->marking, xstrdup("fix the locking, or mark both accesses (READ_ONCE()/WRITE_ONCE(); "
					       "data_race() for a benign race) as "
					       "tools/memory-model/Documentation/access-marking.txt describes"));
		return;
	}
	if (r->bug_type == BUG_ASSERT) {
		/* an assertion the code makes about its own memory: never device memory */
		cls->verdict = V_UNKNOWN_ORIGIN;
		cls->level = 1;
		set_str(&cls->evidence, xstrdup("an ASSERT_EXCLUSIVE_*() assertion saw the value change, but not "
						"the writer: it is not instrumented (a file built with "
						"KCSAN_SANITIZE := n, assembly): needs a human"));
		set_str(&cls->marking, xstrdup("find the uninstrumented writer (enable KCSAN where it lives)"));
		set_str(&cls->reason, xstrdup("assertion saw an unknown writer"));
		return;
	}
	classify_unknown_origin(c, r);
}
