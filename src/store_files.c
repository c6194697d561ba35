/* store_files.c - the files a scan read whole, and their reports (store_files.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>
#define ZSTD_STATIC_LINKING_ONLY   /* ZSTD_c_literalCompressionMode */
#include <zstd.h>

#include "store_codec.h"
#include "store_files.h"

/* A loaded row: the file's name and content; its reports are read when it is replayed. */
struct store_file_rec {
	struct hashmap_entry ent;   /* by name */
	int64_t id;
	struct store_file_id fid;
	char name[];
};

enum { SF_PUT, SF_OCC, SF_HEAD, SF_SIG, SF_NSTMT };

#define SF_SIG_COLS \
	"s.id, s.verdict, s.writer, s.confidence, s.field, s.evidence_level, s.subsystem, s.facts, s.label," \
	" s.label_note, s.label_time"
#define SF_READ_SQL \
	"SELECT reports FROM scanned_file WHERE id = ? AND path = ? AND size = ? AND hash = ? AND fingerprint = ?"
static const char *const sf_sql[SF_NSTMT] = {
	[SF_PUT] = "INSERT OR REPLACE INTO scanned_file (path, size, hash, fingerprint, reports) VALUES (?, ?, ?, ?, ?)",
	/* as the store's lookups find a report seen before (store.c find_known()): the columns K_* */
	[SF_OCC] = "SELECT o.evidence_level, o.facts, " SF_SIG_COLS " FROM occurrence o"
		   " LEFT JOIN signature s ON s.id = o.signature_id WHERE o.key = ?1 AND o.head = ?2",
	[SF_HEAD] = "SELECT 1 FROM occurrence WHERE head = ?",
	[SF_SIG] = "SELECT NULL, NULL, " SF_SIG_COLS " FROM signature s WHERE s.key = ?",
};

struct store_files {
	sqlite3 *db;
	unsigned char fp[16];
	struct hashmap map;
	struct store_file_rec **recs;
	size_t nrecs, cap;
	sqlite3_stmt *stmt[SF_NSTMT];
	/* the blobs' compressors (made once, idle ones kept: a context costs more than a file's blob) */
	ZSTD_CCtx **zidle;
	size_t nzidle, zidlecap;
	/* the readers of rows (store_files_read()), a connection each, idle ones kept */
	pthread_mutex_t mu;
	char *path;
	struct sf_reader **idle;
	size_t nidle, idlecap;
};

/*
 * A thread's reader: a read-only connection of its own (what is committed;
 * a row of a file's size, hash and fingerprint says what a parse of it
 * gives, whichever version of the row it is), its statement and zstd.
 */
struct sf_reader {
	sqlite3 *db;
	sqlite3_stmt *read;
	ZSTD_DCtx *zd;
	struct sbuf unz;
};

static void sf_reader_free(struct sf_reader *r);

void store_files_hash(const void *p, size_t n, unsigned char out[16])
{
	XXH128_canonical_t c;

	XXH128_canonicalFromHash(&c, XXH3_128bits(p, n));
	memcpy(out, c.digest, 16);
}

void store_file_reports_free(struct store_file_report *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].field);
		free(v[i].subsystem);
		free(v[i].title);
		free(v[i].text_field);
		free(v[i].reason);
		free(v[i].evidence);
		free(v[i].marking);
		free(v[i].facts);
	}
	free(v);
}

static bool sf_eq(const struct hashmap_entry *e, const struct hashmap_entry *key, const void *keydata)
{
	(void)key;
	return !strcmp(container_of(e, struct store_file_rec, ent)->name, keydata);
}

static sqlite3_stmt *sf_stmt(struct store_files *f, int i)
{
	/* prepared once; reset after each use, every parameter bound anew */
	if (!f->stmt[i] && sqlite3_prepare_v2(f->db, sf_sql[i], -1, &f->stmt[i], NULL) != SQLITE_OK)
		return NULL;
	return f->stmt[i];
}

