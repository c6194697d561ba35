/*
 * test_maintainers.c - MAINTAINERS routing on the fixture tree of
 * fixtures/maintainers (every pattern kind: F: directories and globs, X:,
 * N:, K:, a directory named without "/", an entry without M:, THE REST,
 * .mailmap), and the guilty file of a report.  The expected lines are what
 * the kernel's scripts/get_maintainer.pl --no-git --no-rolestats -f FILE
 * prints for the same tree (tests/maintainers.sh checks that again when
 * the kernel's source is at hand).
 */
#include "maintainers.h"
#include "unit.h"

#define TREE "fixtures/maintainers"

static struct ctx ctx;

/* Route file and compare every line the script would print, then the entry names. */
static void expect(const char *file, const char *lines, const char *entries)
{
	const struct maint_db *db = maint_load(&ctx, TREE);
	struct maint_route r = MAINT_ROUTE_INIT;
	struct sbuf got = SBUF_INIT, names = SBUF_INIT;

	CHECK(db != NULL);
	if (!db)
		return;
	CHECK_INT(maint_route(db, file, &r), 0);
	for (size_t i = 0; i < r.npeople; i++)
		sbuf_addf(&got, "%s\n", r.people[i].addr);
	for (size_t i = 0; i < r.nlists; i++)
		sbuf_addf(&got, "%s\n", r.lists[i]);
	for (size_t i = 0; i < r.nentries; i++)
		sbuf_addf(&names, "%s%s", i ? "|" : "", r.entries[i]->name);
	CHECK_STR(sbuf_str(&got), lines);
	CHECK_STR(sbuf_str(&names), entries);
	maint_route_release(&r);
	sbuf_release(&got);
	sbuf_release(&names);
}

static void test_directory_pattern(void)
{
	expect("drivers/foo/foo_core.c",
	       "Alice Example <alice@example.org>\nBob Reviewer <bob@example.org>\n"
	       "foo-devel@lists.example.org\nlinux-kernel@vger.kernel.org\n",
	       "FOO CORE|THE REST");
}

static void test_glob_deeper_first(void)
{
	/* drivers/ * /common.c: "*" crosses no "/" here (as many "/" as the file), and is more specific */
	expect("drivers/foo/common.c",
	       "\"Eve, Q.\" <eve@example.org>\nAlice Example <alice@example.org>\nBob Reviewer <bob@example.org>\n"
	       "foo-devel@lists.example.org\nlinux-kernel@vger.kernel.org\n",
	       "FOO COMMON FILES|FOO CORE|THE REST");
}

static void test_exclude(void)
{
	expect("drivers/foo/legacy/old.c", "linux-kernel@vger.kernel.org\n", "THE REST");
}

static void test_keyword_and_dedup(void)
{
	/*
	 * deep.c: FOO SUB (*.c and ?eep.[ch]) first, FOO CORE, THE REST, then
	 * FROBNICATION for the K: that matches its text (an extended regex: the
	 * blank in it does not count).  alice@example.org came first without a
	 * name, so FOO CORE's Alice is that address; the subscribers-only list
	 * is left out, the moderated one kept, the duplicate list once.
	 */
	expect("drivers/foo/sub/deep.c",
	       "Carol Deep <carol@example.org>\nalice@example.org\nBob Reviewer <bob@example.org>\n"
	       "Frank Keyword <frank@example.org>\nALICE EXAMPLE <alice@elsewhere.example.org>\n"
	       "foo-devel@lists.example.org\nfoo-mod@lists.example.org\nlinux-kernel@vger.kernel.org\n",
	       "FOO SUB DRIVERS|FOO CORE|THE REST|FROBNICATION");
	/* the glob does not cross a "/" it would add: sub/common.c is not FOO COMMON FILES' */
	expect("drivers/foo/sub/common.c",
	       "Carol Deep <carol@example.org>\nalice@example.org\nBob Reviewer <bob@example.org>\n"
	       "foo-devel@lists.example.org\nfoo-mod@lists.example.org\nlinux-kernel@vger.kernel.org\n",
	       "FOO SUB DRIVERS|FOO CORE|THE REST");
}

static void test_directory_without_slash_and_mailmap(void)
{
	expect("drivers/baz/baz.c", "Dave New <dave@new.example.org>\nlinux-kernel@vger.kernel.org\n",
	       "BAZ DRIVER|THE REST");
}

