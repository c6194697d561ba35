/* store_codec.c - the store's compact forms: accesses and frames as text, zstd, 64-bit keys. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#define ZDICT_STATIC_LINKING_ONLY   /* ZDICT_trainFromBuffer_fastCover() */
#include <zdict.h>
#include <zstd.h>

#include "store_codec.h"

#define ZIP_LEVEL 1

/* "\t" and the string, its backslashes, tabs and newlines escaped (NULL: a backslash and 0). */
static void put_str(struct sbuf *sb, const char *s)
{
	size_t n;
	char *w;

	if (!s) {
		sbuf_add(sb, "\t\\0", 3);
		return;
	}
	/* room for the worst case once, then a byte at a time (the strings are short) */
	n = strlen(s);
	sbuf_grow(sb, 2 * n + 1);
	w = sb->buf + sb->len;
	*w++ = '\t';
	for (; *s; s++) {
		char c = *s;

		if (c == '\\' || c == '\t' || c == '\n') {
			*w++ = '\\';
			c = c == '\t' ? 't' : c == '\n' ? 'n' : c;
		}
		*w++ = c;
	}
	*w = '\0';
	sb->len = (size_t)(w - sb->buf);
}

/* "\t" and v in decimal. */
static void put_dec(struct sbuf *sb, long long v)
{
	sbuf_addc(sb, '\t');
	sbuf_add_dec(sb, v);
}

/* A number, or an empty field when it is absent. */
static void put_num(struct sbuf *sb, bool has, long long v)
{
	if (has)
		put_dec(sb, v);
	else
		sbuf_addc(sb, '\t');
}

static void encode_frame(struct sbuf *sb, char kind, const struct frame *f)
{
	sbuf_addc(sb, kind);
	put_str(sb, f->func ? f->func : "?");
	put_num(sb, f->has_off, (long long)f->off);
	put_num(sb, f->has_off, (long long)f->size);
	put_str(sb, f->module);
	put_str(sb, f->buildid);
	put_str(sb, f->file);
	put_num(sb, f->line > 0, f->line);
	put_num(sb, f->column > 0, f->column);
	put_dec(sb, f->inlined | f->unreliable << 1 | f->symbolized << 2 | f->given << 3);
	put_str(sb, f->src);
	put_str(sb, f->sym_note);
	sbuf_addc(sb, '\n');
}

static void detail_encode(const struct report *r, struct sbuf *sb)
{
	for (int i = 0; i < r->nacc; i++) {
		const struct access *a = &r->acc[i];

		sbuf_adds(sb, "A");
		put_str(sb, access_type_name(a->type));
		put_dec(sb, a->marked | a->reordered << 1 | a->scoped << 2 | a->unknown_origin << 3 | a->elided << 4);
		put_num(sb, a->has_addr, (long long)a->addr);
		put_num(sb, a->has_size, (long long)a->size);
		put_str(sb, access_ctx_name(a->ctx));
		put_num(sb, a->pid >= 0, a->pid);
		put_num(sb, a->cpu >= 0, a->cpu);
		put_str(sb, a->task);
		put_num(sb, true, (long long)a->frames_dropped);
		sbuf_addc(sb, '\n');
		for (size_t j = 0; j < a->nframes; j++)
			encode_frame(sb, 'F', &a->frames[j]);
		if (a->reordered_to)
			encode_frame(sb, 'R', a->reordered_to);
	}
}

char *store_detail_encode(const struct report *r)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_grow(&sb, 2048);
	detail_encode(r, &sb);
	return sbuf_detach(&sb);
}

void store_blob_text(const struct report *r, struct sbuf *out)
{
	sbuf_grow(out, 2048 + r->raw.len);
	detail_encode(r, out);
	sbuf_addc(out, '\0');
	sbuf_add(out, sbuf_str(&r->raw), r->raw.len);
}

int store_blob_split(const char *p, size_t n, size_t *detail_n, const char **raw, size_t *raw_n)
{
	const char *nul = memchr(p, '\0', n);

	if (!nul)
		return -1;
	*detail_n = (size_t)(nul - p);
	*raw = nul + 1;
	*raw_n = n - *detail_n - 1;
	return 0;
}

