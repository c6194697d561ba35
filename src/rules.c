/* rules.c - read and match the knowledge base. */
#define _GNU_SOURCE
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <fcntl.h>
#include <pcre2.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hashmap.h"
#include "rules.h"

/* Generated at build time from rules/ (build/rules_data.c). */
extern const char kt_rules_data[];

/*
 * One compiled pattern, with the limits its matches run under and what
 * they hit: a catastrophic pattern (say ^(a+)+$) stops at the match limit,
 * counts as no match, and is turned off after RULES_LIMIT_HITS_OFF hits, so
 * a scan's time in the rules stays bounded.  The caller drains the hits
 * (rules_drain_limit_hit) and words them.
 */
struct rule_pattern {
	pcre2_code *re;
	pcre2_match_context *mc;
	char *origin;          /* "file:line" of the pattern */
	char *rule;            /* the struct it belongs to */
	/* shared by the threads of scan --jobs: counted up to RULES_LIMIT_HITS_OFF, as one thread would */
	_Atomic unsigned long hits;   /* matches stopped by a limit */
	_Atomic bool off;
	bool reported;
	bool literal;          /* ^(name|name...)$: matched through the rules' index, by id */
	uint32_t id;
};

static void pl_release(struct pattern_list *pl)
{
	for (size_t i = 0; i < pl->n; i++) {
		struct rule_pattern *rp = pl->code[i];

		free(pl->src[i]);
		pcre2_code_free(rp->re);
		pcre2_match_context_free(rp->mc);
		free(rp->origin);
		free(rp->rule);
		free(rp);
	}
	free(pl->src);
	free(pl->code);
	memset(pl, 0, sizeof(*pl));
}

/* User text quoted in a message: at most CUT_BYTES of it (whole UTF-8 sequences). */
#define CUT_BYTES 120
struct cut {
	char s[CUT_BYTES + 8];
};

_Static_assert(sizeof(struct cut) == sizeof(((struct rules_limit_hit *)0)->pattern) &&
	       sizeof(struct cut) == sizeof(((struct rules_limit_hit *)0)->rule), "cut fits a limit hit");

static struct cut cut(const char *s)
{
	struct cut c;
	size_t n = strlen(s);

	if (n <= CUT_BYTES) {
		memcpy(c.s, s, n + 1);
		return c;
	}
	n = CUT_BYTES;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(c.s, s, n);
	memcpy(c.s + n, "...", 4);
	return c;
}

static int pl_add(struct ctx *ctx, struct pattern_list *pl, const char *src, const char *pos, const char *rule)
{
	int err;
	PCRE2_SIZE off;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
	struct rule_pattern *rp;

	if (!code) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(err, msg, sizeof(msg));
		kt_error(ctx, KT_EXIT_SYMBOLS, pos, "bad pattern '%s': %s at offset %zu", cut(src).s, (char *)msg,
			 (size_t)off);
		return -1;
	}
	pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	rp = xcalloc(1, sizeof(*rp));
	rp->re = code;
	rp->mc = pcre2_match_context_create(NULL);
	if (!rp->mc)
		kt_die("out of memory (a PCRE2 match context)");
	pcre2_set_match_limit(rp->mc, RULES_MATCH_LIMIT);
	pcre2_set_depth_limit(rp->mc, RULES_DEPTH_LIMIT);
	pcre2_set_heap_limit(rp->mc, RULES_HEAP_LIMIT_KIB);
	rp->origin = xstrdup(pos);
	rp->rule = xstrdup(rule);
	pl->src = xrealloc(pl->src, (pl->n + 1) * sizeof(*pl->src));
	pl->code = xrealloc(pl->code, (pl->n + 1) * sizeof(*pl->code));
	pl->src[pl->n] = xstrdup(src);
	pl->code[pl->n] = rp;
	pl->n++;
	return 0;
}

static bool pattern_one(struct rule_pattern *rp, const char *s, pcre2_match_data *md)
{
	int rc;

	if (atomic_load_explicit(&rp->off, memory_order_relaxed))
		return false;
	rc = pcre2_match(rp->re, (PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, 0, 0, md, rp->mc);
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT) {
		unsigned long h = atomic_load(&rp->hits);

		while (h < RULES_LIMIT_HITS_OFF && !atomic_compare_exchange_weak(&rp->hits, &h, h + 1))
			;
		if (h + 1 >= RULES_LIMIT_HITS_OFF)
			atomic_store(&rp->off, true);
		return false;
	}
	return rc >= 0;
}

