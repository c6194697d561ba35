/* cost_elf.c - read an object for cost: sections, symbols, relocations. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <elfutils/libdwelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cost.h"
#include "elfobj.h"

const char *cost_machine_name(unsigned machine)
{
	switch (machine) {
	case EM_X86_64: return "x86-64";
	case EM_386: return "i386";
	case EM_AARCH64: return "AArch64";
	case EM_ARM: return "ARM";
	case EM_RISCV: return "RISC-V";
	case EM_PPC64: return "PowerPC64";
	case EM_PPC: return "PowerPC";
	case EM_S390: return "s390";
	case EM_MIPS: return "MIPS";
	case EM_LOONGARCH: return "LoongArch";
	default: return "unknown machine";
	}
}

int cost_sec_class(const struct cost_sec *s)
{
	if (!(s->flags & SHF_ALLOC))
		return -1;
	if (s->type == SHT_NOBITS)
		return COST_BSS;
	if (s->flags & SHF_EXECINSTR)
		return COST_TEXT;
	if (s->flags & SHF_WRITE)
		return COST_DATA;
	return COST_RODATA;
}

/* No real section or symbol is larger (1 TiB): corrupt sizes are cut to it, so sums stay in range. */
#define COST_MAX_SIZE ((uint64_t)1 << 40)

static const char cost_kind_letter[COST_NCLASS] = { 't', 'd', 'r', 'b' };

/*
 * A .zst file decompressed into a memory file (libdw of Debian 12 reads xz
 * and gzip, not zstd), by the symbolizer's own bounded reader: fd, or -1
 * with why.
 */
static int cost_unzstd(const char *path, char *why, size_t whylen)
{
	size_t size = 0;
	char *image = elfobj_image(path, &size, why, whylen);
	int out = image ? memfd_create("kcsan-triage-cost", MFD_CLOEXEC) : -1;

	if (image && (out < 0 || write(out, image, size) != (ssize_t)size)) {
		snprintf(why, whylen, "%s", strerror(errno));
		if (out >= 0)
			close(out);
		out = -1;
	}
	free(image);
	if (out >= 0)
		lseek(out, 0, SEEK_SET);
	return out;
}

/* Open path, a decompressed copy for .zst: the fd, or -1 reported. */
static int cost_open_fd(struct ctx *ctx, const char *path)
{
	unsigned char magic[4] = { 0 };
	char why[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC), zfd;

	if (fd < 0) {
		kt_error(ctx, KT_EXIT_SYMBOLS, path, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (pread(fd, magic, 4, 0) == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd) {
		zfd = cost_unzstd(path, why, sizeof(why));
		close(fd);
		if (zfd < 0)
			kt_error(ctx, KT_EXIT_SYMBOLS, path, "%s", why);
		return zfd;
	}
	return fd;
}

/* Every section's header lies inside the file: 0, or -1 reported with the position. */
static int cost_check_layout(struct ctx *ctx, struct cost_obj *o, Elf *e)
{
	size_t size, shnum;
	GElf_Ehdr eh;
	Elf_Scn *scn = NULL;

	elf_rawfile(e, &size);
	if (!gelf_getehdr(e, &eh)) {
		kt_error(ctx, KT_EXIT_SYMBOLS, o->path, "corrupt ELF header: %s", elf_errmsg(-1));
		return -1;
	}
	if (eh.e_shoff + (uint64_t)eh.e_shnum * eh.e_shentsize > size) {
		kt_error(ctx, KT_EXIT_SYMBOLS, o->path,
			 "truncated ELF: the section headers at byte %llu end past the end of the file (%zu bytes)",
			 (unsigned long long)eh.e_shoff, size);
		return -1;
	}
	if (elf_getshdrnum(e, &shnum) < 0) {
		kt_error(ctx, KT_EXIT_SYMBOLS, o->path, "corrupt ELF: %s", elf_errmsg(-1));
		return -1;
	}
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh)) {
			kt_error(ctx, KT_EXIT_SYMBOLS, o->path, "corrupt section header %zu: %s", elf_ndxscn(scn), elf_errmsg(-1));
			return -1;
		}
		if (sh.sh_type != SHT_NOBITS && sh.sh_offset + sh.sh_size > size) {
			kt_error(ctx, KT_EXIT_SYMBOLS, o->path,
				 "truncated ELF: section %zu (bytes %llu to %llu) ends past the end of the file (%zu bytes)",
				 elf_ndxscn(scn), (unsigned long long)sh.sh_offset,
				 (unsigned long long)(sh.sh_offset + sh.sh_size), size);
			return -1;
		}
	}
	return 0;
}

