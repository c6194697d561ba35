/* cmd_scan.c - kcsan-triage scan: find, triage and store KCSAN reports. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classify.h"
#include "cmds.h"
#include "hashmap.h"
#include "layout.h"
#include "pipeline.h"
#include "render.h"
#include "rules.h"
#include "srctree.h"
#include "store.h"
#include "sym.h"

/* One row per distinct report of this scan, for the text table. */
struct agg {
	struct hashmap_entry ent;   /* by signature */
	char sig[33];
	int64_t id;
	size_t count;
	char *title, *where, *field, *reason;
	enum verdict verdict, computed;
	enum writer writer;
	enum confidence conf;
	bool labelled;
};

/* What a file or a batch of files added to the store. */
struct scan_stored {
	size_t added, dups, upgraded;
};

struct scan {
	struct ctx *ctx;
	struct out *out;
	enum kt_format fmt;
	unsigned fail_mask;
	bool force_text;
	bool store_ok;          /* the file's transaction is open */
	/* counts; of the store's, only what was committed */
	size_t files, reports, added, dups, upgraded, truncated;
	struct scan_stored file, batch;   /* not yet committed: this file's, the open batch's */
	size_t batch_files;
	size_t by_verdict[4];
	bool findings;
	/* the distinct reports: found by signature, listed in the order first seen */
	struct hashmap aggs;
	struct agg **agg;
	size_t nagg, aggcap;
};

#define FAIL(v) (1u << (v))

