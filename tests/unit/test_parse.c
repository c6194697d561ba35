/* Unit tests: the frame grammar, BUG lines, the normalizer and the parser state machine. */
#define _GNU_SOURCE
#include "unit.h"

#include <pthread.h>

#include <unistd.h>

#include "normalize.h"
#include "parse.h"
#include "pipeline.h"

static void frame_case(const char *line, bool bare, bool want, const char *func, const char *module,
		       const char *file, int lineno, bool inl, long long off, long long size)
{
	struct frame f;
	bool ok = parse_frame_text(line, strlen(line), bare, &f);

	CHECK_INT(ok, want);
	if (!ok || !want)
		return;
	CHECK_STR(f.func, func);
	CHECK_STR(f.module, module);
	CHECK_STR(f.file, file);
	CHECK_INT(f.line, lineno);
	CHECK_INT(f.inlined, inl);
	if (off >= 0) {
		CHECK(f.has_off);
		CHECK_INT(f.off, off);
		CHECK_INT(f.size, size);
	} else {
		CHECK(!f.has_off);
	}
	frame_release(&f);
}

static void test_frames(void)
{
	frame_case("virtqueue_get_buf_ctx_split+0x5e/0x200", false, true,
		   "virtqueue_get_buf_ctx_split", NULL, NULL, 0, false, 0x5e, 0x200);
	frame_case("__send_control_msg.isra.0+0x158/0x160 [virtio_console]", false, true,
		   "__send_control_msg.isra.0", "virtio_console", NULL, 0, false, 0x158, 0x160);
	frame_case("ext4_create+0x171/0x2f0 [ext4 4fc2a9b1e33d0a1cd8e2a3b1b62f34e0d92c7aa1]", false, true,
		   "ext4_create", "ext4", NULL, 0, false, 0x171, 0x2f0);
	frame_case("? ret_from_fork+0x1f/0x30", false, true, "ret_from_fork", NULL, NULL, 0, false, 0x1f, 0x30);
	frame_case("[<ffffffff81234567>] do_idle+0x1cd/0x230", false, true, "do_idle", NULL, NULL, 0, false,
		   0x1cd, 0x230);
	frame_case("pipe_write+0x4a1/0xb60 fs/pipe.c:542", false, true, "pipe_write", NULL, "fs/pipe.c", 542,
		   false, 0x4a1, 0xb60);
	frame_case("call_write_iter include/linux/fs.h:2020 [inline]", false, true, "call_write_iter", NULL,
		   "include/linux/fs.h", 2020, true, -1, 0);
	frame_case("finish_task_switch         kernel/sched/core.c:4848", false, true, "finish_task_switch",
		   NULL, "kernel/sched/core.c", 4848, false, -1, 0);
	/* decode_stacktrace: the last location is the function's own line */
	frame_case("tick_nohz_handler (kernel/time/tick-sched.c:229 kernel/time/tick-sched.c:287)", false, true,
		   "tick_nohz_handler", NULL, "kernel/time/tick-sched.c", 287, false, -1, 0);
	frame_case("sysvec_apic_timer_interrupt (arch/x86/kernel/apic/apic.c:1043 (discriminator 2))", false,
		   true, "sysvec_apic_timer_interrupt", NULL, "arch/x86/kernel/apic/apic.c", 1043, false, -1, 0);
	frame_case("__send_to_port (drivers/char/virtio_console.c:612) virtio_console", false, true,
		   "__send_to_port", "virtio_console", "drivers/char/virtio_console.c", 612, false, -1, 0);
	/* faddr2line */
	frame_case("blk_mq_rq_ctx_init+0x1f3/0x300:", false, true, "blk_mq_rq_ctx_init", NULL, NULL, 0, false,
		   0x1f3, 0x300);
	/* unsymbolized and bare entries only where a stack is expected */
	frame_case("0xc26420dc", true, true, "0xc26420dc", NULL, NULL, 0, false, -1, 0);
	frame_case("0xc26420dc", false, false, NULL, NULL, NULL, 0, false, -1, 0);
	frame_case("deferred_init_max21d", true, true, "deferred_init_max21d", NULL, NULL, 0, false, -1, 0);
	frame_case("deferred_init_max21d", false, false, NULL, NULL, NULL, 0, false, -1, 0);
	/* not frames */
	frame_case("Hello world", true, false, NULL, NULL, NULL, 0, false, -1, 0);
	frame_case("usbcore: registered new interface driver cdc_ether", true, false, NULL, NULL, NULL, 0, false, -1, 0);
	frame_case("foo (bar)", false, false, NULL, NULL, NULL, 0, false, -1, 0);
	frame_case("func+0x1/", false, false, NULL, NULL, NULL, 0, false, -1, 0);
	/* the line unknown: decode_stacktrace's "file:?", syzbot's "file:-1" */
	frame_case("rcu_sched_clock_irq (kernel/rcu/tree.c:?)", false, true, "rcu_sched_clock_irq", NULL,
		   "kernel/rcu/tree.c", 0, false, -1, 0);
	frame_case("update_process_times (kernel/time/timer.c:? kernel/time/timer.c:2071)", false, true,
		   "update_process_times", NULL, "kernel/time/timer.c", 2071, false, -1, 0);
	frame_case("inode_get_ctime include/linux/fs.h:-1 [inline]", false, true, "inode_get_ctime", NULL,
		   "include/linux/fs.h", 0, true, -1, 0);
	frame_case("f (a.c:?x)", false, false, NULL, NULL, NULL, 0, false, -1, 0);
	frame_case("f a.c:- [inline]", true, false, NULL, NULL, NULL, 0, false, -1, 0);
	/* a comment after a frame is no part of it */
	frame_case("set_reorder_access kernel/kcsan/core.c:416 [inline]    <-- inconsistent", false, true,
		   "set_reorder_access", NULL, "kernel/kcsan/core.c", 416, true, -1, 0);
	frame_case("access_thread (kernel/kcsan/kcsan_test.c:1194) kcsan_test   # here", false, true, "access_thread",
		   "kcsan_test", "kernel/kcsan/kcsan_test.c", 1194, false, -1, 0);
	frame_case("kthread (kernel/kthread.c:376)    <== caller", false, true, "kthread", NULL, "kernel/kthread.c",
		   376, false, -1, 0);
	frame_case("test_kernel_reorder_access+0x9a/0xd0 [kcsan_test]   // reads it twice", false, true,
		   "test_kernel_reorder_access", "kcsan_test", NULL, 0, false, 0x9a, 0xd0);
	frame_case("access_thread (kernel/kcsan/kcsan_test.c:1194) this one", false, false, NULL, NULL, NULL, 0, false,
		   -1, 0);
	frame_case("deferred_init_max21d   <-- a name alone is no frame with a comment", true, false, NULL, NULL, NULL,
		   0, false, -1, 0);
	/* a module tag cut by a wrapped line is still a module */
	frame_case("ext4_read_inode_bitmap+0x2f1/0xa30 [ext4", false, true, "ext4_read_inode_bitmap", "ext4",
		   NULL, 0, false, 0x2f1, 0xa30);
}

