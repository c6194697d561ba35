/*
 * sym_units.c - the compilation units of one object's DWARF (see
 * sym_units.h):
 *
 *   address -> unit     .debug_aranges (read here), libdw's aranges, or
 *                       the units' own ranges; units that claim no code
 *                       but have a line table are tried last
 *   unit -> lines       sym_lines.c's reader, libdw's dwarf_getsrclines()
 *                       when that declines
 */
#define _GNU_SOURCE
#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#include "elfobj.h"
#include "hashmap.h"
#include "kt.h"
#include "strpool.h"
#include "sym_die.h"
#include "sym_lines.h"
#include "sym_units.h"

#define SYM_UNITS_OVERLAP 8     /* ranges looked back over when they overlap */

struct sym_unit {
	struct hashmap_entry ent;   /* by off */
	Dwarf_Off off;
	Dwarf *dw;
	Dwarf_Die die;          /* libdw's, made on first use (die_state 1; -1: it failed) */
	int die_state;
	struct sym_die_cu *dc;  /* sym_die.c's reader, or NULL: it declined the unit */
	const char *comp_dir;
	int lines_state;        /* 0 not read, 1 sym_lines.c, 2 libdw, -1 none */
	struct sym_ltab *lt;
	Dwarf_Lines *lines;
	size_t nlines;
	uint64_t *laddrs;       /* libdw's rows' addresses, for the search */
	Dwarf_Files *files;
	size_t nfiles;
	void *data;
};

struct sym_curange {
	uint64_t lo, hi;
	Dwarf_Off off;          /* of the CU DIE (the unit header in ar) */
	struct sym_unit *unit;  /* in ar: the unit, once looked up */
};

struct sym_units {
	struct strpool *pool;
	void (*free_data)(void *);
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
	struct hashmap units;   /* struct sym_unit by off */
};

static bool sym_unit_eq(const struct hashmap_entry *e, const struct hashmap_entry *key, const void *keydata)
{
	(void)key;
	return container_of(e, struct sym_unit, ent)->off == *(const Dwarf_Off *)keydata;
}

struct sym_units *sym_units_open(struct elfobj *o, struct strpool *pool, void (*free_data)(void *))
{
	Dwarf_Addr bias;
	Dwarf *dw = elfobj_dwarf(o, &bias);
	struct sym_units *u;

	if (!dw)
		return NULL;
	u = xcalloc(1, sizeof(*u));
	u->pool = pool;
	u->free_data = free_data;
	u->dw = dw;
	u->bias = bias;
	hashmap_init(&u->units, sym_unit_eq, 256);
	return u;
}

static void sym_unit_free(struct sym_units *u, struct sym_unit *cu)
{
	if (cu->data && u->free_data)
		u->free_data(cu->data);
	sym_ltab_free(cu->lt);
	sym_die_cu_free(cu->dc);
	free(cu->laddrs);
	free(cu);
}

void sym_units_close(struct sym_units *u)
{
	struct hashmap_iter it;
	struct hashmap_entry *e;

	if (!u)
		return;
	for (e = hashmap_iter_first(&u->units, &it); e; e = hashmap_iter_next(&it))
		sym_unit_free(u, container_of(e, struct sym_unit, ent));
	hashmap_clear(&u->units, HASHMAP_NO_FREE);
	free(u->cur);
	free(u->ar);
	free(u->bare);
	free(u);
}

Dwarf *sym_units_dwarf(const struct sym_units *u) { return u->dw; }
uint64_t sym_units_bias(const struct sym_units *u) { return u->bias; }
/*
 * libdw's DIE of the unit, made only when asked: dwarf_offdie() reads
 * every unit header before the one asked for, which touches (and maps)
 * pages all over .debug_info.
 */
Dwarf_Die *sym_unit_die(struct sym_unit *cu)
{
	if (!cu->die_state)
		cu->die_state = dwarf_offdie(cu->dw, cu->off, &cu->die) ? 1 : -1;
	return cu->die_state > 0 ? &cu->die : NULL;
}

