/* Unit tests: the reader (quoted-printable, base64, the idle skip, long lines), the
 * pipeline and its enrich stage, the JSON writer, report identity, the rules
 * parser and member fitting. */
#define _GNU_SOURCE
#include <ctype.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"

#include "decompress.h"
#include "enrich.h"
#include "maintainers.h"
#include "input.h"
#include "mailmeta.h"
#include "normalize.h"
#include "pipeline.h"
#include "render.h"
#include "report.h"
#include "rules.h"

static char tmpdir[] = "/tmp/kt-unit.XXXXXX";

static char *write_file(const char *name, const char *data, size_t n)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");

	fwrite(data, 1, n, f);
	fclose(f);
	return path;
}

/* All lines of a file, joined with '|'; and the line numbers. */
static char *read_all(const char *path, bool idle, struct sbuf *numbers, enum input_mode *mode)
{
	struct ctx ctx = { 0 };
	struct input *in;
	struct input_line l;
	struct sbuf sb = SBUF_INIT;

	ctx.quiet = 1;
	in = input_open(&ctx, path);
	if (!in)
		return NULL;
	if (mode)
		*mode = input_mode(in);
	while (input_next(in, &l, idle) > 0) {
		sbuf_add(&sb, l.text, l.len);
		sbuf_addc(&sb, '|');
		if (numbers)
			sbuf_addf(numbers, "%llu,", (unsigned long long)l.lineno);
	}
	input_close(in);
	return sbuf_detach(&sb);
}

static void test_qp(void)
{
	const char *text =
		"Content-Transfer-Encoding: quoted-printable\n"
		"\n"
		"> BUG: KCSAN: data-race in intel_pstate_update_ut=\n"
		"il / intel_pstate_update_util=20\n"
		"> write to 0xffffffffa9098a59 of 1 bytes by inter=\n"
		"rupt on cpu 41:=20\n"
		"> =3D=3D=3D=3D\n"
		"==========\n";
	char *path = write_file("qp.txt", text, strlen(text));
	struct sbuf nums = SBUF_INIT;
	char *all = read_all(path, false, &nums, NULL);

	CHECK_STR(all, "Content-Transfer-Encoding: quoted-printable||"
		       "> BUG: KCSAN: data-race in intel_pstate_update_util / intel_pstate_update_util |"
		       "> write to 0xffffffffa9098a59 of 1 bytes by interrupt on cpu 41: |"
		       "> ====|==========|");
	CHECK_STR(nums.buf, "1,2,3,5,7,8,");
	free(all);
	free(path);
	sbuf_release(&nums);

	/* "param=20" in a log is no quoted-printable */
	text = "kcsan.udelay_interrupt=20\nBUG: KCSAN: x=\ny\n";
	path = write_file("notqp.txt", text, strlen(text));
	all = read_all(path, false, NULL, NULL);
	CHECK_STR(all, "kcsan.udelay_interrupt=20|BUG: KCSAN: x=|y|");
	free(all);
	free(path);
}

static void test_base64(void)
{
	/* "> [  410.297475] BUG: KCSAN: data-race in e1000_clean_rx_irq+0x330/0x870\n" etc. */
	const char *plain = "> [  410.297475] BUG: KCSAN: data-race in e1000_clean_rx_irq+0x330/0x870\n"
			    "> race at unknown origin, with read to 0xffff8a554584d3ec of 1 bytes by interrupt on cpu 0:\n"
			    ">  e1000_clean_rx_irq+0x330/0x870\n";
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct sbuf enc = SBUF_INIT;
	size_t n = strlen(plain), col = 0;
	char *path, *all;

	sbuf_adds(&enc, "Some text before\n\n");
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)plain[i] << 16;
		size_t k = n - i;

		if (k > 1)
			v |= (unsigned char)plain[i + 1] << 8;
		if (k > 2)
			v |= (unsigned char)plain[i + 2];
		sbuf_addc(&enc, tbl[(v >> 18) & 63]);
		sbuf_addc(&enc, tbl[(v >> 12) & 63]);
		sbuf_addc(&enc, k > 1 ? tbl[(v >> 6) & 63] : '=');
		sbuf_addc(&enc, k > 2 ? tbl[v & 63] : '=');
		col += 4;
		if (col == 76) {
			sbuf_addc(&enc, '\n');
			col = 0;
		}
	}
	sbuf_adds(&enc, "\n\nafter\n");
	path = write_file("b64.txt", enc.buf, enc.len);
	all = read_all(path, false, NULL, NULL);
	CHECK_STR(all, "Some text before||"
		       "> [  410.297475] BUG: KCSAN: data-race in e1000_clean_rx_irq+0x330/0x870|"
		       "> race at unknown origin, with read to 0xffff8a554584d3ec of 1 bytes by interrupt on cpu 0:|"
		       ">  e1000_clean_rx_irq+0x330/0x870||after|");
	free(all);
	free(path);
	sbuf_release(&enc);
}

static void test_skip_and_lines(void)
{
	struct sbuf log = SBUF_INIT, nums = SBUF_INIT;
	enum input_mode mode;
	char *path, *all;

	for (int i = 1; i <= 5000; i++)
		sbuf_addf(&log, "[%12.6f] ordinary message number %d\r\n", i / 1000.0, i);
	sbuf_adds(&log, "[    5.000001] BUG: KCSAN: data-race in f+0x1/0x2\r\n");
	for (int i = 1; i <= 5000; i++)
		sbuf_addf(&log, "[%12.6f] more %d\n", 6 + i / 1000.0, i);
	path = write_file("log.txt", log.buf, log.len);
	all = read_all(path, true, &nums, &mode);
	CHECK_INT(mode, INPUT_LOG);
	/* idle: only the anchor's line and the two before it are handed out, with their numbers */
	CHECK(strstr(all, "BUG: KCSAN: data-race in f+0x1/0x2") != NULL);
	CHECK(strstr(all, "ordinary message number 4999") != NULL);
	CHECK(strstr(all, "ordinary message number 10|") == NULL);
	CHECK(strstr(nums.buf, "5001,") != NULL);
	CHECK(input_count_newlines(log.buf, log.len) == 10001);
	free(all);
	sbuf_reset(&nums);
	/* not idle: every line */
	all = read_all(path, false, &nums, NULL);
	CHECK(strstr(all, "ordinary message number 10|") != NULL);
	CHECK(strstr(all, "\r") == NULL);
	free(all);
	free(path);
	sbuf_release(&nums);
	sbuf_release(&log);

	CHECK(input_find_anchor("xxKCSAxKCSAN", 12) != NULL);
	CHECK(input_find_anchor("xxKCSAxKCSA", 11) == NULL);
}

/* ---------------------------------------------------------------------- */
/* the scanners: the vector versions against the scalar ones */

static unsigned long long scan_rng = 88172645463325252ull;

static unsigned scan_rand(void)
{
	scan_rng ^= scan_rng << 13;
	scan_rng ^= scan_rng >> 7;
	scan_rng ^= scan_rng << 17;
	return (unsigned)(scan_rng >> 11);
}

/* A buffer of exactly len bytes at an address align bytes into a block of its own (ASan sees over-reads). */
static char *scan_buf(char **block, size_t align, size_t len, const char *alphabet)
{
	size_t k = strlen(alphabet);

	*block = xmalloc(align + len + 1);
	for (size_t i = 0; i < len; i++)
		(*block)[align + i] = alphabet[scan_rand() % k];
	return *block + align;
}

/* len bytes at *block + align of tokens drawn at random (the last one cut). */
static char *scan_fill_tokens(char **block, size_t align, size_t len, const char *const *tokens, size_t n)
{
	size_t i = 0;

	*block = xmalloc(align + len + 1);
	while (i < len) {
		const char *t = tokens[scan_rand() % n];
		size_t k = strlen(t);

		memcpy(*block + align + i, t, k < len - i ? k : len - i);
		i += k < len - i ? k : len - i;
	}
	return *block + align;
}

