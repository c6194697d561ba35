/* classify.h - the verdict: device-origin, real-race or unknown-origin. */
#ifndef CLASSIFY_H
#define CLASSIFY_H

#include "report.h"

struct classifier;
struct rules;
struct symbolizer;
struct srctree;

struct classifier *classifier_new(const struct rules *rules, struct srctree *src);
/* Fill r->cls.  Frames should be symbolized first when a vmlinux is given. */
void classify_report(struct classifier *c, struct report *r);
void classifier_free(struct classifier *c);

#endif
