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
	if (sh->src) {
		/* the source of the frames the scan could not read */
		for (int i = 0; i < r->nacc; i++)
			for (size_t j = 0; j < r->acc[i].nframes; j++) {
				struct frame *f = &r->acc[i].frames[j];
				const char *t;

				if (!f->src && f->file && f->line > 0 &&
				    (t = srctree_line(sh->src, f->file, NULL, f->line)))
					f->src = xstrdup(t);
			}
	}
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
	OPT_INCLUDE_AT(opt_group_output, struct show_opts, out),
	OPT_STRING("src", "DIR", struct show_opts, src, "read the frames' source lines from this tree"),
	OPT_FLAG("raw", 0, struct show_opts, raw, "also each shown occurrence as it was read"),
	OPT_FLAG("all", 0, struct show_opts, all, "every occurrence in full, not only the first"),
	OPT_END(),
};
const struct option_table cmd_show_options = OPT_TABLE(struct show_opts, show_specs);

int cmd_show(int argc, char **argv, struct ctx *ctx, const void *opts)
{
	const struct show_opts *so = opts;
	enum kt_format fmt = (enum kt_format)so->out.format;
	struct show sh = { .raw = so->raw, .all = so->all };
	const char *src = so->src;
	struct sig_row s;
	int rc;
	long long id;
	char *end;

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
	rc = store_get_signature(ctx->store, id, &s);
	if (rc < 0)
		return KT_EXIT_STORE;
	if (rc == 0) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "no report #%lld in %s", id, store_path(ctx->store));
		return KT_EXIT_USAGE;
	}
	sh.src = src ? srctree_new(src) : NULL;
	sh.o = out_new(stdout, fmt);
	out_begin_obj(sh.o, NULL);
	out_int(sh.o, "schema_version", NULL, SCHEMA_VERSION);
	out_int(sh.o, "id", "#%lld ", s.id);
	out_str(sh.o, "title", NULL, s.title);
	out_text_safe(sh.o, s.display_title);
	out_text(sh.o, "\n");
	out_str(sh.o, "verdict", "  verdict: %s", s.label ? s.label : s.verdict);
	if (s.label)
		out_text(sh.o, " (a person's label; the tool says %s)", s.verdict);
	out_text(sh.o, "\n");
	out_str(sh.o, "computed_verdict", NULL, s.verdict);
	out_str(sh.o, "label", NULL, s.label);
	out_str(sh.o, "label_note", s.label_note ? "  label note: %s\n" : NULL, s.label_note);
	out_str(sh.o, "label_time", NULL, s.label_time);
	out_str(sh.o, "writer", s.writer ? "  writer: %s\n" : NULL, s.writer);
	out_str(sh.o, "confidence", s.confidence ? "  confidence: %s\n" : NULL, s.confidence);
	out_str(sh.o, "field", s.field ? "  field: %s\n" : NULL, s.field);
	out_str(sh.o, "rule", NULL, s.rule);
	out_str(sh.o, "evidence", "  evidence: %s\n", s.evidence);
	out_str(sh.o, "marking", s.marking ? "  marking: %s\n" : NULL, s.marking);
	out_str(sh.o, "bug_type", NULL, s.bug_type);
	out_bool(sh.o, "unknown_origin", NULL, s.unknown_origin);
	out_str(sh.o, "function", s.top_func ? "  top function: %s\n" : NULL, s.top_func);
	out_str(sh.o, "subsystem", s.subsystem ? "  subsystem: %s\n" : NULL, s.subsystem);
	out_int(sh.o, "count", "  occurrences: %lld", s.count);
	out_str(sh.o, "first_seen", ", first seen %s", s.first_seen);
	out_str(sh.o, "last_seen", ", last seen %s\n", s.last_seen);
	out_str(sh.o, "first_kernel", s.first_kernel ? "  kernels: %s" : NULL, s.first_kernel);
	out_str(sh.o, "last_kernel", s.first_kernel ? " .. %s\n" : NULL, s.last_kernel);
	out_begin_arr(sh.o, "occurrences");
	rc = store_occurrences(ctx->store, id, 0, show_occurrence, &sh);
	out_end_arr(sh.o);
	out_end_obj(sh.o);
	sig_row_release(&s);
	srctree_free(sh.src);
	return cmd_close_output(ctx, sh.o, rc < 0 ? KT_EXIT_STORE : KT_EXIT_OK);
}
