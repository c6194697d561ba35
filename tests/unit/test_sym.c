/*
 * test_sym.c - the symbolizer on ELF fixtures built here from the C files
 * of fixtures/elf/ (gcc -g -O2), against binutils addr2line: inline chains,
 * static functions of one name told apart by size, a .cold part, a module
 * (ET_REL, also xz-compressed), a vmlinux that does not match, one without
 * DWARF, struct layouts, the report annotator; with both back ends.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layout.h"
#include "parse.h"
#include "elfobj.h"
#include "strpool.h"
#include "sym.h"
#include "sym_backend.h"
#include "unit.h"

static char tmpdir[] = "/tmp/kt-sym.XXXXXX";
static char *fixture, *stripped, *moddir, *modxzdir, *modobj, *fixture4, *fixturez, *modkdir, *modkobj;
static bool built, have_xz;

/* Run a shell command; its standard output, or NULL if it failed. */
static char *run(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	struct sbuf sb = SBUF_INIT;
	char buf[4096];
	size_t n;

	if (!p)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		sbuf_add(&sb, buf, n);
	if (pclose(p) != 0) {
		sbuf_release(&sb);
		return NULL;
	}
	return sbuf_detach(&sb);
}

static int sh(const char *cmd)
{
	return system(cmd);
}

/* Build the fixtures once, in tmpdir; false (and a note) when gcc is missing. */
static bool build(void)
{
	static bool tried;
	char *cmd;
	int rc;

	if (tried)
		return built;
	tried = true;
	if (sh("command -v gcc >/dev/null && command -v addr2line >/dev/null && command -v nm >/dev/null") != 0) {
		UNIT_MISSING("gcc, nm or addr2line");
		return false;
	}
	if (!mkdtemp(tmpdir))
		return false;
	fixture = xasprintf("%s/vmlinux", tmpdir);
	stripped = xasprintf("%s/vmlinux.nodebug", tmpdir);
	moddir = xasprintf("%s/lib/modules/9.8.7-fixture", tmpdir);
	modxzdir = xasprintf("%s/xz", tmpdir);
	modobj = xasprintf("%s/kernel/drivers/fix-mod.ko", moddir);
	fixture4 = xasprintf("%s/vmlinux.dwarf4", tmpdir);
	fixturez = xasprintf("%s/vmlinux.gz", tmpdir);
	modkdir = xasprintf("%s/kmodel", tmpdir);
	modkobj = xasprintf("%s/kmodel/fix-mod.ko", tmpdir);
	/* from the top of the tree, like kbuild: file names relative to DW_AT_comp_dir */
	/* data.c's per-cpu and ro_after_init sections get their kernel names after the link (ld merges .data.*) */
	cmd = xasprintf("set -e; mkdir -p %1$s/lib/modules/9.8.7-fixture/kernel/drivers %1$s/xz/sub %1$s/kmodel; "
		  "gcc -g -O2 -fno-pie -no-pie -o %1$s/vmlinux fixtures/elf/a.c fixtures/elf/b.c "
		  "fixtures/elf/data.c; "
		  "objcopy --rename-section fixpcpu=.data..percpu --rename-section fixrai=.data..ro_after_init "
		  "%1$s/vmlinux; "
		  "gcc -g -O2 -c -o %2$s fixtures/elf/mod.c; "
		  "gcc -g -O2 -mcmodel=kernel -fno-pie -c -o %1$s/kmodel/fix-mod.ko fixtures/elf/mod.c; "
		  "objcopy --strip-debug %1$s/vmlinux %1$s/vmlinux.nodebug; "
		  "gcc -gdwarf-4 -O2 -fno-pie -no-pie -o %1$s/vmlinux.dwarf4 fixtures/elf/a.c fixtures/elf/b.c; "
		  "gcc -g -gz=zlib -O2 -fno-pie -no-pie -o %1$s/vmlinux.gz fixtures/elf/a.c fixtures/elf/b.c",
		  tmpdir, modobj);
	rc = sh(cmd);
	free(cmd);
	if (rc != 0) {
		UNIT_MISSING("a build of fixtures/elf");
		return false;
	}
	if (sh("command -v xz >/dev/null") == 0) {
		cmd = xasprintf("xz -c %s > %s/sub/fix_mod.ko.xz", modobj, modxzdir);
		have_xz = sh(cmd) == 0;
		free(cmd);
	}
	built = true;
	return true;
}

static void cleanup(void)
{
	char *cmd;

	if (built) {
		cmd = xasprintf("rm -rf %s", tmpdir);
		sh(cmd);
		free(cmd);
	}
	free(fixture);
	free(stripped);
	free(moddir);
	free(modxzdir);
	free(modobj);
	free(fixture4);
	free(fixturez);
	free(modkdir);
	free(modkobj);
}

static struct symbolizer *open_object(struct ctx *ctx, const char *vmlinux, enum sym_backend be, const char *modules)
{
	struct sym_options o = { vmlinux, modules, be, false, 0 };

	memset(ctx, 0, sizeof(*ctx));
	ctx->quiet = 1;
	return sym_open(ctx, &o);
}

static struct symbolizer *open_fixture(struct ctx *ctx, enum sym_backend be, const char *modules)
{
	return open_object(ctx, fixture, be, modules);
}

/* ---------------------------------------------------------------------- */
/* the oracle */

struct osym {
	char name[128];
	uint64_t value, size, ksize;
};

