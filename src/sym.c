/*
 * sym.c - symbolize: open the vmlinux and modules, resolve func+off/size by
 * symbol name, cache results, hand addresses to a back end (sym_dwarf.c or
 * sym_addr2line.c).  Nothing here prints except the one warning of
 * sym_open() about a vmlinux without DWARF; per-frame trouble goes into
 * sym_result.note.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <zstd.h>

#include "sym_internal.h"

/* A cached result, keyed by (module, func, off, size). */
struct sym_entry {
	const char *module;     /* interned, NULL for vmlinux */
	const char *func;       /* interned, NULL for a raw address */
	uint64_t off, size;
	bool has_size, exact;
	uint64_t hash;
	struct sym_result res;
};

#define SYM_LINEAR_SCANS 48     /* symbol sizes computed by scanning, before sorting pays off */
#define SYM_MODULE_DEPTH 12     /* directory levels searched under --modules */

/* ---------------------------------------------------------------------- */
/* interned strings: every string a result points to lives here */

static uint64_t str_hash(const char *p, size_t n)
{
	return XXH3_64bits(p, n);
}

const char *sym_intern_n(struct symbolizer *s, const char *str, size_t n)
{
	uint64_t h = str_hash(str, n);
	size_t i;

	if ((s->pool_count + 1) * 2 > s->pool_mask + 1) {
		size_t newcap = s->pool_mask ? (s->pool_mask + 1) * 2 : 1024;
		char **np = xcalloc(newcap, sizeof(*np));

		for (size_t j = 0; s->pool && j <= s->pool_mask; j++) {
			char *e = s->pool[j];

			if (!e)
				continue;
			i = str_hash(e, strlen(e)) & (newcap - 1);
			while (np[i])
				i = (i + 1) & (newcap - 1);
			np[i] = e;
		}
		free(s->pool);
		s->pool = np;
		s->pool_mask = newcap - 1;
	}
	for (i = h & s->pool_mask; s->pool[i]; i = (i + 1) & s->pool_mask)
		if (!strncmp(s->pool[i], str, n) && s->pool[i][n] == 0)
			return s->pool[i];
	s->pool[i] = xstrndup(str, n);
	s->pool_count++;
	return s->pool[i];
}

const char *sym_intern(struct symbolizer *s, const char *str)
{
	return str ? sym_intern_n(s, str, strlen(str)) : NULL;
}

const char *sym_internf(struct symbolizer *s, const char *fmt, ...)
{
	const char *r;
	char *t;
	va_list ap;

	va_start(ap, fmt);
	t = xvasprintf(fmt, ap);
	va_end(ap);
	r = sym_intern(s, t);
	free(t);
	return r;
}

/* ---------------------------------------------------------------------- */
/* objects */

/* Never look for separate debuginfo: the object names its DWARF or has none. */
static int find_no_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			     const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
			     char **debuginfo_file_name)
{
	(void)mod; (void)userdata; (void)modname; (void)base; (void)file_name;
	(void)debuglink_file; (void)debuglink_crc; (void)debuginfo_file_name;
	return -1;
}

static const Dwfl_Callbacks sym_offline_callbacks = {
	.find_debuginfo = find_no_debuginfo,
	.section_address = dwfl_offline_section_address,
};

const char *sym_obj_label(const struct sym_obj *o)
{
	const char *slash;

	if (!o->name)
		return "vmlinux";
	slash = strrchr(o->path, '/');
	return slash ? slash + 1 : o->path;
}

/* What the file starts with: "elf", a compression's name, or "data". */
static const char *file_kind(const char *path)
{
	static const struct { unsigned char magic[4]; size_t n; const char *kind; } kinds[] = {
		{ { 0x7f, 'E', 'L', 'F' }, 4, "elf" },
		{ { 0xfd, '7', 'z', 'X' }, 4, "xz" },
		{ { 0x28, 0xb5, 0x2f, 0xfd }, 4, "zstd" },
		{ { 0x1f, 0x8b }, 2, "gzip" },
		{ { 'B', 'Z', 'h' }, 3, "bzip2" },
	};
	unsigned char m[4] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0)
		return "data";
	got = read(fd, m, 4);
	close(fd);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (got >= (ssize_t)kinds[i].n && !memcmp(m, kinds[i].magic, kinds[i].n))
			return kinds[i].kind;
	return "data";
}

/*
 * A zstd-compressed object (.ko.zst), decompressed into memory: the libdw
 * of Debian 12 reads xz, gzip and bzip2, not zstd.  NULL with *err set.
 */
