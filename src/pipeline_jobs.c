/*
 * pipeline_jobs.c - pipeline_run() on worker threads, the callbacks in input order.
 *
 * The walk runs first (what it says is kept with the file it comes before).
 * Workers take the files in order, each into a slot of a ring of 2 * jobs;
 * what a worker's file yields (the file's begin and end, its reports, every
 * diagnostic line) is a list of events.  The caller's thread (the writer)
 * plays the events of the file at the front as they come, then moves to the
 * next; a worker whose file is not at the front waits when its file holds
 * PL_JOB_EVENTS events, so memory stays bounded however large a file is.
 * Warnings said once per run are decided by the writer (the first in input
 * order), so the output is the one a single thread gives.
 *
 * No more threads run than jobs, the writer's included: a worker takes a
 * file only while fewer than that are busy.  A writer with nothing to play
 * reads the next small file itself (a worker of its own); waiting for a
 * large one, it lets another worker start instead.  So on a machine of
 * jobs cores the writer is never pushed off its core by its own workers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "classify.h"
#include "enrich.h"
#include "input.h"
#include "pipeline_internal.h"
#include "sym.h"

/* A file not at the front holds at most this many events before its worker waits. */
#define PL_JOB_EVENTS 512
/*
 * A worker hands its events over this many at a time (and at its file's
 * end): the lock is taken, and the writer woken, once for them, not for
 * each report.  The writer looks every 100 ms anyway (pl_wait_ready()).
 */
#define PL_JOB_BATCH 32
/*
 * The files a writer with nothing to play reads itself: its own events are
 * played only after it, so a large file would hold every other file up.
 */
#define PL_HELP_MAX_BYTES (1 << 20)

enum pl_ev_kind { PL_EV_DIAG, PL_EV_BEGIN, PL_EV_REPORT, PL_EV_END, PL_EV_KNOWN };

struct pl_event {
	enum pl_ev_kind kind;
	char *text;                  /* DIAG: the line; BEGIN, END, KNOWN: the file's name (may be NULL) */
	int rc;                      /* END */
	bool hashed;                 /* END, KNOWN: how the file was read (hash_files) */
	struct pipeline_file file;
	char *path;                  /* KNOWN: the file, its record (cfg.known()'s) */
	void *rec;
	struct report *r;            /* REPORT, with its enrichment, what cfg.prepare made of it */
	struct enrichment e;         /* and the once-warnings before it */
	void *prep;
	struct pipeline_once *once;
	size_t nonce;
};

/* One file in flight: the events the writer has not taken yet. */
struct pl_job {
	struct pl_event *ev;
	size_t n, cap;
	bool done;
	struct pl_worker *owner;     /* the worker reading it */
};

/* Events the writer played, for the worker that made them to free (in its own heap). */
struct pl_trash {
	struct pl_event *ev;
	size_t n;
};

struct pl_worker {
	struct pipeline_run *run;
	struct pipeline pl;          /* a copy of the caller's, its callbacks this file's */
	struct ctx ctx;              /* its diagnostics go to the file's events */
	struct pl_job *job;
	struct pl_event *pend;       /* the events not handed over yet */
	size_t npend, pendcap;
	struct pl_trash *trash;      /* the writer's, to free (run->mu) */
	size_t ntrash, trashcap;
	size_t seq;                  /* the file it is on */
	pthread_t tid;
	bool started;
	bool writer;                 /* the writer's own (pl_help()) */
};

struct pipeline_run {
	struct pipeline *pl;         /* the caller's */
	pthread_mutex_t mu;
	pthread_cond_t work;         /* workers: a slot is free, the front moved, the end */
	pthread_cond_t ready;        /* the writer: events came, a file is done */
	/* the files the walk found; pre[i]: what it said before file i (pre[npaths]: after the last) */
	char **paths, **pre;
	bool *waits;                 /* waits[i]: file i may wait for ever (input_visit_fn) */
	size_t npaths, cap;
	struct sbuf said_now;        /* the walk's diagnostics since the last file */
	size_t next;                 /* the next file to take */
	size_t head;                 /* the file the writer plays */
	struct pl_job *slot;         /* file i is slot[i % nslot] */
	size_t nslot;
	int jobs;                    /* the threads busy at most, the writer's included */
	int working;                 /* of them: the workers on a file */
	bool writer_busy;            /* and the writer, unless it waits or is blocked */
	size_t large;                /* + 1: the file pl_help() last found too large (not stat()ed again) */
	bool quit;
	struct pipeline_once *problems;   /* the symbolizer's problems by module (sym lock) */
	size_t nproblems, problemscap;
	char **said;                 /* the once-warnings said */
	size_t nsaid, saidcap;
	struct pl_worker *w;
	int nw;
};