/* The fields of one line, split in place and unescaped; NULL strings are NULL. */
#define MAX_FIELDS 16
static int split_line(char *line, char *f[MAX_FIELDS])
{
	int n = 0;
	char *w = line;

	f[n++] = line;
	for (char *p = line; *p; p++) {
		if (*p == '\t') {
			*w++ = '\0';
			if (n == MAX_FIELDS)
				return -1;
			f[n++] = w;
		} else if (*p == '\\' && p[1]) {
			p++;
			if (*p == '0' && (p[1] == '\t' || !p[1]) && w == f[n - 1]) {
				f[n - 1] = NULL;
				continue;
			}
			*w++ = *p == 't' ? '\t' : *p == 'n' ? '\n' : *p;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	return n;
}

static bool has(const char *s)
{
	return s && *s;
}

static long long num(const char *s)
{
	return s ? strtoll(s, NULL, 10) : 0;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static int decode_frame(char **f, int n, struct access *a, bool reordered)
{
	struct frame *fr;
	int flags;

	if (n != 12 || !a)
		return -1;
	if (reordered) {
		if (!a->reordered_to)
			a->reordered_to = xcalloc(1, sizeof(*fr));
		fr = a->reordered_to;
		frame_release(fr);
	} else {
		fr = access_add_frame(a);
	}
	fr->func = dup_or_null(f[1]);
	fr->has_off = has(f[2]);
	fr->off = (uint64_t)num(f[2]);
	fr->size = (uint64_t)num(f[3]);
	fr->module = dup_or_null(f[4]);
	fr->buildid = dup_or_null(f[5]);
	fr->file = dup_or_null(f[6]);
	fr->line = (int)num(f[7]);
	fr->column = (int)num(f[8]);
	flags = (int)num(f[9]);
	fr->inlined = flags & 1;
	fr->unreliable = flags & 2;
	fr->symbolized = flags & 4;
	fr->given = flags & 8;
	fr->src = dup_or_null(f[10]);
	fr->sym_note = dup_or_null(f[11]);
	if (fr->func && fr->func[0] == '0' && fr->func[1] == 'x') {
		fr->is_addr = true;
		fr->addr = strtoull(fr->func, NULL, 16);
	}
	return 0;
}

static int decode_access(char **f, int n, struct report *r)
{
	struct access *a;
	int type, ctx, flags;

	if (n != 10 || r->nacc >= REPORT_MAX_ACCESSES)
		return -1;
	type = f[1] ? access_type_from_name(f[1]) : -1;
	ctx = f[5] ? access_ctx_from_name(f[5]) : -1;
	if (type < 0 || ctx < 0)
		return -1;
	a = &r->acc[r->nacc++];
	flags = (int)num(f[2]);
	a->type = (enum access_type)type;
	a->ctx = (enum access_ctx)ctx;
	a->marked = flags & 1;
	a->reordered = flags & 2;
	a->scoped = flags & 4;
	a->unknown_origin = flags & 8;
	a->elided = flags & 16;
	a->has_addr = has(f[3]);
	a->addr = (uint64_t)num(f[3]);
	a->has_size = has(f[4]);
	a->size = (uint64_t)num(f[4]);
	a->pid = has(f[6]) ? (long)num(f[6]) : -1;
	a->cpu = has(f[7]) ? (int)num(f[7]) : -1;
	a->task = dup_or_null(f[8]);
	a->frames_dropped = (size_t)num(f[9]);
	return 0;
}

int store_detail_decode(const char *text, size_t len, struct report *r, char **err)
{
	char *copy = xmalloc(len + 1), *line, *next;
	int lineno = 0, rc = 0;

	memcpy(copy, text, len);
	copy[len] = '\0';
	for (line = copy; rc == 0 && *line; line = next) {
		char *f[MAX_FIELDS];
		int n;

		next = strchr(line, '\n');
		next = next ? (*next = '\0', next + 1) : line + strlen(line);
		lineno++;
		n = split_line(line, f);
		if (n > 0 && f[0] && !strcmp(f[0], "A"))
			rc = decode_access(f, n, r);
		else if (n > 0 && f[0] && (!strcmp(f[0], "F") || !strcmp(f[0], "R")))
			rc = decode_frame(f, n, r->nacc ? &r->acc[r->nacc - 1] : NULL, f[0][0] == 'R');
		else
			rc = -1;
	}
	if (rc < 0)
		*err = xasprintf("the stored accesses are damaged (line %d)", lineno);
	free(copy);
	return rc;
}

static pthread_key_t zip_key;
static pthread_once_t zip_once = PTHREAD_ONCE_INIT;

static void zip_free_cctx(void *cctx)
{
	ZSTD_freeCCtx(cctx);
}

static void zip_key_make(void)
{
	if (pthread_key_create(&zip_key, zip_free_cctx))
		kt_die("out of memory");
}

struct store_dict {
	unsigned id;
	void *bytes;
	size_t n;
	ZSTD_CDict *cdict;
	ZSTD_DDict *ddict;
};

struct store_dict *store_dict_load(const void *p, size_t n)
{
	struct store_dict *d;
	unsigned id = ZSTD_getDictID_fromDict(p, n);

	if (!id)
		return NULL;
	d = xcalloc(1, sizeof(*d));
	d->id = id;
	d->bytes = xmalloc(n);
	memcpy(d->bytes, p, n);
	d->n = n;
	d->cdict = ZSTD_createCDict(d->bytes, n, ZIP_LEVEL);
	d->ddict = ZSTD_createDDict(d->bytes, n);
	if (!d->cdict || !d->ddict) {
		store_dict_free(d);
		return NULL;
	}
	return d;
}

/*
 * One training with fixed parameters, about those ZDICT_trainFromBuffer()'s
 * search picks on KCSAN reports (it chose k 1998, d 8), without the
 * search's several trainings: about a tenth of a 10k-report ingest's CPU
 * saved, for the same store size there.  With k and d fixed nothing is
 * chosen, so every sample is trained on (splitPoint 1, none held out to
 * test), and a frequency table of 2^16 entries (f) is as good as the
 * default's 2^20 on these texts at a third of the time: the writer trains
 * while its workers wait.
 */
struct store_dict *store_dict_train(const void *samples, const size_t *sizes, unsigned n)
{
	ZDICT_fastCover_params_t p = { .k = 2000, .d = 8, .f = 16, .accel = 1, .splitPoint = 1.0,
				       .zParams.compressionLevel = ZIP_LEVEL };
	size_t cap = STORE_DICT_SIZE, z;
	void *buf = xmalloc(cap);
	struct store_dict *d = NULL;

	z = ZDICT_trainFromBuffer_fastCover(buf, cap, samples, sizes, n, p);
	if (!ZDICT_isError(z))
		d = store_dict_load(buf, z);
	free(buf);
	return d;
}

unsigned store_dict_id(const struct store_dict *d)
{
	return d->id;
}

const void *store_dict_bytes(const struct store_dict *d, size_t *n)
{
	*n = d->n;
	return d->bytes;
}

void store_dict_free(struct store_dict *d)
{
	if (!d)
		return;
	ZSTD_freeCDict(d->cdict);
	ZSTD_freeDDict(d->ddict);
	free(d->bytes);
	free(d);
}

void *store_zip(const struct store_dict *d, const void *p, size_t n, size_t *out_n)
{
	/* one context per thread (freed when the thread ends): making one per call costs more than the compression */
	static _Thread_local ZSTD_CCtx *cctx;
	size_t cap = ZSTD_compressBound(n);
	void *out = xmalloc(cap);
	size_t z;

	if (!cctx) {
		cctx = ZSTD_createCCtx();
		if (!cctx)
			kt_die("out of memory");
		pthread_once(&zip_once, zip_key_make);
		pthread_setspecific(zip_key, cctx);
	}
	if (d)
		z = ZSTD_compress_usingCDict(cctx, out, cap, p, n, d->cdict);
	else
		z = ZSTD_compressCCtx(cctx, out, cap, p, n, ZIP_LEVEL);
	if (ZSTD_isError(z))
		kt_die("internal error: zstd: %s", ZSTD_getErrorName(z));
	*out_n = z;
	return out;
}

unsigned store_zip_dict_id(const void *p, size_t n)
{
	return p ? ZSTD_getDictID_fromFrame(p, n) : 0;
}

char *store_unzip(const struct store_dict *d, const void *p, size_t n, size_t *out_n)
{
	static _Thread_local ZSTD_DCtx *dctx;
	unsigned long long size = p ? ZSTD_getFrameContentSize(p, n) : ZSTD_CONTENTSIZE_ERROR;
	char *out;
	size_t z;

	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > (1u << 30))
		return NULL;
	if (store_zip_dict_id(p, n) != (d ? d->id : 0))
		return NULL;
	out = xmalloc((size_t)size + 1);
	if (!dctx)
		dctx = ZSTD_createDCtx();
	if (!dctx)
		kt_die("out of memory");
	if (d)
		z = ZSTD_decompress_usingDDict(dctx, out, (size_t)size, p, n, d->ddict);
	else
		z = ZSTD_decompressDCtx(dctx, out, (size_t)size, p, n);
	if (ZSTD_isError(z) || z != size) {
		free(out);
		return NULL;
	}
	out[z] = '\0';
	*out_n = z;
	return out;
}

int64_t store_hex_key(const char *hex)
{
	char first[17];

	memcpy(first, hex, 16);
	first[16] = '\0';
	return (int64_t)strtoull(first, NULL, 16);
}
