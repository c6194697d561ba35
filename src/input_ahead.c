/*
 * input_ahead.c - a large log or mailbox read ahead on a second thread.
 *
 * A log's idle reader (input.c's skip_idle()) reads a chunk, counts its
 * newlines and looks for an anchor: almost all of a console log is passed
 * over that way; in mail (text_skip_idle()) it looks for the lines that
 * may begin a report or change the reading.  Here two threads do it, the
 * caller's and one more, each on its own chunks: the one more takes the
 * chunks in file order as they are free, the caller takes them in order
 * too, and while the chunk it waits for is being read it reads the next
 * one nobody has taken.  A chunk holds what its reading found (struct
 * input_ahead_chunk: its newlines, and its anchors or the lines to look
 * at), so that the reader passes over a log's chunk without an anchor
 * without looking at it, copies only the chunks it reads lines from, and
 * in those goes from one anchor or line to look at to the next.
 *
 * At most AHEAD_SLOTS chunks are read and not yet done with: the memory
 * stays small, and a reader busy with reports is not read far ahead of.
 * On a machine busy with other work the second thread may not run for a
 * scheduler's time slice while the reader waits for its chunk: then the
 * reader stops it and goes on alone (input.c tries again further on).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "input.h"
#include "input_ahead.h"
#include "kt.h"

#define AHEAD_SLOTS 8
#define AHEAD_MIN (8u << 20)    /* "auto": files at least this large */
#define AHEAD_SPIN 500          /* pauses before the thread ahead sleeps */
#define AHEAD_WAIT_US 1000      /* the reader's spin for the other's chunk (a chunk takes tens to hundreds of microseconds) */
/*
 * Past the spin the reader sleeps for the chunk, up to AHEAD_LATE_US, and
 * stops the other thread when it comes later, or late again within
 * AHEAD_LATE_SPAN chunks: a thread put off once in a while (a virtual
 * machine's CPU taken for a moment) is waited for, one that does not run
 * when it should (a machine busy with other work) is stopped.  Each stop
 * costs a stretch read alone (input.c's AHEAD_RETRY).
 */
#define AHEAD_LATE_US 10000
#define AHEAD_LATE_SPAN 64

struct slot {
	_Atomic uint64_t ready; /* 1 + the number of the chunk read into it, or 0 */
	char *mem;              /* INPUT_AHEAD_BACK bytes before the chunk, then the chunk */
	struct input_text_stop *stops;  /* INPUT_AHEAD_STOPS of them: a log's anchors, text's lines to look at */
	char *scratch;          /* text: a chunk's bytes, for input_text_stops() */
	struct input_ahead_chunk c;
};

/*
 * Chunks [0, claimed) are taken by a thread, [0, given) handed to the
 * reader, [0, done) done with.  The counters and the slots' ready are
 * atomic.  The thread ahead, when all slots are full, spins for a while,
 * then sleeps on cv (sleeping), woken when half are free.  The reader,
 * when the chunk it needs is the other thread's and it has nothing to
 * read meanwhile, spins for a while, then stops the other thread.
 */
struct input_ahead {
	int fd;
	uint64_t pos, end;
	size_t chunk;
	bool text;
	uint64_t nchunks;
	pthread_t tid;
	_Atomic uint64_t claimed, done;
	uint64_t given;         /* the reader's own */
	atomic_bool stop;
	bool halted;            /* the reader stopped the other thread (input_ahead_next()) */
	uint64_t late;          /* 1 + the last chunk the reader waited for past its spin, 0: none */
	atomic_bool sleeping;   /* the thread ahead waits on cv */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot slot[AHEAD_SLOTS];
};

static struct slot *ahead_slot(struct input_ahead *a, uint64_t k)
{
	return &a->slot[k % AHEAD_SLOTS];
}

