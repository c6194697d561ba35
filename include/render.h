/* render.h - the last stage: one writer for text and JSON. */
#ifndef RENDER_H
#define RENDER_H

#include "report.h"

#define SCHEMA_VERSION 2

/*
 * The same calls write text for people or JSON for programs.  In JSON a
 * call writes "key": value; in text it prints text_fmt with the value when
 * text_fmt is not NULL, and nothing otherwise.  Text output neutralises
 * terminal control bytes; JSON escapes every control byte and replaces
 * invalid UTF-8, so the document is always valid.
 */
struct out;

struct out *out_new(FILE *fp, enum kt_format fmt);
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
void table_str(struct table *t, const char *v);
void table_int(struct table *t, long long v);
/* A label: its verdict in text ("-" for none), an object or null in JSON. */
void table_label(struct table *t, const struct verdict_label *l);
void table_end(struct table *t);

/* Pipeline objects. */
enum render_detail { DETAIL_BRIEF, DETAIL_FULL };
/* A report; its verdict is the effective one (r->label when set). */
void render_report(struct out *o, const struct report *r, enum render_detail d);

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
};
void render_verdict_text(const struct classification *c, struct verdict_text *t);
void verdict_text_release(struct verdict_text *t);
/*
 * The verdict block of a report: the effective verdict, the tool's, the
 * label, writer, confidence, and the sentences (the marking only in full
 * detail or JSON).
 */
void render_verdict(struct out *o, const struct classification *c, const struct verdict_label *l,
		    enum render_detail d);
/* In JSON, a label as an object (verdict, note, time), or null when there is none. */
void render_label(struct out *o, const char *key, const struct verdict_label *l);
void render_frame(struct out *o, const struct frame *f, bool json_only);

#endif