static void sf_add(struct store_files *f, int64_t id, const char *name, uint64_t size, const void *hash)
{
	size_t len = strlen(name);
	struct store_file_rec *r = xmalloc(sizeof(*r) + len + 1);

	r->id = id;
	r->fid.size = size;
	memcpy(r->fid.hash, hash, 16);
	memcpy(r->name, name, len + 1);
	hashmap_entry_init(&r->ent, kt_hash_str(r->name));
	hashmap_add(&f->map, &r->ent);
	ALLOC_GROW(f->recs, f->nrecs, f->cap);
	f->recs[f->nrecs++] = r;
}

struct store_files *store_files_load(sqlite3 *db, const unsigned char fp[16])
{
	struct store_files *f = xcalloc(1, sizeof(*f));
	sqlite3_stmt *s;
	int rc;

	f->db = db;
	memcpy(f->fp, fp, 16);
	pthread_mutex_init(&f->mu, NULL);
	f->path = xstrdup(sqlite3_db_filename(db, "main") ? sqlite3_db_filename(db, "main") : "");
	hashmap_init(&f->map, sf_eq, 0);
	rc = sqlite3_prepare_v2(db, "SELECT id, path, size, hash FROM scanned_file WHERE fingerprint = ?", -1, &s,
				NULL);
	if (rc != SQLITE_OK) {
		/* no table (a read-only store of an older version): no rows */
		return f;
	}
	sqlite3_bind_blob(s, 1, fp, 16, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 1);

		if (name && sqlite3_column_bytes(s, 3) == 16)
			sf_add(f, sqlite3_column_int64(s, 0), name, (uint64_t)sqlite3_column_int64(s, 2),
			       sqlite3_column_blob(s, 3));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		store_files_free(f);
		return NULL;
	}
	return f;
}

void store_stmt_finalize(sqlite3_stmt *s)
{
#ifdef KT_DEVELOPER
	int steps = s ? sqlite3_stmt_status(s, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0) : 0;

	if (steps) {
		fprintf(stderr, "kcsan-triage: internal error: a lookup scanned a table (%d rows): %s\n", steps,
			sqlite3_sql(s));
		abort();
	}
#endif
	sqlite3_finalize(s);
}

void store_files_free(struct store_files *f)
{
	if (!f)
		return;
	for (int i = 0; i < SF_NSTMT; i++)
		store_stmt_finalize(f->stmt[i]);
	for (size_t i = 0; i < f->nzidle; i++)
		ZSTD_freeCCtx(f->zidle[i]);
	free(f->zidle);
	for (size_t i = 0; i < f->nidle; i++)
		sf_reader_free(f->idle[i]);
	free(f->idle);
	free(f->path);
	pthread_mutex_destroy(&f->mu);
	hashmap_clear(&f->map, HASHMAP_NO_FREE);
	for (size_t i = 0; i < f->nrecs; i++)
		free(f->recs[i]);
	free(f->recs);
	free(f);
}

static const struct store_file_rec *sf_get(const struct store_files *f, const char *name)
{
	struct hashmap_entry *e = hashmap_get(&f->map, kt_hash_str(name), NULL, name);

	return e ? container_of(e, struct store_file_rec, ent) : NULL;
}

const struct store_file_rec *store_files_find(const struct store_files *f, const char *name,
					      const struct store_file_id *id)
{
	const struct store_file_rec *r = f ? sf_get(f, name) : NULL;

	if (!r || r->fid.size != id->size || memcmp(r->fid.hash, id->hash, 16))
		return NULL;
	return r;
}

bool store_files_has_name(const struct store_files *f, const char *name)
{
	return f && sf_get(f, name);
}

sqlite3 *store_files_db(const struct store_files *f)
{
	return f->db;
}

/* ---------------------------------------------------------------------- */
/* the reports' blob: per report its keys, numbers and strings (NULL strings left out, said by a bit) */

