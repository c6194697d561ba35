/* parse_frame.c - the frame grammar: one function per form of stack entry. */
#define _GNU_SOURCE
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "parse_internal.h"

#define ID (PFRAME_C_IDSTART | PFRAME_C_IDENT)
#define HX (PFRAME_C_IDENT | PFRAME_C_HEX)
#define IH (ID | PFRAME_C_HEX)

const unsigned char pframe_ctype[256] = {
	['$'] = ID, ['.'] = ID, ['_'] = ID,
	['0'] = HX, ['1'] = HX, ['2'] = HX, ['3'] = HX, ['4'] = HX,
	['5'] = HX, ['6'] = HX, ['7'] = HX, ['8'] = HX, ['9'] = HX,
	['A'] = IH, ['B'] = IH, ['C'] = IH, ['D'] = IH, ['E'] = IH, ['F'] = IH,
	['G'] = ID, ['H'] = ID, ['I'] = ID, ['J'] = ID, ['K'] = ID, ['L'] = ID, ['M'] = ID,
	['N'] = ID, ['O'] = ID, ['P'] = ID, ['Q'] = ID, ['R'] = ID, ['S'] = ID, ['T'] = ID,
	['U'] = ID, ['V'] = ID, ['W'] = ID, ['X'] = ID, ['Y'] = ID, ['Z'] = ID,
	['a'] = IH, ['b'] = IH, ['c'] = IH, ['d'] = IH, ['e'] = IH, ['f'] = IH,
	['g'] = ID, ['h'] = ID, ['i'] = ID, ['j'] = ID, ['k'] = ID, ['l'] = ID, ['m'] = ID,
	['n'] = ID, ['o'] = ID, ['p'] = ID, ['q'] = ID, ['r'] = ID, ['s'] = ID, ['t'] = ID,
	['u'] = ID, ['v'] = ID, ['w'] = ID, ['x'] = ID, ['y'] = ID, ['z'] = ID,
};

#undef ID
#undef HX
#undef IH

/* ---------------------------------------------------------------------- */
/* numbers read from input: never wrapped, never undefined */

