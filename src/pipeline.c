/* pipeline.c - one file through every stage, reports out to a callback. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <xxhash.h>

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

void pipeline_writer_blocked(struct pipeline *pl, bool blocked)
{
	if (pl && pl->jobs_run)
		pipeline_jobs_writer_blocked(pl->jobs_run, blocked);
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

	pl->dirty = true;
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

/* Did a frame meet a module's problem (said once a run, when the first frame meets it)? */
static bool pipeline_module_problem(const struct report *r)
{
	for (int i = 0; i < r->nacc && i < REPORT_MAX_ACCESSES; i++) {
		const struct access *a = &r->acc[i];

		for (size_t j = 0; j < a->nframes; j++)
			if (a->frames[j].module && a->frames[j].sym_note)
				return true;
		if (a->reordered_to && a->reordered_to->module && a->reordered_to->sym_note)
			return true;
	}
	return false;
}

/* The symbolize stage: frames to file:line and inline chains, against the vmlinux (shared: under its lock). */
static void pipeline_symbolize(struct pipeline *pl, struct report *r)
{
	const char *rel;

	if (pl->parent)
		pipeline_lock_sym(pl);
	rel = sym_release(pl->cfg.sym);
	/* said for the run's first such report only: a file with one is never clean */
	pl->dirty |= rel && r->kernel && strcmp(rel, r->kernel);
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
	pl->dirty |= pipeline_module_problem(r);
	if (!pl->run)
		sym_drain_problems(pl->cfg.sym, pipeline_warn_module, pl->ctx);
	else
		pipeline_jobs_problems(pl, r);
	if (pl->parent)
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
	if (pl->cfg.cls && pl->parent && !pl->parent->cfg.worker_cls) {
		/* one classifier for every worker */
		pipeline_lock_sym(pl);
		classify_report(pl->cfg.cls, r);
		pipeline_unlock_sym(pl);
	} else if (pl->cfg.cls) {
		classify_report(pl->cfg.cls, r);
	}
	enrich_report(r, pl->cfg.maint, &e);
	prep = pl->cfg.prepare ? pl->cfg.prepare(r, &e, pipeline_top(pl)->data) : NULL;
	if (pl->cfg.file_report)
		pl->cfg.file_report(&pl->file, r, &e, prep, pipeline_top(pl)->data);
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
		/* a pipe's input ends itself, after the lines it has read (they may be all there is) */
		if (pl->cfg.stop && atomic_load_explicit(pl->cfg.stop, memory_order_relaxed) && !input_ends_on_stop(in))
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

/* A regular file's size and XXH3-128, as it is now: 0, or -1 (not one, or unreadable: not hashed). */
static int pipeline_hash(const char *path, struct pipeline_file *f)
{
	XXH128_canonical_t c;
	XXH3_state_t *h;
	struct stat st;
	ssize_t got = 0;
	char buf[64 << 10];
	int fd;

	/* a regular file only: a FIFO or a terminal is read once, by the parser */
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	memset(f, 0, sizeof(*f));
	f->dev = (uint64_t)st.st_dev;
	f->ino = (uint64_t)st.st_ino;
	f->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	h = XXH3_createState();
	XXH3_128bits_reset(h);
	while ((got = read(fd, buf, sizeof(buf))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			break;
		XXH3_128bits_update(h, buf, (size_t)got);
		f->size += (uint64_t)got;
	}
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h));
	memcpy(f->hash, c.digest, sizeof(f->hash));
	XXH3_freeState(h);
	close(fd);
	return got < 0 ? -1 : 0;
}

