/*
 * sym_lines.c - a compact reader of one CU's DWARF line program (versions
 * 2 to 5): rows of (address, line, column, file), sorted by sequence, and
 * the file table, whose names are joined only when asked for.
 *
 * libdw's dwarf_getsrclines() builds a large row object per line and every
 * file name of every unit up front; a symbolizer touching thousands of
 * units needs a row's address, line and file, and a few names.  What this
 * reader cannot read (an unknown form, a vendor extension) it declines, and
 * the caller falls back to libdw.
 */
#define _GNU_SOURCE
#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#include "dwarf_rd.h"
#include "hashmap.h"
#include "kt.h"
#include "strpool.h"
#include "sym_lines.h"

/* A row as the program makes it (no bit fields: it is written often); kept as a struct sym_row (sym_lines.h), from base. */
struct sym_lrow {
	uint64_t addr;
	uint32_t line;
	uint16_t file;
	uint16_t col;
	bool end;
};

struct sym_ltab {
	struct sym_lrow *rows;  /* while the program runs: sequences sorted by address, rows in program order */
	struct sym_row *kept;   /* the same, kept: addresses from base */
	uint64_t base;
	size_t nrows;
	unsigned version;
	const char **dirs;      /* in the section data */
	size_t ndirs;
	const char **fnames;
	uint32_t *fdirs;
	size_t nfiles;
	const char **paths;     /* interned full names, made on demand */
};

static const char *rd_str(struct dwarf_rd *r)
{
	const char *s = (const char *)r->p;
	const unsigned char *z = memchr(r->p, 0, (size_t)(r->end - r->p));

	if (!z) {
		r->bad = true;
		r->p = r->end;
		return NULL;
	}
	r->p = z + 1;
	return s;
}

static const char *sec_str(const Elf_Data *d, uint64_t off)
{
	if (!d || off >= d->d_size || !memchr((const char *)d->d_buf + off, 0, d->d_size - off))
		return NULL;
	return (const char *)d->d_buf + off;
}

/* One attribute of a DWARF 5 directory or file entry; *str or *num filled. */
static bool rd_form(struct dwarf_rd *r, unsigned form, bool dwarf64, const struct sym_dsecs *ds, const char **str,
		    uint64_t *num)
{
	*str = NULL;
	*num = 0;
	switch (form) {
	case DW_FORM_string: *str = rd_str(r); break;
	case DW_FORM_line_strp: *str = sec_str(ds->line_str, rd_u(r, dwarf64 ? 8 : 4)); break;
	case DW_FORM_strp: *str = sec_str(ds->str, rd_u(r, dwarf64 ? 8 : 4)); break;
	case DW_FORM_udata: *num = rd_uleb(r); break;
	case DW_FORM_data1: *num = rd_u(r, 1); break;
	case DW_FORM_data2: *num = rd_u(r, 2); break;
	case DW_FORM_data4: *num = rd_u(r, 4); break;
	case DW_FORM_data8: *num = rd_u(r, 8); break;
	case DW_FORM_data16: rd_u(r, 8); rd_u(r, 8); break;
	case DW_FORM_block: {
		uint64_t n = rd_uleb(r);

		if ((uint64_t)(r->end - r->p) < n)
			return false;
		r->p += n;
		break;
	}
	default:
		return false;   /* strx and friends need the CU's string offsets: libdw's job */
	}
	return !r->bad;
}

