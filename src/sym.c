/*
 * sym.c - the symbolizer's front: open the vmlinux and find modules,
 * resolve func+off/size by symbol name, cache results, and hand addresses
 * to the back end chosen at open (one table of operations, sym_backend.h).
 * Objects are elfobj.c's, layouts layout.c's, strings strpool.c's.
 * Nothing here prints except the one warning of sym_open() about a vmlinux
 * without DWARF; per-frame trouble goes into sym_result.note, trouble with
 * a module is kept for the command to say (sym_drain_problems).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <gelf.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfobj.h"
#include "hashmap.h"
#include "kt.h"
#include "layout.h"
#include "strpool.h"
#include "sym.h"
#include "sym_backend.h"
#include "sym_data.h"

#define SYM_MODULE_DEPTH 12     /* directory levels searched under --modules */

/* One object file (the vmlinux or a module) with what the back end and the layouts keep of it. */
struct sym_obj {
	struct elfobj *elf;
	void *state;            /* the back end's (NULL when elf has an error) */
	int has_dwarf;          /* -1 not known yet, 0 no, 1 yes */
	struct layout *layout;
	bool layout_tried;
	struct sym_data *data;  /* its data symbols by address, built when an address needs them */
	struct sym_operand *operands;   /* a module's KCSAN call operands read so far */
	size_t noperands, operandscap;
	void **hints;           /* by ELF symbol: the back end's hint (sym_query.hint), made on first use */
};

/* What the code of a module says about one call: sym_data_call_operand()'s answer, kept. */
struct sym_operand {
	const struct elf_sym *fn;
	uint64_t ret_off, size;
	bool ok;
	uint32_t shndx;
	uint64_t value;
};

/* A cached result, keyed by (module, func, off, size, exact). */
struct sym_entry {
	struct hashmap_entry ent;
	const char *module;     /* interned, NULL for vmlinux */
	const char *func;       /* in its generation's blocks, NULL for a raw address */
	uint64_t off, size;
	bool has_size, exact;
	struct sym_result res;
};

/* Where a generation's entries, their function names and chains live: freed at once. */
struct sym_block {
	struct sym_block *next;
	size_t used, size;
	max_align_t data[];
};

#define SYM_BLOCK_SIZE (256 * 1024)

/*
 * The cache is two generations: entries go into the current one; when it
 * holds SYM_CACHE_GEN, the batch after drops the old one and starts anew,
 * and an entry met in the old generation is copied into the current one.
 * So a log of any size keeps at most twice SYM_CACHE_GEN results, the ones
 * met lately, and a result lasts at least until the next batch.
 */
#define SYM_CACHE_GEN 16384

struct sym_gen {
	struct hashmap map;     /* struct sym_entry */
	struct sym_block *blocks;       /* the entries' memory, newest first */
};

/* A module whose frames cannot be resolved: not found, or unreadable. */
struct sym_problem {
	const char *module;     /* interned, folded */
	const char *note;       /* interned */
	bool drained;
};

struct symbolizer {
	struct ctx *ctx;
	const struct sym_backend_ops *ops;
	struct strpool *pool;
	struct sym_obj *vmlinux;
	struct sym_obj **mods;
	size_t nmods, modscap;
	char *modules_dir;
	bool modules_dir_given;
	/* module name -> path, found by walking modules_dir once */
	char **mod_names, **mod_paths;
	size_t nmodfiles, modfilescap;
	bool modules_indexed;
	char *release;
	bool release_read;
	struct sym_gen gen[2];  /* the cache: gen[cur] the current generation, the other the old one */
	unsigned cur;
	struct sym_problem *problems;
	size_t nproblems, problemscap;
	bool has_slide;         /* --kaslr-offset: the running kernel's addresses are the vmlinux's + slide */
	uint64_t slide;
};

static const struct sym_backend_ops *const sym_backends[] = {
	[SYM_LIBDW] = &sym_libdw_backend,
	[SYM_ADDR2LINE] = &sym_addr2line_backend,
};

/* ---------------------------------------------------------------------- */
/* objects */

static struct sym_obj *obj_new(struct symbolizer *s, const char *name, const char *path)
{
	struct sym_obj *o = xcalloc(1, sizeof(*o));

	o->elf = elfobj_open(s->pool, name, path);
	o->has_dwarf = -1;
	if (!elfobj_error(o->elf))
		o->state = s->ops->open(o->elf, s->pool);
	return o;
}

static void obj_free(struct symbolizer *s, struct sym_obj *o)
{
	if (!o)
		return;
	if (o->state)
		s->ops->close(o->state);
	layout_close(o->layout);
	sym_data_free(o->data);
	free(o->operands);
	free(o->hints);
	elfobj_close(o->elf);
	free(o);
}

