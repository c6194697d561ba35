/*
 * sym_dwarf.c - the libdw back end: address -> inline chain and line.
 *
 * libdw's per-address helpers (dwfl_module_addrinfo, dwarf_getscopes) walk
 * far too much for thousands of frames, so this file keeps its own index,
 * built lazily for the compilation units a run touches (sym_units.c finds
 * the unit of an address and reads its lines):
 *
 *   CU -> subprograms      their pc ranges, sorted, binary-searched
 *   subprogram -> chain    walked down from the function's DIE for each
 *                          address, into the inlined subroutines that hold
 *                          it (walk_fn)
 *
 * Both walks read DIEs with sym_die.c's reader (abbreviations decoded once
 * per unit, attributes skipped by form).  Where it declines (a form or an
 * address by index it does not know), the unit's subprograms are found by
 * libdw's walk instead, and the function's every inlined subroutine is
 * indexed with its parent (build_fn, innermost_node), as before the reader.
 * sym_dwarf_crosscheck() (for tests) builds both and compares them.
 *
 * The chain is what addr2line -f -i prints: the innermost inlined function
 * with the line of the address, then each caller with the call site of the
 * level below.  Strings are interned into the pool before they leave.
 */
#define _GNU_SOURCE
#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#include "elfobj.h"
#include "hashmap.h"
#include "kt.h"
#include "strpool.h"
#include "sym_backend.h"
#include "sym_die.h"
#include "sym_units.h"

struct sym_node {           /* node 0: the subprogram; then its inlined subroutines (40 bytes: many are kept) */
	Dwarf_Off die;
	const char *name;       /* in the debug sections; "??" without one */
	int32_t parent;         /* node index, -1 for the subprogram */
	uint32_t call_file_idx; /* the line table's file (its name: sym_unit_file) */
	int32_t call_line, call_column;
	uint16_t depth;         /* at most SYM_PATH_MAX */
	/* read from the DIE on first use (read); the call site may come with the node (site_known) */
	bool read, site_known;
	bool has_call_file;
};

struct sym_irange {         /* 16 bytes: the ranges of every function met twice are kept */
	uint64_t lo;
	uint32_t len;           /* hi - lo (a longer range, only in broken DWARF, is cut) */
	uint32_t node;
};

struct sym_fn {
	Dwarf_Off die;
	struct sym_node *nodes;
	struct sym_irange *ranges;
	uint32_t nnodes, nranges;
	uint32_t nodecap, rangecap;
	bool built;
	bool walked;            /* one address was walked to already: the next builds the index */
};

struct sym_frange {
	uint64_t lo, hi;
	uint64_t maxhi;         /* the largest hi up to this entry: prunes the backward scan */
	uint32_t fn;
	bool alone;             /* no other range of the unit overlaps it: it is find_fn()'s answer in it */
};

/* What this back end keeps about one unit (hung on it: sym_unit_data). */
struct sym_cuidx {
	bool built;
	struct sym_die_cu *dc;  /* sym_die.c's reader of the unit (the unit's), or NULL: libdw only */
	bool own;               /* the functions were found by sym_die.c's reader */
	struct sym_fn *fns;
	uint32_t nfns, fncap;
	struct sym_frange *fr;
	uint32_t nfr, frcap;
};

/*
 * What a frame's ELF symbol led to the last time (sym_query.hint): the
 * unit and a function range standing alone.  An address of the symbol in
 * that range is then in that unit and function without looking for them.
 */
struct sym_hint {
	struct sym_unit *cu;
	struct sym_cuidx *idx;
	uint32_t fr;
};

#define SYM_HINT_CHUNK 1024

struct sym_hints {
	struct sym_hints *next;
	uint32_t used;
	struct sym_hint h[SYM_HINT_CHUNK];
};

/* The back end's state for one object. */
struct sym_walk;

struct sym_dwarf {
	struct sym_walk *walkp;     /* the walk's scratch space (sym_dwarf_walk) */
	struct elfobj *obj;
	struct strpool *pool;
	struct sym_units *units;
	bool tried;
	struct sym_hints *hints;    /* where the hints live, newest chunk first */
};

static void cuidx_free(void *p)
{
	struct sym_cuidx *cu = p;

	for (uint32_t i = 0; i < cu->nfns; i++) {
		free(cu->fns[i].nodes);
		free(cu->fns[i].ranges);
	}
	free(cu->fns);
	free(cu->fr);
	free(cu);
}

static void *sym_dwarf_open(struct elfobj *o, struct strpool *pool)
{
	struct sym_dwarf *d = xcalloc(1, sizeof(*d));

	d->obj = o;
	d->pool = pool;
	return d;
}

