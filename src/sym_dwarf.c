/*
 * sym_dwarf.c - the libdw back end: address -> inline chain and line, and
 * struct layouts.
 *
 * libdw's per-address helpers (dwfl_module_addrinfo, dwarf_getscopes) walk
 * far too much for thousands of frames, so this file keeps its own index,
 * built lazily for the compilation units a run touches:
 *
 *   address -> CU          .debug_aranges (or the CUs' own ranges)
 *   CU -> subprograms      their pc ranges, sorted, binary-searched
 *   subprogram -> inlines  every inlined_subroutine range with its parent,
 *                          built when an address first falls in the function
 *   CU -> lines            the unit's line program, read by sym_lines.c (libdw's
 *                          dwarf_getsrclines() when that declines), binary-searched
 *
 * The chain is what addr2line -f -i prints: the innermost inlined function
 * with the line of the address, then each caller with the call site of the
 * level below.  Strings are interned into the symbolizer before they leave.
 */
#define _GNU_SOURCE
#include <dwarf.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "sym_internal.h"

struct sym_node {           /* node 0: the subprogram; then its inlined subroutines */
	Dwarf_Off die;
	int32_t parent;         /* node index, -1 for the subprogram */
	int32_t depth;
};

struct sym_irange {
	uint64_t lo, hi;
	uint32_t node;
};

struct sym_fn {
	Dwarf_Off die;
	struct sym_node *nodes;
	struct sym_irange *ranges;
	uint32_t nnodes, nranges;
	uint32_t nodecap, rangecap;
	bool built;
};

struct sym_frange {
	uint64_t lo, hi;
	uint64_t maxhi;         /* the largest hi up to this entry: prunes the backward scan */
	uint32_t fn;
};

struct sym_cu {
	Dwarf_Off off;
	Dwarf_Die die;
	bool built;
	struct sym_fn *fns;
	uint32_t nfns, fncap;
	struct sym_frange *fr;
	uint32_t nfr, frcap;
	int lines_state;        /* 0 not read, 1 sym_lines.c, 2 libdw, -1 none */
	struct sym_ltab lt;
	Dwarf_Lines *lines;
	size_t nlines;
	Dwarf_Files *files;
	size_t nfiles;
	const char *comp_dir;
};

struct sym_curange {
	uint64_t lo, hi;
	Dwarf_Off off;          /* of the CU DIE (the unit header in sym_dwarf.ar) */
};

struct sym_typeent {
	const char *name;       /* interned */
	Dwarf_Off off;
	int tag;
};

struct sym_dwarf {
	Dwarf *dw;
	Dwarf_Addr bias;
	struct sym_dsecs ds;
	Elf_Data *aranges_data;     /* .debug_aranges */
	bool ds_read;
	struct sym_curange *ar;     /* .debug_aranges, sorted; off is the unit's header */
	size_t nar;
	bool ar_read;
	Dwarf_Aranges *aranges;     /* libdw's, when ours cannot be read */
	size_t naranges;
	struct sym_curange *cur;
	size_t ncur;
	bool cur_built;
	Dwarf_Off *bare;        /* CUs without pc ranges but with a line table */
	size_t nbare;
	struct sym_cu **cus;    /* open addressing on the CU offset */
	size_t cus_mask, ncus;
	struct sym_typeent *types;  /* open addressing on the name */
	size_t types_mask, ntypes;
	bool types_built;
};

/* ---------------------------------------------------------------------- */

bool sym_dwarf_open(struct sym_obj *o)
{
	Dwarf_Addr bias;
	Dwarf *dw;

	if (o->dwarf)
		return true;
	if (o->error || !o->mod)
		return false;
	dw = dwfl_module_getdwarf(o->mod, &bias);
	if (!dw)
		return false;
	/* DWARF with no unit at all (a stripped file keeps an empty shell) */
	{
		Dwarf_Off next;
		size_t hsize;

		if (dwarf_nextcu(dw, 0, &next, &hsize, NULL, NULL, NULL) != 0)
			return false;
	}
	o->dwarf = xcalloc(1, sizeof(*o->dwarf));
	o->dwarf->dw = dw;
	o->dwarf->bias = bias;
	return true;
}

static void cu_free(struct sym_cu *cu)
{
	for (uint32_t i = 0; i < cu->nfns; i++) {
		free(cu->fns[i].nodes);
		free(cu->fns[i].ranges);
	}
	free(cu->fns);
	free(cu->fr);
	sym_ltab_release(&cu->lt);
	free(cu);
}

