/*
 * cmd_export.c - kcsan-triage export: the store's labels as a triage file
 * (for git: scan --triage and label --file apply it), or the functions of
 * the reports not to be reported, as KCSAN's debugfs filter takes them.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "render.h"
#include "store.h"
#include "triage.h"

struct export_opts {
	struct opt_output out;
	bool labels, all, filter;
};

static const struct option_spec export_specs[] = {
	OPT_INCLUDE_AT(opt_group_output_csv, struct export_opts, out),
	OPT_FLAG("labels", 0, struct export_opts, labels, "every label, keyed by signature ID: a triage file"),
	OPT_FLAG("all", 0, struct export_opts, all, "with --labels: every known report, '-' where none is labelled"),
	OPT_FLAG("kcsan-filter", 0, struct export_opts, filter,
		 "'!func' lines for /sys/kernel/debug/kcsan: the device-origin reports' top functions"),
	OPT_END(),
};
const struct option_table cmd_export_options = OPT_TABLE(struct export_opts, export_specs);

static const struct column export_label_cols[] = {
	{ .key = "signature", .head = "SIGNATURE" },
	{ .key = "verdict", .head = "VERDICT" },
	{ .key = "tool_verdict", .head = "TOOL VERDICT" },
	{ .key = "label", .head = "LABEL" },
	{ .key = "title", .head = "TITLE" },
};

struct export {
	struct out *o;
	struct table *t;
	enum kt_format fmt;
	char **funcs;           /* --kcsan-filter */
	size_t nfuncs, cap;
};

static void export_label_row(const struct store_sig_id *row, void *data)
{
	struct export *ex = data;
	struct verdict_label l = { row->label, (char *)row->note, (char *)row->time };

	if (ex->fmt == KT_FMT_TEXT) {
		triage_write_entry(stdout, row->sig_id, row->label, row->note, row->title);
		return;
	}
	table_str(ex->t, row->sig_id);
	table_str(ex->t, verdict_name(effective_verdict(row->tool_verdict, &l)));
	table_str(ex->t, verdict_name(row->tool_verdict));
	table_label(ex->t, &l);
	table_str(ex->t, row->title);
}

static int export_labels(struct ctx *ctx, struct export *ex, bool all)
{
	int rc;

	if (ex->fmt == KT_FMT_TEXT) {
		printf("%s\n# ID             VERDICT NOTE  (kcsan-triage scan --triage FILE, label --file FILE)\n",
		       TRIAGE_HEADER);
		return store_each_signature_id(ctx->store, !all, export_label_row, ex);
	}
	ex->t = table_begin(ex->o, "labels", export_label_cols,
			    (int)(sizeof(export_label_cols) / sizeof(export_label_cols[0])));
	rc = store_each_signature_id(ctx->store, !all, export_label_row, ex);
	table_end(ex->t);
	return rc;
}

/* A function KCSAN's filter can look up: a symbol name, not an address. */
static bool export_filterable(const char *f)
{
	return f && *f && strncmp(f, "0x", 2) && !strpbrk(f, " \t\n/");
}

static void export_filter_row(const struct store_sig_id *row, void *data)
{
	struct export *ex = data;
	struct verdict_label l = { row->label, NULL, NULL };

	if (effective_verdict(row->tool_verdict, &l) != V_DEVICE_ORIGIN || !export_filterable(row->top_func))
		return;
	if (ex->fmt != KT_FMT_TEXT) {
		table_str(ex->t, row->top_func);
		table_str(ex->t, row->sig_id);
		table_str(ex->t, row->title);
		return;
	}
	ALLOC_GROW(ex->funcs, ex->nfuncs, ex->cap);
	ex->funcs[ex->nfuncs++] = xstrdup(row->top_func);
}

static int export_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Text: one "!func" line per function, sorted, each once (one write each: see the man page). */
static int export_filter(struct ctx *ctx, struct export *ex)
{
	static const struct column cols[] = {
		{ .key = "function", .head = "FUNCTION" },
		{ .key = "signature", .head = "SIGNATURE" },
		{ .key = "title", .head = "TITLE" },
	};
	int rc;

	if (ex->fmt != KT_FMT_TEXT) {
		ex->t = table_begin(ex->o, "filter", cols, 3);
		rc = store_each_signature_id(ctx->store, false, export_filter_row, ex);
		table_end(ex->t);
		return rc;
	}
	rc = store_each_signature_id(ctx->store, false, export_filter_row, ex);
	if (ex->nfuncs)
		qsort(ex->funcs, ex->nfuncs, sizeof(ex->funcs[0]), export_cmp);
	for (size_t i = 0; i < ex->nfuncs; i++) {
		if (!i || strcmp(ex->funcs[i - 1], ex->funcs[i]))
			printf("!%s\n", ex->funcs[i]);
	}
	for (size_t i = 0; i < ex->nfuncs; i++)
		free(ex->funcs[i]);
	free(ex->funcs);
	return rc;
}

int cmd_export(int argc, char **argv, struct ctx *ctx, const void *opts)
{
	const struct export_opts *eo = opts;
	struct export ex = { .fmt = (enum kt_format)eo->out.format };
	int rc;

	(void)argv;
	if (argc > 0 || eo->labels == eo->filter) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "export takes --labels or --kcsan-filter (and no operands)");
		return KT_EXIT_USAGE;
	}
	if (eo->all && !eo->labels) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "--all goes with --labels");
		return KT_EXIT_USAGE;
	}
	ex.o = out_new(stdout, ex.fmt);
	out_begin_obj(ex.o, NULL);
	out_int(ex.o, "schema_version", NULL, SCHEMA_VERSION);
	rc = eo->labels ? export_labels(ctx, &ex, eo->all) : export_filter(ctx, &ex);
	out_end_obj(ex.o);
	return cmd_close_output(ctx, ex.o, rc < 0 ? KT_EXIT_STORE : KT_EXIT_OK);
}
