/* render.c - text and JSON output from the same calls. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

#define MAX_NEST 32

struct out {
	FILE *fp;
	enum kt_format fmt;
	int depth;
	bool first[MAX_NEST];   /* no element written yet at this level */
	bool is_arr[MAX_NEST];
	bool pretty;
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

	fputc('"', fp);
	while (*p) {
		unsigned char c = *p;
		int n = 0;

		if (c == '"' || c == '\\') {
			fputc('\\', fp);
			fputc(c, fp);
			p++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			switch (c) {
			case '\n': fputs("\\n", fp); break;
			case '\t': fputs("\\t", fp); break;
			case '\r': fputs("\\r", fp); break;
			default: fprintf(fp, "\\u%04x", c); break;
			}
			p++;
			continue;
		}
		if (c < 0x80) {
			fputc(c, fp);
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
				fwrite(p, 1, (size_t)n + 1, fp);
				p += n + 1;
				continue;
			}
		}
		fputs("\\ufffd", fp);
		p++;
	}
	fputc('"', fp);
}

static void json_indent(struct out *o)
{
	if (!o->pretty)
		return;
	fputc('\n', o->fp);
	for (int i = 0; i < o->depth; i++)
		fputs("  ", o->fp);
}

/* Separator and key before a value. */
static void json_pre(struct out *o, const char *key)
{
	if (!o->first[o->depth])
		fputc(',', o->fp);
	o->first[o->depth] = false;
	if (o->depth > 0)
		json_indent(o);
	if (key && o->depth > 0 && !o->is_arr[o->depth]) {
		json_string(o->fp, key);
		fputs(": ", o->fp);
	}
}

static void json_open(struct out *o, const char *key, char c, bool arr)
{
	json_pre(o, key);
	fputc(c, o->fp);
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
	fputc(c, o->fp);
}

void out_begin_obj(struct out *o, const char *key)
{
	if (o->fmt == KT_FMT_JSON)
		json_open(o, key, '{', false);
}

void out_end_obj(struct out *o)
{
	if (o->fmt == KT_FMT_JSON)
		json_close(o, '}');
}

void out_begin_arr(struct out *o, const char *key)
{
	if (o->fmt == KT_FMT_JSON)
		json_open(o, key, '[', true);
}

void out_end_arr(struct out *o)
{
	if (o->fmt == KT_FMT_JSON)
		json_close(o, ']');
}

/* ---------------------------------------------------------------------- */
/* text */

/* Terminal-safe copy: control bytes (escapes) shown as ^X. */
static void text_safe(FILE *fp, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f) {
			fputc('^', fp);
			fputc(*p == 0x7f ? '?' : *p + '@', fp);
		} else {
			fputc(*p, fp);
		}
	}
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
		json_pre(o, key);
		if (v)
			json_string(o->fp, v);
		else
			fputs("null", o->fp);
	} else if (text_fmt) {
		text_fmt_str(o->fp, text_fmt, v);
	}
}

void out_int(struct out *o, const char *key, const char *text_fmt, long long v)
{
	if (o->fmt == KT_FMT_JSON) {
		json_pre(o, key);
		fprintf(o->fp, "%lld", v);
	} else if (text_fmt) {
		fprintf(o->fp, text_fmt, v);
	}
}

