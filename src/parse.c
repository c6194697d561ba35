/* parse.c - a state machine over normalized lines that recognises KCSAN reports. */
#define _GNU_SOURCE
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

/*
 * The lines KCSAN prints (kernel/kcsan/report.c, every version since the
 * 2019 prototype):
 *
 *   ==================================================================
 *   BUG: KCSAN: data-race in A+0x1/0x2 / B+0x3/0x4     (or "assert: race",
 *                               "racing read in F", "data-race in A and B")
 *   <blank>
 *   [race at unknown origin, with ]read (marked) to 0x... of 8 bytes by task 1 on cpu 0:
 *    frames
 *     |
 *     +-> reordered to: F+0x1/0x2
 *   <blank> [verbose: lock list, irq event stamp]
 *   second access and its stack
 *   <blank>
 *   value changed: 0x.. -> 0x..
 *    bits changed: 0x.. with mask 0x..
 *   <blank>
 *   Reported by Kernel Concurrency Sanitizer on:
 *   CPU: 1 PID: 2 Comm: x Not tainted 6.1.0 #1
 *   Hardware name: ...
 *   ==================================================================
 */

#define NOISE_LIMIT 8        /* unrecognised lines in a row that close a report */
#define LOCKS_LIMIT 160      /* lines of verbose lock information */
#define JOIN_LIMIT 3         /* physical lines a wrapped line may span */

enum pstate { ST_IDLE, ST_HEAD, ST_STACK, ST_POST, ST_LOCKS, ST_FOOTER, ST_TAIL };

enum lkind {
	L_OTHER, L_BLANK, L_BUG, L_BUG_PART, L_SEP, L_ACCESS, L_ACCESS_PART, L_VALUE, L_VALUE_PART, L_BITS,
	L_REPORTED, L_CPU, L_CPU_PART, L_HW, L_LOCKINFO, L_BAR, L_REORD, L_MARKER, L_ELISION,
	L_SYMINFO,
};

enum pkind { PK_NONE, PK_ACCESS, PK_CPU, PK_VALUE, PK_FRAME, PK_BUG };

struct parser {
	char *source;
	parse_emit_fn emit;
	void *data;
	enum pstate st;
	struct report *r;
	int depth;
	int noise;
	int locks;
	bool adjacent;          /* the line before was the access line or a frame */
	bool stack_noise;       /* noise interrupted the current stack */
	bool footer;            /* "Reported by" or the CPU line was seen */
	bool reord_wait;        /* "+-> reordered to:" wrapped: its frame is next */
	int max_acc;
	/* the BUG line, which a mail client may have wrapped */
	bool bug_open;
	bool bug_inline;
	struct sbuf bug_text;
	/* a wrapped access, CPU or value line waiting for its continuation */
	enum pkind pk;
	struct sbuf pend;
	int pend_lines;
	int pend_depth;
	uint64_t pend_lineno, pend_offset;
	char *pend_ts;
	struct sbuf pend_raw;
};

/* ---------------------------------------------------------------------- */
/* grammars */

enum re_id {
	RE_ACCESS, RE_ACCESS_PART, RE_CPU, RE_CPU_PART, RE_KVER, RE_COMM, RE_VALUE, RE_VALUE_PART, RE_BITS,
	RE_SYMINFO, RE_COUNT
};

static const char *const re_src[RE_COUNT] = {
	[RE_ACCESS] =
		"^(race at unknown origin, with )?"
		"(read-write|read|write|assert no writes|assert no accesses)"
		"(?: \\(((?:marked|reordered|scoped)(?:, ?(?:marked|reordered|scoped))*)\\))?"
		" to (0x[0-9a-fA-F]+|\\S+) of (\\d+) bytes by "
		"(?:task (\\S+?)|(interrupt))(?: on cpu (\\d+))?:\\s*$",
	/* a prefix of an access line that a mail client cut */
	[RE_ACCESS_PART] =
		"^(?:race(?: at(?: unknown(?: origin(?:,(?: with)?)?)?)?)?$|race at unknown origin, with |"
		"(?=read|write|assert))"
		"(?:(?:read-write|read|write|assert no writes|assert no accesses|assert(?: no)?)"
		"(?: \\([a-z, ]*\\)?)?(?: to(?: \\S+(?: of(?: \\d+(?: bytes(?: by.*)?)?)?)?)?)?)?$",
	[RE_CPU] = "^CPU: \\d+ (?:UID: \\d+ )?PID: \\d+ Comm: ",
	[RE_CPU_PART] = "^CPU:(?: \\d+(?: (?:UID:(?: \\d+)? ?)?(?:PID:(?: \\d+(?: Comm:?)?)?)?)?)?$",
	[RE_KVER] = "(\\d+\\.\\d+[^\\s#]*) +#\\d+",
	[RE_COMM] = "^CPU: (\\d+) (?:UID: \\d+ )?PID: (\\d+) Comm: (.*?) (?:Not tainted|Tainted:|Kdump:)",
	[RE_VALUE] = "^value changed: (0x[0-9a-fA-F]+) -> (0x[0-9a-fA-F]+)\\s*$",
	[RE_VALUE_PART] = "^value(?: changed:(?: 0x[0-9a-fA-F]+(?: ->)?)?)?$",
	[RE_BITS] = "^bits changed: (0x[0-9a-fA-F]+) with mask (0x[0-9a-fA-F]+)",
	[RE_SYMINFO] = "^(?:\\(inlined by\\) )?([A-Za-z_$.][\\w$.]*) at (\\S+?):(\\d+)(?::\\d+)?(?: \\(discriminator \\d+\\))?\\s*$",
};

static struct {
	pcre2_code *code[RE_COUNT];
	pcre2_match_data *md;
	bool ready;
} G;

