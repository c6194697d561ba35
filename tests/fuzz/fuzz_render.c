/*
 * fuzz_render.c - a fuzz target for the writers (render.h): the bytes are
 * a little program of out_* and table_* calls with fuzzed keys and
 * strings, run once in JSON, whose output must be one valid JSON document
 * (json_check.h), and once in text, whose output must carry no raw C0
 * control byte but tab and newline, and no DEL.  (The render module has
 * no CSV or SARIF writer.)
 *
 * The program: a byte picks a call (its value modulo FUZZ_RENDER_NOPS);
 * keys and strings follow it, each ended by a NUL.  Calls that would break
 * the API's rules (a key missing in an object, nesting beyond its limit)
 * are not made.
 *
 * Seeds: tests/fuzz/seeds/render/.  How to run it and replay saved inputs:
 * fuzz.h.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "json_check.h"

#define FUZZ_RENDER_DEPTH 28
#define FUZZ_RENDER_NOPS 13

struct fuzz_prog {
	const char *p, *end;        /* NUL-terminated copy of the input */
	struct out *o;
	bool is_arr[FUZZ_RENDER_DEPTH + 2];
	int depth;
};

/* The next string of the program ("" at its end). */
static const char *fuzz_render_str(struct fuzz_prog *g)
{
	const char *s = g->p;

	if (g->p >= g->end)
		return "";
	g->p += strlen(s) + 1;
	return s;
}

static unsigned char fuzz_render_byte(struct fuzz_prog *g)
{
	return g->p < g->end ? (unsigned char)*g->p++ : 0;
}

static long long fuzz_render_num(struct fuzz_prog *g)
{
	unsigned long long v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | fuzz_render_byte(g);
	return (long long)v;
}

/* The key of the next element: one in an object, none in an array. */
static const char *fuzz_render_key(struct fuzz_prog *g)
{
	const char *k = fuzz_render_str(g);

	return g->is_arr[g->depth] ? NULL : k;
}

static void fuzz_render_open(struct fuzz_prog *g, bool arr)
{
	const char *k = fuzz_render_key(g);

	if (g->depth >= FUZZ_RENDER_DEPTH)
		return;
	if (arr)
		out_begin_arr(g->o, k);
	else
		out_begin_obj(g->o, k);
	g->is_arr[++g->depth] = arr;
}

static void fuzz_render_close(struct fuzz_prog *g)
{
	if (g->depth <= 1)
		return;
	if (g->is_arr[g->depth--])
		out_end_arr(g->o);
	else
		out_end_obj(g->o);
}

/* A table of one to three columns and some cells. */
static void fuzz_render_table(struct fuzz_prog *g)
{
	struct column cols[3];
	int ncols = 1 + fuzz_render_byte(g) % 3, ncells = fuzz_render_byte(g) % 16;
	const char *k = fuzz_render_key(g);
	struct verdict_label lab = { 0 };
	struct table *t;

	for (int c = 0; c < ncols; c++) {
		unsigned char f = fuzz_render_byte(g);

		cols[c] = (struct column){ fuzz_render_str(g), fuzz_render_str(g), f & 1, c > 0 && (f & 2) };
	}
	t = table_begin(g->o, k, cols, ncols);
	for (int i = 0; i < ncells; i++) {
		unsigned char f = fuzz_render_byte(g);

		if (f % 4 == 0)
			table_int(t, fuzz_render_num(g));
		else if (f % 4 == 1)
			table_label(t, f & 4 ? &lab : NULL);
		else
			table_str(t, f % 4 == 2 ? fuzz_render_str(g) : NULL);
	}
	while (ncells++ % ncols)
		table_str(t, "");
	table_end(t);
}

static void fuzz_render_op(struct fuzz_prog *g, unsigned char op)
{
	switch (op % FUZZ_RENDER_NOPS) {
	case 0: fuzz_render_open(g, false); break;
	case 1: fuzz_render_open(g, true); break;
	case 2: fuzz_render_close(g); break;
	case 3: { const char *k = fuzz_render_key(g); out_str(g->o, k, "%s\n", fuzz_render_str(g)); break; }
	case 4: out_str(g->o, fuzz_render_key(g), "[%s]\n", NULL); break;
	case 5: { const char *k = fuzz_render_key(g); out_int(g->o, k, "%lld\n", fuzz_render_num(g)); break; }
	case 6: { const char *k = fuzz_render_key(g); out_bool(g->o, k, "%s\n", fuzz_render_byte(g) & 1); break; }
	case 7: { const char *k = fuzz_render_key(g); out_hex(g->o, k, "%s\n", (uint64_t)fuzz_render_num(g)); break; }
	case 8: out_null(g->o, fuzz_render_key(g)); break;
	case 9: out_text_safe(g->o, fuzz_render_str(g)); break;
	case 10: fuzz_render_table(g); break;
	case 11: { const char *k = fuzz_render_key(g); out_str(g->o, k, NULL, fuzz_render_str(g)); break; }
	default: out_text(g->o, "%s", "plain\n"); break;
	}
}

/* Run the program in one format; the output (the caller frees it) in *buf. */
static void fuzz_render_run(const char *prog, size_t n, enum kt_format fmt, char **buf, size_t *len)
{
	FILE *fp = open_memstream(buf, len);
	struct fuzz_prog g = { prog, prog + n, NULL, { false }, 1 };

	if (!fp)
		abort();
	g.o = out_new(fp, fmt);
	out_begin_obj(g.o, NULL);
	while (g.p < g.end)
		fuzz_render_op(&g, fuzz_render_byte(&g));
	while (g.depth > 1)
		fuzz_render_close(&g);
	out_end_obj(g.o);
	if (out_close(g.o) != 0)
		abort();
	fclose(fp);
}

static void fuzz_render_check_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
			fprintf(stderr, "fuzz_render: raw control byte 0x%02x at %zu of the text output\n", c, i);
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *prog = xmalloc(size + 1), *buf = NULL;
	size_t len = 0, at;
	const char *why;

	memcpy(prog, data, size);
	prog[size] = '\0';
	fuzz_render_run(prog, size, KT_FMT_JSON, &buf, &len);
	if ((why = json_check(buf, len, &at))) {
		fprintf(stderr, "fuzz_render: not JSON at byte %zu of %zu: %s\n%s\n", at, len, why, buf);
		abort();
	}
	free(buf);
	fuzz_render_run(prog, size, KT_FMT_TEXT, &buf, &len);
	fuzz_render_check_text(buf, len);
	free(buf);
	free(prog);
	return 0;
}

static void fuzz_cleanup(void)
{
}

#include "fuzz.h"
