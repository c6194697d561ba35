/* test_strpool.c - interned strings: one copy of each, equal strings are equal pointers. */
#include "kt.h"
#include "strpool.h"
#include "unit.h"

static void test_intern(void)
{
	struct strpool *p = strpool_new();
	char buf[8] = "abcdef";
	const char *a = strpool_intern(p, "abc"), *b;

	CHECK_STR(a, "abc");
	CHECK(strpool_intern(p, "abc") == a);
	/* n bytes, no NUL needed after them */
	CHECK(strpool_intern_n(p, buf, 3) == a);
	CHECK_STR(strpool_intern_n(p, buf, 5), "abcde");
	CHECK(strpool_intern_n(p, buf, 5) != a);
	/* a C string ends at its NUL */
	CHECK(strpool_intern_n(p, "abc\0xyz", 7) == a);
	CHECK_STR(strpool_intern_n(p, "", 0), "");
	CHECK(strpool_intern(p, NULL) == NULL);
	b = strpool_internf(p, "%s%d", "ab", 7);
	CHECK_STR(b, "ab7");
	CHECK(strpool_intern(p, "ab7") == b);
	strpool_free(p);
}

/* Many strings: all found again, each once, after the map has grown. */
static void test_many(void)
{
	struct strpool *p = strpool_new();
	const char **got = xcalloc(20000, sizeof(*got));
	int same = 0;

	for (int i = 0; i < 20000; i++)
		got[i] = strpool_internf(p, "name%d", i);
	for (int i = 0; i < 20000; i++) {
		char name[32];

		snprintf(name, sizeof(name), "name%d", i);
		same += strpool_intern(p, name) == got[i];
	}
	CHECK_INT(same, 20000);
	CHECK(got[0] != got[1]);
	free(got);
	strpool_free(p);
}

UNIT_MAIN(TEST(test_intern), TEST(test_many))
