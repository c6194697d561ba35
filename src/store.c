/* store.c - SQLite store: deduplicated, counted, re-scannable, labels survive. */
#define _GNU_SOURCE
#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

#define APP_ID 0x4b435354   /* "KCST" */

enum stmt_id {
	S_OCC_BY_HASH, S_OCC_BY_HEAD, S_SIG_BY_ID, S_OCC_DELETE, S_SIG_BY_HASH, S_SIG_INSERT, S_SIG_BUMP,
	S_SIG_DEC, S_SIG_DELETE_EMPTY, S_SIG_CLASSIFY, S_OCC_INSERT, S_ACC_INSERT, S_FRAME_INSERT,
	S_COUNT,
};

static const char *const stmt_sql[S_COUNT] = {
	[S_OCC_BY_HASH] = "SELECT o.id, o.signature_id FROM occurrence o WHERE o.hash = ?1",
	[S_OCC_BY_HEAD] = "SELECT id, signature_id, truncated FROM occurrence WHERE head_hash = ?1",
	[S_OCC_DELETE] = "DELETE FROM occurrence WHERE id = ?1",
	[S_SIG_BY_HASH] = "SELECT id, label, verdict, evidence_level FROM signature WHERE hash = ?1",
	[S_SIG_BY_ID] = "SELECT id, label, verdict, evidence_level FROM signature WHERE id = ?1",
	[S_SIG_INSERT] =
		"INSERT INTO signature (hash, title, display_title, bug_type, unknown_origin, top_func,"
		" subsystem, verdict, writer, confidence, field, rule, evidence, marking, evidence_level,"
		" count, first_seen, last_seen, first_kernel, last_kernel)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 0, ?16, ?16, ?17, ?17)",
	[S_SIG_BUMP] =
		"UPDATE signature SET count = count + 1, last_seen = ?2,"
		" last_kernel = COALESCE(?3, last_kernel), first_kernel = COALESCE(first_kernel, ?3)"
		" WHERE id = ?1",
	[S_SIG_DEC] = "UPDATE signature SET count = count - 1 WHERE id = ?1",
	[S_SIG_DELETE_EMPTY] = "DELETE FROM signature WHERE id = ?1 AND count <= 0 AND label IS NULL",
	[S_SIG_CLASSIFY] =
		"UPDATE signature SET verdict = ?2, writer = ?3, confidence = ?4, field = ?5, rule = ?6,"
		" evidence = ?7, marking = ?8, evidence_level = ?9, subsystem = COALESCE(?10, subsystem)"
		" WHERE id = ?1",
	[S_OCC_INSERT] =
		"INSERT INTO occurrence (signature_id, hash, head_hash, source, line, end_line, byte_offset,"
		" log_time, stored_at, kernel, comm, pid, cpu, hardware, value_old, value_new, bits_changed,"
		" bits_mask, truncated, raw)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
	[S_ACC_INSERT] =
		"INSERT INTO access (occurrence_id, idx, type, marked, reordered, scoped, unknown_origin, addr,"
		" size, ctx, pid, task, cpu, elided, frames_dropped)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	[S_FRAME_INSERT] =
		"INSERT INTO frame (access_id, idx, kind, func, offset, size, module, buildid, file, line, col,"
		" inlined, unreliable, symbolized, given, src, note)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
};