/* A random block from whole tokens (the words and marks the text scanners look for, whole and in parts). */
static char *scan_tokens(char **block, size_t align, size_t len)
{
	static const char *const tokens[] = {
		"read", "BUG:", "race", "writ", "asse", "thread", "rea", "BU", "x", " ", " ", "\n", "\n> ", "=", "==",
		"= ", "=3D", "=20", "=E2", "=\n", "\x1b", "\r", "From ", "Content-Transfer-Encoding: ", "{", "- {",
		"QUJDREVGR0hJSktM", "Mon  1 00:00:00 ", "_", "rd", "wt", "ae",
	};

	return scan_fill_tokens(block, align, len, tokens, sizeof(tokens) / sizeof(tokens[0]));
}

/* The same from the keys of mail metadata, quoting, and words that begin like them. */
static char *scan_meta_tokens(char **block, size_t align, size_t len)
{
	static const char *const tokens[] = {
		"HEAD commit: x", "git tree: up", "console output: u", "kernel config: k", "dashboard link: d",
		"syz repro: s", "C reproducer: c", "Reported-by: syzbot+abcdef@x", "Reported by K", "Date: Mon",
		"Subject: s", "Message-ID: <m>", "Message-Id: <m>", "From a@b.c Mon Jan  1 00:00:00 2024", "From: a",
		"\n", "\n", "\n", "\n> ", "\n>", "\n> > ", "\n>>", "\n| ", "> ", " ", "x", "HE", "gi", "co", "Me", "Fr",
		"Subject", "\r", "text",
	};

	return scan_fill_tokens(block, align, len, tokens, sizeof(tokens) / sizeof(tokens[0]));
}

/*
 * Quoted-printable mail: encoded bytes that change nothing (a blank, '=',
 * UTF-8) and those that may ('B', ESC, CR), soft breaks, and around them
 * the words, quoting, headers, keys and JSON starts that decide a look.
 */
static char *scan_qp_tokens(char **block, size_t align, size_t len)
{
	static const char *const tokens[] = {
		"x =3D y;", "=3D", "=20", "=3d", "=C3=BC", "=E2=80=99", "=42", "=1B", "=0D", "=3A", "=\n", "=", "\n", "\n",
		"\n", "\n> ", "\n> > ", "\n>", "\n| ", "> ", " ", "  ", "\t", "read", "BUG:", "race", "write", "x",
		"ab", "9", "From a\n", "Date: ", "Subject: ", "C", "HEAD commit: x", "HEAD", "commit: x", "HE", "{",
		"- {", "-", "J",
		"Jan 12 12:34:56 ", "text and more text", "\r",
	};

	return scan_fill_tokens(block, align, len, tokens, sizeof(tokens) / sizeof(tokens[0]));
}

/* The buffer at the first mismatch, for the failure message. */
static void scan_report(const char *what, const char *p, size_t len, size_t align)
{
	fprintf(stderr, "%s: vector and scalar differ, length %zu, alignment %zu: \"", what, len, align);
	for (size_t i = 0; i < len; i++)
		fprintf(stderr, p[i] >= 0x20 && p[i] < 0x7f ? "%c" : "\\x%02x", (unsigned char)p[i]);
	fprintf(stderr, "\"\n");
}

/*
 * An idle reader takes the mail headers and syzbot's metadata lines itself,
 * plain, quoted, quoted-printable and soft-broken, where its skip finds them
 * (past the vector blocks too): the metadata is the parser's, the lines it
 * hands out are the others that may begin a report, with their numbers.
 */
static void test_meta_taken(void)
{
	struct sbuf mail = SBUF_INIT, got = SBUF_INIT, pad = SBUF_INIT;
	struct ctx ctx = { 0 };
	struct mailmeta m = { 0 };
	struct normalizer nz = { 0 };
	struct input_line l;
	struct nline nl;
	struct input *in;
	char *path;

	for (int i = 0; i < 6; i++)
		sbuf_adds(&pad, "> > an ordinary quoted line of a reply, long enough to fill a block\n");
	for (int round = 0; round < 2; round++) {
		sbuf_addf(&mail, "From a@b.c Mon Jan  1 00:00:0%d 2024\n", round);
		sbuf_adds(&mail, "Subject: [syzbot] KCSAN: data-race in\n");
		sbuf_adds(&mail, " foo / bar\n");
		sbuf_addf(&mail, "Date: Mon, 1 Jan 2024 00:00:0%d +0000\n", round);
		sbuf_addf(&mail, "Message-ID: <m%d@x>\n", round);
		sbuf_adds(&mail, round ? "Content-Transfer-Encoding: quoted-printable\n\n" : "\n");
		sbuf_add(&mail, pad.buf, pad.len);
		if (round) {
			sbuf_adds(&mail, "> HEAD commit:    0123 Merge tag 'a' of git://git.kernel.or=\ng/pub/scm/linux\n");
			sbuf_adds(&mail, "> > console output: https://x/log.txt?x=3D2\n");
			sbuf_adds(&mail, "dashboard link: https://x/bug?extid=3D0123456789abcdef\n");
		} else {
			sbuf_adds(&mail, "HEAD commit:    4567 Merge\n| git tree:       upstream\n");
			sbuf_adds(&mail, ">> console output: https://x/log.txt?x=1\n");
			sbuf_adds(&mail, "Reported-by: syzbot+fedcba9876543210@syzkaller.appspotmail.com\n");
		}
		sbuf_add(&mail, pad.buf, pad.len);
		sbuf_adds(&mail, "> > Date: a quoted header is no header\n> race to 0x1 of 8 bytes\n");
		sbuf_add(&mail, pad.buf, pad.len);
	}
	path = write_file("meta.mbox", mail.buf, mail.len);
	ctx.quiet = 1;
	in = input_open(&ctx, path);
	input_set_meta(in, &m);
	while (input_next(in, &l, true) > 0) {
		/* what the parser does with an idle line: metadata first */
		normalize_line(&nz, &l, &nl);
		if (mailmeta_maybe(&m, &nl) && mailmeta_feed(&m, &nl))
			continue;
		sbuf_addf(&got, "%llu:%s|", (unsigned long long)l.lineno, l.text);
		if (l.lineno == 24) {
			/* a report begins: what it would take */
			CHECK_STR(m.cur.v[META_SUBJECT], "[syzbot] KCSAN: data-race in foo / bar");
			CHECK_STR(m.cur.v[META_MESSAGE_ID], "<m0@x>");
			CHECK_STR(m.cur.v[META_HEAD_COMMIT], "4567 Merge");
			CHECK_STR(m.cur.v[META_GIT_TREE], "upstream");
			CHECK_STR(m.cur.v[META_CONSOLE], "https://x/log.txt?x=1");
			CHECK_STR(m.cur.v[META_EXTID], "fedcba9876543210");
		}
	}
	CHECK_STR(got.buf, "24:> race to 0x1 of 8 bytes|55:> race to 0x1 of 8 bytes|");
	CHECK_STR(m.cur.v[META_MESSAGE_ID], "<m1@x>");
	CHECK_STR(m.cur.v[META_DATE], "Mon, 1 Jan 2024 00:00:01 +0000");
	CHECK_STR(m.cur.v[META_HEAD_COMMIT], "0123 Merge tag 'a' of git://git.kernel.org/pub/scm/linux");
	CHECK_STR(m.cur.v[META_CONSOLE], "https://x/log.txt?x=2");
	CHECK_STR(m.cur.v[META_EXTID], "0123456789abcdef");
	CHECK(m.cur.v[META_GIT_TREE] == NULL);
	input_close(in);
	mailmeta_release(&m);
	normalizer_release(&nz);
	sbuf_release(&mail);
	sbuf_release(&got);
	sbuf_release(&pad);
	free(path);
}

