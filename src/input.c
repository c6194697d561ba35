/* input.c - streaming reader: logs, mail text, quoted-printable, base64. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "decompress.h"
#include "input.h"
#include "input_ahead.h"
#include "mailmeta.h"
#include "normalize.h"

#define BUF_SIZE (2 * INPUT_MAX_LINE)
/*
 * Read at most this much at a time: the bytes just read are still in the
 * cache when they are scanned, and the buffer's pages past the longest
 * line are never touched (the peak RSS stays small).
 */
#define READ_CHUNK (128 * 1024)
#define SNIFF_SIZE (64 * 1024)
#define BACKUP_LINES 2          /* lines to look at before an anchor */
#define AHEAD_RETRY (64u << 20) /* read alone this far after the read-ahead was of no use */
#define AHEAD_RING 4            /* the chunks read ahead whose stops are kept */

struct qline {
	char *text;
	size_t len;
	uint64_t lineno, offset;
};

struct input {
	struct ctx *ctx;
	char *name;
	int fd;
	const _Atomic int *stop; /* a pipe's, FIFO's or terminal's: the context's stop (kt_read()) */
	struct kt_quiet quiet;  /* input_on_quiet() */
	bool waits;             /* not a regular file: reading may wait for ever */
	struct decomp *dec;     /* compressed input: its decoder */
	char *buf;
	size_t start, end;      /* unconsumed bytes are buf[start, end) */
	bool eof, err;
	uint64_t lineno;        /* number of the physical line at buf[start] */
	uint64_t offset;        /* file offset of buf[start] */
	bool skipping_rest;     /* inside a line longer than INPUT_MAX_LINE */
	bool phys_newline;      /* the last physical line ended with a newline */
	enum input_mode mode;
	uint64_t linemode_until; /* do not skip before this file offset */
	/* mail state */
	bool qp;                /* quoted-printable decoding */
	bool b64_expected;      /* a base64 body was announced by a header */
	int b64_state;          /* 0 none, 1 committed block, 2 binary block (skip) */
	struct sbuf b64text;    /* decoded bytes not yet split into lines */
	uint64_t b64_lineno, b64_offset;
	/* queue of lines ready to hand out */
	struct qline *q;
	size_t qhead, qlen, qcap;
	struct sbuf line;       /* the current line when copied */
	struct sbuf qpraw;      /* quoted-printable: a line joined over its soft breaks, before decoding */
	struct qline cur;       /* the line handed out from the queue */
	struct qline *pb;       /* physical lines read ahead and pushed back */
	size_t npb, pbcap;
	struct qline pbcur;     /* the pushed-back line handed out last */
	bool warned_long, warned_binary, warned_nul;
	enum decomp_kind kind;
	struct mailmeta *meta;  /* takes the mail headers (mailmeta.h), or NULL */
	struct normalizer nz;   /* an idle reader's metadata lines, normalized for meta */
	/* a large log read ahead (input_ahead.c): the chunk being copied, and how much of it */
	struct input_ahead *ahead;
	const struct input_ahead_chunk *chunk;
	size_t chunk_used;
	bool ahead_tried;
	uint64_t ahead_retry;   /* after it was of no use: not before this offset */
	/*
	 * The stops of the last chunks taken (by chunk number, modulo): a
	 * log's anchors, the lines of text to look at.  Where the chunks begin
	 * (the offset of chunk 0's), the number of the line that holds that
	 * offset, and the next chunk's number and newlines before it (from
	 * chunk 0's start).
	 */
	uint64_t ahead_at, ahead_line, ahead_k, ahead_nl;
	struct stop_ring {
		uint64_t k;     /* 1 + the chunk's number, 0: none */
		uint64_t nl;    /* the newlines before it */
		struct input_text_stop *st;
		size_t n, cur;  /* its stops, the first not before the reader */
		bool cut;       /* it had more */
	} ring[AHEAD_RING];
};

/* ---------------------------------------------------------------------- */
/* buffer management */

static void report_read_error(struct input *in, int e)
{
	char *pos = xplace(in->name, in->lineno);

	kt_error(in->ctx, KT_EXIT_INPUT, pos, "read error: %s", strerror(e));
	free(pos);
	in->err = true;
	in->eof = true;
}

/* A decoder's failure: what was decoded is kept, the exit status says the rest is lost. */
static void report_decomp_error(struct input *in, ssize_t r)
{
	const char *kind = decomp_name(in->kind);

	if (r == DECOMP_ERR_READ) {
		report_read_error(in, errno);
		return;
	}
	in->eof = true;
	if (r == DECOMP_ERR_CAP) {
		kt_warn_exit(in->ctx, KT_EXIT_INPUT, in->name,
			     "%s data decompresses to more than %llu bytes (the cap, $KCSAN_TRIAGE_MAX_DECOMPRESSED); "
			     "the rest is not read", kind, (unsigned long long)decomp_out_offset(in->dec));
		return;
	}
	kt_warn_exit(in->ctx, KT_EXIT_INPUT, in->name,
		     "%s data %s at byte %llu of the file, after %llu decompressed bytes; the rest is not read",
		     kind, decomp_why(in->dec), (unsigned long long)decomp_in_offset(in->dec),
		     (unsigned long long)decomp_out_offset(in->dec));
}

/*
 * The read-ahead is over: reading goes on from where it ended (the file
 * may have grown).  When it was of no use (the other thread did not run
 * when needed), the reader reads alone for a while, then tries again.
 */
static void ahead_end(struct input *in)
{
	off_t at = (off_t)input_ahead_end(in->ahead);

	if (input_ahead_halted(in->ahead)) {
		in->ahead_tried = false;
		in->ahead_retry = in->offset + (in->end - in->start) + AHEAD_RETRY;
	}
	input_ahead_stop(in->ahead);
	in->ahead = NULL;
	in->chunk = NULL;
	for (int i = 0; i < AHEAD_RING; i++)
		in->ring[i].k = 0;
	if (lseek(in->fd, at, SEEK_SET) < 0)
		report_read_error(in, errno);
}

/* A chunk taken (copied or passed over): its stops kept, for ahead_text_skip() and ahead_log_find(). */
static void ahead_keep_stops(struct input *in, const struct input_ahead_chunk *c)
{
	struct stop_ring *g = &in->ring[in->ahead_k % AHEAD_RING];

	if (!g->st)
		g->st = xmalloc(INPUT_AHEAD_STOPS * sizeof(*g->st));
	memcpy(g->st, c->stops, c->nstops * sizeof(*g->st));
	g->n = c->nstops;
	g->cut = c->cut;
	g->cur = 0;
	g->k = ++in->ahead_k;
	g->nl = in->ahead_nl;
	in->ahead_nl += c->nl;
}