static void grammar_init(void)
{
	int err;
	PCRE2_SIZE off;

	if (G.ready)
		return;
	for (int i = 0; i < RE_COUNT; i++) {
		G.code[i] = pcre2_compile((PCRE2_SPTR)re_src[i], PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
		if (!G.code[i]) {
			PCRE2_UCHAR msg[256];

			pcre2_get_error_message(err, msg, sizeof(msg));
			kt_die("internal grammar %d: %s at offset %zu", i, (char *)msg, (size_t)off);
		}
		pcre2_jit_compile(G.code[i], PCRE2_JIT_COMPLETE);
	}
	G.md = pcre2_match_data_create(16, NULL);
	G.ready = true;
}

void parse_cleanup(void)
{
	if (!G.ready)
		return;
	for (int i = 0; i < RE_COUNT; i++)
		pcre2_code_free(G.code[i]);
	pcre2_match_data_free(G.md);
	G.ready = false;
}

/* Match; groups are read with grp(). */
static bool rematch(enum re_id id, const char *s, size_t len)
{
	grammar_init();
	return pcre2_match(G.code[id], (PCRE2_SPTR)s, len, 0, 0, G.md, NULL) > 0;
}

static bool grp(const char *s, int i, const char **p, size_t *n)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(G.md);

	if (ov[2 * i] == PCRE2_UNSET)
		return false;
	*p = s + ov[2 * i];
	*n = ov[2 * i + 1] - ov[2 * i];
	return true;
}

static char *grp_dup(const char *s, int i)
{
	const char *p;
	size_t n;

	return grp(s, i, &p, &n) ? xstrndup(p, n) : NULL;
}

/* ---------------------------------------------------------------------- */
/* frames */

static bool is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' || c == '.';
}