void sym_dwarf_close(struct sym_obj *o)
{
	struct sym_dwarf *d = o->dwarf;

	if (!d)
		return;
	for (size_t i = 0; d->cus && i <= d->cus_mask; i++)
		if (d->cus[i])
			cu_free(d->cus[i]);
	free(d->cus);
	free(d->cur);
	free(d->ar);
	free(d->bare);
	free(d->types);
	free(d);
	o->dwarf = NULL;
}

/* ---------------------------------------------------------------------- */
/* address -> CU */

static int curange_cmp(const void *a, const void *b)
{
	const struct sym_curange *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Without (complete) .debug_aranges: every CU's own ranges, once. */
static void build_cu_ranges(struct sym_dwarf *d)
{
	Dwarf_Off off = 0, next;
	size_t hsize, cap = 0, barecap = 0;

	d->cur_built = true;
	while (dwarf_nextcu(d->dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cudie;
		Dwarf_Addr base, lo, hi;
		ptrdiff_t r = 0;
		size_t before = d->ncur;

		if (dwarf_offdie(d->dw, off + hsize, &cudie)) {
			while ((r = dwarf_ranges(&cudie, r, &base, &lo, &hi)) > 0) {
				if (hi <= lo)
					continue;
				ALLOC_GROW(d->cur, d->ncur, cap);
				d->cur[d->ncur].lo = lo;
				d->cur[d->ncur].hi = hi;
				d->cur[d->ncur].off = dwarf_dieoffset(&cudie);
				d->ncur++;
			}
			/* code the compiler added late (constructors) may sit in the
			   line table of a CU that claims no code at all */
			if (d->ncur == before && dwarf_hasattr(&cudie, DW_AT_stmt_list)) {
				ALLOC_GROW(d->bare, d->nbare, barecap);
				d->bare[d->nbare++] = dwarf_dieoffset(&cudie);
			}
		}
		off = next;
	}
	if (d->ncur)
		qsort(d->cur, d->ncur, sizeof(*d->cur), curange_cmp);
}

static uint64_t get_u(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* The debug sections read here and by sym_lines.c, as libdw sees them (decompressed, relocated). */
static void dsecs_init(struct sym_dwarf *d)
{
	Elf *elf = dwarf_getelf(d->dw);
	size_t shstrndx;

	d->ds_read = true;
	if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0)
		return;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		const char *name;
		Elf_Data **slot = NULL;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_flags & SHF_COMPRESSED) || sh.sh_type == SHT_NOBITS ||
		    !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
			continue;
		if (!strcmp(name, ".debug_aranges"))
			slot = &d->aranges_data;
		else if (!strcmp(name, ".debug_line"))
			slot = &d->ds.line;
		else if (!strcmp(name, ".debug_line_str"))
			slot = &d->ds.line_str;
		else if (!strcmp(name, ".debug_str"))
			slot = &d->ds.str;
		if (slot)
			*slot = elf_getdata(scn, NULL);
	}
}

/*
 * .debug_aranges, read here: libdw's dwarf_getaranges() also opens the
 * header of every unit it names, one page of .debug_info per unit, which
 * costs a cold start more than everything else.  False if unreadable.
 */
static bool read_aranges(struct sym_dwarf *d)
{
	Elf_Data *data;
	const unsigned char *p, *end;
	size_t cap = 0;

	if (!d->ds_read)
		dsecs_init(d);
	data = d->aranges_data;
	if (!data || !data->d_buf)
		return false;
	p = data->d_buf;
	end = p + data->d_size;
	while (end - p >= 16) {
		const unsigned char *set = p, *setend;
		uint64_t len = get_u(p, 4), cu;
		int osz = 4, asz, hdr;

		p += 4;
		if (len == 0xffffffff) {
			len = get_u(p, 8);
			p += 8;
			osz = 8;
		}
		if (len > (uint64_t)(end - p) || len < (uint64_t)(2 + osz + 2))
			return false;
		setend = p + len;
		if (get_u(p, 2) != 2)
			return false;          /* version 2 is the only one there is */
		cu = get_u(p + 2, osz);
		asz = p[2 + osz];
		if ((asz != 4 && asz != 8) || p[3 + osz] != 0)
			return false;          /* segmented addresses: libdw's job */
		p += 4 + osz;
		/* the tuples start at a multiple of twice the address size */
		hdr = (int)(p - set);
		p = set + (hdr + 2 * asz - 1) / (2 * asz) * (2 * asz);
		while (setend - p >= 2 * asz) {
			uint64_t lo = get_u(p, asz), n = get_u(p + asz, asz);

			p += 2 * asz;
			if (!lo && !n)
				break;
			if (!n)
				continue;
			ALLOC_GROW(d->ar, d->nar, cap);
			d->ar[d->nar].lo = lo;
			d->ar[d->nar].hi = lo + n;
			d->ar[d->nar].off = cu;
			d->nar++;
		}
		p = setend;
	}
	if (d->nar)
		qsort(d->ar, d->nar, sizeof(*d->ar), curange_cmp);
	return true;
}

