/* test_evtime.c - wall-clock times of log lines and mails; the mail metadata gate. */
#include "evtime.h"
#include "mailmeta.h"
#include "unit.h"

static bool date(const char *s, char out[EVTIME_LEN])
{
	return evtime_from_date(s, strlen(s), out);
}

static void test_date(void)
{
	char t[EVTIME_LEN];

	CHECK(date("Tue, 01 Dec 2026 06:03:07 -0800", t));
	CHECK_STR(t, "2026-12-01T14:03:07Z");
	CHECK(date("Sat, 21 Nov 2026 01:59:59 +0200", t));
	CHECK_STR(t, "2026-11-20T23:59:59Z");   /* across a day */
	CHECK(date("1 Jan 2027 00:30 +0100", t));   /* no weekday, no seconds */
	CHECK_STR(t, "2026-12-31T23:30:00Z");   /* across a year */
	CHECK(date("Thu, 29 Feb 2024 12:00:00 GMT", t));
	CHECK_STR(t, "2024-02-29T12:00:00Z");
	CHECK(date("Mon, 2 Mar 2026 10:00:00 +0000 (UTC)", t));   /* a comment after the zone */
	CHECK_STR(t, "2026-03-02T10:00:00Z");
	CHECK(date("Wed, 3 Jun 2026 08:00:00 EDT", t));
	CHECK_STR(t, "2026-06-03T12:00:00Z");
	CHECK(!date("yesterday", t));
	CHECK(!date("Tue, 01 Dec 2026 25:03:07 +0000", t));
	CHECK(!date("Tue, 01 Foo 2026 06:03:07 +0000", t));
}

static bool line(const char *orig, const char *ts, int64_t now, char out[EVTIME_LEN])
{
	struct nline l = { 0 };

	l.orig = orig;
	l.orig_len = strlen(orig);
	l.ts = ts;
	l.ts_len = ts ? strlen(ts) : 0;
	return evtime_from_line(&l, now, out);
}

static void test_line(void)
{
	char t[EVTIME_LEN];
	int64_t dec5 = 1796500000;   /* 2026-12-05 */

	CHECK(line("[Tue Dec  1 14:03:07 2026] BUG: KCSAN: x", "Tue Dec  1 14:03:07 2026", dec5, t));
	CHECK_STR(t, "2026-12-01T14:03:07");
	CHECK(line("Dec  1 14:03:07 host kernel: [   12.345678] BUG: x", "12.345678", dec5, t));
	CHECK_STR(t, "2026-12-01T14:03:07");
	CHECK(line("Dec 31 23:59:59 host kernel: BUG: x", NULL, dec5, t));
	CHECK_STR(t, "2025-12-31T23:59:59");   /* after the scan: the year before */
	CHECK(line("2026-11-29T22:15:30+0100 host kernel: BUG: x", NULL, dec5, t));
	CHECK_STR(t, "2026-11-29T21:15:30Z");
	CHECK(line("> 2026-11-30T03:04:05.123456+00:00 host kernel: BUG: x", NULL, dec5, t));
	CHECK_STR(t, "2026-11-30T03:04:05Z");
	CHECK(line("2026-11-30T03:04:05 host kernel: BUG: x", NULL, dec5, t));
	CHECK_STR(t, "2026-11-30T03:04:05");   /* no zone: as printed */
	CHECK(!line("[   12.345678] BUG: KCSAN: x", "12.345678", dec5, t));   /* uptime: no wall clock */
	CHECK(!line("BUG: KCSAN: data-race in f / g", NULL, dec5, t));
}

static void test_gate(void)
{
	static const char *const yes[] = {
		"HEAD commit:    0123456789ab Linux 6.8", "> git tree:       upstream", "> > console output: https://x",
		">>kernel config:  https://x", "| dashboard link: https://x", "syz repro: https://x", "C reproducer: https://x",
		"Reported-by: syzbot+0123456789abcdef@syzkaller.appspotmail.com", "Date: Tue, 01 Dec 2026 06:03:07 -0800",
		"Message-ID: <1@x>", "Message-Id: <1@x>", "Subject: [syzbot] KCSAN", NULL,
	};
	static const char *const no[] = {
		"Headers are fine", "> Date: Tue, 01 Dec 2026 06:03:07 -0800", "> Subject: quoted", "From the log above:",
		"Dates: none", "Reviewed-by: A <a@x>", "console outputs", "", "MIME-Version: 1.0", NULL,
	};

	for (int i = 0; yes[i]; i++) {
		unit_current = yes[i];
		CHECK(mailmeta_raw_maybe(yes[i], strlen(yes[i])));
	}
	for (int i = 0; no[i]; i++) {
		unit_current = no[i];
		CHECK(!mailmeta_raw_maybe(no[i], strlen(no[i])));
	}
	CHECK(mailmeta_raw_maybe("From syzbot+1@syzkaller.appspotmail.com Tue Dec  1 14:03:07 2026", 64));
	for (int i = 0; i < META_NFIELDS; i++)
		CHECK(mailmeta_field_name((enum meta_field)i) && mailmeta_field_label((enum meta_field)i));
}

UNIT_MAIN(TEST(test_date), TEST(test_line), TEST(test_gate))
