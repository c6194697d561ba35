/* Unit tests: the classifier's facts, the sentences rendered from them, the facts codec and the name tables. */
#define _GNU_SOURCE
#include "unit.h"

#include <sys/stat.h>

#include "classify.h"
#include "facts.h"
#include "render.h"
#include "rules.h"
#include "srctree.h"

static const char rules_text[] =
	"struct vring_used\n"
	"    family      virtio split ring\n"
	"    writer      device\n"
	"    align       4\n"
	"    reference   Virtio 1.2, 2.7.8\n"
	"    function    ^(virtqueue_get_buf_ctx_split|more_used_split)$\n"
	"    member flags\n"
	"        offset  0\n"
	"        size    2\n"
	"    member idx\n"
	"        offset  2\n"
	"        size    2\n"
	"        expr    \\bused->idx\\b\n"
	"    member ring[].id\n"
	"        offset  4\n"
	"        size    4\n"
	"        stride  8\n";

static struct rules *test_rules(void)
{
	struct ctx ctx = { 0 };
	struct rules *rs = xcalloc(1, sizeof(*rs));

	CHECK_INT(rules_parse(&ctx, rs, "test.rules", rules_text, strlen(rules_text)), 0);
	CHECK_INT(rs->n, 1);
	return rs;
}

/* A report of nacc accesses; the first one at addr/size, its top frame func at file:line. */
static void make_report(struct report *r, int nacc, bool unknown_origin, uint64_t addr, uint64_t size,
			const char *func, const char *file, int line)
{
	report_init(r);
	r->unknown_origin = unknown_origin;
	r->nacc = nacc;
	for (int i = 0; i < nacc; i++) {
		struct access *a = &r->acc[i];
		struct frame *f = access_add_frame(a);

		a->type = ACC_READ;
		a->has_addr = a->has_size = true;
		a->addr = addr;
		a->size = size;
		a->unknown_origin = unknown_origin;
		f->func = xstrdup(i ? "other_func" : func);
		f->file = file && !i ? xstrdup(file) : NULL;
		f->line = i ? 0 : line;
	}
}

/* The facts survive the store's codec: the same text again, the same sentences. */
static void check_roundtrip(const struct classification *c)
{
	struct classification back = { 0 };
	struct verdict_text t1, t2;
	char *enc = facts_encode(c), *err = NULL, *enc2;

	CHECK_INT(facts_decode(enc, &back, &err), 0);
	CHECK_STR(err, NULL);
	enc2 = facts_encode(&back);
	CHECK_STR(enc2, enc);
	render_verdict_text(c, &t1);
	render_verdict_text(&back, &t2);
	CHECK_STR(t2.evidence, t1.evidence);
	CHECK_STR(t2.reason, t1.reason);
	CHECK_STR(t2.marking, t1.marking);
	CHECK_STR(t2.near_miss, t1.near_miss);
	verdict_text_release(&t1);
	verdict_text_release(&t2);
	classification_release(&back);
	free(enc);
	free(enc2);
}