static void sym_dwarf_close(void *state)
{
	struct sym_dwarf *d = state;

	if (!d)
		return;
	sym_units_close(d->units);
	free(d->walkp);
	while (d->hints) {
		struct sym_hints *h = d->hints;

		d->hints = h->next;
		free(h);
	}
	free(d);
}

/* The object's units, opened once; NULL without DWARF. */
static struct sym_units *sym_dwarf_units(struct sym_dwarf *d)
{
	if (!d->tried) {
		d->tried = true;
		d->units = sym_units_open(d->obj, d->pool, cuidx_free);
	}
	return d->units;
}

static bool sym_dwarf_has_dwarf(void *state)
{
	return sym_dwarf_units(state) != NULL;
}

/* ---------------------------------------------------------------------- */
/* CU -> subprograms */

static int frange_cmp(const void *a, const void *b)
{
	const struct sym_frange *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi > y->hi ? -1 : x->hi < y->hi;
}

static uint32_t new_fn(struct sym_cuidx *cu, Dwarf_Off die)
{
	ALLOC_GROW(cu->fns, cu->nfns, cu->fncap);
	memset(&cu->fns[cu->nfns], 0, sizeof(cu->fns[cu->nfns]));
	cu->fns[cu->nfns].die = die;
	return cu->nfns++;
}

static void add_frange(struct sym_cuidx *cu, uint64_t lo, uint64_t hi, uint32_t fn)
{
	ALLOC_GROW(cu->fr, cu->nfr, cu->frcap);
	cu->fr[cu->nfr].lo = lo;
	cu->fr[cu->nfr].hi = hi;
	cu->fr[cu->nfr].fn = fn;
	cu->nfr++;
}

static void add_subprogram(struct sym_cuidx *cu, Dwarf_Die *die)
{
	Dwarf_Addr base, lo, hi;
	ptrdiff_t r = 0;
	uint32_t fn = UINT32_MAX;

	while ((r = dwarf_ranges(die, r, &base, &lo, &hi)) > 0) {
		if (hi <= lo)
			continue;
		if (fn == UINT32_MAX)
			fn = new_fn(cu, dwarf_dieoffset(die));
		add_frange(cu, lo, hi, fn);
	}
}

