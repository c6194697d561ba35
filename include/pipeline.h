/*
 * pipeline.h - the stages in order, for every file of a command:
 *
 *	read -> normalize -> join + parse -> symbolize -> classify -> enrich
 *
 * (the parser joins wrapped lines while it recognizes reports).  Finished
 * reports go to a callback; the pipeline prints nothing itself and says
 * what went wrong through the context's diagnostics.
 *
 * With jobs > 1, pipeline_run() reads, parses, symbolizes, classifies and
 * enriches that many files at once on worker threads, and calls the
 * callbacks on the caller's thread in input order, with every diagnostic
 * at the place one thread would have said it: what the callbacks see and
 * what stderr shows are those of jobs = 1.  Each worker has its own
 * classifier (worker_cls); the symbolizer is shared under a lock
 * (pipeline_lock_sym() for callbacks that use it too); at most 2 * jobs
 * files are in flight.
 */
#ifndef PIPELINE_H
#define PIPELINE_H

#include "enrich.h"
#include "report.h"

struct symbolizer;
struct classifier;
struct maint_db;

/* A file as it was read (pipeline_config.hash_files): its content, and what came of it. */
struct pipeline_file {
	uint64_t size;
	unsigned char hash[16];    /* XXH3-128 of its bytes */
	/*
	 * read to its end, unchanged while it was read, and nothing said for it
	 * nor held back to say once a run (a kernel not the vmlinux's, a
	 * module's problem): what its reports gave is all a parse gives
	 */
	bool clean;
	bool replayed;             /* its record was counted (replay()) instead of parsing it */
	void *made;                /* what file_done() made of its reports (NULL: nothing) */
	/* private: the file as hashed */
	uint64_t dev, ino;
	int64_t mtime_ns;
};

struct pipeline_config {
	struct symbolizer *sym;    /* NULL: frames stay as the log gave them */
	struct classifier *cls;    /* NULL: no verdict */
	const struct maint_db *maint; /* the tree's MAINTAINERS, for subsystems (NULL: directories) */
	bool force_text;           /* read every file as mail or prose (every line to the parser) */
	/* set (by a signal handler; atomic, as the workers read it): the file being read ends at
	   the next line, no other is opened */
	_Atomic int *stop;
	/* pipeline_run(): 1 one file after the other (the default); 0 as many as the CPUs when
	   more than one file is named or found; N (2..PIPELINE_MAX_JOBS) that many at once */
	int jobs;
	/* jobs > 1: a classifier for each worker, made and freed on the caller's thread */
	struct classifier *(*worker_cls)(void *data);
	void (*worker_cls_free)(struct classifier *c, void *data);
	/*
	 * Per report, after the enrich stage, on the thread that made it (a
	 * worker when jobs > 1), given the callbacks' data: what report_prep
	 * (called instead of ops.report, on the caller's thread) is given with
	 * the report (may be NULL), freed by prep_free after the call (or when
	 * there is none).  It must read only r, e and what is safe from any thread.
	 * With report_prep the report stays the pipeline's: it and prep are freed
	 * after the call, by the worker that made them (its heap, not the writer's).
	 */
	void *(*prepare)(const struct report *r, const struct enrichment *e, void *data);
	void (*report_prep)(struct report *r, const struct enrichment *e, void *prep, void *data);
	void (*prep_free)(void *prep, void *data);
	/*
	 * Per file parsed (may be NULL; with prepare), on the thread that
	 * parses it: file_report is given each report, its enrichment and
	 * what prepare made of it, *file NULL at the file's start, for the callee to keep what it
	 * will make of the file; at the file's end file_done (when the file was
	 * hashed: f) makes it, and file_end finds it in f->made.  file_free
	 * frees *file after file_end (or when the file was not hashed), on the
	 * thread that made it.
	 */
	void (*file_report)(void **file, const struct report *r, const struct enrichment *e, const void *prep,
			    void *data);
	void (*file_done)(void *file, const struct pipeline_file *f, void *data);
	void (*file_free)(void *file, void *data);
	/* hash every regular file before reading it (file_end is given what came of it) */
	bool hash_files;
	/*
	 * Files a scan read before (may be NULL; with hash_files): on the
	 * thread that reads the file, once it is hashed, the record of the
	 * file by its reader's name and content (what replay() needs, made
	 * there: the work off the caller's thread), or NULL.  A recorded file is
	 * not parsed: replay(), on the caller's thread between its file_begin
	 * and file_end, counts the record's reports instead -- or returns
	 * false, having counted nothing, and the file is parsed after all
	 * (on the caller's thread when jobs > 1).
	 */
	void *(*known)(const char *name, const struct pipeline_file *f, void *data);
	bool (*replay)(const char *name, void *rec, void *data);
	/* a record known() made, after its replay (on the thread that made it, when it can) */
	void (*known_free)(void *rec, void *data);
	/*
	 * The next file is about to be read (may be NULL): on the caller's
	 * thread, before the file is opened. waits: it may wait for ever
	 * (standard input, a FIFO, a terminal), so what the caller holds
	 * should not be held through it.
	 */
	void (*before_file)(bool waits, void *data);
	/*
	 * A file that may wait has had nothing more for 100 ms, after what it
	 * gave was passed on (may be NULL): on the caller's thread, once each
	 * time it goes quiet.
	 */
	void (*quiet)(void *data);
};
#define PIPELINE_MAX_JOBS 256

struct pipeline_ops {
	/* a file was opened, under the name the reader gives it (may be NULL) */
	void (*file_begin)(const char *name, void *data);
	/* a finished report: the callee owns r; e is valid during the call */
	void (*report)(struct report *r, const struct enrichment *e, void *data);
	/*
	 * the file was read to its end (rc 0) or to a read error (rc -1,
	 * reported) (may be NULL); f: how it was read (hash_files; NULL for
	 * standard input or what is not a regular file)
	 */
	void (*file_end)(const char *name, int rc, const struct pipeline_file *f, void *data);
};

struct pipeline;

struct pipeline *pipeline_new(struct ctx *ctx, const struct pipeline_config *cfg, const struct pipeline_ops *ops,
			      void *data);
/* Run one file ("-" is standard input): 0, or -1 when it could not be opened or read (reported). */
int pipeline_run_file(struct pipeline *pl, const char *path);
/* Run every file args name (directories recursively, as input_walk() does). */
void pipeline_run(struct pipeline *pl, char *const *args, int nargs);
void pipeline_free(struct pipeline *pl);
/* The symbolizer's lock (a layout callback of the classifier takes it around its use). */
void pipeline_lock_sym(struct pipeline *pl);
void pipeline_unlock_sym(struct pipeline *pl);
/*
 * The caller's thread (which plays the reports) is about to wait for
 * something other than the workers, a disk's sync or another writer's
 * lock (blocked), or is done waiting: with jobs, another worker may read
 * meanwhile.  Nothing without jobs, or outside pipeline_run().
 */
void pipeline_writer_blocked(struct pipeline *pl, bool blocked);
/* Bytes of text read so far, by every worker (any thread may ask). */
uint64_t pipeline_bytes_read(const struct pipeline *pl);
/* The number of files args name (directories walked, nothing said); stdin counts one. */
size_t pipeline_count_files(struct ctx *ctx, char *const *args, int nargs, uint64_t *bytes);

#endif
