/*
 * store_codec.h - the store's compact forms (schema 3): a report's accesses
 * and frames as one text, stored text compressed, hashes as 64-bit keys.
 * Internal to the store module (store*.c).
 */
#ifndef STORE_CODEC_H
#define STORE_CODEC_H

#include "report.h"

/*
 * The accesses of r, one line each ("A\t" fields), each followed by its
 * frames ("F\t" fields, "R\t" for the reordered-to frame).  Fields are
 * tab-separated, backslash-escaped; "\0" is a NULL string.  Caller frees.
 */
char *store_detail_encode(const struct report *r);
/* Back into r->acc[] (r has none yet): 0, or -1 with *err (caller frees). */
int store_detail_decode(const char *text, size_t len, struct report *r, char **err);

/* zstd: a compressed copy of p[0..n) (caller frees), and back (NUL-terminated; NULL: damaged). */
void *store_zip(const void *p, size_t n, size_t *out_n);
char *store_unzip(const void *p, size_t n, size_t *out_n);

/* The 64-bit key of a 32-hex-digit hash: its first 16 digits. */
int64_t store_hex_key(const char *hex);

#endif
