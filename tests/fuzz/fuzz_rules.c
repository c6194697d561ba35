/*
 * fuzz_rules.c - a fuzz target for the rules parser (rules.h: rules_parse,
 * its PCRE2 compilation and limits), then the matchers over what it
 * accepted, on arbitrary bytes.
 *
 * Seeds: the files of rules/, tests/fuzz/seeds/rules/.  How to run it and replay
 * saved inputs: fuzz.h.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

static const char *const fuzz_rules_subjects[] = {
	"virtqueue_get_buf_ctx_split", "drivers/virtio/virtio_ring.c", "used->idx", "", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
};
#define NSUBJECTS (sizeof(fuzz_rules_subjects) / sizeof(fuzz_rules_subjects[0]))

/* Every matcher over one accepted member. */
static void fuzz_rules_member(const struct rule *r, const struct rule_member *m)
{
	for (size_t k = 0; k < NSUBJECTS; k++) {
		rule_function_matches(r, m, fuzz_rules_subjects[k]);
		pattern_match(&m->expr, fuzz_rules_subjects[k]);
	}
	for (uint64_t addr = 0; addr < 16; addr += 3)
		rule_member_fits(r, m, addr + m->offset, m->size);
	rule_member_fits(r, m, UINT64_MAX, m->size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx ctx = { .quiet = 1 };
	struct rules *rs = xcalloc(1, sizeof(*rs));
	struct rules_limit_hit hit;

	if (rules_parse(&ctx, rs, "fuzz.rules", (const char *)data, size) == 0) {
		for (size_t i = 0; i < rs->n; i++) {
			const struct rule *r = &rs->v[i];

			for (size_t k = 0; k < NSUBJECTS; k++)
				rule_file_matches(r, fuzz_rules_subjects[k]);
			for (size_t j = 0; j < r->nmembers; j++)
				fuzz_rules_member(r, &r->members[j]);
		}
		while (rules_drain_limit_hit(rs, &hit))
			;
	}
	rules_free(rs);
	return 0;
}

static void fuzz_cleanup(void)
{
}

#include "fuzz.h"
