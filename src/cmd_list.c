/* cmd_list.c - kcsan-triage list: the reports in the store. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "render.h"
#include "store.h"

static const struct column list_cols[] = {
	{ "id", "ID", 1 },
	{ "verdict", "VERDICT", 0 },
	{ "label", "LABEL", 0 },
	{ "count", "COUNT", 1 },
	{ "first_seen", "FIRST SEEN", 0 },
	{ "last_seen", "LAST SEEN", 0 },
	{ "field", "FIELD", 0 },
	{ "title", "TITLE", 0 },
};

static void list_row(const struct sig_row *s, void *data)
{
	struct table *t = data;

	table_int(t, s->id);
	table_str(t, s->verdict);
	table_str(t, s->label);
	table_int(t, s->count);
	table_str(t, s->first_seen);
	table_str(t, s->last_seen);
	table_str(t, s->field);
	table_str(t, s->display_title);
}

struct list_opts {
	struct opt_output out;
	int verdict;                /* enum verdict; V_NONE: any */
	const char *grep;
	long limit;
};

static const struct option_spec list_specs[] = {
	OPT_INCLUDE_AT(opt_group_output, struct list_opts, out),
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
		.verdict = lo->verdict ? verdict_name((enum verdict)lo->verdict) : NULL,
		.grep = lo->grep,
		.limit = lo->limit,
	};
	enum kt_format fmt = (enum kt_format)lo->out.format;
	struct out *o;
	struct table *t;
	int rc;

	o = out_new(stdout, fmt);
	out_begin_obj(o, NULL);
	out_int(o, "schema_version", NULL, SCHEMA_VERSION);
	t = table_begin(o, "reports", list_cols, (int)(sizeof(list_cols) / sizeof(list_cols[0])));
	rc = store_list(ctx->store, &f, list_row, t);
	table_end(t);
	out_end_obj(o);
	return cmd_close_output(ctx, o, rc < 0 ? KT_EXIT_STORE : KT_EXIT_OK);
}