enum { SF_TRUNCATED = 1, SF_FIRST = 2 };
#define SF_NSTR 8   /* field, subsystem, title, text_field, reason, evidence, marking, facts */

static void sf_put_u64(struct sbuf *b, uint64_t v)
{
	unsigned char c[10];
	size_t n = 0;

	do {
		c[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		c[n] |= v ? 0x80 : 0;
		n++;
	} while (v);
	sbuf_add(b, c, n);
}

static bool sf_get_u64(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; *p < end && shift < 64; shift += 7) {
		unsigned char c = *(*p)++;

		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return true;
	}
	return false;
}

static bool sf_get_str(const unsigned char **p, const unsigned char *end, char **s)
{
	uint64_t n;

	if (!sf_get_u64(p, end, &n) || n > (uint64_t)(end - *p))
		return false;
	*s = xstrndup((const char *)*p, (size_t)n);
	*p += n;
	return true;
}

/* The strings of a report, in the blob's order. */
#define SF_STRS(r) { &(r)->field, &(r)->subsystem, &(r)->title, &(r)->text_field, &(r)->reason, &(r)->evidence, \
		     &(r)->marking, &(r)->facts }

static void sf_encode(struct sbuf *b, const struct store_file_report *v, size_t n)
{
	sf_put_u64(b, n);
	for (size_t i = 0; i < n; i++) {
		struct store_file_report *r = (struct store_file_report *)&v[i];
		char **strs[SF_NSTR] = SF_STRS(r);
		uint64_t have = 0;

		sf_put_u64(b, (uint64_t)r->occ_key);
		sf_put_u64(b, (uint64_t)r->head_key);
		sbuf_add(b, r->sig, 32);
		sf_put_u64(b, (r->truncated ? SF_TRUNCATED : 0) | (r->title ? SF_FIRST : 0));
		sf_put_u64(b, r->line);
		sf_put_u64(b, r->facts_hash);
		sf_put_u64(b, (uint64_t)(int64_t)r->level);
		sf_put_u64(b, (uint64_t)r->verdict);
		sf_put_u64(b, (uint64_t)r->writer);
		sf_put_u64(b, (uint64_t)r->confidence);
		for (int k = 0; k < SF_NSTR; k++)
			have |= *strs[k] ? 1u << k : 0;
		sf_put_u64(b, have);
		for (int k = 0; k < SF_NSTR; k++)
			if (*strs[k]) {
				sf_put_u64(b, strlen(*strs[k]));
				sbuf_adds(b, *strs[k]);
			}
	}
}

static bool sf_decode_one(const unsigned char **p, const unsigned char *end, struct store_file_report *r)
{
	char **strs[SF_NSTR] = SF_STRS(r);
	uint64_t occ, head, flags, level, verdict, writer, conf, have;

	if (!sf_get_u64(p, end, &occ) || !sf_get_u64(p, end, &head) || end - *p < 32)
		return false;
	r->occ_key = (int64_t)occ;
	r->head_key = (int64_t)head;
	memcpy(r->sig, *p, 32);
	r->sig[32] = '\0';
	r->sig_key = store_hex_key(r->sig);
	*p += 32;
	if (!sf_get_u64(p, end, &flags) || !sf_get_u64(p, end, &r->line) || !sf_get_u64(p, end, &r->facts_hash) ||
	    !sf_get_u64(p, end, &level) || !sf_get_u64(p, end, &verdict) || !sf_get_u64(p, end, &writer) ||
	    !sf_get_u64(p, end, &conf) || !sf_get_u64(p, end, &have))
		return false;
	r->truncated = flags & SF_TRUNCATED;
	r->level = (int)(int64_t)level;
	r->verdict = (enum verdict)verdict;
	r->writer = (enum writer)writer;
	r->confidence = (enum confidence)conf;
	for (int k = 0; k < SF_NSTR; k++)
		if ((have & (1u << k)) && !sf_get_str(p, end, strs[k]))
			return false;
	/* a first has its title */
	return !(flags & SF_FIRST) == !r->title;
}