static void test_device_origin(void)
{
	struct rules *rs = test_rules();
	struct classifier *cl = classifier_new(rs, NULL);
	struct report r;
	struct verdict_text t;
	const struct classification *c = &r.cls;

	make_report(&r, 1, true, 0xffff888000b0a282ull, 2, "virtqueue_get_buf_ctx_split", NULL, 0);
	classify_report(cl, &r);
	CHECK_INT(c->verdict, V_DEVICE_ORIGIN);
	CHECK_INT(c->basis, BASIS_MEMBER_FITS);
	CHECK_INT(c->writer, W_DEVICE);
	CHECK_INT(c->confidence, CONF_CERTAIN);
	CHECK_STR(c->rule, "vring_used");
	CHECK_STR(c->origin, "test.rules:1");
	CHECK_STR(c->member, "idx");
	CHECK_INT(c->offset, 2);
	CHECK_INT(c->member_size, 2);
	CHECK_INT(c->stride, 0);
	CHECK_INT(c->align, 4);
	CHECK_INT(c->layout, LAYOUT_RULE);
	CHECK_INT(c->addr, 0xffff888000b0a282ull);
	CHECK_INT(c->size, 2);
	CHECK_INT(c->nexcluded, 2);
	if (c->nexcluded == 2) {
		CHECK_STR(c->excluded[0].member, "flags");
		CHECK_INT(c->excluded[0].why, EXCL_OFFSET);
		CHECK_STR(c->excluded[1].member, "ring[].id");
		CHECK_INT(c->excluded[1].why, EXCL_SIZE);
	}
	CHECK_INT(c->nalso, 0);
	CHECK_STR(c->where.func, "virtqueue_get_buf_ctx_split");
	CHECK(!c->expr_matched);
	CHECK(!c->source_read);
	CHECK_INT(c->level, 1);

	render_verdict_text(c, &t);
	CHECK_STR(t.field, "struct vring_used.idx");
	CHECK_STR(t.rule, "vring_used (test.rules:1)");
	CHECK_STR(t.evidence, "a 2-byte read at 0xffff888000b0a282, which is 2 mod 4: idx is 2 bytes at offset 2 of "
		  "struct vring_used, which is 4-aligned (layout from the rule); excluded: flags (another offset), "
		  "ring[].id (another size); in virtqueue_get_buf_ctx_split() (no source tree to check the "
		  "expression); the device writes struct vring_used: Virtio 1.2, 2.7.8");
	CHECK_STR(t.reason, "2-byte read at 2 mod 4 in virtqueue_get_buf_ctx_split(): struct vring_used.idx, "
		  "written by the device");
	CHECK_STR(t.marking, "READ_ONCE() or data_race() documents that the device writes struct vring_used.idx; it "
		  "fixes no race (no CPU writes it)");
	CHECK_STR(t.near_miss, NULL);
	verdict_text_release(&t);
	check_roundtrip(c);

	report_release(&r);
	classifier_free(cl);
	rules_free(rs);
}

/* With the source tree, the expression decides, and the sentences say where it was read. */
static void test_device_origin_source(void)
{
	struct rules *rs = test_rules();
	char dir[] = "/tmp/kt-classify.XXXXXX", *path;
	struct srctree *src;
	struct classifier *cl;
	struct report r;
	struct verdict_text t;
	FILE *fp;

	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	path = xasprintf("%s/drivers", dir);
	mkdir(path, 0755);
	free(path);
	path = xasprintf("%s/drivers/ring.c", dir);
	fp = fopen(path, "w");
	fputs("int f(void)\n{\n\treturn used->idx;\n}\n", fp);
	fclose(fp);
	src = srctree_new(dir);
	cl = classifier_new(rs, src);
	make_report(&r, 1, true, 0x1002, 2, "virtqueue_get_buf_ctx_split", "drivers/ring.c", 3);
	classify_report(cl, &r);
	CHECK_INT(r.cls.verdict, V_DEVICE_ORIGIN);
	CHECK(r.cls.expr_matched);
	CHECK(r.cls.source_read);
	CHECK_STR(r.cls.expr, "return used->idx;");
	CHECK_STR(r.cls.where.file, "drivers/ring.c");
	CHECK_INT(r.cls.where.line, 3);
	CHECK_INT(r.cls.level, 2);
	CHECK_STR(r.acc[0].frames[0].src, "return used->idx;");   /* the frame keeps its line */
	render_verdict_text(&r.cls, &t);
	CHECK(strstr(t.evidence, "; the source reads it: virtqueue_get_buf_ctx_split() at drivers/ring.c:3 is "
			     "\"return used->idx;\"; ") != NULL);
	CHECK_STR(t.reason, "2-byte read at 2 mod 4 in virtqueue_get_buf_ctx_split() at drivers/ring.c:3 (source "
		  "checked): struct vring_used.idx, written by the device");
	verdict_text_release(&t);
	check_roundtrip(&r.cls);
	report_release(&r);
	classifier_free(cl);
	srctree_free(src);
	unlink(path);
	free(path);
	path = xasprintf("%s/drivers", dir);
	rmdir(path);
	free(path);
	rmdir(dir);
	rules_free(rs);
}

