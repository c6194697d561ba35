/* render.c - text and JSON output from the same calls. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailmeta.h"
#include "render.h"

#define MAX_NEST 32

struct out {
	FILE *fp;
	enum kt_format fmt;
	int depth;
	bool first[MAX_NEST];   /* no element written yet at this level */
	bool is_arr[MAX_NEST];
	bool pretty;
	bool color;             /* text: SGR escapes for styles */
	bool utf8;              /* text: the terminal takes UTF-8 (an ellipsis for a cut) */
	int width;              /* text on a terminal: the columns tables fit; 0: none */
};

struct out *out_new(FILE *fp, enum kt_format fmt)
{
	struct out *o = xcalloc(1, sizeof(*o));

	o->fp = fp;
	o->fmt = fmt;
	o->first[0] = true;
	o->pretty = true;
	return o;
}

/* The locale's character set is UTF-8 (the first of LC_ALL, LC_CTYPE, LANG that is set). */
static bool locale_utf8(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_CTYPE", "LANG" };

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		if (v && *v)
			return strcasestr(v, "utf-8") || strcasestr(v, "utf8");
	}
	return false;
}

struct out *out_new_stdout(const struct ctx *ctx, enum kt_format fmt)
{
	struct out *o = out_new(stdout, fmt);

	if (fmt == KT_FMT_TEXT) {
		o->color = ctx->color;
		o->width = ctx->tty ? ctx->columns : 0;
		o->utf8 = locale_utf8();
	}
	return o;
}

bool out_terminal(const struct out *o)
{
	return o->fmt == KT_FMT_TEXT && o->width > 0;
}

int out_columns(const struct out *o)
{
	return o->fmt == KT_FMT_TEXT ? o->width : 0;
}

int out_close(struct out *o)
{
	int rc = 0;

	if (o->fmt == KT_FMT_JSON && o->depth == 0 && !o->first[0])
		fputc('\n', o->fp);
	if (fflush(o->fp) != 0 || ferror(o->fp))
		rc = -1;
	free(o);
	return rc;
}

bool out_json(const struct out *o)
{
	return o->fmt == KT_FMT_JSON;
}

/* ---------------------------------------------------------------------- */
/* JSON */

static void json_string(FILE *fp, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putc_unlocked('"', fp);
	while (*p) {
		const unsigned char *run = p;
		unsigned char c;
		int n = 0;

		/* printable ASCII as it is, a run at a time */
		while (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
			p++;
		if (p > run)
			fwrite_unlocked(run, 1, (size_t)(p - run), fp);
		c = *p;
		if (!c)
			break;
		if (c == '"' || c == '\\') {
			putc_unlocked('\\', fp);
			putc_unlocked(c, fp);
			p++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			switch (c) {
			case '\n': fputs_unlocked("\\n", fp); break;
			case '\t': fputs_unlocked("\\t", fp); break;
			case '\r': fputs_unlocked("\\r", fp); break;
			default: fprintf(fp, "\\u%04x", c); break;   /* (the caller holds fp) */
			}
			p++;
			continue;
		}
		/* UTF-8: copy a well-formed sequence, replace anything else */
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		if (n) {
			int i;
			bool ok = true;

			for (i = 1; i <= n; i++)
				if ((p[i] & 0xc0) != 0x80) {
					ok = false;
					break;
				}
			if (ok && c == 0xe0 && p[1] < 0xa0)
				ok = false;   /* overlong */
			if (ok && c == 0xed && p[1] >= 0xa0)
				ok = false;   /* surrogates */
			if (ok && c == 0xf0 && p[1] < 0x90)
				ok = false;
			if (ok && c == 0xf4 && p[1] >= 0x90)
				ok = false;
			if (ok) {
				fwrite_unlocked(p, 1, (size_t)n + 1, fp);
				p += n + 1;
				continue;
			}
		}
		fputs_unlocked("\\ufffd", fp);
		p++;
	}
	putc_unlocked('"', fp);
}

static void json_indent(struct out *o)
{
	static const char spaces[2 * MAX_NEST + 2] = "\n" "                                                                ";

	if (!o->pretty)
		return;
	fwrite_unlocked(spaces, 1, 1 + 2 * (size_t)o->depth, o->fp);
}

/* Separator and key before a value. */
static void json_pre(struct out *o, const char *key)
{
	if (!o->first[o->depth])
		putc_unlocked(',', o->fp);
	o->first[o->depth] = false;
	if (o->depth > 0)
		json_indent(o);
	if (key && o->depth > 0 && !o->is_arr[o->depth]) {
		json_string(o->fp, key);
		fputs_unlocked(": ", o->fp);
	}
}

static void json_open(struct out *o, const char *key, char c, bool arr)
{
	json_pre(o, key);
	putc_unlocked(c, o->fp);
	if (o->depth + 1 >= MAX_NEST)
		kt_die("output nested too deep");
	o->depth++;
	o->first[o->depth] = true;
	o->is_arr[o->depth] = arr;
}

static void json_close(struct out *o, char c)
{
	bool empty = o->first[o->depth];

	o->depth--;
	if (!empty)
		json_indent(o);
	putc_unlocked(c, o->fp);
}

/*
 * JSON goes out a token at a time, each by stdio's unlocked calls under
 * one lock of the stream (flockfile()), not a lock a byte.
 */
void out_begin_obj(struct out *o, const char *key)
{
	if (o->fmt != KT_FMT_JSON)
		return;
	flockfile(o->fp);
	json_open(o, key, '{', false);
	funlockfile(o->fp);
}

void out_end_obj(struct out *o)
{
	if (o->fmt != KT_FMT_JSON)
		return;
	flockfile(o->fp);
	json_close(o, '}');
	funlockfile(o->fp);
}

void out_begin_arr(struct out *o, const char *key)
{
	if (o->fmt != KT_FMT_JSON)
		return;
	flockfile(o->fp);
	json_open(o, key, '[', true);
	funlockfile(o->fp);
}

void out_end_arr(struct out *o)
{
	if (o->fmt != KT_FMT_JSON)
		return;
	flockfile(o->fp);
	json_close(o, ']');
	funlockfile(o->fp);
}

/* ---------------------------------------------------------------------- */
/* text */

/* Terminal-safe copy: control bytes (escapes) shown as ^X. */
static void text_safe(FILE *fp, const char *s)
{
	/* the program's one renderer of untrusted text: C0, DEL, C1, bidi controls, invalid UTF-8 */
	kt_fputs_term(fp, s, KT_TERM_KEEP_NL);
}

/* text_safe() to a buffer */
static void sbuf_text_safe(struct sbuf *sb, const char *s)
{
	sbuf_add_term(sb, s, strlen(s), KT_TERM_KEEP_NL);
}

/* printf with a single %s, %lld, %llx... argument, made terminal-safe for strings. */
static void text_fmt_str(FILE *fp, const char *fmt, const char *v)
{
	const char *pct = strstr(fmt, "%s");

	if (!pct) {
		fputs(fmt, fp);
		return;
	}
	fwrite(fmt, 1, (size_t)(pct - fmt), fp);
	text_safe(fp, v ? v : "-");
	fputs(pct + 2, fp);
}

void out_str(struct out *o, const char *key, const char *text_fmt, const char *v)
{
	if (o->fmt == KT_FMT_JSON) {
		flockfile(o->fp);
		json_pre(o, key);
		if (v)
			json_string(o->fp, v);
		else
			fputs_unlocked("null", o->fp);
		funlockfile(o->fp);
	} else if (text_fmt) {
		text_fmt_str(o->fp, text_fmt, v);
	}
}

void out_int(struct out *o, const char *key, const char *text_fmt, long long v)
{
	if (o->fmt == KT_FMT_JSON) {
		char buf[24];
		int n = snprintf(buf, sizeof(buf), "%lld", v);

		flockfile(o->fp);
		json_pre(o, key);
		fwrite_unlocked(buf, 1, (size_t)n, o->fp);
		funlockfile(o->fp);
	} else if (text_fmt) {
		fprintf(o->fp, text_fmt, v);
	}
}

void out_bool(struct out *o, const char *key, const char *text_fmt, bool v)
{
	if (o->fmt == KT_FMT_JSON) {
		flockfile(o->fp);
		json_pre(o, key);
		fputs_unlocked(v ? "true" : "false", o->fp);
		funlockfile(o->fp);
	} else if (text_fmt) {
		text_fmt_str(o->fp, text_fmt, v ? "yes" : "no");
	}
}

void out_hex(struct out *o, const char *key, const char *text_fmt, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	out_str(o, key, text_fmt, buf);
}

void out_null(struct out *o, const char *key)
{
	if (o->fmt == KT_FMT_JSON) {
		flockfile(o->fp);
		json_pre(o, key);
		fputs_unlocked("null", o->fp);
		funlockfile(o->fp);
	}
}

void out_text(struct out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->fmt == KT_FMT_JSON)
		return;
	va_start(ap, fmt);
	vfprintf(o->fp, fmt, ap);
	va_end(ap);
}