static void once_release(struct pipeline_once *o, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(o[i].key);
		free(o[i].pos);
		free(o[i].msg);
	}
	free(o);
}

static void event_release(const struct pipeline *pl, struct pl_event *ev)
{
	free(ev->text);
	free(ev->path);
	if (ev->rec)
		pl->cfg.known_free(ev->rec, pl->data);
	if (ev->r)
		report_free(ev->r);
	if (ev->prep)
		pl->cfg.prep_free(ev->prep, pl->data);
	if (ev->file.made)
		pl->cfg.file_free(ev->file.made, pl->data);
	enrichment_release(&ev->e);
	once_release(ev->once, ev->nonce);
}

static bool pl_stopped(const struct pipeline *pl)
{
	return pl->cfg.stop && *pl->cfg.stop;
}

/* ---------------------------------------------------------------------- */
/* the workers */

/*
 * The worker's pending events to its file's (run->mu held): waits while
 * the file is not at the front and holds enough.
 */
static void pl_hand_over(struct pl_worker *w)
{
	struct pipeline_run *run = w->run;
	struct pl_job *job = w->job;

	/* (the writer's own file waits for no one: it is small, and the writer plays it after) */
	while (!run->quit && !w->writer && w->seq != run->head && job->n >= PL_JOB_EVENTS)
		pthread_cond_wait(&run->work, &run->mu);
	if (run->quit) {
		for (size_t i = 0; i < w->npend; i++)
			event_release(run->pl, &w->pend[i]);
	} else if (!job->n) {
		/* the writer took the file's events: these are its next */
		free(job->ev);
		job->ev = w->pend;
		job->n = w->npend;
		job->cap = w->pendcap;
		w->pend = NULL;
		w->pendcap = 0;
	} else if (w->npend) {
		/* (none when a file's last batch went over already: its end hands over nothing) */
		if (job->n + w->npend > job->cap) {
			job->cap = job->n + w->npend;
			job->ev = xrealloc(job->ev, job->cap * sizeof(*job->ev));
		}
		memcpy(job->ev + job->n, w->pend, w->npend * sizeof(*w->pend));
		job->n += w->npend;
	}
	w->npend = 0;
	if (!run->quit && w->seq == run->head)
		pthread_cond_signal(&run->ready);
}

static void pl_trash_free(const struct pipeline *pl, struct pl_trash *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < t[i].n; k++)
			event_release(pl, &t[i].ev[k]);
		free(t[i].ev);
	}
	free(t);
}

/* What the writer played of the worker's events (run->mu held), to free after the lock. */
static struct pl_trash *pl_trash_take(struct pl_worker *w, size_t *n)
{
	struct pl_trash *t = w->trash;

	*n = w->ntrash;
	w->trash = NULL;
	w->ntrash = w->trashcap = 0;
	return t;
}

/* An event of the worker's file, handed over with the next ones (PL_JOB_BATCH). */
static void pl_push(struct pl_worker *w, struct pl_event *ev)
{
	struct pl_trash *t;
	size_t nt;

	ALLOC_GROW(w->pend, w->npend, w->pendcap);
	w->pend[w->npend++] = *ev;
	/* (a file that may wait hands each over: what it gave is not held through its wait) */
	if (w->npend < PL_JOB_BATCH && !w->run->waits[w->seq])
		return;
	pthread_mutex_lock(&w->run->mu);
	pl_hand_over(w);
	t = pl_trash_take(w, &nt);
	pthread_mutex_unlock(&w->run->mu);
	pl_trash_free(w->run->pl, t, nt);
}

static void pl_push_text(struct pl_worker *w, enum pl_ev_kind kind, const char *text, int rc)
{
	struct pl_event ev = { .kind = kind, .rc = rc };

	ev.text = text ? xstrdup(text) : NULL;
	pl_push(w, &ev);
}

static void pl_diag(void *data, const char *line)
{
	pl_push_text(data, PL_EV_DIAG, line, 0);
}

