/* mailmeta.c - syzbot's and a mail's metadata around reports (mailmeta.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailmeta.h"

#define MAILMETA_MAX_VALUE 1024
#define MAILMETA_FROM (-1)      /* an mbox's "From " line: a new message */

static const struct mailmeta_key {
	const char *prefix;
	unsigned char len;
	signed char field;
	bool header;            /* a mail header: only unquoted, and it may begin a new message */
	const char *name, *label;
} mailmeta_keys[] = {
	{ "HEAD commit:", 12, META_HEAD_COMMIT, false, "head_commit", "HEAD commit" },
	{ "git tree:", 9, META_GIT_TREE, false, "git_tree", "git tree" },
	{ "console output:", 15, META_CONSOLE, false, "console_output", "console output" },
	{ "kernel config:", 14, META_CONFIG, false, "kernel_config", "kernel config" },
	{ "dashboard link:", 15, META_DASHBOARD, false, "dashboard_link", "dashboard link" },
	{ "syz repro:", 10, META_SYZ_REPRO, false, "syz_repro", "syz repro" },
	{ "C reproducer:", 13, META_C_REPRO, false, "c_reproducer", "C reproducer" },
	{ "Reported-by:", 12, META_EXTID, false, "extid", "syzbot extid" },
	{ "Date:", 5, META_DATE, true, "date", "Date" },
	{ "Message-ID:", 11, META_MESSAGE_ID, true, "message_id", "Message-ID" },
	{ "Subject:", 8, META_SUBJECT, true, "subject", "Subject" },
	{ "From ", 5, MAILMETA_FROM, false, NULL, NULL },
};
#define MAILMETA_NKEYS (sizeof(mailmeta_keys) / sizeof(mailmeta_keys[0]))

/*
 * Each key by its first character (1 + its index; one key each): the
 * table that gates every line.  The keys are matched as syzbot and mail
 * programs write them (mail headers: "Message-Id:" too).
 */
#define T MAILMETA_TEXT | MAILMETA_RAW
const unsigned char mailmeta_first[256] = {
	['H'] = T, ['g'] = T, ['c'] = T, ['k'] = T, ['d'] = T, ['s'] = T, ['C'] = T, ['R'] = T,
	['D'] = T, ['M'] = T, ['S'] = T, ['F'] = T, ['>'] = MAILMETA_RAW, ['|'] = MAILMETA_RAW,
};
#undef T
const unsigned char mailmeta_index[256] = {
	['H'] = 1, ['g'] = 2, ['c'] = 3, ['k'] = 4, ['d'] = 5, ['s'] = 6, ['C'] = 7, ['R'] = 8,
	['D'] = 9, ['M'] = 10, ['S'] = 11, ['F'] = 12,
};
const char mailmeta_second[16] = { 0, 'E', 'i', 'o', 'e', 'a', 'y', ' ', 'e', 'a', 'e', 'u', 'r' };

const char *mailmeta_field_name(enum meta_field f)
{
	for (size_t i = 0; i < MAILMETA_NKEYS; i++)
		if (mailmeta_keys[i].field == (int)f)
			return mailmeta_keys[i].name;
	return NULL;
}

const char *mailmeta_field_label(enum meta_field f)
{
	for (size_t i = 0; i < MAILMETA_NKEYS; i++)
		if (mailmeta_keys[i].field == (int)f)
			return mailmeta_keys[i].label;
	return NULL;
}

/* p[0, n) is k[0, n) (keys are short: no call of memcmp). */
static inline bool mailmeta_same(const char *p, const char *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != k[i])
			return false;
	return true;
}

/* The key p[0, n) starts with: its index, or -1.  Two bytes decide for most lines. */
static int mailmeta_key(const char *p, size_t n)
{
	unsigned i = mailmeta_index[(unsigned char)p[0]];
	const struct mailmeta_key *k;

	if (!i--)
		return -1;
	k = &mailmeta_keys[i];
	if (n < k->len || p[1] != k->prefix[1])
		return -1;
	if (!mailmeta_same(p + 2, k->prefix + 2, k->len - 2u)) {
		/* "Message-Id:", "Reported-By:" */
		if (n >= k->len && (k->field == META_MESSAGE_ID || k->field == META_EXTID) &&
		    !strncasecmp(p, k->prefix, k->len))
			return (int)i;
		return -1;
	}
	return (int)i;
}

