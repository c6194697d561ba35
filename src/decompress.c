/* decompress.c - streaming decompression of gzip, xz, zstd and bzip2 input. */
#define _GNU_SOURCE
#include <bzlib.h>
#include <errno.h>
#include <limits.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "decompress.h"
#include "kt.h"

#define IBUF_SIZE (128 * 1024)

/* One step of a decoder: 0 (go on), 1 (the last stream ended), -1 (bad data, d->why set). */
struct decomp;
typedef int (*decomp_step_fn)(struct decomp *d, unsigned char *out, size_t n, size_t *got);

struct decomp {
	enum decomp_kind kind;
	int fd;
	const _Atomic int *stop;   /* decomp_set_stop() */
	const struct kt_quiet *quiet;
	unsigned char *ibuf;
	size_t ipos, ilen;      /* compressed bytes not yet decoded: ibuf[ipos, ilen) */
	bool in_eof;
	uint64_t in_used, out_total, cap;
	bool between;           /* a stream (gzip member, bzip2 stream, zstd frame) ended */
	bool ended;
	int failed;             /* a decomp_status, sticky */
	int pending;            /* a failure to return after the bytes decoded before it */
	char why[160];
	decomp_step_fn step;
	union {
		z_stream z;
		lzma_stream x;
		ZSTD_DStream *zs;
		bz_stream b;
	} u;
};

/* What is wrong: "truncated" (lib NULL), or "corrupt (LIB: detail)". */
static void set_why(struct decomp *d, const char *lib, const char *detail)
{
	if (lib)
		snprintf(d->why, sizeof(d->why), "corrupt (%s: %s)", lib, detail);
	else
		snprintf(d->why, sizeof(d->why), "truncated");
}

enum decomp_kind decomp_detect(const unsigned char *p, size_t n)
{
	static const unsigned char xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
	static const unsigned char bz_block[] = { 0x31, 0x41, 0x59, 0x26, 0x53, 0x59 };
	static const unsigned char bz_end[] = { 0x17, 0x72, 0x45, 0x38, 0x50, 0x90 };