static const char schema_sql[] =
	"CREATE TABLE signature ("
	" id INTEGER PRIMARY KEY,"
	" hash TEXT NOT NULL UNIQUE,"
	" title TEXT,"
	" display_title TEXT NOT NULL,"
	" bug_type TEXT NOT NULL,"
	" unknown_origin INTEGER NOT NULL,"
	" top_func TEXT,"
	" subsystem TEXT,"
	" verdict TEXT NOT NULL,"
	" writer TEXT, confidence TEXT, field TEXT, rule TEXT, evidence TEXT, marking TEXT,"
	" evidence_level INTEGER NOT NULL DEFAULT 0,"
	" label TEXT, label_note TEXT, label_time TEXT,"
	" count INTEGER NOT NULL DEFAULT 0,"
	" first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,"
	" first_kernel TEXT, last_kernel TEXT);"
	"CREATE TABLE occurrence ("
	" id INTEGER PRIMARY KEY,"
	" signature_id INTEGER NOT NULL REFERENCES signature(id),"
	" hash TEXT NOT NULL UNIQUE,"
	" head_hash TEXT NOT NULL,"
	" source TEXT NOT NULL, line INTEGER NOT NULL, end_line INTEGER NOT NULL,"
	" byte_offset INTEGER NOT NULL,"
	" log_time TEXT, stored_at TEXT NOT NULL,"
	" kernel TEXT, comm TEXT, pid INTEGER, cpu INTEGER, hardware TEXT,"
	" value_old TEXT, value_new TEXT, bits_changed TEXT, bits_mask TEXT,"
	" truncated INTEGER NOT NULL, raw TEXT NOT NULL);"
	"CREATE INDEX occurrence_sig ON occurrence(signature_id);"
	"CREATE INDEX occurrence_head ON occurrence(head_hash);"
	"CREATE TABLE access ("
	" id INTEGER PRIMARY KEY,"
	" occurrence_id INTEGER NOT NULL REFERENCES occurrence(id) ON DELETE CASCADE,"
	" idx INTEGER NOT NULL, type TEXT NOT NULL,"
	" marked INTEGER NOT NULL, reordered INTEGER NOT NULL, scoped INTEGER NOT NULL,"
	" unknown_origin INTEGER NOT NULL,"
	" addr TEXT, size INTEGER, ctx TEXT NOT NULL, pid INTEGER, task TEXT, cpu INTEGER,"
	" elided INTEGER NOT NULL, frames_dropped INTEGER NOT NULL);"
	"CREATE INDEX access_occ ON access(occurrence_id);"
	"CREATE TABLE frame ("
	" id INTEGER PRIMARY KEY,"
	" access_id INTEGER NOT NULL REFERENCES access(id) ON DELETE CASCADE,"
	" idx INTEGER NOT NULL, kind TEXT NOT NULL,"
	" func TEXT NOT NULL, offset INTEGER, size INTEGER, module TEXT, buildid TEXT,"
	" file TEXT, line INTEGER, col INTEGER,"
	" inlined INTEGER NOT NULL, unreliable INTEGER NOT NULL, symbolized INTEGER NOT NULL,"
	" given INTEGER NOT NULL, src TEXT, note TEXT);"
	"CREATE INDEX frame_acc ON frame(access_id);";

struct store {
	struct ctx *ctx;
	sqlite3 *db;
	char *path;
	bool readonly;
	bool immutable;
	bool in_tx;
	sqlite3_stmt *stmt[S_COUNT];
};

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

static int check_schema(struct store *st)
{
	int version = 0, app = 0, tables = 0;

	if (pragma_int(st, "PRAGMA application_id", &app) < 0 ||
	    pragma_int(st, "PRAGMA user_version", &version) < 0 ||
	    pragma_int(st, "SELECT count(*) FROM sqlite_master", &tables) < 0) {
		int code = sqlite3_extended_errcode(st->db) & 0xff;

		/* a WAL database on read-only storage: the caller retries */
		if (st->readonly && (code == SQLITE_READONLY || code == SQLITE_CANTOPEN) && !st->immutable)
			return -2;
		db_error(st, NULL, "cannot read the database");
		return -1;
	}
	if (app != APP_ID && tables > 0) {
		kt_error(st->ctx, KT_EXIT_STORE, st->path,
			 "not a kcsan-triage database (it holds other tables); give another --db");
		return -1;
	}
	if (version > STORE_SCHEMA_VERSION) {
		kt_error(st->ctx, KT_EXIT_STORE, st->path,
			 "database schema %d is newer than this kcsan-triage understands (%d)", version,
			 STORE_SCHEMA_VERSION);
		return -1;
	}
	if (version == STORE_SCHEMA_VERSION)
		return 0;
	if (st->readonly) {
		kt_error(st->ctx, KT_EXIT_STORE, st->path, "empty database: run '%s scan' first", KT_PROG);
		return -1;
	}
	/* a new store: create the schema in one transaction */
	if (exec(st, "BEGIN IMMEDIATE", "cannot create the database") < 0)
		return -1;
	if (exec(st, schema_sql, "cannot create the database") < 0 ||
	    exec(st, "PRAGMA application_id = 1262703444; PRAGMA user_version = 1;", "cannot create the database") < 0) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return exec(st, "COMMIT", "cannot create the database");
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

struct store *store_open(struct ctx *ctx, const char *path, bool readonly)
{
	struct store *st = xcalloc(1, sizeof(*st));
	int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	struct stat sb;

	st->ctx = ctx;
	st->path = xstrdup(path);
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
	case -2:
		/* a WAL database on read-only storage: read it as immutable */
		sqlite3_close(st->db);
		st->db = NULL;
		st->immutable = true;
		if (open_immutable(st) < 0 || check_schema(st) < 0)
			goto fail;
		break;
	default:
		goto fail;
	}
	if (!readonly) {
		int ok = 0;
		sqlite3_stmt *s;

		/* WAL lets parallel CI jobs read while one writes */
		if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL) == SQLITE_OK) {
			ok = sqlite3_step(s) == SQLITE_ROW;
			sqlite3_finalize(s);
		}
		if (!ok) {
			db_error(st, NULL, "cannot use the database");
			goto fail;
		}
		exec(st, "PRAGMA synchronous = NORMAL", "cannot use the database");
	}
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
	if (st->in_tx)
		store_rollback(st);
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
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

