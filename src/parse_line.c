/* parse_line.c - the line grammar: what kind a KCSAN line is, and its fields. */
#define _GNU_SOURCE
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "parse_internal.h"

/* ---------------------------------------------------------------------- */
/* the compiled grammar: built once, shared, then only read */

enum re_id { RE_ACCESS, RE_CPU, RE_KVER, RE_COMM, RE_VALUE, RE_BITS, RE_SYMINFO, RE_COUNT };

static const char *const re_src[RE_COUNT] = {
	[RE_ACCESS] =
		"^(race at unknown origin, with )?"
		"(read-write|read|write|assert no writes|assert no accesses)"
		"(?: \\(((?:marked|reordered|scoped)(?:, ?(?:marked|reordered|scoped))*)\\))?"
		" to (0x[0-9a-fA-F]+|\\S+) of (\\d+) bytes by "
		"(?:task (\\S+?)|(interrupt))(?: on cpu (\\d+))?:\\s*$",
	[RE_CPU] = "^CPU: \\d+ (?:UID: \\d+ )?PID: \\d+ Comm: ",
	[RE_KVER] = "(\\d+\\.\\d+[^\\s#]*) +#\\d+",
	[RE_COMM] = "^CPU: (\\d+) (?:UID: \\d+ )?PID: (\\d+) Comm: (.*?) (?:Not tainted|Tainted:|Kdump:)",
	[RE_VALUE] = "^value changed: (0x[0-9a-fA-F]+) -> (0x[0-9a-fA-F]+)\\s*$",
	[RE_BITS] = "^bits changed: (0x[0-9a-fA-F]+) with mask (0x[0-9a-fA-F]+)",
	[RE_SYMINFO] = "^(?:\\(inlined by\\) )?([A-Za-z_$.][\\w$.]*) at (\\S+?):(\\d+)(?::\\d+)?(?: \\(discriminator \\d+\\))?\\s*$",
};

/* The grammars whose prefixes are asked for (partial matching). */
static const enum re_id form_re[] = { [PLINE_ACCESS] = RE_ACCESS, [PLINE_CPU] = RE_CPU, [PLINE_VALUE] = RE_VALUE };

struct pline_grammar {
	pcre2_code *code[RE_COUNT];
};

static _Atomic(struct pline_grammar *) shared_grammar;

static void grammar_destroy(struct pline_grammar *g)
{
	for (int i = 0; i < RE_COUNT; i++)
		pcre2_code_free(g->code[i]);
	free(g);
}

static struct pline_grammar *grammar_build(void)
{
	struct pline_grammar *g = xcalloc(1, sizeof(*g));
	int err;
	PCRE2_SIZE off;

	for (int i = 0; i < RE_COUNT; i++) {
		uint32_t jit = PCRE2_JIT_COMPLETE;

		g->code[i] = pcre2_compile((PCRE2_SPTR)re_src[i], PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
		if (!g->code[i]) {
			PCRE2_UCHAR msg[256];

			pcre2_get_error_message(err, msg, sizeof(msg));
			kt_die("internal grammar %d: %s at offset %zu", i, (char *)msg, (size_t)off);
		}
		if (i == RE_ACCESS || i == RE_CPU || i == RE_VALUE)
			jit |= PCRE2_JIT_PARTIAL_SOFT;
		pcre2_jit_compile(g->code[i], jit);
	}
	return g;
}

/* The shared grammar; the first caller builds it (a racing builder's copy is dropped). */
static const struct pline_grammar *grammar_get(void)
{
	struct pline_grammar *g = atomic_load_explicit(&shared_grammar, memory_order_acquire), *mine;

	if (g)
		return g;
	mine = grammar_build();
	if (atomic_compare_exchange_strong_explicit(&shared_grammar, &g, mine, memory_order_acq_rel,
						    memory_order_acquire))
		return mine;
	grammar_destroy(mine);
	return g;
}

void pline_grammar_free(void)
{
	struct pline_grammar *g = atomic_exchange_explicit(&shared_grammar, NULL, memory_order_acq_rel);

	if (g)
		grammar_destroy(g);
}

void pline_init(struct pline_ctx *c)
{
	c->g = grammar_get();
	c->md = pcre2_match_data_create(16, NULL);
	if (!c->md)
		kt_die("out of memory");
	c->scratch = (struct sbuf)SBUF_INIT;
}

void pline_release(struct pline_ctx *c)
{
	pcre2_match_data_free(c->md);
	c->md = NULL;
	sbuf_release(&c->scratch);
}

/* ---------------------------------------------------------------------- */
/* matching: the groups of the last match of c, read with grp() */

static bool rematch(struct pline_ctx *c, enum re_id id, const char *s, size_t len)
{
	return pcre2_match(c->g->code[id], (PCRE2_SPTR)s, len, 0, 0, c->md, NULL) > 0;
}

/* 1: s matches; 0: s is a prefix of a match (it ended too soon); -1: neither. */
static int match_soft(struct pline_ctx *c, enum re_id id, const char *s, size_t len)
{
	int rc = pcre2_match(c->g->code[id], (PCRE2_SPTR)s, len, 0, PCRE2_PARTIAL_SOFT, c->md, NULL);

	return rc > 0 ? 1 : rc == PCRE2_ERROR_PARTIAL ? 0 : -1;
}

static bool grp(struct pline_ctx *c, const char *s, int i, const char **p, size_t *n)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(c->md);