/* DWARF 5: "count of formats, formats, count of entries, entries". */
static bool rd_entries(struct dwarf_rd *r, bool dwarf64, const struct sym_dsecs *ds, const char ***names,
		       uint32_t **dirs, size_t *n)
{
	unsigned nfmt = (unsigned)rd_u(r, 1);
	uint64_t fmt[16][2], cnt;

	if (nfmt > 16)
		return false;
	for (unsigned i = 0; i < nfmt; i++) {
		fmt[i][0] = rd_uleb(r);
		fmt[i][1] = rd_uleb(r);
	}
	cnt = rd_uleb(r);
	if (r->bad || cnt > (uint64_t)(r->end - r->p))
		return false;
	*names = xcalloc(cnt ? cnt : 1, sizeof(**names));
	if (dirs)
		*dirs = xcalloc(cnt ? cnt : 1, sizeof(**dirs));
	*n = cnt;
	for (uint64_t e = 0; e < cnt; e++) {
		for (unsigned i = 0; i < nfmt; i++) {
			const char *str;
			uint64_t num;

			if (!rd_form(r, (unsigned)fmt[i][1], dwarf64, ds, &str, &num))
				return false;
			if (fmt[i][0] == DW_LNCT_path)
				(*names)[e] = str;
			else if (fmt[i][0] == DW_LNCT_directory_index && dirs)
				(*dirs)[e] = (uint32_t)num;
		}
	}
	return true;
}

struct seq {
	size_t first, n;
};