static bool is_ident(char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

static bool is_hexc(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static const char *skip_sp(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static bool parse_hex(const char **pp, const char *e, uint64_t *v)
{
	const char *p = *pp;
	uint64_t x = 0;

	if (e - p < 3 || p[0] != '0' || (p[1] != 'x' && p[1] != 'X') || !is_hexc(p[2]))
		return false;
	p += 2;
	while (p < e && is_hexc(*p)) {
		x = x * 16 + (uint64_t)(*p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10);
		p++;
	}
	*v = x;
	*pp = p;
	return true;
}

/* "path/file.c:123" or "file.h:45:6": a source location token. */
static bool parse_loc(const char **pp, const char *e, char **file, int *line)
{
	const char *p = *pp, *t = p, *colon = NULL;
	long ln = 0;

	while (t < e && *t != ' ' && *t != '\t' && *t != ')' && *t != '(') {
		if (*t == ':' && !colon)
			colon = t;
		t++;
	}
	if (!colon || colon == p || colon + 1 >= t || colon[1] < '0' || colon[1] > '9')
		return false;
	for (const char *q = p; q < colon; q++)
		if (!(is_ident(*q) || *q == '/' || *q == '-' || *q == '+'))
			return false;
	/* a file name has an extension or a directory */
	if (!memchr(p, '.', (size_t)(colon - p)) && !memchr(p, '/', (size_t)(colon - p)))
		return false;
	for (const char *q = colon + 1; q < t && *q >= '0' && *q <= '9'; q++)
		ln = ln * 10 + (*q - '0');
	if (file) {
		*file = xstrndup(p, (size_t)(colon - p));
		*line = (int)ln;
	}
	*pp = t;
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
 */
bool parse_frame_text(const char *s, size_t len, bool allow_bare, struct frame *f)
{
	const char *p = s, *e = s + len, *name;
	size_t nlen;
	uint64_t off, size;
	bool rest = false;

	memset(f, 0, sizeof(*f));
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	p = skip_sp(p, e);
	if (e - p >= 3 && p[0] == '[' && p[1] == '<') {
		const char *q = memchr(p, '>', (size_t)(e - p));

		if (!q || q + 1 >= e || q[1] != ']')
			return false;
		p = skip_sp(q + 2, e);
	}
	if (e - p >= 2 && p[0] == '?' && p[1] == ' ') {
		f->unreliable = true;
		p = skip_sp(p + 2, e);
	}
	if (p >= e)
		return false;
	/* an unsymbolized address */
	if (e - p >= 3 && p[0] == '0' && p[1] == 'x') {
		const char *q = p;
		uint64_t a;

		if (!parse_hex(&q, e, &a))
			return false;
		if (q < e && *q != ' ')
			goto named;
		f->func = xstrndup(p, (size_t)(q - p));
		q = skip_sp(q, e);
		if (q != e || (!allow_bare && !f->unreliable)) {
			frame_release(f);
			return false;
		}
		f->is_addr = true;
		f->addr = a;
		return true;
	}
named:
	if (!is_ident_start(*p))
		return false;
	name = p;
	while (p < e && is_ident(*p))
		p++;
	nlen = (size_t)(p - name);
	if (p < e && *p == '+') {
		const char *q = p + 1;

		if (!parse_hex(&q, e, &off) || q >= e || *q != '/')
			return false;
		q++;
		if (!parse_hex(&q, e, &size))
			return false;
		f->has_off = true;
		f->off = off;
		f->size = size;
		p = q;
		if (p < e && *p == ':')
			p++;    /* faddr2line's "func+0x1/0x2:" */
		rest = true;
	}
	if (p < e && *p != ' ' && *p != '\t')
		return false;
	p = skip_sp(p, e);
	/* [module] or [module buildid] */
	if (p < e && *p == '[' && !(e - p >= 8 && !memcmp(p, "[inline]", 8))) {
		const char *q = p + 1, *m = q;

		while (q < e && (is_ident(*q) || *q == '-'))
			q++;
		if (q == m)
			return false;
		f->module = xstrndup(m, (size_t)(q - m));
		if (q < e && *q == ' ') {
			const char *b = ++q;

			while (q < e && is_hexc(*q))
				q++;
			if (q > b)
				f->buildid = xstrndup(b, (size_t)(q - b));
		}
		if (q < e && *q == ']')
			q++;
		else if (q < e)
			goto fail;   /* "[mod" cut at the end of a wrapped line is fine */
		p = skip_sp(q, e);
		rest = true;
	}
	/* file:line [inline] */
	if (p < e && *p != '(') {
		const char *q = p;

		if (parse_loc(&q, e, &f->file, &f->line)) {
			f->given = true;
			p = skip_sp(q, e);
			if (e - p >= 8 && !memcmp(p, "[inline]", 8)) {
				f->inlined = true;
				p = skip_sp(p + 8, e);
			}
			rest = true;
		}
	}
	/* decode_stacktrace: (loc loc (discriminator N)) module */
	if (p < e && *p == '(') {
		const char *q = p + 1, *close;
		int depth = 1;
		char *lastf = NULL;
		int lastl = 0, nloc = 0;
		struct sbuf locs = SBUF_INIT;

		for (close = q; close < e && depth; close++) {
			if (*close == '(')
				depth++;
			else if (*close == ')')
				depth--;
		}
		if (depth)
			goto fail;
		close--;   /* at ')' */
		while (q < close) {
			q = skip_sp(q, close);
			if (q >= close)
				break;
			if (*q == '(') {
				/* "(discriminator 2)" */
				const char *r = memchr(q, ')', (size_t)(close - q));

				q = r ? r + 1 : close;
				continue;
			}
			{
				char *file;
				int line;
				const char *r = q;

				if (parse_loc(&r, close, &file, &line)) {
					if (lastf)
						sbuf_addf(&locs, "\t%s:%d\n", lastf, lastl);
					free(lastf);
					lastf = file;
					lastl = line;
					nloc++;
					q = r;
				} else {
					while (q < close && *q != ' ')
						q++;
				}
			}
		}
		if (locs.len)
			f->locs = sbuf_detach(&locs);
		sbuf_release(&locs);
		if (!nloc) {
			free(lastf);
			goto fail;
		}
		/* addr2line -i lists the innermost location first: the last is the call site */
		free(f->file);
		f->file = lastf;
		f->line = lastl;
		f->given = true;
		p = skip_sp(close + 1, e);
		if (p < e && !f->module) {
			const char *m = p;

			while (p < e && (is_ident(*p) || *p == '-'))
				p++;
			if (p > m)
				f->module = xstrndup(m, (size_t)(p - m));
			p = skip_sp(p, e);
		}
		rest = true;
	}
	if (p != e)
		goto fail;
	if (!rest && !allow_bare)
		goto fail;
	f->func = xstrndup(name, nlen);
	return true;
fail:
	frame_release(f);
	return false;
}

/* ---------------------------------------------------------------------- */
/* the BUG line */

/* The function name of one part of a BUG line ("A+0x1/0x2 [mod] file.c:3 [inline]"). */
static bool title_func(const char *p, const char *e, const char **name, size_t *nlen, bool *inl)
{
	const char *q;

	p = skip_sp(p, e);
	while (e > p && (e[-1] == ' '))
		e--;
	if (p >= e || !is_ident_start(*p))
		return false;
	q = p;
	while (q < e && is_ident(*q))
		q++;
	*name = p;
	*nlen = (size_t)(q - p);
	*inl = memmem(q, (size_t)(e - q), "[inline]", 8) != NULL;
	/* what follows must look like an offset, module, location or annotation */
	q = skip_sp(q, e);
	if (q < e && *q != '+' && *q != '[' && *q != '(' && !memchr(q, ':', (size_t)(e - q)))
		return false;
	return true;
}

bool parse_bug_line(const char *s, size_t len, char **title, enum bug_type *bt, int *nfuncs,
		    bool *inline_only)
{
	static const struct { const char *prefix, *kind; enum bug_type bt; } kinds[] = {
		{ "data-race in", "data-race", BUG_DATA_RACE },
		{ "assert: race in", "assert: race", BUG_ASSERT },
		{ "racing read-write in", "racing read-write", BUG_DATA_RACE },
		{ "racing read in", "racing read", BUG_DATA_RACE },
		{ "racing write in", "racing write", BUG_DATA_RACE },
	};
	const char *p = s, *e = s + len, *sep, *n1 = NULL, *n2 = NULL;
	size_t l1 = 0, l2 = 0, seplen = 0;
	bool inl1 = false, inl2 = false;
	const char *septxt = " / ";
	struct sbuf sb = SBUF_INIT;
	unsigned k;

	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (!mem_startswith(p, len, "BUG: KCSAN:"))
		return false;
	p += 11;
	if (p < e && *p != ' ')
		return false;
	p = skip_sp(p, e);
	*title = NULL;
	*nfuncs = 1;
	*inline_only = false;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (mem_startswith(p, (size_t)(e - p), kinds[k].prefix))
			break;
	if (k == sizeof(kinds) / sizeof(kinds[0])) {
		/* cut by a mail client before "in": a prefix of a kind, no title yet */
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (e - p < (ptrdiff_t)strlen(kinds[k].prefix) && !memcmp(p, kinds[k].prefix, (size_t)(e - p))) {
				*bt = kinds[k].bt;
				return true;
			}
		return false;
	}
	p += strlen(kinds[k].prefix);
	if (p < e && *p != ' ')
		return false;
	*bt = kinds[k].bt;
	p = skip_sp(p, e);
	if (p == e)
		return true;    /* "... in" and the rest on the next line */
	sep = memmem(p, (size_t)(e - p), " /", 2);
	if (sep) {
		seplen = 2;
	} else if ((sep = memmem(p, (size_t)(e - p), " and", 4)) && (sep + 4 == e || sep[4] == ' ')) {
		seplen = 4;
		septxt = " and ";
	} else {
		sep = NULL;
	}
	if (!title_func(p, sep ? sep : e, &n1, &l1, &inl1))
		return false;
	if (sep) {
		const char *q = skip_sp(sep + seplen, e);

		*nfuncs = 2;
		if (q < e && !title_func(q, e, &n2, &l2, &inl2))
			return false;
	}
	sbuf_addf(&sb, "KCSAN: %s in %.*s", kinds[k].kind, (int)l1, n1);
	if (n2)
		sbuf_addf(&sb, "%s%.*s", septxt, (int)l2, n2);
	*title = sbuf_detach(&sb);
	*inline_only = !sep && inl1;
	return true;
}

/* ---------------------------------------------------------------------- */
/* line classification */

static bool all_char(const char *s, size_t n, char c)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != c)
			return false;
	return n > 0;
}

/* A BUG line wrapped right after "BUG:" or "BUG: KCSAN". */
static bool bug_cut(const char *s, size_t n)
{
	return (n == 4 && !memcmp(s, "BUG:", 4)) || (n == 10 && !memcmp(s, "BUG: KCSAN", 10));
}

static enum lkind classify(const char *s, size_t n)
{
	if (!n)
		return L_BLANK;
	switch (s[0]) {
	case 'B':
		if (mem_startswith(s, n, "BUG: KCSAN: ") || (n == 11 && !memcmp(s, "BUG: KCSAN:", 11)))
			return L_BUG;
		if (bug_cut(s, n))
			return L_BUG_PART;
		break;
	case '=':
		if (n >= 20 && all_char(s, n, '='))
			return L_SEP;
		break;
	case 'v':
		if (mem_startswith(s, n, "value changed:"))
			return rematch(RE_VALUE, s, n) ? L_VALUE : L_VALUE_PART;
		if (rematch(RE_VALUE_PART, s, n))
			return L_VALUE_PART;
		break;
	case 'b':
		if (mem_startswith(s, n, "bits changed:"))
			return L_BITS;
		break;
	case 'R':
		if (mem_startswith(s, n, "Reported by Kernel Concurrency Sanitizer"))
			return L_REPORTED;
		break;
	case 'C':
		if (mem_startswith(s, n, "CPU: ") && rematch(RE_CPU, s, n))
			return rematch(RE_KVER, s, n) ? L_CPU : L_CPU_PART;
		if (mem_startswith(s, n, "CPU:") && rematch(RE_CPU_PART, s, n))
			return L_CPU_PART;
		break;
	case 'H':
		if (mem_startswith(s, n, "Hardware name:"))
			return L_HW;
		break;
	case 'W':
		if (mem_startswith(s, n, "Workqueue:"))
			return L_HW;
		break;
	case 'T':
		if (mem_startswith(s, n, "Tainted: ["))
			return L_HW;
		break;
	case 'n':
		if (mem_startswith(s, n, "no locks held by"))
			return L_LOCKINFO;
		break;
	case 'i':
		if (mem_startswith(s, n, "irq event stamp:"))
			return L_LOCKINFO;
		break;
	case 'h':
		if (mem_startswith(s, n, "hardirqs last"))
			return L_LOCKINFO;
		break;
	case 's':
		if (mem_startswith(s, n, "softirqs last"))
			return L_LOCKINFO;
		break;
	case '#':
		if (n > 2 && s[1] >= '0' && s[1] <= '9' && memchr(s, ':', n < 6 ? n : 6))
			return L_LOCKINFO;
		break;
	case '|':
		if (n == 1)
			return L_BAR;
		break;
	case '+':
		if (mem_startswith(s, n, "+-> reordered to:"))
			return L_REORD;
		break;
	case '<':
		if (s[n - 1] == '>' && n <= 12)
			return L_MARKER;
		break;
	case '.':
		if (all_char(s, n, '.') && n >= 3)
			return L_ELISION;
		break;
	case '[':
		if (n == 5 && !memcmp(s, "[...]", 5))
			return L_ELISION;
		break;
	case '(':
		if (mem_startswith(s, n, "(inlined by) "))
			return L_SYMINFO;
		break;
	default:
		break;
	}
	if (s[0] >= '0' && s[0] <= '9' && (memmem(s, n, " locks held by ", 15) || memmem(s, n, " lock held by ", 14)))
		return L_LOCKINFO;
	if (s[0] == 'r' || s[0] == 'w' || s[0] == 'a') {
		if (rematch(RE_ACCESS, s, n))
			return L_ACCESS;
		if (rematch(RE_ACCESS_PART, s, n))
			return L_ACCESS_PART;
	}
	if (memmem(s, n, " at ", 4) && rematch(RE_SYMINFO, s, n))
		return L_SYMINFO;
	return L_OTHER;
}

/* ---------------------------------------------------------------------- */
/* building reports */

static void add_norm(struct report *r, const char *s, size_t n)
{
	bool sp = false;

	if (r->norm.len > REPORT_MAX_RAW)
		return;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ' || s[i] == '\t') {
			sp = true;
			continue;
		}
		if (sp && r->norm.len && r->norm.buf[r->norm.len - 1] != '\n')
			sbuf_addc(&r->norm, ' ');
		sp = false;
		sbuf_addc(&r->norm, s[i]);
	}
	sbuf_addc(&r->norm, '\n');
}

