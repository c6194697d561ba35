/*
 * elfobj.c - one object file: open (decompressing), sections, symbols by
 * name (one hash map) and by address (sorted, searched with
 * kt_upper_bound), kallsyms sizes, the DWARF handle.  See elfobj.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decompress.h"
#include "elfobj.h"
#include "hashmap.h"
#include "kt.h"
#include "strpool.h"

#define ELFOBJ_LINEAR_SCANS 48     /* symbol sizes computed by scanning, before sorting pays off */
#define ELFOBJ_NO_NEXT UINT32_MAX

struct elfobj_sym {
	struct hashmap_entry ent;   /* by name */
	struct elf_sym sym;
};

struct elfobj {
	struct strpool *pool;
	char *name;             /* module name, '-' folded to '_'; NULL for vmlinux */
	char *path;
	Dwfl *dwfl;
	Dwfl_Module *mod;
	Elf *elf;
	bool is_rel;
	bool compressed;
	char *image;            /* a compressed file decompressed (elfobj_image), read in place by libelf */
	size_t image_size;
	const char *error;      /* interned */
	struct elfobj_sym *syms;
	uint32_t nsyms;
	struct hashmap by_name;
	uint32_t *by_addr;      /* indices of the executable symbols sorted by (section, address) */
	uint32_t nby_addr;
	uint32_t *kgap;         /* by symbol index, made with by_addr: an executable symbol's distance to the
				   next symbol above it in its section (ELFOBJ_NO_NEXT: none, or too far) */
	unsigned linear_scans;  /* ksize computed without by_addr so far */
	struct elf_section *secs;
	size_t nsecs;
	Elf *raw;               /* ET_REL: the file as written (libdwfl relocates its copy in place), for relocations */
	int raw_fd;
	char *raw_buf;          /* a compressed file's bytes, decompressed for raw */
	bool raw_tried;
	int dwarf_state;        /* -1 not looked at, 0 none, 1 dw is set */
	Dwarf *dw;
	Dwarf_Addr dw_bias;
};

/* ---------------------------------------------------------------------- */
/* opening */

/* Never look for separate debuginfo: the object names its DWARF or has none. */
static int elfobj_no_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			       const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
			       char **debuginfo_file_name)
{
	(void)mod; (void)userdata; (void)modname; (void)base; (void)file_name;
	(void)debuglink_file; (void)debuglink_crc; (void)debuginfo_file_name;
	return -1;
}

static const Dwfl_Callbacks elfobj_callbacks = {
	.find_debuginfo = elfobj_no_debuginfo,
	.section_address = dwfl_offline_section_address,
};

/* What the file starts with: ELF (*elf), a compression's magic number, or neither. */
static enum decomp_kind elfobj_file_kind(const char *path, bool *elf)
{
	unsigned char m[DECOMP_MAGIC_MAX] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	*elf = false;
	if (fd < 0)
		return DECOMP_NONE;
	got = read(fd, m, sizeof(m));
	close(fd);
	if (got < 0)
		return DECOMP_NONE;
	*elf = got >= SELFMAG && !memcmp(m, ELFMAG, SELFMAG);
	return decomp_detect(m, (size_t)got);
}

static void elfobj_load_sections(struct elfobj *o)
{
	size_t shnum, shstrndx;

	if (elf_getshdrnum(o->elf, &shnum) != 0 || elf_getshdrstrndx(o->elf, &shstrndx) != 0)
		return;
	o->secs = xcalloc(shnum ? shnum : 1, sizeof(*o->secs));
	o->nsecs = shnum;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(o->elf, scn));) {
		GElf_Shdr sh;
		size_t i = elf_ndxscn(scn);
		const char *name;

		if (i >= shnum || !gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(o->elf, shstrndx, sh.sh_name);
		o->secs[i].name = strpool_intern(o->pool, name ? name : "");
		if (!(sh.sh_flags & SHF_ALLOC))
			continue;
		/* libdwfl wrote its layout of an ET_REL file into sh_addr */
		o->secs[i].addr = sh.sh_addr;
		o->secs[i].size = sh.sh_size;
		o->secs[i].align = sh.sh_addralign;
		o->secs[i].exec = (sh.sh_flags & SHF_EXECINSTR) != 0;
		o->secs[i].write = (sh.sh_flags & SHF_WRITE) != 0;
	}
}

