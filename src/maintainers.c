/*
 * maintainers.c - MAINTAINERS read and matched the way the kernel's
 * scripts/get_maintainer.pl does for "--no-git --no-rolestats -f FILE",
 * and the guilty file of a report (the files syzkaller skips, skipped).
 *
 * What the script does, and so what this does:
 *   - Every non-blank line is an item; "X: value" lines are typed, the
 *     others (but "#" comments) are titles.  An entry is a title and the
 *     typed lines after it.
 *   - F:/X: patterns become regular expressions: "." literal, "*" any run
 *     (crossing "/"), "?" any character, [..] classes as written; a
 *     pattern that names a directory of the tree gets a trailing "/".  A
 *     pattern ending in "/" matches every file below; any other matches a
 *     prefix of the file name with as many "/" as the file.
 *   - An entry any X: of which matches is skipped; otherwise its depth is
 *     that of its last matching F: (the "/" in it, +1 unless it ends in
 *     "/", -1 for a pattern starting with "*"), or 0 for an N: regex that
 *     matches the file name.  Entries go deepest first.
 *   - Then every entry a K: regex of which matches the file's text, in
 *     the string order of the K: lines' item numbers.
 *   - M:/R: addresses are deduplicated by name or address as they come,
 *     then once more after .mailmap; Linus Torvalds (THE REST) is left
 *     out; L: lists are deduplicated, subscribers-only ones dropped.
 */
#define _GNU_SOURCE
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "maintainers.h"

#define MAINT_CHIEF "Linus Torvalds <torvalds@linux-foundation.org>"

/* A typed line: its letter, its value (a pattern already converted for F:/X:). */
struct maint_line {
	char type;
	char *value;
	size_t item;                /* its index among the items (the script's @typevalue) */
	pcre2_code *re;             /* N:, K:, and F:/X: the plain matcher cannot take */
};

struct maint_sect {
	struct maint_entry e;
	size_t first, n;            /* its typed lines in db->lines */
	size_t item;                /* the item number of its first typed line */
};

struct maint_map {                 /* .mailmap: key -> value, the last one wins */
	char **key, **val;
	size_t n, cap;
};

struct maint_db {
	char *path, *root;
	char *text;
	struct maint_line *lines;
	size_t nlines, linescap;
	struct maint_sect *sects;
	size_t nsects, sectscap;
	struct maint_map names, addrs;
	struct maint_db *next;
};

/* the process's cache: every database loaded, parsed once */
static struct maint_db *maint_cache;

/* ---------------------------------------------------------------------- */
/* patterns */

/* [..] at p against c: *end after the class; false when c is not in it. */
static bool maint_class(const char *p, unsigned char c, const char **end)
{
	bool neg = false, in = false;
	const char *q = p + 1;

	if (*q == '^') {
		neg = true;
		q++;
	}
	for (bool first = true; *q && (first || *q != ']'); first = false) {
		unsigned char lo = (unsigned char)*q, hi = lo;

		if (*q == '\\' && q[1])
			lo = hi = (unsigned char)*++q;
		if (q[1] == '-' && q[2] && q[2] != ']') {
			hi = (unsigned char)q[2];
			q += 2;
		}
		if (c >= lo && c <= hi)
			in = true;
		q++;
	}
	*end = *q ? q + 1 : q;
	return in != neg;
}

/* One element of pattern *pp against the character c: true with *pp past it. */
static bool maint_one(const char **pp, char c)
{
	const char *p = *pp;

	if (*p == '\\' && p[1]) {
		if (p[1] != c)
			return false;
		*pp = p + 2;
	} else if (*p == '[' && strchr(p + 1, ']')) {
		return maint_class(p, (unsigned char)c, pp);
	} else {
		if (*p != '.' && *p != c)
			return false;
		*pp = p + 1;
	}
	return true;
}

/*
 * Does pattern p (a converted F:/X: value) match a prefix of s?  A ".*"
 * that fails is retried one character longer, from the last one only
 * (enough for "any run"): linear in s per ".*", not exponential in them.
 */
static bool maint_prefix(const char *p, const char *s)
{
	const char *star_p = NULL, *star_s = NULL;

	for (;;) {
		if (!*p)
			return true;
		if (p[0] == '.' && p[1] == '*') {
			p += 2;
			star_p = p;
			star_s = s;
			continue;
		}
		if (*s && maint_one(&p, *s)) {
			s++;
			continue;
		}
		if (!star_p || !*star_s)
			return false;
		p = star_p;
		s = ++star_s;
	}
}

static size_t maint_slashes(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '/';
	return n;
}

static bool maint_regex_match(pcre2_code *re, const char *s, size_t len)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	int rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, md, NULL);

	pcre2_match_data_free(md);
	return rc >= 0;
}

/* The script's file_match_pattern(). */
static bool maint_file_match(const struct maint_line *l, const char *file)
{
	const char *v = l->value;
	size_t n = strlen(v);
	bool m = l->re ? maint_regex_match(l->re, file, strlen(file)) : maint_prefix(v, file);

	if (!m)
		return false;
	return (n && v[n - 1] == '/') || maint_slashes(file) == maint_slashes(v);
}