uint64_t sym_unit_offset(const struct sym_unit *cu) { return cu->off; }
const char *sym_unit_comp_dir(const struct sym_unit *cu) { return cu->comp_dir; }
void **sym_unit_data(struct sym_unit *cu) { return &cu->data; }

/* ---------------------------------------------------------------------- */
/* address -> unit */

static int sym_curange_cmp(const void *a, const void *b)
{
	const struct sym_curange *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void sym_units_add_range(struct sym_curange **r, size_t *n, size_t *cap, uint64_t lo, uint64_t hi,
				Dwarf_Off off)
{
	ALLOC_GROW(*r, *n, *cap);
	(*r)[*n].lo = lo;
	(*r)[*n].hi = hi;
	(*r)[*n].off = off;
	(*r)[*n].unit = NULL;
	(*n)++;
}

/* Without (complete) .debug_aranges: every CU's own ranges, once. */
static void sym_units_build_ranges(struct sym_units *u)
{
	Dwarf_Off off = 0, next;
	size_t hsize, cap = 0, barecap = 0;

	u->cur_built = true;
	while (dwarf_nextcu(u->dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cudie;
		Dwarf_Addr base, lo, hi;
		ptrdiff_t r = 0;
		size_t before = u->ncur;

		if (dwarf_offdie(u->dw, off + hsize, &cudie)) {
			while ((r = dwarf_ranges(&cudie, r, &base, &lo, &hi)) > 0)
				if (hi > lo)
					sym_units_add_range(&u->cur, &u->ncur, &cap, lo, hi, dwarf_dieoffset(&cudie));
			/* code the compiler added late (constructors) may sit in the
			   line table of a CU that claims no code at all */
			if (u->ncur == before && dwarf_hasattr(&cudie, DW_AT_stmt_list)) {
				ALLOC_GROW(u->bare, u->nbare, barecap);
				u->bare[u->nbare++] = dwarf_dieoffset(&cudie);
			}
		}
		off = next;
	}
	if (u->ncur)
		qsort(u->cur, u->ncur, sizeof(*u->cur), sym_curange_cmp);
}

static uint64_t sym_units_get_u(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* The debug sections read here and by sym_lines.c, as libdw sees them (decompressed, relocated). */
static void sym_units_dsecs(struct sym_units *u)
{
	Elf *elf = dwarf_getelf(u->dw);
	size_t shstrndx;

	u->ds_read = true;
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
			slot = &u->aranges_data;
		else if (!strcmp(name, ".debug_line"))
			slot = &u->ds.line;
		else if (!strcmp(name, ".debug_line_str"))
			slot = &u->ds.line_str;
		else if (!strcmp(name, ".debug_str"))
			slot = &u->ds.str;
		else if (!strcmp(name, ".debug_info"))
			slot = &u->ds.info;
		else if (!strcmp(name, ".debug_abbrev"))
			slot = &u->ds.abbrev;
		else if (!strcmp(name, ".debug_rnglists"))
			slot = &u->ds.rnglists;
		else if (!strcmp(name, ".debug_ranges"))
			slot = &u->ds.ranges;
		if (slot)
			*slot = elf_getdata(scn, NULL);
	}
}

/* One address range set of .debug_aranges at p; the end of the set, or NULL if unreadable. */
static const unsigned char *sym_units_arange_set(struct sym_units *u, const unsigned char *p,
						 const unsigned char *end, size_t *cap)
{
	const unsigned char *set = p, *setend;
	uint64_t len = sym_units_get_u(p, 4), cu;
	int osz = 4, asz, hdr;

	p += 4;
	if (len == 0xffffffff) {
		len = sym_units_get_u(p, 8);
		p += 8;
		osz = 8;
	}
	if (len > (uint64_t)(end - p) || len < (uint64_t)(2 + osz + 2))
		return NULL;
	setend = p + len;
	if (sym_units_get_u(p, 2) != 2)
		return NULL;           /* version 2 is the only one there is */
	cu = sym_units_get_u(p + 2, osz);
	asz = p[2 + osz];
	if ((asz != 4 && asz != 8) || p[3 + osz] != 0)
		return NULL;           /* segmented addresses: libdw's job */
	p += 4 + osz;
	/* the tuples start at a multiple of twice the address size */
	hdr = (int)(p - set);
	p = set + (hdr + 2 * asz - 1) / (2 * asz) * (2 * asz);
	while (setend - p >= 2 * asz) {
		uint64_t lo = sym_units_get_u(p, asz), n = sym_units_get_u(p + asz, asz);

		p += 2 * asz;
		if (!lo && !n)
			break;
		if (n)
			sym_units_add_range(&u->ar, &u->nar, cap, lo, lo + n, cu);
	}
	return setend;
}

/*
 * .debug_aranges, read here: libdw's dwarf_getaranges() also opens the
 * header of every unit it names, one page of .debug_info per unit, which
 * costs a cold start more than everything else.  False if unreadable.
 */
static bool sym_units_read_aranges(struct sym_units *u)
{
	Elf_Data *data;
	const unsigned char *p, *end;
	size_t cap = 0;

	if (!u->ds_read)
		sym_units_dsecs(u);
	data = u->aranges_data;
	if (!data || !data->d_buf)
		return false;
	p = data->d_buf;
	end = p + data->d_size;
	while (end - p >= 16)
		if (!(p = sym_units_arange_set(u, p, end, &cap)))
			return false;
	if (u->nar)
		qsort(u->ar, u->nar, sizeof(*u->ar), sym_curange_cmp);
	return true;
}

static int sym_curange_key_cmp(const void *key, const void *elem)
{
	uint64_t a = *(const uint64_t *)key;

	return a < ((const struct sym_curange *)elem)->lo ? -1 : 0;
}

/* The entry of a sorted range table holding a, looking back over a few overlaps. */
static struct sym_curange *sym_units_range_find(struct sym_curange *r, size_t n, uint64_t a)
{
	size_t lo = kt_upper_bound(r, n, sizeof(*r), &a, sym_curange_key_cmp);

	for (size_t i = lo; i-- > 0 && lo - i <= SYM_UNITS_OVERLAP;)
		if (a >= r[i].lo && a < r[i].hi)
			return &r[i];
	return NULL;
}

static void sym_units_aranges(struct sym_units *u)
{
	u->ar_read = true;
	if (!sym_units_read_aranges(u)) {
		free(u->ar);
		u->ar = NULL;
		u->nar = 0;
		if (dwarf_getaranges(u->dw, &u->aranges, &u->naranges) != 0)
			u->aranges = NULL;
	}
}

static bool sym_units_find_offset(struct sym_units *u, uint64_t a, Dwarf_Off *off, uint64_t *hdr)
{
	struct sym_curange *e;

	if (!u->ar_read)
		sym_units_aranges(u);
	if ((e = sym_units_range_find(u->ar, u->nar, a))) {
		Dwarf_Off next;
		size_t hsize;

		/* the unit header (of this unit only): the DIE follows it */
		if (dwarf_next_unit(u->dw, e->off, &next, &hsize, NULL, NULL, NULL, NULL, NULL, NULL) == 0) {
			*off = e->off + hsize;
			*hdr = e->off;
			return true;
		}
	}
	if (u->aranges) {
		Dwarf_Arange *ar = dwarf_getarange_addr(u->aranges, a);

		if (ar && dwarf_getarangeinfo(ar, NULL, NULL, off) == 0)
			return true;
	}
	if (!u->cur_built)
		sym_units_build_ranges(u);
	if ((e = sym_units_range_find(u->cur, u->ncur, a))) {
		*off = e->off;
		return true;
	}
	return false;
}

static void sym_units_dsecs(struct sym_units *u);

/* sym_die.c's reader of the unit with its header at hdr, when its DIE at off is a unit's; else NULL. */
static struct sym_die_cu *sym_units_reader(struct sym_units *u, uint64_t hdr, Dwarf_Off off)
{
	struct sym_die_cu *dc;
	struct sym_die top;

	if (getenv("KT_SYM_LIBDW_WALK"))
		return NULL;
	dc = sym_die_cu_open(sym_units_sections(u), hdr);
	if (dc && (!sym_die_read(dc, off, &top) || top.off != sym_die_first(dc) ||
		   (top.tag != DW_TAG_compile_unit && top.tag != DW_TAG_partial_unit))) {
		sym_die_cu_free(dc);
		dc = NULL;
	}
	return dc;
}

/*
 * The unit whose DIE is at off (its header at hdr, UINT64_MAX if not
 * known), opened on first use; NULL if there is none.
 */
static struct sym_unit *sym_units_get(struct sym_units *u, Dwarf_Off off, uint64_t hdr)
{
	uint64_t h = kt_hash_mem(&off, sizeof(off));
	struct hashmap_entry *e = hashmap_get(&u->units, h, NULL, &off);
	struct sym_unit *cu;
	Dwarf_Attribute at;
	const char *cd;

	if (e)
		return container_of(e, struct sym_unit, ent);
	cu = xcalloc(1, sizeof(*cu));
	cu->off = off;
	cu->dw = u->dw;
	if (hdr == UINT64_MAX && sym_unit_die(cu))
		hdr = off - dwarf_cuoffset(&cu->die);
	if (hdr != UINT64_MAX)
		cu->dc = sym_units_reader(u, hdr, off);
	/* without our reader, libdw's DIE must be there */
	if (!cu->dc && !sym_unit_die(cu)) {
		free(cu);
		return NULL;
	}
	if (!cu->dc || !sym_die_string(cu->dc, off, DW_AT_comp_dir, false, &cd))
		cd = sym_unit_die(cu) ? dwarf_formstring(dwarf_attr(&cu->die, DW_AT_comp_dir, &at)) : NULL;
	cu->comp_dir = cd ? strpool_intern(u->pool, cd) : NULL;
	hashmap_entry_init(&cu->ent, h);
	hashmap_add(&u->units, &cu->ent);
	return cu;
}

/* No CU claims a: the line tables of the CUs that claim no code at all. */
static struct sym_unit *sym_units_by_lines(struct sym_units *u, uint64_t a)
{
	if (!u->cur_built)
		sym_units_build_ranges(u);
	for (size_t i = 0; i < u->nbare; i++) {
		struct sym_unit *cu = sym_units_get(u, u->bare[i], UINT64_MAX);
		struct sym_line l;

		if (cu && sym_unit_line_at(u, cu, a, &l))
			return cu;
	}
	return NULL;
}

struct sym_unit *sym_units_unit(struct sym_units *u, Dwarf_Off off)
{
	return sym_units_get(u, off, UINT64_MAX);
}

struct sym_unit *sym_units_at(struct sym_units *u, uint64_t a)
{
	Dwarf_Off off;

	uint64_t hdr = UINT64_MAX;
	struct sym_curange *e;
	struct sym_unit *cu;

	if (!u->ar_read)
		sym_units_aranges(u);
	/* an address range of .debug_aranges names one unit: looked up once */
	e = sym_units_range_find(u->ar, u->nar, a);
	if (e && e->unit)
		return e->unit;
	if (!sym_units_find_offset(u, a, &off, &hdr))
		return sym_units_by_lines(u, a);
	cu = sym_units_get(u, off, hdr);
	if (e && hdr == e->off)
		e->unit = cu;
	return cu;
}

const struct sym_dsecs *sym_units_sections(struct sym_units *u)
{
	if (!u->ds_read)
		sym_units_dsecs(u);
	return &u->ds;
}

struct sym_die_cu *sym_unit_reader(struct sym_unit *cu)
{
	return cu->dc;
}

struct sym_unit *sym_units_first(struct sym_units *u)
{
	Dwarf_Off next;
	size_t hsize;

	if (dwarf_nextcu(u->dw, 0, &next, &hsize, NULL, NULL, NULL) != 0)
		return NULL;
	return sym_units_get(u, hsize, 0);
}

/* ---------------------------------------------------------------------- */
/* lines */

/* libdw's rows: their addresses, for the search (a row without one sorts last). */
static void sym_unit_libdw_addrs(struct sym_unit *cu)
{
	cu->laddrs = xmalloc(cu->nlines * sizeof(*cu->laddrs) + 1);
	for (size_t i = 0; i < cu->nlines; i++) {
		Dwarf_Line *l = dwarf_onesrcline(cu->lines, i);
		Dwarf_Addr la;

		cu->laddrs[i] = l && dwarf_lineaddr(l, &la) == 0 ? la : UINT64_MAX;
	}
}

/* DW_AT_stmt_list: by our reader, else libdw's. */
static bool sym_unit_stmt_list(struct sym_unit *cu, uint64_t *off)
{
	Dwarf_Attribute at;
	Dwarf_Word w;
	bool has;

	if (cu->dc && sym_die_offset(cu->dc, cu->off, DW_AT_stmt_list, &has, off))
		return has;
	if (!sym_unit_die(cu) || !dwarf_attr(&cu->die, DW_AT_stmt_list, &at) || dwarf_formudata(&at, &w) != 0)
		return false;
	*off = w;
	return true;
}

static int sym_unit_lines(struct sym_units *u, struct sym_unit *cu)
{
	uint64_t off;

	if (cu->lines_state)
		return cu->lines_state;
	cu->lines_state = -1;
	if (!u->ds_read)
		sym_units_dsecs(u);
	if (sym_unit_stmt_list(cu, &off) && (cu->lt = sym_ltab_read(&u->ds, off))) {
		cu->lines_state = 1;
	} else if (sym_unit_die(cu) && dwarf_getsrclines(&cu->die, &cu->lines, &cu->nlines) == 0 && cu->nlines) {
		cu->lines_state = 2;
		sym_unit_libdw_addrs(cu);
		if (dwarf_getsrcfiles(&cu->die, &cu->files, &cu->nfiles) != 0) {
			cu->files = NULL;
			cu->nfiles = 0;
		}
	}
	return cu->lines_state;
}

static int sym_addr_cmp(const void *key, const void *elem)
{
	return *(const uint64_t *)key < *(const uint64_t *)elem ? -1 : 0;
}

/* libdw's table: the last row at or below a, unless that ends a sequence. */
static Dwarf_Line *sym_unit_libdw_line(struct sym_unit *cu, uint64_t a)
{
	size_t lo = kt_upper_bound(cu->laddrs, cu->nlines, sizeof(*cu->laddrs), &a, sym_addr_cmp);
	Dwarf_Line *l;
	bool end;

	if (!lo)
		return NULL;
	l = dwarf_onesrcline(cu->lines, lo - 1);
	if (!l || dwarf_lineendsequence(l, &end) != 0 || end)
		return NULL;
	return l;
}

/* A file name as addr2line prints it: relative names under the compilation directory. */
static const char *sym_unit_path(struct sym_units *u, const struct sym_unit *cu, const char *f)
{
	if (!f)
		return NULL;
	if (f[0] == '/' || !cu->comp_dir)
		return strpool_intern(u->pool, f);
	return strpool_internf(u->pool, "%s/%s", cu->comp_dir, f);
}

const char *sym_unit_file(struct sym_units *u, struct sym_unit *cu, uint64_t idx)
{
	switch (sym_unit_lines(u, cu)) {
	case 1:
		return sym_ltab_file(u->pool, cu->lt, idx, cu->comp_dir);
	case 2:
		if (cu->files && idx < cu->nfiles)
			return sym_unit_path(u, cu, dwarf_filesrc(cu->files, idx, NULL, NULL));
		break;
	}
	return NULL;
}

bool sym_unit_line_at(struct sym_units *u, struct sym_unit *cu, uint64_t a, struct sym_line *l)
{
	switch (sym_unit_lines(u, cu)) {
	case 1: {
		const struct sym_row *row = sym_ltab_find(cu->lt, a);

		if (!row)
			return false;
		l->file = sym_ltab_file(u->pool, cu->lt, row->file, cu->comp_dir);
		l->line = (int)row->line;
		l->column = (int)row->col;
		return true;
	}
	case 2: {
		Dwarf_Line *ln = sym_unit_libdw_line(cu, a);
		int n = 0, c = 0;

		if (!ln)
			return false;
		dwarf_lineno(ln, &n);
		dwarf_linecol(ln, &c);
		l->file = sym_unit_path(u, cu, dwarf_linesrc(ln, NULL, NULL));
		l->line = n;
		l->column = c;
		return true;
	}
	}
	return false;
}