static void add_raw(struct report *r, const char *s, size_t n)
{
	if (r->raw.len + n + 1 > REPORT_MAX_RAW)
		return;
	sbuf_add(&r->raw, s, n);
	sbuf_addc(&r->raw, '\n');
}

static void seen(struct parser *p, const struct nline *l)
{
	p->noise = 0;
	p->reord_wait = false;
	if (p->r && l)
		p->r->end_line = l->lineno;
}

static struct report *begin(struct parser *p, const struct nline *l, uint64_t lineno, uint64_t offset,
			    const char *ts)
{
	struct report *r = report_new();

	r->source = xstrdup(p->source);
	r->line = lineno;
	r->end_line = l->lineno;
	r->offset = offset;
	if (ts)
		r->log_time = xstrdup(ts);
	p->r = r;
	p->depth = l->depth;
	p->noise = 0;
	p->locks = 0;
	p->adjacent = false;
	p->stack_noise = false;
	p->footer = false;
	p->bug_open = false;
	p->bug_inline = false;
	p->max_acc = REPORT_MAX_ACCESSES;
	return r;
}

static char *ts_dup(const struct nline *l)
{
	return l->ts ? xstrndup(l->ts, l->ts_len) : NULL;
}

static bool report_has_frames(const struct report *r)
{
	for (int i = 0; i < r->nacc; i++)
		if (r->acc[i].nframes || r->acc[i].elided)
			return true;
	return false;
}