char *sym_zstd_image(const char *path, size_t *size, const char **err)
{
	FILE *f = fopen(path, "rb");
	ZSTD_DStream *ds = NULL;
	char *in = NULL, *out = NULL;
	size_t cap = 0, len = 0, n, inmax = ZSTD_DStreamInSize(), ret = 1;
	bool ok = false;

	*err = NULL;
	if (!f) {
		*err = strerror(errno);
		return NULL;
	}
	ds = ZSTD_createDStream();
	in = xmalloc(inmax);
	if (!ds || ZSTD_isError(ZSTD_initDStream(ds))) {
		*err = "zstd: cannot start decompressing";
		goto out;
	}
	while ((n = fread(in, 1, inmax, f)) > 0) {
		ZSTD_inBuffer ib = { in, n, 0 };

		while (ib.pos < ib.size) {
			ZSTD_outBuffer ob;

			if (cap - len < ZSTD_DStreamOutSize()) {
				cap = cap ? cap * 2 : 4 * ZSTD_DStreamOutSize();
				if (cap > ((size_t)1 << 32)) {
					*err = "zstd: larger than 4 GiB decompressed";
					goto out;
				}
				out = xrealloc(out, cap);
			}
			ob = (ZSTD_outBuffer){ out + len, cap - len, 0 };
			ret = ZSTD_decompressStream(ds, &ob, &ib);
			if (ZSTD_isError(ret)) {
				*err = ZSTD_getErrorName(ret);
				goto out;
			}
			len += ob.pos;
		}
	}
	if (ferror(f)) {
		*err = strerror(errno);
		goto out;
	}
	if (ret != 0) {
		*err = "zstd: the file ends inside a frame (truncated)";
		goto out;
	}
	ok = true;
out:
	fclose(f);
	free(in);
	ZSTD_freeDStream(ds);
	if (!ok) {
		free(out);
		return NULL;
	}
	*size = len;
	return out;
}

static void obj_load_sections(struct sym_obj *o)
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
		o->secs[i].name = sym_intern(o->s, name ? name : "");
		if (!(sh.sh_flags & SHF_ALLOC))
			continue;
		/* libdwfl wrote its layout of an ET_REL file into sh_addr */
		o->secs[i].addr = sh.sh_addr;
		o->secs[i].size = sh.sh_size;
		o->secs[i].exec = (sh.sh_flags & SHF_EXECINSTR) != 0;
	}
}

static bool obj_load_symbols(struct sym_obj *o)
{
	int n = dwfl_module_getsymtab(o->mod);
	uint32_t cap = 1;

	if (n <= 1)
		return false;
	o->syms = xmalloc((size_t)n * sizeof(*o->syms));
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		GElf_Word shndx;
		const char *name = dwfl_module_getsym_info(o->mod, i, &sym, &addr, &shndx, NULL, NULL);
		int type = GELF_ST_TYPE(sym.st_info);
		struct sym_sym *y;

		if (!name || !*name || name[0] == '$' || (name[0] == '.' && name[1] == 'L'))
			continue;
		if (type == STT_SECTION || type == STT_FILE || type == STT_TLS)
			continue;
		if (shndx == SHN_UNDEF || shndx >= o->nsecs || !o->secs[shndx].size)
			continue;
		y = &o->syms[o->nsyms++];
		y->addr = addr;
		y->value = sym.st_value;
		y->esize = sym.st_size;
		y->ksize = 0;
		y->name = name;
		y->shndx = shndx;
		y->next = 0;
		y->type = (uint8_t)type;
		y->exec = o->secs[shndx].exec;
	}
	if (!o->nsyms)
		return false;
	while (cap < o->nsyms * 2)
		cap *= 2;
	o->heads = xcalloc(cap, sizeof(*o->heads));
	o->hash_mask = cap - 1;
	/* insert backwards so that each bucket lists symbols in table order */
	for (uint32_t i = o->nsyms; i-- > 0;) {
		uint32_t b = (uint32_t)str_hash(o->syms[i].name, strlen(o->syms[i].name)) & o->hash_mask;

		o->syms[i].next = o->heads[b];
		o->heads[b] = i + 1;
	}
	return true;
}

static void obj_free(struct sym_obj *o)
{
	if (!o)
		return;
	sym_dwarf_close(o);
	sym_a2l_close(o);
	if (o->dwfl)
		dwfl_end(o->dwfl);
	free(o->image);       /* after dwfl_end: libelf read it in place */
	free(o->syms);
	free(o->heads);
	free(o->by_addr);
	free(o->secs);
	free(o->name);
	free(o->path);
	free(o);
}

/* Open one object; on failure the object carries an error (never NULL). */
static struct sym_obj *obj_open(struct symbolizer *s, const char *name, const char *path)
{
	struct sym_obj *o = xcalloc(1, sizeof(*o));
	GElf_Addr bias;
	GElf_Ehdr eh;
	const char *kind;