static void test_scan_newlines(void)
{
	static const char *const alphabets[] = { "\n", "x\n", "abcdefgh\n", "abcdefghijklmnopqrstuvwxyz 0123456789" };
	size_t bad = 0, lens[] = { 4031, 4032, 4033, 4095, 4096, 20000, 65536 + 7 };
	char *block;

	for (size_t a = 0; a < 4; a++)
		for (size_t align = 0; align < 64; align++)
			for (size_t len = 0; len <= 300; len++) {
				const char *p = scan_buf(&block, align, len, alphabets[a]);

				if (input_count_newlines(p, len) != input_count_newlines_scalar(p, len) && !bad++)
					scan_report("newlines", p, len, align);
				free(block);
			}
	/* long runs of newlines: every byte lane fills up before it is added */
	for (size_t a = 0; a < 2; a++)
		for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
			for (size_t align = 0; align < 16; align += 5) {
				const char *p = scan_buf(&block, align, lens[l], alphabets[a]);

				if (input_count_newlines(p, lens[l]) != input_count_newlines_scalar(p, lens[l]) && !bad++)
					scan_report("newlines", p, lens[l], align);
				free(block);
			}
	CHECK_INT(bad, 0);
	CHECK_INT(input_count_newlines("\n\n\n", 3), 3);
}

static void test_scan_anchor(void)
{
	/* "KxxxN" and "KCSA" at the ends of blocks are the candidates that are no anchor */
	static const char *const alphabets[] = { "KCSAN\nx", "KKCCSSAANN\n\n", "KCSANNNNNN", "xyz\n",
						 "bytes by\n", "on cpu\nbytesy", "bbyyoouuKN\n " };
	size_t bad = 0, found = 0;
	char *block;

	for (size_t a = 0; a < 2 * 7; a++)
		for (size_t align = 0; align < 64; align++)
			for (size_t len = 0; len <= 400; len++) {
				const char *p = scan_buf(&block, align, len, alphabets[a % 7]);
				size_t nv = 0, ns = 0;
				/* the first 7 at the SSE2 level, the others at the AVX2 one (where the CPU has it) */
				int level = input_scan_set_level(a < 7 ? 0 : 1);
				const char *v = input_scan_anchor(p, len, &nv), *sc = input_scan_anchor_scalar(p, len, &ns);

				input_scan_set_level(level);

				if ((v != sc || nv != ns || input_find_anchor(p, len) != sc) && !bad++)
					scan_report("anchor", p, len, align);
				found += sc != NULL;
				free(block);
			}
	CHECK_INT(bad, 0);
	CHECK(found > 1000);
	/* an anchor after many newline-filled rounds, and at the very end */
	{
		size_t n = 70000, nl = 0;
		char *p = xmalloc(n);

		memset(p, '\n', n);
		memcpy(p + n - 5, "KCSAN", 5);
		CHECK(input_scan_anchor(p, n, &nl) == p + n - 5);
		CHECK_INT(nl, n - 5);
		memcpy(p + n - 5, "KCSA\n", 5);
		CHECK(input_scan_anchor(p, n, &nl) == NULL);
		CHECK_INT(nl, n - 4);
		free(p);
	}
}

static void test_scan_wanted(void)
{
	/* the words, their neighbours, escapes, JSON and the syslog stamp's bytes */
	static const char *const alphabets[] = {
		"BUG:readcwitsx -{\x1b", "reads ", "BUrawsGe:", "Jan 12:34", "Ja 1:xread",
	};
	static const struct { const char *line; bool wanted; } cases[] = {
		{ "", false }, { "read", true }, { "rea", false }, { "> read to 0x1 of 8 bytes", true },
		{ "thread", false }, { "already done", false }, { "[  1.2] BUG: KCSAN: x", true },
		{ "BUG", false }, { "debug: foo", false }, { "Trace:", false }, { "a race", true },
		{ "overwrite", false }, { "write", true }, { "&gt;write", true }, { "9write", false },
		{ "_race", false }, { "regmap_read(map)", false }, { "\x01read", true }, { "(read)", true }, { "passed", false }, { "assert no writes", true },
		{ "Jan 12 12:34:5xread to", true }, { "Jan 12 12:34:56 read", true },
		{ "jan 12 12:34:5xread to", false }, { "x\x1b[0m", true }, { "{\"msg\": \"hello\"}", true },
		{ "- {\"msg\": 1}", true }, { "{short", false }, { "an ordinary line of console output", false },
		{ "an ordinary line of console output, longer than a block or two..\x1b", true },
		{ "an ordinary line of console output, longer than a block or two.read", true },
		{ "an ordinary line of console output, longer than a block or two.rea", false },
	};
	size_t bad = 0, wanted = 0;
	char *block;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].line);

		if (input_text_wanted(cases[i].line, n) != cases[i].wanted ||
		    input_text_wanted_scalar(cases[i].line, n) != cases[i].wanted) {
			fprintf(stderr, "wanted(\"%s\") is not %d\n", cases[i].line, cases[i].wanted);
			bad++;
		}
	}
	CHECK_INT(bad, 0);
	for (size_t a = 0; a < sizeof(alphabets) / sizeof(alphabets[0]); a++)
		for (size_t align = 0; align < 32; align++)
			for (size_t len = 0; len <= 200; len++)
				for (int rep = 0; rep < 3; rep++) {
					const char *p = scan_buf(&block, align, len, alphabets[a]);
					bool s = input_text_wanted_scalar(p, len);
					int level = input_scan_set_level(rep % 2);      /* SSE2, AVX2 */
					bool v = input_text_wanted(p, len);

					input_scan_set_level(level);
					if (v != s && !bad++)
						scan_report("wanted", p, len, align);
					wanted += s;
					free(block);
				}
	CHECK_INT(bad, 0);
	CHECK(wanted > 1000);
}

/*
 * The text skip, vector against scalar, over gen's buffers of every length
 * up to 400 and 16 alignments, in both decodings and both vector levels
 * (and input_text_wanted() too, when wanted): 1 at the first mismatch
 * (reported), else 0; *stops counts the scalar stops past a buffer's start.
 */
static size_t skip_tokens_check(char *(*gen)(char **, size_t, size_t), const char *what, bool wanted, size_t *stops)
{
	char *block;

	for (size_t align = 0; align < 16; align++)
		for (size_t len = 0; len <= 400; len++)
			for (int qp = 0; qp < 4; qp++) {
				const char *p = gen(&block, align, len);
				size_t nv = 0, ns = 0;
				bool sv = false, ss = false;
				int level = input_scan_set_level(qp / 2);
				const char *rv = input_text_skip(p, len, qp & 1, &nv, &sv);
				const char *rs = input_text_skip_scalar(p, len, qp & 1, &ns, &ss);
				bool differ = rv != rs || nv != ns || sv != ss ||
					      (wanted && input_text_wanted(p, len) != input_text_wanted_scalar(p, len));

				input_scan_set_level(level);
				*stops += ss && rs > p;
				if (differ) {
					fprintf(stderr, "%s: ", qp & 1 ? "quoted-printable" : "plain");
					scan_report(what, p, len, align);
					free(block);
					return 1;
				}
				free(block);
			}
	return 0;
}

/* A text, where the skip ends in it, the lines it passes over, and whether it stops there. */
struct skip_case {
	const char *text;
	size_t at, nl;
	bool stop;
};

/* The cases the skip (quoted-printable or not) does not end as they say: each is reported. */
static size_t skip_cases(const struct skip_case *cases, size_t ncases, bool qp)
{
	size_t bad = 0;

	for (size_t i = 0; i < ncases; i++) {
		size_t n = strlen(cases[i].text), nl = 99;
		bool stop;
		const char *r = input_text_skip(cases[i].text, n, qp, &nl, &stop);

		if (r - cases[i].text != (ptrdiff_t)cases[i].at || nl != cases[i].nl || stop != cases[i].stop) {
			fprintf(stderr, "%stext skip of \"%s\": %td, %zu, %d\n", qp ? "qp " : "", cases[i].text,
				r - cases[i].text, nl, stop);
			bad++;
		}
	}
	return bad;
}

