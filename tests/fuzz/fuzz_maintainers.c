/*
 * fuzz_maintainers.c - a fuzz target for the MAINTAINERS reader
 * (maintainers.h: maint_load's parsing, its F:/X:/N:/K: patterns, the
 * .mailmap) and the router over a few files of a small tree, on arbitrary
 * bytes: what comes before the first NUL byte is the tree's MAINTAINERS,
 * what follows it its .mailmap.
 *
 * The tree is made once per process in a temporary directory: files that
 * F: patterns and directories name, a text for K: keywords, a .yaml
 * binding naming addresses.  Seeds: fixtures/maintainers/MAINTAINERS,
 * tests/fuzz/seeds/maintainers/ (make fuzz also takes the head of the
 * kernel tree's MAINTAINERS when build/kernel-cache has one).  How to run
 * it and replay saved inputs: fuzz.h.
 */
#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "maintainers.h"

/* The tree's files and their text; the router also gets names that are not in it. */
static const char *const fuzz_maint_files[][2] = {
	{ "drivers/foo/foo_core.c", "int frobnicate (void) { return 0; }\n" },
	{ "drivers/foo/sub/deep.c", "/* deep */\n" },
	{ "drivers/foo/legacy/old.c", "" },
	{ "include/linux/foo.h", "#define FOO 1\n" },
	{ "net/sched/sch_test.c", "static int sch_test;\n" },
	{ "Documentation/devicetree/bindings/foo.yaml",
	  "maintainers:\n  - Alice Example <alice@example.org>\n  - \"Q. Eve, Jr.\" <eve@example.org>\n"
	  "  - x (bob@example.org)\n  - {carol@example.org}\n" },
};
#define FUZZ_MAINT_NFILES (sizeof(fuzz_maint_files) / sizeof(fuzz_maint_files[0]))
static const char *const fuzz_maint_extra[] = { "drivers/foo", "Makefile", "a/b/c/d/e.c", "" };
#define FUZZ_MAINT_NEXTRA (sizeof(fuzz_maint_extra) / sizeof(fuzz_maint_extra[0]))

static char *fuzz_maint_root;
static void fuzz_cleanup(void);

static void fuzz_maint_write(const char *rel, const char *text, size_t n)
{
	char *path = xasprintf("%s/%s", fuzz_maint_root, rel);
	FILE *f;

	for (char *s = strchr(path + strlen(fuzz_maint_root) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		mkdir(path, 0755);
		*s = '/';
	}
	f = fopen(path, "wb");
	if (!f || fwrite(text, 1, n, f) != n || fclose(f) != 0)
		kt_die("%s: cannot write", path);
	free(path);
}

static void fuzz_maint_setup(void)
{
	const char *tmp = getenv("TMPDIR");

	if (fuzz_maint_root)
		return;
	fuzz_maint_root = xasprintf("%s/kt-fuzz-maint-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(fuzz_maint_root))
		kt_die("%s: cannot make the tree", fuzz_maint_root);
	for (size_t i = 0; i < FUZZ_MAINT_NFILES; i++)
		fuzz_maint_write(fuzz_maint_files[i][0], fuzz_maint_files[i][1], strlen(fuzz_maint_files[i][1]));
#ifdef FUZZ_LIBFUZZER
	atexit(fuzz_cleanup);   /* libFuzzer ends with exit() */
#endif
}

static void fuzz_maint_route(const struct maint_db *db, const char *file)
{
	struct maint_route rt = MAINT_ROUTE_INIT;

	if (maint_route(db, file, &rt) == 0)
		maint_route_subsystem(&rt);
	maint_route_release(&rt);
	maint_file_skipped(file);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx ctx = { .quiet = 1 };
	const uint8_t *nul = memchr(data, 0, size);
	size_t nmaint = nul ? (size_t)(nul - data) : size;
	const struct maint_db *db;

	fuzz_maint_setup();
	fuzz_maint_write("MAINTAINERS", (const char *)data, nmaint);
	fuzz_maint_write(".mailmap", nul ? (const char *)nul + 1 : "", nul ? size - nmaint - 1 : 0);
	db = maint_load(&ctx, fuzz_maint_root);
	if (db) {
		maint_db_entries(db);
		for (size_t i = 0; i < FUZZ_MAINT_NFILES; i++)
			fuzz_maint_route(db, fuzz_maint_files[i][0]);
		for (size_t i = 0; i < FUZZ_MAINT_NEXTRA; i++)
			fuzz_maint_route(db, fuzz_maint_extra[i]);
	}
	maint_cleanup();
	return 0;
}

static int fuzz_maint_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static void fuzz_cleanup(void)
{
	if (fuzz_maint_root)
		nftw(fuzz_maint_root, fuzz_maint_rm, 8, FTW_DEPTH | FTW_PHYS);
	free(fuzz_maint_root);
	fuzz_maint_root = NULL;
}

#include "fuzz.h"