static void scan_scope(struct sym_cuidx *cu, Dwarf_Die *parent, int depth)
{
	Dwarf_Die child;

	if (dwarf_child(parent, &child) != 0)
		return;
	do {
		switch (dwarf_tag(&child)) {
		case DW_TAG_subprogram:
			add_subprogram(cu, &child);
			break;
		case DW_TAG_namespace:
		case DW_TAG_module:
			if (depth < 8)
				scan_scope(cu, &child, depth + 1);
			break;
		default:
			break;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
}

static int frange_key_cmp(const void *key, const void *elem)
{
	return *(const uint64_t *)key < ((const struct sym_frange *)elem)->lo ? -1 : 0;
}

/* The index in cu->fr of the subprogram range holding a (the smallest if several do), or UINT32_MAX. */
static uint32_t find_fn(struct sym_cuidx *cu, uint64_t a)
{
	uint32_t lo = (uint32_t)kt_upper_bound(cu->fr, cu->nfr, sizeof(*cu->fr), &a, frange_key_cmp);
	const struct sym_frange *best = NULL;

	for (uint32_t i = lo; i-- > 0 && cu->fr[i].maxhi > a;)
		if (a < cu->fr[i].hi && (!best || cu->fr[i].hi - cu->fr[i].lo < best->hi - best->lo))
			best = &cu->fr[i];
	return best ? (uint32_t)(best - cu->fr) : UINT32_MAX;
}

/* ---------------------------------------------------------------------- */
/* subprogram -> inlined subroutines */

static void add_irange(struct sym_fn *fn, uint64_t lo, uint64_t hi, uint32_t node)
{
	ALLOC_GROW(fn->ranges, fn->nranges, fn->rangecap);
	fn->ranges[fn->nranges].lo = lo;
	fn->ranges[fn->nranges].len = hi - lo > UINT32_MAX ? UINT32_MAX : (uint32_t)(hi - lo);
	fn->ranges[fn->nranges].node = node;
	fn->nranges++;
}

static void add_node_ranges(struct sym_fn *fn, Dwarf_Die *die, uint32_t node)
{
	Dwarf_Addr base, lo, hi;
	ptrdiff_t r = 0;

	while ((r = dwarf_ranges(die, r, &base, &lo, &hi)) > 0)
		if (hi > lo)
			add_irange(fn, lo, hi, node);
}

static uint32_t new_node(struct sym_fn *fn, Dwarf_Off die, int32_t parent)
{
	uint32_t node;

	ALLOC_GROW(fn->nodes, fn->nnodes, fn->nodecap);
	node = fn->nnodes++;
	memset(&fn->nodes[node], 0, sizeof(fn->nodes[node]));
	fn->nodes[node].die = die;
	fn->nodes[node].parent = parent;
	fn->nodes[node].depth = (uint16_t)(parent < 0 ? 0 : fn->nodes[parent].depth + 1);
	return node;
}

static void scan_inlines(struct sym_fn *fn, Dwarf_Die *parent, int32_t pnode, int depth)
{
	Dwarf_Die child;

	if (depth > 256 || dwarf_child(parent, &child) != 0)
		return;
	do {
		switch (dwarf_tag(&child)) {
		case DW_TAG_inlined_subroutine: {
			uint32_t node = new_node(fn, dwarf_dieoffset(&child), pnode);

			add_node_ranges(fn, &child, node);
			scan_inlines(fn, &child, (int32_t)node, depth + 1);
			break;
		}
		case DW_TAG_lexical_block:
		case DW_TAG_try_block:
		case DW_TAG_catch_block:
			scan_inlines(fn, &child, pnode, depth + 1);
			break;
		default:
			break;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
}

/* ---------------------------------------------------------------------- */
/* the same two walks with sym_die.c's reader; false: it declined, ask libdw */

/* A range of a DIE: where it goes (a subprogram of the unit, or a node of a function). */
struct sym_rsink {
	struct sym_cuidx *cu;   /* a subprogram's: cu->fr */
	struct sym_fn *fn;      /* else a node's: fn->ranges */
	struct sym_die_cu *dc;  /* the reader, for a node's */
	uint64_t die;
	uint32_t slot;          /* the subprogram (UINT32_MAX: none yet) or the node */
};

static void sink_add(void *arg, uint64_t lo, uint64_t hi)
{
	struct sym_rsink *k = arg;

	if (hi <= lo)
		return;
	if (k->fn) {
		add_irange(k->fn, lo, hi, k->slot);
		return;
	}
	if (k->slot == UINT32_MAX)
		k->slot = new_fn(k->cu, k->die);
	add_frange(k->cu, lo, hi, k->slot);
}

/* d's pc ranges, as dwarf_ranges() gives them: read here, or by libdw when sym_die.c declines. */
static bool own_ranges(Dwarf *dw, const struct sym_die *d, struct sym_rsink *k)
{
	Dwarf_Die die;
	Dwarf_Addr base, lo, hi;
	ptrdiff_t r = 0;

	if (sym_die_ranges(k->cu ? k->cu->dc : k->dc, d, sink_add, k))
		return true;
	if (!dwarf_offdie(dw, d->off, &die))
		return false;
	while ((r = dwarf_ranges(&die, r, &base, &lo, &hi)) > 0)
		sink_add(k, lo, hi);
	return true;
}

/*
 * The walks over a DIE's children below give in *end the offset past
 * them (0: not known), so that a DIE without DW_AT_sibling whose children
 * were walked is not read through again to find the one after it.
 */
static bool own_scope(struct sym_cuidx *cu, Dwarf *dw, const struct sym_die *parent, int depth, uint64_t *end)
{
	struct sym_die c;

	*end = 0;
	if (!parent->children)
		return true;
	if (!sym_die_read(cu->dc, parent->end, &c))
		return false;
	while (c.tag) {
		uint64_t after = 0;

		if (c.tag == DW_TAG_subprogram) {
			struct sym_rsink k = { cu, NULL, cu->dc, c.off, UINT32_MAX };

			if (!own_ranges(dw, &c, &k))
				return false;
		}
		if ((c.tag == DW_TAG_namespace || c.tag == DW_TAG_module) && depth < 8 &&
		    !own_scope(cu, dw, &c, depth + 1, &after))
			return false;
		if (!sym_die_next_after(cu->dc, &c, after, &c))
			return false;
	}
	*end = c.end;
	return true;
}

static bool own_inlines(struct sym_fn *fn, struct sym_die_cu *dc, Dwarf *dw, const struct sym_die *parent,
			int32_t pnode, int depth, uint64_t *end)
{
	struct sym_die c;

	*end = 0;
	if (depth > 256 || !parent->children)
		return true;
	if (!sym_die_read(dc, parent->end, &c))
		return false;
	for (; c.tag; ) {
		uint64_t after = 0;

		if (c.tag == DW_TAG_inlined_subroutine) {
			uint32_t node = new_node(fn, c.off, pnode);
			struct sym_rsink k = { NULL, fn, dc, c.off, node };
			struct sym_node *nd = &fn->nodes[node];

			/* the call site as the walk reads it (walk_push) */
			nd->site_known = true;
			nd->has_call_file = c.has_call_file;
			nd->call_file_idx = c.call_file > UINT32_MAX ? UINT32_MAX : (uint32_t)c.call_file;
			nd->call_line = (int)c.call_line;
			nd->call_column = (int)c.call_column;

			if (!own_ranges(dw, &c, &k) || !own_inlines(fn, dc, dw, &c, (int32_t)node, depth + 1, &after))
				return false;
		} else if (c.tag == DW_TAG_lexical_block || c.tag == DW_TAG_try_block || c.tag == DW_TAG_catch_block) {
			if (!own_inlines(fn, dc, dw, &c, pnode, depth + 1, &after))
				return false;
		}
		if (!sym_die_next_after(dc, &c, after, &c))
			return false;
	}
	*end = c.end;
	return true;
}

static void build_cu(struct sym_cuidx *cu, Dwarf *dw, struct sym_unit *unit)
{
	struct sym_die top;
	Dwarf_Die *die;
	uint64_t end;

	cu->built = true;
	cu->own = cu->dc && sym_die_read(cu->dc, sym_unit_offset(unit), &top) && own_scope(cu, dw, &top, 0, &end);
	if (!cu->own) {
		cu->nfns = cu->nfr = 0;         /* declined: all of it again, with libdw */
		if ((die = sym_unit_die(unit)))
			scan_scope(cu, die, 0);
	}
	if (!cu->nfr)
		return;
	/* kept as long as the unit is: no room to spare */
	cu->fr = xrealloc(cu->fr, cu->nfr * sizeof(*cu->fr));
	cu->frcap = cu->nfr;
	if (cu->nfns) {
		cu->fns = xrealloc(cu->fns, cu->nfns * sizeof(*cu->fns));
		cu->fncap = cu->nfns;
	}
	qsort(cu->fr, cu->nfr, sizeof(*cu->fr), frange_cmp);
	for (uint32_t i = 0; i < cu->nfr; i++)
		cu->fr[i].maxhi = i && cu->fr[i - 1].maxhi > cu->fr[i].hi ? cu->fr[i - 1].maxhi : cu->fr[i].hi;
	/* sorted by lo: none before reaches it, the next starts past it */
	for (uint32_t i = 0; i < cu->nfr; i++)
		cu->fr[i].alone = (!i || cu->fr[i - 1].maxhi <= cu->fr[i].lo) &&
				  (i + 1 == cu->nfr || cu->fr[i + 1].lo >= cu->fr[i].hi);
}

/* A function's index, kept as long as its unit: no room to spare. */
static void fn_fit(struct sym_fn *fn)
{
	fn->nodes = xrealloc(fn->nodes, fn->nnodes * sizeof(*fn->nodes));
	fn->nodecap = fn->nnodes;
	if (fn->nranges) {
		fn->ranges = xrealloc(fn->ranges, fn->nranges * sizeof(*fn->ranges));
		fn->rangecap = fn->nranges;
	}
}

static void build_fn(Dwarf *dw, struct sym_die_cu *dc, struct sym_fn *fn)
{
	Dwarf_Die die;
	struct sym_die top;
	uint64_t end;

	fn->built = true;
	new_node(fn, fn->die, -1);
	if (dc && sym_die_read(dc, fn->die, &top) && own_inlines(fn, dc, dw, &top, 0, 0, &end)) {
		fn_fit(fn);
		return;
	}
	fn->nnodes = 1;         /* declined: all of it again, with libdw */
	fn->nranges = 0;
	if (dwarf_offdie(dw, fn->die, &die))
		scan_inlines(fn, &die, 0, 0);
}

/* The innermost inline node holding a; 0 (the subprogram) if none. */
static uint32_t innermost_node(const struct sym_fn *fn, uint64_t a)
{
	uint32_t best = 0;
	uint64_t bestsize = 0;

	for (uint32_t i = 0; i < fn->nranges; i++) {
		const struct sym_irange *r = &fn->ranges[i];
		int32_t dep, bdep;

		if (a < r->lo || a - r->lo >= r->len)
			continue;
		dep = fn->nodes[r->node].depth;
		bdep = fn->nodes[best].depth;
		if (dep > bdep || (dep == bdep && best && r->len < bestsize)) {
			best = r->node;
			bestsize = r->len;
		}
	}
	return best;
}

/* ---------------------------------------------------------------------- */
/* names */

static bool die_udata(Dwarf_Die *die, int name, Dwarf_Word *v)
{
	Dwarf_Attribute at;

	return dwarf_attr(die, name, &at) && dwarf_formudata(&at, v) == 0;
}

/*
 * An inlined node's name and call site (where it was inlined, level lvl + 1
 * of a chain), read from its DIE once: a frame met again costs no DIE read.
 */
static void node_read(struct sym_units *u, struct sym_unit *cu, struct sym_node *nd, bool own)
{
	Dwarf_Die die;
	Dwarf_Attribute at;
	Dwarf_Word cf = 0, cl = 0, cc = 0;
	const char *n = NULL;
	bool mine;

	if (nd->read)
		return;
	nd->read = true;
	/* the name by our reader when the call site came from it too; else, or when it declines, libdw */
	mine = own && nd->site_known && sym_unit_reader(cu) &&
	       sym_die_string(sym_unit_reader(cu), nd->die, DW_AT_name, true, &n);
	if (!mine)
		n = NULL;
	if (!mine && dwarf_offdie(sym_units_dwarf(u), nd->die, &die)) {
		n = dwarf_formstring(dwarf_attr_integrate(&die, DW_AT_name, &at));
		if (!nd->site_known) {
			nd->has_call_file = die_udata(&die, DW_AT_call_file, &cf);
			die_udata(&die, DW_AT_call_line, &cl);
			die_udata(&die, DW_AT_call_column, &cc);
			nd->call_file_idx = cf > UINT32_MAX ? UINT32_MAX : (uint32_t)cf;
			nd->call_line = (int)cl;
			nd->call_column = (int)cc;
		}
	}
	/* in the debug sections, which stay until the symbolizer is closed */
	nd->name = n ? n : "??";
}

/* Where the node was inlined: the file's name (interned), or NULL. */
static const char *node_call_file(struct sym_units *u, struct sym_unit *cu, const struct sym_node *nd)
{
	return nd->has_call_file ? sym_unit_file(u, cu, nd->call_file_idx) : NULL;
}

/* ---------------------------------------------------------------------- */
/*
 * The inline chain of one address with sym_die.c's reader, without an
 * index of the whole function: down from the function's DIE, into the
 * inlined subroutines whose ranges hold the address (and every lexical
 * block), choosing the node innermost_node() would choose of the index.
 */

#define SYM_PATH_MAX 260        /* levels: the subprogram, and up to 256 nestings */

struct sym_walk {
	struct sym_die_cu *dc;
	Dwarf *dw;
	uint64_t a;
	struct sym_node cur[SYM_PATH_MAX], best[SYM_PATH_MAX];
	uint32_t ncur, nbest;   /* levels, the subprogram's included */
	uint64_t bestsize;
	bool in;                /* a range of the node at the end of the path holds a */
};

/* A range of the node at the end of the walk's path, weighed as innermost_node() weighs it. */
static void walk_range(void *arg, uint64_t lo, uint64_t hi)
{
	struct sym_walk *w = arg;
	uint32_t dep = w->ncur - 1, bdep = w->nbest - 1;

	if (hi <= lo || w->a < lo || w->a >= hi)
		return;
	w->in = true;
	if (dep > bdep || (dep == bdep && bdep > 0 && hi - lo < w->bestsize)) {
		memcpy(w->best, w->cur, w->ncur * sizeof(*w->cur));
		w->nbest = w->ncur;
		w->bestsize = hi - lo;
	}
}

/* The ranges of d (the node at the end of the path); w->in: one holds the address. */
static bool walk_ranges(struct sym_walk *w, const struct sym_die *d)
{
	Dwarf_Die die;
	Dwarf_Addr base, lo, hi;
	ptrdiff_t r = 0;

	w->in = false;
	if (sym_die_ranges(w->dc, d, walk_range, w))
		return true;
	if (!dwarf_offdie(w->dw, d->off, &die))
		return false;
	while ((r = dwarf_ranges(&die, r, &base, &lo, &hi)) > 0)
		walk_range(w, lo, hi);
	return true;
}

/* A node for the path: the DIE and its call site, as read here. */
static void walk_push(struct sym_walk *w, const struct sym_die *c)
{
	struct sym_node *nd = &w->cur[w->ncur];

	memset(nd, 0, sizeof(*nd));
	nd->die = c->off;
	nd->parent = (int32_t)w->ncur - 1;
	nd->depth = (uint16_t)w->ncur;
	nd->site_known = true;
	nd->has_call_file = c->has_call_file;
	nd->call_file_idx = c->call_file > UINT32_MAX ? UINT32_MAX : (uint32_t)c->call_file;
	nd->call_line = (int)c->call_line;
	nd->call_column = (int)c->call_column;
	w->ncur++;
}

static bool walk_children(struct sym_walk *w, const struct sym_die *parent, int depth, uint64_t *end)
{
	struct sym_die c;

	*end = 0;
	if (depth > 256 || !parent->children)
		return true;
	if (!sym_die_read(w->dc, parent->end, &c))
		return false;
	while (c.tag) {
		uint64_t after = 0;

		if (c.tag == DW_TAG_inlined_subroutine) {
			if (w->ncur >= SYM_PATH_MAX)
				return false;
			walk_push(w, &c);
			if (!walk_ranges(w, &c) || (w->in && !walk_children(w, &c, depth + 1, &after)))
				return false;
			w->ncur--;
		} else if (c.tag == DW_TAG_lexical_block || c.tag == DW_TAG_try_block || c.tag == DW_TAG_catch_block) {
			if (!walk_children(w, &c, depth + 1, &after))
				return false;
		}
		if (!sym_die_next_after(w->dc, &c, after, &c))
			return false;
	}
	*end = c.end;
	return true;
}

/* The chain at a in function fn into w->best[0..nbest) (parents before children); false: ask the index. */
static bool walk_fn(struct sym_walk *w, struct sym_cuidx *idx, Dwarf *dw, const struct sym_fn *fn, uint64_t a)
{
	struct sym_die top;
	uint64_t end;

	if (!idx->dc || !sym_die_read(idx->dc, fn->die, &top))
		return false;
	w->dc = idx->dc;
	w->dw = dw;
	w->a = a;
	memset(&w->cur[0], 0, sizeof(w->cur[0]));
	w->cur[0].die = fn->die;
	w->cur[0].parent = -1;
	w->best[0] = w->cur[0];
	w->ncur = w->nbest = 1;
	w->bestsize = 0;
	return walk_children(w, &top, 0, &end);
}

/* A unit's index, empty, with sym_die.c's reader when it takes the unit. */
static struct sym_cuidx *cuidx_new(struct sym_unit *cu)
{
	struct sym_cuidx *idx = xcalloc(1, sizeof(*idx));

	idx->dc = sym_unit_reader(cu);
	return idx;
}

/* The unit's subprogram holding a, and the range of it in *fr; NULL if none. */
static struct sym_fn *fn_at(struct sym_units *u, struct sym_unit *cu, uint64_t a, struct sym_cuidx **out,
			    uint32_t *fr)
{
	struct sym_cuidx **idx = (struct sym_cuidx **)sym_unit_data(cu);

	if (!*idx)
		*idx = cuidx_new(cu);
	if (!(*idx)->built)
		build_cu(*idx, sym_units_dwarf(u), cu);
	*out = *idx;
	*fr = find_fn(*idx, a);
	return *fr != UINT32_MAX ? &(*idx)->fns[(*idx)->fr[*fr].fn] : NULL;
}

/* The hinted unit and function, when the hint's range holds a. */
static struct sym_fn *hinted_fn(const struct sym_query *q, uint64_t a, struct sym_unit **cu, struct sym_cuidx **idx)
{
	const struct sym_hint *h = q->hint ? *q->hint : NULL;
	const struct sym_frange *f;

	if (!h)
		return NULL;
	f = &h->idx->fr[h->fr];
	if (a < f->lo || a >= f->hi)
		return NULL;
	*cu = h->cu;
	*idx = h->idx;
	return &h->idx->fns[f->fn];
}

/* Remember, for the query's symbol, the unit and the function range found (when it stands alone). */
static void hint_set(struct sym_dwarf *d, const struct sym_query *q, struct sym_unit *cu, struct sym_cuidx *idx,
		     uint32_t fr)
{
	struct sym_hint *h;

	if (!q->hint || !idx->fr[fr].alone)
		return;
	if (!(h = *q->hint)) {
		if (!d->hints || d->hints->used == SYM_HINT_CHUNK) {
			struct sym_hints *c = xmalloc(sizeof(*c));

			c->next = d->hints;
			c->used = 0;
			d->hints = c;
		}
		h = *q->hint = &d->hints->h[d->hints->used++];
	}
	h->cu = cu;
	h->idx = idx;
	h->fr = fr;
}

/*
 * The chain's nodes at a in fn: the first time, by our reader's walk into
 * w (a function met once is not indexed); from the second on, by the
 * function's index, built once (with our reader, or libdw's when it
 * declines), whose nodes keep their names.  The innermost in *node.
 */
static struct sym_node *nodes_at(struct sym_walk *w, Dwarf *dw, struct sym_cuidx *idx, struct sym_fn *fn,
				 uint64_t a, uint32_t *node)
{
	if (!fn->built && !fn->walked) {
		fn->walked = true;
		if (walk_fn(w, idx, dw, fn, a)) {
			*node = w->nbest - 1;
			return w->best;
		}
	}
	if (!fn->built)
		build_fn(dw, idx->dc, fn);
	*node = innermost_node(fn, a);
	return fn->nodes;
}

static void sym_dwarf_lookup_one(struct sym_dwarf *d, struct sym_query *q)
{
	struct sym_units *u = sym_dwarf_units(d);
	struct sym_result *r = q->res;
	struct sym_unit *cu;
	struct sym_cuidx *idx;
	struct sym_fn *fn;
	struct sym_node *nodes = NULL;
	struct sym_walk *w = d->walkp ? d->walkp : (d->walkp = xmalloc(sizeof(*d->walkp)));
	struct sym_line ln;
	bool line;
	uint32_t node = 0, fr;
	size_t n = 1;
	uint64_t a;

	if (!u) {
		r->status = SYM_NO_DEBUGINFO;
		return;
	}
	a = q->addr - sym_units_bias(u);
	/* another address of a symbol met before: in the same function, most likely */
	if (!(fn = hinted_fn(q, a, &cu, &idx))) {
		if (!(cu = sym_units_at(u, a))) {
			r->status = SYM_NO_LINE;
			return;
		}
		if ((fn = fn_at(u, cu, a, &idx, &fr)))
			hint_set(d, q, cu, idx, fr);
	}
	/* without a subprogram DIE (assembly): the line table only */
	if (fn) {
		nodes = nodes_at(w, sym_units_dwarf(u), idx, fn, a, &node);
		n = (size_t)nodes[node].depth + 1;
	}
	r->chain = xcalloc(n, sizeof(*r->chain));
	r->nchain = n;
	if ((line = sym_unit_line_at(u, cu, a, &ln))) {
		r->chain[0].file = (char *)ln.file;
		r->chain[0].line = ln.line;
		r->chain[0].column = ln.column;
		r->chain[0].comp_dir = (char *)sym_unit_comp_dir(cu);
	}
	for (size_t lvl = 0; fn && lvl < n; lvl++) {
		const struct sym_node *nd = &nodes[node];

		if (nd->parent < 0) {
			r->chain[lvl].func = (char *)q->symbol;
			break;
		}
		node_read(u, cu, &nodes[node], true);
		r->chain[lvl].func = (char *)nd->name;
		r->chain[lvl + 1].file = (char *)node_call_file(u, cu, nd);
		r->chain[lvl + 1].line = nd->call_line;
		r->chain[lvl + 1].column = nd->call_column;
		r->chain[lvl + 1].comp_dir = (char *)sym_unit_comp_dir(cu);
		node = (uint32_t)nd->parent;
	}
	if (!fn)
		r->chain[0].func = (char *)q->symbol;
	if (!line && n == 1)
		r->status = SYM_NO_LINE;
}

static void sym_dwarf_lookup(struct sym_query *qs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sym_dwarf_lookup_one(qs[i].state, &qs[i]);
}

static const char *sym_dwarf_source_root(void *state)
{
	struct sym_units *u = sym_dwarf_units(state);
	struct sym_unit *cu = u ? sym_units_first(u) : NULL;

	return cu ? sym_unit_comp_dir(cu) : NULL;
}

const struct sym_backend_ops sym_libdw_backend = {
	.name = "libdw",
	.unusable = NULL,
	.open = sym_dwarf_open,
	.close = sym_dwarf_close,
	.has_dwarf = sym_dwarf_has_dwarf,
	.lookup = sym_dwarf_lookup,
	.source_root = sym_dwarf_source_root,
};

/* ---------------------------------------------------------------------- */
/* the cross-check of the two readers (tests) */

/* Function i of both indexes, inlines built by each reader; NULL if equal, else what differs. */
static char *check_fn(Dwarf *dw, struct sym_cuidx *own, struct sym_cuidx *lib, uint32_t i)
{
	struct sym_fn *a = &own->fns[i], *b = &lib->fns[i];

	build_fn(dw, own->dc, a);
	build_fn(dw, NULL, b);
	if (a->nnodes != b->nnodes || a->nranges != b->nranges)
		return xasprintf("function DIE 0x%llx: %u nodes, %u ranges (libdw: %u, %u)", (unsigned long long)a->die,
				 a->nnodes, a->nranges, b->nnodes, b->nranges);
	for (uint32_t k = 0; k < a->nnodes; k++)
		if (a->nodes[k].die != b->nodes[k].die || a->nodes[k].parent != b->nodes[k].parent ||
		    a->nodes[k].depth != b->nodes[k].depth)
			return xasprintf("function DIE 0x%llx: inline node %u differs", (unsigned long long)a->die, k);
	for (uint32_t k = 0; k < a->nranges; k++)
		if (a->ranges[k].lo != b->ranges[k].lo || a->ranges[k].len != b->ranges[k].len ||
		    a->ranges[k].node != b->ranges[k].node)
			return xasprintf("function DIE 0x%llx: inline range %u differs", (unsigned long long)a->die, k);
	return NULL;
}

/* The chain at a: by the walk of our reader, and by libdw's index (b, built); NULL if they are the same. */
static char *check_chain(struct sym_units *u, struct sym_unit *cu, struct strpool *pool, struct sym_walk *w,
			 struct sym_cuidx *own, struct sym_fn *b, uint64_t a)
{
	uint32_t x, y = innermost_node(b, a);

	if (!walk_fn(w, own, sym_units_dwarf(u), b, a))
		return xasprintf("function DIE 0x%llx: the walk declined at 0x%llx", (unsigned long long)b->die,
				 (unsigned long long)a);
	x = w->nbest - 1;
	if ((int32_t)x != b->nodes[y].depth)
		return xasprintf("function DIE 0x%llx at 0x%llx: %u levels (libdw: %d)", (unsigned long long)b->die,
				 (unsigned long long)a, x + 1, b->nodes[y].depth + 1);
	for (; b->nodes[y].parent >= 0; x--, y = (uint32_t)b->nodes[y].parent) {
		struct sym_node *p = &w->best[x], *q = &b->nodes[y];

		node_read(u, cu, p, true);
		node_read(u, cu, q, false);
		if (p->die != q->die || strcmp(p->name, q->name) ||
		    node_call_file(u, cu, p) != node_call_file(u, cu, q) ||
		    p->call_line != q->call_line || p->call_column != q->call_column)
			return xasprintf("function DIE 0x%llx at 0x%llx: level of DIE 0x%llx differs",
					 (unsigned long long)b->die, (unsigned long long)a, (unsigned long long)q->die);
	}
	return NULL;
}

/* Every inline range of function i, at its first and last byte, both ways; NULL if all agree. */
static char *check_chains(struct sym_units *u, struct sym_unit *cu, struct strpool *pool, struct sym_cuidx *own,
			  struct sym_cuidx *lib, uint32_t i)
{
	struct sym_walk *w = xmalloc(sizeof(*w));
	struct sym_fn *b = &lib->fns[i];
	char *why = NULL;

	for (uint32_t k = 0; !why && k < b->nranges; k++)
		if (!(why = check_chain(u, cu, pool, w, own, b, b->ranges[k].lo)))
			why = check_chain(u, cu, pool, w, own, b, b->ranges[k].lo + b->ranges[k].len - 1);
	free(w);
	return why;
}

/* The unit's DW_AT_comp_dir (read by sym_die.c) is libdw's. */
static bool comp_dir_agrees(struct sym_unit *cu)
{
	Dwarf_Attribute at;
	Dwarf_Die *die = sym_unit_die(cu);
	const char *cd = die ? dwarf_formstring(dwarf_attr(die, DW_AT_comp_dir, &at)) : NULL;
	const char *mine = sym_unit_comp_dir(cu);

	return cd ? mine && !strcmp(cd, mine) : !mine;
}

/* One unit indexed by both readers; NULL if they agree. */
static char *check_unit(struct sym_units *u, struct sym_unit *cu, struct strpool *pool, struct sym_check_counts *n)
{
	Dwarf *dw = sym_units_dwarf(u);
	struct sym_cuidx *own = cuidx_new(cu), *lib = xcalloc(1, sizeof(*lib));
	char *why = NULL;

	build_cu(own, dw, cu);
	build_cu(lib, dw, cu);
	n->units++;
	n->own += own->own;
	if (!comp_dir_agrees(cu))
		why = xasprintf("unit 0x%llx: DW_AT_comp_dir differs", (unsigned long long)sym_unit_offset(cu));
	if (!why && (own->nfns != lib->nfns || own->nfr != lib->nfr))
		why = xasprintf("unit 0x%llx: %u functions, %u ranges (libdw: %u, %u)",
				(unsigned long long)sym_unit_offset(cu), own->nfns, own->nfr, lib->nfns,
				lib->nfr);
	for (uint32_t i = 0; !why && i < own->nfr; i++)
		if (own->fr[i].lo != lib->fr[i].lo || own->fr[i].hi != lib->fr[i].hi ||
		    own->fns[own->fr[i].fn].die != lib->fns[lib->fr[i].fn].die)
			why = xasprintf("unit 0x%llx: function range %u differs",
					(unsigned long long)sym_unit_offset(cu), i);
	for (uint32_t i = 0; !why && i < own->nfns; i++) {
		why = check_fn(dw, own, lib, i);
		if (!why)
			why = check_chains(u, cu, pool, own, lib, i);
		n->functions++;
		n->nodes += own->fns[i].nnodes;
	}
	cuidx_free(own);
	cuidx_free(lib);
	return why;
}

char *sym_dwarf_crosscheck(struct elfobj *o, struct strpool *pool, struct sym_check_counts *n)
{
	struct sym_units *u = sym_units_open(o, pool, NULL);
	Dwarf_Off off = 0, next;
	size_t hsize;
	char *why = NULL;

	memset(n, 0, sizeof(*n));
	if (!u)
		return xstrdup("no DWARF");
	while (!why && dwarf_nextcu(sym_units_dwarf(u), off, &next, &hsize, NULL, NULL, NULL) == 0) {
		struct sym_unit *cu = sym_units_unit(u, off + hsize);

		if (cu)
			why = check_unit(u, cu, pool, n);
		off = next;
	}
	sym_units_close(u);
	return why;
}
