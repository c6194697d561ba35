/* Unit tests of cost's pure pieces: the matching keys, the normalised text, the diff. */
#define _GNU_SOURCE
#include "unit.h"

#include "cost.h"

static const char *mkey(const char *name)
{
	static char buf[128];

	cost_match_key(name, buf, sizeof(buf));
	return buf;
}

static const char *rkey(const char *name)
{
	static char buf[128];

	cost_rename_key(name, buf, sizeof(buf));
	return buf;
}

static void test_match_key(void)
{
	CHECK_STR(mkey("virtqueue_poll"), "virtqueue_poll");
	CHECK_STR(mkey("foo.isra.3"), "foo.isra");
	CHECK_STR(mkey("foo.isra.12"), "foo.isra");
	CHECK_STR(mkey("foo.constprop.0"), "foo.constprop");
	CHECK_STR(mkey("foo.part.1"), "foo.part");
	CHECK_STR(mkey("foo.cold"), "foo.cold");
	CHECK_STR(mkey("foo.constprop.0.cold"), "foo.constprop.cold");
	CHECK_STR(mkey("foo.llvm.1234567890"), "foo.llvm");
	CHECK_STR(mkey("bar.123"), "bar");            /* a static's .NUMBER, as bloat-o-meter drops it */
	CHECK_STR(mkey("ring2"), "ring2");            /* digits of the name itself stay */
	CHECK_STR(mkey(".LC0"), ".LC0");
	{
		char *cold = xstrdup(mkey("foo.cold"));

		CHECK(strcmp(cold, mkey("foo")) != 0);   /* the cold part is its own symbol */
		free(cold);
	}
	{
		char small[5];

		cost_match_key("virtqueue_poll", small, sizeof(small));
		CHECK_STR(small, "virt");
	}
}

static void test_rename_key(void)
{
	CHECK_STR(rkey("__UNIQUE_ID_file307"), "__UNIQUE_ID_file");
	char *a = xstrdup(rkey("__UNIQUE_ID___addressable_virtqueue_poll268"));
	char *l = xstrdup(rkey("__UNIQUE_ID_license308"));

	CHECK_STR(a, rkey("__UNIQUE_ID___addressable_virtqueue_poll275"));
	CHECK(strcmp(l, rkey("__UNIQUE_ID_file307")) != 0);
	free(a);
	free(l);
}

static const char *norm(const char *mn, const char *ops)
{
	static char buf[128];

	cost_norm_text(mn, ops, buf, sizeof(buf));
	return buf;
}

static void test_norm_text(void)
{
	CHECK_STR(norm("cmpw", "%si, 2(%rax)"), "cmpw %si,2(%rax)");
	CHECK_STR(norm("movzwl", "4(%rdx, %rsi, 8), %ecx"), "movzwl 4(%rdx,%rsi,8),%ecx");
	CHECK_STR(norm("retq", ""), "retq");
	/* padding of every length is one "nop", so alignment is no change */
	CHECK_STR(norm("nopw", "%cs:(%rax, %rax)"), "nop");
	CHECK_STR(norm("nopl", "(%rax)"), "nop");
	CHECK_STR(norm("xchgw", "%ax, %ax"), "nop");
	CHECK_STR(norm("xchgw", "%ax, (%rdx)"), "xchgw %ax,(%rdx)");
}

/* The edit script as one string: "-b+x" */
static const char *diff_str(char **a, size_t na, char **b, size_t nb)
{
	static char buf[256];
	struct cost_dline *d;
	size_t n = cost_diff(a, na, b, nb, &d), k = 0;

	for (size_t i = 0; i < n && k + 16 < sizeof(buf); i++)
		k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%c%s", d[i].op, d[i].op == '-' ? a[d[i].idx] : b[d[i].idx]);
	buf[k] = 0;
	free(d);
	return buf;
}

static void test_diff(void)
{
	char *a[] = { "mov", "cmp mem", "sete", "ret" };
	char *b[] = { "mov", "load", "cmp reg", "sete", "ret" };
	char *c[] = { "x" };

	CHECK_STR(diff_str(a, 4, a, 4), "");
	CHECK_STR(diff_str(a, 4, b, 5), "-cmp mem+load+cmp reg");
	CHECK_STR(diff_str(a, 4, NULL, 0), "-mov-cmp mem-sete-ret");
	CHECK_STR(diff_str(NULL, 0, c, 1), "+x");
	CHECK_STR(diff_str(c, 1, c, 1), "");
	CHECK_STR(diff_str(b, 5, a, 4), "-load-cmp reg+cmp mem");
}

UNIT_MAIN(TEST(test_match_key), TEST(test_rename_key), TEST(test_norm_text), TEST(test_diff))