static void bug_case(const char *line, bool want, const char *title, enum bug_type bt, int nf, bool inl)
{
	char *t = NULL;
	enum bug_type b;
	int n;
	bool i;
	bool ok = parse_bug_line(line, strlen(line), &t, &b, &n, &i);

	CHECK_INT(ok, want);
	if (ok && want) {
		CHECK_STR(t, title);
		CHECK_INT(b, bt);
		CHECK_INT(n, nf);
		CHECK_INT(i, inl);
	}
	free(t);
}

static void test_bug_lines(void)
{
	bug_case("BUG: KCSAN: data-race in find_next_bit / rcu_report_exp_cpu_mult", true,
		 "KCSAN: data-race in find_next_bit / rcu_report_exp_cpu_mult", BUG_DATA_RACE, 2, false);
	bug_case("BUG: KCSAN: data-race in e1000_clean_rx_irq+0x551/0xb10", true,
		 "KCSAN: data-race in e1000_clean_rx_irq", BUG_DATA_RACE, 1, false);
	bug_case("BUG: KCSAN: assert: race in dequeue_entities+0x6df/0x760", true,
		 "KCSAN: assert: race in dequeue_entities", BUG_ASSERT, 1, false);
	bug_case("BUG: KCSAN: racing read in __spin_yield+0xa8/0x180", true, "KCSAN: racing read in __spin_yield",
		 BUG_DATA_RACE, 1, false);
	bug_case("BUG: KCSAN: data-race in _raw_spin_lock_irqsave+0x13c/0x1b0 and _raw_spin_unlock_irqrestore+0x94/0x100",
		 true, "KCSAN: data-race in _raw_spin_lock_irqsave and _raw_spin_unlock_irqrestore", BUG_DATA_RACE, 2,
		 false);
	bug_case("BUG: KCSAN: data-race in __jbd2_journal_refile_buffer [jbd2] / jbd2_write_access_granted [jbd2]", true,
		 "KCSAN: data-race in __jbd2_journal_refile_buffer / jbd2_write_access_granted", BUG_DATA_RACE, 2, false);
	bug_case("BUG: KCSAN: data-race in tcp_orphan_count_sum net/ipv4/tcp.c:2476 [inline]", true,
		 "KCSAN: data-race in tcp_orphan_count_sum", BUG_DATA_RACE, 1, true);
	bug_case("BUG: KCSAN: data-race in tick_nohz_next_event (kernel/time/tick-sched.c:815)", true,
		 "KCSAN: data-race in tick_nohz_next_event", BUG_DATA_RACE, 1, false);
	/* cut by a mail client: a BUG line without a title yet */
	bug_case("BUG: KCSAN: data-race in", true, NULL, BUG_DATA_RACE, 1, false);
	bug_case("BUG: KCSAN: data-", true, NULL, BUG_DATA_RACE, 1, false);
	/* a kind this tool does not know: kept, titled as printed */
	bug_case("BUG: KCSAN: weak-memory race in __wake_up_common+0x6b/0x180 / do_idle+0x10a/0x200", true,
		 "KCSAN: weak-memory race in __wake_up_common / do_idle", BUG_UNKNOWN, 2, false);
	bug_case("BUG: KCSAN: weak-memory race in", true, NULL, BUG_UNKNOWN, 1, false);
	bug_case("BUG: KCSAN: weak-memory race", true, NULL, BUG_UNKNOWN, 1, false);
	/* another console line merged in: no title from the fragment */
	bug_case("BUG: KCSAN: data-race in tcp_[   12.345678] e1000e 0000:00:19.0 eth0: NIC Link is Up / bar", true,
		 NULL, BUG_DATA_RACE, 2, false);
	bug_case("BUG: KCSAN: data-race in tcp_recvmsg [12345.678901] foo / bar", true, NULL, BUG_DATA_RACE, 2, false);
	bug_case("BUG: KCSAN: data-race in tcp_[", true, NULL, BUG_DATA_RACE, 2, false);
	bug_case("BUG: KCSAN: data-race in a / tcp_sendmsg [", true, NULL, BUG_DATA_RACE, 2, false);
	/* not BUG lines */
	bug_case("BUG: KCSAN: Unknown thing in foo", false, NULL, BUG_DATA_RACE, 0, false);
	bug_case("BUG: KASAN: use-after-free in foo+0x1/0x2", false, NULL, BUG_DATA_RACE, 0, false);
	bug_case("80  BUG: KCSAN: data-race in x+0x1/0x2", false, NULL, BUG_DATA_RACE, 0, false);
	bug_case("BUG: KCSAN: %s in %pS\\n\", get_bug_type(type),", false, NULL, BUG_DATA_RACE, 0, false);
}

