/*
 * store_files.h - the files a scan read whole into the store: the table
 * scanned_file, a cache outside the schema version (made when a store is
 * opened for writing; a store without it works, every file is parsed).
 *
 * A row is a file by the name its reports' occurrences carry (source),
 * its size, the XXH3-128 of its bytes, the fingerprint of everything that
 * decides what a scan makes of it (cmd_scan.c), and its reports in order
 * as the scan's summary counts them: their keys, their verdict facts, and
 * the title of the file's first of each signature.  A later scan with the
 * same fingerprint that finds the file unchanged, and every occurrence the
 * row names still stored, counts the row's reports instead of parsing.
 * The row is written in the file's transaction (store.c's connection).
 * merge does not copy the table: a merged store's files are parsed again.
 */
#ifndef STORE_FILES_H
#define STORE_FILES_H

#include <sqlite3.h>

#include "hashmap.h"
#include "report.h"

/*
 * CREATE TABLE IF NOT EXISTS (store.c, when a store is opened for writing).
 * store_files_load() reads its rows of a fingerprint from the index
 * scanned_file_fp alone: a row is mostly its reports (2.3 KB a file of ten,
 * one or two rows a page), and reading them all to find the names was
 * 227 MB at a million reports.
 */
#define STORE_FILES_SQL \
	"CREATE TABLE IF NOT EXISTS scanned_file (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE," \
	" size INTEGER NOT NULL, hash BLOB NOT NULL, fingerprint BLOB NOT NULL, reports BLOB NOT NULL);" \
	"CREATE INDEX IF NOT EXISTS scanned_file_fp ON scanned_file (fingerprint, path, size, hash);"

/* A file's content: its size and XXH3-128. */
struct store_file_id {
	uint64_t size;
	unsigned char hash[16];
};
/* XXH3-128 of n bytes (the fingerprint's). */
void store_files_hash(const void *p, size_t n, unsigned char out[16]);

/* One report of a file, as the summary counts it again. */
struct store_file_report {
	int64_t occ_key, head_key;   /* store_prepared's */
	int64_t sig_key;             /* and its signature's (store_files_read() only) */
	char sig[33];                /* report_signature() */
	bool truncated;
	uint64_t line;
	/* its classification as the store compares it: the facts' hash (kt_hash_str()), the columns */
	uint64_t facts_hash;
	int level;
	enum verdict verdict;
	enum writer writer;
	enum confidence confidence;
	char *field;                 /* classification_field() */
	char *subsystem;             /* NULL: none */
	char *facts;                 /* a cut one's facts (it may have no occurrence of its own), else NULL */
	/* the file's first of its signature: the summary's row (render_verdict_text()'s, title NULL else) */
	char *title, *text_field, *reason, *evidence, *marking;
};
void store_file_reports_free(struct store_file_report *v, size_t n);

/* What the store says of a recorded report (store_files_known()). */
struct store_file_known {
	/* 1: what store_add_prepared() would say (store_added); 2: the signature it would classify again */
	int64_t sig_id;              /* 0: its occurrence's signature is gone (the tool's verdict counts) */
	struct verdict_label label;  /* the caller releases it */
	/* 2: its facts, to store it again with (the caller frees them) */
	char *facts;
};

/* The rows of one fingerprint, read once: a read-only map that any thread may consult. */
struct store_files;
struct store_file_rec;

/* The table's rows of fingerprint fp (none when there is no table): NULL only on an error (db's). */
struct store_files *store_files_load(sqlite3 *db, const unsigned char fp[16]);
void store_files_free(struct store_files *f);
/* The row of the file name with this content, or NULL (any thread). */
const struct store_file_rec *store_files_find(const struct store_files *f, const char *name,
					      const struct store_file_id *id);
/* Was a row of this fingerprint loaded for the name (whatever its content)? */
bool store_files_has_name(const struct store_files *f, const char *name);

/*
 * The row's reports (any thread: read through a read-only connection of
 * the thread's, what is committed): 1 with *v, *n set (free them), 0 none
 * (another writer replaced the row since it was loaded: parse the file),
 * -1 error.
 */
int store_files_read(struct store_files *f, const struct store_file_rec *rec, struct store_file_report **v,
		     size_t *n);
/*
 * Would storing the report again (store_add_prepared()) find it stored
 * (STORE_DUPLICATE)?  1 so, and it would write nothing: k->sig_id and
 * k->label; 2 so, but it would classify its signature or occurrence again:
 * k->facts (this run's: its occurrence's, or the record's), for the caller
 * to store it again with them; 0 not, or this run's facts are not to be
 * had (its occurrence holds others): the file is to be parsed; -1 error
 * (db's).  Storing a report again never deletes an occurrence nor changes
 * one's facts to others than its own: a later report's 0 stays 0.
 */
int store_files_known(struct store_files *f, const struct store_file_report *r, struct store_file_known *k);
/*
 * A file's reports as its row keeps them (any thread: the work off the
 * writer's): 0 with *blob (free() it) and *len, or -1 (compression's error).
 */
int store_files_pack(struct store_files *f, const struct store_file_report *v, size_t n, void **blob, size_t *len);
/* Keep (replacing) the row of a file read whole, its reports store_files_pack()'s: 0, or -1 (db's error). */
int store_files_put(struct store_files *f, const char *name, const struct store_file_id *id, const void *blob,
		    size_t len);
/*
 * A statement of those run per report, as it is finalized: in a developer
 * build (KT_DEVELOPER), one that read a table by scanning it (a lookup
 * that lost its index: harmless on a test's store, hours on a million
 * reports) stops the program, naming it.  Nothing otherwise.
 */
void store_stmt_finalize(sqlite3_stmt *s);
/* The connection the rows are read from and written to (store.c's), for the caller's error message. */
sqlite3 *store_files_db(const struct store_files *f);

#endif
