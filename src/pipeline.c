/* pipeline.c - one file through every stage, reports out to a callback. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "classify.h"
#include "input.h"
#include "normalize.h"
#include "parse.h"
#include "pipeline_internal.h"
#include "sym.h"

struct pipeline *pipeline_new(struct ctx *ctx, const struct pipeline_config *cfg, const struct pipeline_ops *ops,
			      void *data)
{
	struct pipeline *pl = xcalloc(1, sizeof(*pl));

	pl->ctx = ctx;
	if (cfg)
		pl->cfg = *cfg;
	pl->ops = *ops;
	pl->data = data;
	pthread_mutex_init(&pl->sym_lock, NULL);
	return pl;
}

void pipeline_free(struct pipeline *pl)
{
	if (!pl)
		return;
	pthread_mutex_destroy(&pl->sym_lock);
	free(pl);
}

static struct pipeline *pipeline_top(struct pipeline *pl)
{
	return pl->parent ? pl->parent : pl;
}

void pipeline_lock_sym(struct pipeline *pl)
{
	pthread_mutex_lock(&pipeline_top(pl)->sym_lock);
}

void pipeline_unlock_sym(struct pipeline *pl)
{
	pthread_mutex_unlock(&pipeline_top(pl)->sym_lock);
}

uint64_t pipeline_bytes_read(const struct pipeline *pl)
{
	return atomic_load_explicit(&pl->bytes, memory_order_relaxed);
}

void pipeline_warn_once(struct pipeline *pl, const char *key, const char *pos, const char *msg)
{
	struct pipeline_once *o;

	if (!pl->run) {
		kt_warn(pl->ctx, pos, "%s", msg);
		return;
	}
	ALLOC_GROW(pl->once, pl->nonce, pl->oncecap);
	o = &pl->once[pl->nonce++];
	o->key = xstrdup(key);
	o->pos = pos ? xstrdup(pos) : NULL;
	o->msg = xstrdup(msg);
}

/* A module whose frames the symbolizer could not resolve: said once. */
static void pipeline_warn_module(const char *module, const char *problem, void *data)
{
	(void)module;
	kt_warn(data, NULL, "%s: its frames are not symbolized", problem);
}

/* The symbolize stage: frames to file:line and inline chains, against the vmlinux (shared: under its lock). */
static void pipeline_symbolize(struct pipeline *pl, struct report *r)
{
	const char *rel;

	if (pl->run)
		pipeline_lock_sym(pl);
	rel = sym_release(pl->cfg.sym);
	if (rel && r->kernel && strcmp(rel, r->kernel) && !pl->warned_release) {
		char pos[512];
		char *msg = xasprintf("the report's kernel is %s, the vmlinux is %s: frames that do not "
				      "match are said so, the others may still be off", r->kernel, rel);

		pl->warned_release = true;
		snprintf(pos, sizeof(pos), "%s:%llu", r->source, (unsigned long long)r->line);
		pipeline_warn_once(pl, "release", pos, msg);
		free(msg);
	}
	sym_annotate_report(pl->cfg.sym, r);
	if (!pl->run) {
		sym_drain_problems(pl->cfg.sym, pipeline_warn_module, pl->ctx);
		return;
	}
	pipeline_jobs_problems(pl, r);
	pipeline_unlock_sym(pl);
}

/* A report the parser finished: through the later stages, then to the callback. */
static void pipeline_on_report(struct report *r, void *data)
{
	struct pipeline *pl = data;
	struct enrichment e;
	void *prep;

	if (pl->cfg.sym)
		pipeline_symbolize(pl, r);
	if (pl->cfg.cls && pl->run && !pl->parent->cfg.worker_cls) {
		/* one classifier for every worker */
		pipeline_lock_sym(pl);
		classify_report(pl->cfg.cls, r);
		pipeline_unlock_sym(pl);
	} else if (pl->cfg.cls) {
		classify_report(pl->cfg.cls, r);
	}
	enrich_report(r, pl->cfg.maint, &e);
	prep = pl->cfg.prepare ? pl->cfg.prepare(r, &e, pipeline_top(pl)->data) : NULL;
	if (pl->run) {
		pipeline_jobs_report(pl, r, &e, prep);
		return;
	}
	if (pl->cfg.prepare) {
		pl->cfg.report_prep(r, &e, prep, pl->data);
		report_free(r);
	} else {
		pl->ops.report(r, &e, pl->data);
	}
	if (prep)
		pl->cfg.prep_free(prep, pl->data);
	enrichment_release(&e);
}

/* The bytes read are counted in steps of this (a progress line reads them). */
#define PIPELINE_BYTES_STEP (256u << 10)

/* Read, normalize and parse one opened input. */
static int pipeline_read(struct pipeline *pl, struct input *in)
{
	struct parser *p = parser_new(input_name(in), pipeline_on_report, pl);
	struct normalizer nz = { 0 };
	struct input_line line;
	struct nline nl;
	uint64_t counted = 0, at = 0;
	int rc;

	parser_set_now(p, pl->ctx->now);
	input_set_meta(in, parser_meta(p));   /* the reader takes the mail headers */
	while ((rc = input_next(in, &line, parser_idle(p))) > 0) {
		if (pl->cfg.stop && atomic_load_explicit(pl->cfg.stop, memory_order_relaxed))
			break;
		at = line.offset + line.len + 1;
		if (at - counted >= PIPELINE_BYTES_STEP) {
			atomic_fetch_add_explicit(&pipeline_top(pl)->bytes, at - counted, memory_order_relaxed);
			counted = at;
		}
		normalize_line(&nz, &line, &nl);
		parser_feed(p, &nl);
	}
	if (at > counted)
		atomic_fetch_add_explicit(&pipeline_top(pl)->bytes, at - counted, memory_order_relaxed);
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
	if (pl->cfg.jobs != 1)
		pipeline_jobs_run(pl, args, nargs);
	else
		input_walk(pl->ctx, args, nargs, pipeline_visit, pl);
}

struct pipeline_count {
	size_t files;
	uint64_t bytes;
};

static void pipeline_count_one(struct ctx *ctx, const char *path, void *data)
{
	struct pipeline_count *c = data;
	struct stat st;

	(void)ctx;
	c->files++;
	if (strcmp(path, "-") && stat(path, &st) == 0 && S_ISREG(st.st_mode))
		c->bytes += (uint64_t)st.st_size;
}

static void pipeline_no_diag(void *data, const char *line)
{
	(void)data;
	(void)line;
}

size_t pipeline_count_files(struct ctx *ctx, char *const *args, int nargs, uint64_t *bytes)
{
	struct ctx quiet = *ctx;
	struct pipeline_count c = { 0 };

	quiet.diag = pipeline_no_diag;
	input_walk(&quiet, args, nargs, pipeline_count_one, &c);
	if (bytes)
		*bytes = c.bytes;
	return c.files;
}