void out_bool(struct out *o, const char *key, const char *text_fmt, bool v)
{
	if (o->fmt == KT_FMT_JSON) {
		json_pre(o, key);
		fputs(v ? "true" : "false", o->fp);
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
		json_pre(o, key);
		fputs("null", o->fp);
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

/* ---------------------------------------------------------------------- */
/* tables */

struct table {
	struct out *o;
	const struct column *cols;
	int ncols, col;
	char **cells;          /* text mode: rows * ncols */
	size_t ncells, cap;
	bool *is_num;
};

struct table *table_begin(struct out *o, const char *key, const struct column *cols, int ncols)
{
	struct table *t = xcalloc(1, sizeof(*t));

	t->o = o;
	t->cols = cols;
	t->ncols = ncols;
	if (o->fmt == KT_FMT_JSON)
		out_begin_arr(o, key);
	return t;
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

static void table_cell(struct table *t, char *text)
{
	if (t->cols[t->col].json_only && t->o->fmt != KT_FMT_CSV) {
		free(text);
	} else {
		ALLOC_GROW(t->cells, t->ncells, t->cap);
		t->cells[t->ncells++] = text;
	}
	table_next(t);
}

void table_str(struct table *t, const char *v)
{
	if (table_json_cell(t)) {
		out_str(t->o, t->cols[t->col].key, NULL, v);
		table_next(t);
		return;
	}
	table_cell(t, xstrdup(v ? v : t->o->fmt == KT_FMT_CSV ? "" : "-"));
}

void table_int(struct table *t, long long v)
{
	if (table_json_cell(t)) {
		out_int(t->o, t->cols[t->col].key, NULL, v);
		table_next(t);
		return;
	}
	table_cell(t, xasprintf("%lld", v));
}

void table_label(struct table *t, const struct verdict_label *l)
{
	bool set = l && l->verdict != V_NONE;

	if (table_json_cell(t)) {
		render_label(t->o, t->cols[t->col].key, l);
		table_next(t);
		return;
	}
	table_cell(t, xstrdup(set ? verdict_name(l->verdict) : t->o->fmt == KT_FMT_CSV ? "" : "-"));
}

/* Display width of a UTF-8 string (code points; good enough for names). */
static int utf8_width(const char *s)
{
	int w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* Text: the columns shown, aligned, with a header. */
static void table_print(struct table *t)
{
	struct out *o = t->o;
	int *vis = xcalloc((size_t)t->ncols, sizeof(int)), nvis = 0;
	int *w = xcalloc((size_t)t->ncols, sizeof(int));
	size_t rows;

	for (int c = 0; c < t->ncols; c++)
		if (!t->cols[c].json_only)
			vis[nvis++] = c;
	rows = nvis ? t->ncells / (size_t)nvis : 0;
	for (int c = 0; c < nvis; c++)
		w[c] = utf8_width(t->cols[vis[c]].head);
	for (size_t i = 0; i < t->ncells; i++) {
		int c = (int)(i % (size_t)nvis), cw = utf8_width(t->cells[i]);

		if (cw > w[c])
			w[c] = cw;
	}
	for (size_t r = 0; r <= rows; r++) {
		for (int c = 0; c < nvis; c++) {
			const struct column *col = &t->cols[vis[c]];
			const char *v = r == 0 ? col->head : t->cells[(r - 1) * (size_t)nvis + (size_t)c];
			int pad = w[c] - utf8_width(v);
			bool last = c == nvis - 1;

			if (col->right)
				fprintf(o->fp, "%*s", pad, "");
			text_safe(o->fp, v);
			if (!col->right && !last)
				fprintf(o->fp, "%*s", pad, "");
			if (!last)
				fputs("  ", o->fp);
		}
		fputc('\n', o->fp);
	}
	free(w);
	free(vis);
}

/*
 * CSV (RFC 4180): every column, the keys as the header; a field with a
 * comma, quote or line break quoted, quotes doubled; lines end in LF.
 */
static void table_csv(struct table *t)
{
	FILE *fp = t->o->fp;
	size_t n = (size_t)t->ncols;

	for (size_t i = 0; i < n + t->ncells; i++) {
		const char *v = i < n ? t->cols[i].key : t->cells[i - n];

		if (strpbrk(v, ",\"\r\n")) {
			fputc('"', fp);
			for (; *v; v++) {
				if (*v == '"')
					fputc('"', fp);
				fputc(*v, fp);
			}
			fputc('"', fp);
		} else {
			fputs(v, fp);
		}
		fputs(i % n == n - 1 ? "\n" : ",", fp);
	}
}

void table_end(struct table *t)
{
	if (t->o->fmt == KT_FMT_JSON)
		out_end_arr(t->o);
	else if (t->o->fmt == KT_FMT_CSV)
		table_csv(t);
	else
		table_print(t);
	for (size_t i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
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

static void render_access(struct out *o, const struct access *a, int idx)
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

void render_report(struct out *o, const struct report *r, enum render_detail d)
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
	out_str(o, "time", NULL, r->log_time);
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
		render_access(o, &r->acc[i], i);
	out_end_arr(o);
	render_verdict(o, &r->cls, &r->label, d);
	out_end_obj(o);
}

/* ---------------------------------------------------------------------- */
/* verdicts: sentences from facts */

#define REAL_RACE_MARKING \
	"fix the locking, or mark both accesses (READ_ONCE()/WRITE_ONCE(); data_race() for a benign race) as " \
	"tools/memory-model/Documentation/access-marking.txt describes"
#define UNKNOWN_MARKING \
	"find the writer first; then fix or mark as tools/memory-model/Documentation/access-marking.txt describes"

static void size_word(struct sbuf *sb, uint64_t size)
{
	sbuf_addf(sb, "%llu-byte", (unsigned long long)size);
}

/* "func() at file:line", with a kernel-tree path rather than a build machine's. */
static void describe_place(struct sbuf *sb, const struct cls_place *l)
{
	if (l->func && *l->func)
		sbuf_addf(sb, "%s()", l->func);
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
		sbuf_addf(sb, " at %s:%d", f, l->line);
	}
}

/* "a 2-byte read at 0x..., which is 2 mod 4: " */
static void access_words(struct sbuf *sb, const struct classification *c, bool with_addr)
{
	size_word(sb, c->size);
	sbuf_addf(sb, " %s at ", access_type_name(c->acc_type));
	if (with_addr)
		sbuf_addf(sb, "0x%llx, which is ", (unsigned long long)c->addr);
	sbuf_addf(sb, "%llu mod %llu", (unsigned long long)(c->align ? c->addr % c->align : 0),
		  (unsigned long long)c->align);
}

/* The member, its layout, and the members it is not. */
static void member_words(struct sbuf *ev, const struct classification *c)
{
	sbuf_addf(ev, "%s is %llu byte%s at offset %llu", c->member, (unsigned long long)c->member_size,
		  c->member_size == 1 ? "" : "s", (unsigned long long)c->offset);
	if (c->stride)
		sbuf_addf(ev, " + n*%llu", (unsigned long long)c->stride);
	sbuf_addf(ev, " of struct %s, which is %llu-aligned (layout from %s)", c->rule,
		  (unsigned long long)c->align, c->layout == LAYOUT_DWARF ? "the vmlinux DWARF" : "the rule");
	for (size_t i = 0; i < c->nexcluded; i++)
		sbuf_addf(ev, "%s%s (%s)", i ? ", " : "; excluded: ", c->excluded[i].member,
			  c->excluded[i].why == EXCL_SIZE ? "another size" : "another offset");
	if (c->nalso) {
		sbuf_adds(ev, c->confidence == CONF_CERTAIN ? "; also fitting, but not read there: " :
			  "; also fitting: ");
		for (size_t i = 0; i < c->nalso; i++)
			sbuf_addf(ev, "%s%s", i ? ", " : "", c->also[i]);
	}
}

static void member_fits_text(const struct classification *c, struct verdict_text *t)
{
	struct sbuf ev = SBUF_INIT, rs = SBUF_INIT, mk = SBUF_INIT;
	const char *writer = writer_name(c->writer);

	t->field = classification_field(c);
	t->rule = xasprintf("%s (%s)", c->rule, c->origin ? c->origin : "?");
	sbuf_adds(&ev, "a ");
	access_words(&ev, c, true);
	sbuf_adds(&ev, ": ");
	member_words(&ev, c);
	sbuf_adds(&ev, "; ");
	if (c->expr_matched) {
		sbuf_adds(&ev, "the source reads it: ");
		describe_place(&ev, &c->where);
		sbuf_addf(&ev, " is \"%s\"", c->expr ? c->expr : "");
	} else {
		sbuf_adds(&ev, c->member_func ? "read in " : "in ");
		describe_place(&ev, &c->where);
		if (c->inlined_in)
			sbuf_addf(&ev, ", inlined in %s()", c->inlined_in);
		if (!c->source_read)
			sbuf_adds(&ev, " (no source tree to check the expression)");
	}
	sbuf_addf(&ev, "; the %s writes struct %s: %s", writer, c->rule, c->reference ? c->reference : "");
	t->evidence = sbuf_detach(&ev);

	sbuf_adds(&mk, "READ_ONCE() or data_race()");
	if (c->where.file && c->where.line > 0) {
		sbuf_adds(&mk, " in ");
		describe_place(&mk, &c->where);
	}
	sbuf_addf(&mk, " documents that the %s writes %s; it fixes no race (no CPU writes it)", writer, t->field);
	t->marking = sbuf_detach(&mk);

	access_words(&rs, c, false);
	sbuf_adds(&rs, " in ");
	describe_place(&rs, c->expr_matched || !c->has_top ? &c->where : &c->top);
	sbuf_addf(&rs, "%s: %s, written by the %s", c->expr_matched ? " (source checked)" : "", t->field, writer);
	t->reason = sbuf_detach(&rs);
}

/* Unknown origin, no member fits: the nearest rule, or none. */
static void no_fit_text(const struct classification *c, struct verdict_text *t)
{
	struct sbuf ev = SBUF_INIT;

	sbuf_adds(&ev, "the value changed but KCSAN saw no other access: the writer is not instrumented");
	if (c->basis == BASIS_NEAR_MISS) {
		struct sbuf nm = SBUF_INIT;

		sbuf_adds(&nm, "in ");
		describe_place(&nm, &c->where);
		sbuf_addf(&nm, ", code that reads the %s-written struct %s (%s), but ", writer_name(c->rule_writer),
			  c->rule, c->family ? c->family : "knowledge base");
		if (c->has_addr && c->has_size) {
			sbuf_adds(&nm, "a ");
			access_words(&nm, c, false);
			sbuf_adds(&nm, " matches none of its members");
		} else {
			sbuf_adds(&nm, "the report gives no address and size to match");
		}
		t->near_miss = sbuf_detach(&nm);
		sbuf_addf(&ev, "; nearest rule: %s", t->near_miss);
		t->reason = xasprintf("no device-written field fits: %s", t->near_miss);
	} else {
		sbuf_adds(&ev, "; no rule of the knowledge base covers ");
		if (c->has_top)
			describe_place(&ev, &c->top);
		else
			sbuf_adds(&ev, "this stack");
		t->reason = xasprintf("unknown writer, no rule covers %s()",
				      c->has_top && c->top.func ? c->top.func : "the top frame");
	}
	sbuf_adds(&ev, ": needs a human (code built without KCSAN, assembly, a device, firmware or user space)");
	t->evidence = sbuf_detach(&ev);
	t->marking = xstrdup(UNKNOWN_MARKING);
}

/* Fewer than two stacks, but KCSAN did not say "unknown origin": it saw the other access. */
static void one_stack_text(const struct classification *c, struct verdict_text *t)
{
	const char *shown = c->stacks == 1 ? "one stack" : "no stack";

	if (c->stacks && (c->acc_type == ACC_ASSERT_NO_WRITES || c->acc_type == ACC_ASSERT_NO_ACCESSES)) {
		t->evidence = xasprintf("an ASSERT_EXCLUSIVE_*() assertion was violated by another kernel access, "
					"but the report shows %s, not two (the other stack was not printed): "
					"a real race, whatever memory it is on", shown);
		t->reason = xasprintf("assertion violated by another kernel access (%s shown)", shown);
		return;
	}
	t->evidence = xasprintf("the report shows %s, not two, and is not cut short, but KCSAN did not say "
				"\"race at unknown origin\": it saw the other access, whose stack was not printed: "
				"a real race, whatever memory it is on", shown);
	t->reason = xasprintf("%s shown, no unknown origin: both accesses are kernel code", shown);
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
}

void verdict_text_release(struct verdict_text *t)
{
	free(t->field);
	free(t->rule);
	free(t->evidence);
	free(t->reason);
	free(t->marking);
	free(t->near_miss);
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
	bool labelled = l && l->verdict != V_NONE;
	struct verdict_text t;

	render_verdict_text(c, &t);
	out_str(o, "verdict", "  verdict: %s", verdict_name(effective_verdict(c->verdict, l)));
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
	out_str(o, "field", t.field ? "  field: %s\n" : NULL, t.field);
	out_str(o, "evidence", t.evidence ? "  evidence: %s\n" : NULL, t.evidence);
	if (d == DETAIL_FULL || out_json(o))
		out_str(o, "marking", t.marking ? "  marking: %s\n" : NULL, t.marking);
	if (t.near_miss)
		out_str(o, "near_miss", "  near miss: %s\n", t.near_miss);
	if (t.rule)
		out_str(o, "rule", NULL, t.rule);
	verdict_text_release(&t);
}
