/* store.h - the SQLite store: signatures, occurrences, accesses, frames, labels. */
#ifndef STORE_H
#define STORE_H

#include "report.h"

/*
 * 2: verdict facts per occurrence and per signature instead of sentences
 * 3: 64-bit integer keys; an occurrence's accesses and frames in one column;
 *    its text compressed
 * 4: occurrences' wall-clock times and mail metadata (store_meta.h)
 * 5: a zstd dictionary for the stored texts, trained on a store's first reports
 * 6: occurrences indexed by head and key together
 */
#define STORE_SCHEMA_VERSION 7

struct store;

/*
 * Open (creating when writable) the store; NULL with the error reported.
 * A store of an older schema is upgraded in one transaction (also for a
 * read-only command, when the file can be written); a newer one is refused.
 */
struct store *store_open(struct ctx *ctx, const char *path, bool readonly);
/*
 * fn(true, data) before the store waits on the disk (a checkpoint's syncs)
 * or for another writer's lock, fn(false, data) after (NULL: none).
 */
void store_set_block_hook(struct store *st, void (*fn)(bool blocked, void *data), void *data);
/* 0, or -1 (reported). */
int store_close(struct ctx *ctx, struct store *st);
const char *store_path(const struct store *st);
/* The connection, for the table modules outside this file (store_files.h), inside its transaction. */
struct sqlite3 *store_connection(struct store *st);

/*
 * Writing: one transaction, or (after store_batch(st, true), as scan does)
 * files in batches, each file all or nothing.  A batch is one transaction
 * (committed after some files, reports or milliseconds); each file in it is
 * a savepoint.  Nothing is durable, nor visible to others,
 * before its batch commits, so count what was stored only then.
 *
 * store_begin():    a file starts (the batch too, when none is open): 0, or -1 (reported, with pos).
 * store_commit():   the file is whole: 1 when its batch was committed with it,
 *                   0 when the batch stays open, -1 when the commit failed and
 *                   the whole batch is lost (reported).
 * store_rollback(): the file's changes are undone; the batch's other files stay
 *                   (0), or an I/O error lost them too (-1).
 * store_flush():    commit the open batch: 1 done, 0 none was open, -1 failed (reported; lost).
 */
int store_begin(struct store *st, const char *pos);
int store_commit(struct store *st, const char *pos);
int store_rollback(struct store *st);
int store_flush(struct store *st, const char *pos);
void store_batch(struct store *st, bool on);

enum store_result { STORE_ADDED, STORE_DUPLICATE, STORE_UPGRADED, STORE_FAILED };

struct store_added {
	int64_t sig_id;
	enum verdict effective;     /* the label when one exists, else the tool's verdict */
	struct verdict_label label; /* the signature's label (the caller releases it) */
	bool new_signature;
};

/*
 * Store one report (its classification and subsystem must be set).  A
 * report seen before keeps its occurrence; its verdict facts are replaced
 * when this run had at least as much evidence.
 */
enum store_result store_add_report(struct store *st, const struct report *r, const char *subsystem,
				   int64_t now, struct store_added *out);

/*
 * The same in two steps, for a writer fed by parsing threads: what a report
 * is stored as (its keys, its facts and, when zip, its text and accesses
 * compressed) made in any thread, without the store; then stored by the
 * writer.  store_add_report() is the two, compressing only what it stores.
 * st (the writer's store, or NULL) gives the dictionary to compress with:
 * store_prepare() may run while the writer adds reports.
 */
struct store_prepared {
	int64_t occ_key, head_key, sig_key;
	char *facts;
	void *blob;                 /* the occurrence's accesses and text, zstd (store_codec.h); NULL: made when stored */
	size_t blob_n;
	bool stored;                /* known stored (a file's record, store_files_known()): not a lookup the key sets save */
};
void store_prepare(const struct store *st, const struct report *r, bool zip, struct store_prepared *p);
void store_prepared_release(struct store_prepared *p);
enum store_result store_add_prepared(struct store *st, const struct report *r, const struct store_prepared *p,
				     const char *subsystem, int64_t now, struct store_added *out);

/* A signature row, for list/show/stats. */
struct sig_row {
	int64_t id;
	char *title, *display_title, *top_func, *subsystem;
	enum bug_type bug_type;
	bool unknown_origin;
	struct classification cls;  /* the tool's verdict and the facts of the run that decided it */
	struct verdict_label label;
	int64_t count;
	char *first_seen, *last_seen, *first_kernel, *last_kernel;
	char sig_id[REPORT_SIG_ID_LEN + 1];   /* report_signature_id() */
	bool all_truncated;   /* every occurrence cut short (store_list() with list_filter.truncated only) */
};
void sig_row_release(struct sig_row *s);

