/*
 * input_scan.c - the reader's byte scanners: newlines, the "KCSAN" anchor,
 * and the lines of mail text that an idle parser must see.
 *
 * Each has a scalar version, the reference, and an SSE2 version (SSE2 is in
 * every x86-64; other targets get the scalar one).  The unit tests hold the
 * two to the same answers on random buffers of every length and alignment.
 */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "input.h"
#include "mailmeta.h"

/*
 * The text skip's decodings: plain, quoted-printable, or either (the union
 * of their stops: input_text_stops()).  SKIP_EITHER_QP is either once a
 * line has shown a plain reader that the body is quoted-printable
 * (qp_settles()): from there on an encoded byte is judged as in
 * SKIP_QP, not as evidence.
 */
enum { SKIP_PLAIN, SKIP_QP, SKIP_EITHER, SKIP_EITHER_QP };

static const char anchor[] = "KCSAN";
#define ANCHOR_LEN (sizeof(anchor) - 1)
/* the access line that begins a report whose BUG line is missing: "read to 0x... of 8 bytes by task 1" */
static const char anchor2[] = "bytes by";
#define ANCHOR2_LEN (sizeof(anchor2) - 1)
/* ... and its end, should a mail client have wrapped the line between "bytes" and "by" */
static const char anchor3[] = "on cpu";
#define ANCHOR3_LEN (sizeof(anchor3) - 1)
/*
 * The vector scans take a candidate by an anchor's first byte and one
 * further on: the last for the first two, the 'c' of "cpu" for the third
 * ("o" and "u" five apart are in one 64-byte block of console text in ten,
 * "o" and "c" four apart in one in a hundred).
 */
#define ANCHOR3_PROBE 4
#define ANCHOR_MAX 8          /* the longer of the two */

size_t input_anchor_len(const char *p)
{
	return p[0] == 'K' ? ANCHOR_LEN : p[0] == 'b' ? ANCHOR2_LEN : ANCHOR3_LEN;
}

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

/* wanted_at() told apart: WANTED, a word glued to the one before it (GLUED), or neither. */
enum { AT_NONE, AT_WANTED, AT_GLUED };
static inline int word_at(const char *p, size_t n, size_t j)
{
	if (p[j] == 0x1b)
		return AT_WANTED;
	if (n - j < 4 || !start_word(p + j))
		return AT_NONE;
	return j == 0 || !is_word(p[j - 1]) || syslog_before(p, j) ? AT_WANTED : AT_GLUED;
}

static bool wanted_at(const char *p, size_t n, size_t j)
{
	return word_at(p, n, j) == AT_WANTED;
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
static inline bool line_look(const char *p, size_t n, int qp)
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
	if (qp == SKIP_QP || n < 16 || n > 100 || n % 4)
		return false;
	for (k = 0; k < 16 && is_b64(p[k]); k++)
		;
	return k == 16;
}

