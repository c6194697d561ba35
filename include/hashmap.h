/*
 * hashmap.h - the program's one hash map and one sorted-array search.
 *
 * The map is generic over an entry that embeds `struct hashmap_entry` (its
 * hash and the chain link), after git's hashmap.h: the caller computes the
 * hash, the map compares hashes first and calls one equality function only
 * when they agree.  Entries are owned by the caller; the map only links them.
 *
 *	struct item { struct hashmap_entry ent; const char *name; int value; };
 *
 *	static bool item_eq(const struct hashmap_entry *e, const struct hashmap_entry *key,
 *			    const void *keydata)
 *	{
 *		return !strcmp(container_of(e, struct item, ent)->name, keydata);
 *	}
 *
 *	hashmap_init(&map, item_eq, 0);
 *	hashmap_entry_init(&it->ent, kt_hash_str(it->name));
 *	hashmap_add(&map, &it->ent);
 *	e = hashmap_get(&map, kt_hash_str(name), NULL, name);
 */
#ifndef HASHMAP_H
#define HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef container_of
#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

struct hashmap_entry {
	struct hashmap_entry *next;
	uint64_t hash;
};

/*
 * Equality of a stored entry e with what is looked up: either a key entry
 * (key, may be NULL) or key data (keydata, may be NULL), as the caller chose.
 * Called only when the hashes are equal.
 */
typedef bool (*hashmap_eq_fn)(const struct hashmap_entry *e, const struct hashmap_entry *key,
			      const void *keydata);

struct hashmap {
	struct hashmap_entry **table;
	size_t mask;               /* table size - 1 (a power of two), 0 before the first add */
	size_t count;
	hashmap_eq_fn eq;
};

#define HASHMAP_INIT(eq_fn) { NULL, 0, 0, (eq_fn) }

/* initial_size: the number of entries expected (0: grow as needed). */
void hashmap_init(struct hashmap *map, hashmap_eq_fn eq, size_t initial_size);
/* Forget every entry; entry_offset >= 0 also free()s each entry (offset of the embedded entry). */
void hashmap_clear(struct hashmap *map, ptrdiff_t entry_offset);
#define HASHMAP_NO_FREE ((ptrdiff_t)-1)

static inline void hashmap_entry_init(struct hashmap_entry *e, uint64_t hash)
{
	e->next = NULL;
	e->hash = hash;
}

/* Link e in (several entries may be equal: the newest is found first). */
void hashmap_add(struct hashmap *map, struct hashmap_entry *e);
/* The first entry equal to key/keydata with this hash, or NULL. */
struct hashmap_entry *hashmap_get(const struct hashmap *map, uint64_t hash, const struct hashmap_entry *key,
				  const void *keydata);
/* The next entry equal to the same key after e (from hashmap_get or hashmap_get_next), or NULL. */
struct hashmap_entry *hashmap_get_next(const struct hashmap *map, const struct hashmap_entry *e,
				       const struct hashmap_entry *key, const void *keydata);
/* Unlink and return the first entry equal to key/keydata, or NULL. */
struct hashmap_entry *hashmap_remove(struct hashmap *map, uint64_t hash, const struct hashmap_entry *key,
				     const void *keydata);
static inline size_t hashmap_count(const struct hashmap *map) { return map->count; }

/* Iteration in no particular order: for (e = hashmap_iter_first(m, &it); e; e = hashmap_iter_next(&it)) */
struct hashmap_iter {
	const struct hashmap *map;
	size_t bucket;
	struct hashmap_entry *next;
};
struct hashmap_entry *hashmap_iter_first(const struct hashmap *map, struct hashmap_iter *it);
struct hashmap_entry *hashmap_iter_next(struct hashmap_iter *it);

/* Hashes (XXH3, 64 bits) for keys. */
uint64_t kt_hash_mem(const void *p, size_t n);
uint64_t kt_hash_str(const char *s);
/* Mix more key material into a hash (the seed). */
uint64_t kt_hash_mem_seed(const void *p, size_t n, uint64_t seed);

/*
 * The sorted-array search: the index of the first element of base[0..n)
 * that is greater than key (n when none), for an array sorted ascending by
 * cmp(key, elem) (negative, zero, positive as for bsearch).  The element
 * that covers key (the last one <= key) is at upper_bound - 1.  Inline, so
 * that a constant cmp is inlined at each call site.
 */
static inline size_t kt_upper_bound(const void *base, size_t n, size_t size, const void *key,
				    int (*cmp)(const void *key, const void *elem))
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp(key, (const char *)base + mid * size) >= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#endif
