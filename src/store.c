/* store.c - SQLite store: deduplicated, counted, re-scannable, labels survive. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "facts.h"
#include "hashmap.h"
#include "store.h"
#include "store_codec.h"
#include "store_files.h"
#include "store_meta.h"

#define APP_ID 0x4b435354   /* "KCST" */
#define FREE_AND_NULL(p) do { free(p); (p) = NULL; } while (0)

/*
 * A batch ends after this many files or milliseconds, or when its reports
 * would write about BATCH_FRAMES pages to the WAL (reckoned by the pages
 * the previous batch wrote per report: a page of an index at a random key
 * is written once per batch, so that a store of many reports writes one
 * for nearly every report), or when the samples for a dictionary are in.
 */
#define BATCH_FILES 4096
/*
 * (a second: at a million reports a batch of 250 ms held about 5,700
 * reports and wrote 6,300 pages, 4,600 of them the two indexes at random
 * keys; batches of a second ingested 1M reports in 66-71 s against 80-88
 * s, with half the bytes written.  Another writer waits at most that long.)
 */
#define BATCH_MS 1000
#define BATCH_FRAMES 12288       /* 48 MiB of 4 KiB pages */
#define BATCH_REPORTS_FIRST 1000
#define BATCH_REPORTS_MIN 250
#define BATCH_REPORTS_MAX 50000

/*
 * Each table's columns, named once: the schema, the INSERT statements
 * (named parameters :column) and the SELECT lists (read by the column's
 * enum) are made from these lists.  A new column goes at the end of its
 * list, with a migration step in migrate_sql[].
 */
#define SIGNATURE_COLUMNS(X) \
	X(id, "INTEGER PRIMARY KEY") \
	X(key, "INTEGER NOT NULL UNIQUE")    /* the signature's 64 bits (store_signature_key()) */ \
	X(title, "TEXT") \
	X(display_title, "TEXT NOT NULL") \
	X(bug_type, "TEXT NOT NULL") \
	X(unknown_origin, "INTEGER NOT NULL") \
	X(top_func, "TEXT") \
	X(subsystem, "TEXT") \
	X(verdict, "TEXT NOT NULL")          /* the tool's verdict */ \
	X(writer, "TEXT") \
	X(confidence, "TEXT") \
	X(field, "TEXT") \
	X(evidence_level, "INTEGER NOT NULL DEFAULT 0") \
	X(label, "TEXT") \
	X(label_note, "TEXT") \
	X(label_time, "TEXT") \
	X(count, "INTEGER NOT NULL DEFAULT 0") \
	X(first_seen, "TEXT NOT NULL") \
	X(last_seen, "TEXT NOT NULL") \
	X(first_kernel, "TEXT") \
	X(last_kernel, "TEXT") \
	X(facts, "TEXT")                     /* the facts of the verdict (facts.h) */

#define OCCURRENCE_COLUMNS(X) \
	X(id, "INTEGER PRIMARY KEY") \
	X(signature_id, "INTEGER NOT NULL REFERENCES signature(id)") \
	X(key, "INTEGER NOT NULL")           /* the occurrence hash's first 64 bits (unique: occurrence_head) */ \
	X(head, "INTEGER NOT NULL")          /* the head hash's (a cut copy has its whole report's) */ \
	X(source, "TEXT NOT NULL") \
	X(line, "INTEGER NOT NULL") \
	X(end_line, "INTEGER NOT NULL") \
	X(byte_offset, "INTEGER NOT NULL") \
	X(log_time, "TEXT") \
	X(stored_at, "TEXT NOT NULL") \
	X(kernel, "TEXT") \
	X(comm, "TEXT") \
	X(pid, "INTEGER") \
	X(cpu, "INTEGER") \
	X(hardware, "TEXT") \
	X(value_old, "TEXT") \
	X(value_new, "TEXT") \
	X(bits_changed, "TEXT") \
	X(bits_mask, "TEXT") \
	X(truncated, "INTEGER NOT NULL") \
	X(facts, "TEXT")                     /* this occurrence's verdict facts; NULL: the signature's */ \
	X(evidence_level, "INTEGER NOT NULL DEFAULT 0") \
	X(raw, "BLOB NOT NULL")              /* its accesses and frames and the report's text, zstd */ \
	X(detail, "BLOB NOT NULL")           /* empty (before schema 7: the accesses and frames, raw the text) */

/* Schema 2's accesses and frames, a row each: read by the migration to schema 3 only. */
#define ACCESS_COLUMNS(X) \
	X(id, "INTEGER PRIMARY KEY") \
	X(occurrence_id, "INTEGER NOT NULL REFERENCES occurrence(id) ON DELETE CASCADE") \
	X(idx, "INTEGER NOT NULL") \
	X(type, "TEXT NOT NULL") \
	X(marked, "INTEGER NOT NULL") \
	X(reordered, "INTEGER NOT NULL") \
	X(scoped, "INTEGER NOT NULL") \
	X(unknown_origin, "INTEGER NOT NULL") \
	X(addr, "TEXT") \
	X(size, "INTEGER") \
	X(ctx, "TEXT NOT NULL") \
	X(pid, "INTEGER") \
	X(task, "TEXT") \
	X(cpu, "INTEGER") \
	X(elided, "INTEGER NOT NULL") \
	X(frames_dropped, "INTEGER NOT NULL")

#define FRAME_COLUMNS(X) \
	X(id, "INTEGER PRIMARY KEY") \
	X(access_id, "INTEGER NOT NULL REFERENCES access(id) ON DELETE CASCADE") \
	X(idx, "INTEGER NOT NULL") \
	X(kind, "TEXT NOT NULL") \
	X(func, "TEXT NOT NULL") \
	X(offset, "INTEGER") \
	X(size, "INTEGER") \
	X(module, "TEXT") \
	X(buildid, "TEXT") \
	X(file, "TEXT") \
	X(line, "INTEGER") \
	X(col, "INTEGER") \
	X(inlined, "INTEGER NOT NULL") \
	X(unreliable, "INTEGER NOT NULL") \
	X(symbolized, "INTEGER NOT NULL") \
	X(given, "INTEGER NOT NULL") \
	X(src, "TEXT") \
	X(note, "TEXT")

#define SIG_ENUM(n, d) SIG_##n,
#define OCC_ENUM(n, d) OCC_##n,
#define ACC_ENUM(n, d) ACC_##n,
#define FRAME_ENUM(n, d) FRAME_##n,
#define COL_DEF(n, d) { #n, d },
enum { SIGNATURE_COLUMNS(SIG_ENUM) SIG_NCOLS };
enum { OCCURRENCE_COLUMNS(OCC_ENUM) OCC_NCOLS };
enum { ACCESS_COLUMNS(ACC_ENUM) ACC_NCOLS };
enum { FRAME_COLUMNS(FRAME_ENUM) FRAME_NCOLS };

struct col_def {
	const char *name, *decl;
};
struct table_def {
	const char *name;
	const struct col_def *cols;
	int ncols;
};
static const struct col_def signature_cols[] = { SIGNATURE_COLUMNS(COL_DEF) };
static const struct col_def occurrence_cols[] = { OCCURRENCE_COLUMNS(COL_DEF) };
static const struct col_def access_cols[] = { ACCESS_COLUMNS(COL_DEF) };
static const struct col_def frame_cols[] = { FRAME_COLUMNS(COL_DEF) };
#define TABLE(name, cols) { name, cols, (int)(sizeof(cols) / sizeof(cols[0])) }
static const struct table_def t_signature = TABLE("signature", signature_cols);
static const struct table_def t_occurrence = TABLE("occurrence", occurrence_cols);
static const struct table_def t_access = TABLE("access", access_cols);
static const struct table_def t_frame = TABLE("frame", frame_cols);
static const struct table_def *const tables[] = { &t_signature, &t_occurrence };

/*
 * Schema 5: the zstd dictionaries the stored texts are compressed with
 * (store_codec.h), each under the id zstd gives it.  Never deleted: a text
 * stored with one needs it.
 */
#define DICT_SCHEMA "CREATE TABLE dictionary (id INTEGER PRIMARY KEY, dict BLOB NOT NULL);"

/*
 * An occurrence is found by its head and key together (a cut copy by its
 * head alone): one index at random keys, not two, for every report stored.
 */
#define OCC_HEAD_INDEX "CREATE UNIQUE INDEX occurrence_head ON occurrence(head, key);"
static const char index_sql[] = "CREATE INDEX occurrence_sig ON occurrence(signature_id);" OCC_HEAD_INDEX;

/*
 * Indexes for reading, made when a store is opened for writing (no schema
 * version: a store without them works, only slower).  signature_stats
 * covers what stats counts, so that it reads no signature row; ordered by
 * the id after the few verdict columns, a new signature is added at the
 * end of its group (an index in the order of a random column makes every
 * insert write a page of its own).
 */
static const char reader_index_sql[] =
	"CREATE INDEX IF NOT EXISTS signature_stats ON signature"
	"(label, verdict, bug_type, unknown_origin, writer, id, top_func, subsystem, count);";

/* SQL that escapes a TEXT column for a facts line (facts.h): backslash and newline. */
#define FACT_ESC(col) "replace(replace(" col ", '\\', '\\\\'), char(10), '\\n')"
#define FACT_LINE(key, col) \
	" || CASE WHEN " col " IS NULL THEN '' ELSE '" key "=' || " FACT_ESC(col) " || char(10) END"

/*
 * migrate_sql[v] brings a store of schema v to v + 1, in the transaction
 * that check_schema() opens.  Schema 1 kept sentences on the signature
 * (evidence, marking, rule): they become stored-text facts, so that a row
 * not classified since still says what it said; occurrences get their own
 * facts (NULL: the signature's) from the next scan that sees them.
 */
static const char *const migrate_sql[STORE_SCHEMA_VERSION] = {
	[1] = "ALTER TABLE signature ADD COLUMN facts TEXT;"
	      "UPDATE signature SET facts = 'basis=stored-text' || char(10)"
	      FACT_LINE("stored_evidence", "evidence") FACT_LINE("stored_marking", "marking")
	      FACT_LINE("stored_rule", "rule") FACT_LINE("stored_field", "field") ";"
	      "ALTER TABLE signature DROP COLUMN evidence;"
	      "ALTER TABLE signature DROP COLUMN marking;"
	      "ALTER TABLE signature DROP COLUMN rule;"
	      "ALTER TABLE occurrence ADD COLUMN facts TEXT;"
	      "ALTER TABLE occurrence ADD COLUMN evidence_level INTEGER NOT NULL DEFAULT 0;",
	[3] = STORE_META_SCHEMA,   /* occurrences' times and mail metadata: a table added */
	[4] = DICT_SCHEMA,         /* the texts stored from now on compressed with a dictionary */
	/*
	 * occurrences looked up by head and key: the index of heads holds both
	 * (a store made before keeps the key's own index as well: dropping it
	 * means copying the table)
	 */
	[5] = "DROP INDEX occurrence_head;" OCC_HEAD_INDEX,
	/*
	 * an occurrence's accesses and text stored from now on in one blob,
	 * one compression (store_blob_text()); a row stored before keeps
	 * its two: nothing to change
	 */
	[6] = "",
};

/*
 * A signature's subsystem does not depend on the order its occurrences are
 * stored in: it is the lexicographically smallest of theirs (NULL: unknown).
 */
#define SUBSYSTEM_MIN \
	"CASE WHEN :subsystem IS NOT NULL AND (subsystem IS NULL OR :subsystem < subsystem)" \
	" THEN :subsystem ELSE subsystem END"

/* An occurrence counted on its signature (S_SIG_BUMP), and a signature's verdict (S_SIG_CLASSIFY). */
#define SIG_BUMP_SET \
	"count = count + 1, last_seen = max(last_seen, :last_seen), first_seen = min(first_seen, :last_seen)," \
	" subsystem = " SUBSYSTEM_MIN ", last_kernel = COALESCE(:last_kernel, last_kernel)," \
	" first_kernel = COALESCE(first_kernel, :last_kernel)"
#define SIG_CLASSIFY_SET \
	"verdict = :verdict, writer = :writer, confidence = :confidence, field = :field," \
	" evidence_level = :evidence_level, facts = :facts"

/* The parameters bind_verdict() binds. */
enum { BV_FACTS, BV_LEVEL, BV_VERDICT, BV_WRITER, BV_CONF, BV_FIELD, BV_COUNT };
static const char *const bv_names[BV_COUNT] = { ":facts", ":evidence_level", ":verdict", ":writer", ":confidence",
						":field" };

enum stmt_id {
	S_OCC_BY_HASH, S_OCC_BY_HEAD, S_SIG_BY_ID, S_OCC_DELETE, S_SIG_BY_HASH, S_SIG_INSERT, S_SIG_BUMP,
	S_SIG_DEC, S_SIG_DELETE_EMPTY, S_SIG_CLASSIFY, S_SIG_BUMP_CLASSIFY, S_OCC_CLASSIFY, S_OCC_INSERT,
	S_ACC_BY_OCC, S_FRAME_BY_ACC, S_SIG_ADOPT_LABEL, S_FILE_BEGIN, S_FILE_END, S_META_ADD, S_META_READ, S_COUNT,
};

static const char *const stmt_sql[S_COUNT] = {
	/* a file's savepoint in its batch (store_begin(), store_commit()): prepared once, not parsed per file */
	[S_FILE_BEGIN] = "SAVEPOINT file",
	[S_FILE_END] = "RELEASE file",
	[S_OCC_DELETE] = "DELETE FROM occurrence WHERE id = :id",
	/* the lookups read the few columns they need (never the blobs): OCC_KNOWN_* */
	[S_OCC_BY_HASH] = "SELECT id, signature_id, evidence_level, truncated, facts FROM occurrence WHERE head = :head AND key = :key",
	[S_OCC_BY_HEAD] = "SELECT id, signature_id, evidence_level, truncated FROM occurrence WHERE head = :head",
	[S_SIG_BUMP] = "UPDATE signature SET " SIG_BUMP_SET " WHERE id = :id",
	/* a new occurrence of a signature classified again: both in one write of its row */
	[S_SIG_BUMP_CLASSIFY] = "UPDATE signature SET " SIG_BUMP_SET ", " SIG_CLASSIFY_SET " WHERE id = :id",
	[S_SIG_DEC] = "UPDATE signature SET count = count - 1 WHERE id = :id",
	/* an emptied signature goes (its label was handed on by S_SIG_ADOPT_LABEL) */
	[S_SIG_DELETE_EMPTY] = "DELETE FROM signature WHERE id = :id AND count <= 0",
	/* a report whose signature changed keeps its label: the newer of the two */
	[S_SIG_ADOPT_LABEL] =
		"UPDATE signature SET (label, label_note, label_time) ="
		" (SELECT label, label_note, label_time FROM signature WHERE id = :old)"
		" WHERE id = :id AND EXISTS (SELECT 1 FROM signature o WHERE o.id = :old AND o.label IS NOT NULL"
		" AND (signature.label IS NULL OR o.label_time > signature.label_time))",
	[S_SIG_CLASSIFY] = "UPDATE signature SET " SIG_CLASSIFY_SET ", subsystem = " SUBSYSTEM_MIN " WHERE id = :id",
	[S_OCC_CLASSIFY] = "UPDATE occurrence SET facts = :facts, evidence_level = :evidence_level WHERE id = :id",
};
/* the SELECT statements of whole rows: the column list, then this */
static const struct {
	const struct table_def *table;
	const char *rest;
} stmt_select[S_COUNT] = {
	[S_SIG_BY_HASH] = { &t_signature, "WHERE key = :key" },
	[S_SIG_BY_ID] = { &t_signature, "WHERE id = :id" },
	[S_ACC_BY_OCC] = { &t_access, "WHERE occurrence_id = :occurrence_id ORDER BY idx" },
	[S_FRAME_BY_ACC] = { &t_frame, "WHERE access_id = :access_id ORDER BY kind = 'reordered_to', idx" },
};
/* the INSERT statements are made from the column lists */
static const struct table_def *const stmt_insert[S_COUNT] = {
	[S_SIG_INSERT] = &t_signature,
	[S_OCC_INSERT] = &t_occurrence,
};
enum { OCC_KNOWN_id, OCC_KNOWN_signature_id, OCC_KNOWN_evidence_level, OCC_KNOWN_truncated, OCC_KNOWN_facts };

