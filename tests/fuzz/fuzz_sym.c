/*
 * fuzz_sym.c - a fuzz target for the ELF/DWARF reader behind the
 * symbolizer (sym.h, elfobj.h, layout.h): the bytes are an object file (a
 * vmlinux or a module) opened from memory through a memfd; a few frames are
 * symbolized and struct layouts read, as `symbolize`, `scan --vmlinux` and
 * `rules check` do.
 *
 * Seeds: fixtures/elf built at fuzz (and check) time, never committed:
 * the "vmlinux" (a.c b.c) and the "module" (mod.c).  How to run it and
 * replay saved inputs: fuzz.h.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elfobj.h"
#include "layout.h"
#include "strpool.h"
#include "sym.h"

/* Frames of the fixtures, good and bad: func, off, size, has_size. */
static const struct sym_request fuzz_sym_frames[] = {
	{ NULL, "hot", 0x10, 0x60, true, false },
	{ NULL, "chain_top", 0x8, 0x40, true, false },
	{ NULL, "report_cold", 0x1, 0, false, true },
	{ NULL, "dup", 0x4, 0x10, true, false },
	{ NULL, "main", 0x1000000, 0, false, false },
	{ NULL, "linux_banner", 0x0, 0x3a, true, true },
	{ "fix_mod", "fix_work", 0x4, 0x20, true, false },
	{ NULL, NULL, 0x401136, 0, false, false },
};
#define NFRAMES (sizeof(fuzz_sym_frames) / sizeof(fuzz_sym_frames[0]))

/* Struct member paths of the fixtures, and some that are not there. */
static const char *const fuzz_sym_members[][2] = {
	{ "vring_used", "idx" },       { "vring_used", "ring[].len" },    { "fixture_holder", "ring.pairs[2][1].id" },
	{ "fixture_holder", "ring.word" }, { "fix_state", "last" },  { "vring_used", "ring[99999999999999999999]" },
	{ "nope", "x" },               { "fixture_holder", "used.idx" },
};
#define NMEMBERS (sizeof(fuzz_sym_members) / sizeof(fuzz_sym_members[0]))

static void fuzz_sym_layout(struct layout *l)
{
	uint64_t off, size, stride;

	for (size_t i = 0; i < NMEMBERS; i++)
		layout_member(l, fuzz_sym_members[i][0], fuzz_sym_members[i][1], &off, &size, &stride);
}

struct fuzz_sym_names {
	char *name[4];
	int n;
};

static bool fuzz_sym_collect(const char *name, const char *module, void *data)
{
	struct fuzz_sym_names *ns = data;

	ns->name[ns->n++] = xstrdup(name);
	return ns->n < 4;
}

/* The input as a vmlinux: the symbolizer front. */
static void fuzz_sym_front(const char *path)
{
	struct ctx ctx = { .quiet = 1 };
	struct sym_options opt = { .vmlinux = path, .backend = SYM_LIBDW };
	const struct sym_result *res[NFRAMES];
	struct fuzz_sym_names ns = { .n = 0 };
	struct symbolizer *s = sym_open(&ctx, &opt);

	if (!s)
		return;
	sym_release(s);
	sym_source_root(s);
	sym_resolve_batch(s, fuzz_sym_frames, NFRAMES, res);
	sym_foreach_function(s, fuzz_sym_collect, &ns);
	for (int i = 0; i < ns.n; i++) {
		sym_resolve(s, NULL, ns.name[i], 1, 0, false);
		free(ns.name[i]);
	}
	fuzz_sym_layout(sym_layout(s, NULL));
	sym_close(s);
}

/* The input as a module: the object reader and the layouts directly. */
static void fuzz_sym_object(const char *path)
{
	struct strpool *pool = strpool_new();
	struct elfobj *o = elfobj_open(pool, "fix_mod", path);
	struct elf_sym *y;
	uint64_t ksize;
	size_t avail;

	if (!elfobj_error(o)) {
		for (uint32_t i = 0; i < elfobj_nsyms(o) && i < 64; i++) {
			y = elfobj_sym(o, i);
			elfobj_ksize(o, y, &ksize);
			elfobj_symbol_at(o, y->addr);
			elfobj_symbol_data(o, y, &avail);
		}
		for (y = elfobj_sym_named(o, "fix_work"); y; y = elfobj_sym_next_named(o, y))
			elfobj_section_at(o, y->addr);
		if (elfobj_dwarf(o, &(Dwarf_Addr){ 0 })) {
			struct layout *l = layout_open(o);

			fuzz_sym_layout(l);
			layout_close(l);
		}
	}
	elfobj_close(o);
	strpool_free(pool);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-vmlinux", 0);
	char path[64];

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		fuzz_sym_front(path);
		fuzz_sym_object(path);
	}
	close(fd);
	return 0;
}

static void fuzz_cleanup(void)
{
}

#include "fuzz.h"
