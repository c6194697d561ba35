/* srctree.h - read kernel source lines, only under a known root. */
#ifndef SRCTREE_H
#define SRCTREE_H

#include "report.h"

struct srctree;

/*
 * root is the kernel tree given with --src, or NULL: then only files under
 * the DWARF compilation directory a frame names are read.  A root with
 * nothing of a kernel tree in it (no MAINTAINERS, Makefile, drivers/ ...)
 * but a single subdirectory that looks like one (linux-6.1/) stands for
 * that subdirectory.
 */
struct srctree *srctree_new(const char *root);
void srctree_free(struct srctree *t);
/*
 * False when a root was given, files were asked for, and none of them was
 * under it: the command says so (the root is likely not the tree's top).
 */
bool srctree_matched(const struct srctree *t);
/* Were files asked for?  (scan --jobs merges its workers' trees' srctree_matched() with it) */
bool srctree_used(const struct srctree *t);
/* The tree's root as resolved (a tree found below --src counts), or NULL without --src. */
const char *srctree_root(const struct srctree *t);

/*
 * The text of line LINE of FILE (as a frame names it: relative to the tree,
 * or absolute from DWARF), trimmed; NULL when it cannot be read.  comp_dir is
 * the compilation directory DWARF gives for the file, or NULL.  A path is
 * only read when it resolves (symbolic links followed) to a file under the
 * root or under comp_dir.  The text is owned by the tree.
 */
const char *srctree_line(struct srctree *t, const char *file, const char *comp_dir, int line);

/*
 * The source line of a frame (its file, line and DWARF compilation
 * directory), kept in f->src when the frame has none yet; NULL when it
 * cannot be read.  Owned by the tree, like srctree_line()'s.
 */
const char *srctree_frame_line(struct srctree *t, struct frame *f);
/* The source lines of every frame of the report that has none yet. */
void srctree_fill_report(struct srctree *t, struct report *r);

/* 0 when root (--src) is a directory, else -1 with the error reported (exit 5). */
int srctree_check_root(struct ctx *ctx, const char *root);

#endif
