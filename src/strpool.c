/* strpool.c - interned strings (see strpool.h): one hash map of entries that carry their text. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "kt.h"
#include "strpool.h"

struct strpool_ent {
	struct hashmap_entry ent;
	char str[];
};

struct strpool {
	struct hashmap map;
};

struct strpool_key {
	const char *str;
	size_t len;
};

static bool strpool_eq(const struct hashmap_entry *e, const struct hashmap_entry *key, const void *keydata)
{
	const struct strpool_ent *x = container_of(e, struct strpool_ent, ent);
	const struct strpool_key *k = keydata;

	(void)key;
	/* k->str has no NUL in its len bytes: x->str is at least as long when they agree that far */
	return !strncmp(x->str, k->str, k->len) && !x->str[k->len];
}

struct strpool *strpool_new(void)
{
	struct strpool *p = xcalloc(1, sizeof(*p));

	hashmap_init(&p->map, strpool_eq, 1024);
	return p;
}

void strpool_free(struct strpool *p)
{
	if (!p)
		return;
	hashmap_clear(&p->map, offsetof(struct strpool_ent, ent));
	free(p);
}

const char *strpool_intern_n(struct strpool *p, const char *str, size_t n)
{
	const char *nul = memchr(str, 0, n);
	struct strpool_key k;
	uint64_t h;
	struct hashmap_entry *e;
	struct strpool_ent *x;

	if (nul)
		n = (size_t)(nul - str);   /* a C string ends there */
	k = (struct strpool_key){ str, n };
	h = kt_hash_mem(str, n);
	e = hashmap_get(&p->map, h, NULL, &k);
	if (e)
		return container_of(e, struct strpool_ent, ent)->str;
	x = xmalloc(sizeof(*x) + n + 1);
	hashmap_entry_init(&x->ent, h);
	memcpy(x->str, str, n);
	x->str[n] = 0;
	hashmap_add(&p->map, &x->ent);
	return x->str;
}

const char *strpool_intern(struct strpool *p, const char *str)
{
	return str ? strpool_intern_n(p, str, strlen(str)) : NULL;
}

const char *strpool_internf(struct strpool *p, const char *fmt, ...)
{
	const char *r;
	char *t;
	va_list ap;

	va_start(ap, fmt);
	t = xvasprintf(fmt, ap);
	va_end(ap);
	r = strpool_intern(p, t);
	free(t);
	return r;
}