/* Functions of an object from nm, with kallsyms' size (to the next symbol). */
static size_t nm_functions(const char *obj, struct osym **out)
{
	char *cmd = xasprintf("nm -n -S --defined-only %s", obj), *txt = run(cmd), *line, *save = NULL;
	struct osym *all = NULL;
	size_t n = 0, cap = 0, nf = 0;

	free(cmd);
	*out = NULL;
	if (!txt)
		return 0;
	for (line = strtok_r(txt, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long v, sz = 0;
		char type, name[128];

		if (sscanf(line, "%llx %llx %c %127s", &v, &sz, &type, name) != 4 &&
		    sscanf(line, "%llx %c %127s", &v, &type, name) != 3)
			continue;
		/* kallsyms' size runs to the next symbol of the text: data (a .ko's at offsets too) is no bound */
		if (type != 't' && type != 'T')
			continue;
		ALLOC_GROW(all, n, cap);
		snprintf(all[n].name, sizeof(all[n].name), "%s", name);
		all[n].value = v;
		all[n].size = (type == 't' || type == 'T') ? sz : 0;
		all[n].ksize = 0;
		n++;
	}
	free(txt);
	for (size_t i = 0; i < n; i++) {
		if (!all[i].size)
			continue;
		for (size_t j = i + 1; j < n; j++)
			if (all[j].value > all[i].value) {
				all[i].ksize = all[j].value - all[i].value;
				break;
			}
		if (!all[i].ksize)
			all[i].ksize = all[i].size;
		all[nf++] = all[i];
	}
	*out = all;
	return nf;
}

struct olevel {
	char func[128];
	char file[512];
	int line;
};

struct ochain {
	struct olevel lv[16];
	int n;
};

/* addr2line -f -i [-j section] on every address, in one run. */
static struct ochain *addr2line_chains(const char *obj, const char *section, const uint64_t *addrs, size_t n)
{
	char *list = xasprintf("%s/addrs", tmpdir), *cmd, *txt, *line, *save = NULL;
	struct ochain *ch = calloc(n ? n : 1, sizeof(*ch));
	FILE *f = fopen(list, "w");
	long k = -1;

	for (size_t i = 0; f && i < n; i++)
		fprintf(f, "0x%llx\n", (unsigned long long)addrs[i]);
	if (f)
		fclose(f);
	cmd = xasprintf("addr2line -a -f -i %s%s -e %s < %s", section ? "-j " : "", section ? section : "", obj, list);
	txt = run(cmd);
	free(cmd);
	free(list);
	if (!txt)
		return ch;
	for (line = strtok_r(txt, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct olevel *l;
		char *colon, *disc;

		if (!strncmp(line, "0x", 2)) {
			k++;
			continue;
		}
		if (k < 0 || (size_t)k >= n || ch[k].n >= 16)
			continue;
		l = &ch[k].lv[ch[k].n];
		snprintf(l->func, sizeof(l->func), "%s", line);
		line = strtok_r(NULL, "\n", &save);
		if (!line)
			break;
		if ((disc = strstr(line, " (discriminator ")))
			*disc = 0;
		colon = strrchr(line, ':');
		l->line = colon ? atoi(colon + 1) : 0;
		if (colon)
			*colon = 0;
		snprintf(l->file, sizeof(l->file), "%s", line);
		ch[k].n++;
	}
	free(txt);
	return ch;
}

static bool same_func(const char *a, const char *b)
{
	char x[128], y[128];

	func_base_name(a, x, sizeof(x));
	func_base_name(b, y, sizeof(y));
	return !strcmp(x, y);
}

/* Does our result say what addr2line says? */
static bool chain_equal(const struct sym_result *r, const struct ochain *o, const char *frame)
{
	bool a2l_known = o->n && strcmp(o->lv[0].file, "??") && o->lv[0].line;

	if (!a2l_known) {
		/* no line: ours says so too */
		if (r->status == SYM_NO_LINE)
			return true;
		fprintf(stderr, "  %s: addr2line has no line, ours: %s\n", frame, sym_status_name(r->status));
		return false;
	}
	if (r->status != SYM_OK || (int)r->nchain != o->n) {
		fprintf(stderr, "  %s: %s, %zu levels; addr2line %d levels\n", frame, sym_status_name(r->status),
			r->nchain, o->n);
		return false;
	}
	for (int i = 0; i < o->n; i++) {
		const struct sym_loc *l = &r->chain[i];

		if (!l->file || strcmp(l->file, o->lv[i].file) || l->line != o->lv[i].line ||
		    !same_func(l->func, o->lv[i].func)) {
			fprintf(stderr, "  %s level %d: %s %s:%d; addr2line %s %s:%d\n", frame, i, l->func,
				l->file ? l->file : "??", l->line, o->lv[i].func, o->lv[i].file, o->lv[i].line);
			return false;
		}
	}
	return true;
}

/*
 * Every byte of every function of obj as a frame (func+off/size), through
 * sym_resolve_batch(), against addr2line at the same address.
 */
static void compare_object(enum sym_backend be, const char *vmlinux, const char *obj, const char *module,
			   const char *modules)
{
	struct osym *fns;
	size_t nf = nm_functions(obj, &fns), n = 0, cap = 0, acap = 0, bad = 0;
	struct sym_request *rq = NULL;
	uint64_t *addrs = NULL;
	const struct sym_result **res;
	struct symbolizer *s;
	struct ochain *oc;
	struct ctx ctx;

	CHECK(nf >= 2);
	for (size_t i = 0; i < nf; i++) {
		for (uint64_t off = 0; off < fns[i].size; off++) {
			ALLOC_GROW(rq, n, cap);
			ALLOC_GROW(addrs, n, acap);
			rq[n] = (struct sym_request){ module, fns[i].name, off, fns[i].ksize, true, false };
			addrs[n] = fns[i].value + off - (off ? 1 : 0);
			n++;
		}
	}
	s = open_object(&ctx, vmlinux, be, modules);
	CHECK(s != NULL);
	if (!s)
		goto out;
	res = calloc(n, sizeof(*res));
	sym_resolve_batch(s, rq, n, res);
	oc = addr2line_chains(obj, module ? ".text" : NULL, addrs, n);
	for (size_t i = 0; i < n; i++) {
		char frame[200];

		snprintf(frame, sizeof(frame), "%s+0x%llx/0x%llx%s", rq[i].func, (unsigned long long)rq[i].off,
			 (unsigned long long)rq[i].size, module ? " [module]" : "");
		CHECK_INT(res[i]->addr, addrs[i]);
		if (!chain_equal(res[i], &oc[i], frame) && ++bad > 5)
			break;
	}
	CHECK_INT(bad, 0);
	free(oc);
	free(res);
	sym_close(s);
out:
	free(rq);
	free(addrs);
	free(fns);
}

/* ---------------------------------------------------------------------- */

static void test_oracle_libdw(void)
{
	if (!build())
		return;
	compare_object(SYM_LIBDW, fixture, fixture, NULL, NULL);
	compare_object(SYM_LIBDW, fixture, modobj, "fix_mod", moddir);
	/* DWARF 4 line tables; compressed debug sections */
	compare_object(SYM_LIBDW, fixture4, fixture4, NULL, NULL);
	compare_object(SYM_LIBDW, fixturez, fixturez, NULL, NULL);
}

static void test_oracle_addr2line(void)
{
	if (!build())
		return;
	compare_object(SYM_ADDR2LINE, fixture, fixture, NULL, NULL);
	compare_object(SYM_ADDR2LINE, fixture, modobj, "fix_mod", moddir);
	compare_object(SYM_ADDR2LINE, fixture4, fixture4, NULL, NULL);
}

/* Size of a function as nm sees it (the first of that name), 0 if none. */
static uint64_t ksize_of(const char *obj, const char *name, int nth)
{
	struct osym *fns;
	size_t nf = nm_functions(obj, &fns);
	uint64_t r = 0;

	for (size_t i = 0; i < nf; i++)
		if (!strcmp(fns[i].name, name) && nth-- == 0) {
			r = fns[i].ksize;
			break;
		}
	free(fns);
	return r;
}

/* test_lookup's second half: frames the vmlinux does not match, and modules. */
static void lookup_others(struct symbolizer *s, uint64_t ct)
{
	const struct sym_result *r;
	char *want;

	/* a vmlinux that does not match */
	r = sym_resolve(s, NULL, "no_such_function", 4, 0x40, true);
	CHECK_INT(r->status, SYM_NO_SYMBOL);
	CHECK_STR(r->note, "vmlinux does not match: no symbol no_such_function");
	r = sym_resolve(s, NULL, "chain_top", ct + 4, ct, true);
	CHECK_INT(r->status, SYM_BAD_OFFSET);
	CHECK(r->note && strstr(r->note, "beyond chain_top"));
	r = sym_resolve(s, NULL, "chain_top", ct + 4, 0, false);
	CHECK_INT(r->status, SYM_BAD_OFFSET);
	/* one symbol of that name, of another size: both sizes said */
	r = sym_resolve(s, NULL, "chain_top", 4, ct + 0x100, true);
	CHECK_INT(r->status, SYM_SIZE_MISMATCH);
	want = xasprintf("vmlinux does not match: chain_top is 0x%llx bytes there, the log says 0x%llx",
			 (unsigned long long)ct, (unsigned long long)(ct + 0x100));
	CHECK_STR(r->note, want);
	free(want);

	/* a module: found under lib/modules/<release>, '-' and '_' alike */
	r = sym_resolve(s, "fix_mod", "fix_work", 0x10, ksize_of(modobj, "fix_work", 0), true);
	CHECK_INT(r->status, SYM_OK);
	CHECK_STR(r->section, ".text");
	CHECK_INT(r->addr, 0xf);
	if (r->status == SYM_OK) {
		CHECK_STR(r->chain[r->nchain - 1].func, "fix_work");
		CHECK(strstr(r->chain[0].file, "mod.c") != NULL);
	}
	r = sym_resolve(s, "no_such_module", "fix_work", 0x10, 0x50, true);
	CHECK_INT(r->status, SYM_NO_MODULE);
	CHECK(r->note && strstr(r->note, "no_such_module"));
}

static void test_lookup(enum sym_backend be)
{
	struct ctx ctx;
	struct symbolizer *s;
	const struct sym_result *r, *r2;
	uint64_t d1 = ksize_of(fixture, "dup", 0), d2 = ksize_of(fixture, "dup", 1), ct = ksize_of(fixture, "chain_top", 0);
	uint64_t hc = ksize_of(fixture, "hot.cold", 0);

	s = open_fixture(&ctx, be, NULL);
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_STR(sym_release(s), "9.8.7-fixture");
	CHECK(sym_has_dwarf(s));
	/* built from the top of the tree: the current directory */
	{
		char cwd[4096];

		CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
		CHECK_STR(sym_source_root(s), cwd);
	}
	/* the modules directory beside the vmlinux: lib/modules/<release> */
	CHECK(sym_modules_dir(s) && strstr(sym_modules_dir(s), "/lib/modules/9.8.7-fixture"));

	/* three levels of inlines: innermost first, the ELF symbol last */
	r = sym_resolve(s, NULL, "chain_top", 9, ct, true);
	CHECK_INT(r->status, SYM_OK);
	CHECK(r->nchain >= 3);
	if (r->nchain >= 3) {
		CHECK_STR(r->chain[0].func, "innermost");
		CHECK_STR(r->chain[1].func, "middle");
		CHECK_STR(r->chain[r->nchain - 1].func, "chain_top");
		CHECK(r->chain[0].file && strstr(r->chain[0].file, "fixtures/elf/a.c"));
		CHECK(r->chain[0].comp_dir != NULL);
		CHECK(r->chain[0].line > 0);
		CHECK_STR(sym_loc_short_file(&r->chain[0]), "fixtures/elf/a.c");
	}
	CHECK(r->note == NULL);
	/* the cache: the same result */
	r2 = sym_resolve(s, NULL, "chain_top", 9, ct, true);
	CHECK(r == r2);

	/* offset 0 is looked up at the address itself, others one byte before */
	r = sym_resolve(s, NULL, "chain_top", 0, ct, true);
	r2 = sym_resolve(s, NULL, "chain_top", 1, ct, true);
	CHECK_INT(r->addr, r2->addr);

	/* two static dup()s: the size picks a.c's or b.c's */
	CHECK(d1 && d2 && d1 != d2);
	r = sym_resolve(s, NULL, "dup", 2, d1, true);
	r2 = sym_resolve(s, NULL, "dup", 2, d2, true);
	CHECK_INT(r->status, SYM_OK);
	CHECK_INT(r2->status, SYM_OK);
	if (r->status == SYM_OK && r2->status == SYM_OK) {
		CHECK(strstr(r->chain[r->nchain - 1].file, "a.c") != NULL);
		CHECK(strstr(r2->chain[r2->nchain - 1].file, "b.c") != NULL);
	}
	r = sym_resolve(s, NULL, "dup", 2, d1 + d2 + 0x100, true);
	CHECK_INT(r->status, SYM_SIZE_MISMATCH);
	CHECK(r->note && strstr(r->note, "vmlinux does not match: no dup of"));
	CHECK(sym_status_mismatch(r->status));
	/* no size: the first of that name */
	r = sym_resolve(s, NULL, "dup", 2, 0, false);
	CHECK_INT(r->status, SYM_OK);

	/* the .cold part: its own symbol, the function's source */
	CHECK(hc != 0);
	r = sym_resolve(s, NULL, "hot.cold", 4, hc, true);
	CHECK_INT(r->status, SYM_OK);
	if (r->status == SYM_OK) {
		CHECK_STR(r->symbol, "hot.cold");
		CHECK_STR(r->chain[r->nchain - 1].func, "hot.cold");
		CHECK(strstr(r->chain[r->nchain - 1].file, "a.c") != NULL);
	}

	lookup_others(s, ct);
	/* a raw address */
	r = sym_resolve_addr(s, 0x1);
	CHECK(r->status != SYM_OK);
	sym_close(s);
	CHECK_INT(ctx.errors, 0);
}

static void test_lookup_libdw(void)
{
	if (build())
		test_lookup(SYM_LIBDW);
}

static void test_lookup_addr2line(void)
{
	if (build())
		test_lookup(SYM_ADDR2LINE);
}

/* n frames the vmlinux does not have, each its own cache entry (offsets from base on) */
static void resolve_fillers(struct symbolizer *s, uint64_t base, size_t n)
{
	struct sym_request rq[256];
	const struct sym_result *res[256];

	for (size_t i = 0; i < n; i += 256) {
		size_t m = n - i < 256 ? n - i : 256;

		for (size_t k = 0; k < m; k++)
			rq[k] = (struct sym_request){ NULL, "no_such_function", base + i + k, 0x40000000, true, false };
		sym_resolve_batch(s, rq, m, res);
		CHECK_INT(res[m - 1]->status, SYM_NO_SYMBOL);
	}
}

/* r is chain_top+9's three levels, as first resolved into want */
static void check_same_chain(const struct sym_result *r, const struct sym_result *want)
{
	CHECK_INT(r->status, SYM_OK);
	CHECK_INT(r->nchain, want->nchain);
	for (size_t i = 0; i < r->nchain && i < want->nchain; i++) {
		CHECK_STR(r->chain[i].func, want->chain[i].func);
		CHECK_STR(r->chain[i].file, want->chain[i].file);
		CHECK_INT(r->chain[i].line, want->chain[i].line);
	}
}

/*
 * The cache keeps the results met lately, a bounded number: a frame met
 * again after many others is the same, copied from the old generation or
 * resolved anew; a result lasts until the next batch, whatever it drops.
 */
static void test_cache_generations(void)
{
	struct ctx ctx;
	struct symbolizer *s;
	const struct sym_result *r;
	struct sym_result want;
	struct sym_loc chain[8];
	uint64_t ct = build() ? ksize_of(fixture, "chain_top", 0) : 0;

	if (!ct || !(s = open_fixture(&ctx, SYM_LIBDW, NULL)))
		return;
	r = sym_resolve(s, NULL, "chain_top", 9, ct, true);
	CHECK_INT(r->status, SYM_OK);
	CHECK(r->nchain >= 3 && r->nchain <= 8);
	if (r->status != SYM_OK || r->nchain < 3 || r->nchain > 8) {
		sym_close(s);
		return;
	}
	want = *r;
	memcpy(chain, r->chain, r->nchain * sizeof(*chain));
	want.chain = chain;
	/* more than a generation after it, then it again, from the old one: twice */
	for (int round = 0; round < 2; round++) {
		resolve_fillers(s, 1 + (uint64_t)round * 100000, 30000);
		check_same_chain(sym_resolve(s, NULL, "chain_top", 9, ct, true), &want);
	}
	/* a result outlives the next batch, even one that starts a new generation */
	resolve_fillers(s, 300000, 20000);
	r = sym_resolve(s, NULL, "chain_top", 9, ct, true);
	resolve_fillers(s, 400000, 256);
	check_same_chain(r, &want);
	/* dropped, looked up anew */
	resolve_fillers(s, 500000, 70000);
	check_same_chain(sym_resolve(s, NULL, "chain_top", 9, ct, true), &want);
	sym_close(s);
	CHECK_INT(ctx.errors, 0);
}

/* .ko.xz, through libdw's own decompression (and a copy for addr2line) */
static void test_compressed_module(void)
{
	for (int be = 0; be < 2; be++) {
		struct ctx ctx;
		struct symbolizer *s;
		const struct sym_result *r;

		if (!build() || !have_xz)
			return;
		s = open_fixture(&ctx, be ? SYM_ADDR2LINE : SYM_LIBDW, modxzdir);
		CHECK(s != NULL);
		if (!s)
			return;
		r = sym_resolve(s, "fix-mod", "fix_work", 0x10, ksize_of(modobj, "fix_work", 0), true);
		CHECK_INT(r->status, SYM_OK);
		if (r->status == SYM_OK)
			CHECK(r->nchain >= 2 && strstr(r->chain[0].file, "mod.c") != NULL);
		sym_close(s);
	}
}

/* No DWARF: function names only, said once. */
static void test_no_dwarf(void)
{
	for (int be = 0; be < 2; be++) {
		struct sym_options o = { stripped, NULL, be ? SYM_ADDR2LINE : SYM_LIBDW, false, 0 };
		struct ctx ctx = { .quiet = 1 };
		struct symbolizer *s;
		const struct sym_result *r;

		if (!build())
			return;
		s = sym_open(&ctx, &o);
		CHECK(s != NULL);
		if (!s)
			return;
		CHECK_INT(ctx.warnings, 1);
		CHECK(!sym_has_dwarf(s));
		r = sym_resolve(s, NULL, "chain_top", 9, ksize_of(fixture, "chain_top", 0), true);
		CHECK_INT(r->status, SYM_NO_DEBUGINFO);
		CHECK_INT(r->nchain, 1);
		if (r->nchain)
			CHECK_STR(r->chain[0].func, "chain_top");
		CHECK(r->note && strstr(r->note, "no DWARF"));
		r = sym_resolve(s, NULL, "dup", 9, ksize_of(fixture, "dup", 1), true);
		CHECK_INT(r->status, SYM_NO_DEBUGINFO);
		CHECK_INT(ctx.warnings, 1);
		sym_close(s);
	}
}

/* sym_open() with its (expected) error kept out of the test's output */
static struct symbolizer *open_quietly(struct ctx *ctx, const struct sym_options *o)
{
	int saved = quiet_stderr();
	struct symbolizer *s = sym_open(ctx, o);

	restore_stderr(saved);
	return s;
}

static void test_open_errors(void)
{
	struct ctx ctx = { .quiet = 1 };
	struct sym_options o = { "/nonexistent/vmlinux", NULL, SYM_LIBDW, false, 0 };

	CHECK(open_quietly(&ctx, &o) == NULL);
	CHECK_INT(ctx.worst_exit, KT_EXIT_SYMBOLS);
	if (!build())
		return;
	/* a module is no vmlinux */
	memset(&ctx, 0, sizeof(ctx));
	o.vmlinux = modobj;
	CHECK(open_quietly(&ctx, &o) == NULL);
	CHECK_INT(ctx.worst_exit, KT_EXIT_SYMBOLS);
	/* a text file is no ELF */
	memset(&ctx, 0, sizeof(ctx));
	o.vmlinux = "fixtures/elf/a.c";
	CHECK(open_quietly(&ctx, &o) == NULL);
	CHECK_INT(ctx.worst_exit, KT_EXIT_SYMBOLS);
	/* a modules directory that is none */
	memset(&ctx, 0, sizeof(ctx));
	o.vmlinux = fixture;
	o.modules_dir = "/nonexistent/modules";
	CHECK(open_quietly(&ctx, &o) == NULL);
	CHECK_INT(ctx.worst_exit, KT_EXIT_SYMBOLS);
}

static void test_struct_member(void)
{
	struct ctx ctx;
	struct symbolizer *s;
	uint64_t off, size, stride;

	if (!build() || !(s = open_fixture(&ctx, SYM_LIBDW, NULL)))
		return;
	CHECK_INT(layout_member(sym_layout(s, NULL), "vring_used", "idx", &off, &size, &stride), 1);
	CHECK_INT(off, 2);
	CHECK_INT(size, 2);
	CHECK_INT(stride, 0);
	CHECK_INT(layout_member(sym_layout(s, NULL), "struct vring_used", "flags", &off, &size, &stride), 1);
	CHECK_INT(off, 0);
	CHECK_INT(layout_member(sym_layout(s, NULL), "vring_used", "ring[].len", &off, &size, &stride), 1);
	CHECK_INT(off, 8);
	CHECK_INT(size, 4);
	CHECK_INT(stride, 8);
	CHECK_INT(layout_member(sym_layout(s, NULL), "vring_used", "ring[2].id", &off, &size, &stride), 1);
	CHECK_INT(off, 4 + 16);
	/* a typedef'd anonymous struct, an anonymous union, a 2-d array, nesting */
	CHECK_INT(layout_member(sym_layout(s, NULL), "fixture_ring_t", "word", &off, &size, &stride), 1);
	CHECK_INT(off, 8);
	CHECK_INT(size, 4);
	CHECK_INT(layout_member(sym_layout(s, NULL), "fixture_ring_t", "bytes[3]", &off, &size, &stride), 1);
	CHECK_INT(off, 11);
	CHECK_INT(size, 1);
	CHECK_INT(layout_member(sym_layout(s, NULL), "fixture_ring_t", "pairs[]", &off, &size, &stride), 1);
	CHECK_INT(off, 12);
	CHECK_INT(stride, 16);
	CHECK_INT(size, 16);
	CHECK_INT(layout_member(sym_layout(s, NULL), "fixture_holder", "ring.pairs[1][1].len", &off, &size, &stride), 1);
	CHECK_INT(off, 8 + 12 + 16 + 8 + 4);
	CHECK_INT(size, 4);
	CHECK_INT(stride, 8);
	CHECK_INT(layout_member(sym_layout(s, NULL), "fixture_holder", "ring.pairs[1].len", &off, &size, &stride), 0);
	CHECK_INT(layout_member(sym_layout(s, NULL), "fixture_holder", "used", &off, &size, &stride), 1);
	CHECK_INT(size, sizeof(void *));
	CHECK_INT(layout_member(sym_layout(s, NULL), "vring_used", "nosuch", &off, &size, &stride), 0);
	CHECK_INT(layout_member(sym_layout(s, NULL), "vring_used", "idx[]", &off, &size, &stride), 0);
	CHECK_INT(layout_member(sym_layout(s, NULL), "no_such_struct", "idx", &off, &size, &stride), -1);
	/* a module's types */
	CHECK_INT(layout_member(sym_layout(s, "fix_mod"), "fix_state", "last", &off, &size, &stride), 1);
	CHECK_INT(off, 4);
	sym_close(s);
}

struct count {
	int dup, hot_cold, fix_work, total;
};

static bool count_fn(const char *name, const char *module, void *data)
{
	struct count *c = data;

	c->total++;
	c->dup += !strcmp(name, "dup") && !module;
	c->hot_cold += !strcmp(name, "hot.cold");
	c->fix_work += !strcmp(name, "fix_work") && module && !strcmp(module, "fix_mod");
	return true;
}

static bool stop_fn(const char *name, const char *module, void *data)
{
	(void)name;
	(void)module;
	return ++*(int *)data < 3;
}

static void test_foreach_function(void)
{
	struct ctx ctx;
	struct symbolizer *s;
	struct count c = { 0 };
	int n = 0;

	if (!build() || !(s = open_fixture(&ctx, SYM_LIBDW, NULL)))
		return;
	sym_foreach_function(s, count_fn, &c);
	CHECK_INT(c.dup, 2);
	CHECK_INT(c.hot_cold, 1);
	CHECK_INT(c.fix_work, 1);
	CHECK(c.total > 8);
	sym_foreach_function(s, stop_fn, &n);
	CHECK_INT(n, 3);
	sym_close(s);
}

static void add_frame(struct access *a, const char *text)
{
	struct frame f;

	CHECK(parse_frame_text(text, strlen(text), true, &f));
	*access_add_frame(a) = f;
}

static void test_annotate(void)
{
	struct ctx ctx;
	struct symbolizer *s;
	struct report *r;
	struct access *a;
	char *t;
	uint64_t ct = ksize_of(fixture, "chain_top", 0);

	if (!build() || !(s = open_fixture(&ctx, SYM_LIBDW, NULL)))
		return;
	r = report_new();
	r->nacc = 1;
	a = &r->acc[0];
	/* a syzbot-symbolized frame with an inline level the log gave */
	add_frame(a, "given_inline kernel/x.h:3 [inline]");
	t = xasprintf("chain_top+0x9/0x%llx kernel/x.c:12", (unsigned long long)ct);
	add_frame(a, t);
	free(t);
	add_frame(a, "no_such_function+0x4/0x40");
	add_frame(a, "fix_work+0x10/0x50 [nosuchmod]");
	t = xasprintf("dup+0x2/0x%llx", (unsigned long long)ksize_of(fixture, "dup", 1));
	add_frame(a, t);
	free(t);
	sym_annotate_report(s, r);
	/* innermost, middle, outer inlined; chain_top; the rest */
	CHECK(a->nframes >= 7);
	if (a->nframes >= 7) {
		CHECK_STR(a->frames[0].func, "innermost");
		CHECK(a->frames[0].inlined && a->frames[0].symbolized && !a->frames[0].given);
		CHECK_STR(a->frames[0].file, "fixtures/elf/a.c");
		CHECK_STR(a->frames[1].func, "middle");
		/* the frame that came with a location: replaced by DWARF's */
		for (size_t i = 0; i < a->nframes; i++) {
			struct frame *f = &a->frames[i];

			if (!strcmp(f->func, "chain_top")) {
				CHECK(!f->inlined && f->symbolized && !f->given);
				CHECK_STR(f->file, "fixtures/elf/a.c");
				CHECK(f->line > 0);
			}
			CHECK(strcmp(f->func, "given_inline") != 0);
			if (!strcmp(f->func, "no_such_function")) {
				CHECK(!f->symbolized && !f->file);
				CHECK_STR(f->sym_note, "vmlinux does not match: no symbol no_such_function");
			}
			if (!strcmp(f->func, "fix_work"))
				CHECK(f->sym_note && strstr(f->sym_note, "nosuchmod"));
			if (!strcmp(f->func, "dup") && !f->inlined)
				CHECK(f->file && strstr(f->file, "b.c"));
		}
	}
	report_free(r);
	sym_close(s);
}

struct problems {
	int n;
	char *module, *problem;
};

static void count_problem(const char *module, const char *problem, void *data)
{
	struct problems *p = data;

	p->n++;
	free(p->module);
	free(p->problem);
	p->module = xstrdup(module);
	p->problem = xstrdup(problem);
}

/* Trouble with a module is kept, once per module, for the command to say: nothing is printed. */
static void test_module_problems(void)
{
	struct problems p = { 0 };
	struct ctx ctx;
	struct symbolizer *s;
	const struct sym_result *r;

	if (!build())
		return;
	s = open_fixture(&ctx, SYM_LIBDW, NULL);
	CHECK(s != NULL);
	if (!s)
		return;
	sym_drain_problems(s, count_problem, &p);
	CHECK_INT(p.n, 0);
	r = sym_resolve(s, "nosuchmod", "fix_work", 0x10, 0x40, true);
	CHECK_INT(r->status, SYM_NO_MODULE);
	r = sym_resolve(s, "nosuchmod", "fix_work", 0x14, 0x40, true);
	CHECK_INT(r->status, SYM_NO_MODULE);
	r = sym_resolve(s, "fix_mod", "fix_work", 0x10, ksize_of(modobj, "fix_work", 0), true);
	CHECK_INT(r->status, SYM_OK);
	sym_drain_problems(s, count_problem, &p);
	CHECK_INT(p.n, 1);
	CHECK_STR(p.module, "nosuchmod");
	CHECK(p.problem && strstr(p.problem, "module nosuchmod: no nosuchmod.ko under "));
	/* said once: neither a second drain nor a new frame of the module brings it back */
	r = sym_resolve(s, "nosuchmod", "other", 0x1, 0x40, true);
	sym_drain_problems(s, count_problem, &p);
	CHECK_INT(p.n, 1);
	CHECK_INT(ctx.warnings, 0);
	free(p.module);
	free(p.problem);
	sym_close(s);
}

/* What sym_open() says on stderr about a vmlinux (and its modules directory); *sp the symbolizer or NULL. */
static char *open_said(struct ctx *ctx, const char *vmlinux, const char *modules, struct symbolizer **sp)
{
	struct sym_options o = { vmlinux, modules, SYM_LIBDW, false, 0 };
	char *path = xasprintf("%s/stderr", tmpdir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), saved;
	struct sbuf sb = SBUF_INIT;
	struct symbolizer *s;
	FILE *f;

	memset(ctx, 0, sizeof(*ctx));
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	close(fd);
	s = sym_open(ctx, &o);
	restore_stderr(saved);
	if ((f = fopen(path, "r"))) {
		sbuf_read_file(&sb, f);
		fclose(f);
	}
	free(path);
	if (sp)
		*sp = s;
	else
		sym_close(s);
	return sbuf_detach(&sb);
}

/* A copy of the fixture vmlinux, broken by the shell commands edit ("%1$s" is the copy); its path. */
static char *broken_copy(const char *name, const char *edit)
{
	char *path = xasprintf("%s/%s", tmpdir, name), *e = xasprintf(edit, path);
	char *cmd = xasprintf("cp %s %s && %s", fixture, path, e);

	CHECK_INT(sh(cmd), 0);
	free(cmd);
	free(e);
	return path;
}

/* Objects for another machine are refused at once, with one line that says which. */
static void test_wrong_machine(void)
{
	static const struct { const char *name, *edit, *said; } cases[] = {
		{ "arm64", "printf '\\267\\000' | dd of=%1$s bs=1 seek=18 conv=notrunc status=none",
		  "an ELF for aarch64 (64-bit), not for x86-64" },
		{ "i386", "printf '\\001' | dd of=%1$s bs=1 seek=4 conv=notrunc status=none && "
			  "printf '\\003\\000' | dd of=%1$s bs=1 seek=18 conv=notrunc status=none",
		  "an ELF for i386 (32-bit), not for x86-64" },
		{ "mips64be", "printf '\\002' | dd of=%1$s bs=1 seek=5 conv=notrunc status=none && "
			      "printf '\\000\\010' | dd of=%1$s bs=1 seek=18 conv=notrunc status=none",
		  "an ELF for big-endian mips (64-bit), not for x86-64" },
	};

	if (!build())
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = broken_copy(cases[i].name, cases[i].edit);
		struct ctx ctx;
		char *said = open_said(&ctx, path, NULL, NULL);

		CHECK_INT(ctx.worst_exit, KT_EXIT_SYMBOLS);
		CHECK(strstr(said, cases[i].said) != NULL);
		CHECK(strchr(said, '\n') == said + strlen(said) - 1);
		free(said);
		free(path);
	}
}

/* A file cut short says so, with where it ends and where it should; so does a module cut short. */
static void test_truncated(void)
{
	char *path, *said, *want, *cmd, *mods;
	struct ctx ctx;
	struct symbolizer *s;
	struct problems p = { 0 };
	struct stat st;
	const struct sym_result *r;

	if (!build() || stat(fixture, &st) != 0)
		return;
	path = broken_copy("vmlinux.cut", "truncate -s 12000 %1$s");
	said = open_said(&ctx, path, NULL, NULL);
	want = xasprintf("%s: truncated at byte 12000 of %lld\n", path, (long long)st.st_size);
	CHECK_INT(ctx.worst_exit, KT_EXIT_SYMBOLS);
	CHECK(strstr(said, want) != NULL);
	free(said);
	free(want);
	/* a module: kept for the command to say, once */
	mods = xasprintf("%s/cutmods", tmpdir);
	cmd = xasprintf("mkdir -p %1$s && cp %2$s %1$s/fix_mod.ko && truncate -s 3000 %1$s/fix_mod.ko", mods, modobj);
	CHECK_INT(sh(cmd), 0);
	said = open_said(&ctx, fixture, mods, &s);
	CHECK(s != NULL);
	if (s) {
		r = sym_resolve(s, "fix_mod", "fix_work", 0x10, 0x40, true);
		CHECK_INT(r->status, SYM_ERROR);
		sym_drain_problems(s, count_problem, &p);
		CHECK_INT(p.n, 1);
		CHECK(p.problem && strstr(p.problem, "fix_mod.ko: truncated at byte 3000 of "));
		sym_close(s);
	}
	free(p.module);
	free(p.problem);
	free(said);
	free(cmd);
	free(mods);
	free(path);
}

/* DWARF whose line table is empty: one warning when the vmlinux is opened. */
static void test_empty_lines(void)
{
	char *path, *said;
	struct ctx ctx;

	if (!build())
		return;
	path = broken_copy("vmlinux.nolines", ": >%1$s.empty && objcopy --update-section .debug_line=%1$s.empty %1$s");
	said = open_said(&ctx, path, NULL, NULL);
	CHECK_INT(ctx.worst_exit, 0);
	CHECK_INT(ctx.warnings, 1);
	CHECK(strstr(said, ".debug_line is empty or missing") != NULL);
	free(said);
	/* the whole fixture: not a word */
	said = open_said(&ctx, fixture, NULL, NULL);
	CHECK_INT(ctx.warnings, 0);
	CHECK_STR(said, "");
	free(said);
	free(path);
}

/* The DIE reader of sym_die.c finds the same functions, inline trees and ranges as libdw's walk. */
static void crosscheck_one(const char *path, bool must_read)
{
	struct strpool *pool = strpool_new();
	struct elfobj *o = elfobj_open(pool, NULL, path);
	struct sym_check_counts n;
	char *why;

	CHECK(elfobj_error(o) == NULL);
	why = sym_dwarf_crosscheck(o, pool, &n);
	if (why)
		fprintf(stderr, "%s: %s\n", path, why);
	CHECK(why == NULL);
	CHECK(n.units > 0 && n.functions > 0);
	if (must_read)
		CHECK_INT((long long)n.own, (long long)n.units);
	if (getenv("KT_CROSSCHECK_VERBOSE"))
		fprintf(stderr, "%s: %zu units (%zu read here), %zu functions, %zu inline nodes\n", path, n.units,
			n.own, n.functions, n.nodes);
	free(why);
	elfobj_close(o);
	strpool_free(pool);
}

static void test_die_reader(void)
{
	const char *k = getenv("KT_CROSSCHECK_VMLINUX");

	/* objects named by the kernel test (tests/kernel.sh), separated by ':' */
	while (k && *k) {
		const char *c = strchr(k, ':');
		char *path = c ? xstrndup(k, (size_t)(c - k)) : xstrdup(k);

		crosscheck_one(path, false);
		free(path);
		k = c ? c + 1 : NULL;
	}
	if (!build())
		return;
	crosscheck_one(fixture, true);
	crosscheck_one(fixture4, true);
	crosscheck_one(fixturez, true);
	crosscheck_one(modobj, true);
}

/* ---------------------------------------------------------------------- */
/* the variable behind an address */

/* A symbol's value from nm (a vmlinux address, a .ko's offset in its section), or 0. */
static uint64_t nm_value(const char *obj, const char *name)
{
	char *cmd = xasprintf("nm --defined-only %s | awk '$3 == \"%s\" { print $1 }'", obj, name), *txt = run(cmd);
	uint64_t v = txt ? strtoull(txt, NULL, 16) : 0;

	free(cmd);
	free(txt);
	return v;
}

/* A one-access report reading size bytes at addr, with the given frames. */
static void var_report(struct report *r, uint64_t addr, uint64_t size, const char *const *frames)
{
	report_init(r);
	r->nacc = 1;
	r->unknown_origin = true;
	r->acc[0].has_addr = true;
	r->acc[0].addr = addr;
	r->acc[0].has_size = true;
	r->acc[0].size = size;
	for (int i = 0; frames && frames[i]; i++)
		add_frame(&r->acc[0], frames[i]);
}

/* What sym_variable_of() says of addr under frames. */
static void var_of(struct symbolizer *s, uint64_t addr, const char *const *frames, struct cls_variable *v)
{
	struct report r;

	var_report(&r, addr, 8, frames);
	sym_variable_of(s, &r, 0, v);
	report_release(&r);
}

#define CHECK_VAR(v, name_, off_, size_, sec_, obj_, basis_) do { \
	CHECK_STR((v)->name, name_); \
	CHECK_INT((v)->offset, off_); \
	CHECK_INT((v)->size, size_); \
	CHECK_STR((v)->section, sec_); \
	CHECK_STR((v)->object, obj_); \
	CHECK_INT((v)->basis, basis_); \
} while (0)