/* "CREATE TABLE name (col decl, ...);" */
static void table_schema(struct sbuf *sb, const struct table_def *t)
{
	sbuf_addf(sb, "CREATE TABLE %s (", t->name);
	for (int i = 0; i < t->ncols; i++)
		sbuf_addf(sb, "%s%s %s", i ? ", " : "", t->cols[i].name, t->cols[i].decl);
	sbuf_adds(sb, ");");
}

/* "INSERT INTO name (col, ...) VALUES (:col, ...)", every column but the id. */
static char *table_insert(const struct table_def *t)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_addf(&sb, "INSERT INTO %s (", t->name);
	for (int i = 1; i < t->ncols; i++)
		sbuf_addf(&sb, "%s%s", i > 1 ? ", " : "", t->cols[i].name);
	sbuf_adds(&sb, ") VALUES (");
	for (int i = 1; i < t->ncols; i++)
		sbuf_addf(&sb, "%s:%s", i > 1 ? ", " : "", t->cols[i].name);
	sbuf_adds(&sb, ")");
	return sbuf_detach(&sb);
}

/* "SELECT col, ... FROM name ": read the row by the column's enum. */
static char *table_select(const struct table_def *t, const char *rest)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_adds(&sb, "SELECT ");
	for (int i = 0; i < t->ncols; i++)
		sbuf_addf(&sb, "%s%s", i ? ", " : "", t->cols[i].name);
	sbuf_addf(&sb, " FROM %s %s", t->name, rest);
	return sbuf_detach(&sb);
}

/*
 * A set of 64-bit keys (open addressing; the keys are hashes already):
 * what the store may hold, so that a report it cannot hold is added without
 * a lookup.  Never missing a key the store holds (a key removed from the
 * store may stay: then the lookup in SQL answers).
 */
struct keyset {
	uint64_t *slot;            /* 0: empty */
	size_t mask, n;
	bool zero;                 /* the key 0 */
};

struct store_keys {
	bool loaded;
	int64_t data_version;      /* PRAGMA data_version when loaded: another writer's commit changes it */
	long handled;              /* reports added before loading (the lookups in SQL), known ones aside */
	struct keyset occ, head, sig;
};

struct store {
	struct ctx *ctx;
	sqlite3 *db;
	char *path;
	bool readonly;
	bool immutable;
	bool in_tx;                   /* a batch's transaction is open */
	bool in_file;                 /* and a file's savepoint in it */
	bool batching;                /* store_batch(): store_commit() may leave the batch open */
	size_t batch_files, batch_reports;
	size_t batch_max;             /* reports (batch_size()) */
	int64_t batch_start;          /* mono_ms() */
	sqlite3_stmt *stmt[S_COUNT];
	void (*block_fn)(bool blocked, void *data);   /* store_set_block_hook() */
	void *block_data;
	/* the parameters bind_verdict() binds, by statement (0: not looked up yet; the same SQL, the same) */
	int verdict_param[S_COUNT][BV_COUNT];
	/* the scan's time as the rows keep it (kt_format_time() of when_now) */
	int64_t when_now;
	char when[32];
	const char *facts;            /* the report being added: its facts (store_prepared's) */
	int facts_level;              /* and their evidence level */
	struct store_keys keys;       /* a writer's: the keys of occurrences, their heads, signatures */
	int wal_frames;               /* in the WAL after the last commit */
	/* the dictionary new texts are compressed with (store_prepare() in other threads reads it) */
	_Atomic(struct store_dict *) zdict;
	struct store_dict **dicts;    /* those loaded (zdict among them), freed at the close */
	size_t ndicts;
	bool dict_wanted;             /* a writer of a store without one: training samples are kept */
	struct sbuf samples;          /* the texts of the first reports stored, end to end */
	size_t *sample_n;
	unsigned nsamples;
};

static void store_keys_clear(struct store_keys *k);
static void dict_open(struct store *st);
static void dict_close(struct store *st);

static void db_error(struct store *st, const char *pos, const char *what)
{
	int code = sqlite3_extended_errcode(st->db);
	const char *hint = "";

	if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
		hint = " (another process holds the database; try again, or raise $KCSAN_TRIAGE_BUSY_TIMEOUT)";
	else if ((code & 0xff) == SQLITE_READONLY)
		hint = " (the database or its directory is read-only)";
	else if ((code & 0xff) == SQLITE_NOTADB)
		hint = " (not an SQLite database)";
	else if ((code & 0xff) == SQLITE_CORRUPT)
		hint = " (the database is damaged)";
	else if ((code & 0xff) == SQLITE_FULL)
		hint = " (the disk is full)";
	kt_error(st->ctx, KT_EXIT_STORE, pos ? pos : st->path, "%s: %s%s", what, sqlite3_errmsg(st->db), hint);
}

static int exec(struct store *st, const char *sql, const char *what)
{
	char *err = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		sqlite3_free(err);
		db_error(st, NULL, what);
		return -1;
	}
	return 0;
}

static int pragma_int(struct store *st, const char *sql, int *out)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int busy_timeout_ms(void)
{
	const char *e = getenv("KCSAN_TRIAGE_BUSY_TIMEOUT");

	if (e && *e) {
		char *end;
		long v = strtol(e, &end, 10);

		if (!*end && v >= 0)
			return (int)v;
	}
	return 10000;
}

