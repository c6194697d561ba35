/* cmd_scan.c - kcsan-triage scan: find, triage and store KCSAN reports. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classify.h"
#include "cmds.h"
#include "input.h"
#include "normalize.h"
#include "parse.h"
#include "render.h"
#include "rules.h"
#include "srctree.h"
#include "store.h"
#include "sym.h"

/* One row per distinct report of this scan, for the text table. */
struct agg {
	char sig[33];
	int64_t id;
	size_t count;
	char *title, *where, *field, *reason;
	enum verdict verdict, computed;
	enum writer writer;
	enum confidence conf;
	bool labelled;
};

struct scan {
	struct ctx *ctx;
	struct symbolizer *sym;
	bool warned_release;
	struct out *out;
	enum kt_format fmt;
	struct classifier *cls;
	unsigned fail_mask;
	bool force_text;
	/* per file */
	const char *file;
	bool store_ok;          /* the file's transaction is open */
	/* counts */
	size_t files, reports, added, dups, upgraded, truncated;
	size_t by_verdict[4];
	bool findings;
	struct agg *agg;
	size_t nagg, aggcap;
};

#define FAIL(v) (1u << (v))

/* Member layouts for the classifier, from the vmlinux (or a module's) DWARF. */
static int dwarf_layout(void *data, const char *module, const char *struct_name, const char *member,
			uint64_t *offset, uint64_t *size, uint64_t *stride)
{
	return sym_struct_member(data, module, struct_name, member, offset, size, stride);
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

/* The kernel subsystem of the racy code: the top frame's directory, else its module. */
static char *subsystem_of(const struct report *r)
{
	const struct access *a = r->nacc ? &r->acc[0] : NULL;

	if (!a)
		return NULL;
	for (size_t i = 0; i < a->nframes; i++) {
		const struct frame *f = &a->frames[i];
		const char *file = f->file, *s1, *s2;

		if (!file)
			continue;
		/* absolute DWARF paths: keep what follows a kernel top-level directory */
		for (const char *top = file; *top; top++) {
			static const char *const dirs[] = { "drivers/", "kernel/", "mm/", "fs/", "net/", "block/",
							    "lib/", "arch/", "sound/", "security/", "include/",
							    "io_uring/", "crypto/", "virt/", "ipc/", "init/", NULL };

			if (top != file && top[-1] != '/')
				continue;
			for (int d = 0; dirs[d]; d++)
				if (str_startswith(top, dirs[d])) {
					file = top;
					goto found;
				}
		}
found:
		s1 = strchr(file, '/');
		if (!s1)
			return xstrdup(file);
		s2 = strchr(s1 + 1, '/');
		if (!s2 || !strncmp(file, "mm/", 3) || !strncmp(file, "kernel/", 7) || !strncmp(file, "lib/", 4) ||
		    !strncmp(file, "block/", 6) || !strncmp(file, "io_uring/", 9))
			return xstrndup(file, (size_t)(s1 - file));
		return xstrndup(file, (size_t)(s2 - file));
	}
	for (size_t i = 0; i < a->nframes; i++)
		if (a->frames[i].module)
			return xasprintf("[%s]", a->frames[i].module);
	return NULL;
}

static char *reason_of(const struct report *r)
{
	const struct classification *c = &r->cls;

	return xstrdup(c->reason ? c->reason : c->evidence ? c->evidence : "");
}

static struct agg *agg_find(struct scan *s, const char sig[33])
{
	for (size_t i = 0; i < s->nagg; i++)
		if (!memcmp(s->agg[i].sig, sig, 33))
			return &s->agg[i];
	return NULL;
}

static void on_report(struct report *r, void *data)
{
	struct scan *s = data;
	struct store_added added = { 0 };
	enum store_result res = STORE_ADDED;
	char *subsystem;
	enum verdict eff;

	if (s->sym) {
		const char *rel = sym_release(s->sym);

		if (rel && r->kernel && strcmp(rel, r->kernel) && !s->warned_release) {
			char pos[512];

			s->warned_release = true;
			snprintf(pos, sizeof(pos), "%s:%llu", r->source, (unsigned long long)r->line);
			kt_warn(s->ctx, pos, "the report's kernel is %s, the vmlinux is %s: frames that do not "
				"match are said so, the others may still be off", r->kernel, rel);
		}
		sym_annotate_report(s->sym, r);
	}
	classify_report(s->cls, r);
	subsystem = subsystem_of(r);
	eff = r->cls.verdict;
	s->reports++;
	if (r->truncated)
		s->truncated++;
	if (s->ctx->store && s->store_ok) {
		res = store_add_report(s->ctx->store, r, subsystem, s->ctx->now, &added);
		switch (res) {
		case STORE_ADDED: s->added++; break;
		case STORE_UPGRADED: s->upgraded++; break;
		case STORE_DUPLICATE: s->dups++; break;
		case STORE_FAILED:
			/* the file's transaction is rolled back at its end */
			s->store_ok = false;
			break;
		}
		if (res != STORE_FAILED && added.sig_id)
			eff = added.effective;
	}
	if (eff > V_NONE && eff <= V_UNKNOWN_ORIGIN) {
		s->by_verdict[eff]++;
		if (s->fail_mask & FAIL(eff))
			s->findings = true;
	}

	if (s->fmt == KT_FMT_JSON) {
		render_report(s->out, r, DETAIL_BRIEF);
	} else {
		char sig[33];
		struct agg *a;

		report_signature(r, sig);
		a = agg_find(s, sig);
		if (!a) {
			ALLOC_GROW(s->agg, s->nagg, s->aggcap);
			a = &s->agg[s->nagg++];
			memset(a, 0, sizeof(*a));
			memcpy(a->sig, sig, 33);
			a->title = report_display_title(r);
			a->where = xasprintf("%s:%llu", r->source, (unsigned long long)r->line);
			a->field = r->cls.field ? xstrdup(r->cls.field) : NULL;
			a->reason = reason_of(r);
			a->computed = r->cls.verdict;
			a->verdict = eff;
			a->writer = r->cls.writer;
			a->conf = r->cls.confidence;
			a->labelled = added.labelled;
			a->id = added.sig_id;
		}
		a->count++;
	}
	free(subsystem);
	report_free(r);
}

static void scan_file(struct ctx *ctx, const char *path, void *data)
{
	struct scan *s = data;
	struct input *in;
	struct parser *p;
	struct normalizer nz = { 0 };
	struct input_line line;
	struct nline nl;
	int rc;
	const char *name;

	if (!strcmp(path, "-") && isatty(0)) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "standard input is a terminal; pipe a log in or name files");
		return;
	}
	in = input_open(ctx, path);
	if (!in)
		return;
	if (s->force_text)
		input_set_mode(in, INPUT_TEXT);
	name = input_name(in);
	s->files++;
	s->file = name;
	s->store_ok = false;
	if (ctx->store)
		s->store_ok = store_begin(ctx->store, name) == 0;
	p = parser_new(name, on_report, s);
	while ((rc = input_next(in, &line, parser_idle(p))) > 0) {
		normalize_line(&nz, &line, &nl);
		parser_feed(p, &nl);
	}
	parser_finish(p);
	if (ctx->store) {
		/* a read error keeps what was read: those reports are whole */
		if (!s->store_ok)
			store_rollback(ctx->store);
		if (!s->store_ok || store_commit(ctx->store, name) < 0)
			kt_error(ctx, KT_EXIT_STORE, name, "nothing from this file was stored");
	}
	parser_free(p);
	normalizer_release(&nz);
	input_close(in);
}