/* An mbox separator: "From ADDR DAY MON DD hh:mm:ss YYYY" (not prose that begins with "From "). */
static bool mailmeta_mbox_from(const char *p, size_t n)
{
	const char *sp;

	if (n < 30 || p[5] == ' ' || !(p[n - 1] >= '0' && p[n - 1] <= '9'))
		return false;
	sp = memchr(p + 5, ' ', n - 5);
	return sp && memchr(sp, ':', (size_t)(p + n - sp)) && memchr(p + 5, '@', (size_t)(sp - p - 5));
}

bool mailmeta_raw_line(const char *p, size_t n)
{
	size_t k;
	int i;

	if (!n || !mailmeta_first[(unsigned char)p[0]])
		return false;
	k = mailmeta_quoting(p, n);
	if (k == n || !(mailmeta_first[(unsigned char)p[k]] & MAILMETA_TEXT))
		return false;
	i = mailmeta_key(p + k, n - k);
	if (i < 0)
		return false;
	if (mailmeta_keys[i].field == MAILMETA_FROM)
		return k == 0 && mailmeta_mbox_from(p, n);
	return !mailmeta_keys[i].header || k == 0;
}

/* A new message: the values unset (their storage kept). */
static void mailmeta_reset(struct mailmeta *m)
{
	if (m->any)
		memset(m->cur.v, 0, sizeof(m->cur.v));
	m->date_time[0] = 0;
	m->date_read = false;
	m->body = m->fold = m->any = false;
}

void mailmeta_release(struct mailmeta *m)
{
	mailmeta_reset(m);
	for (int i = 0; i < META_NFIELDS; i++) {
		free(m->buf[i]);
		m->buf[i] = NULL;
		m->cap[i] = 0;
	}
}

/* Field f's storage, room for n bytes and a NUL (what it holds is kept). */
static char *mailmeta_room(struct mailmeta *m, int f, size_t n)
{
	if (n + 1 > m->cap[f]) {
		size_t cap = n + 1 < 64 ? 64 : n + 1;

		m->buf[f] = xrealloc(m->buf[f], cap);
		m->cap[f] = cap;
	}
	return m->buf[f];
}

static void mailmeta_set(struct mailmeta *m, int f, const char *v, size_t n)
{
	char *b;

	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (!n)
		return;
	if (n > MAILMETA_MAX_VALUE)
		n = MAILMETA_MAX_VALUE;
	b = mailmeta_room(m, f, n);
	memmove(b, v, n);       /* (v may be a part of the value it replaces) */
	b[n] = 0;
	m->cur.v[f] = b;
	m->any = true;
}