void out_text_safe(struct out *o, const char *s)
{
	if (o->fmt != KT_FMT_JSON)
		text_safe(o->fp, s);
}

/* The SGR parameters of each style. */
static const char *const style_sgr[] = {
	[STYLE_NONE] = NULL,
	[STYLE_BOLD] = "1",
	[STYLE_DIM] = "2",
	[STYLE_BAD] = "1;31",
	[STYLE_WARN] = "1;33",
	[STYLE_GOOD] = "32",
	[STYLE_NEW] = "1;36",
};

/* The SGR parameters of style st on o, or NULL: unstyled. */
static const char *style_of(const struct out *o, enum out_style st)
{
	return o->color ? style_sgr[st] : NULL;
}

static void style_on(const struct out *o, enum out_style st)
{
	if (style_of(o, st))
		fprintf(o->fp, "\033[%sm", style_of(o, st));
}

static void style_off(const struct out *o, enum out_style st)
{
	if (style_of(o, st))
		fputs("\033[m", o->fp);
}

enum out_style verdict_style(enum verdict v)
{
	switch (v) {
	case V_REAL_RACE:
		return STYLE_BAD;
	case V_UNKNOWN_ORIGIN:
		return STYLE_WARN;
	case V_DEVICE_ORIGIN:
		return STYLE_GOOD;
	case V_NONE:
		break;
	}
	return STYLE_NONE;
}

void out_text_style(struct out *o, enum out_style st, const char *s)
{
	if (o->fmt == KT_FMT_JSON)
		return;
	style_on(o, st);
	text_safe(o->fp, s);
	style_off(o, st);
}

void out_str_style(struct out *o, const char *key, const char *text_fmt, const char *v, enum out_style st)
{
	const char *pct;

	if (o->fmt == KT_FMT_JSON || !text_fmt || !(pct = strstr(text_fmt, "%s"))) {
		out_str(o, key, text_fmt, v);
		return;
	}
	fwrite(text_fmt, 1, (size_t)(pct - text_fmt), o->fp);
	out_text_style(o, st, v ? v : "-");
	fputs(pct + 2, o->fp);
}

/* ---------------------------------------------------------------------- */
/* tables */

struct table {
	struct out *o;
	const struct column *cols;
	int ncols, col;
	char **cells;          /* text mode: rows * the columns shown */
	unsigned char *styles; /* each cell's enum out_style */
	unsigned *tty;         /* each column's TABLE_TTY_* */
	size_t ncells, cap, style_cap;
	int stream;            /* table_stream(): TABLE_MEASURING, then TABLE_STREAMING */
	FILE *spool;           /* text, measuring: the cells as they came (a style byte + 1, the text, a NUL) */
	int spool_errno;       /* the spool failed (a full disk): its rows are not all printed */
	struct sbuf row;       /* streaming: the row's cells, each NUL-terminated (row_at their starts) */
	size_t *row_at;
	struct sbuf line;      /* text: a row as printed, written at once */
	struct table_layout *L;
};
enum { TABLE_BUFFERED, TABLE_MEASURING, TABLE_STREAMING };

static void table_stream_cell(struct table *t, const char *text, size_t len, enum out_style st);

struct table *table_begin(struct out *o, const char *key, const struct column *cols, int ncols)
{
	struct table *t = xcalloc(1, sizeof(*t));

	t->o = o;
	t->cols = cols;
	t->ncols = ncols;
	t->tty = xcalloc((size_t)ncols, sizeof(*t->tty));
	if (o->fmt == KT_FMT_JSON)
		out_begin_arr(o, key);
	return t;
}

void table_tty(struct table *t, const char *key, unsigned flags)
{
	for (int c = 0; c < t->ncols; c++)
		if (t->cols[c].key && !strcmp(t->cols[c].key, key))
			t->tty[c] |= flags;
}

/* The column is shown in this text table (not JSON-only, not hidden on a terminal). */
static bool table_shows(const struct table *t, int c)
{
	if (t->o->fmt == KT_FMT_CSV)           /* every column a program may want */
		return !(t->tty[c] & TABLE_TTY_ONLY);
	if (out_terminal(t->o))
		return !t->cols[c].json_only && !(t->tty[c] & TABLE_TTY_HIDE);
	return !t->cols[c].json_only && !(t->tty[c] & TABLE_TTY_ONLY);
}

/* Start a JSON row at the first column; true when the value is to be written as JSON. */
static bool table_json_cell(struct table *t)
{
	if (t->o->fmt != KT_FMT_JSON)
		return false;
	if (t->col == 0)
		out_begin_obj(t->o, NULL);
	return true;
}

/* The cell is written: the next column (and in JSON, the row's end). */
static void table_next(struct table *t)
{
	if (++t->col == t->ncols) {
		t->col = 0;
		if (t->o->fmt == KT_FMT_JSON)
			out_end_obj(t->o);
	}
}

/* A column only a terminal has: its cells are dropped elsewhere (JSON included). */
static bool table_skip(struct table *t)
{
	if (!(t->tty[t->col] & TABLE_TTY_ONLY) || out_terminal(t->o))
		return false;
	if (t->o->fmt == KT_FMT_JSON && t->col == 0)
		out_begin_obj(t->o, NULL);
	table_next(t);
	return true;
}

/* A text or CSV cell (copied where it is kept). */
static void table_cell(struct table *t, const char *text, enum out_style st)
{
	if (table_shows(t, t->col)) {
		size_t len = strlen(text);

		if ((t->tty[t->col] & TABLE_TTY_DATE) && out_terminal(t->o) && len > 10 && text[10] == 'T')
			len = 10;    /* 2026-12-01T10:11:29Z: the day is enough in a table */
		if (t->stream != TABLE_BUFFERED) {
			table_stream_cell(t, text, len, st);
			table_next(t);
			return;
		}
		ALLOC_GROW(t->cells, t->ncells, t->cap);
		ALLOC_GROW(t->styles, t->ncells, t->style_cap);
		t->styles[t->ncells] = (unsigned char)st;
		t->cells[t->ncells++] = xstrndup(text, len);
	}
	table_next(t);
}

void table_str_style(struct table *t, const char *v, enum out_style st)
{
	if (table_skip(t))
		return;
	if (table_json_cell(t)) {
		out_str(t->o, t->cols[t->col].key, NULL, v);
		table_next(t);
		return;
	}
	table_cell(t, v ? v : t->o->fmt == KT_FMT_CSV ? "" : "-", st);
}

void table_str(struct table *t, const char *v)
{
	table_str_style(t, v, STYLE_NONE);
}

/* "%lld" of v in buf, without printf (a list prints two a row) */
static const char *int_text(char buf[24], long long v)
{
	char *p = buf + 24;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	*--p = '\0';
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	return p;
}

void table_int(struct table *t, long long v)
{
	char buf[24];

	if (table_skip(t))
		return;
	if (table_json_cell(t)) {
		out_int(t->o, t->cols[t->col].key, NULL, v);
		table_next(t);
		return;
	}
	table_cell(t, int_text(buf, v), STYLE_NONE);
}

void table_label(struct table *t, const struct verdict_label *l)
{
	bool set = l && l->verdict != V_NONE;

	if (table_skip(t))
		return;
	if (table_json_cell(t)) {
		render_label(t->o, t->cols[t->col].key, l);
		table_next(t);
		return;
	}
	table_cell(t, set ? verdict_name(l->verdict) : t->o->fmt == KT_FMT_CSV ? "" : "-",
		   set ? verdict_style(l->verdict) : STYLE_NONE);
}