/* A new store: every table from its column list, in the caller's transaction. */
static int create_schema(struct store *st)
{
	struct sbuf sql = SBUF_INIT;
	int rc;

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		table_schema(&sql, tables[i]);
	sbuf_adds(&sql, index_sql);
	sbuf_adds(&sql, STORE_META_SCHEMA);
	sbuf_adds(&sql, DICT_SCHEMA);
	rc = exec(st, sql.buf, "cannot create the database");
	sbuf_release(&sql);
	return rc;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool busy_code(int code)
{
	return (code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED;
}

void store_set_block_hook(struct store *st, void (*fn)(bool blocked, void *data), void *data)
{
	st->block_fn = fn;
	st->block_data = data;
}

static void blocked(struct store *st, bool on)
{
	if (st->block_fn)
		st->block_fn(on, st->block_data);
}

/*
 * Run sql, retrying while another process holds the database (BUSY, also
 * BUSY_SNAPSHOT and BUSY_RECOVERY, which SQLite's busy handler does not
 * wait out) until the busy timeout has passed.  The SQLite result code.
 */
static int exec_retry(struct store *st, const char *sql)
{
	int64_t deadline = mono_ms() + busy_timeout_ms();
	unsigned wait_us = 500;
	int rc;

	for (;;) {
		rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
		if (rc == SQLITE_OK || !busy_code(sqlite3_extended_errcode(st->db)) || mono_ms() >= deadline)
			return rc;
		if (!sqlite3_get_autocommit(st->db))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		blocked(st, true);
		usleep(wait_us + (unsigned)(mono_ms() % 7) * 100);
		blocked(st, false);
		if (wait_us < 20000)
			wait_us *= 2;
	}
}

/* Every prepared statement done with: none keeps a read transaction open. */
static void reset_all(struct store *st)
{
	for (int i = 0; i < S_COUNT; i++)
		if (st->stmt[i])
			sqlite3_reset(st->stmt[i]);
}

/* The write lock, waited for within the busy timeout; no snapshot is held before. */
static int begin_immediate(struct store *st)
{
	reset_all(st);
	return exec_retry(st, "BEGIN IMMEDIATE");
}

/* What the database header says; read in the caller's transaction. */
struct db_header {
	int app, version, tables;
};

static int read_header(struct store *st, struct db_header *h)
{
	memset(h, 0, sizeof(*h));
	if (pragma_int(st, "PRAGMA application_id", &h->app) < 0 ||
	    pragma_int(st, "PRAGMA user_version", &h->version) < 0 ||
	    pragma_int(st, "SELECT count(*) FROM sqlite_master", &h->tables) < 0)
		return -1;
	return 0;
}

enum { HDR_CURRENT, HDR_CREATE, HDR_MIGRATE, HDR_REFUSED = -1 };

/* What to do with a store of this header: HDR_*, refusals reported. */
static int judge_header(struct store *st, const struct db_header *h)
{
	if (h->tables > 0 && h->app != APP_ID) {
		kt_error(st->ctx, KT_EXIT_STORE, st->path,
			 "not a kcsan-triage database (it holds other tables); give another --db");
		return HDR_REFUSED;
	}
	if (h->version > STORE_SCHEMA_VERSION) {
		kt_error(st->ctx, KT_EXIT_STORE, st->path,
			 "database schema %d is newer than this kcsan-triage understands (%d)", h->version,
			 STORE_SCHEMA_VERSION);
		return HDR_REFUSED;
	}
	if (h->tables == 0 && h->version == 0)
		return HDR_CREATE;
	if (h->tables == 0 || h->version <= 0) {
		/* never "empty", never created again over what it holds */
		kt_error(st->ctx, KT_EXIT_STORE, st->path,
			 "the database header is damaged: schema %d, %d tables (a kcsan-triage store of schema %d"
			 " has its user_version set to it; restore the file or set the version by hand)",
			 h->version, h->tables, STORE_SCHEMA_VERSION);
		return HDR_REFUSED;
	}
	return h->version == STORE_SCHEMA_VERSION ? HDR_CURRENT : HDR_MIGRATE;
}

/* ---------------------------------------------------------------------- */
/* schema 2 to 3: 64-bit keys, accesses and frames in one column, text compressed */

static void fn_key(sqlite3_context *c, int argc, sqlite3_value **v)
{
	const char *t = (const char *)sqlite3_value_text(v[0]);

	(void)argc;
	if (!t || strlen(t) < 16)
		sqlite3_result_error(c, "a stored hash is not 32 hex digits", -1);
	else
		sqlite3_result_int64(c, store_hex_key(t));
}

static void result_zip(sqlite3_context *c, const char *p, size_t n)
{
	size_t zn;
	void *z = store_zip(NULL, p, n, &zn);

	sqlite3_result_blob64(c, z, zn, free);
}

static void fn_zip(sqlite3_context *c, int argc, sqlite3_value **v)
{
	const char *t = (const char *)sqlite3_value_text(v[0]);

	(void)argc;
	result_zip(c, t ? t : "", t ? (size_t)sqlite3_value_bytes(v[0]) : 0);
}

static int load_accesses(struct store *st, int64_t occ_id, struct report *r);

/* An occurrence's schema-2 access and frame rows, as schema 3's detail column. */
static void fn_detail_v2(sqlite3_context *c, int argc, sqlite3_value **v)
{
	struct store *st = sqlite3_user_data(c);
	struct report *r = report_new();
	char *d;

	(void)argc;
	if (load_accesses(st, sqlite3_value_int64(v[0]), r) < 0) {
		sqlite3_result_error(c, "cannot read the accesses of an occurrence", -1);
	} else {
		d = store_detail_encode(r);
		result_zip(c, d, strlen(d));
		free(d);
	}
	report_free(r);
}

/* "INSERT INTO t (cols) SELECT exprs FROM t_v2": a column's expression is its name unless map[] says. */
static void copy_table(struct sbuf *sb, const struct table_def *t, const char *const map[][2])
{
	sbuf_addf(sb, "INSERT INTO %s (", t->name);
	for (int i = 0; i < t->ncols; i++)
		sbuf_addf(sb, "%s%s", i ? ", " : "", t->cols[i].name);
	sbuf_adds(sb, ") SELECT ");
	for (int i = 0; i < t->ncols; i++) {
		const char *e = t->cols[i].name;

		for (int j = 0; map[j][0]; j++)
			if (!strcmp(map[j][0], e))
				e = map[j][1];
		sbuf_addf(sb, "%s%s", i ? ", " : "", e);
	}
	sbuf_addf(sb, " FROM %s_v2;", t->name);
}

static int migrate_v2(struct store *st)
{
	static const char *const sig_map[][2] = { { "key", "kt_key(hash)" }, { NULL, NULL } };
	static const char *const occ_map[][2] = {
		{ "key", "kt_key(hash)" }, { "head", "kt_key(head_hash)" }, { "raw", "kt_zip(raw)" },
		{ "detail", "kt_detail_v2(id)" }, { NULL, NULL },
	};
	const char *what = "cannot upgrade the database";
	struct sbuf sql = SBUF_INIT;
	int rc;

	sqlite3_create_function(st->db, "kt_key", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fn_key, NULL, NULL);
	sqlite3_create_function(st->db, "kt_zip", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fn_zip, NULL, NULL);
	sqlite3_create_function(st->db, "kt_detail_v2", 1, SQLITE_UTF8, st, fn_detail_v2, NULL, NULL);
	sbuf_adds(&sql, "DROP INDEX occurrence_sig; DROP INDEX occurrence_head; DROP INDEX access_occ;"
		  " DROP INDEX frame_acc; ALTER TABLE signature RENAME TO signature_v2;"
		  " ALTER TABLE occurrence RENAME TO occurrence_v2;");
	table_schema(&sql, &t_signature);
	table_schema(&sql, &t_occurrence);
	copy_table(&sql, &t_signature, sig_map);
	copy_table(&sql, &t_occurrence, occ_map);
	rc = exec(st, sql.buf, what);
	sbuf_release(&sql);
	/* the statements that read schema 2's rows go before their tables */
	for (int i = 0; i < S_COUNT; i++) {
		sqlite3_finalize(st->stmt[i]);
		st->stmt[i] = NULL;
	}
	if (rc == 0)
		rc = exec(st, "DROP TABLE frame; DROP TABLE access; DROP TABLE occurrence_v2; DROP TABLE signature_v2;",
			  what);
	if (rc == 0)
		rc = exec(st, index_sql, what);
	return rc;
}

/* Create or migrate to STORE_SCHEMA_VERSION, in the caller's write transaction. */
static int upgrade_schema(struct store *st, int version)
{
	const char *what = version ? "cannot upgrade the database" : "cannot create the database";
	char *set;
	int rc = 0;

	if (version == 0)
		rc = create_schema(st);
	for (int v = version; v && v < STORE_SCHEMA_VERSION && rc == 0; v++)
		rc = v == 2 ? migrate_v2(st) : exec(st, migrate_sql[v], what);
	set = xasprintf("PRAGMA application_id = %d; PRAGMA user_version = %d;", APP_ID, STORE_SCHEMA_VERSION);
	if (rc == 0)
		rc = exec(st, set, what);
	free(set);
	return rc;
}

/*
 * A writer: the header read and acted on under the write lock, so that
 * processes creating or upgrading one store at once see each other's work
 * (one creates, the others find it made).  0 ready, -1 error (reported).
 */
static int check_schema_writable(struct store *st)
{
	struct db_header h;
	int j;

	if (begin_immediate(st) != SQLITE_OK) {
		db_error(st, NULL, "cannot open the database");
		return -1;
	}
	if (read_header(st, &h) < 0) {
		db_error(st, NULL, "cannot read the database");
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	j = judge_header(st, &h);
	if (j == HDR_REFUSED || j == HDR_CURRENT) {
		/* nothing was written: the file is left as it was */
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return j == HDR_REFUSED ? -1 : 0;
	}
	if (upgrade_schema(st, h.version) < 0) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_error(st, NULL, j == HDR_CREATE ? "cannot create the database" : "cannot upgrade the database");
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

/* 0 ready, -1 error (reported), -2 retry as immutable, -3 an older schema that a read-only open cannot upgrade. */
static int check_schema(struct store *st)
{
	struct db_header h;
	int rc, j;

	if (!st->readonly)
		return check_schema_writable(st);
	/* one read transaction: the three reads see one state of the file */
	rc = sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = read_header(st, &h) < 0 ? SQLITE_ERROR : SQLITE_OK;
	if (rc != SQLITE_OK) {
		int code = sqlite3_extended_errcode(st->db) & 0xff;

		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		/* a WAL database on read-only storage: the caller retries */
		if ((code == SQLITE_READONLY || code == SQLITE_CANTOPEN) && !st->immutable)
			return -2;
		db_error(st, NULL, "cannot read the database");
		return -1;
	}
	sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	j = judge_header(st, &h);
	if (j == HDR_REFUSED)
		return -1;
	if (j == HDR_CURRENT)
		return 0;
	if (j == HDR_CREATE) {
		kt_error(st->ctx, KT_EXIT_STORE, st->path, "empty database: run '%s scan' first", KT_PROG);
		return -1;
	}
	if (st->immutable) {
		kt_error(st->ctx, KT_EXIT_STORE, st->path,
			 "the database has schema %d and cannot be upgraded here (it is read-only)", h.version);
		return -1;
	}
	return -3;
}

/* A read-only command on a store of an older schema: upgrade it first, then read. */
static int upgrade_for_reading(struct store *st)
{
	int rc;

	sqlite3_close(st->db);
	st->db = NULL;
	if (sqlite3_open_v2(st->path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_db_readonly(st->db, "main") == 1) {
		kt_error(st->ctx, KT_EXIT_STORE, st->path,
			 "the database has an older schema and cannot be upgraded here (it is read-only)");
		return -1;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, busy_timeout_ms());
	st->readonly = false;
	rc = check_schema(st);
	st->readonly = true;
	sqlite3_close(st->db);
	st->db = NULL;
	if (rc < 0)
		return -1;
	if (sqlite3_open_v2(st->path, &st->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		db_error(st, NULL, "cannot open the database");
		return -1;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, busy_timeout_ms());
	return check_schema(st);
}

/*
 * A WAL with committed transactions cannot be read without its -shm (which
 * read-only storage cannot hold): the immutable fallback would show the
 * database file without them.  Refused, saying so.
 */
static bool wal_has_data(struct store *st)
{
	char *wal = xasprintf("%s-wal", st->path);
	struct stat sb;
	bool has = stat(wal, &sb) == 0 && sb.st_size > 0;

	if (has)
		kt_error(st->ctx, KT_EXIT_STORE, st->path,
			 "its write-ahead log %s holds changes that cannot be read here (read-only, no -shm);"
			 " run any kcsan-triage command on it where it is writable, or copy the three files"
			 " somewhere writable", wal);
	free(wal);
	return has;
}

/* After each commit: the frames in the WAL, for store_flush(). */
static int wal_frames_hook(void *data, sqlite3 *db, const char *name, int frames)
{
	(void)db;
	(void)name;
	((struct store *)data)->wal_frames = frames;
	return SQLITE_OK;
}

/*
 * A writer's settings: WAL (parallel CI jobs read while one writes) with
 * its size bounded -- checkpointed as batches commit, cut back to 64 MiB.
 */
static int setup_writer(struct store *st)
{
	sqlite3_stmt *s;
	int ok = 0;

	if (exec_retry(st, "PRAGMA journal_mode = WAL") == SQLITE_OK &&
	    sqlite3_prepare_v2(st->db, "PRAGMA journal_mode", -1, &s, NULL) == SQLITE_OK) {
		ok = sqlite3_step(s) == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(s, 0), "wal");
		sqlite3_finalize(s);
	}
	if (!ok) {
		db_error(st, NULL, "cannot use the database (write-ahead log)");
		return -1;
	}
	/*
	 * a cache (256 MiB at most, taken as the store grows) that holds the
	 * indexes of a million reports: inserts at random keys stay in
	 * memory instead of reading their pages again; a file's savepoint
	 * journal in memory too
	 * (a temporary file costs a write of every page a file's reports touch)
	 */
	if (exec(st, "PRAGMA synchronous = NORMAL; PRAGMA journal_size_limit = 67108864;"
		 " PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY;", "cannot use the database") < 0)
		return -1;
	/*
	 * the database read through a mapping of its file (up to 2 GiB,
	 * SQLite's own limit; the rest by read()): a page not in the cache
	 * costs no pread() and no copy.  A rescan of 100k reports reads the
	 * whole store, 40k pages: 13% of its time.  Writes still go through
	 * write().  Only here: the mapped pages count in the process's RSS,
	 * and list's is to stay flat.  A read the disk fails is a SIGBUS then
	 * (main.c says it), not SQLITE_IOERR.
	 */
	if (exec(st, "PRAGMA mmap_size = 2147418112", "cannot use the database") < 0)
		return -1;
	/* store_flush() checkpoints (instead of SQLite's automatic checkpoint) */
	sqlite3_wal_hook(st->db, wal_frames_hook, st);
	/* the indexes the readers want (a store without them is read, only slower) */
	if (exec_retry(st, reader_index_sql) != SQLITE_OK || exec_retry(st, STORE_FILES_SQL) != SQLITE_OK) {
		db_error(st, NULL, "cannot use the database (its indexes)");
		return -1;
	}
	return 0;
}

/* Open path as a read-only, immutable URI (no locks, no -shm needed). */
static int open_immutable(struct store *st)
{
	struct sbuf uri = SBUF_INIT;
	int rc;

	sbuf_adds(&uri, "file:");
	for (const char *c = st->path; *c; c++) {
		if (*c == '%' || *c == '?' || *c == '#')
			sbuf_addf(&uri, "%%%02X", (unsigned char)*c);
		else
			sbuf_addc(&uri, *c);
	}
	sbuf_adds(&uri, "?immutable=1");
	rc = sqlite3_open_v2(uri.buf, &st->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
	sbuf_release(&uri);
	if (rc != SQLITE_OK) {
		db_error(st, NULL, "cannot open the database");
		return -1;
	}
	sqlite3_extended_result_codes(st->db, 1);
	return 0;
}

/*
 * SQLite set up before its first use: no memory statistics (they take a
 * lock around every allocation, and nothing reads them).
 */
static void store_sqlite_config(void)
{
	/* SQLITE_MISUSE when SQLite was used already: then it keeps counting */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static void store_sqlite_setup(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, store_sqlite_config);
}

struct store *store_open(struct ctx *ctx, const char *path, bool readonly)
{
	struct store *st = xcalloc(1, sizeof(*st));
	int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	struct stat sb;

	store_sqlite_setup();
	st->ctx = ctx;
	st->path = xstrdup(path);
	st->batch_max = BATCH_REPORTS_FIRST;
	st->readonly = readonly;
	if (readonly && stat(path, &sb) < 0) {
		kt_error(ctx, KT_EXIT_STORE, path, "no database here (%s); run '%s scan' first, or give --db",
			 strerror(errno), KT_PROG);
		goto fail;
	}
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		kt_error(ctx, KT_EXIT_STORE, path, "is a directory, not a database");
		goto fail;
	}
	if (sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		if (st->db)
			db_error(st, NULL, "cannot open the database");
		else
			kt_error(ctx, KT_EXIT_STORE, path, "cannot open the database");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, busy_timeout_ms());
	if (!readonly && sqlite3_db_readonly(st->db, "main") == 1) {
		kt_error(ctx, KT_EXIT_STORE, path, "the database is read-only; nothing can be stored");
		goto fail;
	}
	switch (check_schema(st)) {
	case 0:
		break;
	case -3:
		if (upgrade_for_reading(st) < 0)
			goto fail;
		break;
	case -2:
		/* a WAL database on read-only storage: read it as immutable, unless its WAL holds data */
		sqlite3_close(st->db);
		st->db = NULL;
		st->immutable = true;
		if (wal_has_data(st) || open_immutable(st) < 0 || check_schema(st) < 0)
			goto fail;
		break;
	default:
		goto fail;
	}
	if (!readonly && setup_writer(st) < 0)
		goto fail;
	if (!readonly)
		dict_open(st);
	if (exec(st, "PRAGMA foreign_keys = ON", "cannot use the database") < 0)
		goto fail;
	return st;
fail:
	if (st->db)
		sqlite3_close(st->db);
	free(st->path);
	free(st);
	return NULL;
}

int store_close(struct ctx *ctx, struct store *st)
{
	int rc = 0;

	(void)ctx;
	if (!st)
		return 0;
	if (st->in_file)
		store_rollback(st);
	if (st->in_tx && store_flush(st, NULL) < 0)
		rc = -1;
	for (int i = 0; i < S_COUNT; i++)
		store_stmt_finalize(st->stmt[i]);
	store_keys_clear(&st->keys);
	dict_close(st);
	if (sqlite3_close(st->db) != SQLITE_OK) {
		db_error(st, NULL, "cannot close the database");
		rc = -1;
	}
	free(st->path);
	free(st);
	return rc;
}

const char *store_path(const struct store *st)
{
	return st->path;
}

sqlite3 *store_connection(struct store *st)
{
	return st->db;
}

static sqlite3_stmt *stmt(struct store *st, enum stmt_id id)
{
	if (!st->stmt[id]) {
		char *made = stmt_insert[id] ? table_insert(stmt_insert[id]) :
			     stmt_select[id].table ? table_select(stmt_select[id].table, stmt_select[id].rest) :
			     id == S_META_ADD ? store_meta_add_sql() : id == S_META_READ ? store_meta_read_sql() : NULL;
		int rc = sqlite3_prepare_v3(st->db, made ? made : stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					    &st->stmt[id], NULL);

		free(made);
		if (rc != SQLITE_OK) {
			db_error(st, NULL, "cannot prepare a statement");
			return NULL;
		}
		/* the column enums are the parameters (bind_*() in the insert_*() functions) */
		for (int i = 1; stmt_insert[id] && i < stmt_insert[id]->ncols; i++) {
			const char *pn = sqlite3_bind_parameter_name(st->stmt[id], i);

			if (!pn || strcmp(pn + 1, stmt_insert[id]->cols[i].name))
				kt_die("internal error: parameter %d of %s is %s", i, stmt_insert[id]->name, pn ? pn : "-");
		}
	}
	sqlite3_reset(st->stmt[id]);
	sqlite3_clear_bindings(st->stmt[id]);
	return st->stmt[id];
}

/*
 * An I/O error (a full disk) may have made SQLite roll the whole batch back
 * by itself: then a savepoint would start a transaction of its own, and
 * RELEASE commit it.  True (and the batch closed) when that happened.
 */
static bool batch_lost(struct store *st)
{
	if (!st->in_tx || !sqlite3_get_autocommit(st->db))
		return false;
	st->in_tx = st->in_file = false;
	return true;
}

/* ---------------------------------------------------------------------- */
/*
 * The compression dictionary: a writer of a store without one keeps the
 * texts of the first DICT_REPORTS reports it stores, then (between two
 * batches) trains one on them and stores it in a transaction of its own --
 * before any text compressed with it -- or takes the one another writer
 * stored meanwhile.  The texts stored before stay as they are.  Without a
 * dictionary (training failed, the store busy) texts are compressed alone.
 */
#define DICT_REPORTS 500

static void dict_keep(struct store *st, struct store_dict *d)
{
	st->dicts = xrealloc(st->dicts, (st->ndicts + 1) * sizeof(*st->dicts));
	st->dicts[st->ndicts++] = d;
}

/*
 * The stored dictionary of this id (0: the one of the smallest id, which
 * every writer takes), loaded; NULL when there is none.
 */
static struct store_dict *dict_load(struct store *st, unsigned id)
{
	sqlite3_stmt *s;
	struct store_dict *d = NULL;
	const char *sql = id ? "SELECT dict FROM dictionary WHERE id = ?" : "SELECT dict FROM dictionary ORDER BY id LIMIT 1";

	for (size_t i = 0; id && i < st->ndicts; i++)
		if (store_dict_id(st->dicts[i]) == id)
			return st->dicts[i];
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return NULL;
	if (id)
		sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW)
		d = store_dict_load(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0));
	sqlite3_finalize(s);
	if (d)
		dict_keep(st, d);
	return d;
}

static void dict_samples_clear(struct store *st)
{
	sbuf_release(&st->samples);
	FREE_AND_NULL(st->sample_n);
	st->nsamples = 0;
}

/* A writer starts: the store's dictionary, or samples kept for one. */
static void dict_open(struct store *st)
{
	struct store_dict *d = dict_load(st, 0);

	if (d)
		atomic_store(&st->zdict, d);
	else
		st->dict_wanted = true;
}

/* A report stored: its text and its accesses as samples, while a dictionary is wanted. */
static void dict_sample(struct store *st, const struct report *r)
{
	char *detail;

	if (!st->dict_wanted || st->nsamples >= 2 * DICT_REPORTS)
		return;
	detail = store_detail_encode(r);
	st->sample_n = xrealloc(st->sample_n, (st->nsamples + 2) * sizeof(*st->sample_n));
	sbuf_add(&st->samples, sbuf_str(&r->raw), r->raw.len);
	st->sample_n[st->nsamples++] = r->raw.len;
	sbuf_adds(&st->samples, detail);
	st->sample_n[st->nsamples++] = strlen(detail);
	free(detail);
}

/* Train and store ours, or take the one another writer stored: NULL when neither (nothing is said). */
static struct store_dict *dict_establish(struct store *st)
{
	struct store_dict *d = dict_load(st, 0);
	sqlite3_stmt *s;
	const void *bytes;
	size_t n;
	bool stored = false;

	if (d)
		return d;
	d = store_dict_train(st->samples.buf, st->sample_n, st->nsamples);
	if (!d)
		return NULL;
	bytes = store_dict_bytes(d, &n);
	if (sqlite3_prepare_v2(st->db, "INSERT OR IGNORE INTO dictionary (id, dict) VALUES (?, ?)", -1, &s, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_int64(s, 1, store_dict_id(d));
		sqlite3_bind_blob64(s, 2, bytes, n, SQLITE_STATIC);
		stored = sqlite3_step(s) == SQLITE_DONE && sqlite3_changes(st->db) == 1;
		sqlite3_finalize(s);
	}
	if (!stored) {
		store_dict_free(d);
		return NULL;
	}
	dict_keep(st, d);
	return d;
}

/* Between two batches: the dictionary made once enough samples were kept. */
static void dict_make(struct store *st)
{
	struct store_dict *d;

	if (!st->dict_wanted || st->nsamples < 2 * DICT_REPORTS)
		return;
	st->dict_wanted = false;
	if (begin_immediate(st) != SQLITE_OK) {
		dict_samples_clear(st);
		return;
	}
	d = dict_establish(st);
	dict_samples_clear(st);
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return;   /* not stored: not used (it stays loaded, unused, until the close) */
	}
	if (d)
		atomic_store(&st->zdict, d);
}

/* A stored text, decompressed with the dictionary it names: NULL when it cannot be. */
static char *store_blob_unzip(struct store *st, const void *p, size_t n, size_t *out_n)
{
	unsigned id = store_zip_dict_id(p, n);
	struct store_dict *d = id ? dict_load(st, id) : NULL;

	if (id && !d)
		return NULL;
	return store_unzip(d, p, n, out_n);
}

static void dict_close(struct store *st)
{
	for (size_t i = 0; i < st->ndicts; i++)
		store_dict_free(st->dicts[i]);
	free(st->dicts);
	dict_samples_clear(st);
}

/* ---------------------------------------------------------------------- */
/* the keys a writer knows the store may hold */

static size_t keyset_pos(const struct keyset *ks, uint64_t k)
{
	uint64_t h = k * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h ^ h >> 32) & ks->mask;
}

static bool keyset_has(const struct keyset *ks, uint64_t k)
{
	if (!k)
		return ks->zero;
	if (!ks->slot)
		return false;
	for (size_t i = keyset_pos(ks, k);; i = (i + 1) & ks->mask) {
		if (ks->slot[i] == k)
			return true;
		if (!ks->slot[i])
			return false;
	}
}

static void keyset_put(struct keyset *ks, uint64_t k)
{
	size_t i = keyset_pos(ks, k);

	while (ks->slot[i] && ks->slot[i] != k)
		i = (i + 1) & ks->mask;
	if (!ks->slot[i]) {
		ks->slot[i] = k;
		ks->n++;
	}
}

static void keyset_add(struct keyset *ks, uint64_t k)
{
	if (!k) {
		ks->zero = true;
		return;
	}
	/* at most half full */
	if (!ks->slot || (ks->n + 1) * 2 > ks->mask + 1) {
		struct keyset bigger = { .mask = ks->slot ? ks->mask * 2 + 1 : 1023, .zero = ks->zero };

		bigger.slot = xcalloc(bigger.mask + 1, sizeof(*bigger.slot));
		for (size_t i = 0; ks->slot && i <= ks->mask; i++)
			if (ks->slot[i])
				keyset_put(&bigger, ks->slot[i]);
		free(ks->slot);
		*ks = bigger;
	}
	keyset_put(ks, k);
}

static void keyset_clear(struct keyset *ks)
{
	free(ks->slot);
	memset(ks, 0, sizeof(*ks));
}

static void store_keys_clear(struct store_keys *k)
{
	keyset_clear(&k->occ);
	keyset_clear(&k->head);
	keyset_clear(&k->sig);
	k->loaded = false;
}

/* The keys of sql's first column into ks, of its second (when ks2) into ks2. */
static int keys_query(struct store *st, const char *sql, struct keyset *ks, struct keyset *ks2)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		keyset_add(ks, (uint64_t)sqlite3_column_int64(s, 0));
		if (ks2)
			keyset_add(ks2, (uint64_t)sqlite3_column_int64(s, 1));
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The one integer sql gives, or -1. */
static int64_t query_int(struct store *st, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/*
 * In a write transaction: the key sets, loaded once a scan has added so
 * many reports that reading every key costs less than looking them up one
 * by one (about a hundred keys read for one lookup), and again (when that
 * pays again) after another writer has committed.  Without them (or when
 * loading fails) every lookup is made in SQL.
 */
static void store_keys_sync(struct store *st)
{
	struct store_keys *k = &st->keys;
	int64_t dv = query_int(st, "PRAGMA data_version"), rows;

	if (k->loaded && dv == k->data_version)
		return;
	if (k->loaded)
		k->handled = 0;   /* another writer's: loaded again only when that pays again */
	store_keys_clear(k);
	rows = query_int(st, "SELECT COALESCE(max(id), 0) FROM occurrence") +
	       query_int(st, "SELECT COALESCE(max(id), 0) FROM signature");
	if (dv < 0 || rows < 0 || k->handled * 100 < rows)
		return;
	/* each from an index alone: heads and keys in one pass (covering), the signature key */
	if (keys_query(st, "SELECT key, head FROM occurrence INDEXED BY occurrence_head", &k->occ, &k->head) < 0 ||
	    keys_query(st, "SELECT key FROM signature", &k->sig, NULL) < 0) {
		store_keys_clear(k);
		return;
	}
	k->loaded = true;
	k->data_version = dv;
}

/* May the store hold this key (false: it certainly does not)? */
static bool keys_may_hold(const struct store *st, const struct keyset *ks, int64_t key)
{
	return !st->keys.loaded || keyset_has(ks, (uint64_t)key);
}

static void keys_note(struct store *st, struct keyset *ks, int64_t key)
{
	if (st->keys.loaded)
		keyset_add(ks, (uint64_t)key);
}

/* A statement of stmt_sql[] that returns no row, run: SQLITE_OK or its error (nothing said). */
static int run_once(struct store *st, enum stmt_id id)
{
	int rc;

	if (!st->stmt[id]) {
		rc = sqlite3_prepare_v3(st->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[id], NULL);
		if (rc != SQLITE_OK)
			return rc;
	}
	rc = sqlite3_step(st->stmt[id]);
	sqlite3_reset(st->stmt[id]);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int store_begin(struct store *st, const char *pos)
{
	if (batch_lost(st))
		st->batch_files = 0;
	if (!st->in_tx) {
		if (begin_immediate(st) != SQLITE_OK) {
			db_error(st, pos, "cannot start writing");
			return -1;
		}
		st->in_tx = true;
		st->batch_files = st->batch_reports = 0;
		st->batch_start = mono_ms();
		store_keys_sync(st);
	}
	if (run_once(st, S_FILE_BEGIN) != SQLITE_OK) {
		db_error(st, pos, "cannot start writing");
		return -1;
	}
	st->in_file = true;
	return 0;
}

void store_batch(struct store *st, bool on)
{
	st->batching = on;
}

/*
 * The WAL copied back into the database once it holds a quarter of the
 * database's pages (at most WAL_MAX_FRAMES, at least WAL_MIN_FRAMES): the
 * next batch writes it from its start.  Not after every batch: a page
 * written by many batches (an index's, at a random key) is copied once.
 */
#define WAL_MIN_FRAMES 256
/*
 * 56 MiB of 4 KiB pages, a batch and 8 MiB: a large store is checkpointed
 * after nearly every batch.  Each checkpoint syncs the WAL and the
 * database, writing out every page it copies; at a million reports the
 * indexes at random keys are rewritten by nearly every one, so that the
 * larger a batch, the fewer pages a report writes: batches of 48 MiB
 * checkpointed one by one ingest 1M reports in 40.5 s, batches of 24 MiB
 * checkpointed every 36 MiB in 45 s (and of 32 MiB every 28 MiB, 43 s).
 */
#define WAL_PEAK_FRAMES 14336
#define WAL_MAX_FRAMES (WAL_PEAK_FRAMES - BATCH_FRAMES)
static void store_checkpoint(struct store *st)
{
	int64_t pages = st->wal_frames >= WAL_MIN_FRAMES ? query_int(st, "PRAGMA page_count") : 0;
	int64_t limit = pages / 4 < WAL_MIN_FRAMES ? WAL_MIN_FRAMES : pages / 4 > WAL_MAX_FRAMES ? WAL_MAX_FRAMES : pages / 4;

	if (st->wal_frames < limit)
		return;
	blocked(st, true);
	sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	blocked(st, false);
	st->wal_frames = 0;
}

/*
 * The reports of the next batch, from the WAL pages this one wrote: at most
 * a quarter of the store's pages (or WAL_MIN_FRAMES) and BATCH_FRAMES.
 */
static void batch_size(struct store *st, int frames)
{
	int64_t budget = query_int(st, "PRAGMA page_count") / 4;

	if (st->batch_reports < 100 || frames <= 0)
		return;
	budget = budget < WAL_MIN_FRAMES ? WAL_MIN_FRAMES : budget > BATCH_FRAMES ? BATCH_FRAMES : budget;
	st->batch_max = (size_t)((double)budget * (double)st->batch_reports / frames);
	if (st->batch_max < BATCH_REPORTS_MIN)
		st->batch_max = BATCH_REPORTS_FIRST;
	if (st->batch_max > BATCH_REPORTS_MAX)
		st->batch_max = BATCH_REPORTS_MAX;
}

int store_flush(struct store *st, const char *pos)
{
	int frames;

	if (batch_lost(st)) {
		kt_error(st->ctx, KT_EXIT_STORE, pos ? pos : st->path, "the batch was rolled back");
		return -1;
	}
	if (!st->in_tx)
		return 0;
	reset_all(st);
	st->in_tx = false;
	frames = st->wal_frames;
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_error(st, pos, "cannot commit");
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	batch_size(st, st->wal_frames - frames);
	store_checkpoint(st);
	dict_make(st);
	return 1;
}

int store_commit(struct store *st, const char *pos)
{
	if (!st->in_file)
		return -1;
	st->in_file = false;
	reset_all(st);
	if (batch_lost(st) || run_once(st, S_FILE_END) != SQLITE_OK) {
		db_error(st, pos, "cannot commit");
		if (st->in_tx)
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		st->in_tx = false;
		return -1;
	}
	st->batch_files++;
	if (!st->batching || st->batch_files >= BATCH_FILES || st->batch_reports >= st->batch_max ||
	    mono_ms() - st->batch_start >= BATCH_MS || (st->dict_wanted && st->nsamples >= 2 * DICT_REPORTS))
		return store_flush(st, pos);
	return 0;
}

int store_rollback(struct store *st)
{
	reset_all(st);
	if (batch_lost(st))
		return st->batch_files ? -1 : 0;
	if (st->in_file)
		sqlite3_exec(st->db, "ROLLBACK TO file; RELEASE file", NULL, NULL, NULL);
	st->in_file = false;
	if (batch_lost(st))
		return st->batch_files ? -1 : 0;
	if (st->in_tx && !st->batch_files) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		st->in_tx = false;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* binding (by parameter name: ":column") and reading (by column enum) */

/* The index of a named parameter (":column"): statements that are not made from a column list. */
static int param(sqlite3_stmt *s, const char *name)
{
	int i = sqlite3_bind_parameter_index(s, name);

	if (!i)
		kt_die("internal error: no parameter %s in: %s", name, sqlite3_sql(s));
	return i;
}

/*
 * In an INSERT made by table_insert(), the parameter of a column is its
 * enum (the id, column 0, is not inserted): bind by that in the hot path.
 */
static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

/* Text that stays as it is until the statement has run (a report's, the facts): not copied. */
static void bind_text_static(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

static void bind_int(sqlite3_stmt *s, int i, long long v)
{
	sqlite3_bind_int64(s, i, v);
}

/* An occurrence's blob (store_blob_text()), compressed with d (NULL: alone). */
static void *zip_report(const struct store_dict *d, const struct report *r, size_t *n)
{
	struct sbuf b = SBUF_INIT;
	void *z;

	store_blob_text(r, &b);
	z = store_zip(d, b.buf, b.len, n);
	sbuf_release(&b);
	return z;
}

static void bind_int_or_null(sqlite3_stmt *s, int i, bool has, long long v)
{
	if (has)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

static char *col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? xstrdup((const char *)t) : NULL;
}

static const char *col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static bool col_null(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL;
}

static int step_done(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_error(st, NULL, what);
		return -1;
	}
	return 0;
}

/* A name the store holds that this version does not know: a damaged or foreign row. */
static int bad_name(struct store *st, const char *table, int64_t id, const char *what, const char *v)
{
	kt_error(st->ctx, KT_EXIT_STORE, st->path, "%s %lld: unknown %s '%s' (the database is damaged)", table,
		 (long long)id, what, v ? v : "(null)");
	return -1;
}

/* ---------------------------------------------------------------------- */
/* adding reports */


/* The verdict columns of a signature or an occurrence (the statement names those it has). */
/* Parameter i of bind_verdict()'s in statement id (looked up once: a lookup by name compares every name). */
static int verdict_param(struct store *st, sqlite3_stmt *s, enum stmt_id id, int i)
{
	if (!st->verdict_param[id][i])
		st->verdict_param[id][i] = param(s, bv_names[i]);
	return st->verdict_param[id][i];
}

static void bind_verdict(struct store *st, sqlite3_stmt *s, enum stmt_id id, const struct classification *c,
			 bool signature)
{
	bind_text_static(s, verdict_param(st, s, id, BV_FACTS), st->facts);
	bind_int(s, verdict_param(st, s, id, BV_LEVEL), c->level);
	if (signature) {
		char *field = classification_field(c);

		bind_text(s, verdict_param(st, s, id, BV_VERDICT), verdict_name(c->verdict));
		bind_text(s, verdict_param(st, s, id, BV_WRITER), writer_name(c->writer));
		bind_text(s, verdict_param(st, s, id, BV_CONF), confidence_name(c->confidence));
		bind_text(s, verdict_param(st, s, id, BV_FIELD), field);
		free(field);
	}
}

/* The id of the dictionary new texts are compressed with; 0: none. */
static unsigned dict_id(const struct store *st)
{
	const struct store_dict *d = atomic_load(&st->zdict);

	return d ? store_dict_id(d) : 0;
}

static int insert_occurrence(struct store *st, int64_t sig_id, const struct report *r,
			     const struct store_prepared *rk, const char *when)
{
	sqlite3_stmt *s = stmt(st, S_OCC_INSERT);

	if (!s)
		return -1;
	bind_int(s, OCC_signature_id, sig_id);
	bind_int(s, OCC_key, rk->occ_key);
	bind_int(s, OCC_head, rk->head_key);
	bind_text_static(s, OCC_source, r->source ? r->source : "-");
	bind_int(s, OCC_line, (long long)r->line);
	bind_int(s, OCC_end_line, (long long)r->end_line);
	bind_int(s, OCC_byte_offset, (long long)r->offset);
	bind_text_static(s, OCC_log_time, r->log_time);
	bind_text_static(s, OCC_stored_at, when);
	bind_text_static(s, OCC_kernel, r->kernel);
	bind_text_static(s, OCC_comm, r->comm);
	bind_int_or_null(s, OCC_pid, r->rep_pid >= 0, r->rep_pid);
	bind_int_or_null(s, OCC_cpu, r->rep_cpu >= 0, r->rep_cpu);
	bind_text_static(s, OCC_hardware, r->hardware);
	bind_text_static(s, OCC_value_old, r->value_old);
	bind_text_static(s, OCC_value_new, r->value_new);
	bind_text_static(s, OCC_bits_changed, r->bits_changed);
	bind_text_static(s, OCC_bits_mask, r->bits_mask);
	bind_int(s, OCC_truncated, r->truncated);
	if (rk->blob && store_zip_dict_id(rk->blob, rk->blob_n) == dict_id(st)) {
		/*
		 * compressed already (store_prepare()), with the dictionary the
		 * writer has: a text prepared before it was made is compressed
		 * again, so that what is stored does not depend on the threads
		 */
		sqlite3_bind_blob64(s, OCC_raw, rk->blob, rk->blob_n, SQLITE_STATIC);
	} else {
		size_t zn;
		void *z = zip_report(atomic_load(&st->zdict), r, &zn);

		sqlite3_bind_blob64(s, OCC_raw, z, zn, free);
	}
	sqlite3_bind_zeroblob(s, OCC_detail, 0);
	bind_verdict(st, s, S_OCC_INSERT, &r->cls, false);
	return step_done(st, s, "cannot store an occurrence");
}

#define MAX_DROPPED 64

/*
 * Remove truncated copies of this report's head: a fuller copy replaces
 * them.  Their signatures (counted down) go to sigs[], for adopt_dropped().
 */
static int drop_truncated_heads(struct store *st, int64_t head, int64_t sigs[MAX_DROPPED], int *nsigs)
{
	sqlite3_stmt *s = stmt(st, S_OCC_BY_HEAD);
	int64_t ids[MAX_DROPPED];
	int n = 0, rc;

	*nsigs = 0;
	if (!s)
		return -1;
	bind_int(s, param(s, ":head"), head);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < MAX_DROPPED) {
		if (sqlite3_column_int(s, OCC_KNOWN_truncated)) {
			ids[n] = sqlite3_column_int64(s, OCC_KNOWN_id);
			sigs[n] = sqlite3_column_int64(s, OCC_KNOWN_signature_id);
			n++;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_error(st, NULL, "cannot read occurrences");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		s = stmt(st, S_OCC_DELETE);
		bind_int(s, param(s, ":id"), ids[i]);
		if (step_done(st, s, "cannot replace an occurrence") < 0)
			return -1;
		s = stmt(st, S_SIG_DEC);
		bind_int(s, param(s, ":id"), sigs[i]);
		if (step_done(st, s, "cannot replace an occurrence") < 0)
			return -1;
	}
	*nsigs = n;
	return 0;
}

/*
 * The signatures that lost a truncated copy to the completed report (now
 * stored under sig_id): each hands its label on (the newer of the two
 * wins) and goes when it is left empty.
 */
static int adopt_dropped(struct store *st, int64_t sig_id, const int64_t *sigs, int n)
{
	for (int i = 0; i < n; i++) {
		sqlite3_stmt *s;

		if (sigs[i] == sig_id)
			continue;
		s = stmt(st, S_SIG_ADOPT_LABEL);
		if (!s)
			return -1;
		bind_int(s, param(s, ":id"), sig_id);
		bind_int(s, param(s, ":old"), sigs[i]);
		if (step_done(st, s, "cannot keep a label") < 0)
			return -1;
		s = stmt(st, S_SIG_DELETE_EMPTY);
		if (!s)
			return -1;
		bind_int(s, param(s, ":id"), sigs[i]);
		if (step_done(st, s, "cannot replace an occurrence") < 0)
			return -1;
	}
	return 0;
}

static bool head_exists(struct store *st, int64_t head)
{
	sqlite3_stmt *s = stmt(st, S_OCC_BY_HEAD);
	bool found;

	if (!s)
		return false;
	bind_int(s, param(s, ":head"), head);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	return found;
}

static int classify_signature(struct store *st, int64_t id, const struct report *r, const char *subsystem)
{
	sqlite3_stmt *s = stmt(st, S_SIG_CLASSIFY);

	if (!s)
		return -1;
	bind_int(s, param(s, ":id"), id);
	bind_verdict(st, s, S_SIG_CLASSIFY, &r->cls, true);
	bind_text(s, param(s, ":subsystem"), subsystem);
	return step_done(st, s, "cannot store a verdict");
}

static int classify_occurrence(struct store *st, int64_t id, const struct report *r)
{
	sqlite3_stmt *s = stmt(st, S_OCC_CLASSIFY);

	if (!s)
		return -1;
	bind_int(s, param(s, ":id"), id);
	bind_verdict(st, s, S_OCC_CLASSIFY, &r->cls, false);
	return step_done(st, s, "cannot store a verdict");
}

/* A new signature; counted (1) when its first occurrence is stored with it. */
static int insert_signature(struct store *st, const struct report *r, int64_t key, const char *subsystem,
			    const char *when, bool counted, int64_t *id)
{
	char *dt = report_display_title(r);
	const struct frame *tf = report_top_frame(r, 0);
	sqlite3_stmt *s = stmt(st, S_SIG_INSERT);
	char base[256];
	int rc;

	if (!s) {
		free(dt);
		return -1;
	}
	if (tf)
		func_base_name(tf->func, base, sizeof(base));
	bind_int(s, SIG_key, key);
	bind_text_static(s, SIG_title, r->title);
	bind_text_static(s, SIG_display_title, dt);
	bind_text(s, SIG_bug_type, bug_type_name(r->bug_type));
	bind_int(s, SIG_unknown_origin, r->unknown_origin);
	bind_text_static(s, SIG_top_func, tf ? base : NULL);
	bind_text_static(s, SIG_subsystem, subsystem);
	bind_verdict(st, s, S_SIG_INSERT, &r->cls, true);
	bind_text(s, SIG_label, NULL);
	bind_text(s, SIG_label_note, NULL);
	bind_text(s, SIG_label_time, NULL);
	bind_int(s, SIG_count, counted);
	bind_text_static(s, SIG_first_seen, when);
	bind_text_static(s, SIG_last_seen, when);
	bind_text_static(s, SIG_first_kernel, r->kernel);
	bind_text_static(s, SIG_last_kernel, r->kernel);
	rc = step_done(st, s, "cannot store a signature");
	free(dt);   /* bound, not copied */
	*id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

/* The label columns of a signature row. */
static int read_label(struct store *st, sqlite3_stmt *s, int64_t id, struct verdict_label *l)
{
	const char *v = col_text(s, SIG_label);
	int e = v ? verdict_from_name(v) : V_NONE;

	if (e < 0)
		return bad_name(st, "report", id, "label", v);
	l->verdict = (enum verdict)e;
	l->note = v ? col_dup(s, SIG_label_note) : NULL;
	l->time = v ? col_dup(s, SIG_label_time) : NULL;
	return 0;
}

/* What the store knows of a report: its occurrence, and its signature with the label. */
struct known {
	enum store_result res;
	int64_t occ_id, occ_level, dup_sig;
	bool occ_same;                  /* the occurrence holds this run's facts already */
	int64_t sig_id;
	int sig_level;
	bool found, sig_same;           /* the signature holds this run's verdict already */
	bool sig_facts_same;            /* and its facts */
	struct verdict_label label;
	int64_t dropped[MAX_DROPPED];   /* signatures of the truncated copies this one replaced */
	int ndropped;
};

static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/*
 * Would S_SIG_CLASSIFY leave the verdict of the signature row s as it is
 * (its facts aside: those of another occurrence may differ in addresses)?
 */
static bool sig_verdict_same(struct store *st, sqlite3_stmt *s, const struct report *r, const char *subsystem)
{
	const struct classification *c = &r->cls;
	const char *sub = col_text(s, SIG_subsystem);
	char *field;
	bool same;

	(void)st;
	if (sqlite3_column_int(s, SIG_evidence_level) != c->level ||
	    !same_text(col_text(s, SIG_verdict), verdict_name(c->verdict)) ||
	    !same_text(col_text(s, SIG_writer), writer_name(c->writer)) ||
	    !same_text(col_text(s, SIG_confidence), confidence_name(c->confidence)))
		return false;
	/* SUBSYSTEM_MIN */
	if (subsystem && (!sub || strcmp(subsystem, sub) < 0))
		return false;
	field = classification_field(c);
	same = same_text(col_text(s, SIG_field), field);
	free(field);
	return same;
}

/* The occurrence stored under this report's key, when there is one. */
static int find_occurrence(struct store *st, const struct store_prepared *rk, struct known *k)
{
	sqlite3_stmt *s;

	if (!keys_may_hold(st, &st->keys.occ, rk->occ_key))
		return 0;
	s = stmt(st, S_OCC_BY_HASH);
	if (!s)
		return -1;
	bind_int(s, param(s, ":key"), rk->occ_key);
	bind_int(s, param(s, ":head"), rk->head_key);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		k->res = STORE_DUPLICATE;
		k->occ_id = sqlite3_column_int64(s, OCC_KNOWN_id);
		k->dup_sig = sqlite3_column_int64(s, OCC_KNOWN_signature_id);
		k->occ_level = sqlite3_column_int64(s, OCC_KNOWN_evidence_level);
		k->occ_same = k->occ_level == st->facts_level && same_text(col_text(s, OCC_KNOWN_facts), st->facts);
		break;
	case SQLITE_DONE:
		break;
	default:
		sqlite3_reset(s);
		db_error(st, NULL, "cannot read occurrences");
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

/* The signature (a known occurrence keeps the one it was stored under): found, or not. */
static int find_signature(struct store *st, const struct report *r, const char *subsystem,
			  const struct store_prepared *rk, struct known *k)
{
	sqlite3_stmt *s;
	int rc;

	if (!k->dup_sig && !keys_may_hold(st, &st->keys.sig, rk->sig_key))
		return 0;
	s = stmt(st, k->dup_sig ? S_SIG_BY_ID : S_SIG_BY_HASH);
	if (!s)
		return -1;
	if (k->dup_sig)
		bind_int(s, param(s, ":id"), k->dup_sig);
	else
		bind_int(s, param(s, ":key"), rk->sig_key);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		k->sig_id = sqlite3_column_int64(s, SIG_id);
		k->sig_level = sqlite3_column_int(s, SIG_evidence_level);
		k->found = true;
		k->sig_same = sig_verdict_same(st, s, r, subsystem);
		k->sig_facts_same = same_text(col_text(s, SIG_facts), st->facts);
		rc = read_label(st, s, k->sig_id, &k->label);
		break;
	case SQLITE_DONE:
		rc = 0;
		break;
	default:
		db_error(st, NULL, "cannot read signatures");
		rc = -1;
	}
	sqlite3_reset(s);
	return rc;
}

static int find_known(struct store *st, const struct report *r, const char *subsystem, const struct store_prepared *rk,
		      struct known *k)
{
	if (find_occurrence(st, rk, k) < 0)
		return -1;
	if (k->res == STORE_DUPLICATE) {
		/* counted already */
	} else if (!keys_may_hold(st, &st->keys.head, rk->head_key)) {
		/* no copy of this report's head: neither cut copies to replace nor a whole one */
	} else if (r->truncated && head_exists(st, rk->head_key)) {
		k->res = STORE_DUPLICATE;   /* a cut copy of a report we have */
	} else {
		if (!r->truncated && drop_truncated_heads(st, rk->head_key, k->dropped, &k->ndropped) < 0)
			return -1;
		if (k->ndropped)
			k->res = STORE_UPGRADED;
	}
	/* after dropping cut copies, which may empty a signature */
	return find_signature(st, r, subsystem, rk, k);
}

/* The label of signature id, anew (after adopt_dropped()). */
static int reread_label(struct store *st, int64_t id, struct verdict_label *l)
{
	sqlite3_stmt *s = stmt(st, S_SIG_BY_ID);
	int rc = -1;

	if (!s)
		return -1;
	bind_int(s, param(s, ":id"), id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		verdict_label_release(l);
		rc = read_label(st, s, id, l);
	} else {
		db_error(st, NULL, "cannot read signatures");
	}
	sqlite3_reset(s);
	return rc;
}

/*
 * A new occurrence: stored, and counted on its signature (a new one has its
 * count); classify: the signature's verdict is this report's too.
 */
static int add_occurrence(struct store *st, int64_t sig_id, bool new_sig, bool classify, const struct report *r,
			  const char *subsystem, const struct store_prepared *rk, const char *when, const char *seen)
{
	sqlite3_stmt *s;

	if (insert_occurrence(st, sig_id, r, rk, when) < 0)
		return -1;
	if (r->event_time || r->meta) {
		int64_t id = sqlite3_last_insert_rowid(st->db);
		sqlite3_stmt *ms = stmt(st, S_META_ADD);

		if (!ms)
			return -1;
		if (store_meta_add(ms, id, r) < 0) {
			db_error(st, NULL, "cannot store an occurrence's time and mail metadata");
			return -1;
		}
	}
	keys_note(st, &st->keys.occ, rk->occ_key);
	keys_note(st, &st->keys.head, rk->head_key);
	dict_sample(st, r);
	if (new_sig)
		return 0;
	s = stmt(st, classify ? S_SIG_BUMP_CLASSIFY : S_SIG_BUMP);
	if (!s)
		return -1;
	if (classify)
		bind_verdict(st, s, S_SIG_BUMP_CLASSIFY, &r->cls, true);
	bind_int(s, param(s, ":id"), sig_id);
	bind_text(s, param(s, ":last_seen"), seen);
	bind_text(s, param(s, ":last_kernel"), r->kernel);
	bind_text(s, param(s, ":subsystem"), subsystem);
	return step_done(st, s, "cannot count an occurrence");
}

void store_prepare(const struct store *st, const struct report *r, bool zip, struct store_prepared *p)
{
	char hash[33];

	memset(p, 0, sizeof(*p));
	report_occurrence_hash(r, hash);
	p->occ_key = store_hex_key(hash);
	report_head_hash(r, hash);
	p->head_key = store_hex_key(hash);
	report_signature(r, hash);
	p->sig_key = store_hex_key(hash);
	p->facts = facts_encode(&r->cls);
	/* with the dictionary the writer has now (a text compressed without one is read too) */
	if (zip)
		p->blob = zip_report(st ? atomic_load(&st->zdict) : NULL, r, &p->blob_n);
}

void store_prepared_release(struct store_prepared *p)
{
	free(p->facts);
	free(p->blob);
	memset(p, 0, sizeof(*p));
}

/* The signature and the occurrence as the store keeps them, with what the store knew of them. */
static int store_write_report(struct store *st, const struct report *r, const char *subsystem,
			      const struct store_prepared *rk, const char *when, struct known *k)
{
	bool new_sig = !k->found, classify = false;
	const char *seen = r->event_time ? r->event_time : when;   /* the log's or mail's time, else the scan's */

	if (new_sig) {
		/* counted already when its first occurrence is stored too */
		if (insert_signature(st, r, rk->sig_key, subsystem, seen, k->res != STORE_DUPLICATE, &k->sig_id) < 0)
			return -1;
		keys_note(st, &st->keys.sig, rk->sig_key);
	} else if (r->cls.level >= k->sig_level && !(k->sig_same && (k->sig_facts_same || k->occ_same))) {
		/*
		 * the verdict of the run with the most evidence wins; a label
		 * always wins.  An occurrence seen again as it was stored, with
		 * the verdict its signature has, changes nothing (a rescan
		 * writes nothing).  A new occurrence is counted in the same
		 * write (add_occurrence()).
		 */
		classify = true;
		if (k->res == STORE_DUPLICATE && classify_signature(st, k->sig_id, r, subsystem) < 0)
			return -1;
	}
	if (k->res != STORE_DUPLICATE) {
		if (add_occurrence(st, k->sig_id, new_sig, classify, r, subsystem, rk, when, seen) < 0)
			return -1;
	} else if (k->occ_id && r->cls.level >= k->occ_level && !k->occ_same) {
		/* the same occurrence seen with as much evidence: its facts are this run's */
		if (classify_occurrence(st, k->occ_id, r) < 0)
			return -1;
	}
	if (k->ndropped && (adopt_dropped(st, k->sig_id, k->dropped, k->ndropped) < 0 ||
			    reread_label(st, k->sig_id, &k->label) < 0))
		return -1;
	return 0;
}

enum store_result store_add_prepared(struct store *st, const struct report *r, const struct store_prepared *p,
				     const char *subsystem, int64_t now, struct store_added *out)
{
	char when[32];
	struct known k = { .res = STORE_ADDED };
	enum store_result res = STORE_FAILED;

	memset(out, 0, sizeof(*out));
	if (!*st->when || now != st->when_now) {
		kt_format_time(now, st->when);
		st->when_now = now;
	}
	memcpy(when, st->when, sizeof(when));
	if (!p->stored)
		st->keys.handled++;
	st->facts = p->facts;
	st->facts_level = r->cls.level;
	if (find_known(st, r, subsystem, p, &k) < 0) {
		verdict_label_release(&k.label);
	} else if (k.res == STORE_DUPLICATE && !k.found) {
		/* its signature changed (new rules, a vmlinux): keep the old row */
		out->effective = r->cls.verdict;
		res = STORE_DUPLICATE;
	} else if (store_write_report(st, r, subsystem, p, when, &k) < 0) {
		verdict_label_release(&k.label);
	} else {
		out->sig_id = k.sig_id;
		out->effective = effective_verdict(r->cls.verdict, &k.label);
		out->label = k.label;
		out->new_signature = !k.found;
		st->batch_reports++;
		res = k.res;
	}
	st->facts = NULL;
	reset_all(st);
	return res;
}

enum store_result store_add_report(struct store *st, const struct report *r, const char *subsystem,
				   int64_t now, struct store_added *out)
{
	struct store_prepared p;
	enum store_result res;

	/* compressed only when it is stored (a rescan compresses nothing) */
	store_prepare(st, r, false, &p);
	res = store_add_prepared(st, r, &p, subsystem, now, out);
	store_prepared_release(&p);
	return res;
}

/* ---------------------------------------------------------------------- */
/* reading */

void sig_row_release(struct sig_row *s)
{
	free(s->title);
	free(s->display_title);
	free(s->top_func);
	free(s->subsystem);
	classification_release(&s->cls);
	verdict_label_release(&s->label);
	free(s->first_seen);
	free(s->last_seen);
	free(s->first_kernel);
	free(s->last_kernel);
	memset(s, 0, sizeof(*s));
}

int store_snapshot(struct store *st, bool on)
{
	if (st->in_tx)
		return 0;   /* a writer's transaction is one state already */
	if (sqlite3_exec(st->db, on ? "BEGIN" : "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_error(st, NULL, "cannot read the database");
		return -1;
	}
	return 0;
}

/* The tool's verdict of a row: its columns, and the facts it rests on. */
/*
 * The verdict of a row; brief (a list's row): not its facts, whose one
 * sentence a list shows, the field, is its column (bind_verdict() writes
 * it from them).
 */
static int read_verdict(struct store *st, sqlite3_stmt *s, int64_t id, struct classification *c, bool brief)
{
	const char *table = "report", *facts = col_text(s, SIG_facts), *v = col_text(s, SIG_verdict),
		   *w = col_text(s, SIG_writer), *cf = col_text(s, SIG_confidence);
	int ev = verdict_from_name(v), ew = w ? writer_from_name(w) : W_NONE,
	    ec = cf ? confidence_from_name(cf) : CONF_NONE;
	char *err = NULL;

	if (brief) {
		c->basis = BASIS_STORED;
		c->stored.field = (char *)col_text(s, SIG_field);   /* the statement's: sig_row_done() */
	} else if (facts && facts_decode(facts, c, &err) < 0) {
		kt_error(st->ctx, KT_EXIT_STORE, st->path, "%s %lld: %s (the database is damaged)", table,
			 (long long)id, err);
		free(err);
		return -1;
	}
	if (ev < 0)
		return bad_name(st, table, id, "verdict", v);
	if (ew < 0)
		return bad_name(st, table, id, "writer", w);
	if (ec < 0)
		return bad_name(st, table, id, "confidence", cf);
	c->verdict = (enum verdict)ev;
	c->writer = (enum writer)ew;
	c->confidence = (enum confidence)ec;
	c->level = sqlite3_column_int(s, SIG_evidence_level);
	return 0;
}

/* A row of read_sig_row() released: a brief one's strings are the statement's, but for the label's. */
static void sig_row_done(struct sig_row *r, bool brief)
{
	if (!brief) {
		sig_row_release(r);
		return;
	}
	verdict_label_release(&r->label);
	memset(r, 0, sizeof(*r));
}

/* A signature row; brief: only what a list shows, its strings the statement's (valid until its next step). */
static int read_sig_row(struct store *st, sqlite3_stmt *s, struct sig_row *r, bool brief)
{
	int bt;

	uint64_t key = (uint64_t)sqlite3_column_int64(s, SIG_key);

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, SIG_id);
	r->unknown_origin = sqlite3_column_int(s, SIG_unknown_origin);
	r->count = sqlite3_column_int64(s, SIG_count);
	if (brief) {
		/* the statement's strings, for the callback only (no copy a row: sig_row_done()) */
		r->display_title = (char *)col_text(s, SIG_display_title);
		r->first_seen = (char *)col_text(s, SIG_first_seen);
		r->last_seen = (char *)col_text(s, SIG_last_seen);
	} else {
		r->display_title = col_dup(s, SIG_display_title);
		r->first_seen = col_dup(s, SIG_first_seen);
		r->last_seen = col_dup(s, SIG_last_seen);
		/* what a list does not show */
		r->title = col_dup(s, SIG_title);
		r->top_func = col_dup(s, SIG_top_func);
		r->subsystem = col_dup(s, SIG_subsystem);
		r->first_kernel = col_dup(s, SIG_first_kernel);
		r->last_kernel = col_dup(s, SIG_last_kernel);
	}
	/* printf('%016x', key), as store_signature_id() gives it */
	for (int i = REPORT_SIG_ID_LEN - 1; i >= 0; i--, key >>= 4)
		r->sig_id[i] = "0123456789abcdef"[key & 15];
	r->sig_id[REPORT_SIG_ID_LEN] = '\0';
	bt = bug_type_from_name(col_text(s, SIG_bug_type));
	if (bt < 0 || read_verdict(st, s, r->id, &r->cls, brief) < 0 ||
	    read_label(st, s, r->id, &r->label) < 0) {
		if (bt < 0)
			bad_name(st, "report", r->id, "bug type", col_text(s, SIG_bug_type));
		sig_row_done(r, brief);
		return -1;
	}
	r->bug_type = (enum bug_type)bt;
	return 0;
}

/* Step through the rows of s, handing each to fn; s is finalized. */
static int each_sig_row(struct store *st, sqlite3_stmt *s, bool brief, sig_row_fn fn, void *data, const char *what)
{
	int rc, ret = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct sig_row r;

		if (read_sig_row(st, s, &r, brief) < 0) {
			ret = -1;
			break;
		}
		if (sqlite3_column_count(s) > SIG_NCOLS)
			r.all_truncated = sqlite3_column_int(s, SIG_NCOLS);
		fn(&r, data);
		sig_row_done(&r, brief);
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		db_error(st, NULL, what);
		ret = -1;
	}
	sqlite3_finalize(s);
	return ret;
}

/* ORDER BY of each enum list_order */
static const char *const list_order_sql[] = {
	[LIST_BY_ID] = "id",
	[LIST_BY_ATTENTION] = "CASE WHEN COALESCE(label, verdict) IN ('real-race', 'unknown-origin') THEN 0"
			      " WHEN unknown_origin THEN 1 ELSE 2 END, count DESC, id",
	[LIST_BY_COUNT] = "count DESC, id",
	[LIST_BY_LAST_SEEN] = "last_seen DESC, id",
};

int store_list(struct store *st, const struct list_filter *f, sig_row_fn fn, void *data)
{
	char *rest = xasprintf("WHERE (:verdict IS NULL OR COALESCE(label, verdict) = :verdict)"
			       " AND (:grep IS NULL OR instr(lower(display_title), lower(:grep)) > 0"
			       "      OR instr(lower(COALESCE(field, '')), lower(:grep)) > 0"
			       "      OR instr(lower(COALESCE(top_func, '')), lower(:grep)) > 0"
			       "      OR instr(lower(COALESCE(subsystem, '')), lower(:grep)) > 0"
			       "      OR " STORE_META_GREP_SQL ") AND " STORE_META_EXTID_SQL
			       " ORDER BY %s LIMIT :limit", list_order_sql[f->order]);
	char *sql = table_select(&t_signature, rest), *with;
	sqlite3_stmt *s;
	int rc;

	if (f->truncated) {
		/* every occurrence cut short: some, and none whole (by occurrence_sig) */
		const char *from = strstr(sql, " FROM signature ");

		with = xasprintf("%.*s, EXISTS (SELECT 1 FROM occurrence o WHERE o.signature_id = signature.id)"
				 " AND NOT EXISTS (SELECT 1 FROM occurrence o WHERE o.signature_id = signature.id"
				 " AND NOT o.truncated)%s", (int)(from - sql), sql, from);
		free(sql);
		sql = with;
	}
	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	free(sql);
	free(rest);
	if (rc != SQLITE_OK) {
		db_error(st, NULL, "cannot list");
		return -1;
	}
	bind_text(s, param(s, ":verdict"), f->verdict != V_NONE ? verdict_name(f->verdict) : NULL);
	bind_text(s, param(s, ":grep"), f->grep);
	bind_text(s, param(s, ":extid"), f->extid);
	bind_int(s, param(s, ":limit"), f->limit > 0 ? f->limit : -1);
	return each_sig_row(st, s, f->brief, fn, data, "cannot list");
}

int store_get_signature(struct store *st, int64_t id, struct sig_row *out)
{
	sqlite3_stmt *s = stmt(st, S_SIG_BY_ID);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	bind_int(s, param(s, ":id"), id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		rc = read_sig_row(st, s, out, false) < 0 ? -1 : 1;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		db_error(st, NULL, "cannot read a report");
		rc = -1;
	}
	sqlite3_reset(s);
	return rc;
}

static void read_frame(sqlite3_stmt *s, struct frame *f)
{
	f->func = col_dup(s, FRAME_func);
	f->has_off = !col_null(s, FRAME_offset);
	f->off = (uint64_t)sqlite3_column_int64(s, FRAME_offset);
	f->size = (uint64_t)sqlite3_column_int64(s, FRAME_size);
	f->module = col_dup(s, FRAME_module);
	f->buildid = col_dup(s, FRAME_buildid);
	f->file = col_dup(s, FRAME_file);
	f->line = sqlite3_column_int(s, FRAME_line);
	f->column = sqlite3_column_int(s, FRAME_col);
	f->inlined = sqlite3_column_int(s, FRAME_inlined);
	f->unreliable = sqlite3_column_int(s, FRAME_unreliable);
	f->symbolized = sqlite3_column_int(s, FRAME_symbolized);
	f->given = sqlite3_column_int(s, FRAME_given);
	f->src = col_dup(s, FRAME_src);
	f->sym_note = col_dup(s, FRAME_note);
	if (f->func && f->func[0] == '0' && f->func[1] == 'x') {
		f->is_addr = true;
		f->addr = strtoull(f->func, NULL, 16);
	}
}

static int load_frames(struct store *st, int64_t acc_id, struct access *a)
{
	sqlite3_stmt *s = stmt(st, S_FRAME_BY_ACC);
	int rc;

	if (!s)
		return -1;
	bind_int(s, param(s, ":access_id"), acc_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *kind = col_text(s, FRAME_kind);
		struct frame *f;

		if (kind && !strcmp(kind, "reordered_to")) {
			if (!a->reordered_to)
				a->reordered_to = xcalloc(1, sizeof(*f));
			f = a->reordered_to;
			frame_release(f);
		} else {
			f = access_add_frame(a);
		}
		read_frame(s, f);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		db_error(st, NULL, "cannot read frames");
		return -1;
	}
	return 0;
}

static int read_access(struct store *st, sqlite3_stmt *s, struct access *a)
{
	int64_t id = sqlite3_column_int64(s, ACC_id);
	const char *addr = col_text(s, ACC_addr);
	int type = access_type_from_name(col_text(s, ACC_type)), ctx = access_ctx_from_name(col_text(s, ACC_ctx));

	if (type < 0)
		return bad_name(st, "access", id, "access type", col_text(s, ACC_type));
	if (ctx < 0)
		return bad_name(st, "access", id, "context", col_text(s, ACC_ctx));
	a->type = (enum access_type)type;
	a->ctx = (enum access_ctx)ctx;
	a->marked = sqlite3_column_int(s, ACC_marked);
	a->reordered = sqlite3_column_int(s, ACC_reordered);
	a->scoped = sqlite3_column_int(s, ACC_scoped);
	a->unknown_origin = sqlite3_column_int(s, ACC_unknown_origin);
	a->has_addr = addr != NULL;
	a->addr = addr ? strtoull(addr, NULL, 16) : 0;
	a->has_size = !col_null(s, ACC_size);
	a->size = (uint64_t)sqlite3_column_int64(s, ACC_size);
	a->pid = col_null(s, ACC_pid) ? -1 : (long)sqlite3_column_int64(s, ACC_pid);
	a->task = col_dup(s, ACC_task);
	a->cpu = col_null(s, ACC_cpu) ? -1 : sqlite3_column_int(s, ACC_cpu);
	a->elided = sqlite3_column_int(s, ACC_elided);
	a->frames_dropped = (size_t)sqlite3_column_int64(s, ACC_frames_dropped);
	return 0;
}

static int load_accesses(struct store *st, int64_t occ_id, struct report *r)
{
	sqlite3_stmt *s = stmt(st, S_ACC_BY_OCC);
	int64_t ids[REPORT_MAX_ACCESSES];
	int rc = SQLITE_DONE, bad = 0;

	if (!s)
		return -1;
	bind_int(s, param(s, ":occurrence_id"), occ_id);
	while (!bad && (rc = sqlite3_step(s)) == SQLITE_ROW && r->nacc < REPORT_MAX_ACCESSES) {
		ids[r->nacc] = sqlite3_column_int64(s, ACC_id);
		bad = read_access(st, s, &r->acc[r->nacc++]) < 0;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW && !bad) {
		db_error(st, NULL, "cannot read accesses");
		bad = 1;
	}
	sqlite3_reset(s);
	if (bad)
		return -1;
	for (int i = 0; i < r->nacc; i++)
		if (load_frames(st, ids[i], &r->acc[i]) < 0)
			return -1;
	return 0;
}

static int damaged_blob(struct store *st, int64_t id, const char *what)
{
	kt_error(st->ctx, KT_EXIT_STORE, st->path, "occurrence %lld: %s (the database is damaged)", (long long)id,
		 what);
	return -1;
}

/*
 * The occurrence's text into r->raw, and its accesses' text, the first
 * *detail_n bytes of *buf (to free): one blob from schema 7, two before.
 */
static int read_blobs(struct store *st, sqlite3_stmt *s, int64_t id, struct report *r, char **buf,
		      size_t *detail_n)
{
	size_t n, raw_n;
	const char *raw;

	*buf = store_blob_unzip(st, sqlite3_column_blob(s, OCC_raw), (size_t)sqlite3_column_bytes(s, OCC_raw), &n);
	if (!*buf)
		return damaged_blob(st, id, "its text cannot be decompressed");
	if (sqlite3_column_bytes(s, OCC_detail) == 0) {
		if (store_blob_split(*buf, n, detail_n, &raw, &raw_n) < 0) {
			free(*buf);
			*buf = NULL;
			return damaged_blob(st, id, "its text has no accesses");
		}
		sbuf_add(&r->raw, raw, raw_n);
		return 0;
	}
	sbuf_add(&r->raw, *buf, n);
	free(*buf);
	*buf = store_blob_unzip(st, sqlite3_column_blob(s, OCC_detail), (size_t)sqlite3_column_bytes(s, OCC_detail),
				detail_n);
	if (!*buf)
		return damaged_blob(st, id, "its accesses cannot be decompressed");
	return 0;
}

static int read_detail(struct store *st, int64_t id, const char *d, size_t n, struct report *r)
{
	char *err = NULL;
	int rc = store_detail_decode(d, n, r, &err);

	if (rc < 0) {
		damaged_blob(st, id, err);
		free(err);
	}
	return rc;
}

/* One occurrence row as a report of the signature sig. */
static int read_occurrence(struct store *st, sqlite3_stmt *s, const struct sig_row *sig, struct report *r)
{
	const char *facts = col_text(s, OCC_facts);
	int64_t id = sqlite3_column_int64(s, OCC_id);
	sqlite3_stmt *ms;
	char *err = NULL, *buf;
	size_t detail_n;
	int rc;

	r->source = col_dup(s, OCC_source);
	r->line = (uint64_t)sqlite3_column_int64(s, OCC_line);
	r->end_line = (uint64_t)sqlite3_column_int64(s, OCC_end_line);
	r->offset = (uint64_t)sqlite3_column_int64(s, OCC_byte_offset);
	r->log_time = col_dup(s, OCC_log_time);
	r->kernel = col_dup(s, OCC_kernel);
	r->comm = col_dup(s, OCC_comm);
	r->rep_pid = col_null(s, OCC_pid) ? -1 : (long)sqlite3_column_int64(s, OCC_pid);
	r->rep_cpu = col_null(s, OCC_cpu) ? -1 : sqlite3_column_int(s, OCC_cpu);
	r->hardware = col_dup(s, OCC_hardware);
	r->value_old = col_dup(s, OCC_value_old);
	r->value_new = col_dup(s, OCC_value_new);
	r->has_value = r->value_old != NULL;
	r->bits_changed = col_dup(s, OCC_bits_changed);
	r->bits_mask = col_dup(s, OCC_bits_mask);
	r->truncated = sqlite3_column_int(s, OCC_truncated);
	ms = stmt(st, S_META_READ);
	if (!ms)
		return -1;
	if (store_meta_read(ms, id, r) < 0) {
		db_error(st, NULL, "cannot read an occurrence's time and mail metadata");
		return -1;
	}
	r->title = sig->title ? xstrdup(sig->title) : NULL;
	r->bug_type = sig->bug_type;
	r->unknown_origin = sig->unknown_origin;
	r->label.verdict = sig->label.verdict;
	r->label.note = sig->label.note ? xstrdup(sig->label.note) : NULL;
	r->label.time = sig->label.time ? xstrdup(sig->label.time) : NULL;
	if (!facts) {
		/* stored before occurrences kept facts: the signature's */
		classification_copy(&r->cls, &sig->cls);
	} else if (facts_decode(facts, &r->cls, &err) < 0) {
		kt_error(st->ctx, KT_EXIT_STORE, st->path, "occurrence %lld: %s (the database is damaged)",
			 (long long)id, err);
		free(err);
		return -1;
	} else {
		r->cls.level = sqlite3_column_int(s, OCC_evidence_level);
	}
	if (read_blobs(st, s, id, r, &buf, &detail_n) < 0)
		return -1;
	rc = read_detail(st, id, buf, detail_n, r);
	free(buf);
	return rc;
}

int store_occurrences(struct store *st, const struct sig_row *sig, long limit, occ_fn fn, void *data)
{
	char *sql = table_select(&t_occurrence, "WHERE signature_id = :signature_id ORDER BY truncated, id"
						" LIMIT :limit");
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), ret = 0;

	free(sql);
	if (rc != SQLITE_OK) {
		db_error(st, NULL, "cannot read occurrences");
		return -1;
	}
	bind_int(s, param(s, ":signature_id"), sig->id);
	bind_int(s, param(s, ":limit"), limit > 0 ? limit : -1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct report *r = report_new();
		char *stored_at = col_dup(s, OCC_stored_at);

		if (read_occurrence(st, s, sig, r) < 0) {
			report_free(r);
			free(stored_at);
			ret = -1;
			break;
		}
		fn(r, sqlite3_column_int64(s, OCC_id), stored_at, data);
		free(stored_at);
		report_free(r);
	}
	sqlite3_finalize(s);
	if (ret == 0 && rc != SQLITE_DONE) {
		db_error(st, NULL, "cannot read occurrences");
		return -1;
	}
	return ret;
}

int store_set_label(struct store *st, int64_t id, enum verdict verdict, const char *note, int64_t now)
{
	sqlite3_stmt *s;
	char when[32];
	bool set = verdict != V_NONE;
	int rc;

	kt_format_time(now, when);
	if (sqlite3_prepare_v2(st->db,
			       "UPDATE signature SET label = :label, label_note = :label_note, label_time = :label_time"
			       " WHERE id = :id", -1, &s, NULL) != SQLITE_OK) {
		db_error(st, NULL, "cannot label");
		return -1;
	}
	bind_int(s, param(s, ":id"), id);
	bind_text(s, param(s, ":label"), set ? verdict_name(verdict) : NULL);
	bind_text(s, param(s, ":label_note"), set ? note : NULL);
	bind_text(s, param(s, ":label_time"), set ? when : NULL);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		db_error(st, NULL, "cannot label");
		return -1;
	}
	return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

/*
 * Counts by the grouping columns, every group in one pass over the
 * signatures (through the covering index signature_stats when the store
 * has it): the key of each row per group, as SQL would make it.
 */
static const char *const count_groups[] = { "verdict", "bug_type", "function", "subsystem", "writer" };
#define NGROUPS (sizeof(count_groups) / sizeof(count_groups[0]))
#define COUNT_SQL "SELECT label, verdict, bug_type, unknown_origin, top_func, subsystem, writer, count FROM signature"

struct count_ent {
	struct hashmap_entry ent;
	struct count_row row;   /* its key in the group's arena */
};

/*
 * One grouping's counts: the entries and their keys in chunks freed at
 * once (a grouping by function has a row for most signatures: allocated
 * and freed one by one, they took a third of the time).
 */
#define COUNT_CHUNK 4096        /* entries a chunk */
#define COUNT_KEYS (64 * 1024)  /* bytes of keys a chunk */

struct count_group {
	struct hashmap map;
	struct count_ent **ents;        /* chunks of COUNT_CHUNK */
	size_t nents, entcap;           /* entries made; chunk pointers room */
	char **keys;                    /* chunks of COUNT_KEYS (or one key's own) */
	size_t nkeys, keycap, keyused;  /* chunks; room; bytes used of the last */
};

static bool count_eq(const struct hashmap_entry *e, const struct hashmap_entry *key, const void *keydata)
{
	(void)key;
	return !strcmp(container_of(e, struct count_ent, ent)->row.key, keydata);
}

static struct count_ent *count_ent_at(const struct count_group *g, size_t i)
{
	return &g->ents[i / COUNT_CHUNK][i % COUNT_CHUNK];
}

/* The key of group g for the row s (buf: room for the bug type's). */
static const char *count_key(sqlite3_stmt *s, size_t g, char *buf, size_t size)
{
	const char *v;

	switch (g) {
	case 0: return col_text(s, 0) ? col_text(s, 0) : col_text(s, 1);
	case 1: {
		static const char uo[] = " (unknown origin)";
		size_t n = (size_t)sqlite3_column_bytes(s, 2);

		v = col_text(s, 2);
		if (!v || n + sizeof(uo) > size)
			n = 0;
		memcpy(buf, v ? v : "", n);
		if (sqlite3_column_int64(s, 3))
			memcpy(buf + n, uo, sizeof(uo));
		else
			buf[n] = '\0';
		return buf;
	}
	case 2: return (v = col_text(s, 4)) ? v : "?";
	case 3: return (v = col_text(s, 5)) ? v : "unknown";
	default: return (v = col_text(s, 6)) ? v : "-";
	}
}

/* A copy of key in the group's arena. */
static char *count_key_copy(struct count_group *g, const char *key)
{
	size_t n = strlen(key) + 1;
	char *p;

	if (!g->nkeys || g->keyused + n > COUNT_KEYS) {
		ALLOC_GROW(g->keys, g->nkeys + 1, g->keycap);
		g->keys[g->nkeys++] = xmalloc(n > COUNT_KEYS ? n : COUNT_KEYS);
		g->keyused = 0;
	}
	p = g->keys[g->nkeys - 1] + g->keyused;
	memcpy(p, key, n);
	/* a key longer than a chunk has one of its own: the next key starts a new one */
	g->keyused = n > COUNT_KEYS ? COUNT_KEYS : g->keyused + n;
	return p;
}

static struct count_ent *count_add(struct count_group *g, const char *key, int64_t occs)
{
	uint64_t h = kt_hash_str(key);
	struct hashmap_entry *e = hashmap_get(&g->map, h, NULL, key);
	struct count_ent *c;

	if (!e) {
		if (g->nents % COUNT_CHUNK == 0) {
			ALLOC_GROW(g->ents, g->nents / COUNT_CHUNK + 1, g->entcap);
			g->ents[g->nents / COUNT_CHUNK] = xmalloc(COUNT_CHUNK * sizeof(**g->ents));
		}
		c = count_ent_at(g, g->nents++);
		memset(c, 0, sizeof(*c));
		c->row.key = count_key_copy(g, key);
		hashmap_entry_init(&c->ent, h);
		hashmap_add(&g->map, &c->ent);
	} else {
		c = container_of(e, struct count_ent, ent);
	}
	c->row.sigs++;
	c->row.occs += occs;
	return c;
}

static void count_group_free(struct count_group *g)
{
	hashmap_clear(&g->map, HASHMAP_NO_FREE);
	for (size_t i = 0; i < (g->nents + COUNT_CHUNK - 1) / COUNT_CHUNK; i++)
		free(g->ents[i]);
	for (size_t i = 0; i < g->nkeys; i++)
		free(g->keys[i]);
	free(g->ents);
	free(g->keys);
}

/* ORDER BY sum(count) DESC, k */
static int count_cmp(const void *a, const void *b)
{
	const struct count_row *x = a, *y = b;

	if (x->occs != y->occs)
		return x->occs > y->occs ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* Keep row in the first k of the sorted rows[0..*n) (at most k kept). */
static void count_keep(struct count_row *rows, size_t *n, size_t k, struct count_row row)
{
	size_t i = *n;

	if (i == k && count_cmp(&row, &rows[k - 1]) >= 0)
		return;
	if (i == k)
		i--;
	for (; i > 0 && count_cmp(&row, &rows[i - 1]) < 0; i--)
		rows[i] = rows[i - 1];
	rows[i] = row;
	(*n)++;
	if (*n > k)
		*n = k;
}

/*
 * The group's rows, sorted, the first limit (0: all) kept (no sort of the
 * rest), their keys copied out of the arena; the group freed.  (The order
 * is total, keys being unique: it does not depend on the entries' order.)
 */
static void count_collect(struct count_group *g, long limit, struct count_row **rows, size_t *n)
{
	size_t all = g->nents, k = limit > 0 && (size_t)limit < all ? (size_t)limit : all;

	*n = 0;
	*rows = xcalloc(k ? k : 1, sizeof(**rows));
	for (size_t i = 0; i < all; i++) {
		struct count_row row = count_ent_at(g, i)->row;

		if (k < all)
			count_keep(*rows, n, k, row);
		else
			(*rows)[(*n)++] = row;
	}
	if (k == all)
		qsort(*rows, *n, sizeof(**rows), count_cmp);
	for (size_t i = 0; i < *n; i++)
		(*rows)[i].key = xstrdup((*rows)[i].key);
	count_group_free(g);
}

int store_counts(struct store *st, const char *const *what, size_t nwhat, const long *limit,
		 struct count_row **rows, size_t *n)
{
	struct count_group groups[NGROUPS];
	struct count_ent *last[NGROUPS] = { NULL };
	int group[NGROUPS], rc;
	sqlite3_stmt *s;
	char buf[128];

	if (nwhat > NGROUPS)
		return -1;
	for (size_t i = 0; i < nwhat; i++) {
		group[i] = -1;
		for (size_t g = 0; g < NGROUPS; g++)
			if (!strcmp(count_groups[g], what[i]))
				group[i] = (int)g;
		if (group[i] < 0)
			return -1;
	}
	if (sqlite3_prepare_v2(st->db, COUNT_SQL, -1, &s, NULL) != SQLITE_OK) {
		db_error(st, NULL, "cannot count");
		return -1;
	}
	memset(groups, 0, sizeof(groups));
	for (size_t i = 0; i < nwhat; i++)
		hashmap_init(&groups[i].map, count_eq, 0);
	/* in the index's order the verdict columns come in runs: a row of the last row's key is counted there */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (size_t i = 0; i < nwhat; i++) {
			const char *key = count_key(s, (size_t)group[i], buf, sizeof(buf));
			int64_t occs = sqlite3_column_int64(s, 7);

			if (last[i] && !strcmp(last[i]->row.key, key)) {
				last[i]->row.sigs++;
				last[i]->row.occs += occs;
			} else {
				last[i] = count_add(&groups[i], key, occs);
			}
		}
	}
	sqlite3_finalize(s);
	for (size_t i = 0; i < nwhat; i++)
		count_collect(&groups[i], limit[i], &rows[i], &n[i]);
	if (rc != SQLITE_DONE) {
		for (size_t i = 0; i < nwhat; i++)
			count_rows_free(rows[i], n[i]);
		db_error(st, NULL, "cannot count");
		return -1;
	}
	return 0;
}

int store_count_by(struct store *st, const char *what, long limit, struct count_row **rows, size_t *n)
{
	return store_counts(st, &what, 1, &limit, rows, n);
}

void count_rows_free(struct count_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i].key);
	free(rows);
}

/* ---------------------------------------------------------------------- */
/* merging another store */

/* The columns of t but the id, each as prefix.name, or as map[] says. */
static void merge_cols(struct sbuf *sb, const struct table_def *t, const char *prefix, const char *const map[][2])
{
	for (int i = 1; i < t->ncols; i++) {
		const char *e = NULL;

		for (int j = 0; map && map[j][0]; j++)
			if (!strcmp(map[j][0], t->cols[i].name))
				e = map[j][1];
		if (e)
			sbuf_addf(sb, "%s%s", i > 1 ? ", " : "", e);
		else if (prefix)
			sbuf_addf(sb, "%s%s.%s", i > 1 ? ", " : "", prefix, t->cols[i].name);
		else
			sbuf_addf(sb, "%s%s", i > 1 ? ", " : "", t->cols[i].name);
	}
}

/* The labels both stores hold for one report, differing: said, the newer kept. */
static int merge_conflicts(struct store *st, const char *other, struct store_merged *m)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT m.id, m.label, o.label, m.label_time, o.label_time FROM main.signature m"
			       " JOIN other.signature o ON o.key = m.key WHERE m.label IS NOT NULL AND o.label IS NOT NULL"
			       " AND (m.label IS NOT o.label OR m.label_note IS NOT o.label_note) ORDER BY m.id",
			       -1, &s, NULL) != SQLITE_OK) {
		db_error(st, NULL, "cannot merge");
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *mt = col_text(s, 3), *ot = col_text(s, 4);
		bool theirs = ot && (!mt || strcmp(ot, mt) > 0);

		kt_warn(st->ctx, other, "report #%lld is labelled %s here and %s there: the newer label (%s) is kept",
			(long long)sqlite3_column_int64(s, 0), col_text(s, 1), col_text(s, 2),
			theirs ? col_text(s, 2) : col_text(s, 1));
		m->conflicts++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		db_error(st, NULL, "cannot merge");
		return -1;
	}
	return 0;
}

