/* render.h - the last stage: one writer for text and JSON. */
#ifndef RENDER_H
#define RENDER_H

#include "report.h"

#define SCHEMA_VERSION 3

/*
 * The same calls write text for people or JSON for programs.  In JSON a
 * call writes "key": value; in text it prints text_fmt with the value when
 * text_fmt is not NULL, and nothing otherwise.  Text output neutralises
 * terminal control bytes; JSON escapes every control byte and replaces
 * invalid UTF-8, so the document is always valid.
 */
struct out;

struct out *out_new(FILE *fp, enum kt_format fmt);
/*
 * A writer for standard output as ctx found it (term.h): in text, colour
 * when ctx->color, and tables fitted to ctx->columns when it is a
 * terminal.  Piped, the text is the same as out_new()'s.
 */
struct out *out_new_stdout(const struct ctx *ctx, enum kt_format fmt);
/* Text for a terminal of out_columns() columns: the layout a person reads (0: piped, JSON). */
bool out_terminal(const struct out *o);
int out_columns(const struct out *o);
/* Flush and free; -1 when writing failed (a full disk, a closed pipe). */
int out_close(struct out *o);
bool out_json(const struct out *o);

void out_begin_obj(struct out *o, const char *key);
void out_end_obj(struct out *o);
void out_begin_arr(struct out *o, const char *key);
void out_end_arr(struct out *o);

void out_str(struct out *o, const char *key, const char *text_fmt, const char *v);
void out_int(struct out *o, const char *key, const char *text_fmt, long long v);
void out_bool(struct out *o, const char *key, const char *text_fmt, bool v);
void out_hex(struct out *o, const char *key, const char *text_fmt, uint64_t v);
void out_null(struct out *o, const char *key);
/* Text only. */
void out_text(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text only: a value, made safe for a terminal. */
void out_text_safe(struct out *o, const char *s);

/* What a piece of text stands for; the writer colours it when colour is on. */
enum out_style {
	STYLE_NONE,
	STYLE_BOLD,     /* headings, the answer */
	STYLE_DIM,      /* what matters less */
	STYLE_BAD,      /* real-race */
	STYLE_WARN,     /* unknown-origin, truncated */
	STYLE_GOOD,     /* device-origin */
	STYLE_NEW,      /* new in the latest scan */
};
enum out_style verdict_style(enum verdict v);
/* Text only: s, made safe, in style st. */
void out_text_style(struct out *o, enum out_style st, const char *s);
/* out_str() with the text's value in style st. */
void out_str_style(struct out *o, const char *key, const char *text_fmt, const char *v, enum out_style st);

/*
 * A table: in text, aligned columns with a header (rows are buffered until
 * table_end); in JSON, an array of objects keyed by column.
 */
struct column {
	const char *key;     /* JSON key */
	const char *head;    /* text header */
	int right;           /* right-align (numbers) */
	int json_only;       /* no column in text */
};
struct table;
struct table *table_begin(struct out *o, const char *key, const struct column *cols, int ncols);
/* How the column keyed key is laid out on a terminal (out_terminal()); piped text and JSON keep it. */
enum {
	TABLE_TTY_SHRINK = 1 << 0,  /* cut (with an ellipsis) so that a row fits the width */
	TABLE_TTY_HIDE = 1 << 1,    /* not shown */
	TABLE_TTY_DATE = 1 << 2,    /* an ISO time, shown as its day */
	TABLE_TTY_ONLY = 1 << 3,    /* only on a terminal: neither piped text nor JSON has it */
	TABLE_TTY_SHRINK_FIRST = 1 << 4, /* cut before the TABLE_TTY_SHRINK ones are */
	TABLE_TTY_DROP = 1 << 5,    /* left out when the shrinkable columns would have too little room */
};
void table_tty(struct table *t, const char *key, unsigned flags);
void table_str(struct table *t, const char *v);
void table_str_style(struct table *t, const char *v, enum out_style st);
void table_int(struct table *t, long long v);
/* A label: its verdict in text ("-" for none), an object or null in JSON. */
void table_label(struct table *t, const struct verdict_label *l);
/* -1 when a streamed table's rows could not all be kept (errno: a full disk): they are not all printed. */
int table_end(struct table *t);
/*
 * Flat memory for a long table (called before its first row): text rows
 * are measured as they come and kept in a temporary file ($TMPDIR), then
 * printed from it by table_end(), aligned; CSV and JSON rows go out as
 * they come.  The text is the same as a buffered table's.  False when no
 * temporary file can be made: the rows are kept in memory instead.
 */
bool table_stream(struct table *t);

/* Pipeline objects. */
enum render_detail {
	DETAIL_BRIEF,   /* the evidence in one line, no marking */
	DETAIL_FULL,    /* the evidence as a list, the marking */
	DETAIL_STACKS,  /* text: of the verdict its line, and the evidence when it is not the one shown */
};
/* A report; its verdict is the effective one (r->label when set). */
void render_report(struct out *o, const struct report *r, enum render_detail d);
/* The same, under a text that has shown the evidence shown: DETAIL_STACKS lists r's own only when it differs. */
void render_report_under(struct out *o, const struct report *r, enum render_detail d, const char *shown);

/*
 * The sentences of a verdict, worded from its facts (the access it was
 * judged on is among them).  NULL when a sentence does not apply.
 */
struct verdict_text {
	char *field;           /* "struct vring_used.idx" */
	char *rule;            /* "vring_used (virtio.rules:3)" */
	char *evidence;        /* every fact used, in one or more sentences */
	char *reason;          /* the same in one short line, for tables */
	char *marking;         /* the suggested marking */
	char *near_miss;
	char **facts;          /* the evidence, one fact each (evidence joins them) */
	size_t nfacts;
};
void render_verdict_text(const struct classification *c, struct verdict_text *t);
/*
 * The verdict in one line, as a maintainer would reply, from c's facts
 * (t: their sentences; func: the top function, for facts that name no
 * place); when a person's label says another verdict, the label's, with
 * its note.  Never NULL.
 */
char *render_answer(const struct classification *c, const struct verdict_label *l, const struct verdict_text *t,
		    const char *func);
/* Text only: the evidence as a list, one fact a line (a long one split at its sentences). */
void render_evidence_list(struct out *o, const struct verdict_text *t);
void verdict_text_release(struct verdict_text *t);
/*
 * The verdict block of a report: the effective verdict, the tool's, the
 * label, writer, confidence, and the sentences (the marking only in full
 * detail or JSON; JSON has everything at every detail).
 */
void render_verdict(struct out *o, const struct classification *c, const struct verdict_label *l,
		    enum render_detail d);
/* In JSON, a label as an object (verdict, note, time), or null when there is none. */
void render_label(struct out *o, const char *key, const struct verdict_label *l);
void render_frame(struct out *o, const struct frame *f, bool json_only);

#endif