/* The compiler, from .comment ("GCC: (Debian 12.2.0-14) 12.2.0"). */
static void cost_read_comment(struct cost_obj *o, Elf_Scn *scn)
{
	Elf_Data *d = elf_rawdata(scn, NULL);

	if (!d || !d->d_buf || !d->d_size)
		return;
	if (memmem(d->d_buf, d->d_size, "clang", 5))
		o->compiler = "clang";
	else if (memmem(d->d_buf, d->d_size, "GCC:", 4))
		o->compiler = "gcc";
}

static int cost_read_sections(struct ctx *ctx, struct cost_obj *o, Elf *e)
{
	size_t shstrndx, shnum;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(e, &shstrndx) < 0 || elf_getshdrnum(e, &shnum) < 0) {
		kt_error(ctx, KT_EXIT_SYMBOLS, o->path, "corrupt ELF: %s", elf_errmsg(-1));
		return -1;
	}
	o->nsecs = shnum;
	o->secs = xcalloc(shnum ? shnum : 1, sizeof(*o->secs));
	while ((scn = elf_nextscn(e, scn))) {
		size_t i = elf_ndxscn(scn);
		struct cost_sec *s = &o->secs[i];
		GElf_Shdr sh;
		int cls;

		gelf_getshdr(scn, &sh);
		s->name = elf_strptr(e, shstrndx, sh.sh_name);
		if (!s->name)
			s->name = "";
		s->addr = sh.sh_addr;
		/* a corrupt size cannot make the totals overflow */
		s->size = sh.sh_size > COST_MAX_SIZE ? COST_MAX_SIZE : sh.sh_size;
		s->flags = sh.sh_flags;
		s->type = sh.sh_type;
		cls = cost_sec_class(s);
		if (cls >= 0)
			o->class_total[cls] += sh.sh_size;
		if (cls >= 0 && cls != COST_BSS && sh.sh_size) {
			Elf_Data *d = elf_rawdata(scn, NULL);

			if (!d || d->d_size < sh.sh_size) {
				kt_error(ctx, KT_EXIT_SYMBOLS, o->path, "cannot read section %zu (%s) at byte %llu: %s", i,
					 s->name, (unsigned long long)sh.sh_offset, elf_errmsg(-1));
				return -1;
			}
			s->data = d->d_buf;
		}
		if (sh.sh_type == SHT_SYMTAB)
			o->has_symtab = true;
		if (!strcmp(s->name, ".comment"))
			cost_read_comment(o, scn);
		if (!strcmp(s->name, ".debug_line") || !strcmp(s->name, ".zdebug_line"))
			o->has_dwarf = true;
	}
	return 0;
}

static char cost_sym_kind(const struct cost_obj *o, const GElf_Sym *sym)
{
	unsigned t = GELF_ST_TYPE(sym->st_info);
	int cls;

	if (sym->st_size == 0 || sym->st_shndx == SHN_UNDEF || sym->st_shndx >= SHN_LORESERVE ||
	    sym->st_shndx >= o->nsecs)
		return 0;
	if (t != STT_FUNC && t != STT_OBJECT && t != STT_NOTYPE && t != STT_TLS)
		return 0;
	cls = cost_sec_class(&o->secs[sym->st_shndx]);
	return cls < 0 ? 0 : cost_kind_letter[cls];
}

static int cost_read_symbols(struct ctx *ctx, struct cost_obj *o, Elf *e)
{
	Elf_Scn *scn = NULL, *best = NULL;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;

		gelf_getshdr(scn, &sh);
		if (sh.sh_type == SHT_SYMTAB || (sh.sh_type == SHT_DYNSYM && !best))
			best = scn;
	}
	if (!best)
		return 0;
	GElf_Shdr sh;
	Elf_Data *d = elf_getdata(best, NULL);

	gelf_getshdr(best, &sh);
	if (!d || !sh.sh_entsize) {
		kt_error(ctx, KT_EXIT_SYMBOLS, o->path, "cannot read the symbol table: %s", elf_errmsg(-1));
		return -1;
	}
	o->nallsyms = sh.sh_size / sh.sh_entsize;
	o->allsyms = xcalloc(o->nallsyms ? o->nallsyms : 1, sizeof(*o->allsyms));
	for (size_t i = 0; i < o->nallsyms; i++) {
		struct cost_sym *s = &o->allsyms[i];
		GElf_Sym sym;

		if (!gelf_getsym(d, (int)i, &sym))
			continue;
		s->name = elf_strptr(e, sh.sh_link, sym.st_name);
		if (!s->name)
			s->name = "";
		s->value = sym.st_value;
		s->size = sym.st_size > COST_MAX_SIZE ? COST_MAX_SIZE : sym.st_size;
		s->shndx = sym.st_shndx;
		s->type = GELF_ST_TYPE(sym.st_info);
		s->kind = cost_sym_kind(o, &sym);
	}
	return 0;
}

