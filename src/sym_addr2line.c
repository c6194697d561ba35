/*
 * sym_addr2line.c - the binutils back end: one long-lived
 * "addr2line -a -f -i -e OBJ" per object (per section for a .ko, with
 * -j SECTION and section-relative addresses), fed over a socket in batches
 * the way syzkaller's symbolizer does: every address of a batch, then a
 * sentinel address whose answer marks the end.  For DWARF that libdw
 * cannot read; the results have the same shape as sym_dwarf.c's (columns
 * are 0: addr2line does not print them).
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

#include "sym_internal.h"

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

struct sym_a2l {
	char *tmp;              /* a decompressed copy of a compressed object, removed at close */
	bool tmp_tried;
	const char *error;      /* interned */
	struct a2l_proc *procs;
	size_t nprocs, cap;
};

/* ---------------------------------------------------------------------- */

bool sym_a2l_has_dwarf(struct sym_obj *o)
{
	for (size_t i = 0; i < o->nsecs; i++)
		if (o->secs[i].name && (!strcmp(o->secs[i].name, ".debug_info") || !strcmp(o->secs[i].name, ".zdebug_info")))
			return true;
	return false;
}

static struct sym_a2l *a2l_of(struct sym_obj *o)
{
	if (!o->a2l)
		o->a2l = xcalloc(1, sizeof(*o->a2l));
	return o->a2l;
}

/*
 * addr2line reads no .ko.xz: write the ELF that libdw decompresses into a
 * temporary file.  A separate libdwfl session, so that nothing it relocated
 * for the libdw side can leak into the copy.
 */