/* The depth the script gives an F: pattern (value_pd). */
static int maint_depth(const char *v)
{
	size_t n = strlen(v);
	int d = (int)maint_slashes(v);

	if (!n || v[n - 1] != '/')
		d++;
	if (str_startswith(v, ".*"))
		d = -1;
	return d;
}

/* An F:/X: value as the script's regex ("." escaped, "*" as ".*", "?" as "."), "/" added for a directory. */
static char *maint_convert(const char *v, const char *root)
{
	struct sbuf sb = SBUF_INIT;
	struct stat st;

	for (const char *p = v; *p; p++) {
		if (*p == '.')
			sbuf_adds(&sb, "\\.");
		else if (*p == '*')
			sbuf_adds(&sb, ".*");
		else if (*p == '?')
			sbuf_addc(&sb, '.');
		else
			sbuf_addc(&sb, *p);
	}
	if (root && sb.len && sb.buf[sb.len - 1] != '/') {
		char *path = xasprintf("%s/%s", root, sb.buf);

		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			sbuf_addc(&sb, '/');
		free(path);
	}
	return sbuf_detach(&sb);
}

static pcre2_code *maint_compile(const char *re, uint32_t flags)
{
	int err;
	PCRE2_SIZE off;

	return pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, flags, &err, &off, NULL);
}

/* ---------------------------------------------------------------------- */
/* addresses, as the script's parse_email() and format_email() */

static char *maint_trim(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

/* The name as the script writes it: quoted when it has a character not in [A-Za-z0-9_ -]. */
static void maint_put_name(struct sbuf *sb, char *name)
{
	size_t n;
	bool quote = false;

	name = maint_trim(name);
	if (*name == '"')
		name++;
	n = strlen(name);
	if (n && name[n - 1] == '"')
		name[--n] = 0;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80)
			quote |= *p != '_' && *p != ' ' && *p != '-';
	if (!quote) {
		sbuf_adds(sb, name);
		return;
	}
	sbuf_addc(sb, '"');
	for (const char *p = name; *p; p++) {
		if (*p == '"' && (p == name || p[-1] != '\\'))
			sbuf_addc(sb, '\\');
		sbuf_addc(sb, *p);
	}
	sbuf_addc(sb, '"');
}

struct maint_addr {
	char *name, *addr;             /* name as format_email() leaves it (quoted when need be) */
};

static void maint_addr_release(struct maint_addr *a)
{
	free(a->name);
	free(a->addr);
}

static struct maint_addr maint_make(const char *name, size_t nlen, const char *addr, size_t alen)
{
	struct maint_addr a;
	struct sbuf sb = SBUF_INIT;
	char *n = xstrndup(name, nlen), *ad = xstrndup(addr, alen);

	maint_put_name(&sb, n);
	a.name = sbuf_detach(&sb);
	a.addr = xstrdup(maint_trim(ad));
	free(n);
	free(ad);
	return a;
}

/* parse_email(): "Name <a@b>", "<a@b>", "a@b (comment)". */
static struct maint_addr maint_parse(const char *s)
{
	const char *lt = strchr(s, '<'), *gt = strrchr(s, '>'), *at;

	if (lt && lt > s && gt > lt + 1) {
		at = memchr(lt + 2, '@', (size_t)(gt - lt - 2));
		if (at)
			return maint_make(s, (size_t)(lt - s), lt + 1, (size_t)(gt - lt - 1));
	}
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '<' && gt > s + 2 && memchr(s + 2, '@', (size_t)(gt - s - 2)))
		return maint_make("", 0, s + 1, (size_t)(gt - s - 1));
	at = strrchr(s, '@');
	if (at && at > s) {
		const char *e = at + 1;

		while (*e && !isspace((unsigned char)*e))
			e++;
		return maint_make("", 0, s, (size_t)(e - s));
	}
	return maint_make("", 0, "", 0);
}

static char *maint_format(const struct maint_addr *a)
{
	return *a->name ? xasprintf("%s <%s>", a->name, a->addr) : xstrdup(a->addr);
}

/* ---------------------------------------------------------------------- */
/* .mailmap */

static void maint_map_set(struct maint_map *m, const char *key, const char *val)
{
	ALLOC_GROW(m->key, m->n, m->cap);
	m->val = xrealloc(m->val, m->cap * sizeof(*m->val));
	m->key[m->n] = xstrdup(key);
	m->val[m->n++] = xstrdup(val);
}

static const char *maint_map_get(const struct maint_map *m, const char *key)
{
	for (size_t i = m->n; i-- > 0;)
		if (!strcmp(m->key[i], key))
			return m->val[i];
	return NULL;
}

static void maint_map_release(struct maint_map *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->key[i]);
		free(m->val[i]);
	}
	free(m->key);
	free(m->val);
}

/* "name <addr>" parsed the script's way */
static struct maint_addr maint_parse2(const char *name, size_t nlen, const char *addr, size_t alen)
{
	char *s = xasprintf("%.*s <%.*s>", (int)nlen, name, (int)alen, addr);
	struct maint_addr a;
	size_t n = nlen;

	while (n && isspace((unsigned char)name[n - 1]))
		n--;
	free(s);
	s = xasprintf("%.*s <%.*s>", (int)n, name, (int)alen, addr);
	a = maint_parse(s);
	free(s);
	return a;
}