static const char merge_fix_sql[] =
	STORE_META_MERGE_SQL
	/* labels: the newer wins */
	"UPDATE main.signature SET (label, label_note, label_time) ="
	" (SELECT o.label, o.label_note, o.label_time FROM other.signature o WHERE o.key = signature.key)"
	" WHERE EXISTS (SELECT 1 FROM other.signature o WHERE o.key = signature.key AND o.label IS NOT NULL"
	" AND (signature.label IS NULL OR o.label_time > signature.label_time));"
	/* a truncated copy goes when the other store had the complete one; its label follows */
	"CREATE TEMP TABLE merge_cut AS SELECT o.id AS occ, o.signature_id AS sig,"
	" (SELECT c.signature_id FROM main.occurrence c WHERE c.head = o.head AND NOT c.truncated) AS into_sig"
	" FROM main.occurrence o WHERE o.truncated AND o.head IN (SELECT head FROM other.occurrence)"
	" AND EXISTS (SELECT 1 FROM main.occurrence c WHERE c.head = o.head AND NOT c.truncated);"
	"UPDATE main.signature SET (label, label_note, label_time) = (SELECT s.label, s.label_note, s.label_time"
	"  FROM main.signature s JOIN merge_cut m ON m.sig = s.id WHERE m.into_sig = signature.id"
	"  AND s.label IS NOT NULL ORDER BY s.label_time DESC LIMIT 1)"
	" WHERE id IN (SELECT mc.into_sig FROM merge_cut mc JOIN main.signature s ON s.id = mc.sig"
	"  WHERE s.label IS NOT NULL AND mc.into_sig != mc.sig"
	"  AND (signature.label IS NULL OR s.label_time > signature.label_time));"
	"DELETE FROM main.occurrence WHERE id IN (SELECT occ FROM merge_cut);"
	/* counts, times and subsystems of the reports both know */
	"UPDATE main.signature SET count = (SELECT count(*) FROM main.occurrence WHERE signature_id = signature.id),"
	" first_seen = min(first_seen, COALESCE((SELECT o.first_seen FROM other.signature o"
	"   WHERE o.key = signature.key), first_seen)),"
	" last_seen = max(last_seen, COALESCE((SELECT o.last_seen FROM other.signature o"
	"   WHERE o.key = signature.key), last_seen)),"
	" subsystem = COALESCE((SELECT CASE WHEN o.subsystem IS NOT NULL AND (signature.subsystem IS NULL"
	"   OR o.subsystem < signature.subsystem) THEN o.subsystem ELSE signature.subsystem END"
	"   FROM other.signature o WHERE o.key = signature.key), subsystem)"
	" WHERE key IN (SELECT key FROM other.signature) OR id IN (SELECT sig FROM merge_cut);"
	"DELETE FROM main.signature WHERE count <= 0 AND (label IS NULL OR id IN (SELECT sig FROM merge_cut));"
	"DROP TABLE temp.merge_cut;";