static bool elfobj_name_eq(const struct hashmap_entry *e, const struct hashmap_entry *key, const void *keydata)
{
	(void)key;
	return !strcmp(container_of(e, struct elfobj_sym, ent)->sym.name, keydata);
}

/* The symbol table entry i, if it may name code or data; NULL for the others. */
static const char *elfobj_sym_info(struct elfobj *o, int i, struct elf_sym *y)
{
	GElf_Sym sym;
	GElf_Addr addr;
	GElf_Word shndx;
	const char *name = dwfl_module_getsym_info(o->mod, i, &sym, &addr, &shndx, NULL, NULL);
	int type = GELF_ST_TYPE(sym.st_info);

	if (!name || !*name || name[0] == '$' || (name[0] == '.' && name[1] == 'L'))
		return NULL;
	if (type == STT_SECTION || type == STT_FILE || type == STT_TLS)
		return NULL;
	if (shndx == SHN_UNDEF || shndx >= o->nsecs || !o->secs[shndx].size)
		return NULL;
	y->addr = addr;
	y->value = sym.st_value;
	y->esize = sym.st_size;
	y->name = name;
	y->shndx = shndx;
	y->type = (uint8_t)type;
	y->exec = o->secs[shndx].exec;
	return name;
}

static bool elfobj_load_symbols(struct elfobj *o)
{
	int n = dwfl_module_getsymtab(o->mod);

	if (n <= 1)
		return false;
	o->syms = xmalloc((size_t)n * sizeof(*o->syms));
	for (int i = 1; i < n; i++)
		if (elfobj_sym_info(o, i, &o->syms[o->nsyms].sym))
			o->nsyms++;
	if (!o->nsyms)
		return false;
	hashmap_init(&o->by_name, elfobj_name_eq, o->nsyms);
	/* added backwards: the newest is found first, so symbols of a name come in table order */
	for (uint32_t i = o->nsyms; i-- > 0;) {
		hashmap_entry_init(&o->syms[i].ent, kt_hash_str(o->syms[i].sym.name));
		hashmap_add(&o->by_name, &o->syms[i].ent);
	}
	return true;
}

static uint64_t elfobj_le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* The architecture an ELF header names, when it is not little-endian 64-bit x86-64: an error, else NULL. */
static const char *elfobj_check_machine(struct elfobj *o, const unsigned char *ident, unsigned machine)
{
	static const struct { unsigned machine; const char *name; } names[] = {
		{ EM_386, "i386" }, { EM_ARM, "arm" }, { EM_AARCH64, "aarch64" }, { EM_MIPS, "mips" },
		{ EM_PPC, "ppc" }, { EM_PPC64, "ppc64" }, { EM_S390, "s390" }, { EM_SPARCV9, "sparc64" },
		{ EM_RISCV, "riscv" }, { EM_X86_64, "x86-64" },
	};
	const char *name = NULL;
	bool be = ident[EI_DATA] == ELFDATA2MSB;

	if (ident[EI_CLASS] == ELFCLASS64 && ident[EI_DATA] == ELFDATA2LSB && machine == EM_X86_64)
		return NULL;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].machine == machine)
			name = names[i].name;
	return strpool_internf(o->pool, "%s: an ELF for %s%s%s (%s), not for x86-64: only x86-64 kernels can be read",
			       o->path, be ? "big-endian " : "", name ? name : "machine ",
			       name ? "" : strpool_internf(o->pool, "%u", machine),
			       ident[EI_CLASS] == ELFCLASS32 ? "32-bit" : ident[EI_CLASS] == ELFCLASS64 ? "64-bit" : "?-bit");
}