bool pattern_match(const struct pattern_list *pl, const char *s)
{
	pcre2_match_data *md;
	bool hit = false;

	if (!s || !pl->n)
		return false;
	md = pcre2_match_data_create(1, NULL);
	for (size_t i = 0; i < pl->n && !hit; i++)
		hit = pattern_one(pl->code[i], s, md);
	pcre2_match_data_free(md);
	return hit;
}

/* ---------------------------------------------------------------------- */
/*
 * The index of literal names.  A function pattern ^(a|b|...)$ whose
 * alternatives are identifiers matches a subject exactly when the subject
 * is one of them (or one of them and a final newline, as PCRE2's $ allows);
 * such a match cannot reach the limits.  The index maps every alternative
 * to the ids of the patterns that list it, so that a function name is
 * looked up once instead of being run through every pattern.
 */
struct rules_lit {
	struct hashmap_entry ent;
	uint32_t *ids;             /* ascending */
	size_t nids, cap;
	size_t len;
	char name[];
};

struct rules_index {
	struct hashmap map;
	uint32_t next_id;
	bool all_literal;          /* every function pattern is indexed */
};

struct lit_key {
	const char *s;
	size_t len;
};

static bool lit_eq(const struct hashmap_entry *e, const struct hashmap_entry *key, const void *keydata)
{
	const struct rules_lit *l = container_of(e, const struct rules_lit, ent);
	const struct lit_key *k = keydata;

	return l->len == k->len && !memcmp(l->name, k->s, k->len);
}

static bool lit_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Is src ^(name|name...)$ with identifier names (none empty)? */
static bool pattern_is_literal(const char *src)
{
	size_t n = strlen(src);

	if (n < 5 || strncmp(src, "^(", 2) || strcmp(src + n - 2, ")$"))
		return false;
	for (size_t i = 2, run = 0; i < n - 2; i++) {
		if (src[i] == '|') {
			if (!run)
				return false;
			run = 0;
		} else if (lit_char(src[i])) {
			run++;
		} else {
			return false;
		}
		if (i == n - 3 && !run)
			return false;
	}
	return true;
}

static void index_add(struct rules_index *ix, const char *s, size_t len, uint32_t id)
{
	struct lit_key k = { s, len };
	uint64_t h = kt_hash_mem(s, len);
	struct hashmap_entry *e = hashmap_get(&ix->map, h, NULL, &k);
	struct rules_lit *l;

	if (e) {
		l = container_of(e, struct rules_lit, ent);
	} else {
		l = xcalloc(1, sizeof(*l) + len + 1);
		memcpy(l->name, s, len);
		l->len = len;
		hashmap_entry_init(&l->ent, h);
		hashmap_add(&ix->map, &l->ent);
	}
	if (l->nids && l->ids[l->nids - 1] == id)
		return;   /* a name listed twice in one pattern */
	ALLOC_GROW(l->ids, l->nids, l->cap);
	l->ids[l->nids++] = id;
}

static void index_list(struct rules_index *ix, struct pattern_list *pl)
{
	pl->literal = true;
	for (size_t i = 0; i < pl->n; i++) {
		struct rule_pattern *rp = pl->code[i];
		const char *p, *end;

		rp->literal = pattern_is_literal(pl->src[i]);
		pl->literal &= rp->literal;
		if (!rp->literal)
			continue;
		rp->id = ix->next_id++;
		p = pl->src[i] + 2;
		end = pl->src[i] + strlen(pl->src[i]) - 2;
		while (p < end) {
			const char *bar = memchr(p, '|', (size_t)(end - p));
			size_t len = bar ? (size_t)(bar - p) : (size_t)(end - p);

			index_add(ix, p, len, rp->id);
			p += len + 1;
		}
	}
}

static void index_free(struct rules_index *ix)
{
	struct hashmap_iter it;
	struct hashmap_entry *e;

	if (!ix)
		return;
	for (e = hashmap_iter_first(&ix->map, &it); e; e = hashmap_iter_next(&it))
		free(container_of(e, struct rules_lit, ent)->ids);
	hashmap_clear(&ix->map, offsetof(struct rules_lit, ent));
	free(ix);
}

