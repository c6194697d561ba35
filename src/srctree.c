/* srctree.c - kernel source lines for evidence, read only under a known root. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "srctree.h"

#define MAX_SOURCE (8 * 1024 * 1024)

struct srcfile {
	char *key;             /* file + "\n" + comp_dir as asked */
	char *path;            /* the resolved path, or NULL when unreadable */
	char *text;
	size_t *lines;         /* offset of each line */
	size_t nlines;
	struct sbuf line;      /* the trimmed line handed out */
};

struct srctree {
	char *root;            /* realpath of --src, or NULL */
	struct srcfile *files;
	size_t n, cap;
};

struct srctree *srctree_new(const char *root)
{
	struct srctree *t = xcalloc(1, sizeof(*t));

	if (root) {
		char *rp = realpath(root, NULL);

		t->root = rp ? rp : xstrdup(root);
	}
	return t;
}

void srctree_free(struct srctree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->files[i].key);
		free(t->files[i].path);
		free(t->files[i].text);
		free(t->files[i].lines);
		sbuf_release(&t->files[i].line);
	}
	free(t->files);
	free(t->root);
	free(t);
}

/* The resolved path if cand is a regular file inside base (both resolved), else NULL. */
static char *inside(const char *base, const char *cand)
{
	char *rb = realpath(base, NULL), *rc = realpath(cand, NULL);
	struct stat st;
	char *ok = NULL;
	size_t n;

	if (rb && rc) {
		n = strlen(rb);
		if (!strncmp(rc, rb, n) && rc[n] == '/' && stat(rc, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_size <= MAX_SOURCE)
			ok = rc;
	}
	free(rb);
	if (!ok)
		free(rc);
	return ok;
}

static char *resolve(struct srctree *t, const char *file, const char *comp_dir)
{
	char *cand, *got = NULL;
	size_t cl = comp_dir ? strlen(comp_dir) : 0;

	if (t->root) {
		/* relative to the tree; an absolute DWARF path minus its compilation directory */
		if (file[0] != '/') {
			cand = xasprintf("%s/%s", t->root, file);
			got = inside(t->root, cand);
			free(cand);
		} else if (cl && !strncmp(file, comp_dir, cl) && file[cl] == '/') {
			cand = xasprintf("%s%s", t->root, file + cl);
			got = inside(t->root, cand);
			free(cand);
		}
		/* else the longest tail of the path that exists in the tree */
		for (const char *p = file; !got && (p = strchr(p, '/')); p++) {
			if (!p[1])
				break;
			cand = xasprintf("%s/%s", t->root, p + 1);
			got = inside(t->root, cand);
			free(cand);
		}
		return got;
	}
	if (!comp_dir)
		return NULL;
	if (file[0] == '/')
		return inside(comp_dir, file);
	cand = xasprintf("%s/%s", comp_dir, file);
	got = inside(comp_dir, cand);
	free(cand);
	return got;
}

static struct srcfile *load(struct srctree *t, const char *file, const char *comp_dir)
{
	char *key = xasprintf("%s\n%s", file, comp_dir ? comp_dir : "");
	struct srcfile *f;
	FILE *fp;

	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->files[i].key, key)) {
			free(key);
			return &t->files[i];
		}
	ALLOC_GROW(t->files, t->n, t->cap);
	f = &t->files[t->n++];
	memset(f, 0, sizeof(*f));
	f->key = key;
	f->path = resolve(t, file, comp_dir);
	if (!f->path)
		return f;
	fp = fopen(f->path, "rb");
	if (fp) {
		struct sbuf sb = SBUF_INIT;
		char buf[65536];
		size_t n, cap = 0;

		while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
			sbuf_add(&sb, buf, n);
		fclose(fp);
		f->text = sbuf_detach(&sb);
		ALLOC_GROW(f->lines, f->nlines, cap);
		f->lines[f->nlines++] = 0;
		for (char *p = f->text; (p = strchr(p, '\n')); p++) {
			ALLOC_GROW(f->lines, f->nlines, cap);
			f->lines[f->nlines++] = (size_t)(p + 1 - f->text);
		}
	}
	return f;
}

const char *srctree_line(struct srctree *t, const char *file, const char *comp_dir, int line)
{
	struct srcfile *f;
	const char *s, *e;

	if (!t || !file || line <= 0)
		return NULL;
	f = load(t, file, comp_dir);
	if (!f->text || (size_t)line > f->nlines)
		return NULL;
	s = f->text + f->lines[line - 1];
	e = strchr(s, '\n');
	if (!e)
		e = s + strlen(s);
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	sbuf_reset(&f->line);
	sbuf_add(&f->line, s, (size_t)(e - s));
	return sbuf_str(&f->line);
}

const char *srctree_path(struct srctree *t, const char *file, const char *comp_dir)
{
	if (!t || !file)
		return NULL;
	return load(t, file, comp_dir)->path;
}