static bool obj_has_dwarf(struct symbolizer *s, struct sym_obj *o)
{
	if (o->has_dwarf < 0)
		o->has_dwarf = o->state && s->ops->has_dwarf(o->state);
	return o->has_dwarf > 0;
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
	if (n)   /* an empty directory: no array to sort */
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
		if (!strcmp(elfobj_name(s->mods[i]->elf), folded))
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
		o = obj_new(s, folded, path);
		ALLOC_GROW(s->mods, s->nmods, s->modscap);
		s->mods[s->nmods++] = o;
	}
	free(folded);
	return o;
}

/* ---------------------------------------------------------------------- */
/* the release string */

static void read_release(struct symbolizer *s)
{
	struct elfobj *o = s->vmlinux ? s->vmlinux->elf : NULL;
	const struct elf_sym *y;
	const char *p;
	size_t n, k = 0;

	s->release_read = true;
	if (!o || elfobj_error(o))
		return;
	/* "Linux version 6.1.192 (root@vm) ..." */
	y = elfobj_sym_named(o, "linux_banner");
	if (y && (p = elfobj_symbol_data(o, y, &n)) && n > 14 && !memcmp(p, "Linux version ", 14)) {
		p += 14;
		n -= 14;
		while (k < n && k < 64 && p[k] && p[k] != ' ' && p[k] != '\n')
			k++;
		if (k)
			s->release = xstrndup(p, k);
		return;
	}
	/* init_uts_ns.name.release: the third of the 65-byte fields */
	y = elfobj_sym_named(o, "init_uts_ns");
	if (y && (p = elfobj_symbol_data(o, y, &n)) && n > 130 + 65) {
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
	return obj_has_dwarf(s, s->vmlinux);
}

void sym_fingerprint(struct symbolizer *s, struct sbuf *out)
{
	const char *path = getenv("PATH");

	modules_index(s);
	sbuf_addf(out, "backend=%s\nslide=%d %llx\nmodules=%s\n", s->ops->name, s->has_slide,
		  (unsigned long long)s->slide, s->modules_dir ? s->modules_dir : "");
	/* the addr2line back end runs the first addr2line on $PATH */
	if (!strcmp(s->ops->name, "addr2line"))
		sbuf_addf(out, "path=%s\n", path ? path : "");
	for (size_t i = 0; i < s->nmodfiles; i++) {
		struct stat st;

		if (stat(s->mod_paths[i], &st) != 0)
			memset(&st, 0, sizeof(st));
		sbuf_addf(out, "module=%s %s %lld %lld.%09ld\n", s->mod_names[i], s->mod_paths[i],
			  (long long)st.st_size, (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
	}
}

/* ---------------------------------------------------------------------- */
/* open and close */

static bool sym_entry_eq(const struct hashmap_entry *e, const struct hashmap_entry *key, const void *keydata)
{
	const struct sym_entry *x = container_of(e, struct sym_entry, ent);
	const struct sym_request *rq = keydata;

	(void)key;
	return x->off == rq->off && x->size == rq->size && x->has_size == rq->has_size && x->exact == rq->exact &&
	       (x->module == rq->module || (x->module && rq->module && !strcmp(x->module, rq->module))) &&
	       (x->func == rq->func || (x->func && rq->func && !strcmp(x->func, rq->func)));
}

/* The modules directory: given, or <dir of vmlinux>/lib/modules/<release> as INSTALL_MOD_PATH lays it out. */
static bool find_modules_dir(struct symbolizer *s, const struct sym_options *opt)
{
	struct stat st;

	if (opt->modules_dir) {
		if (stat(opt->modules_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			kt_error(s->ctx, KT_EXIT_SYMBOLS, opt->modules_dir, "not a directory");
			return false;
		}
		s->modules_dir = xstrdup(opt->modules_dir);
		s->modules_dir_given = true;
	} else if (sym_release(s)) {
		const char *slash = strrchr(opt->vmlinux, '/');
		char *dir = slash ? xstrndup(opt->vmlinux, (size_t)(slash - opt->vmlinux + 1)) : xstrdup("");
		char *cand = xasprintf("%slib/modules/%s", dir, s->release);

		if (stat(cand, &st) == 0 && S_ISDIR(st.st_mode))
			s->modules_dir = cand;
		else
			free(cand);
		free(dir);
	}
	return true;
}

/* The vmlinux, opened into s->vmlinux; false (said through ctx) if it cannot be used. */
static bool open_vmlinux(struct symbolizer *s, const char *path)
{
	struct stat st;
	const char *err;

	if (stat(path, &st) != 0) {
		kt_error(s->ctx, KT_EXIT_SYMBOLS, path, "cannot open: %s", strerror(errno));
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		kt_error(s->ctx, KT_EXIT_SYMBOLS, path, "not a regular file");
		return false;
	}
	s->vmlinux = obj_new(s, NULL, path);
	if ((err = elfobj_error(s->vmlinux->elf))) {
		kt_error(s->ctx, KT_EXIT_SYMBOLS, NULL, "%s", err);
		return false;
	}
	if (elfobj_is_rel(s->vmlinux->elf)) {
		kt_error(s->ctx, KT_EXIT_SYMBOLS, path, "a relocatable object (a module?), not a vmlinux");
		return false;
	}
	return true;
}

struct symbolizer *sym_open(struct ctx *ctx, const struct sym_options *opt)
{
	struct symbolizer *s = xcalloc(1, sizeof(*s));
	const char *why;

	s->ctx = ctx;
	s->ops = sym_backends[opt->backend];
	s->pool = strpool_new();
	s->has_slide = opt->has_kaslr_offset;
	s->slide = opt->kaslr_offset;
	hashmap_init(&s->gen[0].map, sym_entry_eq, 0);
	hashmap_init(&s->gen[1].map, sym_entry_eq, 0);
	if (!opt->vmlinux) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "no vmlinux given");
		goto fail;
	}
	if (!open_vmlinux(s, opt->vmlinux) || !find_modules_dir(s, opt))
		goto fail;
	if (s->ops->unusable && (why = s->ops->unusable())) {
		kt_error(ctx, KT_EXIT_SYMBOLS, NULL, "%s", why);
		goto fail;
	}
	if (!obj_has_dwarf(s, s->vmlinux))
		kt_warn(ctx, opt->vmlinux, "no DWARF debug information: frames get function names only, no file:line");
	else if (elfobj_section_size(s->vmlinux->elf, ".debug_line") <= 0)
		kt_warn(ctx, opt->vmlinux, "DWARF without line tables (.debug_line is empty or missing): frames get "
			"function names and inline levels, no file:line");
	return s;
fail:
	sym_close(s);
	return NULL;
}

static void gen_clear(struct sym_gen *g)
{
	hashmap_clear(&g->map, HASHMAP_NO_FREE);
	hashmap_init(&g->map, sym_entry_eq, 0);
	while (g->blocks) {
		struct sym_block *b = g->blocks;

		g->blocks = b->next;
		free(b);
	}
}

void sym_close(struct symbolizer *s)
{
	if (!s)
		return;
	obj_free(s, s->vmlinux);
	for (size_t i = 0; i < s->nmods; i++)
		obj_free(s, s->mods[i]);
	free(s->mods);
	for (size_t i = 0; i < s->nmodfiles; i++) {
		free(s->mod_names[i]);
		free(s->mod_paths[i]);
	}
	free(s->mod_names);
	free(s->mod_paths);
	free(s->modules_dir);
	free(s->release);
	gen_clear(&s->gen[0]);   /* (an empty map holds no table) */
	gen_clear(&s->gen[1]);
	free(s->problems);
	strpool_free(s->pool);
	free(s);
}

/* ---------------------------------------------------------------------- */
/* the cache */

static uint64_t entry_hash(const struct sym_request *rq)
{
	uint64_t nums[3] = { rq->off, rq->size, (uint64_t)rq->has_size | (uint64_t)rq->exact << 1 };
	uint64_t seed = rq->module ? kt_hash_str(rq->module) : 0;

	if (rq->func)
		seed = kt_hash_mem_seed(rq->func, strlen(rq->func), seed);
	return kt_hash_mem_seed(nums, sizeof(nums), seed);
}

/* n zeroed bytes that last as long as generation g */
static void *block_alloc(struct sym_gen *g, size_t n)
{
	struct sym_block *b = g->blocks;
	const size_t align = sizeof(max_align_t);
	void *p;

	n = (n + align - 1) / align * align;
	if (!b || b->size - b->used < n) {
		size_t size = n > SYM_BLOCK_SIZE / 4 ? n : SYM_BLOCK_SIZE;

		b = xmalloc(sizeof(*b) + size);
		b->size = size;
		b->used = 0;
		/* a block of its own goes behind the one being filled */
		if (size == n && g->blocks) {
			b->next = g->blocks->next;
			g->blocks->next = b;
		} else {
			b->next = g->blocks;
			g->blocks = b;
		}
	}
	p = (char *)b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

static const char *block_strdup(struct sym_gen *g, const char *str)
{
	size_t n;

	if (!str)
		return NULL;
	n = strlen(str) + 1;
	return memcpy(block_alloc(g, n), str, n);
}

/* A chain of n levels in generation g: a copy of from (NULL: zeroed). */
static struct sym_loc *block_chain(struct sym_gen *g, const struct sym_loc *from, size_t n)
{
	struct sym_loc *c = block_alloc(g, n * sizeof(*c));

	if (from)
		memcpy(c, from, n * sizeof(*c));
	return c;
}

/* The current generation, a new one when it is full (the old one dropped: no result of it is held now). */
static struct sym_gen *cache_turn(struct symbolizer *s)
{
	if (hashmap_count(&s->gen[s->cur].map) >= SYM_CACHE_GEN) {
		s->cur ^= 1;
		gen_clear(&s->gen[s->cur]);
	}
	return &s->gen[s->cur];
}

/* An entry of the old generation, copied into g. */
static struct sym_entry *entry_copy(struct sym_gen *g, const struct sym_entry *o)
{
	struct sym_entry *e = block_alloc(g, sizeof(*e));

	*e = *o;
	e->func = block_strdup(g, o->func);
	if (o->res.nchain)
		e->res.chain = block_chain(g, o->res.chain, o->res.nchain);
	hashmap_entry_init(&e->ent, o->ent.hash);
	hashmap_add(&g->map, &e->ent);
	return e;
}

/* The cached entry, or a new one (*fresh) to fill; in generation g, the current one. */
static struct sym_entry *cache_get(struct symbolizer *s, struct sym_gen *g, const struct sym_request *rq,
				   bool *fresh)
{
	uint64_t h = entry_hash(rq);
	struct hashmap_entry *he = hashmap_get(&g->map, h, NULL, rq);
	struct sym_gen *old = &s->gen[s->cur ^ 1];
	struct sym_entry *e;

	*fresh = false;
	if (he)
		return container_of(he, struct sym_entry, ent);
	if (hashmap_count(&old->map) && (he = hashmap_get(&old->map, h, NULL, rq)))
		return entry_copy(g, container_of(he, struct sym_entry, ent));
	e = block_alloc(g, sizeof(*e));
	hashmap_entry_init(&e->ent, h);
	e->module = strpool_intern(s->pool, rq->module);
	/* one copy per entry: most functions are met at one offset only */
	e->func = block_strdup(g, rq->func);
	e->off = rq->off;
	e->size = rq->size;
	e->has_size = rq->has_size;
	e->exact = rq->exact;
	hashmap_add(&g->map, &e->ent);
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
static void set_name_only(struct symbolizer *s, struct sym_result *r, const char *symbol)
{
	r->chain = block_chain(&s->gen[s->cur], NULL, 1);
	r->chain[0].func = (char *)symbol;
	r->nchain = 1;
}

/* Remember, once per module, why its frames cannot be resolved. */
static void note_problem(struct symbolizer *s, const char *module, const char *note)
{
	for (size_t i = 0; i < s->nproblems; i++)
		if (!strcmp(s->problems[i].module, module))
			return;
	ALLOC_GROW(s->problems, s->nproblems, s->problemscap);
	s->problems[s->nproblems].module = strpool_intern(s->pool, module);
	s->problems[s->nproblems].note = note;
	s->problems[s->nproblems].drained = false;
	s->nproblems++;
}

void sym_drain_problems(struct symbolizer *s, void (*fn)(const char *module, const char *problem, void *data),
			void *data)
{
	for (size_t i = 0; i < s->nproblems; i++)
		if (!s->problems[i].drained) {
			s->problems[i].drained = true;
			fn(s->problems[i].module, s->problems[i].note, data);
		}
}

/* "0x10, 0x20": the kallsyms sizes of the executable symbols named func, for a note (only on failure). */
static char *symbol_sizes(struct elfobj *o, const char *func)
{
	struct sbuf sizes = SBUF_INIT;

	for (struct elf_sym *y = elfobj_sym_named(o, func); y; y = elfobj_sym_next_named(o, y)) {
		uint64_t ks;

		if (!y->exec)
			continue;
		elfobj_ksize(o, y, &ks);
		sbuf_addf(&sizes, "%s0x%llx", sizes.len ? ", " : "", (unsigned long long)ks);
	}
	return sbuf_detach(&sizes);
}

/* Why no symbol fits the frame: the result failed with a note. */
static void pick_failed(struct symbolizer *s, struct elfobj *o, const struct sym_entry *e, struct sym_result *r,
			uint32_t ncand)
{
	char *sizes;

	if (!ncand) {
		set_failure(r, SYM_NO_SYMBOL, strpool_internf(s->pool, "%s does not match: no symbol %s",
							      elfobj_label(o), e->func));
		return;
	}
	sizes = symbol_sizes(o, e->func);
	if (ncand == 1)
		set_failure(r, SYM_SIZE_MISMATCH,
			    strpool_internf(s->pool, "%s does not match: %s is %s bytes there, the log says 0x%llx",
					    elfobj_label(o), e->func, sizes, (unsigned long long)e->size));
	else
		set_failure(r, SYM_SIZE_MISMATCH,
			    strpool_internf(s->pool, "%s does not match: no %s of 0x%llx bytes (there are %u: %s)",
					    elfobj_label(o), e->func, (unsigned long long)e->size, ncand, sizes));
	free(sizes);
}

/* The symbol of that name and printed size the frame means (its kallsyms size in *ksize), or NULL with r failed. */
static struct elf_sym *pick_symbol(struct symbolizer *s, struct elfobj *o, const struct sym_entry *e,
				   struct sym_result *r, uint64_t *ksize)
{
	struct elf_sym *pick = NULL;
	uint64_t pks = 0;
	uint32_t ncand = 0;

	for (struct elf_sym *y = elfobj_sym_named(o, e->func); y; y = elfobj_sym_next_named(o, y)) {
		uint64_t ks;
		bool last;

		if (!y->exec)
			continue;
		ncand++;
		last = !elfobj_ksize(o, y, &ks);
		if (!e->has_size) {
			if (!pick) {
				pick = y;
				pks = ks;
			}
			continue;
		}
		/*
		 * The printed size is kallsyms' distance to the next symbol.
		 * Of the last symbol of a section the kernel counts the gap to
		 * whatever it laid out next, which the file does not say.
		 */
		if (ks == e->size || (y->esize && y->esize == e->size) || (last && e->size >= ks && ks)) {
			if (!pick || (pks != e->size && ks == e->size)) {
				pick = y;
				pks = ks;
			}
		}
	}
	if (!pick)
		pick_failed(s, o, e, r, ncand);
	*ksize = pks;
	return pick;
}

/* The back end's hint slot of symbol y of o. */
static void **obj_hint(struct sym_obj *o, const struct elf_sym *y)
{
	if (!o->hints)
		o->hints = xcalloc(elfobj_nsyms(o->elf) + 1, sizeof(*o->hints));
	return &o->hints[elfobj_sym_index(o->elf, y)];
}

/* func+off/size: the symbol and the address into q, or false with the result failed. */
static bool prepare_func(struct symbolizer *s, struct sym_obj *so, struct sym_entry *e, struct sym_query *q)
{
	struct elfobj *o = so->elf;
	struct sym_result *r = &e->res;
	uint64_t ksize, bound, back;
	struct elf_sym *pick = pick_symbol(s, o, e, r, &ksize);

	if (!pick)
		return false;
	bound = e->has_size ? e->size : ksize;
	if (e->off >= bound && !(e->off == 0 && bound == 0)) {
		set_failure(r, SYM_BAD_OFFSET,
			    strpool_internf(s->pool, "%s does not match: offset 0x%llx is beyond %s (0x%llx bytes)",
					    elfobj_label(o), (unsigned long long)e->off, e->func, (unsigned long long)bound));
		return false;
	}
	r->symbol = pick->name;     /* in the ELF string table, open until sym_close() */
	q->symbol = r->symbol;
	q->hint = obj_hint(so, pick);
	/* a return address: the call is the byte before (the entry is its own address) */
	back = e->off && !e->exact ? 1 : 0;
	q->addr = pick->addr + e->off - back;
	q->section = elfobj_section(o, pick->shndx)->name;
	/* the address in the file: section-relative in a .ko, as addr2line takes it */
	q->section_off = pick->value + e->off - back;
	r->addr = q->section_off;
	r->section = elfobj_is_rel(o) ? q->section : NULL;
	return true;
}

/* A raw address in the vmlinux: its symbol into q, or false with the result failed. */
static bool prepare_addr(struct symbolizer *s, struct sym_obj *so, struct sym_entry *e, struct sym_query *q)
{
	struct sym_result *r = &e->res;
	uint64_t addr = e->off - (s->has_slide ? s->slide : 0);   /* the running kernel's, in the vmlinux */
	const struct elf_sym *y = elfobj_symbol_at(so->elf, addr);

	q->addr = addr;
	q->section_off = addr;
	r->addr = addr;
	if (!y) {
		set_failure(r, SYM_NO_SYMBOL, strpool_internf(s->pool, "vmlinux does not match: no code at 0x%llx",
							      (unsigned long long)addr));
		return false;
	}
	r->symbol = y->name;
	q->symbol = r->symbol;
	q->hint = obj_hint(so, y);
	q->section = elfobj_section(so->elf, y->shndx)->name;
	return true;
}

/* The object of an entry: vmlinux, or its module; NULL with the result failed. */
static struct sym_obj *entry_obj(struct symbolizer *s, struct sym_entry *e)
{
	struct sym_result *r = &e->res;
	struct sym_obj *o = s->vmlinux;
	const char *err;

	if (e->module && !(o = module_obj(s, e->module))) {
		if (!s->modules_dir)
			set_failure(r, SYM_NO_MODULE, strpool_internf(s->pool, "module %s: no modules directory (--modules DIR)",
								      e->module));
		else
			set_failure(r, SYM_NO_MODULE, strpool_internf(s->pool, "module %s: no %s.ko under %s", e->module,
								      e->module, s->modules_dir));
		note_problem(s, e->module, r->note);
		return NULL;
	}
	if ((err = elfobj_error(o->elf))) {
		set_failure(r, SYM_ERROR, err);
		if (e->module)
			note_problem(s, e->module, err);
		return NULL;
	}
	return o;
}

/* First half of a lookup: everything but the back end.  True if q is to be looked up. */
static bool prepare(struct symbolizer *s, struct sym_entry *e, struct sym_query *q)
{
	struct sym_result *r = &e->res;
	struct sym_obj *o;

	memset(q, 0, sizeof(*q));
	q->res = r;
	r->status = SYM_OK;
	if (!(o = entry_obj(s, e)))
		return false;
	q->obj = o->elf;
	q->state = o->state;
	if (!(e->func ? prepare_func(s, o, e, q) : prepare_addr(s, o, e, q)))
		return false;
	if (!obj_has_dwarf(s, o)) {
		set_name_only(s, r, r->symbol);
		set_failure(r, SYM_NO_DEBUGINFO, strpool_internf(s->pool, "%s has no DWARF: function name only",
								 elfobj_label(o->elf)));
		return false;
	}
	return true;
}

/* The back end's half, for every query of a batch. */
static void lookup_all(struct symbolizer *s, struct sym_query *qs, size_t n)
{
	if (!n)
		return;
	s->ops->lookup(qs, n);
	for (size_t i = 0; i < n; i++) {
		struct sym_result *r = qs[i].res;
		struct sym_loc *c = r->chain;

		/* the back end's chain into the entry's generation */
		if (c) {
			r->chain = r->nchain ? block_chain(&s->gen[s->cur], c, r->nchain) : NULL;
			free(c);
		}
		if (r->status == SYM_OK && !r->nchain)
			set_name_only(s, r, qs[i].symbol);
		if (r->status == SYM_NO_LINE && !r->note)
			r->note = strpool_internf(s->pool, "%s has no line information for %s", elfobj_label(qs[i].obj),
						  qs[i].symbol);
	}
}

void sym_resolve_batch(struct symbolizer *s, const struct sym_request *req, size_t n, const struct sym_result **out)
{
	struct sym_query *qs = xmalloc((n ? n : 1) * sizeof(*qs));
	struct sym_gen *g = cache_turn(s);
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
		e = cache_get(s, g, &rq, &fresh);
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
	struct sym_obj *o = s->vmlinux;

	return o->state ? s->ops->source_root(o->state) : NULL;
}

/* ---------------------------------------------------------------------- */
/* walking every function, struct layouts */

static bool obj_foreach(struct elfobj *o, bool (*fn)(const char *name, const char *module, void *data), void *data)
{
	if (elfobj_error(o))
		return true;
	for (uint32_t i = 0; i < elfobj_nsyms(o); i++) {
		const struct elf_sym *y = elfobj_sym(o, i);

		if (y->exec && y->type == STT_FUNC && !fn(y->name, elfobj_name(o), data))
			return false;
	}
	return true;
}

void sym_foreach_function(struct symbolizer *s, bool (*fn)(const char *name, const char *module, void *data),
			  void *data)
{
	if (!obj_foreach(s->vmlinux->elf, fn, data))
		return;
	modules_index(s);
	for (size_t i = 0; i < s->nmodfiles; i++) {
		struct sym_obj *o = module_opened(s, s->mod_names[i]);
		struct elfobj *tmp = NULL;
		bool go;

		if (o && strcmp(elfobj_path(o->elf), s->mod_paths[i]))
			continue;   /* a second file of a module already open: shadowed */
		go = obj_foreach(o ? o->elf : (tmp = elfobj_open(s->pool, s->mod_names[i], s->mod_paths[i])), fn, data);
		elfobj_close(tmp);
		if (!go)
			return;
	}
}

struct layout *sym_layout(struct symbolizer *s, const char *module)
{
	struct sym_obj *o = module ? module_obj(s, module) : s->vmlinux;

	if (!o || elfobj_error(o->elf))
		return NULL;
	if (!o->layout_tried) {
		o->layout_tried = true;
		o->layout = layout_open(o->elf);
	}
	return o->layout;
}

/* ---------------------------------------------------------------------- */
/* the variable behind an address */

#define SYM_IMAGE_MAP_LO 0xffffffff80000000ull   /* x86-64: the kernel image's mapping (__START_KERNEL_map) */
#define SYM_IMAGE_MAP_HI 0xffffffffc0000000ull   /* ... 1 GiB, KASLR's range */
#define SYM_MODULES_LO 0xffffffffa0000000ull     /* the module area: MODULES_VADDR (lowest: no KASLR) */
#define SYM_MODULES_HI 0xffffffffff000000ull     /* ... MODULES_END */

static struct sym_data *obj_data(struct sym_obj *o)
{
	if (!o->data)
		o->data = sym_data_build(o->elf);
	return o->data;
}

/*
 * The function symbol a frame names in o: the one of its name, or among
 * several (static functions of one name) the one of the printed size; NULL
 * when that does not single one out.
 */
static const struct elf_sym *frame_function(struct elfobj *o, const struct frame *f)
{
	const struct elf_sym *first = NULL, *sized = NULL;
	int n = 0, nsized = 0;

	for (struct elf_sym *y = elfobj_sym_named(o, f->func); y; y = elfobj_sym_next_named(o, y)) {
		uint64_t ksize;

		if (!y->exec || (first && y->addr == first->addr))
			continue;
		if (!first)
			first = y;
		n++;
		if (f->size && elfobj_ksize(o, y, &ksize) && ksize == f->size && (!sized || sized->addr != y->addr)) {
			sized = y;
			nsized++;
		}
	}
	if (n == 1)
		return first;
	return nsized == 1 ? sized : NULL;
}

enum slide_state { SLIDE_NONE, SLIDE_AGREE, SLIDE_DISAGREE };

/* The KASLR slide the report's "[<addr>] func+off" vmlinux text frames show. */
static enum slide_state report_slide(struct symbolizer *s, const struct report *r, uint64_t *slide)
{
	enum slide_state st = SLIDE_NONE;

	for (int k = 0; k < r->nacc; k++) {
		const struct access *a = &r->acc[k];

		for (size_t i = 0; i < a->nframes; i++) {
			const struct frame *f = &a->frames[i];
			const struct elf_sym *y;
			uint64_t d;

			if (f->is_addr || !f->addr || !f->has_off || f->inlined || f->module || !f->func)
				continue;
			y = frame_function(s->vmlinux->elf, f);
			if (!y)
				continue;
			d = f->addr - (y->addr + f->off);
			if (st == SLIDE_AGREE && d != *slide)
				return SLIDE_DISAGREE;
			st = SLIDE_AGREE;
			*slide = d;
		}
	}
	return st;
}

/* The section a vmlinux address is in, by name: .data..ro_after_init is marked by symbols inside another. */
static const char *vmlinux_section_name(struct elfobj *o, long si, uint64_t addr)
{
	const struct elf_sym *lo = elfobj_sym_named(o, "__start_ro_after_init");
	const struct elf_sym *hi = elfobj_sym_named(o, "__end_ro_after_init");

	if (lo && hi && addr >= lo->addr && addr < hi->addr)
		return ".data..ro_after_init";
	return elfobj_section(o, (size_t)si)->name;
}

static void set_variable(struct cls_variable *out, const struct elf_sym *y, uint64_t value, const char *section,
			 const char *object)
{
	out->name = y ? xstrdup(y->name) : NULL;
	out->offset = y ? value - y->value : 0;
	out->size = y ? y->esize : 0;
	out->section = xstrdup(section);
	out->object = xstrdup(object);
	out->percpu = !strcmp(section, ".data..percpu");
}

/* A vmlinux address (less the slide) in its static data. */
static bool vmlinux_variable(struct symbolizer *s, uint64_t addr, struct cls_variable *out)
{
	struct elfobj *o = s->vmlinux->elf;
	long si = sym_data_section_of(o, addr);

	if (si < 0)
		return false;
	set_variable(out, sym_data_at(obj_data(s->vmlinux), (uint32_t)si, addr), addr,
		     vmlinux_section_name(o, si, addr), "vmlinux");
	return true;
}

/* The first module among an access's frames, or NULL. */
static const char *access_module(const struct access *a)
{
	for (size_t i = 0; i < a->nframes; i++)
		if (a->frames[i].module)
			return a->frames[i].module;
	return NULL;
}

/* sym_data_call_operand(), once per (function, offset, size) of a module: reports repeat their stacks. */
static bool obj_call_operand(struct sym_obj *mo, const struct elf_sym *fn, uint64_t ret_off, uint64_t size,
			     uint32_t *shndx, uint64_t *value)
{
	struct sym_operand *k = NULL;

	for (size_t i = 0; i < mo->noperands && !k; i++)
		if (mo->operands[i].fn == fn && mo->operands[i].ret_off == ret_off && mo->operands[i].size == size)
			k = &mo->operands[i];
	if (!k) {
		ALLOC_GROW(mo->operands, mo->noperands, mo->operandscap);
		k = &mo->operands[mo->noperands++];
		memset(k, 0, sizeof(*k));
		k->fn = fn;
		k->ret_off = ret_off;
		k->size = size;
		k->ok = sym_data_call_operand(mo->elf, fn, ret_off, size, &k->shndx, &k->value);
	}
	*shndx = k->shndx;
	*value = k->value;
	return k->ok;
}

/* Module data named by the module's code: the relocated operand of the top frame's KCSAN call. */
static bool module_variable(struct symbolizer *s, const struct access *a, struct cls_variable *out)
{
	const struct frame *f = NULL;
	const struct elf_sym *fn, *y;
	const struct elf_section *sec;
	struct sym_obj *mo;
	uint32_t shndx;
	uint64_t value;

	for (size_t i = 0; i < a->nframes && !f; i++)
		if (!a->frames[i].inlined)
			f = &a->frames[i];
	if (!f || !f->module || !f->has_off || f->unreliable || !f->func)
		return false;
	mo = module_obj(s, f->module);
	if (!mo || elfobj_error(mo->elf) || !(fn = frame_function(mo->elf, f)))
		return false;
	if (!obj_call_operand(mo, fn, f->off, a->has_size ? a->size : 0, &shndx, &value))
		return false;
	sec = elfobj_section(mo->elf, shndx);
	/* the section's load address this implies must be in the module area, aligned as the section asks */
	if (!sec || sec->exec || a->addr - value < SYM_MODULES_LO || a->addr - value >= SYM_MODULES_HI ||
	    (sec->align > 1 && (a->addr - value) % sec->align))
		return false;
	y = sym_data_at(obj_data(mo), shndx, value);
	set_variable(out, y, value, sec->name, elfobj_name(mo->elf));
	out->basis = VARB_MODULE_CODE;
	return true;
}

void sym_variable_of(void *symbolizer, const struct report *r, int acc, struct cls_variable *out)
{
	struct symbolizer *s = symbolizer;
	const struct access *a = &r->acc[acc];
	uint64_t slide = 0;
	enum slide_state st = SLIDE_NONE;
	const char *mod;

	memset(out, 0, sizeof(*out));
	if (!a->has_addr || module_variable(s, a, out))
		return;
	if (s->has_slide) {
		slide = s->slide;
		st = SLIDE_AGREE;
	} else {
		st = report_slide(s, r, &slide);
	}
	if (st != SLIDE_DISAGREE && vmlinux_variable(s, a->addr - slide, out)) {
		out->basis = s->has_slide ? VARB_SLIDE_GIVEN : st == SLIDE_AGREE && slide ? VARB_SLIDE_FRAMES : VARB_IMAGE;
		out->slide = slide;
		return;
	}
	mod = access_module(a);
	if (mod && a->addr >= SYM_MODULES_LO && a->addr < SYM_MODULES_HI) {
		out->basis = VARB_MODULE_UNKNOWN;
		out->object = module_name_fold(mod, strlen(mod));
	} else if (a->addr >= SYM_IMAGE_MAP_LO && a->addr < SYM_IMAGE_MAP_HI && (st == SLIDE_DISAGREE || st == SLIDE_NONE)) {
		uint64_t lo, hi;

		/* in the image's mapping: static memory of a kernel loaded elsewhere than this vmlinux says */
		if (st == SLIDE_DISAGREE || !sym_data_image_range(s->vmlinux->elf, &lo, &hi) || a->addr < lo || a->addr >= hi)
			out->basis = VARB_SLIDE_UNKNOWN;
	}
}