static int cost_rel_cmp(const void *a, const void *b)
{
	const struct cost_rel *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* Relocations of loaded sections (ET_REL). */
static void cost_read_relocs(struct cost_obj *o, Elf *e)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		struct cost_sec *t;
		size_t n;

		gelf_getshdr(scn, &sh);
		if ((sh.sh_type != SHT_RELA && sh.sh_type != SHT_REL) || !sh.sh_entsize || sh.sh_info >= o->nsecs)
			continue;
		t = &o->secs[sh.sh_info];
		if (cost_sec_class(t) < 0 || !(d = elf_getdata(scn, NULL)))
			continue;
		n = sh.sh_size / sh.sh_entsize;
		t->rel = xrealloc(t->rel, (t->nrel + n + 1) * sizeof(*t->rel));
		for (size_t i = 0; i < n; i++) {
			struct cost_rel *r = &t->rel[t->nrel];
			GElf_Rela ra;
			GElf_Rel rl;

			if (sh.sh_type == SHT_RELA) {
				if (!gelf_getrela(d, (int)i, &ra))
					continue;
			} else {
				if (!gelf_getrel(d, (int)i, &rl))
					continue;
				ra.r_offset = rl.r_offset;
				ra.r_info = rl.r_info;
				ra.r_addend = 0;
			}
			r->off = ra.r_offset;
			r->addend = ra.r_addend;
			r->type = o->elfclass == ELFCLASS64 ? GELF_R_TYPE(ra.r_info) : ELF32_R_TYPE((Elf32_Word)ra.r_info);
			r->sym = o->elfclass == ELFCLASS64 ? GELF_R_SYM(ra.r_info) : ELF32_R_SYM((Elf32_Word)ra.r_info);
			if (r->sym < o->nallsyms)
				t->nrel++;
		}
		qsort(t->rel, t->nrel, sizeof(*t->rel), cost_rel_cmp);
	}
}

static int cost_addr_cmp(const void *a, const void *b, void *data)
{
	const struct cost_obj *o = data;
	const struct cost_sym *x = &o->allsyms[*(const size_t *)a];
	const struct cost_sym *y = &o->allsyms[*(const size_t *)b];
	uint32_t sx = o->rel ? x->shndx : 0, sy = o->rel ? y->shndx : 0;

	if (sx != sy)
		return sx < sy ? -1 : 1;
	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return x->size > y->size ? -1 : x->size < y->size;
}

static void cost_index_addrs(struct cost_obj *o)
{
	o->byaddr = xcalloc(o->nallsyms ? o->nallsyms : 1, sizeof(size_t));
	for (size_t i = 0; i < o->nallsyms; i++)
		if (o->allsyms[i].kind)
			o->byaddr[o->nbyaddr++] = i;
	qsort_r(o->byaddr, o->nbyaddr, sizeof(size_t), cost_addr_cmp, o);
	o->near = xcalloc(o->nallsyms ? o->nallsyms : 1, sizeof(size_t));
	for (size_t i = 0; i < o->nallsyms; i++) {
		const struct cost_sym *s = &o->allsyms[i];

		if ((s->type == STT_FUNC || s->type == STT_OBJECT || s->type == STT_NOTYPE) && s->name[0] &&
		    s->name[0] != '.' && s->name[0] != '$' && s->shndx != SHN_UNDEF && s->shndx < SHN_LORESERVE)
			o->near[o->nnear++] = i;
	}
	qsort_r(o->near, o->nnear, sizeof(size_t), cost_addr_cmp, o);
}