/*
 * The order of a list.  Attention: what scan's default --fail-on fails on
 * (an effective verdict real-race or unknown-origin) first, then the other
 * reports KCSAN saw at an unknown origin, then the rest; by count within
 * each, then by ID.
 */
enum list_order { LIST_BY_ID, LIST_BY_ATTENTION, LIST_BY_COUNT, LIST_BY_LAST_SEEN };

struct list_filter {
	enum verdict verdict;       /* effective verdict, or V_NONE */
	const char *grep;           /* substring of title, field, function, subsystem, or of an
				       occurrence's extid, HEAD commit, Subject:, Message-ID:; or NULL */
	const char *extid;          /* an occurrence has this syzbot extid; or NULL */
	long limit;                 /* 0: no limit */
	enum list_order order;
	bool truncated;             /* say whether every occurrence is truncated (sig_row.all_truncated) */
	bool brief;                 /* rows for a list: no title, top_func, subsystem nor kernels; their
				       strings valid in the callback only (the statement's, not copied) */
};
typedef void (*sig_row_fn)(const struct sig_row *s, void *data);
int store_list(struct store *st, const struct list_filter *f, sig_row_fn fn, void *data);
/*
 * Reading several times from one state of the store (a list given twice):
 * store_snapshot(st, true) before, (st, false) after.  0, or -1 reported.
 */
int store_snapshot(struct store *st, bool on);
/* 1 found, 0 no such id, -1 error. */
int store_get_signature(struct store *st, int64_t id, struct sig_row *out);

/*
 * Occurrences of a signature, rebuilt as reports: each with its own verdict
 * facts (the signature's for an occurrence stored before facts were kept)
 * and the signature's label.
 */
typedef void (*occ_fn)(struct report *r, int64_t occ_id, const char *stored_at, void *data);
int store_occurrences(struct store *st, const struct sig_row *sig, long limit, occ_fn fn, void *data);

/* 1 done, 0 no such id, -1 error.  verdict V_NONE clears the label. */
int store_set_label(struct store *st, int64_t id, enum verdict verdict, const char *note, int64_t now);

/* Counts: rows of (key, signatures, occurrences) for a grouping column. */
struct count_row {
	char *key;
	int64_t sigs, occs;
};
/* what: verdict, bug_type, function, subsystem or writer; by occurrences, then key; limit 0: all. */
int store_count_by(struct store *st, const char *what, long limit, struct count_row **rows, size_t *n);
/* The same for nwhat groupings at once (one pass over the store): rows[i], n[i] for what[i]. */
int store_counts(struct store *st, const char *const *what, size_t nwhat, const long *limit,
		 struct count_row **rows, size_t *n);
void count_rows_free(struct count_row *rows, size_t n);

/*
 * Signature IDs (report_signature_id()), for triage files and baselines.
 * The strings of a row live until fn returns.
 */
struct store_sig_id {
	int64_t id;
	char sig_id[REPORT_SIG_ID_LEN + 1];
	const char *title, *top_func;
	enum verdict tool_verdict, label;  /* label V_NONE: none */
	const char *note, *time;
};
typedef void (*store_sig_id_fn)(const struct store_sig_id *row, void *data);
/* Every signature (or every labelled one), sorted by ID.  0, or -1 reported. */
int store_each_signature_id(struct store *st, bool labelled_only, store_sig_id_fn fn, void *data);
/* The ID of report #id: 1, 0 no such report, -1 error. */
int store_signature_id(struct store *st, int64_t id, char out[REPORT_SIG_ID_LEN + 1]);
/* Label a signature by its ID: 1 changed, 0 not in the store or already so, -1 error. */
int store_set_label_by_signature(struct store *st, const char *sig_id, enum verdict verdict, const char *note,
				 int64_t now);
/* 1 the store holds the signature, 0 not, -1 error. */
int store_has_signature(struct store *st, const char *sig_id);

/*
 * Fold another store (made by parallel machines over other inputs) into
 * this one, in one transaction: its occurrences not here are added (a
 * complete copy replaces a truncated one), counts recomputed, labels kept
 * -- of two different labels, the newer (each conflict is said).
 * 0, or -1 (reported; nothing changed).
 */
struct store_merged {
	long new_signatures, new_occurrences, conflicts;
};
int store_merge(struct store *st, const char *other, struct store_merged *m);

#endif
