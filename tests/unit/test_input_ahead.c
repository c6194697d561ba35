/* test_input_ahead.c - the read-ahead's chunks against what one thread finds in the same bytes. */
#define _GNU_SOURCE
#include "unit.h"

#include <errno.h>
#include <sched.h>

#include "input.h"
#include "input_ahead.h"

static char path[] = "/tmp/kt-ahead-unit.XXXXXX";

/* random text with newlines, and the anchors placed around every chunk boundary */
static char *make_file(size_t n, size_t chunk, unsigned seed)
{
	static const char *words[] = { "KCSAN", "bytes by", "on cpu" };
	char *b = malloc(n);
	int fd;

	static const char *mail[] = { "=3D", "=\n", "> ", "read ", "From ", "Date: x\n", "=42UG: ", "\r\n" };

	srand(seed);
	for (size_t i = 0; i < n; i++)
		b[i] = rand() % 50 ? (char)('a' + rand() % 26) : '\n';
	/* (text: the marks and words that make its lines stops, now and then) */
	for (size_t i = 0; seed > 100 && i + 8 < n; i += 1 + (size_t)rand() % 40) {
		const char *w = mail[rand() % 8];

		memcpy(b + i, w, strlen(w));
	}
	for (size_t at = chunk, k = 0; at + 16 < n; at += chunk, k++) {
		const char *w = words[k % 3];
		size_t shift = k % 11, len = strlen(w);

		/* some boundaries keep no anchor and no newline near them */
		if (k % 4 == 3)
			continue;
		if (at >= shift)
			memcpy(b + at - shift, w, len);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, b, n) != (ssize_t)n)
		UNIT_MISSING("a temporary file");
	if (fd >= 0)
		close(fd);
	return b;
}

/* text: a chunk's newlines and stops, as input_text_stops() finds them in the same bytes */
static void check_text_chunk(const struct input_ahead_chunk *c, const char *b, uint64_t pos, size_t len)
{
	struct input_text_stop *st = xmalloc(INPUT_AHEAD_STOPS * sizeof(*st));
	char *scratch = xmalloc(len + 1);
	size_t n = input_text_stops(b + pos, len, !pos || b[pos - 1] == '\n', scratch, st, INPUT_AHEAD_STOPS);

	CHECK_INT(c->nl, input_count_newlines_scalar(b + pos, len));
	CHECK_INT(c->nstops, n);
	for (size_t i = 0; i < n && n == c->nstops; i++)
		if (c->stops[i].off != st[i].off || c->stops[i].nl != st[i].nl || c->stops[i].flags != st[i].flags) {
			CHECK_INT(c->stops[i].off, st[i].off);  /* (the first that differs) */
			CHECK_INT(c->stops[i].nl, st[i].nl);
			CHECK_INT(c->stops[i].flags, st[i].flags);
			break;
		}
	free(st);
	free(scratch);
}

/* a log: a chunk's anchors, each found again by the scalar scanner from the one before on */
static void check_log_chunk(const struct input_ahead_chunk *c, const char *b, uint64_t pos, size_t len, size_t back)
{
	const char *from = b + pos - back, *e = b + pos + len, *at;
	size_t nl, seen = 0, k = 0, back_nl = input_count_newlines_scalar(b + pos - back, back);

	while ((at = input_scan_anchor_scalar(from, (size_t)(e - from), &nl)) && k < c->nstops) {
		const struct input_text_stop *st = &c->stops[k++];

		seen += nl;
		CHECK_INT(st->off, (size_t)(at - (b + pos)) + INPUT_AHEAD_BACK);
		CHECK_INT(st->nl, seen > back_nl ? seen - back_nl : 0);
		CHECK_INT(st->flags, !memcmp(at, "KCSAN", 5) ? 5 : !memcmp(at, "bytes by", 8) ? 8 : 6);
		from = at + 1;
	}
	CHECK(at == NULL && k == c->nstops && !c->cut);
	CHECK_INT(c->anchor, c->nstops > 0);
	CHECK_INT(c->nl, input_count_newlines_scalar(b + pos, len));
}