/* Where the sections of a 64-bit ELF end, from its table of sections (0 if unreadable). */
static uint64_t elfobj_sections_end(int fd, uint64_t shoff, uint64_t shnum)
{
	unsigned char sh[64];
	uint64_t end = 0;

	for (uint64_t i = 0; i < shnum; i++) {
		uint64_t off, size;

		if (pread(fd, sh, sizeof(sh), (off_t)(shoff + i * sizeof(sh))) != (ssize_t)sizeof(sh))
			return 0;
		if (elfobj_le(sh + 4, 4) == SHT_NOBITS)
			continue;
		off = elfobj_le(sh + 24, 8);
		size = elfobj_le(sh + 32, 8);
		if (off + size >= off && off + size > end)
			end = off + size;
	}
	return end;
}

/* A plain ELF file, before libelf reads it: the architecture, and whether all of it is there.  NULL if fine. */
static const char *elfobj_check_file(struct elfobj *o)
{
	unsigned char h[64];
	int fd = open(o->path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t got;
	uint64_t end = sizeof(h), shoff, shnum, phend;
	const char *err = NULL;

	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return NULL;   /* libdwfl says why */
	}
	got = pread(fd, h, sizeof(h), 0);
	if (got >= 20)
		err = elfobj_check_machine(o, h, h[EI_DATA] == ELFDATA2MSB ? (unsigned)h[18] << 8 | h[19]
									     : (unsigned)elfobj_le(h + 18, 2));
	if (!err && got == (ssize_t)sizeof(h)) {
		shoff = elfobj_le(h + 40, 8);
		shnum = elfobj_le(h + 60, 2);
		phend = elfobj_le(h + 32, 8) + elfobj_le(h + 56, 2) * elfobj_le(h + 54, 2);
		if (shoff && shoff < UINT64_MAX / 2 && shoff + shnum * 64 > end)
			end = shoff + shnum * 64;
		if (phend > end && phend < UINT64_MAX / 2)
			end = phend;
		if (end <= (uint64_t)st.st_size && shoff) {
			uint64_t secend = elfobj_sections_end(fd, shoff, shnum);

			if (secend > end)
				end = secend;
		}
	}
	if (!err && end > (uint64_t)st.st_size)
		err = strpool_internf(o->pool, "%s: truncated at byte %llu of %llu", o->path,
				      (unsigned long long)st.st_size, (unsigned long long)end);
	close(fd);
	return err;
}

/* Report the file to libdwfl and get its ELF; false with o->error set. */
static bool elfobj_report(struct elfobj *o)
{
	const char *path = o->path, *name = o->name ? o->name : "kernel";
	GElf_Addr bias;

	dwfl_report_begin(o->dwfl);
	if (o->compressed) {
		/* libdw's own decompression has no bound: a bomb would take all memory */
		char why[256];

		o->image = elfobj_image(path, &o->image_size, why, sizeof(why));
		if (!o->image) {
			o->error = strpool_internf(o->pool, "%s: %s", path, why);
			return false;
		}
		o->mod = dwfl_report_offline_memory(o->dwfl, name, path, o->image, o->image_size);
	} else {
		o->mod = dwfl_report_offline(o->dwfl, name, path, -1);
	}
	if (!o->mod || dwfl_report_end(o->dwfl, NULL, NULL) != 0) {
		o->error = strpool_internf(o->pool, "%s: not an ELF file libdw can read%s (%s)", path,
					   o->compressed ? " after decompression" : "", dwfl_errmsg(-1));
		return false;
	}
	o->elf = dwfl_module_getelf(o->mod, &bias);
	return true;
}

struct elfobj *elfobj_open(struct strpool *pool, const char *name, const char *path)
{
	struct elfobj *o = xcalloc(1, sizeof(*o));
	GElf_Ehdr eh;
	bool elf;

