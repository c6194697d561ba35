/* progress.c - the scan's progress line on a terminal's stderr. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

#define PROGRESS_TICK_NS (100 * 1000 * 1000)   /* at most 10 redraws a second */

struct progress {
	struct ctx *ctx;
	void (*old_diag)(void *data, const char *line);
	void *old_data;
	pthread_mutex_t mu;        /* stderr: the line and the diagnostics */
	pthread_cond_t cv;
	pthread_t tid;
	bool quit, shown;
	size_t files;
	uint64_t bytes_total;
	_Atomic size_t done, reports;
	uint64_t (*bytes_read)(const void *data);
	const void *data;
	struct timespec t0;
};

bool progress_wanted(const struct ctx *ctx, bool streams_stdout)
{
	const char *term = getenv("TERM");

	if (ctx->quiet || !isatty(2) || (term && !strcmp(term, "dumb")))
		return false;
	return !(streams_stdout && isatty(1));
}

static double progress_elapsed(const struct progress *p)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - p->t0.tv_sec) + (double)(now.tv_nsec - p->t0.tv_nsec) / 1e9;
}

void progress_format(char *out, size_t outsz, int width, size_t done, size_t files, uint64_t bytes,
		     uint64_t bytes_total, size_t reports, double elapsed)
{
	double f = files > 1 ? (double)done / (double)files
		 : bytes_total ? (double)bytes / (double)bytes_total : 0;
	size_t n, cut;
	int len;

	len = snprintf(out, outsz, "scan: %zu/%zu file%s, %.1f MiB, %zu report%s, %.0f/s", done, files,
		       files == 1 ? "" : "s", (double)bytes / 1048576.0, reports, reports == 1 ? "" : "s",
		       elapsed > 0 ? (double)reports / elapsed : 0.0);
	n = len < 0 ? 0 : (size_t)len < outsz ? (size_t)len : outsz - 1;
	if (f > 0.001 && f < 1 && elapsed >= 1 && n < outsz) {
		long eta = (long)(elapsed * (1 - f) / f + 0.5);

		snprintf(out + n, outsz - n, ", ETA %ld:%02ld", eta / 60, eta % 60);
	}
	cut = width > 1 ? (size_t)width - 1 : 79;
	if (strlen(out) > cut)
		out[cut] = '\0';
}

static int progress_width(void)
{
	struct winsize ws;

	if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/* The line, drawn again (mu held). */
static void progress_draw(struct progress *p)
{
	char line[256];
	uint64_t bytes = p->bytes_read ? p->bytes_read(p->data) : 0;

	progress_format(line, sizeof(line), progress_width(), atomic_load(&p->done), p->files, bytes,
			p->bytes_total, atomic_load(&p->reports), progress_elapsed(p));
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	p->shown = true;
}

static void progress_erase(struct progress *p)
{
	if (!p->shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	p->shown = false;
}

static void *progress_main(void *arg)
{
	struct progress *p = arg;

	pthread_mutex_lock(&p->mu);
	while (!p->quit) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += PROGRESS_TICK_NS;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
		if (!p->quit)
			progress_draw(p);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* A diagnostic while the line shows: the line erased, the diagnostic said, the line back at the next tick. */
static void progress_diag(void *data, const char *line)
{
	struct progress *p = data;

	pthread_mutex_lock(&p->mu);
	progress_erase(p);
	fflush(stdout);
	fputs(line, stderr);
	pthread_mutex_unlock(&p->mu);
}

struct progress *progress_start(struct ctx *ctx, size_t files, uint64_t bytes,
				uint64_t (*bytes_read)(const void *data), const void *data)
{
	struct progress *p = xcalloc(1, sizeof(*p));
	sigset_t block, old;

	p->ctx = ctx;
	p->files = files;
	p->bytes_total = bytes;
	p->bytes_read = bytes_read;
	p->data = data;
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	if (pthread_create(&p->tid, NULL, progress_main, p)) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;   /* no line, nothing else lost */
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	p->old_diag = ctx->diag;
	p->old_data = ctx->diag_data;
	ctx->diag = progress_diag;
	ctx->diag_data = p;
	return p;
}

void progress_file_done(struct progress *p)
{
	if (p)
		atomic_fetch_add_explicit(&p->done, 1, memory_order_relaxed);
}

void progress_reports(struct progress *p, size_t n)
{
	if (p)
		atomic_fetch_add_explicit(&p->reports, n, memory_order_relaxed);
}

void progress_stop(struct progress *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = true;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->tid, NULL);
	progress_erase(p);
	p->ctx->diag = p->old_diag;
	p->ctx->diag_data = p->old_data;
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
