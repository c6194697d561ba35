/*
 * sym_data.c - the data side of an object: its data symbols by address
 * (sorted once, on first use), its loaded sections, and the address operand
 * of an instrumentation call in a module's code (Capstone decodes the
 * function; the .ko's relocations say what its constants point at).
 * See sym_data.h.
 */
#define _GNU_SOURCE
#include "capstone_lazy.h"
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "elfobj.h"
#include "kt.h"
#include "sym_data.h"

#define SYM_DATA_BACK 32       /* symbols looked at below an address for one that holds it */
#define SYM_DATA_MAX_INSNS 4096
#define SYM_DATA_LINEAR 16     /* lookups by scanning the symbols, before they are sorted */

struct sym_data {
	struct elfobj *o;
	uint32_t *idx;             /* data symbols, by (section, value, then OBJECT before NOTYPE); NULL: not yet */
	uint32_t n;
	unsigned linear;           /* lookups made by scanning, before sorting pays off */
};

/* ---------------------------------------------------------------------- */
/* data symbols by address */

/* What the sort orders by: a copy of each symbol's key, so that the comparison needs no object. */
struct sym_data_key {
	uint64_t value;
	uint32_t shndx, idx;
	bool object;
};

static int sym_data_cmp(const void *a, const void *b)
{
	const struct sym_data_key *x = a, *y = b;

	if (x->shndx != y->shndx)
		return x->shndx < y->shndx ? -1 : 1;
	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	if (x->object != y->object)
		return x->object ? 1 : -1;   /* the object last: found first walking down */
	return x->idx < y->idx ? -1 : 1;
}

static bool sym_data_wanted(const struct elf_sym *y)
{
	return !y->exec && (y->type == STT_OBJECT || y->type == STT_NOTYPE || y->type == STT_COMMON);
}

/* Sort the data symbols (once lookups are many). */
static void sym_data_sort(struct sym_data *d)
{
	uint32_t n = elfobj_nsyms(d->o);
	struct sym_data_key *k = xmalloc((size_t)n * sizeof(*k) + 1);

	d->n = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct elf_sym *y = elfobj_sym(d->o, i);

		if (sym_data_wanted(y))
			k[d->n++] = (struct sym_data_key){ y->value, y->shndx, i, y->type == STT_OBJECT };
	}
	qsort(k, d->n, sizeof(*k), sym_data_cmp);
	d->idx = xmalloc((size_t)d->n * sizeof(*d->idx) + 1);
	for (uint32_t i = 0; i < d->n; i++)
		d->idx[i] = k[i].idx;
	free(k);
}

struct sym_data *sym_data_build(struct elfobj *o)
{
	struct sym_data *d = xcalloc(1, sizeof(*d));

	d->o = o;
	return d;
}

void sym_data_free(struct sym_data *d)
{
	if (!d)
		return;
	free(d->idx);
	free(d);
}

