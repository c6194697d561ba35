/*
 * triage.h - triage files: people's verdicts keyed by signature ID, kept in
 * git and applied to a fresh store (scan --triage, label --file); also what
 * a --baseline holds (a triage file or a store).
 *
 * The format is line based and sorted by ID, so that it diffs well:
 *
 *     # kcsan-triage triage file 1
 *     # KCSAN: data-race in vring_interrupt / virtqueue_add_split
 *     3f9a0c1d2e4b5a69 device-origin  written by the device (Virtio 1.2)
 *     9c0d...          -
 *
 * One report per line: its ID (16 hex digits), blanks, a verdict
 * (device-origin, real-race, unknown-origin) or "-" (known, no verdict),
 * then optionally blanks and a note to the end of the line.  '#' starts a
 * comment line; blank lines are ignored.
 */
#ifndef TRIAGE_H
#define TRIAGE_H

#include "report.h"

#define TRIAGE_HEADER "# kcsan-triage triage file 1"

struct triage_entry {
	char id[REPORT_SIG_ID_LEN + 1];
	enum verdict verdict;       /* V_NONE: "-" */
	char *note;                 /* NULL: none */
};

struct triage {
	struct triage_entry *e;     /* sorted by id */
	size_t n, cap;
};

/* Read a triage file (or add a store's signatures: triage_add()).  0, or -1 reported (KT_EXIT_USAGE). */
int triage_load(struct ctx *ctx, const char *path, struct triage *t);
void triage_add(struct triage *t, const char *id, enum verdict v, const char *note);
/* Sort after triage_add(). */
void triage_sort(struct triage *t);
const struct triage_entry *triage_find(const struct triage *t, const char *id);
void triage_release(struct triage *t);
/* 16 hex digits, lowercase. */
bool triage_is_id(const char *s);
/* One entry, with its title as a comment line above it when title is not NULL. */
void triage_write_entry(FILE *fp, const char *id, enum verdict v, const char *note, const char *title);

#endif