static sqlite3_stmt *stmt(struct store *st, enum stmt_id id)
{
	if (!st->stmt[id]) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[id], NULL) !=
		    SQLITE_OK) {
			db_error(st, NULL, "cannot prepare a statement");
			return NULL;
		}
	}
	sqlite3_reset(st->stmt[id]);
	sqlite3_clear_bindings(st->stmt[id]);
	return st->stmt[id];
}

int store_begin(struct store *st, const char *pos)
{
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		db_error(st, pos, "cannot start writing");
		return -1;
	}
	st->in_tx = true;
	return 0;
}

int store_commit(struct store *st, const char *pos)
{
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_error(st, pos, "cannot commit");
		store_rollback(st);
		return -1;
	}
	st->in_tx = false;
	return 0;
}

void store_rollback(struct store *st)
{
	if (st->in_tx)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->in_tx = false;
}

/* ---------------------------------------------------------------------- */
/* binding helpers */

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
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

static int step_done(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_error(st, NULL, what);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* adding reports */

static int insert_frame(struct store *st, int64_t acc_id, int idx, const char *kind, const struct frame *f)
{
	sqlite3_stmt *s = stmt(st, S_FRAME_INSERT);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, acc_id);
	sqlite3_bind_int(s, 2, idx);
	bind_text(s, 3, kind);
	bind_text(s, 4, f->func ? f->func : "?");
	bind_int_or_null(s, 5, f->has_off, (long long)f->off);
	bind_int_or_null(s, 6, f->has_off, (long long)f->size);
	bind_text(s, 7, f->module);
	bind_text(s, 8, f->buildid);
	bind_text(s, 9, f->file);
	bind_int_or_null(s, 10, f->line > 0, f->line);
	bind_int_or_null(s, 11, f->column > 0, f->column);
	sqlite3_bind_int(s, 12, f->inlined);
	sqlite3_bind_int(s, 13, f->unreliable);
	sqlite3_bind_int(s, 14, f->symbolized);
	sqlite3_bind_int(s, 15, f->given);
	bind_text(s, 16, f->src);
	bind_text(s, 17, f->sym_note);
	return step_done(st, s, "cannot store a frame");
}

static int insert_occurrence(struct store *st, int64_t sig_id, const struct report *r, const char *hash,
			     const char *head, int64_t now)
{
	sqlite3_stmt *s = stmt(st, S_OCC_INSERT);
	char when[32];
	int64_t occ_id;

	if (!s)
		return -1;
	kt_format_time(now, when);
	sqlite3_bind_int64(s, 1, sig_id);
	bind_text(s, 2, hash);
	bind_text(s, 3, head);
	bind_text(s, 4, r->source ? r->source : "-");
	sqlite3_bind_int64(s, 5, (sqlite3_int64)r->line);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)r->end_line);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)r->offset);
	bind_text(s, 8, r->log_time);
	bind_text(s, 9, when);
	bind_text(s, 10, r->kernel);
	bind_text(s, 11, r->comm);
	bind_int_or_null(s, 12, r->rep_pid >= 0, r->rep_pid);
	bind_int_or_null(s, 13, r->rep_cpu >= 0, r->rep_cpu);
	bind_text(s, 14, r->hardware);
	bind_text(s, 15, r->value_old);
	bind_text(s, 16, r->value_new);
	bind_text(s, 17, r->bits_changed);
	bind_text(s, 18, r->bits_mask);
	sqlite3_bind_int(s, 19, r->truncated);
	sqlite3_bind_text(s, 20, sbuf_str(&r->raw), (int)r->raw.len, SQLITE_TRANSIENT);
	if (step_done(st, s, "cannot store an occurrence") < 0)
		return -1;
	occ_id = sqlite3_last_insert_rowid(st->db);
	for (int i = 0; i < r->nacc; i++) {
		const struct access *a = &r->acc[i];
		char addr[32];
		int64_t acc_id;

		s = stmt(st, S_ACC_INSERT);
		if (!s)
			return -1;
		snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)a->addr);
		sqlite3_bind_int64(s, 1, occ_id);
		sqlite3_bind_int(s, 2, i);
		bind_text(s, 3, access_type_name(a->type));
		sqlite3_bind_int(s, 4, a->marked);
		sqlite3_bind_int(s, 5, a->reordered);
		sqlite3_bind_int(s, 6, a->scoped);
		sqlite3_bind_int(s, 7, a->unknown_origin);
		bind_text(s, 8, a->has_addr ? addr : NULL);
		bind_int_or_null(s, 9, a->has_size, (long long)a->size);
		bind_text(s, 10, a->ctx == CTX_TASK ? "task" : "interrupt");
		bind_int_or_null(s, 11, a->pid >= 0, a->pid);
		bind_text(s, 12, a->task);
		bind_int_or_null(s, 13, a->cpu >= 0, a->cpu);
		sqlite3_bind_int(s, 14, a->elided);
		sqlite3_bind_int64(s, 15, (sqlite3_int64)a->frames_dropped);
		if (step_done(st, s, "cannot store an access") < 0)
			return -1;
		acc_id = sqlite3_last_insert_rowid(st->db);
		for (size_t j = 0; j < a->nframes; j++)
			if (insert_frame(st, acc_id, (int)j, "stack", &a->frames[j]) < 0)
				return -1;
		if (a->reordered_to && insert_frame(st, acc_id, 0, "reordered_to", a->reordered_to) < 0)
			return -1;
	}
	return 0;
}