/* The index in d->idx of the first symbol above (shndx, value). */
static uint32_t sym_data_upper(const struct sym_data *d, uint32_t shndx, uint64_t value)
{
	uint32_t lo = 0, hi = d->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct elf_sym *y = elfobj_sym(d->o, d->idx[mid]);

		if (y->shndx < shndx || (y->shndx == shndx && y->value <= value))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The up to SYM_DATA_BACK data symbols of section shndx nearest at or below
 * value, nearest first (the sorted order walked down), into k: by scanning
 * every symbol, or by the sorted index.
 */
static int sym_data_below(struct sym_data *d, uint32_t shndx, uint64_t value, struct sym_data_key *k)
{
	int n = 0;

	if (d->idx) {
		for (uint32_t i = sym_data_upper(d, shndx, value); i > 0 && n < SYM_DATA_BACK; i--) {
			const struct elf_sym *y = elfobj_sym(d->o, d->idx[i - 1]);

			if (y->shndx != shndx)
				break;
			k[n++] = (struct sym_data_key){ y->value, y->shndx, d->idx[i - 1], y->type == STT_OBJECT };
		}
		return n;
	}
	for (uint32_t i = 0; i < elfobj_nsyms(d->o); i++) {
		const struct elf_sym *y = elfobj_sym(d->o, i);
		struct sym_data_key x = { y->value, y->shndx, i, y->type == STT_OBJECT };
		int at = n;

		if (y->shndx != shndx || y->value > value || !sym_data_wanted(y))
			continue;
		/* kept in descending order: insert x where it belongs, the smallest falls off */
		while (at > 0 && sym_data_cmp(&x, &k[at - 1]) > 0)
			at--;
		if (at >= SYM_DATA_BACK)
			continue;
		memmove(&k[at + 1], &k[at], (size_t)(n - at - (n == SYM_DATA_BACK)) * sizeof(*k));
		k[at] = x;
		n += n < SYM_DATA_BACK;
	}
	return n;
}

const struct elf_sym *sym_data_at(struct sym_data *d, uint32_t shndx, uint64_t value)
{
	struct sym_data_key k[SYM_DATA_BACK];
	const struct elf_sym *marker = NULL;
	int n;

	if (!d->idx && ++d->linear > SYM_DATA_LINEAR)
		sym_data_sort(d);
	n = sym_data_below(d, shndx, value, k);
	for (int i = 0; i < n; i++) {
		const struct elf_sym *y = elfobj_sym(d->o, k[i].idx);
		bool holds = y->esize ? value - y->value < y->esize : value == y->value;

		if (holds && y->type == STT_OBJECT)
			return y;
		if (holds && y->esize && !marker)
			marker = y;
		/* objects do not overlap: a sized one below that does not hold it ends the search */
		if (!holds && y->type == STT_OBJECT && y->esize)
			break;
	}
	return marker;
}

long sym_data_section_of(const struct elfobj *o, uint64_t addr)
{
	for (size_t i = 0; i < elfobj_nsections(o); i++) {
		const struct elf_section *s = elfobj_section(o, i);

		if (s->size && !s->exec && s->addr && addr - s->addr < s->size)
			return (long)i;
	}
	return -1;
}

bool sym_data_image_range(const struct elfobj *o, uint64_t *lo, uint64_t *hi)
{
	bool any = false;

	for (size_t i = 0; i < elfobj_nsections(o); i++) {
		const struct elf_section *s = elfobj_section(o, i);

		if (!s->size || !s->addr)
			continue;
		if (!any || s->addr < *lo)
			*lo = s->addr;
		if (!any || s->addr + s->size > *hi)
			*hi = s->addr + s->size;
		any = true;
	}
	return any;
}

/* ---------------------------------------------------------------------- */
/* the operand of an instrumentation call */

/* One decoded instruction of the function. */
struct sym_insn {
	uint64_t off, end;         /* in the section */
	bool flow;                 /* a jump, call, return or interrupt */
	bool indirect;             /* a jump whose target is not in the instruction */
	bool sets_rdi;
	uint64_t target;           /* a direct jump's or call's target (flow && !indirect) */
	unsigned id;
	uint8_t imm_off, disp_off;
	bool rip_mem;              /* a memory operand relative to %rip */
};

static bool sym_is_rdi(unsigned r)
{
	return r == X86_REG_RDI || r == X86_REG_EDI || r == X86_REG_DI || r == X86_REG_DIL;
}

static void sym_insn_of(csh h, const cs_insn *in, struct sym_insn *x)
{
	const cs_x86 *d = &in->detail->x86;
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0;

	memset(x, 0, sizeof(*x));
	x->off = in->address;
	x->end = in->address + in->size;
	x->id = in->id;
	x->imm_off = d->encoding.imm_offset;
	x->disp_off = d->encoding.disp_offset;
	x->flow = cs_insn_group(h, in, CS_GRP_JUMP) || cs_insn_group(h, in, CS_GRP_CALL) ||
		  cs_insn_group(h, in, CS_GRP_RET) || cs_insn_group(h, in, CS_GRP_INT) ||
		  cs_insn_group(h, in, CS_GRP_IRET);
	if (cs_regs_access(h, in, rd, &nrd, wr, &nwr) == CS_ERR_OK)
		for (uint8_t i = 0; i < nwr; i++)
			x->sets_rdi |= sym_is_rdi(wr[i]);
	for (uint8_t i = 0; i < d->op_count; i++) {
		if (d->operands[i].type == X86_OP_MEM && d->operands[i].mem.base == X86_REG_RIP)
			x->rip_mem = true;
		if (x->flow && d->operands[i].type == X86_OP_IMM)
			x->target = (uint64_t)d->operands[i].imm;
	}
	x->indirect = x->flow && cs_insn_group(h, in, CS_GRP_JUMP) &&
		      !(d->op_count == 1 && d->operands[0].type == X86_OP_IMM);
}

/* Decode fn's bytes (section offsets) into *out; the count, or 0 when it cannot be decoded to ret_off. */
static size_t sym_decode(const unsigned char *code, size_t n, uint64_t start, uint64_t ret_off, struct sym_insn **out)
{
	csh h;
	cs_insn *in;
	const uint8_t *p = code;
	uint64_t addr = start;
	size_t left = n, k = 0;
	bool reached = false;

	*out = NULL;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return 0;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(h);
	*out = xcalloc(SYM_DATA_MAX_INSNS, sizeof(**out));
	while (left && k < SYM_DATA_MAX_INSNS && cs_disasm_iter(h, &p, &left, &addr, in)) {
		sym_insn_of(h, in, &(*out)[k++]);
		reached |= addr == ret_off;
	}
	/* the whole function, so that every branch into it is seen */
	if (left)
		reached = false;
	cs_free(in, 1);
	cs_close(&h);
	return reached ? k : 0;
}

/* Is the call ending at ret_off one of KCSAN's entries, for an access of that size? */
static bool sym_kcsan_entry(const char *name, uint64_t size)
{
	static const char *const prefixes[] = { "__tsan_unaligned_volatile_", "__tsan_volatile_", "__tsan_unaligned_",
						"__tsan_", NULL };
	const char *p = NULL, *digits;
	unsigned long long n;
	char *end;

	if (!strcmp(name, "__kcsan_check_access") || !strcmp(name, "__tsan_read_range") ||
	    !strcmp(name, "__tsan_write_range") || !strcmp(name, "kcsan_begin_scoped_access"))
		return true;
	if (str_startswith(name, "__tsan_atomic")) {
		/* __tsan_atomic64_fetch_add: the size in bits */
		n = strtoull(name + 13, &end, 10);
		return end != name + 13 && *end == '_' && (!size || n == size * 8);
	}
	for (int i = 0; prefixes[i] && !p; i++)
		if (str_startswith(name, prefixes[i]))
			p = name + strlen(prefixes[i]);
	if (!p)
		return false;
	if (str_startswith(p, "read_write"))
		digits = p + 10;
	else if (str_startswith(p, "read"))
		digits = p + 4;
	else if (str_startswith(p, "write"))
		digits = p + 5;
	else
		return false;
	if (!*digits || *digits < '0' || *digits > '9')
		return false;
	n = strtoull(digits, &end, 10);
	return !*end && (!size || n == size);
}

/* The relocation of section shndx at [lo, hi), or NULL. */
static const struct elf_rel *sym_rel_in(const struct elf_rel *rels, size_t n, uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; i < n; i++)
		if (rels[i].offset >= lo && rels[i].offset < hi)
			return &rels[i];
	return NULL;
}