/* One line of .mailmap, comment and blanks stripped: the four forms of git-shortlog(1). */
static void maint_mailmap_line(struct maint_db *db, char *s)
{
	size_t n = strlen(s);
	char *lt = strchr(s, '<'), *gt1, *lt2, *wrong;

	if (n < 3 || s[n - 1] != '>' || !lt)
		return;
	lt2 = strrchr(s, '<');
	if (lt == lt2) {                                       /* name <mail> */
		struct maint_addr a;

		if (lt == s || memchr(lt, '>', (size_t)(s + n - 1 - lt)) || lt + 1 == s + n - 1)
			return;
		a = maint_parse2(s, (size_t)(lt - s), lt + 1, (size_t)(s + n - 1 - lt - 1));
		maint_map_set(&db->names, a.addr, a.name);
		maint_addr_release(&a);
		return;
	}
	for (gt1 = lt2 - 1; gt1 > s && isspace((unsigned char)*gt1); gt1--)
		;
	wrong = xstrndup(lt2 + 1, (size_t)(s + n - 1 - lt2 - 1));
	if (*gt1 == '>') {                                     /* [name] <mail> <wrong mail> */
		char *lt1 = gt1;

		while (lt1 > s && *lt1 != '<')
			lt1--;
		if (lt1 == s && *s == '<') {
			char *real = xstrndup(s + 1, (size_t)(gt1 - s - 1));

			maint_map_set(&db->addrs, wrong, real);
			free(real);
		} else if (lt1 > s) {
			struct maint_addr a = maint_parse2(s, (size_t)(lt1 - s), lt1 + 1, (size_t)(gt1 - lt1 - 1));

			maint_map_set(&db->names, wrong, a.name);
			maint_map_set(&db->addrs, wrong, a.addr);
			maint_addr_release(&a);
		}
	} else {                                               /* name <mail> wrong name <wrong mail> */
		char *g = memchr(lt, '>', (size_t)(lt2 - lt));

		if (g && lt > s && g + 1 < lt2) {
			struct maint_addr a = maint_parse2(s, (size_t)(lt - s), lt + 1, (size_t)(g - lt - 1));
			const char *wn = g + 1;
			struct maint_addr w;
			char *we;

			while (isspace((unsigned char)*wn) && wn + 1 < lt2)
				wn++;
			w = maint_parse2(wn, (size_t)(lt2 - wn), wrong, strlen(wrong));
			we = maint_format(&w);
			maint_map_set(&db->names, we, a.name);
			maint_map_set(&db->addrs, we, a.addr);
			free(we);
			maint_addr_release(&a);
			maint_addr_release(&w);
		}
	}
	free(wrong);
}

/* ---------------------------------------------------------------------- */
/* reading MAINTAINERS */

static void maint_read_mailmap(struct maint_db *db)
{
	char *path = xasprintf("%s/.mailmap", db->root);
	FILE *fp = fopen(path, "r");
	struct sbuf sb = SBUF_INIT;

	free(path);
	if (!fp)
		return;
	if (sbuf_read_file(&sb, fp) == 0) {
		for (char *l = sb.buf, *e; l && *l; l = e ? e + 1 : NULL) {
			char *hash;

			e = strchr(l, '\n');
			if (e)
				*e = 0;
			hash = strchr(l, '#');
			if (hash)
				*hash = 0;
			l = maint_trim(l);
			if (*l)
				maint_mailmap_line(db, l);
		}
	}
	sbuf_release(&sb);
	fclose(fp);
}

static bool maint_needs_regex(const char *v)
{
	return strpbrk(v, "()|+{}^$") != NULL;
}

/* One typed line of the entry being read. */
static void maint_add_line(struct maint_db *db, char type, char *value, size_t item)
{
	struct maint_line *l;

	if (!db->nsects || db->sects[db->nsects - 1].first + db->sects[db->nsects - 1].n != db->nlines) {
		/* typed lines before any title: an entry without one */
		ALLOC_GROW(db->sects, db->nsects, db->sectscap);
		memset(&db->sects[db->nsects], 0, sizeof(db->sects[0]));
		db->sects[db->nsects].e.name = "";
		db->sects[db->nsects].first = db->nlines;
		db->nsects++;
	}
	ALLOC_GROW(db->lines, db->nlines, db->linescap);
	l = &db->lines[db->nlines++];
	memset(l, 0, sizeof(*l));
	l->type = type;
	l->item = item;
	if (type == 'F' || type == 'X') {
		l->value = maint_convert(value, db->root);
		if (maint_needs_regex(l->value)) {
			char *re = xasprintf("^%s", l->value);

			l->re = maint_compile(re, 0);
			free(re);
		}
	} else {
		l->value = xstrdup(value);
		if (type == 'N' || type == 'K')
			l->re = maint_compile(value, PCRE2_EXTENDED);
		/* K: runs over whole files: JIT it (where PCRE2 cannot, it interprets) */
		if (type == 'K' && l->re)
			pcre2_jit_compile(l->re, PCRE2_JIT_COMPLETE);
	}
	if (type == 'S' && !db->sects[db->nsects - 1].e.status)
		db->sects[db->nsects - 1].e.status = l->value;
	if (!db->sects[db->nsects - 1].n++)
		db->sects[db->nsects - 1].item = item;
}