/* Display width of n bytes of UTF-8 (code points; good enough for names). */
static int utf8_width_n(const char *s, size_t n)
{
	int w = 0;
	size_t i = 0;

	/* eight ASCII bytes at a time (most of a table is) */
	for (uint64_t v; i + 8 <= n; i += 8) {
		memcpy(&v, s + i, 8);
		if (v & 0x8080808080808080ULL)
			break;
		w += 8;
	}
	for (; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			w++;
	return w;
}

static int utf8_width(const char *s)
{
	return utf8_width_n(s, strlen(s));
}

/* n spaces */
static void pad_spaces(struct sbuf *sb, int n)
{
	static const char spaces[] = "                                                                ";

	for (; n > 0; n -= (int)sizeof(spaces) - 1)
		sbuf_add(sb, spaces, n < (int)sizeof(spaces) - 1 ? (size_t)n : sizeof(spaces) - 1);
}

/* The bytes of s's first n code points. */
static size_t utf8_prefix(const char *s, int n)
{
	size_t i = 0;

	for (; s[i]; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && n-- == 0)
			break;
	return i;
}

/* v in at most max columns (to t->line): cut with an ellipsis when longer; styled; padded when pad. */
static void table_put(struct table *t, const char *v, enum out_style st, int max, int pad, bool right)
{
	struct out *o = t->o;
	struct sbuf *sb = &t->line;
	const char *ell = o->utf8 ? "\u2026" : "...";
	int vw = utf8_width(v), ew = o->utf8 ? 1 : 3;
	char *cut = NULL;

	if (vw > max) {
		int keep = max > ew ? max - ew : 0;

		cut = xasprintf("%.*s%s", (int)utf8_prefix(v, keep), v, max > ew ? ell : "");
		v = cut;
		vw = utf8_width(v);
	}
	if (right && pad > vw)
		pad_spaces(sb, pad - vw);
	if (*v && style_of(o, st))
		sbuf_addf(sb, "\033[%sm", style_of(o, st));
	sbuf_text_safe(sb, v);
	if (*v && style_of(o, st))
		sbuf_adds(sb, "\033[m");
	if (!right && pad > vw)
		pad_spaces(sb, pad - vw);
	free(cut);
}

/* A text table's columns as printed: those shown (vis), their widths, those a terminal drops. */
struct table_layout {
	int n;
	int *vis;              /* the column of each shown one */
	int *w;
	bool *drop;
};

/* The row's width. */
static int table_row_width(const struct table_layout *L)
{
	int total = 0, n = 0;

	for (int c = 0; c < L->n; c++)
		if (!L->drop[c])
			total += L->w[c] + (n++ ? 2 : 0);
	return total;
}

/* Narrow the columns with flag (the widest first) down to min each, until a row fits width. */
static void table_shrink(const struct table *t, struct table_layout *L, unsigned flag, int min, int width)
{
	int total = table_row_width(L);

	while (total > width) {
		int best = -1;

		for (int c = 0; c < L->n; c++) {
			int head = utf8_width(t->cols[L->vis[c]].head), floor = head > min ? head : min;

			if (!L->drop[c] && (t->tty[L->vis[c]] & flag) && L->w[c] > floor && (best < 0 || L->w[c] > L->w[best]))
				best = c;
		}
		if (best < 0)
			break;
		L->w[best]--;
		total--;
	}
}

/*
 * On a terminal, make a row fit its width: drop the droppable columns
 * (the last first) while the shrinkable ones would get less than
 * TABLE_FIT_ROOM each, then narrow the shrinkable columns, the widest
 * first: all down to TABLE_FIT_ROOM, those that shrink first down to half
 * that, then all down to 8 (or their header).
 */
#define TABLE_FIT_ROOM 24
static void table_fit(const struct table *t, struct table_layout *L)
{
	int width = out_columns(t->o);

	if (width <= 0)
		return;
	for (int c = L->n - 1; c >= 0; c--) {
		int need = 0, n = 0;

		for (int i = 0; i < L->n; i++) {
			bool shrinks = t->tty[L->vis[i]] & (TABLE_TTY_SHRINK | TABLE_TTY_SHRINK_FIRST);

			if (!L->drop[i])
				need += (shrinks && L->w[i] > TABLE_FIT_ROOM ? TABLE_FIT_ROOM : L->w[i]) + (n++ ? 2 : 0);
		}
		if (need <= width)
			break;
		if (t->tty[L->vis[c]] & TABLE_TTY_DROP)
			L->drop[c] = true;
	}
	table_shrink(t, L, TABLE_TTY_SHRINK | TABLE_TTY_SHRINK_FIRST, TABLE_FIT_ROOM, width);
	table_shrink(t, L, TABLE_TTY_SHRINK_FIRST, TABLE_FIT_ROOM / 2, width);
	table_shrink(t, L, TABLE_TTY_SHRINK | TABLE_TTY_SHRINK_FIRST, 8, width);
}

static void table_print_row(struct table *t, const struct table_layout *L, size_t r)
{
	int width = out_columns(t->o), pos = 0, last = L->n - 1;

	while (last > 0 && L->drop[last])
		last--;
	sbuf_reset(&t->line);
	for (int c = 0; c <= last; c++) {
		const struct column *col = &t->cols[L->vis[c]];
		size_t i = (r - 1) * (size_t)L->n + (size_t)c;
		const char *v = r == 0 ? col->head : t->cells[i];
		enum out_style st = r == 0 ? STYLE_BOLD : (enum out_style)t->styles[i];
		int max = L->w[c];

		if (L->drop[c])
			continue;
		/* never wider than the terminal: what is left of the row is cut */
		if (width > 0 && pos + max > width)
			max = width - pos;
		if (max <= 0)
			break;
		table_put(t, v, st, max, c == last && !col->right ? 0 : max, col->right);
		pos += max;
		if (c == last || (width > 0 && pos + 2 >= width))
			break;
		sbuf_add(&t->line, "  ", 2);
		pos += 2;
	}
	sbuf_addc(&t->line, '\n');
	fwrite(t->line.buf, 1, t->line.len, t->o->fp);
}

/* The columns shown, as wide as their headers. */
static void table_layout_init(const struct table *t, struct table_layout *L)
{
	L->n = 0;
	L->vis = xcalloc((size_t)t->ncols, sizeof(int));
	L->w = xcalloc((size_t)t->ncols, sizeof(int));
	L->drop = xcalloc((size_t)t->ncols, sizeof(bool));
	for (int c = 0; c < t->ncols; c++)
		if (table_shows(t, c))
			L->vis[L->n++] = c;
	for (int c = 0; c < L->n; c++)
		L->w[c] = utf8_width(t->cols[L->vis[c]].head);
}

/* Text: the columns shown, aligned, with a header; on a terminal, fitted to its width. */
static void table_print(struct table *t)
{
	struct table_layout L;
	size_t rows;

	table_layout_init(t, &L);
	rows = L.n ? t->ncells / (size_t)L.n : 0;
	for (size_t i = 0; i < t->ncells; i++) {
		int c = (int)(i % (size_t)L.n), cw = utf8_width(t->cells[i]);

		if (cw > L.w[c])
			L.w[c] = cw;
	}
	table_fit(t, &L);
	for (size_t r = 0; r <= rows; r++)
		table_print_row(t, &L, r);
	free(L.w);
	free(L.vis);
	free(L.drop);
}

/* One CSV field (RFC 4180): quoted when it holds a comma, quote or line break, quotes doubled. */
static void csv_field(FILE *fp, const char *v)
{
	if (!strpbrk(v, ",\"\r\n")) {
		fputs(v, fp);
		return;
	}
	fputc('"', fp);
	for (; *v; v++) {
		if (*v == '"')
			fputc('"', fp);
		fputc(*v, fp);
	}
	fputc('"', fp);
}

/* The CSV header: the keys of the columns a program may want; their number. */
static size_t table_csv_header(struct table *t)
{
	FILE *fp = t->o->fp;
	size_t n = 0;

	for (int c = 0; c < t->ncols; c++)
		if (table_shows(t, c)) {
			if (n++)
				fputc(',', fp);
			csv_field(fp, t->cols[c].key);
		}
	fputc('\n', fp);
	return n;
}

static void table_csv_cells(struct table *t, size_t n)
{
	for (size_t i = 0; n && i < t->ncells; i++) {
		csv_field(t->o->fp, t->cells[i]);
		fputs(i % n == n - 1 ? "\n" : ",", t->o->fp);
	}
}

/* CSV: the columns a program may want, the keys as the header; lines end in LF. */
static void table_csv(struct table *t)
{
	table_csv_cells(t, table_csv_header(t));
}

/* Streaming: a cell of the row being printed (its cells in one buffer, kept for the next row: no allocation a cell). */
static void table_stream_row_cell(struct table *t, const char *text, size_t len, enum out_style st)
{
	struct table_layout *L = t->L;
	size_t c = t->ncells++;

	if (c == 0) {
		sbuf_reset(&t->row);
		if (!t->row_at) {
			t->row_at = xcalloc((size_t)L->n, sizeof(*t->row_at));
			t->cells = xcalloc((size_t)L->n, sizeof(*t->cells));
			t->styles = xcalloc((size_t)L->n, sizeof(*t->styles));
		}
	}
	t->row_at[c] = t->row.len;
	t->styles[c] = (unsigned char)st;
	sbuf_add(&t->row, text, len);
	sbuf_addc(&t->row, '\0');
	if (t->ncells < (size_t)L->n)
		return;
	for (size_t i = 0; i < t->ncells; i++)
		t->cells[i] = t->row.buf + t->row_at[i];
	if (t->o->fmt == KT_FMT_CSV)
		table_csv_cells(t, (size_t)L->n);
	else
		table_print_row(t, L, 1);
	t->ncells = 0;
}

/*
 * Streaming: a text table's cells measured as they come and kept in the
 * spool, printed from it once every width is known (table_stream_end());
 * CSV rows printed as they come.
 */
static void table_stream_cell(struct table *t, const char *text, size_t len, enum out_style st)
{
	struct table_layout *L = t->L;
	int w;
	size_t c;

	if (!L->n)
		return;
	if (t->stream != TABLE_MEASURING) {
		table_stream_row_cell(t, text, len, st);
		return;
	}
	w = utf8_width_n(text, len);
	c = t->ncells++ % (size_t)L->n;
	if (w > L->w[c])
		L->w[c] = w;
	putc(st + 1, t->spool);
	fwrite(text, 1, len, t->spool);
	putc('\0', t->spool);
}

bool table_stream(struct table *t)
{
	if (t->o->fmt == KT_FMT_JSON)
		return true;    /* (its rows go out as they come) */
	if (t->o->fmt != KT_FMT_CSV && !(t->spool = kt_tmpfile()))
		return false;
	t->L = xcalloc(1, sizeof(*t->L));
	table_layout_init(t, t->L);
	t->ncells = 0;
	if (t->o->fmt == KT_FMT_CSV) {
		table_csv_header(t);
		t->stream = TABLE_STREAMING;
		return true;
	}
	t->stream = TABLE_MEASURING;
	return true;
}

/* The spooled rows printed, under the header (the widths are known). */
static void table_stream_replay(struct table *t)
{
	char *cell = NULL;
	size_t cap = 0;
	ssize_t n;

	table_fit(t, t->L);
	table_print_row(t, t->L, 0);
	t->stream = TABLE_STREAMING;
	t->ncells = 0;
	if (fflush(t->spool) != 0 || fseek(t->spool, 0, SEEK_SET) != 0) {
		t->spool_errno = errno ? errno : EIO;
		return;
	}
	while ((n = getdelim(&cell, &cap, '\0', t->spool)) >= 2)
		table_stream_row_cell(t, cell + 1, (size_t)n - 2, (enum out_style)(cell[0] - 1));
	if (ferror(t->spool))
		t->spool_errno = errno ? errno : EIO;
	free(cell);
}

/* The end of a streamed table: every row is out (its cells are the row buffer's). */
static void table_stream_end(struct table *t)
{
	if (t->stream == TABLE_MEASURING)
		table_stream_replay(t);
	if (t->spool)
		fclose(t->spool);
	t->ncells = 0;
	sbuf_release(&t->row);
	free(t->row_at);
	free(t->L->w);
	free(t->L->vis);
	free(t->L->drop);
	free(t->L);
}

int table_end(struct table *t)
{
	int e;

	if (t->stream != TABLE_BUFFERED)
		table_stream_end(t);
	else if (t->o->fmt == KT_FMT_JSON)
		out_end_arr(t->o);
	else if (t->o->fmt == KT_FMT_CSV)
		table_csv(t);
	else
		table_print(t);
	for (size_t i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->styles);
	free(t->tty);
	sbuf_release(&t->line);
	e = t->spool_errno;
	free(t);
	if (e)
		errno = e;
	return e ? -1 : 0;
}

/* ---------------------------------------------------------------------- */
/* pipeline objects */

void render_frame(struct out *o, const struct frame *f, bool json_only)
{
	if (out_json(o)) {
		out_begin_obj(o, NULL);
		out_str(o, "func", NULL, f->func);
		if (f->has_off) {
			out_int(o, "offset", NULL, (long long)f->off);
			out_int(o, "size", NULL, (long long)f->size);
		} else {
			out_null(o, "offset");
			out_null(o, "size");
		}
		out_str(o, "module", NULL, f->module);
		out_str(o, "file", NULL, f->file);
		if (f->line)
			out_int(o, "line", NULL, f->line);
		else
			out_null(o, "line");
		if (f->column)
			out_int(o, "column", NULL, f->column);
		out_bool(o, "inlined", NULL, f->inlined);
		if (f->unreliable)
			out_bool(o, "unreliable", NULL, true);
		if (f->is_addr)
			out_hex(o, "addr", NULL, f->addr);
		if (f->file)
			out_str(o, "location_from", NULL, f->symbolized ? "dwarf" : "log");
		if (f->sym_note)
			out_str(o, "note", NULL, f->sym_note);
		if (f->src)
			out_str(o, "source", NULL, f->src);
		out_end_obj(o);
		return;
	}
	if (json_only)
		return;
	out_text(o, "    %s", f->unreliable ? "? " : "");
	out_text_safe(o, f->func);
	if (f->has_off)
		out_text(o, "+0x%llx/0x%llx", (unsigned long long)f->off, (unsigned long long)f->size);
	if (f->module) {
		out_text(o, " [");
		out_text_safe(o, f->module);
		out_text(o, "]");
	}
	if (f->file) {
		out_text(o, "  ");
		out_text_safe(o, f->file);
		out_text(o, ":%d", f->line);
		if (f->column)
			out_text(o, ":%d", f->column);
	}
	if (f->inlined)
		out_text(o, " [inline]");
	if (f->sym_note) {
		out_text(o, "  (");
		out_text_safe(o, f->sym_note);
		out_text(o, ")");
	}
	out_text(o, "\n");
	if (f->src) {
		out_text(o, "        | ");
		out_text_safe(o, f->src);
		out_text(o, "\n");
	}
}

/* The variable behind the access's address, when it is kernel static memory (JSON only: text says it in the evidence). */
static void render_variable(struct out *o, const struct cls_variable *v)
{
	if (!out_json(o) || !v || v->basis == VARB_NONE)
		return;
	out_begin_obj(o, "variable");
	out_str(o, "name", NULL, v->name);
	if (v->name) {
		out_int(o, "offset", NULL, (long long)v->offset);
		out_int(o, "size", NULL, (long long)v->size);
	} else {
		out_null(o, "offset");
		out_null(o, "size");
	}
	out_str(o, "section", NULL, v->section);
	out_str(o, "object", NULL, v->object);
	out_str(o, "basis", NULL, var_basis_name(v->basis));
	if (v->percpu)
		out_bool(o, "percpu", NULL, true);
	if (v->basis == VARB_SLIDE_GIVEN || v->basis == VARB_SLIDE_FRAMES)
		out_hex(o, "slide", NULL, v->slide);
	out_end_obj(o);
}

static void render_access(struct out *o, const struct access *a, int idx, const struct cls_variable *var)
{
	out_begin_obj(o, NULL);
	out_text(o, "  access %d: ", idx + 1);
	if (a->unknown_origin)
		out_text(o, "race at unknown origin, with ");
	out_str(o, "type", "%s", access_type_name(a->type));
	out_bool(o, "marked", NULL, a->marked);
	out_bool(o, "reordered", NULL, a->reordered);
	if (a->scoped)
		out_bool(o, "scoped", NULL, true);
	if (a->marked || a->reordered || a->scoped)
		out_text(o, " (%s%s%s%s%s)", a->marked ? "marked" : "",
			 a->marked && (a->reordered || a->scoped) ? ", " : "",
			 a->reordered ? "reordered" : "", a->reordered && a->scoped ? ", " : "",
			 a->scoped ? "scoped" : "");
	if (a->has_addr)
		out_hex(o, "addr", " to %s", a->addr);
	else
		out_null(o, "addr");
	if (a->has_size)
		out_int(o, "size", " of %lld bytes", (long long)a->size);
	else
		out_null(o, "size");
	out_str(o, "ctx", " by %s", a->ctx == CTX_TASK ? "task" : "interrupt");
	if (a->pid >= 0)
		out_int(o, "pid", " %lld", a->pid);
	else
		out_null(o, "pid");
	if (a->task)
		out_str(o, "task", " %s", a->task);
	if (a->cpu >= 0)
		out_int(o, "cpu", " on cpu %lld", a->cpu);
	else
		out_null(o, "cpu");
	out_text(o, "\n");
	if (a->unknown_origin)
		out_bool(o, "unknown_origin", NULL, true);
	if (a->has_addr)
		render_variable(o, var);
	out_begin_arr(o, "frames");
	for (size_t i = 0; i < a->nframes; i++)
		render_frame(o, &a->frames[i], false);
	out_end_arr(o);
	if (a->frames_dropped)
		out_int(o, "frames_dropped", "    ... %lld more frames\n", (long long)a->frames_dropped);
	if (a->elided)
		out_bool(o, "elided", "    ... (stack elided in the source: %s)\n", true);
	if (a->reordered_to) {
		if (out_json(o)) {
			out_begin_arr(o, "reordered_to");
			render_frame(o, a->reordered_to, true);
			out_end_arr(o);
		} else {
			out_text(o, "    +-> reordered to:\n");
			render_frame(o, a->reordered_to, false);
		}
	}
	out_end_obj(o);
}

static void verdict_block(struct out *o, const struct classification *c, const struct verdict_label *l,
			  enum render_detail d, const char *shown);

/*
 * When it happened (the log's or the mail's wall clock) and what the mail
 * or syzbot said around it (mailmeta.h).  In text not in the brief form.
 */
static void render_event(struct out *o, const struct report *r, enum render_detail d)
{
	if (out_json(o)) {
		out_str(o, "time", NULL, r->event_time);
		out_str(o, "printk_time", NULL, r->log_time);
		if (!r->meta) {
			out_null(o, "metadata");
			return;
		}
		out_begin_obj(o, "metadata");
		for (int i = 0; i < META_NFIELDS; i++)
			if (r->meta->v[i])
				out_str(o, mailmeta_field_name((enum meta_field)i), NULL, r->meta->v[i]);
		out_end_obj(o);
		return;
	}
	if (d == DETAIL_BRIEF)
		return;
	if (r->event_time)
		out_str(o, NULL, "  time %s\n", r->event_time);
	for (int i = 0; r->meta && i < META_NFIELDS; i++) {
		if (!r->meta->v[i])
			continue;
		out_text(o, "  %s: ", mailmeta_field_label((enum meta_field)i));
		out_text_safe(o, r->meta->v[i]);
		out_text(o, "\n");
	}
}

void render_report(struct out *o, const struct report *r, enum render_detail d)
{
	render_report_under(o, r, d, NULL);
}

void render_report_under(struct out *o, const struct report *r, enum render_detail d, const char *shown)
{
	char *title = report_display_title(r);

	out_begin_obj(o, NULL);
	out_str(o, "title", NULL, r->title);
	if (out_json(o)) {
		char id[REPORT_SIG_ID_LEN + 1];

		report_signature_id(r, id);
		out_str(o, "signature", NULL, id);
	}
	out_text(o, "%s", "");
	out_text_safe(o, title);
	out_text(o, "\n");
	free(title);
	out_str(o, "bug_type", NULL, bug_type_name(r->bug_type));
	out_bool(o, "unknown_origin", NULL, r->unknown_origin);
	out_bool(o, "truncated", NULL, r->truncated);
	if (out_json(o)) {
		out_begin_obj(o, "source");
		out_str(o, "file", NULL, r->source);
		out_int(o, "line", NULL, (long long)r->line);
		out_int(o, "end_line", NULL, (long long)r->end_line);
		out_int(o, "offset", NULL, (long long)r->offset);
		out_end_obj(o);
	} else {
		out_text(o, "  found at ");
		out_text_safe(o, r->source ? r->source : "-");
		out_text(o, ":%llu%s\n", (unsigned long long)r->line, r->truncated ? " (truncated)" : "");
	}
	out_str(o, "kernel", "  kernel %s\n", r->kernel);
	render_event(o, r, d);
	if (r->comm) {
		out_str(o, "comm", "  reported by %s", r->comm);
		out_int(o, "reporter_pid", " (pid %lld", r->rep_pid);
		out_int(o, "reporter_cpu", ", cpu %lld)\n", r->rep_cpu);
	}
	if (r->has_value) {
		out_begin_obj(o, "value_changed");
		out_str(o, "old", "  value changed: %s", r->value_old);
		out_str(o, "new", " -> %s\n", r->value_new);
		out_end_obj(o);
	} else {
		out_null(o, "value_changed");
	}
	if (r->bits_changed) {
		out_begin_obj(o, "bits_changed");
		out_str(o, "bits", "  bits changed: %s", r->bits_changed);
		out_str(o, "mask", " with mask %s\n", r->bits_mask);
		out_end_obj(o);
	}
	out_begin_arr(o, "accesses");
	for (int i = 0; i < r->nacc; i++)
		render_access(o, &r->acc[i], i, i == 0 ? &r->cls.var : NULL);
	out_end_arr(o);
	verdict_block(o, &r->cls, &r->label, d, shown);
	out_end_obj(o);
}

/* ---------------------------------------------------------------------- */
/* verdicts: sentences from facts */

#define REAL_RACE_MARKING \
	"fix the locking, or mark both accesses (READ_ONCE()/WRITE_ONCE(); data_race() for a benign race) as " \
	"tools/memory-model/Documentation/access-marking.txt describes"
#define UNKNOWN_MARKING \
	"find the writer first; then fix or mark as tools/memory-model/Documentation/access-marking.txt describes"

/* The strings up to the NULL, one after the other (a verdict's words are copies, not formats). */
static void sb_cat(struct sbuf *sb, ...) __attribute__((sentinel));
static void sb_cat(struct sbuf *sb, ...)
{
	va_list ap;
	const char *p;

	va_start(ap, sb);
	while ((p = va_arg(ap, const char *)))
		sbuf_adds(sb, p);
	va_end(ap);
}

/* sb_cat() into a new string. */
static char *str_cat(const char *first, ...) __attribute__((sentinel));
static char *str_cat(const char *first, ...)
{
	va_list ap;
	size_t n = strlen(first);
	const char *p;
	char *out, *o;

	va_start(ap, first);
	while ((p = va_arg(ap, const char *)))
		n += strlen(p);
	va_end(ap);
	o = out = xmalloc(n + 1);
	o = mempcpy(o, first, strlen(first));
	va_start(ap, first);
	while ((p = va_arg(ap, const char *)))
		o = mempcpy(o, p, strlen(p));
	va_end(ap);
	*o = 0;
	return out;
}

/* What printf's %s prints for NULL. */
static const char *or_null(const char *s)
{
	return s ? s : "(null)";
}

/* %llu and %llx without printf */
static void sb_u64(struct sbuf *sb, uint64_t v)
{
	char b[24];
	size_t i = sizeof(b);

	do
		b[--i] = (char)('0' + v % 10);
	while (v /= 10);
	sbuf_add(sb, b + i, sizeof(b) - i);
}

static void sb_hex(struct sbuf *sb, uint64_t v)
{
	char b[24];
	size_t i = sizeof(b);

	do
		b[--i] = "0123456789abcdef"[v & 15];
	while (v >>= 4);
	sbuf_add(sb, b + i, sizeof(b) - i);
}

static void size_word(struct sbuf *sb, uint64_t size)
{
	sb_u64(sb, size);
	sbuf_adds(sb, "-byte");
}

/* "func() at file:line", with a kernel-tree path rather than a build machine's. */
static void describe_place(struct sbuf *sb, const struct cls_place *l)
{
	if (l->func && *l->func)
		sb_cat(sb, l->func, "()", NULL);
	else
		sbuf_adds(sb, "the top frame");
	if (l->file && l->line > 0) {
		const char *f = l->file, *top = NULL;

		if (f[0] == '/') {
			static const char *const dirs[] = { "/drivers/", "/kernel/", "/mm/", "/fs/", "/net/", "/arch/",
							    "/lib/", "/block/", "/include/", "/io_uring/", "/sound/", NULL };
			for (int i = 0; dirs[i] && !top; i++)
				top = strstr(f, dirs[i]);
			if (top)
				f = top + 1;
		}
		sb_cat(sb, " at ", f, ":", NULL);
		sb_u64(sb, (uint64_t)l->line);   /* > 0 */
	}
}

/* "a 2-byte read at 0x..., which is 2 mod 4: " */
static void access_words(struct sbuf *sb, const struct classification *c, bool with_addr)
{
	size_word(sb, c->size);
	sb_cat(sb, " ", access_type_name(c->acc_type), " at ", NULL);
	if (with_addr) {
		sbuf_adds(sb, "0x");
		sb_hex(sb, c->addr);
		sbuf_adds(sb, ", which is ");
	}
	sb_u64(sb, c->align ? c->addr % c->align : 0);
	sbuf_adds(sb, " mod ");
	sb_u64(sb, c->align);
}

/* The memory the variable facts name, short, for a reason: "kernel static variable cpus_stop_mask". */
static void variable_short(struct sbuf *sb, const struct cls_variable *v)
{
	switch (v->basis) {
	case VARB_SLIDE_UNKNOWN:
		sbuf_adds(sb, "kernel image memory (which variable is not known: the KASLR slide is not)");
		return;
	case VARB_MODULE_UNKNOWN:
		sbuf_addf(sb, "static memory of module %s (which variable is not known: the module's load address "
			  "is not in the log)", v->object ? v->object : "?");
		return;
	default:
		break;
	}
	if (v->name)
		sbuf_addf(sb, "%s variable %s", v->percpu ? "per-cpu" : "kernel static", v->name);
	else
		sbuf_addf(sb, "kernel static memory (%s of %s)", v->section ? v->section : "?",
			  v->object ? v->object : "?");
}

/* The variable facts in full: "kernel static variable cpus_stop_mask+0x0/0x8 (.bss of vmlinux), ...". */
static void variable_words(struct sbuf *sb, const struct classification *c)
{
	const struct cls_variable *v = &c->var;
	bool module = v->object && strcmp(v->object, "vmlinux");

	if (v->basis == VARB_SLIDE_UNKNOWN) {
		sbuf_adds(sb, "in the kernel image's mapping but not where this vmlinux has its image: the kernel was "
			  "loaded elsewhere (KASLR) and the slide is not known (--kaslr-offset gives it), so no variable "
			  "is named");
		return;
	}
	if (v->basis == VARB_MODULE_UNKNOWN) {
		sbuf_addf(sb, "in the module area under frames of [%s]: a module's static memory, but where the module "
			  "was loaded is not in the log, so no variable is named", v->object ? v->object : "?");
		return;
	}
	if (v->name)
		sbuf_addf(sb, "%s variable %s+0x%llx/0x%llx", v->percpu ? "per-cpu" : "kernel static", v->name,
			  (unsigned long long)v->offset, (unsigned long long)v->size);
	else
		sbuf_adds(sb, "kernel static memory that no symbol holds");
	sbuf_addf(sb, module ? " (%s of [%s])" : " (%s of %s)", v->section ? v->section : "?", v->object ? v->object : "?");
	if (v->percpu)
		sbuf_adds(sb, ", the per-cpu section's copy in the image");
	switch (v->basis) {
	case VARB_IMAGE:
		sbuf_adds(sb, ", at the vmlinux's own address (the report shows no KASLR slide)");
		break;
	case VARB_SLIDE_GIVEN:
		sbuf_addf(sb, ", at the address less the KASLR slide 0x%llx given", (unsigned long long)v->slide);
		break;
	case VARB_SLIDE_FRAMES:
		sbuf_addf(sb, ", at the address less the KASLR slide 0x%llx that every text frame of the report shows",
			  (unsigned long long)v->slide);
		break;
	case VARB_MODULE_CODE:
		sbuf_adds(sb, ", as the module's code names it: the operand of its KCSAN call, from the .ko's relocations");
		break;
	default:
		break;
	}
}

/* The fact that the address is kernel memory: "the address is ...: not device memory (...)". */
static void variable_fact(struct sbuf *sb, const struct classification *c)
{
	sbuf_adds(sb, "the address is ");
	variable_words(sb, c);
}

/* The evidence as it is built: one sentence (evidence) and its facts. */
struct ev {
	struct sbuf all;
	char **v;
	size_t n, cap;
};

/* Add the fact in piece (emptied), after sep in the sentence. */
static void ev_add(struct ev *e, const char *sep, struct sbuf *piece)
{
	sbuf_adds(&e->all, sep);
	sbuf_adds(&e->all, sbuf_str(piece));
	ALLOC_GROW(e->v, e->n, e->cap);
	e->v[e->n++] = sbuf_detach(piece);
}

static void ev_adds(struct ev *e, const char *sep, const char *fact)
{
	struct sbuf p = SBUF_INIT;

	sbuf_adds(&p, fact);
	ev_add(e, sep, &p);
}

static void ev_done(struct ev *e, struct verdict_text *t)
{
	t->evidence = sbuf_detach(&e->all);
	t->facts = e->v;
	t->nfacts = e->n;
}

/* The member, its layout, and the members it is not (each a fact). */
static void member_facts(struct ev *ev, const struct classification *c)
{
	struct sbuf p = SBUF_INIT;

	sb_cat(&p, or_null(c->member), " is ", NULL);
	sb_u64(&p, c->member_size);
	sb_cat(&p, " byte", c->member_size == 1 ? "" : "s", " at offset ", NULL);
	sb_u64(&p, c->offset);
	if (c->stride) {
		sbuf_adds(&p, " + n*");
		sb_u64(&p, c->stride);
	}
	sb_cat(&p, " of struct ", or_null(c->rule), ", which is ", NULL);
	sb_u64(&p, c->align);
	sb_cat(&p, "-aligned (layout from ", c->layout == LAYOUT_DWARF ? "the vmlinux DWARF" : "the rule", ")", NULL);
	ev_add(ev, ": ", &p);
	for (size_t i = 0; i < c->nexcluded; i++)
		sb_cat(&p, i ? ", " : "excluded: ", or_null(c->excluded[i].member), " (",
		       c->excluded[i].why == EXCL_SIZE ? "another size" : "another offset", ")", NULL);
	if (c->nexcluded)
		ev_add(ev, "; ", &p);
	if (c->nalso) {
		sbuf_adds(&p, c->confidence == CONF_CERTAIN ? "also fitting, but not read there: " : "also fitting: ");
		for (size_t i = 0; i < c->nalso; i++)
			sb_cat(&p, i ? ", " : "", or_null(c->also[i]), NULL);
		ev_add(ev, "; ", &p);
	}
}

static void member_fits_text(const struct classification *c, struct verdict_text *t)
{
	struct sbuf p = SBUF_INIT, rs = SBUF_INIT, mk = SBUF_INIT;
	struct ev ev = { SBUF_INIT, NULL, 0, 0 };
	const char *writer = writer_name(c->writer);

	t->field = classification_field(c);
	t->rule = str_cat(or_null(c->rule), " (", c->origin ? c->origin : "?", ")", NULL);
	sbuf_adds(&p, "a ");
	access_words(&p, c, true);
	ev_add(&ev, "", &p);
	member_facts(&ev, c);
	if (c->expr_matched) {
		sbuf_adds(&p, "the source reads it: ");
		describe_place(&p, &c->where);
		sb_cat(&p, " is \"", c->expr ? c->expr : "", "\"", NULL);
	} else {
		sbuf_adds(&p, c->member_func ? "read in " : "in ");
		describe_place(&p, &c->where);
		if (c->inlined_in)
			sb_cat(&p, ", inlined in ", c->inlined_in, "()", NULL);
		if (!c->source_read)
			sbuf_adds(&p, " (no source tree to check the expression)");
	}
	ev_add(&ev, "; ", &p);
	sb_cat(&p, "the ", or_null(writer), " writes struct ", or_null(c->rule), ": ", c->reference ? c->reference : "",
	       NULL);
	ev_add(&ev, "; ", &p);
	if (c->var.basis != VARB_NONE) {
		sbuf_adds(&p, c->writer == W_HYPERVISOR ? "" : "but ");
		variable_fact(&p, c);
		sbuf_adds(&p, c->writer == W_HYPERVISOR ?
			  ": memory a hypervisor shares with the kernel may be static" :
			  ", and the DMA API maps no kernel image or module memory for a device "
			  "(Documentation/core-api/dma-api-howto.rst): likely, not certain");
		ev_add(&ev, "; ", &p);
	}
	ev_done(&ev, t);

	sbuf_adds(&mk, "READ_ONCE() or data_race()");
	if (c->where.file && c->where.line > 0) {
		sbuf_adds(&mk, " in ");
		describe_place(&mk, &c->where);
	}
	sb_cat(&mk, " documents that the ", or_null(writer), " writes ", or_null(t->field),
	       "; it fixes no race (no CPU writes it)", NULL);
	t->marking = sbuf_detach(&mk);

	access_words(&rs, c, false);
	sbuf_adds(&rs, " in ");
	describe_place(&rs, c->expr_matched || !c->has_top ? &c->where : &c->top);
	sb_cat(&rs, c->expr_matched ? " (source checked)" : "", ": ", or_null(t->field), ", written by the ", or_null(writer),
	       NULL);
	t->reason = sbuf_detach(&rs);
}

/* Unknown origin, no member fits: the nearest rule, or none. */
static void no_fit_text(const struct classification *c, struct verdict_text *t)
{
	struct ev ev = { SBUF_INIT, NULL, 0, 0 };
	struct sbuf p = SBUF_INIT;

	ev_adds(&ev, "", "the value changed but KCSAN saw no other access: the writer is not instrumented");
	if (c->var.basis != VARB_NONE) {
		variable_fact(&p, c);
		sbuf_adds(&p, ": kernel memory, not device memory (the DMA API maps no kernel image or module memory "
			      "for a device)");
		ev_add(&ev, "; ", &p);
	}
	if (c->basis == BASIS_NEAR_MISS) {
		struct sbuf nm = SBUF_INIT;

		sbuf_adds(&nm, "in ");
		describe_place(&nm, &c->where);
		sb_cat(&nm, ", code that reads the ", or_null(writer_name(c->rule_writer)), "-written struct ",
		       or_null(c->rule), " (", c->family ? c->family : "knowledge base", "), but ", NULL);
		if (c->has_addr && c->has_size) {
			sbuf_adds(&nm, "a ");
			access_words(&nm, c, false);
			sbuf_adds(&nm, " matches none of its members");
		} else {
			sbuf_adds(&nm, "the report gives no address and size to match");
		}
		t->near_miss = sbuf_detach(&nm);
		sb_cat(&p, "nearest rule: ", t->near_miss, NULL);
		t->reason = str_cat("no device-written field fits: ", t->near_miss, NULL);
	} else {
		sbuf_adds(&p, "no rule of the knowledge base covers ");
		if (c->has_top)
			describe_place(&p, &c->top);
		else
			sbuf_adds(&p, "this stack");
		t->reason = str_cat("unknown writer, no rule covers ",
				    c->has_top && c->top.func ? c->top.func : "the top frame", "()", NULL);
	}
	ev_add(&ev, "; ", &p);
	if (c->var.basis != VARB_NONE) {
		struct sbuf rs = SBUF_INIT;

		variable_short(&rs, &c->var);
		sbuf_adds(&rs, ": not device memory; look for an uninstrumented writer");
		free(t->reason);
		t->reason = sbuf_detach(&rs);
		ev_adds(&ev, ": ", "needs a human (code built without KCSAN, assembly, firmware or a hypervisor)");
	} else {
		ev_adds(&ev, ": ", "needs a human (code built without KCSAN, assembly, a device, firmware or user space)");
	}
	ev_done(&ev, t);
	t->marking = xstrdup(UNKNOWN_MARKING);
}

/* Fewer than two stacks, but KCSAN did not say "unknown origin": it saw the other access. */
static void one_stack_text(const struct classification *c, struct verdict_text *t)
{
	const char *shown = c->stacks == 1 ? "one stack" : "no stack";

	if (c->stacks && (c->acc_type == ACC_ASSERT_NO_WRITES || c->acc_type == ACC_ASSERT_NO_ACCESSES)) {
		t->evidence = str_cat("an ASSERT_EXCLUSIVE_*() assertion was violated by another kernel access, "
				      "but the report shows ", shown, ", not two (the other stack was not printed): "
				      "a real race, whatever memory it is on", NULL);
		t->reason = str_cat("assertion violated by another kernel access (", shown, " shown)", NULL);
		return;
	}
	t->evidence = str_cat("the report shows ", shown, ", not two, and is not cut short, but KCSAN did not say "
			      "\"race at unknown origin\": it saw the other access, whose stack was not printed: "
			      "a real race, whatever memory it is on", NULL);
	t->reason = str_cat(shown, " shown, no unknown origin: both accesses are kernel code", NULL);
}

/* ---------------------------------------------------------------------- */
/* the answer: the verdict in one line */

/* What a verdict is called in an answer. */
static const char *verdict_words(enum verdict v)
{
	switch (v) {
	case V_DEVICE_ORIGIN:
		return "KCSAN false positive";
	case V_REAL_RACE:
		return "data race";
	case V_UNKNOWN_ORIGIN:
		return "unknown origin";
	case V_NONE:
		break;
	}
	return "no verdict";
}

/*
 * The reference's source, short: its text up to the first colon, quote
 * or parenthesis; "Virtio 1.2, 2.7.8" becomes "Virtio 1.2 §2.7.8".
 * NULL when there is none or it is long.
 */
static char *reference_cite(const char *ref)
{
	size_t n, comma;
	char *cite;

	if (!ref)
		return NULL;
	n = strcspn(ref, ":\"(;");
	while (n && (ref[n - 1] == ' ' || ref[n - 1] == ','))
		n--;
	if (!n || n > 60)
		return NULL;
	cite = xstrndup(ref, n);
	for (comma = n; comma > 0 && cite[comma - 1] != ','; comma--)
		;
	if (comma && cite[comma] == ' ' && cite[comma + 1] >= '0' && cite[comma + 1] <= '9' &&
	    strchr(cite + comma + 1, '.')) {
		char *s = xasprintf("%.*s \u00a7%s", (int)comma - 1, cite, cite + comma + 1);

		free(cite);
		cite = s;
	}
	return cite;
}

/* " in f() at file:line": the top of the stack, else where it matched, else func; nothing when none is known. */
static void answer_place(struct sbuf *sb, const struct classification *c, const char *func)
{
	const struct cls_place *l = c->has_top ? &c->top : &c->where;

	if (l->func && *l->func) {
		sbuf_adds(sb, " in ");
		describe_place(sb, l);
	} else if (func && *func) {
		sbuf_addf(sb, " in %s()", func);
	}
}

/* "a 4-byte read in f() at file:line" (the access judged on, where known). */
static void answer_access(struct sbuf *sb, const struct classification *c, const char *func)
{
	uint64_t n = c->size;

	if (c->has_size)
		/* "an 8-byte", "an 18-byte", "an 80-byte" */
		sbuf_addf(sb, "%s %llu-byte ", n == 8 || n == 11 || n == 18 || (n >= 80 && n < 90) ? "an" : "a",
			  (unsigned long long)n);
	else
		sbuf_adds(sb, "a ");
	sbuf_adds(sb, access_type_name(c->acc_type));
	answer_place(sb, c, func);
}

#define RACE_FIX "needs locking, or READ_ONCE()/WRITE_ONCE() on both sides (data_race() if it is benign)"

static char *device_answer(const struct classification *c, const struct verdict_text *t)
{
	struct sbuf sb = SBUF_INIT;
	char *cite = reference_cite(c->reference);

	sbuf_addf(&sb, "%s: %s is written by the %s", c->confidence == CONF_CERTAIN ? "KCSAN false positive" :
		  "probably a KCSAN false positive", t->field ? t->field : "the field",
		  c->writer == W_USER ? "user space" : writer_name(c->writer));
	if (cite)
		sbuf_addf(&sb, " (%s)", cite);
	sbuf_adds(&sb, "; READ_ONCE() would only document that");
	free(cite);
	return sbuf_detach(&sb);
}

static char *race_answer(const struct classification *c, const char *func)
{
	struct sbuf sb = SBUF_INIT;
	bool assert = c->acc_type == ACC_ASSERT_NO_WRITES || c->acc_type == ACC_ASSERT_NO_ACCESSES;

	sbuf_adds(&sb, "data race: ");
	if (assert) {
		sbuf_adds(&sb, "an ASSERT_EXCLUSIVE_*()");
		answer_place(&sb, c, func);
		sbuf_adds(&sb, " was violated by another kernel access");
		sbuf_adds(&sb, c->basis == BASIS_ONE_STACK ? " (its stack was not printed)" : "");
		sbuf_adds(&sb, "; the code needs the exclusion it asserts (locking)");
		return sbuf_detach(&sb);
	}
	answer_access(&sb, c, func);
	sbuf_adds(&sb, c->basis == BASIS_ONE_STACK ? " races with a kernel access whose stack was not printed; " :
		  " races with another kernel access (both stacks shown); ");
	sbuf_adds(&sb, RACE_FIX);
	return sbuf_detach(&sb);
}

static char *unknown_answer(const struct classification *c, const struct verdict_text *t, const char *func)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_adds(&sb, "unknown origin: ");
	if (c->basis == BASIS_ASSERT_UNKNOWN) {
		sbuf_adds(&sb, "an ASSERT_EXCLUSIVE_*()");
		answer_place(&sb, c, func);
		sbuf_adds(&sb, " saw the value change, but not the writer; missing: the writer, which is not "
			       "instrumented (enable KCSAN where it lives)");
	} else if (c->var.basis != VARB_NONE) {
		answer_access(&sb, c, func);
		sbuf_adds(&sb, " saw the value change, but KCSAN saw no writer; it is ");
		variable_short(&sb, &c->var);
		sbuf_adds(&sb, ", not device memory; missing: the writer, which is not instrumented (code built "
			       "without KCSAN, assembly)");
	} else if (c->basis == BASIS_NEAR_MISS && t->near_miss) {
		sbuf_addf(&sb, "%s; missing: a member of struct %s that fits (or an uninstrumented writer: a real race)",
			  t->near_miss, c->rule);
	} else {
		answer_access(&sb, c, func);
		sbuf_adds(&sb, " saw the value change, but KCSAN saw no writer; missing: a rule that covers ");
		if (c->has_top && c->top.func && *c->top.func)
			sbuf_addf(&sb, "%s()", c->top.func);
		else if (func && *func)
			sbuf_addf(&sb, "%s()", func);
		else
			sbuf_adds(&sb, "this stack");
		sbuf_adds(&sb, ", or the writer (code built without KCSAN, assembly, a device, firmware or user space)");
	}
	return sbuf_detach(&sb);
}