/* Does a relocation of one of o's sections that enter code (jump tables, patch sites, fixups) point into [lo, hi) of shndx? */
static bool sym_patched_or_entered(struct elfobj *o, uint32_t shndx, uint64_t lo, uint64_t hi)
{
	static const char *const entering[] = { ".rodata", "__jump_table", ".altinstructions", "__ex_table",
						".static_call_sites", NULL };
	bool hit = false;

	for (size_t s = 0; s < elfobj_nsections(o) && !hit; s++) {
		const struct elf_section *sec = elfobj_section(o, s);
		bool entered = false;
		struct elf_rel *rels;
		size_t nr;

		for (int k = 0; entering[k] && sec->name; k++)
			entered |= str_startswith(sec->name, entering[k]);
		if (!entered)
			continue;
		nr = elfobj_relocs(o, (uint32_t)s, 0, UINT64_MAX, &rels);
		for (size_t i = 0; i < nr && !hit; i++) {
			uint64_t t = rels[i].target_value + (uint64_t)rels[i].addend;

			hit = rels[i].target_shndx == shndx && t >= lo && t < hi;
		}
		free(rels);
	}
	return hit;
}

/*
 * Does control enter the straight line from def to call other than through
 * def: a jump of the function to [def->end, call->off], or a table or patch
 * site that names any byte of [def->off, call->end)?
 */
static bool sym_entered(struct elfobj *o, uint32_t shndx, const struct sym_insn *v, size_t n,
			const struct sym_insn *def, const struct sym_insn *call)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].flow && !v[i].indirect && v[i].target >= def->end && v[i].target <= call->off)
			return true;
	return sym_patched_or_entered(o, shndx, def->off, call->end);
}

/* The value the instruction def loads into %rdi, from its relocation: section and offset. */
static bool sym_def_value(const struct sym_insn *def, const struct elf_rel *rels, size_t nr, uint32_t *shndx,
			  uint64_t *value)
{
	const struct elf_rel *r;
	bool mov = def->id == X86_INS_MOV || def->id == X86_INS_MOVABS;

	if (mov && def->imm_off && !def->rip_mem) {
		r = sym_rel_in(rels, nr, def->off + def->imm_off, def->off + def->imm_off + 1);
		if (!r || (r->type != R_X86_64_32S && r->type != R_X86_64_64))
			return false;
		*value = r->target_value + (uint64_t)r->addend;
	} else if (def->id == X86_INS_LEA && def->rip_mem && def->disp_off) {
		r = sym_rel_in(rels, nr, def->off + def->disp_off, def->off + def->disp_off + 1);
		if (!r || r->type != R_X86_64_PC32)
			return false;
		*value = r->target_value + (uint64_t)r->addend + (def->end - r->offset);
	} else {
		return false;
	}
	if (r->target_shndx == SHN_UNDEF || r->target_shndx >= SHN_LORESERVE)
		return false;
	*shndx = r->target_shndx;
	return true;
}

