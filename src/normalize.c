/* normalize.c - strip quoting, log prefixes and printk times from lines. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "normalize.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* HTML entities of web archives: &gt; quoting, &lt;IRQ&gt;, &amp;. */
static size_t html_entity(const char *p, size_t n, char *out)
{
	static const struct { const char *name; char c; } ents[] = {
		{ "&gt;", '>' }, { "&lt;", '<' }, { "&amp;", '&' }, { "&quot;", '"' }, { "&#39;", '\'' },
		{ "&nbsp;", ' ' }, { "&#x27;", '\'' },
	};
	for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
		size_t k = strlen(ents[i].name);

		if (n >= k && !memcmp(p, ents[i].name, k)) {
			*out = ents[i].c;
			return k;
		}
	}
	return 0;
}

/*
 * A log line that is a JSON record (LAVA's "- {"dt": ..., "msg": "..."}",
 * journalctl -o json's "MESSAGE"): the message, unescaped, into out.
 */
static bool json_message(struct sbuf *out, const char *p, size_t n)
{
	static const char *const keys[] = { "\"msg\":", "\"MESSAGE\":", "\"message\":", NULL };
	const char *e = p + n, *q = NULL;

	if (n < 8 || !(p[0] == '{' || (p[0] == '-' && p[1] == ' ' && p[2] == '{')))
		return false;
	for (int i = 0; keys[i] && !q; i++) {
		q = memmem(p, n, keys[i], strlen(keys[i]));
		if (q)
			q += strlen(keys[i]);
	}
	if (!q)
		return false;
	while (q < e && is_blank(*q))
		q++;
	if (q >= e || *q != '"')
		return false;
	sbuf_reset(out);
	for (q++; q < e && *q != '"'; q++) {
		if (*q == '\\' && q + 1 < e) {
			q++;
			switch (*q) {
			case 'n': case 'r': case 't': sbuf_addc(out, ' '); break;
			case 'u':
				if (e - q > 4) {
					unsigned v = (unsigned)strtoul((char[]){ q[1], q[2], q[3], q[4], 0 }, NULL, 16);

					sbuf_addc(out, v < 0x80 && v >= 0x20 ? (char)v : ' ');
					q += 4;
				}
				break;
			default: sbuf_addc(out, *q); break;
			}
		} else {
			sbuf_addc(out, *q);
		}
	}
	return true;
}

/* The special byte at p[i] (see normalize_clean_scalar()) onto out: the index after it. */
static size_t clean_one(struct sbuf *out, const char *p, size_t n, size_t i)
{
	unsigned char c = (unsigned char)p[i];
	size_t k;
	char c1;

	if (c == 0xc2 && i + 1 < n && (unsigned char)p[i + 1] == 0xa0) {
		out->buf[out->len++] = ' ';
		return i + 2;
	}
	if (c == '&' && (k = html_entity(p + i, n - i, &c1))) {
		out->buf[out->len++] = c1;
		return i + k;
	}
	if (c == 0x1b) {
		/* ESC [ params final, ESC ] ... BEL, ESC x */
		if (i + 1 < n && p[i + 1] == '[') {
			i += 2;
			while (i < n && !((unsigned char)p[i] >= 0x40 && (unsigned char)p[i] <= 0x7e))
				i++;
		} else if (i + 1 < n && p[i + 1] == ']') {
			i += 2;
			while (i < n && p[i] != 7 && p[i] != 0x1b)
				i++;
		} else {
			i++;
		}
		return i + 1;
	}
	out->buf[out->len++] = c == 0 || c == '\r' ? ' ' : (char)c;
	return i + 1;
}

static bool clean_special(char c)
{
	return c == 0 || c == '\r' || c == '&' || c == 0x1b || (unsigned char)c == 0xc2;
}

