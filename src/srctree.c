/* srctree.c - kernel source lines for evidence, read only under a known root. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "enrich.h"
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
	size_t found;          /* files of files[] that resolved */
};

static bool srctree_has(const char *dir, const char *name, bool want_dir)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct stat st;
	bool got = stat(path, &st) == 0 && (want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));

	free(path);
	return got;
}

/* How much dir looks like the top of a kernel tree: its files and top-level directories. */
static int srctree_marks(const char *dir)
{
	int marks = 0;

	if (srctree_has(dir, "MAINTAINERS", false) || srctree_has(dir, "Kbuild", false))
		marks += 2;
	if (srctree_has(dir, "Makefile", false))
		marks++;
	for (int i = 0; enrich_kernel_dirs[i] && marks < 2; i++)
		if (srctree_has(dir, enrich_kernel_dirs[i], true))
			marks++;
	return marks;
}

/*
 * A root with nothing of a kernel tree in it, but a single subdirectory that
 * looks like one (a tree unpacked in it: linux-6.1/): that subdirectory.
 */
static char *srctree_find_below(const char *root)
{
	DIR *d = opendir(root);
	struct dirent *de;
	char *got = NULL;
	int n = 0;

	if (!d)
		return NULL;
	while ((de = readdir(d)) && n < 2) {
		char *sub;

		if (de->d_name[0] == '.')
			continue;
		sub = xasprintf("%s/%s", root, de->d_name);
		if (srctree_marks(sub) >= 2 && n++ == 0)
			got = realpath(sub, NULL);
		free(sub);
	}
	closedir(d);
	if (n != 1) {
		free(got);
		return NULL;
	}
	return got;
}

struct srctree *srctree_new(const char *root)
{
	struct srctree *t = xcalloc(1, sizeof(*t));

	if (root) {
		char *rp = realpath(root, NULL), *below;

		t->root = rp ? rp : xstrdup(root);
		if (srctree_marks(t->root) == 0 && (below = srctree_find_below(t->root))) {
			free(t->root);
			t->root = below;
		}
	}
	return t;
}

const char *srctree_root(const struct srctree *t)
{
	return t ? t->root : NULL;
}

bool srctree_used(const struct srctree *t)
{
	return t && t->n;
}

bool srctree_matched(const struct srctree *t)
{
	return !t || !t->root || !t->n || t->found;
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

/* The resolved path if cand is a regular file inside base (a resolved path), else NULL. */
static char *inside(const char *base, const char *cand)
{
	char *rc = realpath(cand, NULL);
	size_t n = strlen(base);
	struct stat st;

	if (rc && !strncmp(rc, base, n) && rc[n] == '/' && stat(rc, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size <= MAX_SOURCE)
		return rc;
	free(rc);
	return NULL;
}

/* base/rest (sep between them) when it is inside base. */
static char *inside_join(const char *base, const char *sep, const char *rest)
{
	char *cand = xasprintf("%s%s%s", base, sep, rest), *got = inside(base, cand);

	free(cand);
	return got;
}

static char *resolve(struct srctree *t, const char *file, const char *comp_dir)
{
	char *got = NULL, *rcd;
	size_t cl = comp_dir ? strlen(comp_dir) : 0;

	if (t->root) {
		/* relative to the tree; an absolute DWARF path minus its compilation directory */
		if (file[0] != '/')
			got = inside_join(t->root, "/", file);
		else if (cl && !strncmp(file, comp_dir, cl) && file[cl] == '/')
			got = inside_join(t->root, "", file + cl);
		/* else the longest tail of the path that exists in the tree */
		for (const char *p = file; !got && (p = strchr(p, '/')); p++) {
			if (!p[1])
				break;
			got = inside_join(t->root, "/", p + 1);
		}
		return got;
	}
	if (!comp_dir || !(rcd = realpath(comp_dir, NULL)))
		return NULL;
	got = file[0] == '/' ? inside(rcd, file) : inside_join(rcd, "/", file);
	free(rcd);
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
	t->found++;
	fp = fopen(f->path, "rb");
	if (fp) {
		struct sbuf sb = SBUF_INIT;
		size_t cap = 0;

		sbuf_read_file(&sb, fp);   /* a read error keeps what was read */
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

const char *srctree_frame_line(struct srctree *t, struct frame *f)
{
	const char *text = srctree_line(t, f->file, f->comp_dir, f->line);

	if (text && !f->src)
		f->src = xstrdup(text);
	return text;
}

void srctree_fill_report(struct srctree *t, struct report *r)
{
	for (int i = 0; i < r->nacc; i++)
		for (size_t j = 0; j < r->acc[i].nframes; j++)
			if (!r->acc[i].frames[j].src)
				srctree_frame_line(t, &r->acc[i].frames[j]);
}

int srctree_check_root(struct ctx *ctx, const char *root)
{
	struct stat st;

	if (stat(root, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	kt_error(ctx, KT_EXIT_SYMBOLS, root, "--src: not a directory");
	return -1;
}