/* The kept stops of the chunk that holds offset at, or NULL. */
static struct stop_ring *ahead_ring(struct input *in, uint64_t at)
{
	uint64_t k;
	struct stop_ring *g;

	if (!in->ahead || at < in->ahead_at)
		return NULL;
	k = (at - in->ahead_at) / READ_CHUNK;
	g = &in->ring[k % AHEAD_RING];
	return g->k == k + 1 ? g : NULL;
}

/* A kept chunk's stops: the first at or after rel (its cursor moved there; the reader only goes forward). */
static const struct input_text_stop *ahead_ring_seek(struct stop_ring *g, uint64_t rel)
{
	while (g->cur < g->n && g->st[g->cur].off < rel)
		g->cur++;
	return g->cur < g->n ? &g->st[g->cur] : NULL;
}

/*
 * The lines from the reader's to the one numbered ahead_line + nl (the
 * stops' count from chunk 0) in *lines; false when that would go back,
 * where the reader's lines are not counted as the stops count them.
 */
static bool ahead_lines_to(const struct input *in, uint64_t nl, size_t *lines)
{
	uint64_t line = in->ahead_line + nl;

	if (line < in->lineno)
		return false;
	*lines = (size_t)(line - in->lineno);
	return true;
}

/*
 * input_text_skip() by the stops the other thread found: the reader at a
 * line's start, in a chunk whose stops are kept, passes over the lines to
 * the next stop of its decoding, when that stop is in the buffer.  False
 * when it cannot tell: input_text_skip() looks.
 */
static bool ahead_text_skip(struct input *in, const char **r, size_t *nl)
{
	struct stop_ring *g = ahead_ring(in, in->offset);
	unsigned want = in->qp ? INPUT_STOP_QP : INPUT_STOP_PLAIN;
	const struct input_text_stop *st;
	uint64_t rel, to;

	if (!g)
		return false;
	rel = (in->offset - in->ahead_at) % READ_CHUNK;
	for (st = ahead_ring_seek(g, rel); st && st < g->st + g->n && !(st->flags & want); st++)
		;
	if (!st || st == g->st + g->n)
		return false;   /* (the chunk had more stops than were kept) */
	to = st->off - rel;
	/* (beyond the buffer: a long line's) */
	if (to > in->end - in->start || !ahead_lines_to(in, g->nl + st->nl, nl))
		return false;
	*r = in->buf + in->start + to;
	return true;
}

/*
 * input_scan_anchor() of the buffer by the anchors the other thread found:
 * 1, the first anchor whole in the buffer at *a, and *nl the newlines
 * before it; 0, none, and *nl the newlines in the buffer; -1 when it cannot
 * tell (the buffer holds bytes of chunks not kept, or a chunk had more
 * anchors than were kept): input_scan_anchor() looks.
 */
static int ahead_log_find(struct input *in, const char **a, size_t *nl)
{
	uint64_t at = in->offset, e = at + (in->end - in->start);
	struct stop_ring *g;

	if (!in->ahead || at < in->ahead_at)
		return -1;
	/* (a log's stops begin INPUT_AHEAD_BACK bytes before their chunk) */
	for (uint64_t base = at - (at - in->ahead_at) % READ_CHUNK; (g = ahead_ring(in, base)); base += READ_CHUNK) {
		uint64_t rel = at + INPUT_AHEAD_BACK > base ? at + INPUT_AHEAD_BACK - base : 0;
		const struct input_text_stop *st = ahead_ring_seek(g, rel);

		if (st) {
			uint64_t x = base + st->off - INPUT_AHEAD_BACK;

			if (x + st->flags > e)
				break;  /* the first is not whole in the buffer */
			if (!ahead_lines_to(in, g->nl + st->nl, nl))
				return -1;
			*a = in->buf + in->start + (x - at);
			return 1;
		}
		if (g->cut)
			return -1;
		if (base + READ_CHUNK >= e)
			break;
	}
	if (!g)
		return -1;
	/* none: the newlines to the buffer's end, when it is the end of the chunks taken */
	if (in->chunk || e != in->ahead_at + in->ahead_k * READ_CHUNK || !ahead_lines_to(in, in->ahead_nl, nl))
		return -1;
	*a = NULL;
	return 0;
}

/*
 * refill() from the read-ahead: up to room bytes of its next chunk, as
 * read() would give them, in *r.  False when it is over: read() goes on.
 */
static bool ahead_read(struct input *in, size_t room, ssize_t *r)
{
	const struct input_ahead_chunk *c = in->chunk;
	size_t n;

	if (!c) {
		c = in->chunk = input_ahead_next(in->ahead);
		in->chunk_used = 0;
		if (!c) {
			ahead_end(in);
			*r = 0;         /* (a failed seek is reported, and the end) */
			return in->err;
		}
		ahead_keep_stops(in, c);
	}
	if (c->err) {
		errno = c->err;
		*r = -1;
		return true;
	}
	n = c->len - in->chunk_used < room ? c->len - in->chunk_used : room;
	memcpy(in->buf + in->end, c->data + in->chunk_used, n);
	in->chunk_used += n;
	if (in->chunk_used == c->len) {
		input_ahead_done(in->ahead);
		in->chunk = NULL;
	}
	*r = (ssize_t)n;
	return true;
}

/* Read more data; returns false at the end of input. */
static bool refill(struct input *in)
{
	size_t room;
	ssize_t r;

	if (in->eof)
		return false;
	if (in->start > 0) {
		memmove(in->buf, in->buf + in->start, in->end - in->start);
		in->end -= in->start;
		in->start = 0;
	}
	if (in->end == BUF_SIZE)
		return true;    /* full: the caller handles the long line */
	room = BUF_SIZE - in->end < READ_CHUNK ? BUF_SIZE - in->end : READ_CHUNK;
	if (in->dec) {
		r = decomp_read(in->dec, in->buf + in->end, room);
		if (r < 0) {
			report_decomp_error(in, r);
			return false;
		}
	} else {
		if (!in->ahead || !ahead_read(in, room, &r))
			r = kt_read(in->fd, in->buf + in->end, room, in->stop, &in->quiet);
		if (r < 0) {
			report_read_error(in, errno);
			return false;
		}
	}
	if (r == 0) {
		in->eof = true;
		return false;
	}
	in->end += (size_t)r;
	return true;
}

/*
 * Compressed input is told by its magic number, in the first bytes (never
 * by the name): from then on refill() reads through a decoder.
 */
