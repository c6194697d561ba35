/*
 * input_scan.c - the reader's byte scanners: newlines, the "KCSAN" anchor,
 * and the lines of mail text that an idle parser must see.
 *
 * Each has a scalar version, the reference, and an SSE2 version (SSE2 is in
 * every x86-64; other targets get the scalar one).  The unit tests hold the
 * two to the same answers on random buffers of every length and alignment.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "input.h"
#include "mailmeta.h"

static const char anchor[] = "KCSAN";
#define ANCHOR_LEN (sizeof(anchor) - 1)
/* the access line that begins a report whose BUG line is missing: "read to 0x... of 8 bytes by task 1" */
static const char anchor2[] = "bytes by";
#define ANCHOR2_LEN (sizeof(anchor2) - 1)
/* ... and its end, should a mail client have wrapped the line between "bytes" and "by" */
static const char anchor3[] = "on cpu";
#define ANCHOR3_LEN (sizeof(anchor3) - 1)
#define ANCHOR_MAX 8          /* the longer of the two */

size_t input_count_newlines_scalar(const char *p, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += p[i] == '\n';
	return c;
}

/* The first of the two anchors in p[0, n), or NULL. */
static const char *first_anchor(const char *p, size_t n)
{
	const char *a = memmem(p, n, anchor, ANCHOR_LEN);
	const char *b = memmem(p, a ? (size_t)(a - p) + ANCHOR2_LEN - 1 < n ? (size_t)(a - p) + ANCHOR2_LEN - 1 : n : n,
			       anchor2, ANCHOR2_LEN);

	const char *c;

	if (b && (!a || b < a))
		a = b;
	c = memmem(p, a ? (size_t)(a - p) + ANCHOR3_LEN - 1 < n ? (size_t)(a - p) + ANCHOR3_LEN - 1 : n : n,
		   anchor3, ANCHOR3_LEN);
	return c && (!a || c < a) ? c : a;
}

const char *input_scan_anchor_scalar(const char *p, size_t n, size_t *nl)
{
	const char *a = first_anchor(p, n);

	*nl = input_count_newlines_scalar(p, a ? (size_t)(a - p) : n);
	return a;
}

/* ---------------------------------------------------------------------- */
/* the lines an idle parser must see (text mode) */

static bool is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The normalizer takes the 15 bytes of "Mon DD hh:mm:ss" before the text
 * whatever their last bytes are: a text may start after a letter there.
 */
static bool syslog_before(const char *p, size_t j)
{
	const char *q = p + j - 15;

	return j >= 15 && q[0] >= 'A' && q[0] <= 'Z' && q[3] == ' ' && (q[4] == ' ' || is_digit(q[4])) &&
	       is_digit(q[5]) && q[6] == ' ' && q[9] == ':' && q[12] == ':';
}

/*
 * A line can begin a report only when its text, once the transport is
 * stripped (normalize.c), starts with "BUG:" or with the first word of an
 * access line: read, race, write, assert.  The transport ends with a blank
 * or a mark (']', '>', ';', ...), never a letter, a digit or '_', but for
 * a syslog prefix; an escape sequence or a JSON record can hide anything.
 * j is a candidate: true when the line must be seen.
 */
/* One of the words at q (4 bytes are read). */
static inline bool start_word(const char *q)
{
	static const char words[] = "BUG:" "read" "race" "writ" "asse";
	uint32_t w, k;

	memcpy(&w, q, 4);
	for (size_t i = 0; i + 4 < sizeof(words); i += 4) {
		memcpy(&k, words + i, 4);
		if (w == k)
			return true;
	}
	return false;
}

static bool wanted_at(const char *p, size_t n, size_t j)
{
	if (p[j] == 0x1b)
		return true;
	return n - j >= 4 && start_word(p + j) && (j == 0 || !is_word(p[j - 1]) || syslog_before(p, j));
}

static bool json_record(const char *p, size_t n)
{
	return n >= 8 && (p[0] == '{' || (p[0] == '-' && p[1] == ' ' && p[2] == '{'));
}

