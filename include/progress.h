/*
 * progress.h - a progress line on stderr while a scan runs: files
 * done/total, MiB read, reports, their rate and the time left, redrawn by
 * a thread of its own at most 10 times a second and erased at the end.
 * Diagnostics said meanwhile (through the context) erase it first.
 */
#ifndef PROGRESS_H
#define PROGRESS_H

#include "kt.h"

struct progress;

/* Should a scan show one?  stderr is a terminal and not --quiet (and stdout is not that terminal's stream of JSON). */
bool progress_wanted(const struct ctx *ctx, bool streams_stdout);
/*
 * Start it: files and bytes are the totals (0: unknown); bytes_read(data)
 * is asked for the text read so far, from the progress thread.  The
 * context's diagnostics go through it until progress_stop().
 */
struct progress *progress_start(struct ctx *ctx, size_t files, uint64_t bytes,
				uint64_t (*bytes_read)(const void *data), const void *data);
/* A file was done; n more reports (any thread; p may be NULL). */
void progress_file_done(struct progress *p);
void progress_reports(struct progress *p, size_t n);
/* Erase the line, stop the thread, give the context its diagnostics back (p may be NULL). */
void progress_stop(struct progress *p);
/* The line for these counts (exposed for tests): into out, at most width - 1 columns. */
void progress_format(char *out, size_t outsz, int width, size_t done, size_t files, uint64_t bytes,
		     uint64_t bytes_total, size_t reports, double elapsed);

#endif
