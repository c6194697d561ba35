/* facts.c - a verdict's facts as compact "key=value" text, strict both ways. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "facts.h"

enum fact_kind { F_STR, F_U64, F_HEX, F_INT, F_BOOL, F_ENUM };

struct fact {
	const char *key;
	enum fact_kind kind;
	size_t off;
	const char *(*name)(int v);      /* F_ENUM */
	int (*from_name)(const char *s);
};

/* the name functions take their enum; call them through int */
#define ENUM_FN(fn, type) \
	static const char *fn##_i(int v) { return fn((type)v); }
ENUM_FN(verdict_name, enum verdict)
ENUM_FN(cls_basis_name, enum cls_basis)
ENUM_FN(writer_name, enum writer)
ENUM_FN(confidence_name, enum confidence)
ENUM_FN(access_type_name, enum access_type)
ENUM_FN(layout_source_name, enum layout_source)
ENUM_FN(var_basis_name, enum var_basis)

/* F_ENUM facts are read and written as unsigned */
_Static_assert(sizeof(enum verdict) == sizeof(unsigned) && sizeof(enum cls_basis) == sizeof(unsigned) &&
	       sizeof(enum writer) == sizeof(unsigned) && sizeof(enum confidence) == sizeof(unsigned) &&
	       sizeof(enum access_type) == sizeof(unsigned) && sizeof(enum layout_source) == sizeof(unsigned) &&
	       sizeof(enum var_basis) == sizeof(unsigned),
	       "enums are unsigned-sized");

#define OFF(m) offsetof(struct classification, m)
#define E(key, m, fn) { key, F_ENUM, OFF(m), fn##_name_i, fn##_from_name }

static const struct fact facts[] = {
	E("verdict", verdict, verdict),
	E("basis", basis, cls_basis),
	E("writer", writer, writer),
	E("confidence", confidence, confidence),
	{ "level", F_INT, OFF(level), NULL, NULL },
	{ "stacks", F_INT, OFF(stacks), NULL, NULL },
	E("access", acc_type, access_type),
	{ "has_addr", F_BOOL, OFF(has_addr), NULL, NULL },
	{ "addr", F_HEX, OFF(addr), NULL, NULL },
	{ "has_size", F_BOOL, OFF(has_size), NULL, NULL },
	{ "size", F_U64, OFF(size), NULL, NULL },
	{ "rule", F_STR, OFF(rule), NULL, NULL },
	{ "origin", F_STR, OFF(origin), NULL, NULL },
	{ "family", F_STR, OFF(family), NULL, NULL },
	{ "reference", F_STR, OFF(reference), NULL, NULL },
	E("rule_writer", rule_writer, writer),
	{ "align", F_U64, OFF(align), NULL, NULL },
	{ "member", F_STR, OFF(member), NULL, NULL },
	{ "offset", F_U64, OFF(offset), NULL, NULL },
	{ "member_size", F_U64, OFF(member_size), NULL, NULL },
	{ "stride", F_U64, OFF(stride), NULL, NULL },
	E("layout", layout, layout_source),
	{ "where_func", F_STR, OFF(where.func), NULL, NULL },
	{ "where_file", F_STR, OFF(where.file), NULL, NULL },
	{ "where_line", F_INT, OFF(where.line), NULL, NULL },
	{ "has_top", F_BOOL, OFF(has_top), NULL, NULL },
	{ "top_func", F_STR, OFF(top.func), NULL, NULL },
	{ "top_file", F_STR, OFF(top.file), NULL, NULL },
	{ "top_line", F_INT, OFF(top.line), NULL, NULL },
	{ "inlined_in", F_STR, OFF(inlined_in), NULL, NULL },
	{ "expr_matched", F_BOOL, OFF(expr_matched), NULL, NULL },
	{ "member_func", F_BOOL, OFF(member_func), NULL, NULL },
	{ "source_read", F_BOOL, OFF(source_read), NULL, NULL },
	{ "expr", F_STR, OFF(expr), NULL, NULL },
	E("var_basis", var.basis, var_basis),
	{ "var_name", F_STR, OFF(var.name), NULL, NULL },
	{ "var_offset", F_U64, OFF(var.offset), NULL, NULL },
	{ "var_size", F_U64, OFF(var.size), NULL, NULL },
	{ "var_section", F_STR, OFF(var.section), NULL, NULL },
	{ "var_object", F_STR, OFF(var.object), NULL, NULL },
	{ "var_percpu", F_BOOL, OFF(var.percpu), NULL, NULL },
	{ "var_slide", F_HEX, OFF(var.slide), NULL, NULL },
	{ "stored_evidence", F_STR, OFF(stored.evidence), NULL, NULL },
	{ "stored_marking", F_STR, OFF(stored.marking), NULL, NULL },
	{ "stored_rule", F_STR, OFF(stored.rule), NULL, NULL },
	{ "stored_field", F_STR, OFF(stored.field), NULL, NULL },
};
#define NFACTS (sizeof(facts) / sizeof(facts[0]))

/* "key=" */
static void add_key(struct sbuf *sb, const char *key)
{
	sbuf_adds(sb, key);
	sbuf_addc(sb, '=');
}

static void add_escaped(struct sbuf *sb, const char *key, const char *v)
{
	add_key(sb, key);
	while (*v) {
		size_t n = strcspn(v, "\\\n");

		sbuf_add(sb, v, n);
		v += n;
		if (*v) {
			sbuf_adds(sb, *v == '\n' ? "\\n" : "\\\\");
			v++;
		}
	}
	sbuf_addc(sb, '\n');
}