/* In idx (sorted by cost_addr_cmp), the position after the last symbol that starts at or before (key, addr). */
static size_t cost_upper(const struct cost_obj *o, const size_t *idx, size_t n, uint32_t key, uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct cost_sym *s = &o->allsyms[idx[mid]];
		uint32_t sk = o->rel ? s->shndx : 0;

		if (sk < key || (sk == key && s->value <= addr))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct cost_sym *cost_sym_near(const struct cost_obj *o, uint32_t shndx, uint64_t addr)
{
	const struct cost_sym *s = cost_sym_at(o, shndx, addr);
	uint32_t key = o->rel ? shndx : 0;
	size_t i;

	if (s)
		return s;
	i = cost_upper(o, o->near, o->nnear, key, addr);
	if (i == 0)
		return NULL;
	s = &o->allsyms[o->near[i - 1]];
	return (o->rel ? s->shndx : 0) == key ? s : NULL;
}

const struct cost_sym *cost_sym_at(const struct cost_obj *o, uint32_t shndx, uint64_t addr)
{
	uint32_t key = o->rel ? shndx : 0;
	size_t lo = cost_upper(o, o->byaddr, o->nbyaddr, key, addr);

	for (size_t i = lo; i-- > 0 && lo - i <= 8;) {
		const struct cost_sym *s = &o->allsyms[o->byaddr[i]];

		if ((o->rel ? s->shndx : 0) != key)
			break;
		if (addr >= s->value && addr < s->value + s->size)
			return s;
	}
	return NULL;
}

const unsigned char *cost_sym_bytes(const struct cost_obj *o, const struct cost_sym *s)
{
	const struct cost_sec *sec = &o->secs[s->shndx];
	uint64_t off = o->rel ? s->value : s->value - sec->addr;

	if (!sec->data || off > sec->size || s->size > sec->size - off)
		return NULL;
	return sec->data + off;
}

static void cost_quote(const unsigned char *p, size_t avail, char *buf, size_t n)
{
	size_t k = 0;

	buf[k++] = '"';
	for (size_t i = 0; i < avail && p[i] && k + 6 < n; i++) {
		if (i >= 24) {
			k += (size_t)snprintf(buf + k, n - k, "...");
			break;
		}
		if (p[i] < 0x20 || p[i] >= 0x7f || p[i] == '"' || p[i] == '\\')
			k += (size_t)snprintf(buf + k, n - k, "\\x%02x", p[i]);
		else
			buf[k++] = (char)p[i];
	}
	snprintf(buf + k, n - k, "\"");
}

void cost_rel_target(const struct cost_obj *o, const struct cost_rel *r, int64_t pc_adjust, char *buf, size_t n)
{
	const struct cost_sym *s = &o->allsyms[r->sym];
	uint64_t addr = s->value + (uint64_t)(r->addend + pc_adjust);
	const struct cost_sym *in;

	if (s->type != STT_SECTION && s->name[0]) {
		int64_t off = r->addend + pc_adjust;

		if (off)
			snprintf(buf, n, "%s%s0x%llx", s->name, off < 0 ? "-" : "+",
				 (unsigned long long)(off < 0 ? -(uint64_t)off : (uint64_t)off));
		else
			snprintf(buf, n, "%s", s->name);
		return;
	}
	if (s->shndx >= o->nsecs) {
		snprintf(buf, n, "?");
		return;
	}
	in = cost_sym_at(o, s->shndx, addr);
	if (in && addr == in->value)
		snprintf(buf, n, "%s", in->name);
	else if (in)
		snprintf(buf, n, "%s+0x%llx", in->name, (unsigned long long)(addr - in->value));
	else if ((o->secs[s->shndx].flags & SHF_STRINGS) && o->secs[s->shndx].data && addr < o->secs[s->shndx].size)
		cost_quote(o->secs[s->shndx].data + addr, o->secs[s->shndx].size - addr, buf, n);
	else
		snprintf(buf, n, "%s+0x%llx", o->secs[s->shndx].name, (unsigned long long)addr);
}

static int cost_read(struct ctx *ctx, struct cost_obj *o)
{
	Elf *e;
	GElf_Ehdr eh;

	elf_version(EV_CURRENT);
	o->fd = cost_open_fd(ctx, o->path);
	if (o->fd < 0)
		return -1;
	e = dwelf_elf_begin(o->fd);
	o->elf = e;
	if (!e || elf_kind(e) != ELF_K_ELF) {
		kt_error(ctx, KT_EXIT_SYMBOLS, o->path, "not an ELF object%s%s", e ? "" : ": ", e ? "" : elf_errmsg(-1));
		return -1;
	}
	if (cost_check_layout(ctx, o, e) < 0)
		return -1;
	gelf_getehdr(e, &eh);
	o->machine = eh.e_machine;
	o->elfclass = gelf_getclass(e);
	o->rel = eh.e_type == ET_REL;
	if (cost_read_sections(ctx, o, e) < 0 || cost_read_symbols(ctx, o, e) < 0)
		return -1;
	if (o->rel)
		cost_read_relocs(o, e);
	cost_index_addrs(o);
	return 0;
}

struct cost_obj *cost_obj_open(struct ctx *ctx, const char *path)
{
	struct cost_obj *o = xcalloc(1, sizeof(*o));

	o->path = xstrdup(path);
	o->fd = -1;
	if (cost_read(ctx, o) < 0) {
		cost_obj_free(o);
		return NULL;
	}
	return o;
}

void cost_obj_free(struct cost_obj *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->nsecs; i++)
		free(o->secs[i].rel);
	free(o->secs);
	free(o->allsyms);
	free(o->byaddr);
	free(o->near);
	if (o->elf)
		elf_end(o->elf);
	if (o->fd >= 0)
		close(o->fd);
	free(o->image);
	free(o->path);
	free(o);
}
