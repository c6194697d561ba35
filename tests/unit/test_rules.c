/* Unit tests: the rules' index of literal function names answers as PCRE2 does. */
#define _GNU_SOURCE
#include "unit.h"

#include "rules.h"

/* literal lists, a regex one, a list mixing both, a member's own functions, a name listed twice */
static const char text[] =
	"struct a_ring\n"
	"    writer      device\n"
	"    align       4\n"
	"    reference   none\n"
	"    function    ^(alpha|beta_2|alpha)$\n"
	"    function    ^(gamma)$\n"
	"    member m\n"
	"        offset  0\n"
	"        size    4\n"
	"        function ^(beta_2|delta)$\n"
	"    member n\n"
	"        offset  4\n"
	"        size    4\n"
	"struct b_ring\n"
	"    writer      user\n"
	"    align       4\n"
	"    reference   none\n"
	"    function    ^ep(si|x)lon$\n"
	"    function    ^(zeta)$\n"
	"    function    ^(eta|)$\n"
	"    function    (theta|iota)\n"
	"    member m\n"
	"        offset  0\n"
	"        size    4\n";

static const char *const names[] = {
	"alpha", "alpha.isra.0", "alpha.cold", "beta_2", "beta", "beta_22", "gamma", "delta", "epsilon",
	"eplon", "epxlon", "zeta", "eta", "", "theta_x", "xiota", "alpha\n", "alpha\n\n", "Alpha", "alphabeta",
	".alpha", "gamma.constprop.1", "zeta\n",
};

/* Rules from a text (added to rs, or to new ones when rs is NULL); the parse must succeed. */
static struct rules *parse_into(struct rules *rs, const char *file, const char *t)
{
	struct ctx ctx = { 0 };

	if (!rs)
		rs = xcalloc(1, sizeof(*rs));
	ctx.quiet = 1;
	CHECK_INT(rules_parse(&ctx, rs, file, t, strlen(t)), 0);
	return rs;
}

/* Every name, against every list, both ways. */
static void test_index_agrees(void)
{
	struct rules *rs = parse_into(NULL, "t.rules", text);

	CHECK_INT(rs->n, 2);
	CHECK(rs->index != NULL);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct rules_name n;

		rules_name_init(rs, &n, names[i]);
		for (size_t ri = 0; ri < rs->n; ri++) {
			const struct rule *r = &rs->v[ri];

			CHECK_INT(rule_function_name_matches(r, NULL, &n), rule_function_matches(r, NULL, names[i]));
			for (size_t mi = 0; mi < r->nmembers; mi++) {
				const struct rule_member *m = &r->members[mi];

				CHECK_INT(rule_function_name_matches(r, m, &n), rule_function_matches(r, m, names[i]));
			}
		}
	}
	{
		struct rules_name n;

		rules_name_init(rs, &n, "beta_2.part.0");
		CHECK(rule_function_name_matches(&rs->v[0], NULL, &n));
		CHECK(rule_function_name_matches(&rs->v[0], &rs->v[0].members[0], &n));
		CHECK(!rule_function_name_matches(&rs->v[1], NULL, &n));
		rules_name_init(rs, &n, "epsilon");   /* a regex: PCRE2 */
		CHECK(rule_function_name_matches(&rs->v[1], NULL, &n));
		rules_name_init(rs, &n, "eta");       /* an empty alternative: PCRE2 */
		CHECK(rule_function_name_matches(&rs->v[1], NULL, &n));
	}
	rules_free(rs);
}

/* A pattern that hits the limits is counted the same way through the index's path. */
static void test_index_limits(void)
{
	const char *evil =
		"struct evil_thing\n"
		"\twriter device\n"
		"\talign 4\n"
		"\treference none\n"
		"\tfunction ^(a+)+$\n"
		"\tfunction ^(xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab|aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab)$\n"
		"\tmember x\n"
		"\t\toffset 0\n"
		"\t\tsize 4\n";
	struct rules *rs = parse_into(NULL, "e.rules", evil);
	struct rules_limit_hit h;
	struct rules_name n;

	rules_name_init(rs, &n, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab!");
	for (int i = 0; i < RULES_LIMIT_HITS_OFF - 1; i++)
		CHECK(!rule_function_name_matches(&rs->v[0], NULL, &n));
	CHECK(rules_drain_limit_hit(rs, &h));
	CHECK_INT(h.hits, RULES_LIMIT_HITS_OFF - 1);
	CHECK(!h.off);
	/* the regex still runs before the literal list: one more hit turns it off, then the literal matches */
	rules_name_init(rs, &n, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab");
	CHECK(rule_function_name_matches(&rs->v[0], NULL, &n));
	rules_name_init(rs, &n, "aaaa");
	CHECK(!rule_function_name_matches(&rs->v[0], NULL, &n));   /* turned off */
	rules_free(rs);
}

/* A name no literal list holds may still match when some pattern is a regex. */
static void test_index_maybe(void)
{
	const char *lit =
		"struct c_ring\n"
		"    writer      device\n"
		"    align       4\n"
		"    reference   none\n"
		"    function    ^(alpha|beta)$\n"
		"    member m\n"
		"        offset  0\n"
		"        size    4\n";
	struct rules *rs = parse_into(NULL, "l.rules", lit);
	struct rules_name n;

	rules_name_init(rs, &n, "gamma");
	CHECK(!n.maybe);
	rules_name_init(rs, &n, "beta.isra.0");
	CHECK(n.maybe);
	CHECK(rule_function_name_matches(&rs->v[0], NULL, &n));
	parse_into(rs, "t.rules", text);   /* adds regex patterns */
	rules_name_init(rs, &n, "gamma_not_listed");
	CHECK(n.maybe);
	rules_free(rs);
}

UNIT_MAIN(TEST(test_index_agrees), TEST(test_index_limits), TEST(test_index_maybe))
