/* cmd_show.c - kcsan-triage show ID: one report in full. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "maintainers.h"
#include "render.h"
#include "srctree.h"
#include "store.h"

/* A count by name (a caller, a log), in the order first seen. */
struct show_count {
	char *key;
	long n;
	uint64_t first, last;           /* a log's first and last line */
	struct show_count *sub;         /* a log's callers */
	size_t nsub, cap;
};

/* What the grouping keeps of one occurrence: its log, line and the functions of its first stack. */
struct show_occ {
	char *source;
	uint64_t line;
	char **funcs;
	size_t nfuncs;
};

struct show {
	struct out *o;
	struct srctree *src;
	bool raw;
	bool all;
	long n;
	char *evidence;                 /* the signature's, shown above the occurrences */
	struct show_occ *occ;           /* text: every occurrence, for the grouping */
	size_t nocc, cap;
};

static void show_keep(struct show *sh, const struct report *r)
{
	struct show_occ *k;
	const struct access *a = r->nacc ? &r->acc[0] : NULL;

	ALLOC_GROW(sh->occ, sh->nocc, sh->cap);
	k = &sh->occ[sh->nocc++];
	k->source = xstrdup(r->source ? r->source : "-");
	k->line = r->line;
	k->nfuncs = a ? a->nframes : 0;
	k->funcs = xcalloc(k->nfuncs ? k->nfuncs : 1, sizeof(char *));
	for (size_t i = 0; i < k->nfuncs; i++) {
		char base[256];

		func_base_name(a->frames[i].func ? a->frames[i].func : "?", base, sizeof(base));
		k->funcs[i] = xstrdup(base);
	}
}

static void show_occurrence(struct report *r, int64_t occ_id, const char *stored_at, void *data)
{
	struct show *sh = data;
	struct out *o = sh->o;
	bool full = sh->n == 0 || sh->all;

	sh->n++;
	if (!out_json(o)) {
		show_keep(sh, r);
		if (!full)
			return;
		out_text(o, "\n");
		out_text_style(o, STYLE_BOLD, "occurrence");
		out_text(o, " %ld (#%lld), stored %s\n", sh->n, (long long)occ_id, stored_at);
	}
	/* the source of the frames the scan could not read */
	if (sh->src)
		srctree_fill_report(sh->src, r);
	out_begin_obj(o, NULL);
	out_int(o, "id", NULL, occ_id);
	out_str(o, "stored_at", NULL, stored_at);
	out_begin_arr(o, "report");
	render_report_under(o, r, sh->all ? DETAIL_FULL : DETAIL_STACKS, sh->evidence);
	out_end_arr(o);
	if (sh->raw) {
		out_str(o, "raw", "  raw text as read:\n%s", sbuf_str(&r->raw));
	}
	out_end_obj(o);
}

/* ---------------------------------------------------------------------- */
/* the occurrences grouped by log and by caller */

static struct show_count *count_add(struct show_count **v, size_t *n, size_t *cap, const char *key, uint64_t line)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i].key, key)) {
			(*v)[i].n++;
			(*v)[i].last = line;
			return &(*v)[i];
		}
	ALLOC_GROW(*v, *n, *cap);
	memset(&(*v)[*n], 0, sizeof(**v));
	(*v)[*n].key = xstrdup(key);
	(*v)[*n].n = 1;
	(*v)[*n].first = (*v)[*n].last = line;
	return &(*v)[(*n)++];
}

static void counts_free(struct show_count *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		counts_free(v[i].sub, v[i].nsub);
		free(v[i].key);
	}
	free(v);
}

/* "__send_to_port 541, virtblk_done 1" (most first; the same count in the order seen). */
static void counts_print(struct out *o, struct show_count *v, size_t n)
{
	struct show_count *sorted;

	if (!n)
		return;
	sorted = xmalloc(n * sizeof(*sorted));
	memcpy(sorted, v, n * sizeof(*sorted));
	/* an insertion sort: stable, so that the same count keeps the order seen */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && sorted[j].n > sorted[j - 1].n; j--) {
			struct show_count t = sorted[j];

			sorted[j] = sorted[j - 1];
			sorted[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		out_text(o, "%s", i ? ", " : "");
		out_text_safe(o, sorted[i].key);
		out_text(o, " %ld", sorted[i].n);
	}
	free(sorted);
}

/* "line 283", "lines 275-2734": where a log has the occurrences. */
static char *log_lines(const struct show_count *l)
{
	if (l->first == l->last)
		return xasprintf("line %llu", (unsigned long long)l->first);
	return xasprintf("lines %llu-%llu", (unsigned long long)l->first, (unsigned long long)l->last);
}