/* every chunk, in order: its bytes, newlines, tail and anchors (or stops) as the scalar scanners see them */
static void check_chunks(const char *b, size_t n, uint64_t from, size_t chunk, size_t clean_before, bool text)
{
	int fd = open(path, O_RDONLY);
	struct input_ahead *a = input_ahead_start(fd, from, n, chunk, text);
	const struct input_ahead_chunk *c;
	uint64_t pos = from;
	size_t nl, clean = clean_before;

	CHECK(a != NULL);
	while (a && (c = input_ahead_next(a))) {
		size_t back = pos < INPUT_AHEAD_BACK ? (size_t)pos : INPUT_AHEAD_BACK;
		size_t len = n - pos < chunk ? (size_t)(n - pos) : chunk;
		const char *q = memrchr(b + pos, '\n', len);

		CHECK_INT(c->pos, pos);
		CHECK_INT(c->len, len);
		CHECK_INT(c->err, 0);
		CHECK(!memcmp(c->data, b + pos, len));
		if (text) {
			check_text_chunk(c, b, pos, len);
			clean += c->nstops > 1;
		} else {
			CHECK_INT(c->anchor, input_scan_anchor_scalar(b + pos - back, back + len, &nl) != NULL);
			check_log_chunk(c, b, pos, len, back);
		}
		if (!text && !c->anchor) {
			CHECK_INT(c->tail, q ? (size_t)(q - (b + pos)) + 1 : SIZE_MAX);
			clean++;
		}
		pos += len;
		/* the reader takes its time now and then: the other thread runs ahead and waits */
		if (pos % (7 * chunk) == 0)
			usleep(1000);
		input_ahead_done(a);
	}
	/* stopped (a machine busy elsewhere, a slow sanitizer): the rest from where it ended, as input.c does */
	if (a && input_ahead_halted(a) && pos < n) {
		CHECK_INT(input_ahead_end(a), pos);
		input_ahead_stop(a);
		close(fd);
		check_chunks(b, n, pos, chunk, clean, text);
		return;
	}
	CHECK_INT(pos, n);
	CHECK(clean > 10);
	input_ahead_stop(a);
	close(fd);
}

static void test_chunks(void)
{
	int fd = mkstemp(path);
	char *b;

	if (fd < 0) {
		UNIT_MISSING("a temporary file");
		return;
	}
	close(fd);
	for (unsigned seed = 1; seed <= 4; seed++) {
		size_t chunk = seed == 4 ? 4096 : 64 + seed * 61;

		b = make_file(200 * chunk + seed * 17, chunk, seed);
		check_chunks(b, 200 * chunk + seed * 17, 0, chunk, 0, false);
		check_chunks(b, 200 * chunk + seed * 17, 3 * chunk + 5, chunk, 0, false);
		free(b);
		b = make_file(200 * chunk + seed * 17, chunk, seed + 100);
		check_chunks(b, 200 * chunk + seed * 17, 0, chunk, 0, true);
		check_chunks(b, 200 * chunk + seed * 17, 3 * chunk + 5, chunk, 0, true);
		free(b);
	}
	/* no chunks: nothing to read ahead */
	CHECK(input_ahead_start(0, 10, 10, 4096, false) == NULL);
	unlink(path);
}

/*
 * The second thread slow (delay: each of its chunks, in microseconds): the
 * reader stops it, has every chunk it read, and knows where they end.
 */
