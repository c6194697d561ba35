/*
 * sym_addr2line.c - the binutils back end: one long-lived
 * "addr2line -a -f -i -e OBJ" per object (per section for a .ko, with
 * -j SECTION and section-relative addresses), fed over a socket in batches
 * the way syzkaller's symbolizer does: every address of a batch, then a
 * sentinel address whose answer marks the end.  For DWARF that libdw
 * cannot read; the results have the same shape as sym_dwarf.c's (columns
 * are 0: addr2line does not print them).  The compilation directory of
 * each address comes from sym_units.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elfobj.h"
#include "kt.h"
#include "strpool.h"
#include "sym_backend.h"
#include "sym_units.h"

extern char **environ;

#define A2L_BATCH 1024               /* addresses in flight: their text fits a socket buffer */
#define A2L_SENTINEL "0xffffffffffffffff"

struct a2l_proc {
	const char *section;    /* interned; NULL: absolute addresses (vmlinux) */
	pid_t pid;
	int fd;                 /* our end of the child's stdin and stdout */
	FILE *in;               /* reads fd */
	bool dead;
};

/* The back end's state for one object. */
struct sym_a2l {
	struct elfobj *obj;
	struct strpool *pool;
	struct sym_units *units;    /* for compilation directories */
	bool units_tried;
	char *tmp;              /* a decompressed copy of a compressed object, removed at close */
	bool tmp_tried;
	const char *error;      /* interned */
	struct a2l_proc *procs;
	size_t nprocs, cap;
};

/* ---------------------------------------------------------------------- */

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH"), *p, *colon;
	bool found = false;

	for (p = path ? path : "/usr/bin:/bin"; p && !found; p = colon ? colon + 1 : NULL) {
		size_t n;
		char *cand;

		colon = strchr(p, ':');
		n = colon ? (size_t)(colon - p) : strlen(p);
		/* an empty entry is the current directory */
		cand = n ? xasprintf("%.*s/%s", (int)n, p, prog) : xasprintf("./%s", prog);
		found = access(cand, X_OK) == 0;
		free(cand);
	}
	return found;
}

static const char *a2l_unusable(void)
{
	if (!in_path("addr2line"))
		return "addr2line not found in PATH: install binutils, or use --symbolizer libdw";
	return NULL;
}

static void *a2l_open(struct elfobj *o, struct strpool *pool)
{
	struct sym_a2l *a = xcalloc(1, sizeof(*a));

	a->obj = o;
	a->pool = pool;
	return a;
}

static bool a2l_has_dwarf(void *state)
{
	return elfobj_has_debug_info(((struct sym_a2l *)state)->obj);
}

static struct sym_units *a2l_units(struct sym_a2l *a)
{
	if (!a->units_tried) {
		a->units_tried = true;
		a->units = sym_units_open(a->obj, a->pool, NULL);
	}
	return a->units;
}

/* The compilation directory of the unit holding a libdwfl address, or NULL. */
static const char *a2l_comp_dir(struct sym_a2l *a, uint64_t addr)
{
	struct sym_units *u = a2l_units(a);
	struct sym_unit *cu = u ? sym_units_at(u, addr - sym_units_bias(u)) : NULL;

	return cu ? sym_unit_comp_dir(cu) : NULL;
}

static const char *a2l_source_root(void *state)
{
	struct sym_units *u = a2l_units(state);
	struct sym_unit *cu = u ? sym_units_first(u) : NULL;

	return cu ? sym_unit_comp_dir(cu) : NULL;
}

/*
 * addr2line reads no .ko.xz: write the ELF decompressed afresh (libdw
 * relocated its copy in place) into a temporary file.
 */