static void maint_parse_text(struct maint_db *db)
{
	size_t item = 0, lineno = 0;

	for (char *l = db->text, *e; l && *l; l = e ? e + 1 : NULL) {
		const char *p = l;

		lineno++;
		e = strchr(l, '\n');
		if (e)
			*e = 0;
		if (l[0] >= 'A' && l[0] <= 'Z' && l[1] == ':') {
			char *v = l + 2;

			while (isspace((unsigned char)*v))
				v++;
			maint_add_line(db, l[0], v, item++);
			continue;
		}
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		ALLOC_GROW(db->sects, db->nsects, db->sectscap);
		memset(&db->sects[db->nsects], 0, sizeof(db->sects[0]));
		db->sects[db->nsects].e.name = l;
		db->sects[db->nsects].e.line = lineno;
		db->sects[db->nsects].first = db->nlines;
		db->nsects++;
		item++;
	}
}

static void maint_db_free(struct maint_db *db)
{
	for (size_t i = 0; i < db->nlines; i++) {
		free(db->lines[i].value);
		pcre2_code_free(db->lines[i].re);
	}
	free(db->lines);
	free(db->sects);
	maint_map_release(&db->names);
	maint_map_release(&db->addrs);
	free(db->text);
	free(db->path);
	free(db->root);
	free(db);
}

const struct maint_db *maint_load_file(struct ctx *ctx, const char *path, const char *root)
{
	struct maint_db *db;
	struct sbuf sb = SBUF_INIT;
	FILE *fp;

	for (db = maint_cache; db; db = db->next)
		if (!strcmp(db->path, path) && !strcmp(db->root ? db->root : "", root ? root : ""))
			return db;
	fp = fopen(path, "r");
	if (!fp || sbuf_read_file(&sb, fp) < 0) {
		kt_error(ctx, KT_EXIT_INPUT, path, "cannot read MAINTAINERS: %s", strerror(errno));
		if (fp)
			fclose(fp);
		sbuf_release(&sb);
		return NULL;
	}
	fclose(fp);
	db = xcalloc(1, sizeof(*db));
	db->path = xstrdup(path);
	db->root = root ? xstrdup(root) : NULL;
	db->text = sbuf_detach(&sb);
	maint_parse_text(db);
	if (root)
		maint_read_mailmap(db);
	db->next = maint_cache;
	maint_cache = db;
	return db;
}

const struct maint_db *maint_load(struct ctx *ctx, const char *root)
{
	char *path = xasprintf("%s/MAINTAINERS", root);
	const struct maint_db *db = maint_load_file(ctx, path, root);

	free(path);
	return db;
}

void maint_cleanup(void)
{
	while (maint_cache) {
		struct maint_db *next = maint_cache->next;

		maint_db_free(maint_cache);
		maint_cache = next;
	}
}

size_t maint_db_entries(const struct maint_db *db)
{
	return db->nsects;
}

/* ---------------------------------------------------------------------- */
/* routing */

struct maint_hit {
	size_t sect;
	int depth;
};

static int maint_hit_cmp(const void *a, const void *b)
{
	const struct maint_hit *x = a, *y = b;

	if (x->depth != y->depth)
		return x->depth > y->depth ? -1 : 1;
	return x->sect < y->sect ? -1 : x->sect > y->sect;
}

/* Entries matched by F:/N: (not excluded by X:), deepest first. */
static size_t maint_match_files(const struct maint_db *db, const char *file, struct maint_hit **out)
{
	struct maint_hit *hits = NULL;
	size_t n = 0, cap = 0;

	for (size_t s = 0; s < db->nsects; s++) {
		const struct maint_sect *sc = &db->sects[s];
		const struct maint_line *l, *end;
		bool hit = false, excluded = false;
		int depth = 0;

		if (!sc->n)
			continue;   /* a title alone (db->lines may be NULL) */
		l = &db->lines[sc->first];
		end = l + sc->n;
		for (const struct maint_line *x = l; x < end && !excluded; x++)
			excluded = x->type == 'X' && maint_file_match(x, file);
		for (; l < end && !excluded; l++) {
			if (l->type == 'F' && maint_file_match(l, file)) {
				hit = true;
				depth = maint_depth(l->value);
			} else if (l->type == 'N' && l->re && maint_regex_match(l->re, file, strlen(file))) {
				hit = true;
				depth = 0;
			}
		}
		if (hit) {
			ALLOC_GROW(hits, n, cap);
			hits[n].sect = s;
			hits[n++].depth = depth;
		}
	}
	if (n)
		qsort(hits, n, sizeof(*hits), maint_hit_cmp);
	*out = hits;
	return n;
}

struct maint_kw {
	char num[24];               /* the K: line's item number, as the script sorts it: a string */
	size_t sect;
};

static int maint_kw_cmp(const void *a, const void *b)
{
	return strcmp(((const struct maint_kw *)a)->num, ((const struct maint_kw *)b)->num);
}