/* Member layouts for the classifier, from the vmlinux (or a module's) DWARF. */
static int dwarf_layout(void *data, const char *module, const char *struct_name, const char *member,
			uint64_t *offset, uint64_t *size, uint64_t *stride)
{
	return layout_member(sym_layout(data, module), struct_name, member, offset, size, stride);
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int parse_fail_on(struct ctx *ctx, const char *s, unsigned *mask)
{
	char *dup = xstrdup(s), *tok, *save = NULL;
	int rc = 0;

	*mask = 0;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int v;

		if (!strcmp(tok, "none"))
			continue;
		if (!strcmp(tok, "any")) {
			*mask |= FAIL(V_DEVICE_ORIGIN) | FAIL(V_REAL_RACE) | FAIL(V_UNKNOWN_ORIGIN);
			continue;
		}
		v = verdict_from_name(tok);
		if (v < 0) {
			kt_error(ctx, KT_EXIT_USAGE, NULL,
				 "--fail-on takes verdicts (device-origin, real-race, unknown-origin), any or none, not '%s'", tok);
			rc = -1;
			break;
		}
		*mask |= FAIL(v);
	}
	free(dup);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* the store: files in batches, each file all or nothing */

/* SIGINT or SIGTERM: the file being read ends there, the rest are not read. */
static volatile sig_atomic_t scan_signal;

static void scan_on_signal(int sig)
{
	scan_signal = sig;
}

static void stored_add(struct scan_stored *to, struct scan_stored *from)
{
	to->added += from->added;
	to->dups += from->dups;
	to->upgraded += from->upgraded;
	memset(from, 0, sizeof(*from));
}

/* The open batch was committed (rc 1) or lost (rc -1), with the file name (the batch's last, or NULL). */
static void scan_batch_done(struct scan *s, const char *name, int rc)
{
	if (rc > 0) {
		s->added += s->batch.added;
		s->dups += s->batch.dups;
		s->upgraded += s->batch.upgraded;
	} else if (rc < 0 && s->batch_files > 1) {
		kt_error(s->ctx, KT_EXIT_STORE, name, "nothing from %s%zu file%s before it was stored",
			 name ? "this file and the " : "the ", s->batch_files - 1, s->batch_files == 2 ? "" : "s");
	} else if (rc < 0) {
		kt_error(s->ctx, KT_EXIT_STORE, name, "nothing from this file was stored");
	}
	if (rc != 0) {
		memset(&s->batch, 0, sizeof(s->batch));
		s->batch_files = 0;
	}
}

static void scan_file_begin(const char *name, void *data)
{
	struct scan *s = data;

	s->files++;
	s->store_ok = false;
	memset(&s->file, 0, sizeof(s->file));
	if (s->ctx->store)
		s->store_ok = store_begin(s->ctx->store, name) == 0;
}

static void scan_file_end(const char *name, int rc, void *data)
{
	struct scan *s = data;

	(void)rc;   /* a read error keeps what was read: those reports are whole */
	if (!s->ctx->store)
		return;
	if (!s->store_ok) {
		if (store_rollback(s->ctx->store) < 0) {
			s->batch_files++;   /* this one, and the batch before it */
			scan_batch_done(s, name, -1);
		} else {
			kt_error(s->ctx, KT_EXIT_STORE, name, "nothing from this file was stored");
		}
		return;
	}
	stored_add(&s->batch, &s->file);
	s->batch_files++;
	scan_batch_done(s, name, store_commit(s->ctx->store, name));
}

/* Store a report; its effective verdict (a person's label wins over the tool's). */
static enum verdict scan_store_report(struct scan *s, struct report *r, const char *subsystem,
				      struct store_added *added)
{
	enum store_result res;

	if (!s->ctx->store || !s->store_ok)
		return r->cls.verdict;
	res = store_add_report(s->ctx->store, r, subsystem, s->ctx->now, added);
	switch (res) {
	case STORE_ADDED: s->file.added++; break;
	case STORE_UPGRADED: s->file.upgraded++; break;
	case STORE_DUPLICATE: s->file.dups++; break;
	case STORE_FAILED:
		/* the file's transaction is rolled back at its end */
		s->store_ok = false;
		break;
	}
	/* the report shows the verdict that counts: its label's (the report owns it now) */
	r->label = added->label;
	if (res != STORE_FAILED && added->sig_id)
		return added->effective;
	return r->cls.verdict;
}

/* ---------------------------------------------------------------------- */
/* the distinct reports */

static bool agg_eq(const struct hashmap_entry *e, const struct hashmap_entry *key, const void *keydata)
{
	return !memcmp(container_of(e, struct agg, ent)->sig, keydata, 33);
}

static struct agg *agg_find(struct scan *s, const char sig[33])
{
	struct hashmap_entry *e = hashmap_get(&s->aggs, kt_hash_mem(sig, 32), NULL, sig);

	return e ? container_of(e, struct agg, ent) : NULL;
}

/* The row's verdict and explanation, from the first occurrence of its signature. */
static void agg_set_classification(struct agg *a, const struct report *r, const struct store_added *added,
				   enum verdict eff)
{
	struct verdict_text vt;

	render_verdict_text(&r->cls, &vt);
	a->field = vt.field;
	a->reason = vt.reason ? vt.reason : xstrdup(vt.evidence ? vt.evidence : "");
	vt.field = vt.reason = NULL;
	verdict_text_release(&vt);
	a->computed = r->cls.verdict;
	a->verdict = eff;
	a->writer = r->cls.writer;
	a->conf = r->cls.confidence;
	a->labelled = r->label.verdict != V_NONE;
	a->id = added->sig_id;
}

static struct agg *agg_add(struct scan *s, const char sig[33], const struct report *r)
{
	struct agg *a = xcalloc(1, sizeof(*a));

	memcpy(a->sig, sig, 33);
	a->title = report_display_title(r);
	a->where = xasprintf("%s:%llu", r->source, (unsigned long long)r->line);
	hashmap_entry_init(&a->ent, kt_hash_mem(sig, 32));
	hashmap_add(&s->aggs, &a->ent);
	ALLOC_GROW(s->agg, s->nagg, s->aggcap);
	s->agg[s->nagg++] = a;
	return a;
}

static void agg_count(struct scan *s, const struct report *r, const struct store_added *added, enum verdict eff)
{
	char sig[33];
	struct agg *a;

	report_signature(r, sig);
	a = agg_find(s, sig);
	if (!a) {
		a = agg_add(s, sig, r);
		agg_set_classification(a, r, added, eff);
	}
	a->count++;
}

static void agg_free(struct scan *s)
{
	for (size_t i = 0; i < s->nagg; i++) {
		struct agg *a = s->agg[i];

		free(a->title);
		free(a->where);
		free(a->field);
		free(a->reason);
		free(a);
	}
	free(s->agg);
	hashmap_clear(&s->aggs, HASHMAP_NO_FREE);
}

/* ---------------------------------------------------------------------- */

static void scan_on_report(struct report *r, const struct enrichment *e, void *data)
{
	struct scan *s = data;
	struct store_added added = { 0 };
	enum verdict eff;

	eff = scan_store_report(s, r, e->subsystem, &added);
	s->reports++;
	if (r->truncated)
		s->truncated++;
	if (eff > V_NONE && eff <= V_UNKNOWN_ORIGIN) {
		s->by_verdict[eff]++;
		if (s->fail_mask & FAIL(eff))
			s->findings = true;
	}
	if (s->fmt == KT_FMT_JSON)
		render_report(s->out, r, DETAIL_BRIEF);
	else
		agg_count(s, r, &added, eff);
	report_free(r);
}

static const char *verdict_label(const struct agg *a)
{
	return verdict_name(a->verdict);
}

static void print_agg(FILE *fp, const struct agg *a)
{
	struct out *o = out_new(fp, KT_FMT_TEXT);

	fputc('\n', fp);
	if (a->id)
		fprintf(fp, "#%lld ", (long long)a->id);
	fprintf(fp, "%zux %s", a->count, verdict_label(a));
	if (a->labelled)
		fprintf(fp, " (labelled; the tool says %s)", verdict_name(a->computed));
	else if (a->verdict == V_DEVICE_ORIGIN)
		fprintf(fp, " (%s writer, %s)", writer_name(a->writer), confidence_name(a->conf));
	if (a->field) {
		fputs("  ", fp);
		out_text_safe(o, a->field);
	}
	fputs("\n    ", fp);
	out_text_safe(o, a->title);
	fputs("\n    first at ", fp);
	out_text_safe(o, a->where);
	if (a->reason && *a->reason) {
		fputs(": ", fp);
		out_text_safe(o, a->reason);
	}
	fputc('\n', fp);
	out_close(o);
}

static void print_text(struct scan *s)
{
	FILE *fp = stdout;
	size_t distinct = s->nagg;

	fprintf(fp, "%zu KCSAN report%s (%zu distinct) in %zu file%s: %zu device-origin, %zu real-race, %zu unknown-origin",
		s->reports, s->reports == 1 ? "" : "s", distinct, s->files, s->files == 1 ? "" : "s",
		s->by_verdict[V_DEVICE_ORIGIN], s->by_verdict[V_REAL_RACE], s->by_verdict[V_UNKNOWN_ORIGIN]);
	if (s->truncated)
		fprintf(fp, "; %zu truncated", s->truncated);
	fputc('\n', fp);
	if (s->ctx->store)
		fprintf(fp, "store %s: %zu new, %zu already known%s\n", store_path(s->ctx->store), s->added + s->upgraded,
			s->dups, s->upgraded ? " (some completing truncated ones)" : "");
	for (size_t i = 0; i < s->nagg; i++)
		print_agg(fp, s->agg[i]);
}

static void json_begin(struct scan *s)
{
	s->out = out_new(stdout, KT_FMT_JSON);
	out_begin_obj(s->out, NULL);
	out_int(s->out, "schema_version", NULL, SCHEMA_VERSION);
	out_begin_arr(s->out, "reports");
}

static void json_end(struct scan *s)
{
	out_end_arr(s->out);
	out_begin_obj(s->out, "summary");
	out_int(s->out, "files", NULL, (long long)s->files);
	out_int(s->out, "reports", NULL, (long long)s->reports);
	out_int(s->out, "device_origin", NULL, (long long)s->by_verdict[V_DEVICE_ORIGIN]);
	out_int(s->out, "real_race", NULL, (long long)s->by_verdict[V_REAL_RACE]);
	out_int(s->out, "unknown_origin", NULL, (long long)s->by_verdict[V_UNKNOWN_ORIGIN]);
	out_int(s->out, "truncated", NULL, (long long)s->truncated);
	if (s->ctx->store) {
		out_int(s->out, "stored_new", NULL, (long long)(s->added + s->upgraded));
		out_int(s->out, "already_known", NULL, (long long)s->dups);
	}
	out_end_obj(s->out);
	out_end_obj(s->out);
	if (out_close(s->out) < 0)
		kt_error(s->ctx, KT_EXIT_INTERNAL, NULL, "write error on standard output");
}

/* Every input through the pipeline, then the summary. */
static void scan_run(struct scan *s, struct srctree *src, char **argv, int argc)
{
	static const struct pipeline_ops ops = { scan_file_begin, scan_on_report, scan_file_end };
	struct pipeline_config cfg = { 0 };
	struct pipeline *pl;

	cfg.sym = s->ctx->sym;
	cfg.cls = classifier_new(s->ctx->rules, src);
	cfg.force_text = s->force_text;
	if (cfg.sym)
		classifier_set_layout(cfg.cls, dwarf_layout, cfg.sym);
	hashmap_init(&s->aggs, agg_eq, 0);
	if (s->fmt == KT_FMT_JSON)
		json_begin(s);
	cfg.stop = &scan_signal;
	if (s->ctx->store)
		store_batch(s->ctx->store, true);
	pl = pipeline_new(s->ctx, &cfg, &ops, s);
	pipeline_run(pl, argv, argc);
	pipeline_free(pl);
	if (s->ctx->store)
		scan_batch_done(s, NULL, store_flush(s->ctx->store, NULL));
	if (scan_signal)
		kt_warn(s->ctx, NULL, "interrupted (%s): %zu new report%s stored; the files after the one being read were not read",
			scan_signal == SIGINT ? "SIGINT" : "SIGTERM", s->added + s->upgraded,
			s->added + s->upgraded == 1 ? "" : "s");
	if (s->fmt == KT_FMT_JSON)
		json_end(s);
	else
		print_text(s);
	classifier_free(cfg.cls);
	agg_free(s);
}

/* SIGINT and SIGTERM end the scan after the file being read (its reports stored); the defaults back after. */
static void scan_signals(bool on)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on ? scan_on_signal : SIG_DFL;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

struct scan_opts {
	struct opt_output out;
	unsigned fail_mask;
	bool text;
	const char *src;
};

static int scan_fail_on(struct ctx *ctx, const char *arg, void *mask)
{
	return parse_fail_on(ctx, arg, mask);
}

static const struct option_spec scan_specs[] = {
	OPT_INCLUDE_AT(opt_group_output, struct scan_opts, out),
	OPT_CALLBACK("fail-on", "LIST", struct scan_opts, fail_mask, scan_fail_on, "real-race,unknown-origin",
		     "the verdicts that make the exit status 1, or any, or none"),
	OPT_FLAG("text", 0, struct scan_opts, text, "read every line, as for mail (logs are skimmed)"),
	OPT_STRING("src", "DIR", struct scan_opts, src, "the kernel source tree the reports were built from"),
	OPT_INCLUDE(opt_group_store),
	OPT_INCLUDE(opt_group_rules),
	OPT_INCLUDE(opt_group_symbols),
	OPT_END(),
};
const struct option_table cmd_scan_options = OPT_TABLE(struct scan_opts, scan_specs);

int cmd_scan(int argc, char **argv, struct ctx *ctx, const void *opts)
{
	const struct scan_opts *so = opts;
	struct scan s = { 0 };
	const char *src_dir = so->src;
	struct srctree *src;
	int rc;

	s.ctx = ctx;
	s.fmt = (enum kt_format)so->out.format;
	s.fail_mask = so->fail_mask;
	s.force_text = so->text;
	if (cmd_inputs(ctx, &argc, &argv) < 0)
		return KT_EXIT_USAGE;

	if (src_dir && !is_dir(src_dir)) {
		kt_error(ctx, KT_EXIT_SYMBOLS, src_dir, "--src: not a directory");
		return KT_EXIT_SYMBOLS;
	}
	src = srctree_new(src_dir);
	scan_signals(true);
	scan_run(&s, src, argv, argc);
	scan_signals(false);
	if (!srctree_matched(src))
		kt_warn(ctx, src_dir, "--src: none of the reports' source files is under it (is it the top of a kernel tree?)");
	srctree_free(src);
	rc = s.findings ? KT_EXIT_FINDINGS : KT_EXIT_OK;
	rc = cmd_finish_output(ctx, rc);
	if (ctx->worst_exit > rc)
		rc = ctx->worst_exit;
	return scan_signal ? 128 + scan_signal : rc;
}