static void test_scan_text_skip(void)
{
	/* newlines often, every kind of candidate, header and base64 shapes */
	static const char *const alphabets[] = {
		"\n\n\nreadBUG:=3D20 ax{-F\r", "abcdefghABCDEFGH0123+/\n", "From \nContent-Transfer-Encoding: x\n",
		"\n- {\"a\n> race=\n=E2=", "The quick brown fox jumps over the lazy dog\n\n",
		/* the pairs of text_pair() after quoting, and their neighbours; long lines of base64 */
		"> |\n\tHEhgiCcOoRDdasyFSVWru\"%pKMkmeE-{\r", "\n> > ABCxyz09+/_", "ABCDEFGHIJKLMNOP\n",
	};
	size_t bad = 0, stops = 0;
	char *block;

	for (size_t a = 0; a < sizeof(alphabets) / sizeof(alphabets[0]); a++)
		for (size_t align = 0; align < 16; align++)
			for (size_t len = 0; len <= 300; len++)
				for (int qp = 0; qp < 4; qp++) {
					const char *p = scan_buf(&block, align, len, alphabets[a]);
					size_t nv = 0, ns = 0;
					bool sv = false, ss = false;
					int level = input_scan_set_level(qp / 2);   /* SSE2, then AVX2 */
					const char *rv = input_text_skip(p, len, qp & 1, &nv, &sv);
					const char *rs = input_text_skip_scalar(p, len, qp & 1, &ns, &ss);

					input_scan_set_level(level);
					if ((rv != rs || nv != ns || sv != ss) && !bad++)
						scan_report(qp & 1 ? "text skip (qp)" : "text skip", p, len, align);
					stops += ss;
					free(block);
				}
	CHECK_INT(bad, 0);
	CHECK(stops > 1000);
	/* tokens: the words whole, in every vector level */
	bad += skip_tokens_check(scan_tokens, "text skip, tokens", true, &stops);
	CHECK_INT(bad, 0);
	/* mail metadata, quoted or not, among quoted lines: the dull runs and the lines one at a time */
	stops = 0;
	bad += skip_tokens_check(scan_meta_tokens, "text skip, metadata", false, &stops);
	CHECK_INT(bad, 0);
	CHECK(stops > 2000);
	/* quoted-printable: encoded bytes that change nothing, and those that may */
	bad += skip_tokens_check(scan_qp_tokens, "text skip, encoded", false, &stops);
	CHECK_INT(bad, 0);
	/* quoted-printable: what an encoded byte stops, and where */
	{
		static const struct skip_case cases[] = {
			{ "\tx =3D y;\n> a =3D b=20\n> =20\n=3D\nok\n", 36, 5, false },
			{ "ab=C3=BC ok\n", 0, 0, true },                 /* before the 3rd byte: a JSON start's */
			{ "-=20{\"a\": 1}\n", 0, 0, true }, { "=3D=3D=3D\n=20ok\n", 16, 2, false },  /* (or at the 1st) */
			{ "=20read\n", 0, 0, true },
			{ "> >ab =3D 1\n", 12, 1, false }, { "> =3D1\n", 0, 0, true }, /* past the quoting and 2 */
			{ "text =42UG\n", 0, 0, true }, { "text =1B[0m\n", 0, 0, true },  /* 'B', ESC */
			{ "Cc: a =3D b\n", 0, 0, true }, { "Date =3D b\n", 0, 0, true },   /* a header's first letter */
			{ "> HEAD commit:=20abc\n", 0, 0, true },       /* a key of metadata after the quoting */
			{ "> HEAD=20commit: abc\n", 0, 0, true }, { "| | dashboard=20link: x\n", 0, 0, true },
			{ "some =3Dread\n", 0, 0, true }, { "some =3D read\n", 0, 0, true }, /* a word after it */
			{ "some text=20and a=20 =3D\n", 25, 1, false }, { "x =3D y=\nz\n", 0, 0, true },
		};
		CHECK_INT(skip_cases(cases, sizeof(cases) / sizeof(cases[0]), true), 0);
	}
	/* what stops, and where */
	{
		static const struct skip_case cases[] = {
			{ "a\nb\nc", 4, 2, false }, { "a\nread\nc\n", 2, 1, true }, { "a\nthread\nc\n", 11, 3, false },
			{ "x = 1;\nx=3D1\n", 7, 1, true }, { "From me\n", 0, 0, true }, { "Fro\n", 4, 1, false },
			{ "ok\ncontent-transfer-encoding: base64\n", 3, 1, true },
			{ "ok\nQUJDREVGR0hJSktMTU5PUFFSU1RVVldY\n", 3, 1, true },
			{ "ok\n{\"msg\": \"hello\"}\n", 3, 1, true }, { "soft=\n", 0, 0, true },
			/* base64 lines that begin with a header's first letter */
			{ "ok\nClsgQUJDREVGR0hJSktMTU5PUFFS\n", 3, 1, true }, { "ok\nFlsgQUJDREVGR0hJSktMTU5PUFFS\n", 3, 1, true },
			/* mail metadata: syzbot's block quoted or not, mail headers only unquoted */
			{ "> ok\n> HEAD commit: 0123\n", 5, 1, true }, { "> ok\n> > git tree: up\n", 5, 1, true },
			{ "> ok\n>>console output: x\n", 5, 1, true }, { "> ok\n| Reported-by: syzbot+abcd@x\n", 5, 1, true },
			{ "> ok\n> Date: Mon\n> Subject: s\n", 30, 3, false }, { "ok\nDate: Mon\n", 3, 1, true },
			{ "> ok\n> HEADS up\n> Gi\n>\n", 23, 4, false }, { "> ok\n> Reported by K\n", 21, 2, false },
		};
		CHECK_INT(skip_cases(cases, sizeof(cases) / sizeof(cases[0]), false), 0);
	}
}

/*
 * The stops of a chunk read ahead (input_text_stops()) against the scalar
 * skip, line by line: a stop where that skip stops (either decoding's
 * stops until a line settles quoted-printable, then those of the
 * quoted-printable skip and of base64's shape), or where the line is not
 * whole; its newlines before it; quoted-printable's flag dropped only
 * where the look would pass the line (no soft break, no header's first
 * letter, decoded no metadata and no line a report may begin with), and
 * no line passed over that, decoded, a look would not pass.  A cap gives
 * the first stops.
 */
static bool encoded_in(const char *p, size_t m)
{
	for (size_t i = 0; i + 2 < m; i++)
		if (p[i] == '=' && isxdigit((unsigned char)p[i + 1]) && isxdigit((unsigned char)p[i + 2]))
			return true;
	return false;
}

static bool decoded_looks(const char *p, size_t m, char *dec)
{
	size_t dl;

	while (m && p[m - 1] == '\r')
		m--;
	dl = input_qp_decode(dec, p, m);
	while (dl && dec[dl - 1] == '\r')
		dl--;
	return m && ((encoded_in(p, m) && strchr("CcDFMS", p[0])) || input_qp_soft_break(p, m) ||
		     mailmeta_raw_maybe(dec, dl) || input_text_wanted(dec, dl));
}

