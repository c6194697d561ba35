/* pipeline.c - one file through every stage, reports out to a callback. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "input.h"
#include "normalize.h"
#include "parse.h"
#include "pipeline.h"
#include "sym.h"

struct pipeline {
	struct ctx *ctx;
	struct pipeline_config cfg;
	struct pipeline_ops ops;
	void *data;
	bool warned_release;       /* said once per run: the logs' kernel is not the vmlinux's */
};

struct pipeline *pipeline_new(struct ctx *ctx, const struct pipeline_config *cfg, const struct pipeline_ops *ops,
			      void *data)
{
	struct pipeline *pl = xcalloc(1, sizeof(*pl));

	pl->ctx = ctx;
	if (cfg)
		pl->cfg = *cfg;
	pl->ops = *ops;
	pl->data = data;
	return pl;
}

void pipeline_free(struct pipeline *pl)
{
	free(pl);
}

/* A module whose frames the symbolizer could not resolve: said once. */
static void pipeline_warn_module(const char *module, const char *problem, void *data)
{
	(void)module;
	kt_warn(data, NULL, "%s: its frames are not symbolized", problem);
}

/* The symbolize stage: frames to file:line and inline chains, against the vmlinux. */
static void pipeline_symbolize(struct pipeline *pl, struct report *r)
{
	const char *rel = sym_release(pl->cfg.sym);

	if (rel && r->kernel && strcmp(rel, r->kernel) && !pl->warned_release) {
		char pos[512];

		pl->warned_release = true;
		snprintf(pos, sizeof(pos), "%s:%llu", r->source, (unsigned long long)r->line);
		kt_warn(pl->ctx, pos, "the report's kernel is %s, the vmlinux is %s: frames that do not "
			"match are said so, the others may still be off", r->kernel, rel);
	}
	sym_annotate_report(pl->cfg.sym, r);
	sym_drain_problems(pl->cfg.sym, pipeline_warn_module, pl->ctx);
}

/* A report the parser finished: through the later stages, then to the callback. */
static void pipeline_on_report(struct report *r, void *data)
{
	struct pipeline *pl = data;
	struct enrichment e;

	if (pl->cfg.sym)
		pipeline_symbolize(pl, r);
	if (pl->cfg.cls)
		classify_report(pl->cfg.cls, r);
	enrich_report(r, pl->cfg.maint, &e);
	pl->ops.report(r, &e, pl->data);
	enrichment_release(&e);
}

/* Read, normalize and parse one opened input. */
static int pipeline_read(struct pipeline *pl, struct input *in)
{
	struct parser *p = parser_new(input_name(in), pipeline_on_report, pl);
	struct normalizer nz = { 0 };
	struct input_line line;
	struct nline nl;
	int rc;

	parser_set_now(p, pl->ctx->now);
	input_set_meta(in, parser_meta(p));   /* the reader takes the mail headers */
	while ((rc = input_next(in, &line, parser_idle(p))) > 0) {
		if (pl->cfg.stop && *pl->cfg.stop)
			break;
		normalize_line(&nz, &line, &nl);
		parser_feed(p, &nl);
	}
	/* a read error keeps what was read: the reports before it are whole */
	parser_finish(p);
	parser_free(p);
	normalizer_release(&nz);
	return rc < 0 ? -1 : 0;
}

int pipeline_run_file(struct pipeline *pl, const char *path)
{
	struct input *in;
	int rc;

	if (!strcmp(path, "-") && isatty(0)) {
		kt_error(pl->ctx, KT_EXIT_USAGE, NULL, "standard input is a terminal; pipe a log in or name files");
		return -1;
	}
	in = input_open(pl->ctx, path);
	if (!in)
		return -1;
	if (pl->cfg.force_text)
		input_set_mode(in, INPUT_TEXT);
	if (pl->ops.file_begin)
		pl->ops.file_begin(input_name(in), pl->data);
	rc = pipeline_read(pl, in);
	if (pl->ops.file_end)
		pl->ops.file_end(input_name(in), rc, pl->data);
	input_close(in);
	return rc;
}

static void pipeline_visit(struct ctx *ctx, const char *path, void *data)
{
	struct pipeline *pl = data;

	(void)ctx;
	if (pl->cfg.stop && *pl->cfg.stop)
		return;
	pipeline_run_file(pl, path);
}

void pipeline_run(struct pipeline *pl, char *const *args, int nargs)
{
	input_walk(pl->ctx, args, nargs, pipeline_visit, pl);
}
