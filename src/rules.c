/* rules.c - read and match the knowledge base. */
#define _GNU_SOURCE
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

/* Generated at build time from rules/ (build/rules_data.c). */
extern const char kt_rules_data[];

static void pl_release(struct pattern_list *pl)
{
	for (size_t i = 0; i < pl->n; i++) {
		free(pl->src[i]);
		pcre2_code_free(pl->code[i]);
	}
	free(pl->src);
	free(pl->code);
	memset(pl, 0, sizeof(*pl));
}

static int pl_add(struct ctx *ctx, struct pattern_list *pl, const char *src, const char *pos)
{
	int err;
	PCRE2_SIZE off;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);

	if (!code) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(err, msg, sizeof(msg));
		kt_error(ctx, KT_EXIT_SYMBOLS, pos, "bad pattern '%s': %s at offset %zu", src, (char *)msg,
			 (size_t)off);
		return -1;
	}
	pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	pl->src = xrealloc(pl->src, (pl->n + 1) * sizeof(*pl->src));
	pl->code = xrealloc(pl->code, (pl->n + 1) * sizeof(*pl->code));
	pl->src[pl->n] = xstrdup(src);
	pl->code[pl->n] = code;
	pl->n++;
	return 0;
}

bool pattern_match(const struct pattern_list *pl, const char *s)
{
	pcre2_match_data *md;
	bool hit = false;

	if (!s || !pl->n)
		return false;
	md = pcre2_match_data_create(1, NULL);
	for (size_t i = 0; i < pl->n && !hit; i++)
		hit = pcre2_match(pl->code[i], (PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, 0, 0, md, NULL) >= 0;
	pcre2_match_data_free(md);
	return hit;
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

void rules_free(struct rules *rs)
{
	if (!rs)
		return;
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
		kt_error(ctx, KT_EXIT_SYMBOLS, r->origin, "struct %s: no 'writer' (device, hypervisor or user)", r->name);
		bad++;
	}
	if (!r->align || (r->align & (r->align - 1))) {
		kt_error(ctx, KT_EXIT_SYMBOLS, r->origin, "struct %s: 'align' must be a power of two", r->name);
		bad++;
	}
	if (!r->functions.n && !r->files.n) {
		kt_error(ctx, KT_EXIT_SYMBOLS, r->origin, "struct %s: no 'function' or 'file' pattern", r->name);
		bad++;
	}
	if (!r->nmembers) {
		kt_error(ctx, KT_EXIT_SYMBOLS, r->origin, "struct %s: no 'member'", r->name);
		bad++;
	}
	if (!r->reference) {
		kt_error(ctx, KT_EXIT_SYMBOLS, r->origin, "struct %s: no 'reference' (spec, datasheet or driver comment)", r->name);
		bad++;
	}
	for (size_t i = 0; i < r->nmembers; i++) {
		struct rule_member *m = &r->members[i];
		char pos[512];

		snprintf(pos, sizeof(pos), "%.*s:%d", (int)strcspn(r->origin, ":"), r->origin, m->line);
		if (!m->size) {
			kt_error(ctx, KT_EXIT_SYMBOLS, pos, "member %s: no 'size'", m->name);
			bad++;
		}
		if (m->stride && m->stride < m->size) {
			kt_error(ctx, KT_EXIT_SYMBOLS, pos, "member %s: 'stride' smaller than 'size'", m->name);
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

int rules_parse(struct ctx *ctx, struct rules *rs, const char *name, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	struct rule *cur = NULL;
	struct rule_member *mem = NULL;
	int member_indent = -1, lineno = 0, bad = 0;
	char pos[512];

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = xstrndup(p, n), *s, *key, *val;
		int indent = 0;

		p += n + (nl ? 1 : 0);
		lineno++;
		snprintf(pos, sizeof(pos), "%s:%d", name, lineno);
		for (s = line; *s == ' ' || *s == '\t'; s++)
			indent += *s == '\t' ? 8 : 1;
		if (!*s || *s == '#' || (*s == '\r' && !s[1])) {
			free(line);
			continue;
		}
		s = trim(s);
		key = s;
		val = s + strcspn(s, " \t");
		if (*val)
			*val++ = 0;
		val = trim(val);

		if (indent == 0) {
			if (cur && rule_check(ctx, cur) < 0)
				bad++;
			cur = NULL;
			mem = NULL;
			if (strcmp(key, "struct") || !*val || strpbrk(val, " \t")) {
				kt_error(ctx, KT_EXIT_SYMBOLS, pos, "expected 'struct NAME' at the left margin, got '%s'", key);
				bad++;
				free(line);
				continue;
			}
			ALLOC_GROW(rs->v, rs->n, rs->cap);
			cur = &rs->v[rs->n++];
			memset(cur, 0, sizeof(*cur));
			cur->name = xstrdup(val);
			cur->origin = xstrdup(pos);
			free(line);
			continue;
		}
		if (!cur) {
			kt_error(ctx, KT_EXIT_SYMBOLS, pos, "'%s' outside a struct block", key);
			bad++;
			free(line);
			continue;
		}
		if (mem && indent <= member_indent)
			mem = NULL;
		if (!strcmp(key, "member")) {
			if (!*val) {
				kt_error(ctx, KT_EXIT_SYMBOLS, pos, "'member' needs a name");
				bad++;
			} else {
				cur->members = xrealloc(cur->members, (cur->nmembers + 1) * sizeof(*cur->members));
				mem = &cur->members[cur->nmembers++];
				memset(mem, 0, sizeof(*mem));
				mem->name = xstrdup(val);
				mem->dwarf = true;
				mem->line = lineno;
				member_indent = indent;
			}
		} else if (mem) {
			if (!strcmp(key, "offset") || !strcmp(key, "size") || !strcmp(key, "stride")) {
				uint64_t v;

				if (!parse_u64(val, &v)) {
					kt_error(ctx, KT_EXIT_SYMBOLS, pos, "'%s' needs a number, not '%s'", key, val);
					bad++;
				} else if (!strcmp(key, "offset")) {
					mem->offset = v;
				} else if (!strcmp(key, "size")) {
					mem->size = v;
				} else {
					mem->stride = v;
				}
			} else if (!strcmp(key, "expr")) {
				bad += pl_add(ctx, &mem->expr, val, pos) < 0;
			} else if (!strcmp(key, "function")) {
				bad += pl_add(ctx, &mem->functions, val, pos) < 0;
			} else if (!strcmp(key, "dwarf")) {
				if (!strcmp(val, "no"))
					mem->dwarf = false;
				else if (!strcmp(val, "yes"))
					mem->dwarf = true;
				else {
					kt_error(ctx, KT_EXIT_SYMBOLS, pos, "'dwarf' takes yes or no");
					bad++;
				}
			} else {
				kt_error(ctx, KT_EXIT_SYMBOLS, pos, "unknown member attribute '%s'", key);
				bad++;
			}
		} else if (!strcmp(key, "family")) {
			free(cur->family);
			cur->family = xstrdup(val);
		} else if (!strcmp(key, "writer")) {
			if (!strcmp(val, "device"))
				cur->writer = W_DEVICE;
			else if (!strcmp(val, "hypervisor"))
				cur->writer = W_HYPERVISOR;
			else if (!strcmp(val, "user"))
				cur->writer = W_USER;
			else {
				kt_error(ctx, KT_EXIT_SYMBOLS, pos, "writer must be device, hypervisor or user, not '%s'", val);
				bad++;
			}
		} else if (!strcmp(key, "align")) {
			if (!parse_u64(val, &cur->align)) {
				kt_error(ctx, KT_EXIT_SYMBOLS, pos, "'align' needs a number, not '%s'", val);
				bad++;
			}
		} else if (!strcmp(key, "reference")) {
			if (cur->reference) {
				char *j = xasprintf("%s %s", cur->reference, val);

				free(cur->reference);
				cur->reference = j;
			} else {
				cur->reference = xstrdup(val);
			}
		} else if (!strcmp(key, "file")) {
			bad += pl_add(ctx, &cur->files, val, pos) < 0;
		} else if (!strcmp(key, "function")) {
			bad += pl_add(ctx, &cur->functions, val, pos) < 0;
		} else {
			kt_error(ctx, KT_EXIT_SYMBOLS, pos, "unknown attribute '%s'", key);
			bad++;
		}
		free(line);
	}
	if (cur && rule_check(ctx, cur) < 0)
		bad++;
	return bad ? -1 : 0;
}

static int load_file(struct ctx *ctx, struct rules *rs, const char *path)
{
	FILE *f = fopen(path, "rb");
	struct sbuf sb = SBUF_INIT;
	int rc;

	if (!f) {
		kt_error(ctx, KT_EXIT_SYMBOLS, path, "cannot open rules file: %s", strerror(errno));
		return -1;
	}
	if (sbuf_read_file(&sb, f) < 0) {
		kt_error(ctx, KT_EXIT_SYMBOLS, path, "read error: %s", strerror(errno));
		fclose(f);
		sbuf_release(&sb);
		return -1;
	}
	fclose(f);
	rc = rules_parse(ctx, rs, path, sbuf_str(&sb), sb.len);
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
		bad += rules_parse(ctx, rs, fname, body, (size_t)(next - body)) < 0;
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