static bool is_hex(char c)
{
	return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static int hexval(char c)
{
	return is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* Decoding quoted-printable: is an encoded byte read as it is? */
static bool qp_judged(int qp)
{
	return qp == SKIP_QP || qp == SKIP_EITHER_QP;
}

/*
 * An encoded byte ("=XX") that cannot change what the look at its line
 * decides (qp_passed(), input.c's text_take()) decodes to a blank, a '='
 * or a byte of UTF-8, none of which a word of wanted_at() holds; it is
 * past the bytes the line's start is judged by (a JSON record's first
 * three, the quoting and the two letters after it that may begin a key of
 * mail metadata: mailmeta_key_maybe()'s), or it begins the line (what it
 * decodes to begins neither), or it ends a line of nothing but quoting;
 * and its line begins no header, and no key after its quoting.
 * A word right after an encoded byte is judged by look_at().
 *
 * qp_harmless_from(): from which offset into the line at ls its encoded
 * bytes may be such (SIZE_MAX: none may).  The quoting ends at the first
 * byte that is no mark, at or before the first '='.
 */
static bool header_first(char c)
{
	return c == 'C' || c == 'c' || c == 'D' || c == 'F' || c == 'M' || c == 'S';
}

static size_t qp_harmless_from(const char *p, size_t n, size_t ls)
{
	const char *l = p + ls;
	size_t k;

	if (header_first(l[0]) || mailmeta_key_maybe(l, n - ls))
		return SIZE_MAX;
	k = mailmeta_quoting(l, n - ls);
	return k + 2 > 3 ? k + 2 : 3;
}

/* A '=' before c1 c2 encodes a blank, a '=' or a byte of UTF-8 (for that one, c1 alone is looked at). */
static inline bool harmless_byte(char c1, char c2)
{
	return (c1 == '2' && c2 == '0') || (c1 == '3' && (c2 | 0x20) == 'd') || (c1 >= '8' && is_hex(c1));
}

/* The encoded byte at p[j] in the line at ls ends a line of nothing but quoting before it. */
static bool qp_quoting_only(const char *p, size_t n, size_t ls, size_t j)
{
	size_t k;

	for (k = ls; k < j && (p[k] == '>' || p[k] == '|' || p[k] == ' '); k++)
		;
	return k == j && (n - j == 3 || p[j + 3] == '\n');
}

/*
 * A '=' at p[j] of the line that starts at ls (p[j + 1] and p[j + 2] are
 * read when they are in p[0, n)): in quoted-printable an encoded byte
 * (but a harmless one, once encoded bytes are judged as such) or
 * a soft break (the end of the line); before it, what input_qp_evidence()
 * looks for: a '=' at the end, "=20", "=3D", an encoded byte of UTF-8
 * ("=E2").  Other '=' are text.  *from: the line's qp_harmless_from(),
 * found when first needed (SIZE_MAX - 1: not yet).
 */
#define HARMLESS_UNKNOWN (SIZE_MAX - 1)
static __attribute__((noinline)) bool qp_mark_judged(const char *p, size_t n, size_t ls, size_t j, size_t *from)
{
	char c1 = p[j + 1], c2 = p[j + 2];

	if (!is_hex(c1) || !is_hex(c2))
		return false;
	if (!harmless_byte(c1, c2))
		return true;
	if (*from == HARMLESS_UNKNOWN)
		*from = qp_harmless_from(p, n, ls);
	return j != ls && j - ls < *from && !qp_quoting_only(p, n, ls, j);
}

static inline bool qp_mark(const char *p, size_t n, size_t ls, size_t j, int qp, size_t *from)
{
	char c1, c2;

	if (n - j < 3)
		return true;
	c1 = p[j + 1];
	c2 = p[j + 2];
	if (c1 == '\n' || c1 == '\r')
		return true;
	if (qp_judged(qp))
		return qp_mark_judged(p, n, ls, j, from);
	/* (the evidence is what a harmless byte looks like) */
	return (qp == SKIP_EITHER && is_hex(c1) && is_hex(c2)) || harmless_byte(c1, c2);
}

/* An encoded byte ("=XX") in p[s, e) (its digits may be past e). */
static bool encoded_in(const char *p, size_t s, size_t e)
{
	const char *q = p + s;

	while ((q = memchr(q, '=', (size_t)(p + e - q)))) {
		if (is_hex(q[1]) && is_hex(q[2]))
			return true;
		q++;
	}
	return false;
}

/*
 * A candidate at p[j] of the line that starts at ls: qp_mark(), or
 * wanted_at() in that line.  When encoded bytes are judged, a word after a
 * word character is looked at too when an encoded byte is at most 48
 * bytes before it: decoded, what stands before it (or the syslog time
 * before that) may differ.  (No word begins with two hex digits.)
 */
static inline bool look_at(const char *p, size_t n, size_t ls, size_t j, int qp, size_t *from)
{
	if (p[j] == '=')
		return qp_mark(p, n, ls, j, qp, from);
	switch (word_at(p + ls, n - ls, j - ls)) {
	case AT_WANTED:
		return true;
	case AT_GLUED:
		return qp_judged(qp) && encoded_in(p, j - ls < 48 ? ls : j - 48, j);
	default:
		return false;
	}
}

static const char *text_skip_scalar(const char *p, size_t n, int qp, size_t *nl, bool *stop)
{
	size_t ls = 0, c = 0;

	*stop = true;
	while (ls < n) {
		const char *e = memchr(p + ls, '\n', n - ls);
		size_t len = e ? (size_t)(e - (p + ls)) : n - ls, from = HARMLESS_UNKNOWN;

		for (size_t j = ls; j < ls + len; j++)
			if (look_at(p, n, ls, j, qp, &from))
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

		__m128i c = LOAD(p + 16 * k + ANCHOR2_LEN - 1), d = LOAD(p + 16 * k + ANCHOR3_PROBE);
		__m128i x = _mm_or_si128(_mm_and_si128(EQ(a, 'K'), EQ(b, 'N')), _mm_and_si128(EQ(a, 'b'), EQ(c, 'y')));

		x = _mm_or_si128(x, _mm_and_si128(EQ(a, 'o'), EQ(d, anchor3[ANCHOR3_PROBE])));
		m |= (unsigned long long)_mm_movemask_epi8(x) << (16 * k);
	}
	return m;
}

/* 8 bytes at p as a word (in memory order, whatever the byte order) */
static inline uint64_t word8(const char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

/*
 * The first true anchor in the 64-byte block at p, or NULL: each candidate's
 * 8 bytes compared at once with the anchors, as far as each goes (the
 * block is followed by ANCHOR_MAX - 1 bytes at least).
 */
static const char *anchor_verify(const char *p)
{
	_Static_assert(ANCHOR_LEN <= 8 && ANCHOR2_LEN == 8 && ANCHOR3_LEN <= 8, "anchors of a word at most");
	static const char a1[8] = "KCSAN", m1[8] = "\xff\xff\xff\xff\xff";
	static const char a3[8] = "on cpu", m3[8] = "\xff\xff\xff\xff\xff\xff";
	const uint64_t w1 = word8(a1), k1 = word8(m1), w2 = word8(anchor2), w3 = word8(a3), k3 = word8(m3);

	for (unsigned long long m = anchor_cands64(p); m; m &= m - 1) {
		const char *a = p + __builtin_ctzll(m);
		uint64_t w = word8(a);

		if ((w & k1) == w1 || w == w2 || (w & k3) == w3)
			return a;
	}
	return NULL;
}

/* 64 bytes at p: whether an anchor may start there; its newlines into *acc. */
static bool anchor_round(const char *p, __m128i *acc)
{
	const __m128i k = _mm_set1_epi8('K'), n = _mm_set1_epi8('N'), nl = _mm_set1_epi8('\n');
	const __m128i bb = _mm_set1_epi8('b'), y = _mm_set1_epi8('y'), o = _mm_set1_epi8('o');
	const __m128i o4 = _mm_set1_epi8(anchor3[ANCHOR3_PROBE]);   /* "on cpu"'s probe */
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
	c = _mm_or_si128(c, _mm_or_si128(_mm_and_si128(_mm_cmpeq_epi8(a0, o), _mm_cmpeq_epi8(LOAD(p + ANCHOR3_PROBE), o4)),
					 _mm_and_si128(_mm_cmpeq_epi8(a1, o), _mm_cmpeq_epi8(LOAD(p + 16 + ANCHOR3_PROBE), o4))));
	c = _mm_or_si128(c, _mm_or_si128(_mm_and_si128(_mm_cmpeq_epi8(a2, o), _mm_cmpeq_epi8(LOAD(p + 32 + ANCHOR3_PROBE), o4)),
					 _mm_and_si128(_mm_cmpeq_epi8(a3, o), _mm_cmpeq_epi8(LOAD(p + 48 + ANCHOR3_PROBE), o4))));
	if (_mm_movemask_epi8(c))
		return true;
	l = _mm_add_epi8(_mm_add_epi8(_mm_cmpeq_epi8(a0, nl), _mm_cmpeq_epi8(a1, nl)),
			 _mm_add_epi8(_mm_cmpeq_epi8(a2, nl), _mm_cmpeq_epi8(a3, nl)));
	*acc = _mm_sub_epi8(*acc, l);
	return false;
}

/*
 * One pass over p: the first anchor and the newlines before it (SSE2).  64
 * bytes a round: the first byte of each anchor and one further on are
 * compared at each position, and the newlines add up in byte lanes.
 */
static const char *scan_anchor_sse2(const char *p, size_t n, size_t *nl)
{
	size_t c = 0, i = 0, rest;
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
	/* the last bytes, as the scalar scan does */
	a = input_scan_anchor_scalar(p + i, n - i, &rest);
	*nl = c + rest;
	return a;
}

/*
 * Candidates of wanted_at() at the 16 positions of a0 (a1, a3: the bytes
 * one and three on): ESC, and the first two letters of a word of
 * start_word() with one of the words' last letters three on (':', 'd',
 * 'e', 't').  A superset: each is checked by start_word().
 */
static inline __m128i word_cands(__m128i a0, __m128i a1, __m128i a3)
{
	__m128i w, last;

	w = _mm_or_si128(_mm_and_si128(EQ(a0, 'B'), EQ(a1, 'U')),
			 _mm_and_si128(EQ(a0, 'r'), _mm_or_si128(EQ(a1, 'e'), EQ(a1, 'a'))));
	w = _mm_or_si128(w, _mm_or_si128(_mm_and_si128(EQ(a0, 'w'), EQ(a1, 'r')), _mm_and_si128(EQ(a0, 'a'), EQ(a1, 's'))));
	/* 'd' | 1 == 'e' */
	last = _mm_or_si128(_mm_or_si128(EQ(a3, ':'), EQ(_mm_or_si128(a3, _mm_set1_epi8(1)), 'e')), EQ(a3, 't'));
	return _mm_or_si128(_mm_and_si128(w, last), EQ(a0, 0x1b));
}

/* Candidates of wanted_at() in p[0, 16): a bit each (p[16, 19) are read). */
static inline __attribute__((always_inline)) unsigned wanted_cands16(const char *p)
{
	return (unsigned)_mm_movemask_epi8(word_cands(LOAD(p), LOAD(p + 1), LOAD(p + 3)));
}

static bool wanted_block(const char *p, size_t n, size_t j, unsigned m)
{
	for (; m; m &= m - 1)
		if (wanted_at(p, n, j + (size_t)__builtin_ctz(m)))
			return true;
	return false;
}

/* input_text_wanted() of p[0, n) from j on (SSE2): the candidates from p[j] on. */
static bool wanted_sse2(const char *p, size_t n, size_t j)
{
	if (n < 19) {
		/* two blocks from a padded copy; the candidates are checked in p */
		char pad[48] = { 0 };

		memcpy(pad, p, n);
		return wanted_block(p, n, 0, wanted_cands16(pad) | wanted_cands16(pad + 16) << 16);
	}
	for (; j + 19 <= n; j += 16)
		if (wanted_block(p, n, j, wanted_cands16(p + j)))
			return true;
	/* the last positions, in a block that overlaps the one before; then the
	   last 3 bytes (no word starts there, an escape may) */
	return wanted_block(p, n, n - 19, wanted_cands16(p + n - 19)) || memchr(p + n - 3, 0x1b, 3);
}

#define ALWAYS_INLINE inline __attribute__((always_inline))

/*
 * The candidates of look_at() in 64 bytes (a0..: 16 of them): those of
 * word_cands(), and '=' but before '=' or ' ', which qp_mark() never
 * takes.  The newlines into *nl, the candidates into *cand (a bit a byte).
 */
static ALWAYS_INLINE void text_masks16(const char *p, uint64_t *nl, uint64_t *cand, uint64_t *dull, int k)
{
	__m128i a0 = LOAD(p), a1 = LOAD(p + 1), a3 = LOAD(p + 3);
	__m128i eq = _mm_andnot_si128(_mm_or_si128(EQ(a1, '='), EQ(a1, ' ')), EQ(a0, '='));

	*nl |= (uint64_t)(unsigned)_mm_movemask_epi8(EQ(a0, '\n')) << (16 * k);
	*cand |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(word_cands(a0, a1, a3), eq)) << (16 * k);
	*dull |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(EQ(a0, '>'), EQ(a0, ' '))) << (16 * k);
}

/*
 * p[0, 64) (p[64, 67) are read): its newlines, candidates, and the bytes
 * no line that needs line_look() begins with ('>', ' '; newlines are
 * added by the caller).
 */
static ALWAYS_INLINE void text_masks64_sse2(const char *p, uint64_t *nl, uint64_t *cand, uint64_t *dull)
{
	uint64_t n = 0, c = 0, d = 0;

#pragma GCC unroll 4
	for (int k = 0; k < 4; k++)
		text_masks16(p + 16 * k, &n, &c, &d, k);
	*nl = n;
	*cand = c;
	*dull = d;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#define TARGET_AVX2 __attribute__((target("avx2,popcnt")))     /* every CPU with AVX2 has POPCNT */
#define EQ32(v, c) _mm256_cmpeq_epi8((v), _mm256_set1_epi8((char)(c)))
#define LOAD32(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))

/*
 * The classes of 32 bytes by two table lookups, on their low and high
 * nibbles: a bit per byte value of interest, each bit one value's, so the
 * AND of the two lookups is exact.
 */
TARGET_AVX2 static ALWAYS_INLINE __m256i classify32(__m256i v, __m256i lo, __m256i hi)
{
	const __m256i nib = _mm256_set1_epi8(0x0f);

	return _mm256_and_si256(_mm256_shuffle_epi8(lo, _mm256_and_si256(v, nib)),
				_mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi16(v, 4), nib)));
}