/* Entries whose K: matches the file's text, in the script's order. */
static size_t maint_match_keywords(const struct maint_db *db, const char *file, struct maint_kw **out)
{
	struct maint_kw *kw = NULL;
	size_t n = 0, cap = 0;
	struct sbuf text = SBUF_INIT;
	struct stat st;
	char *path;
	FILE *fp;

	*out = NULL;
	if (!db->root || !strcmp(file, "MAINTAINERS"))
		return 0;
	path = xasprintf("%s/%s", db->root, file);
	fp = stat(path, &st) == 0 && S_ISREG(st.st_mode) ? fopen(path, "r") : NULL;
	free(path);
	if (!fp)
		return 0;
	if (sbuf_read_file(&text, fp) == 0) {
		for (size_t s = 0; s < db->nsects; s++) {
			const struct maint_sect *sc = &db->sects[s];

			for (size_t i = sc->first; i < sc->first + sc->n; i++) {
				const struct maint_line *l = &db->lines[i];

				if (l->type != 'K' || !l->re || !maint_regex_match(l->re, sbuf_str(&text), text.len))
					continue;
				ALLOC_GROW(kw, n, cap);
				snprintf(kw[n].num, sizeof(kw[n].num), "%zu", l->item);
				kw[n++].sect = s;
			}
		}
	}
	fclose(fp);
	sbuf_release(&text);
	if (n)
		qsort(kw, n, sizeof(*kw), maint_kw_cmp);
	*out = kw;
	return n;
}

/* The addresses gathered, before the last deduplication. */
struct maint_acc {
	struct maint_route *r;
	char **names, **addrs;      /* in use (lowercase compared) */
	size_t nnames, naddrs, namescap, addrscap;
	char **lists_seen;
	size_t nseen, seencap;
	size_t peoplecap, listscap;
};

static bool maint_in(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(v[i], s))
			return true;
	return false;
}

static void maint_push_person(struct maint_acc *acc, const char *value, enum maint_role role)
{
	struct maint_addr a = maint_parse(value);
	struct maint_route *r = acc->r;

	/* the script's email_inuse(): the name or the address seen before */
	if (*a.addr && !(*a.name && maint_in(acc->names, acc->nnames, a.name)) &&
	    !maint_in(acc->addrs, acc->naddrs, a.addr)) {
		ALLOC_GROW(r->people, r->npeople, acc->peoplecap);
		r->people[r->npeople].addr = maint_format(&a);
		r->people[r->npeople++].role = role;
		if (*a.name) {
			ALLOC_GROW(acc->names, acc->nnames, acc->namescap);
			acc->names[acc->nnames++] = xstrdup(a.name);
		}
		ALLOC_GROW(acc->addrs, acc->naddrs, acc->addrscap);
		acc->addrs[acc->naddrs++] = xstrdup(a.addr);
	}
	maint_addr_release(&a);
}

static void maint_push_list(struct maint_acc *acc, const char *value)
{
	size_t n = strcspn(value, " \t\r\f\v");
	const char *extra = value + n;
	char *addr = xstrndup(value, n);

	while (isspace((unsigned char)*extra))
		extra++;
	if (!*extra || !strstr(extra, "subscribers-only")) {
		if (!maint_in(acc->lists_seen, acc->nseen, addr)) {
			ALLOC_GROW(acc->lists_seen, acc->nseen, acc->seencap);
			acc->lists_seen[acc->nseen++] = xstrdup(addr);
			ALLOC_GROW(acc->r->lists, acc->r->nlists, acc->listscap);
			acc->r->lists[acc->r->nlists++] = addr;
			return;
		}
	}
	free(addr);
}

/* The script's add_categories(): the entry's L:, M: and R: lines in order. */
static void maint_add_entry(const struct maint_db *db, size_t s, struct maint_acc *acc)
{
	const struct maint_sect *sc = &db->sects[s];
	struct maint_route *r = acc->r;
	size_t cap = r->nentries;

	for (size_t i = 0; i < r->nentries; i++)
		if (r->entries[i] == &sc->e)
			goto lines;
	ALLOC_GROW(r->entries, r->nentries, cap);
	r->entries[r->nentries++] = &sc->e;
lines:
	for (size_t i = sc->first; i < sc->first + sc->n; i++) {
		const struct maint_line *l = &db->lines[i];

		if (l->type == 'L')
			maint_push_list(acc, l->value);
		else if (l->type == 'M' || l->type == 'R')
			maint_push_person(acc, l->value, l->type == 'M' ? MAINT_MAINTAINER : MAINT_REVIEWER);
	}
}

/* mailmap_email(): the .mailmap's name and address for an address. */
static char *maint_mailmap(const struct maint_db *db, const char *s)
{
	struct maint_addr a = maint_parse(s);
	char *email = maint_format(&a), *out;
	const char *n = maint_map_get(&db->names, email), *ad = maint_map_get(&db->addrs, email);
	struct maint_addr m;

	if (!n && !ad) {
		n = maint_map_get(&db->names, a.addr);
		ad = maint_map_get(&db->addrs, a.addr);
	}
	m = maint_make(n ? n : a.name, strlen(n ? n : a.name), ad ? ad : a.addr, strlen(ad ? ad : a.addr));
	out = maint_format(&m);
	maint_addr_release(&m);
	maint_addr_release(&a);
	free(email);
	return out;
}