/* Remove truncated copies of this report's head: a fuller copy replaces them. */
static int drop_truncated_heads(struct store *st, const char *head, bool *had)
{
	sqlite3_stmt *s = stmt(st, S_OCC_BY_HEAD);
	int64_t ids[64], sigs[64];
	int n = 0, rc;

	*had = false;
	if (!s)
		return -1;
	bind_text(s, 1, head);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < 64) {
		if (sqlite3_column_int(s, 2)) {
			ids[n] = sqlite3_column_int64(s, 0);
			sigs[n] = sqlite3_column_int64(s, 1);
			n++;
		}
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_error(st, NULL, "cannot read occurrences");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		s = stmt(st, S_OCC_DELETE);
		sqlite3_bind_int64(s, 1, ids[i]);
		if (step_done(st, s, "cannot replace an occurrence") < 0)
			return -1;
		s = stmt(st, S_SIG_DEC);
		sqlite3_bind_int64(s, 1, sigs[i]);
		if (step_done(st, s, "cannot replace an occurrence") < 0)
			return -1;
		s = stmt(st, S_SIG_DELETE_EMPTY);
		sqlite3_bind_int64(s, 1, sigs[i]);
		if (step_done(st, s, "cannot replace an occurrence") < 0)
			return -1;
		*had = true;
	}
	return 0;
}

static bool head_exists(struct store *st, const char *head)
{
	sqlite3_stmt *s = stmt(st, S_OCC_BY_HEAD);

	if (!s)
		return false;
	bind_text(s, 1, head);
	return sqlite3_step(s) == SQLITE_ROW;
}

static int classify_signature(struct store *st, int64_t id, const struct report *r, const char *subsystem)
{
	const struct classification *c = &r->cls;
	sqlite3_stmt *s = stmt(st, S_SIG_CLASSIFY);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, verdict_name(c->verdict));
	bind_text(s, 3, writer_name(c->writer));
	bind_text(s, 4, confidence_name(c->confidence));
	bind_text(s, 5, c->field);
	bind_text(s, 6, c->rule);
	bind_text(s, 7, c->evidence);
	bind_text(s, 8, c->marking);
	sqlite3_bind_int(s, 9, c->level);
	bind_text(s, 10, subsystem);
	return step_done(st, s, "cannot store a verdict");
}