static void norm_case(const char *in, const char *text, int depth, const char *ts)
{
	struct normalizer nz = { 0 };
	struct input_line il = { .text = in, .len = strlen(in), .lineno = 7, .offset = 99 };
	struct nline nl;

	normalize_line(&nz, &il, &nl);
	CHECK_STR(nl.text, text);
	CHECK_INT(nl.depth, depth);
	if (ts) {
		char buf[64];

		CHECK(nl.ts != NULL);
		snprintf(buf, sizeof(buf), "%.*s", (int)nl.ts_len, nl.ts ? nl.ts : "");
		CHECK_STR(buf, ts);
	} else {
		CHECK(nl.ts == NULL);
	}
	CHECK_INT(nl.lineno, 7);
	normalizer_release(&nz);
}

static void test_normalize(void)
{
	norm_case("[   44.377931][    C4] BUG: KCSAN: x", "BUG: KCSAN: x", 0, "44.377931");
	norm_case("[ 2268.021382][T25724]  foo+0x1/0x2", "foo+0x1/0x2", 0, "2268.021382");
	norm_case("[Thu May 28 03:51:53 2020] read to 0x1", "read to 0x1", 0, "Thu May 28 03:51:53 2020");
	norm_case("> > > [  206.875637] BUG: KCSAN: y", "BUG: KCSAN: y", 3, "206.875637");
	norm_case(">>>> [  93.5][  T616] fill_pool+0x38/0x700 ", "fill_pool+0x38/0x700", 4, "93.5");
	norm_case("  | write (marked) to 0x1", "write (marked) to 0x1", 1, NULL);
	norm_case("|   +-> reordered to: f+0x1/0x2", "+-> reordered to: f+0x1/0x2", 1, NULL);
	norm_case("Nov 21 06:00:01 host kernel: [   12.000001] value changed: 0x1 -> 0x2",
		  "value changed: 0x1 -> 0x2", 0, "12.000001");
	norm_case("Nov 21 06:00:01 host kernel: CPU: 0 PID: 1 Comm: x", "CPU: 0 PID: 1 Comm: x", 0, NULL);
	norm_case("<4>[   12.5] BUG: KCSAN: z", "BUG: KCSAN: z", 0, "12.5");
	norm_case("4,1234,5678901,-;BUG: KCSAN: z", "BUG: KCSAN: z", 0, NULL);
	norm_case("kern  :err   : [   12.5] BUG: KCSAN: z", "BUG: KCSAN: z", 0, "12.5");
	norm_case("[\xc2\xa0 410.301524]\xc2\xa0 e1000_clean+0x4a5/0xc40", "e1000_clean+0x4a5/0xc40", 0, "410.301524");
	norm_case("\x1b[2J[    0.000000] Linux version 6.1.192", "Linux version 6.1.192", 0, "0.000000");
	norm_case("+    BUG: KCSAN: data-race in a / b", "BUG: KCSAN: data-race in a / b", 1, NULL);
	norm_case("+-> reordered to: f+0x1/0x2", "+-> reordered to: f+0x1/0x2", 0, NULL);
	{
		/* console text glued in front of a frame */
		struct normalizer nz = { 0 };
		const char *in = "Starting Show Pl[  112.884653][  T364]  do_wp_page+0x107/0x7b0";
		struct input_line il = { .text = in, .len = strlen(in) };
		struct nline nl;

		normalize_line(&nz, &il, &nl);
		CHECK(nl.alt != NULL);
		CHECK_INT(nl.alt_len, strlen("do_wp_page+0x107/0x7b0"));
		CHECK(nl.alt && !memcmp(nl.alt, "do_wp_page+0x107/0x7b0", nl.alt_len));
		normalizer_release(&nz);
	}
}

/* Feed a text through normalizer and parser; collect the reports. */
struct collected {
	struct report *r[16];
	int n;
};

static void collect(struct report *r, void *data)
{
	struct collected *c = data;

	if (c->n < 16)
		c->r[c->n++] = r;
	else
		report_free(r);
}

static void collect_report(struct report *r, const struct enrichment *e, void *data)
{
	(void)e;
	collect(r, data);
}

/* Feed a text through the pipeline (read, normalize, parse), as scan reads a file. */
static void parse_text(const char *text, struct collected *c)
{
	static const struct pipeline_ops ops = { .report = collect_report };
	char path[] = "/tmp/kt-unit-parse.XXXXXX";
	int fd = mkstemp(path);
	size_t n = strlen(text);
	struct ctx ctx = { 0 };
	struct pipeline *pl;

	memset(c, 0, sizeof(*c));
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, text, n) == (ssize_t)n);
	close(fd);
	ctx.quiet = 1;
	pl = pipeline_new(&ctx, NULL, &ops, c);
	CHECK_INT(pipeline_run_file(pl, path), 0);
	pipeline_free(pl);
	unlink(path);
}