	o->pool = pool;
	o->name = name ? xstrdup(name) : NULL;
	o->path = xstrdup(path);
	o->dwarf_state = -1;
	if (access(path, R_OK) != 0) {
		o->error = strpool_internf(pool, "cannot open %s: %s", path, strerror(errno));
		return o;
	}
	o->compressed = elfobj_file_kind(path, &elf) != DECOMP_NONE;
	o->dwfl = dwfl_begin(&elfobj_callbacks);
	if (!o->dwfl) {
		o->error = strpool_internf(pool, "%s: %s", path, dwfl_errmsg(-1));
		return o;
	}
	if (elf && (o->error = elfobj_check_file(o)))
		return o;
	if (!elfobj_report(o))
		return o;
	if (!o->elf || !gelf_getehdr(o->elf, &eh)) {
		o->error = strpool_internf(pool, "%s: %s", path, dwfl_errmsg(-1));
		return o;
	}
	if ((o->error = elfobj_check_machine(o, eh.e_ident, eh.e_machine)))
		return o;
	o->is_rel = eh.e_type == ET_REL;
	elfobj_load_sections(o);
	if (!elfobj_load_symbols(o))
		o->error = strpool_internf(pool, "%s: no symbol table (stripped?): func+off frames cannot be resolved",
					   path);
	return o;
}

void elfobj_close(struct elfobj *o)
{
	if (!o)
		return;
	if (o->dwfl)
		dwfl_end(o->dwfl);
	free(o->image);       /* after dwfl_end: libelf read it in place */
	if (o->raw)
		elf_end(o->raw);
	if (o->raw_tried && o->raw_fd >= 0)
		close(o->raw_fd);
	free(o->raw_buf);
	hashmap_clear(&o->by_name, HASHMAP_NO_FREE);
	free(o->syms);
	free(o->by_addr);
	free(o->kgap);
	free(o->secs);
	free(o->name);
	free(o->path);
	free(o);
}

/* ---------------------------------------------------------------------- */
/* accessors */

const char *elfobj_error(const struct elfobj *o) { return o->error; }
const char *elfobj_name(const struct elfobj *o) { return o->name; }
const char *elfobj_path(const struct elfobj *o) { return o->path; }
bool elfobj_is_rel(const struct elfobj *o) { return o->is_rel; }
bool elfobj_is_compressed(const struct elfobj *o) { return o->compressed; }
Dwfl_Module *elfobj_module(const struct elfobj *o) { return o->mod; }
size_t elfobj_nsections(const struct elfobj *o) { return o->nsecs; }
uint32_t elfobj_nsyms(const struct elfobj *o) { return o->nsyms; }

const char *elfobj_label(const struct elfobj *o)
{
	const char *slash;

	if (!o->name)
		return "vmlinux";
	slash = strrchr(o->path, '/');
	return slash ? slash + 1 : o->path;
}

const struct elf_section *elfobj_section(const struct elfobj *o, size_t idx)
{
	return idx < o->nsecs ? &o->secs[idx] : NULL;
}

uint32_t elfobj_sym_index(const struct elfobj *o, const struct elf_sym *y)
{
	return (uint32_t)(container_of(y, const struct elfobj_sym, sym) - o->syms);
}

struct elf_sym *elfobj_sym(struct elfobj *o, uint32_t idx)
{
	return idx < o->nsyms ? &o->syms[idx].sym : NULL;
}

Dwarf *elfobj_dwarf(struct elfobj *o, Dwarf_Addr *bias)
{
	if (o->dwarf_state < 0) {
		Dwarf_Off next;
		size_t hsize;

		o->dwarf_state = 0;
		if (!o->error && o->mod)
			o->dw = dwfl_module_getdwarf(o->mod, &o->dw_bias);
		/* DWARF with no unit at all (a stripped file keeps an empty shell) */
		if (o->dw && dwarf_nextcu(o->dw, 0, &next, &hsize, NULL, NULL, NULL) == 0)
			o->dwarf_state = 1;
	}
	if (o->dwarf_state <= 0)
		return NULL;
	if (bias)
		*bias = o->dw_bias;
	return o->dw;
}