/* pread() all of n bytes at off unless the file ends; the bytes read, or -1 (errno set) */
static ssize_t ahead_pread(int fd, char *p, size_t n, uint64_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, p + got, n - got, (off_t)(off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/*
 * A log's chunk: its anchors (each that begins in base[0, n), back bytes
 * before the chunk, and ends in it) and newlines, in one pass.
 */
static void log_anchors(struct slot *s, struct input_ahead_chunk *c, const char *base, size_t n, size_t back)
{
	const char *from = base, *e = base + n, *at;
	size_t nl, seen = 0, back_nl = input_count_newlines(base, back);

	c->stops = s->stops;
	while ((at = input_scan_anchor(from, (size_t)(e - from), &nl))) {
		struct input_text_stop *st = &s->stops[c->nstops];

		seen += nl;
		if (c->nstops == INPUT_AHEAD_STOPS) {
			c->cut = true;
			nl = input_count_newlines(at, (size_t)(e - at));
			break;
		}
		st->off = (uint32_t)(at - base) + INPUT_AHEAD_BACK - (uint32_t)back;
		st->nl = (uint32_t)(seen > back_nl ? seen - back_nl : 0);
		st->flags = (unsigned char)input_anchor_len(at);
		c->nstops++;
		from = at + 1;
	}
	c->nl = seen + nl - back_nl;
	c->anchor = c->nstops > 0;
}

/* Read chunk k into its slot and look it over (on either thread). */
static void ahead_read(struct input_ahead *a, uint64_t k)
{
	struct slot *s = ahead_slot(a, k);
	struct input_ahead_chunk *c = &s->c;
	uint64_t pos = a->pos + k * a->chunk;
	size_t back = pos < INPUT_AHEAD_BACK ? (size_t)pos : INPUT_AHEAD_BACK;
	size_t want = a->end - pos < a->chunk ? (size_t)(a->end - pos) : a->chunk;
	char *base = s->mem + INPUT_AHEAD_BACK - back;
	ssize_t r = ahead_pread(a->fd, base, back + want, pos - back);
	const char *q;

	memset(c, 0, sizeof(*c));
	c->pos = pos;
	c->data = s->mem + INPUT_AHEAD_BACK;
	c->tail = SIZE_MAX;
	if (r < 0) {
		c->err = errno ? errno : EIO;
	} else if ((size_t)r > back) {      /* (else the file is shorter now) */
		c->len = (size_t)r - back;
		if (a->text) {
			/* (a line begins the chunk after a newline, or where the reading began: at a line) */
			bool at_line = back ? base[back - 1] == '\n' : true;

			c->stops = s->stops;
			c->nstops = input_text_stops(c->data, c->len, at_line, s->scratch, s->stops, INPUT_AHEAD_STOPS);
			c->cut = c->nstops == INPUT_AHEAD_STOPS;
			/* (the last stop, the line not whole at the end, comes after every newline) */
			c->nl = c->cut ? input_count_newlines(c->data, c->len) : c->nstops ? s->stops[c->nstops - 1].nl : 0;
			atomic_store(&s->ready, k + 1);
			return;
		}
		log_anchors(s, c, base, (size_t)r, back);
		if (!c->anchor) {       /* (a chunk with one is copied whole: its tail would not be looked at) */
			q = memrchr(c->data, '\n', c->len);
			if (q)
				c->tail = (size_t)(q - c->data) + 1;
		}
	}
	atomic_store(&s->ready, k + 1);
}

/* Free slots: at least this many (1: a chunk can be claimed). */
static bool ahead_room(struct input_ahead *a, uint64_t want)
{
	return atomic_load(&a->claimed) + want <= atomic_load(&a->done) + AHEAD_SLOTS;
}

/* The next chunk nobody has taken, when its slot is free: its number, or -1. */
static int64_t ahead_claim(struct input_ahead *a)
{
	uint64_t c = atomic_load(&a->claimed);

	do {
		if (atomic_load(&a->stop) || c >= a->nchunks || c >= atomic_load(&a->done) + AHEAD_SLOTS)
			return -1;
	} while (!atomic_compare_exchange_weak(&a->claimed, &c, c + 1));
	return (int64_t)c;
}

static void ahead_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* the thread ahead goes on: half the slots are free (or it is to end) */
static bool ahead_may_go(struct input_ahead *a)
{
	return atomic_load(&a->stop) || atomic_load(&a->claimed) >= a->nchunks || ahead_room(a, AHEAD_SLOTS / 2);
}

/* The thread ahead waits for the reader: spinning, then asleep. */
static void ahead_wait(struct input_ahead *a)
{
	for (int i = 0; i < AHEAD_SPIN; i++) {
		if (ahead_may_go(a))
			return;
		ahead_pause();
	}
	pthread_mutex_lock(&a->mu);
	atomic_store(&a->sleeping, true);
	while (!ahead_may_go(a))
		pthread_cond_wait(&a->cv, &a->mu);
	atomic_store(&a->sleeping, false);
	pthread_mutex_unlock(&a->mu);
}

/* A slot is free, or the end has come: wake the thread ahead if it sleeps. */
static void ahead_wake(struct input_ahead *a)
{
	if (atomic_load(&a->sleeping)) {
		pthread_mutex_lock(&a->mu);
		pthread_cond_broadcast(&a->cv);
		pthread_mutex_unlock(&a->mu);
	}
}

static _Atomic unsigned test_delay_us, test_taken;

void input_ahead_test_delay(unsigned us)
{
	atomic_store(&test_delay_us, us);
	atomic_store(&test_taken, 0);
}

unsigned input_ahead_test_taken(void)
{
	return atomic_load(&test_taken);
}

static void *ahead_main(void *arg)
{
	struct input_ahead *a = arg;

	for (;;) {
		int64_t k = ahead_claim(a);

		if (k >= 0) {
			if (atomic_load(&test_delay_us)) {
				atomic_fetch_add(&test_taken, 1);
				usleep(atomic_load(&test_delay_us));
			}
			ahead_read(a, (uint64_t)k);
			continue;
		}
		if (atomic_load(&a->stop) || atomic_load(&a->claimed) >= a->nchunks)
			return NULL;
		ahead_wait(a);
	}
}

struct input_ahead *input_ahead_start(int fd, uint64_t pos, uint64_t end, size_t chunk, bool text)
{
	struct input_ahead *a;
	sigset_t all, old;
	int e;

	if (end <= pos || !chunk)
		return NULL;
	a = xcalloc(1, sizeof(*a));
	a->fd = fd;
	a->pos = pos;
	a->end = end;
	a->chunk = chunk;
	a->text = text;
	a->nchunks = (end - pos + chunk - 1) / chunk;
	for (int i = 0; i < AHEAD_SLOTS; i++) {
		a->slot[i].mem = xmalloc(INPUT_AHEAD_BACK + chunk);
		a->slot[i].stops = xmalloc(INPUT_AHEAD_STOPS * sizeof(*a->slot[i].stops));
		if (text)
			a->slot[i].scratch = xmalloc(chunk);
	}
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	/* signals are the caller's thread's to take (SIGINT ends a scan's transaction there) */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e = pthread_create(&a->tid, NULL, ahead_main, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		a->tid = 0;
		input_ahead_stop(a);
		return NULL;
	}
	return a;
}

/* the reader goes on: its chunk k is read, or there is one to read */
static bool ahead_reader_may_go(struct input_ahead *a, uint64_t k)
{
	return atomic_load(&ahead_slot(a, k)->ready) == k + 1 || (atomic_load(&a->claimed) < a->nchunks && ahead_room(a, 1));
}

static uint64_t now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

/*
 * The reader waits for the other thread's chunk k: spinning for as long
 * as reading a chunk can take (AHEAD_WAIT_US), then asleep a little at a
 * time.  0: it may go on; 1: it may, but the chunk was late; -1: it did
 * not come within AHEAD_LATE_US.
 */
static int ahead_reader_wait(struct input_ahead *a, uint64_t k)
{
	const struct timespec nap = { 0, 50 * 1000 };
	uint64_t t0 = 0, t;

	for (unsigned i = 1; !ahead_reader_may_go(a, k); i++) {
		ahead_pause();
		if (i % 64)
			continue;
		if (!t0) {
			t0 = now_us();
			continue;
		}
		t = now_us() - t0;
		if (t <= AHEAD_WAIT_US)
			continue;
		if (t > AHEAD_LATE_US)
			return -1;
		nanosleep(&nap, NULL);
		i = 0;  /* (the next check is a spin away) */
	}
	return t0 && now_us() - t0 > AHEAD_WAIT_US;
}

/* The other thread ends once its chunk is read: the chunks it took are all read. */
static void ahead_halt(struct input_ahead *a)
{
	atomic_store(&a->stop, true);
	ahead_wake(a);
	if (a->tid)
		pthread_join(a->tid, NULL);
	a->tid = 0;
	a->halted = true;
}

const struct input_ahead_chunk *input_ahead_next(struct input_ahead *a)
{
	uint64_t k = a->given;
	struct slot *s = ahead_slot(a, k);

	/*
	 * Read it here if nobody has; if the other thread reads it, read the
	 * next one meanwhile, or wait a little.  A longer wait is a machine
	 * busy with other work, where that thread does not run when it
	 * should: it is stopped, and the reading ends with what it has read.
	 */
	while (k < a->nchunks && atomic_load(&s->ready) != k + 1) {
		int64_t j = ahead_claim(a);

		if (j >= 0) {
			ahead_read(a, (uint64_t)j);
			continue;
		}
		if (a->halted)
			return NULL;
		switch (ahead_reader_wait(a, k)) {
		case 1:
			if (!a->late || k + 1 - a->late > AHEAD_LATE_SPAN) {
				a->late = k + 1;
				break;
			}
			/* fall through - late again soon */
		case -1:
			ahead_halt(a);
			break;
		}
	}
	if (k >= a->nchunks)
		return NULL;
	a->given++;
	return &s->c;
}

void input_ahead_done(struct input_ahead *a)
{
	if (atomic_load(&a->done) < a->given) {
		atomic_fetch_add(&a->done, 1);
		ahead_wake(a);
	}
}

uint64_t input_ahead_end(const struct input_ahead *a)
{
	uint64_t e = a->pos + a->given * a->chunk;

	return e < a->end ? e : a->end;
}

bool input_ahead_halted(const struct input_ahead *a)
{
	return a->halted;
}

void input_ahead_stop(struct input_ahead *a)
{
	if (!a)
		return;
	ahead_halt(a);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	for (int i = 0; i < AHEAD_SLOTS; i++) {
		free(a->slot[i].mem);
		free(a->slot[i].stops);
		free(a->slot[i].scratch);
	}
	free(a);
}

/* The CPUs this process may run on (taskset, a container's cpuset). */
static int ahead_cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return (int)sysconf(_SC_NPROCESSORS_ONLN);
	return CPU_COUNT(&set);
}

bool input_ahead_wanted(uint64_t size, bool *bad)
{
	const char *v = getenv("KCSAN_TRIAGE_READ_AHEAD");

	*bad = false;
	if (v && !strcmp(v, "on"))
		return true;
	if (v && !strcmp(v, "off"))
		return false;
	if (v && *v && strcmp(v, "auto"))
		*bad = true;
	return size >= AHEAD_MIN && ahead_cpus() > 1;
}