static int count_in(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void free_collected(struct collected *c)
{
	for (int i = 0; i < c->n; i++)
		report_free(c->r[i]);
}

static void test_state_machine(void)
{
	struct collected c;

	/* a complete report with the verbose lock list between its accesses */
	parse_text("==================================================================\n"
		   "BUG: KCSAN: data-race in a_func / b_func\n"
		   "\n"
		   "write (marked) to 0xffff888000001000 of 8 bytes by task 10 on cpu 1:\n"
		   " b_func+0x10/0x20\n"
		   " kthread+0x1/0x2\n"
		   "\n"
		   "1 lock held by x/10:\n"
		   " #0: ffff888000002000 (&lock){+.+.}-{2:2}, at: b_func+0x8/0x20\n"
		   "irq event stamp: 5\n"
		   "hardirqs last  enabled at (5): [<ffffffff81000000>] c_func+0x1/0x2\n"
		   "\n"
		   "read (reordered) to 0xffff888000001000 of 8 bytes by interrupt on cpu 0:\n"
		   " a_func+0x30/0x40\n"
		   "  |\n"
		   "  +-> reordered to: a_func+0x38/0x40\n"
		   "\n"
		   "value changed: 0x0000000000000001 -> 0x0000000000000002\n"
		   " bits changed: 0x0000000000000003 with mask 0x00000000000000ff\n"
		   "\n"
		   "Reported by Kernel Concurrency Sanitizer on:\n"
		   "CPU: 0 UID: 0 PID: 0 Comm: swapper/0 Not tainted 6.12.0-rc1+ #7 PREEMPT(voluntary)\n"
		   "Hardware name: QEMU\n"
		   "==================================================================\n",
		   &c);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		struct report *r = c.r[0];

		CHECK_STR(r->title, "KCSAN: data-race in a_func / b_func");
		CHECK_INT(r->nacc, 2);
		CHECK_INT(r->acc[0].marked, 1);
		CHECK_INT(r->acc[0].nframes, 2);    /* the lock list's frames are not the stack's */
		CHECK_INT(r->acc[1].reordered, 1);
		CHECK_INT(r->acc[1].ctx, CTX_INTERRUPT);
		CHECK_INT(r->acc[1].nframes, 1);
		CHECK(r->acc[1].reordered_to != NULL);
		CHECK_STR(r->kernel, "6.12.0-rc1+");
		CHECK_STR(r->comm, "swapper/0");
		CHECK_STR(r->value_old, "0x0000000000000001");
		CHECK_STR(r->bits_mask, "0x00000000000000ff");
		CHECK_STR(r->hardware, "QEMU");
		CHECK_INT(r->truncated, 0);
		CHECK_INT(r->line, 2);
	}
	free_collected(&c);

	/* a list of titles is no report; a headless report needs a stack */
	parse_text("BUG: KCSAN: data-race in a / b\nBUG: KCSAN: data-race in c\n\nprose\n", &c);
	CHECK_INT(c.n, 0);
	free_collected(&c);
	parse_text("some prose\nread to 0x1 of 4 bytes by task 1 on cpu 0:\n\nprose\n", &c);
	CHECK_INT(c.n, 0);
	free_collected(&c);
	/* but a BUG line with its access lines is a report, stacks elided or not */
	parse_text("BUG: KCSAN: data-race in c / d\n\nread to 0x1 of 4 bytes by task 1 on cpu 0:\n\n"
		   "write to 0x1 of 4 bytes by task 2 on cpu 1:\n\nReported by Kernel Concurrency Sanitizer on:\n", &c);
	CHECK_INT(c.n, 1);
	free_collected(&c);

}