static void detect_compression(struct input *in)
{
	uint64_t cap;

	while (in->end < DECOMP_MAGIC_MAX && refill(in))
		;
	in->kind = in->err ? DECOMP_NONE : decomp_detect((const unsigned char *)in->buf, in->end);
	if (in->kind == DECOMP_NONE)
		return;
	if (decomp_cap_from_env(&cap) < 0)
		kt_warn(in->ctx, NULL, "KCSAN_TRIAGE_MAX_DECOMPRESSED: not a size (such as 512M or 64G); "
			"the default, 64G, is used");
	in->dec = decomp_new(in->kind, in->fd, in->buf, in->end, cap);
	if (!in->dec)
		kt_die("out of memory (a %s decoder)", decomp_name(in->kind));
	decomp_set_stop(in->dec, in->stop, &in->quiet);
	in->start = in->end = 0;
	in->eof = in->err = false;
}

static void warn_pos(struct input *in, uint64_t lineno, const char *fmt, const char *what)
{
	char *pos = xplace(in->name, lineno);

	kt_warn(in->ctx, pos, fmt, what);
	free(pos);
}

static void warn_exit_pos(struct input *in, uint64_t lineno, const char *fmt, const char *what)
{
	char *pos = xplace(in->name, lineno);

	kt_warn_exit(in->ctx, KT_EXIT_INPUT, pos, fmt, what);
	free(pos);
}

/*
 * The next physical line, without its newline and trailing CRs.  *p points
 * into the buffer and stays valid until the next call.  Returns false at the
 * end of input.
 */
static bool phys_line(struct input *in, const char **p, size_t *n, uint64_t *lineno,
		      uint64_t *offset, bool *cut)
{
	char *nl;
	size_t len, consumed;

	*cut = false;
	if (in->npb) {
		free(in->pbcur.text);
		in->pbcur = in->pb[--in->npb];
		*p = in->pbcur.text;
		*n = in->pbcur.len;
		*lineno = in->pbcur.lineno;
		*offset = in->pbcur.offset;
		return true;
	}
	for (;;) {
		nl = memchr(in->buf + in->start, '\n', in->end - in->start);
		if (in->skipping_rest) {
			if (nl) {
				consumed = (size_t)(nl - (in->buf + in->start)) + 1;
				in->start += consumed;
				in->offset += consumed;
				in->lineno++;
				in->skipping_rest = false;
				continue;
			}
			in->offset += in->end - in->start;
			in->start = in->end;
			if (!refill(in))
				return false;
			continue;
		}
		if (nl)
			break;
		if (in->end - in->start >= INPUT_MAX_LINE) {
			/* a giant line: hand out its head, drop the rest */
			len = INPUT_MAX_LINE;
			*p = in->buf + in->start;
			*n = len;
			*lineno = in->lineno;
			*offset = in->offset;
			*cut = true;
			in->phys_newline = true;
			in->start += len;
			in->offset += len;
			in->skipping_rest = true;
			if (!in->warned_long) {
				in->warned_long = true;
				warn_pos(in, *lineno, "line longer than %s bytes; only its head is read", "1048576");
			}
			return true;
		}
		if (!refill(in)) {
			if (in->start == in->end)
				return false;
			/* last line without a newline */
			nl = in->buf + in->end;
			break;
		}
	}
	len = (size_t)(nl - (in->buf + in->start));
	*p = in->buf + in->start;
	*lineno = in->lineno;
	*offset = in->offset;
	consumed = len + (nl < in->buf + in->end ? 1 : 0);
	in->phys_newline = nl < in->buf + in->end;
	in->start += consumed;
	in->offset += consumed;
	in->lineno++;
	while (len && (*p)[len - 1] == '\r' && in->mode != INPUT_RAW)
		len--;
	*n = len;
	return true;
}

/* Push a physical line back; the next phys_line() returns it. */
static void unread_phys(struct input *in, const char *p, size_t n, uint64_t lineno, uint64_t offset)
{
	struct qline *ql;

	ALLOC_GROW(in->pb, in->npb, in->pbcap);
	ql = &in->pb[in->npb++];
	ql->text = xstrndup(p, n);
	ql->len = n;
	ql->lineno = lineno;
	ql->offset = offset;
}

/* ---------------------------------------------------------------------- */
/* sniffing: is this a kernel log, or mail and prose? */

/* "[  12.345678]", "<4>[...", "Mon DD hh:mm:ss host kernel:", "4,123,456,-;" */
static bool looks_log_prefixed(const char *p, size_t n)
{
	size_t i = 0;

	if (n >= 3 && p[0] == '<' && p[1] >= '0' && p[1] <= '9' && p[2] == '>')
		i = 3;
	if (i < n && p[i] == '[') {
		i++;
		while (i < n && (p[i] == ' ' || (p[i] >= '0' && p[i] <= '9')))
			i++;
		if (i < n && p[i] == '.')
			return true;
		/* dmesg -T: "[Thu May 28 03:51:42 2020]" */
		return n - i > 20 && p[i + 3] == ' ' && memchr(p + i, ']', n - i > 30 ? 30 : n - i);
	}
	if (n > 16 && p[0] >= 'A' && p[0] <= 'Z' && p[3] == ' ' && p[6] == ' ' && p[9] == ':' && p[12] == ':')
		return true;    /* syslog */
	if (n > 20 && p[4] == '-' && p[7] == '-' && p[10] == 'T' && p[13] == ':')
		return true;    /* ISO 8601 */
	if (n > 8 && p[0] >= '0' && p[0] <= '9' && p[1] == ',' && memchr(p, ';', n > 40 ? 40 : n))
		return true;    /* /dev/kmsg */
	return false;
}

static bool is_b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/* A line of a base64 body: 16..100 characters of the alphabet, padded. */
static bool b64_shape(const char *p, size_t n)
{
	size_t i = 0;
	bool lower = false, upper = false;

	if (n < 16 || n > 100 || n % 4)
		return false;
	for (; i < n && is_b64_char((unsigned char)p[i]); i++) {
		lower |= p[i] >= 'a' && p[i] <= 'z';
		upper |= p[i] >= 'A' && p[i] <= 'Z';
	}
	if (n - i > 2)
		return false;
	for (size_t j = i; j < n; j++)
		if (p[j] != '=')
			return false;
	return lower && upper;
}

/* p[0, n) starts with the string literal s */
#define HAS_PREFIX(p, n, s) ((n) >= sizeof(s) - 1 && !memcmp((p), (s), sizeof(s) - 1))

