/* enrich.c - what a report's frames tell about it: its kernel subsystem. */
#include <stdlib.h>
#include <string.h>

#include "enrich.h"
#include "maintainers.h"

const char *const enrich_kernel_dirs[] = {
	"drivers/", "kernel/", "mm/", "fs/", "net/", "block/", "lib/", "arch/", "sound/", "security/",
	"include/", "io_uring/", "crypto/", "virt/", "ipc/", "init/", NULL,
};

/* Top-level directories whose subsystem is the directory itself, not its first subdirectory. */
static const char *const enrich_flat_dirs[] = { "mm/", "kernel/", "lib/", "block/", "io_uring/", NULL };

static bool enrich_is_one_of(const char *s, const char *const *dirs)
{
	for (int d = 0; dirs[d]; d++)
		if (str_startswith(s, dirs[d]))
			return true;
	return false;
}

const char *enrich_tree_path(const char *file)
{
	for (const char *top = file; *top; top++) {
		if (top != file && top[-1] != '/')
			continue;
		if (enrich_is_one_of(top, enrich_kernel_dirs))
			return top;
	}
	return NULL;
}

/* The subsystem of a source path: its top directory, and the one below it for most. */
static char *enrich_subsystem_of_file(const char *file)
{
	const char *tree = enrich_tree_path(file), *s1, *s2;

	if (tree)
		file = tree;
	s1 = strchr(file, '/');
	if (!s1)
		return xstrdup(file);
	s2 = strchr(s1 + 1, '/');
	if (!s2 || enrich_is_one_of(file, enrich_flat_dirs))
		return xstrndup(file, (size_t)(s1 - file));
	return xstrndup(file, (size_t)(s2 - file));
}

/* The MAINTAINERS entry of a file, or NULL when none but THE REST covers it. */
static char *enrich_entry_of_file(const struct maint_db *maint, const char *file)
{
	struct maint_route rt = MAINT_ROUTE_INIT;
	const char *name = NULL;
	char *out = NULL;

	if (maint_route(maint, file, &rt) == 0)
		name = maint_route_subsystem(&rt);
	if (name && strcmp(name, "THE REST"))
		out = xstrdup(name);
	maint_route_release(&rt);
	return out;
}

/* The kernel subsystem of the racy code: its guilty file's, else the top frame's directory or module. */
static char *enrich_subsystem(const struct report *r, const struct maint_db *maint)
{
	const struct access *a = r->nacc ? &r->acc[0] : NULL;
	char *guilty = maint_guilty_file(r), *sub = NULL;

	if (guilty) {
		if (maint)
			sub = enrich_entry_of_file(maint, guilty);
		if (!sub)
			sub = enrich_subsystem_of_file(guilty);
		free(guilty);
		return sub;
	}
	if (!a)
		return NULL;
	for (size_t i = 0; i < a->nframes; i++)
		if (a->frames[i].file)
			return enrich_subsystem_of_file(a->frames[i].file);
	for (size_t i = 0; i < a->nframes; i++)
		if (a->frames[i].module) {
			const char *m = a->frames[i].module;
			size_t n = strlen(m);
			char *s = xmalloc(n + 3);

			s[0] = '[';
			memcpy(s + 1, m, n);
			memcpy(s + 1 + n, "]", 2);
			return s;
		}
	return NULL;
}

void enrich_report(const struct report *r, const struct maint_db *maint, struct enrichment *e)
{
	memset(e, 0, sizeof(*e));
	e->subsystem = enrich_subsystem(r, maint);
}

void enrichment_release(struct enrichment *e)
{
	free(e->subsystem);
	e->subsystem = NULL;
}