/* Wrapped lines, reports without a BUG line, reports cut short or interleaved. */
static void test_state_machine_forms(void)
{
	struct collected c;

	/* a wrapped access line and a wrapped CPU line */
	parse_text("BUG: KCSAN: data-race in f+0x1/0x2\n\n"
		   "race at unknown origin, with read to 0xffff888000000010 of 4\n"
		   "bytes by interrupt on cpu 9:\n f+0x1/0x2\n\n"
		   "Reported by Kernel Concurrency Sanitizer on:\n"
		   "CPU: 9 PID: 0 Comm: swapper/9 Tainted: G\n"
		   "          T  6.1.0-next-20221214 #2\n", &c);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		CHECK_INT(c.r[0]->unknown_origin, 1);
		CHECK_INT(c.r[0]->acc[0].size, 4);
		CHECK_INT(c.r[0]->acc[0].cpu, 9);
		CHECK_STR(c.r[0]->kernel, "6.1.0-next-20221214");
		/* each physical line once in the raw text, the held ones too */
		CHECK_INT(count_in(sbuf_str(&c.r[0]->raw), "of 4\n"), 1);
		CHECK_INT(count_in(sbuf_str(&c.r[0]->raw), "Tainted: G\n"), 1);
		CHECK_INT(count_in(sbuf_str(&c.r[0]->raw), "\n"), 9);
	}
	free_collected(&c);

	/* without a BUG line, in a console log as in text */
	for (int timed = 0; timed < 2; timed++) {
		const char *ts = timed ? "[   12.5] " : "";
		struct sbuf sb = SBUF_INIT;

		for (int i = 0; i < 50; i++)
			sbuf_addf(&sb, "%snoise line %d\n", ts, i);
		sbuf_addf(&sb, "%swrite to 0x10 of 8 bytes by task 1 on cpu 0:\n%s a+0x1/0x2\n%s\n"
			  "%sread to 0x10 of 8 bytes by task 2 on cpu 1:\n%s b+0x1/0x2\n", ts, ts, ts, ts, ts);
		parse_text(sb.buf, &c);
		CHECK_INT(c.n, 1);
		if (c.n == 1)
			CHECK_INT(c.r[0]->nacc, 2);
		free_collected(&c);
		sbuf_release(&sb);
	}

	/* a report cut short is kept and marked */
	parse_text("BUG: KCSAN: data-race in a / b\n\nwrite to 0x10 of 8 bytes by task 1 on cpu 0:\n"
		   " a+0x1/0x2\n", &c);
	CHECK_INT(c.n, 1);
	if (c.n == 1)
		CHECK_INT(c.r[0]->truncated, 1);
	free_collected(&c);

	/* a decode_stacktrace frame wrapped before its "(" is one frame */
	parse_text("BUG: KCSAN: data-race in f (a/f.c:1)\n\n"
		   "race at unknown origin, with read to 0x10 of 8 bytes by task 1 on cpu 0:\n"
		   " f (a/f.c:1)\n __sysvec_apic_timer_interrupt\n (arch/x86/kernel/apic/apic.c:1097)\n"
		   " sysvec_apic_timer_interrupt\n (arch/x86/kernel/apic/apic.c:1090 (discriminator 14))\n"
		   " asm_sysvec_apic_timer_interrupt (arch/x86/include/asm/idtentry.h:645)\n\n", &c);
	CHECK_INT(c.n, 1);
	if (c.n == 1 && c.r[0]->nacc == 1) {
		CHECK_INT(c.r[0]->acc[0].nframes, 4);
		CHECK_STR(c.r[0]->acc[0].frames[2].file, "arch/x86/kernel/apic/apic.c");
		CHECK_INT(c.r[0]->acc[0].frames[2].line, 1090);
	}
	free_collected(&c);

	/* another console line merged into the BUG line: cut, and no title from the fragment */
	parse_text("BUG: KCSAN: data-race in tcp_[   12.345678] e1000e: eth0 NIC Link is Up / bar\n\n"
		   "read to 0x10 of 8 bytes by task 1 on cpu 0:\n a+0x1/0x2\n\n"
		   "write to 0x10 of 8 bytes by task 2 on cpu 1:\n b+0x1/0x2\n\n"
		   "Reported by Kernel Concurrency Sanitizer on:\nCPU: 1 PID: 2 Comm: x Not tainted 6.1.0 #1\n", &c);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		char *t = report_display_title(c.r[0]);

		CHECK_STR(c.r[0]->title, NULL);
		CHECK_INT(c.r[0]->truncated, 1);
		CHECK_INT(c.r[0]->bug_corrupt, 1);
		CHECK_INT(c.r[0]->nacc, 2);
		/* it had a BUG line: shown as corrupted, not as missing */
		CHECK_STR(t, "KCSAN: data-race in a / b (BUG line corrupted)");
		free(t);
	}
	free_collected(&c);

	/* interleaved console lines do not break a stack */
	parse_text("[1.0] BUG: KCSAN: data-race in f+0x1/0x2\n[1.0]\n"
		   "[1.0] race at unknown origin, with read to 0x10 of 8 bytes by task 1 on cpu 0:\n"
		   "[1.0]  f+0x1/0x2\n[2.0] usbcore: registered new interface driver x\n[1.0]  g+0x1/0x2\n"
		   "[1.0]\n[1.0] Reported by Kernel Concurrency Sanitizer on:\n"
		   "[1.0] CPU: 0 PID: 1 Comm: x Not tainted 6.1.0 #1\n", &c);
	CHECK_INT(c.n, 1);
	if (c.n == 1)
		CHECK_INT(c.r[0]->acc[0].nframes, 2);
	free_collected(&c);
}

