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

static void table_cell(struct table *t, char *text)
{
	if (t->col == 0 && t->o->fmt == KT_FMT_JSON)
		out_begin_obj(t->o, NULL);
	if (t->o->fmt != KT_FMT_JSON) {
		ALLOC_GROW(t->cells, t->ncells, t->cap);
		t->cells[t->ncells++] = text;
	} else {
		free(text);
	}
	if (++t->col == t->ncols) {
		t->col = 0;
		if (t->o->fmt == KT_FMT_JSON)
			out_end_obj(t->o);
	}
}

void table_str(struct table *t, const char *v)
{
	if (t->o->fmt == KT_FMT_JSON) {
		if (t->col == 0)
			out_begin_obj(t->o, NULL);
		out_str(t->o, t->cols[t->col].key, NULL, v);
		if (++t->col == t->ncols) {
			t->col = 0;
			out_end_obj(t->o);
		}
		return;
	}
	table_cell(t, xstrdup(v ? v : "-"));
}

void table_int(struct table *t, long long v)
{
	if (t->o->fmt == KT_FMT_JSON) {
		if (t->col == 0)
			out_begin_obj(t->o, NULL);
		out_int(t->o, t->cols[t->col].key, NULL, v);
		if (++t->col == t->ncols) {
			t->col = 0;
			out_end_obj(t->o);
		}
		return;
	}
	table_cell(t, xasprintf("%lld", v));
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

void table_end(struct table *t)
{
	struct out *o = t->o;

	if (o->fmt == KT_FMT_JSON) {
		out_end_arr(o);
	} else {
		int *w = xcalloc((size_t)t->ncols, sizeof(int));
		size_t rows = t->ncells / (size_t)t->ncols;

		for (int c = 0; c < t->ncols; c++)
			w[c] = utf8_width(t->cols[c].head);
		for (size_t i = 0; i < t->ncells; i++) {
			int c = (int)(i % (size_t)t->ncols), cw = utf8_width(t->cells[i]);

			if (cw > w[c])
				w[c] = cw;
		}
		for (size_t r = 0; r <= rows; r++) {
			for (int c = 0; c < t->ncols; c++) {
				const char *v = r == 0 ? t->cols[c].head : t->cells[(r - 1) * (size_t)t->ncols + (size_t)c];
				int pad = w[c] - utf8_width(v);
				bool last = c == t->ncols - 1;

				if (t->cols[c].right)
					fprintf(o->fp, "%*s", pad, "");
				text_safe(o->fp, v);
				if (!t->cols[c].right && !last)
					fprintf(o->fp, "%*s", pad, "");
				if (!last)
					fputs("  ", o->fp);
			}
			fputc('\n', o->fp);
		}
		free(w);
	}
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
	const struct classification *c = &r->cls;
	char *title = report_display_title(r);

	out_begin_obj(o, NULL);
	out_str(o, "title", NULL, r->title);
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
	out_str(o, "verdict", "  verdict: %s", verdict_name(c->verdict));
	out_str(o, "writer", c->writer ? " (%s writer" : NULL, writer_name(c->writer));
	out_str(o, "confidence", c->confidence ? ", %s)" : NULL, confidence_name(c->confidence));
	out_text(o, "\n");
	out_str(o, "field", c->field ? "  field: %s\n" : NULL, c->field);
	out_str(o, "evidence", c->evidence ? "  evidence: %s\n" : NULL, c->evidence);
	if (d == DETAIL_FULL || out_json(o))
		out_str(o, "marking", c->marking ? "  marking: %s\n" : NULL, c->marking);
	if (c->near_miss)
		out_str(o, "near_miss", "  near miss: %s\n", c->near_miss);
	if (c->rule)
		out_str(o, "rule", NULL, c->rule);
	out_end_obj(o);
}