/* The entry of a sorted range table holding a, looking back over a few overlaps. */
static struct sym_curange *range_find(struct sym_curange *r, size_t n, uint64_t a)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r[mid].lo <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i-- > 0 && lo - i <= 8;)
		if (a >= r[i].lo && a < r[i].hi)
			return &r[i];
	return NULL;
}

static bool find_cu_offset(struct sym_dwarf *d, uint64_t a, Dwarf_Off *off)
{
	struct sym_curange *e;

	if (!d->ar_read) {
		d->ar_read = true;
		if (!read_aranges(d)) {
			free(d->ar);
			d->ar = NULL;
			d->nar = 0;
			if (dwarf_getaranges(d->dw, &d->aranges, &d->naranges) != 0)
				d->aranges = NULL;
		}
	}
	if ((e = range_find(d->ar, d->nar, a))) {
		Dwarf_Off next;
		size_t hsize;

		/* the unit header (of this unit only): the DIE follows it */
		if (dwarf_next_unit(d->dw, e->off, &next, &hsize, NULL, NULL, NULL, NULL, NULL, NULL) == 0) {
			*off = e->off + hsize;
			return true;
		}
	}
	if (d->aranges) {
		Dwarf_Arange *ar = dwarf_getarange_addr(d->aranges, a);

		if (ar && dwarf_getarangeinfo(ar, NULL, NULL, off) == 0)
			return true;
	}
	if (!d->cur_built)
		build_cu_ranges(d);
	if ((e = range_find(d->cur, d->ncur, a))) {
		*off = e->off;
		return true;
	}
	return false;
}

static struct sym_cu *get_cu(struct sym_obj *o, Dwarf_Off off)
{
	struct sym_dwarf *d = o->dwarf;
	struct sym_cu *cu;
	size_t i;