/* Prose and code between the quoted lines of one report. */
static void test_interrupted(void)
{
	struct collected c;
	struct sbuf prose = SBUF_INIT, text = SBUF_INIT;

	for (int i = 0; i < 12; i++)
		sbuf_addf(&prose, "\tline %d of the code excerpt(x, y);\n", i);
	/* resumed by the next access, after more lines than close a report */
	sbuf_addf(&text, "> BUG: KCSAN: data-race in a / b\n>\n> write to 0x10 of 8 bytes by task 1 on cpu 0:\n"
		  ">  a+0x1/0x2\n\n%s\n> read to 0x14 of 4 bytes by task 2 on cpu 1:\n>  b+0x1/0x2\n>\n"
		  "> Reported by Kernel Concurrency Sanitizer on:\n\n%s\n"
		  "> CPU: 1 PID: 2 Comm: x Not tainted 6.1.0 #1\n", prose.buf, prose.buf);
	parse_text(text.buf, &c);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		CHECK_INT(c.r[0]->nacc, 2);
		CHECK_STR(c.r[0]->kernel, "6.1.0");     /* its trailer, past an interjection */
		CHECK_INT(c.r[0]->truncated, 0);
	}
	free_collected(&c);
	/* resumed by a frame of its stack */
	sbuf_reset(&text);
	sbuf_addf(&text, "| BUG: KCSAN: data-race in a / b\n|\n| write to 0x10 of 8 bytes by task 1 on cpu 0:\n"
		  "|  a+0x1/0x2\n\n%s\n|  c+0x3/0x4\n|\n| read to 0x10 of 8 bytes by task 2 on cpu 1:\n"
		  "|  b+0x1/0x2\n", prose.buf);
	parse_text(text.buf, &c);
	CHECK_INT(c.n, 1);
	if (c.n == 1 && c.r[0]->nacc == 2)
		CHECK_INT(c.r[0]->acc[0].nframes, 2);
	free_collected(&c);
	/* never two reports with a BUG line each; no kernel from the next one */
	sbuf_reset(&text);
	sbuf_addf(&text, "BUG: KCSAN: data-race in a / b\n\nwrite to 0x10 of 8 bytes by task 1 on cpu 0:\n a+0x1/0x2\n"
		  "\n%s\nBUG: KCSAN: data-race in c / d\n\nread to 0x10 of 8 bytes by task 2 on cpu 1:\n c+0x1/0x2\n\n"
		  "write to 0x10 of 8 bytes by task 3 on cpu 0:\n d+0x1/0x2\n\n"
		  "CPU: 1 PID: 2 Comm: x Not tainted 6.1.0 #1\n", prose.buf);
	parse_text(text.buf, &c);
	CHECK_INT(c.n, 2);
	if (c.n == 2) {
		CHECK_INT(c.r[0]->nacc, 1);
		CHECK_STR(c.r[0]->kernel, NULL);
		CHECK_STR(c.r[1]->kernel, "6.1.0");
	}
	free_collected(&c);
	/* an access that does not overlap the first is another report's, interjection or not */
	parse_text("BUG: KCSAN: data-race in a / b\n\nwrite to 0x10 of 8 bytes by task 1 on cpu 0:\n a+0x1/0x2\n"
		   "\nwrite to 0x40 of 4 bytes by task 5 on cpu 0:\n e+0x1/0x2\n\n"
		   "read to 0x40 of 4 bytes by task 6 on cpu 1:\n f+0x1/0x2\n\n"
		   "CPU: 1 PID: 6 Comm: x Not tainted 6.2.0 #1\n", &c);
	CHECK_INT(c.n, 2);
	if (c.n == 2) {
		CHECK_INT(c.r[0]->nacc, 1);
		CHECK_STR(c.r[0]->kernel, NULL);
		CHECK_INT(c.r[1]->nacc, 2);
	}
	free_collected(&c);
	/* bounded: past PARK_LIMIT lines of interjection the report is done */
	sbuf_reset(&text);
	sbuf_addf(&text, "BUG: KCSAN: data-race in a / b\n\nwrite to 0x10 of 8 bytes by task 1 on cpu 0:\n a+0x1/0x2\n\n");
	for (int i = 0; i < 5; i++)
		sbuf_adds(&text, prose.buf);
	sbuf_adds(&text, "\nread to 0x10 of 8 bytes by task 2 on cpu 1:\n b+0x1/0x2\n");
	parse_text(text.buf, &c);
	CHECK_INT(c.n, 2);
	free_collected(&c);
	sbuf_release(&prose);
	sbuf_release(&text);
}

/* A log and the same log symbolized are one occurrence: the locations a symbolizer adds are no part of it. */
static void test_occurrence_identity(void)
{
	static const char *const texts[] = {
		"[   10.5] BUG: KCSAN: data-race in a_func / b_func\n[   10.5]\n"
		"[   10.5] write to 0x10 of 8 bytes by task 1 on cpu 0:\n"
		"[   10.5]  a_func+0x1/0x2 [mod]\n[   10.5]  ? c_func+0x3/0x4\n[   10.5]\n"
		"[   10.5] read to 0x10 of 8 bytes by task 2 on cpu 1:\n"
		"[   10.5]  b_func+0x5/0x6\n[   10.5]   |\n[   10.5]   +-> reordered to: b_func+0x7/0x8\n",
		/* kcsan-triage symbolize (syzbot's form): a location after each frame, inline levels between */
		"[   10.5] BUG: KCSAN: data-race in a_func / b_func\n[   10.5]\n"
		"[   10.5] write to 0x10 of 8 bytes by task 1 on cpu 0:\n"
		"[   10.5]  a_inner include/linux/a.h:12 [inline]\n"
		"[   10.5]  a_func+0x1/0x2 [mod] drivers/a/a.c:34\n[   10.5]  ? c_func+0x3/0x4 kernel/c.c:5\n"
		"[   10.5]\n[   10.5] read to 0x10 of 8 bytes by task 2 on cpu 1:\n"
		"[   10.5]  b_func+0x5/0x6 kernel/b.c:-1\n[   10.5]   |\n"
		"[   10.5]   +-> reordered to: b_func+0x7/0x8 kernel/b.c:9\n",
	};
	char hash[2][33];

	for (int i = 0; i < 2; i++) {
		struct collected c;

		parse_text(texts[i], &c);
		CHECK_INT(c.n, 1);
		if (c.n == 1) {
			report_occurrence_hash(c.r[0], hash[i]);
			CHECK_INT(c.r[0]->acc[0].nframes, 2 + i);
		}
		free_collected(&c);
	}
	CHECK_STR(hash[1], hash[0]);
}