/* The tool's answer, from the facts; NULL when there are none. */
static char *verdict_answer(const struct classification *c, const struct verdict_text *t, const char *func)
{
	switch (c->basis) {
	case BASIS_MEMBER_FITS:
		return device_answer(c, t);
	case BASIS_TWO_STACKS:
	case BASIS_ASSERT_RACE:
	case BASIS_ONE_STACK:
		return race_answer(c, func);
	case BASIS_ASSERT_UNKNOWN:
	case BASIS_NEAR_MISS:
	case BASIS_NO_RULE:
		return unknown_answer(c, t, func);
	case BASIS_STORED:
		return xasprintf("%s%s%s (stored without its facts: scan again for them)", verdict_words(c->verdict),
				 t->field ? ": " : "", t->field ? t->field : "");
	case BASIS_NONE:
		break;
	}
	return NULL;
}

char *render_answer(const struct classification *c, const struct verdict_label *l, const struct verdict_text *t,
		    const char *func)
{
	char *answer = verdict_answer(c, t, func);

	if (l && l->verdict != V_NONE && (l->verdict != c->verdict || !answer)) {
		free(answer);
		return xasprintf("%s, by a person's label%s%s%s (the tool says %s)", verdict_words(l->verdict),
				 l->note ? ": \"" : "", l->note ? l->note : "", l->note ? "\"" : "",
				 verdict_name(c->verdict));
	}
	return answer ? answer : xstrdup(verdict_words(c->verdict));
}