static void pl_file_begin(const char *name, void *data)
{
	pl_push_text(data, PL_EV_BEGIN, name, 0);
}

static void pl_file_end(const char *name, int rc, const struct pipeline_file *f, void *data)
{
	struct pl_event ev = { .kind = PL_EV_END, .rc = rc, .hashed = f != NULL };

	ev.text = name ? xstrdup(name) : NULL;
	if (f)
		ev.file = *f;
	pl_push(data, &ev);
}

void pipeline_jobs_known(struct pipeline *pl, const char *path, const char *name, void *rec,
			 const struct pipeline_file *f)
{
	struct pl_event ev = { .kind = PL_EV_KNOWN, .hashed = true, .file = *f, .rec = rec };

	ev.text = name ? xstrdup(name) : NULL;
	ev.path = xstrdup(path);
	pl_push(pl->data, &ev);
}

static void pl_no_report(struct report *r, const struct enrichment *e, void *data)
{
	(void)r;
	(void)e;
	(void)data;
}

void pipeline_jobs_report(struct pipeline *pl, struct report *r, struct enrichment *e, void *prep)
{
	struct pl_worker *w = pl->data;
	struct pl_event ev = { .kind = PL_EV_REPORT, .r = r, .e = *e, .prep = prep };

	ev.once = pl->once;
	ev.nonce = pl->nonce;
	pl->once = NULL;
	pl->nonce = pl->oncecap = 0;
	e->subsystem = NULL;
	pl_push(w, &ev);
}

static void pl_note_problem(const char *module, const char *problem, void *data)
{
	struct pipeline_run *run = data;
	struct pipeline_once *o;

	ALLOC_GROW(run->problems, run->nproblems, run->problemscap);
	o = &run->problems[run->nproblems++];
	o->key = xstrdup(module);
	o->pos = NULL;
	o->msg = xasprintf("%s: its frames are not symbolized", problem);
}

static void pl_frame_problem(struct pipeline *pl, const struct frame *f)
{
	struct pipeline_run *run = pl->run;

	if (!f || !f->module || !f->sym_note)
		return;
	for (size_t i = 0; i < run->nproblems; i++)
		if (!strcmp(run->problems[i].key, f->module)) {
			char *key = xasprintf("module\n%s", f->module);

			pipeline_warn_once(pl, key, NULL, run->problems[i].msg);
			free(key);
			return;
		}
}

/*
 * The symbolizer says a module's problem once, when a frame first meets
 * it; here every report whose frames met one says it, and the writer
 * keeps the first in input order: the frames in the order they are looked up.
 */
void pipeline_jobs_problems(struct pipeline *pl, const struct report *r)
{
	sym_drain_problems(pl->cfg.sym, pl_note_problem, pl->run);
	if (!pl->run->nproblems)
		return;
	for (int i = 0; i < r->nacc && i < REPORT_MAX_ACCESSES; i++) {
		const struct access *a = &r->acc[i];

		for (size_t j = 0; j < a->nframes; j++)
			pl_frame_problem(pl, &a->frames[j]);
		pl_frame_problem(pl, a->reordered_to);
	}
}

/* File run->next, read by w (run->mu held, and again on return). */
static void pl_take(struct pl_worker *w)
{
	struct pipeline_run *run = w->run;
	struct pl_trash *t;
	size_t nt;

	w->seq = run->next++;
	w->job = &run->slot[w->seq % run->nslot];
	w->job->owner = w;
	t = pl_trash_take(w, &nt);
	pthread_mutex_unlock(&run->mu);
	pl_trash_free(run->pl, t, nt);
	pipeline_run_file(&w->pl, run->paths[w->seq]);
	pthread_mutex_lock(&run->mu);
	pl_hand_over(w);
	w->job->done = true;
	pthread_cond_signal(&run->ready);
}