/* The other store's dictionaries (its texts are copied as they are compressed): 0, or -1 reported. */
static int merge_dicts(struct store *st, const char *other)
{
	int64_t clash = query_int(st, "SELECT count(*) FROM other.dictionary o JOIN main.dictionary m"
				  " ON m.id = o.id WHERE m.dict IS NOT o.dict");

	if (clash != 0) {
		if (clash < 0)
			db_error(st, other, "cannot merge");
		else
			kt_error(st->ctx, KT_EXIT_STORE, other,
				 "cannot merge: the two stores hold different compression dictionaries under one id");
		return -1;
	}
	return exec(st, "INSERT OR IGNORE INTO main.dictionary (id, dict) SELECT id, dict FROM other.dictionary",
		    "cannot merge");
}

/* Everything of the attached store "other" into this one, in the caller's transaction. */
static int merge_rows(struct store *st, const char *other, struct store_merged *m)
{
	static const char *const sig_map[][2] = { { "count", "0" }, { NULL, NULL } };
	static const char *const occ_map[][2] = {
		{ "signature_id", "(SELECT m.id FROM main.signature m WHERE m.key = os.key)" }, { NULL, NULL },
	};
	struct sbuf sql = SBUF_INIT;
	int rc;

	if (merge_conflicts(st, other, m) < 0 || merge_dicts(st, other) < 0)
		return -1;
	sbuf_adds(&sql, "INSERT INTO main.signature (");
	merge_cols(&sql, &t_signature, NULL, NULL);
	sbuf_adds(&sql, ") SELECT ");
	merge_cols(&sql, &t_signature, "o", sig_map);
	sbuf_adds(&sql, " FROM other.signature o WHERE NOT EXISTS (SELECT 1 FROM main.signature m WHERE m.key = o.key)"
		  " ORDER BY o.id;");
	rc = exec(st, sql.buf, "cannot merge");
	m->new_signatures = sqlite3_changes(st->db);
	sbuf_reset(&sql);
	sbuf_adds(&sql, "INSERT INTO main.occurrence (");
	merge_cols(&sql, &t_occurrence, NULL, NULL);
	sbuf_adds(&sql, ") SELECT ");
	merge_cols(&sql, &t_occurrence, "o", occ_map);
	sbuf_adds(&sql, " FROM other.occurrence o JOIN other.signature os ON os.id = o.signature_id"
		  " WHERE NOT EXISTS (SELECT 1 FROM main.occurrence x WHERE x.head = o.head AND x.key = o.key)"
		  " AND NOT (o.truncated AND EXISTS (SELECT 1 FROM main.occurrence x WHERE x.head = o.head))"
		  " ORDER BY o.id;");
	if (rc == 0)
		rc = exec(st, sql.buf, "cannot merge");
	m->new_occurrences = sqlite3_changes(st->db);
	sbuf_release(&sql);
	if (rc == 0)
		rc = exec(st, merge_fix_sql, "cannot merge");
	return rc;
}