static bool is_mail_header(const char *p, size_t n)
{
	if (!n)
		return false;
	/* by the first letter: most lines begin with none of the headers' */
	switch (p[0]) {
	case 'F': return HAS_PREFIX(p, n, "From:") || HAS_PREFIX(p, n, "From ");
	case 'S': return HAS_PREFIX(p, n, "Subject:");
	case 'D': return HAS_PREFIX(p, n, "Date:");
	case 'M': return HAS_PREFIX(p, n, "Message-ID:") || HAS_PREFIX(p, n, "Message-Id:") ||
			 HAS_PREFIX(p, n, "MIME-Version:");
	case 'C': return HAS_PREFIX(p, n, "Content-Type:") || HAS_PREFIX(p, n, "Content-Transfer-Encoding:") ||
			 HAS_PREFIX(p, n, "Cc:");
	case 'I': return HAS_PREFIX(p, n, "In-Reply-To:");
	case 'R': return HAS_PREFIX(p, n, "References:");
	case 'T': return HAS_PREFIX(p, n, "To:");
	default: return false;
	}
}

/*
 * A head that is no text: more than one in 20 of its bytes other than NUL
 * are control characters that text does not hold (it holds tab, newline,
 * CR, form feed and ESC).  NUL bytes are left out: console logs can hold
 * runs of them (a reboot, a ring buffer that was never written).
 */
static bool binary_head(const char *p, size_t n)
{
	size_t bad = 0, nonnul = 0, i = 0;

#ifdef __SSE2__
	/* 16 bytes a step: the controls (below 0x20, but for the six text holds) and the NULs, counted by their bits */
	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
		__m128i ok = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_setzero_si128()), _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))),
					  _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\t'))));
		unsigned z = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_setzero_si128()));
		unsigned b;

		ok = _mm_or_si128(ok, _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\f')), _mm_cmpeq_epi8(v, _mm_set1_epi8(0x1b))));
		b = (unsigned)_mm_movemask_epi8(_mm_andnot_si128(ok, ctl));
		nonnul += 16 - (z ? (size_t)__builtin_popcount(z) : 0);
		bad += b ? (size_t)__builtin_popcount(b) : 0;
	}
#endif
	for (; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		nonnul += c != 0;
		bad += c && c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b;
	}
	return bad * 20 > nonnul;
}

static void sniff(struct input *in)
{
	size_t lines = 0, prefixed = 0, b64run = 0, n;
	bool text = false, nul;
	const char *p, *e, *nl;

	while (!in->eof && in->end - in->start < SNIFF_SIZE)
		if (!refill(in))
			break;
	p = in->buf + in->start;
	e = in->buf + (in->end - in->start > SNIFF_SIZE ? in->start + SNIFF_SIZE : in->end);
	nul = memchr(p, 0, (size_t)(e - p)) != NULL;
	for (; p < e; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (!nl)
			nl = e;
		n = (size_t)(nl - p);
		while (n && p[n - 1] == '\r')
			n--;
		if (!n)
			continue;
		lines++;
		if (looks_log_prefixed(p, n))
			prefixed++;
		if (p[0] == '>' || is_mail_header(p, n) || input_qp_evidence(p, n))
			text = true;
		b64run = b64_shape(p, n) ? b64run + 1 : 0;
		if (b64run >= 3)
			text = true;
		if (text)
			break;  /* text whatever the lines after say */
	}
	if (!text && lines && prefixed * 10 >= lines * 7)
		in->mode = INPUT_LOG;
	else
		in->mode = INPUT_TEXT;
	p = in->buf + in->start;
	if (in->mode != INPUT_LOG && binary_head(p, (size_t)(e - p))) {
		in->warned_nul = true;
		char *what = in->kind == DECOMP_NONE ? xstrdup("") : xasprintf(" (after %s)", decomp_name(in->kind));

		warn_exit_pos(in, 1, "binary data%s, no log: only its text lines are read", what);
		free(what);
	} else if (nul) {
		in->warned_nul = true;
		warn_pos(in, 1, "%s", "binary data (NUL bytes): reading only its text lines");
	}
}

/* ---------------------------------------------------------------------- */
/* the queue of ready lines */

static void q_push(struct input *in, const char *p, size_t n, uint64_t lineno, uint64_t offset)
{
	struct qline *ql;

	if (in->qhead && in->qhead == in->qlen) {
		in->qhead = in->qlen = 0;
	}
	ALLOC_GROW(in->q, in->qlen, in->qcap);
	ql = &in->q[in->qlen++];
	ql->text = xstrndup(p, n);
	ql->len = n;
	ql->lineno = lineno;
	ql->offset = offset;
}

static bool q_pop(struct input *in, struct input_line *out)
{
	if (in->qhead == in->qlen)
		return false;
	free(in->cur.text);
	in->cur = in->q[in->qhead++];
	if (in->qhead == in->qlen)
		in->qhead = in->qlen = 0;
	out->text = in->cur.text;
	out->len = in->cur.len;
	out->lineno = in->cur.lineno;
	out->offset = in->cur.offset;
	out->cut = false;
	return true;
}

/* ---------------------------------------------------------------------- */
/* base64 bodies */

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static void b64_decode_append(struct sbuf *out, const char *p, size_t n)
{
	unsigned acc = 0;
	int bits = 0, v;

	for (size_t i = 0; i < n; i++) {
		v = b64val((unsigned char)p[i]);
		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			sbuf_addc(out, (char)((acc >> bits) & 0xff));
		}
	}
}

static bool looks_binary(const char *p, size_t n)
{
	size_t bad = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == 0)
			return true;
		if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b)
			bad++;
	}
	return bad * 20 > n;
}

/* Split complete decoded lines into the queue. */
static void b64_emit(struct input *in, bool flush, uint64_t next_lineno, uint64_t next_offset)
{
	char *s = in->b64text.buf, *nl;
	size_t pos = 0;

	if (!s)
		return;
	while ((nl = memchr(s + pos, '\n', in->b64text.len - pos))) {
		size_t n = (size_t)(nl - (s + pos));

		while (n && s[pos + n - 1] == '\r')
			n--;
		q_push(in, s + pos, n, in->b64_lineno, in->b64_offset);
		pos = (size_t)(nl - s) + 1;
		in->b64_lineno = next_lineno;
		in->b64_offset = next_offset;
	}
	if (flush && pos < in->b64text.len)
		q_push(in, s + pos, in->b64text.len - pos, in->b64_lineno, in->b64_offset);
	if (flush)
		pos = in->b64text.len;
	memmove(s, s + pos, in->b64text.len - pos);
	in->b64text.len -= pos;
	s[in->b64text.len] = 0;
}

/* ---------------------------------------------------------------------- */
/* quoted-printable */

/* Decode p[0, n) onto out. */
static void qp_decode_into(struct sbuf *out, const char *p, size_t n)
{
	sbuf_grow(out, n);      /* decoding never lengthens */
	out->len += input_qp_decode(out->buf + out->len, p, n);
	out->buf[out->len] = 0;
}

