/* classify.h - the verdict: device-origin, real-race or unknown-origin. */
#ifndef CLASSIFY_H
#define CLASSIFY_H

#include "report.h"

struct classifier;
struct rules;
struct srctree;

/*
 * Where member layouts come from when a vmlinux is given (DWARF): 1 found,
 * 0 no such member, -1 no such struct.  module is the top frame's module,
 * or NULL for vmlinux.
 */
typedef int (*layout_fn)(void *data, const char *module, const char *struct_name, const char *member,
			 uint64_t *offset, uint64_t *size, uint64_t *stride);

/* src may be NULL (then only log-given file:line and DWARF comp dirs are tried). */
struct classifier *classifier_new(const struct rules *rules, struct srctree *src);
void classifier_set_layout(struct classifier *c, layout_fn fn, void *data);
/*
 * Fill r->cls with the facts of the verdict (render_verdict_text() words
 * them), and the source text of the top frames when it can be read.
 */
void classify_report(struct classifier *c, struct report *r);
void classifier_free(struct classifier *c);

#endif