	if (ov[2 * i] == PCRE2_UNSET)
		return false;
	*p = s + ov[2 * i];
	*n = ov[2 * i + 1] - ov[2 * i];
	return true;
}

static char *grp_dup(struct pline_ctx *c, const char *s, int i)
{
	const char *p;
	size_t n;

	return grp(c, s, i, &p, &n) ? xstrndup(p, n) : NULL;
}

/* A decimal group that fits max, or -1. */
static long long grp_num(struct pline_ctx *c, const char *s, int i, uint64_t max)
{
	const char *p;
	size_t n;
	uint64_t v;

	return grp(c, s, i, &p, &n) && pframe_dec(p, n, max, &v) ? (long long)v : -1;
}

bool pline_complete(struct pline_ctx *c, enum pline_form form, const char *s, size_t n)
{
	return rematch(c, form == PLINE_CPU ? RE_KVER : form_re[form], s, n);
}

/*
 * A mail client wraps at a blank, so the start of a wrapped line followed
 * by a blank must still fit the grammar: "race at unknown origin, with" is
 * a start, "rac" and "read to 0x10 of 8 by" are not.
 */
bool pline_prefix(struct pline_ctx *c, enum pline_form form, const char *s, size_t n)
{
	sbuf_reset(&c->scratch);
	sbuf_add(&c->scratch, s, n);
	sbuf_addc(&c->scratch, ' ');
	return match_soft(c, form_re[form], c->scratch.buf, c->scratch.len) >= 0;
}

/* ---------------------------------------------------------------------- */
/* line kinds */

static bool all_char(const char *s, size_t n, char c)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != c)
			return false;
	return n > 0;
}

bool pline_bug_cut(const char *s, size_t n)
{
	return (n == 4 && !memcmp(s, "BUG:", 4)) || (n == 10 && !memcmp(s, "BUG: KCSAN", 10));
}

/* A line of one of the forms that may be wrapped: whole, its start, or neither (L_OTHER). */
static enum lkind classify_form(struct pline_ctx *c, enum pline_form form, const char *s, size_t n, enum lkind whole,
				enum lkind part)
{
	int m = match_soft(c, form_re[form], s, n);

	if (m > 0)
		return whole;
	if (m == 0 && pline_prefix(c, form, s, n))
		return part;
	return L_OTHER;
}

static enum lkind classify_cpu(struct pline_ctx *c, const char *s, size_t n)
{
	int m;

	if (!mem_startswith(s, n, "CPU:"))
		return L_OTHER;
	m = match_soft(c, RE_CPU, s, n);
	if (m > 0)
		return rematch(c, RE_KVER, s, n) ? L_CPU : L_CPU_PART;
	if (m == 0 && pline_prefix(c, PLINE_CPU, s, n))
		return L_CPU_PART;
	return L_OTHER;
}