static void *pl_worker_main(void *arg)
{
	struct pl_worker *w = arg;
	struct pipeline_run *run = w->run;

	pthread_mutex_lock(&run->mu);
	for (;;) {
		while (!run->quit && run->next < run->npaths &&
		       (run->next >= run->head + run->nslot || run->working + run->writer_busy >= run->jobs))
			pthread_cond_wait(&run->work, &run->mu);
		if (run->quit || run->next >= run->npaths || pl_stopped(run->pl))
			break;
		run->working++;
		pl_take(w);
		run->working--;
		pthread_cond_signal(&run->work);
	}
	/* the writer may wait for a file nobody takes now */
	pthread_cond_signal(&run->ready);
	pthread_mutex_unlock(&run->mu);
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* the writer */

static bool pl_said(struct pipeline_run *run, const char *key)
{
	for (size_t i = 0; i < run->nsaid; i++)
		if (!strcmp(run->said[i], key))
			return true;
	ALLOC_GROW(run->said, run->nsaid, run->saidcap);
	run->said[run->nsaid++] = xstrdup(key);
	return false;
}

/* One event, said or given to the callbacks; what it holds is freed by its worker (pl_play_file()). */
static void pl_play(struct pipeline_run *run, struct pl_event *ev)
{
	struct pipeline *pl = run->pl;

	switch (ev->kind) {
	case PL_EV_DIAG:
		kt_diag_line(pl->ctx, ev->text);
		break;
	case PL_EV_BEGIN:
		if (pl->ops.file_begin)
			pl->ops.file_begin(ev->text, pl->data);
		break;
	case PL_EV_END:
		if (pl->ops.file_end)
			pl->ops.file_end(ev->text, ev->rc, ev->hashed ? &ev->file : NULL, pl->data);
		break;
	case PL_EV_KNOWN:
		pipeline_file_here(pl, ev->text, ev->path, ev->rec, &ev->file);
		break;
	case PL_EV_REPORT:
		for (size_t i = 0; i < ev->nonce; i++)
			if (!pl_said(run, ev->once[i].key))
				kt_warn(pl->ctx, ev->once[i].pos, "%s", ev->once[i].msg);
		if (pl->cfg.prepare) {
			pl->cfg.report_prep(ev->r, &ev->e, ev->prep, pl->data);
		} else {
			pl->ops.report(ev->r, &ev->e, pl->data);
			ev->r = NULL;   /* the callee's now */
		}
		break;
	}
}

/* A wait for the workers (run->mu held), of up to 100 ms: whether it lasted that long. */
static bool pl_wait_ready(struct pipeline_run *run)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return pthread_cond_timedwait(&run->ready, &run->mu, &ts) == ETIMEDOUT;
}

/* The writer's place while it waits (pl_help()) or is blocked: a worker's. */
static void pl_writer_idle(struct pipeline_run *run, bool idle)
{
	if (idle && run->writer_busy)
		pthread_cond_signal(&run->work);
	run->writer_busy = !idle;
}

void pipeline_jobs_writer_blocked(struct pipeline_run *run, bool blocked)
{
	pthread_mutex_lock(&run->mu);
	pl_writer_idle(run, blocked);
	pthread_mutex_unlock(&run->mu);
}

/*
 * Before the writer waits for events (run->mu held): the next file read
 * by the writer if it is small (true), or the writer's place given to a
 * worker until events come.
 */
static bool pl_help(struct pipeline_run *run)
{
	struct pl_worker *own = &run->w[run->nw];
	size_t k = run->next;
	struct stat st;
	bool small = k < run->npaths && k < run->head + run->nslot && !run->waits[k] && !pl_stopped(run->pl) &&
		     run->large != k + 1;

	if (small && (stat(run->paths[k], &st) || st.st_size > PL_HELP_MAX_BYTES)) {
		run->large = k + 1;
		small = false;
	}
	if (!small) {
		pl_writer_idle(run, true);
		return false;
	}
	pl_take(own);
	return true;
}

/* Play file i's events as they come, to its end; then the front moves on. */
static void pl_play_file(struct pipeline_run *run, size_t i)
{
	struct pl_job *job = &run->slot[i % run->nslot];
	const bool may_quiet = run->pl->cfg.quiet && run->waits[i];
	bool quiet = may_quiet;     /* (once each time the file goes quiet) */

	if (run->pl->cfg.before_file)
		run->pl->cfg.before_file(run->waits[i], run->pl->data);
	pthread_mutex_lock(&run->mu);
	for (;;) {
		struct pl_worker *owner;
		struct pl_event *ev;
		size_t n;

		while (!job->n && !job->done && !(run->next <= i && pl_stopped(run->pl))) {
			if (pl_help(run))
				continue;
			if (pl_wait_ready(run) && quiet && !job->n) {
				quiet = false;
				pthread_mutex_unlock(&run->mu);
				run->pl->cfg.quiet(run->pl->data);
				pthread_mutex_lock(&run->mu);
			}
		}
		if (!job->n)
			break;
		quiet = may_quiet;
		ev = job->ev;
		n = job->n;
		owner = job->owner;
		job->ev = NULL;
		job->n = job->cap = 0;
		pl_writer_idle(run, false);
		pthread_mutex_unlock(&run->mu);
		for (size_t k = 0; k < n; k++)
			pl_play(run, &ev[k]);
		pthread_mutex_lock(&run->mu);
		ALLOC_GROW(owner->trash, owner->ntrash, owner->trashcap);
		owner->trash[owner->ntrash].ev = ev;
		owner->trash[owner->ntrash++].n = n;
	}
	job->done = false;
	run->head = i + 1;
	pthread_cond_broadcast(&run->work);
	pthread_mutex_unlock(&run->mu);
}

