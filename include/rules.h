/* rules.h - the knowledge base of fields that devices, hypervisors or user space write. */
#ifndef RULES_H
#define RULES_H

#include "report.h"

/*
 * The format (files rules/NAME.rules, embedded at build time; more with --rules):
 *
 *   # a comment
 *   struct vring_used                     <- a block: the C struct's name
 *       family     virtio split ring
 *       writer     device                 <- device, hypervisor or user
 *       align      4                      <- the struct's guaranteed alignment
 *       reference  Virtio 1.2, 2.7.8 ...  <- why: spec section, datasheet, comment
 *       file       drivers/virtio/virtio_ring\.c$        (PCRE2, repeatable)
 *       function   ^(more_used_split|virtqueue_poll_split)$  (PCRE2, repeatable)
 *       member idx                        <- a C member path: "idx", "ring[].id"
 *           offset  2
 *           size    2
 *           stride  8                     <- array elements: offset + k*stride
 *           expr    \bused->idx\b         <- source expression (PCRE2, repeatable)
 *           dwarf   no                    <- not a C member (e.g. avail_event)
 *
 * Functions are matched against every frame of the top inline chain, with
 * compiler suffixes (.isra.0, .constprop.1, .cold) removed; files against
 * the frame's source path.  A member with function patterns of its own is
 * only considered where they match.  When several members fit an access
 * equally well, the one listed first is named (confidence "likely").
 */

struct pattern_list {
	char **src;
	void **code;          /* struct rule_pattern * (rules.c): compiled, with its limits */
	size_t n;
	bool literal;         /* every pattern is in the rules' index of literal names */
};

/*
 * Limits.  A rules file is a regular file of at most RULES_MAX_FILE bytes.
 * Every match runs under PCRE2 match, depth and heap limits; one that hits
 * them counts as no match, and a pattern that hits them
 * RULES_LIMIT_HITS_OFF times is turned off for the rest of the run.
 */
#define RULES_MAX_FILE (4 << 20)
#define RULES_MATCH_LIMIT 1000000
#define RULES_DEPTH_LIMIT 100000
#define RULES_HEAP_LIMIT_KIB 16384
#define RULES_LIMIT_HITS_OFF 8

/* A pattern whose matches hit the limits. */
struct rules_limit_hit {
	const char *origin;   /* "file:line" of the pattern */
	char rule[128];       /* its struct, cut like the pattern */
	char pattern[128];    /* its text, cut to 120 bytes and "..." */
	unsigned long hits;   /* matches stopped so far */
	bool off;             /* turned off after RULES_LIMIT_HITS_OFF hits */
};

struct rule_member {
	char *name;
	uint64_t offset, size, stride;
	bool dwarf;           /* name is a member path to check against DWARF */
	struct pattern_list expr;
	struct pattern_list functions;  /* narrows the struct's functions, optional */
	int line;
};

struct rule {
	char *name;           /* "vring_used" */
	char *family;
	enum writer writer;
	uint64_t align;
	char *reference;
	struct pattern_list files, functions;
	struct rule_member *members;
	size_t nmembers;
	char *origin;         /* "file:line" of the block */
};

struct rules_index;

struct rules {
	struct rule *v;
	size_t n, cap;
	/* the literal names of the function patterns (rules.c), rebuilt by rules_parse() */
	struct rules_index *index;
};

/* The embedded rules plus the given files.  NULL (reported) on a bad rule. */
struct rules *rules_load(struct ctx *ctx, const char *const *files, int nfiles);
/* Parse one rules text into rs; 0, or -1 with errors reported as name:line. */
int rules_parse(struct ctx *ctx, struct rules *rs, const char *name, const char *text, size_t len);
void rules_free(struct rules *rs);
/*
 * The next pattern that hit a limit and was not handed out before: true and
 * *out filled (valid while rs lives), or false.  The rules module records;
 * the caller words the warning, once per pattern.
 */
bool rules_drain_limit_hit(const struct rules *rs, struct rules_limit_hit *out);
/* The matches stopped by a limit so far, of every pattern (any thread). */
unsigned long rules_limit_hits(const struct rules *rs);

bool pattern_match(const struct pattern_list *pl, const char *s);
/* Does the function (base name) or the file match the rule? */
bool rule_function_matches(const struct rule *r, const struct rule_member *m, const char *func);
bool rule_file_matches(const struct rule *r, const char *file);

/*
 * A function's base name, looked up once in the rules' index of literal
 * names (patterns of the form ^(name|name...)$), then matched against the
 * function patterns of many rules: rule_function_name_matches() answers as
 * rule_function_matches() would, without PCRE2 for the literal patterns.
 */
struct rules_name {
	char base[256];
	const uint32_t *lit;   /* the literal patterns base equals (their ids, ascending) */
	size_t nlit;
	bool maybe;            /* false: no function pattern of the rules matches it */
};
void rules_name_init(const struct rules *rs, struct rules_name *n, const char *func);
bool rule_function_name_matches(const struct rule *r, const struct rule_member *m, const struct rules_name *n);
/* Can an access of size at address addr be member m of a struct aligned to r->align? */
bool rule_member_fits(const struct rule *r, const struct rule_member *m, uint64_t addr, uint64_t size);

#endif