static void close_report(struct parser *p)
{
	struct report *r = p->r;
	enum pstate st = p->st;
	bool keep;

	if (!r)
		return;
	p->r = NULL;
	p->st = ST_IDLE;
	p->bug_open = false;
	/* a BUG line alone (a list of titles) is no report; a report without
	   a BUG line needs a stack to be one */
	keep = r->nacc > 0 && (r->title || report_has_frames(r) || r->has_value);
	if (!keep) {
		report_free(r);
		return;
	}
	if (!p->footer) {
		const struct access *last = &r->acc[r->nacc - 1];

		/* the stack never ended (end of input, another report), or noise cut it */
		if (st == ST_STACK || p->stack_noise || (!last->nframes && !last->elided) ||
		    (r->title && r->nacc < p->max_acc && !r->unknown_origin))
			r->truncated = true;
	}
	if (!r->title) {
		r->bug_type = BUG_DATA_RACE;
		for (int i = 0; i < r->nacc; i++)
			if (r->acc[i].type == ACC_ASSERT_NO_WRITES || r->acc[i].type == ACC_ASSERT_NO_ACCESSES)
				r->bug_type = BUG_ASSERT;
	}
	r->unknown_origin = r->nacc > 0 && r->acc[0].unknown_origin;
	p->emit(r, p->data);
}

static void start_with_bug(struct parser *p, const struct nline *l, const char *text, size_t len)
{
	struct report *r;
	char *title;
	enum bug_type bt;
	int nf;
	bool inl;

	if (!parse_bug_line(text, len, &title, &bt, &nf, &inl))
		return;
	r = begin(p, l, l->lineno, l->offset, NULL);
	r->log_time = ts_dup(l);
	r->title = title;
	r->bug_type = bt;
	p->max_acc = nf;
	p->bug_inline = inl;
	p->st = ST_HEAD;
	p->bug_open = true;   /* a mail client may have wrapped it */
	sbuf_reset(&p->bug_text);
	sbuf_add(&p->bug_text, text, len);
	add_raw(r, l->orig, l->orig_len);
	add_norm(r, text, len);
	r->head_len = 0;
}

/* Replace the title after a continuation or a duplicated inline BUG line. */
static bool retitle(struct parser *p, const char *text, size_t len)
{
	char *title;
	enum bug_type bt;
	int nf;
	bool inl;

	if (!parse_bug_line(text, len, &title, &bt, &nf, &inl))
		return false;
	free(p->r->title);
	p->r->title = title;
	p->r->bug_type = bt;
	p->max_acc = nf;
	p->bug_inline = inl;
	/* the norm starts with the BUG line: rebuild it */
	sbuf_reset(&p->r->norm);
	add_norm(p->r, text, len);
	return true;
}

static bool add_access(struct parser *p, const char *s, size_t n)
{
	struct report *r = p->r;
	struct access *a;
	const char *q = NULL;
	size_t qn = 0;
	char *v;

	if (!rematch(RE_ACCESS, s, n) || r->nacc >= REPORT_MAX_ACCESSES)
		return false;
	a = &r->acc[r->nacc++];
	a->unknown_origin = grp(s, 1, &q, &qn);
	grp(s, 2, &q, &qn);
	if (qn == 10 && !memcmp(q, "read-write", 10))
		a->type = ACC_READ_WRITE;
	else if (qn == 4)
		a->type = ACC_READ;
	else if (qn == 5)
		a->type = ACC_WRITE;
	else if (qn == 16)
		a->type = ACC_ASSERT_NO_WRITES;
	else
		a->type = ACC_ASSERT_NO_ACCESSES;
	if (grp(s, 3, &q, &qn)) {
		a->marked = memmem(q, qn, "marked", 6) != NULL;
		a->reordered = memmem(q, qn, "reordered", 9) != NULL;
		a->scoped = memmem(q, qn, "scoped", 6) != NULL;
	}
	grp(s, 4, &q, &qn);
	if (qn > 2 && q[0] == '0' && (q[1] == 'x' || q[1] == 'X')) {
		a->has_addr = true;
		a->addr = strtoull(q, NULL, 16);
	}
	v = grp_dup(s, 5);
	a->has_size = true;
	a->size = strtoull(v, NULL, 10);
	free(v);
	if (grp(s, 7, &q, &qn)) {
		a->ctx = CTX_INTERRUPT;
	} else {
		a->ctx = CTX_TASK;
		grp(s, 6, &q, &qn);
		if (qn && strspn(q, "0123456789") >= qn) {
			v = xstrndup(q, qn);
			a->pid = strtol(v, NULL, 10);
			free(v);
		} else {
			a->task = xstrndup(q, qn);
		}
	}
	if (grp(s, 8, &q, &qn)) {
		v = xstrndup(q, qn);
		a->cpu = (int)strtol(v, NULL, 10);
		free(v);
	}
	if (a->unknown_origin && r->nacc == 1)
		p->max_acc = 1;
	add_norm(r, s, n);
	if (r->nacc == 1)
		r->head_len = r->norm.len;
	p->st = ST_STACK;
	p->adjacent = true;
	p->stack_noise = false;
	return true;
}

static void set_cpu_line(struct parser *p, const char *s, size_t n)
{
	struct report *r = p->r;
	PCRE2_SIZE start = 0;
	int rc;

	/* the kernel release: the last "X.Y... #N" of the line */
	grammar_init();
	free(r->kernel);
	r->kernel = NULL;
	while ((rc = pcre2_match(G.code[RE_KVER], (PCRE2_SPTR)s, n, start, 0, G.md, NULL)) > 0) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(G.md);

		free(r->kernel);
		r->kernel = xstrndup(s + ov[2], ov[3] - ov[2]);
		start = ov[1];
	}
	if (!r->kernel) {
		/* no "#N": take the last token that looks like a release */
		const char *e = s + n, *t = NULL;

		for (const char *c = s; c + 2 < e; c++)
			if ((c == s || c[-1] == ' ') && c[0] >= '0' && c[0] <= '9' && memchr(c, '.', 4 < e - c ? 4 : (size_t)(e - c)))
				t = c;
		if (t) {
			const char *te = t;

			while (te < e && *te != ' ')
				te++;
			r->kernel = xstrndup(t, (size_t)(te - t));
		}
	}
	if (rematch(RE_COMM, s, n)) {
		char *v = grp_dup(s, 1);

		r->rep_cpu = (int)strtol(v, NULL, 10);
		free(v);
		v = grp_dup(s, 2);
		r->rep_pid = strtol(v, NULL, 10);
		free(v);
		free(r->comm);
		r->comm = grp_dup(s, 3);
	}
	add_norm(r, s, n);
	p->footer = true;
	p->st = ST_TAIL;
}