int store_merge(struct store *st, const char *other, struct store_merged *m)
{
	struct store *o;
	char *attach;
	int rc;

	memset(m, 0, sizeof(*m));
	/* the other store as a store: checked, upgraded when it is older */
	o = store_open(st->ctx, other, true);
	if (!o)
		return -1;
	store_close(st->ctx, o);
	attach = sqlite3_mprintf("ATTACH %Q AS other", other);
	rc = exec(st, attach, "cannot open the database to merge");
	sqlite3_free(attach);
	if (rc < 0)
		return -1;
	if (begin_immediate(st) != SQLITE_OK) {
		db_error(st, other, "cannot start writing");
		rc = -1;
	} else if (merge_rows(st, other, m) < 0) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		rc = -1;
	} else if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_error(st, other, "cannot commit");
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		rc = -1;
	}
	reset_all(st);
	sqlite3_exec(st->db, "DETACH other", NULL, NULL, NULL);
	return rc;
}

/* ---------------------------------------------------------------------- */
/*
 * Signature IDs (report_signature_id(): the hash's first 16 hex digits):
 * what triage files, baselines and the CI outputs name reports by.  Self-
 * contained: plain statements on the signature table, prepared per call.
 */

static int sigid_prepare(struct store *st, const char *sql, sqlite3_stmt **s, const char *what)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, s, NULL) != SQLITE_OK) {
		db_error(st, NULL, what);
		return -1;
	}
	return 0;
}