static void test_near_miss(void)
{
	struct rules *rs = test_rules();
	struct classifier *cl = classifier_new(rs, NULL);
	struct report r;
	struct verdict_text t;

	make_report(&r, 1, true, 0x1001, 1, "more_used_split", NULL, 0);
	classify_report(cl, &r);
	CHECK_INT(r.cls.verdict, V_UNKNOWN_ORIGIN);
	CHECK_INT(r.cls.basis, BASIS_NEAR_MISS);
	CHECK_INT(r.cls.writer, W_NONE);
	CHECK_INT(r.cls.rule_writer, W_DEVICE);
	CHECK_STR(r.cls.rule, "vring_used");
	CHECK_STR(r.cls.member, NULL);
	CHECK_STR(r.cls.where.func, "more_used_split");
	render_verdict_text(&r.cls, &t);
	CHECK_STR(t.near_miss, "in more_used_split(), code that reads the device-written struct vring_used (virtio "
		  "split ring), but a 1-byte read at 1 mod 4 matches none of its members");
	CHECK_STR(t.reason, "no device-written field fits: in more_used_split(), code that reads the device-written "
		  "struct vring_used (virtio split ring), but a 1-byte read at 1 mod 4 matches none of its members");
	CHECK(str_startswith(t.evidence, "the value changed but KCSAN saw no other access: the writer is not "
			     "instrumented; nearest rule: in more_used_split()"));
	CHECK_STR(t.field, NULL);
	CHECK_STR(t.rule, NULL);
	verdict_text_release(&t);
	check_roundtrip(&r.cls);
	report_release(&r);

	/* no rule covers the stack */
	make_report(&r, 1, true, 0x1001, 1, "something_else", NULL, 0);
	classify_report(cl, &r);
	CHECK_INT(r.cls.basis, BASIS_NO_RULE);
	render_verdict_text(&r.cls, &t);
	CHECK_STR(t.reason, "unknown writer, no rule covers something_else()");
	CHECK_STR(t.near_miss, NULL);
	verdict_text_release(&t);
	check_roundtrip(&r.cls);
	report_release(&r);
	classifier_free(cl);
	rules_free(rs);
}

static void test_real_race_and_assert(void)
{
	struct classifier *cl = classifier_new(NULL, NULL);
	struct report r;
	struct verdict_text t;

	make_report(&r, 2, false, 0x10, 8, "test_kernel_read", NULL, 0);
	classify_report(cl, &r);
	CHECK_INT(r.cls.verdict, V_REAL_RACE);
	CHECK_INT(r.cls.basis, BASIS_TWO_STACKS);
	CHECK_INT(r.cls.stacks, 2);
	render_verdict_text(&r.cls, &t);
	CHECK_STR(t.evidence, "KCSAN saw both accesses, from two kernel contexts (two stacks): a real race, whatever "
		  "memory it is on");
	CHECK_STR(t.reason, "two stacks: both accesses are kernel code");
	CHECK(str_startswith(t.marking, "fix the locking"));
	verdict_text_release(&t);
	report_release(&r);

	/* one stack, not cut short: said so, not "two stacks" */
	make_report(&r, 1, false, 0x10, 8, "test_kernel_read", NULL, 0);
	classify_report(cl, &r);
	CHECK_INT(r.cls.verdict, V_REAL_RACE);
	CHECK_INT(r.cls.basis, BASIS_ONE_STACK);
	render_verdict_text(&r.cls, &t);
	CHECK(str_startswith(t.evidence, "the report shows one stack, not two"));
	CHECK(!strstr(t.evidence, "two stacks"));
	CHECK_STR(t.reason, "one stack shown, no unknown origin: both accesses are kernel code");
	verdict_text_release(&t);
	check_roundtrip(&r.cls);
	/* cut short: the second stack may be what was cut */
	r.truncated = true;
	classify_report(cl, &r);
	CHECK_INT(r.cls.basis, BASIS_TWO_STACKS);
	report_release(&r);

	/* an assertion violated by another access; and one that saw no writer */
	make_report(&r, 2, false, 0x10, 8, "test_kernel_assert_writer", NULL, 0);
	r.bug_type = BUG_ASSERT;
	r.acc[0].type = ACC_ASSERT_NO_WRITES;
	classify_report(cl, &r);
	CHECK_INT(r.cls.verdict, V_REAL_RACE);
	CHECK_INT(r.cls.basis, BASIS_ASSERT_RACE);
	render_verdict_text(&r.cls, &t);
	CHECK_STR(t.reason, "assertion violated by another kernel access");
	verdict_text_release(&t);
	report_release(&r);
	make_report(&r, 1, false, 0x10, 8, "test_kernel_assert_writer", NULL, 0);
	r.bug_type = BUG_ASSERT;
	r.acc[0].type = ACC_ASSERT_NO_WRITES;
	classify_report(cl, &r);
	CHECK_INT(r.cls.basis, BASIS_ONE_STACK);
	render_verdict_text(&r.cls, &t);
	CHECK_STR(t.reason, "assertion violated by another kernel access (one stack shown)");
	verdict_text_release(&t);
	report_release(&r);
	make_report(&r, 1, true, 0x10, 8, "test_kernel_assert_writer", NULL, 0);
	r.bug_type = BUG_ASSERT;
	classify_report(cl, &r);
	CHECK_INT(r.cls.verdict, V_UNKNOWN_ORIGIN);
	CHECK_INT(r.cls.basis, BASIS_ASSERT_UNKNOWN);
	render_verdict_text(&r.cls, &t);
	CHECK_STR(t.reason, "assertion saw an unknown writer");
	verdict_text_release(&t);
	check_roundtrip(&r.cls);
	report_release(&r);
	classifier_free(cl);
}