	o->s = s;
	o->name = name ? xstrdup(name) : NULL;
	o->path = xstrdup(path);
	o->has_dwarf = -1;
	if (access(path, R_OK) != 0) {
		o->error = sym_internf(s, "cannot open %s: %s", path, strerror(errno));
		return o;
	}
	kind = file_kind(path);
	o->compressed = strcmp(kind, "elf") != 0;
	o->dwfl = dwfl_begin(&sym_offline_callbacks);
	if (!o->dwfl) {
		o->error = sym_internf(s, "%s: %s", path, dwfl_errmsg(-1));
		return o;
	}
	dwfl_report_begin(o->dwfl);
	if (!strcmp(kind, "zstd")) {
		const char *err;

		o->image = sym_zstd_image(path, &o->image_size, &err);
		if (!o->image) {
			o->error = sym_internf(s, "%s: %s", path, err);
			return o;
		}
		o->mod = dwfl_report_offline_memory(o->dwfl, name ? name : "kernel", path, o->image, o->image_size);
	} else {
		o->mod = dwfl_report_offline(o->dwfl, name ? name : "kernel", path, -1);
	}
	if (!o->mod || dwfl_report_end(o->dwfl, NULL, NULL) != 0) {
		if (!strcmp(kind, "elf") || !strcmp(kind, "data"))
			o->error = sym_internf(s, "%s: not an ELF file libdw can read (%s)", path, dwfl_errmsg(-1));
		else
			o->error = sym_internf(s, "%s: %s-compressed, which this libdw cannot decompress; unpack it", path,
					       kind);
		return o;
	}
	o->elf = dwfl_module_getelf(o->mod, &bias);
	if (!o->elf || !gelf_getehdr(o->elf, &eh)) {
		o->error = sym_internf(s, "%s: %s", path, dwfl_errmsg(-1));
		return o;
	}
	o->is_rel = eh.e_type == ET_REL;
	obj_load_sections(o);
	if (!obj_load_symbols(o))
		o->error = sym_internf(s, "%s: no symbol table (stripped?): func+off frames cannot be resolved", path);
	return o;
}

static bool obj_has_dwarf(struct sym_obj *o)
{
	if (o->has_dwarf < 0) {
		if (o->error)
			o->has_dwarf = 0;
		else if (o->s->backend == SYM_ADDR2LINE)
			o->has_dwarf = sym_a2l_has_dwarf(o);
		else
			o->has_dwarf = sym_dwarf_open(o);
	}
	return o->has_dwarf > 0;
}

/* ---------------------------------------------------------------------- */
/* symbol sizes as kallsyms prints them */

struct addr_key {
	uint64_t addr;
	uint32_t shndx, idx;
};