/* ---------------------------------------------------------------------- */

static void header_state(struct input *in, const char *p, size_t n)
{
	if (!n || (p[0] != 'F' && (p[0] | 0x20) != 'c'))
		return;
	if (mem_startswith(p, n, "From ") && n > 5) {
		in->qp = false;       /* a new message in an mbox */
		in->b64_expected = false;
	}
	if (n > 26 && !strncasecmp(p, "Content-Transfer-Encoding:", 26)) {
		const char *v = p + 26;

		while (v < p + n && (*v == ' ' || *v == '\t'))
			v++;
		if ((size_t)(p + n - v) >= 16 && !strncasecmp(v, "quoted-printable", 16))
			in->qp = true;
		else if ((size_t)(p + n - v) >= 6 && !strncasecmp(v, "base64", 6))
			in->b64_expected = true;
	}
}

/*
 * A large regular log is read ahead (input_ahead.c), from the first time
 * its idle reader needs more at a chunk's boundary: the chunks begin where
 * read() would have begun them, so that passing over one (ahead_pass())
 * is what skip_idle() does after reading it.
 */
static void ahead_maybe_start(struct input *in)
{
	static atomic_bool warned;
	uint64_t at = in->offset + (in->end - in->start);
	struct stat st;
	off_t pos;
	bool bad, want;

	if (at < in->ahead_retry)
		return;
	in->ahead_tried = true;
	if (in->dec || at % READ_CHUNK || fstat(in->fd, &st) || !S_ISREG(st.st_mode))
		return;
	pos = lseek(in->fd, 0, SEEK_CUR);
	if (pos < 0 || st.st_size <= pos)
		return;
	want = input_ahead_wanted((uint64_t)(st.st_size - pos), &bad);
	if (bad && !atomic_exchange(&warned, true))
		kt_warn(in->ctx, NULL, "KCSAN_TRIAGE_READ_AHEAD: not auto, on or off; auto is used");
	if (!want || (in->mode == INPUT_TEXT && !at))
		return;         /* (text: the byte before the first chunk tells whether a line begins it) */
	in->ahead = input_ahead_start(in->fd, (uint64_t)pos, (uint64_t)st.st_size, READ_CHUNK,
				      in->mode == INPUT_TEXT);
	if (in->ahead) {
		in->ahead_at = at;
		in->ahead_line = in->lineno + input_count_newlines(in->buf + in->start, in->end - in->start);
		in->ahead_k = in->ahead_nl = 0;
	}
}

/*
 * A chunk with an anchor: the lines before the first anchor's and the
 * BACKUP_LINES before it, when they all are in the chunk, are passed over
 * uncopied, as skip_idle() would pass them after reading the chunk (the
 * line kept from before with them).
 */
static void ahead_pass_to_anchor(struct input *in, const struct input_ahead_chunk *c)
{
	const struct input_text_stop *st = &c->stops[0];
	const char *q = c->data + st->off - INPUT_AHEAD_BACK;

	if (st->off < INPUT_AHEAD_BACK || st->nl <= BACKUP_LINES)
		return;         /* it begins before the chunk, or its lines before it reach the line kept */
	for (int k = 0; k <= BACKUP_LINES; k++)
		q = memrchr(c->data, '\n', (size_t)(q - c->data));
	/* (q is the newline before those lines: there are more than BACKUP_LINES newlines before the anchor) */
	in->chunk_used = (size_t)(q - c->data) + 1;
	in->offset += (in->end - in->start) + in->chunk_used;
	in->lineno += st->nl - BACKUP_LINES;
	in->start = in->end = 0;
}

/*
 * Pass over the read-ahead's next chunks while they hold no anchor and a
 * newline, as skip_idle() does after reading one: their newlines counted,
 * the line the last one ends inside kept, uncopied but for that line.  The
 * buffer holds only the line kept from before.
 */
static void ahead_pass(struct input *in)
{
	while (in->ahead && !in->chunk) {
		const struct input_ahead_chunk *c = input_ahead_next(in->ahead);

		if (!c) {
			ahead_end(in);
			return;
		}
		ahead_keep_stops(in, c);
		in->chunk = c;
		in->chunk_used = 0;
		if (!c->err && c->anchor)
			ahead_pass_to_anchor(in, c);
		if (c->err || c->anchor || c->tail == SIZE_MAX)
			return;         /* refill() copies it (from where the first anchor's lines begin) */
		in->offset += (in->end - in->start) + c->tail;
		in->lineno += c->nl;
		in->start = 0;
		in->end = c->len - c->tail;
		memcpy(in->buf, c->data + c->tail, in->end);
		input_ahead_done(in->ahead);
		in->chunk = NULL;
	}
}

/*
 * Skip ahead in a log while no report is open: jump to a couple of lines
 * before the next "KCSAN", counting the newlines passed over.
 */
static void skip_idle(struct input *in)
{
	for (;;) {
		const char *s = in->buf + in->start, *e = in->buf + in->end, *a, *ls, *q;
		size_t nl;

		if (in->offset < in->linemode_until || in->skipping_rest || in->npb)
			return;
		if (ahead_log_find(in, &a, &nl) < 0)
			a = input_scan_anchor(s, (size_t)(e - s), &nl);
		if (a) {
			/* the anchor's line, and BACKUP_LINES lines before it */
			q = memrchr(s, '\n', (size_t)(a - s));
			ls = q ? q + 1 : s;
			for (int k = 0; k < BACKUP_LINES && ls > s; k++) {
				q = memrchr(s, '\n', (size_t)(ls - 1 - s));
				ls = q ? q + 1 : s;
			}
			q = memchr(a, '\n', (size_t)(e - a));
			in->lineno += nl - input_count_newlines(ls, (size_t)(a - ls));
			in->offset += (uint64_t)(ls - s);
			in->start = (size_t)(ls - in->buf);
			in->linemode_until = in->offset + (uint64_t)((q ? q : e) - ls) + 1;
			return;
		}
		/* no anchor: pass over every complete line (all nl newlines), keep the partial one */
		q = memrchr(s, '\n', (size_t)(e - s));
		if (!q)
			return;
		q++;
		in->lineno += nl;
		in->offset += (uint64_t)(q - s);
		in->start = (size_t)(q - in->buf);
		if (!in->ahead_tried)
			ahead_maybe_start(in);
		if (in->ahead)
			ahead_pass(in);
		if (!refill(in))
			return;
	}
}

enum { TAKE_PASSED, TAKE_GENERAL, TAKE_MORE };

/* The physical line at p[0, e): its length without the newline and trailing CRs, as phys_line() gives it. */
static size_t take_len(const char *p, const char *nl)
{
	size_t n = (size_t)(nl - p);

	while (n && p[n - 1] == '\r')
		n--;
	return n;
}