struct maint_seen {
	char *key;                  /* lowercase compared */
	struct maint_addr a;
};

static struct maint_seen *maint_seen_get(struct maint_seen *v, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(v[i].key, key))
			return &v[i];
	return NULL;
}

/* deduplicate_email() over every address: the first name or address seen stands for the later ones. */
static void maint_dedup(const struct maint_db *db, char **addrs, size_t n)
{
	struct maint_seen *byname = NULL, *byaddr = NULL;
	size_t nn = 0, na = 0, nncap = 0, nacap = 0;

	for (size_t i = 0; i < n; i++) {
		char *e = maint_mailmap(db, addrs[i]);
		struct maint_addr a = maint_parse(e);
		struct maint_seen *hit = *a.name ? maint_seen_get(byname, nn, a.name) : NULL;

		if (!hit)
			hit = maint_seen_get(byaddr, na, a.addr);
		free(e);
		if (hit) {
			maint_addr_release(&a);
			a.name = xstrdup(hit->a.name);
			a.addr = xstrdup(hit->a.addr);
		} else {
			ALLOC_GROW(byname, nn, nncap);
			byname[nn].key = xstrdup(a.name);
			byname[nn++].a = (struct maint_addr){ xstrdup(a.name), xstrdup(a.addr) };
			ALLOC_GROW(byaddr, na, nacap);
			byaddr[na].key = xstrdup(a.addr);
			byaddr[na++].a = (struct maint_addr){ xstrdup(a.name), xstrdup(a.addr) };
		}
		e = maint_format(&a);
		free(addrs[i]);
		addrs[i] = maint_mailmap(db, e);
		free(e);
		maint_addr_release(&a);
	}
	for (size_t i = 0; i < nn; i++) {
		free(byname[i].key);
		maint_addr_release(&byname[i].a);
	}
	for (size_t i = 0; i < na; i++) {
		free(byaddr[i].key);
		maint_addr_release(&byaddr[i].a);
	}
	free(byname);
	free(byaddr);
}

/* The script drops the chief penguin unless asked: a regex match, "." any character. */
static bool maint_is_chief(const char *s)
{
	size_t n = strlen(MAINT_CHIEF);

	for (; strlen(s) >= n; s++) {
		size_t i = 0;

		while (i < n && (MAINT_CHIEF[i] == '.' || MAINT_CHIEF[i] == s[i]))
			i++;
		if (i == n)
			return true;
	}
	return false;
}

/* After deduplication: the chief penguin out. */
static void maint_drop_chief(struct maint_route *r)
{
	size_t np = 0;

	for (size_t i = 0; i < r->npeople; i++) {
		if (maint_is_chief(r->people[i].addr))
			free(r->people[i].addr);
		else
			r->people[np++] = r->people[i];
	}
	r->npeople = np;
}

/* The script's merge_email(): every string once, people first, then lists. */
static void maint_uniq(struct maint_route *r)
{
	size_t np = 0, nl = 0;

	for (size_t i = 0; i < r->npeople; i++) {
		bool dup = false;

		for (size_t j = 0; j < np && !dup; j++)
			dup = !strcmp(r->people[j].addr, r->people[i].addr);
		if (dup)
			free(r->people[i].addr);
		else
			r->people[np++] = r->people[i];
	}
	r->npeople = np;
	for (size_t i = 0; i < r->nlists; i++) {
		bool dup = false;

		for (size_t j = 0; j < np && !dup; j++)
			dup = !strcmp(r->people[j].addr, r->lists[i]);
		for (size_t j = 0; j < nl && !dup; j++)
			dup = !strcmp(r->lists[j], r->lists[i]);
		if (dup)
			free(r->lists[i]);
		else
			r->lists[nl++] = r->lists[i];
	}
	r->nlists = nl;
}

/* ---------------------------------------------------------------------- */
/* the addresses a .yaml binding names (the script's maintainers_in_file) */

/* Perl's substr($s, -n) =~ /re/ for the two tests clean_file_emails() makes: s's last n bytes. */
static const char *maint_tail(const char *s, size_t n)
{
	size_t len = strlen(s);

	return len >= n ? s + len - n : s;
}