enum store_result store_add_report(struct store *st, const struct report *r, const char *subsystem,
				   int64_t now, struct store_added *out)
{
	char hash[33], head[33], sig[33], when[32];
	sqlite3_stmt *s;
	int64_t sig_id = 0, dup_sig = 0;
	bool upgraded = false, found = false;
	char *label = NULL;
	int level = 0;
	enum store_result res = STORE_ADDED;

	memset(out, 0, sizeof(*out));
	report_occurrence_hash(r, hash);
	report_head_hash(r, head);
	report_signature(r, sig);
	kt_format_time(now, when);

	/* the same occurrence again: nothing to add */
	s = stmt(st, S_OCC_BY_HASH);
	if (!s)
		return STORE_FAILED;
	bind_text(s, 1, hash);
	if (sqlite3_step(s) == SQLITE_ROW) {
		res = STORE_DUPLICATE;
		dup_sig = sqlite3_column_int64(s, 1);
	} else if (r->truncated && head_exists(st, head)) {
		res = STORE_DUPLICATE;   /* a cut copy of a report we have */
	} else {
		if (!r->truncated && drop_truncated_heads(st, head, &upgraded) < 0)
			return STORE_FAILED;
		if (upgraded)
			res = STORE_UPGRADED;
	}
	/* the signature: found or created (after dropping cut copies, which may
	   empty one); a known occurrence keeps the signature it was stored under */
	s = stmt(st, dup_sig ? S_SIG_BY_ID : S_SIG_BY_HASH);
	if (!s)
		return STORE_FAILED;
	if (dup_sig)
		sqlite3_bind_int64(s, 1, dup_sig);
	else
		bind_text(s, 1, sig);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		sig_id = sqlite3_column_int64(s, 0);
		label = col_dup(s, 1);
		level = sqlite3_column_int(s, 3);
		found = true;
		break;
	case SQLITE_DONE:
		break;
	default:
		db_error(st, NULL, "cannot read signatures");
		return STORE_FAILED;
	}

	if (res == STORE_DUPLICATE && !found) {
		/* its signature changed (new rules, a vmlinux): keep the old row */
		free(label);
		out->effective = r->cls.verdict;
		return STORE_DUPLICATE;
	}

	if (!found) {
		char *dt = report_display_title(r);
		const struct frame *tf = report_top_frame(r, 0);
		char base[256];

		if (tf)
			func_base_name(tf->func, base, sizeof(base));
		s = stmt(st, S_SIG_INSERT);
		if (!s) {
			free(dt);
			goto fail;
		}
		bind_text(s, 1, sig);
		bind_text(s, 2, r->title);
		bind_text(s, 3, dt);
		bind_text(s, 4, bug_type_name(r->bug_type));
		sqlite3_bind_int(s, 5, r->unknown_origin);
		bind_text(s, 6, tf ? base : NULL);
		bind_text(s, 7, subsystem);
		bind_text(s, 8, verdict_name(r->cls.verdict));
		bind_text(s, 9, writer_name(r->cls.writer));
		bind_text(s, 10, confidence_name(r->cls.confidence));
		bind_text(s, 11, r->cls.field);
		bind_text(s, 12, r->cls.rule);
		bind_text(s, 13, r->cls.evidence);
		bind_text(s, 14, r->cls.marking);
		sqlite3_bind_int(s, 15, r->cls.level);
		bind_text(s, 16, when);
		bind_text(s, 17, r->kernel);
		free(dt);
		if (step_done(st, s, "cannot store a signature") < 0)
			goto fail;
		sig_id = sqlite3_last_insert_rowid(st->db);
		out->new_signature = true;
	} else if (r->cls.level >= level) {
		/* the verdict of the run with the most evidence wins; a label always wins */
		if (classify_signature(st, sig_id, r, subsystem) < 0)
			goto fail;
	}

	if (res != STORE_DUPLICATE) {
		if (insert_occurrence(st, sig_id, r, hash, head, now) < 0)
			goto fail;
		s = stmt(st, S_SIG_BUMP);
		if (!s)
			goto fail;
		sqlite3_bind_int64(s, 1, sig_id);
		bind_text(s, 2, when);
		bind_text(s, 3, r->kernel);
		if (step_done(st, s, "cannot count an occurrence") < 0)
			goto fail;
	}
	out->sig_id = sig_id;
	out->labelled = label != NULL;
	out->effective = label ? (enum verdict)verdict_from_name(label) : r->cls.verdict;
	free(label);
	return res;
fail:
	free(label);
	return STORE_FAILED;
}

/* ---------------------------------------------------------------------- */
/* reading */

void sig_row_release(struct sig_row *s)
{
	free(s->title);
	free(s->display_title);
	free(s->bug_type);
	free(s->top_func);
	free(s->subsystem);
	free(s->verdict);
	free(s->writer);
	free(s->confidence);
	free(s->field);
	free(s->rule);
	free(s->evidence);
	free(s->marking);
	free(s->label);
	free(s->label_note);
	free(s->label_time);
	free(s->first_seen);
	free(s->last_seen);
	free(s->first_kernel);
	free(s->last_kernel);
	memset(s, 0, sizeof(*s));
}

