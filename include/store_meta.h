/*
 * store_meta.h - an occurrence's wall-clock time and its mail's or
 * syzbot's metadata (mailmeta.h) in the store: the table occurrence_meta
 * of schema 4, one row per occurrence that has any.  store.c calls these
 * with its statements, inside its transaction.
 */
#ifndef STORE_META_H
#define STORE_META_H

#include <sqlite3.h>

#include "report.h"

/* The table (its columns: mailmeta_field_name()'s, and time), for a new store and the step 3 -> 4. */
#define STORE_META_SCHEMA \
	"CREATE TABLE occurrence_meta (occurrence_id INTEGER PRIMARY KEY" \
	" REFERENCES occurrence(id) ON DELETE CASCADE, time TEXT, extid TEXT, head_commit TEXT, git_tree TEXT," \
	" console_output TEXT, kernel_config TEXT, dashboard_link TEXT, syz_repro TEXT, c_reproducer TEXT," \
	" date TEXT, message_id TEXT, subject TEXT);" \
	"CREATE INDEX occurrence_meta_extid ON occurrence_meta(extid);"

/* A signature (the row "signature" of the query) with an occurrence whose metadata matches. */
#define STORE_META_OF_SIG \
	"EXISTS (SELECT 1 FROM occurrence mo JOIN occurrence_meta mm ON mm.occurrence_id = mo.id" \
	" WHERE mo.signature_id = signature.id AND "
#define STORE_META_HAS(col) "instr(lower(COALESCE(mm." col ", '')), lower(:grep)) > 0"
/* list --grep: a substring of the extid, HEAD commit, Subject:, Message-ID: or dashboard link */
#define STORE_META_GREP_SQL \
	STORE_META_OF_SIG "(" STORE_META_HAS("extid") " OR " STORE_META_HAS("head_commit") " OR " \
	STORE_META_HAS("subject") " OR " STORE_META_HAS("message_id") " OR " STORE_META_HAS("dashboard_link") "))"
/* list --extid: an occurrence with this extid (:extid NULL: any) */
#define STORE_META_EXTID_SQL "(:extid IS NULL OR " STORE_META_OF_SIG "mm.extid = :extid))"

#define STORE_META_COLS \
	"time, extid, head_commit, git_tree, console_output, kernel_config, dashboard_link, syz_repro," \
	" c_reproducer, date, message_id, subject"
/* merge: the other store's metadata, for its occurrences copied here (by their key) */
#define STORE_META_MERGE_SQL \
	"INSERT OR IGNORE INTO main.occurrence_meta (occurrence_id, " STORE_META_COLS ")" \
	" SELECT c.id, om.time, om.extid, om.head_commit, om.git_tree, om.console_output, om.kernel_config," \
	" om.dashboard_link, om.syz_repro, om.c_reproducer, om.date, om.message_id, om.subject" \
	" FROM other.occurrence_meta om" \
	" JOIN other.occurrence oo ON oo.id = om.occurrence_id JOIN main.occurrence c ON c.head = oo.head AND c.key = oo.key;"

/* The statements (the caller prepares each once and keeps it): their SQL, to free. */
char *store_meta_add_sql(void);
char *store_meta_read_sql(void);
/* Keep r's time and metadata for occurrence occ with s (add_sql's): 0, or -1 (s NULL, or the db's error). */
int store_meta_add(sqlite3_stmt *s, int64_t occ, const struct report *r);
/* Read them back into r (event_time, meta) with s (read_sql's): 0, or -1 (s NULL, or the db's error). */
int store_meta_read(sqlite3_stmt *s, int64_t occ, struct report *r);

#endif