/* A long fact's sentences: the byte after the ". " that ends each but the last, or 0. */
static size_t sentence_end(const char *s)
{
	for (const char *p = s; (p = strstr(p, ". ")) != NULL; p++) {
		bool abbrev = p - s >= 3 && (!strncmp(p - 3, "e.g", 3) || !strncmp(p - 3, "i.e", 3));

		if (p > s && p[-1] != '.' && !abbrev && p[2])
			return (size_t)(p - s) + 2;
	}
	return 0;
}

/* "    - fact", a long one split at its sentences. */
static void evidence_item(struct out *o, const char *f)
{
	size_t n;

	out_text(o, "    - ");
	while ((n = sentence_end(f)) != 0) {
		char *one = xstrndup(f, n - 1);

		out_text_safe(o, one);
		out_text(o, "\n      ");
		free(one);
		f += n;
	}
	out_text_safe(o, f);
	out_text(o, "\n");
}

void render_evidence_list(struct out *o, const struct verdict_text *t)
{
	if (out_json(o) || !t->nfacts)
		return;
	out_text(o, "  evidence:\n");
	for (size_t i = 0; i < t->nfacts; i++)
		evidence_item(o, t->facts[i]);
}

/* Text: the facts of t that the evidence shown does not have. */
static void evidence_differences(struct out *o, const struct verdict_text *t, const char *shown)
{
	bool any = false;

	if (out_json(o))
		return;
	for (size_t i = 0; i < t->nfacts; i++) {
		if (strstr(shown, t->facts[i]))
			continue;
		if (!any)
			out_text(o, "  evidence of this occurrence, where it differs:\n");
		any = true;
		evidence_item(o, t->facts[i]);
	}
}