/* ---------------------------------------------------------------------- */
/* the walk, the run */

static void pl_walk_diag(void *data, const char *line)
{
	sbuf_adds(&((struct pipeline_run *)data)->said_now, line);
}

static char *pl_walk_said(struct pipeline_run *run)
{
	return run->said_now.len ? sbuf_detach(&run->said_now) : NULL;
}

static void pl_walk_visit(struct ctx *ctx, const char *path, bool waits, void *data)
{
	struct pipeline_run *run = data;

	(void)ctx;
	if (run->npaths + 1 >= run->cap) {
		run->cap = run->cap ? 2 * run->cap : 64;
		run->paths = xrealloc(run->paths, run->cap * sizeof(*run->paths));
		run->pre = xrealloc(run->pre, run->cap * sizeof(*run->pre));
		run->waits = xrealloc(run->waits, run->cap * sizeof(*run->waits));
	}
	run->pre[run->npaths] = pl_walk_said(run);
	run->waits[run->npaths] = waits;
	run->paths[run->npaths++] = xstrdup(path);
}

/* Every file args name, what the walk says kept for its place. */
static void pl_walk(struct pipeline_run *run, char *const *args, int nargs)
{
	struct ctx *ctx = run->pl->ctx;
	void (*diag)(void *, const char *) = ctx->diag;
	void *diag_data = ctx->diag_data;

	ctx->diag = pl_walk_diag;
	ctx->diag_data = run;
	input_walk(ctx, args, nargs, pl_walk_visit, run);
	ctx->diag = diag;
	ctx->diag_data = diag_data;
	if (run->npaths + 1 > run->cap) {
		run->cap = run->npaths + 1;
		run->paths = xrealloc(run->paths, run->cap * sizeof(*run->paths));
		run->pre = xrealloc(run->pre, run->cap * sizeof(*run->pre));
	}
	run->pre[run->npaths] = pl_walk_said(run);
}

static void pl_say_pre(struct pipeline_run *run, size_t i)
{
	if (run->pre[i])
		kt_diag_line(run->pl->ctx, run->pre[i]);
}

/* One thread: the files in order, as pipeline_run() with jobs = 1 reads them. */
static void pl_run_one(struct pipeline_run *run)
{
	for (size_t i = 0; i < run->npaths; i++) {
		pl_say_pre(run, i);
		if (pl_stopped(run->pl))
			continue;
		if (run->pl->cfg.before_file)
			run->pl->cfg.before_file(run->waits[i], run->pl->data);
		pipeline_run_file(run->pl, run->paths[i]);
	}
	pl_say_pre(run, run->npaths);
}

static void pl_worker_init(struct pipeline_run *run, struct pl_worker *w)
{
	struct pipeline *pl = run->pl;
	static const struct pipeline_ops ops = { pl_file_begin, pl_no_report, pl_file_end };

	w->run = run;
	w->pl = *pl;
	w->pl.parent = pl;
	w->pl.run = run;
	w->pl.ops = ops;
	w->pl.data = w;
	w->pl.ctx = &w->ctx;
	w->pl.warned_release = false;
	w->pl.once = NULL;
	w->pl.nonce = w->pl.oncecap = 0;
	if (pl->cfg.worker_cls)
		w->pl.cfg.cls = pl->cfg.worker_cls(pl->data);
	w->ctx = *pl->ctx;
	w->ctx.errors = w->ctx.warnings = w->ctx.worst_exit = 0;
	w->ctx.diag = pl_diag;
	w->ctx.diag_data = w;
}