/* The columns of a signature's ID row, in the order sigid_row() reads them. */
#define SIGID_COLUMNS "id, printf('%016x', key), display_title, top_func, verdict, label, label_note, label_time"

static int sigid_row(struct store *st, sqlite3_stmt *s, struct store_sig_id *row)
{
	const char *tool = (const char *)sqlite3_column_text(s, 4);
	const char *label = (const char *)sqlite3_column_text(s, 5);
	int tv = tool ? verdict_from_name(tool) : -1;
	int lv = label ? verdict_from_name(label) : V_NONE;

	row->id = sqlite3_column_int64(s, 0);
	snprintf(row->sig_id, sizeof(row->sig_id), "%s", (const char *)sqlite3_column_text(s, 1));
	row->title = (const char *)sqlite3_column_text(s, 2);
	row->top_func = (const char *)sqlite3_column_text(s, 3);
	row->note = (const char *)sqlite3_column_text(s, 6);
	row->time = (const char *)sqlite3_column_text(s, 7);
	if (tv < 0 || lv < 0) {
		kt_error(st->ctx, KT_EXIT_STORE, st->path, "report %lld: unknown verdict (the database is damaged)",
			 (long long)row->id);
		return -1;
	}
	row->tool_verdict = (enum verdict)tv;
	row->label = (enum verdict)lv;
	return 0;
}