	if ((d->ncus + 1) * 2 > d->cus_mask + 1) {
		size_t newcap = d->cus_mask ? (d->cus_mask + 1) * 2 : 256;
		struct sym_cu **nc = xcalloc(newcap, sizeof(*nc));

		for (size_t j = 0; d->cus && j <= d->cus_mask; j++) {
			if (!d->cus[j])
				continue;
			for (i = XXH3_64bits(&d->cus[j]->off, sizeof(Dwarf_Off)) & (newcap - 1); nc[i];
			     i = (i + 1) & (newcap - 1))
				;
			nc[i] = d->cus[j];
		}
		free(d->cus);
		d->cus = nc;
		d->cus_mask = newcap - 1;
	}
	for (i = XXH3_64bits(&off, sizeof(off)) & d->cus_mask; d->cus[i]; i = (i + 1) & d->cus_mask)
		if (d->cus[i]->off == off)
			return d->cus[i];
	cu = xcalloc(1, sizeof(*cu));
	cu->off = off;
	if (!dwarf_offdie(d->dw, off, &cu->die)) {
		free(cu);
		return NULL;
	}
	{
		Dwarf_Attribute at;
		const char *cd = dwarf_formstring(dwarf_attr(&cu->die, DW_AT_comp_dir, &at));

		cu->comp_dir = cd ? sym_intern(o->s, cd) : NULL;
	}
	d->cus[i] = cu;
	d->ncus++;
	return cu;
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

static void add_subprogram(struct sym_cu *cu, Dwarf_Die *die)
{
	Dwarf_Addr base, lo, hi;
	ptrdiff_t r = 0;
	uint32_t fn = UINT32_MAX;

	while ((r = dwarf_ranges(die, r, &base, &lo, &hi)) > 0) {
		if (hi <= lo)
			continue;
		if (fn == UINT32_MAX) {
			ALLOC_GROW(cu->fns, cu->nfns, cu->fncap);
			fn = cu->nfns++;
			memset(&cu->fns[fn], 0, sizeof(cu->fns[fn]));
			cu->fns[fn].die = dwarf_dieoffset(die);
		}
		ALLOC_GROW(cu->fr, cu->nfr, cu->frcap);
		cu->fr[cu->nfr].lo = lo;
		cu->fr[cu->nfr].hi = hi;
		cu->fr[cu->nfr].fn = fn;
		cu->nfr++;
	}
}

static void scan_scope(struct sym_cu *cu, Dwarf_Die *parent, int depth)
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

static void build_cu(struct sym_cu *cu)
{
	cu->built = true;
	scan_scope(cu, &cu->die, 0);
	if (!cu->nfr)
		return;
	qsort(cu->fr, cu->nfr, sizeof(*cu->fr), frange_cmp);
	for (uint32_t i = 0; i < cu->nfr; i++)
		cu->fr[i].maxhi = i && cu->fr[i - 1].maxhi > cu->fr[i].hi ? cu->fr[i - 1].maxhi : cu->fr[i].hi;
}

/* The subprogram whose range holds a (the smallest range if several do), or NULL. */
static struct sym_fn *find_fn(struct sym_cu *cu, uint64_t a)
{
	uint32_t lo = 0, hi = cu->nfr;
	const struct sym_frange *best = NULL;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (cu->fr[mid].lo <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (uint32_t i = lo; i-- > 0 && cu->fr[i].maxhi > a;)
		if (a < cu->fr[i].hi && (!best || cu->fr[i].hi - cu->fr[i].lo < best->hi - best->lo))
			best = &cu->fr[i];
	return best ? &cu->fns[best->fn] : NULL;
}

/* ---------------------------------------------------------------------- */
/* subprogram -> inlined subroutines */

static void add_node_ranges(struct sym_fn *fn, Dwarf_Die *die, uint32_t node)
{
	Dwarf_Addr base, lo, hi;
	ptrdiff_t r = 0;

	while ((r = dwarf_ranges(die, r, &base, &lo, &hi)) > 0) {
		if (hi <= lo)
			continue;
		ALLOC_GROW(fn->ranges, fn->nranges, fn->rangecap);
		fn->ranges[fn->nranges].lo = lo;
		fn->ranges[fn->nranges].hi = hi;
		fn->ranges[fn->nranges].node = node;
		fn->nranges++;
	}
}

static void scan_inlines(struct sym_fn *fn, Dwarf_Die *parent, int32_t pnode, int depth)
{
	Dwarf_Die child;

	if (depth > 256 || dwarf_child(parent, &child) != 0)
		return;
	do {
		switch (dwarf_tag(&child)) {
		case DW_TAG_inlined_subroutine: {
			uint32_t node;

			ALLOC_GROW(fn->nodes, fn->nnodes, fn->nodecap);
			node = fn->nnodes++;
			fn->nodes[node].die = dwarf_dieoffset(&child);
			fn->nodes[node].parent = pnode;
			fn->nodes[node].depth = fn->nodes[pnode].depth + 1;
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

static void build_fn(struct sym_dwarf *d, struct sym_fn *fn)
{
	Dwarf_Die die;

	fn->built = true;
	ALLOC_GROW(fn->nodes, fn->nnodes, fn->nodecap);
	fn->nodes[0].die = fn->die;
	fn->nodes[0].parent = -1;
	fn->nodes[0].depth = 0;
	fn->nnodes = 1;
	if (dwarf_offdie(d->dw, fn->die, &die))
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

		if (a < r->lo || a >= r->hi)
			continue;
		dep = fn->nodes[r->node].depth;
		bdep = fn->nodes[best].depth;
		if (dep > bdep || (dep == bdep && best && r->hi - r->lo < bestsize)) {
			best = r->node;
			bestsize = r->hi - r->lo;
		}
	}
	return best;
}

/* ---------------------------------------------------------------------- */
/* lines and names */

static int cu_lines(struct sym_dwarf *d, struct sym_cu *cu)
{
	Dwarf_Attribute at;
	Dwarf_Word off;

	if (cu->lines_state)
		return cu->lines_state;
	cu->lines_state = -1;
	if (!d->ds_read)
		dsecs_init(d);
	if (dwarf_attr(&cu->die, DW_AT_stmt_list, &at) && dwarf_formudata(&at, &off) == 0 &&
	    sym_ltab_read(&d->ds, off, &cu->lt)) {
		cu->lines_state = 1;
	} else if (dwarf_getsrclines(&cu->die, &cu->lines, &cu->nlines) == 0 && cu->nlines) {
		cu->lines_state = 2;
		if (dwarf_getsrcfiles(&cu->die, &cu->files, &cu->nfiles) != 0) {
			cu->files = NULL;
			cu->nfiles = 0;
		}
	}
	return cu->lines_state;
}

/* libdw's table: the last row at or below a, unless that ends a sequence. */
static Dwarf_Line *libdw_line(struct sym_cu *cu, uint64_t a)
{
	size_t lo = 0, hi = cu->nlines;
	Dwarf_Line *l;
	Dwarf_Addr la;
	bool end;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		l = dwarf_onesrcline(cu->lines, mid);
		if (l && dwarf_lineaddr(l, &la) == 0 && la <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	l = dwarf_onesrcline(cu->lines, lo - 1);
	if (!l || dwarf_lineendsequence(l, &end) != 0 || end)
		return NULL;
	return l;
}

/* A file name as addr2line prints it: relative names under the compilation directory. */
static const char *intern_path(struct symbolizer *s, const struct sym_cu *cu, const char *f)
{
	if (!f)
		return NULL;
	if (f[0] == '/' || !cu->comp_dir)
		return sym_intern(s, f);
	return sym_internf(s, "%s/%s", cu->comp_dir, f);
}

/* The line table's file idx (DW_AT_call_file). */
static const char *cu_file(struct sym_obj *o, struct sym_cu *cu, uint64_t idx)
{
	switch (cu_lines(o->dwarf, cu)) {
	case 1:
		return sym_ltab_file(o->s, &cu->lt, idx, cu->comp_dir);
	case 2:
		if (cu->files && idx < cu->nfiles)
			return intern_path(o->s, cu, dwarf_filesrc(cu->files, idx, NULL, NULL));
		break;
	}
	return NULL;
}

/* The row that covers a: file, line and column into l. */
static bool line_at(struct sym_obj *o, struct sym_cu *cu, uint64_t a, struct sym_loc *l)
{
	switch (cu_lines(o->dwarf, cu)) {
	case 1: {
		const struct sym_row *row = sym_ltab_find(&cu->lt, a);

		if (!row)
			return false;
		l->file = (char *)sym_ltab_file(o->s, &cu->lt, row->file, cu->comp_dir);
		l->line = (int)row->line;
		l->column = (int)row->col;
		l->comp_dir = (char *)cu->comp_dir;
		return true;
	}
	case 2: {
		Dwarf_Line *ln = libdw_line(cu, a);
		int n = 0, c = 0;

		if (!ln)
			return false;
		dwarf_lineno(ln, &n);
		dwarf_linecol(ln, &c);
		l->file = (char *)intern_path(o->s, cu, dwarf_linesrc(ln, NULL, NULL));
		l->line = n;
		l->column = c;
		l->comp_dir = (char *)cu->comp_dir;
		return true;
	}
	}
	return false;
}

/* No CU claims a: the line tables of the CUs that claim no code at all. */
static struct sym_cu *cu_by_lines(struct sym_obj *o, uint64_t a)
{
	struct sym_dwarf *d = o->dwarf;

	if (!d->cur_built)
		build_cu_ranges(d);
	for (size_t i = 0; i < d->nbare; i++) {
		struct sym_cu *cu = get_cu(o, d->bare[i]);
		struct sym_loc l;

		if (cu && line_at(o, cu, a, &l))
			return cu;
	}
	return NULL;
}

/* The CU holding a (a DWARF address), or NULL. */
static struct sym_cu *cu_at(struct sym_obj *o, uint64_t a)
{
	Dwarf_Off off;

	return find_cu_offset(o->dwarf, a, &off) ? get_cu(o, off) : cu_by_lines(o, a);
}

static const char *die_name(struct symbolizer *s, struct sym_dwarf *d, Dwarf_Off off)
{
	Dwarf_Die die;
	Dwarf_Attribute at;
	const char *n;

	if (!dwarf_offdie(d->dw, off, &die))
		return NULL;
	n = dwarf_formstring(dwarf_attr_integrate(&die, DW_AT_name, &at));
	return n ? sym_intern(s, n) : NULL;
}

static bool die_udata(Dwarf_Die *die, int name, Dwarf_Word *v)
{
	Dwarf_Attribute at;

	return dwarf_attr(die, name, &at) && dwarf_formudata(&at, v) == 0;
}

/* ---------------------------------------------------------------------- */

void sym_dwarf_lookup(struct sym_query *q)
{
	struct sym_obj *o = q->obj;
	struct symbolizer *s = o->s;
	struct sym_dwarf *d = o->dwarf;
	struct sym_result *r = q->res;
	uint64_t a;
	struct sym_cu *cu;
	struct sym_fn *fn = NULL;
	bool line;
	uint32_t node = 0;
	size_t n = 0;

	if (!d) {
		r->status = SYM_NO_DEBUGINFO;
		return;
	}
	a = q->addr - d->bias;
	cu = cu_at(o, a);
	if (!cu) {
		r->status = SYM_NO_LINE;
		return;
	}
	if (!cu->built)
		build_cu(cu);
	fn = find_fn(cu, a);
	if (fn) {
		if (!fn->built)
			build_fn(d, fn);
		node = innermost_node(fn, a);
		n = (size_t)fn->nodes[node].depth + 1;
	} else {
		n = 1;   /* code without a subprogram DIE (assembly): the line table only */
	}
	r->chain = xcalloc(n, sizeof(*r->chain));
	r->nchain = n;
	line = line_at(o, cu, a, &r->chain[0]);
	for (size_t lvl = 0; fn && lvl < n; lvl++) {
		const struct sym_node *nd = &fn->nodes[node];

		if (nd->parent < 0) {
			r->chain[lvl].func = (char *)q->symbol;
			break;
		}
		r->chain[lvl].func = (char *)die_name(s, d, nd->die);
		if (!r->chain[lvl].func)
			r->chain[lvl].func = (char *)sym_intern(s, "??");
		/* the caller's level: where this one was inlined */
		{
			Dwarf_Die die;
			Dwarf_Word cf = 0, cl = 0, cc = 0;

			if (dwarf_offdie(d->dw, nd->die, &die)) {
				bool hf = die_udata(&die, DW_AT_call_file, &cf);

				die_udata(&die, DW_AT_call_line, &cl);
				die_udata(&die, DW_AT_call_column, &cc);
				if (hf)
					r->chain[lvl + 1].file = (char *)cu_file(o, cu, cf);
				r->chain[lvl + 1].line = (int)cl;
				r->chain[lvl + 1].column = (int)cc;
				r->chain[lvl + 1].comp_dir = (char *)cu->comp_dir;
			}
		}
		node = (uint32_t)nd->parent;
	}
	if (!fn)
		r->chain[0].func = (char *)q->symbol;
	if (!line && n == 1)
		r->status = SYM_NO_LINE;
}

const char *sym_dwarf_first_comp_dir(struct sym_obj *o)
{
	Dwarf_Off next;
	size_t hsize;
	struct sym_cu *cu;

	if (!sym_dwarf_open(o))
		return NULL;
	if (dwarf_nextcu(o->dwarf->dw, 0, &next, &hsize, NULL, NULL, NULL) != 0 || !(cu = get_cu(o, hsize)))
		return NULL;
	return cu->comp_dir;
}

const char *sym_dwarf_comp_dir(struct sym_obj *o, uint64_t addr)
{
	struct sym_cu *cu;

	if (!sym_dwarf_open(o))
		return NULL;
	cu = cu_at(o, addr - o->dwarf->bias);
	return cu ? cu->comp_dir : NULL;
}

/* ---------------------------------------------------------------------- */
/* struct layouts */

static void types_put(struct sym_obj *o, const char *name, Dwarf_Off off, int tag)
{
	struct sym_dwarf *d = o->dwarf;
	size_t i;

	if ((d->ntypes + 1) * 2 > d->types_mask + 1) {
		size_t newcap = d->types_mask ? (d->types_mask + 1) * 2 : 4096;
		struct sym_typeent *nt = xcalloc(newcap, sizeof(*nt));

		for (size_t j = 0; d->types && j <= d->types_mask; j++) {
			if (!d->types[j].name)
				continue;
			for (i = XXH3_64bits(d->types[j].name, strlen(d->types[j].name)) & (newcap - 1); nt[i].name;
			     i = (i + 1) & (newcap - 1))
				;
			nt[i] = d->types[j];
		}
		free(d->types);
		d->types = nt;
		d->types_mask = newcap - 1;
	}
	for (i = XXH3_64bits(name, strlen(name)) & d->types_mask; d->types[i].name; i = (i + 1) & d->types_mask) {
		if (!strcmp(d->types[i].name, name)) {
			/* prefer a struct over a union over a typedef of the same name */
			if (tag == DW_TAG_structure_type && d->types[i].tag != DW_TAG_structure_type) {
				d->types[i].off = off;
				d->types[i].tag = tag;
			} else if (tag == DW_TAG_union_type && d->types[i].tag == DW_TAG_typedef) {
				d->types[i].off = off;
				d->types[i].tag = tag;
			}
			return;
		}
	}
	d->types[i].name = sym_intern(o->s, name);
	d->types[i].off = off;
	d->types[i].tag = tag;
	d->ntypes++;
}

static void build_types(struct sym_obj *o)
{
	struct sym_dwarf *d = o->dwarf;
	Dwarf_Off off = 0, next;
	size_t hsize;

	d->types_built = true;
	while (dwarf_nextcu(d->dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cudie, child;

		if (dwarf_offdie(d->dw, off + hsize, &cudie) && dwarf_child(&cudie, &child) == 0) {
			do {
				int tag = dwarf_tag(&child);
				const char *name;

				if (tag != DW_TAG_structure_type && tag != DW_TAG_union_type && tag != DW_TAG_typedef)
					continue;
				if (dwarf_hasattr(&child, DW_AT_declaration) || !(name = dwarf_diename(&child)))
					continue;
				if (tag != DW_TAG_typedef && !dwarf_hasattr(&child, DW_AT_byte_size))
					continue;
				types_put(o, name, dwarf_dieoffset(&child), tag);
			} while (dwarf_siblingof(&child, &child) == 0);
		}
		off = next;
	}
}

/* Follow typedefs and qualifiers. */
static bool peel(Dwarf_Die *die)
{
	for (int i = 0; i < 64; i++) {
		int tag = dwarf_tag(die);
		Dwarf_Attribute at;

		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
		    tag != DW_TAG_restrict_type && tag != DW_TAG_atomic_type)
			return true;
		if (!dwarf_attr_integrate(die, DW_AT_type, &at) || !dwarf_formref_die(&at, die))
			return false;
	}
	return false;
}

static bool member_offset(Dwarf_Die *m, uint64_t *off)
{
	Dwarf_Attribute at;
	Dwarf_Word v;

	*off = 0;
	if (dwarf_attr(m, DW_AT_data_member_location, &at)) {
		Dwarf_Op *ops;
		size_t nops;

		if (dwarf_formudata(&at, &v) == 0) {
			*off = v;
			return true;
		}
		if (dwarf_getlocation(&at, &ops, &nops) == 0 && nops == 1 && ops[0].atom == DW_OP_plus_uconst) {
			*off = ops[0].number;
			return true;
		}
		return false;
	}
	if (dwarf_attr(m, DW_AT_data_bit_offset, &at) && dwarf_formudata(&at, &v) == 0) {
		*off = v / 8;
		return true;
	}
	return true;   /* union members: 0 */
}

/* Find member name in struct/union die (looking into anonymous members); *m and *off on success. */
static bool find_member(Dwarf_Die *agg, const char *name, size_t nlen, Dwarf_Die *m, uint64_t *off, int depth)
{
	Dwarf_Die child;

	if (depth > 16 || dwarf_child(agg, &child) != 0)
		return false;
	do {
		const char *cn;
		uint64_t moff;

		if (dwarf_tag(&child) != DW_TAG_member)
			continue;
		cn = dwarf_diename(&child);
		if (cn && strlen(cn) == nlen && !memcmp(cn, name, nlen)) {
			if (!member_offset(&child, &moff))
				return false;
			*m = child;
			*off = moff;
			return true;
		}
		if (!cn) {
			Dwarf_Attribute at;
			Dwarf_Die t;
			uint64_t inner;

			if (dwarf_attr_integrate(&child, DW_AT_type, &at) && dwarf_formref_die(&at, &t) && peel(&t) &&
			    (dwarf_tag(&t) == DW_TAG_structure_type || dwarf_tag(&t) == DW_TAG_union_type) &&
			    member_offset(&child, &moff) && find_member(&t, name, nlen, m, &inner, depth + 1)) {
				*off = moff + inner;
				return true;
			}
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

static bool die_type(Dwarf_Die *die, Dwarf_Die *t)
{
	Dwarf_Attribute at;

	return dwarf_attr_integrate(die, DW_AT_type, &at) && dwarf_formref_die(&at, t);
}

static uint64_t type_size(Dwarf_Die *t)
{
	Dwarf_Word sz;
	Dwarf_Die p = *t;

	if (dwarf_aggregate_size(&p, &sz) == 0)
		return sz;
	if (peel(&p) && dwarf_tag(&p) == DW_TAG_pointer_type)
		return sizeof(void *);
	return 0;
}

/* An array type: its element type and size, and the count of each dimension. */
struct dims {
	Dwarf_Die elem;
	uint64_t esize;
	uint64_t count[8];
	int n;
};

static bool array_dims(Dwarf_Die *arr, struct dims *dm)
{
	Dwarf_Word bs;
	Dwarf_Die sub;

	dm->n = 0;
	if (!die_type(arr, &dm->elem))
		return false;
	dm->esize = type_size(&dm->elem);
	if (die_udata(arr, DW_AT_byte_stride, &bs))
		dm->esize = bs;
	if (dwarf_child(arr, &sub) == 0) {
		do {
			Dwarf_Word ub, cnt;

			if (dwarf_tag(&sub) != DW_TAG_subrange_type || dm->n == 8)
				continue;
			if (die_udata(&sub, DW_AT_count, &cnt))
				dm->count[dm->n] = cnt;
			else if (die_udata(&sub, DW_AT_upper_bound, &ub))
				dm->count[dm->n] = ub + 1;
			else
				dm->count[dm->n] = 0;    /* flexible */
			dm->n++;
		} while (dwarf_siblingof(&sub, &sub) == 0);
	}
	if (!dm->n)
		dm->count[dm->n++] = 0;
	return true;
}

/* Bytes of one step of dimension k: the element times the dimensions after k. */
static uint64_t dims_stride(const struct dims *dm, int k)
{
	uint64_t st = dm->esize;

	for (int i = k + 1; i < dm->n; i++)
		st *= dm->count[i];
	return st;
}

int sym_dwarf_struct_member(struct sym_obj *o, const char *struct_name, const char *path, uint64_t *offset,
			    uint64_t *size, uint64_t *stride)
{
	struct sym_dwarf *d = o->dwarf;
	const struct sym_typeent *te = NULL;
	Dwarf_Die t;
	uint64_t off = 0, str = 0;
	const char *p = path;
	size_t i;

	if (!d)
		return -1;
	if (!d->types_built)
		build_types(o);
	if (str_startswith(struct_name, "struct "))
		struct_name += 7;
	else if (str_startswith(struct_name, "union "))
		struct_name += 6;
	for (i = d->types ? XXH3_64bits(struct_name, strlen(struct_name)) & d->types_mask : 0;
	     d->types && d->types[i].name; i = (i + 1) & d->types_mask)
		if (!strcmp(d->types[i].name, struct_name)) {
			te = &d->types[i];
			break;
		}
	if (!te || !dwarf_offdie(d->dw, te->off, &t) || !peel(&t))
		return -1;
	if (dwarf_tag(&t) != DW_TAG_structure_type && dwarf_tag(&t) != DW_TAG_union_type)
		return -1;
	while (*p) {
		const char *e = p;
		size_t nlen;
		Dwarf_Die m;
		uint64_t moff;

		while (*e && *e != '.' && *e != '[')
			e++;
		nlen = (size_t)(e - p);
		if (!nlen || !peel(&t) ||
		    (dwarf_tag(&t) != DW_TAG_structure_type && dwarf_tag(&t) != DW_TAG_union_type) ||
		    !find_member(&t, p, nlen, &m, &moff, 0))
			return 0;
		off += moff;
		if (!die_type(&m, &t))
			return 0;
		/* ring[] or ring[3] (pairs[1][0]): step into the element type */
		if (*e == '[') {
			struct dims dm;
			int k = 0;

			if (!peel(&t) || dwarf_tag(&t) != DW_TAG_array_type || !array_dims(&t, &dm))
				return 0;
			while (*e == '[') {
				uint64_t idx = 0;

				e++;
				while (*e >= '0' && *e <= '9')
					idx = idx * 10 + (uint64_t)(*e++ - '0');
				if (*e != ']' || k >= dm.n)
					return 0;
				e++;
				str = dims_stride(&dm, k);
				off += idx * str;
				k++;
			}
			if (k < dm.n) {
				/* a row of a multi-dimensional array: nothing further inside */
				if (*e)
					return 0;
				*offset = off;
				*size = str;
				*stride = str;
				return 1;
			}
			t = dm.elem;
		}
		if (*e == '.')
			e++;
		else if (*e)
			return 0;
		p = e;
	}
	*offset = off;
	*size = type_size(&t);
	*stride = str;
	return 1;
}