static void set_value(struct parser *p, const char *s, size_t n)
{
	if (!rematch(RE_VALUE, s, n))
		return;
	free(p->r->value_old);
	free(p->r->value_new);
	p->r->value_old = grp_dup(s, 1);
	p->r->value_new = grp_dup(s, 2);
	p->r->has_value = true;
	add_norm(p->r, s, n);
}

static void set_bits(struct parser *p, const char *s, size_t n)
{
	if (!rematch(RE_BITS, s, n))
		return;
	free(p->r->bits_changed);
	free(p->r->bits_mask);
	p->r->bits_changed = grp_dup(s, 1);
	p->r->bits_mask = grp_dup(s, 2);
	add_norm(p->r, s, n);
}

static struct access *cur_access(struct parser *p)
{
	return p->r && p->r->nacc ? &p->r->acc[p->r->nacc - 1] : NULL;
}

static void add_frame(struct parser *p, struct frame *f, const char *s, size_t n)
{
	struct access *a = cur_access(p);
	struct frame *dst;

	if (!a) {
		frame_release(f);
		return;
	}
	if (a->nframes >= REPORT_MAX_FRAMES) {
		a->frames_dropped++;
		frame_release(f);
		return;
	}
	dst = access_add_frame(a);
	*dst = *f;
	add_norm(p->r, s, n);
}

/*
 * faddr2line after a frame: "func at file:line", then "(inlined by) caller at
 * file:line" lines, innermost first.  The line naming the frame's own
 * function is its location; the inlined ones before it are kept in locs.
 */
static void add_syminfo(struct parser *p, const char *s, size_t n)
{
	struct access *a = cur_access(p);
	struct frame *f;
	char fb[256], ib[256], *func, *file, *v;
	int line;

	if (!a || !a->nframes || !rematch(RE_SYMINFO, s, n))
		return;
	f = &a->frames[a->nframes - 1];
	func = grp_dup(s, 1);
	file = grp_dup(s, 2);
	v = grp_dup(s, 3);
	line = (int)strtol(v, NULL, 10);
	free(v);
	func_base_name(f->func, fb, sizeof(fb));
	func_base_name(func, ib, sizeof(ib));
	if (!strcmp(fb, ib)) {
		if (!f->file) {
			f->file = file;
			f->line = line;
			f->given = true;
			file = NULL;
		}
	} else if (!f->file) {
		struct sbuf sb = SBUF_INIT;

		if (f->locs)
			sbuf_adds(&sb, f->locs);
		sbuf_addf(&sb, "%s\t%s:%d\n", func, file, line);
		free(f->locs);
		f->locs = sbuf_detach(&sb);
	}
	free(func);
	free(file);
}

static void set_reordered(struct parser *p, struct frame *f, const char *s, size_t n)
{
	struct access *a = cur_access(p);

	if (a->reordered_to) {
		frame_release(a->reordered_to);
		free(a->reordered_to);
	}
	a->reordered_to = xmalloc(sizeof(*a->reordered_to));
	*a->reordered_to = *f;
	add_norm(p->r, s, n);
}

static void noise(struct parser *p)
{
	p->noise++;
	p->adjacent = false;
	if (p->st == ST_STACK)
		p->stack_noise = true;
	if (p->st == ST_LOCKS) {
		if (++p->locks > LOCKS_LIMIT)
			close_report(p);
		p->noise = 0;
		return;
	}
	if (p->noise > NOISE_LIMIT)
		close_report(p);
}

/* ---------------------------------------------------------------------- */
/* pending joins */

