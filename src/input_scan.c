/*
 * input_scan.c - the reader's byte scanners: newlines, the "KCSAN" anchor,
 * and the lines of mail text that an idle parser must see.
 *
 * Each has a scalar version, the reference, and an SSE2 version (SSE2 is in
 * every x86-64; other targets get the scalar one).  The unit tests hold the
 * two to the same answers on random buffers of every length and alignment.
 */
#define _GNU_SOURCE
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "input.h"

static const char anchor[] = "KCSAN";
#define ANCHOR_LEN (sizeof(anchor) - 1)

size_t input_count_newlines_scalar(const char *p, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += p[i] == '\n';
	return c;
}

const char *input_scan_anchor_scalar(const char *p, size_t n, size_t *nl)
{
	const char *a = memmem(p, n, anchor, ANCHOR_LEN);

	*nl = input_count_newlines_scalar(p, a ? (size_t)(a - p) : n);
	return a;
}

/* ---------------------------------------------------------------------- */
/* the lines an idle parser must see (text mode) */

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The normalizer takes the 15 bytes of "Mon DD hh:mm:ss" before the text
 * whatever their last byte is: a text may start after a letter there.
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
 * or a mark (']', '>', ';', ...), never a letter, but for a syslog prefix;
 * an escape sequence or a JSON record can hide anything.  j is a candidate:
 * true when the line must be seen.
 */
static bool wanted_at(const char *p, size_t n, size_t j)
{
	static const char words[][4] = { { 'B', 'U', 'G', ':' }, { 'r', 'e', 'a', 'd' }, { 'r', 'a', 'c', 'e' },
					  { 'w', 'r', 'i', 't' }, { 'a', 's', 's', 'e' } };

	if (p[j] == 0x1b)
		return true;
	if (n - j < 4)
		return false;
	for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
		if (!memcmp(p + j, words[w], 4))
			return j == 0 || !is_alpha(p[j - 1]) || syslog_before(p, j);
	return false;
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

		m |= (unsigned long long)_mm_movemask_epi8(_mm_and_si128(EQ(a, 'K'), EQ(b, 'N'))) << (16 * k);
	}
	return m;
}

/* The first true anchor in the 64-byte block at p, or NULL. */
static const char *anchor_verify(const char *p)
{
	for (unsigned long long m = anchor_cands64(p); m; m &= m - 1) {
		const char *a = p + __builtin_ctzll(m);

		if (!memcmp(a + 1, anchor + 1, ANCHOR_LEN - 2))
			return a;
	}
	return NULL;
}

/* 64 bytes at p: whether an anchor may start there; its newlines into *acc. */
static bool anchor_round(const char *p, __m128i *acc)
{
	const __m128i k = _mm_set1_epi8('K'), n = _mm_set1_epi8('N'), nl = _mm_set1_epi8('\n');
	__m128i a0 = LOAD(p), a1 = LOAD(p + 16), a2 = LOAD(p + 32), a3 = LOAD(p + 48);
	__m128i c, l;

	c = _mm_or_si128(_mm_and_si128(_mm_cmpeq_epi8(a0, k), _mm_cmpeq_epi8(LOAD(p + 4), n)),
			 _mm_and_si128(_mm_cmpeq_epi8(a1, k), _mm_cmpeq_epi8(LOAD(p + 20), n)));
	c = _mm_or_si128(c, _mm_or_si128(_mm_and_si128(_mm_cmpeq_epi8(a2, k), _mm_cmpeq_epi8(LOAD(p + 36), n)),
					 _mm_and_si128(_mm_cmpeq_epi8(a3, k), _mm_cmpeq_epi8(LOAD(p + 52), n))));
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

	while (n - i >= 64 + ANCHOR_LEN - 1) {
		__m128i acc = _mm_setzero_si128();

		/* 63 rounds of at most 4 keep every lane under 256 */
		for (int r = 0; r < 63 && n - i >= 64 + ANCHOR_LEN - 1; r++, i += 64) {
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
	a = memmem(p + i, n - i, anchor, ANCHOR_LEN);
	tail = a ? (size_t)(a - (p + i)) : n - i;
	*nl = c + input_count_newlines_scalar(p + i, tail);
	return a;
}

/* Candidates of wanted_at() in p[0, 16): a bit each (p[16] is read). */
static unsigned wanted_cands16(const char *p)
{
	__m128i a = LOAD(p), b = LOAD(p + 1), m;

	m = _mm_or_si128(_mm_and_si128(EQ(a, 'B'), EQ(b, 'U')),
			 _mm_and_si128(EQ(a, 'r'), _mm_or_si128(EQ(b, 'e'), EQ(b, 'a'))));
	m = _mm_or_si128(m, _mm_or_si128(_mm_and_si128(EQ(a, 'w'), EQ(b, 'r')), _mm_and_si128(EQ(a, 'a'), EQ(b, 's'))));
	return (unsigned)_mm_movemask_epi8(_mm_or_si128(m, EQ(a, 0x1b)));
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

#endif

const char *input_find_anchor(const char *p, size_t n)
{
	size_t nl;

	return input_scan_anchor(p, n, &nl);
}