/* (Re)build the index over every function pattern of rs. */
static void index_build(struct rules *rs)
{
	struct rules_index *ix = xcalloc(1, sizeof(*ix));

	hashmap_init(&ix->map, lit_eq, 0);
	ix->all_literal = true;
	for (size_t i = 0; i < rs->n; i++) {
		struct rule *r = &rs->v[i];

		index_list(ix, &r->functions);
		ix->all_literal &= r->functions.literal;
		for (size_t j = 0; j < r->nmembers; j++) {
			index_list(ix, &r->members[j].functions);
			ix->all_literal &= r->members[j].functions.literal;
		}
	}
	index_free(rs->index);
	rs->index = ix;
}

void rules_name_init(const struct rules *rs, struct rules_name *n, const char *func)
{
	struct lit_key k;
	struct hashmap_entry *e;

	n->lit = NULL;
	n->nlit = 0;
	n->maybe = true;
	func_base_name(func ? func : "", n->base, sizeof(n->base));
	if (!rs || !rs->index)
		return;
	k.s = n->base;
	k.len = strlen(n->base);
	if (k.len && n->base[k.len - 1] == '\n')
		k.len--;   /* PCRE2's $ matches before a final newline */
	e = hashmap_get(&rs->index->map, kt_hash_mem(k.s, k.len), NULL, &k);
	if (e) {
		const struct rules_lit *l = container_of(e, const struct rules_lit, ent);

		n->lit = l->ids;
		n->nlit = l->nids;
	}
	n->maybe = n->nlit || !rs->index->all_literal;
}

static bool name_has(const struct rules_name *n, uint32_t id)
{
	for (size_t i = 0; i < n->nlit; i++)
		if (n->lit[i] == id)
			return true;
	return false;
}

/* pattern_match(pl, n->base), the literal patterns answered by the index. */
static bool pattern_match_name(const struct pattern_list *pl, const struct rules_name *n)
{
	pcre2_match_data *md = NULL;
	bool hit = false;

	if (pl->literal && !n->nlit)
		return false;   /* the common case: a name no rule lists */
	for (size_t i = 0; i < pl->n && !hit; i++) {
		struct rule_pattern *rp = pl->code[i];

		if (rp->literal) {
			hit = name_has(n, rp->id);
			continue;
		}
		if (!md)
			md = pcre2_match_data_create(1, NULL);
		hit = pattern_one(rp, n->base, md);
	}
	pcre2_match_data_free(md);
	return hit;
}

bool rule_function_name_matches(const struct rule *r, const struct rule_member *m, const struct rules_name *n)
{
	if (m && m->functions.n)
		return pattern_match_name(&m->functions, n);
	return pattern_match_name(&r->functions, n);
}

/* The first pattern of pl with limit hits not handed out yet. */
static bool pl_drain(const struct pattern_list *pl, struct rules_limit_hit *out)
{
	for (size_t i = 0; i < pl->n; i++) {
		struct rule_pattern *rp = pl->code[i];

		if (!rp->hits || rp->reported)
			continue;
		rp->reported = true;
		out->origin = rp->origin;
		memcpy(out->rule, cut(rp->rule).s, sizeof(out->rule));
		memcpy(out->pattern, cut(pl->src[i]).s, sizeof(out->pattern));
		out->hits = rp->hits;
		out->off = rp->off;
		return true;
	}
	return false;
}

bool rules_drain_limit_hit(const struct rules *rs, struct rules_limit_hit *out)
{
	for (size_t i = 0; rs && i < rs->n; i++) {
		const struct rule *r = &rs->v[i];

		if (pl_drain(&r->files, out) || pl_drain(&r->functions, out))
			return true;
		for (size_t j = 0; j < r->nmembers; j++)
			if (pl_drain(&r->members[j].expr, out) || pl_drain(&r->members[j].functions, out))
				return true;
	}
	return false;
}

static unsigned long pl_hits(const struct pattern_list *pl)
{
	unsigned long n = 0;

	for (size_t i = 0; i < pl->n; i++)
		n += atomic_load_explicit(&((struct rule_pattern *)pl->code[i])->hits, memory_order_relaxed);
	return n;
}

unsigned long rules_limit_hits(const struct rules *rs)
{
	unsigned long n = 0;

	for (size_t i = 0; rs && i < rs->n; i++) {
		const struct rule *r = &rs->v[i];

		n += pl_hits(&r->files) + pl_hits(&r->functions);
		for (size_t j = 0; j < r->nmembers; j++)
			n += pl_hits(&r->members[j].expr) + pl_hits(&r->members[j].functions);
	}
	return n;
}