/* How many frames, from the top, every occurrence's first stack has in common. */
static size_t common_prefix(const struct show *sh)
{
	size_t p = sh->nocc ? sh->occ[0].nfuncs : 0;

	for (size_t i = 1; i < sh->nocc; i++) {
		size_t k = 0;

		while (k < p && k < sh->occ[i].nfuncs && !strcmp(sh->occ[i].funcs[k], sh->occ[0].funcs[k]))
			k++;
		p = k;
	}
	return p;
}

/*
 * Every occurrence, counted by log (with its lines) and by caller: the
 * first frame where their stacks part (none when all are the same).
 */
static void show_groups(struct out *o, const struct show *sh)
{
	struct show_count *logs = NULL, *callers = NULL;
	size_t nlogs = 0, lcap = 0, ncallers = 0, ccap = 0, p = common_prefix(sh);
	int w = 0, lw = 0;

	for (size_t i = 0; i < sh->nocc; i++) {
		const struct show_occ *k = &sh->occ[i];
		struct show_count *log = count_add(&logs, &nlogs, &lcap, k->source, k->line);

		if (p < k->nfuncs) {
			count_add(&log->sub, &log->nsub, &log->cap, k->funcs[p], k->line);
			count_add(&callers, &ncallers, &ccap, k->funcs[p], k->line);
		}
	}
	for (size_t i = 0; i < nlogs; i++) {
		char *lines = log_lines(&logs[i]);

		if ((int)strlen(logs[i].key) > w)
			w = (int)strlen(logs[i].key);
		if ((int)strlen(lines) > lw)
			lw = (int)strlen(lines);
		free(lines);
	}
	out_text(o, "\n");
	out_text_style(o, STYLE_BOLD, "occurrences");
	out_text(o, " by log%s: %zu in %zu log%s\n", ncallers ? " and caller (where their stacks part)" : "",
		 sh->nocc, nlogs, nlogs == 1 ? "" : "s");
	for (size_t i = 0; i < nlogs; i++) {
		const struct show_count *l = &logs[i];
		char *lines = log_lines(l);

		out_text(o, "  ");
		out_text_safe(o, l->key);
		out_text(o, "%*s %5ld  %-*s%s", w - (int)strlen(l->key), "", l->n, l->nsub ? lw : 0, lines,
			 l->nsub ? "  " : "");
		counts_print(o, l->sub, l->nsub);
		out_text(o, "\n");
		free(lines);
	}
	if (ncallers > 1 && nlogs > 1) {
		out_text(o, "  by caller: ");
		counts_print(o, callers, ncallers);
		out_text(o, "\n");
	}
	if (!sh->all && sh->nocc > 1)
		out_text(o, "  (--all shows every occurrence in full)\n");
	counts_free(logs, nlogs);
	counts_free(callers, ncallers);
}

static void show_release(struct show *sh)
{
	for (size_t i = 0; i < sh->nocc; i++) {
		for (size_t j = 0; j < sh->occ[i].nfuncs; j++)
			free(sh->occ[i].funcs[j]);
		free(sh->occ[i].funcs);
		free(sh->occ[i].source);
	}
	free(sh->occ);
	free(sh->evidence);
}

/* ---------------------------------------------------------------------- */

struct show_opts {
	struct opt_output out;
	const char *src;
	bool raw, all;
};

static const struct option_spec show_specs[] = {
	OPT_INCLUDE_AT(opt_group_output_csv, struct show_opts, out),
	OPT_STRING("src", "DIR", struct show_opts, src, "read the frames' source lines from this tree"),
	OPT_FLAG("raw", 0, struct show_opts, raw, "also each shown occurrence as it was read"),
	OPT_FLAG("all", 0, struct show_opts, all, "every occurrence in full, not only the first"),
	OPT_END(),
};
const struct option_table cmd_show_options = OPT_TABLE(struct show_opts, show_specs);

/* Text: the answer in one line, then what it is about. */
static void show_answer(struct out *o, const struct sig_row *s, const struct verdict_text *t)
{
	enum verdict eff = effective_verdict(s->cls.verdict, &s->label);
	char *answer = render_answer(&s->cls, &s->label, t, s->top_func);
	const char *colon = strchr(answer, ':');
	char *head = colon ? xstrndup(answer, (size_t)(colon - answer)) : xstrdup(answer);

	out_text_style(o, verdict_style(eff), head);
	out_text_style(o, STYLE_BOLD, colon ? colon : "");
	out_text(o, "\n");
	free(head);
	free(answer);
}