bool elfobj_has_debug_info(const struct elfobj *o)
{
	for (size_t i = 0; i < o->nsecs; i++)
		if (o->secs[i].name && (!strcmp(o->secs[i].name, ".debug_info") || !strcmp(o->secs[i].name, ".zdebug_info")))
			return true;
	return false;
}

const struct elf_section *elfobj_section_at(const struct elfobj *o, uint64_t addr)
{
	for (size_t i = 0; i < o->nsecs; i++)
		if (o->secs[i].exec && addr >= o->secs[i].addr && addr - o->secs[i].addr < o->secs[i].size)
			return &o->secs[i];
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* symbols by name and by address */

struct elf_sym *elfobj_sym_named(struct elfobj *o, const char *name)
{
	struct hashmap_entry *e;

	if (!o->nsyms)
		return NULL;
	e = hashmap_get(&o->by_name, kt_hash_str(name), NULL, name);
	return e ? &container_of(e, struct elfobj_sym, ent)->sym : NULL;
}

struct elf_sym *elfobj_sym_next_named(struct elfobj *o, struct elf_sym *y)
{
	struct elfobj_sym *x = container_of(y, struct elfobj_sym, sym);
	struct hashmap_entry *e = hashmap_get_next(&o->by_name, &x->ent, NULL, y->name);

	return e ? &container_of(e, struct elfobj_sym, ent)->sym : NULL;
}

struct elfobj_addr_key {
	uint64_t addr;
	uint32_t shndx, idx;
};

static int elfobj_addr_key_cmp(const void *a, const void *b)
{
	const struct elfobj_addr_key *x = a, *y = b;

	if (x->shndx != y->shndx)
		return x->shndx < y->shndx ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * Every executable symbol's distance to the next address above it in its
 * section, from by_addr (sorted): a frame's kallsyms size is then one load,
 * not a search.
 */
static void elfobj_gaps(struct elfobj *o)
{
	uint64_t next = 0;
	bool has_next = false;

	o->kgap = xmalloc((size_t)o->nsyms * sizeof(*o->kgap) + 1);
	for (uint32_t j = o->nby_addr; j-- > 0;) {
		const struct elf_sym *y = &o->syms[o->by_addr[j]].sym;
		const struct elf_sym *z = j + 1 < o->nby_addr ? &o->syms[o->by_addr[j + 1]].sym : NULL;

		if (!z || z->shndx != y->shndx)
			has_next = false;
		else if (z->addr > y->addr) {
			next = z->addr;
			has_next = true;
		}
		o->kgap[o->by_addr[j]] = has_next && next - y->addr < ELFOBJ_NO_NEXT ? (uint32_t)(next - y->addr)
										  : ELFOBJ_NO_NEXT;
	}
}

static void elfobj_sort_by_addr(struct elfobj *o)
{
	struct elfobj_addr_key *k;
	uint32_t n = 0;

	if (o->by_addr)
		return;
	k = xmalloc((size_t)o->nsyms * sizeof(*k) + 1);
	for (uint32_t i = 0; i < o->nsyms; i++) {
		if (!o->syms[i].sym.exec)
			continue;
		k[n].addr = o->syms[i].sym.addr;
		k[n].shndx = o->syms[i].sym.shndx;
		k[n].idx = i;
		n++;
	}
	qsort(k, n, sizeof(*k), elfobj_addr_key_cmp);
	o->by_addr = xmalloc((size_t)n * sizeof(*o->by_addr) + 1);
	for (uint32_t i = 0; i < n; i++)
		o->by_addr[i] = k[i].idx;
	o->nby_addr = n;
	free(k);
	elfobj_gaps(o);
}

/* What the search in by_addr looks for: (section, address) among the object's symbols. */
struct elfobj_pos {
	const struct elfobj_sym *syms;
	uint32_t shndx;
	uint64_t addr;
};

static int elfobj_pos_cmp(const void *key, const void *elem)
{
	const struct elfobj_pos *k = key;
	const struct elf_sym *y = &k->syms[*(const uint32_t *)elem].sym;

	if (k->shndx != y->shndx)
		return k->shndx < y->shndx ? -1 : 1;
	return k->addr < y->addr ? -1 : 0;
}

/* Index in by_addr of the first symbol of section shndx at an address > addr. */
static uint32_t elfobj_by_addr_upper(const struct elfobj *o, uint32_t shndx, uint64_t addr)
{
	struct elfobj_pos k = { o->syms, shndx, addr };

	return (uint32_t)kt_upper_bound(o->by_addr, o->nby_addr, sizeof(*o->by_addr), &k, elfobj_pos_cmp);
}

/*
 * kallsyms prints the distance to the next symbol, padding included (the
 * ELF size leaves the padding out).  Returns whether another symbol follows
 * in the section; when none does, the size runs to the section's end.
 */
bool elfobj_ksize(struct elfobj *o, const struct elf_sym *y, uint64_t *ksize)
{
	const struct elf_section *sec = &o->secs[y->shndx];
	uint64_t next = sec->addr + sec->size;
	bool found = false;

	if (!o->by_addr && ++o->linear_scans > ELFOBJ_LINEAR_SCANS)
		elfobj_sort_by_addr(o);
	if (o->by_addr && y->exec) {
		uint32_t gap = o->kgap[container_of(y, const struct elfobj_sym, sym) - o->syms];

		if (gap != ELFOBJ_NO_NEXT) {
			*ksize = gap;
			return true;
		}
	}
	if (o->by_addr) {
		uint32_t i = elfobj_by_addr_upper(o, y->shndx, y->addr);

		if (i < o->nby_addr && o->syms[o->by_addr[i]].sym.shndx == y->shndx) {
			next = o->syms[o->by_addr[i]].sym.addr;
			found = true;
		}
	} else {
		for (uint32_t i = 0; i < o->nsyms; i++) {
			const struct elf_sym *z = &o->syms[i].sym;

			if (z->shndx == y->shndx && z->addr > y->addr && z->addr <= next) {
				next = z->addr;
				found = true;
			}
		}
	}
	*ksize = next > y->addr ? next - y->addr : 0;
	return found;
}

const struct elf_sym *elfobj_symbol_at(struct elfobj *o, uint64_t addr)
{
	const struct elf_section *sec = elfobj_section_at(o, addr);
	uint32_t shndx, i;
	const struct elf_sym *best = NULL;

	if (!sec)
		return NULL;
	shndx = (uint32_t)(sec - o->secs);
	elfobj_sort_by_addr(o);
	i = elfobj_by_addr_upper(o, shndx, addr);
	/* the last symbol at or below addr; prefer a function among aliases */
	while (i > 0) {
		const struct elf_sym *y = &o->syms[o->by_addr[i - 1]].sym;

		if (y->shndx != shndx || (best && y->addr != best->addr))
			break;
		if (!best || (best->type != STT_FUNC && y->type == STT_FUNC))
			best = y;
		i--;
	}
	return best;
}

const char *elfobj_symbol_data(struct elfobj *o, const struct elf_sym *y, size_t *avail)
{
	Elf_Scn *scn = elf_getscn(o->elf, y->shndx);
	GElf_Shdr sh;
	Elf_Data *d;
	uint64_t off;

	if (!scn || !gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
		return NULL;
	d = elf_getdata(scn, NULL);
	if (!d || !d->d_buf)
		return NULL;
	off = o->is_rel ? y->value : y->value - sh.sh_addr;
	if (off >= d->d_size)
		return NULL;
	*avail = d->d_size - off;
	return (const char *)d->d_buf + off;
}

int64_t elfobj_section_size(const struct elfobj *o, const char *name)
{
	size_t shstrndx;

	if (!o->elf || elf_getshdrstrndx(o->elf, &shstrndx) != 0)
		return -1;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(o->elf, scn));) {
		GElf_Shdr sh;
		const char *n;

		if (gelf_getshdr(scn, &sh) && (n = elf_strptr(o->elf, shstrndx, sh.sh_name)) && !strcmp(n, name))
			return sh.sh_type == SHT_NOBITS ? 0 : (int64_t)sh.sh_size;
	}
	return -1;
}

/* ---------------------------------------------------------------------- */
/* relocations */

static int elfobj_rel_cmp(const void *a, const void *b)
{
	const struct elf_rel *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* The symbol a relocation entry names, into r. */
static bool elfobj_rel_target(Elf *e, Elf_Data *symd, size_t strndx, uint32_t symi, struct elf_rel *r)
{
	GElf_Sym sym;
	const char *name;

	if (!gelf_getsym(symd, (int)symi, &sym))
		return false;
	name = elf_strptr(e, strndx, sym.st_name);
	r->name = name ? name : "";
	r->target_shndx = sym.st_shndx;
	r->target_value = sym.st_value;
	return true;
}

/* The entries of one SHT_RELA section at offsets [lo, hi), appended to *out. */
static void elfobj_rela_section(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, uint64_t lo, uint64_t hi,
				struct elf_rel **out, size_t *n, size_t *cap)
{
	Elf_Scn *symscn = elf_getscn(e, sh->sh_link);
	Elf_Data *d = elf_getdata(scn, NULL), *symd;
	GElf_Shdr symsh;

	if (!d || !symscn || !gelf_getshdr(symscn, &symsh) || !(symd = elf_getdata(symscn, NULL)) || !sh->sh_entsize)
		return;
	for (size_t i = 0; i < sh->sh_size / sh->sh_entsize; i++) {
		GElf_Rela rela;
		struct elf_rel r;

		if (!gelf_getrela(d, (int)i, &rela) || rela.r_offset < lo || rela.r_offset >= hi)
			continue;
		r.offset = rela.r_offset;
		r.type = (uint32_t)GELF_R_TYPE(rela.r_info);
		r.addend = rela.r_addend;
		if (!elfobj_rel_target(e, symd, symsh.sh_link, (uint32_t)GELF_R_SYM(rela.r_info), &r))
			continue;
		ALLOC_GROW(*out, *n, *cap);
		(*out)[(*n)++] = r;
	}
}

/* The ELF of the file as written, opened on first use (ET_REL only), or NULL. */
static Elf *elfobj_raw(struct elfobj *o)
{
	size_t n;

	if (o->raw_tried)
		return o->raw;
	o->raw_tried = true;
	o->raw_fd = o->is_rel && !o->error ? open(o->path, O_RDONLY | O_CLOEXEC) : -1;
	if (o->raw_fd < 0)
		return NULL;
	if (!o->compressed) {
		o->raw = elf_begin(o->raw_fd, ELF_C_READ_MMAP, NULL);
	} else {
		char why[256];

		/* bounded as the first decompression was; it succeeded, so it does again */
		o->raw_buf = elfobj_image(o->path, &n, why, sizeof(why));
		if (o->raw_buf)
			o->raw = elf_memory(o->raw_buf, n);
	}
	if (o->raw && elf_kind(o->raw) != ELF_K_ELF) {
		elf_end(o->raw);
		o->raw = NULL;
	}
	return o->raw;
}

size_t elfobj_relocs(struct elfobj *o, uint32_t shndx, uint64_t lo, uint64_t hi, struct elf_rel **out)
{
	size_t n = 0, cap = 0;
	Elf *e = elfobj_raw(o);

	*out = NULL;
	if (!e)
		return 0;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_RELA && sh.sh_info == shndx)
			elfobj_rela_section(e, scn, &sh, lo, hi, out, &n, &cap);
	}
	if (n > 1)
		qsort(*out, n, sizeof(**out), elfobj_rel_cmp);
	return n;
}