/*
 * Is x a call of a function of the same section that leaves %rdi as it was:
 * one that calls nothing, jumps nowhere but inside itself, and writes no
 * %rdi (a small helper such as __read_once_word_nocheck)?
 */
static bool sym_call_keeps_rdi(struct elfobj *o, uint32_t shndx, const struct sym_insn *x, const struct elf_rel *rels,
			       size_t nr)
{
	const struct elf_section *sec = elfobj_section(o, shndx);
	const struct elf_rel *r = sym_rel_in(rels, nr, x->off + 1, x->end);
	const struct elf_sym *callee;
	const unsigned char *code;
	struct sym_insn *v;
	struct elf_rel *crels;
	uint64_t at = x->target;
	size_t n, ncr, avail;
	bool keeps = true;

	if (x->id != X86_INS_CALL || x->indirect || !sec)
		return false;
	if (r) {
		if (r->type != R_X86_64_PLT32 && r->type != R_X86_64_PC32)
			return false;
		if (r->target_shndx != shndx)
			return false;   /* another section, or undefined: not this object's code */
		at = r->target_value + (uint64_t)r->addend + (x->end - r->offset);
	}
	callee = elfobj_symbol_at(o, sec->addr + at);
	if (!callee || callee->shndx != shndx || callee->value != at || !callee->esize)
		return false;
	code = (const unsigned char *)elfobj_symbol_data(o, callee, &avail);
	if (!code || avail < callee->esize)
		return false;
	n = sym_decode(code, callee->esize, callee->value, callee->value + callee->esize, &v);
	ncr = elfobj_relocs(o, shndx, callee->value, callee->value + callee->esize, &crels);
	for (size_t i = 0; i < n && keeps; i++) {
		const struct elf_rel *jr = v[i].flow ? sym_rel_in(crels, ncr, v[i].off + 1, v[i].end) : NULL;

		keeps = !v[i].sets_rdi && !v[i].indirect && v[i].id != X86_INS_CALL;
		if (keeps && jr)
			/* a relocated jump leaves the function: only the return thunk returns */
			keeps = !strcmp(jr->name, "__x86_return_thunk");
		else if (keeps && v[i].flow && v[i].id != X86_INS_RET)
			keeps = v[i].target >= callee->value && v[i].target < callee->value + callee->esize;
	}
	free(crels);
	free(v);
	return n && keeps;
}

/* The analysis once the function is decoded: the call, the setter of %rdi, what enters between. */
static bool sym_operand_in(struct elfobj *o, const struct elf_sym *fn, const struct sym_insn *v, size_t n,
			   uint64_t ret_off, uint64_t size, uint32_t *shndx, uint64_t *value)
{
	const struct sym_insn *call = NULL, *def = NULL;
	const struct elf_rel *cr;
	struct elf_rel *rels;
	size_t nr, ci;
	bool ok = false;

	for (ci = 0; ci < n && !call; ci++)
		if (v[ci].end == ret_off && v[ci].id == X86_INS_CALL)
			call = &v[ci];
	if (!call)
		return false;
	nr = elfobj_relocs(o, fn->shndx, fn->value, fn->value + fn->esize, &rels);
	cr = sym_rel_in(rels, nr, call->off + 1, call->end);
	if (cr && (cr->type == R_X86_64_PLT32 || cr->type == R_X86_64_PC32) && cr->target_shndx == SHN_UNDEF &&
	    sym_kcsan_entry(cr->name, size)) {
		for (size_t i = ci - 1; i-- > 0 && !def;) {
			if (v[i].flow && !sym_call_keeps_rdi(o, fn->shndx, &v[i], rels, nr))
				break;
			if (v[i].sets_rdi)
				def = &v[i];
		}
	}
	for (size_t i = 0; i < n; i++)
		if (v[i].indirect)
			def = NULL;   /* a jump table or a thunk: where it lands is not known */
	if (def && !sym_entered(o, fn->shndx, v, n, def, call))
		ok = sym_def_value(def, rels, nr, shndx, value);
	free(rels);
	return ok;
}

bool sym_data_call_operand(struct elfobj *o, const struct elf_sym *fn, uint64_t ret_off, uint64_t size,
			   uint32_t *shndx, uint64_t *value)
{
	const unsigned char *code;
	struct sym_insn *v;
	size_t avail, n;
	bool ok;

	if (!elfobj_is_rel(o) || !fn->exec || !fn->esize || ret_off == 0 || ret_off > fn->esize)
		return false;
	code = (const unsigned char *)elfobj_symbol_data(o, fn, &avail);
	if (!code || avail < fn->esize)
		return false;
	n = sym_decode(code, fn->esize, fn->value, fn->value + ret_off, &v);
	ok = n && sym_operand_in(o, fn, v, n, fn->value + ret_off, size, shndx, value);
	free(v);
	return ok;
}
