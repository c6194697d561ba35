/* hashmap.c - chained hash map over entries the caller embeds (see hashmap.h). */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "hashmap.h"
#include "kt.h"

#define HASHMAP_MIN_SIZE 64

uint64_t kt_hash_mem(const void *p, size_t n)
{
	return XXH3_64bits(p, n);
}

uint64_t kt_hash_mem_seed(const void *p, size_t n, uint64_t seed)
{
	return XXH3_64bits_withSeed(p, n, seed);
}

uint64_t kt_hash_str(const char *s)
{
	return XXH3_64bits(s, strlen(s));
}

static size_t table_size_for(size_t entries)
{
	size_t size = HASHMAP_MIN_SIZE;

	/* load factor at most 1: chains stay short, the table small */
	while (size < entries)
		size *= 2;
	return size;
}

static void rehash(struct hashmap *map, size_t size)
{
	struct hashmap_entry **table = xcalloc(size, sizeof(*table));

	for (size_t i = 0; map->table && i <= map->mask; i++) {
		struct hashmap_entry *e = map->table[i], *next;

		/* keep the chains' order: append at each new chain's tail */
		for (; e; e = next) {
			struct hashmap_entry **tail = &table[e->hash & (size - 1)];

			next = e->next;
			while (*tail)
				tail = &(*tail)->next;
			e->next = NULL;
			*tail = e;
		}
	}
	free(map->table);
	map->table = table;
	map->mask = size - 1;
}

void hashmap_init(struct hashmap *map, hashmap_eq_fn eq, size_t initial_size)
{
	map->table = NULL;
	map->mask = 0;
	map->count = 0;
	map->eq = eq;
	if (initial_size)
		rehash(map, table_size_for(initial_size));
}

void hashmap_clear(struct hashmap *map, ptrdiff_t entry_offset)
{
	for (size_t i = 0; entry_offset >= 0 && map->table && i <= map->mask; i++) {
		struct hashmap_entry *e = map->table[i], *next;

		for (; e; e = next) {
			next = e->next;
			free((char *)e - entry_offset);
		}
	}
	free(map->table);
	map->table = NULL;
	map->mask = 0;
	map->count = 0;
}

void hashmap_add(struct hashmap *map, struct hashmap_entry *e)
{
	struct hashmap_entry **b;

	if (!map->table || map->count + 1 > map->mask + 1)
		rehash(map, map->table ? (map->mask + 1) * 2 : HASHMAP_MIN_SIZE);
	b = &map->table[e->hash & map->mask];
	e->next = *b;
	*b = e;
	map->count++;
}

static bool entry_equal(const struct hashmap *map, const struct hashmap_entry *e, uint64_t hash,
			const struct hashmap_entry *key, const void *keydata)
{
	return e->hash == hash && (!map->eq || map->eq(e, key, keydata));
}

struct hashmap_entry *hashmap_get(const struct hashmap *map, uint64_t hash, const struct hashmap_entry *key,
				  const void *keydata)
{
	struct hashmap_entry *e;

	if (!map->table)
		return NULL;
	for (e = map->table[hash & map->mask]; e; e = e->next)
		if (entry_equal(map, e, hash, key, keydata))
			return e;
	return NULL;
}

struct hashmap_entry *hashmap_get_next(const struct hashmap *map, const struct hashmap_entry *e,
				       const struct hashmap_entry *key, const void *keydata)
{
	struct hashmap_entry *n;

	for (n = e->next; n; n = n->next)
		if (entry_equal(map, n, e->hash, key, keydata))
			return n;
	return NULL;
}

struct hashmap_entry *hashmap_remove(struct hashmap *map, uint64_t hash, const struct hashmap_entry *key,
				     const void *keydata)
{
	struct hashmap_entry **p, *e;

	if (!map->table)
		return NULL;
	for (p = &map->table[hash & map->mask]; (e = *p); p = &e->next)
		if (entry_equal(map, e, hash, key, keydata)) {
			*p = e->next;
			e->next = NULL;
			map->count--;
			return e;
		}
	return NULL;
}

struct hashmap_entry *hashmap_iter_first(const struct hashmap *map, struct hashmap_iter *it)
{
	it->map = map;
	it->bucket = 0;
	it->next = NULL;
	return hashmap_iter_next(it);
}

struct hashmap_entry *hashmap_iter_next(struct hashmap_iter *it)
{
	struct hashmap_entry *e = it->next;

	while (!e && it->map->table && it->bucket <= it->map->mask)
		e = it->map->table[it->bucket++];
	if (e)
		it->next = e->next;
	return e;
}