	if (n >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8)
		return DECOMP_GZIP;
	if (n >= 6 && !memcmp(p, xz, 6))
		return DECOMP_XZ;
	if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
		return DECOMP_ZSTD;
	if (n >= 4 && (p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18)
		return DECOMP_ZSTD;   /* a skippable frame first */
	if (n >= 10 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h' && p[3] >= '1' && p[3] <= '9' &&
	    (!memcmp(p + 4, bz_block, 6) || !memcmp(p + 4, bz_end, 6)))
		return DECOMP_BZIP2;
	return DECOMP_NONE;
}

const char *decomp_name(enum decomp_kind kind)
{
	static const char *const names[] = { "plain", "gzip", "xz", "zstd", "bzip2" };

	return names[kind];
}

/* ---------------------------------------------------------------------- */
/* the decoders */

static int step_gzip(struct decomp *d, unsigned char *out, size_t n, size_t *got)
{
	z_stream *z = &d->u.z;
	size_t avail = d->ilen - d->ipos;
	int rc;

	if (d->between) {
		if (d->ibuf[d->ipos] != 0x1f)
			return 1;     /* padding after the last member */
		inflateReset(z);
		d->between = false;
	}
	z->next_in = d->ibuf + d->ipos;
	z->avail_in = (uInt)avail;
	z->next_out = out;
	z->avail_out = (uInt)(n > UINT_MAX ? UINT_MAX : n);
	rc = inflate(z, Z_NO_FLUSH);
	d->ipos += avail - z->avail_in;
	*got = (size_t)(z->next_out - out);
	if (rc == Z_STREAM_END)
		d->between = true;
	else if (rc != Z_OK && rc != Z_BUF_ERROR) {
		set_why(d, "zlib", z->msg ? z->msg : "bad data");
		return -1;
	}
	return 0;
}

static const char *xz_why(lzma_ret rc)
{
	switch (rc) {
	case LZMA_MEMLIMIT_ERROR:
		return "it needs more memory than the 80 MiB allowed";
	case LZMA_FORMAT_ERROR:
		return "not in the xz format";
	case LZMA_OPTIONS_ERROR:
		return "unsupported options";
	case LZMA_MEM_ERROR:
		return "out of memory";
	default:
		return "bad data";
	}
}

static int step_xz(struct decomp *d, unsigned char *out, size_t n, size_t *got)
{
	lzma_stream *x = &d->u.x;
	size_t avail = d->ilen - d->ipos;
	lzma_ret rc;

	x->next_in = d->ibuf + d->ipos;
	x->avail_in = avail;
	x->next_out = out;
	x->avail_out = n;
	rc = lzma_code(x, d->in_eof && !avail ? LZMA_FINISH : LZMA_RUN);
	d->ipos += avail - x->avail_in;
	*got = n - x->avail_out;
	if (rc == LZMA_STREAM_END)
		return 1;
	if (rc == LZMA_BUF_ERROR) {
		set_why(d, NULL, NULL);
		return -1;
	}
	if (rc != LZMA_OK) {
		set_why(d, "liblzma", xz_why(rc));
		return -1;
	}
	return 0;
}

static int step_zstd(struct decomp *d, unsigned char *out, size_t n, size_t *got)
{
	ZSTD_inBuffer ib = { d->ibuf + d->ipos, d->ilen - d->ipos, 0 };
	ZSTD_outBuffer ob = { out, n, 0 };
	size_t rc;

	rc = ZSTD_decompressStream(d->u.zs, &ob, &ib);
	d->ipos += ib.pos;
	*got = ob.pos;
	if (ZSTD_isError(rc)) {
		set_why(d, "libzstd", ZSTD_getErrorName(rc));
		return -1;
	}
	/* 0: a frame is decoded and flushed; more input may start another */
	d->between = rc == 0;
	return 0;
}

static int step_bzip2(struct decomp *d, unsigned char *out, size_t n, size_t *got)
{
	bz_stream *b = &d->u.b;
	size_t avail = d->ilen - d->ipos;
	int rc;

	if (d->between) {
		if (d->ibuf[d->ipos] != 'B')
			return 1;
		BZ2_bzDecompressEnd(b);
		memset(b, 0, sizeof(*b));
		if (BZ2_bzDecompressInit(b, 0, 0) != BZ_OK) {
			set_why(d, "libbz2", "out of memory");
			return -1;
		}
		d->between = false;
	}
	b->next_in = (char *)d->ibuf + d->ipos;
	b->avail_in = (unsigned)avail;
	b->next_out = (char *)out;
	b->avail_out = (unsigned)(n > UINT_MAX ? UINT_MAX : n);
	rc = BZ2_bzDecompress(b);
	d->ipos += avail - b->avail_in;
	*got = (size_t)((unsigned char *)b->next_out - out);
	if (rc == BZ_STREAM_END)
		d->between = true;
	else if (rc != BZ_OK) {
		set_why(d, "libbz2", rc == BZ_MEM_ERROR ? "out of memory" : "bad data");
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */

static bool decomp_init(struct decomp *d)
{
	switch (d->kind) {
	case DECOMP_GZIP:
		d->step = step_gzip;
		return inflateInit2(&d->u.z, 15 + 16) == Z_OK;
	case DECOMP_XZ:
		d->step = step_xz;
		d->u.x = (lzma_stream)LZMA_STREAM_INIT;
		return lzma_stream_decoder(&d->u.x, DECOMP_XZ_MEMLIMIT, LZMA_CONCATENATED) == LZMA_OK;
	case DECOMP_ZSTD:
		d->step = step_zstd;
		d->u.zs = ZSTD_createDStream();
		return d->u.zs && !ZSTD_isError(ZSTD_DCtx_setParameter(d->u.zs, ZSTD_d_windowLogMax,
								       DECOMP_ZSTD_WINDOW_LOG_MAX));
	case DECOMP_BZIP2:
		d->step = step_bzip2;
		return BZ2_bzDecompressInit(&d->u.b, 0, 0) == BZ_OK;
	default:
		return false;
	}
}

struct decomp *decomp_new(enum decomp_kind kind, int fd, const void *head, size_t nhead, uint64_t cap)
{
	struct decomp *d = xcalloc(1, sizeof(*d));

	d->kind = kind;
	d->fd = fd;
	d->cap = cap;
	d->ibuf = xmalloc(IBUF_SIZE > nhead ? IBUF_SIZE : nhead);
	memcpy(d->ibuf, head, nhead);
	d->ilen = nhead;
	if (!decomp_init(d)) {
		decomp_free(d);
		return NULL;
	}
	return d;
}

/* More compressed bytes when all are used: 0, or -1 on a read error. */
static int fill(struct decomp *d)
{
	ssize_t r;

	if (d->ipos < d->ilen || d->in_eof)
		return 0;
	d->ipos = d->ilen = 0;
	r = kt_read(d->fd, d->ibuf, IBUF_SIZE, d->stop, d->quiet);
	if (r < 0)
		return -1;
	if (r == 0)
		d->in_eof = true;
	d->ilen = (size_t)r;
	return 0;
}

void decomp_set_stop(struct decomp *d, const _Atomic int *stop, const struct kt_quiet *quiet)
{
	d->stop = stop;
	d->quiet = quiet;
}

ssize_t decomp_read(struct decomp *d, void *buf, size_t n)
{
	size_t got = 0, before;
	int rc;

	if (d->pending)
		d->failed = d->pending;
	if (d->failed)
		return d->failed;
	if (d->out_total >= d->cap)
		return d->failed = DECOMP_ERR_CAP;
	if (n > d->cap - d->out_total)
		n = (size_t)(d->cap - d->out_total);
	while (!got && !d->ended) {
		if (fill(d) < 0)
			return d->failed = DECOMP_ERR_READ;
		if (d->ipos == d->ilen && d->in_eof && d->between) {
			d->ended = true;
			break;
		}
		before = d->ipos;
		rc = d->step(d, buf, n, &got);
		d->in_used += d->ipos - before;
		if (rc > 0) {
			d->ended = true;
		} else if (rc == 0 && !got && d->ipos == before && d->ipos == d->ilen && d->in_eof) {
			set_why(d, NULL, NULL);
			rc = -1;
		}
		if (rc < 0) {
			/* hand out what was decoded before the failure first */
			d->pending = DECOMP_ERR_DATA;
			if (!got)
				return d->failed = DECOMP_ERR_DATA;
		}
	}
	d->out_total += got;
	return (ssize_t)got;
}

const char *decomp_why(const struct decomp *d)
{
	return d->why[0] ? d->why : "corrupt";
}

uint64_t decomp_in_offset(const struct decomp *d)
{
	return d->in_used;
}

uint64_t decomp_out_offset(const struct decomp *d)
{
	return d->out_total;
}

void decomp_free(struct decomp *d)
{
	if (!d)
		return;
	switch (d->kind) {
	case DECOMP_GZIP:
		inflateEnd(&d->u.z);
		break;
	case DECOMP_XZ:
		lzma_end(&d->u.x);
		break;
	case DECOMP_ZSTD:
		ZSTD_freeDStream(d->u.zs);
		break;
	case DECOMP_BZIP2:
		BZ2_bzDecompressEnd(&d->u.b);
		break;
	default:
		break;
	}
	free(d->ibuf);
	free(d);
}

int decomp_cap_from_env(uint64_t *cap)
{
	const char *s = getenv("KCSAN_TRIAGE_MAX_DECOMPRESSED");
	char *end;
	unsigned long long v;
	int shift = 0;

	*cap = DECOMP_DEFAULT_CAP;
	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	case 'T': case 't': shift = 40; end++; break;
	default: break;
	}
	if (*end || (shift && v > (ULLONG_MAX >> shift)) || !v)
		return -1;
	*cap = (uint64_t)v << shift;
	return 0;
}
