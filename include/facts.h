/* facts.h - a verdict's facts as compact text, for the store. */
#ifndef FACTS_H
#define FACTS_H

#include "report.h"

/*
 * One "key=value" line per fact that is set (backslash and newline escaped;
 * lists repeat their key).  Decoding is strict: an unknown key, a bad number
 * or an unknown name is an error, so a new fact is a change of the store's
 * schema (STORE_SCHEMA_VERSION).
 */
char *facts_encode(const struct classification *c);
/* 0, or -1 with *err set (free it); c is released first and filled. */
int facts_decode(const char *text, struct classification *c, char **err);

#endif