static void test_halt_after(unsigned delay)
{
	size_t chunk = 4096, n = 64 * chunk, got = 0;
	char *b = make_file(n, chunk, 9);
	int fd = open(path, O_RDONLY);
	struct input_ahead *a;
	const struct input_ahead_chunk *c;

	input_ahead_test_delay(delay);
	a = input_ahead_start(fd, 0, n, chunk, false);
	/* the other thread has taken its first chunk, and sleeps (however long it took to start) */
	for (int i = 0; a && !input_ahead_test_taken() && i < 100000; i++)
		usleep(100);
	while (a && (c = input_ahead_next(a))) {
		CHECK_INT(c->pos, got);
		CHECK(!memcmp(c->data, b + got, c->len));
		got += c->len;
		input_ahead_done(a);
		/*
		 * Once half its slots are free (input_ahead.c's AHEAD_SLOTS is 8)
		 * the other thread takes the next chunk and sleeps on it: the
		 * reader goes on when it has, to wait for that chunk late again.
		 */
		for (int i = 0; got >= 4 * chunk && !input_ahead_halted(a) && input_ahead_test_taken() < 2 && i < 10000; i++)
			usleep(100);
	}
	CHECK(a && input_ahead_halted(a));
	CHECK(got < n);
	CHECK_INT(a ? input_ahead_end(a) : 0, got);
	input_ahead_stop(a);
	input_ahead_test_delay(0);
	close(fd);
	free(b);
	unlink(path);
}

static void test_halt(void)
{
	/* a chunk later than the reader waits for: stopped at once */
	test_halt_after(20000);
	/* late, though within that wait, and late again soon: stopped too */
	test_halt_after(8000);
}

/* Every line an idle reader is handed, with its number and offset. */
static char *idle_lines(const char *file, const char *mode, unsigned delay)
{
	struct ctx ctx = { 0 };
	struct sbuf sb = SBUF_INIT;
	struct input_line l;
	struct input *in;

	ctx.quiet = 1;
	setenv("KCSAN_TRIAGE_READ_AHEAD", mode, 1);
	input_ahead_test_delay(delay);
	in = input_open(&ctx, file);
	while (in && input_next(in, &l, true) > 0)
		sbuf_addf(&sb, "%llu@%llu:%.*s\n", (unsigned long long)l.lineno, (unsigned long long)l.offset,
			  (int)l.len, l.text);
	input_close(in);
	input_ahead_test_delay(0);
	unsetenv("KCSAN_TRIAGE_READ_AHEAD");
	return sbuf_detach(&sb);
}

/*
 * The file holds b: the reader's lines with the read-ahead, and with it
 * stopped on the way, are those without it, which hold each of want.
 */
static void same_lines(const struct sbuf *b, const char *const *want, size_t nwant)
{
	char *off, *on, *halted;
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(b->buf, 1, b->len, f) != b->len) {
		UNIT_MISSING("a temporary file");
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	off = idle_lines(path, "off", 0);
	on = idle_lines(path, "on", 0);
	halted = idle_lines(path, "on", 20000);
	for (size_t i = 0; i < nwant; i++)
		CHECK(strstr(off, want[i]) != NULL);
	CHECK_STR(on, off);
	CHECK_STR(halted, off);
	free(off);
	free(on);
	free(halted);
	unlink(path);
}

/* The reader's lines with the read-ahead, and with it stopped on the way, are those without it. */
static void test_input_lines(void)
{
	struct sbuf log = SBUF_INIT;

	for (int i = 1; i <= 120000; i++) {
		sbuf_addf(&log, "[%12.6f] ordinary message number %d\n", i / 1000.0, i);
		if (i % 9000 == 0)
			sbuf_addf(&log, "[%12.6f] BUG: KCSAN: data-race in f%d+0x1/0x2\n", i / 1000.0, i);
	}
	same_lines(&log, (const char *const[]){ "BUG: KCSAN: data-race in f117000+0x1/0x2" }, 1);
	sbuf_release(&log);
}

/*
 * Mail, read ahead in text mode (the other thread finds the lines to look
 * at): the reader's lines, with it and with it stopped on the way, are
 * those without it.
 */