static const char *object_path(struct sym_obj *o)
{
	struct sym_a2l *a = a2l_of(o);
	static const Dwfl_Callbacks cb = { .section_address = dwfl_offline_section_address };
	const char *tmpdir = getenv("TMPDIR");
	Dwfl *dwfl = NULL;
	Dwfl_Module *mod;
	GElf_Addr bias;
	Elf *elf;
	char *raw;
	size_t size, done = 0;
	int fd = -1;

	char *zimage = NULL;

	if (!o->compressed)
		return o->path;
	if (a->tmp_tried)
		return a->tmp;
	a->tmp_tried = true;
	if (o->image) {
		/* zstd: decompress afresh, libdw relocated its copy in place */
		const char *err;

		raw = zimage = sym_zstd_image(o->path, &size, &err);
		if (!raw)
			goto fail;
	} else {
		dwfl = dwfl_begin(&cb);
		if (!dwfl)
			goto fail;
		dwfl_report_begin(dwfl);
		mod = dwfl_report_offline(dwfl, "copy", o->path, -1);
		dwfl_report_end(dwfl, NULL, NULL);
		if (!mod || !(elf = dwfl_module_getelf(mod, &bias)) || !(raw = elf_rawfile(elf, &size)))
			goto fail;
	}
	a->tmp = xasprintf("%s/kcsan-triage-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
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
	if (dwfl)
		dwfl_end(dwfl);
	free(zimage);
	return a->tmp;
fail:
	a->error = sym_internf(o->s, "%s: cannot write a decompressed copy for addr2line: %s", o->path,
			       errno ? strerror(errno) : dwfl_errmsg(-1));
	if (fd >= 0)
		close(fd);
	if (a->tmp) {
		unlink(a->tmp);
		free(a->tmp);
		a->tmp = NULL;
	}
	if (dwfl)
		dwfl_end(dwfl);
	free(zimage);
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

static struct a2l_proc *get_proc(struct sym_obj *o, const char *section)
{
	struct sym_a2l *a = a2l_of(o);
	struct a2l_proc *p;
	const char *path;

	for (size_t i = 0; i < a->nprocs; i++)
		if (a->procs[i].section == section)
			return a->procs[i].dead ? NULL : &a->procs[i];
	path = object_path(o);
	ALLOC_GROW(a->procs, a->nprocs, a->cap);
	p = &a->procs[a->nprocs++];
	memset(p, 0, sizeof(*p));
	p->section = section;
	p->fd = -1;
	if (!path || !proc_start(p, path)) {
		if (!a->error)
			a->error = sym_internf(o->s, "cannot run addr2line: %s", strerror(errno));
		p->dead = true;
		return NULL;
	}
	return p;
}

void sym_a2l_close(struct sym_obj *o)
{
	struct sym_a2l *a = o->a2l;

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
	free(a);
	o->a2l = NULL;
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
static void parse_location(struct symbolizer *s, const char *txt, struct sym_loc *l)
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
	l->file = (char *)sym_intern_n(s, txt, (size_t)(colon - 1 - txt));
	l->line = (int)strtol(colon, NULL, 10);
}

/* Read one answer (after its header) into q: pairs of lines until the next header. */
static bool read_answer(struct symbolizer *s, struct a2l_proc *p, struct sbuf *line, struct sym_query *q,
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
			ch[n].func = (char *)sym_intern(s, line->buf);
		if (!read_line(p, line)) {
			free(ch);
			return false;
		}
		parse_location(s, line->buf, &ch[n]);
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
			ch[i].func = (char *)sym_intern(s, "??");
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
static void batch(struct sym_obj *o, struct a2l_proc *p, struct sym_query *qs, size_t n)
{
	struct symbolizer *s = o->s;
	struct sbuf out = SBUF_INIT, line = SBUF_INIT;
	const char **cds = xcalloc(n, sizeof(*cds));
	char first[32];
	size_t i = 0;
	bool ok;

	for (size_t k = 0; k < n; k++) {
		sbuf_addf(&out, "0x%llx\n", (unsigned long long)qs[k].section_off);
		cds[k] = sym_dwarf_comp_dir(o, qs[k].addr);
	}
	sbuf_adds(&out, A2L_SENTINEL "\n");
	snprintf(first, sizeof(first), "0x%016llx", (unsigned long long)qs[0].section_off);
	ok = send_all(p->fd, out.buf, out.len);
	/* skip what a previous batch may have left, up to our first header */
	while (ok && (ok = read_line(p, &line)) && strcmp(line.buf, first))
		;
	for (; ok && i < n; i++)
		ok = read_answer(s, p, &line, &qs[i], cds[i]);
	/* the sentinel's answer: "??" and "??:0" */
	ok = ok && read_line(p, &line) && read_line(p, &line);
	if (!ok) {
		proc_stop(p);
		for (i = i ? i - 1 : 0; i < n; i++)
			if (!qs[i].res->nchain)
				fail_query(&qs[i], sym_internf(s, "%s: addr2line stopped answering", sym_obj_label(o)));
	}
	free(cds);
	sbuf_release(&out);
	sbuf_release(&line);
}

void sym_a2l_lookup(struct sym_query *qs, size_t n)
{
	bool *done = xcalloc(n ? n : 1, sizeof(*done));
	struct sym_query *group = xmalloc((n ? n : 1) * sizeof(*group));

	for (size_t i = 0; i < n; i++) {
		struct sym_obj *o = qs[i].obj;
		const char *section = o->is_rel ? qs[i].section : NULL;
		struct a2l_proc *p;
		size_t ng = 0;

		if (done[i])
			continue;
		/* this query and every later one for the same process */
		for (size_t j = i; j < n; j++) {
			if (done[j] || qs[j].obj != o || (o->is_rel ? qs[j].section : NULL) != section)
				continue;
			done[j] = true;
			group[ng++] = qs[j];
		}
		p = get_proc(o, section);
		for (size_t k = 0; k < ng; k += A2L_BATCH) {
			size_t m = ng - k < A2L_BATCH ? ng - k : A2L_BATCH;

			if (p && !p->dead) {
				batch(o, p, group + k, m);
			} else {
				for (size_t t = 0; t < m; t++)
					fail_query(&group[k + t], o->a2l && o->a2l->error ? o->a2l->error :
						   sym_internf(o->s, "%s: addr2line is not running", sym_obj_label(o)));
			}
		}
	}
	free(group);
	free(done);
}