void render_verdict_text(const struct classification *c, struct verdict_text *t)
{
	memset(t, 0, sizeof(*t));
	switch (c->basis) {
	case BASIS_TWO_STACKS:
		t->evidence = xstrdup("KCSAN saw both accesses, from two kernel contexts (two stacks): a real race, "
				      "whatever memory it is on");
		t->reason = xstrdup("two stacks: both accesses are kernel code");
		t->marking = xstrdup(REAL_RACE_MARKING);
		break;
	case BASIS_ASSERT_RACE:
		t->evidence = xstrdup("an ASSERT_EXCLUSIVE_*() assertion was violated by another kernel access: a real "
				      "race, whatever memory it is on");
		t->reason = xstrdup("assertion violated by another kernel access");
		t->marking = xstrdup(REAL_RACE_MARKING);
		break;
	case BASIS_ONE_STACK:
		one_stack_text(c, t);
		t->marking = xstrdup(REAL_RACE_MARKING);
		break;
	case BASIS_ASSERT_UNKNOWN:
		t->evidence = xstrdup("an ASSERT_EXCLUSIVE_*() assertion saw the value change, but not the writer: it "
				      "is not instrumented (a file built with KCSAN_SANITIZE := n, assembly): needs a human");
		t->reason = xstrdup("assertion saw an unknown writer");
		t->marking = xstrdup("find the uninstrumented writer (enable KCSAN where it lives)");
		break;
	case BASIS_MEMBER_FITS:
		member_fits_text(c, t);
		break;
	case BASIS_NEAR_MISS:
	case BASIS_NO_RULE:
		no_fit_text(c, t);
		break;
	case BASIS_STORED:
		t->field = classification_field(c);
		t->rule = c->stored.rule ? xstrdup(c->stored.rule) : NULL;
		t->evidence = c->stored.evidence ? xstrdup(c->stored.evidence) : NULL;
		t->marking = c->stored.marking ? xstrdup(c->stored.marking) : NULL;
		break;
	case BASIS_NONE:
		break;
	}
	if (t->evidence && !t->nfacts) {
		t->facts = xmalloc(2 * sizeof(*t->facts));
		t->facts[t->nfacts++] = xstrdup(t->evidence);
		if (c->var.basis != VARB_NONE && c->basis != BASIS_STORED) {
			struct sbuf p = SBUF_INIT;

			variable_fact(&p, c);
			t->facts[t->nfacts++] = sbuf_detach(&p);
			free(t->evidence);
			t->evidence = str_cat(t->facts[0], "; ", t->facts[1], NULL);
		}
	}
}