#define LUT32(...) _mm256_setr_epi8(__VA_ARGS__, __VA_ARGS__)

/*
 * The AVX2 class tables of text_masks64_avx2() and wanted_avx2(), by
 * nibble (LUT32): lo0/hi0 the byte's classes, lo1/hi1 the byte one on,
 * lo3/hi3 the byte three on.
 */
#define TEXT_CLASS_LUTS_AVX2 \
	const __m256i lo0 = LUT32(0x00, 0x10, 0x07, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x80, 0x00, 0x40, 0x20, 0x00); \
	const __m256i hi0 = LUT32(0x00, (char)0x80, 0x00, 0x60, 0x01, 0x00, 0x10, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00); \
	const __m256i lo1 = LUT32((char)0x80, 0x04, 0x08, 0x10, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00); \
	const __m256i hi1 = LUT32(0x00, 0x00, (char)0x80, 0x40, 0x00, 0x01, 0x06, 0x18, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00); \
	const __m256i lo3 = LUT32(0x00, 0x00, 0x00, 0x00, 0x0a, 0x14, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00); \
	const __m256i hi3 = LUT32(0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x16, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00)

/*
 * text_masks64_sse2()'s masks, 32 bytes a step (AVX2, when the CPU has
 * it), by classes: of a byte (0 'B', 1 and 2 'r', 3 'w', 4 'a', 5 '>',
 * 6 '=', 7 ESC), of the byte one on (0 'U', 1 'e', 2 'a', 3 'r', 4 's', 6 '=',
 * 7 ' ') and of the byte three on (0 ':', 1 'd', 2 and 4 'e', 3 't'): bit k
 * of all three is word k's letters 1, 2 and 4.
 */