/* Copy the line, replacing NUL and no-break spaces by spaces and dropping escapes: a byte at a time. */
void normalize_clean_scalar(struct sbuf *out, const char *p, size_t n)
{
	sbuf_reset(out);
	sbuf_grow(out, n);
	for (size_t i = 0; i < n;) {
		if (clean_special(p[i])) {
			i = clean_one(out, p, n, i);
			continue;
		}
		out->buf[out->len++] = p[i++];
	}
	out->buf[out->len] = 0;
}

#ifdef __SSE2__
/* The bytes of p[0, 16) that clean_one() handles: a bit each. */
static inline unsigned clean_mask16(const char *p)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_setzero_si128()), _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))),
				 _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('&')), _mm_cmpeq_epi8(v, _mm_set1_epi8(0x1b))));

	return (unsigned)_mm_movemask_epi8(_mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xc2))));
}
#endif

/* The index of the first byte at or after i that clean_one() handles, or n. */
static size_t clean_next(const char *p, size_t n, size_t i)
{
#ifdef __SSE2__
	for (; i + 16 <= n; i += 16) {
		unsigned bits = clean_mask16(p + i);

		if (bits)
			return i + (size_t)__builtin_ctz(bits);
	}
	if (i < n && n >= 16) {
		/* the last bytes in a block that overlaps the one before: its bits from i on */
		unsigned bits = clean_mask16(p + n - 16);

		bits >>= i - (n - 16);
		return bits ? i + (size_t)__builtin_ctz(bits) : n;
	}
#endif
	for (; i < n && !clean_special(p[i]); i++)
		;
	return i;
}

/* The same: the runs between the special bytes are copied whole. */
void normalize_clean(struct sbuf *out, const char *p, size_t n)
{
	sbuf_reset(out);
	sbuf_grow(out, n);
	for (size_t i = 0; i < n;) {
		size_t k = clean_next(p, n, i);

		memcpy(out->buf + out->len, p + i, k - i);
		out->len += k - i;
		i = k < n ? clean_one(out, p, n, k) : n;
	}
	out->buf[out->len] = 0;
}

/*
 * A printk time at p: "[   12.345678]", dmesg -H's "[  +0.000123]" and
 * "[Nov21 06:11]", --time-format=delta's "[<    0.000012>]", dmesg -T's
 * "[Thu May 28 03:51:42 2020]".  Returns its length, or 0.
 */
static size_t printk_time(const char *p, const char *e, const char **ts, size_t *ts_len)
{
	const char *q = p;
	bool angle = false;

	if (q >= e || *q != '[')
		return 0;
	q++;
	if (q < e && *q == '<') {
		angle = true;
		q++;
	}
	while (q < e && is_blank(*q))
		q++;
	if (q < e && *q == '+')
		q++;
	if (q < e && is_digit(*q)) {
		const char *d = q;

		while (q < e && is_digit(*q))
			q++;
		if (q < e && *q == '.') {
			q++;
			while (q < e && is_digit(*q))
				q++;
			if (angle && q < e && *q == '>')
				q++;
			if (q < e && *q == ']') {
				*ts = d;
				*ts_len = (size_t)(q - d) - (angle ? 1 : 0);
				return (size_t)(q + 1 - p);
			}
		}
		return 0;
	}
	/* dmesg -H: [Nov21 06:11] */
	if (e - q >= 12 && q[0] >= 'A' && q[0] <= 'Z' && is_digit(q[3]) && q[5] == ' ' && q[8] == ':' && q[11] == ']') {
		*ts = q;
		*ts_len = 11;
		return (size_t)(q + 12 - p);
	}
	/* dmesg -T: [Thu May 28 03:51:42 2020] */
	if (e - q >= 24 && q[3] == ' ' && q[7] == ' ' && q[13] == ':' && q[16] == ':' && q[19] == ' ' &&
	    q[24] == ']') {
		*ts = q;
		*ts_len = 24;
		return (size_t)(q + 25 - p);
	}
	return 0;
}

