/* decompress.h - streaming decompression of gzip, xz, zstd and bzip2 input. */
#ifndef DECOMPRESS_H
#define DECOMPRESS_H

#include <sys/types.h>

#include "kt.h"

enum decomp_kind { DECOMP_NONE, DECOMP_GZIP, DECOMP_XZ, DECOMP_ZSTD, DECOMP_BZIP2 };

/* The longest head decomp_detect() looks at. */
#define DECOMP_MAGIC_MAX 10

/* The default cap on the decompressed size of one input, 64 GiB. */
#define DECOMP_DEFAULT_CAP (64ULL << 30)
/* What a decoder may allocate: xz's memory limit, zstd's largest window. */
#define DECOMP_XZ_MEMLIMIT (80U << 20)
#define DECOMP_ZSTD_WINDOW_LOG_MAX 26

/* The format that the first n bytes announce, by magic number (never by name). */
enum decomp_kind decomp_detect(const unsigned char *p, size_t n);
const char *decomp_name(enum decomp_kind kind);

enum decomp_status {
	DECOMP_END = 0,        /* the end of the last stream */
	DECOMP_ERR_READ = -1,  /* the underlying read failed (errno says why) */
	DECOMP_ERR_DATA = -2,  /* corrupt or truncated data (decomp_why says what) */
	DECOMP_ERR_CAP = -3,   /* the decompressed size reached the cap */
};

struct decomp;

/*
 * A decoder of kind reading fd; head holds the first bytes, already read
 * from fd.  At most cap decompressed bytes are handed out.  NULL when the
 * library cannot start one (out of memory).
 */
struct decomp *decomp_new(enum decomp_kind kind, int fd, const void *head, size_t nhead, uint64_t cap);
/* Its reads of fd end when *stop is set (kt_read(): fd a pipe's; NULL: they wait), and tell quiet when fd is. */
void decomp_set_stop(struct decomp *d, const _Atomic int *stop, const struct kt_quiet *quiet);
/* Up to n decompressed bytes: their number (> 0), or a decomp_status. */
ssize_t decomp_read(struct decomp *d, void *buf, size_t n);
/* After DECOMP_ERR_DATA: what is wrong ("truncated", the library's words). */
const char *decomp_why(const struct decomp *d);
/* Compressed bytes consumed, decompressed bytes produced so far. */
uint64_t decomp_in_offset(const struct decomp *d);
uint64_t decomp_out_offset(const struct decomp *d);
void decomp_free(struct decomp *d);

/* The cap from $KCSAN_TRIAGE_MAX_DECOMPRESSED ("64G", "512M", bytes), or the default; -1 if unparsable. */
int decomp_cap_from_env(uint64_t *cap);

#endif