TARGET_AVX2 static ALWAYS_INLINE void text_masks64_avx2(const char *p, uint64_t *nl, uint64_t *cand, uint64_t *dull)
{
	TEXT_CLASS_LUTS_AVX2;
	uint64_t n = 0, c = 0, d = 0;

#pragma GCC unroll 2
	for (int k = 0; k < 2; k++) {
		const char *q = p + 32 * k;
		__m256i a0 = LOAD32(q);
		__m256i c0 = classify32(a0, lo0, hi0), c1 = classify32(LOAD32(q + 1), lo1, hi1);
		__m256i c3 = classify32(LOAD32(q + 3), lo3, hi3);
		/* a word: bits 0-4 of all three, made bit 7 by a saturating add */
		__m256i w = _mm256_adds_epu8(_mm256_and_si256(_mm256_and_si256(c0, c1), c3), _mm256_set1_epi8(0x7f));
		/* '=' (c0's bit 6, moved to 7) but before '=' or ' ' (c1's bit 6 or 7, as bit 7) */
		__m256i eq = _mm256_andnot_si256(_mm256_or_si256(c1, _mm256_add_epi8(c1, c1)), _mm256_add_epi8(c0, c0));

		w = _mm256_or_si256(_mm256_or_si256(w, eq), c0);       /* and ESC: c0's bit 7 */
		n |= (uint64_t)(uint32_t)_mm256_movemask_epi8(EQ32(a0, '\n')) << (32 * k);
		c |= (uint64_t)(uint32_t)_mm256_movemask_epi8(w) << (32 * k);
		/* '>' (c0's bit 5, shifted to 7) or ' ' */
		d |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_or_si256(_mm256_slli_epi16(c0, 2), EQ32(a0, ' ')))
		     << (32 * k);
	}
	*nl = n;
	*cand = c;
	*dull = d;
}
#endif