static int sf_decode(const void *blob, size_t len, struct store_file_report **v, size_t *n)
{
	const unsigned char *p = blob, *end = p + len;
	uint64_t count;
	bool ok;

	*v = NULL;
	*n = 0;
	ok = p && sf_get_u64(&p, end, &count) && count <= len;
	if (ok)
		*v = xcalloc(count ? count : 1, sizeof(**v));
	for (uint64_t i = 0; ok && i < count; i++) {
		ok = sf_decode_one(&p, end, &(*v)[i]);
		*n = (size_t)i + 1;
	}
	if (ok && p == end)
		return 1;
	/* damaged: parse the file instead */
	store_file_reports_free(*v, *n);
	*v = NULL;
	*n = 0;
	return 0;
}

/* The blob: zstd, its size known (a damaged one: 0, the file is parsed). */
static int sf_unzip_decode(struct sf_reader *f, const void *z, size_t zn, struct store_file_report **v,
			   size_t *n)
{
	unsigned long long size = z ? ZSTD_getFrameContentSize(z, zn) : ZSTD_CONTENTSIZE_ERROR;
	size_t got;

	*v = NULL;
	*n = 0;
	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > (64u << 20))
		return 0;
	if (!f->zd)
		f->zd = ZSTD_createDCtx();
	sbuf_reset(&f->unz);
	sbuf_grow(&f->unz, (size_t)size + 1);
	got = ZSTD_decompressDCtx(f->zd, f->unz.buf, (size_t)size + 1, z, zn);
	if (ZSTD_isError(got) || got != size)
		return 0;
	return sf_decode(f->unz.buf, got, v, n);
}

static void sf_reader_free(struct sf_reader *r)
{
	if (!r)
		return;
	sqlite3_finalize(r->read);
	sqlite3_close(r->db);
	ZSTD_freeDCtx(r->zd);
	sbuf_release(&r->unz);
	free(r);
}

/* An idle reader, or a new one (NULL when the store cannot be opened again). */
static struct sf_reader *sf_reader_take(struct store_files *f)
{
	struct sf_reader *r = NULL;

