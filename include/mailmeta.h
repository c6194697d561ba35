/*
 * mailmeta.h - what a mail or a syzbot report says around its reports:
 * syzbot's header block ("HEAD commit:", "git tree:", "console output:",
 * "kernel config:", "dashboard link:", "syz repro:", "C reproducer:"), the
 * extid of "Reported-by: syzbot+EXTID@syzkaller.appspotmail.com", and the
 * mail's Date:, Message-ID: and Subject:.  The reader gives it the mail
 * headers as it reads them (mailmeta_header_raw(): they never reach the
 * parser), the parser the other lines it is given (mailmeta_feed()); each
 * report takes what was said before it began.  In an
 * mbox each message starts afresh ("From " line, or a header after a body);
 * quoted lines ("> HEAD commit: ...") count too, quoted mail headers not.
 */
#ifndef MAILMETA_H
#define MAILMETA_H

#include "evtime.h"
#include "normalize.h"
#include "report.h"

/* The first characters of the lines that may hold metadata (MAILMETA_TEXT), and of quoting (MAILMETA_RAW). */
enum { MAILMETA_TEXT = 1, MAILMETA_RAW = 2 };
extern const unsigned char mailmeta_first[256];
/* The key a first character begins (1 + its index, 0: none), and each key's second character. */
extern const unsigned char mailmeta_index[256];
extern const char mailmeta_second[16];

struct mailmeta {
	struct report_meta cur;  /* each value: buf[f], or NULL when unset */
	char *buf[META_NFIELDS];  /* the values' storage, kept from message to message */
	size_t cap[META_NFIELDS];
	char date_time[EVTIME_LEN];   /* cur's Date: in UTC, or "" (read when a report needs it) */
	bool date_read;         /* date_time is cur's Date:'s */
	bool body;              /* a body line or a report since the last header: the next one is a new message */
	bool fold;              /* the line before was a Subject: that may continue */
	bool any;               /* cur holds something */
};

/* The parser's cheap gate: may this normalized line be one of syzbot's block? */
static inline bool mailmeta_maybe(const struct mailmeta *m, const struct nline *l)
{
	(void)m;
	return l->len && (mailmeta_first[(unsigned char)l->text[0]] & MAILMETA_TEXT);
}

/* Take what a line of syzbot's block says (any quoting): true when it is a metadata line. */
bool mailmeta_feed(struct mailmeta *m, const struct nline *l);
/*
 * The reader's part: a raw line that is a mail header (Date:, Message-ID:,
 * Subject: and its folded lines, an mbox From line) at the start of the
 * line: taken, and true.
 */
bool mailmeta_header_raw(struct mailmeta *m, const char *p, size_t n);
/* True when the next line must be read even by an idle reader (it may continue a Subject:). */
static inline bool mailmeta_pending(const struct mailmeta *m)
{
	return m->fold;
}
/* A report begins: it takes a copy of what was said (r->meta), and the Date:'s time when it has none. */
void mailmeta_attach(struct mailmeta *m, struct report *r);
void mailmeta_release(struct mailmeta *m);

/*
 * For the reader: true when a raw line (any quoting before it) is one the
 * parser must see although no report is open.  First characters only, for
 * most lines.
 */
bool mailmeta_raw_line(const char *p, size_t n);
/*
 * Whether p[0, n) may be such a line by its first two characters after
 * quoting (p[0, 15) at most are read): the lines it is false for are not.
 */
/*
 * The quoting that begins p[0, n): "> > ", ">>", "| ", each a mark and at
 * most one blank after it, at most a dozen bytes (p[k] and p[k + 1] are
 * read at each step).  Its length.
 */
static inline size_t mailmeta_quoting(const char *p, size_t n)
{
	size_t k = 0;

	while (k + 1 < n && k < 12 && (p[k] == '>' || p[k] == '|'))
		k += 1 + (p[k + 1] == ' ');
	return k;
}

static inline bool mailmeta_key_maybe(const char *p, size_t n)
{
	size_t k;
	unsigned i;

	if (!n || !mailmeta_first[(unsigned char)p[0]])
		return false;
	k = mailmeta_quoting(p, n);
	if (n - k < 5)
		return false;
	i = mailmeta_index[(unsigned char)p[k]];
	return i && p[k + 1] == mailmeta_second[i];
}

/* mailmeta_raw_line(), called only when mailmeta_key_maybe(): most lines need no call. */
static inline bool mailmeta_raw_maybe(const char *p, size_t n)
{
	return mailmeta_key_maybe(p, n) && mailmeta_raw_line(p, n);
}

/* "extid", "head_commit", ..., the names in JSON and in the store. */
const char *mailmeta_field_name(enum meta_field f);
/* "extid", "HEAD commit", ...: the labels show prints. */
const char *mailmeta_field_label(enum meta_field f);

#endif