/* vmlinux static data at its own addresses: .data, .bss (a local too), .rodata, per-cpu, ro_after_init. */
static void variables_static(struct symbolizer *s)
{
	struct cls_variable v;

	var_of(s, nm_value(fixture, "fixture_mask") + 8, NULL, &v);
	CHECK_VAR(&v, "fixture_mask", 8, 32, ".bss", "vmlinux", VARB_IMAGE);
	CHECK(!v.percpu);
	cls_variable_release(&v);
	var_of(s, nm_value(fixture, "fixture_counter"), NULL, &v);
	CHECK_VAR(&v, "fixture_counter", 0, 4, ".data", "vmlinux", VARB_IMAGE);
	cls_variable_release(&v);
	var_of(s, nm_value(fixture, "fixture_scratch") + 63, NULL, &v);
	CHECK_VAR(&v, "fixture_scratch", 63, 64, ".bss", "vmlinux", VARB_IMAGE);
	cls_variable_release(&v);
	var_of(s, nm_value(fixture, "fixture_table") + 3, NULL, &v);
	CHECK_VAR(&v, "fixture_table", 3, 40, ".rodata", "vmlinux", VARB_IMAGE);
	cls_variable_release(&v);
	var_of(s, nm_value(fixture, "fixture_percpu_stat"), NULL, &v);
	CHECK_VAR(&v, "fixture_percpu_stat", 0, 8, ".data..percpu", "vmlinux", VARB_IMAGE);
	CHECK(v.percpu);
	cls_variable_release(&v);
	var_of(s, nm_value(fixture, "fixture_rai"), NULL, &v);
	CHECK_VAR(&v, "fixture_rai", 0, 4, ".data..ro_after_init", "vmlinux", VARB_IMAGE);
	cls_variable_release(&v);
	/* code is no variable; heap, vmalloc and device memory are none of the image's */
	var_of(s, nm_value(fixture, "fixture_data_use") + 4, NULL, &v);
	CHECK_INT(v.basis, VARB_NONE);
	CHECK(v.name == NULL);
	var_of(s, 0xffff888003a1c000ull, NULL, &v);
	CHECK_INT(v.basis, VARB_NONE);
	/* in the kernel image's mapping but not this image's: loaded elsewhere, by a slide the report does not show */
	var_of(s, 0xffffffff81ff1990ull, NULL, &v);
	CHECK_INT(v.basis, VARB_SLIDE_UNKNOWN);
	CHECK(v.name == NULL && v.object == NULL);
	/* the first lookups scan the symbols, later ones search them sorted: the same answers */
	for (int i = 0; i < 40; i++) {
		var_of(s, nm_value(fixture, i & 1 ? "fixture_scratch" : "fixture_mask") + 5, NULL, &v);
		CHECK_STR(v.name, i & 1 ? "fixture_scratch" : "fixture_mask");
		CHECK_INT(v.offset, 5);
		cls_variable_release(&v);
	}
}

