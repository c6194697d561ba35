/* test_hashmap.c - the hash map and the sorted-array search. */
#include "hashmap.h"
#include "kt.h"
#include "unit.h"

struct item {
	struct hashmap_entry ent;
	char name[16];
	int value;
};

static bool item_eq(const struct hashmap_entry *e, const struct hashmap_entry *key, const void *keydata)
{
	const struct item *a = container_of(e, struct item, ent);

	if (key)
		return !strcmp(a->name, container_of(key, struct item, ent)->name);
	return !strcmp(a->name, keydata);
}

static struct item *item_new(const char *name, int value)
{
	struct item *it = xcalloc(1, sizeof(*it));

	snprintf(it->name, sizeof(it->name), "%s", name);
	it->value = value;
	hashmap_entry_init(&it->ent, kt_hash_str(it->name));
	return it;
}

static struct item *lookup(const struct hashmap *m, const char *name)
{
	struct hashmap_entry *e = hashmap_get(m, kt_hash_str(name), NULL, name);

	return e ? container_of(e, struct item, ent) : NULL;
}

static void test_add_get_grow(void)
{
	struct hashmap m;
	char name[16];
	int found = 0, sum = 0;
	struct hashmap_iter it;

	hashmap_init(&m, item_eq, 0);
	CHECK(lookup(&m, "x") == NULL);
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		hashmap_add(&m, &item_new(name, i)->ent);
	}
	CHECK_INT(hashmap_count(&m), 5000);
	for (int i = 0; i < 5000; i += 7) {
		struct item *x;

		snprintf(name, sizeof(name), "n%d", i);
		x = lookup(&m, name);
		found += x && x->value == i;
	}
	CHECK_INT(found, (5000 + 6) / 7);
	CHECK(lookup(&m, "n5000") == NULL);
	for (struct hashmap_entry *e = hashmap_iter_first(&m, &it); e; e = hashmap_iter_next(&it))
		sum += container_of(e, struct item, ent)->value;
	CHECK_INT(sum, 4999 * 5000 / 2);
	hashmap_clear(&m, offsetof(struct item, ent));
	CHECK_INT(hashmap_count(&m), 0);
	CHECK(lookup(&m, "n1") == NULL);
}

static void test_duplicates_and_remove(void)
{
	struct hashmap m = HASHMAP_INIT(item_eq);
	struct item *a = item_new("same", 1), *b = item_new("same", 2), *c = item_new("other", 3);
	struct hashmap_entry *e;
	struct item key;

	hashmap_add(&m, &a->ent);
	hashmap_add(&m, &c->ent);
	hashmap_add(&m, &b->ent);
	/* the newest equal entry first, then the older one */
	CHECK_INT(lookup(&m, "same")->value, 2);
	e = hashmap_get_next(&m, &b->ent, NULL, "same");
	CHECK(e == &a->ent);
	CHECK(hashmap_get_next(&m, e, NULL, "same") == NULL);
	/* lookup by key entry */
	snprintf(key.name, sizeof(key.name), "other");
	hashmap_entry_init(&key.ent, kt_hash_str("other"));
	CHECK(hashmap_get(&m, key.ent.hash, &key.ent, NULL) == &c->ent);
	CHECK(hashmap_remove(&m, kt_hash_str("same"), NULL, "same") == &b->ent);
	CHECK_INT(lookup(&m, "same")->value, 1);
	CHECK_INT(hashmap_count(&m), 2);
	free(b);
	hashmap_clear(&m, offsetof(struct item, ent));
}

static int cmp_u64(const void *key, const void *elem)
{
	uint64_t k = *(const uint64_t *)key, v = *(const uint64_t *)elem;

	return k < v ? -1 : k > v;
}

static void test_upper_bound(void)
{
	uint64_t a[] = { 10, 20, 20, 30 }, k;

	k = 5;  CHECK_INT(kt_upper_bound(a, 4, sizeof(a[0]), &k, cmp_u64), 0);
	k = 10; CHECK_INT(kt_upper_bound(a, 4, sizeof(a[0]), &k, cmp_u64), 1);
	k = 20; CHECK_INT(kt_upper_bound(a, 4, sizeof(a[0]), &k, cmp_u64), 3);
	k = 25; CHECK_INT(kt_upper_bound(a, 4, sizeof(a[0]), &k, cmp_u64), 3);
	k = 99; CHECK_INT(kt_upper_bound(a, 4, sizeof(a[0]), &k, cmp_u64), 4);
	CHECK_INT(kt_upper_bound(a, 0, sizeof(a[0]), &k, cmp_u64), 0);
}

UNIT_MAIN(TEST(test_add_get_grow), TEST(test_duplicates_and_remove), TEST(test_upper_bound))
