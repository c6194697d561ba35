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

/*
 * The kernel variable behind access acc's address, from the vmlinux and
 * modules (sym_variable_of()): out zeroed, then filled when the address is
 * kernel static memory.
 */
typedef void (*variable_fn)(void *data, const struct report *r, int acc, struct cls_variable *out);

/* src may be NULL (then only log-given file:line and DWARF comp dirs are tried). */
struct classifier *classifier_new(const struct rules *rules, struct srctree *src);
void classifier_set_layout(struct classifier *c, layout_fn fn, void *data);
/*
 * With it, a report's first access names its variable (cls.var); an
 * unknown-origin access to kernel static memory says so in its facts, and a
 * device- or user-written member that fits it is only "likely" (the DMA API
 * does not map kernel image memory; a hypervisor's shared pages may be static).
 */
void classifier_set_variable(struct classifier *c, variable_fn fn, void *data);
/*
 * Fill r->cls with the facts of the verdict (render_verdict_text() words
 * them), and the source text of the top frames when it can be read.
 */
void classify_report(struct classifier *c, struct report *r);
void classifier_free(struct classifier *c);

#endif
