/* store.h - the SQLite store: signatures, occurrences, accesses, frames, labels. */
#ifndef STORE_H
#define STORE_H

#include "report.h"

#define STORE_SCHEMA_VERSION 1

struct store;

/* Open (creating when writable) the store; NULL with the error reported. */
struct store *store_open(struct ctx *ctx, const char *path, bool readonly);
/* 0, or -1 (reported). */
int store_close(struct ctx *ctx, struct store *st);
const char *store_path(const struct store *st);

/* One transaction per input file. 0 or -1 (reported, with pos). */
int store_begin(struct store *st, const char *pos);
int store_commit(struct store *st, const char *pos);
void store_rollback(struct store *st);

enum store_result { STORE_ADDED, STORE_DUPLICATE, STORE_UPGRADED, STORE_FAILED };

struct store_added {
	int64_t sig_id;
	enum verdict effective;     /* the label when one exists, else the tool's verdict */
	bool labelled;
	bool new_signature;
};

/* Store one report (its classification and subsystem must be set). */
enum store_result store_add_report(struct store *st, const struct report *r, const char *subsystem,
				   int64_t now, struct store_added *out);

/* A signature row, for list/show/stats. */
struct sig_row {
	int64_t id;
	char *title, *display_title, *bug_type, *top_func, *subsystem;
	bool unknown_origin;
	char *verdict, *writer, *confidence, *field, *rule, *evidence, *marking;
	char *label, *label_note, *label_time;
	int64_t count;
	char *first_seen, *last_seen, *first_kernel, *last_kernel;
};
void sig_row_release(struct sig_row *s);

struct list_filter {
	const char *verdict;        /* effective verdict, or NULL */
	const char *grep;           /* substring of title, field, function; or NULL */
	long limit;                 /* 0: no limit */
};
typedef void (*sig_row_fn)(const struct sig_row *s, void *data);
int store_list(struct store *st, const struct list_filter *f, sig_row_fn fn, void *data);
/* 1 found, 0 no such id, -1 error. */
int store_get_signature(struct store *st, int64_t id, struct sig_row *out);

/* Occurrences of a signature, rebuilt as reports (classification from the signature). */
typedef void (*occ_fn)(struct report *r, int64_t occ_id, const char *stored_at, void *data);
int store_occurrences(struct store *st, int64_t sig_id, long limit, occ_fn fn, void *data);

/* 1 done, 0 no such id, -1 error.  verdict NULL clears the label. */
int store_set_label(struct store *st, int64_t id, const char *verdict, const char *note, int64_t now);

/* Counts: rows of (key, signatures, occurrences) for a grouping column. */
struct count_row {
	char *key;
	int64_t sigs, occs;
};
int store_count_by(struct store *st, const char *what, long limit, struct count_row **rows, size_t *n);
void count_rows_free(struct count_row *rows, size_t n);

#endif