/* "[ T1234]", "[    C4]", "[T25724]" at p: returns its length, or 0. */
static size_t caller_id(const char *p, const char *e)
{
	const char *q = p;

	if (q >= e || *q != '[')
		return 0;
	q++;
	while (q < e && is_blank(*q))
		q++;
	if (q >= e || (*q != 'T' && *q != 'C'))
		return 0;
	q++;
	if (q >= e || !is_digit(*q))
		return 0;
	while (q < e && is_digit(*q))
		q++;
	if (q < e && *q == ']')
		return (size_t)(q + 1 - p);
	return 0;
}

static const char *skip_blanks(const char *p, const char *e)
{
	while (p < e && is_blank(*p))
		p++;
	return p;
}

/* "Mon DD hh:mm:ss host kernel: ", ISO "2020-05-28T03:51:42.123+02:00 host kernel: " */
static const char *syslog_prefix(const char *p, const char *e)
{
	const char *q = NULL, *k;
	size_t n = (size_t)(e - p);

	if (n > 16 && p[0] >= 'A' && p[0] <= 'Z' && p[3] == ' ' && (p[4] == ' ' || is_digit(p[4])) &&
	    is_digit(p[5]) && p[6] == ' ' && p[9] == ':' && p[12] == ':')
		q = p + 15;
	else if (n > 20 && is_digit(p[0]) && p[4] == '-' && p[7] == '-' && (p[10] == 'T' || p[10] == ' ') &&
		 p[13] == ':' && p[16] == ':') {
		q = p + 19;
		while (q < e && !is_blank(*q))
			q++;     /* fractions and zone */
	}
	else if (n > 9 && is_digit(p[0]) && is_digit(p[1]) && p[2] == ':' && is_digit(p[3]) && p[5] == ':' &&
		 is_digit(p[6]) && is_digit(p[7]) && (p[8] == ' ' || p[8] == '.' || p[8] == ',')) {
		/* a CI runner's "12:34:56 " or "12:34:56.789 " */
		q = p + 8;
		while (q < e && !is_blank(*q))
			q++;
		return skip_blanks(q, e);
	}
	if (!q)
		return p;
	q = skip_blanks(q, e);
	/* "host kernel: " or "kernel: " or just text (dmesg --time-format iso) */
	k = memmem(q, (size_t)(e - q) > 80 ? 80 : (size_t)(e - q), "kernel: ", 8);
	if (k) {
		const char *sp = memchr(q, ' ', (size_t)(k - q));

		/* nothing but a host name (and maybe more words) before "kernel:" */
		if (!sp || sp + 1 == k || memchr(sp + 1, ' ', (size_t)(k - sp - 1)) == NULL)
			return k + 8;
	}
	return q;
}

/* "4,1234,5678901,-;" /dev/kmsg records, "kern  :err   : " from dmesg -x */
static const char *kmsg_prefix(const char *p, const char *e)
{
	const char *q = p;
	int commas = 0;

	if (q < e && is_digit(*q)) {
		while (q < e && (is_digit(*q) || *q == ',' || *q == '-' || *q == '+' || *q == 'c')) {
			commas += *q == ',';
			q++;
		}
		if (commas >= 2 && q < e && *q == ';')
			return q + 1;
		q = p;
	}
	/* (e - p > 14: the words fit) */
	if (e - p > 14 && (!memcmp(p, "kern", 4) || !memcmp(p, "user", 4) || !memcmp(p, "daemon", 6) ||
			   !memcmp(p, "syslog", 6))) {
		const char *c1 = memchr(p, ':', 10);

		if (c1) {
			const char *c2 = memchr(c1 + 1, ':', (size_t)(e - c1 - 1) > 10 ? 10 : (size_t)(e - c1 - 1));

			if (c2 && c2 + 1 < e && c2[1] == ' ')
				return c2 + 2;
		}
	}
	return p;
}

static const char *level_prefix(const char *p, const char *e)
{
	if (e - p >= 3 && p[0] == '<' && is_digit(p[1]) && (p[2] == '>' || (is_digit(p[2]) && e - p >= 4 && p[3] == '>')))
		return p + (p[2] == '>' ? 3 : 4);
	return p;
}