/*
 * Quoted-printable: the line at s (length n, its newline at nl) joined with
 * the lines its soft breaks continue on, as qp_line() does, all of them from
 * the buffer, decoded into in->line; *used: the bytes of its physical lines,
 * *lines their number.  False when they are not all in the buffer.
 */
static bool take_qp(struct input *in, const char *s, size_t n, const char *nl, size_t *used, size_t *lines)
{
	const char *e = in->buf + in->end, *q = nl + 1;
	struct sbuf *raw = &in->qpraw;

	*lines = 1;
	if (!input_qp_soft_break(s, n)) {
		qp_decode_into(&in->line, s, n);
		*used = (size_t)(q - s);
		return true;
	}
	sbuf_reset(raw);
	sbuf_add(raw, s, n - 1);
	for (;;) {
		const char *nl2 = memchr(q, '\n', (size_t)(e - q));
		size_t n2;

		if (!nl2)
			return false;
		n2 = take_len(q, nl2);
		++*lines;
		if (input_qp_soft_break(q, n2) && raw->len < INPUT_MAX_LINE) {
			sbuf_add(raw, q, n2 - 1);
			q = nl2 + 1;
			continue;
		}
		sbuf_add(raw, q, n2);
		q = nl2 + 1;
		break;
	}
	qp_decode_into(&in->line, raw->buf, raw->len);
	*used = (size_t)(q - s);
	return true;
}

/* A metadata line of an idle parser's (decoded, in in->line): given to the mail's metadata, as the parser would. */
static bool take_meta(struct input *in, uint64_t lineno, uint64_t offset)
{
	struct input_line il = { .text = in->line.buf, .len = in->line.len, .lineno = lineno, .offset = offset };
	struct nline nl;

	normalize_line(&in->nz, &il, &nl);
	return mailmeta_maybe(in->meta, &nl) && mailmeta_feed(in->meta, &nl);
}

/*
 * An idle reader in text mode, at the start of a line that the skip stopped
 * at: the line handled where it lies, as next_line() and text_line() would
 * for an idle parser.  TAKE_PASSED: it needs no more (a mail header or a
 * metadata line taken, a line that begins no report), it is passed over.
 * TAKE_GENERAL: it goes the general way (a report's line, a base64 body...);
 * what was done here is done there again to the same effect.  TAKE_MORE: the
 * line is not whole in the buffer.
 */
static int text_take(struct input *in)
{
	const char *s = in->buf + in->start, *nl = memchr(s, '\n', in->end - in->start);
	size_t n, used, lines = 1;

	if (!nl)
		return TAKE_MORE;
	n = take_len(s, nl);
	used = (size_t)(nl - s) + 1;
	if (used > INPUT_MAX_LINE || (!in->qp && n >= 16 && b64_shape(s, n)))
		return TAKE_GENERAL;
	header_state(in, s, n);
	if (in->meta && mailmeta_header_raw(in->meta, s, n))
		goto passed;
	if (!in->qp && input_qp_evidence(s, n))
		in->qp = true;
	if (!in->qp) {
		if (!mailmeta_raw_maybe(s, n)) {
			if (input_text_wanted(s, n))
				return TAKE_GENERAL;
			goto passed;
		}
		sbuf_reset(&in->line);
		sbuf_add(&in->line, s, n);
	} else {
		sbuf_reset(&in->line);
		if (!take_qp(in, s, n, nl, &used, &lines))
			return TAKE_MORE;
		while (in->line.len && in->line.buf[in->line.len - 1] == '\r')
			in->line.buf[--in->line.len] = 0;
		if (!mailmeta_raw_maybe(in->line.buf, in->line.len)) {
			if (input_text_wanted(in->line.buf, in->line.len))
				return TAKE_GENERAL;
			goto passed;
		}
	}
	if (!in->meta || !take_meta(in, in->lineno, in->offset))
		return TAKE_GENERAL;
passed:
	in->start += used;
	in->offset += used;
	in->lineno += lines;
	return TAKE_PASSED;
}

/*
 * The same in text mode: pass over the lines that cannot begin a report
 * and leave the decoding as it is (input_text_skip()).  The lines that
 * need a look are taken here when they can be (text_take()), the others
 * go through text_line(), one at a time.
 */
static void text_skip_idle(struct input *in)
{
	for (;;) {
		const char *s = in->buf + in->start, *r;
		size_t nl;
		bool stop = true;
		int t;

		if (in->b64_state || in->skipping_rest || in->npb)
			return;
		if (!in->meta || !mailmeta_pending(in->meta)) {
			if (!ahead_text_skip(in, &r, &nl))
				r = input_text_skip(s, in->end - in->start, in->qp, &nl, &stop);
			in->lineno += nl;
			in->offset += (uint64_t)(r - s);
			in->start = (size_t)(r - in->buf);
		}
		/* a line that needs a look (or one longer than the longest line: phys_line() takes it) */
		if (in->end - in->start >= INPUT_MAX_LINE)
			return;
		t = stop ? text_take(in) : TAKE_MORE;
		if (t == TAKE_MORE && !in->ahead_tried)
			ahead_maybe_start(in);
		if (t == TAKE_GENERAL || (t == TAKE_MORE && !refill(in)))
			return;
	}
}

/* Inside a base64 body: decode its line, or end the body and read the line again. */
static void b64_in_body(struct input *in, const char *p, size_t n, uint64_t lineno, uint64_t offset)
{
	bool ok = n && b64_shape(p, n);

	if (!ok && n && n % 4 == 0 && n < 16) {
		/* short last line of a block */
		ok = true;
		for (size_t i = 0; i < n; i++)
			ok &= is_b64_char((unsigned char)p[i]) || p[i] == '=';
	}
	if (ok) {
		if (in->b64_state == 1) {
			b64_decode_append(&in->b64text, p, n);
			b64_emit(in, false, in->lineno, in->offset);
		}
		return;
	}
	if (in->b64_state == 1)
		b64_emit(in, true, lineno, offset);
	in->b64_state = 0;
	in->b64_expected = false;
	/* the decoded lines go first; this line is read again after them */
	unread_phys(in, p, n, lineno, offset);
}

/*
 * A line shaped like base64: look at the lines that follow.  1 when a body
 * starts (its lines are queued); 0 when it is no body (the look-ahead is
 * pushed back and the line is read again into *p...); -1 at the end.
 */