/* The start of a decode_stacktrace frame whose "(...)" continues on the next line. */
static bool frame_cut(const char *s, size_t n)
{
	int depth = 0;
	size_t i = 0;

	if (!n || !is_ident_start(s[0]))
		return false;
	while (i < n && is_ident(s[i]))
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

static void pend_begin(struct parser *p, enum pkind k, const struct nline *l, const char *s, size_t n)
{
	p->pk = k;
	sbuf_reset(&p->pend);
	sbuf_add(&p->pend, s, n);
	p->pend_lines = 1;
	p->pend_depth = l->depth;
	p->pend_lineno = l->lineno;
	p->pend_offset = l->offset;
	free(p->pend_ts);
	p->pend_ts = ts_dup(l);
	sbuf_reset(&p->pend_raw);
	sbuf_add(&p->pend_raw, l->orig, l->orig_len);
}

/* Is the pending text still the start of a line of its kind? */
static bool pend_partial(struct parser *p)
{
	const char *s = p->pend.buf;
	size_t n = p->pend.len;

	switch (p->pk) {
	case PK_ACCESS: return rematch(RE_ACCESS_PART, s, n);
	case PK_CPU: return rematch(RE_CPU_PART, s, n) || rematch(RE_CPU, s, n);
	case PK_VALUE: return rematch(RE_VALUE_PART, s, n);
	case PK_FRAME: return frame_cut(s, n);
	case PK_BUG: return bug_cut(s, n);
	case PK_NONE: break;
	}
	return false;
}

static bool pend_complete(struct parser *p)
{
	const char *s = p->pend.buf;
	size_t n = p->pend.len;

	switch (p->pk) {
	case PK_ACCESS: return rematch(RE_ACCESS, s, n);
	case PK_CPU: return rematch(RE_KVER, s, n);
	case PK_VALUE: return rematch(RE_VALUE, s, n);
	case PK_FRAME: {
		struct frame f;
		bool ok = parse_frame_text(s, n, false, &f);

		if (ok)
			frame_release(&f);
		return ok;
	}
	case PK_BUG: {
		char *t = NULL;
		enum bug_type bt;
		int nf;
		bool inl, ok = parse_bug_line(s, n, &t, &bt, &nf, &inl);

		free(t);
		return ok;
	}
	case PK_NONE: break;
	}
	return false;
}

static void dispatch(struct parser *p, const struct nline *l, const char *s, size_t n, enum lkind k);

/* The pending line is finished (complete or given up): use it. */
/* What a completed join is: frames are recognised by dispatch() itself. */
static const enum lkind joined_kind[] = {
	[PK_NONE] = L_OTHER, [PK_ACCESS] = L_ACCESS, [PK_CPU] = L_CPU, [PK_VALUE] = L_VALUE,
	[PK_FRAME] = L_OTHER, [PK_BUG] = L_BUG,
};

static void pend_finish(struct parser *p, const struct nline *l, bool complete)
{
	enum pkind k = p->pk;
	struct nline pl = *l;

	p->pk = PK_NONE;
	pl.depth = p->pend_depth;
	pl.lineno = p->pend_lineno;
	pl.offset = p->pend_offset;
	pl.ts = p->pend_ts;
	pl.ts_len = p->pend_ts ? strlen(p->pend_ts) : 0;
	pl.orig = p->pend_raw.buf;
	pl.orig_len = p->pend_raw.len;
	pl.alt = NULL;
	if (k == PK_CPU && p->r) {
		/* a CPU line without "#N": use what there is */
		dispatch(p, &pl, p->pend.buf, p->pend.len, L_CPU);
		return;
	}
	if (!complete) {
		if (p->r)
			noise(p);
		return;
	}
	dispatch(p, &pl, p->pend.buf, p->pend.len, joined_kind[k]);
}

/* ---------------------------------------------------------------------- */
/* the state machine */

static bool can_add_access(struct parser *p)
{
	return p->r && p->r->nacc < p->max_acc && p->st != ST_TAIL && p->st != ST_FOOTER;
}

static void start_headless(struct parser *p, const struct nline *l, const char *s, size_t n)
{
	begin(p, l, l->lineno, l->offset, NULL);
	p->r->log_time = ts_dup(l);
	add_raw(p->r, l->orig, l->orig_len);
	if (!add_access(p, s, n)) {
		report_free(p->r);
		p->r = NULL;
		p->st = ST_IDLE;
	}
}

static void dispatch(struct parser *p, const struct nline *l, const char *s, size_t n, enum lkind k)
{
	struct frame f;

	if (k == L_BUG_PART) {
		pend_begin(p, PK_BUG, l, s, n);
		return;
	}
	if (p->st == ST_IDLE) {
		if (k == L_OTHER && l->alt && mem_startswith(l->alt, l->alt_len, "BUG: KCSAN: ")) {
			s = l->alt;
			n = l->alt_len;
			k = L_BUG;
		}
		if (k == L_BUG)
			start_with_bug(p, l, s, n);
		else if (k == L_ACCESS)
			start_headless(p, l, s, n);
		else if (k == L_ACCESS_PART)
			pend_begin(p, PK_ACCESS, l, s, n);
		return;
	}

	if (k == L_BUG) {
		char *title;
		enum bug_type bt;
		int nf;
		bool inl;

		/* a symbolizer may print one BUG line per inline level of the top frame */
		if (p->st == ST_HEAD && p->r->nacc == 0 && p->bug_inline &&
		    parse_bug_line(s, n, &title, &bt, &nf, &inl)) {
			free(title);
			if (nf == 1) {
				retitle(p, s, n);
				add_raw(p->r, l->orig, l->orig_len);
				p->bug_open = true;
				sbuf_reset(&p->bug_text);
				sbuf_add(&p->bug_text, s, n);
				seen(p, l);
				return;
			}
		}
		close_report(p);
		start_with_bug(p, l, s, n);
		return;
	}

	add_raw(p->r, l->orig, l->orig_len);
	if (l->depth != p->depth) {
		/* another quoting level: the reply around a quoted report, or a
		   different message; it never becomes part of the report */
		if (k == L_ACCESS && !can_add_access(p)) {
			close_report(p);
			start_headless(p, l, s, n);
			return;
		}
		if (k != L_BLANK) {
			noise(p);
			return;
		}
		/* a blank line ends a stack whatever its quoting */
	}

	switch (k) {
	case L_BLANK:
		p->adjacent = false;
		if (p->st == ST_STACK || p->st == ST_LOCKS)
			p->st = ST_POST;
		else if (p->st == ST_TAIL)
			close_report(p);
		return;
	case L_SEP:
		close_report(p);
		return;
	case L_ACCESS:
		if (!can_add_access(p)) {
			close_report(p);
			start_headless(p, l, s, n);
			return;
		}
		add_access(p, s, n);
		seen(p, l);
		return;
	case L_ACCESS_PART:
		pend_begin(p, PK_ACCESS, l, s, n);
		return;
	case L_VALUE:
		set_value(p, s, n);
		p->st = ST_POST;
		seen(p, l);
		return;
	case L_VALUE_PART:
		pend_begin(p, PK_VALUE, l, s, n);
		return;
	case L_BITS:
		set_bits(p, s, n);
		seen(p, l);
		return;
	case L_REPORTED:
		p->st = ST_FOOTER;
		p->footer = true;
		seen(p, l);
		return;
	case L_CPU:
		set_cpu_line(p, s, n);
		seen(p, l);
		return;
	case L_CPU_PART:
		pend_begin(p, PK_CPU, l, s, n);
		return;
	case L_HW:
		if (p->st == ST_TAIL || p->st == ST_FOOTER) {
			if (mem_startswith(s, n, "Hardware name:") && !p->r->hardware) {
				const char *h = skip_sp(s + 14, s + n);

				p->r->hardware = xstrndup(h, (size_t)(s + n - h));
			}
			seen(p, l);
			return;
		}
		noise(p);
		return;
	case L_LOCKINFO:
		if (p->st == ST_STACK || p->st == ST_POST || p->st == ST_LOCKS) {
			p->st = ST_LOCKS;
			p->adjacent = false;
			seen(p, l);
			return;
		}
		noise(p);
		return;
	case L_BAR:
	case L_MARKER:
		seen(p, l);
		return;
	case L_ELISION:
		if (cur_access(p))
			cur_access(p)->elided = true;
		p->adjacent = false;
		seen(p, l);
		return;
	case L_REORD:
		seen(p, l);
		if (cur_access(p)) {
			const char *t = skip_sp(s + 17, s + n);

			if (t == s + n)
				p->reord_wait = true;   /* the frame was wrapped onto the next line */
			else if (parse_frame_text(t, (size_t)(s + n - t), true, &f))
				set_reordered(p, &f, s, n);
		}
		return;
	case L_SYMINFO:
		if (p->st == ST_STACK || p->st == ST_POST)
			add_syminfo(p, s, n);
		seen(p, l);
		return;
	case L_BUG:     /* handled above */
	case L_BUG_PART:
	case L_OTHER:
		break;
	}

	/* frames */
	if (p->st == ST_STACK || p->st == ST_POST) {
		bool bare = p->st == ST_STACK && p->adjacent;
		const char *fs = s;
		size_t fn = n;
		bool ok = parse_frame_text(s, n, bare, &f);

		if (!ok && l->alt) {
			/* console text glued in front of the frame */
			fs = l->alt;
			fn = l->alt_len;
			ok = parse_frame_text(fs, fn, false, &f);
		}
		if (ok && p->reord_wait) {
			p->reord_wait = false;
			set_reordered(p, &f, fs, fn);
			seen(p, l);
			return;
		}
		if (ok) {
			if (p->st == ST_POST)
				p->stack_noise = false;
			add_frame(p, &f, fs, fn);
			p->st = ST_STACK;
			p->adjacent = true;
			seen(p, l);
			return;
		}
		if (frame_cut(s, n)) {
			/* "func (file.c:12 file.h:3" wrapped before its ")" */
			pend_begin(p, PK_FRAME, l, s, n);
			return;
		}
	}
	if (p->st == ST_HEAD && l->alt) {
		/* console text glued in front of an access line */
		enum lkind k2 = classify(l->alt, l->alt_len);

		if (k2 == L_ACCESS) {
			add_access(p, l->alt, l->alt_len);
			seen(p, l);
			return;
		}
	}
	if (p->st == ST_TAIL) {
		close_report(p);
		/* the line may begin something else */
		if (k == L_OTHER)
			return;
	}
	noise(p);
}

void parser_feed(struct parser *p, const struct nline *l)
{
	const char *s = l->text;
	size_t n = l->len;
	enum lkind k = classify(s, n);

	/* a wrapped access, CPU, value or frame line */
	if (p->pk != PK_NONE) {
		if (n && k != L_BUG && k != L_SEP && k != L_BLANK && p->pend_lines < JOIN_LIMIT) {
			size_t keep = p->pend.len, keep_raw = p->pend_raw.len;

			sbuf_addc(&p->pend, ' ');
			sbuf_add(&p->pend, s, n);
			/* a line that is something of its own only continues what it completes */
			if (pend_complete(p) ||
			    ((k == L_OTHER || k == L_ACCESS_PART || k == L_VALUE_PART || k == L_CPU_PART) && pend_partial(p))) {
				sbuf_addc(&p->pend_raw, '\n');
				sbuf_add(&p->pend_raw, l->orig, l->orig_len);
				p->pend_lines++;
				if (pend_complete(p))
					pend_finish(p, l, true);
				return;
			}
			/* this line does not continue it */
			p->pend.len = keep;
			p->pend.buf[keep] = 0;
			p->pend_raw.len = keep_raw;
			p->pend_raw.buf[keep_raw] = 0;
		}
		pend_finish(p, l, false);
	}

	/* a wrapped BUG line: "... in" / "A /" / "[module] / B" on the next line */
	if (p->r && p->bug_open) {
		p->bug_open = false;
		if (k == L_OTHER && n) {
			const char *t = p->bug_text.buf;
			size_t tl = p->bug_text.len;
			bool wants = !p->r->title || (tl >= 3 && !memcmp(t + tl - 3, " in", 3)) || (tl && t[tl - 1] == '/') ||
				     (tl >= 4 && !memcmp(t + tl - 4, " and", 4)) || s[0] == '[' || s[0] == '/' ||
				     mem_startswith(s, n, "and ");

			if (wants) {
				sbuf_addc(&p->bug_text, ' ');
				sbuf_add(&p->bug_text, s, n);
				if (retitle(p, p->bug_text.buf, p->bug_text.len) && p->r->title) {
					add_raw(p->r, l->orig, l->orig_len);
					p->bug_open = true;
					seen(p, l);
					return;
				}
				p->bug_text.len -= n + 1;
				p->bug_text.buf[p->bug_text.len] = 0;
			}
		}
	}
	dispatch(p, l, s, n, k);
}

bool parser_idle(const struct parser *p)
{
	return !p->r && p->pk == PK_NONE;
}

void parser_finish(struct parser *p)
{
	if (p->pk != PK_NONE) {
		struct nline l = { .text = "", .orig = "" };

		pend_finish(p, &l, false);
	}
	close_report(p);
}

struct parser *parser_new(const char *source, parse_emit_fn emit, void *data)
{
	struct parser *p = xcalloc(1, sizeof(*p));

	grammar_init();
	p->source = xstrdup(source);
	p->emit = emit;
	p->data = data;
	return p;
}

void parser_free(struct parser *p)
{
	if (!p)
		return;
	report_free(p->r);
	free(p->source);
	free(p->pend_ts);
	sbuf_release(&p->bug_text);
	sbuf_release(&p->pend);
	sbuf_release(&p->pend_raw);
	free(p);
}
