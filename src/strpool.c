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
	size_t len;
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
	return x->len == k->len && !memcmp(x->str, k->str, k->len);
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
	struct strpool_key k = { str, n };
	uint64_t h = kt_hash_mem(str, n);
	struct hashmap_entry *e = hashmap_get(&p->map, h, NULL, &k);
	struct strpool_ent *x;

	if (e)
		return container_of(e, struct strpool_ent, ent)->str;
	x = xmalloc(sizeof(*x) + n + 1);
	hashmap_entry_init(&x->ent, h);
	x->len = n;
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