/* clean_file_emails() for one address: "<mail>" made of it, the name cut to its last two or three words. */
static char *maint_clean_email(const char *raw, pcre2_code *addr_re)
{
	PCRE2_UCHAR buf[1024];
	PCRE2_SIZE blen = sizeof(buf);
	struct maint_addr a;
	char *name, *out;
	const char *w[64];
	size_t wl[64], nw = 0, n;

	if (pcre2_substitute(addr_re, (PCRE2_SPTR)raw, PCRE2_ZERO_TERMINATED, 0, PCRE2_SUBSTITUTE_GLOBAL, NULL, NULL,
			     (PCRE2_SPTR) "<$1>", PCRE2_ZERO_TERMINATED, buf, &blen) < 0)
		return NULL;
	a = maint_parse((const char *)buf);
	if (!strcmp(a.name, "\",\"") || !strcmp(a.name, "\".\""))
		a.name[0] = 0;
	/* split(/[^A-Za-z\x80-\xc3',.+-]/): fields, the trailing empty ones dropped */
	for (const char *p = a.name, *q;; p = q + 1) {
		for (q = p; *q && (isalpha((unsigned char)*q) || ((unsigned char)*q >= 0x80 && (unsigned char)*q <= 0xc3) ||
				   strchr("',.+-", *q)); q++)
			;
		if (nw < 64) {
			w[nw] = p;
			wl[nw++] = (size_t)(q - p);
		}
		if (!*q)
			break;
	}
	while (nw && !wl[nw - 1])
		nw--;
	name = xstrdup(a.name);
	if (nw > 2) {
		size_t f = nw - 3, m = nw - 2, l = nw - 1;
		bool three = (wl[f] == 1 && isalpha((unsigned char)w[f][0])) || (wl[f] == 2 && w[f][1] == '.') ||
			     wl[m] == 1 || (wl[m] == 2 && w[m][1] == '.');

		free(name);
		name = three ? xasprintf("%.*s %.*s %.*s", (int)wl[f], w[f], (int)wl[m], w[m], (int)wl[l], w[l])
			     : xasprintf("%.*s %.*s", (int)wl[m], w[m], (int)wl[l], w[l]);
	}
	n = strlen(name);
	if (n && strchr(",.", name[n - 1]))
		name[n - 1] = 0;
	else if (n >= 2 && strchr(",.", maint_tail(name, 2)[0]) && name[n - 1] == '"')
		strcpy(name + n - 2, "\"");
	if (*name && strchr(",.", *name))
		memmove(name, name + 1, strlen(name));
	else if (name[0] == '"' && name[1] && strchr(",.", name[1]))
		memmove(name + 1, name + 2, strlen(name + 1));
	free(a.name);
	a.name = name;
	{
		struct maint_addr b = maint_make(a.name, strlen(a.name), a.addr, strlen(a.addr));

		out = maint_format(&b);
		maint_addr_release(&b);
	}
	maint_addr_release(&a);
	return out;
}

#define MAINT_FILE_EMAIL "[A-Za-z\\x80-\\xc3\"' ,.+-]*\\s*[,]*\\s*[(<{]?[A-Za-z0-9_.+-]+@[A-Za-z0-9.-]+\\.[A-Za-z0-9]+[)>}]?"
#define MAINT_BARE_EMAIL "[(<{]?([A-Za-z0-9_.+-]+@[A-Za-z0-9.-]+)[)>}]?"

/* The addresses a .yaml file of the tree names, cleaned, each once, in order. */
static size_t maint_file_emails(const struct maint_db *db, const char *file, char ***out)
{
	size_t n = strlen(file), count = 0, cap = 0;
	pcre2_code *re, *bare;
	pcre2_match_data *md;
	struct sbuf text = SBUF_INIT;
	char **v = NULL, *path;
	FILE *fp;

	*out = NULL;
	if (!db->root || n < 5 || strcmp(file + n - 5, ".yaml"))
		return 0;
	path = xasprintf("%s/%s", db->root, file);
	fp = fopen(path, "r");
	free(path);
	if (!fp)
		return 0;
	re = maint_compile(MAINT_FILE_EMAIL, 0);
	bare = maint_compile(MAINT_BARE_EMAIL, 0);
	md = re ? pcre2_match_data_create_from_pattern(re, NULL) : NULL;
	if (md && bare && sbuf_read_file(&text, fp) == 0) {
		PCRE2_SIZE off = 0;

		while (off < text.len && pcre2_match(re, (PCRE2_SPTR)text.buf, text.len, off, 0, md, NULL) >= 0) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
			char *raw = xstrndup(text.buf + ov[0], ov[1] - ov[0]), *e = maint_clean_email(raw, bare);
			bool dup = !e;

			for (size_t i = 0; i < count && !dup; i++)
				dup = !strcmp(v[i], e);
			if (dup) {
				free(e);
			} else {
				ALLOC_GROW(v, count, cap);
				v[count++] = e;
			}
			free(raw);
			off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
		}
	}
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	pcre2_code_free(bare);
	sbuf_release(&text);
	fclose(fp);
	*out = v;
	return count;
}

static void maint_acc_release(struct maint_acc *acc)
{
	for (size_t i = 0; i < acc->nnames; i++)
		free(acc->names[i]);
	for (size_t i = 0; i < acc->naddrs; i++)
		free(acc->addrs[i]);
	for (size_t i = 0; i < acc->nseen; i++)
		free(acc->lists_seen[i]);
	free(acc->names);
	free(acc->addrs);
	free(acc->lists_seen);
}