/* Do s and lit agree on their first min(n, strlen(lit)) bytes? */
static bool agrees(const char *s, size_t n, const char *lit)
{
	size_t k = strlen(lit);

	return !memcmp(s, lit, n < k ? n : k);
}

static enum lkind classify_value(struct pline_ctx *c, const char *s, size_t n)
{
	if (mem_startswith(s, n, "value changed:"))
		return rematch(c, RE_VALUE, s, n) ? L_VALUE : L_VALUE_PART;
	/* else only a start of "value changed:" can be a (partial) match: no frame "vfs_write+..." is */
	if (n >= 14 || !agrees(s, n, "value changed:"))
		return L_OTHER;
	return classify_form(c, PLINE_VALUE, s, n, L_OTHER, L_VALUE_PART);
}

/*
 * Can s be RE_ACCESS or its start?  Each match begins with one of these (an
 * access type is followed by " (" or " to "), so a line that agrees with
 * none ("rcu_do_batch+0x..", "worker_thread+0x..") needs no PCRE2.
 */
static bool access_start(const char *s, size_t n)
{
	static const char *const starts[] = {
		"race at unknown origin, with ", "read-write ", "read ", "write ", "assert no writes ",
		"assert no accesses ",
	};

	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++)
		if (agrees(s, n, starts[i]))
			return true;
	return false;
}

/* The lines told by their first bytes alone. */
static enum lkind classify_fixed(const char *s, size_t n)
{
	switch (s[0]) {
	case 'B':
		if (mem_startswith(s, n, "BUG: KCSAN: ") || (n == 11 && !memcmp(s, "BUG: KCSAN:", 11)))
			return L_BUG;
		return pline_bug_cut(s, n) ? L_BUG_PART : L_OTHER;
	case '=':
		return n >= 20 && all_char(s, n, '=') ? L_SEP : L_OTHER;
	case 'b':
		return mem_startswith(s, n, "bits changed:") ? L_BITS : L_OTHER;
	case 'R':
		return mem_startswith(s, n, "Reported by Kernel Concurrency Sanitizer") ? L_REPORTED : L_OTHER;
	case 'H':
		return mem_startswith(s, n, "Hardware name:") ? L_HW : L_OTHER;
	case 'W':
		return mem_startswith(s, n, "Workqueue:") ? L_HW : L_OTHER;
	case 'T':
		return mem_startswith(s, n, "Tainted: [") ? L_HW : L_OTHER;
	case 'n':
		return mem_startswith(s, n, "no locks held by") ? L_LOCKINFO : L_OTHER;
	case 'i':
		return mem_startswith(s, n, "irq event stamp:") ? L_LOCKINFO : L_OTHER;
	case 'h':
		return mem_startswith(s, n, "hardirqs last") ? L_LOCKINFO : L_OTHER;
	case 's':
		return mem_startswith(s, n, "softirqs last") ? L_LOCKINFO : L_OTHER;
	case '#':
		return n > 2 && s[1] >= '0' && s[1] <= '9' && memchr(s, ':', n < 6 ? n : 6) ? L_LOCKINFO : L_OTHER;
	case '|':
		return n == 1 ? L_BAR : L_OTHER;
	case '+':
		return mem_startswith(s, n, "+-> reordered to:") ? L_REORD : L_OTHER;
	case '<':
		return s[n - 1] == '>' && n <= 12 ? L_MARKER : L_OTHER;
	case '.':
		return all_char(s, n, '.') && n >= 3 ? L_ELISION : L_OTHER;
	case '[':
		return n == 5 && !memcmp(s, "[...]", 5) ? L_ELISION : L_OTHER;
	case '(':
		return mem_startswith(s, n, "(inlined by) ") ? L_SYMINFO : L_OTHER;
	default:
		return L_OTHER;
	}
}

