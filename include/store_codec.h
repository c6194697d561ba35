/*
 * store_codec.h - the store's compact forms (schema 3): a report's accesses
 * and frames as one text, stored text compressed (with a dictionary from
 * schema 5; with the report's text in one frame from schema 7), hashes as
 * 64-bit keys.
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
/*
 * What an occurrence's blob holds (schema 7, one zstd frame): that text,
 * a NUL, then the report's text.  store_blob_split() finds the two parts
 * of the decompressed blob: 0, or -1 when it has no NUL.
 */
void store_blob_text(const struct report *r, struct sbuf *out);
int store_blob_split(const char *p, size_t n, size_t *detail_n, const char **raw, size_t *raw_n);
/* Back into r->acc[] (r has none yet): 0, or -1 with *err (caller frees). */
int store_detail_decode(const char *text, size_t len, struct report *r, char **err);

/*
 * A zstd dictionary (schema 5): trained on a store's first reports, kept in
 * its dictionary table, named by the id zstd gives it (from its content);
 * a compressed text names the one it needs (0: none).  Read-only once made:
 * threads share it.
 */
#define STORE_DICT_SIZE (64 * 1024)
struct store_dict;
/* From n samples laid end to end (sizes[i] each); NULL when zstd cannot make one of them. */
struct store_dict *store_dict_train(const void *samples, const size_t *sizes, unsigned n);
/* A stored dictionary's bytes; NULL when they are not one. */
struct store_dict *store_dict_load(const void *p, size_t n);
unsigned store_dict_id(const struct store_dict *d);
const void *store_dict_bytes(const struct store_dict *d, size_t *n);
void store_dict_free(struct store_dict *d);

/*
 * zstd: a compressed copy of p[0..n) (caller frees), with the dictionary d
 * or none (NULL); and back (NUL-terminated; NULL: damaged, or d is not the
 * dictionary store_zip_dict_id() names).
 */
void *store_zip(const struct store_dict *d, const void *p, size_t n, size_t *out_n);
char *store_unzip(const struct store_dict *d, const void *p, size_t n, size_t *out_n);
unsigned store_zip_dict_id(const void *p, size_t n);

/* The 64-bit key of a 32-hex-digit hash: its first 16 digits. */
int64_t store_hex_key(const char *hex);

#endif