int maint_route(const struct maint_db *db, const char *file, struct maint_route *out)
{
	struct maint_acc acc = { .r = out };
	struct maint_hit *hits;
	struct maint_kw *kw;
	size_t nh, nk, nf;
	char **all, **infile;

	memset(out, 0, sizeof(*out));
	nh = maint_match_files(db, file, &hits);
	nk = maint_match_keywords(db, file, &kw);
	for (size_t i = 0; i < nh; i++)
		maint_add_entry(db, hits[i].sect, &acc);
	for (size_t i = 0; i < nk; i++)
		if (!i || strcmp(kw[i].num, kw[i - 1].num))
			maint_add_entry(db, kw[i].sect, &acc);
	free(hits);
	free(kw);
	/* deduplicate people and lists in one pass, as the script does */
	all = xcalloc(out->npeople + out->nlists + 1, sizeof(*all));
	for (size_t i = 0; i < out->npeople; i++)
		all[i] = out->people[i].addr;
	if (out->nlists)
		memcpy(all + out->npeople, out->lists, out->nlists * sizeof(*all));
	maint_dedup(db, all, out->npeople + out->nlists);
	for (size_t i = 0; i < out->npeople; i++)
		out->people[i].addr = all[i];
	if (out->nlists)
		memcpy(out->lists, all + out->npeople, out->nlists * sizeof(*all));
	free(all);
	maint_drop_chief(out);
	nf = maint_file_emails(db, file, &infile);
	for (size_t i = 0; i < nf; i++) {
		char *e = maint_mailmap(db, infile[i]);

		maint_push_person(&acc, e, MAINT_IN_FILE);
		free(e);
		free(infile[i]);
	}
	free(infile);
	maint_acc_release(&acc);
	maint_uniq(out);
	return out->nentries ? 0 : -1;
}

void maint_route_release(struct maint_route *r)
{
	for (size_t i = 0; i < r->npeople; i++)
		free(r->people[i].addr);
	for (size_t i = 0; i < r->nlists; i++)
		free(r->lists[i]);
	free(r->people);
	free(r->lists);
	free(r->entries);
	memset(r, 0, sizeof(*r));
}

const char *maint_route_subsystem(const struct maint_route *r)
{
	for (size_t i = 0; i < r->nentries; i++)
		if (strcmp(r->entries[i]->name, "THE REST"))
			return r->entries[i]->name;
	return r->nentries ? r->entries[0]->name : NULL;
}

/* ---------------------------------------------------------------------- */
/* the guilty file */

/*
 * The kernel's top-level directories of built code: where an absolute
 * path's tree-relative part starts (the leftmost one; usr/, tools/ and
 * samples/ are left out, "/usr/src/linux/..." is common).
 */
static const char *const maint_top_dirs[] = {
	"arch/", "block/", "certs/", "crypto/", "drivers/", "fs/", "include/", "init/", "io_uring/",
	"ipc/", "kernel/", "lib/", "mm/", "net/", "rust/", "security/", "sound/", "virt/", NULL,
};

char *maint_frame_file(const struct frame *f)
{
	const char *file = f->file;
	size_t n;

	if (!file || !*file)
		return NULL;
	n = f->comp_dir ? strlen(f->comp_dir) : 0;
	if (n && !strncmp(file, f->comp_dir, n) && file[n] == '/')
		file += n + 1;
	while (str_startswith(file, "./"))
		file += 2;
	if (*file == '/') {
		for (const char *p = file + 1; *p; p++) {
			if (p[-1] != '/')
				continue;
			for (int d = 0; maint_top_dirs[d]; d++)
				if (str_startswith(p, maint_top_dirs[d]))
					return xstrdup(p);
		}
	}
	return xstrdup(file);
}

/*
 * Files the blame never goes to: they are on every stack, or they only
 * report (syzkaller's guilty-file ignores, and the KCSAN runtime, not its tests).  A "/"
 * at the end: everything below; a "*": one path component.
 */
static const char *const maint_skip[] = {
	"lib/", "virt/lib/", "arch/*/lib/",
	"kernel/kcsan/core.c", "kernel/kcsan/report.c",
	"kernel/rcu/", "kernel/locking/", "kernel/sched/", "kernel/irq/", "kernel/entry/", "arch/*/entry/",
	"arch/*/kernel/traps.c", "arch/*/mm/fault.c",
	"kernel/panic.c", "kernel/softirq.c", "kernel/kthread.c", "kernel/workqueue.c", "kernel/smp.c",
	"kernel/time/timer.c", "kernel/time/hrtimer.c",
	"mm/kasan/", "mm/kmsan/", "mm/kfence/", "mm/slab.c", "mm/slub.c", "mm/slob.c", "mm/slab_common.c",
	"mm/percpu.c", "mm/percpu-vm.c", "mm/vmalloc.c", "mm/page_alloc.c",
	"net/core/dev.c", "net/core/sock.c", "net/core/skbuff.c", NULL,
};

/* Does skip pattern p match file (p ending in "/": a prefix)? */
static bool maint_skip_match(const char *p, const char *file)
{
	for (; *p; p++) {
		if (*p == '*') {
			file = strchrnul(file, '/');
			continue;
		}
		if (*p != *file)
			return false;
		file++;
	}
	return p[-1] == '/' || !*file;
}

bool maint_file_skipped(const char *file)
{
	size_t n = strlen(file);

	if (n >= 2 && !strcmp(file + n - 2, ".h"))
		return true;
	for (int i = 0; maint_skip[i]; i++)
		if (maint_skip_match(maint_skip[i], file))
			return true;
	return false;
}

char *maint_guilty_file(const struct report *r)
{
	for (int a = 0; a < r->nacc && a < REPORT_MAX_ACCESSES; a++) {
		for (size_t i = 0; i < r->acc[a].nframes; i++) {
			char *file = maint_frame_file(&r->acc[a].frames[i]);

			if (file && !maint_file_skipped(file))
				return file;
			free(file);
		}
	}
	return NULL;
}