/* What RE_SYMINFO needs first: the first blank after "[(inlined by) ]" begins " at ". */
static bool syminfo_start(const char *s, size_t n)
{
	const char *p = s, *e = s + n, *sp;

	if (s[0] == '(' && mem_startswith(s, n, "(inlined by) "))
		p += 13;
	sp = memchr(p, ' ', (size_t)(e - p));
	return sp && e - sp >= 4 && !memcmp(sp, " at ", 4);
}

enum lkind pline_classify(struct pline_ctx *c, const char *s, size_t n, bool want_syminfo)
{
	enum lkind k;

	if (!n)
		return L_BLANK;
	if (s[0] == 'v')
		k = classify_value(c, s, n);
	else if (s[0] == 'C')
		k = classify_cpu(c, s, n);
	else
		k = classify_fixed(s, n);
	if (k != L_OTHER)
		return k;
	if (s[0] >= '0' && s[0] <= '9' && (memmem(s, n, " locks held by ", 15) || memmem(s, n, " lock held by ", 14)))
		return L_LOCKINFO;
	if ((s[0] == 'r' || s[0] == 'w' || s[0] == 'a') && access_start(s, n)) {
		k = classify_form(c, PLINE_ACCESS, s, n, L_ACCESS, L_ACCESS_PART);
		if (k != L_OTHER)
			return k;
	}
	if (want_syminfo && syminfo_start(s, n) && rematch(c, RE_SYMINFO, s, n))
		return L_SYMINFO;
	return L_OTHER;
}

/* ---------------------------------------------------------------------- */
/* fields */

bool pline_access(struct pline_ctx *c, const char *s, size_t n, struct access *a)
{
	const char *q = NULL;
	size_t qn = 0;
	uint64_t v;

	if (!rematch(c, RE_ACCESS, s, n))
		return false;
	a->unknown_origin = grp(c, s, 1, &q, &qn);
	grp(c, s, 2, &q, &qn);
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
	if (grp(c, s, 3, &q, &qn)) {
		a->marked = memmem(q, qn, "marked", 6) != NULL;
		a->reordered = memmem(q, qn, "reordered", 9) != NULL;
		a->scoped = memmem(q, qn, "scoped", 6) != NULL;
	}
	grp(c, s, 4, &q, &qn);
	if (qn > 2 && q[0] == '0' && (q[1] == 'x' || q[1] == 'X') && pframe_hex_token(q, qn, &v)) {
		a->has_addr = true;
		a->addr = v;
	}
	grp(c, s, 5, &q, &qn);
	a->has_size = pframe_dec(q, qn, UINT64_MAX, &a->size);
	if (grp(c, s, 7, &q, &qn)) {
		a->ctx = CTX_INTERRUPT;
	} else {
		a->ctx = CTX_TASK;
		grp(c, s, 6, &q, &qn);
		if (qn && strspn(q, "0123456789") >= qn)
			a->pid = (long)grp_num(c, s, 6, INT_MAX);
		else
			a->task = xstrndup(q, qn);
	}
	if (grp(c, s, 8, &q, &qn))
		a->cpu = (int)grp_num(c, s, 8, INT_MAX);
	return true;
}

void pline_cpu(struct pline_ctx *c, const char *s, size_t n, struct report *r)
{
	free(r->kernel);
	r->kernel = report_cpu_line_release(s, n);
	if (rematch(c, RE_COMM, s, n)) {
		r->rep_cpu = (int)grp_num(c, s, 1, INT_MAX);
		r->rep_pid = (long)grp_num(c, s, 2, INT_MAX);
		free(r->comm);
		r->comm = grp_dup(c, s, 3);
	}
}

static bool two_groups(struct pline_ctx *c, enum re_id id, const char *s, size_t n, char **a, char **b)
{
	if (!rematch(c, id, s, n))
		return false;
	*a = grp_dup(c, s, 1);
	*b = grp_dup(c, s, 2);
	return true;
}

bool pline_value(struct pline_ctx *c, const char *s, size_t n, char **old, char **new_)
{
	return two_groups(c, RE_VALUE, s, n, old, new_);
}

bool pline_bits(struct pline_ctx *c, const char *s, size_t n, char **changed, char **mask)
{
	return two_groups(c, RE_BITS, s, n, changed, mask);
}