void verdict_text_release(struct verdict_text *t)
{
	free(t->field);
	free(t->rule);
	free(t->evidence);
	free(t->reason);
	free(t->marking);
	free(t->near_miss);
	for (size_t i = 0; i < t->nfacts; i++)
		free(t->facts[i]);
	free(t->facts);
	memset(t, 0, sizeof(*t));
}

void render_label(struct out *o, const char *key, const struct verdict_label *l)
{
	if (!out_json(o))
		return;
	if (!l || l->verdict == V_NONE) {
		out_null(o, key);
		return;
	}
	out_begin_obj(o, key);
	out_str(o, "verdict", NULL, verdict_name(l->verdict));
	out_str(o, "note", NULL, l->note);
	out_str(o, "time", NULL, l->time);
	out_end_obj(o);
}

void render_verdict(struct out *o, const struct classification *c, const struct verdict_label *l,
		    enum render_detail d)
{
	verdict_block(o, c, l, d, NULL);
}

static void verdict_block(struct out *o, const struct classification *c, const struct verdict_label *l,
			  enum render_detail d, const char *shown)
{
	bool labelled = l && l->verdict != V_NONE, sentences = d != DETAIL_STACKS;
	enum verdict eff = effective_verdict(c->verdict, l);
	struct verdict_text t;