/* Every number read from input is range-checked: no overflow, no garbage. */
static void test_numbers(void)
{
	struct collected c;

	/* a line number that does not fit is unknown (it was signed overflow) */
	frame_case("pipe_write+0x4a1/0xb60 fs/pipe.c:99999999999999999999", false, true, "pipe_write", NULL,
		   "fs/pipe.c", 0, false, 0x4a1, 0xb60);
	frame_case("pipe_write fs/pipe.c:2147483648 [inline]", false, true, "pipe_write", NULL, "fs/pipe.c", 0, true,
		   -1, 0);
	frame_case("pipe_write fs/pipe.c:2147483647", false, true, "pipe_write", NULL, "fs/pipe.c", 2147483647, false,
		   -1, 0);
	frame_case("pipe_write (fs/pipe.c:18446744073709551617 fs/pipe.c:542)", false, true, "pipe_write", NULL,
		   "fs/pipe.c", 542, false, -1, 0);
	frame_case("pipe_write (fs/pipe.c:542 fs/pipe.c:99999999999999999999)", false, true, "pipe_write", NULL,
		   "fs/pipe.c", 0, false, -1, 0);
	/* offsets, sizes and addresses are 64 bits or no frame */
	{
		const char *t = "f+0xffffffffffffffff/0x0000000000000000020";
		struct frame f;

		CHECK(parse_frame_text(t, strlen(t), false, &f));
		CHECK(f.has_off && f.off == UINT64_MAX && f.size == 0x20);
		frame_release(&f);
	}
	frame_case("f+0x10000000000000000/0x20", false, false, NULL, NULL, NULL, 0, false, -1, 0);
	frame_case("f+0x1/0x10000000000000000", false, false, NULL, NULL, NULL, 0, false, -1, 0);
	frame_case("0x10000000000000000", true, false, NULL, NULL, NULL, 0, false, -1, 0);

	/* access and CPU lines: what does not fit was not printed */
	parse_text("BUG: KCSAN: data-race in a / b\n\n"
		   "read to 0x1ffffffffffffffff of 99999999999999999999 bytes by task 99999999999 on cpu 4294967296:\n"
		   " a+0x1/0x2\n\n"
		   "write to 0xffffffffffffffff of 18446744073709551615 bytes by task 2147483647 on cpu 2147483647:\n"
		   " b+0x1/0x2\n\n"
		   "Reported by Kernel Concurrency Sanitizer on:\n"
		   "CPU: 99999999999999999999 PID: 99999999999999999999 Comm: x Not tainted 6.1.0 #1\n"
		   "\n", &c);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		const struct report *r = c.r[0];

		CHECK_INT(r->nacc, 2);
		CHECK_INT(r->acc[0].has_addr, 0);
		CHECK_INT(r->acc[0].has_size, 0);
		CHECK_INT(r->acc[0].pid, -1);
		CHECK_INT(r->acc[0].cpu, -1);
		CHECK_INT(r->acc[1].has_addr, 1);
		CHECK(r->acc[1].addr == UINT64_MAX);
		CHECK_INT(r->acc[1].has_size, 1);
		CHECK(r->acc[1].size == UINT64_MAX);
		CHECK_INT(r->acc[1].pid, 2147483647);
		CHECK_INT(r->acc[1].cpu, 2147483647);
		CHECK_INT(r->rep_cpu, -1);
		CHECK_INT(r->rep_pid, -1);
		CHECK_STR(r->kernel, "6.1.0");
	}
	free_collected(&c);

	/* faddr2line's line number */
	parse_text("BUG: KCSAN: data-race in a / b\n\n"
		   "read to 0x10 of 8 bytes by task 1 on cpu 0:\n"
		   " a+0x1/0x2\n"
		   "a at fs/a.c:99999999999999999999\n\n", &c);
	CHECK_INT(c.n, 1);
	if (c.n == 1 && c.r[0]->nacc == 1 && c.r[0]->acc[0].nframes == 1) {
		CHECK_STR(c.r[0]->acc[0].frames[0].file, "fs/a.c");
		CHECK_INT(c.r[0]->acc[0].frames[0].line, 0);
	}
	free_collected(&c);
}

/* ---------------------------------------------------------------------- */
/* reentrancy: parsers share nothing but the compiled grammar */

/* Two texts that use every part: wrapped BUG, access, CPU and frame lines, faddr2line lines. */
static const char *const reentrant_text[2] = {
	"[1.0] ==================================================================\n"
	"[1.0] BUG: KCSAN: data-race in a_func+0x1/0x2 /\n"
	"[1.0] b_func+0x3/0x4\n[1.0]\n"
	"[1.0] race at unknown origin, with read to 0xffff888000000010 of 4\n"
	"[1.0] bytes by interrupt on cpu 9:\n[1.0]  a_func+0x1/0x2\n[1.0]  c_func+0x5/0x6 [mod]\n"
	"[1.0] [2.0] usbcore: registered new interface driver x\n[1.0]  d_func+0x7/0x8\n[1.0]\n"
	"[1.0] value changed: 0x0000000000000001 -> 0x0000000000000002\n[1.0]\n"
	"[1.0] Reported by Kernel Concurrency Sanitizer on:\n"
	"[1.0] CPU: 9 PID: 0 Comm: swapper/9 Tainted: G\n"
	"[1.0]           T  6.1.0-next-20221214 #2\n"
	"[1.0] ==================================================================\n"
	"prose between reports\n"
	"BUG: KCSAN: data-race in e_func / f_func\n\n"
	"write to 0x20 of 8 bytes by task 7 on cpu 1:\n e_func+0x1/0x2\n\n",
	"> BUG: KCSAN: data-race in blk_mq_rq_ctx_init / blk_mq_rq_ctx_init\n>\n"
	"> write to 0xffff88810252a4f8 of 8 bytes by task 611 on cpu 3:\n"
	">  blk_mq_rq_ctx_init+0x1f3/0x300:\n>  blk_mq_rq_ctx_init at block/blk-mq.c:393\n"
	">  __blk_mq_alloc_requests+0x4c8/0x630:\n>  __blk_mq_alloc_requests_batch at block/blk-mq.c:431\n"
	">  (inlined by) __blk_mq_alloc_requests at block/blk-mq.c:478\n"
	">  tick_nohz_get_sleep_length (kernel/time/tick-sched.c:1266\n> (discriminator 2))\n>\n"
	"> read to 0xffff88810252a4f8 of 8 bytes by task 612 on cpu 1:\n"
	">  blk_mq_rq_ctx_init+0x24/0x300\n>  ? submit_bio+0x6a/0x90\n>\n"
	"> Reported by Kernel Concurrency Sanitizer on:\n"
	"> CPU: 1 PID: 612 Comm: fio Not tainted 6.4.0-rc1+ #3\n"
	"and a reply\n",
};

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