static size_t stops_check(const char *p, size_t len, bool at_line, size_t *qp_passed, size_t *enc_passed)
{
	struct input_text_stop st[1024], few[3];
	char *scratch = xmalloc(len + 1), *dec = xmalloc(len + 1);
	size_t n = input_text_stops(p, len, at_line, scratch, st, 1024), k = 0, ls = 0, lines = 0, bad = 0;
	bool settled = false;
	const char *q;

	if (!at_line) {
		q = memchr(p, '\n', len);
		ls = q ? (size_t)(q - p) + 1 : len + 1;
		lines = 1;
	}
	while (ls <= len) {
		size_t nv, nq, ne;
		bool sp, sq, se;
		const char *rp = input_text_skip_scalar(p + ls, len - ls, false, &nv, &sp);
		const char *rq = input_text_skip_scalar(p + ls, len - ls, true, &nq, &sq);
		const char *re = input_text_skip_either_scalar(p + ls, len - ls, settled, &ne, &se);
		const char *e = memchr(p + ls, '\n', len - ls);
		bool whole = e != NULL, plain = rp == p + ls && sp, qp = rq == p + ls && sq;
		size_t m = whole ? (size_t)(e - (p + ls)) : 0;

		/* either decoding's stops, until settled; quoted-printable's always */
		if ((re == p + ls && se) != (!settled ? plain || qp : qp || (re == p + ls && se))) {
			bad++;
			break;
		}
		if (!whole || (re == p + ls && se)) {
			if (k == n || st[k].off != ls || st[k].nl != lines ||
			    !(st[k].flags & INPUT_STOP_PLAIN) || (!whole && !(st[k].flags & INPUT_STOP_QP))) {
				bad++;
				break;
			}
			if (whole && !(st[k].flags & INPUT_STOP_QP)) {
				if (decoded_looks(p + ls, m, dec))
					bad++;
				++*qp_passed;
			}
			if (whole && m > 5 && !memcmp(p + ls, "From ", 5))
				settled = false;
			else if (whole && !settled && m && !strchr("CcDdFfMmSs \t", p[ls]) && memchr(p + ls, ' ', m) &&
				 input_qp_evidence(p + ls, m))
				settled = true;
			k++;
		} else if (decoded_looks(p + ls, m, dec)) {
			bad++;  /* passed over, but decoded a look would not pass it */
		} else {
			*enc_passed += encoded_in(p + ls, m);
		}
		if (!whole)
			break;
		lines++;
		ls = (size_t)(e - p) + 1;
	}
	if (!bad && k != n)
		bad++;
	/* a cap: the first stops */
	if (!bad && input_text_stops(p, len, at_line, scratch, few, 3) != (n < 3 ? n : 3))
		bad++;
	for (size_t i = 0; !bad && i < n && i < 3; i++)
		if (few[i].off != st[i].off || few[i].nl != st[i].nl || few[i].flags != st[i].flags)
			bad++;
	free(scratch);
	free(dec);
	return bad;
}

static void test_scan_text_stops(void)
{
	static const char *const alphabets[] = {
		"\n\n\nreadBUG:=3D20 ax{-F\r", "=\n=41=3D=20=E2ab\nBUG: \n", "From \nContent-Transfer-Encoding: x\n",
		"\n- {\"a\n> race=\n=E2=", "> |\n\tHEhgiCcOoRDdasyFSVWru\"%pKMkmeE-{\r=", "ABCDEFGHIJKLMNOP\n=",
	};
	size_t bad = 0, passed = 0, enc = 0;
	char *block;

	for (size_t a = 0; a < sizeof(alphabets) / sizeof(alphabets[0]); a++)
		for (size_t align = 0; align < 4; align++)
			for (size_t len = 0; len <= 300; len++)
				for (int at_line = 0; at_line < 2; at_line++) {
					const char *p = scan_buf(&block, align, len, alphabets[a]);

					if (stops_check(p, len, at_line, &passed, &enc) && !bad++)
						scan_report(at_line ? "text stops" : "text stops, mid-line", p, len, align);
					free(block);
				}
	for (size_t len = 0; len <= 400; len++) {
		const char *p = scan_meta_tokens(&block, 0, len);

		if (stops_check(p, len, true, &passed, &enc) && !bad++)
			scan_report("text stops, metadata", p, len, 0);
		free(block);
	}
	for (size_t align = 0; align < 4; align++)
		for (size_t len = 0; len <= 600; len++) {
			const char *p = scan_qp_tokens(&block, align, len);

			if (stops_check(p, len, true, &passed, &enc) && !bad++)
				scan_report("text stops, quoted-printable", p, len, align);
			free(block);
		}
	CHECK_INT(bad, 0);
	CHECK(passed > 100);
	CHECK(enc > 100);       /* lines with encoded bytes passed over once settled */
	/* the quoted-printable lines a look would pass, and those it would not */
	{
		static const struct { const char *text; unsigned flags; } cases[] = {
			{ "J=C3=BCrgen wrote:\n", INPUT_STOP_PLAIN }, { "> =20\n", INPUT_STOP_PLAIN },
			{ "x =3D y;\n", INPUT_STOP_PLAIN }, { "=42UG: KCSAN: data-race\n", INPUT_STOP_PLAIN | INPUT_STOP_QP },
			{ "ab=\n", INPUT_STOP_PLAIN | INPUT_STOP_QP }, { "Subject: =C3=BC\n", INPUT_STOP_PLAIN | INPUT_STOP_QP },
			{ "> HEAD commit:=20abc\n", INPUT_STOP_PLAIN | INPUT_STOP_QP },
			{ "read =3D 1\n", INPUT_STOP_PLAIN | INPUT_STOP_QP },
		};
		char scratch[64];

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct input_text_stop st[4];
			size_t n = input_text_stops(cases[i].text, strlen(cases[i].text), true, scratch, st, 4);

			/* the line's stop, then the end's */
			if (n != 2 || st[0].off != 0 || st[0].flags != cases[i].flags || st[1].nl != 1) {
				fprintf(stderr, "text stops of \"%s\": %zu, flags %u\n", cases[i].text, n, n ? st[0].flags : 0);
				bad++;
			}
		}
		CHECK_INT(bad, 0);
	}
}

static void test_scan_clean(void)
{
	/* the bytes normalize_clean() handles, their sequences, and plain text */
	static const char *const alphabets[] = {
		"ab\x1b[0m;&gt;&amp;\xc2\xa0\r", "&&&ltgt;#39x27", "\x1b]\x07[m\x1bX", "plain text, no special bytes",
	};
	struct sbuf v = SBUF_INIT, sc = SBUF_INIT;
	size_t bad = 0;
	char *block;

	for (size_t a = 0; a < sizeof(alphabets) / sizeof(alphabets[0]); a++)
		for (size_t align = 0; align < 16; align++)
			for (size_t len = 0; len <= 200; len++) {
				const char *p = scan_buf(&block, align, len, alphabets[a]);

				if (a == 1 && len > 3)
					((char *)p)[len / 2] = 0;     /* a NUL inside */
				normalize_clean(&v, p, len);
				normalize_clean_scalar(&sc, p, len);
				if ((v.len != sc.len || memcmp(v.buf, sc.buf, v.len + 1)) && !bad++)
					scan_report("clean", p, len, align);
				free(block);
			}
	CHECK_INT(bad, 0);
	normalize_clean(&v, "a\x1b[1mb&gt;\xc2\xa0\r", 13);
	CHECK_STR(v.buf, "ab>  ");
	sbuf_release(&v);
	sbuf_release(&sc);
}

static void test_giant_line(void)
{
	size_t n = 3 * 1024 * 1024;
	char *data = xmalloc(n + 64);
	char *path, *all;
	struct sbuf nums = SBUF_INIT;

	memset(data, 'x', n);
	memcpy(data + n, "\nsecond line\n", 13);
	path = write_file("giant.txt", data, n + 13);
	all = read_all(path, false, &nums, NULL);
	CHECK(all && strlen(all) == INPUT_MAX_LINE + 1 + 12);
	CHECK(all && strstr(all, "|second line|") != NULL);
	CHECK_STR(nums.buf, "1,2,");
	free(all);
	free(path);
	free(data);
	sbuf_release(&nums);
}

/* What the pipeline hands out: files and reports, in order, with their subsystem. */
static void pl_begin(const char *name, void *data)
{
	sbuf_addf(data, "begin %s|", strrchr(name, '/') + 1);
}

static void pl_report(struct report *r, const struct enrichment *e, void *data)
{
	sbuf_addf(data, "report %s:%llu %s %s|", strrchr(r->source, '/') + 1, (unsigned long long)r->line,
		  r->title ? r->title : "-", e->subsystem ? e->subsystem : "-");
	report_free(r);
}