/* The vector level of the scanners: -1 as the CPU allows, 0 SSE2, 1 AVX2 (tests). */
static _Atomic int scan_level = -1;

int input_scan_set_level(int level)
{
	return atomic_exchange_explicit(&scan_level, level, memory_order_relaxed);
}

#ifdef HAVE_AVX2_PATH
/* 32 positions at q (v: its bytes): where an anchor may start, by its first byte and one further on */
TARGET_AVX2 static ALWAYS_INLINE __m256i anchor_cands32(const char *q, __m256i v)
{
	__m256i k = _mm256_and_si256(EQ32(v, 'K'), EQ32(LOAD32(q + ANCHOR_LEN - 1), 'N'));
	__m256i b = _mm256_and_si256(EQ32(v, 'b'), EQ32(LOAD32(q + ANCHOR2_LEN - 1), 'y'));
	__m256i o = _mm256_and_si256(EQ32(v, 'o'), EQ32(LOAD32(q + ANCHOR3_PROBE), anchor3[ANCHOR3_PROBE]));

	return _mm256_or_si256(k, _mm256_or_si256(b, o));
}

/* scan_anchor_sse2() 32 bytes a step, the newlines counted by their mask's popcount */
TARGET_AVX2 static const char *scan_anchor_avx2(const char *p, size_t n, size_t *nl)
{
	size_t c = 0, i = 0, rest;
	const char *a;

	for (; n - i >= 64 + ANCHOR_MAX - 1; i += 64) {
		__m256i v0 = LOAD32(p + i), v1 = LOAD32(p + i + 32);
		__m256i x = _mm256_or_si256(anchor_cands32(p + i, v0), anchor_cands32(p + i + 32, v1));
		uint64_t m = (uint32_t)_mm256_movemask_epi8(EQ32(v0, '\n')) |
			     (uint64_t)(uint32_t)_mm256_movemask_epi8(EQ32(v1, '\n')) << 32;

		if (!_mm256_testz_si256(x, x) && (a = anchor_verify(p + i))) {
			*nl = c + (size_t)_mm_popcnt_u64(m & ((1ull << (a - (p + i))) - 1));
			return a;
		}
		c += (size_t)_mm_popcnt_u64(m);
	}
	/* the last bytes, as the scalar scan does */
	a = input_scan_anchor_scalar(p + i, n - i, &rest);
	*nl = c + rest;
	return a;
}
#endif

/*
 * One pass over p: the first anchor and the newlines before it.  64 bytes
 * a round: the first byte of each anchor and one further on are compared
 * at each position, the candidates checked whole.
 */
const char *input_scan_anchor(const char *p, size_t n, size_t *nl)
{
#ifdef HAVE_AVX2_PATH
	if (atomic_load_explicit(&scan_level, memory_order_relaxed) != 0 && __builtin_cpu_supports("avx2"))
		return scan_anchor_avx2(p, n, nl);
#endif
	return scan_anchor_sse2(p, n, nl);
}

#ifdef HAVE_AVX2_PATH
/*
 * input_text_wanted() 32 positions a step (AVX2): the candidates of
 * text_masks64_avx2()'s words and escapes, each checked by wanted_at();
 * the last positions by wanted_sse2().  n >= 35.
 */
