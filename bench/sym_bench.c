/*
 * sym_bench.c - the symbolizer's benchmark driver (make build/bench/sym_bench,
 * which bench/sym.sh runs).  Reads frames, one per line:
 *
 *     func+0xOFF/0xSIZE [module]
 *
 * resolves them in batches of --batch through sym_resolve_batch(), and
 * prints every result as addr2line -f -i would (function line, then
 * file:line), or nothing with --quiet.  The time spent is printed on
 * standard error: open, resolve, close.
 *
 * usage: sym_bench --vmlinux PATH [--modules DIR] [--symbolizer libdw|addr2line]
 *                  [--batch N] [--repeat N] [--quiet] < frames
 *
 * To prepare a benchmark, --select N --min-levels L prints (instead of the
 * results) the first N frames that resolve to at least L levels, and
 * --addrs FILE writes the address each of them is looked up at, for
 * llvm-symbolizer and addr2line.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parse.h"
#include "sym.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The frame as the kernel prints it: func+0xOFF/0xSIZE [module] */
static void print_frame(const struct frame *f)
{
	printf("%s+0x%llx/0x%llx%s%s%s", f->func, (unsigned long long)f->off, (unsigned long long)f->size,
	       f->module ? " [" : "", f->module ? f->module : "", f->module ? "]" : "");
}

static void print_result(const struct frame *f, const struct sym_result *r)
{
	print_frame(f);
	printf(" %s", sym_status_name(r->status));
	if (r->status == SYM_OK || r->status == SYM_NO_LINE)
		printf(" 0x%llx%s%s", (unsigned long long)r->addr, r->section ? " " : "", r->section ? r->section : "");
	if (r->note)
		printf(" (%s)", r->note);
	putchar('\n');
	for (size_t i = 0; i < r->nchain; i++)
		printf("%s\n%s:%d\n", r->chain[i].func ? r->chain[i].func : "??",
		       r->chain[i].file ? r->chain[i].file : "??", r->chain[i].line);
}

/* What a run is asked for, and what it counts. */
struct bench {
	struct symbolizer *s;
	size_t batch, ok, n;
	bool quiet;
	size_t select, min_levels, selected;
	FILE *addrs;
};

/* Up to max frames from stdin into frames; their number (0 at the end). */
static size_t read_frames(struct frame *frames, size_t max, char **line, size_t *lcap)
{
	size_t n = 0;
	ssize_t len;

	while (n < max && (len = getline(line, lcap, stdin)) > 0) {
		while (len && ((*line)[len - 1] == '\n' || (*line)[len - 1] == '\r'))
			(*line)[--len] = 0;
		if (parse_frame_text(*line, (size_t)len, false, &frames[n]) && frames[n].has_off)
			n++;
		else
			frame_release(&frames[n]);
	}
	return n;
}

/* frames[0, n) resolved in batches; printed (or selected) on the first round. */
static void resolve_frames(struct bench *b, const struct frame *frames, size_t n, bool first)
{
	for (size_t i = 0; i < n; i += b->batch) {
		size_t m = n - i < b->batch ? n - i : b->batch;
		struct sym_request *rq = calloc(m, sizeof(*rq));
		const struct sym_result **res = calloc(m, sizeof(*res));

		for (size_t k = 0; k < m; k++)
			sym_request_of_frame(&frames[i + k], false, &rq[k]);
		sym_resolve_batch(b->s, rq, m, res);
		for (size_t k = 0; first && k < m; k++) {
			if (res[k]->status == SYM_OK)
				b->ok++;
			if (b->select && b->selected < b->select && res[k]->status == SYM_OK &&
			    res[k]->nchain >= b->min_levels) {
				print_frame(&frames[i + k]);
				putchar('\n');
				if (b->addrs)
					fprintf(b->addrs, "0x%llx\n", (unsigned long long)res[k]->addr);
				b->selected++;
			}
			if (!b->quiet)
				print_result(&frames[i + k], res[k]);
		}
		free(rq);
		free(res);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vmlinux", required_argument, NULL, 'v' },
		{ "modules", required_argument, NULL, 'm' },
		{ "symbolizer", required_argument, NULL, 's' },
		{ "batch", required_argument, NULL, 'b' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "select", required_argument, NULL, 'S' },
		{ "min-levels", required_argument, NULL, 'L' },
		{ "addrs", required_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	struct sym_options so = { 0 };
	struct ctx ctx = { 0 };
	struct bench b = { .batch = 64, .min_levels = 1 };
	struct frame *frames = NULL;
	size_t n = 0, cap = 0, got;
	int repeat = 1, opt;
	char *line = NULL;
	size_t lcap = 0;
	double t0, t1, t2, t3;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'v': so.vmlinux = optarg; break;
		case 'm': so.modules_dir = optarg; break;
		case 's': so.backend = !strcmp(optarg, "addr2line") ? SYM_ADDR2LINE : SYM_LIBDW; break;
		case 'b': b.batch = strtoul(optarg, NULL, 10); break;
		case 'r': repeat = atoi(optarg); break;
		case 'q': b.quiet = true; break;
		case 'S': b.select = strtoul(optarg, NULL, 10); b.quiet = true; break;
		case 'L': b.min_levels = strtoul(optarg, NULL, 10); break;
		case 'A':
			b.addrs = fopen(optarg, "w");
			if (!b.addrs) {
				perror(optarg);
				return 2;
			}
			break;
		default: return 2;
		}
	}
	if (!b.batch)
		b.batch = 1;
	t0 = now();
	b.s = sym_open(&ctx, &so);
	if (!b.s)
		return 5;
	t1 = now();
	/* once through: a batch at a time, as the program reads a log; again and again: all of them kept */
	do {
		size_t at = repeat > 1 ? n : 0;

		ALLOC_GROW(frames, at + b.batch, cap);
		got = read_frames(frames + at, b.batch, &line, &lcap);
		if (repeat == 1) {
			resolve_frames(&b, frames, got, true);
			for (size_t i = 0; i < got; i++)
				frame_release(&frames[i]);
		}
		n += got;
	} while (got);
	free(line);
	for (int rep = 0; repeat > 1 && rep < repeat; rep++)
		resolve_frames(&b, frames, n, rep == 0);
	t2 = now();
	if (b.addrs)
		fclose(b.addrs);
	sym_close(b.s);
	t3 = now();
	fprintf(stderr, "frames %zu ok %zu open %.3f resolve %.3f close %.3f total %.3f\n", n, b.ok, t1 - t0, t2 - t1,
		t3 - t2, t3 - t0);
	for (size_t i = 0; repeat > 1 && i < n; i++)
		frame_release(&frames[i]);
	free(frames);
	parse_cleanup();
	return 0;
}