#define SIG_COLUMNS \
	"id, title, display_title, bug_type, top_func, subsystem, unknown_origin, verdict, writer," \
	" confidence, field, rule, evidence, marking, label, label_note, label_time, count, first_seen," \
	" last_seen, first_kernel, last_kernel"

static void read_sig_row(sqlite3_stmt *s, struct sig_row *r)
{
	r->id = sqlite3_column_int64(s, 0);
	r->title = col_dup(s, 1);
	r->display_title = col_dup(s, 2);
	r->bug_type = col_dup(s, 3);
	r->top_func = col_dup(s, 4);
	r->subsystem = col_dup(s, 5);
	r->unknown_origin = sqlite3_column_int(s, 6);
	r->verdict = col_dup(s, 7);
	r->writer = col_dup(s, 8);
	r->confidence = col_dup(s, 9);
	r->field = col_dup(s, 10);
	r->rule = col_dup(s, 11);
	r->evidence = col_dup(s, 12);
	r->marking = col_dup(s, 13);
	r->label = col_dup(s, 14);
	r->label_note = col_dup(s, 15);
	r->label_time = col_dup(s, 16);
	r->count = sqlite3_column_int64(s, 17);
	r->first_seen = col_dup(s, 18);
	r->last_seen = col_dup(s, 19);
	r->first_kernel = col_dup(s, 20);
	r->last_kernel = col_dup(s, 21);
}

int store_list(struct store *st, const struct list_filter *f, sig_row_fn fn, void *data)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT " SIG_COLUMNS " FROM signature"
			       " WHERE (?1 IS NULL OR COALESCE(label, verdict) = ?1)"
			       " AND (?2 IS NULL OR instr(lower(display_title), lower(?2)) > 0"
			       "      OR instr(lower(COALESCE(field, '')), lower(?2)) > 0"
			       "      OR instr(lower(COALESCE(top_func, '')), lower(?2)) > 0"
			       "      OR instr(lower(COALESCE(subsystem, '')), lower(?2)) > 0)"
			       " ORDER BY id LIMIT ?3",
			       -1, &s, NULL) != SQLITE_OK) {
		db_error(st, NULL, "cannot list");
		return -1;
	}
	bind_text(s, 1, f->verdict);
	bind_text(s, 2, f->grep);
	sqlite3_bind_int64(s, 3, f->limit > 0 ? f->limit : -1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct sig_row r;

		read_sig_row(s, &r);
		fn(&r, data);
		sig_row_release(&r);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		db_error(st, NULL, "cannot list");
		return -1;
	}
	return 0;
}

int store_get_signature(struct store *st, int64_t id, struct sig_row *out)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT " SIG_COLUMNS " FROM signature WHERE id = ?1", -1, &s, NULL) !=
	    SQLITE_OK) {
		db_error(st, NULL, "cannot read a report");
		return -1;
	}
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_sig_row(s, out);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	db_error(st, NULL, "cannot read a report");
	return -1;
}

static int load_frames(struct store *st, int64_t acc_id, struct access *a)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT kind, func, offset, size, module, buildid, file, line, col, inlined,"
			       " unreliable, symbolized, given, src, note FROM frame WHERE access_id = ?1"
			       " ORDER BY kind = 'reordered_to', idx",
			       -1, &s, NULL) != SQLITE_OK) {
		db_error(st, NULL, "cannot read frames");
		return -1;
	}
	sqlite3_bind_int64(s, 1, acc_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct frame *f;
		const char *kind = (const char *)sqlite3_column_text(s, 0);

		if (kind && !strcmp(kind, "reordered_to")) {
			f = xcalloc(1, sizeof(*f));
			a->reordered_to = f;
		} else {
			f = access_add_frame(a);
		}
		f->func = col_dup(s, 1);
		f->has_off = sqlite3_column_type(s, 2) != SQLITE_NULL;
		f->off = (uint64_t)sqlite3_column_int64(s, 2);
		f->size = (uint64_t)sqlite3_column_int64(s, 3);
		f->module = col_dup(s, 4);
		f->buildid = col_dup(s, 5);
		f->file = col_dup(s, 6);
		f->line = sqlite3_column_int(s, 7);
		f->column = sqlite3_column_int(s, 8);
		f->inlined = sqlite3_column_int(s, 9);
		f->unreliable = sqlite3_column_int(s, 10);
		f->symbolized = sqlite3_column_int(s, 11);
		f->given = sqlite3_column_int(s, 12);
		f->src = col_dup(s, 13);
		f->sym_note = col_dup(s, 14);
		if (f->func && f->func[0] == '0' && f->func[1] == 'x') {
			f->is_addr = true;
			f->addr = strtoull(f->func, NULL, 16);
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		db_error(st, NULL, "cannot read frames");
		return -1;
	}
	return 0;
}