/* Is the file still as it was hashed (nobody wrote it while it was read)? */
static bool pipeline_unchanged(const char *path, const struct pipeline_file *f)
{
	struct stat st;

	return stat(path, &st) == 0 && (uint64_t)st.st_dev == f->dev && (uint64_t)st.st_ino == f->ino &&
	       (uint64_t)st.st_size == f->size &&
	       (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec == f->mtime_ns;
}

static struct input *pipeline_open(struct pipeline *pl, const char *path)
{
	struct input *in = input_open(pl->ctx, path);

	if (in && pl->cfg.force_text)
		input_set_mode(in, INPUT_TEXT);
	/* (a worker's file goes quiet on the writer's side: pl_play_file()) */
	if (in && pl->cfg.quiet && !pl->run && input_may_wait(in))
		input_on_quiet(in, pl->cfg.quiet, pl->data);
	return in;
}

/*
 * Parse the file (opened here when in is NULL; said: the diagnostics
 * before it was opened): what pipeline_read() says, and whether f is clean
 * (a file that says something when opened is read each time).
 */
static int pipeline_parse(struct pipeline *pl, struct input *in, int said, const char *path,
			  struct pipeline_file *f)
{
	struct input *mine;
	int rc;

	if (!in)
		said = pl->ctx->warnings + pl->ctx->errors;
	mine = in ? NULL : pipeline_open(pl, path);

	if (!in && !mine)
		return -1;
	pl->dirty = false;
	rc = pipeline_read(pl, in ? in : mine);
	if (f)
		f->clean = rc == 0 && !pl->dirty && said == pl->ctx->warnings + pl->ctx->errors &&
			   !(pl->cfg.stop && atomic_load(pl->cfg.stop)) && pipeline_unchanged(path, f);
	input_close(mine);
	return rc;
}

/* Begin, the record replayed or the file read, end (f: hashed, or NULL; in: NULL, opened to be read). */
static int pipeline_file(struct pipeline *pl, struct input *in, int said, const char *name, const char *path,
			 void *rec, struct pipeline_file *f)
{
	struct pipeline *top = pipeline_top(pl);
	void *file = NULL;
	int rc = 0;

	if (pl->ops.file_begin)
		pl->ops.file_begin(name, pl->data);
	if (rec && pl->cfg.replay && pl->cfg.replay(name, rec, top->data)) {
		f->replayed = f->clean = true;
		atomic_fetch_add_explicit(&top->bytes, f->size, memory_order_relaxed);
	} else {
		pl->file = NULL;
		rc = pipeline_parse(pl, in, said, path, f);
		if (rc < 0 && !in && f)
			f = NULL;   /* it could not be opened again */
		file = pl->file;
		pl->file = NULL;
		if (file && f && pl->cfg.file_done) {
			pl->cfg.file_done(file, f, top->data);
			f->made = file;
		}
	}
	if (pl->ops.file_end)
		pl->ops.file_end(name, rc, f, pl->data);
	/* a worker's goes with its file's end, freed by it when the writer is done with it */
	if (file && (!f || !pl->run)) {
		pl->cfg.file_free(file, top->data);
		if (f)
			f->made = NULL;
	}
	return rc;
}

int pipeline_run_file(struct pipeline *pl, const char *path)
{
	struct pipeline_file f, *hashed = NULL;
	void *rec = NULL;
	struct input *in;
	int said, rc_file;

	if (!strcmp(path, "-") && isatty(0)) {
		kt_error(pl->ctx, KT_EXIT_USAGE, NULL, "standard input is a terminal; pipe a log in or name files");
		return -1;
	}
	/* the reader names a file by its path (input_name()) */
	if (pl->cfg.hash_files && strcmp(path, "-") && pipeline_hash(path, &f) == 0) {
		hashed = &f;
		if (pl->cfg.known)
			rec = pl->cfg.known(path, &f, pipeline_top(pl)->data);
	}
	if (rec && pl->run) {
		/* the writer replays it */
		pipeline_jobs_known(pl, path, path, rec, &f);
		return 0;
	}
	if (rec) {
		rc_file = pipeline_file(pl, NULL, 0, path, path, rec, &f);
		pl->cfg.known_free(rec, pipeline_top(pl)->data);
		return rc_file;
	}
	said = pl->ctx->warnings + pl->ctx->errors;
	in = pipeline_open(pl, path);
	if (!in)
		return -1;
	rc_file = pipeline_file(pl, in, said, input_name(in), path, NULL, hashed);
	input_close(in);
	return rc_file;
}

void pipeline_file_here(struct pipeline *pl, const char *name, const char *path, void *rec,
			struct pipeline_file *f)
{
	/* the caller's callbacks and classifier, the symbolizer under its lock (the workers share it) */
	struct pipeline here = *pl;

	here.parent = pl;
	here.run = NULL;
	here.once = NULL;
	here.nonce = here.oncecap = 0;
	pipeline_file(&here, NULL, 0, name, path, rec, f);
}

static void pipeline_visit(struct ctx *ctx, const char *path, bool waits, void *data)
{
	struct pipeline *pl = data;

	(void)ctx;
	if (pl->cfg.stop && *pl->cfg.stop)
		return;
	if (pl->cfg.before_file)
		pl->cfg.before_file(waits, pl->data);
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

static void pipeline_count_one(struct ctx *ctx, const char *path, bool waits, void *data)
{
	struct pipeline_count *c = data;
	struct stat st;

	(void)ctx;
	c->files++;
	if (!waits && stat(path, &st) == 0 && S_ISREG(st.st_mode))
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