static void test_name_regex_and_no_maintainer(void)
{
	const struct maint_db *db;
	struct maint_route r = MAINT_ROUTE_INIT;

	expect("net/sched/sch_test.c",
	       "Heidi Reviewer <heidi@example.org>\nGrace Named <grace@example.org>\n"
	       "orphans@lists.example.org\nlinux-kernel@vger.kernel.org\n",
	       "NET SCHED (NO MAINTAINER)|SCHEDULER TESTS|THE REST");
	db = maint_load(&ctx, TREE);
	CHECK(db && maint_route(db, "net/sched/sch_test.c", &r) == 0);
	CHECK_STR(maint_route_subsystem(&r), "NET SCHED (NO MAINTAINER)");
	CHECK_INT(r.npeople, 2);
	if (r.npeople == 2) {
		CHECK_INT(r.people[0].role, MAINT_REVIEWER);
		CHECK_INT(r.people[1].role, MAINT_MAINTAINER);
	}
	maint_route_release(&r);
}

static void test_the_rest_and_cache(void)
{
	const struct maint_db *a = maint_load(&ctx, TREE), *b = maint_load(&ctx, TREE);
	struct maint_route r = MAINT_ROUTE_INIT;

	CHECK(a && a == b);
	expect("include/linux/foo.h", "linux-kernel@vger.kernel.org\n", "THE REST");
	CHECK(a && maint_route(a, "include/linux/foo.h", &r) == 0);
	CHECK_STR(maint_route_subsystem(&r), "THE REST");
	maint_route_release(&r);
	CHECK(a && maint_db_entries(a) >= 9);
}

static void test_missing(void)
{
	int saved = quiet_stderr();

	CHECK(maint_load(&ctx, "fixtures/no-such-tree") == NULL);
	restore_stderr(saved);
}

static void add_frame(struct access *a, const char *file, const char *comp_dir)
{
	struct frame *f = access_add_frame(a);

	f->func = xstrdup("f");
	f->file = file ? xstrdup(file) : NULL;
	f->comp_dir = comp_dir ? xstrdup(comp_dir) : NULL;
}

static void test_guilty_file(void)
{
	struct report *r = report_new();
	char *g;

	r->nacc = 2;
	/* the touch_atime race: an inlined time64.h frame first */
	add_frame(&r->acc[0], NULL, NULL);
	add_frame(&r->acc[0], "./include/linux/time64.h", NULL);
	add_frame(&r->acc[0], "lib/find_bit.c", NULL);
	add_frame(&r->acc[0], "kernel/kcsan/core.c", NULL);
	add_frame(&r->acc[0], "/build/linux-6.1/fs/inode.c", "/build/linux-6.1");
	add_frame(&r->acc[1], "drivers/block/virtio_blk.c", NULL);
	g = maint_guilty_file(r);
	CHECK_STR(g, "fs/inode.c");
	free(g);
	report_free(r);

	/* nothing in access 0: access 1 */
	r = report_new();
	r->nacc = 2;
	add_frame(&r->acc[0], "kernel/rcu/tree.c", NULL);
	add_frame(&r->acc[0], "kernel/sched/core.c", NULL);
	add_frame(&r->acc[1], "/usr/src/kernels/x/drivers/virtio/virtio_ring.c", NULL);
	g = maint_guilty_file(r);
	CHECK_STR(g, "drivers/virtio/virtio_ring.c");
	free(g);
	report_free(r);

	CHECK(maint_file_skipped("arch/x86/kernel/traps.c"));
	CHECK(maint_file_skipped("arch/x86/entry/entry_64.S"));
	CHECK(maint_file_skipped("net/core/dev.c"));
	CHECK(!maint_file_skipped("net/core/dev_ioctl.c"));
	CHECK(!maint_file_skipped("kernel/kcsan/kcsan_test.c"));
	CHECK(!maint_file_skipped("arch/x86/kernel/apic/apic.c"));
	CHECK(!maint_file_skipped("mm/filemap.c"));
}

static void cleanup(void)
{
	maint_cleanup();
}

UNIT_MAIN(TEST(test_directory_pattern), TEST(test_glob_deeper_first), TEST(test_exclude),
	  TEST(test_keyword_and_dedup), TEST(test_directory_without_slash_and_mailmap),
	  TEST(test_name_regex_and_no_maintainer), TEST(test_the_rest_and_cache), TEST(test_missing),
	  TEST(test_guilty_file), TEST(cleanup))