static enum access_type type_from_name(const char *t)
{
	for (int i = ACC_READ; i <= ACC_ASSERT_NO_ACCESSES; i++)
		if (t && !strcmp(t, access_type_name((enum access_type)i)))
			return (enum access_type)i;
	return ACC_READ;
}

static int load_accesses(struct store *st, int64_t occ_id, struct report *r)
{
	sqlite3_stmt *s;
	int rc;
	int64_t ids[REPORT_MAX_ACCESSES];

	if (sqlite3_prepare_v2(st->db,
			       "SELECT id, type, marked, reordered, scoped, unknown_origin, addr, size, ctx, pid,"
			       " task, cpu, elided, frames_dropped FROM access WHERE occurrence_id = ?1 ORDER BY idx",
			       -1, &s, NULL) != SQLITE_OK) {
		db_error(st, NULL, "cannot read accesses");
		return -1;
	}
	sqlite3_bind_int64(s, 1, occ_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && r->nacc < REPORT_MAX_ACCESSES) {
		struct access *a = &r->acc[r->nacc];
		const char *addr = (const char *)sqlite3_column_text(s, 6);
		const char *ctxs = (const char *)sqlite3_column_text(s, 8);

		ids[r->nacc++] = sqlite3_column_int64(s, 0);
		a->type = type_from_name((const char *)sqlite3_column_text(s, 1));
		a->marked = sqlite3_column_int(s, 2);
		a->reordered = sqlite3_column_int(s, 3);
		a->scoped = sqlite3_column_int(s, 4);
		a->unknown_origin = sqlite3_column_int(s, 5);
		a->has_addr = addr != NULL;
		a->addr = addr ? strtoull(addr, NULL, 16) : 0;
		a->has_size = sqlite3_column_type(s, 7) != SQLITE_NULL;
		a->size = (uint64_t)sqlite3_column_int64(s, 7);
		a->ctx = ctxs && !strcmp(ctxs, "interrupt") ? CTX_INTERRUPT : CTX_TASK;
		a->pid = sqlite3_column_type(s, 9) == SQLITE_NULL ? -1 : (long)sqlite3_column_int64(s, 9);
		a->task = col_dup(s, 10);
		a->cpu = sqlite3_column_type(s, 11) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 11);
		a->elided = sqlite3_column_int(s, 12);
		a->frames_dropped = (size_t)sqlite3_column_int64(s, 13);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_error(st, NULL, "cannot read accesses");
		return -1;
	}
	for (int i = 0; i < r->nacc; i++)
		if (load_frames(st, ids[i], &r->acc[i]) < 0)
			return -1;
	return 0;
}