static void pl_end(const char *name, int rc, const struct pipeline_file *f, void *data)
{
	(void)f;   /* not hashed: no hash_files */
	sbuf_addf(data, "end %s %d|", strrchr(name, '/') + 1, rc);
}

static void test_pipeline(void)
{
	static const struct pipeline_ops ops = { pl_begin, pl_report, pl_end };
	const char *log =
		"[    1.0] hello\n"
		"[    2.0] ==================================================================\n"
		"[    2.0] BUG: KCSAN: data-race in tick_nohz_next_event (kernel/time/tick-sched.c:815)\n"
		"[    2.0] \n"
		"[    2.0] race at unknown origin, with read to 0xffffffff8a0c7d40 of 8 bytes by interrupt on cpu 0:\n"
		"[    2.0] tick_nohz_next_event (kernel/time/tick-sched.c:815)\n"
		"[    2.0] menu_select (drivers/cpuidle/governors/menu.c:284)\n"
		"[    2.0] \n"
		"[    2.0] Reported by Kernel Concurrency Sanitizer on:\n"
		"[    2.0] CPU: 0 PID: 0 Comm: swapper/0 Not tainted 6.3.0 #12\n"
		"[    2.0] ==================================================================\n";
	char *path = write_file("pl.log", log, strlen(log)), *missing = xasprintf("%s/none.log", tmpdir);
	char *args[] = { path, missing };
	struct ctx ctx = { 0 };
	struct sbuf got = SBUF_INIT;
	struct pipeline *pl;
	int saved;

	ctx.quiet = 1;
	pl = pipeline_new(&ctx, NULL, &ops, &got);
	saved = quiet_stderr();
	pipeline_run(pl, args, 2);
	restore_stderr(saved);
	pipeline_free(pl);
	CHECK_STR(got.buf, "begin pl.log|report pl.log:3 KCSAN: data-race in tick_nohz_next_event kernel|end pl.log 0|");
	CHECK_INT(ctx.errors, 1);   /* the missing file, said once */
	free(missing);
	free(path);
	sbuf_release(&got);
}

/* A report whose stack is the frames named (files, or NULL for a frame without one). */
static void subsystem_case2(const char *file1, const char *file2, const char *module,
			    const struct maint_db *maint, const char *want)
{
	const char *files[2] = { file1, file2 };
	struct report *r = report_new();
	struct enrichment e;

	r->nacc = 1;
	for (int i = 0; i < (file2 ? 2 : 1); i++) {
		struct frame *f = access_add_frame(&r->acc[0]);

		f->func = xasprintf("f%d", i);
		f->module = module ? xstrdup(module) : NULL;
		f->file = files[i] ? xstrdup(files[i]) : NULL;
	}
	enrich_report(r, maint, &e);
	CHECK_STR(e.subsystem, want);
	enrichment_release(&e);
	report_free(r);
}

static void subsystem_case(const char *file, const char *module, const char *want)
{
	subsystem_case2(file, NULL, module, NULL, want);
}

static void test_enrich(void)
{
	subsystem_case("drivers/virtio/virtio_ring.c", NULL, "drivers/virtio");
	subsystem_case("/usr/src/linux-6.1/drivers/virtio/virtio_ring.c", "virtio_ring", "drivers/virtio");
	subsystem_case("/usr/src/linux-6.1/mm/slub.c", NULL, "mm");
	subsystem_case("kernel/sched/core.c", NULL, "kernel");
	subsystem_case("/build/net/ipv4/tcp.c", NULL, "net/ipv4");
	subsystem_case("foo.c", NULL, "foo.c");
	subsystem_case(NULL, "virtio_console", "[virtio_console]");
	subsystem_case(NULL, NULL, NULL);
	/* the guilty file, not a header inlined on top of it */
	subsystem_case2("include/linux/time64.h", "fs/inode.c", NULL, NULL, "fs");
	/* with the tree's MAINTAINERS: the entry's name; THE REST is no subsystem */
	{
		int saved = quiet_stderr();
		const struct maint_db *db = maint_load(NULL, "fixtures/maintainers");

		restore_stderr(saved);
		CHECK(db != NULL);
		if (db) {
			subsystem_case2("include/linux/foo.h", "drivers/foo/foo_core.c", NULL, db, "FOO CORE");
			subsystem_case2("drivers/foo/sub/deep.c", NULL, NULL, db, "FOO SUB DRIVERS");
			subsystem_case2("drivers/nowhere/x.c", NULL, NULL, db, "drivers/nowhere");
		}
		maint_cleanup();
	}
	CHECK_STR(enrich_tree_path("/a/b/include/linux/x.h"), "include/linux/x.h");
	CHECK(enrich_tree_path("/a/mydrivers/x.c") == NULL);
	CHECK(enrich_tree_path("x.c") == NULL);
}

static void release_case(const char *line, const char *want)
{
	char *got = report_line_release(line, strlen(line));

	CHECK_STR(got, want);
	free(got);
}

static void test_release(void)
{
	release_case("CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.192 #1 ", "6.1.192");
	/* taint flags with blanks between them */
	release_case("CPU: 0 PID: 322 Comm: t Tainted: G                 N 6.1.192 #1 ", "6.1.192");
	release_case("CPU: 2 UID: 0 PID: 2817 Comm: fsstress Tainted: G        W          6.13.0-rc3-00120-gabcdef012345 #44 PREEMPT_{RT,(full)} ",
		     "6.13.0-rc3-00120-gabcdef012345");
	release_case("CPU: 0 PID: 1 Comm: x Not tainted 5.4.0-rc1+", "5.4.0-rc1+");
	release_case("Linux version 6.1.192 (root@vm) (gcc (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP",
		     "6.1.192");
	release_case("CPU: 0 PID: 1 at kernel/x.c:1", NULL);
	release_case("Linux version ", NULL);
	release_case("hello 6.1.0 #1", NULL);
}

static void test_json(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct out *o = out_new(f, KT_FMT_JSON);

	out_begin_obj(o, NULL);
	out_str(o, "a", NULL, "quote\" back\\ nl\n ctl\x01 esc\x1b utf8 \xc3\xa9 bad \xff\xc3 end");
	out_null(o, "n");
	out_int(o, "i", NULL, -5);
	out_bool(o, "b", NULL, true);
	out_begin_arr(o, "arr");
	out_str(o, NULL, NULL, "x");
	out_end_arr(o);
	out_end_obj(o);
	CHECK_INT(out_close(o), 0);
	fclose(f);
	CHECK_STR(buf, "{\n  \"a\": \"quote\\\" back\\\\ nl\\n ctl\\u0001 esc\\u001b utf8 \xc3\xa9 bad \\ufffd\\ufffd end\",\n"
		       "  \"n\": null,\n  \"i\": -5,\n  \"b\": true,\n  \"arr\": [\n    \"x\"\n  ]\n}\n");
	free(buf);

	/* text output neutralises escapes */
	buf = NULL;
	f = open_memstream(&buf, &len);
	o = out_new(f, KT_FMT_TEXT);
	out_str(o, "a", "<%s>", "red\x1b[31m");
	out_close(o);
	fclose(f);
	CHECK_STR(buf, "<red\\x1b[31m>");
	free(buf);
}

static struct report *mk_report(const char *title, const char *f1, const char *f2)
{
	struct report *r = report_new();
	struct frame *f;

	r->title = title ? xstrdup(title) : NULL;
	r->nacc = 2;
	r->acc[0].type = ACC_WRITE;
	f = access_add_frame(&r->acc[0]);
	f->func = xstrdup(f1);
	r->acc[1].type = ACC_READ;
	f = access_add_frame(&r->acc[1]);
	f->func = xstrdup(f2);
	sbuf_adds(&r->norm, title ? title : "");
	return r;
}