/* Text frames that print their address: the slide they agree on, or none when they disagree. */
static void variables_slide(struct symbolizer *s)
{
	const uint64_t slide = 0xffffffff80000000ull;
	uint64_t fn = nm_value(fixture, "fixture_data_use"), ks = ksize_of(fixture, "fixture_data_use", 0);
	uint64_t top = nm_value(fixture, "chain_top"), kt = ksize_of(fixture, "chain_top", 0);
	char f1[128], f2[128], bad[128];
	const char *agree[] = { f1, f2, NULL }, *disagree[] = { f1, bad, NULL };
	struct cls_variable v;

	snprintf(f1, sizeof(f1), "[<%016llx>] fixture_data_use+0x10/0x%llx", (unsigned long long)(fn + 0x10 + slide),
		 (unsigned long long)ks);
	snprintf(f2, sizeof(f2), "[<%016llx>] chain_top+0x4/0x%llx", (unsigned long long)(top + 4 + slide),
		 (unsigned long long)kt);
	snprintf(bad, sizeof(bad), "[<%016llx>] chain_top+0x4/0x%llx", (unsigned long long)(top + 4 + slide + 0x200000),
		 (unsigned long long)kt);
	var_of(s, nm_value(fixture, "fixture_mask") + slide, agree, &v);
	CHECK_VAR(&v, "fixture_mask", 0, 32, ".bss", "vmlinux", VARB_SLIDE_FRAMES);
	CHECK(v.slide == slide);
	cls_variable_release(&v);
	var_of(s, nm_value(fixture, "fixture_mask") + slide, disagree, &v);
	CHECK_INT(v.basis, VARB_SLIDE_UNKNOWN);
	CHECK(v.name == NULL);
	/* frames at the image's own addresses: no slide */
	snprintf(f1, sizeof(f1), "[<%016llx>] fixture_data_use+0x10/0x%llx", (unsigned long long)(fn + 0x10),
		 (unsigned long long)ks);
	agree[1] = NULL;
	var_of(s, nm_value(fixture, "fixture_counter"), agree, &v);
	CHECK_VAR(&v, "fixture_counter", 0, 4, ".data", "vmlinux", VARB_IMAGE);
	cls_variable_release(&v);
}