/* After the workers: their counts into the caller's context, their classifiers freed. */
static void pl_worker_fini(struct pipeline_run *run, struct pl_worker *w)
{
	struct ctx *ctx = run->pl->ctx;

	if (w->started)
		pthread_join(w->tid, NULL);
	ctx->errors += w->ctx.errors;
	ctx->warnings += w->ctx.warnings;
	if (w->ctx.worst_exit > ctx->worst_exit)
		ctx->worst_exit = w->ctx.worst_exit;
	if (run->pl->cfg.worker_cls && run->pl->cfg.worker_cls_free)
		run->pl->cfg.worker_cls_free(w->pl.cfg.cls, run->pl->data);
	once_release(w->pl.once, w->pl.nonce);
	free(w->pend);
	pl_trash_free(run->pl, w->trash, w->ntrash);
}

static void pl_start(struct pipeline_run *run)
{
	sigset_t block, old;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	/* the signals come to the writer's thread, which ends the store's transaction */
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (int i = 0; i < run->nw; i++) {
		int e = pthread_create(&run->w[i].tid, NULL, pl_worker_main, &run->w[i]);

		if (e)
			kt_die("cannot start a worker thread: %s", strerror(e));
		run->w[i].started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* The workers over the files, the writer (this thread) after them in order. */
static void pl_run_many(struct pipeline_run *run, int jobs)
{
	pthread_mutex_init(&run->mu, NULL);
	pthread_cond_init(&run->work, NULL);
	pthread_cond_init(&run->ready, NULL);
	run->nslot = 2 * (size_t)jobs;
	run->slot = xcalloc(run->nslot, sizeof(*run->slot));
	run->nw = jobs;
	run->jobs = jobs;
	run->writer_busy = true;
	/* and the writer's own (pl_help()) */
	run->w = xcalloc((size_t)jobs + 1, sizeof(*run->w));
	for (int i = 0; i <= jobs; i++)
		pl_worker_init(run, &run->w[i]);
	run->w[jobs].writer = true;
	run->pl->jobs_run = run;
	pl_start(run);
	for (size_t i = 0; i < run->npaths; i++) {
		pl_say_pre(run, i);
		if (!run->quit)
			pl_play_file(run, i);
		if (pl_stopped(run->pl) && !run->quit) {
			pthread_mutex_lock(&run->mu);
			run->quit = true;
			pthread_cond_broadcast(&run->work);
			pthread_mutex_unlock(&run->mu);
		}
	}
	pl_say_pre(run, run->npaths);
	pthread_mutex_lock(&run->mu);
	run->quit = true;
	pthread_cond_broadcast(&run->work);
	pthread_mutex_unlock(&run->mu);
	for (int i = 0; i <= jobs; i++)
		pl_worker_fini(run, &run->w[i]);
	run->pl->jobs_run = NULL;
	for (size_t i = 0; i < run->nslot; i++) {
		for (size_t k = 0; k < run->slot[i].n; k++)
			event_release(run->pl, &run->slot[i].ev[k]);
		free(run->slot[i].ev);
	}
	free(run->slot);
	free(run->w);
	pthread_cond_destroy(&run->ready);
	pthread_cond_destroy(&run->work);
	pthread_mutex_destroy(&run->mu);
}

static int pl_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > PIPELINE_MAX_JOBS ? PIPELINE_MAX_JOBS : (int)n;
}

void pipeline_jobs_run(struct pipeline *pl, char *const *args, int nargs)
{
	struct pipeline_run run = { .pl = pl };
	int jobs = pl->cfg.jobs;

	pl_walk(&run, args, nargs);
	if (jobs <= 0)
		jobs = run.npaths > 1 ? pl_cpus() : 1;
	if ((size_t)jobs > run.npaths)
		jobs = (int)run.npaths;
	if (jobs <= 1)
		pl_run_one(&run);
	else
		pl_run_many(&run, jobs);
	for (size_t i = 0; i < run.npaths; i++) {
		free(run.paths[i]);
		free(run.pre[i]);
	}
	free(run.pre ? run.pre[run.npaths] : NULL);
	free(run.paths);
	free(run.pre);
	free(run.waits);
	sbuf_release(&run.said_now);
	once_release(run.problems, run.nproblems);
	for (size_t i = 0; i < run.nsaid; i++)
		free(run.said[i]);
	free(run.said);
}