static int addr_key_cmp(const void *a, const void *b)
{
	const struct addr_key *x = a, *y = b;

	if (x->shndx != y->shndx)
		return x->shndx < y->shndx ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void obj_sort_by_addr(struct sym_obj *o)
{
	struct addr_key *k;
	uint32_t n = 0;

	if (o->by_addr)
		return;
	k = xmalloc((size_t)o->nsyms * sizeof(*k) + 1);
	for (uint32_t i = 0; i < o->nsyms; i++) {
		if (!o->syms[i].exec)
			continue;
		k[n].addr = o->syms[i].addr;
		k[n].shndx = o->syms[i].shndx;
		k[n].idx = i;
		n++;
	}
	qsort(k, n, sizeof(*k), addr_key_cmp);
	o->by_addr = xmalloc((size_t)n * sizeof(*o->by_addr) + 1);
	for (uint32_t i = 0; i < n; i++)
		o->by_addr[i] = k[i].idx;
	o->nby_addr = n;
	free(k);
}

/* Index in by_addr of the first symbol of section shndx at an address > addr. */
static uint32_t by_addr_upper(const struct sym_obj *o, uint32_t shndx, uint64_t addr)
{
	uint32_t lo = 0, hi = o->nby_addr;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct sym_sym *y = &o->syms[o->by_addr[mid]];

		if (y->shndx < shndx || (y->shndx == shndx && y->addr <= addr))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * kallsyms prints the distance to the next symbol, padding included (the
 * ELF size leaves the padding out).  Returns whether another symbol follows
 * in the section; when none does, the size runs to the section's end.
 */
static bool obj_ksize(struct sym_obj *o, struct sym_sym *y)
{
	const struct sym_section *sec = &o->secs[y->shndx];
	uint64_t next = sec->addr + sec->size;
	bool found = false;

	if (!o->by_addr && ++o->linear_scans > SYM_LINEAR_SCANS)
		obj_sort_by_addr(o);
	if (o->by_addr) {
		uint32_t i = by_addr_upper(o, y->shndx, y->addr);

		if (i < o->nby_addr && o->syms[o->by_addr[i]].shndx == y->shndx) {
			next = o->syms[o->by_addr[i]].addr;
			found = true;
		}
	} else {
		for (uint32_t i = 0; i < o->nsyms; i++) {
			const struct sym_sym *z = &o->syms[i];

			if (z->shndx == y->shndx && z->addr > y->addr && z->addr <= next) {
				next = z->addr;
				found = true;
			}
		}
	}
	y->ksize = next > y->addr ? next - y->addr : 0;
	return found;
}

const struct sym_sym *sym_obj_symbol_at(struct sym_obj *o, uint64_t addr)
{
	const struct sym_section *sec = sym_obj_section_at(o, addr);
	uint32_t shndx, i;
	const struct sym_sym *best = NULL;

	if (!sec)
		return NULL;
	shndx = (uint32_t)(sec - o->secs);
	obj_sort_by_addr(o);
	i = by_addr_upper(o, shndx, addr);
	/* the last symbol at or below addr; prefer a function among aliases */
	while (i > 0) {
		const struct sym_sym *y = &o->syms[o->by_addr[i - 1]];

		if (y->shndx != shndx || (best && y->addr != best->addr))
			break;
		if (!best || (best->type != STT_FUNC && y->type == STT_FUNC))
			best = y;
		i--;
	}
	return best;
}

const struct sym_section *sym_obj_section_at(struct sym_obj *o, uint64_t addr)
{
	for (size_t i = 0; i < o->nsecs; i++)
		if (o->secs[i].exec && addr >= o->secs[i].addr && addr - o->secs[i].addr < o->secs[i].size)
			return &o->secs[i];
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* modules */

static char *module_name_fold(const char *name, size_t n)
{
	char *r = xstrndup(name, n);

	for (char *p = r; *p; p++)
		if (*p == '-')
			*p = '_';
	return r;
}

/* "virtio-rng.ko.xz" -> "virtio_rng", or NULL if the name is no module. */
static char *module_file_name(const char *file)
{
	static const char *const exts[] = { ".ko", ".ko.xz", ".ko.zst", ".ko.gz", ".ko.bz2", NULL };
	size_t n = strlen(file);

	for (int i = 0; exts[i]; i++) {
		size_t e = strlen(exts[i]);

		if (n > e && !strcmp(file + n - e, exts[i]))
			return module_name_fold(file, n - e);
	}
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void modules_walk(struct symbolizer *s, const char *dir, int depth)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (depth > SYM_MODULE_DEPTH || !(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		ALLOC_GROW(names, n, cap);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	/* name order: the result does not depend on the file system */
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		struct stat st;
		char *mod;

		/* real directories only: "build" and "source" link to whole source trees */
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			modules_walk(s, path, depth + 1);
		} else if ((mod = module_file_name(names[i])) != NULL) {
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				ALLOC_GROW(s->mod_names, s->nmodfiles, s->modfilescap);
				s->mod_paths = xrealloc(s->mod_paths, s->modfilescap * sizeof(*s->mod_paths));
				s->mod_names[s->nmodfiles] = mod;
				s->mod_paths[s->nmodfiles++] = path;
				path = NULL;
			} else {
				free(mod);
			}
		}
		free(path);
		free(names[i]);
	}
	free(names);
}

static void modules_index(struct symbolizer *s)
{
	if (s->modules_indexed)
		return;
	s->modules_indexed = true;
	if (s->modules_dir)
		modules_walk(s, s->modules_dir, 0);
}

static const char *module_path(struct symbolizer *s, const char *folded)
{
	modules_index(s);
	for (size_t i = 0; i < s->nmodfiles; i++)
		if (!strcmp(s->mod_names[i], folded))
			return s->mod_paths[i];
	return NULL;
}

/* The module already opened under that (folded) name, or NULL. */
static struct sym_obj *module_opened(struct symbolizer *s, const char *folded)
{
	for (size_t i = 0; i < s->nmods; i++)
		if (!strcmp(s->mods[i]->name, folded))
			return s->mods[i];
	return NULL;
}

/* The object of a module, opened on first use; NULL if there is no such .ko. */
static struct sym_obj *module_obj(struct symbolizer *s, const char *module)
{
	char *folded = module_name_fold(module, strlen(module));
	struct sym_obj *o = module_opened(s, folded);
	const char *path;

	if (!o && (path = module_path(s, folded))) {
		o = obj_open(s, folded, path);
		ALLOC_GROW(s->mods, s->nmods, s->modscap);
		s->mods[s->nmods++] = o;
	}
	free(folded);
	return o;
}

/* ---------------------------------------------------------------------- */
/* the release string */

static const struct sym_sym *obj_find_symbol(const struct sym_obj *o, const char *name)
{
	uint32_t i;

	if (!o->heads)
		return NULL;
	for (i = o->heads[str_hash(name, strlen(name)) & o->hash_mask]; i; i = o->syms[i - 1].next)
		if (!strcmp(o->syms[i - 1].name, name))
			return &o->syms[i - 1];
	return NULL;
}

/* Bytes of a symbol's data: a pointer into the section data, or NULL. */
static const char *obj_symbol_data(struct sym_obj *o, const struct sym_sym *y, size_t *avail)
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

static void read_release(struct symbolizer *s)
{
	struct sym_obj *o = s->vmlinux;
	const struct sym_sym *y;
	const char *p;
	size_t n, k = 0;

	s->release_read = true;
	if (!o || o->error)
		return;
	/* "Linux version 6.1.192 (root@vm) ..." */
	y = obj_find_symbol(o, "linux_banner");
	if (y && (p = obj_symbol_data(o, y, &n)) && n > 14 && !memcmp(p, "Linux version ", 14)) {
		p += 14;
		n -= 14;
		while (k < n && k < 64 && p[k] && p[k] != ' ' && p[k] != '\n')
			k++;
		if (k)
			s->release = xstrndup(p, k);
		return;
	}
	/* init_uts_ns.name.release: the third of the 65-byte fields */
	y = obj_find_symbol(o, "init_uts_ns");
	if (y && (p = obj_symbol_data(o, y, &n)) && n > 130 + 65) {
		p += 130;
		while (k < 65 && p[k] > ' ' && p[k] < 127)
			k++;
		if (k)
			s->release = xstrndup(p, k);
	}
}

const char *sym_release(struct symbolizer *s)
{
	if (!s->release_read)
		read_release(s);
	return s->release;
}

bool sym_has_dwarf(struct symbolizer *s)
{
	return obj_has_dwarf(s->vmlinux);
}

/* ---------------------------------------------------------------------- */
/* open and close */

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH"), *p, *colon;
	bool found = false;

	for (p = path ? path : "/usr/bin:/bin"; p && !found; p = colon ? colon + 1 : NULL) {
		size_t n;
		char *cand;

		colon = strchr(p, ':');
		n = colon ? (size_t)(colon - p) : strlen(p);
		/* an empty entry is the current directory */
		cand = n ? xasprintf("%.*s/%s", (int)n, p, prog) : xasprintf("./%s", prog);
		found = access(cand, X_OK) == 0;
		free(cand);
	}
	return found;
}

struct symbolizer *sym_open(struct ctx *ctx, const struct sym_options *opt)
{
	struct symbolizer *s = xcalloc(1, sizeof(*s));
	struct stat st;

	s->ctx = ctx;
	s->backend = opt->backend;
	if (!opt->vmlinux) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "no vmlinux given");
		goto fail;
	}
	if (stat(opt->vmlinux, &st) != 0) {
		kt_error(ctx, KT_EXIT_SYMBOLS, opt->vmlinux, "cannot open: %s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		kt_error(ctx, KT_EXIT_SYMBOLS, opt->vmlinux, "not a regular file");
		goto fail;
	}
	s->vmlinux = obj_open(s, NULL, opt->vmlinux);
	if (s->vmlinux->error) {
		kt_error(ctx, KT_EXIT_SYMBOLS, NULL, "%s", s->vmlinux->error);
		goto fail;
	}
	if (s->vmlinux->is_rel) {
		kt_error(ctx, KT_EXIT_SYMBOLS, opt->vmlinux, "a relocatable object (a module?), not a vmlinux");
		goto fail;
	}
	if (opt->modules_dir) {
		if (stat(opt->modules_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			kt_error(ctx, KT_EXIT_SYMBOLS, opt->modules_dir, "not a directory");
			goto fail;
		}
		s->modules_dir = xstrdup(opt->modules_dir);
		s->modules_dir_given = true;
	} else if (sym_release(s)) {
		/* <dir of vmlinux>/lib/modules/<release>, as INSTALL_MOD_PATH lays it out */
		const char *slash = strrchr(opt->vmlinux, '/');
		char *dir = slash ? xstrndup(opt->vmlinux, (size_t)(slash - opt->vmlinux + 1)) : xstrdup("");
		char *cand = xasprintf("%slib/modules/%s", dir, s->release);

		if (stat(cand, &st) == 0 && S_ISDIR(st.st_mode))
			s->modules_dir = cand;
		else
			free(cand);
		free(dir);
	}
	if (s->backend == SYM_ADDR2LINE && !in_path("addr2line")) {
		kt_error(ctx, KT_EXIT_SYMBOLS, NULL, "addr2line not found in PATH: install binutils, or use --symbolizer libdw");
		goto fail;
	}
	if (!obj_has_dwarf(s->vmlinux))
		kt_warn(ctx, opt->vmlinux, "no DWARF debug information: frames get function names only, no file:line");
	return s;
fail:
	sym_close(s);
	return NULL;
}

static void entry_free(struct sym_entry *e)
{
	free(e->res.chain);
	free(e);
}

void sym_close(struct symbolizer *s)
{
	if (!s)
		return;
	obj_free(s->vmlinux);
	for (size_t i = 0; i < s->nmods; i++)
		obj_free(s->mods[i]);
	free(s->mods);
	for (size_t i = 0; i < s->nmodfiles; i++) {
		free(s->mod_names[i]);
		free(s->mod_paths[i]);
	}
	free(s->mod_names);
	free(s->mod_paths);
	free(s->modules_dir);
	free(s->release);
	for (size_t i = 0; s->cache && i <= s->cache_mask; i++)
		if (s->cache[i])
			entry_free(s->cache[i]);
	free(s->cache);
	for (size_t i = 0; s->pool && i <= s->pool_mask; i++)
		free(s->pool[i]);
	free(s->pool);
	free(s);
}

/* ---------------------------------------------------------------------- */
/* the cache */

static uint64_t entry_hash(const char *module, const char *func, uint64_t off, uint64_t size, bool has_size,
			   bool exact)
{
	uint64_t nums[3] = { off, size, (uint64_t)has_size | (uint64_t)exact << 1 };
	uint64_t seed = module ? XXH3_64bits(module, strlen(module)) : 0;

	if (func)
		seed = XXH3_64bits_withSeed(func, strlen(func), seed);
	return XXH3_64bits_withSeed(nums, sizeof(nums), seed);
}

static bool entry_is(const struct sym_entry *e, uint64_t h, const struct sym_request *rq)
{
	const char *module = rq->module, *func = rq->func;

	return e->hash == h && e->off == rq->off && e->size == rq->size && e->has_size == rq->has_size &&
	       e->exact == rq->exact &&
	       (e->module == module || (e->module && module && !strcmp(e->module, module))) &&
	       (e->func == func || (e->func && func && !strcmp(e->func, func)));
}

static void cache_grow(struct symbolizer *s)
{
	size_t newcap = s->cache_mask ? (s->cache_mask + 1) * 2 : 1024;
	struct sym_entry **nc = xcalloc(newcap, sizeof(*nc));

	for (size_t j = 0; s->cache && j <= s->cache_mask; j++) {
		struct sym_entry *e = s->cache[j];
		size_t i;

		if (!e)
			continue;
		for (i = e->hash & (newcap - 1); nc[i]; i = (i + 1) & (newcap - 1))
			;
		nc[i] = e;
	}
	free(s->cache);
	s->cache = nc;
	s->cache_mask = newcap - 1;
}

/* The cached entry, or a new one (*fresh) to fill. */
static struct sym_entry *cache_get(struct symbolizer *s, const struct sym_request *rq, bool *fresh)
{
	uint64_t h = entry_hash(rq->module, rq->func, rq->off, rq->size, rq->has_size, rq->exact);
	struct sym_entry *e;
	size_t i;

	if ((s->cache_count + 1) * 2 > s->cache_mask + 1)
		cache_grow(s);
	for (i = h & s->cache_mask; s->cache[i]; i = (i + 1) & s->cache_mask)
		if (entry_is(s->cache[i], h, rq)) {
			*fresh = false;
			return s->cache[i];
		}
	e = xcalloc(1, sizeof(*e));
	e->module = sym_intern(s, rq->module);
	e->func = sym_intern(s, rq->func);
	e->off = rq->off;
	e->size = rq->size;
	e->has_size = rq->has_size;
	e->exact = rq->exact;
	e->hash = h;
	s->cache[i] = e;
	s->cache_count++;
	*fresh = true;
	return e;
}

/* ---------------------------------------------------------------------- */
/* resolving */

static void set_failure(struct sym_result *r, enum sym_status st, const char *note)
{
	r->status = st;
	r->note = note;
}

/* A one-level chain: the symbol's name and nothing else. */
static void set_name_only(struct sym_result *r, const char *symbol)
{
	r->chain = xcalloc(1, sizeof(*r->chain));
	r->chain[0].func = (char *)symbol;
	r->nchain = 1;
}

/* Which symbol of that name does the frame mean?  Fills q or fails r. */
static bool pick_symbol(struct symbolizer *s, struct sym_obj *o, struct sym_entry *e, struct sym_query *q)
{
	struct sym_result *r = &e->res;
	struct sym_sym *pick = NULL;
	uint32_t i, ncand = 0;
	struct sbuf sizes = SBUF_INIT;
	uint64_t bound, back;

	for (i = o->heads[str_hash(e->func, strlen(e->func)) & o->hash_mask]; i; i = o->syms[i - 1].next) {
		struct sym_sym *y = &o->syms[i - 1];
		bool last;

		if (!y->exec || strcmp(y->name, e->func))
			continue;
		ncand++;
		last = !obj_ksize(o, y);
		if (!e->has_size) {
			if (!pick)
				pick = y;
			continue;
		}
		/*
		 * The printed size is kallsyms' distance to the next symbol.
		 * Of the last symbol of a section the kernel counts the gap to
		 * whatever it laid out next, which the file does not say.
		 */
		if (y->ksize == e->size || (y->esize && y->esize == e->size) || (last && e->size >= y->ksize && y->ksize)) {
			if (!pick || (pick->ksize != e->size && y->ksize == e->size))
				pick = y;
		}
		sbuf_addf(&sizes, "%s0x%llx", sizes.len ? ", " : "", (unsigned long long)y->ksize);
	}
	if (!ncand) {
		set_failure(r, SYM_NO_SYMBOL, sym_internf(s, "%s does not match: no symbol %s", sym_obj_label(o), e->func));
		goto fail;
	}
	if (!pick) {
		if (ncand == 1)
			set_failure(r, SYM_SIZE_MISMATCH,
				    sym_internf(s, "%s does not match: %s is 0x%s bytes there, the log says 0x%llx",
						sym_obj_label(o), e->func, sizes.buf + 2, (unsigned long long)e->size));
		else
			set_failure(r, SYM_SIZE_MISMATCH,
				    sym_internf(s, "%s does not match: no %s of 0x%llx bytes (there are %u: %s)",
						sym_obj_label(o), e->func, (unsigned long long)e->size, ncand, sizes.buf));
		goto fail;
	}
	bound = e->has_size ? e->size : pick->ksize;
	if (e->off >= bound && !(e->off == 0 && bound == 0)) {
		set_failure(r, SYM_BAD_OFFSET,
			    sym_internf(s, "%s does not match: offset 0x%llx is beyond %s (0x%llx bytes)", sym_obj_label(o),
					(unsigned long long)e->off, e->func, (unsigned long long)bound));
		goto fail;
	}
	sbuf_release(&sizes);
	r->symbol = sym_intern(s, pick->name);
	q->obj = o;
	q->symbol = r->symbol;
	/* a return address: the call is the byte before (the entry is its own address) */
	back = e->off && !e->exact ? 1 : 0;
	q->addr = pick->addr + e->off - back;
	q->section = o->secs[pick->shndx].name;
	/* the address in the file: section-relative in a .ko, as addr2line takes it */
	q->section_off = pick->value + e->off - back;
	r->addr = q->section_off;
	r->section = o->is_rel ? q->section : NULL;
	return true;
fail:
	sbuf_release(&sizes);
	return false;
}

/* First half of a lookup: everything but the back end.  True if q is to be looked up. */
static bool prepare(struct symbolizer *s, struct sym_entry *e, struct sym_query *q)
{
	struct sym_result *r = &e->res;
	struct sym_obj *o;

	memset(q, 0, sizeof(*q));
	q->res = r;
	r->status = SYM_OK;
	if (e->module) {
		o = module_obj(s, e->module);
		if (!o) {
			if (!s->modules_dir)
				set_failure(r, SYM_NO_MODULE,
					    sym_internf(s, "module %s: no modules directory (--modules DIR)", e->module));
			else
				set_failure(r, SYM_NO_MODULE, sym_internf(s, "module %s: no %s.ko under %s", e->module,
									  e->module, s->modules_dir));
			return false;
		}
	} else {
		o = s->vmlinux;
	}
	if (o->error) {
		set_failure(r, SYM_ERROR, o->error);
		return false;
	}
	if (e->func) {
		if (!pick_symbol(s, o, e, q))
			return false;
	} else {
		/* a raw address in the vmlinux */
		const struct sym_sym *y = sym_obj_symbol_at(o, e->off);

		q->obj = o;
		q->addr = e->off;
		q->section_off = e->off;
		r->addr = e->off;
		if (!y) {
			set_failure(r, SYM_NO_SYMBOL,
				    sym_internf(s, "vmlinux does not match: no code at 0x%llx", (unsigned long long)e->off));
			return false;
		}
		r->symbol = sym_intern(s, y->name);
		q->symbol = r->symbol;
		q->section = o->secs[y->shndx].name;
	}
	if (!obj_has_dwarf(o)) {
		set_name_only(r, r->symbol);
		set_failure(r, SYM_NO_DEBUGINFO, sym_internf(s, "%s has no DWARF: function name only", sym_obj_label(o)));
		return false;
	}
	return true;
}

/* The back end's half, for every query of a batch. */
static void lookup_all(struct symbolizer *s, struct sym_query *qs, size_t n)
{
	if (!n)
		return;
	if (s->backend == SYM_ADDR2LINE) {
		sym_a2l_lookup(qs, n);
	} else {
		for (size_t i = 0; i < n; i++)
			sym_dwarf_lookup(&qs[i]);
	}
	for (size_t i = 0; i < n; i++) {
		struct sym_result *r = qs[i].res;

		if (r->status == SYM_OK && !r->nchain)
			set_name_only(r, qs[i].symbol);
		if (r->status == SYM_NO_LINE && !r->note)
			r->note = sym_internf(s, "%s has no line information for %s", sym_obj_label(qs[i].obj), qs[i].symbol);
	}
}

void sym_resolve_batch(struct symbolizer *s, const struct sym_request *req, size_t n, const struct sym_result **out)
{
	struct sym_query *qs = xmalloc((n ? n : 1) * sizeof(*qs));
	size_t nq = 0;

	for (size_t i = 0; i < n; i++) {
		struct sym_request rq = req[i];
		bool fresh;
		struct sym_entry *e;

		if (!rq.func) {
			rq.module = NULL;
			rq.size = 0;
			rq.has_size = false;
			rq.exact = true;
		}
		e = cache_get(s, &rq, &fresh);
		out[i] = &e->res;
		if (fresh && prepare(s, e, &qs[nq]))
			nq++;
	}
	lookup_all(s, qs, nq);
	free(qs);
}

const struct sym_result *sym_resolve(struct symbolizer *s, const char *module, const char *func, uint64_t off,
				     uint64_t size, bool has_size)
{
	struct sym_request rq = { module, func, off, size, has_size, false };
	const struct sym_result *r;

	sym_resolve_batch(s, &rq, 1, &r);
	return r;
}

const struct sym_result *sym_resolve_addr(struct symbolizer *s, uint64_t addr)
{
	struct sym_request rq = { NULL, NULL, addr, 0, false, true };
	const struct sym_result *r;

	sym_resolve_batch(s, &rq, 1, &r);
	return r;
}

const char *sym_loc_short_file(const struct sym_loc *l)
{
	size_t n;

	if (!l->file)
		return NULL;
	if (l->comp_dir && (n = strlen(l->comp_dir)) && !strncmp(l->file, l->comp_dir, n) && l->file[n] == '/')
		return l->file + n + 1;
	return l->file;
}

const char *sym_status_name(enum sym_status st)
{
	switch (st) {
	case SYM_OK: return "ok";
	case SYM_NO_SYMBOL: return "no-symbol";
	case SYM_BAD_OFFSET: return "bad-offset";
	case SYM_SIZE_MISMATCH: return "size-mismatch";
	case SYM_NO_MODULE: return "no-module";
	case SYM_NO_DEBUGINFO: return "no-debuginfo";
	case SYM_NO_LINE: return "no-line";
	case SYM_ERROR: return "error";
	}
	return "?";
}

bool sym_status_mismatch(enum sym_status st)
{
	return st == SYM_NO_SYMBOL || st == SYM_BAD_OFFSET || st == SYM_SIZE_MISMATCH;
}

const char *sym_modules_dir(struct symbolizer *s)
{
	return s->modules_dir;
}

const char *sym_source_root(struct symbolizer *s)
{
	return sym_dwarf_first_comp_dir(s->vmlinux);
}

/* ---------------------------------------------------------------------- */
/* walking every function, struct layouts */

static bool obj_foreach(struct sym_obj *o, bool (*fn)(const char *name, const char *module, void *data), void *data)
{
	if (o->error)
		return true;
	for (uint32_t i = 0; i < o->nsyms; i++)
		if (o->syms[i].exec && o->syms[i].type == STT_FUNC && !fn(o->syms[i].name, o->name, data))
			return false;
	return true;
}

void sym_foreach_function(struct symbolizer *s, bool (*fn)(const char *name, const char *module, void *data),
			  void *data)
{
	if (!obj_foreach(s->vmlinux, fn, data))
		return;
	modules_index(s);
	for (size_t i = 0; i < s->nmodfiles; i++) {
		struct sym_obj *o = module_opened(s, s->mod_names[i]), *tmp = NULL;
		bool go;

		if (o && strcmp(o->path, s->mod_paths[i]))
			continue;   /* a second file of a module already open: shadowed */
		if (!o)
			o = tmp = obj_open(s, s->mod_names[i], s->mod_paths[i]);
		go = obj_foreach(o, fn, data);
		obj_free(tmp);
		if (!go)
			return;
	}
}

int sym_struct_member(struct symbolizer *s, const char *module, const char *struct_name, const char *member_path,
		      uint64_t *offset, uint64_t *size, uint64_t *stride)
{
	struct sym_obj *o = module ? module_obj(s, module) : s->vmlinux;

	*offset = *size = *stride = 0;
	if (!o || o->error)
		return -1;
	if (s->backend == SYM_ADDR2LINE) {
		/* layouts come from libdw whatever the line back end */
		if (o->has_dwarf < 0)
			o->has_dwarf = sym_a2l_has_dwarf(o);
	}
	if (o->has_dwarf == 0 || (!o->dwarf && !sym_dwarf_open(o)))
		return -1;
	return sym_dwarf_struct_member(o, struct_name, member_path, offset, size, stride);
}
