/* cmd_show.c - kcsan-triage show ID: one report in full. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "render.h"
#include "srctree.h"
#include "store.h"

struct show {
	struct out *o;
	struct srctree *src;
	bool raw;
	bool all;
	long n;
};

static void show_occurrence(struct report *r, int64_t occ_id, const char *stored_at, void *data)
{
	struct show *sh = data;
	struct out *o = sh->o;

	sh->n++;
	if (!out_json(o)) {
		out_text(o, "\noccurrence %ld (#%lld), stored %s\n", sh->n, (long long)occ_id, stored_at);
		if (sh->n > 1 && !sh->all) {
			out_text(o, "  at ");
			out_text_safe(o, r->source);
			out_text(o, ":%llu", (unsigned long long)r->line);
			if (r->log_time) {
				out_text(o, " [");
				out_text_safe(o, r->log_time);
				out_text(o, "]");
			}
			if (r->kernel) {
				out_text(o, " kernel ");
				out_text_safe(o, r->kernel);
			}
			if (r->has_value) {
				out_text(o, ", value changed ");
				out_text_safe(o, r->value_old);
				out_text(o, " -> ");
				out_text_safe(o, r->value_new);
			}
			out_text(o, "\n");
			return;
		}
	}
	/* the source of the frames the scan could not read */
	if (sh->src)
		srctree_fill_report(sh->src, r);
	out_begin_obj(o, NULL);
	out_int(o, "id", NULL, occ_id);
	out_str(o, "stored_at", NULL, stored_at);
	out_begin_arr(o, "report");
	render_report(o, r, DETAIL_FULL);
	out_end_arr(o);
	if (sh->raw) {
		out_str(o, "raw", "  raw text as read:\n%s", sbuf_str(&r->raw));
	}
	out_end_obj(o);
}

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

/* The signature: its verdict (the label's, when there is one), the tool's with its facts, and counts. */
static void show_signature(struct out *o, const struct sig_row *s, const char *sig_id)
{
	const char *tool = verdict_name(s->cls.verdict);
	struct verdict_text t;

	render_verdict_text(&s->cls, &t);
	out_int(o, "id", "#%lld ", s->id);
	out_str(o, "title", NULL, s->title);
	out_text_safe(o, s->display_title);
	out_text(o, "\n");
	out_str(o, "signature", "  signature: %s\n", sig_id);
	out_str(o, "verdict", "  verdict: %s", verdict_name(effective_verdict(s->cls.verdict, &s->label)));
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
	out_str(o, "evidence", "  evidence: %s\n", t.evidence);
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
	verdict_text_release(&t);
}

/* CSV: one row per occurrence, with the signature's ID and verdicts. */
static const struct column show_csv_cols[] = {
	{ .key = "signature" }, { .key = "id" }, { .key = "stored_at" }, { .key = "file" }, { .key = "line" },
	{ .key = "time" }, { .key = "kernel" }, { .key = "verdict" }, { .key = "tool_verdict" },
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
	table_str(sc->t, r->log_time);
	table_str(sc->t, r->kernel);
	table_str(sc->t, verdict_name(effective_verdict(r->cls.verdict, &r->label)));
	table_str(sc->t, verdict_name(r->cls.verdict));
}

static int show_csv(struct ctx *ctx, const struct sig_row *s, const char *sig_id)
{
	struct out *o = out_new(stdout, KT_FMT_CSV);
	struct show_csv sc = { table_begin(o, NULL, show_csv_cols, 9), sig_id };
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
	sh.o = out_new(stdout, fmt);
	out_begin_obj(sh.o, NULL);
	out_int(sh.o, "schema_version", NULL, SCHEMA_VERSION);
	show_signature(sh.o, &s, sig_id);
	out_begin_arr(sh.o, "occurrences");
	rc = store_occurrences(ctx->store, &s, 0, show_occurrence, &sh);
	out_end_arr(sh.o);
	out_end_obj(sh.o);
	sig_row_release(&s);
	srctree_free(sh.src);
	return cmd_close_output(ctx, sh.o, rc < 0 ? KT_EXIT_STORE : KT_EXIT_OK);
}
