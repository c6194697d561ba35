/*
 * fuzz_cost.c - a fuzz target for the cost command's ELF reader
 * (cost_elf.c: sections, symbols, relocations; .zst images) and what reads
 * through it (instructions, DWARF lines, the comparison and its JSON): the
 * bytes are an object file opened from memory through a memfd and compared,
 * with every function shown, against fixtures/cost/old.o (when run from the
 * source tree) and against itself.
 *
 * Seeds: the objects of fixtures/cost and fixtures/elf built at fuzz (and check) time.
 * How to run it and replay saved inputs: fuzz.h.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cost.h"
#include "render.h"

#define FUZZ_COST_REF "fixtures/cost/old.o"

static struct ctx fuzz_cost_ctx = { .quiet = 1 };
static struct cost_obj *fuzz_cost_ref;
static FILE *fuzz_cost_null;
static bool fuzz_cost_ready;

static void fuzz_cost_setup(void)
{
	if (fuzz_cost_ready)
		return;
	fuzz_cost_ready = true;
	fuzz_cost_null = fopen("/dev/null", "w");
	if (access(FUZZ_COST_REF, R_OK) == 0)
		fuzz_cost_ref = cost_obj_open(&fuzz_cost_ctx, FUZZ_COST_REF);
}

/* What `cost OLD NEW --function . --json` does once both are open. */
static void fuzz_cost_compare(const struct cost_obj *old, const struct cost_obj *new)
{
	static const char *all[] = { "." };
	struct cost_opts copts = { all, 1 };
	struct cost_result res;
	struct out *o;

	if (old->machine != new->machine || old->elfclass != new->elfclass)
		return;
	if (cost_compare(&fuzz_cost_ctx, old, new, &copts, &res) < 0)
		return;
	o = out_new(fuzz_cost_null, KT_FMT_JSON);
	cost_render(o, &res);
	out_close(o);
	cost_result_release(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-object", 0);
	struct cost_obj *obj = NULL;
	char path[64];

	fuzz_cost_setup();
	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		obj = cost_obj_open(&fuzz_cost_ctx, path);
	}
	if (obj) {
		if (fuzz_cost_ref)
			fuzz_cost_compare(fuzz_cost_ref, obj);
		fuzz_cost_compare(obj, obj);
		cost_obj_free(obj);
	}
	close(fd);
	return 0;
}

static void fuzz_cost_cleanup(void)
{
	cost_obj_free(fuzz_cost_ref);
	if (fuzz_cost_null)
		fclose(fuzz_cost_null);
}

static void fuzz_cleanup(void)
{
	fuzz_cost_cleanup();
}

#include "fuzz.h"