/* The signature: its verdict (the label's, when there is one), the tool's with its facts, and counts. */
static void show_signature(struct out *o, const struct sig_row *s, const char *sig_id, char **evidence)
{
	enum verdict eff = effective_verdict(s->cls.verdict, &s->label);
	const char *tool = verdict_name(s->cls.verdict);
	struct verdict_text t;

	render_verdict_text(&s->cls, &t);
	if (!out_json(o))
		show_answer(o, s, &t);
	out_int(o, "id", "#%lld ", s->id);
	out_str(o, "title", NULL, s->title);
	out_text_safe(o, s->display_title);
	out_text(o, "\n");
	out_str(o, "signature", "  signature: %s\n", sig_id);
	out_str_style(o, "verdict", "  verdict: %s", verdict_name(eff), verdict_style(eff));
	if (s->label.verdict != V_NONE)
		out_text(o, " (a person's label; the tool says %s)", tool);
	out_text(o, "\n");
	out_str(o, "tool_verdict", NULL, tool);
	render_label(o, "label", &s->label);
	if (s->label.note) {
		out_text(o, "  label note: ");
		out_text_safe(o, s->label.note);
		out_text(o, "\n");
	}
	out_str(o, "writer", s->cls.writer ? "  writer: %s\n" : NULL, writer_name(s->cls.writer));
	out_str(o, "confidence", s->cls.confidence ? "  confidence: %s\n" : NULL, confidence_name(s->cls.confidence));
	out_str(o, "field", t.field ? "  field: %s\n" : NULL, t.field);
	out_str(o, "rule", NULL, t.rule);
	out_str(o, "evidence", NULL, t.evidence);
	render_evidence_list(o, &t);
	out_str(o, "marking", t.marking ? "  marking: %s\n" : NULL, t.marking);
	out_str(o, "bug_type", NULL, bug_type_name(s->bug_type));
	out_bool(o, "unknown_origin", NULL, s->unknown_origin);
	out_str(o, "function", s->top_func ? "  top function: %s\n" : NULL, s->top_func);
	out_str(o, "subsystem", s->subsystem ? "  subsystem: %s\n" : NULL, s->subsystem);
	out_int(o, "count", "  occurrences: %lld", s->count);
	out_str(o, "first_seen", ", first seen %s", s->first_seen);
	out_str(o, "last_seen", ", last seen %s\n", s->last_seen);
	out_str(o, "first_kernel", s->first_kernel ? "  kernels: %s" : NULL, s->first_kernel);
	out_str(o, "last_kernel", s->first_kernel ? " .. %s\n" : NULL, s->last_kernel);
	*evidence = t.evidence ? xstrdup(t.evidence) : NULL;
	verdict_text_release(&t);
}

/* ---------------------------------------------------------------------- */
/* who to mail: the tree's MAINTAINERS for the guilty file */

static void show_guilty(struct report *r, int64_t occ_id, const char *stored_at, void *data)
{
	char **file = data;

	(void)occ_id;
	(void)stored_at;
	if (!*file)
		*file = maint_guilty_file(r);
}

/* "To: a, b" or "Cc: ...": the people of one role (cc: the others) and, for Cc, the lists. */
static void show_addrs(struct out *o, const char *key, const char *head, const struct maint_route *rt, bool to)
{
	const char *sep = head;

	out_begin_arr(o, key);
	for (size_t i = 0; i < rt->npeople; i++) {
		if ((rt->people[i].role == MAINT_MAINTAINER) != to)
			continue;
		out_text(o, "%s", sep);
		out_str(o, NULL, "%s", rt->people[i].addr);
		sep = ", ";
	}
	for (size_t i = 0; !to && i < rt->nlists; i++) {
		out_text(o, "%s", sep);
		out_str(o, NULL, "%s", rt->lists[i]);
		sep = ", ";
	}
	out_end_arr(o);
	if (sep != head)
		out_text(o, "\n");
}

/*
 * With a tree that has MAINTAINERS: the guilty file of the first
 * occurrence, and To: (maintainers) and Cc: (reviewers, lists) as
 * get_maintainer.pl names them.  0, or -1 when the store failed.
 */
static int show_route(struct ctx *ctx, struct out *o, const struct sig_row *s, const struct srctree *src)
{
	const char *root = srctree_root(src);
	const struct maint_db *db = NULL;
	struct maint_route rt = MAINT_ROUTE_INIT;
	char *file = NULL, *path;

	if (!root)
		return 0;
	path = xasprintf("%s/MAINTAINERS", root);
	if (access(path, R_OK) == 0)
		db = maint_load(ctx, root);
	free(path);
	if (!db)
		return 0;
	if (store_occurrences(ctx->store, s, 1, show_guilty, &file) < 0)
		return -1;
	out_str(o, "guilty_file", file ? "  guilty file: %s" : NULL, file);
	if (file && maint_route(db, file, &rt) == 0) {
		out_str(o, "maintainers_entry", " (%s)", maint_route_subsystem(&rt));
		out_text(o, "\n");
		show_addrs(o, "to", "To: ", &rt, true);
		show_addrs(o, "cc", "Cc: ", &rt, false);
	} else {
		out_null(o, "maintainers_entry");
		out_text(o, file ? " (no MAINTAINERS entry)\n" : "");
		out_begin_arr(o, "to");
		out_end_arr(o);
		out_begin_arr(o, "cc");
		out_end_arr(o);
	}
	maint_route_release(&rt);
	free(file);
	return 0;
}