int store_each_signature_id(struct store *st, bool labelled_only, store_sig_id_fn fn, void *data)
{
	sqlite3_stmt *s;
	int rc;

	if (sigid_prepare(st, labelled_only ?
			  "SELECT " SIGID_COLUMNS " FROM signature WHERE label IS NOT NULL ORDER BY 2, id" :
			  "SELECT " SIGID_COLUMNS " FROM signature ORDER BY 2, id", &s, "cannot read signatures") < 0)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_sig_id row;

		if (sigid_row(st, s, &row) < 0) {
			sqlite3_finalize(s);
			return -1;
		}
		fn(&row, data);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		db_error(st, NULL, "cannot read signatures");
		return -1;
	}
	return 0;
}

int store_signature_id(struct store *st, int64_t id, char out[REPORT_SIG_ID_LEN + 1])
{
	sqlite3_stmt *s;
	int rc;

	out[0] = '\0';
	if (sigid_prepare(st, "SELECT printf('%016x', key) FROM signature WHERE id = ?1", &s,
			  "cannot read signatures") < 0)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		snprintf(out, REPORT_SIG_ID_LEN + 1, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_error(st, NULL, "cannot read signatures");
		return -1;
	}
	return rc == SQLITE_ROW;
}

int store_set_label_by_signature(struct store *st, const char *sig_id, enum verdict verdict, const char *note,
				 int64_t now)
{
	sqlite3_stmt *s;
	char when[32];
	bool set = verdict != V_NONE;
	int rc;

	kt_format_time(now, when);
	if (sigid_prepare(st, "UPDATE signature SET label = ?1, label_note = ?2, label_time = ?3"
			  " WHERE key = ?4 AND (label IS NOT ?1 OR label_note IS NOT ?2)", &s, "cannot label") < 0)
		return -1;
	sqlite3_bind_text(s, 1, set ? verdict_name(verdict) : NULL, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, set ? note : NULL, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, set ? when : NULL, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, store_hex_key(sig_id));
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		db_error(st, NULL, "cannot label");
		return -1;
	}
	return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

int store_has_signature(struct store *st, const char *sig_id)
{
	sqlite3_stmt *s;
	int rc;

	if (sigid_prepare(st, "SELECT 1 FROM signature WHERE key = ?1 LIMIT 1", &s, "cannot read signatures") < 0)
		return -1;
	sqlite3_bind_int64(s, 1, store_hex_key(sig_id));
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_error(st, NULL, "cannot read signatures");
		return -1;
	}
	return rc == SQLITE_ROW;
}