/* "syzbot+EXTID@..." (or "...?extid=EXTID" of a dashboard link): the extid, or false. */
static bool mailmeta_extid(const char *v, size_t n, const char *mark, const char **id, size_t *len)
{
	const char *e = v + n, *s;
	size_t ml = strlen(mark);

	for (s = v; s + ml <= e && memcmp(s, mark, ml); s++)
		;
	if (s + ml > e)
		return false;
	s += ml;
	*id = s;
	while (s < e && ((*s >= '0' && *s <= '9') || ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z')))
		s++;
	*len = (size_t)(s - *id);
	return *len >= 4 && (s == e || *s == '@' || *s == '&' || *s == '>' || *s == ' ');
}

/* A line of syzbot's block, or its Reported-by: tag. */
static void mailmeta_body(struct mailmeta *m, int f, const char *v, size_t n)
{
	const char *id;
	size_t len;

	if (f == META_EXTID) {
		if (!mailmeta_extid(v, n, "syzbot+", &id, &len))
			return;
		mailmeta_set(m, f, id, len);
	} else {
		mailmeta_set(m, f, v, n);
		if (f == META_DASHBOARD && !m->cur.v[META_EXTID] && mailmeta_extid(v, n, "extid=", &id, &len))
			mailmeta_set(m, META_EXTID, id, len);
	}
	m->body = true;
}

static void mailmeta_header(struct mailmeta *m, int f, const char *v, size_t n)
{
	if (m->body)
		mailmeta_reset(m);  /* a header after a body: the next message */
	mailmeta_set(m, f, v, n);
	if (f == META_DATE)
		m->date_read = false;
	m->fold = f == META_SUBJECT;
}

/* The value after key k at p[0, n), blanks and a CR trimmed. */
static void mailmeta_value(const struct mailmeta_key *k, const char *p, size_t n, const char **v, size_t *vn)
{
	*v = p + k->len;
	*vn = n - k->len;
	while (*vn && (**v == ' ' || **v == '\t')) {
		(*v)++;
		(*vn)--;
	}
	while (*vn && (*v)[*vn - 1] == '\r')
		(*vn)--;
}

/* A folded line of the Subject: (it begins with a blank): joined to it. */
static bool mailmeta_fold(struct mailmeta *m, const char *p, size_t n)
{
	char **s = &m->cur.v[META_SUBJECT];

	m->fold = false;
	if (!n || (p[0] != ' ' && p[0] != '\t'))
		return false;
	while (n && (p[0] == ' ' || p[0] == '\t')) {
		p++;
		n--;
	}
	while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	if (*s && n && strlen(*s) + n < MAILMETA_MAX_VALUE) {
		size_t l = strlen(*s);
		const char *z = memchr(p, 0, n);
		char *j;

		if (z)
			n = (size_t)(z - p);    /* (as "%.*s" would) */
		j = mailmeta_room(m, META_SUBJECT, l + 1 + n);
		j[l] = ' ';
		memcpy(j + l + 1, p, n);
		j[l + 1 + n] = 0;
		*s = j;
	}
	m->fold = true;
	return true;
}

bool mailmeta_header_raw(struct mailmeta *m, const char *p, size_t n)
{
	const struct mailmeta_key *k;
	const char *v;
	size_t vn;
	int i;

	if (m->fold && mailmeta_fold(m, p, n))
		return true;
	/* the headers' first letters only */
	if (!n || (p[0] != 'D' && p[0] != 'M' && p[0] != 'S' && p[0] != 'F') || (i = mailmeta_key(p, n)) < 0)
		return false;
	k = &mailmeta_keys[i];
	if (k->field == MAILMETA_FROM) {
		if (!mailmeta_mbox_from(p, n))
			return false;
		mailmeta_reset(m);
		return true;
	}
	if (!k->header)
		return false;
	mailmeta_value(k, p, n, &v, &vn);
	mailmeta_header(m, k->field, v, vn);
	return true;
}

bool mailmeta_feed(struct mailmeta *m, const struct nline *l)
{
	const struct mailmeta_key *k;
	const char *v;
	size_t n;
	int i;

	if (!l->len || !(mailmeta_first[(unsigned char)l->text[0]] & MAILMETA_TEXT))
		return false;
	i = mailmeta_key(l->text, l->len);
	if (i < 0)
		return false;
	k = &mailmeta_keys[i];
	if (k->field == MAILMETA_FROM || k->header)
		return true;            /* the reader took it */
	mailmeta_value(k, l->text, l->len, &v, &n);
	mailmeta_body(m, k->field, v, n);
	return true;
}

void mailmeta_attach(struct mailmeta *m, struct report *r)
{
	m->body = true;
	if (!m->date_read) {
		const char *d = m->cur.v[META_DATE];

		m->date_read = true;
		if (!d || !evtime_from_date(d, strlen(d), m->date_time))
			m->date_time[0] = 0;
	}
	if (!r->event_time && m->date_time[0])
		r->event_time = xstrdup(m->date_time);
	if (m->any && !r->meta)
		r->meta = report_meta_dup(&m->cur);
}
