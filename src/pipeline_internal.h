/* pipeline_internal.h - what pipeline.c and pipeline_jobs.c share. */
#ifndef PIPELINE_INTERNAL_H
#define PIPELINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "pipeline.h"

/* A warning said once per run (the first in input order wins): key, position, message. */
struct pipeline_once {
	char *key, *pos, *msg;
};

struct pipeline_run;

struct pipeline {
	struct ctx *ctx;
	struct pipeline_config cfg;
	struct pipeline_ops ops;
	void *data;
	bool warned_release;       /* said once per run: the logs' kernel is not the vmlinux's */
	bool dirty;                /* the file being read met something said once a run (pipeline_file.clean) */
	void *file;                /* what cfg.file_report keeps of the file being parsed */
	pthread_mutex_t sym_lock;  /* the symbolizer, shared by the workers */
	_Atomic uint64_t bytes;    /* text read (the parent's counts every worker's) */
	/* a worker's copy (pipeline_jobs.c): its parent, its run; the once-warnings before its next report */
	struct pipeline *parent;
	struct pipeline_run *run;
	struct pipeline_run *jobs_run;   /* the caller's, while pipeline_jobs_run() runs */
	struct pipeline_once *once;
	size_t nonce, oncecap;
};

/* Say a once-per-run warning (jobs = 1), or keep it for the next report (a worker). */
void pipeline_warn_once(struct pipeline *pl, const char *key, const char *pos, const char *msg);
/* A worker's symbolize stage: the problems the report's frames met, as once-warnings (sym lock held). */
void pipeline_jobs_problems(struct pipeline *pl, const struct report *r);
/* A worker's finished report, to its file's events. */
void pipeline_jobs_report(struct pipeline *pl, struct report *r, struct enrichment *e, void *prep);
/* A worker's recorded file: the writer replays it (or parses it, pipeline_file_here()). */
void pipeline_jobs_known(struct pipeline *pl, const char *path, const char *name, void *rec,
			 const struct pipeline_file *f);
/* The writer, for a worker's recorded file: begin, replay or else parse it here, end. */
void pipeline_file_here(struct pipeline *pl, const char *name, const char *path, void *rec,
			struct pipeline_file *f);
/* pipeline_writer_blocked() while the workers run. */
void pipeline_jobs_writer_blocked(struct pipeline_run *run, bool blocked);
/* pipeline_run() with the workers; files the walk found, said in order. */
void pipeline_jobs_run(struct pipeline *pl, char *const *args, int nargs);

#endif