/*
 * A module's variable, from its code: of all the offsets into a function
 * that reads one through __tsan_read8, only the return address of that
 * call names it; a loop's register names none.
 */
static void variables_module(struct symbolizer *s, const char *obj, const char *func, const char *var,
			     uint64_t var_off, const char *section)
{
	uint64_t ks = ksize_of(obj, func, 0), base = 0xffffffffc0020000ull;
	uint64_t addr = base + nm_value(obj, var) + var_off;
	int named = 0;

	for (uint64_t off = 1; off <= ks; off++) {
		char text[128];
		const char *frames[] = { text, "fix_entry+0x8/0x40 [fix_mod]", NULL };
		struct cls_variable v;

		snprintf(text, sizeof(text), "%s+0x%llx/0x%llx [fix_mod]", func, (unsigned long long)off,
			 (unsigned long long)ks);
		var_of(s, addr, frames, &v);
		if (v.basis == VARB_MODULE_CODE) {
			named++;
			CHECK_VAR(&v, var, var_off, var ? 8 * (strcmp(var, "fix_mod_table") ? 1 : 4) : 0, section, "fix_mod",
				  VARB_MODULE_CODE);
		} else {
			CHECK_INT(v.basis, VARB_MODULE_UNKNOWN);
			CHECK_STR(v.object, "fix_mod");
		}
		cls_variable_release(&v);
	}
	CHECK_INT(named, var ? 1 : 0);
}