/* Everything the parser decides about a report, as text. */
static void fingerprint(struct report *r, void *data)
{
	struct sbuf *sb = data;
	char h[33];

	report_occurrence_hash(r, h);
	sbuf_addf(sb, "%s %s %d %d %d %s %s %llu-%llu %ld %d %s\n", or_dash(r->title), h, r->bug_type, r->nacc,
		  r->truncated, or_dash(r->kernel), or_dash(r->comm), (unsigned long long)r->line,
		  (unsigned long long)r->end_line, r->rep_pid, r->rep_cpu, or_dash(r->log_time));
	for (int i = 0; i < r->nacc; i++) {
		const struct access *a = &r->acc[i];

		sbuf_addf(sb, " %d %d %llx %llu %ld %d %s\n", a->type, a->ctx, (unsigned long long)a->addr,
			  (unsigned long long)a->size, a->pid, a->cpu, or_dash(a->task));
		for (size_t j = 0; j < a->nframes; j++)
			sbuf_addf(sb, "  %s %s %s:%d %s\n", a->frames[j].func, or_dash(a->frames[j].module),
				  or_dash(a->frames[j].file), a->frames[j].line, or_dash(a->frames[j].locs));
	}
	sbuf_add(sb, r->raw.buf, r->raw.len);
	report_free(r);
}

/* One text being fed, one line at a time. */
struct stream {
	struct parser *p;
	struct normalizer nz;
	const char *s;
	uint64_t ln;
	struct sbuf out;
};

static void stream_open(struct stream *st, const char *text)
{
	memset(st, 0, sizeof(*st));
	st->p = parser_new("t", fingerprint, &st->out);
	st->s = text;
	st->ln = 1;
}

/* Feed the next line: false at the end (the parser is finished and freed). */
static bool stream_step(struct stream *st)
{
	const char *e;
	size_t n;
	char *line;
	struct input_line il;
	struct nline nl;

	if (!*st->s) {
		if (st->p) {
			parser_finish(st->p);
			parser_free(st->p);
			normalizer_release(&st->nz);
			st->p = NULL;
		}
		return false;
	}
	e = strchr(st->s, '\n');
	n = e ? (size_t)(e - st->s) : strlen(st->s);
	line = strndup(st->s, n);
	il = (struct input_line){ .text = line, .len = n, .lineno = st->ln++ };
	normalize_line(&st->nz, &il, &nl);
	parser_feed(st->p, &nl);
	free(line);
	st->s += n + (e ? 1 : 0);
	return true;
}

static char *parse_alone_dup(const char *text)
{
	struct stream st;

	stream_open(&st, text);
	while (stream_step(&st))
		;
	return sbuf_detach(&st.out);
}

static void test_reentrant_interleaved(void)
{
	char *alone[2] = { parse_alone_dup(reentrant_text[0]), parse_alone_dup(reentrant_text[1]) };
	struct stream st[2];
	bool more;

	CHECK(strstr(alone[0], "KCSAN: data-race in a_func / b_func") != NULL);
	CHECK(strstr(alone[1], "blk_mq_alloc_requests_batch") != NULL);
	stream_open(&st[0], reentrant_text[0]);
	stream_open(&st[1], reentrant_text[1]);
	do {
		more = stream_step(&st[0]);
		more |= stream_step(&st[1]);
	} while (more);
	for (int i = 0; i < 2; i++) {
		CHECK_STR(sbuf_str(&st[i].out), alone[i]);
		sbuf_release(&st[i].out);
		free(alone[i]);
	}
}

struct parse_job {
	const char *text, *want;
	int mismatches;
	pthread_barrier_t *start;
};

static void *parse_job_run(void *arg)
{
	struct parse_job *job = arg;

	pthread_barrier_wait(job->start);
	for (int i = 0; i < 3000; i++) {
		char *got = parse_alone_dup(job->text);

		job->mismatches += strcmp(got, job->want) != 0;
		free(got);
	}
	return NULL;
}

/* Parsers in two threads at once, the shared grammar built by whichever comes first. */
static void test_reentrant_threads(void)
{
	struct parse_job job[2];
	pthread_t t[2];
	pthread_barrier_t start;

	pthread_barrier_init(&start, NULL, 2);
	for (int i = 0; i < 2; i++)
		job[i] = (struct parse_job){ reentrant_text[i], parse_alone_dup(reentrant_text[i]), 0, &start };
	parse_cleanup();
	for (int i = 0; i < 2; i++)
		CHECK_INT(pthread_create(&t[i], NULL, parse_job_run, &job[i]), 0);
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		CHECK_INT(job[i].mismatches, 0);
		free((char *)job[i].want);
	}
	pthread_barrier_destroy(&start);
	parse_cleanup();
}

UNIT_MAIN(TEST(test_frames), TEST(test_bug_lines), TEST(test_normalize), TEST(test_state_machine),
	  TEST(test_state_machine_forms), TEST(test_interrupted), TEST(test_occurrence_identity), TEST(test_numbers),
	  TEST(test_reentrant_interleaved), TEST(test_reentrant_threads))