static int b64_try_body(struct input *in, const char **p, size_t *n, uint64_t *lineno, uint64_t *offset,
			bool *cut)
{
	struct qline ahead[2];
	size_t run = 1, nahead = 0, n2;
	char *first = xstrndup(*p, *n);
	struct sbuf dec = SBUF_INIT;
	const char *p2;
	uint64_t l2, o2;
	bool cut2, body;

	b64_decode_append(&dec, first, *n);
	while (run < 3 && phys_line(in, &p2, &n2, &l2, &o2, &cut2)) {
		ahead[nahead].text = xstrndup(p2, n2);
		ahead[nahead].len = n2;
		ahead[nahead].lineno = l2;
		ahead[nahead].offset = o2;
		nahead++;
		if (!b64_shape(p2, n2))
			break;
		b64_decode_append(&dec, p2, n2);
		run++;
	}
	body = run >= 3 || (in->b64_expected && run == nahead + 1);
	if (body) {
		bool binary = looks_binary(dec.buf, dec.len);

		if (binary && !in->warned_binary) {
			in->warned_binary = true;
			warn_pos(in, *lineno, "%s", "base64 body with binary content skipped");
		}
		in->b64_state = binary ? 2 : 1;
		in->b64_lineno = *lineno;
		in->b64_offset = *offset;
		sbuf_reset(&in->b64text);
		if (!binary) {
			sbuf_add(&in->b64text, dec.buf, dec.len);
			b64_emit(in, false, in->lineno, in->offset);
		}
	}
	/* no body: undo the look-ahead */
	while (nahead) {
		nahead--;
		if (!body)
			unread_phys(in, ahead[nahead].text, ahead[nahead].len, ahead[nahead].lineno,
				    ahead[nahead].offset);
		free(ahead[nahead].text);
	}
	sbuf_release(&dec);
	if (!body)
		unread_phys(in, first, *n, *lineno, *offset);
	free(first);
	if (body)
		return 1;
	return phys_line(in, p, n, lineno, offset, cut) ? 0 : -1;
}

/* Quoted-printable: the line, joined with the lines its soft breaks continue on, decoded into in->line. */
static void qp_line(struct input *in, const char *p, size_t n)
{
	const char *p2;
	size_t n2;
	uint64_t l2, o2;
	bool cut2;
	struct sbuf *raw = &in->qpraw;

	if (!input_qp_soft_break(p, n)) {
		qp_decode_into(&in->line, p, n);
		return;
	}
	sbuf_reset(raw);
	sbuf_add(raw, p, n - 1);
	while (phys_line(in, &p2, &n2, &l2, &o2, &cut2)) {
		if (input_qp_soft_break(p2, n2) && raw->len < INPUT_MAX_LINE) {
			sbuf_add(raw, p2, n2 - 1);
			continue;
		}
		sbuf_add(raw, p2, n2);
		break;
	}
	qp_decode_into(&in->line, raw->buf, raw->len);
}

/*
 * A line of text mode: mail headers, quoted-printable soft breaks and
 * encodings.  False when the parser is idle and the line cannot begin a
 * report (input_text_wanted()): it is passed over (not even copied).
 */
static bool text_line(struct input *in, struct input_line *out, const char *p, size_t n, uint64_t lineno,
		      uint64_t offset, bool cut, bool idle)
{
	header_state(in, p, n);
	if (in->meta && mailmeta_header_raw(in->meta, p, n) && idle)
		return false;           /* a mail header the parser need not see */
	if (!in->qp && input_qp_evidence(p, n))
		in->qp = true;
	if (!in->qp && idle && !input_text_wanted(p, n) && !mailmeta_raw_maybe(p, n))
		return false;
	sbuf_reset(&in->line);
	if (in->qp)
		qp_line(in, p, n);
	else
		sbuf_add(&in->line, p, n);
	/* decoding may have produced CRs */
	while (in->line.len && in->line.buf[in->line.len - 1] == '\r')
		in->line.buf[--in->line.len] = 0;
	out->text = in->line.buf ? in->line.buf : "";
	out->len = in->line.len;
	out->lineno = lineno;
	out->offset = offset;
	out->cut = cut;
	return !(in->qp && idle && !input_text_wanted(out->text, out->len) &&
		 !mailmeta_raw_maybe(out->text, out->len));
}

static int next_line(struct input *in, struct input_line *out, bool idle)
{
	const char *p;
	size_t n;
	uint64_t lineno, offset;
	bool cut;

	for (;;) {
		if (q_pop(in, out))
			return 1;
		if (idle && in->mode == INPUT_LOG)
			skip_idle(in);
		else if (idle && in->mode == INPUT_TEXT)
			text_skip_idle(in);
		if (!phys_line(in, &p, &n, &lineno, &offset, &cut)) {
			if (in->b64_state == 1) {
				b64_emit(in, true, in->lineno, in->offset);
				in->b64_state = 0;
				if (q_pop(in, out))
					return 1;
			}
			return in->err ? -1 : 0;
		}
		if (in->mode != INPUT_TEXT) {
			/* the buffer may not be NUL-terminated here: copy */
			sbuf_reset(&in->line);
			sbuf_add(&in->line, p, n);
			out->text = in->line.buf;
			out->len = n;
			out->lineno = lineno;
			out->offset = offset;
			out->cut = cut;
			out->newline = in->phys_newline;
			return 1;
		}
		/* text mode: mail encodings */
		if (in->b64_state) {
			b64_in_body(in, p, n, lineno, offset);
			continue;
		}
		if (!in->qp && n >= 16 && b64_shape(p, n)) {
			int r = b64_try_body(in, &p, &n, &lineno, &offset, &cut);

			if (r > 0)
				continue;
			if (r < 0)
				return in->err ? -1 : 0;
		}
		if (text_line(in, out, p, n, lineno, offset, cut, idle))
			return 1;
	}
}

int input_next(struct input *in, struct input_line *out, bool idle)
{
	return next_line(in, out, idle);
}

/* Reads of fd wait again (O_NONBLOCK off): 0, or -1 (errno set). */
static int fd_blocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0 ? -1 : 0;
}

struct input *input_open(struct ctx *ctx, const char *path)
{
	struct input *in;
	struct stat st;
	int fd;