bool input_text_wanted_scalar(const char *p, size_t n)
{
	if (json_record(p, n))
		return true;
	for (size_t j = 0; j < n; j++)
		if (wanted_at(p, n, j))
			return true;
	return false;
}

/* ---------------------------------------------------------------------- */
/* text mode: passing over the lines an idle reader need not look at */

static bool is_b64(char c)
{
	return is_word(c) ? c != '_' : c == '+' || c == '/';
}

/*
 * What a whole line (its newline not included) may hold for the reader
 * besides a '=' or a candidate of wanted_at(): a header that changes the
 * decoding (From , Content-Transfer-Encoding:, told by their first
 * letter), a JSON record, or the shape of a line of a base64 body.
 */
static inline bool line_look(const char *p, size_t n, bool qp)
{
	size_t k;

	if (n && p[n - 1] == '\r')
		while (n && p[n - 1] == '\r')
			n--;
	if (!n)
		return false;
	if ((p[0] == 'F' && n >= 5 && !memcmp(p, "From ", 5)) || json_record(p, n) ||
	    ((p[0] | 0x20) == 'c' && n > 26 && !strncasecmp(p, "Content-Transfer-Encoding:", 26)))
		return true;
	if (qp || n < 16 || n > 100 || n % 4)
		return false;
	for (k = 0; k < 16 && is_b64(p[k]); k++)
		;
	return k == 16;
}