bool pline_syminfo(struct pline_ctx *c, const char *s, size_t n, char **func, char **file, int *line)
{
	const char *q = NULL;
	size_t qn = 0;

	if (!rematch(c, RE_SYMINFO, s, n))
		return false;
	*func = grp_dup(c, s, 1);
	*file = grp_dup(c, s, 2);
	grp(c, s, 3, &q, &qn);
	*line = pframe_line_number(q, qn);
	return true;
}

/* ---------------------------------------------------------------------- */
/* the BUG line */

enum title_res { TITLE_OK, TITLE_BAD, TITLE_MERGED };

/*
 * What follows a title's function: a module tag is "[" and a name ("[mod",
 * cut at a line's end, too).  Any other "[" is another console line's
 * printk time merged into the BUG line ("tcp_[   12.345678] e1000e ...").
 */
static bool title_merged(const char *q, const char *e)
{
	while (q < e && (q = memchr(q, '[', (size_t)(e - q)))) {
		const char *m = ++q;

		while (q < e && (pframe_is_ident(*q) || *q == '-') && *q != '.')
			q++;
		if (q == m || (q < e && *q != ']' && *q != ' '))
			return true;
	}
	return false;
}

/* The function name of one part of a BUG line ("A+0x1/0x2 [mod] file.c:3 [inline]"). */
static enum title_res title_func(const char *p, const char *e, const char **name, size_t *nlen, bool *inl)
{
	const char *q;

	p = pframe_skip_sp(p, e);
	while (e > p && (e[-1] == ' '))
		e--;
	if (p >= e || !pframe_is_ident_start(*p))
		return TITLE_BAD;
	q = p;
	while (q < e && pframe_is_ident(*q))
		q++;
	if ((q < e && *q == '[') || title_merged(q, e))
		return TITLE_MERGED;
	*name = p;
	*nlen = (size_t)(q - p);
	*inl = memmem(q, (size_t)(e - q), "[inline]", 8) != NULL;
	/* what follows must look like an offset, module, location or annotation */
	q = pframe_skip_sp(q, e);
	if (q < e && *q != '+' && *q != '[' && *q != '(' && !memchr(q, ':', (size_t)(e - q)))
		return TITLE_BAD;
	return TITLE_OK;
}

static const struct bug_kind {
	const char *prefix, *kind;
	enum bug_type bt;
} bug_kinds[] = {
	{ "data-race in", "data-race", BUG_DATA_RACE },
	{ "assert: race in", "assert: race", BUG_ASSERT },
	{ "racing read-write in", "racing read-write", BUG_DATA_RACE },
	{ "racing read in", "racing read", BUG_DATA_RACE },
	{ "racing write in", "racing write", BUG_DATA_RACE },
};
#define NKINDS (sizeof(bug_kinds) / sizeof(bug_kinds[0]))
#define KIND_MAX 48          /* the longest kind a newer kernel may print, as we take it */

/* The kind at p: its entry, or NULL; *cut when p is a prefix of one (wrapped before "in"). */
static const struct bug_kind *bug_kind(const char *p, const char *e, bool *cut)
{
	*cut = false;
	for (unsigned k = 0; k < NKINDS; k++)
		if (mem_startswith(p, (size_t)(e - p), bug_kinds[k].prefix))
			return &bug_kinds[k];
	for (unsigned k = 0; k < NKINDS; k++)
		if (e - p < (ptrdiff_t)strlen(bug_kinds[k].prefix) && !memcmp(p, bug_kinds[k].prefix, (size_t)(e - p))) {
			*cut = true;
			return &bug_kinds[k];
		}
	return NULL;
}

/*
 * A kind this tool does not know ("weak-memory race in"): lowercase words
 * up to " in".  Its end, or e when the line ends first (wrapped before
 * "in"); NULL when p is no kind.
 */