/* CSV: one row per occurrence, with the signature's ID and verdicts. */
static const struct column show_csv_cols[] = {
	{ .key = "signature" }, { .key = "id" }, { .key = "stored_at" }, { .key = "file" }, { .key = "line" },
	{ .key = "time" }, { .key = "printk_time" }, { .key = "kernel" }, { .key = "verdict" },
	{ .key = "tool_verdict" }, { .key = "extid" },
};

struct show_csv {
	struct table *t;
	const char *sig_id;
};

static void show_csv_row(struct report *r, int64_t occ_id, const char *stored_at, void *data)
{
	struct show_csv *sc = data;

	table_str(sc->t, sc->sig_id);
	table_int(sc->t, occ_id);
	table_str(sc->t, stored_at);
	table_str(sc->t, r->source);
	table_int(sc->t, (long long)r->line);
	table_str(sc->t, r->event_time);
	table_str(sc->t, r->log_time);
	table_str(sc->t, r->kernel);
	table_str(sc->t, verdict_name(effective_verdict(r->cls.verdict, &r->label)));
	table_str(sc->t, verdict_name(r->cls.verdict));
	table_str(sc->t, r->meta ? r->meta->v[META_EXTID] : NULL);
}

static int show_csv(struct ctx *ctx, const struct sig_row *s, const char *sig_id)
{
	struct out *o = out_new(stdout, KT_FMT_CSV);
	struct show_csv sc = { table_begin(o, NULL, show_csv_cols,
					   (int)(sizeof(show_csv_cols) / sizeof(show_csv_cols[0]))), sig_id };
	int rc = store_occurrences(ctx->store, s, 0, show_csv_row, &sc);

	table_end(sc.t);
	return cmd_close_output(ctx, o, rc < 0 ? KT_EXIT_STORE : KT_EXIT_OK);
}

int cmd_show(int argc, char **argv, struct ctx *ctx, const void *opts)
{
	const struct show_opts *so = opts;
	enum kt_format fmt = (enum kt_format)so->out.format;
	struct show sh = { .raw = so->raw, .all = so->all };
	const char *src = so->src;
	struct sig_row s;
	int rc;
	long long id;
	char *end, sig_id[REPORT_SIG_ID_LEN + 1];

	if (argc != 1) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "show takes one report ID (see '%s list')", KT_PROG);
		return KT_EXIT_USAGE;
	}
	id = strtoll(argv[0], &end, 10);
	if (*argv[0] == '#')
		id = strtoll(argv[0] + 1, &end, 10);
	if (*end || id <= 0) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "'%s' is not a report ID", argv[0]);
		return KT_EXIT_USAGE;
	}
	if (src && srctree_check_root(ctx, src) < 0)
		return KT_EXIT_SYMBOLS;
	rc = store_get_signature(ctx->store, id, &s);
	if (rc < 0)
		return KT_EXIT_STORE;
	if (rc == 0) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "no report #%lld in %s", id, store_path(ctx->store));
		return KT_EXIT_USAGE;
	}
	if (store_signature_id(ctx->store, s.id, sig_id) < 0 || fmt == KT_FMT_CSV) {
		rc = sig_id[0] ? show_csv(ctx, &s, sig_id) : KT_EXIT_STORE;
		sig_row_release(&s);
		return rc;
	}
	sh.src = src ? srctree_new(src) : NULL;
	sh.o = out_new_stdout(ctx, fmt);
	out_begin_obj(sh.o, NULL);
	out_int(sh.o, "schema_version", NULL, SCHEMA_VERSION);
	show_signature(sh.o, &s, sig_id, &sh.evidence);
	rc = sh.src ? show_route(ctx, sh.o, &s, sh.src) : 0;
	out_begin_arr(sh.o, "occurrences");
	if (rc >= 0)
		rc = store_occurrences(ctx->store, &s, 0, show_occurrence, &sh);
	out_end_arr(sh.o);
	if (!out_json(sh.o) && rc >= 0)
		show_groups(sh.o, &sh);
	out_end_obj(sh.o);
	show_release(&sh);
	sig_row_release(&s);
	srctree_free(sh.src);
	maint_cleanup();
	return cmd_close_output(ctx, sh.o, rc < 0 ? KT_EXIT_STORE : KT_EXIT_OK);
}