TARGET_AVX2 static bool wanted_avx2(const char *p, size_t n)
{
	TEXT_CLASS_LUTS_AVX2;
	size_t j = 0;

	for (; j + 35 <= n; j += 32) {
		const char *q = p + j;
		__m256i c0 = classify32(LOAD32(q), lo0, hi0), c1 = classify32(LOAD32(q + 1), lo1, hi1);
		__m256i c3 = classify32(LOAD32(q + 3), lo3, hi3);
		/* a word (bits 0-4 of all three, as bit 7) or ESC (c0's bit 7) */
		__m256i w = _mm256_or_si256(_mm256_adds_epu8(_mm256_and_si256(_mm256_and_si256(c0, c1), c3), _mm256_set1_epi8(0x7f)),
					    c0);

		for (uint32_t m = (uint32_t)_mm256_movemask_epi8(w); m; m &= m - 1)
			if (wanted_at(p, n, j + (size_t)__builtin_ctz(m)))
				return true;
	}
	return wanted_sse2(p, n, j);
}
#endif

bool input_text_wanted(const char *p, size_t n)
{
	if (json_record(p, n))
		return true;
#ifdef HAVE_AVX2_PATH
	if (n >= 35 && atomic_load_explicit(&scan_level, memory_order_relaxed) != 0 && __builtin_cpu_supports("avx2"))
		return wanted_avx2(p, n);
#endif
	return wanted_sse2(p, n, 0);
}

/* The first true candidate of look_at() among the bits m of the block at i (64 when none). */
static size_t look_block(const char *p, size_t n, size_t ls, size_t i, uint64_t nlm, uint64_t m, int qp)
{
	size_t from_ls = SIZE_MAX, from = HARMLESS_UNKNOWN;       /* (of the line at from_ls) */

	for (; m; m &= m - 1) {
		size_t b = (size_t)__builtin_ctzll(m), j = i + b, start;
		uint64_t before;

		if (p[j] == '=' && !qp_judged(qp)) {
			if (qp_mark(p, n, ls, j, qp, &from))    /* (its line not needed) */
				return b;
			continue;
		}
		/* (a block has 3 bytes after it: n - j >= 4) */
		if (p[j] != '=' && p[j] != 0x1b && !start_word(p + j))
			continue;       /* the common case: a word of none of the words */
		/* the candidate's line starts after the last newline before it */
		before = nlm & ((1ull << b) - 1);
		start = before ? i + (size_t)(63 - __builtin_clzll(before)) + 1 : ls;
		if (start != from_ls) {
			from_ls = start;
			from = HARMLESS_UNKNOWN;
		}
		if (look_at(p, n, start, j, qp, &from))
			return b;
	}
	return 64;
}

/* The bits set in x, without a POPCNT instruction (the baseline has none). */
static ALWAYS_INLINE size_t swar_popcount(uint64_t x)
{
	x -= (x >> 1) & 0x5555555555555555ull;
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (size_t)((x * 0x0101010101010101ull) >> 56);
}

/* line_look() is needed for the line p[ls, e): a first byte of a header or a JSON record, a CR, or a base64 length. */
static ALWAYS_INLINE bool line_maybe(const char *p, size_t ls, size_t e, int qp)
{
	static const unsigned char first[256] = { ['F'] = 1, ['C'] = 1, ['c'] = 1, ['{'] = 1, ['-'] = 1 };
	size_t len = e - ls;

	return len && (first[(unsigned char)p[ls]] | (p[e - 1] == '\r') | ((qp != SKIP_QP) & (len - 16 <= 100 - 16) & !(len & 3)));
}

/*
 * mailmeta_raw_maybe() of a line that begins with '>', ' ' or its end (as
 * the lines of a dull run do): most are "> " and a word that begins no
 * key, told here by a table lookup.
 */
static ALWAYS_INLINE bool text_meta_line(const char *p, size_t n)
{
	if (p[0] != '>')
		return false;   /* a blank or the end: neither a key nor quoting */
	if (n >= 7 && p[1] == ' ' && p[2] != '>' && p[2] != '|') {
		unsigned i = mailmeta_index[(unsigned char)p[2]];

		if (!i || p[3] != mailmeta_second[i])
			return false;
	}
	return mailmeta_raw_maybe(p, n);
}

/* Whether a line ending at a newline of nlm (the first starts at l) may be mail metadata ("> HEAD commit:"). */
static ALWAYS_INLINE bool text_meta_in(const char *p, size_t l, size_t i, uint64_t nlm)
{
	for (; nlm; nlm &= nlm - 1) {
		size_t e = i + (size_t)__builtin_ctzll(nlm);

		if (text_meta_line(p + l, e - l))
			return true;
		l = e + 1;
	}
	return false;
}

/*
 * The lines that end in the block at i, up to its first true candidate
 * s (64: none): false when one needs a look (*ls is its start).  *ls and
 * *c: the start of the line not passed over yet, the lines passed over.
 */