static void test_input_lines_text(void)
{
	struct sbuf mail = SBUF_INIT;

	for (int i = 1; i <= 4000; i++) {
		sbuf_addf(&mail, "From dev%d@example.org Mon Jan  1 00:00:00 2024\nSubject: Re: x %d\n  folded\n"
			  "Date: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <m%d@x>\n", i, i, i);
		sbuf_addf(&mail, "Content-Transfer-Encoding: %s\n\n", i % 2 ? "quoted-printable" : "8bit");
		sbuf_addf(&mail, "Hello =3D world, a line of the reply number %d that goes on to the w=\nidth=20\n"
			  "> HEAD commit:    0123456789ab Merge\n> a quoted line of text, ordinary\n", i);
		if (i % 7 == 0)
			sbuf_addf(&mail, "=\nBUG: KCSAN: data-race in f%d / g%d\n", i, i);
		if (i % 11 == 0)
			sbuf_addf(&mail, "=42UG: KCSAN: data-race in h%d / k%d\n\n", i, i);
		if (i % 13 == 0)
			sbuf_addf(&mail, "> BUG: KCSAN: data-race in q%d / r%d\n\n", i, i);
		sbuf_addf(&mail, "J=C3=BCrgen wrote:\n> =20\n-- =20\nRegards\n\n");
	}
	same_lines(&mail, (const char *const[]){ "BUG: KCSAN: data-race in f3997 / g3997",
			"BUG: KCSAN: data-race in h3993 / k3993", "BUG: KCSAN: data-race in q3991 / r3991" }, 3);
	sbuf_release(&mail);
}

/* A read that fails is the chunk's errno, in order; stopping in the middle joins the thread. */
static void test_errors_and_stop(void)
{
	int fd = open("/dev/null", O_RDONLY), dir = open("/tmp", O_RDONLY | O_DIRECTORY);
	struct input_ahead *a = input_ahead_start(dir, 0, 1 << 20, 4096, false);
	const struct input_ahead_chunk *c = a ? input_ahead_next(a) : NULL;

	CHECK(c != NULL);
	if (c) {
		CHECK_INT(c->err, EISDIR);
		CHECK_INT(c->len, 0);
	}
	input_ahead_stop(a);
	/* a file shorter than said: an empty chunk, then the rest */
	a = input_ahead_start(fd, 0, 3 * 4096, 4096, false);
	c = a ? input_ahead_next(a) : NULL;
	CHECK(c != NULL);
	if (c) {
		CHECK_INT(c->err, 0);
		CHECK_INT(c->len, 0);
	}
	input_ahead_stop(a);
	close(fd);
	close(dir);
}

static void test_wanted(void)
{
	bool bad;

	setenv("KCSAN_TRIAGE_READ_AHEAD", "on", 1);
	CHECK(input_ahead_wanted(1, &bad) && !bad);
	setenv("KCSAN_TRIAGE_READ_AHEAD", "off", 1);
	CHECK(!input_ahead_wanted(1ull << 40, &bad) && !bad);
	setenv("KCSAN_TRIAGE_READ_AHEAD", "auto", 1);
	CHECK(!input_ahead_wanted(1 << 20, &bad) && !bad);
	{
		cpu_set_t set;

		CHECK(!sched_getaffinity(0, sizeof(set), &set));
		CHECK_INT(input_ahead_wanted(1ull << 30, &bad), CPU_COUNT(&set) > 1);
	}
	setenv("KCSAN_TRIAGE_READ_AHEAD", "2", 1);
	CHECK(!input_ahead_wanted(1 << 20, &bad) && bad);
	unsetenv("KCSAN_TRIAGE_READ_AHEAD");
	CHECK(!input_ahead_wanted(1 << 20, &bad) && !bad);
}

UNIT_MAIN(TEST(test_chunks), TEST(test_halt), TEST(test_input_lines), TEST(test_input_lines_text),
	  TEST(test_errors_and_stop), TEST(test_wanted))