static int seq_cmp(const void *a, const void *b, void *rows)
{
	const struct seq *x = a, *y = b;
	const struct sym_lrow *r = rows;
	uint64_t ax = r[x->first].addr, ay = r[y->first].addr;

	if (ax != ay)
		return ax < ay ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Order the sequences by address; rows inside each keep their order. */
static void sort_sequences(struct sym_ltab *t)
{
	struct seq *seqs = NULL;
	size_t nseq = 0, cap = 0, start = 0;
	bool sorted = true;
	struct sym_lrow *out;

	for (size_t i = 0; i < t->nrows; i++) {
		if (!t->rows[i].end)
			continue;
		ALLOC_GROW(seqs, nseq, cap);
		seqs[nseq].first = start;
		seqs[nseq].n = i + 1 - start;
		if (nseq && t->rows[seqs[nseq - 1].first].addr > t->rows[start].addr)
			sorted = false;
		nseq++;
		start = i + 1;
	}
	t->nrows = start;   /* a sequence without its end is dropped */
	if (!sorted) {
		qsort_r(seqs, nseq, sizeof(*seqs), seq_cmp, t->rows);
		out = xmalloc(t->nrows * sizeof(*out) + 1);
		start = 0;
		for (size_t i = 0; i < nseq; i++) {
			memcpy(out + start, t->rows + seqs[i].first, seqs[i].n * sizeof(*out));
			start += seqs[i].n;
		}
		free(t->rows);
		t->rows = out;
	}
	free(seqs);
}

/* The rows being made: kept in locals while the program runs. */
struct rowbuf {
	struct sym_lrow *rows;
	size_t n, cap;
	bool over;              /* a column or file number a row cannot hold */
};

static inline void add_row(struct rowbuf *b, uint64_t addr, uint64_t line, uint64_t col, uint64_t file, bool end)
{
	struct sym_lrow *w;

	/* several rows at one address: the last one describes it (an end stays) */
	if (b->n && b->rows[b->n - 1].addr == addr && !b->rows[b->n - 1].end && !end)
		b->n--;
	ALLOC_GROW(b->rows, b->n, b->cap);     /* (made as large as the program: a row takes an opcode) */
	w = &b->rows[b->n++];
	w->addr = addr;
	w->line = line > UINT32_MAX ? 0 : (uint32_t)line;
	b->over |= col > 0x7fff;
	w->col = (uint16_t)(col & 0x7fff);
	w->file = file > UINT16_MAX ? UINT16_MAX : (uint16_t)file;   /* no such file: the table has fewer */
	w->end = end;
}

/* The header's numbers the program needs. */
struct lprog {
	unsigned min_len, max_ops, line_range, opcode_base;
	int line_base;
	const unsigned char *std_len;
};

/* Advance the address by adv operations (op_index: VLIW's; 0 where max_ops is 1, as on every CPU the kernel runs on). */
static inline void advance(const struct lprog *lp, uint64_t *addr, uint64_t *op_index, uint64_t adv)
{
	if (lp->max_ops == 1) {
		*addr += lp->min_len * adv;
		return;
	}
	*addr += lp->min_len * ((*op_index + adv) / lp->max_ops);
	*op_index = (*op_index + adv) % lp->max_ops;
}

/* An opcode below opcode_base at r (op read already): false if the program is broken. */
static bool std_op(struct dwarf_rd *r, const struct lprog *lp, unsigned op, struct rowbuf *b, uint64_t st[5])
{
	enum { ADDR, FILE_, LINE, COL, OPI };

	switch (op) {
	case 0: {   /* extended */
		uint64_t len = rd_uleb(r);
		const unsigned char *next;

		if (r->bad || !len || len > (uint64_t)(r->end - r->p))
			return false;
		next = r->p + len;
		switch (*r->p++) {
		case DW_LNE_end_sequence:
			add_row(b, st[ADDR], st[LINE], st[COL], st[FILE_], true);
			st[ADDR] = st[COL] = st[OPI] = 0;
			st[FILE_] = st[LINE] = 1;
			break;
		case DW_LNE_set_address:
			st[ADDR] = rd_u(r, len - 1 >= 8 ? 8 : (int)(len - 1));
			st[OPI] = 0;
			break;
		default:   /* define_file (v2-4), set_discriminator, vendor: not needed */
			break;
		}
		r->p = next;
		return true;
	}
	case DW_LNS_copy: add_row(b, st[ADDR], st[LINE], st[COL], st[FILE_], false); return true;
	case DW_LNS_advance_pc: advance(lp, &st[ADDR], &st[OPI], rd_uleb(r)); return true;
	case DW_LNS_advance_line: st[LINE] += (uint64_t)rd_sleb(r); return true;
	case DW_LNS_set_file: st[FILE_] = rd_uleb(r); return true;
	case DW_LNS_set_column: st[COL] = rd_uleb(r); return true;
	case DW_LNS_negate_stmt: case DW_LNS_set_basic_block: case DW_LNS_set_prologue_end:
	case DW_LNS_set_epilogue_begin:
		return true;
	case DW_LNS_const_add_pc: advance(lp, &st[ADDR], &st[OPI], (255 - lp->opcode_base) / lp->line_range); return true;
	case DW_LNS_fixed_advance_pc: st[ADDR] += rd_u(r, 2); st[OPI] = 0; return true;
	case DW_LNS_set_isa: rd_uleb(r); return true;
	default:
		/* an opcode this reader does not know: skip its operands */
		for (unsigned i = 0; i < lp->std_len[op - 1]; i++)
			rd_uleb(r);
		return true;
	}
}

/*
 * The line program's state machine; is_stmt, views and discriminators are
 * not kept.  The special opcodes (most of a program) take their advances
 * from a table made once.
 */
static bool run_program(struct dwarf_rd *r, struct sym_ltab *t, unsigned min_len, unsigned max_ops, int line_base,
			unsigned line_range, unsigned opcode_base, const unsigned char *std_len)
{
	const struct lprog lp = { min_len, max_ops ? max_ops : 1, line_range, opcode_base, line_base, std_len };
	uint64_t st[5] = { 0, 1, 1, 0, 0 };     /* address, file, line, column, op_index */
	struct rowbuf b = { NULL, 0, (size_t)(r->end - r->p) + 1, false };
	uint32_t adv[256];
	int32_t ladv[256];
	bool ok = true;

	b.rows = xmalloc(b.cap * sizeof(*b.rows));
	for (unsigned op = opcode_base; op < 256; op++) {
		adv[op] = (op - opcode_base) / line_range;
		ladv[op] = line_base + (int32_t)((op - opcode_base) % line_range);
	}
	while (r->p < r->end && !r->bad) {
		unsigned op = *r->p++;

		if (op >= opcode_base) {
			if (lp.max_ops == 1)
				st[0] += (uint64_t)lp.min_len * adv[op];
			else
				advance(&lp, &st[0], &st[4], adv[op]);
			st[2] += (uint64_t)(int64_t)ladv[op];
			add_row(&b, st[0], st[2], st[3], st[1], false);
			continue;
		}
		if (!(ok = std_op(r, &lp, op, &b, st)))
			break;
	}
	t->rows = b.rows;
	t->nrows = b.n;
	return ok && !b.over && !r->bad;
}

/* The rows in 12 bytes each, kept as long as the unit is (no room to spare); false if they span 4 GiB. */
static bool keep_rows(struct sym_ltab *t)
{
	uint64_t lo = UINT64_MAX, hi = 0;

	for (size_t i = 0; i < t->nrows; i++) {
		lo = t->rows[i].addr < lo ? t->rows[i].addr : lo;
		hi = t->rows[i].addr > hi ? t->rows[i].addr : hi;
	}
	if (t->nrows && hi - lo > UINT32_MAX)
		return false;
	t->base = t->nrows ? lo : 0;
	t->kept = xmalloc((t->nrows ? t->nrows : 1) * sizeof(*t->kept));
	for (size_t i = 0; i < t->nrows; i++) {
		const struct sym_lrow *r = &t->rows[i];

		t->kept[i] = (struct sym_row){ (uint32_t)(r->addr - t->base), r->line, r->file, r->col, r->end };
	}
	free(t->rows);
	t->rows = NULL;
	return true;
}

static void sym_ltab_clear(struct sym_ltab *t)
{
	free(t->rows);
	free(t->kept);
	free(t->dirs);
	free(t->fnames);
	free(t->fdirs);
	free(t->paths);
	memset(t, 0, sizeof(*t));
}

static bool sym_ltab_parse(const struct sym_dsecs *ds, uint64_t offset, struct sym_ltab *t)
{
	struct dwarf_rd r;
	uint64_t unit_len, hdr_len;
	unsigned version, min_len, max_ops = 1, line_range, opcode_base;
	int line_base;
	bool dwarf64 = false;
	const unsigned char *prog;
	unsigned char std_len[256];

	memset(t, 0, sizeof(*t));
	if (!ds->line || offset >= ds->line->d_size)
		return false;
	r.p = (const unsigned char *)ds->line->d_buf + offset;
	r.end = (const unsigned char *)ds->line->d_buf + ds->line->d_size;
	r.bad = false;
	unit_len = rd_u(&r, 4);
	if (unit_len == 0xffffffff) {
		dwarf64 = true;
		unit_len = rd_u(&r, 8);
	} else if (unit_len >= 0xfffffff0) {
		return false;
	}
	if (r.bad || unit_len > (uint64_t)(r.end - r.p))
		return false;
	r.end = r.p + unit_len;
	version = (unsigned)rd_u(&r, 2);
	if (version < 2 || version > 5)
		return false;
	if (version >= 5) {
		rd_u(&r, 1);    /* address size: DW_LNE_set_address says it again */
		rd_u(&r, 1);    /* segment selector size */
	}
	hdr_len = rd_u(&r, dwarf64 ? 8 : 4);
	if (r.bad || hdr_len > (uint64_t)(r.end - r.p))
		return false;
	prog = r.p + hdr_len;
	min_len = (unsigned)rd_u(&r, 1);
	if (version >= 4)
		max_ops = (unsigned)rd_u(&r, 1);
	rd_u(&r, 1);        /* default_is_stmt */
	line_base = (int8_t)rd_u(&r, 1);
	line_range = (unsigned)rd_u(&r, 1);
	opcode_base = (unsigned)rd_u(&r, 1);
	if (r.bad || !line_range || !opcode_base)
		return false;
	memset(std_len, 0, sizeof(std_len));
	for (unsigned i = 1; i < opcode_base; i++)
		std_len[i - 1] = (unsigned char)rd_u(&r, 1);
	t->version = version;
	if (version >= 5) {
		if (!rd_entries(&r, dwarf64, ds, &t->dirs, NULL, &t->ndirs) ||
		    !rd_entries(&r, dwarf64, ds, &t->fnames, &t->fdirs, &t->nfiles))
			goto fail;
	} else {
		size_t cap = 0;
		const char *s;

		/* 1-based in the program: slot 0 stays empty (the compilation directory) */
		t->ndirs = 1;
		t->dirs = xcalloc(1, sizeof(*t->dirs));
		while ((s = rd_str(&r)) && *s) {
			ALLOC_GROW(t->dirs, t->ndirs, cap);
			t->dirs[t->ndirs++] = s;
		}
		cap = 0;
		t->nfiles = 1;
		t->fnames = xcalloc(1, sizeof(*t->fnames));
		t->fdirs = xcalloc(1, sizeof(*t->fdirs));
		while ((s = rd_str(&r)) && *s) {
			size_t c2 = cap;

			ALLOC_GROW(t->fnames, t->nfiles, cap);
			ALLOC_GROW(t->fdirs, t->nfiles, c2);
			t->fnames[t->nfiles] = s;
			t->fdirs[t->nfiles] = (uint32_t)rd_uleb(&r);
			rd_uleb(&r);   /* mtime */
			rd_uleb(&r);   /* length */
			t->nfiles++;
		}
		if (r.bad)
			goto fail;
	}
	t->paths = xcalloc(t->nfiles ? t->nfiles : 1, sizeof(*t->paths));
	r.p = prog;
	if (t->nfiles >= UINT16_MAX ||
	    !run_program(&r, t, min_len, max_ops, line_base, line_range, opcode_base, std_len))
		goto fail;
	sort_sequences(t);
	if (!keep_rows(t))
		goto fail;
	return true;
fail:
	sym_ltab_clear(t);
	return false;
}

struct sym_ltab *sym_ltab_read(const struct sym_dsecs *ds, uint64_t offset)
{
	struct sym_ltab *t = xmalloc(sizeof(*t));

	if (sym_ltab_parse(ds, offset, t))
		return t;
	free(t);
	return NULL;
}

static int sym_row_cmp(const void *key, const void *elem)
{
	uint32_t a = *(const uint32_t *)key;

	return a < ((const struct sym_row *)elem)->off ? -1 : 0;
}

const struct sym_row *sym_ltab_find(const struct sym_ltab *t, uint64_t a)
{
	uint32_t off;
	size_t lo;

	if (a < t->base)
		return NULL;
	/* past 4 GiB from base: past every row, at the last (an end of sequence) */
	off = a - t->base > UINT32_MAX ? UINT32_MAX : (uint32_t)(a - t->base);
	lo = kt_upper_bound(t->kept, t->nrows, sizeof(*t->kept), &off, sym_row_cmp);
	if (!lo || t->kept[lo - 1].end)
		return NULL;
	return &t->kept[lo - 1];
}

/* The file's name as addr2line prints it: relative names go under their directory, then comp_dir. */
const char *sym_ltab_file(struct strpool *pool, struct sym_ltab *t, uint64_t idx, const char *comp_dir)
{
	const char *name, *dir = NULL;
	uint32_t di;

	if (idx >= t->nfiles || !(name = t->fnames[idx]))
		return NULL;
	if (t->paths[idx])
		return t->paths[idx];
	di = t->fdirs[idx];
	if (name[0] != '/' && di && di < t->ndirs)
		dir = t->dirs[di];
	if (name[0] == '/')
		t->paths[idx] = strpool_intern(pool, name);
	else if (dir && dir[0] == '/')
		t->paths[idx] = strpool_internf(pool, "%s/%s", dir, name);
	else if (dir && comp_dir)
		t->paths[idx] = strpool_internf(pool, "%s/%s/%s", comp_dir, dir, name);
	else if (dir)
		t->paths[idx] = strpool_internf(pool, "%s/%s", dir, name);
	else if (comp_dir)
		t->paths[idx] = strpool_internf(pool, "%s/%s", comp_dir, name);
	else
		t->paths[idx] = strpool_intern(pool, name);
	return t->paths[idx];
}

void sym_ltab_free(struct sym_ltab *t)
{
	if (!t)
		return;
	sym_ltab_clear(t);
	free(t);
}