static ALWAYS_INLINE bool text_lines(const char *p, size_t i, uint64_t nlm, uint64_t dull, size_t s, int qp,
				     bool hw_popcount, size_t *ls, size_t *c)
{
	size_t l = *ls, k = *c;
	bool ok = true;

	if (s < 64)
		nlm &= (2ull << s) - 1;         /* (no newline is a candidate) */
	/*
	 * Lines that begin with '>', ' ' or their newline need no
	 * line_look(): when all of them do, they are counted at once.  The
	 * first begins at l, the others after the newlines but the last.
	 */
	if (nlm && (p[l] == '>' || p[l] == ' ' || p[l] == '\n')) {
		unsigned last = 63 - (unsigned)__builtin_clzll(nlm);

		if (!(((nlm & ~(1ull << last)) << 1) & ~(dull | nlm)) && !text_meta_in(p, l, i, nlm)) {
			*c = k + (hw_popcount ? (size_t)__builtin_popcountll(nlm) : swar_popcount(nlm));
			*ls = i + last + 1;
			return s == 64;
		}
	}
	for (; nlm; nlm &= nlm - 1) {
		size_t e = i + (size_t)__builtin_ctzll(nlm);

		if ((line_maybe(p, l, e, qp) && line_look(p + l, e - l, qp)) || mailmeta_raw_maybe(p + l, e - l)) {
			ok = false;
			break;
		}
		k++;
		l = e + 1;
	}
	*ls = l;
	*c = k;
	return ok && s == 64;
}

/*
 * 64 bytes a round: the newlines, and the candidates ('=', ESC, the words'
 * letters) whose lines may need a look.  The lines that end in the round
 * are checked as they end, up to the first true candidate.  One body for
 * each vector level (MASKS).
 */
#define TEXT_SKIP_BODY(MASKS, HWPOP)                                                       \
	size_t i = 0, ls = 0, c = 0;                                                       \
	for (; i + 64 + 3 <= n; i += 64) {                                                 \
		uint64_t nlm, m, dull;                                                     \
		MASKS(p + i, &nlm, &m, &dull);                                             \
		if (!text_lines(p, i, nlm, dull, m ? look_block(p, n, ls, i, nlm, m, qp) : 64, qp, HWPOP, &ls, &c)) { \
			*stop = true;                                                      \
			*nl = c;                                                           \
			return p + ls;                                                     \
		}                                                                          \
	}                                                                                  \
	/* the last bytes, one at a time, from the line that is not checked yet */         \
	{                                                                                  \
		const char *r = text_skip_scalar(p + ls, n - ls, qp, nl, stop);     \
		*nl += c;                                                                  \
		return r;                                                                  \
	}

static const char *text_skip_sse2(const char *p, size_t n, int qp, size_t *nl, bool *stop)
{
	TEXT_SKIP_BODY(text_masks64_sse2, false)
}

#ifdef HAVE_AVX2_PATH
TARGET_AVX2 static const char *text_skip_avx2(const char *p, size_t n, int qp, size_t *nl, bool *stop)
{
	TEXT_SKIP_BODY(text_masks64_avx2, true)
}
#endif

