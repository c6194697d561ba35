/*
 * fuzz_mailmeta.c - a fuzz target for the mail and syzbot header reader
 * (mailmeta.h) and the wall-clock times (evtime.h), on arbitrary bytes
 * taken as lines: each raw line goes to the reader's part
 * (mailmeta_raw_maybe, mailmeta_header_raw), the others through the
 * normalizer to the parser's part (mailmeta_feed) and evtime_from_line;
 * a line that starts with "BUG" begins a report, which takes what was
 * said (mailmeta_attach) and is checked: every field it got is a
 * NUL-terminated string no longer than the input.  Seeds:
 * fixtures/formats/ (syzbot-*, dmesg-T.log, journal-iso.log, syslog.log).
 * How to run it and replay saved inputs: fuzz.h.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evtime.h"
#include "mailmeta.h"
#include "normalize.h"
#include "report.h"

static void fuzz_cleanup(void) {}

/* A report begins at the line: it takes the metadata, which must be sane. */
static void fuzz_meta_report(struct mailmeta *m, size_t size)
{
	struct report *r = report_new();

	mailmeta_attach(m, r);
	if (r->meta)
		for (int f = 0; f < META_NFIELDS; f++)
			if (r->meta->v[f] && strlen(r->meta->v[f]) > size)
				abort();
	report_free(r);
}

/* One line: the reader's part, then the parser's. */
static void fuzz_meta_line(struct mailmeta *m, struct normalizer *nz, const char *p, size_t n, uint64_t no,
			   size_t size)
{
	struct input_line in = { .text = p, .len = n, .lineno = no };
	struct nline l;
	char t[EVTIME_LEN];

	(void)mailmeta_raw_maybe(p, n);
	if (mailmeta_header_raw(m, p, n)) {
		if (n > 5 && !strncasecmp(p, "Date:", 5) && evtime_from_date(p + 5, n - 5, t) && strlen(t) >= EVTIME_LEN)
			abort();
		return;
	}
	normalize_line(nz, &in, &l);
	if (evtime_from_line(&l, 1764590587, t) && strlen(t) >= EVTIME_LEN)
		abort();
	if (mailmeta_maybe(m, &l))
		mailmeta_feed(m, &l);
	if (l.len >= 3 && !memcmp(l.text, "BUG", 3))
		fuzz_meta_report(m, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mailmeta m = { 0 };
	struct normalizer nz = { SBUF_INIT, SBUF_INIT, SBUF_INIT };
	char *buf = malloc(size + 1);   /* the lines, NUL-terminated as the reader hands them on */
	const char *p = buf, *end = buf + size;
	uint64_t no = 1;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		size_t n = e ? (size_t)(e - p) : (size_t)(end - p);

		buf[(p - buf) + n] = 0;
		fuzz_meta_line(&m, &nz, p, n, no++, size);
		p += n + 1;
	}
	mailmeta_release(&m);
	normalizer_release(&nz);
	free(buf);
	return 0;
}

#include "fuzz.h"