/* After an optional printk time and caller id, the position of the text. */
static const char *time_and_caller(const char *p, const char *e, struct nline *out)
{
	size_t k;
	const char *q;

	q = skip_blanks(p, e);
	k = printk_time(q, e, &out->ts, &out->ts_len);
	if (!k) {
		/* a caller id without a time: CONFIG_PRINTK_CALLER, printk.time=0 */
		k = caller_id(q, e);
		return k ? q + k : p;
	}
	q += k;
	for (int i = 0; i < 2; i++) {
		const char *r = skip_blanks(q, e);

		k = caller_id(r, e);
		if (!k)
			break;
		q = r + k;
	}
	return q;
}

/* A printk time later in the line, after console text glued in front. */
static void find_glued(const char *p, const char *e, struct nline *out)
{
	const char *q = p + 1;

	while (q < e && (q = memchr(q, '[', (size_t)(e - q)))) {
		const char *ts;
		size_t tsl, k = printk_time(q, e, &ts, &tsl);

		if (k && tsl >= 8) {
			const char *r = q + k;

			for (int i = 0; i < 2; i++) {
				const char *s = skip_blanks(r, e);
				size_t c = caller_id(s, e);

				if (!c)
					break;
				r = s + c;
			}
			r = skip_blanks(r, e);
			out->alt = r;
			out->alt_len = (size_t)(e - r);
			return;
		}
		q++;
	}
}

void normalize_line(struct normalizer *nz, const struct input_line *in, struct nline *out)
{
	const char *p, *e, *q;
	int depth = 0;

	memset(out, 0, sizeof(*out));
	out->orig = in->text;
	out->orig_len = in->len;
	out->lineno = in->lineno;
	out->offset = in->offset;

	if (json_message(&nz->json, in->text, in->len))
		normalize_clean(&nz->clean, nz->json.buf, nz->json.len);
	else
		normalize_clean(&nz->clean, in->text, in->len);
	p = nz->clean.buf;
	e = p + nz->clean.len;
	while (e > p && is_blank(e[-1]))
		e--;

	/* a diff's added line */
	if (p < e && *p == '+' && !(e - p >= 3 && p[1] == '+' && p[2] == '+') && !(e - p >= 2 && p[1] == '-')) {
		p++;
		depth++;
	}
	/* quoting: "> ", ">>", "> > >", "| " (also after blanks: rst, markdown) */
	for (;;) {
		q = skip_blanks(p, e);
		if (q < e && *q == '>') {
			depth++;
			p = q + 1;
			if (p < e && *p == ' ')
				p++;
			continue;
		}
		if (q < e && *q == '|' && (q + 1 == e || q[1] == ' ' || q[1] == '\t' || q[1] == '|' || q[1] == '>')) {
			depth++;
			p = q + 1;
			if (p < e && *p == ' ')
				p++;
			continue;
		}
		break;
	}
	p = skip_blanks(p, e);
	p = level_prefix(p, e);
	p = syslog_prefix(p, e);
	p = kmsg_prefix(p, e);
	p = level_prefix(p, e);
	p = time_and_caller(p, e, out);
	/* a printk time may follow the syslog prefix, or a level after the time */
	if (!out->ts) {
		const char *r = level_prefix(skip_blanks(p, e), e);

		p = time_and_caller(r, e, out);
		if (!out->ts)
			p = r;
	}
	q = skip_blanks(p, e);
	out->indent = (int)(q - p);
	p = q;
	if (!out->ts)
		find_glued(p, e, out);

	/* the text is the cleaned copy's, cut at its trailing blanks (ts and alt point into it too) */
	nz->clean.buf[e - nz->clean.buf] = 0;
	out->text = p;
	out->len = (size_t)(e - p);
	out->depth = depth;
}

void normalizer_release(struct normalizer *nz)
{
	sbuf_release(&nz->clean);
	sbuf_release(&nz->text);
	sbuf_release(&nz->json);
}