static bool is_hex(char c)
{
	return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/*
 * A '=' at p[j] (p[j + 1] and p[j + 2] are read when they are in p[0, n)):
 * in quoted-printable an encoded byte or a soft break (the end of the
 * line); before it, what qp_evidence() in input.c looks for: a '=' at the
 * end, "=20", "=3D", an encoded byte of UTF-8 ("=E2").  Other '=' are text.
 */
static bool qp_mark(const char *p, size_t n, size_t j, bool qp)
{
	char c1, c2;

	if (n - j < 3)
		return true;
	c1 = p[j + 1];
	c2 = p[j + 2];
	if (c1 == '\n' || c1 == '\r')
		return true;
	if (qp)
		return is_hex(c1) && is_hex(c2);
	return (c1 == '2' && c2 == '0') || (c1 == '3' && (c2 | 0x20) == 'd') || (is_hex(c1) && c1 >= '8');
}

/* A candidate at p[j] of the line that starts at ls: qp_mark(), or wanted_at() in that line. */
static bool look_at(const char *p, size_t n, size_t ls, size_t j, bool qp)
{
	return p[j] == '=' ? qp_mark(p, n, j, qp) : wanted_at(p + ls, n - ls, j - ls);
}

const char *input_text_skip_scalar(const char *p, size_t n, bool qp, size_t *nl, bool *stop)
{
	size_t ls = 0, c = 0;

	*stop = true;
	while (ls < n) {
		const char *e = memchr(p + ls, '\n', n - ls);
		size_t len = e ? (size_t)(e - (p + ls)) : n - ls;

		for (size_t j = ls; j < ls + len; j++)
			if (look_at(p, n, ls, j, qp))
				goto out;
		if (!e)
			break;          /* a line not whole yet */
		if (line_look(p + ls, len, qp) || mailmeta_raw_maybe(p + ls, len))
			goto out;
		c++;
		ls += len + 1;
	}
	*stop = false;
out:
	*nl = c;
	return p + ls;
}

#ifdef __SSE2__
/* ---------------------------------------------------------------------- */
/* SSE2 */

#define LOAD(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define EQ(v, c) _mm_cmpeq_epi8((v), _mm_set1_epi8((char)(c)))

/* The newlines counted in acc (each byte lane at most 255): its sum. */
static size_t lanes_sum(__m128i acc)
{
	__m128i s = _mm_sad_epu8(acc, _mm_setzero_si128());

	return (size_t)_mm_cvtsi128_si32(s) + (size_t)_mm_extract_epi16(s, 4);
}

/* 64 bytes at p: -1 in a lane per newline of its four 16-byte columns (-4..0). */
static __m128i newlines64(const char *p)
{
	__m128i a = _mm_add_epi8(EQ(LOAD(p), '\n'), EQ(LOAD(p + 16), '\n'));
	__m128i b = _mm_add_epi8(EQ(LOAD(p + 32), '\n'), EQ(LOAD(p + 48), '\n'));

	return _mm_add_epi8(a, b);
}

size_t input_count_newlines(const char *p, size_t n)
{
	size_t c = 0, i = 0;

	while (n - i >= 64) {
		__m128i acc = _mm_setzero_si128();

		/* 63 rounds of at most 4 keep every lane under 256 */
		for (int r = 0; r < 63 && n - i >= 64; r++, i += 64)
			acc = _mm_sub_epi8(acc, newlines64(p + i));
		c += lanes_sum(acc);
	}
	return c + input_count_newlines_scalar(p + i, n - i);
}

/* The positions in p[0, 64) where 'K' and, 4 bytes on, 'N' are: a bit each. */
static unsigned long long anchor_cands64(const char *p)
{
	unsigned long long m = 0;

	for (int k = 0; k < 4; k++) {
		__m128i a = LOAD(p + 16 * k), b = LOAD(p + 16 * k + ANCHOR_LEN - 1);

		__m128i c = LOAD(p + 16 * k + ANCHOR2_LEN - 1), d = LOAD(p + 16 * k + ANCHOR3_LEN - 1);
		__m128i x = _mm_or_si128(_mm_and_si128(EQ(a, 'K'), EQ(b, 'N')), _mm_and_si128(EQ(a, 'b'), EQ(c, 'y')));

		x = _mm_or_si128(x, _mm_and_si128(EQ(a, 'o'), EQ(d, 'u')));
		m |= (unsigned long long)_mm_movemask_epi8(x) << (16 * k);
	}
	return m;
}

/* The first true anchor in the 64-byte block at p, or NULL. */
static const char *anchor_verify(const char *p)
{
	for (unsigned long long m = anchor_cands64(p); m; m &= m - 1) {
		const char *a = p + __builtin_ctzll(m);

		if (!memcmp(a, anchor, ANCHOR_LEN) || !memcmp(a, anchor2, ANCHOR2_LEN) || !memcmp(a, anchor3, ANCHOR3_LEN))
			return a;
	}
	return NULL;
}

/* 64 bytes at p: whether an anchor may start there; its newlines into *acc. */
static bool anchor_round(const char *p, __m128i *acc)
{
	const __m128i k = _mm_set1_epi8('K'), n = _mm_set1_epi8('N'), nl = _mm_set1_epi8('\n');
	const __m128i bb = _mm_set1_epi8('b'), y = _mm_set1_epi8('y'), o = _mm_set1_epi8('o'), u = _mm_set1_epi8('u');
	__m128i a0 = LOAD(p), a1 = LOAD(p + 16), a2 = LOAD(p + 32), a3 = LOAD(p + 48);
	__m128i c, l;

	c = _mm_or_si128(_mm_and_si128(_mm_cmpeq_epi8(a0, k), _mm_cmpeq_epi8(LOAD(p + 4), n)),
			 _mm_and_si128(_mm_cmpeq_epi8(a1, k), _mm_cmpeq_epi8(LOAD(p + 20), n)));
	c = _mm_or_si128(c, _mm_or_si128(_mm_and_si128(_mm_cmpeq_epi8(a2, k), _mm_cmpeq_epi8(LOAD(p + 36), n)),
					 _mm_and_si128(_mm_cmpeq_epi8(a3, k), _mm_cmpeq_epi8(LOAD(p + 52), n))));
	c = _mm_or_si128(c, _mm_or_si128(_mm_and_si128(_mm_cmpeq_epi8(a0, bb), _mm_cmpeq_epi8(LOAD(p + 7), y)),
					 _mm_and_si128(_mm_cmpeq_epi8(a1, bb), _mm_cmpeq_epi8(LOAD(p + 23), y))));
	c = _mm_or_si128(c, _mm_or_si128(_mm_and_si128(_mm_cmpeq_epi8(a2, bb), _mm_cmpeq_epi8(LOAD(p + 39), y)),
					 _mm_and_si128(_mm_cmpeq_epi8(a3, bb), _mm_cmpeq_epi8(LOAD(p + 55), y))));
	c = _mm_or_si128(c, _mm_or_si128(_mm_and_si128(_mm_cmpeq_epi8(a0, o), _mm_cmpeq_epi8(LOAD(p + 5), u)),
					 _mm_and_si128(_mm_cmpeq_epi8(a1, o), _mm_cmpeq_epi8(LOAD(p + 21), u))));
	c = _mm_or_si128(c, _mm_or_si128(_mm_and_si128(_mm_cmpeq_epi8(a2, o), _mm_cmpeq_epi8(LOAD(p + 37), u)),
					 _mm_and_si128(_mm_cmpeq_epi8(a3, o), _mm_cmpeq_epi8(LOAD(p + 53), u))));
	if (_mm_movemask_epi8(c))
		return true;
	l = _mm_add_epi8(_mm_add_epi8(_mm_cmpeq_epi8(a0, nl), _mm_cmpeq_epi8(a1, nl)),
			 _mm_add_epi8(_mm_cmpeq_epi8(a2, nl), _mm_cmpeq_epi8(a3, nl)));
	*acc = _mm_sub_epi8(*acc, l);
	return false;
}

/*
 * One pass over p: the first "KCSAN" and the newlines before it.  64 bytes
 * a round: the first and the last byte of the anchor are compared at each
 * position, and the newlines add up in byte lanes.
 */
const char *input_scan_anchor(const char *p, size_t n, size_t *nl)
{
	size_t c = 0, i = 0, tail;
	const char *a;

	while (n - i >= 64 + ANCHOR_MAX - 1) {
		__m128i acc = _mm_setzero_si128();

		/* 63 rounds of at most 4 keep every lane under 256 */
		for (int r = 0; r < 63 && n - i >= 64 + ANCHOR_MAX - 1; r++, i += 64) {
			if (!anchor_round(p + i, &acc))
				continue;
			a = anchor_verify(p + i);
			if (a) {
				*nl = c + lanes_sum(acc) + input_count_newlines_scalar(p + i, (size_t)(a - (p + i)));
				return a;
			}
			acc = _mm_sub_epi8(acc, newlines64(p + i));
		}
		c += lanes_sum(acc);
	}
	a = first_anchor(p + i, n - i);
	tail = a ? (size_t)(a - (p + i)) : n - i;
	*nl = c + input_count_newlines_scalar(p + i, tail);
	return a;
}

/* Candidates of wanted_at() at the 16 positions of a (b: the bytes one on): the word starts and ESC. */
static inline __m128i word_cands(__m128i a, __m128i b)
{
	__m128i m;

	m = _mm_or_si128(_mm_and_si128(EQ(a, 'B'), EQ(b, 'U')),
			 _mm_and_si128(EQ(a, 'r'), _mm_or_si128(EQ(b, 'e'), EQ(b, 'a'))));
	m = _mm_or_si128(m, _mm_or_si128(_mm_and_si128(EQ(a, 'w'), EQ(b, 'r')), _mm_and_si128(EQ(a, 'a'), EQ(b, 's'))));
	return _mm_or_si128(m, EQ(a, 0x1b));
}

/* Candidates of wanted_at() in p[0, 16): a bit each (p[16] is read). */
static unsigned wanted_cands16(const char *p)
{
	return (unsigned)_mm_movemask_epi8(word_cands(LOAD(p), LOAD(p + 1)));
}

static bool wanted_block(const char *p, size_t n, size_t j, unsigned m)
{
	for (; m; m &= m - 1)
		if (wanted_at(p, n, j + (size_t)__builtin_ctz(m)))
			return true;
	return false;
}

bool input_text_wanted(const char *p, size_t n)
{
	size_t j = 0;

	if (json_record(p, n))
		return true;
	if (n < 17) {
		/* one block from a padded copy; the candidates are checked in p */
		char pad[32] = { 0 };

		memcpy(pad, p, n);
		return wanted_block(p, n, 0, wanted_cands16(pad));
	}
	for (; j + 17 <= n; j += 16)
		if (wanted_block(p, n, j, wanted_cands16(p + j)))
			return true;
	/* the last positions, in a block that overlaps the one before; then the
	   last byte (no word starts there, an escape may) */
	return wanted_block(p, n, n - 17, wanted_cands16(p + n - 17)) || p[n - 1] == 0x1b;
}

/* The first true candidate of look_at() among the bits m of the block at i (16 when none). */
static size_t look_block(const char *p, size_t n, size_t ls, size_t i, unsigned nlm, unsigned m, bool qp)
{
	for (; m; m &= m - 1) {
		size_t b = (size_t)__builtin_ctz(m), j = i + b, start;
		unsigned before;

		if (p[j] == '=') {
			if (qp_mark(p, n, j, qp))
				return b;
			continue;
		}
		if (p[j] != 0x1b && (n - j < 4 || !start_word(p + j)))
			continue;       /* the common case: two letters of no word */
		/* the candidate's line starts after the last newline before it */
		before = nlm & ((1u << b) - 1);
		start = before ? i + (size_t)(31 - __builtin_clz(before)) + 1 : ls;
		if (look_at(p, n, start, j, qp))
			return b;
	}
	return 16;
}

/* line_look() is needed: a first byte of a header or a JSON record, a CR, or a base64 length. */
static inline bool line_maybe(const char *p, size_t len, bool qp)
{
	static const unsigned char first[256] = { ['F'] = 1, ['C'] = 1, ['c'] = 1, ['{'] = 1, ['-'] = 1 };

	return len && (first[(unsigned char)p[0]] || p[len - 1] == '\r' ||
		       (!qp && len - 16 <= 100 - 16 && !(len & 3)));
}

/*
 * 16 bytes a round: the newlines, and the candidates ('=', ESC, the first
 * two letters of the words) whose lines may need a look.  The lines that
 * end in the round are checked as they end, up to the first true candidate.
 */
const char *input_text_skip(const char *p, size_t n, bool qp, size_t *nl, bool *stop)
{
	size_t i = 0, ls = 0, c = 0;

	for (; i + 17 <= n; i += 16) {
		__m128i a = LOAD(p + i);
		unsigned nlm = (unsigned)_mm_movemask_epi8(EQ(a, '\n'));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(word_cands(a, LOAD(p + i + 1)), EQ(a, '=')));
		size_t s = m ? look_block(p, n, ls, i, nlm, m, qp) : 16;

		for (; nlm; nlm &= nlm - 1) {
			size_t e = i + (size_t)__builtin_ctz(nlm);

			if (e > i + s)
				break;
			if ((line_maybe(p + ls, e - ls, qp) && line_look(p + ls, e - ls, qp)) ||
			    mailmeta_raw_maybe(p + ls, e - ls)) {
				*stop = true;
				*nl = c;
				return p + ls;
			}
			c++;
			ls = e + 1;
		}
		if (s < 16) {
			*stop = true;
			*nl = c;
			return p + ls;
		}
	}
	/* the last bytes, one at a time, from the line that is not checked yet */
	{
		const char *r = input_text_skip_scalar(p + ls, n - ls, qp, nl, stop);

		*nl += c;
		return r;
	}
}

#else /* !__SSE2__ */

size_t input_count_newlines(const char *p, size_t n)
{
	return input_count_newlines_scalar(p, n);
}

const char *input_scan_anchor(const char *p, size_t n, size_t *nl)
{
	return input_scan_anchor_scalar(p, n, nl);
}

bool input_text_wanted(const char *p, size_t n)
{
	return input_text_wanted_scalar(p, n);
}

const char *input_text_skip(const char *p, size_t n, bool qp, size_t *nl, bool *stop)
{
	return input_text_skip_scalar(p, n, qp, nl, stop);
}

#endif

const char *input_find_anchor(const char *p, size_t n)
{
	size_t nl;

	return input_scan_anchor(p, n, &nl);
}
