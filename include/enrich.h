/* enrich.h - the last stage before rendering: what a report's frames tell about it. */
#ifndef ENRICH_H
#define ENRICH_H

#include "report.h"

/*
 * The kernel tree's top-level directories ("drivers/", "kernel/", ...), with
 * their slash, NULL-terminated: the one list for every part that cuts a
 * build machine's absolute path down to a path in the kernel tree.
 */
extern const char *const enrich_kernel_dirs[];

/*
 * The part of file (a source path as a frame names it) that starts at its
 * first path component naming a kernel top-level directory: a pointer into
 * file, or NULL when no component does.
 */
const char *enrich_tree_path(const char *file);

struct maint_db;

/* What the enrich stage adds to a report. */
struct enrichment {
	/*
	 * The subsystem of the report's guilty file (the first frame's file that
	 * is not a header, lib/ or core kernel code): its MAINTAINERS entry when
	 * the tree's MAINTAINERS is known ("VIRTIO CORE AND NET DRIVERS"), else
	 * its directory ("drivers/virtio", "fs", "mm"); without any file, the
	 * top frame's module ("[virtio_blk]"); or NULL.
	 */
	char *subsystem;
};

/* Fill e from r (symbolized and classified); maint may be NULL. */
void enrich_report(const struct report *r, const struct maint_db *maint, struct enrichment *e);
void enrichment_release(struct enrichment *e);

#endif
