/* cmd_list.c - kcsan-triage list: the reports in the store. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "render.h"
#include "store.h"

static const struct column list_cols[] = {
	{ .key = "id", .head = "ID", .right = 1 },
	{ .key = "signature", .head = "SIGNATURE" },      /* report_signature_id(): stable, for triage files */
	{ .key = "verdict", .head = "VERDICT" },          /* the label when there is one */
	{ .key = "tool_verdict", .head = "TOOL VERDICT", .json_only = 1 },
	{ .key = "label", .head = "LABEL" },
	{ .key = "count", .head = "COUNT", .right = 1 },
	{ .key = "first_seen", .head = "FIRST SEEN" },
	{ .key = "last_seen", .head = "LAST SEEN" },
	{ .key = "field", .head = "FIELD" },
	{ .key = "title", .head = "TITLE" },
};

struct list_rows {
	struct table *t;
	struct store *st;
	int rc;
};

static void list_row(const struct sig_row *s, void *data)
{
	struct list_rows *lr = data;
	struct table *t = lr->t;
	char *field = classification_field(&s->cls);
	char sig_id[REPORT_SIG_ID_LEN + 1];

	if (store_signature_id(lr->st, s->id, sig_id) < 0)
		lr->rc = -1;
	table_int(t, s->id);
	table_str(t, sig_id);
	table_str(t, verdict_name(effective_verdict(s->cls.verdict, &s->label)));
	table_str(t, verdict_name(s->cls.verdict));
	table_label(t, &s->label);
	table_int(t, s->count);
	table_str(t, s->first_seen);
	table_str(t, s->last_seen);
	table_str(t, field);
	table_str(t, s->display_title);
	free(field);
}

struct list_opts {
	struct opt_output out;
	int verdict;                /* enum verdict; V_NONE: any */
	const char *grep;
	long limit;
};

static const struct option_spec list_specs[] = {
	OPT_INCLUDE_AT(opt_group_output_csv, struct list_opts, out),
	OPT_ENUM("verdict", struct list_opts, verdict, opt_verdicts, NULL,
		 "only reports with this verdict (or label)"),
	OPT_STRING("grep", "TEXT", struct list_opts, grep,
		   "only reports whose title, field or function has TEXT"),
	OPT_INT("limit", "N", struct list_opts, limit, 0, NULL, "at most N reports (0: all)"),
	OPT_END(),
};
const struct option_table cmd_list_options = OPT_TABLE(struct list_opts, list_specs);

int cmd_list(int argc, char **argv, struct ctx *ctx, const void *opts)
{
	const struct list_opts *lo = opts;
	struct list_filter f = {
		.verdict = (enum verdict)lo->verdict,
		.grep = lo->grep,
		.limit = lo->limit,
	};
	enum kt_format fmt = (enum kt_format)lo->out.format;
	struct out *o;
	struct list_rows lr = { .st = ctx->store };
	int rc;

	o = out_new(stdout, fmt);
	out_begin_obj(o, NULL);
	out_int(o, "schema_version", NULL, SCHEMA_VERSION);
	lr.t = table_begin(o, "reports", list_cols, (int)(sizeof(list_cols) / sizeof(list_cols[0])));
	rc = store_list(ctx->store, &f, list_row, &lr);
	table_end(lr.t);
	if (lr.rc < 0)
		rc = -1;
	out_end_obj(o);
	return cmd_close_output(ctx, o, rc < 0 ? KT_EXIT_STORE : KT_EXIT_OK);
}
