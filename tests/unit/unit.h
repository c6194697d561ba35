/* unit.h - a tiny unit-test harness: CHECK macros and a test table. */
#ifndef UNIT_H
#define UNIT_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int unit_failures, unit_checks;
static const char *unit_current;

#define CHECK(cond) do { \
	unit_checks++; \
	if (!(cond)) { \
		unit_failures++; \
		fprintf(stderr, "%s:%d: %s: CHECK(%s) failed\n", __FILE__, __LINE__, unit_current, #cond); \
	} \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *_a = (a), *_b = (b); \
	unit_checks++; \
	if (!((_a == NULL && _b == NULL) || (_a && _b && !strcmp(_a, _b)))) { \
		unit_failures++; \
		fprintf(stderr, "%s:%d: %s: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, \
			unit_current, #a, _a ? _a : "(null)", _b ? _b : "(null)"); \
	} \
} while (0)

#define CHECK_INT(a, b) do { \
	long long _a = (long long)(a), _b = (long long)(b); \
	unit_checks++; \
	if (_a != _b) { \
		unit_failures++; \
		fprintf(stderr, "%s:%d: %s: %s is %lld, expected %lld\n", __FILE__, __LINE__, \
			unit_current, #a, _a, _b); \
	} \
} while (0)

/*
 * A test's prerequisite (a compiler, a tool) is missing: that is a failure,
 * never a silent pass with nothing checked.
 */
#define UNIT_MISSING(what) do { \
	unit_checks++; \
	unit_failures++; \
	fprintf(stderr, "%s: %s: %s missing, so nothing could be checked\n", __FILE__, unit_current, what); \
} while (0)

/* Errors go to stderr whatever ctx->quiet says: keep the expected ones out of the test's output. */
static inline int quiet_stderr(void)
{
	int saved = dup(2), null = open("/dev/null", O_WRONLY);

	fflush(stderr);
	if (null >= 0) {
		dup2(null, 2);
		close(null);
	}
	return saved;
}

static inline void restore_stderr(int saved)
{
	fflush(stderr);
	if (saved >= 0) {
		dup2(saved, 2);
		close(saved);
	}
}

struct unit_test {
	const char *name;
	void (*fn)(void);
};

#define UNIT_MAIN(...) \
int main(void) \
{ \
	static const struct unit_test tests[] = { __VA_ARGS__, { NULL, NULL } }; \
	for (const struct unit_test *t = tests; t->name; t++) { \
		unit_current = t->name; \
		t->fn(); \
	} \
	printf("%d checks, %d failed\n", unit_checks, unit_failures); \
	return unit_failures ? 1 : 0; \
}

#define TEST(fn) { #fn, fn }

#endif
