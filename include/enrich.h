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

/* What the enrich stage adds to a report. */
struct enrichment {
	char *subsystem;       /* "drivers/virtio", "mm", "[virtio_ring]", or NULL */
};

/* Fill e from r (symbolized and classified). */
void enrich_report(const struct report *r, struct enrichment *e);
void enrichment_release(struct enrichment *e);

#endif
