/*
 * fuzz_scan.c - a fuzz target for the whole text pipeline (pipeline.h: the
 * reader with its mail decodings, the normalizer, the parser, the classifier,
 * the enrich stage) and the JSON renderer, on arbitrary bytes.
 *
 * Seeds: the logs of fixtures/ and fixtures/formats/, tests/fuzz/seeds/scan/.  How to
 * run it and replay saved inputs: fuzz.h.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "classify.h"
#include "parse.h"
#include "pipeline.h"
#include "render.h"
#include "rules.h"

static struct ctx ctx;
static struct rules *rules;
static struct classifier *cls;
static FILE *devnull;

static void emit(struct report *r, const struct enrichment *e, void *data)
{
	struct out *o = data;

	render_report(o, r, DETAIL_FULL);
	report_free(r);
}

static void setup(void)
{
	if (devnull)
		return;
	ctx.quiet = 1;
	rules = rules_load(&ctx, NULL, 0);
	cls = classifier_new(rules, NULL);
	devnull = fopen("/dev/null", "w");
}

/* Scan data as a file would be scanned, in the given mode. */
static void scan_bytes(const uint8_t *data, size_t size, bool text)
{
	static const struct pipeline_ops ops = { NULL, emit, NULL };
	struct pipeline_config cfg = { .cls = cls, .force_text = text };
	int fd = memfd_create("fuzz", 0);
	char path[64];
	struct pipeline *pl;
	struct out *o;

	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		if (fd >= 0)
			close(fd);
		return;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	o = out_new(devnull, KT_FMT_JSON);
	out_begin_arr(o, NULL);
	pl = pipeline_new(&ctx, &cfg, &ops, o);
	pipeline_run_file(pl, path);
	pipeline_free(pl);
	close(fd);
	out_end_arr(o);
	out_close(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	scan_bytes(data, size, false);
	scan_bytes(data, size, true);
	return 0;
}

static void fuzz_cleanup(void)
{
	classifier_free(cls);
	rules_free(rules);
	parse_cleanup();
	if (devnull)
		fclose(devnull);
}

#include "fuzz.h"
