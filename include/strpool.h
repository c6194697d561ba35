/*
 * strpool.h - interned strings: one copy of each, valid until the pool is
 * freed, so that equal strings are equal pointers.  Every part of the
 * symbolizer keeps the strings it hands out here; the pool uses nothing of
 * theirs.
 */
#ifndef STRPOOL_H
#define STRPOOL_H

#include <stddef.h>

struct strpool;

struct strpool *strpool_new(void);
void strpool_free(struct strpool *p);

/* The pool's copy of str (NULL for NULL). */
const char *strpool_intern(struct strpool *p, const char *str);
/* The pool's copy of the n bytes at str (which need no terminating NUL). */
const char *strpool_intern_n(struct strpool *p, const char *str, size_t n);
/* The pool's copy of a formatted string. */
const char *strpool_internf(struct strpool *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