	pthread_mutex_lock(&f->mu);
	if (f->nidle)
		r = f->idle[--f->nidle];
	pthread_mutex_unlock(&f->mu);
	if (r || !*f->path)
		return r;
	r = xcalloc(1, sizeof(*r));
	if (sqlite3_open_v2(f->path, &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(r->db, SF_READ_SQL, -1, &r->read, NULL) != SQLITE_OK) {
		sf_reader_free(r);
		return NULL;
	}
	sqlite3_busy_timeout(r->db, 1000);
	r->zd = ZSTD_createDCtx();
	return r;
}

static void sf_reader_give(struct store_files *f, struct sf_reader *r)
{
	pthread_mutex_lock(&f->mu);
	ALLOC_GROW(f->idle, f->nidle, f->idlecap);
	f->idle[f->nidle++] = r;
	pthread_mutex_unlock(&f->mu);
}

int store_files_read(struct store_files *f, const struct store_file_rec *rec, struct store_file_report **v,
		     size_t *n)
{
	struct sf_reader *r = sf_reader_take(f);
	sqlite3_stmt *s;
	int rc;

	*v = NULL;
	*n = 0;
	if (!r)
		return 0;
	s = r->read;
	sqlite3_bind_int64(s, 1, rec->id);
	sqlite3_bind_text(s, 2, rec->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (int64_t)rec->fid.size);
	sqlite3_bind_blob(s, 4, rec->fid.hash, 16, SQLITE_STATIC);
	sqlite3_bind_blob(s, 5, f->fp, 16, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = sf_unzip_decode(r, sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), v, n);
	else
		rc = rc == SQLITE_DONE ? 0 : -1;
	sqlite3_reset(s);
	sf_reader_give(f, r);
	return rc;
}

/* An idle compressor, or a new one. */
static ZSTD_CCtx *sf_zip_take(struct store_files *f)
{
	ZSTD_CCtx *zc = NULL;

	pthread_mutex_lock(&f->mu);
	if (f->nzidle)
		zc = f->zidle[--f->nzidle];
	pthread_mutex_unlock(&f->mu);
	if (zc)
		return zc;
	/* the strings repeat: matches do it, and literals left as they are read back fastest */
	zc = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(zc, ZSTD_c_compressionLevel, 1);
	ZSTD_CCtx_setParameter(zc, ZSTD_c_literalCompressionMode, ZSTD_ps_disable);
	return zc;
}

static void sf_zip_give(struct store_files *f, ZSTD_CCtx *zc)
{
	pthread_mutex_lock(&f->mu);
	ALLOC_GROW(f->zidle, f->nzidle, f->zidlecap);
	f->zidle[f->nzidle++] = zc;
	pthread_mutex_unlock(&f->mu);
}

int store_files_pack(struct store_files *f, const struct store_file_report *v, size_t n, void **blob, size_t *len)
{
	struct sbuf b = SBUF_INIT;
	ZSTD_CCtx *zc;
	size_t zn;
	char *z;

	*blob = NULL;
	*len = 0;
	sf_encode(&b, v, n);
	zc = sf_zip_take(f);
	z = xmalloc(ZSTD_compressBound(b.len));
	/* one frame of the whole: the same bytes whichever context made it */
	zn = ZSTD_compress2(zc, z, ZSTD_compressBound(b.len), b.buf, b.len);
	sf_zip_give(f, zc);
	sbuf_release(&b);
	if (ZSTD_isError(zn)) {
		free(z);
		return -1;
	}
	*blob = z;
	*len = zn;
	return 0;
}

int store_files_put(struct store_files *f, const char *name, const struct store_file_id *id, const void *blob,
		    size_t len)
{
	sqlite3_stmt *s = sf_stmt(f, SF_PUT);
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (int64_t)id->size);
	sqlite3_bind_blob(s, 3, id->hash, 16, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, f->fp, 16, SQLITE_STATIC);
	sqlite3_bind_blob64(s, 5, blob, len, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* ---------------------------------------------------------------------- */
/* a recorded report against the store, as store.c's find_known() and store_write_report() see it */

enum { K_OCC_LEVEL, K_OCC_FACTS, K_SIG_ID, K_VERDICT, K_WRITER, K_CONF, K_FIELD, K_SIG_LEVEL, K_SUB, K_SIG_FACTS,
       K_LABEL, K_NOTE, K_TIME };

static bool sf_text_is(sqlite3_stmt *s, int i, const char *v)
{
	const char *t = (const char *)sqlite3_column_text(s, i);

	return t == v || (t && v && !strcmp(t, v));
}

/* Does the column hold this run's facts (their hash)? */
static bool sf_facts_are(sqlite3_stmt *s, int i, uint64_t h)
{
	const char *t = (const char *)sqlite3_column_text(s, i);

	return t && kt_hash_mem(t, (size_t)sqlite3_column_bytes(s, i)) == h;
}

/* store.c sig_verdict_same(): would classifying the signature again leave its verdict as it is? */
static bool sf_sig_same(sqlite3_stmt *s, const struct store_file_report *r)
{
	const char *sub = (const char *)sqlite3_column_text(s, K_SUB);

	if (sqlite3_column_int(s, K_SIG_LEVEL) != r->level || !sf_text_is(s, K_VERDICT, verdict_name(r->verdict)) ||
	    !sf_text_is(s, K_WRITER, writer_name(r->writer)) ||
	    !sf_text_is(s, K_CONF, confidence_name(r->confidence)))
		return false;
	if (r->subsystem && (!sub || strcmp(r->subsystem, sub) < 0))
		return false;
	return sf_text_is(s, K_FIELD, r->field);
}

/* The signature's label (read_label()): 0, or -1 when it is not a verdict (a parse says so). */
static int sf_label(sqlite3_stmt *s, struct store_file_known *k)
{
	const char *v = (const char *)sqlite3_column_text(s, K_LABEL);
	int e = v ? verdict_from_name(v) : V_NONE;

	if (e < 0)
		return -1;
	k->label.verdict = (enum verdict)e;
	if (v && sqlite3_column_text(s, K_NOTE))
		k->label.note = xstrdup((const char *)sqlite3_column_text(s, K_NOTE));
	if (v && sqlite3_column_text(s, K_TIME))
		k->label.time = xstrdup((const char *)sqlite3_column_text(s, K_TIME));
	return 0;
}

/*
 * The row s (an occurrence with its signature, or a signature alone), as
 * store_write_report() would find it: 1 nothing to write, 2 something
 * (with this run's facts), 0 this run's facts are not to be had.
 */
static int sf_judge(sqlite3_stmt *s, const struct store_file_report *r, bool occ, struct store_file_known *k)
{
	bool occ_same = false, writes = false;
	const char *facts = r->facts;

	if (occ) {
		int occ_level = sqlite3_column_int(s, K_OCC_LEVEL);

		occ_same = occ_level == r->level && sf_facts_are(s, K_OCC_FACTS, r->facts_hash);
		if (occ_same)
			facts = (const char *)sqlite3_column_text(s, K_OCC_FACTS);
		writes = r->level >= occ_level && !occ_same;   /* its facts would be this run's */
	}
	/* whether or not anything is written now: a later report of the file may change the signature */
	if (!facts)
		return 0;
	if (sqlite3_column_type(s, K_SIG_ID) == SQLITE_NULL)
		return 1;   /* its signature changed and the old one is gone: nothing written */
	/* the signature classified again */
	writes |= r->level >= sqlite3_column_int(s, K_SIG_LEVEL) &&
		  !(sf_sig_same(s, r) && (sf_facts_are(s, K_SIG_FACTS, r->facts_hash) || occ_same));
	k->sig_id = sqlite3_column_int64(s, K_SIG_ID);
	if (writes) {
		k->facts = xstrdup(facts);
		return 2;
	}
	return sf_label(s, k) < 0 ? 0 : 1;
}

static int sf_step_judge(struct store_files *f, int which, int64_t key, const struct store_file_report *r,
			 struct store_file_known *k)
{
	sqlite3_stmt *s = sf_stmt(f, which);
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, key);
	if (which == SF_OCC)
		sqlite3_bind_int64(s, 2, r->head_key);   /* occurrences are indexed by head and key */
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = which == SF_HEAD ? 1 : sf_judge(s, r, which == SF_OCC, k);
	else
		rc = rc == SQLITE_DONE ? 3 : -1;   /* 3: no such row */
	sqlite3_reset(s);
	return rc;
}

int store_files_known(struct store_files *f, const struct store_file_report *r, struct store_file_known *k)
{
	int rc;

	memset(k, 0, sizeof(*k));
	rc = sf_step_judge(f, SF_OCC, r->occ_key, r, k);
	if (rc != 3)
		return rc;
	/* not stored under its own key: known only as a cut copy of a report whose head is stored */
	if (!r->truncated)
		return 0;
	rc = sf_step_judge(f, SF_HEAD, r->head_key, r, k);
	if (rc != 1)
		return rc == 3 ? 0 : rc;
	/* with its signature's label (none has its key: counted with the tool's verdict) */
	rc = sf_step_judge(f, SF_SIG, r->sig_key, r, k);
	return rc == 3 ? 1 : rc;
}