static void test_identity(void)
{
	struct report *a = mk_report("KCSAN: data-race in x / y", "x", "y.isra.0");
	struct report *b = mk_report("KCSAN: data-race in x / y", "y", "x");
	char sa[33], sb[33], ha[33], hb[33];

	/* the order of the accesses and clone suffixes do not matter */
	b->acc[0].type = ACC_READ;
	b->acc[1].type = ACC_WRITE;
	report_signature(a, sa);
	report_signature(b, sb);
	CHECK_STR(sa, sb);
	/* the occurrence hash covers the printk time */
	a->log_time = xstrdup("1.0");
	report_occurrence_hash(a, ha);
	free(a->log_time);
	a->log_time = xstrdup("2.0");
	report_occurrence_hash(a, hb);
	CHECK(strcmp(ha, hb) != 0);
	report_free(a);
	report_free(b);

	/* generic helpers take their caller into the signature */
	a = mk_report("KCSAN: data-race in memcmp", "memcmp", "z");
	b = mk_report("KCSAN: data-race in memcmp", "memcmp", "z");
	{
		struct frame *f = access_add_frame(&a->acc[0]);

		f->func = xstrdup("hci_get_route");
		f = access_add_frame(&b->acc[0]);
		f->func = xstrdup("tcp_v4_rcv");
	}
	report_signature(a, sa);
	report_signature(b, sb);
	CHECK(strcmp(sa, sb) != 0);
	report_free(a);
	report_free(b);
}

static void test_rules(void)
{
	struct ctx ctx = { 0 };
	struct rules rs = { 0 };
	const char *good =
		"# comment\n"
		"struct vring_used\n"
		"    writer device\n"
		"    align 4\n"
		"    reference spec\n"
		"    function ^more_used_split$\n"
		"    member idx\n"
		"        offset 2\n"
		"        size 2\n"
		"        expr \\bused->idx\\b\n"
		"    member ring[].len\n"
		"        offset 8\n"
		"        size 4\n"
		"        stride 8\n";
	const char *bad =
		"struct x\n"
		"    writer gremlin\n"
		"    align 3\n"
		"    member m\n"
		"        offset two\n"
		"        size 4\n"
		"    frobnicate yes\n";

	ctx.quiet = 1;
	CHECK_INT(rules_parse(&ctx, &rs, "good.rules", good, strlen(good)), 0);
	CHECK_INT(rs.n, 1);
	if (rs.n == 1) {
		const struct rule *r = &rs.v[0];

		CHECK_STR(r->name, "vring_used");
		CHECK_INT(r->writer, W_DEVICE);
		CHECK_INT(r->nmembers, 2);
		CHECK(rule_function_matches(r, NULL, "more_used_split"));
		CHECK(rule_function_matches(r, NULL, "more_used_split.isra.0"));
		CHECK(!rule_function_matches(r, NULL, "more_used_packed"));
		CHECK(pattern_match(&r->members[0].expr, "	return vq->last_used_idx != virtio16_to_cpu(vq->vq.vdev, vq->split.vring.used->idx);"));
		/* idx: 2 bytes at 2 mod 4 */
		CHECK(rule_member_fits(r, &r->members[0], 0xffff888000b1d942, 2));
		CHECK(!rule_member_fits(r, &r->members[0], 0xffff888000b1d940, 2));
		CHECK(!rule_member_fits(r, &r->members[0], 0xffff888000b1d942, 4));
		/* ring[].len: 4 bytes at 8 + 8k; the struct is only 4-aligned */
		CHECK(rule_member_fits(r, &r->members[1], 0xffff888000b1d94c, 4));
		CHECK(!rule_member_fits(r, &r->members[1], 0xffff888000b1d94e, 4));
	}
	ctx.errors = 0;
	{
		/* the messages are expected: keep them off the test's output */
		int saved = quiet_stderr();

		CHECK_INT(rules_parse(&ctx, &rs, "bad.rules", bad, strlen(bad)), -1);
		restore_stderr(saved);
	}
	CHECK(ctx.errors >= 4);
	{
		struct rules *heap = xcalloc(1, sizeof(*heap));

		*heap = rs;
		rules_free(heap);
	}
}

static void free_rules(struct rules *rs)
{
	struct rules *heap = xcalloc(1, sizeof(*heap));

	*heap = *rs;
	rules_free(heap);
}

/* A catastrophic pattern stops at the match limits, is turned off, and is drained once. */
static void test_rules_limits(void)
{
	const char *text =
		"struct evil_thing\n"
		"\twriter device\n"
		"\talign 4\n"
		"\treference none\n"
		"\tfunction ^(a+)+$\n"
		"\tmember x\n"
		"\t\toffset 0\n"
		"\t\tsize 4\n";
	struct ctx ctx = { 0 };
	struct rules rs = { 0 };
	struct rules_limit_hit h;
	struct timespec t0, t1;
	bool any = false;
	double ms;

	ctx.quiet = 1;
	CHECK_INT(rules_parse(&ctx, &rs, "cat.rules", text, strlen(text)), 0);
	CHECK(!rules_drain_limit_hit(&rs, &h));
	CHECK(rule_function_matches(&rs.v[0], NULL, "aaaa"));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 1000; i++)
		any |= rule_function_matches(&rs.v[0], NULL, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	CHECK(!any);
	CHECK(ms < 2000);
	CHECK(rules_drain_limit_hit(&rs, &h));
	CHECK_STR(h.origin, "cat.rules:5");
	CHECK_STR(h.rule, "evil_thing");
	CHECK_STR(h.pattern, "^(a+)+$");
	CHECK_INT(h.hits, RULES_LIMIT_HITS_OFF);
	CHECK(h.off);
	CHECK(!rules_drain_limit_hit(&rs, &h));
	CHECK(!rule_function_matches(&rs.v[0], NULL, "aaaa"));   /* turned off */
	free_rules(&rs);
}

/* Errors keep their reason; NUL bytes are errors. */
static void test_rules_errors(void)
{
	struct ctx ctx = { 0 };
	struct rules rs = { 0 };
	static const char nul[] = "struct s\n\tfunction ^virtqueue\0junk\n";
	int saved;

	saved = quiet_stderr();
	CHECK_INT(rules_parse(&ctx, &rs, "nul.rules", nul, sizeof(nul) - 1), -1);
	restore_stderr(saved);
	CHECK_INT(ctx.errors, 6);   /* the NUL, and five for the block without its attributes */
	CHECK(!rs.n || !rs.v[0].functions.n);
	free_rules(&rs);
}

/* ---------------------------------------------------------------------- */
/* untrusted text on a terminal */

static char *term(const char *s, size_t n, unsigned flags)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_add_term(&sb, s, n, flags);
	return sbuf_detach(&sb);
}

#define CHECK_TERM(in, want) do { \
	char *_t = term(in, sizeof(in) - 1, 0); \
	CHECK_STR(_t, want); \
	free(_t); \
} while (0)

static void test_term_safe(void)
{
	char *t;

	CHECK_TERM("plain text, tab\tkept", "plain text, tab\tkept");
	CHECK_TERM("a\x1b]2;PWNED\x07\x1b[2Jb.log", "a\\x1b]2;PWNED\\x07\\x1b[2Jb.log");
	CHECK_TERM("two\nlines\r", "two\\nlines\\r");
	CHECK_TERM("nul\0byte", "nul\\x00byte");
	CHECK_TERM("del\x7f", "del\\x7f");
	CHECK_TERM("c1 raw \x9b" "31m", "c1 raw \\x9b" "31m");                  /* 8-bit CSI */
	CHECK_TERM("c1 utf8 \xc2\x9b\xc2\x9d", "c1 utf8 \\u009b\\u009d");
	CHECK_TERM("bidi \xe2\x80\xae evil \xe2\x81\xa6 \xe2\x81\xa9", "bidi \\u202e evil \\u2066 \\u2069");
	CHECK_TERM("marks \xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", "marks \\u200e\\u200f\\u061c");
	CHECK_TERM("invalid \xff\xfe \xc3( \xe2\x82", "invalid \\xff\\xfe \\xc3( \\xe2\\x82");
	CHECK_TERM("overlong \xc0\xaf surrogate \xed\xa0\x80", "overlong \\xc0\\xaf surrogate \\xed\\xa0\\x80");
	CHECK_TERM("utf-8 ok: \xc3\xa9t\xc3\xa9 \xe2\x80\xa6 \xf0\x9f\x90\xa7 \xc2\xa0",
		   "utf-8 ok: \xc3\xa9t\xc3\xa9 \xe2\x80\xa6 \xf0\x9f\x90\xa7 \xc2\xa0");
	CHECK_TERM("back\\slash", "back\\slash");
	t = term("keep\nnewline\x1b", 13, KT_TERM_KEEP_NL);
	CHECK_STR(t, "keep\nnewline\\x1b");
	free(t);
	t = kt_quote_term("x\x1by");
	CHECK_STR(t, "x\\x1by");
	free(t);
}