static unsigned hex_val(char c)
{
	return (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
}

/* "0x1f" at *pp: advance past it; false if it is none or does not fit 64 bits. */
static bool hex_number(const char **pp, const char *e, uint64_t *v)
{
	const char *p = *pp;
	uint64_t x = 0;

	if (e - p < 3 || p[0] != '0' || (p[1] != 'x' && p[1] != 'X') || !pframe_is_hexc(p[2]))
		return false;
	p += 2;
	while (p < e && pframe_is_hexc(*p)) {
		if (x > UINT64_MAX >> 4)
			return false;
		x = x << 4 | hex_val(*p);
		p++;
	}
	*v = x;
	*pp = p;
	return true;
}

bool pframe_hex_token(const char *s, size_t n, uint64_t *v)
{
	const char *p = s + 2, *e = s + n;
	uint64_t x = 0;

	for (; p < e && pframe_is_hexc(*p); p++) {
		if (x > UINT64_MAX >> 4)
			return false;
		x = x << 4 | hex_val(*p);
	}
	*v = x;
	return true;
}

bool pframe_dec(const char *s, size_t n, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (d > 9 || x > (max - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

int pframe_line_number(const char *s, size_t n)
{
	uint64_t v;

	return pframe_dec(s, n, INT_MAX, &v) ? (int)v : 0;
}

/* ---------------------------------------------------------------------- */
/* pieces */

/*
 * "path/file.c:123" or "file.h:45:6": a source location token.  The line
 * may be unknown: decode_stacktrace prints "file.c:?" (addr2line found
 * none), syzbot "file.h:-1"; both give line 0.
 */
static bool parse_loc(const char **pp, const char *e, char **file, int *line)
{
	const char *p = *pp, *t = p, *colon = NULL, *d;
	bool unknown;

	while (t < e && *t != ' ' && *t != '\t' && *t != ')' && *t != '(') {
		if (*t == ':' && !colon)
			colon = t;
		t++;
	}
	if (!colon || colon == p || colon + 1 >= t)
		return false;
	unknown = (colon[1] == '?' && colon + 2 == t) ||
		  (colon[1] == '-' && colon + 2 < t && colon[2] >= '0' && colon[2] <= '9');
	if (!unknown && (colon[1] < '0' || colon[1] > '9'))
		return false;
	for (const char *q = p; q < colon; q++)
		if (!(pframe_is_ident(*q) || *q == '/' || *q == '-' || *q == '+'))
			return false;
	/* a file name has an extension or a directory */
	if (!memchr(p, '.', (size_t)(colon - p)) && !memchr(p, '/', (size_t)(colon - p)))
		return false;
	for (d = colon + 1; d < t && *d >= '0' && *d <= '9'; d++)
		;
	*file = xstrndup(p, (size_t)(colon - p));
	*line = unknown ? 0 : pframe_line_number(colon + 1, (size_t)(d - colon - 1));
	*pp = t;
	return true;
}

/* What comes before the entry: "[<ffffffff81234567>] " (old x86), "? " (unreliable). */
static const char *frame_lead(const char *p, const char *e, struct frame *f)
{
	p = pframe_skip_sp(p, e);
	if (e - p >= 3 && p[0] == '[' && p[1] == '<') {
		const char *q = memchr(p, '>', (size_t)(e - p));

		const char *h = p + 2;
		uint64_t a;

		if (!q || q + 1 >= e || q[1] != ']')
			return NULL;
		while (h < q && pframe_is_hexc(*h))
			h++;
		/* the printed address: text frames whose address and func+off disagree show a KASLR slide */
		if (h == q && q - p > 2 && pframe_hex_token(p, (size_t)(q - p), &a))
			f->addr = a;
		p = pframe_skip_sp(q + 2, e);
	}
	if (e - p >= 2 && p[0] == '?' && p[1] == ' ') {
		f->unreliable = true;
		p = pframe_skip_sp(p + 2, e);
	}
	return p < e ? p : NULL;
}

enum pframe_res { PFRAME_ABSENT, PFRAME_OK, PFRAME_BAD };

/* An unsymbolized address, "0xc26420dc": alone on its line. */
static enum pframe_res frame_address(const char *p, const char *e, bool allow_bare, struct frame *f)
{
	const char *q = p;
	uint64_t a;

	if (e - p < 3 || p[0] != '0' || p[1] != 'x')
		return PFRAME_ABSENT;
	if (!hex_number(&q, e, &a))
		return PFRAME_BAD;
	if (q < e && *q != ' ')
		return PFRAME_BAD;   /* "0x1+..." is no name either */
	if (pframe_skip_sp(q, e) != e || (!allow_bare && !f->unreliable))
		return PFRAME_BAD;
	f->func = xstrndup(p, (size_t)(q - p));
	f->is_addr = true;
	f->addr = a;
	return PFRAME_OK;
}

/* The raw form's "+0xOFF/0xSIZE", and faddr2line's "func+0xOFF/0xSIZE:". */
static enum pframe_res frame_offset(const char **pp, const char *e, struct frame *f)
{
	const char *q = *pp;
	uint64_t off, size;

	if (q >= e || *q != '+')
		return PFRAME_ABSENT;
	q++;
	if (!hex_number(&q, e, &off) || q >= e || *q != '/')
		return PFRAME_BAD;
	q++;
	if (!hex_number(&q, e, &size))
		return PFRAME_BAD;
	f->has_off = true;
	f->off = off;
	f->size = size;
	if (q < e && *q == ':')
		q++;    /* faddr2line */
	*pp = q;
	return PFRAME_OK;
}

/* The raw form's module: "[module]" or "[module buildid]". */
static enum pframe_res frame_module(const char **pp, const char *e, struct frame *f)
{
	const char *p = *pp, *q, *m;

	if (p >= e || *p != '[' || (e - p >= 8 && !memcmp(p, "[inline]", 8)))
		return PFRAME_ABSENT;
	q = m = p + 1;
	while (q < e && (pframe_is_ident(*q) || *q == '-'))
		q++;
	if (q == m)
		return PFRAME_BAD;
	f->module = xstrndup(m, (size_t)(q - m));
	if (q < e && *q == ' ') {
		const char *b = ++q;

		while (q < e && pframe_is_hexc(*q))
			q++;
		if (q > b)
			f->buildid = xstrndup(b, (size_t)(q - b));
	}
	if (q < e && *q == ']')
		q++;
	else if (q < e)
		return PFRAME_BAD;   /* "[mod" cut at the end of a wrapped line is fine */
	*pp = pframe_skip_sp(q, e);
	return PFRAME_OK;
}

/* syzbot: "file.c:12" or "file.h:45 [inline]" after the function. */
static enum pframe_res frame_syzbot(const char **pp, const char *e, struct frame *f)
{
	const char *p = *pp, *q = p;

	if (p >= e || *p == '(' || !parse_loc(&q, e, &f->file, &f->line))
		return PFRAME_ABSENT;
	f->given = true;
	p = pframe_skip_sp(q, e);
	if (e - p >= 8 && !memcmp(p, "[inline]", 8)) {
		f->inlined = true;
		p = pframe_skip_sp(p + 8, e);
	}
	*pp = p;
	return PFRAME_OK;
}

/* The locations inside decode_stacktrace's "(...)": false if there are none. */
static bool decode_locs(const char *q, const char *close, struct frame *f)
{
	char *lastf = NULL;
	int lastl = 0;
	struct sbuf locs = SBUF_INIT;

	while (q < close) {
		char *file;
		int line;
		const char *r;

		q = pframe_skip_sp(q, close);
		if (q >= close)
			break;
		if (*q == '(') {
			/* "(discriminator 2)" */
			r = memchr(q, ')', (size_t)(close - q));
			q = r ? r + 1 : close;
			continue;
		}
		r = q;
		if (!parse_loc(&r, close, &file, &line)) {
			while (q < close && *q != ' ')
				q++;
			continue;
		}
		if (lastf)
			sbuf_addf(&locs, "\t%s:%d\n", lastf, lastl);
		free(lastf);
		lastf = file;
		lastl = line;
		q = r;
	}
	if (locs.len)
		f->locs = sbuf_detach(&locs);
	sbuf_release(&locs);
	if (!lastf)
		return false;
	/* addr2line -i lists the innermost location first: the last is the call site */
	free(f->file);
	f->file = lastf;
	f->line = lastl;
	f->given = true;
	return true;
}

/* decode_stacktrace: "(loc loc (discriminator N)) module" after the function. */
static enum pframe_res frame_decode(const char **pp, const char *e, struct frame *f)
{
	const char *p = *pp, *close;
	int depth = 1;

	if (p >= e || *p != '(')
		return PFRAME_ABSENT;
	for (close = p + 1; close < e && depth; close++) {
		if (*close == '(')
			depth++;
		else if (*close == ')')
			depth--;
	}
	if (depth)
		return PFRAME_BAD;
	close--;   /* at ')' */
	if (!decode_locs(p + 1, close, f))
		return PFRAME_BAD;
	p = pframe_skip_sp(close + 1, e);
	if (p < e && !f->module) {
		const char *m = p;

		while (p < e && (pframe_is_ident(*p) || *p == '-'))
			p++;
		if (p > m)
			f->module = xstrndup(m, (size_t)(p - m));
		p = pframe_skip_sp(p, e);
	}
	*pp = p;
	return PFRAME_OK;
}

/* Commentary after a pasted frame, past a blank: "   <-- inconsistent", "  // why", "  # note". */
static bool frame_comment(const char *p, const char *e)
{
	static const char *const marks[] = { "<-", "<=", "<<", "//", "/*", "#", "\xe2\x86\x90" /* U+2190 */ };

	if (p[-1] != ' ' && p[-1] != '\t')
		return false;
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (mem_startswith(p, (size_t)(e - p), marks[i]))
			return true;
	return false;
}

/*
 * A function and what follows it: the raw, syzbot, decode_stacktrace and
 * faddr2line forms, maybe with a comment after them.  *end: where the
 * frame's own text ends.
 */
static bool frame_named(const char *p, const char *e, bool allow_bare, struct frame *f, const char **end,
			const char **printed)
{
	static enum pframe_res (*const tails[])(const char **, const char *, struct frame *) = {
		frame_module, frame_syzbot, frame_decode,
	};
	const char *name = p;
	size_t nlen;
	bool rest = false;
	enum pframe_res res;

	if (!pframe_is_ident_start(*p))
		return false;
	while (p < e && pframe_is_ident(*p))
		p++;
	nlen = (size_t)(p - name);
	res = frame_offset(&p, e, f);
	if (res == PFRAME_BAD)
		return false;
	rest = res == PFRAME_OK;
	if (p < e && *p != ' ' && *p != '\t')
		return false;
	p = pframe_skip_sp(p, e);
	*printed = NULL;
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		const char *before = p;

		res = tails[i](&p, e, f);
		if (res == PFRAME_BAD)
			return false;
		rest |= res == PFRAME_OK;
		/* a location (syzbot's, decode_stacktrace's) was added to what the kernel printed */
		if (res == PFRAME_OK && tails[i] != frame_module && !*printed)
			*printed = before;
	}
	*end = e;
	if (p != e && p > name && rest && frame_comment(p, e)) {
		for (*end = p; *end > name && ((*end)[-1] == ' ' || (*end)[-1] == '\t'); (*end)--)
			;
		p = e;
	}
	if (p != e || !(rest || allow_bare))
		return false;
	if (!*printed || *printed > *end)
		*printed = *end;
	while (*printed > name && ((*printed)[-1] == ' ' || (*printed)[-1] == '\t'))
		(*printed)--;
	f->func = xstrndup(name, nlen);
	return true;
}

/*
 * One stack entry, in any form seen in the wild:
 *   func+0xOFF/0xSIZE [module] [module buildid]
 *   [<ffffffff81234567>] func+0xOFF/0xSIZE            (old x86)
 *   ? func+0xOFF/0xSIZE                                (unreliable)
 *   func+0xOFF/0xSIZE file.c:12                        (syzbot)
 *   func file.h:45 [inline]     func    file.c:12       (syzbot, aligned)
 *   func (file.c:12 file.h:3 (discriminator 2)) module (decode_stacktrace)
 *   func+0xOFF/0xSIZE:                                 (faddr2line)
 *   0xc26420dc                                         (unsymbolized)
 *   func                                               (bare: allow_bare only)
 *   any of these   <-- a comment                       (pasted and annotated)
 */
bool pframe_parse(const char *s, size_t len, bool allow_bare, struct frame *f, struct pframe_text *t)
{
	const char *p, *e = s + len, *end, *printed;
	enum pframe_res res;

	memset(f, 0, sizeof(*f));
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	end = printed = e;
	p = frame_lead(s, e, f);
	if (!p)
		return false;
	res = frame_address(p, e, allow_bare, f);
	if (res == PFRAME_OK || (res == PFRAME_ABSENT && frame_named(p, e, allow_bare, f, &end, &printed))) {
		if (t) {
			t->used = (size_t)(end - s);
			t->printed = (size_t)(printed - s);
		}
		return true;
	}
	frame_release(f);
	return false;
}

bool parse_frame_text(const char *s, size_t len, bool allow_bare, struct frame *f)
{
	return pframe_parse(s, len, allow_bare, f, NULL);
}

bool pframe_frame_cut(const char *s, size_t n)
{
	int depth = 0;
	size_t i = 0;

	if (!n || !pframe_is_ident_start(s[0]))
		return false;
	while (i < n && pframe_is_ident(s[i]))
		i++;
	if (i < n && s[i] == '+')
		while (i < n && s[i] != ' ')
			i++;
	if (i + 1 >= n || s[i] != ' ' || s[i + 1] != '(')
		return false;
	for (; i < n; i++)
		depth += s[i] == '(' ? 1 : s[i] == ')' ? -1 : 0;
	return depth > 0 && memchr(s, ':', n);
}