static const char *text_skip(const char *p, size_t n, int qp, size_t *nl, bool *stop)
{
#ifdef HAVE_AVX2_PATH
	int level = atomic_load_explicit(&scan_level, memory_order_relaxed);

	if (level != 0 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt"))
		return text_skip_avx2(p, n, qp, nl, stop);
#endif
	return text_skip_sse2(p, n, qp, nl, stop);
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

static const char *text_skip(const char *p, size_t n, int qp, size_t *nl, bool *stop)
{
	return text_skip_scalar(p, n, qp, nl, stop);
}

int input_scan_set_level(int level)
{
	(void)level;
	return -1;
}

#endif

const char *input_text_skip(const char *p, size_t n, bool qp, size_t *nl, bool *stop)
{
	return text_skip(p, n, qp ? SKIP_QP : SKIP_PLAIN, nl, stop);
}

const char *input_text_skip_scalar(const char *p, size_t n, bool qp, size_t *nl, bool *stop)
{
	return text_skip_scalar(p, n, qp ? SKIP_QP : SKIP_PLAIN, nl, stop);
}

const char *input_text_skip_either_scalar(const char *p, size_t n, bool settled, size_t *nl, bool *stop)
{
	return text_skip_scalar(p, n, settled ? SKIP_EITHER_QP : SKIP_EITHER, nl, stop);
}

/*
 * Evidence that a mail body is quoted-printable: an encoded '=' ("=3D"), an
 * encoded UTF-8 sequence ("=E2=80=A6"), a soft line break on a line of the
 * usual QP width, or a line that is nothing but quoting and an encoded
 * trailing blank (">=20").  "param=20" at the end of a log line is not.
 */
bool input_qp_evidence(const char *p, size_t n)
{
	const char *e = p + n, *q = p;
	size_t i;

	if (n >= 60 && n <= 77 && p[n - 1] == '=' && p[n - 2] != '=')
		return true;
	if (n >= 3 && !memcmp(e - 3, "=20", 3)) {
		for (i = 0; i < n - 3 && (p[i] == '>' || p[i] == ' '); i++)
			;
		if (i == n - 3)
			return true;
	}
	while ((q = memchr(q, '=', (size_t)(e - q)))) {
		/* of a run of '=' ("====="), only the last can begin an encoding */
		while (e - q >= 2 && q[1] == '=')
			q++;
		if (e - q >= 3 && q[1] == '3' && (q[2] == 'D' || q[2] == 'd'))
			return true;
		if (e - q >= 6 && is_hex(q[1]) && is_hex(q[2]) && q[1] >= '8' && q[3] == '=' &&
		    is_hex(q[4]) && is_hex(q[5]) && q[4] >= '8')
			return true;
		q++;
	}
	return false;
}

size_t input_qp_decode(char *out, const char *p, size_t n)
{
	const char *e = p + n, *q;
	size_t len = 0;

	while ((q = memchr(p, '=', (size_t)(e - p)))) {
		memcpy(out + len, p, (size_t)(q - p));
		len += (size_t)(q - p);
		if (e - q > 2 && is_hex(q[1]) && is_hex(q[2])) {
			out[len++] = (char)(hexval(q[1]) * 16 + hexval(q[2]));
			p = q + 3;
		} else {
			out[len++] = '=';
			p = q + 1;
		}
	}
	memcpy(out + len, p, (size_t)(e - p));
	return len + (size_t)(e - p);
}

/*
 * A line (its newline not included) that the skip stops at, in a
 * quoted-printable body: would the reader's look at it (input.c's
 * text_take()) pass it over, with nothing else done?  It does when the
 * line is no soft break (that joins the next), no header the reader or
 * the mail's metadata takes (From , Content-Transfer-Encoding:, Date:,
 * Message-ID:, Subject:, told by their first letters), and decoded it is
 * neither metadata nor a line that may begin a report.
 */
static bool qp_passed(const char *p, size_t n, char *scratch)
{
	size_t len;

	while (n && p[n - 1] == '\r')
		n--;
	if (!n)
		return true;
	if (input_qp_soft_break(p, n) || header_first(p[0]))
		return false;
	len = input_qp_decode(scratch, p, n);
	while (len && scratch[len - 1] == '\r')
		len--;
	return !mailmeta_raw_maybe(scratch, len) && !input_text_wanted(scratch, len);
}

/*
 * A line that shows a plain reader the body is quoted-printable
 * (input_qp_evidence()), and that every reader looks at whole when it stops
 * at it: it has a blank (no line of base64), and begins no mail header and
 * no folded line of one.  Past it, until the next message ("From "), a
 * reader decodes.
 */
static bool qp_settles(const char *p, size_t n)
{
	switch (n ? p[0] : 'C') {
	case 'C': case 'c': case 'D': case 'd': case 'F': case 'f': case 'M': case 'm': case 'S': case 's':
	case ' ': case '\t':
		return false;
	default:
		return memchr(p, ' ', n) && input_qp_evidence(p, n);
	}
}

size_t input_text_stops(const char *p, size_t n, bool at_line, char *scratch, struct input_text_stop *st,
			size_t cap)
{
	size_t ls = 0, k = 0, lines = 0;
	int mode = SKIP_EITHER;

	if (!at_line) {
		const char *q = memchr(p, '\n', n);

		if (!q)
			return 0;       /* no line begins here */
		ls = (size_t)(q - p) + 1;
		lines = 1;
	}
	while (k < cap) {
		size_t c;
		bool stop;
		const char *r = text_skip(p + ls, n - ls, mode, &c, &stop), *e;
		size_t len;

		lines += c;
		ls = (size_t)(r - p);
		e = stop ? memchr(r, '\n', n - ls) : NULL;
		st[k].off = (uint32_t)ls;
		st[k].nl = (uint32_t)lines;
		if (!e) {
			/* the line not whole, or the end */
			st[k++].flags = INPUT_STOP_PLAIN | INPUT_STOP_QP;
			break;
		}
		/*
		 * Plain text stops at the stops of either decoding: the few it
		 * would pass ("=41") cost the reader a look, which passes them.
		 */
		len = (size_t)(e - r);
		st[k].flags = INPUT_STOP_PLAIN | (qp_passed(r, len, scratch) ? 0 : INPUT_STOP_QP);
		if (len > 5 && !memcmp(r, "From ", 5))
			mode = SKIP_EITHER;     /* a new message: plain until shown otherwise */
		else if (mode == SKIP_EITHER && qp_settles(r, len))
			mode = SKIP_EITHER_QP;
		k++;
		lines++;
		ls = (size_t)(e - p) + 1;
	}
	return k;
}

const char *input_find_anchor(const char *p, size_t n)
{
	size_t nl;

	return input_scan_anchor(p, n, &nl);
}