/* (without printf: every report stored is encoded) */
static void encode_one(struct sbuf *sb, const struct classification *c, const struct fact *f)
{
	const char *p = (const char *)c + f->off;
	uint64_t u;
	int v;

	switch (f->kind) {
	case F_STR:
		if (*(char *const *)p)
			add_escaped(sb, f->key, *(char *const *)p);
		return;
	case F_U64:
	case F_HEX:
		if (!(u = *(const uint64_t *)p))
			return;
		add_key(sb, f->key);
		if (f->kind == F_HEX) {
			sbuf_add(sb, "0x", 2);
			sbuf_add_hex(sb, u);
		} else {
			sbuf_add_udec(sb, u);
		}
		break;
	case F_INT:
		if (!(v = *(const int *)p))
			return;
		add_key(sb, f->key);
		sbuf_add_dec(sb, v);
		break;
	case F_BOOL:
		if (!*(const bool *)p)
			return;
		add_key(sb, f->key);
		sbuf_addc(sb, '1');
		break;
	case F_ENUM:
		v = (int)*(const unsigned *)p;   /* enums are stored as int-sized values */
		if (!v || !f->name(v))
			return;
		add_key(sb, f->key);
		sbuf_adds(sb, f->name(v));
		break;
	}
	sbuf_addc(sb, '\n');
}

char *facts_encode(const struct classification *c)
{
	struct sbuf sb = SBUF_INIT;

	for (size_t i = 0; i < NFACTS; i++)
		encode_one(&sb, c, &facts[i]);
	for (size_t i = 0; i < c->nexcluded; i++) {
		char *v = xasprintf("%s:%s", exclusion_name(c->excluded[i].why), c->excluded[i].member);

		add_escaped(&sb, "excluded", v);
		free(v);
	}
	for (size_t i = 0; i < c->nalso; i++)
		add_escaped(&sb, "also", c->also[i]);
	return sbuf_detach(&sb);
}

static char *unescape(const char *s, size_t n, bool *ok)
{
	struct sbuf sb = SBUF_INIT;
	const char *end = s + n;

	*ok = true;
	while (s < end) {
		const char *bs = memchr(s, '\\', (size_t)(end - s));

		if (!bs) {
			sbuf_add(&sb, s, (size_t)(end - s));
			break;
		}
		sbuf_add(&sb, s, (size_t)(bs - s));
		if (bs + 1 < end && (bs[1] == '\\' || bs[1] == 'n'))
			sbuf_addc(&sb, bs[1] == 'n' ? '\n' : '\\');
		else
			*ok = false;
		s = bs + 2;
	}
	return sbuf_detach(&sb);
}

static bool parse_u64(const char *v, int base, uint64_t *out)
{
	char *end;

	if (!*v || *v == '-')
		return false;
	errno = 0;
	*out = strtoull(v, &end, base);
	return !*end && !errno;
}

static bool decode_scalar(struct classification *c, const struct fact *f, char *v)
{
	char *p = (char *)c + f->off;
	uint64_t u;

	switch (f->kind) {
	case F_STR:
		free(*(char **)p);
		*(char **)p = xstrdup(v);
		return true;
	case F_U64:
	case F_HEX:
		if (!parse_u64(v, f->kind == F_HEX ? 16 : 10, &u))
			return false;
		*(uint64_t *)p = u;
		return true;
	case F_INT:
		if (!parse_u64(v, 10, &u) || u > 0x7fffffff)
			return false;
		*(int *)p = (int)u;
		return true;
	case F_BOOL:
		if (strcmp(v, "1"))
			return false;
		*(bool *)p = true;
		return true;
	case F_ENUM: {
		int e = f->from_name(v);

		if (e < 0)
			return false;
		*(unsigned *)p = (unsigned)e;
		return true;
	}
	}
	return false;
}

/* "excluded" and "also": the lists. */
static bool decode_list(struct classification *c, const char *key, const char *v)
{
	if (!strcmp(key, "also")) {
		c->also = xrealloc(c->also, (c->nalso + 1) * sizeof(*c->also));
		c->also[c->nalso++] = xstrdup(v);
		return true;
	}
	if (!strcmp(key, "excluded")) {
		const char *colon = strchr(v, ':');
		char *why;
		int e;

		if (!colon)
			return false;
		why = xstrndup(v, (size_t)(colon - v));
		e = exclusion_from_name(why);
		free(why);
		if (e < 0)
			return false;
		c->excluded = xrealloc(c->excluded, (c->nexcluded + 1) * sizeof(*c->excluded));
		c->excluded[c->nexcluded].member = xstrdup(colon + 1);
		c->excluded[c->nexcluded++].why = (enum exclusion)e;
		return true;
	}
	return false;
}

static bool decode_line(struct classification *c, const char *line, size_t n)
{
	const char *eq = memchr(line, '=', n);
	char *key, *v;
	bool ok;

	if (!eq)
		return false;
	key = xstrndup(line, (size_t)(eq - line));
	v = unescape(eq + 1, n - (size_t)(eq + 1 - line), &ok);
	if (ok) {
		size_t i;

		for (i = 0; i < NFACTS && strcmp(facts[i].key, key); i++)
			;
		ok = i < NFACTS ? decode_scalar(c, &facts[i], v) : decode_list(c, key, v);
	}
	free(key);
	free(v);
	return ok;
}

int facts_decode(const char *text, struct classification *c, char **err)
{
	const char *p = text;

	classification_release(c);
	*err = NULL;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n && !decode_line(c, p, n)) {
			*err = xasprintf("bad verdict fact '%.*s'", (int)(n > 60 ? 60 : n), p);
			classification_release(c);
			return -1;
		}
		p += n + (nl ? 1 : 0);
	}
	return 0;
}
