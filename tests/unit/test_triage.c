/* test_triage.c - triage files and the signature ID they key reports by. */
#define _GNU_SOURCE
#include "kt.h"
#include "report.h"
#include "triage.h"
#include "unit.h"

static struct ctx ctx;

/* Write text to a temporary file; its name in path. */
static void write_tmp(char path[64], const char *text)
{
	int fd;

	snprintf(path, 64, "/tmp/kt-triage-XXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

static void test_parse(void)
{
	struct triage t = { 0 };
	const struct triage_entry *e;
	char path[64];

	write_tmp(path, TRIAGE_HEADER "\n\n# KCSAN: data-race in b\n"
		  "ffffffffffffffff -\n"
		  "0123456789abcdef real-race\t  a note,  with blanks  \r\n"
		  "00000000000000aa device-origin\n");
	CHECK_INT(triage_load(&ctx, path, &t), 0);
	CHECK_INT(t.n, 3);
	/* sorted by ID */
	CHECK_STR(t.e[0].id, "00000000000000aa");
	e = triage_find(&t, "0123456789abcdef");
	CHECK(e != NULL);
	CHECK_INT(e ? (int)e->verdict : -1, V_REAL_RACE);
	CHECK_STR(e ? e->note : NULL, "a note,  with blanks");
	e = triage_find(&t, "ffffffffffffffff");
	CHECK_INT(e ? (int)e->verdict : -1, V_NONE);
	CHECK(e && e->note == NULL);
	CHECK(triage_find(&t, "0123456789abcdee") == NULL);
	triage_release(&t);
	unlink(path);
}

static void test_errors(void)
{
	static const char *const bad[] = {
		"0123456789abcde real-race\n",          /* 15 digits */
		"0123456789ABCDEF real-race\n",         /* upper case */
		"0123456789abcdef maybe\n",             /* no such verdict */
		"0123456789abcdef\n",                   /* no verdict */
		"0123456789abcdef -\n0123456789abcdef real-race\n",   /* twice */
	};
	int errors = ctx.errors;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct triage t = { 0 };
		char path[64];

		write_tmp(path, bad[i]);
		CHECK_INT(triage_load(&ctx, path, &t), -1);
		triage_release(&t);
		unlink(path);
	}
	CHECK_INT(ctx.errors - errors, 5);
	CHECK(triage_is_id("0123456789abcdef"));
	CHECK(!triage_is_id("0123456789abcdef0"));
	CHECK(!triage_is_id(""));
}

/* What triage_write_entry() writes, triage_load() reads back. */
static void test_round_trip(void)
{
	char path[64] = "/tmp/kt-triage-XXXXXX";
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");
	struct triage t = { 0 };

	triage_write_entry(fp, "00000000000000ab", V_DEVICE_ORIGIN, "line\none", "KCSAN: data-race in x\n# y");
	triage_write_entry(fp, "00000000000000ac", V_NONE, NULL, NULL);
	fclose(fp);
	CHECK_INT(triage_load(&ctx, path, &t), 0);
	CHECK_INT(t.n, 2);
	CHECK_STR(t.e[0].note, "line one");
	CHECK_INT(t.e[1].verdict, V_NONE);
	triage_release(&t);
	unlink(path);
}

/* The ID is the signature hash's first 16 hex digits, and offsets do not enter it. */
static void test_signature_id(void)
{
	struct report a, b;
	char sig[33], id[REPORT_SIG_ID_LEN + 1], id2[REPORT_SIG_ID_LEN + 1];
	struct frame *f;

	report_init(&a);
	report_init(&b);
	a.title = xstrdup("KCSAN: data-race in f / g");
	b.title = xstrdup("KCSAN: data-race in f / g");
	a.nacc = b.nacc = 1;
	f = access_add_frame(&a.acc[0]);
	f->func = xstrdup("f");
	f->off = 0x10, f->size = 0x40, f->has_off = true;
	f = access_add_frame(&b.acc[0]);
	f->func = xstrdup("f");
	f->off = 0x23, f->size = 0x80, f->has_off = true;
	report_signature(&a, sig);
	report_signature_id(&a, id);
	CHECK_INT(strlen(id), 16);
	CHECK(!strncmp(sig, id, 16));
	CHECK(triage_is_id(id));
	report_signature_id(&b, id2);
	CHECK_STR(id2, id);
	report_release(&a);
	report_release(&b);
}

UNIT_MAIN(TEST(test_parse), TEST(test_errors), TEST(test_round_trip), TEST(test_signature_id))