int store_occurrences(struct store *st, int64_t sig_id, long limit, occ_fn fn, void *data)
{
	sqlite3_stmt *s;
	int rc, ret = 0;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT o.id, o.source, o.line, o.end_line, o.byte_offset, o.log_time, o.stored_at,"
			       " o.kernel, o.comm, o.pid, o.cpu, o.hardware, o.value_old, o.value_new,"
			       " o.bits_changed, o.bits_mask, o.truncated, o.raw,"
			       " s.title, s.bug_type, s.unknown_origin, s.verdict, s.writer, s.confidence, s.field,"
			       " s.rule, s.evidence, s.marking"
			       " FROM occurrence o JOIN signature s ON s.id = o.signature_id"
			       " WHERE o.signature_id = ?1 ORDER BY o.truncated, o.id LIMIT ?2",
			       -1, &s, NULL) != SQLITE_OK) {
		db_error(st, NULL, "cannot read occurrences");
		return -1;
	}
	sqlite3_bind_int64(s, 1, sig_id);
	sqlite3_bind_int64(s, 2, limit > 0 ? limit : -1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct report *r = report_new();
		const char *raw = (const char *)sqlite3_column_text(s, 17);
		const char *bt = (const char *)sqlite3_column_text(s, 19);
		const char *v = (const char *)sqlite3_column_text(s, 21);
		const char *w = (const char *)sqlite3_column_text(s, 22);
		const char *c = (const char *)sqlite3_column_text(s, 23);
		int64_t occ_id = sqlite3_column_int64(s, 0);
		char *stored_at = col_dup(s, 6);

		r->source = col_dup(s, 1);
		r->line = (uint64_t)sqlite3_column_int64(s, 2);
		r->end_line = (uint64_t)sqlite3_column_int64(s, 3);
		r->offset = (uint64_t)sqlite3_column_int64(s, 4);
		r->log_time = col_dup(s, 5);
		r->kernel = col_dup(s, 7);
		r->comm = col_dup(s, 8);
		r->rep_pid = sqlite3_column_type(s, 9) == SQLITE_NULL ? -1 : (long)sqlite3_column_int64(s, 9);
		r->rep_cpu = sqlite3_column_type(s, 10) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 10);
		r->hardware = col_dup(s, 11);
		r->value_old = col_dup(s, 12);
		r->value_new = col_dup(s, 13);
		r->has_value = r->value_old != NULL;
		r->bits_changed = col_dup(s, 14);
		r->bits_mask = col_dup(s, 15);
		r->truncated = sqlite3_column_int(s, 16);
		if (raw)
			sbuf_adds(&r->raw, raw);
		r->title = col_dup(s, 18);
		r->bug_type = bt && !strcmp(bt, "assert") ? BUG_ASSERT : BUG_DATA_RACE;
		r->unknown_origin = sqlite3_column_int(s, 20);
		r->cls.verdict = v && verdict_from_name(v) > 0 ? (enum verdict)verdict_from_name(v) : V_NONE;
		r->cls.writer = !w ? W_NONE : !strcmp(w, "device") ? W_DEVICE : !strcmp(w, "hypervisor") ? W_HYPERVISOR : W_USER;
		r->cls.confidence = !c ? CONF_NONE : !strcmp(c, "certain") ? CONF_CERTAIN : CONF_LIKELY;
		r->cls.field = col_dup(s, 24);
		r->cls.rule = col_dup(s, 25);
		r->cls.evidence = col_dup(s, 26);
		r->cls.marking = col_dup(s, 27);
		if (load_accesses(st, occ_id, r) < 0) {
			report_free(r);
			free(stored_at);
			ret = -1;
			break;
		}
		fn(r, occ_id, stored_at, data);
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

int store_set_label(struct store *st, int64_t id, const char *verdict, const char *note, int64_t now)
{
	sqlite3_stmt *s;
	char when[32];
	int rc;

	kt_format_time(now, when);
	if (sqlite3_prepare_v2(st->db,
			       "UPDATE signature SET label = ?2, label_note = ?3, label_time = ?4 WHERE id = ?1", -1,
			       &s, NULL) != SQLITE_OK) {
		db_error(st, NULL, "cannot label");
		return -1;
	}
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, verdict);
	bind_text(s, 3, verdict ? note : NULL);
	bind_text(s, 4, verdict ? when : NULL);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		db_error(st, NULL, "cannot label");
		return -1;
	}
	return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

int store_count_by(struct store *st, const char *what, long limit, struct count_row **rows, size_t *n)
{
	static const struct { const char *name, *expr; } groups[] = {
		{ "verdict", "COALESCE(label, verdict)" },
		{ "bug_type", "bug_type || CASE WHEN unknown_origin THEN ' (unknown origin)' ELSE '' END" },
		{ "function", "COALESCE(top_func, '?')" },
		{ "subsystem", "COALESCE(subsystem, 'unknown')" },
		{ "writer", "COALESCE(writer, '-')" },
	};
	const char *expr = NULL;
	char *sql;
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc;

	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (!strcmp(groups[i].name, what))
			expr = groups[i].expr;
	if (!expr)
		return -1;
	sql = xasprintf("SELECT %s AS k, count(*), sum(count) FROM signature GROUP BY k"
			" ORDER BY sum(count) DESC, k LIMIT ?1", expr);
	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	free(sql);
	if (rc != SQLITE_OK) {
		db_error(st, NULL, "cannot count");
		return -1;
	}
	sqlite3_bind_int64(s, 1, limit > 0 ? limit : -1);
	*rows = NULL;
	*n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ALLOC_GROW(*rows, *n, cap);
		(*rows)[*n].key = col_dup(s, 0);
		(*rows)[*n].sigs = sqlite3_column_int64(s, 1);
		(*rows)[*n].occs = sqlite3_column_int64(s, 2);
		(*n)++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		db_error(st, NULL, "cannot count");
		return -1;
	}
	return 0;
}

void count_rows_free(struct count_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i].key);
	free(rows);
}