static void test_variables(void)
{
	struct ctx ctx;
	struct symbolizer *s;
	struct sym_options o = { 0 };
	struct cls_variable v;

	if (!build() || !(s = open_fixture(&ctx, SYM_LIBDW, moddir)))
		return;
	variables_static(s);
	variables_slide(s);
	/* gcc's default (PIE): lea fix_mod_table+16(%rip),%rdi */
	variables_module(s, modobj, "fix_mod_read", "fix_mod_table", 16, ".data");
	variables_module(s, modobj, "fix_mod_count_read", "fix_mod_count", 0, ".bss");
	variables_module(s, modobj, "fix_mod_sum", NULL, 0, NULL);
	sym_close(s);
	/* the kernel's code model: mov $fix_mod_table+16,%rdi */
	if ((s = open_fixture(&ctx, SYM_LIBDW, modkdir))) {
		variables_module(s, modkobj, "fix_mod_read", "fix_mod_table", 16, ".data");
		variables_module(s, modkobj, "fix_mod_count_read", "fix_mod_count", 0, ".bss");
		sym_close(s);
	}
	/* a slide given: the address less it */
	o.vmlinux = fixture;
	o.has_kaslr_offset = true;
	o.kaslr_offset = 0x1e000000;
	memset(&ctx, 0, sizeof(ctx));
	ctx.quiet = 1;
	if ((s = sym_open(&ctx, &o))) {
		var_of(s, nm_value(fixture, "fixture_table") + 0x1e000000 + 1, NULL, &v);
		CHECK_VAR(&v, "fixture_table", 1, 40, ".rodata", "vmlinux", VARB_SLIDE_GIVEN);
		CHECK(v.slide == 0x1e000000);
		cls_variable_release(&v);
		sym_close(s);
	}
}

static void test_cleanup(void)
{
	cleanup();
	parse_cleanup();
}

UNIT_MAIN(TEST(test_oracle_libdw), TEST(test_oracle_addr2line), TEST(test_lookup_libdw),
	  TEST(test_lookup_addr2line), TEST(test_cache_generations), TEST(test_compressed_module), TEST(test_no_dwarf), TEST(test_open_errors),
	  TEST(test_struct_member), TEST(test_foreach_function), TEST(test_annotate), TEST(test_module_problems),
	  TEST(test_wrong_machine), TEST(test_truncated), TEST(test_empty_lines), TEST(test_die_reader),
	  TEST(test_variables), TEST(test_cleanup))