/* The sentences come from the facts of the one occurrence: its own address. */
static void test_render_per_occurrence(void)
{
	struct rules *rs = test_rules();
	struct classifier *cl = classifier_new(rs, NULL);
	struct report a, b;
	struct verdict_text ta, tb;

	make_report(&a, 1, true, 0xffff888000b0a282ull, 2, "virtqueue_get_buf_ctx_split", NULL, 0);
	make_report(&b, 1, true, 0xffff888000bd7942ull, 2, "virtqueue_get_buf_ctx_split", NULL, 0);
	classify_report(cl, &a);
	classify_report(cl, &b);
	render_verdict_text(&a.cls, &ta);
	render_verdict_text(&b.cls, &tb);
	CHECK(str_startswith(ta.evidence, "a 2-byte read at 0xffff888000b0a282, "));
	CHECK(str_startswith(tb.evidence, "a 2-byte read at 0xffff888000bd7942, "));
	CHECK_STR(ta.reason, tb.reason);
	verdict_text_release(&ta);
	verdict_text_release(&tb);
	report_release(&a);
	report_release(&b);
	classifier_free(cl);
	rules_free(rs);
}

/* A variable lookup that names what it is given (the symbolizer's, without a vmlinux). */
static void fake_variable(void *data, const struct report *r, int acc, struct cls_variable *out)
{
	const struct cls_variable *v = data;

	(void)r;
	(void)acc;
	cls_variable_copy(out, v);
}