	render_verdict_text(c, &t);
	out_str_style(o, "verdict", "  verdict: %s", verdict_name(eff), verdict_style(eff));
	out_str(o, "tool_verdict", NULL, verdict_name(c->verdict));
	render_label(o, "label", l);
	if (labelled) {
		out_text(o, " (a person's label; the tool says %s", verdict_name(c->verdict));
		out_str(o, "writer", c->writer ? ": %s writer" : NULL, writer_name(c->writer));
		out_str(o, "confidence", c->confidence ? ", %s" : NULL, confidence_name(c->confidence));
		out_text(o, ")");
	} else {
		out_str(o, "writer", c->writer ? " (%s writer" : NULL, writer_name(c->writer));
		out_str(o, "confidence", c->confidence ? ", %s)" : NULL, confidence_name(c->confidence));
	}
	out_text(o, "\n");
	out_str(o, "field", t.field && sentences ? "  field: %s\n" : NULL, t.field);
	out_str(o, "evidence", t.evidence && d == DETAIL_BRIEF ? "  evidence: %s\n" : NULL, t.evidence);
	if (d == DETAIL_FULL || (d == DETAIL_STACKS && !shown))
		render_evidence_list(o, &t);
	else if (d == DETAIL_STACKS)
		evidence_differences(o, &t, shown);
	if (d == DETAIL_FULL || out_json(o))
		out_str(o, "marking", t.marking ? "  marking: %s\n" : NULL, t.marking);
	if (t.near_miss)
		out_str(o, "near_miss", sentences ? "  near miss: %s\n" : NULL, t.near_miss);
	if (t.rule)
		out_str(o, "rule", NULL, t.rule);
	verdict_text_release(&t);
}