static const char *verdict_label(const struct agg *a)
{
	return verdict_name(a->verdict);
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
	for (size_t i = 0; i < s->nagg; i++) {
		struct agg *a = &s->agg[i];
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
}

static void agg_free(struct scan *s)
{
	for (size_t i = 0; i < s->nagg; i++) {
		free(s->agg[i].title);
		free(s->agg[i].where);
		free(s->agg[i].field);
		free(s->agg[i].reason);
	}
	free(s->agg);
}

/* Rule patterns whose matches stopped at the PCRE2 limits: one warning each. */
static void warn_limit_hits(struct ctx *ctx)
{
	struct rules_limit_hit h;

	while (rules_drain_limit_hit(ctx->rules, &h))
		kt_warn(ctx, h.origin, "struct %s: pattern '%s' stopped at the match limits %lu time%s (no match)%s",
			h.rule, h.pattern, h.hits, h.hits == 1 ? "" : "s", h.off ? "; turned off for this run" : "");
}

int cmd_scan(int argc, char **argv, struct ctx *ctx)
{
	enum {
		OPT_NODB = 256, OPT_FORMAT, OPT_FAILON, OPT_TEXT, OPT_SRC,
	};
	static const struct option opts[] = {
		{ "no-db", no_argument, NULL, OPT_NODB },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "fail-on", required_argument, NULL, OPT_FAILON },
		RULES_OPTIONS,
		{ "text", no_argument, NULL, OPT_TEXT },
		{ "src", required_argument, NULL, OPT_SRC },
		SYMBOL_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct scan s = { 0 };
	const char *src_dir = NULL;
	struct srctree *src;
	int opt, rc;

	s.ctx = ctx;
	s.fmt = KT_FMT_TEXT;
	s.fail_mask = FAIL(V_REAL_RACE) | FAIL(V_UNKNOWN_ORIGIN);
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_NODB:
			break;   /* the dispatcher did not open the store */
		case OPT_FORMAT:
			if (parse_format(ctx, optarg, &s.fmt) < 0)
				return KT_EXIT_USAGE;
			break;
		case OPT_FAILON:
			if (parse_fail_on(ctx, optarg, &s.fail_mask) < 0)
				return KT_EXIT_USAGE;
			break;
		case OPT_TEXT:
			s.force_text = true;
			break;
		case OPT_SRC:
			src_dir = optarg;
			break;
		case OPT_OPENED:
			break;
		default:
			cmd_usage(stderr, cmd_find("scan"));
			return KT_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (cmd_inputs(ctx, &argc, &argv) < 0)
		return KT_EXIT_USAGE;

	if (src_dir && !is_dir(src_dir)) {
		kt_error(ctx, KT_EXIT_SYMBOLS, src_dir, "--src: not a directory");
		return KT_EXIT_SYMBOLS;
	}
	s.sym = ctx->sym;
	src = srctree_new(src_dir);
	s.cls = classifier_new(ctx->rules, src);
	if (s.sym)
		classifier_set_layout(s.cls, dwarf_layout, s.sym);
	if (s.fmt == KT_FMT_JSON) {
		s.out = out_new(stdout, KT_FMT_JSON);
		out_begin_obj(s.out, NULL);
		out_int(s.out, "schema_version", NULL, SCHEMA_VERSION);
		out_begin_arr(s.out, "reports");
	}

	input_walk(ctx, argv, argc, scan_file, &s);
	warn_limit_hits(ctx);

	if (s.fmt == KT_FMT_JSON) {
		out_end_arr(s.out);
		out_begin_obj(s.out, "summary");
		out_int(s.out, "files", NULL, (long long)s.files);
		out_int(s.out, "reports", NULL, (long long)s.reports);
		out_int(s.out, "device_origin", NULL, (long long)s.by_verdict[V_DEVICE_ORIGIN]);
		out_int(s.out, "real_race", NULL, (long long)s.by_verdict[V_REAL_RACE]);
		out_int(s.out, "unknown_origin", NULL, (long long)s.by_verdict[V_UNKNOWN_ORIGIN]);
		out_int(s.out, "truncated", NULL, (long long)s.truncated);
		if (ctx->store) {
			out_int(s.out, "stored_new", NULL, (long long)(s.added + s.upgraded));
			out_int(s.out, "already_known", NULL, (long long)s.dups);
		}
		out_end_obj(s.out);
		out_end_obj(s.out);
		if (out_close(s.out) < 0)
			kt_error(ctx, KT_EXIT_INTERNAL, NULL, "write error on standard output");
	} else {
		print_text(&s);
	}
	classifier_free(s.cls);
	srctree_free(src);
	agg_free(&s);
	rc = s.findings ? KT_EXIT_FINDINGS : KT_EXIT_OK;
	rc = cmd_finish_output(ctx, rc);
	if (ctx->worst_exit > rc)
		rc = ctx->worst_exit;
	return rc;
}