static void test_variable(void)
{
	struct rules *rs = test_rules();
	struct classifier *cl = classifier_new(rs, NULL);
	struct cls_variable bss = { VARB_IMAGE, (char *)"cpus_stop_mask", 0, 8, (char *)".bss", (char *)"vmlinux",
				    false, 0 };
	struct cls_variable mod = { VARB_MODULE_UNKNOWN, NULL, 0, 0, NULL, (char *)"kcsan_test", false, 0 };
	struct report r;
	struct verdict_text t;
	char *answer;

	classifier_set_variable(cl, fake_variable, &bss);
	/* no rule covers it: unknown origin, on kernel memory */
	make_report(&r, 1, true, 0xffffffff81ff1990ull, 8, "_find_first_bit", NULL, 0);
	classify_report(cl, &r);
	CHECK_INT(r.cls.verdict, V_UNKNOWN_ORIGIN);
	CHECK_INT(r.cls.basis, BASIS_NO_RULE);
	CHECK_STR(r.cls.var.name, "cpus_stop_mask");
	CHECK_STR(r.cls.var.section, ".bss");
	render_verdict_text(&r.cls, &t);
	CHECK_STR(t.reason, "kernel static variable cpus_stop_mask: not device memory; look for an uninstrumented writer");
	CHECK(strstr(t.evidence, "the address is kernel static variable cpus_stop_mask+0x0/0x8 (.bss of vmlinux), at "
		     "the vmlinux's own address (the report shows no KASLR slide): kernel memory, not device memory") != NULL);
	answer = render_answer(&r.cls, NULL, &t, "_find_first_bit");
	CHECK(answer && strstr(answer, "it is kernel static variable cpus_stop_mask, not device memory; missing: the writer"));
	free(answer);
	verdict_text_release(&t);
	check_roundtrip(&r.cls);
	report_release(&r);

	/* a device-written member fits: the DMA API maps no image memory for a device, so only likely */
	make_report(&r, 1, true, 0xffffffff81ff1992ull, 2, "virtqueue_get_buf_ctx_split", NULL, 0);
	classify_report(cl, &r);
	CHECK_INT(r.cls.verdict, V_DEVICE_ORIGIN);
	CHECK_INT(r.cls.confidence, CONF_LIKELY);
	render_verdict_text(&r.cls, &t);
	CHECK(strstr(t.evidence, "but the address is kernel static variable cpus_stop_mask") != NULL);
	verdict_text_release(&t);
	check_roundtrip(&r.cls);
	report_release(&r);

	/* a hypervisor-written member that fits: shared pages may be static (pvclock's are), so no change */
	{
		static const char hv_text[] = "struct pvclock_vcpu_time_info\n"
					      "    writer      hypervisor\n"
					      "    reference   Documentation/virt/kvm/x86/msr.rst\n"
					      "    align       4\n"
					      "    function    ^pvclock_clocksource_read$\n"
					      "    member version\n"
					      "        offset  0\n"
					      "        size    4\n";
		struct ctx ctx = { 0 };
		struct rules *hv = xcalloc(1, sizeof(*hv));
		struct classifier *hc;

		CHECK_INT(rules_parse(&ctx, hv, "hv.rules", hv_text, strlen(hv_text)), 0);
		hc = classifier_new(hv, NULL);
		classifier_set_variable(hc, fake_variable, &bss);
		make_report(&r, 1, true, 0xffffffff81ff1990ull, 4, "pvclock_clocksource_read", NULL, 0);
		classify_report(hc, &r);
		CHECK_INT(r.cls.verdict, V_DEVICE_ORIGIN);
		CHECK_INT(r.cls.writer, W_HYPERVISOR);
		CHECK_INT(r.cls.confidence, CONF_CERTAIN);
		render_verdict_text(&r.cls, &t);
		CHECK(strstr(t.evidence, "the address is kernel static variable cpus_stop_mask+0x0/0x8 (.bss of vmlinux), "
			     "at the vmlinux's own address (the report shows no KASLR slide): memory a hypervisor shares "
			     "with the kernel may be static") != NULL);
		verdict_text_release(&t);
		report_release(&r);
		classifier_free(hc);
		rules_free(hv);
	}

	/* a real race names it too, as a fact; the reason is the race's */
	classifier_set_variable(cl, fake_variable, &mod);
	make_report(&r, 2, false, 0xffffffffc0030268ull, 8, "test_kernel_rmw_array", NULL, 0);
	classify_report(cl, &r);
	CHECK_INT(r.cls.verdict, V_REAL_RACE);
	CHECK_INT(r.cls.var.basis, VARB_MODULE_UNKNOWN);
	render_verdict_text(&r.cls, &t);
	CHECK_STR(t.reason, "two stacks: both accesses are kernel code");
	CHECK_INT(t.nfacts, 2);
	CHECK_STR(t.facts[1], "the address is in the module area under frames of [kcsan_test]: a module's static "
		  "memory, but where the module was loaded is not in the log, so no variable is named");
	verdict_text_release(&t);
	check_roundtrip(&r.cls);
	report_release(&r);
	classifier_free(cl);
	rules_free(rs);
}

