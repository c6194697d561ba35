/*
 * json_check.h - a strict JSON validator (RFC 8259) for the fuzz targets:
 * one value and white space, strings of valid UTF-8 (no overlong forms, no
 * surrogates) without raw control bytes, escapes that exist, numbers of
 * the grammar.  json_check() returns NULL, or where and why it is not JSON.
 */
#ifndef JSON_CHECK_H
#define JSON_CHECK_H

#include <stddef.h>
#include <string.h>

struct json_check {
	const unsigned char *p, *end;
	const char *why;
	int depth;
};

static int jc_fail(struct json_check *j, const char *why)
{
	if (!j->why)
		j->why = why;
	return -1;
}

static void jc_ws(struct json_check *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int jc_hex4(struct json_check *j, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++, j->p++) {
		unsigned c = j->p < j->end ? *j->p : 0;

		if (c >= '0' && c <= '9')
			*v = *v * 16 + (c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			*v = *v * 16 + ((c | 0x20) - 'a' + 10);
		else
			return jc_fail(j, "bad \\u escape");
	}
	return 0;
}

/* One UTF-8 sequence of at least two bytes at j->p. */
static int jc_utf8(struct json_check *j)
{
	unsigned c = *j->p, cp, n, min;

	if (c >= 0xc2 && c <= 0xdf)
		n = 1, cp = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 2, cp = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 3, cp = c & 0x07, min = 0x10000;
	else
		return jc_fail(j, "invalid UTF-8 lead byte");
	if ((size_t)(j->end - j->p) <= n)
		return jc_fail(j, "truncated UTF-8");
	for (unsigned i = 1; i <= n; i++) {
		if ((j->p[i] & 0xc0) != 0x80)
			return jc_fail(j, "invalid UTF-8 continuation");
		cp = cp << 6 | (j->p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return jc_fail(j, "overlong, surrogate or out-of-range UTF-8");
	j->p += n + 1;
	return 0;
}

static int jc_escape(struct json_check *j)
{
	unsigned v, lo;

	if (j->p >= j->end)
		return jc_fail(j, "unterminated escape");
	if (strchr("\"\\/bfnrt", *j->p) && *j->p) {
		j->p++;
		return 0;
	}
	if (*j->p++ != 'u' || jc_hex4(j, &v) < 0)
		return jc_fail(j, "bad escape");
	if (v >= 0xdc00 && v <= 0xdfff)
		return jc_fail(j, "lone low surrogate escape");
	if (v < 0xd800 || v > 0xdbff)
		return 0;
	if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u')
		return jc_fail(j, "lone high surrogate escape");
	j->p += 2;
	if (jc_hex4(j, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
		return jc_fail(j, "bad low surrogate escape");
	return 0;
}

static int jc_string(struct json_check *j)
{
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		if (*j->p < 0x20)
			return jc_fail(j, "raw control byte in a string");
		if (*j->p == '\\') {
			j->p++;
			if (jc_escape(j) < 0)
				return -1;
		} else if (*j->p >= 0x80) {
			if (jc_utf8(j) < 0)
				return -1;
		} else {
			j->p++;
		}
	}
	if (j->p >= j->end)
		return jc_fail(j, "unterminated string");
	j->p++;
	return 0;
}

static int jc_digits(struct json_check *j)
{
	const unsigned char *s = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s ? 0 : jc_fail(j, "digit expected");
}

static int jc_number(struct json_check *j)
{
	if (*j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (jc_digits(j) < 0)
		return -1;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (jc_digits(j) < 0)
			return -1;
	}
	if (j->p < j->end && (*j->p | 0x20) == 'e') {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (jc_digits(j) < 0)
			return -1;
	}
	return 0;
}

static int jc_value(struct json_check *j);

/* An object or an array; close is '}' or ']'. */
static int jc_container(struct json_check *j, unsigned char close)
{
	if (++j->depth > 256)
		return jc_fail(j, "nested too deep");
	j->p++;
	jc_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		j->depth--;
		return 0;
	}
	for (;;) {
		jc_ws(j);
		if (close == '}') {
			if (j->p >= j->end || *j->p != '"' || jc_string(j) < 0)
				return jc_fail(j, "key expected");
			jc_ws(j);
			if (j->p >= j->end || *j->p++ != ':')
				return jc_fail(j, "':' expected");
		}
		if (jc_value(j) < 0)
			return -1;
		jc_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			j->depth--;
			return 0;
		}
		return jc_fail(j, "',' or the end of the container expected");
	}
}

static int jc_word(struct json_check *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
		return jc_fail(j, "unknown literal");
	j->p += n;
	return 0;
}

static int jc_value(struct json_check *j)
{
	jc_ws(j);
	if (j->p >= j->end)
		return jc_fail(j, "value expected");
	switch (*j->p) {
	case '{': return jc_container(j, '}');
	case '[': return jc_container(j, ']');
	case '"': return jc_string(j);
	case 't': return jc_word(j, "true");
	case 'f': return jc_word(j, "false");
	case 'n': return jc_word(j, "null");
	default:
		if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))
			return jc_number(j);
		return jc_fail(j, "value expected");
	}
}

/* NULL when s[0..n) is one JSON document; else why not, *at the offset. */
static const char *json_check(const char *s, size_t n, size_t *at)
{
	struct json_check j = { (const unsigned char *)s, (const unsigned char *)s + n, NULL, 0 };

	if (jc_value(&j) == 0) {
		jc_ws(&j);
		if (j.p != j.end)
			jc_fail(&j, "text after the document");
	}
	*at = (size_t)(j.p - (const unsigned char *)s);
	return j.why;
}

#endif