static void member_release(struct rule_member *m)
{
	free(m->name);
	pl_release(&m->expr);
	pl_release(&m->functions);
}

static void rule_release(struct rule *r)
{
	free(r->name);
	free(r->family);
	free(r->reference);
	free(r->origin);
	pl_release(&r->files);
	pl_release(&r->functions);
	for (size_t i = 0; i < r->nmembers; i++)
		member_release(&r->members[i]);
	free(r->members);
}

static void index_free(struct rules_index *ix);

void rules_free(struct rules *rs)
{
	if (!rs)
		return;
	index_free(rs->index);
	for (size_t i = 0; i < rs->n; i++)
		rule_release(&rs->v[i]);
	free(rs->v);
	free(rs);
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (!*s)
		return false;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

/* Check a finished block; errors at the block's line. */
static int rule_check(struct ctx *ctx, struct rule *r)
{
	int bad = 0;

	if (r->writer == W_NONE) {
		kt_error(ctx, KT_EXIT_SYMBOLS, r->origin, "struct %s: no 'writer' (device, hypervisor or user)", cut(r->name).s);
		bad++;
	}
	if (!r->align || (r->align & (r->align - 1))) {
		kt_error(ctx, KT_EXIT_SYMBOLS, r->origin, "struct %s: 'align' must be a power of two", cut(r->name).s);
		bad++;
	}
	if (!r->functions.n && !r->files.n) {
		kt_error(ctx, KT_EXIT_SYMBOLS, r->origin, "struct %s: no 'function' or 'file' pattern", cut(r->name).s);
		bad++;
	}
	if (!r->nmembers) {
		kt_error(ctx, KT_EXIT_SYMBOLS, r->origin, "struct %s: no 'member'", cut(r->name).s);
		bad++;
	}
	if (!r->reference) {
		kt_error(ctx, KT_EXIT_SYMBOLS, r->origin, "struct %s: no 'reference' (spec, datasheet or driver comment)", cut(r->name).s);
		bad++;
	}
	for (size_t i = 0; i < r->nmembers; i++) {
		struct rule_member *m = &r->members[i];
		char pos[4200];

		snprintf(pos, sizeof(pos), "%.*s:%d", (int)strcspn(r->origin, ":"), r->origin, m->line);
		if (!m->size) {
			kt_error(ctx, KT_EXIT_SYMBOLS, pos, "member %s: no 'size'", cut(m->name).s);
			bad++;
		}
		if (m->stride && m->stride < m->size) {
			kt_error(ctx, KT_EXIT_SYMBOLS, pos, "member %s: 'stride' smaller than 'size'", cut(m->name).s);
			bad++;
		}
	}
	return bad ? -1 : 0;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

/* The state of one rules text being parsed. */
struct rules_parser {
	struct ctx *ctx;
	struct rules *rs;
	const char *name;
	struct rule *cur;
	struct rule_member *mem;
	int member_indent, lineno, bad;
	char pos[4200];
};

static void rp_error(struct rules_parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rp_error(struct rules_parser *ps, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	kt_error(ps->ctx, KT_EXIT_SYMBOLS, ps->pos, "%s", msg);
	free(msg);
	ps->bad++;
}

static void parse_member_attr(struct rules_parser *ps, const char *key, const char *val)
{
	struct rule_member *mem = ps->mem;
	uint64_t v;

	if (!strcmp(key, "offset") || !strcmp(key, "size") || !strcmp(key, "stride")) {
		if (!parse_u64(val, &v))
			rp_error(ps, "'%s' needs a number, not '%s'", key, cut(val).s);
		else if (!strcmp(key, "offset"))
			mem->offset = v;
		else if (!strcmp(key, "size"))
			mem->size = v;
		else
			mem->stride = v;
	} else if (!strcmp(key, "expr")) {
		ps->bad += pl_add(ps->ctx, &mem->expr, val, ps->pos, ps->cur->name) < 0;
	} else if (!strcmp(key, "function")) {
		ps->bad += pl_add(ps->ctx, &mem->functions, val, ps->pos, ps->cur->name) < 0;
	} else if (!strcmp(key, "dwarf")) {
		if (!strcmp(val, "no"))
			mem->dwarf = false;
		else if (!strcmp(val, "yes"))
			mem->dwarf = true;
		else
			rp_error(ps, "'dwarf' takes yes or no");
	} else {
		rp_error(ps, "unknown member attribute '%s'", cut(key).s);
	}
}

static void parse_struct_attr(struct rules_parser *ps, const char *key, const char *val)
{
	struct rule *cur = ps->cur;

	if (!strcmp(key, "family")) {
		free(cur->family);
		cur->family = xstrdup(val);
	} else if (!strcmp(key, "writer")) {
		int w = writer_from_name(val);

		if (w > W_NONE)
			cur->writer = (enum writer)w;
		else
			rp_error(ps, "writer must be device, hypervisor or user, not '%s'", cut(val).s);
	} else if (!strcmp(key, "align")) {
		if (!parse_u64(val, &cur->align))
			rp_error(ps, "'align' needs a number, not '%s'", cut(val).s);
	} else if (!strcmp(key, "reference")) {
		char *j = cur->reference ? xasprintf("%s %s", cur->reference, val) : xstrdup(val);

		free(cur->reference);
		cur->reference = j;
	} else if (!strcmp(key, "file")) {
		ps->bad += pl_add(ps->ctx, &cur->files, val, ps->pos, cur->name) < 0;
	} else if (!strcmp(key, "function")) {
		ps->bad += pl_add(ps->ctx, &cur->functions, val, ps->pos, cur->name) < 0;
	} else {
		rp_error(ps, "unknown attribute '%s'", cut(key).s);
	}
}

/* A line at the left margin: "struct NAME" opens a block. */
static void parse_struct_line(struct rules_parser *ps, const char *key, const char *val)
{
	struct rules *rs = ps->rs;

	if (ps->cur && rule_check(ps->ctx, ps->cur) < 0)
		ps->bad++;
	ps->cur = NULL;
	ps->mem = NULL;
	if (strcmp(key, "struct") || !*val || strpbrk(val, " \t")) {
		rp_error(ps, "expected 'struct NAME' at the left margin, got '%s'", cut(key).s);
		return;
	}
	ALLOC_GROW(rs->v, rs->n, rs->cap);
	ps->cur = &rs->v[rs->n++];
	memset(ps->cur, 0, sizeof(*ps->cur));
	ps->cur->name = xstrdup(val);
	ps->cur->origin = xstrdup(ps->pos);
}

static void parse_member_line(struct rules_parser *ps, const char *val, int indent)
{
	struct rule *cur = ps->cur;

	if (!*val) {
		rp_error(ps, "'member' needs a name");
		return;
	}
	cur->members = xrealloc(cur->members, (cur->nmembers + 1) * sizeof(*cur->members));
	ps->mem = &cur->members[cur->nmembers++];
	memset(ps->mem, 0, sizeof(*ps->mem));
	ps->mem->name = xstrdup(val);
	ps->mem->dwarf = true;
	ps->mem->line = ps->lineno;
	ps->member_indent = indent;
}

/* One line (NUL-terminated, writable). */
static void parse_line(struct rules_parser *ps, char *line)
{
	char *s, *key, *val;
	int indent = 0;

	for (s = line; *s == ' ' || *s == '\t'; s++)
		indent += *s == '\t' ? 8 : 1;
	if (!*s || *s == '#' || (*s == '\r' && !s[1]))
		return;
	s = trim(s);
	key = s;
	val = s + strcspn(s, " \t");
	if (*val)
		*val++ = 0;
	val = trim(val);
	if (indent == 0) {
		parse_struct_line(ps, key, val);
	} else if (!ps->cur) {
		rp_error(ps, "'%s' outside a struct block", cut(key).s);
	} else {
		if (ps->mem && indent <= ps->member_indent)
			ps->mem = NULL;
		if (!strcmp(key, "member"))
			parse_member_line(ps, val, indent);
		else if (ps->mem)
			parse_member_attr(ps, key, val);
		else
			parse_struct_attr(ps, key, val);
	}
}

/* rules_parse() without the index (rules_load() builds it once, after every file). */
static int parse_text(struct ctx *ctx, struct rules *rs, const char *name, const char *text, size_t len)
{
	struct rules_parser ps = { .ctx = ctx, .rs = rs, .name = name, .member_indent = -1 };
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *nul = memchr(p, 0, n);

		ps.lineno++;
		snprintf(ps.pos, sizeof(ps.pos), "%s:%d", name, ps.lineno);
		if (nul) {
			rp_error(&ps, "NUL byte at column %zu; the line is not read", (size_t)(nul - p) + 1);
		} else {
			char *line = xstrndup(p, n);

			parse_line(&ps, line);
			free(line);
		}
		p += n + (nl ? 1 : 0);
	}
	if (ps.cur && rule_check(ctx, ps.cur) < 0)
		ps.bad++;
	return ps.bad ? -1 : 0;
}

int rules_parse(struct ctx *ctx, struct rules *rs, const char *name, const char *text, size_t len)
{
	int rc = parse_text(ctx, rs, name, text, len);

	index_build(rs);
	return rc;
}

/* A rules file: a regular file of at most RULES_MAX_FILE bytes, read whole. */
static int read_rules_file(struct ctx *ctx, const char *path, struct sbuf *sb)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	char buf[65536];
	ssize_t r;

	if (fd < 0) {
		kt_error(ctx, KT_EXIT_SYMBOLS, path, "cannot open rules file: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		kt_error(ctx, KT_EXIT_SYMBOLS, path, "not a regular file; a rules file must be one");
		close(fd);
		return -1;
	}
	while ((r = read(fd, buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			kt_error(ctx, KT_EXIT_SYMBOLS, path, "read error: %s", strerror(errno));
			break;
		}
		if (sb->len + (size_t)r > RULES_MAX_FILE) {
			kt_error(ctx, KT_EXIT_SYMBOLS, path, "larger than %d MiB, the most a rules file may hold",
				 RULES_MAX_FILE >> 20);
			r = -1;
			break;
		}
		sbuf_add(sb, buf, (size_t)r);
	}
	close(fd);
	return r < 0 ? -1 : 0;
}

static int load_file(struct ctx *ctx, struct rules *rs, const char *path)
{
	struct sbuf sb = SBUF_INIT;
	int rc = read_rules_file(ctx, path, &sb);

	if (rc == 0)
		rc = parse_text(ctx, rs, path, sbuf_str(&sb), sb.len);
	sbuf_release(&sb);
	return rc;
}

/* The embedded text holds every rules/ file behind a "#@file NAME" line. */
static int load_embedded(struct ctx *ctx, struct rules *rs)
{
	const char *p = kt_rules_data;
	int bad = 0;

	while (*p) {
		const char *hdr = strstr(p, "#@file ");
		const char *name, *body, *next;
		char *fname;

		if (!hdr)
			break;
		name = hdr + 7;
		body = strchr(name, '\n');
		if (!body)
			break;
		fname = xstrndup(name, (size_t)(body - name));
		body++;
		next = strstr(body, "#@file ");
		if (!next)
			next = body + strlen(body);
		bad += parse_text(ctx, rs, fname, body, (size_t)(next - body)) < 0;
		free(fname);
		p = next;
	}
	return bad ? -1 : 0;
}

struct rules *rules_load(struct ctx *ctx, const char *const *files, int nfiles)
{
	struct rules *rs = xcalloc(1, sizeof(*rs));
	int bad = 0;

	bad += load_embedded(ctx, rs) < 0;
	for (int i = 0; i < nfiles; i++)
		bad += load_file(ctx, rs, files[i]) < 0;
	if (bad) {
		rules_free(rs);
		return NULL;
	}
	index_build(rs);
	return rs;
}

bool rule_function_matches(const struct rule *r, const struct rule_member *m, const char *func)
{
	char base[256];

	if (!func)
		return false;
	func_base_name(func, base, sizeof(base));
	if (m && m->functions.n)
		return pattern_match(&m->functions, base);
	return pattern_match(&r->functions, base);
}

bool rule_file_matches(const struct rule *r, const char *file)
{
	return file && pattern_match(&r->files, file);
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * The struct starts at a multiple of align; the member sits at offset (plus
 * k * stride for array elements).  The access fits when the sizes agree and
 * addr is congruent to some offset + k * stride modulo align.
 */
bool rule_member_fits(const struct rule *r, const struct rule_member *m, uint64_t addr, uint64_t size)
{
	uint64_t mod;

	if (size != m->size || !r->align)
		return false;
	mod = m->stride ? gcd(m->stride, r->align) : r->align;
	return ((addr - m->offset) % mod) == 0;
}