	if (!strcmp(path, "-")) {
		fd = 0;
	} else {
		/*
		 * With a stop to end a wait (kt_read()), a FIFO is opened without
		 * waiting for a writer, a serial line without waiting for its
		 * carrier: open(2) waits where no signal ends it.  Their reads
		 * wait in kt_read() instead; a FIFO no writer opened yet has
		 * nothing to poll(), one whose writers closed it is at its end.
		 */
		fd = open(path, O_RDONLY | O_CLOEXEC | (ctx && ctx->stop ? O_NONBLOCK : 0));
		if (fd < 0) {
			kt_error(ctx, KT_EXIT_INPUT, path, "cannot open: %s", strerror(errno));
			return NULL;
		}
	}
	in = xcalloc(1, sizeof(*in));
	in->ctx = ctx;
	in->name = xstrdup(strcmp(path, "-") ? path : "<stdin>");
	in->fd = fd;
	in->waits = fstat(fd, &st) != 0 || !S_ISREG(st.st_mode);
	if (ctx && in->waits)
		in->stop = ctx->stop;   /* it may wait for ever */
	/* (a regular file's reads never wait: O_NONBLOCK is nothing to them) */
	if (fd > 0 && in->stop && fd_blocking(fd) < 0)
		kt_warn(ctx, in->name, "cannot read it blocking: %s", strerror(errno));
	in->buf = xmalloc(BUF_SIZE + 1);
	in->lineno = 1;
	detect_compression(in);
	sniff(in);
	return in;
}

void input_close(struct input *in)
{
	if (!in)
		return;
	input_ahead_stop(in->ahead);
	for (int i = 0; i < AHEAD_RING; i++)
		free(in->ring[i].st);
	decomp_free(in->dec);
	if (in->fd > 0)
		close(in->fd);
	for (size_t i = in->qhead; i < in->qlen; i++)
		free(in->q[i].text);
	free(in->q);
	free(in->cur.text);
	for (size_t i = 0; i < in->npb; i++)
		free(in->pb[i].text);
	free(in->pb);
	free(in->pbcur.text);
	sbuf_release(&in->line);
	sbuf_release(&in->qpraw);
	sbuf_release(&in->b64text);
	normalizer_release(&in->nz);
	free(in->buf);
	free(in->name);
	free(in);
}

bool input_ends_on_stop(const struct input *in)
{
	return in->stop != NULL;
}

bool input_may_wait(const struct input *in)
{
	return in->waits;
}

void input_on_quiet(struct input *in, void (*fn)(void *data), void *data)
{
	in->quiet.fn = fn;
	in->quiet.data = data;
}

const char *input_name(const struct input *in)
{
	return in->name;
}

void input_set_meta(struct input *in, struct mailmeta *m)
{
	in->meta = m;
}

enum input_mode input_mode(const struct input *in)
{
	return in->mode;
}

void input_set_mode(struct input *in, enum input_mode mode)
{
	in->mode = mode;
}

/* ---------------------------------------------------------------------- */
/* walking arguments */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What a non-regular file is, for the warning that skips it. */
static const char *file_kind(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

/* Is the file system of path one of /proc, /sys and their kin? */
static bool on_proc_fs(const char *path)
{
	struct statfs fs;

	return statfs(path, &fs) == 0 && (fs.f_type == PROC_SUPER_MAGIC || fs.f_type == SYSFS_MAGIC ||
					  fs.f_type == DEBUGFS_MAGIC || fs.f_type == TRACEFS_MAGIC);
}

/* A directory being walked: its descriptor, and its device and file system. */
struct walk_dir {
	int fd;
	dev_t dev;
	bool proc;       /* on_proc_fs() */
};

/*
 * An entry met inside a directory is read when it is a regular file or a
 * directory, after following a link, and not a file of /proc or /sys (their
 * files say size 0 and can read forever: /proc/self/pagemap).  FIFOs and
 * devices would block or read forever: they are skipped, each with a
 * warning (the exit status stays).  Links to directories are not followed
 * (no cycles).  Named on the command line, FIFOs and devices are read.
 * An entry that is no link and on the directory's device is on its file
 * system: one fstatat() an entry, and no statfs() (a big archive is
 * walked before any file is read).  True with *st what it is, or false
 * when it is skipped; *stated false when it cannot be stat()ed
 * (walk_path() says why it cannot be opened).
 */
static bool walk_entry_ok(struct ctx *ctx, const struct walk_dir *dir, const char *name, const char *path,
			  struct stat *st, bool *stated)
{
	struct stat lst;
	bool link;

	*stated = false;
	if (fstatat(dir->fd, name, &lst, AT_SYMLINK_NOFOLLOW) < 0)
		return true;
	link = S_ISLNK(lst.st_mode);
	if (!link)
		*st = lst;
	else if (fstatat(dir->fd, name, st, 0) < 0)
		return true;
	*stated = true;
	if (S_ISDIR(st->st_mode))
		return !link;
	if (!S_ISREG(st->st_mode)) {
		kt_warn(ctx, path, "%s%s, skipped in a directory walk (name it to read it)", link ? "links to " : "",
			file_kind(st->st_mode));
		return false;
	}
	if ((!link && st->st_dev == dir->dev) ? dir->proc : on_proc_fs(path)) {
		kt_warn(ctx, path, "%sa file of /proc or /sys, skipped in a directory walk (name it to read it)",
			link ? "links to " : "");
		return false;
	}
	return true;
}

/* path, and what stat() says of it when known (NULL: not yet asked). */
static int walk_path(struct ctx *ctx, const char *path, const struct stat *known, input_visit_fn fn, void *data,
		     int depth)
{
	struct stat st;
	struct walk_dir dir;
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int visited = 0;

	if (known) {
		st = *known;
	} else if (stat(path, &st) < 0) {
		kt_error(ctx, KT_EXIT_INPUT, path, "cannot open: %s", strerror(errno));
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		fn(ctx, path, !S_ISREG(st.st_mode), data);
		return 1;
	}
	if (depth > 64) {
		kt_error(ctx, KT_EXIT_INPUT, path, "directories nested too deep");
		return 0;
	}
	d = opendir(path);
	if (!d) {
		kt_error(ctx, KT_EXIT_INPUT, path, "cannot read directory: %s", strerror(errno));
		return 0;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		ALLOC_GROW(names, n, cap);
		names[n++] = xasprintf("%s/%s", path, de->d_name);
	}
	qsort(names, n, sizeof(*names), cmp_names);
	dir.fd = dirfd(d);
	dir.dev = st.st_dev;
	dir.proc = on_proc_fs(path);
	for (size_t i = 0; i < n; i++) {
		struct stat est;
		bool stated;

		if (walk_entry_ok(ctx, &dir, names[i] + strlen(path) + 1, names[i], &est, &stated))
			visited += walk_path(ctx, names[i], stated ? &est : NULL, fn, data, depth + 1);
		free(names[i]);
	}
	closedir(d);
	free(names);
	return visited;
}

int input_walk(struct ctx *ctx, char *const *args, int nargs, input_visit_fn fn, void *data)
{
	int visited = 0;

	for (int i = 0; i < nargs; i++) {
		if (!strcmp(args[i], "-")) {
			fn(ctx, "-", true, data);
			visited++;
			continue;
		}
		visited += walk_path(ctx, args[i], NULL, fn, data, 0);
	}
	return visited;
}