static const char *unknown_kind(const char *p, const char *e)
{
	if (p >= e || *p < 'a' || *p > 'z')
		return NULL;
	for (const char *q = p; q < e && q - p <= KIND_MAX; q++) {
		if (e - q >= 3 && !memcmp(q, " in", 3) && (q + 3 == e || q[3] == ' '))
			return q;
		if (!((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || (*q && strchr(" :()_,-", *q))))
			return NULL;
	}
	return e - p <= KIND_MAX ? e : NULL;
}

/* "A / B", "A and B" or "A": the title after the kind. */
static bool bug_title(const char *kind, size_t klen, const char *p, const char *e, struct pline_bug *b)
{
	const char *sep, *septxt = " / ", *n1 = NULL, *n2 = NULL;
	size_t l1 = 0, l2 = 0, seplen = 0;
	bool inl1 = false, inl2 = false;
	enum title_res res;
	struct sbuf sb = SBUF_INIT;

	sep = memmem(p, (size_t)(e - p), " /", 2);
	if (sep) {
		seplen = 2;
	} else if ((sep = memmem(p, (size_t)(e - p), " and", 4)) && (sep + 4 == e || sep[4] == ' ')) {
		seplen = 4;
		septxt = " and ";
	} else {
		sep = NULL;
	}
	res = title_func(p, sep ? sep : e, &n1, &l1, &inl1);
	if (res == TITLE_OK && sep) {
		const char *q = pframe_skip_sp(sep + seplen, e);

		b->nfuncs = 2;
		if (q < e)
			res = title_func(q, e, &n2, &l2, &inl2);
	}
	if (res == TITLE_MERGED) {
		/* never a title from a fragment: no title, and the report is cut */
		b->merged = true;
		b->nfuncs = REPORT_MAX_ACCESSES;
		return true;
	}
	if (res == TITLE_BAD)
		return false;
	/* "KCSAN: KIND in F1[SEP F2]", copied (each piece up to a NUL, as %.*s would) */
	klen = strnlen(kind, klen);
	l1 = strnlen(n1, l1);
	l2 = n2 ? strnlen(n2, l2) : 0;
	sbuf_grow(&sb, 7 + klen + 4 + l1 + (n2 ? strlen(septxt) + l2 : 0));
	sbuf_add(&sb, "KCSAN: ", 7);
	sbuf_add(&sb, kind, klen);
	sbuf_add(&sb, " in ", 4);
	sbuf_add(&sb, n1, l1);
	if (n2) {
		sbuf_adds(&sb, septxt);
		sbuf_add(&sb, n2, l2);
	}
	b->title = sbuf_detach(&sb);
	b->inline_only = !sep && inl1;
	return true;
}

bool pline_bug(const char *s, size_t len, struct pline_bug *b)
{
	const char *p = s, *e = s + len, *kend;
	const struct bug_kind *kind;
	bool cut;

	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (!mem_startswith(p, len, "BUG: KCSAN:"))
		return false;
	p += 11;
	if (p < e && *p != ' ')
		return false;
	p = pframe_skip_sp(p, e);
	*b = (struct pline_bug){ .nfuncs = 1 };
	kind = bug_kind(p, e, &cut);
	if (!kind) {
		kend = unknown_kind(p, e);
		if (!kend)
			return false;
		b->bt = BUG_UNKNOWN;
		if (kend == e)
			return true;    /* wrapped before "in" */
		return (kend + 3 == e) || bug_title(p, (size_t)(kend - p), pframe_skip_sp(kend + 3, e), e, b);
	}
	if (cut) {
		b->bt = kind->bt;
		return true;    /* cut by a mail client before "in": a prefix of a kind, no title yet */
	}
	p += strlen(kind->prefix);
	if (p < e && *p != ' ')
		return false;
	b->bt = kind->bt;
	p = pframe_skip_sp(p, e);
	if (p == e)
		return true;    /* "... in" and the rest on the next line */
	return bug_title(kind->kind, strlen(kind->kind), p, e, b);
}

bool parse_bug_line(const char *s, size_t len, char **title, enum bug_type *bt, int *nfuncs,
		    bool *inline_only)
{
	struct pline_bug b;

	if (!pline_bug(s, len, &b))
		return false;
	*title = b.title;
	*bt = b.bt;
	*nfuncs = b.nfuncs;
	*inline_only = b.inline_only;
	return true;
}
