/* classify.c - decide a report's verdict from its shape and the knowledge base. */
#include <stdlib.h>
#include <string.h>

#include "classify.h"

struct classifier {
	const struct rules *rules;
	struct srctree *src;
};

struct classifier *classifier_new(const struct rules *rules, struct srctree *src)
{
	struct classifier *c = xcalloc(1, sizeof(*c));

	c->rules = rules;
	c->src = src;
	return c;
}

void classifier_free(struct classifier *c)
{
	free(c);
}

static void set_evidence(struct classification *cls, char *ev)
{
	free(cls->evidence);
	cls->evidence = ev;
}

void classify_report(struct classifier *c, struct report *r)
{
	struct classification *cls = &r->cls;

	(void)c;
	if (r->bug_type == BUG_ASSERT) {
		cls->verdict = V_REAL_RACE;
		set_evidence(cls, xstrdup("an ASSERT_EXCLUSIVE_*() assertion was violated: a real race whatever the memory"));
	} else if (!r->unknown_origin) {
		cls->verdict = V_REAL_RACE;
		set_evidence(cls, xstrdup("KCSAN saw both accesses, from two kernel contexts (two stacks)"));
	} else {
		cls->verdict = V_UNKNOWN_ORIGIN;
		set_evidence(cls, xstrdup("the value changed but no instrumented access was seen: needs a human"));
	}
}
