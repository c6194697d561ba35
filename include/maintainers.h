/*
 * maintainers.h - who to mail: a kernel tree's MAINTAINERS, read the way
 * scripts/get_maintainer.pl reads it, and the guilty file of a report.
 *
 * maint_route() gives for one file what
 * `scripts/get_maintainer.pl --no-git --no-rolestats -f FILE` prints (run
 * from the tree's top): the entries whose F:/N: patterns match it (X:
 * excludes), most specific first, then those whose K: keywords match the
 * file's text; their maintainers (M:) and reviewers (R:) deduplicated by
 * name and address (after the tree's .mailmap) in that order, Linus
 * Torvalds left out, the addresses a .yaml file names after them, then
 * their lists (L:), subscribers-only ones left out.
 * Equally specific entries come in MAINTAINERS order (the script leaves
 * their order to Perl's hash order).
 *
 * How the commands use it:
 *
 *     const struct maint_db *db = maint_load(ctx, src);   // once per process per tree
 *     char *file = maint_guilty_file(r);
 *     struct maint_route rt = MAINT_ROUTE_INIT;
 *     if (db && file && maint_route(db, file, &rt) == 0) {
 *             maint_route_subsystem(&rt);   // "VIRTIO CORE AND NET DRIVERS": stats groups by it
 *             ... rt.people[i].addr with rt.people[i].role, rt.lists[i] ...
 *     }
 *     maint_route_release(&rt);
 *     free(file);
 */
#ifndef MAINTAINERS_H
#define MAINTAINERS_H

#include "kt.h"
#include "report.h"

struct maint_db;

/* One MAINTAINERS entry (a section). */
struct maint_entry {
	const char *name;          /* its title line: "VIRTIO CORE AND NET DRIVERS", "THE REST" */
	const char *status;        /* S:, or NULL */
	size_t line;               /* of the title in MAINTAINERS, 1-based */
};

enum maint_role { MAINT_MAINTAINER, MAINT_REVIEWER, MAINT_IN_FILE /* named in a .yaml binding */ };

struct maint_person {
	char *addr;                /* "Name <mail>" as get_maintainer prints it */
	enum maint_role role;      /* how it came first: M:, R:, or in the file */
};

struct maint_route {
	const struct maint_entry **entries;   /* matched, in the script's order */
	size_t nentries;
	struct maint_person *people;          /* M: and R:, in the script's order */
	size_t npeople;
	char **lists;                         /* L: addresses */
	size_t nlists;
};
#define MAINT_ROUTE_INIT { NULL, 0, NULL, 0, NULL, 0 }

/*
 * The MAINTAINERS of the kernel tree at root (root/MAINTAINERS, with
 * root/.mailmap when there is one), parsed once per process: a second call
 * with the same root returns the same database.  NULL when it cannot be
 * read (reported through ctx).  The database lives until maint_cleanup().
 */
const struct maint_db *maint_load(struct ctx *ctx, const char *root);
/* The same from an explicit MAINTAINERS file, the tree at root (may be NULL: no K:, no directory checks). */
const struct maint_db *maint_load_file(struct ctx *ctx, const char *path, const char *root);
/* Free every database loaded (for leak checkers). */
void maint_cleanup(void);

/* How many entries the database has. */
size_t maint_db_entries(const struct maint_db *db);

/*
 * Route FILE (relative to the tree's top, as the report carries it).  0,
 * or -1 when nothing in MAINTAINERS matches (out is then empty).  The
 * entries point into the database; the strings are out's.
 */
int maint_route(const struct maint_db *db, const char *file, struct maint_route *out);
void maint_route_release(struct maint_route *r);
/*
 * The subsystem a report belongs to: the name of the first (most specific)
 * entry, THE REST only when nothing else matched; NULL when none did.
 */
const char *maint_route_subsystem(const struct maint_route *r);

/*
 * A frame's file relative to the kernel tree's top: without the DWARF
 * compilation directory, "./", or an absolute prefix before a kernel
 * top-level directory.  Newly allocated; NULL when the frame has no file.
 */
char *maint_frame_file(const struct frame *f);
/* True for files the guilty one is never: headers, lib/, the KCSAN runtime, core sched/locking/RCU/mm/net. */
bool maint_file_skipped(const char *file);
/*
 * The report's guilty file: the first frame's file (access 0, then access
 * 1) that maint_file_skipped() does not skip.  Newly allocated, or NULL.
 */
char *maint_guilty_file(const struct report *r);

#endif