static void test_facts_strict(void)
{
	struct classification c = { 0 };
	char *err = NULL;

	CHECK_INT(facts_decode("basis=member-fits\nverdict=device-origin\n", &c, &err), 0);
	CHECK_INT(c.basis, BASIS_MEMBER_FITS);
	CHECK_INT(c.verdict, V_DEVICE_ORIGIN);
	CHECK_INT(facts_decode("verdict=maybe\n", &c, &err), -1);
	CHECK(err && strstr(err, "verdict=maybe"));
	free(err);
	CHECK_INT(facts_decode("colour=blue\n", &c, &err), -1);
	free(err);
	CHECK_INT(facts_decode("size=12x\n", &c, &err), -1);
	free(err);
	CHECK_INT(facts_decode("excluded=width:flags\n", &c, &err), -1);
	free(err);
	CHECK_INT(facts_decode("expr=a\\qb\n", &c, &err), -1);
	free(err);
	/* escapes: a newline and a backslash survive */
	c.expr = xstrdup("a\\b\nc");
	{
		char *enc = facts_encode(&c);
		struct classification d = { 0 };

		CHECK_INT(facts_decode(enc, &d, &err), 0);
		CHECK_STR(d.expr, "a\\b\nc");
		classification_release(&d);
		free(enc);
	}
	classification_release(&c);
}

static void test_names(void)
{
	for (int v = V_DEVICE_ORIGIN; v <= V_UNKNOWN_ORIGIN; v++)
		CHECK_INT(verdict_from_name(verdict_name((enum verdict)v)), v);
	CHECK_INT(verdict_from_name("none"), -1);
	CHECK_INT(verdict_from_name("Device-origin"), -1);
	for (int w = W_DEVICE; w <= W_USER; w++)
		CHECK_INT(writer_from_name(writer_name((enum writer)w)), w);
	CHECK_INT(writer_from_name("firmware"), -1);   /* no silent "user" */
	CHECK_INT(writer_from_name(NULL), -1);
	for (int cf = CONF_LIKELY; cf <= CONF_CERTAIN; cf++)
		CHECK_INT(confidence_from_name(confidence_name((enum confidence)cf)), cf);
	CHECK_INT(confidence_from_name("sure"), -1);
	for (int t = ACC_READ; t <= ACC_ASSERT_NO_ACCESSES; t++)
		CHECK_INT(access_type_from_name(access_type_name((enum access_type)t)), t);
	CHECK_INT(access_type_from_name("?"), -1);
	CHECK_INT(bug_type_from_name("assert"), BUG_ASSERT);
	CHECK_INT(bug_type_from_name("data-race"), BUG_DATA_RACE);
	CHECK_INT(bug_type_from_name("race"), -1);
	CHECK_INT(access_ctx_from_name("interrupt"), CTX_INTERRUPT);
	CHECK_INT(access_ctx_from_name("irq"), -1);
	for (int b = BASIS_TWO_STACKS; b <= BASIS_STORED; b++)
		CHECK_INT(cls_basis_from_name(cls_basis_name((enum cls_basis)b)), b);
	CHECK_INT(layout_source_from_name("dwarf"), LAYOUT_DWARF);
	CHECK_INT(exclusion_from_name("size"), EXCL_SIZE);
	for (int b = VARB_IMAGE; b <= VARB_MODULE_UNKNOWN; b++)
		CHECK_INT(var_basis_from_name(var_basis_name((enum var_basis)b)), b);
	CHECK_INT(var_basis_from_name("none"), -1);
}

UNIT_MAIN(TEST(test_device_origin), TEST(test_device_origin_source), TEST(test_near_miss),
	  TEST(test_real_race_and_assert), TEST(test_render_per_occurrence), TEST(test_facts_strict),
	  TEST(test_variable), TEST(test_names))