/* kt_fputs_term() of s, as its stream received it. */
static char *term_stream(const char *s, unsigned flags)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	kt_fputs_term(f, s, flags);
	fclose(f);
	return buf;
}

/*
 * Hostile bytes after a run of plain ones, at every place of the 16-byte
 * blocks the plain run is passed over by (and in the byte-by-byte tail):
 * the same escapes as alone, through a buffer and through a stream.
 */
static void test_term_safe_blocks(void)
{
	static const struct {
		const char *in, *out, *out_nl;   /* out_nl: with KT_TERM_KEEP_NL */
	} bad[] = {
		{ "\x1b[2J", "\\x1b[2J", "\\x1b[2J" },
		{ "\n", "\\n", "\n" },
		{ "\r", "\\r", "\\r" },
		{ "\x7f", "\\x7f", "\\x7f" },
		{ "\x9b", "\\x9b", "\\x9b" },
		{ "\xc2\x9b", "\\u009b", "\\u009b" },
		{ "\xe2\x80\xae", "\\u202e", "\\u202e" },
		{ "\xff", "\\xff", "\\xff" },
		{ "\t", "\t", "\t" },
		{ "\xc3\xa9", "\xc3\xa9", "\xc3\xa9" },
	};

	for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++)
		for (size_t at = 0; at <= 40; at++)
			for (int nl = 0; nl < 2; nl++) {
				unsigned flags = nl ? KT_TERM_KEEP_NL : 0;
				struct sbuf in = SBUF_INIT, want = SBUF_INIT;
				char *got, *streamed;

				for (size_t i = 0; i < at; i++) {
					sbuf_addc(&in, (char)('a' + i % 26));
					sbuf_addc(&want, (char)('a' + i % 26));
				}
				sbuf_adds(&in, bad[b].in);
				sbuf_adds(&want, nl ? bad[b].out_nl : bad[b].out);
				sbuf_adds(&in, " and after, plain");
				sbuf_adds(&want, " and after, plain");
				got = term(in.buf, in.len, flags);
				streamed = term_stream(in.buf, flags);
				CHECK_STR(got, want.buf);
				CHECK_STR(streamed, want.buf);
				free(got);
				free(streamed);
				sbuf_release(&in);
				sbuf_release(&want);
			}
}

/* What kt_error() and kt_warn() write to stderr. */
static char *diag(const char *pos, const char *arg, bool warn)
{
	char *path = xasprintf("%s/stderr", tmpdir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), saved;
	struct ctx ctx = { 0 };
	struct sbuf sb = SBUF_INIT;
	FILE *f;

	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	close(fd);
	if (warn)
		kt_warn(&ctx, pos, "bad name '%s' here", arg);
	else
		kt_error(&ctx, KT_EXIT_INPUT, pos, "cannot open: %s", arg);
	restore_stderr(saved);
	f = fopen(path, "rb");
	sbuf_read_file(&sb, f);
	fclose(f);
	free(path);
	return sbuf_detach(&sb);
}

static void test_diag_safe(void)
{
	char *t, *big;

	t = diag("d//a\x1b]2;PWNED\x07\x1b[2Jb.log", "No such file", false);
	CHECK_STR(t, "kcsan-triage: error: d//a\\x1b]2;PWNED\\x07\\x1b[2Jb.log: cannot open: No such file\n");
	free(t);
	t = diag("x\nkcsan-triage: error: FAKE.txt:2", "y", false);
	CHECK_STR(t, "kcsan-triage: error: x\\nkcsan-triage: error: FAKE.txt:2: cannot open: y\n");
	free(t);
	t = diag(NULL, "\xe2\x80\xae\xc2\x9b", true);
	CHECK_STR(t, "kcsan-triage: warning: bad name '\\u202e\\u009b' here\n");
	free(t);
	/* a long argument does not cut the end of the message */
	big = xmalloc(3001);
	memset(big, 'a', 3000);
	big[3000] = 0;
	t = diag(NULL, big, true);
	CHECK_INT(strlen(t), strlen("kcsan-triage: warning: bad name '' here\n") + 3000);
	CHECK(strstr(t, "' here\n") != NULL);
	free(t);
	free(big);
}

/* The man page's LIMITS say the numbers the code uses. */
static void test_limits_documented(void)
{
	FILE *f = fopen("man/kcsan-triage.1", "rb");
	struct sbuf sb = SBUF_INIT;
	char *want[6];

	if (!f) {
		CHECK(!"man/kcsan-triage.1 not found (run from the top of the tree)");
		return;
	}
	sbuf_read_file(&sb, f);
	fclose(f);
	for (size_t i = 0; i < sb.len; i++)
		if (sb.buf[i] == '\n')
			sb.buf[i] = ' ';
	want[0] = xasprintf("PCRE2 limits: %d for the match limit, %d for the depth limit, %d MiB of heap",
			    RULES_MATCH_LIMIT, RULES_DEPTH_LIMIT, RULES_HEAP_LIMIT_KIB >> 10);
	want[1] = xasprintf("a pattern that hits them %d times is turned off", RULES_LIMIT_HITS_OFF);
	want[2] = xasprintf("of at most %d MiB", RULES_MAX_FILE >> 20);
	want[3] = xasprintf("capped at %llu GiB", DECOMP_DEFAULT_CAP >> 30);
	want[4] = xasprintf("at most %u MiB of memory to decode, a zstd frame a window of at most %d MiB",
			    DECOMP_XZ_MEMLIMIT >> 20, 1 << (DECOMP_ZSTD_WINDOW_LOG_MAX - 20));
	want[5] = xasprintf("up to 1 MiB (%d bytes)", INPUT_MAX_LINE);
	for (int i = 0; i < 6; i++) {
		if (!strstr(sb.buf, want[i]))
			fprintf(stderr, "man page lacks: %s\n", want[i]);
		CHECK(strstr(sb.buf, want[i]) != NULL);
		free(want[i]);
	}
	sbuf_release(&sb);
}

int main(void)
{
	static const struct unit_test tests[] = {
		TEST(test_qp), TEST(test_base64), TEST(test_skip_and_lines), TEST(test_meta_taken), TEST(test_giant_line),
		TEST(test_scan_newlines), TEST(test_scan_anchor), TEST(test_scan_wanted), TEST(test_scan_text_skip), TEST(test_scan_text_stops),
		TEST(test_scan_clean),
		TEST(test_pipeline), TEST(test_enrich), TEST(test_release),
		TEST(test_json), TEST(test_identity), TEST(test_rules),
		TEST(test_term_safe), TEST(test_term_safe_blocks), TEST(test_diag_safe), TEST(test_rules_limits), TEST(test_rules_errors),
		TEST(test_limits_documented), { NULL, NULL },
	};
	int rc;

	if (!mkdtemp(tmpdir))
		return 2;
	for (const struct unit_test *t = tests; t->name; t++) {
		unit_current = t->name;
		t->fn();
	}
	printf("%d checks, %d failed\n", unit_checks, unit_failures);
	rc = unit_failures ? 1 : 0;
	{
		char *cmd = xasprintf("rm -rf '%s'", tmpdir);

		if (system(cmd) != 0)
			rc = 2;
		free(cmd);
	}
	return rc;
}