static const char *object_path(struct sym_a2l *a)
{
	const struct elfobj *o = a->obj;
	char *raw, why[256];
	size_t size, done = 0;
	int fd = -1;

	if (!elfobj_is_compressed(o))
		return elfobj_path(o);
	if (a->tmp_tried)
		return a->tmp;
	a->tmp_tried = true;
	errno = 0;
	raw = elfobj_image(elfobj_path(o), &size, why, sizeof(why));
	if (!raw)
		goto fail;
	a->tmp = kt_tmp_template();
	fd = mkstemp(a->tmp);
	if (fd < 0)
		goto fail;
	while (done < size) {
		ssize_t w = write(fd, raw + done, size - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		done += (size_t)w;
	}
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	free(raw);
	return a->tmp;
fail:
	a->error = strpool_internf(a->pool, "%s: cannot write a decompressed copy for addr2line: %s", elfobj_path(o),
				   !raw ? why : strerror(errno));
	if (fd >= 0)
		close(fd);
	if (a->tmp) {
		unlink(a->tmp);
		free(a->tmp);
		a->tmp = NULL;
	}
	free(raw);
	return NULL;
}

static void proc_stop(struct a2l_proc *p)
{
	int st;

	if (p->in)
		fclose(p->in);   /* closes fd too: addr2line sees the end of its input */
	else if (p->fd >= 0)
		close(p->fd);
	p->in = NULL;
	p->fd = -1;
	if (p->pid > 0)
		while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
			;
	p->pid = 0;
	p->dead = true;
}

static bool proc_start(struct a2l_proc *p, const char *path)
{
	posix_spawn_file_actions_t fa;
	int sv[2] = { -1, -1 }, devnull, rc;
	char *argv[10];
	int argc = 0;

	p->fd = -1;
	p->dead = true;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return false;
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	argv[argc++] = (char *)"addr2line";
	argv[argc++] = (char *)"-a";
	argv[argc++] = (char *)"-f";
	argv[argc++] = (char *)"-i";
	if (p->section) {
		argv[argc++] = (char *)"-j";
		argv[argc++] = (char *)p->section;
	}
	argv[argc++] = (char *)"-e";
	argv[argc++] = (char *)path;
	argv[argc] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 1);
	if (devnull >= 0)
		posix_spawn_file_actions_adddup2(&fa, devnull, 2);
	rc = posix_spawnp(&p->pid, "addr2line", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(sv[1]);
	if (devnull >= 0)
		close(devnull);
	if (rc != 0) {
		close(sv[0]);
		p->pid = 0;
		errno = rc;
		return false;
	}
	p->fd = sv[0];
	p->in = fdopen(p->fd, "r");
	if (!p->in) {
		proc_stop(p);
		return false;
	}
	p->dead = false;
	return true;
}

static struct a2l_proc *get_proc(struct sym_a2l *a, const char *section)
{
	struct a2l_proc *p;
	const char *path;

	for (size_t i = 0; i < a->nprocs; i++)
		if (a->procs[i].section == section)
			return a->procs[i].dead ? NULL : &a->procs[i];
	path = object_path(a);
	ALLOC_GROW(a->procs, a->nprocs, a->cap);
	p = &a->procs[a->nprocs++];
	memset(p, 0, sizeof(*p));
	p->section = section;
	p->fd = -1;
	if (!path || !proc_start(p, path)) {
		if (!a->error)
			a->error = strpool_internf(a->pool, "cannot run addr2line: %s", strerror(errno));
		p->dead = true;
		return NULL;
	}
	return p;
}

static void a2l_close(void *state)
{
	struct sym_a2l *a = state;

	if (!a)
		return;
	for (size_t i = 0; i < a->nprocs; i++)
		if (!a->procs[i].dead)
			proc_stop(&a->procs[i]);
	free(a->procs);
	if (a->tmp) {
		unlink(a->tmp);
		free(a->tmp);
	}
	sym_units_close(a->units);
	free(a);
}

/* ---------------------------------------------------------------------- */
/* talking */

static bool send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* One line without its newline, or false at the end. */
static bool read_line(struct a2l_proc *p, struct sbuf *sb)
{
	int c;

	sbuf_reset(sb);
	while ((c = getc(p->in)) != EOF && c != '\n')
		sbuf_addc(sb, (char)c);
	if (c == EOF && !sb->len)
		return false;
	return true;
}

static bool is_header(const char *s)
{
	if (s[0] != '0' || s[1] != 'x' || !s[2])
		return false;
	for (s += 2; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

/* "path/file.c:123 (discriminator 4)" into file and line; "??:0" is unknown. */
static void parse_location(struct strpool *pool, const char *txt, struct sym_loc *l)
{
	const char *end = txt + strlen(txt), *colon;
	const char *disc = strstr(txt, " (discriminator ");

	if (disc)
		end = disc;
	for (colon = end; colon > txt && colon[-1] != ':'; colon--)
		;
	if (colon == txt)
		return;
	/* "??:0", "??:?", and "file.c:?" (a file but no line) are no location */
	if ((colon - 1 == txt + 2 && !strncmp(txt, "??", 2)) || *colon < '0' || *colon > '9')
		return;
	l->file = (char *)strpool_intern_n(pool, txt, (size_t)(colon - 1 - txt));
	l->line = (int)strtol(colon, NULL, 10);
}

/* Read one answer (after its header) into q: pairs of lines until the next header. */
static bool read_answer(struct strpool *pool, struct a2l_proc *p, struct sbuf *line, struct sym_query *q,
			const char *comp_dir)
{
	struct sym_result *r = q->res;
	struct sym_loc *ch = NULL;
	size_t n = 0, cap = 0;
	bool known = false;

	for (;;) {
		if (!read_line(p, line)) {
			free(ch);
			return false;
		}
		if (is_header(line->buf))
			break;
		ALLOC_GROW(ch, n, cap);
		memset(&ch[n], 0, sizeof(ch[n]));
		if (strcmp(line->buf, "??"))
			ch[n].func = (char *)strpool_intern(pool, line->buf);
		if (!read_line(p, line)) {
			free(ch);
			return false;
		}
		parse_location(pool, line->buf, &ch[n]);
		if (ch[n].file) {
			known = true;
			ch[n].comp_dir = (char *)comp_dir;
		}
		n++;
	}
	if (!n) {
		ch = xcalloc(1, sizeof(*ch));
		n = 1;
	}
	/* the outermost level is named by its ELF symbol, as the libdw side does */
	ch[n - 1].func = (char *)q->symbol;
	for (size_t i = 0; i + 1 < n; i++)
		if (!ch[i].func)
			ch[i].func = (char *)strpool_intern(pool, "??");
	r->chain = ch;
	r->nchain = n;
	if (!known)
		r->status = SYM_NO_LINE;
	return true;
}

static void fail_query(struct sym_query *q, const char *note)
{
	q->res->status = SYM_ERROR;
	q->res->note = note;
}

/* Look up qs[0..n) (same object and section) in one round trip. */
static void batch(struct sym_a2l *a, struct a2l_proc *p, struct sym_query *qs, size_t n)
{
	struct sbuf out = SBUF_INIT, line = SBUF_INIT;
	const char **cds = xcalloc(n, sizeof(*cds));
	char first[32];
	size_t i = 0;
	bool ok;

	for (size_t k = 0; k < n; k++) {
		sbuf_addf(&out, "0x%llx\n", (unsigned long long)qs[k].section_off);
		cds[k] = a2l_comp_dir(a, qs[k].addr);
	}
	sbuf_adds(&out, A2L_SENTINEL "\n");
	snprintf(first, sizeof(first), "0x%016llx", (unsigned long long)qs[0].section_off);
	ok = send_all(p->fd, out.buf, out.len);
	/* skip what a previous batch may have left, up to our first header */
	while (ok && (ok = read_line(p, &line)) && strcmp(line.buf, first))
		;
	for (; ok && i < n; i++)
		ok = read_answer(a->pool, p, &line, &qs[i], cds[i]);
	/* the sentinel's answer: "??" and "??:0" */
	ok = ok && read_line(p, &line) && read_line(p, &line);
	if (!ok) {
		proc_stop(p);
		for (i = i ? i - 1 : 0; i < n; i++)
			if (!qs[i].res->nchain)
				fail_query(&qs[i], strpool_internf(a->pool, "%s: addr2line stopped answering",
								 elfobj_label(a->obj)));
	}
	free(cds);
	sbuf_release(&out);
	sbuf_release(&line);
}

static void a2l_lookup(struct sym_query *qs, size_t n)
{
	bool *done = xcalloc(n ? n : 1, sizeof(*done));
	struct sym_query *group = xmalloc((n ? n : 1) * sizeof(*group));

	for (size_t i = 0; i < n; i++) {
		struct sym_a2l *a = qs[i].state;
		bool rel = elfobj_is_rel(a->obj);
		const char *section = rel ? qs[i].section : NULL;
		struct a2l_proc *p;
		size_t ng = 0;

		if (done[i])
			continue;
		/* this query and every later one for the same process */
		for (size_t j = i; j < n; j++) {
			if (done[j] || qs[j].state != a || (rel ? qs[j].section : NULL) != section)
				continue;
			done[j] = true;
			group[ng++] = qs[j];
		}
		p = get_proc(a, section);
		for (size_t k = 0; k < ng; k += A2L_BATCH) {
			size_t m = ng - k < A2L_BATCH ? ng - k : A2L_BATCH;

			if (p && !p->dead)
				batch(a, p, group + k, m);
			else
				for (size_t t = 0; t < m; t++)
					fail_query(&group[k + t], a->error ? a->error :
						   strpool_internf(a->pool, "%s: addr2line is not running",
								   elfobj_label(a->obj)));
		}
	}
	free(group);
	free(done);
}

const struct sym_backend_ops sym_addr2line_backend = {
	.name = "addr2line",
	.unusable = a2l_unusable,
	.open = a2l_open,
	.close = a2l_close,
	.has_dwarf = a2l_has_dwarf,
	.lookup = a2l_lookup,
	.source_root = a2l_source_root,
};
